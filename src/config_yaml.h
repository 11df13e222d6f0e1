/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The bottom of the config loader: the parse context (errors, the YAML
 * document, limit counters) and the helpers every section uses to read
 * keys and values, each problem reported as FILE:LINE. It knows no
 * section: config.c and the sections (services, ha, health, proxy,
 * metrics, ...) sit on top of it, never the other way round.
 */
#ifndef XLB_CONFIG_YAML_H
#define XLB_CONFIG_YAML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <yaml.h>

#include "addr.h"

/* Room for a value quoted in a message: 64 characters and "...". */
#define CONFIG_QUOTE_SIZE 68

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct config_err {
	int line;
	size_t seq; /* keeps errors on one line in the order they were found */
	char *msg;
};

struct config_ctx {
	const char *path;
	const char *text; /* the file, to turn reader error offsets into lines */
	size_t text_len;
	yaml_document_t *doc;
	struct config_err *errs;
	size_t nerrs, cap;
	bool oom;
	bool stop; /* a limit was exceeded (config_limits.h): nothing further is read */
	size_t nreals; /* reals read so far, in all services */
};

/* One key of a mapping as found: both nodes, so repeats can cite the first. */
struct config_slot {
	yaml_node_t *key;
	yaml_node_t *val;
};

/*
 * A key table and the slots it fills. A mapping whose keys two parsers
 * share (a service's own keys and its method proxy keys) is read with one
 * table each, so neither needs to know the other's keys or their order.
 */
struct config_keys {
	const char *const *names;
	size_t count;
	struct config_slot *slots; /* count of them, indexed like names */
};

void __attribute__((format(printf, 3, 4)))
config_err(struct config_ctx *ctx, int line, const char *fmt, ...);
/* Allocation failures are reported by config_load's return, not as messages. */
void *config_calloc(struct config_ctx *ctx, size_t n, size_t size);
const char *config_quote(const char *s, char *buf, size_t size);
/* @names (NULLs skipped) as one "a, b, c" list into @buf. */
void config_join(const char *const *names, size_t count, const char *sep, char *buf, size_t size);
int config_line(const yaml_node_t *n);
/* The document's node @index (a mapping pair's or a list item's), or NULL. */
yaml_node_t *config_node(struct config_ctx *ctx, int index);
/* Items of a list node. */
size_t config_list_len(const yaml_node_t *list);
bool config_is_null(const yaml_node_t *n);
const char *config_kind(const yaml_node_t *n);
/*
 * Collects the keys of mapping @map into @slots (indexed like @names),
 * reporting keys that are unknown or repeated. False if @map is no mapping.
 */
bool config_map(struct config_ctx *ctx, yaml_node_t *map, const char *what,
		const char *const *names, size_t count, struct config_slot *slots);
/* The same with several key tables: a key goes to the first table that has it. */
bool config_map_keys(struct config_ctx *ctx, yaml_node_t *map, const char *what,
		     const struct config_keys *tables, size_t ntables);
void config_missing(struct config_ctx *ctx, yaml_node_t *map, const char *what, const char *key);
/* The scalar's text, or NULL once it has been reported as unusable. */
const char *config_text(struct config_ctx *ctx, yaml_node_t *n, const char *key,
			const char *expect);
bool config_uint(struct config_ctx *ctx, yaml_node_t *n, const char *key, uint64_t min,
		 uint64_t max, uint64_t *out);
/* "500ms", "2s", "3m", "1h" into milliseconds. */
bool config_duration(struct config_ctx *ctx, yaml_node_t *n, const char *key, uint32_t *out_ms);
/* Index of the value in @names, or -1 once reported. */
int config_choice(struct config_ctx *ctx, yaml_node_t *n, const char *key,
		  const char *const *names, size_t count, const char *expect);
bool config_addr(struct config_ctx *ctx, yaml_node_t *n, const char *key, const char *of,
		 struct net_addr *out);
/* "a FIFO", "a character device", ...: what a file that is not a regular one is (st_mode). */
const char *config_file_kind(mode_t mode);

/* "1.2.3.4:80" or "[::1]:80" into @buf, for messages. */
const char *config_endpoint(const struct net_addr *a, uint16_t port, char *buf, size_t size);
const char *config_family_name(int family);
int config_addr_cmp(const struct net_addr *a, const struct net_addr *b);

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
		      struct config_ctx *ctx);

#endif /* XLB_CONFIG_YAML_H */
