/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Link state for VRRP tracking, read in the VRRP thread: an rtnetlink socket
 * that wakes it on every link change, and an interface's flags by name.
 */
#ifndef XLB_HA_VRRP_LINK_H
#define XLB_HA_VRRP_LINK_H

#include <stdbool.h>

/* A nonblocking socket that becomes readable on link changes; or negative errno. */
int vrrp_link_events_open(void);
/*
 * Empties the socket, a bounded batch per call (epoll wakes again for the
 * rest). True if a change (or a lost one: the queue overflowed) was seen.
 */
bool vrrp_link_events_drain(int fd);
/*
 * @name exists, is up and has its carrier (IFF_UP and IFF_RUNNING, as
 * keepalived reads them); @sock is any datagram socket for the ioctl.
 */
bool vrrp_link_up(int sock, const char *name);

#endif /* XLB_HA_VRRP_LINK_H */
