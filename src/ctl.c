// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Control socket server: {"cmd": "list"} in, the running state as JSON out. */
#include "ctl.h"

#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_request.h"
#include "deadline.h"
#include "ha/sync.h"
#include "ha/vrrp.h"
#include "health/health_json.h"
#include "log.h"
#include "ops/ops_ctl.h"
#include "ops/rate.h"
#include "proxy/proxy_engine.h"
#include "sched/sched.h"
#include "upgrade.h"

/* A local client that has connected sends its request at once and reads the
 * reply at once; a stuck or trickling one holds the event loop no longer
 * than these, in total (not per read or write). */
#define CTL_CLIENT_WAIT_MS 100
#define CTL_REPLY_WAIT_MS 1000

struct ctl_server {
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

int ctl_open(const char *path, struct ctl_server **out)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct ctl_server *ctl;
	mode_t old_umask;
	int err;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return -ENOMEM;
	snprintf(ctl->path, sizeof(ctl->path), "%s", path);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);

	/* The directory may not exist on a fresh boot (/run/xlb). */
	char dir[sizeof(ctl->path)];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0700);
	}

	ctl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ctl->fd < 0) {
		err = -errno;
		goto fail;
	}
	unlink(path);
	old_umask = umask(0177);
	err = bind(ctl->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ? -errno : 0;
	umask(old_umask);
	if (err || listen(ctl->fd, 16) < 0) {
		err = err ? err : -errno;
		goto fail;
	}
	*out = ctl;
	return 0;
fail:
	log_error("control socket %s: %s", path, strerror(-err));
	if (ctl->fd >= 0)
		close(ctl->fd);
	free(ctl);
	return err;
}

void ctl_close(struct ctl_server *ctl)
{
	if (!ctl)
		return;
	close(ctl->fd);
	unlink(ctl->path);
	free(ctl);
}

int ctl_listen_fd(const struct ctl_server *ctl)
{
	return ctl->fd;
}

static json_object *ctl_flow_table_json(const struct flow_table_state *t)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "flows", json_object_new_int64((int64_t)t->flows));
	json_object_object_add(o, "flows_max", json_object_new_int64((int64_t)t->flows_max));
	json_object_object_add(o, "flows_evicted", json_object_new_int64((int64_t)t->flows_evicted));
	json_object_object_add(o, "syn_flows", json_object_new_int64((int64_t)t->syn));
	json_object_object_add(o, "syn_max", json_object_new_int64((int64_t)t->syn_max));
	json_object_object_add(o, "syn_evicted", json_object_new_int64((int64_t)t->syn_evicted));
	return o;
}

static json_object *ctl_stats_json(struct dataplane *dp, enum dp_stats_map which, uint32_t id)
{
	struct xlb_stats st;
	json_object *o = json_object_new_object();

	dataplane_stats_read(dp, which, id, &st);
	json_object_object_add(o, "packets", json_object_new_uint64(st.packets));
	json_object_object_add(o, "bytes", json_object_new_uint64(st.bytes));
	json_object_object_add(o, "new_flows", json_object_new_uint64(st.new_flows));
	return o;
}

/* ActiveConn / InActConn as ipvsadm shows them: data plane side minus swept. */
static void ctl_conns_json(json_object *o, struct dataplane *dp, uint32_t real_id)
{
	struct xlb_conns bpf_side, swept;
	int64_t active = 0, inactive = 0;

	if (dataplane_conns_get(dp, real_id, &bpf_side, &swept) == 0) {
		active = bpf_side.active - swept.active;
		inactive = bpf_side.inactive - swept.inactive;
	}
	json_object_object_add(o, "active_conns", json_object_new_int64(active < 0 ? 0 : active));
	json_object_object_add(o, "inactive_conns",
			       json_object_new_int64(inactive < 0 ? 0 : inactive));
}

static json_object *ctl_real_json(struct model *m, const struct real *r)
{
	json_object *o = json_object_new_object();
	char buf[NET_ADDR_STRLEN], ifname[IF_NAMESIZE] = "";

	json_object_object_add(o, "address",
			       json_object_new_string(net_addr_str(&r->cfg.addr, buf, sizeof(buf))));
	json_object_object_add(o, "port", json_object_new_int(r->cfg.port));
	json_object_object_add(o, "weight", json_object_new_int64(real_weight(r)));
	if (r->weight_set)
		json_object_object_add(o, "weight_config", json_object_new_int64(r->cfg.weight));
	json_object_object_add(o, "state", json_object_new_string(real_state_name(r)));
	if (r->problem)
		json_object_object_add(o, "problem", json_object_new_string(r->problem));
	if (r->mac_known) {
		snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", r->mac[0], r->mac[1],
			 r->mac[2], r->mac[3], r->mac[4], r->mac[5]);
		json_object_object_add(o, "mac", json_object_new_string(buf));
	}
	if (r->ifindex && if_indextoname(r->ifindex, ifname))
		json_object_object_add(o, "ifname", json_object_new_string(ifname));
	json_object_object_add(o, "stats", ctl_stats_json(m->dp, DP_STATS_REAL, r->id));
	ctl_conns_json(o, m->dp, r->id);
	return o;
}

json_object *ctl_list_json(struct model *m)
{
	json_object *root = json_object_new_object();
	json_object *services = json_object_new_array();
	json_object *counters = json_object_new_object();
	uint64_t cnt[XLB_CNT__COUNT];
	char buf[NET_ADDR_STRLEN];

	for (size_t i = 0; i < m->nservices; i++) {
		const struct service *s = &m->services[i];
		json_object *o = json_object_new_object();
		json_object *reals = json_object_new_array();

		json_object_object_add(o, "name", json_object_new_string(s->cfg.name));
		json_object_object_add(
			o, "vip", json_object_new_string(net_addr_str(&s->cfg.vip, buf, sizeof(buf))));
		json_object_object_add(o, "port", json_object_new_int(s->cfg.port));
		json_object_object_add(o, "protocol", json_object_new_string(
							      s->cfg.proto == IPPROTO_UDP ? "udp" : "tcp"));
		json_object_object_add(o, "method",
				       json_object_new_string(config_method_name(s->cfg.method)));
		json_object_object_add(o, "scheduler",
				       json_object_new_string(sched_get(s->cfg.sched)->name));
		json_object_object_add(o, "stats", ctl_stats_json(m->dp, DP_STATS_SERVICE, s->id));
		for (size_t j = 0; j < s->nreals; j++) {
			json_object *r = ctl_real_json(m, &s->reals[j]);

			health_json_real(r, m, s, &s->reals[j]);
			if (s->cfg.method == XLB_METHOD_PROXY)
				proxy_json_real(r, m->proxy, s, &s->reals[j]);
			json_object_array_add(reals, r);
		}
		json_object_object_add(o, "reals", reals);
		health_json_service(o, s);
		if (s->cfg.method == XLB_METHOD_PROXY)
			proxy_json_service(o, m->proxy, s);
		json_object_array_add(services, o);
	}
	json_object_object_add(root, "services", services);
	dataplane_counters_read(m->dp, cnt);
	for (int c = 0; c < XLB_CNT__COUNT; c++)
		json_object_object_add(counters, dataplane_counter_name(c),
				       json_object_new_uint64(cnt[c]));
	json_object_object_add(root, "counters", counters);
	json_object_object_add(root, "flow_table", ctl_flow_table_json(&m->flowtab));
	if (m->upgrade)
		json_object_object_add(root, "upgrade", upgrade_json(m->upgrade));
	health_json_stats(root, m->health);
	rate_json(root, m);
	return root;
}

static json_object *ctl_error(const char *fmt, const char *arg)
{
	char msg[256];
	json_object *o = json_object_new_object();

	snprintf(msg, sizeof(msg), fmt, arg);
	json_object_object_add(o, "error", json_object_new_string(msg));
	return o;
}

/* {"cmd":"real_weight","service":S,"real":"ADDR[:PORT]","weight":N or "config"} */
static json_object *ctl_real_weight(struct model *m, json_object *req)
{
	struct ctl_real_weight a;
	char err[256];

	if (ctl_real_weight_args(req, &a, err, sizeof(err)))
		return ctl_error("%s", err);
	/* model_real_set_weight() takes -1 for "back to the config's weight". */
	if (model_real_set_weight(m, a.service, a.real, a.to_config ? -1 : (long)a.weight, err,
				  sizeof(err)))
		return ctl_error("%s", err);
	return ctl_list_json(m);
}

/* {"cmd":"ha"}: VRRP instances and connection sync. */
static json_object *ctl_ha_json(struct model *m)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "vrrp", vrrp_json(m->vrrp));
	json_object_object_add(o, "sync", sync_json(m->sync));
	return o;
}

static json_object *ctl_dispatch(struct model *m, json_object *req, const char *cmd)
{
	json_object *reply;

	if (strcmp(cmd, "list") == 0 || strcmp(cmd, "stats") == 0)
		reply = ctl_list_json(m);
	else if (strcmp(cmd, "real_weight") == 0)
		reply = ctl_real_weight(m, req);
	else if (strcmp(cmd, "ha") == 0)
		reply = ctl_ha_json(m);
	else if (!(reply = ops_ctl_dispatch(m, cmd, req)))
		reply = ctl_error("unknown command '%s' (expected list, stats, real_weight, ha, flows, "
				  "zero, reload, trace, bgp, drain_node, undrain_node or upgrade)",
				  cmd);
	return reply;
}

/* "upgrade": the bound on draining, in range; 0 or -EINVAL with @err. */
static int ctl_upgrade_args(json_object *req, uint32_t *drain_ms, char *err, size_t errlen)
{
	json_object *v;
	int64_t ms = UPGRADE_DRAIN_DEFAULT_MS;

	if (json_object_object_get_ex(req, "drain_ms", &v))
		ms = json_object_get_int64(v);
	if (ms < 1 || ms > UPGRADE_DRAIN_MAX_MS) {
		snprintf(err, errlen, "upgrade: 'drain_ms' must be 1..%u", UPGRADE_DRAIN_MAX_MS);
		return -EINVAL;
	}
	*drain_ms = (uint32_t)ms;
	return 0;
}

static bool ctl_serve_client(int fd, struct model *m, struct ctl_upgrade *up)
{
	char req[CTL_REQUEST_MAX + 2];
	size_t len = 0;
	uint64_t deadline = mono_ms() + CTL_CLIENT_WAIT_MS;

	/* One byte more than a request may have: a longer one is refused, not cut. */
	while (len < sizeof(req) - 1) {
		ssize_t n;

		if (!fd_wait_until(fd, POLLIN, deadline))
			return false;
		n = read(fd, req + len, sizeof(req) - 1 - len);
		if (n <= 0)
			break;
		len += n;
		if (memchr(req, '\n', len))
			break;
	}
	req[len] = '\0';

	char err[256];
	json_object *parsed = ctl_request_parse(req, len, err, sizeof(err)), *cmd_obj, *reply;
	const char *cmd = "";

	if (parsed) {
		json_object_object_get_ex(parsed, "cmd", &cmd_obj);
		cmd = json_object_get_string(cmd_obj);
	}
	if (!parsed) {
		reply = ctl_error("%s", err);
	} else if (strcmp(cmd, "upgrade") == 0) {
		/* Answered by the hand-over itself, on this connection. */
		reply = ctl_upgrade_args(parsed, &up->drain_ms, err, sizeof(err)) ?
				ctl_error("%s", err) :
				NULL;
		if (!reply) {
			json_object_put(parsed);
			up->fd = fd;
			return true;
		}
	} else {
		reply = ctl_dispatch(m, parsed, cmd);
	}
	json_object_put(parsed);

	const char *text = json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN);
	size_t left = strlen(text);

	deadline = mono_ms() + CTL_REPLY_WAIT_MS;
	while (left > 0 && fd_wait_until(fd, POLLOUT, deadline)) {
		ssize_t n = send(fd, text, left, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno != EINTR && errno != EAGAIN)
			break;
		if (n > 0) {
			text += n;
			left -= n;
		}
	}
	if (left == 0)
		send(fd, "\n", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	json_object_put(reply);
	return false;
}

bool ctl_handle(struct ctl_server *ctl, struct model *m, struct ctl_upgrade *up)
{
	/*
	 * One client per turn of the event loop: the listening socket stays
	 * readable for the next, and VRRP, sync and the tick run in between,
	 * however many clients queue up.
	 */
	int fd = accept4(ctl->fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return false;
	if (ctl_serve_client(fd, m, up))
		return true;
	close(fd);
	return false;
}
