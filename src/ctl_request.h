/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Control requests checked before anything acts on them. The socket is the
 * API: xlbd checks every field here, and xlbctl runs the same checks before
 * it sends, so both give the same clear error. No model, no I/O.
 */
#ifndef XLB_CTL_REQUEST_H
#define XLB_CTL_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

struct json_object;

/* One request, newline included; a longer one is refused, not cut. */
#define CTL_REQUEST_MAX 4096
#define CTL_WEIGHT_MAX 65535
/* "weight": "config" puts a real back to its configured weight. */
#define CTL_WEIGHT_CONFIG "config"

/*
 * Parses @len bytes as exactly one JSON object with a string "cmd" (white
 * space around it is fine, anything else is not). For the commands listed
 * in ctl_request.c every key must be known and of its type; other commands
 * are left to their handler. Returns the object, or NULL with @err set.
 */
struct json_object *ctl_request_parse(const char *text, size_t len, char *err, size_t errlen);

struct ctl_real_weight {
	const char *service; /* points into the request */
	const char *real;    /* as sent, already checked by ctl_endpoint_parse() */
	struct net_addr addr;
	uint16_t port;	     /* 0: any port */
	bool to_config;	     /* back to the config's weight */
	uint32_t weight;     /* 0..CTL_WEIGHT_MAX unless to_config */
};

/* The fields of a parsed "real_weight" request, each checked; 0 or -EINVAL with @err. */
int ctl_real_weight_args(struct json_object *req, struct ctl_real_weight *out, char *err,
			 size_t errlen);

/* "ADDR", "ADDR:PORT" or "[ADDR6]:PORT", port 1..65535 in digits; 0 or -EINVAL. */
int ctl_endpoint_parse(const char *text, struct net_addr *addr, uint16_t *port);

#endif /* XLB_CTL_REQUEST_H */
