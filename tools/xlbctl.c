// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* xlbctl: asks xlbd over its control socket and prints the answer. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "ctl_request.h"
#include "xlb_import.h"
#include "xlbctl_bgp.h"
#include "xlbctl_ops.h"

#define XLBCTL_DEFAULT_SOCKET CONFIG_DEFAULT_CONTROL_SOCKET

struct xlbctl_opts {
	const char *socket_path;
	bool json;
};

struct xlbctl_cmd {
	const char *name;
	const char *args; /* shown in --help */
	const char *help;
	/* The request for @argc arguments after the command name; NULL after saying why. */
	json_object *(*request)(const char *name, int argc, char **argv);
	int (*run)(const struct xlbctl_opts *opts, json_object *reply);
};

/* Sends @req and returns the parsed reply, or NULL after printing why. */
static json_object *xlbctl_request(const char *socket_path, json_object *req_obj)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char req[1024], *buf = NULL;
	size_t len = 0, cap = 0;
	json_object *reply = NULL;
	int fd;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", socket_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "xlbctl: cannot reach xlbd at %s: %s (is xlbd running?)\n",
			socket_path, strerror(errno));
		goto out;
	}
	snprintf(req, sizeof(req), "%s\n", json_object_to_json_string_ext(req_obj, JSON_C_TO_STRING_PLAIN));
	if (write(fd, req, strlen(req)) < 0) {
		fprintf(stderr, "xlbctl: %s: %s\n", socket_path, strerror(errno));
		goto out;
	}
	for (;;) {
		if (len + 4096 > cap) {
			char *grown = realloc(buf, cap = cap ? cap * 2 : 65536);
			if (!grown)
				goto out;
			buf = grown;
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n <= 0)
			break;
		len += n;
	}
	if (!buf || !len) {
		fprintf(stderr, "xlbctl: xlbd closed the connection without a reply\n");
		goto out;
	}
	buf[len] = '\0';
	reply = json_tokener_parse(buf);
	if (!reply)
		fprintf(stderr, "xlbctl: xlbd sent a reply that is not JSON\n");
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return reply;
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

static int64_t jint(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

static json_object *jget(json_object *o, const char *key)
{
	json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

/* ipvsadm writes IPv6 endpoints as [addr]:port. */
static void endpoint(char *buf, size_t len, const char *addr, int64_t port)
{
	if (strchr(addr, ':'))
		snprintf(buf, len, "[%s]:%lld", addr, (long long)port);
	else
		snprintf(buf, len, "%s:%lld", addr, (long long)port);
}

static const char *forward_name(const char *method)
{
	static const struct { const char *method, *forward; } names[] = {
		{ "dr", "Route" }, { "tun", "Tunnel" }, { "gue", "Tunnel" }, { "dscp", "Dscp" },
		{ "nat", "Masq" }, { "fnat", "FullNat" }, { "proxy", "Proxy" },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(names[i].method, method) == 0)
			return names[i].forward;
	return method;
}

/* "12.3s", "4m05s", "3h02m", "2d07h": time in a state, short enough for a column. */
static const char *duration(double s, char *buf, size_t len)
{
	long long t = (long long)s;

	if (s < 60)
		snprintf(buf, len, "%.1fs", s);
	else if (t < 3600)
		snprintf(buf, len, "%lldm%02llds", t / 60, t % 60);
	else if (t < 86400)
		snprintf(buf, len, "%lldh%02lldm", t / 3600, t % 3600 / 60);
	else
		snprintf(buf, len, "%lldd%02lldh", t / 86400, t % 86400 / 3600);
	return buf;
}

/* "http: status 503" while down, "http" while up (with the last failure, if any). */
static void print_health(json_object *r)
{
	json_object *h = jget(r, "health");
	const char *reason = jstr(h, "reason");

	if (jget(r, "sorry"))
		printf("  sorry server");
	if (!h)
		return;
	if (strcmp(jstr(h, "state"), "down") == 0)
		printf("  %s: %s", jstr(h, "check"), reason);
	else if (*reason)
		printf("  %s %s (last failure: %s)", jstr(h, "check"), jstr(h, "state"), reason);
	else
		printf("  %s %s", jstr(h, "check"), jstr(h, "state"));
}

/* xlbd --upgrade: the xlbd it took over from, while that one finishes its connections. */
static void print_upgrade(json_object *u)
{
	if (!u)
		return;
	printf("\nUpgrade: old xlbd pid %lld %s, %lld connection(s)", (long long)jint(u, "old_pid"),
	       jstr(u, "state"), (long long)jint(u, "connections"));
	if (jget(u, "draining_for_ms"))
		printf(" (draining for %.1fs of at most %.1fs)",
		       (double)jint(u, "draining_for_ms") / 1000.0,
		       (double)jint(u, "drain_timeout_ms") / 1000.0);
	printf("\n");
}

static int cmd_list(const struct xlbctl_opts *opts, json_object *reply)
{
	json_object *services = jget(reply, "services");
	char ep[80];

	if (xlbctl_list_view())
		return xlbctl_list_alt(reply);
	printf("Prot LocalAddress:Port Scheduler Method (Name)\n");
	printf("  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn State       Packets      Bytes NewFlows  For     Check\n");
	for (size_t i = 0; services && i < json_object_array_length(services); i++) {
		json_object *s = json_object_array_get_idx(services, i);
		json_object *reals = jget(s, "reals");
		char proto[8];

		snprintf(proto, sizeof(proto), "%s", jstr(s, "protocol"));
		for (char *p = proto; *p; p++)
			*p = (char)(*p - 'a' + 'A');
		endpoint(ep, sizeof(ep), jstr(s, "vip"), jint(s, "port"));
		printf("%-4s %s %s %s (%s)", proto, ep, jstr(s, "scheduler"), jstr(s, "method"),
		       jstr(s, "name"));
		if (jget(s, "health"))
			printf("  check %s every %lldms rise %lld fall %lld on_failure %s",
			       jstr(jget(s, "health"), "check"),
			       (long long)jint(jget(s, "health"), "interval_ms"),
			       (long long)jint(jget(s, "health"), "rise"),
			       (long long)jint(jget(s, "health"), "fall"),
			       jstr(jget(s, "health"), "on_failure"));
		if (jget(s, "quorum"))
			printf("  quorum %lld/%lld %s", (long long)jint(jget(s, "quorum"), "healthy"),
			       (long long)jint(jget(s, "quorum"), "min"),
			       json_object_get_boolean(jget(jget(s, "quorum"), "up")) ? "met" :
											  "LOST");
		printf("\n");
		for (size_t j = 0; reals && j < json_object_array_length(reals); j++) {
			json_object *r = json_object_array_get_idx(reals, j);
			json_object *st = jget(r, "stats");

			endpoint(ep, sizeof(ep), jstr(r, "address"), jint(r, "port"));
			printf("  -> %-28s %-7s %-6lld %-10lld %-9lld %-11s %8lld %10lld %8lld", ep,
			       forward_name(jstr(s, "method")), (long long)jint(r, "weight"),
			       (long long)jint(r, "active_conns"), (long long)jint(r, "inactive_conns"),
			       jstr(r, "state"), (long long)jint(st, "packets"),
			       (long long)jint(st, "bytes"), (long long)jint(st, "new_flows"));
			if (jget(r, "for_s")) {
				char d[48];

				printf("  %-7s", duration(json_object_get_double(jget(r, "for_s")), d,
							  sizeof(d)));
			}
			print_health(r);
			if (*jstr(r, "problem"))
				printf("  (%s)", jstr(r, "problem"));
			printf("\n");
		}
	}
	print_upgrade(jget(reply, "upgrade"));
	return 0;
}

static int cmd_stats(const struct xlbctl_opts *opts, json_object *reply)
{
	json_object *services = jget(reply, "services");
	json_object *counters = jget(reply, "counters");
	char ep[80];

	printf("%-32s %12s %14s %10s\n", "Service", "Packets", "Bytes", "NewFlows");
	for (size_t i = 0; services && i < json_object_array_length(services); i++) {
		json_object *s = json_object_array_get_idx(services, i);
		json_object *st = jget(s, "stats");

		endpoint(ep, sizeof(ep), jstr(s, "vip"), jint(s, "port"));
		printf("%-32s %12lld %14lld %10lld\n", ep, (long long)jint(st, "packets"),
		       (long long)jint(st, "bytes"), (long long)jint(st, "new_flows"));
	}
	json_object *ft = jget(reply, "flow_table");

	if (ft) {
		long long n = jint(ft, "flows"), max = jint(ft, "flows_max");

		printf("\nFlow tables (as of the last sweep):\n");
		printf("  %-10s %10lld of %-10lld (%3lld%%)  evicted %lld\n", "flows", n, max,
		       max ? n * 100 / max : 0, (long long)jint(ft, "flows_evicted"));
		n = jint(ft, "syn_flows");
		max = jint(ft, "syn_max");
		printf("  %-10s %10lld of %-10lld (%3lld%%)  evicted %lld\n", "syn_flows", n, max,
		       max ? n * 100 / max : 0, (long long)jint(ft, "syn_evicted"));
	}
	printf("\nData plane counters:\n");
	json_object_object_foreach(counters, key, val)
		printf("  %-20s %llu\n", key, (unsigned long long)json_object_get_uint64(val));
	return 0;
}

/*
 * "tracking: eth0 up, eth1 down (-50), service web quorum lost (-100);
 * priority 50 of 200", and the fault if there is one.
 */
static void print_tracking(json_object *v)
{
	json_object *list = jget(v, "tracking");
	size_t n = list ? json_object_array_length(list) : 0;

	printf("  tracking:");
	for (size_t i = 0; i < n; i++) {
		json_object *t = json_object_array_get_idx(list, i);
		bool service = strcmp(jstr(t, "type"), "service") == 0;

		printf("%s %s%s %s%s", i ? "," : "", service ? "service " : "", jstr(t, "name"),
		       service ? "quorum " : "", jstr(t, "state"));
		if (jget(t, "weight"))
			printf(" (%+lld)", (long long)jint(t, "weight"));
	}
	printf("; priority %lld of %lld\n", (long long)jint(v, "priority"),
	       (long long)jint(v, "base_priority"));
	if (jget(v, "fault"))
		printf("  fault: %s\n", jstr(v, "fault"));
}

/* One line per VRRP instance, then its addresses and last transition; sync as key: value. */
static int cmd_ha(const struct xlbctl_opts *opts, json_object *reply)
{
	json_object *vrrp = jget(reply, "vrrp"), *sync = jget(reply, "sync");
	json_object *list = jget(vrrp, "instances");
	int64_t now = jint(vrrp, "now_ms");

	printf("%-16s %-10s %4s %-4s %-6s %4s %7s %-28s %8s %5s %9s %9s %6s\n", "VRRP instance",
	       "Interface", "VRID", "Fam", "State", "Prio", "Advert", "Master seen (prio, interval)",
	       "For", "Trans", "AdvertsRx", "AdvertsTx", "RxErr");
	for (size_t i = 0; list && i < json_object_array_length(list); i++) {
		json_object *v = json_object_array_get_idx(list, i);
		json_object *peer = jget(v, "peer"), *last = jget(v, "last_transition");
		json_object *cnt = jget(v, "counters"), *addrs = jget(v, "addresses");
		char state[16], master[64] = "-", d[48];
		int64_t rxerr = 0;

		snprintf(state, sizeof(state), "%s", jstr(v, "state"));
		for (char *p = state; *p; p++)
			*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
		if (peer)
			snprintf(master, sizeof(master), "%s (%lld, %lldms)", jstr(peer, "address"),
				 (long long)jint(peer, "priority"),
				 (long long)jint(peer, "advert_interval_ms"));
		json_object_object_foreach(jget(cnt, "rx_errors"), key, val) {
			(void)key;
			rxerr += json_object_get_int64(val);
		}
		printf("%-16s %-10s %4lld %-4s %-6s %4lld %5lldms %-28s %8s %5lld %9lld %9lld %6lld\n",
		       jstr(v, "name"), jstr(v, "interface"), (long long)jint(v, "vrid"),
		       strcmp(jstr(v, "family"), "ipv6") == 0 ? "v6" : "v4", state,
		       (long long)jint(v, "priority"),
		       (long long)jint(v, "master_adver_interval_ms"), master,
		       duration((double)(now - jint(last, "mono_ms")) / 1000.0, d, sizeof(d)),
		       (long long)jint(v, "transitions"), (long long)jint(cnt, "adverts_rx"),
		       (long long)jint(cnt, "adverts_tx"), (long long)rxerr);
		printf("  addresses:");
		for (size_t j = 0; addrs && j < json_object_array_length(addrs); j++)
			printf(" %s", json_object_get_string(json_object_array_get_idx(addrs, j)));
		printf("\n  last: %s -> %s (%s) %s\n", jstr(last, "from"), jstr(last, "to"),
		       jstr(last, "reason"), jstr(last, "time"));
		print_tracking(v);
	}
	if (!list || !json_object_array_length(list))
		printf("(no VRRP instances)\n");
	if (!json_object_get_boolean(jget(sync, "enabled"))) {
		printf("\nConnection sync: disabled\n");
		return 0;
	}
	printf("\nConnection sync (%s): port %lld, %lld records/s at most, refresh %llds, %lld queued\n",
	       jstr(sync, "mode"), (long long)jint(sync, "port"), (long long)jint(sync, "max_rate"),
	       (long long)jint(sync, "refresh_ms") / 1000, (long long)jint(sync, "queued"));
	list = jget(sync, "peers");
	for (size_t i = 0; list && i < json_object_array_length(list); i++) {
		json_object *p = json_object_array_get_idx(list, i);
		char d[48] = "never";

		if (jget(p, "last_rx_ms_ago"))
			duration((double)jint(p, "last_rx_ms_ago") / 1000.0, d, sizeof(d));
		printf("  peer %s:%lld  %lld messages received, last %s%s\n", jstr(p, "address"),
		       (long long)jint(p, "port"), (long long)jint(p, "rx_messages"), d,
		       jget(p, "last_rx_ms_ago") ? " ago" : "");
	}
	/* Counters three to a line, in the order xlbd lists them. */
	int col = 0;
	json_object_object_foreach(jget(sync, "counters"), key, val) {
		printf("%s%-20s %10lld", col ? "   " : "  ", key, (long long)json_object_get_int64(val));
		if (++col == 3) {
			printf("\n");
			col = 0;
		}
	}
	if (col)
		printf("\n");
	return 0;
}

static json_object *req_plain(const char *name, int argc, char **argv)
{
	json_object *req;

	if (argc != 0) {
		fprintf(stderr, "xlbctl: %s takes no arguments\n", name);
		return NULL;
	}
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string(name));
	return req;
}

/* real weight SERVICE REAL N | real drain SERVICE REAL | real enable SERVICE REAL */
static json_object *req_real(const char *name, int argc, char **argv)
{
	struct ctl_real_weight args;
	json_object *req, *weight;
	char err[256];
	long n;
	char *end;

	if (argc == 4 && strcmp(argv[0], "weight") == 0) {
		errno = 0;
		n = strtol(argv[3], &end, 10);
		/* digits only: strtol would also take " 5" and "+5" */
		if (argv[3][0] < '0' || argv[3][0] > '9' || *end || errno || n > CTL_WEIGHT_MAX) {
			fprintf(stderr, "xlbctl: bad weight '%s' (expected 0..65535)\n", argv[3]);
			return NULL;
		}
		weight = json_object_new_int64(n);
	} else if (argc == 3 && strcmp(argv[0], "drain") == 0) {
		weight = json_object_new_int64(0);
	} else if (argc == 3 && strcmp(argv[0], "enable") == 0) {
		weight = json_object_new_string(CTL_WEIGHT_CONFIG);
	} else {
		fprintf(stderr, "xlbctl: usage: xlbctl %s weight SERVICE REAL N | drain SERVICE REAL | "
				"enable SERVICE REAL\n",
			name);
		return NULL;
	}
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("real_weight"));
	json_object_object_add(req, "service", json_object_new_string(argv[1]));
	json_object_object_add(req, "real", json_object_new_string(argv[2]));
	json_object_object_add(req, "weight", weight);
	/* xlbd's own checks, so a typo is caught here with the same words. */
	if (ctl_real_weight_args(req, &args, err, sizeof(err))) {
		fprintf(stderr, "xlbctl: %s\n", err);
		json_object_put(req);
		return NULL;
	}
	return req;
}

static const struct xlbctl_cmd commands[] = {
	{ "list", "[--rate|--stats]",
	  "services and reals, like ipvsadm -Ln, with state and counters; --rate: CPS, InPPS, "
	  "InBPS; --stats: Conns, InPkts, InBytes",
	  xlbctl_req_list, cmd_list },
	{ "stats", "", "per-service traffic and the data plane's counters", req_plain, cmd_stats },
	{ "real", "weight|drain|enable SERVICE REAL [N]",
	  "set a real's weight at runtime; drain = weight 0 (its flows stay, no new ones); "
	  "enable = back to the config's weight",
	  req_real, cmd_list },
	{ "ha", "", "VRRP instances (state, tracking, master, counters) and connection sync", req_plain,
	  cmd_ha },
	{ "flows", "[--service S] [--real ADDR[:PORT]] [--client ADDR[:PORT]] [--state S] [--limit N] [--json]",
	  "the connection table, like ipvsadm -Lnc (at most --limit flows, default 1000, with counts)",
	  xlbctl_req_flows, xlbctl_cmd_flows },
	{ "zero", "", "zero the traffic counters of every service and real and the data plane's, "
		      "like ipvsadm -Z", xlbctl_req_zero, xlbctl_cmd_zero },
	{ "reload", "", "reload xlbd's config file; prints applied, or its FILE:LINE errors",
	  xlbctl_req_reload, xlbctl_cmd_reload },
	{ "trace", "CLIENT[:PORT] VIP:PORT [tcp|udp]",
	  "which real a new packet would go to, and why (flow, persistence, scheduler, exclusions)",
	  xlbctl_req_trace, xlbctl_cmd_trace },
	{ "bgp", "", "BGP: BIRD, the sessions, and each VIP's announcement and why",
	  xlbctl_req_bgp, xlbctl_cmd_bgp },
	{ "drain-node", "", "withdraw every VIP (BGP) so the routers move flows to the other "
			    "balancers; forwarding goes on", xlbctl_req_bgp, xlbctl_cmd_drain },
	{ "undrain-node", "", "end drain-node: announce the VIPs whose quorum is met",
	  xlbctl_req_bgp, xlbctl_cmd_drain },
};

static void usage(FILE *out)
{
	fprintf(out, "Usage: xlbctl [-s SOCKET] [--json] COMMAND [ARGS]\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %s %s\n      %s\n", commands[i].name, commands[i].args,
			commands[i].help);
	fprintf(out, "  import keepalived|ipvsadm [FILE]\n"
		     "      an xlb.yaml from keepalived.conf or ipvsadm rules (xlbctl import --help)\n");
	fprintf(out, "  doctor [-c FILE] [--strict] [--json]\n"
		     "      check this host for what FILE's config needs (default /etc/xlb/xlb.yaml);\n"
		     "      runs without xlbd; exit 1 on errors (--strict: on warnings too)\n");
	fprintf(out, "\nOptions:\n"
		     "  -s, --socket PATH  xlbd's control socket (default " XLBCTL_DEFAULT_SOCKET ")\n"
		     "  -j, --json         print xlbd's JSON reply, for scripts\n"
		     "\nExamples:\n"
		     "  xlbctl list\n"
		     "  xlbctl --json list | jq '.services[].reals[].stats'\n"
		     "  xlbctl real drain web 192.168.16.101\n"
		     "  xlbctl real weight web 192.168.16.101:80 5\n"
		     "  xlbctl real enable web 192.168.16.101\n"
		     "  xlbctl --json ha | jq '.vrrp.instances[] | {name, state}'\n"
		     "  xlbctl list --rate\n"
		     "  xlbctl flows --service web --state established\n"
		     "  xlbctl trace 192.168.16.7:40000 192.168.16.100:80\n"
		     "  xlbctl doctor -c /etc/xlb/xlb.yaml\n");
}

int main(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct xlbctl_opts opts = { .socket_path = XLBCTL_DEFAULT_SOCKET };
	int opt;

	/* import reads files, not xlbd, and has options of its own (tools/xlb_import_cli.c). */
	if (argc > 1 && strcmp(argv[1], "import") == 0)
		return xlb_import_main(argc - 2, argv + 2);

	while ((opt = getopt_long(argc, argv, "+s:jh", long_opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			opts.socket_path = optarg;
			break;
		case 'j':
			opts.json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[optind], "doctor") == 0)
		return xlbctl_doctor(argc - optind - 1, argv + optind + 1, opts.json);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].name, argv[optind]) != 0)
			continue;
		json_object *req = commands[i].request(commands[i].name, argc - optind - 1,
						       argv + optind + 1);
		json_object *reply;
		int rc;

		if (!req)
			return 2;
		reply = xlbctl_request(opts.socket_path, req);
		json_object_put(req);
		if (!reply)
			return 1;
		if (jget(reply, "error")) {
			fprintf(stderr, "xlbctl: xlbd: %s\n", jstr(reply, "error"));
			rc = 1;
		} else if (opts.json) {
			printf("%s\n", json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PRETTY));
			rc = 0;
		} else {
			rc = commands[i].run(&opts, reply);
		}
		json_object_put(reply);
		return rc;
	}
	fprintf(stderr, "xlbctl: unknown command '%s'\n", argv[optind]);
	usage(stderr);
	return 2;
}
