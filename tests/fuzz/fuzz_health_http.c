// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The http/https health check's response parser (src/health/http_parse.c)
 * on whatever a real, or whatever sits on its path, answers.
 *
 * Input: one byte choosing what the check expects (expect_status and
 * expect_body from small tables, so both matter), then the response.
 *
 * Invariants: the verdict does not depend on how the bytes arrive: fed in
 * one piece or in pieces of 1..17 bytes (as reads and TLS records cut
 * them), the parser ends with the same status and reason; once it has a
 * verdict it keeps it; the detail is a C string; a check is up only with
 * the status it expects and (unless chunks may split it) the body string
 * somewhere in the response; and the substring search
 * (health_match, KMP) finds the needle exactly when memmem does, in one
 * piece or in pieces.
 */
#include <string.h>

#include "fuzz.h"
#include "health/http_parse.h"

static const uint16_t statuses[] = { 0, 200, 204, 301, 404, 503, 101, 100 };
/* Needles with repeats, so KMP's failure links matter. */
static const char *const bodies[] = { NULL, "OK", "healthy", "aab", "abab", "aaaa", "\r\n\r\n",
				      "0\r\n" };

struct verdict {
	enum http_parse_status st;
	enum health_reason reason;
	uint16_t status; /* of the final response */
	bool chunked;
};

static struct verdict run(uint16_t status, const char *body, const uint8_t *d, size_t n,
			  struct fuzz_rng *rng)
{
	static struct http_parser p; /* 8 KiB of line buffer */
	enum http_parse_status st = HTTP_PARSE_MORE;
	size_t off = 0;

	http_parse_init(&p, status, body);
	while (off < n) {
		size_t piece = rng ? fuzz_rng_piece(rng, 17) : n - off;
		enum http_parse_status now;

		if (piece > n - off)
			piece = n - off;
		now = http_parse_feed(&p, d + off, piece);
		FUZZ_CHECK(st == HTTP_PARSE_MORE || now == st, "verdict %d became %d", st, now);
		st = now;
		off += piece;
	}
	if (st == HTTP_PARSE_MORE)
		st = http_parse_eof(&p);
	FUZZ_CHECK(st != HTTP_PARSE_MORE, "no verdict at the end of the response");
	FUZZ_CHECK(http_parse_feed(&p, "x", 1) == st && http_parse_eof(&p) == st,
		   "the verdict changed after it was given");
	FUZZ_CHECK(memchr(p.detail, '\0', sizeof(p.detail)), "detail is not a C string");
	FUZZ_CHECK((st == HTTP_PARSE_OK) == (p.reason == HEALTH_R_NONE), "status %d reason %d", st,
		   p.reason);
	return (struct verdict){ st, p.reason, p.status, p.chunked };
}

static void check_match(const char *needle, const uint8_t *d, size_t n, struct fuzz_rng *rng)
{
	static struct health_match whole, split;
	bool want = memmem(d, n, needle, strlen(needle)) != NULL, got_split = false;
	size_t off = 0;

	health_match_init(&whole, needle);
	health_match_init(&split, needle);
	FUZZ_CHECK(health_match_feed(&whole, d, n) == want, "KMP says %d for '%s', memmem %d",
		   !want, needle, want);
	while (off < n) {
		size_t piece = fuzz_rng_piece(rng, 17);

		if (piece > n - off)
			piece = n - off;
		got_split = health_match_feed(&split, d + off, piece);
		off += piece;
	}
	FUZZ_CHECK(got_split == want || (!n && !got_split), "KMP in pieces says %d for '%s'",
		   got_split, needle);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_rng rng;
	struct verdict a, b;
	uint16_t status;
	const char *body;

	if (!size)
		return 0;
	status = statuses[data[0] & 7];
	body = bodies[(data[0] >> 3) & 7];
	data++;
	size--;
	fuzz_rng_seed(&rng, data, size);

	a = run(status, body, data, size, NULL);
	b = run(status, body, data, size, &rng);
	FUZZ_CHECK(a.st == b.st && a.reason == b.reason,
		   "in one piece: status %d reason %d; in pieces: status %d reason %d", a.st,
		   a.reason, b.st, b.reason);
	/* Up only with the status asked for, and the body string in the body. */
	if (a.st == HTTP_PARSE_OK) {
		FUZZ_CHECK(status ? a.status == status : a.status >= 200 && a.status < 400,
			   "up with status %u (expected %u)", a.status, status);
		FUZZ_CHECK(!body || a.chunked || memmem(data, size, body, strlen(body)),
			   "up, but '%s' is nowhere in the response", body);
	}
	if (body && size < 4096)
		check_match(body, data, size, &rng);
	return 0;
}
