// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Locality-based least connection with replication (IPVS "lblcr",
 * ip_vs_lblcr.c): lblc where a hot destination may be served by a set of
 * reals rather than one, the set growing under load and shrinking back
 * when it stops changing:
 *
 *   if set[daddr] exists:
 *       n <- weighted least-loaded usable member (first wins ties)
 *       if |set| > 1 and now > set.lastmod + expire:
 *           remove the weighted most-loaded member (set.lastmod <- now)
 *       if n is null or (n.active > n.weight and some usable real has
 *          active < weight / 2):
 *           n <- wlc pick over all reals; add n to the set (lastmod <- now)
 *   else
 *       n <- wlc pick over all reals; set[daddr] <- {n}
 *   return n
 *
 * As IPVS: the least-loaded member is chosen before the shrink, so it may be
 * the one removed and still be used this once; members are kept newest
 * first, and both member scans take the first of equals; the most-loaded
 * scan looks at weight > 0 only, not at usability. Members the service no
 * longer has are dropped from the set when seen (IPVS holds them until the
 * shrink removes them). A set holds at most SCHED_LOC_SET_MAX reals; adding
 * to a full one drops its oldest member. Loads are active * 256 + inactive
 * over configured weights; slow start does not apply.
 */
#include "sched.h"

#include <errno.h>
#include <string.h>

static void sched_set_remove(struct sched_loc_entry *e, size_t k)
{
	memmove(&e->set[k], &e->set[k + 1], (e->set_len - k - 1) * sizeof(e->set[0]));
	e->set_len--;
}

/* ip_vs_dest_set_insert(): newest first, nothing if already a member. */
static void sched_set_insert(struct sched_loc_entry *e, uint32_t real_id, uint64_t now_ms)
{
	for (size_t k = 0; k < e->set_len; k++)
		if (e->set[k] == real_id)
			return;
	if (e->set_len == SCHED_LOC_SET_MAX)
		e->set_len--;
	memmove(&e->set[1], &e->set[0], e->set_len * sizeof(e->set[0]));
	e->set[0] = real_id;
	e->set_len++;
	e->lastmod = now_ms;
}

/* ip_vs_dest_set_min(): the usable member of least overhead / weight. */
static int sched_set_min(const struct sched_real *reals, size_t n, const struct sched_loc_entry *e)
{
	uint64_t loh = 0, lw = 0;
	int least = -1;

	for (size_t k = 0; k < e->set_len; k++) {
		int i = sched_find_real(reals, n, e->set[k]);
		uint64_t doh, dw;

		if (i < 0 || !reals[i].usable)
			continue;
		doh = sched_conn_overhead(&reals[i]);
		dw = reals[i].weight;
		if (least < 0) {
			if (!dw)
				continue; /* the first candidate needs weight > 0 */
		} else if (!(sched_mul(loh, dw) > sched_mul(doh, lw))) {
			continue;
		}
		least = i;
		loh = doh;
		lw = dw;
	}
	return least;
}

/* ip_vs_dest_set_max(): the member of weight > 0 with most overhead / weight. */
static int sched_set_max(const struct sched_real *reals, size_t n, const struct sched_loc_entry *e)
{
	uint64_t moh = 0, mw = 0;
	int most = -1;

	for (size_t k = 0; k < e->set_len; k++) {
		int i = sched_find_real(reals, n, e->set[k]);
		uint64_t doh, dw;

		if (i < 0 || reals[i].weight == 0)
			continue;
		doh = sched_conn_overhead(&reals[i]);
		dw = reals[i].weight;
		if (most >= 0 && !(sched_mul(moh, dw) < sched_mul(doh, mw)))
			continue;
		most = i;
		moh = doh;
		mw = dw;
	}
	return most;
}

int sched_lblcr_pick(const struct sched_real *reals, size_t n, struct sched_loc_cache *c,
		     const struct xlb_addr *daddr, uint64_t now_ms)
{
	struct sched_loc_entry *e;
	int i;

	if (!c || !c->slot || !daddr)
		return -EINVAL;
	e = sched_loc_get(c, daddr, now_ms);
	if (!e) {
		i = sched_wlc_least(reals, n, false);
		if (i < 0)
			return -ENOENT;
		e = sched_loc_add(c, daddr, now_ms);
		sched_set_insert(e, reals[i].real_id, now_ms);
		return i;
	}

	e->lastuse = now_ms;
	for (size_t k = 0; k < e->set_len;) {
		if (sched_find_real(reals, n, e->set[k]) < 0)
			sched_set_remove(e, k);
		else
			k++;
	}
	i = sched_set_min(reals, n, e);
	if (e->set_len > 1 && now_ms > e->lastmod + c->expire_ms) {
		int m = sched_set_max(reals, n, e);

		if (m >= 0) {
			for (size_t k = 0; k < e->set_len; k++) {
				if (e->set[k] == reals[m].real_id) {
					sched_set_remove(e, k);
					break;
				}
			}
			e->lastmod = now_ms;
		}
	}
	if (i >= 0 && !sched_loc_overloaded(reals, n, (size_t)i))
		return i;

	i = sched_wlc_least(reals, n, false);
	if (i < 0)
		return -ENOENT;
	sched_set_insert(e, reals[i].real_id, now_ms);
	return i;
}

static int sched_lblcr_ops_pick(const struct sched_real *reals, size_t n, struct sched_ctx *ctx)
{
	if (!ctx || !ctx->flow)
		return -EINVAL;
	return sched_lblcr_pick(reals, n, ctx->cache, &ctx->flow->daddr, ctx->now_ms);
}

const struct sched_ops sched_lblcr_ops = {
	.name = "lblcr",
	.kind = XLB_SCHED_KIND_LBLCR,
	.cls = SCHED_CLASS_LOCALITY,
	.pick = sched_lblcr_ops_pick,
};
