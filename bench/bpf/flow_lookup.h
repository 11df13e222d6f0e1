/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Shared by the bench programs that measure a lookup floor (pkt_cost's
 * lookup_floor, pps's pps_fwd_lookup): xlb's own "flows" map, reused by fd
 * or pin before load, and the one lookup any stateful balancer must do.
 */
#ifndef XLB_BENCH_FLOW_LOOKUP_H
#define XLB_BENCH_FLOW_LOOKUP_H

#include "xlb/xlb_types.h"

/* xlb's "flows": the user side reuses the real map before load, so max_entries is moot. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct xlb_flow_key);
	__type(value, struct xlb_flow);
	__uint(max_entries, 1);
} flows SEC(".maps");

enum bench_flow { BENCH_NOT_TCP4, BENCH_NO_FLOW, BENCH_FLOW };

/* Ethernet + IPv4 (no options) + TCP: whether its 5-tuple is in "flows". */
static __always_inline enum bench_flow bench_flow_lookup(void *data, void *data_end)
{
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct tcphdr *tcp = (void *)(ip + 1);
	struct xlb_flow_key key = {};

	if ((void *)(tcp + 1) > data_end || eth->h_proto != bpf_htons(0x0800) || ip->ihl != 5 ||
	    ip->protocol != IPPROTO_TCP)
		return BENCH_NOT_TCP4;
	key.src.addr[0] = ip->saddr;
	key.dst.addr[0] = ip->daddr;
	key.sport = tcp->source;
	key.dport = tcp->dest;
	key.proto = IPPROTO_TCP;
	key.family = XLB_FAMILY_V4;
	return bpf_map_lookup_elem(&flows, &key) ? BENCH_FLOW : BENCH_NO_FLOW;
}

#endif /* XLB_BENCH_FLOW_LOOKUP_H */
