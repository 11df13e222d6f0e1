/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The status document (metrics_status.h) in Prometheus' text exposition format. */
#ifndef XLB_METRICS_PROM_H
#define XLB_METRICS_PROM_H

#include <json-c/json.h>
#include <stddef.h>

/* A malloc'ed text (free() it) and its length in @len; NULL on allocation failure. */
char *metrics_prom_render(json_object *status, size_t *len);

#endif /* XLB_METRICS_PROM_H */
