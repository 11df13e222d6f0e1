/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* xlb-rs's tc program per device: load, attach, find again by tc query, fill its maps. */
#ifndef XLB_RS_BPF_H
#define XLB_RS_BPF_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "xlb/xlb_rs.h"

struct xlb_rs_bpf;

/* The program on one device and its maps, whether this run loaded it or found it. */
struct rs_prog {
	struct xlb_rs_bpf *skel; /* set when this run loaded it */
	int prog_fd;
	__u32 prog_id;
	int map_vips, map_dscp, map_gue_ports, map_stats, map_vip_stats;
};

/* One VIP as the maps hold it. */
struct rs_bpf_vip {
	struct xlb_rs_vip_key key;
	struct xlb_rs_vip val;
};

void rs_bpf_vip_make(struct rs_bpf_vip *out, const struct net_addr *vip, int method, uint8_t dscp,
		     uint16_t gue_port);

/* Loads the program without attaching it (tests run it with BPF_PROG_TEST_RUN). */
int rs_bpf_load(struct rs_prog *p);

/*
 * Finds xlb-rs's filter on @ifindex's clsact ingress and opens its maps.
 * -ENOENT: nothing at xlb-rs's handle/priority; -EBUSY: another program is
 * there (its id in p->prog_id); -EPROTO: an xlb-rs program whose maps do not
 * match this build's.
 */
int rs_bpf_find(int ifindex, struct rs_prog *p);

/* Loads and attaches to @ifindex; *clsact_created: the qdisc had to be made. */
int rs_bpf_attach(int ifindex, struct rs_prog *p, bool *clsact_created);

/* Removes xlb-rs's filter from @ifindex and, with @clsact too, the clsact qdisc. */
int rs_bpf_detach(int ifindex, bool clsact);

void rs_bpf_close(struct rs_prog *p);

/* Makes the maps hold exactly @vips: adds and updates first, then removes the rest. */
int rs_bpf_sync(const struct rs_prog *p, const struct rs_bpf_vip *vips, size_t n);

/* How many VIPs the maps hold that @vips does not name (someone else's). */
int rs_bpf_foreign_vips(const struct rs_prog *p, const struct rs_bpf_vip *vips, size_t n,
			size_t *foreign);

/* Counters summed over CPUs. */
int rs_bpf_counters(const struct rs_prog *p, __u64 out[XLB_RS_CNT__COUNT]);
int rs_bpf_vip_stats(const struct rs_prog *p, const struct xlb_rs_vip_key *key,
		     struct xlb_rs_vip_stats *out);
const char *rs_bpf_counter_name(int counter);

#endif /* XLB_RS_BPF_H */
