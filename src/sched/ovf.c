// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Overflow (IPVS "ovf", ip_vs_ovf.c): fo whose weight is also a capacity.
 * New connections go to the usable real of highest weight whose active
 * connections do not exceed its weight (active <= weight: a real at exactly
 * its weight still takes one more, as in IPVS); when it is full they
 * overflow to the next highest. Ties go to the first in list order.
 *
 * Only active connections count, so it suits TCP; UDP flows are never
 * active and would all go to the first real.
 */
#include "sched.h"

#include <errno.h>

int sched_ovf_pick(const struct sched_real *reals, size_t n)
{
	uint32_t hw = 0;
	int h = -1;

	for (size_t i = 0; i < n; i++) {
		const struct sched_real *r = &reals[i];

		if (!r->usable || r->active > r->weight || r->weight == 0)
			continue;
		if (h < 0 || r->weight > hw) {
			h = (int)i;
			hw = r->weight;
		}
	}
	return h >= 0 ? h : -ENOENT;
}

static int sched_ovf_ops_pick(const struct sched_real *reals, size_t n, struct sched_ctx *ctx)
{
	(void)ctx;
	return sched_ovf_pick(reals, n);
}

const struct sched_ops sched_ovf_ops = {
	.name = "ovf",
	.kind = XLB_SCHED_KIND_OVF,
	.cls = SCHED_CLASS_CONN,
	.pick = sched_ovf_ops_pick,
};
