// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Parses bgp: {asn, router_id, peers: [{address, asn, port, multihop,
 * password, local_address}], hold_time, bfd: false | {interval, multiplier}, vip_quorum:
 * all | any, bird: PATH}, every problem as FILE:LINE.
 */
#include "bgp/bgp_config.h"

#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "config_yaml.h"

enum { BK_ASN, BK_ROUTER_ID, BK_PEERS, BK_HOLD, BK_BFD, BK_VIP_QUORUM, BK_BIRD, BK__COUNT };
static const char *const bgp_keys[BK__COUNT] = {
	"asn", "router_id", "peers", "hold_time", "bfd", "vip_quorum", "bird",
};
enum { PK_ADDRESS, PK_ASN, PK_PORT, PK_MULTIHOP, PK_PASSWORD, PK_LOCAL, PK__COUNT };
static const char *const bgp_peer_keys[PK__COUNT] = {
	"address", "asn", "port", "multihop", "password", "local_address",
};
enum { FK_INTERVAL, FK_MULTIPLIER, FK__COUNT };
static const char *const bgp_bfd_keys[FK__COUNT] = { "interval", "multiplier" };

#define BGP_ASN_EXPECT "an AS number 1..4294967295"

static yaml_node_t *bgp_node(struct config_ctx *ctx, yaml_node_item_t index)
{
	return yaml_document_get_node(ctx->doc, index);
}

static bool bgp_asn(struct config_ctx *ctx, yaml_node_t *n, const char *key, uint32_t *out)
{
	uint64_t v;

	if (!config_uint(ctx, n, key, 1, UINT32_MAX, &v))
		return false;
	*out = (uint32_t)v;
	return true;
}

/* It goes into BIRD's config between double quotes: printable ASCII, no quote or backslash. */
static bool bgp_password_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > BGP_PASSWORD_MAX)
		return false;
	for (; *s; s++)
		if (*s < 0x21 || *s > 0x7e || *s == '"' || *s == '\\')
			return false;
	return true;
}

static void bgp_parse_peer(struct config_ctx *ctx, yaml_node_t *n, struct bgp_peer_config *p)
{
	struct config_slot slots[PK__COUNT];
	uint64_t v;
	const char *s;

	p->line = config_line(n);
	p->port = 179;
	if (!config_map(ctx, n, "bgp peer", bgp_peer_keys, PK__COUNT, slots))
		return;
	if (!slots[PK_ADDRESS].val)
		config_missing(ctx, n, "bgp peer", "address");
	else
		config_addr(ctx, slots[PK_ADDRESS].val, "address", "bgp peer", &p->addr);
	if (!slots[PK_ASN].val)
		config_missing(ctx, n, "bgp peer", "asn");
	else
		bgp_asn(ctx, slots[PK_ASN].val, "asn", &p->asn);
	if (slots[PK_PORT].val && config_uint(ctx, slots[PK_PORT].val, "port", 1, 65535, &v))
		p->port = (uint16_t)v;
	if (slots[PK_MULTIHOP].val && config_uint(ctx, slots[PK_MULTIHOP].val, "multihop", 1, 255, &v))
		p->multihop = (uint8_t)v;
	if (slots[PK_LOCAL].val &&
	    config_addr(ctx, slots[PK_LOCAL].val, "local_address", "bgp peer", &p->local) &&
	    p->addr.family && p->local.family != p->addr.family) {
		config_err(ctx, config_line(slots[PK_LOCAL].val),
			   "bgp peer local_address is not of the peer address's family (expected "
			   "both IPv4 or both IPv6)");
		p->local.family = 0;
	}
	if (slots[PK_PASSWORD].val) {
		s = config_text(ctx, slots[PK_PASSWORD].val, "password", "a password");
		if (s && !bgp_password_ok(s))
			config_err(ctx, config_line(slots[PK_PASSWORD].val),
				   "bad bgp peer password (expected 1 to %d printable characters, "
				   "no spaces, quotes or backslashes)",
				   BGP_PASSWORD_MAX);
		else if (s)
			snprintf(p->password, sizeof(p->password), "%s", s);
	}
}

static void bgp_parse_peers(struct config_ctx *ctx, yaml_node_t *n, struct bgp_config *bc)
{
	char a[NET_ADDR_STRLEN];
	size_t count;

	if (n->type != YAML_SEQUENCE_NODE) {
		config_err(ctx, config_line(n), "bgp peers is %s (expected a list of peers)",
			   config_kind(n));
		return;
	}
	count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (count < 1 || count > BGP_PEERS_MAX) {
		config_err(ctx, config_line(n), "bgp peers has %zu entries (expected 1 to %d)", count,
			   BGP_PEERS_MAX);
		return;
	}
	for (size_t i = 0; i < count; i++) {
		struct bgp_peer_config *p = &bc->peers[bc->npeers];

		bgp_parse_peer(ctx, bgp_node(ctx, n->data.sequence.items.start[i]), p);
		if (!p->addr.family)
			continue;
		for (size_t j = 0; j < bc->npeers; j++)
			if (net_addr_equal(&bc->peers[j].addr, &p->addr)) {
				config_err(ctx, p->line,
					   "duplicate bgp peer %s (expected each once; first at line %d)",
					   net_addr_str(&p->addr, a, sizeof(a)), bc->peers[j].line);
				p->addr.family = 0;
			}
		if (p->addr.family)
			bc->npeers++;
	}
}

static void bgp_parse_bfd(struct config_ctx *ctx, yaml_node_t *n, struct bgp_config *bc)
{
	static const char *const onoff[] = { "false", "true" };
	struct config_slot slots[FK__COUNT];
	uint64_t v;
	uint32_t ms;
	int i;

	if (n->type == YAML_SCALAR_NODE) {
		i = config_choice(ctx, n, "bfd", onoff, ARRAY_SIZE(onoff),
				  "true, false or {interval: 300ms, multiplier: 3}");
		if (i >= 0)
			bc->bfd = i == 1;
		return;
	}
	if (!config_map(ctx, n, "bfd", bgp_bfd_keys, FK__COUNT, slots))
		return;
	if (slots[FK_INTERVAL].val && config_duration(ctx, slots[FK_INTERVAL].val, "interval", &ms)) {
		if (ms < 10 || ms > 10000)
			config_err(ctx, config_line(slots[FK_INTERVAL].val),
				   "bfd interval %ums is out of range (expected 10ms to 10s)", ms);
		else
			bc->bfd_interval_ms = ms;
	}
	if (slots[FK_MULTIPLIER].val &&
	    config_uint(ctx, slots[FK_MULTIPLIER].val, "multiplier", 1, 255, &v))
		bc->bfd_multiplier = (uint8_t)v;
}

/* BIRD's socket and config go next to xlbd's control socket: the names must fit. */
static void bgp_check_paths(struct config_ctx *ctx, const char *control_socket, int line)
{
	size_t n = strlen(control_socket);

	if (n + strlen(BGP_BIRD_SOCKET_SUFFIX) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		config_err(ctx, line,
			   "bgp: control_socket %s is too long for BIRD's socket %s" BGP_BIRD_SOCKET_SUFFIX
			   " (expected a path of at most %zu characters)",
			   control_socket, control_socket,
			   sizeof(((struct sockaddr_un *)0)->sun_path) - 1 -
				   strlen(BGP_BIRD_SOCKET_SUFFIX));
}

void bgp_config_parse(struct config_ctx *ctx, yaml_node_t *n, const char *control_socket,
		      struct bgp_config *bc)
{
	static const char *const quorums[] = { "all", "any" };
	struct config_slot slots[BK__COUNT];
	char q[CONFIG_QUOTE_SIZE];
	uint32_t ms;
	const char *s;
	int i;

	memset(bc, 0, sizeof(*bc));
	bc->line = config_line(n);
	bc->hold_s = BGP_DEFAULT_HOLD_S;
	bc->bfd = true;
	bc->bfd_interval_ms = BGP_DEFAULT_BFD_INTERVAL_MS;
	bc->bfd_multiplier = BGP_DEFAULT_BFD_MULTIPLIER;
	snprintf(bc->bird, sizeof(bc->bird), "%s", BGP_DEFAULT_BIRD);
	if (!config_map(ctx, n, "bgp", bgp_keys, BK__COUNT, slots))
		return;
	if (!slots[BK_ASN].val)
		config_missing(ctx, n, "bgp", "asn");
	else
		bgp_asn(ctx, slots[BK_ASN].val, "asn", &bc->asn);
	if (slots[BK_ROUTER_ID].val &&
	    config_addr(ctx, slots[BK_ROUTER_ID].val, "router_id", "bgp", &bc->router_id) &&
	    bc->router_id.family != AF_INET) {
		config_err(ctx, config_line(slots[BK_ROUTER_ID].val),
			   "bgp router_id is an IPv6 address (expected an IPv4 address: a 32-bit id)");
		bc->router_id.family = 0;
	}
	if (!slots[BK_PEERS].val)
		config_missing(ctx, n, "bgp", "peers");
	else
		bgp_parse_peers(ctx, slots[BK_PEERS].val, bc);
	if (slots[BK_HOLD].val && config_duration(ctx, slots[BK_HOLD].val, "hold_time", &ms)) {
		if (ms % 1000 || ms < 3000 || ms > 65535000)
			config_err(ctx, config_line(slots[BK_HOLD].val),
				   "bgp hold_time %ums (expected whole seconds from 3s to 65535s)", ms);
		else
			bc->hold_s = (uint16_t)(ms / 1000);
	}
	if (slots[BK_BFD].val)
		bgp_parse_bfd(ctx, slots[BK_BFD].val, bc);
	/* BIRD binds BFD over several hops to an address; it refuses the config without one. */
	for (size_t k = 0; bc->bfd && k < bc->npeers; k++)
		if (bc->peers[k].multihop && !bc->peers[k].local.family)
			config_err(ctx, bc->peers[k].line,
				   "bgp peer with multihop and bfd has no local_address (expected "
				   "local_address: this node's address toward the peer, or bfd: false)");
	if (slots[BK_VIP_QUORUM].val) {
		i = config_choice(ctx, slots[BK_VIP_QUORUM].val, "vip_quorum", quorums,
				  ARRAY_SIZE(quorums), "all or any");
		if (i >= 0)
			bc->vip_quorum = (enum bgp_vip_quorum)i;
	}
	if (slots[BK_BIRD].val) {
		s = config_text(ctx, slots[BK_BIRD].val, "bird", "the path of the bird binary");
		if (s && (s[0] != '/' || strlen(s) >= sizeof(bc->bird)))
			config_err(ctx, config_line(slots[BK_BIRD].val),
				   "bad bgp bird '%s' (expected an absolute path such as "
				   BGP_DEFAULT_BIRD ")",
				   config_quote(s, q, sizeof(q)));
		else if (s)
			snprintf(bc->bird, sizeof(bc->bird), "%s", s);
	}
	bgp_check_paths(ctx, control_socket, bc->line);
	bc->enabled = true;
}

bool bgp_config_needs_restart(const struct bgp_config *a, const struct bgp_config *b)
{
	return a->enabled != b->enabled || strcmp(a->bird, b->bird) != 0;
}
