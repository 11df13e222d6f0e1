// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Which sync messages are fresh: a restarted peer (whatever its clock says)
 * is taken again after a handshake, a replay never is. Version 1 kept the
 * highest wall-clock epoch ever seen, so a peer that once ran ahead was
 * dropped as "replayed" until the receiver restarted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ha/sync_install.h"
#include "ha/sync_session.h"

#define T0 1000000ull

static struct sync_header msg(uint8_t type, uint64_t session, uint64_t seq)
{
	struct sync_header h;

	memset(&h, 0, sizeof(h));
	h.type = type;
	h.session = session;
	h.seq = seq;
	return h;
}

static void nonce(uint8_t n[SYNC_NONCE_LEN], uint8_t fill)
{
	memset(n, fill, SYNC_NONCE_LEN);
}

/* The peer (running @session, next @seq) answers our hello @ours: a hello echoing it. */
static struct sync_header answer(const struct sync_hello *ours, uint64_t session, uint64_t seq)
{
	struct sync_header h = msg(SYNC_MSG_HELLO, session, seq);

	memcpy(h.hello.echo, ours->challenge, SYNC_NONCE_LEN);
	return h;
}

/* Verifies @session on @s by a handshake at @now. */
static void handshake(struct sync_session *s, uint64_t now, uint64_t session, uint64_t seq,
		      uint8_t fill)
{
	struct sync_header h = msg(SYNC_MSG_FLOWS, session, seq);
	struct sync_hello out;
	uint8_t fresh[SYNC_NONCE_LEN];

	nonce(fresh, fill);
	assert_int_equal(sync_session_judge(s, &h), SYNC_UNVERIFIED);
	assert_true(sync_session_hello(s, now, fresh, &out));
	assert_memory_equal(out.challenge, fresh, SYNC_NONCE_LEN);
	h = answer(&out, session, seq + 1);
	assert_int_equal(sync_session_judge(s, &h), SYNC_VERIFIED);
	assert_true(s->verified);
	assert_true(s->session == session);
}

/* The defect: a peer whose session id is "lower" (its clock stepped back) is taken again. */
static void test_restart_clock_back(void **state)
{
	struct sync_session s = {0};
	struct sync_header h;

	(void)state;
	/* A run a year ahead, then the same peer on the right clock: lower, and still taken. */
	handshake(&s, T0, 0xfff0000000000000ull, 1, 0x11);
	h = msg(SYNC_MSG_FLOWS, 0xfff0000000000000ull, 3);
	assert_int_equal(sync_session_judge(&s, &h), SYNC_ACCEPT);
	handshake(&s, T0 + 5000, 0x0000000000000100ull, 1, 0x22);
	h = msg(SYNC_MSG_FLOWS, 0x100, 3);
	assert_int_equal(sync_session_judge(&s, &h), SYNC_ACCEPT);
	h = msg(SYNC_MSG_FULL_REQUEST, 0x100, 4);
	assert_int_equal(sync_session_judge(&s, &h), SYNC_ACCEPT);
}

/* Nothing replayed is ever taken: not an old run's, not the current run's. */
static void test_replays(void **state)
{
	struct sync_session s = {0};
	struct sync_header h, old_hello;
	struct sync_hello out;
	uint8_t fresh[SYNC_NONCE_LEN];

	(void)state;
	handshake(&s, T0, 111, 1, 0x11);
	/* A hello of run 111 echoing our (then) challenge, captured by someone. */
	memset(&old_hello, 0, sizeof(old_hello));
	old_hello.type = SYNC_MSG_HELLO;
	old_hello.session = 111;
	old_hello.seq = 2;
	nonce(old_hello.hello.echo, 0x11);
	h = msg(SYNC_MSG_FLOWS, 111, 3);
	assert_int_equal(sync_session_judge(&s, &h), SYNC_ACCEPT);
	assert_int_equal(sync_session_judge(&s, &h), SYNC_REPLAYED);
	h.seq = 2;
	assert_int_equal(sync_session_judge(&s, &h), SYNC_REPLAYED);
	assert_int_equal(sync_session_judge(&s, &old_hello), SYNC_REPLAYED);

	/* The peer restarts as run 222; run 111's messages replayed are never taken again. */
	handshake(&s, T0 + 2000, 222, 1, 0x22);
	for (uint64_t seq = 1; seq < 50; seq++) {
		h = msg(SYNC_MSG_FLOWS, 111, seq);
		assert_int_equal(sync_session_judge(&s, &h), SYNC_UNVERIFIED);
	}
	/* Its old echo does not match the challenge they provoke. */
	nonce(fresh, 0x33);
	assert_true(sync_session_hello(&s, T0 + 4000, fresh, &out));
	assert_int_equal(sync_session_judge(&s, &old_hello), SYNC_UNVERIFIED);
	assert_true(s.session == 222);
	/* The live run answers: confirmed, nothing changes. */
	h = answer(&out, 222, 5);
	assert_int_equal(sync_session_judge(&s, &h), SYNC_ACCEPT);
	assert_true(s.session == 222);
	/* That answer replayed is old too. */
	assert_int_equal(sync_session_judge(&s, &h), SYNC_REPLAYED);
	h = msg(SYNC_MSG_FLOWS, 222, 6);
	assert_int_equal(sync_session_judge(&s, &h), SYNC_ACCEPT);
	h = msg(SYNC_MSG_FLOWS, 222, 9);
	assert_int_equal(sync_session_judge(&s, &h), SYNC_ACCEPT_GAP);
	/* A hello that echoes nothing we asked proves nothing. */
	h = msg(SYNC_MSG_HELLO, 333, 1);
	nonce(h.hello.echo, 0x44);
	assert_int_equal(sync_session_judge(&s, &h), SYNC_UNVERIFIED);
	assert_true(s.session == 222);
}

/* Whatever arrives, a peer gets at most SYNC_HELLO_BURST hellos a window; what is owed waits. */
static void test_hello_bounded(void **state)
{
	struct sync_session s = {0};
	struct sync_header h;
	struct sync_hello out;
	uint8_t fresh[SYNC_NONCE_LEN];
	int sent = 0;

	(void)state;
	nonce(fresh, 0x55);
	for (int i = 0; i < 1000; i++) {
		h = msg(SYNC_MSG_HELLO, 7, (uint64_t)i + 1);
		nonce(h.hello.challenge, (uint8_t)(i | 1));
		sync_session_judge(&s, &h);
		sent += sync_session_hello(&s, T0 + (uint64_t)i / 10, fresh, &out);
	}
	assert_int_equal(sent, SYNC_HELLO_BURST);
	/* The next window: the last challenge is echoed, with our one outstanding challenge. */
	assert_true(sync_session_hello(&s, T0 + 100 + SYNC_HELLO_WINDOW_MS, fresh, &out));
	assert_int_equal(out.echo[0], (999 & 0xff) | 1);
	assert_memory_equal(out.challenge, fresh, SYNC_NONCE_LEN);
	/* Verified and nothing owed: nothing to send. */
	h = answer(&out, 7, 2000);
	assert_int_equal(sync_session_judge(&s, &h), SYNC_VERIFIED);
	assert_false(sync_session_hello(&s, T0 + 200 + SYNC_HELLO_WINDOW_MS, fresh, &out));
}

/* Flows a restarted peer sent before the handshake are lost: the caller asks for all again. */
static void test_lost_before_verified(void **state)
{
	struct sync_session s = {0};
	struct sync_header h;
	struct sync_hello out;
	uint8_t fresh[SYNC_NONCE_LEN];

	(void)state;
	handshake(&s, T0, 1, 1, 0x11);
	assert_int_equal(s.lost, 1); /* the flow message that started the handshake */
	s.lost = 0;
	/* Flows of another run (a replay) that then proves not to be the live one: not lost. */
	h = msg(SYNC_MSG_FLOWS, 9, 40);
	assert_int_equal(sync_session_judge(&s, &h), SYNC_UNVERIFIED);
	nonce(fresh, 0x12);
	assert_true(sync_session_hello(&s, T0 + 1000, fresh, &out));
	h = answer(&out, 1, 5);
	assert_int_equal(sync_session_judge(&s, &h), SYNC_ACCEPT);
	assert_int_equal(s.lost, 0);
	h = msg(SYNC_MSG_FLOWS, 2, 1);
	assert_int_equal(sync_session_judge(&s, &h), SYNC_UNVERIFIED);
	h = msg(SYNC_MSG_FLOWS, 2, 2);
	assert_int_equal(sync_session_judge(&s, &h), SYNC_UNVERIFIED);
	handshake(&s, T0 + 2000, 2, 3, 0x22);
	assert_int_equal(s.lost, 3);
}

/*
 * Two peers from scratch, as sync.c drives them: A starts and says hello;
 * three hellos later each has verified the other, and flows are taken.
 */
static void test_two_peers(void **state)
{
	struct sync_session a_sees_b = {0}, b_sees_a = {0};
	struct sync_header h;
	struct sync_hello out;
	uint8_t na[SYNC_NONCE_LEN], nb[SYNC_NONCE_LEN];
	uint64_t a_seq = 0, b_seq = 0;
	const uint64_t A = 0xaaaa, B = 0xbbbb;

	(void)state;
	nonce(na, 0xa1);
	nonce(nb, 0xb1);
	/* A -> B: a challenge. */
	assert_true(sync_session_hello(&a_sees_b, T0, na, &out));
	h = msg(SYNC_MSG_HELLO, A, ++a_seq);
	h.hello = out;
	assert_int_equal(sync_session_judge(&b_sees_a, &h), SYNC_UNVERIFIED);
	/* B -> A: the echo and B's own challenge. */
	assert_true(sync_session_hello(&b_sees_a, T0 + 1, nb, &out));
	h = msg(SYNC_MSG_HELLO, B, ++b_seq);
	h.hello = out;
	assert_int_equal(sync_session_judge(&a_sees_b, &h), SYNC_VERIFIED);
	/* A -> B: the echo; A has nothing to challenge any more. */
	assert_true(sync_session_hello(&a_sees_b, T0 + 2, na, &out));
	assert_int_equal(out.challenge[0], 0);
	h = msg(SYNC_MSG_HELLO, A, ++a_seq);
	h.hello = out;
	assert_int_equal(sync_session_judge(&b_sees_a, &h), SYNC_VERIFIED);
	assert_false(sync_session_hello(&b_sees_a, T0 + 3, nb, &out));
	h = msg(SYNC_MSG_FLOWS, A, ++a_seq);
	assert_int_equal(sync_session_judge(&b_sees_a, &h), SYNC_ACCEPT);
	h = msg(SYNC_MSG_FLOWS, B, ++b_seq);
	assert_int_equal(sync_session_judge(&a_sees_b, &h), SYNC_ACCEPT);
}

/*
 * Active-active: C hears A and B, each with its own session and sequence.
 * Per-peer state means one peer's numbers never make another's look
 * replayed, and a replay of one peer's message is caught in that peer's
 * state alone.
 */
static void test_per_peer_replay(void **state)
{
	struct sync_session c_sees_a = {0}, c_sees_b = {0};
	struct sync_header h;
	const uint64_t A = 0xa, B = 0xb;

	(void)state;
	handshake(&c_sees_a, T0, A, 100, 0x11);
	handshake(&c_sees_b, T0, B, 5, 0x22);
	/* Both send their next numbers, interleaved; B's are far below A's. */
	for (uint64_t i = 2; i < 10; i++) {
		h = msg(SYNC_MSG_FLOWS, A, 100 + i);
		assert_int_equal(sync_session_judge(&c_sees_a, &h), SYNC_ACCEPT);
		h = msg(SYNC_MSG_FLOWS, B, 5 + i);
		assert_int_equal(sync_session_judge(&c_sees_b, &h), SYNC_ACCEPT);
	}
	/* A message of A replayed: A's state says replayed; B's state is untouched. */
	h = msg(SYNC_MSG_FLOWS, A, 105);
	assert_int_equal(sync_session_judge(&c_sees_a, &h), SYNC_REPLAYED);
	assert_true(c_sees_b.seq == 14);
	/* A's session sent as if from B (a forger with the key, or a mixed-up peer): not B's. */
	h = msg(SYNC_MSG_FLOWS, A, 200);
	assert_int_equal(sync_session_judge(&c_sees_b, &h), SYNC_UNVERIFIED);
	assert_true(c_sees_b.session == B && c_sees_b.verified);
	h = msg(SYNC_MSG_FLOWS, B, 15);
	assert_int_equal(sync_session_judge(&c_sees_b, &h), SYNC_ACCEPT);
}

/* Full syncs answered at most every SYNC_FULL_ANSWER_MIN_MS; one asked sooner is owed, not lost. */
static void test_full_answer_owed(void **state)
{
	struct sync_full_answer a = {0};

	(void)state;
	assert_false(sync_full_answer_due(&a, T0, false)); /* nobody asked */
	assert_true(sync_full_answer_due(&a, T0, true));
	/* A second peer asks 100 ms later: owed, not now. */
	assert_false(sync_full_answer_due(&a, T0 + 100, true));
	assert_false(sync_full_answer_due(&a, T0 + SYNC_FULL_ANSWER_MIN_MS - 1, false));
	/* The tick after the interval sends it, once. */
	assert_true(sync_full_answer_due(&a, T0 + SYNC_FULL_ANSWER_MIN_MS, false));
	assert_false(sync_full_answer_due(&a, T0 + 3 * SYNC_FULL_ANSWER_MIN_MS, false));
	/* A request long after: at once. */
	assert_true(sync_full_answer_due(&a, T0 + 10 * SYNC_FULL_ANSWER_MIN_MS, true));
}

/*
 * No echo: a flow installed from a peer is not sent back as ours (refreshes,
 * full syncs) until a packet of it passes here, which the data plane marks
 * by clearing XLB_FLOW_F_SYNCED; SYN-only and stateless flows are never sent.
 */
static void test_no_echo(void **state)
{
	struct xlb_flow f = { .state = XLB_FS_EST, .real_id = 3 };

	(void)state;
	assert_true(sync_flow_is_ours(&f));
	f.flags = XLB_FLOW_F_SYNCED;
	assert_false(sync_flow_is_ours(&f));
	f.flags = 0; /* a packet of it came here: ours now, and sent */
	assert_true(sync_flow_is_ours(&f));
	f.state = XLB_FS_SYN;
	assert_false(sync_flow_is_ours(&f));
	f.state = XLB_FS_NONE;
	assert_false(sync_flow_is_ours(&f));
	f.state = XLB_FS_FIN;
	f.real_id = XLB_MAX_REALS;
	assert_false(sync_flow_is_ours(&f));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_restart_clock_back), cmocka_unit_test(test_replays),
		cmocka_unit_test(test_hello_bounded),	   cmocka_unit_test(test_lost_before_verified),
		cmocka_unit_test(test_two_peers),
		cmocka_unit_test(test_per_peer_replay),
		cmocka_unit_test(test_full_answer_owed),
		cmocka_unit_test(test_no_echo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
