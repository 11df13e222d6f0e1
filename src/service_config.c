// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Reads the services: list: each service's own keys and its reals here;
 * health:, the method proxy keys and routes by their sections. Duplicate
 * names, VIP:port/protocol and reals found in O(n log n).
 */
#include "service_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_limits.h"
#include "config_yaml.h"
#include "sched/sched.h"
#include "xlb/xlb_method.h"

#define CONFIG_METHOD_NAME_(id, name) [XLB_METHOD_##id] = name,
static const char *const config_method_names[XLB_METHOD__COUNT] = { XLB_METHODS(
	CONFIG_METHOD_NAME_) };

/* The schedulers this build has, straight from the table so it never goes stale. */
static void config_sched_list(char *buf, size_t size)
{
	const char *names[SCHED__COUNT];

	for (int i = 0; i < SCHED__COUNT; i++) {
		const struct sched_ops *ops = sched_get((enum sched_id)i);

		names[i] = ops ? ops->name : NULL;
	}
	config_join(names, SCHED__COUNT, ", ", buf, size);
}

static int config_real_cmp(const void *base, size_t a, size_t b)
{
	const struct real_config *v = base;

	if (v[a].port != v[b].port)
		return v[a].port < v[b].port ? -1 : 1;
	return config_addr_cmp(&v[a].addr, &v[b].addr);
}

static void config_real_dup(struct config_ctx *ctx, const void *base, size_t first, size_t later)
{
	const struct real_config *v = base;
	char ep[NET_ADDR_STRLEN + 16];

	config_err(ctx, v[later].line, "duplicate real %s (first defined at line %d)",
		   config_endpoint(&v[later].addr, v[later].port, ep, sizeof(ep)), v[first].line);
}

static int config_svc_name_cmp(const void *base, size_t a, size_t b)
{
	const struct service_config *v = base;

	return strcmp(v[a].name, v[b].name);
}

static void config_svc_name_dup(struct config_ctx *ctx, const void *base, size_t first,
				size_t later)
{
	const struct service_config *v = base;

	config_err(ctx, v[later].line, "duplicate service name '%s' (first defined at line %d)",
		   v[later].name, v[first].line);
}

static int config_svc_ep_cmp(const void *base, size_t a, size_t b)
{
	const struct service_config *v = base;

	if (v[a].port != v[b].port)
		return v[a].port < v[b].port ? -1 : 1;
	if (v[a].proto != v[b].proto)
		return v[a].proto < v[b].proto ? -1 : 1;
	return config_addr_cmp(&v[a].vip, &v[b].vip);
}

static const char *config_proto_name(uint8_t proto);

static void config_svc_ep_dup(struct config_ctx *ctx, const void *base, size_t first,
			      size_t later)
{
	const struct service_config *v = base;
	char ep[NET_ADDR_STRLEN + 16];

	config_err(ctx, v[later].line, "duplicate service %s/%s (first defined at line %d)",
		   config_endpoint(&v[later].vip, v[later].port, ep, sizeof(ep)),
		   config_proto_name(v[later].proto), v[first].line);
}

enum { RK_ADDRESS, RK_PORT, RK_WEIGHT, RK_CHECK_ADDRESS, RK_CHECK_PORT, RK__COUNT };
static const char *const config_real_keys[RK__COUNT] = { "address", "port", "weight",
							 "check_address", "check_port" };

/* @dsr: the service forwards by direct server return (dr, tun, gue, dscp): the
 * real answers the client itself, from the VIP's port, so ports cannot change. */
static void config_parse_real(struct config_ctx *ctx, yaml_node_t *n,
			      const struct service_config *svc, bool dsr, struct real_config *r)
{
	struct config_slot slots[RK__COUNT];
	char vip[NET_ADDR_STRLEN], ip[NET_ADDR_STRLEN];
	uint64_t v;

	r->line = config_line(n);
	r->port = svc->port;
	r->weight = 1;
	if (!config_map(ctx, n, "real", config_real_keys, RK__COUNT, slots))
		return;
	if (!slots[RK_ADDRESS].val) {
		config_missing(ctx, n, "real", "address");
	} else if (config_addr(ctx, slots[RK_ADDRESS].val, "address", "real", &r->addr) &&
		   svc->vip.family && r->addr.family != svc->vip.family) {
		config_err(ctx, config_line(slots[RK_ADDRESS].val),
			   "real %s is %s but vip %s is %s (expected an %s address)",
			   net_addr_str(&r->addr, ip, sizeof(ip)),
			   config_family_name(r->addr.family),
			   net_addr_str(&svc->vip, vip, sizeof(vip)),
			   config_family_name(svc->vip.family), config_family_name(svc->vip.family));
	}
	if (slots[RK_PORT].val) {
		r->port = 0;
		if (config_uint(ctx, slots[RK_PORT].val, "port", 1, 65535, &v)) {
			r->port = (uint16_t)v;
			if (dsr && svc->port && r->port != svc->port)
				config_err(ctx, config_line(slots[RK_PORT].val),
					   "real port %u differs from service port %u (expected %u: %s cannot change ports)",
					   r->port, svc->port, svc->port,
					   config_method_names[svc->method]);
		}
	}
	if (slots[RK_WEIGHT].val && config_uint(ctx, slots[RK_WEIGHT].val, "weight", 0, 65535, &v))
		r->weight = (uint32_t)v;
	if (slots[RK_CHECK_ADDRESS].val)
		config_addr(ctx, slots[RK_CHECK_ADDRESS].val, "check_address", "check_address",
			    &r->check_addr);
	if (slots[RK_CHECK_PORT].val &&
	    config_uint(ctx, slots[RK_CHECK_PORT].val, "check_port", 1, 65535, &v))
		r->check_port = (uint16_t)v;
}

static void config_parse_reals(struct config_ctx *ctx, yaml_node_t *svc_node, yaml_node_t *list,
			       struct service_config *svc, bool dsr)
{
	char who[CONFIG_NAME_MAX + 16];
	size_t n = 0;

	if (svc->name[0])
		snprintf(who, sizeof(who), "service '%s'", svc->name);
	else
		snprintf(who, sizeof(who), "service");
	if (list && list->type != YAML_SEQUENCE_NODE && !config_is_null(list)) {
		config_err(ctx, config_line(list), "reals is %s (expected a list)",
			   config_kind(list));
		return;
	}
	if (list && list->type == YAML_SEQUENCE_NODE)
		n = (size_t)(list->data.sequence.items.top - list->data.sequence.items.start);
	if (!n) {
		config_err(ctx, config_line(list ? list : svc_node),
			   "%s has no reals (expected at least one real)", who);
		return;
	}

	/*
	 * Limits before work (config_limits.h): counted already while the file
	 * was streamed, but a list reached through an alias is counted here,
	 * reported at the service that brings it.
	 */
	if (n > CONFIG_SERVICE_REALS_MAX) {
		config_too_many_reals(ctx, svc->line, CONFIG_SERVICE_REALS_MAX + 1, svc->line);
		return;
	}
	if (ctx->nreals + n > CONFIG_REALS_MAX) {
		config_too_many_reals_in_all(ctx, svc->line, CONFIG_REALS_MAX + 1);
		return;
	}
	ctx->nreals += n;
	svc->reals = config_calloc(ctx, n, sizeof(*svc->reals));
	if (!svc->reals)
		return;
	svc->nreals = n;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *item = config_node(ctx, list->data.sequence.items.start[i]);

		if (item)
			config_parse_real(ctx, item, svc, dsr, &svc->reals[i]);
	}
	size_t *idx = config_calloc(ctx, n, sizeof(*idx)), m = 0;

	for (size_t i = 0; idx && i < n; i++)
		if (svc->reals[i].addr.family && svc->reals[i].port)
			idx[m++] = i;
	if (idx)
		config_find_dups(idx, m, svc->reals, config_real_cmp, config_real_dup, ctx);
}

enum { SK_NAME, SK_VIP, SK_PORT, SK_PROTOCOL, SK_METHOD, SK_SCHEDULER, SK_PERSISTENCE, SK_REALS,
       SK_DSCP, SK_GUE_PORT, SK_LOCAL_ADDRESSES, SK_HEALTH, SK_SORRY, SK_QUORUM, SK_MIDSTREAM,
       SK_SLOW_START, SK_SCHEDULER_FLAGS, SK__COUNT };
static const char *const config_service_keys[SK__COUNT] = {
	"name", "vip", "port", "protocol", "method", "scheduler", "persistence", "reals",
	"dscp", "gue_port", "local_addresses", "health", "sorry", "quorum", "midstream", "slow_start",
	"scheduler_flags",
};

#define CONFIG_GUE_PORT_DEFAULT 6080

static void config_parse_method(struct config_ctx *ctx, yaml_node_t *n, struct service_config *svc)
{
	char q[CONFIG_QUOTE_SIZE], list[128];
	const char *s;

	config_join(config_method_names, XLB_METHOD__COUNT, ", ", list, sizeof(list));
	s = config_text(ctx, n, "method", list);
	if (!s)
		return;
	for (int i = 0; i < XLB_METHOD__COUNT; i++) {
		if (strcmp(s, config_method_names[i]) != 0)
			continue;
		svc->method = (uint8_t)i;
		return;
	}
	config_err(ctx, config_line(n), "unknown method '%s' (expected %s)",
		   config_quote(s, q, sizeof(q)), list);
}

static void config_parse_local_addresses(struct config_ctx *ctx, struct config_slot *slots,
					 struct service_config *svc)
{
	yaml_node_t *list = slots[SK_LOCAL_ADDRESSES].val;
	size_t n;

	if (!list) {
		if (svc->method == XLB_METHOD_FNAT)
			config_err(ctx, svc->line,
				   "service: missing key 'local_addresses' (expected a list of this "
				   "host's addresses with method fnat)");
		return;
	}
	if (svc->method != XLB_METHOD_FNAT) {
		config_err(ctx, config_line(slots[SK_LOCAL_ADDRESSES].key),
			   "local_addresses is only used with method fnat (expected no "
			   "local_addresses key)");
		return;
	}
	if (list->type != YAML_SEQUENCE_NODE) {
		config_err(ctx, config_line(list), "local_addresses is %s (expected a list)",
			   config_kind(list));
		return;
	}
	n = (size_t)(list->data.sequence.items.top - list->data.sequence.items.start);
	if (n == 0 || n > XLB_FNAT_LOCAL_MAX) {
		config_err(ctx, config_line(list),
			   "local_addresses has %zu entries (expected 1 to %d)", n,
			   XLB_FNAT_LOCAL_MAX);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *item = config_node(ctx, list->data.sequence.items.start[i]);
		struct net_addr *a = &svc->local_addrs[svc->nlocal_addrs];

		if (!item || !config_addr(ctx, item, "local address", "local_addresses", a))
			continue;
		if (svc->vip.family && a->family != svc->vip.family) {
			config_err(ctx, config_line(item),
				   "local address is %s but the vip is %s (expected one family)",
				   a->family == AF_INET6 ? "IPv6" : "IPv4",
				   svc->vip.family == AF_INET6 ? "IPv6" : "IPv4");
			continue;
		}
		svc->nlocal_addrs++;
	}
}

/* Keys that only one method uses are an error elsewhere: they would be ignored silently. */
static void config_parse_method_keys(struct config_ctx *ctx, struct config_slot *slots,
				     const struct config_slot *proxy_slots,
				     struct service_config *svc)
{
	uint64_t v;

	svc->gue_port = CONFIG_GUE_PORT_DEFAULT;
	if (slots[SK_DSCP].val) {
		if (svc->method != XLB_METHOD_DSCP)
			config_err(ctx, config_line(slots[SK_DSCP].key),
				   "dscp is only used with method dscp (expected no dscp key)");
		else if (config_uint(ctx, slots[SK_DSCP].val, "dscp", 1, 63, &v))
			svc->dscp = (uint8_t)v;
	} else if (svc->method == XLB_METHOD_DSCP) {
		config_err(ctx, svc->line, "service: missing key 'dscp' (expected 1..63 with method dscp)");
	}
	if (slots[SK_GUE_PORT].val) {
		if (svc->method != XLB_METHOD_GUE)
			config_err(ctx, config_line(slots[SK_GUE_PORT].key),
				   "gue_port is only used with method gue (expected no gue_port key)");
		else if (config_uint(ctx, slots[SK_GUE_PORT].val, "gue_port", 1, 65535, &v))
			svc->gue_port = (uint16_t)v;
	}
	config_parse_local_addresses(ctx, slots, svc);
	proxy_config_parse(ctx, proxy_slots, svc->method == XLB_METHOD_PROXY, svc->proto, svc->line,
			   &svc->proxy);
}

static void config_parse_scheduler(struct config_ctx *ctx, yaml_node_t *n,
				   struct service_config *svc)
{
	char q[CONFIG_QUOTE_SIZE], list[128];
	const char *s;
	int id;

	config_sched_list(list, sizeof(list));
	s = config_text(ctx, n, "scheduler", list);
	if (!s)
		return;
	id = sched_lookup(s);
	if (id >= 0) {
		svc->sched = (uint8_t)id;
		return;
	}
	config_err(ctx, config_line(n), "unknown scheduler '%s' (expected %s)",
		   config_quote(s, q, sizeof(q)), list);
}

/* IPVS's -b flags: sh-port / mh-port and sh-fallback, spelled port and fallback. */
static void config_parse_sched_flags(struct config_ctx *ctx, yaml_node_t *list,
				     struct service_config *svc)
{
	static const char *const names[] = { "port", "fallback" };

	if (list->type != YAML_SEQUENCE_NODE) {
		config_err(ctx, config_line(list), "scheduler_flags is %s (expected a list)",
			   config_kind(list));
		return;
	}
	for (yaml_node_item_t *it = list->data.sequence.items.start;
	     it < list->data.sequence.items.top; it++) {
		yaml_node_t *item = config_node(ctx, *it);
		int i = item ? config_choice(ctx, item, "scheduler flag", names, ARRAY_SIZE(names),
					     "port or fallback") :
			       -1;

		if (i == 0 && svc->sched != SCHED_SH && svc->sched != SCHED_MH)
			config_err(ctx, config_line(item),
				   "scheduler flag port is for sh and mh (expected no port flag)");
		else if (i == 1 && svc->sched != SCHED_SH && svc->sched != SCHED_MH)
			config_err(ctx, config_line(item),
				   "scheduler flag fallback is for sh and mh (expected no fallback flag)");
		else if (i == 0)
			svc->sched_port = true;
		else if (i == 1)
			svc->sched_fallback = true;
	}
}

/* A sorry server that is also a real would get flows while the real is down. */
static void config_check_sorry(struct config_ctx *ctx, const struct service_config *svc)
{
	const struct health_sorry *sorry = &svc->sorry;
	char ip[NET_ADDR_STRLEN];

	if (!sorry->addr.family)
		return;
	for (size_t i = 0; i < svc->nreals; i++) {
		if (svc->reals[i].port != sorry->port ||
		    !net_addr_equal(&svc->reals[i].addr, &sorry->addr))
			continue;
		config_err(ctx, sorry->line,
			   "sorry server %s:%u is also a real (line %d) (expected a server that is "
			   "not one of the reals)",
			   net_addr_str(&sorry->addr, ip, sizeof(ip)), sorry->port,
			   svc->reals[i].line);
		break;
	}
}

/*
 * After the reals: health: (health_config.c), sorry: and quorum:, which
 * are about the reals. @dsr: the method cannot change ports.
 */
static void config_parse_health(struct config_ctx *ctx, const struct config_slot *slots, bool dsr,
				struct service_config *svc)
{
	yaml_node_t *sorry = slots[SK_SORRY].val, *quorum = slots[SK_QUORUM].val;
	uint64_t v;

	health_config_defaults(&svc->health);
	svc->quorum = 1;
	if (slots[SK_HEALTH].val)
		health_config_parse(ctx, slots[SK_HEALTH].val, svc->vip.family, &svc->health);
	if (sorry && !config_is_null(sorry)) {
		health_sorry_parse(ctx, sorry, svc->vip.family, svc->port, dsr, &svc->sorry);
		config_check_sorry(ctx, svc);
	}
	if (quorum && config_uint(ctx, quorum, "quorum", 1, XLB_RING_MAX, &v)) {
		svc->quorum = (uint32_t)v;
		if (svc->nreals && v > svc->nreals)
			config_err(ctx, config_line(quorum),
				   "quorum %u is more than the %zu reals of the service (expected "
				   "at most %zu)",
				   svc->quorum, svc->nreals, svc->nreals);
	}
}

static void config_parse_service(struct config_ctx *ctx, yaml_node_t *n,
				 struct service_config *svc)
{
	static const char name_expect[] = "1 to 63 characters from A-Z a-z 0-9 _ . -";
	static const char *const protos[] = { "tcp", "udp" };
	struct config_slot slots[SK__COUNT], proxy_slots[PROXY_KEY__COUNT];
	/* The method proxy keys sit beside the service's own; the proxy section owns them. */
	const struct config_keys keys[] = {
		{ config_service_keys, SK__COUNT, slots },
		{ proxy_config_keys, PROXY_KEY__COUNT, proxy_slots },
	};
	char q[CONFIG_QUOTE_SIZE];
	const char *s;
	uint64_t v;
	uint32_t ms;
	int i;

	svc->line = config_line(n);
	svc->proto = IPPROTO_TCP;
	svc->method = XLB_METHOD_DR;
	svc->sched = SCHED_RR;
	if (!config_map_keys(ctx, n, "service", keys, ARRAY_SIZE(keys)))
		return;

	if (!slots[SK_NAME].val) {
		config_missing(ctx, n, "service", "name");
	} else if ((s = config_text(ctx, slots[SK_NAME].val, "service name", name_expect))) {
		if (config_name_ok(s))
			memcpy(svc->name, s, strlen(s) + 1);
		else
			config_err(ctx, config_line(slots[SK_NAME].val),
				   "bad service name '%s' (expected %s)",
				   config_quote(s, q, sizeof(q)), name_expect);
	}
	if (!slots[SK_VIP].val)
		config_missing(ctx, n, "service", "vip");
	else
		config_addr(ctx, slots[SK_VIP].val, "vip", "vip", &svc->vip);
	if (!slots[SK_PORT].val)
		config_missing(ctx, n, "service", "port");
	else if (config_uint(ctx, slots[SK_PORT].val, "port", 1, 65535, &v))
		svc->port = (uint16_t)v;
	if (slots[SK_PROTOCOL].val) {
		/* Zero marks it invalid, so no duplicate check runs on a guess. */
		svc->proto = 0;
		i = config_choice(ctx, slots[SK_PROTOCOL].val, "protocol", protos,
				  ARRAY_SIZE(protos), "tcp or udp");
		if (i >= 0)
			svc->proto = i == 0 ? IPPROTO_TCP : IPPROTO_UDP;
	}
	if (slots[SK_METHOD].val)
		config_parse_method(ctx, slots[SK_METHOD].val, svc);
	config_parse_method_keys(ctx, slots, proxy_slots, svc);
	if (slots[SK_SCHEDULER].val)
		config_parse_scheduler(ctx, slots[SK_SCHEDULER].val, svc);
	if (slots[SK_PERSISTENCE].val &&
	    config_duration(ctx, slots[SK_PERSISTENCE].val, "persistence", &ms))
		svc->persistence_ms = ms;
	if (slots[SK_SLOW_START].val &&
	    config_duration(ctx, slots[SK_SLOW_START].val, "slow_start", &ms)) {
		if (svc->sched != SCHED_LC && svc->sched != SCHED_WLC && svc->sched != SCHED_SED &&
		    svc->sched != SCHED_NQ)
			config_err(ctx, config_line(slots[SK_SLOW_START].key),
				   "slow_start is only used with lc, wlc, sed and nq (expected no "
				   "slow_start key)");
		else
			svc->slow_start_ms = ms;
	}
	if (slots[SK_SCHEDULER_FLAGS].val)
		config_parse_sched_flags(ctx, slots[SK_SCHEDULER_FLAGS].val, svc);
	if (slots[SK_MIDSTREAM].val) {
		static const char *const policies[] = { "schedule", "drop" };

		svc->midstream_set = true;
		svc->midstream_drop = config_choice(ctx, slots[SK_MIDSTREAM].val, "midstream",
						    policies, ARRAY_SIZE(policies),
						    "schedule or drop") == 1;
	}
	/* The proxy sees connections, not packets: these would be ignored silently. */
	for (i = SK_PERSISTENCE; svc->method == XLB_METHOD_PROXY && i <= SK_MIDSTREAM; i++)
		if ((i == SK_PERSISTENCE || i == SK_MIDSTREAM) && slots[i].key)
			config_err(ctx, config_line(slots[i].key),
				   "%s is not used with method proxy (expected no %s key)",
				   config_service_keys[i], config_service_keys[i]);
	config_parse_reals(ctx, n, slots[SK_REALS].val, svc, xlb_method_dsr(svc->method));
	if (ctx->stop)
		return;
	/* They name reals. */
	proxy_config_parse_routes(ctx, proxy_slots, svc->reals, svc->nreals, svc->sched,
				  &svc->proxy);
	config_parse_health(ctx, slots, xlb_method_dsr(svc->method), svc);
}

static const char *config_proto_name(uint8_t proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

void service_config_parse(struct config_ctx *ctx, yaml_node_t *list, struct service_config **out,
			  size_t *count)
{
	struct service_config *svcs;
	size_t n, *idx, m;

	/* "services:" with every entry commented out is a valid, idle balancer. */
	if (config_is_null(list))
		return;
	if (list->type != YAML_SEQUENCE_NODE) {
		config_err(ctx, config_line(list), "services is %s (expected a list)",
			   config_kind(list));
		return;
	}
	n = (size_t)(list->data.sequence.items.top - list->data.sequence.items.start);
	if (!n)
		return;
	/* Counted while streaming, unless the list is an alias (config_limits.h). */
	if (n > CONFIG_SERVICES_MAX) {
		yaml_node_item_t *items = list->data.sequence.items.start;
		yaml_node_t *over = config_node(ctx, items[CONFIG_SERVICES_MAX]);

		config_too_many_services(ctx, config_line(over), CONFIG_SERVICES_MAX + 1);
		return;
	}
	svcs = config_calloc(ctx, n, sizeof(*svcs));
	if (!svcs)
		return;
	*out = svcs;
	*count = n;
	for (size_t i = 0; i < n && !ctx->stop; i++) {
		yaml_node_t *item = config_node(ctx, list->data.sequence.items.start[i]);

		if (item)
			config_parse_service(ctx, item, &svcs[i]);
	}
	if (ctx->stop)
		return;

	/* Fields left zero failed to parse and were reported already. */
	idx = config_calloc(ctx, n, sizeof(*idx));
	m = 0;
	for (size_t i = 0; idx && i < n; i++)
		if (svcs[i].name[0])
			idx[m++] = i;
	if (idx)
		config_find_dups(idx, m, svcs, config_svc_name_cmp, config_svc_name_dup,
				 ctx);
	idx = config_calloc(ctx, n, sizeof(*idx));
	m = 0;
	for (size_t i = 0; idx && i < n; i++)
		if (svcs[i].vip.family && svcs[i].port && svcs[i].proto)
			idx[m++] = i;
	if (idx)
		config_find_dups(idx, m, svcs, config_svc_ep_cmp, config_svc_ep_dup, ctx);
}
void service_config_free(struct service_config *svcs, size_t count)
{
	for (size_t i = 0; svcs && i < count; i++) {
		free(svcs[i].reals);
		proxy_config_free(&svcs[i].proxy);
	}
	free(svcs);
}

const char *config_method_name(uint8_t method)
{
	return method < XLB_METHOD__COUNT ? config_method_names[method] : "unknown";
}
