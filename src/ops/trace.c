// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * {"cmd":"trace"}: where a packet from CLIENT[:PORT] to VIP:PORT would go
 * and why, read from the data plane's own maps in the data plane's order:
 * an existing flow, then persistence, then the scheduler (ring cursor, hash
 * bucket, Maglev bucket, or for the count-based ones the userspace
 * reference on live counts). Nothing is written: a trace changes no cursor.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ops/endpoint.h"
#include "ops/ops_ctl.h"
#include "sched/sched.h"
#include "xlb/xlb_hash.h"

struct trace {
	struct model *m;
	const struct service *s;
	json_object *steps;
	struct xlb_flow_key key;
};

static void trace_step(struct trace *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void trace_step(struct trace *t, const char *fmt, ...)
{
	char msg[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_array_add(t->steps, json_object_new_string(msg));
}

static const struct real *trace_real(const struct trace *t, uint32_t id)
{
	for (size_t j = 0; j < t->s->nreals; j++)
		if (t->s->reals[j].id == id)
			return &t->s->reals[j];
	return NULL;
}

static const char *trace_name(const struct real *r, char *buf, size_t len)
{
	return r ? ops_endpoint_str(&r->cfg.addr, r->cfg.port, buf, len) : "an unknown real";
}

/* The data plane's test for a real that may take a new flow. */
static bool trace_real_takes(struct model *m, uint32_t id)
{
	struct xlb_real val;

	return dataplane_real_get(m->dp, id, &val) == 0 && (val.flags & XLB_REAL_F_ACTIVE) &&
	       (val.flags & XLB_REAL_F_NEW_FLOWS) && val.weight;
}

static int trace_lookup(struct model *m, const char *map, const void *key, void *val)
{
	int fd = dataplane_map_fd(m->dp, map);

	return fd < 0 ? fd : bpf_map_lookup_elem(fd, key, val);
}

static uint64_t trace_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Steps 1 and 2: an existing flow, a persistent client. Returns the real id or -1. */
static long trace_sticky(struct trace *t, const struct xlb_service *svc, bool have_port,
			 const char **verdict)
{
	char buf[NET_ADDR_STRLEN + 8];
	struct xlb_flow flow;
	struct xlb_real rv;

	if (!have_port) {
		trace_step(t, "no client port given: not looking for an existing flow");
	} else if (dataplane_flow_get(t->m->dp, &t->key, &flow) == 0) {
		if (dataplane_real_get(t->m->dp, flow.real_id, &rv) == 0 && rv.gen == flow.real_gen &&
		    (rv.flags & XLB_REAL_F_ACTIVE)) {
			trace_step(t, "existing flow (state %u) to %s: follows it", flow.state,
				   trace_name(trace_real(t, flow.real_id), buf, sizeof(buf)));
			*verdict = "existing_flow";
			return flow.real_id;
		}
		trace_step(t, "existing flow, but its real is gone or removed: scheduled afresh");
	} else {
		trace_step(t, "no existing flow for this client port: a new flow");
	}
	if (!svc->persistence_ms)
		return -1;

	struct xlb_persist_key pk = { .client = t->key.src, .svc_id = svc->svc_id,
				      .family = t->key.family };
	struct xlb_persist p;

	if (trace_lookup(t->m, "persist", &pk, &p) != 0 ||
	    trace_now_ns() - p.last_ns > (uint64_t)svc->persistence_ms * 1000000) {
		trace_step(t, "persistence %ums: no recent connection of this client",
			   svc->persistence_ms);
		return -1;
	}
	if (dataplane_real_get(t->m->dp, p.real_id, &rv) != 0 || rv.gen != p.real_gen ||
	    !(rv.flags & XLB_REAL_F_ACTIVE) || !rv.weight) {
		trace_step(t, "persistence: the client's real is gone, removed or drained");
		return -1;
	}
	trace_step(t, "persistence %ums: the client's real from %.1fs ago", svc->persistence_ms,
		   (double)(trace_now_ns() - p.last_ns) / 1e9);
	*verdict = "persistence";
	return p.real_id;
}

static long trace_mh(struct trace *t, const struct xlb_service *svc)
{
	uint32_t port = svc->sched_flags & XLB_SCHED_F_PORT ? ntohs(t->key.sport) : 0;
	uint32_t key = port + xlb_addr_fold(&t->key.src);
	uint32_t ihash = xlb_jhash_1word(key, XLB_MH_SEED) % XLB_MH_TABLE_SIZE;
	uint32_t idx = svc->mh_base + ihash, id;

	if (trace_lookup(t->m, "mh_tables", &idx, &id) != 0 || id == XLB_SCHED_NO_REAL) {
		trace_step(t, "mh: bucket %u is empty", ihash);
		return -1;
	}
	trace_step(t, "mh: bucket %u of %u%s", ihash, XLB_MH_TABLE_SIZE,
		   port ? " (address and port hashed)" : " (address hashed)");
	if (trace_real_takes(t->m, id))
		return id;
	if (!(svc->sched_flags & XLB_SCHED_F_FALLBACK)) {
		trace_step(t, "mh: that real takes no new flows and fallback is off: dropped");
		return -1;
	}
	for (uint32_t off = 0; off < XLB_MH_TABLE_SIZE; off++) {
		uint32_t roff = (uint32_t)(((uint64_t)off + ihash) % XLB_MH_TABLE_SIZE);

		idx = svc->mh_base + xlb_jhash_1word(roff + key, XLB_MH_SEED) % XLB_MH_TABLE_SIZE;
		if (trace_lookup(t->m, "mh_tables", &idx, &id) != 0 || id == XLB_SCHED_NO_REAL)
			break;
		if (trace_real_takes(t->m, id)) {
			trace_step(t, "mh fallback: rehashed %u times to a real that takes flows",
				   off + 1);
			return id;
		}
	}
	trace_step(t, "mh fallback: no real takes new flows");
	return -1;
}

/* Count-based and the rest: the userspace reference on the live counts. */
static long trace_reference(struct trace *t)
{
	const struct sched_ops *ops = sched_get(t->s->cfg.sched);
	struct sched_real *sr = calloc(t->s->nreals ? t->s->nreals : 1, sizeof(*sr));
	struct sched_flow f = { .saddr = t->key.src, .daddr = t->key.dst, .sport = t->key.sport,
				.dport = t->key.dport };
	struct sched_rand rnd;
	struct sched_ctx ctx = { .flow = &f, .rand = &rnd, .now_ms = model_now_ms() };
	long id = -1;
	int i;

	if (!sr)
		return -1;
	sched_rand_seed(&rnd, (uint64_t)time(NULL));
	for (size_t j = 0; j < t->s->nreals; j++) {
		const struct real *r = &t->s->reals[j];
		struct xlb_conns bpf_side = {}, swept = {};

		dataplane_conns_get(t->m->dp, r->id, &bpf_side, &swept);
		sr[j] = (struct sched_real){ .real_id = r->id, .weight = real_weight(r),
					     .usable = model_real_in_ring(t->s, r),
					     .slow_start = model_real_slow_start(t->s, r) };
		sr[j].active = (uint32_t)(bpf_side.active - swept.active > 0 ?
						  bpf_side.active - swept.active : 0);
		sr[j].inactive = (uint32_t)(bpf_side.inactive - swept.inactive > 0 ?
						    bpf_side.inactive - swept.inactive : 0);
	}
	i = ops->pick ? ops->pick(sr, t->s->nreals, &ctx) : -1;
	if (i >= 0) {
		id = sr[i].real_id;
		trace_step(t, "%s: the reference scheduler's pick on the current connection counts%s",
			   ops->name, ops->kind == XLB_SCHED_KIND_TWOS ? " (twos draws at random: "
									  "one possible pick)" :
			   ops->cls == SCHED_CLASS_LOCALITY ? " (the data plane's per-destination "
							      "cache may hold another)" : "");
	} else {
		trace_step(t, "%s: no real can take a new flow", ops->name);
	}
	free(sr);
	return id;
}

static long trace_schedule(struct trace *t, const struct xlb_service *svc)
{
	uint32_t slot = svc->svc_id * 2 + (svc->ring_slot & 1);
	struct xlb_ring *ring = NULL;
	long id = -1;

	switch (svc->sched_kind) {
	case XLB_SCHED_KIND_RING: {
		uint64_t cursor = 0;

		ring = malloc(sizeof(*ring));
		if (!ring || trace_lookup(t->m, "sched_rings", &slot, ring) != 0 || !ring->len ||
		    ring->len > XLB_RING_MAX ||
		    trace_lookup(t->m, "sched_cursor", &svc->svc_id, &cursor) != 0) {
			trace_step(t, "%s: the ring is empty: dropped (drop_no_real)",
				   sched_get(t->s->cfg.sched)->name);
			break;
		}
		id = ring->real_ids[cursor % ring->len];
		trace_step(t, "%s: ring position %llu of %u (cursor %llu): the next new flow's pick",
			   sched_get(t->s->cfg.sched)->name,
			   (unsigned long long)(cursor % ring->len), ring->len,
			   (unsigned long long)cursor);
		break;
	}
	case XLB_SCHED_KIND_HASH_SRC:
	case XLB_SCHED_KIND_HASH_DST: {
		uint32_t h;

		ring = malloc(sizeof(*ring));
		if (!ring || trace_lookup(t->m, "sched_rings", &slot, ring) != 0 ||
		    ring->len != (1u << XLB_SCHED_TAB_BITS)) {
			trace_step(t, "hash table missing: dropped");
			break;
		}
		if (svc->sched_kind == XLB_SCHED_KIND_HASH_DST) {
			h = xlb_hash_32(xlb_addr_fold(&t->key.dst), XLB_SCHED_TAB_BITS);
		} else {
			uint32_t port = svc->sched_flags & XLB_SCHED_F_PORT ? ntohs(t->key.sport) : 0;

			h = xlb_hash_32(port + xlb_addr_fold(&t->key.src), XLB_SCHED_TAB_BITS);
		}
		h &= (1u << XLB_SCHED_TAB_BITS) - 1;
		if (ring->real_ids[h] == XLB_SCHED_NO_REAL) {
			trace_step(t, "%s: bucket %u holds no real: dropped",
				   sched_get(t->s->cfg.sched)->name, h);
			break;
		}
		id = ring->real_ids[h];
		trace_step(t, "%s: bucket %u of 256 (fallback already applied to the table)",
			   sched_get(t->s->cfg.sched)->name, h);
		break;
	}
	case XLB_SCHED_KIND_MH:
		id = trace_mh(t, svc);
		break;
	default:
		id = trace_reference(t);
	}
	free(ring);
	return id;
}

/* Reals that take no new flows, and why: health, drain, MAC, route. */
static json_object *trace_excluded(const struct trace *t)
{
	json_object *list = json_object_new_array();
	char buf[NET_ADDR_STRLEN + 8];

	for (size_t j = 0; j < t->s->nreals; j++) {
		const struct real *r = &t->s->reals[j];
		json_object *o;
		char why[160];

		if (model_real_in_ring(t->s, r) && real_weight(r))
			continue;
		if (r->sorry && !t->s->sorry_active)
			snprintf(why, sizeof(why), "sorry server, used only when no real is usable");
		else if (r->health_down)
			snprintf(why, sizeof(why), "health check down: %s", r->health_reason);
		else if (r->problem)
			snprintf(why, sizeof(why), "unreachable: %s", r->problem);
		else if (!real_weight(r))
			snprintf(why, sizeof(why), "weight 0 (drained)");
		else
			snprintf(why, sizeof(why), "%s", real_state_name(r));
		o = json_object_new_object();
		json_object_object_add(o, "real", json_object_new_string(trace_name(r, buf, sizeof(buf))));
		json_object_object_add(o, "why", json_object_new_string(why));
		json_object_array_add(list, o);
	}
	return list;
}

static json_object *trace_error(const char *msg, const char *arg)
{
	json_object *o = json_object_new_object();
	char text[256];

	snprintf(text, sizeof(text), msg, arg);
	json_object_object_add(o, "error", json_object_new_string(text));
	return o;
}

json_object *ops_trace(struct model *m, json_object *req)
{
	struct trace t = { .m = m };
	struct net_addr client, vip;
	int cport, vport, proto = IPPROTO_TCP;
	struct xlb_service_key skey = {};
	struct xlb_service svc;
	char buf[NET_ADDR_STRLEN + 8];
	json_object *v, *reply;
	const char *verdict = NULL;
	long id;

	if (!json_object_object_get_ex(req, "client", &v) ||
	    ops_parse_endpoint(json_object_get_string(v), &client, &cport) < 0)
		return trace_error("bad client '%s' (expected ADDRESS or ADDRESS:PORT)",
				   v ? json_object_get_string(v) : "");
	if (!json_object_object_get_ex(req, "vip", &v) ||
	    ops_parse_endpoint(json_object_get_string(v), &vip, &vport) < 0 || !vport)
		return trace_error("bad VIP '%s' (expected VIP:PORT)", v ? json_object_get_string(v) : "");
	if (json_object_object_get_ex(req, "proto", &v)) {
		if (strcmp(json_object_get_string(v), "udp") == 0)
			proto = IPPROTO_UDP;
		else if (strcmp(json_object_get_string(v), "tcp") != 0)
			return trace_error("bad protocol '%s' (expected tcp or udp)",
					   json_object_get_string(v));
	}
	if (client.family != vip.family)
		return trace_error("client and VIP are of different families%s", "");
	for (size_t i = 0; i < m->nservices; i++) {
		const struct service_config *sc = &m->services[i].cfg;

		if (sc->port == vport && sc->proto == proto && net_addr_equal(&sc->vip, &vip))
			t.s = &m->services[i];
	}
	reply = json_object_new_object();
	t.steps = json_object_new_array();
	json_object_object_add(reply, "steps", t.steps);
	if (!t.s) {
		trace_step(&t, "%s/%s is no service: the packet passes to the kernel untouched "
			       "(pass_no_service)",
			   ops_endpoint_str(&vip, vport, buf, sizeof(buf)),
			   proto == IPPROTO_UDP ? "udp" : "tcp");
		json_object_object_add(reply, "verdict", json_object_new_string("pass"));
		return reply;
	}
	json_object_object_add(reply, "service", json_object_new_string(t.s->cfg.name));
	json_object_object_add(reply, "scheduler",
			       json_object_new_string(sched_get(t.s->cfg.sched)->name));
	json_object_object_add(reply, "excluded", trace_excluded(&t));
	if (t.s->cfg.method == XLB_METHOD_PROXY) {
		trace_step(&t, "method proxy: the proxy's workers pick with %s when they accept",
			   sched_get(t.s->cfg.sched)->name);
		json_object_object_add(reply, "verdict", json_object_new_string("proxy"));
		return reply;
	}
	net_addr_to_xlb(&client, &t.key.src);
	net_addr_to_xlb(&vip, &t.key.dst);
	t.key.sport = htons((uint16_t)cport);
	t.key.dport = htons((uint16_t)vport);
	t.key.proto = (uint8_t)proto;
	t.key.family = net_addr_xlb_family(&vip);
	skey.vip = t.key.dst;
	skey.port = t.key.dport;
	skey.proto = t.key.proto;
	skey.family = t.key.family;
	if (dataplane_service_get(m->dp, &skey, &svc) != 0) {
		trace_step(&t, "the data plane has no entry for this service: passed");
		json_object_object_add(reply, "verdict", json_object_new_string("pass"));
		return reply;
	}
	id = trace_sticky(&t, &svc, cport != 0, &verdict);
	if (id < 0) {
		id = trace_schedule(&t, &svc);
		verdict = id >= 0 ? "scheduler" : "drop";
	}
	json_object_object_add(reply, "verdict", json_object_new_string(verdict));
	if (id >= 0)
		json_object_object_add(reply, "real",
				       json_object_new_string(trace_name(trace_real(&t, (uint32_t)id),
									 buf, sizeof(buf))));
	return reply;
}
