// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The health:, sorry: and quorum: keys and per-real check overrides: values and FILE:LINE errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "config_text.h"

/* Lines 1-7; a case adds its health:, sorry: or quorum: from line 8 on. */
#define SVC                                                                                        \
	"interfaces:\n"                                                                            \
	"  - name: eth0\n"                                                                         \
	"services:\n"                                                                              \
	"  - name: web\n"                                                                          \
	"    vip: 10.0.0.1\n"                                                                      \
	"    port: 80\n"                                                                           \
	"    reals: [{address: 10.0.1.1}, {address: 10.0.1.2, check_port: 8080}]\n"

static void test_full_http(void **state)
{
	static const char yaml[] = SVC "    health:\n"
				       "      check: https\n"
				       "      interval: 500ms\n"
				       "      timeout: 300ms\n"
				       "      rise: 3\n"
				       "      fall: 4\n"
				       "      on_failure: weight0\n"
				       "      port: 443\n"
				       "      path: /health_check.html\n"
				       "      host: www.example.com\n"
				       "      expect_status: 204\n"
				       "      expect_body: \"I'm alive\"\n"
				       "      verify_tls: true\n"
				       "    sorry: {address: 10.0.2.1}\n"
				       "    quorum: 2\n";
	struct config_errors errs;
	struct xlb_config cfg;
	char path[sizeof(CONFIG_TEXT_TEMPLATE)];
	const struct service_config *s;

	assert_int_equal(config_load_text(yaml, &cfg, &errs, path), 0);
	s = &cfg.services[0];
	assert_int_equal(s->health.kind, HEALTH_HTTPS);
	assert_int_equal(s->health.interval_ms, 500);
	assert_int_equal(s->health.timeout_ms, 300);
	assert_int_equal(s->health.rise, 3);
	assert_int_equal(s->health.fall, 4);
	assert_int_equal(s->health.on_failure, HEALTH_ON_FAILURE_WEIGHT0);
	assert_int_equal(s->health.port, 443);
	assert_string_equal(s->health.path, "/health_check.html");
	assert_string_equal(s->health.host, "www.example.com");
	assert_int_equal(s->health.expect_status, 204);
	assert_string_equal(s->health.expect_body, "I'm alive");
	assert_true(s->health.verify_tls);
	assert_int_equal(s->health.line, 9);
	assert_int_equal(s->sorry.addr.family, AF_INET);
	assert_int_equal(s->sorry.port, 80);
	assert_int_equal(s->quorum, 2);
	assert_int_equal(s->reals[0].check_port, 0);
	assert_int_equal(s->reals[1].check_port, 8080);
	assert_string_equal(health_kind_name(s->health.kind), "https");
	config_free(&cfg);
	config_errors_free(&errs);
}

static void test_defaults(void **state)
{
	struct config_errors errs;
	struct xlb_config cfg;
	char path[sizeof(CONFIG_TEXT_TEMPLATE)];
	const struct service_config *s;

	/* No health: block is check none, quorum 1, no sorry server. */
	assert_int_equal(config_load_text(SVC, &cfg, &errs, path), 0);
	s = &cfg.services[0];
	assert_int_equal(s->health.kind, HEALTH_NONE);
	assert_int_equal(s->quorum, 1);
	assert_int_equal(s->sorry.addr.family, 0);
	config_free(&cfg);

	assert_int_equal(config_load_text(SVC "    health: {check: tcp}\n", &cfg, &errs, path), 0);
	s = &cfg.services[0];
	assert_int_equal(s->health.kind, HEALTH_TCP);
	assert_int_equal(s->health.interval_ms, 2000);
	assert_int_equal(s->health.timeout_ms, 1000);
	assert_int_equal(s->health.rise, 2);
	assert_int_equal(s->health.fall, 3);
	assert_int_equal(s->health.on_failure, HEALTH_ON_FAILURE_REMOVE);
	assert_int_equal(s->health.port, 0);
	assert_int_equal(s->health.expect_status, 0);
	config_free(&cfg);
	config_errors_free(&errs);
}

struct good {
	const char *yaml;
	int kind;
};

static void test_every_check(void **state)
{
	static const struct good goods[] = {
	    {SVC "    health: {check: none}\n", HEALTH_NONE},
	    {SVC "    health: {check: icmp, interval: 1s, timeout: 1s}\n", HEALTH_ICMP},
	    {SVC "    health: {check: arp, rise: 1, fall: 1}\n", HEALTH_ARP},
	    {SVC "    health: {check: tcp, send: \"PING\\r\\n\", expect: +PONG}\n", HEALTH_TCP},
	    {SVC "    health: {check: tcp-half-open, port: 22}\n", HEALTH_TCP_HALF_OPEN},
	    {SVC "    health: {check: http, path: /, expect_body: OK}\n", HEALTH_HTTP},
	    {SVC "    health: {check: https, verify_tls: false}\n", HEALTH_HTTPS},
	    {SVC "    health: {check: udp, send: ping, expect: pong, port: 53}\n", HEALTH_UDP},
	    {SVC "    health: {check: dns, dns_name: www.example.com., port: 53}\n", HEALTH_DNS},
	    {SVC "    health: {check: script, command: '/usr/bin/true --x'}\n", HEALTH_SCRIPT},
	};

	for (size_t i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		struct config_errors errs;
		struct xlb_config cfg;
		char path[sizeof(CONFIG_TEXT_TEMPLATE)];

		if (config_load_text(goods[i].yaml, &cfg, &errs, path) != 0) {
			for (size_t k = 0; k < errs.count; k++)
				print_message("%s\n", errs.msgs[k]);
			fail_msg("case %zu did not load", i);
		}
		assert_int_equal(cfg.services[0].health.kind, goods[i].kind);
		config_free(&cfg);
		config_errors_free(&errs);
	}
}

struct bad {
	const char *yaml;
	const char *want; /* the first message, without "FILE:" */
};

static const struct bad bads[] = {
    {SVC "    health: {check: htp}\n",
     "8: unknown check 'htp' (expected none, icmp, arp, tcp, tcp-half-open, http, https, udp, "
     "dns, script)"},
    {SVC "    health: {interval: 1s}\n", "8: health: missing key 'check'"},
    {SVC "    health: {check: tcp, path: /x}\n",
     "8: path does not apply to check tcp (expected only with http and https)"},
    {SVC "    health: {check: icmp, port: 80}\n",
     "8: port does not apply to check icmp (expected only with tcp, tcp-half-open, http, "
     "https, udp, dns and script)"},
    {SVC "    health: {check: http, verify_tls: true}\n",
     "8: verify_tls does not apply to check http (expected only with https)"},
    {SVC "    health: {check: none, rise: 2}\n",
     "8: rise does not apply to check none (expected only with checks other than none)"},
    {SVC "    health: {check: tcp, interval: 10ms}\n",
     "8: bad interval '10ms' (expected at least 50ms)"},
    {SVC "    health: {check: tcp, interval: 2}\n",
     "8: bad interval '2' (expected a duration with a unit: ms, s, m, h)"},
    {SVC "    health: {check: tcp, timeout: 0s}\n", "8: bad timeout '0ms' (expected more than 0)"},
    {SVC "    health: {check: tcp, rise: 0}\n", "8: bad rise '0' (expected an integer 1..100)"},
    {SVC "    health: {check: tcp, fall: 101}\n", "8: bad fall '101' (expected an integer 1..100)"},
    {SVC "    health: {check: tcp, on_failure: drop}\n",
     "8: unknown on_failure 'drop' (expected remove or weight0)"},
    {SVC "    health: {check: http, path: health}\n",
     "8: bad path 'health' (expected an absolute path starting with /)"},
    {SVC "    health: {check: http, path: '/a b'}\n",
     "8: bad path '/a b' (expected no spaces or control characters)"},
    {SVC "    health: {check: http, host: \"a\\r\\nX: y\"}\n",
     "8: bad host 'a??X: y' (expected no spaces or control characters)"},
    {SVC "    health: {check: http, expect_status: 99}\n",
     "8: bad expect_status '99' (expected an integer 100..599)"},
    {SVC "    health: {check: https, verify_tls: yes}\n",
     "8: unknown verify_tls 'yes' (expected true or false)"},
    {SVC "    health: {check: dns}\n", "8: health: missing key 'dns_name'"},
    {SVC "    health: {check: dns, dns_name: 'bad..name'}\n",
     "8: bad dns_name 'bad..name' (expected a domain name: labels of 1 to 63 letters, "
     "digits, - or _, at most 253 characters)"},
    {SVC "    health: {check: script}\n", "8: health: missing key 'command'"},
    {SVC "    health: check\n", "8: health is a single value (expected a mapping)"},
    {SVC "    sorry: {address: 10.0.1.1}\n",
     "8: sorry server 10.0.1.1:80 is also a real (line 7) (expected a server that is not one "
     "of the reals)"},
    {SVC "    sorry: {address: 'fd00::1'}\n",
     "8: sorry server fd00::1 is IPv6 but the vip is IPv4 (expected an address of the vip's "
     "family)"},
    {SVC "    sorry: {address: 10.0.2.1, port: 81}\n",
     "8: sorry port 81 differs from service port 80 (expected 80: the method cannot change "
     "ports)"},
    {SVC "    sorry: {port: 80}\n", "8: sorry: missing key 'address'"},
    {SVC "    quorum: 3\n",
     "8: quorum 3 is more than the 2 reals of the service (expected at most 2)"},
    {SVC "    quorum: 0\n", "8: bad quorum '0' (expected an integer 1..4096)"},
    {"interfaces: [{name: eth0}]\n"
     "services:\n"
     "  - {name: web, vip: 10.0.0.1, port: 80, reals: [{address: 10.0.1.1, check_port: 0}]}\n",
     "3: bad check_port '0' (expected an integer 1..65535)"},
    {"interfaces: [{name: eth0}]\n"
     "services:\n"
     "  - {name: web, vip: 10.0.0.1, port: 80, reals: [{address: 10.0.1.1, check_address: x}]}\n",
     "3: bad address 'x' for check_address (expected an IPv4 or IPv6 address)"},
    {"interfaces: [{name: eth0}]\n"
     "services:\n"
     "  - name: web6\n"
     "    vip: 'fd00::1'\n"
     "    port: 80\n"
     "    reals: [{address: 'fd00::2'}]\n"
     "    health: {check: arp}\n",
     "7: check arp is for IPv4 reals (expected icmp, tcp or another check for an IPv6 "
     "service)"},
};

static void test_bad(void **state)
{
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		struct config_errors errs;
		struct xlb_config cfg;
		char path[sizeof(CONFIG_TEXT_TEMPLATE)], want[512];

		assert_int_equal(config_load_text(bads[i].yaml, &cfg, &errs, path), -EINVAL);
		snprintf(want, sizeof(want), "%s:%s", path, bads[i].want);
		if (!errs.count || strcmp(errs.msgs[0], want) != 0) {
			print_message("case %zu: want %s\n", i, want);
			for (size_t k = 0; k < errs.count; k++)
				print_message("  got: %s\n", errs.msgs[k]);
			fail();
		}
		config_errors_free(&errs);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full_http),
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_every_check),
	    cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
