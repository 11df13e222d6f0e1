// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Keeps the data plane's maps equal to the running config. Services are
 * matched across reloads by (VIP, port, protocol) and reals by (address,
 * port) within their service, so what did not change keeps its ids and
 * therefore its flows. A real's id is paired with a generation that is new
 * for every allocation: a flow recorded against a removed real never follows
 * the id to whoever gets it next.
 */
#include "model.h"
#include "xlb/xlb_method.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iface.h"
#include "log.h"
#include "sched/sched.h"

struct recovered_real {
	uint32_t id;
	struct xlb_real val;
	bool adopted;
};

static const char *const problem_no_route = "no route";
static const char *const problem_not_onlink = "not on a directly connected network";
static const char *const problem_foreign_iface = "reached through an interface xlb is not attached to";
static const char *const problem_no_source = "no local address toward it for the outer header";
static const char *const problem_mixed_family = "next hop of the other address family";

/* fnat replies come back to the local addresses: they must be this host's. */
static int model_write_fnat_locals(struct model *m, const struct service *s)
{
	struct xlb_fnat_locals locals = {};
	char buf[NET_ADDR_STRLEN];

	if (s->cfg.method != XLB_METHOD_FNAT) {
		dataplane_fnat_locals_del(m->dp, s->id); /* a reused id may have had some */
		return 0;
	}
	for (size_t i = 0; i < s->cfg.nlocal_addrs; i++) {
		struct neigh_route rt;

		if (neigh_route_lookup(m->neigh, &s->cfg.local_addrs[i], &rt) != -ELOOP)
			log_warn("service %s: local address %s is not an address of this host; "
				 "replies to it will not reach xlb",
				 s->cfg.name, net_addr_str(&s->cfg.local_addrs[i], buf, sizeof(buf)));
		net_addr_to_xlb(&s->cfg.local_addrs[i], &locals.addrs[i]);
	}
	locals.count = (uint32_t)s->cfg.nlocal_addrs;
	return dataplane_fnat_locals_put(m->dp, s->id, &locals);
}

const char *real_state_name(const struct real *r)
{
	if (r->problem)
		return "unreachable";
	if (r->health_down)
		return "down";
	return r->mac_known || r->no_mac ? "up" : "no-mac";
}

uint64_t model_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Restarts the "for how long" clock when what xlbctl shows for @r changes. */
static void model_note_state(struct real *r)
{
	const char *now = real_state_name(r);

	if (r->shown_state && strcmp(r->shown_state, now) == 0)
		return;
	r->shown_state = now;
	r->since_ms = model_now_ms();
}

static void model_recover_one(uint32_t id, const struct xlb_real *real, void *arg)
{
	struct model *m = arg;
	struct recovered_real *grown =
		realloc(m->recovered, (m->nrecovered + 1) * sizeof(*m->recovered));

	if (!grown)
		return;
	m->recovered = grown;
	m->recovered[m->nrecovered++] = (struct recovered_real){ .id = id, .val = *real };
	if (id < XLB_MAX_REALS)
		m->real_used[id] = 1;
	if (real->gen >= m->next_gen)
		m->next_gen = real->gen + 1;
}

int model_init(struct model *m, struct dataplane *dp, struct neigh_ctx *neigh)
{
	memset(m, 0, sizeof(*m));
	m->dp = dp;
	m->neigh = neigh;
	m->next_gen = 1;
	dataplane_reals_foreach(dp, model_recover_one, m);
	if (m->nrecovered)
		log_info("found %zu reals in pinned maps from a previous run; their flows are kept",
			 m->nrecovered);
	return 0;
}

static int id_alloc(uint8_t *used, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!used[i]) {
			used[i] = 1;
			return (int)i;
		}
	return -ENOSPC;
}

/*
 * The lowest free real id, as id_alloc() would find it, without scanning the
 * ids below the hint again: allocating n reals is O(n), not O(n^2).
 */
static int real_id_alloc(struct model *m)
{
	for (uint32_t i = m->real_free_hint; i < XLB_MAX_REALS; i++)
		if (!m->real_used[i]) {
			m->real_used[i] = 1;
			m->real_free_hint = i + 1;
			return (int)i;
		}
	return -ENOSPC;
}

static void real_id_free(struct model *m, uint32_t id)
{
	m->real_used[id] = 0;
	if (id < m->real_free_hint)
		m->real_free_hint = id;
}

static void service_key(const struct service_config *sc, struct xlb_service_key *key)
{
	memset(key, 0, sizeof(*key));
	net_addr_to_xlb(&sc->vip, &key->vip);
	key->port = htons(sc->port);
	key->proto = sc->proto;
	key->family = net_addr_xlb_family(&sc->vip);
}

static bool service_same_key(const struct service_config *a, const struct service_config *b)
{
	return a->port == b->port && a->proto == b->proto && net_addr_equal(&a->vip, &b->vip);
}

static struct service *model_find_service(struct model *m, const struct service_config *sc)
{
	for (size_t i = 0; i < m->nservices; i++)
		if (service_same_key(&m->services[i].cfg, sc))
			return &m->services[i];
	return NULL;
}

static struct real *service_find_real(struct service *s, const struct real_config *rc)
{
	for (size_t i = 0; s && i < s->nreals; i++)
		if (s->reals[i].cfg.port == rc->port && net_addr_equal(&s->reals[i].cfg.addr, &rc->addr))
			return &s->reals[i];
	return NULL;
}

/*
 * A service's reals sorted by (port, address), ties in their order, for
 * lookups in O(log n): matching 4096 reals against 4096 pair by pair made a
 * reload of a big config quadratic.
 */
struct real_index {
	struct real **v;
	size_t n;
};

static int real_key_cmp(const struct real_config *a, const struct real_config *b)
{
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	if (a->addr.family != b->addr.family)
		return a->addr.family < b->addr.family ? -1 : 1;
	return a->addr.family == AF_INET6 ? memcmp(&a->addr.v6, &b->addr.v6, sizeof(a->addr.v6)) :
					    memcmp(&a->addr.v4, &b->addr.v4, sizeof(a->addr.v4));
}

static int real_ptr_cmp(const void *x, const void *y)
{
	const struct real *a = *(struct real *const *)x, *b = *(struct real *const *)y;
	int r = real_key_cmp(&a->cfg, &b->cfg);

	return r ? r : (a < b ? -1 : a > b);
}

/* An empty index for NULL; -ENOMEM. */
static int real_index_build(struct service *s, struct real_index *ix)
{
	ix->n = s ? s->nreals : 0;
	ix->v = malloc((ix->n ? ix->n : 1) * sizeof(*ix->v));
	if (!ix->v)
		return -ENOMEM;
	for (size_t i = 0; i < ix->n; i++)
		ix->v[i] = &s->reals[i];
	qsort(ix->v, ix->n, sizeof(*ix->v), real_ptr_cmp);
	return 0;
}

/* The first real (in service order) with @rc's address and port, as service_find_real. */
static struct real *real_index_find(const struct real_index *ix, const struct real_config *rc)
{
	size_t lo = 0, hi = ix->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (real_key_cmp(&ix->v[mid]->cfg, rc) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < ix->n && real_key_cmp(&ix->v[lo]->cfg, rc) == 0 ? ix->v[lo] : NULL;
}

static struct recovered_real *model_find_recovered(struct model *m, uint32_t svc_id,
						   const struct real_config *rc)
{
	struct xlb_addr addr;

	net_addr_to_xlb(&rc->addr, &addr);
	for (size_t i = 0; i < m->nrecovered; i++) {
		struct recovered_real *r = &m->recovered[i];

		if (!r->adopted && r->val.svc_id == svc_id && r->val.port == htons(rc->port) &&
		    memcmp(&r->val.addr, &addr, sizeof(addr)) == 0)
			return r;
	}
	return NULL;
}

static const struct iface *model_find_iface(const struct model *m, int ifindex)
{
	for (size_t i = 0; i < m->nifaces; i++)
		if (m->ifaces[i].ifindex == ifindex)
			return &m->ifaces[i];
	return NULL;
}

/*
 * Finds the egress interface, next hop and its MAC for @r; asks the kernel to
 * resolve a missing MAC. dr needs the real on a connected segment; the routed
 * methods go through the gateway when there is one.
 */
static void model_resolve_real(struct model *m, const struct service *s, struct real *r)
{
	struct neigh_route rt;
	int ifindex;

	r->problem = NULL;
	if (neigh_route_lookup(m->neigh, &r->cfg.addr, &rt) < 0) {
		r->problem = problem_no_route;
		return;
	}
	/* method proxy connects through the stack: any route will do. */
	if (r->no_mac)
		return;
	ifindex = rt.ifindex;
	if (!rt.onlink && !xlb_method_routed(s->cfg.method)) {
		r->problem = problem_not_onlink;
		return;
	}
	if (!rt.onlink && rt.gateway.family != r->cfg.addr.family) {
		r->problem = problem_mixed_family;
		return;
	}
	if (xlb_method_encap(s->cfg.method) && rt.prefsrc.family != r->cfg.addr.family) {
		r->problem = problem_no_source;
		return;
	}
	r->src = rt.prefsrc;
	if (!net_addr_equal(&r->nexthop, rt.onlink ? &r->cfg.addr : &rt.gateway))
		r->mac_known = false;
	r->nexthop = rt.onlink ? r->cfg.addr : rt.gateway;
	if (!model_find_iface(m, ifindex)) {
		r->problem = problem_foreign_iface;
		return;
	}
	if (ifindex != r->ifindex)
		r->mac_known = false;
	r->ifindex = ifindex;
	if (neigh_lookup(m->neigh, &r->nexthop, ifindex, r->mac) == 0)
		r->mac_known = true;
	else if (!r->mac_known)
		neigh_trigger(m->neigh, &r->nexthop, ifindex);
}

static bool real_usable(const struct real *r)
{
	return !r->problem && (r->mac_known || r->no_mac) && !r->health_down;
}

/* The sorry server takes new flows only while no other real can. */
static bool model_in_ring(const struct service *s, const struct real *r)
{
	if (!r->sorry)
		return real_usable(r);
	return s->sorry_active && real_usable(r);
}

/* Counts healthy reals; logs quorum and sorry-server changes once each. */
static void model_update_quorum(struct service *s)
{
	char buf[NET_ADDR_STRLEN];
	const struct real *sorry = NULL;
	uint32_t healthy = 0;
	bool up;

	for (size_t i = 0; i < s->nreals; i++) {
		if (s->reals[i].sorry)
			sorry = &s->reals[i];
		else if (real_usable(&s->reals[i]) && real_weight(&s->reals[i]))
			healthy++;
	}
	up = healthy >= s->cfg.quorum;
	if (s->quorum_known && up != s->quorum_up)
		log_msg(up ? LOG_LVL_INFO : LOG_LVL_WARN,
			"service %s: quorum %s (%u healthy reals, %u needed)", s->cfg.name,
			up ? "met" : "lost", healthy, s->cfg.quorum);
	s->healthy = healthy;
	s->quorum_up = up;
	s->quorum_known = true;
	if (sorry && (healthy == 0) != s->sorry_active) {
		s->sorry_active = healthy == 0;
		log_warn("service %s: %s", s->cfg.name,
			 s->sorry_active ? "no real is usable; new flows go to the sorry server" :
					   "reals are usable again; the sorry server gets no new flows");
		if (s->sorry_active)
			log_info("service %s: sorry server %s", s->cfg.name,
				 net_addr_str(&sorry->cfg.addr, buf, sizeof(buf)));
	}
}

/* Slow start progress (1/256, 0: not ramping) for @r now. */
static uint16_t model_slow_start(const struct service *s, const struct real *r)
{
	if (!s->cfg.slow_start_ms || !r->in_ring)
		return 0;
	return sched_slow_start_progress(model_now_ms() - r->ramp_start_ms, s->cfg.slow_start_ms);
}

static int model_write_real(struct model *m, const struct service *s, const struct real *r)
{
	/* Proxy services live in the proxy engine, never in the BPF maps. */
	if (s->cfg.method == XLB_METHOD_PROXY) {
		m->proxy_gen++;
		dataplane_real_del(m->dp, r->id); /* it may have had another method before */
		return 0;
	}
	const struct iface *ifc = model_find_iface(m, r->ifindex);
	struct xlb_real val = {
		.gen = r->gen,
		/* Without ACTIVE its existing flows are rescheduled (flow_real()). */
		.flags = (r->health_down && s->cfg.health.on_failure == HEALTH_ON_FAILURE_REMOVE ?
				  0 :
				  XLB_REAL_F_ACTIVE) |
			 (model_in_ring(s, r) ? XLB_REAL_F_NEW_FLOWS : 0),
		.ifindex = r->ifindex,
		.svc_id = s->id,
		.port = htons(r->cfg.port),
		.family = net_addr_xlb_family(&r->cfg.addr),
		.weight = real_weight(r),
		.slow_start = model_slow_start(s, r),
	};

	net_addr_to_xlb(&r->cfg.addr, &val.addr);
	if (r->src.family)
		net_addr_to_xlb(&r->src, &val.src_addr);
	if (r->mac_known)
		memcpy(val.dst_mac, r->mac, 6);
	if (ifc) {
		memcpy(val.src_mac, ifc->mac, 6);
		val.mtu = (uint16_t)(ifc->mtu > 0xffff ? 0xffff : ifc->mtu);
	}
	return dataplane_real_put(m->dp, r->id, &val);
}

/*
 * Maglev: the table into the service's idle half of its mh_tables slot. Shares
 * follow each real's weight, or its config weight while drained, so draining
 * or losing a real moves no other client; the data plane skips a real that
 * takes no new flows (XLB_REAL_F_NEW_FLOWS), so every real is rewritten too.
 */
static int model_write_mh(struct model *m, struct service *s, struct sched_real *sreals,
			  uint16_t half, uint32_t *base)
{
	const struct sched_ops *ops = sched_get(s->cfg.sched);
	uint32_t *table = malloc(XLB_MH_TABLE_SIZE * sizeof(*table));
	int err;

	if (!table)
		return -ENOMEM;
	const struct real *sorry = NULL;

	for (size_t i = 0; i < s->nreals; i++) {
		const struct real *r = &s->reals[i];

		sreals[i].last_weight = real_weight(r) ? real_weight(r) : r->cfg.weight;
		if (r->sorry) {
			/* no buckets of its own: it takes every client, or none */
			sreals[i].last_weight = 0;
			sorry = r;
		}
		net_addr_to_xlb(&r->cfg.addr, &sreals[i].addr);
		sreals[i].port = htons(r->cfg.port);
		model_write_real(m, s, r);
	}
	*base = ((uint32_t)s->mh_slot * 2 + half) * XLB_MH_TABLE_SIZE;
	if (sorry && s->sorry_active) {
		for (uint32_t b = 0; b < XLB_MH_TABLE_SIZE; b++)
			table[b] = sorry->id;
		err = 0;
	} else {
		err = ops->build_table(sreals, s->nreals, table, XLB_MH_TABLE_SIZE);
	}
	if (!err)
		err = dataplane_mh_table_put(m->dp, *base, table, XLB_MH_TABLE_SIZE);
	free(table);
	return err;
}

/* Rebuilds the service's ring in its idle slot, then flips the service to it. */
static int model_write_service(struct model *m, struct service *s)
{
	const struct sched_ops *ops = sched_get(s->cfg.sched);
	struct sched_real sreals[s->nreals ? s->nreals : 1];
	struct xlb_service_key key;
	struct xlb_service val = {};
	struct xlb_ring *ring;
	uint16_t slot = s->ring_slot ^ 1;
	int err;

	ring = calloc(1, sizeof(*ring));
	if (!ring)
		return -ENOMEM;
	bool quorum_was = s->quorum_known && s->quorum_up;

	model_update_quorum(s);
	if (m->on_quorum)
		m->on_quorum(m, s, s->quorum_up != quorum_was);
	for (size_t i = 0; i < s->nreals; i++) {
		struct real *r = &s->reals[i];
		bool in_ring = model_in_ring(s, r);

		sreals[i] = (struct sched_real){ .real_id = r->id,
						 .weight = real_weight(r),
						 .usable = in_ring };
		if (in_ring == r->in_ring)
			continue;
		r->in_ring = in_ring;
		/* New to the ring: its slow start begins before its first new flow. */
		if (in_ring && s->cfg.slow_start_ms) {
			r->ramp_start_ms = model_now_ms();
			model_write_real(m, s, r);
		}
	}
	if (s->cfg.method == XLB_METHOD_PROXY) {
		free(ring);
		m->proxy_gen++;
		service_key(&s->cfg, &key);
		dataplane_service_del(m->dp, &key); /* it may have had another method before */
		return 0;
	}
	ring->len = sched_dataplane_ring(ops, sreals, s->nreals,
					 (s->cfg.sched_port ? SCHED_F_PORT : 0) |
						 (s->cfg.sched_fallback ? SCHED_F_FALLBACK : 0),
					 ring->real_ids, XLB_RING_MAX);
	err = dataplane_ring_put(m->dp, s->id * 2 + slot, ring);
	free(ring);
	if (err)
		return err;
	/* lblc reads each real's XLB_REAL_F_NEW_FLOWS after its cache lookup (mh: below) */
	if (ops->kind == XLB_SCHED_KIND_LBLC || ops->kind == XLB_SCHED_KIND_LBLCR)
		for (size_t i = 0; i < s->nreals; i++)
			model_write_real(m, s, &s->reals[i]);
	if (ops->kind == XLB_SCHED_KIND_MH) {
		err = model_write_mh(m, s, sreals, slot, &val.mh_base);
		if (err)
			return err;
	}

	service_key(&s->cfg, &key);
	val.svc_id = s->id;
	val.flags = XLB_SVC_F_ACTIVE;
	val.method = s->cfg.method;
	val.dscp = s->cfg.dscp;
	val.gue_port = htons(s->cfg.gue_port);
	val.persistence_ms = s->cfg.persistence_ms;
	if (s->cfg.midstream_drop)
		val.flags |= XLB_SVC_F_MIDSTREAM_DROP;
	val.sched_kind = ops->kind;
	val.sched_flags = (s->cfg.sched_port ? XLB_SCHED_F_PORT : 0) |
			  (s->cfg.sched_fallback && ops->kind == XLB_SCHED_KIND_MH ? XLB_SCHED_F_FALLBACK :
										      0);
	val.ring_slot = slot;
	err = dataplane_service_put(m->dp, &key, &val);
	if (!err)
		s->ring_slot = slot;
	return err;
}

static void model_free_services(struct service *services, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(services[i].reals);
	free(services);
}

/* Resolves interface names; nothing is changed if one is missing. */
static int model_resolve_ifaces(const struct xlb_config *cfg, struct iface **out)
{
	struct iface *ifaces = calloc(cfg->nifaces ? cfg->nifaces : 1, sizeof(*ifaces));

	if (!ifaces)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->nifaces; i++) {
		const struct iface_config *ic = &cfg->ifaces[i];
		int err = iface_lookup(ic->name, &ifaces[i].ifindex, ifaces[i].mac, &ifaces[i].mtu);

		if (err) {
			log_error("%s:%d: interface '%s': %s", cfg->path, ic->line, ic->name,
				  strerror(-err));
			free(ifaces);
			return err;
		}
		snprintf(ifaces[i].name, sizeof(ifaces[i].name), "%s", ic->name);
		ifaces[i].mode = ic->mode;
	}
	*out = ifaces;
	return 0;
}

static int model_sync_attachments(struct model *m, struct iface *ifaces, size_t n)
{
	for (size_t i = 0; i < m->nifaces; i++) {
		bool keep = false;

		for (size_t j = 0; j < n; j++)
			keep |= ifaces[j].ifindex == m->ifaces[i].ifindex;
		if (!keep)
			dataplane_detach(m->dp, m->ifaces[i].ifindex, m->ifaces[i].name);
	}
	for (size_t j = 0; j < n; j++) {
		int err = dataplane_attach(m->dp, ifaces[j].ifindex, ifaces[j].name, ifaces[j].mac,
					   ifaces[j].mode);

		if (err)
			return err;
	}
	return 0;
}

/* The sorry server as one more real of the service. */
static bool model_sorry_config(const struct service_config *sc, struct real_config *rc)
{
	if (!sc->sorry.addr.family)
		return false;
	memset(rc, 0, sizeof(*rc));
	rc->addr = sc->sorry.addr;
	rc->port = sc->sorry.port;
	rc->weight = 1;
	rc->line = sc->sorry.line;
	return true;
}

/* Health state carries over with the real unless its service stopped checking it. */
static void model_real_health_init(const struct service_config *sc, struct real *r, bool sorry)
{
	r->sorry = sorry;
	if (sorry || sc->health.kind == HEALTH_NONE) {
		r->health_down = false;
		r->health_known = false;
	}
	model_note_state(r);
}

/* Builds the new services with ids carried over from the running (or pinned) state. */
static int model_build_services(struct model *m, const struct xlb_config *cfg,
				struct service **out)
{
	struct service *services = calloc(cfg->nservices ? cfg->nservices : 1, sizeof(*services));

	if (!services)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->nservices; i++) {
		const struct service_config *sc = &cfg->services[i];
		struct service *s = &services[i];
		struct service *old = model_find_service(m, sc);
		struct xlb_service pinned = {};
		struct xlb_service_key key;
		bool fresh = false;
		int id;

		s->cfg = *sc;
		s->cfg.reals = NULL;
		s->reals = calloc(sc->nreals ? sc->nreals : 1, sizeof(*s->reals));
		if (!s->reals)
			goto nomem;
		service_key(sc, &key);
		if (old) {
			s->id = old->id;
			s->ring_slot = old->ring_slot;
		} else if (!m->applied_once && dataplane_service_get(m->dp, &key, &pinned) == 0 &&
			   pinned.svc_id < XLB_MAX_SERVICES && !m->svc_used[pinned.svc_id]) {
			s->id = pinned.svc_id;
			s->ring_slot = pinned.ring_slot;
			m->svc_used[s->id] = 1;
		} else {
			id = id_alloc(m->svc_used, XLB_MAX_SERVICES);
			if (id < 0)
				goto nospace;
			s->id = id;
			fresh = true;
		}
		if (fresh)
			dataplane_stats_reset(m->dp, DP_STATS_SERVICE, s->id);
		s->mh_slot = -1;
		if (sched_get(sc->sched)->kind == XLB_SCHED_KIND_MH) {
			if (old && old->mh_slot >= 0) {
				s->mh_slot = old->mh_slot;
			} else if (!old && !fresh && pinned.sched_kind == XLB_SCHED_KIND_MH &&
				   pinned.mh_base / (2 * XLB_MH_TABLE_SIZE) < XLB_MH_SERVICES &&
				   !m->mh_used[pinned.mh_base / (2 * XLB_MH_TABLE_SIZE)]) {
				s->mh_slot = (int)(pinned.mh_base / (2 * XLB_MH_TABLE_SIZE));
			} else {
				s->mh_slot = id_alloc(m->mh_used, XLB_MH_SERVICES);
				if (s->mh_slot < 0) {
					log_error("%s:%d: service %s: at most %d services can use mh",
						  cfg->path, sc->line, sc->name, XLB_MH_SERVICES);
					goto nospace;
				}
			}
			m->mh_used[s->mh_slot] = 1;
		}

		if (old) {
			s->quorum_up = old->quorum_up;
			s->quorum_known = old->quorum_known;
			s->sorry_active = old->sorry_active;
		}
		struct real_config sorry_rc;
		bool has_sorry = model_sorry_config(sc, &sorry_rc);

		if (has_sorry) {
			struct real *grown = realloc(s->reals, (sc->nreals + 1) * sizeof(*s->reals));

			if (!grown)
				goto nomem;
			s->reals = grown;
			memset(&s->reals[sc->nreals], 0, sizeof(*s->reals));
		}
		s->nreals = sc->nreals + has_sorry;
		struct real_index old_ix;

		if (real_index_build(old, &old_ix) < 0)
			goto nomem;
		for (size_t j = 0; j < s->nreals; j++) {
			const struct real_config *rc = j < sc->nreals ? &sc->reals[j] : &sorry_rc;
			struct real *r = &s->reals[j];
			struct real *old_real = real_index_find(&old_ix, rc);
			struct recovered_real *rec;

			if (old_real) {
				*r = *old_real;
			} else if (!m->applied_once && (rec = model_find_recovered(m, s->id, rc))) {
				rec->adopted = true;
				r->id = rec->id;
				r->gen = rec->val.gen;
			} else {
				id = real_id_alloc(m);
				if (id < 0) {
					free(old_ix.v);
					goto nospace;
				}
				r->id = id;
				r->gen = m->next_gen++;
				dataplane_stats_reset(m->dp, DP_STATS_REAL, r->id);
				dataplane_conns_reset(m->dp, r->id);
			}
			r->cfg = *rc;
			r->no_mac = sc->method == XLB_METHOD_PROXY;
			model_real_health_init(sc, r, j >= sc->nreals);
		}
		free(old_ix.v);
	}
	*out = services;
	return 0;
nospace:
	log_error("too many services or reals (at most %d and %d)", XLB_MAX_SERVICES,
		  XLB_MAX_REALS);
	model_free_services(services, cfg->nservices);
	return -ENOSPC;
nomem:
	model_free_services(services, cfg->nservices);
	return -ENOMEM;
}

/* Ids held by @old_services that @new_services no longer use. */
static void model_release_old(struct model *m, struct service *new_services, size_t nnew)
{
	for (size_t i = 0; i < m->nservices; i++) {
		struct service *old = &m->services[i];
		struct service *now = NULL;

		for (size_t j = 0; j < nnew; j++)
			if (service_same_key(&new_services[j].cfg, &old->cfg))
				now = &new_services[j];
		if (!now) {
			struct xlb_service_key key;

			service_key(&old->cfg, &key);
			dataplane_service_del(m->dp, &key);
			m->svc_used[old->id] = 0;
		}
		if (old->mh_slot >= 0 && (!now || now->mh_slot != old->mh_slot))
			m->mh_used[old->mh_slot] = 0;
		struct real_index now_ix = { 0 };
		bool indexed = real_index_build(now, &now_ix) == 0;

		for (size_t k = 0; k < old->nreals; k++) {
			if (now && (indexed ? real_index_find(&now_ix, &old->reals[k].cfg) :
					      service_find_real(now, &old->reals[k].cfg)))
				continue;
			dataplane_real_del(m->dp, old->reals[k].id);
			real_id_free(m, old->reals[k].id);
		}
		free(now_ix.v);
	}
	for (size_t i = 0; i < m->nrecovered; i++) {
		if (m->recovered[i].adopted)
			continue;
		dataplane_real_del(m->dp, m->recovered[i].id);
		real_id_free(m, m->recovered[i].id);
	}
	free(m->recovered);
	m->recovered = NULL;
	m->nrecovered = 0;
}

int model_apply(struct model *m, struct xlb_config *cfg)
{
	struct service *services = NULL;
	struct iface *ifaces = NULL;
	int err;

	err = model_resolve_ifaces(cfg, &ifaces);
	if (err)
		return err;
	err = model_sync_attachments(m, ifaces, cfg->nifaces);
	if (err) {
		free(ifaces);
		return err;
	}
	free(m->ifaces);
	m->ifaces = ifaces;
	m->nifaces = cfg->nifaces;

	err = model_build_services(m, cfg, &services);
	if (err)
		return err;
	for (size_t i = 0; i < cfg->nservices; i++) {
		struct service *s = &services[i];

		for (size_t j = 0; j < s->nreals; j++) {
			model_resolve_real(m, s, &s->reals[j]);
			model_note_state(&s->reals[j]);
			err = model_write_real(m, s, &s->reals[j]);
			if (err)
				log_error("service %s: cannot write real: %s", s->cfg.name, strerror(-err));
		}
		err = model_write_service(m, s);
		if (err)
			log_error("service %s: cannot write to the data plane: %s", s->cfg.name,
				  strerror(-err));
	}
	struct xlb_globals globals = {};

	for (size_t i = 0; i < cfg->nservices; i++) {
		if (model_write_fnat_locals(m, &services[i]))
			log_error("service %s: cannot write local addresses", services[i].cfg.name);
		globals.nat_services += xlb_method_nat(services[i].cfg.method);
	}
	if (dataplane_globals_put(m->dp, &globals))
		log_error("cannot write the data plane's globals");
	model_release_old(m, services, cfg->nservices);
	model_free_services(m->services, m->nservices);
	m->services = services;
	m->nservices = cfg->nservices;
	config_free(&m->cfg);
	m->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	m->applied_once = true;
	return 0;
}

/* Writes @r and its service's ring after its MAC or reachability changed. */
static void model_real_changed(struct model *m, struct service *s, struct real *r)
{
	char buf[NET_ADDR_STRLEN];

	model_note_state(r);
	log_info("service %s: real %s is %s%s%s", s->cfg.name,
		 net_addr_str(&r->cfg.addr, buf, sizeof(buf)), real_state_name(r),
		 r->problem ? ": " : "", r->problem ? r->problem : "");
	model_write_real(m, s, r);
	model_write_service(m, s);
}

void model_set_real_health(struct model *m, uint32_t svc_id, uint32_t real_id, bool up,
			   const char *reason)
{
	for (size_t i = 0; i < m->nservices; i++) {
		struct service *s = &m->services[i];

		if (s->id != svc_id)
			continue;
		for (size_t j = 0; j < s->nreals; j++) {
			struct real *r = &s->reals[j];

			if (r->id != real_id || r->sorry)
				continue;
			r->health_known = true;
			if (!up && reason)
				snprintf(r->health_reason, sizeof(r->health_reason), "%s", reason);
			if (r->health_down == !up)
				return;
			/* The health checker has logged the transition with its reason. */
			r->health_down = !up;
			r->health_transitions++;
			model_note_state(r);
			model_write_real(m, s, r);
			model_write_service(m, s);
			return;
		}
	}
}

void model_neigh_event(const struct net_addr *addr, int ifindex, const uint8_t *mac, void *arg)
{
	struct model *m = arg;

	if (!addr) {
		model_tick(m, true);
		return;
	}
	for (size_t i = 0; i < m->nservices; i++) {
		struct service *s = &m->services[i];

		for (size_t j = 0; j < s->nreals; j++) {
			struct real *r = &s->reals[j];

			if (r->problem || r->ifindex != ifindex || !net_addr_equal(&r->nexthop, addr))
				continue;
			if (!mac) {
				/* Keep forwarding to the last MAC while the kernel re-resolves. */
				neigh_trigger(m->neigh, &r->nexthop, r->ifindex);
				continue;
			}
			if (r->mac_known && memcmp(r->mac, mac, 6) == 0)
				continue;
			memcpy(r->mac, mac, 6);
			r->mac_known = true;
			model_real_changed(m, s, r);
		}
	}
}

void model_tick(struct model *m, bool refresh_all)
{
	for (size_t i = 0; i < m->nservices; i++) {
		struct service *s = &m->services[i];

		/* Ramping reals get their next step (and one more write when it ends). */
		for (size_t j = 0; s->cfg.slow_start_ms && j < s->nreals; j++) {
			struct real *r = &s->reals[j];

			if (r->in_ring &&
			    model_now_ms() - r->ramp_start_ms < s->cfg.slow_start_ms + 2000)
				model_write_real(m, s, r);
		}

		for (size_t j = 0; j < s->nreals; j++) {
			struct real *r = &s->reals[j];
			bool was_usable = real_usable(r);
			const char *was_problem = r->problem;
			uint8_t was_mac[6];

			if (!refresh_all && was_usable)
				continue;
			memcpy(was_mac, r->mac, 6);
			model_resolve_real(m, s, r);
			if (refresh_all && real_usable(r))
				/* A STALE entry becomes a unicast probe: MAC changes get noticed. */
				neigh_trigger(m->neigh, &r->nexthop, r->ifindex);
			if (real_usable(r) != was_usable || r->problem != was_problem ||
			    memcmp(was_mac, r->mac, 6) != 0)
				model_real_changed(m, s, r);
		}
	}
}

void model_shutdown(struct model *m)
{
	/* No detach: the program keeps forwarding until a new xlbd replaces it. */
	model_free_services(m->services, m->nservices);
	free(m->ifaces);
	free(m->recovered);
	config_free(&m->cfg);
	memset(m, 0, sizeof(*m));
}

bool model_real_in_ring(const struct service *s, const struct real *r)
{
	return model_in_ring(s, r);
}

uint16_t model_real_slow_start(const struct service *s, const struct real *r)
{
	return model_slow_start(s, r);
}

uint32_t real_weight(const struct real *r)
{
	return r->weight_set ? r->weight_admin : r->cfg.weight;
}

/* "ADDR" or "ADDR:PORT" / "[ADDR6]:PORT" as ipvsadm prints them. */
static int model_parse_endpoint(const char *text, struct net_addr *addr, int *port)
{
	char buf[NET_ADDR_STRLEN + 8];
	char *colon;

	*port = 0;
	snprintf(buf, sizeof(buf), "%s", text);
	if (buf[0] == '[') {
		char *end = strchr(buf, ']');

		if (!end)
			return -EINVAL;
		*end = '\0';
		if (end[1] == ':')
			*port = atoi(end + 2);
		return net_addr_parse(buf + 1, addr);
	}
	colon = strchr(buf, ':');
	if (colon && !strchr(colon + 1, ':')) {
		*colon = '\0';
		*port = atoi(colon + 1);
	}
	return net_addr_parse(buf, addr);
}

int model_real_set_weight(struct model *m, const char *service, const char *real, long weight,
			  char *err, size_t errlen)
{
	struct net_addr addr;
	int port;

	if (weight > 65535) {
		snprintf(err, errlen, "weight %ld out of range (expected 0..65535)", weight);
		return -EINVAL;
	}
	if (model_parse_endpoint(real, &addr, &port) < 0) {
		snprintf(err, errlen, "bad real '%s' (expected ADDRESS or ADDRESS:PORT)", real);
		return -EINVAL;
	}
	for (size_t i = 0; i < m->nservices; i++) {
		struct service *s = &m->services[i];

		if (strcmp(s->cfg.name, service) != 0)
			continue;
		for (size_t j = 0; j < s->nreals; j++) {
			struct real *r = &s->reals[j];
			char buf[NET_ADDR_STRLEN];

			if (!net_addr_equal(&r->cfg.addr, &addr) || (port && r->cfg.port != port))
				continue;
			r->weight_set = weight >= 0;
			r->weight_admin = weight >= 0 ? (uint32_t)weight : 0;
			log_info("service %s: real %s weight %u (%s)", s->cfg.name,
				 net_addr_str(&r->cfg.addr, buf, sizeof(buf)), real_weight(r),
				 weight < 0 ? "config" : weight == 0 ? "drained" : "set by xlbctl");
			model_write_real(m, s, r);
			return model_write_service(m, s);
		}
		snprintf(err, errlen, "service '%s' has no real %s", service, real);
		return -ENOENT;
	}
	snprintf(err, errlen, "no service '%s'", service);
	return -ENOENT;
}

struct real **model_reals_by_id(const struct model *m)
{
	struct real **by_id = calloc(XLB_MAX_REALS, sizeof(*by_id));

	if (!by_id)
		return NULL;
	for (size_t i = 0; i < m->nservices; i++)
		for (size_t j = 0; j < m->services[i].nreals; j++)
			by_id[m->services[i].reals[j].id] = &m->services[i].reals[j];
	return by_id;
}
