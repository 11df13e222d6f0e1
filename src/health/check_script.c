// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * script check: runs command with /bin/sh -c in its own process group, with
 * the real in its environment (XLB_SERVICE, XLB_REAL_ADDRESS,
 * XLB_REAL_PORT, XLB_CHECK_ADDRESS, XLB_CHECK_PORT); exit status 0 is up.
 * The child's exit is watched through a pidfd, so the event loop never
 * waits for it; at the timeout the whole process group is killed. A killed
 * child that has not been reaped yet is handed to a reaper that waits on
 * its pidfd, so no zombie is left behind and no call blocks.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "health/health_net.h"

extern char **environ;

struct check_script_run {
	pid_t pid;
};

/* A killed child on its way out: reaped when its pidfd says so. */
struct check_script_orphan {
	struct check_script_orphan *next;
	pid_t pid;
	int pidfd;
};

struct check_script_ctx {
	struct check_script_orphan *orphans;
};

static int check_script_pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static void check_script_orphan_reaped(struct health_ctx *h, int fd, uint32_t events, void *arg)
{
	struct check_script_ctx *x =
	    *(struct check_script_ctx **)health_kind_priv(h, HEALTH_SCRIPT);
	struct check_script_orphan *o = arg, **pp;

	if (waitpid(o->pid, NULL, WNOHANG) == 0)
		return;
	health_unwatch_shared(h, fd);
	close(fd);
	for (pp = &x->orphans; *pp; pp = &(*pp)->next) {
		if (*pp == o) {
			*pp = o->next;
			break;
		}
	}
	free(o);
}

static void check_script_on_event(struct health_check *c, uint32_t events)
{
	struct check_script_run *run = c->priv;
	char detail[16];
	int status;
	pid_t r = waitpid(run->pid, &status, WNOHANG);

	if (r == 0)
		return;
	run->pid = 0;
	if (r < 0) {
		health_notify_done(c, HEALTH_FAIL, HEALTH_R_SOCKET_ERROR, strerror(errno));
		return;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		health_notify_done(c, HEALTH_OK, HEALTH_R_NONE, NULL);
	} else if (WIFEXITED(status)) {
		snprintf(detail, sizeof(detail), "%d", WEXITSTATUS(status));
		health_notify_done(c, HEALTH_FAIL, HEALTH_R_EXIT_STATUS, detail);
	} else {
		snprintf(detail, sizeof(detail), "%d", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
		health_notify_done(c, HEALTH_FAIL, HEALTH_R_KILLED, detail);
	}
}

static int check_script_spawn(struct health_check *c, pid_t *pid)
{
	const struct health_config *cfg = health_check_cfg(c);
	char env_svc[96], env_ra[64], env_rp[32], env_ca[64], env_cp[32], ip[NET_ADDR_STRLEN];
	char *argv[] = {"/bin/sh", "-c", (char *)cfg->command, NULL};
	char *envp[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			env_svc,
			env_ra,
			env_rp,
			env_ca,
			env_cp,
			NULL};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, dflt;
	int err;

	snprintf(env_svc, sizeof(env_svc), "XLB_SERVICE=%s", health_check_svc_name(c));
	snprintf(env_ra, sizeof(env_ra), "XLB_REAL_ADDRESS=%s",
		 net_addr_str(&c->real_addr, ip, sizeof(ip)));
	snprintf(env_rp, sizeof(env_rp), "XLB_REAL_PORT=%u", c->real_port);
	snprintf(env_ca, sizeof(env_ca), "XLB_CHECK_ADDRESS=%s",
		 net_addr_str(&c->addr, ip, sizeof(ip)));
	snprintf(env_cp, sizeof(env_cp), "XLB_CHECK_PORT=%u", c->port);

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	posix_spawnattr_init(&attr);
	/* xlbd blocks the signals its signalfd reads; the child must not inherit that. */
	sigemptyset(&none);
	sigfillset(&dflt);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dflt);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
					    POSIX_SPAWN_SETPGROUP);
	err = posix_spawn(pid, "/bin/sh", &fa, &attr, argv, envp);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	return -err;
}

static int check_script_start(struct health_check *c)
{
	struct check_script_run *run = calloc(1, sizeof(*run));
	int err;

	if (!run)
		return -ENOMEM;
	c->priv = run;
	err = check_script_spawn(c, &run->pid);
	if (err) {
		run->pid = 0;
		return err;
	}
	c->fd = check_script_pidfd_open(run->pid);
	if (c->fd < 0)
		return -errno;
	return health_watch(c, EPOLLIN);
}

/* Hands a killed child to the reaper; false if it cannot take it. */
static bool check_script_orphan_add(struct health_ctx *h, pid_t pid)
{
	struct check_script_ctx **px =
	    (struct check_script_ctx **)health_kind_priv(h, HEALTH_SCRIPT);
	struct check_script_orphan *o;

	if (!*px)
		*px = calloc(1, sizeof(**px));
	o = *px ? calloc(1, sizeof(*o)) : NULL;
	if (!o)
		return false;
	o->pid = pid;
	o->pidfd = check_script_pidfd_open(pid);
	if (o->pidfd < 0 || health_watch_shared(h, o->pidfd, check_script_orphan_reaped, o) < 0) {
		if (o->pidfd >= 0)
			close(o->pidfd);
		free(o);
		return false;
	}
	o->next = (*px)->orphans;
	(*px)->orphans = o;
	return true;
}

/* Kills what is left of the run and makes sure it gets reaped. */
static void check_script_cancel(struct health_check *c)
{
	struct check_script_run *run = c->priv;

	health_close_fd(c);
	if (run && run->pid > 0) {
		kill(-run->pid, SIGKILL);
		if (waitpid(run->pid, NULL, WNOHANG) == 0 &&
		    !check_script_orphan_add(c->h, run->pid))
			waitpid(run->pid, NULL, 0); /* SIGKILLed: a short wait */
	}
	free(run);
	c->priv = NULL;
}

static void check_script_ctx_free(struct health_ctx *h)
{
	struct check_script_ctx **px =
	    (struct check_script_ctx **)health_kind_priv(h, HEALTH_SCRIPT);
	struct check_script_orphan *o, *next;

	if (!*px)
		return;
	for (o = (*px)->orphans; o; o = next) {
		next = o->next;
		health_unwatch_shared(h, o->pidfd);
		close(o->pidfd);
		/* SIGKILLed already: this wait is short. */
		waitpid(o->pid, NULL, 0);
		free(o);
	}
	free(*px);
	*px = NULL;
}

const struct health_checker_ops check_script_ops = {
    .name = "script",
    .start = check_script_start,
    .on_event = check_script_on_event,
    .cancel = check_script_cancel,
    .ctx_free = check_script_ctx_free,
};
