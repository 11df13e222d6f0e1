// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The VRRP thread (src/ha/vrrp.c): it advertises, times out and takes the
 * addresses while its caller does something else entirely; vrrp_apply and
 * vrrp_json from the caller's thread; vrrp_close releases. Runs in a network
 * namespace of its own with a veth pair (needs root; skipped without).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <ifaddrs.h>
#include <json-c/json.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ha/vrrp.h"

#define DEV "vt0"
#define LOCAL4 "10.9.0.1"
#define VIP_A "10.9.0.100"
#define VIP_B "10.9.0.101"

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool has_addr(const char *text)
{
	struct ifaddrs *list, *ifa;
	struct in_addr want;
	bool found = false;

	inet_pton(AF_INET, text, &want);
	if (getifaddrs(&list) < 0)
		return false;
	for (ifa = list; ifa; ifa = ifa->ifa_next)
		if (ifa->ifa_addr && ifa->ifa_addr->sa_family == AF_INET &&
		    strcmp(ifa->ifa_name, DEV) == 0 &&
		    ((struct sockaddr_in *)ifa->ifa_addr)->sin_addr.s_addr == want.s_addr)
			found = true;
	freeifaddrs(list);
	return found;
}

static struct ha_vrrp_config instance(uint8_t prio, const char *iface)
{
	struct ha_vrrp_config c;

	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "vt");
	snprintf(c.iface, sizeof(c.iface), "%s", iface);
	c.vrid = 42;
	c.priority = prio;
	c.family = AF_INET;
	c.preempt = true;
	c.advert_cs = 10; /* 100 ms */
	net_addr_parse(VIP_A, &c.addrs[0]);
	c.naddrs = 1;
	return c;
}

/* The first instance's field @key as the caller sees it (a new JSON each time). */
static json_object *first(struct vrrp_ctx *ctx, json_object **doc)
{
	json_object *list;

	*doc = vrrp_json(ctx);
	assert_true(json_object_object_get_ex(*doc, "instances", &list));
	assert_int_equal(json_object_array_length(list), 1);
	return json_object_array_get_idx(list, 0);
}

static const char *state_of(struct vrrp_ctx *ctx, char *buf, size_t size)
{
	json_object *doc, *st;

	assert_true(json_object_object_get_ex(first(ctx, &doc), "state", &st));
	snprintf(buf, size, "%s", json_object_get_string(st));
	json_object_put(doc);
	return buf;
}

static int64_t counter(struct vrrp_ctx *ctx, const char *key)
{
	json_object *doc, *cnt, *v;
	int64_t n;

	assert_true(json_object_object_get_ex(first(ctx, &doc), "counters", &cnt));
	assert_true(json_object_object_get_ex(cnt, key, &v));
	n = json_object_get_int64(v);
	json_object_put(doc);
	return n;
}

static int64_t field(struct vrrp_ctx *ctx, const char *key)
{
	json_object *doc, *v;
	int64_t n;

	assert_true(json_object_object_get_ex(first(ctx, &doc), key, &v));
	n = json_object_get_int64(v);
	json_object_put(doc);
	return n;
}

/* Polls vrrp_json (from this thread, as xlbd's main thread does) until @state. */
static bool wait_state(struct vrrp_ctx *ctx, const char *state, uint64_t ms)
{
	uint64_t end = now_ms() + ms;
	char buf[16];

	do {
		if (strcmp(state_of(ctx, buf, sizeof(buf)), state) == 0)
			return true;
		usleep(2000);
	} while (now_ms() < end);
	return false;
}

static void test_thread_runs_vrrp(void **state)
{
	struct ha_config cfg = {.nvrrp = 1};
	struct vrrp_ctx *ctx;
	int64_t tx, trans;
	char buf[16];

	cfg.vrrp[0] = instance(100, DEV);
	assert_int_equal(vrrp_open(&cfg, &ctx), 0);
	assert_string_equal(state_of(ctx, buf, sizeof(buf)), "backup");
	assert_false(has_addr(VIP_A));
	/* Nobody else on the link: master after Master_Down_Interval (361 ms). */
	assert_true(wait_state(ctx, "master", 3000));
	assert_true(has_addr(VIP_A));

	/*
	 * The caller is busy for a second and calls nothing: the adverts go out
	 * regardless (every 100 ms). With VRRP in the caller's event loop, none did.
	 */
	{
		uint64_t t0 = now_ms(), ms;
		int64_t sent;

		tx = counter(ctx, "adverts_tx");
		sleep(1);
		ms = now_ms() - t0;
		sent = counter(ctx, "adverts_tx") - tx;
		/* One per 100 ms, give or take the turns around the reads. */
		if (sent < (int64_t)(ms / 100) - 2 || sent > (int64_t)(ms / 100) + 2)
			fail_msg("%" PRId64 " adverts in %" PRIu64 " ms (expected one per 100 ms)",
				 sent, ms);
	}

	/* A reload: the new priority and a second address, the state kept. */
	trans = field(ctx, "transitions");
	cfg.vrrp[0].priority = 200;
	net_addr_parse(VIP_B, &cfg.vrrp[0].addrs[1]);
	cfg.vrrp[0].naddrs = 2;
	assert_int_equal(vrrp_apply(ctx, &cfg), 0);
	assert_int_equal(field(ctx, "priority"), 200);
	assert_int_equal(field(ctx, "transitions"), trans);
	assert_true(has_addr(VIP_B));

	/* One that cannot start (no such interface): refused, the running one untouched. */
	{
		struct ha_config bad = cfg;

		bad.nvrrp = 2;
		bad.vrrp[1] = instance(100, "vt-missing");
		bad.vrrp[1].vrid = 43;
		assert_true(vrrp_apply(ctx, &bad) < 0);
		assert_string_equal(state_of(ctx, buf, sizeof(buf)), "master");
		assert_int_equal(field(ctx, "priority"), 200);
	}

	/* Shutdown: the thread releases (priority 0) and removes the addresses. */
	{
		int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK, htons(ETH_P_IP));
		struct sockaddr_ll sll = {.sll_family = AF_PACKET,
					  .sll_protocol = htons(ETH_P_IP),
					  .sll_ifindex = (int)if_nametoindex(DEV "p")};
		uint8_t pkt[256];
		bool released = false;
		ssize_t n;

		assert_true(fd >= 0);
		assert_int_equal(bind(fd, (struct sockaddr *)&sll, sizeof(sll)), 0);
		vrrp_close(ctx);
		/* IPv4 header, then VRRP: version/type, VRID, priority. */
		while ((n = recv(fd, pkt, sizeof(pkt), 0)) > 0)
			if (n >= 24 && pkt[9] == 112 && n > (pkt[0] & 15) * 4 + 2)
				released |= pkt[(pkt[0] & 15) * 4 + 2] == 0;
		close(fd);
		assert_true(released);
	}
	assert_false(has_addr(VIP_A));
	assert_false(has_addr(VIP_B));
}

/* No instances at start: a context all the same, which a reload fills and empties. */
static void test_empty_then_apply(void **state)
{
	struct ha_config cfg = {.nvrrp = 1}, none = {0};
	struct vrrp_ctx *ctx;
	json_object *doc, *list;

	assert_int_equal(vrrp_open(NULL, &ctx), 0);
	doc = vrrp_json(ctx);
	assert_true(json_object_object_get_ex(doc, "instances", &list));
	assert_int_equal(json_object_array_length(list), 0);
	json_object_put(doc);

	cfg.vrrp[0] = instance(255, DEV); /* the owner: master at once */
	assert_int_equal(vrrp_apply(ctx, &cfg), 0);
	assert_true(wait_state(ctx, "master", 1000));
	assert_true(has_addr(VIP_A));
	assert_int_equal(vrrp_apply(ctx, &none), 0);
	doc = vrrp_json(ctx);
	assert_true(json_object_object_get_ex(doc, "instances", &list));
	assert_int_equal(json_object_array_length(list), 0);
	json_object_put(doc);
	assert_false(has_addr(VIP_A));
	vrrp_close(ctx);

	/* NULL is a context without instances everywhere. */
	doc = vrrp_json(NULL);
	assert_true(json_object_object_get_ex(doc, "instances", &list));
	assert_int_equal(json_object_array_length(list), 0);
	json_object_put(doc);
	assert_int_equal(vrrp_apply(NULL, &none), 0);
	assert_true(vrrp_apply(NULL, &cfg) < 0);
	vrrp_close(NULL);
}

/* The first instance's string @key, "" for null. */
static const char *text_of(struct vrrp_ctx *ctx, const char *key, char *buf, size_t size)
{
	json_object *doc, *v;

	assert_true(json_object_object_get_ex(first(ctx, &doc), key, &v));
	snprintf(buf, size, "%s", v ? json_object_get_string(v) : "");
	json_object_put(doc);
	return buf;
}

static bool wait_priority(struct vrrp_ctx *ctx, int64_t prio, uint64_t ms)
{
	uint64_t end = now_ms() + ms;

	do {
		if (field(ctx, "priority") == prio)
			return true;
		usleep(2000);
	} while (now_ms() < end);
	return false;
}

/*
 * Tracking through the thread: a service's quorum reported from this thread
 * (as model_write_service does) moves the priority, and survives a reload;
 * a missing tracked interface counts as down; the own link down is FAULT
 * (addresses gone), up again is backup, then master (alone on the link).
 */
static void test_thread_tracking(void **state)
{
	struct ha_config cfg = {.nvrrp = 1};
	struct vrrp_ctx *ctx;
	char buf[96];

	cfg.vrrp[0] = instance(200, DEV);
	snprintf(cfg.vrrp[0].track_services[0].name, 64, "web");
	cfg.vrrp[0].track_services[0].weight = -150;
	cfg.vrrp[0].ntrack_services = 1;
	snprintf(cfg.vrrp[0].track_ifaces[0].name, 64, "vt-missing");
	cfg.vrrp[0].track_ifaces[0].weight = -20;
	cfg.vrrp[0].ntrack_ifaces = 1;
	assert_int_equal(vrrp_open(&cfg, &ctx), 0);
	assert_int_equal(field(ctx, "priority"), 180); /* the quorum is not known yet: fine */
	assert_int_equal(field(ctx, "base_priority"), 200);
	assert_true(wait_state(ctx, "master", 3000));

	vrrp_track_service(ctx, "not-tracked", false);
	vrrp_track_service(ctx, "web", false);
	assert_true(wait_priority(ctx, 30, 1000));
	vrrp_track_service(ctx, "web", true);
	assert_true(wait_priority(ctx, 180, 1000));
	vrrp_track_service(ctx, "web", false);
	assert_true(wait_priority(ctx, 30, 1000));
	/* A reload keeps what the thread was told, by name. */
	assert_int_equal(vrrp_apply(ctx, &cfg), 0);
	assert_int_equal(field(ctx, "priority"), 30);
	assert_string_equal(state_of(ctx, buf, sizeof(buf)), "master");
	assert_string_equal(text_of(ctx, "fault", buf, sizeof(buf)), "");

	assert_int_equal(system("ip link set " DEV " down"), 0);
	assert_true(wait_state(ctx, "fault", 1000));
	assert_string_equal(text_of(ctx, "fault", buf, sizeof(buf)), "interface " DEV " is down");
	assert_false(has_addr(VIP_A));
	assert_int_equal(system("ip link set " DEV " up"), 0);
	assert_true(wait_state(ctx, "master", 3000));
	assert_string_equal(text_of(ctx, "fault", buf, sizeof(buf)), "");
	assert_true(has_addr(VIP_A));
	vrrp_close(ctx);
	assert_false(has_addr(VIP_A));
}

/* This process moves to a namespace of its own: it goes when the test ends. */
static bool netns_with_veth(void)
{
	if (unshare(CLONE_NEWNET) < 0)
		return false;
	return system("ip link add " DEV " type veth peer name " DEV "p && ip link set " DEV
		      "p up && ip link set " DEV " up && ip addr add " LOCAL4 "/24 dev " DEV) == 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_thread_runs_vrrp),
	    cmocka_unit_test(test_empty_then_apply),
	    cmocka_unit_test(test_thread_tracking),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test_vrrp_thread: SKIP, needs root for a network namespace\n");
		return 77;
	}
	if (!netns_with_veth()) {
		fprintf(stderr,
			"test_vrrp_thread: SKIP, cannot make a namespace with a veth pair\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
