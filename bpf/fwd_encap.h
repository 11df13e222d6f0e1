/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Methods tun (IPIP / IPv6-in-IPv6) and gue (the same inside UDP, GUE variant
 * 1: the UDP payload is the inner IP packet). The caller makes room between
 * the L2 header and the IP packet; these write the outer headers into it.
 */
#ifndef XLB_BPF_FWD_ENCAP_H
#define XLB_BPF_FWD_ENCAP_H

#include "csum.h"
#include "parse.h"

#define IP_DF 0x4000
#define ENCAP_TTL 64
#ifndef IPPROTO_IPIP
#define IPPROTO_IPIP 4
#endif
#ifndef IPPROTO_IPV6
#define IPPROTO_IPV6 41
#endif

/*
 * How a packet goes to its real: filled from an established flow's entries
 * directly, or from the new-flow plan; applied by the entry point.
 */
struct fwd_args {
	const struct xlb_real *real; /* in "reals", whichever path found it */
	struct xlb_addr nat_src; /* fnat: our source address toward the real */
	__u32 flow_hash; /* tun/gue: IPv6 flow label, GUE source port */
	__u16 gue_port; /* gue: outer UDP destination port, network order */
	__u16 nat_sport; /* fnat: our source port toward the real */
	__u16 ip_len; /* the inner IP packet */
	__u16 l2_len;
	__u8 method;
	__u8 dscp;
	__u8 inner_tos; /* IPv4 TOS / IPv6 traffic class, copied to the outer header */
	__u8 family;
};

/*
 * What the new-flow path decided, in a per-CPU map rather than on the stack
 * (see plan_scratch()). Map values cannot hold map pointers: the caller
 * looks the real up again by id, so both paths hand the forwarding code a
 * pointer into "reals" (one shape for the verifier to follow, not two).
 */
struct fwd_plan {
	__u32 real_id;
	__u32 pad0;
	struct xlb_addr nat_src;
	struct xlb_nat_rev rev; /* a nat/fnat reply: rewrite back to this, route by the FIB */
	__u16 nat_sport;
	__u8 reply;
	__u8 pad[5];
};

static __always_inline __u32 encap_len(__u8 method, __u8 family)
{
	__u32 len = family == XLB_FAMILY_V4 ? sizeof(struct iphdr) : sizeof(struct ipv6hdr);

	return method == XLB_METHOD_GUE ? len + sizeof(struct udphdr) : len;
}

/* Routers spread GUE by source port: derive it from the flow, keep it ephemeral. */
static __always_inline __u16 gue_sport(__u32 hash)
{
	return bpf_htons((__u16)(0xc000 | (hash & 0x3fff)));
}

static __always_inline __u32 flow_hash(const struct xlb_flow_key *key)
{
	const __u32 *w = (const __u32 *)key;
	__u32 h = 0x9e3779b9;

#pragma unroll
	for (int i = 0; i < (int)(sizeof(*key) / 4); i++) {
		h ^= w[i];
		h *= 0x85ebca6b;
		h ^= h >> 13;
	}
	return h;
}

static __always_inline int encap_write(void *data, void *data_end, const struct fwd_args *a)
{
	void *outer = a->l2_len == 18 ? data + 18 : data + 14;
	__u8 l4proto = a->method == XLB_METHOD_GUE ? IPPROTO_UDP :
			a->family == XLB_FAMILY_V4 ? IPPROTO_IPIP : IPPROTO_IPV6;
	__u32 total = a->ip_len + encap_len(a->method, a->family);
	struct udphdr *udp;

	if (a->family == XLB_FAMILY_V4) {
		struct iphdr *ip = outer;

		if ((void *)(ip + 1) > data_end)
			return -1;
		ip->version = 4;
		ip->ihl = 5;
		ip->tos = a->inner_tos;
		ip->tot_len = bpf_htons(total);
		ip->id = 0;
		/* DF: an oversized outer packet must come back as ICMP, never be split. */
		ip->frag_off = bpf_htons(IP_DF);
		ip->ttl = ENCAP_TTL;
		ip->protocol = l4proto;
		ip->check = 0;
		ip->saddr = a->real->src_addr.addr[0];
		ip->daddr = a->real->addr.addr[0];
		ip->check = csum_ipv4_header(ip);
		udp = (void *)(ip + 1);
	} else {
		struct ipv6hdr *ip6 = outer;
		__u32 first;

		if ((void *)(ip6 + 1) > data_end)
			return -1;
		first = (6u << 28) | ((__u32)a->inner_tos << 20) | (a->flow_hash & 0xfffff);
		*(__u32 *)ip6 = bpf_htonl(first);
		ip6->payload_len = bpf_htons(total - sizeof(*ip6));
		ip6->nexthdr = l4proto;
		ip6->hop_limit = ENCAP_TTL;
		__builtin_memcpy(&ip6->saddr, a->real->src_addr.addr, 16);
		__builtin_memcpy(&ip6->daddr, a->real->addr.addr, 16);
		udp = (void *)(ip6 + 1);
	}
	if (a->method != XLB_METHOD_GUE)
		return 0;
	if ((void *)(udp + 1) > data_end)
		return -1;
	udp->source = gue_sport(a->flow_hash);
	udp->dest = a->gue_port;
	udp->len = bpf_htons(a->ip_len + sizeof(*udp));
	/* Zero for both families: xlb-rs decapsulates before the stack looks. */
	udp->check = 0;
	return 0;
}

#endif /* XLB_BPF_FWD_ENCAP_H */
