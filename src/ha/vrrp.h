/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * VRRPv3 (RFC 5798) routers for the ha: vrrp instances, IPv4 and IPv6,
 * interoperable with keepalived (vrrp_version 3).
 *
 * Threads. VRRP runs in a thread of its own, started by vrrp_open(), so
 * nothing the rest of xlbd does (a reload, a control client, a sync flood,
 * a sweep) can hold back an advert, the master-down timer, a state change or
 * an announcement. The thread owns the instances, their sockets, the
 * timerfd and the rtnetlink socket (struct vrrp_ctx above "shared"): no
 * other thread touches them. It takes the context's mutex only to pick up a
 * command and to publish a copy of every instance's state at the end of each
 * turn, and never waits for another thread.
 *
 * The other side (xlbd's main thread; one caller at a time) may only:
 * - vrrp_apply(): posts the new instances (eventfd) and waits until the
 *   thread has applied them (the thread reads @cfg meanwhile);
 * - vrrp_json(): builds JSON from the last published copy (the mutex is held
 *   for a memcpy only);
 * - vrrp_close(): posts "stop" (a master sends priority 0 and removes its
 *   addresses), joins the thread, frees everything.
 * - vrrp_track_service(): a service's quorum changed (an atomic store and an
 *   eventfd write; it never waits).
 * Nothing flows back: the data plane forwards whatever reaches it, and
 * connection sync runs on every node whatever its role, so no other part of
 * xlbd acts on a VRRP state change (docs/ARCHITECTURE.md, "Threads").
 *
 * Tracking (track_interface, track_service, and always the instance's own
 * link): link changes reach the thread on an rtnetlink socket of its own,
 * quorum changes through vrrp_track_service(); vrrp_track.c turns them into
 * a priority and a fault, which the state machine takes as inputs.
 */
#ifndef XLB_HA_VRRP_H
#define XLB_HA_VRRP_H

#include <stdbool.h>

#include "ha/ha_config.h"

struct json_object;
struct vrrp_ctx;

/*
 * Opens a socket per instance of @cfg (NULL: none), starts each (Initialize
 * -> Backup, removing addresses a crashed predecessor left; the owner,
 * priority 255, -> Master), then starts the VRRP thread. Always gives a
 * context, also without instances, so a reload can add some. 0 or negative
 * errno, reported once in the log.
 */
int vrrp_open(const struct ha_config *cfg, struct vrrp_ctx **out);
/*
 * SIGHUP: instances matched by (interface, VRID, family) keep their state and
 * take the new priority, interval, preemption and addresses; new ones start,
 * gone ones shut down. On error nothing changed. Carried out by the VRRP
 * thread; returns once it is done.
 */
int vrrp_apply(struct vrrp_ctx *ctx, const struct ha_config *cfg);
/*
 * A master sends priority 0 and removes its addresses; the thread ends and
 * @ctx is freed (NULL is fine).
 */
void vrrp_close(struct vrrp_ctx *ctx);
/*
 * {"now_ms": .., "instances": [...]}: state, peer, timers, counters, last
 * transition, as the VRRP thread last published them (NULL: no instances).
 */
struct json_object *vrrp_json(struct vrrp_ctx *ctx);
/*
 * The main thread's report that service @name has (@met) or lacks its
 * quorum; call it on every change and after vrrp_open and vrrp_apply (the
 * thread keeps what it was told across reloads, by name). Services no
 * instance tracks are ignored. NULL @ctx is fine.
 */
void vrrp_track_service(struct vrrp_ctx *ctx, const char *name, bool met);

#endif /* XLB_HA_VRRP_H */
