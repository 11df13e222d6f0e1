// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The ha: block (VRRP instances, connection sync), every problem as FILE:LINE. */
#include "ha/ha_config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config_names.h"
#include "config_yaml.h"

#define HA_ADVERT_MIN_MS 10
#define HA_ADVERT_MAX_MS 40950 /* 4095 centiseconds: the packet's 12-bit field */
#define HA_SYNC_KEY_MIN 16
#define HA_SYNC_DEFAULT_REFRESH_MS 30000
#define HA_SYNC_DEFAULT_MAX_RATE 50000
#define HA_SYNC_MAX_RATE_MAX 10000000

static yaml_node_t *ha_node(struct config_ctx *ctx, int index)
{
	return yaml_document_get_node(ctx->doc, index);
}

static void ha_bool(struct config_ctx *ctx, yaml_node_t *n, const char *key, bool *out)
{
	static const char *const names[] = {"false", "true"};
	int i = config_choice(ctx, n, key, names, ARRAY_SIZE(names), "true or false");

	if (i >= 0)
		*out = i == 1;
}

/* Items of a list that may also be empty ("key:" or "key: []"); -1 once reported. */
static long ha_list_len(struct config_ctx *ctx, yaml_node_t *n, const char *key)
{
	if (config_is_null(n))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE) {
		config_err(ctx, config_line(n), "%s is %s (expected a list)", key, config_kind(n));
		return -1;
	}
	return (long)(n->data.sequence.items.top - n->data.sequence.items.start);
}

static yaml_node_t *ha_item(struct config_ctx *ctx, yaml_node_t *list, long i)
{
	return ha_node(ctx, list->data.sequence.items.start[i]);
}

static const char *ha_family_name(int family)
{
	return family == AF_INET6 ? "IPv6" : "IPv4";
}

/*
 * An address list of one family into @out (at most @max); @family is the
 * family so far (0: not known yet) and is set from the first address.
 */
static void ha_addr_list(struct config_ctx *ctx, yaml_node_t *list, const char *key, size_t max,
			 struct net_addr *out, size_t *count, int *family)
{
	char buf[NET_ADDR_STRLEN];
	long n = ha_list_len(ctx, list, key);

	if (n < 0)
		return;
	if ((size_t)n > max) {
		config_err(ctx, config_line(list), "%s has %ld entries (expected at most %zu)", key,
			   n, max);
		return;
	}
	for (long i = 0; i < n; i++) {
		yaml_node_t *item = ha_item(ctx, list, i);
		struct net_addr a;
		bool dup = false;

		if (!item || !config_addr(ctx, item, key, key, &a))
			continue;
		if (*family && a.family != *family) {
			config_err(ctx, config_line(item),
				   "%s %s is %s (expected %s like the instance's other addresses)",
				   key, net_addr_str(&a, buf, sizeof(buf)),
				   ha_family_name(a.family), ha_family_name(*family));
			continue;
		}
		*family = a.family;
		for (size_t j = 0; j < *count; j++)
			dup |= net_addr_equal(&out[j], &a);
		if (dup) {
			config_err(ctx, config_line(item), "duplicate %s %s (expected each once)",
				   key, net_addr_str(&a, buf, sizeof(buf)));
			continue;
		}
		out[(*count)++] = a;
	}
}

/* No addresses: every service VIP (once each), which must be of one family. */
static void ha_default_addrs(struct config_ctx *ctx, yaml_node_t *n,
			     const struct ha_services *svcs, struct ha_vrrp_config *v)
{
	int family = 0;

	for (size_t i = 0; i < svcs->count; i++) {
		const struct net_addr *vip = &svcs->vips[i];
		bool dup = false;

		if (!vip->family)
			continue;
		if (family && vip->family != family) {
			config_err(
			    ctx, config_line(n),
			    "VRRP instance '%s' has no addresses and the service VIPs are IPv4 and "
			    "IPv6 (expected addresses: with the VIPs of one family)",
			    v->name);
			return;
		}
		family = vip->family;
		for (size_t j = 0; j < v->naddrs; j++)
			dup |= net_addr_equal(&v->addrs[j], vip);
		if (dup)
			continue;
		if (v->naddrs == HA_VRRP_ADDRS_MAX) {
			config_err(ctx, config_line(n),
				   "VRRP instance '%s' would take more than %d service VIPs "
				   "(expected addresses: with at most %d)",
				   v->name, HA_VRRP_ADDRS_MAX, HA_VRRP_ADDRS_MAX);
			return;
		}
		v->addrs[v->naddrs++] = *vip;
	}
	if (!v->naddrs)
		config_err(ctx, config_line(n),
			   "VRRP instance '%s' has no addresses and there are no service VIPs "
			   "(expected addresses: [...])",
			   v->name);
	v->family = (uint8_t)family;
}

/* "-50", "+20", "0": an integer -253..253, plain (unquoted). */
static bool ha_weight(struct config_ctx *ctx, yaml_node_t *n, int16_t *out)
{
	char expect[64], q[CONFIG_QUOTE_SIZE];
	const char *s;
	char *end;
	long v;

	snprintf(expect, sizeof(expect), "an integer -%d..%d", HA_TRACK_WEIGHT_MAX,
		 HA_TRACK_WEIGHT_MAX);
	s = config_text(ctx, n, "weight", expect);
	if (!s)
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || !s[0] || *end || errno ||
	    v < -HA_TRACK_WEIGHT_MAX || v > HA_TRACK_WEIGHT_MAX ||
	    !(s[0] == '-' || s[0] == '+' || (s[0] >= '0' && s[0] <= '9'))) {
		config_err(ctx, config_line(n), "bad weight '%s' (expected %s)",
			   config_quote(s, q, sizeof(q)), expect);
		return false;
	}
	*out = (int16_t)v;
	return true;
}

static bool ha_service_known(const struct ha_services *svcs, const char *name)
{
	for (size_t i = 0; i < svcs->count; i++)
		if (strcmp(svcs->names[i], name) == 0)
			return true;
	return false;
}

enum { TK_NAME, TK_WEIGHT, TK__COUNT };
static const char *const ha_track_keys[TK__COUNT] = {"name", "weight"};

/*
 * track_interface: / track_service: of instance @v, items "NAME" or
 * {name: NAME, weight: W}. Interfaces are checked for their syntax (the host
 * may not have them yet: a missing one counts as down); services must be in
 * services:.
 */
static void ha_parse_track(struct config_ctx *ctx, yaml_node_t *list, const char *key,
			   bool service, const struct ha_services *svcs,
			   const struct ha_vrrp_config *v, struct ha_track *out, size_t *count)
{
	static const char ifexpect[] = "an interface name: 1 to 15 characters without '/', ':' "
				       "or spaces";
	static const char svcexpect[] = "the name of a service in services:";
	const char *expect = service ? svcexpect : ifexpect;
	char q[CONFIG_QUOTE_SIZE];
	long n = ha_list_len(ctx, list, key);

	if (n < 0)
		return;
	if (n > HA_TRACK_MAX) {
		config_err(ctx, config_line(list), "%s has %ld entries (expected at most %d)", key,
			   n, HA_TRACK_MAX);
		return;
	}
	for (long i = 0; i < n; i++) {
		yaml_node_t *item = ha_item(ctx, list, i), *name = item;
		struct ha_track t = {.line = item ? config_line(item) : 0};
		struct config_slot slots[TK__COUNT];
		const char *s;
		bool dup = false;

		if (!item)
			continue;
		if (item->type == YAML_MAPPING_NODE) {
			if (!config_map(ctx, item, key, ha_track_keys, TK__COUNT, slots))
				continue;
			name = slots[TK_NAME].val;
			if (!name) {
				config_missing(ctx, item, key, "name");
				continue;
			}
			if (slots[TK_WEIGHT].val && !ha_weight(ctx, slots[TK_WEIGHT].val, &t.weight))
				continue;
		}
		s = config_text(ctx, name, key, expect);
		if (!s)
			continue;
		if (service ? !ha_service_known(svcs, s) : !config_ifname_ok(s)) {
			config_err(ctx, config_line(name), "bad %s '%s' (expected %s)", key,
				   config_quote(s, q, sizeof(q)), expect);
			continue;
		}
		if (!service && strcmp(s, v->iface) == 0) {
			config_err(ctx, config_line(name),
				   "%s '%s' is the instance's own interface (expected another one: "
				   "the own interface is always tracked, its link down is FAULT)",
				   key, config_quote(s, q, sizeof(q)));
			continue;
		}
		for (size_t j = 0; j < *count; j++)
			dup |= strcmp(out[j].name, s) == 0;
		if (dup) {
			config_err(ctx, config_line(name), "duplicate %s '%s' (expected each once)",
				   key, config_quote(s, q, sizeof(q)));
			continue;
		}
		if (t.weight && v->priority == 255) {
			config_err(ctx, config_line(item),
				   "%s '%s' has a weight but VRRP instance '%s' has priority 255, "
				   "which never changes (expected no weight: FAULT while it fails)",
				   key, config_quote(s, q, sizeof(q)), v->name);
			continue;
		}
		snprintf(t.name, sizeof(t.name), "%s", s);
		out[(*count)++] = t;
	}
}

enum {
	VK_NAME,
	VK_INTERFACE,
	VK_VRID,
	VK_PRIORITY,
	VK_ADVERT,
	VK_PREEMPT,
	VK_PREEMPT_DELAY,
	VK_ADDRESSES,
	VK_UNICAST_PEERS,
	VK_TRACK_INTERFACE,
	VK_TRACK_SERVICE,
	VK__COUNT
};
static const char *const ha_vrrp_keys[VK__COUNT] = {
    "name",	     "interface",     "vrid",		 "priority",
    "advert_interval", "preempt",	      "preempt_delay",	 "addresses",
    "unicast_peers",   "track_interface", "track_service",
};

static void ha_parse_vrrp_one(struct config_ctx *ctx, yaml_node_t *n,
			      const struct ha_services *svcs, struct ha_vrrp_config *v)
{
	static const char ifexpect[] = "1 to 15 characters without '/', ':' or spaces";
	static const char nameexpect[] = "1 to 63 letters, digits, '_', '.' or '-'";
	struct config_slot slots[VK__COUNT];
	char q[CONFIG_QUOTE_SIZE];
	const char *s;
	uint64_t u;
	int family = 0;

	v->line = config_line(n);
	v->priority = HA_VRRP_DEFAULT_PRIORITY;
	v->advert_cs = HA_VRRP_DEFAULT_ADVERT_CS;
	v->preempt = true;
	if (!config_map(ctx, n, "VRRP instance", ha_vrrp_keys, VK__COUNT, slots))
		return;
	if (slots[VK_VRID].val && config_uint(ctx, slots[VK_VRID].val, "vrid", 1, 255, &u))
		v->vrid = (uint8_t)u;
	else if (!slots[VK_VRID].val)
		config_missing(ctx, n, "VRRP instance", "vrid");
	if (slots[VK_NAME].val) {
		s = config_text(ctx, slots[VK_NAME].val, "VRRP instance name", nameexpect);
		if (s && config_name_ok(s))
			snprintf(v->name, sizeof(v->name), "%s", s);
		else if (s)
			config_err(ctx, config_line(slots[VK_NAME].val),
				   "bad VRRP instance name '%s' (expected %s)",
				   config_quote(s, q, sizeof(q)), nameexpect);
	}
	if (!v->name[0])
		snprintf(v->name, sizeof(v->name), "vrrp%u", v->vrid);
	if (!slots[VK_INTERFACE].val) {
		config_missing(ctx, n, "VRRP instance", "interface");
	} else if ((s = config_text(ctx, slots[VK_INTERFACE].val, "interface", ifexpect))) {
		if (config_ifname_ok(s))
			snprintf(v->iface, sizeof(v->iface), "%s", s);
		else
			config_err(ctx, config_line(slots[VK_INTERFACE].val),
				   "bad interface name '%s' (expected %s)",
				   config_quote(s, q, sizeof(q)), ifexpect);
	}
	if (slots[VK_PRIORITY].val &&
	    config_uint(ctx, slots[VK_PRIORITY].val, "priority", 1, 255, &u))
		v->priority = (uint8_t)u;
	if (slots[VK_ADVERT].val) {
		uint32_t ms;

		if (config_duration(ctx, slots[VK_ADVERT].val, "advert_interval", &ms)) {
			if (ms < HA_ADVERT_MIN_MS || ms > HA_ADVERT_MAX_MS || ms % 10)
				config_err(
				    ctx, config_line(slots[VK_ADVERT].val),
				    "bad advert_interval '%s' (expected 10ms..40950ms in steps of "
				    "10ms)",
				    config_quote(
					(const char *)slots[VK_ADVERT].val->data.scalar.value, q,
					sizeof(q)));
			else
				v->advert_cs = (uint16_t)(ms / 10);
		}
	}
	if (slots[VK_PREEMPT].val)
		ha_bool(ctx, slots[VK_PREEMPT].val, "preempt", &v->preempt);
	if (slots[VK_PREEMPT_DELAY].val)
		config_duration(ctx, slots[VK_PREEMPT_DELAY].val, "preempt_delay",
				&v->preempt_delay_ms);
	if (!slots[VK_ADDRESSES].val || config_is_null(slots[VK_ADDRESSES].val)) {
		ha_default_addrs(ctx, n, svcs, v);
	} else if (slots[VK_ADDRESSES].val->type == YAML_SEQUENCE_NODE &&
		   ha_list_len(ctx, slots[VK_ADDRESSES].val, "addresses") == 0) {
		config_err(ctx, config_line(slots[VK_ADDRESSES].val),
			   "VRRP instance '%s' has an empty addresses list (expected at least one "
			   "address)",
			   v->name);
	} else {
		ha_addr_list(ctx, slots[VK_ADDRESSES].val, "addresses", HA_VRRP_ADDRS_MAX, v->addrs,
			     &v->naddrs, &family);
		v->family = (uint8_t)family;
	}
	if (slots[VK_UNICAST_PEERS].val) {
		family = v->family;
		ha_addr_list(ctx, slots[VK_UNICAST_PEERS].val, "unicast_peers", HA_PEERS_MAX,
			     v->unicast_peers, &v->nunicast_peers, &family);
	}
	if (slots[VK_TRACK_INTERFACE].val)
		ha_parse_track(ctx, slots[VK_TRACK_INTERFACE].val, "track_interface", false, svcs, v,
			       v->track_ifaces, &v->ntrack_ifaces);
	if (slots[VK_TRACK_SERVICE].val)
		ha_parse_track(ctx, slots[VK_TRACK_SERVICE].val, "track_service", true, svcs, v,
			       v->track_services, &v->ntrack_services);
}

static void ha_parse_vrrp(struct config_ctx *ctx, yaml_node_t *list,
			  const struct ha_services *svcs, struct ha_config *ha)
{
	long n = ha_list_len(ctx, list, "vrrp");

	if (n <= 0)
		return;
	if (n > HA_VRRP_MAX) {
		config_err(ctx, config_line(list), "vrrp has %ld instances (expected at most %d)",
			   n, HA_VRRP_MAX);
		return;
	}
	for (long i = 0; i < n; i++) {
		yaml_node_t *item = ha_item(ctx, list, i);

		if (item)
			ha_parse_vrrp_one(ctx, item, svcs, &ha->vrrp[ha->nvrrp++]);
	}
	/* One router per (interface, VRID, family): the wire cannot tell two apart. */
	for (size_t j = 1; j < ha->nvrrp; j++) {
		const struct ha_vrrp_config *b = &ha->vrrp[j];

		for (size_t i = 0; i < j; i++) {
			const struct ha_vrrp_config *a = &ha->vrrp[i];

			if (!b->vrid || a->vrid != b->vrid || a->family != b->family ||
			    strcmp(a->iface, b->iface) != 0)
				continue;
			config_err(ctx, b->line,
				   "duplicate VRRP instance: VRID %u on %s for %s (first defined "
				   "at line %d)",
				   b->vrid, b->iface, ha_family_name(b->family), a->line);
			break;
		}
	}
}

/* "addr", "addr:port" (IPv4) or "[addr]:port" (IPv6); a bare IPv6 address has no port. */
static void ha_sync_peer(struct config_ctx *ctx, yaml_node_t *n, uint16_t default_port,
			 struct ha_sync_peer *p)
{
	static const char expect[] = "ADDRESS, IPV4:PORT or [IPV6]:PORT";
	char host[NET_ADDR_STRLEN + 2], q[CONFIG_QUOTE_SIZE];
	const char *s = config_text(ctx, n, "sync peer", expect), *port = NULL, *colon;
	unsigned long portnum = default_port;
	size_t len;

	if (!s)
		return;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || (close[1] && close[1] != ':'))
			goto bad;
		len = (size_t)(close - s - 1);
		if (len >= sizeof(host))
			goto bad;
		memcpy(host, s + 1, len);
		host[len] = '\0';
		port = close[1] ? close + 2 : NULL;
	} else {
		colon = strchr(s, ':');
		len = strlen(s);
		/* One colon: IPv4:port. More: a bare IPv6 address. */
		if (colon && !strchr(colon + 1, ':')) {
			len = (size_t)(colon - s);
			port = colon + 1;
		}
		if (len >= sizeof(host))
			goto bad;
		memcpy(host, s, len);
		host[len] = '\0';
	}
	if (port) {
		char *end;

		if (*port < '1' || *port > '9')
			goto bad;
		portnum = strtoul(port, &end, 10);
		if (*end || portnum > 65535)
			goto bad;
	}
	if (net_addr_parse(host, &p->addr) < 0)
		goto bad;
	p->port = (uint16_t)portnum;
	return;
bad:
	memset(p, 0, sizeof(*p));
	config_err(ctx, config_line(n), "bad sync peer '%s' (expected %s)",
		   config_quote(s, q, sizeof(q)), expect);
}

/* The key's bytes, trailing newline cut (files written by echo end with one). */
static void ha_sync_key_file(struct config_ctx *ctx, yaml_node_t *n, struct ha_sync_config *sc)
{
	char q[CONFIG_QUOTE_SIZE], buf[HA_SYNC_KEY_MAX + 2];
	const char *path = config_text(ctx, n, "key_file", "a path to a file");
	struct stat st;
	ssize_t len;
	int fd;

	if (!path)
		return;
	/*
	 * A regular file only, checked before it is opened (a device is never
	 * opened) and again after (the path may have changed); opened without
	 * blocking, so a FIFO put there meanwhile cannot hold the load.
	 */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		goto not_regular;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		config_err(
		    ctx, config_line(n),
		    "cannot read key_file '%s': %s (expected a readable file of %d..%d bytes)",
		    config_quote(path, q, sizeof(q)), strerror(errno), HA_SYNC_KEY_MIN,
		    HA_SYNC_KEY_MAX);
		return;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		goto not_regular;
	}
	len = read(fd, buf, sizeof(buf));
	close(fd);
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len < HA_SYNC_KEY_MIN || len > HA_SYNC_KEY_MAX) {
		config_err(ctx, config_line(n),
			   "key_file '%s' holds %s bytes (expected %d..%d bytes)",
			   config_quote(path, q, sizeof(q)),
			   len < 0		   ? "no"
			   : len > HA_SYNC_KEY_MAX ? "too many"
						   : "too few",
			   HA_SYNC_KEY_MIN, HA_SYNC_KEY_MAX);
		return;
	}
	memcpy(sc->key, buf, (size_t)len);
	sc->key_len = (size_t)len;
	return;
not_regular:
	config_err(ctx, config_line(n),
		   "cannot read key_file '%s': %s (expected a regular file of %d..%d bytes)",
		   config_quote(path, q, sizeof(q)),
		   S_ISDIR(st.st_mode) ? "a directory" : config_file_kind(st.st_mode),
		   HA_SYNC_KEY_MIN, HA_SYNC_KEY_MAX);
}

enum {
	SY_LISTEN,
	SY_PORT,
	SY_PEERS,
	SY_KEY,
	SY_KEY_FILE,
	SY_REFRESH,
	SY_MAX_RATE,
	SY_ENABLED,
	SY_MODE,
	SY__COUNT
};
static const char *const ha_sync_keys[SY__COUNT] = {
    "listen", "port", "peers", "key", "key_file", "refresh", "max_rate", "enabled", "mode",
};

static void ha_parse_sync(struct config_ctx *ctx, yaml_node_t *n, struct ha_sync_config *sc)
{
	struct config_slot slots[SY__COUNT];
	char buf[NET_ADDR_STRLEN];
	uint64_t u;
	long npeers;

	sc->line = config_line(n);
	sc->enabled = true;
	sc->port = HA_SYNC_DEFAULT_PORT;
	sc->refresh_ms = HA_SYNC_DEFAULT_REFRESH_MS;
	sc->max_rate = HA_SYNC_DEFAULT_MAX_RATE;
	if (!config_map(ctx, n, "sync", ha_sync_keys, SY__COUNT, slots))
		return;
	if (slots[SY_ENABLED].val)
		ha_bool(ctx, slots[SY_ENABLED].val, "enabled", &sc->enabled);
	if (slots[SY_MODE].val) {
		static const char *const modes[] = { "active-backup", "active-active" };
		int mode = config_choice(ctx, slots[SY_MODE].val, "sync mode", modes,
					 ARRAY_SIZE(modes), "active-backup or active-active");

		if (mode >= 0)
			sc->mode = (uint8_t)mode;
	}
	if (slots[SY_LISTEN].val)
		config_addr(ctx, slots[SY_LISTEN].val, "listen", "sync listen", &sc->listen);
	if (slots[SY_PORT].val && config_uint(ctx, slots[SY_PORT].val, "port", 1, 65535, &u))
		sc->port = (uint16_t)u;
	if (!slots[SY_PEERS].val) {
		config_missing(ctx, n, "sync", "peers");
	} else if ((npeers = ha_list_len(ctx, slots[SY_PEERS].val, "peers")) == 0) {
		config_err(ctx, config_line(slots[SY_PEERS].val),
			   "sync has no peers (expected at least one peer)");
	} else if (npeers > HA_PEERS_MAX) {
		config_err(ctx, config_line(slots[SY_PEERS].val),
			   "peers has %ld entries (expected at most %d)", npeers, HA_PEERS_MAX);
	} else if (npeers > 0) {
		for (long i = 0; i < npeers; i++) {
			yaml_node_t *item = ha_item(ctx, slots[SY_PEERS].val, i);
			struct ha_sync_peer *p = &sc->peers[sc->npeers];

			if (!item)
				continue;
			ha_sync_peer(ctx, item, sc->port, p);
			if (!p->addr.family)
				continue;
			if (sc->listen.family && p->addr.family != sc->listen.family) {
				config_err(ctx, config_line(item),
					   "sync peer %s is %s (expected %s like listen)",
					   net_addr_str(&p->addr, buf, sizeof(buf)),
					   ha_family_name(p->addr.family),
					   ha_family_name(sc->listen.family));
				memset(p, 0, sizeof(*p));
				continue;
			}
			sc->npeers++;
		}
	}
	if (slots[SY_KEY].val && slots[SY_KEY_FILE].val) {
		config_err(ctx, config_line(slots[SY_KEY_FILE].val),
			   "sync has both key and key_file (expected one of them)");
	} else if (slots[SY_KEY].val) {
		char expect[48];
		const char *s;

		snprintf(expect, sizeof(expect), "%d to %d bytes of text", HA_SYNC_KEY_MIN,
			 HA_SYNC_KEY_MAX);
		s = config_text(ctx, slots[SY_KEY].val, "key", expect);
		/* Never quote a secret into a log. */
		if (s && (strlen(s) < HA_SYNC_KEY_MIN || strlen(s) > HA_SYNC_KEY_MAX))
			config_err(ctx, config_line(slots[SY_KEY].val),
				   "sync key has %zu bytes (expected %s)", strlen(s), expect);
		else if (s)
			memcpy(sc->key, s, sc->key_len = strlen(s));
	} else if (slots[SY_KEY_FILE].val) {
		ha_sync_key_file(ctx, slots[SY_KEY_FILE].val, sc);
	} else {
		config_err(ctx, config_line(n),
			   "sync: missing key 'key' (expected key or key_file)");
	}
	if (slots[SY_REFRESH].val &&
	    config_duration(ctx, slots[SY_REFRESH].val, "refresh", &sc->refresh_ms) &&
	    sc->refresh_ms < 1000)
		config_err(ctx, config_line(slots[SY_REFRESH].val),
			   "bad refresh %ums (expected at least 1s)", sc->refresh_ms);
	if (slots[SY_MAX_RATE].val &&
	    config_uint(ctx, slots[SY_MAX_RATE].val, "max_rate", 1, HA_SYNC_MAX_RATE_MAX, &u))
		sc->max_rate = (uint32_t)u;
}

enum { HK_VRRP, HK_SYNC, HK__COUNT };
static const char *const ha_keys[HK__COUNT] = {"vrrp", "sync"};

void ha_config_parse(struct config_ctx *ctx, yaml_node_t *n, const struct ha_services *svcs,
		     struct ha_config *ha)
{
	struct config_slot slots[HK__COUNT];

	if (config_is_null(n))
		return;
	if (!config_map(ctx, n, "ha", ha_keys, HK__COUNT, slots))
		return;
	if (slots[HK_VRRP].val)
		ha_parse_vrrp(ctx, slots[HK_VRRP].val, svcs, ha);
	if (slots[HK_SYNC].val && !config_is_null(slots[HK_SYNC].val))
		ha_parse_sync(ctx, slots[HK_SYNC].val, &ha->sync);
}
