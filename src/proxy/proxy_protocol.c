// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * PROXY protocol encoder (https://www.haproxy.org/download/2.9/doc/proxy-protocol.txt).
 * Only what a sender needs: PROXY for TCP over IPv4/IPv6, UNKNOWN/UNSPEC
 * otherwise. No TLVs: nothing here would fill them.
 */
#include "proxy/proxy_protocol.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "proxy/proxy_config.h"

const unsigned char proxy_pp_v2_sig[12] = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
					   0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};

#define PP2_VERSION_PROXY 0x21 /* version 2 in the high nibble, command PROXY */
#define PP2_FAM_UNSPEC 0x00
#define PP2_FAM_TCP4 0x11 /* AF_INET, SOCK_STREAM */
#define PP2_FAM_TCP6 0x21 /* AF_INET6, SOCK_STREAM */

static bool proxy_pp_same_family(const struct sockaddr *a, const struct sockaddr *b)
{
	return a && b && a->sa_family == b->sa_family &&
	       (a->sa_family == AF_INET || a->sa_family == AF_INET6);
}

static ssize_t proxy_pp_v1(const struct sockaddr *client, const struct sockaddr *local,
			   unsigned char *buf, size_t size)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	unsigned sport, dport;
	int n;

	if (!proxy_pp_same_family(client, local)) {
		n = snprintf((char *)buf, size, "PROXY UNKNOWN\r\n");
	} else if (client->sa_family == AF_INET) {
		const struct sockaddr_in *c = (const void *)client, *l = (const void *)local;

		inet_ntop(AF_INET, &c->sin_addr, src, sizeof(src));
		inet_ntop(AF_INET, &l->sin_addr, dst, sizeof(dst));
		sport = ntohs(c->sin_port);
		dport = ntohs(l->sin_port);
		n = snprintf((char *)buf, size, "PROXY TCP4 %s %s %u %u\r\n", src, dst, sport,
			     dport);
	} else {
		const struct sockaddr_in6 *c = (const void *)client, *l = (const void *)local;

		inet_ntop(AF_INET6, &c->sin6_addr, src, sizeof(src));
		inet_ntop(AF_INET6, &l->sin6_addr, dst, sizeof(dst));
		sport = ntohs(c->sin6_port);
		dport = ntohs(l->sin6_port);
		n = snprintf((char *)buf, size, "PROXY TCP6 %s %s %u %u\r\n", src, dst, sport,
			     dport);
	}
	/* snprintf's NUL is not part of the header, but it needs the room. */
	if (n < 0 || (size_t)n >= size)
		return -ENOSPC;
	return n;
}

static ssize_t proxy_pp_v2(const struct sockaddr *client, const struct sockaddr *local,
			   unsigned char *buf, size_t size)
{
	uint16_t addr_len = 0;
	unsigned char fam = PP2_FAM_UNSPEC;
	unsigned char *p;

	if (proxy_pp_same_family(client, local)) {
		fam = client->sa_family == AF_INET ? PP2_FAM_TCP4 : PP2_FAM_TCP6;
		addr_len = client->sa_family == AF_INET ? 12 : 36;
	}
	if (size < 16u + addr_len)
		return -ENOSPC;
	memcpy(buf, proxy_pp_v2_sig, sizeof(proxy_pp_v2_sig));
	buf[12] = PP2_VERSION_PROXY;
	buf[13] = fam;
	buf[14] = (unsigned char)(addr_len >> 8);
	buf[15] = (unsigned char)addr_len;
	p = buf + 16;
	if (fam == PP2_FAM_TCP4) {
		const struct sockaddr_in *c = (const void *)client, *l = (const void *)local;

		memcpy(p, &c->sin_addr, 4);
		memcpy(p + 4, &l->sin_addr, 4);
		memcpy(p + 8, &c->sin_port, 2); /* already network order */
		memcpy(p + 10, &l->sin_port, 2);
	} else if (fam == PP2_FAM_TCP6) {
		const struct sockaddr_in6 *c = (const void *)client, *l = (const void *)local;

		memcpy(p, &c->sin6_addr, 16);
		memcpy(p + 16, &l->sin6_addr, 16);
		memcpy(p + 32, &c->sin6_port, 2);
		memcpy(p + 34, &l->sin6_port, 2);
	}
	return 16 + addr_len;
}

ssize_t proxy_pp_encode(int version, const struct sockaddr *client, const struct sockaddr *local,
			unsigned char *buf, size_t size)
{
	switch (version) {
	case PROXY_PP_V1:
		return proxy_pp_v1(client, local, buf, size);
	case PROXY_PP_V2:
		return proxy_pp_v2(client, local, buf, size);
	default:
		return -EINVAL;
	}
}
