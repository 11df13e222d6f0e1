/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The program's specialisation: which paths the config needs (see struct xlb_dp_spec). */
#ifndef XLB_BPF_SPEC_H
#define XLB_BPF_SPEC_H

#include "xlb/xlb_types.h"

/* See struct xlb_dp_spec: set by xlbd from the config before load. */
const volatile struct xlb_dp_spec xlb_spec = {
	.methods = ~0u,
	.scheds = ~0u,
	.features = ~0u,
};

static __always_inline bool method_on(__u32 method)
{
	return method < 32 && (xlb_spec.methods & (1u << method));
}

static __always_inline bool feature_on(__u32 feat)
{
	return xlb_spec.features & feat;
}

static __always_inline bool nat_methods_on(void)
{
	return xlb_spec.methods & ((1u << XLB_METHOD_NAT) | (1u << XLB_METHOD_FNAT));
}

static __always_inline bool sched_on(__u32 kind)
{
	return kind < 32 && (xlb_spec.scheds & (1u << kind));
}

#endif /* XLB_BPF_SPEC_H */
