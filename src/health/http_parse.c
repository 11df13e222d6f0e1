// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Incremental HTTP/1.x response validation. Bytes arrive in whatever pieces
 * the socket (or TLS) hands over; the parser keeps only the current line and
 * a few counters, decides as early as it can (a wrong status needs no more
 * reading, neither does a body string once found) and searches the body
 * for expect_body across reads and chunk boundaries without buffering it.
 */
#include "health/http_parse.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "health/health_net.h"

enum http_state {
	HS_STATUS = 0,
	HS_HEADERS,
	HS_BODY_LENGTH,
	HS_BODY_EOF,
	HS_CHUNK_SIZE,
	HS_CHUNK_DATA,
	HS_CHUNK_END,
	HS_TRAILERS,
	HS_OK,
	HS_FAIL,
};

/* Chunk-size and trailer lines are short; anything longer is not HTTP. */
#define HTTP_CHUNK_LINE_MAX 1024
/* How much of a response that is not HTTP is quoted in the reason. */
#define HTTP_GARBAGE_QUOTE 32

void health_match_init(struct health_match *m, const char *needle)
{
	size_t k = 0;

	memset(m, 0, sizeof(*m));
	m->needle = needle ? needle : "";
	m->len = strnlen(m->needle, HEALTH_MATCH_MAX - 1);
	for (size_t i = 1; i < m->len; i++) {
		while (k && m->needle[i] != m->needle[k])
			k = m->fail[k - 1];
		if (m->needle[i] == m->needle[k])
			k++;
		m->fail[i] = (uint16_t)k;
	}
}

bool health_match_feed(struct health_match *m, const void *data, size_t len)
{
	const char *p = data;

	if (m->pos == m->len)
		return true;
	for (size_t i = 0; i < len; i++) {
		while (m->pos && p[i] != m->needle[m->pos])
			m->pos = m->fail[m->pos - 1];
		if (p[i] == m->needle[m->pos] && ++m->pos == m->len)
			return true;
	}
	return false;
}

void http_parse_init(struct http_parser *p, uint16_t expect_status, const char *expect_body)
{
	memset(p, 0, sizeof(*p));
	p->expect_status = expect_status;
	p->match_body = expect_body && *expect_body;
	if (p->match_body)
		health_match_init(&p->body, expect_body);
	p->state = HS_STATUS;
}

static enum http_parse_status http_fail(struct http_parser *p, enum health_reason reason,
					const char *detail)
{
	p->state = HS_FAIL;
	p->reason = reason;
	snprintf(p->detail, sizeof(p->detail), "%s", detail ? detail : "");
	return HTTP_PARSE_FAIL;
}

static enum http_parse_status http_ok(struct http_parser *p)
{
	p->state = HS_OK;
	p->reason = HEALTH_R_NONE;
	return HTTP_PARSE_OK;
}

static enum http_parse_status http_not_http(struct http_parser *p, const char *start, size_t n)
{
	char what[40], detail[64];

	health_printable(start, n < 32 ? n : 32, what, sizeof(what));
	snprintf(detail, sizeof(detail), "not HTTP: '%s'", what);
	return http_fail(p, HEALTH_R_BAD_RESPONSE, detail);
}

static bool http_status_accepted(const struct http_parser *p)
{
	if (p->expect_status)
		return p->status == p->expect_status;
	return p->status >= 200 && p->status < 400;
}

/* "HTTP/1.1 200 OK": version, three digits, then nothing or a space and a reason. */
static enum http_parse_status http_status_line(struct http_parser *p, const char *l, size_t n)
{
	char code[8];

	if (n < 12 || memcmp(l, "HTTP/", 5) != 0 || !isdigit((unsigned char)l[5]) || l[6] != '.' ||
	    !isdigit((unsigned char)l[7]) || l[8] != ' ' || !isdigit((unsigned char)l[9]) ||
	    !isdigit((unsigned char)l[10]) || !isdigit((unsigned char)l[11]) ||
	    (n > 12 && l[12] != ' '))
		return http_not_http(p, l, n);
	if (l[5] != '1')
		return http_fail(p, HEALTH_R_BAD_RESPONSE, "HTTP version is not 1.x");
	p->status = (uint16_t)((l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0'));
	if (p->status < 100)
		return http_not_http(p, l, n);
	/* 1xx before the real response (100 Continue, 103 Early Hints). */
	if (p->status < 200 && p->status != 101) {
		p->state = HS_HEADERS;
		return HTTP_PARSE_MORE;
	}
	p->status_ok = http_status_accepted(p);
	if (!p->status_ok) {
		snprintf(code, sizeof(code), "%u", p->status);
		return http_fail(p, HEALTH_R_STATUS, code);
	}
	p->state = HS_HEADERS;
	return HTTP_PARSE_MORE;
}

static bool http_token_char(char ch)
{
	return isalnum((unsigned char)ch) || strchr("!#$%&'*+-.^_`|~", ch);
}

static void http_trim(const char **s, size_t *n)
{
	while (*n && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

/* True if the last coding of a Transfer-Encoding list is "chunked". */
static bool http_te_chunked(const char *v, size_t n)
{
	const char *last = v;
	size_t len;

	for (size_t i = 0; i < n; i++)
		if (v[i] == ',')
			last = v + i + 1;
	len = n - (size_t)(last - v);
	http_trim(&last, &len);
	return len == 7 && strncasecmp(last, "chunked", 7) == 0;
}

static enum http_parse_status http_body_start(struct http_parser *p)
{
	if (!p->match_body)
		return http_ok(p);
	/* No body by definition: nothing to find the string in. */
	if (p->status == 204 || p->status == 304)
		return http_fail(p, HEALTH_R_BODY_MISMATCH, "no body");
	if (p->chunked) {
		p->state = HS_CHUNK_SIZE;
	} else if (p->have_length) {
		if (!p->content_length)
			return http_fail(p, HEALTH_R_BODY_MISMATCH, "empty body");
		p->state = HS_BODY_LENGTH;
	} else {
		p->state = HS_BODY_EOF;
	}
	return HTTP_PARSE_MORE;
}

static enum http_parse_status http_header_line(struct http_parser *p, const char *l, size_t n)
{
	const char *colon, *v;
	size_t name_len, vlen;

	if (n == 0) {
		/* End of an interim response's headers: the real status line follows. */
		if (p->status < 200 && p->status != 101) {
			p->state = HS_STATUS;
			p->status = 0;
			return HTTP_PARSE_MORE;
		}
		return http_body_start(p);
	}
	/* Obsolete line folding continues the previous header: nothing we read. */
	if (l[0] == ' ' || l[0] == '\t')
		return HTTP_PARSE_MORE;
	colon = memchr(l, ':', n);
	if (!colon || colon == l)
		return http_fail(p, HEALTH_R_BAD_RESPONSE, "header line without a name");
	name_len = (size_t)(colon - l);
	for (size_t i = 0; i < name_len; i++)
		if (!http_token_char(l[i]))
			return http_fail(p, HEALTH_R_BAD_RESPONSE, "bad header name");
	v = colon + 1;
	vlen = n - name_len - 1;
	http_trim(&v, &vlen);
	if (name_len == 14 && strncasecmp(l, "Content-Length", 14) == 0) {
		uint64_t len = 0;

		if (!vlen || vlen > 18)
			return http_fail(p, HEALTH_R_BAD_RESPONSE, "bad Content-Length");
		for (size_t i = 0; i < vlen; i++) {
			if (!isdigit((unsigned char)v[i]))
				return http_fail(p, HEALTH_R_BAD_RESPONSE, "bad Content-Length");
			len = len * 10 + (uint64_t)(v[i] - '0');
		}
		if (p->have_length && len != p->content_length)
			return http_fail(p, HEALTH_R_BAD_RESPONSE, "conflicting Content-Length");
		p->have_length = true;
		p->content_length = len;
	} else if (name_len == 17 && strncasecmp(l, "Transfer-Encoding", 17) == 0) {
		p->chunked = http_te_chunked(v, vlen);
	}
	return HTTP_PARSE_MORE;
}

static enum http_parse_status http_chunk_size_line(struct http_parser *p, const char *l, size_t n)
{
	uint64_t size = 0;
	size_t i = 0;

	for (; i < n && isxdigit((unsigned char)l[i]); i++) {
		if (i >= 15)
			return http_fail(p, HEALTH_R_BAD_RESPONSE, "chunk size too large");
		size = size * 16 + (uint64_t)(isdigit((unsigned char)l[i])
						  ? l[i] - '0'
						  : (tolower((unsigned char)l[i]) - 'a' + 10));
	}
	while (i < n && (l[i] == ' ' || l[i] == '\t'))
		i++;
	if (i == 0 || (i < n && l[i] != ';'))
		return http_fail(p, HEALTH_R_BAD_RESPONSE, "bad chunk size");
	if (!size) {
		p->state = HS_TRAILERS;
		return HTTP_PARSE_MORE;
	}
	p->chunk_left = size;
	p->state = HS_CHUNK_DATA;
	return HTTP_PARSE_MORE;
}

static enum http_parse_status http_body_end(struct http_parser *p)
{
	return http_fail(p, HEALTH_R_BODY_MISMATCH, NULL);
}

/* One complete line (without its CR LF) in a line-oriented state. */
static enum http_parse_status http_line(struct http_parser *p, const char *l, size_t n)
{
	switch (p->state) {
	case HS_STATUS:
		return http_status_line(p, l, n);
	case HS_HEADERS:
		return http_header_line(p, l, n);
	case HS_CHUNK_SIZE:
		return http_chunk_size_line(p, l, n);
	case HS_CHUNK_END:
		if (n)
			return http_fail(p, HEALTH_R_BAD_RESPONSE, "chunk longer than its size");
		p->state = HS_CHUNK_SIZE;
		return HTTP_PARSE_MORE;
	case HS_TRAILERS:
		return n ? HTTP_PARSE_MORE : http_body_end(p);
	default:
		return HTTP_PARSE_MORE;
	}
}

static enum http_parse_status http_body_bytes(struct http_parser *p, const char *d, size_t n)
{
	size_t room = HTTP_BODY_MAX - p->body_seen;
	char detail[64];

	if (n > room)
		n = room;
	p->body_seen += n;
	if (health_match_feed(&p->body, d, n))
		return http_ok(p);
	if (p->body_seen >= HTTP_BODY_MAX) {
		snprintf(detail, sizeof(detail), "expect_body not in the first %u bytes",
			 HTTP_BODY_MAX);
		return http_fail(p, HEALTH_R_TOO_LARGE, detail);
	}
	return HTTP_PARSE_MORE;
}

static bool http_line_state(uint8_t state)
{
	return state == HS_STATUS || state == HS_HEADERS || state == HS_CHUNK_SIZE ||
	       state == HS_CHUNK_END || state == HS_TRAILERS;
}

enum http_parse_status http_parse_feed(struct http_parser *p, const void *data, size_t len)
{
	const char *d = data;
	enum http_parse_status st = HTTP_PARSE_MORE;

	if (p->state == HS_OK)
		return HTTP_PARSE_OK;
	if (p->state == HS_FAIL)
		return HTTP_PARSE_FAIL;
	while (len && st == HTTP_PARSE_MORE) {
		if (http_line_state(p->state)) {
			bool head = p->state == HS_STATUS || p->state == HS_HEADERS;
			size_t max = head ? sizeof(p->line) : HTTP_CHUNK_LINE_MAX;
			const char *nl = memchr(d, '\n', len);
			size_t take = nl ? (size_t)(nl - d) + 1 : len;
			size_t n;

			/*
			 * Garbage is told early (a status line starts with "HTTP/"),
			 * quoting its first line or bytes however they arrive.
			 */
			if (p->state == HS_STATUS) {
				for (size_t i = 0; !p->garbage && p->line_len + i < 5 && i < take;
				     i++)
					p->garbage = d[i] != "HTTP/"[p->line_len + i];
				if (p->garbage) {
					if (take > HTTP_GARBAGE_QUOTE - p->line_len)
						take = HTTP_GARBAGE_QUOTE - p->line_len;
					memcpy(p->line + p->line_len, d, take);
					p->line_len += take;
					d += take;
					len -= take;
					if (p->line[p->line_len - 1] == '\n' ||
					    p->line_len >= HTTP_GARBAGE_QUOTE)
						return http_not_http(p, p->line, p->line_len);
					continue;
				}
			}
			if (head && p->head_len + take > HTTP_HEADERS_MAX) {
				char detail[64];

				snprintf(detail, sizeof(detail), "headers larger than %u bytes",
					 HTTP_HEADERS_MAX);
				return http_fail(p, HEALTH_R_TOO_LARGE, detail);
			}
			if (p->line_len + take > max)
				return http_fail(p, HEALTH_R_BAD_RESPONSE, "line too long");
			memcpy(p->line + p->line_len, d, take);
			p->line_len += take;
			if (head)
				p->head_len += take;
			d += take;
			len -= take;
			if (!nl)
				continue;
			n = p->line_len - 1;
			if (n && p->line[n - 1] == '\r')
				n--;
			p->line_len = 0;
			st = http_line(p, p->line, n);
			continue;
		}
		size_t n = len;

		if (p->state == HS_BODY_LENGTH) {
			if (n > p->content_length)
				n = (size_t)p->content_length;
			p->content_length -= n;
		} else if (p->state == HS_CHUNK_DATA) {
			if (n > p->chunk_left)
				n = (size_t)p->chunk_left;
			p->chunk_left -= n;
		}
		st = http_body_bytes(p, d, n);
		d += n;
		len -= n;
		if (st != HTTP_PARSE_MORE)
			break;
		if (p->state == HS_BODY_LENGTH && !p->content_length)
			st = http_body_end(p);
		else if (p->state == HS_CHUNK_DATA && !p->chunk_left)
			p->state = HS_CHUNK_END;
	}
	return st;
}

enum http_parse_status http_parse_eof(struct http_parser *p)
{
	char detail[64];

	switch (p->state) {
	case HS_OK:
		return HTTP_PARSE_OK;
	case HS_FAIL:
		return HTTP_PARSE_FAIL;
	case HS_STATUS:
		if (p->garbage)
			return http_not_http(p, p->line, p->line_len);
		if (!p->head_len && !p->line_len)
			return http_fail(p, HEALTH_R_CLOSED, "no response");
		return http_fail(p, HEALTH_R_CLOSED, "in the status line");
	case HS_HEADERS:
		return http_fail(p, HEALTH_R_CLOSED, "in the headers");
	case HS_BODY_EOF:
		/* A body without length or chunks ends with the connection. */
		return http_body_end(p);
	default:
		snprintf(detail, sizeof(detail), "in the body after %zu bytes", p->body_seen);
		return http_fail(p, HEALTH_R_CLOSED, detail);
	}
}
