// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The data plane (bpf/xlb.bpf.c) on fuzzed frames through BPF_PROG_TEST_RUN,
 * both hooks (xlb_xdp, xlb_tc), over services of every method and family
 * (pkt_fixture.h; frames are read and made in pkt_frame.h). Needs root: it
 * loads the program once, in its own network namespace, when libFuzzer
 * starts; every input starts from empty flow tables (flows, syn_flows,
 * nat_rev, persist, lblc caches), cursors and counts, and the reals as
 * configured, so an input means the same whenever it runs.
 *
 * An input is up to FRAMES_MAX records: a control byte, a 16-bit length
 * and that many bytes. Control bit 0: tc (else XDP); bit 1: ingress fz0
 * (else lo); bits 2-3, what the frame is:
 *   0  the bytes themselves
 *   1  a reply from the real to the last frame forwarded to one (source
 *      and destination, addresses and ports swapped): a nat/fnat reply
 *   2  an ICMP error (frag needed / packet too big) from a router, sent to
 *      the VIP, quoting the DSR reply (VIP -> client) of the last frame
 *      forwarded: how path MTU discovery reaches a real
 *   3  the last frame sent again
 * and for 1-3 the bytes are XORed over the frame (and extend it), so
 * mutations reach inside frames that carry live flow state. Bits 4-5 change
 * the real the last frame went to before this one runs, as xlbd does on a
 * reload or a health change: bit 4, its id is given to a new real (the
 * generation moves); bit 5, it is removed (health down, on_failure:
 * remove: no XLB_REAL_F_ACTIVE). Its flows are then stale.
 *
 * What the BPF program does is invisible to libFuzzer's coverage; the
 * verdict, the counters that moved and the real a frame went to are fed
 * back as extra coverage features (__libfuzzer_extra_counters).
 *
 * Invariants, for every frame (documented in tests/fuzz/README.md):
 *  - never XDP_ABORTED, and only the verdicts the program means to return;
 *  - a frame not for a VIP and not from a real (a tracked nat reply's
 *    source), and every unicast frame to another MAC, comes back
 *    PASS/TC_ACT_OK byte for byte;
 *  - a frame passed is unchanged, except a nat reply the kernel routes
 *    (nat_reply moved: rewritten, then left to the stack);
 *  - a forwarded frame (XDP_TX, XDP_REDIRECT, TC_ACT_REDIRECT) goes to a
 *    configured real's MAC from the egress MAC, on the real's interface, a
 *    real of the service the frame (or the reply an ICMP error quotes) is for,
 *    dr frames otherwise unchanged, other methods at their size; the only
 *    other destinations are the client's own MAC for an ICMP too-big reply
 *    (icmp_too_big moved) and the FIB's next hop (GW_MAC) for a nat/fnat
 *    reply (nat_reply moved), which leaves rewritten to come from the VIP;
 *  - the global counters account for every frame: rx (or pass_other_host)
 *    moves by exactly one, and exactly one outcome counter moves, of the
 *    verdict's kind (pass_..., drop_... or encap_failed or fnat_no_port,
 *    fwd_tx or fwd_redirect or icmp_too_big), except a nat reply forwarded
 *    by the FIB, counted by nat_reply alone.
 * And, unless XLB_FUZZ_PKT_STRICT=0 (or a comma-separated subset of
 * icmp-dst, ip-len, too-big) says otherwise, these, for issue 13 items 1
 * and 2 (fixed in bpf/; the regress-issue13-* inputs failed before):
 *  - icmp-dst: ICMP errors are held to the "not for a VIP" rule by their
 *    outer destination;
 *  - ip-len: a forwarded IP packet's length fields fit the frame and cover
 *    its L4 header (inner and outer, when encapsulated);
 *  - too-big: no ICMP too-big answers an ICMP error, nor a packet whose
 *    bytes would fit the smallest MTU (whatever its header claims).
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>

#include "fuzz.h"
#include "pkt_fixture.h"
#include "pkt_frame.h"

#define FRAMES_MAX 8

static struct fx_world W;
/* XLB_FUZZ_PKT_STRICT: the checks of issue 13 items 1-2 (see the top of the file). */
enum { STRICT_ICMP_DST = 1, STRICT_IP_LEN = 2, STRICT_TOO_BIG = 4, STRICT_ALL = 7 };
static unsigned strict;
static struct ring_buffer *events;
static uint64_t cnt_prev[XLB_CNT__COUNT];
/* XLB_FUZZ_PKT_TRACE=COUNTER: print every frame that moves it (to find an example). */
static int trace_counter = -1;
/* Reals an input changed (control bits 4-5), written back before the next one. */
static uint32_t dirty[FRAMES_MAX];
static int ndirty;

enum kind { K_OTHER = 0, K_PASS, K_DROP, K_FWD, K_RX, K_OTHER_HOST, K_NAT_REPLY };
static enum kind cnt_kind[XLB_CNT__COUNT];

/* Extra coverage: [hook][mode][verdict], [hook][counter], [real], [size change]. */
#define FEAT_VERDICT 0
#define FEAT_COUNTER (FEAT_VERDICT + 2 * 4 * 8)
#define FEAT_REAL (FEAT_COUNTER + 2 * 64)
#define FEAT_GROWTH (FEAT_REAL + FX_REALS_MAX)
#define FEAT__COUNT (FEAT_GROWTH + 64)
__attribute__((section("__libfuzzer_extra_counters"), used)) uint8_t fuzz_pkt_features[FEAT__COUNT];

static void feature(size_t i)
{
	if (i < FEAT__COUNT)
		fuzz_pkt_features[i]++;
}

static bool is_vip(const struct l3info *i, const uint8_t *a)
{
	return i->family && memcmp(a, W.vip[i->family == 6].addr, alen(i->family)) == 0;
}

static bool is_real(const struct l3info *i, const uint8_t *a)
{
	for (uint32_t id = 1; id <= W.nreals; id++)
		if (W.real_family[id] == i->family &&
		    memcmp(a, W.real_addr[id].addr, alen(i->family)) == 0)
			return true;
	return false;
}

/*
 * A frame forwarded to @real belongs to its service: the VIP, port and
 * protocol of the frame or, for an ICMP error, of the reply it quotes.
 */
static bool flow_of_service(const struct l3info *i, const struct frame *f, uint32_t real)
{
	size_t a = alen(i->family), q;
	uint8_t proto;
	const uint8_t *vip, *ports;

	if (W.real_family[real] != i->family)
		return false;
	if (!is_icmp(i)) {
		vip = i->dst;
		proto = i->proto;
		ports = f->b + i->l4 + 2; /* destination port */
		if (i->l4 + 4 > f->len)
			return false;
	} else {
		q = i->l4 + 8; /* the quoted IP header */
		if (q + (i->family == 4 ? 20 : 40) > f->len)
			return false;
		vip = f->b + q + (i->family == 4 ? 12 : 8); /* its source */
		proto = f->b[q + (i->family == 4 ? 9 : 6)];
		q += i->family == 4 ? (f->b[q] & 15) * 4u : 40;
		ports = f->b + q; /* its source port */
		if (q + 4 > f->len)
			return false;
	}
	return memcmp(vip, W.vip[i->family == 6].addr, a) == 0 && proto == W.real_proto[real] &&
	       be16(ports) == W.real_svc_port[real];
}

/* ---- running ---- */

/* False when the kernel refuses the frame (nothing ran). */
static bool run(bool tc, int ifindex, const struct frame *in, struct frame *out, uint32_t *ret)
{
	struct xdp_md xctx = { .data_end = (uint32_t)in->len, .ingress_ifindex = (uint32_t)ifindex };
	struct __sk_buff sctx = { .ifindex = (uint32_t)ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in->b, .data_size_in = (uint32_t)in->len,
		    .data_out = out->b, .data_size_out = sizeof(out->b), .repeat = 1);

	if (tc) {
		o.ctx_in = &sctx;
		o.ctx_size_in = sizeof(sctx);
	} else {
		o.ctx_in = &xctx;
		o.ctx_size_in = sizeof(xctx);
	}
	if (bpf_prog_test_run_opts(tc ? W.tc_fd : W.xdp_fd, &o)) {
		/* The kernel's tc test run refuses an IP frame shorter than its IP header. */
		if (tc && errno == EINVAL)
			return false;
		FUZZ_CHECK(false, "%s test run of %zu bytes: %s", tc ? "tc" : "XDP", in->len,
			   strerror(errno));
	}
	out->len = o.data_size_out;
	*ret = o.retval;
	return true;
}

static void hexdump(const char *what, const struct frame *f)
{
	fprintf(stderr, "  %s (%zu bytes):", what, f->len);
	for (size_t i = 0; i < f->len && i < 256; i++)
		fprintf(stderr, "%s%02x", i % 16 ? " " : "\n    ", f->b[i]);
	fprintf(stderr, "\n");
}

#define PKT_CHECK(cond, ...)                                                                   \
	do {                                                                                   \
		if (!(cond)) {                                                                 \
			hexdump("in", in);                                                     \
			hexdump("out", out);                                                   \
			fprintf(stderr, "  hook %s, verdict %u, counters moved:", tc ? "tc" : "xdp", \
				ret);                                                          \
			for (int c_ = 0; c_ < XLB_CNT__COUNT; c_++)                            \
				if (delta[c_])                                                 \
					fprintf(stderr, " %s+%llu", dataplane_counter_name(c_), \
						(unsigned long long)delta[c_]);                \
			fputc('\n', stderr);                                                   \
			FUZZ_CHECK(cond, __VA_ARGS__);                                         \
		}                                                                              \
	} while (0)

/*
 * Every check on one run. Returns the real the frame went to (0: none, or
 * not a real: ICMP reply, nat reply).
 */
static uint32_t check_run(bool tc, int ifindex, const struct frame *in, const struct frame *out,
			  uint32_t ret, const uint64_t *delta)
{
	enum kind vk;
	struct l3info ii, oi;
	size_t outcomes = 0, bad_kind = 0;
	bool nat_reply = delta[XLB_CNT_NAT_REPLY] != 0, too_big = delta[XLB_CNT_ICMP_TOO_BIG] != 0;
	bool ours, other_mac;
	uint32_t real = 0;

	if (tc) {
		PKT_CHECK(ret == TC_ACT_OK || ret == TC_ACT_SHOT || ret == TC_ACT_REDIRECT,
			  "tc verdict %u", ret);
		vk = ret == TC_ACT_OK ? K_PASS : ret == TC_ACT_SHOT ? K_DROP : K_FWD;
	} else {
		PKT_CHECK(ret != XDP_ABORTED, "XDP_ABORTED");
		PKT_CHECK(ret == XDP_DROP || ret == XDP_PASS || ret == XDP_TX || ret == XDP_REDIRECT,
			  "XDP verdict %u", ret);
		vk = ret == XDP_PASS ? K_PASS : ret == XDP_DROP ? K_DROP : K_FWD;
	}

	/* Counters: rx or pass_other_host once; one outcome, of the verdict's kind. */
	PKT_CHECK(delta[XLB_CNT_RX] + delta[XLB_CNT_PASS_OTHER_HOST] == 1,
		  "rx moved by %llu, pass_other_host by %llu", (unsigned long long)delta[XLB_CNT_RX],
		  (unsigned long long)delta[XLB_CNT_PASS_OTHER_HOST]);
	PKT_CHECK(delta[XLB_CNT_NAT_REPLY] <= 1, "nat_reply moved by %llu",
		  (unsigned long long)delta[XLB_CNT_NAT_REPLY]);
	for (int c = 0; c < XLB_CNT__COUNT; c++) {
		enum kind k = cnt_kind[c] == K_OTHER_HOST ? K_PASS : cnt_kind[c];

		if (k != K_PASS && k != K_DROP && k != K_FWD)
			continue;
		outcomes += delta[c];
		bad_kind += k != vk ? delta[c] : 0;
	}
	PKT_CHECK(outcomes == 1 || (nat_reply && outcomes == 0 && vk != K_DROP),
		  "%zu outcome counters moved", outcomes);
	PKT_CHECK(!bad_kind, "an outcome counter of another kind than the verdict moved");

	l3_parse(in->b, in->len, &ii);
	other_mac = !(in->b[0] & 1) && memcmp(in->b, LB_MAC, 6) != 0;
	ours = !other_mac && ii.family &&
	       (is_vip(&ii, ii.dst) || is_real(&ii, ii.src) ||
		(is_icmp(&ii) && !(strict & STRICT_ICMP_DST)));
	if (!ours)
		PKT_CHECK(vk == K_PASS && out->len == in->len && !memcmp(in->b, out->b, in->len),
			  "a frame not for a VIP nor from a real was not passed untouched");
	if (other_mac)
		PKT_CHECK(delta[XLB_CNT_PASS_OTHER_HOST] == 1, "a frame to another MAC was looked at");
	if (vk == K_PASS && !nat_reply)
		PKT_CHECK(out->len == in->len && !memcmp(in->b, out->b, in->len),
			  "a passed frame was changed");
	if (nat_reply && vk != K_DROP) {
		/* Rewritten back: from the VIP, whether the FIB or the stack sends it on. */
		l3_parse(out->b, out->len, &oi);
		PKT_CHECK(oi.family == ii.family && is_vip(&oi, oi.src),
			  "a nat reply that does not come from the VIP");
	}
	if (vk != K_FWD)
		return 0;

	PKT_CHECK(out->len >= 14, "forwarded %zu bytes", out->len);
	if (too_big) {
		PKT_CHECK(!memcmp(out->b, in->b + 6, 6) && !memcmp(out->b + 6, in->b, 6),
			  "ICMP too-big not sent back to the sender's MAC");
		PKT_CHECK(!(strict & STRICT_TOO_BIG) || !is_icmp(&ii),
			  "an ICMP error answered with ICMP too-big");
		/* Whatever its header says, a packet in fewer bytes than the MTU fits. */
		PKT_CHECK(!(strict & STRICT_TOO_BIG) || in->len - ii.l3 + 20 > FX_MTU_MIN,
			  "ICMP too-big for %zu bytes of IP packet", in->len - ii.l3);
		return 0;
	}
	if (nat_reply) {
		PKT_CHECK(!memcmp(out->b, GW_MAC, 6), "a nat reply not sent to the FIB's next hop");
		return 0;
	}
	real = fx_mac_real(out->b);
	PKT_CHECK(real && real <= W.nreals, "forwarded to a MAC that is no real's");
	PKT_CHECK(flow_of_service(&ii, in, real), "forwarded to real %u, of another service",
		  real);
	PKT_CHECK(!memcmp(out->b + 6, EGRESS_MAC, 6), "forwarded from another MAC than the egress");
	if (!tc)
		PKT_CHECK((ret == XDP_TX) == (W.real_ifindex[real] == ifindex),
			  "real %u on ifindex %d, verdict %u from ifindex %d", real,
			  W.real_ifindex[real], ret, ifindex);
	switch (W.real_method[real]) {
	case XLB_METHOD_DR:
		PKT_CHECK(out->len == in->len && !memcmp(out->b + 12, in->b + 12, in->len - 12),
			  "dr changed more than the MACs");
		break;
	case XLB_METHOD_TUN:
	case XLB_METHOD_GUE: {
		size_t encap = (ii.family == 6 ? 40 : 20) +
			       (W.real_method[real] == XLB_METHOD_GUE ? 8 : 0);

		PKT_CHECK(out->len == in->len + encap, "encapsulated %zu bytes into %zu", in->len,
			  out->len);
		break;
	}
	default:
		PKT_CHECK(out->len == in->len, "rewritten %zu bytes into %zu", in->len, out->len);
	}
	if (strict & STRICT_IP_LEN) {
		bool encap = W.real_method[real] == XLB_METHOD_TUN ||
			     W.real_method[real] == XLB_METHOD_GUE;

		l3_parse(out->b, out->len, &oi);
		PKT_CHECK(oi.family, "forwarded a frame that is no IP");
		/* The outer header claims the inner packet: that must be in the frame. */
		PKT_CHECK(!encap || oi.l3 + (oi.family == 4 ? be16(out->b + oi.l3 + 2) :
							       40u + be16(out->b + oi.l3 + 4)) <=
					    out->len,
			  "the outer header claims more than the frame holds");
		PKT_CHECK(ip_len_ok(out->b, out->len,
				    oi.l3 + (encap ? (oi.family == 4 ? 20 : 40) +
							     (W.real_method[real] == XLB_METHOD_GUE ? 8 : 0) :
						     0)),
			  "a forwarded IP packet's length is past the frame or short of its L4 header");
	}
	return real;
}

/* ---- between inputs ---- */

static void clear_hash(int fd)
{
	static uint8_t keys[64][64]; /* every flow-table key is at most 64 bytes */

	for (;;) {
		int n = 0;

		if (bpf_map_get_next_key(fd, NULL, keys[0]))
			return;
		for (n = 1; n < 64 && !bpf_map_get_next_key(fd, keys[n - 1], keys[n]); n++)
			;
		for (int i = 0; i < n; i++)
			bpf_map_delete_elem(fd, keys[i]);
	}
}

static int skip_event(void *ctx, void *data, size_t len)
{
	(void)ctx;
	(void)data;
	(void)len;
	return 0;
}

static void zero_array(int fd, uint32_t first, uint32_t n, size_t vsize)
{
	static uint32_t keys[FX_REALS_MAX * 2];
	static uint8_t zeros[FX_REALS_MAX * 2 * 16];
	uint32_t count = n;

	for (uint32_t i = 0; i < n; i++)
		keys[i] = first + i;
	(void)vsize;
	if (bpf_map_update_batch(fd, keys, zeros, &count, NULL) && count != n) {
		fprintf(stderr, "fuzz_pkt: resetting an array: %s\n", strerror(errno));
		abort();
	}
}

/* Every input starts with no flows, cursors at 0 and no connections counted. */
static void reset_state(void)
{
	for (; ndirty > 0; ndirty--) {
		uint32_t id = dirty[ndirty - 1];

		FUZZ_CHECK(dataplane_real_put(W.dp, id, &W.real_orig[id]) == 0, "restoring real %u", id);
	}
	for (int i = 0; i < W.nflow_maps; i++)
		clear_hash(W.flow_maps[i]);
	zero_array(W.cursor_fd, 0, W.nsvc, sizeof(uint64_t));
	zero_array(W.conns_fd, 1, W.nreals, sizeof(struct xlb_conns));
	ring_buffer__consume(events);
}

static void counters_delta(uint64_t *delta)
{
	uint64_t now[XLB_CNT__COUNT];

	FUZZ_CHECK(dataplane_counters_read(W.dp, now) == 0, "dataplane_counters_read");
	for (int c = 0; c < XLB_CNT__COUNT; c++) {
		delta[c] = now[c] - cnt_prev[c];
		cnt_prev[c] = now[c];
	}
}

/* Outcome counters by name, so drop and pass counters added later are known too. */
static void classify_counters(void)
{
	for (int c = 0; c < XLB_CNT__COUNT; c++) {
		const char *n = dataplane_counter_name(c);

		if (c == XLB_CNT_RX)
			cnt_kind[c] = K_RX;
		else if (c == XLB_CNT_PASS_OTHER_HOST)
			cnt_kind[c] = K_OTHER_HOST;
		else if (c == XLB_CNT_NAT_REPLY)
			cnt_kind[c] = K_NAT_REPLY;
		else if (!strncmp(n, "pass_", 5) || !strcmp(n, "nat_reply_to_stack"))
			cnt_kind[c] = K_PASS;
		else if (!strncmp(n, "drop_", 5) || !strcmp(n, "encap_failed") ||
			 !strcmp(n, "fnat_no_port"))
			cnt_kind[c] = K_DROP;
		else if (!strcmp(n, "fwd_tx") || !strcmp(n, "fwd_redirect") ||
			 !strcmp(n, "icmp_too_big"))
			cnt_kind[c] = K_FWD;
	}
}

static unsigned strict_from_env(const char *v)
{
	static const struct {
		const char *name;
		unsigned bit;
	} names[] = { { "all", STRICT_ALL },
		      { "icmp-dst", STRICT_ICMP_DST },
		      { "ip-len", STRICT_IP_LEN },
		      { "too-big", STRICT_TOO_BIG } };
	char buf[128], *save = NULL;
	unsigned bits = 0;

	/* on unless asked off: issue 13 items 1 and 2 are fixed in bpf/ */
	if (!v || !*v || !strcmp(v, "1"))
		return STRICT_ALL;
	if (!strcmp(v, "0"))
		return 0;
	snprintf(buf, sizeof(buf), "%s", v);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		size_t i;

		for (i = 0; i < sizeof(names) / sizeof(names[0]) && strcmp(t, names[i].name); i++)
			;
		if (i == sizeof(names) / sizeof(names[0])) {
			fprintf(stderr, "fuzz_pkt: XLB_FUZZ_PKT_STRICT: unknown check '%s' "
					"(expected all, icmp-dst, ip-len, too-big)\n", t);
			exit(2);
		}
		bits |= names[i].bit;
	}
	return bits;
}

/*
 * libFuzzer's cov: counts the harness's edges only; what the program did is
 * in its counters. Printed at exit, so a run shows which outcomes it reached.
 */
static void print_counters(void)
{
	uint64_t total[XLB_CNT__COUNT];

	if (dataplane_counters_read(W.dp, total))
		return;
	fprintf(stderr, "fuzz_pkt: data-plane counters over this run:");
	for (int c = 0; c < XLB_CNT__COUNT; c++)
		fprintf(stderr, " %s=%llu", dataplane_counter_name(c), (unsigned long long)total[c]);
	fputc('\n', stderr);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	uint64_t delta[XLB_CNT__COUNT];

	(void)argc;
	(void)argv;
	strict = strict_from_env(getenv("XLB_FUZZ_PKT_STRICT"));
	for (int c = 0; getenv("XLB_FUZZ_PKT_TRACE") && c < XLB_CNT__COUNT; c++)
		if (!strcmp(dataplane_counter_name(c), getenv("XLB_FUZZ_PKT_TRACE")))
			trace_counter = c;
	fx_setup(&W);
	events = ring_buffer__new(dataplane_flow_events_fd(W.dp), skip_event, NULL, NULL);
	if (!events)
		fx_die("ring_buffer__new", errno);
	classify_counters();
	counters_delta(delta);
	atexit(print_counters);
	fprintf(stderr, "fuzz_pkt: %u services, %u reals, lo %d, fz0 %d%s\n", W.nsvc, W.nreals,
		W.ifindex[FX_LO], W.ifindex[FX_FZ0],
		strict ? ", strict checks for issue 13 items 1, 2 on" : "");
	return 0;
}

/* ---- what an input did so far: frames made from earlier ones (modes 1-3) ---- */

struct history {
	struct frame last_in, fwd_in, fwd_out;
	uint32_t fwd_real;
	bool have_last, have_fwd;
};

static void change_real(uint32_t id, uint8_t ctl)
{
	struct xlb_real r;

	if (!id || ndirty == FRAMES_MAX || dataplane_real_get(W.dp, id, &r))
		return;
	if (ctl & 0x10)
		r.gen += 0x10000;
	if (ctl & 0x20)
		r.flags &= ~(uint32_t)XLB_REAL_F_ACTIVE;
	FUZZ_CHECK(dataplane_real_put(W.dp, id, &r) == 0, "dataplane_real_put %u", id);
	dirty[ndirty++] = id;
}

static void features(bool tc, unsigned mode, uint32_t ret, const uint64_t *delta, uint32_t real,
		     const struct frame *in, const struct frame *out)
{
	feature(FEAT_VERDICT + (tc * 4 + mode) * 8 + (ret & 7));
	for (int c = 0; c < XLB_CNT__COUNT && c < 64; c++)
		if (delta[c])
			feature(FEAT_COUNTER + tc * 64 + (size_t)c);
	if (real)
		feature(FEAT_REAL + real);
	feature(FEAT_GROWTH + (((size_t)(out->len - in->len + 128)) / 4) % 64);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct history h;
	static struct frame in, out;
	struct fuzz_in fi = { data, size };
	uint64_t delta[XLB_CNT__COUNT];

	h.have_last = h.have_fwd = false;
	reset_state();
	for (int n = 0; n < FRAMES_MAX && fi.left; n++) {
		uint8_t ctl = fuzz_u8(&fi);
		const uint8_t *p;
		size_t len = fuzz_take(&fi, fuzz_be16(&fi) % (FRAME_MAX + 1), &p);
		bool tc = ctl & 1;
		int ifindex = W.ifindex[(ctl >> 1) & 1];
		unsigned mode = (ctl >> 2) & 3;
		uint32_t ret, real;
		bool made;

		if (ctl & 0x30)
			change_real(h.have_fwd ? h.fwd_real : 0, ctl);
		in.len = 0;
		made = mode == 0 ? true :
		       mode == 1 ? h.have_fwd && synth_reply(&h.fwd_out, &in) :
		       mode == 2 ? h.have_fwd && synth_icmp(&h.fwd_in, &in) :
				   (h.have_last && (in = h.last_in, true));
		if (!made)
			continue;
		overlay(&in, p, len);
		/* The kernel refuses less than an Ethernet header; nothing to learn there. */
		if (in.len < 14)
			continue;
		if (!run(tc, ifindex, &in, &out, &ret)) {
			counters_delta(delta);
			FUZZ_CHECK(!delta[XLB_CNT_RX] && !delta[XLB_CNT_PASS_OTHER_HOST],
				   "a test run the kernel refused moved the counters");
			continue;
		}
		counters_delta(delta);
		real = check_run(tc, ifindex, &in, &out, ret, delta);
		if (trace_counter >= 0 && delta[trace_counter]) {
			fprintf(stderr, "fuzz_pkt: %s moved: %s, verdict %u\n",
				dataplane_counter_name(trace_counter), tc ? "tc" : "xdp", ret);
			hexdump("in", &in);
			hexdump("out", &out);
		}
		features(tc, mode, ret, delta, real, &in, &out);
		h.last_in = in;
		h.have_last = true;
		if (real) {
			h.fwd_in = in;
			h.fwd_out = out;
			h.fwd_real = real;
			h.have_fwd = true;
		}
	}
	return 0;
}
