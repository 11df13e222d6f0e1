// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Endpoint parsing and printing shared by flows and trace. */
#include "ops/endpoint.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ops_parse_endpoint(const char *text, struct net_addr *addr, int *port)
{
	uint16_t p;
	int ret = net_endpoint_parse(text, addr, &p);

	*port = ret ? 0 : p;
	return ret;
}

const char *ops_endpoint_str(const struct net_addr *addr, int port, char *buf, size_t len)
{
	char a[NET_ADDR_STRLEN];

	net_addr_str(addr, a, sizeof(a));
	snprintf(buf, len, addr->family == AF_INET6 ? "[%s]:%d" : "%s:%d", a, port);
	return buf;
}

void ops_xlb_to_net_addr(const struct xlb_addr *addr, uint8_t family, struct net_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (family == XLB_FAMILY_V6) {
		out->family = AF_INET6;
		memcpy(&out->v6, addr->addr, 16);
	} else {
		out->family = AF_INET;
		out->v4.s_addr = addr->addr[0];
	}
}

const char *ops_xlb_endpoint_str(const struct xlb_addr *addr, uint8_t family, uint16_t port_be,
				 char *buf, size_t len)
{
	struct net_addr a;

	ops_xlb_to_net_addr(addr, family, &a);
	return ops_endpoint_str(&a, ntohs(port_be), buf, len);
}
