// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Proxied connections: accept (with max_connections), dialling a real with
 * connect timeout and retries on other reals, and mode tcp's forwarding:
 * copied through a small buffer at first, then, for a direction that turns
 * out to carry bulk, with splice() through a pipe, so the payload never
 * leaves the kernel. Sockets are registered edge-triggered for both directions;
 * every event runs the pump until each side would block.
 */
#include "proxy/proxy_conn.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "log.h"

#define PROXY_SPLICE_CHUNK (64 * 1024) /* a default pipe's capacity */
#define PROXY_COPY_BUF (16 * 1024)
/*
 * A direction splices once it has copied this much and its reads fill the
 * copy buffer (a bulk transfer under way). Many small answers on one
 * keep-alive connection add up too, but never fill it: they stay copied.
 */
#define PROXY_SPLICE_AFTER (256 * 1024)
#define PROXY_CONN_EVENTS (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET)
/*
 * Draining for a new xlbd: a keep-alive client idle this long is closed (one
 * still sending gets "Connection: close" on its next response instead; this
 * keeps the close from racing a request already on its way).
 */
#define PROXY_DRAIN_IDLE_MS 1000
/* The max_connections warning: at most once a second per service. */
#define PROXY_REFUSAL_LOG_MS 1000

static void proxy_pipe_init(struct proxy_pipe *p)
{
	p->fds[0] = p->fds[1] = -1;
	p->buf = NULL;
	p->len = p->off = 0;
	p->moved = 0;
	p->bulk = false;
	p->src_eof = p->dst_shut = false;
	p->src_ready = true;
	p->src_hup = false;
}

static void proxy_pipe_close(struct proxy_pipe *p)
{
	if (p->fds[0] >= 0) {
		close(p->fds[0]);
		close(p->fds[1]);
	}
	p->fds[0] = p->fds[1] = -1;
	free(p->buf);
	p->buf = NULL;
}

static void proxy_conn_link(struct proxy_conn **head, struct proxy_conn *c)
{
	c->prev = NULL;
	c->next = *head;
	if (*head)
		(*head)->prev = c;
	*head = c;
}

static void proxy_conn_unlink(struct proxy_conn **head, struct proxy_conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		*head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

void proxy_conn_release_real(struct proxy_conn *c, bool reuse)
{
	if (c->ups) {
		if (reuse)
			proxy_pool_put(c->w, c->ups, &c->cfg);
		else
			proxy_upstream_close(c->w, c->ups);
		c->ups = NULL;
	} else if (c->rfd >= 0) {
		close(c->rfd);
	}
	c->rfd = -1;
	c->up_reused = false;
	if (c->real) {
		atomic_fetch_sub(c->real_connected ? &c->real->active : &c->real->connecting, 1);
		proxy_real_stats_put(c->real);
	}
	c->real = NULL;
	c->real_connected = false;
	c->pp_len = c->pp_off = 0;
}

void proxy_conn_drop_real(struct proxy_conn *c)
{
	proxy_conn_release_real(c, false);
}

void proxy_conn_close(struct proxy_conn *c)
{
	struct proxy_worker *w = c->w;

	if (c->dead)
		return;
	c->dead = true;
	proxy_conn_drop_real(c);
	if (c->cfd >= 0)
		close(c->cfd);
	c->cfd = -1;
	proxy_pipe_close(&c->up);
	proxy_pipe_close(&c->down);
	proxy_http_free(c);
	atomic_fetch_sub(&c->svc->stats.active, 1);
	proxy_conn_unlink(&w->conns, c);
	w->nconns--;
	/* Freed after this batch of events: a later one may still point at it. */
	proxy_conn_link(&w->dead, c);
}

void proxy_conn_free_dead(struct proxy_worker *w)
{
	while (w->dead) {
		struct proxy_conn *c = w->dead;

		w->dead = c->next;
		proxy_service_put(c->svc);
		free(c);
	}
	proxy_pool_free_dead(w);
}

void proxy_conn_close_all(struct proxy_worker *w)
{
	while (w->conns)
		proxy_conn_close(w->conns);
	proxy_pool_close_all(w);
}

/* Gives up on this client: no real could be reached. */
static void proxy_conn_no_real(struct proxy_conn *c)
{
	atomic_fetch_add(&c->svc->stats.no_real, 1);
	if (c->cfg.mode == PROXY_MODE_HTTP)
		proxy_http_no_real(c);
	else
		proxy_conn_close(c);
}

static void proxy_conn_connected(struct proxy_conn *c);
static void proxy_conn_fd_warn(struct proxy_worker *w, const char *svc_name, const char *what);

/* This real failed us; the next pick (if retries are left) skips it. */
static void proxy_conn_dial_failed(struct proxy_conn *c, enum proxy_failure why)
{
	struct proxy_real_stats *rs = c->real;

	proxy_passive_fail(c->svc, rs, &c->cfg, why, 0, c->w->now_ms);
	atomic_fetch_add(&rs->connect_failures, 1);
	atomic_fetch_add(&c->svc->stats.connect_failures, 1);
	if (c->ntried <= c->cfg.retries && c->ntried < PROXY_MAX_RETRIES + 1) {
		atomic_fetch_add(&rs->retries, 1);
		atomic_fetch_add(&c->svc->stats.retries, 1);
		proxy_conn_drop_real(c);
		proxy_conn_dial(c);
		return;
	}
	proxy_conn_drop_real(c);
	proxy_conn_no_real(c);
}

/* mode http: an idle pooled connection to the picked real, if there is a live one. */
static bool proxy_conn_reuse(struct proxy_conn *c)
{
	struct proxy_upstream *up;

	if (c->fresh_only || !c->cfg.pool_per_real || c->cfg.proxy_protocol != PROXY_PP_NONE ||
	    !(up = proxy_pool_take(c->w, c->real)))
		return false;
	up->conn = c;
	c->ups = up;
	c->up_reused = true;
	c->rfd = up->fd;
	atomic_fetch_add(&c->real->reused, 1);
	atomic_fetch_add(&c->svc->stats.pool_reused, 1);
	return true;
}

/* Registers the new socket to a real: mode http through its own upstream handle. */
static int proxy_conn_watch_real(struct proxy_conn *c, int fd)
{
	struct proxy_upstream *up;
	int err;

	if (c->cfg.mode != PROXY_MODE_HTTP)
		return proxy_worker_watch(c->w, fd, &c->real_h, PROXY_CONN_EVENTS);
	up = proxy_upstream_new(c->w, c->svc, c->real, fd);
	if (!up)
		return -ENOMEM;
	err = proxy_worker_watch(c->w, fd, &up->h, PROXY_CONN_EVENTS);
	if (err) {
		up->fd = -1; /* the caller closes fd */
		proxy_upstream_close(c->w, up);
		return err;
	}
	up->conn = c;
	c->ups = up;
	return 0;
}

void proxy_conn_dial(struct proxy_conn *c)
{
	struct proxy_pick pick;
	int fd, rc, one = 1;

	for (;;) {
		if (proxy_pick(c->svc, (struct sockaddr *)&c->client_sa, c->tried, c->ntried,
			       c->group, &pick) < 0) {
			proxy_conn_no_real(c);
			return;
		}
		c->cfg = pick.cfg;
		c->real = pick.stats;
		c->real_connected = false;
		c->tried[c->ntried++] = pick.stats->real_id;
		c->state = PROXY_CONN_CONNECTING;
		/* A new socket to a real: registered after connect(), its first bytes bring an event. */
		c->down.src_ready = c->down.src_hup = false;
		c->connect_deadline_ms = c->w->now_ms + c->cfg.connect_timeout_ms;
		if (c->cfg.mode == PROXY_MODE_HTTP && proxy_conn_reuse(c)) {
			proxy_conn_connected(c);
			return;
		}
		fd = socket(pick.sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			/* Out of descriptors is ours, not the real's: no retry elsewhere. */
			proxy_conn_fd_warn(c->w, c->svc->name, "cannot open a socket to a real");
			proxy_conn_drop_real(c);
			proxy_conn_no_real(c);
			return;
		}
		/* We pass on what we read when we read it: Nagle would only hold a tail back. */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		rc = connect(fd, (struct sockaddr *)&pick.sa, pick.salen);
		if (rc == 0 || errno == EINPROGRESS) {
			bool now = rc == 0;

			if (proxy_conn_watch_real(c, fd) == 0) {
				c->rfd = fd;
				if (now)
					proxy_conn_connected(c);
				return;
			}
		}
		close(fd);
		/* Refused at once (a local real), or unreachable: count it and go on. */
		proxy_passive_fail(c->svc, c->real, &c->cfg, PROXY_FAIL_CONNECT, 0, c->w->now_ms);
		atomic_fetch_add(&c->real->connect_failures, 1);
		atomic_fetch_add(&c->svc->stats.connect_failures, 1);
		if (c->ntried > c->cfg.retries || c->ntried >= PROXY_MAX_RETRIES + 1) {
			proxy_conn_drop_real(c);
			proxy_conn_no_real(c);
			return;
		}
		atomic_fetch_add(&c->real->retries, 1);
		atomic_fetch_add(&c->svc->stats.retries, 1);
		proxy_conn_drop_real(c);
	}
}

int proxy_conn_send_pp(struct proxy_conn *c)
{
	while (c->pp_off < c->pp_len) {
		ssize_t n = send(c->rfd, c->pp + c->pp_off, c->pp_len - c->pp_off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		c->pp_off += (size_t)n;
	}
	return 1;
}

static void proxy_tcp_pump(struct proxy_conn *c);

static void proxy_conn_connected(struct proxy_conn *c)
{
	ssize_t n;

	atomic_fetch_sub(&c->real->connecting, 1);
	atomic_fetch_add(&c->real->active, 1);
	if (!c->up_reused)
		atomic_fetch_add(&c->real->total, 1); /* TCP connections made */
	c->real_connected = true;
	c->state = PROXY_CONN_FORWARDING;
	c->last_active_ms = c->w->now_ms;
	c->pp_len = c->pp_off = 0;
	if (c->cfg.mode != PROXY_MODE_HTTP) {
		c->ntried = 0;
		/* A connect is all mode tcp knows of a real's health. */
		proxy_passive_ok(c->svc, c->real);
	}
	/* (Connections with a PROXY header are never pooled: it names one client.) */
	if (c->cfg.proxy_protocol != PROXY_PP_NONE && !c->up_reused) {
		socklen_t len = sizeof(c->local_sa);

		/* Only the PROXY header needs the address the client reached; once per client. */
		if (!c->local_sa.ss_family &&
		    getsockname(c->cfd, (struct sockaddr *)&c->local_sa, &len) < 0)
			c->local_sa = c->svc->vip_sa;
		n = proxy_pp_encode(c->cfg.proxy_protocol, (struct sockaddr *)&c->client_sa,
				    (struct sockaddr *)&c->local_sa, c->pp, sizeof(c->pp));
		if (n > 0)
			c->pp_len = (size_t)n;
	}
	if (c->cfg.mode == PROXY_MODE_HTTP)
		proxy_http_connected(c);
	else
		proxy_tcp_pump(c);
}

/*
 * A connecting socket's event. Its mask says how the connect ended: an
 * error (refused, reset, unreachable) or writable (connected). In mode tcp
 * after a retry an event may be stale (queued for the earlier socket of
 * this connection, which had the same handle), so then the socket itself
 * is asked (SO_ERROR, and getpeername() for "connected"); a first dial has
 * no earlier socket, and mode http's sockets each have their own handle.
 */
static void proxy_conn_connect_event(struct proxy_conn *c, uint32_t events)
{
	struct sockaddr_storage peer;
	socklen_t len = sizeof(peer);
	int soerr = 0;
	socklen_t elen = sizeof(soerr);

	if (c->ntried <= 1 || c->cfg.mode == PROXY_MODE_HTTP) {
		if (events & (EPOLLERR | EPOLLHUP))
			proxy_conn_dial_failed(c, PROXY_FAIL_CONNECT);
		else if (events & EPOLLOUT)
			proxy_conn_connected(c);
		return;
	}
	if (getsockopt(c->rfd, SOL_SOCKET, SO_ERROR, &soerr, &elen) < 0)
		soerr = errno;
	if (soerr) {
		proxy_conn_dial_failed(c, PROXY_FAIL_CONNECT);
		return;
	}
	if (getpeername(c->rfd, (struct sockaddr *)&peer, &len) < 0)
		return; /* still in progress */
	proxy_conn_connected(c);
}

static void proxy_pipe_count(struct proxy_conn *c, struct proxy_pipe *p, bool to_real, size_t n)
{
	p->moved += n;
	if (to_real) {
		atomic_fetch_add(&c->svc->stats.bytes_in, (uint64_t)n);
		atomic_fetch_add(&c->real->bytes_to_real, (uint64_t)n);
	} else {
		atomic_fetch_add(&c->svc->stats.bytes_out, (uint64_t)n);
		atomic_fetch_add(&c->real->bytes_to_client, (uint64_t)n);
	}
}

/* One direction through the copy buffer until one side would block. */
static int proxy_pipe_copy(struct proxy_conn *c, struct proxy_pipe *p, int src, int dst,
			   bool to_real, bool *moved_any)
{
	if (!p->buf && !(p->buf = malloc(PROXY_COPY_BUF)))
		return -ENOMEM;
	for (;;) {
		bool moved = false;
		ssize_t n;

		if (p->len == 0 && !p->src_eof && p->src_ready) {
			n = recv(src, p->buf, PROXY_COPY_BUF, 0);
			if (n > 0) {
				p->len = (size_t)n;
				p->off = 0;
				moved = true;
				/* Short: the queue is empty now (unless the peer closed: read the 0). */
				if (n < PROXY_COPY_BUF && !p->src_hup)
					p->src_ready = false;
				p->bulk = n == PROXY_COPY_BUF && p->moved >= PROXY_SPLICE_AFTER;
			} else if (n == 0) {
				p->src_eof = true;
			} else if (errno == EAGAIN) {
				p->src_ready = false;
			} else if (errno != EINTR) {
				return -errno;
			}
		}
		if (p->len > 0) {
			n = send(dst, p->buf + p->off, p->len, MSG_NOSIGNAL);
			if (n > 0) {
				p->len -= (size_t)n;
				p->off += (size_t)n;
				moved = true;
				proxy_pipe_count(c, p, to_real, (size_t)n);
			} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
				return -errno;
			} else {
				break; /* dst is full: its EPOLLOUT brings us back */
			}
		}
		if (!moved)
			break;
		*moved_any = true;
		if (p->len == 0 && p->bulk)
			break; /* the caller switches to splice */
	}
	return 0;
}

/*
 * One direction: src -> pipe -> dst until one side would block. @other is
 * the opposite direction: once it is done too, the connection closes at
 * once, and close() sends the FIN that shutdown() would.
 */
static int proxy_pipe_pump(struct proxy_conn *c, struct proxy_pipe *p, int src, int dst,
			   bool to_real, bool *moved_any, const struct proxy_pipe *other)
{
	if (p->fds[0] < 0 && (!p->bulk || p->len)) {
		int err = proxy_pipe_copy(c, p, src, dst, to_real, moved_any);

		if (err)
			return err;
		if (!p->bulk || p->len || p->src_eof)
			goto out;
	}
	if (p->fds[0] < 0 && pipe2(p->fds, O_NONBLOCK | O_CLOEXEC) < 0) {
		p->fds[0] = p->fds[1] = -1;
		return -errno;
	}
	for (;;) {
		bool moved = false;
		ssize_t n;

		if (p->len == 0 && !p->src_eof) {
			n = splice(src, NULL, p->fds[1], NULL, PROXY_SPLICE_CHUNK,
				   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0) {
				/* Never judged short: a pipe's slots can end a splice early. */
				p->len = (size_t)n;
				moved = true;
			} else if (n == 0) {
				p->src_eof = true;
			} else if (errno == EAGAIN) {
				p->src_ready = false;
			} else if (errno != EINTR) {
				return -errno;
			}
		}
		if (p->len > 0) {
			n = splice(p->fds[0], NULL, dst, NULL, p->len,
				   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0) {
				p->len -= (size_t)n;
				moved = true;
				proxy_pipe_count(c, p, to_real, (size_t)n);
			} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
				return -errno;
			} else {
				break; /* dst is full: its EPOLLOUT brings us back */
			}
		}
		if (!moved)
			break;
		*moved_any = true;
	}
out:
	if (p->len == 0 && p->src_eof && !p->dst_shut) {
		if (!other->dst_shut)
			shutdown(dst, SHUT_WR); /* pass the half-close on */
		p->dst_shut = true;
	}
	return 0;
}

static void proxy_tcp_pump(struct proxy_conn *c)
{
	bool moved = false;
	int err = 0;

	if (c->state != PROXY_CONN_FORWARDING)
		return;
	if (c->pp_off < c->pp_len) {
		err = proxy_conn_send_pp(c);
		if (err <= 0)
			goto out; /* 0: the rest when the real's socket has room */
		err = 0;
	}
	err = proxy_pipe_pump(c, &c->up, c->cfd, c->rfd, true, &moved, &c->down);
	if (!err)
		err = proxy_pipe_pump(c, &c->down, c->rfd, c->cfd, false, &moved, &c->up);
out:
	if (moved)
		c->last_active_ms = c->w->now_ms;
	if (err < 0 || (c->up.dst_shut && c->down.dst_shut))
		proxy_conn_close(c);
}

void proxy_conn_event(struct proxy_worker *w, struct proxy_handle *h, uint32_t events)
{
	struct proxy_conn *c = h->owner;
	bool from_real = h->kind == PROXY_H_REAL;

	if (h->kind == PROXY_H_UPSTREAM) {
		struct proxy_upstream *up = h->owner;

		if (up->dead)
			return;
		if (!up->conn) {
			proxy_pool_idle_event(w, up);
			return;
		}
		c = up->conn;
		from_real = true;
	}
	if (c->dead)
		return;
	/* mode tcp: what this event says the socket has to read (also while connecting). */
	if (c->cfg.mode != PROXY_MODE_HTTP && (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
		struct proxy_pipe *p = from_real ? &c->down : &c->up;

		p->src_ready = true;
		p->src_hup |= (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0;
	}
	if (from_real && c->state == PROXY_CONN_CONNECTING) {
		if (c->rfd >= 0)
			proxy_conn_connect_event(c, events);
		return;
	}
	if (c->cfg.mode == PROXY_MODE_HTTP)
		proxy_http_event(c, from_real, events);
	else
		proxy_tcp_pump(c);
}

/* Refused for max_connections: reset at once, so the client knows at once. */
static void proxy_conn_refuse(struct proxy_service *svc, int fd, uint64_t now_ms)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	uint64_t last = atomic_load(&svc->refusal_logged_ms);

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
	atomic_fetch_add(&svc->stats.refused, 1);
	if ((last == 0 || now_ms - last >= PROXY_REFUSAL_LOG_MS) &&
	    atomic_compare_exchange_strong(&svc->refusal_logged_ms, &last, now_ms))
		log_warn("service %s: max_connections %u reached; refusing new connections "
			 "(%llu refused so far)",
			 svc->name, (unsigned)atomic_load(&svc->max_connections),
			 (unsigned long long)atomic_load(&svc->stats.refused));
}

static void proxy_conn_new(struct proxy_worker *w, struct proxy_listener *l, int fd,
			   const struct sockaddr_storage *client)
{
	struct proxy_service *svc = l->svc;
	struct proxy_conn *c;
	uint64_t active = atomic_fetch_add(&svc->stats.active, 1);

	if (active >= atomic_load(&svc->max_connections)) {
		atomic_fetch_sub(&svc->stats.active, 1);
		proxy_conn_refuse(svc, fd, w->now_ms);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		atomic_fetch_sub(&svc->stats.active, 1);
		close(fd);
		return;
	}
	atomic_fetch_add(&svc->stats.total, 1);
	c->client_h = (struct proxy_handle){.kind = PROXY_H_CLIENT, .owner = c};
	c->real_h = (struct proxy_handle){.kind = PROXY_H_REAL, .owner = c};
	c->w = w;
	c->svc = svc;
	proxy_service_get(svc);
	c->cfd = fd;
	c->rfd = -1;
	c->client_sa = *client;
	proxy_pipe_init(&c->up);
	proxy_pipe_init(&c->down);
	c->last_active_ms = w->now_ms;
	proxy_service_config(svc, &c->cfg);
	proxy_conn_link(&w->conns, c);
	w->nconns++;
	if (proxy_worker_watch(w, fd, &c->client_h, PROXY_CONN_EVENTS) < 0) {
		proxy_conn_close(c);
		return;
	}
	if (c->cfg.mode == PROXY_MODE_HTTP) {
		if (proxy_http_start(c) < 0)
			proxy_conn_close(c);
		return;
	}
	proxy_conn_dial(c);
}

/* Logs "out of descriptors" at most once a second per worker. */
static void proxy_conn_fd_warn(struct proxy_worker *w, const char *svc_name, const char *what)
{
	if (w->fd_warned_ms && w->now_ms - w->fd_warned_ms < PROXY_REFUSAL_LOG_MS)
		return;
	w->fd_warned_ms = w->now_ms;
	log_warn("service %s: %s: %s (raise the open files limit or lower max_connections)",
		 svc_name, what, strerror(errno));
}

/*
 * Out of descriptors: accept the next pending connection on the spare one
 * and reset it, so the client is told and the listener stops being readable.
 */
static bool proxy_conn_shed(struct proxy_worker *w, struct proxy_listener *l)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	int fd;

	proxy_conn_fd_warn(w, l->svc->name, "cannot accept");
	if (w->spare_fd < 0)
		return false;
	close(w->spare_fd);
	fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(fd);
		atomic_fetch_add(&l->svc->stats.refused, 1);
	}
	w->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return fd >= 0;
}

void proxy_conn_accept(struct proxy_worker *w, struct proxy_listener *l)
{
	for (;;) {
		struct sockaddr_storage client;
		socklen_t len = sizeof(client);
		int fd =
		    accept4(l->fd, (struct sockaddr *)&client, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if ((errno == EMFILE || errno == ENFILE) && proxy_conn_shed(w, l))
				continue;
			return;
		}
		proxy_conn_new(w, l, fd, &client);
	}
}

void proxy_conn_sweep(struct proxy_worker *w)
{
	uint64_t now = proxy_now_ms();
	bool draining = atomic_load_explicit(&w->draining, memory_order_relaxed);
	struct proxy_conn *next;

	w->now_ms = now;
	for (struct proxy_conn *c = w->conns; c; c = next) {
		next = c->next;
		/* A new xlbd took over: keep-alive clients reconnect to it. */
		if (draining && c->cfg.mode == PROXY_MODE_HTTP && proxy_http_idle(c) &&
		    now - c->last_active_ms >= PROXY_DRAIN_IDLE_MS)
			proxy_conn_close(c);
		else if (c->state == PROXY_CONN_CONNECTING && now >= c->connect_deadline_ms)
			proxy_conn_dial_failed(c, PROXY_FAIL_CONNECT_TIMEOUT);
		else if (c->state != PROXY_CONN_CONNECTING &&
			 now - c->last_active_ms >= c->cfg.idle_timeout_ms &&
			 (c->cfg.mode != PROXY_MODE_HTTP || !proxy_http_timeout(c)))
			proxy_conn_close(c);
	}
	proxy_pool_sweep(w);
}
