// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Logging to stderr: one line per event, with a level prefix. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

/* Set once at start, before any thread: read without a lock. */
static enum log_level log_threshold = LOG_LVL_INFO;
static const char *const log_level_names[] = { "error", "warning", "info", "debug" };

void log_set_level(enum log_level level)
{
	log_threshold = level;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_threshold)
		return;
	/* Threads log too (VRRP, proxy workers): one whole line at a time. */
	flockfile(stderr);
	fprintf(stderr, "xlbd: %s: ", log_level_names[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}
