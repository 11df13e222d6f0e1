// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Benchmark (not a test): what the XDP program costs per packet, measured
 * with BPF_PROG_TEST_RUN (the kernel's own ns per repetition, around the
 * program loop only). Two modes; docs/BENCHMARKS.md, "Per-packet cost",
 * has the method and results of both.
 *
 * pkt_cost [methods]  (default) every forwarding method (dr, dscp, tun, gue,
 *   nat, fnat) for a SYN and an established packet, with 1 flow and with
 *   65,536 flows, next to a MAC-swap XDP_TX program as the floor. The
 *   kernel does not restore the frame between repetitions, so the programs
 *   of bench/bpf/pkt_cost.bpf.c wrap the one under test: restore_and_call
 *   puts the original frame back, moves the source to the next flow if
 *   asked, and tail-calls it. Its own cost, measured by tail-calling the
 *   floor (wrapper+floor - floor), is subtracted.
 *
 * pkt_cost sched  a new flow's SYN by scheduler (rr, sh, mh, lc, wlc, sed,
 *   nq, twos) and number of reals against an established packet (issue 4,
 *   item 6: a new-flow decision for lc/wlc/sed/nq over 64 reals must stay
 *   within a per-packet budget). Its wrapper is 20 instructions loaded
 *   here, which adds 1 to a 16-bit field of the frame and tail-calls
 *   xlb_xdp: on the TCP source port, every iteration is a new 5-tuple; on
 *   the low half of the TCP sequence number, the frame stays the same flow.
 *   Per run and configuration:
 *
 *   syn     wrapper, source port bumped, SYN: N new flows      (timed)
 *   warm    wrapper, source port bumped, ACK: those N flows -> established
 *   est     wrapper, source port bumped, ACK: N established flows (timed)
 *   hot     xlb_xdp alone, ACK of one established flow          (timed)
 *   hotw    wrapper, sequence bumped, the same ACK              (timed)
 *   pass    xlb_xdp alone, a packet to no VIP (XDP_PASS)        (timed)
 *
 *   hotw - hot is the wrapper's own cost (its store and the tail call); its
 *   median over every run and configuration is subtracted from syn and est.
 *   Each timed pass checks the global counters: N new flows for syn, none
 *   for the others, every packet forwarded (XDP_TX) or passed.
 *
 * Needs root (BPF). Prints markdown tables to stdout.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../tests/bpf/pktbuild.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "dataplane.h"
#include "pkt_cost.h"
#include "pkt_cost.skel.h"
#include "log.h"
#include "sched/sched.h"


#define SVC_ID 7
#define VPORT 80
#define REAL_ID0 100 /* reals are REAL_ID0 .. REAL_ID0 + n - 1, in config order */
#define MAX_REALS 1000
#define PORT_BASE 1024 /* first client source port; the wrapper starts at + 1 */
#define HOT_PORT 1000 /* the one established flow of "hot", outside the bumped range */
#define MAX_RUNS 101


/* ---- the wrapper program, as instructions (no second BPF object to build) ---- */

#define INSN(c, d, s, o, i)                                                                        \
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define MOV_REG(d, s) INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV_IMM(d, i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define ALU_IMM(op, d, i) INSN(BPF_ALU64 | (op) | BPF_K, d, 0, 0, i)
#define ALU_REG(op, d, s) INSN(BPF_ALU64 | (op) | BPF_X, d, s, 0, 0)
#define LDX(sz, d, s, o) INSN(BPF_LDX | BPF_MEM | (sz), d, s, o, 0)
#define STX(sz, d, s, o) INSN(BPF_STX | BPF_MEM | (sz), d, s, o, 0)
#define JGT_REG(d, s, o) INSN(BPF_JMP | BPF_JGT | BPF_X, d, s, o, 0)
#define CALL(fn) INSN(BPF_JMP | BPF_CALL, 0, 0, 0, fn)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/*
 * r6 = ctx; if (data + off + 2 <= data_end) be16 at data + off += 1;
 * bpf_tail_call(ctx, prog_array, 0); return XDP_ABORTED (the tail call failed).
 */
static int load_wrapper(uint16_t off, int prog_array_fd)
{
	struct bpf_insn insns[] = {
		MOV_REG(BPF_REG_6, BPF_REG_1),
		LDX(BPF_W, BPF_REG_2, BPF_REG_1, offsetof(struct xdp_md, data)),
		LDX(BPF_W, BPF_REG_3, BPF_REG_1, offsetof(struct xdp_md, data_end)),
		MOV_REG(BPF_REG_4, BPF_REG_2),
		ALU_IMM(BPF_ADD, BPF_REG_4, off + 2),
		JGT_REG(BPF_REG_4, BPF_REG_3, 13), /* to "r0 = XDP_ABORTED" */
		LDX(BPF_B, BPF_REG_5, BPF_REG_2, off),
		ALU_IMM(BPF_LSH, BPF_REG_5, 8),
		LDX(BPF_B, BPF_REG_0, BPF_REG_2, off + 1),
		ALU_REG(BPF_OR, BPF_REG_5, BPF_REG_0),
		ALU_IMM(BPF_ADD, BPF_REG_5, 1),
		STX(BPF_B, BPF_REG_2, BPF_REG_5, off + 1),
		ALU_IMM(BPF_RSH, BPF_REG_5, 8),
		STX(BPF_B, BPF_REG_2, BPF_REG_5, off),
		MOV_REG(BPF_REG_1, BPF_REG_6),
		INSN(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_2, BPF_PSEUDO_MAP_FD, 0, prog_array_fd),
		INSN(0, 0, 0, 0, 0),
		MOV_IMM(BPF_REG_3, 0),
		CALL(BPF_FUNC_tail_call),
		MOV_IMM(BPF_REG_0, XDP_ABORTED),
		EXIT(),
	};
	char log[4096] = "";
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_XDP, .log_buf = log,
		    .log_size = sizeof(log), .log_level = 1);
	int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "pkt_cost_bump", "Dual BSD/GPL", insns,
			       ARRAY_SIZE(insns), &opts);

	if (fd < 0)
		fprintf(stderr, "pkt_cost: loading the wrapper: %s\n%s", strerror(errno), log);
	return fd;
}

/* ---- the data plane and what xlbd would write into it ---- */

/*
 * Every path loaded, clocks as xlbd sets them (a flow's entry refreshed once
 * a second), and room for every flow of a pass in both tables: no LRU
 * eviction while timed.
 */
static int bench_dataplane_open(uint32_t max_flows, struct dataplane **dp)
{
	struct dp_sizes sizes = { .max_flows = max_flows, .syn_max = max_flows };
	struct xlb_dp_spec spec;

	dataplane_spec_full(&spec);
	spec.touch_ns = 1000000000ull;
	return dataplane_open_spec(NULL, &sizes, &spec, dp);
}

struct bench {
	struct dataplane *dp;
	int prog_fd; /* xlb_xdp */
	int bump_port_fd, bump_seq_fd; /* the wrapper, bumping the source port / the sequence */
	int prog_array_fd;
	int conns_fd, flows_fd;
	uint32_t ifindex;
	uint16_t slot;
	uint32_t nflows; /* N */
	uint32_t nhot; /* repeat for hot, hotw, pass */
	struct xlb_ring *ring;
	uint32_t *mh_table;
	struct xlb_flow_key *keys; /* the N flows of syn/est, for deleting them */
	struct pkt syn, ack, hot, pass;
	uint16_t sport_off, seq_off;
};

static void die(const char *what, int err)
{
	fprintf(stderr, "pkt_cost: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

static void check(int err, const char *what)
{
	if (err)
		die(what, err < 0 ? err : errno);
}

static uint32_t vip4(void)
{
	return htonl(0x0a000064); /* 10.0.0.100 */
}

static uint32_t client4(void)
{
	return htonl(0x0a010001); /* 10.1.0.1 */
}

/*
 * @n reals, all usable, with mixed weights (1..5) and counts: every real
 * has at least one active connection, so nq never stops at an idle one and
 * scans them all, as lc/wlc/sed do.
 */
static void make_reals(struct sched_real *reals, int n)
{
	for (int i = 0; i < n; i++) {
		reals[i] = (struct sched_real){
			.real_id = REAL_ID0 + i,
			.weight = 1 + (i * 7) % 5,
			.usable = true,
			.active = 1 + (i * 37) % 50,
			.inactive = (i * 53) % 200,
			.port = htons(VPORT),
		};
		reals[i].last_weight = reals[i].weight;
		reals[i].addr.addr[0] = htonl(0x0a000200 + REAL_ID0 + i);
	}
}

/* What xlbd writes for a dr service of @n reals under @sched (ring or mh table). */
static void configure(struct bench *b, enum sched_id sched, const struct sched_real *reals, int n)
{
	const struct sched_ops *ops = sched_get(sched);
	uint16_t slot = b->slot ^ 1;
	struct xlb_service_key key = { .port = htons(VPORT), .proto = IPPROTO_TCP,
				       .family = XLB_FAMILY_V4 };
	struct xlb_service svc = {
		.svc_id = SVC_ID,
		.flags = XLB_SVC_F_ACTIVE,
		.method = XLB_METHOD_DR,
		.ring_slot = slot,
	};

	if (!ops)
		die("scheduler not run by the data plane", EINVAL);
	for (int i = 0; i < n; i++) {
		struct xlb_real r = {
			.addr = reals[i].addr,
			.gen = 1000 + reals[i].real_id,
			.flags = XLB_REAL_F_ACTIVE | XLB_REAL_F_NEW_FLOWS,
			.ifindex = b->ifindex,
			.svc_id = SVC_ID,
			.port = reals[i].port,
			.family = XLB_FAMILY_V4,
			.weight = reals[i].weight,
		};

		real_mac(reals[i].real_id, r.dst_mac);
		memcpy(r.src_mac, EGRESS_MAC, 6);
		check(dataplane_real_put(b->dp, reals[i].real_id, &r), "real_put");
	}
	memset(b->ring, 0, sizeof(*b->ring));
	b->ring->len = (uint32_t)sched_dataplane_ring(ops, reals, (size_t)n, 0, b->ring->real_ids,
						      XLB_RING_MAX);
	check(dataplane_ring_put(b->dp, SVC_ID * 2 + slot, b->ring), "ring_put");
	if (ops->kind == XLB_SCHED_KIND_MH) {
		check(ops->build_table(reals, (size_t)n, b->mh_table, XLB_MH_TABLE_SIZE),
		      "mh build_table");
		check(dataplane_mh_table_put(b->dp, 0, b->mh_table, XLB_MH_TABLE_SIZE),
		      "mh_table_put");
		svc.mh_base = 0;
	} else if (b->ring->len == 0) {
		die("empty ring", EINVAL);
	}
	svc.sched_kind = ops->kind;
	key.vip.addr[0] = vip4();
	check(dataplane_service_put(b->dp, &key, &svc), "service_put");
	b->slot = slot;
}

/* Counts back to @reals' (nothing swept), no flows, the hot flow established on the first real. */
static void reset(struct bench *b, const struct sched_real *reals, int n)
{
	struct xlb_flow_key hot = b->keys[0];
	struct xlb_flow flow = { .real_id = reals[0].real_id, .real_gen = 1000 + reals[0].real_id,
				 .svc_id = SVC_ID, .state = XLB_FS_EST };
	uint32_t count = b->nflows;

	for (int i = 0; i < n; i++) {
		struct xlb_conns c = { .active = reals[i].active, .inactive = reals[i].inactive };
		struct xlb_conns zero = { 0 };
		uint32_t id = reals[i].real_id;

		check(bpf_map_update_elem(b->conns_fd, &id, &c, BPF_ANY), "real_conns");
		check(dataplane_conns_swept_put(b->dp, id, &zero), "conns_swept_put");
	}
	/* A batch delete stops at the first missing key: fall back to one by one. */
	(void)count;
	for (uint32_t i = 0; i < b->nflows; i++)
		dataplane_flow_del(b->dp, &b->keys[i]);
	hot.sport = htons(HOT_PORT);
	check(bpf_map_update_elem(b->flows_fd, &hot, &flow, BPF_ANY), "hot flow");
}

/* ---- timed passes ---- */

/* One BPF_PROG_TEST_RUN: the kernel's ns per repetition; exits on a wrong verdict. */
static uint32_t test_run(struct bench *b, int fd, const struct pkt *p, uint32_t repeat,
			 uint32_t want_verdict, const char *what)
{
	uint8_t buf[PKT_MAX];
	struct xdp_md ctx = { .data_end = p->len, .ingress_ifindex = b->ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = buf, .data_size_in = p->len,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = repeat);

	memcpy(buf, p->buf, p->len);
	if (bpf_prog_test_run_opts(fd, &opts))
		die(what, errno);
	if (opts.retval != want_verdict) {
		fprintf(stderr, "pkt_cost: %s: verdict %u, want %u\n", what, opts.retval,
			want_verdict);
		exit(1);
	}
	return opts.duration;
}

/* A pass whose global counters must move by @new_flows new flows and @fwd forwarded packets. */
static uint32_t counted_run(struct bench *b, int fd, const struct pkt *p, uint32_t repeat,
			    uint64_t new_flows, uint64_t fwd, const char *what)
{
	uint64_t before[XLB_CNT__COUNT], after[XLB_CNT__COUNT];
	uint32_t ns;

	check(dataplane_counters_read(b->dp, before), "counters");
	ns = test_run(b, fd, p, repeat, fwd ? XDP_TX : XDP_PASS, what);
	check(dataplane_counters_read(b->dp, after), "counters");
	if (after[XLB_CNT_NEW_FLOW] - before[XLB_CNT_NEW_FLOW] != new_flows ||
	    after[XLB_CNT_FWD_TX] - before[XLB_CNT_FWD_TX] != fwd ||
	    after[XLB_CNT_RX] - before[XLB_CNT_RX] != repeat) {
		fprintf(stderr,
			"pkt_cost: %s: new_flow +%llu (want %llu), fwd_tx +%llu (want %llu), "
			"rx +%llu (want %u)\n",
			what, (unsigned long long)(after[XLB_CNT_NEW_FLOW] - before[XLB_CNT_NEW_FLOW]),
			(unsigned long long)new_flows,
			(unsigned long long)(after[XLB_CNT_FWD_TX] - before[XLB_CNT_FWD_TX]),
			(unsigned long long)fwd,
			(unsigned long long)(after[XLB_CNT_RX] - before[XLB_CNT_RX]), repeat);
		exit(1);
	}
	return ns;
}

struct sample {
	uint32_t syn, est, hot, hotw, pass;
};

static void measure(struct bench *b, struct sample *s)
{
	struct xlb_flow flow;

	s->syn = counted_run(b, b->bump_port_fd, &b->syn, b->nflows, b->nflows, b->nflows, "syn");
	/* every SYN made its flow, in SYN state */
	if (dataplane_flow_get(b->dp, &b->keys[0], &flow) || flow.state != XLB_FS_SYN ||
	    dataplane_flow_get(b->dp, &b->keys[b->nflows - 1], &flow) ||
	    flow.state != XLB_FS_SYN)
		die("syn left no SYN-state flow", ENOENT);
	counted_run(b, b->bump_port_fd, &b->ack, b->nflows, 0, b->nflows, "warm");
	s->est = counted_run(b, b->bump_port_fd, &b->ack, b->nflows, 0, b->nflows, "est");
	if (dataplane_flow_get(b->dp, &b->keys[b->nflows - 1], &flow) ||
	    flow.state != XLB_FS_EST)
		die("est: flow not established", ENOENT);
	s->hot = counted_run(b, b->prog_fd, &b->hot, b->nhot, 0, b->nhot, "hot");
	s->hotw = counted_run(b, b->bump_seq_fd, &b->hot, b->nhot, 0, b->nhot, "hotw");
	s->pass = counted_run(b, b->prog_fd, &b->pass, b->nhot, 0, 0, "pass");
}

/* ---- setup, statistics, output ---- */

static void build_tcp(struct pkt *p, uint32_t daddr, uint16_t sport, uint8_t flags)
{
	pkt_init(p);
	pkt_eth(p, LB_MAC, CLIENT_MAC, ETH_P_IP);
	pkt_ipv4(p, client4(), daddr, IPPROTO_TCP);
	pkt_tcp(p, sport, VPORT, flags);
	pkt_finish(p);
}

static void setup(struct bench *b)
{
	uint32_t zero = 0;
	int err;

	b->ifindex = if_nametoindex("lo");
	b->ring = calloc(1, sizeof(*b->ring));
	b->mh_table = calloc(XLB_MH_TABLE_SIZE, sizeof(*b->mh_table));
	b->keys = calloc(b->nflows, sizeof(*b->keys));
	if (!b->ifindex || !b->ring || !b->mh_table || !b->keys)
		die("setup", ENOMEM);
	/* room for every flow of a run: no LRU eviction inside a timed pass */
	err = bench_dataplane_open(b->nflows * 2 + 1024, &b->dp);
	if (err)
		die("dataplane_open (root?)", err);
	b->prog_fd = dataplane_prog_fd(b->dp, false);
	b->conns_fd = dataplane_map_fd(b->dp, "real_conns");
	b->flows_fd = dataplane_map_fd(b->dp, "flows");
	if (b->conns_fd < 0 || b->flows_fd < 0)
		die("cannot find the real_conns and flows maps", ENOENT);

	build_tcp(&b->syn, vip4(), PORT_BASE, PKT_TCP_SYN);
	build_tcp(&b->ack, vip4(), PORT_BASE, PKT_TCP_ACK);
	build_tcp(&b->hot, vip4(), HOT_PORT, PKT_TCP_ACK);
	build_tcp(&b->pass, htonl(0x0a0000c8), PORT_BASE, PKT_TCP_ACK); /* 10.0.0.200: no VIP */
	b->sport_off = (uint16_t)b->syn.l4_off;
	b->seq_off = (uint16_t)(b->syn.l4_off + 6); /* low half of the sequence number */

	for (uint32_t i = 0; i < b->nflows; i++) {
		b->keys[i] = (struct xlb_flow_key){ .sport = htons(PORT_BASE + 1 + i),
						    .dport = htons(VPORT),
						    .proto = IPPROTO_TCP,
						    .family = XLB_FAMILY_V4 };
		b->keys[i].src.addr[0] = client4();
		b->keys[i].dst.addr[0] = vip4();
	}

	b->prog_array_fd = bpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, "pkt_cost_jmp", sizeof(uint32_t),
					  sizeof(uint32_t), 1, NULL);
	if (b->prog_array_fd < 0)
		die("prog array", errno);
	b->bump_port_fd = load_wrapper(b->sport_off, b->prog_array_fd);
	b->bump_seq_fd = load_wrapper(b->seq_off, b->prog_array_fd);
	if (b->bump_port_fd < 0 || b->bump_seq_fd < 0)
		exit(1);
	check(bpf_map_update_elem(b->prog_array_fd, &zero, &b->prog_fd, BPF_ANY),
	      "xlb_xdp into the prog array");
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static double median(uint32_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_u32);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

struct config {
	enum sched_id sched;
	int nreals;
};

static const struct config configs[] = {
	{ SCHED_RR, 8 },  { SCHED_RR, 64 },  { SCHED_SH, 8 },  { SCHED_SH, 64 },
	{ SCHED_MH, 8 },  { SCHED_MH, 64 },  { SCHED_LC, 8 },  { SCHED_LC, 64 },
	{ SCHED_WLC, 8 }, { SCHED_WLC, 64 }, { SCHED_SED, 8 }, { SCHED_SED, 64 },
	{ SCHED_NQ, 8 },  { SCHED_NQ, 64 }, { SCHED_TWOS, 8 }, { SCHED_TWOS, 64 },
	/* how a count-based scan grows with the number of reals */
	{ SCHED_WLC, 256 }, { SCHED_WLC, 1000 },
};

#define NCONF ARRAY_SIZE(configs)

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s sched [-r RUNS] [-n FLOWS] [-e REPEAT]\n"
		"  -r  runs per configuration, median reported (default 7, 5..%d)\n"
		"  -n  new flows per timed SYN pass (default 20000, at most 60000)\n"
		"  -e  repetitions of the one-flow passes (default 50000)\n",
		argv0, MAX_RUNS);
	exit(2);
}

static int sched_main(int argc, char **argv)
{
	static struct sample s[NCONF][MAX_RUNS];
	static uint32_t v[NCONF * MAX_RUNS];
	struct bench b = { .nflows = 20000, .nhot = 50000 };
	struct sched_real reals[MAX_REALS];
	int runs = 7, opt;
	double ovh, hot, pass;

	while ((opt = getopt(argc, argv, "r:n:e:h")) != -1) {
		switch (opt) {
		case 'r':
			runs = atoi(optarg);
			break;
		case 'n':
			b.nflows = (uint32_t)atoi(optarg);
			break;
		case 'e':
			b.nhot = (uint32_t)atoi(optarg);
			break;
		default:
			usage(argv[0]);
		}
	}
	if (runs < 5 || runs > MAX_RUNS || b.nflows < 2 || b.nflows > 60000 || b.nhot < 1 ||
	    optind != argc)
		usage(argv[0]);
	log_set_level(LOG_LVL_WARN);
	setup(&b);

	/* Run-major: drift on a shared machine spreads over every configuration alike. */
	for (int r = 0; r < runs; r++) {
		for (size_t c = 0; c < NCONF; c++) {
			make_reals(reals, configs[c].nreals);
			configure(&b, configs[c].sched, reals, configs[c].nreals);
			reset(&b, reals, configs[c].nreals);
			measure(&b, &s[c][r]);
		}
	}

	/* The wrapper's cost, and the one-flow baselines, over every run and configuration. */
	for (size_t c = 0, k = 0; c < NCONF; c++)
		for (int r = 0; r < runs; r++, k++)
			v[k] = s[c][r].hotw > s[c][r].hot ? s[c][r].hotw - s[c][r].hot : 0;
	ovh = median(v, NCONF * (size_t)runs);
	for (size_t c = 0, k = 0; c < NCONF; c++)
		for (int r = 0; r < runs; r++, k++)
			v[k] = s[c][r].hot;
	hot = median(v, NCONF * (size_t)runs);
	for (size_t c = 0, k = 0; c < NCONF; c++)
		for (int r = 0; r < runs; r++, k++)
			v[k] = s[c][r].pass;
	pass = median(v, NCONF * (size_t)runs);

	printf("xlb_xdp, method dr, IPv4 TCP, BPF_PROG_TEST_RUN: median of %d runs, "
	       "%u flows per SYN/established pass, wrapper cost %.0f ns subtracted\n\n",
	       runs, b.nflows, ovh);
	printf("| scheduler | reals | SYN ns/pkt | SYN min..max | established ns/pkt | SYN / est |\n");
	printf("|-----------|------:|-----------:|-------------:|-------------------:|----------:|\n");
	for (size_t c = 0; c < NCONF; c++) {
		uint32_t sv[MAX_RUNS], ev[MAX_RUNS];
		double syn, est;

		for (int r = 0; r < runs; r++) {
			sv[r] = s[c][r].syn;
			ev[r] = s[c][r].est;
		}
		syn = median(sv, (size_t)runs) - ovh;
		est = median(ev, (size_t)runs) - ovh;
		printf("| %-9s | %5d | %10.0f | %5.0f..%-5.0f | %18.0f | %8.2fx |\n",
		       sched_get(configs[c].sched)->name, configs[c].nreals, syn, sv[0] - ovh,
		       sv[runs - 1] - ovh, est, syn / est);
	}
	printf("\none established flow, hot (no wrapper): %.0f ns/pkt\n", hot);
	printf("packet to no VIP (XDP_PASS, no wrapper): %.0f ns/pkt\n", pass);
	printf("wrapper (16-bit store + tail call):       %.0f ns/pkt\n", ovh);

	close(b.bump_port_fd);
	close(b.bump_seq_fd);
	close(b.prog_array_fd);
	dataplane_close(b.dp);
	free(b.ring);
	free(b.mh_table);
	free(b.keys);
	return 0;
}

/* ==== methods: every forwarding method against the MAC-swap floor ==== */

#define M_REALS 8 /* rr over 8 reals: the pick is one atomic add whatever the count */
#define M_REAL_ID0 100
#define M_MANY_FLOWS 65536 /* every source port of one client */
#define M_HOT_PORT 40000 /* the one flow of the 1-flow established case */
#define M_GUE_PORT 6080
#define M_NAT_PORT 8080 /* nat/fnat reals listen elsewhere: the port rewrite is visible */
#define M_DSCP 10
#define M_FNAT_LOCALS 16 /* 16 x 8 reals x 31,744 ports: room for every new flow of a run */
#define M_MAX_RUNS 51

/* Clients, each its own /16 so the address rotation of a SYN pass never meets another. */
#define M_CLIENT_EST 0x0a010001u /* 10.1.0.1: the established flows */
#define M_CLIENT_SYN 0x0a020001u /* 10.2.0.1: SYN passes, one new flow per iteration */
#define M_CLIENT_CHECK 0x0a030001u /* 10.3.0.1: the checked run of a SYN case */
#define M_LB_ADDR 0x0a000001u /* 10.0.0.1: tun/gue outer source */
#define M_REAL_NET 0x0a000200u /* 10.0.2.x: the reals */
#define M_LOCAL_NET 0x0a000300u /* 10.0.3.x: fnat local addresses */
/* A check run starts the rotation here: port and address both move, so both sums are checked. */
#define M_CHECK_ITER 0x12345u

struct method {
	const char *name;
	uint8_t id; /* enum xlb_method */
};

static const struct method methods[] = {
	{ "dr", XLB_METHOD_DR },	 { "dscp", XLB_METHOD_DSCP }, { "tun", XLB_METHOD_TUN },
	{ "gue", XLB_METHOD_GUE }, { "nat", XLB_METHOD_NAT },	  { "fnat", XLB_METHOD_FNAT },
};

#define NMETHODS ARRAY_SIZE(methods)

/* The four cases of a method, in the order they run. */
enum m_case { C_EST_1, C_SYN_1, C_EST_MANY, C_SYN_MANY, C__COUNT };

static const char *const case_packet[C__COUNT] = { "EST", "SYN", "EST", "SYN" };
static const uint32_t case_flows[C__COUNT] = { 1, 1, M_MANY_FLOWS, M_MANY_FLOWS };

/* How the wrapper moves the source in each case, and so which wrapper cost is subtracted. */
static const enum pkt_cost_rotate case_rotate[C__COUNT] = {
	[C_EST_1] = PKT_COST_SAME,
	[C_SYN_1] = PKT_COST_PORT_ADDR,
	[C_EST_MANY] = PKT_COST_PORT,
	[C_SYN_MANY] = PKT_COST_PORT_ADDR,
};

struct mbench {
	struct dataplane *dp;
	struct pkt_cost_bpf *skel;
	int xlb_fd, floor_fd, lookup_fd, wrapper_fd, under_test_fd;
	int flows_fd, syn_flows_fd, nat_rev_fd;
	uint32_t ifindex;
	uint32_t repeat; /* timed passes */
	uint32_t syn_repeat; /* SYN passes: new flows per pass */
	struct xlb_real reals[M_REALS];
	struct xlb_fnat_locals locals;
	void *batch_keys, *batch_vals; /* map_clear's buffers */
};

static void m_frame(struct pkt *p, uint32_t saddr, uint16_t sport, uint8_t flags)
{
	pkt_init(p);
	pkt_eth(p, LB_MAC, CLIENT_MAC, ETH_P_IP);
	pkt_ipv4(p, htonl(saddr), vip4(), IPPROTO_TCP);
	pkt_tcp(p, sport, VPORT, flags);
	pkt_finish(p);
	if (p->len != PKT_COST_FRAME_LEN)
		die("frame length differs from PKT_COST_FRAME_LEN", EINVAL);
}

/* The frame the wrapper makes of @base at iteration @i (what rotate_source() computes). */
static void m_rotated(struct pkt *out, uint32_t saddr, uint16_t sport, uint8_t flags,
		      enum pkt_cost_rotate rot, uint32_t i)
{
	if (rot != PKT_COST_SAME) {
		sport = (uint16_t)(sport + i);
		if (rot == PKT_COST_PORT_ADDR)
			saddr += i >> 16;
	}
	m_frame(out, saddr, sport, flags);
}

/* Deletes every entry of a (non-per-CPU) hash map, 65,536 per system call. */
static void map_clear(struct mbench *b, int fd)
{
	uint32_t in_batch = 0, out_batch = 0, count;
	bool first = true;
	int err;

	do {
		count = M_MANY_FLOWS;
		err = bpf_map_lookup_and_delete_batch(fd, first ? NULL : &in_batch, &out_batch,
						      b->batch_keys, b->batch_vals, &count, NULL);
		if (err && errno != ENOENT)
			die("clearing a map", errno);
		in_batch = out_batch;
		first = false;
	} while (!err);
}

static void m_clear(struct mbench *b)
{
	map_clear(b, b->flows_fd);
	map_clear(b, b->syn_flows_fd);
	map_clear(b, b->nat_rev_fd);
}

static void set_under_test(struct mbench *b, int prog_fd)
{
	uint32_t zero = 0;

	check(bpf_map_update_elem(b->under_test_fd, &zero, &prog_fd, BPF_ANY), "prog array");
}

/*
 * One BPF_PROG_TEST_RUN of @fd on @frame: the kernel's ns per repetition.
 * Through the wrapper (@fd == wrapper_fd) the frame is also what it
 * restores, and the rotation starts at iteration @first_iter. With @out,
 * the frame as the last repetition left it.
 */
static uint32_t m_run(struct mbench *b, int fd, const struct pkt *frame, enum pkt_cost_rotate rot,
		      uint32_t first_iter, uint32_t repeat, uint32_t *verdict, struct pkt *out)
{
	uint8_t buf[PKT_MAX];
	struct xdp_md ctx = { .data_end = frame->len, .ingress_ifindex = b->ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame->buf, .data_size_in = frame->len,
		    .data_out = buf, .data_size_out = sizeof(buf), .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = repeat);
	if (fd == b->wrapper_fd) {
		memcpy(b->skel->bss->orig_frame, frame->buf, PKT_COST_FRAME_LEN);
		b->skel->bss->rotate = rot;
		b->skel->bss->iteration = first_iter;
	}
	if (bpf_prog_test_run_opts(fd, &opts))
		die("BPF_PROG_TEST_RUN", errno);
	*verdict = opts.retval;
	if (out) {
		pkt_init(out);
		memcpy(out->buf, buf, opts.data_size_out);
		out->len = opts.data_size_out;
	}
	return opts.duration;
}

/* ---- what xlbd would write for one service of each method ---- */

static void m_setup_reals(struct mbench *b)
{
	struct xlb_ring *ring = calloc(1, sizeof(*ring));

	if (!ring)
		die("ring", ENOMEM);
	for (int i = 0; i < M_REALS; i++) {
		struct xlb_real *r = &b->reals[i];
		uint32_t id = M_REAL_ID0 + i;
		struct xlb_conns zero = { 0 };

		*r = (struct xlb_real){
			.gen = 1000 + id,
			.flags = XLB_REAL_F_ACTIVE | XLB_REAL_F_NEW_FLOWS,
			.ifindex = b->ifindex,
			.svc_id = SVC_ID,
			.family = XLB_FAMILY_V4,
			.mtu = 1500,
			.weight = 1,
		};
		r->addr.addr[0] = htonl(M_REAL_NET + 100 + i);
		r->src_addr.addr[0] = htonl(M_LB_ADDR);
		real_mac(id, r->dst_mac);
		memcpy(r->src_mac, EGRESS_MAC, 6);
		check(dataplane_conns_swept_put(b->dp, id, &zero), "conns_swept_put");
		/* equal weights: rr's ring is the reals in config order */
		ring->real_ids[ring->len++] = id;
	}
	check(dataplane_ring_put(b->dp, SVC_ID * 2, ring), "ring_put");
	free(ring);
	b->locals.count = M_FNAT_LOCALS;
	for (int i = 0; i < M_FNAT_LOCALS; i++)
		b->locals.addrs[i].addr[0] = htonl(M_LOCAL_NET + 1 + i);
	check(dataplane_fnat_locals_put(b->dp, SVC_ID, &b->locals), "fnat_locals_put");
}

static bool method_nat(uint8_t m)
{
	return m == XLB_METHOD_NAT || m == XLB_METHOD_FNAT;
}

static void m_configure(struct mbench *b, uint8_t method)
{
	struct xlb_service_key key = { .port = htons(VPORT), .proto = IPPROTO_TCP,
				       .family = XLB_FAMILY_V4 };
	struct xlb_service svc = {
		.svc_id = SVC_ID,
		.flags = XLB_SVC_F_ACTIVE,
		.method = method,
		.sched_kind = XLB_SCHED_KIND_RING,
		.dscp = M_DSCP,
		.gue_port = htons(M_GUE_PORT),
	};
	struct xlb_globals g = { .nat_services = method_nat(method) };

	for (int i = 0; i < M_REALS; i++) {
		b->reals[i].port = htons(method_nat(method) ? M_NAT_PORT : VPORT);
		check(dataplane_real_put(b->dp, M_REAL_ID0 + i, &b->reals[i]), "real_put");
	}
	check(dataplane_globals_put(b->dp, &g), "globals_put");
	key.vip.addr[0] = vip4();
	check(dataplane_service_put(b->dp, &key, &svc), "service_put");
}

/* ---- checking one run's output ---- */

static uint16_t get_be16(const uint8_t *at)
{
	return (uint16_t)(at[0] << 8 | at[1]);
}

static bool ip_sum_ok(const uint8_t *ip)
{
	return pkt_csum_fold(pkt_csum_add(0, ip, 20)) == 0;
}

/* TCP or UDP checksum over the pseudo-header of the IPv4 header at @ip. */
static bool l4_sum_ok(const uint8_t *ip, size_t l4_len)
{
	uint32_t sum = ip[9] + (uint32_t)l4_len;

	sum = pkt_csum_add(sum, ip + 12, 8);
	return pkt_csum_fold(pkt_csum_add(sum, ip + 20, l4_len)) == 0;
}

/* Fails the bench with what differs. */
static void expect(bool ok, const char *method, const char *what, const char *detail)
{
	if (!ok) {
		fprintf(stderr, "pkt_cost: %s, %s: %s\n", method, what, detail);
		exit(1);
	}
}

/*
 * @in: the frame the wrapper handed to xlb_xdp, @out: what xlb_xdp made of
 * it. Checks every byte a method writes against the real the flow table
 * recorded for @in's flow, and that everything else is unchanged.
 */
static void m_check_output(struct mbench *b, const struct method *m, const char *what,
			   const struct pkt *in, const struct pkt *out)
{
	const uint8_t *in_ip = in->buf + 14, *out_ip;
	struct xlb_flow_key key = { .dport = htons(VPORT), .proto = IPPROTO_TCP,
				    .family = XLB_FAMILY_V4 };
	struct xlb_flow flow;
	const struct xlb_real *real;
	size_t tcp_len = in->len - 34;

	memcpy(&key.src.addr[0], in_ip + 12, 4);
	key.dst.addr[0] = vip4();
	memcpy(&key.sport, in->buf + 34, 2);
	if (dataplane_flow_get(b->dp, &key, &flow))
		expect(false, m->name, what, "no flow for the checked packet");
	expect(flow.real_id >= M_REAL_ID0 && flow.real_id < M_REAL_ID0 + M_REALS, m->name, what,
	       "flow of an unknown real");
	real = &b->reals[flow.real_id - M_REAL_ID0];
	expect(!memcmp(out->buf, real->dst_mac, 6), m->name, what, "destination MAC is not the real's");
	expect(!memcmp(out->buf + 6, EGRESS_MAC, 6), m->name, what,
	       "source MAC is not the egress interface's");
	expect(get_be16(out->buf + 12) == ETH_P_IP, m->name, what, "not IPv4");

	switch (m->id) {
	case XLB_METHOD_DR:
		expect(out->len == in->len && !memcmp(out->buf + 12, in->buf + 12, in->len - 12),
		       m->name, what, "IP packet changed");
		return;
	case XLB_METHOD_TUN:
	case XLB_METHOD_GUE: {
		size_t outer = m->id == XLB_METHOD_TUN ? 20 : 28;

		out_ip = out->buf + 14;
		expect(out->len == in->len + outer, m->name, what, "no outer header");
		expect(out_ip[0] == 0x45 && ip_sum_ok(out_ip) &&
			       get_be16(out_ip + 2) == in->len - 14 + outer,
		       m->name, what, "outer IPv4 header invalid");
		expect(!memcmp(out_ip + 12, &real->src_addr.addr[0], 4) &&
			       !memcmp(out_ip + 16, &real->addr.addr[0], 4),
		       m->name, what, "outer addresses are not LB -> real");
		expect(out_ip[9] == (m->id == XLB_METHOD_TUN ? IPPROTO_IPIP : IPPROTO_UDP), m->name,
		       what, "outer protocol");
		if (m->id == XLB_METHOD_GUE)
			expect(get_be16(out_ip + 22) == M_GUE_PORT &&
				       get_be16(out_ip + 24) == in->len - 14 + 8,
			       m->name, what, "outer UDP port or length");
		expect(!memcmp(out_ip + outer, in_ip, in->len - 14), m->name, what,
		       "inner packet changed");
		return;
	}
	default:
		break;
	}

	/* dscp, nat, fnat: rewritten in place, both checksums must still hold */
	out_ip = out->buf + 14;
	expect(out->len == in->len, m->name, what, "length changed");
	expect(ip_sum_ok(out_ip), m->name, what, "IPv4 header checksum invalid");
	expect(l4_sum_ok(out_ip, tcp_len), m->name, what, "TCP checksum invalid");
	expect(!memcmp(out_ip + 16, &real->addr.addr[0], 4), m->name, what,
	       "destination address is not the real's");
	if (m->id == XLB_METHOD_DSCP) {
		expect(out_ip[1] == (M_DSCP << 2 | (in_ip[1] & 3)), m->name, what, "DSCP not set");
		expect(!memcmp(out_ip + 12, in_ip + 12, 4) &&
			       !memcmp(out_ip + 20, in_ip + 20, 16),
		       m->name, what, "source or ports changed");
		return;
	}
	expect(get_be16(out_ip + 22) == M_NAT_PORT, m->name, what,
	       "destination port is not the real's");
	if (m->id == XLB_METHOD_NAT) {
		expect(!memcmp(out_ip + 12, in_ip + 12, 4) && !memcmp(out_ip + 20, in_ip + 20, 2),
		       m->name, what, "source changed");
		return;
	}
	/* fnat: the source is one of the service's local addresses and the flow's port */
	{
		bool local = false;

		for (int i = 0; i < M_FNAT_LOCALS; i++)
			local |= !memcmp(out_ip + 12, &b->locals.addrs[i].addr[0], 4);
		expect(local, m->name, what, "source is not a local address");
		expect(!memcmp(out_ip + 20, &flow.nat_port, 2) && !memcmp(&flow.nat_addr.addr[0],
									  out_ip + 12, 4),
		       m->name, what, "source is not the flow's local address and port");
	}
}

/*
 * One run of the case's pass through the wrapper with repeat = 1, at
 * iteration @iter of its rotation: the verdict must be XDP_TX and the
 * output what the method makes.
 */
static void m_check_case(struct mbench *b, const struct method *m, const char *what,
			 uint32_t saddr, uint16_t sport, uint8_t flags, enum pkt_cost_rotate rot,
			 uint32_t iter)
{
	struct pkt base, in, out;
	uint32_t verdict;

	m_frame(&base, saddr, sport, flags);
	m_rotated(&in, saddr, sport, flags, rot, iter);
	/* the wrapper's incremental checksums must be right, or xlb would forward garbage */
	expect(ip_sum_ok(in.buf + 14) && l4_sum_ok(in.buf + 14, in.len - 34), m->name, what,
	       "test frame checksums");
	m_run(b, b->wrapper_fd, &base, rot, iter, 1, &verdict, &out);
	expect(verdict == XDP_TX, m->name, what, "verdict is not XDP_TX");
	m_check_output(b, m, what, &in, &out);
}

/* ---- timed passes ---- */

/*
 * A timed pass through the wrapper, whose counters must show @repeat
 * packets forwarded and @new_flows new flows; fnat may run out of local
 * ports for a few flows of a big SYN pass (dropped, counted, reported).
 */
static uint32_t m_timed(struct mbench *b, const struct method *m, const char *what,
			const struct pkt *frame, enum pkt_cost_rotate rot, uint32_t repeat,
			bool new_flows, uint64_t *no_port)
{
	uint64_t before[XLB_CNT__COUNT], after[XLB_CNT__COUNT], fwd, created, dropped;
	uint32_t verdict, ns;

	check(dataplane_counters_read(b->dp, before), "counters");
	ns = m_run(b, b->wrapper_fd, frame, rot, 0, repeat, &verdict, NULL);
	check(dataplane_counters_read(b->dp, after), "counters");
	fwd = after[XLB_CNT_FWD_TX] - before[XLB_CNT_FWD_TX];
	created = after[XLB_CNT_NEW_FLOW] - before[XLB_CNT_NEW_FLOW];
	dropped = after[XLB_CNT_FNAT_NO_PORT] - before[XLB_CNT_FNAT_NO_PORT];
	if (after[XLB_CNT_RX] - before[XLB_CNT_RX] != repeat || fwd + dropped != repeat ||
	    created != (new_flows ? fwd : 0) || dropped > repeat / 1000) {
		fprintf(stderr,
			"pkt_cost: %s %s: rx +%" PRIu64 ", fwd_tx +%" PRIu64 ", new_flow +%" PRIu64
			", fnat_no_port +%" PRIu64 " for %u packets (%s)\n",
			m->name, what, after[XLB_CNT_RX] - before[XLB_CNT_RX], fwd, created,
			dropped, repeat, new_flows ? "all new flows" : "no new flow");
		exit(1);
	}
	if (no_port)
		*no_port += dropped;
	return ns;
}

/* Establishes the flows of @frame's rotation over @n iterations: a SYN, then an ACK each. */
static void m_establish(struct mbench *b, const struct method *m, uint32_t saddr, uint16_t sport,
			enum pkt_cost_rotate rot, uint32_t n)
{
	struct pkt syn, ack;

	m_frame(&syn, saddr, sport, PKT_TCP_SYN);
	m_frame(&ack, saddr, sport, PKT_TCP_ACK);
	m_timed(b, m, "creating flows (SYN)", &syn, rot, n, true, NULL);
	m_timed(b, m, "creating flows (ACK)", &ack, rot, n, false, NULL);
}

struct m_sample {
	uint32_t ns[NMETHODS][C__COUNT];
	uint32_t floor; /* macswap_floor alone */
	uint32_t wrapped_floor[PKT_COST_PORT_ADDR + 1]; /* wrapper -> floor, by rotation */
	uint32_t lookup[2]; /* wrapper -> lookup_floor: dr's 1 flow, its 65,536 */
};

/* The floor plus one lookup in "flows", on the flows dr just established. */
static uint32_t m_lookup_floor(struct mbench *b, const struct pkt *frame, enum pkt_cost_rotate rot)
{
	uint32_t verdict, ns;

	set_under_test(b, b->lookup_fd);
	ns = m_run(b, b->wrapper_fd, frame, rot, 0, b->repeat, &verdict, NULL);
	expect(verdict == XDP_TX, "lookup floor", "through the wrapper", "flow not found");
	set_under_test(b, b->xlb_fd);
	return ns;
}

static void m_measure_floor(struct mbench *b, struct m_sample *s)
{
	struct pkt frame;
	uint32_t verdict;

	m_frame(&frame, M_CLIENT_EST, M_HOT_PORT, PKT_TCP_ACK);
	s->floor = m_run(b, b->floor_fd, &frame, PKT_COST_SAME, 0, b->repeat, &verdict, NULL);
	expect(verdict == XDP_TX, "floor", "alone", "verdict is not XDP_TX");
	set_under_test(b, b->floor_fd);
	for (int rot = PKT_COST_SAME; rot <= PKT_COST_PORT_ADDR; rot++) {
		struct pkt out, want;

		/* one checked run: the floor got the restored, rotated frame */
		m_run(b, b->wrapper_fd, &frame, rot, M_CHECK_ITER, 1, &verdict, &out);
		m_rotated(&want, M_CLIENT_EST, M_HOT_PORT, PKT_TCP_ACK, rot, M_CHECK_ITER);
		memcpy(want.buf, CLIENT_MAC, 6); /* the floor swapped the MACs */
		memcpy(want.buf + 6, LB_MAC, 6);
		if (verdict != XDP_TX || out.len != want.len || memcmp(out.buf, want.buf, out.len)) {
			for (size_t k = 0; k < out.len && k < want.len; k++)
				if (out.buf[k] != want.buf[k])
					fprintf(stderr, "byte %zu: %02x, want %02x\n", k, out.buf[k],
						want.buf[k]);
			fprintf(stderr, "rotation %d, verdict %u, length %zu (want %zu)\n", rot,
				verdict, out.len, want.len);
			expect(false, "floor", "through the wrapper", "not the restored frame");
		}
		s->wrapped_floor[rot] =
		    m_run(b, b->wrapper_fd, &frame, rot, 0, b->repeat, &verdict, NULL);
		expect(verdict == XDP_TX, "floor", "through the wrapper", "verdict is not XDP_TX");
	}
	set_under_test(b, b->xlb_fd);
}

/* A method's four cases, each checked once and then timed. */
static void m_measure_method(struct mbench *b, size_t mi, struct m_sample *s, uint64_t *no_port)
{
	const struct method *m = &methods[mi];
	struct pkt frame;
	uint32_t verdict;

	m_configure(b, m->id);
	m_clear(b);

	/* 1 flow: one established flow, hit again and again */
	m_frame(&frame, M_CLIENT_EST, M_HOT_PORT, PKT_TCP_SYN);
	m_run(b, b->xlb_fd, &frame, PKT_COST_SAME, 0, 1, &verdict, NULL);
	m_frame(&frame, M_CLIENT_EST, M_HOT_PORT, PKT_TCP_ACK);
	m_run(b, b->xlb_fd, &frame, PKT_COST_SAME, 0, 1, &verdict, NULL);
	m_check_case(b, m, "EST, 1 flow", M_CLIENT_EST, M_HOT_PORT, PKT_TCP_ACK, PKT_COST_SAME, 0);
	s->ns[mi][C_EST_1] =
	    m_timed(b, m, "EST, 1 flow", &frame, PKT_COST_SAME, b->repeat, false, NULL);
	if (mi == 0)
		s->lookup[0] = m_lookup_floor(b, &frame, PKT_COST_SAME);

	/* SYN with 1 flow in the table: each iteration a new flow, the table grows from 1 */
	m_check_case(b, m, "SYN, 1 flow", M_CLIENT_CHECK, 0, PKT_TCP_SYN, PKT_COST_PORT_ADDR,
		     M_CHECK_ITER);
	m_clear(b);
	/* the one flow: its ACK alone, picked up mid-stream */
	m_run(b, b->xlb_fd, &frame, PKT_COST_SAME, 0, 1, &verdict, NULL);
	m_frame(&frame, M_CLIENT_SYN, 0, PKT_TCP_SYN);
	s->ns[mi][C_SYN_1] = m_timed(b, m, "SYN, 1 flow", &frame, PKT_COST_PORT_ADDR,
				     b->syn_repeat, true, no_port);

	/* 65,536 established flows: every source port of one client, visited in turn */
	m_clear(b);
	m_establish(b, m, M_CLIENT_EST, 0, PKT_COST_PORT, M_MANY_FLOWS);
	m_check_case(b, m, "EST, 65536 flows", M_CLIENT_EST, 0, PKT_TCP_ACK, PKT_COST_PORT,
		     M_CHECK_ITER);
	m_frame(&frame, M_CLIENT_EST, 0, PKT_TCP_ACK);
	s->ns[mi][C_EST_MANY] =
	    m_timed(b, m, "EST, 65536 flows", &frame, PKT_COST_PORT, b->repeat, false, NULL);
	if (mi == 0)
		s->lookup[1] = m_lookup_floor(b, &frame, PKT_COST_PORT);

	/* SYN with those 65,536 in the table: each iteration a new flow, the table grows */
	m_check_case(b, m, "SYN, 65536 flows", M_CLIENT_CHECK, 0, PKT_TCP_SYN,
		     PKT_COST_PORT_ADDR, M_CHECK_ITER);
	m_frame(&frame, M_CLIENT_SYN, 0, PKT_TCP_SYN);
	s->ns[mi][C_SYN_MANY] = m_timed(b, m, "SYN, 65536 flows", &frame, PKT_COST_PORT_ADDR,
					b->syn_repeat, true, no_port);
}

static void m_setup(struct mbench *b)
{
	int err;

	b->ifindex = if_nametoindex("lo");
	if (!b->ifindex)
		die("setup", EINVAL);
	b->batch_keys = calloc(M_MANY_FLOWS, sizeof(struct xlb_flow_key));
	b->batch_vals = calloc(M_MANY_FLOWS, sizeof(struct xlb_flow) > sizeof(struct xlb_nat_rev) ?
						 sizeof(struct xlb_flow) :
						 sizeof(struct xlb_nat_rev));
	if (!b->batch_keys || !b->batch_vals)
		die("setup", ENOMEM);
	/* every flow of a method's biggest table, with room: no LRU eviction while timed */
	err = bench_dataplane_open(M_MANY_FLOWS + b->syn_repeat + 65536, &b->dp);
	if (err)
		die("dataplane_open (root?)", err);
	b->xlb_fd = dataplane_prog_fd(b->dp, false);
	b->flows_fd = dataplane_map_fd(b->dp, "flows");
	b->syn_flows_fd = dataplane_map_fd(b->dp, "syn_flows");
	b->nat_rev_fd = dataplane_map_fd(b->dp, "nat_rev");
	if (b->flows_fd < 0 || b->syn_flows_fd < 0 || b->nat_rev_fd < 0)
		die("cannot find the flows and nat_rev maps", ENOENT);

	b->skel = pkt_cost_bpf__open();
	if (!b->skel)
		die("opening build/bench/pkt_cost.bpf.o's skeleton", errno);
	err = bpf_map__reuse_fd(b->skel->maps.flows, b->flows_fd);
	if (err)
		die("sharing xlb's flows map with lookup_floor", -err);
	err = pkt_cost_bpf__load(b->skel);
	if (err)
		die("loading build/bench/pkt_cost.bpf.o's skeleton", -err);
	b->floor_fd = bpf_program__fd(b->skel->progs.macswap_floor);
	b->lookup_fd = bpf_program__fd(b->skel->progs.lookup_floor);
	b->wrapper_fd = bpf_program__fd(b->skel->progs.restore_and_call);
	b->under_test_fd = bpf_map__fd(b->skel->maps.under_test);
	m_setup_reals(b);
	set_under_test(b, b->xlb_fd);
}

static double median_of(const uint32_t *v, int n, uint32_t *min, uint32_t *max)
{
	uint32_t sorted[M_MAX_RUNS];

	memcpy(sorted, v, (size_t)n * sizeof(*v));
	qsort(sorted, (size_t)n, sizeof(*sorted), cmp_u32);
	*min = sorted[0];
	*max = sorted[n - 1];
	return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
}

static void methods_usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [methods] [-r RUNS] [-n REPEAT] [-s SYN_REPEAT] [-t TSV]\n"
		"  -r  runs, medians reported (default 5, 5..%d)\n"
		"  -n  repetitions of every timed pass (default 1000000)\n"
		"  -s  repetitions of a SYN pass, each a new flow (default: as -n, at most 4000000)\n"
		"  -t  also write the results as TSV to this file\n",
		argv0, M_MAX_RUNS);
	exit(2);
}

static int methods_main(int argc, char **argv)
{
	static struct m_sample s[M_MAX_RUNS];
	struct mbench b = { .repeat = 1000000 };
	const char *tsv_path = NULL;
	uint64_t no_port = 0;
	int runs = 5, opt;
	uint32_t v[M_MAX_RUNS], lo, hi;
	double floor, wrapper[PKT_COST_PORT_ADDR + 1], lookup[2];
	FILE *tsv = NULL;

	while ((opt = getopt(argc, argv, "r:n:s:t:h")) != -1) {
		switch (opt) {
		case 'r':
			runs = atoi(optarg);
			break;
		case 'n':
			b.repeat = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 's':
			b.syn_repeat = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 't':
			tsv_path = optarg;
			break;
		default:
			methods_usage(argv[0]);
		}
	}
	if (!b.syn_repeat)
		b.syn_repeat = b.repeat;
	if (runs < 5 || runs > M_MAX_RUNS || b.repeat < 1000 || b.syn_repeat < 1000 ||
	    b.syn_repeat > 4000000 || optind != argc)
		methods_usage(argv[0]);
	if (tsv_path && !(tsv = fopen(tsv_path, "w")))
		die(tsv_path, errno);
	log_set_level(LOG_LVL_WARN);
	m_setup(&b);

	/* Run-major: drift on a shared machine falls on every method alike. */
	for (int r = 0; r < runs; r++) {
		m_measure_floor(&b, &s[r]);
		for (size_t mi = 0; mi < NMETHODS; mi++)
			m_measure_method(&b, mi, &s[r], &no_port);
	}
	m_clear(&b);

	for (int r = 0; r < runs; r++)
		v[r] = s[r].floor;
	floor = median_of(v, runs, &lo, &hi);
	printf("xlb_xdp per forwarding method, IPv4 TCP, rr over %d reals, BPF_PROG_TEST_RUN: "
	       "median of %d runs, %u repetitions per pass (SYN passes %u, each a new flow)\n\n",
	       M_REALS, runs, b.repeat, b.syn_repeat);
	printf("| program | ns/pkt | min..max |\n|---|---:|---:|\n");
	printf("| floor: MAC swap, XDP_TX | %.0f | %u..%u |\n", floor, lo, hi);
	if (tsv)
		fprintf(tsv, "method\tpacket\tflows\tns_median\tns_min\tns_max\tratio_to_floor\t"
			     "runs\trepeat\n"
			     "floor\t-\t-\t%.0f\t%u\t%u\t1.00\t%d\t%u\n",
			floor, lo, hi, runs, b.repeat);
	for (int rot = PKT_COST_SAME; rot <= PKT_COST_PORT_ADDR; rot++) {
		static const char *const names[] = { "wrapper (restore)", "wrapper (restore, port)",
						      "wrapper (restore, port, address)" };
		uint32_t cost[M_MAX_RUNS];

		/* the wrapper's own cost: wrapper -> floor minus floor, run by run */
		for (int r = 0; r < runs; r++)
			cost[r] = s[r].wrapped_floor[rot] > s[r].floor ?
					  s[r].wrapped_floor[rot] - s[r].floor :
					  0;
		wrapper[rot] = median_of(cost, runs, &lo, &hi);
		printf("| %s, subtracted | %.0f | %u..%u |\n", names[rot], wrapper[rot], lo, hi);
		if (tsv)
			fprintf(tsv, "%s\t-\t-\t%.0f\t%u\t%u\t%.2f\t%d\t%u\n", names[rot], wrapper[rot],
				lo, hi, wrapper[rot] / floor, runs, b.repeat);
	}

	for (int k = 0; k < 2; k++) {
		enum pkt_cost_rotate rot = k ? PKT_COST_PORT : PKT_COST_SAME;

		for (int r = 0; r < runs; r++)
			v[r] = s[r].lookup[k];
		lookup[k] = median_of(v, runs, &lo, &hi) - wrapper[rot];
		printf("| floor + one \"flows\" lookup, %u flow%s | %.0f | %.0f..%.0f |\n",
		       k ? M_MANY_FLOWS : 1, k ? "s" : "", lookup[k], lo - wrapper[rot],
		       hi - wrapper[rot]);
		if (tsv)
			fprintf(tsv, "lookup floor\tEST\t%u\t%.0f\t%.0f\t%.0f\t%.2f\t%d\t%u\n",
				k ? M_MANY_FLOWS : 1, lookup[k], lo - wrapper[rot],
				hi - wrapper[rot], lookup[k] / floor, runs, b.repeat);
	}

	printf("\n| method | packet | flows | ns/pkt | min..max | x floor | x lookup floor |\n");
	printf("|--------|--------|------:|-------:|---------:|--------:|---------------:|\n");
	for (size_t mi = 0; mi < NMETHODS; mi++) {
		for (int c = 0; c < C__COUNT; c++) {
			static const enum m_case order[C__COUNT] = { C_SYN_1, C_SYN_MANY, C_EST_1,
								     C_EST_MANY };
			enum m_case k = order[c];
			double w = wrapper[case_rotate[k]], ns;

			for (int r = 0; r < runs; r++)
				v[r] = s[r].ns[mi][k];
			ns = median_of(v, runs, &lo, &hi) - w;
			printf("| %-6s | %-6s | %5u | %6.0f | %4.0f..%-4.0f | %6.2fx | %6.2fx |\n",
			       methods[mi].name, case_packet[k], case_flows[k], ns, lo - w, hi - w,
			       ns / floor, ns / lookup[case_flows[k] > 1]);
			if (tsv)
				fprintf(tsv, "%s\t%s\t%u\t%.0f\t%.0f\t%.0f\t%.2f\t%d\t%u\n",
					methods[mi].name, case_packet[k], case_flows[k], ns, lo - w,
					hi - w, ns / floor, runs,
					case_packet[k][0] == 'S' ? b.syn_repeat : b.repeat);
		}
	}
	if (no_port)
		printf("\nfnat: %" PRIu64 " new flows found no free local port (dropped, counted)\n",
		       no_port);
	if (tsv)
		fclose(tsv);
	pkt_cost_bpf__destroy(b.skel);
	dataplane_close(b.dp);
	free(b.batch_keys);
	free(b.batch_vals);
	return 0;
}

/* ==== load: time to open, verify and load the program, and its size, per spec ==== */

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1e3 + (t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static int load_main(int argc, char **argv)
{
	static const struct {
		const char *name;
		uint32_t methods, scheds, features;
	} specs[] = {
		{ "dr + rr (minimal)", 1u << XLB_METHOD_DR, 1u << XLB_SCHED_KIND_RING, 0 },
		{ "dr + mh", 1u << XLB_METHOD_DR, 1u << XLB_SCHED_KIND_MH, 0 },
		{ "tun + wlc, sync", 1u << XLB_METHOD_TUN, 1u << XLB_SCHED_KIND_WLC, XLB_FEAT_SYNC },
		{ "nat + fnat + rr, v6", (1u << XLB_METHOD_NAT) | (1u << XLB_METHOD_FNAT),
		  1u << XLB_SCHED_KIND_RING, XLB_FEAT_V6 },
		{ "every method, rr + mh, all features", ~0u,
		  (1u << XLB_SCHED_KIND_RING) | (1u << XLB_SCHED_KIND_MH), ~0u },
		{ "every method and scheduler, IPv4 only", ~0u, ~0u, ~0u & ~XLB_FEAT_V6 },
		{ "everything (full)", ~0u, ~0u, ~0u },
	};
	uint32_t max_flows = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 1000000;
	int runs = argc > 2 ? atoi(argv[2]) : 3;

	log_set_level(LOG_LVL_WARN);
	printf("program load per spec (flows.max %u; each map created afresh, unpinned): "
	       "median of %d\n\n",
	       max_flows, runs);
	printf("| spec | load ms (min..max) | translated bytes | JITed bytes | verified insns |\n");
	printf("|---|---:|---:|---:|---:|\n");
	for (size_t i = 0; i < ARRAY_SIZE(specs); i++) {
		uint32_t ms[16];
		struct bpf_prog_info info = {};
		uint32_t len = sizeof(info);

		if (runs < 1 || runs > 16)
			runs = 3;
		for (int r = 0; r < runs; r++) {
			struct dp_sizes sizes = { .max_flows = max_flows };
			struct xlb_dp_spec spec = { .methods = specs[i].methods,
						    .scheds = specs[i].scheds,
						    .features = specs[i].features,
						    .touch_ns = 1000000000ull };
			struct dataplane *dp;
			struct timespec t0;
			int err;

			clock_gettime(CLOCK_MONOTONIC, &t0);
			err = dataplane_open_spec(NULL, &sizes, &spec, &dp);
			if (err)
				die("dataplane_open_spec", err);
			ms[r] = (uint32_t)ms_since(&t0);
			memset(&info, 0, sizeof(info));
			len = sizeof(info);
			check(bpf_obj_get_info_by_fd(dataplane_prog_fd(dp, false), &info, &len),
			      "prog info");
			dataplane_close(dp);
		}
		qsort(ms, (size_t)runs, sizeof(ms[0]), cmp_u32);
		printf("| %s | %u (%u..%u) | %u | %u | %u |\n", specs[i].name, ms[runs / 2], ms[0],
		       ms[runs - 1], info.xlated_prog_len, info.jited_prog_len, info.verified_insns);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "load"))
		return load_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "sched"))
		return sched_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "methods"))
		return methods_main(argc - 1, argv + 1);
	return methods_main(argc, argv);
}
