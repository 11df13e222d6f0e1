// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Weighted failover (IPVS "fo", ip_vs_fo.c): every new connection goes to
 * the usable real of highest weight; when it becomes unusable (or drained
 * with weight 0) the next highest takes over. Weights here are a preference
 * order, not shares. Ties go to the first in list order (strict ">").
 * Connection counts play no part, and slow start does not apply: a
 * recovering primary should take its traffic back at once.
 */
#include "sched.h"

#include <errno.h>

int sched_fo_pick(const struct sched_real *reals, size_t n)
{
	uint32_t hw = 0;
	int h = -1;

	for (size_t i = 0; i < n; i++) {
		if (reals[i].usable && reals[i].weight > hw) {
			h = (int)i;
			hw = reals[i].weight;
		}
	}
	return h >= 0 ? h : -ENOENT;
}

static int sched_fo_ops_pick(const struct sched_real *reals, size_t n, struct sched_ctx *ctx)
{
	(void)ctx;
	return sched_fo_pick(reals, n);
}

const struct sched_ops sched_fo_ops = {
	.name = "fo",
	.kind = XLB_SCHED_KIND_FO,
	.cls = SCHED_CLASS_CONN,
	.pick = sched_fo_ops_pick,
};
