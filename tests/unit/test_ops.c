// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* ops: the endpoints operators type (flows, trace), and doctor's verdict and JSON. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "ops/doctor.h"
#include "ops/endpoint.h"

static void test_endpoint(void **state)
{
	static const struct {
		const char *in;
		int ok, family, port;
		const char *out;
	} cases[] = {
		{ "10.0.0.1", 1, AF_INET, 0, "10.0.0.1:0" },
		{ "10.0.0.1:80", 1, AF_INET, 80, "10.0.0.1:80" },
		{ "[fd00::1]:8080", 1, AF_INET6, 8080, "[fd00::1]:8080" },
		{ "[fd00::1]", 1, AF_INET6, 0, "[fd00::1]:0" },
		{ "fd00::1", 1, AF_INET6, 0, "[fd00::1]:0" }, /* bare IPv6: no port */
		{ "10.0.0.1:0", 0, 0, 0, NULL },
		{ "10.0.0.1:65536", 0, 0, 0, NULL },
		{ "10.0.0.1:8x", 0, 0, 0, NULL },
		{ "[fd00::1]x", 0, 0, 0, NULL },
		{ "[fd00::1:80", 0, 0, 0, NULL },
		{ "host:80", 0, 0, 0, NULL },
		{ "", 0, 0, 0, NULL },
		{ "10.0.0.1:80:90", 0, 0, 0, NULL },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0, 0, 0, NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct net_addr a;
		char buf[NET_ADDR_STRLEN + 8];
		int port = -1;
		int ret = ops_parse_endpoint(cases[i].in, &a, &port);

		if ((ret == 0) != cases[i].ok)
			fail_msg("'%s': ret %d, expected %s", cases[i].in, ret,
				 cases[i].ok ? "ok" : "an error");
		if (!cases[i].ok)
			continue;
		assert_int_equal(a.family, cases[i].family);
		assert_int_equal(port, cases[i].port);
		assert_string_equal(ops_endpoint_str(&a, port, buf, sizeof(buf)), cases[i].out);
	}
}

static void test_xlb_endpoint(void **state)
{
	struct xlb_addr a = { .addr = { htonl(0x0a000001) } };
	char buf[NET_ADDR_STRLEN + 8];

	assert_string_equal(ops_xlb_endpoint_str(&a, XLB_FAMILY_V4, htons(443), buf, sizeof(buf)),
			    "10.0.0.1:443");
	memset(&a, 0, sizeof(a));
	a.addr[0] = htonl(0xfd000000);
	a.addr[3] = htonl(1);
	assert_string_equal(ops_xlb_endpoint_str(&a, XLB_FAMILY_V6, htons(80), buf, sizeof(buf)),
			    "[fd00::1]:80");
}

static void test_doctor_report(void **state)
{
	struct doctor_finding f[3] = {
		{ .level = DOCTOR_OK, .check = "bpffs", .what = "fine" },
		{ .level = DOCTOR_WARN, .check = "rp_filter", .what = "strict", .fix = "sysctl x" },
		{ .level = DOCTOR_INFO, .check = "rings", .what = "small" },
	};
	struct doctor_report r = { .f = f, .n = 3, .cap = 3 };
	json_object *o;

	assert_int_equal(doctor_worst(&r), DOCTOR_WARN);
	o = doctor_json(&r);
	assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
			    "{\"findings\":[{\"level\":\"ok\",\"check\":\"bpffs\",\"finding\":\"fine\"},"
			    "{\"level\":\"warning\",\"check\":\"rp_filter\",\"finding\":\"strict\","
			    "\"fix\":\"sysctl x\"},{\"level\":\"info\",\"check\":\"rings\","
			    "\"finding\":\"small\"}],\"worst\":\"warning\"}");
	json_object_put(o);
	r.n = 0;
	assert_int_equal(doctor_worst(&r), DOCTOR_OK);
}

/* A config the host cannot have: its interface is missing, and that is an error. */
static void test_doctor_missing_iface(void **state)
{
	struct iface_config ifc = { .name = "xlbnope0" };
	struct xlb_config cfg = { .ifaces = &ifc, .nifaces = 1 };
	struct doctor_report r = {};
	bool found = false;

	snprintf(cfg.bpf_pin_dir, sizeof(cfg.bpf_pin_dir), "/sys/fs/bpf/xlb");
	doctor_run(&cfg, &r);
	for (size_t i = 0; i < r.n; i++)
		found |= strcmp(r.f[i].check, "interface") == 0 && r.f[i].level == DOCTOR_ERROR &&
			 strstr(r.f[i].what, "xlbnope0");
	assert_true(found);
	assert_int_equal(doctor_worst(&r), DOCTOR_ERROR);
	doctor_report_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_endpoint),
		cmocka_unit_test(test_xlb_endpoint),
		cmocka_unit_test(test_doctor_report),
		cmocka_unit_test(test_doctor_missing_iface),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
