// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Parses replies of BIRD's control socket; see bird_ctl.h. */
#include "bgp/bird_ctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "DDDD-" or "DDDD ": the code, else -1. */
static int bird_line_code(const char *line, size_t len, char *sep)
{
	int code = 0;

	if (len < 5)
		return -1;
	for (int i = 0; i < 4; i++) {
		if (line[i] < '0' || line[i] > '9')
			return -1;
		code = code * 10 + (line[i] - '0');
	}
	if (line[4] != '-' && line[4] != ' ' && line[4] != '\n')
		return -1;
	*sep = line[4];
	return code;
}

size_t bird_reply_end(const char *buf, size_t len, int *code)
{
	size_t start = 0;

	while (start < len) {
		const char *nl = memchr(buf + start, '\n', len - start);
		size_t line_len;
		char sep;
		int c;

		if (!nl)
			return 0;
		line_len = (size_t)(nl - (buf + start)) + 1;
		c = bird_line_code(buf + start, line_len, &sep);
		if (c >= 0 && sep != '-') {
			*code = c;
			return start + line_len;
		}
		start += line_len;
	}
	return 0;
}

bool bird_code_ok(int code)
{
	return code >= 0 && code < 1000;
}

bool bird_reply_overdue(uint64_t now_ms, uint64_t sent_ms, uint64_t timeout_ms)
{
	return now_ms > sent_ms && now_ms - sent_ms > timeout_ms;
}

void bird_reply_message(const char *reply, size_t len, char *buf, size_t size)
{
	size_t end = len, begin;

	if (!size)
		return;
	while (end && (reply[end - 1] == '\n' || reply[end - 1] == '\r'))
		end--;
	begin = end;
	while (begin && reply[begin - 1] != '\n')
		begin--;
	if (end - begin >= 5)
		begin += 5; /* the code */
	if (end - begin >= size)
		end = begin + size - 1;
	memcpy(buf, reply + begin, end - begin);
	buf[end - begin] = '\0';
}

/* Copies the next blank-separated word of @s into @buf; returns what follows it. */
static const char *bird_word(const char *s, char *buf, size_t size)
{
	size_t n = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	while (*s && *s != ' ' && *s != '\t') {
		if (n + 1 < size)
			buf[n++] = *s;
		s++;
	}
	if (size)
		buf[n] = '\0';
	return s;
}

size_t bird_parse_protocols(const char *reply, size_t len, struct bird_proto *out, size_t max)
{
	size_t count = 0, start = 0;
	int code = -1;

	while (start < len && count < max) {
		const char *nl = memchr(reply + start, '\n', len - start);
		size_t line_len = nl ? (size_t)(nl - (reply + start)) : len - start;
		char line[256], proto[32], table[32], since[32];
		const char *s = line;
		char sep;
		int c;

		if (line_len >= sizeof(line))
			line_len = sizeof(line) - 1;
		memcpy(line, reply + start, line_len);
		line[line_len] = '\0';
		start += line_len + 1;
		c = bird_line_code(line, line_len + 1, &sep);
		if (c >= 0) {
			code = c;
			s = line + 5;
		} else if (line[0] == ' ') {
			s = line + 1; /* more rows of the code before */
		} else {
			continue;
		}
		if (code != 1002) /* 1002: a protocol row; 2002 is the header */
			continue;
		struct bird_proto *p = &out[count];

		s = bird_word(s, p->name, sizeof(p->name));
		s = bird_word(s, proto, sizeof(proto));
		s = bird_word(s, table, sizeof(table));
		s = bird_word(s, p->state, sizeof(p->state));
		s = bird_word(s, since, sizeof(since));
		while (*s == ' ' || *s == '\t')
			s++;
		snprintf(p->info, sizeof(p->info), "%s", s);
		for (size_t n = strlen(p->info); n && p->info[n - 1] == ' '; n--)
			p->info[n - 1] = '\0';
		p->since = strtoll(since, NULL, 10);
		if (p->name[0])
			count++;
	}
	return count;
}
