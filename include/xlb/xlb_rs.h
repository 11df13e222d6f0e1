/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Types shared by the real-server tc program (bpf/xlb_rs.bpf.c) and xlb-rs. */
#ifndef XLB_RS_H
#define XLB_RS_H

#include "xlb/xlb_types.h"

/*
 * Where xlb-rs sits on a device's clsact ingress. A fixed handle and
 * priority let a later run find the program with a tc query alone (no bpffs,
 * which `ip netns exec` hides); both spell "RS", away from xlbd's 1/1.
 */
#define XLB_RS_TC_HANDLE 0x5253
#define XLB_RS_TC_PRIO 0x5253
#define XLB_RS_PROG_NAME "xlb_rs_ingress"

#define XLB_RS_GUE_PORT_DEFAULT 6080
#define XLB_RS_MAX_VIPS 256
#define XLB_RS_DSCP_MAX 63

/* Map "rs_vips" and "rs_vip_stats": a VIP this device decapsulates for. */
struct xlb_rs_vip_key {
	struct xlb_addr vip; /* IPv4 in addr[0], network order */
	__u8 family;	     /* enum xlb_family */
	__u8 pad[3];
};

struct xlb_rs_vip {
	__u8 method;	/* XLB_METHOD_TUN, XLB_METHOD_GUE or XLB_METHOD_DSCP */
	__u8 dscp;	/* dscp: the code point the LB marks this VIP's packets with */
	__u16 gue_port; /* gue: the UDP destination port, network order */
	__u32 pad;
};

/* Map "rs_dscp": (family, DSCP) -> the VIP that DSCP stands for. */
struct xlb_rs_dscp_key {
	__u8 family;
	__u8 dscp;
	__u16 pad;
};

/* Map "rs_gue_ports": UDP port (network order) -> number of gue VIPs using it. */

/* Per-CPU map "rs_vip_stats", keyed like rs_vips: what was handed to the VIP. */
struct xlb_rs_vip_stats {
	__u64 packets;
	__u64 bytes; /* after decapsulation */
};

/* Per-CPU array "rs_stats": what happened to each packet the program saw. */
enum xlb_rs_counter {
	XLB_RS_CNT_RX = 0,	   /* every packet */
	XLB_RS_CNT_DECAP_TUN,	   /* IPIP / IPv6-in-IPv6 removed */
	XLB_RS_CNT_DECAP_GUE,	   /* IP-in-UDP (GUE variant 1) removed */
	XLB_RS_CNT_DSCP_RESTORED,  /* destination := VIP by DSCP */
	XLB_RS_CNT_PASS_NOT_IP,	   /* neither IPv4 nor IPv6 at the Ethernet layer */
	XLB_RS_CNT_PASS_NOT_OURS,  /* IP, but no configured VIP/DSCP/port matched */
	XLB_RS_CNT_PASS_MALFORMED, /* truncated or invalid outer or inner headers */
	XLB_RS_CNT_PASS_FRAGMENT,  /* fragmented tunnel packet, or IPv6 DSCP fragment */
	XLB_RS_CNT_PASS_GSO,	   /* aggregated GUE datagrams: cannot be cut apart here */
	XLB_RS_CNT_ERROR,	   /* a helper failed: passed if still untouched, else dropped */
	XLB_RS_CNT__COUNT,
};

#endif /* XLB_RS_H */
