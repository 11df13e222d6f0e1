// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The XDP program at its edges (BPF_PROG_TEST_RUN): frames a hostile tester
 * sent (issue 13, items 1-5: ICMP errors to other addresses, lying IP
 * lengths, long IPv6 extension chains, persistence to a real that takes no
 * new flows), and the two flow tables (SYN-only flows apart, their
 * accounting, a SYN flood that cannot evict an established flow).
 */
#include <errno.h>
#include <net/if.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pktbuild.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/icmp.h>

#include "dataplane.h"
#include "map_reset.h"
#include "log.h"
#include "sched/sched.h"


#define CLIENT4 "10.0.1.1"
#define LB4 "10.0.0.2" /* the LB's own address: not a VIP */
#define VIP4 "10.0.0.100" /* dr, rr over reals 1, 2 */
#define VIP4_TUN "10.0.0.101" /* tun, rr over real 3 (MTU 1500) */
#define VIP4_PERSIST "10.0.0.102" /* dr, rr over reals 4, 5, persistence */
#define CLIENT6 "2001:db8:1::1"
#define VIP6 "2001:db8::100" /* dr, rr over real 6 */
#define VIP6_NAT "2001:db8::101" /* nat, rr over real 7 */

enum { SVC_DR4 = 0, SVC_TUN4, SVC_PERSIST4, SVC_DR6, SVC_NAT6 };

struct fixture {
	struct dataplane *dp;
	int prog_fd;
	uint32_t ifindex;
};

static struct xlb_real make_real(struct fixture *f, uint32_t id, uint32_t svc_id, uint8_t family)
{
	struct xlb_real r = {
		.gen = 1000 + id,
		.flags = XLB_REAL_F_ACTIVE | XLB_REAL_F_NEW_FLOWS,
		.ifindex = f->ifindex,
		.svc_id = svc_id,
		.port = htons(80),
		.family = family,
		.mtu = 1500,
		.weight = 1,
	};

	if (family == XLB_FAMILY_V4) {
		r.addr.addr[0] = htonl(0x0a000200 + id);
		r.src_addr.addr[0] = ip4(LB4);
	} else {
		struct in6_addr a = ip6("2001:db8:2::");

		a.s6_addr[15] = (uint8_t)id;
		memcpy(r.addr.addr, &a, 16);
	}
	real_mac(id, r.dst_mac);
	memcpy(r.src_mac, EGRESS_MAC, 6);
	return r;
}

static struct xlb_service_key svc_key(uint8_t family, const char *vip)
{
	struct xlb_service_key k = { .port = htons(80), .proto = IPPROTO_TCP, .family = family };

	if (family == XLB_FAMILY_V4) {
		k.vip.addr[0] = ip4(vip);
	} else {
		struct in6_addr a = ip6(vip);

		memcpy(k.vip.addr, &a, 16);
	}
	return k;
}

/* An rr ring over @ids (each a usable real of the service), then the service pointing at it. */
static void put_service(struct fixture *f, uint32_t svc_id, uint8_t family, const char *vip,
			uint8_t method, const uint32_t *ids, size_t n, uint32_t persistence_ms)
{
	struct xlb_service_key key = svc_key(family, vip);
	struct xlb_ring *ring = calloc(1, sizeof(*ring));
	struct xlb_service svc = {
		.svc_id = svc_id,
		.flags = XLB_SVC_F_ACTIVE,
		.method = method,
		.sched_kind = XLB_SCHED_KIND_RING,
		.persistence_ms = persistence_ms,
	};

	assert_non_null(ring);
	for (size_t i = 0; i < n; i++) {
		struct xlb_real r = make_real(f, ids[i], svc_id, family);

		assert_int_equal(dataplane_real_put(f->dp, ids[i], &r), 0);
		ring->real_ids[ring->len++] = ids[i];
	}
	assert_int_equal(dataplane_ring_put(f->dp, svc_id * 2, ring), 0);
	assert_int_equal(dataplane_service_put(f->dp, &key, &svc), 0);
	free(ring);
}

static int setup(void **state)
{
	static const uint32_t dr4[] = { 1, 2 }, tun4[] = { 3 }, persist4[] = { 4, 5 }, dr6[] = { 6 },
			      nat6[] = { 7 };
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->dp = pkt_dp_fresh_lo(&f->ifindex);
	if (!f->dp) {
		free(f);
		return -1;
	}
	f->prog_fd = dataplane_prog_fd(f->dp, false);
	*state = f;
	put_service(f, SVC_DR4, XLB_FAMILY_V4, VIP4, XLB_METHOD_DR, dr4, 2, 0);
	put_service(f, SVC_TUN4, XLB_FAMILY_V4, VIP4_TUN, XLB_METHOD_TUN, tun4, 1, 0);
	put_service(f, SVC_PERSIST4, XLB_FAMILY_V4, VIP4_PERSIST, XLB_METHOD_DR, persist4, 2,
		    60000);
	put_service(f, SVC_DR6, XLB_FAMILY_V6, VIP6, XLB_METHOD_DR, dr6, 1, 0);
	put_service(f, SVC_NAT6, XLB_FAMILY_V6, VIP6_NAT, XLB_METHOD_NAT, nat6, 1, 0);
	return 0;
}

static uint32_t run(struct fixture *f, const struct pkt *in, struct pkt *out)
{
	uint8_t buf[PKT_MAX + 64] = { 0 };
	struct xdp_md ctx = { .data = 0, .data_end = (uint32_t)in->len,
			      .ingress_ifindex = f->ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = buf, .data_size_in = (uint32_t)in->len,
		    .data_out = buf, .data_size_out = sizeof(buf), .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);

	memcpy(buf, in->buf, in->len);
	if (bpf_prog_test_run_opts(f->prog_fd, &opts))
		fail_msg("bpf_prog_test_run_opts: %s", strerror(errno));
	*out = *in;
	out->len = opts.data_size_out;
	memcpy(out->buf, buf, out->len);
	return opts.retval;
}

static uint64_t counter(struct fixture *f, enum xlb_counter c)
{
	uint64_t v[XLB_CNT__COUNT];

	assert_int_equal(dataplane_counters_read(f->dp, v), 0);
	return v[c];
}

static void tcp4(struct pkt *p, const char *dst, uint16_t sport, uint8_t flags)
{
	pkt_init(p);
	pkt_eth(p, LB_MAC, CLIENT_MAC, ETH_P_IP);
	pkt_ipv4(p, ip4(CLIENT4), ip4(dst), IPPROTO_TCP);
	pkt_tcp(p, sport, 80, flags);
	pkt_finish(p);
}

/* SYN then ACK: an established flow; returns the real (by its MAC's last byte). */
static uint32_t establish4(struct fixture *f, const char *vip, uint16_t sport)
{
	struct pkt in, out;

	tcp4(&in, vip, sport, PKT_TCP_SYN);
	assert_int_equal(run(f, &in, &out), XDP_TX);
	tcp4(&in, vip, sport, PKT_TCP_ACK);
	assert_int_equal(run(f, &in, &out), XDP_TX);
	return out.buf[5];
}

/*
 * An ICMP destination unreachable (fragmentation needed) from a router to
 * @outer_dst, quoting the first 28 bytes of a reply VIP:80 -> client:@sport.
 */
static void icmp4_quote(struct pkt *p, const char *outer_dst, const char *vip, uint16_t sport)
{
	struct iphdr *inner;
	uint8_t *icmp, *ports;
	uint32_t sum;

	pkt_init(p);
	pkt_eth(p, LB_MAC, CLIENT_MAC, ETH_P_IP);
	pkt_ipv4(p, ip4("10.9.9.9"), ip4(outer_dst), IPPROTO_ICMP);
	icmp = pkt_put(p, 8);
	icmp[0] = ICMP_DEST_UNREACH;
	icmp[1] = ICMP_FRAG_NEEDED;
	icmp[6] = 1500 >> 8;
	icmp[7] = 1500 & 0xff;
	inner = pkt_put(p, sizeof(*inner));
	inner->version = 4;
	inner->ihl = 5;
	inner->tot_len = htons(40);
	inner->ttl = 64;
	inner->protocol = IPPROTO_TCP;
	inner->saddr = ip4(vip);
	inner->daddr = ip4(CLIENT4);
	ports = pkt_put(p, 8);
	pkt_put_be16(ports, 80);
	pkt_put_be16(ports + 2, sport);
	pkt_finish(p);
	sum = pkt_csum_add(0, icmp, p->len - (size_t)(icmp - p->buf));
	pkt_put_be16(icmp + 2, pkt_csum_fold(sum));
}

/* Item 1: an ICMP error is the flow's only if it is addressed to the VIP it quotes. */
static void test_icmp_error_to_other_address(void **state)
{
	struct fixture *f = *state;
	struct pkt in, out;

	establish4(f, VIP4, 1111);
	icmp4_quote(&in, LB4, VIP4, 1111);
	assert_int_equal(run(f, &in, &out), XDP_PASS);
	assert_int_equal(out.len, in.len);
	assert_memory_equal(out.buf, in.buf, in.len);
	/* the same error sent to the VIP follows the flow to its real */
	icmp4_quote(&in, VIP4, VIP4, 1111);
	assert_int_equal(run(f, &in, &out), XDP_TX);
	assert_int_equal(out.buf[0], 0x02);
	assert_int_equal(out.buf[1], 0x52);
}

/* Item 2: the IPv4 total length is checked against the frame and the headers. */
static void test_ipv4_length_lies(void **state)
{
	struct fixture *f = *state;
	struct pkt in, out;
	struct iphdr *ip;
	uint64_t malformed = counter(f, XLB_CNT_PASS_MALFORMED);
	struct xlb_flow_key key = { .sport = htons(2222), .dport = htons(80),
				    .proto = IPPROTO_TCP, .family = XLB_FAMILY_V4 };
	struct xlb_flow flow;

	/* a 54-byte SYN claiming 65535 bytes: not a too-big packet, a malformed one */
	tcp4(&in, VIP4_TUN, 2222, PKT_TCP_SYN);
	ip = (struct iphdr *)(in.buf + in.l3_off);
	ip->tot_len = htons(65535);
	ip->check = 0;
	ip->check = htons(pkt_csum_fold(pkt_csum_add(0, ip, 20)));
	assert_int_equal(run(f, &in, &out), XDP_PASS);
	assert_memory_equal(out.buf, in.buf, in.len);

	/* tot_len 20: the TCP header lies outside the IP packet */
	tcp4(&in, VIP4, 2222, PKT_TCP_SYN);
	ip = (struct iphdr *)(in.buf + in.l3_off);
	ip->tot_len = htons(20);
	ip->check = 0;
	ip->check = htons(pkt_csum_fold(pkt_csum_add(0, ip, 20)));
	assert_int_equal(run(f, &in, &out), XDP_PASS);
	key.src.addr[0] = ip4(CLIENT4);
	key.dst.addr[0] = ip4(VIP4);
	assert_int_equal(dataplane_flow_get(f->dp, &key, &flow), -ENOENT);
	assert_int_equal(counter(f, XLB_CNT_PASS_MALFORMED) - malformed, 2);

	/* Ethernet padding behind a short packet is fine: the outer length is the inner's + 20 */
	tcp4(&in, VIP4_TUN, 2223, PKT_TCP_SYN);
	memset(pkt_put(&in, 6), 0, 6);
	assert_int_equal(in.len, 60);
	assert_int_equal(run(f, &in, &out), XDP_TX);
	ip = (struct iphdr *)(out.buf + 14);
	assert_int_equal(ntohs(ip->tot_len), 40 + 20);
}

/* Item 2: an ICMP error too big to encapsulate is dropped, never answered with an ICMP error. */
static void test_no_icmp_about_icmp(void **state)
{
	struct fixture *f = *state;
	struct pkt in, out;
	uint8_t pad[1480] = { 0 };
	uint64_t too_big = counter(f, XLB_CNT_DROP_TOO_BIG);
	uint64_t sent = counter(f, XLB_CNT_ICMP_TOO_BIG);

	establish4(f, VIP4_TUN, 3333);
	icmp4_quote(&in, VIP4_TUN, VIP4_TUN, 3333);
	/* the quote of a big reply: 1488 bytes of ICMP, 1508 of IP, 1528 encapsulated */
	memcpy(pkt_put(&in, sizeof(pad)), pad, sizeof(pad));
	pkt_finish(&in);
	assert_int_equal(run(f, &in, &out), XDP_DROP);
	assert_int_equal(counter(f, XLB_CNT_DROP_TOO_BIG) - too_big, 1);
	assert_int_equal(counter(f, XLB_CNT_ICMP_TOO_BIG) - sent, 0);
}

static void tcp6(struct pkt *p, const char *dst, uint16_t sport, uint8_t flags, int next_ext,
		 size_t ext_len)
{
	struct in6_addr s = ip6(CLIENT6), d = ip6(dst);

	pkt_init(p);
	pkt_eth(p, LB_MAC, CLIENT_MAC, ETH_P_IPV6);
	pkt_ipv6(p, &s, &d, IPPROTO_TCP);
	for (int i = 0; i < next_ext; i++)
		pkt_ipv6_ext(p, IPPROTO_DSTOPTS, ext_len);
	pkt_tcp(p, sport, 80, flags);
	pkt_finish(p);
}

/* Item 3: up to four extension headers are walked, the last next-header included. */
static void test_ipv6_four_ext_headers(void **state)
{
	struct fixture *f = *state;
	struct pkt in, out;

	tcp6(&in, VIP6, 4444, PKT_TCP_SYN, 3, 8);
	assert_int_equal(run(f, &in, &out), XDP_TX);
	tcp6(&in, VIP6, 4445, PKT_TCP_SYN, 4, 8);
	assert_int_equal(run(f, &in, &out), XDP_TX);
	tcp6(&in, VIP6, 4446, PKT_TCP_SYN, 5, 8);
	assert_int_equal(run(f, &in, &out), XDP_PASS);
	assert_memory_equal(out.buf, in.buf, in.len);
}

/* Item 4: headers beyond what a rewrite can reach are refused before a flow exists. */
static void test_ipv6_ext_beyond_reach(void **state)
{
	struct fixture *f = *state;
	struct pkt in, out;
	struct xlb_flow_key key = { .sport = htons(5555), .dport = htons(80),
				    .proto = IPPROTO_TCP, .family = XLB_FAMILY_V6 };
	struct in6_addr s = ip6(CLIENT6), d = ip6(VIP6_NAT);
	struct xlb_flow flow;
	uint64_t malformed = counter(f, XLB_CNT_PASS_MALFORMED);
	uint64_t dropped = counter(f, XLB_CNT_DROP_REWRITE);

	/* 2 x 512 bytes of destination options: the TCP header starts past byte 1023 */
	tcp6(&in, VIP6_NAT, 5555, PKT_TCP_SYN, 2, 512);
	assert_true(in.l4_off > 1023);
	assert_int_equal(run(f, &in, &out), XDP_PASS);
	memcpy(key.src.addr, &s, 16);
	memcpy(key.dst.addr, &d, 16);
	assert_int_equal(dataplane_flow_get(f->dp, &key, &flow), -ENOENT);
	assert_int_equal(counter(f, XLB_CNT_PASS_MALFORMED) - malformed, 1);
	assert_int_equal(counter(f, XLB_CNT_DROP_REWRITE) - dropped, 0);
}

/* Item 5: a client's persistent real is used only while it takes new flows. */
static void test_persist_respects_new_flows(void **state)
{
	struct fixture *f = *state;
	struct xlb_real r;
	uint32_t first, other, again;

	first = establish4(f, VIP4_PERSIST, 6000);
	assert_int_equal(establish4(f, VIP4_PERSIST, 6001), first); /* persistence holds */
	other = first == 4 ? 5 : 4;
	/* health down under on_failure: weight0: existing flows stay, no new ones */
	r = make_real(f, first, SVC_PERSIST4, XLB_FAMILY_V4);
	r.flags = XLB_REAL_F_ACTIVE;
	assert_int_equal(dataplane_real_put(f->dp, first, &r), 0);
	again = establish4(f, VIP4_PERSIST, 6002);
	assert_int_equal(again, other);
}

/* The handshake's SYN lives in syn_flows; its next packet moves the flow to flows. */
static void test_syn_table(void **state)
{
	struct fixture *f = *state;
	int syn_fd = dataplane_map_fd(f->dp, "syn_flows"), flows_fd = dataplane_map_fd(f->dp, "flows");
	struct xlb_flow_key key = { .sport = htons(7000), .dport = htons(80),
				    .proto = IPPROTO_TCP, .family = XLB_FAMILY_V4 };
	uint64_t ins = counter(f, XLB_CNT_FLOW_INSERT), syn_ins = counter(f, XLB_CNT_SYN_INSERT);
	uint64_t syn_rm = counter(f, XLB_CNT_SYN_REMOVED);
	struct xlb_flow flow;
	struct pkt in, out;
	uint32_t real;

	key.src.addr[0] = ip4(CLIENT4);
	key.dst.addr[0] = ip4(VIP4);
	tcp4(&in, VIP4, 7000, PKT_TCP_SYN);
	assert_int_equal(run(f, &in, &out), XDP_TX);
	real = out.buf[5];
	assert_int_equal(bpf_map_lookup_elem(syn_fd, &key, &flow), 0);
	assert_int_equal(flow.state, XLB_FS_SYN);
	assert_int_not_equal(bpf_map_lookup_elem(flows_fd, &key, &flow), 0);
	/* a retransmitted SYN goes to the same real and stays where it is */
	assert_int_equal(run(f, &in, &out), XDP_TX);
	assert_int_equal(out.buf[5], real);
	assert_int_equal(counter(f, XLB_CNT_SYN_INSERT) - syn_ins, 1);
	tcp4(&in, VIP4, 7000, PKT_TCP_ACK);
	assert_int_equal(run(f, &in, &out), XDP_TX);
	assert_int_equal(out.buf[5], real);
	assert_int_equal(bpf_map_lookup_elem(flows_fd, &key, &flow), 0);
	assert_int_equal(flow.state, XLB_FS_EST);
	assert_int_not_equal(bpf_map_lookup_elem(syn_fd, &key, &flow), 0);
	assert_int_equal(counter(f, XLB_CNT_FLOW_INSERT) - ins, 1);
	assert_int_equal(counter(f, XLB_CNT_SYN_REMOVED) - syn_rm, 1);
}

/* More SYNs than syn_flows holds: they evict each other, never an established flow. */
static void test_syn_flood_keeps_established(void **state)
{
	struct fixture *f = *state;
	int syn_fd = dataplane_map_fd(f->dp, "syn_flows");
	struct bpf_map_info info = {};
	uint32_t len = sizeof(info), flood;
	uint32_t real[64];
	struct pkt in, out;

	assert_int_equal(bpf_obj_get_info_by_fd(syn_fd, &info, &len), 0);
	for (uint16_t i = 0; i < 64; i++)
		real[i] = establish4(f, VIP4, (uint16_t)(10000 + i));
	/* 3x the SYN table, from other clients */
	flood = info.max_entries * 3;
	for (uint32_t i = 0; i < flood; i++) {
		pkt_init(&in);
		pkt_eth(&in, LB_MAC, CLIENT_MAC, ETH_P_IP);
		pkt_ipv4(&in, htonl(0xc6120000 + (i >> 14)), ip4(VIP4), IPPROTO_TCP);
		pkt_tcp(&in, (uint16_t)(1024 + (i & 0x3fff)), 80, PKT_TCP_SYN);
		pkt_finish(&in);
		assert_int_equal(run(f, &in, &out), XDP_TX);
	}
	for (uint16_t i = 0; i < 64; i++) {
		struct xlb_flow_key key = { .sport = htons((uint16_t)(10000 + i)),
					    .dport = htons(80), .proto = IPPROTO_TCP,
					    .family = XLB_FAMILY_V4 };
		struct xlb_flow flow;

		key.src.addr[0] = ip4(CLIENT4);
		key.dst.addr[0] = ip4(VIP4);
		assert_int_equal(dataplane_flow_get(f->dp, &key, &flow), 0);
		assert_int_equal(flow.state, XLB_FS_EST);
		tcp4(&in, VIP4, (uint16_t)(10000 + i), PKT_TCP_ACK);
		assert_int_equal(run(f, &in, &out), XDP_TX);
		assert_int_equal(out.buf[5], real[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_icmp_error_to_other_address, setup, pkt_free_state),
		cmocka_unit_test_setup_teardown(test_ipv4_length_lies, setup, pkt_free_state),
		cmocka_unit_test_setup_teardown(test_no_icmp_about_icmp, setup, pkt_free_state),
		cmocka_unit_test_setup_teardown(test_ipv6_four_ext_headers, setup, pkt_free_state),
		cmocka_unit_test_setup_teardown(test_ipv6_ext_beyond_reach, setup, pkt_free_state),
		cmocka_unit_test_setup_teardown(test_persist_respects_new_flows, setup, pkt_free_state),
		cmocka_unit_test_setup_teardown(test_syn_table, setup, pkt_free_state),
		cmocka_unit_test_setup_teardown(test_syn_flood_keeps_established, setup, pkt_free_state),
	};

	return pkt_dp_run_group("test_pkt_edge", tests);
}
