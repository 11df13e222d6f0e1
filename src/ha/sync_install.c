// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Installing peers' flow records into the maps, and collecting ours for them. */
#include "ha/sync_install.h"
#include "xlb/xlb_method.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static bool xlb_addr_equal(const struct xlb_addr *a, const struct xlb_addr *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

static bool sync_service_is(const struct service *s, const struct xlb_flow_key *key)
{
	struct xlb_addr vip;

	if (s->cfg.proto != key->proto || htons(s->cfg.port) != key->dport ||
	    net_addr_xlb_family(&s->cfg.vip) != key->family)
		return false;
	net_addr_to_xlb(&s->cfg.vip, &vip);
	return xlb_addr_equal(&vip, &key->dst);
}

static bool sync_real_is(const struct real *r, const struct xlb_addr *addr, uint16_t port)
{
	struct xlb_addr a;

	net_addr_to_xlb(&r->cfg.addr, &a);
	return htons(r->cfg.port) == port && xlb_addr_equal(&a, addr);
}

/*
 * Linear searches, each starting where the last one matched: records come
 * in bursts of one service's flows, so the first probe nearly always hits.
 * The remembered index is only a hint, checked again (a reload may have
 * reordered everything).
 */
static size_t sync_last_service, sync_last_real;

static struct service *sync_find_service(struct model *m, const struct xlb_flow_key *key)
{
	for (size_t k = 0; k < m->nservices; k++) {
		size_t i = (sync_last_service + k) % m->nservices;

		if (sync_service_is(&m->services[i], key)) {
			sync_last_service = i;
			return &m->services[i];
		}
	}
	return NULL;
}

static struct real *sync_find_real(struct service *s, const struct xlb_addr *addr, uint16_t port)
{
	for (size_t k = 0; k < s->nreals; k++) {
		size_t i = (sync_last_real + k) % s->nreals;

		if (sync_real_is(&s->reals[i], addr, port)) {
			sync_last_real = i;
			return &s->reals[i];
		}
	}
	return NULL;
}

/* nat: replies come from the real to the client; fnat: to our local address and port. */
static int sync_install_nat_rev(struct model *m, const struct service *s,
				const struct sync_record *rec)
{
	struct xlb_flow_key rkey;
	struct xlb_nat_rev rev = {
		.client = rec->key.src,
		.vip = rec->key.dst,
		.client_port = rec->key.sport,
		.vip_port = rec->key.dport,
		.svc_id = s->id,
	};

	xlb_nat_reply_key(&rkey, s->cfg.method, &rec->key, &rec->real_addr, rec->real_port,
			  &rec->nat_addr, rec->nat_port);
	return dataplane_nat_rev_put(m->dp, &rkey, &rev);
}

enum sync_install_result sync_install(struct model *m, const struct sync_record *rec,
				      uint64_t now_ns)
{
	uint64_t idle_ns = (uint64_t)rec->idle_ms * 1000000ull;
	struct xlb_flow flow = {}, cur;
	struct service *s = sync_find_service(m, &rec->key);
	struct real *r;

	if (!s || s->cfg.method == XLB_METHOD_PROXY)
		return SYNC_NO_SERVICE;
	r = sync_find_real(s, &rec->real_addr, rec->real_port);
	if (!r)
		return SYNC_NO_REAL;
	/* Freshest knowledge wins: a flow we forwarded since the sender last did stays ours. */
	if (dataplane_flow_get(m->dp, &rec->key, &cur) == 0 && !(cur.flags & XLB_FLOW_F_SYNCED) &&
	    now_ns > cur.last_seen_ns && now_ns - cur.last_seen_ns < idle_ns)
		return SYNC_KEPT_LOCAL;
	flow.real_id = r->id;
	flow.real_gen = r->gen;
	flow.svc_id = s->id;
	flow.state = rec->state;
	flow.last_seen_ns = now_ns > idle_ns ? now_ns - idle_ns : 0;
	flow.nat_addr = rec->nat_addr;
	flow.nat_port = rec->nat_port;
	flow.flags = XLB_FLOW_F_SYNCED;
	if (xlb_method_nat(s->cfg.method) && sync_install_nat_rev(m, s, rec))
		return SYNC_INSTALL_FAILED;
	/* Counts follow at the next sweep, whose tally is the truth. */
	if (dataplane_flow_put(m->dp, &rec->key, &flow))
		return SYNC_INSTALL_FAILED;
	return SYNC_INSTALLED;
}

struct sync_collect_ctx {
	struct real **real_by_id;
	uint64_t now_ns;
	uint64_t since_ns;
	void (*fn)(const struct sync_record *rec, void *arg);
	void *arg;
};

static bool sync_collect_one(const struct xlb_flow_key *key, const struct xlb_flow *flow,
			     void *arg)
{
	struct sync_collect_ctx *c = arg;
	struct sync_record rec = { .key = *key, .state = (uint8_t)flow->state };
	const struct real *r;

	if (!sync_flow_is_ours(flow))
		return false;
	if (c->since_ns && flow->last_seen_ns <= c->since_ns)
		return false;
	r = c->real_by_id[flow->real_id];
	if (!r || r->gen != flow->real_gen)
		return false;
	net_addr_to_xlb(&r->cfg.addr, &rec.real_addr);
	rec.real_port = htons(r->cfg.port);
	rec.nat_addr = flow->nat_addr;
	rec.nat_port = flow->nat_port;
	if (c->now_ns > flow->last_seen_ns)
		rec.idle_ms = (uint32_t)((c->now_ns - flow->last_seen_ns) / 1000000ull);
	c->fn(&rec, c->arg);
	return false;
}

long sync_collect(struct model *m, uint64_t now_ns, uint64_t since_ns,
		  void (*fn)(const struct sync_record *rec, void *arg), void *arg)
{
	struct sync_collect_ctx c = { .now_ns = now_ns, .since_ns = since_ns, .fn = fn, .arg = arg };
	long seen;

	c.real_by_id = model_reals_by_id(m);
	if (!c.real_by_id)
		return -ENOMEM;
	seen = dataplane_flows_sweep(m->dp, DP_FLOWS, sync_collect_one, &c);
	free(c.real_by_id);
	return seen;
}
