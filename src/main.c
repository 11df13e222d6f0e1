// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xlbd: reads the config, runs the data plane, serves xlbctl. One event loop
 * in the main thread; VRRP runs in its own thread (ha/vrrp.h), the metrics
 * listener and proxy workers in theirs (docs/ARCHITECTURE.md, "Threads").
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "bgp/bgp.h"
#include "config.h"
#include "ctl.h"
#include "dataplane.h"
#include "dp_spec.h"
#include "xlb/xlb_method.h"
#include "ha/sync.h"
#include "ha/vrrp.h"
#include "health/health_model.h"
#include "iface.h"
#include "instance_lock.h"
#include "log.h"
#include "metrics/metrics_server.h"
#include "metrics/metrics_status.h"
#include "model.h"
#include "neigh.h"
#include "ops/doctor.h"
#include "ops/ops_ctl.h"
#include "ops/rate.h"
#include "proxy/proxy_engine.h"
#include "sweeper.h"
#include "upgrade.h"

#define XLBD_DEFAULT_CONFIG "/etc/xlb/xlb.yaml"
#define XLBD_TICK_SEC 1
/* Every this many ticks, nudge every real's neighbour entry (MAC changes). */
#define XLBD_NEIGH_REFRESH_TICKS 30

/* The metrics listener (metrics: in the config), NULL when off. */
static struct metrics_server *metrics_srv;

static void usage(FILE *out)
{
	fprintf(out, "Usage: xlbd [-t] [-d] [-c FILE] [--upgrade [--drain-timeout SEC]] [--detach]\n"
		     "  -c FILE   config file (default " XLBD_DEFAULT_CONFIG ")\n"
		     "  -t        check the config and exit: 0 valid, 1 invalid\n"
		     "  -d        debug logging\n"
		     "  --upgrade take over from the xlbd running on the config's control socket\n"
		     "            (if any): its listening sockets, data plane, VRRP and control\n"
		     "            socket; it finishes its proxied connections and exits\n"
		     "  --drain-timeout SEC  how long it may take for that (default 60)\n"
		     "  --detach  remove xlb's programs from the config's interfaces and exit\n"
		     "Runs in the foreground and logs to stderr. SIGHUP reloads the config\n"
		     "(an invalid file is rejected and the running config stays in force).\n"
		     "SIGTERM, SIGINT, a crash or kill -9 end the daemon but not forwarding:\n"
		     "the program stays attached and its maps pinned, and a restarted xlbd\n"
		     "takes them over without dropping a flow. `xlbd --detach` stops forwarding.\n"
		     "Under systemd (Type=notify) it reports READY=1 and, with WatchdogSec=,\n"
		     "sends keep-alives from its event loop, so a hung loop gets it restarted.\n"
		     "With metrics: in the config it serves Prometheus metrics (/metrics) and a\n"
		     "read-only dashboard (/). At start it logs what `xlbctl doctor` finds.\n"
		     "See xlbd(8), xlbctl(8), xlb.yaml(5).\n");
}

/* Loads @path, printing every error; returns 0 or negative errno. */
static int load_config(const char *path, struct xlb_config *cfg)
{
	struct config_errors errs = {};
	int err = config_load(path, cfg, &errs);

	for (size_t i = 0; i < errs.count; i++)
		fprintf(stderr, "%s\n", errs.msgs[i]);
	config_errors_free(&errs);
	return err;
}

/*
 * nat/fnat replies to a client whose MAC we do not know yet (the usual case
 * right after an HA failover) go through the kernel, which drops them as
 * martians (their source, the VIP, is ours) unless accept_local is set.
 */
static void warn_nat_sysctls(const struct model *m)
{
	bool nat = false;

	for (size_t i = 0; i < m->nservices; i++)
		nat |= xlb_method_nat(m->services[i].cfg.method);
	for (size_t i = 0; nat && i < m->nifaces; i++)
		if (iface_ipv4_sysctl(m->ifaces[i].name, "accept_local") == 0)
			log_warn("%s: net.ipv4.conf.%s.accept_local is 0: nat replies to clients "
				 "whose MAC is not known yet are dropped by the kernel (set it to 1)",
				 m->ifaces[i].name, m->ifaces[i].name);
}

/* model.on_quorum: who follows a service's quorum. */
static void follow_quorum(struct model *m, const struct service *s, bool changed)
{
	vrrp_track_service(m->vrrp, s->cfg.name, s->quorum_up); /* track_service: */
	if (changed)
		bgp_quorum_changed(m->bgp); /* announce or withdraw its VIP */
}

/*
 * VRRP's track_service starts from each service's quorum as it is now;
 * later changes reach it through follow_quorum().
 */
static void report_quorum_to_vrrp(const struct model *m)
{
	for (size_t i = 0; i < m->nservices; i++)
		if (m->services[i].quorum_known)
			vrrp_track_service(m->vrrp, m->services[i].cfg.name,
					   m->services[i].quorum_up);
}

/* @why: what made a valid file fail to apply (the file's own errors are printed). */
static int reload(struct model *m, const char *path, char *why, size_t whylen)
{
	struct xlb_config cfg = {};

	log_info("reloading %s", path);
	if (load_config(path, &cfg) < 0) {
		snprintf(why, whylen, "%s is invalid", path);
		log_error("reload rejected: %s is invalid; the running config stays in force",
			  path);
		return -EINVAL;
	}
	if (strcmp(cfg.control_socket, m->cfg.control_socket) != 0 ||
	    strcmp(cfg.bpf_pin_dir, m->cfg.bpf_pin_dir) != 0 || cfg.max_flows != m->cfg.max_flows ||
	    cfg.syn_max != m->cfg.syn_max)
		log_warn("control_socket, bpf_pin_dir, flows.max and flows.syn_max take effect on "
			 "restart only");
	if (metrics_config_differs(&cfg.metrics, &m->cfg.metrics))
		log_warn("metrics: takes effect on restart only");
	/* One transaction: on failure nothing changed (model_apply.c). */
	if (model_apply(m, &cfg, why, whylen) < 0) {
		log_error("reload rejected: %s; the running config stays in force", why);
		config_free(&cfg);
		return -EINVAL;
	}
	log_info("reloaded: %zu services", m->nservices);
	warn_nat_sysctls(m);
	health_sync_model(m->health, m);
	/* Each failing proxy service is logged; the others run on. */
	proxy_engine_apply(m->proxy, m);
	if (vrrp_apply(m->vrrp, &m->cfg.ha) < 0)
		log_error("reload: new VRRP instances could not start; the previous ones stay in force");
	report_quorum_to_vrrp(m);
	if (sync_reconfigure(m, &m->sync) < 0)
		log_error("reload: connection sync could not restart; it is off until the next reload");
	bgp_apply(m->bgp);
	return 0;
}

/* xlbctl reload: the SIGHUP path, run from the control socket. */
static int ctl_reload(struct model *m, void *arg, char *why, size_t whylen)
{
	return reload(m, arg, why, whylen);
}

/* Once a tick: expire idle flows, and keep connection counts exact. */
static void sweep(struct model *m)
{
	struct sweep_result res;
	struct timespec now;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &now); /* the clock of bpf_ktime_get_ns() */
	err = sweeper_run(m, (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec, &res);
	if (err) {
		log_warn("flow sweep failed: %s", strerror(-err));
		return;
	}
	sweeper_table_state(m->dp, &res, &m->flowtab);
	if (res.expired || res.stale)
		log_debug("flow sweep: %ld flows, %ld expired, %ld of removed reals", res.flows,
			  res.expired, res.stale);
}

/* Once at start, what xlbctl doctor would say about this host for this config. */
static void doctor_log_start(const struct model *m)
{
	struct doctor_report r = {};

	doctor_run(&m->cfg, &r);
	doctor_log(&r);
	doctor_report_free(&r);
}

/* xlbd --detach: forwarding stops; pinned maps stay for a later start. */
static int detach_interfaces(struct xlb_config *cfg)
{
	int removed = 0;

	for (size_t i = 0; i < cfg->nifaces; i++) {
		int ifindex = (int)if_nametoindex(cfg->ifaces[i].name);

		if (!ifindex) {
			log_warn("%s: no such interface", cfg->ifaces[i].name);
			continue;
		}
		removed += dataplane_detach_stale(ifindex, cfg->ifaces[i].name, -1);
	}
	log_info("detached: %d program(s) removed", removed);
	config_free(cfg);
	return 0;
}

static int epoll_add(int epfd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* A reload may start, stop or restart sync, and so change its fd. */
static void watch_sync(int epfd, const struct model *m, int *watched)
{
	int fd = m->sync ? sync_fd(m->sync) : -1;

	if (fd == *watched)
		return;
	if (*watched >= 0)
		epoll_ctl(epfd, EPOLL_CTL_DEL, *watched, NULL); /* fails harmlessly if closed */
	if (fd >= 0 && epoll_add(epfd, fd) < 0)
		log_error("connection sync: cannot watch its fd: %s", strerror(errno));
	*watched = fd;
}

/* run()'s result when a new xlbd asked to take over (@up holds its request). */
#define RUN_HANDOVER 1

static int run(struct model *m, struct ctl_server *ctl, struct neigh_ctx *neigh, const char *path,
	       struct ctl_upgrade *up)
{
	struct itimerspec tick = { .it_interval = { XLBD_TICK_SEC, 0 }, .it_value = { XLBD_TICK_SEC, 0 } };
	int epfd = -1, sigfd = -1, timerfd = -1, err = 0;
	unsigned ticks = 0;
	int sync_watched = -1;
	uint64_t watchdog_usec = 0;
	bool watchdog = sd_watchdog_enabled(0, &watchdog_usec) > 0;
	sigset_t mask;

	if (watchdog && watchdog_usec < 3ull * XLBD_TICK_SEC * 1000000)
		log_warn("WatchdogSec=%.1fs is under 3 ticks of %ds: keep-alives may come too late",
			 watchdog_usec / 1e6, XLBD_TICK_SEC);

	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (sigfd < 0 || timerfd < 0 || epfd < 0 || timerfd_settime(timerfd, 0, &tick, NULL) < 0 ||
	    epoll_add(epfd, sigfd) || epoll_add(epfd, timerfd) ||
	    epoll_add(epfd, ctl_listen_fd(ctl)) || epoll_add(epfd, neigh_event_fd(neigh)) ||
	    epoll_add(epfd, health_fd(m->health)) || epoll_add(epfd, bgp_fd(m->bgp))) {
		err = -errno;
		log_error("event loop setup: %s", strerror(errno));
		goto out;
	}
	watch_sync(epfd, m, &sync_watched);
	if (m->upgrade && epoll_add(epfd, upgrade_fd(m->upgrade))) {
		err = -errno;
		log_error("event loop setup: %s", strerror(errno));
		goto out;
	}
	if (metrics_srv && epoll_add(epfd, metrics_server_fd(metrics_srv))) {
		err = -errno;
		log_error("event loop setup: %s", strerror(errno));
		goto out;
	}

	for (;;) {
		struct epoll_event events[8];
		int n = epoll_wait(epfd, events, 8, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			log_error("epoll_wait: %s", strerror(errno));
			goto out;
		}
		for (int i = 0; i < n; i++) {
			int fd = events[i].data.fd;

			if (fd == sigfd) {
				struct signalfd_siginfo si;

				while (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
					if (si.ssi_signo == SIGHUP) {
						char why[256];

						sd_notify(0, "RELOADING=1");
						reload(m, path, why, sizeof(why)); /* logged */
						watch_sync(epfd, m, &sync_watched);
						sd_notifyf(0, "READY=1\nSTATUS=%zu services", m->nservices);
						continue;
					}
					log_info("signal %d: shutting down", si.ssi_signo);
					goto out;
				}
			} else if (fd == timerfd) {
				uint64_t expirations;

				if (read(timerfd, &expirations, sizeof(expirations)) < 0)
					continue;
				ticks++;
				model_tick(m, ticks % XLBD_NEIGH_REFRESH_TICKS == 0);
				sweep(m);
				rate_tick(m);
				sync_tick(m->sync);
				/* From the loop itself: a hung loop stops the keep-alives. */
				if (watchdog)
					sd_notify(0, "WATCHDOG=1");
			} else if (fd == ctl_listen_fd(ctl)) {
				if (ctl_handle(ctl, m, up)) {
					err = RUN_HANDOVER;
					goto out;
				}
			} else if (m->upgrade && fd == upgrade_fd(m->upgrade)) {
				if (!upgrade_process(m->upgrade)) {
					/* Leaves the epoll set as it closes. */
					upgrade_free(m->upgrade);
					m->upgrade = NULL;
				}
			} else if (fd == neigh_event_fd(neigh)) {
				neigh_process_events(neigh, model_neigh_event, m);
			} else if (fd == health_fd(m->health)) {
				health_process(m->health);
			} else if (fd == bgp_fd(m->bgp)) {
				bgp_process(m->bgp);
			} else if (fd == sync_watched) {
				sync_process(m->sync);
			} else if (metrics_srv && fd == metrics_server_fd(metrics_srv)) {
				metrics_server_refresh(metrics_srv, m);
			}
		}
		/* Health, weights or routes of proxy services changed: workers see it now. */
		proxy_engine_refresh(m->proxy, m);
		/* xlbctl reload may have restarted sync. */
		watch_sync(epfd, m, &sync_watched);
	}
out:
	if (epfd >= 0)
		close(epfd);
	if (timerfd >= 0)
		close(timerfd);
	if (sigfd >= 0)
		close(sigfd);
	return err;
}

int main(int argc, char **argv)
{
	const char *path = XLBD_DEFAULT_CONFIG;
	struct xlb_config cfg = {};
	struct dataplane *dp = NULL;
	struct neigh_ctx *neigh = NULL;
	struct ctl_server *ctl = NULL;
	struct model model = {};
	bool check_only = false, upgrade = false, handing_over = false;
	uint32_t drain_ms = UPGRADE_DRAIN_DEFAULT_MS;
	struct ctl_upgrade up = { .fd = -1 };
	struct proxy_engine *draining = NULL;
	struct upgrade_old *old = NULL; /* the xlbd we take over from, until model_init() */
	int lock_fds[2] = { -1, -1 };
	int opt, err;
	char *end;

	static const struct option long_opts[] = {
		{ "detach", no_argument, NULL, 'D' },
		{ "upgrade", no_argument, NULL, 'U' },
		{ "drain-timeout", required_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool detach_only = false;

	while ((opt = getopt_long(argc, argv, "c:tdh", long_opts, NULL)) != -1) {
		switch (opt) {
		case 'D':
			detach_only = true;
			break;
		case 'U':
			upgrade = true;
			break;
		case 'W': {
			double sec = strtod(optarg, &end);

			if (end == optarg || *end || !(sec * 1000 >= 1) ||
			    sec * 1000 > UPGRADE_DRAIN_MAX_MS) {
				fprintf(stderr, "xlbd: --drain-timeout %s: expected seconds, "
						"0.001 to %u\n",
					optarg, UPGRADE_DRAIN_MAX_MS / 1000);
				return 1;
			}
			drain_ms = (uint32_t)(sec * 1000);
			break;
		}
		case 'c':
			path = optarg;
			break;
		case 't':
			check_only = true;
			break;
		case 'd':
			log_set_level(LOG_LVL_DEBUG);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 1;
	}

	if (load_config(path, &cfg) < 0) {
		if (!check_only)
			log_error("%s is invalid; not starting", path);
		return 1;
	}
	if (check_only) {
		if (bgp_check(&cfg) < 0) {
			config_free(&cfg);
			return 1;
		}
		printf("%s: ok (%zu services)\n", path, cfg.nservices);
		config_free(&cfg);
		return 0;
	}
	if (detach_only)
		return detach_interfaces(&cfg);

	/*
	 * An upgrade: the running xlbd hands over its listening sockets and
	 * releases everything else (locks included) before we go on.
	 */
	if (upgrade) {
		err = upgrade_begin(cfg.control_socket, drain_ms, &old);
		if (err == -ENOENT)
			log_info("upgrade: no xlbd answers on %s; starting afresh",
				 cfg.control_socket);
		else if (err < 0)
			goto out;
	}
	/* Before anything is touched: a second xlbd on the same socket or pins stops here. */
	err = lock_fds[0] = instance_lock_socket(cfg.control_socket);
	if (err < 0)
		goto out;
	{
		struct dp_sizes sizes = { .max_flows = cfg.max_flows, .syn_max = cfg.syn_max };
		struct xlb_dp_spec spec;
		struct timespec t0, t1;
		char desc[256];

		dp_spec_from_config(&cfg, &spec);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		err = dataplane_open_spec(cfg.bpf_pin_dir, &sizes, &spec, &dp);
		if (err)
			goto out;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		dp_spec_describe(&spec, desc, sizeof(desc));
		log_info("data plane loaded in %ld ms (%s)",
			 (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000),
			 desc);
	}
	err = lock_fds[1] = instance_lock_pin_dir(cfg.bpf_pin_dir);
	if (err < 0)
		goto out;
	err = 0; /* the locks' fds stay open (close-on-exec) until xlbd exits or hands over */
	err = neigh_open(&neigh);
	if (err) {
		log_error("netlink: %s", strerror(-err));
		goto out;
	}
	model_init(&model, dp, neigh);
	model.on_quorum = follow_quorum;
	model.upgrade = old;
	old = NULL;
	err = health_open(health_model_notify, &model, &model.health);
	if (err) {
		log_error("health checks: %s", strerror(-err));
		goto out;
	}
	err = ctl_open(cfg.control_socket, &ctl);
	if (err)
		goto out;
	ops_ctl_set_reload(ctl_reload, (void *)path, path);
	err = proxy_engine_open(&model.proxy);
	if (err)
		goto out;
	if (model.upgrade) {
		int *fds;
		size_t n = upgrade_take_listeners(model.upgrade, &fds);

		proxy_engine_adopt(model.proxy, fds, n);
		free(fds);
	}
	char why[256];

	err = model_apply(&model, &cfg, why, sizeof(why));
	if (err) {
		log_error("cannot apply %s: %s", path, why);
		goto out;
	}
	health_sync_model(model.health, &model);
	doctor_log_start(&model);
	err = proxy_engine_apply(model.proxy, &model);
	if (err)
		goto out;
	/* Our workers accept on the handed-over sockets now: the old xlbd may stop. */
	if (model.upgrade && upgrade_start_drain(model.upgrade) < 0) {
		upgrade_free(model.upgrade);
		model.upgrade = NULL;
	}
	/*
	 * After the data plane is ready: a master must be able to forward at once.
	 * From here VRRP runs in its own thread; the loop below cannot delay it.
	 */
	err = vrrp_open(&model.cfg.ha, &model.vrrp);
	if (err)
		goto out;
	report_quorum_to_vrrp(&model);
	err = sync_open(&model, &model.sync);
	if (err)
		goto out;
	/* Last: VIPs are announced only once this node can serve them. */
	err = bgp_open(&model, &model.bgp);
	if (err)
		goto out;
	if (model.cfg.metrics.enabled) {
		err = metrics_server_open(&model.cfg.metrics, &metrics_srv);
		if (err)
			goto out;
	}
	log_info("running: %zu services, control socket %s", model.nservices,
		 model.cfg.control_socket);
	sd_notifyf(0, "READY=1\nSTATUS=%zu services\nMAINPID=%d", model.nservices, (int)getpid());
	while ((err = run(&model, ctl, neigh, path, &up)) == RUN_HANDOVER) {
		if (upgrade_give_listeners(up.fd, model.proxy) == 0) {
			handing_over = true;
			err = 0;
			break;
		}
		close(up.fd); /* it failed: nothing was handed over, we run on */
	}
	if (!handing_over)
		sd_notify(0, "STOPPING=1");
out:
	/* Before anything else: routers move the flows away while we still forward. */
	bgp_close(model.bgp);
	model.bgp = NULL;
	/* Its thread serves snapshots only, but stop it before anything it was shown goes. */
	metrics_server_close(metrics_srv);
	metrics_srv = NULL;
	/* First: a master hands over (priority 0) before we stop forwarding. */
	vrrp_close(model.vrrp);
	model.vrrp = NULL;
	sync_close(model.sync);
	model.sync = NULL;
	/* Before the model: a check ending now must not report to a freed model. */
	health_close(model.health);
	model.health = NULL;
	/*
	 * Workers read only their snapshots, but stop them before the model goes
	 * anyway; when handing over, they outlive it to finish their connections.
	 */
	if (handing_over)
		draining = model.proxy;
	else
		proxy_engine_close(model.proxy);
	model.proxy = NULL;
	upgrade_free(model.upgrade);
	model.upgrade = NULL;
	upgrade_free(old);
	model_shutdown(&model);
	rate_free();
	config_free(&cfg);
	ctl_close(ctl);
	if (neigh)
		neigh_close(neigh);
	dataplane_close(dp);
	if (handing_over) {
		/* Last of our roles: the new xlbd takes the locks once we say we released. */
		for (int i = 0; i < 2; i++)
			if (lock_fds[i] >= 0)
				close(lock_fds[i]);
		upgrade_drain(up.fd, draining, up.drain_ms);
		proxy_engine_close(draining);
	}
	return err ? 1 : 0;
}
