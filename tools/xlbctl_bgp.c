// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* xlbctl bgp | drain-node | undrain-node; see xlbctl_bgp.h. */
#include "xlbctl_bgp.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static json_object *xb_get(json_object *o, const char *key)
{
	json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

static const char *xb_str(json_object *o, const char *key)
{
	json_object *v = xb_get(o, key);

	return v ? json_object_get_string(v) : "";
}

static long long xb_int(json_object *o, const char *key)
{
	json_object *v = xb_get(o, key);

	return v ? (long long)json_object_get_int64(v) : 0;
}

static bool xb_bool(json_object *o, const char *key)
{
	json_object *v = xb_get(o, key);

	return v && json_object_get_boolean(v);
}

/* bgp -> {"cmd":"bgp"}, drain-node -> {"cmd":"drain_node"}, undrain-node likewise. */
json_object *xlbctl_req_bgp(const char *name, int argc, char **argv)
{
	char cmd[32];
	json_object *req;

	(void)argv;
	if (argc != 0) {
		fprintf(stderr, "xlbctl: %s takes no arguments\n", name);
		return NULL;
	}
	snprintf(cmd, sizeof(cmd), "%s", name);
	for (char *p = cmd; *p; p++)
		if (*p == '-')
			*p = '_';
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string(cmd));
	return req;
}

int xlbctl_cmd_bgp(const struct xlbctl_opts *opts, json_object *reply)
{
	json_object *bird = xb_get(reply, "bird"), *peers = xb_get(reply, "peers");
	json_object *vips = xb_get(reply, "vips");
	time_t now = time(NULL);

	(void)opts;
	if (!xb_bool(reply, "enabled")) {
		printf("BGP: off (no bgp: block in xlbd's config)\n");
		return 0;
	}
	printf("BGP: AS %lld%s; BIRD %s", xb_int(reply, "asn"),
	       xb_bool(reply, "draining") ? ", DRAINING (xlbctl undrain-node ends it)" : "",
	       xb_bool(bird, "running") ? "running" : "NOT RUNNING");
	if (xb_bool(bird, "running"))
		printf(" (pid %lld, %s)", xb_int(bird, "pid"),
		       xb_bool(bird, "connected") ? "control socket connected" : "connecting");
	printf("\n");
	if (*xb_str(bird, "last_error"))
		printf("  last error: %s\n", xb_str(bird, "last_error"));
	printf("\n%-40s %-10s %-5s %-8s %s\n", "Peer", "AS", "State", "For", "Info");
	for (size_t i = 0; peers && i < json_object_array_length(peers); i++) {
		json_object *p = json_object_array_get_idx(peers, i);
		long long since = xb_int(p, "since");
		char dur[32] = "-";

		if (since > 0 && now >= since)
			snprintf(dur, sizeof(dur), "%llds", (long long)now - since);
		printf("%-40s %-10lld %-5s %-8s %s\n", xb_str(p, "address"), xb_int(p, "asn"),
		       xb_bool(p, "up") ? "up" : "down", dur, xb_str(p, "info"));
	}
	printf("\n%-40s %-10s %s\n", "VIP", "State", "Why");
	for (size_t i = 0; vips && i < json_object_array_length(vips); i++) {
		json_object *v = json_object_array_get_idx(vips, i);

		printf("%-40s %-10s %s\n", xb_str(v, "vip"),
		       xb_bool(v, "announced") ? "announced" : "withdrawn", xb_str(v, "reason"));
	}
	return 0;
}

int xlbctl_cmd_drain(const struct xlbctl_opts *opts, json_object *reply)
{
	(void)opts;
	if (xb_bool(reply, "draining"))
		printf("draining: every VIP withdrawn; the routers move this node's flows to the "
		       "others, and what still arrives here is forwarded. `xlbctl bgp` shows it; "
		       "`xlbctl undrain-node` ends it.\n");
	else
		printf("drain ended: %lld VIP%s announced again (those whose quorum is met)\n",
		       xb_int(reply, "announced"), xb_int(reply, "announced") == 1 ? "" : "s");
	return 0;
}
