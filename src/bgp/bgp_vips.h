/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Which VIPs this node should announce, and why: a VIP is up while its
 * services meet their quorum (all of them, or any, as bgp.vip_quorum says),
 * counting a service only once its reals' first health checks answered.
 * Pure: services in, verdicts out.
 */
#ifndef XLB_BGP_VIPS_H
#define XLB_BGP_VIPS_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "bgp/bgp_config.h"

struct service;

struct bgp_vip {
	struct net_addr addr;
	bool quorum; /* its services meet their quorum, by vip_quorum */
	bool quorum_unchecked; /* the same, counting services whose first checks run as up */
	unsigned services, services_up;
	unsigned checking; /* services not up only because their first checks run */
	char reason[160]; /* "quorum met" or which service lost it */
};

/*
 * The distinct VIPs of @svcs, in config order, into @out (room for @n, one
 * per service at most); returns how many.
 */
size_t bgp_vips_collect(const struct service *svcs, size_t n, enum bgp_vip_quorum q,
			struct bgp_vip *out);

#endif /* XLB_BGP_VIPS_H */
