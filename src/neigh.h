/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Egress interface and MAC of each real, from the kernel's routes and neighbour table. */
#ifndef XLB_NEIGH_H
#define XLB_NEIGH_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"

struct neigh_ctx;

/*
 * Opens two rtnetlink sockets in the calling thread's network namespace: a
 * blocking one for the request/response calls below (a reply that takes
 * longer than 2 s gives -ETIMEDOUT) and a non-blocking one subscribed to
 * RTNLGRP_NEIGH, the one group that carries both ARP (IPv4) and ND (IPv6)
 * neighbour changes. 0 or negative errno.
 */
int neigh_open(struct neigh_ctx **out);
void neigh_close(struct neigh_ctx *ctx);
/* The notification socket, for epoll (EPOLLIN, level or edge triggered). */
int neigh_event_fd(const struct neigh_ctx *ctx);

struct neigh_route {
	int ifindex; /* egress interface */
	bool onlink; /* no gateway: @dst is on a directly connected segment */
	struct net_addr gateway; /* next hop when !onlink and of @dst's family, else family 0 */
	struct net_addr prefsrc; /* the source address the kernel would use, or family 0 */
};

/*
 * Route lookup for exactly @dst, as the kernel would send to it. onlink is
 * true when the route has no gateway, i.e. the real is on a directly
 * connected segment and can be reached by rewriting the MAC alone.
 * Errors: -ENETUNREACH (no route), -EHOSTUNREACH (unreachable route),
 * -EACCES (prohibit route), -ELOOP (@dst is one of our own addresses),
 * -EINVAL (bad family or an IPv6 link-local @dst, which is ambiguous without
 * an interface), -ETIMEDOUT, other negative errno.
 */
int neigh_route_lookup(struct neigh_ctx *ctx, const struct net_addr *dst,
		       struct neigh_route *out);

/*
 * The neighbour entry for @addr on @ifindex. 0 and @mac when the entry is
 * usable (REACHABLE, STALE, DELAY, PROBE, PERMANENT or NOARP); -ENOENT when it
 * is missing, INCOMPLETE or FAILED; -EOPNOTSUPP when it is usable but has no
 * 6-byte link-layer address (not an Ethernet-like device); -ENODEV when
 * @ifindex does not exist.
 */
int neigh_lookup(struct neigh_ctx *ctx, const struct net_addr *addr, int ifindex, uint8_t mac[6]);

/*
 * Asks the kernel to resolve @addr on @ifindex now (ARP request or neighbour
 * solicitation) and returns without waiting; the answer arrives as an event.
 * A missing, FAILED or STALE entry is (re)probed. Entries that someone else
 * owns (PERMANENT, NOARP, extern_learn, managed, externally validated) are
 * left alone and 0 is returned, because the kernel's NTF_USE would wipe them.
 * IPv6 needs a non-tentative link-local address on @ifindex, or the kernel
 * silently sends no solicitation.
 */
int neigh_trigger(struct neigh_ctx *ctx, const struct net_addr *addr, int ifindex);

/*
 * Called for every IPv4/IPv6 RTM_NEWNEIGH or RTM_DELNEIGH: @mac is the entry's
 * MAC when it is usable (as neigh_lookup() defines it) and NULL when it is
 * not or was deleted; it is valid only during the call. After a lost
 * notification (socket overrun) it is called once with @addr == NULL,
 * @ifindex 0 and @mac NULL, meaning "re-resolve everything".
 * The callback may call neigh_route_lookup(), neigh_lookup() and
 * neigh_trigger() on the same context, but not neigh_process_events() or
 * neigh_close().
 */
typedef void (*neigh_event_cb)(const struct net_addr *addr, int ifindex, const uint8_t *mac,
			       void *arg);

/*
 * Reads every pending notification without blocking and calls @cb for each.
 * Returns the number of callbacks made (0 when nothing was pending) or
 * negative errno.
 */
int neigh_process_events(struct neigh_ctx *ctx, neigh_event_cb cb, void *arg);

#endif /* XLB_NEIGH_H */
