// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Tracked interfaces and services -> priority and fault, without side effects. */
#include "ha/vrrp_track.h"

#include <stdio.h>

#include "ha/vrrp_fsm.h"

const char *vrrp_quorum_name(enum vrrp_quorum q)
{
	switch (q) {
	case VRRP_QUORUM_MET:
		return "met";
	case VRRP_QUORUM_LOST:
		return "lost";
	default:
		return "unknown";
	}
}

/* Adds what @t contributes to @sum; true if it puts the instance in FAULT. */
static bool vrrp_track_one(const struct ha_track *t, bool failing, int *sum)
{
	if (!t->weight)
		return failing;
	if ((t->weight < 0) == failing)
		*sum += t->weight;
	return false;
}

uint8_t vrrp_track_eval(const struct ha_vrrp_config *cfg, const struct vrrp_track_status *st,
			char *fault, size_t size)
{
	unsigned nfault = 0;
	int sum = 0, prio;

	fault[0] = '\0';
	if (!st->own_up) {
		snprintf(fault, size, "interface %s is down", cfg->iface);
		nfault++;
	}
	for (size_t i = 0; i < cfg->ntrack_ifaces; i++) {
		if (!vrrp_track_one(&cfg->track_ifaces[i], !st->iface_up[i], &sum))
			continue;
		if (!nfault++)
			snprintf(fault, size, "tracked interface %s is down",
				 cfg->track_ifaces[i].name);
	}
	for (size_t i = 0; i < cfg->ntrack_services; i++) {
		if (!vrrp_track_one(&cfg->track_services[i], st->svc[i] == VRRP_QUORUM_LOST, &sum))
			continue;
		if (!nfault++)
			snprintf(fault, size, "tracked service %s lost its quorum",
				 cfg->track_services[i].name);
	}
	if (nfault > 1) {
		char one[96];

		snprintf(one, sizeof(one), "%s", fault);
		snprintf(fault, size, "%s (and %u more)", one, nfault - 1);
	}
	if (cfg->priority == VRRP_PRIORITY_OWNER)
		return VRRP_PRIORITY_OWNER;
	prio = cfg->priority + sum;
	if (prio < 1)
		prio = 1;
	if (prio > VRRP_PRIORITY_OWNER - 1)
		prio = VRRP_PRIORITY_OWNER - 1;
	return (uint8_t)prio;
}
