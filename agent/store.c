// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * agent/store.c: see store.h.
 */
#include "agent/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/loop.h"
#include "compiler/compile.h"

void ag_store_init(struct ag_store *s, const char *node_name)
{
	memset(s, 0, sizeof(*s));
	s->w = svc_world_alloc();
	for (int k = 0; k < AG_NKINDS; k++) {
		strmap_init(&s->idx[k]);
		strmap_init(&s->owner[k]);
	}
	strmap_init(&s->dirty);
	s->node_name = node_name ? sn_strdup(node_name) : NULL;
	sn_diag_init(&s->names);
	{
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		s->start_wall_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	}
}

void ag_store_free(struct ag_store *s)
{
	svc_world_free(s->w);
	for (int k = 0; k < AG_NKINDS; k++) {
		strmap_free(&s->idx[k]);
		strmap_free(&s->owner[k]);
	}
	strmap_free(&s->dirty);
	free(s->node_name);
	sn_diag_free(&s->names);
	ag_store_clear_triggers(s);
	free(s->triggers);
	memset(s, 0, sizeof(*s));
}

static unsigned count(const struct svc_world *w, enum ag_kind k)
{
	return k == AG_SERVICE ? w->nsvcs : k == AG_SLICE ? w->nslices : w->nnodes;
}

static const char *key_of(const struct svc_world *w, enum ag_kind k, unsigned i, char *buf)
{
	switch (k) {
	case AG_SERVICE:
		snprintf(buf, AG_KEY_MAX, "%s/%s", w->svcs[i].ns, w->svcs[i].name);
		break;
	case AG_SLICE:
		snprintf(buf, AG_KEY_MAX, "%s/%s", w->slices[i].ns, w->slices[i].name);
		break;
	default:
		snprintf(buf, AG_KEY_MAX, "%s", w->nodes[i].name);
		break;
	}
	return buf;
}

const char *ag_store_key(const struct ag_store *s, enum ag_kind kind, unsigned i, char *buf)
{
	return key_of(s->w, kind, i, buf);
}

long ag_store_find(const struct ag_store *s, enum ag_kind kind, const char *key)
{
	uintptr_t v;

	return strmap_get(&s->idx[kind], key, &v) ? (long)v : -1;
}

static void note_change(struct ag_store *s)
{
	uint64_t now = agent_now_ms();

	if (!s->first_change_ms)
		s->first_change_ms = now ? now : 1;
	s->last_change_ms = now;
}

static void mark_service(struct ag_store *s, const char *ns, const char *name)
{
	char key[AG_KEY_MAX];

	if (!ns || !name)
		return;
	snprintf(key, sizeof(key), "%s/%s", ns, name);
	strmap_set(&s->dirty, key, 0);
}

/* A change of object i of kind k (as it is in w now); counted: one per
 * change, not per state (a replacement marks the old and the new state). */
static void mark(struct ag_store *s, enum ag_kind k, unsigned i, bool counted)
{
	const struct svc_world *w = s->w;

	note_change(s);
	switch (k) {
	case AG_SERVICE:
		mark_service(s, w->svcs[i].ns, w->svcs[i].name);
		s->svc_changes += counted;
		s->prepared = false;
		break;
	case AG_SLICE:
		mark_service(s, w->slices[i].ns, w->slices[i].service);
		s->ep_changes += counted;
		break;
	default:
		if (!s->node_name || strcmp(s->node_name, w->nodes[i].name) == 0) {
			s->node_changed = true;
			s->prepared = false;	/* rare: no need to reason about it */
		}
		break;
	}
}

static void free_contents(struct svc_world *w, enum ag_kind k, unsigned i)
{
	if (k == AG_SERVICE)
		svc_service_free_contents(&w->svcs[i]);
	else if (k == AG_SLICE)
		svc_slice_free_contents(&w->slices[i]);
	else
		svc_node_free_contents(&w->nodes[i]);
}

static struct sn_loc *loc_of(struct svc_world *w, enum ag_kind k, unsigned i)
{
	return k == AG_SERVICE ? &w->svcs[i].loc : k == AG_SLICE ? &w->slices[i].loc :
				 &w->nodes[i].loc;
}

/* Move object j of scratch into slot i of the store's world (a new slot
 * when i == count). */
static void move_in(struct ag_store *s, struct svc_world *scratch, enum ag_kind k, unsigned j,
		    unsigned i)
{
	struct svc_world *w = s->w;
	struct sn_loc *loc;

	if (i == count(w, k)) {
		if (k == AG_SERVICE)
			svc_world_add_service(w);
		else if (k == AG_SLICE)
			svc_world_add_slice(w);
		else
			svc_world_add_node(w);
	}
	if (k == AG_SERVICE)
		w->svcs[i] = scratch->svcs[j];
	else if (k == AG_SLICE)
		w->slices[i] = scratch->slices[j];
	else
		w->nodes[i] = scratch->nodes[j];
	loc = loc_of(w, k, i);
	if (loc->file)
		loc->file = sn_diag_file(&s->names, loc->file);
}

static unsigned put(struct ag_store *s, struct svc_world *scratch, uint32_t owner,
		    struct strmap *seen)
{
	unsigned n = 0;
	char key[AG_KEY_MAX];

	for (int k = 0; k < AG_NKINDS; k++) {
		unsigned m = count(scratch, (enum ag_kind)k);

		for (unsigned j = 0; j < m; j++) {
			long i;

			key_of(scratch, (enum ag_kind)k, j, key);
			i = ag_store_find(s, (enum ag_kind)k, key);
			if (i >= 0) {
				/* the old state's Service too (a slice whose
				 * service label moved) */
				mark(s, (enum ag_kind)k, (unsigned)i, false);
				/* in place: the order holds unless the sort key moved */
				if (k == AG_SLICE &&
				    comp_slice_cmp(&s->w->slices[i], &scratch->slices[j]) != 0)
					s->slices_unsorted = true;
				free_contents(s->w, (enum ag_kind)k, (unsigned)i);
			} else {
				i = count(s->w, (enum ag_kind)k);
				strmap_set(&s->idx[k], key, (uintptr_t)i);
				if (k == AG_SLICE)	/* appended */
					s->slices_unsorted = true;
			}
			move_in(s, scratch, (enum ag_kind)k, j, (unsigned)i);
			strmap_set(&s->owner[k], key, owner);
			mark(s, (enum ag_kind)k, (unsigned)i, true);
			if (seen)
				strmap_set(seen, key, (uintptr_t)k);
			n++;
		}
	}
	/* the objects now belong to the store: empty scratch without freeing */
	scratch->nsvcs = scratch->nslices = scratch->nnodes = 0;
	return n;
}

unsigned ag_store_put(struct ag_store *s, struct svc_world *scratch, uint32_t owner)
{
	return put(s, scratch, owner, NULL);
}

/* A slice of svc went: its pending trigger times with it (ag_store_trigger). */
static void drop_triggers(struct ag_store *s, const char *ns, const char *svc)
{
	char key[AG_KEY_MAX];
	size_t n = 0;

	if (!ns || !svc)
		return;
	snprintf(key, sizeof(key), "%s/%s", ns, svc);
	for (size_t i = 0; i < s->ntriggers; i++) {
		if (!strcmp(s->triggers[i].svc, key)) {
			free(s->triggers[i].svc);
			continue;
		}
		s->triggers[n++] = s->triggers[i];
	}
	s->ntriggers = n;
}

static void del_at(struct ag_store *s, enum ag_kind k, unsigned i)
{
	char key[AG_KEY_MAX];
	unsigned last = count(s->w, k) - 1;

	if (k == AG_SLICE)
		drop_triggers(s, s->w->slices[i].ns, s->w->slices[i].service);
	mark(s, k, i, true);
	strmap_del(&s->idx[k], key_of(s->w, k, i, key));
	strmap_del(&s->owner[k], key);
	if (k == AG_SERVICE)
		svc_world_del_service(s->w, i);
	else if (k == AG_SLICE)
		svc_world_del_slice(s->w, i);
	else
		svc_world_del_node(s->w, i);
	if (i != last) {	/* the last object moved into the hole */
		strmap_set(&s->idx[k], key_of(s->w, k, i, key), i);
		if (k == AG_SLICE)
			s->slices_unsorted = true;
	}
}

unsigned ag_store_replace(struct ag_store *s, struct svc_world *scratch, uint32_t owner)
{
	struct strmap seen;
	unsigned n;

	strmap_init(&seen);
	n = put(s, scratch, owner, &seen);
	for (int k = 0; k < AG_NKINDS; k++) {
		const struct strmap_slot *sl;
		char **gone = NULL;
		size_t it = 0, ngone = 0, cap = 0;

		while ((sl = strmap_next(&s->owner[k], &it))) {
			uintptr_t v;

			if (sl->val != owner ||
			    (strmap_get(&seen, sl->key, &v) && v == (uintptr_t)k))
				continue;
			sn_grow(&gone, &cap, ngone + 1, sizeof(char *));
			gone[ngone++] = sn_strdup(sl->key);
		}
		for (size_t i = 0; i < ngone; i++) {
			ag_store_del(s, (enum ag_kind)k, gone[i]);
			free(gone[i]);
		}
		free(gone);
	}
	strmap_free(&seen);
	return n;
}

bool ag_store_del(struct ag_store *s, enum ag_kind kind, const char *key)
{
	long i = ag_store_find(s, kind, key);

	if (i < 0)
		return false;
	del_at(s, kind, (unsigned)i);
	return true;
}

static void reindex(struct ag_store *s, enum ag_kind k)
{
	char key[AG_KEY_MAX];
	unsigned n = count(s->w, k);

	/* same keys, new places: set in place (no key copies) unless some
	 * were dropped */
	if (s->idx[k].n != n)
		strmap_clear(&s->idx[k]);
	for (unsigned i = 0; i < n; i++)
		strmap_set(&s->idx[k], key_of(s->w, k, i, key), i);
}

int ag_store_prepare(struct ag_store *s, const struct comp_opts *o, struct sn_diag *d)
{
	int errs;

	if (s->prepared) {
		if (s->slices_unsorted) {
			bool sorted = true;

			for (unsigned i = 1; sorted && i < s->w->nslices; i++)
				sorted = comp_slice_cmp(&s->w->slices[i - 1], &s->w->slices[i]) <= 0;
			if (!sorted) {
				qsort(s->w->slices, s->w->nslices, sizeof(*s->w->slices), comp_slice_cmp);
				reindex(s, AG_SLICE);
			}
			s->slices_unsorted = false;
		}
		return 0;
	}
	for (unsigned i = 0; i < s->w->nsvcs; i++) {
		struct svc_service *sv = &s->w->svcs[i];

		for (unsigned j = 0; j < sv->nports; j++) {
			svc_mem_release(sv->mem, sv->ports[j].lost_frontends);
			sv->ports[j].lost_frontends = NULL;
			sv->ports[j].nlost_frontends = 0;
		}
	}
	errs = comp_prepare(s->w, o, d);
	s->prepared = true;
	s->slices_unsorted = false;
	for (int k = 0; k < AG_NKINDS; k++) {
		unsigned n = count(s->w, (enum ag_kind)k);

		reindex(s, (enum ag_kind)k);
		if (s->owner[k].n != n) {
			/* prepare removed invalid objects: forget their owners */
			const struct strmap_slot *sl;
			char **gone = NULL;
			size_t it = 0, ngone = 0, cap = 0;

			while ((sl = strmap_next(&s->owner[k], &it))) {
				if (strmap_get(&s->idx[k], sl->key, NULL))
					continue;
				sn_grow(&gone, &cap, ngone + 1, sizeof(char *));
				gone[ngone++] = sn_strdup(sl->key);
			}
			for (size_t i = 0; i < ngone; i++) {
				strmap_del(&s->owner[k], gone[i]);
				free(gone[i]);
			}
			free(gone);
		}
	}
	return errs;
}

bool ag_store_pending(const struct ag_store *s)
{
	return s->dirty.n || s->node_changed;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **ag_store_take_dirty(struct ag_store *s, size_t *n)
{
	char **v = sn_calloc(s->dirty.n + 1, sizeof(char *));
	const struct strmap_slot *sl;
	size_t it = 0, k = 0;

	while ((sl = strmap_next(&s->dirty, &it)))
		v[k++] = sn_strdup(sl->key);
	qsort(v, k, sizeof(char *), cmp_str);
	*n = k;
	ag_store_clear_dirty(s);
	return v;
}

void ag_store_clear_dirty(struct ag_store *s)
{
	strmap_clear(&s->dirty);
	s->node_changed = false;
	s->svc_changes = s->ep_changes = 0;
	s->first_change_ms = s->last_change_ms = 0;
}

int ag_rfc3339_ns(const char *text, int64_t *out)
{
	struct tm tm = { 0 };
	const char *p;
	int64_t frac = 0, scale = 100000000, off = 0;
	time_t t;

	if (!text)
		return -1;
	p = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p || p - text != 19)	/* strptime takes fewer digits than RFC 3339 allows */
		return -1;
	if (*p == '.') {
		if (p[1] < '0' || p[1] > '9')
			return -1;
		for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
			frac += scale ? (*p - '0') * scale : 0;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if ((*p == '+' || *p == '-') && p[1] >= '0' && p[1] <= '9' && p[2] >= '0' &&
		   p[2] <= '9' && p[3] == ':' && p[4] >= '0' && p[4] <= '9' && p[5] >= '0' &&
		   p[5] <= '9') {
		off = ((p[1] - '0') * 10 + (p[2] - '0')) * 3600 + ((p[4] - '0') * 10 + (p[5] - '0')) * 60;
		if (*p == '-')
			off = -off;
		p += 6;
	} else {
		return -1;
	}
	if (*p)
		return -1;
	t = timegm(&tm);
	/* ns since the epoch in an int64_t end in 2262 */
	if (t == (time_t)-1 || (int64_t)t - off < -9000000000LL || (int64_t)t - off > 9000000000LL)
		return -1;
	*out = ((int64_t)t - off) * 1000000000 + frac;
	return 0;
}

bool ag_store_trigger(struct ag_store *s, const char *ns, const char *svc, uint8_t family,
		      const char *text)
{
	char key[AG_KEY_MAX];
	int64_t t;

	if (!ns || !svc || ag_rfc3339_ns(text, &t) < 0 || t <= s->start_wall_ns)
		return false;
	snprintf(key, sizeof(key), "%s/%s", ns, svc);
	sn_grow(&s->triggers, &s->triggers_cap, s->ntriggers + 1, sizeof(*s->triggers));
	s->triggers[s->ntriggers++] = (struct ag_trigger){ .svc = sn_strdup(key),
							   .family = family, .wall_ns = t };
	return true;
}

void ag_store_clear_triggers(struct ag_store *s)
{
	for (size_t i = 0; i < s->ntriggers; i++)
		free(s->triggers[i].svc);
	s->ntriggers = 0;
}
