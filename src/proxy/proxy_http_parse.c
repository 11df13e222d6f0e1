// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * HTTP/1.x heads and body framing for mode http (RFC 9112). Strict where a
 * proxy must be: a message with both Content-Length and Transfer-Encoding,
 * conflicting lengths, or a transfer coding other than chunked last is
 * refused, because a real could frame it differently (request smuggling).
 */
#include "proxy/proxy_http_parse.h"

#include <string.h>
#include <strings.h>

enum {
	CH_SIZE,     /* hex digits of the chunk size */
	CH_SIZE_ANY, /* at least one digit seen */
	CH_EXT,	     /* extensions or CR until LF */
	CH_DATA,
	CH_DATA_CR,
	CH_DATA_LF,
	CH_TRAILER, /* at the start of a trailer line, or the final empty line */
	CH_TRAILER_LINE,
	CH_LAST_LF,
};

/* Length of the line at @p (through its LF), or 0 if no LF yet. */
static size_t proxy_http_line(const char *p, size_t len, size_t *text_len)
{
	const char *lf = memchr(p, '\n', len);
	size_t n;

	if (!lf)
		return 0;
	n = (size_t)(lf - p);
	*text_len = n && p[n - 1] == '\r' ? n - 1 : n;
	return n + 1;
}

/*
 * A head is forwarded as it came, so a NUL or a CR inside a line is refused
 * (RFC 9110 5.5, RFC 9112 2.2): a real that ends lines at a bare CR would
 * see other header fields than we did, and frame the message otherwise.
 */
static bool proxy_http_text_ok(const char *p, size_t len)
{
	return !memchr(p, '\0', len) && !memchr(p, '\r', len);
}

static bool proxy_http_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool proxy_http_name_is(const char *name, size_t len, const char *want)
{
	return strlen(want) == len && strncasecmp(name, want, len) == 0;
}

/* Does the comma-separated list @v contain the token @tok (any case)? */
static bool proxy_http_has_token(const char *v, size_t len, const char *tok)
{
	size_t tl = strlen(tok), i = 0;

	while (i < len) {
		size_t start, end;

		while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		start = i;
		while (i < len && v[i] != ',')
			i++;
		end = i;
		while (end > start && (v[end - 1] == ' ' || v[end - 1] == '\t'))
			end--;
		if (end - start == tl && strncasecmp(v + start, tok, tl) == 0)
			return true;
	}
	return false;
}

/* The last coding of a Transfer-Encoding list: only "chunked" there frames a message. */
static bool proxy_http_last_is_chunked(const char *v, size_t len)
{
	size_t end = len, start;

	while (end && (v[end - 1] == ' ' || v[end - 1] == '\t'))
		end--;
	start = end;
	while (start && v[start - 1] != ',' && v[start - 1] != ' ' && v[start - 1] != '\t')
		start--;
	return end - start == 7 && strncasecmp(v + start, "chunked", 7) == 0;
}

/* "HTTP/1.x" at @p; the minor version or -1. */
static int proxy_http_version(const char *p, size_t len)
{
	if (len != 8 || memcmp(p, "HTTP/1.", 7) != 0 || p[7] < '0' || p[7] > '9')
		return -1;
	return p[7] - '0';
}

/* The header fields after the first line; common to requests and responses. */
static int proxy_http_fields(const char *buf, size_t len, size_t off, struct proxy_http_head *h)
{
	bool conn_close = false, conn_keep = false;

	for (;;) {
		size_t text, n = proxy_http_line(buf + off, len - off, &text);
		const char *line = buf + off, *colon, *v;
		size_t name_len, vlen;

		if (!n)
			return PROXY_HTTP_MORE;
		if (!proxy_http_text_ok(line, text))
			return PROXY_HTTP_BAD;
		off += n;
		if (text == 0)
			break;
		if (line[0] == ' ' || line[0] == '\t')
			return PROXY_HTTP_BAD; /* obsolete line folding */
		colon = memchr(line, ':', text);
		if (!colon || colon == line)
			return PROXY_HTTP_BAD;
		name_len = (size_t)(colon - line);
		for (size_t i = 0; i < name_len; i++)
			if (!proxy_http_tchar(line[i]))
				return PROXY_HTTP_BAD;
		v = colon + 1;
		vlen = text - name_len - 1;
		while (vlen && (*v == ' ' || *v == '\t')) {
			v++;
			vlen--;
		}
		while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
			vlen--;
		if (proxy_http_name_is(line, name_len, "content-length")) {
			uint64_t cl = 0;

			if (!vlen)
				return PROXY_HTTP_BAD;
			for (size_t i = 0; i < vlen; i++) {
				if (v[i] < '0' || v[i] > '9' || cl > (UINT64_MAX - 9) / 10)
					return PROXY_HTTP_BAD;
				cl = cl * 10 + (uint64_t)(v[i] - '0');
			}
			if (h->has_length && h->content_length != cl)
				return PROXY_HTTP_BAD;
			h->has_length = true;
			h->content_length = cl;
		} else if (proxy_http_name_is(line, name_len, "transfer-encoding")) {
			h->has_te = true;
			h->chunked = proxy_http_last_is_chunked(v, vlen);
		} else if (proxy_http_name_is(line, name_len, "host")) {
			if (h->has_host)
				return PROXY_HTTP_BAD; /* two hosts: which one would the real take? */
			h->has_host = true;
			h->host_off = (size_t)(v - buf);
			h->host_len = vlen;
		} else if (proxy_http_name_is(line, name_len, "connection")) {
			conn_close |= proxy_http_has_token(v, vlen, "close");
			conn_keep |= proxy_http_has_token(v, vlen, "keep-alive");
			h->upgrade |= proxy_http_has_token(v, vlen, "upgrade");
		}
	}
	if (h->has_te && h->has_length)
		return PROXY_HTTP_BAD;
	h->head_len = off;
	h->keep_alive = h->minor >= 1 ? !conn_close : conn_keep && !conn_close;
	return PROXY_HTTP_DONE;
}

static bool proxy_http_method_idempotent(const char *m, size_t len)
{
	static const char *const methods[] = {"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"};

	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strlen(methods[i]) == len && memcmp(m, methods[i], len) == 0)
			return true;
	return false;
}

/* A field's name and value (trimmed) in the line at @line of @text bytes. */
static size_t proxy_http_field(const char *line, size_t text, const char **v, size_t *vlen)
{
	const char *colon = memchr(line, ':', text);
	size_t name_len = colon ? (size_t)(colon - line) : text;

	*v = colon ? colon + 1 : line + text;
	*vlen = (size_t)(line + text - *v);
	while (*vlen && (**v == ' ' || **v == '\t')) {
		(*v)++;
		(*vlen)--;
	}
	while (*vlen && ((*v)[*vlen - 1] == ' ' || (*v)[*vlen - 1] == '\t'))
		(*vlen)--;
	return name_len;
}

#define PROXY_HTTP_CONN_FIELDS_MAX 8

ssize_t proxy_http_copy_fields(const char *buf, const struct proxy_http_head *h, char *out,
			       size_t size)
{
	const char *conn[PROXY_HTTP_CONN_FIELDS_MAX];
	size_t conn_len[PROXY_HTTP_CONN_FIELDS_MAX], nconn = 0, off, o = 0;

	/* First the Connection fields: the names they list may come before them. */
	for (off = h->line_len; off < h->head_len;) {
		size_t text, n = proxy_http_line(buf + off, h->head_len - off, &text), vlen;
		const char *v;

		if (!n || !text)
			break;
		if (proxy_http_name_is(buf + off, proxy_http_field(buf + off, text, &v, &vlen),
				       "connection")) {
			if (nconn == PROXY_HTTP_CONN_FIELDS_MAX)
				return -1; /* more than any client sends: not worth guessing */
			conn[nconn] = v;
			conn_len[nconn++] = vlen;
		}
		off += n;
	}
	for (off = h->line_len; off < h->head_len;) {
		size_t text, n = proxy_http_line(buf + off, h->head_len - off, &text), vlen, name_len;
		const char *line = buf + off, *v;
		bool drop = false;
		char name[64];

		if (!n || !text)
			break;
		off += n;
		name_len = proxy_http_field(line, text, &v, &vlen);
		if (proxy_http_name_is(line, name_len, "connection") ||
		    proxy_http_name_is(line, name_len, "keep-alive") ||
		    proxy_http_name_is(line, name_len, "proxy-connection"))
			continue;
		/*
		 * The framing stays whatever Connection says: dropping it would
		 * make the real read the body we pass on differently (smuggling).
		 */
		if (nconn && name_len < sizeof(name) &&
		    !proxy_http_name_is(line, name_len, "transfer-encoding") &&
		    !proxy_http_name_is(line, name_len, "content-length") &&
		    !proxy_http_name_is(line, name_len, "host")) {
			memcpy(name, line, name_len);
			name[name_len] = '\0';
			for (size_t k = 0; k < nconn && !drop; k++)
				drop = proxy_http_has_token(conn[k], conn_len[k], name);
		}
		if (drop)
			continue;
		if (size - o < n)
			return -1;
		memcpy(out + o, line, n);
		o += n;
	}
	return (ssize_t)o;
}

int proxy_http_parse_request(const char *buf, size_t len, struct proxy_http_head *h)
{
	size_t text, n = proxy_http_line(buf, len, &text);
	const char *sp1, *sp2;
	int ret;

	memset(h, 0, sizeof(*h));
	if (!n)
		return PROXY_HTTP_MORE;
	if (!proxy_http_text_ok(buf, text))
		return PROXY_HTTP_BAD;
	sp1 = memchr(buf, ' ', text);
	if (!sp1 || sp1 == buf)
		return PROXY_HTTP_BAD;
	for (const char *c = buf; c < sp1; c++)
		if (!proxy_http_tchar(*c))
			return PROXY_HTTP_BAD;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(buf + text - sp1 - 1));
	if (!sp2 || sp2 == sp1 + 1)
		return PROXY_HTTP_BAD;
	h->target_off = (size_t)(sp1 + 1 - buf);
	h->target_len = (size_t)(sp2 - sp1 - 1);
	h->minor = proxy_http_version(sp2 + 1, (size_t)(buf + text - sp2 - 1));
	if (h->minor < 0)
		return PROXY_HTTP_BAD;
	h->is_head = sp1 - buf == 4 && memcmp(buf, "HEAD", 4) == 0;
	h->idempotent = proxy_http_method_idempotent(buf, (size_t)(sp1 - buf));
	h->line_len = n;
	ret = proxy_http_fields(buf, len, n, h);
	/* A request's transfer coding must end in chunked, or its length is unknowable. */
	if (ret == PROXY_HTTP_DONE && h->has_te && !h->chunked)
		return PROXY_HTTP_BAD;
	return ret;
}

int proxy_http_parse_response(const char *buf, size_t len, bool request_was_head,
			      struct proxy_http_head *h)
{
	size_t text, n = proxy_http_line(buf, len, &text);
	int status = 0;

	(void)request_was_head;
	memset(h, 0, sizeof(*h));
	if (!n)
		return PROXY_HTTP_MORE;
	if (!proxy_http_text_ok(buf, text) || text < 12 || buf[8] != ' ')
		return PROXY_HTTP_BAD;
	h->minor = proxy_http_version(buf, 8);
	if (h->minor < 0)
		return PROXY_HTTP_BAD;
	for (int i = 9; i < 12; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			return PROXY_HTTP_BAD;
		status = status * 10 + (buf[i] - '0');
	}
	if (text > 12 && buf[12] != ' ')
		return PROXY_HTTP_BAD;
	h->status = status;
	h->line_len = n;
	return proxy_http_fields(buf, len, n, h);
}

enum proxy_http_body_kind proxy_http_request_body(const struct proxy_http_head *h)
{
	if (h->chunked)
		return PROXY_BODY_CHUNKED;
	return h->has_length && h->content_length ? PROXY_BODY_LENGTH : PROXY_BODY_NONE;
}

enum proxy_http_body_kind proxy_http_response_body(const struct proxy_http_head *h,
						   bool request_was_head)
{
	if (request_was_head || (h->status >= 100 && h->status < 200) || h->status == 204 ||
	    h->status == 304)
		return PROXY_BODY_NONE;
	if (h->chunked)
		return PROXY_BODY_CHUNKED;
	if (h->has_length)
		return h->content_length ? PROXY_BODY_LENGTH : PROXY_BODY_NONE;
	return PROXY_BODY_UNTIL_CLOSE;
}

void proxy_http_body_init(struct proxy_http_body *b, enum proxy_http_body_kind kind,
			  uint64_t length)
{
	memset(b, 0, sizeof(*b));
	b->kind = kind;
	b->left = kind == PROXY_BODY_LENGTH ? length : 0;
	b->state = CH_SIZE;
	b->done = kind == PROXY_BODY_NONE;
}

static int proxy_http_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static ssize_t proxy_http_chunked(struct proxy_http_body *b, const char *p, size_t len)
{
	size_t i = 0;

	while (i < len && !b->done) {
		char c = p[i];
		int d;

		switch (b->state) {
		case CH_SIZE:
		case CH_SIZE_ANY:
			d = proxy_http_hex(c);
			if (d >= 0) {
				if (b->left >> 60)
					return -1; /* over 2^64 */
				b->left = b->left * 16 + (uint64_t)d;
				b->state = CH_SIZE_ANY;
			} else if (b->state == CH_SIZE_ANY &&
				   (c == ';' || c == ' ' || c == '\t' || c == '\r')) {
				b->state = CH_EXT;
			} else if (b->state == CH_SIZE_ANY && c == '\n') {
				b->state = b->left ? CH_DATA : CH_TRAILER;
			} else {
				return -1;
			}
			i++;
			break;
		case CH_EXT:
			if (c == '\n')
				b->state = b->left ? CH_DATA : CH_TRAILER;
			i++;
			break;
		case CH_DATA: {
			size_t take = len - i < b->left ? len - i : (size_t)b->left;

			i += take;
			b->left -= take;
			if (!b->left)
				b->state = CH_DATA_CR;
			break;
		}
		case CH_DATA_CR:
			if (c == '\r')
				b->state = CH_DATA_LF;
			else if (c == '\n')
				b->state = CH_SIZE;
			else
				return -1;
			i++;
			break;
		case CH_DATA_LF:
			if (c != '\n')
				return -1;
			b->state = CH_SIZE;
			i++;
			break;
		case CH_TRAILER:
			if (c == '\r')
				b->state = CH_LAST_LF;
			else if (c == '\n')
				b->done = true;
			else
				b->state = CH_TRAILER_LINE;
			i++;
			break;
		case CH_TRAILER_LINE:
			if (c == '\n')
				b->state = CH_TRAILER;
			i++;
			break;
		case CH_LAST_LF:
			if (c != '\n')
				return -1;
			b->done = true;
			i++;
			break;
		}
	}
	return (ssize_t)i;
}

ssize_t proxy_http_body_feed(struct proxy_http_body *b, const char *p, size_t len)
{
	size_t take;

	if (b->done)
		return 0;
	switch (b->kind) {
	case PROXY_BODY_LENGTH:
		take = len < b->left ? len : (size_t)b->left;
		b->left -= take;
		b->done = b->left == 0;
		return (ssize_t)take;
	case PROXY_BODY_CHUNKED:
		return proxy_http_chunked(b, p, len);
	case PROXY_BODY_UNTIL_CLOSE:
		return (ssize_t)len;
	default:
		b->done = true;
		return 0;
	}
}
