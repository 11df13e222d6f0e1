/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * VRRPv3 (RFC 5798) routers for the ha: vrrp instances, IPv4 and IPv6,
 * interoperable with keepalived (vrrp_version 3). One fd for the main loop.
 */
#ifndef XLB_HA_VRRP_H
#define XLB_HA_VRRP_H

#include "ha/ha_config.h"

struct json_object;
struct vrrp_ctx;

/*
 * Opens a socket per instance of @cfg (NULL: none), starts each (Initialize
 * -> Backup, removing addresses a crashed predecessor left; the owner,
 * priority 255, -> Master). Always gives a context, also without instances,
 * so a reload can add some. 0 or negative errno, reported once in the log.
 */
int vrrp_open(const struct ha_config *cfg, struct vrrp_ctx **out);
/* For the main epoll: readable when a packet or a timer wants vrrp_process(). */
int vrrp_fd(const struct vrrp_ctx *ctx);
/* Reads adverts, runs due timers, sends adverts and announcements; never blocks. */
void vrrp_process(struct vrrp_ctx *ctx);
/*
 * SIGHUP: instances matched by (interface, VRID, family) keep their state and
 * take the new priority, interval, preemption and addresses; new ones start,
 * gone ones shut down. On error nothing changed.
 */
int vrrp_apply(struct vrrp_ctx *ctx, const struct ha_config *cfg);
/* A master sends priority 0 and removes its addresses; frees @ctx (NULL is fine). */
void vrrp_close(struct vrrp_ctx *ctx);
/* {"now_ms": .., "instances": [...]}: state, peer, timers, counters, last transition. */
struct json_object *vrrp_json(const struct vrrp_ctx *ctx);

#endif /* XLB_HA_VRRP_H */
