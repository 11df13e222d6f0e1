// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Connection sync: the UDP socket, the outgoing queue and its rate, refreshes, counters. */
#include "ha/sync.h"

#include <arpa/inet.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "ha/sync_install.h"
#include "ha/sync_session.h"
#include "ha/sync_wire.h"
#include "log.h"
#include "model.h"

/* A partial batch waits this long for more records before it goes out. */
#define SYNC_BATCH_DELAY_MS 10
/* Ask again for a full sync until some peer answers, this often. */
#define SYNC_FULL_RETRY_MS 5000
#define SYNC_SOCK_BUF (4 << 20)
#define SYNC_LOG_EVERY_MS 10000
/* Datagrams read per wake-up: ~1 ms of HMACs; the socket stays readable for the next turn. */
#define SYNC_RX_BATCH 256

struct sync_peer_state {
	struct sockaddr_storage sa;
	socklen_t salen;
	char name[INET6_ADDRSTRLEN + 8];
	struct sync_session sess;
	uint64_t rx_messages;
	uint64_t last_rx_ms;
	/*
	 * Our sequence toward it, +1 per message it is sent: one counter for
	 * all peers would skip the numbers of messages sent to the others only
	 * (hellos, requests), and every peer would see gaps that are no loss.
	 */
	uint64_t tx_seq;
	/* Its full sync reached us whole (its end came) since its session was verified. */
	bool full_sync;
};

struct sync_counters {
	uint64_t events; /* flow changes the data plane reported */
	uint64_t tx_messages, tx_records, tx_errors;
	uint64_t rx_messages, rx_records;
	uint64_t installed, kept_local, no_service, no_real, install_failed;
	uint64_t rx_bad_mac, rx_replayed, rx_malformed, rx_unknown_peer, rx_gaps;
	uint64_t rx_bad_version, rx_unverified, hellos_sent, sessions_verified;
	uint64_t dropped_rate; /* over max_rate or the queue: left to the next refresh */
	uint64_t full_requests_sent, full_requests_rx, full_syncs_sent, full_syncs_rx, refreshes;
};

struct sync_ctx {
	struct model *m;
	struct ha_sync_config cfg;
	int epfd, sock, timerfd;
	struct ring_buffer *events;
	bool timer_armed;
	uint64_t session; /* ours: random per run */
	struct sync_peer_state peers[HA_PEERS_MAX];
	/* outgoing records, a ring */
	struct sync_record *queue;
	size_t qcap, qhead, qlen, qmax;
	uint64_t qsent; /* records taken off the queue, ever */
	/* A full sync's end goes out once qsent reaches full_end_at (its last record). */
	bool full_end_due;
	uint64_t full_end_at;
	double tokens;
	uint64_t tokens_ns;
	uint64_t last_refresh_ns, last_full_request_ms, last_log_ms;
	struct sync_full_answer full_answer;
	struct sync_counters c;
};

static uint64_t sync_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts); /* bpf_ktime_get_ns()'s clock */
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sync_arm_timer(struct sync_ctx *s, unsigned ms)
{
	struct itimerspec its = { .it_value = { ms / 1000, (long)(ms % 1000) * 1000000 } };

	if (s->timer_armed)
		return;
	if (timerfd_settime(s->timerfd, 0, &its, NULL) == 0)
		s->timer_armed = true;
}

static bool sync_queue_grow(struct sync_ctx *s)
{
	size_t ncap = s->qcap ? s->qcap * 2 : 4096;
	struct sync_record *nq;

	if (s->qcap >= s->qmax)
		return false;
	if (ncap > s->qmax)
		ncap = s->qmax;
	nq = malloc(ncap * sizeof(*nq));
	if (!nq)
		return false;
	for (size_t i = 0; i < s->qlen; i++)
		nq[i] = s->queue[(s->qhead + i) % s->qcap];
	free(s->queue);
	s->queue = nq;
	s->qcap = ncap;
	s->qhead = 0;
	return true;
}

static void sync_push(struct sync_ctx *s, const struct sync_record *rec)
{
	if (s->qlen == s->qcap && !sync_queue_grow(s)) {
		s->c.dropped_rate++;
		return;
	}
	s->queue[(s->qhead + s->qlen) % s->qcap] = *rec;
	s->qlen++;
}

static void sync_push_cb(const struct sync_record *rec, void *arg)
{
	sync_push(arg, rec);
}

/* To @only, or to every peer when it is NULL; each with its own next sequence number. */
static int sync_send(struct sync_ctx *s, const struct sync_header *h,
		     const struct sync_record *recs, const struct sync_peer_state *only)
{
	uint8_t buf[SYNC_MSG_MAX];
	struct sync_header ph = *h;
	size_t len;
	int err = 0;

	for (size_t i = 0; i < s->cfg.npeers; i++) {
		struct sync_peer_state *p = &s->peers[i];

		if (only && p != only)
			continue;
		ph.seq = ++p->tx_seq;
		len = sync_encode(&ph, recs, s->cfg.key, s->cfg.key_len, buf);
		if (sendto(s->sock, buf, len, 0, (struct sockaddr *)&p->sa, p->salen) < 0) {
			err = -errno;
			s->c.tx_errors++;
		}
	}
	s->c.tx_messages++;
	return err;
}

/*
 * A hello to @p if one is due (an echo we owe, a session to challenge) and
 * its rate allows. It also asks for a full sync while we have none of @p's.
 */
static void sync_hello(struct sync_ctx *s, struct sync_peer_state *p)
{
	struct sync_header h = { .type = SYNC_MSG_HELLO, .session = s->session };
	uint8_t fresh[SYNC_NONCE_LEN];

	if (RAND_bytes(fresh, sizeof(fresh)) != 1)
		return; /* no challenge we could trust: try again at the next tick */
	if (!sync_session_hello(&p->sess, sync_now_ns() / 1000000, fresh, &h.hello))
		return;
	if (!p->full_sync)
		h.hello.flags |= SYNC_HELLO_F_WANT_FULL;
	sync_send(s, &h, NULL, p);
	s->c.hellos_sent++;
}

static void sync_refill(struct sync_ctx *s, uint64_t now_ns)
{
	double burst = s->cfg.max_rate / 10.0 > SYNC_RECS_MAX ? s->cfg.max_rate / 10.0 : SYNC_RECS_MAX;

	s->tokens += (double)(now_ns - s->tokens_ns) * s->cfg.max_rate / 1e9;
	if (s->tokens > burst)
		s->tokens = burst;
	s->tokens_ns = now_ns;
}

/*
 * Sends queued records in full messages, as the rate allows. A partial
 * message waits SYNC_BATCH_DELAY_MS for company unless @force or a full
 * sync's end follows it, which goes out right after its last record.
 */
static void sync_flush(struct sync_ctx *s, bool force)
{
	struct sync_record batch[SYNC_RECS_MAX];
	int err;

	sync_refill(s, sync_now_ns());
	for (;;) {
		size_t n = s->qlen < SYNC_RECS_MAX ? s->qlen : SYNC_RECS_MAX;
		struct sync_header h = { .type = SYNC_MSG_FLOWS, .session = s->session };
		bool to_end = s->full_end_due && s->full_end_at - s->qsent <= n;

		if (to_end)
			n = (size_t)(s->full_end_at - s->qsent);
		if (to_end && !n) {
			struct sync_header e = { .type = SYNC_MSG_FULL_END, .session = s->session };

			err = sync_send(s, &e, NULL, NULL);
			if (err == -EAGAIN || err == -ENOBUFS)
				break;
			s->full_end_due = false;
			continue;
		}
		if (!n || (n < SYNC_RECS_MAX && !force && !to_end))
			break;
		if (s->tokens < (double)n)
			break;
		for (size_t i = 0; i < n; i++)
			batch[i] = s->queue[(s->qhead + i) % s->qcap];
		h.count = (uint16_t)n;
			err = sync_send(s, &h, batch, NULL);
		if (err == -EAGAIN || err == -ENOBUFS)
			break; /* the socket is full: the records stay for the next try */
		s->qhead = (s->qhead + n) % s->qcap;
		s->qlen -= n;
		s->qsent += n;
		s->tokens -= (double)n;
		s->c.tx_records += n;
	}
	if (s->qlen || s->full_end_due)
		sync_arm_timer(s, SYNC_BATCH_DELAY_MS);
}

/* To @only (the peer whose messages we missed), or to every peer when it is NULL. */
static void sync_request_full(struct sync_ctx *s, const struct sync_peer_state *only)
{
	struct sync_header h = { .type = SYNC_MSG_FULL_REQUEST, .session = s->session };

	sync_send(s, &h, NULL, only);
	s->c.full_requests_sent++;
	s->last_full_request_ms = sync_now_ns() / 1000000;
}

/*
 * Every flow we forward ourselves, to every peer (each keeps what it lacks).
 * @asked: a peer asked now; false: only what sync_full_answer_due() owes.
 */
static void sync_answer_full(struct sync_ctx *s, bool asked)
{
	uint64_t now_ns = sync_now_ns();
	long n;

	if (!sync_full_answer_due(&s->full_answer, now_ns / 1000000, asked))
		return;
	n = sync_collect(s->m, now_ns, 0, sync_push_cb, s);
	if (n < 0) {
		log_warn("sync: full sync: cannot read the flow table: %s", strerror((int)-n));
		return;
	}
	/* Its end after its last record (an earlier answer's end, not sent yet, moves here). */
	s->full_end_due = true;
	s->full_end_at = s->qsent + s->qlen;
	s->c.full_syncs_sent++;
	sync_flush(s, true);
}

static int sync_on_event(void *ctx, void *data, size_t size)
{
	struct sync_ctx *s = ctx;
	const struct xlb_flow_event *ev = data;
	struct sync_record rec = {};

	if (size < sizeof(*ev))
		return 0;
	rec.key = ev->key;
	rec.state = (uint8_t)ev->flow.state;
	rec.real_addr = ev->real_addr;
	rec.real_port = ev->real_port;
	rec.nat_addr = ev->flow.nat_addr;
	rec.nat_port = ev->flow.nat_port;
	s->c.events++;
	sync_push(s, &rec);
	return 0;
}

static struct sync_peer_state *sync_peer_of(struct sync_ctx *s, const struct sockaddr_storage *sa)
{
	struct net_addr from;

	if (!net_addr_from_sockaddr((const struct sockaddr *)sa, &from, NULL))
		return NULL;
	for (size_t i = 0; i < s->cfg.npeers; i++)
		if (net_addr_equal(&from, &s->cfg.peers[i].addr))
			return &s->peers[i];
	return NULL;
}

/* At most one line per SYNC_LOG_EVERY_MS: a flood of forgeries must not flood the log. */
static void sync_log_reject(struct sync_ctx *s, const char *what, const char *from)
{
	uint64_t now_ms = sync_now_ns() / 1000000;

	if (s->last_log_ms && now_ms - s->last_log_ms < SYNC_LOG_EVERY_MS)
		return;
	s->last_log_ms = now_ms;
	log_warn("sync: dropped a message from %s: %s (counted; further ones for %ds are only counted)",
		 from, what, SYNC_LOG_EVERY_MS / 1000);
}

static void sync_receive_one(struct sync_ctx *s, const uint8_t *buf, size_t len,
			     const struct sockaddr_storage *from)
{
	struct sync_record recs[SYNC_RECS_MAX];
	struct sync_peer_state *p = sync_peer_of(s, from);
	struct sync_header h;
	uint64_t now_ns;
	bool full = false;

	if (!p) {
		s->c.rx_unknown_peer++;
		sync_log_reject(s, "not a configured peer", "an unknown address");
		return;
	}
	switch (sync_decode(buf, len, s->cfg.key, s->cfg.key_len, &h, recs)) {
	case SYNC_DECODE_OK:
		break;
	case SYNC_DECODE_BAD_MAC:
		s->c.rx_bad_mac++;
		sync_log_reject(s, "bad HMAC (wrong key, or altered)", p->name);
		return;
	case SYNC_DECODE_VERSION:
		s->c.rx_bad_version++;
		sync_log_reject(s, "another sync protocol version (run the same xlb version on every peer)",
				p->name);
		return;
	default:
		s->c.rx_malformed++;
		sync_log_reject(s, "malformed", p->name);
		return;
	}
	switch (sync_session_judge(&p->sess, &h)) {
	case SYNC_REPLAYED:
		s->c.rx_replayed++;
		sync_log_reject(s, "replayed (sequence number already seen)", p->name);
		return;
	case SYNC_UNVERIFIED:
		/* A hello of an unproven session is the handshake itself, not a rejection. */
		if (h.type != SYNC_MSG_HELLO) {
			s->c.rx_unverified++;
			sync_log_reject(s, "from a session not verified yet (restarted, or replayed); "
					   "sent it a challenge",
					p->name);
		}
		sync_hello(s, p);
		return;
	case SYNC_ACCEPT_GAP:
		s->c.rx_gaps++;
		/* We missed this peer's flows: ask it for all of them (rate-limited by it). */
		p->full_sync = false;
		sync_request_full(s, p);
		break;
	case SYNC_VERIFIED:
		s->c.sessions_verified++;
		log_info("sync: peer %s runs session %016llx (verified by a challenge)", p->name,
			 (unsigned long long)h.session);
		/* A new run of the peer: what it sent before is no full sync of this one. */
		p->full_sync = false;
		if (p->sess.lost) {
			/* Its flows that came before the handshake were dropped: get them again. */
			p->sess.lost = 0;
			sync_request_full(s, p);
		}
		/*
		 * A new run of the peer (or our first word with it) has none of
		 * our flows, whoever it asked for a full sync: with several
		 * active LBs each holds only its own, so each must answer.
		 */
		full = true;
		break;
	case SYNC_ACCEPT:
		break;
	}
	p->rx_messages++;
	s->c.rx_messages++;
	now_ns = sync_now_ns();
	p->last_rx_ms = now_ns / 1000000;
	if (h.type == SYNC_MSG_HELLO) {
		sync_hello(s, p); /* the echo it asked for, if any */
		if (h.hello.flags & SYNC_HELLO_F_WANT_FULL) {
			s->c.full_requests_rx++;
			full = true;
		}
	} else if (h.type == SYNC_MSG_FULL_REQUEST) {
		s->c.full_requests_rx++;
		full = true;
	}
	if (full)
		sync_answer_full(s, true);
	if (h.type == SYNC_MSG_FULL_END) {
		s->c.full_syncs_rx++;
		if (!p->full_sync)
			log_info("sync: peer %s: full sync received", p->name);
		p->full_sync = true;
	}
	if (h.type != SYNC_MSG_FLOWS)
		return;
	for (size_t i = 0; i < h.count; i++) {
		s->c.rx_records++;
		switch (sync_install(s->m, &recs[i], now_ns)) {
		case SYNC_INSTALLED:
			s->c.installed++;
			break;
		case SYNC_KEPT_LOCAL:
			s->c.kept_local++;
			break;
		case SYNC_NO_SERVICE:
			s->c.no_service++;
			break;
		case SYNC_NO_REAL:
			s->c.no_real++;
			break;
		case SYNC_INSTALL_FAILED:
			s->c.install_failed++;
			break;
		}
	}
}

static void sync_receive(struct sync_ctx *s)
{
	uint8_t buf[SYNC_MSG_MAX + 1];

	/* A bounded batch: a flood must not hold the event loop (VRRP adverts); the rest waits. */
	for (int i = 0; i < SYNC_RX_BATCH; i++) {
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(s->sock, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from,
				     &flen);

		if (n < 0)
			return;
		if ((size_t)n > SYNC_MSG_MAX) {
			s->c.rx_malformed++;
			continue;
		}
		sync_receive_one(s, buf, (size_t)n, &from);
	}
}

void sync_process(struct sync_ctx *s)
{
	struct epoll_event evs[4];
	int n = epoll_wait(s->epfd, evs, 4, 0);

	for (int i = 0; i < n; i++) {
		if (evs[i].data.fd == s->sock) {
			sync_receive(s);
		} else if (evs[i].data.fd == s->timerfd) {
			uint64_t exp;

			if (read(s->timerfd, &exp, sizeof(exp)) < 0) {
				/* spurious: nothing to read */
			}
			s->timer_armed = false;
			sync_flush(s, true);
		} else {
			ring_buffer__consume(s->events);
		}
	}
	sync_flush(s, false);
}

void sync_tick(struct sync_ctx *s)
{
	uint64_t now_ns = sync_now_ns();

	if (!s)
		return;
	if (now_ns / 1000000 - s->last_full_request_ms >= SYNC_FULL_RETRY_MS) {
		/* Each peer whose full sync has not come whole yet (a peer without xlb's
		 * full-sync end, an older one, is asked at this pace for good). */
		for (size_t i = 0; i < s->cfg.npeers; i++)
			if (!s->peers[i].full_sync)
				sync_request_full(s, &s->peers[i]);
	}
	sync_answer_full(s, false); /* one the interval held back */
	/* Echoes the rate held back, challenges nobody answered yet. */
	for (size_t i = 0; i < s->cfg.npeers; i++)
		sync_hello(s, &s->peers[i]);
	if (now_ns - s->last_refresh_ns >= (uint64_t)s->cfg.refresh_ms * 1000000ull) {
		long n = sync_collect(s->m, now_ns, s->last_refresh_ns, sync_push_cb, s);

		if (n < 0)
			log_warn("sync: refresh: cannot read the flow table: %s", strerror((int)-n));
		s->last_refresh_ns = now_ns;
		s->c.refreshes++;
		sync_flush(s, true);
	}
}

int sync_fd(const struct sync_ctx *s)
{
	return s->epfd;
}

static int sync_open_socket(struct sync_ctx *s)
{
	int family = s->cfg.listen.family ? s->cfg.listen.family : s->cfg.peers[0].addr.family;
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, buf = SYNC_SOCK_BUF;

	s->sock = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->sock < 0)
		return -errno;
	setsockopt(s->sock, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(s->sock, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	setsockopt(s->sock, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	/* The listen address may be one VRRP moves: bind before it is ours. */
	if (family == AF_INET)
		setsockopt(s->sock, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
	else
		setsockopt(s->sock, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one));
	if (s->cfg.listen.family) {
		len = net_addr_sockaddr(&s->cfg.listen, s->cfg.port, &ss);
	} else {
		struct net_addr any = { .family = family };

		len = net_addr_sockaddr(&any, s->cfg.port, &ss);
	}
	if (bind(s->sock, (struct sockaddr *)&ss, len) < 0)
		return -errno;
	return 0;
}

static int sync_epoll_add(int epfd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

int sync_open(struct model *m, struct sync_ctx **out)
{
	const struct ha_sync_config *cfg = &m->cfg.ha.sync;
	struct sync_ctx *s;
	int err;

	*out = NULL;
	if (!cfg->enabled || !cfg->npeers)
		return 0;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->m = m;
	s->cfg = *cfg;
	s->sock = s->timerfd = s->epfd = -1;
	s->qmax = m->cfg.max_flows > 65536 ? m->cfg.max_flows : 65536;
	/* Random, not a clock: peers tell a restart from a replay by a handshake. */
	if (RAND_bytes((unsigned char *)&s->session, sizeof(s->session)) != 1) {
		log_error("sync: no random bytes for a session id");
		free(s);
		return -EIO;
	}
	s->tokens_ns = s->last_refresh_ns = sync_now_ns();
	for (size_t i = 0; i < cfg->npeers; i++) {
		struct sync_peer_state *p = &s->peers[i];
		char a[NET_ADDR_STRLEN];

		p->salen = net_addr_sockaddr(&cfg->peers[i].addr, cfg->peers[i].port, &p->sa);
		snprintf(p->name, sizeof(p->name), "%s", net_addr_str(&cfg->peers[i].addr, a, sizeof(a)));
	}
	err = sync_open_socket(s);
	if (err) {
		log_error("sync: cannot open UDP port %u: %s", cfg->port, strerror(-err));
		goto fail;
	}
	s->events = ring_buffer__new(dataplane_flow_events_fd(m->dp), sync_on_event, s, NULL);
	if (!s->events) {
		err = -errno;
		log_error("sync: cannot read the flow_events ring buffer: %s", strerror(-err));
		goto fail;
	}
	s->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->timerfd < 0 || s->epfd < 0) {
		err = -errno;
		goto fail;
	}
	err = sync_epoll_add(s->epfd, s->sock);
	if (!err)
		err = sync_epoll_add(s->epfd, s->timerfd);
	if (!err)
		err = sync_epoll_add(s->epfd, ring_buffer__epoll_fd(s->events));
	if (err) {
		log_error("sync: event setup: %s", strerror(-err));
		goto fail;
	}
	log_info("sync: %s, port %u, %zu peer(s), refresh %us, at most %u records/s",
		 cfg->mode == HA_SYNC_ACTIVE_ACTIVE ? "active-active" : "active-backup", cfg->port,
		 cfg->npeers, cfg->refresh_ms / 1000, cfg->max_rate);
	/*
	 * Whatever the peers forward now, we want before we might take over: a
	 * hello challenges each peer and asks for a full sync; the peers
	 * challenge our new session back, and answer once it is verified.
	 */
	s->last_full_request_ms = sync_now_ns() / 1000000;
	s->c.full_requests_sent++;
	for (size_t i = 0; i < cfg->npeers; i++)
		sync_hello(s, &s->peers[i]);
	*out = s;
	return 0;
fail:
	sync_close(s);
	return err;
}

void sync_close(struct sync_ctx *s)
{
	if (!s)
		return;
	ring_buffer__free(s->events);
	if (s->sock >= 0)
		close(s->sock);
	if (s->timerfd >= 0)
		close(s->timerfd);
	if (s->epfd >= 0)
		close(s->epfd);
	free(s->queue);
	free(s);
}

int sync_reconfigure(struct model *m, struct sync_ctx **s)
{
	if (*s && !memcmp(&(*s)->cfg, &m->cfg.ha.sync, sizeof((*s)->cfg)))
		return 0;
	sync_close(*s);
	*s = NULL;
	return sync_open(m, s);
}

#define J_U64(o, k, v) json_object_object_add(o, k, json_object_new_uint64(v))

struct json_object *sync_json(const struct sync_ctx *s)
{
	struct json_object *o = json_object_new_object(), *peers, *c;
	uint64_t now_ms = sync_now_ns() / 1000000;

	json_object_object_add(o, "enabled", json_object_new_boolean(s != NULL));
	if (!s)
		return o;
	json_object_object_add(o, "mode",
			       json_object_new_string(s->cfg.mode == HA_SYNC_ACTIVE_ACTIVE ?
							      "active-active" :
							      "active-backup"));
	J_U64(o, "port", s->cfg.port);
	J_U64(o, "session", s->session);
	J_U64(o, "queued", s->qlen);
	J_U64(o, "max_rate", s->cfg.max_rate);
	J_U64(o, "refresh_ms", s->cfg.refresh_ms);
	peers = json_object_new_array();
	for (size_t i = 0; i < s->cfg.npeers; i++) {
		const struct sync_peer_state *p = &s->peers[i];
		struct json_object *po = json_object_new_object();

		json_object_object_add(po, "address", json_object_new_string(p->name));
		J_U64(po, "port", s->cfg.peers[i].port);
		J_U64(po, "rx_messages", p->rx_messages);
		if (p->last_rx_ms)
			J_U64(po, "last_rx_ms_ago", now_ms - p->last_rx_ms);
		json_object_object_add(po, "verified", json_object_new_boolean(p->sess.verified));
		json_object_object_add(po, "full_sync", json_object_new_boolean(p->full_sync));
		if (p->sess.verified) {
			J_U64(po, "session", p->sess.session);
			J_U64(po, "seq", p->sess.seq);
		}
		J_U64(po, "tx_seq", p->tx_seq);
		json_object_array_add(peers, po);
	}
	json_object_object_add(o, "peers", peers);
	c = json_object_new_object();
	J_U64(c, "events", s->c.events);
	J_U64(c, "tx_messages", s->c.tx_messages);
	J_U64(c, "tx_records", s->c.tx_records);
	J_U64(c, "tx_errors", s->c.tx_errors);
	J_U64(c, "rx_messages", s->c.rx_messages);
	J_U64(c, "rx_records", s->c.rx_records);
	J_U64(c, "installed", s->c.installed);
	J_U64(c, "kept_local", s->c.kept_local);
	J_U64(c, "no_service", s->c.no_service);
	J_U64(c, "no_real", s->c.no_real);
	J_U64(c, "install_failed", s->c.install_failed);
	J_U64(c, "rx_bad_mac", s->c.rx_bad_mac);
	J_U64(c, "rx_replayed", s->c.rx_replayed);
	J_U64(c, "rx_malformed", s->c.rx_malformed);
	J_U64(c, "rx_unknown_peer", s->c.rx_unknown_peer);
	J_U64(c, "rx_gaps", s->c.rx_gaps);
	J_U64(c, "rx_unverified", s->c.rx_unverified);
	J_U64(c, "rx_bad_version", s->c.rx_bad_version);
	J_U64(c, "hellos_sent", s->c.hellos_sent);
	J_U64(c, "sessions_verified", s->c.sessions_verified);
	J_U64(c, "dropped", s->c.dropped_rate);
	J_U64(c, "full_requests_sent", s->c.full_requests_sent);
	J_U64(c, "full_requests_rx", s->c.full_requests_rx);
	J_U64(c, "full_syncs_sent", s->c.full_syncs_sent);
	J_U64(c, "full_syncs_rx", s->c.full_syncs_rx);
	J_U64(c, "refreshes", s->c.refreshes);
	json_object_object_add(o, "counters", c);
	return o;
}
