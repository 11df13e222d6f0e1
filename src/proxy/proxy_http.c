// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * mode http: the client's connection is kept alive across requests, and each
 * request is balanced on its own: read a request head, pick a real, send it
 * the head (hop-by-hop fields replaced, X-Forwarded-For and the like added)
 * and the body, relay the response until its framing says it ended, then
 * give the real's connection back to the worker's pool (proxy_pool.c) if it
 * is clean, and read the next request. Pipelined requests wait in the
 * client's buffer and go one at a time, in order.
 *
 * A request that is idempotent and has no body keeps its head in the
 * client's buffer until the response starts: if the real resets or closes
 * first, it goes again, to another real (passive health counts the
 * failure), or on a new connection to any real when the connection came
 * from the pool and the real had closed it meanwhile (not a failure).
 * Other requests never take a pooled connection, so they never meet one
 * the real is just closing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proxy/proxy_conn.h"
#include "proxy/proxy_http_parse.h"

/*
 * Whether a socket may have bytes to read, as mode tcp's proxy_pipe keeps
 * it: set by its events, cleared by a short read (edge-triggered: later
 * bytes bring an event), kept while its peer has closed (read on to the 0).
 * It saves the read that would only say EAGAIN.
 */
struct proxy_rx {
	bool ready;
	bool hup;
};

/* Each direction's buffer: a request head fits whole, bodies stream through. */
#define PROXY_HTTP_BUF (PROXY_HTTP_HEAD_MAX + 256)

struct proxy_buf {
	char data[PROXY_HTTP_BUF];
	size_t off, len; /* unread bytes are data[off .. off + len) */
};

enum proxy_http_phase {
	HTTP_READ_HEAD, /* waiting for a whole request head */
	HTTP_DIALING,	/* a real is being connected */
	HTTP_EXCHANGE,	/* request to the real, response to the client */
	HTTP_CLOSING,	/* flush what the client is owed, then close */
};

struct proxy_http {
	enum proxy_http_phase phase;
	struct proxy_buf from_client; /* request bytes not yet passed on */
	struct proxy_buf to_real;
	struct proxy_buf from_real; /* response bytes not yet passed on */
	struct proxy_buf to_client;
	bool client_eof, real_eof;
	bool client_keep; /* read another request after this response */
	bool real_keep;	  /* the real keeps its side open after this response */
	bool req_is_head;
	bool req_upgrade;    /* Connection: upgrade: passed on as it is */
	bool req_retryable;  /* idempotent, no body: may go to another real */
	int req_minor;	     /* HTTP/1.minor of the request */
	size_t req_pending;  /* its head, still at the start of from_client (for a retry) */
	bool failed_after_send; /* a real failed it after taking it; it went to another */
	struct proxy_http_body req_body, resp_body;
	bool resp_head_done;
	bool resp_started; /* bytes of this response reached to_client */
	uint32_t requests; /* taken on this client connection so far */
	struct proxy_rx client_rx, real_rx;
};

static size_t proxy_buf_room(const struct proxy_buf *b)
{
	return sizeof(b->data) - b->off - b->len;
}

/* Moves the unread bytes to the front, so the room is at the end. */
static void proxy_buf_compact(struct proxy_buf *b)
{
	if (b->off && b->len)
		memmove(b->data, b->data + b->off, b->len);
	b->off = 0;
}

static void proxy_buf_consume(struct proxy_buf *b, size_t n)
{
	b->off += n;
	b->len -= n;
	if (!b->len)
		b->off = 0;
}

static bool proxy_buf_put(struct proxy_buf *b, const void *p, size_t n)
{
	if (proxy_buf_room(b) < n)
		proxy_buf_compact(b);
	if (proxy_buf_room(b) < n)
		return false;
	memcpy(b->data + b->off + b->len, p, n);
	b->len += n;
	return true;
}

/* Reads from @fd into @b: bytes read, 0 at EOF, -EAGAIN, or -errno. */
static ssize_t proxy_buf_read(struct proxy_buf *b, int fd)
{
	ssize_t n;

	if (!proxy_buf_room(b))
		proxy_buf_compact(b);
	if (!proxy_buf_room(b))
		return -EAGAIN; /* full: the other side must drain it first */
	do
		n = recv(fd, b->data + b->off + b->len, proxy_buf_room(b), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	b->len += (size_t)n;
	return n;
}

/* proxy_buf_read() when @rx says @fd may have bytes; keeps @rx up to date. */
static ssize_t proxy_buf_read_rx(struct proxy_buf *b, int fd, struct proxy_rx *rx)
{
	size_t room;
	ssize_t n;

	if (!rx->ready)
		return -EAGAIN;
	if (!proxy_buf_room(b))
		proxy_buf_compact(b);
	room = proxy_buf_room(b);
	n = proxy_buf_read(b, fd);
	if (room && (n == -EAGAIN || (n > 0 && (size_t)n < room && !rx->hup)))
		rx->ready = false;
	return n;
}

/* Writes what @b holds to @fd: bytes written, -EAGAIN, or -errno. */
static ssize_t proxy_buf_write(struct proxy_buf *b, int fd)
{
	ssize_t n;

	if (!b->len)
		return 0;
	do
		n = send(fd, b->data + b->off, b->len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	proxy_buf_consume(b, (size_t)n);
	return n;
}

/* An error page when no response of a real has started; then the connection closes. */
static void proxy_http_error(struct proxy_conn *c, int status, const char *reason)
{
	struct proxy_http *h = c->http;
	char page[256];
	int n;

	proxy_conn_drop_real(c);
	c->state = PROXY_CONN_IDLE; /* no real: nothing for the connect timeout to retry */
	h->phase = HTTP_CLOSING;
	h->client_keep = false;
	if (h->resp_started)
		return; /* a response is half sent: only closing tells the client */
	n = snprintf(page, sizeof(page),
		     "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
		     "Connection: close\r\n\r\n%s\n",
		     status, reason, strlen(reason) + 1, reason);
	if (n > 0 && (size_t)n < sizeof(page))
		proxy_buf_put(&h->to_client, page, (size_t)n);
}

static const char *proxy_http_client_ip(const struct proxy_conn *c, char *buf, size_t size)
{
	const struct sockaddr_storage *ss = &c->client_sa;

	if (ss->ss_family == AF_INET)
		return inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, buf, size);
	if (ss->ss_family == AF_INET6)
		return inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, buf,
				 size);
	return strcpy(buf, "unknown");
}

static bool proxy_http_pooling(const struct proxy_conn *c)
{
	/* A PROXY header names one client: such a connection is never shared. */
	return c->cfg.pool_per_real && c->cfg.pool_max && c->cfg.proxy_protocol == PROXY_PP_NONE;
}

static bool proxy_buf_puts(struct proxy_buf *b, const char *s)
{
	return proxy_buf_put(b, s, strlen(s));
}

/*
 * The head for the real in to_real: the request line, the client's fields
 * without the hop-by-hop ones (an upgrade keeps them: the real needs
 * them), the forwarded headers, and Connection as the pool needs it.
 */
static bool proxy_http_build_request(struct proxy_conn *c, const char *head,
				     const struct proxy_http_head *req)
{
	struct proxy_http *h = c->http;
	struct proxy_buf *b = &h->to_real;
	char ip[INET6_ADDRSTRLEN], line[INET6_ADDRSTRLEN + 48];
	size_t eol = head[req->head_len - 2] == '\r' ? 2 : 1;
	ssize_t n;

	b->off = b->len = 0;
	if (!proxy_buf_put(b, head, req->line_len))
		return false;
	if (req->upgrade) {
		if (!proxy_buf_put(b, head + req->line_len, req->head_len - eol - req->line_len))
			return false;
	} else {
		n = proxy_http_copy_fields(head, req, b->data + b->len, proxy_buf_room(b));
		if (n < 0)
			return false;
		b->len += (size_t)n;
	}
	proxy_http_client_ip(c, ip, sizeof(ip));
	/* After the client's own, so a list of them reads in the order of the hops. */
	if (c->cfg.forward_headers & PROXY_FWD_XFF) {
		snprintf(line, sizeof(line), "X-Forwarded-For: %s\r\n", ip);
		if (!proxy_buf_puts(b, line))
			return false;
	}
	if ((c->cfg.forward_headers & PROXY_FWD_XFP) &&
	    !proxy_buf_puts(b, "X-Forwarded-Proto: http\r\n"))
		return false;
	if (c->cfg.forward_headers & PROXY_FWD_RFC7239) {
		snprintf(line, sizeof(line),
			 c->client_sa.ss_family == AF_INET6 ? "Forwarded: for=\"[%s]\";proto=http\r\n"
							    : "Forwarded: for=%s;proto=http\r\n",
			 ip);
		if (!proxy_buf_puts(b, line))
			return false;
	}
	if (!req->upgrade) {
		/* HTTP/1.1 keeps the connection by default; 1.0 must ask. */
		if (!proxy_http_pooling(c)) {
			if (!proxy_buf_puts(b, "Connection: close\r\n"))
				return false;
		} else if (req->minor == 0 && !proxy_buf_puts(b, "Connection: keep-alive\r\n")) {
			return false;
		}
	}
	return proxy_buf_puts(b, "\r\n");
}

/*
 * A whole request head is in from_client: build the real's version of it
 * in to_real. False while the head is incomplete (or after an error reply
 * was queued).
 */
static bool proxy_http_take_request(struct proxy_conn *c)
{
	struct proxy_http *h = c->http;
	struct proxy_http_head req;
	const char *head = h->from_client.data + h->from_client.off;
	size_t max = c->cfg.max_header_size ? c->cfg.max_header_size : PROXY_HTTP_HEAD_MAX;
	int ret, group;

	ret = proxy_http_parse_request(head, h->from_client.len, &req);
	if (ret == PROXY_HTTP_MORE) {
		if (h->from_client.len >= max || h->from_client.len >= PROXY_HTTP_HEAD_MAX)
			proxy_http_error(c, 431, "Request Header Fields Too Large");
		else if (h->client_eof)
			h->phase = HTTP_CLOSING; /* the client is done: nothing owed */
		return false;
	}
	if (ret == PROXY_HTTP_BAD) {
		proxy_http_error(c, 400, "Bad Request");
		return false;
	}
	if (req.head_len > max) {
		proxy_http_error(c, 431, "Request Header Fields Too Large");
		return false;
	}
	group = proxy_route_select(c->svc, req.has_host ? head + req.host_off : NULL, req.host_len,
				   head + req.target_off, req.target_len);
	if (group < 0) {
		atomic_fetch_add(&c->svc->stats.no_route, 1);
		proxy_http_error(c, 404, "Not Found");
		return false;
	}
	if (!proxy_http_build_request(c, head, &req)) {
		proxy_http_error(c, 431, "Request Header Fields Too Large");
		return false;
	}
	proxy_http_body_init(&h->req_body, proxy_http_request_body(&req), req.content_length);
	h->req_retryable = req.idempotent && h->req_body.kind == PROXY_BODY_NONE && !req.upgrade;
	/* A retry rebuilds the head from the client's bytes: they stay until the response. */
	h->req_pending = h->req_retryable ? req.head_len : 0;
	if (!h->req_retryable)
		proxy_buf_consume(&h->from_client, req.head_len);
	c->fresh_only = !h->req_retryable;
	h->failed_after_send = false;
	c->group = (size_t)group;
	if (group <= PROXY_ROUTES_MAX)
		atomic_fetch_add(&c->svc->stats.route_requests[group], 1);
	/* Draining for a new xlbd: this response is the connection's last. */
	h->client_keep = req.keep_alive && !atomic_load_explicit(&c->w->draining,
								memory_order_relaxed);
	h->requests++;
	h->req_is_head = req.is_head;
	h->req_minor = req.minor;
	h->req_upgrade = req.upgrade;
	h->resp_head_done = h->resp_started = h->real_eof = h->real_keep = false;
	h->from_real.off = h->from_real.len = 0;
	atomic_fetch_add(&c->svc->stats.requests, 1);
	return true;
}

/* The response has started: the request cannot go again, its head may go. */
static void proxy_http_request_sent(struct proxy_http *h)
{
	if (h->req_pending)
		proxy_buf_consume(&h->from_client, h->req_pending);
	h->req_pending = 0;
}

/* Request body bytes from the client's buffer into the real's, as far as they fit. */
static int proxy_http_move_request_body(struct proxy_http *h)
{
	while (!h->req_body.done && h->from_client.len) {
		size_t room, want;
		ssize_t n;

		proxy_buf_compact(&h->to_real);
		room = proxy_buf_room(&h->to_real);
		if (!room)
			return 0;
		want = h->from_client.len < room ? h->from_client.len : room;
		n = proxy_http_body_feed(&h->req_body, h->from_client.data + h->from_client.off,
					 want);
		if (n < 0)
			return -EPROTO; /* the client's chunked framing is broken */
		proxy_buf_put(&h->to_real, h->from_client.data + h->from_client.off, (size_t)n);
		proxy_buf_consume(&h->from_client, (size_t)n);
		if ((size_t)n < want && !h->req_body.done)
			return 0;
	}
	return 0;
}

/* A final response's head, for the client: hop-by-hop fields replaced by ours. */
static int proxy_http_response_head(struct proxy_conn *c, const char *p,
				    const struct proxy_http_head *resp)
{
	struct proxy_http *h = c->http;
	struct proxy_buf *b = &h->to_client;
	ssize_t n;

	if (resp->status == 101) /* the real and the client agree on the rest */
		return proxy_buf_put(b, p, resp->head_len) ? 0 : -EAGAIN;
	proxy_buf_compact(b);
	if (proxy_buf_room(b) < resp->head_len + 32)
		return -EAGAIN;
	proxy_buf_put(b, p, resp->line_len);
	n = proxy_http_copy_fields(p, resp, b->data + b->len, proxy_buf_room(b));
	if (n < 0)
		return -EBADMSG;
	b->len += (size_t)n;
	if (!h->client_keep)
		proxy_buf_puts(b, "Connection: close\r\n");
	else if (h->req_minor == 0)
		proxy_buf_puts(b, "Connection: keep-alive\r\n");
	proxy_buf_puts(b, "\r\n");
	return 0;
}

/* Passive health's view of a final response: a 5xx (but 501, 505: the request's) fails. */
static void proxy_http_judge(struct proxy_conn *c, int status)
{
	if (c->cfg.passive_5xx && status >= 500 && status <= 599 && status != 501 &&
	    status != 505)
		proxy_passive_fail(c->svc, c->real, &c->cfg, PROXY_FAIL_STATUS, status,
				   c->w->now_ms);
	else
		proxy_passive_ok(c->svc, c->real);
}

/* Response bytes from the real's buffer to the client's: head first, then the body. */
static int proxy_http_move_response(struct proxy_conn *c)
{
	struct proxy_http *h = c->http;

	while (!h->resp_head_done) {
		struct proxy_http_head resp;
		const char *p = h->from_real.data + h->from_real.off;
		int ret = proxy_http_parse_response(p, h->from_real.len, h->req_is_head, &resp);
		enum proxy_http_body_kind kind;

		if (ret == PROXY_HTTP_MORE) {
			if (h->from_real.len >= PROXY_HTTP_HEAD_MAX || h->real_eof)
				return -EBADMSG;
			return 0;
		}
		if (ret == PROXY_HTTP_BAD)
			return -EBADMSG;
		/* 1xx (100 Continue): informational, the real response follows. */
		if (resp.status >= 100 && resp.status < 200 && resp.status != 101) {
			if (!proxy_buf_put(&h->to_client, p, resp.head_len))
				return 0; /* when the client has taken what it is owed */
			proxy_buf_consume(&h->from_real, resp.head_len);
			h->resp_started = true;
			proxy_http_request_sent(h);
			continue;
		}
		kind = proxy_http_response_body(&resp, h->req_is_head);
		/* Only the close ends it (or switches protocols): no next request on either side. */
		if (resp.status == 101 || kind == PROXY_BODY_UNTIL_CLOSE)
			h->client_keep = false;
		ret = proxy_http_response_head(c, p, &resp);
		if (ret == -EAGAIN)
			return 0; /* when the client has taken what it is owed */
		if (ret)
			return ret;
		proxy_http_judge(c, resp.status);
		h->real_keep = resp.keep_alive && resp.status != 101 && !h->req_upgrade &&
			       kind != PROXY_BODY_UNTIL_CLOSE;
		proxy_buf_consume(&h->from_real, resp.head_len);
		h->resp_started = true;
		proxy_http_request_sent(h);
		proxy_http_body_init(&h->resp_body, kind, resp.content_length);
		h->resp_head_done = true;
	}
	while (!h->resp_body.done && h->from_real.len) {
		size_t room, want;
		ssize_t n;

		proxy_buf_compact(&h->to_client);
		room = proxy_buf_room(&h->to_client);
		if (!room)
			return 0;
		want = h->from_real.len < room ? h->from_real.len : room;
		n = proxy_http_body_feed(&h->resp_body, h->from_real.data + h->from_real.off, want);
		if (n < 0)
			return -EBADMSG;
		proxy_buf_put(&h->to_client, h->from_real.data + h->from_real.off, (size_t)n);
		proxy_buf_consume(&h->from_real, (size_t)n);
		if ((size_t)n < want && !h->resp_body.done)
			return 0;
	}
	if (!h->resp_body.done && h->real_eof && !h->from_real.len) {
		if (h->resp_body.kind != PROXY_BODY_UNTIL_CLOSE)
			return -EPIPE; /* cut short: the client must not take it as whole */
		h->resp_body.done = true;
	}
	return 0;
}

/* One pass over the real's side of an exchange; -errno ends it with an error. */
static int proxy_http_exchange(struct proxy_conn *c, bool *moved)
{
	struct proxy_http *h = c->http;
	ssize_t n;
	int err;

	if (c->pp_off < c->pp_len) {
		err = proxy_conn_send_pp(c);
		if (err < 0)
			return err;
		if (!err)
			return 0;
	}
	err = proxy_http_move_request_body(h);
	if (err)
		return err;
	n = proxy_buf_write(&h->to_real, c->rfd);
	if (n > 0) {
		atomic_fetch_add(&c->svc->stats.bytes_in, (uint64_t)n);
		atomic_fetch_add(&c->real->bytes_to_real, (uint64_t)n);
		*moved = true;
	} else if (n < 0 && n != -EAGAIN) {
		return (int)n;
	}
	if (!h->real_eof) {
		n = proxy_buf_read_rx(&h->from_real, c->rfd, &h->real_rx);
		if (n > 0)
			*moved = true;
		else if (n == 0)
			h->real_eof = *moved = true;
		else if (n != -EAGAIN)
			return (int)n;
	}
	return proxy_http_move_response(c);
}

/*
 * The real failed this request (@err) before its response started: a
 * failure for passive health, and the request goes again where that is
 * safe. False if it cannot (the caller answers 502).
 */
static bool proxy_http_retry(struct proxy_conn *c, int err)
{
	struct proxy_http *h = c->http;
	/* A pooled connection the real closed meanwhile: nothing came back at all. */
	bool stale = c->up_reused && !h->resp_started && !h->from_real.len;
	struct proxy_http_head req;

	if (!stale && c->real)
		proxy_passive_fail(c->svc, c->real, &c->cfg,
				   err == -EBADMSG ? PROXY_FAIL_BAD_RESPONSE : PROXY_FAIL_RESET, 0,
				   c->w->now_ms);
	if (h->resp_started || !h->req_pending || !c->real)
		return false;
	if (stale) {
		/* Not the real's fault: it may take the request again, on a new connection. */
		c->ntried--;
		c->fresh_only = true;
	} else if (c->ntried > c->cfg.retries || c->ntried >= PROXY_MAX_RETRIES + 1) {
		return false;
	} else {
		atomic_fetch_add(&c->real->retries, 1);
		atomic_fetch_add(&c->svc->stats.retries, 1);
		h->failed_after_send = true;
	}
	proxy_conn_drop_real(c);
	c->state = PROXY_CONN_IDLE;
	if (proxy_http_parse_request(h->from_client.data + h->from_client.off, h->req_pending,
				     &req) != PROXY_HTTP_DONE ||
	    !proxy_http_build_request(c, h->from_client.data + h->from_client.off, &req))
		return false; /* cannot happen: it was parsed and built before */
	h->resp_head_done = h->resp_started = h->real_eof = h->real_keep = false;
	h->from_real.off = h->from_real.len = 0;
	h->phase = HTTP_DIALING;
	proxy_conn_dial(c); /* comes back through proxy_http_connected */
	return true;
}

/* The exchange ended: the real's connection to the pool if clean, and the next request. */
static void proxy_http_exchange_done(struct proxy_conn *c)
{
	struct proxy_http *h = c->http;
	/* Never a connection with unread bytes, an unfinished message, or one the real ends. */
	bool reuse = h->real_keep && !h->real_eof && !h->from_real.len && h->req_body.done &&
		     h->resp_body.done && !h->to_real.len && proxy_http_pooling(c);

	proxy_conn_release_real(c, reuse);
	c->state = PROXY_CONN_IDLE;
	proxy_http_request_sent(h);
	/* A request body the real did not wait for is still coming: we cannot find the next
	 * request. */
	if (!h->req_body.done)
		h->client_keep = false;
	h->phase = h->client_keep ? HTTP_READ_HEAD : HTTP_CLOSING;
}

static void proxy_http_pump(struct proxy_conn *c)
{
	struct proxy_http *h = c->http;

	/* Until nothing moves: edge-triggered events do not come again for bytes left behind. */
	while (!c->dead) {
		bool moved = false;
		ssize_t n;
		int err;

		/* The client's bytes: requests (also pipelined ones) and bodies. */
		if (!h->client_eof && h->phase != HTTP_CLOSING) {
			n = proxy_buf_read_rx(&h->from_client, c->cfd, &h->client_rx);
			if (n > 0)
				moved = true;
			else if (n == 0)
				h->client_eof = moved = true;
			else if (n != -EAGAIN) {
				proxy_conn_close(c);
				return;
			}
		}
		if (h->phase == HTTP_READ_HEAD) {
			if (proxy_http_take_request(c)) {
				h->phase = HTTP_DIALING;
				c->ntried = 0;
				proxy_conn_dial(c); /* comes back through proxy_http_connected */
				return;
			}
		} else if (h->phase == HTTP_EXCHANGE) {
			err = proxy_http_exchange(c, &moved);
			if (err == -EPROTO) {
				proxy_http_error(c, 400, "Bad Request");
			} else if (err) {
				if (proxy_http_retry(c, err))
					return;
				proxy_http_error(c, 502, "Bad Gateway");
			} else if (h->resp_head_done && h->resp_body.done &&
				   (h->req_body.done || h->real_eof)) {
				proxy_http_exchange_done(c);
				moved = true;
			}
		}
		/* What the client is owed. */
		n = proxy_buf_write(&h->to_client, c->cfd);
		if (n > 0) {
			atomic_fetch_add(&c->svc->stats.bytes_out, (uint64_t)n);
			if (c->real)
				atomic_fetch_add(&c->real->bytes_to_client, (uint64_t)n);
			moved = true;
		} else if (n < 0 && n != -EAGAIN) {
			proxy_conn_close(c);
			return;
		}
		if (h->phase == HTTP_CLOSING && !h->to_client.len) {
			proxy_conn_close(c);
			return;
		}
		if (moved)
			c->last_active_ms = c->w->now_ms;
		else
			break;
	}
}

int proxy_http_start(struct proxy_conn *c)
{
	c->http = calloc(1, sizeof(*c->http));
	if (!c->http)
		return -ENOMEM;
	c->state = PROXY_CONN_IDLE;
	c->http->phase = HTTP_READ_HEAD;
	c->http->client_rx.ready = true;
	proxy_http_pump(c);
	return 0;
}

void proxy_http_event(struct proxy_conn *c, bool from_real, uint32_t events)
{
	struct proxy_rx *rx = from_real ? &c->http->real_rx : &c->http->client_rx;

	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
		rx->ready = true;
		rx->hup |= (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0;
	}
	proxy_http_pump(c);
}

void proxy_http_connected(struct proxy_conn *c)
{
	/*
	 * A new or pooled connection to the real: nothing to read before it has
	 * our request (an idle one that had something was dropped by the pool).
	 */
	c->http->real_rx = (struct proxy_rx){0};
	atomic_fetch_add(&c->real->requests, 1);
	c->http->phase = HTTP_EXCHANGE;
	proxy_http_pump(c);
}

void proxy_http_no_real(struct proxy_conn *c)
{
	/* A real took the request and failed it, and no other is left: a bad gateway. */
	if (c->http->failed_after_send)
		proxy_http_error(c, 502, "Bad Gateway");
	else
		proxy_http_error(c, 503, "Service Unavailable");
	proxy_http_pump(c);
}

bool proxy_http_timeout(struct proxy_conn *c)
{
	struct proxy_http *h = c->http;

	if (!h || h->phase != HTTP_EXCHANGE || h->resp_started || !c->real)
		return false;
	/* The real took the request and said nothing for idle_timeout. */
	proxy_passive_fail(c->svc, c->real, &c->cfg, PROXY_FAIL_TIMEOUT, 0, c->w->now_ms);
	proxy_http_error(c, 504, "Gateway Timeout");
	proxy_http_pump(c);
	return true;
}

bool proxy_http_idle(const struct proxy_conn *c)
{
	const struct proxy_http *h = c->http;

	/* A connection that has not sent its first request yet is about to: not idle. */
	return h && h->phase == HTTP_READ_HEAD && h->requests && !h->from_client.len &&
	       !h->to_client.len;
}

void proxy_http_free(struct proxy_conn *c)
{
	free(c->http);
	c->http = NULL;
}
