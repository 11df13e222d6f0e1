/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * When encapsulation would not fit the egress MTU, answer the client with
 * ICMP Fragmentation Needed (IPv4) or Packet Too Big (IPv6), from the VIP,
 * quoting the client's packet, so its path MTU drops by the encapsulation.
 * The frame is turned into the ICMP message in place and sent back (XDP_TX).
 */
#ifndef XLB_BPF_ICMP_TOO_BIG_H
#define XLB_BPF_ICMP_TOO_BIG_H

#include "csum.h"
#include "parse.h"

#define ICMP_DEST_UNREACH 3
#define ICMP_FRAG_NEEDED 4
#define ICMPV6_PKT_TOOBIG 2
#define ICMP4_DF 0x4000 /* the quoted packet's Don't Fragment bit */
#ifndef IPPROTO_ICMPV6
#define IPPROTO_ICMPV6 58
#endif
/* What is quoted: the client's IP header (no options) and 8 bytes of TCP/UDP. */
#define ICMP4_QUOTE (sizeof(struct iphdr) + 8)
#define ICMP6_QUOTE (sizeof(struct ipv6hdr) + 8)
#define ICMP_HDR_LEN 8

struct icmp_hdr {
	__u8 type;
	__u8 code;
	__u16 check;
	__u32 rest; /* IPv4: unused(16) mtu(16); IPv6: mtu(32) */
};

/* Frame length as a plain number: clang would otherwise fold it into pointer math. */
static __always_inline long frame_len(void *data, void *data_end)
{
	long len = data_end - data;

	asm volatile("" : "+r"(len));
	return len;
}

/* Moves the L2 header from @from_off to the frame start, swapping the MACs. */
static __always_inline int icmp_l2_reply(void *data, void *data_end, __u32 from_off, __u16 l2_len)
{
	struct ethhdr *old = data + from_off, *eth = data;
	__u8 mac[6];

	if (data + from_off + 18 > data_end)
		return -1;
	if (l2_len == 18)
		__builtin_memmove(data + 12, data + from_off + 12, 6);
	else
		__builtin_memmove(data + 12, data + from_off + 12, 2);
	__builtin_memcpy(mac, old->h_source, 6);
	__builtin_memmove(eth->h_source, old->h_dest, 6);
	__builtin_memcpy(eth->h_dest, mac, 6);
	return 0;
}

static __always_inline int icmp4_too_big(struct xdp_md *ctx, __u16 l2_len, __u16 mtu)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 keep = l2_len + ICMP4_QUOTE;
	__u32 push = sizeof(struct iphdr) + ICMP_HDR_LEN;
	struct iphdr *ip, *quoted;
	struct icmp_hdr *icmp;
	__u32 src, dst;

	if (l2_len != 14 && l2_len != 18)
		return -1;
	quoted = data + l2_len;
	/* Options would not fit the fixed quote; DF clear asks for fragmentation, not ICMP. */
	if ((void *)(quoted + 1) > data_end || quoted->ihl != 5 ||
	    !(quoted->frag_off & bpf_htons(ICMP4_DF)))
		return -1;
	src = quoted->saddr;
	dst = quoted->daddr;
	if (bpf_xdp_adjust_tail(ctx, (int)keep - (int)frame_len(data, data_end)))
		return -1;
	if (bpf_xdp_adjust_head(ctx, -(int)push))
		return -1;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if (data + push + l2_len + ICMP4_QUOTE > data_end)
		return -1;
	if (icmp_l2_reply(data, data_end, push, l2_len))
		return -1;

	ip = data + l2_len;
	icmp = (void *)(ip + 1);
	if ((void *)(icmp + 1) + ICMP4_QUOTE > data_end)
		return -1;
	ip->version = 4;
	ip->ihl = 5;
	ip->tos = 0;
	ip->tot_len = bpf_htons(sizeof(*ip) + ICMP_HDR_LEN + ICMP4_QUOTE);
	ip->id = 0;
	ip->frag_off = 0;
	ip->ttl = 64;
	ip->protocol = IPPROTO_ICMP;
	ip->check = 0;
	ip->saddr = dst;
	ip->daddr = src;
	ip->check = csum_ipv4_header(ip);

	icmp->type = ICMP_DEST_UNREACH;
	icmp->code = ICMP_FRAG_NEEDED;
	icmp->check = 0;
	icmp->rest = bpf_htonl(mtu);
	icmp->check = csum_fold((__u64)bpf_csum_diff(NULL, 0, (void *)icmp,
						     ICMP_HDR_LEN + ICMP4_QUOTE, 0));
	return 0;
}

static __always_inline int icmp6_too_big(struct xdp_md *ctx, __u16 l2_len, __u32 mtu)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 keep = l2_len + ICMP6_QUOTE;
	__u32 push = sizeof(struct ipv6hdr) + ICMP_HDR_LEN;
	struct ipv6hdr *ip6, *quoted;
	struct icmp_hdr *icmp;
	struct {
		__u32 src[4];
		__u32 dst[4];
		__u32 len;
		__u32 nexthdr;
	} pseudo;
	__s64 sum;

	if (l2_len != 14 && l2_len != 18)
		return -1;
	quoted = data + l2_len;
	if ((void *)(quoted + 1) > data_end)
		return -1;
	__builtin_memcpy(pseudo.src, &quoted->daddr, 16);
	__builtin_memcpy(pseudo.dst, &quoted->saddr, 16);
	pseudo.len = bpf_htonl(ICMP_HDR_LEN + ICMP6_QUOTE);
	pseudo.nexthdr = bpf_htonl(IPPROTO_ICMPV6);
	if (bpf_xdp_adjust_tail(ctx, (int)keep - (int)frame_len(data, data_end)))
		return -1;
	if (bpf_xdp_adjust_head(ctx, -(int)push))
		return -1;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if (data + push + l2_len + ICMP6_QUOTE > data_end)
		return -1;
	if (icmp_l2_reply(data, data_end, push, l2_len))
		return -1;

	ip6 = data + l2_len;
	icmp = (void *)(ip6 + 1);
	if ((void *)(icmp + 1) + ICMP6_QUOTE > data_end)
		return -1;
	*(__u32 *)ip6 = bpf_htonl(6u << 28);
	ip6->payload_len = bpf_htons(ICMP_HDR_LEN + ICMP6_QUOTE);
	ip6->nexthdr = IPPROTO_ICMPV6;
	ip6->hop_limit = 64;
	__builtin_memcpy(&ip6->saddr, pseudo.src, 16);
	__builtin_memcpy(&ip6->daddr, pseudo.dst, 16);

	icmp->type = ICMPV6_PKT_TOOBIG;
	icmp->code = 0;
	icmp->check = 0;
	icmp->rest = bpf_htonl(mtu);
	sum = bpf_csum_diff(NULL, 0, (__u32 *)&pseudo, sizeof(pseudo), 0);
	sum = bpf_csum_diff(NULL, 0, (void *)icmp, ICMP_HDR_LEN + ICMP6_QUOTE, (__u32)sum);
	icmp->check = csum_fold((__u64)sum);
	return 0;
}

#endif /* XLB_BPF_ICMP_TOO_BIG_H */
