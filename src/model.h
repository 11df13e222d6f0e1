/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The running state: config plus ids, MACs and health, and its sync to the maps. */
#ifndef XLB_MODEL_H
#define XLB_MODEL_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "dataplane.h"
#include "neigh.h"

struct real {
	struct real_config cfg;
	uint32_t id;
	uint32_t gen;
	int ifindex; /* egress interface, 0 when unknown */
	struct net_addr nexthop; /* the real itself, or the gateway for routed methods */
	struct net_addr src; /* tun/gue: the outer source, our address toward the real */
	uint8_t mac[6]; /* the next hop's */
	bool mac_known;
	const char *problem; /* why it cannot take new flows; NULL when it can */
	bool sorry; /* the service's sorry server: in the ring only while no other real is usable */
	bool no_mac; /* method proxy: dialled through the kernel's stack, no MAC needed */
	bool health_down; /* failed its health check: no new flows (existing: see on_failure) */
	bool health_known; /* a check result arrived since its check started */
	uint32_t health_transitions;
	char health_reason[64]; /* reason of the last failed check, "" if none */
	const char *shown_state; /* real_state_name() since since_ms */
	uint64_t since_ms; /* CLOCK_MONOTONIC ms of the last change of real_state_name() */
	bool in_ring; /* took new flows at the last service write */
	uint64_t ramp_start_ms; /* slow start: when it last began to take new flows */
	bool weight_set; /* xlbctl set the weight (or drained): weight_admin wins over cfg */
	uint32_t weight_admin;
	bool fresh; /* got its id at the last reload: its counters start from zero */
};

struct service {
	struct service_config cfg; /* cfg.reals is not used: see reals */
	uint32_t id;
	uint16_t ring_slot;
	int mh_slot; /* mh: its pair of tables in "mh_tables", else -1 */
	struct real *reals;
	size_t nreals; /* with the sorry server, last, if there is one */
	uint32_t healthy; /* usable reals, the sorry server not counted */
	bool quorum_up; /* healthy >= cfg.quorum; VRRP's track_service follows it */
	bool quorum_known;
	bool sorry_active; /* no real is usable and new flows go to the sorry server */
	bool fresh;	   /* got its id at the last reload */
};

struct iface {
	char name[IF_NAMESIZE];
	int ifindex;
	enum attach_mode mode;
	uint8_t mac[6];
	int mtu;
};

struct recovered_real;

/*
 * Ids the running config holds: services, reals, Maglev table pairs (and,
 * until the first apply, the reals a previous xlbd left pinned).
 */
struct model_ids {
	uint8_t svc[XLB_MAX_SERVICES];
	uint8_t real[XLB_MAX_REALS];
	uint8_t mh[XLB_MH_SERVICES];
};

/*
 * The flow tables as of the last pass. LRU maps evict silently, so
 * evictions are what was inserted minus what was deleted minus what is
 * left; the inserts and deletes are running totals, so an error in one
 * pass's count (the walk is not a snapshot) does not add up over passes.
 */
struct flow_table_state {
	uint64_t flows, flows_max, flows_evicted;
	uint64_t syn, syn_max, syn_evicted;
	bool warned_full; /* above 90% logged; again after it fell below 80% */
};

struct model {
	struct dataplane *dp;
	struct neigh_ctx *neigh;
	struct xlb_config cfg;
	struct service *services;
	size_t nservices;
	struct iface *ifaces;
	size_t nifaces;
	struct model_ids ids;
	uint32_t next_gen; /* never goes back, even when a reload is undone: see model_apply.c */
	/* Reals found in pinned maps at start, until the first apply adopts them. */
	struct recovered_real *recovered;
	size_t nrecovered;
	bool applied_once;
	struct health_ctx *health; /* health checks, for the control socket; may be NULL */
	struct vrrp_ctx *vrrp; /* VRRP instances (ha: vrrp), for the control socket; may be NULL */
	struct sync_ctx *sync; /* NULL: sync off */
	struct bgp_ctx *bgp; /* VIP announcements (bgp/bgp.h); may be NULL */
	/*
	 * Called whenever a service's quorum is computed (@changed: it differs
	 * from before): VRRP's track_service and BGP's announcements follow it.
	 * Set by main; the model knows neither of them.
	 */
	void (*on_quorum)(struct model *m, const struct service *s, bool changed);
	struct proxy_engine *proxy; /* method proxy's engine, for the control socket; may be NULL */
	struct upgrade_old *upgrade; /* the xlbd we took over from, while it drains; may be NULL */
	/*
	 * Bumped whenever a proxy service's reals may have changed (health,
	 * weight, reload): the proxy engine is not in the BPF maps and
	 * republishes its snapshots when this moves.
	 */
	uint64_t proxy_gen;
	struct flow_table_state flowtab; /* sizes, fill and evictions, as of the last sweep */
};

/* Reads what a previous xlbd left in the pinned maps, so ids (and flows) carry over. */
int model_init(struct model *m, struct dataplane *dp, struct neigh_ctx *neigh);
/*
 * Makes @cfg the running config, as one transaction (model_apply.c): the new
 * state is built aside, then the program is widened to serve both configs,
 * interfaces attached, services, reals and rings written, what is gone
 * removed, interfaces detached and the program narrowed. Unchanged services
 * and reals keep their ids, so their flows stay. On success takes ownership
 * of @cfg. On any failure every step is undone (maps, interfaces, program,
 * ids: the running config stays in force exactly), @cfg is left to the
 * caller and @why says what failed.
 */
int model_apply(struct model *m, struct xlb_config *cfg, char *why, size_t whylen);
/* A neighbour entry changed (mac NULL: gone or unusable; addr NULL: resync all). */
void model_neigh_event(const struct net_addr *addr, int ifindex, const uint8_t *mac, void *arg);
/* Periodic work: resolve reals without a MAC, keep neighbour entries fresh. */
void model_tick(struct model *m, bool refresh_all);
/* Frees the model; the program stays attached and the maps pinned (hitless restart). */
void model_shutdown(struct model *m);

const char *real_state_name(const struct real *r);
/* The weight in force: set at runtime by xlbctl, else the config's. */
uint32_t real_weight(const struct real *r);
/*
 * xlbctl real weight|drain|enable: @weight >= 0 sets it (0 drains: existing
 * flows stay, no new ones), -1 returns to the config's weight. The setting
 * survives reloads while the real stays in the config. 0 or -ENOENT / -EINVAL
 * with @err saying why.
 */
int model_real_set_weight(struct model *m, const char *service, const char *real, long weight,
			  char *err, size_t errlen);
/*
 * The health checks' verdict on a real, keyed by ids that survive reloads:
 * down takes it out of the ring (and, with on_failure remove, makes its
 * existing flows reschedule); up puts it back. @reason: why it went down.
 */
void model_set_real_health(struct model *m, uint32_t svc_id, uint32_t real_id, bool up,
			   const char *reason);
uint64_t model_now_ms(void);
/* Every real of the running config by id (NULL: no such real), for table walks; free() it. */
struct real **model_reals_by_id(const struct model *m);
/* Whether @r takes new connections now (usable, and the sorry server only as a last resort). */
bool model_real_in_ring(const struct service *s, const struct real *r);
/* Slow start progress of @r (sched_real.slow_start), 0 when not ramping. */
uint16_t model_real_slow_start(const struct service *s, const struct real *r);

#endif /* XLB_MODEL_H */
