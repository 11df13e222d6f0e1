/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Health state in the control socket's JSON. */
#ifndef XLB_HEALTH_JSON_H
#define XLB_HEALTH_JSON_H

#include <json-c/json.h>

#include "model.h"

/* Adds "for_s", "sorry" and, for a checked real, "health": {...} to real object @o. */
void health_json_real(json_object *o, const struct model *m, const struct service *s,
		      const struct real *r);
/* Adds "health" (its check settings), "quorum" and "sorry_active" to service object @o. */
void health_json_service(json_object *o, const struct service *s);
/* Adds the checks' counters as "health" to the reply's root (nothing if @h is NULL). */
void health_json_stats(json_object *root, const struct health_ctx *h);

#endif /* XLB_HEALTH_JSON_H */
