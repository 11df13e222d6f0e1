// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* zero and reload; flows and trace live in their own files. */
#include "ops/ops_ctl.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bgp/bgp.h"
#include "log.h"
#include "ops/rate.h"

static ops_reload_fn ops_reload_cb;
static void *ops_reload_arg;
static char ops_config_path[CONFIG_PATH_MAX];

void ops_ctl_set_reload(ops_reload_fn fn, void *arg, const char *path)
{
	ops_reload_cb = fn;
	ops_reload_arg = arg;
	snprintf(ops_config_path, sizeof(ops_config_path), "%s", path);
}

/* Per-CPU slots of every counter back to 0 (also ones this build has no name for), but the flow tables' accounting. */
static int ops_zero_global(struct dataplane *dp)
{
	int fd = dataplane_map_fd(dp, "global_stats"), ncpus = libbpf_num_possible_cpus();
	uint64_t *zero;
	int n = 0;

	if (fd < 0 || ncpus <= 0)
		return 0;
	zero = calloc((size_t)ncpus, sizeof(*zero));
	if (!zero)
		return 0;
	for (uint32_t c = 0; c < XLB_CNT_SLOTS; c++) {
		/* the flow tables' running totals: evictions are derived from them */
		if (c == XLB_CNT_FLOW_INSERT || c == XLB_CNT_SYN_INSERT || c == XLB_CNT_SYN_REMOVED)
			continue;
		n += bpf_map_update_elem(fd, &c, zero, BPF_EXIST) == 0;
	}
	free(zero);
	return n;
}

/* ipvsadm -Z: traffic counters of every service and real, and the data plane's. */
static json_object *ops_zero(struct model *m)
{
	json_object *o = json_object_new_object();
	int svcs = 0, reals = 0;

	for (size_t i = 0; i < m->nservices; i++) {
		const struct service *s = &m->services[i];

		if (s->cfg.method == XLB_METHOD_PROXY)
			continue;
		svcs += dataplane_stats_reset(m->dp, DP_STATS_SERVICE, s->id) == 0;
		for (size_t j = 0; j < s->nreals; j++)
			reals += dataplane_stats_reset(m->dp, DP_STATS_REAL, s->reals[j].id) == 0;
	}
	json_object_object_add(o, "services", json_object_new_int(svcs));
	json_object_object_add(o, "reals", json_object_new_int(reals));
	json_object_object_add(o, "counters", json_object_new_int(ops_zero_global(m->dp)));
	rate_reset();
	log_info("counters zeroed by xlbctl: %d services, %d reals", svcs, reals);
	return o;
}

/*
 * The file is checked here first so that its errors reach xlbctl; then the
 * same reload as SIGHUP. Either way the reply says whether it applied.
 */
static json_object *ops_reload(struct model *m)
{
	json_object *o = json_object_new_object(), *errors = json_object_new_array();
	struct config_errors errs = {};
	struct xlb_config cfg = {};
	bool applied = false;

	if (!ops_reload_cb) {
		json_object_array_add(errors, json_object_new_string("reload is not available"));
	} else if (config_load(ops_config_path, &cfg, &errs) < 0) {
		for (size_t i = 0; i < errs.count; i++)
			json_object_array_add(errors, json_object_new_string(errs.msgs[i]));
		log_error("reload (xlbctl) rejected: %s is invalid; the running config stays in force",
			  ops_config_path);
	} else {
		char why[256] = "";

		config_free(&cfg);
		applied = ops_reload_cb(m, ops_reload_arg, why, sizeof(why)) == 0;
		if (!applied)
			json_object_array_add(errors, json_object_new_string(why));
	}
	config_errors_free(&errs);
	json_object_object_add(o, "path", json_object_new_string(ops_config_path));
	json_object_object_add(o, "applied", json_object_new_boolean(applied));
	json_object_object_add(o, "services", json_object_new_int64((int64_t)m->nservices));
	json_object_object_add(o, "errors", errors);
	return o;
}

json_object *ops_ctl_dispatch(struct model *m, const char *cmd, json_object *req)
{
	if (strcmp(cmd, "flows") == 0)
		return ops_flows(m, req);
	if (strcmp(cmd, "zero") == 0)
		return ops_zero(m);
	if (strcmp(cmd, "reload") == 0)
		return ops_reload(m);
	if (strcmp(cmd, "trace") == 0)
		return ops_trace(m, req);
	return bgp_ctl_dispatch(m, cmd); /* bgp, drain_node, undrain_node; NULL if none */
}
