// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Bench-only XDP programs for bench/pps_gen.c and bench/run_pps.sh (see
 * docs/BENCHMARKS.md, "Packets per second"):
 *
 *   pps_gen   run by BPF_PROG_RUN in live-frames mode on the generator's
 *             veth: writes the template frame, gives it the next source
 *             port and returns XDP_TX, so the kernel sends it to the peer.
 *   pps_sink  on the "real"'s veth: counts the forwarded packets (IPv4 TCP,
 *             or IPIP/UDP for the encapsulating methods) per CPU and drops
 *             them; everything else (ARP, ND) passes, so the load balancer
 *             can resolve the real's MAC.
 *   pps_fwd   the ceiling, in place of xlb on the load balancer's veth:
 *             rewrite both MACs and redirect to the real's veth, the least
 *             a forwarder there can do.
 *   pps_fwd_lookup  the lookup ceiling: pps_fwd after one lookup of the
 *             5-tuple in xlb's own "flows" map (pinned by the xlbd that
 *             forwarded the same flows before), the least a stateful
 *             balancer can do; a packet of no flow is dropped.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "pps.h"
#include "xlb/xlb_types.h"

#define ETH_ALEN 6 /* vmlinux.h has the structs, not the macros */
#define ETH_P_IP 0x0800

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* ---- generator: set through the skeleton before the run ---- */

__u8 gen_frame[PPS_FRAME_LEN] __attribute__((aligned(8)));
__u32 gen_flows = 1; /* source ports used: gen_frame's port + 0 .. gen_flows - 1 */
/*
 * Packets generated so far. A plain global: one BPF_PROG_RUN task runs the
 * program, and moving to another CPU must not restart the count.
 */
__u64 gen_seq;

SEC("xdp")
int pps_gen(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u16 *sport, *check;
	__u16 base, port;
	__u32 sum;

	if (data + PPS_FRAME_LEN > data_end)
		return XDP_ABORTED;
	/*
	 * Live-frames pages are recycled with whatever the last user left in
	 * them (xlb's tun output moved the headers): write the whole frame.
	 */
	__builtin_memcpy(data, gen_frame, PPS_FRAME_LEN);
	sport = data + PPS_OFF_SPORT;
	check = data + PPS_OFF_TCP_CHECK;
	base = bpf_ntohs(*sport);
	port = base + (__u16)(gen_seq++ % gen_flows);
	/* RFC 1624: the checksum follows the port change */
	sum = (__u16)~bpf_ntohs(*check) + (__u16)~base + port;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	*sport = bpf_htons(port);
	*check = bpf_htons((__u16)~sum);
	return XDP_TX;
}

/* ---- sink ---- */

/* [0]: every packet counted; [1]: those of them that are IPIP (tun's output). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} sink_count SEC(".maps");

SEC("xdp")
int pps_sink(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	__u32 zero = 0;
	__u64 *n;

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	if (ip->protocol != IPPROTO_TCP && ip->protocol != IPPROTO_IPIP &&
	    ip->protocol != IPPROTO_UDP)
		return XDP_PASS;
	n = bpf_map_lookup_elem(&sink_count, &zero);
	if (n)
		*n += 1;
	if (ip->protocol == IPPROTO_IPIP) {
		__u32 ipip = 1;

		n = bpf_map_lookup_elem(&sink_count, &ipip);
		if (n)
			*n += 1;
	}
	return XDP_DROP;
}

/* ---- ceiling forwarder: set through the skeleton before attaching ---- */

__u8 fwd_dst_mac[ETH_ALEN];
__u8 fwd_src_mac[ETH_ALEN];

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} fwd_port SEC(".maps");

/* xlb's pinned "flows", reused by pps_gen before load: max_entries is moot. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct xlb_flow_key);
	__type(value, struct xlb_flow);
	__uint(max_entries, 1);
} flows SEC(".maps");

SEC("xdp")
int pps_fwd_lookup(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct tcphdr *tcp = (void *)(ip + 1);
	struct xlb_flow_key key = {};

	if ((void *)(tcp + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	if (ip->ihl != 5 || ip->protocol != IPPROTO_TCP)
		return XDP_PASS;
	key.src.addr[0] = ip->saddr;
	key.dst.addr[0] = ip->daddr;
	key.sport = tcp->source;
	key.dport = tcp->dest;
	key.proto = IPPROTO_TCP;
	key.family = XLB_FAMILY_V4;
	if (!bpf_map_lookup_elem(&flows, &key))
		return XDP_DROP;
	__builtin_memcpy(eth->h_dest, fwd_dst_mac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, fwd_src_mac, ETH_ALEN);
	return bpf_redirect_map(&fwd_port, 0, XDP_DROP);
}

SEC("xdp")
int pps_fwd(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	__builtin_memcpy(eth->h_dest, fwd_dst_mac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, fwd_src_mac, ETH_ALEN);
	return bpf_redirect_map(&fwd_port, 0, XDP_DROP);
}
