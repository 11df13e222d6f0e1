// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Health state in the control socket's JSON: per real, per service and overall. */
#include "health/health_json.h"

#include "health/health.h"

static json_object *health_json_seconds(uint64_t ms)
{
	return json_object_new_double((double)ms / 1000.0);
}

void health_json_real(json_object *o, const struct model *m, const struct service *s,
		      const struct real *r)
{
	const struct health_config *hc = &s->cfg.health;
	uint64_t now = model_now_ms(), since = r->since_ms ? r->since_ms : now;
	const struct health_check *c;
	json_object *h;

	json_object_object_add(o, "for_s", health_json_seconds(now - since));
	if (r->sorry)
		json_object_object_add(o, "sorry", json_object_new_boolean(1));
	if (hc->kind == HEALTH_NONE || r->sorry)
		return;
	h = json_object_new_object();
	json_object_object_add(h, "check", json_object_new_string(health_kind_name(hc->kind)));
	json_object_object_add(h, "state",
			       json_object_new_string(!r->health_known ? "checking"
						      : r->health_down ? "down"
								       : "up"));
	json_object_object_add(h, "reason", json_object_new_string(r->health_reason));
	json_object_object_add(h, "since_ms", json_object_new_uint64(since));
	json_object_object_add(h, "for_s", health_json_seconds(now - since));
	json_object_object_add(h, "transitions", json_object_new_uint64(r->health_transitions));
	c = m->health ? health_find(m->health, s->id, r->id) : NULL;
	if (c) {
		char ip[NET_ADDR_STRLEN];

		json_object_object_add(
		    h, "address", json_object_new_string(net_addr_str(&c->addr, ip, sizeof(ip))));
		if (hc->kind != HEALTH_ICMP && hc->kind != HEALTH_ARP)
			json_object_object_add(h, "port", json_object_new_int(c->port));
		json_object_object_add(h, "runs", json_object_new_uint64(c->runs));
		json_object_object_add(h, "failures", json_object_new_uint64(c->failures));
		json_object_object_add(h, "last_duration_ms",
				       json_object_new_uint64(c->last_duration_ms));
	}
	json_object_object_add(o, "health", h);
}

void health_json_service(json_object *o, const struct service *s)
{
	const struct health_config *hc = &s->cfg.health;
	json_object *q = json_object_new_object();

	if (hc->kind != HEALTH_NONE) {
		json_object *h = json_object_new_object();

		json_object_object_add(h, "check",
				       json_object_new_string(health_kind_name(hc->kind)));
		json_object_object_add(h, "interval_ms", json_object_new_int64(hc->interval_ms));
		json_object_object_add(h, "timeout_ms", json_object_new_int64(hc->timeout_ms));
		json_object_object_add(h, "rise", json_object_new_int(hc->rise));
		json_object_object_add(h, "fall", json_object_new_int(hc->fall));
		json_object_object_add(
		    h, "on_failure",
		    json_object_new_string(health_on_failure_name(hc->on_failure)));
		json_object_object_add(o, "health", h);
	}
	json_object_object_add(q, "min", json_object_new_int64(s->cfg.quorum));
	json_object_object_add(q, "healthy", json_object_new_int64(s->healthy));
	json_object_object_add(q, "up", json_object_new_boolean(s->quorum_up));
	json_object_object_add(o, "quorum", q);
	if (s->cfg.sorry.addr.family)
		json_object_object_add(o, "sorry_active", json_object_new_boolean(s->sorry_active));
}

void health_json_stats(json_object *root, const struct health_ctx *h)
{
	struct health_stats st;
	json_object *o;

	if (!h)
		return;
	health_get_stats(h, &st);
	o = json_object_new_object();
	/* The clock of every since_ms, so a client can tell when a change happened. */
	json_object_object_add(o, "now_ms", json_object_new_uint64(model_now_ms()));
	json_object_object_add(o, "checks", json_object_new_uint64(st.checks));
	json_object_object_add(o, "in_flight", json_object_new_uint64(st.in_flight));
	json_object_object_add(o, "runs", json_object_new_uint64(st.runs));
	json_object_object_add(o, "failures", json_object_new_uint64(st.failures));
	json_object_object_add(o, "skipped", json_object_new_uint64(st.skipped));
	json_object_object_add(o, "transitions_up", json_object_new_uint64(st.transitions_up));
	json_object_object_add(o, "transitions_down", json_object_new_uint64(st.transitions_down));
	json_object_object_add(root, "health", o);
}
