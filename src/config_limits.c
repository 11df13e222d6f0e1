// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The limits of config_limits.h, checked on libyaml's event stream: its cost
 * is linear up to the first excess (libyaml's scanner is quadratic in
 * nesting and its composer in anchors, so both are bounded before a tree is
 * built), and services and reals are counted where the schema has them.
 */
#include "config_limits.h"

#include <string.h>
#include <yaml.h>

#include "config_yaml.h"

void config_too_many_services(struct config_ctx *ctx, int line, size_t nth)
{
	config_err(ctx, line,
		   "service %zu: too many (expected at most %d services; the rest of the file "
		   "was not read)",
		   nth, CONFIG_SERVICES_MAX);
	ctx->stop = true;
}

void config_too_many_reals(struct config_ctx *ctx, int line, size_t nth, int service_line)
{
	config_err(ctx, line,
		   "real %zu of the service at line %d: too many (expected at most %d reals per "
		   "service; the rest of the file was not read)",
		   nth, service_line, CONFIG_SERVICE_REALS_MAX);
	ctx->stop = true;
}

void config_too_many_reals_in_all(struct config_ctx *ctx, int line, size_t nth)
{
	config_err(ctx, line,
		   "real %zu of all services: too many (expected at most %d reals in all; the "
		   "rest of the file was not read)",
		   nth, CONFIG_REALS_MAX);
	ctx->stop = true;
}

/* Where a node sits in xlb's schema, as far as the counts care. */
enum limit_role { LR_OTHER, LR_ROOT, LR_SERVICES, LR_SERVICE, LR_REALS };

struct limit_frame {
	enum limit_role role;
	bool is_map;
	bool want_key;		 /* a mapping: its next node is a key */
	enum limit_role pending; /* a mapping: the role its next value takes */
	int line;
};

struct limit_walk {
	struct config_ctx *ctx;
	struct limit_frame stack[CONFIG_DEPTH_MAX];
	int depth;
	int docs;
	size_t anchors, aliases, services, reals, service_reals;
};

static int limit_line(const yaml_event_t *e)
{
	return (int)e->start_mark.line + 1;
}

/* A node starts: counted where the schema says; the role it takes (LR_OTHER: none). */
static enum limit_role limit_node(struct limit_walk *w, const yaml_event_t *e)
{
	struct limit_frame *parent = w->depth ? &w->stack[w->depth - 1] : NULL;
	bool seq = e->type == YAML_SEQUENCE_START_EVENT, map = e->type == YAML_MAPPING_START_EVENT;
	enum limit_role pos = LR_OTHER;

	if (!parent)
		return map && w->docs == 1 ? LR_ROOT : LR_OTHER;
	if (parent->is_map && parent->want_key) {
		/* A key: only "services" at the root and "reals" in a service matter. */
		const char *k =
		    e->type == YAML_SCALAR_EVENT ? (const char *)e->data.scalar.value : "";

		parent->want_key = false;
		parent->pending = LR_OTHER;
		if (parent->role == LR_ROOT && strcmp(k, "services") == 0)
			parent->pending = LR_SERVICES;
		else if (parent->role == LR_SERVICE && strcmp(k, "reals") == 0)
			parent->pending = LR_REALS;
		return LR_OTHER;
	}
	if (parent->is_map) {
		pos = parent->pending;
		parent->want_key = true;
		return seq && (pos == LR_SERVICES || pos == LR_REALS) ? pos : LR_OTHER;
	}
	/* A list item. */
	if (parent->role == LR_SERVICES) {
		if (++w->services > CONFIG_SERVICES_MAX) {
			config_too_many_services(w->ctx, limit_line(e), w->services);
			return LR_OTHER;
		}
		w->service_reals = 0;
		return map ? LR_SERVICE : LR_OTHER;
	}
	if (parent->role == LR_REALS) {
		if (++w->service_reals > CONFIG_SERVICE_REALS_MAX)
			config_too_many_reals(w->ctx, limit_line(e), w->service_reals,
					      w->stack[w->depth - 2].line);
		else if (++w->reals > CONFIG_REALS_MAX)
			config_too_many_reals_in_all(w->ctx, limit_line(e), w->reals);
	}
	return LR_OTHER;
}

static void limit_event(struct limit_walk *w, const yaml_event_t *e)
{
	const yaml_char_t *anchor = NULL;
	enum limit_role role;

	switch (e->type) {
	case YAML_DOCUMENT_START_EVENT:
		w->docs++;
		w->depth = 0;
		return;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (w->depth)
			w->depth--;
		return;
	case YAML_ALIAS_EVENT:
		if (++w->aliases > CONFIG_ALIASES_MAX) {
			config_err(
			    w->ctx, limit_line(e),
			    "alias %zu: too many (expected at most %d aliases; the rest of the "
			    "file was not read)",
			    w->aliases, CONFIG_ALIASES_MAX);
			w->ctx->stop = true;
			return;
		}
		break;
	case YAML_SCALAR_EVENT:
		anchor = e->data.scalar.anchor;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = e->data.sequence_start.anchor;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = e->data.mapping_start.anchor;
		break;
	default:
		return;
	}
	if (anchor && ++w->anchors > CONFIG_ANCHORS_MAX) {
		config_err(
		    w->ctx, limit_line(e),
		    "anchor %zu: too many (expected at most %d anchors; the rest of the file "
		    "was not read)",
		    w->anchors, CONFIG_ANCHORS_MAX);
		w->ctx->stop = true;
		return;
	}
	role = limit_node(w, e);
	if (w->ctx->stop ||
	    (e->type != YAML_SEQUENCE_START_EVENT && e->type != YAML_MAPPING_START_EVENT))
		return;
	if (w->depth == CONFIG_DEPTH_MAX) {
		config_err(w->ctx, limit_line(e),
			   "nesting level %d: too deep (expected at most %d levels of lists and "
			   "mappings; the rest of the file was not read)",
			   w->depth + 1, CONFIG_DEPTH_MAX);
		w->ctx->stop = true;
		return;
	}
	w->stack[w->depth++] = (struct limit_frame){
	    .role = role,
	    .is_map = e->type == YAML_MAPPING_START_EVENT,
	    .want_key = true,
	    .line = limit_line(e),
	};
}

bool config_check_limits(struct config_ctx *ctx)
{
	struct limit_walk w = {.ctx = ctx};
	yaml_parser_t parser;
	bool end = false;

	if (!yaml_parser_initialize(&parser)) {
		ctx->oom = true;
		return false;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)ctx->text, ctx->text_len);
	while (!end && !ctx->stop) {
		yaml_event_t e;

		/* A syntax error: the parser proper reports it, with what came before. */
		if (!yaml_parser_parse(&parser, &e))
			break;
		end = e.type == YAML_STREAM_END_EVENT;
		limit_event(&w, &e);
		yaml_event_delete(&e);
	}
	yaml_parser_delete(&parser);
	return !ctx->stop;
}
