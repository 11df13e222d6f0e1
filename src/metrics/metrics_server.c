// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* libmicrohttpd in its own thread, serving snapshots the main thread publishes. */
#include "metrics/metrics_server.h"

#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "metrics/dashboard.h"
#include "metrics/metrics_prom.h"
#include "metrics/metrics_status.h"

/* Bounds on what a client can make the thread hold or wait for. */
#define MS_CONN_LIMIT 32
#define MS_PER_IP_LIMIT 8
#define MS_CONN_TIMEOUT_S 5
#define MS_CONN_MEMORY (16 * 1024) /* request line and headers must fit */

enum ms_doc { MS_DOC_PROM, MS_DOC_JSON, MS_DOC_HTML, MS_DOC__COUNT };

struct metrics_server {
	struct MHD_Daemon *mhd;
	int efd;
	char token[METRICS_TOKEN_MAX + 1];
	pthread_mutex_t mu;
	pthread_cond_t cv; /* signalled on every publish */
	/* Under mu: */
	char *doc[MS_DOC__COUNT];
	size_t len[MS_DOC__COUNT];
	uint64_t gen; /* publishes so far */
	uint64_t built_ms;
	bool asked; /* eventfd written, no publish since */
	bool closing;
};

static uint64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void ms_logger(void *cls, const char *fmt, va_list ap)
{
	char msg[256];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_debug("metrics http: %s", msg);
}

/* A private copy of the wanted document, fresh if the main loop answers in time. */
static char *ms_take(struct metrics_server *s, enum ms_doc which, size_t *len)
{
	char *copy = NULL;

	pthread_mutex_lock(&s->mu);
	if (!s->closing && (!s->gen || ms_now() - s->built_ms > METRICS_FRESH_MS)) {
		uint64_t want = s->gen + 1, one = 1;
		struct timespec deadline;

		if (!s->asked && write(s->efd, &one, sizeof(one)) == sizeof(one))
			s->asked = true;
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += METRICS_WAIT_MS / 1000;
		deadline.tv_nsec += (long)(METRICS_WAIT_MS % 1000) * 1000000;
		if (deadline.tv_nsec >= 1000000000) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000;
		}
		while (!s->closing && s->gen < want &&
		       pthread_cond_timedwait(&s->cv, &s->mu, &deadline) != ETIMEDOUT)
			;
	}
	if (s->doc[which]) {
		copy = malloc(s->len[which] + 1);
		if (copy) {
			memcpy(copy, s->doc[which], s->len[which] + 1);
			*len = s->len[which];
		}
	}
	pthread_mutex_unlock(&s->mu);
	return copy;
}

static enum MHD_Result ms_send(struct MHD_Connection *c, unsigned status, const char *type,
			       char *body, size_t len)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret;

	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	/* The dashboard is read-only and needs no framing or outside scripts. */
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Content-Security-Policy",
				"default-src 'none'; script-src 'self' 'unsafe-inline'; "
				"style-src 'unsafe-inline'; connect-src 'self'; img-src 'self'");
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"xlb\"");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result ms_text(struct MHD_Connection *c, unsigned status, const char *msg)
{
	char *body = strdup(msg);

	return body ? ms_send(c, status, "text/plain; charset=utf-8", body, strlen(body)) : MHD_NO;
}

/* Compares without leaking where the first difference is. */
static bool ms_token_equal(const char *given, const char *want)
{
	size_t n = strlen(want), g = given ? strlen(given) : 0;
	unsigned char diff = (unsigned char)(g != n);

	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)((i < g ? given[i] : 0) ^ want[i]);
	return given && !diff;
}

/* "Authorization: Bearer TOKEN" (Prometheus) or "?token=TOKEN" (a browser). */
static bool ms_authorized(struct metrics_server *s, struct MHD_Connection *c)
{
	const char *auth, *q;

	if (!s->token[0])
		return true;
	auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	if (auth && strncmp(auth, "Bearer ", 7) == 0 && ms_token_equal(auth + 7, s->token))
		return true;
	q = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token");
	return ms_token_equal(q, s->token);
}

static enum MHD_Result ms_handle(void *cls, struct MHD_Connection *c, const char *url,
				 const char *method, const char *version, const char *upload,
				 size_t *upload_size, void **req_cls)
{
	static const struct {
		const char *url;
		enum ms_doc doc;
		const char *type;
	} routes[] = {
		{ "/metrics", MS_DOC_PROM, "text/plain; version=0.0.4; charset=utf-8" },
		{ "/api/status", MS_DOC_JSON, "application/json" },
		{ "/", MS_DOC_HTML, "text/html; charset=utf-8" },
	};
	struct metrics_server *s = cls;

	/* A request with a body is never ours: answer before reading it. */
	if (*upload_size)
		return MHD_NO;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return ms_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "read-only: GET or HEAD\n");
	if (!ms_authorized(s, c))
		return ms_text(c, MHD_HTTP_UNAUTHORIZED,
			       "token required: Authorization: Bearer TOKEN or ?token=TOKEN\n");
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		size_t len = 0;
		char *body;

		if (strcmp(url, routes[i].url) != 0)
			continue;
		body = ms_take(s, routes[i].doc, &len);
		if (!body)
			return ms_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "no snapshot yet\n");
		return ms_send(c, MHD_HTTP_OK, routes[i].type, body, len);
	}
	return ms_text(c, MHD_HTTP_NOT_FOUND, "not found: try /, /metrics or /api/status\n");
}

void metrics_server_publish(struct metrics_server *s, json_object *status)
{
	char *doc[MS_DOC__COUNT] = {};
	size_t len[MS_DOC__COUNT] = {};
	const char *json = json_object_to_json_string_ext(status, JSON_C_TO_STRING_PLAIN);

	/* Rendered outside the lock: the HTTP thread only waits for the swap. */
	doc[MS_DOC_PROM] = metrics_prom_render(status, &len[MS_DOC_PROM]);
	doc[MS_DOC_JSON] = strdup(json);
	len[MS_DOC_JSON] = doc[MS_DOC_JSON] ? strlen(json) : 0;
	doc[MS_DOC_HTML] = dashboard_page(status, &len[MS_DOC_HTML]);
	pthread_mutex_lock(&s->mu);
	for (int i = 0; i < MS_DOC__COUNT; i++) {
		char *old = s->doc[i];

		s->doc[i] = doc[i];
		s->len[i] = len[i];
		doc[i] = old;
	}
	s->gen++;
	s->built_ms = ms_now();
	s->asked = false;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	for (int i = 0; i < MS_DOC__COUNT; i++)
		free(doc[i]);
}

void metrics_server_refresh(struct metrics_server *s, struct model *m)
{
	uint64_t n;
	json_object *status;

	/* Drain first: a request arriving during the build asks again. */
	if (read(s->efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_debug("metrics: eventfd: %s", strerror(errno));
	status = metrics_status_build(m);
	metrics_server_publish(s, status);
	json_object_put(status);
}

int metrics_server_fd(const struct metrics_server *s)
{
	return s->efd;
}

uint16_t metrics_server_port(const struct metrics_server *s)
{
	const union MHD_DaemonInfo *i = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);

	return i ? i->port : 0;
}

int metrics_server_open(const struct metrics_config *cfg, struct metrics_server **out)
{
	struct metrics_server *s = calloc(1, sizeof(*s));
	struct sockaddr_storage ss;
	pthread_condattr_t ca;
	sigset_t all, old;
	char ep[NET_ADDR_STRLEN];
	int err;

	if (!s)
		return -ENOMEM;
	s->efd = -1;
	metrics_status_started();
	snprintf(s->token, sizeof(s->token), "%s", cfg->token);
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);
	s->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->efd < 0) {
		err = -errno;
		goto fail;
	}
	net_addr_sockaddr(&cfg->addr, cfg->port, &ss);
	/* The thread inherits our mask: signals stay with the main loop's signalfd. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	s->mhd = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
			(cfg->addr.family == AF_INET6 ? MHD_USE_IPv6 : 0),
		cfg->port, NULL, NULL, ms_handle, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)MS_CONN_LIMIT,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)MS_PER_IP_LIMIT,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)MS_CONN_TIMEOUT_S,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)MS_CONN_MEMORY,
		MHD_OPTION_EXTERNAL_LOGGER, ms_logger, NULL, MHD_OPTION_END);
	err = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!s->mhd) {
		err = -(err ? err : EADDRINUSE);
		goto fail;
	}
	log_info("metrics: http://%s%s%s:%u/ (/metrics for Prometheus)%s",
		 cfg->addr.family == AF_INET6 ? "[" : "", net_addr_str(&cfg->addr, ep, sizeof(ep)),
		 cfg->addr.family == AF_INET6 ? "]" : "", metrics_server_port(s),
		 s->token[0] ? ", token required" : "");
	*out = s;
	return 0;
fail:
	log_error("metrics: cannot listen on %s port %u: %s", net_addr_str(&cfg->addr, ep, sizeof(ep)),
		  cfg->port, strerror(-err));
	if (s->efd >= 0)
		close(s->efd);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
	return err;
}

void metrics_server_close(struct metrics_server *s)
{
	if (!s)
		return;
	/* A handler waiting for a snapshot gives up now, so the thread can stop. */
	pthread_mutex_lock(&s->mu);
	s->closing = true;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	MHD_stop_daemon(s->mhd);
	for (int i = 0; i < MS_DOC__COUNT; i++)
		free(s->doc[i]);
	close(s->efd);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
}
