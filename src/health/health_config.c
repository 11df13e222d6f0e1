// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Parses a service's health: block and sorry: server, every problem as FILE:LINE. */
#include "health/health_config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "config_yaml.h"

static const char *const health_kind_names[HEALTH__COUNT] = {
    [HEALTH_NONE] = "none",
    [HEALTH_ICMP] = "icmp",
    [HEALTH_ARP] = "arp",
    [HEALTH_TCP] = "tcp",
    [HEALTH_TCP_HALF_OPEN] = "tcp-half-open",
    [HEALTH_HTTP] = "http",
    [HEALTH_HTTPS] = "https",
    [HEALTH_UDP] = "udp",
    [HEALTH_DNS] = "dns",
    [HEALTH_SCRIPT] = "script",
};

static const char *const health_on_failure_names[] = {
    [HEALTH_ON_FAILURE_REMOVE] = "remove",
    [HEALTH_ON_FAILURE_WEIGHT0] = "weight0",
};

const char *health_kind_name(unsigned int kind)
{
	return kind < HEALTH__COUNT ? health_kind_names[kind] : "unknown";
}

const char *health_on_failure_name(unsigned int on_failure)
{
	return on_failure < ARRAY_SIZE(health_on_failure_names)
		   ? health_on_failure_names[on_failure]
		   : "unknown";
}

void health_config_defaults(struct health_config *hc)
{
	memset(hc, 0, sizeof(*hc));
	hc->kind = HEALTH_NONE;
	hc->on_failure = HEALTH_ON_FAILURE_REMOVE;
	hc->rise = HEALTH_DEFAULT_RISE;
	hc->fall = HEALTH_DEFAULT_FALL;
	hc->interval_ms = HEALTH_DEFAULT_INTERVAL_MS;
	hc->timeout_ms = HEALTH_DEFAULT_TIMEOUT_MS;
	memcpy(hc->path, "/", 2);
}

enum {
	HK_CHECK,
	HK_INTERVAL,
	HK_TIMEOUT,
	HK_RISE,
	HK_FALL,
	HK_ON_FAILURE,
	HK_PORT,
	HK_PATH,
	HK_HOST,
	HK_EXPECT_STATUS,
	HK_EXPECT_BODY,
	HK_SEND,
	HK_EXPECT,
	HK_VERIFY_TLS,
	HK_DNS_NAME,
	HK_COMMAND,
	HK__COUNT,
};

static const char *const health_keys[HK__COUNT] = {
    "check", "interval",      "timeout",     "rise", "fall",   "on_failure", "port",	 "path",
    "host",  "expect_status", "expect_body", "send", "expect", "verify_tls", "dns_name", "command",
};

#define K(kind) (1u << (kind))
#define K_ALL (~K(HEALTH_NONE))
#define K_HTTP (K(HEALTH_HTTP) | K(HEALTH_HTTPS))

/* Which checks each key means something to; naming it for another is a mistake. */
static const struct {
	unsigned int kinds;
	const char *which;
} health_key_use[HK__COUNT] = {
    [HK_CHECK] = {~0u, ""},
    [HK_INTERVAL] = {K_ALL, "checks other than none"},
    [HK_TIMEOUT] = {K_ALL, "checks other than none"},
    [HK_RISE] = {K_ALL, "checks other than none"},
    [HK_FALL] = {K_ALL, "checks other than none"},
    [HK_ON_FAILURE] = {K_ALL, "checks other than none"},
    [HK_PORT] = {K(HEALTH_TCP) | K(HEALTH_TCP_HALF_OPEN) | K_HTTP | K(HEALTH_UDP) | K(HEALTH_DNS) |
		     K(HEALTH_SCRIPT),
		 "tcp, tcp-half-open, http, https, udp, dns and script"},
    [HK_PATH] = {K_HTTP, "http and https"},
    [HK_HOST] = {K_HTTP, "http and https"},
    [HK_EXPECT_STATUS] = {K_HTTP, "http and https"},
    [HK_EXPECT_BODY] = {K_HTTP, "http and https"},
    [HK_SEND] = {K(HEALTH_TCP) | K(HEALTH_UDP), "tcp and udp"},
    [HK_EXPECT] = {K(HEALTH_TCP) | K(HEALTH_UDP), "tcp and udp"},
    [HK_VERIFY_TLS] = {K(HEALTH_HTTPS), "https"},
    [HK_DNS_NAME] = {K(HEALTH_DNS), "dns"},
    [HK_COMMAND] = {K(HEALTH_SCRIPT), "script"},
};

/* A string that goes on the wire or into a header: printable, no line breaks. */
static bool health_text(struct config_ctx *ctx, yaml_node_t *n, const char *key, char *dst,
			size_t size, bool allow_space, bool allow_ctl)
{
	char expect[96], q[CONFIG_QUOTE_SIZE];
	const char *s;
	size_t len;

	snprintf(expect, sizeof(expect), "1 to %zu characters%s", size - 1,
		 allow_space ? "" : " without spaces");
	s = config_text(ctx, n, key, expect);
	if (!s)
		return false;
	len = strlen(s);
	if (!len || len >= size) {
		config_err(ctx, config_line(n), "bad %s '%s' (expected %s)", key,
			   config_quote(s, q, sizeof(q)), expect);
		return false;
	}
	for (const char *c = s; *c; c++) {
		unsigned char ch = (unsigned char)*c;

		if ((!allow_ctl && (ch < 0x20 || ch == 0x7f)) || (!allow_space && ch == ' ')) {
			config_err(ctx, config_line(n), "bad %s '%s' (expected %s)", key,
				   config_quote(s, q, sizeof(q)),
				   allow_space ? "no control characters"
					       : "no spaces or control characters");
			return false;
		}
	}
	memcpy(dst, s, len + 1);
	return true;
}

static bool health_dns_name_ok(const char *s)
{
	size_t label = 0, len = strlen(s);

	if (!len || len > HEALTH_DNS_NAME_MAX - 1 || s[0] == '.')
		return false;
	for (; *s; s++) {
		if (*s == '.') {
			if (!label)
				return false;
			label = 0;
			continue;
		}
		if (!(isalnum((unsigned char)*s) || *s == '-' || *s == '_') || ++label > 63)
			return false;
	}
	return true;
}

static void health_parse_bool(struct config_ctx *ctx, yaml_node_t *n, const char *key, bool *out)
{
	static const char *const names[] = {"false", "true"};
	int i = config_choice(ctx, n, key, names, ARRAY_SIZE(names), "true or false");

	if (i >= 0)
		*out = i == 1;
}

static void health_parse_kind(struct config_ctx *ctx, yaml_node_t *n, struct health_config *hc)
{
	char list[160];
	size_t off = 0;
	int i;

	for (int k = 0; k < HEALTH__COUNT; k++)
		off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s", k ? ", " : "",
					health_kind_names[k]);
	i = config_choice(ctx, n, "check", health_kind_names, HEALTH__COUNT, list);
	if (i >= 0)
		hc->kind = (uint8_t)i;
}

void health_config_parse(struct config_ctx *ctx, yaml_node_t *n, int vip_family,
			 struct health_config *hc)
{
	struct config_slot slots[HK__COUNT];
	uint64_t v;
	int i;

	health_config_defaults(hc);
	hc->line = config_line(n);
	if (config_is_null(n))
		return;
	if (!config_map(ctx, n, "health", health_keys, HK__COUNT, slots))
		return;
	if (!slots[HK_CHECK].val) {
		config_missing(ctx, n, "health", "check");
		return;
	}
	health_parse_kind(ctx, slots[HK_CHECK].val, hc);
	for (int k = 0; k < HK__COUNT; k++) {
		if (!slots[k].val || (health_key_use[k].kinds & K(hc->kind)))
			continue;
		config_err(ctx, config_line(slots[k].key),
			   "%s does not apply to check %s (expected only with %s)", health_keys[k],
			   health_kind_name(hc->kind), health_key_use[k].which);
		slots[k].val = NULL;
	}

	if (slots[HK_INTERVAL].val &&
	    config_duration(ctx, slots[HK_INTERVAL].val, "interval", &hc->interval_ms) &&
	    hc->interval_ms < HEALTH_MIN_INTERVAL_MS)
		config_err(ctx, config_line(slots[HK_INTERVAL].val),
			   "bad interval '%s' (expected at least %ums)",
			   (const char *)slots[HK_INTERVAL].val->data.scalar.value,
			   HEALTH_MIN_INTERVAL_MS);
	if (slots[HK_TIMEOUT].val &&
	    config_duration(ctx, slots[HK_TIMEOUT].val, "timeout", &hc->timeout_ms) &&
	    !hc->timeout_ms)
		config_err(ctx, config_line(slots[HK_TIMEOUT].val),
			   "bad timeout '0ms' (expected more than 0)");
	if (slots[HK_RISE].val &&
	    config_uint(ctx, slots[HK_RISE].val, "rise", 1, HEALTH_RISE_FALL_MAX, &v))
		hc->rise = (uint8_t)v;
	if (slots[HK_FALL].val &&
	    config_uint(ctx, slots[HK_FALL].val, "fall", 1, HEALTH_RISE_FALL_MAX, &v))
		hc->fall = (uint8_t)v;
	if (slots[HK_ON_FAILURE].val) {
		i = config_choice(ctx, slots[HK_ON_FAILURE].val, "on_failure",
				  health_on_failure_names, ARRAY_SIZE(health_on_failure_names),
				  "remove or weight0");
		if (i >= 0)
			hc->on_failure = (uint8_t)i;
	}
	if (slots[HK_PORT].val && config_uint(ctx, slots[HK_PORT].val, "port", 1, 65535, &v))
		hc->port = (uint16_t)v;
	if (slots[HK_PATH].val &&
	    health_text(ctx, slots[HK_PATH].val, "path", hc->path, sizeof(hc->path), false,
			false) &&
	    hc->path[0] != '/') {
		config_err(ctx, config_line(slots[HK_PATH].val),
			   "bad path '%s' (expected an absolute path starting with /)", hc->path);
		memcpy(hc->path, "/", 2);
	}
	if (slots[HK_HOST].val)
		health_text(ctx, slots[HK_HOST].val, "host", hc->host, sizeof(hc->host), false,
			    false);
	if (slots[HK_EXPECT_STATUS].val &&
	    config_uint(ctx, slots[HK_EXPECT_STATUS].val, "expect_status", 100, 599, &v))
		hc->expect_status = (uint16_t)v;
	if (slots[HK_EXPECT_BODY].val)
		health_text(ctx, slots[HK_EXPECT_BODY].val, "expect_body", hc->expect_body,
			    sizeof(hc->expect_body), true, true);
	if (slots[HK_SEND].val)
		health_text(ctx, slots[HK_SEND].val, "send", hc->send, sizeof(hc->send), true,
			    true);
	if (slots[HK_EXPECT].val)
		health_text(ctx, slots[HK_EXPECT].val, "expect", hc->expect, sizeof(hc->expect),
			    true, true);
	if (slots[HK_VERIFY_TLS].val)
		health_parse_bool(ctx, slots[HK_VERIFY_TLS].val, "verify_tls", &hc->verify_tls);
	if (slots[HK_DNS_NAME].val) {
		char q[CONFIG_QUOTE_SIZE];
		const char *s =
		    config_text(ctx, slots[HK_DNS_NAME].val, "dns_name", "a domain name");

		if (s && health_dns_name_ok(s))
			memcpy(hc->dns_name, s, strlen(s) + 1);
		else if (s)
			config_err(ctx, config_line(slots[HK_DNS_NAME].val),
				   "bad dns_name '%s' (expected a domain name: labels of 1 to 63 "
				   "letters, digits, - or _, at most %u characters)",
				   config_quote(s, q, sizeof(q)), HEALTH_DNS_NAME_MAX - 1);
	}
	if (slots[HK_COMMAND].val)
		health_text(ctx, slots[HK_COMMAND].val, "command", hc->command, sizeof(hc->command),
			    true, false);

	if (hc->kind == HEALTH_DNS && !slots[HK_DNS_NAME].key)
		config_missing(ctx, n, "health", "dns_name");
	if (hc->kind == HEALTH_SCRIPT && !slots[HK_COMMAND].key)
		config_missing(ctx, n, "health", "command");
	if (hc->kind == HEALTH_ARP && vip_family == AF_INET6)
		config_err(ctx, config_line(slots[HK_CHECK].val),
			   "check arp is for IPv4 reals (expected icmp, tcp or another check for "
			   "an IPv6 service)");
}

enum { SOK_ADDRESS, SOK_PORT, SOK__COUNT };
static const char *const health_sorry_keys[SOK__COUNT] = {"address", "port"};

void health_sorry_parse(struct config_ctx *ctx, yaml_node_t *n, int vip_family, uint16_t port,
			bool dsr, struct health_sorry *out)
{
	struct config_slot slots[SOK__COUNT];
	char ip[NET_ADDR_STRLEN];
	uint64_t v;

	memset(out, 0, sizeof(*out));
	out->line = config_line(n);
	out->port = port;
	if (!config_map(ctx, n, "sorry", health_sorry_keys, SOK__COUNT, slots))
		return;
	if (!slots[SOK_ADDRESS].val) {
		config_missing(ctx, n, "sorry", "address");
		return;
	}
	if (!config_addr(ctx, slots[SOK_ADDRESS].val, "address", "sorry", &out->addr))
		return;
	if (vip_family && out->addr.family != vip_family) {
		config_err(ctx, config_line(slots[SOK_ADDRESS].val),
			   "sorry server %s is %s but the vip is %s (expected an address of the "
			   "vip's family)",
			   net_addr_str(&out->addr, ip, sizeof(ip)),
			   out->addr.family == AF_INET6 ? "IPv6" : "IPv4",
			   vip_family == AF_INET6 ? "IPv6" : "IPv4");
		memset(&out->addr, 0, sizeof(out->addr));
		return;
	}
	if (slots[SOK_PORT].val && config_uint(ctx, slots[SOK_PORT].val, "port", 1, 65535, &v)) {
		out->port = (uint16_t)v;
		if (dsr && port && out->port != port)
			config_err(ctx, config_line(slots[SOK_PORT].val),
				   "sorry port %u differs from service port %u (expected %u: the "
				   "method cannot change ports)",
				   out->port, port, port);
	}
}
