// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * agent/strmap.c: see strmap.h.
 */
#include "agent/strmap.h"

#include <stdlib.h>
#include <string.h>

#include "lib/sn.h"

#define STRMAP_SEED 0x9e3779b97f4a7c15ull

void strmap_init(struct strmap *m)
{
	memset(m, 0, sizeof(*m));
}

void strmap_clear(struct strmap *m)
{
	for (size_t i = 0; i < m->cap; i++) {
		free(m->slots[i].key);
		m->slots[i].key = NULL;
	}
	m->n = 0;
}

void strmap_free(struct strmap *m)
{
	strmap_clear(m);
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

static size_t find(const struct strmap *m, const char *key, uint64_t h)
{
	size_t mask = m->cap - 1, i = h & mask;

	while (m->slots[i].key &&
	       (m->slots[i].hash != h || strcmp(m->slots[i].key, key) != 0))
		i = (i + 1) & mask;
	return i;
}

static void grow(struct strmap *m)
{
	struct strmap_slot *old = m->slots;
	size_t ocap = m->cap;

	m->cap = ocap ? ocap * 2 : 16;
	m->slots = sn_calloc(m->cap, sizeof(*m->slots));
	for (size_t i = 0; i < ocap; i++) {
		if (old[i].key)
			m->slots[find(m, old[i].key, old[i].hash)] = old[i];
	}
	free(old);
}

bool strmap_set(struct strmap *m, const char *key, uintptr_t val)
{
	uint64_t h = sn_hash_str(key, STRMAP_SEED);
	size_t i;

	/* load factor at most 1/2: probes stay short */
	if ((m->n + 1) * 2 > m->cap)
		grow(m);
	i = find(m, key, h);
	if (m->slots[i].key) {
		m->slots[i].val = val;
		return false;
	}
	m->slots[i] = (struct strmap_slot){ .key = sn_strdup(key), .hash = h, .val = val };
	m->n++;
	return true;
}

bool strmap_get(const struct strmap *m, const char *key, uintptr_t *val)
{
	size_t i;

	if (!m->cap)
		return false;
	i = find(m, key, sn_hash_str(key, STRMAP_SEED));
	if (!m->slots[i].key)
		return false;
	if (val)
		*val = m->slots[i].val;
	return true;
}

bool strmap_del(struct strmap *m, const char *key)
{
	size_t mask, i, j;

	if (!m->cap)
		return false;
	mask = m->cap - 1;
	i = find(m, key, sn_hash_str(key, STRMAP_SEED));
	if (!m->slots[i].key)
		return false;
	free(m->slots[i].key);
	m->slots[i].key = NULL;
	m->n--;
	/* backward shift: move later entries of the probe run into the hole
	 * when their home slot does not lie (cyclically) in (i, j] */
	for (j = (i + 1) & mask; m->slots[j].key; j = (j + 1) & mask) {
		size_t home = m->slots[j].hash & mask;

		if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
			continue;
		m->slots[i] = m->slots[j];
		m->slots[j].key = NULL;
		i = j;
	}
	return true;
}

const struct strmap_slot *strmap_next(const struct strmap *m, size_t *it)
{
	while (*it < m->cap) {
		const struct strmap_slot *s = &m->slots[(*it)++];

		if (s->key)
			return s;
	}
	return NULL;
}
