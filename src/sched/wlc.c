// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Weighted least connection (IPVS "wlc", ip_vs_wlc.c, and the inner pick of
 * lblc and lblcr): the real with the least overhead / weight, overhead being
 * active * 256 + inactive.
 *
 * As IPVS does it: the first usable real of non-zero weight is the
 * candidate; every later usable real replaces it when
 * loh * dw > doh * lw (so a tie keeps the earlier real, and a weight-0 real,
 * which can never satisfy that, is never picked). Products are 128-bit, so
 * no count or weight can overflow them.
 *
 * With slow start, weights are sched_slow_start_weight(): every weight times
 * SCHED_SS_ONE, a ramping real's less. Scaling every weight alike changes no
 * comparison, so without a ramping real the picks are exactly IPVS's.
 */
#include "sched.h"

#include <errno.h>

static uint64_t sched_wlc_weight(const struct sched_real *r, bool slow_start)
{
	return slow_start ? sched_slow_start_weight(r->weight, r->slow_start) : r->weight;
}

int sched_wlc_least(const struct sched_real *reals, size_t n, bool slow_start)
{
	uint64_t loh, lw;
	size_t i, least;

	for (i = 0; i < n; i++)
		if (reals[i].usable && reals[i].weight > 0)
			break;
	if (i == n)
		return -ENOENT;
	least = i;
	loh = sched_conn_overhead(&reals[least]);
	lw = sched_wlc_weight(&reals[least], slow_start);

	for (i = least + 1; i < n; i++) {
		const struct sched_real *r = &reals[i];
		uint64_t doh, dw;

		if (!r->usable)
			continue;
		doh = sched_conn_overhead(r);
		dw = sched_wlc_weight(r, slow_start);
		if (sched_mul(loh, dw) > sched_mul(doh, lw)) {
			least = i;
			loh = doh;
			lw = dw;
		}
	}
	return (int)least;
}

int sched_wlc_pick(const struct sched_real *reals, size_t n)
{
	return sched_wlc_least(reals, n, true);
}

static int sched_wlc_ops_pick(const struct sched_real *reals, size_t n, struct sched_ctx *ctx)
{
	(void)ctx;
	return sched_wlc_pick(reals, n);
}

const struct sched_ops sched_wlc_ops = {
	.name = "wlc",
	.kind = XLB_SCHED_KIND_WLC,
	.cls = SCHED_CLASS_CONN,
	.pick = sched_wlc_ops_pick,
};
