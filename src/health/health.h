/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Health checks: the scheduler, the one result choke point and the checker seam. */
#ifndef XLB_HEALTH_H
#define XLB_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "health/health_config.h"

/*
 * Why a check failed. Each has a fixed text (health_reason_name), so logs,
 * xlbctl and scripts all say the same thing; some carry a detail
 * ("status" + "503", "exit status" + "2").
 */
enum health_reason {
	HEALTH_R_NONE = 0,
	HEALTH_R_TIMEOUT,
	HEALTH_R_REFUSED,
	HEALTH_R_RESET,
	HEALTH_R_HOST_UNREACHABLE,
	HEALTH_R_NET_UNREACHABLE,
	HEALTH_R_SOCKET_ERROR,
	HEALTH_R_CLOSED,
	HEALTH_R_STATUS,
	HEALTH_R_BODY_MISMATCH,
	HEALTH_R_BAD_RESPONSE,
	HEALTH_R_TOO_LARGE,
	HEALTH_R_TLS_HANDSHAKE,
	HEALTH_R_TLS_VERIFY,
	HEALTH_R_NO_ECHO_REPLY,
	HEALTH_R_NO_ARP_REPLY,
	HEALTH_R_EXPECT_MISMATCH,
	HEALTH_R_NO_REPLY,
	HEALTH_R_PORT_UNREACHABLE,
	HEALTH_R_DNS_RCODE,
	HEALTH_R_DNS_NO_ANSWER,
	HEALTH_R_EXIT_STATUS,
	HEALTH_R_KILLED,
	HEALTH_R__COUNT,
};

enum health_result {
	HEALTH_FAIL = 0,
	HEALTH_OK,
};

const char *health_reason_name(enum health_reason reason);
/* "status 503", "connect refused", "timeout": the reason with its detail. */
void health_reason_format(enum health_reason reason, const char *detail, char *buf, size_t size);

/*
 * The rise/fall state machine of one real. Until the first result the real
 * is UNKNOWN and that first result decides at once (a restart or a new real
 * should not wait rise intervals, nor keep a dead real for fall intervals);
 * after that it takes @rise successes in a row to come up and @fall
 * failures in a row to go down.
 */
enum health_state {
	HEALTH_STATE_UNKNOWN = 0,
	HEALTH_STATE_UP,
	HEALTH_STATE_DOWN,
};

enum health_transition {
	HEALTH_T_NONE = 0,
	HEALTH_T_UP,
	HEALTH_T_DOWN,
};

struct health_fsm {
	uint8_t state;	  /* enum health_state */
	uint8_t ok_run;	  /* successes in a row while DOWN */
	uint8_t fail_run; /* failures in a row while UP */
};

enum health_transition health_fsm_step(struct health_fsm *f, bool ok, uint8_t rise, uint8_t fall);
const char *health_state_name(enum health_state state);

struct health_ctx;
struct health_spec;

/* One real's check; lives as long as the real keeps the same check target. */
struct health_check {
	struct health_ctx *h;
	struct health_spec *spec; /* the service's check config, shared */
	uint32_t svc_id;
	uint32_t real_id;
	struct net_addr addr; /* where the check goes */
	uint16_t port;
	struct net_addr real_addr; /* the real, for logs and scripts */
	uint16_t real_port;

	uint32_t slot; /* index in the context's table; stale events carry it */
	uint32_t seq;  /* run number: events and replies of older runs are ignored */
	size_t heap_idx;
	uint64_t wake_ms; /* next start, or the running check's deadline */
	uint64_t started_ms;
	bool running;
	bool in_heap;
	struct health_fsm fsm;
	enum health_reason last_reason; /* of the last failure */
	char last_detail[64];
	uint64_t runs, failures;
	uint64_t last_duration_ms; /* of the last run that ended, for metrics */
	int last_local_err; /* a run that could not start (EMFILE...), logged once */

	/* Per run, owned by the checker and released by its cancel(). */
	int fd;
	uint32_t events; /* what fd is registered for, 0 when it is not */
	void *priv;
	/* Checkers with a shared socket queue their waiting checks here. */
	struct health_check *wait_next, *wait_prev;
	bool waiting;
	/* Kept across runs: resolved source address and interface (arp, half-open). */
	struct net_addr src;
	int ifindex;
};

/*
 * One checker. start() begins a run of @c: it either registers a socket
 * (health_watch), queues @c on a shared socket, or ends the run at once
 * with health_notify_done(). A negative errno from start() means the run
 * could not be attempted for a local reason (no fds, no memory, no
 * privilege): no result is recorded and the next run is tried on schedule.
 * on_event() gets the epoll events of the registered fd. timeout() is
 * optional (default: fail with "timeout"). cancel() releases what the run
 * holds; it is called once per run, after the result, on timeout or when
 * the check is removed. ctx_free() releases shared sockets.
 */
struct health_checker_ops {
	const char *name;
	int (*start)(struct health_check *c);
	void (*on_event)(struct health_check *c, uint32_t events);
	void (*timeout)(struct health_check *c);
	void (*cancel)(struct health_check *c);
	void (*ctx_free)(struct health_ctx *h);
};

extern const struct health_checker_ops check_icmp_ops;
extern const struct health_checker_ops check_arp_ops;
extern const struct health_checker_ops check_tcp_ops;
extern const struct health_checker_ops check_tcp_half_open_ops;
extern const struct health_checker_ops check_http_ops;
extern const struct health_checker_ops check_https_ops;
extern const struct health_checker_ops check_udp_ops;
extern const struct health_checker_ops check_dns_ops;
extern const struct health_checker_ops check_script_ops;

/* Called once per state change of a real (the transition is already logged). */
typedef void (*health_notify_cb)(void *arg, uint32_t svc_id, uint32_t real_id, bool up,
				 const char *reason);

/* What health_sync() should be checking: one entry per checked real. */
struct health_target {
	uint32_t svc_id;
	uint32_t real_id;
	const char *svc_name;
	const struct health_config *cfg; /* copied */
	struct net_addr addr;
	uint16_t port;
	struct net_addr real_addr;
	uint16_t real_port;
};

struct health_stats {
	uint64_t checks; /* configured */
	uint64_t in_flight;
	uint64_t runs;
	uint64_t failures;
	uint64_t skipped; /* runs that could not start for a local reason */
	uint64_t transitions_up;
	uint64_t transitions_down;
};

/*
 * Creates the scheduler with its own epoll instance; health_fd() is that
 * instance, for the daemon's loop (readable when a check needs attention).
 */
int health_open(health_notify_cb cb, void *arg, struct health_ctx **out);
void health_close(struct health_ctx *h);
int health_fd(const struct health_ctx *h);
/* Handles whatever is ready (socket events, due and expired checks); never blocks. */
void health_process(struct health_ctx *h);
/*
 * Makes the set of checks equal to @targets. A check whose (service id,
 * real id) and target (address, port, kind) are unchanged keeps its state
 * and counters and picks up the new interval, timeout and other settings;
 * others are added (state unknown) or removed. 0 or negative errno.
 */
int health_sync(struct health_ctx *h, const struct health_target *targets, size_t n);
void health_get_stats(const struct health_ctx *h, struct health_stats *st);
/* The check of a real, or NULL; for tests and the control socket. */
const struct health_check *health_find(const struct health_ctx *h, uint32_t svc_id,
				       uint32_t real_id);

/* ---- for checkers ---- */

/*
 * The one place a run ends: records the result, applies rise/fall, logs a
 * transition once with its reason, counts it and tells the model. Calls the
 * checker's cancel() first. Ignored if @c has no run in progress. @detail
 * may be NULL.
 */
void health_notify_done(struct health_check *c, enum health_result res, enum health_reason reason,
			const char *detail);
/* Registers (or re-arms) @c->fd for @events; 0 or negative errno. */
int health_watch(struct health_check *c, uint32_t events);
/* Deregisters and closes @c->fd if open. */
void health_close_fd(struct health_check *c);

const struct health_config *health_check_cfg(const struct health_check *c);
const char *health_check_svc_name(const struct health_check *c);
uint64_t health_now_ms(void);

/* A socket shared by all checks of one kind (ICMP, ARP, raw TCP). */
typedef void (*health_shared_cb)(struct health_ctx *h, int fd, uint32_t events, void *arg);
int health_watch_shared(struct health_ctx *h, int fd, health_shared_cb cb, void *arg);
void health_unwatch_shared(struct health_ctx *h, int fd);
/* Per-kind private state of a checker (shared sockets, pending lists). */
void **health_kind_priv(struct health_ctx *h, enum health_kind kind);
/* The check in @slot if it is running run @seq, else NULL. */
struct health_check *health_check_by_slot(struct health_ctx *h, uint32_t slot, uint32_t seq);

/* Intrusive list of checks waiting on a shared socket. */
struct health_waitlist {
	struct health_check *head;
};
void health_wait_add(struct health_waitlist *l, struct health_check *c);
void health_wait_del(struct health_waitlist *l, struct health_check *c);

#endif /* XLB_HEALTH_H */
