/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* xlb-rs's record of what it changed, so that `down` undoes exactly that. */
#ifndef XLB_RS_STATE_H
#define XLB_RS_STATE_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "xlb/xlb_method.h"
#include "xlb/xlb_rs.h"

#define RS_STATE_DIR_DEFAULT "/run/xlb-rs"
#define RS_SYSCTL_PATH_MAX 96

/* The only sysctls `up` changes, and the values it sets (under /proc/sys). */
#define RS_ARP_IGNORE "net/ipv4/conf/all/arp_ignore"
#define RS_ARP_ANNOUNCE "net/ipv4/conf/all/arp_announce"
#define RS_CONF_PREFIX "net/ipv4/conf/"
#define RS_RP_FILTER_SUFFIX "/rp_filter"
/* arp_ignore=1: answer ARP only for addresses of the asked interface (not lo's VIPs) */
#define RS_ARP_IGNORE_MIN 1
/* arp_announce=2: never use a lo VIP as the source of our own ARP requests */
#define RS_ARP_ANNOUNCE_MIN 2
#define RS_RP_FILTER_LOOSE 2
#define RS_RP_FILTER_STRICT 1
#define RS_MAX_SYSCTLS 64
#define RS_MAX_DEVS 32

/* One VIP that is up: file "vip-ADDR" in the state directory. */
struct rs_vip_rec {
	struct net_addr vip;
	int method;	       /* enum xlb_method: dr, tun, gue or dscp */
	uint8_t dscp;	       /* dscp only */
	uint16_t gue_port;     /* gue only, host order */
	char dev[IF_NAMESIZE]; /* where the tc program runs; "" for dr */
	int ifindex;
	bool addr_added; /* the VIP was not on lo before: down removes it */
};

/* A sysctl xlb-rs changed; restored when no VIP needs it any more. */
struct rs_sysctl_rec {
	char path[RS_SYSCTL_PATH_MAX]; /* under /proc/sys */
	int orig;
	int set;
};

/* A device xlb-rs attached its tc program to. */
struct rs_tc_rec {
	int ifindex;
	char dev[IF_NAMESIZE];
	bool clsact_created; /* the qdisc was not there before */
};

/*
 * The state directory, loaded and locked. The shared records (sysctls, tc)
 * live in the file "shared"; "netns" names the network namespace they
 * belong to, since /run is common to all namespaces of a host.
 */
struct rs_state {
	char dir[PATH_MAX];
	int dir_fd; /* every file is opened relative to it: the directory checked */
	int lock_fd;
	char netns[64];	     /* the namespace the state belongs to */
	char netns_here[64]; /* this process's */
	struct rs_vip_rec vips[XLB_RS_MAX_VIPS];
	size_t nvips;
	struct rs_sysctl_rec sysctls[RS_MAX_SYSCTLS];
	size_t nsysctls;
	struct rs_tc_rec tcs[RS_MAX_DEVS];
	size_t ntcs;
	char why[PATH_MAX + 512]; /* context of the last error, for the caller's message */
};

/*
 * Creates @dir if needed, takes its lock (exclusive to change, shared to
 * read) and loads every record. The records tell a root process what to
 * write back, so @dir must be a directory (not a symlink) owned by us (root)
 * that nobody else may enter (mode 0700): -EPERM otherwise, and -EINVAL for
 * a record `up` could not have written, both with the reason in @st->why.
 * -EXDEV: the records belong to another network namespace (both names in @st).
 */
int rs_state_open(struct rs_state *st, const char *dir, bool exclusive);
void rs_state_close(struct rs_state *st);

struct rs_vip_rec *rs_state_vip(struct rs_state *st, const struct net_addr *vip);
/* Adds or replaces @v, in memory and on disk. */
int rs_state_put_vip(struct rs_state *st, const struct rs_vip_rec *v);
int rs_state_del_vip(struct rs_state *st, const struct net_addr *vip);
/* Writes the shared records (or removes the file when there are none). */
int rs_state_save_shared(struct rs_state *st);

struct rs_sysctl_rec *rs_state_sysctl(struct rs_state *st, const char *path);
struct rs_tc_rec *rs_state_tc(struct rs_state *st, int ifindex);

/* A unicast address a host can own and `up` accepts as a VIP. */
bool rs_vip_ok(const struct net_addr *a);
/* An interface name the kernel would take (dev_valid_name()). */
bool rs_ifname_ok(const char *name);

const char *rs_method_name(int method);
int rs_method_parse(const char *name, int *method);
static inline bool rs_method_decaps(int method)
{
	return xlb_method_real_decaps(method);
}

#endif /* XLB_RS_STATE_H */
