/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The top-level ha: block as plain data (VRRP instances, connection sync), and its parser. */
#ifndef XLB_HA_CONFIG_H
#define XLB_HA_CONFIG_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "addr.h"

#define HA_VRRP_MAX 16 /* instances */
#define HA_VRRP_ADDRS_MAX 16 /* virtual addresses per instance */
#define HA_PEERS_MAX 8 /* unicast VRRP peers, sync peers */
#define HA_SYNC_KEY_MAX 64 /* bytes of HMAC-SHA256 key */
#define HA_SYNC_DEFAULT_PORT 8848
#define HA_VRRP_DEFAULT_ADVERT_CS 100 /* RFC 5798: 1 s */
#define HA_VRRP_DEFAULT_PRIORITY 100
#define HA_TRACK_MAX 8 /* tracked interfaces, tracked services: of each per instance */
#define HA_TRACK_WEIGHT_MAX 253 /* keepalived's range: -253..253 */

/*
 * Something an instance watches (keepalived's track_interface semantics):
 * weight 0 puts the instance in FAULT while it fails; a negative weight is
 * added to the priority while it fails, a positive one while it is fine.
 */
struct ha_track {
	char name[64]; /* an interface, or a service of services: */
	int16_t weight;
	int line;
};

struct ha_vrrp_config {
	char name[64]; /* "" : "vrrp<vrid>" */
	char iface[IF_NAMESIZE];
	uint8_t vrid; /* 1..255 */
	uint8_t priority; /* 1..254 (255: address owner) */
	uint8_t family; /* AF_INET / AF_INET6: of every address */
	bool preempt; /* default true */
	uint16_t advert_cs; /* advertisement interval, centiseconds (1..4095) */
	uint32_t preempt_delay_ms;
	struct net_addr addrs[HA_VRRP_ADDRS_MAX]; /* virtual addresses */
	size_t naddrs;
	struct net_addr unicast_peers[HA_PEERS_MAX]; /* none: multicast */
	size_t nunicast_peers;
	struct ha_track track_ifaces[HA_TRACK_MAX]; /* besides @iface, always tracked (FAULT) */
	size_t ntrack_ifaces;
	struct ha_track track_services[HA_TRACK_MAX]; /* failing: the service lost its quorum */
	size_t ntrack_services;
	int line;
};

struct ha_sync_peer {
	struct net_addr addr;
	uint16_t port; /* host order */
};

/*
 * active-backup: VRRP picks the one LB that forwards; the others stand by.
 * active-active: every LB forwards at once (ECMP); a flow moved to another LB
 * must find its real there by sync alone, so a TCP non-SYN without a flow is
 * dropped (not guessed) for schedulers other than mh unless a service says
 * otherwise (see ha_parse_sync()).
 */
enum ha_sync_mode { HA_SYNC_ACTIVE_BACKUP = 0, HA_SYNC_ACTIVE_ACTIVE };

struct ha_sync_config {
	bool enabled;
	uint8_t mode; /* enum ha_sync_mode */
	struct net_addr listen; /* our address; family 0: any */
	uint16_t port; /* host order, HA_SYNC_DEFAULT_PORT */
	struct ha_sync_peer peers[HA_PEERS_MAX];
	size_t npeers;
	uint8_t key[HA_SYNC_KEY_MAX]; /* from key: (text) or key_file: (its bytes, trailing newline cut) */
	size_t key_len;
	uint32_t refresh_ms; /* resend live established flows this often (default 30 s) */
	uint32_t max_rate; /* flow records per second at most (default 50000) */
	int line;
};

struct ha_config {
	struct ha_vrrp_config vrrp[HA_VRRP_MAX];
	size_t nvrrp;
	struct ha_sync_config sync; /* enabled false: no sync */
};

/*
 * What ha: needs of services: (parsed first), one entry per service: the
 * VIPs, an instance's default addresses (family 0: one that did not
 * parse), and the names track_service: may name.
 */
struct ha_services {
	const struct net_addr *vips;
	const char *const *names;
	size_t count;
};

struct config_ctx;
typedef struct yaml_node_s yaml_node_t;

/*
 * Parses the top-level ha: mapping into @ha, reporting every problem as
 * FILE:LINE through @ctx. An instance without addresses: takes the VIPs of
 * @svcs; track_service: names one of them. What sync: mode: means for the
 * services (midstream:) is applied by config.c.
 */
void ha_config_parse(struct config_ctx *ctx, yaml_node_t *n, const struct ha_services *svcs,
		     struct ha_config *ha);

#endif /* XLB_HA_CONFIG_H */
