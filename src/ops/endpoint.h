/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* ADDR, ADDR:PORT and [ADDR6]:PORT as operators type them (ipvsadm's form). */
#ifndef XLB_OPS_ENDPOINT_H
#define XLB_OPS_ENDPOINT_H

#include <stddef.h>

#include "addr.h"

/* 0, or -EINVAL; *port is 0 when none is given. A bare IPv6 address has no port. */
int ops_parse_endpoint(const char *text, struct net_addr *addr, int *port);
/* Writes ADDR:PORT or [ADDR6]:PORT (port in host order) into @buf and returns it. */
const char *ops_endpoint_str(const struct net_addr *addr, int port, char *buf, size_t len);
/* The same for a data-plane address of @family (XLB_FAMILY_*) and a network-order port. */
const char *ops_xlb_endpoint_str(const struct xlb_addr *addr, uint8_t family, uint16_t port_be,
				 char *buf, size_t len);
void ops_xlb_to_net_addr(const struct xlb_addr *addr, uint8_t family, struct net_addr *out);

#endif /* XLB_OPS_ENDPOINT_H */
