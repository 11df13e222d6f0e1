// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Loads the xlb BPF program from its skeleton, pins its maps, attaches it. */
#include "dataplane.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <limits.h>
#include <linux/if_link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "dataplane_test.h"
#include "dp_journal.h"
#include "log.h"
#include "xlb.skel.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif
#define DP_MAX_ATTACH 64

struct dp_attachment {
	int ifindex;
	char ifname[IF_NAMESIZE];
	enum attach_mode mode;
	__u32 xdp_flags; /* flags the XDP program was attached with */
	bool tc_hook_created; /* we created clsact, so we remove it */
	uint8_t mac[6];
};

struct dataplane {
	struct xlb_bpf *skel;
	struct xlb_dp_spec spec; /* what the loaded program carries */
	uint64_t flows_deleted[DP_FLOW_TABLES]; /* by the sweeper, for eviction counts */
	uint64_t flows_inserted; /* into "flows" from user space (connection sync) */
	/*
	 * Skeletons replaced by dataplane_respecialise(): kept open until
	 * dataplane_close(), since other parts of xlbd hold fds of their maps
	 * (the flow_events ring buffer) that must stay valid.
	 */
	struct xlb_bpf *retired[8];
	int nretired;
	char pin_dir[PATH_MAX]; /* "": nothing pinned */
	struct dp_attachment attached[DP_MAX_ATTACH];
	int nattached;
	int ncpus;
	/* An open transaction (dataplane_txn_begin): every map write is journaled. */
	struct dp_journal *txn;
	struct xlb_bpf *txn_skel; /* the program when it began */
	struct xlb_dp_spec txn_spec;
	struct dp_attachment txn_attached[DP_MAX_ATTACH];
	int txn_nattached;
	long fail_in; /* tests: steps until an injected failure, -1: none */
};

/*
 * Each step that changes the data plane (a map write, an attach, a detach,
 * a program swap) passes here: tests make the n-th one fail
 * (dataplane_test_fail_step) to check that a reload undoes what it did.
 */
static int dp_step(struct dataplane *dp)
{
	if (dp->fail_in < 0)
		return 0;
	if (dp->fail_in-- > 0)
		return 0;
	return -EIO;
}

void dataplane_test_fail_step(struct dataplane *dp, long n)
{
	dp->fail_in = n;
}

long dataplane_test_fail_left(const struct dataplane *dp)
{
	return dp->fail_in;
}

/* Bytes of one value of @map as the syscalls see it (all CPUs' for per-CPU maps). */
static uint32_t dp_value_size(const struct dataplane *dp, const struct bpf_map *map)
{
	uint32_t vsz = bpf_map__value_size(map);
	enum bpf_map_type t = bpf_map__type(map);

	if (t == BPF_MAP_TYPE_PERCPU_ARRAY || t == BPF_MAP_TYPE_PERCPU_HASH ||
	    t == BPF_MAP_TYPE_LRU_PERCPU_HASH)
		return (vsz + 7) / 8 * 8 * (uint32_t)dp->ncpus;
	return vsz;
}

/* Every write of a reload's maps: fails when a test says so, journaled in a transaction. */
static int dp_before_write(struct dataplane *dp, struct bpf_map *map, const void *key,
			   size_t key_size)
{
	int err = dp_step(dp);

	if (!err && dp->txn)
		err = dp_journal_save(dp->txn, bpf_map__fd(map), key, (uint32_t)key_size,
				      dp_value_size(dp, map));
	return err;
}

static int dp_update(struct dataplane *dp, struct bpf_map *map, const void *key, size_t key_size,
		     const void *val, size_t val_size)
{
	int err = dp_before_write(dp, map, key, key_size);

	return err ? err : bpf_map__update_elem(map, key, key_size, val, val_size, BPF_ANY);
}

static int dp_delete(struct dataplane *dp, struct bpf_map *map, const void *key, size_t key_size)
{
	int err = dp_before_write(dp, map, key, key_size);

	return err ? err : bpf_map__delete_elem(map, key, key_size, 0);
}

static const char *const dp_counter_names[XLB_CNT__COUNT] = {
	[XLB_CNT_RX] = "rx",
	[XLB_CNT_PASS_NOT_IP] = "pass_not_ip",
	[XLB_CNT_PASS_NO_SERVICE] = "pass_no_service",
	[XLB_CNT_PASS_MALFORMED] = "pass_malformed",
	[XLB_CNT_PASS_FRAGMENT] = "pass_fragment",
	[XLB_CNT_DROP_NO_REAL] = "drop_no_real",
	[XLB_CNT_DROP_BAD_REAL] = "drop_bad_real",
	[XLB_CNT_FWD_TX] = "fwd_tx",
	[XLB_CNT_FWD_REDIRECT] = "fwd_redirect",
	[XLB_CNT_NEW_FLOW] = "new_flow",
	[XLB_CNT_FLOW_MIDSTREAM] = "flow_midstream",
	[XLB_CNT_FLOW_STALE_REAL] = "flow_stale_real",
	[XLB_CNT_ENCAP_FAILED] = "encap_failed",
	[XLB_CNT_ICMP_TOO_BIG] = "icmp_too_big",
	[XLB_CNT_DROP_TOO_BIG] = "drop_too_big",
	[XLB_CNT_NAT_REPLY] = "nat_reply",
	[XLB_CNT_NAT_REPLY_TO_STACK] = "nat_reply_to_stack",
	[XLB_CNT_FNAT_NO_PORT] = "fnat_no_port",
	[XLB_CNT_ICMP_TO_REAL] = "icmp_to_real",
	[XLB_CNT_PASS_ICMP_NO_FLOW] = "pass_icmp_no_flow",
	[XLB_CNT_PERSIST_HIT] = "persist_hit",
	[XLB_CNT_DROP_MIDSTREAM] = "drop_midstream",
	[XLB_CNT_SYNC_EVENT_LOST] = "sync_event_lost",
	[XLB_CNT_PASS_OTHER_HOST] = "pass_other_host",
	[XLB_CNT_FLOW_INSERT] = "flow_insert",
	[XLB_CNT_SYN_INSERT] = "syn_insert",
	[XLB_CNT_SYN_REMOVED] = "syn_removed",
	[XLB_CNT_DROP_REWRITE] = "drop_rewrite",
	[XLB_CNT_MIDSTREAM_MH] = "midstream_mh",
};

const char *dataplane_counter_name(enum xlb_counter c)
{
	if ((unsigned)c >= XLB_CNT__COUNT || !dp_counter_names[c])
		return "?";
	return dp_counter_names[c];
}

static int dp_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char text[8192];

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(text, sizeof(text), fmt, ap);
	/* The verifier log arrives as one multi-line message. */
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
		log_msg(level == LIBBPF_WARN ? LOG_LVL_WARN : LOG_LVL_INFO, "%s", line);
	return 0;
}

/* xlbd runs where /sys/fs/bpf may not be mounted yet (containers, early boot). */
static int dp_prepare_pin_dir(const char *pin_dir)
{
	char parent[PATH_MAX];
	struct statfs fs;

	snprintf(parent, sizeof(parent), "%s", pin_dir);
	char *slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = '\0';
	if (strcmp(parent, "/sys/fs/bpf") == 0 && statfs(parent, &fs) == 0 &&
	    fs.f_type != BPF_FS_MAGIC) {
		if (mount("bpf", parent, "bpf", 0, "mode=0700") < 0) {
			log_error("cannot mount bpffs on %s: %s", parent, strerror(errno));
			return -errno;
		}
	}
	if (mkdir(pin_dir, 0700) < 0 && errno != EEXIST) {
		log_error("cannot create bpf_pin_dir %s: %s", pin_dir, strerror(errno));
		return -errno;
	}
	if (statfs(pin_dir, &fs) < 0 || fs.f_type != BPF_FS_MAGIC) {
		log_error("bpf_pin_dir %s is not on a bpf filesystem (mount -t bpf bpf DIR)",
			  pin_dir);
		return -ENOTSUP;
	}
	return 0;
}

/* The maps sized from flows.max: a size change there is the operator's call. */
static bool dp_is_flow_table(struct dataplane *dp, const struct bpf_map *map)
{
	return map == dp->skel->maps.flows || map == dp->skel->maps.nat_rev ||
	       map == dp->skel->maps.persist || map == dp->skel->maps.syn_flows;
}

/*
 * Maps only some configs use. A program whose spec does not need one gets it
 * with a single entry: creating (and zeroing) a million-entry nat table or
 * a 2-million-bucket Maglev array for a dr + rr config is most of a start.
 * A reload that needs it creates it full size (dataplane_respecialise).
 */
static bool dp_map_optional(const struct bpf_map *map, const struct xlb_dp_spec *spec,
			    bool *needed)
{
	const char *name = bpf_map__name(map);

	if (!strcmp(name, "nat_rev"))
		*needed = spec->methods & ((1u << XLB_METHOD_NAT) | (1u << XLB_METHOD_FNAT));
	else if (!strcmp(name, "persist"))
		*needed = spec->features & XLB_FEAT_PERSIST;
	else if (!strcmp(name, "mh_tables"))
		*needed = spec->scheds & (1u << XLB_SCHED_KIND_MH);
	else if (!strcmp(name, "loc_cache"))
		*needed = spec->scheds & (1u << XLB_SCHED_KIND_LBLC);
	else if (!strcmp(name, "locset_cache"))
		*needed = spec->scheds & (1u << XLB_SCHED_KIND_LBLCR);
	else
		return false;
	return true;
}

/*
 * An optional map pinned at another size than this spec asks for: a bigger
 * pinned one (an earlier config used it) is kept with what it holds; a
 * one-entry placeholder gives way to the full size. Returns true if @map's
 * size now matches @pinned_max or the pin was removed.
 */
static bool dp_pinned_optional(struct dataplane *dp, struct bpf_map *map, const char *path,
			       uint32_t pinned_max)
{
	bool needed;

	if (!dp_map_optional(map, &dp->spec, &needed))
		return false;
	if (!needed && pinned_max > 1)
		return bpf_map__set_max_entries(map, pinned_max) == 0;
	if (needed && pinned_max == 1) {
		log_info("%s: now in use, created full size", path);
		return unlink(path) == 0;
	}
	return false;
}

/*
 * libbpf refuses to reuse a pinned map that differs from the program's. A
 * flow table of another size is the operator's to resolve (say what to do);
 * any other difference comes from an upgrade that changed a map's layout:
 * that map is unpinned and created afresh (its state, e.g. counters, is lost).
 */
static int dp_check_pinned(struct dataplane *dp, struct bpf_map *map, const char *path)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_obj_get(path);
	int err;

	if (fd < 0)
		return 0;
	err = bpf_obj_get_info_by_fd(fd, &info, &len);
	close(fd);
	if (err)
		return 0;
	if (info.type == bpf_map__type(map) && info.key_size == bpf_map__key_size(map) &&
	    info.value_size == bpf_map__value_size(map) &&
	    info.map_flags == bpf_map__map_flags(map) &&
	    (info.max_entries == bpf_map__max_entries(map) ||
	     dp_pinned_optional(dp, map, path, info.max_entries)))
		return 0;
	if (dp_is_flow_table(dp, map) && info.type == bpf_map__type(map) &&
	    info.key_size == bpf_map__key_size(map) &&
	    info.value_size == bpf_map__value_size(map)) {
		log_error("pinned flow table %s holds %u entries but the config needs %u "
			  "(flows.max, flows.syn_max): keep the size, or remove %s (this drops "
			  "every flow)",
			  path, info.max_entries, bpf_map__max_entries(map), path);
		return -EEXIST;
	}
	log_warn("pinned map %s has another layout (an upgrade of xlb): created afresh", path);
	if (unlink(path) < 0) {
		log_error("cannot remove %s: %s", path, strerror(errno));
		return -errno;
	}
	return 0;
}

/* flows.syn_max, or a quarter of flows.max (at least 1024). */
static uint32_t dp_syn_max(const struct dp_sizes *sizes)
{
	uint32_t n = sizes->syn_max ? sizes->syn_max : sizes->max_flows / 4;

	return n < 1024 ? 1024 : n;
}

static void dp_spec_set(struct xlb_bpf *skel, const struct xlb_dp_spec *spec)
{
	/* the skeleton's .rodata image, before load */
	memcpy((void *)&skel->rodata->xlb_spec, spec, sizeof(*spec));
}

int dataplane_open(const char *pin_dir, uint32_t max_flows, struct dataplane **out)
{
	struct dp_sizes sizes = { .max_flows = max_flows };

	return dataplane_open_spec(pin_dir, &sizes, NULL, out);
}

void dataplane_spec_full(struct xlb_dp_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
	spec->methods = ~0u;
	spec->scheds = ~0u;
	spec->features = ~0u;
}

int dataplane_open_spec(const char *pin_dir, const struct dp_sizes *sizes,
			const struct xlb_dp_spec *spec, struct dataplane **out)
{
	uint32_t max_flows = sizes->max_flows;
	struct dataplane *dp;
	struct bpf_map *map;
	int err;

	libbpf_set_print(dp_libbpf_print);
	dp = calloc(1, sizeof(*dp));
	if (!dp)
		return -ENOMEM;
	dp->fail_in = -1;
	dp->ncpus = libbpf_num_possible_cpus();
	if (dp->ncpus <= 0) {
		err = dp->ncpus ? dp->ncpus : -EINVAL;
		goto fail;
	}
	dp->skel = xlb_bpf__open();
	if (!dp->skel) {
		err = -errno;
		log_error("cannot open the BPF object: %s", strerror(-err));
		goto fail;
	}
	if (max_flows) {
		err = bpf_map__set_max_entries(dp->skel->maps.flows, max_flows);
		if (!err)
			err = bpf_map__set_max_entries(dp->skel->maps.nat_rev, max_flows);
		if (!err)
			err = bpf_map__set_max_entries(dp->skel->maps.persist, max_flows);
		if (!err)
			err = bpf_map__set_max_entries(dp->skel->maps.syn_flows,
						       dp_syn_max(sizes));
		if (err)
			goto fail;
	}
	if (spec)
		dp->spec = *spec;
	else
		dataplane_spec_full(&dp->spec);
	dp_spec_set(dp->skel, &dp->spec);
	bpf_object__for_each_map(map, dp->skel->obj) {
		bool needed;

		if (dp_map_optional(map, &dp->spec, &needed) && !needed) {
			err = bpf_map__set_max_entries(map, 1);
			if (err)
				goto fail;
		}
	}
	if (pin_dir) {
		snprintf(dp->pin_dir, sizeof(dp->pin_dir), "%s", pin_dir);
		err = dp_prepare_pin_dir(pin_dir);
		if (err)
			goto fail;
		bpf_object__for_each_map(map, dp->skel->obj) {
			char path[PATH_MAX];

			/*
			 * The kernel adds BPF_F_RDONLY_PROG to devmaps, so libbpf
			 * refuses to reuse a pinned one; it holds nothing that
			 * outlives a run anyway (rebuilt from the config).
			 */
			if (map == dp->skel->maps.tx_ports || strstr(bpf_map__name(map), "scratch"))
				continue; /* per-CPU scratch space holds nothing between packets */
			if (bpf_map__is_internal(map))
				continue; /* .rodata: this program's own spec */
			snprintf(path, sizeof(path), "%s/%s", pin_dir, bpf_map__name(map));
			err = dp_check_pinned(dp, map, path);
			if (err)
				goto fail;
			err = bpf_map__set_pin_path(map, path);
			if (err)
				goto fail;
		}
	}
	err = xlb_bpf__load(dp->skel);
	if (err) {
		log_error("cannot load the BPF program: %s", strerror(-err));
		goto fail;
	}
	*out = dp;
	return 0;
fail:
	dataplane_close(dp);
	return err;
}

void dataplane_close(struct dataplane *dp)
{
	if (!dp)
		return;
	dp_journal_free(dp->txn);
	for (int i = 0; i < dp->nretired; i++)
		xlb_bpf__destroy(dp->retired[i]);
	xlb_bpf__destroy(dp->skel);
	free(dp);
}

static struct dp_attachment *dp_find(struct dataplane *dp, int ifindex)
{
	for (int i = 0; i < dp->nattached; i++)
		if (dp->attached[i].ifindex == ifindex)
			return &dp->attached[i];
	return NULL;
}

static int dp_attach_tc(struct dataplane *dp, struct dp_attachment *at)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = at->ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = 1, .priority = 1, .flags = BPF_TC_F_REPLACE,
		    .prog_fd = bpf_program__fd(dp->skel->progs.xlb_tc));
	int err = bpf_tc_hook_create(&hook);

	if (err && err != -EEXIST)
		return err;
	at->tc_hook_created = (err == 0);
	return bpf_tc_attach(&hook, &opts);
}

/* True if program @id is one of xlb's entry points (by its name, as any xlbd version loads it). */
static bool dp_prog_is_xlb(__u32 id, const char *name, int *fd_out)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);

	if (fd < 0)
		return false;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && strcmp(info.name, name) == 0) {
		*fd_out = fd;
		return true;
	}
	close(fd);
	return false;
}

/*
 * Removes what an earlier xlbd left attached to @ifindex through a hook other
 * than @keep (ATTACH__NONE: all of them): a restart keeps forwarding through
 * the old program until the new one replaces it, but a changed mode must not
 * leave the old one in front (XDP before tc), nor can native and generic XDP
 * be attached at once. Programs that are not xlb's are never touched.
 */
int dataplane_detach_stale(int ifindex, const char *ifname, int keep)
{
	static const struct {
		enum attach_mode mode;
		__u32 flags;
	} xdp_modes[] = { { ATTACH_NATIVE, XDP_FLAGS_DRV_MODE }, { ATTACH_GENERIC, XDP_FLAGS_SKB_MODE } };
	int removed = 0;

	for (size_t i = 0; i < sizeof(xdp_modes) / sizeof(xdp_modes[0]); i++) {
		__u32 id = 0;
		int fd;

		if ((int)xdp_modes[i].mode == keep ||
		    bpf_xdp_query_id(ifindex, (int)xdp_modes[i].flags, &id) || !id ||
		    !dp_prog_is_xlb(id, "xlb_xdp", &fd))
			continue;
		LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = fd);
		if (bpf_xdp_detach(ifindex, xdp_modes[i].flags | XDP_FLAGS_REPLACE, &opts) == 0) {
			log_info("%s: removed the %s XDP program an earlier xlbd left", ifname,
				 config_attach_mode_name(xdp_modes[i].mode));
			removed++;
		}
		close(fd);
	}
	if (keep != ATTACH_TC) {
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
		LIBBPF_OPTS(bpf_tc_opts, opts, .handle = 1, .priority = 1);
		int fd;

		if (bpf_tc_query(&hook, &opts) == 0 && dp_prog_is_xlb(opts.prog_id, "xlb_tc", &fd)) {
			close(fd);
			opts.prog_id = 0;
			opts.prog_fd = 0;
			opts.flags = 0;
			if (bpf_tc_detach(&hook, &opts) == 0) {
				log_info("%s: removed the tc program an earlier xlbd left", ifname);
				removed++;
			}
		}
	}
	return removed;
}

/* The name of program @id, for an error message. */
static void dp_prog_name(__u32 id, char *name, size_t len)
{
	struct bpf_prog_info info = {};
	__u32 ilen = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);

	snprintf(name, len, "?");
	if (fd < 0)
		return;
	if (bpf_obj_get_info_by_fd(fd, &info, &ilen) == 0)
		snprintf(name, len, "%s", info.name);
	close(fd);
}

/*
 * Another program on the hook we would take (someone else's XDP program, a
 * tc filter at our handle): replacing it silently would break whatever it
 * does. xlb's own (of any xlbd run) is taken over as usual.
 */
static int dp_refuse_foreign(int ifindex, const char *ifname, enum attach_mode mode)
{
	char name[BPF_OBJ_NAME_LEN + 1];
	__u32 id = 0;
	int fd;

	if (mode == ATTACH_TC) {
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
		LIBBPF_OPTS(bpf_tc_opts, opts, .handle = 1, .priority = 1);

		if (bpf_tc_query(&hook, &opts) || !opts.prog_id)
			return 0;
		if (dp_prog_is_xlb(opts.prog_id, "xlb_tc", &fd)) {
			close(fd);
			return 0;
		}
		dp_prog_name(opts.prog_id, name, sizeof(name));
		log_error("%s: tc ingress filter handle 1 priority 1 is program '%s' (id %u), not "
			  "xlb's: xlbd does not replace it (remove it: tc filter del dev %s ingress "
			  "handle 1 prio 1 bpf)",
			  ifname, name, opts.prog_id, ifname);
		return -EBUSY;
	}
	/* any XDP program (native or generic) */
	if (bpf_xdp_query_id(ifindex, 0, &id) || !id)
		return 0;
	if (dp_prog_is_xlb(id, "xlb_xdp", &fd)) {
		close(fd);
		return 0;
	}
	dp_prog_name(id, name, sizeof(name));
	log_error("%s: XDP program '%s' (id %u) is attached and is not xlb's: xlbd does not "
		  "replace it (remove it: ip link set dev %s xdp off)",
		  ifname, name, id, ifname);
	return -EBUSY;
}

static int dp_iface_put(struct dataplane *dp, int ifindex, const uint8_t mac[6])
{
	uint32_t slot = (uint32_t)ifindex % XLB_IFACE_SLOTS;
	struct xlb_iface val = { .ifindex = (uint32_t)ifindex };

	memcpy(val.mac, mac, 6);
	return dp_update(dp, dp->skel->maps.iface_macs, &slot, sizeof(slot), &val, sizeof(val));
}

int dataplane_attach(struct dataplane *dp, int ifindex, const char *ifname, const uint8_t mac[6],
		     enum attach_mode mode)
{
	struct dp_attachment *at = dp_find(dp, ifindex);
	int prog_fd = bpf_program__fd(dp->skel->progs.xlb_xdp);
	int err;

	if (at && at->mode == mode)
		return 0;
	err = dp_step(dp);
	if (err) {
		log_error("%s: cannot attach: %s", ifname, strerror(-err));
		return err;
	}
	if (at) {
		err = dataplane_detach(dp, ifindex, ifname);
		if (err)
			return err;
	}
	if (dp->nattached == DP_MAX_ATTACH)
		return -ENOSPC;
	at = &dp->attached[dp->nattached];
	memset(at, 0, sizeof(*at));
	at->ifindex = ifindex;
	at->mode = mode;
	memcpy(at->mac, mac, 6);
	snprintf(at->ifname, sizeof(at->ifname), "%s", ifname);
	/* Before the program: it may redirect from its first packet on. */
	err = dataplane_txport_add(dp, ifindex);
	if (err) {
		log_error("%s: cannot add to the redirect map: %s", ifname, strerror(-err));
		return err;
	}
	err = dp_iface_put(dp, ifindex, mac);
	if (err) {
		log_error("%s: cannot record its MAC: %s", ifname, strerror(-err));
		return err;
	}
	dataplane_detach_stale(ifindex, ifname, (int)mode);
	err = dp_refuse_foreign(ifindex, ifname, mode);
	if (err)
		return err;

	switch (mode) {
	case ATTACH_TC:
		err = dp_attach_tc(dp, at);
		break;
	case ATTACH_NATIVE:
		at->xdp_flags = XDP_FLAGS_DRV_MODE;
		err = bpf_xdp_attach(ifindex, prog_fd, at->xdp_flags, NULL);
		if (!err)
			break;
		log_warn("%s: native XDP attach failed (%s), falling back to generic XDP", ifname,
			 strerror(-err));
		/* fall through */
	case ATTACH_GENERIC:
		at->xdp_flags = XDP_FLAGS_SKB_MODE;
		err = bpf_xdp_attach(ifindex, prog_fd, at->xdp_flags, NULL);
		break;
	default:
		err = -EINVAL;
	}
	if (err) {
		log_error("%s: cannot attach (%s mode): %s", ifname, config_attach_mode_name(mode),
			  strerror(-err));
		return err;
	}
	log_info("%s: attached (%s)", ifname,
		 mode == ATTACH_TC ? "tc ingress" :
		 at->xdp_flags == XDP_FLAGS_DRV_MODE ? "native XDP" : "generic XDP");
	dp->nattached++;
	return 0;
}

int dataplane_detach(struct dataplane *dp, int ifindex, const char *ifname)
{
	struct dp_attachment *at = dp_find(dp, ifindex);
	int err;

	if (!at)
		return -ENOENT;
	err = dp_step(dp);
	if (err) {
		log_warn("%s: detach failed: %s", ifname, strerror(-err));
		return err;
	}
	if (at->mode == ATTACH_TC) {
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
		LIBBPF_OPTS(bpf_tc_opts, opts, .handle = 1, .priority = 1);

		err = bpf_tc_detach(&hook, &opts);
		if (!err && at->tc_hook_created) {
			/* Both attach points: that is what removes the clsact qdisc itself. */
			hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			err = bpf_tc_hook_destroy(&hook);
		}
	} else {
		LIBBPF_OPTS(bpf_xdp_attach_opts, opts,
			    .old_prog_fd = bpf_program__fd(dp->skel->progs.xlb_xdp));

		/* Only ours: never remove a program someone attached after us. */
		err = bpf_xdp_detach(ifindex, at->xdp_flags | XDP_FLAGS_REPLACE, &opts);
	}
	if (err)
		log_warn("%s: detach failed: %s", ifname, strerror(-err));
	else
		log_info("%s: detached", ifname);
	int txerr = dataplane_txport_del(dp, ifindex);

	if (txerr && txerr != -ENOENT) {
		log_warn("%s: cannot remove from the redirect map: %s", ifname, strerror(-txerr));
		err = err ? err : txerr;
	}
	*at = dp->attached[--dp->nattached];
	return err;
}

const struct xlb_dp_spec *dataplane_spec(const struct dataplane *dp)
{
	return &dp->spec;
}

/* Attaches @prog_fd in place of @old_fd on @at's hook, atomically. */
static int dp_swap_prog(struct dataplane *dp, struct dp_attachment *at, struct xlb_bpf *to,
			struct xlb_bpf *from)
{
	if (at->mode == ATTACH_TC) {
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = at->ifindex, .attach_point = BPF_TC_INGRESS);
		LIBBPF_OPTS(bpf_tc_opts, opts, .handle = 1, .priority = 1, .flags = BPF_TC_F_REPLACE,
			    .prog_fd = bpf_program__fd(to->progs.xlb_tc));

		(void)dp;
		return bpf_tc_attach(&hook, &opts);
	}
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = bpf_program__fd(from->progs.xlb_xdp));
	return bpf_xdp_attach(at->ifindex, bpf_program__fd(to->progs.xlb_xdp),
			      at->xdp_flags | XDP_FLAGS_REPLACE, &opts);
}

/* Maps respecialise created anew (in use from now on) replace their placeholders' pins. */
static void dp_repin_fresh(struct dataplane *dp)
{
	struct bpf_map *map;

	if (!dp->pin_dir[0])
		return;
	bpf_object__for_each_map(map, dp->skel->obj) {
		char path[PATH_MAX + 64];
		bool needed;

		if (!dp_map_optional(map, &dp->spec, &needed) || !needed || bpf_map__is_pinned(map))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dp->pin_dir, bpf_map__name(map));
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_obj_get(path);

		/* pinned already if it is the very map (reused), else the placeholder's pin */
		if (fd >= 0) {
			struct bpf_map_info mine = {};
			__u32 mlen = sizeof(mine);

			bool same = bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
				    bpf_obj_get_info_by_fd(bpf_map__fd(map), &mine, &mlen) == 0 &&
				    info.id == mine.id;
			close(fd);
			if (same)
				continue;
			unlink(path);
		}
		if (bpf_map__pin(map, path))
			log_warn("%s: cannot pin (a restart will start it empty)", path);
	}
}

int dataplane_respecialise(struct dataplane *dp, const struct xlb_dp_spec *spec)
{
	struct xlb_bpf *skel;
	struct bpf_map *map;
	int err = 0, swapped = 0;

	err = dp_step(dp);
	if (err)
		return err;
	skel = xlb_bpf__open();
	if (!skel)
		return -errno;
	bpf_object__for_each_map(map, skel->obj) {
		struct bpf_map *old;
		bool needed;

		if (bpf_map__is_internal(map))
			continue;
		old = bpf_object__find_map_by_name(dp->skel->obj, bpf_map__name(map));
		if (old && dp_map_optional(map, spec, &needed) && needed &&
		    bpf_map__max_entries(old) == 1) {
			/* a placeholder until now: full size (nat_rev, persist: as the flow table) */
			if (map == skel->maps.nat_rev || map == skel->maps.persist)
				err = bpf_map__set_max_entries(map,
							       bpf_map__max_entries(dp->skel->maps.flows));
			if (err)
				goto fail;
			continue;
		}
		err = old ? bpf_map__reuse_fd(map, bpf_map__fd(old)) : -ENOENT;
		if (err) {
			log_error("new program: cannot take over map %s: %s", bpf_map__name(map),
				  strerror(-err));
			goto fail;
		}
	}
	dp_spec_set(skel, spec);
	err = xlb_bpf__load(skel);
	if (err) {
		log_error("cannot load the new program: %s", strerror(-err));
		goto fail;
	}
	for (; swapped < dp->nattached; swapped++) {
		err = dp_swap_prog(dp, &dp->attached[swapped], skel, dp->skel);
		if (err) {
			log_error("%s: cannot replace the program: %s",
				  dp->attached[swapped].ifname, strerror(-err));
			goto unswap;
		}
	}
	if (dp->nretired == (int)(sizeof(dp->retired) / sizeof(dp->retired[0]))) {
		/* the oldest has been replaced long ago: whoever held its fds has moved on */
		xlb_bpf__destroy(dp->retired[0]);
		memmove(dp->retired, dp->retired + 1, sizeof(dp->retired) - sizeof(dp->retired[0]));
		dp->nretired--;
	}
	dp->retired[dp->nretired++] = dp->skel;
	dp->skel = skel;
	dp->spec = *spec;
	dp_repin_fresh(dp);
	return 0;
unswap:
	while (swapped-- > 0)
		if (dp_swap_prog(dp, &dp->attached[swapped], dp->skel, skel))
			log_error("%s: cannot put the previous program back",
				  dp->attached[swapped].ifname);
fail:
	xlb_bpf__destroy(skel);
	return err;
}

/* Whether @path pins the very map @fd (not another of the same name). */
static bool dp_pinned_is(const char *path, int fd)
{
	struct bpf_map_info pinned = {}, mine = {};
	__u32 plen = sizeof(pinned), mlen = sizeof(mine);
	int pfd = bpf_obj_get(path);
	bool same;

	if (pfd < 0)
		return false;
	same = bpf_obj_get_info_by_fd(pfd, &pinned, &plen) == 0 &&
	       bpf_obj_get_info_by_fd(fd, &mine, &mlen) == 0 && pinned.id == mine.id;
	close(pfd);
	return same;
}

int dataplane_txn_begin(struct dataplane *dp)
{
	if (dp->txn)
		return -EBUSY;
	dp->txn = dp_journal_new();
	if (!dp->txn)
		return -ENOMEM;
	dp->txn_skel = dp->skel;
	dp->txn_spec = dp->spec;
	memcpy(dp->txn_attached, dp->attached, sizeof(dp->attached));
	dp->txn_nattached = dp->nattached;
	return 0;
}

void dataplane_txn_commit(struct dataplane *dp)
{
	dp_journal_free(dp->txn);
	dp->txn = NULL;
}

static const struct dp_attachment *dp_txn_find(const struct dataplane *dp, int ifindex)
{
	for (int i = 0; i < dp->txn_nattached; i++)
		if (dp->txn_attached[i].ifindex == ifindex)
			return &dp->txn_attached[i];
	return NULL;
}

/* The interfaces and modes of when the transaction began. */
static int dp_txn_restore_attached(struct dataplane *dp)
{
	int err = 0;

	for (int i = dp->nattached; i-- > 0;) {
		const struct dp_attachment *was = dp_txn_find(dp, dp->attached[i].ifindex);

		if (!was || was->mode != dp->attached[i].mode) {
			char ifname[IF_NAMESIZE];

			memcpy(ifname, dp->attached[i].ifname, sizeof(ifname));
			int e = dataplane_detach(dp, dp->attached[i].ifindex, ifname);

			err = err ? err : e;
		}
	}
	for (int i = 0; i < dp->txn_nattached; i++) {
		const struct dp_attachment *was = &dp->txn_attached[i];
		int e = dp_find(dp, was->ifindex)
			    ? 0
			    : dataplane_attach(dp, was->ifindex, was->ifname, was->mac, was->mode);

		err = err ? err : e;
	}
	return err;
}

/* The program of when the transaction began, kept among the retired ones, back in place. */
static int dp_txn_restore_prog(struct dataplane *dp)
{
	struct xlb_bpf *was = dp->txn_skel;
	struct bpf_map *map;
	int i, err = 0;

	if (dp->skel == was)
		return 0;
	for (i = 0; i < dp->nretired && dp->retired[i] != was; i++)
		;
	if (i == dp->nretired)
		return -ENOENT;
	for (int k = 0; k < dp->nattached; k++) {
		int e = dp_swap_prog(dp, &dp->attached[k], was, dp->skel);

		if (e)
			log_error("%s: cannot put the previous program back: %s",
				  dp->attached[k].ifname, strerror(-e));
		err = err ? err : e;
	}
	dp->retired[i] = dp->skel;
	dp->skel = was;
	dp->spec = dp->txn_spec;
	/* its placeholders' pins, where the swapped-out program pinned full-size maps */
	bpf_object__for_each_map(map, dp->skel->obj)
	{
		char path[PATH_MAX + 64];
		bool needed;

		if (!dp->pin_dir[0] || !dp_map_optional(map, &dp->spec, &needed))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dp->pin_dir, bpf_map__name(map));
		if (dp_pinned_is(path, bpf_map__fd(map)))
			continue;
		unlink(path);
		if (bpf_obj_pin(bpf_map__fd(map), path))
			log_warn("%s: cannot pin again", path);
	}
	return err;
}

int dataplane_txn_rollback(struct dataplane *dp)
{
	struct dp_journal *j = dp->txn;
	int err, e;

	if (!j)
		return 0;
	dp->fail_in = -1; /* an injected failure fails one step, never the undo */
	err = dp_txn_restore_attached(dp);
	e = dp_txn_restore_prog(dp);
	err = err ? err : e;
	dp->txn = NULL; /* the undo's own writes are not journaled */
	e = dp_journal_undo(j);
	err = err ? err : e;
	dp_journal_free(j);
	return err;
}

/* The by-id copy first: a packet that finds the hash entry finds the copy too. */
int dataplane_service_put(struct dataplane *dp, const struct xlb_service_key *key,
			  const struct xlb_service *val)
{
	uint32_t id = val->svc_id;
	int err;

	if (id >= XLB_MAX_SERVICES)
		return -EINVAL;
	err = dp_update(dp, dp->skel->maps.svc_by_id, &id, sizeof(id), val, sizeof(*val));
	if (err)
		return err;
	return dp_update(dp, dp->skel->maps.services, key, sizeof(*key), val, sizeof(*val));
}

int dataplane_service_del(struct dataplane *dp, const struct xlb_service_key *key)
{
	struct xlb_service val, cur, none = { 0 };
	int err = dataplane_service_get(dp, key, &val);

	if (err)
		return err;
	err = dp_delete(dp, dp->skel->maps.services, key, sizeof(*key));
	if (err)
		return err;
	/* only if the id still holds this service (a new one may have it already) */
	if (val.svc_id < XLB_MAX_SERVICES &&
	    bpf_map__lookup_elem(dp->skel->maps.svc_by_id, &val.svc_id, sizeof(val.svc_id), &cur,
				 sizeof(cur), 0) == 0 &&
	    memcmp(&cur, &val, sizeof(cur)) == 0)
		err = dp_update(dp, dp->skel->maps.svc_by_id, &val.svc_id, sizeof(val.svc_id),
				&none, sizeof(none));
	return err;
}

int dataplane_service_get(struct dataplane *dp, const struct xlb_service_key *key,
			  struct xlb_service *val)
{
	return bpf_map__lookup_elem(dp->skel->maps.services, key, sizeof(*key), val, sizeof(*val),
				    0);
}

int dataplane_ring_put(struct dataplane *dp, uint32_t slot, const struct xlb_ring *ring)
{
	return dp_update(dp, dp->skel->maps.sched_rings, &slot, sizeof(slot), ring, sizeof(*ring));
}

int dataplane_mh_table_put(struct dataplane *dp, uint32_t base, const uint32_t *table, uint32_t n)
{
	uint32_t *keys = malloc(n * sizeof(*keys));
	__u32 count = n;
	int err;

	if (!keys)
		return -ENOMEM;
	err = dp_step(dp);
	if (!err && dp->txn)
		err = dp_journal_save_range(dp->txn, bpf_map__fd(dp->skel->maps.mh_tables), base, n,
					    dp_value_size(dp, dp->skel->maps.mh_tables));
	if (err) {
		free(keys);
		return err;
	}
	for (uint32_t i = 0; i < n; i++)
		keys[i] = base + i;
	err = bpf_map_update_batch(bpf_map__fd(dp->skel->maps.mh_tables), keys, table, &count, NULL);
	free(keys);
	return err ? -errno : 0;
}

int dataplane_real_put(struct dataplane *dp, uint32_t id, const struct xlb_real *real)
{
	struct xlb_real val = *real;

	val.flags |= XLB_REAL_F_PRESENT;
	return dp_update(dp, dp->skel->maps.reals, &id, sizeof(id), &val, sizeof(val));
}

int dataplane_real_del(struct dataplane *dp, uint32_t id)
{
	struct xlb_real none = { 0 };

	if (id >= XLB_MAX_REALS)
		return -ENOENT;
	return dp_update(dp, dp->skel->maps.reals, &id, sizeof(id), &none, sizeof(none));
}

#define DP_REALS_BATCH 4096

int dataplane_reals_foreach(struct dataplane *dp,
			    void (*fn)(uint32_t id, const struct xlb_real *real, void *arg), void *arg)
{
	int fd = bpf_map__fd(dp->skel->maps.reals);
	struct xlb_real *vals = calloc(DP_REALS_BATCH, sizeof(*vals));
	uint32_t *keys = calloc(DP_REALS_BATCH, sizeof(*keys));
	uint32_t pos = 0;
	bool first = true;
	int err = 0;

	if (!vals || !keys) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		__u32 n = DP_REALS_BATCH;
		int ret = bpf_map_lookup_batch(fd, first ? NULL : &pos, &pos, keys, vals, &n, NULL);

		if (ret < 0 && errno != ENOENT) {
			err = -errno;
			break;
		}
		first = false;
		for (__u32 i = 0; i < n; i++) {
			if (!(vals[i].flags & XLB_REAL_F_PRESENT))
				continue;
			vals[i].flags &= ~XLB_REAL_F_PRESENT;
			fn(keys[i], &vals[i], arg);
		}
		if (ret < 0)
			break;
	}
out:
	free(vals);
	free(keys);
	return err;
}

int dataplane_fnat_locals_put(struct dataplane *dp, uint32_t svc_id,
			      const struct xlb_fnat_locals *locals)
{
	return dp_update(dp, dp->skel->maps.fnat_locals, &svc_id, sizeof(svc_id), locals,
			 sizeof(*locals));
}

int dataplane_fnat_locals_del(struct dataplane *dp, uint32_t svc_id)
{
	return dp_delete(dp, dp->skel->maps.fnat_locals, &svc_id, sizeof(svc_id));
}

int dataplane_globals_put(struct dataplane *dp, const struct xlb_globals *g)
{
	uint32_t zero = 0;

	return dp_update(dp, dp->skel->maps.globals, &zero, sizeof(zero), g, sizeof(*g));
}

int dataplane_conns_get(struct dataplane *dp, uint32_t real_id, struct xlb_conns *bpf_side,
			struct xlb_conns *swept)
{
	int err = bpf_map__lookup_elem(dp->skel->maps.real_conns, &real_id, sizeof(real_id),
				       bpf_side, sizeof(*bpf_side), 0);

	if (!err)
		err = bpf_map__lookup_elem(dp->skel->maps.real_conns_swept, &real_id,
					   sizeof(real_id), swept, sizeof(*swept), 0);
	return err;
}

int dataplane_conns_swept_put(struct dataplane *dp, uint32_t real_id, const struct xlb_conns *swept)
{
	return dp_update(dp, dp->skel->maps.real_conns_swept, &real_id, sizeof(real_id), swept,
			 sizeof(*swept));
}

int dataplane_conns_reset(struct dataplane *dp, uint32_t real_id)
{
	struct xlb_conns zero = {};
	int err = dp_update(dp, dp->skel->maps.real_conns, &real_id, sizeof(real_id), &zero,
			    sizeof(zero));

	return err ? err : dataplane_conns_swept_put(dp, real_id, &zero);
}

int dataplane_real_get(struct dataplane *dp, uint32_t id, struct xlb_real *real)
{
	int err = bpf_map__lookup_elem(dp->skel->maps.reals, &id, sizeof(id), real, sizeof(*real),
				       0);

	if (err)
		return err == -EFAULT ? err : -ENOENT;
	if (!(real->flags & XLB_REAL_F_PRESENT))
		return -ENOENT;
	real->flags &= ~XLB_REAL_F_PRESENT;
	return 0;
}

#define DP_SWEEP_BATCH 4096

long dataplane_flows_sweep(struct dataplane *dp, enum dp_flow_table table,
			   bool (*fn)(const struct xlb_flow_key *key, const struct xlb_flow *flow,
				      void *arg),
			   void *arg)
{
	int fd = bpf_map__fd(table == DP_SYN_FLOWS ? dp->skel->maps.syn_flows :
						     dp->skel->maps.flows);
	struct xlb_flow_key *keys = calloc(DP_SWEEP_BATCH, sizeof(*keys));
	struct xlb_flow *vals = calloc(DP_SWEEP_BATCH, sizeof(*vals));
	struct xlb_flow_key batch_pos;
	bool first = true;
	long seen = 0;
	int err = 0;

	if (!keys || !vals) {
		err = -ENOMEM;
		goto out;
	}
	/* Deletions wait until the walk is done: deleting under a batch cursor skips entries. */
	struct xlb_flow_key *doomed = NULL;
	__u64 *doomed_seen = NULL;
	size_t ndoomed = 0, cap = 0;

	for (;;) {
		__u32 count = DP_SWEEP_BATCH;
		int ret = bpf_map_lookup_batch(fd, first ? NULL : &batch_pos, &batch_pos, keys, vals,
					       &count, NULL);

		if (ret < 0 && errno != ENOENT) {
			err = -errno;
			break;
		}
		first = false;
		for (__u32 i = 0; i < count; i++) {
			seen++;
			if (!fn(&keys[i], &vals[i], arg))
				continue;
			if (ndoomed == cap) {
				size_t ncap = cap ? cap * 2 : 1024;
				struct xlb_flow_key *grown = realloc(doomed, ncap * sizeof(*doomed));
				__u64 *grown_seen = grown ? realloc(doomed_seen, ncap * sizeof(__u64)) : NULL;

				if (grown)
					doomed = grown;
				if (!grown_seen)
					continue;
				doomed_seen = grown_seen;
				cap = ncap;
			}
			doomed_seen[ndoomed] = vals[i].last_seen_ns;
			doomed[ndoomed++] = keys[i];
		}
		if (ret < 0)
			break; /* ENOENT: that was the last batch */
	}
	for (size_t i = 0; i < ndoomed; i++) {
		struct xlb_flow now;

		/* A packet since the walk brought it back to life: keep it. */
		if (bpf_map_lookup_elem(fd, &doomed[i], &now) == 0 &&
		    now.last_seen_ns == doomed_seen[i] && bpf_map_delete_elem(fd, &doomed[i]) == 0)
			dp->flows_deleted[table]++;
	}
	free(doomed);
	free(doomed_seen);
out:
	free(keys);
	free(vals);
	return err ? err : seen;
}

int dataplane_map_fd(struct dataplane *dp, const char *name)
{
	struct bpf_map *map = bpf_object__find_map_by_name(dp->skel->obj, name);

	return map ? bpf_map__fd(map) : -ENOENT;
}

struct bpf_object *dataplane_bpf_object(struct dataplane *dp)
{
	return dp->skel->obj;
}

int dataplane_flow_get(struct dataplane *dp, const struct xlb_flow_key *key,
		       struct xlb_flow *flow)
{
	if (bpf_map__lookup_elem(dp->skel->maps.flows, key, sizeof(*key), flow, sizeof(*flow),
				 0) == 0)
		return 0;
	return bpf_map__lookup_elem(dp->skel->maps.syn_flows, key, sizeof(*key), flow,
				    sizeof(*flow), 0);
}

int dataplane_flow_del(struct dataplane *dp, const struct xlb_flow_key *key)
{
	int err = bpf_map__delete_elem(dp->skel->maps.flows, key, sizeof(*key), 0);
	int err_syn = bpf_map__delete_elem(dp->skel->maps.syn_flows, key, sizeof(*key), 0);

	if (!err)
		dp->flows_deleted[DP_FLOWS]++;
	if (!err_syn)
		dp->flows_deleted[DP_SYN_FLOWS]++;
	return !err || !err_syn ? 0 : err;
}

int dataplane_flow_put(struct dataplane *dp, const struct xlb_flow_key *key,
		       const struct xlb_flow *flow)
{
	struct bpf_map *map = dp->skel->maps.flows;
	int err = bpf_map__update_elem(map, key, sizeof(*key), flow, sizeof(*flow), BPF_NOEXIST);

	if (err == 0) {
		dp->flows_inserted++;
		return 0;
	}
	if (err != -EEXIST)
		return err;
	return bpf_map__update_elem(map, key, sizeof(*key), flow, sizeof(*flow), BPF_EXIST);
}

void dataplane_flow_table_stats(struct dataplane *dp, struct dp_flow_table_stats *st)
{
	st->max[DP_FLOWS] = bpf_map__max_entries(dp->skel->maps.flows);
	st->max[DP_SYN_FLOWS] = bpf_map__max_entries(dp->skel->maps.syn_flows);
	st->deleted[DP_FLOWS] = dp->flows_deleted[DP_FLOWS];
	st->deleted[DP_SYN_FLOWS] = dp->flows_deleted[DP_SYN_FLOWS];
	st->inserted_by_us = dp->flows_inserted;
}

int dataplane_nat_rev_put(struct dataplane *dp, const struct xlb_flow_key *key,
			  const struct xlb_nat_rev *rev)
{
	return bpf_map__update_elem(dp->skel->maps.nat_rev, key, sizeof(*key), rev, sizeof(*rev),
				    BPF_ANY);
}

int dataplane_flow_events_fd(struct dataplane *dp)
{
	return bpf_map__fd(dp->skel->maps.flow_events);
}

int dataplane_nat_rev_del(struct dataplane *dp, const struct xlb_flow_key *key)
{
	return bpf_map__delete_elem(dp->skel->maps.nat_rev, key, sizeof(*key), 0);
}

int dataplane_txport_add(struct dataplane *dp, int ifindex)
{
	uint32_t key = ifindex, val = ifindex;

	return dp_update(dp, dp->skel->maps.tx_ports, &key, sizeof(key), &val, sizeof(val));
}

int dataplane_txport_del(struct dataplane *dp, int ifindex)
{
	uint32_t key = ifindex;

	return dp_delete(dp, dp->skel->maps.tx_ports, &key, sizeof(key));
}

static struct bpf_map *dp_stats_map(struct dataplane *dp, enum dp_stats_map which)
{
	return which == DP_STATS_SERVICE ? dp->skel->maps.svc_stats : dp->skel->maps.real_stats;
}

int dataplane_stats_read(struct dataplane *dp, enum dp_stats_map which, uint32_t id,
			 struct xlb_stats *sum)
{
	struct xlb_stats per_cpu[dp->ncpus];
	int err = bpf_map__lookup_elem(dp_stats_map(dp, which), &id, sizeof(id), per_cpu,
				       sizeof(per_cpu), 0);

	memset(sum, 0, sizeof(*sum));
	if (err)
		return err;
	for (int i = 0; i < dp->ncpus; i++) {
		sum->packets += per_cpu[i].packets;
		sum->bytes += per_cpu[i].bytes;
		sum->new_flows += per_cpu[i].new_flows;
	}
	return 0;
}

int dataplane_stats_reset(struct dataplane *dp, enum dp_stats_map which, uint32_t id)
{
	struct xlb_stats per_cpu[dp->ncpus];

	memset(per_cpu, 0, sizeof(per_cpu));
	return dp_update(dp, dp_stats_map(dp, which), &id, sizeof(id), per_cpu, sizeof(per_cpu));
}

int dataplane_counters_read(struct dataplane *dp, uint64_t out[XLB_CNT__COUNT])
{
	uint64_t per_cpu[dp->ncpus];

	for (uint32_t c = 0; c < XLB_CNT__COUNT; c++) {
		out[c] = 0;
		if (bpf_map__lookup_elem(dp->skel->maps.global_stats, &c, sizeof(c), per_cpu,
					 sizeof(per_cpu), 0))
			continue;
		for (int i = 0; i < dp->ncpus; i++)
			out[c] += per_cpu[i];
	}
	return 0;
}

int dataplane_prog_fd(struct dataplane *dp, bool tc)
{
	return bpf_program__fd(tc ? dp->skel->progs.xlb_tc : dp->skel->progs.xlb_xdp);
}
