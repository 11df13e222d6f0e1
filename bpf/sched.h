/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * New-flow scheduling in the data plane, mirroring the userspace reference in
 * src/sched/ (which the packet tests compare against):
 * - ring (rr, wrr): xlbd computes the order, one atomic increment picks;
 * - hash (sh, dh): xlbd computes the 256-bucket table with IPVS's fill and
 *   fallback already applied, one hash picks;
 * - count-based (lc, wlc, sed, nq, fo, ovf): the ring lists the candidates
 *   (usable, weight > 0, config order) and bpf_loop scans their connection
 *   counts as IPVS does, first real winning ties.
 */
#ifndef XLB_BPF_SCHED_H
#define XLB_BPF_SCHED_H

#include "maps.h"
#include "parse.h"
#include "spec.h"
#include "xlb/xlb_hash.h"

static __always_inline struct xlb_ring *sched_ring(const struct xlb_service *svc)
{
	__u32 slot = svc->svc_id * 2 + (svc->ring_slot & 1);

	return bpf_map_lookup_elem(&sched_rings, &slot);
}

static __always_inline int sched_ring_pick(const struct xlb_service *svc, __u32 *real_id)
{
	struct xlb_ring *ring = sched_ring(svc);
	__u32 svc_id = svc->svc_id;
	__u64 *cursor, n;
	__u64 len, idx;

	if (!ring)
		return -1;
	len = ring->len;
	if (len == 0 || len > XLB_RING_MAX)
		return -1;
	cursor = bpf_map_lookup_elem(&sched_cursor, &svc_id);
	if (!cursor)
		return -1;
	n = __sync_fetch_and_add(cursor, 1);
	idx = n % len;
	/* clang proves idx < len and drops the check the verifier needs */
	asm volatile("" : "+r"(idx));
	if (idx >= XLB_RING_MAX)
		return -1;
	*real_id = ring->real_ids[idx];
	return 0;
}

static __always_inline int sched_hash_pick(const struct xlb_service *svc,
					   const struct packet *pkt, __u32 *real_id)
{
	struct xlb_ring *ring = sched_ring(svc);
	__u32 h, id;

	if (!ring || ring->len != (1u << XLB_SCHED_TAB_BITS))
		return -1;
	if (svc->sched_kind == XLB_SCHED_KIND_HASH_DST) {
		h = xlb_hash_32(xlb_addr_fold(&pkt->key.dst), XLB_SCHED_TAB_BITS);
	} else {
		__u32 port = svc->sched_flags & XLB_SCHED_F_PORT ? bpf_ntohs(pkt->key.sport) : 0;

		h = xlb_hash_32(port + xlb_addr_fold(&pkt->key.src), XLB_SCHED_TAB_BITS);
	}
	h &= (1u << XLB_SCHED_TAB_BITS) - 1;
	id = ring->real_ids[h];
	if (id == XLB_SCHED_NO_REAL)
		return -1;
	*real_id = id;
	return 0;
}

/*
 * Maglev: the client's bucket in the service's table (built by xlbd from the
 * reals' last non-zero weights, so draining or losing a real leaves the table
 * as it is); that real if it takes new flows, else none (IPVS without the
 * mh-fallback flag).
 */
struct mh_fallback {
	__u32 base, ihash, key;
	__u32 id;
	bool found;
};

/* IPVS mh-fallback: bucket of (offset + ihash) % M rehashed, until an available real. */
static long mh_fallback_one(__u32 offset, void *arg)
{
	struct mh_fallback *s = arg;
	__u32 roffset = (__u32)(((__u64)offset + s->ihash) % XLB_MH_TABLE_SIZE);
	__u32 idx = s->base + xlb_jhash_1word(roffset + s->key, XLB_MH_SEED) % XLB_MH_TABLE_SIZE;
	__u32 *id = bpf_map_lookup_elem(&mh_tables, &idx);
	struct xlb_real *real;
	__u32 rid;

	if (!id || *id == XLB_SCHED_NO_REAL)
		return 1; /* an empty bucket ends the search */
	rid = *id;
	real = real_get(rid);
	if (real && (real->flags & XLB_REAL_F_ACTIVE) && (real->flags & XLB_REAL_F_NEW_FLOWS) &&
	    real->weight) {
		s->id = rid;
		s->found = true;
		return 1;
	}
	return 0;
}

static __always_inline int sched_mh_pick(const struct xlb_service *svc, const struct packet *pkt,
					 __u32 *real_id)
{
	__u32 port = svc->sched_flags & XLB_SCHED_F_PORT ? bpf_ntohs(pkt->key.sport) : 0;
	struct mh_fallback fb = { .base = svc->mh_base,
				  .key = port + xlb_addr_fold(&pkt->key.src) };
	struct xlb_real *real;
	__u32 idx, *id, rid;

	fb.ihash = xlb_jhash_1word(fb.key, XLB_MH_SEED) % XLB_MH_TABLE_SIZE;
	idx = svc->mh_base + fb.ihash;
	id = bpf_map_lookup_elem(&mh_tables, &idx);
	if (!id || *id == XLB_SCHED_NO_REAL)
		return -1;
	rid = *id;
	real = real_get(rid);
	if (real && (real->flags & XLB_REAL_F_ACTIVE) && (real->flags & XLB_REAL_F_NEW_FLOWS) &&
	    real->weight) {
		*real_id = rid;
		return 0;
	}
	if (!(svc->sched_flags & XLB_SCHED_F_FALLBACK))
		return -1;
	bpf_loop(XLB_MH_TABLE_SIZE, mh_fallback_one, &fb, 0);
	if (!fb.found)
		return -1;
	*real_id = fb.id;
	return 0;
}

struct conn_scan {
	__u32 slot; /* sched_rings index */
	__u32 len;
	__u32 kind;
	__u32 best_id;
	__u64 best_load; /* the kind's overhead (or weight, for fo/ovf) */
	__u64 best_weight;
	bool found;
};

/*
 * The weight lc/wlc/sed/nq compare, in 1/256 units: a real in slow start
 * ramps from 1/256 of its weight to all of it (lc as if every weight were 1).
 */
static __always_inline __u64 slow_start_weight(__u64 weight, __u16 progress)
{
	if (!progress || progress >= 256)
		return weight * 256;
	return weight * progress;
}

/* A real's counts: the data plane's side minus what the sweeper expired. */
static __always_inline void conn_counts(__u32 id, __u64 *active, __u64 *inactive)
{
	struct xlb_conns *c = bpf_map_lookup_elem(&real_conns, &id);
	struct xlb_conns *s = bpf_map_lookup_elem(&real_conns_swept, &id);
	__s64 a = 0, i = 0;

	if (c && s) {
		a = c->active - s->active;
		i = c->inactive - s->inactive;
	}
	*active = a > 0 ? a : 0;
	*inactive = i > 0 ? i : 0;
}

static long conn_scan_one(__u32 i, void *arg)
{
	struct conn_scan *s = arg;
	struct xlb_ring *ring = bpf_map_lookup_elem(&sched_rings, &s->slot);
	struct xlb_real *real;
	__u64 active, inactive, load, w;
	__u32 id;
	bool better;

	if (!ring || i >= s->len || i >= XLB_RING_MAX)
		return 1;
	id = ring->real_ids[i];
	real = real_get(id);
	if (!real || !real->weight)
		return 0;
	w = real->weight;
	conn_counts(id, &active, &inactive);

	switch (s->kind) {
	case XLB_SCHED_KIND_LC:
		w = 1;
		/* fall through: lc is wlc with equal weights */
	case XLB_SCHED_KIND_WLC:
		load = (active << 8) + inactive;
		w = slow_start_weight(w, real->slow_start);
		/* load/w < best_load/best_w, without division */
		better = !s->found || load * s->best_weight < s->best_load * w;
		break;
	case XLB_SCHED_KIND_NQ:
		if (active == 0) {
			s->best_id = id;
			s->found = true;
			return 1; /* an idle real: take it, look no further */
		}
		/* fall through: otherwise as sed */
	case XLB_SCHED_KIND_SED:
		load = active + 1;
		w = slow_start_weight(w, real->slow_start);
		better = !s->found || load * s->best_weight < s->best_load * w;
		break;
	case XLB_SCHED_KIND_OVF:
		if (active > w)
			return 0;
		/* fall through: the heaviest real not yet full */
	case XLB_SCHED_KIND_FO:
		load = w;
		better = !s->found || w > s->best_weight;
		break;
	default:
		return 1;
	}
	if (better) {
		s->best_id = id;
		s->best_load = load;
		s->best_weight = w;
		s->found = true;
	}
	return 0;
}

/* The count-based scan of @kind over the service's candidates. */
static __always_inline int sched_conn_pick_kind(const struct xlb_service *svc, __u32 kind,
						__u32 *real_id)
{
	struct xlb_ring *ring = sched_ring(svc);
	struct conn_scan s = {
		.slot = svc->svc_id * 2 + (svc->ring_slot & 1),
		.kind = kind,
	};

	if (!ring || ring->len == 0 || ring->len > XLB_RING_MAX)
		return -1;
	s.len = ring->len;
	bpf_loop(s.len, conn_scan_one, &s, 0);
	if (!s.found)
		return -1;
	*real_id = s.best_id;
	return 0;
}

static __always_inline int sched_conn_pick(const struct xlb_service *svc, __u32 *real_id)
{
	return sched_conn_pick_kind(svc, svc->sched_kind, real_id);
}

/* wlc over the service's candidates, whatever the service's own kind. */
static __always_inline int sched_wlc_over(const struct xlb_service *svc, __u32 *real_id)
{
	return sched_conn_pick_kind(svc, XLB_SCHED_KIND_WLC, real_id);
}

struct half_load_scan {
	__u32 slot;
	__u32 len;
	bool found;
};

static long half_load_one(__u32 i, void *arg)
{
	struct half_load_scan *s = arg;
	struct xlb_ring *ring = bpf_map_lookup_elem(&sched_rings, &s->slot);
	struct xlb_real *real;
	__u64 active, inactive;
	__u32 id;

	if (!ring || i >= s->len || i >= XLB_RING_MAX)
		return 1;
	id = ring->real_ids[i];
	real = real_get(id);
	if (!real)
		return 0;
	conn_counts(id, &active, &inactive);
	if (active * 2 < real->weight) {
		s->found = true;
		return 1;
	}
	return 0;
}

/* IPVS is_overloaded(): busier than its weight while some real is under half of its. */
static __always_inline bool loc_overloaded(const struct xlb_service *svc, __u32 id,
					   const struct xlb_real *real)
{
	struct xlb_ring *ring = sched_ring(svc);
	struct half_load_scan s = { .slot = svc->svc_id * 2 + (svc->ring_slot & 1) };
	__u64 active, inactive;

	conn_counts(id, &active, &inactive);
	if (active <= real->weight || !ring || ring->len > XLB_RING_MAX)
		return false;
	s.len = ring->len;
	bpf_loop(s.len, half_load_one, &s, 0);
	return s.found;
}

/*
 * lblc (src/sched/lblc.c): the destination's real while it takes new flows
 * and is not overloaded; otherwise wlc, and the destination moves there.
 */
static __always_inline int sched_lblc_pick(const struct xlb_service *svc, const struct packet *pkt,
					   __u32 *real_id)
{
	struct xlb_loc_key key = { .daddr = pkt->key.dst, .svc_id = svc->svc_id,
				   .family = pkt->key.family };
	struct xlb_loc *e = bpf_map_lookup_elem(&loc_cache, &key);
	__u64 now = bpf_ktime_get_ns();
	struct xlb_loc fresh = { .lastuse_ns = now };

	if (e && now - e->lastuse_ns <= XLB_LOC_EXPIRE_NS) {
		__u32 id = e->real_id;
		struct xlb_real *real = real_get(id);

		e->lastuse_ns = now;
		if (real && (real->flags & XLB_REAL_F_ACTIVE) &&
		    (real->flags & XLB_REAL_F_NEW_FLOWS) && real->weight &&
		    !loc_overloaded(svc, id, real)) {
			*real_id = id;
			return 0;
		}
	}
	if (sched_wlc_over(svc, real_id))
		return -1;
	fresh.real_id = *real_id;
	bpf_map_update_elem(&loc_cache, &key, &fresh, BPF_ANY);
	return 0;
}

/*
 * lblcr (src/sched/lblcr.c, step by step): works on a per-CPU copy of the
 * destination's set. One pass drops members the service no longer has and
 * finds the least and the most loaded member; then the set may shrink (the
 * most loaded leaves when it has not changed for XLB_LOC_EXPIRE_NS), and
 * grows by a wlc pick when the least loaded member is missing or overloaded.
 */
static __always_inline struct xlb_locset *locset_copy(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&locset_scratch, &zero);
}

struct set_pass {
	__u32 svc_id;
	__u32 keep; /* members kept so far (compaction) */
	__u32 min_idx, max_idx; /* XLB_LOC_SET_MAX: none */
	__u64 min_load, min_w, max_load, max_w;
	__u32 find_id; /* set_find: the id looked for */
	__u32 found; /* set_find: XLB_LOC_SET_MAX or its index */
};

static long set_scan_one(__u32 i, void *arg)
{
	struct set_pass *p = arg;
	struct xlb_locset *e = locset_copy();
	struct xlb_real *real;
	__u64 active, inactive, load, w;
	__u32 id, k;

	if (!e || i >= e->set_len || i >= XLB_LOC_SET_MAX)
		return 1;
	id = e->set[i];
	real = real_get(id);
	if (!real || real->svc_id != p->svc_id)
		return 0; /* gone from the service: dropped */
	k = p->keep;
	asm volatile("" : "+r"(k));
	if (k >= XLB_LOC_SET_MAX)
		return 1;
	e->set[k] = id;
	p->keep = k + 1;

	conn_counts(id, &active, &inactive);
	load = (active << 8) + inactive;
	w = real->weight;
	/* least loaded usable member; the first one needs weight > 0 */
	if ((real->flags & XLB_REAL_F_ACTIVE) && (real->flags & XLB_REAL_F_NEW_FLOWS) &&
	    (p->min_idx == XLB_LOC_SET_MAX ? w > 0 : p->min_load * w > load * p->min_w)) {
		p->min_idx = k;
		p->min_load = load;
		p->min_w = w;
	}
	/* most loaded member of weight > 0 */
	if (w && (p->max_idx == XLB_LOC_SET_MAX || p->max_load * w < load * p->max_w)) {
		p->max_idx = k;
		p->max_load = load;
		p->max_w = w;
	}
	return 0;
}

static long set_find_one(__u32 i, void *arg)
{
	struct set_pass *p = arg;
	struct xlb_locset *e = locset_copy();

	if (!e || i >= e->set_len || i >= XLB_LOC_SET_MAX)
		return 1;
	if (e->set[i] == p->find_id) {
		p->found = i;
		return 1;
	}
	return 0;
}

/* set[k] := set[k + 1] for k from p->keep on: removes member p->keep. */
static long set_down_one(__u32 i, void *arg)
{
	struct set_pass *p = arg;
	struct xlb_locset *e = locset_copy();
	__u32 k = p->keep + i;

	asm volatile("" : "+r"(k));
	if (!e || k >= XLB_LOC_SET_MAX - 1 || k + 1 >= e->set_len)
		return 1;
	e->set[k] = e->set[k + 1];
	return 0;
}

/* set[k] := set[k - 1] from the end down to 1: makes room at the front. */
static long set_up_one(__u32 i, void *arg)
{
	struct xlb_locset *e = locset_copy();
	__u32 k;

	if (!e || i >= e->set_len)
		return 1;
	k = e->set_len - i;
	asm volatile("" : "+r"(k));
	if (k == 0 || k >= XLB_LOC_SET_MAX)
		return 1;
	e->set[k] = e->set[k - 1];
	return 0;
}

static __always_inline int sched_lblcr_pick(const struct xlb_service *svc,
					    const struct packet *pkt, __u32 *real_id)
{
	struct xlb_loc_key key = { .daddr = pkt->key.dst, .svc_id = svc->svc_id,
				   .family = pkt->key.family };
	struct xlb_locset *cached = bpf_map_lookup_elem(&locset_cache, &key);
	struct xlb_locset *e = locset_copy();
	struct set_pass p = { .svc_id = svc->svc_id, .min_idx = XLB_LOC_SET_MAX,
			      .max_idx = XLB_LOC_SET_MAX, .found = XLB_LOC_SET_MAX };
	__u64 now = bpf_ktime_get_ns();
	struct xlb_real *real = NULL;
	__u32 id = 0;

	if (!e)
		return -1;
	if (!cached || now - cached->lastuse_ns > XLB_LOC_EXPIRE_NS) {
		if (sched_wlc_over(svc, real_id))
			return -1;
		__builtin_memset(e, 0, sizeof(*e));
		e->lastuse_ns = now;
		e->lastmod_ns = now;
		e->set_len = 1;
		e->set[0] = *real_id;
		bpf_map_update_elem(&locset_cache, &key, e, BPF_ANY);
		return 0;
	}
	__builtin_memcpy(e, cached, sizeof(*e));
	e->lastuse_ns = now;
	if (e->set_len > XLB_LOC_SET_MAX)
		e->set_len = XLB_LOC_SET_MAX;
	bpf_loop(XLB_LOC_SET_MAX, set_scan_one, &p, 0);
	e->set_len = p.keep;

	if (p.min_idx < XLB_LOC_SET_MAX) {
		id = e->set[p.min_idx & (XLB_LOC_SET_MAX - 1)];
		real = real_get(id);
	}
	/* shrink a set that has not changed for a while: the most loaded leaves */
	if (e->set_len > 1 && now > e->lastmod_ns + XLB_LOC_EXPIRE_NS &&
	    p.max_idx < XLB_LOC_SET_MAX) {
		p.keep = p.max_idx;
		bpf_loop(XLB_LOC_SET_MAX, set_down_one, &p, 0);
		e->set_len--;
		e->lastmod_ns = now;
	}
	if (!real || loc_overloaded(svc, id, real)) {
		if (sched_wlc_over(svc, &id)) {
			bpf_map_update_elem(&locset_cache, &key, e, BPF_ANY);
			return -1;
		}
		p.find_id = id;
		bpf_loop(XLB_LOC_SET_MAX, set_find_one, &p, 0);
		if (p.found == XLB_LOC_SET_MAX) {
			if (e->set_len >= XLB_LOC_SET_MAX)
				e->set_len = XLB_LOC_SET_MAX - 1; /* the oldest leaves */
			bpf_loop(XLB_LOC_SET_MAX, set_up_one, NULL, 0);
			e->set[0] = id;
			e->set_len++;
			e->lastmod_ns = now;
		}
	}
	bpf_map_update_elem(&locset_cache, &key, e, BPF_ANY);
	*real_id = id;
	return 0;
}

/* twos: IPVS's power of two choices; the draws as the reference takes them. */
struct twos_scan {
	__u32 slot;
	__u32 len;
	__s64 rw1, rw2;
	__u64 total;
	__u32 id1, id2;
	__u64 w1, w2;
	bool got1, got2;
};

static long twos_sum_one(__u32 i, void *arg)
{
	struct twos_scan *s = arg;
	struct xlb_ring *ring = bpf_map_lookup_elem(&sched_rings, &s->slot);
	struct xlb_real *real;
	__u32 id;

	if (!ring || i >= s->len || i >= XLB_RING_MAX)
		return 1;
	id = ring->real_ids[i];
	real = real_get(id);
	if (real)
		s->total += real->weight;
	return 0;
}

static long twos_walk_one(__u32 i, void *arg)
{
	struct twos_scan *s = arg;
	long done;
	struct xlb_ring *ring = bpf_map_lookup_elem(&sched_rings, &s->slot);
	struct xlb_real *real;
	__u32 id;

	if (!ring || i >= s->len || i >= XLB_RING_MAX)
		return 1;
	id = ring->real_ids[i];
	real = real_get(id);
	if (!real || !real->weight)
		return 0;
	s->rw1 -= real->weight;
	s->rw2 -= real->weight;
	if (s->rw1 <= 0 && !s->got1) {
		s->id1 = id;
		s->w1 = real->weight;
		s->got1 = true;
	}
	if (s->rw2 <= 0 && !s->got2) {
		s->id2 = id;
		s->w2 = real->weight;
		s->got2 = true;
	}
	done = s->got1 && s->got2;
	/* the verifier wants a result it can see is 0 or 1; clang drops a plain "& 1" */
	asm volatile("" : "+r"(done));
	return done & 1;
}

static __always_inline int sched_twos_pick(const struct xlb_service *svc, __u32 *real_id)
{
	struct xlb_ring *ring = sched_ring(svc);
	struct twos_scan s = { .slot = svc->svc_id * 2 + (svc->ring_slot & 1) };
	__u64 a1, i1, a2, i2;

	if (!ring || ring->len == 0 || ring->len > XLB_RING_MAX)
		return -1;
	s.len = ring->len;
	bpf_loop(s.len, twos_sum_one, &s, 0);
	if (!s.total)
		return -1;
	/* uniform in [0, total], inclusive as IPVS draws (multiply-shift) */
	s.rw1 = (__s64)(((__u64)bpf_get_prandom_u32() * (s.total + 1)) >> 32);
	s.rw2 = (__s64)(((__u64)bpf_get_prandom_u32() * (s.total + 1)) >> 32);
	bpf_loop(s.len, twos_walk_one, &s, 0);
	if (!s.got1 || !s.got2)
		return -1;
	conn_counts(s.id1, &a1, &i1);
	conn_counts(s.id2, &a2, &i2);
	/* the second wins only when strictly less loaded per weight */
	*real_id = s.w2 * ((a1 << 8) + i1) > s.w1 * ((a2 << 8) + i2) ? s.id2 : s.id1;
	return 0;
}

static __always_inline int sched_pick(const struct xlb_service *svc, const struct packet *pkt,
				      __u32 *real_id)
{
	/* Each case only if the config has such a scheduler: the verifier drops the rest. */
	__u32 kind = svc->sched_kind;

	if (kind == XLB_SCHED_KIND_RING && sched_on(XLB_SCHED_KIND_RING))
		return sched_ring_pick(svc, real_id);
	if ((kind == XLB_SCHED_KIND_HASH_SRC && sched_on(XLB_SCHED_KIND_HASH_SRC)) ||
	    (kind == XLB_SCHED_KIND_HASH_DST && sched_on(XLB_SCHED_KIND_HASH_DST)))
		return sched_hash_pick(svc, pkt, real_id);
	if (kind == XLB_SCHED_KIND_MH && sched_on(XLB_SCHED_KIND_MH))
		return sched_mh_pick(svc, pkt, real_id);
	if (kind == XLB_SCHED_KIND_TWOS && sched_on(XLB_SCHED_KIND_TWOS))
		return sched_twos_pick(svc, real_id);
	if (kind == XLB_SCHED_KIND_LBLC && sched_on(XLB_SCHED_KIND_LBLC))
		return sched_lblc_pick(svc, pkt, real_id);
	if (kind == XLB_SCHED_KIND_LBLCR && sched_on(XLB_SCHED_KIND_LBLCR))
		return sched_lblcr_pick(svc, pkt, real_id);
	if (xlb_spec.scheds & ((1u << XLB_SCHED_KIND_LC) | (1u << XLB_SCHED_KIND_WLC) |
			       (1u << XLB_SCHED_KIND_SED) | (1u << XLB_SCHED_KIND_NQ) |
			       (1u << XLB_SCHED_KIND_FO) | (1u << XLB_SCHED_KIND_OVF)))
		return sched_conn_pick(svc, real_id);
	return -1;
}

#endif /* XLB_BPF_SCHED_H */
