/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One VRRP router's state machine (RFC 5798 6.4) with the clock passed in:
 * no sockets, no addresses, so tests drive it with a fake clock. Every entry
 * point returns what the caller must do now (enum vrrp_action bits).
 */
#ifndef XLB_HA_VRRP_FSM_H
#define XLB_HA_VRRP_FSM_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "ha/ha_config.h"

/*
 * FAULT is keepalived's: something the instance tracks (its own link, a
 * tracked interface or service without weight) fails, so it neither sends
 * adverts nor holds the addresses nor takes over; back to Backup when fixed.
 */
enum vrrp_state { VRRP_STATE_INIT = 0, VRRP_STATE_BACKUP, VRRP_STATE_MASTER, VRRP_STATE_FAULT };

enum vrrp_action {
	VRRP_ACT_SEND_ADVERT = 1 << 0,	/* with our priority */
	VRRP_ACT_SEND_RELEASE = 1 << 1, /* an advert with priority 0: we stop being master */
	VRRP_ACT_TAKE_ADDRS = 1 << 2,	/* became master: add the addresses, announce them */
	VRRP_ACT_DROP_ADDRS = 1 << 3,	/* not master (any more): remove the addresses */
};

#define VRRP_PRIORITY_OWNER 255
#define VRRP_NO_DEADLINE UINT64_MAX

struct vrrp_fsm {
	/* From the config; @priority as tracking made it (vrrp_fsm_track). */
	uint8_t priority;
	uint16_t advert_cs;
	bool preempt;
	uint32_t preempt_delay_ms;

	enum vrrp_state state;
	uint16_t master_adver_cs; /* ours as master; as backup the master's, learned */
	uint64_t adver_due_ms;	  /* master: next advertisement */
	uint64_t down_due_ms;	  /* backup: Master_Down_Timer */
	uint64_t backup_since_ms; /* preempt_delay counts from here */
	bool master_released; /* the down timer runs for Skew_Time after a priority 0 advert */

	/* The last advertisement accepted from another router: the "peer". */
	bool peer_known;
	struct net_addr peer_addr;
	uint8_t peer_priority;
	uint16_t peer_adver_cs;
	uint64_t peer_seen_ms;

	char fault[80]; /* what fails, "" when nothing: FAULT (or INIT, to become FAULT) */

	uint32_t transitions;
	enum vrrp_state prev_state;
	uint64_t changed_ms;
	char reason[96];
};

const char *vrrp_state_name(enum vrrp_state s);	 /* "init", "backup", "master", "fault" */
const char *vrrp_state_upper(enum vrrp_state s); /* "INIT", ... for the log */

/* Skew_Time and Master_Down_Interval in ms for a priority and an interval in cs. */
uint32_t vrrp_skew_ms(uint8_t priority, uint16_t adver_cs);
uint32_t vrrp_master_down_ms(uint8_t priority, uint16_t adver_cs);

/* A router in Initialize with the instance's settings. */
void vrrp_fsm_init(struct vrrp_fsm *f, const struct ha_vrrp_config *cfg);
/* A reload changed priority, interval or preemption: takes effect from the next event. */
void vrrp_fsm_configure(struct vrrp_fsm *f, const struct ha_vrrp_config *cfg, uint64_t now_ms);
/*
 * Startup event (6.4.1): the owner becomes master, everyone else backup; a
 * router with a fault (vrrp_fsm_track before) goes to FAULT instead.
 */
unsigned vrrp_fsm_start(struct vrrp_fsm *f, uint64_t now_ms);
/* Timers that are due at @now_ms (Adver_Timer, Master_Down_Timer). */
unsigned vrrp_fsm_timer(struct vrrp_fsm *f, uint64_t now_ms);
/*
 * A valid advertisement for our VRID from @src (6.4.2, 6.4.3). @local is our
 * own primary address, for the tie-break between equal priorities.
 */
unsigned vrrp_fsm_advert(struct vrrp_fsm *f, uint64_t now_ms, uint8_t priority, uint16_t adver_cs,
			 const struct net_addr *src, const struct net_addr *local);
/*
 * What tracking says now: the priority to advertise and, when @fault is not
 * NULL, why the router must be in FAULT. Entering FAULT a master sends
 * priority 0 and drops the addresses (the backups take over after Skew_Time);
 * the fault gone, FAULT -> Backup (the owner: Master). A master whose
 * priority changed advertises it at once. A reload (vrrp_fsm_configure)
 * resets the priority to the config's: call this after it.
 */
unsigned vrrp_fsm_track(struct vrrp_fsm *f, uint64_t now_ms, uint8_t priority, const char *fault);
/* Shutdown event: a master sends priority 0 and drops the addresses; back to init. */
unsigned vrrp_fsm_shutdown(struct vrrp_fsm *f, uint64_t now_ms);
/* When vrrp_fsm_timer() has something to do next; VRRP_NO_DEADLINE if never. */
uint64_t vrrp_fsm_next_due(const struct vrrp_fsm *f);

#endif /* XLB_HA_VRRP_FSM_H */
