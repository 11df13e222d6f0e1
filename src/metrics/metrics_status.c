// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Builds the status document on the main thread; see metrics_status.h. */
#include "metrics/metrics_status.h"

#include <time.h>

#include "bgp/bgp.h"
#include "ctl.h"
#include "ha/sync.h"
#include "ha/vrrp.h"

/* Written and read by the main thread only. */
static double ms_start_time;

static double ms_clock(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void metrics_status_started(void)
{
	ms_start_time = ms_clock(CLOCK_REALTIME);
}

json_object *metrics_status_build(struct model *m)
{
	double t0 = ms_clock(CLOCK_MONOTONIC);
	json_object *root = ctl_list_json(m);
	json_object *ha = json_object_new_object();
	json_object *build = json_object_new_object();
	json_object *snap = json_object_new_object();

	json_object_object_add(ha, "vrrp", vrrp_json(m->vrrp));
	json_object_object_add(ha, "sync", sync_json(m->sync));
	json_object_object_add(root, "ha", ha);
	json_object_object_add(root, "bgp", bgp_json(m->bgp));
	json_object_object_add(build, "version", json_object_new_string(XLB_VERSION));
	json_object_object_add(build, "compiler", json_object_new_string(__VERSION__));
	json_object_object_add(root, "build", build);
	json_object_object_add(snap, "mono_ms", json_object_new_uint64(model_now_ms()));
	json_object_object_add(snap, "start_time_seconds", json_object_new_double(ms_start_time));
	json_object_object_add(snap, "build_seconds",
			       json_object_new_double(ms_clock(CLOCK_MONOTONIC) - t0));
	json_object_object_add(root, "snapshot", snap);
	return root;
}
