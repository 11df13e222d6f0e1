// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* xlb-rs's state directory: one key=value file per VIP, one for shared changes, a lock. */
#include "xlb_rs_state.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xlb_rs_net.h"

#define RS_VIP_PREFIX "vip-"
#define RS_SHARED_FILE "shared"
#define RS_LOCK_FILE "lock"
#define RS_TMP_SUFFIX ".tmp"
/* Far more than `up` writes (a VIP file is ~150 bytes): anything bigger is not ours. */
#define RS_FILE_MAX 65536

static const char *const rs_method_names[] = {
    [XLB_METHOD_DR] = "dr",
    [XLB_METHOD_TUN] = "tun",
    [XLB_METHOD_GUE] = "gue",
    [XLB_METHOD_DSCP] = "dscp",
};

const char *rs_method_name(int method)
{
	if (method < 0 || method >= (int)(sizeof(rs_method_names) / sizeof(rs_method_names[0])) ||
	    !rs_method_names[method])
		return "?";
	return rs_method_names[method];
}

bool rs_vip_ok(const struct net_addr *a)
{
	if (a->family == AF_INET) {
		uint32_t h = ntohl(a->v4.s_addr);

		return h != 0 && h != 0xffffffff && (h >> 24) != 127 && (h >> 28) != 0xe;
	}
	return a->family == AF_INET6 && !IN6_IS_ADDR_UNSPECIFIED(&a->v6) &&
	       !IN6_IS_ADDR_LOOPBACK(&a->v6) && !IN6_IS_ADDR_MULTICAST(&a->v6) &&
	       !IN6_IS_ADDR_LINKLOCAL(&a->v6) && !IN6_IS_ADDR_V4MAPPED(&a->v6);
}

bool rs_ifname_ok(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len >= IF_NAMESIZE || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (; *name; name++)
		if (*name == '/' || *name == ':' || *name <= ' ' || *name == 0x7f)
			return false;
	return true;
}

int rs_method_parse(const char *name, int *method)
{
	for (size_t i = 0; i < sizeof(rs_method_names) / sizeof(rs_method_names[0]); i++) {
		if (rs_method_names[i] && strcmp(rs_method_names[i], name) == 0) {
			*method = i;
			return 0;
		}
	}
	return -EINVAL;
}

/* mkdir -p, private: the files say which sysctls to write back. */
static int rs_mkdirs(const char *dir)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(path, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

/*
 * Opens @st->dir as the directory every later file is opened in, and only
 * if nobody but us (root) can have put anything there: its files tell a
 * root process which sysctls to write and which addresses to remove.
 */
static int rs_dir_open(struct rs_state *st)
{
	struct stat sb;

	st->dir_fd = open(st->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (st->dir_fd < 0) {
		int err = -errno;

		if (err == -ELOOP || err == -ENOTDIR) {
			snprintf(st->why, sizeof(st->why),
				 "state directory %s is a symlink or not a directory: refusing it "
				 "(give --state-dir a real directory)",
				 st->dir);
			return -EPERM;
		}
		snprintf(st->why, sizeof(st->why), "%s", st->dir);
		return err;
	}
	if (fstat(st->dir_fd, &sb)) {
		snprintf(st->why, sizeof(st->why), "%s", st->dir);
		return -errno;
	}
	if (sb.st_uid != geteuid() || (sb.st_mode & 077)) {
		snprintf(st->why, sizeof(st->why),
			 "state directory %s is owned by uid %u with mode %04o: refusing it, since "
			 "whoever can write there decides what `down` does as root; it must be "
			 "owned by uid %u with mode 0700 (chown and chmod it, or remove it)",
			 st->dir, (unsigned)sb.st_uid, (unsigned)(sb.st_mode & 07777),
			 (unsigned)geteuid());
		return -EPERM;
	}
	return 0;
}

static int rs_parse_int(const char *s, long min, long max, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	if (errno || end == s || *end || *out < min || *out > max)
		return -EINVAL;
	return 0;
}

/* One "key=value" line of a VIP file into @v; -EINVAL for anything unknown. */
static int rs_vip_field(struct rs_vip_rec *v, const char *key, const char *val)
{
	long n;

	if (strcmp(key, "vip") == 0)
		return net_addr_parse(val, &v->vip);
	if (strcmp(key, "method") == 0)
		return rs_method_parse(val, &v->method);
	if (strcmp(key, "dev") == 0) {
		if (*val && !rs_ifname_ok(val))
			return -EINVAL;
		snprintf(v->dev, sizeof(v->dev), "%s", val);
		return 0;
	}
	if (strcmp(key, "dscp") == 0) {
		if (rs_parse_int(val, 0, XLB_RS_DSCP_MAX, &n))
			return -EINVAL;
		v->dscp = n;
	} else if (strcmp(key, "gue_port") == 0) {
		if (rs_parse_int(val, 0, 65535, &n))
			return -EINVAL;
		v->gue_port = n;
	} else if (strcmp(key, "ifindex") == 0) {
		if (rs_parse_int(val, 0, INT_MAX, &n))
			return -EINVAL;
		v->ifindex = n;
	} else if (strcmp(key, "addr_added") == 0) {
		if (rs_parse_int(val, 0, 1, &n))
			return -EINVAL;
		v->addr_added = n;
	} else {
		return -EINVAL;
	}
	return 0;
}

/*
 * Whether `up` could have recorded this sysctl change: one of the ARP
 * sysctls or a device's rp_filter, raised from below the value it sets to
 * exactly that value. Anything else (another file, "..", ip_forward) is a
 * record `down` must never act on.
 */
static bool rs_sysctl_rec_ok(const struct rs_sysctl_rec *s)
{
	const char *dev = s->path + strlen(RS_CONF_PREFIX);
	size_t plen = strlen(s->path), slen = strlen(RS_RP_FILTER_SUFFIX);
	int set;

	if (strcmp(s->path, RS_ARP_IGNORE) == 0) {
		set = RS_ARP_IGNORE_MIN;
	} else if (strcmp(s->path, RS_ARP_ANNOUNCE) == 0) {
		set = RS_ARP_ANNOUNCE_MIN;
	} else {
		char name[IF_NAMESIZE];
		size_t nlen = plen - strlen(RS_CONF_PREFIX) - slen;

		if (strncmp(s->path, RS_CONF_PREFIX, strlen(RS_CONF_PREFIX)) ||
		    plen <= strlen(RS_CONF_PREFIX) + slen ||
		    strcmp(s->path + plen - slen, RS_RP_FILTER_SUFFIX) || nlen >= sizeof(name))
			return false;
		memcpy(name, dev, nlen);
		name[nlen] = '\0';
		if (!rs_ifname_ok(name))
			return false;
		set = RS_RP_FILTER_LOOSE;
	}
	return s->set == set && s->orig >= 0 && s->orig < set;
}

/* "net:[4026531840]", as rs_netns_id() reads it. */
static bool rs_netns_ok(const char *s)
{
	size_t len = strlen(s);

	if (len < 7 || strncmp(s, "net:[", 5) || s[len - 1] != ']')
		return false;
	for (size_t i = 5; i < len - 1; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int rs_shared_field(struct rs_state *st, const char *key, const char *val)
{
	int used = 0;

	if (strcmp(key, "netns") == 0) {
		if (!rs_netns_ok(val) || strlen(val) >= sizeof(st->netns))
			return -EINVAL;
		snprintf(st->netns, sizeof(st->netns), "%s", val);
		return 0;
	}
	if (strcmp(key, "sysctl") == 0) {
		struct rs_sysctl_rec *s = &st->sysctls[st->nsysctls];
		char fmt[32];

		if (st->nsysctls == RS_MAX_SYSCTLS)
			return -ENOSPC;
		snprintf(fmt, sizeof(fmt), "%%%ds %%d %%d%%n", RS_SYSCTL_PATH_MAX - 1);
		if (sscanf(val, fmt, s->path, &s->orig, &s->set, &used) != 3 || val[used] ||
		    !rs_sysctl_rec_ok(s) || rs_state_sysctl(st, s->path))
			return -EINVAL;
		st->nsysctls++;
		return 0;
	}
	if (strcmp(key, "tc") == 0) {
		struct rs_tc_rec *t = &st->tcs[st->ntcs];
		char fmt[32];
		int created;

		if (st->ntcs == RS_MAX_DEVS)
			return -ENOSPC;
		snprintf(fmt, sizeof(fmt), "%%d %%%ds %%d%%n", IF_NAMESIZE - 1);
		if (sscanf(val, fmt, &t->ifindex, t->dev, &created, &used) != 3 || val[used] ||
		    t->ifindex <= 0 || !rs_ifname_ok(t->dev) || (created != 0 && created != 1) ||
		    rs_state_tc(st, t->ifindex))
			return -EINVAL;
		t->clsact_created = created;
		st->ntcs++;
		return 0;
	}
	return -EINVAL;
}

/* A whole VIP record as `up` writes it: a VIP it accepts, and only its method's fields. */
static bool rs_vip_rec_ok(const struct rs_vip_rec *v)
{
	bool decaps = rs_method_decaps(v->method);

	return rs_vip_ok(&v->vip) && (v->method == XLB_METHOD_DR || decaps) &&
	       (v->method == XLB_METHOD_DSCP ? v->dscp >= 1 : v->dscp == 0) &&
	       (v->method == XLB_METHOD_GUE ? v->gue_port >= 1 : v->gue_port == 0) &&
	       (decaps ? v->dev[0] && v->ifindex > 0 : !v->dev[0] && v->ifindex == 0);
}

/* Reads "key=value" lines ('#' comments) of @name, handing each to @field. */
static int rs_read_file(struct rs_state *st, const char *name,
			int (*field)(void *obj, const char *key, const char *val), void *obj)
{
	char path[PATH_MAX + 64], line[256];
	int lineno = 0, err = 0, fd;
	struct stat sb;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", st->dir, name);
	fd = openat(st->dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		err = errno == ELOOP ? -EINVAL : -errno;
		snprintf(st->why, sizeof(st->why), "%s%s", path,
			 err == -EINVAL ? ": a symlink" : "");
		return err;
	}
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) || sb.st_size > RS_FILE_MAX) {
		close(fd);
		snprintf(st->why, sizeof(st->why), "%s: not a regular file of at most %d bytes",
			 path, RS_FILE_MAX);
		return -EINVAL;
	}
	f = fdopen(fd, "r");
	if (!f) {
		err = -errno;
		close(fd);
		snprintf(st->why, sizeof(st->why), "%s", path);
		return err;
	}
	while (fgets(line, sizeof(line), f)) {
		char *eq;

		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		eq = strchr(line, '=');
		if (eq)
			*eq = '\0';
		err = eq ? field(obj, line, eq + 1) : -EINVAL;
		if (err) {
			snprintf(st->why, sizeof(st->why), "%s:%d: cannot read '%s%s%s'", path,
				 lineno, line, eq ? "=" : "", eq ? eq + 1 : "");
			break;
		}
	}
	fclose(f);
	return err;
}

static int rs_vip_field_cb(void *obj, const char *key, const char *val)
{
	return rs_vip_field(obj, key, val);
}

static int rs_shared_field_cb(void *obj, const char *key, const char *val)
{
	return rs_shared_field(obj, key, val);
}

static int rs_vip_cmp(const void *a, const void *b)
{
	const struct rs_vip_rec *x = a, *y = b;

	if (x->vip.family != y->vip.family)
		return x->vip.family == AF_INET ? -1 : 1;
	return x->vip.family == AF_INET ? memcmp(&x->vip.v4, &y->vip.v4, sizeof(x->vip.v4))
					: memcmp(&x->vip.v6, &y->vip.v6, sizeof(x->vip.v6));
}

static int rs_state_load(struct rs_state *st)
{
	struct dirent *de;
	DIR *d;
	int err = 0, fd;

	err = rs_read_file(st, RS_SHARED_FILE, rs_shared_field_cb, st);
	if (err && err != -ENOENT)
		return err;
	err = 0;
	fd = openat(st->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		snprintf(st->why, sizeof(st->why), "%s", st->dir);
		return err;
	}
	while ((de = readdir(d))) {
		struct rs_vip_rec *v;
		char want[NET_ADDR_STRLEN];

		size_t nlen = strlen(de->d_name);

		/* a ".tmp" is a write that never completed: its rename did not happen */
		if (strncmp(de->d_name, RS_VIP_PREFIX, strlen(RS_VIP_PREFIX)) ||
		    (nlen > 4 && strcmp(de->d_name + nlen - 4, RS_TMP_SUFFIX) == 0))
			continue;
		if (st->nvips == XLB_RS_MAX_VIPS) {
			snprintf(st->why, sizeof(st->why), "%s: more than %d VIP files", st->dir,
				 XLB_RS_MAX_VIPS);
			err = -ENOSPC;
			break;
		}
		v = &st->vips[st->nvips];
		memset(v, 0, sizeof(*v));
		err = rs_read_file(st, de->d_name, rs_vip_field_cb, v);
		if (err)
			break;
		net_addr_str(&v->vip, want, sizeof(want));
		if (!v->vip.family || strcmp(de->d_name + strlen(RS_VIP_PREFIX), want)) {
			snprintf(st->why, sizeof(st->why), "%s/%s: names VIP '%s'", st->dir,
				 de->d_name, v->vip.family ? want : "");
			err = -EINVAL;
			break;
		}
		if (!rs_vip_rec_ok(v) || rs_state_vip(st, &v->vip)) {
			snprintf(st->why, sizeof(st->why),
				 "%s/%s: VIP %s with method %s, dscp %u, gue_port %u, dev '%s', "
				 "ifindex %d",
				 st->dir, de->d_name, want, rs_method_name(v->method), v->dscp,
				 v->gue_port, v->dev, v->ifindex);
			err = -EINVAL;
			break;
		}
		st->nvips++;
	}
	closedir(d);
	if (!err)
		qsort(st->vips, st->nvips, sizeof(st->vips[0]), rs_vip_cmp);
	return err;
}

int rs_state_open(struct rs_state *st, const char *dir, bool exclusive)
{
	char path[PATH_MAX + 64];
	int err;

	memset(st, 0, sizeof(*st));
	st->lock_fd = st->dir_fd = -1;
	if (snprintf(st->dir, sizeof(st->dir), "%s", dir) >= (int)sizeof(st->dir))
		return -ENAMETOOLONG;
	err = rs_netns_id(st->netns_here, sizeof(st->netns_here));
	if (err) {
		snprintf(st->why, sizeof(st->why), "/proc/self/ns/net");
		return err;
	}
	err = rs_mkdirs(dir);
	if (err) {
		snprintf(st->why, sizeof(st->why), "%s", dir);
		return err;
	}
	err = rs_dir_open(st);
	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/%s", dir, RS_LOCK_FILE);
	st->lock_fd = openat(st->dir_fd, RS_LOCK_FILE, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
			     0600);
	if (st->lock_fd < 0 || flock(st->lock_fd, exclusive ? LOCK_EX : LOCK_SH)) {
		err = -errno;
		snprintf(st->why, sizeof(st->why), "%s", path);
		return err;
	}
	err = rs_state_load(st);
	if (err)
		return err;
	if (st->netns[0] && strcmp(st->netns, st->netns_here) &&
	    (st->nvips || st->nsysctls || st->ntcs))
		return -EXDEV;
	snprintf(st->netns, sizeof(st->netns), "%s", st->netns_here);
	return 0;
}

void rs_state_close(struct rs_state *st)
{
	if (st->lock_fd >= 0)
		close(st->lock_fd);
	if (st->dir_fd >= 0)
		close(st->dir_fd);
	st->lock_fd = st->dir_fd = -1;
}

static bool rs_vip_same(const struct rs_vip_rec *v, const struct net_addr *vip)
{
	return net_addr_equal(&v->vip, vip);
}

struct rs_vip_rec *rs_state_vip(struct rs_state *st, const struct net_addr *vip)
{
	for (size_t i = 0; i < st->nvips; i++)
		if (rs_vip_same(&st->vips[i], vip))
			return &st->vips[i];
	return NULL;
}

struct rs_sysctl_rec *rs_state_sysctl(struct rs_state *st, const char *path)
{
	for (size_t i = 0; i < st->nsysctls; i++)
		if (strcmp(st->sysctls[i].path, path) == 0)
			return &st->sysctls[i];
	return NULL;
}

struct rs_tc_rec *rs_state_tc(struct rs_state *st, int ifindex)
{
	for (size_t i = 0; i < st->ntcs; i++)
		if (st->tcs[i].ifindex == ifindex)
			return &st->tcs[i];
	return NULL;
}

/*
 * A new file for writing, never an existing one: O_EXCL does not follow a
 * symlink planted at the name, nor open a file someone else made there. A
 * leftover (a write that crashed; we hold the exclusive lock) is removed
 * first, as a name only: unlinkat() never touches a symlink's target.
 */
static int rs_create_tmp(struct rs_state *st, const char *tmp)
{
	int fd = openat(st->dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			0600);

	if (fd < 0 && errno == EEXIST && unlinkat(st->dir_fd, tmp, 0) == 0)
		fd = openat(st->dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    0600);
	return fd < 0 ? -errno : fd;
}

/* Writes @text as @name atomically (temp file, fsync, rename). */
static int rs_write_file(struct rs_state *st, const char *name, const char *text)
{
	char path[PATH_MAX + 64], tmp[NAME_MAX + 1];
	size_t len = strlen(text);
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/%s", st->dir, name);
	if (snprintf(tmp, sizeof(tmp), "%s" RS_TMP_SUFFIX, name) >= (int)sizeof(tmp)) {
		err = -ENAMETOOLONG;
		goto out;
	}
	fd = rs_create_tmp(st, tmp);
	if (fd < 0) {
		err = fd;
		goto out;
	}
	if (write(fd, text, len) != (ssize_t)len || fsync(fd))
		err = errno ? -errno : -EIO;
	if (close(fd) && !err)
		err = -errno;
	if (!err && renameat(st->dir_fd, tmp, st->dir_fd, name))
		err = -errno;
	if (err)
		unlinkat(st->dir_fd, tmp, 0);
out:
	if (err)
		snprintf(st->why, sizeof(st->why), "%s", path);
	return err;
}

static int rs_remove_file(struct rs_state *st, const char *name)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", st->dir, name);
	if (unlinkat(st->dir_fd, name, 0) && errno != ENOENT) {
		snprintf(st->why, sizeof(st->why), "%s", path);
		return -errno;
	}
	return 0;
}

static void rs_vip_file_name(const struct net_addr *vip, char *buf, size_t len)
{
	char text[NET_ADDR_STRLEN];

	snprintf(buf, len, RS_VIP_PREFIX "%s", net_addr_str(vip, text, sizeof(text)));
}

int rs_state_put_vip(struct rs_state *st, const struct rs_vip_rec *v)
{
	struct rs_vip_rec *slot = rs_state_vip(st, &v->vip);
	char name[64], text[512], addr[NET_ADDR_STRLEN];
	int err;

	if (!slot) {
		if (st->nvips == XLB_RS_MAX_VIPS)
			return -ENOSPC;
		slot = &st->vips[st->nvips];
	}
	rs_vip_file_name(&v->vip, name, sizeof(name));
	snprintf(text, sizeof(text),
		 "# xlb-rs: what `up` did for this VIP; `down` undoes it\n"
		 "vip=%s\nmethod=%s\ndscp=%u\ngue_port=%u\ndev=%s\nifindex=%d\naddr_added=%d\n",
		 net_addr_str(&v->vip, addr, sizeof(addr)), rs_method_name(v->method), v->dscp,
		 v->gue_port, v->dev, v->ifindex, v->addr_added);
	err = rs_write_file(st, name, text);
	if (err)
		return err;
	if (slot == &st->vips[st->nvips])
		st->nvips++;
	if (slot != v)
		*slot = *v;
	return 0;
}

int rs_state_del_vip(struct rs_state *st, const struct net_addr *vip)
{
	struct rs_vip_rec *v = rs_state_vip(st, vip);
	char name[64];
	int err;

	if (!v)
		return -ENOENT;
	rs_vip_file_name(vip, name, sizeof(name));
	err = rs_remove_file(st, name);
	if (err)
		return err;
	memmove(v, v + 1, (st->vips + st->nvips - (v + 1)) * sizeof(*v));
	st->nvips--;
	return 0;
}

int rs_state_save_shared(struct rs_state *st)
{
	char *text;
	size_t cap = 256 + st->nsysctls * (RS_SYSCTL_PATH_MAX + 48) + st->ntcs * 64, len;
	int err;

	if (!st->nsysctls && !st->ntcs && !st->nvips)
		return rs_remove_file(st, RS_SHARED_FILE);
	text = malloc(cap);
	if (!text)
		return -ENOMEM;
	len = snprintf(text, cap,
		       "# xlb-rs: changes shared by the VIPs that are up; undone with the last\n"
		       "netns=%s\n",
		       st->netns);
	for (size_t i = 0; i < st->nsysctls; i++)
		len += snprintf(text + len, cap - len, "sysctl=%s %d %d\n", st->sysctls[i].path,
				st->sysctls[i].orig, st->sysctls[i].set);
	for (size_t i = 0; i < st->ntcs; i++)
		len += snprintf(text + len, cap - len, "tc=%d %s %d\n", st->tcs[i].ifindex,
				st->tcs[i].dev, st->tcs[i].clsact_created);
	err = rs_write_file(st, RS_SHARED_FILE, text);
	free(text);
	return err;
}
