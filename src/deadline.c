// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "deadline.h"

#include <poll.h>
#include <time.h>

uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

bool fd_wait_until(int fd, short events, uint64_t deadline_ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	uint64_t now = mono_ms();

	if (now >= deadline_ms)
		return false;
	return poll(&pfd, 1, (int)(deadline_ms - now)) > 0;
}
