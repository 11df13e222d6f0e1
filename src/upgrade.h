/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Upgrades that keep proxied connections (xlbd --upgrade), as HAProxy's
 * seamless reload does: the new xlbd asks the running one over the control
 * socket for its listening sockets, which come over as file descriptors
 * (SCM_RIGHTS). The same sockets, not new ones bound with SO_REUSEPORT: a
 * closing SO_REUSEPORT socket resets the connections queued on it, a passed
 * one keeps its queue and is never closed at all.
 *
 * The exchange, one JSON object a line, on the connection of the request:
 *   new: {"cmd":"upgrade","drain_ms":N}
 *   old: {"pid":P,"listeners":T}, then lines {"fds":K} each carrying K of them
 *   old: releases every role (VRRP, sync, health, metrics, control socket,
 *        data plane, instance locks), still accepting on the listeners, then
 *        {"released":true}
 *   new: takes the locks, the pinned data plane and the listeners, then
 *        {"cmd":"drain"}
 *   old: stops accepting; {"connections":M} while they finish (at most N ms),
 *        {"exit":"drained"|"timeout","closed":C}, and exits.
 * The old xlbd's proxied connections end on their own or at the drain
 * bound; nothing else of it runs after "released".
 */
#ifndef XLB_UPGRADE_H
#define XLB_UPGRADE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct proxy_engine;

#define UPGRADE_DRAIN_DEFAULT_MS 60000u
#define UPGRADE_DRAIN_MAX_MS (24u * 3600u * 1000u)

/* ---- the new xlbd ---- */

/* The running xlbd, as the new one sees it while it drains. */
struct upgrade_old;

/*
 * Asks the xlbd on @ctl_path to hand over, receives its listeners and waits
 * (bounded) until it released its roles. 0 with *out set; -ENOENT when no
 * xlbd answers there (nothing to take over); another negative errno, logged.
 */
int upgrade_begin(const char *ctl_path, uint32_t drain_ms, struct upgrade_old **out);
/* The listeners it sent; the caller takes them (and closes what it does not use). */
size_t upgrade_take_listeners(struct upgrade_old *o, int **fds);
/* Tells it to stop accepting and drain: after our proxy accepts on the same sockets. */
int upgrade_start_drain(struct upgrade_old *o);
/* Its connection, to watch for its reports. */
int upgrade_fd(const struct upgrade_old *o);
/* Reads its reports; false once it has exited (then free it). */
bool upgrade_process(struct upgrade_old *o);
void upgrade_free(struct upgrade_old *o);
/* xlbctl: {"old_pid":P,"state":"draining","connections":M,...}; NULL: none. */
json_object *upgrade_json(const struct upgrade_old *o);

/* ---- the running xlbd ---- */

/*
 * Sends every listener of @e to the new xlbd on @fd. 0, or a negative errno
 * (logged): then nothing was handed over and this xlbd runs on.
 */
int upgrade_give_listeners(int fd, const struct proxy_engine *e);
/*
 * After every role is released: says so, waits for the new xlbd's "drain"
 * (accepting meanwhile), stops accepting and lets the proxied connections
 * finish, at most @drain_ms. Returns when none is left or at the bound
 * (SIGTERM or SIGINT end it at once), having closed @fd; the caller then
 * closes the engine, and with it what is left.
 */
void upgrade_drain(int fd, struct proxy_engine *e, uint32_t drain_ms);

#endif /* XLB_UPGRADE_H */
