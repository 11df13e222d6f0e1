// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* method proxy's service keys: defaults, every key, and each error with its line. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "sched/sched.h"

static int load(const char *text, struct xlb_config *cfg, struct config_errors *errs,
		char *path, size_t size)
{
	int fd, ret;

	snprintf(path, size, "/tmp/xlb-test-proxy-config-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	ret = config_load(path, cfg, errs);
	unlink(path);
	return ret;
}

#define HEAD "interfaces: [{name: eth0}]\nservices:\n"

static void test_defaults(void **state)
{
	struct xlb_config cfg;
	struct config_errors errs;
	char path[64];
	const struct proxy_config *pc;

	(void)state;
	assert_int_equal(load(HEAD "  - name: p\n"
				   "    vip: 10.0.0.1\n"
				   "    port: 80\n"
				   "    method: proxy\n"
				   "    reals: [{address: 10.0.1.1, port: 8080}]\n",
			      &cfg, &errs, path, sizeof(path)),
			 0);
	assert_int_equal(cfg.services[0].method, XLB_METHOD_PROXY);
	assert_int_equal(cfg.services[0].reals[0].port, 8080); /* not dsr: ports may differ */
	pc = &cfg.services[0].proxy;
	assert_int_equal(pc->mode, PROXY_MODE_TCP);
	assert_int_equal(pc->proxy_protocol, PROXY_PP_NONE);
	assert_int_equal(pc->max_connections, 10000);
	assert_int_equal(pc->connect_timeout_ms, 2000);
	assert_int_equal(pc->idle_timeout_ms, 60000);
	assert_int_equal(pc->retries, 2);
	assert_int_equal(pc->pool_per_real, 32);
	assert_int_equal(pc->pool_max, 1024);
	assert_int_equal(pc->pool_idle_ms, 4000);
	assert_int_equal(pc->max_header_size, 16384);
	assert_int_equal(pc->forward_headers, PROXY_FWD_XFF);
	assert_int_equal(pc->passive_failures, 3);
	assert_int_equal(pc->passive_backoff_ms, 10000);
	assert_true(pc->passive_5xx);
	config_free(&cfg);
	config_errors_free(&errs);
}

static void test_every_key(void **state)
{
	struct xlb_config cfg;
	struct config_errors errs;
	char path[64];
	const struct proxy_config *pc;

	(void)state;
	assert_int_equal(load(HEAD "  - name: p\n"
				   "    vip: 2001:db8::1\n"
				   "    port: 443\n"
				   "    method: proxy\n"
				   "    scheduler: wlc\n"
				   "    mode: http\n"
				   "    max_connections: 5\n"
				   "    connect_timeout: 250ms\n"
				   "    idle_timeout: 2m\n"
				   "    retries: 0\n"
				   "    proxy_protocol: v2\n"
				   "    pool: {per_real: 4, max: 9, idle_timeout: 1500ms}\n"
				   "    passive_health: {failures: 0, backoff: 1m, status_5xx: false}\n"
				   "    forward_headers: [forwarded, x-forwarded-proto]\n"
				   "    max_header_size: 4096\n"
				   "    reals: [{address: '2001:db8:1::1'}]\n",
			      &cfg, &errs, path, sizeof(path)),
			 0);
	pc = &cfg.services[0].proxy;
	assert_int_equal(pc->mode, PROXY_MODE_HTTP);
	assert_int_equal(pc->proxy_protocol, PROXY_PP_V2);
	assert_int_equal(pc->max_connections, 5);
	assert_int_equal(pc->connect_timeout_ms, 250);
	assert_int_equal(pc->idle_timeout_ms, 120000);
	assert_int_equal(pc->retries, 0);
	assert_int_equal(pc->pool_per_real, 4);
	assert_int_equal(pc->pool_max, 9);
	assert_int_equal(pc->pool_idle_ms, 1500);
	assert_int_equal(pc->passive_failures, 0);
	assert_int_equal(pc->passive_backoff_ms, 60000);
	assert_false(pc->passive_5xx);
	assert_int_equal(pc->forward_headers, PROXY_FWD_RFC7239 | PROXY_FWD_XFP);
	assert_int_equal(pc->max_header_size, 4096);
	assert_string_equal(proxy_mode_name(pc->mode), "http");
	assert_string_equal(proxy_pp_name(pc->proxy_protocol), "v2");
	config_free(&cfg);
	config_errors_free(&errs);
}

/* Every message, in file order, with the path stripped. */
static void assert_errors(const char *text, const char *const *want, size_t nwant)
{
	struct xlb_config cfg;
	struct config_errors errs;
	char path[64];

	assert_int_equal(load(text, &cfg, &errs, path, sizeof(path)), -22);
	if (errs.count != nwant)
		for (size_t i = 0; i < errs.count; i++)
			printf("  got: %s\n", errs.msgs[i] + strlen(path) + 1);
	assert_int_equal(errs.count, nwant);
	for (size_t i = 0; i < nwant; i++)
		assert_string_equal(errs.msgs[i] + strlen(path) + 1, want[i]);
	config_errors_free(&errs);
}

static void test_errors(void **state)
{
	static const char *const want[] = {
		"3: method proxy carries TCP only (expected protocol tcp)",
		"8: unknown mode 'ftp' (expected tcp or http)",
		"9: bad max_connections '0' (expected an integer 1..10000000)",
		"10: bad connect_timeout '0s' (expected more than 0)",
		"11: bad idle_timeout '5' (expected a duration with a unit: ms, s, m, h)",
		"12: bad retries '17' (expected an integer 0..16)",
		"13: unknown proxy_protocol 'v3' (expected v1 or v2)",
		"20: mode is only used with method proxy (expected no mode key)",
		"21: proxy_protocol is only used with method proxy (expected no proxy_protocol key)",
		"27: persistence is not used with method proxy (expected no persistence key)",
		"28: midstream is not used with method proxy (expected no midstream key)",
		"34: pool is only used with mode http (expected no pool key)",
		"35: max_header_size is only used with mode http (expected no max_header_size key)",
		"41: bad per_real '-1' (expected an integer 0..100000)",
		"41: bad idle_timeout '0s' (expected more than 0)",
		"42: unknown key 'size' in passive_health (expected one of: failures, backoff, status_5xx)",
		"43: unknown forward_headers entry 'via' (expected x-forwarded-for, x-forwarded-proto or forwarded)",
		"44: bad max_header_size '100' (expected an integer 1024..16384)",
	};

	(void)state;
	assert_errors(HEAD "  - name: p\n"			/* 3 */
			   "    vip: 10.0.0.1\n"		/* 4 */
			   "    port: 80\n"			/* 5 */
			   "    protocol: udp\n"		/* 6 */
			   "    method: proxy\n"		/* 7 */
			   "    mode: ftp\n"			/* 8 */
			   "    max_connections: 0\n"	/* 9 */
			   "    connect_timeout: 0s\n"	/* 10 */
			   "    idle_timeout: 5\n"		/* 11 */
			   "    retries: 17\n"		/* 12 */
			   "    proxy_protocol: v3\n"	/* 13 */
			   "    reals: [{address: 10.0.1.1}]\n" /* 14 */
			   "  - name: d\n"			/* 15 */
			   "    vip: 10.0.0.2\n"		/* 16 */
			   "    port: 80\n"			/* 17 */
			   "    method: dr\n"		/* 18 */
			   "    reals: [{address: 10.0.1.1}]\n" /* 19 */
			   "    mode: http\n"		/* 20 */
			   "    proxy_protocol: v1\n"	/* 21 */
			   "  - name: q\n"			/* 22 */
			   "    vip: 10.0.0.3\n"		/* 23 */
			   "    port: 80\n"			/* 24 */
			   "    method: proxy\n"		/* 25 */
			   "    reals: [{address: 10.0.1.1}]\n" /* 26 */
			   "    persistence: 5m\n"		/* 27 */
			   "    midstream: drop\n"		/* 28 */
			   "  - name: t\n"			/* 29 */
			   "    vip: 10.0.0.4\n"		/* 30 */
			   "    port: 80\n"			/* 31 */
			   "    method: proxy\n"		/* 32 */
			   "    reals: [{address: 10.0.1.1}]\n" /* 33 */
			   "    pool: {per_real: 1}\n"	/* 34 */
			   "    max_header_size: 2048\n"	/* 35 */
			   "  - name: h\n"			/* 36 */
			   "    vip: 10.0.0.5\n"		/* 37 */
			   "    port: 80\n"			/* 38 */
			   "    method: proxy\n"		/* 39 */
			   "    mode: http\n"		/* 40 */
			   "    pool: {per_real: -1, idle_timeout: 0s}\n" /* 41 */
			   "    passive_health: {size: 1}\n" /* 42 */
			   "    forward_headers: [via]\n"	/* 43 */
			   "    max_header_size: 100\n"	/* 44 */
			   "    reals: [{address: 10.0.1.1}]\n", /* 45 */
		      want, sizeof(want) / sizeof(want[0]));
}

static void test_routes(void **state)
{
	struct xlb_config cfg;
	struct config_errors errs;
	char path[64];
	const struct proxy_config *pc;
	const struct proxy_route *r;

	(void)state;
	assert_int_equal(load(HEAD "  - name: p\n"
				   "    vip: 10.0.0.1\n"
				   "    port: 80\n"
				   "    method: proxy\n"
				   "    mode: http\n"
				   "    routes:\n"
				   "      - {host: API.example.com, reals: [10.0.1.1]}\n"
				   "      - {host: '*.img.example.com', path: /img/, reals: ['10.0.1.2:81'], scheduler: wrr}\n"
				   "      - {path: /v2/, reals: [10.0.1.2, '10.0.1.3:80']}\n"
				   "    reals:\n"
				   "      - {address: 10.0.1.1}\n"
				   "      - {address: 10.0.1.2, port: 81}\n"
				   "      - {address: 10.0.1.2, port: 82}\n"
				   "      - {address: 10.0.1.3}\n",
			      &cfg, &errs, path, sizeof(path)),
			 0);
	pc = &cfg.services[0].proxy;
	assert_int_equal(pc->nroutes, 3);
	r = pc->routes;
	assert_string_equal(r[0].host, "api.example.com");
	assert_false(r[0].host_suffix);
	assert_int_equal(r[0].nreals, 1);
	assert_int_equal(r[0].reals[0], 0);
	assert_int_equal(r[0].sched, -1);
	assert_string_equal(r[1].host, ".img.example.com");
	assert_true(r[1].host_suffix);
	assert_string_equal(r[1].path, "/img/");
	assert_int_equal(r[1].nreals, 1);
	assert_int_equal(r[1].reals[0], 1);
	assert_int_equal(r[1].sched, SCHED_WRR);
	/* An address without a port names all its reals. */
	assert_int_equal(r[2].nreals, 3);

	/* First match wins; hosts in any case, with a port; suffixes need a label before. */
	assert_int_equal(proxy_route_find(r, 3, "api.example.com", 15, "/", 1), 0);
	assert_int_equal(proxy_route_find(r, 3, "API.EXAMPLE.COM:8080", 20, "/v2/x", 5), 0);
	assert_int_equal(proxy_route_find(r, 3, "api.example.com.", 16, "/", 1), 0);
	assert_int_equal(proxy_route_find(r, 3, "a.img.example.com", 17, "/img/x", 6), 1);
	assert_int_equal(proxy_route_find(r, 3, "a.img.example.com", 17, "/im", 3), -1);
	assert_int_equal(proxy_route_find(r, 3, "img.example.com", 15, "/img/x", 6), -1);
	assert_int_equal(proxy_route_find(r, 3, "xapi.example.com", 16, "/", 1), -1);
	assert_int_equal(proxy_route_find(r, 3, NULL, 0, "/v2/", 4), 2);
	assert_int_equal(proxy_route_find(r, 3, NULL, 0, "/v2", 3), -1);
	assert_int_equal(proxy_route_find(r, 3, "[2001:db8::1]:80", 16, "/v2/a", 5), 2);
	config_free(&cfg);
	config_errors_free(&errs);
}

static void test_route_errors(void **state)
{
	static const char *const want[] = {
		"8: routes do not work with scheduler lblc (expected another scheduler)",
		"9: route real '10.0.1.9' is not one of the service's reals",
		"10: bad host 'a b' (expected a host name, or *.domain, without a port)",
		"10: bad path 'img' (expected a path starting with /)",
		"11: route: missing key 'reals'",
		"12: unknown key 'hots' in route (expected one of: host, path, reals, scheduler)",
		"13: bad route real '10.0.1.1:0' (expected ADDRESS or ADDRESS:PORT of one of the service's reals)",
		"20: routes is only used with mode http (expected no routes key)",
	};

	(void)state;
	assert_errors(HEAD "  - name: p\n"			/* 3 */
			   "    vip: 10.0.0.1\n"		/* 4 */
			   "    port: 80\n"			/* 5 */
			   "    method: proxy\n"		/* 6 */
			   "    mode: http\n"		/* 7 */
			   "    routes:\n"			/* 8 */
			   "      - {host: a.b, reals: [10.0.1.9]}\n" /* 9 */
			   "      - {host: 'a b', path: img, reals: [10.0.1.1]}\n" /* 10 */
			   "      - {host: a.b}\n"		/* 11 */
			   "      - {hots: a.b, reals: [10.0.1.1]}\n" /* 12 */
			   "      - {reals: ['10.0.1.1:0']}\n" /* 13 */
			   "    scheduler: lblc\n"		/* 14 */
			   "    reals: [{address: 10.0.1.1}]\n" /* 15 */
			   "  - name: t\n"			/* 16 */
			   "    vip: 10.0.0.2\n"		/* 17 */
			   "    port: 80\n"			/* 18 */
			   "    method: proxy\n"		/* 19 */
			   "    routes: [{reals: [10.0.1.1]}]\n" /* 20 */
			   "    reals: [{address: 10.0.1.1}]\n", /* 21 */
		      want, sizeof(want) / sizeof(want[0]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_route_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
