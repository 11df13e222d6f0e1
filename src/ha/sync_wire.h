/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Connection sync messages on the wire, and their authentication.
 *
 * A UDP datagram is a header, up to SYNC_RECS_MAX flow records and an
 * HMAC-SHA256 over both. Every field is in network order (addresses and
 * ports are kept as the maps hold them, which already is), so peers of any
 * byte order agree. Replays are caught by (epoch, seq): the epoch is the
 * sender's start time, the sequence number grows with every message.
 *
 *   header  24 bytes: magic "XLBS", version 1, type, record count,
 *                     epoch (u64), seq (u64)
 *   record  80 bytes: family, proto, state, 0, client address, VIP,
 *                     client port, VIP port, real address, real port, nat port,
 *                     nat address, idle ms (u32)
 *   mac     32 bytes: HMAC-SHA256(key, header + records)
 */
#ifndef XLB_HA_SYNC_WIRE_H
#define XLB_HA_SYNC_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xlb/xlb_types.h"

#define SYNC_MAGIC 0x584c4253u /* "XLBS" */
#define SYNC_VERSION 1
#define SYNC_HDR_LEN 24
#define SYNC_REC_LEN 80
#define SYNC_MAC_LEN 32
#define SYNC_RECS_MAX 16 /* 1336 bytes: one unfragmented datagram on any Ethernet */
#define SYNC_MSG_MAX (SYNC_HDR_LEN + SYNC_RECS_MAX * SYNC_REC_LEN + SYNC_MAC_LEN)

enum sync_msg_type {
	SYNC_MSG_FLOWS = 1, /* records to install */
	SYNC_MSG_FULL_REQUEST = 2, /* "send me every flow you have": no records */
};

struct sync_header {
	uint8_t type;
	uint16_t count;
	uint64_t epoch;
	uint64_t seq;
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
	SYNC_DECODE_MALFORMED, /* wrong size, magic, version, type or count */
	SYNC_DECODE_BAD_MAC, /* not signed with our key */
};

/* Verifies and parses @buf; @recs has room for SYNC_RECS_MAX. */
enum sync_decode_result sync_decode(const uint8_t *buf, size_t len, const uint8_t *key,
				    size_t key_len, struct sync_header *h,
				    struct sync_record *recs);

/* What a peer's last accepted message was: replays are older. */
struct sync_replay {
	bool seen;
	uint64_t epoch;
	uint64_t seq;
};

enum sync_replay_verdict {
	SYNC_REPLAY_NEXT, /* the next message, nothing missed */
	SYNC_REPLAY_GAP, /* accepted, but messages in between were lost */
	SYNC_REPLAY_NEW_EPOCH, /* accepted: the peer restarted (or the first we hear) */
	SYNC_REPLAY_REJECT, /* seen before, or from an older epoch: drop */
};

/* Judges (@epoch, @seq) and, unless rejected, records it as the latest. */
enum sync_replay_verdict sync_replay_check(struct sync_replay *r, uint64_t epoch, uint64_t seq);

#endif /* XLB_HA_SYNC_WIRE_H */
