// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xlb data plane. The packet path (xlb_handle) works on (data, data_end) and
 * returns a hook-neutral verdict; thin entry points map it to XDP (native or
 * generic) and tc (clsact ingress) actions.
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

char LICENSE[] SEC("license") = "Dual BSD/GPL";

enum verdict {
	VERDICT_PASS = 0, /* not ours: the kernel stack gets it untouched */
	VERDICT_DROP,
	VERDICT_TX, /* out of the interface it came in on */
	VERDICT_REDIRECT, /* out of *out_ifindex */
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

static __always_inline enum verdict xlb_handle(void *data, void *data_end, __u32 ingress_ifindex,
					       __u32 *out_ifindex)
{
	struct packet pkt = {};
	struct xlb_service_key svc_key = {};
	struct xlb_service *svc;
	struct xlb_flow *flow;
	struct xlb_real *real = NULL;
	__u64 bytes = data_end - data;
	bool new_flow = false;
	__u32 real_id;

	count(XLB_CNT_RX);
	switch (parse_packet(data, data_end, &pkt)) {
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

	svc_key.vip = pkt.key.dst;
	svc_key.port = pkt.key.dport;
	svc_key.proto = pkt.key.proto;
	svc_key.family = pkt.key.family;
	svc = bpf_map_lookup_elem(&services, &svc_key);
	if (!svc || !(svc->flags & XLB_SVC_F_ACTIVE)) {
		count(XLB_CNT_PASS_NO_SERVICE);
		return VERDICT_PASS;
	}

	flow = bpf_map_lookup_elem(&flows, &pkt.key);
	if (flow) {
		real = flow_real(flow);
		if (real)
			flow->last_seen_ns = bpf_ktime_get_ns();
		else
			count(XLB_CNT_FLOW_STALE_REAL);
	} else if (pkt.key.proto == IPPROTO_TCP && !tcp_is_syn(&pkt)) {
		count(XLB_CNT_FLOW_MIDSTREAM);
	}

	if (!real) {
		struct xlb_flow new = {};

		if (sched_pick(svc, &real_id) < 0) {
			count(XLB_CNT_DROP_NO_REAL);
			return VERDICT_DROP;
		}
		real = bpf_map_lookup_elem(&reals, &real_id);
		if (!real || !(real->flags & XLB_REAL_F_ACTIVE)) {
			count(XLB_CNT_DROP_BAD_REAL);
			return VERDICT_DROP;
		}
		new.real_id = real_id;
		new.real_gen = real->gen;
		new.svc_id = svc->svc_id;
		new.last_seen_ns = bpf_ktime_get_ns();
		bpf_map_update_elem(&flows, &pkt.key, &new, BPF_ANY);
		count(XLB_CNT_NEW_FLOW);
		new_flow = true;
	} else {
		real_id = flow->real_id;
	}

	stats_add(&svc_stats, svc->svc_id, bytes, new_flow);
	stats_add(&real_stats, real_id, bytes, new_flow);

	switch (svc->method) {
	case XLB_METHOD_DR:
		fwd_dr(&pkt, real);
		break;
	default:
		count(XLB_CNT_DROP_BAD_REAL);
		return VERDICT_DROP;
	}

	if (real->ifindex == ingress_ifindex) {
		count(XLB_CNT_FWD_TX);
		return VERDICT_TX;
	}
	count(XLB_CNT_FWD_REDIRECT);
	*out_ifindex = real->ifindex;
	return VERDICT_REDIRECT;
}

SEC("xdp")
int xlb_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 out_ifindex = 0;

	switch (xlb_handle(data, data_end, ctx->ingress_ifindex, &out_ifindex)) {
	case VERDICT_PASS:
		return XDP_PASS;
	case VERDICT_TX:
		return XDP_TX;
	case VERDICT_REDIRECT:
		return bpf_redirect_map(&tx_ports, out_ifindex, XDP_DROP);
	default:
		return XDP_DROP;
	}
}

/* Bytes tc must have in the linear area for the parser: VLAN Ethernet, IPv6
 * with a few extension headers, TCP with options. */
#define TC_PULL_LEN 192

SEC("tc")
int xlb_tc(struct __sk_buff *skb)
{
	__u32 out_ifindex = 0;
	void *data, *data_end;

	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	if (data + TC_PULL_LEN > data_end && skb->len > data_end - data) {
		bpf_skb_pull_data(skb, skb->len < TC_PULL_LEN ? skb->len : TC_PULL_LEN);
		data = (void *)(long)skb->data;
		data_end = (void *)(long)skb->data_end;
	}

	switch (xlb_handle(data, data_end, skb->ifindex, &out_ifindex)) {
	case VERDICT_PASS:
		return TC_ACT_OK;
	case VERDICT_TX:
		return bpf_redirect(skb->ifindex, 0);
	case VERDICT_REDIRECT:
		return bpf_redirect(out_ifindex, 0);
	default:
		return TC_ACT_SHOT;
	}
}
