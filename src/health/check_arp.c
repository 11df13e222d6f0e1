// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * arp check (IPv4): a broadcast ARP request for the real's address, sent on
 * the interface the kernel routes it through; the real is up when it
 * answers. This tests that the host is on the segment and has its address,
 * not just that some cache still remembers its MAC: the request goes out
 * whatever the neighbour table says. One packet socket per interface serves
 * all arp checks; the waiting checks are matched by interface and address.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/if_ether.h>
#include <netpacket/packet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "health/health_net.h"

#define CHECK_ARP_IFS_MAX 32

struct check_arp_if {
	int ifindex;
	int fd;
	uint8_t mac[6];
};

struct check_arp_ctx {
	struct check_arp_if ifs[CHECK_ARP_IFS_MAX];
	size_t nifs;
	struct health_waitlist wait;
};

static struct check_arp_ctx *check_arp_ctx(struct health_ctx *h)
{
	struct check_arp_ctx **p = (struct check_arp_ctx **)health_kind_priv(h, HEALTH_ARP);

	if (!*p)
		*p = calloc(1, sizeof(**p));
	return *p;
}

static void check_arp_readable(struct health_ctx *h, int fd, uint32_t events, void *arg)
{
	struct check_arp_ctx *x = *(struct check_arp_ctx **)health_kind_priv(h, HEALTH_ARP);
	struct check_arp_if *ifc = arg;

	for (int i = 0; i < 256; i++) {
		struct ether_arp a;
		struct in_addr spa;
		ssize_t n = recv(fd, &a, sizeof(a), MSG_DONTWAIT);
		struct health_check *c, *next;

		if (n < 0)
			return;
		if ((size_t)n < sizeof(a) || ntohs(a.arp_hrd) != ARPHRD_ETHER ||
		    ntohs(a.arp_pro) != ETHERTYPE_IP || a.arp_hln != 6 || a.arp_pln != 4 ||
		    ntohs(a.arp_op) != ARPOP_REPLY)
			continue;
		memcpy(&spa, a.arp_spa, 4);
		/* One reply answers every check waiting for that address there. */
		for (c = x->wait.head; c; c = next) {
			next = c->wait_next;
			if (c->ifindex == ifc->ifindex && c->addr.v4.s_addr == spa.s_addr)
				health_notify_done(c, HEALTH_OK, HEALTH_R_NONE, NULL);
		}
	}
}

static struct check_arp_if *check_arp_if(struct health_ctx *h, struct check_arp_ctx *x, int ifindex,
					 int *err)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ARP)};
	struct check_arp_if *ifc;
	struct ifreq ifr = {};
	int fd;

	for (size_t i = 0; i < x->nifs; i++)
		if (x->ifs[i].ifindex == ifindex)
			return &x->ifs[i];
	if (x->nifs == CHECK_ARP_IFS_MAX) {
		*err = -ENOSPC;
		return NULL;
	}
	fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ARP));
	if (fd < 0) {
		*err = -errno;
		return NULL;
	}
	sll.sll_ifindex = ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0 ||
	    !if_indextoname((unsigned int)ifindex, ifr.ifr_name) ||
	    ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		*err = -errno;
		close(fd);
		return NULL;
	}
	ifc = &x->ifs[x->nifs];
	ifc->ifindex = ifindex;
	ifc->fd = fd;
	memcpy(ifc->mac, ifr.ifr_hwaddr.sa_data, 6);
	*err = health_watch_shared(h, fd, check_arp_readable, ifc);
	if (*err) {
		close(fd);
		return NULL;
	}
	x->nifs++;
	return ifc;
}

/* The interface that holds @src: where the kernel would send to the real. */
static int check_arp_ifindex(const struct net_addr *src)
{
	struct ifaddrs *ifa, *i;
	int ifindex = 0;

	if (getifaddrs(&ifa) < 0)
		return -errno;
	for (i = ifa; i; i = i->ifa_next) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)i->ifa_addr;

		if (sin && sin->sin_family == AF_INET && sin->sin_addr.s_addr == src->v4.s_addr) {
			ifindex = (int)if_nametoindex(i->ifa_name);
			break;
		}
	}
	freeifaddrs(ifa);
	return ifindex > 0 ? ifindex : -ENODEV;
}

static int check_arp_start(struct health_check *c)
{
	struct check_arp_ctx *x = check_arp_ctx(c->h);
	struct sockaddr_ll to = {
	    .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ARP), .sll_halen = 6};
	struct check_arp_if *ifc;
	struct ether_arp a = {};
	int err;

	if (!x)
		return -ENOMEM;
	if (c->addr.family != AF_INET)
		return -EAFNOSUPPORT;
	if (!c->ifindex) {
		err = health_source_addr(&c->addr, &c->src);
		if (!err) {
			err = check_arp_ifindex(&c->src);
			c->ifindex = err > 0 ? err : 0;
		}
		if (err < 0) {
			/* No route or no interface for the real: nobody to ask. */
			health_notify_done(c, HEALTH_FAIL, health_reason_from_errno(-err),
					   strerror(-err));
			return 0;
		}
	}
	ifc = check_arp_if(c->h, x, c->ifindex, &err);
	if (!ifc)
		return err;
	a.arp_hrd = htons(ARPHRD_ETHER);
	a.arp_pro = htons(ETHERTYPE_IP);
	a.arp_hln = 6;
	a.arp_pln = 4;
	a.arp_op = htons(ARPOP_REQUEST);
	memcpy(a.arp_sha, ifc->mac, 6);
	memcpy(a.arp_spa, &c->src.v4, 4);
	memcpy(a.arp_tpa, &c->addr.v4, 4);
	to.sll_ifindex = c->ifindex;
	memset(to.sll_addr, 0xff, 6);
	if (sendto(ifc->fd, &a, sizeof(a), 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
		err = errno;
		c->ifindex = 0;
		if (health_errno_is_local(err))
			return -err;
		health_notify_done(c, HEALTH_FAIL, HEALTH_R_SOCKET_ERROR, strerror(err));
		return 0;
	}
	health_wait_add(&x->wait, c);
	return 0;
}

static void check_arp_on_event(struct health_check *c, uint32_t events)
{
}

static void check_arp_timeout(struct health_check *c)
{
	/* Next time, look the route up again: the real may have moved. */
	c->ifindex = 0;
	health_notify_done(c, HEALTH_FAIL, HEALTH_R_NO_ARP_REPLY, NULL);
}

static void check_arp_cancel(struct health_check *c)
{
	struct check_arp_ctx *x = *(struct check_arp_ctx **)health_kind_priv(c->h, HEALTH_ARP);

	if (x)
		health_wait_del(&x->wait, c);
}

static void check_arp_ctx_free(struct health_ctx *h)
{
	struct check_arp_ctx **p = (struct check_arp_ctx **)health_kind_priv(h, HEALTH_ARP);

	if (!*p)
		return;
	for (size_t i = 0; i < (*p)->nifs; i++) {
		health_unwatch_shared(h, (*p)->ifs[i].fd);
		close((*p)->ifs[i].fd);
	}
	free(*p);
	*p = NULL;
}

const struct health_checker_ops check_arp_ops = {
    .name = "arp",
    .start = check_arp_start,
    .on_event = check_arp_on_event,
    .timeout = check_arp_timeout,
    .cancel = check_arp_cancel,
    .ctx_free = check_arp_ctx_free,
};
