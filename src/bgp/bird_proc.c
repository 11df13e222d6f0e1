// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Runs BIRD as xlbd's child; see bird_proc.h. */
#include "bgp/bird_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int bird_pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/*
 * In the child, before exec: only async-signal-safe calls (xlbd has threads).
 * xlbd blocks the signals its signalfd reads and ignores SIGPIPE; BIRD must
 * get both back, and none of xlbd's descriptors.
 */
static void __attribute__((noreturn))
bird_child(char *const argv[], pid_t parent, int devnull, int out)
{
	sigset_t none;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent) /* xlbd died before the line above */
		_exit(127);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	setpgid(0, 0); /* a terminal's Ctrl-C is for xlbd, which stops BIRD itself */
	dup2(devnull, 0);
	if (out >= 0) {
		dup2(out, 1);
		dup2(out, 2);
	}
	syscall(SYS_close_range, 3, ~0U, 0);
	execv(argv[0], argv);
	_exit(127);
}

static int bird_fork(char *const argv[], int out, pid_t *pid)
{
	pid_t parent = getpid();
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	pid_t p;

	if (devnull < 0)
		return -errno;
	p = fork();
	if (p == 0)
		bird_child(argv, parent, devnull, out);
	close(devnull);
	if (p < 0)
		return -errno;
	*pid = p;
	return 0;
}

int bird_proc_start(const char *bird, const char *conf, const char *sock, pid_t *pid, int *pidfd)
{
	char *argv[] = { (char *)bird, "-f", "-c", (char *)conf, "-s", (char *)sock, NULL };
	int err;

	if (access(bird, X_OK) < 0)
		return -errno;
	err = bird_fork(argv, -1, pid);
	if (err)
		return err;
	*pidfd = bird_pidfd_open(*pid);
	if (*pidfd < 0) {
		err = -errno;
		kill(*pid, SIGKILL);
		waitpid(*pid, NULL, 0);
		return err;
	}
	return 0;
}

static void bird_describe(int status, char *buf, size_t size)
{
	if (WIFEXITED(status))
		snprintf(buf, size, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(buf, size, "status %d", status);
}

int bird_proc_reap(pid_t pid, char *buf, size_t size)
{
	int status;
	pid_t r = waitpid(pid, &status, WNOHANG);

	if (r == 0)
		return 0;
	if (r < 0)
		snprintf(buf, size, "gone: %s", strerror(errno));
	else
		bird_describe(status, buf, size);
	return 1;
}

void bird_proc_stop(pid_t pid, int pidfd, int wait_ms)
{
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };

	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	if (pidfd < 0 || poll(&pfd, 1, wait_ms) != 1)
		kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

int bird_proc_check(const char *bird, const char *conf, char *msg, size_t size)
{
	char *argv[] = { (char *)bird, "-p", "-c", (char *)conf, NULL };
	int fds[2], status = 0, err, waited = 0;
	size_t len = 0;
	pid_t pid;

	msg[0] = '\0';
	if (access(bird, X_OK) < 0) {
		snprintf(msg, size, "cannot run %s: %s", bird, strerror(errno));
		return -EINVAL;
	}
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	err = bird_fork(argv, fds[1], &pid);
	close(fds[1]);
	if (err) {
		close(fds[0]);
		return err;
	}
	/* Bounded: BIRD's words up to @size, its exit within 10 s. */
	while (waited < 10000) {
		struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, 100) == 0) {
			waited += 100;
			continue;
		}
		n = read(fds[0], msg + len, size - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len >= size - 1)
			break;
	}
	close(fds[0]);
	msg[len] = '\0';
	while (len && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
		msg[--len] = '\0';
	if (waited >= 10000)
		kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EINVAL;
}
