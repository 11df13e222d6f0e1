/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the proxy's files share: services and their snapshots, per-real
 * counters, workers and connections. Threads: the main thread owns the
 * engine and builds snapshots; each worker owns its epoll instance, its
 * listeners and its connections. They meet only in a service's mutex (the
 * snapshot and the scheduler's state), in atomics (counters) and in each
 * worker's command queue.
 */
#ifndef XLB_PROXY_INTERNAL_H
#define XLB_PROXY_INTERNAL_H

#include <pthread.h>
/* <sched.h>'s policy macro would rename the scheduler id of sched/sched.h. */
#undef SCHED_RR
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "addr.h"
#include "config.h"
#include "proxy/proxy_config.h"
#include "sched/sched.h"

#define PROXY_MAX_WORKERS 64

struct proxy_upstream;

/* Why passive health counted a failure against a real (shown in xlbctl). */
enum proxy_failure {
	PROXY_FAIL_NONE = 0,
	PROXY_FAIL_CONNECT,	    /* refused or unreachable */
	PROXY_FAIL_CONNECT_TIMEOUT,
	PROXY_FAIL_RESET,	    /* reset, or closed before its response was whole */
	PROXY_FAIL_BAD_RESPONSE,    /* not HTTP, or framing we cannot follow */
	PROXY_FAIL_TIMEOUT,	    /* no response within idle_timeout */
	PROXY_FAIL_STATUS,	    /* a 5xx response */
	PROXY_FAIL__COUNT,
};

/* Counters of one real of one service; connections hold a reference. */
struct proxy_real_stats {
	atomic_int refs;
	uint32_t real_id;
	struct net_addr addr;
	uint16_t port;
	atomic_uint_fast64_t active;	 /* connected to this real now */
	atomic_uint_fast64_t connecting; /* connect in progress (sched's "inactive") */
	atomic_uint_fast64_t total;	 /* connections established */
	atomic_uint_fast64_t bytes_to_real;
	atomic_uint_fast64_t bytes_to_client;
	atomic_uint_fast64_t connect_failures; /* refused, unreachable or timed out */
	atomic_uint_fast64_t retries; /* connects moved to another real after failing here */
	/*
	 * mode http's pool: idle keep-alive connections to this real, one list
	 * per worker, with its length (the per_real bound is per worker, so one
	 * worker's pool never starves another's); a worker touches only its own
	 * (no lock). The count is of all workers, for xlbctl.
	 */
	struct proxy_upstream *idle[PROXY_MAX_WORKERS];
	uint32_t nidle[PROXY_MAX_WORKERS];
	atomic_uint_fast64_t idle_count;
	atomic_uint_fast64_t requests; /* mode http: requests sent to this real */
	atomic_uint_fast64_t reused;   /* ... of them on a pooled connection */
	/* Passive health: failures in a row take the real out of the picks until out_until_ms. */
	atomic_uint fails_in_row;
	atomic_uint_fast64_t out_until_ms;
	atomic_uint_fast64_t passive_failures; /* failures counted, all time */
	atomic_uint_fast64_t passive_outs;     /* times taken out */
	atomic_int last_failure;	       /* enum proxy_failure */
	atomic_int last_status;		       /* with PROXY_FAIL_STATUS */
};

struct proxy_service_stats {
	atomic_uint_fast64_t active;	/* client connections now */
	atomic_uint_fast64_t total;	/* client connections accepted */
	atomic_uint_fast64_t refused;	/* over max_connections */
	atomic_uint_fast64_t bytes_in;	/* client to reals */
	atomic_uint_fast64_t bytes_out; /* reals to clients */
	atomic_uint_fast64_t connect_failures;
	atomic_uint_fast64_t retries;
	atomic_uint_fast64_t no_real;  /* given up: no real left to try */
	atomic_uint_fast64_t requests; /* mode http */
	atomic_uint_fast64_t pool_idle;	 /* idle pooled connections now, all reals */
	atomic_uint_fast64_t pool_reused; /* requests sent on a pooled connection */
	atomic_uint_fast64_t pool_stale;  /* pooled connections the real had closed */
	atomic_uint_fast64_t passive_outs;
	atomic_uint_fast64_t route_requests[PROXY_ROUTES_MAX + 1]; /* [0]: the default group */
	atomic_uint_fast64_t no_route; /* 404: no route matched, no default reals */
};

/* One real as workers dial it. */
struct proxy_target {
	struct sockaddr_storage sa;
	socklen_t salen;
	struct proxy_real_stats *stats; /* a reference held by the snapshot */
};

/*
 * What a service's workers may pick from, built by the main thread and
 * never changed after it is published; replaced whole under the service's
 * lock, so a reader holding the lock sees one consistent version.
 */
struct proxy_snapshot {
	struct proxy_config cfg;
	uint8_t sched;	      /* enum sched_id */
	uint32_t sched_flags; /* SCHED_F_* */
	size_t n;
	struct sched_real *sreals;    /* weights, usable, slow start; counts filled per pick */
	struct proxy_target *targets; /* same order */
	uint32_t *table;	      /* rr/wrr: the ring; sh/dh/mh: the lookup table */
	size_t table_len;
	/*
	 * mode http's routes: copies of the config's (without their reals), and
	 * per route a group built like this one from its reals and scheduler.
	 * This one then holds the reals no route names: the default group.
	 */
	struct proxy_route *routes;
	struct proxy_snapshot **groups;
	size_t ngroups;
};

struct proxy_service {
	atomic_int refs; /* the engine's, each worker listener's, each connection's */
	char name[CONFIG_NAME_MAX];
	struct net_addr vip;
	uint16_t port;
	struct sockaddr_storage vip_sa;
	socklen_t vip_salen;

	pthread_mutex_t lock; /* snap, cursor, rand, loc */
	struct proxy_snapshot *snap;
	uint64_t cursor;
	uint64_t route_cursor[PROXY_ROUTES_MAX];
	struct sched_rand rand;
	struct sched_loc_cache loc;
	bool loc_ready;

	struct proxy_service_stats stats;
	atomic_uint_fast64_t refusal_logged_ms; /* rate limit of the max_connections warning */
	atomic_uint_fast32_t max_connections;	/* read at accept, without the lock */

	/* Main thread only. */
	int *lfds; /* the workers' listening sockets, until unlisten (for an upgrade) */
	size_t nlfds;
	struct proxy_real_stats **reals; /* the current reals' counters, for xlbctl */
	size_t nreals;
	uint64_t built_gen;
};

void proxy_service_put(struct proxy_service *svc);
void proxy_real_stats_put(struct proxy_real_stats *rs);
static inline void proxy_service_get(struct proxy_service *svc)
{
	atomic_fetch_add(&svc->refs, 1);
}
static inline void proxy_real_stats_get(struct proxy_real_stats *rs)
{
	atomic_fetch_add(&rs->refs, 1);
}

/* ---- scheduling (proxy_sched.c) ---- */

struct proxy_pick {
	struct sockaddr_storage sa;
	socklen_t salen;
	struct proxy_real_stats *stats; /* a reference for the caller, counted as connecting */
	struct proxy_config cfg;	/* the service's settings at the time of the pick */
};

/*
 * Picks a real for a new connection of @client, skipping the reals in
 * @tried (ids); counts it as connecting. 0, or -ENOENT when no real can
 * take it.
 */
int proxy_pick(struct proxy_service *svc, const struct sockaddr *client, const uint32_t *tried,
	       size_t ntried, size_t group, struct proxy_pick *out);
/*
 * mode http: the group of reals for a request (0: the default, else its
 * route's index + 1), or -ENOENT when no route matches and no real is left
 * for the default.
 */
int proxy_route_select(struct proxy_service *svc, const char *host, size_t hlen,
		       const char *target, size_t tlen);
/* The service's settings now (under the lock). */
void proxy_service_config(struct proxy_service *svc, struct proxy_config *out);
void proxy_snapshot_free(struct proxy_snapshot *snap);
/* rr/wrr: the ring; sh/dh/mh: the lookup table, from snap->sreals. 0 or negative errno. */
int proxy_snapshot_build_table(struct proxy_snapshot *snap);
/* lblc/lblcr: the per-destination cache, once per service. 0 or negative errno. */
int proxy_service_loc_init(struct proxy_service *svc);

/* ---- passive health (proxy_sched.c) ---- */

/* A failure of @rs: after cfg->passive_failures in a row it leaves the picks for a while. */
void proxy_passive_fail(struct proxy_service *svc, struct proxy_real_stats *rs,
			const struct proxy_config *cfg, enum proxy_failure why, int status,
			uint64_t now_ms);
/* A success of @rs: the count starts again (and an out real is back). */
void proxy_passive_ok(struct proxy_service *svc, struct proxy_real_stats *rs);
const char *proxy_failure_name(enum proxy_failure why);

/* ---- workers (proxy_worker.c) ---- */

enum proxy_handle_kind {
	PROXY_H_LISTENER,
	PROXY_H_COMMAND,
	PROXY_H_TIMER,
	PROXY_H_CLIENT,
	PROXY_H_REAL,
	PROXY_H_UPSTREAM, /* mode http: a connection to a real, in use or idle in the pool */
};

/* What an epoll event points at. */
struct proxy_handle {
	uint8_t kind; /* enum proxy_handle_kind */
	void *owner;
};

struct proxy_listener {
	struct proxy_handle h;
	int fd;
	struct proxy_service *svc; /* a reference */
	struct proxy_listener *next;
};

enum proxy_cmd_kind {
	PROXY_CMD_LISTEN,   /* start accepting on fd for svc */
	PROXY_CMD_UNLISTEN, /* stop accepting for svc; its connections go on */
};

struct proxy_cmd {
	enum proxy_cmd_kind kind;
	struct proxy_service *svc; /* a reference, handed over */
	int fd;
	struct proxy_cmd *next;
};

struct proxy_conn;

struct proxy_worker {
	int index;
	pthread_t thread;
	bool started;
	int epfd;
	int cmdfd;   /* eventfd: commands queued, or stop */
	int timerfd; /* timeouts */
	struct proxy_handle cmd_h, timer_h;
	pthread_mutex_t qlock;
	struct proxy_cmd *queue;
	atomic_bool stop;
	atomic_bool draining; /* a new xlbd took over: no more keep-alive for clients */
	struct proxy_listener *listeners;
	struct proxy_listener *dead_listeners; /* closed during this batch; freed after it */
	struct proxy_conn *conns; /* every open connection, for the timeout sweep */
	struct proxy_conn *dead;  /* closed during this batch of events; freed after it */
	struct proxy_upstream *idle_ups; /* mode http's pool: every idle connection, newest first */
	struct proxy_upstream *dead_ups; /* closed during this batch; freed after it */
	uint64_t now_ms;	  /* cached per batch */
	size_t nconns;
	/*
	 * Held open so that, out of descriptors, a pending connection can still
	 * be accepted and reset: otherwise its listener stays readable and the
	 * worker spins.
	 */
	int spare_fd;
	uint64_t fd_warned_ms; /* "out of descriptors" logged at most once a second */
};

/* Queues @cmd for @w (the worker frees it). */
void proxy_worker_post(struct proxy_worker *w, struct proxy_cmd *cmd);
int proxy_worker_start(struct proxy_worker *w, int index);
void proxy_worker_stop(struct proxy_worker *w);
int proxy_worker_watch(struct proxy_worker *w, int fd, struct proxy_handle *h, uint32_t events);

/* ---- connections (proxy_conn.c, proxy_http.c) ---- */

/* Accepts what @l has pending. */
void proxy_conn_accept(struct proxy_worker *w, struct proxy_listener *l);
void proxy_conn_event(struct proxy_worker *w, struct proxy_handle *h, uint32_t events);
/* Timeouts; called a few times a second. */
void proxy_conn_sweep(struct proxy_worker *w);
void proxy_conn_free_dead(struct proxy_worker *w);
/* Closes every connection (shutdown). */
void proxy_conn_close_all(struct proxy_worker *w);

uint64_t proxy_now_ms(void);

#endif /* XLB_PROXY_INTERNAL_H */
