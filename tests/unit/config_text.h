/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Unit tests' config fixture: a config given as text, loaded through a temporary file. */
#ifndef XLB_TEST_CONFIG_TEXT_H
#define XLB_TEST_CONFIG_TEXT_H

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

/* The temporary file's name, which every error message starts with; size path buffers by it. */
#define CONFIG_TEXT_TEMPLATE "/tmp/xlb-test-config-XXXXXX"

/*
 * Writes @text to a new temporary file (its name into @path, at least
 * sizeof(CONFIG_TEXT_TEMPLATE) bytes), loads it and removes it; returns what
 * config_load() returned. Include cmocka before this header.
 */
static inline int config_load_text(const char *text, struct xlb_config *cfg,
				   struct config_errors *errs, char *path)
{
	int fd, ret;

	strcpy(path, CONFIG_TEXT_TEMPLATE);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(close(fd), 0);
	ret = config_load(path, cfg, errs);
	unlink(path);
	return ret;
}

#endif /* XLB_TEST_CONFIG_TEXT_H */
