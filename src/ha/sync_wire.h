/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Connection sync messages on the wire, and their authentication.
 *
 * A UDP datagram is a header, a body and an HMAC-SHA256 over both. Every
 * field is in network order (addresses and ports are kept as the maps hold
 * them, which already is), so peers of any byte order agree. Version 2:
 *
 *   header  24 bytes: magic "XLBS", version 2, type, record count,
 *                     session (u64, random per run), seq (u64, +1 per message)
 *   body    flows: count records of 80 bytes: family, proto, state, 0,
 *                  client address, VIP, client port, VIP port, real address,
 *                  real port, nat port, nat address, idle ms (u32)
 *           full request, full end: nothing
 *           hello: 36 bytes: challenge (16), echo (16), flags (u32)
 *   mac     32 bytes: HMAC-SHA256(key, header + body)
 *
 * Freshness comes from a handshake, not a clock (sync_session.h): a hello
 * that echoes a receiver's random challenge proves, under the key, which
 * session the sender runs now. Version 1 used the sender's wall-clock start
 * time instead, and kept the highest one ever seen, so one message from a
 * clock set ahead locked the peer out until restart.
 */
#ifndef XLB_HA_SYNC_WIRE_H
#define XLB_HA_SYNC_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xlb/xlb_types.h"

#define SYNC_MAGIC 0x584c4253u /* "XLBS" */
#define SYNC_VERSION 2
#define SYNC_HDR_LEN 24
#define SYNC_REC_LEN 80
#define SYNC_NONCE_LEN 16
#define SYNC_HELLO_LEN (2 * SYNC_NONCE_LEN + 4)
#define SYNC_MAC_LEN 32
#define SYNC_RECS_MAX 16 /* 1336 bytes: one unfragmented datagram on any Ethernet */
#define SYNC_MSG_MAX (SYNC_HDR_LEN + SYNC_RECS_MAX * SYNC_REC_LEN + SYNC_MAC_LEN)

enum sync_msg_type {
	SYNC_MSG_FLOWS = 1, /* records to install */
	SYNC_MSG_FULL_REQUEST = 2, /* "send me every flow you have": no records */
	SYNC_MSG_HELLO = 3, /* the handshake: a challenge, an echo, or both */
	SYNC_MSG_FULL_END = 4, /* the sender's full sync is complete: no records */
};

#define SYNC_HELLO_F_WANT_FULL 1u /* the sender asks for a full sync */

struct sync_hello {
	uint8_t challenge[SYNC_NONCE_LEN]; /* echo this back; zeros: no challenge */
	uint8_t echo[SYNC_NONCE_LEN];	   /* the receiver's challenge; zeros: none */
	uint32_t flags;			   /* SYNC_HELLO_F_* */
};

struct sync_header {
	uint8_t type;
	uint16_t count;
	uint64_t session; /* the sender's run: random, never reused */
	uint64_t seq;
	struct sync_hello hello; /* SYNC_MSG_HELLO only */
};

/* A flow as a peer needs it: reals by address, since ids are each node's own. */
struct sync_record {
	struct xlb_flow_key key; /* client -> VIP */
	uint8_t state; /* enum xlb_flow_state */
	struct xlb_addr real_addr;
	uint16_t real_port; /* network order */
	struct xlb_addr nat_addr; /* fnat: our local address toward the real */
	uint16_t nat_port; /* network order */
	uint32_t idle_ms; /* since the sender last forwarded a packet of it */
};

/* Writes a signed message into @buf (SYNC_MSG_MAX bytes); returns its length. */
size_t sync_encode(const struct sync_header *h, const struct sync_record *recs,
		   const uint8_t *key, size_t key_len, uint8_t *buf);

enum sync_decode_result {
	SYNC_DECODE_OK = 0,
	SYNC_DECODE_MALFORMED, /* wrong size, magic, type, count or flags */
	SYNC_DECODE_BAD_MAC, /* not signed with our key */
	SYNC_DECODE_VERSION, /* signed with our key, another version: upgrade both */
};

/* Verifies and parses @buf; @recs has room for SYNC_RECS_MAX. */
enum sync_decode_result sync_decode(const uint8_t *buf, size_t len, const uint8_t *key,
				    size_t key_len, struct sync_header *h,
				    struct sync_record *recs);

#endif /* XLB_HA_SYNC_WIRE_H */
