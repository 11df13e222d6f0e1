// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Parses metrics: {listen: ADDR:PORT, token: TEXT}, every problem as FILE:LINE. */
#include "metrics/metrics_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_yaml.h"

enum { MK_LISTEN, MK_TOKEN, MK__COUNT };
static const char *const metrics_keys[MK__COUNT] = { "listen", "token" };

bool metrics_addr_is_loopback(const struct net_addr *a)
{
	if (a->family == AF_INET)
		return (ntohl(a->v4.s_addr) >> 24) == 127;
	return a->family == AF_INET6 && IN6_IS_ADDR_LOOPBACK(&a->v6);
}

bool metrics_config_differs(const struct metrics_config *a, const struct metrics_config *b)
{
	return a->enabled != b->enabled || a->port != b->port ||
	       (a->enabled && !net_addr_equal(&a->addr, &b->addr)) || strcmp(a->token, b->token);
}

/* "127.0.0.1:9469" or "[::1]:9469": an explicit address, so nothing listens by surprise. */
static bool metrics_parse_listen(const char *s, struct net_addr *addr, uint16_t *port)
{
	char host[NET_ADDR_STRLEN + 2];
	const char *colon;
	char *end;
	long p;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':' || (size_t)(close - s - 1) >= sizeof(host))
			return false;
		memcpy(host, s + 1, close - s - 1);
		host[close - s - 1] = '\0';
		colon = close + 1;
		if (!strchr(host, ':'))
			return false;
	} else {
		colon = strrchr(s, ':');
		if (!colon || (size_t)(colon - s) >= sizeof(host) || memchr(s, ':', colon - s))
			return false;
		memcpy(host, s, colon - s);
		host[colon - s] = '\0';
	}
	p = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || p < 1 || p > 65535)
		return false;
	*port = (uint16_t)p;
	return net_addr_parse(host, addr) == 0;
}

/* Printable ASCII without spaces: it travels in a header and a URL query. */
static bool metrics_token_ok(const char *t)
{
	size_t n = strlen(t);

	if (n < METRICS_TOKEN_MIN || n > METRICS_TOKEN_MAX)
		return false;
	for (; *t; t++)
		if (!((*t >= 'A' && *t <= 'Z') || (*t >= 'a' && *t <= 'z') ||
		      (*t >= '0' && *t <= '9') || strchr("-._~", *t)))
			return false;
	return true;
}

void metrics_config_parse(struct config_ctx *ctx, yaml_node_t *n, struct metrics_config *mc)
{
	struct config_slot slots[MK__COUNT];
	char q[CONFIG_QUOTE_SIZE];
	const char *s;

	memset(mc, 0, sizeof(*mc));
	mc->line = config_line(n);
	if (!config_map(ctx, n, "metrics", metrics_keys, MK__COUNT, slots))
		return;
	if (!slots[MK_LISTEN].val) {
		config_missing(ctx, n, "metrics", "listen");
		return;
	}
	s = config_text(ctx, slots[MK_LISTEN].val, "listen", "ADDRESS:PORT");
	if (!s)
		return;
	if (!metrics_parse_listen(s, &mc->addr, &mc->port)) {
		config_err(ctx, config_line(slots[MK_LISTEN].val),
			   "bad metrics listen '%s' (expected ADDRESS:PORT such as "
			   "127.0.0.1:9469 or [::1]:9469)",
			   config_quote(s, q, sizeof(q)));
		return;
	}
	if (slots[MK_TOKEN].val) {
		s = config_text(ctx, slots[MK_TOKEN].val, "token", "a token");
		if (!s)
			return;
		if (!metrics_token_ok(s)) {
			config_err(ctx, config_line(slots[MK_TOKEN].val),
				   "bad metrics token (expected %d to %d characters of A-Z a-z "
				   "0-9 - . _ ~)",
				   METRICS_TOKEN_MIN, METRICS_TOKEN_MAX);
			return;
		}
		snprintf(mc->token, sizeof(mc->token), "%s", s);
	}
	if (!mc->token[0] && !metrics_addr_is_loopback(&mc->addr)) {
		config_err(ctx, config_line(slots[MK_LISTEN].val),
			   "metrics listen '%s' is reachable from other hosts (expected a token: "
			   "key, or a loopback address)",
			   config_quote(s, q, sizeof(q)));
		return;
	}
	mc->enabled = true;
}
