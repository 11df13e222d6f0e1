// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Adds and removes virtual addresses, and announces them with gratuitous ARP / unsolicited NA. */
#include "ha/vip_announce.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/rtnetlink.h>
#include <net/if_arp.h>
#include <netinet/icmp6.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct vip_nl {
	struct mnl_socket *sock;
	unsigned int portid;
	unsigned int seq;
};

int vip_nl_open(struct vip_nl **out)
{
	struct vip_nl *nl = calloc(1, sizeof(*nl));
	int err;

	if (!nl)
		return -ENOMEM;
	nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl->sock || mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		vip_nl_close(nl);
		return err;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (unsigned int)time(NULL);
	*out = nl;
	return 0;
}

void vip_nl_close(struct vip_nl *nl)
{
	if (!nl)
		return;
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl);
}

/* Sends one request and waits for its ack; 0 or the kernel's negative errno. */
static int vip_nl_ack(struct vip_nl *nl, struct nlmsghdr *nlh)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned int seq = ++nl->seq;

	nlh->nlmsg_seq = seq;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl->sock, buf, sizeof(buf));
		int ret;

		if (n < 0)
			return -errno;
		ret = mnl_cb_run(buf, (size_t)n, seq, nl->portid, NULL, NULL);
		if (ret < 0) {
			/* A stale reply to an earlier request that timed out: skip it. */
			if (errno == EPROTO || errno == ESRCH)
				continue;
			return -errno;
		}
		if (ret == MNL_CB_STOP)
			return 0;
	}
}

int vip_addr_set(struct vip_nl *nl, int ifindex, const struct net_addr *a, bool present)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	size_t len = a->family == AF_INET ? 4 : 16;
	const void *bytes = a->family == AF_INET ? (const void *)&a->v4 : (const void *)&a->v6;
	struct ifaddrmsg *ifa;
	int err;

	nlh->nlmsg_type = present ? RTM_NEWADDR : RTM_DELADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	if (present)
		nlh->nlmsg_flags |= NLM_F_CREATE | NLM_F_EXCL;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)a->family;
	ifa->ifa_prefixlen = a->family == AF_INET ? 32 : 128;
	/* The address moves between routers that agree on who has it: no DAD. */
	ifa->ifa_flags = a->family == AF_INET6 ? IFA_F_NODAD : 0;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, len, bytes);
	mnl_attr_put(nlh, IFA_ADDRESS, len, bytes);
	err = vip_nl_ack(nl, nlh);
	if (present && err == -EEXIST)
		return 0;
	if (!present && (err == -EADDRNOTAVAIL || err == -ENOENT || err == -ESRCH))
		return 0;
	return err;
}

/* ARP request "who has VIP? tell VIP" from our MAC to broadcast: the classic GARP. */
static int vip_garp(int ifindex, const uint8_t mac[6], const struct net_addr *a)
{
	struct sockaddr_ll sll = {
	    .sll_family = AF_PACKET,
	    .sll_protocol = htons(ETH_P_ARP),
	    .sll_ifindex = ifindex,
	    .sll_halen = ETH_ALEN,
	    .sll_addr = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
	};
	uint8_t pkt[sizeof(struct arphdr) + 2 * (ETH_ALEN + 4)];
	struct arphdr *ah = (struct arphdr *)pkt;
	uint8_t *p = pkt + sizeof(*ah);
	int fd, err = 0;

	ah->ar_hrd = htons(ARPHRD_ETHER);
	ah->ar_pro = htons(ETH_P_IP);
	ah->ar_hln = ETH_ALEN;
	ah->ar_pln = 4;
	ah->ar_op = htons(ARPOP_REQUEST);
	memcpy(p, mac, ETH_ALEN);
	memcpy(p + ETH_ALEN, &a->v4.s_addr, 4);
	memset(p + ETH_ALEN + 4, 0, ETH_ALEN);
	memcpy(p + 2 * ETH_ALEN + 4, &a->v4.s_addr, 4);
	fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		err = -errno;
	close(fd);
	return err;
}

/* Unsolicited NA, override set, to all nodes: neighbours replace their entry (RFC 4861 7.2.6). */
static int vip_unsolicited_na(int ifindex, const uint8_t mac[6], const struct net_addr *a)
{
	struct sockaddr_in6 dst = {.sin6_family = AF_INET6, .sin6_scope_id = (uint32_t)ifindex};
	struct {
		struct nd_neighbor_advert na;
		struct nd_opt_hdr opt;
		uint8_t mac[ETH_ALEN];
	} __attribute__((packed)) pkt;
	int fd, hops = 255, err = 0;

	memset(&pkt, 0, sizeof(pkt));
	pkt.na.nd_na_type = ND_NEIGHBOR_ADVERT;
	pkt.na.nd_na_flags_reserved = ND_NA_FLAG_OVERRIDE;
	pkt.na.nd_na_target = a->v6;
	pkt.opt.nd_opt_type = ND_OPT_TARGET_LINKADDR;
	pkt.opt.nd_opt_len = 1; /* units of 8 bytes */
	memcpy(pkt.mac, mac, ETH_ALEN);
	inet_pton(AF_INET6, "ff02::1", &dst.sin6_addr);
	/* The kernel fills in the ICMPv6 checksum on raw ICMPv6 sockets. */
	fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof(ifindex)) < 0 ||
	    sendto(fd, &pkt, sizeof(pkt), 0, (struct sockaddr *)&dst, sizeof(dst)) < 0)
		err = -errno;
	close(fd);
	return err;
}

int vip_announce(int ifindex, const uint8_t mac[6], const struct net_addr *a)
{
	return a->family == AF_INET ? vip_garp(ifindex, mac, a)
				    : vip_unsolicited_na(ifindex, mac, a);
}
