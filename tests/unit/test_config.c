// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* config_load: exact values for valid files, exact messages for broken ones. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "sched/sched.h"

#define TMP_TEMPLATE "/tmp/xlb-test-config-XXXXXX"

static void write_temp(const char *text, size_t len, char *path)
{
	int fd;

	strcpy(path, TMP_TEMPLATE);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

/* Loads @len bytes of @text from a temp file; @path keeps its name for messages. */
static int load_bytes(const char *text, size_t len, struct xlb_config *cfg,
		      struct config_errors *errs, char *path)
{
	int ret;

	write_temp(text, len, path);
	ret = config_load(path, cfg, errs);
	unlink(path);
	return ret;
}

static int load_text(const char *text, struct xlb_config *cfg, struct config_errors *errs,
		     char *path)
{
	return load_bytes(text, strlen(text), cfg, errs, path);
}

static void print_errors(const struct config_errors *errs)
{
	for (size_t i = 0; i < errs->count; i++)
		print_message("  got: %s\n", errs->msgs[i]);
}

/* A failed load must leave nothing behind for the caller to free. */
static void assert_cfg_empty(const struct xlb_config *cfg)
{
	const unsigned char *p = (const unsigned char *)cfg;

	for (size_t i = 0; i < sizeof(*cfg); i++)
		assert_int_equal(p[i], 0);
}

/* The config as a valid file would have it; each case changes one thing. */
#define HEAD                                                                                       \
	"interfaces:\n"                                                                            \
	"  - name: eth0\n"

#define WEB                                                                                        \
	"services:\n"                                                                              \
	"  - name: web\n"                                                                          \
	"    vip: 10.0.0.1\n"                                                                      \
	"    port: 80\n"                                                                           \
	"    reals:\n"                                                                             \
	"      - address: 10.0.1.1\n"

static const char full_yaml[] = "# every key, two families\n"	/* 1 */
				"interfaces:\n"			/* 2 */
				"  - name: eth0\n"		/* 3 */
				"    mode: generic\n"		/* 4 */
				"  - name: veth-lb1\n"		/* 5 */
				"    mode: tc\n"		/* 6 */
				"  - name: eth2\n"		/* 7 */
				"control_socket: /tmp/xlb-test.sock\n" /* 8 */
				"bpf_pin_dir: /sys/fs/bpf/xlb-test\n"  /* 9 */
				"flows:\n"			       /* 10 */
				"  max: 2048\n"			       /* 11 */
				"  timeouts:\n"			       /* 12 */
				"    tcp_established: 1h\n"	       /* 13 */
				"    tcp_syn: 500ms\n"		       /* 14 */
				"    tcp_fin: 2m\n"		       /* 15 */
				"    udp: 45s\n"		       /* 16 */
				"services:\n"			       /* 17 */
				"  - name: web\n"		       /* 18 */
				"    vip: 192.168.16.100\n"	       /* 19 */
				"    port: 80\n"		       /* 20 */
				"    protocol: tcp\n"		       /* 21 */
				"    method: dr\n"		       /* 22 */
				"    scheduler: wrr\n"		       /* 23 */
				"    persistence: 0s\n"		       /* 24 */
				"    reals:\n"			       /* 25 */
				"      - address: 172.16.0.101\n"      /* 26 */
				"        port: 80\n"		       /* 27 */
				"        weight: 3\n"		       /* 28 */
				"      - address: 172.16.0.102\n"      /* 29 */
				"        weight: 0\n"		       /* 30 */
				"  - name: dns6\n"		       /* 31 */
				"    vip: \"2001:db8::53\"\n"	       /* 32 */
				"    port: 53\n"		       /* 33 */
				"    protocol: udp\n"		       /* 34 */
				"    reals:\n"			       /* 35 */
				"      - address: 2001:db8:1::1\n"     /* 36 */
				"      - {address: '2001:db8:1::2', weight: 65535}\n"; /* 37 */

static void assert_addr(const struct net_addr *a, const char *text)
{
	struct net_addr want;

	assert_int_equal(net_addr_parse(text, &want), 0);
	assert_true(net_addr_equal(a, &want));
}

static void test_full_config(void **state)
{
	struct config_errors errs;
	struct xlb_config cfg;
	char path[sizeof(TMP_TEMPLATE)];
	const struct service_config *s;
	const struct real_config *r;

	assert_int_equal(load_text(full_yaml, &cfg, &errs, path), 0);
	assert_int_equal(errs.count, 0);
	assert_null(errs.msgs);

	assert_string_equal(cfg.path, path);
	assert_int_equal(cfg.nifaces, 3);
	assert_string_equal(cfg.ifaces[0].name, "eth0");
	assert_int_equal(cfg.ifaces[0].mode, ATTACH_GENERIC);
	assert_int_equal(cfg.ifaces[0].line, 3);
	assert_string_equal(cfg.ifaces[1].name, "veth-lb1");
	assert_int_equal(cfg.ifaces[1].mode, ATTACH_TC);
	assert_int_equal(cfg.ifaces[1].line, 5);
	assert_string_equal(cfg.ifaces[2].name, "eth2");
	assert_int_equal(cfg.ifaces[2].mode, ATTACH_NATIVE);
	assert_int_equal(cfg.ifaces[2].line, 7);
	assert_string_equal(cfg.control_socket, "/tmp/xlb-test.sock");
	assert_string_equal(cfg.bpf_pin_dir, "/sys/fs/bpf/xlb-test");
	assert_int_equal(cfg.max_flows, 2048);
	assert_int_equal(cfg.timeouts.tcp_established_ms, 3600 * 1000);
	assert_int_equal(cfg.timeouts.tcp_syn_ms, 500);
	assert_int_equal(cfg.timeouts.tcp_fin_ms, 120 * 1000);
	assert_int_equal(cfg.timeouts.udp_ms, 45 * 1000);

	assert_int_equal(cfg.nservices, 2);
	s = &cfg.services[0];
	assert_string_equal(s->name, "web");
	assert_int_equal(s->vip.family, AF_INET);
	assert_addr(&s->vip, "192.168.16.100");
	assert_int_equal(s->port, 80);
	assert_int_equal(s->proto, IPPROTO_TCP);
	assert_int_equal(s->method, XLB_METHOD_DR);
	assert_int_equal(s->sched, SCHED_WRR);
	assert_int_equal(s->persistence_ms, 0);
	assert_int_equal(s->line, 18);
	assert_int_equal(s->nreals, 2);
	r = &s->reals[0];
	assert_addr(&r->addr, "172.16.0.101");
	assert_int_equal(r->port, 80);
	assert_int_equal(r->weight, 3);
	assert_int_equal(r->line, 26);
	r = &s->reals[1];
	assert_addr(&r->addr, "172.16.0.102");
	assert_int_equal(r->port, 80);
	assert_int_equal(r->weight, 0);
	assert_int_equal(r->line, 29);

	s = &cfg.services[1];
	assert_string_equal(s->name, "dns6");
	assert_int_equal(s->vip.family, AF_INET6);
	assert_addr(&s->vip, "2001:db8::53");
	assert_int_equal(s->port, 53);
	assert_int_equal(s->proto, IPPROTO_UDP);
	assert_int_equal(s->method, XLB_METHOD_DR);
	assert_int_equal(s->sched, SCHED_RR);
	assert_int_equal(s->persistence_ms, 0);
	assert_int_equal(s->line, 31);
	assert_int_equal(s->nreals, 2);
	r = &s->reals[0];
	assert_int_equal(r->addr.family, AF_INET6);
	assert_addr(&r->addr, "2001:db8:1::1");
	assert_int_equal(r->port, 53);
	assert_int_equal(r->weight, 1);
	assert_int_equal(r->line, 36);
	r = &s->reals[1];
	assert_addr(&r->addr, "2001:db8:1::2");
	assert_int_equal(r->port, 53);
	assert_int_equal(r->weight, 65535);
	assert_int_equal(r->line, 37);

	config_free(&cfg);
	assert_cfg_empty(&cfg);
	config_errors_free(&errs);
}

static void test_defaults(void **state)
{
	struct config_errors errs;
	struct xlb_config cfg;
	char path[sizeof(TMP_TEMPLATE)];

	assert_int_equal(load_text(HEAD WEB, &cfg, &errs, path), 0);
	assert_int_equal(errs.count, 0);
	assert_int_equal(cfg.nifaces, 1);
	assert_int_equal(cfg.ifaces[0].mode, ATTACH_NATIVE);
	assert_string_equal(cfg.control_socket, "/run/xlb/xlb.sock");
	assert_string_equal(cfg.bpf_pin_dir, "/sys/fs/bpf/xlb");
	assert_int_equal(cfg.max_flows, XLB_DEFAULT_MAX_FLOWS);
	assert_int_equal(cfg.timeouts.tcp_established_ms, 900 * 1000);
	assert_int_equal(cfg.timeouts.tcp_syn_ms, 60 * 1000);
	assert_int_equal(cfg.timeouts.tcp_fin_ms, 120 * 1000);
	assert_int_equal(cfg.timeouts.udp_ms, 300 * 1000);
	assert_int_equal(cfg.nservices, 1);
	assert_int_equal(cfg.services[0].proto, IPPROTO_TCP);
	assert_int_equal(cfg.services[0].method, XLB_METHOD_DR);
	assert_int_equal(cfg.services[0].sched, SCHED_RR);
	assert_int_equal(cfg.services[0].persistence_ms, 0);
	assert_int_equal(cfg.services[0].nreals, 1);
	assert_int_equal(cfg.services[0].reals[0].port, 80);
	assert_int_equal(cfg.services[0].reals[0].weight, 1);
	config_free(&cfg);
	config_errors_free(&errs);
}

/* Inputs that must load; the check function looks at what they produced. */
struct good_case {
	const char *name;
	const char *yaml;
	void (*check)(const struct xlb_config *cfg);
};

static void check_no_services(const struct xlb_config *cfg)
{
	assert_int_equal(cfg->nservices, 0);
	assert_null(cfg->services);
}

static void check_limits(const struct xlb_config *cfg)
{
	assert_int_equal(cfg->max_flows, 100000000);
	assert_int_equal(cfg->timeouts.tcp_established_ms, 4294967295u);
	assert_int_equal(cfg->timeouts.tcp_syn_ms, 1193u * 3600 * 1000);
	assert_int_equal(cfg->timeouts.tcp_fin_ms, 3 * 60 * 1000);
	assert_int_equal(cfg->timeouts.udp_ms, 1);
	assert_int_equal(cfg->services[0].port, 65535);
	assert_int_equal(cfg->services[0].reals[0].port, 65535);
	assert_int_equal(cfg->services[0].reals[0].weight, 65535);
}

static void check_min_flows(const struct xlb_config *cfg)
{
	assert_int_equal(cfg->max_flows, 1);
	/* Keys not given keep their defaults. */
	assert_int_equal(cfg->timeouts.tcp_established_ms, 900 * 1000);
	assert_int_equal(cfg->timeouts.tcp_syn_ms, 60 * 1000);
}

static void check_alias(const struct xlb_config *cfg)
{
	assert_int_equal(cfg->nservices, 2);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(cfg->services[i].nreals, 2);
		assert_addr(&cfg->services[i].reals[1].addr, "10.0.1.2");
		assert_int_equal(cfg->services[i].reals[1].port, 80);
	}
	assert_int_equal(cfg->services[1].proto, IPPROTO_UDP);
}

static void check_names(const struct xlb_config *cfg)
{
	assert_string_equal(cfg->ifaces[0].name, "enp0s31f6.100");
	assert_string_equal(cfg->ifaces[1].name, "abcdefghijklmno");
	assert_string_equal(cfg->services[0].name,
			    "A-Za-z0-9_.-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	assert_int_equal(strlen(cfg->services[0].name), 63);
}

static void check_v6_mapped(const struct xlb_config *cfg)
{
	assert_int_equal(cfg->services[0].vip.family, AF_INET6);
	assert_int_equal(cfg->services[0].reals[0].addr.family, AF_INET6);
}

static void check_persistence_zero(const struct xlb_config *cfg)
{
	assert_int_equal(cfg->services[0].persistence_ms, 0);
}

static const struct good_case good_cases[] = {
	{ "services null means none", HEAD "services:\n", check_no_services },
	{ "services empty list", HEAD "services: []\n", check_no_services },
	{ "comment-only service list", HEAD "services:\n#  - name: web\n", check_no_services },
	{ "limits",
	  HEAD "flows:\n"
	       "  max: 100000000\n"
	       "  timeouts:\n"
	       "    tcp_established: 4294967295ms\n"
	       "    tcp_syn: 1193h\n"
	       "    tcp_fin: 3m\n"
	       "    udp: 1ms\n"
	       "services:\n"
	       "  - name: web\n"
	       "    vip: 10.0.0.1\n"
	       "    port: 65535\n"
	       "    reals:\n"
	       "      - address: 10.0.1.1\n"
	       "        port: 65535\n"
	       "        weight: 65535\n",
	  check_limits },
	{ "flows partial, null timeouts", HEAD "flows:\n  max: 1\n  timeouts:\n" WEB,
	  check_min_flows },
	{ "anchors and aliases share reals",
	  HEAD "services:\n"
	       "  - name: web\n"
	       "    vip: 10.0.0.1\n"
	       "    port: 80\n"
	       "    reals: &pool\n"
	       "      - address: 10.0.1.1\n"
	       "      - address: 10.0.1.2\n"
	       "  - name: web-udp\n"
	       "    vip: 10.0.0.1\n"
	       "    port: 80\n"
	       "    protocol: udp\n"
	       "    reals: *pool\n",
	  check_alias },
	{ "longest names",
	  "interfaces:\n"
	  "  - name: enp0s31f6.100\n"
	  "  - name: abcdefghijklmno\n"
	  "services:\n"
	  "  - name: A-Za-z0-9_.-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
	  "    vip: 10.0.0.1\n"
	  "    port: 80\n"
	  "    reals:\n"
	  "      - address: 10.0.1.1\n",
	  check_names },
	{ "v4-mapped v6 is v6",
	  HEAD "services:\n"
	       "  - name: web\n"
	       "    vip: ::ffff:10.0.0.1\n"
	       "    port: 80\n"
	       "    reals:\n"
	       "      - address: ::ffff:10.0.1.1\n",
	  check_v6_mapped },
	{ "persistence 0ms",
	  HEAD "services:\n"
	       "  - name: web\n"
	       "    vip: 10.0.0.1\n"
	       "    port: 80\n"
	       "    persistence: 0ms\n"
	       "    reals:\n"
	       "      - address: 10.0.1.1\n",
	  check_persistence_zero },
	{ "explicit document markers", "---\n" HEAD WEB "...\n", NULL },
	{ "flow style everywhere",
	  "{interfaces: [{name: eth0, mode: native}], services: [{name: web, vip: 10.0.0.1, "
	  "port: 80, scheduler: rr, reals: [{address: 10.0.1.1, port: 80}]}]}\n",
	  NULL },
};

static void test_good_cases(void **state)
{
	for (size_t i = 0; i < sizeof(good_cases) / sizeof(good_cases[0]); i++) {
		const struct good_case *c = &good_cases[i];
		struct config_errors errs;
		struct xlb_config cfg;
		char path[sizeof(TMP_TEMPLATE)];
		int ret;

		ret = load_text(c->yaml, &cfg, &errs, path);
		if (ret != 0 || errs.count) {
			print_message("case '%s': ret %d\n", c->name, ret);
			print_errors(&errs);
			config_errors_free(&errs);
			fail();
		}
		if (c->check)
			c->check(&cfg);
		config_free(&cfg);
		config_errors_free(&errs);
	}
}

/*
 * Inputs that must fail, with every message they should produce, in order,
 * minus the "FILE:" prefix (the temp file's name is not known in advance).
 */
struct bad_case {
	const char *name;
	const char *yaml;
	const char *want[10];
};

#define SCHEDS "rr, wrr, lc, wlc, sed, nq, sh, dh, mh, lblc, lblcr, fo, ovf, twos"
#define SVC_KEYS "name, vip, port, protocol, method, scheduler, persistence, reals, dscp, gue_port, local_addresses, health, sorry, quorum, midstream, slow_start, scheduler_flags, mode, max_connections, connect_timeout, idle_timeout, retries, proxy_protocol, pool, passive_health, forward_headers, max_header_size, routes"
#define NO_DUR "(expected a duration with a unit: ms, s, m, h)"
#define NO_ADDR "(expected an IPv4 or IPv6 address)"
#define NO_PORT "(expected an integer 1..65535)"

static const struct bad_case bad_cases[] = {
	/* unknown keys, one level each */
	{ "unknown top-level key",
	  HEAD "services: []\n"
	       "colour: blue\n",
	  { "4: unknown key 'colour' in config (expected one of: interfaces, control_socket, "
	    "bpf_pin_dir, flows, services, ha, metrics, bgp)" } },
	{ "unknown interface key",
	  HEAD "    moed: tc\n"
	       "services: []\n",
	  { "3: unknown key 'moed' in interface (expected one of: name, mode)" } },
	{ "unknown flows and timeouts keys",
	  HEAD "flows:\n"
	       "  maxx: 5\n"
	       "  timeouts:\n"
	       "    tcp: 5s\n"
	       "services: []\n",
	  { "4: unknown key 'maxx' in flows (expected one of: max, syn_max, timeouts)",
	    "6: unknown key 'tcp' in timeouts (expected one of: tcp_established, tcp_syn, "
	    "tcp_fin, udp)" } },
	{ "unknown service key",
	  HEAD "services:\n"
	       "  - name: web\n"
	       "    vip: 10.0.0.1\n"
	       "    port: 80\n"
	       "    prot: udp\n"
	       "    reals:\n"
	       "      - address: 10.0.1.1\n",
	  { "7: unknown key 'prot' in service (expected one of: " SVC_KEYS ")" } },
	{ "unknown real key",
	  HEAD WEB "        wieght: 2\n",
	  { "9: unknown key 'wieght' in real (expected one of: address, port, weight, check_address, check_port)" } },
	{ "repeated key",
	  HEAD "services:\n"
	       "  - name: web\n"
	       "    vip: 10.0.0.1\n"
	       "    port: 80\n"
	       "    port: 81\n"
	       "    reals:\n"
	       "      - address: 10.0.1.1\n",
	  { "7: duplicate key 'port' in service (first defined at line 6)" } },

	/* missing keys */
	{ "missing top-level keys", "flows:\n  max: 5\n",
	  { "1: config: missing key 'interfaces'", "1: config: missing key 'services'" } },
	{ "real without address",
	  HEAD "services:\n"
	       "  - name: web\n"
	       "    vip: 10.0.0.1\n"
	       "    port: 80\n"
	       "    reals:\n"
	       "      - port: 80\n"
	       "        weight: 2\n",
	  { "8: real: missing key 'address'" } },
	{ "service without name, vip, port",
	  HEAD "services:\n"
	       "  - protocol: tcp\n"
	       "    reals:\n"
	       "      - address: 10.0.1.1\n",
	  { "4: service: missing key 'name'", "4: service: missing key 'vip'",
	    "4: service: missing key 'port'" } },
	{ "interface without name",
	  "interfaces:\n"
	  "  - mode: tc\n"
	  "services: []\n",
	  { "2: interface: missing key 'name'" } },
	{ "service without reals",
	  HEAD "services:\n"
	       "  - name: web\n"
	       "    vip: 10.0.0.1\n"
	       "    port: 80\n",
	  { "4: service 'web' has no reals (expected at least one real)" } },
	{ "service with empty reals",
	  HEAD "services:\n"
	       "  - name: web\n"
	       "    vip: 10.0.0.1\n"
	       "    port: 80\n"
	       "    reals: []\n",
	  { "7: service 'web' has no reals (expected at least one real)" } },
	{ "service with null reals",
	  HEAD "services:\n"
	       "  - name: web\n"
	       "    vip: 10.0.0.1\n"
	       "    port: 80\n"
	       "    reals:\n",
	  { "7: service 'web' has no reals (expected at least one real)" } },
	{ "no interfaces", "interfaces: []\nservices: []\n",
	  { "1: interfaces is empty (expected at least one interface)" } },
	{ "null interfaces", "interfaces:\nservices: []\n",
	  { "1: interfaces is empty (expected at least one interface)" } },

	/* addresses */
	{ "bad vip",
	  HEAD "services:\n"
	       "  - name: web\n"
	       "    vip: 10.0.0.300\n"
	       "    port: 80\n"
	       "    reals:\n"
	       "      - address: 10.0.1.1\n",
	  { "5: bad address '10.0.0.300' for vip " NO_ADDR } },
	{ "hostname as real",
	  HEAD "services:\n"
	       "  - name: web\n"
	       "    vip: 10.0.0.1\n"
	       "    port: 80\n"
	       "    reals:\n"
	       "      - address: backend.example\n",
	  { "8: bad address 'backend.example' for real " NO_ADDR } },
	{ "prefix is not an address",
	  HEAD "services:\n"
	       "  - name: web\n"
	       "    vip: 10.0.0.0/24\n"
	       "    port: 80\n"
	       "    reals:\n"
	       "      - address: 10.0.1.1\n",
	  { "5: bad address '10.0.0.0/24' for vip " NO_ADDR } },
	{ "empty vip",
	  HEAD "services:\n"
	       "  - name: web\n"
	       "    vip:\n"
	       "    port: 80\n"
	       "    reals:\n"
	       "      - address: 10.0.1.1\n",
	  { "5: vip is empty " NO_ADDR } },
	{ "real of the other family",
	  HEAD "services:\n"
	       "  - name: web\n"
	       "    vip: 10.0.0.1\n"
	       "    port: 80\n"
	       "    reals:\n"
	       "      - address: 2001:db8::5\n"
	       "  - name: web6\n"
	       "    vip: 2001:db8::1\n"
	       "    port: 80\n"
	       "    reals:\n"
	       "      - address: 10.0.1.1\n",
	  { "8: real 2001:db8::5 is IPv6 but vip 10.0.0.1 is IPv4 (expected an IPv4 address)",
	    "13: real 10.0.1.1 is IPv4 but vip 2001:db8::1 is IPv6 (expected an IPv6 address)" } },

	/* duplicates */
	{ "duplicate service",
	  HEAD WEB "  - name: web2\n"
		   "    vip: 10.0.0.1\n"
		   "    port: 80\n"
		   "    protocol: tcp\n"
		   "    reals:\n"
		   "      - address: 10.0.1.2\n"
		   "  - name: web-udp\n"
		   "    vip: 10.0.0.1\n"
		   "    port: 80\n"
		   "    protocol: udp\n"
		   "    reals:\n"
		   "      - address: 10.0.1.2\n",
	  { "9: duplicate service 10.0.0.1:80/tcp (first defined at line 4)" } },
	{ "duplicate v6 service, spelled differently",
	  HEAD "services:\n"
	       "  - name: a\n"
	       "    vip: 2001:db8::1\n"
	       "    port: 53\n"
	       "    protocol: udp\n"
	       "    reals:\n"
	       "      - address: 2001:db8:1::1\n"
	       "  - name: b\n"
	       "    vip: 2001:0db8:0:0::1\n"
	       "    port: 53\n"
	       "    protocol: udp\n"
	       "    reals:\n"
	       "      - address: 2001:db8:1::1\n",
	  { "10: duplicate service [2001:db8::1]:53/udp (first defined at line 4)" } },
	{ "duplicate service name",
	  HEAD WEB "  - name: web\n"
		   "    vip: 10.0.0.2\n"
		   "    port: 80\n"
		   "    reals:\n"
		   "      - address: 10.0.1.2\n",
	  { "9: duplicate service name 'web' (first defined at line 4)" } },
	{ "duplicate real",
	  HEAD WEB "      - address: 10.0.1.2\n"
		   "      - address: 10.0.1.1\n"
		   "        port: 80\n",
	  { "10: duplicate real 10.0.1.1:80 (first defined at line 8)" } },
	{ "duplicate interface",
	  HEAD "  - name: eth1\n"
	       "  - name: eth0\n"
	       "    mode: tc\n"
	       "services: []\n",
	  { "4: duplicate interface 'eth0' (first defined at line 2)" } },

	/* durations */
	{ "bare number as timeout",
	  HEAD "flows:\n"
	       "  timeouts:\n"
	       "    tcp_syn: 60\n"
	       "    tcp_fin: 2x\n"
	       "    udp: s\n"
	       "    tcp_established: 1.5s\n"
	       "services: []\n",
	  { "5: bad tcp_syn '60' " NO_DUR, "6: bad tcp_fin '2x' " NO_DUR, "7: bad udp 's' " NO_DUR,
	    "8: bad tcp_established '1.5s' " NO_DUR } },
	{ "timeouts out of range",
	  HEAD "flows:\n"
	       "  timeouts:\n"
	       "    tcp_syn: 1194h\n"
	       "    tcp_fin: 4294967296ms\n"
	       "    udp: 0s\n"
	       "    tcp_established: 99999999999999999999999s\n"
	       "services: []\n",
	  { "5: bad tcp_syn '1194h' (expected at most 1193h)",
	    "6: bad tcp_fin '4294967296ms' (expected at most 1193h)",
	    "7: bad udp '0s' (expected more than 0)",
	    "8: bad tcp_established '99999999999999999999999s' (expected at most 1193h)" } },
	{ "bad persistence",
	  HEAD "services:\n"
	       "  - name: web\n"
	       "    vip: 10.0.0.1\n"
	       "    port: 80\n"
	       "    persistence: 300\n"
	       "    reals:\n"
	       "      - address: 10.0.1.1\n",
	  { "7: bad persistence '300' " NO_DUR } },
	{ "persistence too long",
	  HEAD "services:\n"
	       "  - name: web\n"
	       "    vip: 10.0.0.1\n"
	       "    port: 80\n"
	       "    persistence: 1200h\n"
	       "    reals:\n"
	       "      - address: 10.0.1.1\n",
	  { "7: bad persistence '1200h' (expected at most 1193h)" } },

	/* integers */
	{ "bad ports",
	  HEAD "services:\n"
	       "  - name: a\n"
	       "    vip: 10.0.0.1\n"
	       "    port: 0\n"
	       "    reals: [{address: 10.0.1.1}]\n"
	       "  - name: b\n"
	       "    vip: 10.0.0.1\n"
	       "    port: 65536\n"
	       "    reals: [{address: 10.0.1.1}]\n"
	       "  - name: c\n"
	       "    vip: 10.0.0.1\n"
	       "    port: http\n"
	       "    reals: [{address: 10.0.1.1}]\n"
	       "  - name: d\n"
	       "    vip: 10.0.0.1\n"
	       "    port: \"80\"\n"
	       "    reals: [{address: 10.0.1.1}]\n"
	       "  - name: e\n"
	       "    vip: 10.0.0.1\n"
	       "    port: 080\n"
	       "    reals: [{address: 10.0.1.1}]\n"
	       "  - name: f\n"
	       "    vip: 10.0.0.1\n"
	       "    port: -1\n"
	       "    reals: [{address: 10.0.1.1}]\n"
	       "  - name: g\n"
	       "    vip: 10.0.0.1\n"
	       "    port: +80\n"
	       "    reals: [{address: 10.0.1.1}]\n"
	       "  - name: h\n"
	       "    vip: 10.0.0.1\n"
	       "    port: [80]\n"
	       "    reals: [{address: 10.0.1.1}]\n",
	  { "6: bad port '0' " NO_PORT, "10: bad port '65536' " NO_PORT,
	    "14: bad port 'http' " NO_PORT,
	    "18: bad port '80' (expected an integer 1..65535, without quotes)",
	    "22: bad port '080' " NO_PORT, "26: bad port '-1' " NO_PORT,
	    "30: bad port '+80' " NO_PORT, "34: port is a list " NO_PORT } },
	{ "bad real port and weight",
	  HEAD WEB "        port: 0\n"
		   "        weight: 65536\n",
	  { "9: bad port '0' " NO_PORT, "10: bad weight '65536' (expected an integer 0..65535)" } },
	{ "bad max flows",
	  HEAD "flows:\n"
	       "  max: 100000001\n"
	       "services: []\n",
	  { "4: bad max '100000001' (expected an integer 1..100000000)" } },
	{ "zero max flows",
	  HEAD "flows:\n"
	       "  max: 0\n"
	       "services: []\n",
	  { "4: bad max '0' (expected an integer 1..100000000)" } },

	/* method-specific keys */
	{ "dscp and gue_port on the wrong methods",
	  HEAD "services:\n"					/* 3 */
	       "  - name: web\n"				/* 4 */
	       "    vip: 10.0.0.1\n"				/* 5 */
	       "    port: 80\n"				/* 6 */
	       "    dscp: 10\n"				/* 7 */
	       "    gue_port: 7000\n"				/* 8 */
	       "    reals:\n"					/* 9 */
	       "      - address: 10.0.1.1\n"			/* 10 */
	       "  - name: l3\n"				/* 11 */
	       "    vip: 10.0.0.2\n"				/* 12 */
	       "    port: 80\n"				/* 13 */
	       "    method: dscp\n"				/* 14 */
	       "    reals:\n"					/* 15 */
	       "      - address: 10.0.1.1\n"			/* 16 */
	       "  - name: l3b\n"				/* 17 */
	       "    vip: 10.0.0.3\n"				/* 18 */
	       "    port: 80\n"				/* 19 */
	       "    method: dscp\n"				/* 20 */
	       "    dscp: 64\n"				/* 21 */
	       "    reals:\n"					/* 22 */
	       "      - address: 10.0.1.1\n"			/* 23 */
	       "  - name: tunnel\n"				/* 24 */
	       "    vip: 10.0.0.4\n"				/* 25 */
	       "    port: 80\n"				/* 26 */
	       "    method: gue\n"				/* 27 */
	       "    gue_port: 0\n"				/* 28 */
	       "    reals:\n"					/* 29 */
	       "      - address: 10.0.1.1\n"			/* 30 */
	       "        port: 8080\n",				/* 31 */
	  { "7: dscp is only used with method dscp (expected no dscp key)",
	    "8: gue_port is only used with method gue (expected no gue_port key)",
	    "11: service: missing key 'dscp' (expected 1..63 with method dscp)",
	    "21: bad dscp '64' (expected an integer 1..63)",
	    "28: bad gue_port '0' (expected an integer 1..65535)",
	    "31: real port 8080 differs from service port 80 (expected 80: gue cannot change ports)" } },

	{ "fnat local_addresses",
	  HEAD "services:\n"					/* 3 */
	       "  - name: one\n"				/* 4 */
	       "    vip: 10.0.0.1\n"				/* 5 */
	       "    port: 80\n"				/* 6 */
	       "    method: fnat\n"				/* 7 */
	       "    reals:\n"					/* 8 */
	       "      - address: 10.0.1.1\n"			/* 9 */
	       "        port: 8080\n"				/* 10 */
	       "  - name: two\n"				/* 11 */
	       "    vip: 10.0.0.2\n"				/* 12 */
	       "    port: 80\n"				/* 13 */
	       "    method: fnat\n"				/* 14 */
	       "    local_addresses: [10.0.0.9, fd00::9, nope]\n" /* 15 */
	       "    reals:\n"					/* 16 */
	       "      - address: 10.0.1.1\n"			/* 17 */
	       "  - name: three\n"				/* 18 */
	       "    vip: 10.0.0.3\n"				/* 19 */
	       "    port: 80\n"				/* 20 */
	       "    local_addresses: [10.0.0.9]\n"		/* 21 */
	       "    reals:\n"					/* 22 */
	       "      - address: 10.0.1.1\n",			/* 23 */
	  { "4: service: missing key 'local_addresses' (expected a list of this host's addresses with method fnat)",
	    "15: local address is IPv6 but the vip is IPv4 (expected one family)",
	    "15: bad address 'nope' for local_addresses (expected an IPv4 or IPv6 address)",
	    "21: local_addresses is only used with method fnat (expected no local_addresses key)" } },

	{ "bad midstream policy",
	  HEAD "services:\n"
	       "  - name: web\n"
	       "    vip: 10.0.0.1\n"
	       "    port: 80\n"
	       "    midstream: ignore\n"
	       "    reals:\n"
	       "      - address: 10.0.1.1\n",
	  { "7: unknown midstream 'ignore' (expected schedule or drop)" } },

	{ "slow_start with a scheduler that has no use for it",
	  HEAD "services:\n"
	       "  - name: web\n"
	       "    vip: 10.0.0.1\n"
	       "    port: 80\n"
	       "    scheduler: rr\n"
	       "    slow_start: 30s\n"
	       "    reals:\n"
	       "      - address: 10.0.1.1\n",
	  { "8: slow_start is only used with lc, wlc, sed and nq (expected no slow_start key)" } },

	{ "scheduler_flags",
	  HEAD "services:\n"					/* 3 */
	       "  - name: web\n"				/* 4 */
	       "    vip: 10.0.0.1\n"				/* 5 */
	       "    port: 80\n"				/* 6 */
	       "    scheduler: wlc\n"				/* 7 */
	       "    scheduler_flags: [port, fallback, loud]\n"	/* 8 */
	       "    reals:\n"					/* 9 */
	       "      - address: 10.0.1.1\n",			/* 10 */
	  { "8: scheduler flag port is for sh and mh (expected no port flag)",
	    "8: scheduler flag fallback is for sh and mh (expected no fallback flag)",
	    "8: unknown scheduler flag 'loud' (expected port or fallback)" } },

	/* choices */
	{ "method not supported",
	  HEAD "services:\n"
	       "  - name: web\n"
	       "    vip: 10.0.0.1\n"
	       "    port: 80\n"
	       "    retries: 1\n"
	       "    reals:\n"
	       "      - address: 10.0.1.1\n"
	       "  - name: web2\n"
	       "    vip: 10.0.0.2\n"
	       "    port: 80\n"
	       "    method: magic\n"
	       "    reals:\n"
	       "      - address: 10.0.1.1\n",
	  { "7: retries is only used with method proxy (expected no retries key)",
	    "13: unknown method 'magic' (expected dr, tun, gue, dscp, nat, fnat, proxy)" } },
	{ "scheduler not supported",
	  HEAD "services:\n"
	       "  - name: web\n"
	       "    vip: 10.0.0.1\n"
	       "    port: 80\n"
	       "    scheduler: lblcr\n"
	       "    reals:\n"
	       "      - address: 10.0.1.1\n"
	       "  - name: web2\n"
	       "    vip: 10.0.0.2\n"
	       "    port: 80\n"
	       "    scheduler: fancy\n"
	       "    reals:\n"
	       "      - address: 10.0.1.1\n",
	  { "13: unknown scheduler 'fancy' (expected " SCHEDS ")" } },
	{ "bad protocol and mode",
	  "interfaces:\n"
	  "  - name: eth0\n"
	  "    mode: offload\n"
	  "services:\n"
	  "  - name: web\n"
	  "    vip: 10.0.0.1\n"
	  "    port: 80\n"
	  "    protocol: sctp\n"
	  "    reals:\n"
	  "      - address: 10.0.1.1\n",
	  { "3: unknown mode 'offload' (expected native, generic or tc)",
	    "8: unknown protocol 'sctp' (expected tcp or udp)" } },
	{ "dr cannot change ports",
	  HEAD WEB "        port: 8080\n",
	  { "9: real port 8080 differs from service port 80 (expected 80: dr cannot change "
	    "ports)" } },

	/* names and paths */
	{ "bad names",
	  "interfaces:\n"
	  "  - name: abcdefghijklmnop\n"
	  "  - name: eth/0\n"
	  "services:\n"
	  "  - name: my web\n"
	  "    vip: 10.0.0.1\n"
	  "    port: 80\n"
	  "    reals:\n"
	  "      - address: 10.0.1.1\n"
	  "  - name: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
	  "    vip: 10.0.0.2\n"
	  "    port: 80\n"
	  "    reals:\n"
	  "      - address: 10.0.1.1\n",
	  { "2: bad interface name 'abcdefghijklmnop' (expected 1 to 15 characters without "
	    "'/', ':' or spaces)",
	    "3: bad interface name 'eth/0' (expected 1 to 15 characters without '/', ':' or "
	    "spaces)",
	    "5: bad service name 'my web' (expected 1 to 63 characters from A-Z a-z 0-9 _ . -)",
	    "10: bad service name 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaa' (expected 1 to 63 characters from A-Z a-z 0-9 _ . -)" } },
	{ "NUL inside a name",
	  HEAD "services:\n"
	       "  - name: \"web\\0x\"\n"
	       "    vip: 10.0.0.1\n"
	       "    port: 80\n"
	       "    reals:\n"
	       "      - address: 10.0.1.1\n",
	  { "4: service name contains a NUL character (expected 1 to 63 characters from A-Z "
	    "a-z 0-9 _ . -)" } },
	{ "control socket too long for sun_path",
	  HEAD "control_socket: /run/xlb/"
	       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	       "aaaaaaaaaaaaaaaaaaa\n"
	       "bpf_pin_dir: ''\n"
	       "services: []\n",
	  { "3: bad control_socket '/run/xlb/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaa...' (expected a path of at most 107 characters)",
	    "4: bad bpf_pin_dir '' (expected a path of at most 255 characters)" } },

	/* node types */
	{ "wrong node types",
	  "interfaces: eth0\n"
	  "control_socket: [a, b]\n"
	  "flows: [1]\n"
	  "services:\n"
	  "  web: 1\n",
	  { "1: interfaces is a single value (expected a list)",
	    "2: control_socket is a list (expected a path of at most 107 characters)",
	    "3: flows is a list (expected a mapping)",
	    "5: services is a mapping (expected a list)" } },
	{ "entries of the wrong type",
	  "interfaces:\n"
	  "  - eth0\n"
	  "services:\n"
	  "  - web\n"
	  "  - name: x\n"
	  "    vip: 10.0.0.1\n"
	  "    port: 80\n"
	  "    reals: {address: 10.0.1.1}\n"
	  "  - name: y\n"
	  "    vip: 10.0.0.2\n"
	  "    port: 80\n"
	  "    reals:\n"
	  "      - [10.0.1.1]\n",
	  { "2: interface is a single value (expected a mapping)",
	    "4: service is a single value (expected a mapping)",
	    "8: reals is a mapping (expected a list)",
	    "13: real is a list (expected a mapping)" } },
	{ "top level is a list", "- interfaces\n- services\n",
	  { "1: config is a list (expected a mapping)" } },
	{ "key that is not a name", HEAD "services: []\n[a]: 1\n",
	  { "4: key in config is a list (expected a key name)" } },

	/* the file itself */
	{ "empty file", "", { "1: the file is empty (expected a mapping with interfaces and services)" } },
	{ "only comments", "# nothing yet\n\n# still nothing\n",
	  { "1: the file is empty (expected a mapping with interfaces and services)" } },
	{ "YAML syntax error: unclosed flow list",
	  HEAD "services: [\n",
	  { "4: YAML syntax error: did not find expected node content (while parsing a flow "
	    "node that starts at line 4)" } },
	{ "YAML syntax error: tab indent", HEAD "services:\n\t- name: web\n",
	  { "4: YAML syntax error: found character that cannot start any token (while "
	    "scanning for the next token that starts at line 4)" } },
	{ "YAML syntax error: bad indentation",
	  HEAD "services: []\n"
	       "  colour: blue\n",
	  { "4: YAML syntax error: did not find expected key (while parsing a block mapping "
	    "that starts at line 1)" } },
	{ "undefined alias", HEAD "services: *nothing\n",
	  { "3: YAML syntax error: found undefined alias" } },
	{ "not UTF-8", HEAD "services: []\n# caf\xe9 au lait\n# more\n",
	  { "4: bad YAML input: invalid trailing UTF-8 octet (expected UTF-8 text)" } },
	{ "two documents", HEAD WEB "---\n" HEAD WEB,
	  { "9: a second YAML document starts here (expected one document)" } },

	/* everything at once: each problem reported, in file order */
	{ "several errors",
	  "interfaces:\n"			/* 1 */
	  "  - name: eth0\n"			/* 2 */
	  "    mode: fast\n"			/* 3 */
	  "flows:\n"				/* 4 */
	  "  timeouts: {udp: 30}\n"		/* 5 */
	  "services:\n"				/* 6 */
	  "  - name: web\n"			/* 7 */
	  "    vip: 10.0.0.1\n"			/* 8 */
	  "    port: 80\n"			/* 9 */
	  "    method: proxy\n"			/* 10 */
	  "    reals:\n"			/* 11 */
	  "      - address: 10.0.1.1\n"		/* 12 */
	  "      - address: 10.0.1.1\n"		/* 13 */
	  "      - port: 80\n"			/* 14 */
	  "  - name: web\n"			/* 15 */
	  "    vip: 10.0.0.1\n"			/* 16 */
	  "    port: 80\n"			/* 17 */
	  "    colour: red\n",			/* 18 */
	  { "3: unknown mode 'fast' (expected native, generic or tc)",
	    "5: bad udp '30' " NO_DUR,
	    "13: duplicate real 10.0.1.1:80 (first defined at line 12)",
	    "14: real: missing key 'address'",
	    "15: service 'web' has no reals (expected at least one real)",
	    "15: duplicate service name 'web' (first defined at line 7)",
	    "15: duplicate service 10.0.0.1:80/tcp (first defined at line 7)",
	    "18: unknown key 'colour' in service (expected one of: " SVC_KEYS ")" } },
};

/* Returns false after printing what differs, so one run shows every mismatch. */
static bool check_bad_case(const struct bad_case *c)
{
	struct config_errors errs;
	struct xlb_config cfg;
	char path[sizeof(TMP_TEMPLATE)], want[1024];
	size_t nwant = 0;
	bool ok;
	int ret;

	while (nwant < sizeof(c->want) / sizeof(c->want[0]) && c->want[nwant])
		nwant++;
	ret = load_text(c->yaml, &cfg, &errs, path);
	ok = ret == -EINVAL && errs.count == nwant;
	for (size_t i = 0; ok && i < nwant; i++) {
		snprintf(want, sizeof(want), "%s:%s", path, c->want[i]);
		ok = strcmp(errs.msgs[i], want) == 0;
	}
	if (!ok) {
		print_message("case '%s': ret %d (want %d)\n", c->name, ret, -EINVAL);
		for (size_t i = 0; i < nwant; i++)
			print_message("  want: %s:%s\n", path, c->want[i]);
		print_errors(&errs);
	}
	config_errors_free(&errs);
	assert_int_equal(errs.count, 0);
	assert_null(errs.msgs);
	assert_cfg_empty(&cfg);
	return ok;
}

static void test_bad_cases(void **state)
{
	size_t failed = 0;

	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++)
		failed += !check_bad_case(&bad_cases[i]);
	assert_int_equal(failed, 0);
}

static void test_missing_file(void **state)
{
	const char *path = "/nonexistent/xlb.yaml";
	struct config_errors errs;
	struct xlb_config cfg;

	assert_int_equal(config_load(path, &cfg, &errs), -ENOENT);
	assert_int_equal(errs.count, 1);
	assert_string_equal(errs.msgs[0], "/nonexistent/xlb.yaml: cannot read: No such file or "
					  "directory (expected a readable YAML file)");
	assert_cfg_empty(&cfg);
	config_errors_free(&errs);
}

static void test_directory(void **state)
{
	struct config_errors errs;
	struct xlb_config cfg;

	assert_int_equal(config_load("/tmp", &cfg, &errs), -EISDIR);
	assert_int_equal(errs.count, 1);
	assert_string_equal(errs.msgs[0],
			    "/tmp: cannot read: Is a directory (expected a readable YAML file)");
	assert_cfg_empty(&cfg);
	config_errors_free(&errs);
}

/*
 * The checks of test_unreadable_file, in a process that cannot read @path:
 * plain checks and an exit status, as a failed cmocka assert in a forked
 * child would go on to run the remaining tests there.
 */
static int unreadable_check(const char *path)
{
	const unsigned char *p;
	struct config_errors errs;
	struct xlb_config cfg;
	int ret = config_load(path, &cfg, &errs), bad = 0;

	if (ret != -EACCES) {
		fprintf(stderr, "config_load: %d, expected -EACCES\n", ret);
		bad = 1;
	}
	if (errs.count != 1 || !strstr(errs.msgs[0], ": cannot read: Permission denied")) {
		fprintf(stderr, "%zu messages, the first '%s', expected one 'cannot read: "
			"Permission denied'\n", errs.count, errs.count ? errs.msgs[0] : "");
		bad = 1;
	}
	p = (const unsigned char *)&cfg;
	for (size_t i = 0; i < sizeof(cfg); i++)
		if (p[i]) {
			fprintf(stderr, "cfg not left empty (byte %zu)\n", i);
			bad = 1;
			break;
		}
	config_errors_free(&errs);
	return bad;
}

static void test_unreadable_file(void **state)
{
	char path[sizeof(TMP_TEMPLATE)];
	int status;
	pid_t pid;

	write_temp(HEAD WEB, strlen(HEAD WEB), path);
	assert_int_equal(chmod(path, 0), 0);
	if (geteuid() != 0) {
		status = unreadable_check(path);
		unlink(path);
		assert_int_equal(status, 0);
		return;
	}
	/* root reads anything: the load runs as nobody, who cannot read a mode 0 file. */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
		    setresuid(65534, 65534, 65534) < 0) {
			perror("dropping to uid 65534");
			_exit(2);
		}
		_exit(unreadable_check(path));
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	unlink(path);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_long_path(void **state)
{
	char path[CONFIG_PATH_MAX + 8];
	struct config_errors errs;
	struct xlb_config cfg;

	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	assert_int_equal(config_load(path, &cfg, &errs), -ENAMETOOLONG);
	assert_int_equal(errs.count, 1);
	assert_non_null(strstr(errs.msgs[0], ": cannot read: path is longer than 255 characters"));
	assert_cfg_empty(&cfg);
	config_errors_free(&errs);
}

/* Callers that only want the verdict may pass no error list. */
static void test_null_errors(void **state)
{
	struct xlb_config cfg;
	char path[sizeof(TMP_TEMPLATE)];

	assert_int_equal(load_text("interfaces: 1\nservices: 2\n", &cfg, NULL, path), -EINVAL);
	assert_cfg_empty(&cfg);
	assert_int_equal(load_text(HEAD WEB, &cfg, NULL, path), 0);
	config_free(&cfg);
	assert_int_equal(config_load("/nonexistent/xlb.yaml", &cfg, NULL), -ENOENT);
}

/*
 * Every prefix of a valid file, and the file with each byte mangled, must
 * come back as success or -EINVAL with located messages, never a crash or
 * leak (the sanitizers watch).
 */
static void test_truncated_and_mangled(void **state)
{
	size_t len = strlen(full_yaml);
	char *buf = malloc(len + 1);

	assert_non_null(buf);
	for (size_t cut = 0; cut <= len * 2; cut++) {
		struct config_errors errs;
		struct xlb_config cfg;
		char path[sizeof(TMP_TEMPLATE)];
		size_t n = len;
		int ret;

		memcpy(buf, full_yaml, len);
		if (cut <= len)
			n = cut;
		else
			buf[cut - len - 1] = "{[:-&*!|>'\"%@`#,?\n"[cut % 18];
		ret = load_bytes(buf, n, &cfg, &errs, path);
		if (ret == 0) {
			assert_int_equal(errs.count, 0);
			assert_true(cfg.nifaces > 0);
			config_free(&cfg);
			continue;
		}
		assert_int_equal(ret, -EINVAL);
		assert_true(errs.count > 0);
		for (size_t i = 0; i < errs.count; i++) {
			assert_int_equal(strncmp(errs.msgs[i], path, strlen(path)), 0);
			assert_int_equal(errs.msgs[i][strlen(path)], ':');
			assert_null(strchr(errs.msgs[i], '\n'));
		}
		assert_cfg_empty(&cfg);
		config_errors_free(&errs);
	}
	free(buf);
}

/* Self-referencing anchors must not send the walker in circles. */
static void test_recursive_alias(void **state)
{
	struct config_errors errs;
	struct xlb_config cfg;
	char path[sizeof(TMP_TEMPLATE)];

	assert_int_equal(load_text("interfaces: &x [*x]\nservices: &y [{reals: *y}]\n", &cfg,
				   &errs, path),
			 -EINVAL);
	assert_true(errs.count > 0);
	assert_cfg_empty(&cfg);
	config_errors_free(&errs);
}

/* The shipped example must stay valid; tests run from the top of the tree. */
static void test_example_config(void **state)
{
	struct config_errors errs;
	struct xlb_config cfg;
	int ret;

	if (access("etc/xlb.yaml", R_OK) != 0)
		skip();
	ret = config_load("etc/xlb.yaml", &cfg, &errs);
	if (ret) {
		print_errors(&errs);
		config_errors_free(&errs);
		fail();
	}
	assert_int_equal(cfg.nifaces, 1);
	assert_string_equal(cfg.ifaces[0].name, "eth0");
	assert_int_equal(cfg.nservices, 1);
	assert_int_equal(cfg.services[0].method, XLB_METHOD_DR);
	assert_int_equal(cfg.services[0].sched, SCHED_RR);
	assert_int_equal(cfg.services[0].nreals, 2);
	config_free(&cfg);
	config_errors_free(&errs);
}

static void test_names(void **state)
{
	static const char *const methods[] = { "dr", "tun", "gue", "dscp", "nat", "fnat", "proxy" };

	for (uint8_t m = 0; m < XLB_METHOD__COUNT; m++)
		assert_string_equal(config_method_name(m), methods[m]);
	assert_string_equal(config_method_name(XLB_METHOD__COUNT), "unknown");
	assert_string_equal(config_attach_mode_name(ATTACH_NATIVE), "native");
	assert_string_equal(config_attach_mode_name(ATTACH_GENERIC), "generic");
	assert_string_equal(config_attach_mode_name(ATTACH_TC), "tc");
	assert_string_equal(config_attach_mode_name((enum attach_mode)99), "unknown");
}

/* Freeing twice, or freeing what was never loaded, is harmless. */
static void test_free_idempotent(void **state)
{
	struct xlb_config cfg = { 0 };
	struct config_errors errs = { 0 };

	config_free(&cfg);
	config_free(&cfg);
	config_free(NULL);
	config_errors_free(&errs);
	config_errors_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_config),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_good_cases),
		cmocka_unit_test(test_bad_cases),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_directory),
		cmocka_unit_test(test_unreadable_file),
		cmocka_unit_test(test_long_path),
		cmocka_unit_test(test_null_errors),
		cmocka_unit_test(test_truncated_and_mangled),
		cmocka_unit_test(test_recursive_alias),
		cmocka_unit_test(test_example_config),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_free_idempotent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
