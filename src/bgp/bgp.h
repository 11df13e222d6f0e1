/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Announcing VIPs over BGP through a BIRD 2 that xlbd runs as its child.
 *
 * xlbd writes BIRD's config (bird_conf.h) with the VIPs this node should
 * announce (bgp_vips.h: quorum met, xlbd applied its config, not draining)
 * and tells BIRD to reload it over BIRD's control socket whenever that set
 * changes; it reads the sessions' state from the same socket once a second.
 * BIRD dies with xlbd (PR_SET_PDEATHSIG), so a crashed or killed xlbd takes
 * its BGP sessions down at once and the routers withdraw its routes; BFD
 * and the hold time bound the withdrawal when the link or host goes. A
 * BIRD that exits on its own is restarted (backoff 1 s to 30 s). All I/O is
 * non-blocking, on one epoll fd the main loop watches.
 */
#ifndef XLB_BGP_H
#define XLB_BGP_H

#include <json-c/json.h>
#include <stdbool.h>

struct bgp_ctx;
struct model;
struct xlb_config;

/* A context for @m (kept; BIRD starts if the config has bgp:). 0 or -errno. */
int bgp_open(struct model *m, struct bgp_ctx **out);
/* After a reload: starts, reconfigures or stops BIRD for m->cfg.bgp. */
void bgp_apply(struct bgp_ctx *b);
/* A service's quorum changed (model.c): the announced set is looked at again. NULL: no-op. */
void bgp_quorum_changed(struct bgp_ctx *b);
/* The fd the main loop watches, and what it calls when the fd is readable. */
int bgp_fd(const struct bgp_ctx *b);
void bgp_process(struct bgp_ctx *b);
/* Stops BIRD gracefully (its peers get a Cease and withdraw at once). */
void bgp_close(struct bgp_ctx *b);

/* xlbctl drain-node / undrain-node: withdraw every VIP (or announce them again). */
int bgp_set_draining(struct bgp_ctx *b, bool draining, char *err, size_t errlen);
/* {"cmd":"bgp"}: BIRD, peers, and each VIP's announcement and why. */
json_object *bgp_json(const struct bgp_ctx *b);
/* The control-socket commands bgp, drain_node, undrain_node; NULL if @cmd is none of them. */
json_object *bgp_ctl_dispatch(struct model *m, const char *cmd);

/*
 * xlbd -t: the BIRD config @cfg would give, checked by BIRD itself (bird -p);
 * problems printed as FILE:LINE. 0 or -EINVAL.
 */
int bgp_check(const struct xlb_config *cfg);

#endif /* XLB_BGP_H */
