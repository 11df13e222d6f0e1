// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Locality-based least connection (IPVS "lblc", ip_vs_lblc.c): for cache
 * farms. Each destination address sticks to one real, so each cache holds
 * its own part of the content; a destination moves only when its real cannot
 * take it or is clearly overloaded:
 *
 *   if cache[daddr] is a usable real of weight > 0, and not (its active >
 *      its weight and some usable real has active < weight / 2):
 *           use it
 *   else
 *           n <- wlc pick over all reals; cache[daddr] <- n; use n
 *
 * A hit refreshes the entry's last use; an entry idle for the cache's
 * expire_ms (IPVS lblc_expiration, 24 h) is forgotten. The wlc pick is
 * IPVS's (first usable real of weight > 0, then loh * dw > doh * lw), on
 * the configured weights: slow start does not apply.
 *
 * As for dh, the key is the destination address, which varies only when the
 * service takes traffic for many destinations (a transparent cache farm).
 */
#include "sched.h"

#include <errno.h>

int sched_lblc_pick(const struct sched_real *reals, size_t n, struct sched_loc_cache *c,
		    const struct xlb_addr *daddr, uint64_t now_ms)
{
	struct sched_loc_entry *e;
	int i;

	if (!c || !c->slot || !daddr)
		return -EINVAL;
	e = sched_loc_get(c, daddr, now_ms);
	if (e) {
		e->lastuse = now_ms;
		i = e->set_len ? sched_find_real(reals, n, e->set[0]) : -1;
		if (i >= 0 && reals[i].usable && reals[i].weight > 0 &&
		    !sched_loc_overloaded(reals, n, (size_t)i))
			return i;
	}
	i = sched_wlc_least(reals, n, false);
	if (i < 0)
		return -ENOENT;
	if (!e)
		e = sched_loc_add(c, daddr, now_ms);
	e->set[0] = reals[i].real_id;
	e->set_len = 1;
	return i;
}

static int sched_lblc_ops_pick(const struct sched_real *reals, size_t n, struct sched_ctx *ctx)
{
	if (!ctx || !ctx->flow)
		return -EINVAL;
	return sched_lblc_pick(reals, n, ctx->cache, &ctx->flow->daddr, ctx->now_ms);
}

const struct sched_ops sched_lblc_ops = {
	.name = "lblc",
	.kind = XLB_SCHED_KIND_LBLC,
	.cls = SCHED_CLASS_LOCALITY,
	.pick = sched_lblc_ops_pick,
};
