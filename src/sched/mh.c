// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Maglev hashing (IPVS "mh", ip_vs_mh.c; Eisenbud et al., NSDI '16, 3.4):
 * consistent hashing into a lookup table of prime size M (here 65537), so
 * that every balancer with the same reals picks the same real for a client
 * and adding or removing one real moves little more than that real's share.
 *
 * Permutation: each real gets offset = h1 % M and skip = h2 % (M - 1) + 1
 * from two hashes of its address and port; its preference list is offset,
 * offset + skip, offset + 2 skip, ... (mod M), which visits every bucket
 * because M is prime.
 *
 * Population, as ip_vs_mh_populate(): rounds over the reals in list order;
 * in a round each real claims `turns` buckets, each time its next preferred
 * bucket that is still free, until all M are taken. turns = (lw / g) >>
 * rshift, or 1 if that is 0 and lw > 0, where lw is the real's last non-zero
 * weight (last_weight), g the gcd of all lw > 0, and rshift shrinks the
 * heaviest real's lw / g below 2^SCHED_MH_TAB_BITS so a round stays short.
 * Shares of the table follow the (reduced) weights; reals with lw 0 get none.
 * Because lw, not the current weight, sizes the shares, draining a real
 * (weight 0) or marking it unusable keeps the table as it is: flows that hash
 * to it get no real, or with SCHED_F_FALLBACK are rehashed elsewhere.
 *
 * Hash (the data plane computes the same for lookups):
 *   key   = offset + port + ntohl(addr[0] ^ addr[1] ^ addr[2] ^ addr[3])  (u32, wraps)
 *   hash  = jhash_1word(key, seed)        the kernel's jhash_1word()
 * a real's offset uses seed SCHED_MH_SEED1, its skip SCHED_MH_SEED2, its
 * address and port, offset 0. A flow's bucket is hash(saddr, port, 0, SEED1)
 * % M, port = ntohs(sport) with SCHED_F_PORT, else 0. IPVS keys hsiphash
 * with those two constants; jhash is what a BPF program can compute cheaply.
 *
 * Lookup: the bucket's real if usable with weight > 0. Otherwise, with
 * SCHED_F_FALLBACK, for offset = 0 .. M-1: roffset = (offset + ihash) % M,
 * bucket hash(saddr, port, roffset, SEED1) % M, first usable real wins; an
 * empty bucket ends the search. This depends on the address, not only on
 * the bucket, so the data plane must loop (expected tries: 1 / the share of
 * the table whose reals are available).
 */
#include "sched.h"

_Static_assert(SCHED_MH_TAB_SIZE == XLB_MH_TABLE_SIZE && SCHED_MH_SEED1 == XLB_MH_SEED,
	       "the data plane looks up the table userspace builds");

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>

uint32_t sched_mh_hash(const struct xlb_addr *addr, uint16_t port, uint32_t offset, uint32_t seed)
{
	return sched_jhash_1word(offset + ntohs(port) + sched_addr_fold(addr), seed);
}

static bool sched_is_prime(size_t m)
{
	if (m < 2)
		return false;
	for (size_t d = 2; d * d <= m; d++)
		if (m % d == 0)
			return false;
	return true;
}

static uint32_t sched_gcd(uint32_t a, uint32_t b)
{
	while (b) {
		uint32_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* The kernel's fls(): 1-based index of the highest set bit, 0 for 0. */
static int sched_fls(uint32_t x)
{
	return x ? 32 - __builtin_clz(x) : 0;
}

static uint32_t sched_mh_lw(const struct sched_real *r)
{
	return r->last_weight ? r->last_weight : r->weight;
}

/* turns of a real with last weight @lw, as ip_vs_mh_permutate() */
static uint32_t sched_mh_turns(uint32_t lw, uint32_t g, int rshift)
{
	uint32_t t = (lw / g) >> rshift;

	return t ? t : lw != 0;
}

int sched_mh_populate(const struct sched_real *reals, size_t n, const uint32_t *offset,
		      const uint32_t *skip, const uint32_t *turns, uint32_t *table, size_t size)
{
	uint32_t *perm = NULL, dt_count = 0, m = (uint32_t)size;
	uint64_t *taken = NULL;
	size_t filled = 0;
	bool any = false;
	int err = 0;

	if (!sched_is_prime(size) || size > UINT32_MAX)
		return -EINVAL;
	for (size_t c = 0; c < size; c++)
		table[c] = SCHED_NO_REAL;
	for (size_t i = 0; i < n; i++) {
		if (offset[i] >= m || skip[i] < 1 || skip[i] >= m)
			return -EINVAL;
		any |= turns[i] > 0;
	}
	if (!any)
		return 0;
	perm = malloc(n * sizeof(*perm));
	taken = calloc((size + 63) / 64, sizeof(*taken));
	if (!perm || !taken) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		perm[i] = offset[i];

	/* some real has turns >= 1, so every round fills a bucket */
	while (filled < size) {
		size_t i = 0;

		while (i < n) {
			uint32_t c;

			if (turns[i] < 1) {
				i++;
				continue;
			}
			/* the real's most preferred bucket still free */
			c = perm[i];
			while (taken[c / 64] & (1ull << (c % 64))) {
				perm[i] += skip[i];
				if (perm[i] >= m)
					perm[i] -= m;
				c = perm[i];
			}
			taken[c / 64] |= 1ull << (c % 64);
			table[c] = reals[i].real_id;
			if (++filled == size)
				goto out;
			/* stay on this real until its turns in this round are used */
			if (++dt_count >= turns[i]) {
				dt_count = 0;
				i++;
			}
		}
	}
out:
	free(taken);
	free(perm);
	return err;
}

int sched_mh_build(const struct sched_real *reals, size_t n, uint32_t *table, size_t size)
{
	uint32_t *offset, *skip, *turns, g = 0, mw = 0;
	int rshift, err;

	if (!sched_is_prime(size) || size > UINT32_MAX || n > size)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		uint32_t lw = sched_mh_lw(&reals[i]);

		if (lw) {
			g = sched_gcd(lw, g);
			if (lw > mw)
				mw = lw;
		}
	}
	if (!g) {
		/* no real with a weight: an empty table */
		for (size_t c = 0; c < size; c++)
			table[c] = SCHED_NO_REAL;
		return 0;
	}
	/* keep the heaviest real's turns per round below 2^SCHED_MH_TAB_BITS */
	rshift = sched_fls(mw / g) - SCHED_MH_TAB_BITS;
	if (rshift < 0)
		rshift = 0;

	offset = malloc(3 * n * sizeof(*offset));
	if (!offset)
		return -ENOMEM;
	skip = offset + n;
	turns = skip + n;
	for (size_t i = 0; i < n; i++) {
		offset[i] = sched_mh_hash(&reals[i].addr, reals[i].port, 0, SCHED_MH_SEED1) %
			    (uint32_t)size;
		skip[i] = sched_mh_hash(&reals[i].addr, reals[i].port, 0, SCHED_MH_SEED2) %
				  (uint32_t)(size - 1) +
			  1;
		turns[i] = sched_mh_turns(sched_mh_lw(&reals[i]), g, rshift);
	}
	err = sched_mh_populate(reals, n, offset, skip, turns, table, size);
	free(offset);
	return err;
}

static bool sched_mh_available(const struct sched_real *reals, int i)
{
	return i >= 0 && reals[i].usable && reals[i].weight > 0;
}

int sched_mh_pick(const struct sched_real *reals, size_t n, const uint32_t *table, size_t size,
		  const struct sched_flow *f, uint32_t flags)
{
	uint16_t port = flags & SCHED_F_PORT ? f->sport : 0;
	uint32_t m = (uint32_t)size, ihash;
	int i;

	if (!sched_is_prime(size) || size > UINT32_MAX)
		return -EINVAL;
	ihash = sched_mh_hash(&f->saddr, port, 0, SCHED_MH_SEED1) % m;
	if (table[ihash] == SCHED_NO_REAL)
		return -ENOENT;
	i = sched_find_real(reals, n, table[ihash]);
	if (sched_mh_available(reals, i))
		return i;
	if (!(flags & SCHED_F_FALLBACK))
		return -ENOENT;
	for (uint32_t offset = 0; offset < m; offset++) {
		uint32_t roffset = (uint32_t)(((uint64_t)offset + ihash) % m);
		uint32_t h = sched_mh_hash(&f->saddr, port, roffset, SCHED_MH_SEED1) % m;

		if (table[h] == SCHED_NO_REAL)
			break;
		i = sched_find_real(reals, n, table[h]);
		if (sched_mh_available(reals, i))
			return i;
	}
	return -ENOENT;
}

static int sched_mh_ops_pick(const struct sched_real *reals, size_t n, struct sched_ctx *ctx)
{
	if (!ctx || !ctx->table || !ctx->flow)
		return -EINVAL;
	return sched_mh_pick(reals, n, ctx->table, ctx->table_len, ctx->flow, ctx->flags);
}

const struct sched_ops sched_mh_ops = {
	.name = "mh",
	.kind = XLB_SCHED_KIND_MH,
	.cls = SCHED_CLASS_TABLE,
	.table_size = SCHED_MH_TAB_SIZE,
	.build_table = sched_mh_build,
	.pick = sched_mh_ops_pick,
};
