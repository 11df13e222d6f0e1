// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The checks of doctor.h. Each reads the host as it is (sysctls, bpffs, the
 * XDP program on each interface, ethtool settings) and says what to run if
 * it is not what the config needs. Nothing here changes the host.
 */
#include "ops/doctor.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "log.h"
#include "xlb/xlb_method.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

static void __attribute__((format(printf, 4, 5)))
dr_add(struct doctor_report *r, enum doctor_level level, const char *check, const char *fmt, ...)
{
	struct doctor_finding *f;
	va_list ap;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct doctor_finding *grown = realloc(r->f, cap * sizeof(*grown));

		if (!grown)
			return;
		r->f = grown;
		r->cap = cap;
	}
	f = &r->f[r->n++];
	memset(f, 0, sizeof(*f));
	f->level = level;
	snprintf(f->check, sizeof(f->check), "%s", check);
	va_start(ap, fmt);
	vsnprintf(f->what, sizeof(f->what), fmt, ap);
	va_end(ap);
}

/* The fix of the finding added last. */
static void __attribute__((format(printf, 2, 3))) dr_fix(struct doctor_report *r, const char *fmt, ...)
{
	va_list ap;

	if (!r->n)
		return;
	va_start(ap, fmt);
	vsnprintf(r->f[r->n - 1].fix, sizeof(r->f[r->n - 1].fix), fmt, ap);
	va_end(ap);
}

/* A /proc/sys value as an integer, -1 if it cannot be read. */
static long dr_sysctl(const char *path)
{
	char buf[32] = "";
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return buf[0] ? strtol(buf, NULL, 10) : -1;
}

static long dr_conf(const char *fam, const char *dev, const char *knob)
{
	char path[160];

	snprintf(path, sizeof(path), "/proc/sys/net/%s/conf/%s/%s", fam, dev, knob);
	return dr_sysctl(path);
}

struct dr_needs {
	bool nat4, nat6; /* nat/fnat services per VIP family */
	bool xdp;
};

static void dr_forwarding(struct doctor_report *r, const struct dr_needs *n)
{
	long v;

	if (n->nat4) {
		v = dr_sysctl("/proc/sys/net/ipv4/ip_forward");
		if (v == 1) {
			dr_add(r, DOCTOR_OK, "forwarding", "net.ipv4.ip_forward is 1 (nat/fnat services)");
		} else {
			dr_add(r, DOCTOR_ERROR, "forwarding",
			       "net.ipv4.ip_forward is %ld with nat/fnat services: replies the kernel "
			       "has to forward (client MAC not known yet) are dropped",
			       v);
			dr_fix(r, "sysctl -w net.ipv4.ip_forward=1");
		}
	}
	if (n->nat6) {
		v = dr_sysctl("/proc/sys/net/ipv6/conf/all/forwarding");
		if (v == 1) {
			dr_add(r, DOCTOR_OK, "forwarding",
			       "net.ipv6.conf.all.forwarding is 1 (nat/fnat services)");
		} else {
			dr_add(r, DOCTOR_ERROR, "forwarding",
			       "net.ipv6.conf.all.forwarding is %ld with IPv6 nat/fnat services: "
			       "replies the kernel has to forward are dropped",
			       v);
			dr_fix(r, "sysctl -w net.ipv6.conf.all.forwarding=1");
		}
	}
	if (!n->nat4 && !n->nat6)
		dr_add(r, DOCTOR_OK, "forwarding", "no nat/fnat service: forwarding not needed");
}

/* Replies with the VIP as source reach the stack after a failover: accept_local, loose rp_filter. */
static void dr_nat_iface(struct doctor_report *r, const char *dev)
{
	long al = dr_conf("ipv4", dev, "accept_local");
	long rp = dr_conf("ipv4", dev, "rp_filter"), rp_all = dr_conf("ipv4", "all", "rp_filter");
	long rp_eff = rp > rp_all ? rp : rp_all;

	if (al == 1) {
		dr_add(r, DOCTOR_OK, "accept_local", "%s: accept_local is 1", dev);
	} else {
		dr_add(r, DOCTOR_WARN, "accept_local",
		       "%s: accept_local is %ld: nat replies to clients whose MAC is not known yet "
		       "(right after a failover) are dropped as martians",
		       dev, al);
		dr_fix(r, "sysctl -w net.ipv4.conf.%s.accept_local=1", dev);
	}
	if (rp_eff == 1) {
		dr_add(r, DOCTOR_WARN, "rp_filter",
		       "%s: rp_filter is strict (1): nat replies handed to the kernel are dropped "
		       "unless their source routes back through %s",
		       dev, dev);
		dr_fix(r, "sysctl -w net.ipv4.conf.all.rp_filter=2 net.ipv4.conf.%s.rp_filter=2", dev);
	} else {
		dr_add(r, DOCTOR_OK, "rp_filter", "%s: rp_filter is %ld (not strict)", dev, rp_eff);
	}
}

static int dr_ethtool(int fd, const char *dev, void *cmd)
{
	struct ifreq ifr = {};

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	ifr.ifr_data = cmd;
	return ioctl(fd, SIOCETHTOOL, &ifr);
}

static void dr_nic(struct doctor_report *r, int fd, const char *dev, const char *driver,
		   enum attach_mode mode)
{
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };
	struct ethtool_ringparam ring = { .cmd = ETHTOOL_GRINGPARAM };
	struct ethtool_value lro = { .cmd = ETHTOOL_GFLAGS }, txcsum = { .cmd = ETHTOOL_GTXCSUM };
	long ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	bool veth = strcmp(driver, "veth") == 0;

	if (dr_ethtool(fd, dev, &ch) == 0) {
		uint32_t used = ch.combined_count + ch.rx_count;
		uint32_t max = ch.max_combined ? ch.max_combined : ch.max_rx;
		uint32_t want = max < ncpus ? max : (uint32_t)ncpus;

		if (!veth && used < want) {
			dr_add(r, DOCTOR_INFO, "queues",
			       "%s: %u of %u possible RX queues for %ld CPUs: RSS spreads packets over "
			       "fewer CPUs than it could",
			       dev, used, max, ncpus);
			dr_fix(r, "ethtool -L %s combined %u", dev, want);
		} else {
			dr_add(r, DOCTOR_OK, "queues", "%s: %u RX queues", dev, used);
		}
	}
	if (!veth && dr_ethtool(fd, dev, &ring) == 0 && ring.rx_pending < ring.rx_max_pending) {
		dr_add(r, DOCTOR_INFO, "rings",
		       "%s: RX ring %u of at most %u: bursts may overflow it", dev, ring.rx_pending,
		       ring.rx_max_pending);
		dr_fix(r, "ethtool -G %s rx %u", dev, ring.rx_max_pending);
	}
	if (dr_ethtool(fd, dev, &lro) == 0 && (lro.data & ETH_FLAG_LRO) && mode != ATTACH_TC) {
		dr_add(r, DOCTOR_WARN, "offloads",
		       "%s: LRO is on: native XDP does not attach with LRO, and merged packets "
		       "would be forwarded as one",
		       dev);
		dr_fix(r, "ethtool -K %s lro off", dev);
	}
	if (veth && mode != ATTACH_TC && dr_ethtool(fd, dev, &txcsum) == 0) {
		dr_add(r, DOCTOR_INFO, "offloads",
		       "%s is a veth: senders on veth (clients, containers) need TX checksum "
		       "offload off, or packets bounced by XDP reach the reals with bad checksums",
		       dev);
		dr_fix(r, "ethtool -K SENDER_IF tx off  (on each sender), or mode: tc");
	}
}

/*
 * The queue interrupts of @dev ("eth0-TxRx-3" in /proc/interrupts): RSS
 * spreads nothing if every one of them is served by the same CPU.
 */
static void dr_irqs(struct doctor_report *r, const char *dev)
{
	char line[4096], first[64] = "", path[64], cpus[64];
	FILE *f = fopen("/proc/interrupts", "r");
	size_t devlen = strlen(dev);
	int nirq = 0, same = 0;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *name = strrchr(line, ' '), *nl;
		unsigned irq;
		FILE *a;

		if (!name || sscanf(line, " %u:", &irq) != 1)
			continue;
		name++;
		if ((nl = strchr(name, '\n')))
			*nl = '\0';
		if (strncmp(name, dev, devlen) != 0 || (name[devlen] != '-' && name[devlen] != '\0'))
			continue;
		snprintf(path, sizeof(path), "/proc/irq/%u/smp_affinity_list", irq);
		a = fopen(path, "r");
		if (!a)
			continue;
		if (fgets(cpus, sizeof(cpus), a)) {
			cpus[strcspn(cpus, "\n")] = '\0';
			if (!nirq)
				snprintf(first, sizeof(first), "%s", cpus);
			same += strcmp(cpus, first) == 0 && !strpbrk(cpus, ",-");
			nirq++;
		}
		fclose(a);
	}
	fclose(f);
	if (nirq > 1 && same == nirq) {
		dr_add(r, DOCTOR_INFO, "irq",
		       "%s: all %d queue interrupts go to CPU %s: one CPU serves every queue", dev,
		       nirq, first);
		dr_fix(r, "run irqbalance, or spread them: echo CPU > /proc/irq/N/smp_affinity_list");
	} else if (nirq > 1) {
		dr_add(r, DOCTOR_OK, "irq", "%s: %d queue interrupts, not all on one CPU", dev, nirq);
	}
}

/* Which program sits on the interface's XDP hook, and in which mode. */
static void dr_xdp(struct doctor_report *r, const char *dev, int ifindex, enum attach_mode mode,
		   const char *driver)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int pfd;

	if (bpf_xdp_query(ifindex, 0, &q) < 0) {
		dr_add(r, DOCTOR_INFO, "xdp", "%s: cannot query its XDP hook: %s", dev, strerror(errno));
		return;
	}
	if (!q.prog_id) {
		dr_add(r, mode == ATTACH_TC ? DOCTOR_OK : DOCTOR_INFO, "xdp",
		       "%s: no XDP program%s", dev,
		       mode == ATTACH_TC ? " (mode tc)" : ": xlbd is not running or not attached");
		return;
	}
	pfd = bpf_prog_get_fd_by_id(q.prog_id);
	if (pfd >= 0) {
		bpf_obj_get_info_by_fd(pfd, &info, &len);
		close(pfd);
	}
	if (strcmp(info.name, "xlb_xdp") != 0) {
		dr_add(r, DOCTOR_ERROR, "xdp",
		       "%s: another XDP program (%s, id %u) is attached: %s", dev,
		       info.name[0] ? info.name : "?", q.prog_id,
		       mode == ATTACH_TC ? "it sees every packet before xlb's tc program" :
					   "xlb cannot attach here");
		dr_fix(r, "ip link set dev %s xdp off  (after checking what put it there)", dev);
		return;
	}
	if (q.attach_mode == XDP_ATTACHED_SKB && mode == ATTACH_NATIVE) {
		dr_add(r, DOCTOR_WARN, "xdp",
		       "%s: xlb runs as generic XDP although native was asked for: the driver (%s) "
		       "has no native XDP%s, so every packet pays for an skb first",
		       dev, driver, strcmp(driver, "veth") == 0 ? " for locally generated traffic" : "");
		dr_fix(r, "use a NIC driver with native XDP, or mode: tc on veth/containers");
	} else {
		dr_add(r, DOCTOR_OK, "xdp", "%s: xlb attached (%s)", dev,
		       q.attach_mode == XDP_ATTACHED_DRV ? "native" :
		       q.attach_mode == XDP_ATTACHED_SKB ? "generic" : "offloaded/multi");
	}
}

static void dr_bpffs(struct doctor_report *r, const char *pin_dir)
{
	char parent[CONFIG_PATH_MAX];
	struct statfs fs;
	char *slash;

	snprintf(parent, sizeof(parent), "%s", pin_dir);
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = '\0';
	if (statfs(pin_dir, &fs) == 0 && fs.f_type == BPF_FS_MAGIC) {
		dr_add(r, DOCTOR_OK, "bpffs", "%s is on bpffs", pin_dir);
	} else if (statfs(parent, &fs) == 0 && fs.f_type == BPF_FS_MAGIC) {
		dr_add(r, DOCTOR_OK, "bpffs", "%s is on bpffs (%s created at start)", parent, pin_dir);
	} else {
		dr_add(r, DOCTOR_WARN, "bpffs",
		       "%s is not on a bpffs mount: xlbd mounts /sys/fs/bpf itself, but maps pinned "
		       "elsewhere are not kept across restarts",
		       parent);
		dr_fix(r, "mount -t bpf bpf /sys/fs/bpf  (and add it to /etc/fstab)");
	}
}

/* conntrack sees only one direction of xlb's nat flows (XDP took the other). */
static void dr_conntrack(struct doctor_report *r, const struct dr_needs *n)
{
	if (!n->nat4 && !n->nat6)
		return;
	if (access("/proc/sys/net/netfilter/nf_conntrack_max", F_OK) == 0) {
		dr_add(r, DOCTOR_WARN, "conntrack",
		       "nf_conntrack is loaded with nat/fnat services: the replies xlb hands to the "
		       "kernel are tracked without their first half and can be dropped as INVALID by "
		       "a firewall, at a cost per packet");
		dr_fix(r, "modprobe -r nf_conntrack  (if nothing needs it), or exempt the VIPs: nft "
			  "add rule inet raw prerouting ip saddr VIP notrack");
	} else {
		dr_add(r, DOCTOR_OK, "conntrack", "nf_conntrack is not loaded");
	}
}

/*
 * VRRP: each instance's interface must exist (else VRRP does not start); a
 * tracked interface that does not exist counts as down, which is allowed
 * (it may come later) but worth a warning.
 */
static void dr_vrrp(struct doctor_report *r, const struct ha_config *ha)
{
	for (size_t i = 0; i < ha->nvrrp; i++) {
		const struct ha_vrrp_config *v = &ha->vrrp[i];
		bool ok = true;

		if (!if_nametoindex(v->iface)) {
			dr_add(r, DOCTOR_ERROR, "vrrp", "%s: interface %s: no such interface", v->name,
			       v->iface);
			dr_fix(r, "check the instance's interface: (ip -br link)");
			continue;
		}
		for (size_t k = 0; k < v->ntrack_ifaces; k++) {
			const struct ha_track *t = &v->track_ifaces[k];

			if (if_nametoindex(t->name))
				continue;
			ok = false;
			if (t->weight)
				dr_add(r, DOCTOR_WARN, "vrrp",
				       "%s: tracked interface %s: no such interface, counts as down "
				       "(weight %+d)",
				       v->name, t->name, t->weight);
			else
				dr_add(r, DOCTOR_WARN, "vrrp",
				       "%s: tracked interface %s: no such interface, counts as down: "
				       "the instance stays in FAULT",
				       v->name, t->name);
			dr_fix(r, "check track_interface: (ip -br link)");
		}
		if (ok)
			dr_add(r, DOCTOR_OK, "vrrp", "%s: %s and %zu tracked interface(s) exist",
			       v->name, v->iface, v->ntrack_ifaces);
	}
}

void doctor_run(const struct xlb_config *cfg, struct doctor_report *r)
{
	struct dr_needs n = {};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	for (size_t i = 0; i < cfg->nservices; i++) {
		const struct service_config *s = &cfg->services[i];

		if (xlb_method_nat(s->method)) {
			n.nat4 |= s->vip.family == AF_INET;
			n.nat6 |= s->vip.family == AF_INET6;
		}
		n.xdp |= s->method != XLB_METHOD_PROXY;
	}
	dr_forwarding(r, &n);
	if (n.xdp)
		dr_bpffs(r, cfg->bpf_pin_dir);
	for (size_t i = 0; i < cfg->nifaces; i++) {
		const struct iface_config *ic = &cfg->ifaces[i];
		struct ethtool_drvinfo drv = { .cmd = ETHTOOL_GDRVINFO };
		int ifindex = (int)if_nametoindex(ic->name);

		if (!ifindex) {
			dr_add(r, DOCTOR_ERROR, "interface", "%s: no such interface", ic->name);
			dr_fix(r, "check interfaces: in the config (ip -br link)");
			continue;
		}
		if (fd < 0 || dr_ethtool(fd, ic->name, &drv) < 0)
			snprintf(drv.driver, sizeof(drv.driver), "unknown");
		if (n.nat4)
			dr_nat_iface(r, ic->name);
		if (n.xdp)
			dr_xdp(r, ic->name, ifindex, ic->mode, drv.driver);
		if (fd >= 0)
			dr_nic(r, fd, ic->name, drv.driver, ic->mode);
		dr_irqs(r, ic->name);
	}
	dr_conntrack(r, &n);
	dr_vrrp(r, &cfg->ha);
	if (fd >= 0)
		close(fd);
}

void doctor_report_free(struct doctor_report *r)
{
	free(r->f);
	memset(r, 0, sizeof(*r));
}

enum doctor_level doctor_worst(const struct doctor_report *r)
{
	enum doctor_level w = DOCTOR_OK;

	for (size_t i = 0; i < r->n; i++)
		if (r->f[i].level > w)
			w = r->f[i].level;
	return w;
}

const char *doctor_level_name(enum doctor_level l)
{
	static const char *const names[] = { "ok", "info", "warning", "error" };

	return (unsigned)l < 4 ? names[l] : "?";
}

json_object *doctor_json(const struct doctor_report *r)
{
	json_object *o = json_object_new_object(), *list = json_object_new_array();

	for (size_t i = 0; i < r->n; i++) {
		json_object *f = json_object_new_object();

		json_object_object_add(f, "level", json_object_new_string(doctor_level_name(r->f[i].level)));
		json_object_object_add(f, "check", json_object_new_string(r->f[i].check));
		json_object_object_add(f, "finding", json_object_new_string(r->f[i].what));
		if (r->f[i].fix[0])
			json_object_object_add(f, "fix", json_object_new_string(r->f[i].fix));
		json_object_array_add(list, f);
	}
	json_object_object_add(o, "findings", list);
	json_object_object_add(o, "worst", json_object_new_string(doctor_level_name(doctor_worst(r))));
	return o;
}

void doctor_log(const struct doctor_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct doctor_finding *f = &r->f[i];

		if (f->level == DOCTOR_OK)
			continue;
		log_msg(f->level == DOCTOR_ERROR ? LOG_LVL_ERROR :
			f->level == DOCTOR_WARN ? LOG_LVL_WARN : LOG_LVL_INFO,
			"doctor: %s: %s%s%s", f->check, f->what, f->fix[0] ? "; fix: " : "", f->fix);
	}
}
