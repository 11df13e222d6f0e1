// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* PROXY protocol encoder: byte-exact v2 headers and v1 lines, as the spec's examples. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "proxy/proxy_config.h"
#include "proxy/proxy_protocol.h"

static struct sockaddr_in sin4(const char *ip, uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};

	assert_int_equal(inet_pton(AF_INET, ip, &a.sin_addr), 1);
	return a;
}

static struct sockaddr_in6 sin6(const char *ip, uint16_t port)
{
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(port)};

	assert_int_equal(inet_pton(AF_INET6, ip, &a.sin6_addr), 1);
	return a;
}

static void test_v2_ipv4(void **state)
{
	static const unsigned char want[] = {
	    0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, /* sig */
	    0x21,		   /* version 2, PROXY */
	    0x11,		   /* TCP over IPv4 */
	    0x00, 0x0c,		   /* 12 bytes of addresses */
	    10,	  200,	0,    10,  /* source: the client */
	    10,	  200,	0,    200, /* destination: the VIP */
	    0xd4, 0x31,		   /* 54321 */
	    0x00, 0x50,		   /* 80 */
	};
	struct sockaddr_in c = sin4("10.200.0.10", 54321), l = sin4("10.200.0.200", 80);
	unsigned char buf[PROXY_PP_HEADER_MAX];
	ssize_t n = proxy_pp_encode(PROXY_PP_V2, (struct sockaddr *)&c, (struct sockaddr *)&l, buf,
				    sizeof(buf));

	(void)state;
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
}

static void test_v2_ipv6(void **state)
{
	static const unsigned char want[] = {
	    0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51,
	    0x55, 0x49, 0x54, 0x0a, 0x21, 0x21, /* TCP over IPv6 */
	    0x00, 0x24,				/* 36 */
	    0xfd, 0x00, 0x02, 0x00, 0,	  0,	0,    0,
	    0,	  0,	0,    0,    0,	  0,	0x00, 0x10, /* fd00:200::10 */
	    0xfd, 0x00, 0x02, 0x00, 0,	  0,	0,    0,
	    0,	  0,	0,    0,    0,	  0,	0x02, 0x00, /* fd00:200::200 */
	    0x01, 0xbb,					    /* 443 */
	    0x1f, 0x90,					    /* 8080 */
	};
	struct sockaddr_in6 c = sin6("fd00:200::10", 443), l = sin6("fd00:200::200", 8080);
	unsigned char buf[PROXY_PP_HEADER_MAX];
	ssize_t n = proxy_pp_encode(PROXY_PP_V2, (struct sockaddr *)&c, (struct sockaddr *)&l, buf,
				    sizeof(buf));

	(void)state;
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
}

/* Mixed families: AF_UNSPEC with no addresses, the real uses the connection's own. */
static void test_v2_unspec(void **state)
{
	static const unsigned char want[] = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51,
					     0x55, 0x49, 0x54, 0x0a, 0x21, 0x00, 0x00, 0x00};
	struct sockaddr_in c = sin4("10.0.0.1", 1);
	struct sockaddr_in6 l = sin6("::1", 2);
	unsigned char buf[PROXY_PP_HEADER_MAX];

	(void)state;
	assert_int_equal(proxy_pp_encode(PROXY_PP_V2, (struct sockaddr *)&c, (struct sockaddr *)&l,
					 buf, sizeof(buf)),
			 sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
}

static void test_v1_text(void **state)
{
	struct sockaddr_in c = sin4("192.168.0.1", 56324), l = sin4("192.168.0.11", 443);
	struct sockaddr_in6 c6 = sin6("2001:db8::1", 65535), l6 = sin6("2001:db8::2", 1);
	unsigned char buf[PROXY_PP_HEADER_MAX];
	ssize_t n;

	(void)state;
	/* The spec's own example line. */
	n = proxy_pp_encode(PROXY_PP_V1, (struct sockaddr *)&c, (struct sockaddr *)&l, buf,
			    sizeof(buf));
	assert_int_equal(n, strlen("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n"));
	assert_memory_equal(buf, "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n", n);
	n = proxy_pp_encode(PROXY_PP_V1, (struct sockaddr *)&c6, (struct sockaddr *)&l6, buf,
			    sizeof(buf));
	assert_int_equal(n, strlen("PROXY TCP6 2001:db8::1 2001:db8::2 65535 1\r\n"));
	assert_memory_equal(buf, "PROXY TCP6 2001:db8::1 2001:db8::2 65535 1\r\n", n);
	n = proxy_pp_encode(PROXY_PP_V1, (struct sockaddr *)&c, (struct sockaddr *)&l6, buf,
			    sizeof(buf));
	assert_int_equal(n, 15);
	assert_memory_equal(buf, "PROXY UNKNOWN\r\n", 15);
}

/* The longest v1 line the spec allows fits PROXY_PP_HEADER_MAX. */
static void test_v1_longest(void **state)
{
	struct sockaddr_in6 c = sin6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535);
	unsigned char buf[PROXY_PP_HEADER_MAX];
	ssize_t n = proxy_pp_encode(PROXY_PP_V1, (struct sockaddr *)&c, (struct sockaddr *)&c, buf,
				    sizeof(buf));

	(void)state;
	assert_int_equal(n, 104);
	assert_memory_equal(buf + n - 2, "\r\n", 2);
}

static void test_errors(void **state)
{
	struct sockaddr_in c = sin4("10.0.0.1", 1), l = sin4("10.0.0.2", 2);
	unsigned char buf[PROXY_PP_HEADER_MAX];

	(void)state;
	assert_int_equal(proxy_pp_encode(PROXY_PP_NONE, (struct sockaddr *)&c,
					 (struct sockaddr *)&l, buf, sizeof(buf)),
			 -EINVAL);
	assert_int_equal(
	    proxy_pp_encode(PROXY_PP_V2, (struct sockaddr *)&c, (struct sockaddr *)&l, buf, 27),
	    -ENOSPC);
	assert_int_equal(
	    proxy_pp_encode(PROXY_PP_V2, (struct sockaddr *)&c, (struct sockaddr *)&l, buf, 28),
	    28);
	assert_int_equal(
	    proxy_pp_encode(PROXY_PP_V1, (struct sockaddr *)&c, (struct sockaddr *)&l, buf, 10),
	    -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_v2_ipv4),    cmocka_unit_test(test_v2_ipv6),
	    cmocka_unit_test(test_v2_unspec),  cmocka_unit_test(test_v1_text),
	    cmocka_unit_test(test_v1_longest), cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
