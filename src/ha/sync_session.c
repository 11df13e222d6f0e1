// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Per-peer freshness of sync messages: a verified session, its sequence, the handshake. */
#include "ha/sync_session.h"

#include <string.h>

static bool sync_nonce_set(const uint8_t n[SYNC_NONCE_LEN])
{
	static const uint8_t zero[SYNC_NONCE_LEN];

	return memcmp(n, zero, SYNC_NONCE_LEN) != 0;
}

/* A hello's challenge is answered in our next hello, whatever its session. */
static void sync_session_owe(struct sync_session *s, const struct sync_header *h)
{
	if (h->type != SYNC_MSG_HELLO || !sync_nonce_set(h->hello.challenge))
		return;
	memcpy(s->echo, h->hello.challenge, SYNC_NONCE_LEN);
	s->owe_echo = true;
}

/* Only a hello echoing our outstanding challenge proves its session. */
static bool sync_session_echoed(const struct sync_session *s, const struct sync_header *h)
{
	return h->type == SYNC_MSG_HELLO && s->challenging &&
	       memcmp(h->hello.echo, s->nonce, SYNC_NONCE_LEN) == 0;
}

enum sync_verdict sync_session_judge(struct sync_session *s, const struct sync_header *h)
{
	bool same = s->verified && h->session == s->session;
	enum sync_verdict v;

	if (sync_session_echoed(s, h)) {
		s->challenging = false;
		s->challenge_wanted = false;
		sync_session_owe(s, h);
		if (same) {
			/* Messages of other sessions made us ask: they were stale. */
			if (h->seq > s->seq)
				s->seq = h->seq;
			return SYNC_ACCEPT;
		}
		s->verified = true;
		s->session = h->session;
		s->seq = h->seq;
		if (s->dropped_session == h->session && s->dropped)
			s->lost += s->dropped;
		s->dropped = 0;
		return SYNC_VERIFIED;
	}
	if (!same) {
		/* A restart, or an old run replayed: only a handshake can tell. */
		s->challenge_wanted = true;
		if (h->type == SYNC_MSG_FLOWS) {
			if (s->dropped_session != h->session) {
				s->dropped_session = h->session;
				s->dropped = 0;
			}
			s->dropped++;
		}
		sync_session_owe(s, h);
		return SYNC_UNVERIFIED;
	}
	if (h->seq <= s->seq)
		return SYNC_REPLAYED; /* its challenge, if any, is not answered again */
	v = h->seq == s->seq + 1 ? SYNC_ACCEPT : SYNC_ACCEPT_GAP;
	s->seq = h->seq;
	sync_session_owe(s, h);
	return v;
}

bool sync_session_hello(struct sync_session *s, uint64_t now_ms,
			const uint8_t fresh[SYNC_NONCE_LEN], struct sync_hello *out)
{
	bool challenge = !s->verified || s->challenge_wanted;

	if (!s->owe_echo && !challenge)
		return false;
	if (now_ms - s->hello_window_ms >= SYNC_HELLO_WINDOW_MS || now_ms < s->hello_window_ms) {
		s->hello_window_ms = now_ms;
		s->hellos_in_window = 0;
	}
	if (s->hellos_in_window >= SYNC_HELLO_BURST)
		return false; /* what is owed goes out with a later hello (sync_tick) */
	s->hellos_in_window++;
	memset(out, 0, sizeof(*out));
	if (s->owe_echo) {
		memcpy(out->echo, s->echo, SYNC_NONCE_LEN);
		s->owe_echo = false;
	}
	if (challenge) {
		/* One challenge at a time: any answer to it proves the session running now. */
		if (!s->challenging) {
			memcpy(s->nonce, fresh, SYNC_NONCE_LEN);
			s->challenging = true;
		}
		memcpy(out->challenge, s->nonce, SYNC_NONCE_LEN);
		s->challenge_wanted = false;
	}
	return true;
}

bool sync_full_answer_due(struct sync_full_answer *a, uint64_t now_ms, bool asked)
{
	if (asked)
		a->owed = true;
	if (!a->owed)
		return false;
	if (a->answered && now_ms >= a->last_ms && now_ms - a->last_ms < SYNC_FULL_ANSWER_MIN_MS)
		return false;
	a->owed = false;
	a->answered = true;
	a->last_ms = now_ms;
	return true;
}
