// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Renders the status document as Prometheus text. Everything here reads
 * JSON only, never the model, so it runs on whatever the main thread
 * published. Families come out whole (HELP, TYPE, every sample) as the
 * format requires; counter families whose names the data plane or sync
 * define are generated from their keys, so new counters appear by themselves.
 */
#include "metrics/metrics_prom.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/metrics_status.h"

static json_object *pm_get(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (o && json_object_is_type(o, json_type_object))
		json_object_object_get_ex(o, key, &v);
	return v;
}

static const char *pm_str(json_object *o, const char *key)
{
	json_object *v = pm_get(o, key);

	return v ? json_object_get_string(v) : "";
}

static size_t pm_len(json_object *a)
{
	return a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

static void pm_family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Label values escape backslash, double quote and newline. */
static void pm_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n') {
			fputs("\\n", f);
			continue;
		}
		fputc(*s, f);
	}
}

/* Labels as alternating name, value; NULL ends them. */
static void pm_labels(FILE *f, const char *const *kv)
{
	if (!kv || !kv[0])
		return;
	fputc('{', f);
	for (size_t i = 0; kv[i]; i += 2) {
		fprintf(f, "%s%s=\"", i ? "," : "", kv[i]);
		pm_escape(f, kv[i + 1] ? kv[i + 1] : "");
		fputc('"', f);
	}
	fputc('}', f);
}

/* A number as JSON holds it: integers exact, doubles times @scale. */
static void pm_value(FILE *f, json_object *v, double scale)
{
	if (json_object_is_type(v, json_type_boolean))
		fprintf(f, "%d", json_object_get_boolean(v) ? 1 : 0);
	else if (scale == 1.0 && json_object_is_type(v, json_type_int))
		fprintf(f, "%" PRIu64, json_object_get_uint64(v));
	else
		fprintf(f, "%.17g", json_object_get_double(v) * scale);
}

static void pm_sample(FILE *f, const char *name, const char *const *kv, json_object *v,
		      double scale)
{
	fputs(name, f);
	pm_labels(f, kv);
	fputc(' ', f);
	pm_value(f, v, scale);
	fputc('\n', f);
}

static void pm_sample_int(FILE *f, const char *name, const char *const *kv, int64_t v)
{
	fputs(name, f);
	pm_labels(f, kv);
	fprintf(f, " %" PRId64 "\n", v);
}

/* One per-service or per-real family: @path walks from the object to the number. */
struct pm_desc {
	const char *name, *type, *help;
	const char *path[3];
	double scale; /* 0: 1.0 */
};

static json_object *pm_path(json_object *o, const char *const *path)
{
	for (size_t i = 0; i < 3 && path[i] && o; i++)
		o = pm_get(o, path[i]);
	return o;
}

static const struct pm_desc pm_service_descs[] = {
	{ "xlb_service_packets_total", "counter", "Packets from clients to the service.",
	  { "stats", "packets" }, 1 },
	{ "xlb_service_bytes_total", "counter", "Bytes from clients to the service.",
	  { "stats", "bytes" }, 1 },
	{ "xlb_service_new_flows_total", "counter", "New flows (connections) scheduled.",
	  { "stats", "new_flows" }, 1 },
	{ "xlb_service_reals_healthy", "gauge", "Reals that take new flows (sorry server not counted).",
	  { "quorum", "healthy" }, 1 },
	{ "xlb_service_quorum_up", "gauge", "1 while the service has the healthy reals its quorum needs.",
	  { "quorum", "up" }, 1 },
	{ "xlb_service_proxy_connections_active", "gauge", "Proxy: client connections open.",
	  { "proxy", "active_connections" }, 1 },
	{ "xlb_service_proxy_connections_total", "counter", "Proxy: client connections accepted.",
	  { "proxy", "total_connections" }, 1 },
	{ "xlb_service_proxy_refused_total", "counter",
	  "Proxy: client connections refused (max_connections).", { "proxy", "refused" }, 1 },
	{ "xlb_service_proxy_connect_failures_total", "counter",
	  "Proxy: connections to reals that failed.", { "proxy", "connect_failures" }, 1 },
	{ "xlb_service_proxy_retries_total", "counter", "Proxy: connects retried on another real.",
	  { "proxy", "retries_done" }, 1 },
	{ "xlb_service_proxy_no_real_total", "counter",
	  "Proxy: client connections closed because no real could take them.",
	  { "proxy", "no_real" }, 1 },
	{ "xlb_service_proxy_requests_total", "counter", "Proxy mode http: requests balanced.",
	  { "proxy", "requests" }, 1 },
	{ "xlb_service_proxy_received_bytes_total", "counter", "Proxy: bytes from clients.",
	  { "proxy", "bytes_in" }, 1 },
	{ "xlb_service_proxy_sent_bytes_total", "counter", "Proxy: bytes to clients.",
	  { "proxy", "bytes_out" }, 1 },
	{ "xlb_service_packets_per_second", "gauge", "Packet rate over the last seconds (xlbctl list --rate InPPS).",
	  { "rate", "pps" }, 1 },
	{ "xlb_service_connections_per_second", "gauge", "New flow rate over the last seconds (CPS).",
	  { "rate", "cps" }, 1 },
};

static const struct pm_desc pm_real_descs[] = {
	{ "xlb_real_packets_total", "counter", "Packets forwarded to the real.",
	  { "stats", "packets" }, 1 },
	{ "xlb_real_bytes_total", "counter", "Bytes forwarded to the real.", { "stats", "bytes" }, 1 },
	{ "xlb_real_new_flows_total", "counter", "New flows scheduled to the real.",
	  { "stats", "new_flows" }, 1 },
	{ "xlb_real_active_connections", "gauge", "Established connections (ipvsadm ActiveConn).",
	  { "active_conns" }, 1 },
	{ "xlb_real_inactive_connections", "gauge", "Other connections (ipvsadm InActConn).",
	  { "inactive_conns" }, 1 },
	{ "xlb_real_weight", "gauge", "Weight in force (0: drained).", { "weight" }, 1 },
	{ "xlb_real_state_seconds", "gauge", "Seconds since the real's state last changed.",
	  { "for_s" }, 1 },
	{ "xlb_real_health_transitions_total", "counter",
	  "Health state changes (up to down and back); the reason is in xlb_real_health_last_failure_info.",
	  { "health", "transitions" }, 1 },
	{ "xlb_real_health_checks_total", "counter", "Health checks run.", { "health", "runs" }, 1 },
	{ "xlb_real_health_check_failures_total", "counter", "Health checks that failed.",
	  { "health", "failures" }, 1 },
	{ "xlb_real_health_check_duration_seconds", "gauge", "Duration of the last health check.",
	  { "health", "last_duration_ms" }, 0.001 },
	{ "xlb_real_proxy_connections_active", "gauge", "Proxy: connections open to the real.",
	  { "proxy", "active_connections" }, 1 },
	{ "xlb_real_proxy_connecting", "gauge", "Proxy: connects to the real in progress.",
	  { "proxy", "connecting" }, 1 },
	{ "xlb_real_proxy_connections_total", "counter", "Proxy: connections made to the real.",
	  { "proxy", "total_connections" }, 1 },
	{ "xlb_real_proxy_connect_failures_total", "counter", "Proxy: connects to the real that failed.",
	  { "proxy", "connect_failures" }, 1 },
	{ "xlb_real_proxy_retries_total", "counter", "Proxy: connects retried after this real failed.",
	  { "proxy", "retries" }, 1 },
	{ "xlb_real_packets_per_second", "gauge", "Packet rate over the last seconds (InPPS).",
	  { "rate", "pps" }, 1 },
	{ "xlb_real_connections_per_second", "gauge", "New flow rate over the last seconds (CPS).",
	  { "rate", "cps" }, 1 },
};

/* ipvsadm's endpoint form: ADDR:PORT, [ADDR6]:PORT. */
static void pm_endpoint(char *buf, size_t len, json_object *o)
{
	const char *a = pm_str(o, "address");

	snprintf(buf, len, strchr(a, ':') ? "[%s]:%d" : "%s:%d", a,
		 json_object_get_int(pm_get(o, "port")));
}

static void pm_services(FILE *f, json_object *services)
{
	char ep[80];

	pm_family(f, "xlb_service_info", "gauge",
		  "A service of the running config (always 1), with its address and how it balances.");
	for (size_t i = 0; i < pm_len(services); i++) {
		json_object *s = json_object_array_get_idx(services, i);
		char port[8];

		snprintf(port, sizeof(port), "%d", json_object_get_int(pm_get(s, "port")));
		const char *kv[] = { "service", pm_str(s, "name"), "vip", pm_str(s, "vip"), "port",
				     port, "protocol", pm_str(s, "protocol"), "method",
				     pm_str(s, "method"), "scheduler", pm_str(s, "scheduler"), NULL };
		pm_sample_int(f, "xlb_service_info", kv, 1);
	}
	for (size_t d = 0; d < sizeof(pm_service_descs) / sizeof(pm_service_descs[0]); d++) {
		const struct pm_desc *pd = &pm_service_descs[d];
		bool head = false;

		for (size_t i = 0; i < pm_len(services); i++) {
			json_object *s = json_object_array_get_idx(services, i);
			json_object *v = pm_path(s, pd->path);
			const char *kv[] = { "service", pm_str(s, "name"), NULL };

			if (!v)
				continue;
			if (!head)
				pm_family(f, pd->name, pd->type, pd->help);
			head = true;
			pm_sample(f, pd->name, kv, v, pd->scale ? pd->scale : 1.0);
		}
	}
	for (size_t d = 0; d < sizeof(pm_real_descs) / sizeof(pm_real_descs[0]); d++) {
		const struct pm_desc *pd = &pm_real_descs[d];
		bool head = false;

		for (size_t i = 0; i < pm_len(services); i++) {
			json_object *s = json_object_array_get_idx(services, i);
			json_object *reals = pm_get(s, "reals");

			for (size_t j = 0; j < pm_len(reals); j++) {
				json_object *r = json_object_array_get_idx(reals, j);
				json_object *v = pm_path(r, pd->path);

				if (!v)
					continue;
				pm_endpoint(ep, sizeof(ep), r);
				const char *kv[] = { "service", pm_str(s, "name"), "real", ep, NULL };
				if (!head)
					pm_family(f, pd->name, pd->type, pd->help);
				head = true;
				pm_sample(f, pd->name, kv, v, pd->scale ? pd->scale : 1.0);
			}
		}
	}
}

/* Enumerations as one 0/1 sample per possible value, the usual Prometheus idiom. */
static void pm_real_states(FILE *f, json_object *services)
{
	static const char *const states[] = { "up", "down", "no-mac", "unreachable" };
	static const char *const health[] = { "up", "down", "checking" };
	char ep[80];

	pm_family(f, "xlb_real_up", "gauge", "1 while the real takes new flows (state up).");
	for (size_t i = 0; i < pm_len(services); i++) {
		json_object *s = json_object_array_get_idx(services, i);
		json_object *reals = pm_get(s, "reals");

		for (size_t j = 0; j < pm_len(reals); j++) {
			json_object *r = json_object_array_get_idx(reals, j);

			pm_endpoint(ep, sizeof(ep), r);
			const char *kv[] = { "service", pm_str(s, "name"), "real", ep, NULL };
			pm_sample_int(f, "xlb_real_up", kv, strcmp(pm_str(r, "state"), "up") == 0);
		}
	}
	pm_family(f, "xlb_real_state", "gauge",
		  "The real's state as xlbctl list shows it: 1 for the current one.");
	for (size_t i = 0; i < pm_len(services); i++) {
		json_object *s = json_object_array_get_idx(services, i);
		json_object *reals = pm_get(s, "reals");

		for (size_t j = 0; j < pm_len(reals); j++) {
			json_object *r = json_object_array_get_idx(reals, j);

			pm_endpoint(ep, sizeof(ep), r);
			for (size_t k = 0; k < sizeof(states) / sizeof(states[0]); k++) {
				const char *kv[] = { "service", pm_str(s, "name"), "real", ep,
						     "state", states[k], NULL };
				pm_sample_int(f, "xlb_real_state", kv,
					      strcmp(pm_str(r, "state"), states[k]) == 0);
			}
		}
	}
	pm_family(f, "xlb_real_health_state", "gauge",
		  "The health check's verdict on the real: 1 for the current one.");
	for (size_t i = 0; i < pm_len(services); i++) {
		json_object *s = json_object_array_get_idx(services, i);
		json_object *reals = pm_get(s, "reals");

		for (size_t j = 0; j < pm_len(reals); j++) {
			json_object *r = json_object_array_get_idx(reals, j);
			json_object *h = pm_get(r, "health");

			if (!h)
				continue;
			pm_endpoint(ep, sizeof(ep), r);
			for (size_t k = 0; k < sizeof(health) / sizeof(health[0]); k++) {
				const char *kv[] = { "service", pm_str(s, "name"), "real", ep,
						     "state", health[k], NULL };
				pm_sample_int(f, "xlb_real_health_state", kv,
					      strcmp(pm_str(h, "state"), health[k]) == 0);
			}
		}
	}
	pm_family(f, "xlb_real_health_last_failure_info", "gauge",
		  "Why the real's last failed health check failed (1 while a reason is known).");
	for (size_t i = 0; i < pm_len(services); i++) {
		json_object *s = json_object_array_get_idx(services, i);
		json_object *reals = pm_get(s, "reals");

		for (size_t j = 0; j < pm_len(reals); j++) {
			json_object *r = json_object_array_get_idx(reals, j);
			const char *reason = pm_str(pm_get(r, "health"), "reason");

			if (!*reason)
				continue;
			pm_endpoint(ep, sizeof(ep), r);
			const char *kv[] = { "service", pm_str(s, "name"), "real", ep, "reason",
					     reason, NULL };
			pm_sample_int(f, "xlb_real_health_last_failure_info", kv, 1);
		}
	}
}

/* Every data-plane counter, named by the data plane's own table (ctl's "counters"). */
static void pm_dataplane(FILE *f, json_object *root)
{
	json_object *counters = pm_get(root, "counters");
	json_object *ft = pm_get(root, "flow_table");

	pm_family(f, "xlb_dataplane_packets_total", "counter",
		  "Packets and events of the XDP/tc program by reason (every pass, drop, forward "
		  "and flow counter of xlbctl stats).");
	if (counters) {
		json_object_object_foreach(counters, key, val) {
			const char *kv[] = { "reason", key, NULL };
			pm_sample(f, "xlb_dataplane_packets_total", kv, val, 1.0);
		}
	}
	if (ft) {
		static const struct {
			const char *table, *entries, *max, *evicted;
		} t[] = { { "flows", "flows", "flows_max", "flows_evicted" },
			  { "syn_flows", "syn_flows", "syn_max", "syn_evicted" } };

		pm_family(f, "xlb_flow_table_entries", "gauge",
			  "Flows in the table at the last sweep (flows: past their first packet; "
			  "syn_flows: only SYNs seen).");
		for (size_t i = 0; i < 2; i++) {
			const char *kv[] = { "table", t[i].table, NULL };
			pm_sample(f, "xlb_flow_table_entries", kv, pm_get(ft, t[i].entries), 1.0);
		}
		pm_family(f, "xlb_flow_table_max_entries", "gauge",
			  "Size of the table (flows.max, flows.syn_max).");
		for (size_t i = 0; i < 2; i++) {
			const char *kv[] = { "table", t[i].table, NULL };
			pm_sample(f, "xlb_flow_table_max_entries", kv, pm_get(ft, t[i].max), 1.0);
		}
		pm_family(f, "xlb_flow_table_evictions_total", "counter",
			  "Flows the full table evicted (least recently used first).");
		for (size_t i = 0; i < 2; i++) {
			const char *kv[] = { "table", t[i].table, NULL };
			pm_sample(f, "xlb_flow_table_evictions_total", kv, pm_get(ft, t[i].evicted),
				  1.0);
		}
	}
}

static void pm_health(FILE *f, json_object *h)
{
	static const struct {
		const char *key, *name, *type, *help;
	} keys[] = {
		{ "checks", "xlb_health_checks", "gauge", "Health checks configured." },
		{ "in_flight", "xlb_health_checks_in_flight", "gauge", "Health checks running now." },
		{ "runs", "xlb_health_check_runs_total", "counter", "Health check runs." },
		{ "failures", "xlb_health_check_failures_total", "counter", "Failed health check runs." },
		{ "skipped", "xlb_health_check_skipped_total", "counter",
		  "Runs that could not start for a local reason (no fds, no memory)." },
	};

	if (!h)
		return;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (!pm_get(h, keys[i].key))
			continue;
		pm_family(f, keys[i].name, keys[i].type, keys[i].help);
		pm_sample(f, keys[i].name, NULL, pm_get(h, keys[i].key), 1.0);
	}
	pm_family(f, "xlb_health_transitions_total", "counter",
		  "Health state changes of all reals, by direction.");
	const char *up[] = { "to", "up", NULL }, *down[] = { "to", "down", NULL };
	if (pm_get(h, "transitions_up"))
		pm_sample(f, "xlb_health_transitions_total", up, pm_get(h, "transitions_up"), 1.0);
	if (pm_get(h, "transitions_down"))
		pm_sample(f, "xlb_health_transitions_total", down, pm_get(h, "transitions_down"), 1.0);
}

static void pm_vrrp(FILE *f, json_object *vrrp)
{
	static const char *const states[] = { "init", "backup", "master", "fault" };
	static const struct pm_desc descs[] = {
		{ "xlb_vrrp_priority", "gauge",
		  "The VRRP priority the instance advertises (the configured one, as tracking changed it).",
		  { "priority" }, 1 },
		{ "xlb_vrrp_base_priority", "gauge", "The instance's configured VRRP priority.",
		  { "base_priority" }, 1 },
		{ "xlb_vrrp_transitions_total", "counter", "VRRP state changes.", { "transitions" }, 1 },
		{ "xlb_vrrp_adverts_received_total", "counter", "VRRP adverts received and accepted.",
		  { "counters", "adverts_rx" }, 1 },
		{ "xlb_vrrp_adverts_sent_total", "counter", "VRRP adverts sent.",
		  { "counters", "adverts_tx" }, 1 },
		{ "xlb_vrrp_send_errors_total", "counter", "VRRP adverts that could not be sent.",
		  { "counters", "tx_errors" }, 1 },
		{ "xlb_vrrp_address_errors_total", "counter",
		  "Virtual addresses that could not be added or removed.", { "counters", "addr_errors" }, 1 },
		{ "xlb_vrrp_announcements_total", "counter", "Gratuitous ARP / unsolicited NA sent.",
		  { "counters", "announcements" }, 1 },
	};
	json_object *list = pm_get(vrrp, "instances");

	if (!pm_len(list))
		return;
	pm_family(f, "xlb_vrrp_state", "gauge", "The VRRP instance's state: 1 for the current one.");
	for (size_t i = 0; i < pm_len(list); i++) {
		json_object *v = json_object_array_get_idx(list, i);

		for (size_t k = 0; k < sizeof(states) / sizeof(states[0]); k++) {
			const char *kv[] = { "instance", pm_str(v, "name"), "interface",
					     pm_str(v, "interface"), "state", states[k], NULL };
			pm_sample_int(f, "xlb_vrrp_state", kv, strcmp(pm_str(v, "state"), states[k]) == 0);
		}
	}
	for (size_t d = 0; d < sizeof(descs) / sizeof(descs[0]); d++) {
		pm_family(f, descs[d].name, descs[d].type, descs[d].help);
		for (size_t i = 0; i < pm_len(list); i++) {
			json_object *v = json_object_array_get_idx(list, i);
			json_object *val = pm_path(v, descs[d].path);
			const char *kv[] = { "instance", pm_str(v, "name"), NULL };

			if (val)
				pm_sample(f, descs[d].name, kv, val, 1.0);
		}
	}
	pm_family(f, "xlb_vrrp_advert_errors_total", "counter",
		  "VRRP adverts received and rejected, by reason.");
	for (size_t i = 0; i < pm_len(list); i++) {
		json_object *v = json_object_array_get_idx(list, i);
		json_object *errs = pm_get(pm_get(v, "counters"), "rx_errors");

		if (!errs)
			continue;
		json_object_object_foreach(errs, key, val) {
			const char *kv[] = { "instance", pm_str(v, "name"), "reason", key, NULL };
			pm_sample(f, "xlb_vrrp_advert_errors_total", kv, val, 1.0);
		}
	}
	pm_family(f, "xlb_vrrp_tracked_failing", "gauge",
		  "1 while a tracked interface is down or a tracked service lacks its quorum.");
	for (size_t i = 0; i < pm_len(list); i++) {
		json_object *v = json_object_array_get_idx(list, i);
		json_object *tracking = pm_get(v, "tracking");

		for (size_t k = 0; k < pm_len(tracking); k++) {
			json_object *t = json_object_array_get_idx(tracking, k);
			const char *kv[] = { "instance", pm_str(v, "name"), "type", pm_str(t, "type"),
					     "name", pm_str(t, "name"), NULL };

			pm_sample_int(f, "xlb_vrrp_tracked_failing", kv,
				      json_object_get_boolean(pm_get(t, "failing")));
		}
	}
	pm_family(f, "xlb_vrrp_master_info", "gauge",
		  "The master this instance hears (1), by its address; absent when none is heard.");
	for (size_t i = 0; i < pm_len(list); i++) {
		json_object *v = json_object_array_get_idx(list, i);
		json_object *peer = pm_get(v, "peer");

		if (!peer)
			continue;
		const char *kv[] = { "instance", pm_str(v, "name"), "peer", pm_str(peer, "address"),
				     NULL };
		pm_sample_int(f, "xlb_vrrp_master_info", kv, 1);
	}
}

/* Sync counters by their own names: xlb_sync_<name>_total. */
static void pm_sync(FILE *f, json_object *sync)
{
	json_object *c = pm_get(sync, "counters");
	json_object *peers = pm_get(sync, "peers");
	char name[96];

	pm_family(f, "xlb_sync_enabled", "gauge", "1 when connection sync runs.");
	pm_sample(f, "xlb_sync_enabled", NULL, pm_get(sync, "enabled"), 1.0);
	if (!c)
		return;
	json_object_object_foreach(c, key, val) {
		snprintf(name, sizeof(name), "xlb_sync_%s_total", key);
		pm_family(f, name, "counter", "Connection sync counter (see xlbctl ha).");
		pm_sample(f, name, NULL, val, 1.0);
	}
	if (pm_get(sync, "queued")) {
		pm_family(f, "xlb_sync_queue_records", "gauge", "Records waiting to be sent.");
		pm_sample(f, "xlb_sync_queue_records", NULL, pm_get(sync, "queued"), 1.0);
	}
	pm_family(f, "xlb_sync_peer_messages_received_total", "counter",
		  "Sync messages received from each peer.");
	for (size_t i = 0; i < pm_len(peers); i++) {
		json_object *p = json_object_array_get_idx(peers, i);
		const char *kv[] = { "peer", pm_str(p, "address"), NULL };

		pm_sample(f, "xlb_sync_peer_messages_received_total", kv, pm_get(p, "rx_messages"),
			  1.0);
	}
	pm_family(f, "xlb_sync_peer_full_sync", "gauge",
		  "1 once a peer's full sync came whole (all the flows it forwards are here).");
	for (size_t i = 0; i < pm_len(peers); i++) {
		json_object *p = json_object_array_get_idx(peers, i);
		const char *kv[] = { "peer", pm_str(p, "address"), NULL };

		pm_sample(f, "xlb_sync_peer_full_sync", kv, pm_get(p, "full_sync"), 1.0);
	}
}

static void pm_build(FILE *f, json_object *root)
{
	json_object *b = pm_get(root, "build");
	json_object *snap = pm_get(root, "snapshot");
	const char *kv[] = { "version", pm_str(b, "version"), "compiler", pm_str(b, "compiler"),
			     NULL };

	pm_family(f, "xlb_build_info", "gauge", "xlbd's version (always 1).");
	pm_sample_int(f, "xlb_build_info", kv, 1);
	if (pm_get(snap, "start_time_seconds")) {
		pm_family(f, "xlb_start_time_seconds", "gauge", "When xlbd started, Unix time.");
		pm_sample(f, "xlb_start_time_seconds", NULL, pm_get(snap, "start_time_seconds"), 1.0);
	}
	if (pm_get(snap, "build_seconds")) {
		pm_family(f, "xlb_status_build_seconds", "gauge",
			  "Time the main loop took to collect this snapshot.");
		pm_sample(f, "xlb_status_build_seconds", NULL, pm_get(snap, "build_seconds"), 1.0);
	}
}

char *metrics_prom_render(json_object *status, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	if (!f)
		return NULL;
	pm_build(f, status);
	pm_services(f, pm_get(status, "services"));
	pm_real_states(f, pm_get(status, "services"));
	pm_dataplane(f, status);
	pm_health(f, pm_get(status, "health"));
	pm_vrrp(f, pm_get(pm_get(status, "ha"), "vrrp"));
	pm_sync(f, pm_get(pm_get(status, "ha"), "sync"));
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}
