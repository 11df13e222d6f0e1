// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * icmp check: an echo request; the real is up when its echo reply comes back
 * within the timeout. One raw socket per family serves every icmp check (a
 * raw socket sees every ICMP packet the host gets, so one per check would
 * cost n^2). Replies are matched by our identifier and by the slot and run
 * number echoed back in the payload, then by the source address.
 */
#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "health/health_net.h"

#define CHECK_ICMP_MAGIC 0x786c6268u /* "xlbh" */

struct check_icmp_payload {
	uint32_t magic;
	uint32_t slot;
	uint32_t seq;
	char pad[44]; /* 56 bytes of data, as ping sends */
};

struct check_icmp_ctx {
	int fd4, fd6;
	uint16_t ident;
};

static struct check_icmp_ctx *check_icmp_ctx(struct health_ctx *h)
{
	struct check_icmp_ctx **p = (struct check_icmp_ctx **)health_kind_priv(h, HEALTH_ICMP);

	if (!*p) {
		*p = calloc(1, sizeof(**p));
		if (*p) {
			(*p)->fd4 = (*p)->fd6 = -1;
			(*p)->ident = (uint16_t)health_random32();
		}
	}
	return *p;
}

static void check_icmp_reply(struct health_ctx *h, struct check_icmp_ctx *x,
			     const struct net_addr *from, const uint8_t *icmp, size_t len, bool v6)
{
	const struct check_icmp_payload *pl;
	struct check_icmp_payload copy;
	struct health_check *c;
	uint16_t id;

	if (len < 8 + sizeof(copy))
		return;
	if (v6 ? icmp[0] != ICMP6_ECHO_REPLY : icmp[0] != ICMP_ECHOREPLY)
		return;
	memcpy(&id, icmp + 4, 2);
	if (ntohs(id) != x->ident)
		return;
	memcpy(&copy, icmp + 8, sizeof(copy));
	pl = &copy;
	if (pl->magic != htonl(CHECK_ICMP_MAGIC))
		return;
	c = health_check_by_slot(h, ntohl(pl->slot), ntohl(pl->seq));
	if (!c || health_check_cfg(c)->kind != HEALTH_ICMP || !net_addr_equal(from, &c->addr))
		return;
	health_notify_done(c, HEALTH_OK, HEALTH_R_NONE, NULL);
}

static void check_icmp_readable(struct health_ctx *h, int fd, uint32_t events, void *arg)
{
	struct check_icmp_ctx *x = arg;
	uint8_t buf[1500];

	for (int i = 0; i < 256; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct net_addr from;
		ssize_t n =
		    recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&ss, &sl);

		if (n < 0)
			return;
		if (!net_addr_from_sockaddr((struct sockaddr *)&ss, &from, NULL))
			continue;
		if (fd == x->fd4) {
			/* IPv4 raw sockets deliver the IP header too. */
			size_t ihl = (size_t)(buf[0] & 0xf) * 4;

			if ((size_t)n < ihl + 8)
				continue;
			check_icmp_reply(h, x, &from, buf + ihl, (size_t)n - ihl, false);
		} else {
			check_icmp_reply(h, x, &from, buf, (size_t)n, true);
		}
	}
}

static int check_icmp_socket(struct health_ctx *h, struct check_icmp_ctx *x, int family)
{
	int *fdp = family == AF_INET6 ? &x->fd6 : &x->fd4;
	int fd, err;

	if (*fdp >= 0)
		return *fdp;
	fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    family == AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
	if (fd < 0)
		return -errno;
	/* Let the kernel drop everything but echo replies before we see it. */
	if (family == AF_INET6) {
		struct icmp6_filter f;

		ICMP6_FILTER_SETBLOCKALL(&f);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
		setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f));
	} else {
		/* linux/icmp.h's ICMP_FILTER; that header clashes with netinet's. */
		uint32_t f = ~(1u << ICMP_ECHOREPLY);

		setsockopt(fd, SOL_RAW, 1, &f, sizeof(f));
	}
	err = health_watch_shared(h, fd, check_icmp_readable, x);
	if (err) {
		close(fd);
		return err;
	}
	*fdp = fd;
	return fd;
}

static int check_icmp_start(struct health_check *c)
{
	struct check_icmp_ctx *x = check_icmp_ctx(c->h);
	struct {
		struct icmphdr hdr;
		struct check_icmp_payload pl;
	} pkt = {};
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd;

	if (!x)
		return -ENOMEM;
	fd = check_icmp_socket(c->h, x, c->addr.family);
	if (fd < 0)
		return fd;
	pkt.hdr.type = c->addr.family == AF_INET6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
	pkt.hdr.un.echo.id = htons(x->ident);
	pkt.hdr.un.echo.sequence = htons((uint16_t)c->seq);
	pkt.pl.magic = htonl(CHECK_ICMP_MAGIC);
	pkt.pl.slot = htonl(c->slot);
	pkt.pl.seq = htonl(c->seq);
	memcpy(pkt.pl.pad, "xlb health check", 16);
	/* The kernel fills in the ICMPv6 checksum (it needs the pseudo-header). */
	if (c->addr.family == AF_INET)
		pkt.hdr.checksum = health_csum_fold(health_csum_add(0, &pkt, sizeof(pkt)));
	sl = net_addr_sockaddr(&c->addr, 0, &ss);
	if (sendto(fd, &pkt, sizeof(pkt), 0, (struct sockaddr *)&ss, sl) < 0) {
		int err = errno;

		if (health_errno_is_local(err))
			return -err;
		health_notify_done(
		    c, HEALTH_FAIL, health_reason_from_errno(err),
		    health_reason_from_errno(err) == HEALTH_R_SOCKET_ERROR ? strerror(err) : NULL);
	}
	return 0;
}

static void check_icmp_on_event(struct health_check *c, uint32_t events)
{
}

static void check_icmp_timeout(struct health_check *c)
{
	health_notify_done(c, HEALTH_FAIL, HEALTH_R_NO_ECHO_REPLY, NULL);
}

static void check_icmp_cancel(struct health_check *c)
{
}

static void check_icmp_ctx_free(struct health_ctx *h)
{
	struct check_icmp_ctx **p = (struct check_icmp_ctx **)health_kind_priv(h, HEALTH_ICMP);

	if (!*p)
		return;
	if ((*p)->fd4 >= 0) {
		health_unwatch_shared(h, (*p)->fd4);
		close((*p)->fd4);
	}
	if ((*p)->fd6 >= 0) {
		health_unwatch_shared(h, (*p)->fd6);
		close((*p)->fd6);
	}
	free(*p);
	*p = NULL;
}

const struct health_checker_ops check_icmp_ops = {
    .name = "icmp",
    .start = check_icmp_start,
    .on_event = check_icmp_on_event,
    .timeout = check_icmp_timeout,
    .cancel = check_icmp_cancel,
    .ctx_free = check_icmp_ctx_free,
};
