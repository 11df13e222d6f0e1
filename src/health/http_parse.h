/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Incremental HTTP/1.x response validation for the http and https checks. */
#ifndef XLB_HTTP_PARSE_H
#define XLB_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "health/health.h"

/* Response headers larger than this are not a health endpoint's. */
#define HTTP_HEADERS_MAX 8192
/* How much body is searched for expect_body before giving up. */
#define HTTP_BODY_MAX (64 * 1024)

/*
 * A substring search that is fed its haystack in pieces (Knuth-Morris-Pratt),
 * so a match split across reads or chunks is found without buffering.
 */
struct health_match {
	const char *needle; /* not owned */
	size_t len;
	size_t pos; /* bytes of needle matched so far */
	uint16_t fail[HEALTH_MATCH_MAX];
};

void health_match_init(struct health_match *m, const char *needle);
/* True once the needle has been seen (and stays true). */
bool health_match_feed(struct health_match *m, const void *data, size_t len);

enum http_parse_status {
	HTTP_PARSE_MORE = 0, /* feed more */
	HTTP_PARSE_OK,	     /* the response is what was expected; stop reading */
	HTTP_PARSE_FAIL,     /* see reason and detail */
};

struct http_parser {
	/* What is expected. */
	uint16_t expect_status; /* 0: any 2xx or 3xx */
	bool match_body;
	struct health_match body;

	/* Where we are. */
	uint8_t state;
	uint16_t status;
	bool chunked;
	bool have_length;
	bool status_ok;
	bool garbage; /* the status line does not start with "HTTP/" */
	uint64_t content_length;
	uint64_t chunk_left;
	size_t head_len; /* bytes of status line and headers so far */
	size_t body_seen;
	char line[HTTP_HEADERS_MAX]; /* the line being read */
	size_t line_len;

	/* The verdict, once not MORE. */
	enum health_reason reason;
	char detail[64];
};

/* @expect_body NULL or "" means no body check. */
void http_parse_init(struct http_parser *p, uint16_t expect_status, const char *expect_body);
/* Feeds received bytes; returns MORE until there is a verdict, then keeps returning it. */
enum http_parse_status http_parse_feed(struct http_parser *p, const void *data, size_t len);
/* The server closed the connection: the verdict given what was read. */
enum http_parse_status http_parse_eof(struct http_parser *p);

#endif /* XLB_HTTP_PARSE_H */
