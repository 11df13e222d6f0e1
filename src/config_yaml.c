// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Reading keys and values out of the YAML document, every problem as FILE:LINE. */
#include "config_yaml.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

void config_join(const char *const *names, size_t count, const char *sep, char *buf,
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

int config_line(const yaml_node_t *n)
{
	return (int)n->start_mark.line + 1;
}

yaml_node_t *config_node(struct config_ctx *ctx, int index)
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

/* Every table's names as one list, in table order: what a mapping may hold. */
static void config_keys_join(const struct config_keys *tables, size_t ntables, char *buf,
			     size_t size)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t t = 0; t < ntables && off < size; t++) {
		if (off && off + 2 < size)
			off += (size_t)snprintf(buf + off, size - off, ", ");
		config_join(tables[t].names, tables[t].count, ", ", buf + off, size - off);
		off += strlen(buf + off);
	}
}

/* The slot for key @key in @tables, and its name; NULL if no table has it. */
static struct config_slot *config_keys_find(const struct config_keys *tables, size_t ntables,
					    const yaml_node_t *key, const char **name)
{
	const char *s = (const char *)key->data.scalar.value;

	for (size_t t = 0; t < ntables; t++)
		for (size_t i = 0; i < tables[t].count; i++)
			if (strlen(tables[t].names[i]) == key->data.scalar.length &&
			    strcmp(tables[t].names[i], s) == 0) {
				*name = tables[t].names[i];
				return &tables[t].slots[i];
			}
	return NULL;
}

bool config_map_keys(struct config_ctx *ctx, yaml_node_t *map, const char *what,
		     const struct config_keys *tables, size_t ntables)
{
	char q[CONFIG_QUOTE_SIZE], list[512];

	for (size_t t = 0; t < ntables; t++)
		memset(tables[t].slots, 0, tables[t].count * sizeof(*tables[t].slots));
	if (map->type != YAML_MAPPING_NODE) {
		config_err(ctx, config_line(map), "%s is %s (expected a mapping)", what,
			   config_kind(map));
		return false;
	}
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *key = config_node(ctx, p->key);
		yaml_node_t *val = config_node(ctx, p->value);
		struct config_slot *slot;
		const char *name;

		if (!key || !val)
			continue;
		if (key->type != YAML_SCALAR_NODE) {
			config_err(ctx, config_line(key), "key in %s is %s (expected a key name)",
				   what, config_kind(key));
			continue;
		}
		slot = config_keys_find(tables, ntables, key, &name);
		if (!slot) {
			config_keys_join(tables, ntables, list, sizeof(list));
			config_err(ctx, config_line(key),
				   "unknown key '%s' in %s (expected one of: %s)",
				   config_quote((const char *)key->data.scalar.value, q, sizeof(q)),
				   what, list);
			continue;
		}
		if (slot->key) {
			config_err(ctx, config_line(key),
				   "duplicate key '%s' in %s (first defined at line %d)", name, what,
				   config_line(slot->key));
			continue;
		}
		slot->key = key;
		slot->val = val;
	}
	return true;
}

bool config_map(struct config_ctx *ctx, yaml_node_t *map, const char *what,
		const char *const *names, size_t count, struct config_slot *slots)
{
	const struct config_keys table = { names, count, slots };

	return config_map_keys(ctx, map, what, &table, 1);
}

size_t config_list_len(const yaml_node_t *list)
{
	return (size_t)(list->data.sequence.items.top - list->data.sequence.items.start);
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

const char *config_endpoint(const struct net_addr *a, uint16_t port, char *buf,
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

const char *config_family_name(int family)
{
	return family == AF_INET6 ? "IPv6" : "IPv4";
}

int config_addr_cmp(const struct net_addr *a, const struct net_addr *b)
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
void config_find_dups(size_t *idx, size_t n, const void *base,
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
