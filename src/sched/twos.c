// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Power of two choices (IPVS "twos", ip_vs_twos.c; Mitzenmacher): draw two
 * reals at random in proportion to weight, keep the less loaded one. Nearly
 * as even as least-connection, without every balancer (or CPU) herding onto
 * the same least-loaded real between count updates.
 *
 * Exactly as IPVS: over usable reals of non-zero weight, total = sum of
 * weights; two draws rw1, rw2 uniform in [0, total] (note: inclusive, so the
 * first real is slightly favoured: (w1 + 1) / (total + 1)); walking the list
 * and subtracting each weight, choice1 is the first real that brings rw1 to
 * <= 0, choice2 likewise for rw2. choice2 wins only when its load is lower:
 * weight2 * overhead1 > weight1 * overhead2 (overhead = active * 256 +
 * inactive), so a tie keeps choice1.
 *
 * The draws are raw u32s reduced by sched_rand_below() (multiply-shift, as
 * the kernel's get_random_u32_below() minus rejection); the data plane uses
 * bpf_get_prandom_u32() the same way, and tests feed either fixed numbers or
 * a seeded sched_rand.
 */
#include "sched.h"

#include <errno.h>

static uint64_t sched_twos_total(const struct sched_real *reals, size_t n)
{
	uint64_t total = 0;

	for (size_t i = 0; i < n; i++)
		if (reals[i].usable && reals[i].weight > 0)
			total += reals[i].weight;
	return total;
}

int sched_twos_pick(const struct sched_real *reals, size_t n, uint32_t r1, uint32_t r2)
{
	uint64_t total = sched_twos_total(reals, n);
	int64_t rw1, rw2;
	int c1 = -1, c2 = -1;

	if (!total)
		return -ENOENT;
	/* + 1: draws are inclusive of total, as in IPVS */
	rw1 = (int64_t)sched_rand_below(r1, total + 1);
	rw2 = (int64_t)sched_rand_below(r2, total + 1);

	for (size_t i = 0; i < n && (c1 < 0 || c2 < 0); i++) {
		const struct sched_real *r = &reals[i];

		if (!r->usable || r->weight == 0)
			continue;
		rw1 -= r->weight;
		rw2 -= r->weight;
		if (rw1 <= 0 && c1 < 0)
			c1 = (int)i;
		if (rw2 <= 0 && c2 < 0)
			c2 = (int)i;
	}
	/* rw <= total, so the walk always ends with both chosen */
	if (sched_mul(reals[c2].weight, sched_conn_overhead(&reals[c1])) >
	    sched_mul(reals[c1].weight, sched_conn_overhead(&reals[c2])))
		return c2;
	return c1;
}

static int sched_twos_ops_pick(const struct sched_real *reals, size_t n, struct sched_ctx *ctx)
{
	uint32_t r1, r2;

	if (!ctx || !ctx->rand)
		return -EINVAL;
	/* like IPVS, draw nothing when nothing can be picked */
	if (!sched_twos_total(reals, n))
		return -ENOENT;
	r1 = sched_rand_u32(ctx->rand);
	r2 = sched_rand_u32(ctx->rand);
	return sched_twos_pick(reals, n, r1, r2);
}

const struct sched_ops sched_twos_ops = {
	.name = "twos",
	.kind = XLB_SCHED_KIND_TWOS,
	.cls = SCHED_CLASS_CONN,
	.pick = sched_twos_ops_pick,
};
