/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Helpers for parsing one section of xlb.yaml; lets sections live in their own files. */
#ifndef XLB_CONFIG_YAML_H
#define XLB_CONFIG_YAML_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <yaml.h>

#include "config.h"

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

void __attribute__((format(printf, 3, 4)))
config_err(struct config_ctx *ctx, int line, const char *fmt, ...);
/* Allocation failures are reported by config_load's return, not as messages. */
void *config_calloc(struct config_ctx *ctx, size_t n, size_t size);
const char *config_quote(const char *s, char *buf, size_t size);
int config_line(const yaml_node_t *n);
bool config_is_null(const yaml_node_t *n);
const char *config_kind(const yaml_node_t *n);
/*
 * Collects the keys of mapping @map into @slots (indexed like @names),
 * reporting keys that are unknown or repeated. False if @map is no mapping.
 */
bool config_map(struct config_ctx *ctx, yaml_node_t *map, const char *what,
		const char *const *names, size_t count, struct config_slot *slots);
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
/* An interface name the kernel would take (dev_valid_name()). */
bool config_ifname_ok(const char *s);
/* 1 to CONFIG_NAME_MAX - 1 characters from A-Z a-z 0-9 _ . - (service and instance names). */
bool config_name_ok(const char *s);
bool config_addr(struct config_ctx *ctx, yaml_node_t *n, const char *key, const char *of,
		 struct net_addr *out);
/* "a FIFO", "a character device", ...: what a file that is not a regular one is (st_mode). */
const char *config_file_kind(mode_t mode);

#endif /* XLB_CONFIG_YAML_H */
