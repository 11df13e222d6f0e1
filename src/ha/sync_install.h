/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Connection sync against this node's model: records in (install), flows out (collect). */
#ifndef XLB_HA_SYNC_INSTALL_H
#define XLB_HA_SYNC_INSTALL_H

#include <stdbool.h>
#include <stdint.h>

#include "ha/sync_wire.h"
#include "model.h"

enum sync_install_result {
	SYNC_INSTALLED,
	SYNC_KEPT_LOCAL, /* we forwarded it more recently than the sender */
	SYNC_NO_SERVICE, /* no such VIP:port here (configs differ) */
	SYNC_NO_REAL, /* the service has no such real here */
	SYNC_INSTALL_FAILED, /* the map refused (full, or gone) */
};

/*
 * Makes a peer's flow ours: the flow under our ids for the service and real,
 * flagged XLB_FLOW_F_SYNCED, with its idle time carried over (so it expires
 * when it would have there); nat/fnat also get the reply entry, which the
 * first reply after a failover needs before any client packet arrives.
 */
enum sync_install_result sync_install(struct model *m, const struct sync_record *rec,
				      uint64_t now_ns);

/*
 * Whether a flow is ours to send: one this node forwards (a peer's record
 * installed here stays the peer's until a packet of it passes here, which
 * clears XLB_FLOW_F_SYNCED), past its SYN, of a real that exists. Sending
 * a peer's flows back as ours would echo every record between the LBs.
 */
static inline bool sync_flow_is_ours(const struct xlb_flow *flow)
{
	return !(flow->flags & XLB_FLOW_F_SYNCED) && flow->state != XLB_FS_NONE &&
	       flow->state != XLB_FS_SYN && flow->real_id < XLB_MAX_REALS;
}

/*
 * Calls @fn with a record for every flow this node forwards itself (not
 * installed by sync), established or UDP or closing; with @since_ns > 0 only
 * those that saw a packet after it. Returns flows visited or negative errno.
 */
long sync_collect(struct model *m, uint64_t now_ns, uint64_t since_ns,
		  void (*fn)(const struct sync_record *rec, void *arg), void *arg);

#endif /* XLB_HA_SYNC_INSTALL_H */
