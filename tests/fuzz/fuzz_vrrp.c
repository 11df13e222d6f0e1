// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * VRRP adverts as they are received (src/ha/vrrp_packet.c), in the order
 * vrrp.c applies the checks: the IPv4 header a raw socket hands over
 * (vrrp_ipv4_header), the source against unicast_peers (vrrp_src_allowed),
 * the message (vrrp_decode), the addresses against ours (vrrp_addrs_match).
 *
 * Input: flags, counts, the instance's unicast peers and addresses, then
 * for IPv4 the whole IP packet, for IPv6 source, destination and message
 * (the kernel strips an IPv6 header). Flags: bit 0 IPv6, bit 1 fix the
 * checksum (random bytes almost never carry a valid one), bit 2 peers set.
 *
 * Invariants: header offsets within the packet; a decoded advert says what
 * its bytes say and its checksum verifies; decode(encode(advert)) gives
 * the advert back; vrrp_src_allowed and vrrp_addrs_match agree with plain
 * reference implementations (membership; a permutation of our addresses).
 */
#include <string.h>

#include "fuzz.h"
#include "ha/vrrp_packet.h"

static size_t alen_of(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

static void addr_from(struct net_addr *a, int family, const uint8_t *b)
{
	memset(a, 0, sizeof(*a));
	a->family = family;
	memcpy(family == AF_INET6 ? (void *)&a->v6 : (void *)&a->v4, b, alen_of(family));
}

static bool same_addr(const struct net_addr *a, const struct net_addr *b)
{
	return a->family == b->family &&
	       memcmp(a->family == AF_INET6 ? (const void *)&a->v6 : (const void *)&a->v4,
		      b->family == AF_INET6 ? (const void *)&b->v6 : (const void *)&b->v4,
		      alen_of(a->family)) == 0;
}

/* Reads @n addresses; the config refuses repeats, so repeats are skipped. */
static size_t read_addrs(struct fuzz_in *in, int family, size_t n, struct net_addr *out)
{
	size_t got = 0;

	for (size_t i = 0; i < n; i++) {
		uint8_t b[16] = { 0 };
		const uint8_t *p;
		size_t k = fuzz_take(in, alen_of(family), &p);
		bool dup = false;

		memcpy(b, p, k);
		addr_from(&out[got], family, b);
		for (size_t j = 0; j < got; j++)
			dup |= same_addr(&out[j], &out[got]);
		got += !dup;
	}
	return got;
}

static bool ref_allowed(const struct ha_vrrp_config *cfg, const struct net_addr *src)
{
	if (!cfg->nunicast_peers)
		return true;
	for (size_t i = 0; i < cfg->nunicast_peers; i++)
		if (same_addr(&cfg->unicast_peers[i], src))
			return true;
	return false;
}

/* Ours are distinct: the advert matches when it lists each of them, and no more. */
static bool ref_match(const struct vrrp_advert *a, const struct ha_vrrp_config *cfg)
{
	bool used[HA_VRRP_ADDRS_MAX] = { false };

	if (a->count != cfg->naddrs)
		return false;
	for (size_t i = 0; i < cfg->naddrs; i++) {
		size_t j;

		for (j = 0; j < cfg->naddrs; j++)
			if (!used[j] && same_addr(&a->addrs[j], &cfg->addrs[i]))
				break;
		if (j == cfg->naddrs)
			return false;
		used[j] = true;
	}
	return true;
}

static void check_decoded(const uint8_t *msg, size_t len, const struct net_addr *src,
			  const struct net_addr *dst, const struct vrrp_advert *a)
{
	size_t alen = alen_of(src->family), n = VRRP_HDR_LEN + a->count * alen;
	struct vrrp_advert back = *a, again;
	uint8_t buf[VRRP_PKT_MAX];
	size_t enc;

	FUZZ_CHECK(n <= len && msg[0] == 0x31, "advert of %zu bytes from %zu, first byte %#x", n,
		   len, msg[0]);
	FUZZ_CHECK(vrrp_checksum(src, dst, msg, n) == 0, "an advert with a bad checksum decoded");
	FUZZ_CHECK(a->vrid == msg[1] && a->priority == msg[2] && a->count == msg[3] &&
			   a->max_adver_cs == ((msg[4] & 0x0f) << 8 | msg[5]),
		   "header fields differ from the bytes");
	for (size_t i = 0; i < a->count && i < HA_VRRP_ADDRS_MAX; i++) {
		struct net_addr want;

		addr_from(&want, src->family, msg + VRRP_HDR_LEN + i * alen);
		FUZZ_CHECK(same_addr(&a->addrs[i], &want), "address %zu differs from the bytes", i);
	}
	/* Encoding sends at most HA_VRRP_ADDRS_MAX addresses, and says so in count. */
	if (back.count > HA_VRRP_ADDRS_MAX)
		back.count = HA_VRRP_ADDRS_MAX;
	enc = vrrp_encode(&back, src, dst, buf, sizeof(buf));
	FUZZ_CHECK(enc == VRRP_HDR_LEN + back.count * alen, "encoded %zu bytes", enc);
	FUZZ_CHECK(vrrp_decode(buf, enc, src, dst, &again) == VRRP_RX_OK &&
			   memcmp(&again, &back, sizeof(again)) == 0,
		   "decode(encode(advert)) is another advert");
}

/* Sets the checksum the message announces (as long as it fits what is there). */
static void fix_checksum(uint8_t *msg, size_t len, const struct net_addr *src,
			 const struct net_addr *dst)
{
	size_t n;
	uint16_t sum;

	if (len < VRRP_HDR_LEN)
		return;
	n = VRRP_HDR_LEN + msg[3] * alen_of(src->family);
	if (n > len)
		return;
	msg[6] = msg[7] = 0;
	sum = vrrp_checksum(src, dst, msg, n);
	msg[6] = (uint8_t)(sum >> 8);
	msg[7] = (uint8_t)sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ha_vrrp_config cfg;
	struct fuzz_in in = { data, size };
	uint8_t flags = fuzz_u8(&in), counts = fuzz_u8(&in);
	int family = flags & 1 ? AF_INET6 : AF_INET;
	struct net_addr src, dst;
	struct vrrp_advert adv;
	enum vrrp_rx_verdict v;
	uint8_t pkt[4096], *msg;
	const uint8_t *rest;
	size_t len;

	memset(&cfg, 0, sizeof(cfg));
	cfg.family = (uint8_t)family;
	if (flags & 4)
		cfg.nunicast_peers = read_addrs(&in, family, 1 + (counts & 7), cfg.unicast_peers);
	cfg.naddrs = read_addrs(&in, family, 1 + (counts >> 4), cfg.addrs);

	if (family == AF_INET6) {
		read_addrs(&in, family, 1, &src);
		read_addrs(&in, family, 1, &dst);
		len = fuzz_take(&in, sizeof(pkt), &rest);
		memcpy(pkt, rest, len);
		msg = pkt;
	} else {
		uint8_t ttl = 0;
		size_t off;

		len = fuzz_take(&in, sizeof(pkt), &rest);
		memcpy(pkt, rest, len);
		off = vrrp_ipv4_header(pkt, len, &src, &dst, &ttl);
		if (!off)
			return 0; /* counted as bad_length by the caller */
		FUZZ_CHECK(off >= 20 && off <= len && off % 4 == 0 && (pkt[0] >> 4) == 4 &&
				   pkt[9] == VRRP_IPPROTO,
			   "IPv4 header of %zu bytes in %zu", off, len);
		FUZZ_CHECK(ttl == pkt[8] && src.family == AF_INET && dst.family == AF_INET &&
				   memcmp(&src.v4, pkt + 12, 4) == 0 &&
				   memcmp(&dst.v4, pkt + 16, 4) == 0,
			   "addresses or TTL differ from the header");
		msg = pkt + off;
		len -= off;
	}
	if (flags & 2)
		fix_checksum(msg, len, &src, &dst);

	FUZZ_CHECK(vrrp_src_allowed(&cfg, &src) == ref_allowed(&cfg, &src),
		   "vrrp_src_allowed disagrees with the peers list (%zu peers)",
		   cfg.nunicast_peers);
	v = vrrp_decode(msg, len, &src, &dst, &adv);
	FUZZ_CHECK(v >= VRRP_RX_OK && v < VRRP_RX__COUNT && v != VRRP_RX_BAD_TTL &&
			   v != VRRP_RX_UNKNOWN_SRC,
		   "vrrp_decode verdict %d", v);
	FUZZ_CHECK(strcmp(vrrp_rx_verdict_name(v), "unknown") != 0, "verdict %d has no name", v);
	if (v != VRRP_RX_OK)
		return 0;
	check_decoded(msg, len, &src, &dst, &adv);
	FUZZ_CHECK(vrrp_addrs_match(&adv, cfg.addrs, cfg.naddrs) == ref_match(&adv, &cfg),
		   "vrrp_addrs_match says %d for %u advertised, %zu ours",
		   vrrp_addrs_match(&adv, cfg.addrs, cfg.naddrs), adv.count, cfg.naddrs);
	return 0;
}
