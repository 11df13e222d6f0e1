/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * HTTP/1.x message framing for mode http: request and response heads (what
 * the proxy must know to forward them) and an incremental body framer that
 * finds where a message ends (Content-Length, chunked, or until close).
 * No I/O, no allocation.
 */
#ifndef XLB_PROXY_HTTP_PARSE_H
#define XLB_PROXY_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A head larger than this is refused (request: 431, response: 502). */
#define PROXY_HTTP_HEAD_MAX (16 * 1024)

enum proxy_http_parse_result {
	PROXY_HTTP_MORE = 0, /* the head is not complete yet */
	PROXY_HTTP_DONE = 1,
	PROXY_HTTP_BAD = -1, /* not HTTP/1.x, or framing we must not guess at */
};

enum proxy_http_body_kind {
	PROXY_BODY_NONE = 0,
	PROXY_BODY_LENGTH,
	PROXY_BODY_CHUNKED,
	PROXY_BODY_UNTIL_CLOSE, /* a response without length: ends when the real closes */
};

struct proxy_http_head {
	size_t head_len; /* through the empty line */
	size_t line_len; /* the first line with its line end: X-Forwarded-For goes after it */
	int minor;	 /* HTTP/1.minor */
	bool keep_alive; /* the connection stays open after this message */
	bool has_te;	 /* a Transfer-Encoding field */
	bool chunked;	 /* ... whose last coding is chunked */
	bool has_length;
	uint64_t content_length;
	bool is_head; /* request: method HEAD, so its response has no body */
	bool idempotent; /* request: GET, HEAD, OPTIONS, TRACE, PUT or DELETE (RFC 9110 9.2.2) */
	bool upgrade;	 /* Connection names "upgrade" */
	bool has_host;	 /* request: a Host field (the first one), at host_off */
	size_t host_off, host_len;
	size_t target_off, target_len; /* request: the request target */
	int status;   /* response */
};

/*
 * Parses the head at the start of @buf (@len bytes so far). DONE fills @h;
 * MORE means feed more (the caller enforces PROXY_HTTP_HEAD_MAX).
 */
int proxy_http_parse_request(const char *buf, size_t len, struct proxy_http_head *h);
int proxy_http_parse_response(const char *buf, size_t len, bool request_was_head,
			      struct proxy_http_head *h);

/* How the body after @h is framed (a request never reads until close). */
enum proxy_http_body_kind proxy_http_request_body(const struct proxy_http_head *h);
enum proxy_http_body_kind proxy_http_response_body(const struct proxy_http_head *h,
						   bool request_was_head);

/*
 * Copies the header fields of the head at @buf (parsed into @h: after its
 * first line, without the empty line that ends it) to @out, leaving out the
 * hop-by-hop ones (RFC 9110 7.6.1): Connection, Keep-Alive,
 * Proxy-Connection and every field that Connection names. The bytes
 * written, or -1 if they do not fit in @size.
 */
ssize_t proxy_http_copy_fields(const char *buf, const struct proxy_http_head *h, char *out,
			       size_t size);

struct proxy_http_body {
	enum proxy_http_body_kind kind;
	uint64_t left; /* LENGTH: bytes left; CHUNKED: of the current chunk's data */
	int state;     /* chunked decoder state */
	bool done;
};

void proxy_http_body_init(struct proxy_http_body *b, enum proxy_http_body_kind kind,
			  uint64_t length);
/*
 * Feeds @len bytes of body: returns how many belong to this message (fewer
 * than @len only once b->done), or -1 for a malformed chunked encoding.
 * UNTIL_CLOSE takes everything; the caller ends it at the close.
 */
ssize_t proxy_http_body_feed(struct proxy_http_body *b, const char *p, size_t len);

#endif /* XLB_PROXY_HTTP_PARSE_H */
