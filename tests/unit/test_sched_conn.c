// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* lc, wlc, sed, nq, fo, ovf, twos: exact IPVS pick sequences, worked by hand. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sched/sched.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

typedef int (*pick_fn)(const struct sched_real *reals, size_t n);

/* A real with weight and counts; ids are 'A', 'B', ... so sequences read as letters. */
#define R(id, w, act, inact) \
	{ .real_id = (id), .weight = (w), .usable = true, .active = (act), .inactive = (inact) }

/*
 * Runs @steps picks; after each, the picked real gains one active
 * connection (as once the new connection is established: IPVS counts it
 * inactive until then). Writes the picked ids as a string ('-' for no
 * real) and checks it against @want.
 */
static void check_sequence(const char *what, pick_fn pick, struct sched_real *reals, size_t n,
			   const char *want)
{
	size_t steps = strlen(want);
	char got[64];

	assert_true(steps < sizeof(got));
	for (size_t s = 0; s < steps; s++) {
		int i = pick(reals, n);

		if (i < 0) {
			assert_int_equal(i, -ENOENT);
			got[s] = '-';
			continue;
		}
		assert_in_range(i, 0, n - 1);
		got[s] = (char)reals[i].real_id;
		reals[i].active++;
	}
	got[steps] = '\0';
	if (strcmp(got, want) != 0)
		fail_msg("%s: picked %s, want %s", what, got, want);
}

static int twos_first(const struct sched_real *reals, size_t n);

/* What every count scheduler must do at the edges. */
static void check_edges(const char *what, pick_fn pick)
{
	struct sched_real zero[] = { R('A', 0, 0, 0), R('B', 0, 0, 0) };
	struct sched_real down[] = { R('A', 1, 0, 0), R('B', 5, 0, 0) };
	/* counts within the weight, so that ovf may pick too */
	struct sched_real one[] = { R('A', 3, 2, 9) };
	struct sched_real mixed[] = { R('A', 0, 0, 0), R('B', 9, 0, 0), R('C', 2, 2, 900) };

	down[0].usable = down[1].usable = false;
	mixed[1].usable = false;
	if (pick(NULL, 0) != -ENOENT)
		fail_msg("%s: no reals", what);
	if (pick(zero, ARRAY_SIZE(zero)) != -ENOENT)
		fail_msg("%s: all weight 0", what);
	if (pick(down, ARRAY_SIZE(down)) != -ENOENT)
		fail_msg("%s: all unusable", what);
	if (pick(one, ARRAY_SIZE(one)) != 0)
		fail_msg("%s: single real", what);
	/* drained A and unusable B are idle, yet only the busy C may be picked */
	if (pick(mixed, ARRAY_SIZE(mixed)) != 2)
		fail_msg("%s: drained and unusable reals must be skipped", what);
}

static void test_edges(void **state)
{
	(void)state;
	check_edges("lc", sched_lc_pick);
	check_edges("wlc", sched_wlc_pick);
	check_edges("sed", sched_sed_pick);
	check_edges("nq", sched_nq_pick);
	check_edges("fo", sched_fo_pick);
	check_edges("ovf", sched_ovf_pick);
	check_edges("twos", twos_first);
}

/*
 * lc: least active * 256 + inactive, weights ignored.
 *   start A 1/10 = 266, B 0/300 = 300, C 1/0 = 256   (active/inactive = overhead)
 *   1: C (256)        -> C 512
 *   2: A (266)        -> A 522
 *   3: B (300)        -> B 556
 *   4: C (512)        -> C 768
 *   5: A (522)        -> A 778
 *   6: B (556)
 * 300 inactive connections weigh about one active one.
 */
static void test_lc_sequence(void **state)
{
	struct sched_real reals[] = { R('A', 1, 1, 10), R('B', 100, 0, 300), R('C', 5, 1, 0) };

	(void)state;
	check_sequence("lc", sched_lc_pick, reals, ARRAY_SIZE(reals), "CABCAB");
}

/* lc ties: equal overheads go to the first in list order, whatever the weights. */
static void test_lc_ties(void **state)
{
	struct sched_real reals[] = { R('A', 1, 0, 0), R('B', 100, 0, 0), R('C', 7, 0, 0) };

	(void)state;
	/* 0,0,0 -> A; 1,0,0 -> B; 1,1,0 -> C; then round again */
	check_sequence("lc ties", sched_lc_pick, reals, ARRAY_SIZE(reals), "ABCABC");
}

/*
 * wlc, weights 4,3,2 from idle, 9 picks. Loads = 256 * active / weight:
 *   1: A 0   B 0   C 0    -> A (all equal: first)
 *   2: A 64  B 0   C 0    -> B (B, C equal: first)
 *   3: A 64  B 85  C 0    -> C
 *   4: A 64  B 85  C 128  -> A
 *   5: A 128 B 85  C 128  -> B
 *   6: A 128 B 171 C 128  -> A (A, C equal: first)
 *   7: A 192 B 171 C 128  -> C
 *   8: A 192 B 171 C 256  -> B
 *   9: A 192 B 256 C 256  -> A
 * ending at 4,3,2 active: the weights.
 */
static void test_wlc_sequence(void **state)
{
	struct sched_real reals[] = { R('A', 4, 0, 0), R('B', 3, 0, 0), R('C', 2, 0, 0) };

	(void)state;
	check_sequence("wlc 4,3,2", sched_wlc_pick, reals, ARRAY_SIZE(reals), "ABCABACBA");
}

/*
 * wlc with inactive connections, a drained and an unusable real:
 *   A weight 0 (drained, idle), B unusable (idle), C w1 2/0 = 512, D w2 3/100 = 868
 *   1: C 512/1 = 512, D 868/2 = 434          -> D (D 1124 -> 562)
 *   2: C 512, D 562                          -> C (C 768)
 *   3: C 768, D 562                          -> D (D 1380 -> 690)
 *   4: C 768, D 690                          -> D (D 1636 -> 818)
 *   5: C 768, D 818                          -> C
 */
static void test_wlc_inactive_and_skips(void **state)
{
	struct sched_real reals[] = { R('A', 0, 0, 0), R('B', 5, 0, 0), R('C', 1, 2, 0),
				      R('D', 2, 3, 100) };

	(void)state;
	reals[1].usable = false;
	check_sequence("wlc skips", sched_wlc_pick, reals, ARRAY_SIZE(reals), "DCDDC");
}

/*
 * sed, weights 1,2,3 from idle. Loads = (active + 1) / weight:
 *   1: A 1   B 1/2 C 1/3  -> C
 *   2: A 1   B 1/2 C 2/3  -> B
 *   3: A 1   B 1   C 2/3  -> C
 *   4: A 1   B 1   C 1    -> A (all equal: first)
 *   5: A 2   B 1   C 1    -> B (B, C equal: first)
 *   6: A 2   B 3/2 C 1    -> C
 * wlc would send the first to A (all idle are equal to it); sed counts the
 * new job and prefers the idle real that serves it fastest.
 */
static void test_sed_sequence(void **state)
{
	struct sched_real reals[] = { R('A', 1, 0, 0), R('B', 2, 0, 0), R('C', 3, 0, 0) };

	(void)state;
	check_sequence("sed 1,2,3", sched_sed_pick, reals, ARRAY_SIZE(reals), "CBCABC");
}

/* sed ignores inactive connections; wlc does not. */
static void test_sed_ignores_inactive(void **state)
{
	struct sched_real reals[] = { R('A', 1, 0, 1000), R('B', 1, 0, 0) };

	(void)state;
	assert_int_equal(sched_sed_pick(reals, ARRAY_SIZE(reals)), 0); /* tie: first */
	assert_int_equal(sched_wlc_pick(reals, ARRAY_SIZE(reals)), 1);
}

/*
 * nq with active counts 1,0,2 and weights 1,2,3:
 *   1: B is idle                                  -> B
 *   2: none idle; sed 2/1, 2/2, 3/3               -> B (B, C equal: first)
 *   3: sed 2/1, 3/2, 3/3                          -> C
 *   4: sed 2/1, 3/2, 4/3                          -> C
 *   5: sed 2/1, 3/2, 5/3                          -> B
 *   6: sed 2/1, 4/2, 5/3                          -> C
 */
static void test_nq_sequence(void **state)
{
	struct sched_real reals[] = { R('A', 1, 1, 0), R('B', 2, 0, 0), R('C', 3, 2, 0) };

	(void)state;
	check_sequence("nq", sched_nq_pick, reals, ARRAY_SIZE(reals), "BBCCBC");
}

/*
 * nq vs sed: A weight 1 idle, B weight 10 with one active. sed: A 1/1,
 * B 2/10 -> B. nq: A is idle -> A, even though it is slow. The first idle
 * real in list order wins even when a later idle one is heavier, and
 * inactive connections do not make a real busy.
 */
static void test_nq_idle_first(void **state)
{
	struct sched_real reals[] = { R('A', 1, 0, 0), R('B', 10, 1, 0) };
	struct sched_real idle[] = { R('A', 1, 3, 0), R('B', 1, 0, 500), R('C', 50, 0, 0) };

	(void)state;
	assert_int_equal(sched_sed_pick(reals, ARRAY_SIZE(reals)), 1);
	assert_int_equal(sched_nq_pick(reals, ARRAY_SIZE(reals)), 0);
	assert_int_equal(sched_nq_pick(idle, ARRAY_SIZE(idle)), 1);
}

/* fo: highest weight among usable reals, first of equals; counts do not matter. */
static void test_fo(void **state)
{
	struct sched_real reals[] = { R('A', 5, 0, 0), R('B', 10, 1000000, 0), R('C', 10, 0, 0),
				      R('D', 7, 0, 0) };

	(void)state;
	assert_int_equal(sched_fo_pick(reals, ARRAY_SIZE(reals)), 1); /* B: first of the 10s */
	reals[1].usable = false;
	assert_int_equal(sched_fo_pick(reals, ARRAY_SIZE(reals)), 2); /* B down: C */
	reals[2].weight = 0;
	assert_int_equal(sched_fo_pick(reals, ARRAY_SIZE(reals)), 3); /* C drained: D */
	reals[1].usable = true;
	assert_int_equal(sched_fo_pick(reals, ARRAY_SIZE(reals)), 1); /* B back: B at once */
	/* and a sequence: fo never spreads */
	check_sequence("fo", sched_fo_pick, reals, ARRAY_SIZE(reals), "BBBBB");
}

/*
 * ovf: weights A 2, B 3 from idle. The highest weight whose active count
 * does not exceed its weight:
 *   B at 0,1,2,3 active (3 <= 3 still takes one)   -> B B B B
 *   B at 4 > 3: overflow to A at 0,1,2              -> A A A
 *   A at 3 > 2, B at 4 > 3: nothing                 -> -
 */
static void test_ovf_threshold(void **state)
{
	struct sched_real reals[] = { R('A', 2, 0, 0), R('B', 3, 0, 0) };

	(void)state;
	check_sequence("ovf 2,3", sched_ovf_pick, reals, ARRAY_SIZE(reals), "BBBBAAA--");
	/* a real coming back below its weight takes traffic again */
	reals[1].active = 3;
	assert_int_equal(sched_ovf_pick(reals, ARRAY_SIZE(reals)), 1);
	/* first of equal weights; inactive connections do not count */
	struct sched_real eq[] = { R('A', 4, 4, 900), R('B', 4, 0, 0) };
	assert_int_equal(sched_ovf_pick(eq, ARRAY_SIZE(eq)), 0);
}

/* The smallest raw draw that sched_rand_below() maps to @k for @ceil. */
static uint32_t draw_for(uint64_t k, uint64_t ceil)
{
	uint32_t r = (uint32_t)((((sched_u128)k << 32) + ceil - 1) / ceil);

	assert_int_equal(sched_rand_below(r, ceil), k);
	return r;
}

/*
 * twos with given draws. Weights A 1, B 2, C 3: total 6, draws in [0, 6].
 * Walking A, B, C and subtracting weights, the first real that brings the
 * draw to <= 0: 0 -> A (-1), 1 -> A (0), 2 -> B, 3 -> B (0), 4 -> C,
 * 5 -> C, 6 -> C (0). So A takes 2 of 7 draws: (w + 1) / (total + 1).
 * Loads: A 1 active (256), B idle (0), C 5 active (1280).
 *   draws 0, 2 -> A, B: 2 * 256 > 1 * 0       -> B (less loaded)
 *   draws 2, 0 -> B, A: 1 * 0 > 2 * 256? no   -> B (choice1 kept)
 *   draws 4, 1 -> C, A: 1 * 1280 > 3 * 256    -> A
 *   draws 6, 5 -> C, C                        -> C
 */
static void test_twos_draws(void **state)
{
	struct sched_real reals[] = { R('A', 1, 1, 0), R('B', 2, 0, 0), R('C', 3, 5, 0) };
	static const struct {
		uint64_t d1, d2;
		int want;
	} cases[] = {
		{ 0, 2, 1 }, { 2, 0, 1 }, { 4, 1, 0 }, { 6, 5, 2 }, { 1, 1, 0 }, { 3, 6, 1 },
	};
	static const int walk[7] = { 0, 0, 1, 1, 2, 2, 2 };
	struct sched_real idle[] = { R('A', 1, 0, 0), R('B', 2, 0, 0), R('C', 3, 0, 0) };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int got = sched_twos_pick(reals, ARRAY_SIZE(reals), draw_for(cases[i].d1, 7),
					  draw_for(cases[i].d2, 7));

		if (got != cases[i].want)
			fail_msg("twos draws %llu,%llu: got %d want %d",
				 (unsigned long long)cases[i].d1, (unsigned long long)cases[i].d2,
				 got, cases[i].want);
	}
	/* with equal loads (all idle) the pick is choice1: the walk of the first draw */
	for (uint64_t d = 0; d < 7; d++)
		assert_int_equal(sched_twos_pick(idle, ARRAY_SIZE(idle), draw_for(d, 7),
						 draw_for(6 - d, 7)),
				 walk[d]);
	/* the extremes of a raw u32 */
	assert_int_equal(sched_twos_pick(idle, ARRAY_SIZE(idle), 0, 0), 0);
	assert_int_equal(sched_twos_pick(idle, ARRAY_SIZE(idle), UINT32_MAX, UINT32_MAX), 2);
}

/* twos with both draws 0: choice1 = choice2 = the first real of non-zero weight */
static int twos_first(const struct sched_real *reals, size_t n)
{
	return sched_twos_pick(reals, n, 0, 0);
}

/* twos through its ops with a seeded PRNG: reproducible, and shares follow weights. */
static void test_twos_seeded(void **state)
{
	const struct sched_ops *ops = sched_get(SCHED_TWOS);
	struct sched_real reals[] = { R('A', 1, 0, 0), R('B', 2, 0, 0), R('C', 3, 0, 0) };
	struct sched_rand r1, r2, r3;
	struct sched_ctx c1 = { .rand = &r1 }, c2 = { .rand = &r2 }, c3 = { .rand = &r3 };
	char s1[65], s2[65], s3[65];
	unsigned int count[3] = { 0 };

	(void)state;
	assert_non_null(ops);
	sched_rand_seed(&r1, 42);
	sched_rand_seed(&r2, 42);
	sched_rand_seed(&r3, 43);
	for (int i = 0; i < 64; i++) {
		s1[i] = (char)reals[ops->pick(reals, 3, &c1)].real_id;
		s2[i] = (char)reals[ops->pick(reals, 3, &c2)].real_id;
		s3[i] = (char)reals[ops->pick(reals, 3, &c3)].real_id;
	}
	s1[64] = s2[64] = s3[64] = '\0';
	assert_string_equal(s1, s2); /* same seed, same picks */
	assert_string_not_equal(s1, s3);
	/*
	 * Seed 42's first draws are 0xbdd73226, 0x28efe333 (splitmix64, upper
	 * halves): 0xbdd73226 * 7 >> 32 = 5 -> C, 0x28efe333 * 7 >> 32 = 1 -> A;
	 * idle, so choice1: C.
	 */
	assert_int_equal(s1[0], 'C');

	/* idle reals: the pick is choice1, drawn with P = 2/7, 2/7, 3/7 */
	sched_rand_seed(&r1, 7);
	for (int i = 0; i < 70000; i++)
		count[ops->pick(reals, 3, &c1)]++;
	print_message("twos idle 1:2:3 over 70000: %u %u %u (expect 20000 20000 30000)\n",
		      count[0], count[1], count[2]);
	assert_in_range(count[0], 19400, 20600);
	assert_in_range(count[1], 19400, 20600);
	assert_in_range(count[2], 29400, 30600);

	/* a PRNG is required; nothing is drawn when nothing can be picked */
	assert_int_equal(ops->pick(reals, 3, &(struct sched_ctx){ 0 }), -EINVAL);
	reals[0].usable = reals[1].usable = reals[2].usable = false;
	sched_rand_seed(&r1, 5);
	assert_int_equal(ops->pick(reals, 3, &c1), -ENOENT);
	assert_int_equal(r1.state, 5);
}

/* The PRNG itself: splitmix64's published first output for seed 0. */
static void test_rand(void **state)
{
	struct sched_rand r;

	(void)state;
	sched_rand_seed(&r, 0);
	assert_int_equal(sched_rand_u32(&r), 0xe220a839u);
	assert_int_equal(sched_rand_below(0, 7), 0);
	assert_int_equal(sched_rand_below(UINT32_MAX, 7), 6);
	assert_int_equal(sched_rand_below(UINT32_MAX, 1ull << 40), (1ull << 40) - 256);
}

/*
 * Counts and weights at their limits: products need 73 bits, which 64-bit
 * arithmetic would wrap. Loads are exact:
 *   A: w 2^32-1, active 2^32-1            -> 256 * (2^32-1) / (2^32-1) = 256
 *   B: w 2^32-2, active 2^32-2, inact 1   -> 256 + 1 / (2^32-2), just above
 * so wlc prefers A in either order. sed: A (2^32-2 + 1) / (2^32-1) = 1,
 * B (1 + 1) / 1 = 2 -> A.
 */
static void test_large_counts(void **state)
{
	struct sched_real wlc[] = { R('B', UINT32_MAX - 1, UINT32_MAX - 1, 1),
				    R('A', UINT32_MAX, UINT32_MAX, 0) };
	struct sched_real sed[] = { R('B', 1, 1, 0), R('A', UINT32_MAX, UINT32_MAX - 1, 0) };
	struct sched_real lc[] = { R('B', 1, UINT32_MAX, 1), R('A', 1, UINT32_MAX, 0) };
	struct sched_real twos[] = { R('A', UINT32_MAX, UINT32_MAX, 0),
				     R('B', UINT32_MAX, UINT32_MAX - 1, UINT32_MAX),
				     R('C', UINT32_MAX, 0, 0) };

	(void)state;
	assert_int_equal(sched_wlc_pick(wlc, 2), 1);
	assert_int_equal(sched_sed_pick(sed, 2), 1);
	assert_int_equal(sched_nq_pick(sed, 2), 1);
	assert_int_equal(sched_lc_pick(lc, 2), 1);
	/* total weight 3 * (2^32-1) + 1 > 2^32: draws still map onto the walk */
	assert_int_equal(sched_twos_pick(twos, 3, 0, 0), 0);
	assert_int_equal(sched_twos_pick(twos, 3, UINT32_MAX, UINT32_MAX), 2);
	/* A (choice1) 2^40 - 256 vs B (choice2) 2^40 - 512 + 2^32 - 1: B is busier */
	assert_int_equal(
		sched_twos_pick(twos, 3, 0, draw_for(5000000000ull, 3ull * UINT32_MAX + 1)), 0);
	/* C idle beats A */
	assert_int_equal(sched_twos_pick(twos, 3, 0, UINT32_MAX), 2);
	struct sched_real ovf[] = { R('A', UINT32_MAX, UINT32_MAX, 0), R('B', 1, 0, 0) };
	assert_int_equal(sched_ovf_pick(ovf, 2), 0);
}

/* Every count scheduler through its ops entry: same answers, no ctx needed. */
static void test_ops(void **state)
{
	static const struct {
		enum sched_id id;
		pick_fn fn;
	} map[] = { { SCHED_LC, sched_lc_pick },   { SCHED_WLC, sched_wlc_pick },
		    { SCHED_SED, sched_sed_pick }, { SCHED_NQ, sched_nq_pick },
		    { SCHED_FO, sched_fo_pick },   { SCHED_OVF, sched_ovf_pick } };
	struct sched_real reals[] = { R('A', 3, 4, 1), R('B', 1, 0, 9), R('C', 5, 2, 2) };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
		const struct sched_ops *ops = sched_get(map[i].id);

		assert_non_null(ops);
		assert_int_equal(ops->cls, SCHED_CLASS_CONN);
		assert_ptr_equal(sched_get(map[i].id), ops);
		assert_int_equal(ops->pick(reals, 3, NULL), map[i].fn(reals, 3));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_lc_sequence),
		cmocka_unit_test(test_lc_ties),
		cmocka_unit_test(test_wlc_sequence),
		cmocka_unit_test(test_wlc_inactive_and_skips),
		cmocka_unit_test(test_sed_sequence),
		cmocka_unit_test(test_sed_ignores_inactive),
		cmocka_unit_test(test_nq_sequence),
		cmocka_unit_test(test_nq_idle_first),
		cmocka_unit_test(test_fo),
		cmocka_unit_test(test_ovf_threshold),
		cmocka_unit_test(test_twos_draws),
		cmocka_unit_test(test_twos_seeded),
		cmocka_unit_test(test_rand),
		cmocka_unit_test(test_large_counts),
		cmocka_unit_test(test_ops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
