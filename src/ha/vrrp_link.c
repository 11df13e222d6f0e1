// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Link state for tracking. The netlink messages are not parsed: any of them
 * means "look again", and looking is a few ioctls by name, so a missed or
 * odd message cannot leave a wrong state behind.
 */
#include "ha/vrrp_link.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define VRRP_LINK_BATCH 32 /* datagrams per wake-up */

int vrrp_link_events_open(void)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

bool vrrp_link_events_drain(int fd)
{
	char buf[8192];
	bool seen = false;

	for (int i = 0; i < VRRP_LINK_BATCH; i++) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n > 0) {
			seen = true;
			continue;
		}
		if (n < 0 && errno == ENOBUFS) {
			seen = true; /* changes were dropped: look at everything again */
			continue;
		}
		break;
	}
	return seen;
}

bool vrrp_link_up(int sock, const char *name)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
		return false; /* gone (ENODEV): as down */
	return (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
}
