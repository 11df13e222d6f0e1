/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Facts about local network interfaces that xlbd needs: index and MAC. */
#ifndef XLB_IFACE_H
#define XLB_IFACE_H

#include <stdint.h>

/* Fills @ifindex, @mac and @mtu for interface @name; negative errno if it does not exist. */
int iface_lookup(const char *name, int *ifindex, uint8_t mac[6], int *mtu);
/* /proc/sys/net/ipv4/conf/NAME/KNOB as a number, or negative errno. */
int iface_ipv4_sysctl(const char *name, const char *knob);

#endif /* XLB_IFACE_H */
