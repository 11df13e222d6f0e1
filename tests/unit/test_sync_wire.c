// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Connection sync messages: layout (version 2), HMAC-SHA256, rejection of forgeries. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ha/sync_wire.h"

static const uint8_t test_key[] = "0123456789abcdef-sync-key";
#define KEY_LEN (sizeof(test_key) - 1)

/* Into place, zeroed first: records are compared with memcmp, padding included. */
static void record_into(struct sync_record *rec, uint16_t sport)
{
	struct sync_record r;

	memset(rec, 0, sizeof(*rec));
	memset(&r, 0, sizeof(r));
	r.key.family = XLB_FAMILY_V4;
	r.key.proto = 6;
	r.key.src.addr[0] = htonl(0x0ac8000a); /* 10.200.0.10 */
	r.key.dst.addr[0] = htonl(0x0ac800c8); /* 10.200.0.200 */
	r.key.sport = htons(sport);
	r.key.dport = htons(80);
	r.state = XLB_FS_EST;
	r.real_addr.addr[0] = htonl(0x0ac80065); /* 10.200.0.101 */
	r.real_port = htons(80);
	r.nat_addr.addr[0] = htonl(0x0ac80003);
	r.nat_port = htons(2000);
	r.idle_ms = 1234;
	memcpy(rec, &r, sizeof(r));
}

static struct sync_record record(uint16_t sport)
{
	struct sync_record r;

	record_into(&r, sport);
	return r;
}

/* A valid MAC again over a message changed by hand. */
static void resign(uint8_t *buf, size_t len)
{
	unsigned int mac_len = SYNC_MAC_LEN;

	HMAC(EVP_sha256(), test_key, KEY_LEN, buf, len - SYNC_MAC_LEN, buf + len - SYNC_MAC_LEN,
	     &mac_len);
}

static size_t encode(uint8_t *buf, uint8_t type, uint64_t seq, const struct sync_record *recs,
		     uint16_t n)
{
	struct sync_header h = { .type = type, .count = n, .session = 0x1122334455667788ull, .seq = seq };

	return sync_encode(&h, recs, test_key, KEY_LEN, buf);
}

static void test_roundtrip(void **state)
{
	struct sync_record in[SYNC_RECS_MAX], out[SYNC_RECS_MAX];
	uint8_t buf[SYNC_MSG_MAX];
	struct sync_header h;
	size_t len;

	(void)state;
	for (int i = 0; i < SYNC_RECS_MAX; i++)
		record_into(&in[i], (uint16_t)(40000 + i));
	len = encode(buf, SYNC_MSG_FLOWS, 7, in, SYNC_RECS_MAX);
	assert_int_equal(len, SYNC_MSG_MAX);
	assert_int_equal(sync_decode(buf, len, test_key, KEY_LEN, &h, out), SYNC_DECODE_OK);
	assert_int_equal(h.type, SYNC_MSG_FLOWS);
	assert_int_equal(h.count, SYNC_RECS_MAX);
	assert_true(h.session == 0x1122334455667788ull);
	assert_true(h.seq == 7);
	assert_memory_equal(in, out, sizeof(in));
}

/* The layout is the protocol: pin it down byte by byte, MAC included. */
static void test_layout(void **state)
{
	struct sync_record r = record(40000);
	uint8_t buf[SYNC_MSG_MAX];
	size_t len;
	static const uint8_t head[] = {
		'X', 'L', 'B', 'S', 2, SYNC_MSG_FLOWS, 0, 1, /* magic, version, type, count */
		0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, /* session */
		0, 0, 0, 0, 0, 0, 0, 9, /* seq */
		4, 6, XLB_FS_EST, 0, /* family, proto, state */
		10, 200, 0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* client */
		10, 200, 0, 200, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* VIP */
		0x9c, 0x40, 0, 80, /* ports */
		10, 200, 0, 101, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* real */
		0, 80, 0x07, 0xd0, /* real port, nat port */
		10, 200, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* nat address */
		0, 0, 0x04, 0xd2, /* idle ms */
	};
	/* python3: hmac.new(key, head, hashlib.sha256).hexdigest() */
	static const uint8_t mac[SYNC_MAC_LEN] = {
		0x45, 0xb5, 0x8f, 0x14, 0xee, 0x14, 0x1b, 0xe0, 0x27, 0x0b, 0xc4, 0x18, 0xfb, 0xfb, 0x23, 0x27,
		0x72, 0x9a, 0x86, 0x6a, 0x6b, 0x24, 0x4d, 0x2e, 0xe9, 0x91, 0x2a, 0xa6, 0xd1, 0x3d, 0x5c, 0xef,
	};

	(void)state;
	len = encode(buf, SYNC_MSG_FLOWS, 9, &r, 1);
	assert_int_equal(len, sizeof(head) + SYNC_MAC_LEN);
	assert_memory_equal(buf, head, sizeof(head));
	assert_memory_equal(buf + sizeof(head), mac, SYNC_MAC_LEN);
}

static void test_forgeries(void **state)
{
	struct sync_record r = record(40000), out[SYNC_RECS_MAX];
	uint8_t buf[SYNC_MSG_MAX], copy[SYNC_MSG_MAX];
	static const uint8_t other_key[] = "another key of the same length";
	struct sync_header h = { .type = SYNC_MSG_FLOWS, .count = 1, .session = 1, .seq = 1 };
	size_t len;

	(void)state;
	len = encode(buf, SYNC_MSG_FLOWS, 1, &r, 1);
	/* Any byte changed, header, record or MAC: rejected. */
	for (size_t i = 0; i < len; i++) {
		memcpy(copy, buf, len);
		copy[i] ^= 0x01;
		assert_int_equal(sync_decode(copy, len, test_key, KEY_LEN, &h, out),
				 SYNC_DECODE_BAD_MAC);
	}
	/* Signed with another key. */
	len = sync_encode(&h, &r, other_key, sizeof(other_key) - 1, buf);
	assert_int_equal(sync_decode(buf, len, test_key, KEY_LEN, &h, out), SYNC_DECODE_BAD_MAC);
	/* Truncated: too short for a MAC, or the MAC no longer where it was. */
	len = encode(buf, SYNC_MSG_FLOWS, 1, &r, 1);
	assert_int_equal(sync_decode(buf, 20, test_key, KEY_LEN, &h, out), SYNC_DECODE_MALFORMED);
	assert_int_equal(sync_decode(buf, len - 1, test_key, KEY_LEN, &h, out), SYNC_DECODE_BAD_MAC);
}

/* Correctly signed but not a message we accept. */
static void test_malformed(void **state)
{
	struct sync_record r = record(40000), out[SYNC_RECS_MAX];
	uint8_t buf[SYNC_MSG_MAX];
	struct sync_header h;
	size_t len;

	(void)state;
	/* A request carries no records (sync_encode never writes one: made by hand). */
	len = encode(buf, SYNC_MSG_FLOWS, 1, &r, 1);
	buf[5] = SYNC_MSG_FULL_REQUEST;
	resign(buf, len);
	assert_int_equal(sync_decode(buf, len, test_key, KEY_LEN, &h, out), SYNC_DECODE_MALFORMED);
	len = encode(buf, SYNC_MSG_FLOWS, 1, &r, 1);
	buf[5] = 9;
	resign(buf, len);
	assert_int_equal(sync_decode(buf, len, test_key, KEY_LEN, &h, out), SYNC_DECODE_MALFORMED);
	r.state = XLB_FS__COUNT;
	len = encode(buf, SYNC_MSG_FLOWS, 1, &r, 1);
	assert_int_equal(sync_decode(buf, len, test_key, KEY_LEN, &h, out), SYNC_DECODE_MALFORMED);
	len = encode(buf, SYNC_MSG_FULL_REQUEST, 2, NULL, 0);
	assert_int_equal(sync_decode(buf, len, test_key, KEY_LEN, &h, out), SYNC_DECODE_OK);
	assert_int_equal(h.type, SYNC_MSG_FULL_REQUEST);
	/* The end of a full sync: no records either. */
	len = encode(buf, SYNC_MSG_FULL_END, 3, NULL, 0);
	assert_int_equal(len, SYNC_HDR_LEN + SYNC_MAC_LEN);
	assert_int_equal(sync_decode(buf, len, test_key, KEY_LEN, &h, out), SYNC_DECODE_OK);
	assert_int_equal(h.type, SYNC_MSG_FULL_END);
	assert_int_equal(h.count, 0);
	len = encode(buf, SYNC_MSG_FLOWS, 1, &r, 1);
	buf[5] = SYNC_MSG_FULL_END;
	resign(buf, len);
	assert_int_equal(sync_decode(buf, len, test_key, KEY_LEN, &h, out), SYNC_DECODE_MALFORMED);
}

/* The handshake message: challenge, echo, flags; pinned like the flows. */
static void test_hello_layout(void **state)
{
	struct sync_header h = { .type = SYNC_MSG_HELLO, .session = 0x1122334455667788ull, .seq = 10 };
	struct sync_header got;
	struct sync_record out[SYNC_RECS_MAX];
	uint8_t buf[SYNC_MSG_MAX];
	size_t len;
	static const uint8_t head[] = {
		'X', 'L', 'B', 'S', 2, SYNC_MSG_HELLO, 0, 0,
		0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, /* session */
		0, 0, 0, 0, 0, 0, 0, 10, /* seq */
		1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, /* challenge */
		0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, /* echo */
		0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
		0, 0, 0, 1, /* flags: wants a full sync */
	};
	/* python3: hmac.new(key, head, hashlib.sha256).hexdigest() */
	static const uint8_t mac[SYNC_MAC_LEN] = {
		0x7e, 0xac, 0x73, 0x37, 0x02, 0xe7, 0xf8, 0xea, 0x1c, 0x00, 0x0b, 0x8f, 0x10, 0x3f, 0x63, 0xcd,
		0x63, 0xbf, 0x17, 0xcb, 0x44, 0x63, 0xf8, 0xd1, 0x76, 0x39, 0x2f, 0xd5, 0x85, 0x1d, 0x2b, 0x34,
	};

	(void)state;
	for (int i = 0; i < SYNC_NONCE_LEN; i++) {
		h.hello.challenge[i] = (uint8_t)(i + 1);
		h.hello.echo[i] = (uint8_t)(0xa0 + i);
	}
	h.hello.flags = SYNC_HELLO_F_WANT_FULL;
	len = sync_encode(&h, NULL, test_key, KEY_LEN, buf);
	assert_int_equal(len, sizeof(head) + SYNC_MAC_LEN);
	assert_memory_equal(buf, head, sizeof(head));
	assert_memory_equal(buf + sizeof(head), mac, SYNC_MAC_LEN);
	assert_int_equal(sync_decode(buf, len, test_key, KEY_LEN, &got, out), SYNC_DECODE_OK);
	assert_int_equal(got.type, SYNC_MSG_HELLO);
	assert_memory_equal(&got.hello, &h.hello, sizeof(h.hello));
	assert_true(got.session == h.session && got.seq == 10);
}

/* Signed with our key but not version 2 (a version 1 peer): told apart from garbage. */
static void test_version(void **state)
{
	struct sync_record r = record(40000), out[SYNC_RECS_MAX];
	struct sync_header h = { .type = SYNC_MSG_HELLO, .session = 5, .seq = 1 }, got;
	uint8_t buf[SYNC_MSG_MAX];
	size_t len;

	(void)state;
	len = encode(buf, SYNC_MSG_FLOWS, 1, &r, 1);
	buf[4] = 1;
	resign(buf, len);
	assert_int_equal(sync_decode(buf, len, test_key, KEY_LEN, &got, out), SYNC_DECODE_VERSION);
	/* A hello with a flag this version does not know; one with records. */
	h.hello.flags = 2;
	len = sync_encode(&h, NULL, test_key, KEY_LEN, buf);
	assert_int_equal(sync_decode(buf, len, test_key, KEY_LEN, &got, out), SYNC_DECODE_MALFORMED);
	h.hello.flags = 0;
	len = sync_encode(&h, NULL, test_key, KEY_LEN, buf);
	buf[7] = 1; /* count 1 */
	resign(buf, len);
	assert_int_equal(sync_decode(buf, len, test_key, KEY_LEN, &got, out), SYNC_DECODE_MALFORMED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),  cmocka_unit_test(test_layout),
		cmocka_unit_test(test_forgeries),  cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_hello_layout), cmocka_unit_test(test_version),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
