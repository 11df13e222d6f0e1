/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Frames as fuzz_pkt reads and makes them, no BPF and no maps: where the
 * IP header and the ports are (read as bpf/parse.h reads them), whether a
 * packet's length fields fit its frame, and the frames made from earlier
 * ones (a real's reply, a router's ICMP error, the record's bytes over them).
 */
#ifndef XLB_TESTS_FUZZ_PKT_FRAME_H
#define XLB_TESTS_FUZZ_PKT_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>

#include "pkt_fixture.h"

#define FRAME_MAX 2048 /* what an input's record may make */
#define OUT_MAX 4096 /* room for what the program makes of it */

struct frame {
	uint8_t b[OUT_MAX];
	size_t len;
};

/* ---- what a frame is, read as the parser reads it (bpf/parse.h) ---- */

struct l3info {
	int family; /* 4, 6 or 0: not IP, or too short for the header */
	size_t l3, l4;
	const uint8_t *src, *dst;
	uint8_t proto;
};

static inline uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void l3_parse(const uint8_t *f, size_t len, struct l3info *o)
{
	uint16_t type;

	memset(o, 0, sizeof(*o));
	if (len < 14)
		return;
	type = be16(f + 12);
	o->l3 = 14;
	if (type == 0x8100 || type == 0x88a8) {
		if (len < 18)
			return;
		type = be16(f + 16);
		o->l3 = 18;
	}
	if (type == 0x0800 && len >= o->l3 + 20) {
		o->family = 4;
		o->src = f + o->l3 + 12;
		o->dst = f + o->l3 + 16;
		o->proto = f[o->l3 + 9];
		o->l4 = o->l3 + (f[o->l3] & 15) * 4u;
	} else if (type == 0x86dd && len >= o->l3 + 40) {
		o->family = 6;
		o->src = f + o->l3 + 8;
		o->dst = f + o->l3 + 24;
		o->proto = f[o->l3 + 6];
		o->l4 = o->l3 + 40;
		/* hop-by-hop, routing, destination options: at most 4, as the parser */
		for (int i = 0; i < 4 && (o->proto == 0 || o->proto == 43 || o->proto == 60); i++) {
			if (len < o->l4 + 2)
				break;
			o->proto = f[o->l4];
			o->l4 += (f[o->l4 + 1] + 1u) * 8;
		}
	}
}

static inline size_t alen(int family)
{
	return family == 6 ? 16 : 4;
}

static inline bool is_icmp(const struct l3info *i)
{
	return (i->family == 4 && i->proto == 1) || (i->family == 6 && i->proto == 58);
}

/*
 * The IP packet at @l3 claims no more than the frame holds, and at least
 * its TCP (20) or other L4 (8) header: what the real's stack will read.
 */
static inline bool ip_len_ok(const uint8_t *b, size_t len, size_t l3)
{
	size_t l4, tot;
	uint8_t proto;

	if (len < l3 + 20)
		return false;
	if (b[l3] >> 4 == 4) {
		tot = be16(b + l3 + 2);
		l4 = (b[l3] & 15) * 4u;
		proto = b[l3 + 9];
	} else if (b[l3] >> 4 == 6 && len >= l3 + 40) {
		tot = 40u + be16(b + l3 + 4);
		l4 = 40;
		proto = b[l3 + 6];
		for (int i = 0; i < 4 && (proto == 0 || proto == 43 || proto == 60); i++) {
			if (len < l3 + l4 + 2)
				return false;
			proto = b[l3 + l4];
			l4 += (b[l3 + l4 + 1] + 1u) * 8;
		}
	} else {
		return false;
	}
	return tot >= l4 + (proto == IPPROTO_TCP ? 20 : 8) && l3 + tot <= len;
}

static const uint8_t ROUTER_MAC[6] = { 0x02, 0x00, 0x00, 0x00, 0x5e, 0x01 };

static inline void swap_bytes(uint8_t *a, uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t t = a[i];

		a[i] = b[i];
		b[i] = t;
	}
}

static inline uint16_t csum(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Mode 1: what the real sends back to @fwd_out, a frame it was sent. */
static inline bool synth_reply(const struct frame *fwd_out, struct frame *f)
{
	struct l3info i;
	size_t a;

	*f = *fwd_out;
	l3_parse(f->b, f->len, &i);
	if (!i.family || i.l4 + 4 > f->len)
		return false;
	a = alen(i.family);
	memcpy(f->b + 6, fwd_out->b, 6);
	memcpy(f->b, LB_MAC, 6);
	swap_bytes(f->b + (i.src - f->b), f->b + (i.dst - f->b), a);
	swap_bytes(f->b + i.l4, f->b + i.l4 + 2, 2);
	return true;
}

/* Mode 2: a router's ICMP error about the DSR reply (VIP -> client) to @c, a client's frame. */
static inline bool synth_icmp(const struct frame *c, struct frame *f)
{
	struct l3info i;
	uint8_t *ip, *icmp, *q;

	l3_parse(c->b, c->len, &i);
	if (!i.family || i.l4 + 4 > c->len || (i.proto != IPPROTO_TCP && i.proto != IPPROTO_UDP))
		return false;
	memset(f->b, 0, 14 + 40 + 8 + 40 + 8);
	memcpy(f->b, LB_MAC, 6);
	memcpy(f->b + 6, ROUTER_MAC, 6);
	put16(f->b + 12, i.family == 4 ? 0x0800 : 0x86dd);
	ip = f->b + 14;
	if (i.family == 4) {
		icmp = ip + 20;
		q = icmp + 8;
		f->len = 14 + 20 + 8 + 20 + 8;
		ip[0] = 0x45;
		put16(ip + 2, 20 + 8 + 20 + 8);
		ip[8] = 64;
		ip[9] = IPPROTO_ICMP;
		memcpy(ip + 12, (uint8_t[]){ 10, 0, 5, 1 }, 4);
		memcpy(ip + 16, i.dst, 4);
		icmp[0] = 3; /* destination unreachable */
		icmp[1] = 4; /* fragmentation needed */
		put16(icmp + 6, 1400);
		q[0] = 0x45;
		put16(q + 2, 40);
		q[8] = 63;
		q[9] = i.proto;
		memcpy(q + 12, i.dst, 4);
		memcpy(q + 16, i.src, 4);
		memcpy(q + 20, c->b + i.l4 + 2, 2);
		memcpy(q + 22, c->b + i.l4, 2);
		put16(ip + 10, csum(0, ip, 20));
		put16(icmp + 2, csum(0, icmp, 8 + 28));
	} else {
		uint32_t pseudo = IPPROTO_ICMPV6 + 8 + 48;

		icmp = ip + 40;
		q = icmp + 8;
		f->len = 14 + 40 + 8 + 40 + 8;
		ip[0] = 0x60;
		put16(ip + 4, 8 + 48);
		ip[6] = IPPROTO_ICMPV6;
		ip[7] = 64;
		memcpy(ip + 8, (uint8_t[]){ 0x20, 0x01, 0x0d, 0xb8, 0, 5, [15] = 1 }, 16);
		memcpy(ip + 24, i.dst, 16);
		icmp[0] = 2; /* packet too big */
		put16(icmp + 6, 1400);
		q[0] = 0x60;
		put16(q + 4, 8);
		q[6] = i.proto;
		q[7] = 63;
		memcpy(q + 8, i.dst, 16);
		memcpy(q + 24, i.src, 16);
		memcpy(q + 40, c->b + i.l4 + 2, 2);
		memcpy(q + 42, c->b + i.l4, 2);
		for (int k = 0; k < 32; k += 2)
			pseudo += (uint32_t)ip[8 + k] << 8 | ip[9 + k];
		put16(icmp + 2, csum(pseudo, icmp, 8 + 48));
	}
	return true;
}

/* The record's bytes over the frame, and past its end. */
static inline void overlay(struct frame *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n && i < FRAME_MAX; i++) {
		if (i < f->len)
			f->b[i] ^= p[i];
		else
			f->b[f->len++] = p[i];
	}
}

#endif /* XLB_TESTS_FUZZ_PKT_FRAME_H */
