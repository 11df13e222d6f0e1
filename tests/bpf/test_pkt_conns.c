// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The XDP program's connection accounting on crafted frames: flow states and per-real counts. */
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
#include <linux/bpf.h>

#include "dataplane.h"
#include "map_reset.h"
#include "log.h"



#define CLIENT4 "10.0.1.1"
#define VIP4 "10.0.0.100"

enum {
	SVC_TCP4 = 0, /* VIP4:80/tcp, ring 1, 2, 3 */
	SVC_UDP4, /* VIP4:53/udp, ring 11, 12 */
	SVC__COUNT,
};

/* Every real of the fixture, by index into a step's expected counts. */
enum { R1, R2, R3, R11, R12, R__COUNT };
static const uint32_t real_ids[R__COUNT] = { 1, 2, 3, 11, 12 };

/* The gen setup gives real @id; tests that reuse an id pick another. */
#define GEN(id) (1000 + (id))

struct fixture {
	struct dataplane *dp;
	int prog_fd;
	int flows_fd;
	uint32_t ifindex; /* ingress of every run, and the reals' egress: XDP_TX */
	uint16_t ring_slot[SVC__COUNT];
};

static uint32_t svc_of(uint32_t real_id)
{
	return real_id >= 11 ? SVC_UDP4 : SVC_TCP4;
}

static struct xlb_service_key svc_key(uint32_t svc_id)
{
	struct xlb_service_key k = {
		.port = htons(svc_id == SVC_UDP4 ? 53 : 80),
		.proto = svc_id == SVC_UDP4 ? IPPROTO_UDP : IPPROTO_TCP,
		.family = XLB_FAMILY_V4,
	};

	k.vip.addr[0] = ip4(VIP4);
	return k;
}

/* ---- map population, through the dataplane_* calls xlbd uses ---- */

static void put_real(struct fixture *f, uint32_t id, uint32_t gen, uint32_t flags)
{
	struct xlb_real r = {
		.gen = gen,
		.flags = flags,
		.ifindex = f->ifindex,
		.svc_id = svc_of(id),
		.port = htons(80),
		.family = XLB_FAMILY_V4,
	};

	r.addr.addr[0] = htonl(0x0a000200 + id);
	real_mac(id, r.dst_mac);
	memcpy(r.src_mac, EGRESS_MAC, 6);
	assert_int_equal(dataplane_real_put(f->dp, id, &r), 0);
}

/*
 * Writes @ids (0-terminated, at most @max) into the service's idle ring slot
 * and then points the service at it, like xlbd's ring flip. The rings are
 * spelled out rather than built by a scheduler: rr over equal weights is the
 * ids in order, and the expectations below follow the cursor through them.
 */
static void put_ring(struct fixture *f, uint32_t svc_id, const uint32_t *ids, size_t max)
{
	struct xlb_ring *ring = calloc(1, sizeof(*ring));
	struct xlb_service_key key = svc_key(svc_id);
	uint16_t slot = f->ring_slot[svc_id] ^ 1;
	struct xlb_service svc = {
		.svc_id = svc_id,
		.flags = XLB_SVC_F_ACTIVE,
		.method = XLB_METHOD_DR,
		.sched_kind = XLB_SCHED_KIND_RING,
		.ring_slot = slot,
	};

	assert_non_null(ring);
	for (size_t i = 0; i < max && ids[i]; i++)
		ring->real_ids[ring->len++] = ids[i];
	assert_int_equal(dataplane_ring_put(f->dp, svc_id * 2 + slot, ring), 0);
	assert_int_equal(dataplane_service_put(f->dp, &key, &svc), 0);
	f->ring_slot[svc_id] = slot;
	free(ring);
}

/* Every test starts from the maps as a fresh load has them (map_reset.h): cursors, flows and counts at zero. */
static int setup(void **state)
{
	static const uint32_t tcp_ring[] = { 1, 2, 3, 0 };
	static const uint32_t udp_ring[] = { 11, 12, 0 };
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->flows_fd = -1;
	f->dp = pkt_dp_fresh_lo(&f->ifindex);
	if (!f->dp) {
		free(f);
		return -1;
	}
	*state = f;
	f->prog_fd = dataplane_prog_fd(f->dp, false);
	f->flows_fd = dataplane_map_fd(f->dp, "flows");
	if (f->flows_fd < 0) {
		print_error("cannot find the flows map\n");
		return -1;
	}
	for (size_t i = 0; i < R__COUNT; i++)
		put_real(f, real_ids[i], GEN(real_ids[i]), XLB_REAL_F_ACTIVE);
	/* the first put_ring flips to slot 0 */
	f->ring_slot[SVC_TCP4] = f->ring_slot[SVC_UDP4] = 1;
	put_ring(f, SVC_TCP4, tcp_ring, ARRAY_SIZE(tcp_ring));
	put_ring(f, SVC_UDP4, udp_ring, ARRAY_SIZE(udp_ring));
	return 0;
}

/* ---- the steps ---- */

enum op {
	OP_PKT = 0, /* a client frame through the program */
	OP_RING, /* a new ring for .svc */
	OP_PUT_REAL, /* reals[.id] := { .gen, .flags } */
	OP_DEL_REAL,
	OP_CONNS_RESET, /* what xlbd does when it gives an id to a new real */
};

/* Counters a packet step moves besides RX and FWD_TX. */
#define CNT_NEW (1u << 0) /* NEW_FLOW */
#define CNT_MID (1u << 1) /* FLOW_MIDSTREAM */
#define CNT_STALE (1u << 2) /* FLOW_STALE_REAL */
#define CNT_BAD_REAL (1u << 3) /* DROP_BAD_REAL */
#define CNT_DROP_MID (1u << 4) /* DROP_MIDSTREAM */

struct step {
	const char *desc;
	enum op op;
	/* OP_PKT: client CLIENT4:sport -> VIP4 (TCP 80 or UDP 53) */
	uint8_t proto;
	uint16_t sport;
	uint8_t tcp_flags;
	uint32_t real; /* XDP_TX toward this real; 0: XDP_DROP */
	uint32_t flow_real; /* the flow entry's real afterwards, when not .real */
	uint32_t state; /* the flow entry's state afterwards */
	unsigned int cnt; /* CNT_* */
	/* the other ops */
	uint32_t svc;
	uint32_t ring[4]; /* 0-terminated */
	uint32_t id;
	uint32_t gen;
	uint32_t flags;
	/* after the step: every real's (active, inactive); swept is always zero */
	struct xlb_conns conns[R__COUNT];
};

#define TCP(sp, fl) .proto = IPPROTO_TCP, .sport = (sp), .tcp_flags = (fl)
#define UDP(sp) .proto = IPPROTO_UDP, .sport = (sp)
#define RING(s, ...) .op = OP_RING, .svc = (s), .ring = { __VA_ARGS__ }
#define PUT(i, g, fl) .op = OP_PUT_REAL, .id = (i), .gen = (g), .flags = (fl)
#define DEL(i) .op = OP_DEL_REAL, .id = (i)
#define RESET(i) .op = OP_CONNS_RESET, .id = (i)

#define SYN PKT_TCP_SYN
#define ACK PKT_TCP_ACK
#define FIN PKT_TCP_FIN
#define RST PKT_TCP_RST
#define SYNACK (PKT_TCP_SYN | PKT_TCP_ACK)
#define PSHACK (PKT_TCP_PSH | PKT_TCP_ACK)
#define FINACK (PKT_TCP_FIN | PKT_TCP_ACK)
#define RSTACK (PKT_TCP_RST | PKT_TCP_ACK)

#define ACTIVE XLB_REAL_F_ACTIVE

#define S_NONE XLB_FS_NONE
#define S_SYN XLB_FS_SYN
#define S_EST XLB_FS_EST
#define S_FIN XLB_FS_FIN
#define S_CLOSE XLB_FS_CLOSE
#define S_UDP XLB_FS_UDP

static const char http_get[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

static void build_frame(struct pkt *p, const struct step *s)
{
	pkt_init(p);
	pkt_eth(p, LB_MAC, CLIENT_MAC, ETH_P_IP);
	pkt_ipv4(p, ip4(CLIENT4), ip4(VIP4), s->proto);
	if (s->proto == IPPROTO_TCP)
		pkt_tcp(p, s->sport, 80, s->tcp_flags);
	else
		pkt_udp(p, s->sport, 53);
	if (s->proto == IPPROTO_UDP || (s->tcp_flags & PKT_TCP_PSH))
		pkt_payload(p, http_get, sizeof(http_get) - 1);
	pkt_finish(p);
}

static struct xlb_flow_key flow_key(const struct step *s)
{
	struct xlb_flow_key k = {
		.sport = htons(s->sport),
		.dport = htons(s->proto == IPPROTO_TCP ? 80 : 53),
		.proto = s->proto,
		.family = XLB_FAMILY_V4,
	};

	k.src.addr[0] = ip4(CLIENT4);
	k.dst.addr[0] = ip4(VIP4);
	return k;
}

static const char *state_name(uint32_t st)
{
	static const char *const names[] = { "NONE", "SYN", "EST", "FIN", "CLOSE", "UDP" };

	return st < ARRAY_SIZE(names) ? names[st] : "?";
}

/* Runs the frame; checks verdict, output bytes and every global counter's delta. */
static void run_pkt(struct fixture *f, const char *where, const struct step *s)
{
	uint64_t before[XLB_CNT__COUNT], delta[XLB_CNT__COUNT] = { 0 };
	struct pkt in, out, want;

	build_frame(&in, s);
	counters(f->dp, before);
	check_verdict(where, pkt_xdp_run(f->prog_fd, f->ifindex, &in, &out),
		      s->real ? XDP_TX : XDP_DROP);
	if (s->real) {
		uint8_t mac[6];

		real_mac(s->real, mac);
		pkt_expect_dr(&want, &in, mac, EGRESS_MAC);
		check_bytes(where, &out, &want);
	}

	delta[XLB_CNT_RX] = 1;
	delta[XLB_CNT_FWD_TX] = s->real != 0;
	delta[XLB_CNT_NEW_FLOW] = !!(s->cnt & CNT_NEW);
	delta[XLB_CNT_FLOW_MIDSTREAM] = !!(s->cnt & CNT_MID);
	delta[XLB_CNT_FLOW_STALE_REAL] = !!(s->cnt & CNT_STALE);
	delta[XLB_CNT_DROP_BAD_REAL] = !!(s->cnt & CNT_BAD_REAL);
	delta[XLB_CNT_DROP_MIDSTREAM] = !!(s->cnt & CNT_DROP_MID);
	check_counters(f->dp, where, before, delta);
}

/* The flow entry: the state the step names, on its real under that real's current gen. */
static void check_flow(struct fixture *f, const char *where, const struct step *s)
{
	struct xlb_flow_key key = flow_key(s);
	uint32_t want_real = s->flow_real ? s->flow_real : s->real;
	struct xlb_flow flow;
	struct xlb_real real;

	if (dataplane_flow_get(f->dp, &key, &flow))
		fail_msg("%s: no flow entry: %s", where, strerror(errno));
	if (flow.state != s->state)
		fail_msg("%s: flow state %s (%u), want %s", where, state_name(flow.state),
			 flow.state, state_name(s->state));
	if (flow.real_id != want_real)
		fail_msg("%s: flow on real %u, want %u", where, flow.real_id, want_real);
	if (flow.svc_id != svc_of(want_real))
		fail_msg("%s: flow of service %u, want %u", where, flow.svc_id, svc_of(want_real));
	assert_int_equal(dataplane_real_get(f->dp, want_real, &real), 0);
	if (flow.real_gen != real.gen)
		fail_msg("%s: flow records gen %u, real %u has %u", where, flow.real_gen,
			 want_real, real.gen);
}

static void check_conns(struct fixture *f, const char *where, const struct step *s)
{
	bool bad = false;

	for (size_t i = 0; i < R__COUNT; i++) {
		const struct xlb_conns *want = &s->conns[i];
		struct xlb_conns got, swept;

		assert_int_equal(dataplane_conns_get(f->dp, real_ids[i], &got, &swept), 0);
		if (got.active != want->active || got.inactive != want->inactive) {
			print_error("%s: real %u (active, inactive) %lld, %lld, want %lld, %lld\n",
				    where, real_ids[i], (long long)got.active,
				    (long long)got.inactive, (long long)want->active,
				    (long long)want->inactive);
			bad = true;
		}
		if (swept.active || swept.inactive) {
			print_error("%s: real %u swept (%lld, %lld), want (0, 0)\n", where,
				    real_ids[i], (long long)swept.active,
				    (long long)swept.inactive);
			bad = true;
		}
	}
	if (bad)
		fail();
}

static void run_steps(struct fixture *f, const struct step *steps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct step *s = &steps[i];
		char where[160];

		snprintf(where, sizeof(where), "step %zu (%s)", i + 1, s->desc);
		switch (s->op) {
		case OP_PKT:
			run_pkt(f, where, s);
			check_flow(f, where, s);
			break;
		case OP_RING:
			put_ring(f, s->svc, s->ring, ARRAY_SIZE(s->ring));
			break;
		case OP_PUT_REAL:
			put_real(f, s->id, s->gen, s->flags);
			break;
		case OP_DEL_REAL:
			assert_int_equal(dataplane_real_del(f->dp, s->id), 0);
			break;
		case OP_CONNS_RESET:
			assert_int_equal(dataplane_conns_reset(f->dp, s->id), 0);
			break;
		}
		check_conns(f, where, s);
	}
}

/* ---- one flow through the TCP states ---- */

static void test_tcp_states(void **state)
{
	/* clang-format off */
	static const struct step steps[] = {
		{ "SYN", TCP(40000, SYN), .real = 1, .state = S_SYN, .cnt = CNT_NEW,
		  .conns = { [R1] = { 0, 1 } } },
		{ "SYN retransmitted", TCP(40000, SYN), .real = 1, .state = S_SYN,
		  .conns = { [R1] = { 0, 1 } } },
		{ "ACK completes the handshake", TCP(40000, ACK), .real = 1, .state = S_EST,
		  .conns = { [R1] = { 1, 0 } } },
		{ "data", TCP(40000, PSHACK), .real = 1, .state = S_EST,
		  .conns = { [R1] = { 1, 0 } } },
		{ "SYN on the established flow", TCP(40000, SYN), .real = 1, .state = S_EST,
		  .conns = { [R1] = { 1, 0 } } },
		{ "FIN", TCP(40000, FINACK), .real = 1, .state = S_FIN,
		  .conns = { [R1] = { 0, 1 } } },
		{ "ACK after FIN", TCP(40000, ACK), .real = 1, .state = S_FIN,
		  .conns = { [R1] = { 0, 1 } } },
		{ "data after FIN", TCP(40000, PSHACK), .real = 1, .state = S_FIN,
		  .conns = { [R1] = { 0, 1 } } },
		{ "SYN on the FIN'ed 5-tuple (port reuse)", TCP(40000, SYN), .real = 1,
		  .state = S_SYN, .conns = { [R1] = { 0, 1 } } },
		{ "ACK of the new connection", TCP(40000, ACK), .real = 1, .state = S_EST,
		  .conns = { [R1] = { 1, 0 } } },
		{ "RST on the established flow", TCP(40000, RST), .real = 1, .state = S_CLOSE,
		  .conns = { [R1] = { 0, 1 } } },
		{ "ACK after RST", TCP(40000, ACK), .real = 1, .state = S_CLOSE,
		  .conns = { [R1] = { 0, 1 } } },
		{ "SYN after RST (port reuse)", TCP(40000, SYN), .real = 1, .state = S_SYN,
		  .conns = { [R1] = { 0, 1 } } },
		/* the client sending SYN+ACK is odd; it has ACK, so it establishes */
		{ "SYN+ACK from the client on a SYN flow", TCP(40000, SYNACK), .real = 1,
		  .state = S_EST, .conns = { [R1] = { 1, 0 } } },
		{ "RST+ACK", TCP(40000, RSTACK), .real = 1, .state = S_CLOSE,
		  .conns = { [R1] = { 0, 1 } } },
		{ "FIN after RST", TCP(40000, FINACK), .real = 1, .state = S_FIN,
		  .conns = { [R1] = { 0, 1 } } },
	};
	/* clang-format on */

	run_steps(*state, steps, ARRAY_SIZE(steps));
}

/* TCP segments without a flow (LB restart, LRU eviction): scheduled, counted as they imply. */
static void test_tcp_no_flow(void **state)
{
	/* clang-format off */
	static const struct step steps[] = {
		{ "ACK without a flow (mid-stream pickup)", TCP(41000, ACK), .real = 1,
		  .state = S_EST, .cnt = CNT_NEW | CNT_MID,
		  .conns = { [R1] = { 1, 0 } } },
		/* conn_next_state(NONE, SYN|ACK): the ACK makes it established */
		{ "SYN+ACK from the client without a flow", TCP(41001, SYNACK), .real = 2,
		  .state = S_EST, .cnt = CNT_NEW | CNT_MID,
		  .conns = { [R1] = { 1, 0 }, [R2] = { 1, 0 } } },
		{ "data without a flow", TCP(41002, PSHACK), .real = 3, .state = S_EST,
		  .cnt = CNT_NEW | CNT_MID,
		  .conns = { [R1] = { 1, 0 }, [R2] = { 1, 0 }, [R3] = { 1, 0 } } },
		{ "FIN without a flow", TCP(41003, FINACK), .real = 1, .state = S_FIN,
		  .cnt = CNT_NEW | CNT_MID,
		  .conns = { [R1] = { 1, 1 }, [R2] = { 1, 0 }, [R3] = { 1, 0 } } },
		{ "RST without a flow", TCP(41004, RST), .real = 2, .state = S_CLOSE,
		  .cnt = CNT_NEW | CNT_MID,
		  .conns = { [R1] = { 1, 1 }, [R2] = { 1, 1 }, [R3] = { 1, 0 } } },
		{ "the picked-up flow's next ACK", TCP(41000, ACK), .real = 1, .state = S_EST,
		  .conns = { [R1] = { 1, 1 }, [R2] = { 1, 1 }, [R3] = { 1, 0 } } },
		{ "a SYN is not mid-stream", TCP(41005, SYN), .real = 3, .state = S_SYN,
		  .cnt = CNT_NEW,
		  .conns = { [R1] = { 1, 1 }, [R2] = { 1, 1 }, [R3] = { 1, 1 } } },
		{ "SYN on the picked-up FIN'ed flow", TCP(41003, SYN), .real = 1,
		  .state = S_SYN,
		  .conns = { [R1] = { 1, 1 }, [R2] = { 1, 1 }, [R3] = { 1, 1 } } },
		{ "its ACK", TCP(41003, ACK), .real = 1, .state = S_EST,
		  .conns = { [R1] = { 2, 0 }, [R2] = { 1, 1 }, [R3] = { 1, 1 } } },
	};
	/* clang-format on */

	run_steps(*state, steps, ARRAY_SIZE(steps));
}

/* Several flows over the three reals in rr order: each real's counts exact at every step. */
static void test_rr_flows(void **state)
{
	/* clang-format off */
	static const struct step steps[] = {
		{ "SYN A", TCP(40000, SYN), .real = 1, .state = S_SYN, .cnt = CNT_NEW,
		  .conns = { [R1] = { 0, 1 } } },
		{ "SYN B", TCP(40001, SYN), .real = 2, .state = S_SYN, .cnt = CNT_NEW,
		  .conns = { [R1] = { 0, 1 }, [R2] = { 0, 1 } } },
		{ "SYN C", TCP(40002, SYN), .real = 3, .state = S_SYN, .cnt = CNT_NEW,
		  .conns = { [R1] = { 0, 1 }, [R2] = { 0, 1 }, [R3] = { 0, 1 } } },
		{ "SYN D", TCP(40003, SYN), .real = 1, .state = S_SYN, .cnt = CNT_NEW,
		  .conns = { [R1] = { 0, 2 }, [R2] = { 0, 1 }, [R3] = { 0, 1 } } },
		{ "SYN E", TCP(40004, SYN), .real = 2, .state = S_SYN, .cnt = CNT_NEW,
		  .conns = { [R1] = { 0, 2 }, [R2] = { 0, 2 }, [R3] = { 0, 1 } } },
		{ "SYN F", TCP(40005, SYN), .real = 3, .state = S_SYN, .cnt = CNT_NEW,
		  .conns = { [R1] = { 0, 2 }, [R2] = { 0, 2 }, [R3] = { 0, 2 } } },
		{ "ACK A", TCP(40000, ACK), .real = 1, .state = S_EST,
		  .conns = { [R1] = { 1, 1 }, [R2] = { 0, 2 }, [R3] = { 0, 2 } } },
		{ "ACK B", TCP(40001, ACK), .real = 2, .state = S_EST,
		  .conns = { [R1] = { 1, 1 }, [R2] = { 1, 1 }, [R3] = { 0, 2 } } },
		{ "ACK D", TCP(40003, ACK), .real = 1, .state = S_EST,
		  .conns = { [R1] = { 2, 0 }, [R2] = { 1, 1 }, [R3] = { 0, 2 } } },
		{ "data D", TCP(40003, PSHACK), .real = 1, .state = S_EST,
		  .conns = { [R1] = { 2, 0 }, [R2] = { 1, 1 }, [R3] = { 0, 2 } } },
		{ "FIN A", TCP(40000, FINACK), .real = 1, .state = S_FIN,
		  .conns = { [R1] = { 1, 1 }, [R2] = { 1, 1 }, [R3] = { 0, 2 } } },
		{ "RST C (never established)", TCP(40002, RST), .real = 3, .state = S_CLOSE,
		  .conns = { [R1] = { 1, 1 }, [R2] = { 1, 1 }, [R3] = { 0, 2 } } },
		{ "ACK F", TCP(40005, ACK), .real = 3, .state = S_EST,
		  .conns = { [R1] = { 1, 1 }, [R2] = { 1, 1 }, [R3] = { 1, 1 } } },
		{ "SYN G", TCP(40006, SYN), .real = 1, .state = S_SYN, .cnt = CNT_NEW,
		  .conns = { [R1] = { 1, 2 }, [R2] = { 1, 1 }, [R3] = { 1, 1 } } },
		{ "RST+ACK D", TCP(40003, RSTACK), .real = 1, .state = S_CLOSE,
		  .conns = { [R1] = { 0, 3 }, [R2] = { 1, 1 }, [R3] = { 1, 1 } } },
		{ "ACK E", TCP(40004, ACK), .real = 2, .state = S_EST,
		  .conns = { [R1] = { 0, 3 }, [R2] = { 2, 0 }, [R3] = { 1, 1 } } },
	};
	/* clang-format on */

	run_steps(*state, steps, ARRAY_SIZE(steps));
}

/* UDP has one state: inactive from the first datagram on. */
static void test_udp(void **state)
{
	/* clang-format off */
	static const struct step steps[] = {
		{ "first datagram", UDP(5000), .real = 11, .state = S_UDP, .cnt = CNT_NEW,
		  .conns = { [R11] = { 0, 1 } } },
		{ "second datagram", UDP(5000), .real = 11, .state = S_UDP,
		  .conns = { [R11] = { 0, 1 } } },
		{ "third datagram", UDP(5000), .real = 11, .state = S_UDP,
		  .conns = { [R11] = { 0, 1 } } },
		{ "another flow", UDP(5001), .real = 12, .state = S_UDP, .cnt = CNT_NEW,
		  .conns = { [R11] = { 0, 1 }, [R12] = { 0, 1 } } },
		{ "a third flow", UDP(5002), .real = 11, .state = S_UDP, .cnt = CNT_NEW,
		  .conns = { [R11] = { 0, 2 }, [R12] = { 0, 1 } } },
		{ "the second flow again", UDP(5001), .real = 12, .state = S_UDP,
		  .conns = { [R11] = { 0, 2 }, [R12] = { 0, 1 } } },
	};
	/* clang-format on */

	run_steps(*state, steps, ARRAY_SIZE(steps));
}

/*
 * A real deleted under its flows: they are rescheduled on their next packet
 * and counted on the new real in the state that packet implies. The deleted
 * id's counts stay as they were (nobody reads them until the id is reused,
 * and then xlbd resets them).
 */
static void test_stale_deleted(void **state)
{
	/* clang-format off */
	static const struct step steps[] = {
		{ "SYN A", TCP(40000, SYN), .real = 1, .state = S_SYN, .cnt = CNT_NEW,
		  .conns = { [R1] = { 0, 1 } } },
		{ "ACK A", TCP(40000, ACK), .real = 1, .state = S_EST,
		  .conns = { [R1] = { 1, 0 } } },
		{ "SYN B", TCP(40001, SYN), .real = 2, .state = S_SYN, .cnt = CNT_NEW,
		  .conns = { [R1] = { 1, 0 }, [R2] = { 0, 1 } } },
		{ "ACK B", TCP(40001, ACK), .real = 2, .state = S_EST,
		  .conns = { [R1] = { 1, 0 }, [R2] = { 1, 0 } } },
		{ "SYN C", TCP(40002, SYN), .real = 3, .state = S_SYN, .cnt = CNT_NEW,
		  .conns = { [R1] = { 1, 0 }, [R2] = { 1, 0 }, [R3] = { 0, 1 } } },
		{ "SYN D", TCP(40003, SYN), .real = 1, .state = S_SYN, .cnt = CNT_NEW,
		  .conns = { [R1] = { 1, 1 }, [R2] = { 1, 0 }, [R3] = { 0, 1 } } },
		/* what xlbd does when a real leaves the config: new ring first, then the real */
		{ "ring without real 1", RING(SVC_TCP4, 2, 3),
		  .conns = { [R1] = { 1, 1 }, [R2] = { 1, 0 }, [R3] = { 0, 1 } } },
		{ "real 1 deleted", DEL(1),
		  .conns = { [R1] = { 1, 1 }, [R2] = { 1, 0 }, [R3] = { 0, 1 } } },
		/* cursor 4, ring {2, 3}: real 2 */
		{ "FIN of A, established on the deleted real", TCP(40000, FINACK), .real = 2,
		  .state = S_FIN, .cnt = CNT_STALE | CNT_NEW,
		  .conns = { [R1] = { 1, 1 }, [R2] = { 1, 1 }, [R3] = { 0, 1 } } },
		{ "SYN of D retransmitted, D's real deleted", TCP(40003, SYN), .real = 3,
		  .state = S_SYN, .cnt = CNT_STALE | CNT_NEW,
		  .conns = { [R1] = { 1, 1 }, [R2] = { 1, 1 }, [R3] = { 0, 2 } } },
		{ "ACK D on its new real", TCP(40003, ACK), .real = 3, .state = S_EST,
		  .conns = { [R1] = { 1, 1 }, [R2] = { 1, 1 }, [R3] = { 1, 1 } } },
		{ "ACK A after its FIN, on its new real", TCP(40000, ACK), .real = 2,
		  .state = S_FIN,
		  .conns = { [R1] = { 1, 1 }, [R2] = { 1, 1 }, [R3] = { 1, 1 } } },
		{ "ACK B: its real is still there", TCP(40001, ACK), .real = 2, .state = S_EST,
		  .conns = { [R1] = { 1, 1 }, [R2] = { 1, 1 }, [R3] = { 1, 1 } } },
		{ "id 1 given to a new real", PUT(1, 2001, ACTIVE),
		  .conns = { [R1] = { 1, 1 }, [R2] = { 1, 1 }, [R3] = { 1, 1 } } },
		{ "its counts reset", RESET(1),
		  .conns = { [R2] = { 1, 1 }, [R3] = { 1, 1 } } },
	};
	/* clang-format on */

	run_steps(*state, steps, ARRAY_SIZE(steps));
}

static void test_stale_deleted_udp(void **state)
{
	/* clang-format off */
	static const struct step steps[] = {
		{ "flow A", UDP(5000), .real = 11, .state = S_UDP, .cnt = CNT_NEW,
		  .conns = { [R11] = { 0, 1 } } },
		{ "flow B", UDP(5001), .real = 12, .state = S_UDP, .cnt = CNT_NEW,
		  .conns = { [R11] = { 0, 1 }, [R12] = { 0, 1 } } },
		{ "ring without real 11", RING(SVC_UDP4, 12),
		  .conns = { [R11] = { 0, 1 }, [R12] = { 0, 1 } } },
		{ "real 11 deleted", DEL(11),
		  .conns = { [R11] = { 0, 1 }, [R12] = { 0, 1 } } },
		{ "flow A, its real deleted", UDP(5000), .real = 12, .state = S_UDP,
		  .cnt = CNT_STALE | CNT_NEW,
		  .conns = { [R11] = { 0, 1 }, [R12] = { 0, 2 } } },
		{ "flow A again", UDP(5000), .real = 12, .state = S_UDP,
		  .conns = { [R11] = { 0, 1 }, [R12] = { 0, 2 } } },
	};
	/* clang-format on */

	run_steps(*state, steps, ARRAY_SIZE(steps));
}

/*
 * An id reused for a new real (new gen, counts reset): flows of the old real
 * move on without touching the new owner's counts, even when the ring sends
 * them to that same id.
 */
static void test_stale_new_gen(void **state)
{
	/* clang-format off */
	static const struct step steps[] = {
		{ "SYN A", TCP(40000, SYN), .real = 1, .state = S_SYN, .cnt = CNT_NEW,
		  .conns = { [R1] = { 0, 1 } } },
		{ "ACK A", TCP(40000, ACK), .real = 1, .state = S_EST,
		  .conns = { [R1] = { 1, 0 } } },
		{ "SYN B", TCP(40001, SYN), .real = 2, .state = S_SYN, .cnt = CNT_NEW,
		  .conns = { [R1] = { 1, 0 }, [R2] = { 0, 1 } } },
		{ "SYN C", TCP(40002, SYN), .real = 3, .state = S_SYN, .cnt = CNT_NEW,
		  .conns = { [R1] = { 1, 0 }, [R2] = { 0, 1 }, [R3] = { 0, 1 } } },
		{ "SYN D", TCP(40003, SYN), .real = 1, .state = S_SYN, .cnt = CNT_NEW,
		  .conns = { [R1] = { 1, 1 }, [R2] = { 0, 1 }, [R3] = { 0, 1 } } },
		{ "id 1 given to a new real", PUT(1, 5001, ACTIVE),
		  .conns = { [R1] = { 1, 1 }, [R2] = { 0, 1 }, [R3] = { 0, 1 } } },
		{ "its counts reset", RESET(1),
		  .conns = { [R2] = { 0, 1 }, [R3] = { 0, 1 } } },
		{ "SYN E", TCP(40004, SYN), .real = 2, .state = S_SYN, .cnt = CNT_NEW,
		  .conns = { [R2] = { 0, 2 }, [R3] = { 0, 1 } } },
		{ "SYN F", TCP(40005, SYN), .real = 3, .state = S_SYN, .cnt = CNT_NEW,
		  .conns = { [R2] = { 0, 2 }, [R3] = { 0, 2 } } },
		{ "SYN G to the new real 1", TCP(40006, SYN), .real = 1, .state = S_SYN,
		  .cnt = CNT_NEW,
		  .conns = { [R1] = { 0, 1 }, [R2] = { 0, 2 }, [R3] = { 0, 2 } } },
		{ "ACK G", TCP(40006, ACK), .real = 1, .state = S_EST,
		  .conns = { [R1] = { 1, 0 }, [R2] = { 0, 2 }, [R3] = { 0, 2 } } },
		/* established on the old real 1: nothing leaves the new one's active */
		{ "ACK A, its real's id reused", TCP(40000, ACK), .real = 2, .state = S_EST,
		  .cnt = CNT_STALE | CNT_NEW,
		  .conns = { [R1] = { 1, 0 }, [R2] = { 1, 2 }, [R3] = { 0, 2 } } },
		{ "SYN H", TCP(40007, SYN), .real = 3, .state = S_SYN, .cnt = CNT_NEW,
		  .conns = { [R1] = { 1, 0 }, [R2] = { 1, 2 }, [R3] = { 0, 3 } } },
		/* SYN on the old real 1, rescheduled onto the new real 1 */
		{ "ACK D, onto the id's new real", TCP(40003, ACK), .real = 1, .state = S_EST,
		  .cnt = CNT_STALE | CNT_NEW,
		  .conns = { [R1] = { 2, 0 }, [R2] = { 1, 2 }, [R3] = { 0, 3 } } },
		{ "ACK B: its real is untouched", TCP(40001, ACK), .real = 2, .state = S_EST,
		  .conns = { [R1] = { 2, 0 }, [R2] = { 2, 1 }, [R3] = { 0, 3 } } },
		{ "FIN D on the new real", TCP(40003, FINACK), .real = 1, .state = S_FIN,
		  .conns = { [R1] = { 1, 1 }, [R2] = { 2, 1 }, [R3] = { 0, 3 } } },
	};
	/* clang-format on */

	run_steps(*state, steps, ARRAY_SIZE(steps));
}

/*
 * A real without XLB_REAL_F_ACTIVE (same gen) keeps no flows: each moves on
 * its next packet and takes its count away from the old real.
 */
static void test_stale_inactive(void **state)
{
	/* clang-format off */
	static const struct step steps[] = {
		{ "SYN A", TCP(40000, SYN), .real = 1, .state = S_SYN, .cnt = CNT_NEW,
		  .conns = { [R1] = { 0, 1 } } },
		{ "ACK A", TCP(40000, ACK), .real = 1, .state = S_EST,
		  .conns = { [R1] = { 1, 0 } } },
		{ "SYN B", TCP(40001, SYN), .real = 2, .state = S_SYN, .cnt = CNT_NEW,
		  .conns = { [R1] = { 1, 0 }, [R2] = { 0, 1 } } },
		{ "SYN C", TCP(40002, SYN), .real = 3, .state = S_SYN, .cnt = CNT_NEW,
		  .conns = { [R1] = { 1, 0 }, [R2] = { 0, 1 }, [R3] = { 0, 1 } } },
		{ "SYN D", TCP(40003, SYN), .real = 1, .state = S_SYN, .cnt = CNT_NEW,
		  .conns = { [R1] = { 1, 1 }, [R2] = { 0, 1 }, [R3] = { 0, 1 } } },
		{ "ring without real 1", RING(SVC_TCP4, 2, 3),
		  .conns = { [R1] = { 1, 1 }, [R2] = { 0, 1 }, [R3] = { 0, 1 } } },
		{ "real 1 inactive", PUT(1, GEN(1), 0),
		  .conns = { [R1] = { 1, 1 }, [R2] = { 0, 1 }, [R3] = { 0, 1 } } },
		/* cursor 4, ring {2, 3}: real 2 */
		{ "ACK A, its real inactive", TCP(40000, ACK), .real = 2, .state = S_EST,
		  .cnt = CNT_STALE | CNT_NEW,
		  .conns = { [R1] = { 0, 1 }, [R2] = { 1, 1 }, [R3] = { 0, 1 } } },
		{ "data A on its new real", TCP(40000, PSHACK), .real = 2, .state = S_EST,
		  .conns = { [R1] = { 0, 1 }, [R2] = { 1, 1 }, [R3] = { 0, 1 } } },
		{ "FIN D, its real inactive", TCP(40003, FINACK), .real = 3, .state = S_FIN,
		  .cnt = CNT_STALE | CNT_NEW,
		  .conns = { [R2] = { 1, 1 }, [R3] = { 0, 2 } } },
		{ "ACK D after its FIN", TCP(40003, ACK), .real = 3, .state = S_FIN,
		  .conns = { [R2] = { 1, 1 }, [R3] = { 0, 2 } } },
		{ "real 1 active again", PUT(1, GEN(1), ACTIVE),
		  .conns = { [R2] = { 1, 1 }, [R3] = { 0, 2 } } },
		{ "ACK A stays on real 2", TCP(40000, ACK), .real = 2, .state = S_EST,
		  .conns = { [R2] = { 1, 1 }, [R3] = { 0, 2 } } },
	};
	/* clang-format on */

	run_steps(*state, steps, ARRAY_SIZE(steps));
}

/*
 * The ring still names the inactive real: the packet is dropped after its
 * flow left the real's count, and the flow entry is left in NONE on the old
 * real. When the real comes back (same gen) the flow is its own again and is
 * counted from NONE like a fresh one.
 */
static void test_stale_inactive_in_ring(void **state)
{
	/* clang-format off */
	static const struct step steps[] = {
		{ "SYN A", TCP(40000, SYN), .real = 1, .state = S_SYN, .cnt = CNT_NEW,
		  .conns = { [R1] = { 0, 1 } } },
		{ "ACK A", TCP(40000, ACK), .real = 1, .state = S_EST,
		  .conns = { [R1] = { 1, 0 } } },
		{ "SYN B", TCP(40001, SYN), .real = 2, .state = S_SYN, .cnt = CNT_NEW,
		  .conns = { [R1] = { 1, 0 }, [R2] = { 0, 1 } } },
		{ "SYN C", TCP(40002, SYN), .real = 3, .state = S_SYN, .cnt = CNT_NEW,
		  .conns = { [R1] = { 1, 0 }, [R2] = { 0, 1 }, [R3] = { 0, 1 } } },
		{ "real 1 inactive, still in the ring", PUT(1, GEN(1), 0),
		  .conns = { [R1] = { 1, 0 }, [R2] = { 0, 1 }, [R3] = { 0, 1 } } },
		/* cursor 3, ring {1, 2, 3}: real 1 again, which cannot take it */
		{ "ACK A, rescheduled onto the inactive real", TCP(40000, ACK), .real = 0,
		  .flow_real = 1, .state = S_NONE, .cnt = CNT_STALE | CNT_BAD_REAL,
		  .conns = { [R2] = { 0, 1 }, [R3] = { 0, 1 } } },
		{ "real 1 active again", PUT(1, GEN(1), ACTIVE),
		  .conns = { [R2] = { 0, 1 }, [R3] = { 0, 1 } } },
		{ "ACK A on its real again", TCP(40000, ACK), .real = 1, .state = S_EST,
		  .conns = { [R1] = { 1, 0 }, [R2] = { 0, 1 }, [R3] = { 0, 1 } } },
		{ "data A", TCP(40000, PSHACK), .real = 1, .state = S_EST,
		  .conns = { [R1] = { 1, 0 }, [R2] = { 0, 1 }, [R3] = { 0, 1 } } },
	};
	/* clang-format on */

	run_steps(*state, steps, ARRAY_SIZE(steps));
}

/* midstream: drop: a non-SYN without a flow is dropped and leaves no flow; a SYN is not. */
static void test_midstream_drop(void **state)
{
	struct fixture *f = *state;
	struct xlb_service_key key = svc_key(SVC_TCP4);
	struct xlb_service svc;
	struct xlb_flow flow;
	/* clang-format off */
	static const struct step drop[] = {
		{ "ACK without a flow, midstream: drop", TCP(42000, ACK), .real = 0,
		  .cnt = CNT_MID | CNT_DROP_MID },
	};
	static const struct step after[] = {
		{ "a SYN is scheduled as usual", TCP(42001, SYN), .real = 1, .state = S_SYN,
		  .cnt = CNT_NEW, .conns = { [R1] = { 0, 1 } } },
		{ "and its ACK follows the flow", TCP(42001, ACK), .real = 1, .state = S_EST,
		  .conns = { [R1] = { 1, 0 } } },
	};
	/* clang-format on */
	struct xlb_flow_key fk = flow_key(&drop[0]);

	assert_int_equal(dataplane_service_get(f->dp, &key, &svc), 0);
	svc.flags |= XLB_SVC_F_MIDSTREAM_DROP;
	assert_int_equal(dataplane_service_put(f->dp, &key, &svc), 0);
	run_pkt(f, "step 1 (ACK without a flow, midstream: drop)", &drop[0]);
	check_conns(f, "step 1", &drop[0]);
	assert_int_not_equal(dataplane_flow_get(f->dp, &fk, &flow), 0);
	run_steps(f, after, ARRAY_SIZE(after));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tcp_states, setup, pkt_free_state),
		cmocka_unit_test_setup_teardown(test_tcp_no_flow, setup, pkt_free_state),
		cmocka_unit_test_setup_teardown(test_midstream_drop, setup, pkt_free_state),
		cmocka_unit_test_setup_teardown(test_rr_flows, setup, pkt_free_state),
		cmocka_unit_test_setup_teardown(test_udp, setup, pkt_free_state),
		cmocka_unit_test_setup_teardown(test_stale_deleted, setup, pkt_free_state),
		cmocka_unit_test_setup_teardown(test_stale_deleted_udp, setup, pkt_free_state),
		cmocka_unit_test_setup_teardown(test_stale_new_gen, setup, pkt_free_state),
		cmocka_unit_test_setup_teardown(test_stale_inactive, setup, pkt_free_state),
		cmocka_unit_test_setup_teardown(test_stale_inactive_in_ring, setup, pkt_free_state),
	};

	return pkt_dp_run_group("test_pkt_conns", tests);
}
