/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What xlb-rs changes on the host besides BPF: lo addresses, sysctls; and what it asks. */
#ifndef XLB_RS_NET_H
#define XLB_RS_NET_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>

#include "addr.h"

/* Is @a on @ifindex (with any prefix length)? 0 or negative errno. */
int rs_addr_find(int ifindex, const struct net_addr *a, bool *found);
/* Adds/removes @a as a host address (/32 or /128, scope global) on @ifindex. */
int rs_addr_add(int ifindex, const struct net_addr *a);
int rs_addr_del(int ifindex, const struct net_addr *a);

/* The interface of the main table's default route (IPv4 first); -ENOENT if none. */
int rs_default_dev(char name[IF_NAMESIZE]);

/*
 * Whether @ifindex's clsact qdisc holds any filter besides xlb-rs's own, on
 * ingress or egress: only then may a clsact that xlb-rs created go away.
 */
int rs_tc_other_filters(int ifindex, bool *any);

/*
 * Integer sysctls by their /proc/sys path ("net/ipv4/conf/all/arp_ignore");
 * -EPERM for anything outside /proc/sys/net (a "..", an absolute path).
 */
int rs_sysctl_read(const char *path, int *val);
int rs_sysctl_write(const char *path, int val);

/* This process's network namespace as the kernel names it ("net:[4026531840]"). */
int rs_netns_id(char *buf, size_t len);

#endif /* XLB_RS_NET_H */
