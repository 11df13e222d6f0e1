// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * keepalived's virtual_server (and virtual_server_group) into xlb services.
 * keepalived resolves a virtual server's settings at the end of its block,
 * so the block is read in two passes: its own keys, then its real servers
 * with their checkers. keepalived checks each real with its own checkers;
 * xlb has one health check per service, so the first real's first checker
 * becomes the service's and the others are compared with it: where they
 * differ only in address or port that goes to the real's check_address /
 * check_port, anything else is a note on that real.
 */
#include "xlb_import.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define KAD_UNSET UINT64_MAX
#define KAD_CHECKS_MAX 8
#define KAD_PERSISTENCE_DEFAULT_MS 360000 /* IPVS's, for a bare persistence_timeout */
#define KAD_RANGE_MAX 256		  /* addresses one group entry may expand to */

struct kad_endpoint {
	char addr[IMP_ADDR_MAX];
	uint16_t port;
};

/* What a real_server block says beyond its address. */
struct kad_rs {
	const struct kad_node *node;
	int inhibit; /* -1: the virtual server's */
	struct kad_check_defaults d;
	struct kad_check checks[KAD_CHECKS_MAX];
	const struct kad_node *check_nodes[KAD_CHECKS_MAX];
	size_t nchecks;
	unsigned checkers; /* checker blocks, mapped or not */
};

/* The virtual server's own keys, defaults for its reals. */
struct kad_vs {
	struct kad_check_defaults d;
	int inhibit;
	uint64_t weight;
	bool tun_gre;
	const struct kad_node *quorum;
	const struct kad_node *sorry;
};

static void kad_vs_method(struct kad_ctx *k, struct imp_service *svc, struct kad_vs *vs,
			  const struct kad_node *n)
{
	const char *m = n->nwords >= 2 ? n->words[1] : "";
	uint64_t port = 0;
	bool gue = false;

	if (!strcmp(m, "NAT")) {
		svc->method = "nat";
	} else if (!strcmp(m, "DR")) {
		svc->method = "dr";
	} else if (!strcmp(m, "TUN")) {
		svc->method = "tun";
	} else {
		kad_err(k, n, "unknown %s '%s' (expected NAT, DR or TUN)", n->words[0], m);
		return;
	}
	k->cfg->mapped++;
	for (size_t i = 2; i < n->nwords; i++) {
		const char *w = n->words[i];

		if (!strcmp(w, "type") && i + 1 < n->nwords) {
			w = n->words[++i];
			gue = !strcmp(w, "gue");
			vs->tun_gre = !strcmp(w, "gre");
		} else if (!strcmp(w, "port") && i + 1 < n->nwords) {
			if (!imp_parse_uint(n->words[++i], 1, 65535, &port))
				kad_err(k, n, "bad tunnel port '%s' (expected 1..65535)", n->words[i]);
		}
	}
	if (gue) {
		svc->method = "gue";
		svc->gue_port = (uint16_t)port;
	}
	if (vs->tun_gre)
		kad_comment(k, &svc->notes, n,
			    "xlb has no GRE tunnels: method tun (IP-in-IP) instead, so the reals "
			    "must decapsulate IP-in-IP (xlb-rs up --method tun)");
	else if (strstr(n->words[n->nwords - 1], "csum") && n->nwords > 2)
		kad_comment(k, &svc->notes, n, "xlb sets no tunnel checksum options");
}

static void kad_vs_flag(struct kad_ctx *k, struct imp_service *svc, const struct kad_node *n)
{
	const char *f = n->words[0];
	bool sh = !strcmp(svc->scheduler, "sh"), mh = !strcmp(svc->scheduler, "mh");

	/* IPVS: flag-1 is sh/mh-fallback, flag-2 sh/mh-port (IP_VS_SVC_F_SCHED1/2). */
	if ((sh && (!strcmp(f, "sh-fallback") || !strcmp(f, "flag-1"))) ||
	    (mh && (!strcmp(f, "mh-fallback") || !strcmp(f, "flag-1")))) {
		svc->flag_fallback = true;
		k->cfg->mapped++;
	} else if ((sh && (!strcmp(f, "sh-port") || !strcmp(f, "flag-2"))) ||
		   (mh && (!strcmp(f, "mh-port") || !strcmp(f, "flag-2")))) {
		svc->flag_port = true;
		k->cfg->mapped++;
	} else if (!strcmp(f, "ops")) {
		kad_comment(k, &svc->notes, n,
			    "xlb has no one-packet scheduling: UDP datagrams of a flow stay on one real");
	} else {
		kad_comment(k, &svc->notes, n, "no xlb scheduler flag for this with %s",
			    svc->scheduler);
	}
}

static bool kad_seconds_key(struct kad_ctx *k, const struct kad_node *n, uint64_t *out)
{
	if (n->nwords < 2 || !imp_parse_seconds(n->words[1], out)) {
		kad_err(k, n, "bad %s '%s' (expected seconds, such as 3 or 1.5)", n->words[0],
			n->nwords >= 2 ? n->words[1] : "");
		return false;
	}
	k->cfg->mapped++;
	return true;
}

static int kad_bool_arg(const struct kad_node *n)
{
	if (n->nwords < 2)
		return 1;
	return !strcmp(n->words[1], "true") || !strcmp(n->words[1], "on") ||
	       !strcmp(n->words[1], "yes") || !strcmp(n->words[1], "1");
}

/* Keys a real_server and a virtual_server both take: the defaults of the checkers. */
static bool kad_check_default_key(struct kad_ctx *k, struct imp_notes *notes,
				  const struct kad_node *n, struct kad_check_defaults *d)
{
	const char *kw = n->words[0];
	uint64_t v;

	if (!strcmp(kw, "delay_loop"))
		kad_seconds_key(k, n, &d->delay_loop_ms);
	else if (!strcmp(kw, "connect_timeout"))
		kad_seconds_key(k, n, &d->timeout_ms);
	else if (!strcmp(kw, "retry") && n->nwords >= 2) {
		if (imp_parse_uint(n->words[1], 0, UINT32_MAX, &v))
			d->retry = v, k->cfg->mapped++;
		else
			kad_err(k, n, "bad retry '%s' (expected a number of retries)", n->words[1]);
	} else if (!strcmp(kw, "virtualhost") && n->nwords >= 2) {
		d->virtualhost = n->words[1];
		k->cfg->mapped++;
	} else if (!strcmp(kw, "delay_before_retry")) {
		kad_comment(k, notes, n,
			    "xlb checks at one fixed interval and takes a real down after fall "
			    "failures in a row; there is no shorter retry delay");
	} else if (!strcmp(kw, "warmup")) {
		kad_comment(k, notes, n, "xlb spreads the first checks over the first interval by itself");
	} else if (!strcmp(kw, "alpha")) {
		kad_comment(k, notes, n,
			    "xlb's first check decides at once, and a real counts as up until it has");
	} else if (!strcmp(kw, "smtp_alert")) {
		kad_comment(k, notes, n, "xlb sends no mail; it logs every state change");
	} else if (!strcmp(kw, "snmp_name")) {
		kad_comment(k, notes, n, "xlb has no SNMP; xlbctl --json list names the service");
	} else {
		return false;
	}
	return true;
}

/* First pass: the virtual server's own keys. */
static void kad_vs_keys(struct kad_ctx *k, const struct kad_node *vsn, struct imp_service *svc,
			struct kad_vs *vs)
{
	uint64_t v;

	for (size_t i = 0; i < vsn->nkids; i++) {
		const struct kad_node *n = &vsn->kids[i];
		const char *kw = n->words[0];

		if (!strcmp(kw, "real_server") || kad_is_checker(kw)) {
			continue;
		} else if (kad_check_default_key(k, &svc->notes, n, &vs->d)) {
			continue;
		} else if ((!strcmp(kw, "lb_algo") || !strcmp(kw, "lvs_sched")) && n->nwords >= 2) {
			const char *s = imp_scheduler(n->words[1]);

			if (!s) {
				kad_err(k, n, "unknown %s '%s' (expected an IPVS scheduler: rr, wrr, lc, "
					      "wlc, lblc, sh, mh, dh, fo, ovf, lblcr, sed, nq, twos)",
					kw, n->words[1]);
				continue;
			}
			svc->scheduler = s;
			k->cfg->mapped++;
		} else if (!strcmp(kw, "lb_kind") || !strcmp(kw, "lvs_method")) {
			kad_vs_method(k, svc, vs, n);
		} else if (!strcmp(kw, "protocol") && n->nwords >= 2) {
			if (!strcasecmp(n->words[1], "TCP") || !strcasecmp(n->words[1], "UDP")) {
				svc->udp = !strcasecmp(n->words[1], "UDP");
				k->cfg->mapped++;
			} else if (!strcasecmp(n->words[1], "SCTP")) {
				svc->omitted = true;
				kad_comment(k, &svc->notes, n, "xlb balances TCP and UDP, not SCTP: this "
							       "virtual_server is left out");
			} else {
				kad_err(k, n, "unknown protocol '%s' (expected TCP, UDP or SCTP)",
					n->words[1]);
			}
		} else if (!strcmp(kw, "persistence_timeout")) {
			if (n->nwords < 2) {
				svc->persistence_ms = KAD_PERSISTENCE_DEFAULT_MS;
				k->cfg->mapped++;
			} else if (imp_parse_uint(n->words[1], 1, UINT32_MAX / 1000, &v)) {
				svc->persistence_ms = (uint32_t)(v * 1000);
				k->cfg->mapped++;
			} else {
				kad_err(k, n, "bad persistence_timeout '%s' (expected seconds)",
					n->words[1]);
			}
		} else if (!strcmp(kw, "persistence_granularity")) {
			if (n->nwords >= 2 && (!strcmp(n->words[1], "255.255.255.255") ||
					       !strcmp(n->words[1], "128")))
				k->cfg->mapped++;
			else
				kad_comment(k, &svc->notes, n,
					    "xlb keeps persistence per client address, not per network");
		} else if (!strcmp(kw, "persistence_engine")) {
			kad_comment(k, &svc->notes, n, "xlb has no persistence engines (SIP)");
		} else if (!strcmp(kw, "inhibit_on_failure")) {
			vs->inhibit = kad_bool_arg(n);
			k->cfg->mapped++;
		} else if (!strcmp(kw, "weight") && n->nwords >= 2 &&
			   imp_parse_uint(n->words[1], 0, UINT32_MAX, &v)) {
			vs->weight = v;
			k->cfg->mapped++;
		} else if (!strcmp(kw, "weight")) {
			kad_err(k, n, "bad weight '%s' (expected an integer 0..65535)",
				n->nwords >= 2 ? n->words[1] : "");
		} else if (!strcmp(kw, "quorum")) {
			vs->quorum = n; /* needs the reals' weights */
		} else if (!strcmp(kw, "sorry_server")) {
			vs->sorry = n; /* needs the method and the reals */
		} else if (!strcmp(kw, "ip_family") || !strcmp(kw, "hashed") ||
			   !strcmp(kw, "ha_suspend") || !strcmp(kw, "omega") ||
			   !strcmp(kw, "hysteresis") || !strcmp(kw, "quorum_up") ||
			   !strcmp(kw, "quorum_down") || !strcmp(kw, "sorry_server_inhibit") ||
			   !strcmp(kw, "sorry_server_lvs_method")) {
			static const struct {
				const char *kw, *why;
			} why[] = {
				{ "ip_family", NULL },
				{ "hashed", "xlb has no hashed flag (IPVS ignores it too)" },
				{ "ha_suspend", "xlb checks reals whether or not it is VRRP master" },
				{ "omega", "xlb runs no quorum scripts" },
				{ "hysteresis", "xlb's quorum has no hysteresis" },
				{ "quorum_up", "xlb runs no quorum scripts; it logs quorum changes" },
				{ "quorum_down", "xlb runs no quorum scripts; it logs quorum changes" },
				{ "sorry_server_inhibit", "xlb's sorry server is used only while no real is" },
				{ "sorry_server_lvs_method",
				  "xlb forwards to the sorry server with the service's method" },
			};
			for (size_t w = 0; w < sizeof(why) / sizeof(why[0]); w++) {
				if (strcmp(why[w].kw, kw))
					continue;
				if (why[w].why)
					kad_comment(k, &svc->notes, n, "%s", why[w].why);
				else
					k->cfg->mapped++; /* implied by the addresses */
			}
		} else if (!strcmp(kw, "ops") || !strncmp(kw, "flag-", 5) || !strncmp(kw, "sh-", 3) ||
			   !strncmp(kw, "mh-", 3)) {
			kad_vs_flag(k, svc, n);
		} else {
			kad_comment(k, &svc->notes, n, "no xlb equivalent for this virtual_server key");
		}
	}
}

/* "IP [PORT]" of a real or sorry server: canonical address and port (0: none). */
static bool kad_server_addr(struct kad_ctx *k, const struct kad_node *n, char *addr, size_t size,
			    int *family, uint16_t *port)
{
	uint64_t v = 0;

	if (n->nwords < 2 || !(*family = imp_addr_canon(n->words[1], addr, size))) {
		kad_err(k, n, "bad %s address '%s' (expected an IPv4 or IPv6 address)", n->words[0],
			n->nwords >= 2 ? n->words[1] : "");
		return false;
	}
	if (n->nwords >= 3 && !imp_parse_uint(n->words[2], 0, 65535, &v)) {
		kad_err(k, n, "bad %s port '%s' (expected 0..65535)", n->words[0], n->words[2]);
		return false;
	}
	*port = (uint16_t)v;
	return true;
}

static bool kad_dsr(const struct imp_service *svc)
{
	return strcmp(svc->method, "nat") != 0;
}

/* A real's own keys; its checkers are read once its defaults are known. */
static void kad_rs_keys(struct kad_ctx *k, struct imp_service *svc, struct imp_real *r,
			struct kad_rs *rs)
{
	const struct kad_node *rn = rs->node;
	uint64_t v;

	for (size_t i = 0; i < rn->nkids; i++) {
		const struct kad_node *n = &rn->kids[i];
		const char *kw = n->words[0];

		if (kad_is_checker(kw)) {
			continue;
		} else if (kad_check_default_key(k, &r->notes, n, &rs->d)) {
			continue;
		} else if (!strcmp(kw, "weight") && n->nwords >= 2 &&
			   imp_parse_uint(n->words[1], 0, UINT32_MAX, &v)) {
			if (v > 65535) {
				kad_comment(k, &r->notes, n, "xlb's weights stop at 65535");
				v = 65535;
			} else {
				k->cfg->mapped++;
			}
			r->weight = (uint32_t)v;
		} else if (!strcmp(kw, "weight")) {
			kad_err(k, n, "bad weight '%s' (expected an integer 0..65535)",
				n->nwords >= 2 ? n->words[1] : "");
		} else if (!strcmp(kw, "inhibit_on_failure")) {
			rs->inhibit = kad_bool_arg(n);
			k->cfg->mapped++;
		} else if (!strcmp(kw, "lvs_method") || !strcmp(kw, "lb_kind")) {
			const char *m = n->nwords >= 2 ? n->words[1] : "";
			bool same = (!strcmp(m, "NAT") && !strcmp(svc->method, "nat")) ||
				    (!strcmp(m, "DR") && !strcmp(svc->method, "dr")) ||
				    (!strcmp(m, "TUN") && (!strcmp(svc->method, "tun") ||
							   !strcmp(svc->method, "gue")));

			if (same)
				k->cfg->mapped++;
			else
				kad_comment(k, &r->notes, n,
					    "xlb has one method per service; this real is reached by %s "
					    "like the others",
					    svc->method);
		} else if (!strcmp(kw, "uthreshold") || !strcmp(kw, "lthreshold")) {
			kad_comment(k, &r->notes, n,
				    "xlb has no connection thresholds per real (scheduler ovf uses the "
				    "weight as one)");
		} else if (!strncmp(kw, "notify", 6)) {
			kad_comment(k, &r->notes, n, "xlb runs no notify scripts; it logs every state change");
		} else {
			kad_comment(k, &r->notes, n, "no xlb equivalent for this real_server key");
		}
	}
}

/* Second pass: the real servers, their checkers, then one health check for the service. */
static void kad_reals(struct kad_ctx *k, const struct kad_node *vsn, struct imp_service *svc,
		      struct kad_vs *vs, struct kad_rs **out, size_t *nout)
{
	struct kad_rs *rss = NULL;
	size_t n = 0;

	for (size_t i = 0; i < vsn->nkids; i++) {
		const struct kad_node *rn = &vsn->kids[i];
		struct kad_rs *rs;
		struct imp_real *r;
		char addr[IMP_ADDR_MAX];
		uint16_t port;
		int family;
		bool dup = false;

		if (kad_is_checker(rn->words[0])) {
			kad_comment(k, &svc->notes, rn,
				    "a checker belongs in a real_server block; keepalived ignores it here");
			continue;
		}
		if (strcmp(rn->words[0], "real_server") != 0)
			continue;
		if (!kad_server_addr(k, rn, addr, sizeof(addr), &family, &port))
			continue;
		if (family != svc->family) {
			kad_comment(k, &svc->notes, rn,
				    "a real of the other address family than the VIP; keepalived skips it too");
			continue;
		}
		if (port && kad_dsr(svc) && port != svc->port) {
			kad_info(k, &svc->notes, rn,
				 "%s cannot change ports: the real gets port %u as with keepalived",
				 svc->method, svc->port);
			port = 0;
		}
		if (port == svc->port)
			port = 0;
		for (size_t j = 0; j < svc->nreals; j++)
			dup |= !strcmp(svc->reals[j].addr, addr) && svc->reals[j].port == port;
		if (dup) {
			kad_comment(k, &svc->notes, rn, "a duplicate real; keepalived removes it too");
			continue;
		}
		r = imp_add_real(svc);
		snprintf(r->addr, sizeof(r->addr), "%s", addr);
		r->port = port;
		if (vs->weight != KAD_UNSET)
			r->weight = vs->weight > 65535 ? 65535 : (uint32_t)vs->weight;
		rss = realloc(rss, (n + 1) * sizeof(*rss));
		if (!rss) {
			fprintf(stderr, "xlbctl import: out of memory\n");
			exit(1);
		}
		rs = &rss[n++];
		memset(rs, 0, sizeof(*rs));
		rs->node = rn;
		rs->inhibit = -1;
		rs->d = (struct kad_check_defaults){ KAD_UNSET, KAD_UNSET, KAD_UNSET, NULL };
		k->cfg->mapped++;
		kad_rs_keys(k, svc, r, rs);
		/* What the real does not say, it takes from the virtual server. */
		if (rs->d.delay_loop_ms == KAD_UNSET)
			rs->d.delay_loop_ms = vs->d.delay_loop_ms;
		if (rs->d.timeout_ms == KAD_UNSET)
			rs->d.timeout_ms = vs->d.timeout_ms;
		if (rs->d.retry == KAD_UNSET)
			rs->d.retry = vs->d.retry;
		if (!rs->d.virtualhost)
			rs->d.virtualhost = vs->d.virtualhost;
		for (size_t c = 0; c < rn->nkids; c++) {
			const struct kad_node *cn = &rn->kids[c];

			if (!kad_is_checker(cn->words[0]))
				continue;
			rs->checkers++;
			if (rs->nchecks == KAD_CHECKS_MAX) {
				kad_comment(k, &r->notes, cn, "more than %d checkers on one real",
					    KAD_CHECKS_MAX);
				continue;
			}
			kad_check_parse(k, cn, &rs->d, addr, &r->notes, &rs->checks[rs->nchecks]);
			if (rs->checks[rs->nchecks].mapped)
				rs->check_nodes[rs->nchecks++] = cn;
		}
	}
	*out = rss;
	*nout = n;
}

static const char *kad_check_name(const struct kad_node *n)
{
	return n->words[0];
}

/*
 * Each real's check port (check_port: the port its checker connects to)
 * said as briefly as xlb allows: nothing where it is the real's own port,
 * the health block's port where all reals share one, check_port otherwise.
 */
static void kad_check_ports(struct imp_service *svc)
{
	uint16_t common = 0;
	bool all_own = true, all_same = true;

	for (size_t i = 0; i < svc->nreals; i++) {
		struct imp_real *r = &svc->reals[i];
		uint16_t own = r->port ? r->port : svc->port;

		if (!r->check_port || svc->health.kind == HEALTH_ICMP) {
			r->check_port = 0;
			continue;
		}
		all_own &= r->check_port == own;
		if (!common)
			common = r->check_port;
		all_same &= r->check_port == common;
	}
	for (size_t i = 0; i < svc->nreals; i++) {
		struct imp_real *r = &svc->reals[i];

		if (all_own || all_same || r->check_port == (r->port ? r->port : svc->port))
			r->check_port = 0;
	}
	if (!all_own && all_same)
		svc->health.port = common;
}

/* One health block for the service from the reals' checkers (see the top of the file). */
static void kad_health(struct kad_ctx *k, struct imp_service *svc, const struct kad_vs *vs,
		       struct kad_rs *rss, size_t n)
{
	const struct kad_check *rep = NULL;
	const struct kad_node *rep_node = NULL;
	int inhibit = -1;

	for (size_t i = 0; i < n && !rep; i++)
		if (rss[i].nchecks)
			rep = &rss[i].checks[0], rep_node = rss[i].check_nodes[0];
	if (!rep)
		return;
	svc->health = rep->h;
	memset(&svc->health.notes, 0, sizeof(svc->health.notes));
	for (size_t i = 0; i < n; i++) {
		struct imp_real *r = &svc->reals[i];
		const struct kad_check *c = rss[i].nchecks ? &rss[i].checks[0] : NULL;
		int inh = rss[i].inhibit >= 0 ? rss[i].inhibit : vs->inhibit;
		const char *diff;

		if (inhibit < 0)
			inhibit = inh;
		else if (inh != inhibit)
			kad_comment_as(k, &r->notes, rss[i].node, "inhibit_on_failure",
				       "inhibit_on_failure is %s for this real and %s for the first; "
				       "xlb's on_failure is one per service: %s",
				       inh ? "on" : "off", inhibit ? "on" : "off",
				       inhibit ? "weight0" : "remove");
		for (size_t j = 1; j < rss[i].nchecks; j++)
			kad_comment(k, &r->notes, rss[i].check_nodes[j],
				    "xlb runs one check per real (keepalived needs all its checkers "
				    "to pass); this one is not run");
		if (!c) {
			if (!rss[i].checkers)
				kad_comment_as(k, &r->notes, rss[i].node, "real without checker",
					       "keepalived does not check this real (it stays up); xlb "
					       "checks every real of a service with the service's %s check",
					       imp_health_kind_name(svc->health.kind));
			continue;
		}
		diff = kad_check_diff(c, rep);
		if (diff)
			kad_comment_as(k, &r->notes, rss[i].check_nodes[0], "checker differs",
				       "its %s differs from the service's check (%s of %s); xlb has one "
				       "check per service, so this real gets that one",
				       diff, kad_check_name(rep_node), svc->reals[0].addr);
		snprintf(r->check_addr, sizeof(r->check_addr), "%s", c->check_addr);
		r->check_port = c->check_port ? c->check_port : r->port ? r->port : svc->port;
	}
	kad_check_ports(svc);
	svc->health.on_failure = inhibit > 0 ? HEALTH_ON_FAILURE_WEIGHT0 : HEALTH_ON_FAILURE_REMOVE;
}

static void kad_sorry(struct kad_ctx *k, struct imp_service *svc, const struct kad_node *n)
{
	char addr[IMP_ADDR_MAX];
	uint16_t port;
	int family;

	if (!kad_server_addr(k, n, addr, sizeof(addr), &family, &port))
		return;
	if (family != svc->family) {
		kad_comment(k, &svc->notes, n, "the sorry server is of another address family than "
					       "the VIP; keepalived skips it too");
		return;
	}
	if (port && kad_dsr(svc) && port != svc->port) {
		kad_info(k, &svc->notes, n, "%s cannot change ports: port %u as with keepalived",
			 svc->method, svc->port);
		port = 0;
	}
	if (port == svc->port)
		port = 0;
	for (size_t i = 0; i < svc->nreals; i++) {
		if (strcmp(svc->reals[i].addr, addr) || svc->reals[i].port != port)
			continue;
		kad_comment(k, &svc->notes, n,
			    "the sorry server is also a real; xlb's sorry server must be another "
			    "server");
		return;
	}
	svc->has_sorry = true;
	snprintf(svc->sorry_addr, sizeof(svc->sorry_addr), "%s", addr);
	svc->sorry_port = port;
	k->cfg->mapped++;
}

/* keepalived's quorum is a sum of weights; xlb's a number of reals. Exact when weights are equal. */
static void kad_quorum(struct kad_ctx *k, struct imp_service *svc, const struct kad_node *n)
{
	uint64_t q, w = svc->nreals ? svc->reals[0].weight : 0, sum = 0, reals;
	bool equal = true;

	if (n->nwords < 2 || !imp_parse_uint(n->words[1], 1, UINT32_MAX, &q)) {
		kad_err(k, n, "bad quorum '%s' (expected a weight sum of 1 or more)",
			n->nwords >= 2 ? n->words[1] : "");
		return;
	}
	for (size_t i = 0; i < svc->nreals; i++) {
		equal &= svc->reals[i].weight == w;
		sum += svc->reals[i].weight;
	}
	if (!equal || !w) {
		kad_comment(k, &svc->notes, n,
			    "keepalived's quorum is a sum of weights, xlb's a number of reals; the "
			    "weights differ, so there is no exact count");
		return;
	}
	if (q > sum)
		q = sum; /* keepalived lowers it the same way */
	reals = (q + w - 1) / w;
	svc->quorum = (uint32_t)reals;
	if (w != 1)
		kad_info(k, &svc->notes, n, "a weight sum of %llu is %llu reals of weight %llu",
			 (unsigned long long)q, (unsigned long long)reals, (unsigned long long)w);
	k->cfg->mapped++;
}

static void kad_endpoint_name(const struct imp_service *svc, const char *group, char *buf,
			      size_t size)
{
	snprintf(buf, size, "%s%s%s-%u%s", group ? group : "", group ? "-" : "", svc->vip,
		 svc->port, svc->udp ? "-udp" : "");
}

/* An entry's last address component increments: IPv4's last byte, IPv6's last 16 bits. */
static size_t kad_group_entry(struct kad_ctx *k, struct imp_service *first,
			      const struct kad_node *e, struct kad_endpoint *out, size_t room)
{
	char start[IMP_ADDR_MAX], *dash, *slash;
	unsigned char a[16];
	uint64_t port = 0, end = 0, count = 1;
	int family;

	if (!strcmp(e->words[0], "fwmark")) {
		kad_comment_as(k, &first->notes, e, "virtual_server_group",
			       "xlb has no fwmark services (it balances by VIP, port and protocol)");
		return 0;
	}
	snprintf(start, sizeof(start), "%s", e->words[0]);
	dash = strchr(start, '-');
	slash = strchr(start, '/');
	if (dash)
		*dash++ = '\0';
	if (slash)
		*slash++ = '\0';
	family = inet_pton(AF_INET, start, a) == 1 ? AF_INET :
		 inet_pton(AF_INET6, start, a) == 1 ? AF_INET6 : 0;
	if (!family || (e->nwords >= 2 && !imp_parse_uint(e->words[1], 0, 65535, &port))) {
		kad_err(k, e, "bad virtual_server_group entry '%s%s%s' (expected IP[-LAST] PORT or "
			      "fwmark N)",
			e->words[0], e->nwords >= 2 ? " " : "", e->nwords >= 2 ? e->words[1] : "");
		return 0;
	}
	if (!port) {
		kad_comment_as(k, &first->notes, e, "virtual_server_group",
			       "xlb services have one port; keepalived's port 0 takes every port");
		return 0;
	}
	if (dash) {
		uint64_t last = family == AF_INET ? a[3] : (uint64_t)(a[14] << 8 | a[15]);

		if (!imp_parse_uint(dash, 0, family == AF_INET ? 255 : 65535, &end) && family == AF_INET6) {
			char *x;

			end = strtoull(dash, &x, 16);
			if (*x || end > 65535)
				end = 0;
		}
		if (end < last) {
			kad_err(k, e, "bad range '%s' (expected the last part to count up)", e->words[0]);
			return 0;
		}
		count = end - last + 1;
	} else if (slash) {
		uint64_t bits;

		if (!imp_parse_uint(slash, 1, family == AF_INET ? 32 : 128, &bits)) {
			kad_err(k, e, "bad prefix in '%s' (expected /1../%d)", e->words[0],
				family == AF_INET ? 32 : 128);
			return 0;
		}
		bits = (family == AF_INET ? 32 : 128) - bits;
		count = bits > 16 ? KAD_RANGE_MAX + 1 : 1ull << bits;
	}
	if (count > KAD_RANGE_MAX || count > room) {
		kad_comment_as(k, &first->notes, e, "virtual_server_group",
			    "expands to %s services; xlb takes at most %d (list the VIPs in use)",
			    count > KAD_RANGE_MAX ? "too many" : "more than the remaining",
			    XLB_MAX_SERVICES);
		return 0;
	}
	for (uint64_t i = 0; i < count; i++) {
		unsigned char b[16];

		memcpy(b, a, sizeof(b));
		if (family == AF_INET) {
			uint32_t v = ((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]) + (uint32_t)i;

			b[0] = (unsigned char)(v >> 24), b[1] = (unsigned char)(v >> 16);
			b[2] = (unsigned char)(v >> 8), b[3] = (unsigned char)v;
		} else {
			/* Add i to the 128-bit number, low byte first. */
			uint64_t carry = i;

			for (int j = 15; j >= 0 && carry; j--) {
				carry += b[j];
				b[j] = (unsigned char)carry;
				carry >>= 8;
			}
		}
		inet_ntop(family, b, out[i].addr, sizeof(out[i].addr));
		out[i].port = (uint16_t)port;
	}
	return (size_t)count;
}

/* A copy of the first service of a group, for another of its addresses. */
static void kad_clone(struct imp_config *cfg, size_t first, const struct kad_endpoint *ep,
		      const char *group, int family)
{
	struct imp_service *dst = imp_add_service(cfg), *src = &cfg->services[first];
	char name[CONFIG_NAME_MAX + IMP_ADDR_MAX + 16], who[CONFIG_NAME_MAX];

	*dst = *src;
	memset(&dst->notes, 0, sizeof(dst->notes));
	memset(&dst->health.notes, 0, sizeof(dst->health.notes));
	dst->reals = calloc(src->nreals ? src->nreals : 1, sizeof(*dst->reals));
	if (!dst->reals) {
		fprintf(stderr, "xlbctl import: out of memory\n");
		exit(1);
	}
	dst->cap = src->nreals;
	for (size_t i = 0; i < src->nreals; i++) {
		dst->reals[i] = src->reals[i];
		memset(&dst->reals[i].notes, 0, sizeof(dst->reals[i].notes));
	}
	snprintf(dst->vip, sizeof(dst->vip), "%s", ep->addr);
	dst->family = family;
	dst->port = ep->port;
	kad_endpoint_name(dst, group, name, sizeof(name));
	imp_unique_service_name(cfg, dst, name);
	imp_note(&dst->notes, IMP_NOTE_INFO, NULL, "virtual_server_group",
		 "from virtual_server_group %s: the reals and check of service %s", group,
		 cfg->services[first].name);
	if (imp_service_duplicate(cfg, dst, who, sizeof(who))) {
		char text[96];

		kad_endpoint_name(dst, NULL, text, sizeof(text));
		imp_note(&dst->notes, IMP_NOTE_COMMENTED, NULL, "virtual_server_group",
			 "%s: the same VIP, port and protocol as service %s: left out", text, who);
		dst->omitted = true;
	}
}

static const struct kad_node *kad_find_group(struct kad_ctx *k, const char *name)
{
	for (size_t i = 0; i < k->ngroups; i++)
		if (!strcmp(k->groups[i]->words[1], name))
			return k->groups[i];
	return NULL;
}

/* The whole virtual_server as one comment, for what xlb has no service for. */
static void kad_omit(struct kad_ctx *k, const struct kad_node *n, const char *why)
{
	struct imp_service *svc = imp_add_service(k->cfg);
	char reals[400] = "";
	size_t off = 0;

	svc->omitted = true;
	for (size_t i = 0; i < n->nkids && off < sizeof(reals); i++) {
		const struct kad_node *r = &n->kids[i];
		int w;

		if (strcmp(r->words[0], "real_server") || r->nwords < 2)
			continue;
		w = snprintf(reals + off, sizeof(reals) - off, "%s%s", off ? ", " : "; its reals: ",
			     r->words[1]);
		if (w < 0)
			break;
		off += (size_t)w;
	}
	kad_comment(k, &svc->notes, n, "%s%s", why, reals);
}

void kad_map_virtual_server(struct kad_ctx *k, const struct kad_node *n)
{
	struct imp_config *cfg = k->cfg;
	struct kad_endpoint *eps = NULL;
	const struct kad_node *group = NULL;
	struct kad_vs vs = { .inhibit = 0, .weight = KAD_UNSET };
	struct kad_rs *rss = NULL;
	struct imp_service *svc;
	size_t neps = 0, nrss = 0, first, room;
	char name[CONFIG_NAME_MAX + IMP_ADDR_MAX + 16], who[CONFIG_NAME_MAX];
	uint64_t port = 0;

	vs.d = (struct kad_check_defaults){ KAD_UNSET, KAD_UNSET, KAD_UNSET, NULL };
	if (n->nwords < 2) {
		kad_err(k, n, "virtual_server without an address (expected virtual_server IP PORT, "
			      "fwmark N or group NAME)");
		return;
	}
	if (!strcmp(n->words[1], "fwmark")) {
		kad_omit(k, n, "xlb has no fwmark services: it balances by VIP, port and protocol, "
			       "so add one service per VIP and port the mark selects");
		return;
	}
	room = XLB_MAX_SERVICES > cfg->nservices ? XLB_MAX_SERVICES - cfg->nservices : 0;
	eps = calloc(room ? room : 1, sizeof(*eps));
	if (!eps) {
		fprintf(stderr, "xlbctl import: out of memory\n");
		exit(1);
	}
	if (!strcmp(n->words[1], "group")) {
		group = n->nwords >= 3 ? kad_find_group(k, n->words[2]) : NULL;
		if (!group) {
			kad_omit(k, n, "no virtual_server_group of that name, so keepalived ignores it");
			goto out;
		}
		/* Placeholder notes go on the first service, which exists only after the keys. */
	} else {
		int family = imp_addr_canon(n->words[1], eps[0].addr, sizeof(eps[0].addr));

		if (!family) {
			kad_err(k, n, "bad virtual_server address '%s' (expected an IPv4 or IPv6 "
				      "address, fwmark N or group NAME)",
				n->words[1]);
			goto out;
		}
		if (n->nwords >= 3 && !imp_parse_uint(n->words[2], 0, 65535, &port)) {
			kad_err(k, n, "bad virtual_server port '%s' (expected 0..65535)", n->words[2]);
			goto out;
		}
		if (!port) {
			kad_omit(k, n, "xlb services have one port; keepalived's port 0 (persistent) "
				       "takes every port of the VIP");
			goto out;
		}
		if (!room) {
			kad_omit(k, n, "more services than xlb takes");
			goto out;
		}
		eps[0].port = (uint16_t)port;
		neps = 1;
	}

	first = cfg->nservices;
	svc = imp_add_service(cfg);
	cfg->mapped++;
	if (group) {
		cfg->mapped++; /* the group it names */
		for (size_t i = 0; i < group->nkids; i++)
			neps += kad_group_entry(k, svc, &group->kids[i], eps + neps, room - neps);
		if (!neps) {
			svc->omitted = true;
			kad_comment(k, &svc->notes, n,
				    "its group has no address and port xlb can balance");
			goto out;
		}
	}
	snprintf(svc->vip, sizeof(svc->vip), "%s", eps[0].addr);
	svc->family = strchr(eps[0].addr, ':') ? AF_INET6 : AF_INET;
	svc->port = eps[0].port;
	kad_vs_keys(k, n, svc, &vs);
	if (svc->omitted)
		goto out;
	for (size_t i = 1; i < neps; i++) {
		if ((strchr(eps[i].addr, ':') ? AF_INET6 : AF_INET) != svc->family) {
			imp_note(&svc->notes, IMP_NOTE_COMMENTED, NULL, "virtual_server_group",
				 "group %s: %s is of another address family than %s; an xlb service "
				 "has reals of one family, left out",
				 group->words[1], eps[i].addr, svc->vip);
			memmove(&eps[i], &eps[i + 1], (neps - i - 1) * sizeof(*eps));
			neps--, i--;
		}
	}
	kad_reals(k, n, svc, &vs, &rss, &nrss);
	if (!svc->nreals) {
		svc->omitted = true;
		kad_comment(k, &svc->notes, n,
			    "has no real server xlb can use, and keepalived ignores a "
			    "virtual_server without real servers");
		goto out;
	}
	kad_health(k, svc, &vs, rss, nrss);
	if (vs.sorry)
		kad_sorry(k, svc, vs.sorry);
	if (vs.quorum)
		kad_quorum(k, svc, vs.quorum);
	kad_endpoint_name(svc, group ? group->words[1] : NULL, name, sizeof(name));
	imp_unique_service_name(cfg, svc, name);
	if (imp_service_duplicate(cfg, svc, who, sizeof(who))) {
		kad_comment(k, &svc->notes, n,
			    "the same VIP, port and protocol as service %s; xlb takes each once, "
			    "so this one is left out",
			    who);
		svc->omitted = true;
		goto out;
	}
	for (size_t i = 1; i < neps; i++)
		kad_clone(cfg, first, &eps[i], group->words[1], cfg->services[first].family);
out:
	free(rss);
	free(eps);
}
