/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The PROXY protocol header (HAProxy's spec, v1 text and v2 binary) sent to a real first. */
#ifndef XLB_PROXY_PROTOCOL_H
#define XLB_PROXY_PROTOCOL_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

/* v1's longest line is 107 bytes (spec 2.1); v2 with IPv6 is 16 + 36. */
#define PROXY_PP_HEADER_MAX 108

/* The 12 bytes every v2 header starts with. */
extern const unsigned char proxy_pp_v2_sig[12];

/*
 * Writes the header of @version (PROXY_PP_V1 or PROXY_PP_V2) for a TCP
 * connection from @client to @local (the address the client called) into
 * @buf. Addresses of different or unknown families give "PROXY UNKNOWN"
 * (v1) or a v2 header with family AF_UNSPEC, which tells the real to use
 * the connection's own addresses. Returns the length, -EINVAL for an
 * unknown version, -ENOSPC if @size is too small.
 */
ssize_t proxy_pp_encode(int version, const struct sockaddr *client, const struct sockaddr *local,
			unsigned char *buf, size_t size);

#endif /* XLB_PROXY_PROTOCOL_H */
