/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Which data-plane paths a config needs: the program xlbd loads carries only those. */
#ifndef XLB_DP_SPEC_H
#define XLB_DP_SPEC_H

#include <stdbool.h>

#include "config.h"
#include "xlb/xlb_types.h"

/* The methods, schedulers and features @cfg uses, and its flow touch period. */
void dp_spec_from_config(const struct xlb_config *cfg, struct xlb_dp_spec *spec);
/* True when a program built for @have serves a config that needs @need exactly. */
bool dp_spec_equal(const struct xlb_dp_spec *have, const struct xlb_dp_spec *need);
/* "methods dr,tun; schedulers ring,mh; features v6,sync" for the log. */
void dp_spec_describe(const struct xlb_dp_spec *spec, char *buf, size_t len);

#endif /* XLB_DP_SPEC_H */
