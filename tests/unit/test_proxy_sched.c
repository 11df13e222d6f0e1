// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* proxy_pick(): the packet methods' schedulers over a snapshot, retries skipping reals tried. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/proxy_internal.h"

#define NREALS 3

/* A service as the engine would publish it: reals 10, 11, 12 with @weights. */
static struct proxy_service *service(enum sched_id sched, const uint32_t *weights,
				     const bool *usable)
{
	struct proxy_service *svc = calloc(1, sizeof(*svc));
	struct proxy_snapshot *snap = calloc(1, sizeof(*snap));
	const struct sched_ops *ops = sched_get(sched);
	struct sockaddr_in *vip = (struct sockaddr_in *)&svc->vip_sa;

	assert_non_null(svc);
	assert_non_null(snap);
	atomic_init(&svc->refs, 1);
	pthread_mutex_init(&svc->lock, NULL);
	vip->sin_family = AF_INET;
	vip->sin_port = htons(80);
	inet_pton(AF_INET, "10.0.0.1", &vip->sin_addr);
	snap->sched = (uint8_t)sched;
	snap->cfg.retries = 2;
	snap->n = NREALS;
	snap->sreals = calloc(NREALS, sizeof(*snap->sreals));
	snap->targets = calloc(NREALS, sizeof(*snap->targets));
	for (int i = 0; i < NREALS; i++) {
		struct proxy_real_stats *rs = calloc(1, sizeof(*rs));
		struct sockaddr_in *sa = (struct sockaddr_in *)&snap->targets[i].sa;

		atomic_init(&rs->refs, 1);
		rs->real_id = 10 + (uint32_t)i;
		snap->sreals[i] =
		    (struct sched_real)SCHED_REAL(10 + (uint32_t)i, weights[i], usable[i]);
		sa->sin_family = AF_INET;
		sa->sin_port = htons(8080);
		sa->sin_addr.s_addr = htonl(0x0a000101 + (uint32_t)i);
		net_addr_parse(i == 0 ? "10.0.1.1" : i == 1 ? "10.0.1.2" : "10.0.1.3", &rs->addr);
		net_addr_to_xlb(&rs->addr, &snap->sreals[i].addr);
		snap->sreals[i].port = htons(8080);
		snap->targets[i].salen = sizeof(*sa);
		snap->targets[i].stats = rs;
	}
	assert_int_equal(proxy_snapshot_build_table(snap), 0);
	if (ops->cls == SCHED_CLASS_LOCALITY)
		assert_int_equal(proxy_service_loc_init(svc), 0);
	svc->snap = snap;
	return svc;
}

static void service_free(struct proxy_service *svc)
{
	if (svc->loc_ready)
		sched_loc_free(&svc->loc);
	proxy_snapshot_free(svc->snap);
	pthread_mutex_destroy(&svc->lock);
	free(svc);
}

/* Picks once; returns the real id picked (its reference dropped again), or the error. */
static int pick(struct proxy_service *svc, const uint32_t *tried, size_t ntried, bool keep)
{
	struct sockaddr_in client = {.sin_family = AF_INET, .sin_port = htons(40000)};
	struct proxy_pick p;
	int err = proxy_pick(svc, (struct sockaddr *)&client, tried, ntried, 0, &p);

	if (err)
		return err;
	if (!keep) {
		atomic_fetch_sub(&p.stats->connecting, 1);
		proxy_real_stats_put(p.stats);
	}
	return (int)p.stats->real_id;
}

static void test_rr(void **state)
{
	static const uint32_t w[NREALS] = {1, 1, 1};
	static const bool up[NREALS] = {true, true, true};
	struct proxy_service *svc = service(SCHED_RR, w, up);
	int counts[3] = {0};

	(void)state;
	for (int i = 0; i < 300; i++) {
		int id = pick(svc, NULL, 0, false);

		assert_in_range(id, 10, 12);
		counts[id - 10]++;
	}
	assert_int_equal(counts[0], 100);
	assert_int_equal(counts[1], 100);
	assert_int_equal(counts[2], 100);
	service_free(svc);
}

/* A retry never goes back to a real already tried, and runs out cleanly. */
static void test_retry_skips_tried(void **state)
{
	static const uint32_t w[NREALS] = {1, 1, 1};
	static const bool up[NREALS] = {true, true, true};
	struct proxy_service *svc = service(SCHED_RR, w, up);
	uint32_t tried[NREALS];

	(void)state;
	for (int round = 0; round < 5; round++) {
		size_t n = 0;

		for (int k = 0; k < NREALS; k++) {
			int id = pick(svc, tried, n, false);

			assert_in_range(id, 10, 12);
			for (size_t j = 0; j < n; j++)
				assert_int_not_equal(id, (int)tried[j]);
			tried[n++] = (uint32_t)id;
		}
		assert_int_equal(pick(svc, tried, n, false), -ENOENT);
	}
	service_free(svc);
}

/* Reals that are down or drained get nothing; counts steer least-connection. */
static void test_usable_and_counts(void **state)
{
	static const uint32_t w[NREALS] = {1, 0, 1};
	static const bool up[NREALS] = {false, true, true};
	static const uint32_t w2[NREALS] = {1, 1, 1};
	static const bool up2[NREALS] = {true, true, true};
	struct proxy_service *svc = service(SCHED_RR, w, up);

	(void)state;
	for (int i = 0; i < 10; i++)
		assert_int_equal(pick(svc, NULL, 0, false), 12);
	service_free(svc);

	/* wlc: each pick counts as connecting until given back, so three picks spread. */
	svc = service(SCHED_WLC, w2, up2);
	assert_int_equal(pick(svc, NULL, 0, true), 10);
	assert_int_equal(pick(svc, NULL, 0, true), 11);
	assert_int_equal(pick(svc, NULL, 0, true), 12);
	assert_int_equal(atomic_load(&svc->snap->targets[0].stats->connecting), 1);
	for (int i = 0; i < NREALS; i++) {
		atomic_store(&svc->snap->targets[i].stats->connecting, 0);
		atomic_store(&svc->snap->targets[i].stats->refs, 1);
	}
	atomic_store(&svc->snap->targets[0].stats->active, 5);
	atomic_store(&svc->snap->targets[2].stats->active, 2);
	assert_int_equal(pick(svc, NULL, 0, false), 11);
	service_free(svc);
}

/*
 * Every scheduler works over a proxy snapshot: never a real that is down,
 * and a retry finds the other usable real even where the hash says "that one".
 */
static void test_every_scheduler(void **state)
{
	static const uint32_t w[NREALS] = {2, 1, 1};
	static const bool up[NREALS] = {true, false, true};

	(void)state;
	for (int id = 0; id < SCHED__COUNT; id++) {
		struct proxy_service *svc = service((enum sched_id)id, w, up);

		for (int i = 0; i < 20; i++) {
			int got = pick(svc, NULL, 0, false);
			uint32_t tried;
			int other;

			if (got < 0) /* sh/dh/mh without fallback: this client's bucket is down */
				got = 11;
			if (got == 11 && sched_get((enum sched_id)id)->cls != SCHED_CLASS_TABLE)
				fail_msg("%s picked the real that is down",
					 sched_get((enum sched_id)id)->name);
			tried = got == 11 ? 10 : (uint32_t)got;
			other = pick(svc, &tried, 1, false);
			if (other != (tried == 10 ? 12 : 10))
				fail_msg("%s: retry after %u gave %d",
					 sched_get((enum sched_id)id)->name, tried, other);
		}
		service_free(svc);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rr),
	    cmocka_unit_test(test_retry_skips_tried),
	    cmocka_unit_test(test_usable_and_counts),
	    cmocka_unit_test(test_every_scheduler),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
