/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What an instance's tracked objects make of its priority and whether it is
 * in FAULT (keepalived's track_interface semantics), as a pure function: the
 * VRRP thread gathers the states (vrrp_link.c, vrrp_track_service()) and
 * feeds the result to the state machine (vrrp_fsm_track).
 */
#ifndef XLB_HA_VRRP_TRACK_H
#define XLB_HA_VRRP_TRACK_H

#include <stddef.h>
#include <stdint.h>

#include "ha/ha_config.h"

enum vrrp_quorum { VRRP_QUORUM_UNKNOWN = 0, VRRP_QUORUM_MET, VRRP_QUORUM_LOST };

struct vrrp_track_status {
	bool own_up; /* the instance's interface: up and running (carrier) */
	bool iface_up[HA_TRACK_MAX]; /* as cfg->track_ifaces */
	uint8_t svc[HA_TRACK_MAX];   /* enum vrrp_quorum, as cfg->track_services */
};

const char *vrrp_quorum_name(enum vrrp_quorum q); /* "unknown", "met", "lost" */

/*
 * The priority to advertise: the configured one plus the weights of what
 * counts (a negative weight while its object fails, a positive one while it
 * is fine), kept within 1..254; 255, the address owner's, never changes. A
 * service whose quorum is not known yet counts as fine (keepalived's scripts
 * likewise start as good). Into @fault ("" if none) what puts the instance
 * in FAULT: its own link down, or a tracked object without weight failing.
 */
uint8_t vrrp_track_eval(const struct ha_vrrp_config *cfg, const struct vrrp_track_status *st,
			char *fault, size_t size);

#endif /* XLB_HA_VRRP_TRACK_H */
