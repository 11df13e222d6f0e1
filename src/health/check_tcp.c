// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * tcp check: the real is up when a TCP connect to it completes. With send
 * and/or expect it becomes a banner check (keepalived's and HAProxy's
 * tcp-check send/expect): after the connect, the send string is written and
 * the reply is read until the expect string shows up (SMTP "220", Redis
 * "+PONG", ...). The connection is closed with RST so no TIME_WAIT piles up.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "health/health_net.h"
#include "health/http_parse.h"

/* A banner or a short reply; more than this without the string is a mismatch. */
#define CHECK_TCP_READ_MAX 16384

enum { TCP_CONNECTING, TCP_SENDING, TCP_READING };

struct check_tcp_run {
	int state;
	size_t sent;
	size_t seen;
	char head[48]; /* the first bytes received, to quote on a mismatch */
	size_t head_len;
	struct health_match match;
};

static void check_tcp_fail_errno(struct health_check *c, int err)
{
	enum health_reason r = health_reason_from_errno(err);

	health_notify_done(c, HEALTH_FAIL, r, r == HEALTH_R_SOCKET_ERROR ? strerror(err) : NULL);
}

static void check_tcp_mismatch(struct health_check *c, struct check_tcp_run *run,
			       enum health_reason reason)
{
	char got[40], detail[64];

	health_printable(run->head, run->head_len, got, sizeof(got));
	snprintf(detail, sizeof(detail), "got '%s'", got);
	health_notify_done(c, HEALTH_FAIL, reason, run->head_len ? detail : "nothing received");
}

static void check_tcp_read(struct health_check *c, struct check_tcp_run *run)
{
	char buf[4096];

	for (;;) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			check_tcp_fail_errno(c, errno);
			return;
		}
		if (n == 0) {
			check_tcp_mismatch(c, run, HEALTH_R_CLOSED);
			return;
		}
		if (run->head_len < sizeof(run->head)) {
			size_t k = sizeof(run->head) - run->head_len;

			k = k < (size_t)n ? k : (size_t)n;
			memcpy(run->head + run->head_len, buf, k);
			run->head_len += k;
		}
		run->seen += (size_t)n;
		if (health_match_feed(&run->match, buf, (size_t)n)) {
			health_notify_done(c, HEALTH_OK, HEALTH_R_NONE, NULL);
			return;
		}
		if (run->seen >= CHECK_TCP_READ_MAX) {
			check_tcp_mismatch(c, run, HEALTH_R_EXPECT_MISMATCH);
			return;
		}
	}
}

/* Writes what is left of the send string; then reads, or is done. */
static void check_tcp_send(struct health_check *c, struct check_tcp_run *run)
{
	const struct health_config *cfg = health_check_cfg(c);
	size_t len = strlen(cfg->send);

	while (run->sent < len) {
		ssize_t n = send(c->fd, cfg->send + run->sent, len - run->sent, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			run->state = TCP_SENDING; /* the next EPOLLOUT edge goes on */
			return;
		}
		if (n < 0) {
			check_tcp_fail_errno(c, errno);
			return;
		}
		run->sent += (size_t)n;
	}
	if (!cfg->expect[0]) {
		health_notify_done(c, HEALTH_OK, HEALTH_R_NONE, NULL);
		return;
	}
	/* A banner may be waiting already, and its edge has passed. */
	run->state = TCP_READING;
	check_tcp_read(c, run);
}

static void check_tcp_on_event(struct health_check *c, uint32_t events)
{
	const struct health_config *cfg = health_check_cfg(c);
	struct check_tcp_run *run = c->priv;
	int err;

	switch (run->state) {
	case TCP_CONNECTING:
		err = health_connect_result(c->fd, events);
		if (err) {
			check_tcp_fail_errno(c, err);
			return;
		}
		if (!cfg->send[0] && !cfg->expect[0]) {
			health_notify_done(c, HEALTH_OK, HEALTH_R_NONE, NULL);
			return;
		}
		check_tcp_send(c, run);
		return;
	case TCP_SENDING:
		check_tcp_send(c, run);
		return;
	default:
		check_tcp_read(c, run);
		return;
	}
}

static int check_tcp_start(struct health_check *c)
{
	const struct health_config *cfg = health_check_cfg(c);
	struct check_tcp_run *run = calloc(1, sizeof(*run));

	if (!run)
		return -ENOMEM;
	health_match_init(&run->match, cfg->expect);
	c->priv = run;
	return health_tcp_connect(c);
}

static void check_tcp_cancel(struct health_check *c)
{
	health_close_fd(c);
	free(c->priv);
	c->priv = NULL;
}

const struct health_checker_ops check_tcp_ops = {
    .name = "tcp",
    .start = check_tcp_start,
    .on_event = check_tcp_on_event,
    .cancel = check_tcp_cancel,
};
