// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The dashboard's HTML, rendered from the status document. The page is
 * complete without JavaScript (a static table, refreshed by <noscript>
 * meta refresh); the embedded script re-renders the same markup from
 * /api/status, so both paths must stay in step with dashboard_js.
 */
#include "metrics/dashboard.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_object *db_get(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (o && json_object_is_type(o, json_type_object))
		json_object_object_get_ex(o, key, &v);
	return v;
}

static const char *db_str(json_object *o, const char *key)
{
	json_object *v = db_get(o, key);

	return v ? json_object_get_string(v) : "";
}

static double db_num(json_object *o, const char *key)
{
	return json_object_get_double(db_get(o, key));
}

static size_t db_len(json_object *a)
{
	return a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

static void db_esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* 1234567 -> "1.23M": rates for a column. */
static void db_si(FILE *f, double v)
{
	static const char *const unit[] = { "", "k", "M", "G", "T" };
	int u = 0;

	while (v >= 1000 && u < 4) {
		v /= 1000;
		u++;
	}
	fprintf(f, u ? "%.2f%s" : "%.0f%s", v, unit[u]);
}

/* The same form as xlbctl: 12.3s, 4m05s, 3h02m, 2d07h. */
static void db_duration(FILE *f, double s)
{
	long long t = (long long)s;

	if (s < 60)
		fprintf(f, "%.1fs", s);
	else if (t < 3600)
		fprintf(f, "%lldm%02llds", t / 60, t % 60);
	else if (t < 86400)
		fprintf(f, "%lldh%02lldm", t / 3600, t % 3600 / 60);
	else
		fprintf(f, "%lldd%02lldh", t / 86400, t % 86400 / 3600);
}

static void db_endpoint(FILE *f, const char *addr, int port)
{
	fprintf(f, strchr(addr, ':') ? "[" : "");
	db_esc(f, addr);
	fprintf(f, strchr(addr, ':') ? "]:%d" : ":%d", port);
}

static void db_ha(FILE *f, json_object *vrrp)
{
	json_object *list = db_get(vrrp, "instances");

	fputs("<section class=\"ha\"><h2>High availability</h2>", f);
	if (!db_len(list)) {
		fputs("<p id=\"ha-none\">No VRRP instances: this node runs alone.</p></section>", f);
		return;
	}
	fputs("<table><thead><tr><th>Instance</th><th>Interface</th><th>Role</th><th>Priority</th>"
	      "<th>Master heard</th><th>Transitions</th></tr></thead><tbody>",
	      f);
	for (size_t i = 0; i < db_len(list); i++) {
		json_object *v = json_object_array_get_idx(list, i);
		json_object *peer = db_get(v, "peer");

		fputs("<tr data-instance=\"", f);
		db_esc(f, db_str(v, "name"));
		fputs("\" data-role=\"", f);
		db_esc(f, db_str(v, "state"));
		fputs("\"><td>", f);
		db_esc(f, db_str(v, "name"));
		fputs("</td><td>", f);
		db_esc(f, db_str(v, "interface"));
		fprintf(f, "</td><td class=\"role-%s\">", db_str(v, "state"));
		db_esc(f, db_str(v, "state"));
		if (db_get(v, "fault")) {
			fputs(" (", f);
			db_esc(f, db_str(v, "fault"));
			fputs(")", f);
		}
		fprintf(f, "</td><td>%d", (int)db_num(v, "priority"));
		if (db_get(v, "base_priority") && db_num(v, "base_priority") != db_num(v, "priority"))
			fprintf(f, " of %d", (int)db_num(v, "base_priority"));
		fputs("</td><td>", f);
		if (peer) {
			db_esc(f, db_str(peer, "address"));
			fprintf(f, " (priority %d)", (int)db_num(peer, "priority"));
		} else {
			fputs("-", f);
		}
		fprintf(f, "</td><td>%lld</td></tr>", (long long)db_num(v, "transitions"));
	}
	fputs("</tbody></table></section>", f);
}

static void db_real(FILE *f, json_object *r)
{
	json_object *h = db_get(r, "health"), *rate = db_get(r, "rate");
	const char *state = db_str(r, "state");

	fputs("<tr data-real=\"", f);
	db_endpoint(f, db_str(r, "address"), (int)db_num(r, "port"));
	fputs("\" data-state=\"", f);
	db_esc(f, state);
	fputs("\" class=\"st-", f);
	db_esc(f, state);
	fputs("\"><td>", f);
	db_endpoint(f, db_str(r, "address"), (int)db_num(r, "port"));
	fputs("</td><td class=\"state\">", f);
	db_esc(f, state);
	if (db_get(r, "sorry"))
		fputs(" (sorry)", f);
	fprintf(f, "</td><td>%lld</td><td>%lld</td><td>%lld</td><td>", (long long)db_num(r, "weight"),
		(long long)db_num(r, "active_conns"), (long long)db_num(r, "inactive_conns"));
	db_si(f, db_num(rate, "cps"));
	fputs("</td><td>", f);
	db_si(f, db_num(rate, "pps"));
	fputs("</td><td>", f);
	db_si(f, db_num(rate, "bps") * 8);
	fputs("</td><td>", f);
	if (h) {
		db_esc(f, db_str(h, "check"));
		fputs(" ", f);
		db_esc(f, db_str(h, "state"));
	} else {
		fputs("-", f);
	}
	fputs("</td><td class=\"reason\">", f);
	db_esc(f, *db_str(h, "reason") ? db_str(h, "reason") : *db_str(r, "problem") ? db_str(r, "problem") : "-");
	fputs("</td><td>", f);
	db_duration(f, db_num(r, "for_s"));
	fputs("</td></tr>", f);
}

static void db_service(FILE *f, json_object *s)
{
	json_object *reals = db_get(s, "reals"), *rate = db_get(s, "rate"), *q = db_get(s, "quorum");
	char proto[8];

	snprintf(proto, sizeof(proto), "%s", db_str(s, "protocol"));
	for (char *p = proto; *p; p++)
		*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
	fputs("<section class=\"svc\" data-service=\"", f);
	db_esc(f, db_str(s, "name"));
	fputs("\"><h2>", f);
	db_esc(f, db_str(s, "name"));
	fprintf(f, " <small>%s ", proto);
	db_endpoint(f, db_str(s, "vip"), (int)db_num(s, "port"));
	fputs(" ", f);
	db_esc(f, db_str(s, "scheduler"));
	fputs(" ", f);
	db_esc(f, db_str(s, "method"));
	fputs("</small></h2><p>CPS ", f);
	db_si(f, db_num(rate, "cps"));
	fputs(", InPPS ", f);
	db_si(f, db_num(rate, "pps"));
	fputs(", In bit/s ", f);
	db_si(f, db_num(rate, "bps") * 8);
	if (q)
		fprintf(f, "; healthy reals %lld (quorum %lld %s)", (long long)db_num(q, "healthy"),
			(long long)db_num(q, "min"),
			json_object_get_boolean(db_get(q, "up")) ? "met" : "LOST");
	fputs("</p><table><thead><tr><th>Real</th><th>State</th><th>Weight</th><th>ActiveConn</th>"
	      "<th>InActConn</th><th>CPS</th><th>PPS</th><th>bit/s</th><th>Health</th>"
	      "<th>Last failure</th><th>For</th></tr></thead><tbody>",
	      f);
	for (size_t j = 0; j < db_len(reals); j++)
		db_real(f, json_object_array_get_idx(reals, j));
	fputs("</tbody></table></section>", f);
}

/* Drops first (what an operator looks for), then every other counter. */
static void db_counters(FILE *f, json_object *counters)
{
	fputs("<section class=\"dp\"><h2>Data plane</h2><table><thead><tr><th>Counter</th>"
	      "<th>Value</th></tr></thead><tbody>",
	      f);
	for (int pass = 0; pass < 2 && counters; pass++) {
		json_object_object_foreach(counters, key, val) {
			bool drop = strncmp(key, "drop_", 5) == 0;

			if (drop != (pass == 0))
				continue;
			fprintf(f, "<tr data-counter=\"%s\"%s><td>", key, drop ? " class=\"drop\"" : "");
			db_esc(f, key);
			fprintf(f, "</td><td>%llu</td></tr>",
				(unsigned long long)json_object_get_uint64(val));
		}
	}
	fputs("</tbody></table></section>", f);
}

char *dashboard_page(json_object *status, size_t *len)
{
	json_object *services = db_get(status, "services");
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	if (!f)
		return NULL;
	fputs("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
	      "<meta name=\"viewport\" content=\"width=device-width\"><title>xlb</title>"
	      "<noscript><meta http-equiv=\"refresh\" content=\"5\"></noscript><style>",
	      f);
	fputs(dashboard_css, f);
	fputs("</style></head><body data-live=\"0\"><header><h1>xlb</h1><span id=\"ver\">", f);
	db_esc(f, db_str(db_get(status, "build"), "version"));
	fputs("</span><span id=\"upd\">static view</span></header><main id=\"live\">", f);
	db_ha(f, db_get(db_get(status, "ha"), "vrrp"));
	for (size_t i = 0; i < db_len(services); i++)
		db_service(f, json_object_array_get_idx(services, i));
	if (!db_len(services))
		fputs("<p>No services.</p>", f);
	db_counters(f, db_get(status, "counters"));
	fputs("</main><footer>Read-only. Live every 2 s with JavaScript; without it the page "
	      "reloads every 5 s. Data: <a href=\"api/status\">api/status</a>, "
	      "<a href=\"metrics\">metrics</a>.</footer><script>",
	      f);
	fputs(dashboard_js, f);
	fputs("</script></body></html>\n", f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}
