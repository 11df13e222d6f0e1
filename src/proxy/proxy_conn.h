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
 * than PROXY_SPLICE_AFTER bytes switches to socket -> pipe -> socket splice(),
 * so bulk payload never leaves the kernel.
 */
struct proxy_pipe {
	int fds[2]; /* -1 until splicing */
	char *buf; /* copy buffer, NULL until first used */
	size_t len; /* bytes in the pipe (splicing) or in buf */
	size_t off; /* copying: where the unsent bytes of buf start */
	uint64_t moved; /* bytes passed on so far */
	bool src_eof;
	bool dst_shut;
};

enum proxy_conn_state {
	PROXY_CONN_IDLE, /* http: no real, waiting for (or reading) a request */
	PROXY_CONN_CONNECTING,
	PROXY_CONN_FORWARDING,
};

struct proxy_http;

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
void proxy_conn_close(struct proxy_conn *c);
/* Sends what is left of the PROXY header; true once all of it went. -errno on failure. */
int proxy_conn_send_pp(struct proxy_conn *c);

/* mode http (proxy_http.c) */
int proxy_http_start(struct proxy_conn *c);
void proxy_http_event(struct proxy_conn *c, bool from_real, uint32_t events);
void proxy_http_connected(struct proxy_conn *c);
void proxy_http_no_real(struct proxy_conn *c);
void proxy_http_free(struct proxy_conn *c);

#endif /* XLB_PROXY_CONN_H */
