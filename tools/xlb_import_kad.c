// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * keepalived's top level into the import model: global_defs, the blocks
 * with no xlb equivalent (kept as comments saying why), and dispatch to
 * virtual_server (xlb_import_kad_lvs.c) and vrrp_instance (_vrrp.c).
 */
#include "xlb_import.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void kad_err(struct kad_ctx *k, const struct kad_node *n, const char *fmt, ...)
{
	char where[600];
	va_list ap;

	fprintf(k->err, "%s: ", kad_where(n, where, sizeof(where)));
	va_start(ap, fmt);
	vfprintf(k->err, fmt, ap);
	va_end(ap);
	fputc('\n', k->err);
	k->errors++;
}

const char *kad_text(const struct kad_node *n, char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n->nwords && off + 1 < size; i++) {
		int w = snprintf(buf + off, size - off, "%s%s", i ? " " : "", n->words[i]);

		if (w < 0)
			break;
		off += (size_t)w;
	}
	if (n->block && off + 1 < size)
		snprintf(buf + off, size - off, " { ... }");
	/* One comment line: no control characters, nothing the emitter would have to escape. */
	for (char *c = buf; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	if (strlen(buf) > 100)
		memcpy(buf + 96, "...", 4);
	return buf;
}

static void kad_vnote(struct kad_ctx *k, struct imp_notes *notes, enum imp_note_kind kind,
		      const struct kad_node *n, const char *what, const char *fmt, va_list ap)
{
	char where[600], text[160], *reason;

	(void)k;
	if (vasprintf(&reason, fmt, ap) < 0) {
		fprintf(stderr, "xlbctl import: out of memory\n");
		exit(1);
	}
	if (!what)
		what = n->nwords ? n->words[0] : "";
	imp_note(notes, kind, kad_where(n, where, sizeof(where)), what, "%s: %s",
		 kad_text(n, text, sizeof(text)), reason);
	free(reason);
}

void kad_comment(struct kad_ctx *k, struct imp_notes *notes, const struct kad_node *n,
		 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kad_vnote(k, notes, IMP_NOTE_COMMENTED, n, NULL, fmt, ap);
	va_end(ap);
}

void kad_comment_as(struct kad_ctx *k, struct imp_notes *notes, const struct kad_node *n,
		    const char *what, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kad_vnote(k, notes, IMP_NOTE_COMMENTED, n, what, fmt, ap);
	va_end(ap);
}

void kad_info(struct kad_ctx *k, struct imp_notes *notes, const struct kad_node *n,
	      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kad_vnote(k, notes, IMP_NOTE_INFO, n, NULL, fmt, ap);
	va_end(ap);
}

/* Why a top-level block or global_defs key has no place in xlb.yaml. */
static const struct {
	const char *keyword, *reason;
} kad_top_reasons[] = {
	{ "router_id", "xlb has no router id (its logs name the VRRP instances)" },
	{ "notification_email", "xlb sends no mail; it logs every state change" },
	{ "notification_email_from", "xlb sends no mail; it logs every state change" },
	{ "smtp_server", "xlb sends no mail; it logs every state change" },
	{ "smtp_connect_timeout", "xlb sends no mail; it logs every state change" },
	{ "smtp_helo_name", "xlb sends no mail; it logs every state change" },
	{ "smtp_alert", "xlb sends no mail; it logs every state change" },
	{ "lvs_sync_daemon",
	  "xlb's connection sync is ha.sync (peers and a key, not an interface; docs/HA.md)" },
	{ "enable_script_security", "xlb runs script checks itself, as root (docs/CONFIG.md)" },
	{ "script_user", "xlb runs script checks itself, as root (docs/CONFIG.md)" },
	{ "vrrp_strict", "xlb speaks plain RFC 5798 VRRPv3 and adds no firewall rules" },
	{ "vrrp_iptables", "xlb adds no firewall rules for the VIPs" },
	{ "vrrp_sync_group",
	  "xlb has no sync groups: each VRRP instance elects on its own (give grouped instances "
	  "the same priorities)" },
	{ "vrrp_script", "xlb does not track scripts: an instance's priority stays as configured" },
	{ "vrrp_track_process",
	  "xlb does not track processes: an instance's priority stays as configured" },
	{ "track_file", "xlb does not track files: an instance's priority stays as configured" },
	{ "static_ipaddress", "xlb manages only the VRRP addresses; add static ones with the system's network config" },
	{ "static_routes", "xlb adds no routes; use the system's network config" },
	{ "static_rules", "xlb adds no policy rules; use the system's network config" },
	{ "bfd_instance", "xlb has no BFD" },
	{ "garp_group", "xlb announces a new master at fixed times (docs/HA.md)" },
	{ "net_namespace", "run xlbd inside the namespace instead (ip netns exec)" },
	{ "linkbeat_use_polling", "xlb does not watch links (docs/HA.md, limits)" },
	{ "SSL", "xlb's https check uses the system CAs; no client certificate" },
	{ "instance", "xlb runs one daemon per config file" },
	{ "use_pid_dir", "xlbd's pid handling is systemd's" },
};

static const char *kad_top_reason(const char *kw)
{
	for (size_t i = 0; i < sizeof(kad_top_reasons) / sizeof(kad_top_reasons[0]); i++)
		if (strcmp(kad_top_reasons[i].keyword, kw) == 0)
			return kad_top_reasons[i].reason;
	if (!strncmp(kw, "vrrp_garp", 9) || !strncmp(kw, "vrrp_gna", 8))
		return "xlb announces a new master at fixed times, 0, 100, 1100 and 2100 ms after it "
		       "takes over (docs/HA.md)";
	if (!strncmp(kw, "notify", 6))
		return "xlb runs no notify scripts; it logs every state change";
	if (!strncmp(kw, "snmp", 4) || !strncmp(kw, "enable_snmp", 11) || !strncmp(kw, "enable_traps", 12))
		return "xlb has no SNMP; xlbctl --json list/ha gives the state";
	if (!strncmp(kw, "dbus", 4) || !strncmp(kw, "enable_dbus", 11))
		return "xlb has no D-Bus interface; xlbctl --json gives the state";
	return "no xlb equivalent";
}

static void kad_global_defs(struct kad_ctx *k, const struct kad_node *g)
{
	struct imp_config *cfg = k->cfg;
	uint64_t v;

	for (size_t i = 0; i < g->nkids; i++) {
		const struct kad_node *n = &g->kids[i];
		const char *kw = n->words[0];

		if (!strcmp(kw, "vrrp_version") && n->nwords >= 2) {
			if (!imp_parse_uint(n->words[1], 2, 3, &v)) {
				kad_err(k, n, "bad vrrp_version '%s' (expected 2 or 3)", n->words[1]);
				continue;
			}
			k->vrrp_version = (int)v;
			cfg->mapped++;
		} else if (!strcmp(kw, "default_interface") && n->nwords >= 2 &&
			   imp_ifname_ok(n->words[1])) {
			snprintf(k->default_iface, sizeof(k->default_iface), "%s", n->words[1]);
			cfg->mapped++;
		} else {
			kad_comment(k, &cfg->notes, n, "%s", kad_top_reason(kw));
		}
	}
}

static void kad_top(struct kad_ctx *k, const struct kad_node *n)
{
	const char *kw = n->words[0];

	if (!strcmp(kw, "global_defs") && n->block) {
		k->cfg->mapped++;
		kad_global_defs(k, n);
	} else if (!strcmp(kw, "virtual_server") && n->block) {
		kad_map_virtual_server(k, n);
	} else if (!strcmp(kw, "vrrp_instance") && n->block) {
		kad_map_vrrp_instance(k, n);
	} else if (!strcmp(kw, "virtual_server_group")) {
		; /* collected before; mapped with the virtual_server that uses it */
	} else {
		kad_comment(k, &k->cfg->notes, n, "%s", kad_top_reason(kw));
	}
}

/* A group no virtual_server refers to would vanish without a word. */
static void kad_unused_groups(struct kad_ctx *k, const struct kad_doc *doc)
{
	for (size_t i = 0; i < k->ngroups; i++) {
		const struct kad_node *g = k->groups[i];
		bool used = false;

		for (size_t j = 0; j < doc->root.nkids && !used; j++) {
			const struct kad_node *n = &doc->root.kids[j];

			used = !strcmp(n->words[0], "virtual_server") && n->nwords >= 3 &&
			       !strcmp(n->words[1], "group") && !strcmp(n->words[2], g->words[1]);
		}
		if (!used)
			kad_comment(k, &k->cfg->notes, g,
				    "no virtual_server uses this group, so keepalived balances none of it");
	}
}

int kad_map(const struct kad_doc *doc, struct imp_config *cfg, FILE *err)
{
	struct kad_ctx k = { .cfg = cfg, .err = err, .vrrp_version = 2 };

	for (size_t i = 0; i < doc->skipped.n; i++) {
		const struct imp_note *s = &doc->skipped.v[i];

		imp_note(&cfg->notes, s->kind, s->where, s->what, "%s", s->text);
	}
	/* global_defs first: vrrp_version and default_interface apply to every instance. */
	for (size_t i = 0; i < doc->root.nkids; i++) {
		const struct kad_node *n = &doc->root.kids[i];

		if (!strcmp(n->words[0], "virtual_server_group") && n->block) {
			if (n->nwords < 2) {
				kad_err(&k, n, "virtual_server_group without a name (expected virtual_server_group NAME {)");
				continue;
			}
			if (k.ngroups == sizeof(k.groups) / sizeof(k.groups[0])) {
				kad_err(&k, n, "more than %zu virtual_server_groups (expected fewer)",
					sizeof(k.groups) / sizeof(k.groups[0]));
				continue;
			}
			k.groups[k.ngroups++] = n;
		}
	}
	for (size_t i = 0; i < doc->root.nkids; i++)
		if (!strcmp(doc->root.kids[i].words[0], "global_defs") && doc->root.kids[i].block)
			kad_top(&k, &doc->root.kids[i]);
	for (size_t i = 0; i < doc->root.nkids; i++)
		if (strcmp(doc->root.kids[i].words[0], "global_defs") || !doc->root.kids[i].block)
			kad_top(&k, &doc->root.kids[i]);
	kad_unused_groups(&k, doc);
	return k.errors ? -1 : 0;
}
