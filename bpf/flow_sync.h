/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Reporting flow changes to xlbd's connection sync through the "flow_events" ring buffer. */
#ifndef XLB_BPF_FLOW_SYNC_H
#define XLB_BPF_FLOW_SYNC_H

#include "maps.h"

/*
 * Established (or UDP) and finished flows are what a peer needs to carry
 * on forwarding; SYN-only flows are not, so a SYN flood costs sync nothing.
 */
static __always_inline bool flow_sync_wanted(__u32 state)
{
	return state == XLB_FS_EST || state == XLB_FS_UDP || state == XLB_FS_FIN ||
	       state == XLB_FS_CLOSE;
}

/* Reserve, fill, submit: nothing on the stack, which is already full. */
static __always_inline void flow_sync_emit(const struct xlb_flow_key *key,
					   const struct xlb_flow *flow,
					   const struct xlb_real *real)
{
	struct xlb_flow_event *ev;

	ev = bpf_ringbuf_reserve(&flow_events, sizeof(*ev), 0);
	if (!ev) {
		count(XLB_CNT_SYNC_EVENT_LOST);
		return;
	}
	__builtin_memcpy(&ev->key, key, sizeof(ev->key));
	__builtin_memcpy(&ev->flow, flow, sizeof(ev->flow));
	ev->real_addr = real->addr;
	ev->real_port = real->port;
	ev->pad[0] = ev->pad[1] = ev->pad[2] = 0;
	bpf_ringbuf_submit(ev, 0);
}

#endif /* XLB_BPF_FLOW_SYNC_H */
