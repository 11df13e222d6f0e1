/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * method proxy: a userspace TCP (or HTTP/1.1) proxy inside xlbd, one worker
 * thread per core. The main thread calls these; the workers never touch the
 * model.
 */
#ifndef XLB_PROXY_ENGINE_H
#define XLB_PROXY_ENGINE_H

#include <json-c/json.h>

struct model;
struct service;
struct real;
struct proxy_engine;

/* Raises RLIMIT_NOFILE to its hard limit; workers start with the first proxy service. */
int proxy_engine_open(struct proxy_engine **out);
/* Stops the workers and closes every listener and connection. */
void proxy_engine_close(struct proxy_engine *e);
/*
 * Makes the proxied services equal to @m's method proxy services: listens
 * for new ones, stops accepting for removed ones (their connections go on
 * until they end), keeps the listeners of the others, and publishes every
 * service's reals. 0, or the first error (each is logged with its service).
 */
int proxy_engine_apply(struct proxy_engine *e, struct model *m);
/* Republishes the reals if the model changed them since (health, weights). */
void proxy_engine_refresh(struct proxy_engine *e, struct model *m);

/* ---- upgrades (upgrade.h) ---- */

/* Every listening socket of every worker: up to @max into @fds; returns how many there are. */
size_t proxy_engine_listeners(const struct proxy_engine *e, int *fds, size_t max);
/*
 * Listening sockets a previous xlbd handed over (@n of them, ours now): the
 * next apply serves each service on those bound to its VIP and port, opening
 * new ones only for workers left over, and closes the ones no service takes.
 */
void proxy_engine_adopt(struct proxy_engine *e, int *fds, size_t n);
/*
 * A new xlbd took over: stop accepting on every service (what is queued is
 * still served); mode http clients get "Connection: close" on their next
 * response, and idle keep-alive ones are closed.
 */
void proxy_engine_drain(struct proxy_engine *e);
/* Client connections open now, all services. */
uint64_t proxy_engine_connections(const struct proxy_engine *e);

/* xlbctl: "proxy": {...} on a proxy service's object and on each of its reals. */
void proxy_json_service(json_object *o, const struct proxy_engine *e, const struct service *s);
void proxy_json_real(json_object *o, const struct proxy_engine *e, const struct service *s,
		     const struct real *r);

#endif /* XLB_PROXY_ENGINE_H */
