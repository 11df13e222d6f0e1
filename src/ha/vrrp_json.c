// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The VRRP part of {"cmd":"ha"}: per instance its state, the master it hears, counters. */
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "ha/vrrp.h"
#include "ha/vrrp_instance.h"

static json_object *vrrp_json_addr(const struct net_addr *a)
{
	char buf[NET_ADDR_STRLEN];

	return json_object_new_string(net_addr_str(a, buf, sizeof(buf)));
}

static json_object *vrrp_json_time(int64_t wall_ms)
{
	time_t t = (time_t)(wall_ms / 1000);
	struct tm tm;
	char buf[96];

	gmtime_r(&t, &tm);
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (int)(wall_ms % 1000));
	return json_object_new_string(buf);
}

static json_object *vrrp_json_counters(const struct vrrp_counters *c)
{
	json_object *o = json_object_new_object();
	json_object *err = json_object_new_object();

	json_object_object_add(o, "adverts_rx", json_object_new_uint64(c->adverts_rx));
	json_object_object_add(o, "adverts_tx", json_object_new_uint64(c->adverts_tx));
	for (int v = VRRP_RX_OK + 1; v < VRRP_RX__COUNT; v++)
		json_object_object_add(err, vrrp_rx_verdict_name(v),
				       json_object_new_uint64(c->rx_err[v]));
	json_object_object_add(err, "vrid_mismatch", json_object_new_uint64(c->vrid_other));
	json_object_object_add(err, "addr_list_mismatch", json_object_new_uint64(c->addr_mismatch));
	json_object_object_add(o, "rx_errors", err);
	json_object_object_add(o, "tx_errors", json_object_new_uint64(c->tx_errors));
	json_object_object_add(o, "addr_errors", json_object_new_uint64(c->addr_errors));
	json_object_object_add(o, "announcements", json_object_new_uint64(c->announcements));
	return o;
}

static json_object *vrrp_json_tracked(const char *type, const struct ha_track *t,
				      const char *state, bool failing)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "type", json_object_new_string(type));
	json_object_object_add(o, "name", json_object_new_string(t->name));
	/* null: no weight, a failure is FAULT */
	json_object_object_add(o, "weight", t->weight ? json_object_new_int(t->weight) : NULL);
	json_object_object_add(o, "state", json_object_new_string(state));
	json_object_object_add(o, "failing", json_object_new_boolean(failing));
	return o;
}

/* The own interface first (always tracked, no weight), then track_interface, track_service. */
static json_object *vrrp_json_tracking(const struct vrrp_view *vi)
{
	const struct vrrp_track_status *st = &vi->track;
	json_object *list = json_object_new_array();
	struct ha_track own = {.weight = 0};

	snprintf(own.name, sizeof(own.name), "%s", vi->cfg.iface);
	json_object_array_add(list, vrrp_json_tracked("interface", &own,
						      st->own_up ? "up" : "down", !st->own_up));
	for (size_t i = 0; i < vi->cfg.ntrack_ifaces; i++)
		json_object_array_add(list, vrrp_json_tracked("interface", &vi->cfg.track_ifaces[i],
							      st->iface_up[i] ? "up" : "down",
							      !st->iface_up[i]));
	for (size_t i = 0; i < vi->cfg.ntrack_services; i++)
		json_object_array_add(list,
				      vrrp_json_tracked("service", &vi->cfg.track_services[i],
							vrrp_quorum_name(st->svc[i]),
							st->svc[i] == VRRP_QUORUM_LOST));
	return list;
}

static json_object *vrrp_json_instance(const struct vrrp_view *vi, uint64_t now)
{
	const struct vrrp_fsm *f = &vi->fsm;
	json_object *o = json_object_new_object();
	json_object *addrs = json_object_new_array();
	json_object *peers = json_object_new_array();
	json_object *last = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(vi->cfg.name));
	json_object_object_add(o, "interface", json_object_new_string(vi->cfg.iface));
	json_object_object_add(o, "vrid", json_object_new_int(vi->cfg.vrid));
	json_object_object_add(
	    o, "family", json_object_new_string(vi->cfg.family == AF_INET6 ? "ipv6" : "ipv4"));
	json_object_object_add(o, "state", json_object_new_string(vrrp_state_name(f->state)));
	/* What it advertises: the configured priority as tracking changed it. */
	json_object_object_add(o, "priority", json_object_new_int(f->priority));
	json_object_object_add(o, "base_priority", json_object_new_int(vi->cfg.priority));
	json_object_object_add(o, "fault", f->fault[0] ? json_object_new_string(f->fault) : NULL);
	json_object_object_add(o, "tracking", vrrp_json_tracking(vi));
	/* When tracking last changed the priority or the fault (absent: never). */
	if (vi->track_wall_ms)
		json_object_object_add(o, "tracking_changed_wall_ms",
				       json_object_new_int64(vi->track_wall_ms));
	json_object_object_add(o, "preempt", json_object_new_boolean(f->preempt));
	json_object_object_add(o, "advert_interval_ms", json_object_new_int(f->advert_cs * 10));
	json_object_object_add(o, "master_adver_interval_ms",
			       json_object_new_int(f->master_adver_cs * 10));
	json_object_object_add(
	    o, "master_down_interval_ms",
	    json_object_new_int((int)vrrp_master_down_ms(f->priority, f->master_adver_cs)));
	if (vi->local.family)
		json_object_object_add(o, "source", vrrp_json_addr(&vi->local));
	for (size_t i = 0; i < vi->cfg.naddrs; i++)
		json_object_array_add(addrs, vrrp_json_addr(&vi->cfg.addrs[i]));
	json_object_object_add(o, "addresses", addrs);
	for (size_t i = 0; i < vi->cfg.nunicast_peers; i++)
		json_object_array_add(peers, vrrp_json_addr(&vi->cfg.unicast_peers[i]));
	json_object_object_add(o, "unicast_peers", peers);
	if (f->peer_known) {
		json_object *p = json_object_new_object();

		json_object_object_add(p, "address", vrrp_json_addr(&f->peer_addr));
		json_object_object_add(p, "priority", json_object_new_int(f->peer_priority));
		json_object_object_add(p, "advert_interval_ms",
				       json_object_new_int(f->peer_adver_cs * 10));
		json_object_object_add(p, "seen_ms", json_object_new_uint64(f->peer_seen_ms));
		json_object_object_add(p, "age_ms", json_object_new_uint64(now - f->peer_seen_ms));
		json_object_object_add(o, "peer", p);
	} else {
		json_object_object_add(o, "peer", NULL);
	}
	json_object_object_add(last, "from",
			       json_object_new_string(vrrp_state_name(f->prev_state)));
	json_object_object_add(last, "to", json_object_new_string(vrrp_state_name(f->state)));
	json_object_object_add(last, "reason", json_object_new_string(f->reason));
	json_object_object_add(last, "mono_ms", json_object_new_uint64(f->changed_ms));
	if (vi->changed_wall_ms) {
		json_object_object_add(last, "wall_ms", json_object_new_int64(vi->changed_wall_ms));
		json_object_object_add(last, "time", vrrp_json_time(vi->changed_wall_ms));
	}
	json_object_object_add(o, "last_transition", last);
	json_object_object_add(o, "transitions", json_object_new_int64(f->transitions));
	json_object_object_add(o, "counters", vrrp_json_counters(&vi->cnt));
	return o;
}

/* From the VRRP thread's last published copy: the lock is held for a memcpy. */
struct json_object *vrrp_json(struct vrrp_ctx *ctx)
{
	json_object *o = json_object_new_object();
	json_object *list = json_object_new_array();
	struct vrrp_view *views = NULL;
	size_t n = 0;
	uint64_t now;

	if (ctx) {
		views = malloc(sizeof(ctx->view));
		if (views) {
			pthread_mutex_lock(&ctx->lock);
			n = ctx->nview;
			memcpy(views, ctx->view, n * sizeof(views[0]));
			pthread_mutex_unlock(&ctx->lock);
		}
	}
	now = vrrp_now_ms();
	json_object_object_add(o, "now_ms", json_object_new_uint64(now));
	for (size_t i = 0; i < n; i++)
		json_object_array_add(list, vrrp_json_instance(&views[i], now));
	json_object_object_add(o, "instances", list);
	free(views);
	return o;
}
