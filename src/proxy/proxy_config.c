// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Parses the keys of method proxy: mode, limits, timeouts, retries, PROXY
 * protocol; mode http's connection pool, forwarded headers and head limit;
 * passive health.
 */
#include "proxy/proxy_config.h"

#include <netinet/in.h>

#include "config_yaml.h"

static const char *const proxy_mode_names[] = {
    [PROXY_MODE_TCP] = "tcp", [PROXY_MODE_HTTP] = "http"};
static const char *const proxy_pp_names[] = {
    [PROXY_PP_NONE] = "none", [PROXY_PP_V1] = "v1", [PROXY_PP_V2] = "v2"};
static const char *const proxy_key_names[PROXY_KEY__COUNT] = {PROXY_CONFIG_KEY_NAMES};
static const char *const proxy_fwd_names[] = {"x-forwarded-for", "x-forwarded-proto",
					      "forwarded"};

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

void proxy_config_parse_service(struct config_ctx *ctx, const struct config_slot *slots,
				struct service_config *svc)
{
	struct proxy_config *pc = &svc->proxy;
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

	if (svc->method != XLB_METHOD_PROXY) {
		/* Ignoring them silently would hide a forgotten "method: proxy". */
		for (i = 0; i < PROXY_KEY__COUNT; i++)
			if (slots[i].key)
				config_err(ctx, config_line(slots[i].key),
					   "%s is only used with method proxy (expected no %s key)",
					   proxy_key_names[i], proxy_key_names[i]);
		return;
	}
	if (svc->proto && svc->proto != IPPROTO_TCP)
		config_err(ctx, svc->line, "method proxy carries TCP only (expected protocol tcp)");
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
				   proxy_key_names[i], proxy_key_names[i]);
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
