/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What vrrp.c keeps per VRRP instance and per context; shared with vrrp_json.c only. */
#ifndef XLB_HA_VRRP_INSTANCE_H
#define XLB_HA_VRRP_INSTANCE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "ha/ha_config.h"
#include "ha/vrrp_fsm.h"
#include "ha/vrrp_packet.h"
#include "ha/vrrp_track.h"

struct vrrp_counters {
	uint64_t adverts_rx; /* valid adverts for our VRID */
	uint64_t adverts_tx;
	uint64_t rx_err[VRRP_RX__COUNT]; /* dropped, by reason */
	uint64_t vrid_other;		 /* valid adverts of another VRID on the link: ignored */
	uint64_t
	    addr_mismatch; /* our VRID with other addresses: logged, accepted (as keepalived) */
	uint64_t tx_errors;
	uint64_t addr_errors;	/* adding or removing a virtual address failed */
	uint64_t announcements; /* gratuitous ARPs / unsolicited NAs sent */
};

struct vrrp_instance {
	struct ha_vrrp_config cfg;
	struct vrrp_fsm fsm;
	int ifindex;
	uint8_t mac[6];
	int fd;
	struct net_addr local; /* source of our adverts; family 0 until found */
	uint64_t local_checked_ms;
	unsigned announce_next;	    /* index into the announcement schedule; past it: done */
	uint64_t announce_start_ms; /* when we last became master */
	int64_t changed_wall_ms;    /* CLOCK_REALTIME of the last transition, for people */
	int last_tx_err;	    /* logged once until it changes */
	bool addr_mismatch_logged;
	bool unknown_src_logged; /* once per instance: a flood must not flood the log */
	bool slow_master_logged; /* an advert interval above ours, capped (vrrp_fsm.c) */
	bool keep; /* vrrp_apply: still in the new config */
	struct vrrp_track_status track; /* as last looked at; changes are logged */
	uint8_t track_prio;		/* the priority tracking gave last (logged when it moves) */
	int64_t track_wall_ms;		/* CLOCK_REALTIME when it or the fault last changed */
	size_t svc_slot[HA_TRACK_MAX];	/* ctx->svc index of each cfg.track_services[] */
	struct vrrp_counters cnt;
};

/* What other threads see of an instance: a copy the VRRP thread publishes. */
struct vrrp_view {
	struct ha_vrrp_config cfg;
	struct vrrp_fsm fsm;
	struct net_addr local;
	int64_t changed_wall_ms;
	int64_t track_wall_ms;
	struct vrrp_track_status track;
	struct vrrp_counters cnt;
};

/* A tracked service's quorum as xlbd's main thread last reported it (vrrp_track_service). */
struct vrrp_svc_quorum {
	char name[64];
	_Atomic uint8_t quorum; /* enum vrrp_quorum */
};

#define VRRP_SVC_MAX (HA_VRRP_MAX * HA_TRACK_MAX)

enum vrrp_cmd { VRRP_CMD_NONE = 0, VRRP_CMD_APPLY, VRRP_CMD_STOP };

/*
 * Ownership (see vrrp.h): everything above "shared" belongs to the VRRP
 * thread while it runs (to the opening thread before it starts and after it
 * is joined); nothing else reads or writes it. The rest is under @lock.
 */
struct vrrp_ctx {
	int epfd;    /* the instances' sockets, the timerfd and cmdfd */
	int timerfd; /* armed for the earliest deadline of all instances */
	struct vip_nl *nl;
	struct vrrp_instance *inst[HA_VRRP_MAX];
	size_t ninst;
	int linkfd;  /* rtnetlink link events: tracked links are looked at again */
	int ifq_sock; /* for the interface flags ioctl */

	/* shared */
	int cmdfd; /* eventfd: the main thread posted a command */
	pthread_t thread;
	bool running; /* written before the thread starts and after it is joined */
	pthread_mutex_t lock;
	pthread_cond_t done; /* a command was carried out */
	enum vrrp_cmd cmd;   /* the pending command, VRRP_CMD_NONE when there is none */
	const struct ha_config *cmd_cfg; /* VRRP_CMD_APPLY: read while its poster waits */
	uint64_t cmd_seq, done_seq;	 /* posted / carried out */
	int cmd_err;			 /* the result of command done_seq */
	struct vrrp_view view[HA_VRRP_MAX]; /* as of the end of the thread's last turn */
	size_t nview;

	/*
	 * Tracked services, each name once. The names and @nsvc are written by
	 * whoever applies a config (the VRRP thread while the main thread waits
	 * in vrrp_apply, or the opening thread before the VRRP thread starts),
	 * so the main thread reads them without a lock; @quorum is stored by
	 * the main thread and loaded by the VRRP thread, which @trackfd (an
	 * eventfd) wakes: no lock, no waiting on either side.
	 */
	int trackfd;
	struct vrrp_svc_quorum svc[VRRP_SVC_MAX];
	size_t nsvc;
};

uint64_t vrrp_now_ms(void);

#endif /* XLB_HA_VRRP_INSTANCE_H */
