// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Socket helpers the checkers share: addresses, errno to reason, connect, checksums. */
#include "health/health_net.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <unistd.h>

enum health_reason health_reason_from_errno(int err)
{
	switch (err) {
	case ECONNREFUSED:
		return HEALTH_R_REFUSED;
	case ECONNRESET:
	case ECONNABORTED:
		return HEALTH_R_RESET;
	case EHOSTUNREACH:
	case EHOSTDOWN:
		return HEALTH_R_HOST_UNREACHABLE;
	case ENETUNREACH:
	case ENETDOWN:
		return HEALTH_R_NET_UNREACHABLE;
	case ETIMEDOUT:
		return HEALTH_R_TIMEOUT;
	case EPIPE:
		return HEALTH_R_CLOSED;
	default:
		return HEALTH_R_SOCKET_ERROR;
	}
}

bool health_errno_is_local(int err)
{
	switch (err) {
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
	case ENOMEM:
	case EADDRNOTAVAIL: /* no free local port */
	case EPERM:	    /* no privilege for raw sockets, or a local firewall */
	case EACCES:
	case EAFNOSUPPORT:
	case EPROTONOSUPPORT:
		return true;
	default:
		return false;
	}
}

int health_source_addr(const struct net_addr *dst, struct net_addr *src)
{
	struct sockaddr_storage ss, local;
	socklen_t len = net_addr_sockaddr(dst, 9, &ss), llen = sizeof(local);
	int fd, err = 0;

	fd = socket(dst->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&ss, len) < 0 ||
	    getsockname(fd, (struct sockaddr *)&local, &llen) < 0)
		err = -errno;
	else if (!net_addr_from_sockaddr((struct sockaddr *)&local, src, NULL))
		err = -EAFNOSUPPORT;
	close(fd);
	return err;
}

int health_connect_result(int fd, uint32_t events)
{
	int soerr = 0;
	socklen_t len = sizeof(soerr);

	/* Writable and no error: connected, no need to ask. */
	if (!(events & (EPOLLERR | EPOLLHUP)))
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
		return errno;
	return soerr;
}

void health_set_linger0(int fd)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}

int health_tcp_connect(struct health_check *c)
{
	struct sockaddr_storage ss;
	socklen_t len = net_addr_sockaddr(&c->addr, c->port, &ss);
	int err;

	c->fd = socket(c->addr.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	if (c->fd < 0)
		return -errno;
	/* A check that the real answers should not leave TIME_WAIT behind: the
	 * LB would run out of ports with thousands of reals. */
	health_set_linger0(c->fd);
	/*
	 * Edge-triggered, both directions, once: the run never changes its
	 * registration (one epoll_ctl per check), and checkers read and write
	 * until EAGAIN, as edge triggering needs.
	 */
	if (connect(c->fd, (struct sockaddr *)&ss, len) == 0 || errno == EINPROGRESS)
		return health_watch(c, EPOLLIN | EPOLLOUT | EPOLLET);
	err = errno;
	if (health_errno_is_local(err)) {
		health_close_fd(c);
		return -err;
	}
	health_notify_done(c, HEALTH_FAIL, health_reason_from_errno(err),
			   health_reason_from_errno(err) == HEALTH_R_SOCKET_ERROR ? strerror(err)
										  : NULL);
	return 0;
}

uint32_t health_csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)(p[0] << 8);
	return sum;
}

uint16_t health_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

void health_printable(const void *data, size_t n, char *buf, size_t size)
{
	const unsigned char *p = data;
	size_t o = 0;

	if (!size)
		return;
	for (size_t i = 0; i < n && o + 1 < size; i++) {
		unsigned char ch = p[i];

		if (ch == '\r' || ch == '\n')
			break;
		buf[o++] = (ch < 0x20 || ch >= 0x7f) ? '?' : (char)ch;
	}
	buf[o] = '\0';
}

uint32_t health_random32(void)
{
	static uint64_t state;
	uint64_t x;

	if (!state && getrandom(&state, sizeof(state), GRND_NONBLOCK) != sizeof(state))
		state = (uint64_t)getpid() * 0x9e3779b97f4a7c15ull ^ (uint64_t)health_now_ms();
	state |= 1;
	/* xorshift64*: fast, and good enough for ids and initial sequence numbers. */
	x = state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	state = x;
	return (uint32_t)((x * 0x2545f4914f6cdd1dull) >> 32);
}
