// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Picking a real for a proxied connection with the same scheduler code the
 * packet methods use (sched_get()->pick): the snapshot gives weights,
 * usability and the ring or table, the proxy's own per-real counters give
 * active/inactive. One mutex per service: a pick is once per connection (or
 * request), and rr's cursor, twos's PRNG and lblc's cache need one writer.
 */
#include <errno.h>
#include <stdio.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "proxy/proxy_internal.h"

/* Reals kept on the stack for a pick; larger services allocate. */
#define PROXY_PICK_STACK_REALS 64
/* lblc/lblcr: a cache of 2^bits destinations (one VIP per service: few are needed). */
#define PROXY_LOC_BITS 4

void proxy_snapshot_free(struct proxy_snapshot *snap)
{
	if (!snap)
		return;
	for (size_t i = 0; i < snap->ngroups; i++)
		proxy_snapshot_free(snap->groups[i]);
	free(snap->groups);
	free(snap->routes);
	for (size_t i = 0; i < snap->n; i++)
		proxy_real_stats_put(snap->targets[i].stats);
	free(snap->sreals);
	free(snap->targets);
	free(snap->table);
	free(snap);
}

int proxy_snapshot_build_table(struct proxy_snapshot *snap)
{
	const struct sched_ops *ops = sched_get(snap->sched);

	if (ops->cls == SCHED_CLASS_RING) {
		snap->table = calloc(XLB_RING_MAX, sizeof(*snap->table));
		if (!snap->table)
			return -ENOMEM;
		snap->table_len = ops->build_ring(snap->sreals, snap->n, snap->table, XLB_RING_MAX);
	} else if (ops->cls == SCHED_CLASS_TABLE) {
		snap->table = calloc(ops->table_size, sizeof(*snap->table));
		if (!snap->table)
			return -ENOMEM;
		if (ops->build_table(snap->sreals, snap->n, snap->table, ops->table_size))
			return -EINVAL;
		snap->table_len = ops->table_size;
	}
	return 0;
}

void proxy_service_config(struct proxy_service *svc, struct proxy_config *out)
{
	pthread_mutex_lock(&svc->lock);
	*out = svc->snap->cfg;
	pthread_mutex_unlock(&svc->lock);
}

static void proxy_sched_flow(const struct proxy_service *svc, const struct sockaddr *client,
			     struct sched_flow *flow)
{
	memset(flow, 0, sizeof(*flow));
	if (client->sa_family == AF_INET) {
		const struct sockaddr_in *c = (const void *)client;
		const struct sockaddr_in *v = (const void *)&svc->vip_sa;

		memcpy(&flow->saddr, &c->sin_addr, 4);
		memcpy(&flow->daddr, &v->sin_addr, 4);
		flow->sport = c->sin_port;
		flow->dport = v->sin_port;
	} else if (client->sa_family == AF_INET6) {
		const struct sockaddr_in6 *c = (const void *)client;
		const struct sockaddr_in6 *v = (const void *)&svc->vip_sa;

		memcpy(&flow->saddr, &c->sin6_addr, 16);
		memcpy(&flow->daddr, &v->sin6_addr, 16);
		flow->sport = c->sin6_port;
		flow->dport = v->sin6_port;
	}
}

static bool proxy_tried(const uint32_t *tried, size_t ntried, uint32_t id)
{
	for (size_t i = 0; i < ntried; i++)
		if (tried[i] == id)
			return true;
	return false;
}

/* The scheduler's pick, or -ENOENT; a retry never lands on a real already tried. */
static int proxy_pick_index(struct proxy_service *svc, struct proxy_snapshot *snap,
			    struct sched_real *sreals, const struct sched_flow *flow,
			    const uint32_t *tried, size_t ntried, bool passive_out, uint64_t now_ms,
			    uint64_t *cursor)
{
	const struct sched_ops *ops = sched_get(snap->sched);
	struct sched_ctx ctx = {
	    .flow = flow,
	    .flags = snap->sched_flags,
	    .table = snap->table,
	    .table_len = snap->table_len,
	    .cursor = cursor,
	    .rand = &svc->rand,
	    .cache = svc->loc_ready ? &svc->loc : NULL,
	    .now_ms = now_ms,
	};
	int i = -ENOENT;

	if (ops->cls == SCHED_CLASS_RING) {
		/*
		 * The ring holds only usable reals; walk on past the ones tried or
		 * out by passive health (both unusable here).
		 */
		for (size_t k = 0; k < snap->table_len; k++) {
			i = ops->pick(sreals, snap->n, &ctx);
			if (i < 0 || sreals[i].usable)
				break;
			i = -ENOENT;
		}
	} else if (ops->cls != SCHED_CLASS_LOCALITY || ctx.cache) {
		i = ops->pick(sreals, snap->n, &ctx);
	}
	if (i >= 0 && sreals[i].usable)
		return i;
	/*
	 * A hash table's bucket may point at a real that failed (or is down
	 * without fallback, or out by passive health): for a retry, take the
	 * least loaded of the rest.
	 */
	if (ntried || passive_out)
		return sched_wlc_least(sreals, snap->n, false);
	return i >= 0 ? -ENOENT : i;
}

int proxy_route_select(struct proxy_service *svc, const char *host, size_t hlen,
		       const char *target, size_t tlen)
{
	struct proxy_snapshot *snap;
	int k;

	pthread_mutex_lock(&svc->lock);
	snap = svc->snap;
	k = snap->ngroups ? proxy_route_find(snap->routes, snap->ngroups, host, hlen, target, tlen)
			  : -1;
	k = k >= 0 ? k + 1 : snap->n ? 0 : -ENOENT;
	pthread_mutex_unlock(&svc->lock);
	return k;
}

int proxy_pick(struct proxy_service *svc, const struct sockaddr *client, const uint32_t *tried,
	       size_t ntried, size_t group, struct proxy_pick *out)
{
	uint64_t *cursor = &svc->cursor;
	struct sched_real stack_reals[PROXY_PICK_STACK_REALS], *sreals = stack_reals;
	struct proxy_snapshot *snap;
	struct sched_flow flow;
	uint64_t now = proxy_now_ms();
	size_t nusable = 0, nout = 0;
	int i, err = 0;

	proxy_sched_flow(svc, client, &flow);
	pthread_mutex_lock(&svc->lock);
	snap = svc->snap;
	out->cfg = snap->cfg;
	/* A reload may have taken the route away: its requests go to the default group. */
	if (group && group <= snap->ngroups && group <= PROXY_ROUTES_MAX) {
		cursor = &svc->route_cursor[group - 1];
		snap = snap->groups[group - 1];
	}
	if (!snap->n) {
		err = -ENOENT;
		goto out;
	}
	if (snap->n > PROXY_PICK_STACK_REALS) {
		sreals = malloc(snap->n * sizeof(*sreals));
		if (!sreals) {
			err = -ENOMEM;
			goto out;
		}
	}
	for (size_t k = 0; k < snap->n; k++) {
		const struct proxy_real_stats *rs = snap->targets[k].stats;

		sreals[k] = snap->sreals[k];
		sreals[k].active = (uint32_t)atomic_load(&rs->active);
		sreals[k].inactive = (uint32_t)atomic_load(&rs->connecting);
		if (proxy_tried(tried, ntried, sreals[k].real_id)) {
			sreals[k].usable = false;
		} else if (sreals[k].usable) {
			if (atomic_load(&rs->out_until_ms) > now)
				nout++;
			else
				nusable++;
		}
	}
	/* Passive health takes reals out only while others can serve: never all of them. */
	if (nout && nusable)
		for (size_t k = 0; k < snap->n; k++)
			if (sreals[k].usable &&
			    atomic_load(&snap->targets[k].stats->out_until_ms) > now)
				sreals[k].usable = false;
	i = proxy_pick_index(svc, snap, sreals, &flow, tried, ntried, nout && nusable, now, cursor);
	if (i < 0) {
		err = i;
		goto out;
	}
	out->sa = snap->targets[i].sa;
	out->salen = snap->targets[i].salen;
	out->stats = snap->targets[i].stats;
	proxy_real_stats_get(out->stats);
	/* Under the lock, so the next least-connection pick already sees it. */
	atomic_fetch_add(&out->stats->connecting, 1);
out:
	pthread_mutex_unlock(&svc->lock);
	if (sreals != stack_reals)
		free(sreals);
	return err;
}

int proxy_service_loc_init(struct proxy_service *svc)
{
	int err = sched_loc_init(&svc->loc, PROXY_LOC_BITS, SCHED_LOC_EXPIRE_MS);

	svc->loc_ready = err == 0;
	return err;
}

/* ---- passive health ---- */

static const char *const proxy_failure_names[PROXY_FAIL__COUNT] = {
    [PROXY_FAIL_NONE] = "none",
    [PROXY_FAIL_CONNECT] = "connect failed",
    [PROXY_FAIL_CONNECT_TIMEOUT] = "connect timed out",
    [PROXY_FAIL_RESET] = "reset or closed early",
    [PROXY_FAIL_BAD_RESPONSE] = "bad response",
    [PROXY_FAIL_TIMEOUT] = "response timed out",
    [PROXY_FAIL_STATUS] = "status 5xx",
};

const char *proxy_failure_name(enum proxy_failure why)
{
	return (unsigned)why < PROXY_FAIL__COUNT ? proxy_failure_names[why] : "unknown";
}

static const char *proxy_real_str(const struct proxy_real_stats *rs, char *buf, size_t size)
{
	char ip[NET_ADDR_STRLEN];

	net_addr_str(&rs->addr, ip, sizeof(ip));
	snprintf(buf, size, rs->addr.family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip, rs->port);
	return buf;
}

void proxy_passive_fail(struct proxy_service *svc, struct proxy_real_stats *rs,
			const struct proxy_config *cfg, enum proxy_failure why, int status,
			uint64_t now_ms)
{
	unsigned fails;
	uint64_t prev;
	char ep[NET_ADDR_STRLEN + 8];

	atomic_fetch_add(&rs->passive_failures, 1);
	atomic_store(&rs->last_failure, (int)why);
	atomic_store(&rs->last_status, status);
	fails = atomic_fetch_add(&rs->fails_in_row, 1) + 1;
	if (!cfg->passive_failures || fails < cfg->passive_failures)
		return;
	/* Out (again: a real back from its back-off gets one try before it is out again). */
	prev = atomic_exchange(&rs->out_until_ms, now_ms + cfg->passive_backoff_ms);
	if (prev > now_ms)
		return;
	atomic_fetch_add(&rs->passive_outs, 1);
	atomic_fetch_add(&svc->stats.passive_outs, 1);
	if (why == PROXY_FAIL_STATUS)
		log_warn("service %s: real %s out of the proxy's picks for %ums: %u failures in a "
			 "row, the last: status %d",
			 svc->name, proxy_real_str(rs, ep, sizeof(ep)), cfg->passive_backoff_ms,
			 fails, status);
	else
		log_warn("service %s: real %s out of the proxy's picks for %ums: %u failures in a "
			 "row, the last: %s",
			 svc->name, proxy_real_str(rs, ep, sizeof(ep)), cfg->passive_backoff_ms,
			 fails, proxy_failure_name(why));
}

void proxy_passive_ok(struct proxy_service *svc, struct proxy_real_stats *rs)
{
	char ep[NET_ADDR_STRLEN + 8];

	if (!atomic_load(&rs->fails_in_row))
		return; /* the common case: one load */
	atomic_store(&rs->fails_in_row, 0);
	if (atomic_exchange(&rs->out_until_ms, 0))
		log_info("service %s: real %s answers again; back in the proxy's picks", svc->name,
			 proxy_real_str(rs, ep, sizeof(ep)));
}
