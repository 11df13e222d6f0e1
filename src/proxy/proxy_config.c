// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Parses the keys of method proxy: mode, limits, timeouts, retries, PROXY protocol. */
#include "proxy/proxy_config.h"

#include <netinet/in.h>

#include "config_yaml.h"

static const char *const proxy_mode_names[] = {
    [PROXY_MODE_TCP] = "tcp", [PROXY_MODE_HTTP] = "http"};
static const char *const proxy_pp_names[] = {
    [PROXY_PP_NONE] = "none", [PROXY_PP_V1] = "v1", [PROXY_PP_V2] = "v2"};
static const char *const proxy_key_names[PROXY_KEY__COUNT] = {PROXY_CONFIG_KEY_NAMES};

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
}
