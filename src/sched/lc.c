// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Least connection (IPVS "lc", ip_vs_lc.c): the real with the least
 * overhead, active * 256 + inactive (an established connection is taken to
 * cost 256 times one in SYN, FIN or UDP state). Weights do not matter except
 * that 0 drains; unusable reals are skipped. Scanning in list order with a
 * strict "<", the first of equally loaded reals wins.
 *
 * Slow start: lc compares overhead / w with w = 1 for every real (in
 * 1/SCHED_SS_ONE units), except a ramping real whose w grows from 1/256 to 1,
 * so it looks proportionally busier while it warms up. Without a ramping real
 * every w is equal and the comparison is IPVS's doh < loh.
 */
#include "sched.h"

#include <errno.h>

int sched_lc_pick(const struct sched_real *reals, size_t n)
{
	uint64_t loh = 0, lw = 0;
	int least = -1;

	for (size_t i = 0; i < n; i++) {
		const struct sched_real *r = &reals[i];
		uint64_t doh, dw;

		if (!r->usable || !r->weight)
			continue;
		doh = sched_conn_overhead(r);
		dw = sched_slow_start_weight(1, r->slow_start);
		/* doh / dw < loh / lw, without dividing */
		if (least < 0 || sched_mul(doh, lw) < sched_mul(loh, dw)) {
			least = (int)i;
			loh = doh;
			lw = dw;
		}
	}
	return least >= 0 ? least : -ENOENT;
}

static int sched_lc_ops_pick(const struct sched_real *reals, size_t n, struct sched_ctx *ctx)
{
	(void)ctx;
	return sched_lc_pick(reals, n);
}

const struct sched_ops sched_lc_ops = {
	.name = "lc",
	.kind = XLB_SCHED_KIND_LC,
	.cls = SCHED_CLASS_CONN,
	.pick = sched_lc_ops_pick,
};
