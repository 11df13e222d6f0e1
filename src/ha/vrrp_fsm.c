// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* RFC 5798 section 6.4 as a pure state machine: events in, actions out, time passed in. */
#include "ha/vrrp_fsm.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

const char *vrrp_state_name(enum vrrp_state s)
{
	switch (s) {
	case VRRP_STATE_BACKUP:
		return "backup";
	case VRRP_STATE_MASTER:
		return "master";
	case VRRP_STATE_FAULT:
		return "fault";
	default:
		return "init";
	}
}

const char *vrrp_state_upper(enum vrrp_state s)
{
	switch (s) {
	case VRRP_STATE_BACKUP:
		return "BACKUP";
	case VRRP_STATE_MASTER:
		return "MASTER";
	case VRRP_STATE_FAULT:
		return "FAULT";
	default:
		return "INIT";
	}
}

/* Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256, kept in ms for precision. */
uint32_t vrrp_skew_ms(uint8_t priority, uint16_t adver_cs)
{
	return (uint32_t)((256u - priority) * adver_cs * 10u / 256u);
}

/* Master_Down_Interval = 3 * Master_Adver_Interval + Skew_Time. */
uint32_t vrrp_master_down_ms(uint8_t priority, uint16_t adver_cs)
{
	return 3u * adver_cs * 10u + vrrp_skew_ms(priority, adver_cs);
}

void vrrp_fsm_init(struct vrrp_fsm *f, const struct ha_vrrp_config *cfg)
{
	memset(f, 0, sizeof(*f));
	f->priority = cfg->priority;
	f->advert_cs = cfg->advert_cs;
	f->preempt = cfg->preempt;
	f->preempt_delay_ms = cfg->preempt_delay_ms;
	f->master_adver_cs = cfg->advert_cs;
	f->state = VRRP_STATE_INIT;
	f->adver_due_ms = f->down_due_ms = VRRP_NO_DEADLINE;
	snprintf(f->reason, sizeof(f->reason), "not started");
}

void vrrp_fsm_configure(struct vrrp_fsm *f, const struct ha_vrrp_config *cfg, uint64_t now_ms)
{
	f->priority = cfg->priority;
	f->preempt = cfg->preempt;
	f->preempt_delay_ms = cfg->preempt_delay_ms;
	if (f->advert_cs != cfg->advert_cs) {
		f->advert_cs = cfg->advert_cs;
		if (f->state == VRRP_STATE_MASTER) {
			f->master_adver_cs = cfg->advert_cs;
			f->adver_due_ms = now_ms; /* tell the backups at once */
		}
	}
}

static void vrrp_fsm_enter(struct vrrp_fsm *f, enum vrrp_state to, uint64_t now_ms,
			   const char *reason)
{
	f->prev_state = f->state;
	f->state = to;
	f->transitions++;
	f->changed_ms = now_ms;
	snprintf(f->reason, sizeof(f->reason), "%s", reason);
}

static void vrrp_fsm_reset_down(struct vrrp_fsm *f, uint64_t now_ms)
{
	f->master_released = false;
	f->down_due_ms = now_ms + vrrp_master_down_ms(f->priority, f->master_adver_cs);
}

static unsigned vrrp_fsm_to_master(struct vrrp_fsm *f, uint64_t now_ms, const char *reason)
{
	vrrp_fsm_enter(f, VRRP_STATE_MASTER, now_ms, reason);
	f->master_adver_cs = f->advert_cs;
	f->down_due_ms = VRRP_NO_DEADLINE;
	f->adver_due_ms = now_ms + f->advert_cs * 10u;
	return VRRP_ACT_SEND_ADVERT | VRRP_ACT_TAKE_ADDRS;
}

static unsigned vrrp_fsm_to_backup(struct vrrp_fsm *f, uint64_t now_ms, uint16_t master_cs,
				   const char *reason)
{
	vrrp_fsm_enter(f, VRRP_STATE_BACKUP, now_ms, reason);
	f->master_adver_cs = master_cs;
	f->adver_due_ms = VRRP_NO_DEADLINE;
	f->backup_since_ms = now_ms;
	vrrp_fsm_reset_down(f, now_ms);
	return VRRP_ACT_DROP_ADDRS;
}

/* No adverts, no timers, no addresses: only vrrp_fsm_track brings it back. */
static unsigned vrrp_fsm_to_fault(struct vrrp_fsm *f, uint64_t now_ms)
{
	unsigned act = 0;

	if (f->state == VRRP_STATE_MASTER)
		act = VRRP_ACT_SEND_RELEASE | VRRP_ACT_DROP_ADDRS;
	vrrp_fsm_enter(f, VRRP_STATE_FAULT, now_ms, f->fault);
	f->adver_due_ms = f->down_due_ms = VRRP_NO_DEADLINE;
	return act;
}

unsigned vrrp_fsm_start(struct vrrp_fsm *f, uint64_t now_ms)
{
	if (f->state != VRRP_STATE_INIT)
		return 0;
	if (f->fault[0])
		/* Also clears addresses a crashed predecessor may have left behind. */
		return vrrp_fsm_to_fault(f, now_ms) | VRRP_ACT_DROP_ADDRS;
	if (f->priority == VRRP_PRIORITY_OWNER)
		return vrrp_fsm_to_master(f, now_ms, "priority 255: address owner");
	/* Also clears addresses a crashed predecessor may have left behind. */
	return vrrp_fsm_to_backup(f, now_ms, f->advert_cs, "started");
}

unsigned vrrp_fsm_timer(struct vrrp_fsm *f, uint64_t now_ms)
{
	if (f->state == VRRP_STATE_BACKUP && now_ms >= f->down_due_ms)
		return vrrp_fsm_to_master(f, now_ms,
					  f->master_released ? "master left (priority 0 advert)"
							     : "master down timer expired");
	if (f->state == VRRP_STATE_MASTER && now_ms >= f->adver_due_ms) {
		f->adver_due_ms = now_ms + f->advert_cs * 10u;
		return VRRP_ACT_SEND_ADVERT;
	}
	return 0;
}

/* Network byte order comparison, as RFC 5798 6.4.3 asks. */
static int vrrp_addr_cmp(const struct net_addr *a, const struct net_addr *b)
{
	if (a->family == AF_INET)
		return memcmp(&a->v4.s_addr, &b->v4.s_addr, 4);
	return memcmp(a->v6.s6_addr, b->v6.s6_addr, 16);
}

/*
 * The interval a backup takes from its master: a faster one as RFC 5798
 * says, a slower one only up to our own. Master_Down_Interval then never
 * exceeds 3 of our intervals + skew, so one forged advert claiming 4095 cs
 * cannot leave the addresses without an owner for 132 s; a real master up to
 * three times slower than us still holds us down (the timer waits for three).
 */
static uint16_t vrrp_fsm_learn_cs(const struct vrrp_fsm *f, uint16_t adver_cs)
{
	if (!adver_cs || adver_cs > f->advert_cs)
		return f->advert_cs;
	return adver_cs;
}

static void vrrp_fsm_note_peer(struct vrrp_fsm *f, uint64_t now_ms, uint8_t priority,
			       uint16_t adver_cs, const struct net_addr *src)
{
	f->peer_known = true;
	f->peer_addr = *src;
	f->peer_priority = priority;
	f->peer_adver_cs = adver_cs;
	f->peer_seen_ms = now_ms;
}

unsigned vrrp_fsm_advert(struct vrrp_fsm *f, uint64_t now_ms, uint8_t priority, uint16_t adver_cs,
			 const struct net_addr *src, const struct net_addr *local)
{
	char reason[96], addr[NET_ADDR_STRLEN];

	vrrp_fsm_note_peer(f, now_ms, priority, adver_cs, src);
	if (f->state == VRRP_STATE_BACKUP) {
		if (priority == 0) {
			/* The master left: take over after Skew_Time, not a whole interval. */
			f->down_due_ms = now_ms + vrrp_skew_ms(f->priority, f->master_adver_cs);
			f->master_released = true;
			return 0;
		}
		bool lower = priority < f->priority;
		bool may_preempt = f->preempt && now_ms >= f->backup_since_ms + f->preempt_delay_ms;

		if (!lower || !may_preempt) {
			f->master_adver_cs = vrrp_fsm_learn_cs(f, adver_cs);
			vrrp_fsm_reset_down(f, now_ms);
		}
		/* A lower-priority master is left to time out: then we preempt. */
		return 0;
	}
	if (f->state == VRRP_STATE_MASTER) {
		if (priority == 0) {
			/* Another master left: make sure the backups hear from us now. */
			f->adver_due_ms = now_ms + f->advert_cs * 10u;
			return VRRP_ACT_SEND_ADVERT;
		}
		if (priority > f->priority ||
		    (priority == f->priority && local && local->family == src->family &&
		     vrrp_addr_cmp(src, local) > 0)) {
			snprintf(reason, sizeof(reason), "advert from %s with %s priority %u",
				 net_addr_str(src, addr, sizeof(addr)),
				 priority > f->priority ? "higher"
							: "equal (its address is higher)",
				 priority);
			return vrrp_fsm_to_backup(f, now_ms, vrrp_fsm_learn_cs(f, adver_cs), reason);
		}
	}
	return 0;
}

unsigned vrrp_fsm_track(struct vrrp_fsm *f, uint64_t now_ms, uint8_t priority, const char *fault)
{
	bool changed = priority != f->priority;
	char reason[96];

	f->priority = priority;
	if (fault) {
		snprintf(f->fault, sizeof(f->fault), "%s", fault);
		if (f->state == VRRP_STATE_BACKUP || f->state == VRRP_STATE_MASTER)
			return vrrp_fsm_to_fault(f, now_ms);
		return 0;
	}
	if (f->fault[0]) {
		snprintf(reason, sizeof(reason), "fault cleared: %.70s", f->fault);
		f->fault[0] = '\0';
		if (f->state != VRRP_STATE_FAULT)
			return 0;
		if (f->priority == VRRP_PRIORITY_OWNER)
			return vrrp_fsm_to_master(f, now_ms, reason);
		return vrrp_fsm_to_backup(f, now_ms, f->advert_cs, reason);
	}
	if (changed && f->state == VRRP_STATE_MASTER) {
		/* The backups learn it now, not an interval later: they may preempt. */
		f->adver_due_ms = now_ms + f->advert_cs * 10u;
		return VRRP_ACT_SEND_ADVERT;
	}
	return 0;
}

unsigned vrrp_fsm_shutdown(struct vrrp_fsm *f, uint64_t now_ms)
{
	unsigned act = 0;

	if (f->state == VRRP_STATE_MASTER)
		act = VRRP_ACT_SEND_RELEASE | VRRP_ACT_DROP_ADDRS;
	if (f->state != VRRP_STATE_INIT)
		vrrp_fsm_enter(f, VRRP_STATE_INIT, now_ms, "shutdown");
	f->adver_due_ms = f->down_due_ms = VRRP_NO_DEADLINE;
	return act;
}

uint64_t vrrp_fsm_next_due(const struct vrrp_fsm *f)
{
	if (f->state == VRRP_STATE_BACKUP)
		return f->down_due_ms;
	if (f->state == VRRP_STATE_MASTER)
		return f->adver_due_ms;
	return VRRP_NO_DEADLINE;
}
