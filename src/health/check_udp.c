// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * udp check: the send string goes out in one datagram on a connected UDP
 * socket. With expect, the real is up when a reply containing it arrives
 * within the timeout. Without expect, any reply is good and so is silence:
 * the one failure is an ICMP port unreachable, which the kernel reports on
 * the connected socket as ECONNREFUSED (keepalived's UDP_CHECK without
 * require_reply). Silence is therefore only known at the timeout.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "health/health_net.h"
#include "health/http_parse.h"

static void check_udp_fail_errno(struct health_check *c, int err)
{
	enum health_reason r =
	    err == ECONNREFUSED ? HEALTH_R_PORT_UNREACHABLE : health_reason_from_errno(err);

	health_notify_done(c, HEALTH_FAIL, r, r == HEALTH_R_SOCKET_ERROR ? strerror(err) : NULL);
}

static void check_udp_on_event(struct health_check *c, uint32_t events)
{
	const struct health_config *cfg = health_check_cfg(c);
	char buf[2048];

	for (;;) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
		struct health_match m;
		char got[40], detail[64];

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			check_udp_fail_errno(c, errno);
			return;
		}
		if (!cfg->expect[0]) {
			health_notify_done(c, HEALTH_OK, HEALTH_R_NONE, NULL);
			return;
		}
		health_match_init(&m, cfg->expect);
		if (health_match_feed(&m, buf, (size_t)n)) {
			health_notify_done(c, HEALTH_OK, HEALTH_R_NONE, NULL);
			return;
		}
		/* A datagram is the whole reply: one that lacks the string is a no. */
		health_printable(buf, (size_t)n, got, sizeof(got));
		snprintf(detail, sizeof(detail), "got '%s'", got);
		health_notify_done(c, HEALTH_FAIL, HEALTH_R_EXPECT_MISMATCH, detail);
		return;
	}
}

static int check_udp_start(struct health_check *c)
{
	const struct health_config *cfg = health_check_cfg(c);
	struct sockaddr_storage ss;
	socklen_t sl = net_addr_sockaddr(&c->addr, c->port, &ss);
	int err;

	c->fd = socket(c->addr.family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	if (c->fd < 0)
		return -errno;
	if (connect(c->fd, (struct sockaddr *)&ss, sl) < 0 ||
	    send(c->fd, cfg->send, strlen(cfg->send), 0) < 0) {
		err = errno;
		if (health_errno_is_local(err))
			return -err;
		check_udp_fail_errno(c, err);
		return 0;
	}
	return health_watch(c, EPOLLIN);
}

static void check_udp_timeout(struct health_check *c)
{
	const struct health_config *cfg = health_check_cfg(c);

	if (cfg->expect[0])
		health_notify_done(c, HEALTH_FAIL, HEALTH_R_NO_REPLY, NULL);
	else
		health_notify_done(c, HEALTH_OK, HEALTH_R_NONE, NULL);
}

static void check_udp_cancel(struct health_check *c)
{
	health_close_fd(c);
}

const struct health_checker_ops check_udp_ops = {
    .name = "udp",
    .start = check_udp_start,
    .on_event = check_udp_on_event,
    .timeout = check_udp_timeout,
    .cancel = check_udp_cancel,
};
