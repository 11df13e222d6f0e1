// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The import model as xlb.yaml. libyaml's emitter cannot write comments,
 * and the comments are the point (every input concept xlb does not carry
 * over stays where it was), so this writes the text itself; strings that
 * are not plainly safe are double-quoted with YAML escapes.
 */
#include "xlb_import.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define YAML_WRAP 100

/* Plain scalars only where YAML cannot read them as anything but this string. */
static bool yaml_plain_ok(const char *s)
{
	static const char *const special[] = { "true", "false", "yes", "no", "on", "off",
					       "null", "y", "n", "~" };
	bool digits = true;

	if (!*s || *s == '-' || *s == '.')
		return false;
	for (const char *c = s; *c; c++) {
		if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
		      (*c >= '0' && *c <= '9') || *c == '_' || *c == '.' || *c == '-' ||
		      *c == '/'))
			return false;
		if (!(*c >= '0' && *c <= '9') && *c != '.')
			digits = false;
	}
	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++)
		if (!strcasecmp(s, special[i]))
			return false;
	return !digits;
}

static void yaml_str(FILE *out, const char *s)
{
	if (yaml_plain_ok(s)) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c == '"' || *c == '\\')
			fprintf(out, "\\%c", *c);
		else if (*c == '\n')
			fputs("\\n", out);
		else if (*c == '\t')
			fputs("\\t", out);
		else if (*c < 0x20 || *c == 0x7f)
			fprintf(out, "\\x%02x", *c);
		else
			fputc(*c, out);
	}
	fputc('"', out);
}

/* An address: plain for IPv4, quoted for IPv6 (its colons would be ambiguous in a flow list). */
static void yaml_addr(FILE *out, const char *a)
{
	if (strchr(a, ':'))
		fprintf(out, "\"%s\"", a);
	else
		fputs(a, out);
}

/* A comment, wrapped at spaces; continuation lines are indented under the text. */
static void yaml_comment(FILE *out, int indent, const char *text)
{
	const char *p = text;
	bool first = true;

	while (*p) {
		int room = YAML_WRAP - indent - (first ? 2 : 4);
		size_t len = strlen(p), cut = len;

		if (room < 40)
			room = 40;
		if (len > (size_t)room) {
			cut = (size_t)room;
			while (cut > 0 && p[cut] != ' ')
				cut--;
			if (!cut)
				cut = (size_t)room;
		}
		fprintf(out, "%*s#%s", indent, "", first ? " " : "   ");
		for (size_t i = 0; i < cut; i++)
			fputc(p[i] == '\t' ? ' ' : (unsigned char)p[i] < 0x20 ? '?' : p[i], out);
		fputc('\n', out);
		p += cut;
		while (*p == ' ')
			p++;
		first = false;
	}
}

static void yaml_notes(const struct imp_config *cfg, FILE *out, int indent,
		       const struct imp_notes *notes)
{
	for (size_t i = 0; i < notes->n; i++) {
		const struct imp_note *n = &notes->v[i];
		char *line;
		int r;

		if (n->kind == IMP_NOTE_COMMENTED)
			r = asprintf(&line, "%s%s%s: %s", cfg->tool, n->where[0] ? " " : "", n->where,
				     n->text);
		else if (n->where[0])
			r = asprintf(&line, "xlb: %s (%s)", n->text, n->where);
		else
			r = asprintf(&line, "xlb: %s", n->text);
		if (r < 0)
			continue;
		yaml_comment(out, indent, line);
		free(line);
	}
}

static void yaml_health(const struct imp_config *cfg, FILE *out, const struct imp_health *h)
{
	char d[32];

	if (!h->set)
		return;
	fprintf(out, "    health:\n");
	yaml_notes(cfg, out, 6, &h->notes);
	fprintf(out, "      check: %s\n", imp_health_kind_name(h->kind));
	if (h->port)
		fprintf(out, "      port: %u\n", h->port);
	if ((h->kind == HEALTH_HTTP || h->kind == HEALTH_HTTPS) && strcmp(h->path, "/")) {
		fprintf(out, "      path: ");
		yaml_str(out, h->path);
		fputc('\n', out);
	}
	if (h->host[0]) {
		fprintf(out, "      host: ");
		yaml_str(out, h->host);
		fputc('\n', out);
	}
	if (h->expect_status)
		fprintf(out, "      expect_status: %u\n", h->expect_status);
	if (h->expect_body[0]) {
		fprintf(out, "      expect_body: ");
		yaml_str(out, h->expect_body);
		fputc('\n', out);
	}
	if (h->send[0]) {
		fprintf(out, "      send: ");
		yaml_str(out, h->send);
		fputc('\n', out);
	}
	if (h->expect[0]) {
		fprintf(out, "      expect: \"");
		for (const char *c = h->expect; *c; c++)
			fprintf(out, (*c == '"' || *c == '\\') ? "\\%c" : "%c", *c);
		fprintf(out, "\"\n");
	}
	if (h->dns_name[0]) {
		fprintf(out, "      dns_name: ");
		yaml_str(out, h->dns_name);
		fputc('\n', out);
	}
	if (h->command[0]) {
		fprintf(out, "      command: ");
		yaml_str(out, h->command);
		fputc('\n', out);
	}
	fprintf(out, "      interval: %s\n", imp_duration(h->interval_ms, d, sizeof(d)));
	fprintf(out, "      timeout: %s\n", imp_duration(h->timeout_ms, d, sizeof(d)));
	fprintf(out, "      rise: %u\n", h->rise);
	fprintf(out, "      fall: %u\n", h->fall);
	if (h->on_failure == HEALTH_ON_FAILURE_WEIGHT0)
		fprintf(out, "      on_failure: weight0\n");
}

static void yaml_service(const struct imp_config *cfg, FILE *out, const struct imp_service *s)
{
	char d[32];

	yaml_notes(cfg, out, 2, &s->notes);
	if (s->omitted)
		return;
	fprintf(out, "  - name: %s\n", s->name);
	fprintf(out, "    vip: %s\n", s->vip);
	fprintf(out, "    port: %u\n", s->port);
	fprintf(out, "    protocol: %s\n", s->udp ? "udp" : "tcp");
	fprintf(out, "    method: %s\n", s->method);
	if (s->gue_port)
		fprintf(out, "    gue_port: %u\n", s->gue_port);
	fprintf(out, "    scheduler: %s\n", s->scheduler);
	if (s->flag_port || s->flag_fallback)
		fprintf(out, "    scheduler_flags: [%s%s%s]\n", s->flag_port ? "port" : "",
			s->flag_port && s->flag_fallback ? ", " : "",
			s->flag_fallback ? "fallback" : "");
	if (s->persistence_ms)
		fprintf(out, "    persistence: %s\n", imp_duration(s->persistence_ms, d, sizeof(d)));
	yaml_health(cfg, out, &s->health);
	if (s->has_sorry) {
		fprintf(out, "    sorry: {address: ");
		yaml_addr(out, s->sorry_addr);
		if (s->sorry_port)
			fprintf(out, ", port: %u", s->sorry_port);
		fprintf(out, "}\n");
	}
	if (s->quorum)
		fprintf(out, "    quorum: %u\n", s->quorum);
	fprintf(out, "    reals:\n");
	for (size_t i = 0; i < s->nreals; i++) {
		const struct imp_real *r = &s->reals[i];

		yaml_notes(cfg, out, 6, &r->notes);
		fprintf(out, "      - address: %s\n", r->addr);
		if (r->port)
			fprintf(out, "        port: %u\n", r->port);
		fprintf(out, "        weight: %u\n", r->weight);
		if (r->check_addr[0])
			fprintf(out, "        check_address: %s\n", r->check_addr);
		if (r->check_port)
			fprintf(out, "        check_port: %u\n", r->check_port);
	}
}

static void yaml_list(FILE *out, const char *key, char list[][IMP_ADDR_MAX], size_t n)
{
	fprintf(out, "      %s: [", key);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputs(", ", out);
		yaml_addr(out, list[i]);
	}
	fputs("]\n", out);
}

static void yaml_vrrp(const struct imp_config *cfg, FILE *out, const struct imp_vrrp *v)
{
	char d[32];

	yaml_notes(cfg, out, 4, &v->notes);
	if (v->omitted)
		return;
	fprintf(out, "    - name: %s\n", v->name);
	fprintf(out, "      interface: %s\n", v->iface);
	fprintf(out, "      vrid: %u\n", v->vrid);
	fprintf(out, "      priority: %u\n", v->priority);
	fprintf(out, "      advert_interval: %s\n", imp_duration(v->advert_ms, d, sizeof(d)));
	fprintf(out, "      preempt: %s\n", v->preempt ? "true" : "false");
	if (v->preempt_delay_ms)
		fprintf(out, "      preempt_delay: %s\n",
			imp_duration(v->preempt_delay_ms, d, sizeof(d)));
	yaml_list(out, "addresses", (char(*)[IMP_ADDR_MAX])v->addrs, v->naddrs);
	if (v->npeers)
		yaml_list(out, "unicast_peers", (char(*)[IMP_ADDR_MAX])v->peers, v->npeers);
	if (v->ntracks) {
		fputs("      track_interface: [", out);
		for (size_t i = 0; i < v->ntracks; i++) {
			fputs(i ? ", " : "", out);
			if (v->tracks[i].weight)
				fprintf(out, "{name: %s, weight: %d}", v->tracks[i].name,
					v->tracks[i].weight);
			else
				fputs(v->tracks[i].name, out);
		}
		fputs("]\n", out);
	}
}

/* xlb must be told where its data plane attaches; keepalived never says. */
static void yaml_interfaces(struct imp_config *cfg, FILE *out)
{
	fprintf(out, "interfaces:\n");
	if (cfg->ifaces_given) {
		yaml_comment(out, 2, "xlb: the interfaces given with --interface");
	} else {
		for (size_t i = 0; i < cfg->nvrrp; i++)
			if (!cfg->vrrp[i].omitted)
				imp_add_iface(cfg, cfg->vrrp[i].iface);
		if (cfg->nifaces) {
			yaml_comment(out, 2,
				     "xlb: where the data plane attaches, where client traffic for the "
				     "VIPs arrives; the input does not say, so these are the VRRP "
				     "instances' interfaces (set them with --interface)");
		} else {
			imp_add_iface(cfg, "eth0");
			yaml_comment(out, 2,
				     "xlb: PLACEHOLDER: where the data plane attaches, where client "
				     "traffic for the VIPs arrives; the input does not say, so set it "
				     "here or with --interface (xlbd -t does not check that it exists)");
		}
	}
	for (size_t i = 0; i < cfg->nifaces; i++)
		fprintf(out, "  - name: %s\n", cfg->ifaces[i]);
}

void imp_write_yaml(struct imp_config *cfg, FILE *out)
{
	bool any_vrrp = cfg->nvrrp > 0;
	char head[600];

	fprintf(out, "# xlb.yaml written by xlbctl import %s from %s\n", cfg->tool, cfg->source);
	snprintf(head, sizeof(head),
		 "Comments \"%s FILE:LINE: ...\" keep what xlb has no equivalent for, and why; "
		 "\"xlb: ...\" ones say how a value was derived. Check the result with "
		 "xlbd -t -c FILE. The mapping: docs/MIGRATION.md.",
		 cfg->tool);
	yaml_comment(out, 0, head);
	if (cfg->notes.n) {
		fputs("\n", out);
		yaml_notes(cfg, out, 0, &cfg->notes);
	}
	fputs("\n", out);
	yaml_interfaces(cfg, out);
	if (!cfg->nservices) {
		fprintf(out, "services: []\n");
	} else {
		fprintf(out, "services:\n");
		for (size_t i = 0; i < cfg->nservices; i++)
			yaml_service(cfg, out, &cfg->services[i]);
	}
	if (any_vrrp) {
		fprintf(out, "ha:\n  vrrp:\n");
		for (size_t i = 0; i < cfg->nvrrp; i++)
			yaml_vrrp(cfg, out, &cfg->vrrp[i]);
	}
	if (cfg->trailer.n) {
		fputs("\n", out);
		yaml_notes(cfg, out, 0, &cfg->trailer);
	}
}
