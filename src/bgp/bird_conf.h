/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The BIRD 2 config xlbd runs its BIRD with: one BGP session per peer, BFD,
 * and the VIPs this node announces as static blackhole routes exported to
 * every peer. xlbd rewrites it whenever the announced set changes and tells
 * BIRD to reload it ("configure"), which leaves sessions up.
 */
#ifndef XLB_BIRD_CONF_H
#define XLB_BIRD_CONF_H

#include <stddef.h>
#include <stdio.h>

#include "addr.h"
#include "bgp/bgp_config.h"

/* BIRD's name for peer @p's session, from its address: xlb_10_0_1_254. */
void bird_peer_name(const struct bgp_peer_config *p, char *buf, size_t size);
/* Writes the config for @bc announcing @vips (IPv4 ones to IPv4 peers, IPv6 to IPv6). */
int bird_conf_write(FILE *f, const struct bgp_config *bc, const struct net_addr *vips,
		    size_t nvips, const char *source);

#endif /* XLB_BIRD_CONF_H */
