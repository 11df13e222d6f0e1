// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xlb data plane. xlb_decide() works on (data, data_end) alone: parse, find
 * the service and flow, schedule a new flow, count, and return a plan. The
 * entry points (XDP native/generic, tc clsact ingress) apply the plan with
 * their hook's own helpers where the packet must grow, and map the verdict.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define TC_ACT_OK 0
#define TC_ACT_SHOT 2

#include "parse.h"
#include "maps.h"
#include "spec.h"
#include "sched.h"
#include "fwd_dr.h"
#include "fwd_dscp.h"
#include "fwd_encap.h"
#include "fwd_nat.h"
#include "conn_state.h"
#include "flow_sync.h"
#include "icmp_too_big.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* See plan_scratch(). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct fwd_plan);
	__uint(max_entries, 1);
} plan_scratch_map SEC(".maps");

enum verdict {
	VERDICT_PASS = 0, /* not ours: the kernel stack gets it untouched */
	VERDICT_DROP,
	VERDICT_FWD, /* send toward args.real (or, for a nat reply, per plan.rev) */
};

static __always_inline bool tcp_is_syn(const struct packet *pkt)
{
	return pkt->key.proto == IPPROTO_TCP &&
	       (pkt->tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN;
}

/* The flow's real if it still exists under the same generation, else NULL. */
static __always_inline struct xlb_real *flow_real(const struct xlb_flow *flow)
{
	struct xlb_real *real = real_get(flow->real_id);

	if (!real || real->gen != flow->real_gen || !(real->flags & XLB_REAL_F_ACTIVE))
		return NULL;
	return real;
}

/*
 * last_seen_ns := now, but with a touch period only once per period: a busy
 * flow then writes its entry (shared by every CPU) a few times a minute
 * instead of once per packet. Returns true when it wrote.
 */
static __always_inline bool flow_touch(struct xlb_flow *flow)
{
	__u64 now;

	if (!xlb_spec.touch_ns) {
		flow->last_seen_ns = bpf_ktime_get_ns();
		return true;
	}
	now = bpf_ktime_get_coarse_ns();
	if (now - flow->last_seen_ns < xlb_spec.touch_ns)
		return false;
	flow->last_seen_ns = now;
	return true;
}

/*
 * Follows the flow's TCP state; the compare-and-swap makes one CPU count (and
 * report to sync) each change. Writes nothing for a packet that changes
 * nothing (the common case: an ACK of an established flow within the touch
 * period). Returns true when the flow's clock was refreshed.
 */
static __always_inline bool flow_track(struct xlb_flow *flow, const struct packet *pkt,
				       const struct xlb_real *real)
{
	__u32 cur = flow->state;
	__u32 next = conn_next_state(cur, pkt->key.proto, pkt->tcp_flags);
	bool touched = flow_touch(flow);

	if (flow->flags & XLB_FLOW_F_SYNCED)
		flow->flags &= ~XLB_FLOW_F_SYNCED;
	if (next != cur && __sync_val_compare_and_swap(&flow->state, cur, next) == cur) {
		conn_count_move(flow->real_id, cur, next);
		if (feature_on(XLB_FEAT_SYNC) && flow_sync_wanted(next))
			flow_sync_emit(&pkt->key, flow, real);
	}
	return touched;
}

/*
 * Persistence: the client's real if it opened a connection to the service
 * within the persistence time and that real still takes new flows; the
 * entry's clock restarts with every new connection that uses it.
 */
static __always_inline int persist_pick(const struct xlb_service *svc, const struct packet *pkt,
					__u32 *real_id)
{
	struct xlb_persist_key key = {
		.client = pkt->key.src,
		.svc_id = svc->svc_id,
		.family = pkt->key.family,
	};
	struct xlb_persist *p = bpf_map_lookup_elem(&persist, &key);
	__u64 now = bpf_ktime_get_ns();
	struct xlb_real *real;
	__u32 id;

	if (!p || now - p->last_ns > (__u64)svc->persistence_ms * 1000000)
		return -1;
	id = p->real_id;
	real = real_get(id);
	/* Gone, reused, removed, drained or out of new flows: the client is scheduled afresh. */
	if (!real || real->gen != p->real_gen || !(real->flags & XLB_REAL_F_ACTIVE) ||
	    !(real->flags & XLB_REAL_F_NEW_FLOWS) || !real->weight)
		return -1;
	p->last_ns = now;
	*real_id = id;
	count(XLB_CNT_PERSIST_HIT);
	return 0;
}

static __always_inline void persist_remember(const struct xlb_service *svc,
					     const struct packet *pkt, __u32 real_id,
					     const struct xlb_real *real)
{
	struct xlb_persist_key key = {
		.client = pkt->key.src,
		.svc_id = svc->svc_id,
		.family = pkt->key.family,
	};
	struct xlb_persist val = {
		.real_id = real_id,
		.real_gen = real->gen,
		.last_ns = bpf_ktime_get_ns(),
	};

	bpf_map_update_elem(&persist, &key, &val, BPF_ANY);
}

/* A flow leaving its real (gone, reused, or removed): its count leaves too. */
static __always_inline void flow_uncount_stale(struct xlb_flow *flow)
{
	__u32 real_id = flow->real_id;
	struct xlb_real *old = real_get(real_id);
	__u32 cur = flow->state;

	/* A reused id's counts were reset for its new owner: nothing to undo. */
	if (!old || old->gen != flow->real_gen)
		return;
	if (cur != XLB_FS_NONE && __sync_val_compare_and_swap(&flow->state, cur, XLB_FS_NONE) == cur)
		conn_count_move(real_id, cur, XLB_FS_NONE);
}

static __always_inline __u8 inner_tos(void *data, void *data_end, const struct packet *pkt)
{
	void *l3 = pkt_at(data, pkt->l3_off);

	if (!l3)
		return 0;
	if (pkt->key.family == XLB_FAMILY_V4) {
		struct iphdr *ip = l3;

		return (void *)(ip + 1) <= data_end ? ip->tos : 0;
	}
	if (l3 + 2 > data_end)
		return 0;
	return (__u8)(bpf_ntohs(*(__u16 *)l3) >> 4);
}

static __always_inline bool method_encapsulates(__u8 method)
{
	return (method == XLB_METHOD_TUN && method_on(XLB_METHOD_TUN)) ||
	       (method == XLB_METHOD_GUE && method_on(XLB_METHOD_GUE));
}

/* The service's part of the forwarding arguments (the real's is set by the caller). */
static __always_inline void args_from_service(void *data, void *data_end, const struct packet *pkt,
					      const struct xlb_service *svc, struct fwd_args *a)
{
	a->method = svc->method;
	a->dscp = svc->dscp;
	a->gue_port = svc->gue_port;
	a->family = pkt->key.family;
	a->ip_len = pkt->ip_len;
	a->l2_len = pkt->l3_off;
	if (method_encapsulates(a->method)) {
		a->inner_tos = inner_tos(data, data_end, pkt);
		/* IPv4 needs the hash only for GUE's source port */
		if (a->method == XLB_METHOD_GUE || a->family == XLB_FAMILY_V6)
			a->flow_hash = flow_hash(&pkt->key);
	}
}

/* Parses the frame and counts it; VERDICT_FWD means "a TCP/UDP packet (or ICMP error) to look up". */
static __always_inline enum verdict xlb_parse(void *data, void *data_end, struct packet *pkt)
{
	count(XLB_CNT_RX);
	switch (parse_packet(data, data_end, pkt, feature_on(XLB_FEAT_V6))) {
	case PARSE_OK:
		return VERDICT_FWD;
	case PARSE_NOT_IP:
		count(XLB_CNT_PASS_NOT_IP);
		return VERDICT_PASS;
	case PARSE_FRAGMENT:
		count(XLB_CNT_PASS_FRAGMENT);
		return VERDICT_PASS;
	case PARSE_OTHER_L4:
		count(XLB_CNT_PASS_NO_SERVICE);
		return VERDICT_PASS;
	default:
		count(XLB_CNT_PASS_MALFORMED);
		return VERDICT_PASS;
	}
}

/*
 * The established path: one hash lookup (the flow), then the real and the
 * service by id from arrays the verifier inlines. Returns true with @a
 * filled, or false (and the flow, if there was one) for the full path.
 */
static __always_inline bool xlb_established(void *data, void *data_end, struct packet *pkt,
					    struct fwd_args *a, struct xlb_flow **flow_out)
{
	struct xlb_service *svc;
	struct xlb_flow *flow;
	struct xlb_real *real;
	__u64 bytes = data_end - data;
	bool touched;

	if (pkt->icmp_error)
		return false;
	flow = bpf_map_lookup_elem(&flows, &pkt->key);
	*flow_out = flow;
	if (!flow)
		return false;
	real = flow_real(flow);
	svc = svc_get(flow->svc_id);
	if (!real || !svc)
		return false;
	touched = flow_track(flow, pkt, real);
	/* A nat reply entry evicted under pressure comes back within a touch period. */
	if (touched && svc->method == XLB_METHOD_NAT && method_on(XLB_METHOD_NAT))
		nat_remember(pkt, flow->svc_id, real);
	stats_add(&svc_stats, flow->svc_id, bytes, false);
	stats_add(&real_stats, flow->real_id, bytes, false);
	a->real = real;
	if (svc->method == XLB_METHOD_FNAT && method_on(XLB_METHOD_FNAT)) {
		a->nat_src = flow->nat_addr;
		a->nat_sport = flow->nat_port;
	}
	args_from_service(data, data_end, pkt, svc, a);
	return true;
}

enum syn_follow {
	SYN_NONE = 0, /* no entry: a new flow, or a mid-stream pickup */
	SYN_STALE, /* an entry whose real is gone: removed, the flow is scheduled again */
	SYN_FOLLOWED, /* *real_out is the flow's real */
};

/*
 * A TCP flow whose SYN created it in "syn_flows": its next packet moves it
 * to "flows" (a SYN retransmit leaves it where it is).
 */
static __always_inline enum syn_follow syn_flow_follow(const struct packet *pkt,
							struct fwd_plan *plan,
							struct xlb_real **real_out,
							__u32 *real_id)
{
	struct xlb_flow *syn = bpf_map_lookup_elem(&syn_flows, &pkt->key);
	struct xlb_real *real;
	__u32 cur, next;

	if (!syn)
		return SYN_NONE;
	real = flow_real(syn);
	if (!real) {
		count(XLB_CNT_FLOW_STALE_REAL);
		flow_uncount_stale(syn);
		if (bpf_map_delete_elem(&syn_flows, &pkt->key) == 0)
			count(XLB_CNT_SYN_REMOVED);
		return SYN_STALE;
	}
	/* read before the entry is deleted (another CPU may reuse it) */
	*real_out = real;
	*real_id = syn->real_id;
	plan->nat_src = syn->nat_addr;
	plan->nat_sport = syn->nat_port;
	cur = syn->state;
	next = conn_next_state(cur, pkt->key.proto, pkt->tcp_flags);
	if (next == XLB_FS_SYN) {
		syn->last_seen_ns = bpf_ktime_get_ns();
		return SYN_FOLLOWED;
	}
	/* Claim the move: of two CPUs with the handshake's ACK, one counts it. */
	if (__sync_val_compare_and_swap(&syn->state, cur, XLB_FS_NONE) != cur)
		return SYN_FOLLOWED;
	syn->state = next;
	syn->last_seen_ns = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&flows, &pkt->key, syn, BPF_NOEXIST) == 0) {
		count(XLB_CNT_FLOW_INSERT);
		conn_count_move(*real_id, cur, next);
		if (feature_on(XLB_FEAT_SYNC) && flow_sync_wanted(next))
			flow_sync_emit(&pkt->key, syn, real);
	} else {
		conn_count_move(*real_id, cur, XLB_FS_NONE);
	}
	if (bpf_map_delete_elem(&syn_flows, &pkt->key) == 0)
		count(XLB_CNT_SYN_REMOVED);
	return SYN_FOLLOWED;
}

/*
 * Everything but an established packet: a nat/fnat reply, an ICMP error, a
 * SYN, a handshake's last ACK, a stale flow, a mid-stream pickup. New flows
 * are scheduled here. @flow is what xlb_established() found (stale) or NULL.
 */
static __always_inline enum verdict xlb_decide(void *data, void *data_end, struct packet *pkt,
					       struct fwd_plan *plan, struct fwd_args *a,
					       struct xlb_flow *flow)
{
	struct xlb_service_key svc_key = {};
	struct xlb_service *svc;
	struct xlb_real *real = NULL;
	__u64 bytes = data_end - data;
	bool new_flow = false;
	__u32 real_id;

	plan->reply = 0;
	svc_key.vip = pkt->key.dst;
	svc_key.port = pkt->key.dport;
	svc_key.proto = pkt->key.proto;
	svc_key.family = pkt->key.family;
	svc = bpf_map_lookup_elem(&services, &svc_key);
	if (!svc || !(svc->flags & XLB_SVC_F_ACTIVE)) {
		struct xlb_nat_rev *rev;

		if (nat_methods_on() && nat_active() &&
		    (rev = bpf_map_lookup_elem(&nat_rev, &pkt->key))) {
			/* An ICMP error from a real: its quote would need rewriting too. */
			if (pkt->icmp_error) {
				count(XLB_CNT_PASS_ICMP_NO_FLOW);
				return VERDICT_PASS;
			}
			plan->reply = 1;
			plan->rev = *rev;
			count(XLB_CNT_NAT_REPLY);
			return VERDICT_FWD;
		}
		count(XLB_CNT_PASS_NO_SERVICE);
		return VERDICT_PASS;
	}

	if (pkt->icmp_error) {
		flow = bpf_map_lookup_elem(&flows, &pkt->key);
		if (!flow)
			flow = bpf_map_lookup_elem(&syn_flows, &pkt->key);
		/* Never a new flow; nat/fnat would need the quoted packet rewritten too. */
		real = flow ? flow_real(flow) : NULL;
		if (!real || !flow || xlb_method_nat(svc->method)) {
			count(XLB_CNT_PASS_ICMP_NO_FLOW);
			return VERDICT_PASS;
		}
		real_id = flow->real_id;
		plan->nat_src = flow->nat_addr;
		plan->nat_sport = flow->nat_port;
		count(XLB_CNT_ICMP_TO_REAL);
	} else if (flow) {
		/* xlb_established() found it, with its real gone or reused */
		count(XLB_CNT_FLOW_STALE_REAL);
		flow_uncount_stale(flow);
	} else if (pkt->key.proto == IPPROTO_TCP &&
		   syn_flow_follow(pkt, plan, &real, &real_id) == SYN_NONE && !tcp_is_syn(pkt)) {
		count(XLB_CNT_FLOW_MIDSTREAM);
		/* Maglev finds the same real again; other schedulers follow the policy. */
		if (svc->sched_kind == XLB_SCHED_KIND_MH) {
			count(XLB_CNT_MIDSTREAM_MH);
		} else if (feature_on(XLB_FEAT_MIDSTREAM_DROP) &&
			   (svc->flags & XLB_SVC_F_MIDSTREAM_DROP)) {
			count(XLB_CNT_DROP_MIDSTREAM);
			return VERDICT_DROP;
		}
	}

	if (!real) {
		struct xlb_flow new = {};
		bool persisted = false;
		bool syn_only;
		void *table;

		if (feature_on(XLB_FEAT_PERSIST) && svc->persistence_ms)
			persisted = persist_pick(svc, pkt, &real_id) == 0;
		if (!persisted && sched_pick(svc, pkt, &real_id) < 0) {
			count(XLB_CNT_DROP_NO_REAL);
			return VERDICT_DROP;
		}
		real = real_get(real_id);
		if (!real || !(real->flags & XLB_REAL_F_ACTIVE)) {
			count(XLB_CNT_DROP_BAD_REAL);
			return VERDICT_DROP;
		}
		if (feature_on(XLB_FEAT_PERSIST) && svc->persistence_ms && !persisted)
			persist_remember(svc, pkt, real_id, real);
		new.real_id = real_id;
		new.real_gen = real->gen;
		new.svc_id = svc->svc_id;
		new.last_seen_ns = bpf_ktime_get_ns();
		if (svc->method == XLB_METHOD_FNAT && method_on(XLB_METHOD_FNAT) &&
		    fnat_claim(pkt, svc->svc_id, real, flow_hash(&pkt->key), &new.nat_addr,
			       &new.nat_port)) {
			count(XLB_CNT_FNAT_NO_PORT);
			return VERDICT_DROP;
		}
		plan->nat_src = new.nat_addr;
		plan->nat_sport = new.nat_port;
		new.state = conn_next_state(XLB_FS_NONE, pkt->key.proto, pkt->tcp_flags);
		syn_only = new.state == XLB_FS_SYN;
		table = syn_only ? (void *)&syn_flows : (void *)&flows;
		/*
		 * A stale flow is replaced; a brand-new one must not race another
		 * CPU's. A first SYN goes to "syn_flows", anything else to "flows".
		 */
		if (bpf_map_update_elem(table, &pkt->key, &new,
					flow && !syn_only ? BPF_EXIST : BPF_NOEXIST) == 0) {
			count(syn_only ? XLB_CNT_SYN_INSERT : XLB_CNT_FLOW_INSERT);
			conn_count_move(real_id, XLB_FS_NONE, new.state);
			if (feature_on(XLB_FEAT_SYNC) && flow_sync_wanted(new.state))
				flow_sync_emit(&pkt->key, &new, real);
		}
		count(XLB_CNT_NEW_FLOW);
		new_flow = true;
	}
	if (svc->method == XLB_METHOD_NAT && method_on(XLB_METHOD_NAT))
		nat_remember(pkt, svc->svc_id, real);

	stats_add(&svc_stats, svc->svc_id, bytes, new_flow);
	stats_add(&real_stats, real_id, bytes, new_flow);

	plan->real_id = real_id;
	a->nat_src = plan->nat_src;
	a->nat_sport = plan->nat_sport;
	args_from_service(data, data_end, pkt, svc, a);
	return VERDICT_FWD;
}

/*
 * The plan lives in a per-CPU map, not on the stack: with the schedulers'
 * bpf_loop callbacks the stack would pass the verifier's 512-byte limit. A
 * CPU runs one packet at a time through XDP or tc, so one slot per CPU is
 * enough.
 */
static __always_inline struct fwd_plan *plan_scratch(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&plan_scratch_map, &zero);
}

static __always_inline bool args_too_big(const struct fwd_args *a)
{
	return a->real->mtu && a->ip_len + encap_len(a->method, a->family) > a->real->mtu;
}

/*
 * In-place rewrites that need no extra room (everything but encapsulation).
 * A method the program was not built for (a reload's short window) fails:
 * dropped and counted, never sent on unchanged.
 */
static __always_inline int args_rewrite(void *data, void *data_end, struct packet *pkt,
					const struct fwd_args *a)
{
	if (a->method == XLB_METHOD_DR && method_on(XLB_METHOD_DR))
		return 0;
	if (a->method == XLB_METHOD_DSCP && method_on(XLB_METHOD_DSCP))
		return fwd_dscp(data, data_end, pkt, a->real, a->dscp);
	if (a->method == XLB_METHOD_NAT && method_on(XLB_METHOD_NAT))
		return nat_rewrite(data, data_end, pkt, NULL, 0, &a->real->addr, a->real->port);
	if (a->method == XLB_METHOD_FNAT && method_on(XLB_METHOD_FNAT))
		return nat_rewrite(data, data_end, pkt, &a->nat_src, a->nat_sport, &a->real->addr,
				   a->real->port);
	return -1;
}

/*
 * A reply of a nat/fnat flow: back to VIP -> client, out where the FIB says.
 * Returns the egress ifindex, 0 to hand it to the kernel, -1 to drop.
 */
static __always_inline int reply_rewrite(void *ctx, void *data, void *data_end,
					 struct packet *pkt, const struct fwd_plan *plan,
					 __u32 ingress_ifindex)
{
	int ifindex;

	if (nat_rewrite(data, data_end, pkt, &plan->rev.vip, plan->rev.vip_port, &plan->rev.client,
			plan->rev.client_port)) {
		count(XLB_CNT_DROP_REWRITE);
		return -1;
	}
	ifindex = fib_next_hop(ctx, data, data_end, pkt, &plan->rev.vip, &plan->rev.client,
			       ingress_ifindex);
	if (ifindex < 0) {
		count(XLB_CNT_NAT_REPLY_TO_STACK);
		return 0;
	}
	return ifindex;
}

/* Where the L2 header sat after bpf_xdp_adjust_head: move it to the new start. */
static __always_inline int xdp_push_encap(struct xdp_md *ctx, const struct fwd_args *a)
{
	__u32 len = encap_len(a->method, a->family);
	void *data, *data_end;

	if (bpf_xdp_adjust_head(ctx, -(int)len))
		return -1;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if (data + len + 18 > data_end)
		return -1;
	if (a->l2_len == 18)
		__builtin_memmove(data, data + len, 18);
	else
		__builtin_memmove(data, data + len, 14);
	return encap_write(data, data_end, a);
}

/*
 * False for a unicast frame to another MAC than the interface's: a NIC
 * filters those, but veth, bridge ports and promiscuous NICs hand them to
 * XDP too, and an HA backup must not forward what the switch flooded to it.
 * Interfaces xlbd did not register are not filtered.
 */
static __always_inline bool frame_for_us(void *data, void *data_end, __u32 ifindex)
{
	struct ethhdr *eth = data;
	__u32 slot = ifindex % XLB_IFACE_SLOTS;
	struct xlb_iface *ifc;

	if ((void *)(eth + 1) > data_end || (eth->h_dest[0] & 1))
		return true;
	ifc = bpf_map_lookup_elem(&iface_macs, &slot);
	if (!ifc || ifc->ifindex != ifindex)
		return true;
	return *(__u32 *)eth->h_dest == *(__u32 *)ifc->mac &&
	       *(__u16 *)(eth->h_dest + 4) == *(__u16 *)(ifc->mac + 4);
}

enum route {
	ROUTE_PASS = 0, /* to the kernel stack, untouched */
	ROUTE_DROP, /* counted where it was decided */
	ROUTE_REPLY, /* a nat/fnat reply: *plan_out says what to rewrite it back to */
	ROUTE_REAL, /* to a->real, with @a filled */
};

/*
 * What both hooks do before they change the packet: the frame filter, the
 * parse, the established flow or else the full decision.
 */
static __always_inline enum route xlb_route(void *data, void *data_end, __u32 ifindex,
					    struct packet *pkt, struct fwd_args *a,
					    struct fwd_plan **plan_out)
{
	struct xlb_flow *flow = NULL;
	struct fwd_plan *plan;

	if (!frame_for_us(data, data_end, ifindex)) {
		count(XLB_CNT_PASS_OTHER_HOST);
		return ROUTE_PASS;
	}
	if (xlb_parse(data, data_end, pkt) != VERDICT_FWD)
		return ROUTE_PASS;
	if (xlb_established(data, data_end, pkt, a, &flow))
		return ROUTE_REAL;
	plan = plan_scratch();
	if (!plan)
		return ROUTE_PASS;
	switch (xlb_decide(data, data_end, pkt, plan, a, flow)) {
	case VERDICT_PASS:
		return ROUTE_PASS;
	case VERDICT_FWD:
		break;
	default:
		return ROUTE_DROP;
	}
	if (nat_methods_on() && plan->reply) {
		*plan_out = plan;
		return ROUTE_REPLY;
	}
	a->real = real_get(plan->real_id);
	if (!a->real) {
		count(XLB_CNT_DROP_BAD_REAL);
		return ROUTE_DROP;
	}
	return ROUTE_REAL;
}

/* A nat/fnat reply, rewritten and routed by the FIB. */
static __always_inline int xdp_reply(struct xdp_md *ctx, void *data, void *data_end,
				     struct packet *pkt, const struct fwd_plan *plan)
{
	struct ethhdr *eth = data;
	__u8 macs[12];
	int ifindex, act;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	__builtin_memcpy(macs, eth, sizeof(macs));
	ifindex = reply_rewrite(ctx, data, data_end, pkt, plan, ctx->ingress_ifindex);
	if (ifindex <= 0)
		return ifindex ? XDP_DROP : XDP_PASS;
	if ((__u32)ifindex == ctx->ingress_ifindex)
		return XDP_TX;
	/*
	 * Not an interface of ours: the kernel can still forward it, but only a
	 * frame still addressed to us (else it is PACKET_OTHERHOST).
	 */
	act = bpf_redirect_map(&tx_ports, ifindex, XDP_PASS);
	if (act == XDP_PASS)
		__builtin_memcpy(eth, macs, sizeof(macs));
	return act;
}

SEC("xdp")
int xlb_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct packet pkt = {};
	struct fwd_args a = {};
	struct fwd_plan *plan = NULL;

	switch (xlb_route(data, data_end, ctx->ingress_ifindex, &pkt, &a, &plan)) {
	case ROUTE_REAL:
		break;
	case ROUTE_REPLY:
		return xdp_reply(ctx, data, data_end, &pkt, plan);
	case ROUTE_DROP:
		return XDP_DROP;
	default:
		return XDP_PASS;
	}

	if (method_encapsulates(a.method)) {
		if (args_too_big(&a)) {
			__u16 mtu = a.real->mtu - encap_len(a.method, a.family);
			int err;

			/* never an ICMP error in reply to an ICMP error (RFC 1122 3.2.2, RFC 4443 2.4) */
			if (pkt.icmp_error)
				err = -1;
			else
				err = a.family == XLB_FAMILY_V4 ? icmp4_too_big(ctx, a.l2_len, mtu) :
								  icmp6_too_big(ctx, a.l2_len, mtu);
			count(err ? XLB_CNT_DROP_TOO_BIG : XLB_CNT_ICMP_TOO_BIG);
			return err ? XDP_DROP : XDP_TX;
		}
		if (xdp_push_encap(ctx, &a)) {
			count(XLB_CNT_ENCAP_FAILED);
			return XDP_DROP;
		}
		data = (void *)(long)ctx->data;
		data_end = (void *)(long)ctx->data_end;
	} else if (args_rewrite(data, data_end, &pkt, &a)) {
		count(XLB_CNT_DROP_REWRITE);
		return XDP_DROP;
	}
	if (fwd_set_macs(data, data_end, a.real)) {
		count(XLB_CNT_DROP_REWRITE);
		return XDP_DROP;
	}
	if (a.real->ifindex == ctx->ingress_ifindex) {
		count(XLB_CNT_FWD_TX);
		return XDP_TX;
	}
	count(XLB_CNT_FWD_REDIRECT);
	return bpf_redirect_map(&tx_ports, a.real->ifindex, XDP_DROP);
}

/* Bytes tc must have in the linear area for the parser: VLAN Ethernet, IPv6
 * with a few extension headers, TCP with options. */
#define TC_PULL_LEN 192

static __always_inline int tc_push_encap(struct __sk_buff *skb, const struct fwd_args *a)
{
	__u64 flags = a->family == XLB_FAMILY_V4 ? BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 :
						   BPF_F_ADJ_ROOM_ENCAP_L3_IPV6;

	if (a->method == XLB_METHOD_GUE)
		flags |= BPF_F_ADJ_ROOM_ENCAP_L4_UDP;
	if (bpf_skb_adjust_room(skb, encap_len(a->method, a->family), BPF_ADJ_ROOM_MAC, flags))
		return -1;
	return encap_write((void *)(long)skb->data, (void *)(long)skb->data_end, a);
}

SEC("tc")
int xlb_tc(struct __sk_buff *skb)
{
	struct packet pkt = {};
	struct fwd_args a = {};
	struct fwd_plan *plan = NULL;
	void *data, *data_end;

	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	if (data + TC_PULL_LEN > data_end && skb->len > data_end - data) {
		bpf_skb_pull_data(skb, skb->len < TC_PULL_LEN ? skb->len : TC_PULL_LEN);
		data = (void *)(long)skb->data;
		data_end = (void *)(long)skb->data_end;
	}

	switch (xlb_route(data, data_end, skb->ifindex, &pkt, &a, &plan)) {
	case ROUTE_REAL:
		break;
	case ROUTE_REPLY: {
		int ifindex = reply_rewrite(skb, data, data_end, &pkt, plan, skb->ifindex);

		if (ifindex <= 0)
			return ifindex ? TC_ACT_SHOT : TC_ACT_OK;
		return bpf_redirect(ifindex, 0);
	}
	case ROUTE_DROP:
		return TC_ACT_SHOT;
	default:
		return TC_ACT_OK;
	}

	if (method_encapsulates(a.method)) {
		/* GSO packets are segmented after us, to sizes that leave room. */
		if (!skb->gso_size && args_too_big(&a)) {
			count(XLB_CNT_DROP_TOO_BIG);
			return TC_ACT_SHOT;
		}
		if (tc_push_encap(skb, &a)) {
			count(XLB_CNT_ENCAP_FAILED);
			return TC_ACT_SHOT;
		}
		data = (void *)(long)skb->data;
		data_end = (void *)(long)skb->data_end;
	} else if (args_rewrite(data, data_end, &pkt, &a)) {
		count(XLB_CNT_DROP_REWRITE);
		return TC_ACT_SHOT;
	}
	if (fwd_set_macs(data, data_end, a.real)) {
		count(XLB_CNT_DROP_REWRITE);
		return TC_ACT_SHOT;
	}

	if (a.real->ifindex == skb->ifindex)
		count(XLB_CNT_FWD_TX);
	else
		count(XLB_CNT_FWD_REDIRECT);
	return bpf_redirect(a.real->ifindex, 0);
}
