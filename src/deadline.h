/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Deadlines for blocking socket work: the monotonic clock and a bounded wait. */
#ifndef XLB_DEADLINE_H
#define XLB_DEADLINE_H

#include <stdbool.h>
#include <stdint.h>

/* CLOCK_MONOTONIC in milliseconds. */
uint64_t mono_ms(void);
/* Waits for @events on @fd until @deadline_ms (of mono_ms()); false once it has passed. */
bool fd_wait_until(int fd, short events, uint64_t deadline_ms);

#endif /* XLB_DEADLINE_H */
