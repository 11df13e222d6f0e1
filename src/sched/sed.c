// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Shortest expected delay (IPVS "sed", ip_vs_sed.c; Weinrib and Shenker,
 * INFOCOM '88): the real with the least (active + 1) / weight, the delay the
 * new job would see there. Unlike wlc it counts the incoming job (the + 1),
 * so with very unequal weights an idle heavy real beats an idle light one,
 * and inactive connections do not count at all.
 *
 * Scan as IPVS: the first usable real of non-zero weight is the candidate;
 * a later usable real replaces it when loh * dw > doh * lw, so ties keep the
 * earlier real. Slow start ramps weights as in wlc.
 */
#include "sched.h"

#include <errno.h>

int sched_sed_pick(const struct sched_real *reals, size_t n)
{
	uint64_t loh, lw;
	size_t i, least;

	for (i = 0; i < n; i++)
		if (reals[i].usable && reals[i].weight > 0)
			break;
	if (i == n)
		return -ENOENT;
	least = i;
	loh = (uint64_t)reals[least].active + 1;
	lw = sched_slow_start_weight(reals[least].weight, reals[least].slow_start);

	for (i = least + 1; i < n; i++) {
		const struct sched_real *r = &reals[i];
		uint64_t doh, dw;

		if (!r->usable)
			continue;
		doh = (uint64_t)r->active + 1;
		dw = sched_slow_start_weight(r->weight, r->slow_start);
		if (sched_mul(loh, dw) > sched_mul(doh, lw)) {
			least = i;
			loh = doh;
			lw = dw;
		}
	}
	return (int)least;
}

static int sched_sed_ops_pick(const struct sched_real *reals, size_t n, struct sched_ctx *ctx)
{
	(void)ctx;
	return sched_sed_pick(reals, n);
}

const struct sched_ops sched_sed_ops = {
	.name = "sed",
	.kind = XLB_SCHED_KIND_SED,
	.cls = SCHED_CLASS_CONN,
	.pick = sched_sed_ops_pick,
};
