// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The ipvsadm views operators reach for, over xlbd's control socket. */
#include "xlbctl_ops.h"

#include "ops/doctor.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { LIST_PLAIN, LIST_RATE, LIST_STATS };

/* Set by a request builder, read by its printer: one command per process. */
static int list_view;
static int flows_json;

static json_object *xo_get(json_object *o, const char *key)
{
	json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

static const char *xo_str(json_object *o, const char *key)
{
	json_object *v = xo_get(o, key);

	return v ? json_object_get_string(v) : "";
}

static double xo_num(json_object *o, const char *key)
{
	return json_object_get_double(xo_get(o, key));
}

static json_object *xo_cmd(const char *cmd)
{
	json_object *req = json_object_new_object();

	json_object_object_add(req, "cmd", json_object_new_string(cmd));
	return req;
}

static void xo_endpoint(char *buf, size_t len, const char *addr, double port)
{
	snprintf(buf, len, strchr(addr, ':') ? "[%s]:%.0f" : "%s:%.0f", addr, port);
}

json_object *xlbctl_req_list(const char *name, int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--rate") == 0) {
			list_view = LIST_RATE;
		} else if (strcmp(argv[i], "--stats") == 0) {
			list_view = LIST_STATS;
		} else {
			fprintf(stderr, "xlbctl: %s: unknown option '%s' (expected --rate or --stats)\n",
				name, argv[i]);
			return NULL;
		}
	}
	return xo_cmd("list");
}

int xlbctl_list_view(void)
{
	return list_view;
}

/* ipvsadm -Ln --rate / --stats; xlb sees the inbound direction only (replies bypass DR). */
int xlbctl_list_alt(json_object *reply)
{
	json_object *services = xo_get(reply, "services");
	bool rate = list_view == LIST_RATE;
	char ep[80];

	printf("Prot LocalAddress:Port                 %10s %10s %12s\n", rate ? "CPS" : "Conns",
	       rate ? "InPPS" : "InPkts", rate ? "InBPS" : "InBytes");
	printf("  -> RemoteAddress:Port\n");
	for (size_t i = 0; services && i < json_object_array_length(services); i++) {
		json_object *s = json_object_array_get_idx(services, i);
		json_object *reals = xo_get(s, "reals");
		json_object *v = xo_get(s, rate ? "rate" : "stats");
		char proto[8];

		snprintf(proto, sizeof(proto), "%s", xo_str(s, "protocol"));
		for (char *p = proto; *p; p++)
			*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
		xo_endpoint(ep, sizeof(ep), xo_str(s, "vip"), xo_num(s, "port"));
		printf("%-4s %-32s %10.0f %10.0f %12.0f\n", proto, ep,
		       xo_num(v, rate ? "cps" : "new_flows"), xo_num(v, rate ? "pps" : "packets"),
		       xo_num(v, rate ? "bps" : "bytes"));
		for (size_t j = 0; reals && j < json_object_array_length(reals); j++) {
			json_object *r = json_object_array_get_idx(reals, j);

			v = xo_get(r, rate ? "rate" : "stats");
			xo_endpoint(ep, sizeof(ep), xo_str(r, "address"), xo_num(r, "port"));
			printf("  -> %-32s %10.0f %10.0f %12.0f\n", ep,
			       xo_num(v, rate ? "cps" : "new_flows"),
			       xo_num(v, rate ? "pps" : "packets"), xo_num(v, rate ? "bps" : "bytes"));
		}
	}
	return 0;
}

/* flows [--service S] [--real R] [--client C] [--state S] [--limit N] [--json] */
json_object *xlbctl_req_flows(const char *name, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "service", required_argument, NULL, 's' }, { "real", required_argument, NULL, 'r' },
		{ "client", required_argument, NULL, 'c' },  { "state", required_argument, NULL, 't' },
		{ "limit", required_argument, NULL, 'l' },   { "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	json_object *req = xo_cmd("flows");
	char *end;
	int opt;

	optind = 0; /* a new scan of this argv; 0 also resets getopt's state */
	while ((opt = getopt_long(argc + 1, argv - 1, "", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			json_object_object_add(req, "service", json_object_new_string(optarg));
			break;
		case 'r':
			json_object_object_add(req, "real", json_object_new_string(optarg));
			break;
		case 'c':
			json_object_object_add(req, "client", json_object_new_string(optarg));
			break;
		case 't':
			json_object_object_add(req, "state", json_object_new_string(optarg));
			break;
		case 'l': {
			long n = strtol(optarg, &end, 10);

			if (*end || end == optarg || n < 0) {
				fprintf(stderr, "xlbctl: %s: bad limit '%s' (expected a number)\n", name,
					optarg);
				json_object_put(req);
				return NULL;
			}
			json_object_object_add(req, "limit", json_object_new_int64(n));
			break;
		}
		case 'j':
			flows_json = 1;
			break;
		default:
			json_object_put(req);
			return NULL;
		}
	}
	if (optind != argc + 1) {
		fprintf(stderr, "xlbctl: %s: unexpected '%s'\n", name, argv[optind - 1]);
		json_object_put(req);
		return NULL;
	}
	return req;
}

/* mm:ss as ipvsadm -Lnc prints the expiry. */
int xlbctl_cmd_flows(const struct xlbctl_opts *opts, json_object *reply)
{
	json_object *list = xo_get(reply, "flows");
	long total = (long)xo_num(reply, "total"), matched = (long)xo_num(reply, "matched");
	long shown = (long)xo_num(reply, "shown");

	if (flows_json) {
		printf("%s\n", json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PRETTY));
		return 0;
	}
	printf("pro expire state       source                   virtual                  "
	       "destination\n");
	for (size_t i = 0; list && i < json_object_array_length(list); i++) {
		json_object *f = json_object_array_get_idx(list, i);
		long left = (long)xo_num(f, "expires_s");

		printf("%-3s %02ld:%02ld  %-11s %-24s %-24s %s\n", xo_str(f, "proto"), left / 60,
		       left % 60, xo_str(f, "state"), xo_str(f, "client"), xo_str(f, "vip"),
		       xo_str(f, "real"));
	}
	if (shown < matched)
		printf("(%ld of %ld matching flows shown, %ld in the table; raise --limit for more)\n",
		       shown, matched, total);
	else
		printf("(%ld matching flows, %ld in the table)\n", matched, total);
	return 0;
}

json_object *xlbctl_req_zero(const char *name, int argc, char **argv)
{
	if (argc) {
		fprintf(stderr, "xlbctl: %s takes no arguments\n", name);
		return NULL;
	}
	return xo_cmd("zero");
}

int xlbctl_cmd_zero(const struct xlbctl_opts *opts, json_object *reply)
{
	printf("zeroed: %.0f services, %.0f reals, %.0f data-plane counters\n",
	       xo_num(reply, "services"), xo_num(reply, "reals"), xo_num(reply, "counters"));
	return 0;
}

json_object *xlbctl_req_reload(const char *name, int argc, char **argv)
{
	if (argc) {
		fprintf(stderr, "xlbctl: %s takes no arguments (xlbd reloads the file it runs from)\n",
			name);
		return NULL;
	}
	return xo_cmd("reload");
}

int xlbctl_cmd_reload(const struct xlbctl_opts *opts, json_object *reply)
{
	json_object *errors = xo_get(reply, "errors");

	if (json_object_get_boolean(xo_get(reply, "applied"))) {
		printf("reloaded %s: %.0f services\n", xo_str(reply, "path"),
		       xo_num(reply, "services"));
		return 0;
	}
	for (size_t i = 0; errors && i < json_object_array_length(errors); i++)
		fprintf(stderr, "%s\n", json_object_get_string(json_object_array_get_idx(errors, i)));
	fprintf(stderr, "xlbctl: reload of %s rejected; the running config stays in force\n",
		xo_str(reply, "path"));
	return 1;
}

/* trace CLIENT[:PORT] VIP:PORT [tcp|udp] */
json_object *xlbctl_req_trace(const char *name, int argc, char **argv)
{
	json_object *req;

	if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "tcp") && strcmp(argv[2], "udp"))) {
		fprintf(stderr, "xlbctl: usage: xlbctl %s CLIENT[:PORT] VIP:PORT [tcp|udp]\n", name);
		return NULL;
	}
	req = xo_cmd("trace");
	json_object_object_add(req, "client", json_object_new_string(argv[0]));
	json_object_object_add(req, "vip", json_object_new_string(argv[1]));
	json_object_object_add(req, "proto", json_object_new_string(argc == 3 ? argv[2] : "tcp"));
	return req;
}

int xlbctl_cmd_trace(const struct xlbctl_opts *opts, json_object *reply)
{
	json_object *steps = xo_get(reply, "steps"), *excl = xo_get(reply, "excluded");

	if (*xo_str(reply, "service"))
		printf("service %s (%s)\n", xo_str(reply, "service"), xo_str(reply, "scheduler"));
	for (size_t i = 0; steps && i < json_object_array_length(steps); i++)
		printf("  %zu. %s\n", i + 1,
		       json_object_get_string(json_object_array_get_idx(steps, i)));
	for (size_t i = 0; excl && i < json_object_array_length(excl); i++) {
		json_object *e = json_object_array_get_idx(excl, i);

		printf("  excluded: %s: %s\n", xo_str(e, "real"), xo_str(e, "why"));
	}
	if (*xo_str(reply, "real"))
		printf("-> %s (%s)\n", xo_str(reply, "real"), xo_str(reply, "verdict"));
	else
		printf("-> no real (%s)\n", xo_str(reply, "verdict"));
	return 0;
}

/* doctor [-c FILE] [--strict]: the config's host requirements, checked here. */
int xlbctl_doctor(int argc, char **argv, int json)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "strict", no_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = "/etc/xlb/xlb.yaml";
	struct config_errors errs = {};
	struct xlb_config cfg = {};
	struct doctor_report r = {};
	bool strict = false;
	enum doctor_level worst;
	int opt;

	optind = 0;
	while ((opt = getopt_long(argc + 1, argv - 1, "c:", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 'S':
			strict = true;
			break;
		case 'j':
			json = 1;
			break;
		default:
			return 2;
		}
	}
	if (config_load(path, &cfg, &errs) < 0) {
		for (size_t i = 0; i < errs.count; i++)
			fprintf(stderr, "%s\n", errs.msgs[i]);
		fprintf(stderr, "xlbctl: doctor: %s is invalid (fix it first: xlbd -t -c %s)\n", path,
			path);
		config_errors_free(&errs);
		return 1;
	}
	doctor_run(&cfg, &r);
	worst = doctor_worst(&r);
	if (json) {
		json_object *o = doctor_json(&r);

		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
		json_object_put(o);
	} else {
		for (size_t i = 0; i < r.n; i++) {
			printf("%-7s %-12s %s\n", doctor_level_name(r.f[i].level), r.f[i].check,
			       r.f[i].what);
			if (r.f[i].fix[0])
				printf("%-7s %-12s fix: %s\n", "", "", r.f[i].fix);
		}
		printf("%s: %s\n", path,
		       worst == DOCTOR_ERROR ? "problems found" :
		       worst == DOCTOR_WARN ? "warnings only" : "ok");
	}
	doctor_report_free(&r);
	config_free(&cfg);
	return worst == DOCTOR_ERROR || (strict && worst == DOCTOR_WARN) ? 1 : 0;
}
