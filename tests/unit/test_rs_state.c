// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xlb-rs's state directory is trusted by a root process: `down` writes back
 * the sysctls and removes the addresses it names. Only a directory that only
 * root can write is taken, every record must be one `up` could have written,
 * and nothing follows a symlink.
 */
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

#include "xlb_rs_net.h"
#include "xlb_rs_state.h"

static char base[] = "/tmp/xlb-rs-state-test.XXXXXX";
static char netns[64];
static struct rs_state st;

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(base) || rs_netns_id(netns, sizeof(netns)))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	return system(cmd);
}

/* @name under the test's directory; the result lives until the 4th call after. */
static const char *at(const char *name)
{
	static char path[4][PATH_MAX];
	static int next;
	char *p = path[next++ % 4];

	snprintf(p, PATH_MAX, "%s/%s", base, name);
	return p;
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static const char *read_text(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return "";
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* A private directory, 0700, holding @name with @text (and "shared" naming our netns). */
static const char *state_with(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX + 64], shared[128];

	mkdir(at(dir), 0700);
	snprintf(shared, sizeof(shared), "netns=%s\n", netns);
	snprintf(path, sizeof(path), "%s/shared", at(dir));
	write_text(path, shared);
	if (name) {
		snprintf(path, sizeof(path), "%s/%s", at(dir), name);
		write_text(path, text);
	}
	return at(dir);
}

static int open_state(const char *dir)
{
	int err = rs_state_open(&st, dir, true);

	rs_state_close(&st);
	return err;
}

static void test_roundtrip(void **state)
{
	struct rs_vip_rec v = {0};
	struct stat sb;
	const char *dir = at("new/state");

	(void)state;
	assert_int_equal(rs_state_open(&st, dir, true), 0);
	assert_int_equal(stat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0700);
	assert_int_equal(net_addr_parse("10.1.2.3", &v.vip), 0);
	v.method = XLB_METHOD_TUN;
	snprintf(v.dev, sizeof(v.dev), "eth0");
	v.ifindex = 2;
	v.addr_added = true;
	assert_int_equal(rs_state_put_vip(&st, &v), 0);
	snprintf(st.sysctls[0].path, sizeof(st.sysctls[0].path), "net/ipv4/conf/all/arp_ignore");
	st.sysctls[0].orig = 0;
	st.sysctls[0].set = 1;
	snprintf(st.sysctls[1].path, sizeof(st.sysctls[1].path), "net/ipv4/conf/eth0/rp_filter");
	st.sysctls[1].orig = 1;
	st.sysctls[1].set = 2;
	st.nsysctls = 2;
	st.tcs[0].ifindex = 2;
	snprintf(st.tcs[0].dev, sizeof(st.tcs[0].dev), "eth0");
	st.tcs[0].clsact_created = true;
	st.ntcs = 1;
	assert_int_equal(rs_state_save_shared(&st), 0);
	rs_state_close(&st);

	assert_int_equal(rs_state_open(&st, dir, false), 0);
	assert_int_equal(st.nvips, 1);
	assert_int_equal(st.vips[0].method, XLB_METHOD_TUN);
	assert_string_equal(st.vips[0].dev, "eth0");
	assert_true(st.vips[0].addr_added);
	assert_int_equal(st.nsysctls, 2);
	assert_int_equal(st.sysctls[1].orig, 1);
	assert_int_equal(st.ntcs, 1);
	assert_true(st.tcs[0].clsact_created);
	rs_state_close(&st);
}

/* Anyone who can write the directory could plant records for root to act on. */
static void test_dir_not_private(void **state)
{
	(void)state;
	mkdir(at("ww"), 0700);
	chmod(at("ww"), 0777);
	assert_int_not_equal(open_state(at("ww")), 0);
	chmod(at("ww"), 0755);
	assert_int_not_equal(open_state(at("ww")), 0);
	chmod(at("ww"), 01777);
	assert_int_not_equal(open_state(at("ww")), 0);
	chmod(at("ww"), 0700);
	assert_int_equal(open_state(at("ww")), 0);
	if (geteuid() == 0) {
		assert_int_equal(chown(at("ww"), 65534, 65534), 0);
		assert_int_not_equal(open_state(at("ww")), 0);
	}
	/* A symlink to a good directory is not that directory. */
	assert_int_equal(symlink(at("new/state"), at("link")), 0);
	assert_int_not_equal(open_state(at("link")), 0);
}

/* Records `up` never writes: refused at load, before `down` can act on them. */
static void test_crafted_records(void **state)
{
	char text[512];

	(void)state;
	/* sysctl=../../FILE made `down` write into any file as root. */
	snprintf(text, sizeof(text), "netns=%s\nsysctl=../../..%s/victim 0 1\n", netns, base);
	write_text(at("victim"), "precious\n");
	assert_int_not_equal(open_state(state_with("s1", "shared", text)), 0);
	snprintf(text, sizeof(text), "netns=%s\nsysctl=net/ipv4/ip_forward 0 1\n", netns);
	assert_int_not_equal(open_state(state_with("s2", "shared", text)), 0);
	/* The right sysctl, but not the value up sets (arp_ignore: 1). */
	snprintf(text, sizeof(text), "netns=%s\nsysctl=net/ipv4/conf/all/arp_ignore 0 8\n", netns);
	assert_int_not_equal(open_state(state_with("s3", "shared", text)), 0);
	snprintf(text, sizeof(text), "netns=%s\nsysctl=net/ipv4/conf/../../kernel/x/rp_filter 0 2\n",
		 netns);
	assert_int_not_equal(open_state(state_with("s4", "shared", text)), 0);
	snprintf(text, sizeof(text), "netns=%s\ntc=2 eth0 7\n", netns);
	assert_int_not_equal(open_state(state_with("s5", "shared", text)), 0);
	/* An address up never adds (loopback), or a record with a device name up refuses. */
	assert_int_not_equal(open_state(state_with("v1", "vip-127.0.0.1",
						   "vip=127.0.0.1\nmethod=dr\naddr_added=1\n")),
			     0);
	assert_int_not_equal(open_state(state_with("v2", "vip-10.1.2.3",
						   "vip=10.1.2.3\nmethod=tun\ndev=../x\nifindex=2\n")),
			     0);
	assert_int_not_equal(open_state(state_with("v3", "vip-10.1.2.3",
						   "vip=10.1.2.3\nmethod=tun\naddr_added=1\n")),
			     0);
	assert_int_not_equal(open_state(state_with("v4", "vip-10.1.2.3",
						   "vip=10.1.2.3\nmethod=dr\ndscp=9\n")),
			     0);
	/* What up writes is fine. */
	snprintf(text, sizeof(text), "netns=%s\nsysctl=net/ipv4/conf/all/arp_announce 1 2\n", netns);
	assert_int_equal(open_state(state_with("ok", "shared", text)), 0);
	assert_string_equal(read_text(at("victim")), "precious\n");
}

/* The sysctl helpers stay under /proc/sys/net, whoever asks. */
static void test_sysctl_confined(void **state)
{
	char path[PATH_MAX];
	int val;

	(void)state;
	write_text(at("victim2"), "precious\n");
	snprintf(path, sizeof(path), "../..%s/victim2", base);
	assert_int_not_equal(rs_sysctl_write(path, 0), 0);
	assert_int_not_equal(rs_sysctl_read(path, &val), 0);
	snprintf(path, sizeof(path), "net/../../..%s/victim2", base);
	assert_int_not_equal(rs_sysctl_write(path, 0), 0);
	assert_int_not_equal(rs_sysctl_write("kernel/printk", 0), 0);
	assert_string_equal(read_text(at("victim2")), "precious\n");
}

/* A planted symlink at a temp file's name is replaced, never written through. */
static void test_tmp_symlink(void **state)
{
	struct rs_vip_rec v = {0};
	char dir[PATH_MAX], link[PATH_MAX + 64];
	struct stat sb;

	(void)state;
	snprintf(dir, sizeof(dir), "%s", state_with("t", NULL, NULL));
	write_text(at("victim3"), "precious\n");
	snprintf(link, sizeof(link), "%s/shared.tmp", dir);
	assert_int_equal(symlink(at("victim3"), link), 0);
	snprintf(link, sizeof(link), "%s/vip-10.9.9.9.tmp", dir);
	assert_int_equal(symlink(at("victim3"), link), 0);

	assert_int_equal(rs_state_open(&st, dir, true), 0);
	assert_int_equal(net_addr_parse("10.9.9.9", &v.vip), 0);
	v.method = XLB_METHOD_DR;
	assert_int_equal(rs_state_put_vip(&st, &v), 0);
	snprintf(st.sysctls[0].path, sizeof(st.sysctls[0].path), "net/ipv4/conf/all/arp_ignore");
	st.sysctls[0].set = 1;
	st.nsysctls = 1;
	assert_int_equal(rs_state_save_shared(&st), 0);
	rs_state_close(&st);

	assert_string_equal(read_text(at("victim3")), "precious\n");
	snprintf(link, sizeof(link), "%s/shared", dir);
	assert_int_equal(lstat(link, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_non_null(strstr(read_text(link), "arp_ignore 0 1"));
	snprintf(link, sizeof(link), "%s/vip-10.9.9.9", dir);
	assert_int_equal(lstat(link, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),	  cmocka_unit_test(test_dir_not_private),
		cmocka_unit_test(test_crafted_records), cmocka_unit_test(test_sysctl_confined),
		cmocka_unit_test(test_tmp_symlink),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
