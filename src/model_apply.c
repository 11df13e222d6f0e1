// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A reload as one transaction. The new state (services with their ids,
 * reals, Maglev slots, interfaces) is planned aside from the running one,
 * touching nothing; then, inside a data plane transaction:
 *
 *   1. the program is widened to carry both configs' paths,
 *   2. new interfaces are attached (or re-attached in a new mode),
 *   3. services gone from the config are removed,
 *   4. new ids get zeroed counters; reals, rings/tables, services, fnat
 *      local addresses and the globals are written,
 *   5. real ids no longer used are cleared,
 *   6. interfaces gone from the config are detached,
 *   7. the program is narrowed to what the new config needs.
 *
 * Any failure undoes every step (dataplane_txn_rollback: interfaces, program,
 * every map entry written) and leaves the model as it was. The running
 * state is only replaced once all steps succeeded.
 *
 * Ids: services and reals that stay keep theirs (and their flows). New ones
 * take ids neither config holds; only when none is left (a config that
 * replaces everything at the limits) do they take ids the old config is
 * giving up. That is safe in place: step 3 removes a replaced service before
 * its id is written again, and a real's new generation keeps the old real's
 * flows from following its id. So old and new need not fit side by side.
 * Generations never go back, even when a reload is undone: flows may have
 * been recorded against them in the meantime.
 */
#include "model_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dp_spec.h"
#include "iface.h"
#include "log.h"
#include "sched/sched.h"
#include "xlb/xlb_method.h"

#define ID_PENDING UINT32_MAX

/* What a reload will make the running state: built aside, committed whole. */
struct model_plan {
	struct service *services;
	size_t nservices;
	struct iface *ifaces;
	size_t nifaces;
	struct model_ids ids; /* exactly what the new state holds */
	/* allocation cursors (see plan_take) */
	size_t svc_fresh, svc_any, real_fresh, real_any, mh_fresh, mh_any;
};

void model_free_services(struct service *services, size_t n)
{
	for (size_t i = 0; services && i < n; i++)
		free(services[i].reals);
	free(services);
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
	return a->addr.family == AF_INET6 ? memcmp(&a->addr.v6, &b->addr.v6, sizeof(a->addr.v6))
					  : memcmp(&a->addr.v4, &b->addr.v4, sizeof(a->addr.v4));
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

/* The first real (in service order) with @rc's address and port, by binary search. */
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

/*
 * The lowest id free in the plan, preferring ids the running state does not
 * hold either; the cursors only move forward (the plan only fills up), so
 * allocating n ids is O(n). -ENOSPC when every id is taken by the plan.
 */
static int plan_take(uint8_t *plan, const uint8_t *running, size_t n, size_t *fresh, size_t *any)
{
	for (; *fresh < n; (*fresh)++)
		if (!plan[*fresh] && !running[*fresh]) {
			plan[*fresh] = 1;
			return (int)(*fresh)++;
		}
	for (; *any < n; (*any)++)
		if (!plan[*any]) {
			plan[*any] = 1;
			return (int)(*any)++;
		}
	return -ENOSPC;
}

/* Resolves interface names; nothing is changed if one is missing. */
static int model_resolve_ifaces(const struct xlb_config *cfg, struct iface **out, char *why,
				size_t whylen)
{
	struct iface *ifaces = calloc(cfg->nifaces ? cfg->nifaces : 1, sizeof(*ifaces));

	if (!ifaces)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->nifaces; i++) {
		const struct iface_config *ic = &cfg->ifaces[i];
		int err = iface_lookup(ic->name, &ifaces[i].ifindex, ifaces[i].mac, &ifaces[i].mtu);

		if (err) {
			snprintf(why, whylen, "%s:%d: interface '%s': %s", cfg->path, ic->line,
				 ic->name, strerror(-err));
			free(ifaces);
			return err;
		}
		snprintf(ifaces[i].name, sizeof(ifaces[i].name), "%s", ic->name);
		ifaces[i].mode = ic->mode;
	}
	*out = ifaces;
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

static bool plan_is_mh(const struct service_config *sc)
{
	return sched_get(sc->sched)->kind == XLB_SCHED_KIND_MH;
}

/*
 * First pass: every service and real the running (or, at the first apply,
 * pinned) state already has keeps its ids; the rest are left ID_PENDING.
 */
static int plan_keep(struct model *m, const struct xlb_config *cfg, struct model_plan *p)
{
	for (size_t i = 0; i < cfg->nservices; i++) {
		const struct service_config *sc = &cfg->services[i];
		struct service *s = &p->services[i];
		struct service *old = model_find_service(m, sc);
		struct xlb_service pinned = {};
		struct xlb_service_key key;
		struct real_config sorry_rc;
		bool has_sorry = model_sorry_config(sc, &sorry_rc);
		struct real_index old_ix;

		s->cfg = *sc;
		s->cfg.reals = NULL;
		s->nreals = sc->nreals + has_sorry;
		s->reals = calloc(s->nreals ? s->nreals : 1, sizeof(*s->reals));
		if (!s->reals)
			return -ENOMEM;
		s->id = ID_PENDING;
		s->mh_slot = -1;
		service_key(sc, &key);
		if (old) {
			s->id = old->id;
			s->ring_slot = old->ring_slot;
			s->quorum_up = old->quorum_up;
			s->quorum_known = old->quorum_known;
			s->sorry_active = old->sorry_active;
			if (plan_is_mh(sc) && old->mh_slot >= 0)
				s->mh_slot = old->mh_slot;
		} else if (!m->applied_once && dataplane_service_get(m->dp, &key, &pinned) == 0 &&
			   pinned.svc_id < XLB_MAX_SERVICES && !p->ids.svc[pinned.svc_id]) {
			uint32_t mh = pinned.mh_base / (2 * XLB_MH_TABLE_SIZE);

			s->id = pinned.svc_id;
			s->ring_slot = pinned.ring_slot;
			if (plan_is_mh(sc) && pinned.sched_kind == XLB_SCHED_KIND_MH &&
			    mh < XLB_MH_SERVICES && !p->ids.mh[mh])
				s->mh_slot = (int)mh;
		}
		if (s->id != ID_PENDING)
			p->ids.svc[s->id] = 1;
		if (s->mh_slot >= 0)
			p->ids.mh[s->mh_slot] = 1;

		if (real_index_build(old, &old_ix) < 0)
			return -ENOMEM;
		for (size_t j = 0; j < s->nreals; j++) {
			const struct real_config *rc = j < sc->nreals ? &sc->reals[j] : &sorry_rc;
			struct real *r = &s->reals[j];
			struct real *old_real = real_index_find(&old_ix, rc);
			struct recovered_real *rec;

			if (old_real) {
				*r = *old_real;
				r->fresh = false;
			} else if (!m->applied_once && s->id != ID_PENDING &&
				   (rec = model_find_recovered(m, s->id, rc))) {
				rec->adopted = true;
				r->id = rec->id;
				r->gen = rec->val.gen;
			} else {
				r->id = ID_PENDING;
			}
			if (r->id != ID_PENDING)
				p->ids.real[r->id] = 1;
			r->cfg = *rc;
			r->no_mac = sc->method == XLB_METHOD_PROXY;
			model_real_health_init(sc, r, j >= sc->nreals);
		}
		free(old_ix.v);
	}
	return 0;
}

/* Second pass: new ids for the rest, in config order. */
static int plan_allocate(struct model *m, const struct xlb_config *cfg, struct model_plan *p,
			 char *why, size_t whylen)
{
	for (size_t i = 0; i < cfg->nservices; i++) {
		const struct service_config *sc = &cfg->services[i];
		struct service *s = &p->services[i];

		if (s->id == ID_PENDING) {
			int id = plan_take(p->ids.svc, m->ids.svc, XLB_MAX_SERVICES, &p->svc_fresh,
					   &p->svc_any);

			if (id < 0) {
				snprintf(why, whylen, "more than %d services", XLB_MAX_SERVICES);
				return id;
			}
			s->id = (uint32_t)id;
			s->ring_slot = 0;
			s->fresh = true;
		}
		if (plan_is_mh(sc) && s->mh_slot < 0) {
			s->mh_slot = plan_take(p->ids.mh, m->ids.mh, XLB_MH_SERVICES, &p->mh_fresh,
					       &p->mh_any);
			if (s->mh_slot < 0) {
				snprintf(why, whylen,
					 "%s:%d: service %s: at most %d services can use mh",
					 cfg->path, sc->line, sc->name, XLB_MH_SERVICES);
				return -ENOSPC;
			}
		}
		for (size_t j = 0; j < s->nreals; j++) {
			struct real *r = &s->reals[j];
			int id;

			if (r->id != ID_PENDING)
				continue;
			id = plan_take(p->ids.real, m->ids.real, XLB_MAX_REALS, &p->real_fresh,
				       &p->real_any);
			if (id < 0) {
				snprintf(why, whylen, "more than %d reals (sorry servers included)",
					 XLB_MAX_REALS);
				return id;
			}
			r->id = (uint32_t)id;
			r->gen = m->next_gen++;
			r->fresh = true;
		}
	}
	return 0;
}

static void plan_free(struct model_plan *p)
{
	if (!p)
		return;
	model_free_services(p->services, p->nservices);
	free(p->ifaces);
	free(p);
}

/* The new state, with nothing running touched; NULL with @why on failure. */
static struct model_plan *plan_build(struct model *m, const struct xlb_config *cfg, char *why,
				     size_t whylen)
{
	struct model_plan *p = calloc(1, sizeof(*p));
	int err;

	if (!p) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	p->nservices = cfg->nservices;
	p->services = calloc(cfg->nservices ? cfg->nservices : 1, sizeof(*p->services));
	err = p->services ? model_resolve_ifaces(cfg, &p->ifaces, why, whylen) : -ENOMEM;
	if (!err) {
		p->nifaces = cfg->nifaces;
		err = plan_keep(m, cfg, p);
	}
	if (!err)
		err = plan_allocate(m, cfg, p, why, whylen);
	if (!err)
		return p;
	if (err == -ENOMEM)
		snprintf(why, whylen, "out of memory");
	for (size_t i = 0; i < m->nrecovered; i++)
		m->recovered[i].adopted = false;
	plan_free(p);
	return NULL;
}

static bool plan_has_service(const struct model_plan *p, const struct service_config *sc)
{
	for (size_t i = 0; i < p->nservices; i++)
		if (service_same_key(&p->services[i].cfg, sc))
			return true;
	return false;
}

static bool plan_has_iface(const struct model_plan *p, int ifindex)
{
	for (size_t i = 0; i < p->nifaces; i++)
		if (p->ifaces[i].ifindex == ifindex)
			return true;
	return false;
}

/* Swaps in a program for @spec, logged; the running one stays on failure. */
static int model_respecialise(struct model *m, const struct xlb_dp_spec *spec, char *why,
			      size_t whylen)
{
	char desc[256];
	struct timespec t0, t1;
	int err;

	if (dp_spec_equal(dataplane_spec(m->dp), spec))
		return 0;
	dp_spec_describe(spec, desc, sizeof(desc));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = dataplane_respecialise(m->dp, spec);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (err) {
		snprintf(why, whylen, "data plane: cannot load a program for %s: %s", desc,
			 strerror(-err));
		return err;
	}
	log_info("data plane: replaced the program in %ld ms, every flow kept (%s)",
		 (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000),
		 desc);
	return 0;
}

/* Steps 3-5: the maps, with m->ifaces already the plan's. */
static int model_write_plan(struct model *m, struct model_plan *p, char *why, size_t whylen)
{
	struct xlb_globals globals = {};
	int err;

	for (size_t i = 0; i < m->nservices; i++) {
		const struct service *old = &m->services[i];
		struct xlb_service_key key;

		if (plan_has_service(p, &old->cfg))
			continue;
		service_key(&old->cfg, &key);
		err = dataplane_service_del(m->dp, &key);
		if (!err || err == -ENOENT)
			err = dataplane_fnat_locals_del(m->dp, old->id);
		if (err && err != -ENOENT) {
			snprintf(why, whylen, "service %s: cannot remove it: %s", old->cfg.name,
				 strerror(-err));
			return err;
		}
	}
	for (size_t i = 0; i < p->nservices; i++) {
		struct service *s = &p->services[i];

		err = s->fresh ? dataplane_stats_reset(m->dp, DP_STATS_SERVICE, s->id) : 0;
		for (size_t j = 0; j < s->nreals && !err; j++) {
			struct real *r = &s->reals[j];

			if (r->fresh) {
				err = dataplane_stats_reset(m->dp, DP_STATS_REAL, r->id);
				if (!err)
					err = dataplane_conns_reset(m->dp, r->id);
			}
			if (!err) {
				model_resolve_real(m, s, r);
				model_note_state(r);
				err = model_write_real(m, s, r);
			}
		}
		if (!err)
			err = model_write_service(m, s);
		if (!err)
			err = model_write_fnat_locals(m, s);
		if (err) {
			snprintf(why, whylen, "service %s: cannot write to the data plane: %s",
				 s->cfg.name, strerror(-err));
			return err;
		}
		globals.nat_services += xlb_method_nat(s->cfg.method);
	}
	err = dataplane_globals_put(m->dp, &globals);
	if (err) {
		snprintf(why, whylen, "cannot write the data plane's globals: %s", strerror(-err));
		return err;
	}
	/* Real ids given up (not taken again by the plan); pinned ones nobody adopted. */
	for (uint32_t id = 0; id < XLB_MAX_REALS; id++) {
		if (!m->ids.real[id] || p->ids.real[id])
			continue;
		err = dataplane_real_del(m->dp, id);
		if (err) {
			snprintf(why, whylen, "cannot remove real id %u: %s", id, strerror(-err));
			return err;
		}
	}
	return 0;
}

/*
 * Steps 1-7 inside the data plane's transaction; on failure it is rolled
 * back by the caller. m->ifaces is already the plan's: @run the running ones.
 */
static int model_switch(struct model *m, struct model_plan *p, const struct xlb_config *cfg,
			const struct iface *run, size_t nrun, char *why, size_t whylen)
{
	struct xlb_dp_spec want, both = *dataplane_spec(m->dp);
	int err;

	/* While both configs' services are in the maps, the program handles both. */
	dp_spec_from_config(cfg, &want);
	both.methods |= want.methods;
	both.scheds |= want.scheds;
	both.features |= want.features;
	both.touch_ns = want.touch_ns < both.touch_ns ? want.touch_ns : both.touch_ns;
	err = model_respecialise(m, &both, why, whylen);
	if (err)
		return err;
	for (size_t i = 0; i < p->nifaces; i++) {
		const struct iface *ifc = &p->ifaces[i];

		err = dataplane_attach(m->dp, ifc->ifindex, ifc->name, ifc->mac, ifc->mode);
		if (err) {
			snprintf(why, whylen, "interface %s: cannot attach: %s", ifc->name,
				 strerror(-err));
			return err;
		}
	}
	err = model_write_plan(m, p, why, whylen);
	if (err)
		return err;
	for (size_t i = 0; i < nrun; i++) {
		const struct iface *ifc = &run[i];

		if (plan_has_iface(p, ifc->ifindex))
			continue;
		err = dataplane_detach(m->dp, ifc->ifindex, ifc->name);
		if (err) {
			snprintf(why, whylen, "interface %s: cannot detach: %s", ifc->name,
				 strerror(-err));
			return err;
		}
	}
	/* Now only the new config's services are left: drop what it does not use. */
	return model_respecialise(m, &want, why, whylen);
}

int model_apply(struct model *m, struct xlb_config *cfg, char *why, size_t whylen)
{
	struct model_plan *p = plan_build(m, cfg, why, whylen);
	struct iface *run_ifaces = m->ifaces;
	size_t run_nifaces = m->nifaces;
	void (*on_quorum)(struct model *, const struct service *, bool);
	int err;

	if (!p)
		return -EINVAL;
	err = dataplane_txn_begin(m->dp);
	if (err) {
		snprintf(why, whylen, "cannot start a data plane transaction: %s", strerror(-err));
		for (size_t i = 0; i < m->nrecovered; i++)
			m->recovered[i].adopted = false;
		plan_free(p);
		return err;
	}
	/* The writer and the real resolver check egress against the new interfaces. */
	m->ifaces = p->ifaces;
	m->nifaces = p->nifaces;
	/* Nobody hears of a quorum that may still roll back: the caller reports after. */
	on_quorum = m->on_quorum;
	m->on_quorum = NULL;
	err = model_switch(m, p, cfg, run_ifaces, run_nifaces, why, whylen);
	m->on_quorum = on_quorum;
	m->ifaces = run_ifaces;
	m->nifaces = run_nifaces;
	if (err) {
		int undo = dataplane_txn_rollback(m->dp);

		if (undo)
			log_error(
			    "reload: the data plane could not be put back exactly as it was: %s",
			    strerror(-undo));
		for (size_t i = 0; i < m->nrecovered; i++)
			m->recovered[i].adopted = false;
		plan_free(p);
		return err;
	}
	dataplane_txn_commit(m->dp);

	model_free_services(m->services, m->nservices);
	m->services = p->services;
	m->nservices = p->nservices;
	free(m->ifaces);
	m->ifaces = p->ifaces;
	m->nifaces = p->nifaces;
	m->ids = p->ids;
	free(m->recovered);
	m->recovered = NULL;
	m->nrecovered = 0;
	free(p);
	config_free(&m->cfg);
	m->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	m->applied_once = true;
	return 0;
}
