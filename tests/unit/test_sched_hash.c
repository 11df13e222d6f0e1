// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* sh, dh and mh: hash definitions, tables, fallbacks, Maglev distribution and disruption. */
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
#define M SCHED_MH_TAB_SIZE

#define R(id, w) { .real_id = (id), .weight = (w), .usable = true }

static struct sched_flow flow4(uint32_t saddr, uint16_t sport, uint32_t daddr)
{
	struct sched_flow f = { 0 };

	f.saddr.addr[0] = htonl(saddr);
	f.daddr.addr[0] = htonl(daddr);
	f.sport = htons(sport);
	f.dport = htons(80);
	return f;
}

/* Reals 10.0.0.1, 10.0.0.2, ... port 80, ids 1, 2, ... of the given weights. */
static void mh_reals(struct sched_real *reals, size_t n, const uint32_t *weight)
{
	for (size_t i = 0; i < n; i++) {
		reals[i] = (struct sched_real)R((uint32_t)i + 1, weight ? weight[i] : 1);
		reals[i].addr.addr[0] = htonl(0x0a000001 + (uint32_t)i);
		reals[i].port = htons(80);
	}
}

static void count_ids(const uint32_t *table, size_t size, uint32_t max_id, unsigned int *count)
{
	memset(count, 0, (max_id + 1) * sizeof(*count));
	for (size_t i = 0; i < size; i++) {
		assert_true(table[i] <= max_id);
		count[table[i]]++;
	}
}

/*
 * Known answers, so the data plane can check its hashes against the same
 * numbers (computed from the definitions by an independent Python port).
 */
static void test_hash_vectors(void **state)
{
	struct sched_flow f = flow4(0x0a000001, 12345, 0xc0a8010a);
	struct sched_flow g = flow4(0xc0a8010a, 40000, 0);
	struct sched_flow v6 = { 0 };
	struct xlb_addr real = { { htonl(0x0a000001) } };

	(void)state;
	/* hash_32(v, bits) = v * 0x61C88647 >> (32 - bits) */
	assert_int_equal(sched_hash_32(1, 8), 0x61);
	assert_int_equal(sched_hash_32(0, 8), 0);
	/* the kernel's jhash_1word() */
	assert_int_equal(sched_jhash_1word(0, 0), 0x049396b8);
	assert_int_equal(sched_jhash_1word(0x0a000001, SCHED_MH_SEED1), 0xbfac39c1);
	assert_int_equal(sched_jhash_1word(0x0a000001, SCHED_MH_SEED2), 0x0352a010);

	/* sh: 10.0.0.1 -> hash_32(0x0a000001, 8) = 39; with port 12345: hash_32(+12345) = 134 */
	assert_int_equal(sched_sh_hash(&f, 0, 0, 256), 39);
	assert_int_equal(sched_sh_hash(&f, SCHED_F_PORT, 0, 256), 134);
	assert_int_equal(sched_sh_hash(&f, 0, 250, 256), (250 + 39) & 255);
	/* IPv6 2001:db8::1 folds to 0x20010db8 ^ 1 = 0x20010db9 -> 63 */
	v6.saddr.addr[0] = htonl(0x20010db8);
	v6.saddr.addr[3] = htonl(1);
	assert_int_equal(sched_addr_fold(&v6.saddr), 0x20010db9);
	assert_int_equal(sched_sh_hash(&v6, 0, 0, 256), 63);
	/* dh hashes the destination: 192.168.1.10 -> 248 */
	assert_int_equal(sched_dh_hash(&f, 256), 248);

	/* mh: flow 192.168.1.10 -> bucket 27362; with source port 40000 -> 55725 */
	assert_int_equal(sched_mh_hash(&g.saddr, 0, 0, SCHED_MH_SEED1) % M, 27362);
	assert_int_equal(sched_mh_hash(&g.saddr, g.sport, 0, SCHED_MH_SEED1) % M, 55725);
	/* real 10.0.0.1:80: jhash(0x0a000051) -> offset 2803, skip 6045 */
	assert_int_equal(sched_mh_hash(&real, htons(80), 0, SCHED_MH_SEED1), 0xd4fbdfee);
	assert_int_equal(sched_mh_hash(&real, htons(80), 0, SCHED_MH_SEED1) % M, 2803);
	assert_int_equal(sched_mh_hash(&real, htons(80), 0, SCHED_MH_SEED2) % (M - 1) + 1, 6045);
}

/*
 * sh table, weights A 2, B 1, C 0, D 1 with D unusable: each real takes
 * max(weight, 1) buckets a round (C, weight 0, still one: IPVS moves on
 * after ++count >= weight), unusable D keeps its place. A round is
 * A A B C D, 5 buckets; 256 = 51 rounds + 1, the last bucket A.
 */
static void test_sh_table(void **state)
{
	struct sched_real reals[] = { R('A', 2), R('B', 1), R('C', 0), R('D', 1) };
	struct sched_real heavy[] = { R('A', 200), R('B', 100), R('C', 1) };
	static const char first[] = "AABCDAABCD";
	uint32_t table[256];
	unsigned int count[256];

	(void)state;
	reals[3].usable = false;
	assert_int_equal(sched_sh_build(reals, 4, table, 256), 0);
	for (size_t i = 0; i < 10; i++)
		assert_int_equal(table[i], first[i]);
	assert_int_equal(table[255], 'A');
	count_ids(table, 256, 255, count);
	assert_int_equal(count['A'], 103);
	assert_int_equal(count['B'], 51);
	assert_int_equal(count['C'], 51);
	assert_int_equal(count['D'], 51);

	/* weights beyond the table: A 200 buckets, B the 56 left, C none */
	assert_int_equal(sched_sh_build(heavy, 3, table, 256), 0);
	count_ids(table, 256, 255, count);
	assert_int_equal(count['A'], 200);
	assert_int_equal(count['B'], 56);
	assert_int_equal(count['C'], 0);

	/* no reals: every bucket empty; sizes must be powers of two */
	assert_int_equal(sched_sh_build(NULL, 0, table, 256), 0);
	for (size_t i = 0; i < 256; i++)
		assert_int_equal(table[i], SCHED_NO_REAL);
	assert_int_equal(sched_sh_build(reals, 4, table, 255), -EINVAL);
	assert_int_equal(sched_sh_build(reals, 4, table, 1), -EINVAL);
	assert_int_equal(sched_sh_build(reals, 4, table, 16), 0); /* other powers of two work */
}

/*
 * sh fallback. Four reals of weight 1: bucket h holds reals[h % 4].
 * IPVS's scan for bucket h tries buckets (offset + 2h) & 255, offset = 0..
 *   D down, h % 4 == 3: 2h % 4 == 2 -> C          (a "next bucket" scan would give A)
 *   C and D down, h % 4 == 2: 2h % 4 == 0 -> A
 *                 h % 4 == 3: 2h % 4 == 2 (C down), then 3 (D down), then 0 -> A
 * so all of C's and D's flows go to A, none to B: IPVS's scan, not a spread.
 */
static void test_sh_fallback(void **state)
{
	struct sched_real reals[] = { R('A', 1), R('B', 1), R('C', 1), R('D', 1) };
	uint32_t table[256], out[256];

	(void)state;
	assert_int_equal(sched_sh_build(reals, 4, table, 256), 0);
	reals[3].usable = false;

	assert_int_equal(sched_table_resolve(reals, 4, table, 256, 0, out), 0);
	for (uint32_t h = 0; h < 256; h++)
		assert_int_equal(out[h], h % 4 == 3 ? SCHED_NO_REAL : (uint32_t)"ABCD"[h % 4]);
	assert_int_equal(sched_table_resolve(reals, 4, table, 256, SCHED_F_FALLBACK, out), 0);
	for (uint32_t h = 0; h < 256; h++)
		assert_int_equal(out[h], "ABCC"[h % 4]);

	reals[2].usable = false;
	assert_int_equal(sched_table_resolve(reals, 4, table, 256, SCHED_F_FALLBACK, out), 0);
	for (uint32_t h = 0; h < 256; h++)
		assert_int_equal(out[h], "ABAA"[h % 4]);

	/* drained (weight 0) is unavailable too; the table keeps its buckets */
	reals[2].usable = reals[3].usable = true;
	reals[1].weight = 0;
	assert_int_equal(sched_table_resolve(reals, 4, table, 256, 0, out), 0);
	for (uint32_t h = 0; h < 256; h++)
		assert_int_equal(out[h], h % 4 == 1 ? SCHED_NO_REAL : (uint32_t)"ABCD"[h % 4]);
	/* h % 4 == 1: 2h % 4 == 2 -> C */
	assert_int_equal(sched_table_resolve(reals, 4, table, 256, SCHED_F_FALLBACK, out), 0);
	for (uint32_t h = 0; h < 256; h++)
		assert_int_equal(out[h], "ACCD"[h % 4]);

	/* nothing available: the scan goes all the way round and finds nothing */
	for (size_t i = 0; i < 4; i++)
		reals[i].usable = false;
	assert_int_equal(sched_table_resolve(reals, 4, table, 256, SCHED_F_FALLBACK, out), 0);
	for (uint32_t h = 0; h < 256; h++)
		assert_int_equal(out[h], SCHED_NO_REAL);
	assert_int_equal(sched_table_resolve(reals, 4, table, 100, 0, out), -EINVAL);
}

/* sh pick agrees with the resolved table for every flow, port option or not. */
static void test_sh_pick(void **state)
{
	struct sched_real reals[] = { R(1, 3), R(2, 1), R(3, 2), R(4, 1), R(5, 5) };
	static const uint32_t flags[] = { 0, SCHED_F_PORT, SCHED_F_FALLBACK,
					  SCHED_F_PORT | SCHED_F_FALLBACK };
	uint32_t table[256], out[256];
	struct sched_rand rnd;
	int spread = 0;

	(void)state;
	reals[2].usable = false;
	reals[4].weight = 0;
	assert_int_equal(sched_sh_build(reals, 5, table, 256), 0);
	sched_rand_seed(&rnd, 1);
	for (size_t k = 0; k < ARRAY_SIZE(flags); k++) {
		assert_int_equal(sched_table_resolve(reals, 5, table, 256, flags[k], out), 0);
		for (int t = 0; t < 5000; t++) {
			struct sched_flow f = flow4(sched_rand_u32(&rnd),
						    (uint16_t)sched_rand_u32(&rnd), 0);
			uint32_t h = sched_sh_hash(&f, flags[k], 0, 256);
			int i = sched_sh_pick(reals, 5, table, 256, &f, flags[k]);

			if (out[h] == SCHED_NO_REAL)
				assert_int_equal(i, -ENOENT);
			else
				assert_int_equal(reals[i].real_id, out[h]);
		}
	}
	/* one client: without the port option every connection hashes alike */
	for (uint16_t port = 1024; port < 1100; port++) {
		struct sched_flow f = flow4(0x0a000001, port, 0);

		assert_int_equal(sched_sh_hash(&f, 0, 0, 256), 39);
		spread |= sched_sh_hash(&f, SCHED_F_PORT, 0, 256) != 39;
	}
	assert_true(spread);
}

static void test_sh_ops(void **state)
{
	const struct sched_ops *ops = sched_get(SCHED_SH);
	struct sched_real reals[] = { R(1, 1), R(2, 1) };
	struct sched_flow f = flow4(0x0a000001, 1, 0);
	uint32_t table[SCHED_SH_TAB_SIZE];
	struct sched_ctx ctx = { .flow = &f, .table = table, .table_len = SCHED_SH_TAB_SIZE };

	(void)state;
	assert_int_equal(sched_lookup("sh"), SCHED_SH);
	assert_int_equal(ops->cls, SCHED_CLASS_TABLE);
	assert_int_equal(ops->table_size, 256);
	assert_int_equal(ops->build_table(reals, 2, table, ops->table_size), 0);
	/* bucket 39 is odd: B */
	assert_int_equal(ops->pick(reals, 2, &ctx), 1);
	ctx.table = NULL;
	assert_int_equal(ops->pick(reals, 2, &ctx), -EINVAL);
	assert_int_equal(ops->pick(reals, 2, NULL), -EINVAL);
}

/*
 * dh: buckets go round the reals one each, weights ignored: A B C A B C ...
 * 256 = 85 * 3 + 1, so A 86, B 85, C 85. A flow to 192.168.1.10 hashes to
 * bucket 248 = 82 * 3 + 2: C, whatever its source. No fallback.
 */
static void test_dh(void **state)
{
	const struct sched_ops *ops = sched_get(SCHED_DH);
	struct sched_real reals[] = { R('A', 3), R('B', 1), R('C', 1) };
	struct sched_flow f = flow4(0x0a000001, 1, 0xc0a8010a);
	struct sched_flow g = flow4(0x0b000002, 9, 0xc0a8010a);
	uint32_t table[256], out[256];
	unsigned int count[256];
	struct sched_ctx ctx = { .flow = &f, .table = table, .table_len = 256 };

	(void)state;
	assert_int_equal(ops->build_table(reals, 3, table, ops->table_size), 0);
	for (size_t i = 0; i < 256; i++)
		assert_int_equal(table[i], "ABC"[i % 3]);
	count_ids(table, 256, 255, count);
	assert_int_equal(count['A'], 86);
	assert_int_equal(count['B'], 85);
	assert_int_equal(count['C'], 85);
	assert_int_equal(sched_dh_pick(reals, 3, table, 256, &f), 2);
	assert_int_equal(sched_dh_pick(reals, 3, table, 256, &g), 2);
	assert_int_equal(ops->pick(reals, 3, &ctx), 2);

	reals[2].usable = false;
	assert_int_equal(sched_dh_pick(reals, 3, table, 256, &f), -ENOENT);
	assert_int_equal(sched_table_resolve(reals, 3, table, 256, 0, out), 0);
	assert_int_equal(out[248], SCHED_NO_REAL);
	assert_int_equal(out[247], 'B');
	reals[2].usable = true;
	reals[2].weight = 0;
	assert_int_equal(sched_dh_pick(reals, 3, table, 256, &f), -ENOENT);
	assert_int_equal(sched_dh_build(NULL, 0, table, 256), 0);
	assert_int_equal(table[0], SCHED_NO_REAL);
	assert_int_equal(sched_dh_pick(reals, 3, table, 256, &f), -ENOENT);
	assert_int_equal(sched_dh_build(reals, 3, table, 200), -EINVAL);
}

/*
 * Maglev population by hand, table size 7.
 * A: offset 3, skip 4 -> preferences 3 0 4 1 5 2 6
 * B: offset 0, skip 2 -> preferences 0 2 4 6 1 3 5
 * turns 1, 1:  round 1: A 3, B 0;  round 2: A 4 (0 taken), B 2;
 *              round 3: A 1, B 6 (2, 4 taken);  round 4: A 5: full.
 *              -> B A B A A A B
 * turns 2, 1:  round 1: A 3, A 0, B 2;  round 2: A 4, A 1, B 6;  round 3: A 5.
 *              -> A A B A A A B
 * turns 0, 1:  B alone takes its preferences in order: all B.
 */
static void test_mh_populate_by_hand(void **state)
{
	struct sched_real reals[] = { R('A', 1), R('B', 1) };
	static const uint32_t offset[] = { 3, 0 }, skip[] = { 4, 2 };
	static const uint32_t t11[] = { 1, 1 }, t21[] = { 2, 1 };
	static const uint32_t t01[] = { 0, 1 }, t00[] = { 0, 0 };
	static const uint32_t bad_off[] = { 7, 0 }, bad_skip[] = { 0, 2 };
	uint32_t table[8];

	(void)state;
	assert_int_equal(sched_mh_populate(reals, 2, offset, skip, t11, table, 7), 0);
	for (size_t i = 0; i < 7; i++)
		assert_int_equal(table[i], "BABAAAB"[i]);
	assert_int_equal(sched_mh_populate(reals, 2, offset, skip, t21, table, 7), 0);
	for (size_t i = 0; i < 7; i++)
		assert_int_equal(table[i], "AABAAAB"[i]);
	assert_int_equal(sched_mh_populate(reals, 2, offset, skip, t01, table, 7), 0);
	for (size_t i = 0; i < 7; i++)
		assert_int_equal(table[i], 'B');
	assert_int_equal(sched_mh_populate(reals, 2, offset, skip, t00, table, 7), 0);
	for (size_t i = 0; i < 7; i++)
		assert_int_equal(table[i], SCHED_NO_REAL);
	assert_int_equal(sched_mh_populate(reals, 2, offset, skip, t11, table, 8), -EINVAL);
	assert_int_equal(sched_mh_populate(reals, 2, bad_off, skip, t11, table, 7), -EINVAL);
	assert_int_equal(sched_mh_populate(reals, 2, offset, bad_skip, t11, table, 7), -EINVAL);
}

static uint32_t table_a[M], table_b[M];

/* 10 reals of equal weight: each 1/10 of the table within 1% (in fact +-1 entry). */
static void test_mh_equal_shares(void **state)
{
	struct sched_real reals[10];
	unsigned int count[11];

	(void)state;
	mh_reals(reals, 10, NULL);
	assert_int_equal(sched_mh_build(reals, 10, table_a, M), 0);
	count_ids(table_a, M, 10, count);
	print_message("mh 10 equal reals, entries of %u:", M);
	for (uint32_t id = 1; id <= 10; id++) {
		double share = (double)count[id] / M;

		print_message(" %u", count[id]);
		assert_true(share > 0.1 * 0.99 && share < 0.1 * 1.01);
		assert_true(count[id] == M / 10 || count[id] == M / 10 + 1);
	}
	print_message("\n");
}

/*
 * Weights 1:2:3 give turns 1, 2, 3 a round: shares 1/6, 2/6, 3/6 within
 * 1%. Weights 4:8:12 reduce by their gcd to the same turns and so the same
 * table. Weights 1:1000 are shifted so the heaviest has < 256 turns a round:
 * rshift = fls(1000) - 8 = 2, turns 1 and 250.
 */
static void test_mh_weighted_shares(void **state)
{
	static const uint32_t w123[] = { 1, 2, 3 }, w4812[] = { 4, 8, 12 }, w1k[] = { 1, 1000 };
	struct sched_real reals[3];
	unsigned int count[4];

	(void)state;
	mh_reals(reals, 3, w123);
	assert_int_equal(sched_mh_build(reals, 3, table_a, M), 0);
	count_ids(table_a, M, 3, count);
	print_message("mh weights 1:2:3, entries:");
	for (uint32_t id = 1; id <= 3; id++) {
		double want = id / 6.0, share = (double)count[id] / M;

		print_message(" %u (%.4f, want %.4f)", count[id], share, want);
		assert_true(share > want * 0.99 && share < want * 1.01);
	}
	print_message("\n");

	mh_reals(reals, 3, w4812);
	assert_int_equal(sched_mh_build(reals, 3, table_b, M), 0);
	assert_memory_equal(table_a, table_b, sizeof(table_a));

	mh_reals(reals, 2, w1k);
	assert_int_equal(sched_mh_build(reals, 2, table_a, M), 0);
	count_ids(table_a, M, 2, count);
	print_message("mh weights 1:1000 (turns 1:250), entries: %u %u\n", count[1], count[2]);
	assert_true((double)count[1] / M > 1 / 251.0 * 0.99);
	assert_true((double)count[1] / M < 1 / 251.0 * 1.01);
}

static unsigned int table_diff(const uint32_t *a, const uint32_t *b, uint32_t removed,
			       unsigned int *collateral)
{
	unsigned int moved = 0;

	*collateral = 0;
	for (size_t i = 0; i < M; i++) {
		if (a[i] == b[i])
			continue;
		moved++;
		*collateral += a[i] != removed;
	}
	return moved;
}

/*
 * Removing 1 of 10 reals moves its ~10% of entries plus a little
 * collateral; we assert at most 10% + 1% of the table, for each of the 10
 * in turn. Adding it back in its place restores the very same table.
 * Adding an 11th real takes about 1/11 and moves little else.
 */
static void test_mh_disruption(void **state)
{
	struct sched_real reals[11], fewer[10];
	unsigned int worst = 0, worst_collateral = 0, collateral, moved;

	(void)state;
	mh_reals(reals, 11, NULL);
	assert_int_equal(sched_mh_build(reals, 10, table_a, M), 0);
	for (size_t gone = 0; gone < 10; gone++) {
		size_t k = 0;

		for (size_t i = 0; i < 10; i++)
			if (i != gone)
				fewer[k++] = reals[i];
		assert_int_equal(sched_mh_build(fewer, 9, table_b, M), 0);
		moved = table_diff(table_a, table_b, reals[gone].real_id, &collateral);
		print_message("mh remove real %zu of 10: %u entries moved (%.2f%%), %u of them "
			      "not the removed real's (%.2f%%)\n",
			      gone + 1, moved, 100.0 * moved / M, collateral,
			      100.0 * collateral / M);
		assert_true(moved <= 0.11 * M);
		if (moved > worst)
			worst = moved;
		if (collateral > worst_collateral)
			worst_collateral = collateral;
	}
	print_message("mh remove 1 of 10: worst %.2f%% moved, worst collateral %.2f%%\n",
		      100.0 * worst / M, 100.0 * worst_collateral / M);

	/* back in its place: the same table */
	assert_int_equal(sched_mh_build(reals, 10, table_b, M), 0);
	assert_memory_equal(table_a, table_b, sizeof(table_a));

	/* an 11th real */
	assert_int_equal(sched_mh_build(reals, 11, table_b, M), 0);
	moved = table_diff(table_b, table_a, SCHED_NO_REAL, &collateral);
	{
		unsigned int count[12], to_new;

		count_ids(table_b, M, 11, count);
		to_new = count[11];
		print_message("mh add an 11th real: %u entries moved (%.2f%%), %u to it\n", moved,
			      100.0 * moved / M, to_new);
		assert_true(moved <= (1.0 / 11 + 0.01) * M);
		assert_true(to_new <= moved);
	}
}

/*
 * Draining a real (weight 0, last_weight kept) leaves the table as it is:
 * its flows find no real, or with fallback are rehashed to others, and
 * everyone else's flows stay where they were.
 */
static void test_mh_drain(void **state)
{
	struct sched_real reals[10];
	struct sched_rand rnd;
	unsigned int rehashed = 0, to_drained = 0;

	(void)state;
	mh_reals(reals, 10, NULL);
	assert_int_equal(sched_mh_build(reals, 10, table_a, M), 0);
	reals[3].last_weight = reals[3].weight;
	reals[3].weight = 0;
	assert_int_equal(sched_mh_build(reals, 10, table_b, M), 0);
	assert_memory_equal(table_a, table_b, sizeof(table_a));

	sched_rand_seed(&rnd, 3);
	for (int t = 0; t < 20000; t++) {
		struct sched_flow f = flow4(sched_rand_u32(&rnd), 0, 0);
		uint32_t owner = table_a[sched_mh_hash(&f.saddr, 0, 0, SCHED_MH_SEED1) % M];
		int plain = sched_mh_pick(reals, 10, table_a, M, &f, 0);
		int fb = sched_mh_pick(reals, 10, table_a, M, &f, SCHED_F_FALLBACK);

		if (owner == reals[3].real_id) {
			to_drained++;
			assert_int_equal(plain, -ENOENT);
			assert_true(fb >= 0 && fb != 3);
			rehashed++;
		} else {
			assert_int_equal(reals[plain].real_id, owner);
			assert_int_equal(fb, plain);
		}
	}
	print_message("mh drain 1 of 10: %u of 20000 flows hashed to it, all rehashed\n",
		      to_drained);
	assert_true(to_drained > 1500 && to_drained < 2500);
	assert_int_equal(rehashed, to_drained);
	/* unusable works the same way; with nothing available nothing is found */
	for (size_t i = 0; i < 10; i++)
		reals[i].usable = false;
	{
		struct sched_flow f = flow4(0x01020304, 0, 0);

		assert_int_equal(sched_mh_pick(reals, 10, table_a, M, &f, SCHED_F_FALLBACK),
				 -ENOENT);
	}
}

/* The port option, the ops entry, ids independent of the table, and errors. */
static void test_mh_pick_and_errors(void **state)
{
	const struct sched_ops *ops = sched_get(SCHED_MH);
	struct sched_real reals[10], other[10], zero[2];
	struct sched_flow f = flow4(0xc0a8010a, 40000, 0);
	struct sched_ctx ctx = { .flow = &f, .table = table_a, .table_len = M };
	int spread = 0, first;

	(void)state;
	mh_reals(reals, 10, NULL);
	assert_int_equal(ops->cls, SCHED_CLASS_TABLE);
	assert_int_equal(ops->table_size, M);
	assert_int_equal(ops->build_table(reals, 10, table_a, ops->table_size), 0);
	/* the flow's buckets (27362, and 55725 with the port) decide */
	assert_int_equal(reals[ops->pick(reals, 10, &ctx)].real_id, table_a[27362]);
	ctx.flags = SCHED_F_PORT;
	assert_int_equal(reals[ops->pick(reals, 10, &ctx)].real_id, table_a[55725]);

	first = sched_mh_pick(reals, 10, table_a, M, &f, 0);
	for (uint16_t port = 1024; port < 1200; port++) {
		struct sched_flow g = flow4(0xc0a8010a, port, 0);

		assert_int_equal(sched_mh_pick(reals, 10, table_a, M, &g, 0), first);
		spread |= sched_mh_pick(reals, 10, table_a, M, &g, SCHED_F_PORT) != first;
	}
	assert_true(spread);

	/* another node numbers its reals differently: same addresses, same choices */
	mh_reals(other, 10, NULL);
	for (size_t i = 0; i < 10; i++)
		other[i].real_id = 1000 + (uint32_t)i;
	assert_int_equal(sched_mh_build(other, 10, table_b, M), 0);
	for (size_t i = 0; i < M; i++)
		assert_int_equal(table_b[i], table_a[i] + 999);

	/* no weight anywhere: an empty table, no pick */
	mh_reals(zero, 2, NULL);
	zero[0].weight = zero[1].weight = 0;
	assert_int_equal(sched_mh_build(zero, 2, table_b, M), 0);
	for (size_t i = 0; i < M; i++)
		assert_int_equal(table_b[i], SCHED_NO_REAL);
	assert_int_equal(sched_mh_pick(zero, 2, table_b, M, &f, SCHED_F_FALLBACK), -ENOENT);
	assert_int_equal(sched_mh_build(NULL, 0, table_b, M), 0);

	/* sizes must be prime, and hold every real */
	assert_int_equal(sched_mh_build(reals, 10, table_b, 65536), -EINVAL);
	assert_int_equal(sched_mh_build(reals, 10, table_b, 7), -EINVAL);
	assert_int_equal(sched_mh_build(reals, 7, table_b, 7), 0);
	assert_int_equal(sched_mh_pick(reals, 10, table_a, 65536, &f, 0), -EINVAL);
	ctx.table = NULL;
	assert_int_equal(ops->pick(reals, 10, &ctx), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_vectors),
		cmocka_unit_test(test_sh_table),
		cmocka_unit_test(test_sh_fallback),
		cmocka_unit_test(test_sh_pick),
		cmocka_unit_test(test_sh_ops),
		cmocka_unit_test(test_dh),
		cmocka_unit_test(test_mh_populate_by_hand),
		cmocka_unit_test(test_mh_equal_shares),
		cmocka_unit_test(test_mh_weighted_shares),
		cmocka_unit_test(test_mh_disruption),
		cmocka_unit_test(test_mh_drain),
		cmocka_unit_test(test_mh_pick_and_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
