// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* neigh against a real kernel: routes, ARP/ND and events over a veth pair between two netns. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "neigh.h"

#define DEV_A "veth-a"
#define DEV_B "veth-b"
#define DEADLINE_MS 3000

/*
 * Each family's lab plan: A (where the test runs) and B share one /24 and
 * one /64; A also routes one prefix via a gateway that need not exist.
 */
struct fam {
	const char *name;
	const char *self; /* A's address */
	const char *self_cidr;
	const char *peer; /* B's address, resolved for real */
	const char *peer_cidr;
	const char *nodad; /* IPv6 addresses would otherwise stay tentative for a second */
	const char *gw_route; /* "PREFIX via GW" */
	const char *via_gw; /* inside that prefix */
	const char *nowhere; /* no route at all */
	const char *churn; /* entry we add, change and delete by hand */
	const char *fixed; /* a PERMANENT entry trigger must not touch */
};

static const struct fam fam4 = {
	.name = "ipv4",
	.self = "192.0.2.1",
	.self_cidr = "192.0.2.1/24",
	.peer = "192.0.2.2",
	.peer_cidr = "192.0.2.2/24",
	.nodad = "",
	.gw_route = "198.51.100.0/24 via 192.0.2.254",
	.via_gw = "198.51.100.7",
	.nowhere = "203.0.113.9",
	.churn = "192.0.2.3",
	.fixed = "192.0.2.77",
};

static const struct fam fam6 = {
	.name = "ipv6",
	.self = "2001:db8:7::1",
	.self_cidr = "2001:db8:7::1/64",
	.peer = "2001:db8:7::2",
	.peer_cidr = "2001:db8:7::2/64",
	.nodad = "nodad",
	.gw_route = "2001:db8:99::/64 via 2001:db8:7::fe",
	.via_gw = "2001:db8:99::7",
	.nowhere = "2001:db8:dead::9",
	.churn = "2001:db8:7::3",
	.fixed = "2001:db8:7::77",
};

static char ns_a[32], ns_b[32];
static int home_ns = -1;
static pid_t reaper = -1;
static int reaper_fd = -1;
static struct neigh_ctx *ctx;
static int ifindex_a;
static uint8_t mac_b[6];

static int vrun(bool quiet, const char *fmt, va_list ap)
{
	char cmd[512];
	int rc;

	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	rc = system(cmd);
	if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc) != 0) {
		if (!quiet)
			fprintf(stderr, "test_neigh: command failed: %s\n", cmd);
		return -1;
	}
	return 0;
}

static int __attribute__((format(printf, 1, 2))) run(const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vrun(false, fmt, ap);
	va_end(ap);
	return rc;
}

static int __attribute__((format(printf, 1, 2))) run_quiet(const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vrun(true, fmt, ap);
	va_end(ap);
	return rc;
}

/* First line of a command's output. */
static int __attribute__((format(printf, 3, 4)))
capture(char *out, size_t len, const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	FILE *f;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	if (!fgets(out, (int)len, f))
		out[0] = '\0';
	rc = pclose(f);
	return rc == 0 ? 0 : -1;
}

static void ns_delete_all(void)
{
	if (ns_a[0])
		run_quiet("ip netns del %s 2>/dev/null", ns_a);
	if (ns_b[0])
		run_quiet("ip netns del %s 2>/dev/null", ns_b);
}

/*
 * A child that deletes the namespaces once we are gone, whatever way we go:
 * a sanitizer abort or a signal skips atexit. It sees our exit as EOF on a
 * pipe and ignores the terminal's signals sent to the whole group.
 */
static int reaper_start(void)
{
	int fds[2];
	char c;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	reaper = fork();
	if (reaper < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (reaper == 0) {
		signal(SIGINT, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		signal(SIGQUIT, SIG_IGN);
		close(fds[1]);
		while (read(fds[0], &c, 1) < 0 && errno == EINTR)
			;
		ns_delete_all();
		_exit(0);
	}
	close(fds[0]);
	reaper_fd = fds[1];
	return 0;
}

/* Every exit path: group teardown, atexit, and the reaper as a last resort. */
static void topo_destroy(void)
{
	neigh_close(ctx);
	ctx = NULL;
	if (home_ns >= 0) {
		if (setns(home_ns, CLONE_NEWNET) < 0)
			perror("test_neigh: setns home");
		close(home_ns);
		home_ns = -1;
	}
	ns_delete_all();
	ns_a[0] = ns_b[0] = '\0';
	if (reaper_fd >= 0) {
		close(reaper_fd);
		reaper_fd = -1;
		waitpid(reaper, NULL, 0);
		reaper = -1;
	}
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3],
		      &mac[4], &mac[5]) == 6 ? 0 : -1;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * The kernel sends NS from a link-local source and silently sends none while
 * that address is tentative; with accept_dad=0 it stops being tentative a
 * moment after link-up, in a workqueue. Poll /proc/net/if_inet6 (of our
 * namespace, A) for it, bounded.
 */
static int wait_linklocal_ready(const char *dev)
{
	int64_t deadline = now_ms() + DEADLINE_MS;
	const struct timespec tick = { .tv_nsec = 10 * 1000 * 1000 };

	do {
		char line[256], name[IF_NAMESIZE + 1];
		unsigned int idx, plen, scope, flags;
		bool ready = false;
		FILE *f;

		f = fopen("/proc/net/if_inet6", "r");
		if (!f)
			return -1;
		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, "%*32s %x %x %x %x %16s", &idx, &plen, &scope, &flags,
				   name) != 5)
				continue;
			/* scope 0x20 = link, flag 0x40 = IFA_F_TENTATIVE */
			if (!strcmp(name, dev) && scope == 0x20 && !(flags & 0x40))
				ready = true;
		}
		fclose(f);
		if (ready)
			return 0;
		nanosleep(&tick, NULL);
	} while (now_ms() < deadline);
	return -1;
}

static int setup_family(const struct fam *f)
{
	if (run("ip -n %s addr add %s dev %s %s", ns_a, f->self_cidr, DEV_A, f->nodad) ||
	    run("ip -n %s addr add %s dev %s %s", ns_b, f->peer_cidr, DEV_B, f->nodad))
		return -1;
	return 0;
}

static int group_setup(void **state)
{
	char line[512];
	const char *p;
	int fd;

	(void)state;
	snprintf(ns_a, sizeof(ns_a), "xlbtn%d-a", (int)getpid());
	snprintf(ns_b, sizeof(ns_b), "xlbtn%d-b", (int)getpid());
	home_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (home_ns < 0 || reaper_start())
		return -1;

	if (run("ip netns add %s", ns_a) || run("ip netns add %s", ns_b))
		return -1;
	/* Before the veth exists, so that its link-local address skips DAD too. */
	if (run("ip netns exec %s sh -c 'echo 0 >/proc/sys/net/ipv6/conf/all/accept_dad && "
		"echo 0 >/proc/sys/net/ipv6/conf/default/accept_dad'",
		ns_a) ||
	    run("ip netns exec %s sh -c 'echo 0 >/proc/sys/net/ipv6/conf/all/accept_dad && "
		"echo 0 >/proc/sys/net/ipv6/conf/default/accept_dad'",
		ns_b))
		return -1;
	if (run("ip link add %s netns %s type veth peer name %s netns %s", DEV_A, ns_a, DEV_B,
		ns_b))
		return -1;
	if (setup_family(&fam4) || setup_family(&fam6))
		return -1;
	if (run("ip -n %s link set %s up", ns_a, DEV_A) ||
	    run("ip -n %s link set %s up", ns_b, DEV_B))
		return -1;
	if (run("ip -n %s route add %s dev %s", ns_a, fam4.gw_route, DEV_A) ||
	    run("ip -n %s -6 route add %s dev %s", ns_a, fam6.gw_route, DEV_A))
		return -1;

	if (capture(line, sizeof(line), "ip -n %s -o link show dev %s", ns_b, DEV_B))
		return -1;
	p = strstr(line, "link/ether ");
	if (!p || parse_mac(p + strlen("link/ether "), mac_b)) {
		fprintf(stderr, "test_neigh: no MAC in: %s\n", line);
		return -1;
	}

	fd = open("/run/netns/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		int nsfd = openat(fd, ns_a, O_RDONLY | O_CLOEXEC);

		close(fd);
		fd = nsfd;
	}
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
		perror("test_neigh: enter namespace a");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);

	ifindex_a = (int)if_nametoindex(DEV_A);
	if (ifindex_a <= 0 || wait_linklocal_ready(DEV_A))
		return -1;
	return neigh_open(&ctx) ? -1 : 0;
}

static int group_teardown(void **state)
{
	(void)state;
	topo_destroy();
	return 0;
}

/* What the event callback saw for one address of interest. */
struct ev_log {
	struct net_addr want;
	int hits;
	int with_mac;
	int overruns;
	int total;
	bool last_has_mac;
	uint8_t last_mac[6];
	int last_ifindex;
};

static void ev_cb(const struct net_addr *addr, int ifindex, const uint8_t *mac, void *arg)
{
	struct ev_log *log = arg;

	log->total++;
	if (!addr) {
		assert_int_equal(ifindex, 0);
		assert_null(mac);
		log->overruns++;
		return;
	}
	assert_true(addr->family == AF_INET || addr->family == AF_INET6);
	if (!net_addr_equal(addr, &log->want))
		return;
	log->hits++;
	log->last_ifindex = ifindex;
	log->last_has_mac = mac != NULL;
	if (mac) {
		log->with_mac++;
		memcpy(log->last_mac, mac, 6);
	}
}

static void log_init(struct ev_log *log, const char *want)
{
	memset(log, 0, sizeof(*log));
	assert_int_equal(net_addr_parse(want, &log->want), 0);
}

static void drain(void)
{
	struct ev_log log;

	log_init(&log, "0.0.0.0");
	assert_true(neigh_process_events(ctx, ev_cb, &log) >= 0);
}

/* Waits on the event fd, bounded, until the last event for log->want matches. */
static bool wait_event(struct ev_log *log, const uint8_t *mac)
{
	int64_t deadline = now_ms() + DEADLINE_MS;
	struct pollfd pfd = { .fd = neigh_event_fd(ctx), .events = POLLIN };

	for (;;) {
		int64_t left;
		int n;

		if (log->hits && (mac ? log->last_has_mac && !memcmp(log->last_mac, mac, 6) :
					!log->last_has_mac))
			return true;
		left = deadline - now_ms();
		if (left <= 0)
			return false;
		n = poll(&pfd, 1, (int)left);
		assert_true(n >= 0 || errno == EINTR);
		if (n > 0)
			assert_true(neigh_process_events(ctx, ev_cb, log) >= 0);
	}
}

static void addr_of(const char *text, struct net_addr *a)
{
	assert_int_equal(net_addr_parse(text, a), 0);
}

static void test_event_fd_nonblocking(void **state)
{
	int fd = neigh_event_fd(ctx);

	(void)state;
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
}

static void test_route(void **state)
{
	const struct fam *f = *state;
	struct neigh_route rt;
	struct net_addr a, want;
	char buf[NET_ADDR_STRLEN];

	addr_of(f->peer, &a);
	assert_int_equal(neigh_route_lookup(ctx, &a, &rt), 0);
	assert_int_equal(rt.ifindex, ifindex_a);
	assert_true(rt.onlink);
	assert_int_equal(rt.gateway.family, 0);
	/* The kernel's chosen source is our own address on that segment. */
	addr_of(f->self, &want);
	assert_true(net_addr_equal(&rt.prefsrc, &want));

	addr_of(f->via_gw, &a);
	memset(&rt, 0xff, sizeof(rt));
	assert_int_equal(neigh_route_lookup(ctx, &a, &rt), 0);
	assert_int_equal(rt.ifindex, ifindex_a);
	assert_false(rt.onlink);
	/* gw_route is "PREFIX via GW": the next hop is the text after "via ". */
	addr_of(strstr(f->gw_route, "via ") + 4, &want);
	assert_string_equal(net_addr_str(&rt.gateway, buf, sizeof(buf)),
			    strstr(f->gw_route, "via ") + 4);
	assert_true(net_addr_equal(&rt.gateway, &want));

	addr_of(f->nowhere, &a);
	assert_int_equal(neigh_route_lookup(ctx, &a, &rt), -ENETUNREACH);

	addr_of(f->self, &a);
	assert_int_equal(neigh_route_lookup(ctx, &a, &rt), -ELOOP);
}

/* The whole point: missing -> trigger -> the kernel resolves -> lookup and event agree. */
static void test_resolve(void **state)
{
	const struct fam *f = *state;
	int64_t deadline = now_ms() + DEADLINE_MS;
	struct pollfd pfd = { .fd = neigh_event_fd(ctx), .events = POLLIN };
	uint8_t mac[6] = { 0 };
	struct ev_log log;
	bool resolved = false;
	int r;

	drain();
	log_init(&log, f->peer);
	assert_int_equal(neigh_lookup(ctx, &log.want, ifindex_a, mac), -ENOENT);
	assert_int_equal(neigh_trigger(ctx, &log.want, ifindex_a), 0);

	while (!resolved || !log.with_mac) {
		int64_t left = deadline - now_ms();
		int n;

		if (!resolved) {
			r = neigh_lookup(ctx, &log.want, ifindex_a, mac);
			assert_true(r == 0 || r == -ENOENT);
			resolved = r == 0;
		}
		if (resolved && log.with_mac)
			break;
		if (left <= 0)
			fail_msg("%s: resolved=%d events=%d with_mac=%d after %d ms", f->name,
				 resolved, log.hits, log.with_mac, DEADLINE_MS);
		/* Short cap: a lookup that succeeds without its event must still be seen. */
		n = poll(&pfd, 1, left < 50 ? (int)left : 50);
		assert_true(n >= 0 || errno == EINTR);
		if (n > 0)
			assert_true(neigh_process_events(ctx, ev_cb, &log) >= 0);
	}

	assert_memory_equal(mac, mac_b, 6);
	assert_memory_equal(log.last_mac, mac_b, 6);
	assert_int_equal(log.last_ifindex, ifindex_a);

	/* Already resolved: trigger is a no-op that still succeeds. */
	assert_int_equal(neigh_trigger(ctx, &log.want, ifindex_a), 0);
	assert_int_equal(neigh_lookup(ctx, &log.want, ifindex_a, mac), 0);
	assert_memory_equal(mac, mac_b, 6);
}

/* Changes made by others reach us: new MAC, changed MAC, deletion. */
static void test_changes(void **state)
{
	static const uint8_t mac1[6] = { 0x02, 0x00, 0x5e, 0x00, 0x53, 0x01 };
	static const uint8_t mac2[6] = { 0x02, 0x00, 0x5e, 0x00, 0x53, 0x02 };
	const struct fam *f = *state;
	uint8_t mac[6];
	struct ev_log log;

	drain();
	log_init(&log, f->churn);
	assert_int_equal(run("ip -n %s neigh add %s lladdr 02:00:5e:00:53:01 dev %s nud reachable",
			     ns_a, f->churn, DEV_A),
			 0);
	assert_true(wait_event(&log, mac1));
	assert_int_equal(log.last_ifindex, ifindex_a);
	assert_int_equal(neigh_lookup(ctx, &log.want, ifindex_a, mac), 0);
	assert_memory_equal(mac, mac1, 6);

	assert_int_equal(run("ip -n %s neigh change %s lladdr 02:00:5e:00:53:02 dev %s nud stale",
			     ns_a, f->churn, DEV_A),
			 0);
	assert_true(wait_event(&log, mac2));
	assert_int_equal(neigh_lookup(ctx, &log.want, ifindex_a, mac), 0);
	assert_memory_equal(mac, mac2, 6);

	assert_int_equal(run("ip -n %s neigh del %s dev %s", ns_a, f->churn, DEV_A), 0);
	assert_true(wait_event(&log, NULL));
	assert_int_equal(neigh_lookup(ctx, &log.want, ifindex_a, mac), -ENOENT);
}

/* NTF_USE would turn a static entry INCOMPLETE; trigger must leave it be. */
static void test_trigger_keeps_static(void **state)
{
	static const uint8_t fixed_mac[6] = { 0x02, 0x00, 0x5e, 0x00, 0x53, 0x77 };
	const struct fam *f = *state;
	struct net_addr a;
	char line[256];
	uint8_t mac[6];

	addr_of(f->fixed, &a);
	assert_int_equal(run("ip -n %s neigh add %s lladdr 02:00:5e:00:53:77 dev %s nud permanent",
			     ns_a, f->fixed, DEV_A),
			 0);
	assert_int_equal(neigh_lookup(ctx, &a, ifindex_a, mac), 0);
	assert_memory_equal(mac, fixed_mac, 6);

	assert_int_equal(neigh_trigger(ctx, &a, ifindex_a), 0);
	assert_int_equal(neigh_lookup(ctx, &a, ifindex_a, mac), 0);
	assert_memory_equal(mac, fixed_mac, 6);
	assert_int_equal(capture(line, sizeof(line), "ip -n %s neigh show %s dev %s", ns_a,
				 f->fixed, DEV_A),
			 0);
	assert_non_null(strstr(line, "PERMANENT"));
	assert_int_equal(run("ip -n %s neigh del %s dev %s", ns_a, f->fixed, DEV_A), 0);
}

static void test_bad_args(void **state)
{
	struct net_addr a, ll;
	uint8_t mac[6];
	struct neigh_route rt;

	(void)state;
	addr_of(fam4.peer, &a);
	addr_of("fe80::1", &ll);
	assert_int_equal(neigh_lookup(ctx, &a, 0, mac), -EINVAL);
	assert_int_equal(neigh_trigger(ctx, &a, -1), -EINVAL);
	/* An ifindex that does not exist in this namespace. */
	assert_int_equal(neigh_lookup(ctx, &a, 0x7ffffff0, mac), -ENODEV);
	assert_int_equal(neigh_trigger(ctx, &a, 0x7ffffff0), -ENODEV);
	assert_int_equal(neigh_route_lookup(ctx, &ll, &rt), -EINVAL);
	a.family = AF_UNIX;
	assert_int_equal(neigh_route_lookup(ctx, &a, &rt), -EINVAL);
	assert_int_equal(neigh_process_events(ctx, NULL, NULL), -EINVAL);
}

/*
 * Overrun: more notifications than the socket holds while nobody reads.
 * Static entries are used because they are exempt from the table's size
 * limit (gc_thresh3) and need no peer.
 */
static void test_overrun(void **state)
{
	char path[] = "/tmp/test_neigh_batchXXXXXX";
	struct ev_log log;
	FILE *f;
	int fd, i;

	(void)state;
	drain();
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	for (i = 0; i < 20000; i++)
		fprintf(f, "neigh add 2001:db8:8::%x lladdr 02:00:00:00:%02x:%02x dev %s %s\n", i,
			(i >> 8) & 0xff, i & 0xff, DEV_A, "nud permanent");
	fclose(f);
	i = run("ip -n %s -batch %s", ns_a, path);
	unlink(path);
	assert_int_equal(i, 0);

	log_init(&log, "2001:db8:8::1");
	assert_true(neigh_process_events(ctx, ev_cb, &log) > 0);
	assert_int_equal(log.overruns, 1);

	/* The socket keeps working after an overrun. */
	assert_int_equal(run("ip -n %s -6 neigh flush dev %s nud permanent", ns_a, DEV_A), 0);
	drain();
	log_init(&log, fam6.churn);
	assert_int_equal(run("ip -n %s neigh add %s lladdr 02:00:5e:00:53:09 dev %s nud reachable",
			     ns_a, fam6.churn, DEV_A),
			 0);
	assert_true(wait_event(&log, (const uint8_t[6]){ 0x02, 0x00, 0x5e, 0x00, 0x53, 0x09 }));
}

/* Root alone is not enough in some containers: try to make a netns. */
static bool can_make_netns(void)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return false;
	if (pid == 0)
		_exit(unshare(CLONE_NEWNET) == 0 && system("ip -V >/dev/null 2>&1") == 0 ? 0 : 1);
	if (waitpid(pid, &status, 0) < 0)
		return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* cmocka_unit_test_prestate() would name both families' runs alike. */
#define FAM_TEST(fn, f) { #fn "_" #f, fn, NULL, NULL, (void *)&f }

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_fd_nonblocking),
		FAM_TEST(test_route, fam4),
		FAM_TEST(test_route, fam6),
		FAM_TEST(test_resolve, fam4),
		FAM_TEST(test_resolve, fam6),
		FAM_TEST(test_changes, fam4),
		FAM_TEST(test_changes, fam6),
		FAM_TEST(test_trigger_keeps_static, fam4),
		FAM_TEST(test_trigger_keeps_static, fam6),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_overrun),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test_neigh: SKIP, needs root for network namespaces\n");
		return 77;
	}
	if (!can_make_netns()) {
		fprintf(stderr, "test_neigh: SKIP, cannot create network namespaces or no ip(8)\n");
		return 77;
	}
	atexit(topo_destroy);
	return cmocka_run_group_tests_name("neigh", tests, group_setup, group_teardown);
}
