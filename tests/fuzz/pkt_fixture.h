/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fuzz_pkt's world: a private network namespace, the program loaded once
 * (dataplane_open, every method and feature, exact clocks) and its maps
 * filled as xlbd would for services of every method, both families and a
 * few schedulers and options. tests/fuzz/gen_seeds.py builds its frames
 * from the same addresses: change both together.
 *
 *   lo  (ifindex 1)  ingress, and the egress of most reals (XDP_TX)
 *   fz0 (veth)       ingress too; egress of the mh reals (XDP_REDIRECT);
 *                    the route to the clients (10.0.1.0/24, 2001:db8:1::/64)
 *                    via a gateway with the permanent neighbour GW_MAC, so
 *                    nat/fnat replies find a next hop in the FIB
 *
 * Both interfaces are registered with LB_MAC (iface_macs): unicast frames
 * to any other MAC are not ours.
 */
#ifndef XLB_TESTS_FUZZ_PKT_FIXTURE_H
#define XLB_TESTS_FUZZ_PKT_FIXTURE_H

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dataplane.h"
#include "sched/sched.h"

static const uint8_t LB_MAC[6] = { 0x02, 0x00, 0x00, 0x00, 0x1b, 0x01 };
static const uint8_t EGRESS_MAC[6] = { 0x02, 0x00, 0x00, 0x00, 0xee, 0x01 };
static const uint8_t GW_MAC[6] = { 0x02, 0x00, 0x00, 0x00, 0x9a, 0x01 };

#define FX_VIP4 "10.0.0.100"
#define FX_VIP6 "2001:db8::100"
#define FX_LB4 "10.0.3.1" /* tun/gue outer source; fnat's first local address */
#define FX_LB6 "2001:db8:3::1"
#define FX_GUE_PORT 6080
#define FX_MTU_MIN 600 /* the smallest egress MTU of any real below */
#define FX_REALS_MAX 64 /* real ids 1..62: 10.0.2.ID, 2001:db8:2::ID, MAC 02:52:00:00:00:ID */
#define FX_GHOST_REAL 63 /* in a ring, never written to "reals": drop_bad_real */

enum fx_egress { FX_LO, FX_FZ0 };

struct fx_svc {
	uint8_t proto;
	uint16_t port;
	uint8_t method;
	enum sched_id sched;
	uint32_t flags; /* XLB_SVC_F_* */
	uint32_t persist_ms;
	uint16_t mtu;
	uint16_t rport; /* the reals' port; 0: the service's */
	enum fx_egress egress;
	uint8_t nreals; /* 0xff: a ring of FX_GHOST_REAL alone */
};

#define TCP IPPROTO_TCP
#define UDP IPPROTO_UDP
#define ON XLB_SVC_F_ACTIVE
/* Each row is a service for IPv4 and another for IPv6 on the same port. */
/* clang-format off */
static const struct fx_svc fx_services[] = {
	{ TCP, 80, XLB_METHOD_DR,   SCHED_RR,    ON, 0, 1500, 0,    FX_LO, 2 },
	{ UDP, 80, XLB_METHOD_DR,   SCHED_RR,    ON, 0, 1500, 0,    FX_LO, 1 },
	{ TCP, 81, XLB_METHOD_TUN,  SCHED_RR,    ON, 0, 1500, 0,    FX_LO, 2 },
	{ UDP, 81, XLB_METHOD_TUN,  SCHED_RR,    ON, 0, 1500, 0,    FX_LO, 1 },
	{ TCP, 82, XLB_METHOD_GUE,  SCHED_SH,    ON, 0, 1500, 0,    FX_LO, 2 },
	{ UDP, 82, XLB_METHOD_GUE,  SCHED_RR,    ON, 0, 1500, 0,    FX_LO, 1 },
	{ TCP, 83, XLB_METHOD_DSCP, SCHED_WLC,   ON, 0, 1500, 0,    FX_LO, 2 },
	{ UDP, 83, XLB_METHOD_DSCP, SCHED_RR,    ON, 0, 1500, 0,    FX_LO, 1 },
	{ TCP, 84, XLB_METHOD_NAT,  SCHED_RR,    ON, 0, 1500, 8080, FX_LO, 2 },
	{ UDP, 84, XLB_METHOD_NAT,  SCHED_RR,    ON, 0, 1500, 8080, FX_LO, 1 },
	{ TCP, 85, XLB_METHOD_FNAT, SCHED_RR,    ON, 0, 1500, 8085, FX_LO, 2 },
	{ UDP, 85, XLB_METHOD_FNAT, SCHED_RR,    ON, 0, 1500, 8085, FX_LO, 1 },
	{ TCP, 90, XLB_METHOD_TUN,  SCHED_RR,    ON, 0, 600,  0,    FX_LO, 1 },
	{ UDP, 91, XLB_METHOD_GUE,  SCHED_RR,    ON, 0, 600,  0,    FX_LO, 1 },
	{ TCP, 92, XLB_METHOD_DR,   SCHED_MH,    ON, 0, 1500, 0,    FX_FZ0, 2 },
	{ TCP, 93, XLB_METHOD_DR,   SCHED_LBLCR, ON, 0, 1500, 0,    FX_LO, 2 },
	{ TCP, 94, XLB_METHOD_DR,   SCHED_RR,    ON, 10000, 1500, 0, FX_LO, 2 },
	{ TCP, 95, XLB_METHOD_DR,   SCHED_RR,    ON | XLB_SVC_F_MIDSTREAM_DROP, 0, 1500, 0, FX_LO, 1 },
	{ TCP, 96, XLB_METHOD_DR,   SCHED_RR,    ON, 0, 1500, 0,    FX_LO, 0 }, /* no reals */
	{ TCP, 97, XLB_METHOD_DR,   SCHED_RR,    0,  0, 1500, 0,    FX_LO, 1 }, /* not active */
	{ TCP, 98, XLB_METHOD_DR,   SCHED_RR,    ON, 0, 1500, 0,    FX_LO, 0xff }, /* ghost real */
};
/* clang-format on */
#undef TCP
#undef UDP
#undef ON
#define FX_NSVC (sizeof(fx_services) / sizeof(fx_services[0]))

/* What fuzz_pkt checks outputs against, filled by fx_setup(). */
struct fx_world {
	struct dataplane *dp;
	int xdp_fd, tc_fd;
	int ifindex[2]; /* lo, fz0 */
	struct xlb_addr vip[2]; /* v4, v6 */
	/* by real id: 0 = no such real */
	uint8_t real_family[FX_REALS_MAX];
	uint8_t real_method[FX_REALS_MAX];
	uint8_t real_proto[FX_REALS_MAX]; /* its service's */
	uint16_t real_svc_port[FX_REALS_MAX]; /* its service's, host order */
	int real_ifindex[FX_REALS_MAX];
	struct xlb_addr real_addr[FX_REALS_MAX];
	struct xlb_real real_orig[FX_REALS_MAX]; /* as written: to undo an input's changes */
	uint32_t nreals; /* ids 1..nreals */
	uint32_t nsvc; /* svc ids 0..nsvc-1 */
	/* maps fuzz_pkt empties before each input */
	int flow_maps[8];
	int nflow_maps;
	int cursor_fd, conns_fd;
};

static inline struct xlb_addr fx_addr(uint8_t family, const char *s)
{
	struct xlb_addr a = { 0 };

	if (inet_pton(family == XLB_FAMILY_V4 ? AF_INET : AF_INET6, s, a.addr) != 1) {
		fprintf(stderr, "fuzz_pkt: bad fixture address %s\n", s);
		exit(1);
	}
	return a;
}

static inline void fx_real_mac(uint32_t id, uint8_t mac[6])
{
	const uint8_t m[6] = { 0x02, 0x52, 0, 0, 0, (uint8_t)id };

	memcpy(mac, m, 6);
}

static inline uint32_t fx_mac_real(const uint8_t mac[6])
{
	static const uint8_t pre[5] = { 0x02, 0x52, 0, 0, 0 };

	return memcmp(mac, pre, 5) == 0 ? mac[5] : 0;
}

static inline void fx_die(const char *what, int err)
{
	fprintf(stderr, "fuzz_pkt: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

static inline void fx_sh(const char *cmd)
{
	if (system(cmd) != 0) {
		fprintf(stderr, "fuzz_pkt: fixture command failed: %s\n", cmd);
		exit(1);
	}
}

/* Our own network namespace: nothing of the host's is touched or consulted. */
static inline void fx_netns(struct fx_world *w)
{
	/* <sched.h>'s SCHED_RR would shadow sched/sched.h's: the syscall, and its flag. */
	if (syscall(SYS_unshare, 0x40000000 /* CLONE_NEWNET */))
		fx_die("unshare(CLONE_NEWNET) (needs root)", errno);
	fx_sh("ip link set lo up && "
	      "ip link add fz0 address 02:00:00:00:1b:01 type veth peer name fz1 && "
	      "ip link set fz0 up && ip link set fz1 up && "
	      "ip addr add 10.0.9.1/24 dev fz0 && ip -6 addr add 2001:db8:9::1/64 dev fz0 nodad && "
	      "ip route add 10.0.1.0/24 via 10.0.9.2 dev fz0 && "
	      "ip -6 route add 2001:db8:1::/64 via 2001:db8:9::2 dev fz0 && "
	      "ip neigh replace 10.0.9.2 lladdr 02:00:00:00:9a:01 dev fz0 nud permanent && "
	      "ip -6 neigh replace 2001:db8:9::2 lladdr 02:00:00:00:9a:01 dev fz0 nud permanent && "
	      "echo 1 > /proc/sys/net/ipv4/ip_forward && "
	      "echo 1 > /proc/sys/net/ipv6/conf/all/forwarding");
	w->ifindex[FX_LO] = (int)if_nametoindex("lo");
	w->ifindex[FX_FZ0] = (int)if_nametoindex("fz0");
	if (!w->ifindex[FX_LO] || !w->ifindex[FX_FZ0])
		fx_die("if_nametoindex", errno);
}

static inline void fx_check(int err, const char *what)
{
	if (err)
		fx_die(what, err);
}

static inline uint32_t fx_add_real(struct fx_world *w, const struct fx_svc *s, uint32_t svc_id,
				   uint8_t family, struct sched_real *sr)
{
	uint32_t id = ++w->nreals;
	struct xlb_real r = {
		.gen = 1000 + id,
		.flags = XLB_REAL_F_ACTIVE | XLB_REAL_F_NEW_FLOWS,
		.ifindex = (uint32_t)w->ifindex[s->egress],
		.svc_id = svc_id,
		.port = htons(s->rport ? s->rport : s->port),
		.family = family,
		.mtu = s->mtu,
		.weight = 1,
	};
	char a[64];

	if (id >= FX_GHOST_REAL)
		fx_die("too many reals for the fixture", E2BIG);
	snprintf(a, sizeof(a), family == XLB_FAMILY_V4 ? "10.0.2.%u" : "2001:db8:2::%x", id);
	r.addr = fx_addr(family, a);
	r.src_addr = fx_addr(family, family == XLB_FAMILY_V4 ? FX_LB4 : FX_LB6);
	fx_real_mac(id, r.dst_mac);
	memcpy(r.src_mac, EGRESS_MAC, 6);
	fx_check(dataplane_real_put(w->dp, id, &r), "dataplane_real_put");
	w->real_family[id] = family;
	w->real_method[id] = s->method;
	w->real_proto[id] = s->proto;
	w->real_svc_port[id] = s->port;
	w->real_ifindex[id] = (int)r.ifindex;
	w->real_addr[id] = r.addr;
	w->real_orig[id] = r;
	*sr = (struct sched_real){ .real_id = id, .weight = 1, .usable = true, .addr = r.addr,
				   .port = r.port };
	return id;
}

static inline void fx_add_service(struct fx_world *w, const struct fx_svc *s, uint8_t family,
				  uint32_t *mh_used, uint32_t *nat_services)
{
	const struct sched_ops *ops = sched_get(s->sched);
	uint32_t svc_id = w->nsvc++;
	struct xlb_service_key key = { .vip = w->vip[family == XLB_FAMILY_V6],
				       .port = htons(s->port),
				       .proto = s->proto,
				       .family = family };
	struct xlb_service svc = {
		.svc_id = svc_id,
		.flags = s->flags,
		.method = s->method,
		.sched_kind = ops->kind,
		.dscp = s->method == XLB_METHOD_DSCP ? 10 : 0,
		.gue_port = s->method == XLB_METHOD_GUE ? htons(FX_GUE_PORT) : 0,
		.persistence_ms = s->persist_ms,
	};
	struct sched_real reals[4];
	struct xlb_ring *ring = calloc(1, sizeof(*ring));

	if (!ring)
		fx_die("calloc", ENOMEM);
	if (s->nreals == 0xff) {
		ring->real_ids[ring->len++] = FX_GHOST_REAL;
	} else {
		for (uint8_t i = 0; i < s->nreals; i++)
			fx_add_real(w, s, svc_id, family, &reals[i]);
		ring->len = (uint32_t)sched_dataplane_ring(ops, reals, s->nreals, 0,
							   ring->real_ids, XLB_RING_MAX);
	}
	fx_check(dataplane_ring_put(w->dp, svc_id * 2, ring), "dataplane_ring_put");
	free(ring);
	if (ops->kind == XLB_SCHED_KIND_MH) {
		uint32_t *table = calloc(XLB_MH_TABLE_SIZE, sizeof(*table));

		if (!table)
			fx_die("calloc", ENOMEM);
		svc.mh_base = *mh_used * 2 * XLB_MH_TABLE_SIZE;
		(*mh_used)++;
		fx_check(ops->build_table(reals, s->nreals, table, XLB_MH_TABLE_SIZE),
			 "mh build_table");
		fx_check(dataplane_mh_table_put(w->dp, svc.mh_base, table, XLB_MH_TABLE_SIZE),
			 "dataplane_mh_table_put");
		free(table);
	}
	if (s->method == XLB_METHOD_FNAT) {
		struct xlb_fnat_locals locals = { .count = family == XLB_FAMILY_V4 ? 2 : 1 };

		locals.addrs[0] = fx_addr(family, family == XLB_FAMILY_V4 ? FX_LB4 : FX_LB6);
		locals.addrs[1] = fx_addr(family, family == XLB_FAMILY_V4 ? "10.0.3.2" : FX_LB6);
		fx_check(dataplane_fnat_locals_put(w->dp, svc_id, &locals), "fnat_locals_put");
	}
	*nat_services += s->method == XLB_METHOD_NAT || s->method == XLB_METHOD_FNAT;
	fx_check(dataplane_service_put(w->dp, &key, &svc), "dataplane_service_put");
}

static inline int fx_map_fd(struct fx_world *w, const char *name)
{
	int fd = dataplane_map_fd(w->dp, name);

	if (fd < 0)
		fx_die(name, fd);
	return fd;
}

static inline void fx_setup(struct fx_world *w)
{
	static const char *const flow_maps[] = { "flows",   "syn_flows", "nat_rev",
						 "persist", "loc_cache", "locset_cache" };
	struct xlb_globals g = { 0 };
	uint32_t mh_used = 0;
	int err;

	fx_netns(w);
	err = dataplane_open(NULL, 4096, &w->dp);
	if (err)
		fx_die("dataplane_open", err);
	w->xdp_fd = dataplane_prog_fd(w->dp, false);
	w->tc_fd = dataplane_prog_fd(w->dp, true);
	w->vip[0] = fx_addr(XLB_FAMILY_V4, FX_VIP4);
	w->vip[1] = fx_addr(XLB_FAMILY_V6, FX_VIP6);
	for (size_t i = 0; i < FX_NSVC; i++) {
		fx_add_service(w, &fx_services[i], XLB_FAMILY_V4, &mh_used, &g.nat_services);
		fx_add_service(w, &fx_services[i], XLB_FAMILY_V6, &mh_used, &g.nat_services);
	}
	fx_check(dataplane_globals_put(w->dp, &g), "dataplane_globals_put");
	for (int i = 0; i < 2; i++) {
		uint32_t slot = (uint32_t)w->ifindex[i] % XLB_IFACE_SLOTS;
		struct xlb_iface ifc = { .ifindex = (uint32_t)w->ifindex[i] };

		memcpy(ifc.mac, LB_MAC, 6);
		fx_check(bpf_map_update_elem(fx_map_fd(w, "iface_macs"), &slot, &ifc, 0) ? errno : 0,
			 "iface_macs");
		fx_check(dataplane_txport_add(w->dp, w->ifindex[i]), "dataplane_txport_add");
	}
	for (size_t i = 0; i < sizeof(flow_maps) / sizeof(flow_maps[0]); i++)
		w->flow_maps[w->nflow_maps++] = fx_map_fd(w, flow_maps[i]);
	w->cursor_fd = fx_map_fd(w, "sched_cursor");
	w->conns_fd = fx_map_fd(w, "real_conns");
}

#endif /* XLB_TESTS_FUZZ_PKT_FIXTURE_H */
