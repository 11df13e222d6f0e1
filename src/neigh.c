// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Route, neighbour lookup, ARP/ND triggering and neighbour events over rtnetlink (libmnl). */
#include "neigh.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>

#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

/* Debian 12's uapi headers predate these; the values are kernel ABI. */
#ifndef NTF_EXT_MANAGED
#define NTF_EXT_MANAGED (1 << 0)
#endif
#ifndef NTF_EXT_EXT_VALIDATED
#define NTF_EXT_EXT_VALIDATED (1 << 2)
#endif

/* The kernel's NUD_VALID (not in uapi): states whose MAC it would send to itself. */
#define NUD_USABLE \
	(NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT | NUD_NOARP)

/* One route or neighbour message with its ack fits many times over. */
#define NEIGH_BUF_SIZE 16384
/* Requests block on the reply; bounded so a wedged kernel cannot hang xlbd. */
#define NEIGH_REPLY_TIMEOUT_S 2
/*
 * Every notification is its own datagram with a ~1 KiB truesize; the default
 * rmem (~200 KiB) overruns after a couple of hundred changes, e.g. when a
 * link flaps with many reals behind it.
 */
#define NEIGH_EVENT_RCVBUF (1 << 20)

struct neigh_ctx {
	struct mnl_socket *req;
	struct mnl_socket *ev;
	uint32_t req_portid;
	uint32_t seq;
	/* Separate buffers: event callbacks may issue requests. */
	char req_buf[NEIGH_BUF_SIZE] __attribute__((aligned(8)));
	char ev_buf[NEIGH_BUF_SIZE] __attribute__((aligned(8)));
};

/* What a neighbour message says, in the form both lookups and events need. */
struct neigh_msg {
	bool seen;
	struct net_addr addr;
	int ifindex;
	uint16_t state;
	uint8_t flags;
	uint32_t flags_ext;
	int lladdr_len;
	uint8_t lladdr[6];
};

struct route_msg {
	bool seen;
	unsigned char type;
	int family;
	int ifindex;
	bool gateway;
	struct net_addr gw; /* family 0 unless a gateway of @family */
	struct net_addr prefsrc; /* family 0 unless the kernel named one */
};

static int neg_errno(void)
{
	return errno ? -errno : -EIO;
}

static size_t addr_len(int family)
{
	return family == AF_INET ? sizeof(struct in_addr) : sizeof(struct in6_addr);
}

static const void *addr_bytes(const struct net_addr *a)
{
	return a->family == AF_INET ? (const void *)&a->v4 : (const void *)&a->v6;
}

static bool addr_ok(const struct net_addr *a)
{
	return a && (a->family == AF_INET || a->family == AF_INET6);
}

struct attr_table {
	const struct nlattr **tb;
	int max;
};

/* Attribute payloads are checked where they are used, against the family. */
static int attr_collect(const struct nlattr *attr, void *data)
{
	struct attr_table *t = data;
	int type = mnl_attr_get_type(attr);

	if (type <= t->max)
		t->tb[type] = attr;
	return MNL_CB_OK;
}

/*
 * One datagram. Returns its length, 0 for one to ignore (not from the
 * kernel: any local process may send to our port), or negative errno;
 * -EMSGSIZE means a truncated, hence lost, message.
 */
static ssize_t nl_recv(struct mnl_socket *nl, void *buf, size_t len)
{
	struct sockaddr_nl sa;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_name = &sa,
		.msg_namelen = sizeof(sa),
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};
	ssize_t n;

	n = recvmsg(mnl_socket_get_fd(nl), &msg, 0);
	if (n < 0)
		return neg_errno();
	if (msg.msg_flags & MSG_TRUNC)
		return -EMSGSIZE;
	if (msg.msg_namelen != sizeof(sa) || sa.nl_pid != 0)
		return 0;
	return n;
}

typedef int (*nl_parse_fn)(const struct nlmsghdr *nlh, void *data);

/*
 * Sends @req with NLM_F_ACK and reads until the kernel's ack or error for it.
 * The ack after a plain (non-dump) GET is what tells us the reply is
 * complete, so we never block waiting for a message that will not come.
 * Datagrams with another sequence number are leftovers of an earlier request
 * abandoned on timeout and are skipped.
 */
static int nl_talk(struct neigh_ctx *ctx, struct nlmsghdr *req, nl_parse_fn parse, void *data)
{
	uint32_t seq = ++ctx->seq;
	int perr = 0;

	req->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	req->nlmsg_seq = seq;
	if (mnl_socket_sendto(ctx->req, req, req->nlmsg_len) < 0)
		return neg_errno();

	for (;;) {
		const struct nlmsghdr *nlh;
		ssize_t n;
		int len;

		n = nl_recv(ctx->req, ctx->req_buf, sizeof(ctx->req_buf));
		if (n == -EINTR || n == 0)
			continue;
		if (n == -EAGAIN || n == -EWOULDBLOCK)
			return -ETIMEDOUT;
		if (n < 0)
			return (int)n;

		len = (int)n;
		for (nlh = (const struct nlmsghdr *)ctx->req_buf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			const struct nlmsgerr *err;

			if (nlh->nlmsg_seq != seq || nlh->nlmsg_pid != ctx->req_portid)
				continue;
			switch (nlh->nlmsg_type) {
			case NLMSG_ERROR:
				if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*err)))
					return -EBADMSG;
				err = mnl_nlmsg_get_payload(nlh);
				return err->error ? err->error : perr;
			case NLMSG_DONE:
				return perr;
			case NLMSG_NOOP:
				break;
			default:
				if (parse && !perr)
					perr = parse(nlh, data);
				break;
			}
		}
	}
}

/* Decodes an IPv4/IPv6 RTM_*NEIGH message; -EAGAIN for ones that are not ours to read. */
static int neigh_msg_parse(const struct nlmsghdr *nlh, struct neigh_msg *m)
{
	const struct nlattr *tb[NDA_MAX + 1] = { NULL };
	struct attr_table t = { .tb = tb, .max = NDA_MAX };
	const struct ndmsg *ndm;
	size_t alen;

	memset(m, 0, sizeof(*m));
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ndm)))
		return -EBADMSG;
	ndm = mnl_nlmsg_get_payload(nlh);
	/* Bridge FDB and proxy entries share the message type and group. */
	if (ndm->ndm_family != AF_INET && ndm->ndm_family != AF_INET6)
		return -EAGAIN;
	if (ndm->ndm_flags & NTF_PROXY)
		return -EAGAIN;
	if (mnl_attr_parse(nlh, sizeof(*ndm), attr_collect, &t) < 0)
		return -EBADMSG;

	alen = addr_len(ndm->ndm_family);
	if (!tb[NDA_DST] || mnl_attr_get_payload_len(tb[NDA_DST]) != alen)
		return -EBADMSG;
	m->addr.family = ndm->ndm_family;
	memcpy(ndm->ndm_family == AF_INET ? (void *)&m->addr.v4 : (void *)&m->addr.v6,
	       mnl_attr_get_payload(tb[NDA_DST]), alen);
	m->ifindex = ndm->ndm_ifindex;
	m->state = ndm->ndm_state;
	m->flags = ndm->ndm_flags;
	if (tb[NDA_FLAGS_EXT] && mnl_attr_get_payload_len(tb[NDA_FLAGS_EXT]) == sizeof(uint32_t))
		m->flags_ext = mnl_attr_get_u32(tb[NDA_FLAGS_EXT]);
	if (tb[NDA_LLADDR]) {
		m->lladdr_len = (int)mnl_attr_get_payload_len(tb[NDA_LLADDR]);
		if (m->lladdr_len == (int)sizeof(m->lladdr))
			memcpy(m->lladdr, mnl_attr_get_payload(tb[NDA_LLADDR]), sizeof(m->lladdr));
	}
	m->seen = true;
	return 0;
}

static bool neigh_msg_usable(const struct neigh_msg *m)
{
	return (m->state & NUD_USABLE) && m->lladdr_len == (int)sizeof(m->lladdr);
}

struct neigh_get_data {
	const struct net_addr *addr;
	int ifindex;
	struct neigh_msg *msg;
};

static int neigh_get_parse(const struct nlmsghdr *nlh, void *data)
{
	struct neigh_get_data *d = data;
	struct neigh_msg m;
	int err;

	if (nlh->nlmsg_type != RTM_NEWNEIGH)
		return 0;
	err = neigh_msg_parse(nlh, &m);
	if (err == -EAGAIN)
		return 0;
	if (err)
		return err;
	if (!net_addr_equal(&m.addr, d->addr) || m.ifindex != d->ifindex)
		return 0;
	*d->msg = m;
	return 0;
}

/* The raw entry via a single-entry RTM_GETNEIGH (kernel 5.0+); -ENOENT if there is none. */
static int neigh_get(struct neigh_ctx *ctx, const struct net_addr *addr, int ifindex,
		     struct neigh_msg *out)
{
	char buf[256] __attribute__((aligned(8)));
	struct neigh_get_data d = { .addr = addr, .ifindex = ifindex, .msg = out };
	struct nlmsghdr *nlh;
	struct ndmsg *ndm;
	int err;

	memset(out, 0, sizeof(*out));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETNEIGH;
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = addr->family;
	ndm->ndm_ifindex = ifindex;
	mnl_attr_put(nlh, NDA_DST, addr_len(addr->family), addr_bytes(addr));

	err = nl_talk(ctx, nlh, neigh_get_parse, &d);
	if (err)
		return err;
	return out->seen ? 0 : -ENOENT;
}

int neigh_lookup(struct neigh_ctx *ctx, const struct net_addr *addr, int ifindex, uint8_t mac[6])
{
	struct neigh_msg m;
	int err;

	if (!ctx || !addr_ok(addr) || ifindex <= 0 || !mac)
		return -EINVAL;
	err = neigh_get(ctx, addr, ifindex, &m);
	if (err)
		return err;
	if (!(m.state & NUD_USABLE))
		return -ENOENT;
	if (!neigh_msg_usable(&m))
		return -EOPNOTSUPP;
	memcpy(mac, m.lladdr, sizeof(m.lladdr));
	return 0;
}

/*
 * Why NTF_USE (checked against net/core/neighbour.c of 6.18 and on a live
 * 6.18 kernel): neigh_add() with NTF_USE and NLM_F_CREATE creates a missing
 * entry in NUD_NONE and calls neigh_event_send(), which moves NONE/FAILED to
 * INCOMPLETE and arms the timer that sends the ARP request / NS at once, and
 * moves STALE to DELAY (unicast probe unless confirmed). Plain state updates
 * do not: NUD_NONE does nothing and NUD_INCOMPLETE sits in INCOMPLETE without
 * ever probing, because only neigh_event_send() arms the timer.
 *
 * The price: with NTF_USE, __neigh_update() clears NUD_PERMANENT (a static
 * entry turns INCOMPLETE and loses its MAC) and, being an admin update,
 * resets NTF_EXT_LEARNED / managed / externally-validated flags to the ones
 * in the request. So entries owned by someone else are checked first and
 * left alone. The check and the update are two requests, not atomic; an
 * entry made static in between would still be hit, which only an admin
 * racing xlbd can cause.
 */
int neigh_trigger(struct neigh_ctx *ctx, const struct net_addr *addr, int ifindex)
{
	char buf[256] __attribute__((aligned(8)));
	struct nlmsghdr *nlh;
	struct neigh_msg m;
	struct ndmsg *ndm;
	int err;

	if (!ctx || !addr_ok(addr) || ifindex <= 0)
		return -EINVAL;

	err = neigh_get(ctx, addr, ifindex, &m);
	if (err && err != -ENOENT)
		return err;
	if (!err) {
		if ((m.state & (NUD_PERMANENT | NUD_NOARP)) || (m.flags & NTF_EXT_LEARNED) ||
		    (m.flags_ext & (NTF_EXT_MANAGED | NTF_EXT_EXT_VALIDATED)))
			return 0;
		/* Fresh or already being resolved: NTF_USE would change nothing. */
		if (m.state & (NUD_REACHABLE | NUD_DELAY | NUD_PROBE | NUD_INCOMPLETE))
			return 0;
	}

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWNEIGH;
	/* No NLM_F_REPLACE: we never want to override an existing lladdr. */
	nlh->nlmsg_flags = NLM_F_CREATE;
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = addr->family;
	ndm->ndm_ifindex = ifindex;
	ndm->ndm_state = NUD_NONE;
	ndm->ndm_flags = NTF_USE;
	mnl_attr_put(nlh, NDA_DST, addr_len(addr->family), addr_bytes(addr));
	return nl_talk(ctx, nlh, NULL, NULL);
}

/* An address attribute of @family, if present and the right size. */
static void route_attr_addr(const struct nlattr *attr, int family, struct net_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (!attr || (family != AF_INET && family != AF_INET6) ||
	    mnl_attr_get_payload_len(attr) != addr_len(family))
		return;
	out->family = family;
	memcpy(family == AF_INET ? (void *)&out->v4 : (void *)&out->v6,
	       mnl_attr_get_payload(attr), addr_len(family));
}

static int route_parse(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[RTA_MAX + 1] = { NULL };
	struct attr_table t = { .tb = tb, .max = RTA_MAX };
	struct route_msg *r = data;
	const struct rtmsg *rtm;

	if (nlh->nlmsg_type != RTM_NEWROUTE || r->seen)
		return 0;
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*rtm)))
		return -EBADMSG;
	rtm = mnl_nlmsg_get_payload(nlh);
	if (mnl_attr_parse(nlh, sizeof(*rtm), attr_collect, &t) < 0)
		return -EBADMSG;

	r->seen = true;
	r->type = rtm->rtm_type;
	if (tb[RTA_OIF] && mnl_attr_get_payload_len(tb[RTA_OIF]) == sizeof(uint32_t))
		r->ifindex = (int)mnl_attr_get_u32(tb[RTA_OIF]);
	/* RTA_VIA is a gateway of the other family (IPv4 route via IPv6 nexthop). */
	r->gateway = tb[RTA_GATEWAY] || tb[RTA_VIA];
	route_attr_addr(tb[RTA_GATEWAY], rtm->rtm_family, &r->gw);
	route_attr_addr(tb[RTA_PREFSRC], rtm->rtm_family, &r->prefsrc);
	return 0;
}

int neigh_route_lookup(struct neigh_ctx *ctx, const struct net_addr *dst,
		       struct neigh_route *out)
{
	char buf[256] __attribute__((aligned(8)));
	struct route_msg r = { 0 };
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	int err;

	if (!ctx || !addr_ok(dst) || !out)
		return -EINVAL;
	/* fe80::/10 exists on every interface; which one is meant needs an ifindex. */
	if (dst->family == AF_INET6 && IN6_IS_ADDR_LINKLOCAL(&dst->v6))
		return -EINVAL;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = dst->family;
	rtm->rtm_dst_len = dst->family == AF_INET ? 32 : 128;
	mnl_attr_put(nlh, RTA_DST, addr_len(dst->family), addr_bytes(dst));

	err = nl_talk(ctx, nlh, route_parse, &r);
	if (err)
		return err;
	if (!r.seen)
		return -ENETUNREACH;

	/* IPv6 answers reject routes with a message rather than an error. */
	switch (r.type) {
	case RTN_UNICAST:
		break;
	case RTN_LOCAL:
		return -ELOOP;
	case RTN_UNREACHABLE:
		return -EHOSTUNREACH;
	case RTN_PROHIBIT:
		return -EACCES;
	default:
		return -ENETUNREACH;
	}
	if (r.ifindex <= 0)
		return -ENETUNREACH;

	memset(out, 0, sizeof(*out));
	out->ifindex = r.ifindex;
	out->onlink = !r.gateway;
	out->gateway = r.gw;
	out->prefsrc = r.prefsrc;
	return 0;
}

int neigh_process_events(struct neigh_ctx *ctx, neigh_event_cb cb, void *arg)
{
	bool overrun = false;
	int count = 0;

	if (!ctx || !cb)
		return -EINVAL;

	for (;;) {
		const struct nlmsghdr *nlh;
		ssize_t n;
		int len;

		n = nl_recv(ctx->ev, ctx->ev_buf, sizeof(ctx->ev_buf));
		if (n == -EINTR || n == 0)
			continue;
		if (n == -EAGAIN || n == -EWOULDBLOCK)
			break;
		if (n == -ENOBUFS || n == -EMSGSIZE) {
			/* Notifications were dropped; keep draining, report once at the end. */
			overrun = true;
			continue;
		}
		if (n < 0)
			return (int)n;

		len = (int)n;
		for (nlh = (const struct nlmsghdr *)ctx->ev_buf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			struct neigh_msg m;
			bool usable;

			if (nlh->nlmsg_type != RTM_NEWNEIGH && nlh->nlmsg_type != RTM_DELNEIGH)
				continue;
			if (neigh_msg_parse(nlh, &m))
				continue;
			usable = nlh->nlmsg_type == RTM_NEWNEIGH && neigh_msg_usable(&m);
			cb(&m.addr, m.ifindex, usable ? m.lladdr : NULL, arg);
			count++;
		}
	}

	/*
	 * After draining, so that what the caller re-reads is the current
	 * state rather than one the queued notifications would still change.
	 */
	if (overrun) {
		cb(NULL, 0, NULL, arg);
		count++;
	}
	return count;
}

int neigh_event_fd(const struct neigh_ctx *ctx)
{
	return mnl_socket_get_fd(ctx->ev);
}

void neigh_close(struct neigh_ctx *ctx)
{
	if (!ctx)
		return;
	if (ctx->req)
		mnl_socket_close(ctx->req);
	if (ctx->ev)
		mnl_socket_close(ctx->ev);
	free(ctx);
}

int neigh_open(struct neigh_ctx **out)
{
	struct timeval tv = { .tv_sec = NEIGH_REPLY_TIMEOUT_S };
	int group = RTNLGRP_NEIGH;
	int rcvbuf = NEIGH_EVENT_RCVBUF;
	struct neigh_ctx *ctx;
	int one = 1;
	int err;

	if (!out)
		return -EINVAL;
	*out = NULL;
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;

	ctx->req = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!ctx->req)
		goto fail_errno;
	if (mnl_socket_bind(ctx->req, 0, MNL_SOCKET_AUTOPID) < 0)
		goto fail_errno;
	ctx->req_portid = mnl_socket_get_portid(ctx->req);
	if (setsockopt(mnl_socket_get_fd(ctx->req), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		goto fail_errno;
	/* Errors need not echo our request back; older kernels lack it, harmless. */
	mnl_socket_setsockopt(ctx->req, NETLINK_CAP_ACK, &one, sizeof(one));

	ctx->ev = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!ctx->ev)
		goto fail_errno;
	if (mnl_socket_bind(ctx->ev, 0, MNL_SOCKET_AUTOPID) < 0)
		goto fail_errno;
	if (mnl_socket_setsockopt(ctx->ev, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0)
		goto fail_errno;
	/* FORCE passes rmem_max when privileged (xlbd is); else take what rmem_max allows. */
	if (setsockopt(mnl_socket_get_fd(ctx->ev), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)) < 0)
		setsockopt(mnl_socket_get_fd(ctx->ev), SOL_SOCKET, SO_RCVBUF, &rcvbuf,
			   sizeof(rcvbuf));

	*out = ctx;
	return 0;

fail_errno:
	err = neg_errno();
	neigh_close(ctx);
	return err;
}
