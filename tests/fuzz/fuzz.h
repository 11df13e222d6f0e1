/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Shared by the libFuzzer harnesses (tests/fuzz/fuzz_*.c): an invariant that
 * fails aborts, so libFuzzer keeps the input as a crash artifact exactly as
 * it keeps one for an ASan/UBSan report; and a small deterministic PRNG, so
 * a harness that splits or varies an input does the same every run of it.
 */
#ifndef XLB_TESTS_FUZZ_H
#define XLB_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* libFuzzer's entry points (the driver's main calls them). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond, ...)                                                                  \
	do {                                                                                   \
		if (!(cond)) {                                                                 \
			fprintf(stderr, "\nINVARIANT FAILED %s:%d: %s\n  ", __FILE__, __LINE__, \
				#cond);                                                        \
			fprintf(stderr, __VA_ARGS__);                                          \
			fputc('\n', stderr);                                                   \
			abort();                                                               \
		}                                                                              \
	} while (0)

/* xorshift64*: seeded from the input, never from the clock. */
struct fuzz_rng {
	uint64_t s;
};

static inline void fuzz_rng_seed(struct fuzz_rng *r, const uint8_t *data, size_t size)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ size;

	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 0x100000001b3ull;
	r->s = h ? h : 1;
}

static inline uint64_t fuzz_rng_next(struct fuzz_rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dull;
}

/* 1..max */
static inline size_t fuzz_rng_piece(struct fuzz_rng *r, size_t max)
{
	return 1 + (size_t)(fuzz_rng_next(r) % max);
}

/* Reads inputs a byte at a time; past the end everything is 0. */
struct fuzz_in {
	const uint8_t *p;
	size_t left;
};

static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

static inline uint16_t fuzz_be16(struct fuzz_in *in)
{
	uint16_t hi = fuzz_u8(in);

	return (uint16_t)(hi << 8 | fuzz_u8(in));
}

/* Up to @n bytes (fewer at the end); returns how many. */
static inline size_t fuzz_take(struct fuzz_in *in, size_t n, const uint8_t **out)
{
	if (n > in->left)
		n = in->left;
	*out = in->p;
	in->p += n;
	in->left -= n;
	return n;
}

#endif /* XLB_TESTS_FUZZ_H */
