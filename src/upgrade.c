// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* xlbd --upgrade: both ends of the hand-over (the protocol is in upgrade.h). */
#include "upgrade.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "deadline.h"
#include "log.h"
#include "proxy/proxy_engine.h"
#include "xlb/xlb_types.h"

/* Descriptors per message: under the kernel's SCM_MAX_FD (253). */
#define UPGRADE_FDS_PER_MSG 200
/* More listeners than services times workers (PROXY_MAX_WORKERS) is not an xlbd talking. */
#define UPGRADE_LISTENERS_MAX (XLB_MAX_SERVICES * 64)
#define UPGRADE_LINE_MAX 256
/* The old xlbd's release: VRRP's last advert, health checks ending, the maps closed. */
#define UPGRADE_RELEASE_WAIT_MS 10000
#define UPGRADE_REPLY_WAIT_MS 5000
/* How often the draining xlbd looks at its count and reports a change. */
#define UPGRADE_REPORT_MS 200

/* One end of the hand-over connection: lines in, and the descriptors that came with them. */
struct upgrade_conn {
	int fd;
	char buf[UPGRADE_LINE_MAX * 2];
	size_t len;
	int *fds;
	size_t nfds;
	bool eof;
};

struct upgrade_old {
	struct upgrade_conn c;
	long pid;
	uint32_t drain_ms;
	uint64_t drain_start_ms; /* 0 until it was told to drain */
	uint64_t connections;
	size_t listeners;
};

/* @line (with its newline) and @nfds descriptors riding on its first byte. 0 or -errno. */
static int upgrade_send(int fd, const char *line, const int *fds, size_t nfds, uint64_t deadline)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * UPGRADE_FDS_PER_MSG)];
		struct cmsghdr align;
	} ctrl;
	size_t len = strlen(line), off = 0;

	while (off < len) {
		struct iovec iov = {.iov_base = (char *)line + off, .iov_len = len - off};
		struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
		ssize_t n;

		if (off == 0 && nfds) {
			struct cmsghdr *cm;

			memset(&ctrl, 0, sizeof(ctrl));
			msg.msg_control = ctrl.buf;
			msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
			cm = CMSG_FIRSTHDR(&msg);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
			memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
		}
		n = sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			if (!fd_wait_until(fd, POLLOUT, deadline))
				return -ETIMEDOUT;
			continue;
		}
		if (n < 0)
			return -errno;
		off += (size_t)n; /* the descriptors went with the first byte */
	}
	return 0;
}

/* One recvmsg: bytes to the line buffer, descriptors to the list. >0, 0 at EOF, or -errno. */
static int upgrade_recv(struct upgrade_conn *c, int flags)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 253)];
		struct cmsghdr align;
	} ctrl;
	struct iovec iov = {.iov_base = c->buf + c->len, .iov_len = sizeof(c->buf) - c->len};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = ctrl.buf,
			     .msg_controllen = sizeof(ctrl.buf)};
	int err = 0;
	ssize_t n;

	if (iov.iov_len == 0)
		return -EPROTO; /* a line longer than any we send */
	n = recvmsg(c->fd, &msg, flags | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -errno;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		size_t k;
		int *got;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		got = (int *)CMSG_DATA(cm);
		for (size_t i = 0; i < k; i++) {
			int *more = NULL;

			if (c->nfds < UPGRADE_LISTENERS_MAX)
				more = realloc(c->fds, (c->nfds + 1) * sizeof(*c->fds));
			if (!more) {
				close(got[i]);
				err = -EPROTO;
				continue;
			}
			c->fds = more;
			c->fds[c->nfds++] = got[i];
		}
	}
	if (msg.msg_flags & MSG_CTRUNC)
		err = -EPROTO; /* descriptors were lost */
	if (err)
		return err;
	if (n == 0)
		c->eof = true;
	c->len += (size_t)n;
	return (int)n;
}

/* The next whole line as a JSON object, if one is buffered; NULL if not (or not JSON). */
static json_object *upgrade_line(struct upgrade_conn *c, bool *bad)
{
	char *nl = memchr(c->buf, '\n', c->len);
	json_object *o;
	size_t n;

	*bad = false;
	if (!nl)
		return NULL;
	n = (size_t)(nl - c->buf);
	*nl = '\0';
	o = json_tokener_parse(c->buf);
	memmove(c->buf, nl + 1, c->len - n - 1);
	c->len -= n + 1;
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		*bad = true;
		return NULL;
	}
	return o;
}

/* The next line, waiting until @deadline. 0 with *out, or -ETIMEDOUT, -ECONNRESET, -EPROTO. */
static int upgrade_read(struct upgrade_conn *c, uint64_t deadline, json_object **out)
{
	for (;;) {
		bool bad;
		int n;

		*out = upgrade_line(c, &bad);
		if (*out)
			return 0;
		if (bad)
			return -EPROTO;
		if (c->eof)
			return -ECONNRESET;
		if (!fd_wait_until(c->fd, POLLIN, deadline))
			return -ETIMEDOUT;
		n = upgrade_recv(c, MSG_DONTWAIT);
		if (n < 0 && n != -EAGAIN && n != -EINTR)
			return n;
	}
}

static int64_t upgrade_int(json_object *o, const char *key, int64_t dflt)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return dflt;
	return json_object_get_int64(v);
}

/* ---- the new xlbd ---- */

static void upgrade_conn_close(struct upgrade_conn *c)
{
	for (size_t i = 0; i < c->nfds; i++)
		close(c->fds[i]);
	free(c->fds);
	c->fds = NULL;
	c->nfds = 0;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

void upgrade_free(struct upgrade_old *o)
{
	if (!o)
		return;
	upgrade_conn_close(&o->c);
	free(o);
}

static int upgrade_connect(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd, err;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		err = errno == ECONNREFUSED ? -ENOENT : -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* The old xlbd's listeners: {"pid","listeners"}, then {"fds":K} lines carrying them. */
static int upgrade_receive_listeners(struct upgrade_old *o, const char *ctl_path)
{
	uint64_t deadline = mono_ms() + UPGRADE_REPLY_WAIT_MS;
	json_object *m, *e;
	int64_t total, announced = 0;
	int err;

	err = upgrade_read(&o->c, deadline, &m);
	if (err) {
		log_error("upgrade: no answer from the xlbd on %s: %s", ctl_path, strerror(-err));
		return err;
	}
	if (json_object_object_get_ex(m, "error", &e)) {
		log_error("upgrade: the xlbd on %s refuses to hand over: %s (an older xlbd cannot: "
			  "stop it, then start this one)",
			  ctl_path, json_object_get_string(e));
		json_object_put(m);
		return -EPERM;
	}
	o->pid = (long)upgrade_int(m, "pid", 0);
	total = upgrade_int(m, "listeners", -1);
	json_object_put(m);
	if (o->pid <= 0 || total < 0 || total > UPGRADE_LISTENERS_MAX) {
		log_error("upgrade: the xlbd on %s answered what is not a hand-over", ctl_path);
		return -EPROTO;
	}
	while (announced < total) {
		int64_t k;

		err = upgrade_read(&o->c, deadline, &m);
		if (err) {
			log_error("upgrade: xlbd pid %ld: its listening sockets did not all come: %s",
				  o->pid, strerror(-err));
			return err;
		}
		k = upgrade_int(m, "fds", -1);
		json_object_put(m);
		if (k <= 0 || k > UPGRADE_FDS_PER_MSG || announced + k > total)
			return -EPROTO;
		announced += k;
	}
	if ((int64_t)o->c.nfds != total) {
		log_error("upgrade: xlbd pid %ld announced %lld listening sockets, %zu came",
			  o->pid, (long long)total, o->c.nfds);
		return -EPROTO;
	}
	o->listeners = o->c.nfds;
	return 0;
}

int upgrade_begin(const char *ctl_path, uint32_t drain_ms, struct upgrade_old **out)
{
	struct upgrade_old *o;
	char req[96];
	json_object *m;
	int fd, err;

	fd = upgrade_connect(ctl_path);
	if (fd == -ENOENT)
		return -ENOENT;
	if (fd < 0) {
		log_error("upgrade: control socket %s: %s", ctl_path, strerror(-fd));
		return fd;
	}
	o = calloc(1, sizeof(*o));
	if (!o) {
		close(fd);
		return -ENOMEM;
	}
	o->c.fd = fd;
	o->drain_ms = drain_ms;
	snprintf(req, sizeof(req), "{\"cmd\":\"upgrade\",\"drain_ms\":%u}\n", drain_ms);
	err = upgrade_send(fd, req, NULL, 0, mono_ms() + UPGRADE_REPLY_WAIT_MS);
	if (!err)
		err = upgrade_receive_listeners(o, ctl_path);
	if (err)
		goto fail;
	log_info("upgrade: xlbd pid %ld handed over %zu listening socket(s); waiting for it to "
		 "release the data plane, VRRP, sync and the control socket",
		 o->pid, o->listeners);
	err = upgrade_read(&o->c, mono_ms() + UPGRADE_RELEASE_WAIT_MS, &m);
	if (!err && !json_object_object_get_ex(m, "released", NULL))
		err = -EPROTO;
	json_object_put(err ? NULL : m);
	if (err) {
		log_error("upgrade: xlbd pid %ld did not release its roles within %d ms: %s", o->pid,
			  UPGRADE_RELEASE_WAIT_MS, strerror(-err));
		goto fail;
	}
	log_info("upgrade: xlbd pid %ld released its roles; it serves its proxied connections "
		 "until we take the listeners",
		 o->pid);
	*out = o;
	return 0;
fail:
	upgrade_free(o);
	return err;
}

size_t upgrade_take_listeners(struct upgrade_old *o, int **fds)
{
	size_t n = o->c.nfds;

	*fds = o->c.fds;
	o->c.fds = NULL;
	o->c.nfds = 0;
	return n;
}

int upgrade_start_drain(struct upgrade_old *o)
{
	int err = upgrade_send(o->c.fd, "{\"cmd\":\"drain\"}\n", NULL, 0,
			       mono_ms() + UPGRADE_REPLY_WAIT_MS);

	if (err) {
		log_error("upgrade: cannot tell xlbd pid %ld to drain: %s", o->pid, strerror(-err));
		return err;
	}
	o->drain_start_ms = mono_ms();
	log_info("upgrade: we accept now; xlbd pid %ld stops accepting and drains (at most %u ms)",
		 o->pid, o->drain_ms);
	return 0;
}

int upgrade_fd(const struct upgrade_old *o)
{
	return o->c.fd;
}

bool upgrade_process(struct upgrade_old *o)
{
	for (;;) {
		json_object *m;
		bool bad;
		int n;

		while ((m = upgrade_line(&o->c, &bad))) {
			json_object *v;

			if (json_object_object_get_ex(m, "connections", &v))
				o->connections = (uint64_t)json_object_get_int64(v);
			if (json_object_object_get_ex(m, "exit", &v))
				log_info("upgrade: xlbd pid %ld is done (%s; %lld connection(s) closed "
					 "at the end)",
					 o->pid, json_object_get_string(v),
					 (long long)upgrade_int(m, "closed", 0));
			json_object_put(m);
		}
		if (bad || o->c.eof)
			return false;
		n = upgrade_recv(&o->c, MSG_DONTWAIT);
		if (n == -EAGAIN || n == -EINTR)
			return true;
		if (n < 0)
			return false;
	}
}

json_object *upgrade_json(const struct upgrade_old *o)
{
	json_object *j;

	if (!o)
		return NULL;
	j = json_object_new_object();
	json_object_object_add(j, "old_pid", json_object_new_int64(o->pid));
	json_object_object_add(j, "state",
			       json_object_new_string(o->drain_start_ms ? "draining" : "handing over"));
	json_object_object_add(j, "connections", json_object_new_uint64(o->connections));
	json_object_object_add(j, "listeners_taken", json_object_new_uint64(o->listeners));
	json_object_object_add(j, "drain_timeout_ms", json_object_new_uint64(o->drain_ms));
	if (o->drain_start_ms)
		json_object_object_add(j, "draining_for_ms",
				       json_object_new_uint64(mono_ms() - o->drain_start_ms));
	return j;
}

/* ---- the running xlbd ---- */

int upgrade_give_listeners(int fd, const struct proxy_engine *e)
{
	uint64_t deadline = mono_ms() + UPGRADE_REPLY_WAIT_MS;
	size_t n = proxy_engine_listeners(e, NULL, 0);
	int *fds = calloc(n ? n : 1, sizeof(*fds));
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	char line[UPGRADE_LINE_MAX];
	int err;

	if (!fds)
		return -ENOMEM;
	n = proxy_engine_listeners(e, fds, n);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0)
		cred.pid = 0;
	snprintf(line, sizeof(line), "{\"pid\":%d,\"listeners\":%zu}\n", (int)getpid(), n);
	err = upgrade_send(fd, line, NULL, 0, deadline);
	for (size_t off = 0; !err && off < n; off += UPGRADE_FDS_PER_MSG) {
		size_t k = n - off < UPGRADE_FDS_PER_MSG ? n - off : UPGRADE_FDS_PER_MSG;

		snprintf(line, sizeof(line), "{\"fds\":%zu}\n", k);
		err = upgrade_send(fd, line, fds + off, k, deadline);
	}
	free(fds);
	if (err) {
		log_error("upgrade: cannot hand our listening sockets to xlbd pid %d: %s; running on",
			  (int)cred.pid, strerror(-err));
		return err;
	}
	log_info("upgrade: xlbd pid %d takes over: handed it %zu listening socket(s); releasing "
		 "every role but our proxied connections",
		 (int)cred.pid, n);
	return 0;
}

void upgrade_drain(int fd, struct proxy_engine *e, uint32_t drain_ms)
{
	struct upgrade_conn c = {.fd = fd};
	uint64_t deadline = mono_ms() + drain_ms, last = UINT64_MAX, now;
	const char *why = "drained";
	bool draining = false, peer = true;
	char line[UPGRADE_LINE_MAX];
	sigset_t mask;
	int sigfd;

	/* run() left SIGTERM and SIGINT blocked: they arrive here as a descriptor. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (upgrade_send(fd, "{\"released\":true}\n", NULL, 0,
			 mono_ms() + UPGRADE_REPLY_WAIT_MS) < 0)
		peer = false;
	if (!peer)
		log_error("upgrade: the new xlbd went away; serving our listeners until the drain "
			  "timeout");
	for (;;) {
		struct pollfd pfd[2] = {{.fd = peer ? fd : -1, .events = POLLIN},
					{.fd = sigfd, .events = POLLIN}};
		uint64_t conns;

		now = mono_ms();
		conns = proxy_engine_connections(e);
		if (draining && conns == 0)
			break;
		if (now >= deadline) {
			if (draining) {
				why = "timeout";
				break;
			}
			/* The new xlbd never said "drain": ours were the only accepts left. */
			proxy_engine_drain(e);
			draining = true;
			deadline = now + drain_ms;
			continue;
		}
		if (draining && conns != last && peer) {
			snprintf(line, sizeof(line), "{\"connections\":%llu}\n",
				 (unsigned long long)conns);
			peer = upgrade_send(fd, line, NULL, 0, now + 100) == 0;
			last = conns;
		}
		if (poll(pfd, 2, UPGRADE_REPORT_MS) <= 0)
			continue;
		if (pfd[1].revents) {
			why = "signal";
			break;
		}
		if (!pfd[0].revents)
			continue;
		if (upgrade_recv(&c, MSG_DONTWAIT) < 0 || c.eof) {
			peer = false;
			if (!draining)
				log_error("upgrade: the new xlbd went away before it took the listeners; "
					  "serving them until the drain timeout");
		}
		for (json_object *m; (m = upgrade_line(&c, &(bool){false}));) {
			json_object *cmd;

			if (!draining && json_object_object_get_ex(m, "cmd", &cmd) &&
			    strcmp(json_object_get_string(cmd), "drain") == 0) {
				log_info("upgrade: the new xlbd accepts now; we stop accepting and let "
					 "%llu proxied connection(s) finish (at most %u ms)",
					 (unsigned long long)proxy_engine_connections(e), drain_ms);
				proxy_engine_drain(e);
				draining = true;
				deadline = mono_ms() + drain_ms;
			}
			json_object_put(m);
		}
	}
	last = proxy_engine_connections(e);
	log_info("upgrade: %s; %llu proxied connection(s) left to close; exiting", why,
		 (unsigned long long)last);
	if (peer) {
		snprintf(line, sizeof(line), "{\"exit\":\"%s\",\"closed\":%llu}\n", why,
			 (unsigned long long)last);
		upgrade_send(fd, line, NULL, 0, mono_ms() + 100);
	}
	for (size_t i = 0; i < c.nfds; i++)
		close(c.fds[i]); /* the new xlbd sends none; any that came anyway */
	free(c.fds);
	close(fd);
	if (sigfd >= 0)
		close(sigfd);
}
