// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xlb-rs's tc program per device. The attached program outlives each xlb-rs
 * run; the next run finds it with a tc query at xlb-rs's fixed handle and
 * priority, then reaches its maps by id. Nothing is pinned, because `ip
 * netns exec` mounts a fresh /sys and a pin would vanish from view.
 */
#include "xlb_rs_bpf.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xlb_rs.skel.h"

#define RS_MAX_PROG_MAPS 16

static const char *const rs_counter_names[XLB_RS_CNT__COUNT] = {
    [XLB_RS_CNT_RX] = "rx",
    [XLB_RS_CNT_DECAP_TUN] = "decap_tun",
    [XLB_RS_CNT_DECAP_GUE] = "decap_gue",
    [XLB_RS_CNT_DSCP_RESTORED] = "dscp_restored",
    [XLB_RS_CNT_PASS_NOT_IP] = "pass_not_ip",
    [XLB_RS_CNT_PASS_NOT_OURS] = "pass_not_ours",
    [XLB_RS_CNT_PASS_MALFORMED] = "pass_malformed",
    [XLB_RS_CNT_PASS_FRAGMENT] = "pass_fragment",
    [XLB_RS_CNT_PASS_GSO] = "pass_gso",
    [XLB_RS_CNT_ERROR] = "error",
};

const char *rs_bpf_counter_name(int counter)
{
	if (counter < 0 || counter >= XLB_RS_CNT__COUNT || !rs_counter_names[counter])
		return "?";
	return rs_counter_names[counter];
}

void rs_bpf_vip_make(struct rs_bpf_vip *out, const struct net_addr *vip, int method, uint8_t dscp,
		     uint16_t gue_port)
{
	memset(out, 0, sizeof(*out));
	net_addr_to_xlb(vip, &out->key.vip);
	out->key.family = net_addr_xlb_family(vip);
	out->val.method = method;
	out->val.dscp = method == XLB_METHOD_DSCP ? dscp : 0;
	out->val.gue_port = method == XLB_METHOD_GUE ? htons(gue_port) : 0;
}

static void rs_prog_init(struct rs_prog *p)
{
	memset(p, 0, sizeof(*p));
	p->prog_fd = p->map_vips = p->map_dscp = p->map_gue_ports = -1;
	p->map_stats = p->map_vip_stats = -1;
}

static void rs_close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void rs_bpf_close(struct rs_prog *p)
{
	if (p->skel) {
		/* the skeleton owns these descriptors */
		xlb_rs_bpf__destroy(p->skel);
	} else {
		rs_close_fd(&p->prog_fd);
		rs_close_fd(&p->map_vips);
		rs_close_fd(&p->map_dscp);
		rs_close_fd(&p->map_gue_ports);
		rs_close_fd(&p->map_stats);
		rs_close_fd(&p->map_vip_stats);
	}
	rs_prog_init(p);
}

int rs_bpf_load(struct rs_prog *p)
{
	struct xlb_rs_bpf *skel;

	rs_prog_init(p);
	skel = xlb_rs_bpf__open_and_load();
	if (!skel)
		return errno ? -errno : -EINVAL;
	p->skel = skel;
	p->prog_fd = bpf_program__fd(skel->progs.xlb_rs_ingress);
	p->map_vips = bpf_map__fd(skel->maps.rs_vips);
	p->map_dscp = bpf_map__fd(skel->maps.rs_dscp);
	p->map_gue_ports = bpf_map__fd(skel->maps.rs_gue_ports);
	p->map_stats = bpf_map__fd(skel->maps.rs_stats);
	p->map_vip_stats = bpf_map__fd(skel->maps.rs_vip_stats);
	return 0;
}

/* Which of our maps @info is, by name and layout; NULL for none. */
static int *rs_map_slot(struct rs_prog *p, const struct bpf_map_info *info, bool *bad_layout)
{
	static const struct {
		const char *name;
		size_t off;
		__u32 key_size, value_size;
	} maps[] = {
	    {"rs_vips", offsetof(struct rs_prog, map_vips), sizeof(struct xlb_rs_vip_key),
	     sizeof(struct xlb_rs_vip)},
	    {"rs_dscp", offsetof(struct rs_prog, map_dscp), sizeof(struct xlb_rs_dscp_key),
	     sizeof(struct xlb_rs_vip_key)},
	    {"rs_gue_ports", offsetof(struct rs_prog, map_gue_ports), sizeof(__u16), sizeof(__u32)},
	    {"rs_stats", offsetof(struct rs_prog, map_stats), sizeof(__u32), sizeof(__u64)},
	    {"rs_vip_stats", offsetof(struct rs_prog, map_vip_stats), sizeof(struct xlb_rs_vip_key),
	     sizeof(struct xlb_rs_vip_stats)},
	};

	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		if (strcmp(info->name, maps[i].name))
			continue;
		if (info->key_size != maps[i].key_size || info->value_size != maps[i].value_size) {
			*bad_layout = true;
			return NULL;
		}
		return (int *)((char *)p + maps[i].off);
	}
	return NULL;
}

int rs_bpf_find(int ifindex, struct rs_prog *p)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = XLB_RS_TC_HANDLE, .priority = XLB_RS_TC_PRIO);
	__u32 map_ids[RS_MAX_PROG_MAPS];
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	bool bad_layout = false;
	int err;

	rs_prog_init(p);
	err = bpf_tc_query(&hook, &opts);
	/* no clsact qdisc at all reads as EINVAL */
	if (err == -ENOENT || err == -EINVAL)
		return -ENOENT;
	if (err)
		return err;
	p->prog_id = opts.prog_id;
	p->prog_fd = bpf_prog_get_fd_by_id(opts.prog_id);
	if (p->prog_fd < 0) {
		err = -errno;
		goto fail;
	}
	info.nr_map_ids = RS_MAX_PROG_MAPS;
	info.map_ids = (__u64)(unsigned long)map_ids;
	if (bpf_obj_get_info_by_fd(p->prog_fd, &info, &len)) {
		err = -errno;
		goto fail;
	}
	if (strcmp(info.name, XLB_RS_PROG_NAME)) {
		err = -EBUSY;
		goto fail;
	}
	for (__u32 i = 0; i < info.nr_map_ids && i < RS_MAX_PROG_MAPS; i++) {
		struct bpf_map_info mi = {};
		__u32 mlen = sizeof(mi);
		int fd = bpf_map_get_fd_by_id(map_ids[i]);
		int *slot;

		if (fd < 0) {
			err = -errno;
			goto fail;
		}
		if (bpf_obj_get_info_by_fd(fd, &mi, &mlen)) {
			err = -errno;
			close(fd);
			goto fail;
		}
		slot = rs_map_slot(p, &mi, &bad_layout);
		if (slot && *slot < 0)
			*slot = fd;
		else
			close(fd);
	}
	if (bad_layout || p->map_vips < 0 || p->map_dscp < 0 || p->map_gue_ports < 0 ||
	    p->map_stats < 0 || p->map_vip_stats < 0) {
		err = -EPROTO;
		goto fail;
	}
	return 0;
fail:
	/* keep the id for the caller's message */
	{
		__u32 id = p->prog_id;

		rs_bpf_close(p);
		p->prog_id = id;
	}
	return err;
}

int rs_bpf_attach(int ifindex, struct rs_prog *p, bool *clsact_created)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = XLB_RS_TC_HANDLE, .priority = XLB_RS_TC_PRIO);
	int err = rs_bpf_load(p);

	*clsact_created = false;
	if (err)
		return err;
	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		goto fail;
	*clsact_created = !err;
	/* no BPF_TC_F_REPLACE: whatever holds our handle and priority stays */
	opts.prog_fd = p->prog_fd;
	err = bpf_tc_attach(&hook, &opts);
	if (err) {
		if (*clsact_created) {
			hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			bpf_tc_hook_destroy(&hook);
			*clsact_created = false;
		}
		goto fail;
	}
	p->prog_id = opts.prog_id;
	return 0;
fail:
	rs_bpf_close(p);
	return err;
}

int rs_bpf_detach(int ifindex, bool clsact)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = XLB_RS_TC_HANDLE, .priority = XLB_RS_TC_PRIO);
	int err = bpf_tc_detach(&hook, &opts);

	if (err)
		return err;
	if (clsact) {
		/* both attach points at once is what deletes the qdisc itself */
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		err = bpf_tc_hook_destroy(&hook);
	}
	return err;
}

static int rs_ncpus(void)
{
	int n = libbpf_num_possible_cpus();

	return n > 0 ? n : 1;
}

static bool rs_want_vip(const struct rs_bpf_vip *vips, size_t n, const struct xlb_rs_vip_key *k)
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(&vips[i].key, k, sizeof(*k)) == 0)
			return true;
	return false;
}

static bool rs_want_dscp(const struct rs_bpf_vip *vips, size_t n, const struct xlb_rs_dscp_key *k)
{
	for (size_t i = 0; i < n; i++)
		if (vips[i].val.method == XLB_METHOD_DSCP && vips[i].key.family == k->family &&
		    vips[i].val.dscp == k->dscp)
			return true;
	return false;
}

static __u32 rs_port_users(const struct rs_bpf_vip *vips, size_t n, __u16 port)
{
	__u32 users = 0;

	for (size_t i = 0; i < n; i++)
		if (vips[i].val.method == XLB_METHOD_GUE && vips[i].val.gue_port == port)
			users++;
	return users;
}

/*
 * Deletes every key of @fd for which @keep says no. Keys are collected first:
 * deleting while walking a hash map can restart or skip the walk.
 */
static int rs_map_prune(int fd, size_t key_size, bool (*keep)(const void *key, const void *ctx),
			const void *ctx)
{
	char *keys = calloc(XLB_RS_MAX_VIPS * 2 + 2, key_size);
	char prev[64], *cur = NULL;
	size_t n = 0;
	int err = 0;

	if (!keys)
		return -ENOMEM;
	while (n < XLB_RS_MAX_VIPS * 2 + 2) {
		char *next = keys + n * key_size;

		if (bpf_map_get_next_key(fd, cur, next)) {
			if (errno != ENOENT)
				err = -errno;
			break;
		}
		memcpy(prev, next, key_size);
		cur = prev;
		n++;
	}
	for (size_t i = 0; i < n && !err; i++) {
		const char *k = keys + i * key_size;

		if (!keep(k, ctx) && bpf_map_delete_elem(fd, k) && errno != ENOENT)
			err = -errno;
	}
	free(keys);
	return err;
}

struct rs_want {
	const struct rs_bpf_vip *vips;
	size_t n;
};

static bool rs_keep_vip(const void *key, const void *ctx)
{
	const struct rs_want *w = ctx;

	return rs_want_vip(w->vips, w->n, key);
}

static bool rs_keep_dscp(const void *key, const void *ctx)
{
	const struct rs_want *w = ctx;

	return rs_want_dscp(w->vips, w->n, key);
}

static bool rs_keep_port(const void *key, const void *ctx)
{
	const struct rs_want *w = ctx;
	__u16 port;

	memcpy(&port, key, sizeof(port));
	return rs_port_users(w->vips, w->n, port) > 0;
}

int rs_bpf_sync(const struct rs_prog *p, const struct rs_bpf_vip *vips, size_t n)
{
	struct rs_want want = {vips, n};
	int ncpus = rs_ncpus();
	struct xlb_rs_vip_stats *zero = calloc(ncpus, sizeof(*zero));
	int err = 0;

	if (!zero)
		return -ENOMEM;
	/* a VIP before the DSCP/port entries that lead to it, so lookups never dangle */
	for (size_t i = 0; i < n && !err; i++) {
		const struct rs_bpf_vip *v = &vips[i];

		if (bpf_map_update_elem(p->map_vip_stats, &v->key, zero, BPF_NOEXIST) &&
		    errno != EEXIST) {
			err = -errno;
			break;
		}
		if (bpf_map_update_elem(p->map_vips, &v->key, &v->val, BPF_ANY)) {
			err = -errno;
			break;
		}
		if (v->val.method == XLB_METHOD_DSCP) {
			struct xlb_rs_dscp_key dk = {.family = v->key.family, .dscp = v->val.dscp};

			if (bpf_map_update_elem(p->map_dscp, &dk, &v->key, BPF_ANY))
				err = -errno;
		} else if (v->val.method == XLB_METHOD_GUE) {
			__u32 users = rs_port_users(vips, n, v->val.gue_port);

			if (bpf_map_update_elem(p->map_gue_ports, &v->val.gue_port, &users,
						BPF_ANY))
				err = -errno;
		}
	}
	/* and the other way round when taking away */
	if (!err)
		err =
		    rs_map_prune(p->map_dscp, sizeof(struct xlb_rs_dscp_key), rs_keep_dscp, &want);
	if (!err)
		err = rs_map_prune(p->map_gue_ports, sizeof(__u16), rs_keep_port, &want);
	if (!err)
		err = rs_map_prune(p->map_vips, sizeof(struct xlb_rs_vip_key), rs_keep_vip, &want);
	if (!err)
		err = rs_map_prune(p->map_vip_stats, sizeof(struct xlb_rs_vip_key), rs_keep_vip,
				   &want);
	free(zero);
	return err;
}

int rs_bpf_foreign_vips(const struct rs_prog *p, const struct rs_bpf_vip *vips, size_t n,
			size_t *foreign)
{
	struct xlb_rs_vip_key key, *cur = NULL;

	*foreign = 0;
	while (!bpf_map_get_next_key(p->map_vips, cur, &key)) {
		if (!rs_want_vip(vips, n, &key))
			(*foreign)++;
		cur = &key;
	}
	return errno == ENOENT ? 0 : -errno;
}

int rs_bpf_counters(const struct rs_prog *p, __u64 out[XLB_RS_CNT__COUNT])
{
	int ncpus = rs_ncpus();
	__u64 *vals = calloc(ncpus, sizeof(*vals));
	int err = 0;

	if (!vals)
		return -ENOMEM;
	for (__u32 c = 0; c < XLB_RS_CNT__COUNT; c++) {
		out[c] = 0;
		if (bpf_map_lookup_elem(p->map_stats, &c, vals)) {
			err = -errno;
			break;
		}
		for (int i = 0; i < ncpus; i++)
			out[c] += vals[i];
	}
	free(vals);
	return err;
}

int rs_bpf_vip_stats(const struct rs_prog *p, const struct xlb_rs_vip_key *key,
		     struct xlb_rs_vip_stats *out)
{
	int ncpus = rs_ncpus();
	struct xlb_rs_vip_stats *vals = calloc(ncpus, sizeof(*vals));
	int err = 0;

	if (!vals)
		return -ENOMEM;
	memset(out, 0, sizeof(*out));
	if (bpf_map_lookup_elem(p->map_vip_stats, key, vals)) {
		err = -errno;
	} else {
		for (int i = 0; i < ncpus; i++) {
			out->packets += vals[i].packets;
			out->bytes += vals[i].bytes;
		}
	}
	free(vals);
	return err;
}
