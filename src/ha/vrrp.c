// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * VRRP instances at run time, in their own thread: sockets, one timerfd and
 * a command eventfd behind one epoll fd, packets fed to the state machine
 * (vrrp_fsm.c), its actions carried out (adverts, virtual addresses,
 * announcements). Who may touch what: vrrp.h.
 */
#include "ha/vrrp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "iface.h"
#include "ha/vip_announce.h"
#include "ha/vrrp_instance.h"
#include "ha/vrrp_link.h"
#include "ha/vrrp_sock.h"
#include "log.h"

/*
 * Gratuitous ARPs / unsolicited NAs after becoming master, ms after it. Two
 * at once-ish against a lost frame, then two more past the neighbours'
 * locktime (1 s by default): Linux ignores an override that soon after the
 * entry last changed, e.g. when mastership moves twice within a second.
 */
static const uint32_t vrrp_announce_at_ms[] = {0, 100, 1100, 2100};
#define VRRP_ANNOUNCE_COUNT (sizeof(vrrp_announce_at_ms) / sizeof(vrrp_announce_at_ms[0]))

uint64_t vrrp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int64_t vrrp_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *vrrp_family_tag(int family)
{
	return family == AF_INET6 ? "IPv6" : "IPv4";
}

/* The VRRP thread's nice value (keepalived: vrrp_priority). */
#define VRRP_THREAD_NICE -20

/* How often our source address is looked up again (it is a netlink dump). */
#define VRRP_LOCAL_REFRESH_MS 1000

/*
 * Our source address, looked up again at most once a second (or at once
 * with @force): the interface may have gained or changed it.
 */
static bool vrrp_find_local(struct vrrp_instance *vi, bool force)
{
	uint64_t now = vrrp_now_ms();
	struct net_addr a;

	if (!force && vi->local.family && now < vi->local_checked_ms + VRRP_LOCAL_REFRESH_MS)
		return true;
	vi->local_checked_ms = now;
	if (vrrp_local_addr(vi->cfg.iface, vi->cfg.family, vi->cfg.addrs, vi->cfg.naddrs, &a) < 0)
		return vi->local.family != 0;
	vi->local = a;
	return true;
}

static void vrrp_send(struct vrrp_instance *vi, uint8_t priority)
{
	struct vrrp_advert adv = {.vrid = vi->cfg.vrid,
				  .priority = priority,
				  .max_adver_cs = vi->fsm.advert_cs,
				  .count = (uint8_t)vi->cfg.naddrs};
	uint8_t buf[VRRP_PKT_MAX];
	struct net_addr group = {.family = vi->cfg.family};
	const struct net_addr *dsts = &group;
	size_t ndst = 1, len;
	int err = 0;

	memcpy(adv.addrs, vi->cfg.addrs, vi->cfg.naddrs * sizeof(adv.addrs[0]));
	if (!vrrp_find_local(vi, false)) {
		err = -EADDRNOTAVAIL;
		goto out;
	}
	if (vi->cfg.nunicast_peers) {
		dsts = vi->cfg.unicast_peers;
		ndst = vi->cfg.nunicast_peers;
	} else if (vi->cfg.family == AF_INET) {
		inet_pton(AF_INET, VRRP_MCAST4, &group.v4);
	} else {
		inet_pton(AF_INET6, VRRP_MCAST6, &group.v6);
	}
	for (size_t i = 0; i < ndst; i++) {
		int e;

		/* The checksum covers the destination: one encoding per peer. */
		len = vrrp_encode(&adv, &vi->local, &dsts[i], buf, sizeof(buf));
		e = vrrp_sock_send(vi->fd, vi->ifindex, &vi->local, &dsts[i], buf, len);
		if (e)
			err = e;
		else
			vi->cnt.adverts_tx++;
	}
out:
	if (err) {
		vi->cnt.tx_errors++;
		if (err != vi->last_tx_err)
			log_warn("vrrp %s: cannot send advertisement on %s: %s", vi->cfg.name,
				 vi->cfg.iface, strerror(-err));
	}
	vi->last_tx_err = err;
}

static void vrrp_set_addrs(struct vrrp_ctx *ctx, struct vrrp_instance *vi, bool present)
{
	char buf[NET_ADDR_STRLEN];

	for (size_t i = 0; i < vi->cfg.naddrs; i++) {
		int err = vip_addr_set(ctx->nl, vi->ifindex, &vi->cfg.addrs[i], present);

		if (err) {
			vi->cnt.addr_errors++;
			log_error("vrrp %s: cannot %s %s %s %s: %s", vi->cfg.name,
				  present ? "add" : "remove",
				  net_addr_str(&vi->cfg.addrs[i], buf, sizeof(buf)),
				  present ? "to" : "from", vi->cfg.iface, strerror(-err));
		}
	}
}

static uint64_t vrrp_announce_due(const struct vrrp_instance *vi)
{
	return vi->announce_start_ms + vrrp_announce_at_ms[vi->announce_next];
}

static void vrrp_announce(struct vrrp_instance *vi)
{
	char buf[NET_ADDR_STRLEN];

	for (size_t i = 0; i < vi->cfg.naddrs; i++) {
		int err = vip_announce(vi->ifindex, vi->mac, &vi->cfg.addrs[i]);

		if (!err)
			vi->cnt.announcements++;
		else if (vi->announce_next == 1) /* once per takeover */
			log_warn("vrrp %s: cannot announce %s on %s: %s", vi->cfg.name,
				 net_addr_str(&vi->cfg.addrs[i], buf, sizeof(buf)), vi->cfg.iface,
				 strerror(-err));
	}
}

/* Carries out what the state machine asked for, and logs a transition once. */
static void vrrp_act(struct vrrp_ctx *ctx, struct vrrp_instance *vi, unsigned act,
		     uint32_t transitions_before)
{
	uint64_t now = vrrp_now_ms();

	if (vi->fsm.transitions != transitions_before) {
		vi->changed_wall_ms = vrrp_wall_ms();
		log_info("vrrp %s: %s -> %s (%s)", vi->cfg.name,
			 vrrp_state_upper(vi->fsm.prev_state), vrrp_state_upper(vi->fsm.state),
			 vi->fsm.reason);
	}
	if (act & VRRP_ACT_TAKE_ADDRS)
		vrrp_set_addrs(ctx, vi, true);
	/* On a link that is down (FAULT) it cannot go out: not an error to count. */
	if ((act & VRRP_ACT_SEND_RELEASE) && vi->track.own_up)
		vrrp_send(vi, 0);
	if (act & VRRP_ACT_SEND_ADVERT)
		vrrp_send(vi, vi->fsm.priority);
	if (act & VRRP_ACT_DROP_ADDRS) {
		vi->announce_next = VRRP_ANNOUNCE_COUNT;
		vrrp_set_addrs(ctx, vi, false);
	}
	if (act & VRRP_ACT_TAKE_ADDRS) {
		/* After the advert (RFC 5798 6.4.1): neighbours learn our MAC at once. */
		vi->announce_start_ms = now;
		vi->announce_next = 1;
		vrrp_announce(vi);
	}
}

static void vrrp_rx_one(struct vrrp_ctx *ctx, struct vrrp_instance *vi, const struct vrrp_rx *rx)
{
	char buf[NET_ADDR_STRLEN];
	struct vrrp_advert adv;
	enum vrrp_rx_verdict v;
	uint32_t before;
	unsigned act;

	if (rx->bad_ip) {
		vi->cnt.rx_err[VRRP_RX_SHORT]++;
		return;
	}
	if (rx->ttl != VRRP_TTL) {
		vi->cnt.rx_err[VRRP_RX_BAD_TTL]++;
		log_debug("vrrp %s: dropped advert from %s: TTL %d (expected 255)", vi->cfg.name,
			  net_addr_str(&rx->src, buf, sizeof(buf)), rx->ttl);
		return;
	}
	/* Before parsing: with unicast_peers, nothing a stranger sends is looked at. */
	if (!vrrp_src_allowed(&vi->cfg, &rx->src)) {
		vi->cnt.rx_err[VRRP_RX_UNKNOWN_SRC]++;
		if (!vi->unknown_src_logged)
			log_warn("vrrp %s: dropped an advert from %s: not one of unicast_peers "
				 "(counted as unknown_source; further ones are only counted)",
				 vi->cfg.name, net_addr_str(&rx->src, buf, sizeof(buf)));
		vi->unknown_src_logged = true;
		return;
	}
	v = vrrp_decode(rx->msg, rx->len, &rx->src, &rx->dst, &adv);
	if (v != VRRP_RX_OK) {
		vi->cnt.rx_err[v]++;
		log_debug("vrrp %s: dropped packet from %s: %s", vi->cfg.name,
			  net_addr_str(&rx->src, buf, sizeof(buf)), vrrp_rx_verdict_name(v));
		return;
	}
	if (adv.vrid != vi->cfg.vrid) {
		vi->cnt.vrid_other++;
		return;
	}
	vi->cnt.adverts_rx++;
	if (!vrrp_addrs_match(&adv, vi->cfg.addrs, vi->cfg.naddrs)) {
		/* RFC 5798 lets a router log this; like keepalived, we still obey it. */
		vi->cnt.addr_mismatch++;
		if (!vi->addr_mismatch_logged)
			log_warn("vrrp %s: advert from %s lists other addresses than ours (%u, we "
				 "have %zu)",
				 vi->cfg.name, net_addr_str(&rx->src, buf, sizeof(buf)), adv.count,
				 vi->cfg.naddrs);
		vi->addr_mismatch_logged = true;
	}
	if (adv.priority && adv.max_adver_cs > vi->fsm.advert_cs && !vi->slow_master_logged) {
		log_warn("vrrp %s: %s advertises every %u ms, slower than our %u ms: a backup "
			 "waits for it as if it were ours (set the same advert_interval everywhere)",
			 vi->cfg.name, net_addr_str(&rx->src, buf, sizeof(buf)),
			 adv.max_adver_cs * 10u, vi->fsm.advert_cs * 10u);
		vi->slow_master_logged = true;
	}
	if (adv.priority == vi->fsm.priority && vi->fsm.state == VRRP_STATE_MASTER)
		vrrp_find_local(vi, true); /* the tie-break needs our address as it is now */
	before = vi->fsm.transitions;
	act = vrrp_fsm_advert(&vi->fsm, vrrp_now_ms(), adv.priority, adv.max_adver_cs, &rx->src,
			      vi->local.family ? &vi->local : NULL);
	vrrp_act(ctx, vi, act, before);
}

static void vrrp_rx(struct vrrp_ctx *ctx, struct vrrp_instance *vi)
{
	uint8_t buf[2048];
	struct vrrp_rx rx;

	/* A bounded batch: a flood on the link must not starve the rest of xlbd. */
	for (int i = 0; i < 64; i++) {
		int ret = vrrp_sock_recv(vi->fd, vi->cfg.family, buf, sizeof(buf), &rx);

		if (ret <= 0)
			return;
		vrrp_rx_one(ctx, vi, &rx);
	}
}

static void vrrp_run_timers(struct vrrp_ctx *ctx)
{
	for (size_t i = 0; i < ctx->ninst; i++) {
		struct vrrp_instance *vi = ctx->inst[i];
		uint64_t now = vrrp_now_ms();
		uint32_t before = vi->fsm.transitions;
		unsigned act = vrrp_fsm_timer(&vi->fsm, now);

		if (act)
			vrrp_act(ctx, vi, act, before);
		if (vi->announce_next < VRRP_ANNOUNCE_COUNT && now >= vrrp_announce_due(vi)) {
			vi->announce_next++;
			vrrp_announce(vi);
		}
	}
}

static void vrrp_arm(struct vrrp_ctx *ctx)
{
	struct itimerspec its = {};
	uint64_t due = VRRP_NO_DEADLINE;

	for (size_t i = 0; i < ctx->ninst; i++) {
		const struct vrrp_instance *vi = ctx->inst[i];
		uint64_t d = vrrp_fsm_next_due(&vi->fsm);

		if (d < due)
			due = d;
		if (vi->announce_next < VRRP_ANNOUNCE_COUNT && vrrp_announce_due(vi) < due)
			due = vrrp_announce_due(vi);
	}
	if (due != VRRP_NO_DEADLINE) {
		/* An absolute time in the past fires at once; 0 would disarm. */
		if (!due)
			due = 1;
		its.it_value.tv_sec = (time_t)(due / 1000);
		its.it_value.tv_nsec = (long)(due % 1000) * 1000000;
	}
	timerfd_settime(ctx->timerfd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* Each tracked object that changed since it was last looked at, once. */
static void vrrp_track_log(const struct vrrp_instance *vi, const struct vrrp_track_status *st)
{
	const struct ha_vrrp_config *c = &vi->cfg;

	if (st->own_up != vi->track.own_up)
		log_msg(st->own_up ? LOG_LVL_INFO : LOG_LVL_WARN, "vrrp %s: interface %s is %s",
			c->name, c->iface, st->own_up ? "up" : "down");
	for (size_t i = 0; i < c->ntrack_ifaces; i++)
		if (st->iface_up[i] != vi->track.iface_up[i])
			log_msg(st->iface_up[i] ? LOG_LVL_INFO : LOG_LVL_WARN,
				"vrrp %s: tracked interface %s is %s", c->name,
				c->track_ifaces[i].name, st->iface_up[i] ? "up" : "down");
	for (size_t i = 0; i < c->ntrack_services; i++)
		if (st->svc[i] != vi->track.svc[i] && st->svc[i] != VRRP_QUORUM_UNKNOWN)
			log_msg(st->svc[i] == VRRP_QUORUM_MET ? LOG_LVL_INFO : LOG_LVL_WARN,
				"vrrp %s: tracked service %s: quorum %s", c->name,
				c->track_services[i].name, vrrp_quorum_name(st->svc[i]));
}

/*
 * Looks at what @vi tracks (the links only with @links: the services' states
 * are atomics, the links ioctls) and hands the priority and fault it makes
 * to the state machine.
 */
static void vrrp_track_refresh(struct vrrp_ctx *ctx, struct vrrp_instance *vi, bool links)
{
	struct vrrp_track_status st = vi->track;
	uint32_t before = vi->fsm.transitions;
	char fault[sizeof(vi->fsm.fault)];
	unsigned act;
	uint8_t prio;

	if (links) {
		st.own_up = vrrp_link_up(ctx->ifq_sock, vi->cfg.iface);
		for (size_t i = 0; i < vi->cfg.ntrack_ifaces; i++)
			st.iface_up[i] = vrrp_link_up(ctx->ifq_sock, vi->cfg.track_ifaces[i].name);
	}
	for (size_t i = 0; i < vi->cfg.ntrack_services; i++)
		st.svc[i] = atomic_load(&ctx->svc[vi->svc_slot[i]].quorum);
	vrrp_track_log(vi, &st);
	vi->track = st;
	prio = vrrp_track_eval(&vi->cfg, &st, fault, sizeof(fault));
	if (prio != vi->track_prio)
		log_info("vrrp %s: priority %u -> %u (configured %u, tracking)", vi->cfg.name,
			 vi->track_prio, prio, vi->cfg.priority);
	if (prio != vi->track_prio || strncmp(fault, vi->fsm.fault, sizeof(fault)) != 0)
		vi->track_wall_ms = vrrp_wall_ms();
	vi->track_prio = prio;
	act = vrrp_fsm_track(&vi->fsm, vrrp_now_ms(), prio, fault[0] ? fault : NULL);
	vrrp_act(ctx, vi, act, before);
}

static void vrrp_track_all(struct vrrp_ctx *ctx, bool links)
{
	for (size_t i = 0; i < ctx->ninst; i++)
		vrrp_track_refresh(ctx, ctx->inst[i], links);
}

/* What a fresh instance starts from: everything fine (so what is not gets logged). */
static void vrrp_track_init(struct vrrp_instance *vi)
{
	vi->track.own_up = true;
	for (size_t i = 0; i < HA_TRACK_MAX; i++)
		vi->track.iface_up[i] = true;
	vi->track_prio = vi->cfg.priority;
}

/*
 * The tracked services of @cfgs (the new config of instances @next) into
 * ctx->svc, each name once, keeping the quorum last reported for names
 * tracked before; and each instance's slots.
 * Runs while the main thread waits (vrrp.h), so the names may change.
 */
static void vrrp_track_services_set(struct vrrp_ctx *ctx, const struct ha_vrrp_config *cfgs,
				    struct vrrp_instance **next, size_t n)
{
	struct {
		char name[64];
		uint8_t quorum;
	} tab[VRRP_SVC_MAX];
	size_t ntab = 0;

	for (size_t i = 0; i < n; i++) {
		const struct ha_vrrp_config *c = &cfgs[i];

		for (size_t k = 0; k < c->ntrack_services; k++) {
			size_t j = 0;

			while (j < ntab && strcmp(tab[j].name, c->track_services[k].name) != 0)
				j++;
			if (j == ntab) {
				snprintf(tab[j].name, sizeof(tab[j].name), "%s",
					 c->track_services[k].name);
				tab[j].quorum = VRRP_QUORUM_UNKNOWN;
				for (size_t o = 0; o < ctx->nsvc; o++)
					if (strcmp(ctx->svc[o].name, tab[j].name) == 0)
						tab[j].quorum = atomic_load(&ctx->svc[o].quorum);
				ntab++;
			}
			next[i]->svc_slot[k] = j;
		}
	}
	for (size_t j = 0; j < ntab; j++) {
		memcpy(ctx->svc[j].name, tab[j].name, sizeof(tab[j].name));
		atomic_store(&ctx->svc[j].quorum, tab[j].quorum);
	}
	ctx->nsvc = ntab;
}

void vrrp_track_service(struct vrrp_ctx *ctx, const char *name, bool met)
{
	uint8_t q = met ? VRRP_QUORUM_MET : VRRP_QUORUM_LOST;
	uint64_t one = 1;

	if (!ctx)
		return;
	for (size_t i = 0; i < ctx->nsvc; i++) {
		if (strcmp(ctx->svc[i].name, name) != 0)
			continue;
		if (atomic_exchange(&ctx->svc[i].quorum, q) != q &&
		    write(ctx->trackfd, &one, sizeof(one)) != sizeof(one))
			log_warn("vrrp: cannot wake the VRRP thread for service %s: %s", name,
				 strerror(errno));
		return;
	}
}

static void vrrp_instance_free(struct vrrp_ctx *ctx, struct vrrp_instance *vi)
{
	if (!vi)
		return;
	if (vi->fd >= 0) {
		epoll_ctl(ctx->epfd, EPOLL_CTL_DEL, vi->fd, NULL);
		close(vi->fd);
	}
	free(vi);
}

/* Sockets for one instance, not started yet. 0 or negative errno, logged here. */
static int vrrp_instance_new(struct vrrp_ctx *ctx, const struct ha_vrrp_config *cfg,
			     struct vrrp_instance **out)
{
	struct vrrp_instance *vi = calloc(1, sizeof(*vi));
	struct epoll_event ev = {.events = EPOLLIN};
	int mtu, err;

	if (!vi)
		return -ENOMEM;
	vi->fd = -1;
	vi->announce_next = VRRP_ANNOUNCE_COUNT; /* nothing to announce before becoming master */
	vi->cfg = *cfg;
	vrrp_fsm_init(&vi->fsm, cfg);
	vrrp_track_init(vi);
	err = iface_lookup(cfg->iface, &vi->ifindex, vi->mac, &mtu);
	if (err) {
		log_error("vrrp %s: interface %s: %s", cfg->name, cfg->iface, strerror(-err));
		goto fail;
	}
	vi->fd = vrrp_sock_open(cfg->family, vi->ifindex, cfg->iface);
	if (vi->fd < 0) {
		err = vi->fd;
		vi->fd = -1;
		log_error("vrrp %s: %s socket on %s: %s", cfg->name, vrrp_family_tag(cfg->family),
			  cfg->iface, strerror(-err));
		goto fail;
	}
	ev.data.ptr = vi;
	if (epoll_ctl(ctx->epfd, EPOLL_CTL_ADD, vi->fd, &ev) < 0) {
		err = -errno;
		log_error("vrrp %s: epoll: %s", cfg->name, strerror(errno));
		goto fail;
	}
	vrrp_find_local(vi, true);
	*out = vi;
	return 0;
fail:
	vrrp_instance_free(ctx, vi);
	return err;
}

static void vrrp_instance_start(struct vrrp_ctx *ctx, struct vrrp_instance *vi)
{
	uint32_t before = vi->fsm.transitions;
	unsigned act = vrrp_fsm_start(&vi->fsm, vrrp_now_ms());

	vrrp_act(ctx, vi, act, before);
}

static void vrrp_instance_stop(struct vrrp_ctx *ctx, struct vrrp_instance *vi)
{
	uint32_t before = vi->fsm.transitions;
	unsigned act = vrrp_fsm_shutdown(&vi->fsm, vrrp_now_ms());

	vrrp_act(ctx, vi, act, before);
}

static bool vrrp_same_router(const struct ha_vrrp_config *a, const struct ha_vrrp_config *b)
{
	return a->vrid == b->vrid && a->family == b->family && strcmp(a->iface, b->iface) == 0;
}

static bool vrrp_has_addr(const struct ha_vrrp_config *c, const struct net_addr *a)
{
	for (size_t i = 0; i < c->naddrs; i++)
		if (net_addr_equal(&c->addrs[i], a))
			return true;
	return false;
}

/* A kept instance takes its new settings; a master moves to the new address set. */
static void vrrp_instance_update(struct vrrp_ctx *ctx, struct vrrp_instance *vi,
				 const struct ha_vrrp_config *cfg)
{
	struct ha_vrrp_config old = vi->cfg;
	char buf[NET_ADDR_STRLEN];
	bool added = false;

	vi->cfg = *cfg;
	vrrp_fsm_configure(&vi->fsm, cfg, vrrp_now_ms());
	vi->addr_mismatch_logged = false;
	vi->unknown_src_logged = false;
	vi->slow_master_logged = false;
	if (vi->fsm.state != VRRP_STATE_MASTER)
		return;
	for (size_t i = 0; i < old.naddrs; i++) {
		int err;

		if (vrrp_has_addr(cfg, &old.addrs[i]))
			continue;
		err = vip_addr_set(ctx->nl, vi->ifindex, &old.addrs[i], false);
		if (err)
			log_error("vrrp %s: cannot remove %s from %s: %s", cfg->name,
				  net_addr_str(&old.addrs[i], buf, sizeof(buf)), cfg->iface,
				  strerror(-err));
	}
	for (size_t i = 0; i < cfg->naddrs; i++)
		added |= !vrrp_has_addr(&old, &cfg->addrs[i]);
	if (added)
		vrrp_act(ctx, vi, VRRP_ACT_TAKE_ADDRS | VRRP_ACT_SEND_ADVERT, vi->fsm.transitions);
}

/* vrrp_apply in the thread that owns @ctx. */
static int vrrp_apply_now(struct vrrp_ctx *ctx, const struct ha_config *cfg)
{
	struct vrrp_instance *fresh[HA_VRRP_MAX] = {}, *next[HA_VRRP_MAX];
	size_t nvrrp = cfg ? cfg->nvrrp : 0;
	int err;

	/* First everything that can fail, so an error leaves the running set as it is. */
	for (size_t i = 0; i < nvrrp; i++) {
		bool found = false;

		for (size_t j = 0; j < ctx->ninst; j++)
			found |= vrrp_same_router(&ctx->inst[j]->cfg, &cfg->vrrp[i]);
		if (found)
			continue;
		err = vrrp_instance_new(ctx, &cfg->vrrp[i], &fresh[i]);
		if (err) {
			for (size_t k = 0; k < i; k++)
				vrrp_instance_free(ctx, fresh[k]);
			return err;
		}
	}
	for (size_t j = 0; j < ctx->ninst; j++)
		ctx->inst[j]->keep = false;
	for (size_t i = 0; i < nvrrp; i++) {
		if (fresh[i]) {
			next[i] = fresh[i];
			continue;
		}
		for (size_t j = 0; j < ctx->ninst; j++) {
			if (!vrrp_same_router(&ctx->inst[j]->cfg, &cfg->vrrp[i]))
				continue;
			next[i] = ctx->inst[j];
			next[i]->keep = true;
		}
	}
	vrrp_track_services_set(ctx, cfg ? cfg->vrrp : NULL, next, nvrrp);
	for (size_t i = 0; i < nvrrp; i++) {
		if (fresh[i])
			continue;
		vrrp_instance_update(ctx, next[i], &cfg->vrrp[i]);
		vrrp_track_refresh(ctx, next[i], true);
	}
	for (size_t j = 0; j < ctx->ninst; j++) {
		if (ctx->inst[j]->keep)
			continue;
		vrrp_instance_stop(ctx, ctx->inst[j]);
		vrrp_instance_free(ctx, ctx->inst[j]);
	}
	memcpy(ctx->inst, next, nvrrp * sizeof(next[0]));
	ctx->ninst = nvrrp;
	for (size_t i = 0; i < nvrrp; i++) {
		if (!fresh[i])
			continue;
		vrrp_track_refresh(ctx, fresh[i], true); /* a fault: it starts in FAULT */
		vrrp_instance_start(ctx, fresh[i]);
	}
	vrrp_arm(ctx);
	return 0;
}

/* At the end of each turn: what vrrp_json() shows. */
static void vrrp_publish(struct vrrp_ctx *ctx)
{
	pthread_mutex_lock(&ctx->lock);
	for (size_t i = 0; i < ctx->ninst; i++) {
		const struct vrrp_instance *vi = ctx->inst[i];

		ctx->view[i] = (struct vrrp_view){.cfg = vi->cfg,
						  .fsm = vi->fsm,
						  .local = vi->local,
						  .changed_wall_ms = vi->changed_wall_ms,
						  .track = vi->track,
						  .track_wall_ms = vi->track_wall_ms,
						  .cnt = vi->cnt};
	}
	ctx->nview = ctx->ninst;
	pthread_mutex_unlock(&ctx->lock);
}

static void vrrp_stop_all(struct vrrp_ctx *ctx)
{
	for (size_t i = 0; i < ctx->ninst; i++)
		if (ctx->nl)
			vrrp_instance_stop(ctx, ctx->inst[i]);
}

/* A command the main thread posted: carried out, then its poster is woken. */
static bool vrrp_run_command(struct vrrp_ctx *ctx)
{
	const struct ha_config *cfg;
	enum vrrp_cmd cmd;
	uint64_t seq, n;
	int err = 0;

	if (read(ctx->cmdfd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warn("vrrp: command eventfd: %s", strerror(errno));
	pthread_mutex_lock(&ctx->lock);
	cmd = ctx->cmd;
	cfg = ctx->cmd_cfg;
	seq = ctx->cmd_seq;
	pthread_mutex_unlock(&ctx->lock);
	if (cmd == VRRP_CMD_NONE)
		return true;
	if (cmd == VRRP_CMD_APPLY)
		err = vrrp_apply_now(ctx, cfg);
	else
		vrrp_stop_all(ctx);
	vrrp_publish(ctx);
	pthread_mutex_lock(&ctx->lock);
	ctx->cmd = VRRP_CMD_NONE;
	ctx->cmd_cfg = NULL;
	ctx->cmd_err = err;
	ctx->done_seq = seq;
	pthread_cond_broadcast(&ctx->done);
	pthread_mutex_unlock(&ctx->lock);
	return cmd != VRRP_CMD_STOP;
}

/*
 * One turn: adverts read (a bounded batch per socket), a command, due timers,
 * the timerfd re-armed, the state published. False once told to stop.
 */
static bool vrrp_turn(struct vrrp_ctx *ctx, const struct epoll_event *evs, int n)
{
	bool go_on = true, command = false, links = false, services = false;

	for (int i = 0; i < n; i++) {
		if (!evs[i].data.ptr) {
			uint64_t expirations;

			if (read(ctx->timerfd, &expirations, sizeof(expirations)) < 0)
				continue;
		} else if (evs[i].data.ptr == &ctx->cmdfd) {
			command = true;
		} else if (evs[i].data.ptr == &ctx->linkfd) {
			links |= vrrp_link_events_drain(ctx->linkfd);
		} else if (evs[i].data.ptr == &ctx->trackfd) {
			uint64_t changes;

			services |= read(ctx->trackfd, &changes, sizeof(changes)) > 0;
		} else {
			vrrp_rx(ctx, evs[i].data.ptr);
		}
	}
	/* After the adverts that came in: a reload acts on the latest state. */
	if (command)
		go_on = vrrp_run_command(ctx);
	if (!go_on)
		return false;
	if (links || services)
		vrrp_track_all(ctx, links);
	vrrp_run_timers(ctx);
	vrrp_arm(ctx);
	vrrp_publish(ctx);
	return true;
}

static void *vrrp_thread(void *arg)
{
	struct vrrp_ctx *ctx = arg;
	struct epoll_event evs[HA_VRRP_MAX + 4];
	bool go_on = true;

	/*
	 * First in line for a CPU when a timer or an advert wakes it (a loaded
	 * host delays a nice-0 thread by 100 ms and more), yet not real-time: a
	 * flood of adverts costs it a fair, if large, share and cannot starve
	 * the rest of the host. Without CAP_SYS_NICE it runs at the default.
	 */
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), VRRP_THREAD_NICE) < 0)
		log_debug("vrrp: cannot raise its thread's priority: %s", strerror(errno));

	while (go_on) {
		int n = epoll_wait(ctx->epfd, evs, HA_VRRP_MAX + 4, -1);

		if (n < 0) {
			if (errno != EINTR) {
				log_error("vrrp: epoll_wait: %s", strerror(errno));
				usleep(10000);
			}
			continue;
		}
		go_on = vrrp_turn(ctx, evs, n);
	}
	return NULL;
}

/*
 * Posts @cmd and waits until the VRRP thread has carried it out; its result.
 * Only one thread (xlbd's main thread) posts, so there is never a command
 * pending here; the wait is for the VRRP thread, which never waits for us.
 */
static int vrrp_post(struct vrrp_ctx *ctx, enum vrrp_cmd cmd, const struct ha_config *cfg)
{
	uint64_t one = 1, seq;
	int err;

	pthread_mutex_lock(&ctx->lock);
	ctx->cmd = cmd;
	ctx->cmd_cfg = cfg;
	seq = ++ctx->cmd_seq;
	pthread_mutex_unlock(&ctx->lock);
	if (write(ctx->cmdfd, &one, sizeof(one)) != sizeof(one))
		log_error("vrrp: cannot wake the VRRP thread: %s", strerror(errno));
	pthread_mutex_lock(&ctx->lock);
	while (ctx->done_seq != seq)
		pthread_cond_wait(&ctx->done, &ctx->lock);
	err = ctx->cmd_err;
	pthread_mutex_unlock(&ctx->lock);
	return err;
}

int vrrp_apply(struct vrrp_ctx *ctx, const struct ha_config *cfg)
{
	if (!ctx)
		return cfg && cfg->nvrrp ? -EINVAL : 0;
	if (!ctx->running)
		return vrrp_apply_now(ctx, cfg);
	return vrrp_post(ctx, VRRP_CMD_APPLY, cfg);
}

static int vrrp_start_thread(struct vrrp_ctx *ctx)
{
	sigset_t all, old;
	int err;

	/* Signals are the main thread's (signalfd): the VRRP thread takes none. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&ctx->thread, NULL, vrrp_thread, ctx);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		log_error("vrrp: cannot start its thread: %s", strerror(err));
		return -err;
	}
	pthread_setname_np(ctx->thread, "xlbd-vrrp");
	ctx->running = true;
	return 0;
}

int vrrp_open(const struct ha_config *cfg, struct vrrp_ctx **out)
{
	struct vrrp_ctx *ctx = calloc(1, sizeof(*ctx));
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	struct epoll_event cmd_ev = {.events = EPOLLIN};
	struct epoll_event link_ev = {.events = EPOLLIN};
	struct epoll_event track_ev = {.events = EPOLLIN};
	int err;

	*out = NULL;
	if (!ctx)
		return -ENOMEM;
	pthread_mutex_init(&ctx->lock, NULL);
	pthread_cond_init(&ctx->done, NULL);
	cmd_ev.data.ptr = &ctx->cmdfd;
	link_ev.data.ptr = &ctx->linkfd;
	track_ev.data.ptr = &ctx->trackfd;
	ctx->epfd = epoll_create1(EPOLL_CLOEXEC);
	ctx->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	ctx->cmdfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ctx->trackfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ctx->ifq_sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ctx->linkfd = vrrp_link_events_open();
	if (ctx->linkfd < 0) {
		errno = -ctx->linkfd;
		ctx->linkfd = -1;
	}
	if (ctx->epfd < 0 || ctx->timerfd < 0 || ctx->cmdfd < 0 || ctx->trackfd < 0 ||
	    ctx->ifq_sock < 0 || ctx->linkfd < 0 ||
	    epoll_ctl(ctx->epfd, EPOLL_CTL_ADD, ctx->timerfd, &ev) < 0 ||
	    epoll_ctl(ctx->epfd, EPOLL_CTL_ADD, ctx->cmdfd, &cmd_ev) < 0 ||
	    epoll_ctl(ctx->epfd, EPOLL_CTL_ADD, ctx->linkfd, &link_ev) < 0 ||
	    epoll_ctl(ctx->epfd, EPOLL_CTL_ADD, ctx->trackfd, &track_ev) < 0) {
		err = -errno;
		log_error("vrrp: event setup: %s", strerror(errno));
		goto fail;
	}
	err = vip_nl_open(&ctx->nl);
	if (err) {
		log_error("vrrp: netlink: %s", strerror(-err));
		goto fail;
	}
	/* Before the thread: the first instances start from here, the caller waiting. */
	if (cfg && cfg->nvrrp) {
		err = vrrp_apply_now(ctx, cfg);
		if (err)
			goto fail;
	}
	vrrp_publish(ctx);
	err = vrrp_start_thread(ctx);
	if (err)
		goto fail;
	*out = ctx;
	return 0;
fail:
	vrrp_close(ctx);
	return err;
}

void vrrp_close(struct vrrp_ctx *ctx)
{
	if (!ctx)
		return;
	if (ctx->running) {
		vrrp_post(ctx, VRRP_CMD_STOP, NULL);
		pthread_join(ctx->thread, NULL);
		ctx->running = false;
	} else {
		vrrp_stop_all(ctx);
	}
	for (size_t i = 0; i < ctx->ninst; i++)
		vrrp_instance_free(ctx, ctx->inst[i]);
	vip_nl_close(ctx->nl);
	if (ctx->cmdfd >= 0)
		close(ctx->cmdfd);
	if (ctx->trackfd >= 0)
		close(ctx->trackfd);
	if (ctx->linkfd >= 0)
		close(ctx->linkfd);
	if (ctx->ifq_sock >= 0)
		close(ctx->ifq_sock);
	if (ctx->timerfd >= 0)
		close(ctx->timerfd);
	if (ctx->epfd >= 0)
		close(ctx->epfd);
	pthread_cond_destroy(&ctx->done);
	pthread_mutex_destroy(&ctx->lock);
	free(ctx);
}
