/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * BIRD's control socket protocol (what birdc speaks): a command is one line;
 * a reply is lines "CODE-text", " text" (more of the same code) and ends
 * with "CODE text". Codes 0xxx end a success, 8xxx and 9xxx an error. Pure
 * parsing, no I/O: bgp.c owns the socket.
 */
#ifndef XLB_BIRD_CTL_H
#define XLB_BIRD_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A reply longer than this is refused (ours are a few lines per peer). */
#define BIRD_REPLY_MAX 65536

/*
 * Length of the first whole reply in @buf (through its last line's
 * newline), its final code in @code; 0 while it is incomplete.
 */
size_t bird_reply_end(const char *buf, size_t len, int *code);
/* Whether @code ends a successful reply. */
bool bird_code_ok(int code);
/* The text of the reply's last line (the message of an error), at most @size - 1 bytes. */
void bird_reply_message(const char *reply, size_t len, char *buf, size_t size);

/*
 * Whether a command sent at @sent_ms is unanswered past @timeout_ms at
 * @now_ms. A @sent_ms after @now_ms (sent after the caller read its clock)
 * is not overdue: the unsigned difference would be huge.
 */
bool bird_reply_overdue(uint64_t now_ms, uint64_t sent_ms, uint64_t timeout_ms);

struct bird_proto {
	char name[64];
	char state[16]; /* up, down, start, stop */
	long long since; /* Unix time (timeformat protocol "%s") */
	char info[96];  /* BGP: Established, Active, Connect, ... and why */
};

/* The rows of a `show protocols` reply into @out (at most @max); returns how many. */
size_t bird_parse_protocols(const char *reply, size_t len, struct bird_proto *out, size_t max);

#endif /* XLB_BIRD_CTL_H */
