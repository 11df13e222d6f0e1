// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Round robin (IPVS "rr"): new flows visit the usable reals in config order,
 * one each, skipping reals of weight 0. The data plane advances an atomic
 * per-service cursor over this ring, so the order holds across CPUs.
 */
#include "sched.h"

static size_t sched_rr_build_ring(const struct sched_real *reals, size_t n, uint32_t *ring,
				  size_t ring_max)
{
	size_t len = 0;

	for (size_t i = 0; i < n && len < ring_max; i++)
		if (reals[i].usable && reals[i].weight > 0)
			ring[len++] = reals[i].real_id;
	return len;
}

const struct sched_ops sched_rr_ops = {
	.name = "rr",
	.kind = XLB_SCHED_KIND_RING,
	.cls = SCHED_CLASS_RING,
	.build_ring = sched_rr_build_ring,
	.pick = sched_ring_pick,
};
