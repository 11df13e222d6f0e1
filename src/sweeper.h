/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Expires idle flows by state and keeps each real's connection counts exact. */
#ifndef XLB_SWEEPER_H
#define XLB_SWEEPER_H

#include <stdint.h>

#include "model.h"

struct sweep_result {
	long flows; /* seen in "flows" */
	long syn_flows; /* seen in "syn_flows" */
	long expired; /* idle past their state's timeout, deleted */
	long stale; /* of a real that is gone or whose id was reused, deleted */
};

/* Updates @st from a pass's counts and the data plane's totals; warns when a table fills. */
void sweeper_table_state(struct dataplane *dp, const struct sweep_result *res,
			 struct flow_table_state *st);

/* One pass over the flow table at monotonic time @now_ns. */
int sweeper_run(struct model *m, uint64_t now_ns, struct sweep_result *res);

#endif /* XLB_SWEEPER_H */
