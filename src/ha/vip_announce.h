/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Virtual addresses on an interface (rtnetlink via libmnl) and telling the link they moved. */
#ifndef XLB_HA_VIP_ANNOUNCE_H
#define XLB_HA_VIP_ANNOUNCE_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"

struct vip_nl;

int vip_nl_open(struct vip_nl **out);
void vip_nl_close(struct vip_nl *nl);

/*
 * Adds (IPv4 /32, IPv6 /128 without DAD) or removes @a on @ifindex. An
 * address already there (add) or already gone (remove) is success: the
 * wanted end state holds. Otherwise the kernel's negative errno.
 */
int vip_addr_set(struct vip_nl *nl, int ifindex, const struct net_addr *a, bool present);

/*
 * One announcement that @a is at @mac on @ifindex: a gratuitous ARP request
 * (IPv4) or an unsolicited neighbour advertisement with the override flag to
 * ff02::1 (IPv6). 0 or negative errno.
 */
int vip_announce(int ifindex, const uint8_t mac[6], const struct net_addr *a);

#endif /* XLB_HA_VIP_ANNOUNCE_H */
