// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The proxy engine's main-thread side: listeners per service and worker
 * (SO_REUSEPORT, so the kernel spreads new connections over the workers),
 * snapshots of the model's reals, and the reload rules: a service whose VIP
 * and port stay keeps its listening sockets (nothing is dropped), a removed
 * one stops accepting while its connections finish.
 */
#include "proxy/proxy_engine.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "log.h"
#include "model.h"
#include "proxy/proxy_internal.h"

#define PROXY_LISTEN_BACKLOG 4096
/* Per proxied connection: client and real sockets, and two pipes in mode tcp. */
#define PROXY_FDS_PER_CONN 6

/* A listening socket a previous xlbd handed over, until a service takes it. */
struct proxy_adopted {
	int fd;
	struct sockaddr_storage sa;
};

struct proxy_engine {
	struct proxy_adopted *adopted;
	size_t nadopted;
	struct proxy_worker *workers;
	size_t nworkers;
	bool started;
	struct proxy_service **services;
	size_t nservices;
	uint64_t seen_gen;
};

void proxy_real_stats_put(struct proxy_real_stats *rs)
{
	if (rs && atomic_fetch_sub(&rs->refs, 1) == 1)
		free(rs);
}

void proxy_service_put(struct proxy_service *svc)
{
	if (!svc || atomic_fetch_sub(&svc->refs, 1) != 1)
		return;
	proxy_snapshot_free(svc->snap);
	free(svc->lfds);
	for (size_t i = 0; i < svc->nreals; i++)
		proxy_real_stats_put(svc->reals[i]);
	free(svc->reals);
	if (svc->loc_ready)
		sched_loc_free(&svc->loc);
	pthread_mutex_destroy(&svc->lock);
	free(svc);
}

int proxy_engine_open(struct proxy_engine **out)
{
	struct proxy_engine *e = calloc(1, sizeof(*e));
	struct rlimit rl;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	if (!e)
		return -ENOMEM;
	/* Each proxied connection holds two sockets and up to two pipes. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			log_warn("proxy: cannot raise the open files limit: %s", strerror(errno));
	}
	e->nworkers = ncpu < 1 ? 1 : ncpu > PROXY_MAX_WORKERS ? PROXY_MAX_WORKERS : (size_t)ncpu;
	e->workers = calloc(e->nworkers, sizeof(*e->workers));
	if (!e->workers) {
		free(e);
		return -ENOMEM;
	}
	*out = e;
	return 0;
}

static int proxy_engine_start(struct proxy_engine *e)
{
	struct rlimit rl;

	for (size_t i = 0; i < e->nworkers; i++) {
		int err = proxy_worker_start(&e->workers[i], (int)i);

		if (err) {
			log_error("proxy: cannot start worker %zu: %s", i, strerror(-err));
			return err;
		}
	}
	e->started = true;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		log_info("proxy: %zu workers, open files limit %llu", e->nworkers,
			 (unsigned long long)rl.rlim_cur);
	return 0;
}

void proxy_engine_close(struct proxy_engine *e)
{
	if (!e)
		return;
	for (size_t i = 0; e->started && i < e->nworkers; i++)
		proxy_worker_stop(&e->workers[i]);
	for (size_t i = 0; i < e->nservices; i++)
		proxy_service_put(e->services[i]);
	for (size_t i = 0; i < e->nadopted; i++)
		if (e->adopted[i].fd >= 0)
			close(e->adopted[i].fd);
	free(e->adopted);
	free(e->services);
	free(e->workers);
	free(e);
}

/*
 * One listening socket of a worker. IP_FREEBIND: xlbd may start before the
 * VIP is configured (or VRRP moves it here later). TCP_NODELAY is inherited
 * by every accepted socket (no call per connection).
 */
static int proxy_listen_socket(const struct proxy_service *svc)
{
	int one = 1, fd;

	fd = socket(svc->vip.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_IP, IP_FREEBIND, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0 ||
	    (svc->vip.family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) ||
	    bind(fd, (const struct sockaddr *)&svc->vip_sa, svc->vip_salen) < 0 ||
	    listen(fd, PROXY_LISTEN_BACKLOG) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static struct proxy_service *proxy_service_new(const struct service *s)
{
	struct proxy_service *svc = calloc(1, sizeof(*svc));

	if (!svc)
		return NULL;
	atomic_init(&svc->refs, 1);
	pthread_mutex_init(&svc->lock, NULL);
	svc->vip = s->cfg.vip;
	svc->port = s->cfg.port;
	svc->vip_salen = net_addr_sockaddr(&svc->vip, svc->port, &svc->vip_sa);
	sched_rand_seed(&svc->rand, (uint64_t)(uintptr_t)svc ^ (uint64_t)proxy_now_ms());
	return svc;
}

static bool proxy_sa_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const struct sockaddr_in *a4 = (const void *)a, *b4 = (const void *)b;
	const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)b;

	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return a4->sin_port == b4->sin_port && a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	return a->ss_family == AF_INET6 && a6->sin6_port == b6->sin6_port &&
	       memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof(a6->sin6_addr)) == 0;
}

/*
 * Every worker gets a socket: first those a previous xlbd handed over for
 * this VIP and port (their queues are served, nothing is reset), then new
 * ones; more handed-over ones than workers are shared out. On failure none
 * is kept.
 */
static int proxy_service_listen(struct proxy_engine *e, struct proxy_service *svc)
{
	size_t n = 0, i, cap = e->nworkers;
	int *fds;

	for (i = 0; i < e->nadopted; i++)
		cap += e->adopted[i].fd >= 0 && proxy_sa_equal(&e->adopted[i].sa, &svc->vip_sa);
	fds = calloc(cap, sizeof(*fds));
	if (!fds)
		return -ENOMEM;
	for (i = 0; i < e->nadopted; i++) {
		if (e->adopted[i].fd < 0 || !proxy_sa_equal(&e->adopted[i].sa, &svc->vip_sa))
			continue;
		fds[n++] = e->adopted[i].fd;
		e->adopted[i].fd = -1;
	}
	if (n)
		log_info("service %s: serving %zu listening socket(s) handed over by the previous "
			 "xlbd",
			 svc->name, n);
	while (n < e->nworkers) {
		fds[n] = proxy_listen_socket(svc);
		if (fds[n] < 0) {
			int err = fds[n];

			while (n--)
				close(fds[n]);
			free(fds);
			return err;
		}
		n++;
	}
	for (i = 0; i < n; i++) {
		struct proxy_cmd *cmd = calloc(1, sizeof(*cmd));

		if (!cmd) {
			close(fds[i]);
			fds[i] = -1;
			continue;
		}
		proxy_service_get(svc);
		*cmd = (struct proxy_cmd){.kind = PROXY_CMD_LISTEN, .svc = svc, .fd = fds[i]};
		proxy_worker_post(&e->workers[i % e->nworkers], cmd);
	}
	free(svc->lfds);
	svc->lfds = fds;
	svc->nlfds = n;
	return 0;
}

static void proxy_service_unlisten(struct proxy_engine *e, struct proxy_service *svc)
{
	/* From now on the workers may close them: never hand these numbers over. */
	free(svc->lfds);
	svc->lfds = NULL;
	svc->nlfds = 0;
	for (size_t i = 0; i < e->nworkers; i++) {
		struct proxy_cmd *cmd = calloc(1, sizeof(*cmd));

		if (!cmd)
			continue; /* the worker drops it at shutdown */
		proxy_service_get(svc);
		*cmd = (struct proxy_cmd){.kind = PROXY_CMD_UNLISTEN, .svc = svc, .fd = -1};
		proxy_worker_post(&e->workers[i], cmd);
	}
}

static struct proxy_real_stats *proxy_find_stats(struct proxy_service *svc, const struct real *r)
{
	for (size_t i = 0; i < svc->nreals; i++) {
		struct proxy_real_stats *rs = svc->reals[i];

		if (rs->real_id == r->id && rs->port == r->cfg.port &&
		    net_addr_equal(&rs->addr, &r->cfg.addr))
			return rs;
	}
	return NULL;
}

/* Counters carry over for reals that stay; new reals start at zero. */
static int proxy_service_sync_reals(struct proxy_service *svc, const struct service *s)
{
	struct proxy_real_stats **reals = calloc(s->nreals ? s->nreals : 1, sizeof(*reals));

	if (!reals)
		return -ENOMEM;
	for (size_t i = 0; i < s->nreals; i++) {
		const struct real *r = &s->reals[i];
		struct proxy_real_stats *rs = proxy_find_stats(svc, r);

		if (rs) {
			proxy_real_stats_get(rs);
		} else {
			rs = calloc(1, sizeof(*rs));
			if (!rs) {
				while (i--)
					proxy_real_stats_put(reals[i]);
				free(reals);
				return -ENOMEM;
			}
			atomic_init(&rs->refs, 1);
			rs->real_id = r->id;
			rs->addr = r->cfg.addr;
			rs->port = r->cfg.port;
		}
		reals[i] = rs;
	}
	for (size_t i = 0; i < svc->nreals; i++)
		proxy_real_stats_put(svc->reals[i]);
	free(svc->reals);
	svc->reals = reals;
	svc->nreals = s->nreals;
	return 0;
}

/* One group: the reals of @s at @idx (@n of them) with scheduler @sched. */
static struct proxy_snapshot *proxy_group_build(struct proxy_service *svc, const struct service *s,
						const uint32_t *idx, size_t n, uint8_t sched)
{
	struct proxy_snapshot *snap = calloc(1, sizeof(*snap));

	if (!snap)
		return NULL;
	snap->cfg = s->cfg.proxy;
	snap->cfg.routes = NULL; /* never followed by a worker */
	snap->sched = sched;
	snap->sched_flags =
	    (s->cfg.sched_port ? SCHED_F_PORT : 0) | (s->cfg.sched_fallback ? SCHED_F_FALLBACK : 0);
	snap->sreals = calloc(n ? n : 1, sizeof(*snap->sreals));
	snap->targets = calloc(n ? n : 1, sizeof(*snap->targets));
	if (!snap->sreals || !snap->targets)
		goto fail;
	for (size_t k = 0; k < n; k++) {
		const struct real *r = &s->reals[idx[k]];
		struct sched_real *sr = &snap->sreals[k];

		sr->real_id = r->id;
		sr->weight = real_weight(r);
		sr->usable = model_real_in_ring(s, r);
		sr->slow_start = model_real_slow_start(s, r);
		sr->last_weight = r->cfg.weight;
		net_addr_to_xlb(&r->cfg.addr, &sr->addr);
		sr->port = htons(r->cfg.port);
		snap->targets[k].salen = net_addr_sockaddr(&r->cfg.addr, r->cfg.port,
							   &snap->targets[k].sa);
		snap->targets[k].stats = svc->reals[idx[k]];
		proxy_real_stats_get(svc->reals[idx[k]]);
		snap->n = k + 1;
	}
	if (proxy_snapshot_build_table(snap))
		goto fail;
	return snap;
fail:
	proxy_snapshot_free(snap);
	return NULL;
}

/*
 * The service's snapshot: without routes, every real; with routes, the
 * reals no route names (the default group), and a group per route.
 */
static struct proxy_snapshot *proxy_snapshot_build(struct proxy_service *svc,
						   const struct service *s)
{
	const struct proxy_config *pc = &s->cfg.proxy;
	uint32_t *idx = calloc(s->nreals ? s->nreals : 1, sizeof(*idx));
	bool *named = calloc(s->nreals ? s->nreals : 1, sizeof(*named));
	struct proxy_snapshot *snap = NULL;
	size_t n = 0;

	if (!idx || !named)
		goto out;
	for (uint32_t r = 0; r < pc->nroutes; r++)
		for (size_t k = 0; k < pc->routes[r].nreals; k++)
			if (pc->routes[r].reals[k] < s->nreals)
				named[pc->routes[r].reals[k]] = true;
	for (size_t i = 0; i < s->nreals; i++)
		if (!named[i])
			idx[n++] = (uint32_t)i;
	snap = proxy_group_build(svc, s, idx, n, s->cfg.sched);
	if (!snap || !pc->nroutes)
		goto out;
	snap->routes = calloc(pc->nroutes, sizeof(*snap->routes));
	snap->groups = calloc(pc->nroutes, sizeof(*snap->groups));
	if (!snap->routes || !snap->groups)
		goto fail;
	for (uint32_t r = 0; r < pc->nroutes; r++) {
		const struct proxy_route *rt = &pc->routes[r];

		snap->routes[r] = *rt;
		snap->routes[r].reals = NULL;
		snap->groups[r] = proxy_group_build(svc, s, rt->reals, rt->nreals,
						    rt->sched >= 0 ? (uint8_t)rt->sched : s->cfg.sched);
		if (!snap->groups[r])
			goto fail;
		snap->ngroups = r + 1;
	}
	goto out;
fail:
	proxy_snapshot_free(snap);
	snap = NULL;
out:
	free(idx);
	free(named);
	return snap;
}

/* Builds outside the lock, swaps inside it: a pick sees the old or the new one whole. */
static int proxy_service_publish(struct proxy_service *svc, const struct service *s)
{
	struct proxy_snapshot *snap, *old;
	int err = proxy_service_sync_reals(svc, s);

	if (err)
		return err;
	snap = proxy_snapshot_build(svc, s);
	if (!snap)
		return -ENOMEM;
	if (!svc->loc_ready && sched_get(s->cfg.sched)->cls == SCHED_CLASS_LOCALITY) {
		err = proxy_service_loc_init(svc);
		if (err) {
			proxy_snapshot_free(snap);
			return err;
		}
	}
	/* Workers read the name for their logs: write it only when it changes (first publish). */
	if (strcmp(svc->name, s->cfg.name) != 0)
		snprintf(svc->name, sizeof(svc->name), "%s", s->cfg.name);
	atomic_store(&svc->max_connections, s->cfg.proxy.max_connections);
	pthread_mutex_lock(&svc->lock);
	old = svc->snap;
	svc->snap = snap;
	pthread_mutex_unlock(&svc->lock);
	proxy_snapshot_free(old);
	return 0;
}

static struct proxy_service *proxy_engine_find(const struct proxy_engine *e,
					       const struct service *s)
{
	for (size_t i = 0; i < e->nservices; i++)
		if (e->services[i]->port == s->cfg.port &&
		    net_addr_equal(&e->services[i]->vip, &s->cfg.vip))
			return e->services[i];
	return NULL;
}

/*
 * Warns when max_connections of all services could not all be open at once:
 * each connection holds up to PROXY_FDS_PER_CONN descriptors. Past the
 * limit, accepts are reset (counted as refused) instead of served.
 */
static void proxy_engine_check_fds(const struct model *m)
{
	uint64_t want = 0;
	struct rlimit rl;

	for (size_t i = 0; i < m->nservices; i++)
		if (m->services[i].cfg.method == XLB_METHOD_PROXY)
			want +=
			    (uint64_t)m->services[i].cfg.proxy.max_connections * PROXY_FDS_PER_CONN;
	if (want && getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    want > rl.rlim_cur)
		log_warn("proxy: max_connections of all proxy services need up to %llu open files, "
			 "the limit is %llu: raise it (LimitNOFILE=) or lower max_connections",
			 (unsigned long long)want, (unsigned long long)rl.rlim_cur);
}

/* Handed-over sockets no service of the config took: their queued connections are reset. */
static void proxy_engine_adopted_close(struct proxy_engine *e)
{
	char ip[NET_ADDR_STRLEN];

	for (size_t i = 0; i < e->nadopted; i++) {
		struct net_addr a;
		uint16_t port;

		if (e->adopted[i].fd < 0)
			continue;
		net_addr_from_sockaddr((struct sockaddr *)&e->adopted[i].sa, &a, &port);
		log_warn("a listening socket on %s port %u handed over by the previous xlbd: no "
			 "proxy service of this config listens there; closed",
			 net_addr_str(&a, ip, sizeof(ip)), port);
		close(e->adopted[i].fd);
	}
	free(e->adopted);
	e->adopted = NULL;
	e->nadopted = 0;
}

int proxy_engine_apply(struct proxy_engine *e, struct model *m)
{
	struct proxy_service **next = calloc(m->nservices ? m->nservices : 1, sizeof(*next));
	size_t nnext = 0;
	char ip[NET_ADDR_STRLEN];
	int first_err = 0;

	if (!next)
		return -ENOMEM;
	e->seen_gen = m->proxy_gen;
	proxy_engine_check_fds(m);
	for (size_t i = 0; i < m->nservices; i++) {
		const struct service *s = &m->services[i];
		struct proxy_service *svc;
		bool fresh = false;
		int err;

		if (s->cfg.method != XLB_METHOD_PROXY)
			continue;
		if (!e->started && (err = proxy_engine_start(e))) {
			first_err = first_err ? first_err : err;
			break;
		}
		svc = proxy_engine_find(e, s);
		if (svc) {
			proxy_service_get(svc);
		} else {
			svc = proxy_service_new(s);
			fresh = true;
		}
		err = svc ? proxy_service_publish(svc, s) : -ENOMEM;
		if (!err && fresh) {
			err = proxy_service_listen(e, svc);
			if (err)
				log_error("service %s: cannot listen on %s port %u: %s",
					  s->cfg.name, net_addr_str(&s->cfg.vip, ip, sizeof(ip)),
					  s->cfg.port, strerror(-err));
			else
				log_info("service %s: proxy (%s) listening on %s port %u",
					 s->cfg.name, proxy_mode_name(s->cfg.proxy.mode),
					 net_addr_str(&s->cfg.vip, ip, sizeof(ip)), s->cfg.port);
		} else if (err) {
			log_error("service %s: cannot publish its reals: %s", s->cfg.name,
				  strerror(-err));
		}
		if (err) {
			proxy_service_put(svc);
			first_err = first_err ? first_err : err;
			continue;
		}
		next[nnext++] = svc;
	}
	for (size_t i = 0; i < e->nservices; i++) {
		bool kept = false;

		for (size_t j = 0; j < nnext; j++)
			kept |= next[j] == e->services[i];
		if (!kept) {
			log_info("service %s: proxy stops accepting; open connections finish",
				 e->services[i]->name);
			proxy_service_unlisten(e, e->services[i]);
		}
		proxy_service_put(e->services[i]);
	}
	free(e->services);
	e->services = next;
	e->nservices = nnext;
	proxy_engine_adopted_close(e);
	return first_err;
}

void proxy_engine_refresh(struct proxy_engine *e, struct model *m)
{
	if (!e || e->seen_gen == m->proxy_gen)
		return;
	e->seen_gen = m->proxy_gen;
	for (size_t i = 0; i < m->nservices; i++) {
		const struct service *s = &m->services[i];
		struct proxy_service *svc;
		int err;

		if (s->cfg.method != XLB_METHOD_PROXY || !(svc = proxy_engine_find(e, s)))
			continue;
		err = proxy_service_publish(svc, s);
		if (err)
			log_error("service %s: cannot publish its reals: %s", s->cfg.name,
				  strerror(-err));
	}
}

/* ---- upgrades ---- */

size_t proxy_engine_listeners(const struct proxy_engine *e, int *fds, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < e->nservices; i++)
		for (size_t k = 0; k < e->services[i]->nlfds; k++) {
			if (e->services[i]->lfds[k] < 0)
				continue;
			if (n < max)
				fds[n] = e->services[i]->lfds[k];
			n++;
		}
	return n;
}

/* A TCP socket in the listening state: what a handed-over descriptor must be. */
static bool proxy_is_listener(int fd, struct sockaddr_storage *sa)
{
	int type = 0, acc = 0;
	socklen_t tl = sizeof(type), al = sizeof(acc), sl = sizeof(*sa);

	return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) == 0 && type == SOCK_STREAM &&
	       getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &al) == 0 && acc &&
	       getsockname(fd, (struct sockaddr *)sa, &sl) == 0 &&
	       (sa->ss_family == AF_INET || sa->ss_family == AF_INET6);
}

void proxy_engine_adopt(struct proxy_engine *e, int *fds, size_t n)
{
	struct proxy_adopted *a = realloc(e->adopted, (e->nadopted + n) * sizeof(*a));

	if (!a && n) {
		log_error("proxy: no memory for %zu handed-over listening sockets; closed", n);
		for (size_t i = 0; i < n; i++)
			close(fds[i]);
		return;
	}
	e->adopted = a;
	for (size_t i = 0; i < n; i++) {
		struct proxy_adopted *d = &e->adopted[e->nadopted];

		if (!proxy_is_listener(fds[i], &d->sa)) {
			log_warn("proxy: a handed-over descriptor is not a listening TCP socket; "
				 "closed");
			close(fds[i]);
			continue;
		}
		d->fd = fds[i];
		e->nadopted++;
	}
}

void proxy_engine_drain(struct proxy_engine *e)
{
	for (size_t i = 0; e->started && i < e->nworkers; i++)
		atomic_store(&e->workers[i].draining, true);
	for (size_t i = 0; i < e->nservices; i++)
		proxy_service_unlisten(e, e->services[i]);
}

uint64_t proxy_engine_connections(const struct proxy_engine *e)
{
	uint64_t n = 0;

	for (size_t i = 0; e && i < e->nservices; i++)
		n += (uint64_t)atomic_load(&e->services[i]->stats.active);
	return n;
}

/* ---- xlbctl ---- */

static json_object *proxy_u64(atomic_uint_fast64_t *v)
{
	return json_object_new_uint64((uint64_t)atomic_load(v));
}

/* routes: each with its match, its reals and the requests it took; then the default's. */
static void proxy_json_routes(json_object *p, struct proxy_service *svc, const struct service *s)
{
	const struct proxy_config *pc = &s->cfg.proxy;
	json_object *list;
	char ip[NET_ADDR_STRLEN];

	if (!pc->nroutes)
		return;
	list = json_object_new_array();
	for (uint32_t i = 0; i < pc->nroutes; i++) {
		const struct proxy_route *r = &pc->routes[i];
		json_object *o = json_object_new_object(), *reals = json_object_new_array();
		char host[PROXY_ROUTE_TEXT_MAX + 2];

		snprintf(host, sizeof(host), "%s%s", r->host_suffix ? "*" : "", r->host);
		if (r->host[0])
			json_object_object_add(o, "host", json_object_new_string(host));
		if (r->path[0])
			json_object_object_add(o, "path", json_object_new_string(r->path));
		json_object_object_add(o, "scheduler",
				       json_object_new_string(sched_get(r->sched >= 0 ? (enum sched_id)r->sched : (enum sched_id)s->cfg.sched)->name));
		for (size_t k = 0; k < r->nreals && r->reals[k] < s->nreals; k++) {
			const struct real *rl = &s->reals[r->reals[k]];
			char ep[NET_ADDR_STRLEN + 8];

			snprintf(ep, sizeof(ep), rl->cfg.addr.family == AF_INET6 ? "[%s]:%u" : "%s:%u",
				 net_addr_str(&rl->cfg.addr, ip, sizeof(ip)), rl->cfg.port);
			json_object_array_add(reals, json_object_new_string(ep));
		}
		json_object_object_add(o, "reals", reals);
		if (svc && i + 1 <= PROXY_ROUTES_MAX)
			json_object_object_add(o, "requests",
					       proxy_u64(&svc->stats.route_requests[i + 1]));
		json_object_array_add(list, o);
	}
	json_object_object_add(p, "routes", list);
	if (svc) {
		json_object_object_add(p, "default_requests",
				       proxy_u64(&svc->stats.route_requests[0]));
		json_object_object_add(p, "no_route", proxy_u64(&svc->stats.no_route));
	}
}

void proxy_json_service(json_object *o, const struct proxy_engine *e, const struct service *s)
{
	struct proxy_service *svc = e ? proxy_engine_find(e, s) : NULL;
	const struct proxy_config *pc = &s->cfg.proxy;
	json_object *p = json_object_new_object(), *st;

	json_object_object_add(p, "mode", json_object_new_string(proxy_mode_name(pc->mode)));
	json_object_object_add(p, "proxy_protocol",
			       json_object_new_string(proxy_pp_name(pc->proxy_protocol)));
	json_object_object_add(p, "max_connections", json_object_new_uint64(pc->max_connections));
	json_object_object_add(p, "connect_timeout_ms",
			       json_object_new_uint64(pc->connect_timeout_ms));
	json_object_object_add(p, "idle_timeout_ms", json_object_new_uint64(pc->idle_timeout_ms));
	json_object_object_add(p, "retries", json_object_new_uint64(pc->retries));
	if (pc->mode == PROXY_MODE_HTTP) {
		json_object *pool = json_object_new_object();

		json_object_object_add(pool, "per_real", json_object_new_uint64(pc->pool_per_real));
		json_object_object_add(pool, "max", json_object_new_uint64(pc->pool_max));
		json_object_object_add(pool, "idle_timeout_ms",
				       json_object_new_uint64(pc->pool_idle_ms));
		if (svc) {
			json_object_object_add(pool, "idle", proxy_u64(&svc->stats.pool_idle));
			json_object_object_add(pool, "reused", proxy_u64(&svc->stats.pool_reused));
			json_object_object_add(pool, "closed_by_real",
					       proxy_u64(&svc->stats.pool_stale));
		}
		json_object_object_add(p, "pool", pool);
		json_object_object_add(p, "max_header_size",
				       json_object_new_uint64(pc->max_header_size));
		proxy_json_routes(p, svc, s);
	}
	{
		json_object *ph = json_object_new_object();

		json_object_object_add(ph, "failures", json_object_new_uint64(pc->passive_failures));
		json_object_object_add(ph, "backoff_ms",
				       json_object_new_uint64(pc->passive_backoff_ms));
		json_object_object_add(ph, "status_5xx", json_object_new_boolean(pc->passive_5xx));
		if (svc)
			json_object_object_add(ph, "outs", proxy_u64(&svc->stats.passive_outs));
		json_object_object_add(p, "passive_health", ph);
	}
	json_object_object_add(p, "listening", json_object_new_boolean(svc != NULL));
	if (svc) {
		struct proxy_service_stats *ss = &svc->stats;

		json_object_object_add(p, "active_connections", proxy_u64(&ss->active));
		json_object_object_add(p, "total_connections", proxy_u64(&ss->total));
		json_object_object_add(p, "bytes_in", proxy_u64(&ss->bytes_in));
		json_object_object_add(p, "bytes_out", proxy_u64(&ss->bytes_out));
		json_object_object_add(p, "refused", proxy_u64(&ss->refused));
		json_object_object_add(p, "connect_failures", proxy_u64(&ss->connect_failures));
		json_object_object_add(p, "retries_done", proxy_u64(&ss->retries));
		json_object_object_add(p, "no_real", proxy_u64(&ss->no_real));
		json_object_object_add(p, "requests", proxy_u64(&ss->requests));
		/* The packet methods' columns, so `xlbctl list` shows something useful. */
		st = json_object_new_object();
		json_object_object_add(st, "packets", json_object_new_uint64(0));
		json_object_object_add(
		    st, "bytes",
		    json_object_new_uint64((uint64_t)atomic_load(&ss->bytes_in) +
					   (uint64_t)atomic_load(&ss->bytes_out)));
		json_object_object_add(st, "new_flows", proxy_u64(&ss->total));
		json_object_object_add(o, "stats", st);
	}
	json_object_object_add(o, "proxy", p);
}

/*
 * Passive health of a real: its counters, and while it is out, why, as the
 * real's "problem" (xlbctl list shows it after the state).
 */
static void proxy_json_passive(json_object *o, json_object *p, struct proxy_real_stats *rs)
{
	uint64_t now = proxy_now_ms(), until = (uint64_t)atomic_load(&rs->out_until_ms);
	int why = atomic_load(&rs->last_failure);
	json_object *ph = json_object_new_object(), *prev;
	char last[48], text[256];

	if (why == PROXY_FAIL_STATUS)
		snprintf(last, sizeof(last), "status %d", atomic_load(&rs->last_status));
	else
		snprintf(last, sizeof(last), "%s", proxy_failure_name((enum proxy_failure)why));
	json_object_object_add(ph, "out", json_object_new_boolean(until > now));
	json_object_object_add(ph, "out_for_ms", json_object_new_uint64(until > now ? until - now : 0));
	json_object_object_add(ph, "failures_in_row",
			       json_object_new_uint64(atomic_load(&rs->fails_in_row)));
	json_object_object_add(ph, "failures", proxy_u64(&rs->passive_failures));
	json_object_object_add(ph, "outs", proxy_u64(&rs->passive_outs));
	if (why != PROXY_FAIL_NONE)
		json_object_object_add(ph, "last_failure", json_object_new_string(last));
	json_object_object_add(p, "passive_health", ph);
	if (until <= now)
		return;
	if (json_object_object_get_ex(o, "problem", &prev))
		snprintf(text, sizeof(text), "%s; passive health: out for %.1fs, %u failures in a row, last: %s",
			 json_object_get_string(prev), (double)(until - now) / 1000.0,
			 (unsigned)atomic_load(&rs->fails_in_row), last);
	else
		snprintf(text, sizeof(text), "passive health: out for %.1fs, %u failures in a row, last: %s",
			 (double)(until - now) / 1000.0, (unsigned)atomic_load(&rs->fails_in_row),
			 last);
	json_object_object_add(o, "problem", json_object_new_string(text));
}

void proxy_json_real(json_object *o, const struct proxy_engine *e, const struct service *s,
		     const struct real *r)
{
	struct proxy_service *svc = e ? proxy_engine_find(e, s) : NULL;
	struct proxy_real_stats *rs = svc ? proxy_find_stats(svc, r) : NULL;
	json_object *p, *st;

	if (!rs)
		return;
	p = json_object_new_object();
	json_object_object_add(p, "active_connections", proxy_u64(&rs->active));
	json_object_object_add(p, "connecting", proxy_u64(&rs->connecting));
	json_object_object_add(p, "total_connections", proxy_u64(&rs->total));
	json_object_object_add(p, "bytes_in", proxy_u64(&rs->bytes_to_real));
	json_object_object_add(p, "bytes_out", proxy_u64(&rs->bytes_to_client));
	json_object_object_add(p, "connect_failures", proxy_u64(&rs->connect_failures));
	json_object_object_add(p, "retries", proxy_u64(&rs->retries));
	if (s->cfg.proxy.mode == PROXY_MODE_HTTP) {
		json_object_object_add(p, "requests", proxy_u64(&rs->requests));
		json_object_object_add(p, "reused", proxy_u64(&rs->reused));
		json_object_object_add(p, "idle", proxy_u64(&rs->idle_count));
	}
	proxy_json_passive(o, p, rs);
	json_object_object_add(o, "proxy", p);
	json_object_object_add(o, "active_conns", proxy_u64(&rs->active));
	json_object_object_add(o, "inactive_conns", proxy_u64(&rs->connecting));
	st = json_object_new_object();
	json_object_object_add(st, "packets", json_object_new_uint64(0));
	json_object_object_add(st, "bytes",
			       json_object_new_uint64((uint64_t)atomic_load(&rs->bytes_to_real) +
						      (uint64_t)atomic_load(&rs->bytes_to_client)));
	json_object_object_add(st, "new_flows", proxy_u64(&rs->total));
	json_object_object_add(o, "stats", st);
}
