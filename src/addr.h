/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* One address type for IPv4 and IPv6 in userspace, convertible to the BPF key form. */
#ifndef XLB_ADDR_H
#define XLB_ADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "xlb/xlb_types.h"

struct net_addr {
	int family; /* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	};
};

#define NET_ADDR_STRLEN INET6_ADDRSTRLEN

/* Parses a literal IPv4 or IPv6 address (no names, no prefix). 0 or -EINVAL. */
int net_addr_parse(const char *text, struct net_addr *out);
/*
 * "ADDR", "IPV4:PORT", "[IPV6]" or "[IPV6]:PORT", as operators type them
 * (ipvsadm's form): 0 with *port 0 when none is given, or -EINVAL. The
 * port is digits only, 1..65535; a bare IPv6 address has no port.
 */
int net_endpoint_parse(const char *text, struct net_addr *addr, uint16_t *port);
/* Writes the address into @buf (at least NET_ADDR_STRLEN) and returns @buf. */
const char *net_addr_str(const struct net_addr *a, char *buf, size_t len);
bool net_addr_equal(const struct net_addr *a, const struct net_addr *b);
/* The data plane's form: IPv4 in addr[0], network order. */
void net_addr_to_xlb(const struct net_addr *a, struct xlb_addr *out);
uint8_t net_addr_xlb_family(const struct net_addr *a);
/* @a and @port (host order) as a socket address in @ss; returns its length. */
socklen_t net_addr_sockaddr(const struct net_addr *a, uint16_t port, struct sockaddr_storage *ss);
/* Converts a socket address back (@port may be NULL); false for other families. */
bool net_addr_from_sockaddr(const struct sockaddr *sa, struct net_addr *a, uint16_t *port);

#endif /* XLB_ADDR_H */
