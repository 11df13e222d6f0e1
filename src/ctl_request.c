// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Control requests: strict JSON, known keys of known types, fields in range. */
#include "ctl_request.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "config_names.h"

/* Every key a command takes and the JSON type it must have. */
struct ctl_key {
	const char *name;
	json_type type; /* json_type_null: an integer or a string (weight) */
	bool required;
};

struct ctl_command {
	const char *name;
	const struct ctl_key *keys;
};

static const struct ctl_key ctl_keys_none[] = { { NULL } };
static const struct ctl_key ctl_keys_real_weight[] = {
	{ "service", json_type_string, true },
	{ "real", json_type_string, true },
	{ "weight", json_type_null, true },
	{ NULL },
};

/* ops/ (xlbctl flows, trace): their values are checked where they are read. */
static const struct ctl_key ctl_keys_flows[] = {
	{ "service", json_type_string, false }, { "real", json_type_string, false },
	{ "client", json_type_string, false },	{ "state", json_type_string, false },
	{ "limit", json_type_int, false },	{ NULL },
};
static const struct ctl_key ctl_keys_trace[] = {
	{ "client", json_type_string, true },
	{ "vip", json_type_string, true },
	{ "proto", json_type_string, false },
	{ NULL },
};

/* xlbd --upgrade asking the running xlbd to hand over (upgrade.h). */
static const struct ctl_key ctl_keys_upgrade[] = {
	{ "drain_ms", json_type_int, false },
	{ NULL },
};

static const struct ctl_command ctl_commands[] = {
	{ "list", ctl_keys_none },   { "stats", ctl_keys_none },
	{ "ha", ctl_keys_none },     { "real_weight", ctl_keys_real_weight },
	{ "flows", ctl_keys_flows }, { "zero", ctl_keys_none },
	{ "reload", ctl_keys_none }, { "trace", ctl_keys_trace },
	{ "bgp", ctl_keys_none },    { "drain_node", ctl_keys_none },
	{ "undrain_node", ctl_keys_none },
	{ "upgrade", ctl_keys_upgrade },
};

static int ctl_fail(char *err, size_t errlen, const char *fmt, const char *arg)
{
	snprintf(err, errlen, fmt, arg);
	return -EINVAL;
}

static const struct ctl_command *ctl_command_find(const char *name)
{
	for (size_t i = 0; i < sizeof(ctl_commands) / sizeof(ctl_commands[0]); i++)
		if (strcmp(ctl_commands[i].name, name) == 0)
			return &ctl_commands[i];
	return NULL;
}

static bool ctl_type_ok(const struct ctl_key *k, json_object *v)
{
	if (k->type == json_type_null)
		return json_object_is_type(v, json_type_int) ||
		       json_object_is_type(v, json_type_string);
	return json_object_is_type(v, k->type);
}

static const char *ctl_type_name(const struct ctl_key *k)
{
	return k->type == json_type_null ? "an integer or a string" :
	       k->type == json_type_string ? "a string" : json_type_to_name(k->type);
}

/* "web\u0000x" is valid JSON, but C reads it as "web": refused, not cut short. */
static bool ctl_has_nul(json_object *v)
{
	return json_object_is_type(v, json_type_string) &&
	       strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v);
}

static int ctl_check_keys(json_object *req, const struct ctl_command *c, char *err, size_t errlen)
{
	char msg[160];

	json_object_object_foreach(req, key, val) {
		const struct ctl_key *k = c->keys;

		if (ctl_has_nul(val)) {
			snprintf(msg, sizeof(msg), "%s: '%%s' contains a NUL character", c->name);
			return ctl_fail(err, errlen, msg, key);
		}
		if (strcmp(key, "cmd") == 0)
			continue;
		while (k->name && strcmp(k->name, key) != 0)
			k++;
		if (!k->name) {
			snprintf(msg, sizeof(msg), "%s: unknown key '%%s'", c->name);
			return ctl_fail(err, errlen, msg, key);
		}
		if (!ctl_type_ok(k, val)) {
			snprintf(msg, sizeof(msg), "%s: '%%s' must be %s", c->name, ctl_type_name(k));
			return ctl_fail(err, errlen, msg, key);
		}
	}
	for (const struct ctl_key *k = c->keys; k->name; k++) {
		if (k->required && !json_object_object_get_ex(req, k->name, NULL)) {
			snprintf(msg, sizeof(msg), "%s needs '%%s' (%s)", c->name, ctl_type_name(k));
			return ctl_fail(err, errlen, msg, k->name);
		}
	}
	return 0;
}

static bool ctl_blank(const char *p, const char *end)
{
	for (; p < end; p++)
		if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			return false;
	return true;
}

json_object *ctl_request_parse(const char *text, size_t len, char *err, size_t errlen)
{
	json_tokener *tok;
	json_object *req, *cmd;
	const struct ctl_command *c;
	size_t end;

	if (len > CTL_REQUEST_MAX) {
		snprintf(err, errlen, "request longer than %d bytes", CTL_REQUEST_MAX);
		return NULL;
	}
	if (memchr(text, '\0', len)) {
		snprintf(err, errlen, "request contains a NUL byte");
		return NULL;
	}
	tok = json_tokener_new();
	if (!tok) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	req = json_tokener_parse_ex(tok, text, (int)len);
	end = json_tokener_get_parse_end(tok);
	if (!req) {
		enum json_tokener_error e = json_tokener_get_error(tok);

		snprintf(err, errlen, "bad request: %s (expected one JSON object, e.g. {\"cmd\": \"list\"})",
			 e == json_tokener_continue ? "incomplete JSON" : json_tokener_error_desc(e));
		json_tokener_free(tok);
		return NULL;
	}
	json_tokener_free(tok);
	if (!ctl_blank(text + end, text + len)) {
		snprintf(err, errlen, "bad request: more than one JSON value");
		goto fail;
	}
	if (!json_object_is_type(req, json_type_object)) {
		snprintf(err, errlen, "bad request: not a JSON object (expected {\"cmd\": \"list\"})");
		goto fail;
	}
	if (!json_object_object_get_ex(req, "cmd", &cmd) || !json_object_is_type(cmd, json_type_string)) {
		snprintf(err, errlen, "bad request: no \"cmd\" string (expected {\"cmd\": \"list\"})");
		goto fail;
	}
	if (ctl_has_nul(cmd)) {
		snprintf(err, errlen, "bad request: \"cmd\" contains a NUL character");
		goto fail;
	}
	c = ctl_command_find(json_object_get_string(cmd));
	if (c && ctl_check_keys(req, c, err, errlen))
		goto fail;
	return req;
fail:
	json_object_put(req);
	return NULL;
}

/* The API takes one spelling: brackets only around an IPv6 address with a port. */
int ctl_endpoint_parse(const char *text, struct net_addr *addr, uint16_t *port)
{
	int ret = net_endpoint_parse(text, addr, port);

	return !ret && text[0] == '[' && !*port ? -EINVAL : ret;
}

int ctl_real_weight_args(json_object *req, struct ctl_real_weight *out, char *err, size_t errlen)
{
	json_object *svc, *real, *weight;
	const char *s;
	int64_t w;

	memset(out, 0, sizeof(*out));
	if (!json_object_object_get_ex(req, "service", &svc) ||
	    !json_object_object_get_ex(req, "real", &real) ||
	    !json_object_object_get_ex(req, "weight", &weight))
		return ctl_fail(err, errlen, "real_weight needs %s", "service, real and weight");
	out->service = json_object_get_string(svc);
	if (!config_name_ok(out->service))
		return ctl_fail(err, errlen,
				"bad service name '%.64s' (expected letters, digits, '_', '.', '-')",
				out->service);
	out->real = json_object_get_string(real);
	if (ctl_endpoint_parse(out->real, &out->addr, &out->port))
		return ctl_fail(err, errlen,
				"bad real '%.64s' (expected ADDRESS, IPV4:PORT or [IPV6]:PORT, port 1-65535)",
				out->real);
	if (json_object_is_type(weight, json_type_string)) {
		s = json_object_get_string(weight);
		if (strcmp(s, CTL_WEIGHT_CONFIG) != 0)
			return ctl_fail(err, errlen,
					"bad weight '%.64s' (expected 0..65535, or \"config\")", s);
		out->to_config = true;
		return 0;
	}
	/* json-c saturates numbers beyond int64; the range check catches those too. */
	w = json_object_get_int64(weight);
	if (!json_object_is_type(weight, json_type_int) || w < 0 || w > CTL_WEIGHT_MAX) {
		char num[32];

		snprintf(num, sizeof(num), "%lld", (long long)w);
		return ctl_fail(err, errlen, "bad weight %s (expected 0..65535, or \"config\")",
				num);
	}
	out->weight = (uint32_t)w;
	return 0;
}
