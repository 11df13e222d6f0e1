// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * One keepalived checker (TCP_CHECK, HTTP_GET, SSL_GET, MISC_CHECK,
 * SMTP_CHECK, DNS_CHECK, PING_CHECK, UDP_CHECK) as an xlb health check.
 * Timing follows keepalived's: a check every delay_loop (default 60 s),
 * connect_timeout (default 5 s), and a real goes down after the first
 * failure plus `retry` retries (fall = retry + 1) and comes back after one
 * success (rise = 1). Keys without an xlb equivalent become notes.
 */
#include "xlb_import.h"

#include <string.h>
#include <strings.h>

#define KAD_UNSET UINT64_MAX
#define KAD_DEFAULT_DELAY_MS 60000 /* keepalived's delay_loop */
#define KAD_DEFAULT_TIMEOUT_MS 5000 /* keepalived's connect_timeout */

static const struct {
	const char *keyword;
	uint8_t kind;
	uint64_t default_retry; /* keepalived's, per checker type */
} kad_checkers[] = {
	{ "TCP_CHECK", HEALTH_TCP, 1 },	 { "HTTP_GET", HEALTH_HTTP, 1 },
	{ "SSL_GET", HEALTH_HTTPS, 1 },	 { "MISC_CHECK", HEALTH_SCRIPT, 0 },
	{ "SMTP_CHECK", HEALTH_TCP, 1 }, { "DNS_CHECK", HEALTH_DNS, 3 },
	{ "PING_CHECK", HEALTH_ICMP, 1 }, { "UDP_CHECK", HEALTH_UDP, 1 },
	{ "FILE_CHECK", HEALTH_NONE, 0 }, { "BFD_CHECK", HEALTH_NONE, 0 },
};

bool kad_is_checker(const char *kw)
{
	for (size_t i = 0; i < sizeof(kad_checkers) / sizeof(kad_checkers[0]); i++)
		if (strcmp(kad_checkers[i].keyword, kw) == 0)
			return true;
	return false;
}

struct kad_check_state {
	struct kad_ctx *k;
	struct imp_notes *notes;
	const char *real_addr;
	struct kad_check *out;
	uint64_t delay, timeout, retry, misc_timeout;
	const char *vhost, *url_vhost;
	unsigned urls, hosts;
	bool have_path, have_misc_path;
	bool dns_type_a;
};

static void kad_mapped(struct kad_check_state *s)
{
	s->k->cfg->mapped++;
}

static bool kad_seconds(struct kad_check_state *s, const struct kad_node *n, uint64_t *out)
{
	if (n->nwords < 2 || !imp_parse_seconds(n->words[1], out)) {
		kad_err(s->k, n, "bad %s '%s' (expected seconds, such as 3 or 1.5)", n->words[0],
			n->nwords >= 2 ? n->words[1] : "");
		return false;
	}
	kad_mapped(s);
	return true;
}

/* Keys every checker with a connection takes (keepalived's install_checker_common_keywords). */
static bool kad_check_common(struct kad_check_state *s, const struct kad_node *n)
{
	const char *kw = n->words[0];
	uint64_t v;

	if (!strcmp(kw, "connect_ip") && n->nwords >= 2) {
		char addr[IMP_ADDR_MAX];

		if (!imp_addr_canon(n->words[1], addr, sizeof(addr))) {
			kad_err(s->k, n, "bad connect_ip '%s' (expected an IPv4 or IPv6 address)",
				n->words[1]);
			return true;
		}
		if (strcmp(addr, s->real_addr) != 0)
			snprintf(s->out->check_addr, sizeof(s->out->check_addr), "%s", addr);
		kad_mapped(s);
	} else if (!strcmp(kw, "connect_port") && n->nwords >= 2) {
		if (!imp_parse_uint(n->words[1], 1, 65535, &v))
			kad_err(s->k, n, "bad connect_port '%s' (expected 1..65535)", n->words[1]);
		else
			s->out->check_port = (uint16_t)v, kad_mapped(s);
	} else if (!strcmp(kw, "connect_timeout")) {
		kad_seconds(s, n, &s->timeout);
	} else if (!strcmp(kw, "delay_loop")) {
		kad_seconds(s, n, &s->delay);
	} else if ((!strcmp(kw, "retry") || !strcmp(kw, "nb_get_retry")) && n->nwords >= 2) {
		if (!imp_parse_uint(n->words[1], 0, UINT32_MAX, &v))
			kad_err(s->k, n, "bad %s '%s' (expected a number of retries)", kw, n->words[1]);
		else
			s->retry = v, kad_mapped(s);
	} else if (!strcmp(kw, "delay_before_retry")) {
		kad_comment(s->k, s->notes, n,
			    "xlb checks at one fixed interval and takes a real down after fall "
			    "failures in a row; there is no shorter retry delay");
	} else if (!strcmp(kw, "warmup")) {
		kad_comment(s->k, s->notes, n,
			    "xlb spreads the first checks over the first interval by itself");
	} else if (!strcmp(kw, "alpha")) {
		kad_comment(s->k, s->notes, n,
			    "xlb's first check decides at once, and a real counts as up until it has");
	} else if (!strcmp(kw, "bindto") || !strcmp(kw, "bind_port") || !strcmp(kw, "bind_if")) {
		kad_comment(s->k, s->notes, n,
			    "xlb's checks leave from the address and interface the kernel picks");
	} else if (!strcmp(kw, "fwmark")) {
		kad_comment(s->k, s->notes, n, "xlb's checks set no firewall mark");
	} else if (!strcmp(kw, "log_all_failures")) {
		kad_comment(s->k, s->notes, n, "xlb logs every state change with its reason");
	} else {
		return false;
	}
	return true;
}

/* A string xlb takes for host/expect_body: printable, no spaces if @spaces is false. */
static bool kad_text_ok(const char *v, size_t max, bool spaces)
{
	size_t len = strlen(v);

	if (!len || len >= max)
		return false;
	for (; *v; v++)
		if ((unsigned char)*v < 0x20 || *v == 0x7f || (!spaces && *v == ' '))
			return false;
	return true;
}

static bool kad_regex_literal(const char *v)
{
	return !strpbrk(v, ".[]()*+?{}|^$\\");
}

static void kad_status_code(struct kad_check_state *s, const struct kad_node *n)
{
	uint64_t code;

	if (n->nwords == 2 && imp_parse_uint(n->words[1], 100, 599, &code)) {
		s->out->h.expect_status = (uint16_t)code;
		kad_mapped(s);
		return;
	}
	kad_comment(s->k, s->notes, n,
		    "xlb's expect_status is one code; without it xlb accepts any 2xx or 3xx");
}

static void kad_url(struct kad_check_state *s, const struct kad_node *url)
{
	if (++s->urls > 1) {
		kad_comment(s->k, s->notes, url,
			    "xlb checks one path per service; this further url is not checked");
		return;
	}
	kad_mapped(s);
	for (size_t i = 0; i < url->nkids; i++) {
		const struct kad_node *n = &url->kids[i];
		const char *kw = n->words[0];

		if (!strcmp(kw, "path") && n->nwords >= 2) {
			if (n->words[1][0] == '/' && kad_text_ok(n->words[1], HEALTH_PATH_MAX, false)) {
				snprintf(s->out->h.path, sizeof(s->out->h.path), "%s", n->words[1]);
				s->have_path = true;
				kad_mapped(s);
			} else {
				kad_comment(s->k, s->notes, n,
					    "xlb's path is absolute, without spaces, under %d "
					    "characters; checking / instead",
					    HEALTH_PATH_MAX);
			}
		} else if (!strcmp(kw, "status_code")) {
			kad_status_code(s, n);
		} else if (!strcmp(kw, "digest")) {
			kad_comment(s->k, s->notes, n,
				    "digest checks are not supported (use expect_body)");
		} else if (!strcmp(kw, "virtualhost") && n->nwords >= 2) {
			s->url_vhost = n->words[1];
			kad_mapped(s);
		} else if (!strcmp(kw, "regex") && n->nwords >= 2 && kad_regex_literal(n->words[1]) &&
			   kad_text_ok(n->words[1], HEALTH_MATCH_MAX, true)) {
			snprintf(s->out->h.expect_body, sizeof(s->out->h.expect_body), "%s",
				 n->words[1]);
			kad_mapped(s);
		} else if (!strncmp(kw, "regex", 5)) {
			kad_comment(s->k, s->notes, n,
				    "xlb matches a fixed string in the body (expect_body), not a "
				    "regular expression");
		} else {
			kad_comment(s->k, s->notes, n, "no xlb equivalent for this url key");
		}
	}
}

static void kad_http_key(struct kad_check_state *s, const struct kad_node *n)
{
	const char *kw = n->words[0];

	if (!strcmp(kw, "url") && n->block) {
		kad_url(s, n);
	} else if (!strcmp(kw, "virtualhost") && n->nwords >= 2) {
		s->vhost = n->words[1];
		kad_mapped(s);
	} else if (!strcmp(kw, "sni_name") && n->nwords >= 2 && s->out->h.kind == HEALTH_HTTPS) {
		kad_comment(s->k, s->notes, n,
			    "xlb's https check sends host (the virtualhost, else the address) as "
			    "the SNI name; there is no separate one");
	} else if (!strcmp(kw, "enable_sni")) {
		kad_comment(s->k, s->notes, n, "xlb's https check always sends SNI");
	} else if (!strcmp(kw, "http_protocol")) {
		kad_comment(s->k, s->notes, n, "xlb's http check sends HTTP/1.1 with Connection: close");
	} else {
		kad_comment(s->k, s->notes, n, "no xlb equivalent for this %s key",
			    s->out->h.kind == HEALTH_HTTPS ? "SSL_GET" : "HTTP_GET");
	}
}

static void kad_smtp_host(struct kad_check_state *s, const struct kad_node *host)
{
	if (++s->hosts > 1) {
		kad_comment(s->k, s->notes, host,
			    "xlb checks one address per real; this further host is not checked");
		return;
	}
	kad_mapped(s);
	for (size_t i = 0; i < host->nkids; i++)
		if (!kad_check_common(s, &host->kids[i]))
			kad_comment(s->k, s->notes, &host->kids[i], "no xlb equivalent for this host key");
}

static void kad_kind_key(struct kad_check_state *s, const char *checker, const struct kad_node *n)
{
	const char *kw = n->words[0];
	uint64_t v;

	if (!strcmp(checker, "HTTP_GET") || !strcmp(checker, "SSL_GET")) {
		kad_http_key(s, n);
	} else if (!strcmp(checker, "SMTP_CHECK") && !strcmp(kw, "host") && n->block) {
		kad_smtp_host(s, n);
	} else if (!strcmp(checker, "SMTP_CHECK") && !strcmp(kw, "helo_name")) {
		kad_comment(s->k, s->notes, n,
			    "xlb's tcp check waits for the 220 greeting and sends no HELO");
	} else if (!strcmp(checker, "MISC_CHECK") && !strcmp(kw, "misc_path") && n->nwords >= 2) {
		if (kad_text_ok(n->words[1], HEALTH_COMMAND_MAX, true)) {
			snprintf(s->out->h.command, sizeof(s->out->h.command), "%s", n->words[1]);
			s->have_misc_path = true;
			kad_mapped(s);
		} else {
			kad_comment(s->k, s->notes, n,
				    "xlb's command is one line of at most %d characters",
				    HEALTH_COMMAND_MAX - 1);
		}
	} else if (!strcmp(checker, "MISC_CHECK") && !strcmp(kw, "misc_timeout") && n->nwords >= 2) {
		if (!imp_parse_uint(n->words[1], 0, UINT32_MAX / 1000, &v))
			kad_err(s->k, n, "bad misc_timeout '%s' (expected seconds)", n->words[1]);
		else if (v)
			s->misc_timeout = v * 1000, kad_mapped(s);
		else
			kad_mapped(s); /* 0: keepalived's delay_loop, as without it */
	} else if (!strcmp(checker, "MISC_CHECK") && !strcmp(kw, "misc_dynamic")) {
		kad_comment(s->k, s->notes, n,
			    "xlb takes exit status 0 as up and anything else as down; it does not "
			    "set weights from the exit status");
	} else if (!strcmp(checker, "MISC_CHECK") && !strcmp(kw, "user")) {
		kad_comment(s->k, s->notes, n, "xlb runs script checks as itself (root)");
	} else if (!strcmp(checker, "DNS_CHECK") && !strcmp(kw, "type") && n->nwords >= 2) {
		s->dns_type_a = !strcasecmp(n->words[1], "A");
		if (s->dns_type_a)
			kad_mapped(s);
		else
			kad_comment(s->k, s->notes, n, "xlb's dns check asks for type A only");
	} else if (!strcmp(checker, "DNS_CHECK") && !strcmp(kw, "name") && n->nwords >= 2) {
		snprintf(s->out->h.dns_name, sizeof(s->out->h.dns_name), "%s", n->words[1]);
		kad_mapped(s);
	} else if (!strcmp(checker, "UDP_CHECK")) {
		kad_comment(s->k, s->notes, n,
			    "xlb's udp check sends an empty datagram and counts a reply or silence "
			    "as up, an ICMP port unreachable as down (send/expect take text, not "
			    "hex)");
	} else {
		kad_comment(s->k, s->notes, n, "no xlb equivalent for this %s key", checker);
	}
}

/* What keepalived does without the key, where xlb's default differs. */
static uint32_t kad_pick(uint64_t own, uint64_t inherited, uint64_t dflt)
{
	uint64_t v = own != KAD_UNSET ? own : inherited != KAD_UNSET ? inherited : dflt;

	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static bool kad_dns_name_ok(const char *s)
{
	size_t label = 0, len = strlen(s);

	if (!len || len >= HEALTH_DNS_NAME_MAX || s[0] == '.')
		return false;
	for (; *s; s++) {
		if (*s == '.') {
			if (!label && s[1])
				return false;
			label = 0;
			continue;
		}
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_') ||
		    ++label > 63)
			return false;
	}
	return true;
}

void kad_check_parse(struct kad_ctx *k, const struct kad_node *n,
		     const struct kad_check_defaults *d, const char *real_addr,
		     struct imp_notes *notes, struct kad_check *out)
{
	struct kad_check_state s = {
		.k = k, .notes = notes, .real_addr = real_addr, .out = out,
		.delay = KAD_UNSET, .timeout = KAD_UNSET, .retry = KAD_UNSET,
		.misc_timeout = KAD_UNSET,
	};
	const char *kw = n->words[0], *vhost;
	uint64_t default_retry = 1, retry;
	size_t t;

	memset(out, 0, sizeof(*out));
	for (t = 0; t < sizeof(kad_checkers) / sizeof(kad_checkers[0]); t++)
		if (!strcmp(kad_checkers[t].keyword, kw))
			break;
	if (t == sizeof(kad_checkers) / sizeof(kad_checkers[0]) ||
	    kad_checkers[t].kind == HEALTH_NONE) {
		kad_comment(k, notes, n, "xlb has no %s (health checks: icmp, tcp, http, https, "
					 "udp, dns, script)", kw);
		return;
	}
	out->h.kind = kad_checkers[t].kind;
	default_retry = kad_checkers[t].default_retry;
	memcpy(out->h.path, "/", 2);
	if (!strcmp(kw, "SMTP_CHECK"))
		memcpy(out->h.expect, "220", 4); /* the greeting; xlb sends no HELO */
	for (size_t i = 0; i < n->nkids; i++) {
		const struct kad_node *kid = &n->kids[i];

		if (strcmp(kw, "MISC_CHECK") != 0 && kad_check_common(&s, kid))
			continue;
		if (!strcmp(kw, "MISC_CHECK") &&
		    (!strcmp(kid->words[0], "retry") || !strcmp(kid->words[0], "delay_loop") ||
		     !strcmp(kid->words[0], "delay_before_retry") || !strcmp(kid->words[0], "warmup") ||
		     !strcmp(kid->words[0], "alpha") || !strcmp(kid->words[0], "log_all_failures")) &&
		    kad_check_common(&s, kid))
			continue;
		kad_kind_key(&s, kw, kid);
	}

	if ((out->h.kind == HEALTH_HTTP || out->h.kind == HEALTH_HTTPS) && !s.urls) {
		kad_comment(k, notes, n, "has no url, so keepalived ignores this checker");
		return;
	}
	if (out->h.kind == HEALTH_SCRIPT && !s.have_misc_path) {
		kad_comment(k, notes, n, "has no usable misc_path, so nothing can be run");
		return;
	}
	if (out->h.kind == HEALTH_DNS) {
		if (!s.dns_type_a || !kad_dns_name_ok(out->h.dns_name)) {
			kad_comment(k, notes, n,
				    "xlb's dns check asks for an A record of a name (dns_name); "
				    "keepalived's default is SOA of the root");
			return;
		}
		/* "example.com." and "example.com" are the same query. */
		t = strlen(out->h.dns_name);
		if (t > 1 && out->h.dns_name[t - 1] == '.')
			out->h.dns_name[t - 1] = '\0';
	}
	vhost = s.url_vhost ? s.url_vhost : s.vhost ? s.vhost : d->virtualhost;
	if (vhost && (out->h.kind == HEALTH_HTTP || out->h.kind == HEALTH_HTTPS)) {
		if (kad_text_ok(vhost, HEALTH_HOST_MAX, false))
			snprintf(out->h.host, sizeof(out->h.host), "%s", vhost);
		else
			kad_comment(k, notes, n, "virtualhost '%.60s' is not a name xlb can send as host",
				    vhost);
	}

	out->h.interval_ms = kad_pick(s.delay, d->delay_loop_ms, KAD_DEFAULT_DELAY_MS);
	if (out->h.interval_ms < HEALTH_MIN_INTERVAL_MS) {
		kad_info(k, notes, n, "xlb checks at most every %dms; interval raised to that",
			 HEALTH_MIN_INTERVAL_MS);
		out->h.interval_ms = HEALTH_MIN_INTERVAL_MS;
	}
	if (out->h.kind == HEALTH_SCRIPT)
		/* keepalived gives a script delay_loop unless misc_timeout says otherwise. */
		out->h.timeout_ms = kad_pick(s.misc_timeout, KAD_UNSET, out->h.interval_ms);
	else
		out->h.timeout_ms = kad_pick(s.timeout, d->timeout_ms, KAD_DEFAULT_TIMEOUT_MS);
	if (!out->h.timeout_ms)
		out->h.timeout_ms = 1;
	retry = s.retry != KAD_UNSET ? s.retry : d->retry != KAD_UNSET ? d->retry : default_retry;
	if (retry + 1 > HEALTH_RISE_FALL_MAX) {
		kad_info(k, notes, n, "retry %llu: xlb's fall is at most %d",
			 (unsigned long long)retry, HEALTH_RISE_FALL_MAX);
		retry = HEALTH_RISE_FALL_MAX - 1;
	}
	out->h.fall = (uint8_t)(retry + 1);
	out->h.rise = 1;
	out->h.set = true;
	out->mapped = true;
	k->cfg->mapped++;
}

const char *kad_check_diff(const struct kad_check *a, const struct kad_check *b)
{
	const struct imp_health *x = &a->h, *y = &b->h;

	if (x->kind != y->kind)
		return "kind of check";
	if (x->interval_ms != y->interval_ms)
		return "delay_loop";
	if (x->timeout_ms != y->timeout_ms)
		return "timeout";
	if (x->fall != y->fall)
		return "retry";
	if (x->expect_status != y->expect_status)
		return "status_code";
	if (strcmp(x->path, y->path))
		return "path";
	if (strcmp(x->host, y->host))
		return "virtualhost";
	if (strcmp(x->expect_body, y->expect_body) || strcmp(x->expect, y->expect) ||
	    strcmp(x->send, y->send))
		return "expected answer";
	if (strcmp(x->dns_name, y->dns_name))
		return "name";
	if (strcmp(x->command, y->command))
		return "misc_path";
	return NULL;
}
