/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The HTTP listener of metrics: (Prometheus at /metrics, the dashboard at /,
 * its data at /api/status), served by libmicrohttpd's own thread.
 *
 * Threads: the HTTP thread never touches the model. It serves documents the
 * main thread rendered and published under a mutex; when the last ones are
 * older than METRICS_FRESH_MS it asks for new ones through an eventfd that
 * the main loop watches, and waits for them at most METRICS_WAIT_MS (then
 * serves what it has). So a scrape costs the main loop one snapshot, never
 * a wait, and a busy main loop delays a scrape, never the other way round.
 */
#ifndef XLB_METRICS_SERVER_H
#define XLB_METRICS_SERVER_H

#include <json-c/json.h>

#include "metrics/metrics_config.h"

#define METRICS_FRESH_MS 500
#define METRICS_WAIT_MS 1000

struct metrics_server;
struct model;

/* Binds and starts the HTTP thread; 0 or negative errno (logged). */
int metrics_server_open(const struct metrics_config *cfg, struct metrics_server **out);
/* Stops the thread first; NULL is fine. */
void metrics_server_close(struct metrics_server *s);
/* Readable when the HTTP thread wants a new snapshot: call metrics_server_refresh(). */
int metrics_server_fd(const struct metrics_server *s);
/* The bound port (the config's, or the kernel's pick for port 0 in tests). */
uint16_t metrics_server_port(const struct metrics_server *s);
/* Main thread: builds the status document from @m and publishes it. */
void metrics_server_refresh(struct metrics_server *s, struct model *m);
/* Renders @status (kept by the caller) into the served documents; any thread but HTTP's. */
void metrics_server_publish(struct metrics_server *s, json_object *status);

#endif /* XLB_METRICS_SERVER_H */
