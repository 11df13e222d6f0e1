// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A reload is one transaction (model_apply.c): with the real data plane,
 * real interfaces (veths in a network namespace of the test's own) and
 * configs read by the real parser, a failure injected at each step of a
 * reload in turn (a program swap, an attach, each map write, a detach)
 * must leave everything as it was: every map entry, the attached
 * interfaces and their program, the ids and the running config. And a
 * config that replaces every service and real at the limits applies.
 */
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_link.h>

#include "dataplane.h"
#include "dataplane_test.h"
#include "dp_spec.h"
#include "log.h"
#include "model.h"
#include "neigh.h"

static char dir[] = "/tmp/xlb-test-reload.XXXXXX";

/*
 * A and B need the same program (methods dr, nat, fnat; schedulers ring,
 * mh, wlc), so the step-by-step loops below do not load one per step.
 * A to B: xa0 re-attached in generic mode, xb0 attached, reals replaced,
 * a service removed and one added. C needs tun and no longer fnat: the
 * program is widened, then narrowed.
 */
#define SVC_WEB(r2)                                                                                \
	"  - name: web\n    vip: 10.9.0.100\n    port: 80\n    method: dr\n    scheduler: rr\n"    \
	"    reals:\n      - address: 10.9.0.11\n      - address: " r2 "\n"
#define SVC_DNS                                                                                    \
	"  - name: dns\n    vip: 10.9.0.101\n    port: 53\n    protocol: udp\n    method: dr\n"    \
	"    scheduler: wrr\n    reals:\n      - address: 10.9.0.21\n        weight: 2\n"          \
	"      - address: 10.9.0.22\n"
#define SVC_NAT(r2)                                                                                \
	"  - name: nat\n    vip: 10.9.1.100\n    port: 80\n    method: nat\n    scheduler: mh\n"   \
	"    reals:\n      - address: 10.9.1.11\n      - address: " r2 "\n"
#define SVC_FNAT                                                                                   \
	"  - name: fnat\n    vip: 10.9.1.101\n    port: 443\n    method: fnat\n"                   \
	"    local_addresses: [10.9.1.1]\n    scheduler: wlc\n    reals:\n"                        \
	"      - address: 10.9.1.21\n"
#define SVC_NAT2                                                                                   \
	"  - name: nat2\n    vip: 10.9.1.102\n    port: 8080\n    method: nat\n"                   \
	"    scheduler: rr\n    reals:\n      - address: 10.9.1.31\n"
#define SVC_TUN                                                                                    \
	"  - name: tun\n    vip: 10.9.0.103\n    port: 80\n    method: tun\n    scheduler: rr\n"   \
	"    reals:\n      - address: 10.9.0.41\n"

static const char *const cfg_a =
    "interfaces:\n  - name: xa0\n    mode: native\n"
    "services:\n" SVC_WEB("10.9.0.12") SVC_DNS SVC_NAT("10.9.1.12") SVC_FNAT;
static const char *const cfg_b =
    "interfaces:\n  - name: xa0\n    mode: generic\n"
    "  - name: xb0\n    mode: native\n"
    "services:\n" SVC_WEB("10.9.0.13") SVC_NAT("10.9.1.13") SVC_FNAT SVC_NAT2;
static const char *const cfg_c =
    "interfaces:\n  - name: xa0\n    mode: native\n"
    "services:\n" SVC_WEB("10.9.0.12") SVC_DNS SVC_NAT("10.9.1.12") SVC_TUN;

static struct dataplane *dp;
static struct neigh_ctx *neigh;
static struct model m;

static int sh(const char *cmd)
{
	int rc = system(cmd);

	if (rc != 0)
		fprintf(stderr, "failed (%d): %s\n", rc, cmd);
	return rc;
}

static void write_file(const char *name, const char *text, char *path, size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void load(const char *name, const char *text, struct xlb_config *cfg)
{
	struct config_errors errs = {};
	char path[256];

	write_file(name, text, path, sizeof(path));
	memset(cfg, 0, sizeof(*cfg));
	if (config_load(path, cfg, &errs) < 0) {
		for (size_t i = 0; i < errs.count; i++)
			fprintf(stderr, "%s\n", errs.msgs[i]);
		fail_msg("%s does not load", name);
	}
	config_errors_free(&errs);
}

/* ---- what "nothing changed" means ---- */

/* A hash of @n bytes, a word at a time (the maps hold tens of megabytes). */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t w;

		memcpy(&w, b + i, 8);
		h = (h ^ w) * 0x100000001b3ull;
		h ^= h >> 29;
	}
	for (; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

/*
 * Every entry of @map: arrays in index order (their first @limit entries),
 * hashes as an order-free sum.
 */
static uint64_t map_digest(const struct bpf_map *map, uint32_t limit)
{
	enum bpf_map_type t = bpf_map__type(map);
	bool array = t == BPF_MAP_TYPE_ARRAY || t == BPF_MAP_TYPE_PERCPU_ARRAY;
	bool percpu = t == BPF_MAP_TYPE_PERCPU_ARRAY || t == BPF_MAP_TYPE_PERCPU_HASH ||
		      t == BPF_MAP_TYPE_LRU_PERCPU_HASH;
	uint32_t ksz = bpf_map__key_size(map), vsz = bpf_map__value_size(map);
	size_t vlen = percpu ? (vsz + 7) / 8 * 8 * (size_t)libbpf_num_possible_cpus() : vsz;
	unsigned char *key = calloc(1, ksz), *next = calloc(1, ksz), *val = malloc(vlen);
	int fd = bpf_map__fd(map);
	uint64_t sum = 0;
	bool first = true;

	assert_non_null(key);
	assert_non_null(next);
	assert_non_null(val);
	if (array) {
		/* arrays in batches: mh_tables has millions of buckets */
		uint32_t batch = (uint32_t)((4u << 20) / vlen) ?: 1;

		if (batch > limit)
			batch = limit;
		uint32_t *keys = malloc(batch * sizeof(*keys));
		unsigned char *vals = malloc(batch * vlen);
		uint32_t pos = 0, done = 0;

		assert_non_null(keys);
		assert_non_null(vals);
		for (;;) {
			__u32 n = batch;
			int ret = bpf_map_lookup_batch(fd, first ? NULL : &pos, &pos, keys, vals,
						       &n, NULL);

			assert_true(ret == 0 || errno == ENOENT);
			first = false;
			/* in index order: a whole batch at once */
			sum = fnv(fnv(sum, keys, n * sizeof(*keys)), vals, n * vlen);
			done += n;
			if (done >= limit)
				break;
			if (ret < 0)
				break;
		}
		free(keys);
		free(vals);
	} else {
		while (bpf_map_get_next_key(fd, first ? NULL : key, next) == 0) {
			first = false;
			memcpy(key, next, ksz);
			if (bpf_map_lookup_elem(fd, key, val) == 0)
				sum += fnv(fnv(0xcbf29ce484222325ull, key, ksz), val, vlen);
		}
	}
	free(key);
	free(next);
	free(val);
	return sum;
}

#define MAX_MAPS 32

struct snapshot {
	char map_name[MAX_MAPS][32];
	uint64_t map_sum[MAX_MAPS];
	int nmaps;
	struct model_ids *ids;
	struct service *services;
	size_t nservices;
	struct iface *ifaces;
	size_t nifaces;
	char cfg_path[CONFIG_PATH_MAX];
	struct xlb_dp_spec spec;
	struct bpf_object *obj; /* the loaded program's */
	__u32 prog[2];		/* XDP program id on xa0, xb0 (0: none) */
	__u8 mode[2];		/* XDP_ATTACHED_* */
};

static void iface_state(const char *name, __u32 *prog, __u8 *mode)
{
	int ifindex = (int)if_nametoindex(name);
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	*prog = 0;
	*mode = 0;
	if (ifindex && bpf_xdp_query(ifindex, 0, &q) == 0) {
		*prog = q.prog_id;
		*mode = q.attach_mode;
	}
}

/*
 * The arrays indexed by id are big (rings 32 MB, Maglev tables 8 MB, 65536
 * reals) and slow to read on a busy machine: the step-by-step tests compare
 * the part their services can reach (checked by ids_in_reach); the limits
 * test compares everything.
 */
#define TEST_SVC_IDS 32
#define TEST_REAL_IDS 256
#define TEST_MH_SLOTS 4

static bool compare_all;

static uint32_t map_limit(const struct bpf_map *map)
{
	const char *name = bpf_map__name(map);

	if (compare_all)
		return UINT32_MAX;
	if (!strcmp(name, "sched_rings"))
		return TEST_SVC_IDS * 2;
	if (!strcmp(name, "svc_by_id") || !strcmp(name, "svc_stats"))
		return TEST_SVC_IDS;
	if (!strcmp(name, "mh_tables"))
		return TEST_MH_SLOTS * 2 * XLB_MH_TABLE_SIZE;
	if (!strcmp(name, "reals") || !strcmp(name, "real_stats") || !strcmp(name, "real_conns") ||
	    !strcmp(name, "real_conns_swept"))
		return TEST_REAL_IDS;
	return UINT32_MAX;
}

static void ids_in_reach(void)
{
	for (size_t i = 0; i < m.nservices; i++) {
		assert_true(m.services[i].id < TEST_SVC_IDS);
		assert_true(m.services[i].mh_slot < TEST_MH_SLOTS);
		for (size_t j = 0; j < m.services[i].nreals; j++)
			assert_true(m.services[i].reals[j].id < TEST_REAL_IDS);
	}
}

static void snapshot_take(struct snapshot *s)
{
	struct bpf_map *map;

	memset(s, 0, sizeof(*s));
	s->obj = dataplane_bpf_object(dp);
	bpf_object__for_each_map(map, s->obj)
	{
		/* global_stats counts what arrives on the veths (neighbour discovery...) */
		if (bpf_map__type(map) == BPF_MAP_TYPE_RINGBUF || bpf_map__is_internal(map) ||
		    !strcmp(bpf_map__name(map), "global_stats"))
			continue;
		assert_true(s->nmaps < MAX_MAPS);
		snprintf(s->map_name[s->nmaps], sizeof(s->map_name[0]), "%s", bpf_map__name(map));
		s->map_sum[s->nmaps++] = map_digest(map, map_limit(map));
	}
	s->ids = malloc(sizeof(*s->ids));
	assert_non_null(s->ids);
	*s->ids = m.ids;
	s->services = m.services;
	s->nservices = m.nservices;
	s->ifaces = m.ifaces;
	s->nifaces = m.nifaces;
	snprintf(s->cfg_path, sizeof(s->cfg_path), "%s", m.cfg.path);
	s->spec = *dataplane_spec(dp);
	iface_state("xa0", &s->prog[0], &s->mode[0]);
	iface_state("xb0", &s->prog[1], &s->mode[1]);
}

/* @why: the reload's reason, printed with what differs. */
static void snapshot_same(const struct snapshot *was, const char *why)
{
	struct snapshot now;

	snapshot_take(&now);
	for (int i = 0; i < was->nmaps; i++)
		if (was->map_sum[i] != now.map_sum[i] || strcmp(was->map_name[i], now.map_name[i]))
			fail_msg("map %s changed after a failed reload (%s)", was->map_name[i],
				 why);
	assert_int_equal(was->nmaps, now.nmaps);
	assert_ptr_equal(was->obj, now.obj);
	assert_memory_equal(&was->spec, &now.spec, sizeof(was->spec));
	for (int i = 0; i < 2; i++) {
		if (was->prog[i] != now.prog[i] || was->mode[i] != now.mode[i])
			fail_msg("%s: program %u mode %u, was %u mode %u (%s)", i ? "xb0" : "xa0",
				 now.prog[i], now.mode[i], was->prog[i], was->mode[i], why);
	}
	assert_memory_equal(was->ids, now.ids, sizeof(*was->ids));
	assert_ptr_equal(was->services, now.services);
	assert_int_equal(was->nservices, now.nservices);
	assert_ptr_equal(was->ifaces, now.ifaces);
	assert_int_equal(was->nifaces, now.nifaces);
	assert_string_equal(was->cfg_path, now.cfg_path);
	free(now.ids);
}

/* ---- fixture: a namespace with two veth pairs, the data plane for config A ---- */

static int group_setup(void **state)
{
	struct xlb_config a = {};
	struct xlb_dp_spec spec;
	struct dp_sizes sizes = {.max_flows = 4096};
	struct config_errors errs = {};
	char path[256];
	FILE *f;

	(void)state;
	if (unshare(CLONE_NEWNET) < 0) {
		perror("unshare");
		return -1;
	}
	if (sh("ip link set lo up") || sh("sysctl -qw net.ipv6.conf.all.disable_ipv6=1") ||
	    sh("sysctl -qw net.ipv6.conf.default.disable_ipv6=1") ||
	    sh("ip link add xa0 type veth peer name xa1") ||
	    sh("ip link add xb0 type veth peer name xb1") ||
	    sh("for i in xa0 xa1 xb0 xb1; do ip link set $i up || exit 1; done") ||
	    sh("ip addr add 10.9.0.1/24 dev xa0") || sh("ip addr add 10.9.1.1/24 dev xb0"))
		return -1;
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/a.yaml", dir);
	f = fopen(path, "w");
	if (!f || fputs(cfg_a, f) < 0 || fclose(f))
		return -1;
	if (config_load(path, &a, &errs) < 0)
		return -1;
	config_errors_free(&errs);
	dp_spec_from_config(&a, &spec);
	config_free(&a);
	if (dataplane_open_spec(NULL, &sizes, &spec, &dp) || neigh_open(&neigh))
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	char cmd[300];

	(void)state;
	model_shutdown(&m);
	dataplane_close(dp);
	neigh_close(neigh);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) ? -1 : 0;
}

/*
 * Applies @text over the running state with a failure at step 0, 1, 2, ...
 * until it goes through; after every failure the snapshot must match.
 * Returns how many steps failed; @seen collects the reasons' kinds.
 */
static long apply_with_failures(const char *name, const char *text, unsigned *seen)
{
	long n;

	struct snapshot was;

	/* every failed apply must come back to it */
	ids_in_reach();
	snapshot_take(&was);
	for (n = 0;; n++) {
		struct xlb_config cfg;
		char why[256] = "";
		long left;
		int err;

		load(name, text, &cfg);
		dataplane_test_fail_step(dp, n);
		err = model_apply(&m, &cfg, why, sizeof(why));
		left = dataplane_test_fail_left(dp);
		dataplane_test_fail_step(dp, -1);
		if (!err) {
			ids_in_reach();
			/* applied: only because the reload has fewer steps, never despite a failure
			 */
			if (left < 0)
				fail_msg(
				    "%s: step %ld failed and the reload still reported success",
				    name, n);
			free(was.ids);
			return n;
		}
		config_free(&cfg);
		assert_int_not_equal(why[0], '\0');
		*seen |= strstr(why, "cannot load a program") ? 1u : 0;
		*seen |= strstr(why, "cannot attach") ? 2u : 0;
		*seen |= strstr(why, "cannot write") ? 4u : 0;
		*seen |= strstr(why, "cannot remove") ? 8u : 0;
		*seen |= strstr(why, "cannot detach") ? 16u : 0;
		snapshot_same(&was, why);
		assert_true(n < 100000);
	}
}

static void test_failure_at_each_step(void **state)
{
	struct xlb_config a;
	char why[256];
	unsigned seen = 0;
	long steps;

	(void)state;
	model_init(&m, dp, neigh);
	load("a.yaml", cfg_a, &a);
	assert_int_equal(model_apply(&m, &a, why, sizeof(why)), 0);

	steps = apply_with_failures("b.yaml", cfg_b, &seen);
	printf("A -> B: %ld steps, each failed once and was undone\n", steps);
	assert_true(steps >= 20);
	assert_int_equal(seen & (2u | 4u | 8u), 2u | 4u | 8u);
	assert_int_equal(m.nservices, 4);
	assert_string_equal(m.services[3].cfg.name, "nat2");
	assert_int_equal(m.nifaces, 2);

	steps = apply_with_failures("a.yaml", cfg_a, &seen);
	printf("B -> A: %ld steps, each failed once and was undone\n", steps);
	assert_true(seen & 16u);
	assert_int_equal(m.nservices, 4);
	assert_string_equal(m.services[1].cfg.name, "dns");
	{
		__u32 prog;
		__u8 mode;

		iface_state("xb0", &prog, &mode);
		assert_int_equal(prog, 0); /* detached */
		iface_state("xa0", &prog, &mode);
		assert_int_equal(mode, XDP_ATTACHED_DRV);
	}
}

/* A to C widens the program (tun) and narrows it (no fnat): either swap failing is undone. */
static void test_program_swap_fails(void **state)
{
	struct xlb_config cfg;
	struct xlb_dp_spec want;
	struct snapshot was;
	char why[256];
	long total;

	(void)state;
	/* how many steps A to C takes: apply it, then go back */
	load("c.yaml", cfg_c, &cfg);
	dataplane_test_fail_step(dp, 1000000);
	assert_int_equal(model_apply(&m, &cfg, why, sizeof(why)), 0);
	total = 1000000 - dataplane_test_fail_left(dp);
	dataplane_test_fail_step(dp, -1);
	dp_spec_from_config(&m.cfg, &want);
	assert_true(dp_spec_equal(dataplane_spec(dp), &want));
	load("a.yaml", cfg_a, &cfg);
	assert_int_equal(model_apply(&m, &cfg, why, sizeof(why)), 0);

	/* the first step (widening) and the last (narrowing) */
	for (int i = 0; i < 2; i++) {
		load("c.yaml", cfg_c, &cfg);
		snapshot_take(&was);
		dataplane_test_fail_step(dp, i == 0 ? 0 : total - 1);
		assert_int_not_equal(model_apply(&m, &cfg, why, sizeof(why)), 0);
		dataplane_test_fail_step(dp, -1);
		printf("A -> C, step %ld of %ld failed: %s\n", i == 0 ? 0 : total - 1, total, why);
		assert_non_null(strstr(why, "cannot load a program"));
		snapshot_same(&was, why);
		free(was.ids);
		config_free(&cfg);
	}
}

/* @gen-th config at the limits: every service and real differs from the other one's. */
static char *limits_config(int gen)
{
	size_t cap = 8u << 20, len = 0;
	char *t = malloc(cap);
	int per = XLB_MAX_REALS / XLB_MAX_SERVICES;

	assert_non_null(t);
	len += (size_t)snprintf(t + len, cap - len, "interfaces:\n  - name: xa0\nservices:\n");
	for (int s = 0; s < XLB_MAX_SERVICES; s++) {
		len += (size_t)snprintf(t + len, cap - len,
					"  - name: s%d_%d\n    vip: 10.%d.%d.%d\n    port: 80\n"
					"    method: dr\n    scheduler: rr\n    reals:\n",
					gen, s, 100 + gen, s / 256, s % 256);
		for (int r = 0; r < per; r++)
			len +=
			    (size_t)snprintf(t + len, cap - len, "      - address: 172.%d.%d.%d\n",
					     16 + gen, s / 4, (s % 4) * 64 + r);
		assert_true(len < cap - 256);
	}
	return t;
}

static void test_replace_everything_at_the_limits(void **state)
{
	char *c1 = limits_config(1), *c2 = limits_config(2);
	struct xlb_config cfg;
	char why[256] = "";

	(void)state;
	load("l1.yaml", c1, &cfg);
	assert_int_equal(cfg.nservices, XLB_MAX_SERVICES);
	if (model_apply(&m, &cfg, why, sizeof(why)))
		fail_msg("first limits config: %s", why);
	load("l2.yaml", c2, &cfg);
	/* a late failure (after most writes) is undone too */
	compare_all = true;
	{
		struct snapshot was;

		snapshot_take(&was);
		dataplane_test_fail_step(dp, 3 * XLB_MAX_REALS / 2);
		assert_int_not_equal(model_apply(&m, &cfg, why, sizeof(why)), 0);
		dataplane_test_fail_step(dp, -1);
		snapshot_same(&was, why);
		free(was.ids);
	}
	if (model_apply(&m, &cfg, why, sizeof(why)))
		fail_msg("replacing every service and real at the limits: %s", why);
	assert_int_equal(m.nservices, XLB_MAX_SERVICES);
	for (size_t i = 0; i < m.nservices; i++) {
		assert_int_equal(strncmp(m.services[i].cfg.name, "s2_", 3), 0);
		assert_int_equal(m.services[i].nreals, XLB_MAX_REALS / XLB_MAX_SERVICES);
	}
	free(c1);
	free(c2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_failure_at_each_step),
	    cmocka_unit_test(test_program_swap_fails),
	    cmocka_unit_test(test_replace_everything_at_the_limits),
	};

	log_set_level(LOG_LVL_ERROR);
	if (geteuid() != 0) {
		fprintf(stderr, "test_pkt_reload: needs root (BPF, namespaces), skipped\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
