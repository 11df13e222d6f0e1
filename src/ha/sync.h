/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Connection sync between LB peers (ha: sync:). Every node sends the flows it
 * forwards itself to every peer and installs what peers send, so whichever
 * node holds the VIP after a failover already knows every established flow.
 *
 * What is sent: the data plane reports flows that become established (or
 * UDP) and that finish, through the "flow_events" ring buffer; flows still
 * active are resent every refresh:, so peers do not expire them; a peer that
 * starts, or that missed messages, asks for everything (a full sync). SYN-only
 * flows are never sent, and records leave at most max_rate per second (the
 * rest are dropped and counted), so a SYN flood costs sync nothing and any
 * other flood costs it a bounded rate.
 */
#ifndef XLB_HA_SYNC_H
#define XLB_HA_SYNC_H

struct json_object;
struct model;
struct sync_ctx;

/* Starts sync as m->cfg.ha.sync says; *out stays NULL when it is off. */
int sync_open(struct model *m, struct sync_ctx **out);
void sync_close(struct sync_ctx *s);
/* After a reload: restarts sync if its config changed (or starts/stops it). */
int sync_reconfigure(struct model *m, struct sync_ctx **s);
/* One fd for the event loop; sync_process() when it is readable. */
int sync_fd(const struct sync_ctx *s);
void sync_process(struct sync_ctx *s);
/* Once a second: refreshes of active flows, full-sync retries. */
void sync_tick(struct sync_ctx *s);

/* Counters and peers for `xlbctl ha`; @s NULL (sync off) gives {"enabled": false}. */
struct json_object *sync_json(const struct sync_ctx *s);

#endif /* XLB_HA_SYNC_H */
