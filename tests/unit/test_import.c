// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xlbctl import: the keepalived reader (comments, quotes, braces, includes,
 * conditionals, definitions, bounds), the mapping into the model, the
 * ipvsadm reader, and that what is written passes xlbd's own config check
 * (config_load, what xlbd -t runs).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "xlb_import.h"

/* ---------------------------------------------------------------- helpers */

struct capture {
	char *buf;
	size_t len;
	FILE *f;
};

static FILE *cap_open(struct capture *c)
{
	memset(c, 0, sizeof(*c));
	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
	return c->f;
}

static const char *cap_text(struct capture *c)
{
	fflush(c->f);
	return c->buf ? c->buf : "";
}

static void cap_close(struct capture *c)
{
	fclose(c->f);
	free(c->buf);
}

/* Reads keepalived text; returns kad_read_text's result and leaves the messages in @err. */
static int read_kad(const char *text, struct kad_doc *doc, struct capture *err)
{
	return kad_read_text("ka.conf", text, "lb1", doc, cap_open(err));
}

/* Imports keepalived text into @cfg; asserts success. */
static void import_kad(const char *text, struct imp_config *cfg)
{
	struct capture err;
	struct kad_doc doc;

	imp_config_init(cfg, "keepalived", "ka.conf");
	assert_int_equal(read_kad(text, &doc, &err), 0);
	if (kad_map(&doc, cfg, err.f) != 0)
		fail_msg("kad_map failed: %s", cap_text(&err));
	kad_free(&doc);
	cap_close(&err);
}

/* The YAML with wrapped comments joined again ("\n    #   " -> " "), for searching. */
static char *unwrap(const char *yaml)
{
	char *out = strdup(yaml), *o = out;

	assert_non_null(out);
	for (const char *p = yaml; *p;) {
		const char *q = p + 1;

		if (*p == '\n') {
			while (*q == ' ')
				q++;
			if (!strncmp(q, "#   ", 4)) {
				*o++ = ' ';
				p = q + 4;
				continue;
			}
		}
		*o++ = *p++;
	}
	*o = '\0';
	return out;
}

/* Writes the model's YAML and runs xlbd's config check on it; returns the service count. */
static size_t check_with_xlbd(struct imp_config *cfg, char **yaml_out)
{
	char path[] = "/tmp/xlb-test-import-XXXXXX";
	struct config_errors errs;
	struct xlb_config xc;
	struct capture y;
	size_t n;
	int fd, ret;

	imp_write_yaml(cfg, cap_open(&y));
	cap_text(&y); /* flushes: y.len is final */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, y.buf, y.len), (ssize_t)y.len);
	close(fd);
	ret = config_load(path, &xc, &errs);
	unlink(path);
	if (ret) {
		for (size_t i = 0; i < errs.count; i++)
			fprintf(stderr, "%s\n", errs.msgs[i]);
		fail_msg("xlbd rejects the imported YAML:\n%s", cap_text(&y));
	}
	n = xc.nservices;
	config_free(&xc);
	config_errors_free(&errs);
	if (yaml_out)
		*yaml_out = unwrap(y.buf);
	cap_close(&y);
	return n;
}

static const struct imp_service *svc_named(const struct imp_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nservices; i++)
		if (!cfg->services[i].omitted && !strcmp(cfg->services[i].name, name))
			return &cfg->services[i];
	fail_msg("no service %s", name);
	return NULL;
}

static unsigned commented(const struct imp_config *cfg)
{
	unsigned c, i;

	imp_count(cfg, &c, &i);
	return c;
}

/* ---------------------------------------------------------------- tokenizer */

static void test_lex_words_comments_braces(void **state)
{
	static const char text[] = "! a comment\n"
				   "global_defs {   # another\n"
				   "  router_id \"two words\" x#y\n"
				   "}\n"
				   "vrrp_instance VI_1\n"
				   "{\n"
				   "  url { path /a\\#b } weight 2\n"
				   "  notify \"/bin/echo  a ! b\"\n"
				   "}\n";
	struct capture err;
	struct kad_doc doc;
	const struct kad_node *g, *v;

	assert_int_equal(read_kad(text, &doc, &err), 0);
	assert_int_equal(doc.root.nkids, 2);
	g = &doc.root.kids[0];
	assert_string_equal(g->words[0], "global_defs");
	assert_true(g->block);
	assert_int_equal(g->nkids, 1);
	assert_int_equal(g->kids[0].nwords, 3);
	assert_string_equal(g->kids[0].words[1], "two words");
	assert_string_equal(g->kids[0].words[2], "x"); /* '#' starts a comment anywhere */
	assert_int_equal(g->kids[0].line, 3);
	v = &doc.root.kids[1];
	assert_true(v->block); /* '{' on the next line */
	assert_int_equal(v->nkids, 3);
	assert_string_equal(v->kids[0].words[0], "url");
	assert_true(v->kids[0].block);
	assert_string_equal(v->kids[0].kids[0].words[1], "/a#b"); /* escaped '#' */
	assert_string_equal(v->kids[1].words[0], "weight"); /* text after '}' is a statement */
	assert_string_equal(v->kids[2].words[1], "/bin/echo  a ! b"); /* quotes keep '!' */
	assert_string_equal(v->kids[2].file, "ka.conf");
	kad_free(&doc);
	cap_close(&err);
}

static void test_lex_conditional_and_definitions(void **state)
{
	static const char text[] = "$PRIO=150\n"
				   "${IF}=x\n"
				   "$IF=eth7\n"
				   "vrrp_instance V {\n"
				   "@lb1 priority $PRIO\n"
				   "@lb2 priority 50\n"
				   "@^lb2 interface ${IF}\n"
				   "@^lb1 interface eth9\n"
				   "}\n";
	struct capture err;
	struct kad_doc doc;
	const struct kad_node *v;

	assert_int_equal(read_kad(text, &doc, &err), 0);
	v = &doc.root.kids[doc.root.nkids - 1];
	assert_string_equal(v->words[0], "vrrp_instance");
	assert_int_equal(v->nkids, 2);
	assert_string_equal(v->kids[0].words[1], "150");
	assert_string_equal(v->kids[1].words[1], "eth7");
	/* The two lines for other config ids are kept as notes, not dropped. */
	assert_int_equal(doc.skipped.n, 2);
	assert_non_null(strstr(doc.skipped.v[0].text, "config id 'lb2'"));
	assert_string_equal(doc.skipped.v[0].where, "ka.conf:6");
	kad_free(&doc);
	cap_close(&err);
}

static void expect_lex_error(const char *text, const char *msg)
{
	struct capture err;
	struct kad_doc doc;

	assert_int_equal(read_kad(text, &doc, &err), -1);
	if (!strstr(cap_text(&err), msg))
		fail_msg("expected '%s' in: %s", msg, cap_text(&err));
	cap_close(&err);
}

static void test_lex_errors(void **state)
{
	char deep[512] = "";

	expect_lex_error("a {\n b \"unterminated\n}\n", "ka.conf:2: unmatched quote");
	expect_lex_error("a {\n}\n}\n", "ka.conf:3: '}' without an open block");
	expect_lex_error("x\n  a {\n b\n", "ka.conf:2: block opened here is not closed");
	expect_lex_error("{\n}\n", "ka.conf:1: '{' without a statement");
	expect_lex_error("~SEQ(i,1,3) x\n", "ka.conf:1: ~SEQ is not supported");
	expect_lex_error("$M=a \\\n", "ka.conf:1: multi-line definition $M");
	for (int i = 0; i < KAD_NESTING_MAX + 1; i++)
		strcat(deep, "a {\n");
	for (int i = 0; i < KAD_NESTING_MAX + 1; i++)
		strcat(deep, "}\n");
	expect_lex_error(deep, "nested more than 16 deep");
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static void test_lex_include_glob(void **state)
{
	char dir[] = "/tmp/xlb-test-import-inc-XXXXXX", path[256], p2[256], p3[256], p4[256];
	struct capture err;
	struct kad_doc doc;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/conf.d", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/main.conf", dir);
	write_file(path, "global_defs {\n}\ninclude conf.d/*.conf\ninclude nothing/*.conf\nlast x\n",
		   0644);
	snprintf(p2, sizeof(p2), "%s/conf.d/b.conf", dir);
	write_file(p2, "second y\n", 0644);
	snprintf(p3, sizeof(p3), "%s/conf.d/a.conf", dir);
	write_file(p3, "first z {\n}\n", 0644);
	snprintf(p4, sizeof(p4), "%s/conf.d/exec.conf", dir);
	write_file(p4, "never w\n", 0755);

	assert_int_equal(kad_read(path, NULL, &doc, cap_open(&err)), 0);
	/* Sorted glob order, at the place of the include; the executable is skipped. */
	assert_int_equal(doc.root.nkids, 4);
	assert_string_equal(doc.root.kids[1].words[0], "first");
	assert_string_equal(doc.root.kids[1].file, p3);
	assert_string_equal(doc.root.kids[2].words[0], "second");
	assert_string_equal(doc.root.kids[3].words[0], "last");
	assert_int_equal(doc.root.kids[3].line, 5);
	assert_int_equal(doc.skipped.n, 2); /* the executable and the include matching nothing */
	kad_free(&doc);
	cap_close(&err);

	/* A file that includes itself stops at the depth bound with FILE:LINE. */
	write_file(p2, "include b.conf\n", 0644);
	assert_int_equal(kad_read(p2, NULL, &doc, cap_open(&err)), -1);
	assert_non_null(strstr(cap_text(&err), "b.conf:1: includes nested more than 8 deep"));
	cap_close(&err);

	unlink(p2), unlink(p3), unlink(p4), unlink(path);
	snprintf(path, sizeof(path), "%s/conf.d", dir);
	rmdir(path);
	rmdir(dir);
}

/* ---------------------------------------------------------------- keepalived mapping */

static const char full_conf[] =
	"global_defs {\n"
	"  router_id lb1\n"
	"  vrrp_version 3\n"
	"}\n"
	"vrrp_instance VI_1 {\n"
	"  state MASTER\n"
	"  interface eth1\n"
	"  virtual_router_id 61\n"
	"  priority 150\n"
	"  advert_int 0.2\n"
	"  nopreempt\n"
	"  preempt_delay 5\n"
	"  unicast_peer {\n"
	"    10.0.0.3\n"
	"  }\n"
	"  authentication {\n"
	"    auth_type PASS\n"
	"  }\n"
	"  track_interface {\n"
	"    eth2\n"
	"    eth3 weight -20\n"
	"    eth1\n"
	"    eth4 weight 5 reverse\n"
	"  }\n"
	"  virtual_ipaddress {\n"
	"    10.0.0.100/32 dev eth1\n"
	"    10.0.0.101/24\n"
	"  }\n"
	"}\n"
	"virtual_server 10.0.0.100 80 {\n"
	"  delay_loop 2\n"
	"  lb_algo wlc\n"
	"  lb_kind DR\n"
	"  persistence_timeout 300\n"
	"  protocol TCP\n"
	"  inhibit_on_failure\n"
	"  sorry_server 10.0.1.99 80\n"
	"  quorum 2\n"
	"  real_server 10.0.1.1 80 {\n"
	"    weight 3\n"
	"    HTTP_GET {\n"
	"      url {\n"
	"        path /health\n"
	"        status_code 200\n"
	"        digest 0123456789abcdef\n"
	"      }\n"
	"      connect_port 8080\n"
	"      connect_timeout 1.5\n"
	"      retry 2\n"
	"      delay_before_retry 1\n"
	"      virtualhost www.example.com\n"
	"    }\n"
	"  }\n"
	"  real_server 10.0.1.2 8080 {\n" /* DR cannot change ports: 80, as IPVS */
	"    weight 3\n"
	"    HTTP_GET {\n"
	"      url {\n"
	"        path /health\n"
	"        status_code 200\n"
	"      }\n"
	"      connect_port 8080\n"
	"      connect_timeout 1.5\n"
	"      retry 2\n"
	"      virtualhost www.example.com\n"
	"    }\n"
	"  }\n"
	"}\n";

static void test_map_full(void **state)
{
	struct imp_config cfg;
	const struct imp_service *s;
	const struct imp_vrrp *v;
	char *yaml;

	import_kad(full_conf, &cfg);
	assert_int_equal(cfg.nservices, 1);
	s = svc_named(&cfg, "10.0.0.100-80");
	assert_string_equal(s->method, "dr");
	assert_string_equal(s->scheduler, "wlc");
	assert_int_equal(s->persistence_ms, 300000);
	assert_false(s->udp);
	assert_int_equal(s->nreals, 2);
	assert_int_equal(s->reals[0].weight, 3);
	assert_int_equal(s->reals[1].port, 0);
	assert_true(s->health.set);
	assert_int_equal(s->health.kind, HEALTH_HTTP);
	assert_string_equal(s->health.path, "/health");
	assert_string_equal(s->health.host, "www.example.com");
	assert_int_equal(s->health.expect_status, 200);
	assert_int_equal(s->health.port, 8080); /* both reals' connect_port */
	assert_int_equal(s->health.interval_ms, 2000);
	assert_int_equal(s->health.timeout_ms, 1500);
	assert_int_equal(s->health.fall, 3); /* the failure and 2 retries */
	assert_int_equal(s->health.rise, 1);
	assert_int_equal(s->health.on_failure, HEALTH_ON_FAILURE_WEIGHT0);
	assert_true(s->has_sorry);
	assert_string_equal(s->sorry_addr, "10.0.1.99");
	assert_int_equal(s->quorum, 1); /* weight sum 2 with weights of 3: one real */

	assert_int_equal(cfg.nvrrp, 1);
	v = &cfg.vrrp[0];
	assert_string_equal(v->name, "VI_1");
	assert_string_equal(v->iface, "eth1");
	assert_int_equal(v->vrid, 61);
	assert_int_equal(v->priority, 150);
	assert_int_equal(v->advert_ms, 200);
	assert_false(v->preempt);
	assert_int_equal(v->preempt_delay_ms, 5000);
	assert_int_equal(v->naddrs, 2);
	assert_string_equal(v->addrs[1], "10.0.0.101");
	assert_int_equal(v->npeers, 1);
	assert_int_equal(v->ntracks, 2);
	assert_string_equal(v->tracks[0].name, "eth2");
	assert_int_equal(v->tracks[0].weight, 0);
	assert_string_equal(v->tracks[1].name, "eth3");
	assert_int_equal(v->tracks[1].weight, -20);

	/*
	 * router_id, state, authentication, track_interface eth1 (the instance's own)
	 * and eth4 (reverse), /24, digest, delay_before_retry.
	 */
	assert_int_equal(commented(&cfg), 8);
	assert_int_equal(check_with_xlbd(&cfg, &yaml), 1);
	assert_non_null(strstr(yaml, "      track_interface: [eth2, {name: eth3, weight: -20}]\n"));
	assert_non_null(strstr(yaml, "eth4 weight 5 reverse: xlb takes a name and a weight"));
	free(yaml);
	imp_config_free(&cfg);
}

static void test_map_defaults_and_notes(void **state)
{
	/* No lb_kind, lb_algo, delay_loop: keepalived's NAT, wlc, 60 s, 5 s, retry 1. */
	static const char text[] = "virtual_server 192.0.2.1 53 {\n"
				   "  protocol UDP\n"
				   "  ops\n"
				   "  real_server 192.0.2.11 5353 {\n"
				   "    UDP_CHECK {\n"
				   "      payload 00ff\n"
				   "    }\n"
				   "  }\n"
				   "  real_server 192.0.2.12 {\n"
				   "  }\n"
				   "}\n";
	struct imp_config cfg;
	const struct imp_service *s;
	char *yaml;

	import_kad(text, &cfg);
	s = svc_named(&cfg, "192.0.2.1-53-udp");
	assert_true(s->udp);
	assert_string_equal(s->method, "nat");
	assert_string_equal(s->scheduler, "wlc");
	assert_int_equal(s->reals[0].port, 5353);
	assert_int_equal(s->reals[1].port, 0); /* NAT without a port: the service's */
	assert_int_equal(s->health.kind, HEALTH_UDP);
	assert_int_equal(s->health.interval_ms, 60000);
	assert_int_equal(s->health.timeout_ms, 5000);
	assert_int_equal(s->health.fall, 2);
	/* ops, payload, and the real keepalived does not check. */
	assert_int_equal(commented(&cfg), 3);
	assert_int_equal(check_with_xlbd(&cfg, &yaml), 1);
	assert_non_null(strstr(yaml, "# keepalived ka.conf:3: ops: xlb has no one-packet"));
	assert_non_null(strstr(yaml, "keepalived does not check this real"));
	assert_non_null(strstr(yaml, "PLACEHOLDER"));
	free(yaml);
	imp_config_free(&cfg);
}

static void test_map_groups_fwmark_ipv6(void **state)
{
	static const char text[] = "virtual_server_group G {\n"
				   "  10.1.0.1-3 80\n"
				   "  2001:db8::1 80\n"
				   "  fwmark 7\n"
				   "}\n"
				   "virtual_server group G {\n"
				   "  lb_kind TUN type gue port 6080\n"
				   "  real_server 10.2.0.1 80 {\n"
				   "    MISC_CHECK {\n"
				   "      misc_path \"/usr/bin/check \\\"quoted\\\" arg\"\n"
				   "      misc_timeout 4\n"
				   "      misc_dynamic\n"
				   "    }\n"
				   "  }\n"
				   "}\n"
				   "virtual_server fwmark 1 {\n"
				   "  real_server 10.2.0.2 80 {\n"
				   "  }\n"
				   "}\n"
				   "virtual_server 2001:db8::80 443 {\n"
				   "  lb_kind DR\n"
				   "  real_server 2001:db8::81 443 {\n"
				   "    SSL_GET {\n"
				   "      url {\n"
				   "        path \"/a path\"\n"
				   "        status_code 200-299\n"
				   "      }\n"
				   "    }\n"
				   "  }\n"
				   "  real_server 10.9.9.9 443 {\n"
				   "  }\n"
				   "}\n"
				   "virtual_server 10.3.0.1 0 {\n"
				   "  real_server 10.2.0.3 80 {\n"
				   "  }\n"
				   "}\n";
	struct imp_config cfg;
	const struct imp_service *s;
	char *yaml;

	import_kad(text, &cfg);
	/* 10.1.0.1, .2, .3; the IPv6 entry is of another family; fwmark, port 0: comments. */
	s = svc_named(&cfg, "G-10.1.0.3-80");
	assert_string_equal(s->method, "gue");
	assert_int_equal(s->gue_port, 6080);
	assert_int_equal(s->health.kind, HEALTH_SCRIPT);
	assert_int_equal(s->health.timeout_ms, 4000);
	s = svc_named(&cfg, "2001_db8__80-443");
	assert_int_equal(s->nreals, 1);
	assert_int_equal(s->health.kind, HEALTH_HTTPS);
	assert_string_equal(s->health.path, "/");
	assert_int_equal(check_with_xlbd(&cfg, &yaml), 4);
	assert_non_null(strstr(yaml, "command: \"/usr/bin/check"));
	assert_non_null(strstr(yaml, "xlb has no fwmark services"));
	assert_non_null(strstr(yaml, "its reals: 10.2.0.2"));
	assert_non_null(strstr(yaml, "keepalived's port 0"));
	assert_non_null(strstr(yaml, "misc_dynamic"));
	assert_non_null(strstr(yaml, "status_code 200-299"));
	free(yaml);
	imp_config_free(&cfg);
}

static void expect_map_error(const char *text, const char *msg)
{
	struct imp_config cfg;
	struct capture err;
	struct kad_doc doc;

	imp_config_init(&cfg, "keepalived", "ka.conf");
	assert_int_equal(read_kad(text, &doc, &err), 0);
	assert_int_equal(kad_map(&doc, &cfg, err.f), -1);
	if (!strstr(cap_text(&err), msg))
		fail_msg("expected '%s' in: %s", msg, cap_text(&err));
	kad_free(&doc);
	cap_close(&err);
	imp_config_free(&cfg);
}

static void test_map_errors(void **state)
{
	expect_map_error("virtual_server 10.0.0.1 80 {\n lb_algo fastest\n}\n",
			 "ka.conf:2: unknown lb_algo 'fastest' (expected an IPVS scheduler");
	expect_map_error("virtual_server 10.0.0.1 80 {\n lb_kind BRIDGE\n}\n",
			 "ka.conf:2: unknown lb_kind 'BRIDGE' (expected NAT, DR or TUN)");
	expect_map_error("virtual_server 10.0.0.300 80 {\n}\n",
			 "ka.conf:1: bad virtual_server address '10.0.0.300'");
	expect_map_error("vrrp_instance V {\n virtual_router_id 256\n}\n",
			 "ka.conf:2: bad virtual_router_id '256' (expected 1..255)");
	expect_map_error("virtual_server 10.0.0.1 80 {\n real_server 10.0.0.2 80 {\n"
			 "  TCP_CHECK {\n   connect_timeout soon\n  }\n }\n}\n",
			 "ka.conf:4: bad connect_timeout 'soon' (expected seconds");
}

static void test_map_vrrp_limits(void **state)
{
	char text[8192] = "";
	struct imp_config cfg;
	size_t off = 0, omitted = 0;
	char *yaml;

	/* 17 instances (xlb takes 16), one of them a duplicate VRID, one without addresses. */
	for (int i = 1; i <= 17; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off,
					"vrrp_instance V%d {\n interface eth0\n virtual_router_id %d\n"
					" virtual_ipaddress {\n  10.0.%d.1\n }\n}\n",
					i, i == 2 ? 1 : i, i);
	off += (size_t)snprintf(text + off, sizeof(text) - off,
				"vrrp_instance empty {\n interface eth0\n virtual_router_id 99\n}\n");
	import_kad(text, &cfg);
	for (size_t i = 0; i < cfg.nvrrp; i++)
		omitted += cfg.vrrp[i].omitted;
	assert_int_equal(cfg.nvrrp, 18);
	assert_int_equal(omitted, 2); /* V2 (same VRID as V1), empty */
	check_with_xlbd(&cfg, &yaml);
	assert_non_null(strstr(yaml, "the same interface, VRID and family as instance V1"));
	assert_non_null(strstr(yaml, "speaks VRRPv2 here"));
	free(yaml);
	imp_config_free(&cfg);
}

/* ---------------------------------------------------------------- ipvsadm */

static int import_ipvsadm(const char *text, struct imp_config *cfg, struct capture *err)
{
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	int rc;

	assert_non_null(in);
	imp_config_init(cfg, "ipvsadm", "rules");
	rc = ipvsadm_import("rules", in, cfg, cap_open(err));
	fclose(in);
	return rc;
}

static void test_ipvsadm(void **state)
{
	static const char text[] = "-A -t 10.0.0.1:80 -s wlc -p 300\n"
				   "-a -t 10.0.0.1:80 -r 10.0.1.1:80 -g -w 2\n"
				   "-a -t 10.0.0.1:80 -r 10.0.1.2:8080 -g -w 1 -x 100\n"
				   "-A -u [2001:db8::1]:53 -s sh -b sh-port,sh-fallback\n"
				   "-a -u [2001:db8::1]:53 -r [2001:db8::11]:5353 -m -w 1\n"
				   "-A -f 1 -s rr\n"
				   "-a -f 1 -r 10.0.1.3:0 -m -w 1\n"
				   "-A -t 10.0.0.2:443 -s rr -o\n"
				   "ipvsadm -A -t 10.0.0.3:80 -s mh\n"
				   "-a -t 10.0.0.3:80 -r 10.0.1.4:80 -i --tun-type gue --tun-port 6081\n";
	struct imp_config cfg;
	struct capture err;
	const struct imp_service *s;
	char *yaml;

	assert_int_equal(import_ipvsadm(text, &cfg, &err), 0);
	s = svc_named(&cfg, "10.0.0.1-80");
	assert_string_equal(s->method, "dr");
	assert_int_equal(s->persistence_ms, 300000);
	assert_int_equal(s->reals[0].weight, 2);
	assert_int_equal(s->reals[1].port, 0); /* -g cannot change ports */
	s = svc_named(&cfg, "2001_db8__1-53-udp");
	assert_string_equal(s->method, "nat");
	assert_true(s->flag_port && s->flag_fallback);
	assert_int_equal(s->reals[0].port, 5353);
	s = svc_named(&cfg, "10.0.0.3-80");
	assert_string_equal(s->method, "gue");
	assert_int_equal(s->gue_port, 6081);
	/* -x, fwmark service, its real, -o, 10.0.0.2:443 without reals. */
	assert_int_equal(commented(&cfg), 5);
	assert_int_equal(check_with_xlbd(&cfg, &yaml), 3);
	assert_non_null(strstr(yaml, "# ipvsadm rules:6: -f 1: xlb has no fwmark services"));
	free(yaml);
	cap_close(&err);
	imp_config_free(&cfg);

	assert_int_equal(import_ipvsadm("-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.9:80 -r 10.0.1.1:80\n"
					"-A -t 10.0.0.1:80 --frobnicate\n",
					&cfg, &err),
			 -1);
	assert_non_null(strstr(cap_text(&err), "rules:2: real server for service 10.0.0.9:80, which no -A"));
	assert_non_null(strstr(cap_text(&err), "rules:3: unknown option '--frobnicate'"));
	cap_close(&err);
	imp_config_free(&cfg);
}

/* ---------------------------------------------------------------- values */

static void test_values(void **state)
{
	uint64_t ms;
	char buf[32], name[CONFIG_NAME_MAX];

	assert_true(imp_parse_seconds("1.5", &ms) && ms == 1500);
	assert_true(imp_parse_seconds("0.0001", &ms) && ms == 1); /* rounded up, never 0 */
	assert_true(imp_parse_seconds("60", &ms) && ms == 60000);
	assert_false(imp_parse_seconds("1.", &ms));
	assert_false(imp_parse_seconds("1.0000001", &ms));
	assert_false(imp_parse_seconds("-1", &ms));
	assert_string_equal(imp_duration(200, buf, sizeof(buf)), "200ms");
	assert_string_equal(imp_duration(6000, buf, sizeof(buf)), "6s");
	assert_string_equal(imp_duration(900000, buf, sizeof(buf)), "15m");
	assert_string_equal(imp_duration(7200000, buf, sizeof(buf)), "2h");
	imp_make_name(name, sizeof(name), "a b/c:d");
	assert_string_equal(name, "a_b_c_d");
	assert_null(imp_scheduler("lbclr"));
	assert_string_equal(imp_scheduler("lblcr"), "lblcr");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lex_words_comments_braces),
		cmocka_unit_test(test_lex_conditional_and_definitions),
		cmocka_unit_test(test_lex_errors),
		cmocka_unit_test(test_lex_include_glob),
		cmocka_unit_test(test_map_full),
		cmocka_unit_test(test_map_defaults_and_notes),
		cmocka_unit_test(test_map_groups_fwmark_ipv6),
		cmocka_unit_test(test_map_errors),
		cmocka_unit_test(test_map_vrrp_limits),
		cmocka_unit_test(test_ipvsadm),
		cmocka_unit_test(test_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
