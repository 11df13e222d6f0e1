// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Parses the keys of method proxy: mode, limits, timeouts, retries, PROXY
 * protocol; mode http's connection pool, forwarded headers and head limit;
 * passive health.
 */
#include "proxy/proxy_config.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "sched/sched.h"

#include "config_yaml.h"
#include "real_config.h"

static const char *const proxy_mode_names[] = {
    [PROXY_MODE_TCP] = "tcp", [PROXY_MODE_HTTP] = "http"};
static const char *const proxy_pp_names[] = {
    [PROXY_PP_NONE] = "none", [PROXY_PP_V1] = "v1", [PROXY_PP_V2] = "v2"};
const char *const proxy_config_keys[PROXY_KEY__COUNT] = {
    [PROXY_KEY_MODE] = "mode",
    [PROXY_KEY_MAX_CONNECTIONS] = "max_connections",
    [PROXY_KEY_CONNECT_TIMEOUT] = "connect_timeout",
    [PROXY_KEY_IDLE_TIMEOUT] = "idle_timeout",
    [PROXY_KEY_RETRIES] = "retries",
    [PROXY_KEY_PROXY_PROTOCOL] = "proxy_protocol",
    [PROXY_KEY_POOL] = "pool",
    [PROXY_KEY_PASSIVE_HEALTH] = "passive_health",
    [PROXY_KEY_FORWARD_HEADERS] = "forward_headers",
    [PROXY_KEY_MAX_HEADER_SIZE] = "max_header_size",
    [PROXY_KEY_ROUTES] = "routes",
};
static const char *const proxy_fwd_names[] = {"x-forwarded-for", "x-forwarded-proto",
					      "forwarded"};

enum { RT_HOST, RT_PATH, RT_REALS, RT_SCHEDULER, RT__COUNT };
static const char *const proxy_route_keys[RT__COUNT] = {"host", "path", "reals", "scheduler"};

enum { POOL_PER_REAL, POOL_MAX, POOL_IDLE_TIMEOUT, POOL__COUNT };
static const char *const proxy_pool_keys[POOL__COUNT] = {"per_real", "max", "idle_timeout"};
enum { PH_FAILURES, PH_BACKOFF, PH_STATUS_5XX, PH__COUNT };
static const char *const proxy_passive_keys[PH__COUNT] = {"failures", "backoff", "status_5xx"};

const char *proxy_mode_name(uint8_t mode)
{
	return mode < ARRAY_SIZE(proxy_mode_names) ? proxy_mode_names[mode] : "unknown";
}

const char *proxy_pp_name(uint8_t version)
{
	return version < ARRAY_SIZE(proxy_pp_names) ? proxy_pp_names[version] : "unknown";
}

/* A timeout of 0 would fail every connect, or close every connection at once. */
static void proxy_config_timeout(struct config_ctx *ctx, yaml_node_t *n, const char *key,
				 uint32_t *out)
{
	uint32_t ms;

	if (!config_duration(ctx, n, key, &ms))
		return;
	if (!ms) {
		config_err(ctx, config_line(n), "bad %s '%s' (expected more than 0)", key,
			   (const char *)n->data.scalar.value);
		return;
	}
	*out = ms;
}

static void proxy_config_pool(struct config_ctx *ctx, yaml_node_t *n, struct proxy_config *pc)
{
	struct config_slot slots[POOL__COUNT];
	uint64_t v;

	if (!config_map(ctx, n, "pool", proxy_pool_keys, POOL__COUNT, slots))
		return;
	if (slots[POOL_PER_REAL].val &&
	    config_uint(ctx, slots[POOL_PER_REAL].val, "per_real", 0, 100000, &v))
		pc->pool_per_real = (uint32_t)v;
	if (slots[POOL_MAX].val && config_uint(ctx, slots[POOL_MAX].val, "max", 0, 1000000, &v))
		pc->pool_max = (uint32_t)v;
	if (slots[POOL_IDLE_TIMEOUT].val)
		proxy_config_timeout(ctx, slots[POOL_IDLE_TIMEOUT].val, "idle_timeout",
				     &pc->pool_idle_ms);
}

static void proxy_config_passive(struct config_ctx *ctx, yaml_node_t *n, struct proxy_config *pc)
{
	static const char *const bools[] = {"false", "true"};
	struct config_slot slots[PH__COUNT];
	uint64_t v;
	int i;

	if (!config_map(ctx, n, "passive_health", proxy_passive_keys, PH__COUNT, slots))
		return;
	if (slots[PH_FAILURES].val &&
	    config_uint(ctx, slots[PH_FAILURES].val, "failures", 0, 1000, &v))
		pc->passive_failures = (uint32_t)v;
	if (slots[PH_BACKOFF].val)
		proxy_config_timeout(ctx, slots[PH_BACKOFF].val, "backoff", &pc->passive_backoff_ms);
	if (slots[PH_STATUS_5XX].val) {
		i = config_choice(ctx, slots[PH_STATUS_5XX].val, "status_5xx", bools, 2,
				  "true or false");
		if (i >= 0)
			pc->passive_5xx = i == 1;
	}
}

/* A list of header names; [] for none. */
static void proxy_config_forward_headers(struct config_ctx *ctx, yaml_node_t *n,
					 struct proxy_config *pc)
{
	size_t count;

	if (n->type != YAML_SEQUENCE_NODE) {
		config_err(ctx, config_line(n), "forward_headers is %s (expected a list of: "
			   "x-forwarded-for, x-forwarded-proto, forwarded)", config_kind(n));
		return;
	}
	pc->forward_headers = 0;
	count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	for (size_t k = 0; k < count; k++) {
		yaml_node_t *item = yaml_document_get_node(ctx->doc, n->data.sequence.items.start[k]);
		int i;

		if (!item)
			continue;
		i = config_choice(ctx, item, "forward_headers entry", proxy_fwd_names,
				  ARRAY_SIZE(proxy_fwd_names),
				  "x-forwarded-for, x-forwarded-proto or forwarded");
		if (i >= 0)
			pc->forward_headers |= (uint8_t)(1u << i);
	}
}

void proxy_config_parse(struct config_ctx *ctx, const struct config_slot *slots, bool proxy,
			uint8_t proto, int line, struct proxy_config *pc)
{
	uint64_t v;
	int i;

	pc->mode = PROXY_MODE_TCP;
	pc->proxy_protocol = PROXY_PP_NONE;
	pc->max_connections = PROXY_DEFAULT_MAX_CONNECTIONS;
	pc->connect_timeout_ms = PROXY_DEFAULT_CONNECT_TIMEOUT_MS;
	pc->idle_timeout_ms = PROXY_DEFAULT_IDLE_TIMEOUT_MS;
	pc->retries = PROXY_DEFAULT_RETRIES;
	pc->pool_per_real = PROXY_DEFAULT_POOL_PER_REAL;
	pc->pool_max = PROXY_DEFAULT_POOL_MAX;
	pc->pool_idle_ms = PROXY_DEFAULT_POOL_IDLE_MS;
	pc->max_header_size = PROXY_MAX_HEADER_SIZE;
	pc->forward_headers = PROXY_FWD_XFF;
	pc->passive_failures = PROXY_DEFAULT_PASSIVE_FAILURES;
	pc->passive_backoff_ms = PROXY_DEFAULT_PASSIVE_BACKOFF_MS;
	pc->passive_5xx = true;

	if (!proxy) {
		/* Ignoring them silently would hide a forgotten "method: proxy". */
		for (i = 0; i < PROXY_KEY__COUNT; i++)
			if (slots[i].key)
				config_err(ctx, config_line(slots[i].key),
					   "%s is only used with method proxy (expected no %s key)",
					   proxy_config_keys[i], proxy_config_keys[i]);
		return;
	}
	if (proto && proto != IPPROTO_TCP)
		config_err(ctx, line, "method proxy carries TCP only (expected protocol tcp)");
	if (slots[PROXY_KEY_MODE].val) {
		i = config_choice(ctx, slots[PROXY_KEY_MODE].val, "mode", proxy_mode_names,
				  ARRAY_SIZE(proxy_mode_names), "tcp or http");
		if (i >= 0)
			pc->mode = (uint8_t)i;
	}
	if (slots[PROXY_KEY_MAX_CONNECTIONS].val &&
	    config_uint(ctx, slots[PROXY_KEY_MAX_CONNECTIONS].val, "max_connections", 1, 10000000,
			&v))
		pc->max_connections = (uint32_t)v;
	if (slots[PROXY_KEY_CONNECT_TIMEOUT].val)
		proxy_config_timeout(ctx, slots[PROXY_KEY_CONNECT_TIMEOUT].val, "connect_timeout",
				     &pc->connect_timeout_ms);
	if (slots[PROXY_KEY_IDLE_TIMEOUT].val)
		proxy_config_timeout(ctx, slots[PROXY_KEY_IDLE_TIMEOUT].val, "idle_timeout",
				     &pc->idle_timeout_ms);
	if (slots[PROXY_KEY_RETRIES].val &&
	    config_uint(ctx, slots[PROXY_KEY_RETRIES].val, "retries", 0, PROXY_MAX_RETRIES, &v))
		pc->retries = (uint32_t)v;
	if (slots[PROXY_KEY_PROXY_PROTOCOL].val) {
		/* "none" is the default; only the two versions are worth writing down. */
		i = config_choice(ctx, slots[PROXY_KEY_PROXY_PROTOCOL].val, "proxy_protocol",
				  proxy_pp_names + 1, ARRAY_SIZE(proxy_pp_names) - 1, "v1 or v2");
		if (i >= 0)
			pc->proxy_protocol = (uint8_t)(i + 1);
	}
	if (slots[PROXY_KEY_PASSIVE_HEALTH].val)
		proxy_config_passive(ctx, slots[PROXY_KEY_PASSIVE_HEALTH].val, pc);
	/* The rest is about HTTP messages: an error in mode tcp, where nothing would read them. */
	for (i = PROXY_KEY_POOL; i < PROXY_KEY__COUNT; i++)
		if (i != PROXY_KEY_PASSIVE_HEALTH && slots[i].key && pc->mode != PROXY_MODE_HTTP)
			config_err(ctx, config_line(slots[i].key),
				   "%s is only used with mode http (expected no %s key)",
				   proxy_config_keys[i], proxy_config_keys[i]);
	if (pc->mode != PROXY_MODE_HTTP)
		return;
	if (slots[PROXY_KEY_POOL].val)
		proxy_config_pool(ctx, slots[PROXY_KEY_POOL].val, pc);
	if (slots[PROXY_KEY_FORWARD_HEADERS].val)
		proxy_config_forward_headers(ctx, slots[PROXY_KEY_FORWARD_HEADERS].val, pc);
	if (slots[PROXY_KEY_MAX_HEADER_SIZE].val &&
	    config_uint(ctx, slots[PROXY_KEY_MAX_HEADER_SIZE].val, "max_header_size",
			PROXY_MIN_HEADER_SIZE, PROXY_MAX_HEADER_SIZE, &v))
		pc->max_header_size = (uint32_t)v;
}

/* ---- routes ---- */

void proxy_config_free(struct proxy_config *pc)
{
	for (uint32_t i = 0; pc->routes && i < pc->nroutes; i++)
		free(pc->routes[i].reals);
	free(pc->routes);
	pc->routes = NULL;
	pc->nroutes = 0;
}

static bool proxy_route_host_ok(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '.' ||
		      *s == '_'))
			return false;
	return true;
}

static void proxy_route_host(struct config_ctx *ctx, yaml_node_t *n, struct proxy_route *r)
{
	const char *s = config_text(ctx, n, "host", "a host name, or *.domain");
	size_t len;

	if (!s)
		return;
	if (strncmp(s, "*.", 2) == 0) {
		r->host_suffix = true;
		s += 1; /* keep the dot: ".example.com" */
	}
	len = strlen(s);
	if (!len || len >= sizeof(r->host) || (r->host_suffix && len < 2)) {
		config_err(ctx, config_line(n), "bad host '%s' (expected a host name, or *.domain)",
			   (const char *)n->data.scalar.value);
		return;
	}
	for (size_t i = 0; i < len; i++)
		r->host[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
	r->host[len] = '\0';
	if (!proxy_route_host_ok(r->host + r->host_suffix)) {
		config_err(ctx, config_line(n),
			   "bad host '%s' (expected a host name, or *.domain, without a port)",
			   (const char *)n->data.scalar.value);
		r->host[0] = '\0';
	}
}

/* "ADDR" (every real with that address) or "ADDR:PORT", "[V6]:PORT". */
static void proxy_route_real(struct config_ctx *ctx, yaml_node_t *n,
			     const struct real_config *reals, size_t nreals, struct proxy_route *r)
{
	const char *s = config_text(ctx, n, "route real", "an address of one of the service's reals");
	char addr[NET_ADDR_STRLEN + 2];
	const char *colon;
	unsigned long port = 0;
	struct net_addr a;
	size_t found = 0, len;

	if (!s)
		return;
	if (s[0] == '[' && (colon = strchr(s, ']'))) {
		len = (size_t)(colon - s - 1);
		if (len >= sizeof(addr))
			len = sizeof(addr) - 1;
		memcpy(addr, s + 1, len);
		addr[len] = '\0';
		colon = colon[1] == ':' ? colon + 1 : NULL;
	} else if ((colon = strchr(s, ':')) && !strchr(colon + 1, ':')) {
		len = (size_t)(colon - s);
		if (len >= sizeof(addr))
			len = sizeof(addr) - 1;
		memcpy(addr, s, len);
		addr[len] = '\0';
	} else {
		snprintf(addr, sizeof(addr), "%s", s);
		colon = NULL;
	}
	if (colon) {
		char *end;

		port = strtoul(colon + 1, &end, 10);
		if (*end || !port || port > 65535)
			port = 0, colon = NULL, addr[0] = '\0';
	}
	if (net_addr_parse(addr, &a) < 0) {
		config_err(ctx, config_line(n),
			   "bad route real '%s' (expected ADDRESS or ADDRESS:PORT of one of the "
			   "service's reals)",
			   s);
		return;
	}
	for (size_t i = 0; i < nreals; i++) {
		if (!net_addr_equal(&reals[i].addr, &a) || (port && reals[i].port != port))
			continue;
		r->reals[r->nreals++] = (uint32_t)i;
		found++;
	}
	if (!found)
		config_err(ctx, config_line(n), "route real '%s' is not one of the service's reals",
			   s);
}

static void proxy_route_parse(struct config_ctx *ctx, yaml_node_t *n,
			      const struct real_config *reals, size_t nreals, struct proxy_route *r)
{
	struct config_slot slots[RT__COUNT];
	yaml_node_t *list;
	size_t count;

	r->sched = -1;
	r->line = config_line(n);
	if (!config_map(ctx, n, "route", proxy_route_keys, RT__COUNT, slots))
		return;
	if (slots[RT_HOST].val)
		proxy_route_host(ctx, slots[RT_HOST].val, r);
	if (slots[RT_PATH].val) {
		const char *p = config_text(ctx, slots[RT_PATH].val, "path", "a path starting with /");

		if (p && (p[0] != '/' || strlen(p) >= sizeof(r->path) || strpbrk(p, " \t\r\n")))
			config_err(ctx, config_line(slots[RT_PATH].val),
				   "bad path '%s' (expected a path starting with /)", p);
		else if (p)
			snprintf(r->path, sizeof(r->path), "%s", p);
	}
	if (slots[RT_SCHEDULER].val) {
		const char *name = config_text(ctx, slots[RT_SCHEDULER].val, "scheduler",
					       "a scheduler name");
		int id = name ? sched_lookup(name) : -1;

		if (name && id < 0)
			config_err(ctx, config_line(slots[RT_SCHEDULER].val),
				   "unknown scheduler '%s' in route", name);
		else if (id >= 0)
			r->sched = id;
	}
	list = slots[RT_REALS].val;
	if (!list) {
		config_missing(ctx, n, "route", "reals");
		return;
	}
	if (list->type != YAML_SEQUENCE_NODE ||
	    !(count = (size_t)(list->data.sequence.items.top - list->data.sequence.items.start))) {
		config_err(ctx, config_line(list), "route reals is %s (expected a list of the "
			   "service's reals)", list->type == YAML_SEQUENCE_NODE ? "empty" : config_kind(list));
		return;
	}
	/* An address may name several reals (ports): room for all of them, each once. */
	r->reals = config_calloc(ctx, nreals ? nreals * count : 1, sizeof(*r->reals));
	if (!r->reals)
		return;
	for (size_t k = 0; k < count; k++) {
		yaml_node_t *item = yaml_document_get_node(ctx->doc, list->data.sequence.items.start[k]);

		if (item)
			proxy_route_real(ctx, item, reals, nreals, r);
	}
	/* Each real once. */
	for (size_t i = 0; i < r->nreals; i++)
		for (size_t j = i + 1; j < r->nreals;)
			if (r->reals[j] == r->reals[i])
				r->reals[j] = r->reals[--r->nreals];
			else
				j++;
}

static bool proxy_sched_locality(int id)
{
	return id >= 0 && sched_get((enum sched_id)id)->cls == SCHED_CLASS_LOCALITY;
}

void proxy_config_parse_routes(struct config_ctx *ctx, const struct config_slot *slots,
			       const struct real_config *reals, size_t nreals, int sched,
			       struct proxy_config *pc)
{
	yaml_node_t *list = slots[PROXY_KEY_ROUTES].val;
	size_t count;

	/* Not method proxy, or mode tcp: reported with the other keys. */
	if (!list || pc->mode != PROXY_MODE_HTTP)
		return;
	if (list->type != YAML_SEQUENCE_NODE) {
		config_err(ctx, config_line(list), "routes is %s (expected a list)", config_kind(list));
		return;
	}
	count = (size_t)(list->data.sequence.items.top - list->data.sequence.items.start);
	if (count > PROXY_ROUTES_MAX) {
		config_err(ctx, config_line(slots[PROXY_KEY_ROUTES].key),
			   "routes has %zu entries (expected at most %d)",
			   count, PROXY_ROUTES_MAX);
		return;
	}
	if (!count)
		return;
	if (proxy_sched_locality(sched))
		config_err(ctx, config_line(slots[PROXY_KEY_ROUTES].key),
			   "routes do not work with scheduler %s (expected another scheduler)",
			   sched_get((enum sched_id)sched)->name);
	pc->routes = config_calloc(ctx, count, sizeof(*pc->routes));
	if (!pc->routes)
		return;
	pc->nroutes = (uint32_t)count;
	for (size_t i = 0; i < count; i++) {
		yaml_node_t *item = yaml_document_get_node(ctx->doc, list->data.sequence.items.start[i]);

		if (!item)
			continue;
		proxy_route_parse(ctx, item, reals, nreals, &pc->routes[i]);
		if (proxy_sched_locality(pc->routes[i].sched))
			config_err(ctx, config_line(item),
				   "routes do not work with scheduler %s (expected another scheduler)",
				   sched_get((enum sched_id)pc->routes[i].sched)->name);
	}
}

/* The Host field's name: without a port or a final dot. */
static size_t proxy_route_host_len(const char *host, size_t len)
{
	if (len && host[0] == '[') { /* an IPv6 literal: up to its ']' */
		const char *end = memchr(host, ']', len);

		return end ? (size_t)(end - host) + 1 : len;
	}
	for (size_t i = 0; i < len; i++)
		if (host[i] == ':') {
			len = i;
			break;
		}
	while (len && host[len - 1] == '.')
		len--;
	return len;
}

int proxy_route_find(const struct proxy_route *routes, size_t n, const char *host, size_t hlen,
		     const char *target, size_t tlen)
{
	if (host)
		hlen = proxy_route_host_len(host, hlen);
	for (size_t i = 0; i < n; i++) {
		const struct proxy_route *r = &routes[i];
		size_t rl = strlen(r->host), pl = strlen(r->path);

		if (rl) {
			if (!host)
				continue;
			if (r->host_suffix ? hlen <= rl || strncasecmp(host + hlen - rl, r->host, rl)
					   : hlen != rl || strncasecmp(host, r->host, rl))
				continue;
		}
		if (pl && (tlen < pl || memcmp(target, r->path, pl) != 0))
			continue;
		return (int)i;
	}
	return -1;
}
