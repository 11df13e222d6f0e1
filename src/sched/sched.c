// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The table of schedulers: adding one means a file and a line here. */
#include "sched.h"

#include <string.h>

static const struct sched_ops *const sched_table[SCHED__COUNT] = {
	[SCHED_RR] = &sched_rr_ops,
	[SCHED_WRR] = &sched_wrr_ops,
};

const struct sched_ops *sched_get(enum sched_id id)
{
	if ((unsigned)id >= SCHED__COUNT)
		return NULL;
	return sched_table[id];
}

int sched_lookup(const char *name)
{
	for (int i = 0; i < SCHED__COUNT; i++)
		if (sched_table[i] && strcmp(sched_table[i]->name, name) == 0)
			return i;
	return -1;
}
