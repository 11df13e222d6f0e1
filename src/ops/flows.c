// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * {"cmd":"flows"}: the connection table, as ipvsadm -Lnc shows IPVS's,
 * filtered by service, real, client and state. The whole table is walked
 * (so the total is exact) but at most "limit" flows go into the reply.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ops/endpoint.h"
#include "ops/ops_ctl.h"

#define FLOWS_DEFAULT_LIMIT 1000
#define FLOWS_MAX_LIMIT 100000

static const char *const flow_state_names[XLB_FS__COUNT] = {
	[XLB_FS_NONE] = "NONE", [XLB_FS_SYN] = "SYN_RECV", [XLB_FS_EST] = "ESTABLISHED",
	[XLB_FS_FIN] = "FIN_WAIT", [XLB_FS_CLOSE] = "CLOSE",  [XLB_FS_UDP] = "UDP",
};

struct flows_walk {
	struct model *m;
	struct real **reals; /* by id */
	const struct service *svc_by_id[XLB_MAX_SERVICES];
	/* filters; family 0 / -1: any */
	const struct service *svc;
	struct net_addr real_addr, client_addr;
	int real_port, client_port;
	int state;
	long limit;
	uint64_t now_ns;
	long total, matched;
	json_object *list;
};

static uint32_t flows_timeout_ms(const struct flow_timeouts *t, uint32_t state)
{
	switch (state) {
	case XLB_FS_EST:
		return t->tcp_established_ms;
	case XLB_FS_FIN:
	case XLB_FS_CLOSE:
		return t->tcp_fin_ms;
	case XLB_FS_UDP:
		return t->udp_ms;
	default:
		return t->tcp_syn_ms;
	}
}

static bool flows_addr_is(const struct xlb_addr *a, uint8_t family, const struct net_addr *want)
{
	struct net_addr n;

	ops_xlb_to_net_addr(a, family, &n);
	return net_addr_equal(&n, want);
}

static bool flows_one(const struct xlb_flow_key *k, const struct xlb_flow *f, void *arg)
{
	struct flows_walk *w = arg;
	const struct service *s = f->svc_id < XLB_MAX_SERVICES ? w->svc_by_id[f->svc_id] : NULL;
	const struct real *r = f->real_id < XLB_MAX_REALS ? w->reals[f->real_id] : NULL;
	char buf[NET_ADDR_STRLEN + 8];
	json_object *o;
	double left;

	w->total++;
	if (r && r->gen != f->real_gen)
		r = NULL; /* the id went to another real since */
	if ((w->svc && s != w->svc) || (w->state >= 0 && (int)f->state != w->state))
		return false;
	if (w->client_addr.family && (!flows_addr_is(&k->src, k->family, &w->client_addr) ||
				      (w->client_port && ntohs(k->sport) != w->client_port)))
		return false;
	if (w->real_addr.family && (!r || !net_addr_equal(&r->cfg.addr, &w->real_addr) ||
				    (w->real_port && r->cfg.port != w->real_port)))
		return false;
	if (++w->matched > w->limit)
		return false;
	left = ((double)f->last_seen_ns +
		(double)flows_timeout_ms(&w->m->cfg.timeouts, f->state) * 1e6 - (double)w->now_ns) /
	       1e9;
	o = json_object_new_object();
	json_object_object_add(o, "proto",
			       json_object_new_string(k->proto == IPPROTO_UDP ? "UDP" : "TCP"));
	json_object_object_add(o, "state", json_object_new_string(f->state < XLB_FS__COUNT ?
									  flow_state_names[f->state] :
									  "?"));
	json_object_object_add(o, "expires_s", json_object_new_double(left > 0 ? left : 0));
	json_object_object_add(o, "client", json_object_new_string(ops_xlb_endpoint_str(
						     &k->src, k->family, k->sport, buf, sizeof(buf))));
	json_object_object_add(o, "vip", json_object_new_string(ops_xlb_endpoint_str(
						  &k->dst, k->family, k->dport, buf, sizeof(buf))));
	json_object_object_add(o, "real", json_object_new_string(
						  r ? ops_endpoint_str(&r->cfg.addr, r->cfg.port, buf,
								       sizeof(buf)) :
						      "gone"));
	json_object_object_add(o, "service", json_object_new_string(s ? s->cfg.name : "?"));
	if (s && s->cfg.method == XLB_METHOD_FNAT && f->nat_port)
		json_object_object_add(o, "local",
				       json_object_new_string(ops_xlb_endpoint_str(
					       &f->nat_addr, k->family, f->nat_port, buf, sizeof(buf))));
	json_object_array_add(w->list, o);
	return false;
}

static json_object *flows_error(const char *fmt, const char *arg)
{
	json_object *o = json_object_new_object();
	char msg[256];

	snprintf(msg, sizeof(msg), fmt, arg);
	json_object_object_add(o, "error", json_object_new_string(msg));
	return o;
}

json_object *ops_flows(struct model *m, json_object *req)
{
	struct flows_walk *w = calloc(1, sizeof(*w));
	json_object *v, *reply;
	struct timespec now;
	long seen;

	if (!w)
		return flows_error("out of memory%s", "");
	w->m = m;
	w->state = -1;
	w->limit = FLOWS_DEFAULT_LIMIT;
	if (json_object_object_get_ex(req, "limit", &v)) {
		w->limit = (long)json_object_get_int64(v);
		if (w->limit < 0 || w->limit > FLOWS_MAX_LIMIT)
			w->limit = FLOWS_MAX_LIMIT;
	}
	if (json_object_object_get_ex(req, "service", &v)) {
		for (size_t i = 0; i < m->nservices; i++)
			if (strcmp(m->services[i].cfg.name, json_object_get_string(v)) == 0)
				w->svc = &m->services[i];
		if (!w->svc) {
			free(w);
			return flows_error("no service '%s'", json_object_get_string(v));
		}
	}
	if (json_object_object_get_ex(req, "real", &v) &&
	    ops_parse_endpoint(json_object_get_string(v), &w->real_addr, &w->real_port) < 0) {
		free(w);
		return flows_error("bad real '%s' (expected ADDRESS or ADDRESS:PORT)",
				   json_object_get_string(v));
	}
	if (json_object_object_get_ex(req, "client", &v) &&
	    ops_parse_endpoint(json_object_get_string(v), &w->client_addr, &w->client_port) < 0) {
		free(w);
		return flows_error("bad client '%s' (expected ADDRESS or ADDRESS:PORT)",
				   json_object_get_string(v));
	}
	if (json_object_object_get_ex(req, "state", &v)) {
		const char *want = json_object_get_string(v);

		for (int i = 1; i < XLB_FS__COUNT; i++)
			if (strcasecmp(want, flow_state_names[i]) == 0 ||
			    strncasecmp(want, flow_state_names[i], 3) == 0)
				w->state = i;
		if (w->state < 0) {
			free(w);
			return flows_error("bad state '%s' (expected established, syn_recv, fin_wait, "
					   "close or udp)",
					   want);
		}
	}
	w->reals = model_reals_by_id(m);
	if (!w->reals) {
		free(w);
		return flows_error("out of memory%s", "");
	}
	for (size_t i = 0; i < m->nservices; i++)
		if (m->services[i].id < XLB_MAX_SERVICES)
			w->svc_by_id[m->services[i].id] = &m->services[i];
	clock_gettime(CLOCK_MONOTONIC, &now); /* bpf_ktime_get_ns()'s clock */
	w->now_ns = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
	w->list = json_object_new_array();
	/* both tables: the connection table, SYN_RECV-like flows included */
	seen = dataplane_flows_sweep(m->dp, DP_FLOWS, flows_one, w);
	if (seen >= 0) {
		long syn = dataplane_flows_sweep(m->dp, DP_SYN_FLOWS, flows_one, w);

		seen = syn < 0 ? syn : seen + syn;
	}
	reply = json_object_new_object();
	if (seen < 0) {
		json_object_put(w->list);
		json_object_put(reply);
		reply = flows_error("cannot read the flow table%s", "");
	} else {
		json_object_object_add(reply, "total", json_object_new_int64(w->total));
		json_object_object_add(reply, "matched", json_object_new_int64(w->matched));
		json_object_object_add(reply, "shown",
				       json_object_new_int64((int64_t)json_object_array_length(w->list)));
		json_object_object_add(reply, "limit", json_object_new_int64(w->limit));
		json_object_object_add(reply, "flows", w->list);
	}
	free(w->reals);
	free(w);
	return reply;
}
