/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Header parsing over a bounds-checked cursor; touches no maps. */
#ifndef XLB_BPF_PARSE_H
#define XLB_BPF_PARSE_H

#include "xlb/xlb_types.h"

#ifndef ETH_P_IP
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8
#endif
/* IPv6 extension headers (not all are in vmlinux.h's enum) */
#define XLB_IPPROTO_HOPOPTS 0
#define XLB_IPPROTO_ROUTING 43
#define XLB_IPPROTO_FRAGMENT 44
#define XLB_IPPROTO_DSTOPTS 60
#define XLB_IPPROTO_ICMP 1
#define XLB_IPPROTO_ICMPV6 58
#define ICMP_DEST_UNREACH_TYPE 3
#define ICMP_TIME_EXCEEDED_TYPE 11
#define ICMPV6_DEST_UNREACH_TYPE 1
#define ICMPV6_TIME_EXCEED_TYPE 3 /* 2 (packet too big) lies between */
#define IP_MF 0x2000
#define IP_OFFSET 0x1FFF
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_ACK 0x10
#define IPV6_EXT_MAX 4

struct cursor {
	void *pos;
	void *end;
};

/* What parse_packet found; each non-OK result is counted by the caller. */
enum parse_result {
	PARSE_OK = 0,
	PARSE_NOT_IP,
	PARSE_MALFORMED,
	PARSE_FRAGMENT, /* IPv4 fragment or IPv6 fragment header */
	PARSE_OTHER_L4, /* neither TCP nor UDP */
};

struct packet {
	struct ethhdr *eth;
	struct xlb_flow_key key; /* src/dst/ports/proto/family, as stored in "flows" */
	__u8 tcp_flags;
	__u8 icmp_error; /* an ICMP error quoting one of our flows' replies; key is that flow */
	__u16 l3_off; /* from the frame start: the length of the L2 header */
	__u16 l4_off;
	__u16 ip_len; /* the IP packet's length per its header (frames may be padded) */
	void *ip_end; /* where that length ends: within the frame */
};

/*
 * Headers the parser found lie within this many bytes of the frame start. The
 * verifier only trusts a bounds check on a pointer whose variable offset it
 * knows to be small, so offsets saved in struct packet are re-bounded here.
 */
#define PKT_OFF_MAX 1023

static __always_inline void *pkt_at(void *data, __u16 off)
{
	__u32 o = off;

	if (o > PKT_OFF_MAX)
		return NULL;
	return data + o;
}

/* Advances the cursor over @len bytes; returns the old position or NULL. */
static __always_inline void *cursor_take(struct cursor *c, __u32 len)
{
	void *p = c->pos;

	if (p + len > c->end)
		return NULL;
	c->pos = p + len;
	return p;
}

/* Ethernet plus at most one 802.1Q/802.1ad tag; returns the inner ethertype or -1. */
static __always_inline int parse_eth(struct cursor *c, struct ethhdr **eth_out)
{
	struct ethhdr *eth = cursor_take(c, sizeof(*eth));
	__u16 proto;

	if (!eth)
		return -1;
	*eth_out = eth;
	proto = eth->h_proto;
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
		struct vlan_hdr *vlan = cursor_take(c, sizeof(*vlan));

		if (!vlan)
			return -1;
		proto = vlan->h_vlan_encapsulated_proto;
	}
	return bpf_ntohs(proto);
}

/* Returns the L4 protocol, or a negative enum parse_result. */
static __always_inline int parse_ipv4(struct cursor *c, struct packet *pkt)
{
	struct iphdr *ip = c->pos;
	__u32 hdr_len;

	if ((void *)(ip + 1) > c->end)
		return -PARSE_MALFORMED;
	if (ip->version != 4 || ip->ihl < 5)
		return -PARSE_MALFORMED;
	hdr_len = ip->ihl * 4;
	if (!cursor_take(c, hdr_len))
		return -PARSE_MALFORMED;
	/*
	 * The packet the header claims must fit the frame (a shorter one is
	 * padded, fine): rewrites, encapsulation and ICMP work from this length.
	 */
	if (bpf_ntohs(ip->tot_len) < hdr_len || (void *)ip + bpf_ntohs(ip->tot_len) > c->end)
		return -PARSE_MALFORMED;
	pkt->ip_len = bpf_ntohs(ip->tot_len);
	pkt->ip_end = (void *)ip + pkt->ip_len;
	if (ip->frag_off & bpf_htons(IP_MF | IP_OFFSET))
		return -PARSE_FRAGMENT;
	pkt->key.family = XLB_FAMILY_V4;
	pkt->key.src.addr[0] = ip->saddr;
	pkt->key.dst.addr[0] = ip->daddr;
	return ip->protocol;
}

/* Skips hop-by-hop, routing and destination options headers (at most IPV6_EXT_MAX). */
static __always_inline int parse_ipv6(struct cursor *c, struct packet *pkt)
{
	struct ipv6hdr *ip6 = cursor_take(c, sizeof(*ip6));
	__u8 next;

	if (!ip6 || ip6->version != 6)
		return -PARSE_MALFORMED;
	pkt->key.family = XLB_FAMILY_V6;
	pkt->ip_len = bpf_ntohs(ip6->payload_len) + sizeof(*ip6);
	/* as IPv4; a jumbogram (payload length 0) is not ours either */
	if (!ip6->payload_len || (void *)ip6 + pkt->ip_len > c->end)
		return -PARSE_MALFORMED;
	pkt->ip_end = (void *)ip6 + pkt->ip_len;
	__builtin_memcpy(pkt->key.src.addr, &ip6->saddr, 16);
	__builtin_memcpy(pkt->key.dst.addr, &ip6->daddr, 16);
	next = ip6->nexthdr;
#pragma unroll
	for (int i = 0; i < IPV6_EXT_MAX; i++) {
		struct ipv6_opt_hdr *opt;

		if (next == XLB_IPPROTO_FRAGMENT)
			return -PARSE_FRAGMENT;
		if (next != XLB_IPPROTO_HOPOPTS && next != XLB_IPPROTO_ROUTING &&
		    next != XLB_IPPROTO_DSTOPTS)
			return next;
		opt = c->pos;
		if ((void *)(opt + 1) > c->end)
			return -PARSE_MALFORMED;
		next = opt->nexthdr;
		if (!cursor_take(c, (opt->hdrlen + 1) * 8))
			return -PARSE_MALFORMED;
	}
	/* after IPV6_EXT_MAX of them, the last one's next header still counts */
	if (next == XLB_IPPROTO_FRAGMENT)
		return -PARSE_FRAGMENT;
	if (next != XLB_IPPROTO_HOPOPTS && next != XLB_IPPROTO_ROUTING &&
	    next != XLB_IPPROTO_DSTOPTS)
		return next;
	return -PARSE_OTHER_L4;
}

/*
 * An ICMP error sent to the VIP about a packet that left from the VIP (a
 * real's reply, in DSR) belongs to the flow the quoted packet answered: the
 * key becomes that flow as the client sent it, so the error can follow it to
 * its real (path MTU discovery on the return path depends on it).
 */
static __always_inline int parse_icmp_error(struct cursor *c, struct packet *pkt, int proto)
{
	__u8 *icmp = cursor_take(c, 8);
	__u16 *ports;
	__u8 type, inner;

	if (!icmp)
		return PARSE_MALFORMED;
	type = icmp[0];
	if (proto == XLB_IPPROTO_ICMP ?
		    type != ICMP_DEST_UNREACH_TYPE && type != ICMP_TIME_EXCEEDED_TYPE :
		    type < ICMPV6_DEST_UNREACH_TYPE || type > ICMPV6_TIME_EXCEED_TYPE)
		return PARSE_OTHER_L4;
	if (pkt->key.family == XLB_FAMILY_V4) {
		struct iphdr *ip = c->pos;

		if ((void *)(ip + 1) > c->end || ip->ihl < 5 || !cursor_take(c, ip->ihl * 4))
			return PARSE_MALFORMED;
		/* about a packet that left from the VIP, and sent to that VIP: else not ours */
		if (ip->saddr != pkt->key.dst.addr[0])
			return PARSE_OTHER_L4;
		inner = ip->protocol;
		pkt->key.src.addr[0] = ip->daddr;
		pkt->key.dst.addr[0] = ip->saddr;
	} else {
		struct ipv6hdr *ip6 = cursor_take(c, sizeof(*ip6));

		if (!ip6)
			return PARSE_MALFORMED;
		{
			__u32 q[4];

			__builtin_memcpy(q, &ip6->saddr, 16);
			if (q[0] != pkt->key.dst.addr[0] || q[1] != pkt->key.dst.addr[1] ||
			    q[2] != pkt->key.dst.addr[2] || q[3] != pkt->key.dst.addr[3])
				return PARSE_OTHER_L4;
		}
		inner = ip6->nexthdr;
		__builtin_memcpy(pkt->key.src.addr, &ip6->daddr, 16);
		__builtin_memcpy(pkt->key.dst.addr, &ip6->saddr, 16);
	}
	if (inner != IPPROTO_TCP && inner != IPPROTO_UDP)
		return PARSE_OTHER_L4;
	ports = cursor_take(c, 4);
	if (!ports)
		return PARSE_MALFORMED;
	pkt->key.sport = ports[1];
	pkt->key.dport = ports[0];
	pkt->key.proto = inner;
	pkt->icmp_error = 1;
	return PARSE_OK;
}

static __always_inline int parse_l4(struct cursor *c, struct packet *pkt, int proto)
{
	if (proto == XLB_IPPROTO_ICMP || proto == XLB_IPPROTO_ICMPV6)
		return parse_icmp_error(c, pkt, proto);
	if (proto == IPPROTO_TCP) {
		struct tcphdr *tcp = c->pos;

		if ((void *)(tcp + 1) > c->end || tcp->doff < 5)
			return PARSE_MALFORMED;
		if (!cursor_take(c, tcp->doff * 4))
			return PARSE_MALFORMED;
		pkt->key.sport = tcp->source;
		pkt->key.dport = tcp->dest;
		/* byte 13 of the TCP header holds the flags */
		pkt->tcp_flags = ((__u8 *)tcp)[13];
	} else if (proto == IPPROTO_UDP) {
		struct udphdr *udp = cursor_take(c, sizeof(*udp));

		if (!udp)
			return PARSE_MALFORMED;
		pkt->key.sport = udp->source;
		pkt->key.dport = udp->dest;
	} else {
		return PARSE_OTHER_L4;
	}
	pkt->key.proto = proto;
	return PARSE_OK;
}

/* Fills @pkt from the frame in [data, data_end); IPv6 only if @v6 (else "other"). */
static __always_inline enum parse_result parse_packet(void *data, void *data_end,
						      struct packet *pkt, bool v6)
{
	struct cursor c = { .pos = data, .end = data_end };
	int res;
	int proto = parse_eth(&c, &pkt->eth);

	if (proto < 0)
		return PARSE_MALFORMED;
	pkt->l3_off = c.pos - data;
	if (proto == ETH_P_IP)
		proto = parse_ipv4(&c, pkt);
	else if (proto == ETH_P_IPV6 && v6)
		proto = parse_ipv6(&c, pkt);
	else if (proto == ETH_P_IPV6)
		return PARSE_OTHER_L4;
	else
		return PARSE_NOT_IP;
	if (proto < 0)
		return -proto;
	pkt->l4_off = c.pos - data;
	/* rewrites reach headers through pkt_at(): refuse what they could not reach */
	if (pkt->l4_off > PKT_OFF_MAX)
		return PARSE_MALFORMED;
	res = parse_l4(&c, pkt, proto);
	/* headers past the IP packet's own length are trailing bytes, not headers */
	if (res == PARSE_OK && c.pos > pkt->ip_end)
		return PARSE_MALFORMED;
	return res;
}

#endif /* XLB_BPF_PARSE_H */
