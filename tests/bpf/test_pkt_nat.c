// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* nat, fnat, ICMP errors on crafted frames: whole output frames both ways, sums checked apart. */
#include <errno.h>
#include <net/if.h>
#include <sched.h>
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
#include <linux/bpf.h>
#include <linux/pkt_cls.h>

#include "dataplane.h"
#include "map_reset.h"
#include "log.h"


/*
 * Frames from clients and reals are addressed to LB_MAC; toward a real they
 * leave from EGRESS_MAC to the real's own MAC (real_mac()).
 */
static const uint8_t ROUTER_MAC[6] = { 0x02, 0x00, 0x00, 0x00, 0x77, 0x01 };
static const uint8_t VETH_MAC[6] = { 0x02, 0x00, 0x00, 0x00, 0xfe, 0x01 };

/*
 * Test nets, host n in each: clients 10.0.1.n / 2001:db8:1::n, reals
 * 10.0.2.<id> / 2001:db8:2::<id>, fnat local addresses 10.0.3.n /
 * 2001:db8:3::n, a router 10.0.9.1 / 2001:db8:9::1.
 */
#define NET_CLIENT 1
#define NET_REAL 2
#define NET_LOCAL 3
#define NET_ROUTER 9
#define VIP4 "10.0.0.100"
#define VIP6 "2001:db8::100"

#define RPORT 8080 /* the reals' port for nat/fnat TCP: not the VIP's, so it shows */
#define RPORT_UDP 5353
#define DSCP4 10 /* AF11 */
#define DSCP6 12 /* AF12 */
#define TCLASS_IN 0xc2 /* CS6, what routers send ICMP with, and ECN 10: both halves show */
#define NO_SVC_PORT 99 /* a VIP port without a service */
#define VETH "xlbt0" /* test_reply_fib_resolved's interface, in our private netns */

#define FNAT_RANGE (XLB_FNAT_PORT_MAX - XLB_FNAT_PORT_MIN + 1)

struct svc_def {
	const char *name;
	uint8_t family;
	uint8_t proto;
	uint16_t port;
	uint8_t method;
	uint8_t dscp;
	uint16_t rport; /* the reals' port */
	uint8_t nlocals; /* fnat: local addresses 10.0.3.1 .. (or 2001:db8:3::1 ..) */
	uint32_t reals[2]; /* the rr ring, in order; 0: unused */
};

/* svc_id is the index. */
enum {
	NAT_TCP4,
	NAT_UDP4,
	NAT_TCP6,
	NAT_UDP6,
	FNAT_TCP4,
	FNAT_UDP4,
	FNAT_TCP6,
	FNAT_UDP6,
	DR_TCP4,
	DR_UDP4,
	DR_TCP6,
	DR_UDP6,
	DSCP_TCP4,
	DSCP_TCP6,
	FNAT1_TCP4, /* one real, one local address: every new flow competes for the same ports */
	FNAT1_TCP6, /* one real, two local addresses */
	SVC__COUNT,
};

#define TCP IPPROTO_TCP
#define UDP IPPROTO_UDP
#define M_NAT XLB_METHOD_NAT
#define M_FNAT XLB_METHOD_FNAT

/* clang-format off */
static const struct svc_def services[SVC__COUNT] = {
	[NAT_TCP4]   = { "nat tcp4",   4, TCP, 80, M_NAT,  0, RPORT,     0, { 1, 2 } },
	[NAT_UDP4]   = { "nat udp4",   4, UDP, 53, M_NAT,  0, RPORT_UDP, 0, { 3 } },
	[NAT_TCP6]   = { "nat tcp6",   6, TCP, 80, M_NAT,  0, RPORT,     0, { 21, 22 } },
	[NAT_UDP6]   = { "nat udp6",   6, UDP, 53, M_NAT,  0, RPORT_UDP, 0, { 23 } },
	[FNAT_TCP4]  = { "fnat tcp4",  4, TCP, 81, M_FNAT, 0, RPORT,     2, { 4, 5 } },
	[FNAT_UDP4]  = { "fnat udp4",  4, UDP, 54, M_FNAT, 0, RPORT_UDP, 1, { 6 } },
	[FNAT_TCP6]  = { "fnat tcp6",  6, TCP, 81, M_FNAT, 0, RPORT,     2, { 24, 25 } },
	[FNAT_UDP6]  = { "fnat udp6",  6, UDP, 54, M_FNAT, 0, RPORT_UDP, 1, { 26 } },
	[DR_TCP4]    = { "dr tcp4",    4, TCP, 82, XLB_METHOD_DR, 0, 82, 0, { 7 } },
	[DR_UDP4]    = { "dr udp4",    4, UDP, 82, XLB_METHOD_DR, 0, 82, 0, { 8 } },
	[DR_TCP6]    = { "dr tcp6",    6, TCP, 82, XLB_METHOD_DR, 0, 82, 0, { 27 } },
	[DR_UDP6]    = { "dr udp6",    6, UDP, 82, XLB_METHOD_DR, 0, 82, 0, { 28 } },
	[DSCP_TCP4]  = { "dscp tcp4",  4, TCP, 83, XLB_METHOD_DSCP, DSCP4, 83, 0, { 9 } },
	[DSCP_TCP6]  = { "dscp tcp6",  6, TCP, 83, XLB_METHOD_DSCP, DSCP6, 83, 0, { 29 } },
	[FNAT1_TCP4] = { "fnat1 tcp4", 4, TCP, 84, M_FNAT, 0, RPORT,     1, { 10 } },
	[FNAT1_TCP6] = { "fnat1 tcp6", 6, TCP, 84, M_FNAT, 0, RPORT,     2, { 30 } },
};
/* clang-format on */

/* ---- a model of the flows the program should hold, fnat's port claims included ---- */

#define MODEL_MAX 64

struct mflow {
	uint32_t svc_id;
	uint8_t client; /* host number on the client net */
	uint16_t cport;
	uint32_t real_id;
	struct xlb_addr local; /* fnat: our source address toward the real */
	uint16_t lport; /* fnat: our source port, host order */
};

/* A (real, local address, port) taken: by a flow, or pre-filled by a test. */
struct mport {
	uint32_t real_id;
	uint8_t proto;
	struct xlb_addr local;
	uint16_t port;
};

struct model {
	struct mflow flows[MODEL_MAX];
	size_t nflows;
	struct mport ports[MODEL_MAX];
	size_t nports;
};

struct fixture {
	struct dataplane *dp;
	int xdp_fd;
	int tc_fd;
	int nat_rev_fd;
	int flows_fd;
	uint32_t ifindex; /* ingress of every run, and the reals' egress: XDP_TX */
	struct model m;
};

/* Set by main() once this process has its own network namespace. */
static bool private_netns;

/* ---- addresses ---- */

static struct xlb_addr xaddr(uint8_t family, const char *s)
{
	struct xlb_addr a = { 0 };

	if (inet_pton(family == 4 ? AF_INET : AF_INET6, s, a.addr) != 1)
		abort();
	return a;
}

static struct xlb_addr host(uint8_t family, unsigned int net, unsigned int n)
{
	char s[64];

	if (family == 4)
		snprintf(s, sizeof(s), "10.0.%u.%u", net, n);
	else
		snprintf(s, sizeof(s), "2001:db8:%x::%x", net, n);
	return xaddr(family, s);
}

static struct xlb_addr vip(uint8_t family)
{
	return xaddr(family, family == 4 ? VIP4 : VIP6);
}

static bool addr_equal(const struct xlb_addr *a, const struct xlb_addr *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

/* ---- frames ---- */

#define SYN PKT_TCP_SYN
#define ACK PKT_TCP_ACK
#define SYNACK (PKT_TCP_SYN | PKT_TCP_ACK)
#define PSHACK (PKT_TCP_PSH | PKT_TCP_ACK)
#define FINACK (PKT_TCP_FIN | PKT_TCP_ACK)

#define FR_IP_OPTIONS 0x01 /* IPv4 Record Route option, 8 bytes (IPv4 steps only) */
#define FR_NO_CSUM 0x02 /* IPv4 UDP without a checksum (IPv4 steps only) */
#define FR_CSUM_FFFF 0x04 /* UDP payload tuned so the output's checksum is 0xffff, not 0 */
#define FR_MF 0x08 /* IPv4 more-fragments set */
#define FR_V4_ONLY (FR_IP_OPTIONS | FR_NO_CSUM)

struct frame {
	uint8_t family;
	uint8_t proto;
	struct xlb_addr src;
	struct xlb_addr dst;
	uint16_t sport; /* host order */
	uint16_t dport;
	uint8_t tcp_flags;
	uint8_t tclass; /* IPv4 TOS / IPv6 traffic class */
	const uint8_t *dmac;
	const uint8_t *smac;
	uint8_t flags; /* FR_* */
	uint16_t tune; /* UDP: the payload's first 16-bit word */
};

static const char http_get[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
static const char dns_query[] = "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x01x\x00\x00\x01";

static void build_frame(struct pkt *p, const struct frame *fr)
{
	/* Record Route with room for one address, then End of Option List */
	static const uint8_t rr_opt[8] = { 7, 7, 4, 0, 0, 0, 0, 0 };
	uint8_t word[2] = { fr->tune >> 8, fr->tune & 0xff };

	pkt_init(p);
	pkt_eth(p, fr->dmac, fr->smac, fr->family == 4 ? ETH_P_IP : ETH_P_IPV6);
	if (fr->family == 4) {
		struct iphdr *ip = pkt_ipv4(p, fr->src.addr[0], fr->dst.addr[0], fr->proto);

		ip->tos = fr->tclass;
		if (fr->flags & FR_MF) {
			ip->frag_off = htons(PKT_IP_MF);
			ip->id = htons(0x4242);
		}
		if (fr->flags & FR_IP_OPTIONS)
			pkt_ipv4_options(p, rr_opt, sizeof(rr_opt));
	} else {
		struct in6_addr s, d;
		uint8_t *ip6;

		memcpy(&s, fr->src.addr, 16);
		memcpy(&d, fr->dst.addr, 16);
		ip6 = (uint8_t *)pkt_ipv6(p, &s, &d, fr->proto);
		ip6[0] = 0x60 | fr->tclass >> 4;
		ip6[1] = (uint8_t)(fr->tclass << 4);
	}
	if (fr->proto == IPPROTO_TCP) {
		pkt_tcp(p, fr->sport, fr->dport, fr->tcp_flags);
		if (fr->tcp_flags & PKT_TCP_PSH)
			pkt_payload(p, http_get, sizeof(http_get) - 1);
	} else {
		pkt_udp(p, fr->sport, fr->dport);
		pkt_payload(p, word, sizeof(word));
		pkt_payload(p, dns_query, sizeof(dns_query) - 1);
	}
	pkt_finish(p);
	if (fr->flags & FR_NO_CSUM)
		p->buf[p->l4_off + 6] = p->buf[p->l4_off + 7] = 0;
}

/*
 * FR_CSUM_FFFF: picks the payload word that makes @want's computed UDP
 * checksum 0, which UDP sends as 0xffff. The input frame carries the same
 * payload, so the program's incremental update must land on 0xffff as well.
 */
static void tune_for_ffff(struct frame *want)
{
	struct pkt p;
	uint32_t sum;

	want->tune = 0;
	build_frame(&p, want);
	p.buf[p.l4_off + 6] = p.buf[p.l4_off + 7] = 0;
	sum = pkt_pseudo_sum(&p, IPPROTO_UDP, p.len - p.l4_off);
	want->tune = pkt_csum_fold(pkt_csum_add(sum, p.buf + p.l4_off, p.len - p.l4_off));
	build_frame(&p, want);
	if (be16(p.buf + p.l4_off + 6) != 0xffff)
		__builtin_trap();
}

/*
 * ICMP or ICMPv6 message @type/@code with 4 bytes @rest (MTU and such) and
 * @body (the quoted packet, or echo data), from @src to @dst.
 */
static void build_icmp(struct pkt *p, uint8_t family, const struct xlb_addr *src,
		       const struct xlb_addr *dst, const uint8_t *smac, uint8_t tclass, uint8_t type,
		       uint8_t code, uint32_t rest, const uint8_t *body, size_t blen)
{
	uint8_t hdr[8] = { type, code, 0, 0, rest >> 24, rest >> 16, rest >> 8, rest };
	uint8_t *icmp;
	size_t len = sizeof(hdr) + blen;
	uint32_t sum;

	pkt_init(p);
	pkt_eth(p, LB_MAC, smac, family == 4 ? ETH_P_IP : ETH_P_IPV6);
	if (family == 4) {
		pkt_ipv4(p, src->addr[0], dst->addr[0], IPPROTO_ICMP)->tos = tclass;
		/* routers' ICMP: DF clear, some ID */
		((struct iphdr *)(p->buf + p->l3_off))->frag_off = 0;
		((struct iphdr *)(p->buf + p->l3_off))->id = htons(0x0777);
	} else {
		struct in6_addr s, d;
		uint8_t *ip6;

		memcpy(&s, src->addr, 16);
		memcpy(&d, dst->addr, 16);
		ip6 = (uint8_t *)pkt_ipv6(p, &s, &d, IPPROTO_ICMPV6);
		ip6[0] = 0x60 | tclass >> 4;
		ip6[1] = (uint8_t)(tclass << 4);
	}
	icmp = pkt_put(p, len);
	memcpy(icmp, hdr, sizeof(hdr));
	memcpy(icmp + sizeof(hdr), body, blen);
	pkt_finish(p); /* no l4_off: IP lengths and the IPv4 header checksum only */
	sum = family == 4 ? 0 : pkt_pseudo_sum(p, IPPROTO_ICMPV6, len);
	pkt_put_be16(icmp + 2, pkt_csum_fold(pkt_csum_add(sum, icmp, len)));
}

/* ---- independent checksum verification ---- */

/*
 * RFC 1071, written apart from pktbuild.h's on purpose (the expected frames
 * are built with that one): big-endian 16-bit words added one at a time with
 * end-around carry, an odd last byte padded with zero. Data that carries a
 * correct checksum sums to 0xffff.
 */
static void check_frame_csums(const char *desc, const struct pkt *p, const struct frame *fr)
{
	bool udp0 = fr->proto == IPPROTO_UDP && (fr->flags & FR_NO_CSUM);

	check_csums(desc, p, fr->family == 4, !udp0, udp0);
}

/* ---- the program and its maps ---- */

static struct xlb_addr local_addr(uint8_t family, uint32_t idx)
{
	return host(family, NET_LOCAL, idx + 1);
}

static int set_nat_services(struct fixture *f, uint32_t n)
{
	struct xlb_globals g = { .nat_services = n };

	return dataplane_globals_put(f->dp, &g);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	uint32_t nat_services = 0;
	int err = 0;

	if (!f)
		return -1;
	f->nat_rev_fd = f->flows_fd = -1;
	*state = f;
	f->dp = pkt_dp_fresh_lo(&f->ifindex);
	if (!f->dp) {
		return -1;
	}
	f->xdp_fd = dataplane_prog_fd(f->dp, false);
	f->tc_fd = dataplane_prog_fd(f->dp, true);
	f->nat_rev_fd = dataplane_map_fd(f->dp, "nat_rev");
	f->flows_fd = dataplane_map_fd(f->dp, "flows");
	if (f->nat_rev_fd < 0 || f->flows_fd < 0) {
		print_error("cannot find the nat_rev and flows maps\n");
		return -1;
	}

	for (uint32_t i = 0; i < SVC__COUNT; i++) {
		const struct svc_def *s = &services[i];
		struct xlb_service_key key = {
			.vip = vip(s->family),
			.port = htons(s->port),
			.proto = s->proto,
			.family = s->family,
		};
		struct xlb_service svc = {
			.svc_id = i,
			.flags = XLB_SVC_F_ACTIVE,
			.method = s->method,
			.sched_kind = XLB_SCHED_KIND_RING,
			.dscp = s->dscp,
		};
		struct xlb_fnat_locals locals = { .count = s->nlocals };
		struct xlb_ring *ring = calloc(1, sizeof(*ring));

		if (!ring)
			return -1;
		for (size_t j = 0; j < ARRAY_SIZE(s->reals) && s->reals[j]; j++) {
			struct xlb_real r = {
				.addr = host(s->family, NET_REAL, s->reals[j]),
				.gen = 1000 + s->reals[j],
				.flags = XLB_REAL_F_ACTIVE,
				.ifindex = f->ifindex,
				.svc_id = i,
				.port = htons(s->rport),
				.family = s->family,
				.mtu = 1500,
			};

			real_mac(s->reals[j], r.dst_mac);
			memcpy(r.src_mac, EGRESS_MAC, 6);
			if (dataplane_real_put(f->dp, s->reals[j], &r))
				err = -1;
			ring->real_ids[ring->len++] = s->reals[j];
		}
		if (dataplane_ring_put(f->dp, i * 2, ring))
			err = -1;
		free(ring);
		for (uint32_t j = 0; j < s->nlocals; j++)
			locals.addrs[j] = local_addr(s->family, j);
		if (s->nlocals && dataplane_fnat_locals_put(f->dp, i, &locals))
			err = -1;
		if (dataplane_service_put(f->dp, &key, &svc))
			err = -1;
		nat_services += s->method == M_NAT || s->method == M_FNAT;
	}
	if (err || set_nat_services(f, nat_services)) {
		print_error("cannot fill the maps\n");
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	free(f);
	return 0;
}

enum hook { XDP, TC };

static uint32_t run_on(struct fixture *f, enum hook hook, uint32_t ifindex, const struct pkt *in,
		       struct pkt *out)
{
	uint8_t buf[PKT_MAX + 64] = { 0 };
	struct xdp_md xctx = { .data_end = in->len, .ingress_ifindex = ifindex };
	struct __sk_buff sctx = { .ifindex = ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in->buf, .data_size_in = in->len,
		    .data_out = buf, .data_size_out = sizeof(buf), .repeat = 1);

	if (hook == XDP) {
		opts.ctx_in = &xctx;
		opts.ctx_size_in = sizeof(xctx);
	} else {
		opts.ctx_in = &sctx;
		opts.ctx_size_in = sizeof(sctx);
	}
	if (bpf_prog_test_run_opts(hook == XDP ? f->xdp_fd : f->tc_fd, &opts))
		fail_msg("%s bpf_prog_test_run_opts: %s", hook == XDP ? "XDP" : "tc",
			 strerror(errno));
	pkt_init(out);
	if (opts.data_size_out > sizeof(out->buf))
		fail_msg("output of %u bytes", opts.data_size_out);
	out->len = opts.data_size_out;
	memcpy(out->buf, buf, out->len);
	return opts.retval;
}

static uint32_t run(struct fixture *f, enum hook hook, const struct pkt *in, struct pkt *out)
{
	return run_on(f, hook, f->ifindex, in, out);
}

static const char *verdict_name(enum hook hook, uint32_t v)
{
	static const char *const xdp[] = { "XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX",
					   "XDP_REDIRECT" };

	if (hook == XDP)
		return v < ARRAY_SIZE(xdp) ? xdp[v] : "?";
	switch (v) {
	case TC_ACT_OK:
		return "TC_ACT_OK";
	case TC_ACT_SHOT:
		return "TC_ACT_SHOT";
	case TC_ACT_REDIRECT:
		return "TC_ACT_REDIRECT";
	default:
		return "?";
	}
}

static void check_hook_verdict(const char *desc, enum hook hook, uint32_t got, uint32_t want)
{
	if (got != want)
		fail_msg("%s: verdict %s, want %s", desc, verdict_name(hook, got),
			 verdict_name(hook, want));
}

/* ---- counters and stats ---- */

/* ---- the model ---- */

static struct xlb_flow_key client_key(uint32_t svc_id, uint8_t client, uint16_t cport)
{
	const struct svc_def *s = &services[svc_id];
	struct xlb_flow_key k = {
		.src = host(s->family, NET_CLIENT, client),
		.dst = vip(s->family),
		.sport = htons(cport),
		.dport = htons(s->port),
		.proto = s->proto,
		.family = s->family,
	};

	return k;
}

/* flow_hash() of bpf/fwd_encap.h, over the key's bytes as the program sees them. */
static uint32_t model_hash(const struct xlb_flow_key *key)
{
	uint32_t w[sizeof(*key) / 4], h = 0x9e3779b9;

	memcpy(w, key, sizeof(w));
	for (size_t i = 0; i < ARRAY_SIZE(w); i++) {
		h ^= w[i];
		h *= 0x85ebca6b;
		h ^= h >> 13;
	}
	return h;
}

/* fnat_claim()'s i-th candidate port for a flow hashing to @h (bpf/fwd_nat.h). */
static uint16_t fnat_candidate(uint32_t h, uint32_t i)
{
	return XLB_FNAT_PORT_MIN + (uint32_t)(h + i * 7919u) % FNAT_RANGE;
}

static struct mflow *model_find(struct model *m, uint32_t svc_id, uint8_t client, uint16_t cport)
{
	for (size_t i = 0; i < m->nflows; i++)
		if (m->flows[i].svc_id == svc_id && m->flows[i].client == client &&
		    m->flows[i].cport == cport)
			return &m->flows[i];
	return NULL;
}

static bool model_port_taken(const struct model *m, uint32_t real_id, uint8_t proto,
			     const struct xlb_addr *local, uint16_t port)
{
	for (size_t i = 0; i < m->nports; i++)
		if (m->ports[i].real_id == real_id && m->ports[i].proto == proto &&
		    m->ports[i].port == port && addr_equal(&m->ports[i].local, local))
			return true;
	return false;
}

static void model_take_port(struct model *m, uint32_t real_id, uint8_t proto,
			    const struct xlb_addr *local, uint16_t port)
{
	if (m->nports == MODEL_MAX)
		__builtin_trap();
	m->ports[m->nports++] = (struct mport){
		.real_id = real_id, .proto = proto, .local = *local, .port = port
	};
}

static void model_free_port(struct model *m, uint32_t real_id, uint8_t proto,
			    const struct xlb_addr *local, uint16_t port)
{
	for (size_t i = 0; i < m->nports; i++)
		if (m->ports[i].real_id == real_id && m->ports[i].proto == proto &&
		    m->ports[i].port == port && addr_equal(&m->ports[i].local, local)) {
			m->ports[i] = m->ports[--m->nports];
			return;
		}
	__builtin_trap();
}

/* What fnat_claim must pick: the local address by hash, the first free candidate port. */
static int model_claim(struct model *m, uint32_t svc_id, uint8_t client, uint16_t cport,
		       uint32_t real_id, struct xlb_addr *local, uint16_t *lport)
{
	const struct svc_def *s = &services[svc_id];
	struct xlb_flow_key k = client_key(svc_id, client, cport);
	uint32_t h = model_hash(&k);

	*local = local_addr(s->family, h % s->nlocals);
	for (uint32_t i = 0; i < XLB_FNAT_PORT_TRIES; i++) {
		uint16_t port = fnat_candidate(h, i);

		if (!model_port_taken(m, real_id, s->proto, local, port)) {
			model_take_port(m, real_id, s->proto, local, port);
			*lport = port;
			return 0;
		}
	}
	return -1;
}

static struct mflow *model_new(struct model *m, uint32_t svc_id, uint8_t client, uint16_t cport,
			       uint32_t real_id)
{
	struct mflow *fl;

	if (m->nflows == MODEL_MAX)
		__builtin_trap();
	fl = &m->flows[m->nflows++];
	*fl = (struct mflow){ .svc_id = svc_id, .client = client, .cport = cport,
			      .real_id = real_id };
	if (services[svc_id].method == M_FNAT &&
	    model_claim(m, svc_id, client, cport, real_id, &fl->local, &fl->lport))
		fail_msg("test bug: %s client %u:%u finds no free port in the model",
			 services[svc_id].name, client, cport);
	return fl;
}

/* The ring index rr gives the service's next new flow (every earlier one got a real). */
static uint8_t model_next_real(const struct model *m, uint32_t svc_id)
{
	const struct svc_def *s = &services[svc_id];
	size_t n = 0, len = s->reals[1] ? 2 : 1;

	for (size_t i = 0; i < m->nflows; i++)
		n += m->flows[i].svc_id == svc_id;
	return n % len;
}

/* ---- the frames of a flow, and what the program must turn them into ---- */

/* The client's packet to the VIP. */
static struct frame client_frame(uint32_t svc_id, uint8_t client, uint16_t cport, uint8_t flags,
				 uint8_t fr_flags)
{
	const struct svc_def *s = &services[svc_id];
	struct frame fr = {
		.family = s->family,
		.proto = s->proto,
		.src = host(s->family, NET_CLIENT, client),
		.dst = vip(s->family),
		.sport = cport,
		.dport = s->port,
		.tcp_flags = flags,
		.dmac = LB_MAC,
		.smac = CLIENT_MAC,
		.flags = fr_flags,
	};

	return fr;
}

/* ...as it must leave toward the flow's real. The MACs point into @mac. */
static struct frame expect_forward(const struct frame *in, const struct mflow *fl, uint8_t mac[6])
{
	const struct svc_def *s = &services[fl->svc_id];
	struct frame want = *in;

	real_mac(fl->real_id, mac);
	want.dmac = mac;
	want.smac = EGRESS_MAC;
	switch (s->method) {
	case XLB_METHOD_DSCP:
		want.dst = host(s->family, NET_REAL, fl->real_id);
		want.tclass = (uint8_t)(s->dscp << 2 | (in->tclass & 3));
		break;
	case M_FNAT:
		want.src = fl->local;
		want.sport = fl->lport;
		/* fall through */
	case M_NAT:
		want.dst = host(s->family, NET_REAL, fl->real_id);
		want.dport = s->rport;
		break;
	default:
		break;
	}
	return want;
}

/* The real's reply as it reaches the LB: to the client (nat) or our local address (fnat). */
static struct frame reply_frame(const struct mflow *fl, uint8_t flags, uint8_t fr_flags,
				uint8_t mac[6])
{
	const struct svc_def *s = &services[fl->svc_id];
	struct frame fr = {
		.family = s->family,
		.proto = s->proto,
		.src = host(s->family, NET_REAL, fl->real_id),
		.dst = s->method == M_FNAT ? fl->local : host(s->family, NET_CLIENT, fl->client),
		.sport = s->rport,
		.dport = s->method == M_FNAT ? fl->lport : fl->cport,
		.tcp_flags = flags,
		.dmac = LB_MAC,
		.smac = mac,
		.flags = fr_flags,
	};

	real_mac(fl->real_id, mac);
	return fr;
}

/* ...rewritten back to VIP -> client; L2 stays for the kernel to route. */
static struct frame expect_reply(const struct frame *in, const struct mflow *fl)
{
	const struct svc_def *s = &services[fl->svc_id];
	struct frame want = *in;

	want.src = vip(s->family);
	want.sport = s->port;
	want.dst = host(s->family, NET_CLIENT, fl->client);
	want.dport = fl->cport;
	return want;
}

/* ---- table-driven flows ---- */

enum dir {
	IN, /* client -> VIP */
	OUT, /* the real's reply, as it reaches the LB */
};

struct step {
	const char *desc;
	enum dir dir;
	uint8_t client; /* host number on the client net */
	uint16_t cport;
	uint8_t tcp_flags;
	uint8_t real; /* IN: index in the service's ring of the real the flow is on */
	uint8_t fr_flags; /* FR_* */
};

struct svc_tally {
	uint64_t packets, bytes, new_flows;
};

/* Runs one step, checks verdict, whole output frame, checksums and counters. */
static void run_step(struct fixture *f, enum hook hook, uint32_t svc_id, const struct step *st,
		     struct svc_tally *tally)
{
	const struct svc_def *s = &services[svc_id];
	uint64_t before[XLB_CNT__COUNT], delta[XLB_CNT__COUNT] = { 0 };
	struct mflow *fl = model_find(&f->m, svc_id, st->client, st->cport);
	struct frame in_fr, want_fr;
	struct pkt in, out, want;
	uint8_t mac[6];
	uint32_t verdict;
	char desc[160];

	snprintf(desc, sizeof(desc), "%s%s: %s", s->name, hook == TC ? " (tc)" : "", st->desc);
	delta[XLB_CNT_RX] = 1;
	if (st->dir == IN) {
		bool fresh = !fl;

		if (fresh)
			fl = model_new(&f->m, svc_id, st->client, st->cport, s->reals[st->real]);
		else if (fl->real_id != s->reals[st->real])
			fail_msg("test bug: %s: the flow is on real %u", desc, fl->real_id);
		in_fr = client_frame(svc_id, st->client, st->cport, st->tcp_flags, st->fr_flags);
		want_fr = expect_forward(&in_fr, fl, mac);
		verdict = hook == XDP ? XDP_TX : TC_ACT_REDIRECT;
		delta[XLB_CNT_FWD_TX] = 1;
		delta[XLB_CNT_NEW_FLOW] = fresh;
		delta[XLB_CNT_FLOW_MIDSTREAM] =
			fresh && s->proto == IPPROTO_TCP && st->tcp_flags != SYN;
	} else {
		if (!fl)
			fail_msg("test bug: %s: a reply on a flow never opened", desc);
		in_fr = reply_frame(fl, st->tcp_flags, st->fr_flags, mac);
		want_fr = expect_reply(&in_fr, fl);
		verdict = hook == XDP ? XDP_PASS : TC_ACT_OK;
		delta[XLB_CNT_NAT_REPLY] = 1;
		delta[XLB_CNT_NAT_REPLY_TO_STACK] = 1;
	}
	if (st->fr_flags & FR_CSUM_FFFF) {
		tune_for_ffff(&want_fr);
		in_fr.tune = want_fr.tune;
	}
	build_frame(&in, &in_fr);
	build_frame(&want, &want_fr);

	counters(f->dp, before);
	check_hook_verdict(desc, hook, run(f, hook, &in, &out), verdict);
	check_bytes(desc, &out, &want);
	check_frame_csums(desc, &out, &want_fr);
	check_counters(f->dp, desc, before, delta);
	if (tally && st->dir == IN) {
		tally->packets++;
		tally->bytes += in.len;
		tally->new_flows += delta[XLB_CNT_NEW_FLOW];
	}
}

static void run_steps(struct fixture *f, enum hook hook, uint32_t svc_id, const struct step *steps,
		      size_t n)
{
	struct svc_tally tally = { 0 };

	for (size_t i = 0; i < n; i++) {
		if (services[svc_id].family == 6 && (steps[i].fr_flags & FR_V4_ONLY))
			continue;
		run_step(f, hook, svc_id, &steps[i], &tally);
	}
	/* replies are not service traffic */
	check_stats(f->dp, DP_STATS_SERVICE, svc_id, tally.packets, tally.bytes, tally.new_flows);
}

/* For services with two reals (rr: a new flow takes the next). */
/* clang-format off */
static const struct step tcp_steps[] = {
	{ "A SYN", IN, 1, 40000, SYN, 0, 0 },
	{ "A SYN-ACK from the real", OUT, 1, 40000, SYNACK, 0, 0 },
	{ "A ACK", IN, 1, 40000, ACK, 0, 0 },
	{ "A request", IN, 1, 40000, PSHACK, 0, 0 },
	{ "B SYN (another client, same port)", IN, 2, 40000, SYN, 1, 0 },
	{ "A response", OUT, 1, 40000, PSHACK, 0, 0 },
	{ "B SYN-ACK", OUT, 2, 40000, SYNACK, 1, 0 },
	{ "B ACK", IN, 2, 40000, ACK, 1, 0 },
	{ "A ACK with IP options", IN, 1, 40000, ACK, 0, FR_IP_OPTIONS },
	{ "A response with IP options", OUT, 1, 40000, PSHACK, 0, FR_IP_OPTIONS },
	{ "C SYN (client A, next port)", IN, 1, 40001, SYN, 0, 0 },
	{ "C SYN-ACK", OUT, 1, 40001, SYNACK, 0, 0 },
	{ "D SYN (client 3)", IN, 3, 51234, SYN, 1, 0 },
	{ "D SYN-ACK", OUT, 3, 51234, SYNACK, 1, 0 },
	{ "E SYN (client 4)", IN, 4, 33333, SYN, 0, 0 },
	{ "E SYN-ACK", OUT, 4, 33333, SYNACK, 0, 0 },
	{ "B response", OUT, 2, 40000, PSHACK, 1, 0 },
	{ "A FIN", IN, 1, 40000, FINACK, 0, 0 },
	{ "A FIN from the real", OUT, 1, 40000, FINACK, 0, 0 },
	{ "C ACK", IN, 1, 40001, ACK, 0, 0 },
	{ "D data", IN, 3, 51234, PSHACK, 1, 0 },
};

/* For services with one real. */
static const struct step udp_steps[] = {
	{ "A request", IN, 1, 5000, 0, 0, 0 },
	{ "A response", OUT, 1, 5000, 0, 0, 0 },
	{ "A request again", IN, 1, 5000, 0, 0, 0 },
	{ "B request (another client, same port)", IN, 2, 5000, 0, 0, 0 },
	{ "B response", OUT, 2, 5000, 0, 0, 0 },
	{ "A request whose checksum becomes 0xffff", IN, 1, 5000, 0, 0, FR_CSUM_FFFF },
	{ "A response whose checksum becomes 0xffff", OUT, 1, 5000, 0, 0, FR_CSUM_FFFF },
	{ "A request without checksum", IN, 1, 5000, 0, 0, FR_NO_CSUM },
	{ "A response without checksum", OUT, 1, 5000, 0, 0, FR_NO_CSUM },
	{ "A request with IP options", IN, 1, 5000, 0, 0, FR_IP_OPTIONS },
	{ "A response with IP options", OUT, 1, 5000, 0, 0, FR_IP_OPTIONS },
	{ "C request (client A, next port)", IN, 1, 5001, 0, 0, 0 },
	{ "C response", OUT, 1, 5001, 0, 0, 0 },
	{ "B request again", IN, 2, 5000, 0, 0, 0 },
};
/* clang-format on */

/* Table coverage: a two-address fnat service must have used both addresses. */
static void check_both_locals_used(struct fixture *f, uint32_t svc_id)
{
	const struct svc_def *s = &services[svc_id];
	bool used[2] = { false, false };

	for (size_t i = 0; i < f->m.nflows; i++) {
		struct xlb_addr a0 = local_addr(s->family, 0);

		if (f->m.flows[i].svc_id == svc_id)
			used[!addr_equal(&f->m.flows[i].local, &a0)] = true;
	}
	if (!used[0] || !used[1])
		fail_msg("test bug: %s flows used only local address %d", s->name, used[1]);
}

static void test_nat_tcp4(void **state)
{
	run_steps(*state, XDP, NAT_TCP4, tcp_steps, ARRAY_SIZE(tcp_steps));
}

static void test_nat_tcp6(void **state)
{
	run_steps(*state, XDP, NAT_TCP6, tcp_steps, ARRAY_SIZE(tcp_steps));
}

static void test_nat_udp4(void **state)
{
	run_steps(*state, XDP, NAT_UDP4, udp_steps, ARRAY_SIZE(udp_steps));
}

static void test_nat_udp6(void **state)
{
	run_steps(*state, XDP, NAT_UDP6, udp_steps, ARRAY_SIZE(udp_steps));
}

static void test_fnat_tcp4(void **state)
{
	run_steps(*state, XDP, FNAT_TCP4, tcp_steps, ARRAY_SIZE(tcp_steps));
	check_both_locals_used(*state, FNAT_TCP4);
}

static void test_fnat_tcp6(void **state)
{
	run_steps(*state, XDP, FNAT_TCP6, tcp_steps, ARRAY_SIZE(tcp_steps));
	check_both_locals_used(*state, FNAT_TCP6);
}

static void test_fnat_udp4(void **state)
{
	run_steps(*state, XDP, FNAT_UDP4, udp_steps, ARRAY_SIZE(udp_steps));
}

static void test_fnat_udp6(void **state)
{
	run_steps(*state, XDP, FNAT_UDP6, udp_steps, ARRAY_SIZE(udp_steps));
}

/* The tc program applies the same plans: redirect toward the real, replies to the stack. */
static void test_tc(void **state)
{
	struct fixture *f = *state;

	run_steps(f, TC, NAT_TCP4, tcp_steps, ARRAY_SIZE(tcp_steps));
	run_steps(f, TC, NAT_UDP6, udp_steps, ARRAY_SIZE(udp_steps));
	run_steps(f, TC, FNAT_TCP6, tcp_steps, ARRAY_SIZE(tcp_steps));
	run_steps(f, TC, FNAT_UDP4, udp_steps, ARRAY_SIZE(udp_steps));
}

/* ---- fnat ports: distinct per real, and what happens when none is left ---- */

/*
 * A client flow other than (1, 40000) whose hash is the same modulo the port
 * range, so it has the same candidate ports (and, the range being even, the
 * same local address of two); the first one found with client >= @from.
 */
static void find_same_candidates(uint32_t svc_id, uint32_t h, uint8_t from, uint8_t *client,
				 uint16_t *cport)
{
	for (unsigned int c = from; c < 255; c++)
		for (unsigned int port = 1024; port < 65536; port++) {
			struct xlb_flow_key k = client_key(svc_id, c, port);
			uint32_t hk = model_hash(&k);

			if (hk % FNAT_RANGE == h % FNAT_RANGE) {
				*client = c;
				*cport = port;
				return;
			}
		}
	fail_msg("no client flow shares candidate ports with client 1");
}

static void fnat_ports_distinct(struct fixture *f, uint32_t svc_id)
{
	struct xlb_flow_key ka = client_key(svc_id, 1, 40000);
	uint32_t ha = model_hash(&ka);
	uint8_t cb, cc;
	uint16_t pb, pc;
	struct mflow *a, *b, *c;

	find_same_candidates(svc_id, ha, 2, &cb, &pb);
	find_same_candidates(svc_id, ha, cb + 1, &cc, &pc);

	const struct step steps[] = {
		{ "A SYN takes candidate 0", IN, 1, 40000, SYN, 0, 0 },
		{ "B SYN (same candidates) takes candidate 1", IN, cb, pb, SYN, 0, 0 },
		{ "C SYN (same candidates) takes candidate 2", IN, cc, pc, SYN, 0, 0 },
		{ "reply to A's port goes to A", OUT, 1, 40000, SYNACK, 0, 0 },
		{ "reply to B's port goes to B", OUT, cb, pb, SYNACK, 0, 0 },
		{ "reply to C's port goes to C", OUT, cc, pc, SYNACK, 0, 0 },
		{ "B ACK keeps its port", IN, cb, pb, ACK, 0, 0 },
		{ "A ACK keeps its port", IN, 1, 40000, ACK, 0, 0 },
		{ "C ACK keeps its port", IN, cc, pc, ACK, 0, 0 },
	};

	run_steps(f, XDP, svc_id, steps, ARRAY_SIZE(steps));
	a = model_find(&f->m, svc_id, 1, 40000);
	b = model_find(&f->m, svc_id, cb, pb);
	c = model_find(&f->m, svc_id, cc, pc);
	/* what the model predicted, spelled out: the program's output matched it */
	assert_true(addr_equal(&a->local, &b->local) && addr_equal(&a->local, &c->local));
	assert_int_equal(a->lport, fnat_candidate(ha, 0));
	assert_int_equal(b->lport, fnat_candidate(ha, 1));
	assert_int_equal(c->lport, fnat_candidate(ha, 2));
}

static void test_fnat_ports_distinct4(void **state)
{
	fnat_ports_distinct(*state, FNAT1_TCP4);
}

static void test_fnat_ports_distinct6(void **state)
{
	fnat_ports_distinct(*state, FNAT1_TCP6);
}

static struct xlb_flow_key rev_key(uint32_t svc_id, const struct xlb_addr *local, uint16_t port)
{
	const struct svc_def *s = &services[svc_id];
	struct xlb_flow_key k = {
		.src = host(s->family, NET_REAL, s->reals[0]),
		.dst = *local,
		.sport = htons(s->rport),
		.dport = htons(port),
		.proto = s->proto,
		.family = s->family,
	};

	return k;
}

/* Another client's entry, as if its flow held the port. */
static struct xlb_nat_rev other_rev(uint32_t svc_id, uint32_t i)
{
	const struct svc_def *s = &services[svc_id];
	struct xlb_nat_rev r = {
		.client = host(s->family, NET_CLIENT, 200),
		.vip = vip(s->family),
		.client_port = htons(20000 + i),
		.vip_port = htons(s->port),
		.svc_id = svc_id,
	};

	return r;
}

static void fnat_exhausted(struct fixture *f, uint32_t svc_id)
{
	const struct svc_def *s = &services[svc_id];
	struct xlb_flow_key k = client_key(svc_id, 1, 45000);
	uint32_t h = model_hash(&k);
	struct xlb_addr local = local_addr(s->family, h % s->nlocals);
	uint64_t before[XLB_CNT__COUNT], delta[XLB_CNT__COUNT] = { 0 };
	struct frame fr = client_frame(svc_id, 1, 45000, SYN, 0);
	struct xlb_flow flow;
	struct pkt in, out;
	char desc[96];

	for (uint32_t i = 0; i < XLB_FNAT_PORT_TRIES; i++) {
		struct xlb_flow_key rk = rev_key(svc_id, &local, fnat_candidate(h, i));
		struct xlb_nat_rev rv = other_rev(svc_id, i);

		assert_int_equal(bpf_map_update_elem(f->nat_rev_fd, &rk, &rv, BPF_NOEXIST), 0);
		model_take_port(&f->m, s->reals[0], s->proto, &local, fnat_candidate(h, i));
	}

	build_frame(&in, &fr);
	for (int attempt = 0; attempt < 2; attempt++) {
		snprintf(desc, sizeof(desc), "%s: SYN with every candidate port taken (%d)", s->name,
			 attempt);
		counters(f->dp, before);
		check_hook_verdict(desc, XDP, run(f, XDP, &in, &out), XDP_DROP);
		check_bytes(desc, &out, &in);
		delta[XLB_CNT_RX] = 1;
		delta[XLB_CNT_FNAT_NO_PORT] = 1;
		check_counters(f->dp, desc, before, delta);
		/* no flow left behind, and the holders' entries are untouched */
		assert_int_equal(dataplane_flow_get(f->dp, &k, &flow), -ENOENT);
		for (uint32_t i = 0; i < XLB_FNAT_PORT_TRIES; i++) {
			struct xlb_flow_key rk = rev_key(svc_id, &local, fnat_candidate(h, i));
			struct xlb_nat_rev want = other_rev(svc_id, i), got;

			assert_int_equal(bpf_map_lookup_elem(f->nat_rev_fd, &rk, &got), 0);
			assert_memory_equal(&got, &want, sizeof(got));
		}
	}
	check_stats(f->dp, DP_STATS_SERVICE, svc_id, 0, 0, 0);

	/* one port freed (its flow expired): the next SYN gets exactly that one */
	{
		struct xlb_flow_key rk = rev_key(svc_id, &local, fnat_candidate(h, 5));
		const struct step steps[] = {
			{ "SYN after candidate 5 was freed", IN, 1, 45000, SYN, 0, 0 },
			{ "its SYN-ACK", OUT, 1, 45000, SYNACK, 0, 0 },
			{ "its ACK", IN, 1, 45000, ACK, 0, 0 },
			{ "another client's SYN", IN, 2, 45000, SYN, 0, 0 },
			{ "its SYN-ACK", OUT, 2, 45000, SYNACK, 0, 0 },
		};

		assert_int_equal(bpf_map_delete_elem(f->nat_rev_fd, &rk), 0);
		model_free_port(&f->m, s->reals[0], s->proto, &local, fnat_candidate(h, 5));
		run_steps(f, XDP, svc_id, steps, ARRAY_SIZE(steps));
		assert_int_equal(model_find(&f->m, svc_id, 1, 45000)->lport, fnat_candidate(h, 5));
	}
}

static void test_fnat_exhausted4(void **state)
{
	fnat_exhausted(*state, FNAT1_TCP4);
}

static void test_fnat_exhausted6(void **state)
{
	fnat_exhausted(*state, FNAT1_TCP6);
}

/* ---- replies the program must leave alone ---- */

enum mangle {
	CUT_L4, /* the frame ends inside the TCP/UDP header */
	OTHER_SPORT, /* from another port of the real */
	OTHER_DPORT, /* to a port no flow holds */
	FRAGMENT, /* IPv4 MF set */
};

struct untouched_case {
	const char *desc;
	uint32_t svc_id;
	enum mangle mangle;
	enum xlb_counter counter;
};

#define UNTOUCHED(d, svc, m, cnt) { (d), (svc), (m), XLB_CNT_##cnt }

/* clang-format off */
static const struct untouched_case untouched_cases[] = {
	UNTOUCHED("nat v4 reply cut inside the TCP header", NAT_TCP4, CUT_L4, PASS_MALFORMED),
	UNTOUCHED("nat v6 reply cut inside the TCP header", NAT_TCP6, CUT_L4, PASS_MALFORMED),
	UNTOUCHED("nat v4 reply cut inside the UDP header", NAT_UDP4, CUT_L4, PASS_MALFORMED),
	UNTOUCHED("nat v6 reply cut inside the UDP header", NAT_UDP6, CUT_L4, PASS_MALFORMED),
	UNTOUCHED("fnat v4 reply cut inside the TCP header", FNAT_TCP4, CUT_L4, PASS_MALFORMED),
	UNTOUCHED("fnat v6 reply cut inside the TCP header", FNAT_TCP6, CUT_L4, PASS_MALFORMED),
	UNTOUCHED("nat v4 reply from another port of the real", NAT_TCP4, OTHER_SPORT, PASS_NO_SERVICE),
	UNTOUCHED("nat v6 reply to another client port", NAT_TCP6, OTHER_DPORT, PASS_NO_SERVICE),
	UNTOUCHED("fnat v4 reply to a local port no flow holds", FNAT_TCP4, OTHER_DPORT, PASS_NO_SERVICE),
	UNTOUCHED("fnat v6 reply from another port of the real", FNAT_TCP6, OTHER_SPORT, PASS_NO_SERVICE),
	UNTOUCHED("nat v4 reply fragment", NAT_TCP4, FRAGMENT, PASS_FRAGMENT),
	UNTOUCHED("fnat v4 UDP reply fragment", FNAT_UDP4, FRAGMENT, PASS_FRAGMENT),
};
/* clang-format on */

static void test_reply_untouched(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < ARRAY_SIZE(untouched_cases); i++) {
		const struct untouched_case *c = &untouched_cases[i];
		const struct svc_def *s = &services[c->svc_id];
		const struct step open = { "the flow's first packet", IN, 1, 42000, SYN,
					   model_next_real(&f->m, c->svc_id), 0 };
		uint64_t before[XLB_CNT__COUNT], delta[XLB_CNT__COUNT] = { 0 };
		struct frame fr;
		struct pkt in, out;
		uint8_t mac[6];

		if (!model_find(&f->m, c->svc_id, 1, 42000))
			run_step(f, XDP, c->svc_id, &open, NULL);
		fr = reply_frame(model_find(&f->m, c->svc_id, 1, 42000),
				 s->proto == IPPROTO_TCP ? PSHACK : 0, 0, mac);
		if (c->mangle == OTHER_SPORT)
			fr.sport++;
		if (c->mangle == OTHER_DPORT)
			fr.dport++;
		if (c->mangle == FRAGMENT)
			fr.flags |= FR_MF;
		build_frame(&in, &fr);
		if (c->mangle == CUT_L4)
			in.len = in.l4_off + (s->proto == IPPROTO_TCP ? 12 : 6);

		counters(f->dp, before);
		check_hook_verdict(c->desc, XDP, run(f, XDP, &in, &out), XDP_PASS);
		check_bytes(c->desc, &out, &in);
		delta[XLB_CNT_RX] = 1;
		delta[c->counter] = 1;
		check_counters(f->dp, c->desc, before, delta);
	}
}

/* globals.nat_services 0 (no nat/fnat service): replies are not even looked up. */
static void test_nat_services_off(void **state)
{
	static const struct step steps[] = {
		{ "SYN", IN, 1, 40000, SYN, 0, 0 },
		{ "SYN-ACK with nat_services set", OUT, 1, 40000, SYNACK, 0, 0 },
	};
	struct fixture *f = *state;
	uint64_t before[XLB_CNT__COUNT], delta[XLB_CNT__COUNT] = { 0 };
	struct frame fr;
	struct pkt in, out;
	uint8_t mac[6];

	run_steps(f, XDP, NAT_TCP4, steps, ARRAY_SIZE(steps));
	assert_int_equal(set_nat_services(f, 0), 0);
	fr = reply_frame(model_find(&f->m, NAT_TCP4, 1, 40000), ACK, 0, mac);
	build_frame(&in, &fr);
	counters(f->dp, before);
	check_hook_verdict("reply with nat_services 0", XDP, run(f, XDP, &in, &out), XDP_PASS);
	check_bytes("reply with nat_services 0", &out, &in);
	delta[XLB_CNT_RX] = 1;
	delta[XLB_CNT_PASS_NO_SERVICE] = 1;
	check_counters(f->dp, "reply with nat_services 0", before, delta);

	assert_int_equal(set_nat_services(f, 1), 0);
	run_step(f, XDP, NAT_TCP4, &steps[1], NULL);
}

/* ---- ICMP ---- */

enum quote {
	Q_VIP_REPLY, /* router -> VIP, quoting VIP:port -> client (a reply that left from the VIP) */
	Q_NAT_REAL, /* nat real -> client, quoting client -> real:rport (what the real received) */
	Q_FNAT_REAL, /* fnat real -> local address, quoting local:lport -> real:rport */
	Q_CUT, /* as Q_VIP_REPLY, but the quote ends inside the ports */
	Q_ECHO, /* not an error: an echo request from the client to the VIP */
};

enum icmp_expect {
	X_UNTOUCHED,
	X_DR, /* only the MACs change, toward the flow's real */
	X_DSCP, /* outer destination := the real, DSCP set */
};

struct icmp_case {
	const char *desc;
	uint32_t svc_id; /* the service the quoted flow belongs to */
	uint16_t port; /* the quoted VIP port; 0: the service's */
	uint8_t type;
	uint8_t code;
	uint32_t rest; /* ICMP header bytes 4..7 (MTU) */
	enum quote quote;
	bool open; /* the flow exists: its first packet went through first */
	uint16_t cport;
	enum icmp_expect expect;
	enum xlb_counter counter;
};

#define ICMP_CASE(d, svc, ty, co, rest_, q, op, cp, x, cnt)                                      \
	{ .desc = (d), .svc_id = (svc), .type = (ty), .code = (co), .rest = (rest_),              \
	  .quote = (q), .open = (op), .cport = (cp), .expect = (x), .counter = XLB_CNT_##cnt }

/* clang-format off */
/* desc; service, type, code, MTU, quote, flow opened first, client port, expect, counter */
static const struct icmp_case icmp_cases[] = {
	ICMP_CASE("v4 frag needed, dr flow",
		  DR_TCP4, 3, 4, 1400, Q_VIP_REPLY, true, 41000, X_DR, ICMP_TO_REAL),
	ICMP_CASE("v4 time exceeded, dr flow",
		  DR_TCP4, 11, 0, 0, Q_VIP_REPLY, true, 41001, X_DR, ICMP_TO_REAL),
	ICMP_CASE("v4 port unreachable, dr UDP flow",
		  DR_UDP4, 3, 3, 0, Q_VIP_REPLY, true, 41002, X_DR, ICMP_TO_REAL),
	ICMP_CASE("v6 packet too big, dr flow",
		  DR_TCP6, 2, 0, 1280, Q_VIP_REPLY, true, 41000, X_DR, ICMP_TO_REAL),
	ICMP_CASE("v6 unreachable, dr flow",
		  DR_TCP6, 1, 4, 0, Q_VIP_REPLY, true, 41001, X_DR, ICMP_TO_REAL),
	ICMP_CASE("v6 time exceeded, dr UDP flow",
		  DR_UDP6, 3, 0, 0, Q_VIP_REPLY, true, 41002, X_DR, ICMP_TO_REAL),
	ICMP_CASE("v4 frag needed, no such flow",
		  DR_TCP4, 3, 4, 1400, Q_VIP_REPLY, false, 41100, X_UNTOUCHED, PASS_ICMP_NO_FLOW),
	ICMP_CASE("v6 packet too big, no such flow",
		  DR_TCP6, 2, 0, 1280, Q_VIP_REPLY, false, 41100, X_UNTOUCHED, PASS_ICMP_NO_FLOW),
	ICMP_CASE("v4 frag needed, dscp flow",
		  DSCP_TCP4, 3, 4, 1400, Q_VIP_REPLY, true, 41000, X_DSCP, ICMP_TO_REAL),
	ICMP_CASE("v6 packet too big, dscp flow",
		  DSCP_TCP6, 2, 0, 1280, Q_VIP_REPLY, true, 41000, X_DSCP, ICMP_TO_REAL),
	ICMP_CASE("v4 frag needed, nat flow",
		  NAT_TCP4, 3, 4, 1400, Q_VIP_REPLY, true, 41000, X_UNTOUCHED, PASS_ICMP_NO_FLOW),
	ICMP_CASE("v6 packet too big, nat flow",
		  NAT_TCP6, 2, 0, 1280, Q_VIP_REPLY, true, 41000, X_UNTOUCHED, PASS_ICMP_NO_FLOW),
	ICMP_CASE("v4 frag needed, fnat flow",
		  FNAT_TCP4, 3, 4, 1400, Q_VIP_REPLY, true, 41000, X_UNTOUCHED, PASS_ICMP_NO_FLOW),
	ICMP_CASE("v6 packet too big, fnat flow",
		  FNAT_TCP6, 2, 0, 1280, Q_VIP_REPLY, true, 41000, X_UNTOUCHED, PASS_ICMP_NO_FLOW),
	ICMP_CASE("v4 port unreachable from a nat real",
		  NAT_UDP4, 3, 3, 0, Q_NAT_REAL, true, 41000, X_UNTOUCHED, PASS_ICMP_NO_FLOW),
	ICMP_CASE("v6 port unreachable from a nat real",
		  NAT_UDP6, 1, 4, 0, Q_NAT_REAL, true, 41000, X_UNTOUCHED, PASS_ICMP_NO_FLOW),
	ICMP_CASE("v4 port unreachable from an fnat real",
		  FNAT_UDP4, 3, 3, 0, Q_FNAT_REAL, true, 41000, X_UNTOUCHED, PASS_ICMP_NO_FLOW),
	ICMP_CASE("v6 port unreachable from an fnat real",
		  FNAT_UDP6, 1, 4, 0, Q_FNAT_REAL, true, 41000, X_UNTOUCHED, PASS_ICMP_NO_FLOW),
	ICMP_CASE("v4 frag needed from an fnat real",
		  FNAT_TCP4, 3, 4, 1400, Q_FNAT_REAL, true, 41001, X_UNTOUCHED, PASS_ICMP_NO_FLOW),
	ICMP_CASE("v4 echo request to the VIP",
		  DR_TCP4, 8, 0, 0x00010001, Q_ECHO, false, 0, X_UNTOUCHED, PASS_NO_SERVICE),
	ICMP_CASE("v6 echo request to the VIP",
		  DR_TCP6, 128, 0, 0x00010001, Q_ECHO, false, 0, X_UNTOUCHED, PASS_NO_SERVICE),
	{ .desc = "v4 frag needed quoting a VIP port without a service", .svc_id = DR_TCP4,
	  .port = NO_SVC_PORT, .type = 3, .code = 4, .rest = 1400, .quote = Q_VIP_REPLY,
	  .cport = 41000, .expect = X_UNTOUCHED, .counter = XLB_CNT_PASS_NO_SERVICE },
	ICMP_CASE("v4 frag needed, quote cut inside the ports",
		  DR_TCP4, 3, 4, 1400, Q_CUT, true, 41003, X_UNTOUCHED, PASS_MALFORMED),
	ICMP_CASE("v6 packet too big, quote cut inside the ports",
		  DR_TCP6, 2, 0, 1280, Q_CUT, true, 41003, X_UNTOUCHED, PASS_MALFORMED),
};
/* clang-format on */

/*
 * The quoted packet: as sent (ours from the VIP, or what the real got), IPv4
 * header + 8 bytes per RFC 792, IPv6 whole (RFC 4443: as much as fits).
 */
static size_t icmp_quote(const struct icmp_case *c, const struct mflow *fl, uint16_t port,
			 uint8_t *q)
{
	const struct svc_def *s = &services[c->svc_id];
	uint8_t tcp_flags = s->proto == IPPROTO_TCP ? PSHACK : 0;
	struct frame fr = {
		.family = s->family,
		.proto = s->proto,
		.tcp_flags = tcp_flags,
		.dmac = CLIENT_MAC,
		.smac = LB_MAC,
	};
	struct pkt p;
	size_t len;

	switch (c->quote) {
	case Q_NAT_REAL:
		fr.src = host(s->family, NET_CLIENT, fl->client);
		fr.sport = fl->cport;
		fr.dst = host(s->family, NET_REAL, fl->real_id);
		fr.dport = s->rport;
		break;
	case Q_FNAT_REAL:
		fr.src = fl->local;
		fr.sport = fl->lport;
		fr.dst = host(s->family, NET_REAL, fl->real_id);
		fr.dport = s->rport;
		break;
	default:
		fr.src = vip(s->family);
		fr.sport = port;
		fr.dst = host(s->family, NET_CLIENT, 1);
		fr.dport = c->cport;
		break;
	}
	build_frame(&p, &fr);
	if (s->family == 4)
		len = (p.l4_off - p.l3_off) + 8;
	else
		len = p.len - p.l3_off;
	if (c->quote == Q_CUT)
		len = (p.l4_off - p.l3_off) + 2;
	memcpy(q, p.buf + p.l3_off, len);
	return len;
}

static void run_icmp_case(struct fixture *f, const struct icmp_case *c)
{
	const struct svc_def *s = &services[c->svc_id];
	uint16_t port = c->port ? c->port : s->port;
	uint64_t before[XLB_CNT__COUNT], delta[XLB_CNT__COUNT] = { 0 };
	const struct mflow *fl = NULL;
	struct xlb_addr src, dst;
	const uint8_t *smac = ROUTER_MAC;
	uint8_t q[PKT_MAX], mac[6];
	struct pkt in, out, want;
	size_t qlen = 0;
	uint32_t verdict = XDP_PASS;

	if (c->open) {
		const struct step open = { "the flow's first packet", IN, 1, c->cport,
					   s->proto == IPPROTO_TCP ? SYN : 0,
					   model_next_real(&f->m, c->svc_id), 0 };

		run_step(f, XDP, c->svc_id, &open, NULL);
		fl = model_find(&f->m, c->svc_id, 1, c->cport);
	}
	switch (c->quote) {
	case Q_NAT_REAL:
		src = host(s->family, NET_REAL, fl->real_id);
		real_mac(fl->real_id, mac);
		smac = mac;
		dst = host(s->family, NET_CLIENT, 1);
		break;
	case Q_FNAT_REAL:
		src = host(s->family, NET_REAL, fl->real_id);
		real_mac(fl->real_id, mac);
		smac = mac;
		dst = fl->local;
		break;
	case Q_ECHO:
		src = host(s->family, NET_CLIENT, 1);
		smac = CLIENT_MAC;
		dst = vip(s->family);
		break;
	default:
		src = host(s->family, NET_ROUTER, 1);
		dst = vip(s->family);
		break;
	}
	if (c->quote == Q_ECHO) {
		memcpy(q, "xlb echo", 8);
		qlen = 8;
	} else {
		qlen = icmp_quote(c, fl, port, q);
	}
	build_icmp(&in, s->family, &src, &dst, smac, TCLASS_IN, c->type, c->code, c->rest, q,
		   qlen);

	want = in;
	delta[XLB_CNT_RX] = 1;
	delta[c->counter] = 1;
	if (c->expect != X_UNTOUCHED) {
		verdict = XDP_TX;
		delta[XLB_CNT_FWD_TX] = 1;
		real_mac(fl->real_id, mac);
		if (c->expect == X_DSCP) {
			struct xlb_addr real = host(s->family, NET_REAL, fl->real_id);

			build_icmp(&want, s->family, &src, &real, smac,
				   (uint8_t)(s->dscp << 2 | (TCLASS_IN & 3)), c->type, c->code,
				   c->rest, q, qlen);
		}
		memcpy(want.buf, mac, 6);
		memcpy(want.buf + 6, EGRESS_MAC, 6);
	}

	counters(f->dp, before);
	check_hook_verdict(c->desc, XDP, run(f, XDP, &in, &out), verdict);
	check_bytes(c->desc, &out, &want);
	check_csums(c->desc, &out, s->family == 4, 1, 0);
	/* ICMP (v4) does not sum the IP header: its checksum must not have moved */
	if (c->expect == X_DSCP && s->family == 4)
		assert_memory_equal(out.buf + 34 + 2, in.buf + 34 + 2, 2);
	if (c->expect == X_DSCP && s->family == 6)
		assert_memory_not_equal(out.buf + 54 + 2, in.buf + 54 + 2, 2);
	check_counters(f->dp, c->desc, before, delta);
}

static void test_icmp(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(icmp_cases); i++)
		run_icmp_case(*state, &icmp_cases[i]);
}

/* An ICMP error about a dr flow whose real went away is not sent on to anyone. */
static void test_icmp_real_gone(void **state)
{
	static const struct step open = { "the flow's first packet", IN, 1, 43000, SYN, 0, 0 };
	struct fixture *f = *state;
	struct icmp_case c = icmp_cases[0];

	run_step(f, XDP, DR_TCP4, &open, NULL);
	assert_int_equal(dataplane_real_del(f->dp, services[DR_TCP4].reals[0]), 0);
	c.desc = "v4 frag needed, the dr flow's real deleted";
	c.cport = 43000;
	c.open = false; /* opened above */
	c.expect = X_UNTOUCHED;
	c.counter = XLB_CNT_PASS_ICMP_NO_FLOW;
	run_icmp_case(f, &c);
}

/* ---- replies whose next hop the kernel has resolved ---- */

static int write_sysctl(const char *path, const char *val)
{
	FILE *fp = fopen(path, "w");
	int err;

	if (!fp)
		return -1;
	err = fputs(val, fp) < 0;
	return fclose(fp) || err ? -1 : 0;
}

static void veth_del(void)
{
	if (system("ip link del " VETH " >/dev/null 2>&1"))
		return;
}

/*
 * In our private netns only: a veth with the client net on it and the
 * client's neighbour entry, and forwarding on, so bpf_fib_lookup succeeds.
 */
static int setup_fib(void **state)
{
	static const char *const cmds =
		"ip link add " VETH " address 02:00:00:00:fe:01 type veth peer name xlbt1 && "
		"ip link set " VETH " up && ip link set xlbt1 up && "
		"ip addr add 10.0.1.254/24 dev " VETH " && "
		"ip -6 addr add 2001:db8:1::fe/64 dev " VETH " nodad && "
		"ip neigh replace 10.0.1.1 lladdr 02:00:00:00:c1:01 dev " VETH " nud permanent && "
		"ip -6 neigh replace 2001:db8:1::1 lladdr 02:00:00:00:c1:01 dev " VETH
		" nud permanent";

	if (setup(state))
		return -1;
	if (!private_netns)
		return 0;
	veth_del();
	if (system(cmds) ||
	    write_sysctl("/proc/sys/net/ipv4/conf/all/forwarding", "1") ||
	    write_sysctl("/proc/sys/net/ipv6/conf/all/forwarding", "1")) {
		print_error("cannot build the veth for the FIB test\n");
		veth_del();
	}
	return 0;
}

static int teardown_fib(void **state)
{
	if (private_netns) {
		veth_del();
		write_sysctl("/proc/sys/net/ipv4/conf/all/forwarding", "0");
		write_sysctl("/proc/sys/net/ipv6/conf/all/forwarding", "0");
	}
	return teardown(state);
}

static void test_reply_fib_resolved(void **state)
{
	static const struct step open = { "SYN", IN, 1, 40000, SYN, 0, 0 };
	static const uint32_t svcs[] = { NAT_TCP4, NAT_TCP6, FNAT_TCP4, FNAT_TCP6 };
	struct fixture *f = *state;
	uint32_t veth = if_nametoindex(VETH);

	if (!private_netns || !veth)
		skip();
	for (size_t i = 0; i < ARRAY_SIZE(svcs); i++) {
		const struct svc_def *s = &services[svcs[i]];
		uint64_t before[XLB_CNT__COUNT], delta[XLB_CNT__COUNT] = { 0 };
		struct frame fr, rewritten;
		struct pkt in, out, want, want_stack;
		uint8_t mac[6];
		char desc[128];

		run_step(f, XDP, svcs[i], &open, NULL);
		fr = reply_frame(model_find(&f->m, svcs[i], 1, 40000), SYNACK, 0, mac);
		rewritten = expect_reply(&fr, model_find(&f->m, svcs[i], 1, 40000));
		build_frame(&want_stack, &rewritten);
		rewritten.dmac = CLIENT_MAC;
		rewritten.smac = VETH_MAC;
		build_frame(&in, &fr);
		build_frame(&want, &rewritten);
		delta[XLB_CNT_RX] = 1;
		delta[XLB_CNT_NAT_REPLY] = 1;

		snprintf(desc, sizeof(desc), "%s: reply arriving on the client's interface",
			 s->name);
		counters(f->dp, before);
		check_hook_verdict(desc, XDP, run_on(f, XDP, veth, &in, &out), XDP_TX);
		check_bytes(desc, &out, &want);
		check_csums(desc, &out, s->family == 4, 1, 0);
		check_counters(f->dp, desc, before, delta);

		snprintf(desc, sizeof(desc), "%s: reply toward another interface of ours", s->name);
		assert_int_equal(dataplane_txport_add(f->dp, veth), 0);
		check_hook_verdict(desc, XDP, run(f, XDP, &in, &out), XDP_REDIRECT);
		check_bytes(desc, &out, &want);

		/* the kernel takes it from here: still addressed to us, or it drops it */
		snprintf(desc, sizeof(desc), "%s: reply toward an interface not ours", s->name);
		assert_int_equal(dataplane_txport_del(f->dp, veth), 0);
		check_hook_verdict(desc, XDP, run(f, XDP, &in, &out), XDP_PASS);
		check_bytes(desc, &out, &want_stack);

		snprintf(desc, sizeof(desc), "%s (tc): reply", s->name);
		check_hook_verdict(desc, TC, run_on(f, TC, veth, &in, &out), TC_ACT_REDIRECT);
		check_bytes(desc, &out, &want);
		check_hook_verdict(desc, TC, run(f, TC, &in, &out), TC_ACT_REDIRECT);
		check_bytes(desc, &out, &want);
	}
}

/* ---- the test's own machinery: it must be able to say no ---- */

static void test_csum_verifier(void **state)
{
	/* the worked example in Wikipedia's "IPv4 header checksum": 0xb861 */
	static const uint8_t ip_hdr[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40,
					    0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8,
					    0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };
	struct frame tcp4 = client_frame(NAT_TCP4, 1, 40000, PSHACK, FR_IP_OPTIONS);
	struct frame udp6 = client_frame(NAT_UDP6, 1, 5000, 0, 0);
	struct frame udp4 = client_frame(NAT_UDP4, 1, 5000, 0, FR_NO_CSUM);
	struct frame ffff = client_frame(NAT_UDP4, 1, 5000, 0, 0);
	struct xlb_addr r4 = host(4, NET_ROUTER, 1), v4 = vip(4);
	struct xlb_addr r6 = host(6, NET_ROUTER, 1), v6 = vip(6);
	struct csum_report r;
	struct pkt p, bad;
	uint8_t q[28] = { 0x45 };

	(void)state;
	assert_int_equal(pkt_vsum(0, ip_hdr, sizeof(ip_hdr)), 0xffff);
	/* RFC 1071 section 3's example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2 */
	assert_int_equal(pkt_vsum(0, (const uint8_t *)"\x00\x01\xf2\x03\xf4\xf5\xf6\xf7", 8),
			 0xddf2);
	assert_int_equal(pkt_vsum(0, (const uint8_t *)"\x01\x02\x03", 3), 0x0402);

	build_frame(&p, &tcp4);
	check_csums("TCP v4 with options", &p, 1, 1, 0);
	bad = p;
	bad.buf[bad.len - 1] ^= 1; /* payload */
	assert_false(verify_frame(&r, bad.buf, bad.len));
	bad = p;
	bad.buf[p.l3_off + 22] ^= 1; /* an option byte: the header sum covers options */
	assert_false(verify_frame(&r, bad.buf, bad.len));
	bad = p;
	bad.buf[p.l3_off + 19] ^= 1; /* destination address, header checksum fixed up */
	bad.buf[p.l3_off + 10] = bad.buf[p.l3_off + 11] = 0;
	pkt_put_be16(bad.buf + p.l3_off + 10,
		     pkt_csum_fold(pkt_csum_add(0, bad.buf + p.l3_off, 28)));
	assert_false(verify_frame(&r, bad.buf, bad.len)); /* only the pseudo-header sees it */
	assert_int_equal(r.ip4_hdr, 1);

	build_frame(&p, &udp6);
	check_csums("UDP v6", &p, 0, 1, 0);
	bad = p;
	bad.buf[p.l3_off + 39] ^= 0x80;
	assert_false(verify_frame(&r, bad.buf, bad.len));
	bad = p;
	bad.buf[p.l4_off + 6] = bad.buf[p.l4_off + 7] = 0;
	assert_false(verify_frame(&r, bad.buf, bad.len)); /* IPv6 requires a UDP checksum */

	build_frame(&p, &udp4);
	check_csums("UDP v4 without checksum", &p, 1, 0, 1);
	tune_for_ffff(&ffff);
	build_frame(&p, &ffff);
	assert_int_equal(be16(p.buf + p.l4_off + 6), 0xffff);
	check_csums("UDP v4 with checksum 0xffff", &p, 1, 1, 0);

	/* ICMP sums no pseudo-header, ICMPv6 does */
	build_icmp(&p, 4, &r4, &v4, ROUTER_MAC, 0, 3, 4, 1400, q, sizeof(q));
	check_csums("ICMP", &p, 1, 1, 0);
	memcpy(p.buf + 14 + 16, &r4, 4); /* destination changed, IP header sum fixed up */
	p.buf[14 + 10] = p.buf[14 + 11] = 0;
	pkt_put_be16(p.buf + 14 + 10, pkt_csum_fold(pkt_csum_add(0, p.buf + 14, 20)));
	check_csums("ICMP to another address", &p, 1, 1, 0);
	build_icmp(&p, 6, &r6, &v6, ROUTER_MAC, 0, 2, 0, 1280, q, sizeof(q));
	check_csums("ICMPv6", &p, 0, 1, 0);
	bad = p;
	bad.buf[14 + 39] ^= 1;
	assert_false(verify_frame(&r, bad.buf, bad.len));

}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csum_verifier),
		cmocka_unit_test_setup_teardown(test_nat_tcp4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nat_tcp6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nat_udp4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nat_udp6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fnat_tcp4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fnat_tcp6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fnat_udp4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fnat_udp6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fnat_ports_distinct4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fnat_ports_distinct6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fnat_exhausted4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fnat_exhausted6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reply_untouched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nat_services_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_real_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reply_fib_resolved, setup_fib, teardown_fib),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test_pkt_nat: loading BPF needs root, skipping\n");
		return 77;
	}
	/*
	 * bpf_fib_lookup answers from the netns we run in: in a fresh one
	 * (no routes, no neighbours) a reply's next hop never resolves, so the
	 * results do not depend on the host's routing.
	 */
	if (unshare(CLONE_NEWNET) == 0)
		private_netns = true;
	else
		fprintf(stderr, "test_pkt_nat: no private netns (%s): reply tests see the host's FIB\n",
			strerror(errno));
	log_set_level(LOG_LVL_WARN);
	return cmocka_run_group_tests(tests, pkt_dp_group_setup, pkt_dp_group_teardown);
}
