// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Address parsing, printing and conversion to the data plane's key form. */
#include "addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

int net_addr_parse(const char *text, struct net_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, text, &out->v4) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, text, &out->v6) == 1) {
		out->family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

/* Digits only, 1..65535: strtol() and atoi() would take " 80", "+80" or "80x". */
static int net_port_parse(const char *s, uint16_t *port)
{
	unsigned long v = 0;

	if (!*s || strlen(s) > 5)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v < 1 || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int net_endpoint_parse(const char *text, struct net_addr *addr, uint16_t *port)
{
	char buf[NET_ADDR_STRLEN + 8];
	char *colon;

	*port = 0;
	if (strlen(text) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", text);
	if (buf[0] == '[') {
		char *close = strchr(buf, ']');

		if (!close || (close[1] && (close[1] != ':' || net_port_parse(close + 2, port))))
			return -EINVAL;
		*close = '\0';
		if (net_addr_parse(buf + 1, addr) || addr->family != AF_INET6)
			return -EINVAL;
		return 0;
	}
	colon = strchr(buf, ':');
	if (colon && !strchr(colon + 1, ':')) {
		/* One colon: IPv4 with a port (IPv6 with a port needs brackets). */
		*colon = '\0';
		if (net_port_parse(colon + 1, port))
			return -EINVAL;
		if (net_addr_parse(buf, addr) || addr->family != AF_INET)
			return -EINVAL;
		return 0;
	}
	return net_addr_parse(buf, addr);
}

const char *net_addr_str(const struct net_addr *a, char *buf, size_t len)
{
	if (!inet_ntop(a->family, a->family == AF_INET ? (const void *)&a->v4 : (const void *)&a->v6,
		       buf, len))
		snprintf(buf, len, "?");
	return buf;
}

bool net_addr_equal(const struct net_addr *a, const struct net_addr *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == AF_INET)
		return a->v4.s_addr == b->v4.s_addr;
	return memcmp(&a->v6, &b->v6, sizeof(a->v6)) == 0;
}

void net_addr_to_xlb(const struct net_addr *a, struct xlb_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (a->family == AF_INET)
		out->addr[0] = a->v4.s_addr;
	else
		memcpy(out->addr, &a->v6, sizeof(out->addr));
}

uint8_t net_addr_xlb_family(const struct net_addr *a)
{
	return a->family == AF_INET ? XLB_FAMILY_V4 : XLB_FAMILY_V6;
}

socklen_t net_addr_sockaddr(const struct net_addr *a, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_addr = a->v6;
		s6->sin6_port = htons(port);
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	s4->sin_family = AF_INET;
	s4->sin_addr = a->v4;
	s4->sin_port = htons(port);
	return sizeof(*s4);
}

bool net_addr_from_sockaddr(const struct sockaddr *sa, struct net_addr *a, uint16_t *port)
{
	memset(a, 0, sizeof(*a));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		a->family = AF_INET;
		a->v4 = s4->sin_addr;
		if (port)
			*port = ntohs(s4->sin_port);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

		a->family = AF_INET6;
		a->v6 = s6->sin6_addr;
		if (port)
			*port = ntohs(s6->sin6_port);
		return true;
	}
	return false;
}
