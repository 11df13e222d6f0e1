/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The BIRD process: started as xlbd's child, tied to xlbd's life, stopped gracefully. */
#ifndef XLB_BIRD_PROC_H
#define XLB_BIRD_PROC_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Starts "@bird -f -c @conf -s @sock" with PR_SET_PDEATHSIG=SIGKILL, so it
 * dies when xlbd does, however xlbd ends. Call from the main thread (the
 * death signal follows the thread that forked). 0 with *pid and a pidfd
 * (readable when it exits), or -errno.
 */
int bird_proc_start(const char *bird, const char *conf, const char *sock, pid_t *pid, int *pidfd);
/* SIGTERM (BIRD sends its peers a Cease), up to @wait_ms for it to go, then SIGKILL; reaps it. */
void bird_proc_stop(pid_t pid, int pidfd, int wait_ms);
/* Reaps an exited child: 1 and how it ended in @buf, 0 if it still runs. */
int bird_proc_reap(pid_t pid, char *buf, size_t size);
/* "@bird -p -c @conf" (parse only): 0 valid, else -EINVAL with BIRD's words in @msg. */
int bird_proc_check(const char *bird, const char *conf, char *msg, size_t size);

#endif /* XLB_BIRD_PROC_H */
