// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* net_endpoint_parse(): the one ADDR[:PORT] reader of the control socket and xlbctl ops. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "addr.h"

static void test_endpoint_parse(void **state)
{
	static const struct {
		const char *in;
		int family; /* 0: refused */
		const char *addr;
		uint16_t port;
	} cases[] = {
		{ "10.0.0.1", AF_INET, "10.0.0.1", 0 },
		{ "10.0.0.1:80", AF_INET, "10.0.0.1", 80 },
		{ "10.0.0.1:65535", AF_INET, "10.0.0.1", 65535 },
		{ "10.0.0.1:080", AF_INET, "10.0.0.1", 80 },
		{ "[fd00::1]:8080", AF_INET6, "fd00::1", 8080 },
		{ "[fd00::1]", AF_INET6, "fd00::1", 0 },
		{ "fd00::1", AF_INET6, "fd00::1", 0 }, /* bare IPv6: no port */
		{ "::ffff:10.0.0.1", AF_INET6, "::ffff:10.0.0.1", 0 },
		{ "10.0.0.1:0", 0, NULL, 0 },
		{ "10.0.0.1:65536", 0, NULL, 0 },
		{ "10.0.0.1:100000", 0, NULL, 0 },
		{ "10.0.0.1:8x", 0, NULL, 0 },
		{ "10.0.0.1:+80", 0, NULL, 0 }, /* strtol() would take these three */
		{ "10.0.0.1: 80", 0, NULL, 0 },
		{ "10.0.0.1:-1", 0, NULL, 0 },
		{ "10.0.0.1:", 0, NULL, 0 },
		{ "[10.0.0.1]:80", 0, NULL, 0 }, /* brackets are for IPv6 */
		{ "[fd00::1]x", 0, NULL, 0 },
		{ "[fd00::1]:", 0, NULL, 0 },
		{ "[fd00::1:80", 0, NULL, 0 },
		{ "fd00::1:80:", 0, NULL, 0 },
		{ "host:80", 0, NULL, 0 },
		{ "", 0, NULL, 0 },
		{ "10.0.0.1:80:90", 0, NULL, 0 },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0, NULL, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct net_addr a, want;
		uint16_t port = 12345;
		int ret = net_endpoint_parse(cases[i].in, &a, &port);

		if (!cases[i].family) {
			if (ret != -EINVAL)
				fail_msg("'%s': ret %d, expected -EINVAL", cases[i].in, ret);
			continue;
		}
		if (ret)
			fail_msg("'%s': ret %d, expected 0", cases[i].in, ret);
		assert_int_equal(net_addr_parse(cases[i].addr, &want), 0);
		if (a.family != cases[i].family || !net_addr_equal(&a, &want) ||
		    port != cases[i].port)
			fail_msg("'%s': family %d port %u, expected %d %s port %u", cases[i].in,
				 a.family, port, cases[i].family, cases[i].addr, cases[i].port);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_endpoint_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
