/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What each forwarding method is, for the data plane and xlbd alike: one
 * place to ask "does this method's reply come back through us", "is it
 * encapsulated", and one builder of a nat/fnat flow's reply key.
 */
#ifndef XLB_METHOD_H
#define XLB_METHOD_H

#include "xlb_types.h"

#ifndef __VMLINUX_H__
#include <stdbool.h>
#endif

#define XLB_METHOD_INLINE static inline __attribute__((always_inline))

/* The real answers the client itself (the VIP is on the real): only requests cross us. */
XLB_METHOD_INLINE bool xlb_method_dsr(__u32 m)
{
	return m == XLB_METHOD_DR || m == XLB_METHOD_TUN || m == XLB_METHOD_GUE ||
	       m == XLB_METHOD_DSCP;
}

/* Replies come back through us and are rewritten ("nat_rev"). */
XLB_METHOD_INLINE bool xlb_method_nat(__u32 m)
{
	return m == XLB_METHOD_NAT || m == XLB_METHOD_FNAT;
}

/* An outer header is pushed (tun: IPIP / IPv6-in-IPv6, gue: the same inside UDP). */
XLB_METHOD_INLINE bool xlb_method_encap(__u32 m)
{
	return m == XLB_METHOD_TUN || m == XLB_METHOD_GUE;
}

/* The real may be behind a router (the packet is addressed to it at L3); dr needs it on-link. */
XLB_METHOD_INLINE bool xlb_method_routed(__u32 m)
{
	return m != XLB_METHOD_DR;
}

/* The real needs xlb-rs's tc program to turn the packet back into one for the VIP. */
XLB_METHOD_INLINE bool xlb_method_real_decaps(__u32 m)
{
	return m == XLB_METHOD_TUN || m == XLB_METHOD_GUE || m == XLB_METHOD_DSCP;
}

/*
 * The "nat_rev" key of a nat/fnat flow: the reply as the real sends it. nat:
 * to the client itself; fnat: to our local address and port for the flow.
 * @client_key is the flow as the client sent it.
 */
XLB_METHOD_INLINE void xlb_nat_reply_key(struct xlb_flow_key *rkey, __u32 method,
					 const struct xlb_flow_key *client_key,
					 const struct xlb_addr *real_addr, __u16 real_port,
					 const struct xlb_addr *nat_addr, __u16 nat_port)
{
	rkey->src = *real_addr;
	rkey->sport = real_port;
	rkey->proto = client_key->proto;
	rkey->family = client_key->family;
	rkey->pad = 0;
	if (method == XLB_METHOD_NAT) {
		rkey->dst = client_key->src;
		rkey->dport = client_key->sport;
	} else {
		rkey->dst = *nat_addr;
		rkey->dport = nat_port;
	}
}

#endif /* XLB_METHOD_H */
