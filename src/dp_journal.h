/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The undo log of a reload: what each map entry held before the reload
 * wrote it, so that a reload that fails half way puts every entry back.
 */
#ifndef XLB_DP_JOURNAL_H
#define XLB_DP_JOURNAL_H

#include <stdint.h>

struct dp_journal;

struct dp_journal *dp_journal_new(void);
void dp_journal_free(struct dp_journal *j);
/*
 * Records what map @fd holds at @key (@vsz bytes, per-CPU maps: all CPUs'),
 * or that it holds nothing there. Call before writing or deleting it.
 * 0, or negative errno: then the write must not happen (it could not be undone).
 */
int dp_journal_save(struct dp_journal *j, int fd, const void *key, uint32_t ksz, uint32_t vsz);
/* The same for the @n entries of array map @fd from index @base (one batch). */
int dp_journal_save_range(struct dp_journal *j, int fd, uint32_t base, uint32_t n, uint32_t vsz);
/* Puts every recorded entry back, newest first. 0, or the first error (it goes on past errors). */
int dp_journal_undo(struct dp_journal *j);

#endif /* XLB_DP_JOURNAL_H */
