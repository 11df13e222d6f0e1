// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Encoding, decoding and HMAC-SHA256 signing of connection sync messages. */
#include "ha/sync_wire.h"

#include <arpa/inet.h>
#include <endian.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

static uint8_t *put_u8(uint8_t *p, uint8_t v)
{
	*p = v;
	return p + 1;
}

static uint8_t *put_bytes(uint8_t *p, const void *v, size_t n)
{
	memcpy(p, v, n);
	return p + n;
}

static uint8_t *put_be16(uint8_t *p, uint16_t v)
{
	v = htons(v);
	return put_bytes(p, &v, 2);
}

static uint8_t *put_be32(uint8_t *p, uint32_t v)
{
	v = htonl(v);
	return put_bytes(p, &v, 4);
}

static uint8_t *put_be64(uint8_t *p, uint64_t v)
{
	v = htobe64(v);
	return put_bytes(p, &v, 8);
}

static const uint8_t *get_bytes(const uint8_t *p, void *v, size_t n)
{
	memcpy(v, p, n);
	return p + n;
}

static const uint8_t *get_be16(const uint8_t *p, uint16_t *v)
{
	p = get_bytes(p, v, 2);
	*v = ntohs(*v);
	return p;
}

static const uint8_t *get_be32(const uint8_t *p, uint32_t *v)
{
	p = get_bytes(p, v, 4);
	*v = ntohl(*v);
	return p;
}

static const uint8_t *get_be64(const uint8_t *p, uint64_t *v)
{
	p = get_bytes(p, v, 8);
	*v = be64toh(*v);
	return p;
}

static void sync_mac(const uint8_t *key, size_t key_len, const uint8_t *msg, size_t len,
		     uint8_t out[SYNC_MAC_LEN])
{
	unsigned int out_len = SYNC_MAC_LEN;

	if (!HMAC(EVP_sha256(), key, (int)key_len, msg, len, out, &out_len))
		memset(out, 0, SYNC_MAC_LEN); /* never matches a real MAC by accident */
}

/* Addresses and ports are copied as stored: already network order. */
static uint8_t *put_record(uint8_t *p, const struct sync_record *r)
{
	p = put_u8(p, r->key.family);
	p = put_u8(p, r->key.proto);
	p = put_u8(p, r->state);
	p = put_u8(p, 0);
	p = put_bytes(p, &r->key.src, 16);
	p = put_bytes(p, &r->key.dst, 16);
	p = put_bytes(p, &r->key.sport, 2);
	p = put_bytes(p, &r->key.dport, 2);
	p = put_bytes(p, &r->real_addr, 16);
	p = put_bytes(p, &r->real_port, 2);
	p = put_bytes(p, &r->nat_port, 2);
	p = put_bytes(p, &r->nat_addr, 16);
	return put_be32(p, r->idle_ms);
}

static const uint8_t *get_record(const uint8_t *p, struct sync_record *r)
{
	memset(r, 0, sizeof(*r));
	r->key.family = p[0];
	r->key.proto = p[1];
	r->state = p[2];
	p += 4;
	p = get_bytes(p, &r->key.src, 16);
	p = get_bytes(p, &r->key.dst, 16);
	p = get_bytes(p, &r->key.sport, 2);
	p = get_bytes(p, &r->key.dport, 2);
	p = get_bytes(p, &r->real_addr, 16);
	p = get_bytes(p, &r->real_port, 2);
	p = get_bytes(p, &r->nat_port, 2);
	p = get_bytes(p, &r->nat_addr, 16);
	return get_be32(p, &r->idle_ms);
}

size_t sync_encode(const struct sync_header *h, const struct sync_record *recs,
		   const uint8_t *key, size_t key_len, uint8_t *buf)
{
	uint8_t *p = buf;
	size_t n = h->type != SYNC_MSG_FLOWS ? 0 : h->count > SYNC_RECS_MAX ? SYNC_RECS_MAX : h->count;

	p = put_be32(p, SYNC_MAGIC);
	p = put_u8(p, SYNC_VERSION);
	p = put_u8(p, h->type);
	p = put_be16(p, (uint16_t)n);
	p = put_be64(p, h->session);
	p = put_be64(p, h->seq);
	for (size_t i = 0; i < n; i++)
		p = put_record(p, &recs[i]);
	if (h->type == SYNC_MSG_HELLO) {
		p = put_bytes(p, h->hello.challenge, SYNC_NONCE_LEN);
		p = put_bytes(p, h->hello.echo, SYNC_NONCE_LEN);
		p = put_be32(p, h->hello.flags);
	}
	sync_mac(key, key_len, buf, (size_t)(p - buf), p);
	return (size_t)(p - buf) + SYNC_MAC_LEN;
}

static bool sync_record_sane(const struct sync_record *r)
{
	return (r->key.family == XLB_FAMILY_V4 || r->key.family == XLB_FAMILY_V6) &&
	       (r->key.proto == 6 || r->key.proto == 17) && r->state > XLB_FS_NONE &&
	       r->state < XLB_FS__COUNT;
}

enum sync_decode_result sync_decode(const uint8_t *buf, size_t len, const uint8_t *key,
				    size_t key_len, struct sync_header *h,
				    struct sync_record *recs)
{
	uint8_t mac[SYNC_MAC_LEN];
	const uint8_t *p = buf;
	uint32_t magic;
	uint8_t version;
	size_t body;

	if (len < SYNC_HDR_LEN + SYNC_MAC_LEN)
		return SYNC_DECODE_MALFORMED;
	/* The MAC first: nothing an outsider sends is parsed further. */
	sync_mac(key, key_len, buf, len - SYNC_MAC_LEN, mac);
	if (CRYPTO_memcmp(mac, buf + len - SYNC_MAC_LEN, SYNC_MAC_LEN) != 0)
		return SYNC_DECODE_BAD_MAC;
	p = get_be32(p, &magic);
	version = *p++;
	h->type = *p++;
	p = get_be16(p, &h->count);
	p = get_be64(p, &h->session);
	p = get_be64(p, &h->seq);
	memset(&h->hello, 0, sizeof(h->hello));
	if (magic != SYNC_MAGIC)
		return SYNC_DECODE_MALFORMED;
	if (version != SYNC_VERSION)
		return SYNC_DECODE_VERSION;
	switch (h->type) {
	case SYNC_MSG_FLOWS:
		if (h->count > SYNC_RECS_MAX)
			return SYNC_DECODE_MALFORMED;
		body = (size_t)h->count * SYNC_REC_LEN;
		break;
	case SYNC_MSG_FULL_REQUEST:
	case SYNC_MSG_FULL_END:
		body = 0;
		break;
	case SYNC_MSG_HELLO:
		body = SYNC_HELLO_LEN;
		break;
	default:
		return SYNC_DECODE_MALFORMED;
	}
	if ((h->type != SYNC_MSG_FLOWS && h->count) || len != SYNC_HDR_LEN + body + SYNC_MAC_LEN)
		return SYNC_DECODE_MALFORMED;
	for (size_t i = 0; i < h->count; i++) {
		p = get_record(p, &recs[i]);
		if (!sync_record_sane(&recs[i]))
			return SYNC_DECODE_MALFORMED;
	}
	if (h->type == SYNC_MSG_HELLO) {
		p = get_bytes(p, h->hello.challenge, SYNC_NONCE_LEN);
		p = get_bytes(p, h->hello.echo, SYNC_NONCE_LEN);
		get_be32(p, &h->hello.flags);
		if (h->hello.flags & ~SYNC_HELLO_F_WANT_FULL)
			return SYNC_DECODE_MALFORMED;
	}
	return SYNC_DECODE_OK;
}
