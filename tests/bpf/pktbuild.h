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
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
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

/* ---- the test network: addresses and MACs every packet test and bench/pkt_cost.c use ---- */

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

/* Frames arrive from CLIENT_MAC addressed to the LB; reals get them from EGRESS_MAC. */
static const uint8_t CLIENT_MAC[6] = { 0x02, 0x00, 0x00, 0x00, 0xc1, 0x01 };
static const uint8_t LB_MAC[6] = { 0x02, 0x00, 0x00, 0x00, 0x1b, 0x01 };
static const uint8_t EGRESS_MAC[6] = { 0x02, 0x00, 0x00, 0x00, 0xee, 0x01 };

/* Each real gets its own MAC, so the output frame names the real it went to. */
static inline void real_mac(uint32_t id, uint8_t mac[6])
{
	mac[0] = 0x02;
	mac[1] = 0x52;
	mac[2] = id >> 24;
	mac[3] = id >> 16;
	mac[4] = id >> 8;
	mac[5] = id;
}

/* The real a frame went to (real_mac()), or 0 if its MAC is no real's. */
static inline uint32_t mac_real(const uint8_t mac[6])
{
	if (mac[0] != 0x02 || mac[1] != 0x52)
		return 0;
	return (uint32_t)mac[2] << 24 | (uint32_t)mac[3] << 16 | (uint32_t)mac[4] << 8 | mac[5];
}

/* A literal address, network order; a typo in a test aborts it. */
static inline uint32_t ip4(const char *s)
{
	uint32_t a;

	if (inet_pton(AF_INET, s, &a) != 1)
		__builtin_trap();
	return a;
}

static inline struct in6_addr ip6(const char *s)
{
	struct in6_addr a;

	if (inet_pton(AF_INET6, s, &a) != 1)
		__builtin_trap();
	return a;
}

static inline uint16_t be16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static inline void hexdump(const char *what, const uint8_t *b, size_t len)
{
	fprintf(stderr, "  %s (%zu bytes):", what, len);
	for (size_t i = 0; i < len; i++)
		fprintf(stderr, "%s%02x", i % 16 ? " " : "\n    ", b[i]);
	fprintf(stderr, "\n");
}

/*
 * ---- verifying a frame's checksums ----
 *
 * Written apart from pkt_csum_add() on purpose: the builder and the
 * verifier would otherwise share a mistake. Sums are folded one's
 * complement sums, not complemented: a correct header or segment sums to
 * 0xffff.
 */

#define PKT_GUE_PORT 6080 /* GUE's outer UDP port: its payload is verified too */

static inline uint16_t pkt_vsum(uint16_t acc, const uint8_t *b, size_t len)
{
	for (size_t i = 0; i < len; i += 2) {
		uint32_t w = (uint32_t)b[i] << 8 | (i + 1 < len ? b[i + 1] : 0);
		uint32_t s = acc + w;

		acc = (uint16_t)((s & 0xffff) + (s >> 16));
	}
	return acc;
}

/* The pseudo-header (RFC 793 / RFC 768 / RFC 8200 8.1) and the segment. */
static inline uint16_t pkt_l4_sum(const uint8_t *ip, int family, uint8_t proto, const uint8_t *seg,
				  size_t len)
{
	uint8_t ph[40] = { 0 };
	size_t n;

	if (family == 4) {
		memcpy(ph, ip + 12, 8);
		ph[9] = proto;
		ph[10] = len >> 8;
		ph[11] = len & 0xff;
		n = 12;
	} else {
		memcpy(ph, ip + 8, 32);
		ph[34] = len >> 8;
		ph[35] = len & 0xff;
		ph[39] = proto;
		n = 40;
	}
	return pkt_vsum(pkt_vsum(0, ph, n), seg, len);
}

struct csum_report {
	unsigned int ip4_hdr; /* IPv4 header checksums that verified */
	unsigned int l4; /* TCP, UDP, ICMP and ICMPv6 checksums that verified */
	unsigned int udp_zero; /* UDP without checksum (IPv4, or the GUE outer header) */
	bool bad_udp; /* verification stopped at a wrong UDP checksum */
	uint16_t residual; /* ... whose sum was this instead of 0xffff */
	char err[200];
};

static inline bool vfail(struct csum_report *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static inline bool vfail(struct csum_report *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	return false;
}

static inline bool verify_ip(struct csum_report *r, const uint8_t *ip, size_t avail,
			     unsigned int depth);

/* UDP: checksum if present, then the GUE payload (an IP packet) if it is ours. */
static inline bool verify_udp(struct csum_report *r, const uint8_t *ip, int family,
			      const uint8_t *seg, size_t len, unsigned int depth)
{
	bool gue = len >= 8 && be16(seg + 2) == PKT_GUE_PORT;
	uint16_t sum;

	if (len < 8 || be16(seg + 4) != len)
		return vfail(r, "UDP length %u, IP says %zu",
			     len >= 8 ? (unsigned int)be16(seg + 4) : 0u, len);
	if (be16(seg + 6) == 0) {
		/* RFC 8200 forbids it for IPv6, RFC 6935 allows it for tunnels */
		if (family == 6 && !gue)
			return vfail(r, "IPv6 UDP without checksum");
		r->udp_zero++;
	} else {
		sum = pkt_l4_sum(ip, family, IPPROTO_UDP, seg, len);
		if (sum != 0xffff) {
			r->bad_udp = true;
			r->residual = sum;
			return vfail(r, "UDP checksum 0x%04x wrong (sum 0x%04x)", be16(seg + 6),
				     sum);
		}
		r->l4++;
	}
	return gue ? verify_ip(r, seg + 8, len - 8, depth + 1) : true;
}

/*
 * Verifies the IP packet at @ip (@avail bytes, possibly padded): the IPv4
 * header checksum, and the TCP, UDP, ICMP or ICMPv6 checksum after any
 * IPv6 extension headers; IPIP, IPv6-in-IPv6 and GUE payloads recursively.
 * An IPv4 fragment has no L4 header to check; ICMP quotes are not entered.
 */
static inline bool verify_ip(struct csum_report *r, const uint8_t *ip, size_t avail,
			     unsigned int depth)
{
	size_t hlen, len;
	uint16_t sum;
	uint8_t proto;
	int family;

	if (depth > 2)
		return vfail(r, "IP nested %u deep", depth);
	if (avail < 20)
		return vfail(r, "IP header cut short (%zu bytes)", avail);
	family = ip[0] >> 4;
	if (family == 4) {
		hlen = (ip[0] & 0xf) * 4u;
		len = be16(ip + 2);
		if (hlen < 20 || len < hlen || len > avail)
			return vfail(r, "IPv4 ihl %zu, tot_len %zu, %zu bytes there", hlen, len,
				     avail);
		sum = pkt_vsum(0, ip, hlen);
		if (sum != 0xffff)
			return vfail(r, "IPv4 header checksum 0x%04x wrong (sum 0x%04x)",
				     be16(ip + 10), sum);
		r->ip4_hdr++;
		if (be16(ip + 6) & 0x3fff)
			return true; /* a fragment */
		proto = ip[9];
	} else if (family == 6) {
		hlen = 40;
		len = hlen + be16(ip + 4);
		if (avail < hlen || len > avail)
			return vfail(r, "IPv6 payload length %zu, %zu bytes there", len - hlen,
				     avail);
		proto = ip[6];
		while (proto == 0 || proto == 43 || proto == 60) { /* hop-by-hop, routing, dest */
			size_t ext;

			if (len - hlen < 8)
				return vfail(r, "extension header cut");
			ext = (ip[hlen + 1] + 1u) * 8;
			if (len - hlen < ext)
				return vfail(r, "extension header past the payload");
			proto = ip[hlen];
			hlen += ext;
		}
	} else {
		return vfail(r, "IP version %d", family);
	}

	switch (proto) {
	case IPPROTO_IPIP:
	case IPPROTO_IPV6:
		return verify_ip(r, ip + hlen, len - hlen, depth + 1);
	case IPPROTO_UDP:
		return verify_udp(r, ip, family, ip + hlen, len - hlen, depth);
	case IPPROTO_TCP:
		if (len - hlen < 20)
			return vfail(r, "TCP segment of %zu bytes", len - hlen);
		sum = pkt_l4_sum(ip, family, proto, ip + hlen, len - hlen);
		break;
	case IPPROTO_ICMPV6:
		if (family != 6 || len - hlen < 8)
			return vfail(r, "ICMPv6 in IPv%d, %zu bytes", family, len - hlen);
		sum = pkt_l4_sum(ip, family, proto, ip + hlen, len - hlen);
		break;
	case IPPROTO_ICMP:
		if (family != 4 || len - hlen < 8)
			return vfail(r, "ICMP in IPv%d, %zu bytes", family, len - hlen);
		sum = pkt_vsum(0, ip + hlen, len - hlen); /* no pseudo-header for ICMP */
		break;
	default:
		return vfail(r, "IP protocol %u", proto);
	}
	if (sum != 0xffff)
		return vfail(r, "protocol %u checksum wrong (sum 0x%04x)", proto, sum);
	r->l4++;
	return true;
}

/* Ethernet (+ one VLAN tag) and the IP packet in it: every checksum, counted in @r. */
static inline bool verify_frame(struct csum_report *r, const uint8_t *b, size_t len)
{
	size_t l2 = 14;
	uint16_t type;

	memset(r, 0, sizeof(*r));
	if (len < 14)
		return vfail(r, "frame of %zu bytes", len);
	type = be16(b + 12);
	if (type == ETH_P_8021Q || type == ETH_P_8021AD) {
		if (len < 18)
			return vfail(r, "VLAN tag cut short");
		l2 = 18;
		type = be16(b + 16);
	}
	if (type != ETH_P_IP && type != ETH_P_IPV6)
		return vfail(r, "ethertype 0x%04x", type);
	if (len < l2 + 1 || (b[l2] >> 4) != (type == ETH_P_IP ? 4 : 6))
		return vfail(r, "ethertype 0x%04x carries no such IP version", type);
	return verify_ip(r, b + l2, len - l2, 0);
}

#ifdef cmocka_unit_test
/* ---- checks on output frames, for the cmocka tests (include <cmocka.h> first) ---- */

static inline const char *xdp_name(uint32_t v)
{
	static const char *const names[] = { "XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX",
					     "XDP_REDIRECT" };

	return v < ARRAY_SIZE(names) ? names[v] : "?";
}

/* An XDP verdict. */
static inline void check_verdict(const char *desc, uint32_t got, uint32_t want)
{
	if (got != want)
		fail_msg("%s: verdict %s, want %s", desc, xdp_name(got), xdp_name(want));
}

static inline void check_bytes(const char *desc, const struct pkt *got, const struct pkt *want)
{
	if (got->len == want->len && memcmp(got->buf, want->buf, got->len) == 0)
		return;
	print_error("%s: output frame differs\n", desc);
	hexdump("got", got->buf, got->len);
	hexdump("want", want->buf, want->len);
	fail();
}

/* The frame's checksums all verify, and exactly this many of each kind were there. */
static inline void check_csums(const char *desc, const struct pkt *p, unsigned int ip4_hdr,
			       unsigned int l4, unsigned int udp_zero)
{
	struct csum_report r;

	if (!verify_frame(&r, p->buf, p->len)) {
		hexdump("frame", p->buf, p->len);
		fail_msg("%s: %s", desc, r.err);
	}
	if (r.ip4_hdr != ip4_hdr || r.l4 != l4 || r.udp_zero != udp_zero)
		fail_msg("%s: verified %u IPv4 headers, %u L4 checksums, %u UDP zero; want %u, %u, "
			 "%u",
			 desc, r.ip4_hdr, r.l4, r.udp_zero, ip4_hdr, l4, udp_zero);
}
#endif /* cmocka_unit_test */

#endif /* XLB_TESTS_PKTBUILD_H */
