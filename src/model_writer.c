// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The map writer: a service's reals, its ring or Maglev table, its entry and
 * its fnat local addresses as the data plane reads them. Every function
 * returns the first error; inside a reload they are undone by the data
 * plane's transaction (dataplane_txn_rollback).
 */
#include "model_internal.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sched/sched.h"

/* fnat replies come back to the local addresses: they must be this host's. */
int model_write_fnat_locals(struct model *m, const struct service *s)
{
	struct xlb_fnat_locals locals = {};
	char buf[NET_ADDR_STRLEN];

	if (s->cfg.method != XLB_METHOD_FNAT) {
		int err =
		    dataplane_fnat_locals_del(m->dp, s->id); /* a reused id may have had some */

		return err == -ENOENT ? 0 : err;
	}
	for (size_t i = 0; i < s->cfg.nlocal_addrs; i++) {
		struct neigh_route rt;

		if (neigh_route_lookup(m->neigh, &s->cfg.local_addrs[i], &rt) != -ELOOP)
			log_warn("service %s: local address %s is not an address of this host; "
				 "replies to it will not reach xlb",
				 s->cfg.name,
				 net_addr_str(&s->cfg.local_addrs[i], buf, sizeof(buf)));
		net_addr_to_xlb(&s->cfg.local_addrs[i], &locals.addrs[i]);
	}
	locals.count = (uint32_t)s->cfg.nlocal_addrs;
	return dataplane_fnat_locals_put(m->dp, s->id, &locals);
}

void service_key(const struct service_config *sc, struct xlb_service_key *key)
{
	memset(key, 0, sizeof(*key));
	net_addr_to_xlb(&sc->vip, &key->vip);
	key->port = htons(sc->port);
	key->proto = sc->proto;
	key->family = net_addr_xlb_family(&sc->vip);
}

int model_write_real(struct model *m, const struct service *s, const struct real *r)
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
	    .flags = (r->health_down && s->cfg.health.on_failure == HEALTH_ON_FAILURE_REMOVE
			  ? 0
			  : XLB_REAL_F_ACTIVE) |
		     (model_real_in_ring(s, r) ? XLB_REAL_F_NEW_FLOWS : 0),
	    .ifindex = r->ifindex,
	    .svc_id = s->id,
	    .port = htons(r->cfg.port),
	    .family = net_addr_xlb_family(&r->cfg.addr),
	    .weight = real_weight(r),
	    .slow_start = model_real_slow_start(s, r),
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
	int err = 0;

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
		if (!err)
			err = model_write_real(m, s, r);
	}
	*base = ((uint32_t)s->mh_slot * 2 + half) * XLB_MH_TABLE_SIZE;
	if (err) {
		/* a real could not be written: so is the table not */
	} else if (sorry && s->sorry_active) {
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
int model_write_service(struct model *m, struct service *s)
{
	const struct sched_ops *ops = sched_get(s->cfg.sched);
	struct sched_real sreals[s->nreals ? s->nreals : 1];
	struct xlb_service_key key;
	struct xlb_service val = {};
	struct xlb_ring *ring;
	uint16_t slot = s->ring_slot ^ 1;
	int err = 0;

	ring = calloc(1, sizeof(*ring));
	if (!ring)
		return -ENOMEM;
	bool quorum_was = s->quorum_known && s->quorum_up;

	model_update_quorum(s);
	if (m->on_quorum)
		m->on_quorum(m, s, s->quorum_up != quorum_was);
	for (size_t i = 0; i < s->nreals; i++) {
		struct real *r = &s->reals[i];
		bool in_ring = model_real_in_ring(s, r);

		sreals[i] = (struct sched_real){
		    .real_id = r->id, .weight = real_weight(r), .usable = in_ring};
		if (in_ring == r->in_ring)
			continue;
		r->in_ring = in_ring;
		/* New to the ring: its slow start begins before its first new flow. */
		if (in_ring && s->cfg.slow_start_ms) {
			r->ramp_start_ms = model_now_ms();
			if (!err)
				err = model_write_real(m, s, r);
		}
	}
	if (err) {
		free(ring);
		return err;
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
		for (size_t i = 0; i < s->nreals && !err; i++)
			err = model_write_real(m, s, &s->reals[i]);
	if (err)
		return err;
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
	val.sched_flags =
	    (s->cfg.sched_port ? XLB_SCHED_F_PORT : 0) |
	    (s->cfg.sched_fallback && ops->kind == XLB_SCHED_KIND_MH ? XLB_SCHED_F_FALLBACK : 0);
	val.ring_slot = slot;
	err = dataplane_service_put(m->dp, &key, &val);
	if (!err)
		s->ring_slot = slot;
	return err;
}
