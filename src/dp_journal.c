// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Entries are kept in write order and undone newest first, so an entry
 * written twice ends with what it held before the first write.
 */
#include "dp_journal.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct dp_journal_entry {
	int fd;
	uint32_t ksz, vsz;
	uint32_t n; /* 0: one entry at data's key; else a range of an array from index base */
	uint32_t base;
	bool present;	     /* the map held a value there (else: undo deletes) */
	unsigned char *data; /* key, then value (n values for a range) */
};

struct dp_journal {
	struct dp_journal_entry *v;
	size_t n, cap;
};

struct dp_journal *dp_journal_new(void)
{
	return calloc(1, sizeof(struct dp_journal));
}

void dp_journal_free(struct dp_journal *j)
{
	if (!j)
		return;
	for (size_t i = 0; i < j->n; i++)
		free(j->v[i].data);
	free(j->v);
	free(j);
}

static struct dp_journal_entry *dp_journal_add(struct dp_journal *j)
{
	if (j->n == j->cap) {
		size_t cap = j->cap ? j->cap * 2 : 256;
		struct dp_journal_entry *grown = realloc(j->v, cap * sizeof(*grown));

		if (!grown)
			return NULL;
		j->v = grown;
		j->cap = cap;
	}
	return &j->v[j->n];
}

int dp_journal_save(struct dp_journal *j, int fd, const void *key, uint32_t ksz, uint32_t vsz)
{
	struct dp_journal_entry *e = dp_journal_add(j);

	if (!e)
		return -ENOMEM;
	*e = (struct dp_journal_entry){.fd = fd, .ksz = ksz, .vsz = vsz};
	e->data = malloc((size_t)ksz + vsz);
	if (!e->data)
		return -ENOMEM;
	memcpy(e->data, key, ksz);
	if (bpf_map_lookup_elem(fd, key, e->data + ksz) == 0) {
		e->present = true;
	} else if (errno != ENOENT) {
		int err = -errno;

		free(e->data);
		return err;
	}
	j->n++;
	return 0;
}

int dp_journal_save_range(struct dp_journal *j, int fd, uint32_t base, uint32_t n, uint32_t vsz)
{
	struct dp_journal_entry *e = dp_journal_add(j);
	uint32_t *keys;
	__u32 count = n;
	__u32 prev = base - 1, out;
	int err = 0;

	if (!e)
		return -ENOMEM;
	*e = (struct dp_journal_entry){
	    .fd = fd, .ksz = sizeof(uint32_t), .vsz = vsz, .n = n, .base = base, .present = true};
	e->data = malloc((size_t)n * vsz);
	keys = malloc((size_t)n * sizeof(*keys));
	if (!e->data || !keys) {
		err = -ENOMEM;
		goto fail;
	}
	/* An array's batch starts at the key after in_batch: base - 1, or the first (NULL). */
	if (bpf_map_lookup_batch(fd, base ? &prev : NULL, &out, keys, e->data, &count, NULL) < 0 &&
	    errno != ENOENT) {
		err = -errno;
		goto fail;
	}
	if (count != n || keys[0] != base) {
		err = -ERANGE;
		goto fail;
	}
	free(keys);
	j->n++;
	return 0;
fail:
	free(keys);
	free(e->data);
	return err;
}

static int dp_journal_undo_one(const struct dp_journal_entry *e)
{
	if (e->n) {
		uint32_t *keys = malloc((size_t)e->n * sizeof(*keys));
		__u32 count = e->n;
		int err;

		if (!keys)
			return -ENOMEM;
		for (uint32_t i = 0; i < e->n; i++)
			keys[i] = e->base + i;
		err = bpf_map_update_batch(e->fd, keys, e->data, &count, NULL) ? -errno : 0;
		free(keys);
		return err;
	}
	if (e->present)
		return bpf_map_update_elem(e->fd, e->data, e->data + e->ksz, BPF_ANY) ? -errno : 0;
	if (bpf_map_delete_elem(e->fd, e->data) && errno != ENOENT)
		return -errno;
	return 0;
}

int dp_journal_undo(struct dp_journal *j)
{
	int first = 0;

	for (size_t i = j->n; i-- > 0;) {
		int err = dp_journal_undo_one(&j->v[i]);

		if (err && !first)
			first = err;
		free(j->v[i].data);
	}
	j->n = 0;
	return first;
}
