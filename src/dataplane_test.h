/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* For tests only: failures injected into the data plane's steps. */
#ifndef XLB_DATAPLANE_TEST_H
#define XLB_DATAPLANE_TEST_H

struct dataplane;

/*
 * The @n-th step from now (0: the next) that changes the data plane (a map
 * write or delete, an attach, a detach, a program swap) fails with -EIO;
 * -1: none. One failure, then steps succeed again.
 */
void dataplane_test_fail_step(struct dataplane *dp, long n);
/* Steps left before the injected failure; -1 once it happened (or none was set). */
long dataplane_test_fail_left(const struct dataplane *dp);

#endif /* XLB_DATAPLANE_TEST_H */
