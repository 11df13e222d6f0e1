// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* mode http's framing: request/response heads and the body framer, whole and byte by byte. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "proxy/proxy_http_parse.h"

/* Every strict prefix is MORE, the whole head DONE (the parser restarts on each call). */
static void assert_request_prefixes(const char *text, struct proxy_http_head *h)
{
	size_t len = strlen(text);

	for (size_t i = 0; i < len; i++) {
		struct proxy_http_head tmp;

		if (proxy_http_parse_request(text, i, &tmp) != PROXY_HTTP_MORE)
			fail_msg("prefix of %zu bytes is not MORE", i);
	}
	assert_int_equal(proxy_http_parse_request(text, len, h), PROXY_HTTP_DONE);
	assert_int_equal(h->head_len, len);
}

static void test_request_get(void **state)
{
	static const char req[] = "GET /a?b=c HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n";
	struct proxy_http_head h;

	(void)state;
	assert_request_prefixes(req, &h);
	assert_int_equal(h.line_len, strlen("GET /a?b=c HTTP/1.1\r\n"));
	assert_int_equal(h.minor, 1);
	assert_true(h.keep_alive);
	assert_false(h.is_head);
	assert_int_equal(proxy_http_request_body(&h), PROXY_BODY_NONE);
	/* A pipelined next request after the head does not count. */
	assert_int_equal(
	    proxy_http_parse_request("GET / HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n", 35, &h),
	    PROXY_HTTP_DONE);
	assert_int_equal(h.head_len, 18);
}

static void test_request_keep_alive(void **state)
{
	struct proxy_http_head h;

	(void)state;
	assert_int_equal(proxy_http_parse_request("GET / HTTP/1.0\r\n\r\n", 18, &h),
			 PROXY_HTTP_DONE);
	assert_false(h.keep_alive);
	assert_request_prefixes("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &h);
	assert_true(h.keep_alive);
	assert_request_prefixes("GET / HTTP/1.1\r\nConnection: foo, close\r\n\r\n", &h);
	assert_false(h.keep_alive);
	/* Bare LF line ends are accepted (RFC 9112 2.2). */
	assert_request_prefixes("HEAD / HTTP/1.1\nHost: x\n\n", &h);
	assert_true(h.is_head);
	assert_true(h.keep_alive);
}

static void test_request_bodies(void **state)
{
	struct proxy_http_head h;

	(void)state;
	assert_request_prefixes("POST / HTTP/1.1\r\nContent-Length: 12\r\n\r\n", &h);
	assert_int_equal(proxy_http_request_body(&h), PROXY_BODY_LENGTH);
	assert_int_equal(h.content_length, 12);
	assert_request_prefixes("POST / HTTP/1.1\r\ncontent-length: 0\r\n\r\n", &h);
	assert_int_equal(proxy_http_request_body(&h), PROXY_BODY_NONE);
	assert_request_prefixes("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", &h);
	assert_int_equal(proxy_http_request_body(&h), PROXY_BODY_CHUNKED);
	/* Same length twice is fine. */
	assert_request_prefixes("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n",
				&h);
	assert_int_equal(h.content_length, 3);
}

static void test_request_bad(void **state)
{
	static const char *const bad[] = {
	    "GET / HTTP/2.0\r\n\r\n",
	    "GET /\r\n\r\n",
	    "G(T / HTTP/1.1\r\n\r\n",
	    " GET / HTTP/1.1\r\n\r\n",
	    "GET / HTTP/1.1\r\nNo colon\r\n\r\n",
	    "GET / HTTP/1.1\r\nBad name: x\r\n\r\n",
	    "GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n",
	    "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
	    "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
	    "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
	    "POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
	    "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
	    /* fuzz_proxy_http: forwarded as they came, a bare CR splits lines for some reals */
	    "POST / HTTP/1.1\r\nX: a\rContent-Length: 5\r\n\r\n",
	    "GET /a\rb HTTP/1.1\r\n\r\n",
	    "GET / HTTP/1.1\r\nX: a\r\r\n\r\n",
	};
	static const char nul[] = "GET / HTTP/1.1\r\nX: a\0b\r\n\r\n";
	struct proxy_http_head h;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (proxy_http_parse_request(bad[i], strlen(bad[i]), &h) != PROXY_HTTP_BAD)
			fail_msg("not refused: %s", bad[i]);
	assert_int_equal(proxy_http_parse_request(nul, sizeof(nul) - 1, &h), PROXY_HTTP_BAD);
}

static void test_responses(void **state)
{
	struct proxy_http_head h;
	const char *r;

	(void)state;
	r = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
	assert_int_equal(proxy_http_parse_response(r, strlen(r), false, &h), PROXY_HTTP_DONE);
	assert_int_equal(h.status, 200);
	assert_int_equal(h.head_len, strlen(r) - 5);
	assert_int_equal(proxy_http_response_body(&h, false), PROXY_BODY_LENGTH);
	assert_int_equal(proxy_http_response_body(&h, true), PROXY_BODY_NONE); /* HEAD */
	r = "HTTP/1.1 204 No Content\r\n\r\n";
	assert_int_equal(proxy_http_parse_response(r, strlen(r), false, &h), PROXY_HTTP_DONE);
	assert_int_equal(proxy_http_response_body(&h, false), PROXY_BODY_NONE);
	r = "HTTP/1.0 200\r\n\r\n";
	assert_int_equal(proxy_http_parse_response(r, strlen(r), false, &h), PROXY_HTTP_DONE);
	assert_int_equal(proxy_http_response_body(&h, false), PROXY_BODY_UNTIL_CLOSE);
	assert_false(h.keep_alive);
	r = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n";
	assert_int_equal(proxy_http_parse_response(r, strlen(r), false, &h), PROXY_HTTP_DONE);
	assert_int_equal(proxy_http_response_body(&h, false), PROXY_BODY_CHUNKED);
	assert_true(h.keep_alive);
	r = "HTTP/1.1 100 Continue\r\n\r\n";
	assert_int_equal(proxy_http_parse_response(r, strlen(r), false, &h), PROXY_HTTP_DONE);
	assert_int_equal(h.status, 100);
	assert_int_equal(proxy_http_response_body(&h, false), PROXY_BODY_NONE);
	r = "HTTP/1.1 200 OK\r\nContent-";
	assert_int_equal(proxy_http_parse_response(r, strlen(r), false, &h), PROXY_HTTP_MORE);
	r = "SSH-2.0-OpenSSH\r\n\r\n";
	assert_int_equal(proxy_http_parse_response(r, strlen(r), false, &h), PROXY_HTTP_BAD);
	r = "HTTP/1.1 2x0 OK\r\n\r\n";
	assert_int_equal(proxy_http_parse_response(r, strlen(r), false, &h), PROXY_HTTP_BAD);
	r = "HTTP/1.1 200 OK\r\nX: a\rTransfer-Encoding: chunked\r\n\r\n";
	assert_int_equal(proxy_http_parse_response(r, strlen(r), false, &h), PROXY_HTTP_BAD);
}

/* Feeds @body in pieces of @step; returns the bytes that belonged to the message. */
static ssize_t feed(enum proxy_http_body_kind kind, uint64_t length, const char *body, size_t step,
		    bool *done)
{
	struct proxy_http_body b;
	size_t len = strlen(body), off = 0;
	ssize_t total = 0;

	proxy_http_body_init(&b, kind, length);
	while (off < len && !b.done) {
		size_t n = len - off < step ? len - off : step;
		ssize_t used = proxy_http_body_feed(&b, body + off, n);

		if (used < 0)
			return -1;
		total += used;
		off += (size_t)used;
		if ((size_t)used < n && !b.done)
			fail_msg("fed %zu, took %zd, not done", n, used);
	}
	*done = b.done;
	return total;
}

static void test_bodies(void **state)
{
	static const char chunked[] = "5\r\nhello\r\n1a;ext=1\r\nabcdefghijklmnopqrstuvwxyz\r\n"
				      "0\r\nTrailer: x\r\n\r\n";
	bool done;

	(void)state;
	for (size_t step = 1; step <= sizeof(chunked); step++) {
		char buf[sizeof(chunked) + 16];

		snprintf(buf, sizeof(buf), "%sGET /next", chunked);
		assert_int_equal(feed(PROXY_BODY_CHUNKED, 0, buf, step, &done),
				 (ssize_t)strlen(chunked));
		assert_true(done);
	}
	assert_int_equal(feed(PROXY_BODY_CHUNKED, 0, "0\r\n\r\n", 1, &done), 5);
	assert_true(done);
	assert_int_equal(feed(PROXY_BODY_CHUNKED, 0, "3\nabc\n0\n\n", 2, &done), 9);
	assert_true(done);
	assert_int_equal(feed(PROXY_BODY_CHUNKED, 0, "5\r\nhel", 3, &done), 6);
	assert_false(done);
	assert_int_equal(feed(PROXY_BODY_CHUNKED, 0, "x\r\n", 1, &done), -1);
	assert_int_equal(feed(PROXY_BODY_CHUNKED, 0, "2\r\nabX\r\n", 1, &done), -1);
	assert_int_equal(feed(PROXY_BODY_CHUNKED, 0, "fffffffffffffffff\r\n", 4, &done), -1);
	assert_int_equal(feed(PROXY_BODY_LENGTH, 4, "abcdef", 3, &done), 4);
	assert_true(done);
	assert_int_equal(feed(PROXY_BODY_UNTIL_CLOSE, 0, "abcdef", 3, &done), 6);
	assert_false(done);
	assert_int_equal(feed(PROXY_BODY_NONE, 0, "abc", 1, &done), 0);
	assert_true(done);
}

/* Hop-by-hop fields go, whatever their case, and so do the ones Connection names. */
static void test_copy_fields(void **state)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: x\r\nconnection: X-Secret, close\r\n"
				  "Keep-Alive: timeout=5\r\nX-Secret: 1\r\nAccept: */*\r\n"
				  "Proxy-Connection: keep-alive\r\nX-Secretive: 2\r\n\r\n";
	static const char te[] = "POST / HTTP/1.1\r\nHost: x\r\nConnection: transfer-encoding, "
				 "host, content-length\r\nTransfer-Encoding: chunked\r\n\r\n";
	static const char up[] = "GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n";
	static const char lf[] = "HTTP/1.1 200 OK\nConnection: keep-alive\nContent-Length: 3\n\n";
	struct proxy_http_head h;
	char out[256];
	ssize_t n;

	(void)state;
	assert_int_equal(proxy_http_parse_request(req, strlen(req), &h), PROXY_HTTP_DONE);
	assert_true(h.idempotent);
	assert_false(h.keep_alive);
	n = proxy_http_copy_fields(req, &h, out, sizeof(out));
	assert_int_equal(n, strlen("Host: x\r\nAccept: */*\r\nX-Secretive: 2\r\n"));
	assert_memory_equal(out, "Host: x\r\nAccept: */*\r\nX-Secretive: 2\r\n", (size_t)n);
	/* Too small: nothing half written is used. */
	assert_int_equal(proxy_http_copy_fields(req, &h, out, 10), -1);
	/* The framing and the Host stay, whatever Connection says (no smuggling through it). */
	assert_int_equal(proxy_http_parse_request(te, strlen(te), &h), PROXY_HTTP_DONE);
	assert_false(h.idempotent);
	n = proxy_http_copy_fields(te, &h, out, sizeof(out));
	assert_int_equal(n, strlen("Host: x\r\nTransfer-Encoding: chunked\r\n"));
	assert_memory_equal(out, "Host: x\r\nTransfer-Encoding: chunked\r\n", (size_t)n);
	assert_int_equal(proxy_http_parse_request(up, strlen(up), &h), PROXY_HTTP_DONE);
	assert_true(h.upgrade);
	/* Responses too; a bare LF head. */
	assert_int_equal(proxy_http_parse_response(lf, strlen(lf), false, &h), PROXY_HTTP_DONE);
	n = proxy_http_copy_fields(lf, &h, out, sizeof(out));
	assert_int_equal(n, strlen("Content-Length: 3\n"));
}

static void test_idempotent(void **state)
{
	static const char *const yes[] = {"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"};
	static const char *const no[] = {"POST", "PATCH", "CONNECT", "get", "GETS"};
	struct proxy_http_head h;
	char req[64];

	(void)state;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		snprintf(req, sizeof(req), "%s / HTTP/1.1\r\n\r\n", yes[i]);
		assert_int_equal(proxy_http_parse_request(req, strlen(req), &h), PROXY_HTTP_DONE);
		assert_true(h.idempotent);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		snprintf(req, sizeof(req), "%s / HTTP/1.1\r\n\r\n", no[i]);
		assert_int_equal(proxy_http_parse_request(req, strlen(req), &h), PROXY_HTTP_DONE);
		assert_false(h.idempotent);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request_get),	   cmocka_unit_test(test_request_keep_alive),
	    cmocka_unit_test(test_request_bodies), cmocka_unit_test(test_request_bad),
	    cmocka_unit_test(test_responses),	   cmocka_unit_test(test_bodies),
	    cmocka_unit_test(test_copy_fields),	   cmocka_unit_test(test_idempotent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
