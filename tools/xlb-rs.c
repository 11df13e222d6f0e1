// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* xlb-rs: readies a real server for xlb's dr, tun, gue and dscp methods; undoes exactly that. */
#include <errno.h>
#include <getopt.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "xlb_rs_bpf.h"
#include "xlb_rs_net.h"
#include "xlb_rs_state.h"

#define RS_ENV_STATE_DIR "XLB_RS_STATE_DIR"

enum rs_opt_bit {
	OPT_VIP = 1 << 0,
	OPT_METHOD = 1 << 1,
	OPT_DSCP = 1 << 2,
	OPT_GUE_PORT = 1 << 3,
	OPT_DEV = 1 << 4,
	OPT_ALL = 1 << 5,
	OPT_JSON = 1 << 6,
};

struct rs_opts {
	const char *state_dir;
	struct net_addr vip;
	int method;   /* -1: not given */
	int dscp;     /* -1: not given */
	int gue_port; /* -1: not given */
	const char *dev;
	bool all;
	bool json;
	unsigned int given; /* enum rs_opt_bit */
};

struct rs_cmd {
	const char *name;
	const char *args;
	const char *help;
	unsigned int opts; /* the options it accepts */
	int (*run)(const struct rs_opts *o);
};

static void rs_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void rs_err(const char *fmt, ...)
{
	va_list ap;

	fputs("xlb-rs: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void rs_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void rs_warn(const char *fmt, ...)
{
	va_list ap;

	fputs("xlb-rs: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const char *rs_addr_text(const struct net_addr *a, char buf[NET_ADDR_STRLEN])
{
	return net_addr_str(a, buf, NET_ADDR_STRLEN);
}

/* "net/ipv4/conf/all/arp_ignore" as sysctl(8) writes it. */
static const char *rs_sysctl_name(const char *path, char *buf, size_t len)
{
	size_t i;

	for (i = 0; path[i] && i + 1 < len; i++)
		buf[i] = path[i] == '/' ? '.' : path[i];
	buf[i] = '\0';
	return buf;
}

static int rs_lo_ifindex(void)
{
	int ifindex = if_nametoindex("lo");

	return ifindex ? ifindex : -errno;
}

/* ---------------------------------------------------------------- state */

static struct rs_state *rs_state_begin(const struct rs_opts *o, bool exclusive)
{
	struct rs_state *st = calloc(1, sizeof(*st));
	int err;

	if (!st) {
		rs_err("out of memory");
		return NULL;
	}
	err = rs_state_open(st, o->state_dir, exclusive);
	if (!err)
		return st;
	if (err == -EXDEV)
		rs_err("the state in %s belongs to network namespace %s, this is %s; give each "
		       "namespace its own --state-dir (or %s)",
		       o->state_dir, st->netns, st->netns_here, RS_ENV_STATE_DIR);
	else if (err == -EINVAL)
		rs_err("%s (not something `up` writes: fix or remove the file)", st->why);
	else if (err == -EPERM)
		rs_err("%s", st->why);
	else
		rs_err("state %s: %s", st->why[0] ? st->why : o->state_dir, strerror(-err));
	rs_state_close(st);
	free(st);
	return NULL;
}

static void rs_state_end(struct rs_state *st)
{
	if (st) {
		rs_state_close(st);
		free(st);
	}
}

static bool rs_excluded(const struct rs_vip_rec *v, const struct net_addr *except)
{
	return except && net_addr_equal(&v->vip, except);
}

/* ARP sysctls matter while any IPv4 VIP is up (ND answers per interface already). */
static bool rs_need_arp(const struct rs_state *st, const struct net_addr *except)
{
	for (size_t i = 0; i < st->nvips; i++)
		if (!rs_excluded(&st->vips[i], except) && st->vips[i].vip.family == AF_INET)
			return true;
	return false;
}

/* Loose rp_filter on @dev matters while an IPv4 VIP is restored or decapsulated there. */
static bool rs_need_rp(const struct rs_state *st, const char *dev, const struct net_addr *except)
{
	for (size_t i = 0; i < st->nvips; i++) {
		const struct rs_vip_rec *v = &st->vips[i];

		if (!rs_excluded(v, except) && v->vip.family == AF_INET &&
		    rs_method_decaps(v->method) && strcmp(v->dev, dev) == 0)
			return true;
	}
	return false;
}

/* The map entries @ifindex's program must hold. */
static size_t rs_dev_vips(const struct rs_state *st, int ifindex, const struct net_addr *except,
			  struct rs_bpf_vip *out)
{
	size_t n = 0;

	for (size_t i = 0; i < st->nvips; i++) {
		const struct rs_vip_rec *v = &st->vips[i];

		if (rs_excluded(v, except) || !rs_method_decaps(v->method) || v->ifindex != ifindex)
			continue;
		rs_bpf_vip_make(&out[n++], &v->vip, v->method, v->dscp, v->gue_port);
	}
	return n;
}

/* ---------------------------------------------------------------- up */

/*
 * Brings sysctl @path to at least @min, remembering the value it had. A
 * value we already changed is ours: left alone, even if someone moved it.
 */
static int rs_ensure_sysctl(struct rs_state *st, const char *path, int min, int set, int *changed)
{
	char name[RS_SYSCTL_PATH_MAX];
	struct rs_sysctl_rec *rec;
	int cur, err;

	if (rs_state_sysctl(st, path))
		return 0;
	rs_sysctl_name(path, name, sizeof(name));
	err = rs_sysctl_read(path, &cur);
	if (err) {
		rs_err("sysctl %s: %s", name, strerror(-err));
		return err;
	}
	if (cur >= min)
		return 0;
	if (st->nsysctls == RS_MAX_SYSCTLS) {
		rs_err("sysctl %s: more than %d changed sysctls to remember", name, RS_MAX_SYSCTLS);
		return -ENOSPC;
	}
	/* recorded before it is written, so a crash in between still leaves a way back */
	rec = &st->sysctls[st->nsysctls++];
	snprintf(rec->path, sizeof(rec->path), "%s", path);
	rec->orig = cur;
	rec->set = set;
	err = rs_state_save_shared(st);
	if (err) {
		st->nsysctls--;
		rs_err("state %s: %s", st->why, strerror(-err));
		return err;
	}
	err = rs_sysctl_write(path, set);
	if (err) {
		rs_err("sysctl %s=%d: %s", name, set, strerror(-err));
		st->nsysctls--;
		rs_state_save_shared(st);
		return err;
	}
	(*changed)++;
	return 0;
}

/*
 * Strict reverse-path filtering (1) checks a packet's source against the
 * route back through the interface it came in on. After decapsulation or
 * DSCP restore the source is the client, whose route may well use another
 * interface on a multi-homed real (the reply does not go back via the LB):
 * the kernel would drop it silently. Loose mode (2) only wants some route.
 * The kernel uses max(all, DEV), so raising DEV is enough, and only done
 * when the effective value is strict.
 */
static int rs_ensure_rp_filter(struct rs_state *st, const char *dev, int *changed)
{
	char path[RS_SYSCTL_PATH_MAX];
	int all, own, err;

	snprintf(path, sizeof(path), RS_CONF_PREFIX "%s/rp_filter", dev);
	if (rs_state_sysctl(st, path))
		return 0;
	err = rs_sysctl_read(RS_CONF_PREFIX "all/rp_filter", &all);
	if (!err)
		err = rs_sysctl_read(path, &own);
	if (err) {
		rs_err("sysctl rp_filter of %s: %s", dev, strerror(-err));
		return err;
	}
	if ((all > own ? all : own) != RS_RP_FILTER_STRICT)
		return 0;
	return rs_ensure_sysctl(st, path, RS_RP_FILTER_LOOSE, RS_RP_FILTER_LOOSE, changed);
}

static int rs_sync_dev(struct rs_state *st, const struct rs_prog *p, int ifindex, const char *dev,
		       const struct net_addr *except)
{
	struct rs_bpf_vip *vips = calloc(XLB_RS_MAX_VIPS, sizeof(*vips));
	size_t n;
	int err;

	if (!vips)
		return -ENOMEM;
	n = rs_dev_vips(st, ifindex, except, vips);
	err = rs_bpf_sync(p, vips, n);
	if (err)
		rs_err("%s: updating the maps of program id %u: %s", dev, p->prog_id,
		       strerror(-err));
	free(vips);
	return err;
}

static void rs_find_error(const char *dev, int err, const struct rs_prog *p)
{
	if (err == -EBUSY)
		rs_err("%s: tc ingress handle 0x%x priority 0x%x holds program id %u, which is not "
		       "xlb-rs's; remove that filter first",
		       dev, XLB_RS_TC_HANDLE, XLB_RS_TC_PRIO, p->prog_id);
	else if (err == -EPROTO)
		rs_err(
		    "%s: the xlb-rs program there (id %u) is from another version of xlb-rs; take "
		    "its VIPs down with that version, or delete the filter (tc filter del dev %s "
		    "ingress handle 0x%x prio 0x%x bpf)",
		    dev, p->prog_id, dev, XLB_RS_TC_HANDLE, XLB_RS_TC_PRIO);
	else
		rs_err("%s: looking for the tc program: %s", dev, strerror(-err));
}

/* The tc program on @v's device, attached if missing, with maps matching the records. */
static int rs_ensure_tc(struct rs_state *st, const struct rs_vip_rec *v, int *changed)
{
	struct rs_prog p;
	struct rs_tc_rec *t = rs_state_tc(st, v->ifindex);
	int err = rs_bpf_find(v->ifindex, &p);

	if (err == -ENOENT) {
		bool created;

		if (!t && st->ntcs == RS_MAX_DEVS) {
			rs_err("%s: more than %d devices with xlb-rs programs", v->dev,
			       RS_MAX_DEVS);
			return -ENOSPC;
		}
		err = rs_bpf_attach(v->ifindex, &p, &created);
		if (err) {
			rs_err("%s: attaching the tc ingress program: %s", v->dev, strerror(-err));
			return err;
		}
		(*changed)++;
		if (!t) {
			t = &st->tcs[st->ntcs++];
			memset(t, 0, sizeof(*t));
			t->ifindex = v->ifindex;
			snprintf(t->dev, sizeof(t->dev), "%s", v->dev);
		}
		/* a record that outlived its program keeps what it knew about clsact */
		t->clsact_created = t->clsact_created || created;
	} else if (err) {
		rs_find_error(v->dev, err, &p);
		return err;
	} else if (!t) {
		/*
		 * Ours, but not in this state: either its records were removed by
		 * hand (adopt it, never deleting clsact), or another state directory
		 * in this namespace owns it; syncing would wipe that one's VIPs.
		 */
		struct rs_bpf_vip *vips = calloc(XLB_RS_MAX_VIPS, sizeof(*vips));
		size_t foreign = 0;

		err = vips ? rs_bpf_foreign_vips(&p, vips, rs_dev_vips(st, v->ifindex, NULL, vips),
						 &foreign)
			   : -ENOMEM;
		free(vips);
		if (err || foreign) {
			if (err)
				rs_err("%s: reading the maps of program id %u: %s", v->dev,
				       p.prog_id, strerror(-err));
			else
				rs_err(
				    "%s: the xlb-rs program there (id %u) serves %zu VIP(s) that "
				    "%s does not record: is another --state-dir in use in this "
				    "network namespace?",
				    v->dev, p.prog_id, foreign, st->dir);
			rs_bpf_close(&p);
			return err ? err : -EEXIST;
		}
		if (st->ntcs == RS_MAX_DEVS) {
			rs_bpf_close(&p);
			rs_err("%s: more than %d devices with xlb-rs programs", v->dev,
			       RS_MAX_DEVS);
			return -ENOSPC;
		}
		t = &st->tcs[st->ntcs++];
		memset(t, 0, sizeof(*t));
		t->ifindex = v->ifindex;
		snprintf(t->dev, sizeof(t->dev), "%s", v->dev);
		rs_warn("%s: adopting an xlb-rs program (id %u) that no state recorded", v->dev,
			p.prog_id);
	}
	err = rs_state_save_shared(st);
	if (err)
		rs_err("state %s: %s", st->why, strerror(-err));
	if (!err)
		err = rs_sync_dev(st, &p, v->ifindex, v->dev, NULL);
	rs_bpf_close(&p);
	return err;
}

/* Makes everything @v needs true; each step is a no-op when it already is. */
static int rs_apply(struct rs_state *st, struct rs_vip_rec *v, int *changed)
{
	char text[NET_ADDR_STRLEN];
	int lo = rs_lo_ifindex(), err;
	bool found;

	if (v->vip.family == AF_INET) {
		err = rs_ensure_sysctl(st, RS_ARP_IGNORE, RS_ARP_IGNORE_MIN, RS_ARP_IGNORE_MIN,
				       changed);
		if (!err)
			err = rs_ensure_sysctl(st, RS_ARP_ANNOUNCE, RS_ARP_ANNOUNCE_MIN,
					       RS_ARP_ANNOUNCE_MIN, changed);
		if (!err && rs_method_decaps(v->method))
			err = rs_ensure_rp_filter(st, v->dev, changed);
		if (err)
			return err;
	}
	if (lo < 0) {
		rs_err("lo: %s", strerror(-lo));
		return lo;
	}
	err = rs_addr_find(lo, &v->vip, &found);
	if (!err && !found) {
		if (!v->addr_added) {
			/* it was there at the first up and is gone now: ours from here on */
			v->addr_added = true;
			err = rs_state_put_vip(st, v);
			if (err) {
				rs_err("state %s: %s", st->why, strerror(-err));
				return err;
			}
		}
		err = rs_addr_add(lo, &v->vip);
		if (err == -EEXIST)
			err = 0;
		else if (!err)
			(*changed)++;
	}
	if (err) {
		rs_err("adding %s/%d to lo: %s", rs_addr_text(&v->vip, text),
		       v->vip.family == AF_INET ? 32 : 128, strerror(-err));
		return err;
	}
	if (rs_method_decaps(v->method))
		return rs_ensure_tc(st, v, changed);
	return 0;
}

/* ---------------------------------------------------------------- down */

/* Detaches the program of @ifindex if no VIP but @except used it, else drops @except's entries. */
static int rs_release_tc(struct rs_state *st, int ifindex, const char *dev,
			 const struct net_addr *except)
{
	struct rs_bpf_vip *vips = calloc(XLB_RS_MAX_VIPS, sizeof(*vips));
	struct rs_tc_rec *t = rs_state_tc(st, ifindex);
	bool clsact = t && t->clsact_created;
	struct rs_prog p;
	size_t n;
	int err;

	if (!vips)
		return -ENOMEM;
	n = rs_dev_vips(st, ifindex, except, vips);
	free(vips);
	/* never attached or adopted under this state: whatever is there is not ours */
	if (!t)
		return 0;
	err = rs_bpf_find(ifindex, &p);
	if (err == -ENOENT || err == -ENODEV || err == -EBUSY) {
		/* gone already (device deleted, filter removed by hand): nothing to undo */
		if (n)
			rs_warn(
			    "%s: the xlb-rs tc program is gone; `xlb-rs up` again to restore it",
			    dev);
		if (t && !n)
			*t = st->tcs[--st->ntcs];
		return 0;
	}
	if (err) {
		rs_find_error(dev, err, &p);
		return err;
	}
	if (n) {
		err = rs_sync_dev(st, &p, ifindex, dev, except);
		rs_bpf_close(&p);
		return err;
	}
	rs_bpf_close(&p);
	if (clsact) {
		bool others;

		err = rs_tc_other_filters(ifindex, &others);
		if (err)
			rs_warn("%s: cannot list tc filters (%s); keeping the clsact qdisc", dev,
				strerror(-err));
		else if (others)
			rs_warn(
			    "%s: keeping the clsact qdisc xlb-rs made: other filters use it now",
			    dev);
		clsact = !err && !others;
	}
	err = rs_bpf_detach(ifindex, clsact);
	if (err) {
		rs_err("%s: detaching the tc program: %s", dev, strerror(-err));
		return err;
	}
	if (t)
		*t = st->tcs[--st->ntcs];
	return 0;
}

/* Which VIPs keep the sysctl at @path changed. */
static bool rs_sysctl_needed(const struct rs_state *st, const char *path,
			     const struct net_addr *except)
{
	const char *dev, *slash;
	char name[IF_NAMESIZE];

	if (strcmp(path, RS_ARP_IGNORE) == 0 || strcmp(path, RS_ARP_ANNOUNCE) == 0)
		return rs_need_arp(st, except);
	if (strncmp(path, RS_CONF_PREFIX, strlen(RS_CONF_PREFIX)))
		return false;
	dev = path + strlen(RS_CONF_PREFIX);
	slash = strchr(dev, '/');
	if (!slash || strcmp(slash, "/rp_filter") || (size_t)(slash - dev) >= sizeof(name))
		return false;
	memcpy(name, dev, slash - dev);
	name[slash - dev] = '\0';
	return rs_need_rp(st, name, except);
}

/* Writes back every sysctl no VIP but @except needs, if nobody changed it since. */
static int rs_release_sysctls(struct rs_state *st, const struct net_addr *except)
{
	int first_err = 0;

	for (size_t i = st->nsysctls; i-- > 0;) {
		struct rs_sysctl_rec *s = &st->sysctls[i];
		char name[RS_SYSCTL_PATH_MAX];
		int cur, err;

		if (rs_sysctl_needed(st, s->path, except))
			continue;
		rs_sysctl_name(s->path, name, sizeof(name));
		err = rs_sysctl_read(s->path, &cur);
		if (err == -ENOENT) {
			rs_warn("sysctl %s is gone (device removed?); nothing to restore", name);
		} else if (err) {
			rs_err("sysctl %s: %s", name, strerror(-err));
			first_err = first_err ? first_err : err;
			continue;
		} else if (cur != s->set) {
			rs_warn(
			    "sysctl %s is %d, not the %d xlb-rs set: someone changed it, leaving "
			    "it (it was %d before xlb-rs)",
			    name, cur, s->set, s->orig);
		} else {
			err = rs_sysctl_write(s->path, s->orig);
			if (err) {
				rs_err("sysctl %s=%d: %s", name, s->orig, strerror(-err));
				first_err = first_err ? first_err : err;
				continue;
			}
		}
		memmove(s, s + 1, (st->nsysctls - i - 1) * sizeof(*s));
		st->nsysctls--;
	}
	return first_err;
}

/*
 * Undoes what up did for @vip. Each step tolerates finding its work already
 * undone, and the VIP's record goes last, so a failed down can be retried.
 */
static int rs_down_vip(struct rs_state *st, const struct net_addr *vip)
{
	struct rs_vip_rec gone = *rs_state_vip(st, vip);
	char text[NET_ADDR_STRLEN];
	int err = 0, e;

	rs_addr_text(vip, text);
	if (rs_method_decaps(gone.method))
		err = rs_release_tc(st, gone.ifindex, gone.dev, vip);
	if (gone.addr_added) {
		int lo = rs_lo_ifindex();

		e = lo < 0 ? lo : rs_addr_del(lo, vip);
		/* EADDRNOTAVAIL: removed already, which is what down wants */
		if (e && e != -EADDRNOTAVAIL) {
			rs_err("removing %s from lo: %s", text, strerror(-e));
			err = err ? err : e;
		}
	}
	e = rs_release_sysctls(st, vip);
	err = err ? err : e;
	if (!err) {
		err = rs_state_del_vip(st, vip);
		if (err)
			rs_err("state %s: %s", st->why, strerror(-err));
	}
	e = rs_state_save_shared(st);
	if (e) {
		rs_err("state %s: %s", st->why, strerror(-e));
		err = err ? err : e;
	}
	return err;
}

/* ---------------------------------------------------------------- commands */

static bool rs_same_config(const struct rs_vip_rec *a, const struct rs_vip_rec *b)
{
	return a->method == b->method && a->dscp == b->dscp && a->gue_port == b->gue_port &&
	       a->ifindex == b->ifindex;
}

static void rs_describe(const struct rs_vip_rec *v, char *buf, size_t len)
{
	switch (v->method) {
	case XLB_METHOD_DSCP:
		snprintf(buf, len, "dscp %u on %s", v->dscp, v->dev);
		break;
	case XLB_METHOD_GUE:
		snprintf(buf, len, "gue port %u on %s", v->gue_port, v->dev);
		break;
	case XLB_METHOD_TUN:
		snprintf(buf, len, "tun on %s", v->dev);
		break;
	default:
		snprintf(buf, len, "%s", rs_method_name(v->method));
	}
}

/* What `up` was asked for, with the device resolved; checks clashes with other VIPs. */
static int rs_up_wanted(const struct rs_state *st, const struct rs_opts *o, struct rs_vip_rec *w)
{
	char text[NET_ADDR_STRLEN], other[NET_ADDR_STRLEN];
	int err;

	memset(w, 0, sizeof(*w));
	w->vip = o->vip;
	w->method = o->method;
	rs_addr_text(&w->vip, text);
	if (w->method == XLB_METHOD_DSCP)
		w->dscp = o->dscp;
	if (w->method == XLB_METHOD_GUE)
		w->gue_port = o->gue_port > 0 ? o->gue_port : XLB_RS_GUE_PORT_DEFAULT;
	if (!rs_method_decaps(w->method))
		return 0;
	if (o->dev) {
		snprintf(w->dev, sizeof(w->dev), "%s", o->dev);
	} else {
		err = rs_default_dev(w->dev);
		if (err) {
			rs_err("%s: no --dev given and %s", text,
			       err == -ENOENT ? "no default route to take it from"
					      : strerror(-err));
			return err;
		}
	}
	w->ifindex = if_nametoindex(w->dev);
	if (!w->ifindex) {
		rs_err("%s: device %s: %s", text, w->dev, strerror(errno));
		return -ENODEV;
	}
	for (size_t i = 0; i < st->nvips; i++) {
		const struct rs_vip_rec *v = &st->vips[i];

		if (w->method == XLB_METHOD_DSCP && v->method == XLB_METHOD_DSCP &&
		    !net_addr_equal(&v->vip, &w->vip) && v->vip.family == w->vip.family &&
		    v->ifindex == w->ifindex && v->dscp == w->dscp) {
			rs_err("%s: DSCP %u on %s already stands for %s", text, w->dscp, w->dev,
			       rs_addr_text(&v->vip, other));
			return -EEXIST;
		}
	}
	return 0;
}

static int cmd_up(const struct rs_opts *o)
{
	char text[NET_ADDR_STRLEN], how[64], was[64];
	struct rs_state *st = rs_state_begin(o, true);
	struct rs_vip_rec want, *have;
	int changed = 0, err, lo;
	bool found;

	if (!st)
		return 1;
	rs_addr_text(&o->vip, text);
	err = rs_up_wanted(st, o, &want);
	if (err)
		goto out;
	rs_describe(&want, how, sizeof(how));
	have = rs_state_vip(st, &want.vip);
	if (have) {
		if (!rs_same_config(have, &want)) {
			rs_describe(have, was, sizeof(was));
			rs_err("%s is already up as %s; `xlb-rs down --vip %s` first", text, was,
			       text);
			err = -EEXIST;
			goto out;
		}
		err = rs_apply(st, have, &changed);
		if (!err)
			printf("%s: already up (%s)%s\n", text, how,
			       changed ? "; restored what had gone missing" : "");
		goto out;
	}
	if (st->nvips == XLB_RS_MAX_VIPS) {
		rs_err("%s: already %d VIPs up", text, XLB_RS_MAX_VIPS);
		err = -ENOSPC;
		goto out;
	}
	lo = rs_lo_ifindex();
	err = lo < 0 ? lo : rs_addr_find(lo, &want.vip, &found);
	if (err) {
		rs_err("looking for %s on lo: %s", text, strerror(-err));
		goto out;
	}
	want.addr_added = !found;
	/* the record first: whatever happens next, down knows what to undo */
	err = rs_state_put_vip(st, &want);
	if (err) {
		rs_err("state %s: %s", st->why, strerror(-err));
		goto out;
	}
	err = rs_apply(st, rs_state_vip(st, &want.vip), &changed);
	if (err) {
		rs_err("%s: up failed; undoing what it did", text);
		rs_down_vip(st, &want.vip);
		goto out;
	}
	printf("%s: up (%s)%s\n", text, how, found ? "; it was on lo already" : "");
out:
	rs_state_end(st);
	return err ? 1 : 0;
}

static int cmd_down(const struct rs_opts *o)
{
	struct rs_state *st = rs_state_begin(o, true);
	char text[NET_ADDR_STRLEN];
	int err = 0;

	if (!st)
		return 1;
	if (o->all) {
		if (!st->nvips)
			printf("no VIPs are up\n");
		while (st->nvips) {
			struct net_addr vip = st->vips[st->nvips - 1].vip;
			int e = rs_down_vip(st, &vip);

			if (e) {
				err = e;
				break;
			}
			printf("%s: down\n", rs_addr_text(&vip, text));
		}
	} else if (!rs_state_vip(st, &o->vip)) {
		/* not an error: down is idempotent, like up */
		printf("%s: not up (no record in %s); nothing to undo\n",
		       rs_addr_text(&o->vip, text), o->state_dir);
	} else {
		err = rs_down_vip(st, &o->vip);
		if (!err)
			printf("%s: down\n", rs_addr_text(&o->vip, text));
	}
	rs_state_end(st);
	return err ? 1 : 0;
}

/* ---------------------------------------------------------------- status */

struct rs_dev_view {
	int ifindex;
	char dev[IF_NAMESIZE];
	const struct rs_tc_rec *rec;
	struct rs_prog prog;
	int find_err;
	__u64 counters[XLB_RS_CNT__COUNT];
	bool have_counters;
};

static struct rs_dev_view *rs_view_dev(struct rs_dev_view *views, size_t *n, int ifindex,
				       const char *dev)
{
	for (size_t i = 0; i < *n; i++)
		if (views[i].ifindex == ifindex)
			return &views[i];
	if (*n == RS_MAX_DEVS)
		return NULL;
	memset(&views[*n], 0, sizeof(views[0]));
	views[*n].ifindex = ifindex;
	snprintf(views[*n].dev, sizeof(views[*n].dev), "%s", dev);
	return &views[(*n)++];
}

static const char *rs_addr_state(const struct rs_vip_rec *v, int present)
{
	if (present < 0)
		return "unknown";
	if (!present)
		return "missing";
	return v->addr_added ? "added" : "pre-existing";
}

static json_object *rs_json_counters(const struct rs_dev_view *d)
{
	json_object *c = json_object_new_object();

	for (int i = 0; i < XLB_RS_CNT__COUNT; i++)
		json_object_object_add(c, rs_bpf_counter_name(i),
				       json_object_new_int64(d->counters[i]));
	return c;
}

static int cmd_status(const struct rs_opts *o)
{
	struct rs_state *st = rs_state_begin(o, false);
	struct rs_dev_view *views = calloc(RS_MAX_DEVS, sizeof(*views));
	int present[XLB_RS_MAX_VIPS];
	size_t nviews = 0;
	int lo = rs_lo_ifindex();
	json_object *root = NULL, *jv = NULL, *jd = NULL, *js = NULL;

	if (!st || !views) {
		rs_state_end(st);
		free(views);
		return 1;
	}
	for (size_t i = 0; i < st->ntcs; i++)
		rs_view_dev(views, &nviews, st->tcs[i].ifindex, st->tcs[i].dev);
	for (size_t i = 0; i < st->nvips; i++)
		if (rs_method_decaps(st->vips[i].method))
			rs_view_dev(views, &nviews, st->vips[i].ifindex, st->vips[i].dev);
	for (size_t i = 0; i < nviews; i++) {
		struct rs_dev_view *d = &views[i];

		d->rec = rs_state_tc(st, d->ifindex);
		d->find_err = rs_bpf_find(d->ifindex, &d->prog);
		if (!d->find_err)
			d->have_counters = rs_bpf_counters(&d->prog, d->counters) == 0;
	}
	for (size_t i = 0; i < st->nvips; i++) {
		bool found = false;

		present[i] = lo < 0 || rs_addr_find(lo, &st->vips[i].vip, &found) ? -1 : found;
	}

	if (o->json) {
		root = json_object_new_object();
		jv = json_object_new_array();
		jd = json_object_new_array();
		js = json_object_new_array();
		json_object_object_add(root, "state_dir", json_object_new_string(o->state_dir));
		json_object_object_add(root, "netns", json_object_new_string(st->netns_here));
		json_object_object_add(root, "vips", jv);
		json_object_object_add(root, "devices", jd);
		json_object_object_add(root, "sysctls", js);
	} else if (!st->nvips) {
		printf("no VIPs are up (state %s)\n", o->state_dir);
	} else {
		printf("%-28s %-6s %-5s %-8s %-15s %-13s %10s %12s\n", "VIP", "METHOD", "DSCP",
		       "GUE-PORT", "DEV", "ON-LO", "PACKETS", "BYTES");
	}
	for (size_t i = 0; i < st->nvips; i++) {
		const struct rs_vip_rec *v = &st->vips[i];
		struct rs_dev_view *d = NULL;
		struct xlb_rs_vip_stats vs = {0};
		struct rs_bpf_vip bv;
		char text[NET_ADDR_STRLEN], num[3][24];
		bool have_stats = false;

		if (rs_method_decaps(v->method)) {
			d = rs_view_dev(views, &nviews, v->ifindex, v->dev);
			rs_bpf_vip_make(&bv, &v->vip, v->method, v->dscp, v->gue_port);
			have_stats =
			    d && !d->find_err && rs_bpf_vip_stats(&d->prog, &bv.key, &vs) == 0;
		}
		rs_addr_text(&v->vip, text);
		if (o->json) {
			json_object *e = json_object_new_object();

			json_object_object_add(e, "vip", json_object_new_string(text));
			json_object_object_add(
			    e, "family", json_object_new_int(v->vip.family == AF_INET ? 4 : 6));
			json_object_object_add(e, "method",
					       json_object_new_string(rs_method_name(v->method)));
			json_object_object_add(
			    e, "dscp",
			    v->method == XLB_METHOD_DSCP ? json_object_new_int(v->dscp) : NULL);
			json_object_object_add(
			    e, "gue_port",
			    v->method == XLB_METHOD_GUE ? json_object_new_int(v->gue_port) : NULL);
			json_object_object_add(e, "dev",
					       v->dev[0] ? json_object_new_string(v->dev) : NULL);
			json_object_object_add(
			    e, "address", json_object_new_string(rs_addr_state(v, present[i])));
			json_object_object_add(
			    e, "packets", have_stats ? json_object_new_int64(vs.packets) : NULL);
			json_object_object_add(e, "bytes",
					       have_stats ? json_object_new_int64(vs.bytes) : NULL);
			json_object_array_add(jv, e);
			continue;
		}
		snprintf(num[0], sizeof(num[0]), "%u", v->dscp);
		snprintf(num[1], sizeof(num[1]), "%u", v->gue_port);
		snprintf(num[2], sizeof(num[2]), "%llu", (unsigned long long)vs.packets);
		printf("%-28s %-6s %-5s %-8s %-15s %-13s %10s ", text, rs_method_name(v->method),
		       v->method == XLB_METHOD_DSCP ? num[0] : "-",
		       v->method == XLB_METHOD_GUE ? num[1] : "-", v->dev[0] ? v->dev : "-",
		       rs_addr_state(v, present[i]), have_stats ? num[2] : "-");
		if (have_stats)
			printf("%12llu\n", (unsigned long long)vs.bytes);
		else
			printf("%12s\n", "-");
	}

	if (!o->json && nviews)
		printf("\n%-15s %-8s %-10s %-13s %s\n", "DEV", "PROG-ID", "TC", "CLSACT",
		       "COUNTERS");
	for (size_t i = 0; i < nviews; i++) {
		struct rs_dev_view *d = &views[i];
		const char *tc = d->find_err == 0				    ? "attached"
				 : d->find_err == -ENOENT || d->find_err == -ENODEV ? "missing"
				 : d->find_err == -EBUSY			    ? "taken"
										    : "error";
		const char *clsact = !d->rec		      ? "-"
				     : d->rec->clsact_created ? "made-by-up"
							      : "pre-existing";

		if (o->json) {
			json_object *e = json_object_new_object();
			char handle[16], prio[16];

			snprintf(handle, sizeof(handle), "0x%x", XLB_RS_TC_HANDLE);
			snprintf(prio, sizeof(prio), "0x%x", XLB_RS_TC_PRIO);
			json_object_object_add(e, "dev", json_object_new_string(d->dev));
			json_object_object_add(e, "ifindex", json_object_new_int(d->ifindex));
			json_object_object_add(e, "tc", json_object_new_string(tc));
			json_object_object_add(
			    e, "prog_id",
			    d->find_err ? NULL : json_object_new_int64(d->prog.prog_id));
			json_object_object_add(e, "prog_name",
					       json_object_new_string(XLB_RS_PROG_NAME));
			json_object_object_add(e, "handle", json_object_new_string(handle));
			json_object_object_add(e, "priority", json_object_new_string(prio));
			json_object_object_add(e, "clsact", json_object_new_string(clsact));
			json_object_object_add(e, "counters",
					       d->have_counters ? rs_json_counters(d) : NULL);
			json_object_array_add(jd, e);
			continue;
		}
		printf("%-15s ", d->dev);
		if (d->find_err)
			printf("%-8s ", "-");
		else
			printf("%-8u ", d->prog.prog_id);
		printf("%-10s %-13s", tc, clsact);
		for (int c = 0; d->have_counters && c < XLB_RS_CNT__COUNT; c++)
			printf(" %s=%llu", rs_bpf_counter_name(c),
			       (unsigned long long)d->counters[c]);
		printf("\n");
	}

	if (!o->json && st->nsysctls)
		printf("\n%-44s %6s %4s %4s\n", "SYSCTL (restored by the last down)", "BEFORE",
		       "SET", "NOW");
	for (size_t i = 0; i < st->nsysctls; i++) {
		const struct rs_sysctl_rec *s = &st->sysctls[i];
		char name[RS_SYSCTL_PATH_MAX], now[16] = "?";
		int cur;
		bool have = rs_sysctl_read(s->path, &cur) == 0;

		rs_sysctl_name(s->path, name, sizeof(name));
		if (have)
			snprintf(now, sizeof(now), "%d", cur);
		if (o->json) {
			json_object *e = json_object_new_object();

			json_object_object_add(e, "name", json_object_new_string(name));
			json_object_object_add(e, "before", json_object_new_int(s->orig));
			json_object_object_add(e, "set", json_object_new_int(s->set));
			json_object_object_add(e, "now", have ? json_object_new_int(cur) : NULL);
			json_object_array_add(js, e);
			continue;
		}
		printf("%-44s %6d %4d %4s\n", name, s->orig, s->set, now);
	}
	if (o->json) {
		printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
									JSON_C_TO_STRING_SPACED));
		json_object_put(root);
	}
	for (size_t i = 0; i < nviews; i++)
		rs_bpf_close(&views[i].prog);
	free(views);
	rs_state_end(st);
	return 0;
}

/* ---------------------------------------------------------------- CLI */

static int cmd_help(const struct rs_opts *o);

static const struct rs_cmd rs_cmds[] = {
    {"up", "--vip ADDR --method dr|tun|gue|dscp [--dscp N] [--gue-port P] [--dev IF]",
     "put the VIP on lo, set the ARP sysctls, and for tun/gue/dscp attach the tc program",
     OPT_VIP | OPT_METHOD | OPT_DSCP | OPT_GUE_PORT | OPT_DEV, cmd_up},
    {"down", "--vip ADDR | --all", "undo exactly what up did for the VIP (or all VIPs)",
     OPT_VIP | OPT_ALL, cmd_down},
    {"status", "[--json]", "VIPs, methods, devices, programs, counters, changed sysctls", OPT_JSON,
     cmd_status},
    {"help", "", "this text", 0, cmd_help},
};

static void rs_usage(FILE *f)
{
	fprintf(f, "Usage: xlb-rs [--state-dir DIR] COMMAND [OPTIONS]\n\n"
		   "Prepares a real server behind xlb, and undoes it.\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(rs_cmds) / sizeof(rs_cmds[0]); i++) {
		if (rs_cmds[i].args[0])
			fprintf(f, "  %-7s %s\n  %-7s   %s\n", rs_cmds[i].name, rs_cmds[i].args, "",
				rs_cmds[i].help);
		else
			fprintf(f, "  %-7s %s\n", rs_cmds[i].name, rs_cmds[i].help);
	}
	fprintf(
	    f,
	    "\nOptions:\n"
	    "  --vip ADDR        the VIP, IPv4 or IPv6 (goes on lo as /32 or /128)\n"
	    "  --method M        dr: VIP on lo and ARP sysctls only; tun: decapsulate IPIP or\n"
	    "                    IPv6-in-IPv6; gue: decapsulate IP-in-UDP; dscp: map the DSCP\n"
	    "                    back to the VIP (L3DSR)\n"
	    "  --dscp N          dscp: the code point the LB marks the VIP's packets with (1-63)\n"
	    "  --gue-port P      gue: the UDP port the LB sends to (default %d)\n"
	    "  --dev IF          tun/gue/dscp: the device packets arrive on (default: the\n"
	    "                    default route's)\n"
	    "  --all             down: every VIP that is up\n"
	    "  --json            status: machine-readable\n"
	    "  --state-dir DIR   where up records what down must undo (default %s,\n"
	    "                    or $%s); one per network namespace\n"
	    "  -h, --help        this text\n"
	    "\nExit status: 0 done (also for up of a VIP that is up, down of one that is not),\n"
	    "1 failed (what was done is undone), 2 usage error.\n"
	    "\nExamples:\n"
	    "  xlb-rs up --vip 192.168.16.100 --method dr\n"
	    "  xlb-rs up --vip 192.168.16.100 --method tun --dev eth0\n"
	    "  xlb-rs up --vip 2001:db8::100 --method gue --gue-port 6080\n"
	    "  xlb-rs up --vip 211.115.115.100 --method dscp --dscp 10\n"
	    "  xlb-rs status --json\n"
	    "  xlb-rs down --vip 192.168.16.100\n"
	    "  xlb-rs down --all\n",
	    XLB_RS_GUE_PORT_DEFAULT, RS_STATE_DIR_DEFAULT, RS_ENV_STATE_DIR);
}

static int cmd_help(const struct rs_opts *o)
{
	(void)o;
	rs_usage(stdout);
	return 0;
}

static const char *const rs_opt_names[] = {"--vip", "--method", "--dscp", "--gue-port",
					   "--dev", "--all",	"--json"};

static int rs_parse_num(const char *s, long min, long max, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Parses argv into @o and returns the command, or NULL after saying why. */
static const struct rs_cmd *rs_parse(int argc, char **argv, struct rs_opts *o)
{
	static const struct option longopts[] = {
	    {"vip", required_argument, NULL, 'v'},  {"method", required_argument, NULL, 'm'},
	    {"dscp", required_argument, NULL, 'd'}, {"gue-port", required_argument, NULL, 'g'},
	    {"dev", required_argument, NULL, 'i'},  {"all", no_argument, NULL, 'a'},
	    {"json", no_argument, NULL, 'j'},	    {"state-dir", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},	    {0},
	};
	const struct rs_cmd *cmd = NULL;
	const char *env = getenv(RS_ENV_STATE_DIR);
	int c;

	memset(o, 0, sizeof(*o));
	o->method = o->dscp = o->gue_port = -1;
	o->state_dir = env && *env ? env : RS_STATE_DIR_DEFAULT;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'v':
			o->given |= OPT_VIP;
			if (net_addr_parse(optarg, &o->vip) || !rs_vip_ok(&o->vip)) {
				rs_err("--vip %s: not a unicast IPv4 or IPv6 address", optarg);
				return NULL;
			}
			break;
		case 'm':
			o->given |= OPT_METHOD;
			if (rs_method_parse(optarg, &o->method)) {
				rs_err("--method %s: expected dr, tun, gue or dscp", optarg);
				return NULL;
			}
			break;
		case 'd':
			o->given |= OPT_DSCP;
			if (rs_parse_num(optarg, 1, XLB_RS_DSCP_MAX, &o->dscp)) {
				rs_err("--dscp %s: expected 1 to %d", optarg, XLB_RS_DSCP_MAX);
				return NULL;
			}
			break;
		case 'g':
			o->given |= OPT_GUE_PORT;
			if (rs_parse_num(optarg, 1, 65535, &o->gue_port)) {
				rs_err("--gue-port %s: expected 1 to 65535", optarg);
				return NULL;
			}
			break;
		case 'i':
			o->given |= OPT_DEV;
			if (!rs_ifname_ok(optarg)) {
				rs_err("--dev '%s': not an interface name", optarg);
				return NULL;
			}
			o->dev = optarg;
			break;
		case 'a':
			o->given |= OPT_ALL;
			o->all = true;
			break;
		case 'j':
			o->given |= OPT_JSON;
			o->json = true;
			break;
		case 's':
			if (!*optarg) {
				rs_err("--state-dir: empty");
				return NULL;
			}
			o->state_dir = optarg;
			break;
		case 'h':
			return &rs_cmds[sizeof(rs_cmds) / sizeof(rs_cmds[0]) - 1];
		default:
			return NULL;
		}
	}
	if (optind >= argc) {
		rs_err("no command (up, down, status or help)");
		return NULL;
	}
	for (size_t i = 0; i < sizeof(rs_cmds) / sizeof(rs_cmds[0]); i++)
		if (strcmp(argv[optind], rs_cmds[i].name) == 0)
			cmd = &rs_cmds[i];
	if (!cmd) {
		rs_err("unknown command '%s' (up, down, status or help)", argv[optind]);
		return NULL;
	}
	if (optind + 1 < argc) {
		rs_err("%s: unexpected argument '%s'", cmd->name, argv[optind + 1]);
		return NULL;
	}
	for (size_t b = 0; b < sizeof(rs_opt_names) / sizeof(rs_opt_names[0]); b++) {
		if ((o->given & (1u << b)) && !(cmd->opts & (1u << b))) {
			rs_err("%s does not take %s", cmd->name, rs_opt_names[b]);
			return NULL;
		}
	}
	if (strcmp(cmd->name, "up") == 0) {
		if (!(o->given & OPT_VIP) || !(o->given & OPT_METHOD)) {
			rs_err("up needs --vip and --method");
			return NULL;
		}
		if ((o->method == XLB_METHOD_DSCP) != (o->dscp >= 0)) {
			rs_err(o->dscp >= 0 ? "--dscp is for --method dscp"
					    : "--method dscp needs --dscp N");
			return NULL;
		}
		if (o->gue_port >= 0 && o->method != XLB_METHOD_GUE) {
			rs_err("--gue-port is for --method gue");
			return NULL;
		}
		if (o->dev && !rs_method_decaps(o->method)) {
			rs_err("--dev is for tun, gue and dscp (dr changes no device)");
			return NULL;
		}
	}
	if (strcmp(cmd->name, "down") == 0 && !(o->given & OPT_VIP) == !o->all) {
		rs_err("down needs either --vip ADDR or --all");
		return NULL;
	}
	return cmd;
}

int main(int argc, char **argv)
{
	const struct rs_cmd *cmd;
	struct rs_opts o;

	cmd = rs_parse(argc, argv, &o);
	if (!cmd) {
		fprintf(stderr, "Try 'xlb-rs --help'.\n");
		return 2;
	}
	/* libbpf's own chatter would only repeat the errors reported here */
	libbpf_set_print(NULL);
	return cmd->run(&o);
}
