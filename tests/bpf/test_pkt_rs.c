// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* xlb-rs's tc program on crafted frames (BPF_PROG_TEST_RUN): decap, DSCP restore, untouched. */
#include <errno.h>
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

#include "xlb_rs_bpf.h"

/* what the program returns for every packet it lets through, changed or not */
#define TC_ACT_UNSPEC ((uint32_t)-1)

static const uint8_t RS_MAC[6] = {0x02, 0x00, 0x00, 0x00, 0x55, 0x01};

#define CLIENT4 "192.0.2.10"
#define LB4 "10.1.0.2"
#define REAL4 "10.1.0.5"
#define VIP_TUN4 "10.0.0.1"
#define VIP_GUE4 "10.0.0.2"
#define VIP_DSCP4 "10.0.0.3"
#define VIP_GUE4_7000 "10.0.0.4" /* a gue VIP on another port */
#define OTHER4 "10.0.0.99"
#define CLIENT6 "2001:db8:c::10"
#define LB6 "2001:db8:1::2"
#define REAL6 "2001:db8:1::5"
#define VIP_TUN6 "2001:db8::1"
#define VIP_GUE6 "2001:db8::2"
#define VIP_DSCP6 "2001:db8::3"
#define OTHER6 "2001:db8::99"
#define DSCP4 10
#define DSCP6 12
#define GUE_PORT 6080

struct fixture {
	struct rs_prog prog;
	struct rs_bpf_vip vips[8];
	size_t nvips;
};

static void add_vip(struct fixture *f, const char *vip, int method, uint8_t dscp, uint16_t port)
{
	struct net_addr a;

	assert_int_equal(net_addr_parse(vip, &a), 0);
	rs_bpf_vip_make(&f->vips[f->nvips++], &a, method, dscp, port);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	int err;

	if (!f)
		return -1;
	err = rs_bpf_load(&f->prog);
	if (err) {
		print_error("rs_bpf_load: %s\n", strerror(-err));
		free(f);
		return -1;
	}
	add_vip(f, VIP_TUN4, XLB_METHOD_TUN, 0, 0);
	add_vip(f, VIP_TUN6, XLB_METHOD_TUN, 0, 0);
	add_vip(f, VIP_GUE4, XLB_METHOD_GUE, 0, GUE_PORT);
	add_vip(f, VIP_GUE6, XLB_METHOD_GUE, 0, GUE_PORT);
	add_vip(f, VIP_GUE4_7000, XLB_METHOD_GUE, 0, 7000);
	add_vip(f, VIP_DSCP4, XLB_METHOD_DSCP, DSCP4, 0);
	add_vip(f, VIP_DSCP6, XLB_METHOD_DSCP, DSCP6, 0);
	err = rs_bpf_sync(&f->prog, f->vips, f->nvips);
	if (err) {
		print_error("rs_bpf_sync: %s\n", strerror(-err));
		rs_bpf_close(&f->prog);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	rs_bpf_close(&f->prog);
	free(f);
	return 0;
}

/* ---- running ---- */

static void run(struct fixture *f, const char *desc, const struct pkt *in, struct pkt *out)
{
	uint8_t buf[PKT_MAX + 64];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in->buf, .data_size_in = in->len,
		    .data_out = buf, .data_size_out = sizeof(buf), .repeat = 1);

	if (bpf_prog_test_run_opts(f->prog.prog_fd, &opts))
		fail_msg("%s: bpf_prog_test_run_opts: %s", desc, strerror(errno));
	if (opts.retval != TC_ACT_UNSPEC)
		fail_msg("%s: returned %d, want TC_ACT_UNSPEC", desc, (int)opts.retval);
	pkt_init(out);
	out->len = opts.data_size_out;
	memcpy(out->buf, buf, out->len);
}

static void counters(struct fixture *f, __u64 c[XLB_RS_CNT__COUNT])
{
	assert_int_equal(rs_bpf_counters(&f->prog, c), 0);
}

/* Runs @in and checks that exactly counter @which (and rx) moved by one. */
static void run_counted(struct fixture *f, const char *desc, const struct pkt *in, struct pkt *out,
			int which)
{
	__u64 before[XLB_RS_CNT__COUNT], after[XLB_RS_CNT__COUNT];
	bool bad = false;

	counters(f, before);
	run(f, desc, in, out);
	counters(f, after);
	for (int c = 0; c < XLB_RS_CNT__COUNT; c++) {
		uint64_t want = c == XLB_RS_CNT_RX || c == which ? 1 : 0;

		if (after[c] - before[c] == want)
			continue;
		print_error("%s: counter %s moved by %llu, want %llu\n", desc,
			    rs_bpf_counter_name(c), (unsigned long long)(after[c] - before[c]),
			    (unsigned long long)want);
		bad = true;
	}
	if (bad)
		fail();
}

static void expect_untouched(struct fixture *f, const char *desc, const struct pkt *in, int which)
{
	struct pkt out;

	run_counted(f, desc, in, &out, which);
	check_bytes(desc, &out, in);
}

static void check_vip_stats(struct fixture *f, const char *vip, uint64_t packets, uint64_t bytes)
{
	struct rs_bpf_vip v;
	struct xlb_rs_vip_stats st;
	struct net_addr a;

	assert_int_equal(net_addr_parse(vip, &a), 0);
	rs_bpf_vip_make(&v, &a, XLB_METHOD_TUN, 0, 0);
	assert_int_equal(rs_bpf_vip_stats(&f->prog, &v.key, &st), 0);
	if (st.packets != packets || st.bytes != bytes)
		fail_msg("VIP %s: packets/bytes %llu/%llu, want %llu/%llu", vip,
			 (unsigned long long)st.packets, (unsigned long long)st.bytes,
			 (unsigned long long)packets, (unsigned long long)bytes);
}

/* ---- frames ---- */

static const char http_get[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

/* A client packet as the LB received it: Ethernet (to the real) + IP + TCP/UDP. */
static void build_inner(struct pkt *p, int family, const char *dst, uint8_t proto, bool payload)
{
	pkt_init(p);
	pkt_eth(p, RS_MAC, LB_MAC, family == 4 ? ETH_P_IP : ETH_P_IPV6);
	if (family == 4) {
		pkt_ipv4(p, ip4(CLIENT4), ip4(dst), proto);
	} else {
		struct in6_addr s = ip6(CLIENT6), d = ip6(dst);

		pkt_ipv6(p, &s, &d, proto);
	}
	if (proto == IPPROTO_TCP)
		pkt_tcp(p, 40000, 80, payload ? PKT_TCP_PSH | PKT_TCP_ACK : PKT_TCP_SYN);
	else if (proto == IPPROTO_UDP)
		pkt_udp(p, 40000, 53);
	else
		pkt_payload(p, "\x08\x00\xf7\xfe\x00\x01\x00\x00", 8); /* ICMP echo */
	if (payload)
		pkt_payload(p, http_get, sizeof(http_get) - 1);
	pkt_finish(p);
}

enum encap { ENC_TUN, ENC_GUE };

/*
 * @inner wrapped the way xlbd sends it: outer IP from the LB to the real (DF,
 * TTL 64), for gue a UDP header with checksum 0, then the inner IP packet.
 */
static void encap(struct pkt *out, const struct pkt *inner, int outer_family, enum encap how,
		  uint16_t port)
{
	int inner_family = inner->l3;
	uint8_t proto;

	if (how == ENC_GUE)
		proto = IPPROTO_UDP;
	else
		proto = inner_family == 4 ? IPPROTO_IPIP : IPPROTO_IPV6;
	pkt_init(out);
	pkt_eth(out, RS_MAC, LB_MAC, outer_family == 4 ? ETH_P_IP : ETH_P_IPV6);
	if (outer_family == 4) {
		pkt_ipv4(out, ip4(LB4), ip4(REAL4), proto);
	} else {
		struct in6_addr s = ip6(LB6), d = ip6(REAL6);

		pkt_ipv6(out, &s, &d, proto);
	}
	if (how == ENC_GUE)
		pkt_udp(out, 0xc123, port);
	pkt_payload(out, inner->buf + ETH_HLEN, inner->len - ETH_HLEN);
	pkt_finish(out);
	if (how == ENC_GUE)
		memset(out->buf + out->l4_off + offsetof(struct udphdr, check), 0, 2);
}

/* Traffic class of an IPv6 header (it straddles the first two bytes). */
static void set_tclass(struct pkt *p, uint8_t tc)
{
	uint8_t *h = p->buf + p->l3_off;

	h[0] = (h[0] & 0xf0) | tc >> 4;
	h[1] = (h[1] & 0x0f) | (uint8_t)(tc << 4);
}

/* A client packet as dscp sends it: to the real's own address, DSCP marked. */
static void build_dscp(struct pkt *p, int family, const char *dst, uint8_t proto, uint8_t dscp,
		       uint8_t ecn)
{
	build_inner(p, family, dst, proto, true);
	if (family == 4)
		((struct iphdr *)(p->buf + p->l3_off))->tos = dscp << 2 | ecn;
	else
		set_tclass(p, dscp << 2 | ecn);
	pkt_finish(p);
}

/* ---- an independent checksum: 16-bit big-endian words, 64-bit accumulator ---- */

struct csum {
	uint64_t sum;
	bool odd; /* an odd number of bytes so far: the next byte is a low half */
};

static void csum_bytes(struct csum *c, const uint8_t *b, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		c->sum += c->odd ? b[i] : (uint64_t)b[i] << 8;
		c->odd = !c->odd;
	}
}

static uint16_t csum_result(const struct csum *c)
{
	uint64_t s = c->sum;

	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static bool ipv4_header_ok(const uint8_t *ip)
{
	struct csum c = {0};

	csum_bytes(&c, ip, (ip[0] & 0xf) * 4);
	return csum_result(&c) == 0xffff;
}

/* TCP/UDP checksum of the frame's only segment, pseudo-header included; true if it verifies. */
static bool l4_ok(const struct pkt *p, int family, uint8_t proto)
{
	const uint8_t *l3 = p->buf + ETH_HLEN;
	size_t l3_len = family == 4 ? (l3[0] & 0xf) * 4 : 40;
	const uint8_t *l4 = l3 + l3_len;
	size_t l4_len = p->len - ETH_HLEN - l3_len;
	uint8_t tail[8] = {0};
	struct csum c = {0};

	if (family == 4) {
		csum_bytes(&c, l3 + 12, 8);
		tail[1] = proto;
		tail[2] = l4_len >> 8;
		tail[3] = l4_len & 0xff;
		csum_bytes(&c, tail, 4);
	} else {
		csum_bytes(&c, l3 + 8, 32);
		tail[2] = l4_len >> 8;
		tail[3] = l4_len & 0xff;
		tail[7] = proto;
		csum_bytes(&c, tail, 8);
	}
	csum_bytes(&c, l4, l4_len);
	return csum_result(&c) == 0xffff;
}

/* Zeroes the IPv4 header checksum and the L4 checksum, to compare everything else. */
static void mask_csums(struct pkt *p, int family, uint8_t proto)
{
	uint8_t *l3 = p->buf + ETH_HLEN;
	size_t l3_len = family == 4 ? (l3[0] & 0xf) * 4 : 40;

	if (family == 4)
		memset(l3 + 10, 0, 2);
	memset(l3 + l3_len + (proto == IPPROTO_TCP ? 16 : 6), 0, 2);
}

/* ---- decapsulation ---- */

struct decap_case {
	const char *desc;
	enum encap how;
	int outer, inner;
	const char *vip;
	uint8_t proto;
	int counter;
};

static void test_decap(void **state)
{
	static const struct decap_case cases[] = {
	    {"tun v4 SYN", ENC_TUN, 4, 4, VIP_TUN4, IPPROTO_TCP, XLB_RS_CNT_DECAP_TUN},
	    {"tun v6 SYN", ENC_TUN, 6, 6, VIP_TUN6, IPPROTO_TCP, XLB_RS_CNT_DECAP_TUN},
	    {"tun v4 UDP", ENC_TUN, 4, 4, VIP_TUN4, IPPROTO_UDP, XLB_RS_CNT_DECAP_TUN},
	    {"gue v4-in-v4 SYN", ENC_GUE, 4, 4, VIP_GUE4, IPPROTO_TCP, XLB_RS_CNT_DECAP_GUE},
	    {"gue v6-in-v6 SYN", ENC_GUE, 6, 6, VIP_GUE6, IPPROTO_TCP, XLB_RS_CNT_DECAP_GUE},
	    {"gue v6-in-v4 SYN", ENC_GUE, 4, 6, VIP_GUE6, IPPROTO_TCP, XLB_RS_CNT_DECAP_GUE},
	    {"gue v4-in-v6 SYN", ENC_GUE, 6, 4, VIP_GUE4, IPPROTO_TCP, XLB_RS_CNT_DECAP_GUE},
	    {"gue v4-in-v6 UDP", ENC_GUE, 6, 4, VIP_GUE4, IPPROTO_UDP, XLB_RS_CNT_DECAP_GUE},
	};
	struct fixture *f = *state;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct decap_case *c = &cases[i];

		for (int data = 0; data <= 1; data++) {
			struct pkt inner, in, out;
			char desc[96];

			snprintf(desc, sizeof(desc), "%s%s", c->desc, data ? " with data" : "");
			build_inner(&inner, c->inner, c->vip, c->proto, data);
			encap(&in, &inner, c->outer, c->how, GUE_PORT);
			run_counted(f, desc, &in, &out, c->counter);
			/* exactly the inner packet behind the original Ethernet header */
			check_bytes(desc, &out, &inner);
		}
	}
}

/* Outer IPv4 options and IPv6 extension headers go with the outer header. */
static void test_decap_long_outer(void **state)
{
	static const uint8_t nops[4] = {1, 1, 1, 0}; /* NOP NOP NOP EOL */
	struct in6_addr s = ip6(LB6), d = ip6(REAL6);
	struct fixture *f = *state;
	struct pkt inner, in, out;

	build_inner(&inner, 4, VIP_TUN4, IPPROTO_TCP, true);
	pkt_init(&in);
	pkt_eth(&in, RS_MAC, LB_MAC, ETH_P_IP);
	pkt_ipv4(&in, ip4(LB4), ip4(REAL4), IPPROTO_IPIP);
	pkt_ipv4_options(&in, nops, sizeof(nops));
	pkt_payload(&in, inner.buf + ETH_HLEN, inner.len - ETH_HLEN);
	pkt_finish(&in);
	run_counted(f, "tun v4, outer options", &in, &out, XLB_RS_CNT_DECAP_TUN);
	check_bytes("tun v4, outer options", &out, &inner);

	build_inner(&inner, 6, VIP_GUE6, IPPROTO_UDP, true);
	pkt_init(&in);
	pkt_eth(&in, RS_MAC, LB_MAC, ETH_P_IPV6);
	pkt_ipv6(&in, &s, &d, IPPROTO_UDP);
	pkt_ipv6_ext(&in, IPPROTO_DSTOPTS, 16);
	pkt_udp(&in, 0xc123, GUE_PORT);
	pkt_payload(&in, inner.buf + ETH_HLEN, inner.len - ETH_HLEN);
	pkt_finish(&in);
	run_counted(f, "gue v6, outer destination options", &in, &out, XLB_RS_CNT_DECAP_GUE);
	check_bytes("gue v6, outer destination options", &out, &inner);
}

/* Per-VIP counters count what was handed to the VIP, after decapsulation. */
static void test_vip_stats(void **state)
{
	struct fixture *f = *state;
	struct pkt inner, in, out;

	check_vip_stats(f, VIP_TUN4, 0, 0);
	build_inner(&inner, 4, VIP_TUN4, IPPROTO_TCP, true);
	encap(&in, &inner, 4, ENC_TUN, 0);
	run(f, "tun", &in, &out);
	run(f, "tun again", &in, &out);
	check_vip_stats(f, VIP_TUN4, 2, 2 * inner.len);
	check_vip_stats(f, VIP_GUE4, 0, 0);
}

/* A VIP taken out of the maps (xlb-rs down) is not decapsulated any more. */
static void test_sync_removes(void **state)
{
	struct fixture *f = *state;
	struct pkt inner, in, out;

	/* keep only the IPv6 tun VIP */
	assert_int_equal(rs_bpf_sync(&f->prog, &f->vips[1], 1), 0);
	build_inner(&inner, 4, VIP_TUN4, IPPROTO_TCP, false);
	encap(&in, &inner, 4, ENC_TUN, 0);
	expect_untouched(f, "tun v4 after its VIP went", &in, XLB_RS_CNT_PASS_NOT_OURS);
	build_inner(&inner, 4, VIP_GUE4, IPPROTO_TCP, false);
	encap(&in, &inner, 4, ENC_GUE, GUE_PORT);
	expect_untouched(f, "gue after the port's VIPs went", &in, XLB_RS_CNT_PASS_NOT_OURS);
	build_dscp(&in, 4, REAL4, IPPROTO_TCP, DSCP4, 0);
	expect_untouched(f, "dscp after its VIP went", &in, XLB_RS_CNT_PASS_NOT_OURS);
	build_inner(&inner, 6, VIP_TUN6, IPPROTO_TCP, false);
	encap(&in, &inner, 6, ENC_TUN, 0);
	run_counted(f, "tun v6, still up", &in, &out, XLB_RS_CNT_DECAP_TUN);
	check_bytes("tun v6, still up", &out, &inner);

	/* and back: sync is idempotent and restores everything */
	assert_int_equal(rs_bpf_sync(&f->prog, f->vips, f->nvips), 0);
	assert_int_equal(rs_bpf_sync(&f->prog, f->vips, f->nvips), 0);
	build_inner(&inner, 4, VIP_TUN4, IPPROTO_TCP, false);
	encap(&in, &inner, 4, ENC_TUN, 0);
	run_counted(f, "tun v4 after re-sync", &in, &out, XLB_RS_CNT_DECAP_TUN);
	check_bytes("tun v4 after re-sync", &out, &inner);
}

/* ---- DSCP restore ---- */

struct dscp_case {
	const char *desc;
	int family;
	uint8_t proto;
	uint8_t ecn;
	bool udp_no_csum;
};

static void test_dscp(void **state)
{
	static const struct dscp_case cases[] = {
	    {"dscp v4 TCP", 4, IPPROTO_TCP, 0, false},
	    {"dscp v4 TCP, ECN CE kept", 4, IPPROTO_TCP, 3, false},
	    {"dscp v4 UDP", 4, IPPROTO_UDP, 0, false},
	    {"dscp v4 UDP without checksum", 4, IPPROTO_UDP, 1, true},
	    {"dscp v6 TCP", 6, IPPROTO_TCP, 0, false},
	    {"dscp v6 TCP, ECN ECT(0) kept", 6, IPPROTO_TCP, 2, false},
	    {"dscp v6 UDP", 6, IPPROTO_UDP, 0, false},
	};
	struct fixture *f = *state;
	uint64_t v4_packets = 0, v4_bytes = 0;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct dscp_case *c = &cases[i];
		const char *real = c->family == 4 ? REAL4 : REAL6;
		const char *vip = c->family == 4 ? VIP_DSCP4 : VIP_DSCP6;
		uint8_t dscp = c->family == 4 ? DSCP4 : DSCP6;
		struct pkt in, out, want, got;

		build_dscp(&in, c->family, real, c->proto, dscp, c->ecn);
		/* what the client sent, DSCP aside: to the VIP, checksums computed afresh */
		build_dscp(&want, c->family, vip, c->proto, 0, c->ecn);
		if (c->udp_no_csum) {
			memset(in.buf + in.l4_off + 6, 0, 2);
			memset(want.buf + want.l4_off + 6, 0, 2);
		}
		run_counted(f, c->desc, &in, &out, XLB_RS_CNT_DSCP_RESTORED);
		if (c->family == 4 && !ipv4_header_ok(out.buf + ETH_HLEN))
			fail_msg("%s: IPv4 header checksum does not verify", c->desc);
		if (c->udp_no_csum) {
			if (out.buf[in.l4_off + 6] || out.buf[in.l4_off + 7])
				fail_msg("%s: UDP checksum 0 did not stay 0", c->desc);
		} else if (!l4_ok(&out, c->family, c->proto)) {
			fail_msg("%s: %s checksum does not verify", c->desc,
				 c->proto == IPPROTO_TCP ? "TCP" : "UDP");
		}
		got = out;
		mask_csums(&got, c->family, c->proto);
		mask_csums(&want, c->family, c->proto);
		check_bytes(c->desc, &got, &want);
		if (c->family == 4) {
			v4_packets++;
			v4_bytes += out.len;
		}
	}
	check_vip_stats(f, VIP_DSCP4, v4_packets, v4_bytes);
}

/* Every piece of a fragmented datagram goes to the VIP; only the first has the L4 sum. */
static void test_dscp_fragments(void **state)
{
	struct fixture *f = *state;
	struct pkt in, out, want;
	struct iphdr *ip;

	/* the first fragment: MF set, offset 0 */
	build_dscp(&in, 4, REAL4, IPPROTO_UDP, DSCP4, 0);
	build_dscp(&want, 4, VIP_DSCP4, IPPROTO_UDP, 0, 0);
	((struct iphdr *)(in.buf + ETH_HLEN))->frag_off = htons(PKT_IP_MF);
	((struct iphdr *)(want.buf + ETH_HLEN))->frag_off = htons(PKT_IP_MF);
	pkt_finish(&in);
	pkt_finish(&want);
	run_counted(f, "first fragment", &in, &out, XLB_RS_CNT_DSCP_RESTORED);
	assert_true(ipv4_header_ok(out.buf + ETH_HLEN));
	assert_true(l4_ok(&out, 4, IPPROTO_UDP));
	mask_csums(&out, 4, IPPROTO_UDP);
	mask_csums(&want, 4, IPPROTO_UDP);
	check_bytes("first fragment", &out, &want);

	/* a later fragment: no L4 header, its bytes must stay as they are */
	pkt_init(&in);
	pkt_eth(&in, RS_MAC, LB_MAC, ETH_P_IP);
	ip = pkt_ipv4(&in, ip4(CLIENT4), ip4(REAL4), IPPROTO_UDP);
	ip->tos = DSCP4 << 2;
	ip->frag_off = htons(185); /* offset 1480 bytes, last fragment */
	pkt_payload(&in, http_get, sizeof(http_get) - 1);
	pkt_finish(&in);
	want = in;
	ip = (struct iphdr *)(want.buf + ETH_HLEN);
	ip->tos = 0;
	ip->daddr = ip4(VIP_DSCP4);
	pkt_finish(&want);
	run_counted(f, "later fragment", &in, &out, XLB_RS_CNT_DSCP_RESTORED);
	check_bytes("later fragment", &out, &want);
}

/* ---- frames that must pass untouched ---- */

struct untouched_case {
	const char *desc;
	void (*build)(struct pkt *p);
	int counter;
};

static void f_tun4_other_vip(struct pkt *p)
{
	struct pkt inner;

	build_inner(&inner, 4, OTHER4, IPPROTO_TCP, false);
	encap(p, &inner, 4, ENC_TUN, 0);
}

/* IPIP to a VIP that is up as gue: methods are per VIP. */
static void f_tun4_to_gue_vip(struct pkt *p)
{
	struct pkt inner;

	build_inner(&inner, 4, VIP_GUE4, IPPROTO_TCP, false);
	encap(p, &inner, 4, ENC_TUN, 0);
}

static void f_tun6_other_vip(struct pkt *p)
{
	struct pkt inner;

	build_inner(&inner, 6, OTHER6, IPPROTO_TCP, false);
	encap(p, &inner, 6, ENC_TUN, 0);
}

/* IPv6 inside IPv4 (proto 41): tun does not mix families. */
static void f_tun_6in4(struct pkt *p)
{
	struct pkt inner;

	build_inner(&inner, 6, VIP_TUN6, IPPROTO_TCP, false);
	encap(p, &inner, 4, ENC_TUN, 0);
}

/* IPv4 inside IPv6 (next header 4). */
static void f_tun_4in6(struct pkt *p)
{
	struct pkt inner;

	build_inner(&inner, 4, VIP_TUN4, IPPROTO_TCP, false);
	encap(p, &inner, 6, ENC_TUN, 0);
}

static void f_tun4_fragment(struct pkt *p)
{
	struct pkt inner;

	build_inner(&inner, 4, VIP_TUN4, IPPROTO_TCP, true);
	encap(p, &inner, 4, ENC_TUN, 0);
	((struct iphdr *)(p->buf + ETH_HLEN))->frag_off = htons(PKT_IP_MF);
	pkt_finish(p);
}

static void f_gue_other_port(struct pkt *p)
{
	struct pkt inner;

	build_inner(&inner, 4, VIP_GUE4, IPPROTO_TCP, false);
	encap(p, &inner, 4, ENC_GUE, 6081);
}

/* 7000 is a gue port, but of another VIP. */
static void f_gue_port_of_other_vip(struct pkt *p)
{
	struct pkt inner;

	build_inner(&inner, 4, VIP_GUE4, IPPROTO_TCP, false);
	encap(p, &inner, 4, ENC_GUE, 7000);
}

static void f_gue_other_vip(struct pkt *p)
{
	struct pkt inner;

	build_inner(&inner, 6, OTHER6, IPPROTO_TCP, false);
	encap(p, &inner, 6, ENC_GUE, GUE_PORT);
}

/* GUE variant 0 (a GUE header, first nibble 0): not what xlbd sends. */
static void f_gue_variant0(struct pkt *p)
{
	struct pkt inner;

	build_inner(&inner, 4, VIP_GUE4, IPPROTO_TCP, false);
	encap(p, &inner, 4, ENC_GUE, GUE_PORT);
	p->buf[ETH_HLEN + 20 + 8] = 0x00;
}

static void f_dscp4_unmapped(struct pkt *p)
{
	build_dscp(p, 4, REAL4, IPPROTO_TCP, DSCP4 + 1, 0);
}

/* DSCP 12 is mapped for IPv6 only. */
static void f_dscp4_other_family(struct pkt *p)
{
	build_dscp(p, 4, REAL4, IPPROTO_TCP, DSCP6, 0);
}

static void f_dscp4_icmp(struct pkt *p)
{
	build_inner(p, 4, REAL4, IPPROTO_ICMP, false);
	((struct iphdr *)(p->buf + ETH_HLEN))->tos = DSCP4 << 2;
	pkt_finish(p);
}

static void f_dscp6_unmapped(struct pkt *p)
{
	build_dscp(p, 6, REAL6, IPPROTO_UDP, DSCP4, 0);
}

static void f_plain_tcp4(struct pkt *p)
{
	build_inner(p, 4, REAL4, IPPROTO_TCP, true);
}

static void f_plain_udp6(struct pkt *p)
{
	build_inner(p, 6, REAL6, IPPROTO_UDP, true);
}

static void f_arp(struct pkt *p)
{
	pkt_init(p);
	pkt_arp_request(p, LB_MAC, ip4(LB4), ip4(REAL4));
}

/* An IPv6 fragment header, whatever it carries. */
static void f_ipv6_fragment(struct pkt *p)
{
	struct in6_addr s = ip6(CLIENT6), d = ip6(REAL6);

	pkt_init(p);
	pkt_eth(p, RS_MAC, LB_MAC, ETH_P_IPV6);
	pkt_ipv6(p, &s, &d, IPPROTO_TCP);
	pkt_ipv6_ext(p, IPPROTO_FRAGMENT, 8);
	pkt_payload(p, http_get, sizeof(http_get) - 1);
	pkt_finish(p);
	set_tclass(p, DSCP6 << 2);
}

/*
 * The kernel test-runs no frame shorter than the fixed IP header its
 * ethertype promises, so outer headers are cut in their variable part.
 * Here ihl 15 claims 60 bytes of header; the frame ends 10 bytes short.
 */
static void f_tun4_outer_cut(struct pkt *p)
{
	f_tun4_other_vip(p);
	((struct iphdr *)(p->buf + ETH_HLEN))->ihl = 15;
	p->len = ETH_HLEN + 50;
}

static void f_tun4_inner_cut(struct pkt *p)
{
	struct pkt inner;

	build_inner(&inner, 4, VIP_TUN4, IPPROTO_TCP, false);
	encap(p, &inner, 4, ENC_TUN, 0);
	p->len = ETH_HLEN + 20 + 12;
}

static void f_tun4_inner_empty(struct pkt *p)
{
	f_tun4_inner_cut(p);
	p->len = ETH_HLEN + 20;
}

/* A hop-by-hop header in the outer IPv6 header, cut in half. */
static void f_tun6_outer_cut(struct pkt *p)
{
	struct in6_addr s = ip6(LB6), d = ip6(REAL6);
	struct pkt inner;

	build_inner(&inner, 6, VIP_TUN6, IPPROTO_TCP, false);
	pkt_init(p);
	pkt_eth(p, RS_MAC, LB_MAC, ETH_P_IPV6);
	pkt_ipv6(p, &s, &d, IPPROTO_IPV6);
	pkt_ipv6_ext(p, IPPROTO_HOPOPTS, 16);
	pkt_payload(p, inner.buf + ETH_HLEN, inner.len - ETH_HLEN);
	pkt_finish(p);
	p->len = ETH_HLEN + 40 + 8;
}

static void f_tun6_inner_cut(struct pkt *p)
{
	struct pkt inner;

	build_inner(&inner, 6, VIP_TUN6, IPPROTO_TCP, false);
	encap(p, &inner, 6, ENC_TUN, 0);
	p->len = ETH_HLEN + 40 + 39;
}

static void f_gue4_udp_cut(struct pkt *p)
{
	struct pkt inner;

	build_inner(&inner, 4, VIP_GUE4, IPPROTO_TCP, false);
	encap(p, &inner, 4, ENC_GUE, GUE_PORT);
	p->len = ETH_HLEN + 20 + 6;
}

static void f_gue4_inner_cut(struct pkt *p)
{
	f_gue4_udp_cut(p);
	p->len = ETH_HLEN + 20 + 8 + 19;
}

static void f_gue6_inner_cut(struct pkt *p)
{
	struct pkt inner;

	build_inner(&inner, 6, VIP_GUE6, IPPROTO_TCP, false);
	encap(p, &inner, 6, ENC_GUE, GUE_PORT);
	p->len = ETH_HLEN + 40 + 8 + 39;
}

static void f_dscp4_l4_cut(struct pkt *p)
{
	build_dscp(p, 4, REAL4, IPPROTO_TCP, DSCP4, 0);
	p->len = ETH_HLEN + 20 + 12;
}

static void f_dscp6_l4_cut(struct pkt *p)
{
	build_dscp(p, 6, REAL6, IPPROTO_UDP, DSCP6, 0);
	p->len = ETH_HLEN + 40 + 4;
}

static void f_ipv4_ihl4(struct pkt *p)
{
	f_tun4_other_vip(p);
	((struct iphdr *)(p->buf + ETH_HLEN))->ihl = 4;
}

static void test_untouched(void **state)
{
	static const struct untouched_case cases[] = {
	    {"tun v4 to an address that is no VIP", f_tun4_other_vip, XLB_RS_CNT_PASS_NOT_OURS},
	    {"tun v4 to a gue VIP", f_tun4_to_gue_vip, XLB_RS_CNT_PASS_NOT_OURS},
	    {"tun v6 to an address that is no VIP", f_tun6_other_vip, XLB_RS_CNT_PASS_NOT_OURS},
	    {"IPv6 in IPv4", f_tun_6in4, XLB_RS_CNT_PASS_NOT_OURS},
	    {"IPv4 in IPv6", f_tun_4in6, XLB_RS_CNT_PASS_NOT_OURS},
	    {"fragmented IPIP", f_tun4_fragment, XLB_RS_CNT_PASS_FRAGMENT},
	    {"gue to a port no VIP uses", f_gue_other_port, XLB_RS_CNT_PASS_NOT_OURS},
	    {"gue to another VIP's port", f_gue_port_of_other_vip, XLB_RS_CNT_PASS_NOT_OURS},
	    {"gue to an address that is no VIP", f_gue_other_vip, XLB_RS_CNT_PASS_NOT_OURS},
	    {"gue variant 0", f_gue_variant0, XLB_RS_CNT_PASS_MALFORMED},
	    {"unmapped DSCP", f_dscp4_unmapped, XLB_RS_CNT_PASS_NOT_OURS},
	    {"DSCP mapped for the other family", f_dscp4_other_family, XLB_RS_CNT_PASS_NOT_OURS},
	    {"mapped DSCP on ICMP", f_dscp4_icmp, XLB_RS_CNT_PASS_NOT_OURS},
	    {"unmapped DSCP v6", f_dscp6_unmapped, XLB_RS_CNT_PASS_NOT_OURS},
	    {"plain TCP to the real", f_plain_tcp4, XLB_RS_CNT_PASS_NOT_OURS},
	    {"plain UDP v6 to the real", f_plain_udp6, XLB_RS_CNT_PASS_NOT_OURS},
	    {"ARP", f_arp, XLB_RS_CNT_PASS_NOT_IP},
	    {"IPv6 fragment", f_ipv6_fragment, XLB_RS_CNT_PASS_FRAGMENT},
	    {"outer IPv4 options cut", f_tun4_outer_cut, XLB_RS_CNT_PASS_MALFORMED},
	    {"outer IPv4 ihl 4", f_ipv4_ihl4, XLB_RS_CNT_PASS_MALFORMED},
	    {"tun v4 inner header cut", f_tun4_inner_cut, XLB_RS_CNT_PASS_MALFORMED},
	    {"tun v4 without inner packet", f_tun4_inner_empty, XLB_RS_CNT_PASS_MALFORMED},
	    {"outer IPv6 extension header cut", f_tun6_outer_cut, XLB_RS_CNT_PASS_MALFORMED},
	    {"tun v6 inner header cut", f_tun6_inner_cut, XLB_RS_CNT_PASS_MALFORMED},
	    {"gue v4 UDP header cut", f_gue4_udp_cut, XLB_RS_CNT_PASS_MALFORMED},
	    {"gue v4 inner header cut", f_gue4_inner_cut, XLB_RS_CNT_PASS_MALFORMED},
	    {"gue v6 inner header cut", f_gue6_inner_cut, XLB_RS_CNT_PASS_MALFORMED},
	    {"dscp v4 TCP header cut", f_dscp4_l4_cut, XLB_RS_CNT_PASS_MALFORMED},
	    {"dscp v6 UDP header cut", f_dscp6_l4_cut, XLB_RS_CNT_PASS_MALFORMED},
	};
	struct fixture *f = *state;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct pkt in;

		cases[i].build(&in);
		expect_untouched(f, cases[i].desc, &in, cases[i].counter);
	}
	/* nothing reached a VIP */
	check_vip_stats(f, VIP_TUN4, 0, 0);
	check_vip_stats(f, VIP_GUE4, 0, 0);
	check_vip_stats(f, VIP_DSCP4, 0, 0);
}

/* The checksum routine above, on RFC 1071's example and on pktbuild's frames. */
static void test_csum_routine(void **state)
{
	static const uint8_t rfc1071[8] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	struct csum c = {0};
	struct pkt p;

	(void)state;
	csum_bytes(&c, rfc1071, sizeof(rfc1071));
	assert_int_equal(csum_result(&c), 0xddf2);
	build_inner(&p, 4, VIP_TUN4, IPPROTO_TCP, true);
	assert_true(ipv4_header_ok(p.buf + ETH_HLEN));
	assert_true(l4_ok(&p, 4, IPPROTO_TCP));
	build_inner(&p, 6, VIP_TUN6, IPPROTO_UDP, true);
	assert_true(l4_ok(&p, 6, IPPROTO_UDP));
	p.buf[p.len - 1] ^= 1;
	assert_false(l4_ok(&p, 6, IPPROTO_UDP));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_csum_routine),
	    cmocka_unit_test_setup_teardown(test_decap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_decap_long_outer, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_vip_stats, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sync_removes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dscp, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dscp_fragments, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_untouched, setup, teardown),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test_pkt_rs: loading BPF needs root, skipping\n");
		return 77;
	}
	libbpf_set_print(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
