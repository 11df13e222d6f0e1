// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Never queue (IPVS "nq", ip_vs_nq.c): an idle real (no active connection)
 * if there is one, else sed's pick. Two speeds: a job never waits behind
 * another while some real, however slow, has nothing to do.
 *
 * As IPVS scans it, in one pass over usable reals of non-zero weight: the
 * first idle one is returned at once; otherwise the least
 * (active + 1) / weight wins, a later real replacing the candidate only when
 * loh * dw > doh * lw (ties keep the earlier). Slow start ramps weights as in
 * wlc; it cannot hold back the first connection to an idle ramping real,
 * which is nq's point, but it does hold back the ones after it.
 */
#include "sched.h"

#include <errno.h>

int sched_nq_pick(const struct sched_real *reals, size_t n)
{
	uint64_t loh = 0, lw = 0;
	int least = -1;

	for (size_t i = 0; i < n; i++) {
		const struct sched_real *r = &reals[i];
		uint64_t doh, dw;

		if (!r->usable || !r->weight)
			continue;
		if (r->active == 0)
			return (int)i;
		doh = (uint64_t)r->active + 1;
		dw = sched_slow_start_weight(r->weight, r->slow_start);
		if (least < 0 || sched_mul(loh, dw) > sched_mul(doh, lw)) {
			least = (int)i;
			loh = doh;
			lw = dw;
		}
	}
	return least >= 0 ? least : -ENOENT;
}

static int sched_nq_ops_pick(const struct sched_real *reals, size_t n, struct sched_ctx *ctx)
{
	(void)ctx;
	return sched_nq_pick(reals, n);
}

const struct sched_ops sched_nq_ops = {
	.name = "nq",
	.kind = XLB_SCHED_KIND_NQ,
	.cls = SCHED_CLASS_CONN,
	.pick = sched_nq_ops_pick,
};
