// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * keepalived's vrrp_instance into an ha.vrrp instance. xlb speaks VRRPv3
 * (RFC 5798) only and adds each VIP as /32 or /128 to the instance's
 * interface; of keepalived's tracking it takes track_interface (same
 * meaning), the rest (scripts, files, processes) are notes.
 */
#include "xlb_import.h"

#include <string.h>

#define KAD_ADVERT_MIN_MS 10
#define KAD_ADVERT_MAX_MS 40950 /* VRRPv3's 12-bit centiseconds */

static const struct {
	const char *prefix, *why;
} kad_vrrp_reasons[] = {
	{ "authentication", "VRRPv3 (RFC 5798) has no authentication; keepalived drops it with vrrp_version 3 too" },
	{ "track_", "xlb tracks interfaces (track_interface) and services' quorum (track_service), not scripts, files or processes: make the check a script health check of a service and track_service it" },
	{ "notify", "xlb runs no notify scripts; it logs every transition and xlbctl ha shows the state" },
	{ "smtp_alert", "xlb sends no mail; it logs every transition" },
	{ "garp_", "xlb announces a new master at fixed times, 0, 100, 1100 and 2100 ms after it takes over (docs/HA.md)" },
	{ "gna_", "xlb announces a new master at fixed times, 0, 100, 1100 and 2100 ms after it takes over (docs/HA.md)" },
	{ "use_vmac", "xlb keeps the interface's own MAC; neighbours learn the new master from its announcements" },
	{ "vmac_", "xlb keeps the interface's own MAC" },
	{ "use_ipvlan", "xlb keeps the interface's own MAC" },
	{ "lvs_sync_daemon_interface", "xlb's connection sync is ha.sync: peers and a key (docs/HA.md)" },
	{ "mcast_src_ip", "xlb sends from the interface's first address that is not a VIP (IPv6: its link-local address)" },
	{ "unicast_src_ip", "xlb sends from the interface's first address that is not a VIP (IPv6: its link-local address)" },
	{ "virtual_routes", "xlb adds no routes; use the system's network config" },
	{ "virtual_rules", "xlb adds no policy rules; use the system's network config" },
	{ "virtual_ipaddress_excluded", "xlb advertises all of an instance's addresses; list these under addresses if they should follow the master" },
	{ "native_ipv6", "xlb's instance family follows its addresses" },
	{ "dont_track_primary", "xlb always tracks the instance's interface: its link down is FAULT" },
	{ "linkbeat_use_polling", "xlb learns link changes from netlink" },
	{ "promote_secondaries", "xlb adds VIPs as /32 (/128), which are never secondaries of a subnet" },
	{ "accept", "xlb's VIPs always accept traffic (it balances it)" },
	{ "no_accept", "xlb's VIPs always accept traffic (it balances it)" },
	{ "strict_mode", "xlb speaks plain RFC 5798" },
	{ "skip_check_adv_addr", "xlb logs an advert with other addresses once and obeys it" },
	{ "unicast_ttl", "xlb sends with TTL 255 and accepts only 255" },
	{ "unicast_fault_no_peer", "xlb goes to FAULT only for its own link or what it tracks" },
	{ "check_unicast_src", "xlb takes adverts from any source on the link" },
	{ "debug", "run xlbd -d for debug logs" },
	{ "kernel_rx_buf_size", "xlb sizes its sockets itself" },
};

static const char *kad_vrrp_reason(const char *kw)
{
	for (size_t i = 0; i < sizeof(kad_vrrp_reasons) / sizeof(kad_vrrp_reasons[0]); i++) {
		size_t len = strlen(kad_vrrp_reasons[i].prefix);
		bool prefix = kad_vrrp_reasons[i].prefix[len - 1] == '_';

		if (prefix ? !strncmp(kw, kad_vrrp_reasons[i].prefix, len)
			   : !strcmp(kw, kad_vrrp_reasons[i].prefix))
			return kad_vrrp_reasons[i].why;
	}
	return "no xlb equivalent for this vrrp_instance key";
}

static bool kad_uint_key(struct kad_ctx *k, const struct kad_node *n, uint64_t min, uint64_t max,
			 uint64_t *out)
{
	if (n->nwords < 2 || !imp_parse_uint(n->words[1], min, max, out)) {
		kad_err(k, n, "bad %s '%s' (expected %llu..%llu)", n->words[0],
			n->nwords >= 2 ? n->words[1] : "", (unsigned long long)min,
			(unsigned long long)max);
		return false;
	}
	k->cfg->mapped++;
	return true;
}

#define WHAT "virtual_ipaddress"
static void kad_vip(struct kad_ctx *k, struct imp_vrrp *v, const struct kad_node *e)
{
	char addr[80], canon[IMP_ADDR_MAX], extra[200] = "";
	char *slash;
	uint64_t prefix = 0;
	int family;
	size_t off = 0;

	snprintf(addr, sizeof(addr), "%s", e->words[0]);
	slash = strchr(addr, '/');
	if (slash)
		*slash++ = '\0';
	family = imp_addr_canon(addr, canon, sizeof(canon));
	if (!family || (slash && !imp_parse_uint(slash, 0, family == AF_INET ? 32 : 128, &prefix))) {
		kad_err(k, e, "bad virtual_ipaddress '%s' (expected ADDRESS[/PREFIX] [dev IF] ...)",
			e->words[0]);
		return;
	}
	if (v->family && family != v->family) {
		kad_comment_as(k, &v->notes, e, WHAT,
			    "an xlb instance's addresses are of one family (this one's are %s); "
			    "add a second instance with the same vrid for the others",
			    v->family == AF_INET ? "IPv4" : "IPv6");
		return;
	}
	for (size_t i = 0; i < v->naddrs; i++) {
		if (strcmp(v->addrs[i], canon))
			continue;
		kad_comment_as(k, &v->notes, e, WHAT, "listed before; xlb takes each address once");
		return;
	}
	if (v->naddrs == HA_VRRP_ADDRS_MAX) {
		kad_comment_as(k, &v->notes, e, WHAT, "xlb takes at most %d addresses per instance; add "
					     "another instance for the rest",
			    HA_VRRP_ADDRS_MAX);
		return;
	}
	v->family = family;
	snprintf(v->addrs[v->naddrs++], sizeof(v->addrs[0]), "%s", canon);
	k->cfg->mapped++;
	/* What else the entry says: xlb adds the bare address to the instance's interface. */
	for (size_t i = 1; i < e->nwords && off < sizeof(extra); i++) {
		int w;

		if (!strcmp(e->words[i], "dev") && i + 1 < e->nwords && v->iface[0] &&
		    !strcmp(e->words[i + 1], v->iface)) {
			i++;
			continue;
		}
		w = snprintf(extra + off, sizeof(extra) - off, "%s%s", off ? " " : "", e->words[i]);
		if (w < 0)
			break;
		off += (size_t)w;
	}
	if (slash && prefix != (family == AF_INET ? 32u : 128u))
		kad_comment_as(k, &v->notes, e, WHAT,
			    "xlb adds the address as /%d; keepalived's /%llu also routed the subnet "
			    "to this interface",
			    family == AF_INET ? 32 : 128, (unsigned long long)prefix);
	if (extra[0])
		kad_comment_as(k, &v->notes, e, WHAT,
			    "'%s': xlb adds the address to the instance's interface (%s) and sets "
			    "nothing else",
			    extra, v->iface[0] ? v->iface : "its interface");
}

#undef WHAT
#define WHAT "unicast_peer"
static void kad_peer(struct kad_ctx *k, struct imp_vrrp *v, const struct kad_node *e)
{
	char canon[IMP_ADDR_MAX];
	int family = imp_addr_canon(e->words[0], canon, sizeof(canon));

	if (!family) {
		kad_err(k, e, "bad unicast_peer '%s' (expected an IPv4 or IPv6 address)", e->words[0]);
		return;
	}
	if (v->family && family != v->family) {
		kad_comment_as(k, &v->notes, e, WHAT, "a peer of another family than the instance's addresses");
		return;
	}
	if (v->npeers == HA_PEERS_MAX) {
		kad_comment_as(k, &v->notes, e, WHAT, "xlb takes at most %d unicast peers per instance",
			    HA_PEERS_MAX);
		return;
	}
	for (size_t i = 0; i < v->npeers; i++) {
		if (strcmp(v->peers[i], canon))
			continue;
		kad_comment_as(k, &v->notes, e, WHAT, "listed before; xlb takes each peer once");
		return;
	}
	snprintf(v->peers[v->npeers++], sizeof(v->peers[0]), "%s", canon);
	k->cfg->mapped++;
	if (e->nwords > 1)
		kad_comment_as(k, &v->notes, e, WHAT, "xlb checks the TTL (255) of every advert and nothing else");
}

#undef WHAT

#define WHAT "track_interface"
/* "IF", "IF weight W": xlb's track_interface has the same meaning; "reverse" it has not. */
static void kad_track(struct kad_ctx *k, struct imp_vrrp *v, const struct kad_node *e)
{
	const char *name = e->words[0];
	int64_t weight = 0;

	if (!imp_ifname_ok(name)) {
		kad_comment_as(k, &v->notes, e, WHAT, "not an interface name xlb takes");
		return;
	}
	if (!strcmp(name, v->iface)) {
		kad_comment_as(k, &v->notes, e, WHAT,
			       "xlb always tracks the instance's interface: its link down is FAULT");
		return;
	}
	if (e->nwords != 1 && (e->nwords != 3 || strcmp(e->words[1], "weight"))) {
		kad_comment_as(k, &v->notes, e, WHAT,
			       "xlb takes a name and a weight; reverse tracking it has not");
		return;
	}
	if (e->nwords == 3) {
		const char *w = e->words[2];
		bool neg = w[0] == '-';
		uint64_t u;

		if (!imp_parse_uint(w + neg, 0, HA_TRACK_WEIGHT_MAX, &u)) {
			kad_comment_as(k, &v->notes, e, WHAT,
				       "a weight xlb does not take (expected -253..253)");
			return;
		}
		weight = neg ? -(int64_t)u : (int64_t)u;
	}
	if (weight && v->priority == 255) {
		kad_comment_as(k, &v->notes, e, WHAT,
			       "priority 255 never changes: xlb takes no weight on the owner");
		return;
	}
	if (v->ntracks == HA_TRACK_MAX) {
		kad_comment_as(k, &v->notes, e, WHAT, "xlb tracks at most %d interfaces per instance",
			       HA_TRACK_MAX);
		return;
	}
	for (size_t i = 0; i < v->ntracks; i++) {
		if (strcmp(v->tracks[i].name, name))
			continue;
		kad_comment_as(k, &v->notes, e, WHAT, "listed before; xlb takes each interface once");
		return;
	}
	snprintf(v->tracks[v->ntracks].name, sizeof(v->tracks[0].name), "%s", name);
	v->tracks[v->ntracks++].weight = (int)weight;
	k->cfg->mapped++;
}
#undef WHAT

static void kad_advert(struct kad_ctx *k, struct imp_vrrp *v, const struct kad_node *n)
{
	uint64_t ms;

	if (n->nwords < 2 || !imp_parse_seconds(n->words[1], &ms) || !ms) {
		kad_err(k, n, "bad advert_int '%s' (expected seconds, such as 1 or 0.2)",
			n->nwords >= 2 ? n->words[1] : "");
		return;
	}
	k->cfg->mapped++;
	if (ms > KAD_ADVERT_MAX_MS) {
		kad_comment(k, &v->notes, n, "VRRPv3 adverts are at most %.2fs apart; xlb uses that",
			    KAD_ADVERT_MAX_MS / 1000.0);
		ms = KAD_ADVERT_MAX_MS;
	} else if (ms % 10) {
		uint64_t r = ms < KAD_ADVERT_MIN_MS ? KAD_ADVERT_MIN_MS : (ms + 5) / 10 * 10;

		kad_info(k, &v->notes, n, "VRRPv3 counts in centiseconds: %llums", (unsigned long long)r);
		ms = r;
	}
	v->advert_ms = (uint32_t)ms;
}

/* Keys first, then addresses and peers: their checks need the interface and family. */
static void kad_vrrp_keys(struct kad_ctx *k, struct imp_vrrp *v, const struct kad_node *vn,
			  int *version, bool *have_vrid, const struct kad_node **state)
{
	uint64_t u;

	for (size_t i = 0; i < vn->nkids; i++) {
		const struct kad_node *n = &vn->kids[i];
		const char *kw = n->words[0];

		if (!strcmp(kw, "interface") && n->nwords >= 2) {
			if (!imp_ifname_ok(n->words[1])) {
				kad_err(k, n, "bad interface name '%s' (expected 1 to 15 characters "
					      "without '/', ':' or spaces)",
					n->words[1]);
				continue;
			}
			snprintf(v->iface, sizeof(v->iface), "%s", n->words[1]);
			k->cfg->mapped++;
		} else if (!strcmp(kw, "virtual_router_id")) {
			if (kad_uint_key(k, n, 1, 255, &u))
				v->vrid = (uint8_t)u, *have_vrid = true;
		} else if (!strcmp(kw, "priority")) {
			if (kad_uint_key(k, n, 1, 255, &u))
				v->priority = (uint8_t)u;
		} else if (!strcmp(kw, "advert_int")) {
			kad_advert(k, v, n);
		} else if (!strcmp(kw, "nopreempt")) {
			v->preempt = false;
			k->cfg->mapped++;
		} else if (!strcmp(kw, "preempt")) {
			v->preempt = true;
			k->cfg->mapped++;
		} else if (!strcmp(kw, "preempt_delay")) {
			uint64_t ms;

			if (n->nwords >= 2 && imp_parse_seconds(n->words[1], &ms) && ms <= 1000000) {
				v->preempt_delay_ms = (uint32_t)ms;
				k->cfg->mapped++;
			} else {
				kad_err(k, n, "bad preempt_delay '%s' (expected seconds, 0..1000)",
					n->nwords >= 2 ? n->words[1] : "");
			}
		} else if (!strcmp(kw, "version")) {
			if (kad_uint_key(k, n, 2, 3, &u))
				*version = (int)u;
		} else if (!strcmp(kw, "state")) {
			*state = n;
		} else if (!strcmp(kw, "virtual_ipaddress") || !strcmp(kw, "unicast_peer") ||
			   (!strcmp(kw, "track_interface") && n->block)) {
			continue;
		} else {
			kad_comment(k, &v->notes, n, "%s", kad_vrrp_reason(kw));
		}
	}
}

void kad_map_vrrp_instance(struct kad_ctx *k, const struct kad_node *vn)
{
	struct imp_config *cfg = k->cfg;
	struct imp_vrrp *v = imp_add_vrrp(cfg);
	const struct kad_node *state = NULL;
	bool have_vrid = false;
	int version = k->vrrp_version;
	unsigned active = 0;

	imp_make_name(v->name, sizeof(v->name), vn->nwords >= 2 ? vn->words[1] : "vrrp");
	if (vn->nwords >= 2 && strcmp(v->name, vn->words[1]))
		kad_info(k, &v->notes, vn, "named %s: xlb's names take letters, digits, _ . -",
			 v->name);
	for (size_t i = 0; i + 1 < cfg->nvrrp; i++)
		active += !cfg->vrrp[i].omitted;
	if (active == HA_VRRP_MAX) {
		v->omitted = true;
		kad_comment(k, &v->notes, vn, "xlb takes at most %d VRRP instances", HA_VRRP_MAX);
		return;
	}
	cfg->mapped++;
	kad_vrrp_keys(k, v, vn, &version, &have_vrid, &state);
	if (!v->iface[0]) {
		snprintf(v->iface, sizeof(v->iface), "%s", k->default_iface[0] ? k->default_iface : "eth0");
		kad_info(k, &v->notes, vn, "no interface: keepalived's default_interface, %s", v->iface);
	}
	for (size_t i = 0; i < vn->nkids; i++) {
		const struct kad_node *n = &vn->kids[i];

		if (!strcmp(n->words[0], "virtual_ipaddress") && n->block) {
			k->cfg->mapped++;
			for (size_t j = 0; j < n->nkids; j++)
				kad_vip(k, v, &n->kids[j]);
		}
	}
	for (size_t i = 0; i < vn->nkids; i++) {
		const struct kad_node *n = &vn->kids[i];

		if (!strcmp(n->words[0], "unicast_peer") && n->block) {
			k->cfg->mapped++;
			for (size_t j = 0; j < n->nkids; j++)
				kad_peer(k, v, &n->kids[j]);
		}
	}
	for (size_t i = 0; i < vn->nkids; i++) {
		const struct kad_node *n = &vn->kids[i];

		if (!strcmp(n->words[0], "track_interface") && n->block) {
			k->cfg->mapped++;
			for (size_t j = 0; j < n->nkids; j++)
				kad_track(k, v, &n->kids[j]);
		}
	}
	if (state)
		kad_comment(k, &v->notes, state,
			    "xlb starts every instance as backup and lets the priorities decide (255: "
			    "master at once); keepalived's state only picks where it starts");
	if (version != 3)
		kad_comment_as(k, &v->notes, vn, "vrrp_version",
			    "keepalived speaks VRRPv%d here (its default is 2); xlb speaks VRRPv3 "
			    "only, so keepalived peers need vrrp_version 3 in global_defs to pair "
			    "with it",
			    version);
	if (!have_vrid) {
		v->omitted = true;
		kad_comment(k, &v->notes, vn, "no virtual_router_id, which keepalived requires too");
		return;
	}
	if (!v->naddrs) {
		v->omitted = true;
		kad_comment(k, &v->notes, vn,
			    "no virtual_ipaddress xlb can take: without addresses an xlb instance "
			    "would take every service VIP, so it is left out");
		return;
	}
	for (size_t i = 0; i + 1 < cfg->nvrrp; i++) {
		const struct imp_vrrp *o = &cfg->vrrp[i];

		if (o->omitted || o->vrid != v->vrid || o->family != v->family ||
		    strcmp(o->iface, v->iface))
			continue;
		v->omitted = true;
		kad_comment(k, &v->notes, vn,
			    "the same interface, VRID and family as instance %s; one router per "
			    "VRID on a link",
			    o->name);
		return;
	}
	for (size_t i = 0; i + 1 < cfg->nvrrp; i++) {
		if (cfg->vrrp[i].omitted || strcmp(cfg->vrrp[i].name, v->name))
			continue;
		/* xlb logs and xlbctl by name: keep them apart. */
		snprintf(v->name + (strlen(v->name) > 50 ? 50 : strlen(v->name)), 12, "-%u", v->vrid);
		break;
	}
}
