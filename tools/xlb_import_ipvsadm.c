// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ipvsadm rules (ipvsadm-save -n, ipvsadm -Sn: one "-A" line per virtual
 * service and one "-a" line per real server) into the import model. A line
 * ipvsadm itself would refuse (an unknown option, a real for a service no
 * -A added) is an error naming FILE:LINE; rules xlb has no equivalent for
 * (fwmark services, one-packet scheduling, thresholds) become comments.
 */
#include "xlb_import.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define IPV_LINE_MAX 4096
#define IPV_WORDS_MAX 64
#define IPV_PERSISTENCE_DEFAULT_S 300 /* ipvsadm's -p without a value */

struct ipv_ctx {
	const char *name;
	FILE *err;
	struct imp_config *cfg;
	int line;
	int errors;
	char where[600];
	/* Per service (same index as cfg->services): its key and whether its method is set. */
	char (*keys)[IMP_ADDR_MAX + 16];
	bool *method_set;
	size_t nkeys;
};

static void __attribute__((format(printf, 2, 3))) ipv_err(struct ipv_ctx *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(c->err, "%s:%d: ", c->name, c->line);
	va_start(ap, fmt);
	vfprintf(c->err, fmt, ap);
	va_end(ap);
	fputc('\n', c->err);
	c->errors++;
}

static void ipv_comment(struct ipv_ctx *c, struct imp_notes *notes, const char *what,
			const char *fmt, const char *arg)
{
	imp_note(notes, IMP_NOTE_COMMENTED, c->where, what, fmt, arg);
}

/* "IP:PORT" or "[IPV6]:PORT" into canonical address and port. */
static bool ipv_endpoint(const char *s, char *addr, size_t size, uint16_t *port, int *family)
{
	char host[IMP_ADDR_MAX];
	const char *colon;
	uint64_t p;
	size_t len;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return false;
		len = (size_t)(close - s - 1);
		colon = close + 1;
		s++;
	} else {
		colon = strrchr(s, ':');
		if (!colon || strchr(s, ':') != colon)
			return false;
		len = (size_t)(colon - s);
	}
	if (len >= sizeof(host))
		return false;
	memcpy(host, s, len);
	host[len] = '\0';
	if (!imp_parse_uint(colon + 1, 0, 65535, &p))
		return false;
	*family = imp_addr_canon(host, addr, size);
	*port = (uint16_t)p;
	return *family != 0;
}

struct ipv_rule {
	bool add_service, add_real;
	char proto; /* 't', 'u', 's' (sctp), 'f' (fwmark) */
	const char *svc;
	const char *sched, *persistent, *netmask, *flags, *real, *weight, *tun_type, *tun_port;
	char method; /* 'g', 'i', 'm', 0 */
	bool persistent_flag, ops;
	const char *pe, *uthreshold, *lthreshold;
	bool tun_csum;
};

static bool ipv_is(const char *w, const char *s, const char *l)
{
	return (s && !strcmp(w, s)) || (l && !strcmp(w, l));
}

/* One line's options; false once reported. */
static bool ipv_parse(struct ipv_ctx *c, char **w, size_t n, struct ipv_rule *r)
{
	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < n; i++) {
		const char *o = w[i], **val = NULL;
		bool optional = false;

		if (ipv_is(o, "-A", "--add-service")) {
			r->add_service = true;
		} else if (ipv_is(o, "-a", "--add-server")) {
			r->add_real = true;
		} else if (ipv_is(o, "-t", "--tcp-service")) {
			r->proto = 't', val = &r->svc;
		} else if (ipv_is(o, "-u", "--udp-service")) {
			r->proto = 'u', val = &r->svc;
		} else if (ipv_is(o, NULL, "--sctp-service")) {
			r->proto = 's', val = &r->svc;
		} else if (ipv_is(o, "-f", "--fwmark-service")) {
			r->proto = 'f', val = &r->svc;
		} else if (ipv_is(o, "-s", "--scheduler")) {
			val = &r->sched;
		} else if (ipv_is(o, "-p", "--persistent")) {
			r->persistent_flag = true, val = &r->persistent, optional = true;
		} else if (ipv_is(o, "-M", "--netmask")) {
			val = &r->netmask;
		} else if (ipv_is(o, "-b", "--sched-flags")) {
			val = &r->flags;
		} else if (ipv_is(o, "-r", "--real-server")) {
			val = &r->real;
		} else if (ipv_is(o, "-g", "--gatewaying")) {
			r->method = 'g';
		} else if (ipv_is(o, "-i", "--ipip")) {
			r->method = 'i';
		} else if (ipv_is(o, "-m", "--masquerading")) {
			r->method = 'm';
		} else if (ipv_is(o, "-w", "--weight")) {
			val = &r->weight;
		} else if (ipv_is(o, "-x", "--u-threshold")) {
			val = &r->uthreshold;
		} else if (ipv_is(o, "-y", "--l-threshold")) {
			val = &r->lthreshold;
		} else if (ipv_is(o, "-o", "--ops")) {
			r->ops = true;
		} else if (ipv_is(o, NULL, "--pe")) {
			val = &r->pe;
		} else if (ipv_is(o, NULL, "--tun-type")) {
			val = &r->tun_type;
		} else if (ipv_is(o, NULL, "--tun-port")) {
			val = &r->tun_port;
		} else if (ipv_is(o, NULL, "--tun-nocsum") || ipv_is(o, NULL, "--tun-csum") ||
			   ipv_is(o, NULL, "--tun-remcsum")) {
			r->tun_csum = strcmp(o, "--tun-nocsum") != 0;
		} else {
			ipv_err(c, "unknown option '%s' (expected what ipvsadm-save -n writes: -A/-a, "
				   "-t/-u/-f, -s, -p, -r, -g/-i/-m, -w, ...)",
				o);
			return false;
		}
		if (!val)
			continue;
		if (i + 1 < n && (!optional || w[i + 1][0] != '-'))
			*val = w[++i];
		else if (!optional) {
			ipv_err(c, "%s needs a value", o);
			return false;
		}
	}
	if (r->add_service == r->add_real) {
		ipv_err(c, "expected one of -A (add a service) and -a (add a real server)");
		return false;
	}
	if (!r->svc) {
		ipv_err(c, "no service (expected -t, -u or --sctp-service ADDRESS:PORT, or -f MARK)");
		return false;
	}
	if (r->add_real && !r->real) {
		ipv_err(c, "-a without -r (expected -r ADDRESS:PORT)");
		return false;
	}
	return true;
}

static long ipv_find(struct ipv_ctx *c, const struct ipv_rule *r)
{
	char key[IMP_ADDR_MAX + 16];

	snprintf(key, sizeof(key), "%c %s", r->proto, r->svc);
	for (size_t i = 0; i < c->nkeys; i++)
		if (!strcmp(c->keys[i], key))
			return (long)i;
	return -1;
}

static void ipv_add_key(struct ipv_ctx *c, const struct ipv_rule *r)
{
	c->keys = realloc(c->keys, (c->nkeys + 1) * sizeof(*c->keys));
	c->method_set = realloc(c->method_set, (c->nkeys + 1) * sizeof(*c->method_set));
	if (!c->keys || !c->method_set) {
		fprintf(stderr, "xlbctl import: out of memory\n");
		exit(1);
	}
	snprintf(c->keys[c->nkeys], sizeof(c->keys[0]), "%c %s", r->proto, r->svc);
	c->method_set[c->nkeys++] = false;
}

static void ipv_flags(struct ipv_ctx *c, struct imp_service *s, const char *flags)
{
	char buf[256], *save = NULL;
	bool sh = !strcmp(s->scheduler, "sh"), mh = !strcmp(s->scheduler, "mh");

	snprintf(buf, sizeof(buf), "%s", flags);
	for (char *f = strtok_r(buf, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
		if (((sh || mh) && (!strcmp(f, "flag-1") || !strcmp(f, sh ? "sh-fallback" : "mh-fallback")))) {
			s->flag_fallback = true;
			c->cfg->mapped++;
		} else if ((sh || mh) && (!strcmp(f, "flag-2") || !strcmp(f, sh ? "sh-port" : "mh-port"))) {
			s->flag_port = true;
			c->cfg->mapped++;
		} else {
			ipv_comment(c, &s->notes, "-b", "-b %s: no xlb scheduler flag for this", f);
		}
	}
}

static void ipv_service(struct ipv_ctx *c, const struct ipv_rule *r)
{
	struct imp_service *s;
	char name[CONFIG_NAME_MAX + IMP_ADDR_MAX];
	uint64_t v;

	if (ipv_find(c, r) >= 0) {
		ipv_err(c, "service %s added twice (expected one -A per service)", r->svc);
		return;
	}
	ipv_add_key(c, r);
	s = imp_add_service(c->cfg);
	c->cfg->mapped++;
	if (r->proto == 'f' || r->proto == 's') {
		s->omitted = true;
		ipv_comment(c, &s->notes, r->proto == 'f' ? "-f" : "--sctp-service",
			    r->proto == 'f' ? "-f %s: xlb has no fwmark services (it balances by VIP, "
					      "port and protocol); add one service per VIP and port "
					      "the mark selects" :
					      "--sctp-service %s: xlb balances TCP and UDP, not SCTP",
			    r->svc);
		return;
	}
	if (!ipv_endpoint(r->svc, s->vip, sizeof(s->vip), &s->port, &s->family)) {
		ipv_err(c, "bad service '%s' (expected IPV4:PORT or [IPV6]:PORT)", r->svc);
		return;
	}
	s->udp = r->proto == 'u';
	s->method = "dr"; /* set by its first real's -g/-i/-m */
	if (!s->port) {
		s->omitted = true;
		ipv_comment(c, &s->notes, "-p", "%s: xlb services have one port; port 0 (persistent, "
						"every port) has no equivalent",
			    r->svc);
		return;
	}
	s->scheduler = "wlc";
	if (r->sched) {
		s->scheduler = imp_scheduler(r->sched);
		if (!s->scheduler) {
			ipv_err(c, "unknown scheduler '%s' (expected rr, wrr, lc, wlc, lblc, lblcr, dh, "
				   "sh, sed, nq, fo, ovf, mh, twos)",
				r->sched);
			return;
		}
		c->cfg->mapped++;
	}
	if (r->persistent_flag) {
		v = IPV_PERSISTENCE_DEFAULT_S;
		if (r->persistent && !imp_parse_uint(r->persistent, 1, UINT32_MAX / 1000, &v)) {
			ipv_err(c, "bad persistence '%s' (expected seconds)", r->persistent);
			return;
		}
		s->persistence_ms = (uint32_t)(v * 1000);
		c->cfg->mapped++;
	}
	if (r->netmask && strcmp(r->netmask, "255.255.255.255") && strcmp(r->netmask, "128"))
		ipv_comment(c, &s->notes, "-M", "-M %s: xlb keeps persistence per client address, "
						"not per network",
			    r->netmask);
	if (r->flags)
		ipv_flags(c, s, r->flags);
	if (r->ops)
		ipv_comment(c, &s->notes, "-o", "%s: xlb has no one-packet scheduling", "-o");
	if (r->pe)
		ipv_comment(c, &s->notes, "--pe", "--pe %s: xlb has no persistence engines", r->pe);
	snprintf(name, sizeof(name), "%s-%u%s", s->vip, s->port, s->udp ? "-udp" : "");
	imp_unique_service_name(c->cfg, s, name);
}

static const char *ipv_method_name(char m, const struct ipv_rule *r)
{
	if (m == 'm')
		return "nat";
	if (m == 'i')
		return r->tun_type && !strcmp(r->tun_type, "gue") ? "gue" : "tun";
	return "dr";
}

static void ipv_real(struct ipv_ctx *c, const struct ipv_rule *r)
{
	long i = ipv_find(c, r);
	struct imp_service *s;
	struct imp_real *real;
	char addr[IMP_ADDR_MAX];
	const char *method;
	uint16_t port;
	int family;
	uint64_t v;

	if (i < 0) {
		ipv_err(c, "real server for service %s, which no -A line added (expected its -A "
			   "line first)",
			r->svc);
		return;
	}
	s = &c->cfg->services[i];
	c->cfg->mapped++;
	if (s->omitted) {
		ipv_comment(c, &s->notes, "-a", "-r %s: a real of the service above, left out with it",
			    r->real);
		return;
	}
	if (!ipv_endpoint(r->real, addr, sizeof(addr), &port, &family)) {
		ipv_err(c, "bad real server '%s' (expected IPV4:PORT or [IPV6]:PORT)", r->real);
		return;
	}
	if (family != s->family) {
		ipv_comment(c, &s->notes, "-r", "-r %s: xlb's reals are of the VIP's address family",
			    r->real);
		return;
	}
	method = ipv_method_name(r->method ? r->method : 'g', r);
	if (!c->method_set[i]) {
		s->method = method;
		c->method_set[i] = true;
		c->cfg->mapped++;
		if (!strcmp(method, "gue")) {
			if (!r->tun_port || !imp_parse_uint(r->tun_port, 1, 65535, &v)) {
				ipv_err(c, "--tun-type gue needs --tun-port 1..65535");
				return;
			}
			s->gue_port = (uint16_t)v;
		}
		if (r->tun_type && strcmp(r->tun_type, "gue") && strcmp(r->tun_type, "ipip"))
			ipv_comment(c, &s->notes, "--tun-type",
				    "--tun-type %s: xlb tunnels IP-in-IP (tun) or GUE (gue); this "
				    "service is tun, so its reals must decapsulate IP-in-IP",
				    r->tun_type);
		if (r->tun_csum)
			ipv_comment(c, &s->notes, "--tun-csum", "%s: xlb sets no tunnel checksum options",
				    "--tun-csum");
	}
	for (size_t j = 0; j < s->nreals; j++) {
		if (!strcmp(s->reals[j].addr, addr) &&
		    (s->reals[j].port ? s->reals[j].port : s->port) == (port ? port : s->port)) {
			ipv_err(c, "real server %s added twice to %s (expected each once)", r->real,
				r->svc);
			return;
		}
	}
	real = imp_add_real(s);
	snprintf(real->addr, sizeof(real->addr), "%s", addr);
	if (strcmp(method, s->method))
		ipv_comment(c, &real->notes, "-g/-i/-m",
			    "-r %s: xlb has one method per service; this real is reached like the "
			    "first one",
			    r->real);
	if (port && port != s->port && strcmp(s->method, "nat")) {
		imp_note(&real->notes, IMP_NOTE_INFO, c->where, "-r",
			 "%s cannot change ports: port %u as with IPVS", s->method, s->port);
		port = 0;
	}
	real->port = port == s->port ? 0 : port;
	if (r->weight) {
		if (!imp_parse_uint(r->weight, 0, UINT32_MAX, &v)) {
			ipv_err(c, "bad weight '%s' (expected an integer 0..65535)", r->weight);
			return;
		}
		if (v > 65535) {
			ipv_comment(c, &real->notes, "-w", "-w %s: xlb's weights stop at 65535",
				    r->weight);
			v = 65535;
		} else {
			c->cfg->mapped++;
		}
		real->weight = (uint32_t)v;
	}
	if (r->uthreshold || r->lthreshold)
		ipv_comment(c, &real->notes, "-x/-y",
			    "%s: xlb has no connection thresholds per real (scheduler ovf uses the "
			    "weight as one)",
			    r->uthreshold ? r->uthreshold : r->lthreshold);
}

/* Splits at whitespace; ipvsadm-save writes no quotes. */
static size_t ipv_words(char *s, char **w)
{
	size_t n = 0;

	for (char *save = NULL, *t = strtok_r(s, " \t\r", &save); t && n < IPV_WORDS_MAX;
	     t = strtok_r(NULL, " \t\r", &save))
		w[n++] = t;
	return n;
}

int ipvsadm_import(const char *name, FILE *in, struct imp_config *cfg, FILE *err)
{
	struct ipv_ctx c = { .name = name, .err = err, .cfg = cfg };
	char line[IPV_LINE_MAX], *w[IPV_WORDS_MAX + 1];

	while (fgets(line, sizeof(line), in)) {
		struct ipv_rule r;
		size_t n, len = strlen(line);
		char **words = w;

		c.line++;
		snprintf(c.where, sizeof(c.where), "%s:%d", name, c.line);
		if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
			ipv_err(&c, "line longer than %d characters (expected an ipvsadm rule)",
				IPV_LINE_MAX - 2);
			break;
		}
		line[strcspn(line, "#\n")] = '\0';
		n = ipv_words(line, w);
		if (n == IPV_WORDS_MAX) {
			ipv_err(&c, "more than %d words (expected an ipvsadm rule)", IPV_WORDS_MAX - 1);
			continue;
		}
		/* Rules kept in a shell script read "ipvsadm -A ...". */
		if (n && !strcmp(w[0], "ipvsadm"))
			words++, n--;
		if (!n)
			continue;
		if (n == 1 && ipv_is(words[0], "-C", "--clear"))
			continue; /* ipvsadm-save never writes it; restore scripts start with it */
		if (!ipv_parse(&c, words, n, &r))
			continue;
		if (r.add_service)
			ipv_service(&c, &r);
		else
			ipv_real(&c, &r);
	}
	if (ferror(in)) {
		fprintf(err, "%s: cannot read (expected ipvsadm-save -n output)\n", name);
		c.errors++;
	}
	for (size_t i = 0; i < cfg->nservices; i++) {
		struct imp_service *s = &cfg->services[i];

		if (s->omitted || s->nreals)
			continue;
		s->omitted = true;
		imp_note(&s->notes, IMP_NOTE_COMMENTED, NULL, "-A",
			 "service %s has no real server; xlb needs at least one, so it is left out",
			 s->name);
	}
	free(c.keys);
	free(c.method_set);
	return c.errors ? -1 : 0;
}
