// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Connection sync messages: layout, HMAC-SHA256, rejection of forgeries and replays. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

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

static size_t encode(uint8_t *buf, uint8_t type, uint64_t seq, const struct sync_record *recs,
		     uint16_t n)
{
	struct sync_header h = { .type = type, .count = n, .epoch = 0x1122334455667788ull, .seq = seq };

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
	assert_true(h.epoch == 0x1122334455667788ull);
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
		'X', 'L', 'B', 'S', 1, SYNC_MSG_FLOWS, 0, 1, /* magic, version, type, count */
		0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, /* epoch */
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
		0x99, 0xd6, 0x2d, 0x16, 0xdb, 0x95, 0xb3, 0x09, 0x89, 0x78, 0x74, 0x4e, 0x9c, 0x76, 0xaf, 0xd8, 0x62, 0x2b, 0x5a, 0x7b, 0x32, 0x3e, 0x73, 0x59, 0xc2, 0x43, 0x08, 0x7f, 0xeb, 0xad, 0x3c, 0x54
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
	struct sync_header h = { .type = SYNC_MSG_FLOWS, .count = 1, .epoch = 1, .seq = 1 };
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
	len = encode(buf, SYNC_MSG_FULL_REQUEST, 1, &r, 1); /* a request carries no records */
	assert_int_equal(sync_decode(buf, len, test_key, KEY_LEN, &h, out), SYNC_DECODE_MALFORMED);
	len = encode(buf, 9, 1, &r, 1);
	assert_int_equal(sync_decode(buf, len, test_key, KEY_LEN, &h, out), SYNC_DECODE_MALFORMED);
	r.state = XLB_FS__COUNT;
	len = encode(buf, SYNC_MSG_FLOWS, 1, &r, 1);
	assert_int_equal(sync_decode(buf, len, test_key, KEY_LEN, &h, out), SYNC_DECODE_MALFORMED);
	len = encode(buf, SYNC_MSG_FULL_REQUEST, 2, NULL, 0);
	assert_int_equal(sync_decode(buf, len, test_key, KEY_LEN, &h, out), SYNC_DECODE_OK);
	assert_int_equal(h.type, SYNC_MSG_FULL_REQUEST);
}

static void test_replay(void **state)
{
	struct sync_replay r = { 0 };

	(void)state;
	assert_int_equal(sync_replay_check(&r, 100, 5), SYNC_REPLAY_NEW_EPOCH);
	assert_int_equal(sync_replay_check(&r, 100, 6), SYNC_REPLAY_NEXT);
	assert_int_equal(sync_replay_check(&r, 100, 6), SYNC_REPLAY_REJECT); /* the same again */
	assert_int_equal(sync_replay_check(&r, 100, 3), SYNC_REPLAY_REJECT); /* an older one */
	assert_int_equal(sync_replay_check(&r, 100, 9), SYNC_REPLAY_GAP);
	assert_int_equal(sync_replay_check(&r, 100, 7), SYNC_REPLAY_REJECT); /* late: lost for good */
	assert_int_equal(sync_replay_check(&r, 99, 50), SYNC_REPLAY_REJECT); /* the peer's last run */
	assert_int_equal(sync_replay_check(&r, 101, 1), SYNC_REPLAY_NEW_EPOCH); /* it restarted */
	assert_int_equal(sync_replay_check(&r, 100, 10), SYNC_REPLAY_REJECT);
	assert_int_equal(sync_replay_check(&r, 101, 2), SYNC_REPLAY_NEXT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),  cmocka_unit_test(test_layout),
		cmocka_unit_test(test_forgeries),  cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_replay),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
