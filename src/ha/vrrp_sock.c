// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* VRRP's raw sockets: IPv4 hands us the IP header, IPv6 the hop limit and destination as cmsgs. */
#include "ha/vrrp_sock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ha/vrrp_packet.h"

static int vrrp_sock_setup4(int fd, int ifindex)
{
	struct ip_mreqn mr = {.imr_ifindex = ifindex};
	int ttl = VRRP_TTL, off = 0, tos = 0xc0; /* internetwork control, as routers send it */

	inet_pton(AF_INET, VRRP_MCAST4, &mr.imr_multiaddr);
	if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0)
		return -errno;
	memset(&mr.imr_multiaddr, 0, sizeof(mr.imr_multiaddr));
	if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof(mr)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &off, sizeof(off)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos)) < 0)
		return -errno;
	return 0;
}

static int vrrp_sock_setup6(int fd, int ifindex)
{
	struct ipv6_mreq mr = {.ipv6mr_interface = (unsigned)ifindex};
	int hops = VRRP_TTL, off = 0, on = 1;

	inet_pton(AF_INET6, VRRP_MCAST6, &mr.ipv6mr_multiaddr);
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr, sizeof(mr)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof(ifindex)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof(hops)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &off, sizeof(off)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on, sizeof(on)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on)) < 0)
		return -errno;
	/* No IPV6_CHECKSUM: the kernel would drop bad ones unseen; we check and count. */
	return 0;
}

int vrrp_sock_open(int family, int ifindex, const char *ifname)
{
	int fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, VRRP_IPPROTO);
	int err;

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)) < 0)
		err = -errno;
	else
		err = family == AF_INET ? vrrp_sock_setup4(fd, ifindex)
					: vrrp_sock_setup6(fd, ifindex);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

int vrrp_sock_send(int fd, int ifindex, const struct net_addr *src, const struct net_addr *dst,
		   const uint8_t *msg, size_t len)
{
	union {
		struct sockaddr_in v4;
		struct sockaddr_in6 v6;
	} to = {};
	char cbuf[CMSG_SPACE(sizeof(struct in6_pktinfo))] = {};
	struct iovec iov = {.iov_base = (void *)msg, .iov_len = len};
	struct msghdr mh = {.msg_name = &to, .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf};
	struct cmsghdr *cm = (struct cmsghdr *)cbuf;

	/* The source address goes in a pktinfo cmsg: binding to it would also
	 * filter what we receive by destination, and we receive multicast. */
	if (src->family == AF_INET) {
		struct in_pktinfo pi = {.ipi_ifindex = ifindex, .ipi_spec_dst = src->v4};

		to.v4.sin_family = AF_INET;
		to.v4.sin_addr = dst->v4;
		mh.msg_namelen = sizeof(to.v4);
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		mh.msg_controllen = CMSG_SPACE(sizeof(pi));
	} else {
		struct in6_pktinfo pi = {.ipi6_addr = src->v6, .ipi6_ifindex = (unsigned)ifindex};

		to.v6.sin6_family = AF_INET6;
		to.v6.sin6_addr = dst->v6;
		to.v6.sin6_scope_id = (uint32_t)ifindex;
		mh.msg_namelen = sizeof(to.v6);
		cm->cmsg_level = IPPROTO_IPV6;
		cm->cmsg_type = IPV6_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		mh.msg_controllen = CMSG_SPACE(sizeof(pi));
	}
	if (sendmsg(fd, &mh, MSG_DONTWAIT) < 0)
		return -errno;
	return 0;
}

int vrrp_sock_recv(int fd, int family, uint8_t *buf, size_t size, struct vrrp_rx *rx)
{
	struct sockaddr_in6 from6 = {};
	char cbuf[CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(struct in6_pktinfo)) + 64];
	struct iovec iov = {.iov_base = buf, .iov_len = size};
	struct msghdr mh = {.msg_name = &from6,
			    .msg_namelen = sizeof(from6),
			    .msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf)};
	ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);
	uint8_t ttl;

	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
	memset(rx, 0, sizeof(*rx));
	rx->ttl = -1;
	if (family == AF_INET) {
		size_t off = vrrp_ipv4_header(buf, (size_t)n, &rx->src, &rx->dst, &ttl);

		if (!off) {
			rx->bad_ip = true;
			return 1;
		}
		rx->ttl = ttl;
		rx->msg = buf + off;
		rx->len = (size_t)n - off;
		return 1;
	}
	rx->src.family = rx->dst.family = AF_INET6;
	rx->src.v6 = from6.sin6_addr;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != IPPROTO_IPV6)
			continue;
		if (cm->cmsg_type == IPV6_HOPLIMIT)
			memcpy(&rx->ttl, CMSG_DATA(cm), sizeof(int));
		else if (cm->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			rx->dst.v6 = pi.ipi6_addr;
		}
	}
	rx->msg = buf;
	rx->len = (size_t)n;
	return 1;
}

int vrrp_local_addr(const char *ifname, int family, const struct net_addr *skip, size_t nskip,
		    struct net_addr *out)
{
	struct ifaddrs *list, *ifa;
	int err = -EADDRNOTAVAIL;

	if (getifaddrs(&list) < 0)
		return -errno;
	for (ifa = list; ifa; ifa = ifa->ifa_next) {
		struct net_addr a = {.family = family};
		bool skipped = false;

		if (!ifa->ifa_addr || ifa->ifa_addr->sa_family != family ||
		    strcmp(ifa->ifa_name, ifname) != 0)
			continue;
		if (family == AF_INET) {
			a.v4 = ((struct sockaddr_in *)ifa->ifa_addr)->sin_addr;
			for (size_t i = 0; i < nskip; i++)
				skipped |= net_addr_equal(&a, &skip[i]);
			if (skipped)
				continue;
		} else {
			a.v6 = ((struct sockaddr_in6 *)ifa->ifa_addr)->sin6_addr;
			if (!IN6_IS_ADDR_LINKLOCAL(&a.v6))
				continue;
		}
		*out = a;
		err = 0;
		break;
	}
	freeifaddrs(list);
	return err;
}
