/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* VRRPv3 advertisements (RFC 5798 section 5) on the wire: encode, decode, checksum. No I/O. */
#ifndef XLB_HA_VRRP_PACKET_H
#define XLB_HA_VRRP_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "ha/ha_config.h"

#define VRRP_IPPROTO 112
#define VRRP_VERSION 3
#define VRRP_TYPE_ADVERT 1
#define VRRP_HDR_LEN 8
#define VRRP_TTL 255 /* sent with it, and required on receive (RFC 5798 5.1.1.3) */
#define VRRP_MCAST4 "224.0.0.18"
#define VRRP_MCAST6 "ff02::12"
/* A header and HA_VRRP_ADDRS_MAX IPv6 addresses fit; we never send more. */
#define VRRP_PKT_MAX (VRRP_HDR_LEN + HA_VRRP_ADDRS_MAX * 16)

struct vrrp_advert {
	uint8_t vrid;
	uint8_t priority;      /* 0: the master is leaving */
	uint16_t max_adver_cs; /* 12 bits, centiseconds */
	uint8_t count;	       /* addresses announced, even past HA_VRRP_ADDRS_MAX */
	struct net_addr addrs[HA_VRRP_ADDRS_MAX]; /* the first ones of them */
};

/* Why a received message was refused; each is counted on its own. */
enum vrrp_rx_verdict {
	VRRP_RX_OK = 0,
	VRRP_RX_SHORT,		  /* shorter than its header or its address count says */
	VRRP_RX_BAD_TTL,	  /* TTL / hop limit not 255: not from our link */
	VRRP_RX_BAD_VERSION_TYPE, /* not version 3, type 1 */
	VRRP_RX_BAD_CHECKSUM,
	VRRP_RX_UNKNOWN_SRC, /* unicast_peers set, and the sender is none of them */
	VRRP_RX__COUNT,
};

const char *vrrp_rx_verdict_name(enum vrrp_rx_verdict v);

/*
 * The Internet checksum of @len bytes of VRRP message with the IPv4 or IPv6
 * pseudo-header of @src -> @dst (RFC 5798 5.2.8). Over a message whose
 * checksum field is filled in, a correct one gives 0.
 */
uint16_t vrrp_checksum(const struct net_addr *src, const struct net_addr *dst, const uint8_t *msg,
		       size_t len);

/*
 * Writes the advertisement for @src -> @dst (family from @src) into @buf,
 * checksum included; returns its length, or 0 if it does not fit @size.
 */
size_t vrrp_encode(const struct vrrp_advert *a, const struct net_addr *src,
		   const struct net_addr *dst, uint8_t *buf, size_t size);

/* Parses and checks the VRRP message (IP header already removed) that came @src -> @dst. */
enum vrrp_rx_verdict vrrp_decode(const uint8_t *msg, size_t len, const struct net_addr *src,
				 const struct net_addr *dst, struct vrrp_advert *out);

/*
 * What a raw IPv4 socket hands over: the IP header, then the message. Fills
 * the addresses and TTL and returns the message's offset, or 0 when the
 * header is unusable.
 */
size_t vrrp_ipv4_header(const uint8_t *pkt, size_t len, struct net_addr *src, struct net_addr *dst,
			uint8_t *ttl);

/*
 * Whether an advert from @src may be heard at all: with unicast_peers, only
 * from one of them (keepalived's check_unicast_src); without, from anyone on
 * the link (multicast VRRP has nothing else to go by).
 */
bool vrrp_src_allowed(const struct ha_vrrp_config *cfg, const struct net_addr *src);

/* Whether the advertised addresses are exactly @addrs (in any order). */
bool vrrp_addrs_match(const struct vrrp_advert *a, const struct net_addr *addrs, size_t naddrs);

#endif /* XLB_HA_VRRP_PACKET_H */
