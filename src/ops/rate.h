/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Rates per service and real (connections, packets and bytes per second,
 * like ipvsadm --rate), estimated from the data plane's counters once a
 * tick, as IPVS's estimator does: the last interval's rate, smoothed.
 */
#ifndef XLB_OPS_RATE_H
#define XLB_OPS_RATE_H

#include <json-c/json.h>

#include "model.h"

/* Main thread, once a tick: reads every service's and real's counters. */
void rate_tick(struct model *m);
/* Adds "rate": {cps, pps, bps} to each service and real of ctl's list JSON. */
void rate_json(json_object *list, const struct model *m);
/* After counters were zeroed: the next tick starts over instead of seeing a drop. */
void rate_reset(void);
void rate_free(void);

#endif /* XLB_OPS_RATE_H */
