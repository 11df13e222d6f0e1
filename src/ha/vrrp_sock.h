/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Raw IP protocol 112 sockets for one VRRP instance: multicast membership, send, receive. */
#ifndef XLB_HA_VRRP_SOCK_H
#define XLB_HA_VRRP_SOCK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "addr.h"

/*
 * A non-blocking raw socket bound to interface @ifname for @family, member
 * of 224.0.0.18 / ff02::12 there, sending with TTL / hop limit 255 and no
 * multicast loop. The fd or negative errno.
 */
int vrrp_sock_open(int family, int ifindex, const char *ifname);

/* Sends @msg from @src (our primary or link-local address) to @dst out of @ifindex. */
int vrrp_sock_send(int fd, int ifindex, const struct net_addr *src, const struct net_addr *dst,
		   const uint8_t *msg, size_t len);

struct vrrp_rx {
	struct net_addr src, dst;
	int ttl;	    /* TTL or hop limit; -1 if the kernel did not say */
	const uint8_t *msg; /* the VRRP message inside the buffer passed in */
	size_t len;
	bool bad_ip; /* not a usable IP packet: counted as a length error */
};

/* One packet into @buf: 1 with @rx filled, 0 when none is waiting, negative errno. */
int vrrp_sock_recv(int fd, int family, uint8_t *buf, size_t size, struct vrrp_rx *rx);

/*
 * Our source address on @ifname: for IPv4 its first address that is not one
 * of @skip (the virtual ones), for IPv6 its link-local address (RFC 5798 5.1.2.2).
 */
int vrrp_local_addr(const char *ifname, int family, const struct net_addr *skip, size_t nskip,
		    struct net_addr *out);

#endif /* XLB_HA_VRRP_SOCK_H */
