/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Method dr (L2 DSR): only the Ethernet addresses change. */
#ifndef XLB_BPF_FWD_DR_H
#define XLB_BPF_FWD_DR_H

#include "parse.h"

/*
 * Source MAC := the egress interface's own, or a bridge between LB and reals
 * would learn the client's MAC on the LB's port and send replies back to us.
 */
static __always_inline void fwd_dr(struct packet *pkt, const struct xlb_real *real)
{
	__builtin_memcpy(pkt->eth->h_dest, real->dst_mac, 6);
	__builtin_memcpy(pkt->eth->h_source, real->src_mac, 6);
}

#endif /* XLB_BPF_FWD_DR_H */
