/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The hashes the schedulers share with the data plane: one definition, so
 * the table xlbd builds and the bucket the BPF program looks up can never
 * disagree. Kernel functions of the same names: hash_32(), jhash_1word(),
 * and IPVS's address fold.
 */
#ifndef XLB_HASH_H
#define XLB_HASH_H

#include "xlb/xlb_types.h"

#if defined(__bpf__)
#define XLB_NTOHL(x) bpf_ntohl(x)
#else
#include <arpa/inet.h>
#define XLB_NTOHL(x) ntohl(x)
#endif

static inline __u32 xlb_hash_32(__u32 val, __u32 bits)
{
	return (__u32)(val * 0x61C88647u) >> (32 - bits);
}

static inline __u32 xlb_rol32(__u32 w, __u32 s)
{
	return (w << s) | (w >> (32 - s));
}

/* Bob Jenkins' lookup3 final mix of one word, as the kernel's jhash_1word(). */
static inline __u32 xlb_jhash_1word(__u32 a, __u32 initval)
{
	__u32 b, c;

	initval += 0xdeadbeefu + (1u << 2);
	a += initval;
	b = initval;
	c = initval;
	c ^= b;
	c -= xlb_rol32(b, 14);
	a ^= c;
	a -= xlb_rol32(c, 11);
	b ^= a;
	b -= xlb_rol32(a, 25);
	c ^= b;
	c -= xlb_rol32(b, 16);
	a ^= c;
	a -= xlb_rol32(c, 4);
	b ^= a;
	b -= xlb_rol32(a, 14);
	c ^= b;
	c -= xlb_rol32(b, 24);
	return c;
}

/* IPVS folds an address by XOR of its words (IPv4: words 1..3 are zero), host order. */
static inline __u32 xlb_addr_fold(const struct xlb_addr *a)
{
	return XLB_NTOHL(a->addr[0] ^ a->addr[1] ^ a->addr[2] ^ a->addr[3]);
}

#endif /* XLB_HASH_H */
