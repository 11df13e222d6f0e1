// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Slow start for lc, wlc, sed and nq: a real that has just become usable
 * (added, back from a failed health check, or weight raised from 0) would
 * otherwise look idle to every least-connection scheduler and take every new
 * connection until its count caught up with the others: a cold cache, JIT or
 * connection pool flooded in one burst.
 *
 * So its weight ramps linearly over the service's slow_start duration, from
 * 1/256 of its weight to all of it (as HAProxy's slowstart and NGINX Plus's
 * slow_start do). The schedulers compare weights in units of 1/256
 * (SCHED_SS_ONE), so a weight of 1 ramps too, and as long as no real ramps
 * every weight is scaled alike and every pick is IPVS's own. lc has no
 * weights, so it ramps as if every usable real had weight 1.
 *
 * Why a ramp of the weight and not Kakao's "count it as if it had the
 * average active connections": the ramp is a pure function of the real's own
 * weight and age, needs no view of the other reals (so the data plane
 * compares the same numbers userspace computed once a second), composes with
 * the (overhead / weight) formulas as they are, and ends by itself.
 */
#include "sched.h"

uint16_t sched_slow_start_progress(uint64_t elapsed_ms, uint64_t ramp_ms)
{
	uint64_t p;

	if (!ramp_ms || elapsed_ms >= ramp_ms)
		return 0;
	/* elapsed < ramp, so p < SCHED_SS_ONE; at least 1 so "ramping" shows */
	p = (uint64_t)(((sched_u128)elapsed_ms * SCHED_SS_ONE) / ramp_ms);
	return p ? (uint16_t)p : 1;
}

uint64_t sched_slow_start_weight(uint32_t weight, uint16_t progress)
{
	if (!weight)
		return 0;
	if (!progress || progress >= SCHED_SS_ONE)
		return (uint64_t)weight * SCHED_SS_ONE;
	return (uint64_t)weight * progress; /* >= 1: both are */
}
