// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Health check scheduler. Every check is a small state machine driven by
 * its own socket (or a socket shared by its kind) in one epoll instance that
 * the daemon's loop watches; a min-heap of wake-up times (next start, or the
 * running check's deadline) drives one timerfd. Nothing here blocks, so
 * thousands of checks run side by side and a slow real delays no other.
 *
 * Every run ends in health_notify_done(): the only place that applies
 * rise/fall, logs a transition (once, with its reason), counts it and
 * tells the model. Checks are keyed by (service id, real id), which stay
 * the same across reloads, and never point into the model, whose arrays are
 * rebuilt on every reload.
 */
#include "health/health.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/* Epoll data of a shared socket: tagged so it cannot be read as a check slot. */
#define HEALTH_SHARED_TAG (1ull << 63)
#define HEALTH_SHARED_MAX 1024
/* Bounds one health_process() call, so the daemon's loop keeps turning. */
#define HEALTH_EVENTS_BATCH 256
#define HEALTH_STARTS_MAX 512
/* Wake-ups are rounded up to this grid. */
#define HEALTH_TICK_MS 10
/* Before the first result, runs start spread over this much (or the interval). */
#define HEALTH_FIRST_SPREAD_MS 1000

struct health_spec {
	struct health_config cfg;
	char svc_name[64];
	uint32_t svc_id;
	unsigned int refs;
	uint32_t sync_gen;
};

struct health_shared {
	int fd;
	health_shared_cb cb;
	void *arg;
};

struct health_ctx {
	int epfd;
	int timerfd;
	health_notify_cb notify;
	void *notify_arg;
	struct health_check **slots; /* by slot; NULL when free */
	size_t nslots;
	/* Real ids are unique across services and below XLB_MAX_REALS: a direct index. */
	struct health_check **by_real;
	struct health_check **heap;
	size_t heap_len, heap_cap;
	size_t nchecks;
	struct health_spec **specs;
	size_t nspecs;
	uint32_t sync_gen;
	struct health_shared shared[HEALTH_SHARED_MAX];
	void *kind_priv[HEALTH__COUNT];
	uint64_t armed_ms; /* what the timerfd is set to; 0 = disarmed */
	struct health_stats st;
};

static const struct health_checker_ops *const health_ops[HEALTH__COUNT] = {
    [HEALTH_ICMP] = &check_icmp_ops,	 [HEALTH_ARP] = &check_arp_ops,
    [HEALTH_TCP] = &check_tcp_ops,	 [HEALTH_TCP_HALF_OPEN] = &check_tcp_half_open_ops,
    [HEALTH_HTTP] = &check_http_ops,	 [HEALTH_HTTPS] = &check_https_ops,
    [HEALTH_UDP] = &check_udp_ops,	 [HEALTH_DNS] = &check_dns_ops,
    [HEALTH_SCRIPT] = &check_script_ops,
};

static const char *const health_reason_names[HEALTH_R__COUNT] = {
    [HEALTH_R_NONE] = "",
    [HEALTH_R_TIMEOUT] = "timeout",
    [HEALTH_R_REFUSED] = "connect refused",
    [HEALTH_R_RESET] = "connection reset",
    [HEALTH_R_HOST_UNREACHABLE] = "host unreachable",
    [HEALTH_R_NET_UNREACHABLE] = "network unreachable",
    [HEALTH_R_SOCKET_ERROR] = "socket error",
    [HEALTH_R_CLOSED] = "connection closed early",
    [HEALTH_R_STATUS] = "status",
    [HEALTH_R_BODY_MISMATCH] = "body mismatch",
    [HEALTH_R_BAD_RESPONSE] = "bad response",
    [HEALTH_R_TOO_LARGE] = "response too large",
    [HEALTH_R_TLS_HANDSHAKE] = "TLS handshake failed",
    [HEALTH_R_TLS_VERIFY] = "certificate verify failed",
    [HEALTH_R_NO_ECHO_REPLY] = "no echo reply",
    [HEALTH_R_NO_ARP_REPLY] = "no ARP reply",
    [HEALTH_R_EXPECT_MISMATCH] = "expect mismatch",
    [HEALTH_R_NO_REPLY] = "no reply",
    [HEALTH_R_PORT_UNREACHABLE] = "port unreachable",
    [HEALTH_R_DNS_RCODE] = "dns rcode",
    [HEALTH_R_DNS_NO_ANSWER] = "dns no answer",
    [HEALTH_R_EXIT_STATUS] = "exit status",
    [HEALTH_R_KILLED] = "killed by signal",
};

const char *health_reason_name(enum health_reason reason)
{
	return (unsigned int)reason < HEALTH_R__COUNT ? health_reason_names[reason] : "unknown";
}

void health_reason_format(enum health_reason reason, const char *detail, char *buf, size_t size)
{
	const char *name = health_reason_name(reason);
	/* Numbers read as part of the reason ("status 503"); text after a colon. */
	bool numeric = reason == HEALTH_R_STATUS || reason == HEALTH_R_EXIT_STATUS ||
		       reason == HEALTH_R_KILLED || reason == HEALTH_R_DNS_RCODE;

	if (detail && *detail)
		snprintf(buf, size, "%s%s%s", name, numeric ? " " : ": ", detail);
	else
		snprintf(buf, size, "%s", name);
}

const char *health_state_name(enum health_state state)
{
	switch (state) {
	case HEALTH_STATE_UP:
		return "up";
	case HEALTH_STATE_DOWN:
		return "down";
	default:
		return "checking";
	}
}

enum health_transition health_fsm_step(struct health_fsm *f, bool ok, uint8_t rise, uint8_t fall)
{
	switch (f->state) {
	case HEALTH_STATE_UP:
		f->ok_run = 0;
		if (ok) {
			f->fail_run = 0;
			return HEALTH_T_NONE;
		}
		if (++f->fail_run < (fall ? fall : 1))
			return HEALTH_T_NONE;
		f->fail_run = 0;
		f->state = HEALTH_STATE_DOWN;
		return HEALTH_T_DOWN;
	case HEALTH_STATE_DOWN:
		f->fail_run = 0;
		if (!ok) {
			f->ok_run = 0;
			return HEALTH_T_NONE;
		}
		if (++f->ok_run < (rise ? rise : 1))
			return HEALTH_T_NONE;
		f->ok_run = 0;
		f->state = HEALTH_STATE_UP;
		return HEALTH_T_UP;
	default:
		f->ok_run = f->fail_run = 0;
		f->state = ok ? HEALTH_STATE_UP : HEALTH_STATE_DOWN;
		return ok ? HEALTH_T_UP : HEALTH_T_DOWN;
	}
}

uint64_t health_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- the wake-up heap ---- */

static bool heap_less(const struct health_check *a, const struct health_check *b)
{
	return a->wake_ms < b->wake_ms;
}

static void heap_set(struct health_ctx *h, size_t i, struct health_check *c)
{
	h->heap[i] = c;
	c->heap_idx = i;
}

static void heap_up(struct health_ctx *h, size_t i)
{
	struct health_check *c = h->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!heap_less(c, h->heap[parent]))
			break;
		heap_set(h, i, h->heap[parent]);
		i = parent;
	}
	heap_set(h, i, c);
}

static void heap_down(struct health_ctx *h, size_t i)
{
	struct health_check *c = h->heap[i];

	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		const struct health_check *best = c;

		if (l < h->heap_len && heap_less(h->heap[l], best)) {
			m = l;
			best = h->heap[l];
		}
		if (r < h->heap_len && heap_less(h->heap[r], best))
			m = r;
		if (m == i)
			break;
		heap_set(h, i, h->heap[m]);
		i = m;
	}
	heap_set(h, i, c);
}

static int heap_push(struct health_ctx *h, struct health_check *c)
{
	if (h->heap_len == h->heap_cap) {
		size_t cap = h->heap_cap ? h->heap_cap * 2 : 64;
		struct health_check **heap = realloc(h->heap, cap * sizeof(*heap));

		if (!heap)
			return -ENOMEM;
		h->heap = heap;
		h->heap_cap = cap;
	}
	h->heap[h->heap_len++] = c;
	c->in_heap = true;
	heap_up(h, h->heap_len - 1);
	return 0;
}

static void heap_remove(struct health_ctx *h, struct health_check *c)
{
	size_t i = c->heap_idx;

	if (!c->in_heap)
		return;
	c->in_heap = false;
	h->heap_len--;
	if (i == h->heap_len)
		return;
	heap_set(h, i, h->heap[h->heap_len]);
	heap_up(h, i);
	heap_down(h, h->heap[i]->heap_idx);
}

/* Checks stay in the heap all their life; only their wake time moves. */
static void health_reschedule(struct health_check *c, uint64_t wake_ms)
{
	struct health_ctx *h = c->h;

	c->wake_ms = wake_ms;
	heap_up(h, c->heap_idx);
	heap_down(h, c->heap_idx);
}

/* ---- events ---- */

static uint64_t health_event_data(const struct health_check *c)
{
	return (uint64_t)c->slot << 32 | c->seq;
}

int health_watch(struct health_check *c, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.u64 = health_event_data(c)};
	int op = c->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;

	if (c->fd < 0)
		return -EBADF;
	if (epoll_ctl(c->h->epfd, op, c->fd, &ev) < 0)
		return -errno;
	c->events = events;
	return 0;
}

void health_close_fd(struct health_check *c)
{
	if (c->fd < 0)
		return;
	/* Closing the only reference to the fd takes it out of the epoll set. */
	close(c->fd);
	c->fd = -1;
	c->events = 0;
}

int health_watch_shared(struct health_ctx *h, int fd, health_shared_cb cb, void *arg)
{
	for (size_t i = 0; i < HEALTH_SHARED_MAX; i++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.u64 = HEALTH_SHARED_TAG | i};

		if (h->shared[i].cb)
			continue;
		if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
			return -errno;
		h->shared[i] = (struct health_shared){.fd = fd, .cb = cb, .arg = arg};
		return 0;
	}
	return -ENOSPC;
}

void health_unwatch_shared(struct health_ctx *h, int fd)
{
	for (size_t i = 0; i < HEALTH_SHARED_MAX; i++) {
		if (!h->shared[i].cb || h->shared[i].fd != fd)
			continue;
		epoll_ctl(h->epfd, EPOLL_CTL_DEL, fd, NULL);
		memset(&h->shared[i], 0, sizeof(h->shared[i]));
	}
}

void **health_kind_priv(struct health_ctx *h, enum health_kind kind)
{
	return &h->kind_priv[kind];
}

struct health_check *health_check_by_slot(struct health_ctx *h, uint32_t slot, uint32_t seq)
{
	struct health_check *c;

	if (slot >= h->nslots)
		return NULL;
	c = h->slots[slot];
	return c && c->running && c->seq == seq ? c : NULL;
}

void health_wait_add(struct health_waitlist *l, struct health_check *c)
{
	if (c->waiting)
		return;
	c->wait_prev = NULL;
	c->wait_next = l->head;
	if (l->head)
		l->head->wait_prev = c;
	l->head = c;
	c->waiting = true;
}

void health_wait_del(struct health_waitlist *l, struct health_check *c)
{
	if (!c->waiting)
		return;
	if (c->wait_prev)
		c->wait_prev->wait_next = c->wait_next;
	else
		l->head = c->wait_next;
	if (c->wait_next)
		c->wait_next->wait_prev = c->wait_prev;
	c->wait_next = c->wait_prev = NULL;
	c->waiting = false;
}

const struct health_config *health_check_cfg(const struct health_check *c)
{
	return &c->spec->cfg;
}

const char *health_check_svc_name(const struct health_check *c)
{
	return c->spec->svc_name;
}

static const struct health_checker_ops *health_check_ops(const struct health_check *c)
{
	return health_ops[c->spec->cfg.kind];
}

/* ---- runs ---- */

static const char *health_endpoint(const struct net_addr *a, uint16_t port, char *buf, size_t size)
{
	char ip[NET_ADDR_STRLEN];

	net_addr_str(a, ip, sizeof(ip));
	snprintf(buf, size, a->family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip, port);
	return buf;
}

/* Ends the run's I/O; the check stays, idle, in the heap. */
static void health_end_run(struct health_check *c)
{
	const struct health_checker_ops *ops = health_check_ops(c);
	const struct health_config *cfg = health_check_cfg(c);
	uint64_t now = health_now_ms(), next;

	if (!c->running)
		return;
	ops->cancel(c);
	health_close_fd(c);
	c->running = false;
	c->h->st.in_flight--;
	/* Fixed rate from the start of the run; a run longer than the interval
	 * is followed by the next one at once. */
	next = c->started_ms + cfg->interval_ms;
	health_reschedule(c, next > now ? next : now);
}

void health_notify_done(struct health_check *c, enum health_result res, enum health_reason reason,
			const char *detail)
{
	struct health_ctx *h = c->h;
	const struct health_config *cfg;
	enum health_transition t;
	char why[160], ep[NET_ADDR_STRLEN + 8];
	bool first;

	if (!c->running)
		return;
	c->last_duration_ms = health_now_ms() - c->started_ms;
	/* @detail may live in the run's state, which ending the run frees. */
	if (res != HEALTH_OK) {
		c->failures++;
		h->st.failures++;
		c->last_reason = reason;
		snprintf(c->last_detail, sizeof(c->last_detail), "%s", detail ? detail : "");
	}
	health_end_run(c);
	cfg = health_check_cfg(c);
	c->runs++;
	h->st.runs++;
	c->last_local_err = 0;
	first = c->fsm.state == HEALTH_STATE_UNKNOWN;
	t = health_fsm_step(&c->fsm, res == HEALTH_OK, cfg->rise, cfg->fall);
	if (t == HEALTH_T_NONE)
		return;

	health_reason_format(c->last_reason, c->last_detail, why, sizeof(why));
	health_endpoint(&c->real_addr, c->real_port, ep, sizeof(ep));
	if (t == HEALTH_T_DOWN) {
		h->st.transitions_down++;
		if (first)
			log_warn("service %s: real %s is down (%s: %s; first check)",
				 c->spec->svc_name, ep, health_kind_name(cfg->kind), why);
		else
			log_warn("service %s: real %s is down (%s: %s; %u failures in a row)",
				 c->spec->svc_name, ep, health_kind_name(cfg->kind), why,
				 cfg->fall);
	} else {
		h->st.transitions_up++;
		/* Thousands of reals come up at start: that is not news. */
		if (first)
			log_debug("service %s: real %s is up (%s: first check passed)",
				  c->spec->svc_name, ep, health_kind_name(cfg->kind));
		else
			log_info("service %s: real %s is up (%s: %u successes in a row)",
				 c->spec->svc_name, ep, health_kind_name(cfg->kind), cfg->rise);
	}
	if (h->notify)
		h->notify(h->notify_arg, c->svc_id, c->real_id, t == HEALTH_T_UP,
			  t == HEALTH_T_DOWN ? why : NULL);
}

static void health_start_run(struct health_check *c, uint64_t now)
{
	struct health_ctx *h = c->h;
	const struct health_config *cfg = health_check_cfg(c);
	const struct health_checker_ops *ops = health_check_ops(c);
	char ep[NET_ADDR_STRLEN + 8];
	int err;

	c->seq++;
	c->running = true;
	c->started_ms = now;
	c->fd = -1;
	c->events = 0;
	h->st.in_flight++;
	health_reschedule(c, now + cfg->timeout_ms);
	err = ops->start(c);
	if (!err)
		return;
	/* Could not even try (out of fds, no privilege): no verdict on the real. */
	h->st.skipped++;
	if (c->last_local_err != err) {
		c->last_local_err = err;
		health_endpoint(&c->addr, c->port, ep, sizeof(ep));
		log_error("service %s: %s check of %s cannot run: %s", c->spec->svc_name,
			  health_kind_name(cfg->kind), ep, strerror(-err));
	}
	health_end_run(c);
}

static void health_timed_out(struct health_check *c)
{
	const struct health_checker_ops *ops = health_check_ops(c);

	if (ops->timeout)
		ops->timeout(c);
	else
		health_notify_done(c, HEALTH_FAIL, HEALTH_R_TIMEOUT, NULL);
	/* A checker's timeout() must end the run; make sure of it. */
	if (c->running)
		health_notify_done(c, HEALTH_FAIL, HEALTH_R_TIMEOUT, NULL);
}

static void health_arm_timer(struct health_ctx *h, uint64_t now)
{
	struct itimerspec its = {};
	uint64_t when;

	if (!h->heap_len) {
		if (h->armed_ms) {
			timerfd_settime(h->timerfd, 0, &its, NULL);
			h->armed_ms = 0;
		}
		return;
	}
	/*
	 * On a grid: checks due within one tick share a wake-up, so a
	 * thousand reals spread over a second cost a hundred wake-ups, not a
	 * thousand. A start or a deadline moves by less than a tick.
	 */
	when = (h->heap[0]->wake_ms + HEALTH_TICK_MS - 1) / HEALTH_TICK_MS * HEALTH_TICK_MS;
	if (when <= now)
		when = now; /* more work than one call may do: come back at once */
	if (when == h->armed_ms)
		return;
	its.it_value.tv_sec = (time_t)(when / 1000);
	its.it_value.tv_nsec = (long)(when % 1000) * 1000000;
	if (when == now)
		its.it_value.tv_nsec += 1;
	timerfd_settime(h->timerfd, TFD_TIMER_ABSTIME, &its, NULL);
	h->armed_ms = when;
}

static void health_run_timers(struct health_ctx *h)
{
	uint64_t now = health_now_ms();

	for (int n = 0; h->heap_len && n < HEALTH_STARTS_MAX; n++) {
		struct health_check *c = h->heap[0];

		/* Due within the tick that woke us: do it now rather than wake again. */
		if (c->wake_ms >= now + HEALTH_TICK_MS)
			break;
		if (c->running)
			health_timed_out(c);
		else
			health_start_run(c, now);
	}
	health_arm_timer(h, now);
}

void health_process(struct health_ctx *h)
{
	struct epoll_event evs[HEALTH_EVENTS_BATCH];
	int n = epoll_wait(h->epfd, evs, HEALTH_EVENTS_BATCH, 0);

	for (int i = 0; i < n; i++) {
		uint64_t d = evs[i].data.u64;

		if (d == UINT64_MAX) {
			uint64_t ticks;

			if (read(h->timerfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
				log_debug("health timerfd: %s", strerror(errno));
			h->armed_ms = 0;
			continue;
		}
		if (d & HEALTH_SHARED_TAG) {
			struct health_shared *s = &h->shared[d & ~HEALTH_SHARED_TAG];

			if (s->cb)
				s->cb(h, s->fd, evs[i].events, s->arg);
			continue;
		}
		struct health_check *c = health_check_by_slot(h, (uint32_t)(d >> 32), (uint32_t)d);

		/* An event of a run that has ended since: its fd is gone or reused. */
		if (c && c->fd >= 0)
			health_check_ops(c)->on_event(c, evs[i].events);
	}
	health_run_timers(h);
}

/* ---- set of checks ---- */

static int health_slot_alloc(struct health_ctx *h, struct health_check *c)
{
	for (size_t i = 0; i < h->nslots; i++) {
		if (!h->slots[i]) {
			h->slots[i] = c;
			c->slot = (uint32_t)i;
			return 0;
		}
	}
	size_t n = h->nslots ? h->nslots * 2 : 64;
	struct health_check **slots = realloc(h->slots, n * sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	memset(slots + h->nslots, 0, (n - h->nslots) * sizeof(*slots));
	h->slots = slots;
	c->slot = (uint32_t)h->nslots;
	h->slots[h->nslots] = c;
	h->nslots = n;
	return 0;
}

static void health_spec_put(struct health_ctx *h, struct health_spec *s)
{
	if (!s || --s->refs)
		return;
	for (size_t i = 0; i < h->nspecs; i++) {
		if (h->specs[i] == s) {
			h->specs[i] = h->specs[--h->nspecs];
			break;
		}
	}
	free(s);
}

static void health_check_free(struct health_ctx *h, struct health_check *c)
{
	if (c->running) {
		health_check_ops(c)->cancel(c);
		health_close_fd(c);
		c->running = false;
		h->st.in_flight--;
	}
	heap_remove(h, c);
	h->slots[c->slot] = NULL;
	if (c->real_id < XLB_MAX_REALS && h->by_real[c->real_id] == c)
		h->by_real[c->real_id] = NULL;
	h->nchecks--;
	health_spec_put(h, c->spec);
	free(c);
}

/* The spec of @t's service for this sync: one per service config, shared by its checks. */
static struct health_spec *health_spec_get(struct health_ctx *h, const struct health_target *t)
{
	struct health_spec *s, **specs;

	for (size_t i = 0; i < h->nspecs; i++) {
		s = h->specs[i];
		if (s->sync_gen == h->sync_gen && s->svc_id == t->svc_id &&
		    memcmp(&s->cfg, t->cfg, sizeof(s->cfg)) == 0)
			return s;
	}
	specs = realloc(h->specs, (h->nspecs + 1) * sizeof(*specs));
	if (!specs)
		return NULL;
	h->specs = specs;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->cfg = *t->cfg;
	s->svc_id = t->svc_id;
	s->sync_gen = h->sync_gen;
	snprintf(s->svc_name, sizeof(s->svc_name), "%s", t->svc_name ? t->svc_name : "");
	h->specs[h->nspecs++] = s;
	return s;
}

static bool health_same_target(const struct health_check *c, const struct health_target *t)
{
	return c->spec->cfg.kind == t->cfg->kind && c->port == t->port &&
	       net_addr_equal(&c->addr, &t->addr);
}

static struct health_check *health_lookup(const struct health_ctx *h, uint32_t svc_id,
					  uint32_t real_id)
{
	if (real_id < XLB_MAX_REALS) {
		struct health_check *c = h->by_real[real_id];

		return c && c->svc_id == svc_id ? c : NULL;
	}
	for (size_t i = 0; i < h->nslots; i++) {
		struct health_check *c = h->slots[i];

		if (c && c->svc_id == svc_id && c->real_id == real_id)
			return c;
	}
	return NULL;
}

const struct health_check *health_find(const struct health_ctx *h, uint32_t svc_id,
				       uint32_t real_id)
{
	return health_lookup(h, svc_id, real_id);
}

/* Spreads first runs so a thousand reals are not all checked in the same millisecond. */
static uint64_t health_first_wake(const struct health_target *t, uint64_t now)
{
	uint32_t spread = t->cfg->interval_ms < HEALTH_FIRST_SPREAD_MS ? t->cfg->interval_ms
								       : HEALTH_FIRST_SPREAD_MS;
	uint32_t hash = (t->svc_id * 2654435761u) ^ (t->real_id * 40503u);

	return now + (spread ? hash % spread : 0);
}

int health_sync(struct health_ctx *h, const struct health_target *targets, size_t n)
{
	uint64_t now = health_now_ms();
	bool *keep = calloc(h->nslots ? h->nslots : 1, sizeof(*keep));
	size_t old_nslots = h->nslots;
	int err = 0;

	if (!keep)
		return -ENOMEM;
	h->sync_gen++;
	for (size_t i = 0; i < n; i++) {
		const struct health_target *t = &targets[i];
		struct health_check *c = health_lookup(h, t->svc_id, t->real_id);
		struct health_spec *spec;

		if (t->cfg->kind == HEALTH_NONE || t->cfg->kind >= HEALTH__COUNT)
			continue;
		spec = health_spec_get(h, t);
		if (!spec) {
			err = -ENOMEM;
			break;
		}
		if (c && c->slot < old_nslots && health_same_target(c, t)) {
			bool timing = c->spec->cfg.interval_ms != t->cfg->interval_ms ||
				      c->spec->cfg.timeout_ms != t->cfg->timeout_ms;

			/* Same real, same target: keep its state, take the new settings. */
			if (c->running && memcmp(&c->spec->cfg, t->cfg, sizeof(*t->cfg)) != 0) {
				health_check_ops(c)->cancel(c);
				health_close_fd(c);
				c->running = false;
				h->st.in_flight--;
				timing = true;
			}
			spec->refs++;
			health_spec_put(h, c->spec);
			c->spec = spec;
			c->real_addr = t->real_addr;
			c->real_port = t->real_port;
			if (timing && !c->running)
				health_reschedule(c, health_first_wake(t, now));
			keep[c->slot] = true;
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c || health_slot_alloc(h, c) < 0 || heap_push(h, c) < 0) {
			if (c && h->slots && c->slot < h->nslots && h->slots[c->slot] == c)
				h->slots[c->slot] = NULL;
			free(c);
			err = -ENOMEM;
			break;
		}
		c->h = h;
		c->spec = spec;
		spec->refs++;
		c->svc_id = t->svc_id;
		c->real_id = t->real_id;
		c->addr = t->addr;
		c->port = t->port;
		c->real_addr = t->real_addr;
		c->real_port = t->real_port;
		c->fd = -1;
		h->nchecks++;
		if (c->real_id < XLB_MAX_REALS)
			h->by_real[c->real_id] = c;
		health_reschedule(c, health_first_wake(t, now));
		/* It may have taken the free slot of a check removed earlier. */
		if (c->slot < old_nslots)
			keep[c->slot] = true;
	}
	if (!err) {
		/* Checks of reals that are gone, or whose target changed. */
		for (size_t i = 0; i < old_nslots; i++) {
			struct health_check *c = h->slots[i];

			if (c && !keep[i])
				health_check_free(h, c);
		}
	}
	free(keep);
	/* Specs no check took (a service without checked reals). */
	for (size_t i = 0; i < h->nspecs;) {
		if (!h->specs[i]->refs) {
			free(h->specs[i]);
			h->specs[i] = h->specs[--h->nspecs];
		} else {
			i++;
		}
	}
	h->st.checks = h->nchecks;
	health_arm_timer(h, now);
	return err;
}

void health_get_stats(const struct health_ctx *h, struct health_stats *st)
{
	*st = h->st;
	st->checks = h->nchecks;
}

/* Thousands of checks in flight need more than the default 1024 fds. */
static void health_raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int health_open(health_notify_cb cb, void *arg, struct health_ctx **out)
{
	struct health_ctx *h = calloc(1, sizeof(*h));
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = UINT64_MAX};
	int err;

	if (!h)
		return -ENOMEM;
	h->notify = cb;
	h->notify_arg = arg;
	h->by_real = calloc(XLB_MAX_REALS, sizeof(*h->by_real));
	if (!h->by_real) {
		free(h);
		return -ENOMEM;
	}
	h->epfd = epoll_create1(EPOLL_CLOEXEC);
	h->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (h->epfd < 0 || h->timerfd < 0 ||
	    epoll_ctl(h->epfd, EPOLL_CTL_ADD, h->timerfd, &ev) < 0) {
		err = -errno;
		if (h->epfd >= 0)
			close(h->epfd);
		if (h->timerfd >= 0)
			close(h->timerfd);
		free(h->by_real);
		free(h);
		return err;
	}
	health_raise_fd_limit();
	*out = h;
	return 0;
}

void health_close(struct health_ctx *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->nslots; i++)
		if (h->slots[i])
			health_check_free(h, h->slots[i]);
	for (int k = 0; k < HEALTH__COUNT; k++)
		if (health_ops[k] && health_ops[k]->ctx_free)
			health_ops[k]->ctx_free(h);
	for (size_t i = 0; i < h->nspecs; i++)
		free(h->specs[i]);
	free(h->specs);
	free(h->slots);
	free(h->by_real);
	free(h->heap);
	close(h->timerfd);
	close(h->epfd);
	free(h);
}

int health_fd(const struct health_ctx *h)
{
	return h->epfd;
}
