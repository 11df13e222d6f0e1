// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The config loader (src/config.c and the section parsers it calls) on
 * arbitrary files. The input is written to a memfd and loaded through its
 * /proc/self/fd path, so config_load runs exactly as xlbd -t does: no seam.
 *
 * The loader may open two files: the config and ha.sync.key_file. This
 * binary links copies of config.o and ha_config.o whose calls to open() are
 * renamed to fuzz_config_open() (objcopy, see the Makefile), which opens
 * only the memfd and a fixture key, so a fuzzed key_file never reads a real
 * file (/proc/kmsg, a FIFO, a device) of the machine it runs on.
 *
 * Invariants besides "no sanitizer report": a result is either a config or
 * at least one error; every error reads "PATH:LINE: ..." in file order; and
 * a config that loads obeys the rules docs/CONFIG.md promises (families,
 * ports, uniqueness, limits, the ranges of health and ha keys), so the
 * validator cannot be talked past.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "fuzz.h"
#include "sched/sched.h"

/* What a fuzzed key_file may name to read a valid key (the seeds use it). */
#define FUZZ_KEY_PATH "/xlb-fuzz/sync.key"

static int cfg_fd = -1, key_fd = -1;
static char cfg_path[64], key_path[64];

int fuzz_config_open(const char *path, int flags, ...);

/* The loader's open(): the two fixture files only, whatever a config names. */
int fuzz_config_open(const char *path, int flags, ...)
{
	if (strcmp(path, cfg_path) == 0)
		return open(cfg_path, flags);
	if (strcmp(path, FUZZ_KEY_PATH) == 0)
		return open(key_path, flags);
	errno = ENOENT;
	return -1;
}

static int memfd(const char *name, const void *data, size_t len, char *path, size_t path_len)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd < 0 || (len && write(fd, data, len) != (ssize_t)len)) {
		perror("fuzz_config: memfd");
		exit(1);
	}
	snprintf(path, path_len, "/proc/self/fd/%d", fd);
	return fd;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char key[] = "0123456789abcdef0123456789abcdef\n";

	(void)argc;
	(void)argv;
	cfg_fd = memfd("xlb-fuzz.yaml", NULL, 0, cfg_path, sizeof(cfg_path));
	key_fd = memfd("xlb-fuzz.key", key, sizeof(key) - 1, key_path, sizeof(key_path));
	return 0;
}

/*
 * "PATH:LINE: what" (LINE absent for the file as a whole); returns LINE or 0.
 * libyaml also breaks lines at NEL, LS and PS, so a line number is only
 * bounded by the size, not by the count of '\n'.
 */
static long check_message(const char *msg, long prev_line, size_t size)
{
	size_t plen = strlen(cfg_path);
	const char *p;
	char *end;
	long line;

	FUZZ_CHECK(strncmp(msg, cfg_path, plen) == 0 && msg[plen] == ':',
		   "message without the path: '%s'", msg);
	p = msg + plen + 1;
	if (*p == ' ')
		return 0; /* about the whole file */
	line = strtol(p, &end, 10);
	FUZZ_CHECK(end != p && *end == ':' && end[1] == ' ' && end[2], "message '%s'", msg);
	FUZZ_CHECK(line >= 1 && (size_t)line <= size + 1, "line %ld in %zu bytes: '%s'", line,
		   size, msg);
	FUZZ_CHECK(line >= prev_line, "line %ld after %ld: not in file order ('%s')", line,
		   prev_line, msg);
	return line;
}

static bool is_dsr(uint8_t method)
{
	return method == XLB_METHOD_DR || method == XLB_METHOD_TUN || method == XLB_METHOD_GUE ||
	       method == XLB_METHOD_DSCP;
}

static void check_service(const struct service_config *s)
{
	FUZZ_CHECK(memchr(s->name, '\0', sizeof(s->name)) && config_name_ok(s->name),
		   "service name '%.64s'", s->name);
	FUZZ_CHECK(s->vip.family == AF_INET || s->vip.family == AF_INET6, "vip family %d",
		   s->vip.family);
	FUZZ_CHECK(s->port >= 1, "service '%s' port 0", s->name);
	FUZZ_CHECK(s->proto == IPPROTO_TCP || s->proto == IPPROTO_UDP, "proto %u", s->proto);
	FUZZ_CHECK(s->method < XLB_METHOD__COUNT && s->sched < SCHED__COUNT, "method %u sched %u",
		   s->method, s->sched);
	FUZZ_CHECK(s->method != XLB_METHOD_DSCP || (s->dscp >= 1 && s->dscp <= 63), "dscp %u",
		   s->dscp);
	FUZZ_CHECK(s->nreals >= 1 && s->nreals <= XLB_RING_MAX, "service '%s': %zu reals", s->name,
		   s->nreals);
	for (size_t i = 0; i < s->nreals; i++) {
		const struct real_config *r = &s->reals[i];

		FUZZ_CHECK(r->addr.family == s->vip.family, "service '%s' real %zu family %d",
			   s->name, i, r->addr.family);
		FUZZ_CHECK(r->port >= 1 && r->weight <= 65535, "real %zu port %u weight %u", i,
			   r->port, r->weight);
		FUZZ_CHECK(!is_dsr(s->method) || r->port == s->port,
			   "service '%s' (DSR) real port %u, service port %u", s->name, r->port,
			   s->port);
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(s->reals[j].port != r->port ||
					   !net_addr_equal(&s->reals[j].addr, &r->addr),
				   "service '%s': reals %zu and %zu are the same", s->name, j, i);
	}
}

/* health: as the table of docs/CONFIG.md says. */
static void check_health(const struct service_config *s)
{
	const struct health_config *h = &s->health;

	FUZZ_CHECK(h->kind < HEALTH__COUNT && h->on_failure <= HEALTH_ON_FAILURE_WEIGHT0,
		   "health kind %u on_failure %u", h->kind, h->on_failure);
	if (h->kind == HEALTH_NONE)
		return;
	FUZZ_CHECK(h->interval_ms >= HEALTH_MIN_INTERVAL_MS && h->timeout_ms > 0,
		   "service '%s': interval %u ms, timeout %u ms", s->name, h->interval_ms,
		   h->timeout_ms);
	FUZZ_CHECK(h->rise >= 1 && h->rise <= HEALTH_RISE_FALL_MAX && h->fall >= 1 &&
			   h->fall <= HEALTH_RISE_FALL_MAX,
		   "rise %u fall %u", h->rise, h->fall);
	FUZZ_CHECK(!h->expect_status || (h->expect_status >= 100 && h->expect_status <= 599),
		   "expect_status %u", h->expect_status);
	if (h->kind == HEALTH_HTTP || h->kind == HEALTH_HTTPS)
		FUZZ_CHECK(h->path[0] == '/' && !strchr(h->path, ' '), "path '%s'", h->path);
	if (h->kind == HEALTH_SCRIPT)
		FUZZ_CHECK(h->command[0], "script without a command");
	if (h->kind == HEALTH_DNS)
		FUZZ_CHECK(h->dns_name[0], "dns without a name");
}

/* ha: as the tables of docs/CONFIG.md say. */
static void check_ha(const struct ha_config *ha)
{
	FUZZ_CHECK(ha->nvrrp <= HA_VRRP_MAX, "%zu VRRP instances", ha->nvrrp);
	for (size_t i = 0; i < ha->nvrrp; i++) {
		const struct ha_vrrp_config *v = &ha->vrrp[i];

		FUZZ_CHECK(v->vrid >= 1 && v->priority >= 1, "vrid %u priority %u", v->vrid,
			   v->priority);
		FUZZ_CHECK(v->advert_cs >= 1 && v->advert_cs <= 4095, "advert %u cs", v->advert_cs);
		FUZZ_CHECK(v->naddrs >= 1 && v->naddrs <= HA_VRRP_ADDRS_MAX &&
				   v->nunicast_peers <= HA_PEERS_MAX,
			   "%zu addresses, %zu peers", v->naddrs, v->nunicast_peers);
		for (size_t j = 0; j < v->naddrs; j++)
			FUZZ_CHECK(v->addrs[j].family == v->family, "VRRP '%s': mixed families",
				   v->name);
		for (size_t j = 0; j < v->nunicast_peers; j++)
			FUZZ_CHECK(v->unicast_peers[j].family == v->family,
				   "VRRP '%s': a peer of another family", v->name);
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(ha->vrrp[j].vrid != v->vrid || ha->vrrp[j].family != v->family ||
					   strcmp(ha->vrrp[j].iface, v->iface) != 0,
				   "VRRP instances %zu and %zu: the same interface, VRID and family",
				   j, i);
	}
	if (!ha->sync.enabled)
		return;
	FUZZ_CHECK(ha->sync.npeers >= 1 && ha->sync.npeers <= HA_PEERS_MAX, "%zu sync peers",
		   ha->sync.npeers);
	FUZZ_CHECK(ha->sync.key_len >= 16 && ha->sync.key_len <= HA_SYNC_KEY_MAX, "key of %zu bytes",
		   ha->sync.key_len);
	FUZZ_CHECK(ha->sync.refresh_ms >= 1000 && ha->sync.max_rate >= 1 &&
			   ha->sync.max_rate <= 10000000,
		   "refresh %u ms, max_rate %u", ha->sync.refresh_ms, ha->sync.max_rate);
	for (size_t j = 0; j < ha->sync.npeers; j++)
		FUZZ_CHECK(!ha->sync.listen.family ||
				   ha->sync.peers[j].addr.family == ha->sync.listen.family,
			   "a sync peer of another family than listen");
}

static void check_config(const struct xlb_config *cfg)
{
	size_t reals = 0;

	FUZZ_CHECK(cfg->nifaces >= 1, "no interfaces");
	for (size_t i = 0; i < cfg->nifaces; i++) {
		const char *name = cfg->ifaces[i].name;

		FUZZ_CHECK(name[0] && memchr(name, '\0', sizeof(cfg->ifaces[i].name)),
			   "interface %zu name", i);
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(cfg->ifaces[j].name, name) != 0, "interface '%s' twice",
				   name);
	}
	FUZZ_CHECK(cfg->max_flows >= 1, "flows.max 0");
	FUZZ_CHECK(cfg->nservices <= XLB_MAX_SERVICES, "%zu services", cfg->nservices);
	for (size_t i = 0; i < cfg->nservices; i++) {
		const struct service_config *s = &cfg->services[i];

		check_service(s);
		check_health(s);
		reals += s->nreals;
		for (size_t j = 0; j < i; j++) {
			const struct service_config *t = &cfg->services[j];

			FUZZ_CHECK(strcmp(t->name, s->name) != 0, "service name '%s' twice", s->name);
			FUZZ_CHECK(t->port != s->port || t->proto != s->proto ||
					   !net_addr_equal(&t->vip, &s->vip),
				   "services '%s' and '%s' are the same VIP:port/proto", t->name,
				   s->name);
		}
	}
	FUZZ_CHECK(reals <= XLB_MAX_REALS, "%zu reals", reals);
	check_ha(&cfg->ha);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config_errors errs;
	struct xlb_config cfg;
	long line = 0;
	int ret;

	if (ftruncate(cfg_fd, 0) || pwrite(cfg_fd, data, size, 0) != (ssize_t)size) {
		perror("fuzz_config: write");
		exit(1);
	}
	ret = config_load(cfg_path, &cfg, &errs);
	FUZZ_CHECK(ret == 0 || ret == -EINVAL || ret == -ENOMEM, "config_load returned %d", ret);
	FUZZ_CHECK((ret == 0) == (errs.count == 0), "returned %d with %zu errors", ret, errs.count);
	for (size_t i = 0; i < errs.count; i++)
		line = check_message(errs.msgs[i], line, size);
	if (ret == 0)
		check_config(&cfg);
	config_errors_free(&errs);
	config_free(&cfg);
	return 0;
}
