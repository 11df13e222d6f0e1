// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* VRRPv3 advertisements on the wire: the 8-byte header, the addresses, the checksum. */
#include "ha/vrrp_packet.h"

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

static const char *const vrrp_rx_names[VRRP_RX__COUNT] = {
    [VRRP_RX_OK] = "ok",
    [VRRP_RX_SHORT] = "bad_length",
    [VRRP_RX_BAD_TTL] = "bad_ttl",
    [VRRP_RX_BAD_VERSION_TYPE] = "bad_version_type",
    [VRRP_RX_BAD_CHECKSUM] = "bad_checksum",
    [VRRP_RX_UNKNOWN_SRC] = "unknown_source",
};

const char *vrrp_rx_verdict_name(enum vrrp_rx_verdict v)
{
	return (unsigned)v < VRRP_RX__COUNT ? vrrp_rx_names[v] : "unknown";
}

static size_t vrrp_addr_len(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

static const uint8_t *vrrp_addr_bytes(const struct net_addr *a)
{
	return a->family == AF_INET6 ? a->v6.s6_addr : (const uint8_t *)&a->v4.s_addr;
}

/* 16-bit big-endian words summed without folding; an odd last byte is padded with zero. */
static uint32_t vrrp_sum(uint32_t sum, const uint8_t *p, size_t len)
{
	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

uint16_t vrrp_checksum(const struct net_addr *src, const struct net_addr *dst, const uint8_t *msg,
		       size_t len)
{
	size_t alen = vrrp_addr_len(src->family);
	uint32_t sum = 0;

	/* IPv4 (RFC 768 style): src, dst, zero, protocol, length (16 bits).
	 * IPv6 (RFC 8200 8.1): src, dst, length (32 bits), zeros, next header.
	 * Both come to the same words for the protocol and the length. */
	sum = vrrp_sum(sum, vrrp_addr_bytes(src), alen);
	sum = vrrp_sum(sum, vrrp_addr_bytes(dst), alen);
	sum += VRRP_IPPROTO;
	sum += (uint32_t)(len & 0xffff) + (uint32_t)(len >> 16);
	sum = vrrp_sum(sum, msg, len);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

size_t vrrp_encode(const struct vrrp_advert *a, const struct net_addr *src,
		   const struct net_addr *dst, uint8_t *buf, size_t size)
{
	size_t alen = vrrp_addr_len(src->family);
	size_t n = a->count < HA_VRRP_ADDRS_MAX ? a->count : HA_VRRP_ADDRS_MAX;
	size_t len = VRRP_HDR_LEN + n * alen;
	uint16_t sum;

	if (len > size)
		return 0;
	buf[0] = VRRP_VERSION << 4 | VRRP_TYPE_ADVERT;
	buf[1] = a->vrid;
	buf[2] = a->priority;
	buf[3] = (uint8_t)n;
	buf[4] = (uint8_t)((a->max_adver_cs >> 8) & 0x0f); /* the top 4 bits are reserved: 0 */
	buf[5] = (uint8_t)(a->max_adver_cs & 0xff);
	buf[6] = buf[7] = 0;
	for (size_t i = 0; i < n; i++)
		memcpy(buf + VRRP_HDR_LEN + i * alen, vrrp_addr_bytes(&a->addrs[i]), alen);
	sum = vrrp_checksum(src, dst, buf, len);
	buf[6] = (uint8_t)(sum >> 8);
	buf[7] = (uint8_t)(sum & 0xff);
	return len;
}

enum vrrp_rx_verdict vrrp_decode(const uint8_t *msg, size_t len, const struct net_addr *src,
				 const struct net_addr *dst, struct vrrp_advert *out)
{
	size_t alen = vrrp_addr_len(src->family);

	memset(out, 0, sizeof(*out));
	if (len < VRRP_HDR_LEN)
		return VRRP_RX_SHORT;
	if (msg[0] != (VRRP_VERSION << 4 | VRRP_TYPE_ADVERT))
		return VRRP_RX_BAD_VERSION_TYPE;
	if (len < VRRP_HDR_LEN + msg[3] * alen)
		return VRRP_RX_SHORT;
	/* Over the message as announced: anything after it is padding. */
	len = VRRP_HDR_LEN + msg[3] * alen;
	if (vrrp_checksum(src, dst, msg, len) != 0)
		return VRRP_RX_BAD_CHECKSUM;
	out->vrid = msg[1];
	out->priority = msg[2];
	out->count = msg[3];
	out->max_adver_cs = (uint16_t)((msg[4] & 0x0f) << 8 | msg[5]);
	for (size_t i = 0; i < out->count && i < HA_VRRP_ADDRS_MAX; i++) {
		out->addrs[i].family = src->family;
		memcpy((void *)vrrp_addr_bytes(&out->addrs[i]), msg + VRRP_HDR_LEN + i * alen,
		       alen);
	}
	return VRRP_RX_OK;
}

size_t vrrp_ipv4_header(const uint8_t *pkt, size_t len, struct net_addr *src, struct net_addr *dst,
			uint8_t *ttl)
{
	size_t ihl;

	if (len < 20 || pkt[0] >> 4 != 4)
		return 0;
	ihl = (size_t)(pkt[0] & 0x0f) * 4;
	if (ihl < 20 || ihl > len || pkt[9] != VRRP_IPPROTO)
		return 0;
	*ttl = pkt[8];
	memset(src, 0, sizeof(*src));
	memset(dst, 0, sizeof(*dst));
	src->family = dst->family = AF_INET;
	memcpy(&src->v4.s_addr, pkt + 12, 4);
	memcpy(&dst->v4.s_addr, pkt + 16, 4);
	return ihl;
}

bool vrrp_addrs_match(const struct vrrp_advert *a, const struct net_addr *addrs, size_t naddrs)
{
	if (a->count != naddrs)
		return false;
	for (size_t i = 0; i < naddrs; i++) {
		bool found = false;

		for (size_t j = 0; j < naddrs && j < HA_VRRP_ADDRS_MAX; j++)
			found |= net_addr_equal(&a->addrs[j], &addrs[i]);
		if (!found)
			return false;
	}
	return true;
}

bool vrrp_src_allowed(const struct ha_vrrp_config *cfg, const struct net_addr *src)
{
	if (!cfg->nunicast_peers)
		return true;
	for (size_t i = 0; i < cfg->nunicast_peers; i++)
		if (net_addr_equal(&cfg->unicast_peers[i], src))
			return true;
	return false;
}
