// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The config loader's limits (src/config_limits.h, docs/CONFIG.md "Limits"):
 * each refuses before the work it bounds, with one FILE:LINE message saying
 * what was expected. Every load runs in a child with a deadline, so a limit
 * that is missing fails the test instead of hanging it (a FIFO blocked, deep
 * nesting and many anchors are quadratic in libyaml).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "config_limits.h"

#define TMP_TEMPLATE "/tmp/xlb-test-limits-XXXXXX"
/* Generous for ASan on a busy machine; a refusal takes milliseconds. */
#define LOAD_DEADLINE_MS 3000

/* A growing text, for generated configs. */
struct text {
	char *buf;
	size_t len, cap;
	int lines; /* newlines so far: the next line is lines + 1 */
};

static void __attribute__((format(printf, 2, 3))) add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		assert_true(n >= 0);
		if (t->len + (size_t)n < t->cap)
			break;
		t->cap = t->cap ? t->cap * 2 + (size_t)n : 4096 + (size_t)n;
		t->buf = realloc(t->buf, t->cap);
		assert_non_null(t->buf);
	}
	for (const char *c = t->buf + t->len; *c; c++)
		t->lines += *c == '\n';
	t->len += (size_t)n;
}

static void add_repeat(struct text *t, const char *s, size_t times)
{
	for (size_t i = 0; i < times; i++)
		add(t, "%s", s);
}

static void write_file(const char *text, size_t len, char *path)
{
	int fd;

	strcpy(path, TMP_TEMPLATE);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

struct outcome {
	int ret;
	size_t count;
	char first[1024]; /* the first message, without "PATH:" */
	long ms;
};

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* config_load(@path) in a child; fails the test if it takes past the deadline. */
static void load_bounded(const char *path, struct outcome *out)
{
	struct timespec t0;
	int fds[2], status;
	pid_t pid;

	memset(out, 0, sizeof(*out));
	assert_int_equal(pipe(fds), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct config_errors errs;
		struct xlb_config cfg;
		struct outcome o = { 0 };
		size_t plen = strlen(path);

		close(fds[0]);
		o.ret = config_load(path, &cfg, &errs);
		o.count = errs.count;
		if (errs.count)
			snprintf(o.first, sizeof(o.first), "%s",
				 strncmp(errs.msgs[0], path, plen) == 0 ? errs.msgs[0] + plen
									 : errs.msgs[0]);
		if (write(fds[1], &o, sizeof(o)) != sizeof(o))
			_exit(2);
		_exit(0);
	}
	close(fds[1]);
	struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
	int ready = poll(&pfd, 1, LOAD_DEADLINE_MS);

	if (ready <= 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		close(fds[0]);
		fail_msg("config_load(%s) still running after %d ms", path, LOAD_DEADLINE_MS);
	}
	assert_int_equal(read(fds[0], out, sizeof(*out)), (ssize_t)sizeof(*out));
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	out->ms = elapsed_ms(&t0);
}

/* Loads @t as a file: exactly one message, @want after "PATH:", and @ret. */
static void expect_one(struct text *t, int ret, const char *want)
{
	char path[sizeof(TMP_TEMPLATE)];
	struct outcome o;

	write_file(t->buf, t->len, path);
	load_bounded(path, &o);
	unlink(path);
	if (o.ret != ret || o.count != 1 || strcmp(o.first, want) != 0)
		fail_msg("ret %d (want %d), %zu messages (want 1), first '%s' (want '%s')", o.ret,
			 ret, o.count, o.first, want);
	free(t->buf);
	memset(t, 0, sizeof(*t));
}

#define HEAD "interfaces:\n  - name: eth0\n"

/* ---------------------------------------------------------------- the file */

/* A FIFO never blocks the load: open() waited for a writer before. */
static void test_fifo(void **state)
{
	char path[] = "/tmp/xlb-test-limits-fifo-XXXXXX";
	struct outcome o;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	assert_int_equal(mkfifo(path, 0600), 0);
	load_bounded(path, &o);
	unlink(path);
	assert_int_equal(o.ret, -EINVAL);
	assert_int_equal(o.count, 1);
	assert_string_equal(o.first, ": cannot read: a FIFO (expected a regular file)");
}

/* Devices are refused before they are opened (/dev/zero was read for 16 MiB). */
static void test_devices(void **state)
{
	struct outcome o;

	load_bounded("/dev/zero", &o);
	assert_int_equal(o.ret, -EINVAL);
	assert_int_equal(o.count, 1);
	assert_string_equal(o.first, ": cannot read: a character device (expected a regular file)");
	load_bounded("/dev/null", &o);
	assert_int_equal(o.ret, -EINVAL);
	assert_string_equal(o.first, ": cannot read: a character device (expected a regular file)");
}

/* Over the size limit: refused from its size, before a byte is read. */
static void test_size(void **state)
{
	char path[sizeof(TMP_TEMPLATE)], want[128];
	struct outcome o;
	int fd;

	strcpy(path, TMP_TEMPLATE);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)CONFIG_FILE_MAX + 1), 0); /* sparse */
	close(fd);
	load_bounded(path, &o);
	unlink(path);
	snprintf(want, sizeof(want), ": cannot read: %u bytes (expected at most 16 MiB)",
		 CONFIG_FILE_MAX + 1);
	assert_int_equal(o.ret, -EFBIG);
	assert_int_equal(o.count, 1);
	assert_string_equal(o.first, want);
}

/* ---------------------------------------------------------------- nesting */

static void test_depth(void **state)
{
	struct text t = { 0 };
	char want[256];

	/* The root mapping and 15 lists: 16 levels, no complaint about nesting. */
	{
		char path[sizeof(TMP_TEMPLATE)];
		struct outcome o;

		add(&t, HEAD "services:\n");
		add(&t, "x: ");
		add_repeat(&t, "[", 15);
		add_repeat(&t, "]", 15);
		add(&t, "\n");
		write_file(t.buf, t.len, path);
		load_bounded(path, &o);
		unlink(path);
		assert_int_equal(o.ret, -EINVAL);
		assert_string_equal(o.first, ":4: unknown key 'x' in config (expected one of: "
					     "interfaces, control_socket, bpf_pin_dir, flows, "
					     "services, ha, metrics, bgp)");
		free(t.buf);
		memset(&t, 0, sizeof(t));
	}
	/* One more: refused at its line. */
	add(&t, HEAD "services:\n");
	add(&t, "x: ");
	add_repeat(&t, "[", 16);
	add_repeat(&t, "]", 16);
	add(&t, "\n");
	snprintf(want, sizeof(want),
		 ":4: nesting level 17: too deep (expected at most %d levels of lists and "
		 "mappings; the rest of the file was not read)",
		 CONFIG_DEPTH_MAX);
	expect_one(&t, -EINVAL, want);

	/* Block style: mappings by indentation, level 17 at line 17. */
	for (int i = 0; i < 17; i++)
		add(&t, "%*sk%d:\n", i, "", i);
	add(&t, "%*sv: 1\n", 17, "");
	expect_one(&t, -EINVAL,
		   ":17: nesting level 17: too deep (expected at most 16 levels of lists and "
		   "mappings; the rest of the file was not read)");

	/* A million levels: refused at once (libyaml alone took minutes). */
	add_repeat(&t, "[", 1000000);
	add(&t, "\n");
	expect_one(&t, -EINVAL,
		   ":1: nesting level 17: too deep (expected at most 16 levels of lists and "
		   "mappings; the rest of the file was not read)");
}

/* ---------------------------------------------------------------- anchors, aliases */

static void test_anchors_aliases(void **state)
{
	struct text t = { 0 };
	char want[256];
	int line = 0;

	add(&t, "interfaces:\n");
	for (int i = 0; i < CONFIG_ANCHORS_MAX + 1; i++) {
		if (i == CONFIG_ANCHORS_MAX)
			line = t.lines + 1;
		add(&t, "  - &a%d {name: eth%d}\n", i, i);
	}
	snprintf(want, sizeof(want),
		 ":%d: anchor %d: too many (expected at most %d anchors; the rest of the file "
		 "was not read)",
		 line, CONFIG_ANCHORS_MAX + 1, CONFIG_ANCHORS_MAX);
	expect_one(&t, -EINVAL, want);

	/* 300,000 anchors: refused at once (libyaml alone is quadratic in them). */
	add(&t, "x: [");
	for (int i = 0; i < 300000; i++)
		add(&t, "&a%d 1,", i);
	add(&t, "]\n");
	snprintf(want, sizeof(want),
		 ":1: anchor %d: too many (expected at most %d anchors; the rest of the file "
		 "was not read)",
		 CONFIG_ANCHORS_MAX + 1, CONFIG_ANCHORS_MAX);
	expect_one(&t, -EINVAL, want);

	add(&t, "interfaces:\n  - &i {name: eth0}\n");
	for (int i = 0; i < CONFIG_ALIASES_MAX + 1; i++) {
		if (i == CONFIG_ALIASES_MAX)
			line = t.lines + 1;
		add(&t, "  - *i\n");
	}
	snprintf(want, sizeof(want),
		 ":%d: alias %d: too many (expected at most %d aliases; the rest of the file "
		 "was not read)",
		 line, CONFIG_ALIASES_MAX + 1, CONFIG_ALIASES_MAX);
	expect_one(&t, -EINVAL, want);
}

/* ---------------------------------------------------------------- services, reals */

/* A service at the next line; returns its line. */
static int add_service(struct text *t, int n, int nreals, int first_real)
{
	int line = t->lines + 1;

	add(t, "  - name: s%d\n    vip: 10.%d.%d.1\n    port: 80\n    reals:\n", n, 100 + n / 256,
	    n % 256);
	for (int r = first_real; r < first_real + nreals; r++)
		add(t, "      - address: 10.%d.%d.%d\n", r >> 16, (r >> 8) & 255, r & 255);
	return line;
}

static void test_services(void **state)
{
	struct text t = { 0 };
	char want[256];
	int line = 0;

	add(&t, HEAD "services:\n");
	for (int i = 0; i < CONFIG_SERVICES_MAX + 1; i++) {
		int l = add_service(&t, i, 1, 1);

		if (i == CONFIG_SERVICES_MAX)
			line = l;
	}
	snprintf(want, sizeof(want),
		 ":%d: service %d: too many (expected at most %d services; the rest of the file "
		 "was not read)",
		 line, CONFIG_SERVICES_MAX + 1, CONFIG_SERVICES_MAX);
	expect_one(&t, -EINVAL, want);
}

static void test_reals_per_service(void **state)
{
	struct text t = { 0 };
	char want[256];
	int svc_line;

	add(&t, HEAD "services:\n");
	svc_line = add_service(&t, 0, CONFIG_SERVICE_REALS_MAX + 1, 1);
	/* The first real is 4 lines after the service's; and this one after all. */
	add(&t, "  - colour: red\n");
	snprintf(want, sizeof(want),
		 ":%d: real %d of the service at line %d: too many (expected at most %d reals per "
		 "service; the rest of the file was not read)",
		 svc_line + 4 + CONFIG_SERVICE_REALS_MAX, CONFIG_SERVICE_REALS_MAX + 1, svc_line,
		 CONFIG_SERVICE_REALS_MAX);
	expect_one(&t, -EINVAL, want);
}

static void test_reals_in_all(void **state)
{
	int per = CONFIG_SERVICE_REALS_MAX, nsvc = CONFIG_REALS_MAX / CONFIG_SERVICE_REALS_MAX;
	struct text t = { 0 };
	char want[256];
	int line;

	/* Exactly the limit: accepted. */
	add(&t, HEAD "services:\n");
	for (int i = 0; i < nsvc; i++)
		add_service(&t, i, per, 1 + i * per);
	{
		char path[sizeof(TMP_TEMPLATE)];
		struct outcome o;

		write_file(t.buf, t.len, path);
		load_bounded(path, &o);
		unlink(path);
		if (o.ret != 0)
			fail_msg("%d reals refused: %s", CONFIG_REALS_MAX, o.first);
	}
	/* One more, in a service of its own: refused at that real. */
	line = add_service(&t, nsvc, 1, 1 + nsvc * per) + 4;
	snprintf(want, sizeof(want),
		 ":%d: real %d of all services: too many (expected at most %d reals in all; the "
		 "rest of the file was not read)",
		 line, CONFIG_REALS_MAX + 1, CONFIG_REALS_MAX);
	expect_one(&t, -EINVAL, want);
}

/* Reals reached through an alias are not seen while streaming: counted in the tree. */
static void test_reals_through_alias(void **state)
{
	int per = CONFIG_SERVICE_REALS_MAX, nsvc = CONFIG_REALS_MAX / CONFIG_SERVICE_REALS_MAX;
	struct text t = { 0 };
	char want[256];
	int line = 0;

	add(&t, HEAD "services:\n");
	add(&t, "  - name: s0\n    vip: 10.100.0.1\n    port: 80\n    reals: &r\n");
	for (int r = 1; r <= per; r++)
		add(&t, "      - address: 10.%d.%d.%d\n", r >> 16, (r >> 8) & 255, r & 255);
	for (int i = 1; i <= nsvc; i++) {
		if (i == nsvc)
			line = t.lines + 1;
		add(&t, "  - name: s%d\n    vip: 10.100.%d.1\n    port: 80\n    reals: *r\n", i, i);
	}
	snprintf(want, sizeof(want),
		 ":%d: real %d of all services: too many (expected at most %d reals in all; the "
		 "rest of the file was not read)",
		 line, CONFIG_REALS_MAX + 1, CONFIG_REALS_MAX);
	expect_one(&t, -EINVAL, want);
}

/* ---------------------------------------------------------------- duplicates */

/* Found by sorting now: each later one names the first, in file order. */
static void test_duplicates(void **state)
{
	static const char yaml[] = HEAD			  /* 1-2 */
		"  - name: eth1\n"			  /* 3 */
		"  - name: eth0\n"			  /* 4 */
		"  - name: eth0\n"			  /* 5 */
		"services:\n"				  /* 6 */
		"  - name: b\n"				  /* 7 */
		"    vip: 10.0.0.1\n"			  /* 8 */
		"    port: 80\n"			  /* 9 */
		"    reals:\n"				  /* 10 */
		"      - address: 10.0.1.2\n"		  /* 11 */
		"      - address: 10.0.1.1\n"		  /* 12 */
		"      - {address: 10.0.1.2, port: 80}\n" /* 13 */
		"      - address: 10.0.1.2\n"		  /* 14 */
		"      - address: 10.0.1.3\n"		  /* 15 */
		"  - name: a\n"				  /* 16 */
		"    vip: 10.0.0.1\n"			  /* 17 */
		"    port: 81\n"			  /* 18 */
		"    reals: [{address: 10.0.1.1}]\n"	  /* 19 */
		"  - name: b\n"				  /* 20 */
		"    vip: 10.0.0.1\n"			  /* 21 */
		"    port: 80\n"			  /* 22 */
		"    reals: [{address: 10.0.1.1}]\n";	  /* 23 */
	static const char *const want[] = {
		":4: duplicate interface 'eth0' (first defined at line 2)",
		":5: duplicate interface 'eth0' (first defined at line 2)",
		":13: duplicate real 10.0.1.2:80 (first defined at line 11)",
		":14: duplicate real 10.0.1.2:80 (first defined at line 11)",
		":20: duplicate service name 'b' (first defined at line 7)",
		":20: duplicate service 10.0.0.1:80/tcp (first defined at line 7)",
	};
	char path[sizeof(TMP_TEMPLATE)];
	struct config_errors errs;
	struct xlb_config cfg;

	write_file(yaml, strlen(yaml), path);
	assert_int_equal(config_load(path, &cfg, &errs), -EINVAL);
	unlink(path);
	for (size_t i = 0; i < errs.count; i++)
		print_message("  got: %s\n", errs.msgs[i]);
	assert_int_equal(errs.count, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < errs.count; i++)
		assert_string_equal(errs.msgs[i] + strlen(path), want[i]);
	config_errors_free(&errs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fifo),
		cmocka_unit_test(test_devices),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_anchors_aliases),
		cmocka_unit_test(test_services),
		cmocka_unit_test(test_reals_per_service),
		cmocka_unit_test(test_reals_in_all),
		cmocka_unit_test(test_reals_through_alias),
		cmocka_unit_test(test_duplicates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
