/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Socket helpers the checkers share: addresses, errno to reason, connect, checksums. */
#ifndef XLB_HEALTH_NET_H
#define XLB_HEALTH_NET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "health/health.h"

/* A socket error of the check's target (refused, unreachable...) as a reason. */
enum health_reason health_reason_from_errno(int err);
/*
 * Errors that say nothing about the real (out of fds, memory or local
 * ports): the run is skipped rather than counted as a failure.
 */
bool health_errno_is_local(int err);
/*
 * The source address the kernel would use towards @dst (a UDP socket that
 * is connected but never sends: no packet leaves). 0 or negative errno.
 */
int health_source_addr(const struct net_addr *dst, struct net_addr *src);
/*
 * Starts a non-blocking TCP connect of @c to its target and registers it,
 * edge-triggered, for EPOLLIN and EPOLLOUT (for the whole run: read and
 * write until EAGAIN). 0 (in progress), or negative errno for a local
 * failure; a failure of the target (an immediate refusal) ends the run.
 */
int health_tcp_connect(struct health_check *c);
/* After @events on a connecting socket: 0, or the connect's errno. */
int health_connect_result(int fd, uint32_t events);
/* Closes with RST instead of FIN, so checks leave no TIME_WAIT on either side. */
void health_set_linger0(int fd);
/* One's-complement sum for the Internet checksum, to be folded by csum_fold. */
uint32_t health_csum_add(uint32_t sum, const void *data, size_t len);
uint16_t health_csum_fold(uint32_t sum);
/* Printable, single-line copy of up to @n bytes of @data, for failure details. */
void health_printable(const void *data, size_t n, char *buf, size_t size);
/* Random bits for ids and sequence numbers (not for secrets). */
uint32_t health_random32(void);

#endif /* XLB_HEALTH_NET_H */
