// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* http_parse: HTTP response validation fed whole, byte by byte and in odd pieces. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "health/http_parse.h"

struct parse_case {
	const char *name;
	const char *resp; /* NULL: use the generated text in big */
	size_t len;	  /* 0: strlen(resp) */
	uint16_t expect_status;
	const char *expect_body;
	bool eof; /* the server closes after the bytes */
	enum http_parse_status want;
	enum health_reason reason;
	const char *detail;
};

/*
 * Feeds @len bytes in pieces of @step (0: all at once) and returns the
 * verdict, with the close at the end if @eof.
 */
static enum http_parse_status feed(struct http_parser *p, const char *data, size_t len, size_t step,
				   bool eof)
{
	enum http_parse_status st = HTTP_PARSE_MORE;
	size_t off = 0;

	if (!step)
		step = len ? len : 1;
	while (off < len && st == HTTP_PARSE_MORE) {
		size_t n = len - off < step ? len - off : step;

		st = http_parse_feed(p, data + off, n);
		off += n;
	}
	if (st == HTTP_PARSE_MORE && eof)
		st = http_parse_eof(p);
	return st;
}

static const struct parse_case cases[] = {
    /* Status line. */
    {"200 no body check", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK", 0, 0, NULL, false,
     HTTP_PARSE_OK, HEALTH_R_NONE, ""},
    {"HTTP/1.0 and LF only", "HTTP/1.0 200 OK\nServer: x\n\n", 0, 0, NULL, false, HTTP_PARSE_OK,
     HEALTH_R_NONE, ""},
    {"no reason phrase", "HTTP/1.1 204\r\n\r\n", 0, 0, NULL, false, HTTP_PARSE_OK, HEALTH_R_NONE,
     ""},
    {"3xx accepted by default", "HTTP/1.1 301 Moved\r\nLocation: /x\r\n\r\n", 0, 0, NULL, false,
     HTTP_PARSE_OK, HEALTH_R_NONE, ""},
    {"503 refused at once", "HTTP/1.1 503 Service Unavailable\r\n", 0, 0, NULL, false,
     HTTP_PARSE_FAIL, HEALTH_R_STATUS, "503"},
    {"404 with default range", "HTTP/1.1 404 Not Found\r\n\r\n", 0, 0, NULL, false, HTTP_PARSE_FAIL,
     HEALTH_R_STATUS, "404"},
    {"exact expect_status", "HTTP/1.1 200 OK\r\n\r\n", 0, 202, NULL, false, HTTP_PARSE_FAIL,
     HEALTH_R_STATUS, "200"},
    {"expect_status 503 matches", "HTTP/1.1 503 x\r\n\r\n", 0, 503, NULL, false, HTTP_PARSE_OK,
     HEALTH_R_NONE, ""},
    {"100 Continue then 200",
     "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nalive", 0, 0,
     "alive", false, HTTP_PARSE_OK, HEALTH_R_NONE, ""},
    {"lower-case version", "http/1.1 200 OK\r\n\r\n", 0, 0, NULL, false, HTTP_PARSE_FAIL,
     HEALTH_R_BAD_RESPONSE, "not HTTP: 'http/1.1 200 OK'"},
    {"two-digit status", "HTTP/1.1 20 OK\r\n\r\n", 0, 0, NULL, false, HTTP_PARSE_FAIL,
     HEALTH_R_BAD_RESPONSE, "not HTTP: 'HTTP/1.1 20 OK'"},
    {"status glued to reason", "HTTP/1.1 200OK\r\n\r\n", 0, 0, NULL, false, HTTP_PARSE_FAIL,
     HEALTH_R_BAD_RESPONSE, "not HTTP: 'HTTP/1.1 200OK'"},
    {"HTTP/2 preface", "HTTP/2 200\r\n\r\n", 0, 0, NULL, false, HTTP_PARSE_FAIL,
     HEALTH_R_BAD_RESPONSE, "not HTTP: 'HTTP/2 200'"},
    {"HTTP/3.0 version", "HTTP/3.0 200 OK\r\n\r\n", 0, 0, NULL, false, HTTP_PARSE_FAIL,
     HEALTH_R_BAD_RESPONSE, "HTTP version is not 1.x"},

    /* Headers. */
    {"header without colon", "HTTP/1.1 200 OK\r\nbroken header\r\n\r\n", 0, 0, NULL, false,
     HTTP_PARSE_FAIL, HEALTH_R_BAD_RESPONSE, "header line without a name"},
    {"header name with space", "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", 0, 0, NULL, false,
     HTTP_PARSE_FAIL, HEALTH_R_BAD_RESPONSE, "bad header name"},
    {"bad Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n", 0, 0, "x", false,
     HTTP_PARSE_FAIL, HEALTH_R_BAD_RESPONSE, "bad Content-Length"},
    {"conflicting Content-Length",
     "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nOK", 0, 0, "OK", false,
     HTTP_PARSE_FAIL, HEALTH_R_BAD_RESPONSE, "conflicting Content-Length"},
    {"repeated equal Content-Length",
     "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nContent-Length:2\r\n\r\nOK", 0, 0, "OK", false,
     HTTP_PARSE_OK, HEALTH_R_NONE, ""},
    {"folded header ignored", "HTTP/1.1 200 OK\r\nX-A: 1\r\n  more\r\n\r\n", 0, 0, NULL, false,
     HTTP_PARSE_OK, HEALTH_R_NONE, ""},
    {"closed in headers", "HTTP/1.1 200 OK\r\nServer: x\r\n", 0, 0, NULL, true, HTTP_PARSE_FAIL,
     HEALTH_R_CLOSED, "in the headers"},
    {"closed before anything", "", 0, 0, NULL, true, HTTP_PARSE_FAIL, HEALTH_R_CLOSED,
     "no response"},
    {"closed in status line", "HTTP/1.1 20", 0, 0, NULL, true, HTTP_PARSE_FAIL, HEALTH_R_CLOSED,
     "in the status line"},

    /* Body match. */
    {"body found", "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello alive", 0, 0, "alive", false,
     HTTP_PARSE_OK, HEALTH_R_NONE, ""},
    {"body mismatch", "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nmaintenance", 0, 0, "alive",
     false, HTTP_PARSE_FAIL, HEALTH_R_BODY_MISMATCH, ""},
    {"string after Content-Length ignored", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcalive",
     0, 0, "alive", false, HTTP_PARSE_FAIL, HEALTH_R_BODY_MISMATCH, ""},
    {"empty body", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0, 0, "alive", false,
     HTTP_PARSE_FAIL, HEALTH_R_BODY_MISMATCH, "empty body"},
    {"204 has no body", "HTTP/1.1 204 No Content\r\n\r\n", 0, 0, "alive", false, HTTP_PARSE_FAIL,
     HEALTH_R_BODY_MISMATCH, "no body"},
    {"body until close found", "HTTP/1.0 200 OK\r\n\r\nstill alive here", 0, 0, "alive", true,
     HTTP_PARSE_OK, HEALTH_R_NONE, ""},
    {"body until close mismatch", "HTTP/1.0 200 OK\r\n\r\nnot today", 0, 0, "alive", true,
     HTTP_PARSE_FAIL, HEALTH_R_BODY_MISMATCH, ""},
    {"body truncated", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc", 0, 0, "alive", true,
     HTTP_PARSE_FAIL, HEALTH_R_CLOSED, "in the body after 3 bytes"},
    {"needle with overlap", "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\naaaaaaaab", 0, 0, "aaab",
     false, HTTP_PARSE_OK, HEALTH_R_NONE, ""},
    {"binary body with NUL", "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n\0\0alive", 45, 0,
     "alive", false, HTTP_PARSE_OK, HEALTH_R_NONE, ""},

    /* Chunked. */
    {"chunked found across chunks",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nali\r\n2;ext=1\r\nve\r\n0\r\n\r\n",
     0, 0, "alive", false, HTTP_PARSE_OK, HEALTH_R_NONE, ""},
    {"chunked mismatch",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
     "4\r\ndead\r\n0\r\nX-Trailer: 1\r\n\r\n",
     0, 0, "alive", false, HTTP_PARSE_FAIL, HEALTH_R_BODY_MISMATCH, ""},
    {"chunk size lines are not body",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nA\r\n1\r\nB\r\n0\r\n\r\n", 0, 0,
     "A1", false, HTTP_PARSE_FAIL, HEALTH_R_BODY_MISMATCH, ""},
    {"uppercase hex size",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nA\r\n0123alive5\r\n0\r\n\r\n", 0, 0,
     "alive", false, HTTP_PARSE_OK, HEALTH_R_NONE, ""},
    {"bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 0, 0, "alive",
     false, HTTP_PARSE_FAIL, HEALTH_R_BAD_RESPONSE, "bad chunk size"},
    {"chunk longer than its size",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", 0, 0, "alive", false,
     HTTP_PARSE_FAIL, HEALTH_R_BAD_RESPONSE, "chunk longer than its size"},
    {"huge chunk size",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
     "fffffffffffffffff\r\n",
     0, 0, "alive", false, HTTP_PARSE_FAIL, HEALTH_R_BAD_RESPONSE, "chunk size too large"},
    {"chunked truncated", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", 0, 0,
     "alive", true, HTTP_PARSE_FAIL, HEALTH_R_CLOSED, "in the body after 2 bytes"},

    /* Garbage. */
    {"ssh banner", "SSH-2.0-OpenSSH_9.2\r\n", 0, 0, NULL, false, HTTP_PARSE_FAIL,
     HEALTH_R_BAD_RESPONSE, "not HTTP: 'SSH-2.0-OpenSSH_9.2'"},
    {"binary, then closed", "\x16\x03\x01\x02\x00", 5, 0, NULL, true, HTTP_PARSE_FAIL,
     HEALTH_R_BAD_RESPONSE, "not HTTP: '?\?\?\?\?'"},
    {"smtp", "220 mail ESMTP\r\n", 0, 0, NULL, false, HTTP_PARSE_FAIL, HEALTH_R_BAD_RESPONSE,
     "not HTTP: '220 mail ESMTP'"},
    {"endless garbage",
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 0, 0, NULL,
     false, HTTP_PARSE_FAIL, HEALTH_R_BAD_RESPONSE, "not HTTP: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'"},
};

static void check_case(const struct parse_case *c, size_t step)
{
	struct http_parser *p = malloc(sizeof(*p));
	size_t len = c->len ? c->len : strlen(c->resp);
	enum http_parse_status st;

	assert_non_null(p);
	http_parse_init(p, c->expect_status, c->expect_body);
	st = feed(p, c->resp, len, step, c->eof);
	if (st != c->want || p->reason != c->reason || strcmp(p->detail, c->detail) != 0) {
		print_message(
		    "case '%s' step %zu: status %d reason %d detail '%s' (want %d %d '%s')\n",
		    c->name, step, st, p->reason, p->detail, c->want, c->reason, c->detail);
		free(p);
		fail();
	}
	/* A verdict sticks: more bytes do not change it. */
	assert_int_equal(http_parse_feed(p, "HTTP/1.1 200 OK\r\n", 17), st);
	free(p);
}

static void test_cases_whole(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i], 0);
}

/* The same verdicts when the response trickles in one byte at a time. */
static void test_cases_byte_by_byte(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i], 1);
}

static void test_cases_odd_pieces(void **state)
{
	for (size_t step = 2; step < 9; step++)
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			check_case(&cases[i], step);
}

/* The string split over two reads and over a chunk boundary, everywhere it can be split. */
static void test_match_across_reads(void **state)
{
	static const char resp[] =
	    "HTTP/1.1 200 OK\r\nContent-Length: 24\r\n\r\nxxxxxxxxxxxxxxxx-alive-x";
	static const char chunked[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				      "6\r\nxx-ali\r\n6\r\nve-xxx\r\n0\r\n\r\n";
	struct http_parser *p = malloc(sizeof(*p));

	assert_non_null(p);
	for (size_t cut = 1; cut < sizeof(resp) - 1; cut++) {
		enum http_parse_status st;

		http_parse_init(p, 0, "-alive-");
		st = http_parse_feed(p, resp, cut);
		if (st == HTTP_PARSE_MORE)
			st = http_parse_feed(p, resp + cut, sizeof(resp) - 1 - cut);
		assert_int_equal(st, HTTP_PARSE_OK);
	}
	for (size_t cut = 1; cut < sizeof(chunked) - 1; cut++) {
		enum http_parse_status st;

		http_parse_init(p, 0, "alive");
		st = http_parse_feed(p, chunked, cut);
		if (st == HTTP_PARSE_MORE)
			st = http_parse_feed(p, chunked + cut, sizeof(chunked) - 1 - cut);
		assert_int_equal(st, HTTP_PARSE_OK);
	}
	free(p);
}

static void test_oversized_headers(void **state)
{
	struct http_parser *p = malloc(sizeof(*p));
	char line[128];
	enum http_parse_status st;

	assert_non_null(p);
	http_parse_init(p, 0, NULL);
	st = http_parse_feed(p, "HTTP/1.1 200 OK\r\n", 17);
	memset(line, 'a', sizeof(line));
	memcpy(line, "X-Pad: ", 7);
	line[sizeof(line) - 2] = '\r';
	line[sizeof(line) - 1] = '\n';
	for (int i = 0; i < 100 && st == HTTP_PARSE_MORE; i++)
		st = http_parse_feed(p, line, sizeof(line));
	assert_int_equal(st, HTTP_PARSE_FAIL);
	assert_int_equal(p->reason, HEALTH_R_TOO_LARGE);
	assert_string_equal(p->detail, "headers larger than 8192 bytes");

	/* One endless header line, no newline at all. */
	http_parse_init(p, 0, NULL);
	st = http_parse_feed(p, "HTTP/1.1 200 OK\r\nX: ", 20);
	for (int i = 0; i < 100 && st == HTTP_PARSE_MORE; i++)
		st = http_parse_feed(p, line, 100);
	assert_int_equal(st, HTTP_PARSE_FAIL);
	assert_int_equal(p->reason, HEALTH_R_TOO_LARGE);
	free(p);
}

static void test_oversized_body(void **state)
{
	struct http_parser *p = malloc(sizeof(*p));
	char *body = malloc(HTTP_BODY_MAX + 100);
	char head[128];
	enum http_parse_status st;
	int n;

	assert_non_null(p);
	assert_non_null(body);
	memset(body, 'z', HTTP_BODY_MAX + 100);
	memcpy(body + HTTP_BODY_MAX + 10, "alive", 5);

	/* The string past the search limit is not found: too large, not a mismatch. */
	http_parse_init(p, 0, "alive");
	n = snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n",
		     HTTP_BODY_MAX + 100);
	st = http_parse_feed(p, head, (size_t)n);
	assert_int_equal(st, HTTP_PARSE_MORE);
	for (size_t off = 0; off < HTTP_BODY_MAX + 100 && st == HTTP_PARSE_MORE; off += 1000)
		st = http_parse_feed(p, body + off,
				     HTTP_BODY_MAX + 100 - off < 1000 ? HTTP_BODY_MAX + 100 - off
								      : 1000);
	assert_int_equal(st, HTTP_PARSE_FAIL);
	assert_int_equal(p->reason, HEALTH_R_TOO_LARGE);
	assert_string_equal(p->detail, "expect_body not in the first 65536 bytes");

	/* Just inside the limit it is found. */
	memcpy(body + HTTP_BODY_MAX - 5, "alive", 5);
	http_parse_init(p, 0, "alive");
	st = http_parse_feed(p, head, (size_t)n);
	st = http_parse_feed(p, body, HTTP_BODY_MAX + 100);
	assert_int_equal(st, HTTP_PARSE_OK);

	/* Without a body check a big body is never read. */
	http_parse_init(p, 0, NULL);
	assert_int_equal(http_parse_feed(p, head, (size_t)n), HTTP_PARSE_OK);
	free(body);
	free(p);
}

static void test_match_helper(void **state)
{
	struct health_match m;

	health_match_init(&m, "abcabd");
	assert_false(health_match_feed(&m, "abcab", 5));
	assert_false(health_match_feed(&m, "cab", 3));
	assert_true(health_match_feed(&m, "d", 1));
	assert_true(health_match_feed(&m, "zzz", 3)); /* stays found */
	health_match_init(&m, "");
	assert_true(health_match_feed(&m, "", 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cases_whole),	      cmocka_unit_test(test_cases_byte_by_byte),
	    cmocka_unit_test(test_cases_odd_pieces),  cmocka_unit_test(test_match_across_reads),
	    cmocka_unit_test(test_oversized_headers), cmocka_unit_test(test_oversized_body),
	    cmocka_unit_test(test_match_helper),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
