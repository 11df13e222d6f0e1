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
