// SPDX-License-Identifier: GPL-2.0
/* Passes every frame: attached to a veth peer so XDP_TX/REDIRECT frames arrive. */

/*
 * On veth, a frame that the other end's XDP program sends with XDP_TX or
 * XDP_REDIRECT is delivered through the peer's NAPI/XDP receive path, which
 * only exists while the peer has an XDP program of its own. Without one the
 * frame is silently dropped (counted as a tx/rx drop), so the lab attaches
 * this program to the bridge-side peer of the load balancer's veth.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
