/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Types shared by the XDP/tc data plane and xlbd: map keys, values, constants. */
#ifndef XLB_TYPES_H
#define XLB_TYPES_H

/*
 * Built by clang -target bpf (with vmlinux.h) and by the host compiler (with
 * <linux/types.h>); every struct uses fixed-width types and explicit padding
 * so both sides agree byte for byte.
 */
#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define XLB_MAX_SERVICES 1024
#define XLB_MAX_REALS 65536
/* Schedule ring entries per service (rr/wrr sequence; see src/sched/). */
#define XLB_RING_MAX 4096
#define XLB_DEFAULT_MAX_FLOWS 1000000
/* fnat: source addresses per service, and the source ports taken from each. */
#define XLB_FNAT_LOCAL_MAX 16
#define XLB_FNAT_PORT_MIN 1024
#define XLB_FNAT_PORT_MAX 32767
/* Candidate ports tried for a new fnat flow before it counts as exhausted. */
#define XLB_FNAT_PORT_TRIES 8

/* Address families as stored in keys (not AF_* so the BPF side needs no libc). */
enum xlb_family {
	XLB_FAMILY_V4 = 4,
	XLB_FAMILY_V6 = 6,
};

/*
 * Every forwarding method: M(ID, name in the config). The order gives the
 * value stored in configs and maps (pinned ones too): add new ones at the
 * end. What each method is (DSR, NAT, encapsulating...) is in xlb_method.h.
 */
#define XLB_METHODS(M)                                                                     \
	M(DR, "dr")                                                                        \
	M(TUN, "tun")                                                                      \
	M(GUE, "gue")                                                                      \
	M(DSCP, "dscp")                                                                    \
	M(NAT, "nat")                                                                      \
	M(FNAT, "fnat")                                                                    \
	M(PROXY, "proxy")

#define XLB_METHOD_ENUM_(id, name) XLB_METHOD_##id,
enum xlb_method { XLB_METHODS(XLB_METHOD_ENUM_) XLB_METHOD__COUNT };

/* How the data plane picks a real for a new flow: enum xlb_sched_kind. */
#include "xlb_sched.h"

#define XLB_LOC_SET_MAX 32

/* lblc: IPVS's lblc_expiration; an entry idle this long is forgotten. */
#define XLB_LOC_EXPIRE_NS (24ull * 3600 * 1000000000ull)

/* Maglev: a table of this (prime) size per mh service, at most this many services. */
#define XLB_MH_TABLE_SIZE 65537
#define XLB_MH_SERVICES 16
#define XLB_MH_SEED 2654435761u

#define XLB_SCHED_F_PORT (1u << 0) /* sh, mh: hash the source port too */
/* mh: an unavailable real's clients are rehashed (sh's fallback is in its table) */
#define XLB_SCHED_F_FALLBACK (1u << 1)
/* sh/dh tables have 2^8 buckets, as IPVS's */
#define XLB_SCHED_TAB_BITS 8
#define XLB_SCHED_NO_REAL 0xffffffffu

/*
 * An address of either family. IPv4 lives in addr[0] (network order), the
 * rest zero, so one key layout serves both families.
 */
struct xlb_addr {
	__u32 addr[4];
};

/* BPF map "loc_cache" (LRU hash), lblc: a destination's real. */
struct xlb_loc_key {
	struct xlb_addr daddr;
	__u32 svc_id;
	__u8 family;
	__u8 pad[3];
};

struct xlb_loc {
	__u64 lastuse_ns;
	__u32 real_id;
	__u32 pad;
};

/* BPF map "locset_cache" (LRU hash), lblcr: a destination's set, newest first. */
struct xlb_locset {
	__u64 lastuse_ns;
	__u64 lastmod_ns; /* when the set last changed */
	__u32 set_len;
	__u32 pad;
	__u32 set[XLB_LOC_SET_MAX];
};

/* BPF map "services": which (VIP, port, protocol) we balance. */
struct xlb_service_key {
	struct xlb_addr vip;
	__u16 port; /* network order */
	__u8 proto; /* IPPROTO_TCP / IPPROTO_UDP */
	__u8 family; /* enum xlb_family */
};

#define XLB_SVC_F_ACTIVE (1u << 0)
/* A TCP packet that is not a SYN and has no flow is dropped, not scheduled. */
#define XLB_SVC_F_MIDSTREAM_DROP (1u << 1)

struct xlb_service {
	__u32 svc_id; /* index into per-service arrays */
	__u32 flags;
	__u8 method; /* enum xlb_method */
	__u8 sched_kind; /* enum xlb_sched_kind */
	__u16 ring_slot; /* which of the service's two ring slots is live */
	__u8 dscp; /* method dscp: the DSCP that tells the real which VIP */
	__u8 sched_flags; /* XLB_SCHED_F_* */
	__u16 gue_port; /* method gue: outer UDP destination port, network order */
	__u32 persistence_ms; /* 0: off; else a client sticks to its real this long */
	__u32 mh_base; /* mh: index in "mh_tables" of the live table's first bucket */
};

/*
 * BPF map "persist" (LRU hash), for services with persistence (IPVS -p): a
 * client address's real, across all its connections and ports, until it has
 * opened no new connection for the service's persistence time.
 */
struct xlb_persist_key {
	struct xlb_addr client;
	__u32 svc_id;
	__u8 family;
	__u8 pad[3];
};

struct xlb_persist {
	__u32 real_id;
	__u32 real_gen;
	__u64 last_ns; /* the last new connection that used it */
};

/*
 * BPF map "sched_rings", index svc_id * 2 + ring_slot. xlbd writes the idle
 * slot and then flips ring_slot in the service entry (an atomic hash-map
 * replace), so the data plane never reads a half-written ring.
 */
struct xlb_ring {
	__u32 len;
	__u32 pad;
	__u32 real_ids[XLB_RING_MAX];
};

#define XLB_REAL_F_ACTIVE (1u << 0) /* present in config; existing flows may use it */
/* it may take new flows (usable, healthy): what mh checks after its lookup */
#define XLB_REAL_F_NEW_FLOWS (1u << 1)
/* set by dataplane_real_put on every entry it writes: "reals" is an array, absent ids are zero */
#define XLB_REAL_F_PRESENT (1u << 2)

/* BPF map "reals", key real_id: everything needed to forward to it. */
struct xlb_real {
	struct xlb_addr addr;
	__u32 gen; /* unique per allocation of this id; flows record it */
	__u32 flags;
	__u32 ifindex; /* egress interface */
	__u32 svc_id; /* owner; lets a restarted xlbd recover ids from the pinned map */
	__u8 dst_mac[6]; /* the real's, or the next hop's for routed methods */
	__u8 src_mac[6]; /* the egress interface's MAC */
	__u16 port; /* network order */
	__u8 family;
	__u8 pad;
	struct xlb_addr src_addr; /* tun/gue: outer source, the LB's address toward the real */
	__u16 mtu; /* of the egress interface: encapsulation must fit */
	__u16 slow_start; /* ramp progress in 1/256 (0: not ramping), see src/sched/slow_start.c */
	__u32 weight; /* count-based schedulers compare load / weight */
};

/* BPF map "flows" (LRU hash): one entry per client flow. */
struct xlb_flow_key {
	struct xlb_addr src;
	struct xlb_addr dst;
	__u16 sport;
	__u16 dport;
	__u8 proto;
	__u8 family;
	__u16 pad;
};

/*
 * A flow's connection state as the LB sees it: only client -> VIP packets for
 * the DSR methods, so like IPVS's "input only" table. ESTABLISHED counts as
 * an active connection of its real; every other state as inactive.
 */
enum xlb_flow_state {
	XLB_FS_NONE = 0, /* not counted anywhere (being created or already expired) */
	XLB_FS_SYN, /* SYN seen, no ACK yet */
	XLB_FS_EST, /* ACK after SYN, or a mid-stream pickup */
	XLB_FS_FIN, /* FIN seen */
	XLB_FS_CLOSE, /* RST seen */
	XLB_FS_UDP,
	XLB_FS__COUNT,
};

/*
 * Installed from a peer's sync record and not seen here since: such a flow
 * is not sent back in refreshes (two peers would keep each other's idle
 * flows alive forever). The first packet forwarded here clears it.
 */
#define XLB_FLOW_F_SYNCED (1u << 0)

struct xlb_flow {
	__u32 real_id;
	__u32 real_gen;
	__u32 svc_id;
	__u32 state; /* enum xlb_flow_state; 32 bits for compare-and-swap */
	__u64 last_seen_ns; /* bpf_ktime_get_ns() of the last packet */
	struct xlb_addr nat_addr; /* fnat: our source address toward the real */
	__u16 nat_port; /* fnat: our source port toward the real, network order */
	__u8 flags; /* XLB_FLOW_F_* */
	__u8 pad[5];
};

/*
 * Ring buffer "flow_events": the data plane reports a flow that became
 * established (or UDP), or finished (FIN/RST), for connection sync. SYN-only
 * flows are never reported, so a SYN flood costs sync nothing.
 */
struct xlb_flow_event {
	struct xlb_flow_key key;
	struct xlb_flow flow;
	struct xlb_addr real_addr; /* peers know reals by address, not by our ids */
	__u16 real_port; /* network order */
	__u16 pad[3];
};

#define XLB_FLOW_EVENTS_BYTES (4u << 20)

/*
 * BPF map "nat_rev" (LRU hash), for nat and fnat: key is a reply as it comes
 * from the real (src = real, dst = client for nat or our local address for
 * fnat); the value says what to rewrite it back to.
 */
struct xlb_nat_rev {
	struct xlb_addr client;
	struct xlb_addr vip;
	__u16 client_port; /* network order */
	__u16 vip_port; /* network order */
	__u32 svc_id;
};

/* BPF map "fnat_locals", key svc_id: the service's local_addresses. */
struct xlb_fnat_locals {
	__u32 count;
	__u32 pad;
	struct xlb_addr addrs[XLB_FNAT_LOCAL_MAX];
};

/*
 * BPF map "iface_macs", index ifindex % XLB_IFACE_SLOTS: the MAC of each
 * interface we are attached to. A frame to another unicast MAC reaches XDP
 * on veth, bridges and promiscuous NICs alike (an HA backup sees the
 * master's flooded frames): it is not ours to forward.
 */
#define XLB_IFACE_SLOTS 256

struct xlb_iface {
	__u32 ifindex; /* 0: slot unused */
	__u8 mac[6];
	__u16 pad;
};

/*
 * What the loaded program carries: xlbd sets these libbpf read-only globals
 * ("xlb_spec" in .rodata) from the config before loading, and the verifier
 * removes every path the config cannot reach (methods, schedulers, IPv6,
 * persistence, connection sync, nat replies). The defaults (everything on,
 * exact clocks) are what the packet tests load.
 */
#define XLB_FEAT_V6 (1u << 0) /* an IPv6 VIP */
#define XLB_FEAT_PERSIST (1u << 1) /* a service with persistence */
#define XLB_FEAT_SYNC (1u << 2) /* connection sync: flow_events */
#define XLB_FEAT_MIDSTREAM_DROP (1u << 3) /* a service with midstream: drop */

struct xlb_dp_spec {
	__u32 methods; /* bit (1 << enum xlb_method) per method in use */
	__u32 scheds; /* bit (1 << enum xlb_sched_kind) per scheduler kind in use */
	__u32 features; /* XLB_FEAT_* */
	__u32 pad;
	/*
	 * A flow's last_seen_ns is refreshed (from the coarse clock) only when
	 * it is older than this, so a busy flow writes its shared entry at
	 * most once per period, not once per packet. 0: every packet, exact.
	 */
	__u64 touch_ns;
};

/* BPF map "globals", key 0: knobs that are cheaper to check than to look up. */
struct xlb_globals {
	__u32 nat_services; /* services with nat or fnat: replies need a nat_rev lookup */
	__u32 pad;
};

/*
 * Connection counts per real. "real_conns" is changed only by the data plane
 * (atomic adds on state changes); "real_conns_swept" only by xlbd's sweeper
 * (what it expired). A real's counts are the difference, so neither side
 * ever overwrites the other's updates.
 */
struct xlb_conns {
	__s64 active;
	__s64 inactive;
};

/* Per-CPU counters for services and reals ("svc_stats", "real_stats"). */
struct xlb_stats {
	__u64 packets;
	__u64 bytes;
	__u64 new_flows;
};

/* Global per-CPU counters ("global_stats"): why packets went where. */
enum xlb_counter {
	XLB_CNT_RX = 0, /* every packet the program saw */
	XLB_CNT_PASS_NOT_IP, /* non-IP frames (ARP, LLDP, ...) */
	XLB_CNT_PASS_NO_SERVICE, /* IP, but not a VIP:port we balance */
	XLB_CNT_PASS_MALFORMED, /* truncated or invalid headers */
	XLB_CNT_PASS_FRAGMENT, /* IPv4 fragments, IPv6 fragment headers (any address) */
	XLB_CNT_DROP_NO_REAL, /* service has no usable real */
	XLB_CNT_DROP_BAD_REAL, /* ring pointed at a missing real */
	XLB_CNT_FWD_TX, /* forwarded on the ingress interface */
	XLB_CNT_FWD_REDIRECT, /* forwarded to another interface */
	XLB_CNT_NEW_FLOW,
	XLB_CNT_FLOW_MIDSTREAM, /* TCP non-SYN without a flow: scheduled as new */
	XLB_CNT_FLOW_STALE_REAL, /* flow's real gone or reused: rescheduled */
	XLB_CNT_ENCAP_FAILED, /* no room to encapsulate (driver headroom): dropped */
	XLB_CNT_ICMP_TOO_BIG, /* encapsulated size > MTU: ICMP sent to the client */
	XLB_CNT_DROP_TOO_BIG, /* too big, and no ICMP possible (DF clear, tc mode): dropped */
	XLB_CNT_NAT_REPLY, /* nat/fnat replies rewritten back to the VIP */
	XLB_CNT_NAT_REPLY_TO_STACK, /* ...whose next hop the kernel has to resolve first */
	XLB_CNT_FNAT_NO_PORT, /* fnat: no free local port for a new flow: dropped */
	XLB_CNT_ICMP_TO_REAL, /* ICMP errors about a flow's replies, sent on to its real */
	XLB_CNT_PASS_ICMP_NO_FLOW, /* ...quoting no known flow, or a nat/fnat flow: passed */
	XLB_CNT_PERSIST_HIT, /* new flows sent to a client's persistent real */
	XLB_CNT_DROP_MIDSTREAM, /* ...and dropped, by the service's midstream: drop */
	XLB_CNT_SYNC_EVENT_LOST, /* flow_events full: a flow change not reported to sync */
	XLB_CNT_PASS_OTHER_HOST, /* unicast to another MAC (a flooded frame): passed */
	XLB_CNT_FLOW_INSERT, /* flows created in "flows" by the data plane */
	XLB_CNT_SYN_INSERT, /* flows created in "syn_flows" (a first SYN) */
	XLB_CNT_SYN_REMOVED, /* deleted from "syn_flows" by the data plane (moved on, or real gone) */
	XLB_CNT_DROP_REWRITE, /* a header rewrite found the frame too short: dropped */
	XLB_CNT_MIDSTREAM_MH, /* of flow_midstream: scheduled by mh's hash (the real every LB picks) */
	XLB_CNT__COUNT,
};

/* "global_stats" has room for counters added later: a pinned map keeps its size across upgrades. */
#define XLB_CNT_SLOTS 64

#endif /* XLB_TYPES_H */
