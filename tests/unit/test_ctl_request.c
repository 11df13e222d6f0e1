// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Control requests: every field checked, every bad one refused with a clear error. */
#include <arpa/inet.h>
#include <json-c/json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ctl_request.h"

static char err[256];

static json_object *parse(const char *text)
{
	err[0] = '\0';
	return ctl_request_parse(text, strlen(text), err, sizeof(err));
}

/* @text is refused and the error mentions @why. */
static void refused(const char *text, const char *why)
{
	json_object *req = parse(text);

	if (req)
		fail_msg("accepted: %s", text);
	if (!strstr(err, why))
		fail_msg("%s: error '%s' does not say '%s'", text, err, why);
}

/* @text parses, but real_weight's fields are refused with @why. */
static void args_refused(const char *text, const char *why)
{
	struct ctl_real_weight a;
	json_object *req = parse(text);

	if (!req)
		fail_msg("%s: refused by the parser: %s", text, err);
	err[0] = '\0';
	if (ctl_real_weight_args(req, &a, err, sizeof(err)) == 0)
		fail_msg("accepted: %s", text);
	if (!strstr(err, why))
		fail_msg("%s: error '%s' does not say '%s'", text, err, why);
	json_object_put(req);
}

static void test_well_formed(void **state)
{
	struct ctl_real_weight a;
	json_object *req;

	(void)state;
	req = parse("{\"cmd\": \"list\"}\n");
	assert_non_null(req);
	json_object_put(req);
	req = parse("  {\"cmd\":\"ha\"}  ");
	assert_non_null(req);
	json_object_put(req);
	/* A command this file does not know is its handler's business ("unknown command"). */
	req = parse("{\"cmd\":\"future\",\"x\":1}");
	assert_non_null(req);
	json_object_put(req);

	req = parse("{\"cmd\":\"real_weight\",\"service\":\"web\",\"real\":\"10.0.0.1:8080\",\"weight\":7}");
	assert_non_null(req);
	assert_int_equal(ctl_real_weight_args(req, &a, err, sizeof(err)), 0);
	assert_string_equal(a.service, "web");
	assert_int_equal(a.port, 8080);
	assert_int_equal(a.addr.family, AF_INET);
	assert_false(a.to_config);
	assert_int_equal(a.weight, 7);
	json_object_put(req);

	req = parse("{\"cmd\":\"real_weight\",\"service\":\"web\",\"real\":\"[2001:db8::1]:80\",\"weight\":\"config\"}");
	assert_non_null(req);
	assert_int_equal(ctl_real_weight_args(req, &a, err, sizeof(err)), 0);
	assert_int_equal(a.addr.family, AF_INET6);
	assert_int_equal(a.port, 80);
	assert_true(a.to_config);
	json_object_put(req);

	req = parse("{\"cmd\":\"real_weight\",\"service\":\"web\",\"real\":\"2001:db8::1\",\"weight\":0}");
	assert_non_null(req);
	assert_int_equal(ctl_real_weight_args(req, &a, err, sizeof(err)), 0);
	assert_int_equal(a.port, 0);
	assert_int_equal(a.weight, 0);
	json_object_put(req);
}

static void test_bad_json(void **state)
{
	char big[CTL_REQUEST_MAX + 64];

	(void)state;
	refused("", "incomplete");
	refused("{\"cmd\":\"list\"", "incomplete");
	refused("[\"list\"]", "not a JSON object");
	refused("\"list\"", "not a JSON object");
	refused("{\"cmd\":\"list\"} {\"cmd\":\"list\"}", "bad request");
	refused("{\"cmd\":\"list\"}x", "bad request");
	refused("{}", "no \"cmd\"");
	refused("{\"cmd\":1}", "no \"cmd\"");
	refused("{'cmd':'list'}", "bad request"); /* strict JSON only */
	/* Longer than a request may be: refused, not cut to something that parses. */
	memset(big, ' ', sizeof(big));
	memcpy(big, "{\"cmd\":\"list\"}", 14);
	big[sizeof(big) - 1] = '\0';
	refused(big, "longer than");
	assert_null(ctl_request_parse("{\"cmd\":\"list\"}\0x", 16, err, sizeof(err)));
	assert_non_null(strstr(err, "NUL"));
}

static void test_keys(void **state)
{
	(void)state;
	refused("{\"cmd\":\"list\",\"verbose\":true}", "unknown key 'verbose'");
	refused("{\"cmd\":\"real_weight\",\"service\":\"web\",\"real\":\"10.0.0.1\",\"weight\":1,\"force\":1}",
		"unknown key 'force'");
	refused("{\"cmd\":\"real_weight\",\"real\":\"10.0.0.1\",\"weight\":1}", "needs 'service'");
	refused("{\"cmd\":\"real_weight\",\"service\":\"web\",\"weight\":1}", "needs 'real'");
	refused("{\"cmd\":\"real_weight\",\"service\":\"web\",\"real\":\"10.0.0.1\"}", "needs 'weight'");
	refused("{\"cmd\":\"real_weight\",\"service\":7,\"real\":\"10.0.0.1\",\"weight\":1}",
		"'service' must be a string");
	refused("{\"cmd\":\"real_weight\",\"service\":\"web\",\"real\":[],\"weight\":1}",
		"'real' must be a string");
	/* Found by fuzz_ctl: C read these as "web" and "10.0.0.1" (any port). */
	refused("{\"cmd\":\"real_weight\",\"service\":\"web\\u0000x\",\"real\":\"10.0.0.1\",\"weight\":1}",
		"'service' contains a NUL");
	refused("{\"cmd\":\"real_weight\",\"service\":\"web\",\"real\":\"10.0.0.1\\u0000:99\",\"weight\":1}",
		"'real' contains a NUL");
	refused("{\"cmd\":\"list\\u0000x\"}", "\"cmd\" contains a NUL");
	/* xlbd --upgrade's request: only drain_ms, an integer (its range is ctl.c's). */
	refused("{\"cmd\":\"upgrade\",\"drain_ms\":\"60s\"}", "'drain_ms' must be int");
	refused("{\"cmd\":\"upgrade\",\"fds\":1}", "unknown key 'fds'");
	json_object_put(parse("{\"cmd\":\"upgrade\",\"drain_ms\":1000}"));
	assert_string_equal(err, "");
}

/* The defects found: "abc" drained the real (0), a negative weight reset it. */
static void test_weight(void **state)
{
	(void)state;
	args_refused("{\"cmd\":\"real_weight\",\"service\":\"web\",\"real\":\"10.0.0.1\",\"weight\":\"abc\"}",
		     "bad weight 'abc'");
	args_refused("{\"cmd\":\"real_weight\",\"service\":\"web\",\"real\":\"10.0.0.1\",\"weight\":-1}",
		     "bad weight -1");
	args_refused("{\"cmd\":\"real_weight\",\"service\":\"web\",\"real\":\"10.0.0.1\",\"weight\":65536}",
		     "bad weight 65536");
	args_refused("{\"cmd\":\"real_weight\",\"service\":\"web\",\"real\":\"10.0.0.1\",\"weight\":99999999999999999999999}",
		     "bad weight");
	args_refused("{\"cmd\":\"real_weight\",\"service\":\"web\",\"real\":\"10.0.0.1\",\"weight\":\"5\"}",
		     "bad weight '5'");
	refused("{\"cmd\":\"real_weight\",\"service\":\"web\",\"real\":\"10.0.0.1\",\"weight\":1.5}",
		"'weight' must be an integer or a string");
	refused("{\"cmd\":\"real_weight\",\"service\":\"web\",\"real\":\"10.0.0.1\",\"weight\":true}",
		"'weight' must be");
	refused("{\"cmd\":\"real_weight\",\"service\":\"web\",\"real\":\"10.0.0.1\",\"weight\":null}",
		"'weight' must be");
}

static void test_service_and_real(void **state)
{
	(void)state;
	args_refused("{\"cmd\":\"real_weight\",\"service\":\"\",\"real\":\"10.0.0.1\",\"weight\":1}",
		     "bad service name");
	args_refused("{\"cmd\":\"real_weight\",\"service\":\"we b\\n\",\"real\":\"10.0.0.1\",\"weight\":1}",
		     "bad service name");
	/* atoi() made these port 0, which matched the real on any port. */
	args_refused("{\"cmd\":\"real_weight\",\"service\":\"web\",\"real\":\"10.0.0.1:abc\",\"weight\":1}",
		     "bad real '10.0.0.1:abc'");
	args_refused("{\"cmd\":\"real_weight\",\"service\":\"web\",\"real\":\"10.0.0.1:0\",\"weight\":1}",
		     "bad real");
	args_refused("{\"cmd\":\"real_weight\",\"service\":\"web\",\"real\":\"10.0.0.1:65536\",\"weight\":1}",
		     "bad real");
	args_refused("{\"cmd\":\"real_weight\",\"service\":\"web\",\"real\":\"10.0.0.1:80x\",\"weight\":1}",
		     "bad real");
	args_refused("{\"cmd\":\"real_weight\",\"service\":\"web\",\"real\":\"[10.0.0.1]:80\",\"weight\":1}",
		     "bad real");
	args_refused("{\"cmd\":\"real_weight\",\"service\":\"web\",\"real\":\"[2001:db8::1]\",\"weight\":1}",
		     "bad real");
	args_refused("{\"cmd\":\"real_weight\",\"service\":\"web\",\"real\":\"web1.example\",\"weight\":1}",
		     "bad real");
	args_refused("{\"cmd\":\"real_weight\",\"service\":\"web\",\"real\":\"\",\"weight\":1}",
		     "bad real");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_well_formed), cmocka_unit_test(test_bad_json),
		cmocka_unit_test(test_keys),	    cmocka_unit_test(test_weight),
		cmocka_unit_test(test_service_and_real),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
