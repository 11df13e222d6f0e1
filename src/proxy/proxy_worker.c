// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * One proxy worker: a thread with its own epoll instance, its own listening
 * sockets (one per service, SO_REUSEPORT) and the connections it accepted.
 * The main thread talks to it only through the command queue and its
 * eventfd, so listeners are added and closed by the thread that polls them.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "proxy/proxy_internal.h"

/* Timeouts are checked this often; connect_timeout and idle_timeout are this precise. */
#define PROXY_SWEEP_MS 100
#define PROXY_EVENTS 128

uint64_t proxy_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int proxy_worker_watch(struct proxy_worker *w, int fd, struct proxy_handle *h, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = h};

	return epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

void proxy_worker_post(struct proxy_worker *w, struct proxy_cmd *cmd)
{
	uint64_t one = 1;

	pthread_mutex_lock(&w->qlock);
	cmd->next = w->queue;
	w->queue = cmd;
	pthread_mutex_unlock(&w->qlock);
	if (write(w->cmdfd, &one, sizeof(one)) < 0)
		log_warn("proxy worker %d: cannot wake it: %s", w->index, strerror(errno));
}

/*
 * Leaves the epoll set explicitly: after an upgrade the socket lives on in
 * the new xlbd, and epoll forgets a descriptor only when the last reference
 * to its socket closes. Freed by the caller (after the batch of events: one
 * may still point at it).
 */
static void proxy_listener_close(struct proxy_worker *w, struct proxy_listener *l)
{
	epoll_ctl(w->epfd, EPOLL_CTL_DEL, l->fd, NULL);
	close(l->fd);
	l->fd = -1;
	proxy_service_put(l->svc);
	l->svc = NULL;
}

static void proxy_listeners_free(struct proxy_listener **head)
{
	while (*head) {
		struct proxy_listener *l = *head;

		*head = l->next;
		free(l);
	}
}

static void proxy_worker_listen(struct proxy_worker *w, struct proxy_cmd *cmd)
{
	struct proxy_listener *l = calloc(1, sizeof(*l));
	int err;

	if (!l) {
		close(cmd->fd);
		proxy_service_put(cmd->svc);
		return;
	}
	l->h = (struct proxy_handle){.kind = PROXY_H_LISTENER, .owner = l};
	l->fd = cmd->fd;
	l->svc = cmd->svc; /* the command's reference */
	err = proxy_worker_watch(w, l->fd, &l->h, EPOLLIN);
	if (err) {
		log_error("service %s: worker %d cannot watch its listener: %s", l->svc->name,
			  w->index, strerror(-err));
		proxy_listener_close(w, l);
		free(l);
		return;
	}
	l->next = w->listeners;
	w->listeners = l;
}

/* Serves what is already queued on the socket, then closes it: nothing accepted is dropped. */
static void proxy_worker_unlisten(struct proxy_worker *w, struct proxy_service *svc)
{
	for (struct proxy_listener **pl = &w->listeners; *pl;) {
		struct proxy_listener *l = *pl;

		if (l->svc != svc) {
			pl = &l->next;
			continue;
		}
		*pl = l->next;
		proxy_conn_accept(w, l);
		proxy_listener_close(w, l);
		l->next = w->dead_listeners;
		w->dead_listeners = l;
	}
	proxy_service_put(svc);
}

static void proxy_worker_commands(struct proxy_worker *w)
{
	struct proxy_cmd *cmds, *rev = NULL;
	uint64_t n;

	if (read(w->cmdfd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warn("proxy worker %d: command queue: %s", w->index, strerror(errno));
	pthread_mutex_lock(&w->qlock);
	cmds = w->queue;
	w->queue = NULL;
	pthread_mutex_unlock(&w->qlock);
	/* Pushed newest first; run them in the order they were posted. */
	while (cmds) {
		struct proxy_cmd *next = cmds->next;

		cmds->next = rev;
		rev = cmds;
		cmds = next;
	}
	while (rev) {
		struct proxy_cmd *next = rev->next;

		if (rev->kind == PROXY_CMD_LISTEN)
			proxy_worker_listen(w, rev);
		else
			proxy_worker_unlisten(w, rev->svc);
		free(rev);
		rev = next;
	}
}

static void *proxy_worker_main(void *arg)
{
	struct proxy_worker *w = arg;
	struct epoll_event events[PROXY_EVENTS];

	while (!atomic_load(&w->stop)) {
		int n = epoll_wait(w->epfd, events, PROXY_EVENTS, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_error("proxy worker %d: epoll_wait: %s", w->index, strerror(errno));
			break;
		}
		w->now_ms = proxy_now_ms();
		for (int i = 0; i < n; i++) {
			struct proxy_handle *h = events[i].data.ptr;
			uint64_t expirations;

			switch (h->kind) {
			case PROXY_H_COMMAND:
				proxy_worker_commands(w);
				break;
			case PROXY_H_TIMER:
				if (read(w->timerfd, &expirations, sizeof(expirations)) > 0)
					proxy_conn_sweep(w);
				break;
			case PROXY_H_LISTENER:
				if (((struct proxy_listener *)h->owner)->fd >= 0)
					proxy_conn_accept(w, h->owner);
				break;
			default:
				proxy_conn_event(w, h, events[i].events);
				break;
			}
		}
		/* Only now: a later event of this batch may still name a closed connection. */
		proxy_conn_free_dead(w);
		proxy_listeners_free(&w->dead_listeners);
	}
	return NULL;
}

int proxy_worker_start(struct proxy_worker *w, int index)
{
	struct itimerspec tick = {
	    .it_interval = {0, PROXY_SWEEP_MS * 1000000L},
	    .it_value = {0, PROXY_SWEEP_MS * 1000000L},
	};
	sigset_t all, old;
	int err;

	w->index = index;
	w->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->cmdfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	w->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	pthread_mutex_init(&w->qlock, NULL);
	atomic_init(&w->stop, false);
	w->cmd_h = (struct proxy_handle){.kind = PROXY_H_COMMAND, .owner = w};
	w->timer_h = (struct proxy_handle){.kind = PROXY_H_TIMER, .owner = w};
	if (w->epfd < 0 || w->cmdfd < 0 || w->timerfd < 0 ||
	    timerfd_settime(w->timerfd, 0, &tick, NULL) < 0) {
		err = -errno;
		goto fail;
	}
	if ((err = proxy_worker_watch(w, w->cmdfd, &w->cmd_h, EPOLLIN)) ||
	    (err = proxy_worker_watch(w, w->timerfd, &w->timer_h, EPOLLIN)))
		goto fail;
	/*
	 * Signals are the main thread's (its signalfd): a worker that took
	 * SIGHUP would die of it. The thread inherits the mask it starts with.
	 */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = -pthread_create(&w->thread, NULL, proxy_worker_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		goto fail;
	w->started = true;
	return 0;
fail:
	if (w->epfd >= 0)
		close(w->epfd);
	if (w->cmdfd >= 0)
		close(w->cmdfd);
	if (w->timerfd >= 0)
		close(w->timerfd);
	if (w->spare_fd >= 0)
		close(w->spare_fd);
	w->epfd = w->cmdfd = w->timerfd = w->spare_fd = -1;
	return err;
}

void proxy_worker_stop(struct proxy_worker *w)
{
	uint64_t one = 1;

	if (!w->started)
		return;
	atomic_store(&w->stop, true);
	if (write(w->cmdfd, &one, sizeof(one)) < 0)
		log_warn("proxy worker %d: cannot wake it: %s", w->index, strerror(errno));
	pthread_join(w->thread, NULL);
	w->started = false;
	/* The thread is gone: what it owned is ours to release. */
	while (w->listeners) {
		struct proxy_listener *l = w->listeners;

		w->listeners = l->next;
		proxy_listener_close(w, l);
		free(l);
	}
	proxy_listeners_free(&w->dead_listeners);
	proxy_conn_close_all(w);
	proxy_conn_free_dead(w);
	while (w->queue) {
		struct proxy_cmd *c = w->queue;

		w->queue = c->next;
		if (c->fd >= 0)
			close(c->fd);
		proxy_service_put(c->svc);
		free(c);
	}
	close(w->epfd);
	close(w->cmdfd);
	close(w->timerfd);
	if (w->spare_fd >= 0)
		close(w->spare_fd);
	pthread_mutex_destroy(&w->qlock);
}
