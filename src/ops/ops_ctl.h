/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The operator commands of the control socket: flows, zero, reload, trace. */
#ifndef XLB_OPS_CTL_H
#define XLB_OPS_CTL_H

#include <json-c/json.h>

#include "model.h"

/*
 * Reloads the config xlbd runs from (main.c's SIGHUP path, so both behave
 * the same): 0 applied, negative when rejected (the running config stays
 * in force, and @why says why).
 */
typedef int (*ops_reload_fn)(struct model *m, void *arg, char *why, size_t whylen);
/* @path: the config file, checked first so the reply can list its errors. */
void ops_ctl_set_reload(ops_reload_fn fn, void *arg, const char *path);

/* The reply to @cmd, or NULL if it is none of ours. */
json_object *ops_ctl_dispatch(struct model *m, const char *cmd, json_object *req);

json_object *ops_flows(struct model *m, json_object *req);
json_object *ops_trace(struct model *m, json_object *req);

#endif /* XLB_OPS_CTL_H */
