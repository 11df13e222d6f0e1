/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The last step of every method: Ethernet addresses toward the real or next hop. */
#ifndef XLB_BPF_FWD_DR_H
#define XLB_BPF_FWD_DR_H

#include "parse.h"

/*
 * Source MAC := the egress interface's own, or a bridge between LB and reals
 * would learn the client's MAC on the LB's port and send replies back to us.
 * For dr this is the whole method: IP and L4 stay untouched.
 */
static __always_inline int fwd_set_macs(void *data, void *data_end, const struct xlb_real *real)
{
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return -1;
	__builtin_memcpy(eth->h_dest, real->dst_mac, 6);
	__builtin_memcpy(eth->h_source, real->src_mac, 6);
	return 0;
}

#endif /* XLB_BPF_FWD_DR_H */
