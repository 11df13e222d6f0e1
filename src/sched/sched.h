/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The scheduler seam: one file per algorithm, each filling one sched_ops. */
#ifndef XLB_SCHED_H
#define XLB_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xlb/xlb_types.h"

/* Every IPVS scheduler (include/xlb/xlb_sched.h). Config structs store these ids. */
#define SCHED_ID_ENUM_(id, file) SCHED_##id,
enum sched_id { XLB_SCHEDULERS(SCHED_ID_ENUM_) SCHED__COUNT };

/*
 * A real as a scheduler sees it. The first three members keep their order
 * (older tables list them positionally); new code uses SCHED_REAL() or
 * designated initialisers.
 *
 * How IPVS's per-dest state maps here: a real that is not @usable is one IPVS
 * would not give a new connection whatever its weight (health check failed,
 * MAC unknown, or IPVS's IP_VS_DEST_F_OVERLOAD); it keeps its place in the
 * list and in hash tables, so tables do not reshuffle when it comes back.
 * Reals the service no longer has are simply not passed.
 */
struct sched_real {
	uint32_t real_id;
	uint32_t weight; /* 0 = drain: keeps its flows, gets no new ones */
	bool usable; /* MAC known, healthy, not overloaded */
	uint16_t slow_start; /* lc/wlc/sed/nq ramp: 0 = none, else SCHED_SS_ONE-ths done */
	uint32_t active; /* active connections (TCP established) */
	uint32_t inactive; /* other connections (TCP SYN, FIN/close states, UDP) */
	/*
	 * mh: the real's latest non-zero weight (IPVS last_weight), which
	 * sizes its share of the table so that draining it (weight 0) does not
	 * reshuffle everyone else; 0 = use @weight.
	 */
	uint32_t last_weight;
	/* mh: the real's identity for its permutation (same on every node) */
	struct xlb_addr addr; /* network order; IPv4 in addr[0], rest zero */
	uint16_t port; /* network order */
};

/*
 * A real with only the basics set (counts 0, no ramp, no address), for
 * tables of reals: positional { id, weight, usable } initialisers would
 * trip -Wmissing-field-initializers now that the struct has more members.
 */
#define SCHED_REAL(id, w, ok) { .real_id = (id), .weight = (w), .usable = (ok) }

/* A table bucket that holds no real. */
#define SCHED_NO_REAL UINT32_MAX

/* The new flow, as the hashing and locality schedulers see it. */
struct sched_flow {
	struct xlb_addr saddr; /* network order; IPv4 in addr[0], rest zero */
	struct xlb_addr daddr;
	uint16_t sport; /* network order */
	uint16_t dport;
};

/* Options of sh and mh, as IPVS's sched-flags sh-port/sh-fallback, mh-port/mh-fallback. */
#define SCHED_F_PORT (1u << 0) /* hash the source port too */
#define SCHED_F_FALLBACK (1u << 1) /* chosen real unavailable: look further */

/* A seedable PRNG (splitmix64) so twos is reproducible in tests. */
struct sched_rand {
	uint64_t state;
};

void sched_rand_seed(struct sched_rand *r, uint64_t seed);
uint32_t sched_rand_u32(struct sched_rand *r);
/* @r reduced to [0, @ceil) by multiply-shift: ((u128)r * ceil) >> 32. */
uint64_t sched_rand_below(uint32_t r, uint64_t ceil);

/*
 * The per-destination-address cache of lblc and lblcr: an open-addressing
 * table (linear probing, 2^bits slots, IPVS's lblc hash as home slot).
 */
#define SCHED_LOC_SET_MAX 32 /* lblcr: reals per destination, newest first */
#define SCHED_LOC_EXPIRE_MS (24ull * 60 * 60 * 1000) /* IPVS lblc(r)_expiration */
#define SCHED_LOC_GC_IDLE_MS (6ull * 60 * 1000) /* IPVS ENTRY_TIMEOUT */

struct sched_loc_entry {
	struct xlb_addr addr;
	uint64_t lastuse; /* ms */
	uint64_t lastmod; /* lblcr: when the set last changed */
	uint32_t set[SCHED_LOC_SET_MAX]; /* real ids; lblc uses set[0] */
	uint8_t set_len;
	bool used;
};

struct sched_loc_cache {
	struct sched_loc_entry *slot;
	unsigned int bits;
	size_t count;
	uint64_t expire_ms; /* an entry idle this long is gone */
};

int sched_loc_init(struct sched_loc_cache *c, unsigned int bits, uint64_t expire_ms);
void sched_loc_free(struct sched_loc_cache *c);
/* The live entry for @addr, or NULL; an expired one is removed on the way. */
struct sched_loc_entry *sched_loc_get(struct sched_loc_cache *c, const struct xlb_addr *addr,
				      uint64_t now_ms);
/* A new entry for @addr (not present), evicting when full; never fails once init'd. */
struct sched_loc_entry *sched_loc_add(struct sched_loc_cache *c, const struct xlb_addr *addr,
				      uint64_t now_ms);
/* The periodic sweep: drops every entry idle for expire_ms. Returns how many. */
size_t sched_loc_expire(struct sched_loc_cache *c, uint64_t now_ms);

/* What a pick may need besides the reals; each scheduler reads its own fields. */
struct sched_ctx {
	const struct sched_flow *flow; /* sh, dh, mh, lblc, lblcr */
	uint32_t flags; /* SCHED_F_*: sh, mh */
	const uint32_t *table; /* rr, wrr: the ring; sh, dh, mh: the lookup table */
	size_t table_len; /* ring length, or the table size it was built for */
	uint64_t *cursor; /* rr, wrr: advanced by one per pick */
	struct sched_rand *rand; /* twos */
	struct sched_loc_cache *cache; /* lblc, lblcr */
	uint64_t now_ms; /* lblc, lblcr */
};

/* What a scheduler needs from its caller, and so what the data plane needs. */
enum sched_class {
	SCHED_CLASS_RING, /* build_ring; the data plane walks it with a cursor */
	SCHED_CLASS_TABLE, /* build_table; the data plane hashes the flow into it */
	SCHED_CLASS_CONN, /* weights and connection counts only */
	SCHED_CLASS_LOCALITY, /* counts plus a per-destination cache */
};

struct sched_ops {
	const char *name;
	enum xlb_sched_kind kind; /* how the data plane picks */
	enum sched_class cls;
	size_t table_size; /* SCHED_CLASS_TABLE: the size build_table wants by default */
	/*
	 * Ring schedulers: write the order in which new flows visit reals
	 * into @ring (at most @ring_max ids). Returns the length; 0 means no
	 * real can take a new flow.
	 */
	size_t (*build_ring)(const struct sched_real *reals, size_t n, uint32_t *ring,
			     size_t ring_max);
	/*
	 * Table schedulers: fill @table (@size buckets) with real ids or
	 * SCHED_NO_REAL. Returns 0, or -EINVAL for a size it cannot use.
	 */
	int (*build_table)(const struct sched_real *reals, size_t n, uint32_t *table, size_t size);
	/*
	 * Every scheduler: the index in @reals of the real the next new flow
	 * goes to, -ENOENT if none can take it, -EINVAL if @ctx lacks what the
	 * scheduler needs. Locality schedulers update ctx->cache, rr/wrr
	 * ctx->cursor, twos ctx->rand.
	 */
	int (*pick)(const struct sched_real *reals, size_t n, struct sched_ctx *ctx);
};

/*
 * What the data plane reads for a service in its ring slot: the ring itself
 * (rr, wrr), the resolved 256-bucket table (sh, dh), or the candidates in
 * config order (count-based). Returns the length; 0: no real for new flows.
 */
size_t sched_dataplane_ring(const struct sched_ops *ops, const struct sched_real *reals, size_t n,
			    uint32_t flags, uint32_t *ring, size_t ring_max);

/* Every scheduler's ops (NULL past the last). */
const struct sched_ops *sched_get(enum sched_id id);
/* Returns the id for @name, or -1. */
int sched_lookup(const char *name);

#define SCHED_OPS_EXTERN_(id, file) extern const struct sched_ops sched_##file##_ops;
XLB_SCHEDULERS(SCHED_OPS_EXTERN_)

/*
 * The same algorithms as plain functions, for tests, the proxy engine and
 * comparing with the data plane. Each returns an index into @reals or -ENOENT.
 */
int sched_lc_pick(const struct sched_real *reals, size_t n);
int sched_wlc_pick(const struct sched_real *reals, size_t n);
int sched_sed_pick(const struct sched_real *reals, size_t n);
int sched_nq_pick(const struct sched_real *reals, size_t n);
int sched_fo_pick(const struct sched_real *reals, size_t n);
int sched_ovf_pick(const struct sched_real *reals, size_t n);
/* twos with its two random draws given (raw u32s, reduced as sched_rand_below). */
int sched_twos_pick(const struct sched_real *reals, size_t n, uint32_t r1, uint32_t r2);
int sched_lblc_pick(const struct sched_real *reals, size_t n, struct sched_loc_cache *c,
		    const struct xlb_addr *daddr, uint64_t now_ms);
int sched_lblcr_pick(const struct sched_real *reals, size_t n, struct sched_loc_cache *c,
		     const struct xlb_addr *daddr, uint64_t now_ms);

/* sh and dh: 2^bits buckets (IPVS: 256); mh: a prime number of them (65537). */
#define SCHED_SH_TAB_SIZE 256
#define SCHED_DH_TAB_SIZE 256
#define SCHED_MH_TAB_SIZE 65537
/* mh: per-round turns of the heaviest real are capped below 2^SCHED_MH_TAB_BITS */
#define SCHED_MH_TAB_BITS 8
/* mh permutation and lookup hash seeds (IPVS mh's hsiphash keys, as jhash initvals) */
#define SCHED_MH_SEED1 2654435761u
#define SCHED_MH_SEED2 2654446892u

int sched_sh_build(const struct sched_real *reals, size_t n, uint32_t *table, size_t size);
int sched_dh_build(const struct sched_real *reals, size_t n, uint32_t *table, size_t size);
int sched_mh_build(const struct sched_real *reals, size_t n, uint32_t *table, size_t size);
/*
 * mh's population step alone: reals claim buckets in rounds, each its
 * turns[i] next preferred free buckets (offset[i] + k * skip[i] mod size).
 * sched_mh_build() is this with offset, skip and turns from the reals.
 */
int sched_mh_populate(const struct sched_real *reals, size_t n, const uint32_t *offset,
		      const uint32_t *skip, const uint32_t *turns, uint32_t *table, size_t size);
/* The bucket a flow hashes to (the data plane must compute the same). */
uint32_t sched_sh_hash(const struct sched_flow *f, uint32_t flags, uint32_t offset, size_t size);
uint32_t sched_dh_hash(const struct sched_flow *f, size_t size);
/* mh's raw hash; the bucket is this % size (the permutation's skip: % (size - 1) + 1). */
uint32_t sched_mh_hash(const struct xlb_addr *addr, uint16_t port, uint32_t offset, uint32_t seed);
int sched_sh_pick(const struct sched_real *reals, size_t n, const uint32_t *table, size_t size,
		  const struct sched_flow *f, uint32_t flags);
int sched_dh_pick(const struct sched_real *reals, size_t n, const uint32_t *table, size_t size,
		  const struct sched_flow *f);
int sched_mh_pick(const struct sched_real *reals, size_t n, const uint32_t *table, size_t size,
		  const struct sched_flow *f, uint32_t flags);
/*
 * sh and dh for the data plane: @out[h] is the real a flow whose bucket is h
 * gets (availability and, with SCHED_F_FALLBACK, sh's fallback scan applied),
 * so the data plane needs one lookup and no per-real state. Rebuild it when a
 * real's usable or weight changes. Returns 0 or -EINVAL.
 */
int sched_table_resolve(const struct sched_real *reals, size_t n, const uint32_t *table,
			size_t size, uint32_t flags, uint32_t *out);

/*
 * Slow start (lc, wlc, sed, nq): a real that has just become usable ramps
 * its weight linearly over the service's slow_start duration. Weights those
 * schedulers compare are in units of 1/SCHED_SS_ONE.
 */
#define SCHED_SS_ONE 256u
/* sched_real.slow_start for a real usable for @elapsed_ms of a @ramp_ms ramp. */
uint16_t sched_slow_start_progress(uint64_t elapsed_ms, uint64_t ramp_ms);
/* The weight lc/wlc/sed/nq compare for @weight at @progress (x SCHED_SS_ONE). */
uint64_t sched_slow_start_weight(uint32_t weight, uint16_t progress);

/* Helpers the scheduler files share. */
uint32_t sched_hash_32(uint32_t val, unsigned int bits);
uint32_t sched_jhash_1word(uint32_t a, uint32_t initval);
/* IPVS's address fold: the XOR of the four words, in host order. */
uint32_t sched_addr_fold(const struct xlb_addr *addr);
/* IPVS ip_vs_dest_conn_overhead(): active * 256 + inactive. */
uint64_t sched_conn_overhead(const struct sched_real *r);
/* Index of @real_id in @reals, or -1. */
int sched_find_real(const struct sched_real *reals, size_t n, uint32_t real_id);
/* rr and wrr pick: ctx->table[(*ctx->cursor)++ % ctx->table_len], as the data plane does. */
int sched_ring_pick(const struct sched_real *reals, size_t n, struct sched_ctx *ctx);
/* Weighted least-connection over usable reals (IPVS wlc; lblc/lblcr use it raw). */
int sched_wlc_least(const struct sched_real *reals, size_t n, bool slow_start);

/* lblc/lblcr: more active than weight while another real is under half its weight. */
bool sched_loc_overloaded(const struct sched_real *reals, size_t n, size_t i);

typedef unsigned __int128 sched_u128;

/* Exact products for the h1*w2 > h2*w1 comparisons IPVS makes instead of dividing. */
static inline sched_u128 sched_mul(uint64_t a, uint64_t b)
{
	return (sched_u128)a * b;
}

#endif /* XLB_SCHED_H */
