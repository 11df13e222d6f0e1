/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The bgp: block as plain data: this node's AS and router id, the routers it
 * peers with, the timers that bound a withdrawal (hold time, BFD), and when
 * a VIP counts as up. xlbd turns it into a BIRD config (bird_conf.h).
 */
#ifndef XLB_BGP_CONFIG_H
#define XLB_BGP_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"

#define BGP_PEERS_MAX 8
#define BGP_PASSWORD_MAX 80
#define BGP_PATH_MAX 256
#define BGP_DEFAULT_BIRD "/usr/sbin/bird"
#define BGP_DEFAULT_HOLD_S 3
#define BGP_DEFAULT_BFD_INTERVAL_MS 300
#define BGP_DEFAULT_BFD_MULTIPLIER 3
/* BIRD's files next to xlbd's control socket: SOCKET.bird (its socket), SOCKET.bird.conf. */
#define BGP_BIRD_SOCKET_SUFFIX ".bird"
#define BGP_BIRD_CONF_SUFFIX ".bird.conf"

/* When a VIP shared by several services (ports) is announced. */
enum bgp_vip_quorum {
	BGP_VIP_QUORUM_ALL = 0, /* every service of the VIP meets its quorum (default) */
	BGP_VIP_QUORUM_ANY,     /* at least one does */
};

struct bgp_peer_config {
	struct net_addr addr;
	struct net_addr local; /* our address for the session; family 0: the kernel's choice */
	uint32_t asn;
	uint16_t port; /* 179 unless set */
	uint8_t multihop; /* 0: directly connected */
	char password[BGP_PASSWORD_MAX + 1]; /* TCP MD5; "" : none */
	int line;
};

struct bgp_config {
	bool enabled; /* a bgp: block is present */
	uint32_t asn;
	struct net_addr router_id; /* family 0: BIRD picks one of our IPv4 addresses */
	struct bgp_peer_config peers[BGP_PEERS_MAX];
	size_t npeers;
	uint16_t hold_s; /* BGP hold time, whole seconds, 3..65535; keepalives every third */
	bool bfd; /* BFD on every session (default on) */
	uint32_t bfd_interval_ms;
	uint8_t bfd_multiplier;
	enum bgp_vip_quorum vip_quorum;
	char bird[BGP_PATH_MAX]; /* the BIRD 2 binary xlbd runs */
	int line;
};

struct config_ctx;
struct yaml_node_s;

/*
 * Parses the top-level bgp: mapping into @out, every problem as FILE:LINE
 * through @ctx; @control_socket (xlbd's) is where BIRD's files go beside it.
 */
void bgp_config_parse(struct config_ctx *ctx, struct yaml_node_s *n, const char *control_socket,
		      struct bgp_config *out);
/* Whether BIRD must be restarted rather than reconfigured to go from @a to @b. */
bool bgp_config_needs_restart(const struct bgp_config *a, const struct bgp_config *b);

#endif /* XLB_BGP_CONFIG_H */
