// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The ha: block: exact values for valid files, FILE:LINE and the expectation for each mistake. */
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "config_text.h"

static void assert_addr(const struct net_addr *a, const char *text)
{
	struct net_addr want;

	assert_int_equal(net_addr_parse(text, &want), 0);
	assert_true(net_addr_equal(a, &want));
}

/* Lines 1-9: two IPv4 services on one VIP and an IPv6 one. */
#define BASE                                                                                       \
	"interfaces:\n"                  /* 1 */                                                   \
	"  - name: eth0\n"               /* 2 */                                                   \
	"services:\n"                    /* 3 */                                                   \
	"  - {name: web, vip: 10.0.0.1, port: 80, reals: [{address: 10.0.1.1}]}\n" /* 4 */         \
	"  - {name: tls, vip: 10.0.0.1, port: 443, reals: [{address: 10.0.1.1}]}\n" /* 5 */        \
	"  - {name: web2, vip: 10.0.0.2, port: 80, reals: [{address: 10.0.1.2}]}\n" /* 6 */

#define BASE6 "  - {name: web6, vip: 'fd00::1', port: 80, reals: [{address: 'fd00:1::1'}]}\n" /* 7 */

static void test_full(void **state)
{
	static const char yaml[] = BASE "ha:\n"				/* 7 */
				   "  vrrp:\n"				/* 8 */
				   "    - name: vi1\n"			/* 9 */
				   "      interface: eth0\n"		/* 10 */
				   "      vrid: 51\n"			/* 11 */
				   "      priority: 200\n"		/* 12 */
				   "      advert_interval: 250ms\n"	/* 13 */
				   "      preempt: false\n"		/* 14 */
				   "      preempt_delay: 5s\n"		/* 15 */
				   "      addresses: [10.200.0.200, 10.200.0.250]\n" /* 16 */
				   "      unicast_peers: [10.200.0.3]\n"	/* 17 */
				   "    - interface: eth1\n"		/* 18 */
				   "      vrid: 52\n"			/* 19 */
				   "  sync:\n"				/* 20 */
				   "    listen: 10.200.0.2\n"		/* 21 */
				   "    port: 9000\n"			/* 22 */
				   "    peers: [\"10.200.0.3\", \"10.200.0.4:8848\"]\n" /* 23 */
				   "    key: \"0123456789abcdef\"\n"	/* 24 */
				   "    refresh: 10s\n"			/* 25 */
				   "    max_rate: 1000\n"		/* 26 */
				   "    enabled: false\n";		/* 27 */
	struct config_errors errs;
	struct xlb_config cfg;
	char path[sizeof(CONFIG_TEXT_TEMPLATE)];
	const struct ha_vrrp_config *v;
	const struct ha_sync_config *s;

	assert_int_equal(config_load_text(yaml, &cfg, &errs, path), 0);
	assert_int_equal(cfg.ha.nvrrp, 2);
	v = &cfg.ha.vrrp[0];
	assert_string_equal(v->name, "vi1");
	assert_string_equal(v->iface, "eth0");
	assert_int_equal(v->vrid, 51);
	assert_int_equal(v->priority, 200);
	assert_int_equal(v->advert_cs, 25);
	assert_false(v->preempt);
	assert_int_equal(v->preempt_delay_ms, 5000);
	assert_int_equal(v->family, AF_INET);
	assert_int_equal(v->naddrs, 2);
	assert_addr(&v->addrs[0], "10.200.0.200");
	assert_addr(&v->addrs[1], "10.200.0.250");
	assert_int_equal(v->nunicast_peers, 1);
	assert_addr(&v->unicast_peers[0], "10.200.0.3");
	assert_int_equal(v->line, 9);
	/* Defaults; the addresses are the service VIPs, each once. */
	v = &cfg.ha.vrrp[1];
	assert_string_equal(v->name, "vrrp52");
	assert_int_equal(v->priority, HA_VRRP_DEFAULT_PRIORITY);
	assert_int_equal(v->advert_cs, HA_VRRP_DEFAULT_ADVERT_CS);
	assert_true(v->preempt);
	assert_int_equal(v->preempt_delay_ms, 0);
	assert_int_equal(v->naddrs, 2);
	assert_addr(&v->addrs[0], "10.0.0.1");
	assert_addr(&v->addrs[1], "10.0.0.2");
	assert_int_equal(v->nunicast_peers, 0);
	s = &cfg.ha.sync;
	assert_false(s->enabled);
	assert_addr(&s->listen, "10.200.0.2");
	assert_int_equal(s->port, 9000);
	assert_int_equal(s->npeers, 2);
	assert_addr(&s->peers[0].addr, "10.200.0.3");
	assert_int_equal(s->peers[0].port, 9000); /* the sync port by default */
	assert_addr(&s->peers[1].addr, "10.200.0.4");
	assert_int_equal(s->peers[1].port, 8848);
	assert_int_equal(s->key_len, 16);
	assert_memory_equal(s->key, "0123456789abcdef", 16);
	assert_int_equal(s->refresh_ms, 10000);
	assert_int_equal(s->max_rate, 1000);
	assert_int_equal(s->line, 21);
	config_free(&cfg);
}

static void test_sync_defaults_v6_key_file(void **state)
{
	char keypath[] = "/tmp/xlb-test-ha-key-XXXXXX", yaml[1024], path[sizeof(CONFIG_TEXT_TEMPLATE)];
	struct config_errors errs;
	struct xlb_config cfg;
	int fd = mkstemp(keypath);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "a key of twenty bytes\n", 22), 22);
	close(fd);
	snprintf(yaml, sizeof(yaml),
		 BASE BASE6 "ha:\n"
			    "  vrrp:\n"
			    "    - {interface: eth0, vrid: 1, priority: 255, advert_interval: 40950ms,\n"
			    "       addresses: ['fd00::1'], unicast_peers: ['fe80::2']}\n"
			    "  sync:\n"
			    "    peers: [\"[fd00::3]:7000\", \"fd00::4\"]\n"
			    "    key_file: %s\n",
		 keypath);
	assert_int_equal(config_load_text(yaml, &cfg, &errs, path), 0);
	unlink(keypath);
	assert_int_equal(cfg.ha.vrrp[0].priority, 255);
	assert_int_equal(cfg.ha.vrrp[0].advert_cs, 4095);
	assert_int_equal(cfg.ha.vrrp[0].family, AF_INET6);
	assert_addr(&cfg.ha.vrrp[0].unicast_peers[0], "fe80::2");
	assert_true(cfg.ha.sync.enabled);
	assert_int_equal(cfg.ha.sync.listen.family, 0);
	assert_int_equal(cfg.ha.sync.port, HA_SYNC_DEFAULT_PORT);
	assert_addr(&cfg.ha.sync.peers[0].addr, "fd00::3");
	assert_int_equal(cfg.ha.sync.peers[0].port, 7000);
	assert_addr(&cfg.ha.sync.peers[1].addr, "fd00::4");
	assert_int_equal(cfg.ha.sync.peers[1].port, HA_SYNC_DEFAULT_PORT);
	assert_int_equal(cfg.ha.sync.key_len, 21); /* newline cut */
	assert_memory_equal(cfg.ha.sync.key, "a key of twenty bytes", 21);
	assert_int_equal(cfg.ha.sync.refresh_ms, 30000);
	assert_int_equal(cfg.ha.sync.max_rate, 50000);
	config_free(&cfg);
}

/* No ha:, or an empty one: nothing configured. */
/* track_interface / track_service: bare names (FAULT) and {name, weight}, in order. */
static void test_tracking(void **state)
{
	static const char yaml[] = BASE "ha:\n"				/* 7 */
				   "  vrrp:\n"				/* 8 */
				   "    - interface: eth0\n"		/* 9 */
				   "      vrid: 51\n"			/* 10 */
				   "      track_interface:\n"		/* 11 */
				   "        - eth1\n"			/* 12 */
				   "        - {name: eth2, weight: -50}\n" /* 13 */
				   "        - {name: bond0.7, weight: +20}\n" /* 14 */
				   "      track_service: [{name: web, weight: -253}, {name: tls, weight: 0}]\n" /* 15 */
				   "    - interface: eth1\n"		/* 16 */
				   "      vrid: 52\n"			/* 17 */
				   "      priority: 255\n"		/* 18 */
				   "      track_service: [web2]\n";	/* 19 */
	struct config_errors errs;
	struct xlb_config cfg;
	char path[sizeof(CONFIG_TEXT_TEMPLATE)];
	const struct ha_vrrp_config *v;

	assert_int_equal(config_load_text(yaml, &cfg, &errs, path), 0);
	v = &cfg.ha.vrrp[0];
	assert_int_equal(v->ntrack_ifaces, 3);
	assert_string_equal(v->track_ifaces[0].name, "eth1");
	assert_int_equal(v->track_ifaces[0].weight, 0);
	assert_int_equal(v->track_ifaces[0].line, 12);
	assert_string_equal(v->track_ifaces[1].name, "eth2");
	assert_int_equal(v->track_ifaces[1].weight, -50);
	assert_string_equal(v->track_ifaces[2].name, "bond0.7");
	assert_int_equal(v->track_ifaces[2].weight, 20);
	assert_int_equal(v->ntrack_services, 2);
	assert_string_equal(v->track_services[0].name, "web");
	assert_int_equal(v->track_services[0].weight, -253);
	assert_string_equal(v->track_services[1].name, "tls");
	assert_int_equal(v->track_services[1].weight, 0);
	v = &cfg.ha.vrrp[1];
	assert_int_equal(v->ntrack_ifaces, 0);
	assert_int_equal(v->ntrack_services, 1);
	assert_string_equal(v->track_services[0].name, "web2");
	config_free(&cfg);
}

static void test_absent(void **state)
{
	struct config_errors errs;
	struct xlb_config cfg;
	char path[sizeof(CONFIG_TEXT_TEMPLATE)];

	assert_int_equal(config_load_text(BASE "ha:\n", &cfg, &errs, path), 0);
	assert_int_equal(cfg.ha.nvrrp, 0);
	assert_false(cfg.ha.sync.enabled);
	config_free(&cfg);
	assert_int_equal(config_load_text(BASE, &cfg, &errs, path), 0);
	assert_int_equal(cfg.ha.nvrrp, 0);
	config_free(&cfg);
}

struct bad_case {
	const char *name;
	const char *yaml; /* after BASE and "ha:\n" (line 7) */
	const char *want[4]; /* "LINE: message" */
};

#define VI "  vrrp:\n    - interface: eth0\n" /* lines 8, 9 */

static const struct bad_case bad_cases[] = {
	{ "ha not a mapping", NULL, { "8: ha is a list (expected a mapping)" } },
	{ "unknown ha key", "  vrp: []\n", { "8: unknown key 'vrp' in ha (expected one of: vrrp, sync)" } },
	{ "vrrp not a list", "  vrrp: {a: 1}\n", { "8: vrrp is a mapping (expected a list)" } },
	{ "missing vrid", VI, { "9: VRRP instance: missing key 'vrid'" } },
	{ "missing interface", "  vrrp:\n    - vrid: 5\n",
	  { "9: VRRP instance: missing key 'interface'" } },
	{ "vrid 0", VI "      vrid: 0\n", { "10: bad vrid '0' (expected an integer 1..255)" } },
	{ "vrid 256", VI "      vrid: 256\n", { "10: bad vrid '256' (expected an integer 1..255)" } },
	{ "priority 0", VI "      vrid: 1\n      priority: 0\n",
	  { "11: bad priority '0' (expected an integer 1..255)" } },
	{ "unknown instance key", VI "      vrid: 1\n      prio: 5\n",
	  { "11: unknown key 'prio' in VRRP instance (expected one of: name, interface, vrid, "
	    "priority, advert_interval, preempt, preempt_delay, addresses, unicast_peers, "
	    "track_interface, track_service)" } },
	{ "track_service not a service", VI "      vrid: 1\n      track_service: [web, nope]\n",
	  { "11: bad track_service 'nope' (expected the name of a service in services:)" } },
	{ "track_interface bad name", VI "      vrid: 1\n      track_interface: ['a b']\n",
	  { "11: bad track_interface 'a b' (expected an interface name: 1 to 15 characters "
	    "without '/', ':' or spaces)" } },
	{ "track_interface own", VI "      vrid: 1\n      track_interface: [eth0]\n",
	  { "11: track_interface 'eth0' is the instance's own interface (expected another one: "
	    "the own interface is always tracked, its link down is FAULT)" } },
	{ "track weights", VI "      vrid: 1\n      track_interface:\n"
	  "        - {name: eth1, weight: -254}\n        - {name: eth2, weight: '-5'}\n"
	  "        - {name: eth3, weight: 1x}\n        - {weight: 5}\n",
	  { "12: bad weight '-254' (expected an integer -253..253)",
	    "13: bad weight '-5' (expected an integer -253..253)",
	    "14: bad weight '1x' (expected an integer -253..253)",
	    "15: track_interface: missing key 'name'" } },
	{ "track duplicate", VI "      vrid: 1\n      track_service:\n        - web\n"
	  "        - {name: web, weight: -10}\n",
	  { "13: duplicate track_service 'web' (expected each once)" } },
	{ "track too many", VI "      vrid: 1\n      track_interface: [a, b, c, d, e, f, g, h, i]\n",
	  { "11: track_interface has 9 entries (expected at most 8)" } },
	{ "track weight on the owner", VI "      vrid: 1\n      priority: 255\n"
	  "      track_service: [{name: web, weight: -10}, tls]\n",
	  { "12: track_service 'web' has a weight but VRRP instance 'vrrp1' has priority 255, "
	    "which never changes (expected no weight: FAULT while it fails)" } },
	{ "advert without unit", VI "      vrid: 1\n      advert_interval: 1\n",
	  { "11: bad advert_interval '1' (expected a duration with a unit: ms, s, m, h)" } },
	{ "advert too short", VI "      vrid: 1\n      advert_interval: 5ms\n",
	  { "11: bad advert_interval '5ms' (expected 10ms..40950ms in steps of 10ms)" } },
	{ "advert too long", VI "      vrid: 1\n      advert_interval: 41s\n",
	  { "11: bad advert_interval '41s' (expected 10ms..40950ms in steps of 10ms)" } },
	{ "advert not centiseconds", VI "      vrid: 1\n      advert_interval: 105ms\n",
	  { "11: bad advert_interval '105ms' (expected 10ms..40950ms in steps of 10ms)" } },
	{ "preempt not a bool", VI "      vrid: 1\n      preempt: yes\n",
	  { "11: unknown preempt 'yes' (expected true or false)" } },
	{ "bad interface name", "  vrrp:\n    - {interface: 'a/b', vrid: 1}\n",
	  { "9: bad interface name 'a/b' (expected 1 to 15 characters without '/', ':' or spaces)" } },
	{ "bad instance name", "  vrrp:\n    - {name: 'x y', interface: eth0, vrid: 1}\n",
	  { "9: bad VRRP instance name 'x y' (expected 1 to 63 letters, digits, '_', '.' or '-')" } },
	{ "bad address", VI "      vrid: 1\n      addresses: [10.0.0.300]\n",
	  { "11: bad address '10.0.0.300' for addresses (expected an IPv4 or IPv6 address)" } },
	{ "mixed families", VI "      vrid: 1\n      addresses:\n        - 10.0.0.5\n        - 'fd00::5'\n",
	  { "13: addresses fd00::5 is IPv6 (expected IPv4 like the instance's other addresses)" } },
	{ "duplicate address", VI "      vrid: 1\n      addresses: [10.0.0.5, 10.0.0.5]\n",
	  { "11: duplicate addresses 10.0.0.5 (expected each once)" } },
	{ "empty addresses", VI "      vrid: 1\n      addresses: []\n",
	  { "11: VRRP instance 'vrrp1' has an empty addresses list (expected at least one address)" } },
	{ "peer of the other family", VI "      vrid: 1\n      unicast_peers: ['fd00::3']\n",
	  { "11: unicast_peers fd00::3 is IPv6 (expected IPv4 like the instance's other addresses)" } },
	{ "duplicate instance",
	  "  vrrp:\n    - {interface: eth0, vrid: 3}\n    - {interface: eth0, vrid: 3, name: b}\n",
	  { "10: duplicate VRRP instance: VRID 3 on eth0 for IPv4 (first defined at line 9)" } },
	{ "bad sync mode", "  sync:\n    mode: active-passive\n    peers: [10.0.0.3]\n    key: \"0123456789abcdef\"\n",
	  { "9: unknown sync mode 'active-passive' (expected active-backup or active-active)" } },
	{ "sync without peers", "  sync:\n    key: \"0123456789abcdef\"\n",
	  { "9: sync: missing key 'peers'" } },
	{ "sync empty peers", "  sync:\n    peers: []\n    key: \"0123456789abcdef\"\n",
	  { "9: sync has no peers (expected at least one peer)" } },
	{ "sync bad peer", "  sync:\n    peers: [\"10.0.0.3:0\", \"[fd00::1\", \"x:80\"]\n    key: \"0123456789abcdef\"\n",
	  { "9: bad sync peer '10.0.0.3:0' (expected ADDRESS, IPV4:PORT or [IPV6]:PORT)",
	    "9: bad sync peer '[fd00::1' (expected ADDRESS, IPV4:PORT or [IPV6]:PORT)",
	    "9: bad sync peer 'x:80' (expected ADDRESS, IPV4:PORT or [IPV6]:PORT)" } },
	{ "sync peer family differs from listen",
	  "  sync:\n    listen: 10.0.0.2\n    peers: [\"fd00::3\"]\n    key: \"0123456789abcdef\"\n",
	  { "10: sync peer fd00::3 is IPv6 (expected IPv4 like listen)" } },
	{ "sync no key", "  sync:\n    peers: [10.0.0.3]\n",
	  { "9: sync: missing key 'key' (expected key or key_file)" } },
	{ "sync both keys",
	  "  sync:\n    peers: [10.0.0.3]\n    key: \"0123456789abcdef\"\n    key_file: /etc/k\n",
	  { "11: sync has both key and key_file (expected one of them)" } },
	{ "sync short key", "  sync:\n    peers: [10.0.0.3]\n    key: short\n",
	  { "10: sync key has 5 bytes (expected 16 to 64 bytes of text)" } },
	{ "sync missing key file", "  sync:\n    peers: [10.0.0.3]\n    key_file: /nonexistent/k\n",
	  { "10: cannot read key_file '/nonexistent/k': No such file or directory (expected a "
	    "readable file of 16..64 bytes)" } },
	{ "sync key file a device", "  sync:\n    peers: [10.0.0.3]\n    key_file: /dev/zero\n",
	  { "10: cannot read key_file '/dev/zero': a character device (expected a regular file of "
	    "16..64 bytes)" } },
	{ "sync key file a directory", "  sync:\n    peers: [10.0.0.3]\n    key_file: /tmp\n",
	  { "10: cannot read key_file '/tmp': a directory (expected a regular file of 16..64 "
	    "bytes)" } },
	{ "sync bad port and rate",
	  "  sync:\n    peers: [10.0.0.3]\n    key: \"0123456789abcdef\"\n    port: 0\n    max_rate: 0\n",
	  { "11: bad port '0' (expected an integer 1..65535)",
	    "12: bad max_rate '0' (expected an integer 1..10000000)" } },
	{ "sync refresh too short",
	  "  sync:\n    peers: [10.0.0.3]\n    key: \"0123456789abcdef\"\n    refresh: 10ms\n",
	  { "11: bad refresh 10ms (expected at least 1s)" } },
	{ "sync enabled not a bool",
	  "  sync:\n    peers: [10.0.0.3]\n    key: \"0123456789abcdef\"\n    enabled: 1\n",
	  { "11: unknown enabled '1' (expected true or false)" } },
};

static bool check_bad_case(const struct bad_case *c)
{
	struct config_errors errs;
	struct xlb_config cfg;
	char path[sizeof(CONFIG_TEXT_TEMPLATE)], want[512], yaml[2048];
	size_t nwant = 0;
	bool ok;
	int ret;

	if (c->yaml)
		snprintf(yaml, sizeof(yaml), BASE "ha:\n%s", c->yaml);
	else
		snprintf(yaml, sizeof(yaml), BASE "ha:\n  - vrrp\n");
	while (nwant < 4 && c->want[nwant])
		nwant++;
	ret = config_load_text(yaml, &cfg, &errs, path);
	ok = ret == -EINVAL && errs.count == nwant;
	for (size_t i = 0; ok && i < nwant; i++) {
		snprintf(want, sizeof(want), "%s:%s", path, c->want[i]);
		ok = strcmp(errs.msgs[i], want) == 0;
	}
	if (!ok) {
		print_message("case '%s': ret %d (want %d)\n", c->name, ret, -EINVAL);
		for (size_t i = 0; i < nwant; i++)
			print_message("  want: %s:%s\n", path, c->want[i]);
		for (size_t i = 0; i < errs.count; i++)
			print_message("  got:  %s\n", errs.msgs[i]);
	}
	config_errors_free(&errs);
	return ok;
}

static void test_bad_cases(void **state)
{
	size_t failed = 0;

	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++)
		failed += !check_bad_case(&bad_cases[i]);
	assert_int_equal(failed, 0);
}

/* Without addresses: the service VIPs must exist and be of one family. */
static void test_default_addresses(void **state)
{
	struct config_errors errs;
	struct xlb_config cfg;
	char path[sizeof(CONFIG_TEXT_TEMPLATE)], want[512];

	assert_int_equal(config_load_text(BASE BASE6 "ha:\n  vrrp:\n    - {interface: eth0, vrid: 9}\n",
				   &cfg, &errs, path),
			 -EINVAL);
	assert_int_equal(errs.count, 1);
	snprintf(want, sizeof(want),
		 "%s:10: VRRP instance 'vrrp9' has no addresses and the service VIPs are IPv4 and "
		 "IPv6 (expected addresses: with the VIPs of one family)",
		 path);
	assert_string_equal(errs.msgs[0], want);
	config_errors_free(&errs);

	assert_int_equal(config_load_text("interfaces: [{name: eth0}]\nservices: []\n"
				   "ha:\n  vrrp:\n    - {interface: eth0, vrid: 9}\n",
				   &cfg, &errs, path),
			 -EINVAL);
	assert_int_equal(errs.count, 1);
	snprintf(want, sizeof(want),
		 "%s:5: VRRP instance 'vrrp9' has no addresses and there are no service VIPs "
		 "(expected addresses: [...])",
		 path);
	assert_string_equal(errs.msgs[0], want);
	config_errors_free(&errs);
}

/*
 * A FIFO as key_file is refused without blocking (open() waited for a writer
 * before): loaded in a child with a deadline, so a hang fails the test.
 */
static void test_key_file_fifo(void **state)
{
	char fifo[] = "/tmp/xlb-test-ha-fifo-XXXXXX", yaml[512], path[sizeof(CONFIG_TEXT_TEMPLATE)];
	char want[512], got[512] = "";
	int fd = mkstemp(fifo), fds[2], status;
	struct pollfd pfd;
	pid_t pid;

	assert_true(fd >= 0);
	close(fd);
	unlink(fifo);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	snprintf(yaml, sizeof(yaml), BASE "ha:\n  sync:\n    peers: [10.0.0.3]\n    key_file: %s\n",
		 fifo);
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct config_errors errs;
		struct xlb_config cfg;
		ssize_t n;

		close(fds[0]);
		config_load_text(yaml, &cfg, &errs, path);
		n = snprintf(got, sizeof(got), "%zu %s", errs.count, errs.count ? errs.msgs[0] : "");
		_exit(write(fds[1], got, (size_t)n) == n ? 0 : 1);
	}
	close(fds[1]);
	pfd = (struct pollfd){ .fd = fds[0], .events = POLLIN };
	if (poll(&pfd, 1, 3000) <= 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		unlink(fifo);
		fail_msg("config_load blocked on a FIFO as key_file");
	}
	assert_true(read(fds[0], got, sizeof(got) - 1) > 0);
	close(fds[0]);
	waitpid(pid, &status, 0);
	unlink(fifo);
	snprintf(want, sizeof(want),
		 ":10: cannot read key_file '%s': a FIFO (expected a regular file of 16..64 bytes)",
		 fifo);
	assert_int_equal(strncmp(got, "1 ", 2), 0);
	assert_non_null(strstr(got, want));
}

/*
 * mode: active-active: services without a midstream key drop a TCP non-SYN
 * without a flow, except mh's (the hash finds the real); an explicit key
 * wins; active-backup (the default) leaves the default, schedule.
 */
static void test_sync_mode(void **state)
{
	static const char svcs[] =
		"interfaces:\n"
		"  - name: eth0\n"
		"services:\n"
		"  - {name: a, vip: 10.0.0.1, port: 80, scheduler: wlc, reals: [{address: 10.0.1.1}]}\n"
		"  - {name: b, vip: 10.0.0.1, port: 81, scheduler: mh, reals: [{address: 10.0.1.1}]}\n"
		"  - {name: c, vip: 10.0.0.1, port: 82, scheduler: rr, midstream: schedule,\n"
		"     reals: [{address: 10.0.1.1}]}\n"
		"  - {name: d, vip: 10.0.0.1, port: 83, scheduler: mh, midstream: drop,\n"
		"     reals: [{address: 10.0.1.1}]}\n"
		"ha:\n"
		"  sync:\n"
		"    peers: [10.0.0.3]\n"
		"    key: \"0123456789abcdef\"\n";
	char yaml[2048], path[sizeof(CONFIG_TEXT_TEMPLATE)];
	struct config_errors errs;
	struct xlb_config cfg;

	(void)state;
	assert_int_equal(config_load_text(svcs, &cfg, &errs, path), 0);
	assert_int_equal(cfg.ha.sync.mode, HA_SYNC_ACTIVE_BACKUP);
	assert_false(cfg.services[0].midstream_drop);
	assert_false(cfg.services[1].midstream_drop);
	assert_false(cfg.services[2].midstream_drop);
	assert_true(cfg.services[3].midstream_drop);
	config_free(&cfg);

	snprintf(yaml, sizeof(yaml), "%s    mode: active-active\n    enabled: false\n", svcs);
	assert_int_equal(config_load_text(yaml, &cfg, &errs, path), 0);
	assert_int_equal(cfg.ha.sync.mode, HA_SYNC_ACTIVE_ACTIVE);
	assert_true(cfg.services[0].midstream_drop); /* wlc: the record decides, not a guess */
	assert_false(cfg.services[1].midstream_drop); /* mh: the hash */
	assert_false(cfg.services[2].midstream_drop); /* its own key */
	assert_true(cfg.services[3].midstream_drop);
	config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_sync_defaults_v6_key_file),
		cmocka_unit_test(test_absent),
		cmocka_unit_test(test_tracking),
		cmocka_unit_test(test_bad_cases),
		cmocka_unit_test(test_default_addresses),
		cmocka_unit_test(test_key_file_fifo),
		cmocka_unit_test(test_sync_mode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
