// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* rtnetlink (libmnl) for lo addresses, default route and tc filters; /proc/sys for sysctls. */
#include "xlb_rs_net.h"

#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "xlb/xlb_rs.h"

#define RS_NL_BUF 32768

/*
 * Sends @nlh and feeds every reply to @cb until the dump ends or the ack
 * arrives. Returns 0 or the negative errno the kernel answered with.
 */
static int rs_nl_talk(struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	unsigned int portid, seq = time(NULL);
	char *buf = NULL;
	int ret, err = 0;

	if (!nl)
		return -errno;
	buf = malloc(RS_NL_BUF);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	nlh->nlmsg_seq = seq;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		err = -errno;
		goto out;
	}
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, RS_NL_BUF);

		if (n < 0) {
			err = -errno;
			break;
		}
		ret = mnl_cb_run(buf, n, seq, portid, cb, data);
		if (ret < 0) {
			err = errno ? -errno : -EIO;
			break;
		}
		if (ret == MNL_CB_STOP)
			break;
	}
out:
	free(buf);
	mnl_socket_close(nl);
	return err;
}

static size_t rs_addr_len(const struct net_addr *a)
{
	return a->family == AF_INET ? sizeof(a->v4) : sizeof(a->v6);
}

static const void *rs_addr_bytes(const struct net_addr *a)
{
	return a->family == AF_INET ? (const void *)&a->v4 : (const void *)&a->v6;
}

struct rs_addr_query {
	int ifindex;
	const struct net_addr *addr;
	bool found;
};

static int rs_addr_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rs_addr_query *q = data;
	struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	size_t len = rs_addr_len(q->addr);
	struct nlattr *attr;

	if (nlh->nlmsg_type != RTM_NEWADDR || (int)ifa->ifa_index != q->ifindex ||
	    ifa->ifa_family != q->addr->family)
		return MNL_CB_OK;
	mnl_attr_for_each(attr, nlh, sizeof(*ifa))
	{
		int type = mnl_attr_get_type(attr);

		if ((type == IFA_LOCAL || type == IFA_ADDRESS) &&
		    mnl_attr_get_payload_len(attr) == len &&
		    memcmp(mnl_attr_get_payload(attr), rs_addr_bytes(q->addr), len) == 0)
			q->found = true;
	}
	return MNL_CB_OK;
}

int rs_addr_find(int ifindex, const struct net_addr *a, bool *found)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rs_addr_query q = {.ifindex = ifindex, .addr = a};
	struct ifaddrmsg *ifa;
	int err;

	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = a->family;
	err = rs_nl_talk(nlh, rs_addr_cb, &q);
	*found = q.found;
	return err;
}

static int rs_addr_change(int type, int ifindex, const struct net_addr *a)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	if (type == RTM_NEWADDR)
		nlh->nlmsg_flags |= NLM_F_CREATE | NLM_F_EXCL;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = a->family;
	ifa->ifa_prefixlen = a->family == AF_INET ? 32 : 128;
	/* lo never runs DAD; saying so keeps the address usable at once anywhere */
	ifa->ifa_flags = a->family == AF_INET6 ? IFA_F_NODAD : 0;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, rs_addr_len(a), rs_addr_bytes(a));
	mnl_attr_put(nlh, IFA_ADDRESS, rs_addr_len(a), rs_addr_bytes(a));
	return rs_nl_talk(nlh, NULL, NULL);
}

int rs_addr_add(int ifindex, const struct net_addr *a)
{
	return rs_addr_change(RTM_NEWADDR, ifindex, a);
}

int rs_addr_del(int ifindex, const struct net_addr *a)
{
	return rs_addr_change(RTM_DELADDR, ifindex, a);
}

struct rs_route_query {
	int family;
	int ifindex;
};

static int rs_route_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rs_route_query *q = data;
	struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	unsigned int table = rtm->rtm_table;
	struct nlattr *attr;
	int oif = 0;

	if (nlh->nlmsg_type != RTM_NEWROUTE || q->ifindex || rtm->rtm_dst_len != 0 ||
	    rtm->rtm_type != RTN_UNICAST)
		return MNL_CB_OK;
	mnl_attr_for_each(attr, nlh, sizeof(*rtm))
	{
		switch (mnl_attr_get_type(attr)) {
		case RTA_TABLE:
			table = mnl_attr_get_u32(attr);
			break;
		case RTA_OIF:
			oif = mnl_attr_get_u32(attr);
			break;
		case RTA_MULTIPATH:
			/* an ECMP default route: its first next hop's interface */
			if (!oif && mnl_attr_get_payload_len(attr) >= sizeof(struct rtnexthop))
				oif =
				    ((struct rtnexthop *)mnl_attr_get_payload(attr))->rtnh_ifindex;
			break;
		}
	}
	if (table == RT_TABLE_MAIN && oif)
		q->ifindex = oif;
	return MNL_CB_OK;
}

int rs_default_dev(char name[IF_NAMESIZE])
{
	static const int families[] = {AF_INET, AF_INET6};

	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		char buf[MNL_SOCKET_BUFFER_SIZE];
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
		struct rs_route_query q = {.family = families[i]};
		struct rtmsg *rtm;
		int err;

		nlh->nlmsg_type = RTM_GETROUTE;
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
		rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
		rtm->rtm_family = families[i];
		err = rs_nl_talk(nlh, rs_route_cb, &q);
		if (err)
			return err;
		if (q.ifindex)
			return if_indextoname(q.ifindex, name) ? 0 : -errno;
	}
	return -ENOENT;
}

static int rs_filter_cb(const struct nlmsghdr *nlh, void *data)
{
	struct tcmsg *tcm = mnl_nlmsg_get_payload(nlh);
	unsigned int prio = TC_H_MAJ(tcm->tcm_info) >> 16;
	bool *any = data;

	if (nlh->nlmsg_type != RTM_NEWTFILTER)
		return MNL_CB_OK;
	/* a dump lists each priority once with handle 0, then its filters */
	if (prio != XLB_RS_TC_PRIO || (tcm->tcm_handle != 0 && tcm->tcm_handle != XLB_RS_TC_HANDLE))
		*any = true;
	return MNL_CB_OK;
}

int rs_tc_other_filters(int ifindex, bool *any)
{
	static const unsigned int parents[] = {TC_H_MIN_INGRESS, TC_H_MIN_EGRESS};

	*any = false;
	for (size_t i = 0; i < sizeof(parents) / sizeof(parents[0]); i++) {
		char buf[MNL_SOCKET_BUFFER_SIZE];
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
		struct tcmsg *tcm;
		int err;

		nlh->nlmsg_type = RTM_GETTFILTER;
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
		tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
		tcm->tcm_family = AF_UNSPEC;
		tcm->tcm_ifindex = ifindex;
		tcm->tcm_parent = TC_H_MAKE(TC_H_CLSACT, parents[i]);
		err = rs_nl_talk(nlh, rs_filter_cb, any);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Only networking sysctls, by a plain relative path: no "." or ".."
 * component, no empty one, nothing absolute. Whatever a caller (or a state
 * file) says, xlb-rs never writes outside /proc/sys/net.
 */
static bool rs_sysctl_path_ok(const char *path)
{
	const char *p = path;

	if (strncmp(path, "net/", 4) || strlen(path) >= 200)
		return false;
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += n;
		if (*p == '/' && !*++p)
			return false; /* a trailing slash */
	}
	return true;
}

/* The fd, or a negative errno. */
static int rs_sysctl_open(const char *path, int flags)
{
	char file[256];
	int fd;

	if (!rs_sysctl_path_ok(path))
		return -EPERM;
	snprintf(file, sizeof(file), "/proc/sys/%s", path);
	fd = open(file, flags | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int rs_sysctl_read(const char *path, int *val)
{
	char text[32];
	ssize_t n;
	int fd, err = 0;

	fd = rs_sysctl_open(path, O_RDONLY);
	if (fd < 0)
		return fd;
	n = read(fd, text, sizeof(text) - 1);
	if (n < 0) {
		err = -errno;
	} else {
		char *end;

		text[n] = '\0';
		errno = 0;
		*val = strtol(text, &end, 10);
		if (errno || end == text)
			err = -EINVAL;
	}
	close(fd);
	return err;
}

int rs_sysctl_write(const char *path, int val)
{
	char text[32];
	int fd, len, err = 0;

	len = snprintf(text, sizeof(text), "%d\n", val);
	fd = rs_sysctl_open(path, O_WRONLY);
	if (fd < 0)
		return fd;
	if (write(fd, text, len) != len)
		err = errno ? -errno : -EIO;
	close(fd);
	return err;
}

int rs_netns_id(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/ns/net", buf, len - 1);

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}
