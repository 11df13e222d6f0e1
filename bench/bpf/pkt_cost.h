/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Shared by bench/bpf/pkt_cost.bpf.c and bench/pkt_cost.c: the restore wrapper's frame layout. */
#ifndef XLB_BENCH_PKT_COST_H
#define XLB_BENCH_PKT_COST_H

/*
 * The wrapper restores one frame shape only, Ethernet + IPv4 (no options) +
 * TCP (no options): a compile-time length lets it copy with plain loads and
 * stores instead of a helper call, and fixed offsets keep its own cost (which
 * is subtracted anyway) small and constant.
 */
#define PKT_COST_FRAME_LEN 54
#define PKT_COST_OFF_IP_CHECK 24
#define PKT_COST_OFF_SADDR 26
#define PKT_COST_OFF_SPORT 34
#define PKT_COST_OFF_TCP_CHECK 50

/* What the wrapper does to the source before the tail call. */
enum pkt_cost_rotate {
	PKT_COST_SAME = 0, /* the frame as stored: one flow */
	PKT_COST_PORT, /* source port := counter (mod 65536): 65,536 flows of one client */
	PKT_COST_PORT_ADDR, /* ...and source address += counter / 65536: a new flow per iteration */
};

#endif /* XLB_BENCH_PKT_COST_H */
