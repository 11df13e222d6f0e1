/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * xlbctl doctor and xlbd's start-up check: the host settings xlb's docs
 * require for a config, each finding with the command that fixes it.
 */
#ifndef XLB_OPS_DOCTOR_H
#define XLB_OPS_DOCTOR_H

#include <json-c/json.h>
#include <stddef.h>

#include "config.h"

enum doctor_level {
	DOCTOR_OK = 0,
	DOCTOR_INFO, /* tuning worth knowing about */
	DOCTOR_WARN, /* works, but not as well or not in every case (failover, speed) */
	DOCTOR_ERROR, /* traffic the config asks for is dropped */
};

struct doctor_finding {
	enum doctor_level level;
	char check[24];
	char what[256];
	char fix[256]; /* "" when nothing is to be done */
};

struct doctor_report {
	struct doctor_finding *f;
	size_t n, cap;
};

/* Runs every check for @cfg on this host (and network namespace). */
void doctor_run(const struct xlb_config *cfg, struct doctor_report *r);
void doctor_report_free(struct doctor_report *r);
/* The worst level found. */
enum doctor_level doctor_worst(const struct doctor_report *r);
const char *doctor_level_name(enum doctor_level l);
json_object *doctor_json(const struct doctor_report *r);
/* xlbd at start: each finding that is not ok, once, at its level. */
void doctor_log(const struct doctor_report *r);

#endif /* XLB_OPS_DOCTOR_H */
