// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The import model: allocation, notes, and the value rules xlb's config reader applies. */
#include "xlb_import.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sched/sched.h"

static void *imp_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q) {
		fprintf(stderr, "xlbctl import: out of memory\n");
		exit(1);
	}
	return q;
}

static char *imp_xstrdup(const char *s)
{
	char *d = strdup(s ? s : "");

	if (!d) {
		fprintf(stderr, "xlbctl import: out of memory\n");
		exit(1);
	}
	return d;
}

void imp_config_init(struct imp_config *cfg, const char *tool, const char *source)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->tool = tool;
	cfg->source = source;
}

static void imp_notes_free(struct imp_notes *notes)
{
	for (size_t i = 0; i < notes->n; i++) {
		free(notes->v[i].where);
		free(notes->v[i].what);
		free(notes->v[i].text);
	}
	free(notes->v);
	memset(notes, 0, sizeof(*notes));
}

static void imp_service_free(struct imp_service *s)
{
	for (size_t j = 0; j < s->nreals; j++)
		imp_notes_free(&s->reals[j].notes);
	free(s->reals);
	imp_notes_free(&s->health.notes);
	imp_notes_free(&s->notes);
}

void imp_config_free(struct imp_config *cfg)
{
	for (size_t i = 0; i < cfg->nservices; i++)
		imp_service_free(&cfg->services[i]);
	free(cfg->services);
	for (size_t i = 0; i < cfg->nvrrp; i++)
		imp_notes_free(&cfg->vrrp[i].notes);
	free(cfg->vrrp);
	for (size_t i = 0; i < cfg->nifaces; i++)
		free(cfg->ifaces[i]);
	free(cfg->ifaces);
	imp_notes_free(&cfg->notes);
	imp_notes_free(&cfg->trailer);
	memset(cfg, 0, sizeof(*cfg));
}

void imp_note(struct imp_notes *notes, enum imp_note_kind kind, const char *where,
	      const char *what, const char *fmt, ...)
{
	struct imp_note *n;
	va_list ap;
	char *text;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	if (!text) {
		fprintf(stderr, "xlbctl import: out of memory\n");
		exit(1);
	}
	if (notes->n == notes->cap) {
		notes->cap = notes->cap ? notes->cap * 2 : 4;
		notes->v = imp_xrealloc(notes->v, notes->cap * sizeof(*notes->v));
	}
	n = &notes->v[notes->n++];
	n->kind = kind;
	n->where = imp_xstrdup(where);
	n->what = imp_xstrdup(what);
	n->text = text;
}

struct imp_service *imp_add_service(struct imp_config *cfg)
{
	struct imp_service *s;

	if (cfg->nservices == cfg->svc_cap) {
		cfg->svc_cap = cfg->svc_cap ? cfg->svc_cap * 2 : 8;
		cfg->services = imp_xrealloc(cfg->services, cfg->svc_cap * sizeof(*cfg->services));
	}
	s = &cfg->services[cfg->nservices++];
	memset(s, 0, sizeof(*s));
	s->method = "nat";
	s->scheduler = "wlc";
	return s;
}

void imp_drop_last_service(struct imp_config *cfg)
{
	if (!cfg->nservices)
		return;
	imp_service_free(&cfg->services[--cfg->nservices]);
}

struct imp_real *imp_add_real(struct imp_service *svc)
{
	struct imp_real *r;

	if (svc->nreals == svc->cap) {
		svc->cap = svc->cap ? svc->cap * 2 : 4;
		svc->reals = imp_xrealloc(svc->reals, svc->cap * sizeof(*svc->reals));
	}
	r = &svc->reals[svc->nreals++];
	memset(r, 0, sizeof(*r));
	r->weight = 1;
	return r;
}

struct imp_vrrp *imp_add_vrrp(struct imp_config *cfg)
{
	struct imp_vrrp *v;

	if (cfg->nvrrp == cfg->vrrp_cap) {
		cfg->vrrp_cap = cfg->vrrp_cap ? cfg->vrrp_cap * 2 : 4;
		cfg->vrrp = imp_xrealloc(cfg->vrrp, cfg->vrrp_cap * sizeof(*cfg->vrrp));
	}
	v = &cfg->vrrp[cfg->nvrrp++];
	memset(v, 0, sizeof(*v));
	v->priority = HA_VRRP_DEFAULT_PRIORITY;
	v->advert_ms = 1000;
	v->preempt = true;
	return v;
}

/* 1 if added, 0 if already there. */
int imp_add_iface(struct imp_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nifaces; i++)
		if (strcmp(cfg->ifaces[i], name) == 0)
			return 0;
	cfg->ifaces = imp_xrealloc(cfg->ifaces, (cfg->nifaces + 1) * sizeof(*cfg->ifaces));
	cfg->ifaces[cfg->nifaces++] = imp_xstrdup(name);
	return 1;
}

int imp_addr_canon(const char *s, char *out, size_t size)
{
	unsigned char buf[16];

	if (inet_pton(AF_INET, s, buf) == 1)
		return inet_ntop(AF_INET, buf, out, (socklen_t)size) ? AF_INET : 0;
	if (inet_pton(AF_INET6, s, buf) == 1)
		return inet_ntop(AF_INET6, buf, out, (socklen_t)size) ? AF_INET6 : 0;
	return 0;
}

bool imp_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || !*s)
		return false;
	for (const char *c = s; *c; c++) {
		if (*c < '0' || *c > '9')
			return false;
		v = v * 10 + (uint64_t)(*c - '0');
		if (v > max)
			return false;
	}
	if (v < min)
		return false;
	*out = v;
	return true;
}

bool imp_parse_seconds(const char *s, uint64_t *ms)
{
	uint64_t whole = 0, us = 0, scale = 100000;
	const char *c = s;

	if (!s || !*s)
		return false;
	for (; *c >= '0' && *c <= '9'; c++) {
		whole = whole * 10 + (uint64_t)(*c - '0');
		if (whole > UINT32_MAX)
			return false;
	}
	if (*c == '.') {
		c++;
		if (!*c)
			return false;
		for (; *c >= '0' && *c <= '9'; c++) {
			if (!scale)
				return false; /* keepalived's timers stop at microseconds */
			us += (uint64_t)(*c - '0') * scale;
			scale /= 10;
		}
	}
	if (*c || c == s)
		return false;
	*ms = whole * 1000 + (us + 999) / 1000;
	return true;
}

bool imp_ifname_ok(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len >= IF_NAMESIZE || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || *s <= ' ' || *s == 0x7f)
			return false;
	return true;
}

void imp_make_name(char *out, size_t size, const char *base)
{
	size_t n = 0;

	for (; *base && n + 1 < size && n < CONFIG_NAME_MAX - 1; base++) {
		char c = *base;
		bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			  (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';

		out[n++] = ok ? c : '_';
	}
	if (!n && size > 1)
		out[n++] = '_';
	out[n] = '\0';
}

void imp_unique_service_name(struct imp_config *cfg, struct imp_service *svc, const char *base)
{
	char name[CONFIG_NAME_MAX], try[CONFIG_NAME_MAX + 16];

	imp_make_name(name, sizeof(name), base);
	snprintf(try, sizeof(try), "%s", name);
	for (unsigned k = 2;; k++) {
		bool taken = false;

		for (size_t i = 0; i < cfg->nservices; i++)
			taken |= &cfg->services[i] != svc && !cfg->services[i].omitted && strcmp(cfg->services[i].name, try) == 0;
		if (!taken && strlen(try) < CONFIG_NAME_MAX)
			break;
		/* Keep room for the suffix within xlb's 63 characters. */
		name[CONFIG_NAME_MAX - 8] = '\0';
		snprintf(try, sizeof(try), "%s-%u", name, k);
	}
	snprintf(svc->name, sizeof(svc->name), "%s", try);
}

bool imp_service_duplicate(const struct imp_config *cfg, const struct imp_service *svc, char *who,
			   size_t size)
{
	for (size_t i = 0; i < cfg->nservices; i++) {
		const struct imp_service *o = &cfg->services[i];

		if (o == svc || o->omitted || o->port != svc->port || o->udp != svc->udp ||
		    strcmp(o->vip, svc->vip) != 0)
			continue;
		snprintf(who, size, "%s", o->name);
		return true;
	}
	return false;
}

const char *imp_duration(uint32_t ms, char *buf, size_t size)
{
	if (ms && ms % 3600000 == 0)
		snprintf(buf, size, "%uh", ms / 3600000);
	else if (ms && ms % 60000 == 0 && ms >= 600000)
		snprintf(buf, size, "%um", ms / 60000);
	else if (ms % 1000 == 0)
		snprintf(buf, size, "%us", ms / 1000);
	else
		snprintf(buf, size, "%ums", ms);
	return buf;
}

const char *imp_health_kind_name(unsigned kind)
{
	static const char *const names[HEALTH__COUNT] = {
		[HEALTH_NONE] = "none", [HEALTH_ICMP] = "icmp",	  [HEALTH_ARP] = "arp",
		[HEALTH_TCP] = "tcp",	[HEALTH_TCP_HALF_OPEN] = "tcp-half-open",
		[HEALTH_HTTP] = "http", [HEALTH_HTTPS] = "https", [HEALTH_UDP] = "udp",
		[HEALTH_DNS] = "dns",	[HEALTH_SCRIPT] = "script",
	};

	return kind < HEALTH__COUNT ? names[kind] : "none";
}

const char *imp_scheduler(const char *ipvs)
{
	/* xlb implements every IPVS scheduler under its IPVS name (docs/SCHEDULERS.md). */
	int id = sched_lookup(ipvs);

	return id < 0 ? NULL : sched_get((enum sched_id)id)->name;
}

static void imp_count_notes(const struct imp_notes *notes, unsigned *commented, unsigned *info)
{
	for (size_t i = 0; i < notes->n; i++) {
		if (notes->v[i].kind == IMP_NOTE_COMMENTED)
			(*commented)++;
		else
			(*info)++;
	}
}

/* Every note list of the model, once each. */
static void imp_each_notes(const struct imp_config *cfg,
			   void (*fn)(const struct imp_notes *, void *), void *arg)
{
	fn(&cfg->notes, arg);
	fn(&cfg->trailer, arg);
	for (size_t i = 0; i < cfg->nservices; i++) {
		const struct imp_service *s = &cfg->services[i];

		fn(&s->notes, arg);
		fn(&s->health.notes, arg);
		for (size_t j = 0; j < s->nreals; j++)
			fn(&s->reals[j].notes, arg);
	}
	for (size_t i = 0; i < cfg->nvrrp; i++)
		fn(&cfg->vrrp[i].notes, arg);
}

struct imp_counts {
	unsigned commented, info;
};

static void imp_count_one(const struct imp_notes *notes, void *arg)
{
	struct imp_counts *c = arg;

	imp_count_notes(notes, &c->commented, &c->info);
}

void imp_count(const struct imp_config *cfg, unsigned *commented, unsigned *info)
{
	struct imp_counts c = { 0, 0 };

	imp_each_notes(cfg, imp_count_one, &c);
	*commented = c.commented;
	*info = c.info;
}

#define IMP_KEYWORDS_MAX 128

struct imp_keywords {
	const char *what[IMP_KEYWORDS_MAX];
	unsigned count[IMP_KEYWORDS_MAX];
	size_t n;
	unsigned other;
};

static void imp_keywords_one(const struct imp_notes *notes, void *arg)
{
	struct imp_keywords *kw = arg;

	for (size_t i = 0; i < notes->n; i++) {
		size_t k;

		if (notes->v[i].kind != IMP_NOTE_COMMENTED)
			continue;
		for (k = 0; k < kw->n; k++)
			if (strcmp(kw->what[k], notes->v[i].what) == 0)
				break;
		if (k == kw->n) {
			if (kw->n == IMP_KEYWORDS_MAX) {
				kw->other++;
				continue;
			}
			kw->what[kw->n++] = notes->v[i].what;
		}
		kw->count[k]++;
	}
}

void imp_summary_keywords(const struct imp_config *cfg, char *buf, size_t size)
{
	struct imp_keywords kw = { .n = 0 };
	size_t off = 0;

	buf[0] = '\0';
	imp_each_notes(cfg, imp_keywords_one, &kw);
	for (size_t k = 0; k < kw.n && off < size; k++) {
		int n = snprintf(buf + off, size - off, "%s%s %u", k ? ", " : "", kw.what[k],
				 kw.count[k]);

		if (n < 0)
			break;
		off += (size_t)n;
	}
	if (kw.other && off < size)
		snprintf(buf + off, size - off, ", others %u", kw.other);
}
