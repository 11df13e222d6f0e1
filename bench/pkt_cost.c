// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Benchmark (not a test): what the XDP program costs per packet for a new
 * flow's SYN, by scheduler and number of reals, against a packet of an
 * established flow. Issue 4, item 6: a new-flow decision for lc/wlc/sed/nq
 * over 64 reals must stay within a per-packet budget.
 *
 * Method (see docs/BENCHMARKS.md): BPF_PROG_TEST_RUN with repeat = N, whose
 * ns/packet the kernel measures around the program alone. The kernel runs
 * the program N times on one buffer, so a SYN would be a new flow only the
 * first time. A wrapper XDP program (20 instructions, loaded here) adds
 * 1 to a 16-bit field of the frame and tail-calls xlb_xdp: on the TCP source
 * port, every iteration is a new 5-tuple; on the low half of the TCP
 * sequence number, the frame stays the same flow. Per run and configuration:
 *
 *   syn     wrapper, source port bumped, SYN: N new flows      (timed)
 *   warm    wrapper, source port bumped, ACK: those N flows -> established
 *   est     wrapper, source port bumped, ACK: N established flows (timed)
 *   hot     xlb_xdp alone, ACK of one established flow          (timed)
 *   hotw    wrapper, sequence bumped, the same ACK              (timed)
 *   pass    xlb_xdp alone, a packet to no VIP (XDP_PASS)        (timed)
 *
 * hotw - hot is the wrapper's own cost (its store and the tail call); its
 * median over every run and configuration is subtracted from syn and est.
 * Each timed pass checks the global counters: N new flows for syn, none
 * for the others, every packet forwarded (XDP_TX) or passed.
 *
 * Needs root (BPF). Prints a markdown table to stdout.
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tests/bpf/pktbuild.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "dataplane.h"
#include "log.h"
#include "sched/sched.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define SVC_ID 7
#define VPORT 80
#define REAL_ID0 100 /* reals are REAL_ID0 .. REAL_ID0 + n - 1, in config order */
#define MAX_REALS 64
#define PORT_BASE 1024 /* first client source port; the wrapper starts at + 1 */
#define HOT_PORT 1000 /* the one established flow of "hot", outside the bumped range */
#define MAX_RUNS 101

static const uint8_t CLIENT_MAC[6] = { 0x02, 0x00, 0x00, 0x00, 0xc1, 0x01 };
static const uint8_t LB_MAC[6] = { 0x02, 0x00, 0x00, 0x00, 0x1b, 0x01 };
static const uint8_t EGRESS_MAC[6] = { 0x02, 0x00, 0x00, 0x00, 0xee, 0x01 };

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

static void real_mac(uint32_t id, uint8_t mac[6])
{
	mac[0] = 0x02;
	mac[1] = 0x52;
	mac[2] = id >> 24;
	mac[3] = id >> 16;
	mac[4] = id >> 8;
	mac[5] = id;
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
	if (bpf_map_delete_batch(b->flows_fd, b->keys, &count, NULL))
		for (uint32_t i = 0; i < b->nflows; i++)
			bpf_map_delete_elem(b->flows_fd, &b->keys[i]);
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
	if (bpf_map_lookup_elem(b->flows_fd, &b->keys[0], &flow) || flow.state != XLB_FS_SYN ||
	    bpf_map_lookup_elem(b->flows_fd, &b->keys[b->nflows - 1], &flow) ||
	    flow.state != XLB_FS_SYN)
		die("syn left no SYN-state flow", ENOENT);
	counted_run(b, b->bump_port_fd, &b->ack, b->nflows, 0, b->nflows, "warm");
	s->est = counted_run(b, b->bump_port_fd, &b->ack, b->nflows, 0, b->nflows, "est");
	if (bpf_map_lookup_elem(b->flows_fd, &b->keys[b->nflows - 1], &flow) ||
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
	err = dataplane_open(NULL, b->nflows * 2 + 1024, &b->dp);
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
};

#define NCONF ARRAY_SIZE(configs)

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [-r RUNS] [-n FLOWS] [-e REPEAT]\n"
		"  -r  runs per configuration, median reported (default 7, 5..%d)\n"
		"  -n  new flows per timed SYN pass (default 20000, at most 60000)\n"
		"  -e  repetitions of the one-flow passes (default 50000)\n",
		argv0, MAX_RUNS);
	exit(2);
}

int main(int argc, char **argv)
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
