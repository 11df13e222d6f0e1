/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The scheduler seam: one file per algorithm, each filling one sched_ops. */
#ifndef XLB_SCHED_H
#define XLB_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xlb/xlb_types.h"

enum sched_id {
	SCHED_RR = 0,
	SCHED_WRR,
	SCHED__COUNT,
};

/* A real as a scheduler sees it. */
struct sched_real {
	uint32_t real_id;
	uint32_t weight; /* 0 = drain: keeps its flows, gets no new ones */
	bool usable; /* MAC known (later: healthy) */
};

struct sched_ops {
	const char *name;
	enum xlb_sched_kind kind;
	/*
	 * Ring schedulers: write the order in which new flows visit reals
	 * into @ring (at most @ring_max ids). Returns the length; 0 means no
	 * real can take a new flow.
	 */
	size_t (*build_ring)(const struct sched_real *reals, size_t n, uint32_t *ring,
			     size_t ring_max);
};

const struct sched_ops *sched_get(enum sched_id id);
/* Returns the id for @name, or -1. */
int sched_lookup(const char *name);

extern const struct sched_ops sched_rr_ops;
extern const struct sched_ops sched_wrr_ops;

#endif /* XLB_SCHED_H */
