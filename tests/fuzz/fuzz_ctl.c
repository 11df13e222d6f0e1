// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Control requests as xlbd reads them from its socket: ctl_request_parse
 * (src/ctl_request.c) on the bytes, ctl_real_weight_args on a parsed
 * real_weight, and the endpoint parsers (ctl_endpoint_parse; and
 * ops_parse_endpoint, which `flows` and `trace` use) on the same bytes as a
 * string, so one corpus serves requests and endpoints.
 *
 * Invariants: a refusal always says why; an accepted request is one JSON
 * object with a string "cmd", and for the commands ctl_request.c knows,
 * only their keys, each of its type, the required ones present, no string
 * with a NUL (an escaped \u0000 would cut it short where C reads it); the fields
 * real_weight_args accepts are in range; a parsed endpoint prints and
 * parses back to itself, and what the strict parser accepts the lenient
 * one reads the same.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <string.h>

#include "config_names.h"
#include "ctl_request.h"
#include "fuzz.h"
#include "ops/endpoint.h"

struct key_rule {
	const char *cmd, *key;
	json_type type; /* json_type_null: an integer or a string */
	bool required;
};

/* ctl_request.c's table, restated: what the socket's contract says (docs/SECURITY.md). */
static const struct key_rule rules[] = {
	{ "real_weight", "service", json_type_string, true },
	{ "real_weight", "real", json_type_string, true },
	{ "real_weight", "weight", json_type_null, true },
	{ "flows", "service", json_type_string, false },
	{ "flows", "real", json_type_string, false },
	{ "flows", "client", json_type_string, false },
	{ "flows", "state", json_type_string, false },
	{ "flows", "limit", json_type_int, false },
	{ "trace", "client", json_type_string, true },
	{ "trace", "vip", json_type_string, true },
	{ "trace", "proto", json_type_string, false },
};
static const char *const bare_cmds[] = { "list", "stats", "ha", "zero", "reload" };

static bool known_cmd(const char *cmd)
{
	for (size_t i = 0; i < sizeof(bare_cmds) / sizeof(bare_cmds[0]); i++)
		if (strcmp(cmd, bare_cmds[i]) == 0)
			return true;
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (strcmp(cmd, rules[i].cmd) == 0)
			return true;
	return false;
}

static const struct key_rule *rule_for(const char *cmd, const char *key)
{
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (strcmp(cmd, rules[i].cmd) == 0 && strcmp(key, rules[i].key) == 0)
			return &rules[i];
	return NULL;
}

static bool has_nul(json_object *v)
{
	return json_object_is_type(v, json_type_string) &&
	       strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v);
}

static void check_request(json_object *req)
{
	json_object *cmd_obj;
	const char *cmd;

	FUZZ_CHECK(json_object_is_type(req, json_type_object), "accepted a %s",
		   json_type_to_name(json_object_get_type(req)));
	FUZZ_CHECK(json_object_object_get_ex(req, "cmd", &cmd_obj) &&
			   json_object_is_type(cmd_obj, json_type_string),
		   "accepted without a string cmd");
	cmd = json_object_get_string(cmd_obj);
	FUZZ_CHECK(!has_nul(cmd_obj), "accepted a cmd with a NUL (\\u0000) in it: '%s'", cmd);
	if (!known_cmd(cmd))
		return; /* left to its handler */
	json_object_object_foreach(req, key, val) {
		const struct key_rule *r = rule_for(cmd, key);

		if (strcmp(key, "cmd") == 0)
			continue;
		FUZZ_CHECK(r, "%s accepted with key '%s'", cmd, key);
		FUZZ_CHECK(r->type == json_type_null ?
				   json_object_is_type(val, json_type_int) ||
					   json_object_is_type(val, json_type_string) :
				   json_object_is_type(val, r->type),
			   "%s accepted '%s' of type %s", cmd, key,
			   json_type_to_name(json_object_get_type(val)));
		/* C code reads the value up to the NUL: "web\u0000x" would act on "web". */
		FUZZ_CHECK(!has_nul(val), "%s accepted '%s' with a NUL (\\u0000) in it", cmd, key);
	}
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (strcmp(cmd, rules[i].cmd) == 0 && rules[i].required)
			FUZZ_CHECK(json_object_object_get_ex(req, rules[i].key, NULL),
				   "%s accepted without '%s'", cmd, rules[i].key);
}

static void check_real_weight(json_object *req)
{
	struct ctl_real_weight rw;
	struct net_addr addr;
	uint16_t port;
	char err[256] = "";

	if (ctl_real_weight_args(req, &rw, err, sizeof(err))) {
		FUZZ_CHECK(err[0], "real_weight refused without a reason");
		return;
	}
	FUZZ_CHECK(config_name_ok(rw.service), "service '%s'", rw.service);
	FUZZ_CHECK(rw.to_config || rw.weight <= CTL_WEIGHT_MAX, "weight %u", rw.weight);
	FUZZ_CHECK(ctl_endpoint_parse(rw.real, &addr, &port) == 0 && net_addr_equal(&addr, &rw.addr) &&
			   port == rw.port,
		   "real '%s' parsed otherwise than on its own", rw.real);
}

/* ADDR[:PORT] or [ADDR6]:PORT back to text, parsed again: the same endpoint. */
static void check_endpoint_roundtrip(const struct net_addr *addr, int port, bool strict)
{
	char a[NET_ADDR_STRLEN], text[NET_ADDR_STRLEN + 16];
	struct net_addr addr2;
	int ret, port2;
	uint16_t p16;

	FUZZ_CHECK(addr->family == AF_INET || addr->family == AF_INET6, "family %d",
		   addr->family);
	FUZZ_CHECK(port >= 0 && port <= 65535, "port %d", port);
	net_addr_str(addr, a, sizeof(a));
	if (!port)
		snprintf(text, sizeof(text), "%s", a);
	else
		snprintf(text, sizeof(text), addr->family == AF_INET6 ? "[%s]:%d" : "%s:%d", a, port);
	if (strict) {
		ret = ctl_endpoint_parse(text, &addr2, &p16);
		port2 = p16;
	} else {
		ret = ops_parse_endpoint(text, &addr2, &port2);
	}
	FUZZ_CHECK(ret == 0 && net_addr_equal(addr, &addr2) && port == port2,
		   "'%s' does not parse back to itself (%s)", text, strict ? "ctl" : "ops");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256] = "", text[CTL_REQUEST_MAX + 1];
	struct net_addr a1, a2;
	json_object *req;
	uint16_t p1;
	int p2, r1, r2;

	req = ctl_request_parse((const char *)data, size, err, sizeof(err));
	if (!req) {
		FUZZ_CHECK(err[0] && memchr(err, '\0', sizeof(err)), "refused without a reason");
	} else {
		json_object *cmd;

		check_request(req);
		if (json_object_object_get_ex(req, "cmd", &cmd) &&
		    strcmp(json_object_get_string(cmd), "real_weight") == 0)
			check_real_weight(req);
		json_object_put(req);
	}

	if (size > CTL_REQUEST_MAX)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	r1 = ctl_endpoint_parse(text, &a1, &p1);
	r2 = ops_parse_endpoint(text, &a2, &p2);
	FUZZ_CHECK(r1 == 0 || r1 == -EINVAL, "ctl_endpoint_parse returned %d", r1);
	if (!r1) {
		check_endpoint_roundtrip(&a1, p1, true);
		FUZZ_CHECK(r2 == 0 && net_addr_equal(&a1, &a2) && p1 == p2,
			   "'%s': ctl reads it, ops reads %s", text, r2 ? "nothing" : "another");
	}
	if (!r2)
		check_endpoint_roundtrip(&a2, p2, false);
	return 0;
}
