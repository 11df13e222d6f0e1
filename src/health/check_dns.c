// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dns check: one query (type A, recursion desired) for dns_name over UDP;
 * the real is up when the answer has our id, is a response, says NOERROR and
 * carries at least one answer record. NXDOMAIN, SERVFAIL, REFUSED and an
 * empty answer are failures with their rcode named; an ICMP port unreachable
 * is "port unreachable".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "health/health_net.h"

#define DNS_HDR_LEN 12
#define DNS_TYPE_A 1
#define DNS_CLASS_IN 1

struct check_dns_run {
	uint16_t id;
};

static const char *const check_dns_rcodes[] = {
    "NOERROR",	"FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED",
    "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE",
};

/* Wire form of a dotted name; 0 on a name the config check should have refused. */
static size_t check_dns_qname(const char *name, uint8_t *out, size_t size)
{
	size_t o = 0;

	while (*name) {
		const char *dot = strchr(name, '.');
		size_t len = dot ? (size_t)(dot - name) : strlen(name);

		if (!len || len > 63 || o + 1 + len + 1 > size)
			return 0;
		out[o++] = (uint8_t)len;
		memcpy(out + o, name, len);
		o += len;
		name += len;
		if (*name == '.')
			name++;
	}
	if (o + 1 > size)
		return 0;
	out[o++] = 0;
	return o;
}

static void check_dns_on_event(struct health_check *c, uint32_t events)
{
	struct check_dns_run *run = c->priv;
	uint8_t buf[1500];
	char detail[32];

	for (;;) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
		unsigned int rcode, ancount;
		uint16_t id;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			int err = errno;

			health_notify_done(c, HEALTH_FAIL,
					   err == ECONNREFUSED ? HEALTH_R_PORT_UNREACHABLE
							       : health_reason_from_errno(err),
					   NULL);
			return;
		}
		if (n < DNS_HDR_LEN)
			continue;
		id = (uint16_t)(buf[0] << 8 | buf[1]);
		/* Not the answer to this run's query (a late one, or spoofed): wait on. */
		if (id != run->id || !(buf[2] & 0x80))
			continue;
		rcode = buf[3] & 0x0f;
		ancount = (unsigned int)(buf[6] << 8 | buf[7]);
		if (rcode) {
			snprintf(detail, sizeof(detail), "%s",
				 rcode < sizeof(check_dns_rcodes) / sizeof(check_dns_rcodes[0])
				     ? check_dns_rcodes[rcode]
				     : "unknown");
			health_notify_done(c, HEALTH_FAIL, HEALTH_R_DNS_RCODE, detail);
		} else if (!ancount) {
			health_notify_done(c, HEALTH_FAIL, HEALTH_R_DNS_NO_ANSWER, NULL);
		} else {
			health_notify_done(c, HEALTH_OK, HEALTH_R_NONE, NULL);
		}
		return;
	}
}

static int check_dns_start(struct health_check *c)
{
	const struct health_config *cfg = health_check_cfg(c);
	struct check_dns_run *run;
	struct sockaddr_storage ss;
	socklen_t sl = net_addr_sockaddr(&c->addr, c->port, &ss);
	uint8_t q[DNS_HDR_LEN + HEALTH_DNS_NAME_MAX + 8] = {};
	size_t qlen;
	int err;

	qlen = check_dns_qname(cfg->dns_name, q + DNS_HDR_LEN, sizeof(q) - DNS_HDR_LEN - 4);
	if (!qlen)
		return -EINVAL;
	run = calloc(1, sizeof(*run));
	if (!run)
		return -ENOMEM;
	c->priv = run;
	run->id = (uint16_t)health_random32();
	q[0] = (uint8_t)(run->id >> 8);
	q[1] = (uint8_t)run->id;
	q[2] = 0x01; /* RD */
	q[5] = 1;    /* QDCOUNT */
	qlen += DNS_HDR_LEN;
	q[qlen++] = 0;
	q[qlen++] = DNS_TYPE_A;
	q[qlen++] = 0;
	q[qlen++] = DNS_CLASS_IN;

	c->fd = socket(c->addr.family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	if (c->fd < 0)
		return -errno;
	if (connect(c->fd, (struct sockaddr *)&ss, sl) < 0 || send(c->fd, q, qlen, 0) < 0) {
		err = errno;
		if (health_errno_is_local(err))
			return -err;
		health_notify_done(c, HEALTH_FAIL,
				   err == ECONNREFUSED ? HEALTH_R_PORT_UNREACHABLE
						       : health_reason_from_errno(err),
				   NULL);
		return 0;
	}
	return health_watch(c, EPOLLIN);
}

static void check_dns_cancel(struct health_check *c)
{
	health_close_fd(c);
	free(c->priv);
	c->priv = NULL;
}

const struct health_checker_ops check_dns_ops = {
    .name = "dns",
    .start = check_dns_start,
    .on_event = check_dns_on_event,
    .cancel = check_dns_cancel,
};
