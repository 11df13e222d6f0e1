// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* One xlbd per control socket and pin directory: the locks, on temporary files. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "instance_lock.h"

static char dir[] = "/tmp/xlb-lock-test.XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static void test_socket_lock(void **state)
{
	char sock[PATH_MAX], lock[PATH_MAX + 8], text[32] = "";
	int fd, fd2, lfd;

	(void)state;
	/* The socket's directory does not exist yet (/run/xlb on a fresh boot). */
	snprintf(sock, sizeof(sock), "%s/run/xlb.sock", dir);
	fd = instance_lock_socket(sock);
	assert_true(fd >= 0);
	snprintf(lock, sizeof(lock), "%s.lock", sock);
	lfd = open(lock, O_RDONLY);
	assert_true(lfd >= 0);
	assert_true(read(lfd, text, sizeof(text) - 1) > 0);
	assert_int_equal(strtol(text, NULL, 10), getpid());
	close(lfd);
	/* flock() is per open file: a second open, as a second xlbd's, is refused. */
	assert_int_equal(instance_lock_socket(sock), -EBUSY);
	/* Closed (xlbd exited, or was killed): free again, nothing stale to remove. */
	close(fd);
	fd2 = instance_lock_socket(sock);
	assert_true(fd2 >= 0);
	close(fd2);
}

static void test_socket_lock_symlink(void **state)
{
	char sock[PATH_MAX], lock[PATH_MAX + 8], target[PATH_MAX];
	struct stat st;

	(void)state;
	snprintf(sock, sizeof(sock), "%s/evil.sock", dir);
	snprintf(lock, sizeof(lock), "%s.lock", sock);
	snprintf(target, sizeof(target), "%s/precious", dir);
	assert_int_equal(symlink(target, lock), 0);
	/* Root must not be led to create or truncate a file a symlink points at. */
	assert_int_equal(instance_lock_socket(sock), -ELOOP);
	assert_int_equal(stat(target, &st), -1);
}

static void test_pin_dir_lock(void **state)
{
	char pins[PATH_MAX];
	int fd;

	(void)state;
	snprintf(pins, sizeof(pins), "%s/pins", dir);
	assert_int_equal(instance_lock_pin_dir(pins), -ENOENT);
	assert_int_equal(mkdir(pins, 0700), 0);
	fd = instance_lock_pin_dir(pins);
	assert_true(fd >= 0);
	assert_int_equal(instance_lock_pin_dir(pins), -EBUSY);
	close(fd);
	fd = instance_lock_pin_dir(pins);
	assert_true(fd >= 0);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_socket_lock),
		cmocka_unit_test(test_socket_lock_symlink),
		cmocka_unit_test(test_pin_dir_lock),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
