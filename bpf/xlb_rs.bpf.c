// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Real-server side of xlb (xlb-rs), on tc clsact ingress: removes the tun
 * (IPIP, IPv6-in-IPv6) and gue (IP in UDP) encapsulation of packets to a
 * configured VIP, and for dscp (L3DSR) turns destination := VIP by DSCP. It
 * never decides a packet's fate: everything else goes on untouched, and the
 * kernel stack delivers the result to the VIP on lo, so replies leave from
 * the VIP straight to the client. No ipip/fou module is involved.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "parse.h"
#include "xlb/xlb_rs.h"

/* "Continue with the next filter": we rewrite, other filters still decide. */
#define TC_ACT_UNSPEC (-1)
#define TC_ACT_SHOT 2

/* Outer + inner headers at their longest (IPv4 options, IPv6 extensions). */
#define RS_PULL_LEN 192
#define RS_IPV6_DSCP_MASK 0x0fc00000 /* DSCP bits of the first IPv6 word */

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct xlb_rs_vip_key);
	__type(value, struct xlb_rs_vip);
	__uint(max_entries, XLB_RS_MAX_VIPS);
} rs_vips SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct xlb_rs_dscp_key);
	__type(value, struct xlb_rs_vip_key);
	__uint(max_entries, 2 * (XLB_RS_DSCP_MAX + 1));
} rs_dscp SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u16);
	__type(value, __u32);
	__uint(max_entries, XLB_RS_MAX_VIPS);
} rs_gue_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, XLB_RS_CNT__COUNT);
} rs_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__type(key, struct xlb_rs_vip_key);
	__type(value, struct xlb_rs_vip_stats);
	__uint(max_entries, XLB_RS_MAX_VIPS);
} rs_vip_stats SEC(".maps");

/* Why a helper call failed: whether the packet is still as it arrived. */
enum rs_err {
	RS_ERR_UNCHANGED = 1,
	RS_ERR_CHANGED,
};

static __always_inline void rs_count(__u32 c)
{
	__u64 *v = bpf_map_lookup_elem(&rs_stats, &c);

	if (v)
		*v += 1;
}

static __always_inline void rs_count_vip(const struct xlb_rs_vip_key *key, __u32 bytes)
{
	struct xlb_rs_vip_stats *st = bpf_map_lookup_elem(&rs_vip_stats, key);

	if (st) {
		st->packets++;
		st->bytes += bytes;
	}
}

static __always_inline struct xlb_rs_vip *rs_vip_find(struct xlb_rs_vip_key *key, __u8 family,
						      const void *addr)
{
	__builtin_memset(key, 0, sizeof(*key));
	key->family = family;
	if (family == XLB_FAMILY_V4)
		__builtin_memcpy(key->vip.addr, addr, 4);
	else
		__builtin_memcpy(key->vip.addr, addr, 16);
	return bpf_map_lookup_elem(&rs_vips, key);
}

/*
 * The inner IP header at the cursor: its family (4 or 6) with the VIP key of
 * its destination filled in, or a negative enum parse_result. Only the fixed
 * header has to be there; the inner L4 is the stack's business.
 */
static __always_inline int rs_inner(struct cursor *c, struct xlb_rs_vip_key *key,
				    struct xlb_rs_vip **vip)
{
	__u8 *first = c->pos;

	if ((void *)(first + 1) > c->end)
		return -PARSE_MALFORMED;
	if (*first >> 4 == 4) {
		struct iphdr *ip = c->pos;

		if ((void *)(ip + 1) > c->end || ip->ihl < 5)
			return -PARSE_MALFORMED;
		*vip = rs_vip_find(key, XLB_FAMILY_V4, &ip->daddr);
		return XLB_FAMILY_V4;
	}
	if (*first >> 4 == 6) {
		struct ipv6hdr *ip6 = c->pos;

		if ((void *)(ip6 + 1) > c->end)
			return -PARSE_MALFORMED;
		*vip = rs_vip_find(key, XLB_FAMILY_V6, &ip6->daddr);
		return XLB_FAMILY_V6;
	}
	return -PARSE_MALFORMED;
}

/*
 * Removes the @len bytes between the Ethernet header and the inner packet.
 * The GSO size stays: on a GRO-merged tunnel packet it already is the inner
 * segment size. Across families the skb's protocol changes first (which
 * moves the boundary by the 20 bytes the IPv4 and IPv6 headers differ in),
 * then the Ethernet type follows it.
 */
static __always_inline int rs_decap(struct __sk_buff *skb, __u32 len, int outer, int inner)
{
	__u16 proto = bpf_htons(inner == XLB_FAMILY_V4 ? ETH_P_IP : ETH_P_IPV6);
	__u32 delta = sizeof(struct ipv6hdr) - sizeof(struct iphdr);

	if (outer == inner) {
		if (bpf_skb_adjust_room(skb, -(__s32)len, BPF_ADJ_ROOM_MAC,
					BPF_F_ADJ_ROOM_FIXED_GSO))
			return RS_ERR_UNCHANGED;
		return 0;
	}
	if (bpf_skb_change_proto(skb, proto, 0))
		return RS_ERR_UNCHANGED;
	len = inner == XLB_FAMILY_V6 ? len + delta : len - delta;
	if (bpf_skb_adjust_room(skb, -(__s32)len, BPF_ADJ_ROOM_MAC, BPF_F_ADJ_ROOM_FIXED_GSO))
		return RS_ERR_CHANGED;
	/* the Ethernet header is outside CHECKSUM_COMPLETE's sum: no recompute */
	if (bpf_skb_store_bytes(skb, offsetof(struct ethhdr, h_proto), &proto, sizeof(proto), 0))
		return RS_ERR_CHANGED;
	return 0;
}

static __always_inline int rs_err_verdict(int err)
{
	rs_count(XLB_RS_CNT_ERROR);
	return err == RS_ERR_CHANGED ? TC_ACT_SHOT : TC_ACT_UNSPEC;
}

/* tun: the cursor is past the outer header of @outer_len bytes. */
static __always_inline int rs_tun(struct __sk_buff *skb, struct cursor *c, int family,
				  __u32 outer_len)
{
	struct xlb_rs_vip_key key;
	struct xlb_rs_vip *vip = NULL;
	int inner = rs_inner(c, &key, &vip);
	int err;

	if (inner < 0 || inner != family) {
		rs_count(XLB_RS_CNT_PASS_MALFORMED);
		return TC_ACT_UNSPEC;
	}
	if (!vip || vip->method != XLB_METHOD_TUN) {
		rs_count(XLB_RS_CNT_PASS_NOT_OURS);
		return TC_ACT_UNSPEC;
	}
	err = rs_decap(skb, outer_len, family, family);
	if (err)
		return rs_err_verdict(err);
	rs_count(XLB_RS_CNT_DECAP_TUN);
	rs_count_vip(&key, skb->len);
	return TC_ACT_UNSPEC;
}

/* gue: the cursor is at the UDP header, already known to be in the frame. */
static __always_inline int rs_gue(struct __sk_buff *skb, struct cursor *c, int family,
				  __u32 outer_len, __u16 port)
{
	struct xlb_rs_vip_key key;
	struct xlb_rs_vip *vip = NULL;
	int inner, err;

	if (!cursor_take(c, sizeof(struct udphdr))) {
		rs_count(XLB_RS_CNT_PASS_MALFORMED);
		return TC_ACT_UNSPEC;
	}
	inner = rs_inner(c, &key, &vip);
	if (inner < 0) {
		rs_count(XLB_RS_CNT_PASS_MALFORMED);
		return TC_ACT_UNSPEC;
	}
	if (!vip || vip->method != XLB_METHOD_GUE || vip->gue_port != port) {
		rs_count(XLB_RS_CNT_PASS_NOT_OURS);
		return TC_ACT_UNSPEC;
	}
	/*
	 * UDP GRO (forwarding/fraglist modes) glues datagrams that each carry
	 * their own inner packet; one decap cannot split them.
	 */
	if (skb->gso_size) {
		rs_count(XLB_RS_CNT_PASS_GSO);
		return TC_ACT_UNSPEC;
	}
	err = rs_decap(skb, outer_len + sizeof(struct udphdr), family, inner);
	if (err)
		return rs_err_verdict(err);
	rs_count(XLB_RS_CNT_DECAP_GUE);
	rs_count_vip(&key, skb->len);
	return TC_ACT_UNSPEC;
}

/* The VIP a DSCP-marked packet stands for, or NULL. */
static __always_inline struct xlb_rs_vip *rs_dscp_vip(__u8 family, __u8 dscp,
						      struct xlb_rs_vip_key *key)
{
	struct xlb_rs_dscp_key dk = {.family = family, .dscp = dscp};
	struct xlb_rs_vip_key *k = bpf_map_lookup_elem(&rs_dscp, &dk);
	struct xlb_rs_vip *vip;

	if (!k)
		return NULL;
	*key = *k;
	vip = bpf_map_lookup_elem(&rs_vips, key);
	if (!vip || vip->method != XLB_METHOD_DSCP || vip->dscp != dscp)
		return NULL;
	return vip;
}

/* Offset of the TCP/UDP checksum field, and the l4_csum_replace flags for it. */
static __always_inline __u32 rs_l4_csum(int proto, __u64 *flags)
{
	if (proto == IPPROTO_UDP) {
		/* an IPv4 UDP checksum of 0 means "none" and must stay 0 */
		*flags |= BPF_F_MARK_MANGLED_0;
		return offsetof(struct udphdr, check);
	}
	return offsetof(struct tcphdr, check);
}

static __always_inline int rs_l4_present(struct cursor *c, int proto)
{
	__u32 len = proto == IPPROTO_UDP ? sizeof(struct udphdr) : sizeof(struct tcphdr);

	return c->pos + len <= c->end;
}

/*
 * dscp, IPv4: daddr := VIP, DSCP := 0 (ECN kept), the header checksum and the
 * TCP/UDP checksum (pseudo-header) updated incrementally. A fragment is
 * rewritten too, so all of a datagram's pieces meet at the VIP; only the
 * first carries the L4 checksum.
 */
static __always_inline int rs_dscp_v4(struct __sk_buff *skb, struct iphdr *ip, struct cursor *c,
				      __u32 l3_off)
{
	__u8 dscp = ip->tos >> 2, tos = ip->tos & 0x3;
	__u32 l4_off = l3_off + ip->ihl * 4;
	__u16 old_word, new_word;
	__u32 old_dst, new_dst;
	struct xlb_rs_vip_key key;
	__u64 l4_flags = BPF_F_PSEUDO_HDR | sizeof(__u32);
	int proto = ip->protocol;
	bool first = !(ip->frag_off & bpf_htons(IP_OFFSET));
	__u32 csum_off;

	if (!dscp || (proto != IPPROTO_TCP && proto != IPPROTO_UDP) ||
	    !rs_dscp_vip(XLB_FAMILY_V4, dscp, &key)) {
		rs_count(XLB_RS_CNT_PASS_NOT_OURS);
		return TC_ACT_UNSPEC;
	}
	if (first && !rs_l4_present(c, proto)) {
		rs_count(XLB_RS_CNT_PASS_MALFORMED);
		return TC_ACT_UNSPEC;
	}
	old_word = *(__u16 *)ip; /* version/ihl and tos: the checksum's first word */
	new_word = old_word;
	((__u8 *)&new_word)[1] = tos;
	old_dst = ip->daddr;
	new_dst = key.vip.addr[0];
	csum_off = rs_l4_csum(proto, &l4_flags);

	/* Until the first store the packet is untouched; after it, all or drop. */
	if (bpf_skb_store_bytes(skb, l3_off + offsetof(struct iphdr, tos), &tos, 1, 0))
		return rs_err_verdict(RS_ERR_UNCHANGED);
	if (bpf_l3_csum_replace(skb, l3_off + offsetof(struct iphdr, check), old_word, new_word,
				sizeof(__u16)) ||
	    bpf_skb_store_bytes(skb, l3_off + offsetof(struct iphdr, daddr), &new_dst, 4, 0) ||
	    bpf_l3_csum_replace(skb, l3_off + offsetof(struct iphdr, check), old_dst, new_dst,
				sizeof(__u32)))
		return rs_err_verdict(RS_ERR_CHANGED);
	if (first && bpf_l4_csum_replace(skb, l4_off + csum_off, old_dst, new_dst, l4_flags))
		return rs_err_verdict(RS_ERR_CHANGED);
	rs_count(XLB_RS_CNT_DSCP_RESTORED);
	rs_count_vip(&key, skb->len);
	return TC_ACT_UNSPEC;
}

/*
 * dscp, IPv6: daddr := VIP, DSCP := 0. No header checksum, but the stores
 * recompute CHECKSUM_COMPLETE's sum, which the IPv4 header checksum keeps
 * balanced there and nothing does here.
 */
static __always_inline int rs_dscp_v6(struct __sk_buff *skb, struct ipv6hdr *ip6, struct cursor *c,
				      __u32 l3_off, int proto)
{
	__u32 old_word = bpf_ntohl(*(__u32 *)ip6), new_word;
	__u8 dscp = (old_word & RS_IPV6_DSCP_MASK) >> 22;
	__u32 l4_off = l3_off + (__u32)((long)c->pos - (long)ip6);
	__u64 l4_flags = BPF_F_PSEUDO_HDR;
	__u32 old_dst[4], csum_off;
	struct xlb_rs_vip_key key;
	__s64 diff;

	if (!dscp || (proto != IPPROTO_TCP && proto != IPPROTO_UDP) ||
	    !rs_dscp_vip(XLB_FAMILY_V6, dscp, &key)) {
		rs_count(XLB_RS_CNT_PASS_NOT_OURS);
		return TC_ACT_UNSPEC;
	}
	if (!rs_l4_present(c, proto)) {
		rs_count(XLB_RS_CNT_PASS_MALFORMED);
		return TC_ACT_UNSPEC;
	}
	__builtin_memcpy(old_dst, &ip6->daddr, 16);
	new_word = bpf_htonl(old_word & ~RS_IPV6_DSCP_MASK);
	csum_off = rs_l4_csum(proto, &l4_flags);
	diff = bpf_csum_diff(old_dst, 16, key.vip.addr, 16, 0);
	if (diff < 0)
		return rs_err_verdict(RS_ERR_UNCHANGED);
	if (bpf_skb_store_bytes(skb, l3_off, &new_word, 4, BPF_F_RECOMPUTE_CSUM))
		return rs_err_verdict(RS_ERR_UNCHANGED);
	if (bpf_skb_store_bytes(skb, l3_off + offsetof(struct ipv6hdr, daddr), key.vip.addr, 16,
				BPF_F_RECOMPUTE_CSUM) ||
	    bpf_l4_csum_replace(skb, l4_off + csum_off, 0, diff, l4_flags))
		return rs_err_verdict(RS_ERR_CHANGED);
	rs_count(XLB_RS_CNT_DSCP_RESTORED);
	rs_count_vip(&key, skb->len);
	return TC_ACT_UNSPEC;
}

/* A UDP datagram to a gue port we decapsulate on (the header is checked present). */
static __always_inline bool rs_is_gue(struct cursor *c, __u16 *port)
{
	struct udphdr *udp = c->pos;

	*port = udp->dest;
	return bpf_map_lookup_elem(&rs_gue_ports, port) != NULL;
}

static __always_inline int rs_ipv4(struct __sk_buff *skb, struct cursor *c, __u32 l3_off)
{
	struct iphdr *ip = c->pos;
	__u32 hlen;
	__u16 port;

	if ((void *)(ip + 1) > c->end || ip->version != 4 || ip->ihl < 5)
		goto malformed;
	hlen = ip->ihl * 4;
	if (!cursor_take(c, hlen) || bpf_ntohs(ip->tot_len) < hlen)
		goto malformed;
	switch (ip->protocol) {
	case IPPROTO_IPIP:
		if (ip->frag_off & bpf_htons(IP_MF | IP_OFFSET))
			goto fragment;
		return rs_tun(skb, c, XLB_FAMILY_V4, hlen);
	case IPPROTO_UDP:
		if (!(ip->frag_off & bpf_htons(IP_OFFSET))) {
			if (c->pos + sizeof(struct udphdr) > c->end)
				goto malformed;
			if (rs_is_gue(c, &port)) {
				if (ip->frag_off & bpf_htons(IP_MF))
					goto fragment;
				return rs_gue(skb, c, XLB_FAMILY_V4, hlen, port);
			}
		}
		return rs_dscp_v4(skb, ip, c, l3_off);
	case IPPROTO_TCP:
		return rs_dscp_v4(skb, ip, c, l3_off);
	default:
		rs_count(XLB_RS_CNT_PASS_NOT_OURS);
		return TC_ACT_UNSPEC;
	}
malformed:
	rs_count(XLB_RS_CNT_PASS_MALFORMED);
	return TC_ACT_UNSPEC;
fragment:
	rs_count(XLB_RS_CNT_PASS_FRAGMENT);
	return TC_ACT_UNSPEC;
}

static __always_inline int rs_ipv6(struct __sk_buff *skb, struct cursor *c, __u32 l3_off)
{
	struct ipv6hdr *ip6 = c->pos;
	struct packet scratch = {};
	int next = parse_ipv6(c, &scratch);
	__u32 outer_len;
	__u16 port;

	if (next == -PARSE_FRAGMENT) {
		rs_count(XLB_RS_CNT_PASS_FRAGMENT);
		return TC_ACT_UNSPEC;
	}
	if (next == -PARSE_OTHER_L4) {
		rs_count(XLB_RS_CNT_PASS_NOT_OURS);
		return TC_ACT_UNSPEC;
	}
	if (next < 0 || (void *)(ip6 + 1) > c->end)
		goto malformed;
	outer_len = (void *)c->pos - (void *)ip6;
	switch (next) {
	case IPPROTO_IPV6:
		return rs_tun(skb, c, XLB_FAMILY_V6, outer_len);
	case IPPROTO_UDP:
		if (c->pos + sizeof(struct udphdr) > c->end)
			goto malformed;
		if (rs_is_gue(c, &port))
			return rs_gue(skb, c, XLB_FAMILY_V6, outer_len, port);
		return rs_dscp_v6(skb, ip6, c, l3_off, next);
	case IPPROTO_TCP:
		return rs_dscp_v6(skb, ip6, c, l3_off, next);
	default:
		rs_count(XLB_RS_CNT_PASS_NOT_OURS);
		return TC_ACT_UNSPEC;
	}
malformed:
	rs_count(XLB_RS_CNT_PASS_MALFORMED);
	return TC_ACT_UNSPEC;
}

SEC("tc")
int xlb_rs_ingress(struct __sk_buff *skb)
{
	struct cursor c;
	struct ethhdr *eth;
	__u32 linear = skb->data_end - skb->data;

	rs_count(XLB_RS_CNT_RX);
	/* Headers a driver left in fragments: make them readable in place. */
	if (linear < RS_PULL_LEN && skb->len > linear)
		bpf_skb_pull_data(skb, skb->len < RS_PULL_LEN ? skb->len : RS_PULL_LEN);
	c.pos = (void *)(long)skb->data;
	c.end = (void *)(long)skb->data_end;
	/* VLAN tags are out of band by now (the stack untags before tc ingress). */
	eth = cursor_take(&c, sizeof(*eth));
	if (!eth) {
		rs_count(XLB_RS_CNT_PASS_MALFORMED);
		return TC_ACT_UNSPEC;
	}
	if (eth->h_proto == bpf_htons(ETH_P_IP))
		return rs_ipv4(skb, &c, sizeof(*eth));
	if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		return rs_ipv6(skb, &c, sizeof(*eth));
	rs_count(XLB_RS_CNT_PASS_NOT_IP);
	return TC_ACT_UNSPEC;
}
