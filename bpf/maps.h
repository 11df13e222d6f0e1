/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The data plane's maps; xlbd pins them so flows survive a daemon restart. */
#ifndef XLB_BPF_MAPS_H
#define XLB_BPF_MAPS_H

#include "xlb/xlb_types.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct xlb_service_key);
	__type(value, struct xlb_service);
	__uint(max_entries, XLB_MAX_SERVICES);
} services SEC(".maps");

/* Two slots per service, see struct xlb_ring. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct xlb_ring);
	__uint(max_entries, XLB_MAX_SERVICES * 2);
} sched_rings SEC(".maps");

/* Per-service ring cursor; shared by all CPUs so rr order is global. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, XLB_MAX_SERVICES);
} sched_cursor SEC(".maps");

/*
 * An array indexed by real id: the verifier inlines the lookup (no helper
 * call, no hash) on every packet. xlbd writes an entry whole; fields that
 * change often (flags, weight, slow start) are single aligned words, and a
 * real's MAC or route changes only with its neighbour, where a packet in
 * flight may be lost anyway. Absent ids are all zero (no XLB_REAL_F_PRESENT).
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct xlb_real);
	__uint(max_entries, XLB_MAX_REALS);
} reals SEC(".maps");

/*
 * The "services" entries again, indexed by svc id: an established packet
 * finds its service through its flow, without hashing the VIP. xlbd writes
 * both (dataplane_service_put); only the hash is read for new flows.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct xlb_service);
	__uint(max_entries, XLB_MAX_SERVICES);
} svc_by_id SEC(".maps");

/*
 * Flows past their first packet (established TCP, UDP, FIN/RST). Sized from
 * flows.max by xlbd before load; a new handshake can evict only the least
 * recently used of these, never because SYNs arrive.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct xlb_flow_key);
	__type(value, struct xlb_flow);
	__uint(max_entries, 65536);
} flows SEC(".maps");

/*
 * TCP flows that have only sent SYNs: their own, smaller table, so a SYN
 * flood churns this one and leaves established flows alone. The first
 * packet after the SYN moves the flow into "flows". Sized by xlbd
 * (flows.syn_max).
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct xlb_flow_key);
	__type(value, struct xlb_flow);
	__uint(max_entries, 16384);
} syn_flows SEC(".maps");

/* Sized like flows by xlbd: one reply entry per nat/fnat flow. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct xlb_flow_key);
	__type(value, struct xlb_nat_rev);
	__uint(max_entries, 65536);
} nat_rev SEC(".maps");

/* Two tables (live and being written) per mh service slot. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, XLB_MH_SERVICES * 2 * XLB_MH_TABLE_SIZE);
} mh_tables SEC(".maps");

/* lblcr: destination -> its set of reals. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct xlb_loc_key);
	__type(value, struct xlb_locset);
	__uint(max_entries, 65536);
} locset_cache SEC(".maps");

/* lblcr works on a copy of a set: too big for the BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct xlb_locset);
	__uint(max_entries, 1);
} locset_scratch SEC(".maps");

/* lblc: destination -> its real. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct xlb_loc_key);
	__type(value, struct xlb_loc);
	__uint(max_entries, 65536);
} loc_cache SEC(".maps");

/* Sized like flows by xlbd. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct xlb_persist_key);
	__type(value, struct xlb_persist);
	__uint(max_entries, 65536);
} persist SEC(".maps");

/* A hash: replacing a service's address list is atomic. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, struct xlb_fnat_locals);
	__uint(max_entries, XLB_MAX_SERVICES);
} fnat_locals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct xlb_globals);
	__uint(max_entries, 1);
} globals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct xlb_stats);
	__uint(max_entries, XLB_MAX_SERVICES);
} svc_stats SEC(".maps");

/* See struct xlb_conns: the data plane's side. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct xlb_conns);
	__uint(max_entries, XLB_MAX_REALS);
} real_conns SEC(".maps");

/* See struct xlb_conns: the sweeper's side, read here by the schedulers. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct xlb_conns);
	__uint(max_entries, XLB_MAX_REALS);
} real_conns_swept SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct xlb_stats);
	__uint(max_entries, XLB_MAX_REALS);
} real_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, XLB_CNT_SLOTS);
} global_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct xlb_iface);
	__uint(max_entries, XLB_IFACE_SLOTS);
} iface_macs SEC(".maps");

/* Flow changes for connection sync (src/ha/sync.c reads them). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, XLB_FLOW_EVENTS_BYTES);
} flow_events SEC(".maps");

/* Interfaces XDP may redirect to, keyed by ifindex. */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 64);
} tx_ports SEC(".maps");

/* A real by id, or NULL if xlbd never wrote it (or deleted it). */
static __always_inline struct xlb_real *real_get(__u32 id)
{
	struct xlb_real *real = bpf_map_lookup_elem(&reals, &id);

	return real && (real->flags & XLB_REAL_F_PRESENT) ? real : NULL;
}

static __always_inline struct xlb_service *svc_get(__u32 id)
{
	struct xlb_service *svc = bpf_map_lookup_elem(&svc_by_id, &id);

	return svc && (svc->flags & XLB_SVC_F_ACTIVE) ? svc : NULL;
}

static __always_inline void count(enum xlb_counter which)
{
	__u32 key = which;
	__u64 *val = bpf_map_lookup_elem(&global_stats, &key);

	if (val)
		*val += 1;
}

static __always_inline void stats_add(void *map, __u32 id, __u64 bytes, bool new_flow)
{
	struct xlb_stats *st = bpf_map_lookup_elem(map, &id);

	if (!st)
		return;
	st->packets++;
	st->bytes += bytes;
	if (new_flow)
		st->new_flows++;
}

#endif /* XLB_BPF_MAPS_H */
