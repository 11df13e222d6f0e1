// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The rate estimator of rate.h. */
#include "ops/rate.h"

#include <stdlib.h>
#include <string.h>

/*
 * Each tick's rate moves the estimate by this share; about IPVS's smoothing
 * (1/4 every 2 s), with a 1 s tick: a step settles within ~5 s.
 */
#define RATE_ALPHA 0.5

struct rate_slot {
	uint64_t packets, bytes, flows; /* at the last sample */
	uint64_t at_ms;
	uint32_t gen; /* reals: the id's generation, a new real starts over */
	bool seen;
	double cps, pps, bps;
};

/* Main thread only; indexed by id. */
static struct rate_slot *rate_svc, *rate_real;

static void rate_sample(struct rate_slot *r, const struct xlb_stats *st, uint64_t now, uint32_t gen)
{
	if (r->seen && r->gen == gen && now > r->at_ms && st->packets >= r->packets &&
	    st->bytes >= r->bytes && st->new_flows >= r->flows) {
		double dt = (double)(now - r->at_ms) / 1000.0;

		r->cps += RATE_ALPHA * ((double)(st->new_flows - r->flows) / dt - r->cps);
		r->pps += RATE_ALPHA * ((double)(st->packets - r->packets) / dt - r->pps);
		r->bps += RATE_ALPHA * ((double)(st->bytes - r->bytes) / dt - r->bps);
	} else if (!r->seen || r->gen != gen) {
		r->cps = r->pps = r->bps = 0;
	}
	r->packets = st->packets;
	r->bytes = st->bytes;
	r->flows = st->new_flows;
	r->at_ms = now;
	r->gen = gen;
	r->seen = true;
}

void rate_tick(struct model *m)
{
	uint64_t now = model_now_ms();
	struct xlb_stats st;

	if (!rate_svc)
		rate_svc = calloc(XLB_MAX_SERVICES, sizeof(*rate_svc));
	if (!rate_real)
		rate_real = calloc(XLB_MAX_REALS, sizeof(*rate_real));
	if (!rate_svc || !rate_real)
		return;
	for (size_t i = 0; i < m->nservices; i++) {
		const struct service *s = &m->services[i];

		/* Proxy services count in the proxy engine, not in these maps. */
		if (s->cfg.method == XLB_METHOD_PROXY || s->id >= XLB_MAX_SERVICES)
			continue;
		if (dataplane_stats_read(m->dp, DP_STATS_SERVICE, s->id, &st) == 0)
			rate_sample(&rate_svc[s->id], &st, now, 0);
		for (size_t j = 0; j < s->nreals; j++) {
			const struct real *r = &s->reals[j];

			if (r->id < XLB_MAX_REALS &&
			    dataplane_stats_read(m->dp, DP_STATS_REAL, r->id, &st) == 0)
				rate_sample(&rate_real[r->id], &st, now, r->gen);
		}
	}
}

static json_object *rate_obj(const struct rate_slot *r, bool valid)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "cps", json_object_new_double(valid ? r->cps : 0));
	json_object_object_add(o, "pps", json_object_new_double(valid ? r->pps : 0));
	json_object_object_add(o, "bps", json_object_new_double(valid ? r->bps : 0));
	return o;
}

void rate_json(json_object *list, const struct model *m)
{
	json_object *services = NULL;

	if (!json_object_object_get_ex(list, "services", &services) ||
	    json_object_array_length(services) != m->nservices)
		return;
	for (size_t i = 0; i < m->nservices; i++) {
		const struct service *s = &m->services[i];
		json_object *so = json_object_array_get_idx(services, i), *reals = NULL;
		bool ok = rate_svc && s->id < XLB_MAX_SERVICES && s->cfg.method != XLB_METHOD_PROXY;

		json_object_object_add(so, "rate", rate_obj(ok ? &rate_svc[s->id] : NULL, ok));
		if (!json_object_object_get_ex(so, "reals", &reals) ||
		    json_object_array_length(reals) != s->nreals)
			continue;
		for (size_t j = 0; j < s->nreals; j++) {
			const struct real *r = &s->reals[j];
			bool rok = ok && rate_real && r->id < XLB_MAX_REALS &&
				   rate_real[r->id].gen == r->gen;

			json_object_object_add(json_object_array_get_idx(reals, j), "rate",
					       rate_obj(rok ? &rate_real[r->id] : NULL, rok));
		}
	}
}

void rate_reset(void)
{
	if (rate_svc)
		memset(rate_svc, 0, XLB_MAX_SERVICES * sizeof(*rate_svc));
	if (rate_real)
		memset(rate_real, 0, XLB_MAX_REALS * sizeof(*rate_real));
}

void rate_free(void)
{
	free(rate_svc);
	free(rate_real);
	rate_svc = rate_real = NULL;
}
