/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The services: list as plain data, and its parser (service_config.c): a
 * service's own keys and its reals, with the health: block, the method
 * proxy keys and routes read by their sections (health/health_config.c,
 * proxy/proxy_config.c) into the structs they own.
 */
#ifndef XLB_SERVICE_CONFIG_H
#define XLB_SERVICE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "config_names.h"
#include "health/health_config.h"
#include "proxy/proxy_config.h"
#include "real_config.h"

struct service_config {
	char name[CONFIG_NAME_MAX];
	struct net_addr vip;
	uint16_t port; /* host order */
	uint8_t proto; /* IPPROTO_TCP / IPPROTO_UDP */
	uint8_t method; /* enum xlb_method */
	uint8_t sched; /* enum sched_id (src/sched/sched.h) */
	uint32_t persistence_ms;
	bool midstream_drop; /* TCP non-SYN without a flow: drop instead of scheduling */
	bool midstream_set; /* midstream: given (else ha: sync: mode: decides) */
	uint32_t slow_start_ms; /* lc/wlc/sed/nq: a real new to the ring ramps its weight this long */
	bool sched_port; /* sh, mh: hash the client's port too */
	bool sched_fallback; /* sh: an unavailable real's clients go to the next bucket's */
	uint8_t dscp; /* method dscp: 1..63 */
	uint16_t gue_port; /* method gue: outer UDP destination port, host order */
	struct net_addr local_addrs[XLB_FNAT_LOCAL_MAX]; /* method fnat: our source addresses */
	size_t nlocal_addrs;
	struct real_config *reals;
	size_t nreals;
	struct health_config health;
	struct health_sorry sorry; /* sorry.addr.family 0: none */
	uint32_t quorum; /* healthy reals the service needs (1 by default) */
	struct proxy_config proxy; /* method proxy: mode, limits, timeouts */
	int line;
};

struct config_ctx;
typedef struct yaml_node_s yaml_node_t;

/*
 * Parses the services: list into @out (allocated, @count entries; none
 * for an empty list), reporting every problem through @ctx as FILE:LINE,
 * duplicates (names, VIP:port/protocol, reals) included. Stops early when
 * a limit is exceeded (ctx->stop). Free with service_config_free().
 */
void service_config_parse(struct config_ctx *ctx, yaml_node_t *list, struct service_config **out,
			  size_t *count);
void service_config_free(struct service_config *svcs, size_t count);

const char *config_method_name(uint8_t method);

#endif /* XLB_SERVICE_CONFIG_H */
