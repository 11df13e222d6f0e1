// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * http and https checks: GET path with a Host header, then the status code
 * and, if set, expect_body in the body (http_parse.c). https runs the same
 * over OpenSSL on the same non-blocking socket: the handshake advances on
 * whichever of EPOLLIN/EPOLLOUT OpenSSL asks for, so a real that stalls in
 * the middle of a handshake holds up nothing but its own check. Certificate
 * verification (chain against the system CAs, and the name in host or the
 * address) is on with verify_tls.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "health/health_net.h"
#include "health/http_parse.h"
#include "log.h"

enum { HTTP_CONNECTING, HTTP_HANDSHAKE, HTTP_SENDING, HTTP_READING };

struct check_http_run {
	int state;
	SSL *ssl;
	size_t req_len, sent;
	char req[HEALTH_PATH_MAX + HEALTH_HOST_MAX + 160];
	struct http_parser parser;
};

/* One client context per verification mode, shared by every https check. */
struct check_https_ctx {
	SSL_CTX *verify;
	SSL_CTX *noverify;
};

static bool check_http_is_tls(const struct health_check *c)
{
	return health_check_cfg(c)->kind == HEALTH_HTTPS;
}

static void check_http_fail_errno(struct health_check *c, int err)
{
	enum health_reason r = health_reason_from_errno(err);

	health_notify_done(c, HEALTH_FAIL, r, r == HEALTH_R_SOCKET_ERROR ? strerror(err) : NULL);
}

/* The Host header: the configured name, or the address as a URL would write it. */
static void check_http_host(const struct health_check *c, char *buf, size_t size)
{
	const struct health_config *cfg = health_check_cfg(c);
	uint16_t dflt = check_http_is_tls(c) ? 443 : 80;
	char ip[NET_ADDR_STRLEN];

	if (cfg->host[0]) {
		snprintf(buf, size, "%s", cfg->host);
		return;
	}
	net_addr_str(&c->addr, ip, sizeof(ip));
	if (c->addr.family == AF_INET6)
		snprintf(buf, size, c->port == dflt ? "[%s]" : "[%s]:%u", ip, c->port);
	else
		snprintf(buf, size, c->port == dflt ? "%s" : "%s:%u", ip, c->port);
}

static void check_http_build_request(struct health_check *c, struct check_http_run *run)
{
	const struct health_config *cfg = health_check_cfg(c);
	char host[HEALTH_HOST_MAX + 16];
	int n;

	check_http_host(c, host, sizeof(host));
	n = snprintf(run->req, sizeof(run->req),
		     "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: xlb-health\r\nAccept: */*\r\n"
		     "Connection: close\r\n\r\n",
		     cfg->path[0] ? cfg->path : "/", host);
	run->req_len = n > 0 && (size_t)n < sizeof(run->req) ? (size_t)n : 0;
}

static void check_http_tls_fail(struct health_check *c, struct check_http_run *run, int ret,
				int ssl_err, enum health_reason reason)
{
	unsigned long e = ERR_peek_last_error();
	char detail[64];
	long vr;

	if (reason == HEALTH_R_TLS_HANDSHAKE &&
	    (vr = SSL_get_verify_result(run->ssl)) != X509_V_OK) {
		health_notify_done(c, HEALTH_FAIL, HEALTH_R_TLS_VERIFY,
				   X509_verify_cert_error_string(vr));
		ERR_clear_error();
		return;
	}
	if (ssl_err == SSL_ERROR_SYSCALL && !e) {
		if (errno && ret < 0)
			check_http_fail_errno(c, errno);
		else
			health_notify_done(c, HEALTH_FAIL, HEALTH_R_CLOSED,
					   run->state == HTTP_HANDSHAKE ? "during the TLS handshake"
									: NULL);
		ERR_clear_error();
		return;
	}
	if (e && ERR_reason_error_string(e))
		snprintf(detail, sizeof(detail), "%s", ERR_reason_error_string(e));
	else
		snprintf(detail, sizeof(detail), "error %d", ssl_err);
	health_notify_done(c, HEALTH_FAIL, reason, detail);
	ERR_clear_error();
}

/* Returns true while the run goes on. */
static bool check_http_io_wait(struct health_check *c, struct check_http_run *run, int ret,
			       enum health_reason reason)
{
	int ssl_err = SSL_get_error(run->ssl, ret);

	/* The socket is registered for both, edge-triggered: the next edge resumes. */
	if (ssl_err == SSL_ERROR_WANT_READ || ssl_err == SSL_ERROR_WANT_WRITE)
		return true;
	check_http_tls_fail(c, run, ret, ssl_err, reason);
	return false;
}

static void check_http_verdict(struct health_check *c, struct check_http_run *run,
			       enum http_parse_status st)
{
	if (st == HTTP_PARSE_OK)
		health_notify_done(c, HEALTH_OK, HEALTH_R_NONE, NULL);
	else if (st == HTTP_PARSE_FAIL)
		health_notify_done(c, HEALTH_FAIL, run->parser.reason, run->parser.detail);
}

static void check_http_read(struct health_check *c, struct check_http_run *run)
{
	char buf[8192];

	for (;;) {
		enum http_parse_status st;
		ssize_t n;

		if (run->ssl) {
			int ret = SSL_read(run->ssl, buf, sizeof(buf));

			if (ret <= 0) {
				int ssl_err = SSL_get_error(run->ssl, ret);

				if (ssl_err == SSL_ERROR_ZERO_RETURN ||
				    (ssl_err == SSL_ERROR_SYSCALL && !ERR_peek_error() &&
				     ret == 0)) {
					check_http_verdict(c, run, http_parse_eof(&run->parser));
					ERR_clear_error();
					return;
				}
				check_http_io_wait(c, run, ret, HEALTH_R_TLS_HANDSHAKE);
				return;
			}
			n = ret;
		} else {
			n = recv(c->fd, buf, sizeof(buf), 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				return;
			if (n < 0) {
				check_http_fail_errno(c, errno);
				return;
			}
			if (n == 0) {
				check_http_verdict(c, run, http_parse_eof(&run->parser));
				return;
			}
		}
		st = http_parse_feed(&run->parser, buf, (size_t)n);
		if (st != HTTP_PARSE_MORE) {
			check_http_verdict(c, run, st);
			return;
		}
	}
}

static void check_http_send(struct health_check *c, struct check_http_run *run)
{
	run->state = HTTP_SENDING;
	while (run->sent < run->req_len) {
		ssize_t n;

		if (run->ssl) {
			int ret = SSL_write(run->ssl, run->req + run->sent,
					    (int)(run->req_len - run->sent));

			if (ret <= 0) {
				check_http_io_wait(c, run, ret, HEALTH_R_TLS_HANDSHAKE);
				return;
			}
			n = ret;
		} else {
			n = send(c->fd, run->req + run->sent, run->req_len - run->sent,
				 MSG_NOSIGNAL);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				return;
			if (n < 0) {
				check_http_fail_errno(c, errno);
				return;
			}
		}
		run->sent += (size_t)n;
	}
	/* What arrived meanwhile (a TLS session ticket) raised no new edge: read now. */
	run->state = HTTP_READING;
	check_http_read(c, run);
}

static void check_http_handshake(struct health_check *c, struct check_http_run *run)
{
	int ret = SSL_do_handshake(run->ssl);

	if (ret == 1) {
		check_http_send(c, run);
		return;
	}
	check_http_io_wait(c, run, ret, HEALTH_R_TLS_HANDSHAKE);
}

static int check_https_setup(struct health_check *c, struct check_http_run *run)
{
	struct check_https_ctx **pctx =
	    (struct check_https_ctx **)health_kind_priv(c->h, HEALTH_HTTPS);
	const struct health_config *cfg = health_check_cfg(c);
	struct in6_addr tmp;
	char ip[NET_ADDR_STRLEN];
	SSL_CTX *ctx;

	if (!*pctx) {
		struct check_https_ctx *x = calloc(1, sizeof(*x));

		if (!x)
			return -ENOMEM;
		x->verify = SSL_CTX_new(TLS_client_method());
		x->noverify = SSL_CTX_new(TLS_client_method());
		if (!x->verify || !x->noverify) {
			SSL_CTX_free(x->verify);
			SSL_CTX_free(x->noverify);
			free(x);
			ERR_clear_error();
			return -ENOMEM;
		}
		/* Servers that close without close_notify are common, and harmless here. */
		SSL_CTX_set_options(x->verify, SSL_OP_IGNORE_UNEXPECTED_EOF);
		SSL_CTX_set_options(x->noverify, SSL_OP_IGNORE_UNEXPECTED_EOF);
		if (SSL_CTX_set_default_verify_paths(x->verify) != 1)
			log_warn("https checks: cannot load the system CA certificates");
		SSL_CTX_set_verify(x->verify, SSL_VERIFY_PEER, NULL);
		SSL_CTX_set_verify(x->noverify, SSL_VERIFY_NONE, NULL);
		*pctx = x;
	}
	ctx = cfg->verify_tls ? (*pctx)->verify : (*pctx)->noverify;
	run->ssl = SSL_new(ctx);
	if (!run->ssl || SSL_set_fd(run->ssl, c->fd) != 1) {
		ERR_clear_error();
		return -ENOMEM;
	}
	SSL_set_connect_state(run->ssl);
	/* SNI is for names only (RFC 6066); an address host gets no SNI. */
	if (cfg->host[0] && inet_pton(AF_INET6, cfg->host, &tmp) != 1 &&
	    inet_pton(AF_INET, cfg->host, &tmp) != 1)
		SSL_set_tlsext_host_name(run->ssl, cfg->host);
	if (cfg->verify_tls) {
		if (cfg->host[0])
			SSL_set1_host(run->ssl, cfg->host);
		else
			X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(run->ssl),
						      net_addr_str(&c->addr, ip, sizeof(ip)));
	}
	return 0;
}

static void check_http_on_event(struct health_check *c, uint32_t events)
{
	struct check_http_run *run = c->priv;
	int err;

	switch (run->state) {
	case HTTP_CONNECTING:
		err = health_connect_result(c->fd, events);
		if (err) {
			check_http_fail_errno(c, err);
			return;
		}
		if (!check_http_is_tls(c)) {
			check_http_send(c, run);
			return;
		}
		err = check_https_setup(c, run);
		if (err) {
			health_notify_done(c, HEALTH_FAIL, HEALTH_R_SOCKET_ERROR, strerror(-err));
			return;
		}
		run->state = HTTP_HANDSHAKE;
		check_http_handshake(c, run);
		return;
	case HTTP_HANDSHAKE:
		check_http_handshake(c, run);
		return;
	case HTTP_SENDING:
		check_http_send(c, run);
		return;
	default:
		check_http_read(c, run);
		return;
	}
}

static int check_http_start(struct health_check *c)
{
	const struct health_config *cfg = health_check_cfg(c);
	struct check_http_run *run = calloc(1, sizeof(*run));

	if (!run)
		return -ENOMEM;
	check_http_build_request(c, run);
	http_parse_init(&run->parser, cfg->expect_status, cfg->expect_body);
	c->priv = run;
	return health_tcp_connect(c);
}

static void check_http_cancel(struct health_check *c)
{
	struct check_http_run *run = c->priv;

	if (run && run->ssl)
		SSL_free(run->ssl);
	health_close_fd(c);
	free(run);
	c->priv = NULL;
}

static void check_https_ctx_free(struct health_ctx *h)
{
	struct check_https_ctx **pctx =
	    (struct check_https_ctx **)health_kind_priv(h, HEALTH_HTTPS);

	if (!*pctx)
		return;
	SSL_CTX_free((*pctx)->verify);
	SSL_CTX_free((*pctx)->noverify);
	free(*pctx);
	*pctx = NULL;
}

const struct health_checker_ops check_http_ops = {
    .name = "http",
    .start = check_http_start,
    .on_event = check_http_on_event,
    .cancel = check_http_cancel,
};

const struct health_checker_ops check_https_ops = {
    .name = "https",
    .start = check_http_start,
    .on_event = check_http_on_event,
    .cancel = check_http_cancel,
    .ctx_free = check_https_ctx_free,
};
