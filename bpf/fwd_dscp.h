/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Method dscp (L3DSR, as Kakao runs it): destination IP := the real's, DSCP :=
 * the service's value; the real (xlb-rs) maps that DSCP back to the VIP and
 * answers the client from the VIP directly. Checksums updated incrementally.
 */
#ifndef XLB_BPF_FWD_DSCP_H
#define XLB_BPF_FWD_DSCP_H

#include "csum.h"
#include "parse.h"

/* The L4 checksum covers the addresses (pseudo-header): fix it too. */
static __always_inline int dscp_fix_l4(void *data, void *data_end, const struct packet *pkt,
				       __u32 *from, __u32 *to, __u32 size)
{
	void *l4 = pkt_at(data, pkt->l4_off);

	if (!l4)
		return -1;
	if (pkt->icmp_error) {
		__u16 *check = l4 + 2;

		/* ICMPv6 sums the pseudo-header; ICMP (v4) does not. */
		if (pkt->key.family == XLB_FAMILY_V4)
			return 0;
		if ((void *)(check + 1) > data_end)
			return -1;
		*check = csum_replace(*check, from, to, size);
		return 0;
	}
	if (pkt->key.proto == IPPROTO_TCP) {
		struct tcphdr *tcp = l4;

		if ((void *)(tcp + 1) > data_end)
			return -1;
		tcp->check = csum_replace(tcp->check, from, to, size);
	} else {
		struct udphdr *udp = l4;

		if ((void *)(udp + 1) > data_end)
			return -1;
		/* IPv4 UDP without a checksum stays without one; 0 is spelled 0xffff. */
		if (udp->check || pkt->key.family == XLB_FAMILY_V6) {
			udp->check = csum_replace(udp->check, from, to, size);
			if (!udp->check)
				udp->check = 0xffff;
		}
	}
	return 0;
}

static __always_inline int fwd_dscp(void *data, void *data_end, const struct packet *pkt,
				    const struct xlb_real *real, __u8 dscp)
{
	void *l3 = pkt_at(data, pkt->l3_off);

	if (!l3)
		return -1;
	if (pkt->key.family == XLB_FAMILY_V4) {
		struct iphdr *ip = l3;
		__u32 old_word, new_word, old_dst, new_dst;

		if ((void *)(ip + 1) > data_end)
			return -1;
		/*
		 * First 32-bit word: version/ihl, tos, tot_len. Copied, not read
		 * through a __u32 pointer: under strict aliasing clang may reuse
		 * the first load for the second, leaving the TOS change out of
		 * the header checksum.
		 */
		__builtin_memcpy(&old_word, ip, 4);
		ip->tos = (__u8)(dscp << 2) | (ip->tos & 0x3);
		__builtin_memcpy(&new_word, ip, 4);
		old_dst = ip->daddr;
		new_dst = real->addr.addr[0];
		ip->daddr = new_dst;
		ip->check = csum_replace(ip->check, &old_word, &new_word, 4);
		ip->check = csum_replace(ip->check, &old_dst, &new_dst, 4);
		return dscp_fix_l4(data, data_end, pkt, &old_dst, &new_dst, 4);
	} else {
		struct ipv6hdr *ip6 = l3;
		__u32 old_dst[4], new_dst[4];
		__u32 word;

		if ((void *)(ip6 + 1) > data_end)
			return -1;
		/* version(4) traffic class(8) flow label(20); IPv6 has no header sum */
		word = bpf_ntohl(*(__u32 *)ip6);
		word = (word & 0xf00fffff) | ((__u32)((dscp << 2) | ((word >> 20) & 0x3)) << 20);
		*(__u32 *)ip6 = bpf_htonl(word);
		__builtin_memcpy(old_dst, &ip6->daddr, 16);
		__builtin_memcpy(new_dst, real->addr.addr, 16);
		__builtin_memcpy(&ip6->daddr, new_dst, 16);
		return dscp_fix_l4(data, data_end, pkt, old_dst, new_dst, 16);
	}
}

#endif /* XLB_BPF_FWD_DSCP_H */
