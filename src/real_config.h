/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* One real server of a service as plain data: what service_config.c reads, proxy routes name. */
#ifndef XLB_REAL_CONFIG_H
#define XLB_REAL_CONFIG_H

#include <stdint.h>

#include "addr.h"

struct real_config {
	struct net_addr addr;
	uint16_t port; /* host order; defaults to the service port */
	uint32_t weight; /* 0 = drain */
	struct net_addr check_addr; /* family 0: health checks go to addr */
	uint16_t check_port; /* 0: the health block's port, else port */
	int line;
};

#endif /* XLB_REAL_CONFIG_H */
