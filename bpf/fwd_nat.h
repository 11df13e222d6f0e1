/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Methods nat (the LB is the reals' gateway: destination rewritten on the way
 * in, source on the way out) and fnat (one-arm full NAT: both rewritten, the
 * source becoming one of the service's local addresses with a port taken per
 * flow). Replies are found in "nat_rev" by their own 5-tuple.
 */
#ifndef XLB_BPF_FWD_NAT_H
#define XLB_BPF_FWD_NAT_H

#include "csum.h"
#include "maps.h"
#include "xlb/xlb_method.h"
#include "parse.h"

#define AF_INET 2
#define AF_INET6 10

/* Where the L4 checksum lives, or NULL (IPv4 UDP without one: nothing to fix). */
static __always_inline __u16 *l4_check(void *l4, void *data_end, const struct packet *pkt)
{
	if (pkt->key.proto == IPPROTO_TCP) {
		struct tcphdr *tcp = l4;

		return (void *)(tcp + 1) <= data_end ? &tcp->check : NULL;
	} else {
		struct udphdr *udp = l4;

		if ((void *)(udp + 1) > data_end)
			return NULL;
		if (!udp->check && pkt->key.family == XLB_FAMILY_V4)
			return NULL;
		return &udp->check;
	}
}

static __always_inline bool addr_eq(const struct xlb_addr *a, const struct xlb_addr *b)
{
	return a->addr[0] == b->addr[0] && a->addr[1] == b->addr[1] && a->addr[2] == b->addr[2] &&
	       a->addr[3] == b->addr[3];
}

/* One address field (IPv4: 4 bytes, IPv6: 16) := @to, checksums kept right. */
static __always_inline int nat_set_addr(void *field, void *data_end, const struct xlb_addr *to,
					__u8 family, __u16 *ip_check, __u16 *l4check)
{
	__u32 old[4], new[4];
	__u32 size = family == XLB_FAMILY_V4 ? 4 : 16;

	/* Checked again here: the verifier does not tie this @family to the caller's. */
	if (field + size > data_end)
		return -1;
	__builtin_memcpy(new, to->addr, 16);
	if (family == XLB_FAMILY_V4) {
		if (field + 4 > data_end)
			return -1;
		old[0] = *(__u32 *)field;
		*(__u32 *)field = new[0];
		*ip_check = csum_replace(*ip_check, old, new, 4);
	} else {
		if (field + 16 > data_end)
			return -1;
		__builtin_memcpy(old, field, 16);
		__builtin_memcpy(field, new, 16);
	}
	if (l4check)
		*l4check = csum_replace(*l4check, old, new, size);
	return 0;
}

/*
 * Rewrites source and/or destination (NULL address / zero port: keep) and
 * fixes the IPv4 header and TCP/UDP checksums incrementally.
 */
static __always_inline int nat_rewrite(void *data, void *data_end, const struct packet *pkt,
				       const struct xlb_addr *saddr, __u16 sport,
				       const struct xlb_addr *daddr, __u16 dport)
{
	void *l3 = pkt_at(data, pkt->l3_off), *l4 = pkt_at(data, pkt->l4_off);
	__u16 dummy_check = 0, *ip_check = &dummy_check, *l4c;
	void *src_field, *dst_field;
	__u32 *ports, old_ports, new_ports;

	if (!l3 || !l4 || l4 + 8 > data_end)
		return -1;
	if (pkt->key.family == XLB_FAMILY_V4) {
		struct iphdr *ip = l3;

		if ((void *)(ip + 1) > data_end)
			return -1;
		ip_check = &ip->check;
		src_field = &ip->saddr;
		dst_field = &ip->daddr;
	} else {
		struct ipv6hdr *ip6 = l3;

		if ((void *)(ip6 + 1) > data_end)
			return -1;
		src_field = &ip6->saddr;
		dst_field = &ip6->daddr;
	}
	l4c = l4_check(l4, data_end, pkt);
	if (pkt->key.proto == IPPROTO_TCP && !l4c)
		return -1;
	if (saddr && !addr_eq(saddr, &pkt->key.src) &&
	    nat_set_addr(src_field, data_end, saddr, pkt->key.family, ip_check, l4c))
		return -1;
	if (daddr && !addr_eq(daddr, &pkt->key.dst) &&
	    nat_set_addr(dst_field, data_end, daddr, pkt->key.family, ip_check, l4c))
		return -1;

	/*
	 * Both ports share one 32-bit word: one checksum update for both. The
	 * word is copied, not read through a __u32 pointer: under strict
	 * aliasing clang reuses the first load for the second after the __u16
	 * stores, and the port change never reaches the checksum.
	 */
	ports = l4;
	__builtin_memcpy(&old_ports, ports, 4);
	if (sport)
		((__u16 *)ports)[0] = sport;
	if (dport)
		((__u16 *)ports)[1] = dport;
	__builtin_memcpy(&new_ports, ports, 4);
	if (l4c && old_ports != new_ports)
		*l4c = csum_replace(*l4c, &old_ports, &new_ports, 4);
	if (l4c && !*l4c && pkt->key.proto == IPPROTO_UDP)
		*l4c = 0xffff;
	return 0;
}

static __always_inline bool nat_active(void)
{
	__u32 zero = 0;
	struct xlb_globals *g = bpf_map_lookup_elem(&globals, &zero);

	return g && g->nat_services;
}

/*
 * fnat: picks a local address by flow hash and claims a free port on it by
 * inserting the reply entry with BPF_NOEXIST: the insert is the claim, so
 * two CPUs can never hand out the same (real, local address, port).
 */
static __always_inline int fnat_claim(const struct packet *pkt, __u32 svc_id,
				      const struct xlb_real *real, __u32 hash,
				      struct xlb_addr *laddr, __u16 *lport)
{
	struct xlb_fnat_locals *locals = bpf_map_lookup_elem(&fnat_locals, &svc_id);
	struct xlb_nat_rev rev = {};
	struct xlb_flow_key rkey = {};
	__u32 range = XLB_FNAT_PORT_MAX - XLB_FNAT_PORT_MIN + 1;
	__u32 idx;

	if (!locals || !locals->count || locals->count > XLB_FNAT_LOCAL_MAX)
		return -1;
	idx = hash % locals->count;
	asm volatile("" : "+r"(idx));
	if (idx >= XLB_FNAT_LOCAL_MAX)
		return -1;
	*laddr = locals->addrs[idx];

	rev.client = pkt->key.src;
	rev.vip = pkt->key.dst;
	rev.client_port = pkt->key.sport;
	rev.vip_port = pkt->key.dport;
	rev.svc_id = svc_id;
	xlb_nat_reply_key(&rkey, XLB_METHOD_FNAT, &pkt->key, &real->addr, real->port, laddr, 0);
#pragma unroll
	for (int i = 0; i < XLB_FNAT_PORT_TRIES; i++) {
		__u32 port = XLB_FNAT_PORT_MIN + (hash + (__u32)i * 7919u) % range;

		rkey.dport = bpf_htons((__u16)port);
		if (bpf_map_update_elem(&nat_rev, &rkey, &rev, BPF_NOEXIST) == 0) {
			*lport = rkey.dport;
			return 0;
		}
	}
	return -1;
}

/* nat: the reply from the real goes to the client itself; remember how to undo. */
static __always_inline void nat_remember(const struct packet *pkt, __u32 svc_id,
					 const struct xlb_real *real)
{
	struct xlb_nat_rev rev = {};
	struct xlb_flow_key rkey;

	xlb_nat_reply_key(&rkey, XLB_METHOD_NAT, &pkt->key, &real->addr, real->port, NULL, 0);
	if (bpf_map_lookup_elem(&nat_rev, &rkey))
		return;
	rev.client = pkt->key.src;
	rev.vip = pkt->key.dst;
	rev.client_port = pkt->key.sport;
	rev.vip_port = pkt->key.dport;
	rev.svc_id = svc_id;
	bpf_map_update_elem(&nat_rev, &rkey, &rev, BPF_ANY);
}

/*
 * The next hop toward a rewritten reply's destination, from the kernel's own
 * FIB and neighbour table. Returns the egress ifindex, or -1 when the kernel
 * must handle it (unresolved neighbour, forwarding disabled, no route).
 */
static __always_inline int fib_next_hop(void *ctx, void *data, void *data_end,
					const struct packet *pkt, const struct xlb_addr *src,
					const struct xlb_addr *dst, __u32 ingress_ifindex)
{
	struct bpf_fib_lookup fib = {};
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return -1;
	fib.l4_protocol = pkt->key.proto;
	fib.tot_len = pkt->ip_len;
	fib.ifindex = ingress_ifindex;
	if (pkt->key.family == XLB_FAMILY_V4) {
		fib.family = AF_INET;
		fib.ipv4_src = src->addr[0];
		fib.ipv4_dst = dst->addr[0];
	} else {
		fib.family = AF_INET6;
		__builtin_memcpy(fib.ipv6_src, src->addr, 16);
		__builtin_memcpy(fib.ipv6_dst, dst->addr, 16);
	}
	if (bpf_fib_lookup(ctx, &fib, sizeof(fib), 0) != BPF_FIB_LKUP_RET_SUCCESS)
		return -1;
	__builtin_memcpy(eth->h_dest, fib.dmac, 6);
	__builtin_memcpy(eth->h_source, fib.smac, 6);
	return fib.ifindex;
}

#endif /* XLB_BPF_FWD_NAT_H */
