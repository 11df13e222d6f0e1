// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The rr and wrr ring builders: the order in which the data plane hands out new flows. */
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
/* a real with id, weight and usable set, the rest zero */
#define R(id, w, ok) SCHED_REAL(id, w, ok)

static uint32_t ring[XLB_RING_MAX];

static size_t build(enum sched_id id, const struct sched_real *reals, size_t n, size_t ring_max)
{
	const struct sched_ops *ops = sched_get(id);

	assert_non_null(ops);
	assert_int_equal(ops->kind, XLB_SCHED_KIND_RING);
	/* poison, so a short write cannot pass for the expected ids */
	for (size_t i = 0; i < ARRAY_SIZE(ring); i++)
		ring[i] = 0xdeadbeef;
	return ops->build_ring(reals, n, ring, ring_max);
}

static void check_ring(const char *what, size_t len, const uint32_t *want, size_t want_len)
{
	bool same = len == want_len;

	for (size_t i = 0; same && i < len; i++)
		same = ring[i] == want[i];
	if (same)
		return;
	print_error("%s: ring of %zu:", what, len);
	for (size_t i = 0; i < len && i < 32; i++)
		print_error(" %u", ring[i]);
	print_error("\n%s: want %zu:", what, want_len);
	for (size_t i = 0; i < want_len; i++)
		print_error(" %u", want[i]);
	print_error("\n");
	fail();
}

static void test_lookup(void **state)
{
	(void)state;
	assert_int_equal(sched_lookup("rr"), SCHED_RR);
	assert_int_equal(sched_lookup("wrr"), SCHED_WRR);
	assert_int_equal(sched_lookup("lc"), SCHED_LC);
	assert_int_equal(sched_lookup("mh"), SCHED_MH);
	assert_int_equal(sched_lookup("lblc"), SCHED_LBLC);
	assert_int_equal(sched_lookup("lblcr"), SCHED_LBLCR);
	assert_ptr_equal(sched_get(SCHED_RR), &sched_rr_ops);
	assert_ptr_equal(sched_get(SCHED_WRR), &sched_wrr_ops);
	assert_null(sched_get(SCHED__COUNT));
}

static void test_rr_config_order(void **state)
{
	static const struct sched_real reals[] = { R(7, 1, true), R(3, 5, true), R(9, 100, true) };
	static const uint32_t want[] = { 7, 3, 9 };

	(void)state;
	/* rr ignores weights beyond zero / non-zero: one slot each */
	check_ring("rr", build(SCHED_RR, reals, ARRAY_SIZE(reals), XLB_RING_MAX), want,
		   ARRAY_SIZE(want));
}

static void test_rr_skips_drained_and_unusable(void **state)
{
	static const struct sched_real reals[] = {
		R(1, 1, true), R(2, 0, true), /* draining: keeps flows, gets no new ones */
		R(3, 1, false), /* MAC unknown */
		R(4, 2, true),
	};
	static const struct sched_real none[] = { R(1, 0, true), R(2, 1, false) };
	static const uint32_t want[] = { 1, 4 };

	(void)state;
	check_ring("rr skip", build(SCHED_RR, reals, ARRAY_SIZE(reals), XLB_RING_MAX), want,
		   ARRAY_SIZE(want));
	assert_int_equal(build(SCHED_RR, none, ARRAY_SIZE(none), XLB_RING_MAX), 0);
	assert_int_equal(build(SCHED_RR, NULL, 0, XLB_RING_MAX), 0);
}

static void test_rr_ring_bound(void **state)
{
	static const struct sched_real reals[] = { R(1, 1, true), R(2, 1, true), R(3, 1, true) };
	static const uint32_t want[] = { 1, 2 };

	(void)state;
	check_ring("rr bound", build(SCHED_RR, reals, ARRAY_SIZE(reals), 2), want, ARRAY_SIZE(want));
	assert_int_equal(ring[2], 0xdeadbeef);
}

/*
 * Sequences worked by hand from ip_vs_wrr_schedule(): cw starts at the max
 * weight, each wrap of the scan lowers it by the gcd (back to max at <= 0),
 * and a real is picked when its weight >= cw.
 */
static void test_wrr_ipvs_sequence(void **state)
{
	static const struct {
		const char *what;
		struct sched_real reals[4];
		size_t n;
		uint32_t want[12];
		size_t want_len;
	} cases[] = {
		/* cw 4: A; cw 3: A B; cw 2: A B C; cw 1: A B C */
		{ "4,3,2", { R(1, 4, true), R(2, 3, true), R(3, 2, true) }, 3,
		  { 1, 1, 2, 1, 2, 3, 1, 2, 3 }, 9 },
		/* cw 3: A; cw 2: A B; cw 1: A B C */
		{ "3,2,1", { R(1, 3, true), R(2, 2, true), R(3, 1, true) }, 3,
		  { 1, 1, 2, 1, 2, 3 }, 6 },
		/* gcd 2: cw 6, 4, 2, the same period of 6 as 3,2,1 */
		{ "6,4,2", { R(1, 6, true), R(2, 4, true), R(3, 2, true) }, 3,
		  { 1, 1, 2, 1, 2, 3 }, 6 },
		/* gcd 50: cw 100, 50 */
		{ "100,50", { R(1, 100, true), R(2, 50, true) }, 2, { 1, 1, 2 }, 3 },
		/* gcd 5: equal weights degrade to rr */
		{ "5,5,5", { R(1, 5, true), R(2, 5, true), R(3, 5, true) }, 3, { 1, 2, 3 }, 3 },
		/* the heaviest real last: cw 3: C; cw 2: B C; cw 1: A B C */
		{ "1,2,3", { R(1, 1, true), R(2, 2, true), R(3, 3, true) }, 3,
		  { 3, 2, 3, 1, 2, 3 }, 6 },
		/* weight 0 and unusable reals are not scanned: 2,1 over ids 1 and 4 */
		{ "2,0,-,1", { R(1, 2, true), R(2, 0, true), R(3, 9, false), R(4, 1, true) }, 4,
		  { 1, 1, 4 }, 3 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		check_ring(cases[i].what,
			   build(SCHED_WRR, cases[i].reals, cases[i].n, XLB_RING_MAX),
			   cases[i].want, cases[i].want_len);
}

static void test_wrr_nothing_usable(void **state)
{
	static const struct sched_real reals[] = { R(1, 0, true), R(2, 3, false) };

	(void)state;
	assert_int_equal(build(SCHED_WRR, reals, ARRAY_SIZE(reals), XLB_RING_MAX), 0);
	assert_int_equal(build(SCHED_WRR, NULL, 0, XLB_RING_MAX), 0);
}

/*
 * A period (sum of weights / gcd) longer than the ring is scaled down: the
 * ring still fits, every usable real keeps a slot, and each real's share of
 * the ring is within one slot of its exact weighted share.
 */
static void check_scaled(const char *what, const struct sched_real *reals, size_t n,
			 size_t ring_max)
{
	size_t len = build(SCHED_WRR, reals, n, ring_max);
	uint64_t sum = 0;

	if (len == 0 || len > ring_max)
		fail_msg("%s: ring length %zu for %zu slots", what, len, ring_max);
	assert_int_equal(ring[len], 0xdeadbeef);
	for (size_t i = 0; i < n; i++)
		sum += reals[i].usable ? reals[i].weight : 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t w = reals[i].usable ? reals[i].weight : 0;
		uint64_t got = 0;
		double exact = (double)w * len / sum, diff;

		for (size_t j = 0; j < len; j++)
			got += ring[j] == reals[i].real_id;
		diff = (double)got - exact;
		if (w && !got)
			fail_msg("%s: real %u has no slot", what, reals[i].real_id);
		if (diff <= -1.0 || diff >= 1.0)
			fail_msg("%s: real %u has %llu of %zu slots, exact share %.2f", what,
				 reals[i].real_id, (unsigned long long)got, len, exact);
	}
}

static void test_wrr_scaled_to_ring(void **state)
{
	/* coprime weights: period 1751, ring 100 */
	static const struct sched_real small[] = { R(1, 1001, true), R(2, 500, true),
						   R(3, 250, true) };
	/* period 15012 over the real ring size, with a real too light for a whole slot */
	static const struct sched_real big[] = { R(1, 10007, true), R(2, 5003, true),
						 R(3, 2, true) };
	struct sched_real many[40];

	(void)state;
	check_scaled("1001,500,250 in 100", small, ARRAY_SIZE(small), 100);
	check_scaled("10007,5003,2 in 4096", big, ARRAY_SIZE(big), XLB_RING_MAX);
	/* 40 reals of prime-ish weights 1009, 1012, ..., period ~44000 */
	for (size_t i = 0; i < ARRAY_SIZE(many); i++)
		many[i] = (struct sched_real){ .real_id = 100 + i, .weight = 1009 + 3 * i,
					       .usable = i % 7 != 3 };
	check_scaled("40 reals in 4096", many, ARRAY_SIZE(many), XLB_RING_MAX);
}

/* A period that fits is used as is: no scaling, exact shares. */
static void test_wrr_exact_when_fits(void **state)
{
	static const struct sched_real reals[] = { R(1, 2000, true), R(2, 1000, true),
						   R(3, 1, true) };
	unsigned int got[3] = { 0 };
	size_t len;

	(void)state;
	len = build(SCHED_WRR, reals, ARRAY_SIZE(reals), XLB_RING_MAX);
	assert_int_equal(len, 3001);
	for (size_t i = 0; i < len; i++) {
		assert_in_range(ring[i], 1, 3);
		got[ring[i] - 1]++;
	}
	assert_int_equal(got[0], 2000);
	assert_int_equal(got[1], 1000);
	assert_int_equal(got[2], 1);
}

/*
 * The table: every IPVS scheduler, each with what its class needs. Only
 * what the data plane runs is visible to sched_get()/sched_lookup(), so
 * config keeps listing "rr, wrr" and refusing the rest by name.
 */
static void test_table(void **state)
{
	static const char *const names[SCHED__COUNT] = {
		"rr", "wrr", "lc",   "wlc", "sed", "nq", "sh",
		"dh", "mh",  "lblc", "lblcr", "fo", "ovf", "twos",
	};

	(void)state;
	for (int i = 0; i < SCHED__COUNT; i++) {
		const struct sched_ops *ops = sched_get((enum sched_id)i);

		assert_non_null(ops);
		assert_string_equal(ops->name, names[i]);
		assert_int_equal(sched_lookup(names[i]), i);
		assert_non_null(ops->pick);
		switch (ops->cls) {
		case SCHED_CLASS_RING:
			assert_non_null(ops->build_ring);
			assert_null(ops->build_table);
			break;
		case SCHED_CLASS_TABLE:
			assert_non_null(ops->build_table);
			assert_true(ops->table_size > 0);
			assert_null(ops->build_ring);
			break;
		case SCHED_CLASS_CONN:
		case SCHED_CLASS_LOCALITY:
			assert_null(ops->build_ring);
			assert_null(ops->build_table);
			break;
		default:
			fail_msg("%s: unknown class %d", ops->name, ops->cls);
		}
		assert_true(ops->kind < XLB_SCHED_KIND__COUNT);
	}
	assert_null(sched_get(SCHED__COUNT));
	assert_int_equal(sched_lookup("fancy"), -1);
}

/* rr and wrr picks: the ring walked with a cursor, as the data plane does. */
static void test_ring_pick(void **state)
{
	static const struct sched_real reals[] = { R(31, 3, true), R(32, 2, true),
						   R(33, 1, true), R(34, 5, false) };
	static const char want[] = "AABABCAABABC";
	const struct sched_ops *ops = sched_get(SCHED_WRR);
	struct sched_ctx ctx = { .table = ring, .cursor = &(uint64_t){ 0 } };

	(void)state;
	ctx.table_len = ops->build_ring(reals, ARRAY_SIZE(reals), ring, XLB_RING_MAX);
	assert_int_equal(ctx.table_len, 6);
	for (size_t i = 0; i < sizeof(want) - 1; i++)
		assert_int_equal(ops->pick(reals, ARRAY_SIZE(reals), &ctx), want[i] - 'A');
	assert_int_equal(*ctx.cursor, 12);

	ops = sched_get(SCHED_RR);
	*ctx.cursor = 0;
	ctx.table_len = ops->build_ring(reals, ARRAY_SIZE(reals), ring, XLB_RING_MAX);
	for (size_t i = 0; i < 7; i++)
		assert_int_equal(ops->pick(reals, ARRAY_SIZE(reals), &ctx), (int)(i % 3));

	ctx.table_len = 0;
	assert_int_equal(ops->pick(reals, ARRAY_SIZE(reals), &ctx), -ENOENT);
	ctx.cursor = NULL;
	assert_int_equal(ops->pick(reals, ARRAY_SIZE(reals), &ctx), -EINVAL);
	assert_int_equal(ops->pick(reals, ARRAY_SIZE(reals), NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_rr_config_order),
		cmocka_unit_test(test_rr_skips_drained_and_unusable),
		cmocka_unit_test(test_rr_ring_bound),
		cmocka_unit_test(test_wrr_ipvs_sequence),
		cmocka_unit_test(test_wrr_nothing_usable),
		cmocka_unit_test(test_wrr_scaled_to_ring),
		cmocka_unit_test(test_wrr_exact_when_fits),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_ring_pick),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
