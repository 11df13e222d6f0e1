/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The status document: everything the metrics endpoint and the dashboard
 * show, collected by the main thread (the only one that may read the model)
 * and handed to the HTTP thread as plain JSON.
 */
#ifndef XLB_METRICS_STATUS_H
#define XLB_METRICS_STATUS_H

#include <json-c/json.h>

#include "model.h"

#ifndef XLB_VERSION
#define XLB_VERSION "dev"
#endif

/*
 * { services, counters, health (as xlbctl list), ha {vrrp, sync},
 *   flow_table (ctl_list_json: both tables, fill, evictions), build {version, compiler},
 *   snapshot {mono_ms, build_seconds, start_time_seconds} }
 */
json_object *metrics_status_build(struct model *m);
/* Remembers when xlbd started (xlb_start_time_seconds). */
void metrics_status_started(void);
/* The flow count of the sweeper's last pass (it walks the table anyway). */

#endif /* XLB_METRICS_STATUS_H */
