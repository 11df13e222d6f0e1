// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * mode http's pool of idle keep-alive connections to the reals. Each worker
 * keeps its own (no lock, no descriptor crosses threads): per real a list,
 * newest first, so the connection reused is the warmest and the oldest ones
 * time out; and one list of all its idle connections for the idle timeout.
 * The bound per real is per worker; the bound per service is an atomic
 * shared by the workers.
 *
 * An idle connection stays in the epoll set (edge-triggered, EPOLLRDHUP):
 * when the real closes it, or sends anything, it is closed at once. Before
 * reuse a non-blocking MSG_PEEK recv() checks again, for a close whose
 * event is still queued. A connection goes back only when its response
 * was read whole and nothing followed it (proxy_http.c decides).
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proxy/proxy_conn.h"

static void proxy_pool_unlink(struct proxy_worker *w, struct proxy_upstream *up)
{
	struct proxy_upstream **rhead = &up->real->idle[w->index];

	if (up->prev)
		up->prev->next = up->next;
	else
		w->idle_ups = up->next;
	if (up->next)
		up->next->prev = up->prev;
	if (up->rprev)
		up->rprev->rnext = up->rnext;
	else
		*rhead = up->rnext;
	if (up->rnext)
		up->rnext->rprev = up->rprev;
	up->prev = up->next = up->rprev = up->rnext = NULL;
	up->idle = false;
	up->real->nidle[w->index]--;
	atomic_fetch_sub(&up->real->idle_count, 1);
	atomic_fetch_sub(&up->svc->stats.pool_idle, 1);
}

struct proxy_upstream *proxy_upstream_new(struct proxy_worker *w, struct proxy_service *svc,
					  struct proxy_real_stats *rs, int fd)
{
	struct proxy_upstream *up = calloc(1, sizeof(*up));

	(void)w;
	if (!up)
		return NULL;
	up->h = (struct proxy_handle){.kind = PROXY_H_UPSTREAM, .owner = up};
	up->fd = fd;
	up->real = rs;
	proxy_real_stats_get(rs);
	up->svc = svc;
	proxy_service_get(svc);
	return up;
}

void proxy_upstream_close(struct proxy_worker *w, struct proxy_upstream *up)
{
	if (up->dead)
		return;
	if (up->idle)
		proxy_pool_unlink(w, up);
	up->dead = true;
	up->conn = NULL;
	if (up->fd >= 0)
		close(up->fd); /* also leaves the epoll set */
	up->fd = -1;
	/* Freed after this batch of events: a later one may still point at it. */
	up->next = w->dead_ups;
	w->dead_ups = up;
}

void proxy_pool_free_dead(struct proxy_worker *w)
{
	while (w->dead_ups) {
		struct proxy_upstream *up = w->dead_ups;

		w->dead_ups = up->next;
		proxy_real_stats_put(up->real);
		proxy_service_put(up->svc);
		free(up);
	}
}

void proxy_pool_put(struct proxy_worker *w, struct proxy_upstream *up,
		    const struct proxy_config *cfg)
{
	struct proxy_upstream **rhead = &up->real->idle[w->index];

	up->conn = NULL;
	if (!cfg->pool_per_real || !cfg->pool_max) {
		proxy_upstream_close(w, up);
		return;
	}
	if (up->real->nidle[w->index] >= cfg->pool_per_real) {
		proxy_upstream_close(w, up);
		return;
	}
	/* Counted first, so workers racing for the last places cannot both exceed the bound. */
	if (atomic_fetch_add(&up->svc->stats.pool_idle, 1) >= cfg->pool_max) {
		atomic_fetch_sub(&up->svc->stats.pool_idle, 1);
		proxy_upstream_close(w, up);
		return;
	}
	atomic_fetch_add(&up->real->idle_count, 1);
	up->real->nidle[w->index]++;
	up->idle = true;
	up->idle_deadline_ms = w->now_ms + cfg->pool_idle_ms;
	up->prev = NULL;
	up->next = w->idle_ups;
	if (w->idle_ups)
		w->idle_ups->prev = up;
	w->idle_ups = up;
	up->rprev = NULL;
	up->rnext = *rhead;
	if (*rhead)
		(*rhead)->rprev = up;
	*rhead = up;
}

/* True while the real has neither closed the connection nor sent anything on it. */
static bool proxy_upstream_quiet(struct proxy_upstream *up)
{
	char b;
	ssize_t n = recv(up->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);

	return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

struct proxy_upstream *proxy_pool_take(struct proxy_worker *w, struct proxy_real_stats *rs)
{
	struct proxy_upstream *up;

	while ((up = rs->idle[w->index])) {
		proxy_pool_unlink(w, up);
		if (proxy_upstream_quiet(up))
			return up;
		atomic_fetch_add(&up->svc->stats.pool_stale, 1);
		proxy_upstream_close(w, up);
	}
	return NULL;
}

void proxy_pool_idle_event(struct proxy_worker *w, struct proxy_upstream *up)
{
	/* An event left over from its last request is no reason to drop it. */
	if (!up->idle || proxy_upstream_quiet(up))
		return;
	atomic_fetch_add(&up->svc->stats.pool_stale, 1);
	proxy_upstream_close(w, up);
}

void proxy_pool_sweep(struct proxy_worker *w)
{
	struct proxy_upstream *up, *next;

	for (up = w->idle_ups; up; up = next) {
		next = up->next;
		if (w->now_ms >= up->idle_deadline_ms)
			proxy_upstream_close(w, up);
	}
}

void proxy_pool_close_all(struct proxy_worker *w)
{
	while (w->idle_ups)
		proxy_upstream_close(w, w->idle_ups);
}
