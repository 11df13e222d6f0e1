// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Destination hashing (IPVS "dh", ip_vs_dh.c): the flow's destination
 * address picks the real, so every request for one origin server goes to
 * the same cache. Meant for transparent cache farms, where one service takes
 * traffic for many destinations (IPVS: a firewall-mark service); for a plain
 * VIP:port service every flow has the same destination and so the same real.
 *
 * Table: 2^bits buckets (IPVS: 256), one per real in list order, round and
 * round; weights are ignored (IPVS dh does not read them). Unusable and
 * weight-0 reals keep their buckets; a flow that lands on one gets no real
 * (IPVS dh has no fallback).
 *
 * Hash (the data plane computes the same):
 *   bucket = hash_32(ntohl(daddr[0] ^ daddr[1] ^ daddr[2] ^ daddr[3]), bits)
 * with hash_32(v, bits) = (u32)(v * 0x61C88647) >> (32 - bits).
 * sched_table_resolve(..., 0, out) gives the table with unavailable reals
 * already blanked, for a single lookup.
 */
#include "sched.h"

#include <errno.h>

static bool sched_dh_size_ok(size_t size)
{
	return size >= 2 && size <= (1u << 24) && (size & (size - 1)) == 0;
}

uint32_t sched_dh_hash(const struct sched_flow *f, size_t size)
{
	unsigned int bits = 0;

	while (((size_t)1 << bits) < size)
		bits++;
	return sched_hash_32(sched_addr_fold(&f->daddr), bits);
}

int sched_dh_build(const struct sched_real *reals, size_t n, uint32_t *table, size_t size)
{
	if (!sched_dh_size_ok(size))
		return -EINVAL;
	for (size_t i = 0; i < size; i++)
		table[i] = n ? reals[i % n].real_id : SCHED_NO_REAL;
	return 0;
}

int sched_dh_pick(const struct sched_real *reals, size_t n, const uint32_t *table, size_t size,
		  const struct sched_flow *f)
{
	uint32_t id;
	int i;

	if (!sched_dh_size_ok(size))
		return -EINVAL;
	id = table[sched_dh_hash(f, size)];
	if (id == SCHED_NO_REAL)
		return -ENOENT;
	i = sched_find_real(reals, n, id);
	if (i < 0 || !reals[i].usable || reals[i].weight == 0)
		return -ENOENT;
	return i;
}

static int sched_dh_ops_pick(const struct sched_real *reals, size_t n, struct sched_ctx *ctx)
{
	if (!ctx || !ctx->table || !ctx->flow)
		return -EINVAL;
	return sched_dh_pick(reals, n, ctx->table, ctx->table_len, ctx->flow);
}

const struct sched_ops sched_dh_ops = {
	.name = "dh",
	.kind = XLB_SCHED_KIND_HASH_DST,
	.cls = SCHED_CLASS_TABLE,
	.table_size = SCHED_DH_TAB_SIZE,
	.build_table = sched_dh_build,
	.pick = sched_dh_ops_pick,
};
