// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The flow sweeper. Each pass walks the flow table once: flows idle longer
 * than their state's timeout (flows.timeouts) are deleted with their nat
 * reply entries, flows of reals that are gone are deleted, and the survivors
 * are tallied per real. The tally is the truth: the sweeper's side of the
 * counts (real_conns_swept) is set so that data plane side minus it equals
 * the tally. That also repairs what LRU evictions and races left behind, so
 * ActiveConn/InActConn, and the schedulers reading them, are exact as of
 * every pass.
 */
#include "sweeper.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xlb/xlb_method.h"

struct sweep_ctx {
	struct model *m;
	uint64_t now_ns;
	struct real **real_by_id; /* NULL: no such real */
	const uint8_t *method_by_svc;
	struct xlb_conns *tally;
	struct sweep_result *res;
};

static uint64_t sweep_timeout_ns(const struct flow_timeouts *t, uint32_t state)
{
	uint32_t ms;

	switch (state) {
	case XLB_FS_EST:
		ms = t->tcp_established_ms;
		break;
	case XLB_FS_FIN:
	case XLB_FS_CLOSE:
		ms = t->tcp_fin_ms;
		break;
	case XLB_FS_UDP:
		ms = t->udp_ms;
		break;
	default:
		ms = t->tcp_syn_ms;
	}
	return (uint64_t)ms * 1000000ull;
}

/* The reply entry a nat/fnat flow created, so it leaves with the flow. */
static void sweep_nat_rev(struct sweep_ctx *c, const struct xlb_flow_key *key,
			  const struct xlb_flow *flow)
{
	uint8_t method = c->method_by_svc[flow->svc_id % XLB_MAX_SERVICES];
	const struct real *r = c->real_by_id[flow->real_id];
	struct xlb_flow_key rkey;
	struct xlb_addr real_addr;

	if (!xlb_method_nat(method))
		return;
	net_addr_to_xlb(&r->cfg.addr, &real_addr);
	xlb_nat_reply_key(&rkey, method, key, &real_addr, htons(r->cfg.port), &flow->nat_addr,
			  flow->nat_port);
	dataplane_nat_rev_del(c->m->dp, &rkey);
}

static bool sweep_one(const struct xlb_flow_key *key, const struct xlb_flow *flow, void *arg)
{
	struct sweep_ctx *c = arg;
	uint32_t id = flow->real_id;

	if (id >= XLB_MAX_REALS || !c->real_by_id[id] || c->real_by_id[id]->gen != flow->real_gen) {
		c->res->stale++;
		return true;
	}
	if (c->now_ns > flow->last_seen_ns &&
	    c->now_ns - flow->last_seen_ns > sweep_timeout_ns(&c->m->cfg.timeouts, flow->state)) {
		sweep_nat_rev(c, key, flow);
		c->res->expired++;
		return true;
	}
	if (flow->state == XLB_FS_EST)
		c->tally[id].active++;
	else if (flow->state != XLB_FS_NONE)
		c->tally[id].inactive++;
	return false;
}

int sweeper_run(struct model *m, uint64_t now_ns, struct sweep_result *res)
{
	struct real **real_by_id = model_reals_by_id(m);
	struct xlb_conns *tally = calloc(XLB_MAX_REALS, sizeof(*tally));
	uint8_t method_by_svc[XLB_MAX_SERVICES] = { 0 };
	struct sweep_ctx c = {
		.m = m,
		.now_ns = now_ns,
		.real_by_id = real_by_id,
		.method_by_svc = method_by_svc,
		.tally = tally,
		.res = res,
	};
	long seen;
	int err = 0;

	memset(res, 0, sizeof(*res));
	if (!real_by_id || !tally) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < m->nservices; i++)
		method_by_svc[m->services[i].id] = m->services[i].cfg.method;
	seen = dataplane_flows_sweep(m->dp, DP_FLOWS, sweep_one, &c);
	if (seen < 0) {
		err = (int)seen;
		goto out;
	}
	res->flows = seen;
	seen = dataplane_flows_sweep(m->dp, DP_SYN_FLOWS, sweep_one, &c);
	if (seen < 0) {
		err = (int)seen;
		goto out;
	}
	res->syn_flows = seen;
	for (size_t i = 0; i < m->nservices; i++) {
		struct service *s = &m->services[i];

		for (size_t j = 0; j < s->nreals; j++) {
			uint32_t id = s->reals[j].id;
			struct xlb_conns bpf_side, swept, want;

			if (dataplane_conns_get(m->dp, id, &bpf_side, &swept))
				continue;
			want.active = bpf_side.active - tally[id].active;
			want.inactive = bpf_side.inactive - tally[id].inactive;
			if (want.active != swept.active || want.inactive != swept.inactive)
				dataplane_conns_swept_put(m->dp, id, &want);
		}
	}
out:
	free(real_by_id);
	free(tally);
	return err;
}

static uint64_t evicted(uint64_t inserted, uint64_t deleted, uint64_t left, uint64_t before)
{
	uint64_t gone = inserted > deleted + left ? inserted - deleted - left : 0;

	/* a pass that counted a flow inserted after its walk reads high: never step back */
	return gone > before ? gone : before;
}

void sweeper_table_state(struct dataplane *dp, const struct sweep_result *res,
			 struct flow_table_state *st)
{
	uint64_t cnt[XLB_CNT__COUNT];
	struct dp_flow_table_stats t;
	uint64_t fill;

	dataplane_counters_read(dp, cnt);
	dataplane_flow_table_stats(dp, &t);
	st->flows = (uint64_t)res->flows;
	st->syn = (uint64_t)res->syn_flows;
	st->flows_max = t.max[DP_FLOWS];
	st->syn_max = t.max[DP_SYN_FLOWS];
	st->flows_evicted = evicted(cnt[XLB_CNT_FLOW_INSERT] + t.inserted_by_us,
				    t.deleted[DP_FLOWS], st->flows, st->flows_evicted);
	st->syn_evicted = evicted(cnt[XLB_CNT_SYN_INSERT],
				  cnt[XLB_CNT_SYN_REMOVED] + t.deleted[DP_SYN_FLOWS], st->syn,
				  st->syn_evicted);
	fill = st->flows_max ? st->flows * 100 / st->flows_max : 0;
	if (fill >= 90 && !st->warned_full) {
		log_warn("flow table %" PRIu64 "%% full (%" PRIu64 " of %" PRIu64
			 "): the least recently used established flows are evicted when it "
			 "fills (%" PRIu64 " so far); raise flows.max",
			 fill, st->flows, st->flows_max, st->flows_evicted);
		st->warned_full = true;
	} else if (fill < 80) {
		st->warned_full = false;
	}
}
