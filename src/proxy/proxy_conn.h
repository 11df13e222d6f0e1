/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* One proxied client connection; shared by the tcp (proxy_conn.c) and http (proxy_http.c) modes. */
#ifndef XLB_PROXY_CONN_H
#define XLB_PROXY_CONN_H

#include "proxy/proxy_internal.h"
#include "proxy/proxy_protocol.h"

/*
 * One direction of a connection. It starts by copying through a small
 * buffer: most responses are a few KiB, and a pipe's two splice() calls plus
 * its creation cost more than copying them. A direction that carries more
 * than PROXY_SPLICE_AFTER bytes, with reads that fill the buffer (bulk, not
 * many small answers on one keep-alive connection), switches to socket ->
 * pipe -> socket splice(), so bulk payload never leaves the kernel.
 */
struct proxy_pipe {
	int fds[2]; /* -1 until splicing */
	char *buf; /* copy buffer, NULL until first used */
	size_t len; /* bytes in the pipe (splicing) or in buf */
	size_t off; /* copying: where the unsent bytes of buf start */
	uint64_t moved; /* bytes passed on so far */
	bool bulk;	/* its last read filled the copy buffer, past PROXY_SPLICE_AFTER */
	bool src_eof;
	bool dst_shut;
	/*
	 * src may have bytes to read: set by its epoll events, cleared by a
	 * read that came back short (edge-triggered: what arrives later brings
	 * an event), so a short read is not followed by one that only says
	 * EAGAIN. src_hup (its peer closed, as an event said): read on until 0.
	 */
	bool src_ready;
	bool src_hup;
};

enum proxy_conn_state {
	PROXY_CONN_IDLE, /* http: no real, waiting for (or reading) a request */
	PROXY_CONN_CONNECTING,
	PROXY_CONN_FORWARDING,
};

struct proxy_http;
struct proxy_conn;

/*
 * mode http: one TCP connection to a real. Its epoll registration points
 * at it, not at a client connection, so it can pass from one client's
 * request to another's through the worker's pool without epoll_ctl.
 */
struct proxy_upstream {
	struct proxy_handle h; /* PROXY_H_UPSTREAM */
	int fd;
	struct proxy_conn *conn;	/* using it; NULL while idle in the pool */
	struct proxy_real_stats *real;	/* a reference */
	struct proxy_service *svc;	/* a reference: its pool counts */
	struct proxy_upstream *prev, *next;   /* the worker's idle list, or its dead list */
	struct proxy_upstream *rprev, *rnext; /* the real's idle list of this worker */
	uint64_t idle_deadline_ms;
	uint32_t requests; /* sent on it so far */
	bool idle, dead;
};

struct proxy_conn {
	struct proxy_handle client_h, real_h;
	struct proxy_conn *prev, *next; /* the worker's open connections, or its dead list */
	bool dead;
	struct proxy_worker *w;
	struct proxy_service *svc; /* a reference */
	struct proxy_config cfg;   /* as at accept, or at the last pick (http) */
	int cfd, rfd;
	struct sockaddr_storage client_sa, local_sa;
	enum proxy_conn_state state;
	struct proxy_real_stats *real; /* a reference while dialling or connected */
	struct proxy_upstream *ups;    /* mode http: the real's side (rfd is up->fd) */
	bool up_reused;		       /* up came from the pool */
	bool fresh_only;	       /* mode http: this request must not take a pooled connection */
	size_t group;		       /* mode http: the request's route + 1, or 0 (the default) */
	bool real_connected;	       /* counted in real->active (else in real->connecting) */
	uint32_t tried[PROXY_MAX_RETRIES + 1]; /* real ids tried for this connect */
	size_t ntried;
	uint64_t connect_deadline_ms;
	uint64_t last_active_ms;
	unsigned char pp[PROXY_PP_HEADER_MAX]; /* PROXY header still to send to the real */
	size_t pp_len, pp_off;
	struct proxy_pipe up, down; /* tcp: client -> real, real -> client */
	struct proxy_http *http;    /* mode http */
};

/* Starts connecting to a real (a new pick; c->tried says which to skip). */
void proxy_conn_dial(struct proxy_conn *c);
/* Closes the real's side and gives its counts back. */
void proxy_conn_drop_real(struct proxy_conn *c);
/* The same, but a mode http connection to the real goes to the pool for the next request. */
void proxy_conn_release_real(struct proxy_conn *c, bool reuse);

/* mode http's pool (proxy_pool.c) */
struct proxy_upstream *proxy_upstream_new(struct proxy_worker *w, struct proxy_service *svc,
					  struct proxy_real_stats *rs, int fd);
/* Closes it (and takes it out of the pool); freed after the batch of events. */
void proxy_upstream_close(struct proxy_worker *w, struct proxy_upstream *up);
/* Keeps it for another request, within the pool's bounds; else closes it. */
void proxy_pool_put(struct proxy_worker *w, struct proxy_upstream *up,
		    const struct proxy_config *cfg);
/* A live idle connection to @rs, or NULL; dead ones found on the way are closed. */
struct proxy_upstream *proxy_pool_take(struct proxy_worker *w, struct proxy_real_stats *rs);
/* An event on an idle connection: the real closed it (or sent what it should not). */
void proxy_pool_idle_event(struct proxy_worker *w, struct proxy_upstream *up);
/* Closes the idle connections past their idle timeout. */
void proxy_pool_sweep(struct proxy_worker *w);
void proxy_pool_close_all(struct proxy_worker *w);
void proxy_pool_free_dead(struct proxy_worker *w);
void proxy_conn_close(struct proxy_conn *c);
/* Sends what is left of the PROXY header; true once all of it went. -errno on failure. */
int proxy_conn_send_pp(struct proxy_conn *c);

/* mode http (proxy_http.c) */
int proxy_http_start(struct proxy_conn *c);
void proxy_http_event(struct proxy_conn *c, bool from_real, uint32_t events);
void proxy_http_connected(struct proxy_conn *c);
void proxy_http_no_real(struct proxy_conn *c);
void proxy_http_free(struct proxy_conn *c);
/* Between two requests of a keep-alive client, nothing owed either way. */
bool proxy_http_idle(const struct proxy_conn *c);
/* idle_timeout while a request waits for its response: 504 (true), or false if not http's. */
bool proxy_http_timeout(struct proxy_conn *c);

#endif /* XLB_PROXY_CONN_H */
