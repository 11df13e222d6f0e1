/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* TCP state tracking from the client's side, and the per-real connection counts it drives. */
#ifndef XLB_BPF_CONN_STATE_H
#define XLB_BPF_CONN_STATE_H

#include "maps.h"
#include "parse.h"

#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_RST 0x04

/*
 * Next state after a packet with @flags. A SYN on a finished connection
 * starts a new one on the same 5-tuple (port reuse), as IPVS does.
 */
static __always_inline __u8 conn_next_state(__u8 cur, __u8 proto, __u8 flags)
{
	if (proto != IPPROTO_TCP)
		return XLB_FS_UDP;
	if (flags & TCP_FLAG_RST)
		return XLB_FS_CLOSE;
	if (flags & TCP_FLAG_FIN)
		return XLB_FS_FIN;
	if ((flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN)
		return cur == XLB_FS_SYN || cur == XLB_FS_EST ? cur : XLB_FS_SYN;
	if (flags & TCP_FLAG_ACK)
		return cur == XLB_FS_NONE || cur == XLB_FS_SYN ? XLB_FS_EST : cur;
	return cur == XLB_FS_NONE ? XLB_FS_EST : cur;
}

/* Moves one connection of @real_id from state @from's counter to @to's. */
static __always_inline void conn_count_move(__u32 real_id, __u8 from, __u8 to)
{
	struct xlb_conns *c;

	if (from == to)
		return;
	c = bpf_map_lookup_elem(&real_conns, &real_id);
	if (!c)
		return;
	if (from == XLB_FS_EST)
		__sync_fetch_and_add(&c->active, -1);
	else if (from != XLB_FS_NONE)
		__sync_fetch_and_add(&c->inactive, -1);
	if (to == XLB_FS_EST)
		__sync_fetch_and_add(&c->active, 1);
	else if (to != XLB_FS_NONE)
		__sync_fetch_and_add(&c->inactive, 1);
}

#endif /* XLB_BPF_CONN_STATE_H */
