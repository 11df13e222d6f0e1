/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The config loader's limits, each checked before the work it bounds
 * (docs/CONFIG.md, "Limits"): the file's type and size before it is read,
 * nesting, anchors and aliases and the number of services and reals while
 * its YAML events stream by, before any tree is built. The first excess
 * stops the load with one message naming FILE:LINE and the limit.
 */
#ifndef XLB_CONFIG_LIMITS_H
#define XLB_CONFIG_LIMITS_H

#include <stdbool.h>
#include <stddef.h>

#include "xlb/xlb_types.h"

struct config_ctx;

/* A config is a page or two; the largest the data plane holds is ~10 MiB. */
#define CONFIG_FILE_MAX (16u << 20)
/* Lists and mappings inside each other; xlb's own schema needs 6. */
#define CONFIG_DEPTH_MAX 16
/* libyaml matches anchors and aliases by a linear search: keep them few. */
#define CONFIG_ANCHORS_MAX 256
#define CONFIG_ALIASES_MAX 16384
/* What the data plane holds (include/xlb/xlb_types.h). */
#define CONFIG_SERVICES_MAX XLB_MAX_SERVICES
#define CONFIG_REALS_MAX XLB_MAX_REALS	      /* in all services */
#define CONFIG_SERVICE_REALS_MAX XLB_RING_MAX /* in one service: rr gives each a ring slot */

/*
 * Streams ctx->text's YAML events once, without building a tree, and stops
 * at the first excess: nesting, anchors, aliases, services, reals. True if
 * the text is within every limit (a YAML syntax error is left for the
 * parser proper to report); otherwise one error is reported and false.
 */
bool config_check_limits(struct config_ctx *ctx);

/*
 * The messages for a list that goes past its limit, the same whether found
 * while streaming or while reading the tree (through an alias): @line is
 * the first item too many, @nth its number.
 */
void config_too_many_services(struct config_ctx *ctx, int line, size_t nth);
void config_too_many_reals(struct config_ctx *ctx, int line, size_t nth, int service_line);
void config_too_many_reals_in_all(struct config_ctx *ctx, int line, size_t nth);

#endif /* XLB_CONFIG_LIMITS_H */
