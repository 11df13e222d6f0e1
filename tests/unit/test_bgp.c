// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bgp/: the bgp: block (values, FILE:LINE errors), the BIRD config it gives,
 * BIRD's control-socket replies, when `configure` is (re)sent, and a VIP's
 * quorum from its services'.
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

#include "bgp/bgp_vips.h"
#include "bgp/bird_conf.h"
#include "bgp/bird_conf_state.h"
#include "bgp/bird_ctl.h"
#include "config.h"
#include "config_text.h"
#include "model.h"

static void assert_addr(const struct net_addr *a, const char *text)
{
	struct net_addr want;

	assert_int_equal(net_addr_parse(text, &want), 0);
	assert_true(net_addr_equal(a, &want));
}

/* Lines 1-5: two services on one VIP, one on another. */
#define BASE                                                                                       \
	"interfaces: [{name: eth0}]\n"                                                   /* 1 */ \
	"services:\n"                                                                    /* 2 */ \
	"  - {name: web, vip: 10.0.0.1, port: 80, reals: [{address: 10.0.1.1}]}\n"      /* 3 */ \
	"  - {name: tls, vip: 10.0.0.1, port: 443, reals: [{address: 10.0.1.1}]}\n"     /* 4 */ \
	"  - {name: web6, vip: 'fd00::1', port: 80, reals: [{address: 'fd00:1::1'}]}\n" /* 5 */

static void test_full(void **state)
{
	static const char yaml[] = BASE "bgp:\n"				  /* 6 */
				   "  asn: 65001\n"				  /* 7 */
				   "  router_id: 10.200.0.2\n"			  /* 8 */
				   "  peers:\n"					  /* 9 */
				   "    - {address: 10.200.0.1, asn: 65000}\n"	  /* 10 */
				   "    - address: 'fd00:200::1'\n"		  /* 11 */
				   "      asn: 4200000000\n"			  /* 12 */
				   "      port: 1179\n"				  /* 13 */
				   "      multihop: 2\n"			  /* 14 */
				   "      password: s3cret\n"			  /* 15 */
				   "      local_address: 'fd00:200::2'\n"	  /* 16 */
				   "  hold_time: 9s\n"				  /* 17 */
				   "  bfd: {interval: 50ms, multiplier: 4}\n"	  /* 18 */
				   "  vip_quorum: any\n"			  /* 19 */
				   "  bird: /opt/bird/sbin/bird\n";		  /* 20 */
	struct config_errors errs;
	struct xlb_config cfg;
	char path[sizeof(CONFIG_TEXT_TEMPLATE)];
	const struct bgp_config *b = &cfg.bgp;

	assert_int_equal(config_load_text(yaml, &cfg, &errs, path), 0);
	assert_true(b->enabled);
	assert_int_equal(b->line, 7);
	assert_int_equal(b->asn, 65001);
	assert_addr(&b->router_id, "10.200.0.2");
	assert_int_equal(b->npeers, 2);
	assert_addr(&b->peers[0].addr, "10.200.0.1");
	assert_int_equal(b->peers[0].asn, 65000);
	assert_int_equal(b->peers[0].port, 179);
	assert_int_equal(b->peers[0].multihop, 0);
	assert_string_equal(b->peers[0].password, "");
	assert_addr(&b->peers[1].addr, "fd00:200::1");
	assert_int_equal(b->peers[1].asn, 4200000000u);
	assert_int_equal(b->peers[1].port, 1179);
	assert_int_equal(b->peers[1].multihop, 2);
	assert_string_equal(b->peers[1].password, "s3cret");
	assert_addr(&b->peers[1].local, "fd00:200::2");
	assert_int_equal(b->peers[0].local.family, 0);
	assert_int_equal(b->hold_s, 9);
	assert_true(b->bfd);
	assert_int_equal(b->bfd_interval_ms, 50);
	assert_int_equal(b->bfd_multiplier, 4);
	assert_int_equal(b->vip_quorum, BGP_VIP_QUORUM_ANY);
	assert_string_equal(b->bird, "/opt/bird/sbin/bird");
	config_free(&cfg);
}

static void test_defaults_and_absent(void **state)
{
	struct config_errors errs;
	struct xlb_config cfg;
	char path[sizeof(CONFIG_TEXT_TEMPLATE)];

	assert_int_equal(config_load_text(BASE, &cfg, &errs, path), 0);
	assert_false(cfg.bgp.enabled);
	config_free(&cfg);
	assert_int_equal(
		config_load_text(BASE "bgp: {asn: 1, peers: [{address: 10.0.0.9, asn: 2}], bfd: false}\n",
			  &cfg, &errs, path),
		0);
	assert_true(cfg.bgp.enabled);
	assert_int_equal(cfg.bgp.router_id.family, 0);
	assert_int_equal(cfg.bgp.hold_s, BGP_DEFAULT_HOLD_S);
	assert_false(cfg.bgp.bfd);
	assert_int_equal(cfg.bgp.vip_quorum, BGP_VIP_QUORUM_ALL);
	assert_string_equal(cfg.bgp.bird, BGP_DEFAULT_BIRD);
	config_free(&cfg);
}

struct bad_case {
	const char *yaml; /* after BASE and "bgp:\n" (line 6) */
	const char *msg;  /* "LINE: text" */
};

static const struct bad_case bad_cases[] = {
	{ "  peers: [{address: 10.0.0.9, asn: 2}]\n", "7: bgp: missing key 'asn'" },
	{ "  asn: 0\n  peers: [{address: 10.0.0.9, asn: 2}]\n", "7: bad asn '0' (expected an integer 1..4294967295)" },
	{ "  asn: 1\n", "7: bgp: missing key 'peers'" },
	{ "  asn: 1\n  peers: []\n", "8: bgp peers has 0 entries (expected 1 to 8)" },
	{ "  asn: 1\n  peers: [{address: 10.0.0.9}]\n", "8: bgp peer: missing key 'asn'" },
	{ "  asn: 1\n  peers: [{address: 10.0.0.9, asn: 2}, {address: 10.0.0.9, asn: 3}]\n",
	  "8: duplicate bgp peer 10.0.0.9 (expected each once; first at line 8)" },
	{ "  asn: 1\n  peers: [{address: 10.0.0.9, asn: 2, password: 'a b'}]\n",
	  "8: bad bgp peer password" },
	{ "  asn: 1\n  peers: [{address: 10.0.0.9, asn: 2}]\n  hold_time: 2s\n",
	  "9: bgp hold_time 2000ms (expected whole seconds from 3s to 65535s)" },
	{ "  asn: 1\n  peers: [{address: 10.0.0.9, asn: 2}]\n  bfd: {interval: 5ms}\n",
	  "9: bfd interval 5ms is out of range (expected 10ms to 10s)" },
	{ "  asn: 1\n  peers: [{address: 10.0.0.9, asn: 2}]\n  vip_quorum: most\n", "9: " },
	{ "  asn: 1\n  peers: [{address: 10.0.0.9, asn: 2}]\n  router_id: 'fd00::1'\n",
	  "9: bgp router_id is an IPv6 address" },
	{ "  asn: 1\n  peers: [{address: 10.0.0.9, asn: 2}]\n  bird: bird\n",
	  "9: bad bgp bird 'bird' (expected an absolute path" },
	{ "  asn: 1\n  peers: [{address: 10.0.0.9, asn: 2}]\n  color: blue\n", "9: " },
	{ "  asn: 1\n  peers: [{address: 10.0.0.9, asn: 2, multihop: 2}]\n",
	  "8: bgp peer with multihop and bfd has no local_address" },
	{ "  asn: 1\n  peers: [{address: 10.0.0.9, asn: 2, local_address: 'fd00::1'}]\n",
	  "8: bgp peer local_address is not of the peer address's family" },
};

static void test_bad_cases(void **state)
{
	size_t failed = 0;

	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		char yaml[1024], path[sizeof(CONFIG_TEXT_TEMPLATE)], want[512];
		struct config_errors errs = {};
		struct xlb_config cfg;
		bool found = false;

		snprintf(yaml, sizeof(yaml), BASE "bgp:\n%s", bad_cases[i].yaml);
		if (config_load_text(yaml, &cfg, &errs, path) != -EINVAL) {
			fprintf(stderr, "case %zu: accepted\n", i);
			failed++;
			continue;
		}
		snprintf(want, sizeof(want), "%s:%s", path, bad_cases[i].msg);
		for (size_t k = 0; k < errs.count; k++)
			found |= strncmp(errs.msgs[k], want, strlen(want)) == 0;
		if (!found) {
			fprintf(stderr, "case %zu: want '%s', got:\n", i, want);
			for (size_t k = 0; k < errs.count; k++)
				fprintf(stderr, "  %s\n", errs.msgs[k]);
			failed++;
		}
		config_errors_free(&errs);
	}
	assert_int_equal(failed, 0);
}

static char *render(const struct bgp_config *bc, const char *const *vips, size_t n)
{
	struct net_addr a[8];
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(net_addr_parse(vips[i], &a[i]), 0);
	assert_int_equal(bird_conf_write(f, bc, a, n, "/etc/xlb/xlb.yaml"), 0);
	fclose(f);
	return buf;
}

static void test_bird_conf(void **state)
{
	static const char *const vips[] = { "10.0.0.1", "fd00::1", "10.0.0.2" };
	struct bgp_config bc = { .enabled = true, .asn = 65001, .hold_s = 3, .bfd = true,
				 .bfd_interval_ms = 100, .bfd_multiplier = 5, .npeers = 2 };
	char *text;

	net_addr_parse("10.200.0.2", &bc.router_id);
	net_addr_parse("10.200.0.1", &bc.peers[0].addr);
	bc.peers[0].asn = 65000;
	bc.peers[0].port = 179;
	net_addr_parse("fd00::9", &bc.peers[1].addr);
	bc.peers[1].asn = 65002;
	bc.peers[1].port = 179;
	strcpy(bc.peers[1].password, "pw");
	net_addr_parse("fd00::2", &bc.peers[1].local);
	text = render(&bc, vips, 3);
	assert_non_null(strstr(text, "router id 10.200.0.2;\n"));
	assert_non_null(strstr(text, "timeformat protocol \"%s\";\n"));
	assert_non_null(strstr(text, "protocol static xlb_vips4 {\n\tipv4;\n\troute 10.0.0.1/32 "
				     "blackhole;\n\troute 10.0.0.2/32 blackhole;\n}\n"));
	assert_non_null(strstr(text, "protocol static xlb_vips6 {\n\tipv6;\n\troute fd00::1/128 "
				     "blackhole;\n}\n"));
	assert_non_null(strstr(text, "protocol bgp xlb_10_200_0_1 {\n\tlocal as 65001;\n\tneighbor "
				     "10.200.0.1 port 179 as 65000;\n"));
	assert_non_null(strstr(text, "\thold time 3;\n\tkeepalive time 1;\n"));
	assert_non_null(strstr(text, "\tgraceful restart off;\n\tbfd on;\n"));
	assert_non_null(strstr(text, "\tipv4 {\n\t\timport none;\n\t\texport where proto = "
				     "\"xlb_vips4\";\n"));
	assert_non_null(strstr(text, "protocol bgp xlb_fd00__9 {\n\tlocal fd00::2 as 65001;\n"));
	assert_non_null(strstr(text, "\tpassword \"pw\";\n"));
	assert_non_null(strstr(text, "\t\texport where proto = \"xlb_vips6\";\n"));
	assert_non_null(strstr(text, "min rx interval 100 ms;"));
	assert_non_null(strstr(text, "multiplier 5;"));
	free(text);
	/* Nothing to announce: the static protocols stay, empty; no BFD when off. */
	bc.bfd = false;
	bc.router_id.family = 0;
	text = render(&bc, NULL, 0);
	assert_non_null(strstr(text, "protocol static xlb_vips4 {\n\tipv4;\n}\n"));
	assert_null(strstr(text, "bfd"));
	assert_null(strstr(text, "router id"));
	free(text);
}

static void test_bird_replies(void **state)
{
	static const char hello[] = "0001 BIRD 2.0.12 ready.\n";
	static const char partial[] = "0002-Reading configuration from /x\n";
	static const char conf[] = "0002-Reading configuration from /x\n0003 Reconfigured\nnext";
	static const char err[] = "8002 /x:3:1 syntax error, unexpected CF_SYM_UNDEFINED\n";
	static const char show[] =
		"2002-Name       Proto      Table      State  Since         Info\n"
		"1002-xlb_device Device     ---        up     1796424624    \n"
		" xlb_vips4  Static     master4    up     1796424624    \n"
		" xlb_10_200_0_1 BGP        ---        up     1796424625    Established   \n"
		" xlb_10_200_0_9 BGP        ---        start  1796424626    Active        Socket: "
		"Connection refused\n"
		"0000 \n";
	struct bird_proto rows[8];
	char msg[128];
	int code = -1;

	assert_int_equal(bird_reply_end(hello, strlen(hello), &code), strlen(hello));
	assert_int_equal(code, 1);
	assert_int_equal(bird_reply_end(partial, strlen(partial), &code), 0);
	assert_int_equal(bird_reply_end(conf, strlen(conf), &code), strlen(conf) - 4);
	assert_int_equal(code, 3);
	assert_true(bird_code_ok(code));
	assert_int_equal(bird_reply_end(err, strlen(err), &code), strlen(err));
	assert_int_equal(code, 8002);
	assert_false(bird_code_ok(code));
	bird_reply_message(err, strlen(err), msg, sizeof(msg));
	assert_string_equal(msg, "/x:3:1 syntax error, unexpected CF_SYM_UNDEFINED");
	assert_int_equal(bird_reply_end(show, strlen(show), &code), strlen(show));
	assert_int_equal(code, 0);
	assert_int_equal(bird_parse_protocols(show, strlen(show), rows, 8), 4);
	assert_string_equal(rows[2].name, "xlb_10_200_0_1");
	assert_string_equal(rows[2].state, "up");
	assert_int_equal(rows[2].since, 1796424625);
	assert_string_equal(rows[2].info, "Established");
	assert_string_equal(rows[3].state, "start");
	assert_string_equal(rows[3].info, "Active        Socket: Connection refused");
	/* Bounded by @max. */
	assert_int_equal(bird_parse_protocols(show, strlen(show), rows, 2), 2);
}

static void svc(struct service *s, const char *name, const char *vip, bool up, uint32_t healthy)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->cfg.name, sizeof(s->cfg.name), "%s", name);
	assert_int_equal(net_addr_parse(vip, &s->cfg.vip), 0);
	s->cfg.quorum = 2;
	s->quorum_up = up;
	s->quorum_known = true;
	s->healthy = healthy;
}

static void test_vips(void **state)
{
	struct service s[3];
	struct bgp_vip v[3];

	svc(&s[0], "web", "10.0.0.1", true, 3);
	svc(&s[1], "tls", "10.0.0.1", false, 1);
	svc(&s[2], "api", "10.0.0.2", true, 2);
	assert_int_equal(bgp_vips_collect(s, 3, BGP_VIP_QUORUM_ALL, v), 2);
	assert_addr(&v[0].addr, "10.0.0.1");
	assert_false(v[0].quorum);
	assert_int_equal(v[0].services, 2);
	assert_int_equal(v[0].services_up, 1);
	assert_string_equal(v[0].reason, "quorum lost (tls 1/2 healthy)");
	assert_true(v[1].quorum);
	assert_string_equal(v[1].reason, "quorum met");
	assert_int_equal(bgp_vips_collect(s, 3, BGP_VIP_QUORUM_ANY, v), 2);
	assert_true(v[0].quorum);
	assert_string_equal(v[0].reason, "quorum met by some services (tls 1/2 healthy)");
	assert_int_equal(bgp_vips_collect(s, 0, BGP_VIP_QUORUM_ALL, v), 0);
	/* Checked, and a real's first check has not answered yet: not up yet. */
	struct real reals[2] = { { .health_known = true }, { .health_known = false } };

	s[2].cfg.health.kind = HEALTH_TCP;
	s[2].reals = reals;
	s[2].nreals = 2;
	assert_int_equal(bgp_vips_collect(s, 3, BGP_VIP_QUORUM_ALL, v), 2);
	assert_false(v[1].quorum);
	assert_string_equal(v[1].reason, "waiting for health checks (api: first health checks running)");
	reals[1].health_known = true;
	assert_int_equal(bgp_vips_collect(s, 3, BGP_VIP_QUORUM_ALL, v), 2);
	assert_true(v[1].quorum);
}

/* The lab's stall: a command sent after the tick read its clock timed out at once. */
static void test_reply_overdue(void **state)
{
	(void)state;
	assert_false(bird_reply_overdue(1000, 1001, 5000)); /* sent after "now" */
	assert_false(bird_reply_overdue(1000, 1000, 5000));
	assert_false(bird_reply_overdue(6000, 1000, 5000));
	assert_true(bird_reply_overdue(6001, 1000, 5000));
}

/*
 * The lost configure (lab: a quorum change BIRD never took, while xlbctl bgp
 * said "announced"): the set changes, `configure` goes out, BIRD does not
 * answer, the socket is reconnected and BIRD says hello. The configure must
 * go out again, and nothing may count as configured until BIRD answers it.
 */
static void test_conf_state_lost_configure(void **state)
{
	struct bird_conf_state s = {};

	(void)state;
	bird_conf_started(&s);
	bird_conf_connected(&s);
	assert_true(s.configured); /* it read the file at start */
	assert_false(bird_conf_take(&s));

	bird_conf_changed(&s);
	assert_false(s.configured);
	assert_true(bird_conf_take(&s));
	assert_false(bird_conf_take(&s)); /* one at a time */
	bird_conf_lost(&s);		  /* timed out: reconnect */
	bird_conf_connected(&s);
	assert_false(s.configured);
	assert_true(bird_conf_take(&s)); /* sent again */
	bird_conf_answered(&s, true);
	assert_true(s.configured);

	/* A lost connection with no configure in flight changes nothing. */
	bird_conf_lost(&s);
	bird_conf_connected(&s);
	assert_true(s.configured);
	assert_false(bird_conf_take(&s));
}

/* A change while BIRD reads the file, a refused file, and a new BIRD. */
static void test_conf_state_races(void **state)
{
	struct bird_conf_state s = {};

	(void)state;
	bird_conf_started(&s);
	bird_conf_changed(&s); /* before its hello */
	bird_conf_connected(&s);
	assert_false(s.configured);
	assert_true(bird_conf_take(&s));
	bird_conf_changed(&s); /* while BIRD reads the file */
	assert_false(bird_conf_take(&s));
	bird_conf_answered(&s, true);
	assert_false(s.configured); /* it read the older file */
	assert_true(bird_conf_take(&s));
	bird_conf_answered(&s, false); /* refused */
	assert_false(s.configured);
	bird_conf_lost(&s);
	bird_conf_connected(&s);
	assert_false(s.configured); /* a reconnect does not make a refused file accepted */
	assert_false(bird_conf_take(&s));

	bird_conf_started(&s); /* a new BIRD reads the file as it is */
	assert_false(s.configured);
	bird_conf_connected(&s);
	assert_true(s.configured);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),	     cmocka_unit_test(test_defaults_and_absent),
		cmocka_unit_test(test_bad_cases),    cmocka_unit_test(test_bird_conf),
		cmocka_unit_test(test_bird_replies), cmocka_unit_test(test_vips),
		cmocka_unit_test(test_reply_overdue),
		cmocka_unit_test(test_conf_state_lost_configure),
		cmocka_unit_test(test_conf_state_races),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
