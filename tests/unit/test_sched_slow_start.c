// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Slow start: the ramp as a pure function, and what it does to lc, wlc, sed and nq. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "sched/sched.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

typedef int (*pick_fn)(const struct sched_real *reals, size_t n);

#define R(id, w, act) { .real_id = (id), .weight = (w), .usable = true, .active = (act) }

static void test_progress(void **state)
{
	(void)state;
	/* no ramp configured, or ramp over: 0 (= full weight) */
	assert_int_equal(sched_slow_start_progress(0, 0), 0);
	assert_int_equal(sched_slow_start_progress(30000, 30000), 0);
	assert_int_equal(sched_slow_start_progress(UINT64_MAX, 30000), 0);
	/* the first instant already counts as ramping */
	assert_int_equal(sched_slow_start_progress(0, 30000), 1);
	assert_int_equal(sched_slow_start_progress(117, 30000), 1); /* 117 * 256 / 30000 = 0.99 */
	assert_int_equal(sched_slow_start_progress(118, 30000), 1); /* 1.006 */
	assert_int_equal(sched_slow_start_progress(235, 30000), 2);
	/* linear: half way is half */
	assert_int_equal(sched_slow_start_progress(15000, 30000), 128);
	assert_int_equal(sched_slow_start_progress(7500, 30000), 64);
	assert_int_equal(sched_slow_start_progress(29999, 30000), 255);
	/* huge durations do not overflow */
	assert_int_equal(sched_slow_start_progress(UINT64_MAX / 2, UINT64_MAX), 127);
}

static void test_weight(void **state)
{
	(void)state;
	/* settled: weight in 1/256 units */
	assert_int_equal(sched_slow_start_weight(10, 0), 2560);
	assert_int_equal(sched_slow_start_weight(65535, 0), 65535ull * 256);
	assert_int_equal(sched_slow_start_weight(UINT32_MAX, 0), (uint64_t)UINT32_MAX * 256);
	/* ramping: weight * progress / 256 of the full weight */
	assert_int_equal(sched_slow_start_weight(10, 128), 1280);
	assert_int_equal(sched_slow_start_weight(10, 1), 10);
	assert_int_equal(sched_slow_start_weight(1, 1), 1); /* a weight of 1 ramps too */
	assert_int_equal(sched_slow_start_weight(1, 255), 255);
	/* drained stays drained */
	assert_int_equal(sched_slow_start_weight(0, 0), 0);
	assert_int_equal(sched_slow_start_weight(0, 100), 0);
	/* the ramp is monotonic and meets the settled weight */
	for (uint64_t t = 0, prev = 0; t <= 30000; t += 100) {
		uint64_t w = sched_slow_start_weight(7, sched_slow_start_progress(t, 30000));

		assert_true(w >= prev);
		prev = w;
	}
}

/* How many of the next new connections go to B before the first goes to A. */
static unsigned int burst(pick_fn pick, struct sched_real *reals)
{
	unsigned int n = 0;

	for (;;) {
		int i = pick(reals, 2);

		assert_true(i == 0 || i == 1);
		reals[i].active++;
		if (i == 0)
			return n;
		n++;
	}
}

/*
 * A has 10 active connections; B (same weight 1) has just come up.
 *
 * wlc, loads 256 * active / w:
 *   no ramp:       B while 256 b < 2560           -> b = 0..9: 10 in a row
 *   progress 1:    B weight 1/256 of A's; B while 2560 * 1 > 256 b * 256,
 *                  only b = 0                      -> 1
 *   progress 128:  B while 2560 * 128 > 256 b * 256 -> b = 0..4: 5
 * lc, no weights: the same numbers, lc ramping as if every weight were 1.
 * sed, loads (active + 1) / w: A 11 / 256, B (b + 1) / (256 or ramp):
 *   no ramp:       B while 11 > b + 1              -> 10
 *   progress 1:    B while 11 * 1 > (b + 1) * 256  -> 0
 *   progress 128:  B while 11 * 128 > (b + 1) * 256 -> b + 1 < 5.5: 5
 * nq: B idle takes the first one whatever its ramp, then sed:
 *   no ramp:       10;  progress 1: 1;  progress 128: 5
 */
static void test_burst_to_new_real(void **state)
{
	static const struct {
		const char *name;
		pick_fn pick;
		unsigned int want[3]; /* no ramp, progress 1, progress 128 */
	} cases[] = {
		{ "wlc", sched_wlc_pick, { 10, 1, 5 } },
		{ "lc", sched_lc_pick, { 10, 1, 5 } },
		{ "sed", sched_sed_pick, { 10, 0, 5 } },
		{ "nq", sched_nq_pick, { 10, 1, 5 } },
	};
	static const uint16_t progress[3] = { 0, 1, 128 };

	(void)state;
	for (size_t c = 0; c < ARRAY_SIZE(cases); c++) {
		for (size_t p = 0; p < 3; p++) {
			struct sched_real reals[] = { R('A', 1, 10), R('B', 1, 0) };
			unsigned int got;

			reals[1].slow_start = progress[p];
			got = burst(cases[c].pick, reals);
			if (got != cases[c].want[p])
				fail_msg("%s progress %u: %u new connections in a row, want %u",
					 cases[c].name, progress[p], got, cases[c].want[p]);
		}
	}
}

/*
 * Over the ramp the new real's share grows: 10 settled reals of weight 1
 * with 100 active each and a new one, 1000 wlc picks at each progress p.
 * wlc evens out loads, so the new real ends near p / 256 of a settled
 * real's count: 2000 / (10 + p / 256) * p / 256, i.e. 24.7, 72.3, 117.6,
 * 160.9 for p = 32, 96, 160, 224.
 */
static void test_ramp_shares(void **state)
{
	unsigned int prev = 0;

	(void)state;
	for (unsigned int p = 32; p < SCHED_SS_ONE; p += 64) {
		struct sched_real reals[11];
		unsigned int got = 0;

		for (size_t i = 0; i < 10; i++)
			reals[i] = (struct sched_real)R('A' + i, 1, 100);
		reals[10] = (struct sched_real)R('N', 1, 100);
		reals[10].active = 0;
		reals[10].slow_start = (uint16_t)p;
		for (int k = 0; k < 1000; k++) {
			int i = sched_wlc_pick(reals, 11);

			reals[i].active++;
			got += i == 10;
		}
		double want = 2000.0 / (10.0 + p / 256.0) * p / 256.0;

		print_message("wlc slow start progress %3u/256: new real took %u of 1000 (%.1f)\n",
			      p, got, want);
		assert_true(got >= prev);
		assert_true(got >= want - 2 && got <= want + 2);
		prev = got;
	}
}

/* Without any ramping real, scaled weights give exactly the unscaled picks. */
static void test_no_ramp_is_ipvs(void **state)
{
	struct sched_real reals[] = { R('A', 3, 7), R('B', 5, 11), R('C', 1, 2), R('D', 4, 9) };

	(void)state;
	for (int k = 0; k < 200; k++) {
		int a = sched_wlc_pick(reals, 4), b = sched_wlc_least(reals, 4, false);

		assert_int_equal(a, b);
		reals[a].active++;
		reals[(k * 7) % 4].inactive += (uint32_t)k % 3;
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_progress),
		cmocka_unit_test(test_weight),
		cmocka_unit_test(test_burst_to_new_real),
		cmocka_unit_test(test_ramp_shares),
		cmocka_unit_test(test_no_ramp_is_ipvs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
