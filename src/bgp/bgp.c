// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* VIP announcements through xlbd's BIRD; see bgp.h. */
#include "bgp/bgp.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>
#include <linux/sockios.h>

#include "bgp/bgp_vips.h"
#include "bgp/bird_conf.h"
#include "bgp/bird_conf_state.h"
#include "bgp/bird_ctl.h"
#include "bgp/bird_proc.h"
#include "log.h"
#include "model.h"

#define BGP_TIMER_MS 250 /* connect retries, restart backoff, polls */
#define BGP_POLL_MS 1000 /* `show protocols` this often */
#define BGP_REPLY_TIMEOUT_MS 5000 /* a BIRD that answers nothing this long is reconnected */
#define BGP_WEDGED_TIMEOUTS 2 /* that many in a row, even after a reconnect: restarted */
#define BGP_BACKOFF_MIN_MS 1000
#define BGP_BACKOFF_MAX_MS 30000
#define BGP_STOP_WAIT_MS 2000

enum bgp_cmd { BGP_CMD_NONE, BGP_CMD_HELLO, BGP_CMD_CONFIGURE, BGP_CMD_SHOW };

struct bgp_peer_state {
	bool up; /* Established */
	char state[16];
	char info[96];
	long long since;
};

struct bgp_ctx {
	struct model *m;
	struct bgp_config cfg; /* the running bgp: block */
	char conf_path[CONFIG_PATH_MAX + sizeof(BGP_BIRD_CONF_SUFFIX)];
	char sock_path[CONFIG_PATH_MAX + sizeof(BGP_BIRD_SOCKET_SUFFIX)];
	int epfd, evfd, timerfd;
	/* BIRD, our child */
	pid_t pid; /* 0: not running */
	int pidfd;
	uint64_t started_ms, restart_at_ms;
	uint32_t backoff_ms;
	uint64_t starts;
	char last_exit[64];
	/* its control socket */
	int sock;
	enum bgp_cmd inflight;
	uint64_t sent_ms, polled_ms;
	char rbuf[BIRD_REPLY_MAX];
	size_t rlen;
	struct bird_conf_state conf; /* does BIRD run the file as it is now */
	unsigned timeouts; /* commands in a row BIRD did not answer */
	char last_error[160];
	/* what we want announced */
	bool draining;
	struct bgp_vip *vips; /* of m->services, as of the last refresh */
	size_t nvips;
	struct net_addr *announced; /* what the config file exports */
	size_t nannounced;
	struct bgp_peer_state peers[BGP_PEERS_MAX];
};

static uint64_t bgp_now_ms(void)
{
	return model_now_ms();
}

static int bgp_watch(struct bgp_ctx *b, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(b->epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* ---- the config file ---------------------------------------------------- */

static bool bgp_announced(const struct bgp_ctx *b, const struct net_addr *a)
{
	for (size_t i = 0; i < b->nannounced; i++)
		if (net_addr_equal(&b->announced[i], a))
			return true;
	return false;
}

/*
 * A VIP goes up once its reals' first checks answered; one already up stays
 * up while a reload's new real is checked the first time (every node reloads
 * at once: they must not all withdraw).
 */
static bool bgp_vip_wanted(const struct bgp_ctx *b, const struct bgp_vip *v)
{
	bool quorum = v->quorum || (v->quorum_unchecked && bgp_announced(b, &v->addr));

	return quorum && !b->draining && b->m->applied_once;
}

/* Writes BIRD's config for what we want now; the file is replaced whole (rename). */
static int bgp_write_conf(struct bgp_ctx *b, const struct net_addr *vips, size_t n)
{
	char tmp[sizeof(b->conf_path) + 8];
	FILE *f;
	int fd, err;

	snprintf(tmp, sizeof(tmp), "%s.tmp", b->conf_path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600); /* may hold passwords */
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	err = bird_conf_write(f, &b->cfg, vips, n, b->m->cfg.path);
	if (fclose(f) != 0 && !err)
		err = -errno;
	if (!err && rename(tmp, b->conf_path) < 0)
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

/* ---- the control socket ------------------------------------------------- */

static void bgp_disconnect(struct bgp_ctx *b)
{
	if (b->sock >= 0)
		close(b->sock); /* leaves the epoll set with it */
	b->sock = -1;
	b->inflight = BGP_CMD_NONE;
	b->rlen = 0;
	bird_conf_lost(&b->conf); /* a configure not answered is sent again */
}

static void bgp_send(struct bgp_ctx *b, enum bgp_cmd cmd, const char *line)
{
	size_t len = strlen(line);

	if (write(b->sock, line, len) != (ssize_t)len) {
		log_warn("bgp: BIRD's control socket: %s; reconnecting",
			 strerror(errno ? errno : EIO));
		bgp_disconnect(b);
		return;
	}
	b->inflight = cmd;
	b->sent_ms = bgp_now_ms();
}

/* One command at a time: a reload of the file first, else a poll when one is due. */
static void bgp_send_next(struct bgp_ctx *b)
{
	if (b->sock < 0 || b->inflight != BGP_CMD_NONE)
		return;
	if (bird_conf_take(&b->conf)) {
		bgp_send(b, BGP_CMD_CONFIGURE, "configure\n");
	} else if (bgp_now_ms() - b->polled_ms >= BGP_POLL_MS) {
		b->polled_ms = bgp_now_ms();
		bgp_send(b, BGP_CMD_SHOW, "show protocols\n");
	}
}

static void bgp_connect(struct bgp_ctx *b)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	if (strlen(b->sock_path) >= sizeof(sun.sun_path))
		return; /* bgp_config_parse() refuses such a control_socket */
	memcpy(sun.sun_path, b->sock_path, strlen(b->sock_path) + 1);
	b->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (b->sock < 0)
		return;
	if (connect(b->sock, (struct sockaddr *)&sun, sizeof(sun)) < 0 || bgp_watch(b, b->sock) < 0) {
		/* BIRD has not made its socket yet: the timer tries again */
		close(b->sock);
		b->sock = -1;
		return;
	}
	b->inflight = BGP_CMD_HELLO; /* BIRD speaks first: "0001 BIRD 2.0.12 ready." */
	b->sent_ms = bgp_now_ms();
}

static void bgp_peers_down(struct bgp_ctx *b, const char *why)
{
	char a[NET_ADDR_STRLEN];

	for (size_t i = 0; i < BGP_PEERS_MAX; i++) {
		if (i < b->cfg.npeers && b->peers[i].up)
			log_warn("bgp: session with %s down (%s)",
				 net_addr_str(&b->cfg.peers[i].addr, a, sizeof(a)), why);
		memset(&b->peers[i], 0, sizeof(b->peers[i]));
		snprintf(b->peers[i].state, sizeof(b->peers[i].state), "down");
		snprintf(b->peers[i].info, sizeof(b->peers[i].info), "%s", why);
	}
}

static void bgp_on_protocols(struct bgp_ctx *b, const char *reply, size_t len)
{
	struct bird_proto rows[BGP_PEERS_MAX + 8];
	size_t n = bird_parse_protocols(reply, len, rows, BGP_PEERS_MAX + 8);
	char name[64], a[NET_ADDR_STRLEN];

	for (size_t i = 0; i < b->cfg.npeers; i++) {
		struct bgp_peer_state *p = &b->peers[i];
		const struct bird_proto *row = NULL;
		bool up;

		bird_peer_name(&b->cfg.peers[i], name, sizeof(name));
		for (size_t k = 0; k < n; k++)
			if (strcmp(rows[k].name, name) == 0)
				row = &rows[k];
		up = row && strcmp(row->state, "up") == 0 &&
		     strncmp(row->info, "Established", 11) == 0;
		if (up != p->up)
			log_msg(up ? LOG_LVL_INFO : LOG_LVL_WARN, "bgp: session with %s %s%s%s",
				net_addr_str(&b->cfg.peers[i].addr, a, sizeof(a)),
				up ? "established" : "down", row && !up ? ": " : "",
				row && !up ? row->info : "");
		p->up = up;
		snprintf(p->state, sizeof(p->state), "%s", row ? row->state : "unknown");
		snprintf(p->info, sizeof(p->info), "%s", row ? row->info : "not in BIRD's config yet");
		p->since = row ? row->since : 0;
	}
}

static void bgp_log_announced(const struct bgp_ctx *b)
{
	char list[256] = "", a[NET_ADDR_STRLEN];
	size_t used = 0;

	for (size_t i = 0; i < b->nannounced && used + 1 < sizeof(list); i++)
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", i ? " " : "",
					 net_addr_str(&b->announced[i], a, sizeof(a)));
	log_info("bgp: BIRD announces %zu VIP%s%s%s", b->nannounced, b->nannounced == 1 ? "" : "s",
		 b->nannounced ? ": " : "", list);
}

static void bgp_on_reply(struct bgp_ctx *b, int code, const char *reply, size_t len)
{
	enum bgp_cmd cmd = b->inflight;
	char msg[160];

	b->inflight = BGP_CMD_NONE;
	if (cmd != BGP_CMD_HELLO) /* a BIRD that only says hello is no less wedged */
		b->timeouts = 0;
	if (cmd == BGP_CMD_CONFIGURE)
		bird_conf_answered(&b->conf, bird_code_ok(code));
	if (!bird_code_ok(code)) {
		bird_reply_message(reply, len, msg, sizeof(msg));
		snprintf(b->last_error, sizeof(b->last_error), "%s", msg);
		log_error("bgp: BIRD refused %s: %s",
			  cmd == BGP_CMD_CONFIGURE ? "its new config" : "a command", msg);
		return;
	}
	if (cmd == BGP_CMD_CONFIGURE) {
		b->last_error[0] = '\0';
		bgp_log_announced(b);
	} else if (cmd == BGP_CMD_SHOW) {
		bgp_on_protocols(b, reply, len);
	} else if (cmd == BGP_CMD_HELLO) {
		bird_conf_connected(&b->conf);
		log_info("bgp: connected to BIRD (pid %d) at %s", (int)b->pid, b->sock_path);
	}
}

static void bgp_read(struct bgp_ctx *b)
{
	size_t end;
	ssize_t n;
	int code;

	for (;;) {
		n = read(b->sock, b->rbuf + b->rlen, sizeof(b->rbuf) - b->rlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) { /* BIRD went away; its exit is seen through the pidfd */
			bgp_disconnect(b);
			bgp_peers_down(b, "BIRD's control socket closed");
			return;
		}
		b->rlen += (size_t)n;
		while ((end = bird_reply_end(b->rbuf, b->rlen, &code)) > 0) {
			bgp_on_reply(b, code, b->rbuf, end);
			memmove(b->rbuf, b->rbuf + end, b->rlen - end);
			b->rlen -= end;
		}
		if (b->rlen == sizeof(b->rbuf)) {
			log_warn("bgp: a reply from BIRD over %d bytes; reconnecting", BIRD_REPLY_MAX);
			bgp_disconnect(b);
			return;
		}
	}
	bgp_send_next(b);
}

/* ---- BIRD, the process -------------------------------------------------- */

static void bgp_start_bird(struct bgp_ctx *b)
{
	int err;

	b->restart_at_ms = 0;
	err = bird_proc_start(b->cfg.bird, b->conf_path, b->sock_path, &b->pid, &b->pidfd);
	if (!err && bgp_watch(b, b->pidfd) < 0) {
		err = -errno;
		bird_proc_stop(b->pid, b->pidfd, 0);
		close(b->pidfd);
	}
	if (err) {
		b->pid = 0;
		b->pidfd = -1;
		snprintf(b->last_error, sizeof(b->last_error), "cannot start %.100s: %s", b->cfg.bird,
			 strerror(-err));
		log_error("bgp: %s; retrying in %u s", b->last_error, b->backoff_ms / 1000);
		b->restart_at_ms = bgp_now_ms() + b->backoff_ms;
		b->backoff_ms = b->backoff_ms * 2 > BGP_BACKOFF_MAX_MS ? BGP_BACKOFF_MAX_MS :
									 b->backoff_ms * 2;
		return;
	}
	b->starts++;
	b->started_ms = bgp_now_ms();
	bird_conf_started(&b->conf); /* it reads the file as it is now */
	log_info("bgp: started %s (pid %d), config %s", b->cfg.bird, (int)b->pid, b->conf_path);
}

static void bgp_stop_bird(struct bgp_ctx *b, int wait_ms)
{
	bgp_disconnect(b);
	if (b->pid > 0) {
		bird_proc_stop(b->pid, b->pidfd, wait_ms);
		close(b->pidfd);
		log_info("bgp: stopped BIRD (pid %d)", (int)b->pid);
	}
	b->pid = 0;
	b->pidfd = -1;
	b->conf.configured = false;
	bgp_peers_down(b, "BIRD stopped");
}

/* BIRD ended on its own: noted, and started again after a backoff. */
static void bgp_on_exit(struct bgp_ctx *b)
{
	if (!bird_proc_reap(b->pid, b->last_exit, sizeof(b->last_exit)))
		return;
	close(b->pidfd);
	bgp_disconnect(b);
	/* A BIRD that ran a minute had no start-up trouble: retry soon. */
	if (bgp_now_ms() - b->started_ms > 60000)
		b->backoff_ms = BGP_BACKOFF_MIN_MS;
	log_error("bgp: BIRD (pid %d) ended: %s; restarting in %u s", (int)b->pid, b->last_exit,
		  b->backoff_ms / 1000);
	snprintf(b->last_error, sizeof(b->last_error), "BIRD ended: %s", b->last_exit);
	b->pid = 0;
	b->pidfd = -1;
	b->conf.configured = false;
	bgp_peers_down(b, "BIRD not running");
	b->restart_at_ms = bgp_now_ms() + b->backoff_ms;
	b->backoff_ms = b->backoff_ms * 2 > BGP_BACKOFF_MAX_MS ? BGP_BACKOFF_MAX_MS : b->backoff_ms * 2;
}

/*
 * BIRD did not answer a command in time. Once: the connection is suspect, so
 * a new one (a configure in flight is sent again on it). Again right after a
 * reconnect: BIRD itself is wedged (its main loop serves every socket, its
 * BGP sessions included), and a wedged BIRD would keep announcing what it
 * last had, maybe a VIP whose quorum is lost: it is killed and started again
 * (backoff as for an exit). Its sessions drop; the router routes around this
 * node until they are back, which is safe, as the other nodes serve.
 */
static void bgp_on_timeout(struct bgp_ctx *b)
{
	static const char *const names[] = { "nothing", "its hello", "configure", "show protocols" };
	int unread = -1;

	/* What of ours BIRD has not read (kernel bytes, buffer overhead included): 0 if it did. */
	ioctl(b->sock, SIOCOUTQ, &unread);
	if (++b->timeouts < BGP_WEDGED_TIMEOUTS) {
		log_warn("bgp: BIRD has not answered %s for %d s (send queue %d); reconnecting",
			 names[b->inflight], BGP_REPLY_TIMEOUT_MS / 1000, unread);
		bgp_disconnect(b);
		return;
	}
	snprintf(b->last_error, sizeof(b->last_error),
		 "BIRD wedged: answered nothing for %d s, even after a reconnect",
		 BGP_REPLY_TIMEOUT_MS / 1000 * BGP_WEDGED_TIMEOUTS);
	log_error("bgp: %s (%s unanswered, send queue %d); restarting it in %u s",
		  b->last_error, names[b->inflight], unread, b->backoff_ms / 1000);
	b->timeouts = 0;
	bgp_stop_bird(b, 0);
	b->restart_at_ms = bgp_now_ms() + b->backoff_ms;
	b->backoff_ms = b->backoff_ms * 2 > BGP_BACKOFF_MAX_MS ? BGP_BACKOFF_MAX_MS : b->backoff_ms * 2;
}

/* ---- what to announce --------------------------------------------------- */

static bool bgp_set_equal(const struct net_addr *a, size_t na, const struct net_addr *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (!net_addr_equal(&a[i], &b[i]))
			return false;
	return true;
}

/*
 * Looks at every service's quorum again; when the set to announce changed
 * (or @force: the bgp: block did), rewrites the file and has BIRD reload it.
 */
static void bgp_refresh(struct bgp_ctx *b, bool force)
{
	struct model *m = b->m;
	struct bgp_vip *vips = calloc(m->nservices ? m->nservices : 1, sizeof(*vips));
	struct net_addr *want = calloc(m->nservices ? m->nservices : 1, sizeof(*want));
	size_t nvips, nwant = 0;
	int err;

	if (!vips || !want) {
		free(vips);
		free(want);
		log_error("bgp: out of memory; the announced VIPs stay as they are");
		return;
	}
	nvips = bgp_vips_collect(m->services, m->nservices, b->cfg.vip_quorum, vips);
	for (size_t i = 0; i < nvips; i++)
		if (bgp_vip_wanted(b, &vips[i]))
			want[nwant++] = vips[i].addr;
	free(b->vips);
	b->vips = vips;
	b->nvips = nvips;
	if (!force && bgp_set_equal(want, nwant, b->announced, b->nannounced)) {
		free(want);
		return;
	}
	err = bgp_write_conf(b, want, nwant);
	if (err) {
		snprintf(b->last_error, sizeof(b->last_error), "cannot write %.100s: %s", b->conf_path,
			 strerror(-err));
		log_error("bgp: %s; the announced VIPs stay as they are", b->last_error);
		free(want);
		return;
	}
	free(b->announced);
	b->announced = want;
	b->nannounced = nwant;
	bird_conf_changed(&b->conf);
	bgp_send_next(b);
}

/* ---- the loop's side ---------------------------------------------------- */

static void bgp_tick(struct bgp_ctx *b)
{
	uint64_t now = bgp_now_ms();

	if (!b->cfg.enabled)
		return;
	/* Besides model.c's notifications: first health results, which change no quorum. */
	bgp_refresh(b, false);
	if (b->pid == 0 && b->restart_at_ms && now >= b->restart_at_ms)
		bgp_start_bird(b);
	if (b->pid > 0 && b->sock < 0)
		bgp_connect(b);
	/* A reply already here is no timeout (this timer may come first in a batch). */
	if (b->sock >= 0 && b->inflight != BGP_CMD_NONE)
		bgp_read(b);
	/*
	 * A fresh clock: this tick may have sent a command (a reconnect's hello,
	 * a configure of bgp_refresh()) after @now; with @now that command was
	 * "overdue" at once (an unsigned underflow) and its socket closed before
	 * BIRD ran it: a quorum change BIRD never took.
	 */
	if (b->sock >= 0 && b->inflight != BGP_CMD_NONE &&
	    bird_reply_overdue(bgp_now_ms(), b->sent_ms, BGP_REPLY_TIMEOUT_MS))
		bgp_on_timeout(b);
	bgp_send_next(b);
}

void bgp_process(struct bgp_ctx *b)
{
	struct epoll_event events[8];
	uint64_t v;
	int n = epoll_wait(b->epfd, events, 8, 0);

	for (int i = 0; i < n; i++) {
		int fd = events[i].data.fd;

		if (fd == b->evfd) {
			if (read(b->evfd, &v, sizeof(v)) == sizeof(v) && b->cfg.enabled)
				bgp_refresh(b, false);
		} else if (fd == b->timerfd) {
			if (read(b->timerfd, &v, sizeof(v)) == sizeof(v))
				bgp_tick(b);
		} else if (b->pid > 0 && fd == b->pidfd) {
			bgp_on_exit(b);
		} else if (fd == b->sock) {
			bgp_read(b);
		}
	}
}

int bgp_fd(const struct bgp_ctx *b)
{
	return b->epfd;
}

void bgp_quorum_changed(struct bgp_ctx *b)
{
	uint64_t one = 1;

	if (b && b->cfg.enabled && write(b->evfd, &one, sizeof(one)) < 0)
		log_debug("bgp: eventfd: %s", strerror(errno));
}

void bgp_apply(struct bgp_ctx *b)
{
	const struct bgp_config *want = &b->m->cfg.bgp;
	char conf_path[sizeof(b->conf_path)];
	bool restart = bgp_config_needs_restart(&b->cfg, want);

	/* BIRD re-reads the file it was started with: a new path needs a new BIRD. */
	snprintf(conf_path, sizeof(conf_path), "%s" BGP_BIRD_CONF_SUFFIX, b->m->cfg.control_socket);
	restart |= strcmp(conf_path, b->conf_path) != 0;
	if (restart && b->pid > 0)
		bgp_stop_bird(b, BGP_STOP_WAIT_MS);
	b->cfg = *want;
	memcpy(b->conf_path, conf_path, sizeof(conf_path));
	snprintf(b->sock_path, sizeof(b->sock_path), "%s" BGP_BIRD_SOCKET_SUFFIX,
		 b->m->cfg.control_socket);
	if (!b->cfg.enabled) {
		free(b->announced);
		b->announced = NULL;
		b->nannounced = 0;
		return;
	}
	bgp_refresh(b, true);
	if (b->pid == 0) {
		b->backoff_ms = BGP_BACKOFF_MIN_MS;
		bgp_start_bird(b);
	}
}

int bgp_open(struct model *m, struct bgp_ctx **out)
{
	struct itimerspec its = {
		.it_interval = { 0, BGP_TIMER_MS * 1000000L },
		.it_value = { 0, BGP_TIMER_MS * 1000000L },
	};
	struct bgp_ctx *b = calloc(1, sizeof(*b));
	int err;

	if (!b)
		return -ENOMEM;
	b->m = m;
	b->sock = b->pidfd = -1;
	b->epfd = epoll_create1(EPOLL_CLOEXEC);
	b->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	b->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (b->epfd < 0 || b->evfd < 0 || b->timerfd < 0 || bgp_watch(b, b->evfd) < 0 ||
	    bgp_watch(b, b->timerfd) < 0 || timerfd_settime(b->timerfd, 0, &its, NULL) < 0) {
		err = -errno;
		log_error("bgp: setup: %s", strerror(errno));
		bgp_close(b);
		return err;
	}
	bgp_peers_down(b, "BIRD not started");
	*out = b;
	bgp_apply(b);
	return 0;
}

void bgp_close(struct bgp_ctx *b)
{
	if (!b)
		return;
	bgp_stop_bird(b, BGP_STOP_WAIT_MS);
	if (b->epfd >= 0)
		close(b->epfd);
	if (b->evfd >= 0)
		close(b->evfd);
	if (b->timerfd >= 0)
		close(b->timerfd);
	free(b->vips);
	free(b->announced);
	free(b);
}

int bgp_set_draining(struct bgp_ctx *b, bool draining, char *err, size_t errlen)
{
	if (!b || !b->cfg.enabled) {
		snprintf(err, errlen, "this xlbd announces nothing (expected a bgp: block in its config)");
		return -EINVAL;
	}
	if (b->draining != draining)
		log_warn("bgp: %s", draining ? "draining: every VIP withdrawn (xlbctl drain-node)" :
					       "drain ended: VIPs announced again by quorum");
	b->draining = draining;
	bgp_refresh(b, false);
	return 0;
}

/* ---- status ------------------------------------------------------------- */

static size_t bgp_sessions_up(const struct bgp_ctx *b)
{
	size_t up = 0;

	for (size_t i = 0; i < b->cfg.npeers; i++)
		up += b->peers[i].up;
	return up;
}

/* Why @v is (not) announced, the first reason that holds. */
static const char *bgp_vip_reason(const struct bgp_ctx *b, const struct bgp_vip *v, char *buf,
				  size_t size)
{
	if (b->draining)
		return "draining (xlbctl drain-node)";
	if (!b->m->applied_once)
		return "xlbd has not applied its config yet";
	if (!bgp_vip_wanted(b, v))
		return v->reason;
	if (b->pid == 0)
		return "quorum met, but BIRD is not running";
	if (!b->conf.configured)
		return "quorum met; BIRD is taking the change";
	if (!bgp_sessions_up(b))
		return "quorum met, but no BGP session is established";
	snprintf(buf, size, "%s; announced to %zu of %zu peers", v->reason, bgp_sessions_up(b),
		 b->cfg.npeers);
	return buf;
}

json_object *bgp_json(const struct bgp_ctx *b)
{
	json_object *o = json_object_new_object(), *bird, *peers, *vips;
	char a[NET_ADDR_STRLEN], why[224];

	json_object_object_add(o, "enabled", json_object_new_boolean(b && b->cfg.enabled));
	if (!b || !b->cfg.enabled)
		return o;
	json_object_object_add(o, "asn", json_object_new_int64(b->cfg.asn));
	json_object_object_add(o, "draining", json_object_new_boolean(b->draining));
	bird = json_object_new_object();
	json_object_object_add(bird, "running", json_object_new_boolean(b->pid > 0));
	json_object_object_add(bird, "pid", json_object_new_int(b->pid));
	json_object_object_add(bird, "connected", json_object_new_boolean(b->sock >= 0));
	json_object_object_add(bird, "configured", json_object_new_boolean(b->conf.configured));
	json_object_object_add(bird, "starts", json_object_new_uint64(b->starts));
	json_object_object_add(bird, "config", json_object_new_string(b->conf_path));
	json_object_object_add(bird, "socket", json_object_new_string(b->sock_path));
	json_object_object_add(bird, "last_exit", json_object_new_string(b->last_exit));
	json_object_object_add(bird, "last_error", json_object_new_string(b->last_error));
	json_object_object_add(o, "bird", bird);
	peers = json_object_new_array();
	for (size_t i = 0; i < b->cfg.npeers; i++) {
		json_object *p = json_object_new_object();

		json_object_object_add(p, "address", json_object_new_string(net_addr_str(
							     &b->cfg.peers[i].addr, a, sizeof(a))));
		json_object_object_add(p, "asn", json_object_new_int64(b->cfg.peers[i].asn));
		json_object_object_add(p, "up", json_object_new_boolean(b->peers[i].up));
		json_object_object_add(p, "state", json_object_new_string(b->peers[i].state));
		json_object_object_add(p, "info", json_object_new_string(b->peers[i].info));
		json_object_object_add(p, "since", json_object_new_int64(b->peers[i].since));
		json_object_array_add(peers, p);
	}
	json_object_object_add(o, "peers", peers);
	vips = json_object_new_array();
	for (size_t i = 0; i < b->nvips; i++) {
		const struct bgp_vip *v = &b->vips[i];
		json_object *j = json_object_new_object();
		bool wanted = bgp_vip_wanted(b, v);

		json_object_object_add(j, "vip", json_object_new_string(
							 net_addr_str(&v->addr, a, sizeof(a))));
		json_object_object_add(j, "announced",
				       json_object_new_boolean(wanted && b->pid > 0 && b->conf.configured &&
							       bgp_sessions_up(b) > 0));
		json_object_object_add(j, "wanted", json_object_new_boolean(wanted));
		json_object_object_add(j, "quorum", json_object_new_boolean(v->quorum));
		json_object_object_add(j, "services", json_object_new_int(v->services));
		json_object_object_add(j, "services_up", json_object_new_int(v->services_up));
		json_object_object_add(j, "reason",
				       json_object_new_string(bgp_vip_reason(b, v, why, sizeof(why))));
		json_object_array_add(vips, j);
	}
	json_object_object_add(o, "vips", vips);
	return o;
}

json_object *bgp_ctl_dispatch(struct model *m, const char *cmd)
{
	char err[160];
	json_object *o;

	if (strcmp(cmd, "bgp") == 0)
		return bgp_json(m->bgp);
	if (strcmp(cmd, "drain_node") != 0 && strcmp(cmd, "undrain_node") != 0)
		return NULL;
	o = json_object_new_object();
	if (bgp_set_draining(m->bgp, strcmp(cmd, "drain_node") == 0, err, sizeof(err)) < 0) {
		json_object_object_add(o, "error", json_object_new_string(err));
		return o;
	}
	json_object_object_add(o, "draining", json_object_new_boolean(m->bgp->draining));
	json_object_object_add(o, "announced", json_object_new_int64((int64_t)m->bgp->nannounced));
	return o;
}

/* ---- xlbd -t ------------------------------------------------------------ */

int bgp_check(const struct xlb_config *cfg)
{
	char path[] = "/tmp/xlbd-bird-check-XXXXXX", msg[1024];
	const struct bgp_config *bc = &cfg->bgp;
	struct net_addr *vips = calloc(cfg->nservices ? cfg->nservices : 1, sizeof(*vips));
	size_t n = 0;
	FILE *f;
	int fd, err;

	msg[0] = '\0';
	if (!bc->enabled) {
		free(vips);
		return 0;
	}
	fd = mkstemp(path);
	if (!vips || fd < 0 || !(f = fdopen(fd, "w"))) {
		fprintf(stderr, "%s:%d: bgp: cannot write a BIRD config to check: %s\n", cfg->path,
			bc->line, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(path);
		}
		free(vips);
		return -EINVAL;
	}
	/* Every VIP, as if every quorum were met: the largest file this config gives. */
	for (size_t i = 0; i < cfg->nservices; i++) {
		bool dup = false;

		for (size_t k = 0; k < n; k++)
			dup |= net_addr_equal(&vips[k], &cfg->services[i].vip);
		if (!dup)
			vips[n++] = cfg->services[i].vip;
	}
	err = bird_conf_write(f, bc, vips, n, cfg->path);
	fclose(f);
	free(vips);
	if (!err)
		err = bird_proc_check(bc->bird, path, msg, sizeof(msg));
	unlink(path);
	if (err)
		fprintf(stderr, "%s:%d: bgp: %s (expected a config BIRD 2 accepts, and BIRD 2 at "
				"%s: apt-get install bird2)\n",
			cfg->path, bc->line, msg[0] ? msg : strerror(-err), bc->bird);
	return err ? -EINVAL : 0;
}
