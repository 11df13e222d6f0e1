/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* New-flow scheduling in the data plane: the seam xlbd's schedulers feed. */
#ifndef XLB_BPF_SCHED_H
#define XLB_BPF_SCHED_H

#include "maps.h"

/*
 * Ring schedulers (rr, wrr): xlbd computes the order of reals, the data plane
 * takes the next entry with one atomic increment. Returns 0 and the real id,
 * or -1 when the service has no real for new flows.
 */
static __always_inline int sched_ring_pick(const struct xlb_service *svc, __u32 *real_id)
{
	__u32 slot = svc->svc_id * 2 + (svc->ring_slot & 1);
	struct xlb_ring *ring = bpf_map_lookup_elem(&sched_rings, &slot);
	__u32 svc_id = svc->svc_id;
	__u64 *cursor, n;
	__u64 len, idx;

	if (!ring)
		return -1;
	len = ring->len;
	if (len == 0 || len > XLB_RING_MAX)
		return -1;
	cursor = bpf_map_lookup_elem(&sched_cursor, &svc_id);
	if (!cursor)
		return -1;
	n = __sync_fetch_and_add(cursor, 1);
	idx = n % len;
	/* clang proves idx < len and drops the check the verifier needs */
	asm volatile("" : "+r"(idx));
	if (idx >= XLB_RING_MAX)
		return -1;
	*real_id = ring->real_ids[idx];
	return 0;
}

static __always_inline int sched_pick(const struct xlb_service *svc, __u32 *real_id)
{
	switch (svc->sched_kind) {
	case XLB_SCHED_KIND_RING:
		return sched_ring_pick(svc, real_id);
	default:
		return -1;
	}
}

#endif /* XLB_BPF_SCHED_H */
