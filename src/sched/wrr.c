// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Weighted round robin, IPVS's interleaved sequence (ip_vs_wrr.c): a current
 * weight cw starts at the maximum weight and steps down by the weights' gcd
 * each time the scan wraps; a real is picked when its weight >= cw. Weights
 * 3,2,1 give A A B A B C. One period (sum of weights / gcd picks) is the ring.
 *
 * A period longer than the ring is scaled: weights are reduced proportionally
 * (each usable real keeps at least 1) until the period fits, so shares stay
 * within one ring slot of exact.
 */
#include "sched.h"

static uint32_t gcd_u32(uint32_t a, uint32_t b)
{
	while (b) {
		uint32_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

static size_t sched_wrr_sequence(const struct sched_real *reals, const uint32_t *weight, size_t n,
				 uint32_t *ring, size_t ring_max)
{
	uint32_t max_w = 0, step = 0;
	uint64_t period = 0;

	for (size_t i = 0; i < n; i++) {
		if (!weight[i])
			continue;
		if (weight[i] > max_w)
			max_w = weight[i];
		step = gcd_u32(step, weight[i]);
		period += weight[i];
	}
	if (!max_w)
		return 0;
	period /= step;
	if (period > ring_max)
		return 0;

	size_t len = 0;
	int64_t cw = 0;
	size_t i = n - 1;
	while (len < period) {
		i = (i + 1) % n;
		if (i == 0) {
			cw -= step;
			if (cw <= 0)
				cw = max_w;
		}
		if (weight[i] && weight[i] >= cw)
			ring[len++] = reals[i].real_id;
	}
	return len;
}

static size_t sched_wrr_build_ring(const struct sched_real *reals, size_t n, uint32_t *ring,
				   size_t ring_max)
{
	uint32_t weight[n ? n : 1];
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i++) {
		weight[i] = reals[i].usable ? reals[i].weight : 0;
		sum += weight[i];
	}
	for (;;) {
		size_t len = sched_wrr_sequence(reals, weight, n, ring, ring_max);
		if (len || !sum)
			return len;
		/* Period too long for the ring: scale the weights down and retry. */
		uint64_t new_sum = 0;
		for (size_t i = 0; i < n; i++) {
			if (!weight[i])
				continue;
			uint64_t w = (uint64_t)weight[i] * ring_max / (sum + 1);
			weight[i] = w ? (uint32_t)w : 1;
			new_sum += weight[i];
		}
		if (new_sum >= sum)
			return 0; /* cannot shrink further (more reals than slots) */
		sum = new_sum;
	}
}

const struct sched_ops sched_wrr_ops = {
	.name = "wrr",
	.kind = XLB_SCHED_KIND_RING,
	.cls = SCHED_CLASS_RING,
	.build_ring = sched_wrr_build_ring,
	.pick = sched_ring_pick,
};
