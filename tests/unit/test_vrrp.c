// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* VRRPv3: packets byte for byte, the checksum, the timer math and the state machine on a fake
 * clock. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "ha/vrrp_fsm.h"
#include "ha/vrrp_packet.h"
#include "ha/vrrp_track.h"

static struct net_addr addr(const char *text)
{
	struct net_addr a;

	memset(&a, 0, sizeof(a));
	assert_int_equal(net_addr_parse(text, &a), 0);
	return a;
}

/* The checksum the slow way: the pseudo-header written out, then RFC 1071 over all of it. */
static uint16_t reference_checksum(const struct net_addr *src, const struct net_addr *dst,
				   const uint8_t *msg, size_t len)
{
	uint8_t buf[512];
	size_t n = 0;
	uint32_t sum = 0;

	if (src->family == AF_INET) {
		memcpy(buf, &src->v4, 4);
		memcpy(buf + 4, &dst->v4, 4);
		buf[8] = 0;
		buf[9] = 112;
		buf[10] = (uint8_t)(len >> 8);
		buf[11] = (uint8_t)len;
		n = 12;
	} else {
		memcpy(buf, &src->v6, 16);
		memcpy(buf + 16, &dst->v6, 16);
		buf[32] = buf[33] = 0;
		buf[34] = (uint8_t)(len >> 8);
		buf[35] = (uint8_t)len;
		buf[36] = buf[37] = buf[38] = 0;
		buf[39] = 112;
		n = 40;
	}
	memcpy(buf + n, msg, len);
	n += len;
	if (n % 2)
		buf[n++] = 0;
	for (size_t i = 0; i < n; i += 2)
		sum += (uint32_t)buf[i] << 8 | buf[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/*
 * A VRRPv3 advert as keepalived 2.2.7 (vrrp_version 3) sent it (tcpdump -xx):
 * VRID 51, priority 100, interval 20 cs, VIP 10.200.0.200, 10.200.0.3 ->
 * 224.0.0.18. Checksum 0x73cd over the IPv4 pseudo-header (RFC 5798 5.2.8).
 */
static const uint8_t keepalived_v4[] = {0x31, 0x33, 0x64, 0x01, 0x00, 0x14,
					0x73, 0xcd, 0x0a, 0xc8, 0x00, 0xc8};

static void test_checksum_keepalived(void **state)
{
	struct net_addr src = addr("10.200.0.3"), dst = addr("224.0.0.18");
	struct vrrp_advert adv = {.vrid = 51, .priority = 100, .max_adver_cs = 20, .count = 1};
	uint8_t buf[VRRP_PKT_MAX];
	struct vrrp_advert got;

	adv.addrs[0] = addr("10.200.0.200");
	assert_int_equal(vrrp_checksum(&src, &dst, keepalived_v4, sizeof(keepalived_v4)), 0);
	assert_int_equal(vrrp_encode(&adv, &src, &dst, buf, sizeof(buf)), sizeof(keepalived_v4));
	assert_memory_equal(buf, keepalived_v4, sizeof(keepalived_v4));
	assert_int_equal(vrrp_decode(keepalived_v4, sizeof(keepalived_v4), &src, &dst, &got),
			 VRRP_RX_OK);
	assert_int_equal(got.vrid, 51);
	assert_int_equal(got.priority, 100);
	assert_int_equal(got.max_adver_cs, 20);
	assert_int_equal(got.count, 1);
	assert_true(net_addr_equal(&got.addrs[0], &adv.addrs[0]));
}

static void test_encode_v4_layout(void **state)
{
	struct net_addr src = addr("10.200.0.2"), dst = addr("224.0.0.18");
	struct vrrp_advert adv = {.vrid = 7, .priority = 200, .max_adver_cs = 4095, .count = 2};
	uint8_t buf[VRRP_PKT_MAX];
	size_t len;

	adv.addrs[0] = addr("10.200.0.200");
	adv.addrs[1] = addr("10.200.0.250");
	len = vrrp_encode(&adv, &src, &dst, buf, sizeof(buf));
	assert_int_equal(len, 16);
	assert_int_equal(buf[0], 0x31); /* version 3, type 1 */
	assert_int_equal(buf[1], 7);
	assert_int_equal(buf[2], 200);
	assert_int_equal(buf[3], 2);
	assert_int_equal(buf[4], 0x0f); /* reserved 0, top of 4095 */
	assert_int_equal(buf[5], 0xff);
	assert_memory_equal(buf + 8, &adv.addrs[0].v4, 4);
	assert_memory_equal(buf + 12, &adv.addrs[1].v4, 4);
	buf[6] = buf[7] = 0;
	uint16_t want = reference_checksum(&src, &dst, buf, len);
	vrrp_encode(&adv, &src, &dst, buf, sizeof(buf));
	assert_int_equal(buf[6] << 8 | buf[7], want);
	/* Too small a buffer: nothing written. */
	assert_int_equal(vrrp_encode(&adv, &src, &dst, buf, 15), 0);
}

static void test_roundtrip_v6(void **state)
{
	struct net_addr src = addr("fe80::1"), dst = addr("ff02::12");
	struct vrrp_advert adv = {.vrid = 52, .priority = 1, .max_adver_cs = 100, .count = 3};
	uint8_t buf[VRRP_PKT_MAX];
	struct vrrp_advert got;
	size_t len;

	adv.addrs[0] = addr("fd00:200::200");
	adv.addrs[1] = addr("fd00:200::201");
	adv.addrs[2] = addr("2001:db8::1");
	len = vrrp_encode(&adv, &src, &dst, buf, sizeof(buf));
	assert_int_equal(len, 8 + 3 * 16);
	assert_int_equal(vrrp_checksum(&src, &dst, buf, len), 0);
	uint8_t copy[VRRP_PKT_MAX];
	memcpy(copy, buf, len);
	copy[6] = copy[7] = 0;
	assert_int_equal(buf[6] << 8 | buf[7], reference_checksum(&src, &dst, copy, len));
	assert_int_equal(vrrp_decode(buf, len, &src, &dst, &got), VRRP_RX_OK);
	assert_int_equal(got.vrid, 52);
	assert_int_equal(got.priority, 1);
	assert_int_equal(got.max_adver_cs, 100);
	assert_int_equal(got.count, 3);
	for (int i = 0; i < 3; i++)
		assert_true(net_addr_equal(&got.addrs[i], &adv.addrs[i]));
	assert_true(vrrp_addrs_match(&got, adv.addrs, 3));
	/* The same bytes from another source fail: the pseudo-header counts. */
	struct net_addr other = addr("fe80::2");
	assert_int_equal(vrrp_decode(buf, len, &other, &dst, &got), VRRP_RX_BAD_CHECKSUM);
}

static void test_decode_rejects(void **state)
{
	struct net_addr src = addr("10.200.0.3"), dst = addr("224.0.0.18");
	uint8_t m[sizeof(keepalived_v4) + 4];
	struct vrrp_advert got;

	memcpy(m, keepalived_v4, sizeof(keepalived_v4));
	assert_int_equal(vrrp_decode(m, 7, &src, &dst, &got), VRRP_RX_SHORT);
	/* Says one address, carries none. */
	assert_int_equal(vrrp_decode(m, 10, &src, &dst, &got), VRRP_RX_SHORT);
	m[0] = 0x21; /* VRRPv2 */
	assert_int_equal(vrrp_decode(m, sizeof(keepalived_v4), &src, &dst, &got),
			 VRRP_RX_BAD_VERSION_TYPE);
	m[0] = 0x32; /* type 2 */
	assert_int_equal(vrrp_decode(m, sizeof(keepalived_v4), &src, &dst, &got),
			 VRRP_RX_BAD_VERSION_TYPE);
	m[0] = 0x31;
	m[2] = 101; /* priority changed, checksum not */
	assert_int_equal(vrrp_decode(m, sizeof(keepalived_v4), &src, &dst, &got),
			 VRRP_RX_BAD_CHECKSUM);
	m[2] = 100;
	/* Trailing padding is not part of the message. */
	memset(m + sizeof(keepalived_v4), 0xaa, 4);
	assert_int_equal(vrrp_decode(m, sizeof(m), &src, &dst, &got), VRRP_RX_OK);
	assert_string_equal(vrrp_rx_verdict_name(VRRP_RX_BAD_TTL), "bad_ttl");
	assert_string_equal(vrrp_rx_verdict_name(VRRP_RX_BAD_CHECKSUM), "bad_checksum");
	assert_string_equal(vrrp_rx_verdict_name((enum vrrp_rx_verdict)99), "unknown");
}

static void test_ipv4_header(void **state)
{
	uint8_t pkt[24 + sizeof(keepalived_v4)] = {0x46, 0xc0, 0, 36, 0, 0, 0, 0, 255, 112};
	struct net_addr src, dst;
	uint8_t ttl = 0;

	inet_pton(AF_INET, "10.200.0.3", pkt + 12);
	inet_pton(AF_INET, "224.0.0.18", pkt + 16);
	memcpy(pkt + 24, keepalived_v4, sizeof(keepalived_v4));
	assert_int_equal(vrrp_ipv4_header(pkt, sizeof(pkt), &src, &dst, &ttl), 24); /* options */
	assert_int_equal(ttl, 255);
	assert_true(net_addr_equal(
	    &src, &(struct net_addr){.family = AF_INET, .v4.s_addr = htonl(0x0ac80003)}));
	assert_true(net_addr_equal(
	    &dst, &(struct net_addr){.family = AF_INET, .v4.s_addr = htonl(0xe0000012)}));
	assert_int_equal(vrrp_ipv4_header(pkt, 19, &src, &dst, &ttl), 0);
	pkt[9] = 6; /* not VRRP */
	assert_int_equal(vrrp_ipv4_header(pkt, sizeof(pkt), &src, &dst, &ttl), 0);
	pkt[9] = 112;
	pkt[0] = 0x4f; /* header longer than the packet */
	assert_int_equal(vrrp_ipv4_header(pkt, 40, &src, &dst, &ttl), 0);
}

static void test_addrs_match(void **state)
{
	struct vrrp_advert adv = {.count = 2};
	struct net_addr mine[2] = {addr("10.0.0.1"), addr("10.0.0.2")};

	adv.addrs[0] = mine[1];
	adv.addrs[1] = mine[0];
	assert_true(vrrp_addrs_match(&adv, mine, 2));
	assert_false(vrrp_addrs_match(&adv, mine, 1));
	adv.addrs[1] = addr("10.0.0.3");
	assert_false(vrrp_addrs_match(&adv, mine, 2));
}

/* RFC 5798 6.1: the numbers for 1 s adverts, and the 200 ms of the lab. */
/* With unicast_peers only they are heard (keepalived's check_unicast_src); else anyone. */
static void test_unicast_src(void **state)
{
	struct ha_vrrp_config c;
	struct net_addr peer = addr("10.0.0.3"), other = addr("10.0.0.66");
	struct net_addr ll = addr("fe80::3");

	memset(&c, 0, sizeof(c));
	c.family = AF_INET;
	assert_true(vrrp_src_allowed(&c, &other));
	c.unicast_peers[0] = addr("10.0.0.4");
	c.unicast_peers[1] = peer;
	c.nunicast_peers = 2;
	assert_true(vrrp_src_allowed(&c, &peer));
	assert_false(vrrp_src_allowed(&c, &other));
	assert_false(vrrp_src_allowed(&c, &ll));
	assert_string_equal(vrrp_rx_verdict_name(VRRP_RX_UNKNOWN_SRC), "unknown_source");
	c.family = AF_INET6;
	c.unicast_peers[0] = ll;
	c.nunicast_peers = 1;
	assert_true(vrrp_src_allowed(&c, &ll));
	assert_false(vrrp_src_allowed(&c, &peer));
}

static void test_timer_math(void **state)
{
	assert_int_equal(vrrp_skew_ms(100, 100), 609); /* (256-100)*1000/256 */
	assert_int_equal(vrrp_master_down_ms(100, 100), 3609);
	assert_int_equal(vrrp_skew_ms(255, 100), 3);
	assert_int_equal(vrrp_skew_ms(1, 100), 996);
	assert_int_equal(vrrp_master_down_ms(200, 20), 643);
	assert_int_equal(vrrp_master_down_ms(100, 20), 721);
	assert_int_equal(vrrp_master_down_ms(100, 4095), 3 * 40950 + 24953);
}

static struct ha_vrrp_config cfg_with(uint8_t prio, uint16_t cs, bool preempt, uint32_t delay)
{
	struct ha_vrrp_config c;

	memset(&c, 0, sizeof(c));
	c.priority = prio;
	c.advert_cs = cs;
	c.preempt = preempt;
	c.preempt_delay_ms = delay;
	c.family = AF_INET;
	return c;
}

#define T0 1000000ull

/* Start -> Backup; silence -> Master after exactly Master_Down_Interval. */
static void test_fsm_backup_then_master(void **state)
{
	struct ha_vrrp_config c = cfg_with(100, 20, true, 0);
	struct vrrp_fsm f;

	vrrp_fsm_init(&f, &c);
	assert_int_equal(f.state, VRRP_STATE_INIT);
	assert_int_equal(vrrp_fsm_next_due(&f), VRRP_NO_DEADLINE);
	assert_int_equal(vrrp_fsm_start(&f, T0), VRRP_ACT_DROP_ADDRS);
	assert_int_equal(f.state, VRRP_STATE_BACKUP);
	assert_int_equal(f.transitions, 1);
	assert_string_equal(f.reason, "started");
	assert_int_equal(vrrp_fsm_next_due(&f), T0 + 721);
	assert_int_equal(vrrp_fsm_timer(&f, T0 + 720), 0);
	assert_int_equal(vrrp_fsm_timer(&f, T0 + 721), VRRP_ACT_SEND_ADVERT | VRRP_ACT_TAKE_ADDRS);
	assert_int_equal(f.state, VRRP_STATE_MASTER);
	assert_int_equal(f.prev_state, VRRP_STATE_BACKUP);
	assert_string_equal(f.reason, "master down timer expired");
	assert_int_equal(f.changed_ms, T0 + 721);
	/* Adverts every interval from then on. */
	assert_int_equal(vrrp_fsm_next_due(&f), T0 + 921);
	assert_int_equal(vrrp_fsm_timer(&f, T0 + 900), 0);
	assert_int_equal(vrrp_fsm_timer(&f, T0 + 921), VRRP_ACT_SEND_ADVERT);
	assert_int_equal(vrrp_fsm_next_due(&f), T0 + 1121);
	assert_int_equal(f.transitions, 2);
	/* Shutdown: priority 0 and the addresses go. */
	assert_int_equal(vrrp_fsm_shutdown(&f, T0 + 1000),
			 VRRP_ACT_SEND_RELEASE | VRRP_ACT_DROP_ADDRS);
	assert_int_equal(f.state, VRRP_STATE_INIT);
	assert_int_equal(vrrp_fsm_next_due(&f), VRRP_NO_DEADLINE);
	assert_int_equal(vrrp_fsm_shutdown(&f, T0 + 1001), 0);
}

/* Adverts from a better master keep a backup down, and teach it a faster interval. */
static void test_fsm_backup_learns_interval(void **state)
{
	struct ha_vrrp_config c = cfg_with(100, 100, true, 0);
	struct net_addr peer = addr("10.0.0.3"), me = addr("10.0.0.2");
	struct vrrp_fsm f;

	vrrp_fsm_init(&f, &c);
	vrrp_fsm_start(&f, T0);
	assert_int_equal(vrrp_fsm_advert(&f, T0 + 500, 200, 20, &peer, &me), 0);
	assert_int_equal(f.master_adver_cs, 20);
	assert_int_equal(vrrp_fsm_next_due(&f), T0 + 500 + 721);
	assert_true(f.peer_known);
	assert_true(net_addr_equal(&f.peer_addr, &peer));
	assert_int_equal(f.peer_priority, 200);
	assert_int_equal(vrrp_fsm_timer(&f, T0 + 500 + 720), 0);
	assert_int_equal(f.state, VRRP_STATE_BACKUP);
	/* Equal priority also counts as a master to follow. */
	assert_int_equal(vrrp_fsm_advert(&f, T0 + 1000, 100, 50, &peer, &me), 0);
	assert_int_equal(f.master_adver_cs, 50);
	assert_int_equal(vrrp_fsm_next_due(&f), T0 + 1000 + vrrp_master_down_ms(100, 50));
}

/*
 * One forged advert claiming 4095 cs must not keep the VIP ownerless for
 * 3 x 40.95 s + skew (132 s): a backup waits for a master at most as long as
 * for itself, 3 of its own intervals + skew, whatever the master claims.
 */
static void test_fsm_interval_capped(void **state)
{
	struct ha_vrrp_config c = cfg_with(100, 20, true, 0);
	struct net_addr forger = addr("10.0.0.66"), me = addr("10.0.0.2");
	struct vrrp_fsm f;

	/* A backup hearing it. */
	vrrp_fsm_init(&f, &c);
	vrrp_fsm_start(&f, T0);
	assert_int_equal(vrrp_fsm_advert(&f, T0 + 100, 254, 4095, &forger, &me), 0);
	assert_int_equal(f.peer_adver_cs, 4095); /* shown as heard */
	assert_int_equal(f.master_adver_cs, 20);
	assert_int_equal(vrrp_fsm_next_due(&f), T0 + 100 + 721);
	assert_int_equal(vrrp_fsm_timer(&f, T0 + 100 + 721),
			 VRRP_ACT_SEND_ADVERT | VRRP_ACT_TAKE_ADDRS);

	/* The master hearing it yields (priority 254 outranks it), but not for long. */
	assert_int_equal(f.state, VRRP_STATE_MASTER);
	assert_int_equal(vrrp_fsm_advert(&f, T0 + 1000, 254, 4095, &forger, &me),
			 VRRP_ACT_DROP_ADDRS);
	assert_int_equal(f.state, VRRP_STATE_BACKUP);
	assert_int_equal(f.master_adver_cs, 20);
	assert_int_equal(vrrp_fsm_next_due(&f), T0 + 1000 + 721);
	assert_int_equal(vrrp_fsm_timer(&f, T0 + 1000 + 721),
			 VRRP_ACT_SEND_ADVERT | VRRP_ACT_TAKE_ADDRS);

	/* A master up to three times slower than us still holds a backup down. */
	vrrp_fsm_init(&f, &c);
	vrrp_fsm_start(&f, T0);
	for (uint64_t t = T0 + 100; t < T0 + 5000; t += 600)
		vrrp_fsm_advert(&f, t, 200, 60, &forger, &me);
	assert_int_equal(f.state, VRRP_STATE_BACKUP);
	assert_int_equal(vrrp_fsm_timer(&f, T0 + 5000), 0);
}

/* Priority 0 from the master: take over after Skew_Time, not the whole interval. */
static void test_fsm_release_skew(void **state)
{
	struct ha_vrrp_config c = cfg_with(100, 20, true, 0);
	struct net_addr peer = addr("10.0.0.3"), me = addr("10.0.0.2");
	struct vrrp_fsm f;

	vrrp_fsm_init(&f, &c);
	vrrp_fsm_start(&f, T0);
	vrrp_fsm_advert(&f, T0 + 100, 200, 20, &peer, &me);
	assert_int_equal(vrrp_fsm_advert(&f, T0 + 150, 0, 20, &peer, &me), 0);
	assert_int_equal(vrrp_fsm_next_due(&f), T0 + 150 + 121);
	assert_int_equal(vrrp_fsm_timer(&f, T0 + 271), VRRP_ACT_SEND_ADVERT | VRRP_ACT_TAKE_ADDRS);
	assert_int_equal(f.state, VRRP_STATE_MASTER);
	assert_string_equal(f.reason, "master left (priority 0 advert)");
	/* A master hearing priority 0 answers at once. */
	assert_int_equal(vrrp_fsm_advert(&f, T0 + 300, 0, 20, &peer, &me), VRRP_ACT_SEND_ADVERT);
	assert_int_equal(f.state, VRRP_STATE_MASTER);
	assert_int_equal(vrrp_fsm_next_due(&f), T0 + 500);
}

/* Preemption: a lower-priority master is ignored and times out; without preempt it is followed. */
static void test_fsm_preempt(void **state)
{
	struct ha_vrrp_config c = cfg_with(200, 20, true, 0);
	struct net_addr low = addr("10.0.0.3"), me = addr("10.0.0.2");
	struct vrrp_fsm f;

	vrrp_fsm_init(&f, &c);
	vrrp_fsm_start(&f, T0);
	for (uint64_t t = T0 + 200; t < T0 + 643; t += 200)
		assert_int_equal(vrrp_fsm_advert(&f, t, 100, 20, &low, &me), 0);
	assert_int_equal(vrrp_fsm_next_due(&f), T0 + 643); /* never reset */
	assert_int_equal(vrrp_fsm_timer(&f, T0 + 643), VRRP_ACT_SEND_ADVERT | VRRP_ACT_TAKE_ADDRS);

	c.preempt = false;
	vrrp_fsm_init(&f, &c);
	vrrp_fsm_start(&f, T0);
	vrrp_fsm_advert(&f, T0 + 600, 100, 20, &low, &me);
	assert_int_equal(vrrp_fsm_next_due(&f), T0 + 600 + 643);
	assert_int_equal(vrrp_fsm_timer(&f, T0 + 643), 0);
	assert_int_equal(f.state, VRRP_STATE_BACKUP);

	/* preempt_delay: lower-priority masters are followed for that long after start. */
	c = cfg_with(200, 20, true, 5000);
	vrrp_fsm_init(&f, &c);
	vrrp_fsm_start(&f, T0);
	vrrp_fsm_advert(&f, T0 + 4900, 100, 20, &low, &me);
	assert_int_equal(vrrp_fsm_next_due(&f), T0 + 4900 + 643);
	vrrp_fsm_advert(&f, T0 + 5100, 100, 20, &low, &me);
	assert_int_equal(vrrp_fsm_next_due(&f), T0 + 4900 + 643);
	assert_int_equal(vrrp_fsm_timer(&f, T0 + 5543), VRRP_ACT_SEND_ADVERT | VRRP_ACT_TAKE_ADDRS);
}

/* A master yields to a higher priority, or to an equal one with a higher address. */
static void test_fsm_master_yields(void **state)
{
	struct ha_vrrp_config c = cfg_with(150, 20, true, 0);
	struct net_addr me = addr("10.0.0.5"), hi = addr("10.0.0.9"), lo = addr("10.0.0.1");
	struct vrrp_fsm f;

	vrrp_fsm_init(&f, &c);
	vrrp_fsm_start(&f, T0);
	vrrp_fsm_timer(&f, T0 + 1000);
	assert_int_equal(f.state, VRRP_STATE_MASTER);
	/* Lower priority, or equal with a lower address: ignored. */
	assert_int_equal(vrrp_fsm_advert(&f, T0 + 1100, 100, 20, &hi, &me), 0);
	assert_int_equal(vrrp_fsm_advert(&f, T0 + 1100, 150, 20, &lo, &me), 0);
	assert_int_equal(f.state, VRRP_STATE_MASTER);
	/* Equal priority, higher address: backup, timer from the advert's (faster) interval. */
	assert_int_equal(vrrp_fsm_advert(&f, T0 + 1200, 150, 10, &hi, &me), VRRP_ACT_DROP_ADDRS);
	assert_int_equal(f.state, VRRP_STATE_BACKUP);
	assert_int_equal(f.master_adver_cs, 10);
	assert_int_equal(vrrp_fsm_next_due(&f), T0 + 1200 + vrrp_master_down_ms(150, 10));
	assert_non_null(strstr(f.reason, "10.0.0.9"));

	vrrp_fsm_timer(&f, T0 + 9000);
	assert_int_equal(f.state, VRRP_STATE_MASTER);
	assert_int_equal(vrrp_fsm_advert(&f, T0 + 9100, 151, 20, &lo, &me), VRRP_ACT_DROP_ADDRS);
	assert_string_equal(f.reason, "advert from 10.0.0.1 with higher priority 151");
	assert_int_equal(f.transitions, 5);
}

/* The owner (255) is master from the start and nobody outranks it. */
static void test_fsm_owner(void **state)
{
	struct ha_vrrp_config c = cfg_with(255, 100, true, 0);
	struct net_addr peer = addr("10.0.0.9"), me = addr("10.0.0.1");
	struct vrrp_fsm f;

	vrrp_fsm_init(&f, &c);
	assert_int_equal(vrrp_fsm_start(&f, T0), VRRP_ACT_SEND_ADVERT | VRRP_ACT_TAKE_ADDRS);
	assert_int_equal(f.state, VRRP_STATE_MASTER);
	assert_int_equal(vrrp_fsm_start(&f, T0 + 1), 0); /* once */
	assert_int_equal(vrrp_fsm_advert(&f, T0 + 10, 254, 100, &peer, &me), 0);
	assert_int_equal(f.state, VRRP_STATE_MASTER);
}

/* A reload changes priority and interval without a transition. */
static void test_fsm_configure(void **state)
{
	struct ha_vrrp_config c = cfg_with(100, 100, true, 0);
	struct vrrp_fsm f;

	vrrp_fsm_init(&f, &c);
	vrrp_fsm_start(&f, T0);
	vrrp_fsm_timer(&f, T0 + 3609);
	assert_int_equal(f.state, VRRP_STATE_MASTER);
	c.advert_cs = 20;
	c.priority = 120;
	vrrp_fsm_configure(&f, &c, T0 + 4000);
	assert_int_equal(f.state, VRRP_STATE_MASTER);
	assert_int_equal(f.priority, 120);
	assert_int_equal(f.master_adver_cs, 20);
	assert_int_equal(vrrp_fsm_next_due(&f), T0 + 4000);
	assert_int_equal(vrrp_fsm_timer(&f, T0 + 4000), VRRP_ACT_SEND_ADVERT);
	assert_int_equal(vrrp_fsm_next_due(&f), T0 + 4200);
	assert_int_equal(f.transitions, 2);
	assert_string_equal(vrrp_state_name(f.state), "master");
	assert_string_equal(vrrp_state_upper(VRRP_STATE_BACKUP), "BACKUP");
	assert_string_equal(vrrp_state_name(VRRP_STATE_INIT), "init");
}


/* FAULT from Backup: silent and deaf until the fault clears, then Backup and the usual timers. */
static void test_fsm_fault_backup(void **state)
{
	struct ha_vrrp_config c = cfg_with(100, 20, true, 0);
	struct net_addr peer = addr("10.0.0.3"), me = addr("10.0.0.2");
	struct vrrp_fsm f;

	vrrp_fsm_init(&f, &c);
	vrrp_fsm_start(&f, T0);
	assert_int_equal(vrrp_fsm_track(&f, T0 + 100, 100, "interface eth0 is down"), 0);
	assert_int_equal(f.state, VRRP_STATE_FAULT);
	assert_int_equal(f.prev_state, VRRP_STATE_BACKUP);
	assert_string_equal(f.reason, "interface eth0 is down");
	assert_string_equal(f.fault, "interface eth0 is down");
	assert_string_equal(vrrp_state_name(f.state), "fault");
	assert_string_equal(vrrp_state_upper(f.state), "FAULT");
	assert_int_equal(vrrp_fsm_next_due(&f), VRRP_NO_DEADLINE);
	/* No master heard for ages: a faulty router still does not take over. */
	assert_int_equal(vrrp_fsm_timer(&f, T0 + 100000), 0);
	assert_int_equal(vrrp_fsm_advert(&f, T0 + 100001, 50, 20, &peer, &me), 0);
	assert_int_equal(vrrp_fsm_advert(&f, T0 + 100002, 0, 20, &peer, &me), 0);
	assert_int_equal(f.state, VRRP_STATE_FAULT);
	assert_int_equal(f.peer_priority, 0); /* still shown */
	/* Another failure on top, then the lot clears: Backup, down timer from now. */
	assert_int_equal(vrrp_fsm_track(&f, T0 + 200000, 100, "two things"), 0);
	assert_int_equal(f.transitions, 2);
	assert_int_equal(vrrp_fsm_track(&f, T0 + 300000, 100, NULL), VRRP_ACT_DROP_ADDRS);
	assert_int_equal(f.state, VRRP_STATE_BACKUP);
	assert_string_equal(f.reason, "fault cleared: two things");
	assert_string_equal(f.fault, "");
	assert_int_equal(vrrp_fsm_next_due(&f), T0 + 300000 + 721);
	assert_int_equal(vrrp_fsm_timer(&f, T0 + 300721), VRRP_ACT_SEND_ADVERT | VRRP_ACT_TAKE_ADDRS);
	/* Nothing wrong, nothing changed: nothing to do. */
	assert_int_equal(vrrp_fsm_track(&f, T0 + 300800, 100, NULL), 0);
	assert_int_equal(f.transitions, 4);
}

/* FAULT from Master: priority 0 so the backups take over at once, addresses dropped. */
static void test_fsm_fault_master(void **state)
{
	struct ha_vrrp_config c = cfg_with(200, 20, true, 0);
	struct vrrp_fsm f;

	vrrp_fsm_init(&f, &c);
	vrrp_fsm_start(&f, T0);
	vrrp_fsm_timer(&f, T0 + 1000);
	assert_int_equal(f.state, VRRP_STATE_MASTER);
	assert_int_equal(vrrp_fsm_track(&f, T0 + 1100, 200, "tracked service web lost its quorum"),
			 VRRP_ACT_SEND_RELEASE | VRRP_ACT_DROP_ADDRS);
	assert_int_equal(f.state, VRRP_STATE_FAULT);
	assert_int_equal(vrrp_fsm_next_due(&f), VRRP_NO_DEADLINE);
	/* Shutdown from FAULT: nothing to release. */
	assert_int_equal(vrrp_fsm_shutdown(&f, T0 + 1200), 0);
	assert_int_equal(f.state, VRRP_STATE_INIT);
}

/* A fault known before the start: FAULT at once (clearing leftovers); the owner back is Master. */
static void test_fsm_fault_at_start(void **state)
{
	struct ha_vrrp_config c = cfg_with(255, 100, true, 0);
	struct vrrp_fsm f;

	vrrp_fsm_init(&f, &c);
	assert_int_equal(vrrp_fsm_track(&f, T0, 255, "interface eth0 is down"), 0);
	assert_int_equal(f.state, VRRP_STATE_INIT);
	assert_int_equal(vrrp_fsm_start(&f, T0), VRRP_ACT_DROP_ADDRS);
	assert_int_equal(f.state, VRRP_STATE_FAULT);
	assert_int_equal(vrrp_fsm_track(&f, T0 + 50, 255, NULL),
			 VRRP_ACT_SEND_ADVERT | VRRP_ACT_TAKE_ADDRS);
	assert_int_equal(f.state, VRRP_STATE_MASTER);
	assert_string_equal(f.reason, "fault cleared: interface eth0 is down");
}

/*
 * Priority tracking between two routers, A (200) master and B (150) backup,
 * adverts passed by hand: A's priority drops to 100, it says so at once, B
 * stops resetting its timer and takes over within its Master_Down_Interval,
 * A yields on B's first advert; A back to 200 preempts the same way.
 */
static void test_fsm_track_priority_handover(void **state)
{
	struct ha_vrrp_config ca = cfg_with(200, 10, true, 0), cb = cfg_with(150, 10, true, 0);
	struct net_addr a_addr = addr("10.0.0.2"), b_addr = addr("10.0.0.3");
	struct vrrp_fsm a, b;
	uint64_t t = T0, down_b = vrrp_master_down_ms(150, 10), down_a = vrrp_master_down_ms(200, 10);

	vrrp_fsm_init(&a, &ca);
	vrrp_fsm_init(&b, &cb);
	vrrp_fsm_start(&a, t);
	vrrp_fsm_start(&b, t);
	vrrp_fsm_timer(&a, t + down_a);
	assert_int_equal(a.state, VRRP_STATE_MASTER);
	t += down_a;
	vrrp_fsm_advert(&b, t, a.priority, 10, &a_addr, &b_addr);

	/* Same priority again: nothing to tell. A lower one: an advert now. */
	assert_int_equal(vrrp_fsm_track(&a, t + 50, 200, NULL), 0);
	assert_int_equal(vrrp_fsm_track(&a, t + 50, 100, NULL), VRRP_ACT_SEND_ADVERT);
	assert_int_equal(vrrp_fsm_next_due(&a), t + 150);
	assert_int_equal(a.state, VRRP_STATE_MASTER);
	/* B hears 100 every interval and lets its timer (last reset at t) run out. */
	for (uint64_t at = t + 50; at < t + down_b; at += 100)
		assert_int_equal(vrrp_fsm_advert(&b, at, 100, 10, &a_addr, &b_addr), 0);
	assert_int_equal(vrrp_fsm_next_due(&b), t + down_b);
	assert_int_equal(vrrp_fsm_timer(&b, t + down_b), VRRP_ACT_SEND_ADVERT | VRRP_ACT_TAKE_ADDRS);
	assert_int_equal(vrrp_fsm_advert(&a, t + down_b, 150, 10, &b_addr, &a_addr),
			 VRRP_ACT_DROP_ADDRS);
	assert_int_equal(a.state, VRRP_STATE_BACKUP);
	assert_int_equal(b.state, VRRP_STATE_MASTER);

	/* A fine again (200): as a backup it has nothing to send, and preempts B by timing out. */
	t += down_b;
	assert_int_equal(vrrp_fsm_track(&a, t + 10, 200, NULL), 0);
	/* Its timer was set when it yielded, at priority 100. */
	down_a = vrrp_master_down_ms(100, 10);
	assert_int_equal(vrrp_fsm_next_due(&a), t + down_a);
	for (uint64_t at = t + 100; at < t + down_a; at += 100)
		assert_int_equal(vrrp_fsm_advert(&a, at, 150, 10, &b_addr, &a_addr), 0);
	assert_int_equal(vrrp_fsm_timer(&a, t + down_a), VRRP_ACT_SEND_ADVERT | VRRP_ACT_TAKE_ADDRS);
	assert_int_equal(vrrp_fsm_advert(&b, t + down_a, 200, 10, &a_addr, &b_addr),
			 VRRP_ACT_DROP_ADDRS);
	assert_int_equal(b.state, VRRP_STATE_BACKUP);
}

static struct ha_vrrp_config cfg_tracking(uint8_t prio)
{
	struct ha_vrrp_config c = cfg_with(prio, 100, true, 0);

	strcpy(c.iface, "eth0");
	strcpy(c.track_ifaces[0].name, "eth1");
	c.track_ifaces[0].weight = -50;
	strcpy(c.track_ifaces[1].name, "eth2");
	c.track_ifaces[1].weight = 20; /* added while up */
	strcpy(c.track_ifaces[2].name, "eth3"); /* no weight: FAULT */
	c.ntrack_ifaces = 3;
	strcpy(c.track_services[0].name, "web");
	c.track_services[0].weight = -100;
	strcpy(c.track_services[1].name, "db"); /* no weight: FAULT */
	c.ntrack_services = 2;
	return c;
}

/* keepalived's arithmetic: weights by state, the sum kept in 1..254, 255 untouched. */
static void test_track_eval(void **state)
{
	struct ha_vrrp_config c = cfg_tracking(100);
	struct vrrp_track_status st = {.own_up = true, .iface_up = {true, true, true}};
	char fault[80];

	/* All fine (quorum not reported yet counts as met): 100 + 20. */
	assert_int_equal(vrrp_track_eval(&c, &st, fault, sizeof(fault)), 120);
	assert_string_equal(fault, "");
	st.svc[0] = st.svc[1] = VRRP_QUORUM_MET;
	assert_int_equal(vrrp_track_eval(&c, &st, fault, sizeof(fault)), 120);
	/* eth1 down (-50), eth2 down (its +20 gone), web without quorum (-100): 1 at least. */
	st.iface_up[0] = false;
	assert_int_equal(vrrp_track_eval(&c, &st, fault, sizeof(fault)), 70);
	st.iface_up[1] = false;
	assert_int_equal(vrrp_track_eval(&c, &st, fault, sizeof(fault)), 50);
	st.svc[0] = VRRP_QUORUM_LOST;
	assert_int_equal(vrrp_track_eval(&c, &st, fault, sizeof(fault)), 1);
	assert_string_equal(fault, "");
	/* Up to 254 at most. */
	c = cfg_tracking(250);
	st = (struct vrrp_track_status){.own_up = true, .iface_up = {true, true, true}};
	assert_int_equal(vrrp_track_eval(&c, &st, fault, sizeof(fault)), 254);
	/* Faults: the first one named, the others counted. */
	st.svc[1] = VRRP_QUORUM_LOST;
	assert_int_equal(vrrp_track_eval(&c, &st, fault, sizeof(fault)), 254);
	assert_string_equal(fault, "tracked service db lost its quorum");
	st.iface_up[2] = false;
	vrrp_track_eval(&c, &st, fault, sizeof(fault));
	assert_string_equal(fault, "tracked interface eth3 is down (and 1 more)");
	st.own_up = false;
	vrrp_track_eval(&c, &st, fault, sizeof(fault));
	assert_string_equal(fault, "interface eth0 is down (and 2 more)");
	/* The owner's priority never moves (the config allows it no weights; FAULT still works). */
	c = cfg_with(255, 100, true, 0);
	strcpy(c.iface, "eth0");
	st = (struct vrrp_track_status){.own_up = false};
	assert_int_equal(vrrp_track_eval(&c, &st, fault, sizeof(fault)), 255);
	assert_string_equal(fault, "interface eth0 is down");
	assert_string_equal(vrrp_quorum_name(VRRP_QUORUM_UNKNOWN), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_checksum_keepalived),
	    cmocka_unit_test(test_encode_v4_layout),
	    cmocka_unit_test(test_roundtrip_v6),
	    cmocka_unit_test(test_decode_rejects),
	    cmocka_unit_test(test_ipv4_header),
	    cmocka_unit_test(test_addrs_match),
	    cmocka_unit_test(test_unicast_src),
	    cmocka_unit_test(test_timer_math),
	    cmocka_unit_test(test_fsm_backup_then_master),
	    cmocka_unit_test(test_fsm_backup_learns_interval),
	    cmocka_unit_test(test_fsm_interval_capped),
	    cmocka_unit_test(test_fsm_release_skew),
	    cmocka_unit_test(test_fsm_preempt),
	    cmocka_unit_test(test_fsm_master_yields),
	    cmocka_unit_test(test_fsm_owner),
	    cmocka_unit_test(test_fsm_configure),
	    cmocka_unit_test(test_fsm_fault_backup),
	    cmocka_unit_test(test_fsm_fault_master),
	    cmocka_unit_test(test_fsm_fault_at_start),
	    cmocka_unit_test(test_fsm_track_priority_handover),
	    cmocka_unit_test(test_track_eval),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
