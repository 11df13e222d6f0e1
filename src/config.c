// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Reads xlb.yaml into struct xlb_config, reporting every problem with its line. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <yaml.h>

#include "config_limits.h"
#include "config_yaml.h"
#include "ha/ha_config.h"
#include "sched/sched.h"
#include "xlb/xlb_method.h"

#define CONFIG_IFNAME_MAX (IF_NAMESIZE - 1)
#define CONFIG_SVCNAME_MAX (CONFIG_NAME_MAX - 1)
#define CONFIG_SOCKET_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)
#define CONFIG_MAX_FLOWS_LIMIT 100000000u

static const char config_default_socket[] = CONFIG_DEFAULT_CONTROL_SOCKET;
static const char config_default_pin_dir[] = CONFIG_DEFAULT_PIN_DIR;

static const struct flow_timeouts config_default_timeouts = {
	.tcp_established_ms = 900 * 1000,
	.tcp_syn_ms = 60 * 1000,
	.tcp_fin_ms = 120 * 1000,
	.udp_ms = 300 * 1000,
};

#define CONFIG_METHOD_NAME_(id, name) [XLB_METHOD_##id] = name,
static const char *const config_method_names[XLB_METHOD__COUNT] = { XLB_METHODS(
	CONFIG_METHOD_NAME_) };

static const char *const config_mode_names[] = {
	[ATTACH_NATIVE] = "native",
	[ATTACH_GENERIC] = "generic",
	[ATTACH_TC] = "tc",
};

void __attribute__((format(printf, 3, 4)))
config_err(struct config_ctx *ctx, int line, const char *fmt, ...)
{
	char *body, *msg;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vasprintf(&body, fmt, ap);
	va_end(ap);
	if (ret < 0) {
		ctx->oom = true;
		return;
	}
	if (line > 0)
		ret = asprintf(&msg, "%s:%d: %s", ctx->path, line, body);
	else
		ret = asprintf(&msg, "%s: %s", ctx->path, body);
	free(body);
	if (ret < 0) {
		ctx->oom = true;
		return;
	}
	if (ctx->nerrs == ctx->cap) {
		size_t cap = ctx->cap ? ctx->cap * 2 : 16;
		struct config_err *errs = realloc(ctx->errs, cap * sizeof(*errs));

		if (!errs) {
			free(msg);
			ctx->oom = true;
			return;
		}
		ctx->errs = errs;
		ctx->cap = cap;
	}
	ctx->errs[ctx->nerrs] = (struct config_err){ line, ctx->nerrs, msg };
	ctx->nerrs++;
}

/* Allocation failures are reported by config_load's return, not as messages. */
void *config_calloc(struct config_ctx *ctx, size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p)
		ctx->oom = true;
	return p;
}

/* Keeps messages on one line and free of terminal control bytes. */
const char *config_quote(const char *s, char *buf, size_t size)
{
	size_t n = 0;

	for (; *s && n + 4 < size; s++)
		buf[n++] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s;
	if (*s)
		memcpy(buf + n, "...", 4);
	else
		buf[n] = '\0';
	return buf;
}

static void config_join(const char *const *names, size_t count, const char *sep, char *buf,
			size_t size)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < count && off < size; i++) {
		if (!names[i])
			continue;
		int n = snprintf(buf + off, size - off, "%s%s", off ? sep : "", names[i]);

		if (n < 0)
			break;
		off += (size_t)n;
	}
}

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

int config_line(const yaml_node_t *n)
{
	return (int)n->start_mark.line + 1;
}

static yaml_node_t *config_node(struct config_ctx *ctx, int index)
{
	return yaml_document_get_node(ctx->doc, index);
}

/* "key:" with nothing after it: treated as absent where a default makes sense. */
bool config_is_null(const yaml_node_t *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(nulls); i++)
		if (strcmp((const char *)n->data.scalar.value, nulls[i]) == 0)
			return true;
	return false;
}

const char *config_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	default:
		return config_is_null(n) ? "empty" : "a single value";
	}
}

/*
 * Collects the keys of mapping @map into @slots (indexed like @names),
 * reporting keys that are unknown or repeated. False if @map is no mapping.
 */
bool config_map(struct config_ctx *ctx, yaml_node_t *map, const char *what,
		       const char *const *names, size_t count, struct config_slot *slots)
{
	char q[CONFIG_QUOTE_SIZE], list[512];

	memset(slots, 0, count * sizeof(*slots));
	if (map->type != YAML_MAPPING_NODE) {
		config_err(ctx, config_line(map), "%s is %s (expected a mapping)", what,
			   config_kind(map));
		return false;
	}
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *key = config_node(ctx, p->key);
		yaml_node_t *val = config_node(ctx, p->value);
		size_t i;

		if (!key || !val)
			continue;
		if (key->type != YAML_SCALAR_NODE) {
			config_err(ctx, config_line(key), "key in %s is %s (expected a key name)",
				   what, config_kind(key));
			continue;
		}
		const char *name = (const char *)key->data.scalar.value;

		for (i = 0; i < count; i++)
			if (strlen(names[i]) == key->data.scalar.length &&
			    strcmp(names[i], name) == 0)
				break;
		if (i == count) {
			config_join(names, count, ", ", list, sizeof(list));
			config_err(ctx, config_line(key),
				   "unknown key '%s' in %s (expected one of: %s)",
				   config_quote(name, q, sizeof(q)), what, list);
			continue;
		}
		if (slots[i].key) {
			config_err(ctx, config_line(key),
				   "duplicate key '%s' in %s (first defined at line %d)", names[i],
				   what, config_line(slots[i].key));
			continue;
		}
		slots[i].key = key;
		slots[i].val = val;
	}
	return true;
}

void config_missing(struct config_ctx *ctx, yaml_node_t *map, const char *what,
			   const char *key)
{
	config_err(ctx, config_line(map), "%s: missing key '%s'", what, key);
}

/* The scalar's text, or NULL once it has been reported as unusable. */
const char *config_text(struct config_ctx *ctx, yaml_node_t *n, const char *key,
			       const char *expect)
{
	if (n->type != YAML_SCALAR_NODE || config_is_null(n)) {
		config_err(ctx, config_line(n), "%s is %s (expected %s)", key, config_kind(n),
			   expect);
		return NULL;
	}
	/* A "\0" escape would silently cut the value short in every C string. */
	if (strlen((const char *)n->data.scalar.value) != n->data.scalar.length) {
		config_err(ctx, config_line(n), "%s contains a NUL character (expected %s)", key,
			   expect);
		return NULL;
	}
	return (const char *)n->data.scalar.value;
}

/*
 * Plain decimal only: quoted numbers are strings in YAML, and leading zeros
 * are octal in YAML 1.1, so both would mean something else to another reader.
 */
bool config_uint(struct config_ctx *ctx, yaml_node_t *n, const char *key, uint64_t min,
			uint64_t max, uint64_t *out)
{
	char expect[64], q[CONFIG_QUOTE_SIZE];
	const char *s;
	uint64_t v = 0;
	bool ok;

	snprintf(expect, sizeof(expect), "an integer %" PRIu64 "..%" PRIu64, min, max);
	s = config_text(ctx, n, key, expect);
	if (!s)
		return false;
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
		config_err(ctx, config_line(n), "bad %s '%s' (expected %s, without quotes)", key,
			   config_quote(s, q, sizeof(q)), expect);
		return false;
	}
	ok = s[0] && (s[0] != '0' || !s[1]);
	for (const char *c = s; ok && *c; c++) {
		if (*c < '0' || *c > '9' || v > max) {
			ok = false;
			break;
		}
		v = v * 10 + (uint64_t)(*c - '0');
	}
	if (!ok || v < min || v > max) {
		config_err(ctx, config_line(n), "bad %s '%s' (expected %s)", key,
			   config_quote(s, q, sizeof(q)), expect);
		return false;
	}
	*out = v;
	return true;
}

/* "500ms", "2s", "3m", "1h" into milliseconds; a bare number is ambiguous. */
bool config_duration(struct config_ctx *ctx, yaml_node_t *n, const char *key,
			    uint32_t *out_ms)
{
	static const char expect[] = "a duration with a unit: ms, s, m, h";
	static const struct {
		const char *unit;
		uint64_t ms;
	} units[] = { { "ms", 1 }, { "s", 1000 }, { "m", 60 * 1000 }, { "h", 3600 * 1000 } };
	char q[CONFIG_QUOTE_SIZE];
	const char *s, *c;
	uint64_t v = 0, mult = 0;
	bool big = false;

	s = config_text(ctx, n, key, expect);
	if (!s)
		return false;
	for (c = s; *c >= '0' && *c <= '9'; c++) {
		v = v * 10 + (uint64_t)(*c - '0');
		if (v > UINT32_MAX) {
			big = true;
			v = UINT32_MAX;
		}
	}
	for (size_t i = 0; c != s && i < ARRAY_SIZE(units); i++)
		if (strcmp(c, units[i].unit) == 0)
			mult = units[i].ms;
	if (!mult) {
		config_err(ctx, config_line(n), "bad %s '%s' (expected %s)", key,
			   config_quote(s, q, sizeof(q)), expect);
		return false;
	}
	if (big || v * mult > UINT32_MAX) {
		config_err(ctx, config_line(n), "bad %s '%s' (expected at most %" PRIu64 "h)", key,
			   config_quote(s, q, sizeof(q)), (uint64_t)UINT32_MAX / (3600 * 1000));
		return false;
	}
	*out_ms = (uint32_t)(v * mult);
	return true;
}

/* Index of the value in @names, or -1 once reported. */
int config_choice(struct config_ctx *ctx, yaml_node_t *n, const char *key,
			 const char *const *names, size_t count, const char *expect)
{
	char q[CONFIG_QUOTE_SIZE];
	const char *s = config_text(ctx, n, key, expect);

	if (!s)
		return -1;
	for (size_t i = 0; i < count; i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	config_err(ctx, config_line(n), "unknown %s '%s' (expected %s)", key,
		   config_quote(s, q, sizeof(q)), expect);
	return -1;
}

bool config_addr(struct config_ctx *ctx, yaml_node_t *n, const char *key, const char *of,
			struct net_addr *out)
{
	static const char expect[] = "an IPv4 or IPv6 address";
	char q[CONFIG_QUOTE_SIZE];
	const char *s = config_text(ctx, n, key, expect);

	if (!s)
		return false;
	if (net_addr_parse(s, out) < 0) {
		memset(out, 0, sizeof(*out));
		config_err(ctx, config_line(n), "bad address '%s' for %s (expected %s)",
			   config_quote(s, q, sizeof(q)), of, expect);
		return false;
	}
	return true;
}

static void config_path(struct config_ctx *ctx, yaml_node_t *n, const char *key, char *dst,
			size_t max_len)
{
	char expect[64], q[CONFIG_QUOTE_SIZE];
	const char *s;
	size_t len;

	snprintf(expect, sizeof(expect), "a path of at most %zu characters", max_len);
	s = config_text(ctx, n, key, expect);
	if (!s)
		return;
	len = strlen(s);
	if (len == 0 || len > max_len) {
		config_err(ctx, config_line(n), "bad %s '%s' (expected %s)", key,
			   config_quote(s, q, sizeof(q)), expect);
		return;
	}
	memcpy(dst, s, len + 1);
}

/* The kernel's dev_valid_name() rules, so a bad name fails here and not at attach. */
bool config_ifname_ok(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > CONFIG_IFNAME_MAX || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || *s <= ' ' || *s == 0x7f)
			return false;
	return true;
}

/* Names end up in logs, xlbctl output and stats keys: keep them token-like. */
bool config_name_ok(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > CONFIG_SVCNAME_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' || *s == '-'))
			return false;
	return true;
}

static const char *config_endpoint(const struct net_addr *a, uint16_t port, char *buf,
				   size_t size)
{
	char ip[NET_ADDR_STRLEN];

	net_addr_str(a, ip, sizeof(ip));
	if (a->family == AF_INET6)
		snprintf(buf, size, "[%s]:%u", ip, port);
	else
		snprintf(buf, size, "%s:%u", ip, port);
	return buf;
}

static const char *config_family_name(int family)
{
	return family == AF_INET6 ? "IPv6" : "IPv4";
}

static int config_addr_cmp(const struct net_addr *a, const struct net_addr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return a->family == AF_INET6 ? memcmp(&a->v6, &b->v6, sizeof(a->v6)) :
				       memcmp(&a->v4, &b->v4, sizeof(a->v4));
}

/* Orders entries by key, and entries with the same key in file order. */
struct config_dup_sort {
	int (*cmp)(const void *base, size_t a, size_t b);
	const void *base;
};

static int config_dup_cmp(const void *x, const void *y, void *arg)
{
	const struct config_dup_sort *s = arg;
	size_t a = *(const size_t *)x, b = *(const size_t *)y;
	int r = s->cmp(s->base, a, b);

	return r ? r : (a < b ? -1 : a > b);
}

/*
 * Duplicates among @n entries of @base in O(n log n): @idx holds the indexes
 * of the entries to compare (those that parsed), @cmp compares two entries'
 * keys, and @dup is called for each entry whose key an earlier one has,
 * with the first of them. Frees @idx.
 */
static void config_find_dups(size_t *idx, size_t n, const void *base,
			     int (*cmp)(const void *base, size_t a, size_t b),
			     void (*dup)(struct config_ctx *ctx, const void *base, size_t first,
					 size_t later),
			     struct config_ctx *ctx)
{
	struct config_dup_sort s = { cmp, base };

	qsort_r(idx, n, sizeof(*idx), config_dup_cmp, &s);
	for (size_t i = 1, first = 0; i < n; i++) {
		if (cmp(base, idx[first], idx[i]) != 0)
			first = i;
		else
			dup(ctx, base, idx[first], idx[i]);
	}
	free(idx);
}

static int config_iface_cmp(const void *base, size_t a, size_t b)
{
	const struct iface_config *v = base;

	return strcmp(v[a].name, v[b].name);
}

static void config_iface_dup(struct config_ctx *ctx, const void *base, size_t first,
			     size_t later)
{
	const struct iface_config *v = base;

	config_err(ctx, v[later].line, "duplicate interface '%s' (first defined at line %d)",
		   v[later].name, v[first].line);
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

enum { IK_NAME, IK_MODE, IK__COUNT };
static const char *const config_iface_keys[IK__COUNT] = { "name", "mode" };

static void config_parse_iface(struct config_ctx *ctx, yaml_node_t *n, struct iface_config *ifc)
{
	static const char expect[] = "1 to 15 characters without '/', ':' or spaces";
	struct config_slot slots[IK__COUNT];
	char q[CONFIG_QUOTE_SIZE];
	const char *s;
	int mode;

	ifc->line = config_line(n);
	ifc->mode = ATTACH_NATIVE;
	if (!config_map(ctx, n, "interface", config_iface_keys, IK__COUNT, slots))
		return;
	if (!slots[IK_NAME].val) {
		config_missing(ctx, n, "interface", "name");
	} else if ((s = config_text(ctx, slots[IK_NAME].val, "interface name", expect))) {
		if (config_ifname_ok(s))
			memcpy(ifc->name, s, strlen(s) + 1);
		else
			config_err(ctx, config_line(slots[IK_NAME].val),
				   "bad interface name '%s' (expected %s)",
				   config_quote(s, q, sizeof(q)), expect);
	}
	if (slots[IK_MODE].val) {
		mode = config_choice(ctx, slots[IK_MODE].val, "mode", config_mode_names,
				     ARRAY_SIZE(config_mode_names), "native, generic or tc");
		if (mode >= 0)
			ifc->mode = (enum attach_mode)mode;
	}
}

static void config_parse_ifaces(struct config_ctx *ctx, yaml_node_t *list, struct xlb_config *cfg)
{
	size_t n;

	if (list->type != YAML_SEQUENCE_NODE && !config_is_null(list)) {
		config_err(ctx, config_line(list), "interfaces is %s (expected a list)",
			   config_kind(list));
		return;
	}
	n = list->type == YAML_SEQUENCE_NODE ?
		    (size_t)(list->data.sequence.items.top - list->data.sequence.items.start) :
		    0;
	if (!n) {
		config_err(ctx, config_line(list),
			   "interfaces is empty (expected at least one interface)");
		return;
	}
	cfg->ifaces = config_calloc(ctx, n, sizeof(*cfg->ifaces));
	if (!cfg->ifaces)
		return;
	cfg->nifaces = n;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *item = config_node(ctx, list->data.sequence.items.start[i]);

		if (item)
			config_parse_iface(ctx, item, &cfg->ifaces[i]);
	}
	/* Only valid names were stored, so an empty one means "already reported". */
	size_t *idx = config_calloc(ctx, n, sizeof(*idx)), m = 0;

	for (size_t i = 0; idx && i < n; i++)
		if (cfg->ifaces[i].name[0])
			idx[m++] = i;
	if (idx)
		config_find_dups(idx, m, cfg->ifaces, config_iface_cmp, config_iface_dup, ctx);
}

enum { TK_ESTABLISHED, TK_SYN, TK_FIN, TK_UDP, TK__COUNT };
static const char *const config_timeout_keys[TK__COUNT] = { "tcp_established", "tcp_syn",
							    "tcp_fin", "udp" };

enum { FK_MAX, FK_SYN_MAX, FK_TIMEOUTS, FK__COUNT };
static const char *const config_flows_keys[FK__COUNT] = { "max", "syn_max", "timeouts" };

static void config_parse_timeouts(struct config_ctx *ctx, yaml_node_t *n, struct flow_timeouts *t)
{
	uint32_t *dst[TK__COUNT] = {
		[TK_ESTABLISHED] = &t->tcp_established_ms,
		[TK_SYN] = &t->tcp_syn_ms,
		[TK_FIN] = &t->tcp_fin_ms,
		[TK_UDP] = &t->udp_ms,
	};
	struct config_slot slots[TK__COUNT];
	char q[CONFIG_QUOTE_SIZE];
	uint32_t ms;

	if (config_is_null(n) ||
	    !config_map(ctx, n, "timeouts", config_timeout_keys, TK__COUNT, slots))
		return;
	for (int i = 0; i < TK__COUNT; i++) {
		yaml_node_t *v = slots[i].val;

		if (!v || !config_duration(ctx, v, config_timeout_keys[i], &ms))
			continue;
		/* A zero timeout would expire every flow as soon as it is created. */
		if (!ms) {
			config_err(ctx, config_line(v), "bad %s '%s' (expected more than 0)",
				   config_timeout_keys[i],
				   config_quote((const char *)v->data.scalar.value, q, sizeof(q)));
			continue;
		}
		*dst[i] = ms;
	}
}

static void config_parse_flows(struct config_ctx *ctx, yaml_node_t *n, struct xlb_config *cfg)
{
	struct config_slot slots[FK__COUNT];
	uint64_t v;

	if (config_is_null(n) || !config_map(ctx, n, "flows", config_flows_keys, FK__COUNT, slots))
		return;
	if (slots[FK_MAX].val && config_uint(ctx, slots[FK_MAX].val, "max", 1,
					     CONFIG_MAX_FLOWS_LIMIT, &v))
		cfg->max_flows = (uint32_t)v;
	if (slots[FK_SYN_MAX].val && config_uint(ctx, slots[FK_SYN_MAX].val, "syn_max", 1024,
						 CONFIG_MAX_FLOWS_LIMIT, &v))
		cfg->syn_max = (uint32_t)v;
	if (slots[FK_TIMEOUTS].val)
		config_parse_timeouts(ctx, slots[FK_TIMEOUTS].val, &cfg->timeouts);
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
	health_config_parse_real(ctx, slots[RK_CHECK_ADDRESS].val, slots[RK_CHECK_PORT].val, r);
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
       SK_SLOW_START, SK_SCHEDULER_FLAGS,
       SK_PROXY_FIRST, /* PROXY_KEY__COUNT keys of method proxy (proxy/proxy_config.h) */
       SK__COUNT = SK_PROXY_FIRST + PROXY_KEY__COUNT };
static const char *const config_service_keys[SK__COUNT] = {
	"name", "vip", "port", "protocol", "method", "scheduler", "persistence", "reals",
	"dscp", "gue_port", "local_addresses", "health", "sorry", "quorum", "midstream", "slow_start",
	"scheduler_flags", PROXY_CONFIG_KEY_NAMES,
};

#define CONFIG_GUE_PORT_DEFAULT 6080

/* True for methods where the real answers the client directly. */

static void config_parse_method(struct config_ctx *ctx, yaml_node_t *n, struct service_config *svc)
{
	char q[CONFIG_QUOTE_SIZE], list[128];
	const char *s;

	config_join(config_method_names, XLB_METHOD__COUNT, ", ", list,
		    sizeof(list));
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
	proxy_config_parse_service(ctx, &slots[SK_PROXY_FIRST], svc);
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

static void config_parse_service(struct config_ctx *ctx, yaml_node_t *n,
				 struct service_config *svc)
{
	static const char name_expect[] = "1 to 63 characters from A-Z a-z 0-9 _ . -";
	static const char *const protos[] = { "tcp", "udp" };
	struct config_slot slots[SK__COUNT];
	char q[CONFIG_QUOTE_SIZE];
	const char *s;
	uint64_t v;
	uint32_t ms;
	int i;

	svc->line = config_line(n);
	svc->proto = IPPROTO_TCP;
	svc->method = XLB_METHOD_DR;
	svc->sched = SCHED_RR;
	if (!config_map(ctx, n, "service", config_service_keys, SK__COUNT, slots))
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
	config_parse_method_keys(ctx, slots, svc);
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
	proxy_config_parse_routes(ctx, &slots[SK_PROXY_FIRST], svc); /* they name reals */
	health_config_parse_service(ctx, slots[SK_HEALTH].val, slots[SK_SORRY].val,
				    slots[SK_QUORUM].val, xlb_method_dsr(svc->method), svc);
}

static const char *config_proto_name(uint8_t proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

static void config_parse_services(struct config_ctx *ctx, yaml_node_t *list,
				  struct xlb_config *cfg)
{
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
	cfg->services = config_calloc(ctx, n, sizeof(*cfg->services));
	if (!cfg->services)
		return;
	cfg->nservices = n;
	for (size_t i = 0; i < n && !ctx->stop; i++) {
		yaml_node_t *item = config_node(ctx, list->data.sequence.items.start[i]);

		if (item)
			config_parse_service(ctx, item, &cfg->services[i]);
	}
	if (ctx->stop)
		return;

	/* Fields left zero failed to parse and were reported already. */
	idx = config_calloc(ctx, n, sizeof(*idx));
	m = 0;
	for (size_t i = 0; idx && i < n; i++)
		if (cfg->services[i].name[0])
			idx[m++] = i;
	if (idx)
		config_find_dups(idx, m, cfg->services, config_svc_name_cmp, config_svc_name_dup,
				 ctx);
	idx = config_calloc(ctx, n, sizeof(*idx));
	m = 0;
	for (size_t i = 0; idx && i < n; i++)
		if (cfg->services[i].vip.family && cfg->services[i].port && cfg->services[i].proto)
			idx[m++] = i;
	if (idx)
		config_find_dups(idx, m, cfg->services, config_svc_ep_cmp, config_svc_ep_dup, ctx);
}

enum { CK_INTERFACES, CK_CONTROL_SOCKET, CK_BPF_PIN_DIR, CK_FLOWS, CK_SERVICES, CK_HA, CK_METRICS,
       CK__COUNT };
static const char *const config_root_keys[CK__COUNT] = {
	"interfaces", "control_socket", "bpf_pin_dir", "flows", "services", "ha", "metrics",
};

static void config_parse_root(struct config_ctx *ctx, yaml_node_t *root, struct xlb_config *cfg)
{
	struct config_slot slots[CK__COUNT];

	if (!config_map(ctx, root, "config", config_root_keys, CK__COUNT, slots))
		return;
	if (!slots[CK_INTERFACES].val)
		config_missing(ctx, root, "config", "interfaces");
	else
		config_parse_ifaces(ctx, slots[CK_INTERFACES].val, cfg);
	if (slots[CK_CONTROL_SOCKET].val)
		config_path(ctx, slots[CK_CONTROL_SOCKET].val, "control_socket",
			    cfg->control_socket, CONFIG_SOCKET_MAX);
	if (slots[CK_BPF_PIN_DIR].val)
		config_path(ctx, slots[CK_BPF_PIN_DIR].val, "bpf_pin_dir", cfg->bpf_pin_dir,
			    sizeof(cfg->bpf_pin_dir) - 1);
	if (slots[CK_FLOWS].val)
		config_parse_flows(ctx, slots[CK_FLOWS].val, cfg);
	if (!slots[CK_SERVICES].val)
		config_missing(ctx, root, "config", "services");
	else
		config_parse_services(ctx, slots[CK_SERVICES].val, cfg);
	if (ctx->stop)
		return;
	/* After services: VRRP addresses default to their VIPs. */
	if (slots[CK_HA].val)
		ha_config_parse(ctx, slots[CK_HA].val, cfg);
	if (slots[CK_METRICS].val)
		metrics_config_parse(ctx, slots[CK_METRICS].val, cfg);
}

static void config_yaml_error(struct config_ctx *ctx, const yaml_parser_t *p)
{
	size_t line = 1;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		ctx->oom = true;
		break;
	case YAML_READER_ERROR:
		/* Reader errors carry a byte offset, not a mark. */
		for (size_t i = 0; i < p->problem_offset && i < ctx->text_len; i++)
			line += ctx->text[i] == '\n';
		config_err(ctx, (int)line, "bad YAML input: %s (expected UTF-8 text)",
			   p->problem ? p->problem : "unreadable input");
		break;
	default:
		if (p->context)
			config_err(ctx, (int)p->problem_mark.line + 1,
				   "YAML syntax error: %s (%s that starts at line %zu)",
				   p->problem ? p->problem : "invalid YAML", p->context,
				   p->context_mark.line + 1);
		else
			config_err(ctx, (int)p->problem_mark.line + 1, "YAML syntax error: %s",
				   p->problem ? p->problem : "invalid YAML");
		break;
	}
}

/* What a file that is not a regular one is, for the message. */
const char *config_file_kind(mode_t mode)
{
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISSOCK(mode))
		return "a socket";
	return "not a regular file";
}

/*
 * Refuses before reading what is not a regular file (-EINVAL) or is too big
 * (-EFBIG), reporting it; a directory is -EISDIR, left to the caller.
 */
static int config_check_file(struct config_ctx *ctx, const struct stat *st)
{
	if (S_ISDIR(st->st_mode))
		return -EISDIR;
	if (!S_ISREG(st->st_mode)) {
		config_err(ctx, 0, "cannot read: %s (expected a regular file)",
			   config_file_kind(st->st_mode));
		return -EINVAL;
	}
	if (st->st_size > (off_t)CONFIG_FILE_MAX) {
		config_err(ctx, 0, "cannot read: %lld bytes (expected at most %u MiB)",
			   (long long)st->st_size, CONFIG_FILE_MAX >> 20);
		return -EFBIG;
	}
	return 0;
}

/*
 * Read it whole, after checking what it is: stat() first, so a device is
 * never even opened; then open() without blocking (a FIFO put in its place
 * meanwhile would otherwise wait for a writer) and fstat() again, since the
 * path may have changed in between. A file that grows past the limit while
 * it is read is refused there. 0 or a negative errno (reported in @ctx, or
 * left to the caller when nothing was).
 */
static int config_read_file(struct config_ctx *ctx, const char *path, char **out,
			    size_t *out_len)
{
	size_t len = 0, cap;
	char *buf = NULL;
	struct stat st;
	int fd, ret;

	if (stat(path, &st) < 0)
		return -errno;
	ret = config_check_file(ctx, &st);
	if (ret)
		return ret;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out;
	}
	ret = config_check_file(ctx, &st);
	if (ret)
		goto out;
	/* One allocation for the size it has; a file that grew meanwhile doubles it. */
	cap = (size_t)st.st_size + 1;
	for (;;) {
		if (!buf || len == cap) {
			char *nbuf;

			if (buf)
				cap *= 2;
			nbuf = realloc(buf, cap);
			if (!nbuf) {
				ret = -ENOMEM;
				goto out;
			}
			buf = nbuf;
		}
		ssize_t n = read(fd, buf + len, cap - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > CONFIG_FILE_MAX) {
			config_err(ctx, 0, "cannot read: more than %u MiB (expected at most %u MiB)",
				   CONFIG_FILE_MAX >> 20, CONFIG_FILE_MAX >> 20);
			ret = -EFBIG;
			goto out;
		}
	}
out:
	close(fd);
	if (ret) {
		free(buf);
		return ret;
	}
	*out = buf;
	*out_len = len;
	return 0;
}

static int config_err_cmp(const void *a, const void *b)
{
	const struct config_err *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Hands the messages over in file order; frees them if nobody wants them. */
static void config_ctx_finish(struct config_ctx *ctx, struct config_errors *errs)
{
	char **msgs = NULL;

	if (!ctx->nerrs)
		goto out;
	qsort(ctx->errs, ctx->nerrs, sizeof(*ctx->errs), config_err_cmp);
	if (errs) {
		msgs = calloc(ctx->nerrs, sizeof(*msgs));
		if (!msgs)
			ctx->oom = true;
	}
	for (size_t i = 0; i < ctx->nerrs; i++) {
		if (msgs)
			msgs[i] = ctx->errs[i].msg;
		else
			free(ctx->errs[i].msg);
	}
	if (msgs) {
		errs->msgs = msgs;
		errs->count = ctx->nerrs;
	}
out:
	free(ctx->errs);
	ctx->errs = NULL;
	ctx->nerrs = ctx->cap = 0;
}

static int config_parse_text(struct config_ctx *ctx, struct xlb_config *cfg)
{
	yaml_parser_t parser;
	yaml_document_t doc, next;
	yaml_node_t *root;

	/* Limits before work: nothing is built from a file that exceeds one. */
	if (!config_check_limits(ctx))
		return ctx->oom ? -ENOMEM : 0;
	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)ctx->text, ctx->text_len);
	if (!yaml_parser_load(&parser, &doc)) {
		config_yaml_error(ctx, &parser);
		yaml_parser_delete(&parser);
		return 0;
	}
	ctx->doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (!root || config_is_null(root))
		config_err(ctx, root ? config_line(root) : 1,
			   "the file is empty (expected a mapping with interfaces and services)");
	else
		config_parse_root(ctx, root, cfg);
	ctx->doc = NULL;
	yaml_document_delete(&doc);

	/* A second document would otherwise be ignored without a word. */
	if (!yaml_parser_load(&parser, &next)) {
		config_yaml_error(ctx, &parser);
	} else {
		root = yaml_document_get_root_node(&next);
		if (root)
			config_err(ctx, (int)next.start_mark.line + 1,
				   "a second YAML document starts here (expected one document)");
		yaml_document_delete(&next);
	}
	yaml_parser_delete(&parser);
	return 0;
}

int config_load(const char *path, struct xlb_config *cfg, struct config_errors *errs)
{
	struct config_ctx ctx = { .path = path };
	char *text = NULL;
	size_t nerrs;
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	if (errs)
		memset(errs, 0, sizeof(*errs));

	if (strlen(path) >= sizeof(cfg->path)) {
		config_err(&ctx, 0, "cannot read: path is longer than %zu characters",
			   sizeof(cfg->path) - 1);
		ret = -ENAMETOOLONG;
		goto out;
	}
	ret = config_read_file(&ctx, path, &text, &ctx.text_len);
	if (ret && ctx.nerrs)
		goto out; /* reported: not a regular file, or too big */
	if (ret) {
		config_err(&ctx, 0, "cannot read: %s (expected a readable YAML file)",
			   strerror(-ret));
		goto out;
	}
	ctx.text = text;

	memcpy(cfg->path, path, strlen(path) + 1);
	memcpy(cfg->control_socket, config_default_socket, sizeof(config_default_socket));
	memcpy(cfg->bpf_pin_dir, config_default_pin_dir, sizeof(config_default_pin_dir));
	cfg->max_flows = XLB_DEFAULT_MAX_FLOWS;
	cfg->timeouts = config_default_timeouts;

	ret = config_parse_text(&ctx, cfg);
out:
	free(text);
	nerrs = ctx.nerrs;
	config_ctx_finish(&ctx, errs);
	if (!ret && ctx.oom)
		ret = -ENOMEM;
	else if (!ret && nerrs)
		ret = -EINVAL;
	if (ret)
		config_free(cfg);
	return ret;
}

void config_free(struct xlb_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->nservices; i++) {
		free(cfg->services[i].reals);
		proxy_config_free(&cfg->services[i].proxy);
	}
	free(cfg->services);
	free(cfg->ifaces);
	memset(cfg, 0, sizeof(*cfg));
}

void config_errors_free(struct config_errors *errs)
{
	if (!errs)
		return;
	for (size_t i = 0; i < errs->count; i++)
		free(errs->msgs[i]);
	free(errs->msgs);
	errs->msgs = NULL;
	errs->count = 0;
}

const char *config_method_name(uint8_t method)
{
	return method < XLB_METHOD__COUNT ? config_method_names[method] : "unknown";
}

const char *config_attach_mode_name(enum attach_mode mode)
{
	if ((unsigned int)mode >= ARRAY_SIZE(config_mode_names))
		return "unknown";
	return config_mode_names[mode];
}
