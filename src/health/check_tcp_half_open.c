// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * tcp-half-open check: a SYN from a raw socket; a SYN/ACK means the port
 * listens (up) and is answered with a RST at once, a RST means it does not
 * (connect refused). The handshake is never completed, so the real's
 * application never sees a connection and no socket is left in ESTABLISHED
 * or TIME_WAIT on either side. The local port is reserved by a bound (not
 * connected, not listening) TCP socket for the run, so no local connection
 * can use it meanwhile. The kernel answers the SYN/ACK with a RST of its
 * own too (it has no connection for it); the real drops the duplicate.
 */
#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "health/health_net.h"

struct check_half_ctx {
	int fd4, fd6;
	struct health_waitlist wait;
};

struct check_half_run {
	int reserve_fd; /* holds the local port */
	uint16_t lport;
	uint32_t isn;
};

struct check_half_syn {
	struct tcphdr th;
	uint8_t opts[4]; /* MSS, as every real SYN carries */
};

static struct check_half_ctx *check_half_ctx(struct health_ctx *h)
{
	struct check_half_ctx **p =
	    (struct check_half_ctx **)health_kind_priv(h, HEALTH_TCP_HALF_OPEN);

	if (!*p) {
		*p = calloc(1, sizeof(**p));
		if (*p)
			(*p)->fd4 = (*p)->fd6 = -1;
	}
	return *p;
}

static uint16_t check_half_csum(const struct net_addr *src, const struct net_addr *dst,
				const void *seg, size_t len)
{
	uint32_t sum = 0;
	uint8_t tail[4] = {0, 0, 0, IPPROTO_TCP};
	uint32_t tlen = htonl((uint32_t)len);

	if (src->family == AF_INET6) {
		sum = health_csum_add(sum, &src->v6, 16);
		sum = health_csum_add(sum, &dst->v6, 16);
		sum = health_csum_add(sum, &tlen, 4);
		sum = health_csum_add(sum, tail, 4);
	} else {
		uint8_t ph[4] = {0, IPPROTO_TCP, (uint8_t)(len >> 8), (uint8_t)len};

		sum = health_csum_add(sum, &src->v4, 4);
		sum = health_csum_add(sum, &dst->v4, 4);
		sum = health_csum_add(sum, ph, 4);
	}
	sum = health_csum_add(sum, seg, len);
	return health_csum_fold(sum);
}

static int check_half_send(struct health_check *c, int fd, uint8_t flags, uint32_t seq,
			   bool with_mss)
{
	struct check_half_run *run = c->priv;
	struct check_half_syn pkt = {};
	size_t len = with_mss ? sizeof(pkt) : sizeof(pkt.th);
	struct sockaddr_storage ss;
	socklen_t sl = net_addr_sockaddr(&c->addr, 0, &ss);

	pkt.th.source = htons(run->lport);
	pkt.th.dest = htons(c->port);
	pkt.th.seq = htonl(seq);
	pkt.th.doff = (uint16_t)(len / 4);
	pkt.th.syn = !!(flags & TH_SYN);
	pkt.th.rst = !!(flags & TH_RST);
	pkt.th.window = htons(with_mss ? 64240 : 0);
	if (with_mss) {
		pkt.opts[0] = TCPOPT_MAXSEG;
		pkt.opts[1] = TCPOLEN_MAXSEG;
		pkt.opts[2] = 1460 >> 8;
		pkt.opts[3] = 1460 & 0xff;
	}
	/* IPv6: the kernel does it (IPV6_CHECKSUM), with the source it picks. */
	if (c->addr.family == AF_INET)
		pkt.th.check = check_half_csum(&c->src, &c->addr, &pkt, len);
	if (sendto(fd, &pkt, len, 0, (struct sockaddr *)&ss, sl) < 0)
		return -errno;
	return 0;
}

static void check_half_segment(struct health_ctx *h, struct check_half_ctx *x, int fd,
			       const struct net_addr *from, const uint8_t *seg, size_t len)
{
	struct health_check *c, *next;
	struct tcphdr th;

	if (len < sizeof(th))
		return;
	memcpy(&th, seg, sizeof(th));
	if (!th.syn && !th.rst)
		return;
	for (c = x->wait.head; c; c = next) {
		struct check_half_run *run = c->priv;

		next = c->wait_next;
		if (ntohs(th.source) != c->port || ntohs(th.dest) != run->lport ||
		    !net_addr_equal(from, &c->addr))
			continue;
		if (th.syn && th.ack && ntohl(th.ack_seq) == run->isn + 1) {
			/* Abort the half-open connection before the real holds it any longer. */
			check_half_send(c, fd, TH_RST, run->isn + 1, false);
			health_notify_done(c, HEALTH_OK, HEALTH_R_NONE, NULL);
		} else if (th.rst && (!th.ack || ntohl(th.ack_seq) == run->isn + 1)) {
			health_notify_done(c, HEALTH_FAIL, HEALTH_R_REFUSED, NULL);
		}
	}
}

static void check_half_readable(struct health_ctx *h, int fd, uint32_t events, void *arg)
{
	struct check_half_ctx *x = arg;
	uint8_t buf[256];

	for (int i = 0; i < 256; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct net_addr from;
		ssize_t n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC,
				     (struct sockaddr *)&ss, &sl);

		if (n < 0)
			return;
		if (n > (ssize_t)sizeof(buf))
			n = sizeof(buf);
		if (!net_addr_from_sockaddr((struct sockaddr *)&ss, &from, NULL))
			continue;
		if (fd == x->fd4) {
			size_t ihl = (size_t)(buf[0] & 0xf) * 4;

			if ((size_t)n <= ihl)
				continue;
			check_half_segment(h, x, fd, &from, buf + ihl, (size_t)n - ihl);
		} else {
			check_half_segment(h, x, fd, &from, buf, (size_t)n);
		}
	}
}

static int check_half_socket(struct health_ctx *h, struct check_half_ctx *x, int family)
{
	int *fdp = family == AF_INET6 ? &x->fd6 : &x->fd4;
	int fd, err;

	if (*fdp >= 0)
		return *fdp;
	fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0)
		return -errno;
	if (family == AF_INET6) {
		int off = offsetof(struct tcphdr, check);

		setsockopt(fd, IPPROTO_IPV6, IPV6_CHECKSUM, &off, sizeof(off));
	} else {
		/*
		 * A raw TCP socket gets a copy of every TCP segment the host
		 * receives; keep only those with SYN or RST set in the kernel.
		 */
		struct sock_filter code[] = {
		    BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),
		    BPF_STMT(BPF_LD | BPF_B | BPF_IND, 13),
		    BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, TH_SYN | TH_RST, 0, 1),
		    BPF_STMT(BPF_RET | BPF_K, 0xffff),
		    BPF_STMT(BPF_RET | BPF_K, 0),
		};
		struct sock_fprog prog = {.len = sizeof(code) / sizeof(code[0]), .filter = code};

		setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog));
	}
	err = health_watch_shared(h, fd, check_half_readable, x);
	if (err) {
		close(fd);
		return err;
	}
	*fdp = fd;
	return fd;
}

/* Takes a free local port for the run by binding a TCP socket to it. */
static int check_half_reserve(struct health_check *c, struct check_half_run *run)
{
	struct sockaddr_storage ss;
	socklen_t sl = net_addr_sockaddr(&c->src, 0, &ss);
	struct net_addr a;

	run->reserve_fd = socket(c->src.family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	if (run->reserve_fd < 0)
		return -errno;
	if (bind(run->reserve_fd, (struct sockaddr *)&ss, sl) < 0)
		return -errno;
	sl = sizeof(ss);
	if (getsockname(run->reserve_fd, (struct sockaddr *)&ss, &sl) < 0)
		return -errno;
	net_addr_from_sockaddr((struct sockaddr *)&ss, &a, &run->lport);
	return 0;
}

static int check_half_start(struct health_check *c)
{
	struct check_half_ctx *x = check_half_ctx(c->h);
	struct check_half_run *run;
	int fd, err;

	if (!x)
		return -ENOMEM;
	fd = check_half_socket(c->h, x, c->addr.family);
	if (fd < 0)
		return fd;
	/* Every run: the route to the real, hence our source, may change. */
	err = health_source_addr(&c->addr, &c->src);
	if (err) {
		if (health_errno_is_local(-err))
			return err;
		health_notify_done(c, HEALTH_FAIL, health_reason_from_errno(-err), NULL);
		return 0;
	}
	run = calloc(1, sizeof(*run));
	if (!run)
		return -ENOMEM;
	run->reserve_fd = -1;
	c->priv = run;
	err = check_half_reserve(c, run);
	if (err)
		return err;
	run->isn = health_random32();
	err = check_half_send(c, fd, TH_SYN, run->isn, true);
	if (err) {
		if (health_errno_is_local(-err))
			return err;
		health_notify_done(c, HEALTH_FAIL, health_reason_from_errno(-err), NULL);
		return 0;
	}
	health_wait_add(&x->wait, c);
	return 0;
}

static void check_half_on_event(struct health_check *c, uint32_t events)
{
}

static void check_half_cancel(struct health_check *c)
{
	struct check_half_ctx *x =
	    *(struct check_half_ctx **)health_kind_priv(c->h, HEALTH_TCP_HALF_OPEN);
	struct check_half_run *run = c->priv;

	if (x)
		health_wait_del(&x->wait, c);
	if (run && run->reserve_fd >= 0)
		close(run->reserve_fd);
	free(run);
	c->priv = NULL;
}

static void check_half_ctx_free(struct health_ctx *h)
{
	struct check_half_ctx **p =
	    (struct check_half_ctx **)health_kind_priv(h, HEALTH_TCP_HALF_OPEN);

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

const struct health_checker_ops check_tcp_half_open_ops = {
    .name = "tcp-half-open",
    .start = check_half_start,
    .on_event = check_half_on_event,
    .cancel = check_half_cancel,
    .ctx_free = check_half_ctx_free,
};
