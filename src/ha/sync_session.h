/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Which of a peer's messages are fresh: a pure state machine per peer, the
 * clock and the random bytes passed in (unit-tested without sockets).
 *
 * Every run of xlbd picks a random session id; its messages carry it and a
 * sequence number. A receiver accepts messages of one session per peer, the
 * one it has verified, each sequence number once. A message of any other
 * session (the peer restarted, or someone replays an old run's messages) is
 * dropped, and the peer is sent a hello with a random challenge; the peer's
 * hello echoing it, signed with the key, proves which session runs there
 * now, and that session becomes the verified one. So a restarted peer is
 * back after one round trip whatever its clock says, and a replay is never
 * taken: an old session never echoes a fresh challenge, and within the
 * verified session every sequence number is taken once.
 *
 * Bounds: one challenge outstanding per peer, and at most SYNC_HELLO_BURST
 * hellos to a peer per SYNC_HELLO_WINDOW_MS, whatever arrives.
 */
#ifndef XLB_HA_SYNC_SESSION_H
#define XLB_HA_SYNC_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "ha/sync_wire.h"

#define SYNC_HELLO_BURST 4 /* a handshake takes two hellos from each side */
#define SYNC_HELLO_WINDOW_MS 1000

struct sync_session {
	bool verified; /* @session proved itself by echoing our challenge */
	uint64_t session;
	uint64_t seq; /* the highest taken in @session */

	bool challenging; /* @nonce is out; a hello echoing it verifies its session */
	bool challenge_wanted; /* a message of another session came: challenge even if verified */
	uint8_t nonce[SYNC_NONCE_LEN];

	bool owe_echo; /* the peer challenged us: our next hello echoes @echo */
	uint8_t echo[SYNC_NONCE_LEN];

	/* Flow messages of an unverified session, dropped: lost if it gets verified. */
	uint64_t dropped_session;
	uint64_t dropped;
	uint64_t lost; /* set when @dropped_session is verified; the caller asks for a full sync */

	uint64_t hello_window_ms;
	unsigned hellos_in_window;
};

enum sync_verdict {
	SYNC_ACCEPT,	   /* the next message of the verified session */
	SYNC_ACCEPT_GAP,   /* taken, but messages in between were lost */
	SYNC_VERIFIED,	   /* a hello that proved a new session (a restart): taken */
	SYNC_REPLAYED,	   /* the verified session, a sequence number already taken: drop */
	SYNC_UNVERIFIED,   /* another session, not proven: drop (a hello may follow) */
};

/*
 * Judges a decoded, authenticated message from the peer and records what it
 * learns: the sequence number taken, a challenge to echo, a session proven.
 */
enum sync_verdict sync_session_judge(struct sync_session *s, const struct sync_header *h);

/*
 * Whether a hello is due to the peer now (an echo owed, or a session to
 * challenge) and the rate allows it; if so fills @out. @fresh: random bytes,
 * the challenge if a new one is needed. The caller sets out->flags.
 */
bool sync_session_hello(struct sync_session *s, uint64_t now_ms,
			const uint8_t fresh[SYNC_NONCE_LEN], struct sync_hello *out);

/*
 * Full syncs we answer: at most one per SYNC_FULL_ANSWER_MIN_MS (each is a
 * sweep of the flow table); one asked for sooner is owed and goes out when
 * the interval is over, never lost. Every peer holds only the flows it
 * forwards itself, so a request unanswered here is a peer without our flows.
 */
#define SYNC_FULL_ANSWER_MIN_MS 2000

struct sync_full_answer {
	bool owed;
	bool answered; /* @last_ms is set */
	uint64_t last_ms;
};

/* @asked: a request came now. True when a full sync is to go out now. */
bool sync_full_answer_due(struct sync_full_answer *a, uint64_t now_ms, bool asked);

#endif /* XLB_HA_SYNC_SESSION_H */
