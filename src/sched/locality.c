// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The destination-address cache of lblc and lblcr. IPVS keeps a chained
 * hash (1024 buckets, hash_32 of the folded address) whose entries a timer
 * sweeps: every 30 minutes it drops entries idle for lblc(r)_expiration (24 h
 * by default), and once a minute, if the table holds more than 16 times its
 * buckets, entries idle for 6 minutes.
 *
 * Here: a fixed array of 2^bits slots, open addressing with linear probing
 * from the same hash, deletion by backward shift (no tombstones). Expiry is
 * applied exactly rather than by a periodic timer: an entry idle for
 * expire_ms is gone when next looked up (IPVS would use it until its sweep,
 * up to 30 minutes later), and sched_loc_expire() is the sweep. A full
 * cache first drops entries idle for SCHED_LOC_GC_IDLE_MS (IPVS's garbage
 * collection) and then, if still full, the least recently used one, so an
 * insert never fails: the data plane's LRU hash map behaves the same way.
 */
#include "sched.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static size_t sched_loc_cap(const struct sched_loc_cache *c)
{
	return (size_t)1 << c->bits;
}

static size_t sched_loc_home(const struct sched_loc_cache *c, const struct xlb_addr *addr)
{
	return sched_hash_32(sched_addr_fold(addr), c->bits);
}

static uint64_t sched_loc_idle(const struct sched_loc_entry *e, uint64_t now_ms)
{
	/* a clock that went back counts as no time passed */
	return now_ms > e->lastuse ? now_ms - e->lastuse : 0;
}

int sched_loc_init(struct sched_loc_cache *c, unsigned int bits, uint64_t expire_ms)
{
	if (bits < 1 || bits > 24)
		return -EINVAL;
	c->slot = calloc((size_t)1 << bits, sizeof(*c->slot));
	if (!c->slot)
		return -ENOMEM;
	c->bits = bits;
	c->count = 0;
	c->expire_ms = expire_ms ? expire_ms : SCHED_LOC_EXPIRE_MS;
	return 0;
}

void sched_loc_free(struct sched_loc_cache *c)
{
	free(c->slot);
	c->slot = NULL;
	c->count = 0;
}

/* Empties slot @i and pulls later entries of the probe run back over it. */
static void sched_loc_del(struct sched_loc_cache *c, size_t i)
{
	size_t mask = sched_loc_cap(c) - 1, j = i;

	/* the hole is marked at once, so a full table still ends the walk */
	c->slot[i].used = false;
	for (;;) {
		size_t k;

		j = (j + 1) & mask;
		if (!c->slot[j].used)
			break;
		k = sched_loc_home(c, &c->slot[j].addr);
		/* j may fill the hole at i unless its home lies cyclically in (i, j] */
		if (j > i ? (k <= i || k > j) : (k <= i && k > j)) {
			c->slot[i] = c->slot[j];
			c->slot[j].used = false;
			i = j;
		}
	}
	c->count--;
}

struct sched_loc_entry *sched_loc_get(struct sched_loc_cache *c, const struct xlb_addr *addr,
				      uint64_t now_ms)
{
	size_t cap = sched_loc_cap(c), mask = cap - 1, i = sched_loc_home(c, addr);

	for (size_t k = 0; k < cap; k++, i = (i + 1) & mask) {
		struct sched_loc_entry *e = &c->slot[i];

		if (!e->used)
			return NULL;
		if (memcmp(&e->addr, addr, sizeof(*addr)) != 0)
			continue;
		if (sched_loc_idle(e, now_ms) >= c->expire_ms) {
			sched_loc_del(c, i);
			return NULL;
		}
		return e;
	}
	return NULL;
}

/* Drops every entry idle for at least @idle_ms; returns how many. */
static size_t sched_loc_sweep(struct sched_loc_cache *c, uint64_t now_ms, uint64_t idle_ms)
{
	size_t cap = sched_loc_cap(c), dropped = 0;

	for (size_t i = 0; i < cap;) {
		if (c->slot[i].used && sched_loc_idle(&c->slot[i], now_ms) >= idle_ms) {
			/* a later entry may have moved into i: look at i again */
			sched_loc_del(c, i);
			dropped++;
			continue;
		}
		i++;
	}
	return dropped;
}

size_t sched_loc_expire(struct sched_loc_cache *c, uint64_t now_ms)
{
	return sched_loc_sweep(c, now_ms, c->expire_ms);
}

struct sched_loc_entry *sched_loc_add(struct sched_loc_cache *c, const struct xlb_addr *addr,
				      uint64_t now_ms)
{
	size_t cap = sched_loc_cap(c), mask = cap - 1, i;
	struct sched_loc_entry *e;

	if (c->count == cap && !sched_loc_sweep(c, now_ms, SCHED_LOC_GC_IDLE_MS)) {
		size_t lru = 0;

		for (i = 1; i < cap; i++)
			if (c->slot[i].lastuse < c->slot[lru].lastuse)
				lru = i;
		sched_loc_del(c, lru);
	}
	for (i = sched_loc_home(c, addr); c->slot[i].used; i = (i + 1) & mask)
		;
	e = &c->slot[i];
	memset(e, 0, sizeof(*e));
	e->addr = *addr;
	e->lastuse = now_ms;
	e->lastmod = now_ms;
	e->used = true;
	c->count++;
	return e;
}

/*
 * IPVS is_overloaded() of lblc/lblcr: the real has more active connections
 * than its weight while some other real is below half of its own. Only
 * reals that can take new flows count as that other real.
 */
bool sched_loc_overloaded(const struct sched_real *reals, size_t n, size_t i)
{
	if (reals[i].active <= reals[i].weight)
		return false;
	for (size_t m = 0; m < n; m++)
		if (reals[m].usable && (uint64_t)reals[m].active * 2 < reals[m].weight)
			return true;
	return false;
}
