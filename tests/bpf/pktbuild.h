/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Crafting test frames header by header, with lengths and checksums filled in. */
#ifndef XLB_TESTS_PKTBUILD_H
#define XLB_TESTS_PKTBUILD_H

/*
 * Usage: pkt_init, then pkt_eth [+ pkt_vlan], pkt_ipv4 [+ pkt_ipv4_options]
 * or pkt_ipv6 [+ pkt_ipv6_ext], pkt_tcp or pkt_udp, pkt_payload, and last
 * pkt_finish, which writes every length and checksum. The builders return
 * header pointers so a test can tweak fields (frag_off, doff) before
 * pkt_finish computes the checksums over them.
 * Truncated frames are made by lowering len after pkt_finish, so what
 * remains is exactly the prefix of a well-formed packet.
 *
 * glibc's netinet/in.h must come before the uapi headers so their in6_addr
 * definitions defer to it.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#define PKT_MAX 2048

#define PKT_IP_DF 0x4000
#define PKT_IP_MF 0x2000

#define PKT_TCP_FIN 0x01
#define PKT_TCP_SYN 0x02
#define PKT_TCP_RST 0x04
#define PKT_TCP_PSH 0x08
#define PKT_TCP_ACK 0x10

struct pkt {
	/* NET_IP_ALIGN: buf + ETH_HLEN lands 4-byte aligned for the header structs */
	uint8_t align_pad[2];
	uint8_t buf[PKT_MAX];
	size_t len;
	size_t l3_off; /* start of the IP header, or 0 */
	size_t l4_off; /* start of the TCP/UDP header, or 0 */
	uint8_t l3; /* 4, 6 or 0 */
	uint8_t l4_proto; /* IPPROTO_TCP / IPPROTO_UDP, or 0 */
	uint8_t *ip6_next; /* the next-header byte an extension header chains from */
};

static inline void pkt_init(struct pkt *p)
{
	memset(p, 0, sizeof(*p));
}

/* Appends @len zeroed bytes; aborts the test binary on overflow (a test bug). */
static inline void *pkt_put(struct pkt *p, size_t len)
{
	void *at;

	if (p->len + len > sizeof(p->buf))
		__builtin_trap();
	at = p->buf + p->len;
	memset(at, 0, len);
	p->len += len;
	return at;
}

static inline void pkt_put_be16(uint8_t *at, uint16_t v)
{
	at[0] = v >> 8;
	at[1] = v & 0xff;
}

static inline struct ethhdr *pkt_eth(struct pkt *p, const uint8_t dst[6], const uint8_t src[6],
				     uint16_t ethertype)
{
	struct ethhdr *eth = pkt_put(p, sizeof(*eth));

	memcpy(eth->h_dest, dst, 6);
	memcpy(eth->h_source, src, 6);
	eth->h_proto = htons(ethertype);
	return eth;
}

/* One 802.1Q/802.1ad tag: pkt_eth(.., ETH_P_8021Q) then pkt_vlan(.., ETH_P_IP). */
static inline void pkt_vlan(struct pkt *p, uint16_t tci, uint16_t ethertype)
{
	uint8_t *tag = pkt_put(p, 4);

	pkt_put_be16(tag, tci);
	pkt_put_be16(tag + 2, ethertype);
}

/* Addresses in network order. ID 0, DF set, TTL 64, as a Linux client sends. */
static inline struct iphdr *pkt_ipv4(struct pkt *p, uint32_t saddr, uint32_t daddr, uint8_t proto)
{
	struct iphdr *ip;

	p->l3_off = p->len;
	p->l3 = 4;
	ip = pkt_put(p, sizeof(*ip));
	ip->version = 4;
	ip->ihl = 5;
	ip->frag_off = htons(PKT_IP_DF);
	ip->ttl = 64;
	ip->protocol = proto;
	ip->saddr = saddr;
	ip->daddr = daddr;
	return ip;
}

/* Right after pkt_ipv4; @len must be a multiple of 4 (pad with NOPs/EOL). */
static inline void pkt_ipv4_options(struct pkt *p, const void *opts, size_t len)
{
	struct iphdr *ip = (struct iphdr *)(p->buf + p->l3_off);

	if (len % 4 || p->len != p->l3_off + ip->ihl * 4u)
		__builtin_trap();
	memcpy(pkt_put(p, len), opts, len);
	ip->ihl += len / 4;
}

static inline struct ipv6hdr *pkt_ipv6(struct pkt *p, const struct in6_addr *saddr,
				       const struct in6_addr *daddr, uint8_t nexthdr)
{
	struct ipv6hdr *ip6;

	p->l3_off = p->len;
	p->l3 = 6;
	ip6 = pkt_put(p, sizeof(*ip6));
	ip6->version = 6;
	ip6->nexthdr = nexthdr;
	ip6->hop_limit = 64;
	memcpy(&ip6->saddr, saddr, 16);
	memcpy(&ip6->daddr, daddr, 16);
	p->ip6_next = &ip6->nexthdr;
	return ip6;
}

/*
 * Inserts an extension header of type @type (hop-by-hop, routing, dest opts,
 * fragment) into the chain: the previous header's next-header becomes @type
 * and this one's becomes what the previous one carried. @len is the whole
 * header in bytes, a multiple of 8; the body is PadN-filled so it is valid.
 */
static inline uint8_t *pkt_ipv6_ext(struct pkt *p, uint8_t type, size_t len)
{
	uint8_t *ext;

	if (len < 8 || len % 8)
		__builtin_trap();
	ext = pkt_put(p, len);
	ext[0] = *p->ip6_next;
	*p->ip6_next = type;
	if (type == IPPROTO_FRAGMENT) {
		if (len != 8)
			__builtin_trap();
	} else {
		ext[1] = len / 8 - 1;
		ext[2] = 1; /* PadN covering the rest of the header */
		ext[3] = len - 4;
	}
	p->ip6_next = ext;
	return ext;
}

static inline struct tcphdr *pkt_tcp(struct pkt *p, uint16_t sport, uint16_t dport, uint8_t flags)
{
	struct tcphdr *tcp;

	p->l4_off = p->len;
	p->l4_proto = IPPROTO_TCP;
	tcp = pkt_put(p, sizeof(*tcp));
	tcp->source = htons(sport);
	tcp->dest = htons(dport);
	tcp->seq = htonl(0x1000);
	if (flags & PKT_TCP_ACK)
		tcp->ack_seq = htonl(0x2000);
	tcp->doff = 5;
	((uint8_t *)tcp)[13] = flags;
	tcp->window = htons(64240);
	return tcp;
}

static inline struct udphdr *pkt_udp(struct pkt *p, uint16_t sport, uint16_t dport)
{
	struct udphdr *udp;

	p->l4_off = p->len;
	p->l4_proto = IPPROTO_UDP;
	udp = pkt_put(p, sizeof(*udp));
	udp->source = htons(sport);
	udp->dest = htons(dport);
	return udp;
}

static inline void pkt_payload(struct pkt *p, const void *data, size_t len)
{
	memcpy(pkt_put(p, len), data, len);
}

/* Ethernet + ARP request "who has @tpa, tell @spa" (addresses in network order). */
static inline void pkt_arp_request(struct pkt *p, const uint8_t sha[6], uint32_t spa, uint32_t tpa)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t *arp;

	pkt_eth(p, bcast, sha, ETH_P_ARP);
	arp = pkt_put(p, 28);
	pkt_put_be16(arp, 1); /* hardware: Ethernet */
	pkt_put_be16(arp + 2, ETH_P_IP);
	arp[4] = 6;
	arp[5] = 4;
	pkt_put_be16(arp + 6, 1); /* request */
	memcpy(arp + 8, sha, 6);
	memcpy(arp + 14, &spa, 4);
	memcpy(arp + 24, &tpa, 4);
}

/* RFC 1071 sum of 16-bit big-endian words, not yet folded or complemented. */
static inline uint32_t pkt_csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *b = data;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	return sum;
}

static inline uint16_t pkt_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Pseudo-header sum (RFC 793 / RFC 8200 8.1) for @l4_len bytes of @proto. */
static inline uint32_t pkt_pseudo_sum(const struct pkt *p, uint8_t proto, size_t l4_len)
{
	uint32_t sum = proto + (uint32_t)l4_len;

	if (p->l3 == 4) {
		const struct iphdr *ip = (const struct iphdr *)(p->buf + p->l3_off);

		sum = pkt_csum_add(sum, &ip->saddr, 8);
	} else {
		const struct ipv6hdr *ip6 = (const struct ipv6hdr *)(p->buf + p->l3_off);

		sum = pkt_csum_add(sum, &ip6->saddr, 32);
	}
	return sum;
}

/* Fills IP lengths, the IPv4 header checksum and the TCP/UDP length and checksum. */
static inline void pkt_finish(struct pkt *p)
{
	if (p->l4_off) {
		size_t l4_len = p->len - p->l4_off;
		uint8_t *l4 = p->buf + p->l4_off;
		uint8_t *csum = l4 + (p->l4_proto == IPPROTO_TCP ? 16 : 6);
		uint16_t sum;

		if (p->l4_proto == IPPROTO_UDP)
			pkt_put_be16(l4 + 4, l4_len);
		csum[0] = csum[1] = 0;
		sum =
		    pkt_csum_fold(pkt_csum_add(pkt_pseudo_sum(p, p->l4_proto, l4_len), l4, l4_len));
		/* UDP sends a computed 0 as 0xffff: 0 means "no checksum" */
		if (p->l4_proto == IPPROTO_UDP && sum == 0)
			sum = 0xffff;
		pkt_put_be16(csum, sum);
	}
	if (p->l3 == 4) {
		struct iphdr *ip = (struct iphdr *)(p->buf + p->l3_off);

		ip->tot_len = htons(p->len - p->l3_off);
		ip->check = 0;
		ip->check = htons(pkt_csum_fold(pkt_csum_add(0, ip, ip->ihl * 4u)));
	} else if (p->l3 == 6) {
		struct ipv6hdr *ip6 = (struct ipv6hdr *)(p->buf + p->l3_off);

		ip6->payload_len = htons(p->len - p->l3_off - sizeof(*ip6));
	}
}

/* What dr forwarding must turn @in into: only the two MACs differ. */
static inline void pkt_expect_dr(struct pkt *out, const struct pkt *in, const uint8_t dst[6],
				 const uint8_t src[6])
{
	*out = *in;
	memcpy(out->buf, dst, 6);
	memcpy(out->buf + 6, src, 6);
}

#endif /* XLB_TESTS_PKTBUILD_H */
