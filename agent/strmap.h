/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * agent/strmap.h: a string-keyed hash map (open addressing, linear probing,
 * backward-shift deletion: no tombstones, so a map that sees endless
 * add/delete churn, as the agent's object index does, never degrades).
 * Values are an unsigned index or a pointer-sized integer.
 *
 * Ownership: the map owns copies of its keys. Iteration (strmap_next) sees
 * every entry once as long as the map is not changed meanwhile.
 */
#ifndef SVCNFT_AGENT_STRMAP_H
#define SVCNFT_AGENT_STRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct strmap_slot {
	char *key;	/* NULL = empty */
	uint64_t hash;
	uintptr_t val;
};

struct strmap {
	struct strmap_slot *slots;
	size_t cap;	/* a power of two, or 0 */
	size_t n;
};

void strmap_init(struct strmap *m);
void strmap_free(struct strmap *m);
void strmap_clear(struct strmap *m);

/* Set key to val (added or replaced). Returns true when the key was new. */
bool strmap_set(struct strmap *m, const char *key, uintptr_t val);
/* The value in *val; false when absent (val may be NULL). */
bool strmap_get(const struct strmap *m, const char *key, uintptr_t *val);
/* Remove key; false when it was absent. */
bool strmap_del(struct strmap *m, const char *key);

/* Iterate: size_t it = 0; while ((s = strmap_next(m, &it))) ... */
const struct strmap_slot *strmap_next(const struct strmap *m, size_t *it);

#endif
