// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The XDP program on crafted frames (BPF_PROG_TEST_RUN): verdicts, dr rewrites, scheduling. */
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

#include "dataplane.h"
#include "map_reset.h"
#include "log.h"
#include "sched/sched.h"



#define CLIENT4 "10.0.1.1"
#define VIP4 "10.0.0.100"
#define VIP4_EMPTY "10.0.0.101" /* a service whose ring is empty */
#define VIP4_INACTIVE "10.0.0.102" /* a service without XLB_SVC_F_ACTIVE */
#define VIP4_WRR "10.0.0.103"
#define OTHER4 "10.0.0.200"
#define CLIENT6 "2001:db8:1::1"
#define VIP6 "2001:db8::100"
#define OTHER6 "2001:db8::200"

enum {
	SVC_TCP4 = 0, /* VIP4:80/tcp, rr over reals 1, 2, 3 */
	SVC_UDP4, /* VIP4:53/udp, rr over reals 11, 12 */
	SVC_TCP6, /* VIP6:80/tcp, rr over reals 21, 22, 23 */
	SVC_EMPTY, /* VIP4_EMPTY:80/tcp, real 41 unusable */
	SVC_INACTIVE, /* VIP4_INACTIVE:80/tcp */
	SVC_WRR, /* VIP4_WRR:80/tcp, wrr 3,2,1 over reals 31, 32, 33 */
};

struct fixture {
	struct dataplane *dp;
	int prog_fd;
	uint32_t ifindex; /* ingress of every run, and the reals' egress: TX */
};

/* ---- map population, through the same dataplane_* calls xlbd uses ---- */

static void put_real(struct fixture *f, uint32_t id, uint32_t svc_id, uint8_t family, uint32_t gen,
		     uint32_t ifindex)
{
	struct xlb_real r = {
		.gen = gen,
		.flags = XLB_REAL_F_ACTIVE,
		.ifindex = ifindex,
		.svc_id = svc_id,
		.port = htons(80),
		.family = family,
	};

	if (family == XLB_FAMILY_V4) {
		r.addr.addr[0] = htonl(0x0a000200 + id);
	} else {
		struct in6_addr a = ip6("2001:db8:2::");

		a.s6_addr[15] = id;
		memcpy(r.addr.addr, &a, 16);
	}
	real_mac(id, r.dst_mac);
	memcpy(r.src_mac, EGRESS_MAC, 6);
	assert_int_equal(dataplane_real_put(f->dp, id, &r), 0);
}

static struct xlb_service_key svc_key(uint8_t family, const char *vip, uint16_t port, uint8_t proto)
{
	struct xlb_service_key k = { .port = htons(port), .proto = proto, .family = family };

	if (family == XLB_FAMILY_V4) {
		k.vip.addr[0] = ip4(vip);
	} else {
		struct in6_addr a = ip6(vip);

		memcpy(k.vip.addr, &a, 16);
	}
	return k;
}

/*
 * Builds the ring with the userspace scheduler into @slot and then points the
 * service at it, in that order, like xlbd's ring flip.
 */
static size_t put_ring(struct fixture *f, const struct xlb_service_key *key, uint32_t svc_id,
		       uint16_t slot, enum sched_id sched, const struct sched_real *reals, size_t n,
		       uint32_t flags)
{
	struct xlb_ring *ring = calloc(1, sizeof(*ring));
	struct xlb_service svc = {
		.svc_id = svc_id,
		.flags = flags,
		.method = XLB_METHOD_DR,
		.sched_kind = sched_get(sched)->kind,
		.ring_slot = slot,
	};
	size_t len;

	assert_non_null(ring);
	len = sched_get(sched)->build_ring(reals, n, ring->real_ids, XLB_RING_MAX);
	ring->len = len;
	assert_int_equal(dataplane_ring_put(f->dp, svc_id * 2 + slot, ring), 0);
	assert_int_equal(dataplane_service_put(f->dp, key, &svc), 0);
	free(ring);
	return len;
}

static void add_service(struct fixture *f, uint32_t svc_id, uint8_t family, const char *vip,
			uint16_t port, uint8_t proto, enum sched_id sched,
			const struct sched_real *reals, size_t n, uint32_t flags)
{
	struct xlb_service_key key = svc_key(family, vip, port, proto);

	for (size_t i = 0; i < n; i++)
		if (reals[i].usable)
			put_real(f, reals[i].real_id, svc_id, family, 1000 + reals[i].real_id,
				 f->ifindex);
	put_ring(f, &key, svc_id, 0, sched, reals, n, flags);
}

static const struct sched_real tcp4_reals[] = { SCHED_REAL(1, 1, true), SCHED_REAL(2, 1, true), SCHED_REAL(3, 1, true) };
static const struct sched_real udp4_reals[] = { SCHED_REAL(11, 1, true), SCHED_REAL(12, 1, true) };
static const struct sched_real tcp6_reals[] = { SCHED_REAL(21, 1, true), SCHED_REAL(22, 1, true), SCHED_REAL(23, 1, true) };
static const struct sched_real empty_reals[] = { SCHED_REAL(41, 1, false) };
static const struct sched_real wrr_reals[] = { SCHED_REAL(31, 3, true), SCHED_REAL(32, 2, true), SCHED_REAL(33, 1, true) };

/* Every test starts from the maps as a fresh load has them (map_reset.h): cursors, flows and stats at zero. */
static int setup(void **state)
{
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

	add_service(f, SVC_TCP4, XLB_FAMILY_V4, VIP4, 80, IPPROTO_TCP, SCHED_RR, tcp4_reals,
		    ARRAY_SIZE(tcp4_reals), XLB_SVC_F_ACTIVE);
	add_service(f, SVC_UDP4, XLB_FAMILY_V4, VIP4, 53, IPPROTO_UDP, SCHED_RR, udp4_reals,
		    ARRAY_SIZE(udp4_reals), XLB_SVC_F_ACTIVE);
	add_service(f, SVC_TCP6, XLB_FAMILY_V6, VIP6, 80, IPPROTO_TCP, SCHED_RR, tcp6_reals,
		    ARRAY_SIZE(tcp6_reals), XLB_SVC_F_ACTIVE);
	add_service(f, SVC_EMPTY, XLB_FAMILY_V4, VIP4_EMPTY, 80, IPPROTO_TCP, SCHED_RR, empty_reals,
		    ARRAY_SIZE(empty_reals), XLB_SVC_F_ACTIVE);
	add_service(f, SVC_INACTIVE, XLB_FAMILY_V4, VIP4_INACTIVE, 80, IPPROTO_TCP, SCHED_RR,
		    tcp4_reals, ARRAY_SIZE(tcp4_reals), 0);
	add_service(f, SVC_WRR, XLB_FAMILY_V4, VIP4_WRR, 80, IPPROTO_TCP, SCHED_WRR, wrr_reals,
		    ARRAY_SIZE(wrr_reals), XLB_SVC_F_ACTIVE);
	return 0;
}

/* ---- running the program ---- */

/*
 * Runs @in with @meta bytes of XDP metadata in front of it; returns 0 or the
 * errno of the syscall. Metadata matters only for frames shorter than an
 * Ethernet header: the kernel refuses less than ETH_HLEN bytes of input, and
 * older kernels counted metadata in those bytes.
 */
static int xdp_try_run(struct fixture *f, const struct pkt *in, uint32_t meta, struct pkt *out,
		       uint32_t *verdict)
{
	uint8_t buf[PKT_MAX + 32] = { 0 };
	struct xdp_md ctx = {
		.data = meta,
		.data_end = meta + in->len,
		.ingress_ifindex = f->ifindex,
	};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = buf, .data_size_in = meta + in->len,
		    .data_out = buf, .data_size_out = sizeof(buf), .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);

	memcpy(buf + meta, in->buf, in->len);
	if (bpf_prog_test_run_opts(f->prog_fd, &opts))
		return errno;
	assert_true(opts.data_size_out >= meta);
	*out = *in;
	out->len = opts.data_size_out - meta;
	memcpy(out->buf, buf + meta, out->len);
	*verdict = opts.retval;
	return 0;
}

static uint32_t xdp_run(struct fixture *f, const struct pkt *in, struct pkt *out)
{
	uint32_t verdict;
	int err = xdp_try_run(f, in, 0, out, &verdict);

	if (err)
		fail_msg("bpf_prog_test_run_opts: %s", strerror(err));
	return verdict;
}

/*
 * Runs @in and checks the verdict and the exact output: unchanged for
 * @real_id 0, else @in with only dst MAC := the real's and src MAC := the
 * egress interface's.
 */
static void expect(struct fixture *f, const char *desc, const struct pkt *in, uint32_t verdict,
		   uint32_t real_id)
{
	struct pkt out, want;
	uint8_t mac[6];

	check_verdict(desc, xdp_run(f, in, &out), verdict);
	if (real_id) {
		real_mac(real_id, mac);
		pkt_expect_dr(&want, in, mac, EGRESS_MAC);
	} else {
		want = *in;
	}
	check_bytes(desc, &out, &want);
}

/* Runs a frame that must be forwarded with XDP_TX; returns the real it went to. */
static uint32_t tx_real(struct fixture *f, const char *desc, const struct pkt *in)
{
	struct pkt out, want;
	uint32_t id;

	check_verdict(desc, xdp_run(f, in, &out), XDP_TX);
	id = mac_real(out.buf);
	if (!id)
		fail_msg("%s: dst MAC is no real's", desc);
	pkt_expect_dr(&want, in, out.buf, EGRESS_MAC);
	check_bytes(desc, &out, &want);
	return id;
}

/* ---- frames ---- */

struct flow {
	uint8_t family; /* 4 or 6 */
	uint8_t proto;
	uint16_t sport;
	uint16_t dport;
	uint8_t tcp_flags;
	const char *dst; /* NULL: VIP4 or VIP6 */
	uint16_t vlan_proto; /* 0: untagged */
};

static const char http_get[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

/* A client frame; segments that carry data (PSH, UDP) get a payload so lengths differ. */
static void build_flow(struct pkt *p, const struct flow *fl)
{
	pkt_init(p);
	if (fl->vlan_proto) {
		pkt_eth(p, LB_MAC, CLIENT_MAC, fl->vlan_proto);
		pkt_vlan(p, 0x2064, fl->family == 4 ? ETH_P_IP : ETH_P_IPV6);
	} else {
		pkt_eth(p, LB_MAC, CLIENT_MAC, fl->family == 4 ? ETH_P_IP : ETH_P_IPV6);
	}
	if (fl->family == 4) {
		pkt_ipv4(p, ip4(CLIENT4), ip4(fl->dst ? fl->dst : VIP4), fl->proto);
	} else {
		struct in6_addr s = ip6(CLIENT6), d = ip6(fl->dst ? fl->dst : VIP6);

		pkt_ipv6(p, &s, &d, fl->proto);
	}
	if (fl->proto == IPPROTO_TCP)
		pkt_tcp(p, fl->sport, fl->dport, fl->tcp_flags);
	else
		pkt_udp(p, fl->sport, fl->dport);
	if (fl->proto == IPPROTO_UDP || (fl->tcp_flags & PKT_TCP_PSH))
		pkt_payload(p, http_get, sizeof(http_get) - 1);
	pkt_finish(p);
}

#define FLOW(fam, l4, sp, dp, fl, tpid)                                                          \
	{ .family = (fam), .proto = (l4), .sport = (sp), .dport = (dp), .tcp_flags = (fl),       \
	  .vlan_proto = (tpid) }
#define TCP4(sp, fl) FLOW(4, IPPROTO_TCP, sp, 80, fl, 0)
#define TCP6(sp, fl) FLOW(6, IPPROTO_TCP, sp, 80, fl, 0)
#define UDP4(sp) FLOW(4, IPPROTO_UDP, sp, 53, 0, 0)
#define TAGGED(fam, sp, fl, tpid) FLOW(fam, IPPROTO_TCP, sp, 80, fl, tpid)
#define SYN PKT_TCP_SYN
#define ACK PKT_TCP_ACK
#define PSHACK (PKT_TCP_PSH | PKT_TCP_ACK)
#define FINACK (PKT_TCP_FIN | PKT_TCP_ACK)

struct step {
	const char *desc;
	struct flow fl;
	uint32_t verdict;
	uint32_t real_id; /* the real whose MAC the frame leaves with; 0: unchanged */
};

static void run_steps(struct fixture *f, const struct step *steps, size_t n)
{
	struct pkt in;

	for (size_t i = 0; i < n; i++) {
		build_flow(&in, &steps[i].fl);
		expect(f, steps[i].desc, &in, steps[i].verdict, steps[i].real_id);
	}
}

/* ---- counters ---- */

/* ---- frames the program must hand to the kernel untouched ---- */

static void f_tcp4_other_addr(struct pkt *p)
{
	struct flow fl = TCP4(40000, SYN);

	fl.dst = OTHER4;
	build_flow(p, &fl);
}

static void f_tcp4_other_port(struct pkt *p)
{
	struct flow fl = TCP4(40000, SYN);

	fl.dport = 443;
	build_flow(p, &fl);
}

static void f_udp4_to_tcp_port(struct pkt *p)
{
	struct flow fl = { .family = 4, .proto = IPPROTO_UDP, .sport = 40000, .dport = 80 };

	build_flow(p, &fl);
}

static void f_tcp4_inactive_svc(struct pkt *p)
{
	struct flow fl = TCP4(40000, SYN);

	fl.dst = VIP4_INACTIVE;
	build_flow(p, &fl);
}

static void f_icmp4_to_vip(struct pkt *p)
{
	static const uint8_t echo[8] = { 8, 0, 0xf7, 0xfe, 0, 1, 0, 0 };

	pkt_init(p);
	pkt_eth(p, LB_MAC, CLIENT_MAC, ETH_P_IP);
	pkt_ipv4(p, ip4(CLIENT4), ip4(VIP4), IPPROTO_ICMP);
	pkt_payload(p, echo, sizeof(echo));
	pkt_finish(p);
}

static void f_lldp(struct pkt *p)
{
	static const uint8_t lldp_mc[6] = { 0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e };
	static const uint8_t tlvs[] = { 0x02, 0x07, 0x04, 0x02, 0, 0, 0, 0xc1, 0x01, 0x00, 0x00 };

	pkt_init(p);
	pkt_eth(p, lldp_mc, CLIENT_MAC, 0x88cc);
	pkt_payload(p, tlvs, sizeof(tlvs));
}

static void f_arp_request(struct pkt *p)
{
	pkt_init(p);
	pkt_arp_request(p, CLIENT_MAC, ip4(CLIENT4), ip4(VIP4));
}

static void f_vlan_arp(struct pkt *p)
{
	struct pkt arp;

	f_arp_request(&arp);
	pkt_init(p);
	pkt_eth(p, arp.buf, arp.buf + 6, ETH_P_8021Q);
	pkt_vlan(p, 100, ETH_P_ARP);
	pkt_payload(p, arp.buf + 14, arp.len - 14);
}

static void f_vlan_cut(struct pkt *p)
{
	struct flow fl = TCP4(40000, SYN);

	fl.vlan_proto = ETH_P_8021Q;
	build_flow(p, &fl);
	p->len = 16; /* Ethernet + half a tag */
}

/* Ethernet header and nothing behind it. */
static void f_eth_only(struct pkt *p)
{
	build_flow(p, &(struct flow)TCP4(40000, SYN));
	p->len = 14;
}

static void f_ipv4_cut(struct pkt *p)
{
	build_flow(p, &(struct flow)TCP4(40000, SYN));
	p->len = 14 + 10;
}

static void f_ipv4_ihl4(struct pkt *p)
{
	build_flow(p, &(struct flow)TCP4(40000, SYN));
	((struct iphdr *)(p->buf + 14))->ihl = 4;
}

/* ihl 15 claims 60 bytes of header, the frame has 20 + 20 (TCP). */
static void f_ipv4_ihl_past_end(struct pkt *p)
{
	build_flow(p, &(struct flow)TCP4(40000, SYN));
	((struct iphdr *)(p->buf + 14))->ihl = 15;
	p->len = 14 + 20 + 10;
}

static void f_ipv4_totlen_short(struct pkt *p)
{
	build_flow(p, &(struct flow)TCP4(40000, SYN));
	((struct iphdr *)(p->buf + 14))->tot_len = htons(16);
}

/* An IPv6 header behind the IPv4 ethertype. */
static void f_ipv4_version6(struct pkt *p)
{
	build_flow(p, &(struct flow)TCP6(40000, SYN));
	p->buf[12] = 0x08;
	p->buf[13] = 0x00;
}

static void f_tcp4_cut(struct pkt *p)
{
	build_flow(p, &(struct flow)TCP4(40000, SYN));
	p->len = 14 + 20 + 12;
}

static void f_tcp4_doff4(struct pkt *p)
{
	pkt_init(p);
	pkt_eth(p, LB_MAC, CLIENT_MAC, ETH_P_IP);
	pkt_ipv4(p, ip4(CLIENT4), ip4(VIP4), IPPROTO_TCP);
	pkt_tcp(p, 40000, 80, SYN)->doff = 4;
	pkt_finish(p);
}

/* doff 15 claims 40 bytes of options the frame does not have. */
static void f_tcp4_options_past_end(struct pkt *p)
{
	pkt_init(p);
	pkt_eth(p, LB_MAC, CLIENT_MAC, ETH_P_IP);
	pkt_ipv4(p, ip4(CLIENT4), ip4(VIP4), IPPROTO_TCP);
	pkt_tcp(p, 40000, 80, SYN)->doff = 15;
	pkt_payload(p, "\x02\x04\x05\xb4", 4);
	pkt_finish(p);
}

static void f_udp4_cut(struct pkt *p)
{
	struct flow fl = { .family = 4, .proto = IPPROTO_UDP, .sport = 40000, .dport = 53 };

	build_flow(p, &fl);
	p->len = 14 + 20 + 6;
}

/* First fragment: carries the TCP header, but a later one would not. */
static void f_ipv4_frag_first(struct pkt *p)
{
	struct iphdr *ip;

	pkt_init(p);
	pkt_eth(p, LB_MAC, CLIENT_MAC, ETH_P_IP);
	ip = pkt_ipv4(p, ip4(CLIENT4), ip4(VIP4), IPPROTO_TCP);
	ip->frag_off = htons(PKT_IP_MF);
	ip->id = htons(0x1234);
	pkt_tcp(p, 40000, 80, PSHACK);
	pkt_payload(p, http_get, 4);
	pkt_finish(p);
}

static void f_ipv4_frag_later(struct pkt *p)
{
	struct iphdr *ip;

	pkt_init(p);
	pkt_eth(p, LB_MAC, CLIENT_MAC, ETH_P_IP);
	ip = pkt_ipv4(p, ip4(CLIENT4), ip4(VIP4), IPPROTO_TCP);
	ip->frag_off = htons(185);
	ip->id = htons(0x1234);
	pkt_payload(p, http_get, sizeof(http_get) - 1);
	pkt_finish(p);
}

static void f_tcp6_other_addr(struct pkt *p)
{
	struct flow fl = TCP6(40000, SYN);

	fl.dst = OTHER6;
	build_flow(p, &fl);
}

static void f_ipv6_cut(struct pkt *p)
{
	build_flow(p, &(struct flow)TCP6(40000, SYN));
	p->len = 14 + 30;
}

static void f_tcp6_cut(struct pkt *p)
{
	build_flow(p, &(struct flow)TCP6(40000, SYN));
	p->len = 14 + 40 + 19;
}

static void f_icmp6_to_vip(struct pkt *p)
{
	static const uint8_t echo[8] = { 128, 0, 0, 0, 0, 1, 0, 1 };
	struct in6_addr s = ip6(CLIENT6), d = ip6(VIP6);

	pkt_init(p);
	pkt_eth(p, LB_MAC, CLIENT_MAC, ETH_P_IPV6);
	pkt_ipv6(p, &s, &d, IPPROTO_ICMPV6);
	pkt_payload(p, echo, sizeof(echo));
	pkt_finish(p);
}

static void f_ipv6_frag(struct pkt *p)
{
	struct in6_addr s = ip6(CLIENT6), d = ip6(VIP6);
	uint8_t *frag;

	pkt_init(p);
	pkt_eth(p, LB_MAC, CLIENT_MAC, ETH_P_IPV6);
	pkt_ipv6(p, &s, &d, IPPROTO_TCP);
	frag = pkt_ipv6_ext(p, IPPROTO_FRAGMENT, 8);
	frag[3] = 1; /* offset 0, M set */
	frag[7] = 0x42; /* identification */
	pkt_tcp(p, 40000, 80, PSHACK);
	pkt_payload(p, http_get, 8);
	pkt_finish(p);
}

/* One more extension header than the parser walks (IPV6_EXT_MAX = 4). */
static void f_ipv6_too_many_ext(struct pkt *p)
{
	struct in6_addr s = ip6(CLIENT6), d = ip6(VIP6);

	pkt_init(p);
	pkt_eth(p, LB_MAC, CLIENT_MAC, ETH_P_IPV6);
	pkt_ipv6(p, &s, &d, IPPROTO_TCP);
	pkt_ipv6_ext(p, IPPROTO_HOPOPTS, 8);
	for (int i = 0; i < 4; i++)
		pkt_ipv6_ext(p, IPPROTO_DSTOPTS, 8);
	pkt_tcp(p, 40000, 80, SYN);
	pkt_finish(p);
}

/* A destination options header whose length runs past the frame. */
static void f_ipv6_ext_past_end(struct pkt *p)
{
	struct in6_addr s = ip6(CLIENT6), d = ip6(VIP6);

	pkt_init(p);
	pkt_eth(p, LB_MAC, CLIENT_MAC, ETH_P_IPV6);
	pkt_ipv6(p, &s, &d, IPPROTO_TCP);
	pkt_ipv6_ext(p, IPPROTO_DSTOPTS, 8)[1] = 8; /* claims 72 bytes */
	pkt_tcp(p, 40000, 80, SYN);
	pkt_finish(p);
}

struct pass_case {
	const char *desc;
	void (*build)(struct pkt *p);
	enum xlb_counter counter;
};

#define PASS(d, fn, cnt) { .desc = (d), .build = (fn), .counter = XLB_CNT_##cnt }

/* clang-format off */
static const struct pass_case pass_cases[] = {
	PASS("TCP SYN to a non-VIP IPv4 address", f_tcp4_other_addr, PASS_NO_SERVICE),
	PASS("TCP SYN to the VIP on another port", f_tcp4_other_port, PASS_NO_SERVICE),
	PASS("UDP to the VIP's TCP-only port", f_udp4_to_tcp_port, PASS_NO_SERVICE),
	PASS("TCP SYN to an inactive service", f_tcp4_inactive_svc, PASS_NO_SERVICE),
	PASS("ICMP echo to the VIP", f_icmp4_to_vip, PASS_NO_SERVICE),
	PASS("LLDP frame", f_lldp, PASS_NOT_IP),
	PASS("ARP request for the VIP", f_arp_request, PASS_NOT_IP),
	PASS("802.1Q-tagged ARP request", f_vlan_arp, PASS_NOT_IP),
	PASS("802.1Q tag cut short", f_vlan_cut, PASS_MALFORMED),
	PASS("Ethernet header only, IPv4 ethertype", f_eth_only, PASS_MALFORMED),
	PASS("IPv4 header cut short", f_ipv4_cut, PASS_MALFORMED),
	PASS("IPv4 ihl 4", f_ipv4_ihl4, PASS_MALFORMED),
	PASS("IPv4 options past the frame end", f_ipv4_ihl_past_end, PASS_MALFORMED),
	PASS("IPv4 total length below header length", f_ipv4_totlen_short, PASS_MALFORMED),
	PASS("IPv6 header behind the IPv4 ethertype", f_ipv4_version6, PASS_MALFORMED),
	PASS("TCP header cut short (IPv4)", f_tcp4_cut, PASS_MALFORMED),
	PASS("TCP data offset 4", f_tcp4_doff4, PASS_MALFORMED),
	PASS("TCP options past the frame end", f_tcp4_options_past_end, PASS_MALFORMED),
	PASS("UDP header cut short", f_udp4_cut, PASS_MALFORMED),
	PASS("IPv4 first fragment to the VIP", f_ipv4_frag_first, PASS_FRAGMENT),
	PASS("IPv4 later fragment to the VIP", f_ipv4_frag_later, PASS_FRAGMENT),
	PASS("TCP SYN to a non-VIP IPv6 address", f_tcp6_other_addr, PASS_NO_SERVICE),
	PASS("IPv6 header cut short", f_ipv6_cut, PASS_MALFORMED),
	PASS("TCP header cut short (IPv6)", f_tcp6_cut, PASS_MALFORMED),
	PASS("ICMPv6 echo to the VIP", f_icmp6_to_vip, PASS_NO_SERVICE),
	PASS("IPv6 fragment header to the VIP", f_ipv6_frag, PASS_FRAGMENT),
	PASS("IPv6 with 5 extension headers", f_ipv6_too_many_ext, PASS_NO_SERVICE),
	PASS("IPv6 extension header past the frame end", f_ipv6_ext_past_end, PASS_MALFORMED),
};
/* clang-format on */

static void test_pass_untouched(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < ARRAY_SIZE(pass_cases); i++) {
		const struct pass_case *c = &pass_cases[i];
		uint64_t before[XLB_CNT__COUNT], delta[XLB_CNT__COUNT] = { 0 };
		struct pkt in, out;

		c->build(&in);
		counters(f->dp, before);
		check_verdict(c->desc, xdp_run(f, &in, &out), XDP_PASS);
		check_bytes(c->desc, &out, &in);
		delta[XLB_CNT_RX] = 1;
		delta[c->counter] = 1;
		check_counters(f->dp, c->desc, before, delta);
	}
	/* none of it is service traffic */
	check_stats(f->dp, DP_STATS_SERVICE, SVC_TCP4, 0, 0, 0);
	check_stats(f->dp, DP_STATS_SERVICE, SVC_UDP4, 0, 0, 0);
	check_stats(f->dp, DP_STATS_SERVICE, SVC_TCP6, 0, 0, 0);
}

/*
 * Ten bytes: not even an Ethernet header. Recent kernels refuse to run XDP on
 * less than ETH_HLEN bytes of frame, metadata or not (a driver cannot hand
 * us such a frame either); then there is nothing to test, and we say so.
 */
static void test_runt(void **state)
{
	struct fixture *f = *state;
	uint64_t before[XLB_CNT__COUNT], delta[XLB_CNT__COUNT] = { 0 };
	struct pkt in, out;
	uint32_t verdict;
	int err;

	/* metadata itself is accepted, so an EINVAL below is about the length */
	f_tcp4_other_addr(&in);
	assert_int_equal(xdp_try_run(f, &in, 8, &out, &verdict), 0);
	check_verdict("non-VIP frame behind metadata", verdict, XDP_PASS);

	build_flow(&in, &(struct flow)TCP4(40000, SYN));
	in.len = 10;
	counters(f->dp, before);
	err = xdp_try_run(f, &in, 8, &out, &verdict);
	if (err == EINVAL) {
		print_message("kernel refuses frames shorter than ETH_HLEN, skipping\n");
		skip();
	}
	assert_int_equal(err, 0);
	check_verdict("frame shorter than Ethernet", verdict, XDP_PASS);
	check_bytes("frame shorter than Ethernet", &out, &in);
	delta[XLB_CNT_RX] = 1;
	delta[XLB_CNT_PASS_MALFORMED] = 1;
	check_counters(f->dp, "frame shorter than Ethernet", before, delta);
}

/* ---- forwarding ---- */

static void test_tcp4_flows(void **state)
{
	static const struct step steps[] = {
		{ "flow A SYN", TCP4(40000, SYN), XDP_TX, 1 },
		{ "flow A ACK", TCP4(40000, ACK), XDP_TX, 1 },
		{ "flow A data", TCP4(40000, PSHACK), XDP_TX, 1 },
		{ "flow B SYN", TCP4(40001, SYN), XDP_TX, 2 },
		{ "flow A ACK again", TCP4(40000, ACK), XDP_TX, 1 },
		{ "flow B data", TCP4(40001, PSHACK), XDP_TX, 2 },
		{ "flow C SYN", TCP4(40002, SYN), XDP_TX, 3 },
		{ "flow A FIN", TCP4(40000, FINACK), XDP_TX, 1 },
		{ "flow D SYN wraps the ring", TCP4(40003, SYN), XDP_TX, 1 },
	};
	struct fixture *f = *state;
	uint64_t before[XLB_CNT__COUNT], delta[XLB_CNT__COUNT] = { 0 };

	counters(f->dp, before);
	run_steps(f, steps, ARRAY_SIZE(steps));
	delta[XLB_CNT_RX] = ARRAY_SIZE(steps);
	delta[XLB_CNT_FWD_TX] = ARRAY_SIZE(steps);
	delta[XLB_CNT_NEW_FLOW] = 4;
	check_counters(f->dp, "IPv4 flows", before, delta);
}

static void test_tcp6_flows(void **state)
{
	static const struct step steps[] = {
		{ "v6 flow A SYN", TCP6(40000, SYN), XDP_TX, 21 },
		{ "v6 flow A ACK", TCP6(40000, ACK), XDP_TX, 21 },
		{ "v6 flow B SYN", TCP6(40001, SYN), XDP_TX, 22 },
		{ "v6 flow A data", TCP6(40000, PSHACK), XDP_TX, 21 },
		{ "v6 flow B data", TCP6(40001, PSHACK), XDP_TX, 22 },
		{ "v6 flow C SYN", TCP6(40002, SYN), XDP_TX, 23 },
		/* the IPv4 service's cursor is its own: v4 flows start at real 1 */
		{ "v4 flow SYN", TCP4(40000, SYN), XDP_TX, 1 },
		{ "v6 flow D SYN", TCP6(40003, SYN), XDP_TX, 21 },
	};
	struct fixture *f = *state;
	uint64_t before[XLB_CNT__COUNT], delta[XLB_CNT__COUNT] = { 0 };

	counters(f->dp, before);
	run_steps(f, steps, ARRAY_SIZE(steps));
	delta[XLB_CNT_RX] = ARRAY_SIZE(steps);
	delta[XLB_CNT_FWD_TX] = ARRAY_SIZE(steps);
	delta[XLB_CNT_NEW_FLOW] = 5;
	check_counters(f->dp, "IPv6 flows", before, delta);
}

static void test_vlan_tag_kept(void **state)
{
	static const struct step steps[] = {
		{ "802.1Q SYN", TAGGED(4, 40000, SYN, ETH_P_8021Q), XDP_TX, 1 },
		{ "802.1Q ACK", TAGGED(4, 40000, ACK, ETH_P_8021Q), XDP_TX, 1 },
		{ "802.1ad SYN", TAGGED(4, 40001, SYN, ETH_P_8021AD), XDP_TX, 2 },
		{ "802.1Q IPv6 SYN", TAGGED(6, 40000, SYN, ETH_P_8021Q), XDP_TX, 21 },
	};
	struct pkt in;

	run_steps(*state, steps, ARRAY_SIZE(steps));
	/* the tag bytes are part of what expect() compares; make sure they are there */
	build_flow(&in, &steps[0].fl);
	assert_int_equal(in.buf[12], 0x81);
	assert_int_equal(in.buf[14], 0x20);
	assert_int_equal(in.buf[15], 0x64);
}

static void test_ip_options_and_ext_headers(void **state)
{
	/* Record Route with room for one address, then End of Option List */
	static const uint8_t rr_opt[8] = { 7, 7, 4, 0, 0, 0, 0, 0 };
	struct fixture *f = *state;
	struct in6_addr s = ip6(CLIENT6), d = ip6(VIP6);
	struct pkt in;

	pkt_init(&in);
	pkt_eth(&in, LB_MAC, CLIENT_MAC, ETH_P_IP);
	pkt_ipv4(&in, ip4(CLIENT4), ip4(VIP4), IPPROTO_TCP);
	pkt_ipv4_options(&in, rr_opt, sizeof(rr_opt));
	pkt_tcp(&in, 40000, 80, SYN);
	pkt_finish(&in);
	expect(f, "IPv4 SYN with options", &in, XDP_TX, 1);

	/* the ports come from behind the options, so this is the same flow */
	pkt_init(&in);
	pkt_eth(&in, LB_MAC, CLIENT_MAC, ETH_P_IP);
	pkt_ipv4(&in, ip4(CLIENT4), ip4(VIP4), IPPROTO_TCP);
	pkt_tcp(&in, 40000, 80, ACK);
	pkt_finish(&in);
	expect(f, "IPv4 ACK without options", &in, XDP_TX, 1);

	pkt_init(&in);
	pkt_eth(&in, LB_MAC, CLIENT_MAC, ETH_P_IPV6);
	pkt_ipv6(&in, &s, &d, IPPROTO_TCP);
	pkt_ipv6_ext(&in, IPPROTO_HOPOPTS, 8);
	pkt_ipv6_ext(&in, IPPROTO_ROUTING, 16);
	pkt_ipv6_ext(&in, IPPROTO_DSTOPTS, 24);
	pkt_tcp(&in, 40000, 80, SYN);
	pkt_finish(&in);
	expect(f, "IPv6 SYN behind 3 extension headers", &in, XDP_TX, 21);

	build_flow(&in, &(struct flow)TCP6(40000, ACK));
	expect(f, "IPv6 ACK without extension headers", &in, XDP_TX, 21);
}

static void test_udp(void **state)
{
	static const struct step steps[] = {
		{ "UDP flow A", UDP4(5000), XDP_TX, 11 },
		{ "UDP flow A again", UDP4(5000), XDP_TX, 11 },
		{ "UDP flow B", UDP4(5001), XDP_TX, 12 },
		{ "UDP flow C", UDP4(5002), XDP_TX, 11 },
		{ "UDP flow B again", UDP4(5001), XDP_TX, 12 },
	};

	run_steps(*state, steps, ARRAY_SIZE(steps));
}

/* A TCP segment without a flow (say, after an LB restart) is scheduled, and counted. */
static void test_midstream(void **state)
{
	static const struct step steps[] = {
		{ "ACK of an unknown flow", TCP4(40000, PSHACK), XDP_TX, 1 },
		{ "its next ACK", TCP4(40000, ACK), XDP_TX, 1 },
		{ "SYN of another flow", TCP4(40001, SYN), XDP_TX, 2 },
	};
	struct fixture *f = *state;
	uint64_t before[XLB_CNT__COUNT], delta[XLB_CNT__COUNT] = { 0 };

	counters(f->dp, before);
	run_steps(f, steps, ARRAY_SIZE(steps));
	delta[XLB_CNT_RX] = 3;
	delta[XLB_CNT_FWD_TX] = 3;
	delta[XLB_CNT_NEW_FLOW] = 2;
	delta[XLB_CNT_FLOW_MIDSTREAM] = 1;
	check_counters(f->dp, "midstream", before, delta);
}

/* ---- scheduling ---- */

static void test_rr_order(void **state)
{
	static const uint32_t want[] = { 1, 2, 3, 1, 2, 3 };
	struct fixture *f = *state;
	struct pkt in;

	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		char desc[64];

		snprintf(desc, sizeof(desc), "rr new flow %zu", i);
		build_flow(&in, &(struct flow)TCP4(41000 + i, SYN));
		expect(f, desc, &in, XDP_TX, want[i]);
	}
	for (uint32_t id = 1; id <= 3; id++)
		check_stats(f->dp, DP_STATS_REAL, id, 2, 2 * in.len, 2);
}

static void test_wrr_shares(void **state)
{
	/* ip_vs_wrr's interleaving for weights 3,2,1 */
	static const uint32_t first[] = { 31, 31, 32, 31, 32, 33 };
	struct fixture *f = *state;
	unsigned int got[3] = { 0 };
	struct pkt in;

	for (int i = 0; i < 60; i++) {
		struct flow fl = TCP4(42000 + i, SYN);
		char desc[64];
		uint32_t id;

		fl.dst = VIP4_WRR;
		snprintf(desc, sizeof(desc), "wrr new flow %d", i);
		build_flow(&in, &fl);
		id = tx_real(f, desc, &in);
		if (i < 6 && id != first[i])
			fail_msg("wrr flow %d went to real %u, want %u", i, id, first[i]);
		assert_in_range(id, 31, 33);
		got[id - 31]++;
	}
	assert_int_equal(got[0], 30);
	assert_int_equal(got[1], 20);
	assert_int_equal(got[2], 10);
	check_stats(f->dp, DP_STATS_REAL, 31, 30, 30 * in.len, 30);
	check_stats(f->dp, DP_STATS_REAL, 33, 10, 10 * in.len, 10);
	check_stats(f->dp, DP_STATS_SERVICE, SVC_WRR, 60, 60 * in.len, 60);
}

static void test_empty_ring_drops(void **state)
{
	struct fixture *f = *state;
	uint64_t before[XLB_CNT__COUNT], delta[XLB_CNT__COUNT] = { 0 };
	struct flow fl = TCP4(40000, SYN);
	struct pkt in;

	fl.dst = VIP4_EMPTY;
	build_flow(&in, &fl);
	counters(f->dp, before);
	expect(f, "SYN to a service without usable reals", &in, XDP_DROP, 0);
	fl.tcp_flags = ACK;
	build_flow(&in, &fl);
	expect(f, "its ACK", &in, XDP_DROP, 0);
	delta[XLB_CNT_RX] = 2;
	delta[XLB_CNT_DROP_NO_REAL] = 2;
	delta[XLB_CNT_FLOW_MIDSTREAM] = 1; /* the ACK had no flow either */
	check_counters(f->dp, "empty ring", before, delta);
	check_stats(f->dp, DP_STATS_SERVICE, SVC_EMPTY, 0, 0, 0);
}

/* A ring naming an id the reals map lacks is a bug upstream; drop, do not forward. */
static void test_ring_names_missing_real(void **state)
{
	static const struct sched_real ghost[] = { SCHED_REAL(99, 1, true) };
	struct fixture *f = *state;
	struct xlb_service_key key = svc_key(XLB_FAMILY_V4, VIP4, 80, IPPROTO_TCP);
	uint64_t before[XLB_CNT__COUNT], delta[XLB_CNT__COUNT] = { 0 };
	struct pkt in;

	put_ring(f, &key, SVC_TCP4, 1, SCHED_RR, ghost, 1, XLB_SVC_F_ACTIVE);
	build_flow(&in, &(struct flow)TCP4(40000, SYN));
	counters(f->dp, before);
	expect(f, "SYN scheduled to a missing real", &in, XDP_DROP, 0);
	delta[XLB_CNT_RX] = 1;
	delta[XLB_CNT_DROP_BAD_REAL] = 1;
	check_counters(f->dp, "missing real", before, delta);
}

/* ---- reals going away under established flows ---- */

static void test_real_deleted(void **state)
{
	static const struct sched_real without_1[] = { SCHED_REAL(2, 1, true), SCHED_REAL(3, 1, true) };
	struct fixture *f = *state;
	struct xlb_service_key key = svc_key(XLB_FAMILY_V4, VIP4, 80, IPPROTO_TCP);
	uint64_t before[XLB_CNT__COUNT], delta[XLB_CNT__COUNT] = { 0 };
	struct pkt in;

	build_flow(&in, &(struct flow)TCP4(40000, SYN));
	expect(f, "SYN", &in, XDP_TX, 1);

	/* what xlbd does when a real leaves the config: new ring first, then the real */
	put_ring(f, &key, SVC_TCP4, 1, SCHED_RR, without_1, ARRAY_SIZE(without_1),
		 XLB_SVC_F_ACTIVE);
	assert_int_equal(dataplane_real_del(f->dp, 1), 0);

	counters(f->dp, before);
	build_flow(&in, &(struct flow)TCP4(40000, ACK));
	/* the cursor is at 1 after the first SYN; slot 1's ring is {2, 3} */
	expect(f, "ACK after its real was deleted", &in, XDP_TX, 3);
	expect(f, "next ACK stays on the new real", &in, XDP_TX, 3);
	delta[XLB_CNT_RX] = 2;
	delta[XLB_CNT_FWD_TX] = 2;
	delta[XLB_CNT_NEW_FLOW] = 1;
	delta[XLB_CNT_FLOW_STALE_REAL] = 1;
	check_counters(f->dp, "real deleted", before, delta);
	check_stats(f->dp, DP_STATS_REAL, 3, 2, 2 * in.len, 1);
}

static void test_real_new_gen(void **state)
{
	struct fixture *f = *state;
	uint64_t before[XLB_CNT__COUNT], delta[XLB_CNT__COUNT] = { 0 };
	struct pkt in;

	build_flow(&in, &(struct flow)TCP4(40000, SYN));
	expect(f, "SYN", &in, XDP_TX, 1);

	/* id 1 reallocated to another backend: same id, new gen */
	put_real(f, 1, SVC_TCP4, XLB_FAMILY_V4, 5000, f->ifindex);

	counters(f->dp, before);
	build_flow(&in, &(struct flow)TCP4(40000, ACK));
	expect(f, "ACK after its real's id was reused", &in, XDP_TX, 2);
	expect(f, "next ACK stays on the new real", &in, XDP_TX, 2);
	delta[XLB_CNT_RX] = 2;
	delta[XLB_CNT_FWD_TX] = 2;
	delta[XLB_CNT_NEW_FLOW] = 1;
	delta[XLB_CNT_FLOW_STALE_REAL] = 1;
	check_counters(f->dp, "real reused", before, delta);
}

/* Without XLB_REAL_F_ACTIVE a real keeps no flows, like a deleted one. */
static void test_real_inactive(void **state)
{
	struct fixture *f = *state;
	struct xlb_real r = {
		.gen = 1001, /* the gen the flow recorded: only the flag differs */
		.ifindex = f->ifindex,
		.svc_id = SVC_TCP4,
		.family = XLB_FAMILY_V4,
	};
	struct pkt in;

	real_mac(1, r.dst_mac);
	memcpy(r.src_mac, EGRESS_MAC, 6);

	build_flow(&in, &(struct flow)TCP4(40000, SYN));
	expect(f, "SYN", &in, XDP_TX, 1);
	assert_int_equal(dataplane_real_put(f->dp, 1, &r), 0);
	build_flow(&in, &(struct flow)TCP4(40000, ACK));
	expect(f, "ACK after its real went inactive", &in, XDP_TX, 2);
}

/* ---- stats ---- */

static void test_stats_exact(void **state)
{
	struct fixture *f = *state;
	struct pkt syn_a, data_a, syn_b, other;
	uint64_t svc_bytes;

	build_flow(&syn_a, &(struct flow)TCP4(40000, SYN));
	build_flow(&data_a, &(struct flow)TCP4(40000, PSHACK));
	build_flow(&syn_b, &(struct flow)TCP4(40001, SYN));
	f_tcp4_other_port(&other);
	assert_int_not_equal(syn_a.len, data_a.len);

	expect(f, "A SYN", &syn_a, XDP_TX, 1);
	expect(f, "A data", &data_a, XDP_TX, 1);
	expect(f, "A data again", &data_a, XDP_TX, 1);
	expect(f, "B SYN", &syn_b, XDP_TX, 2);
	expect(f, "not a service", &other, XDP_PASS, 0);

	svc_bytes = syn_a.len + 2 * data_a.len + syn_b.len;
	check_stats(f->dp, DP_STATS_SERVICE, SVC_TCP4, 4, svc_bytes, 2);
	check_stats(f->dp, DP_STATS_REAL, 1, 3, syn_a.len + 2 * data_a.len, 1);
	check_stats(f->dp, DP_STATS_REAL, 2, 1, syn_b.len, 1);
	check_stats(f->dp, DP_STATS_REAL, 3, 0, 0, 0);
	check_stats(f->dp, DP_STATS_SERVICE, SVC_UDP4, 0, 0, 0);

	assert_int_equal(dataplane_stats_reset(f->dp, DP_STATS_REAL, 1), 0);
	check_stats(f->dp, DP_STATS_REAL, 1, 0, 0, 0);
	expect(f, "A data after reset", &data_a, XDP_TX, 1);
	check_stats(f->dp, DP_STATS_REAL, 1, 1, data_a.len, 0);
	check_stats(f->dp, DP_STATS_SERVICE, SVC_TCP4, 5, svc_bytes + data_a.len, 2);
}

/* ---- what an HA backup must not forward, and what connection sync hears ---- */

/* A unicast frame to another MAC (flooded to us) passes untouched once xlbd registered ours. */
static void test_other_host(void **state)
{
	static const uint8_t OTHER_MAC[6] = { 0x02, 0x00, 0x00, 0x00, 0x99, 0x01 };
	struct fixture *f = *state;
	uint32_t slot = f->ifindex % XLB_IFACE_SLOTS;
	struct xlb_iface ifc = { .ifindex = f->ifindex };
	struct pkt syn, flooded;
	uint64_t c[XLB_CNT__COUNT];

	build_flow(&syn, &(struct flow)TCP4(40000, SYN));
	flooded = syn;
	memcpy(flooded.buf, OTHER_MAC, 6);
	/* Not registered yet: no filter (tests, tools that attach by hand). */
	expect(f, "flooded, interface unknown", &flooded, XDP_TX, 1);
	memcpy(ifc.mac, LB_MAC, 6);
	assert_int_equal(bpf_map_update_elem(dataplane_map_fd(f->dp, "iface_macs"), &slot, &ifc, 0), 0);
	build_flow(&syn, &(struct flow)TCP4(40001, SYN));
	flooded = syn;
	memcpy(flooded.buf, OTHER_MAC, 6);
	expect(f, "flooded to another MAC", &flooded, XDP_PASS, 0);
	counters(f->dp, c);
	assert_int_equal(c[XLB_CNT_PASS_OTHER_HOST], 1);
	expect(f, "addressed to us", &syn, XDP_TX, 2);
}

struct events_seen {
	struct xlb_flow_event ev[8];
	size_t n;
};

static int on_flow_event(void *ctx, void *data, size_t size)
{
	struct events_seen *seen = ctx;

	assert_int_equal(size, sizeof(struct xlb_flow_event));
	if (seen->n < 8)
		memcpy(&seen->ev[seen->n], data, size);
	seen->n++;
	return 0;
}

/* Established, UDP and finished flows are reported to sync; a SYN-only flow is not. */
static void test_flow_events(void **state)
{
	struct fixture *f = *state;
	struct events_seen seen = { .n = 0 };
	struct ring_buffer *rb = ring_buffer__new(dataplane_flow_events_fd(f->dp), on_flow_event,
						  &seen, NULL);
	struct pkt syn, ack, fin, udp, data_b;
	struct xlb_flow flow = { 0 }, got;
	struct xlb_real real;

	assert_non_null(rb);
	build_flow(&syn, &(struct flow)TCP4(40000, SYN));
	build_flow(&ack, &(struct flow)TCP4(40000, ACK));
	build_flow(&fin, &(struct flow)TCP4(40000, FINACK));
	build_flow(&udp, &(struct flow)UDP4(5353));

	expect(f, "SYN", &syn, XDP_TX, 1);
	expect(f, "SYN again", &syn, XDP_TX, 1);
	ring_buffer__consume(rb);
	assert_int_equal(seen.n, 0);

	expect(f, "ACK", &ack, XDP_TX, 1);
	expect(f, "ACK again (no change)", &ack, XDP_TX, 1);
	ring_buffer__consume(rb);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.ev[0].flow.state, XLB_FS_EST);
	assert_int_equal(seen.ev[0].key.sport, htons(40000));
	assert_int_equal(seen.ev[0].flow.real_id, 1);
	assert_int_equal(dataplane_real_get(f->dp, 1, &real), 0);
	assert_memory_equal(&seen.ev[0].real_addr, &real.addr, sizeof(real.addr));
	assert_int_equal(seen.ev[0].real_port, real.port);

	expect(f, "FIN", &fin, XDP_TX, 1);
	expect(f, "UDP", &udp, XDP_TX, 11);
	ring_buffer__consume(rb);
	assert_int_equal(seen.n, 3);
	assert_int_equal(seen.ev[1].flow.state, XLB_FS_FIN);
	assert_int_equal(seen.ev[2].flow.state, XLB_FS_UDP);

	/* A flow installed from a peer is ours again after one packet. */
	build_flow(&data_b, &(struct flow)TCP4(40100, PSHACK));
	flow.real_id = 3;
	assert_int_equal(dataplane_real_get(f->dp, 3, &real), 0);
	flow.real_gen = real.gen;
	flow.svc_id = SVC_TCP4;
	flow.state = XLB_FS_EST;
	flow.flags = XLB_FLOW_F_SYNCED;
	struct xlb_flow_key key = { .proto = IPPROTO_TCP, .family = XLB_FAMILY_V4 };
	key.src.addr[0] = ip4(CLIENT4);
	key.dst.addr[0] = ip4(VIP4);
	key.sport = htons(40100);
	key.dport = htons(80);
	assert_int_equal(dataplane_flow_put(f->dp, &key, &flow), 0);
	expect(f, "synced flow", &data_b, XDP_TX, 3);
	assert_int_equal(dataplane_flow_get(f->dp, &key, &got), 0);
	assert_int_equal(got.flags & XLB_FLOW_F_SYNCED, 0);
	ring_buffer__free(rb);
}

/* ---- reals behind another interface ---- */

/* Any interface but lo; XDP test runs never transmit, it only has to exist. */
static uint32_t other_ifindex(uint32_t not )
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	uint32_t found = 0;

	if (!ifs)
		return 0;
	for (i = ifs; i->if_index && !found; i++)
		if (i->if_index != not )
			found = i->if_index;
	if_freenameindex(ifs);
	return found;
}

static void test_redirect(void **state)
{
	struct fixture *f = *state;
	uint32_t ifindex = other_ifindex(f->ifindex);
	uint64_t before[XLB_CNT__COUNT], delta[XLB_CNT__COUNT] = { 0 };
	struct pkt in;

	if (!ifindex)
		skip();
	put_real(f, 2, SVC_TCP4, XLB_FAMILY_V4, 1002, ifindex);
	assert_int_equal(dataplane_txport_add(f->dp, ifindex), 0);

	counters(f->dp, before);
	build_flow(&in, &(struct flow)TCP4(40000, SYN));
	expect(f, "SYN to a real on the ingress interface", &in, XDP_TX, 1);
	build_flow(&in, &(struct flow)TCP4(40001, SYN));
	expect(f, "SYN to a real on another interface", &in, XDP_REDIRECT, 2);
	build_flow(&in, &(struct flow)TCP4(40001, ACK));
	expect(f, "its ACK", &in, XDP_REDIRECT, 2);
	delta[XLB_CNT_RX] = 3;
	delta[XLB_CNT_FWD_TX] = 1;
	delta[XLB_CNT_FWD_REDIRECT] = 2;
	delta[XLB_CNT_NEW_FLOW] = 2;
	check_counters(f->dp, "redirect", before, delta);

	/*
	 * An interface xlb is not attached to is not in tx_ports: the redirect
	 * fails closed (the MACs are already rewritten, harmless on a drop).
	 */
	assert_int_equal(dataplane_txport_del(f->dp, ifindex), 0);
	expect(f, "ACK to a real behind an interface not in tx_ports", &in, XDP_DROP, 2);
}

/* ---- the builder itself: a checksum error would only show up as a confusing diff ---- */

static void test_pktbuild(void **state)
{
	/* the worked example in Wikipedia's "IPv4 header checksum": 0xb861 */
	static const uint8_t ip_want[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40,
					    0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8,
					    0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };
	uint8_t zeros[115 - 28] = { 0 };
	struct in6_addr s = ip6(CLIENT6), d = ip6(VIP6);
	struct pkt p;
	uint32_t sum;

	(void)state;
	pkt_init(&p);
	pkt_eth(&p, LB_MAC, CLIENT_MAC, ETH_P_IP);
	pkt_ipv4(&p, ip4("192.168.0.1"), ip4("192.168.0.199"), IPPROTO_UDP);
	pkt_udp(&p, 1, 2);
	pkt_payload(&p, zeros, sizeof(zeros));
	pkt_finish(&p);
	assert_memory_equal(p.buf + 14, ip_want, sizeof(ip_want));

	/* a valid L4 checksum sums to 0xffff with the pseudo header */
	build_flow(&p, &(struct flow)TCP4(40000, PSHACK));
	sum = pkt_csum_add(pkt_pseudo_sum(&p, IPPROTO_TCP, p.len - p.l4_off), p.buf + p.l4_off,
			   p.len - p.l4_off);
	assert_int_equal(pkt_csum_fold(sum), 0);
	build_flow(&p, &(struct flow){ .family = 6, .proto = IPPROTO_UDP, .sport = 1, .dport = 53 });
	sum = pkt_csum_add(pkt_pseudo_sum(&p, IPPROTO_UDP, p.len - p.l4_off), p.buf + p.l4_off,
			   p.len - p.l4_off);
	assert_int_equal(pkt_csum_fold(sum), 0);
	/* IPv6 payload length and UDP length */
	assert_int_equal(p.buf[14 + 4] << 8 | p.buf[14 + 5], p.len - 14 - 40);
	assert_int_equal(p.buf[54 + 4] << 8 | p.buf[54 + 5], p.len - 14 - 40);

	/* SYN 10.0.1.1:40000 -> 10.0.0.100:80, seq 0x1000, win 64240; sums from Python */
	build_flow(&p, &(struct flow)TCP4(40000, SYN));
	assert_int_equal(p.len, 54);
	assert_int_equal(p.buf[14 + 10] << 8 | p.buf[14 + 11], 0x256c);
	assert_int_equal(p.buf[34 + 16] << 8 | p.buf[34 + 17], 0xf2fc);

	/* extension headers chain: ipv6 -> hop-by-hop -> dstopts -> tcp */
	pkt_init(&p);
	pkt_eth(&p, LB_MAC, CLIENT_MAC, ETH_P_IPV6);
	pkt_ipv6(&p, &s, &d, IPPROTO_TCP);
	pkt_ipv6_ext(&p, IPPROTO_HOPOPTS, 8);
	pkt_ipv6_ext(&p, IPPROTO_DSTOPTS, 16);
	pkt_tcp(&p, 1, 80, SYN);
	pkt_finish(&p);
	assert_int_equal(p.buf[14 + 6], IPPROTO_HOPOPTS);
	assert_int_equal(p.buf[54], IPPROTO_DSTOPTS);
	assert_int_equal(p.buf[62], IPPROTO_TCP);
	assert_int_equal(p.buf[63], 1);
	assert_int_equal(p.buf[14 + 4] << 8 | p.buf[14 + 5], 8 + 16 + 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pktbuild),
		cmocka_unit_test_setup_teardown(test_pass_untouched, setup, pkt_free_state),
		cmocka_unit_test_setup_teardown(test_runt, setup, pkt_free_state),
		cmocka_unit_test_setup_teardown(test_tcp4_flows, setup, pkt_free_state),
		cmocka_unit_test_setup_teardown(test_tcp6_flows, setup, pkt_free_state),
		cmocka_unit_test_setup_teardown(test_vlan_tag_kept, setup, pkt_free_state),
		cmocka_unit_test_setup_teardown(test_ip_options_and_ext_headers, setup, pkt_free_state),
		cmocka_unit_test_setup_teardown(test_udp, setup, pkt_free_state),
		cmocka_unit_test_setup_teardown(test_midstream, setup, pkt_free_state),
		cmocka_unit_test_setup_teardown(test_rr_order, setup, pkt_free_state),
		cmocka_unit_test_setup_teardown(test_wrr_shares, setup, pkt_free_state),
		cmocka_unit_test_setup_teardown(test_empty_ring_drops, setup, pkt_free_state),
		cmocka_unit_test_setup_teardown(test_ring_names_missing_real, setup, pkt_free_state),
		cmocka_unit_test_setup_teardown(test_real_deleted, setup, pkt_free_state),
		cmocka_unit_test_setup_teardown(test_real_new_gen, setup, pkt_free_state),
		cmocka_unit_test_setup_teardown(test_real_inactive, setup, pkt_free_state),
		cmocka_unit_test_setup_teardown(test_stats_exact, setup, pkt_free_state),
		cmocka_unit_test_setup_teardown(test_redirect, setup, pkt_free_state),
		cmocka_unit_test_setup_teardown(test_other_host, setup, pkt_free_state),
		cmocka_unit_test_setup_teardown(test_flow_events, setup, pkt_free_state),
	};

	return pkt_dp_run_group("test_pkt_dr", tests);
}
