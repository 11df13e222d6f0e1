// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Source hashing (IPVS "sh", ip_vs_sh.c): a client (source address, and
 * with SCHED_F_PORT its source port too) always lands on the same real while
 * the set of reals is unchanged; good for session affinity without state.
 *
 * Table: 2^bits buckets (IPVS: 256) filled in list order, each real taking
 * max(weight, 1) consecutive buckets per round, round after round until the
 * table is full. A weight-0 or unusable real keeps its buckets (IPVS keeps
 * quiesced and overloaded dests in the table), so draining one does not
 * move anyone else; flows that hash to it fail, or with SCHED_F_FALLBACK
 * look further. With more weight than buckets, later reals get none: the
 * table holds 256 slots, not the weights.
 *
 * Hash (the data plane computes the same; addresses as on the wire):
 *   fold   = ntohl(saddr[0] ^ saddr[1] ^ saddr[2] ^ saddr[3])  (IPv4: the address)
 *   port   = SCHED_F_PORT ? ntohs(sport) : 0
 *   bucket = (offset + hash_32(port + fold, bits)) & (size - 1)
 * where hash_32(v, bits) = (u32)(v * 0x61C88647) >> (32 - bits), offset 0.
 *
 * A bucket's real is taken when usable with weight > 0. Otherwise, with
 * SCHED_F_FALLBACK, IPVS loops offset = 0 .. size-1 over buckets
 * hash(offset + ihash): that is (offset + 2 * ihash) & (size - 1), so the
 * scan starts at bucket 2 * ihash, and stops at an empty bucket. It depends
 * only on ihash, so sched_table_resolve() can apply it for every bucket ahead
 * of time and the data plane needs a single lookup.
 */
#include "sched.h"

#include <arpa/inet.h>
#include <errno.h>

static unsigned int sched_log2(size_t size)
{
	unsigned int bits = 0;

	while (((size_t)1 << bits) < size)
		bits++;
	return bits;
}

/* sh and dh tables: a power of two, at least 2 buckets, at most 2^24. */
static bool sched_pow2_size(size_t size)
{
	return size >= 2 && size <= (1u << 24) && (size & (size - 1)) == 0;
}

uint32_t sched_sh_hash(const struct sched_flow *f, uint32_t flags, uint32_t offset, size_t size)
{
	uint32_t port = flags & SCHED_F_PORT ? ntohs(f->sport) : 0;

	return (offset + sched_hash_32(port + sched_addr_fold(&f->saddr), sched_log2(size))) &
	       (uint32_t)(size - 1);
}

int sched_sh_build(const struct sched_real *reals, size_t n, uint32_t *table, size_t size)
{
	uint32_t d_count = 0;
	size_t p = 0;

	if (!sched_pow2_size(size))
		return -EINVAL;
	for (size_t i = 0; i < size; i++) {
		if (!n) {
			table[i] = SCHED_NO_REAL;
			continue;
		}
		table[i] = reals[p].real_id;
		/* do not move to the next real until its weight is filled */
		if (++d_count >= reals[p].weight) {
			p = (p + 1) % n;
			d_count = 0;
		}
	}
	return 0;
}

static bool sched_sh_available(const struct sched_real *reals, int i)
{
	return i >= 0 && reals[i].usable && reals[i].weight > 0;
}

/* The real for a flow whose first bucket is @ihash: IPVS's lookup and fallback. */
static int sched_sh_scan(const struct sched_real *reals, size_t n, const uint32_t *table,
			 size_t size, uint32_t ihash, uint32_t flags)
{
	uint32_t mask = (uint32_t)(size - 1);
	int i;

	if (table[ihash] == SCHED_NO_REAL)
		return -ENOENT;
	i = sched_find_real(reals, n, table[ihash]);
	if (sched_sh_available(reals, i))
		return i;
	if (!(flags & SCHED_F_FALLBACK))
		return -ENOENT;
	for (uint32_t offset = 0; offset < size; offset++) {
		uint32_t roffset = (offset + ihash) & mask;
		uint32_t h = (roffset + ihash) & mask; /* sched_sh_hash(f, roffset) */

		if (table[h] == SCHED_NO_REAL)
			break;
		i = sched_find_real(reals, n, table[h]);
		if (sched_sh_available(reals, i))
			return i;
	}
	return -ENOENT;
}

int sched_sh_pick(const struct sched_real *reals, size_t n, const uint32_t *table, size_t size,
		  const struct sched_flow *f, uint32_t flags)
{
	if (!sched_pow2_size(size))
		return -EINVAL;
	return sched_sh_scan(reals, n, table, size, sched_sh_hash(f, flags, 0, size), flags);
}

int sched_table_resolve(const struct sched_real *reals, size_t n, const uint32_t *table,
			size_t size, uint32_t flags, uint32_t *out)
{
	if (!sched_pow2_size(size))
		return -EINVAL;
	for (size_t h = 0; h < size; h++) {
		int i = sched_sh_scan(reals, n, table, size, (uint32_t)h, flags);

		out[h] = i >= 0 ? reals[i].real_id : SCHED_NO_REAL;
	}
	return 0;
}

static int sched_sh_ops_pick(const struct sched_real *reals, size_t n, struct sched_ctx *ctx)
{
	if (!ctx || !ctx->table || !ctx->flow)
		return -EINVAL;
	return sched_sh_pick(reals, n, ctx->table, ctx->table_len, ctx->flow, ctx->flags);
}

const struct sched_ops sched_sh_ops = {
	.name = "sh",
	.kind = XLB_SCHED_KIND_HASH_SRC,
	.cls = SCHED_CLASS_TABLE,
	.table_size = SCHED_SH_TAB_SIZE,
	.build_table = sched_sh_build,
	.pick = sched_sh_ops_pick,
};
