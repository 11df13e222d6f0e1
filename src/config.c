// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Reads xlb.yaml into struct xlb_config, reporting every problem with its
 * line: the file (type, size, limits), the YAML document, and the top-level
 * keys. interfaces:, flows: and the paths are read here; each other section
 * by its own parser into its own struct (service_config.c, ha/ha_config.c,
 * metrics/metrics_config.c), all on the helpers of config_yaml.c.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <yaml.h>

#include "config_limits.h"
#include "config_yaml.h"
#include "sched/sched.h"

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

static const char *const config_mode_names[] = {
	[ATTACH_NATIVE] = "native",
	[ATTACH_GENERIC] = "generic",
	[ATTACH_TC] = "tc",
};

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

enum { CK_INTERFACES, CK_CONTROL_SOCKET, CK_BPF_PIN_DIR, CK_FLOWS, CK_SERVICES, CK_HA, CK_METRICS,
       CK_BGP, CK__COUNT };
static const char *const config_root_keys[CK__COUNT] = {
	"interfaces", "control_socket", "bpf_pin_dir", "flows", "services", "ha", "metrics", "bgp",
};

/*
 * Active-active (ha: sync: mode:): a TCP packet without a flow on this LB
 * belongs to a connection another LB scheduled (ECMP moved it) or is new.
 * Its real is in the record that LB sends within milliseconds; a guess now
 * (wlc, rr, ...) would pin a real that may be wrong, and our own entry would
 * then win over the record (kept_local). Dropped, the packet is
 * retransmitted by the client once the record is here. mh needs no record:
 * the hash finds the same real. A service's own midstream: wins. The LBs
 * are active-active whether or not sync runs now.
 */
static void config_apply_sync_mode(struct xlb_config *cfg)
{
	if (cfg->ha.sync.mode != HA_SYNC_ACTIVE_ACTIVE)
		return;
	for (size_t i = 0; i < cfg->nservices; i++) {
		struct service_config *svc = &cfg->services[i];

		if (!svc->midstream_set && svc->sched != SCHED_MH)
			svc->midstream_drop = true;
	}
}

/* ha: sees services: through struct ha_services, and what it means for them is applied here. */
static void config_parse_ha(struct config_ctx *ctx, yaml_node_t *n, struct xlb_config *cfg)
{
	struct net_addr *vips = NULL;
	const char **names = NULL;
	struct ha_services svcs = { NULL, NULL, 0 };

	if (cfg->nservices) {
		vips = config_calloc(ctx, cfg->nservices, sizeof(*vips));
		names = config_calloc(ctx, cfg->nservices, sizeof(*names));
		if (!vips || !names)
			goto out;
		for (size_t i = 0; i < cfg->nservices; i++) {
			vips[i] = cfg->services[i].vip;
			names[i] = cfg->services[i].name;
		}
		svcs = (struct ha_services){ vips, names, cfg->nservices };
	}
	ha_config_parse(ctx, n, &svcs, &cfg->ha);
	config_apply_sync_mode(cfg);
out:
	free(vips);
	free(names);
}

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
		service_config_parse(ctx, slots[CK_SERVICES].val, &cfg->services, &cfg->nservices);
	if (ctx->stop)
		return;
	/* After services: VRRP addresses default to their VIPs. */
	if (slots[CK_HA].val)
		config_parse_ha(ctx, slots[CK_HA].val, cfg);
	if (slots[CK_METRICS].val)
		metrics_config_parse(ctx, slots[CK_METRICS].val, &cfg->metrics);
	if (slots[CK_BGP].val)
		bgp_config_parse(ctx, slots[CK_BGP].val, cfg->control_socket, &cfg->bgp);
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
	service_config_free(cfg->services, cfg->nservices);
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

const char *config_attach_mode_name(enum attach_mode mode)
{
	if ((unsigned int)mode >= ARRAY_SIZE(config_mode_names))
		return "unknown";
	return config_mode_names[mode];
}
