/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The dashboard page: the status document as a static HTML table plus a small live script. */
#ifndef XLB_DASHBOARD_H
#define XLB_DASHBOARD_H

#include <json-c/json.h>
#include <stddef.h>

/* The page for @status, malloc'ed (free() it), its length in @len; NULL on allocation failure. */
char *dashboard_page(json_object *status, size_t *len);

/* Embedded assets (dashboard_assets.c): no CDN, nothing fetched but /api/status. */
extern const char dashboard_css[];
extern const char dashboard_js[];

#endif /* XLB_DASHBOARD_H */
