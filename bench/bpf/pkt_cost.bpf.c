// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Bench-only XDP programs for bench/pkt_cost.c (see docs/BENCHMARKS.md,
 * "Per-packet cost"):
 *
 *   macswap_floor     swaps the Ethernet addresses and returns XDP_TX: the
 *                     least an XDP forwarder can do, the floor every method
 *                     is compared with.
 *   lookup_floor      the floor plus what no stateful balancer can skip:
 *                     Ethernet/IPv4/TCP parsed, the 5-tuple looked up in
 *                     xlb's own "flows" table (the same map, shared by fd),
 *                     then the MAC swap. Its cost with 65,536 flows is the
 *                     flow table's cache and TLB misses alone.
 *   restore_and_call  the wrapper: BPF_PROG_TEST_RUN with repeat = N runs a
 *                     program N times on one buffer and never restores it,
 *                     so a method that encapsulates or rewrites addresses
 *                     would see its own output from the second iteration
 *                     on. The wrapper puts the original frame back (head
 *                     and bytes), optionally moves the source to the next
 *                     flow, and tail-calls the program under test.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "pkt_cost.h"
#include "xlb/xlb_types.h"

#define ETH_ALEN 6 /* vmlinux.h has the structs, not the macros */

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Written by pkt_cost through the skeleton's mmap of .bss before each pass. */
__u8 orig_frame[PKT_COST_FRAME_LEN] __attribute__((aligned(8)));
__u32 rotate; /* enum pkt_cost_rotate */

/* Slot 0: the program under test (xlb_xdp, or macswap_floor to measure the wrapper). */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} under_test SEC(".maps");

/*
 * The iteration number, set by pkt_cost before a pass. A plain global, not
 * per CPU: a long test run may move to another CPU when it yields (the
 * kernel pauses its timer and calls cond_resched()), and a per-CPU count
 * would then start over and repeat flows. Only one test run uses it at a
 * time, so no atomic is needed.
 */
__u64 iteration;

SEC("xdp")
int macswap_floor(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u8 mac[ETH_ALEN];

	if ((void *)(eth + 1) > data_end)
		return XDP_ABORTED;
	__builtin_memcpy(mac, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, mac, ETH_ALEN);
	return XDP_TX;
}

/* xlb's "flows": pkt_cost reuses the map's fd before load, so max_entries is moot. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct xlb_flow_key);
	__type(value, struct xlb_flow);
	__uint(max_entries, 1);
} flows SEC(".maps");

SEC("xdp")
int lookup_floor(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct tcphdr *tcp = (void *)(ip + 1);
	struct xlb_flow_key key = {};
	__u8 mac[ETH_ALEN];

	if ((void *)(tcp + 1) > data_end || eth->h_proto != bpf_htons(0x0800) || ip->ihl != 5 ||
	    ip->protocol != IPPROTO_TCP)
		return XDP_PASS;
	key.src.addr[0] = ip->saddr;
	key.dst.addr[0] = ip->daddr;
	key.sport = tcp->source;
	key.dport = tcp->dest;
	key.proto = IPPROTO_TCP;
	key.family = XLB_FAMILY_V4;
	if (!bpf_map_lookup_elem(&flows, &key))
		return XDP_PASS;
	__builtin_memcpy(mac, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, mac, ETH_ALEN);
	return XDP_TX;
}

/* One's-complement sum @sum with the 16-bit word @from replaced by @to (RFC 1624, eqn. 3). */
static __always_inline __u32 csum_replace16(__u32 sum, __u16 from, __u16 to)
{
	return sum + (__u16)~from + to;
}

static __always_inline __u16 csum_fold32(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/*
 * Source port += i (mod 65536) and, with PKT_COST_PORT_ADDR, source address
 * += i / 65536, with both checksums fixed incrementally: every iteration is
 * then a distinct, valid TCP segment of another flow.
 */
static __always_inline void rotate_source(__u8 *frame, __u32 i)
{
	__u16 *ip_check = (__u16 *)(frame + PKT_COST_OFF_IP_CHECK);
	__u16 *tcp_check = (__u16 *)(frame + PKT_COST_OFF_TCP_CHECK);
	__u16 *sport = (__u16 *)(frame + PKT_COST_OFF_SPORT);
	__u16 old_port = bpf_ntohs(*sport), new_port = old_port + (__u16)i;
	__u32 tcp_sum = (__u16)~bpf_ntohs(*tcp_check);

	tcp_sum = csum_replace16(tcp_sum, old_port, new_port);
	*sport = bpf_htons(new_port);
	if (rotate == PKT_COST_PORT_ADDR && (i >> 16)) {
		__u32 *saddr = (__u32 *)(frame + PKT_COST_OFF_SADDR);
		__u32 old_addr = bpf_ntohl(*saddr), new_addr = old_addr + (i >> 16);
		__u32 ip_sum = (__u16)~bpf_ntohs(*ip_check);

		/* the address is in the IP header and in the TCP pseudo-header */
		ip_sum = csum_replace16(ip_sum, old_addr >> 16, new_addr >> 16);
		ip_sum = csum_replace16(ip_sum, old_addr & 0xffff, new_addr & 0xffff);
		tcp_sum = csum_replace16(tcp_sum, old_addr >> 16, new_addr >> 16);
		tcp_sum = csum_replace16(tcp_sum, old_addr & 0xffff, new_addr & 0xffff);
		*saddr = bpf_htonl(new_addr);
		*ip_check = bpf_htons(csum_fold32(ip_sum));
	}
	*tcp_check = bpf_htons(csum_fold32(tcp_sum));
}

SEC("xdp")
int restore_and_call(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	long len = data_end - data;

	/* tun/gue grew the frame at the head: give those bytes back first. */
	if (len != PKT_COST_FRAME_LEN) {
		if (bpf_xdp_adjust_head(ctx, (int)(len - PKT_COST_FRAME_LEN)))
			return XDP_ABORTED;
		data = (void *)(long)ctx->data;
		data_end = (void *)(long)ctx->data_end;
	}
	if (data + PKT_COST_FRAME_LEN > data_end)
		return XDP_ABORTED;
	__builtin_memcpy(data, orig_frame, PKT_COST_FRAME_LEN);

	if (rotate != PKT_COST_SAME) {
		rotate_source(data, (__u32)iteration++);
	}
	bpf_tail_call(ctx, &under_test, 0);
	return XDP_ABORTED; /* the slot was empty */
}
