// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Keeps the data plane's maps equal to the running config. Services are
 * matched across reloads by (VIP, port, protocol) and reals by (address,
 * port) within their service, so what did not change keeps its ids and
 * therefore its flows. A real's id is paired with a generation that is new
 * for every allocation: a flow recorded against a removed real never follows
 * the id to whoever gets it next.
 */
#include "model_internal.h"
#include "xlb/xlb_method.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deadline.h"
#include "iface.h"
#include "log.h"
#include "sched/sched.h"

static const char *const problem_no_route = "no route";
static const char *const problem_not_onlink = "not on a directly connected network";
static const char *const problem_foreign_iface = "reached through an interface xlb is not attached to";
static const char *const problem_no_source = "no local address toward it for the outer header";
static const char *const problem_mixed_family = "next hop of the other address family";

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
	return mono_ms();
}

void model_note_state(struct real *r)
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
		m->ids.real[id] = 1;
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

const struct iface *model_find_iface(const struct model *m, int ifindex)
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
void model_resolve_real(struct model *m, const struct service *s, struct real *r)
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
void model_update_quorum(struct service *s)
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
