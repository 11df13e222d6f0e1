// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* lblc and lblcr: per-destination stickiness, overload moves, set growth and shrink, expiry. */
#include <arpa/inet.h>
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

#define R(id, w) { .real_id = (id), .weight = (w), .usable = true }

static struct xlb_addr v4(uint32_t a)
{
	struct xlb_addr x = { { htonl(a) } };

	return x;
}

static const uint32_t X = 0xc6336401, Y = 0xc6336402; /* 198.51.100.1, .2 */

/* lblc pick of destination @d at @t; the picked real gains an active connection. */
static char lblc(struct sched_real *reals, size_t n, struct sched_loc_cache *c, uint32_t d,
		 uint64_t t)
{
	struct xlb_addr a = v4(d);
	int i = sched_lblc_pick(reals, n, c, &a, t);

	if (i < 0)
		return '-';
	reals[i].active++;
	return (char)reals[i].real_id;
}

static char lblcr(struct sched_real *reals, size_t n, struct sched_loc_cache *c, uint32_t d,
		  uint64_t t)
{
	struct xlb_addr a = v4(d);
	int i = sched_lblcr_pick(reals, n, c, &a, t);

	if (i < 0)
		return '-';
	reals[i].active++;
	return (char)reals[i].real_id;
}

static void check_set(struct sched_loc_cache *c, uint32_t d, uint64_t t, const char *want)
{
	struct xlb_addr a = v4(d);
	struct sched_loc_entry *e = sched_loc_get(c, &a, t);
	char got[SCHED_LOC_SET_MAX + 1];

	assert_non_null(e);
	for (size_t k = 0; k < e->set_len; k++)
		got[k] = (char)e->set[k];
	got[e->set_len] = '\0';
	assert_string_equal(got, want);
}

/*
 * lblc, reals A weight 2, B weight 1, expiry 1000 ms:
 *   t0  X: no entry, wlc (both idle: first)                  -> A   A=1
 *   t1  X: cached A; 1 > 2? no                               -> A   A=2
 *   t2  Y: no entry, wlc A 512/2 = 256 vs B 0                -> B   B=1
 *   t3  X: A; 2 > 2? no                                      -> A   A=3
 *   t4  X: A 3 > 2, but no real has active*2 < weight        -> A   A=4
 *       (A 6 < 2? B 2 < 1? no)
 *   B's connection closes (B=0):
 *   t5  X: A 4 > 2 and B 0 < 1/2: overloaded; wlc -> B; X->B -> B   B=1
 *   t6  X: B; 1 > 1? no                                      -> B
 *   B down: t7 X: B unusable, wlc -> A; X->A                 -> A
 *   A down too: t8 X: nothing                                -> -
 */
static void test_lblc_sequence(void **state)
{
	struct sched_real reals[] = { R('A', 2), R('B', 1) };
	struct sched_loc_cache c;
	char got[16];
	size_t k = 0;

	(void)state;
	assert_int_equal(sched_loc_init(&c, 4, 1000), 0);
	got[k++] = lblc(reals, 2, &c, X, 0);
	got[k++] = lblc(reals, 2, &c, X, 1);
	got[k++] = lblc(reals, 2, &c, Y, 2);
	got[k++] = lblc(reals, 2, &c, X, 3);
	got[k++] = lblc(reals, 2, &c, X, 4);
	reals[1].active = 0;
	got[k++] = lblc(reals, 2, &c, X, 5);
	got[k++] = lblc(reals, 2, &c, X, 6);
	reals[1].usable = false;
	got[k++] = lblc(reals, 2, &c, X, 7);
	reals[0].usable = false;
	got[k++] = lblc(reals, 2, &c, X, 8);
	got[k] = '\0';
	assert_string_equal(got, "AABAABBA-");
	assert_int_equal(c.count, 2);
	check_set(&c, X, 8, "A");
	check_set(&c, Y, 8, "B");
	sched_loc_free(&c);
}

/*
 * lblc expiry: an entry idle for expire_ms is gone; a use refreshes it.
 * Weight 0 (drain) moves the destination like unavailability does.
 */
static void test_lblc_expiry_and_drain(void **state)
{
	/* weights high enough that nothing counts as overloaded here */
	struct sched_real reals[] = { R('A', 10), R('B', 10) };
	struct sched_loc_cache c;

	(void)state;
	assert_int_equal(sched_loc_init(&c, 4, 1000), 0);
	assert_int_equal(lblc(reals, 2, &c, X, 0), 'A'); /* A=1 */
	assert_int_equal(lblc(reals, 2, &c, X, 999), 'A'); /* idle 999: kept, refreshed; A=2 */
	assert_int_equal(lblc(reals, 2, &c, X, 1998), 'A'); /* idle 999 again; A=3 */
	/* idle 1000: gone; wlc now prefers idle B */
	assert_int_equal(lblc(reals, 2, &c, X, 2998), 'B');
	check_set(&c, X, 2998, "B");
	reals[1].weight = 0;
	assert_int_equal(lblc(reals, 2, &c, X, 2999), 'A');
	/* the periodic sweep drops what is idle */
	assert_int_equal(lblc(reals, 2, &c, Y, 3500), 'A');
	assert_int_equal(sched_loc_expire(&c, 3999), 1); /* X, idle 1000 */
	assert_int_equal(c.count, 1);
	assert_int_equal(sched_loc_expire(&c, 4499), 0);
	assert_int_equal(sched_loc_expire(&c, 4500), 1);
	assert_int_equal(c.count, 0);
	/* a cache is required */
	{
		struct xlb_addr a = v4(X);

		assert_int_equal(sched_lblc_pick(reals, 2, NULL, &a, 0), -EINVAL);
	}
	sched_loc_free(&c);
}

/*
 * lblcr, reals A weight 2, B 1, C 1, expiry 1000 ms:
 *   t0   X: no entry, wlc (all idle: first)                   -> A  {A}      A=1
 *   t10  X: min {A} = A; 1 > 2? no                             -> A  {A}      A=2
 *   A busy (A=5):
 *   t20  X: min = A; 5 > 2 and C 0 < 1/2: overloaded;
 *        wlc A 1280/2, B 0, C 0 -> B, added (newest first)     -> B  {B,A}    B=1
 *   t30  X: min: B 256/1 vs A 1280/2: 256*2 > 1280? no -> B;
 *        1 > 1? no                                             -> B           B=2
 *   t40  X: min B (512/1 vs 640); 2 > 1 and C 0 < 1/2;
 *        wlc A 640, B 512, C 0 -> C                            -> C  {C,B,A}  C=1
 *   t50  X: min C (256 vs 512, 640); 1 > 1? no                 -> C           C=2
 *   t1041 X: min C (512 = B's 512: first); set unchanged since t40 for more
 *        than 1000: drop the most loaded: C 512/1, B 512/1 (not more),
 *        A 1280/2 = 640 (more) -> A removed, lastmod 1041;
 *        C: 2 > 1, but no real under half its weight            -> C  {C,B}    C=3
 *   t1042 X: no shrink until lastmod + 1000; min: C 768/1 vs
 *        B 512/1 -> B; 2 > 1 but no real under half its weight  -> B  {C,B}
 */
static void test_lblcr_sequence(void **state)
{
	struct sched_real reals[] = { R('A', 2), R('B', 1), R('C', 1) };
	struct sched_loc_cache c;

	(void)state;
	assert_int_equal(sched_loc_init(&c, 4, 1000), 0);
	assert_int_equal(lblcr(reals, 3, &c, X, 0), 'A');
	check_set(&c, X, 0, "A");
	assert_int_equal(lblcr(reals, 3, &c, X, 10), 'A');
	reals[0].active = 5;
	assert_int_equal(lblcr(reals, 3, &c, X, 20), 'B');
	check_set(&c, X, 20, "BA");
	assert_int_equal(lblcr(reals, 3, &c, X, 30), 'B');
	assert_int_equal(lblcr(reals, 3, &c, X, 40), 'C');
	check_set(&c, X, 40, "CBA");
	assert_int_equal(lblcr(reals, 3, &c, X, 50), 'C');
	assert_int_equal(lblcr(reals, 3, &c, X, 1041), 'C');
	check_set(&c, X, 1041, "CB");
	assert_int_equal(lblcr(reals, 3, &c, X, 1042), 'B');
	check_set(&c, X, 1042, "CB");
	sched_loc_free(&c);
}

/*
 * The least-loaded member is chosen before the shrink, as in IPVS: with B
 * and A equally loaded (B 1/1, A 2/2) both scans take the first, B, so B
 * is removed and still used this once; the next pick finds {A}.
 * Members the service dropped leave the set; an unusable member is passed
 * over but stays.
 */
static void test_lblcr_shrink_and_members(void **state)
{
	struct sched_real reals[] = { R('A', 2), R('B', 1), R('C', 1) };
	struct sched_loc_cache c;
	struct xlb_addr a = v4(X);
	struct sched_loc_entry *e;

	(void)state;
	assert_int_equal(sched_loc_init(&c, 4, 1000), 0);
	e = sched_loc_add(&c, &a, 0); /* set last changed at 0 */
	e->lastuse = 900;
	e->set[0] = 'B';
	e->set[1] = 'A';
	e->set_len = 2;
	reals[0].active = 2;
	reals[1].active = 1;
	assert_int_equal(lblcr(reals, 3, &c, X, 1001), 'B'); /* now B=2 */
	check_set(&c, X, 1001, "A");
	/* {A}: A 2 > 2? no */
	assert_int_equal(lblcr(reals, 3, &c, X, 1002), 'A');

	/* C joins the set when A is overloaded; then C leaves the service */
	reals[0].active = 9;
	reals[2].active = 0;
	assert_int_equal(lblcr(reals, 3, &c, X, 1003), 'C');
	check_set(&c, X, 1003, "CA");
	assert_int_equal(lblcr(reals, 2, &c, X, 1004), 'A');
	check_set(&c, X, 1004, "A");

	/* an unusable member is skipped by the least-loaded scan */
	e = sched_loc_get(&c, &a, 1005);
	e->set[1] = 'B';
	e->set_len = 2; /* {A, B} */
	reals[0].active = 0;
	reals[0].usable = false;
	reals[1].active = 0;
	assert_int_equal(lblcr(reals, 3, &c, X, 1006), 'B');
	check_set(&c, X, 1006, "AB");
	/* nothing usable at all */
	reals[1].usable = false;
	reals[2].usable = false;
	assert_int_equal(lblcr(reals, 3, &c, X, 1007), '-');
	assert_int_equal(sched_lblcr_pick(reals, 3, NULL, &a, 0), -EINVAL);
	sched_loc_free(&c);
}

/* A set holds SCHED_LOC_SET_MAX reals; one more drops the oldest. */
static void test_lblcr_set_cap(void **state)
{
	struct sched_real reals[SCHED_LOC_SET_MAX + 1];
	struct sched_loc_cache c;
	struct xlb_addr a = v4(X);
	struct sched_loc_entry *e;

	(void)state;
	for (size_t i = 0; i <= SCHED_LOC_SET_MAX; i++)
		reals[i] = (struct sched_real)R(100 + (uint32_t)i, 1);
	assert_int_equal(sched_loc_init(&c, 4, 1000), 0);
	/* each pick overloads the newest member while the next real is idle */
	for (size_t i = 0; i <= SCHED_LOC_SET_MAX; i++) {
		int got = sched_lblcr_pick(reals, SCHED_LOC_SET_MAX + 1, &c, &a, i);

		assert_int_equal(got, (int)i);
		reals[i].active = 5;
	}
	e = sched_loc_get(&c, &a, 100);
	assert_int_equal(e->set_len, SCHED_LOC_SET_MAX);
	assert_int_equal(e->set[0], 100 + SCHED_LOC_SET_MAX);
	assert_int_equal(e->set[SCHED_LOC_SET_MAX - 1], 101); /* 100, the oldest, dropped */
	sched_loc_free(&c);
}

/*
 * The cache against a plain list model, through random gets and adds in a
 * small table (8 slots, 40 destinations), so probing, backward-shift
 * deletion, expiry, garbage collection of entries idle for 6 minutes and
 * LRU eviction all run many times. Time only moves forward, so last-use
 * times never tie and "least recently used" is unambiguous.
 */
struct model_entry {
	uint32_t addr;
	uint64_t lastuse;
};

struct model_stats {
	unsigned int hits, expiries, gcs, evictions;
};

static void run_cache_model(uint64_t expire, uint64_t seed, struct model_stats *st)
{
	struct model_entry model[8];
	size_t mn = 0;
	struct sched_loc_cache c;
	struct sched_rand rnd;
	uint64_t t = 1;

	assert_int_equal(sched_loc_init(&c, 3, expire), 0);
	sched_rand_seed(&rnd, seed);
	for (int op = 0; op < 20000; op++) {
		uint32_t d = 0x0a000000 + sched_rand_u32(&rnd) % 40;
		struct xlb_addr a = v4(d);
		struct sched_loc_entry *e;
		size_t m;

		t += 1 + sched_rand_u32(&rnd) % 90000;
		for (m = 0; m < mn && model[m].addr != d; m++)
			;
		if (m < mn && t - model[m].lastuse >= expire) {
			model[m] = model[--mn];
			m = mn;
			st->expiries++;
		}
		e = sched_loc_get(&c, &a, t);
		if (m < mn) {
			assert_non_null(e);
			assert_int_equal(e->set[0], d);
			e->lastuse = t;
			model[m].lastuse = t;
			st->hits++;
			continue;
		}
		assert_null(e);
		if (mn == 8) {
			size_t before = mn, lru = 0;

			for (size_t k = 0; k < mn;) {
				if (t - model[k].lastuse >= SCHED_LOC_GC_IDLE_MS)
					model[k] = model[--mn];
				else
					k++;
			}
			st->gcs += before != mn;
			if (mn == 8) {
				for (size_t k = 1; k < mn; k++)
					if (model[k].lastuse < model[lru].lastuse)
						lru = k;
				model[lru] = model[--mn];
				st->evictions++;
			}
		}
		e = sched_loc_add(&c, &a, t);
		e->set[0] = d;
		e->set_len = 1;
		model[mn++] = (struct model_entry){ d, t };
		assert_int_equal(c.count, mn);
		/* every live modelled entry is still found where probing looks */
		for (size_t k = 0; k < mn; k++) {
			struct xlb_addr b = v4(model[k].addr);
			struct sched_loc_entry *f;

			if (t - model[k].lastuse >= expire)
				continue; /* a lookup would drop it, as it would the model's */
			f = sched_loc_get(&c, &b, t);
			assert_non_null(f);
			assert_int_equal(f->set[0], model[k].addr);
		}
	}
	sched_loc_free(&c);
}

/*
 * The cache against a plain list model, through random gets and adds in a
 * small table (8 slots, 40 destinations), so probing, backward-shift
 * deletion (also in a full table), expiry, garbage collection of entries
 * idle for 6 minutes and LRU eviction all run many times. Time only moves
 * forward, so last-use times never tie and "least recently used" is
 * unambiguous. Expiry 10 minutes lets the 6-minute collection work; 2
 * minutes makes expiry the common way out.
 */
static void test_cache_model(void **state)
{
	struct model_stats st = { 0 };

	(void)state;
	run_cache_model(10 * 60 * 1000, 11, &st);
	run_cache_model(2 * 60 * 1000, 12, &st);
	print_message("cache model: %u hits, %u expiries, %u gc rounds, %u lru evictions\n",
		      st.hits, st.expiries, st.gcs, st.evictions);
	assert_true(st.hits > 1000 && st.expiries > 100 && st.gcs > 100 && st.evictions > 100);
}

static void test_cache_init(void **state)
{
	struct sched_loc_cache c;

	(void)state;
	assert_int_equal(sched_loc_init(&c, 0, 0), -EINVAL);
	assert_int_equal(sched_loc_init(&c, 25, 0), -EINVAL);
	assert_int_equal(sched_loc_init(&c, 10, 0), 0);
	assert_int_equal(c.expire_ms, SCHED_LOC_EXPIRE_MS);
	sched_loc_free(&c);
	sched_loc_free(&c); /* idempotent */
}

/* Both through their ops entries: the flow's destination is the key. */
static void test_ops(void **state)
{
	struct sched_real reals[] = { R('A', 1), R('B', 1) };
	struct sched_flow f = { 0 };
	struct sched_loc_cache c;
	struct sched_ctx ctx = { .flow = &f, .now_ms = 5 };

	(void)state;
	f.daddr = v4(X);
	for (enum sched_id id = SCHED_LBLC; id <= SCHED_LBLCR; id++) {
		const struct sched_ops *ops = sched_get(id);

		assert_int_equal(ops->cls, SCHED_CLASS_LOCALITY);
		ctx.cache = NULL;
		assert_int_equal(ops->pick(reals, 2, &ctx), -EINVAL);
		assert_int_equal(sched_loc_init(&c, 4, 0), 0);
		ctx.cache = &c;
		assert_int_equal(ops->pick(reals, 2, &ctx), 0);
		reals[0].active = 1;
		assert_int_equal(ops->pick(reals, 2, &ctx), 0); /* sticks to A */
		reals[0].active = 0;
		assert_int_equal(ops->pick(reals, 2, NULL), -EINVAL);
		sched_loc_free(&c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lblc_sequence),
		cmocka_unit_test(test_lblc_expiry_and_drain),
		cmocka_unit_test(test_lblcr_sequence),
		cmocka_unit_test(test_lblcr_shrink_and_members),
		cmocka_unit_test(test_lblcr_set_cap),
		cmocka_unit_test(test_cache_model),
		cmocka_unit_test(test_cache_init),
		cmocka_unit_test(test_ops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
