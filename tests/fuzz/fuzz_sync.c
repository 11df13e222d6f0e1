// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Connection sync's receive path: sync_decode (src/ha/sync_wire.c) on every
 * datagram, then sync_session_judge and sync_session_hello
 * (src/ha/sync_session.c) as sync.c calls them, for one peer.
 *
 * An input is a script of up to SCRIPT_MAX steps, each one op byte, a
 * 16-bit length and that many bytes:
 *
 *   op % 4 == 0  an attacker's datagram: the bytes as they are
 *   op % 4 == 1  the peer's datagram: the bytes with their seq set to the
 *                next of that session (the peer counts up, as xlbd does),
 *                with op & 4 the echo set to our outstanding challenge,
 *                then signed with the key
 *   op % 4 == 2  an attacker replaying one of the peer's earlier datagrams
 *                byte for byte (the first byte picks which)
 *   op % 4 == 3  our side's tick: sync_session_hello, the clock moved on
 *                by the first byte in 10 ms units
 *
 * Random bytes never carry a valid HMAC, so the decoder past the MAC check
 * and the session logic are reached only through op 1; ops 0 and 2 are
 * what anyone on the network can do.
 *
 * Invariants: a decoded message encodes back to the same bytes (reserved
 * bytes aside); what the peer signs is never refused as BAD_MAC; the
 * verdicts agree with the session state (only the verified session is
 * accepted, sequence numbers only go up, a session is verified only by
 * echoing the challenge we sent); and a datagram accepted once is never
 * accepted again, whatever is replayed in between.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#include "fuzz.h"
#include "ha/sync_session.h"
#include "ha/sync_wire.h"

#define SCRIPT_MAX 24
#define HISTORY_MAX 16
#define SESSIONS_MAX 8

static const uint8_t key[32] = "fuzz-sync-key-0123456789abcdefgh";

struct world {
	struct sync_session s;
	uint64_t now_ms;
	uint64_t nonces; /* counter behind every fresh challenge: never repeats */
	/* the peer's datagrams, for replays */
	uint8_t hist[HISTORY_MAX][SYNC_MSG_MAX];
	size_t hist_len[HISTORY_MAX];
	size_t nhist;
	/* datagrams taken (ACCEPT, ACCEPT_GAP, VERIFIED) */
	uint8_t taken[SCRIPT_MAX][SYNC_MSG_MAX];
	size_t taken_len[SCRIPT_MAX];
	size_t ntaken;
	/* the peer's next seq per session it used */
	uint64_t sess[SESSIONS_MAX], next_seq[SESSIONS_MAX];
	size_t nsess;
};

static uint64_t be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/*
 * The peer counts its messages per session, as xlbd does per run: @msg's
 * seq is set to the session's next (a gap now and then: lost datagrams).
 * Past SESSIONS_MAX sessions the message goes out in one already used, so
 * a session never restarts its count (that would be a broken peer).
 */
static void peer_number(struct world *w, uint8_t *msg)
{
	uint64_t session = be64(msg + 8);
	uint8_t skip = msg[23]; /* what the seq held picks the gap */
	size_t i;

	for (i = 0; i < w->nsess && w->sess[i] != session; i++)
		;
	if (i == w->nsess && w->nsess == SESSIONS_MAX) {
		i = skip % SESSIONS_MAX;
		put_be64(msg + 8, w->sess[i]);
	} else if (i == w->nsess) {
		w->sess[w->nsess++] = session;
		w->next_seq[i] = skip;
	}
	w->next_seq[i] += 1 + (skip & 3);
	put_be64(msg + 16, w->next_seq[i]);
}

/* Byte 3 of each record is reserved: sent as 0, ignored on receipt. */
static void check_roundtrip(const uint8_t *msg, size_t len, const struct sync_header *h,
			    const struct sync_record *recs)
{
	uint8_t again[SYNC_MSG_MAX], want[SYNC_MSG_MAX];
	size_t n = sync_encode(h, recs, key, sizeof(key), again);

	FUZZ_CHECK(n == len, "decoded %zu bytes, encodes to %zu", len, n);
	memcpy(want, msg, len);
	if (h->type == SYNC_MSG_FLOWS)
		for (size_t i = 0; i < h->count; i++)
			want[SYNC_HDR_LEN + i * SYNC_REC_LEN + 3] = 0;
	if (memcmp(want, again, len - SYNC_MAC_LEN) == 0)
		return;
	FUZZ_CHECK(false, "type %u count %u: decode then encode changes the message", h->type,
		   h->count);
}

static bool was_taken(const struct world *w, const uint8_t *msg, size_t len)
{
	for (size_t i = 0; i < w->ntaken; i++)
		if (w->taken_len[i] == len && memcmp(w->taken[i], msg, len) == 0)
			return true;
	return false;
}

static void judge(struct world *w, const uint8_t *msg, size_t len, bool signed_by_peer)
{
	struct sync_record recs[SYNC_RECS_MAX];
	struct sync_session before = w->s;
	struct sync_header h;
	enum sync_decode_result r = sync_decode(msg, len, key, sizeof(key), &h, recs);
	enum sync_verdict v;
	bool echoed, same;

	FUZZ_CHECK(!signed_by_peer || len < SYNC_HDR_LEN + SYNC_MAC_LEN || r != SYNC_DECODE_BAD_MAC,
		   "the peer's signed message of %zu bytes refused as BAD_MAC", len);
	if (r != SYNC_DECODE_OK)
		return;
	FUZZ_CHECK(h.type >= SYNC_MSG_FLOWS && h.type <= SYNC_MSG_FULL_END && h.count <= SYNC_RECS_MAX,
		   "decoded type %u count %u", h.type, h.count);
	check_roundtrip(msg, len, &h, recs);

	echoed = h.type == SYNC_MSG_HELLO && before.challenging &&
		 memcmp(h.hello.echo, before.nonce, SYNC_NONCE_LEN) == 0;
	same = before.verified && before.session == h.session;
	v = sync_session_judge(&w->s, &h);
	switch (v) {
	case SYNC_ACCEPT:
	case SYNC_ACCEPT_GAP:
		FUZZ_CHECK(same, "accepted session %llx, verified %d %llx",
			   (unsigned long long)h.session, before.verified,
			   (unsigned long long)before.session);
		FUZZ_CHECK(echoed || h.seq > before.seq, "accepted seq %llu after %llu",
			   (unsigned long long)h.seq, (unsigned long long)before.seq);
		FUZZ_CHECK(v == SYNC_ACCEPT || h.seq > before.seq + 1, "a gap of none");
		break;
	case SYNC_VERIFIED:
		FUZZ_CHECK(echoed && !same, "session %llx verified without echoing our challenge",
			   (unsigned long long)h.session);
		break;
	case SYNC_REPLAYED:
		FUZZ_CHECK(same && !echoed && h.seq <= before.seq, "REPLAYED seq %llu after %llu",
			   (unsigned long long)h.seq, (unsigned long long)before.seq);
		break;
	case SYNC_UNVERIFIED:
		FUZZ_CHECK(!same && !echoed, "UNVERIFIED for the verified session or an echo");
		break;
	default:
		FUZZ_CHECK(false, "verdict %d", v);
	}
	if (v == SYNC_ACCEPT || v == SYNC_ACCEPT_GAP || v == SYNC_VERIFIED) {
		FUZZ_CHECK(w->s.verified && w->s.session == h.session && w->s.seq >= h.seq,
			   "after verdict %d: verified %d session %llx seq %llu", v, w->s.verified,
			   (unsigned long long)w->s.session, (unsigned long long)w->s.seq);
		FUZZ_CHECK(!was_taken(w, msg, len), "a datagram taken twice (verdict %d, seq %llu)",
			   v, (unsigned long long)h.seq);
		if (w->ntaken < SCRIPT_MAX) {
			memcpy(w->taken[w->ntaken], msg, len);
			w->taken_len[w->ntaken++] = len;
		}
	} else {
		FUZZ_CHECK(!before.verified || (w->s.verified && w->s.session == before.session &&
						w->s.seq == before.seq),
			   "verdict %d changed the verified session", v);
	}
}

/* HMAC-SHA256 over the @len bytes, appended: what sync_encode does to what it wrote. */
static size_t sign(uint8_t *msg, size_t len)
{
	unsigned int mac_len = SYNC_MAC_LEN;

	if (!HMAC(EVP_sha256(), key, sizeof(key), msg, len, msg + len, &mac_len)) {
		fprintf(stderr, "fuzz_sync: HMAC failed\n");
		abort();
	}
	return len + SYNC_MAC_LEN;
}

/* The peer's datagram: its own bytes, its seq, our challenge echoed if asked, signed. */
static void peer_send(struct world *w, uint8_t op, const uint8_t *body, size_t n)
{
	uint8_t msg[SYNC_MSG_MAX];
	size_t len;

	if (n > SYNC_MSG_MAX - SYNC_MAC_LEN)
		n = SYNC_MSG_MAX - SYNC_MAC_LEN;
	memcpy(msg, body, n);
	if (n >= SYNC_HDR_LEN) {
		peer_number(w, msg);
		if ((op & 4) && msg[5] == SYNC_MSG_HELLO && w->s.challenging &&
		    n >= SYNC_HDR_LEN + 2 * SYNC_NONCE_LEN)
			memcpy(msg + SYNC_HDR_LEN + SYNC_NONCE_LEN, w->s.nonce, SYNC_NONCE_LEN);
	}
	len = sign(msg, n);
	if (w->nhist < HISTORY_MAX) {
		memcpy(w->hist[w->nhist], msg, len);
		w->hist_len[w->nhist++] = len;
	}
	judge(w, msg, len, true);
}

/* Our tick: a hello if one is due, its challenge fresh and never used before. */
static void our_hello(struct world *w, uint8_t step)
{
	struct sync_session before = w->s;
	uint8_t fresh[SYNC_NONCE_LEN] = { 0 };
	struct sync_hello out;

	w->now_ms += (uint64_t)step * 10;
	w->nonces++;
	memcpy(fresh, &w->nonces, sizeof(w->nonces));
	fresh[SYNC_NONCE_LEN - 1] = 0xa5; /* never all zeros ("no challenge") */
	if (!sync_session_hello(&w->s, w->now_ms, fresh, &out))
		return;
	FUZZ_CHECK(before.owe_echo || !before.verified || before.challenge_wanted,
		   "a hello with nothing owed and nothing to challenge");
	if (before.owe_echo)
		FUZZ_CHECK(memcmp(out.echo, before.echo, SYNC_NONCE_LEN) == 0 && !w->s.owe_echo,
			   "the echo owed was not sent");
	if (!before.verified || before.challenge_wanted) {
		/* One challenge at a time: the outstanding one again, else the fresh bytes. */
		const uint8_t *want = before.challenging ? before.nonce : fresh;

		FUZZ_CHECK(w->s.challenging && !memcmp(w->s.nonce, want, SYNC_NONCE_LEN) &&
				   !memcmp(out.challenge, want, SYNC_NONCE_LEN),
			   "the challenge sent is not the one outstanding");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct world w; /* big: not on the stack */
	struct fuzz_in in = { data, size };

	memset(&w, 0, sizeof(w));
	for (int step = 0; step < SCRIPT_MAX && in.left; step++) {
		uint8_t op = fuzz_u8(&in);
		const uint8_t *body;
		size_t n = fuzz_take(&in, fuzz_be16(&in), &body);

		switch (op % 4) {
		case 0:
			judge(&w, body, n, false);
			break;
		case 1:
			peer_send(&w, op, body, n);
			break;
		case 2:
			if (w.nhist) {
				size_t k = (n ? body[0] : 0) % w.nhist;

				judge(&w, w.hist[k], w.hist_len[k], true);
			}
			break;
		default:
			our_hello(&w, n ? body[0] : 0);
		}
	}
	return 0;
}
