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
	VERDICT_FWD, /* apply the plan, then send toward plan.real */
};

static __always_inline bool tcp_is_syn(const struct packet *pkt)
{
	return pkt->key.proto == IPPROTO_TCP &&
	       (pkt->tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN;
}

/* The flow's real if it still exists under the same generation, else NULL. */
static __always_inline struct xlb_real *flow_real(struct xlb_flow *flow)
{
	__u32 real_id = flow->real_id;
	struct xlb_real *real = bpf_map_lookup_elem(&reals, &real_id);

	if (!real || real->gen != flow->real_gen || !(real->flags & XLB_REAL_F_ACTIVE))
		return NULL;
	return real;
}

/*
 * Follows the flow's TCP state; the compare-and-swap makes one CPU count (and
 * report to sync) each change.
 */
static __always_inline void flow_track(struct xlb_flow *flow, const struct packet *pkt,
				       const struct xlb_real *real)
{
	__u32 cur = flow->state;
	__u32 next = conn_next_state(cur, pkt->key.proto, pkt->tcp_flags);

	flow->last_seen_ns = bpf_ktime_get_ns();
	if (flow->flags & XLB_FLOW_F_SYNCED)
		flow->flags &= ~XLB_FLOW_F_SYNCED;
	if (next != cur && __sync_val_compare_and_swap(&flow->state, cur, next) == cur) {
		conn_count_move(flow->real_id, cur, next);
		if (flow_sync_wanted(next))
			flow_sync_emit(&pkt->key, flow, real);
	}
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
	real = bpf_map_lookup_elem(&reals, &id);
	/* Gone, reused, removed or drained: the client is scheduled afresh. */
	if (!real || real->gen != p->real_gen || !(real->flags & XLB_REAL_F_ACTIVE) ||
	    !real->weight)
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
	struct xlb_real *old = bpf_map_lookup_elem(&reals, &real_id);
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

static __always_inline enum verdict xlb_decide(void *data, void *data_end, struct packet *pkt,
					       struct fwd_plan *plan)
{
	struct xlb_service_key svc_key = {};
	struct xlb_service *svc;
	struct xlb_flow *flow;
	struct xlb_real *real = NULL;
	__u64 bytes = data_end - data;
	bool new_flow = false;
	__u32 real_id;

	count(XLB_CNT_RX);
	switch (parse_packet(data, data_end, pkt)) {
	case PARSE_OK:
		break;
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

	svc_key.vip = pkt->key.dst;
	svc_key.port = pkt->key.dport;
	svc_key.proto = pkt->key.proto;
	svc_key.family = pkt->key.family;
	svc = bpf_map_lookup_elem(&services, &svc_key);
	if (!svc || !(svc->flags & XLB_SVC_F_ACTIVE)) {
		struct xlb_nat_rev *rev;

		if (nat_active() && (rev = bpf_map_lookup_elem(&nat_rev, &pkt->key))) {
			/* An ICMP error from a real: its quote would need rewriting too. */
			if (pkt->icmp_error) {
				count(XLB_CNT_PASS_ICMP_NO_FLOW);
				return VERDICT_PASS;
			}
			plan->reply = 1;
			plan->rev = *rev;
			plan->family = pkt->key.family;
			count(XLB_CNT_NAT_REPLY);
			return VERDICT_FWD;
		}
		count(XLB_CNT_PASS_NO_SERVICE);
		return VERDICT_PASS;
	}

	flow = bpf_map_lookup_elem(&flows, &pkt->key);
	if (pkt->icmp_error) {
		/* Never a new flow; nat/fnat would need the quoted packet rewritten too. */
		real = flow ? flow_real(flow) : NULL;
		if (!real || svc->method == XLB_METHOD_NAT || svc->method == XLB_METHOD_FNAT) {
			count(XLB_CNT_PASS_ICMP_NO_FLOW);
			return VERDICT_PASS;
		}
		count(XLB_CNT_ICMP_TO_REAL);
	} else if (flow) {
		real = flow_real(flow);
		if (real) {
			flow_track(flow, pkt, real);
		} else {
			count(XLB_CNT_FLOW_STALE_REAL);
			flow_uncount_stale(flow);
		}
	} else if (pkt->key.proto == IPPROTO_TCP && !tcp_is_syn(pkt)) {
		count(XLB_CNT_FLOW_MIDSTREAM);
		/* Maglev finds the same real again; other schedulers follow the policy. */
		if ((svc->flags & XLB_SVC_F_MIDSTREAM_DROP) && svc->sched_kind != XLB_SCHED_KIND_MH) {
			count(XLB_CNT_DROP_MIDSTREAM);
			return VERDICT_DROP;
		}
	}

	if (!real) {
		struct xlb_flow new = {};

		bool persisted = svc->persistence_ms && persist_pick(svc, pkt, &real_id) == 0;

		if (!persisted && sched_pick(svc, pkt, &real_id) < 0) {
			count(XLB_CNT_DROP_NO_REAL);
			return VERDICT_DROP;
		}
		real = bpf_map_lookup_elem(&reals, &real_id);
		if (!real || !(real->flags & XLB_REAL_F_ACTIVE)) {
			count(XLB_CNT_DROP_BAD_REAL);
			return VERDICT_DROP;
		}
		if (svc->persistence_ms && !persisted)
			persist_remember(svc, pkt, real_id, real);
		new.real_id = real_id;
		new.real_gen = real->gen;
		new.svc_id = svc->svc_id;
		new.last_seen_ns = bpf_ktime_get_ns();
		if (svc->method == XLB_METHOD_FNAT &&
		    fnat_claim(pkt, svc->svc_id, real, flow_hash(&pkt->key), &new.nat_addr,
			       &new.nat_port)) {
			count(XLB_CNT_FNAT_NO_PORT);
			return VERDICT_DROP;
		}
		plan->nat_src = new.nat_addr;
		plan->nat_sport = new.nat_port;
		new.state = conn_next_state(XLB_FS_NONE, pkt->key.proto, pkt->tcp_flags);
		/* A stale flow is replaced; a brand-new one must not race another CPU's. */
		if (bpf_map_update_elem(&flows, &pkt->key, &new, flow ? BPF_EXIST : BPF_NOEXIST) == 0) {
			conn_count_move(real_id, XLB_FS_NONE, new.state);
			if (flow_sync_wanted(new.state))
				flow_sync_emit(&pkt->key, &new, real);
		}
		count(XLB_CNT_NEW_FLOW);
		new_flow = true;
	} else {
		real_id = flow->real_id;
		plan->nat_src = flow->nat_addr;
		plan->nat_sport = flow->nat_port;
	}
	if (svc->method == XLB_METHOD_NAT)
		nat_remember(pkt, svc->svc_id, real);

	stats_add(&svc_stats, svc->svc_id, bytes, new_flow);
	stats_add(&real_stats, real_id, bytes, new_flow);

	plan->real = *real;
	plan->method = svc->method;
	plan->dscp = svc->dscp;
	plan->gue_port = svc->gue_port;
	plan->family = pkt->key.family;
	plan->ip_len = pkt->ip_len;
	plan->l2_len = pkt->l3_off;
	if (plan->method == XLB_METHOD_TUN || plan->method == XLB_METHOD_GUE) {
		plan->inner_tos = inner_tos(data, data_end, pkt);
		plan->flow_hash = flow_hash(&pkt->key);
	}
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

static __always_inline bool plan_encapsulates(const struct fwd_plan *plan)
{
	return plan->method == XLB_METHOD_TUN || plan->method == XLB_METHOD_GUE;
}

static __always_inline bool plan_too_big(const struct fwd_plan *plan)
{
	return plan->real.mtu &&
	       plan->ip_len + encap_len(plan->method, plan->family) > plan->real.mtu;
}

/* In-place rewrites that need no extra room (everything but encapsulation). */
static __always_inline int plan_rewrite(void *data, void *data_end, struct packet *pkt,
					const struct fwd_plan *plan)
{
	switch (plan->method) {
	case XLB_METHOD_DSCP:
		return fwd_dscp(data, data_end, pkt, &plan->real, plan->dscp);
	case XLB_METHOD_NAT:
		return nat_rewrite(data, data_end, pkt, NULL, 0, &plan->real.addr, plan->real.port);
	case XLB_METHOD_FNAT:
		return nat_rewrite(data, data_end, pkt, &plan->nat_src, plan->nat_sport,
				   &plan->real.addr, plan->real.port);
	default:
		return 0;
	}
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
			plan->rev.client_port))
		return -1;
	ifindex = fib_next_hop(ctx, data, data_end, pkt, &plan->rev.vip, &plan->rev.client,
			       ingress_ifindex);
	if (ifindex < 0) {
		count(XLB_CNT_NAT_REPLY_TO_STACK);
		return 0;
	}
	return ifindex;
}

/* Where the L2 header sat after bpf_xdp_adjust_head: move it to the new start. */
static __always_inline int xdp_push_encap(struct xdp_md *ctx, const struct fwd_plan *plan)
{
	__u32 len = encap_len(plan->method, plan->family);
	void *data, *data_end;

	if (bpf_xdp_adjust_head(ctx, -(int)len))
		return -1;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if (data + len + 18 > data_end)
		return -1;
	if (plan->l2_len == 18)
		__builtin_memmove(data, data + len, 18);
	else
		__builtin_memmove(data, data + len, 14);
	return encap_write(data, data_end, plan);
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

SEC("xdp")
int xlb_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct packet pkt = {};
	struct fwd_plan *plan = plan_scratch();

	if (!plan)
		return XDP_PASS;
	if (!frame_for_us(data, data_end, ctx->ingress_ifindex)) {
		count(XLB_CNT_PASS_OTHER_HOST);
		return XDP_PASS;
	}
	__builtin_memset(plan, 0, sizeof(*plan));
	switch (xlb_decide(data, data_end, &pkt, plan)) {
	case VERDICT_PASS:
		return XDP_PASS;
	case VERDICT_FWD:
		break;
	default:
		return XDP_DROP;
	}

	if (plan->reply) {
		struct ethhdr *eth = data;
		__u8 macs[12];
		int ifindex, act;

		if ((void *)(eth + 1) > data_end)
			return XDP_DROP;
		__builtin_memcpy(macs, eth, sizeof(macs));
		ifindex = reply_rewrite(ctx, data, data_end, &pkt, plan, ctx->ingress_ifindex);
		if (ifindex <= 0)
			return ifindex ? XDP_DROP : XDP_PASS;
		if ((__u32)ifindex == ctx->ingress_ifindex)
			return XDP_TX;
		/*
		 * Not an interface of ours: the kernel can still forward it, but
		 * only a frame still addressed to us (else it is PACKET_OTHERHOST).
		 */
		act = bpf_redirect_map(&tx_ports, ifindex, XDP_PASS);
		if (act == XDP_PASS)
			__builtin_memcpy(eth, macs, sizeof(macs));
		return act;
	}

	if (plan_encapsulates(plan)) {
		if (plan_too_big(plan)) {
			__u16 mtu = plan->real.mtu - encap_len(plan->method, plan->family);
			int err = plan->family == XLB_FAMILY_V4 ?
					  icmp4_too_big(ctx, plan->l2_len, mtu) :
					  icmp6_too_big(ctx, plan->l2_len, mtu);

			count(err ? XLB_CNT_DROP_TOO_BIG : XLB_CNT_ICMP_TOO_BIG);
			return err ? XDP_DROP : XDP_TX;
		}
		if (xdp_push_encap(ctx, plan)) {
			count(XLB_CNT_ENCAP_FAILED);
			return XDP_DROP;
		}
		data = (void *)(long)ctx->data;
		data_end = (void *)(long)ctx->data_end;
	} else if (plan_rewrite(data, data_end, &pkt, plan)) {
		count(XLB_CNT_PASS_MALFORMED);
		return XDP_DROP;
	}
	if (fwd_set_macs(data, data_end, &plan->real))
		return XDP_DROP;

	if (plan->real.ifindex == ctx->ingress_ifindex) {
		count(XLB_CNT_FWD_TX);
		return XDP_TX;
	}
	count(XLB_CNT_FWD_REDIRECT);
	return bpf_redirect_map(&tx_ports, plan->real.ifindex, XDP_DROP);
}

/* Bytes tc must have in the linear area for the parser: VLAN Ethernet, IPv6
 * with a few extension headers, TCP with options. */
#define TC_PULL_LEN 192

static __always_inline int tc_push_encap(struct __sk_buff *skb, const struct fwd_plan *plan)
{
	__u64 flags = plan->family == XLB_FAMILY_V4 ? BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 :
						      BPF_F_ADJ_ROOM_ENCAP_L3_IPV6;

	if (plan->method == XLB_METHOD_GUE)
		flags |= BPF_F_ADJ_ROOM_ENCAP_L4_UDP;
	if (bpf_skb_adjust_room(skb, encap_len(plan->method, plan->family), BPF_ADJ_ROOM_MAC,
				flags))
		return -1;
	return encap_write((void *)(long)skb->data, (void *)(long)skb->data_end, plan);
}

SEC("tc")
int xlb_tc(struct __sk_buff *skb)
{
	struct packet pkt = {};
	struct fwd_plan *plan = plan_scratch();
	void *data, *data_end;

	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	if (data + TC_PULL_LEN > data_end && skb->len > data_end - data) {
		bpf_skb_pull_data(skb, skb->len < TC_PULL_LEN ? skb->len : TC_PULL_LEN);
		data = (void *)(long)skb->data;
		data_end = (void *)(long)skb->data_end;
	}

	if (!plan)
		return TC_ACT_OK;
	if (!frame_for_us(data, data_end, skb->ifindex)) {
		count(XLB_CNT_PASS_OTHER_HOST);
		return TC_ACT_OK;
	}
	__builtin_memset(plan, 0, sizeof(*plan));
	switch (xlb_decide(data, data_end, &pkt, plan)) {
	case VERDICT_PASS:
		return TC_ACT_OK;
	case VERDICT_FWD:
		break;
	default:
		return TC_ACT_SHOT;
	}

	if (plan->reply) {
		int ifindex = reply_rewrite(skb, data, data_end, &pkt, plan, skb->ifindex);

		if (ifindex <= 0)
			return ifindex ? TC_ACT_SHOT : TC_ACT_OK;
		return bpf_redirect(ifindex, 0);
	}

	if (plan_encapsulates(plan)) {
		/* GSO packets are segmented after us, to sizes that leave room. */
		if (!skb->gso_size && plan_too_big(plan)) {
			count(XLB_CNT_DROP_TOO_BIG);
			return TC_ACT_SHOT;
		}
		if (tc_push_encap(skb, plan)) {
			count(XLB_CNT_ENCAP_FAILED);
			return TC_ACT_SHOT;
		}
		data = (void *)(long)skb->data;
		data_end = (void *)(long)skb->data_end;
	} else if (plan_rewrite(data, data_end, &pkt, plan)) {
		count(XLB_CNT_PASS_MALFORMED);
		return TC_ACT_SHOT;
	}
	if (fwd_set_macs(data, data_end, &plan->real))
		return TC_ACT_SHOT;

	if (plan->real.ifindex == skb->ifindex)
		count(XLB_CNT_FWD_TX);
	else
		count(XLB_CNT_FWD_REDIRECT);
	return bpf_redirect(plan->real.ifindex, 0);
}
