// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * mode http's message framing (src/proxy/proxy_http_parse.c): request or
 * response head, then the body framer over what follows it, as
 * proxy_http.c uses them on bytes from clients and reals.
 *
 * Input: one byte (bit 0: a response, bit 1: it answers a HEAD request),
 * then the message.
 *
 * Invariants: a parsed head ends at an empty line within the buffer and is
 * self-consistent (never both Content-Length and Transfer-Encoding; a
 * request's transfer coding ends in chunked); it holds no NUL and no bare
 * CR (it is forwarded as it came: RFC 9110 5.5, RFC 9112 2.2); parsing is a function of the
 * bytes seen so far: every prefix shorter than the head is MORE, the head
 * alone parses the same as the head with anything after it, and a BAD
 * prefix stays BAD; the body framer takes the same bytes, ends at the same
 * place and fails the same way whether fed at once or in pieces, and never
 * claims more than it was given.
 */
#include <string.h>

#include "fuzz.h"
#include "proxy/proxy_http_parse.h"

static int parse(bool response, bool head_req, const char *buf, size_t len,
		 struct proxy_http_head *h)
{
	return response ? proxy_http_parse_response(buf, len, head_req, h) :
			  proxy_http_parse_request(buf, len, h);
}

static void check_head(bool response, const char *buf, size_t len, const struct proxy_http_head *h)
{
	FUZZ_CHECK(h->head_len >= 2 && h->head_len <= len && buf[h->head_len - 1] == '\n',
		   "head of %zu bytes in %zu", h->head_len, len);
	FUZZ_CHECK(buf[h->head_len - 2] == '\n' ||
			   (h->head_len >= 3 && buf[h->head_len - 2] == '\r' &&
			    buf[h->head_len - 3] == '\n'),
		   "the head does not end with an empty line");
	FUZZ_CHECK(h->line_len >= 1 && h->line_len <= h->head_len && buf[h->line_len - 1] == '\n',
		   "first line of %zu bytes", h->line_len);
	FUZZ_CHECK(h->minor >= 0 && h->minor <= 9, "HTTP/1.%d", h->minor);
	FUZZ_CHECK(!(h->has_te && h->has_length), "both Transfer-Encoding and Content-Length");
	FUZZ_CHECK(!h->chunked || h->has_te, "chunked without Transfer-Encoding");
	FUZZ_CHECK(response || !h->has_te || h->chunked, "a request's coding does not end in chunked");
	FUZZ_CHECK(!response || (h->status >= 0 && h->status <= 999), "status %d", h->status);
	/*
	 * The head is forwarded as it came: a NUL or a CR that ends no line
	 * (RFC 9110 5.5, RFC 9112 2.2: reject or replace) would let a real
	 * that splits lines at a bare CR frame the message otherwise.
	 */
	for (size_t i = 0; i < h->head_len; i++) {
		FUZZ_CHECK(buf[i] != '\0', "a head with a NUL at %zu accepted", i);
		FUZZ_CHECK(buf[i] != '\r' || (i + 1 < h->head_len && buf[i + 1] == '\n'),
			   "a head with a bare CR at %zu accepted", i);
	}
}

struct body_result {
	ssize_t taken; /* -1: malformed */
	bool done;
};

static struct body_result feed_body(enum proxy_http_body_kind kind, uint64_t length,
				    const char *p, size_t len, struct fuzz_rng *rng)
{
	struct proxy_http_body b;
	size_t off = 0;

	proxy_http_body_init(&b, kind, length);
	while (off < len && !b.done) {
		size_t piece = rng ? fuzz_rng_piece(rng, 13) : len - off;
		ssize_t n;

		if (piece > len - off)
			piece = len - off;
		n = proxy_http_body_feed(&b, p + off, piece);
		if (n < 0) {
			FUZZ_CHECK(kind == PROXY_BODY_CHUNKED, "body kind %d failed", kind);
			return (struct body_result){ -1, false };
		}
		FUZZ_CHECK((size_t)n <= piece, "took %zd of %zu bytes", n, piece);
		FUZZ_CHECK((size_t)n == piece || b.done, "took %zd of %zu bytes and is not done", n,
			   piece);
		off += (size_t)n;
	}
	if (b.done)
		FUZZ_CHECK(proxy_http_body_feed(&b, "x", 1) == 0, "fed after done");
	return (struct body_result){ (ssize_t)off, b.done };
}

static void check_body(const struct proxy_http_head *h, bool response, bool head_req,
		       const char *p, size_t len, struct fuzz_rng *rng)
{
	enum proxy_http_body_kind kind = response ? proxy_http_response_body(h, head_req) :
						    proxy_http_request_body(h);
	struct body_result whole = feed_body(kind, h->content_length, p, len, NULL);
	struct body_result split = feed_body(kind, h->content_length, p, len, rng);

	FUZZ_CHECK(response || kind != PROXY_BODY_UNTIL_CLOSE, "a request read until close");
	FUZZ_CHECK(whole.taken == split.taken && whole.done == split.done,
		   "body kind %d: at once %zd bytes (done %d), in pieces %zd (done %d)", kind,
		   whole.taken, whole.done, split.taken, split.done);
	if (kind == PROXY_BODY_LENGTH)
		FUZZ_CHECK((uint64_t)whole.taken == (len < h->content_length ? len : h->content_length),
			   "length %llu body took %zd of %zu", (unsigned long long)h->content_length,
			   whole.taken, len);
	if (kind == PROXY_BODY_CHUNKED && whole.done)
		FUZZ_CHECK(whole.taken >= 3 && p[whole.taken - 1] == '\n',
			   "chunked body ends after %zd bytes, not at a line end", whole.taken);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_http_head h, again;
	struct fuzz_rng rng;
	bool response, head_req;
	const char *buf;
	size_t len, cut;
	int r;

	if (!size || size > PROXY_HTTP_HEAD_MAX + 4096)
		return 0;
	response = data[0] & 1;
	head_req = data[0] & 2;
	buf = (const char *)data + 1;
	len = size - 1;
	fuzz_rng_seed(&rng, data, size);

	r = parse(response, head_req, buf, len, &h);
	FUZZ_CHECK(r == PROXY_HTTP_MORE || r == PROXY_HTTP_DONE || r == PROXY_HTTP_BAD, "result %d",
		   r);
	cut = len ? (size_t)(fuzz_rng_next(&rng) % len) : 0;
	if (r == PROXY_HTTP_DONE) {
		check_head(response, buf, len, &h);
		FUZZ_CHECK(parse(response, head_req, buf, h.head_len, &again) == PROXY_HTTP_DONE &&
				   memcmp(&again, &h, sizeof(h)) == 0,
			   "the head alone parses otherwise");
		FUZZ_CHECK(parse(response, head_req, buf, h.head_len - 1, &again) == PROXY_HTTP_MORE,
			   "the head less its last byte is not MORE");
		if (cut < h.head_len)
			FUZZ_CHECK(parse(response, head_req, buf, cut, &again) == PROXY_HTTP_MORE,
				   "a prefix of %zu bytes of a %zu-byte head is not MORE", cut,
				   h.head_len);
		check_body(&h, response, head_req, buf + h.head_len, len - h.head_len, &rng);
	} else {
		int rc = parse(response, head_req, buf, cut, &again);

		/* More bytes never make a bad head good, nor a complete one incomplete. */
		FUZZ_CHECK(r == PROXY_HTTP_BAD || rc == PROXY_HTTP_MORE,
			   "MORE at %zu bytes, %d at %zu", len, rc, cut);
		FUZZ_CHECK(rc != PROXY_HTTP_DONE, "DONE at %zu bytes, %d at %zu", cut, r, len);
	}
	return 0;
}
