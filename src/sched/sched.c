// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The table of schedulers (from include/xlb/xlb_sched.h) and shared helpers. */
#include "sched.h"
#include "xlb/xlb_hash.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#define SCHED_TABLE_ENTRY_(id, file) [SCHED_##id] = &sched_##file##_ops,
static const struct sched_ops *const sched_table[SCHED__COUNT] = { XLB_SCHEDULERS(
	SCHED_TABLE_ENTRY_) };

const struct sched_ops *sched_get(enum sched_id id)
{
	if ((unsigned)id >= SCHED__COUNT)
		return NULL;
	return sched_table[id];
}

int sched_lookup(const char *name)
{
	for (int i = 0; i < SCHED__COUNT; i++)
		if (strcmp(sched_table[i]->name, name) == 0)
			return i;
	return -1;
}

/* The data plane computes the same: see include/xlb/xlb_hash.h. */
uint32_t sched_hash_32(uint32_t val, unsigned int bits)
{
	return xlb_hash_32(val, bits);
}

uint32_t sched_jhash_1word(uint32_t a, uint32_t initval)
{
	return xlb_jhash_1word(a, initval);
}

uint32_t sched_addr_fold(const struct xlb_addr *addr)
{
	return xlb_addr_fold(addr);
}

uint64_t sched_conn_overhead(const struct sched_real *r)
{
	return ((uint64_t)r->active << 8) + r->inactive;
}

int sched_find_real(const struct sched_real *reals, size_t n, uint32_t real_id)
{
	for (size_t i = 0; i < n; i++)
		if (reals[i].real_id == real_id)
			return (int)i;
	return -1;
}

/* splitmix64: tiny, passes BigCrush, and any seed (even 0) is fine. */
void sched_rand_seed(struct sched_rand *r, uint64_t seed)
{
	r->state = seed;
}

uint32_t sched_rand_u32(struct sched_rand *r)
{
	uint64_t z = (r->state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return (uint32_t)((z ^ (z >> 31)) >> 32);
}

/*
 * Lemire's multiply-shift, as the kernel's get_random_u32_below() minus its
 * rejection step: the bias is below ceil / 2^32, and bpf_get_prandom_u32()
 * can be reduced the same way without a loop.
 */
uint64_t sched_rand_below(uint32_t r, uint64_t ceil)
{
	return (uint64_t)(((sched_u128)r * ceil) >> 32);
}

int sched_ring_pick(const struct sched_real *reals, size_t n, struct sched_ctx *ctx)
{
	int i;

	if (!ctx || !ctx->table || !ctx->cursor)
		return -EINVAL;
	if (!ctx->table_len)
		return -ENOENT;
	i = sched_find_real(reals, n, ctx->table[(*ctx->cursor)++ % ctx->table_len]);
	return i >= 0 ? i : -ENOENT;
}

size_t sched_dataplane_ring(const struct sched_ops *ops, const struct sched_real *reals, size_t n,
			    uint32_t flags, uint32_t *ring, size_t ring_max)
{
	size_t len = 0;

	switch (ops->cls) {
	case SCHED_CLASS_RING:
		return ops->build_ring(reals, n, ring, ring_max);
	case SCHED_CLASS_TABLE: {
		uint32_t table[SCHED_SH_TAB_SIZE];

		if (ops->table_size != SCHED_SH_TAB_SIZE || ring_max < SCHED_SH_TAB_SIZE ||
		    ops->build_table(reals, n, table, SCHED_SH_TAB_SIZE) ||
		    sched_table_resolve(reals, n, table, SCHED_SH_TAB_SIZE, flags, ring))
			return 0;
		for (size_t h = 0; h < SCHED_SH_TAB_SIZE; h++)
			if (ring[h] != SCHED_NO_REAL)
				return SCHED_SH_TAB_SIZE;
		return 0;
	}
	default:
		/* IPVS skips overloaded (here: unusable) reals and those of weight 0. */
		for (size_t i = 0; i < n && len < ring_max; i++)
			if (reals[i].usable && reals[i].weight > 0)
				ring[len++] = reals[i].real_id;
		return len;
	}
}
