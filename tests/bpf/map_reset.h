/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One load per test binary: loading and verifying the program costs seconds,
 * so a file loads it once (cmocka group setup) and every test case starts by
 * putting each map of the object back to what a fresh load holds: hashes
 * (LRU, per-CPU, devmap) emptied, arrays (per-CPU ones on every possible CPU)
 * zeroed, ring buffers drained. Any other kind of map, or a .bss/.data
 * section, fails the reset: its fresh state is not known here. With
 * MAP_RESET_VERIFY=1 in the environment, every reset is checked entry by
 * entry afterwards (slow: for debugging the reset itself).
 *
 * Include after <bpf/libbpf.h>; with "dataplane.h" included first, it also
 * gives the shared dataplane fixture (pkt_dp_*).
 */
#ifndef XLB_TESTS_MAP_RESET_H
#define XLB_TESTS_MAP_RESET_H

#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

/* Deletes every key: collects them all first, as a delete breaks a walk. */
static inline int map_reset_hash(struct bpf_map *map)
{
	int fd = bpf_map__fd(map);
	size_t ksz = bpf_map__key_size(map), max = bpf_map__max_entries(map);
	uint8_t *keys = malloc(ksz * (max + 1));
	int err = 0;

	if (!keys)
		return -ENOMEM;
	for (;;) {
		size_t n = 0;

		if (bpf_map_get_next_key(fd, NULL, keys))
			break; /* empty */
		for (n = 1; n <= max && !bpf_map_get_next_key(fd, keys + (n - 1) * ksz,
								 keys + n * ksz);
		     n++)
			;
		for (size_t i = 0; i < n; i++)
			if (bpf_map_delete_elem(fd, keys + i * ksz) && errno != ENOENT) {
				err = -errno;
				goto out;
			}
	}
	if (errno != ENOENT)
		err = -errno;
out:
	free(keys);
	return err;
}

/* Writes zeros over every entry, in batches (one update each where batches are not supported). */
static inline int map_reset_array(struct bpf_map *map, bool percpu)
{
	int fd = bpf_map__fd(map);
	uint32_t max = bpf_map__max_entries(map);
	size_t vsz = bpf_map__value_size(map);
	size_t chunk;
	uint32_t *keys;
	void *zeros;
	int err = 0;

	if (percpu) {
		int ncpus = libbpf_num_possible_cpus();

		if (ncpus <= 0)
			return ncpus ? ncpus : -EINVAL;
		vsz = (vsz + 7) / 8 * 8 * ncpus;
	}
	chunk = (4u << 20) / vsz;
	if (chunk < 1)
		chunk = 1;
	if (chunk > max)
		chunk = max;
	keys = malloc(chunk * sizeof(*keys));
	zeros = calloc(chunk, vsz);
	if (!keys || !zeros) {
		err = -ENOMEM;
		goto out;
	}
	for (uint32_t base = 0; base < max && !err; base += chunk) {
		__u32 n = max - base < chunk ? max - base : chunk;

		for (uint32_t i = 0; i < n; i++)
			keys[i] = base + i;
		if (bpf_map_update_batch(fd, keys, zeros, &n, NULL) == 0)
			continue;
		if (errno != EINVAL && errno != ENOTSUP && errno != EOPNOTSUPP) {
			err = -errno;
			break;
		}
		for (uint32_t i = 0; i < n && !err; i++)
			if (bpf_map_update_elem(fd, &keys[i], zeros, BPF_ANY))
				err = -errno;
	}
out:
	free(keys);
	free(zeros);
	return err;
}

static inline int map_reset_skip_event(void *ctx, void *data, size_t len)
{
	(void)ctx;
	(void)data;
	(void)len;
	return 0;
}

/* Consumes whatever the ring holds: its consumer position is the kernel's, so a new reader starts past it. */
static inline int map_reset_ringbuf(struct bpf_map *map)
{
	struct ring_buffer *rb = ring_buffer__new(bpf_map__fd(map), map_reset_skip_event, NULL, NULL);
	int n;

	if (!rb)
		return -errno;
	n = ring_buffer__consume(rb);
	ring_buffer__free(rb);
	return n < 0 ? n : 0;
}

static inline int map_reset(struct bpf_map *map)
{
	const char *name = bpf_map__name(map);

	if (bpf_map__is_internal(map)) {
		/* constants stay as loaded; writable sections would need their initial image */
		if (strstr(name, ".rodata") || strstr(name, ".kconfig"))
			return 0;
		return -EOPNOTSUPP;
	}
	switch (bpf_map__type(map)) {
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_LRU_HASH:
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
	case BPF_MAP_TYPE_DEVMAP_HASH:
		return map_reset_hash(map);
	case BPF_MAP_TYPE_ARRAY:
		return map_reset_array(map, false);
	case BPF_MAP_TYPE_PERCPU_ARRAY:
		return map_reset_array(map, true);
	case BPF_MAP_TYPE_RINGBUF:
		return map_reset_ringbuf(map);
	default:
		return -EOPNOTSUPP;
	}
}

/* For MAP_RESET_VERIFY=1: -EUCLEAN if @map still holds a key or a non-zero byte. */
static inline int map_reset_verify(struct bpf_map *map)
{
	int fd = bpf_map__fd(map), ncpus = libbpf_num_possible_cpus();
	size_t vsz = bpf_map__value_size(map);
	uint8_t key[512], *val;
	int err = 0;

	switch (bpf_map__type(map)) {
	case BPF_MAP_TYPE_ARRAY:
	case BPF_MAP_TYPE_PERCPU_ARRAY:
		break;
	case BPF_MAP_TYPE_RINGBUF:
		return 0;
	default:
		if (bpf_map__is_internal(map))
			return 0;
		return bpf_map_get_next_key(fd, NULL, key) == 0 ? -EUCLEAN : 0;
	}
	if (bpf_map__type(map) == BPF_MAP_TYPE_PERCPU_ARRAY)
		vsz = (vsz + 7) / 8 * 8 * ncpus;
	val = malloc(vsz);
	if (!val)
		return -ENOMEM;
	for (uint32_t i = 0; i < bpf_map__max_entries(map) && !err; i++) {
		if (bpf_map_lookup_elem(fd, &i, val))
			err = -errno;
		for (size_t b = 0; b < vsz && !err; b++)
			if (val[b])
				err = -EUCLEAN;
	}
	free(val);
	return err;
}

/* Every map of @obj as a fresh load has it; 0, or the first error (reported on stderr). */
static inline int map_reset_object(struct bpf_object *obj)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj) {
		int err = map_reset(map);

		if (!err && getenv("MAP_RESET_VERIFY"))
			err = map_reset_verify(map);

		if (err) {
			fprintf(stderr, "map_reset: map %s (type %d): %s\n", bpf_map__name(map),
				(int)bpf_map__type(map), strerror(-err));
			return err;
		}
	}
	return 0;
}

#ifdef XLB_DATAPLANE_H
/*
 * The shared dataplane: cmocka_run_group_tests(tests, pkt_dp_group_setup,
 * pkt_dp_group_teardown), and each test's setup calls pkt_dp_fresh(). Every
 * test of a file uses the same flows size, PKT_DP_MAX_FLOWS.
 */
#ifndef PKT_DP_MAX_FLOWS
#define PKT_DP_MAX_FLOWS 4096
#endif

static struct dataplane *pkt_dp;

static inline int pkt_dp_group_setup(void **state)
{
	int err = dataplane_open(NULL, PKT_DP_MAX_FLOWS, &pkt_dp);

	(void)state;
	if (err) {
		fprintf(stderr, "dataplane_open: %s\n", strerror(-err));
		return -1;
	}
	return 0;
}

static inline int pkt_dp_group_teardown(void **state)
{
	(void)state;
	dataplane_close(pkt_dp);
	pkt_dp = NULL;
	return 0;
}

/* The shared dataplane with every map as just loaded, or NULL (reported on stderr). */
static inline struct dataplane *pkt_dp_fresh(void)
{
	if (!pkt_dp || map_reset_object(dataplane_bpf_object(pkt_dp)))
		return NULL;
	return pkt_dp;
}

/*
 * The flow tables' own accounting (inserts and deletes, from which xlbd
 * derives LRU evictions): test_pkt_edge checks these; the per-packet
 * counter checks of the other files leave them out.
 */
static inline bool counter_is_table_accounting(int c)
{
	return c == XLB_CNT_FLOW_INSERT || c == XLB_CNT_SYN_INSERT || c == XLB_CNT_SYN_REMOVED;
}

/*
 * pkt_dp_fresh() and the ifindex every run arrives on (lo, also the reals'
 * egress), or NULL (reported on stderr).
 */
static inline struct dataplane *pkt_dp_fresh_lo(uint32_t *ifindex)
{
	struct dataplane *dp = pkt_dp_fresh();

	*ifindex = if_nametoindex("lo");
	if (!dp || !*ifindex) {
		fprintf(stderr, "no fresh dataplane, lo ifindex %u\n", *ifindex);
		return NULL;
	}
	return dp;
}

#if defined(cmocka_unit_test) && defined(XLB_TESTS_PKTBUILD_H)
/* ---- running frames and checking what they moved (cmocka, pktbuild.h) ---- */

/* One run of XDP program @prog_fd on @in, as if received on @ifindex: its verdict and frame. */
static inline uint32_t pkt_xdp_run(int prog_fd, uint32_t ifindex, const struct pkt *in,
				   struct pkt *out)
{
	uint8_t buf[PKT_MAX + 64] = { 0 };
	struct xdp_md ctx = { .data_end = in->len, .ingress_ifindex = ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in->buf, .data_size_in = in->len,
		    .data_out = buf, .data_size_out = sizeof(buf), .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);

	if (bpf_prog_test_run_opts(prog_fd, &opts))
		fail_msg("XDP bpf_prog_test_run_opts: %s", strerror(errno));
	if (opts.data_size_out > sizeof(out->buf))
		fail_msg("XDP output of %u bytes", opts.data_size_out);
	*out = *in;
	out->len = opts.data_size_out;
	memcpy(out->buf, buf, out->len);
	return opts.retval;
}

static inline void counters(struct dataplane *dp, uint64_t c[XLB_CNT__COUNT])
{
	assert_int_equal(dataplane_counters_read(dp, c), 0);
}

/* Every global counter but the tables' accounting moved by exactly @delta since @before. */
static inline void check_counters(struct dataplane *dp, const char *desc,
				  const uint64_t before[XLB_CNT__COUNT],
				  const uint64_t delta[XLB_CNT__COUNT])
{
	uint64_t now[XLB_CNT__COUNT];
	bool bad = false;

	counters(dp, now);
	for (int c = 0; c < XLB_CNT__COUNT; c++) {
		if (counter_is_table_accounting(c))
			continue;
		if (now[c] - before[c] == delta[c])
			continue;
		print_error("%s: counter %s moved by %llu, want %llu\n", desc,
			    dataplane_counter_name(c), (unsigned long long)(now[c] - before[c]),
			    (unsigned long long)delta[c]);
		bad = true;
	}
	if (bad)
		fail();
}

static inline void check_stats(struct dataplane *dp, enum dp_stats_map which, uint32_t id,
			       uint64_t packets, uint64_t bytes, uint64_t new_flows)
{
	struct xlb_stats st;

	assert_int_equal(dataplane_stats_read(dp, which, id, &st), 0);
	if (st.packets == packets && st.bytes == bytes && st.new_flows == new_flows)
		return;
	fail_msg("%s %u: packets/bytes/new_flows %llu/%llu/%llu, want %llu/%llu/%llu",
		 which == DP_STATS_SERVICE ? "service" : "real", id, (unsigned long long)st.packets,
		 (unsigned long long)st.bytes, (unsigned long long)st.new_flows,
		 (unsigned long long)packets, (unsigned long long)bytes,
		 (unsigned long long)new_flows);
}
/* A test's teardown when its setup allocated *state and nothing else. */
static inline int pkt_free_state(void **state)
{
	free(*state);
	return 0;
}

/*
 * The end of main(): @tests on the shared dataplane, or 77 (skipped) when
 * not root, as loading BPF needs it. Needs "log.h".
 */
#define pkt_dp_run_group(name, tests)                                                              \
	({                                                                                         \
		int rc_ = 77;                                                                      \
                                                                                                   \
		if (geteuid() != 0) {                                                              \
			fprintf(stderr, "%s: loading BPF needs root, skipping\n", name);           \
		} else {                                                                           \
			log_set_level(LOG_LVL_WARN);                                               \
			rc_ = cmocka_run_group_tests(tests, pkt_dp_group_setup,                    \
						     pkt_dp_group_teardown);                       \
		}                                                                                  \
		rc_;                                                                               \
	})
#endif /* cmocka_unit_test && XLB_TESTS_PKTBUILD_H */
#endif /* XLB_DATAPLANE_H */

#endif /* XLB_TESTS_MAP_RESET_H */
