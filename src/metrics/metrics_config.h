/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The metrics: block (Prometheus endpoint and dashboard listener) as plain data. */
#ifndef XLB_METRICS_CONFIG_H
#define XLB_METRICS_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"

#define METRICS_TOKEN_MIN 16
#define METRICS_TOKEN_MAX 128

struct metrics_config {
	bool enabled; /* off unless the config has a metrics: block */
	struct net_addr addr;
	uint16_t port;
	char token[METRICS_TOKEN_MAX + 1]; /* "" : none (only allowed on loopback) */
	int line;
};

struct config_ctx;
typedef struct yaml_node_s yaml_node_t;

/* The metrics: block into @mc, every problem reported through @ctx as FILE:LINE. */
void metrics_config_parse(struct config_ctx *ctx, yaml_node_t *n, struct metrics_config *mc);
/* Loopback addresses need no token: only local users can reach them. */
bool metrics_addr_is_loopback(const struct net_addr *a);
/* Whether @a and @b listen differently (a reload cannot move the listener). */
bool metrics_config_differs(const struct metrics_config *a, const struct metrics_config *b);

#endif /* XLB_METRICS_CONFIG_H */
