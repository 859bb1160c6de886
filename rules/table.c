/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rules/table.c: rulesets, tables, chains and sets as containers, with
 * name lookup by hash table (a table can hold tens of thousands of chains,
 * and both the compiler and the diff look every one of them up).
 */
#include <stdlib.h>
#include <string.h>

#include "rules/internal.h"

/* ---- strings ---- */

bool rs_string_ok(const char *s)
{
	size_t i;

	if (!s)
		return false;
	for (i = 0; s[i]; i++)
		if (i >= RS_COMMENT_MAX || !rs_char_ok((unsigned char)s[i]))
			return false;
	return true;
}

void rs_buf_add_safe(struct sn_buf *b, const char *s, size_t max)
{
	size_t i, n = strnlen(s, max);

	/* Most strings need no replacement: one copy, not one call a byte. */
	for (i = 0; i < n && rs_char_ok((unsigned char)s[i]); i++)
		;
	if (i == n) {
		sn_buf_addn(b, s, n);
		return;
	}
	for (i = 0; s[i] && i < max; i++)
		sn_buf_addc(b, rs_char_ok((unsigned char)s[i]) ? s[i] : '?');
}

char *rs_strdup_safe(const char *s, size_t max)
{
	size_t i, n = strnlen(s, max);
	char *p = sn_malloc(n + 1);

	/* One allocation, no growing buffer: every element comment of a
	 * compile comes through here. */
	for (i = 0; i < n; i++)
		p[i] = rs_char_ok((unsigned char)s[i]) ? s[i] : '?';
	p[n] = '\0';
	return p;
}

static void rs_set_str(char **dst, const char *s, size_t max)
{
	free(*dst);
	*dst = s ? rs_strdup_safe(s, max) : NULL;
}

static bool rs_name_valid(const char *name)
{
	return name && *name && strlen(name) <= RS_NAME_MAX;
}

/* ---- names and types ---- */

const char *rs_family_name(enum rs_family f)
{
	switch (f) {
	case RS_IP:
		return "ip";
	case RS_IP6:
		return "ip6";
	}
	return "unknown";
}

static const char *const rs_type_names[__RS_T_MAX] = {
	[RS_T_NONE] = "invalid",
	[RS_T_IPV4] = "ipv4_addr",
	[RS_T_IPV6] = "ipv6_addr",
	[RS_T_PROTO] = "inet_proto",
	[RS_T_SERVICE] = "inet_service",
	[RS_T_VERDICT] = "verdict",
	[RS_T_INTEGER] = "integer",
};

const char *rs_type_name(enum rs_type t)
{
	return (unsigned)t < __RS_T_MAX ? rs_type_names[t] : "invalid";
}

static const uint8_t rs_type_lens[__RS_T_MAX] = {
	[RS_T_IPV4] = 4,
	[RS_T_IPV6] = 16,
	[RS_T_PROTO] = 1,
	[RS_T_SERVICE] = 2,
	[RS_T_INTEGER] = 4,
};

unsigned rs_type_len(enum rs_type t)
{
	return (unsigned)t < __RS_T_MAX ? rs_type_lens[t] : 0;
}

enum rs_type rs_field_type(enum rs_family f, enum rs_field field)
{
	enum rs_type addr = f == RS_IP6 ? RS_T_IPV6 : RS_T_IPV4;

	switch (field) {
	case RS_F_SADDR:
	case RS_F_DADDR:
	case RS_F_CT_ODADDR:
		return addr;
	case RS_F_L4PROTO:
		return RS_T_PROTO;
	case RS_F_DPORT:
	case RS_F_CT_OPROTO_DST:
		return RS_T_SERVICE;
	case RS_F_NUMGEN:
		return RS_T_INTEGER;
	case __RS_F_MAX:
		break;
	}
	return RS_T_NONE;
}

/* ---- hash tables ----
 *
 * Chains and sets are chained through their hnext pointers in a bucket
 * array whose size is a power of two, doubled when there are more objects
 * than buckets: lookups stay O(1) on average at any table size.
 */

#define RS_HT_MIN 64	/* first bucket array: small tables stay small */

#define RS_HT_INSERT(arr, size, count, type, obj)                                  \
	do {                                                                       \
		if ((count) + 1 > (size)) {                                        \
			size_t nsize_ = (size) ? (size) * 2 : RS_HT_MIN;           \
			type **narr_ = sn_calloc(nsize_, sizeof(*narr_));          \
			size_t i_;                                                 \
			for (i_ = 0; i_ < (size); i_++) {                          \
				type *o_ = (arr)[i_], *next_;                      \
				for (; o_; o_ = next_) {                           \
					next_ = o_->hnext;                         \
					o_->hnext = narr_[o_->hash & (nsize_ - 1)]; \
					narr_[o_->hash & (nsize_ - 1)] = o_;       \
				}                                                  \
			}                                                          \
			free(arr);                                                 \
			(arr) = narr_;                                             \
			(size) = nsize_;                                           \
		}                                                                  \
		(obj)->hnext = (arr)[(obj)->hash & ((size) - 1)];                  \
		(arr)[(obj)->hash & ((size) - 1)] = (obj);                         \
	} while (0)

#define RS_HT_FIND(arr, size, type, name, out)                                     \
	do {                                                                       \
		uint64_t h_ = sn_hash_str((name), SN_HASH_SEED);                   \
		type *o_;                                                          \
		(out) = NULL;                                                      \
		if (!(size))                                                       \
			break;                                                     \
		for (o_ = (arr)[h_ & ((size) - 1)]; o_; o_ = o_->hnext) {          \
			if (o_->hash == h_ && !strcmp(o_->name, (name))) {         \
				(out) = o_;                                        \
				break;                                             \
			}                                                          \
		}                                                                  \
	} while (0)

#define RS_HT_REMOVE(arr, size, type, obj)                                         \
	do {                                                                       \
		type **pp_ = &(arr)[(obj)->hash & ((size) - 1)];                   \
		for (; *pp_; pp_ = &(*pp_)->hnext) {                               \
			if (*pp_ == (obj)) {                                       \
				*pp_ = (obj)->hnext;                               \
				break;                                             \
			}                                                          \
		}                                                                  \
		(obj)->hnext = NULL;                                               \
	} while (0)

/* ---- ruleset ---- */

struct rs_ruleset *rs_ruleset_alloc(void)
{
	return sn_calloc(1, sizeof(struct rs_ruleset));
}

void rs_ruleset_free(struct rs_ruleset *rs)
{
	size_t i;

	if (!rs)
		return;
	for (i = 0; i < rs->n; i++)
		rs_table_free(rs->tables[i]);
	free(rs->tables);
	free(rs);
}

struct rs_table *rs_ruleset_add_table(struct rs_ruleset *rs, enum rs_family f, const char *name)
{
	struct rs_table *t;

	if (!rs_name_valid(name) || rs_ruleset_find_table(rs, f, name))
		return NULL;
	t = sn_calloc(1, sizeof(*t));
	t->family = f;
	t->name = sn_strdup(name);
	sn_grow(&rs->tables, &rs->cap, rs->n + 1, sizeof(*rs->tables));
	rs->tables[rs->n++] = t;
	return t;
}

struct rs_table *rs_ruleset_find_table(const struct rs_ruleset *rs, enum rs_family f,
				       const char *name)
{
	size_t i;

	/* One or two tables per ruleset: no index needed. */
	for (i = 0; rs && name && i < rs->n; i++)
		if (rs->tables[i]->family == f && !strcmp(rs->tables[i]->name, name))
			return rs->tables[i];
	return NULL;
}

/* ---- table ---- */

void rs_table_free(struct rs_table *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->nchains; i++)
		rs_chain_free(t->chains[i]);
	for (i = 0; i < t->nsets; i++)
		rs_set_free(t->sets[i]);
	free(t->chains);
	free(t->sets);
	free(t->chain_ht);
	free(t->set_ht);
	free(t->name);
	free(t->comment);
	free(t);
}

void rs_table_set_comment(struct rs_table *t, const char *comment)
{
	rs_set_str(&t->comment, comment, RS_COMMENT_MAX);
}

struct rs_chain *rs_table_add_chain(struct rs_table *t, const char *name)
{
	struct rs_chain *c;

	if (!rs_name_valid(name) || rs_table_find_chain(t, name))
		return NULL;
	c = sn_calloc(1, sizeof(*c));
	c->name = sn_strdup(name);
	c->hook = RS_HOOK_NONE;
	c->hash = sn_hash_str(name, SN_HASH_SEED);
	sn_grow(&t->chains, &t->chains_cap, t->nchains + 1, sizeof(*t->chains));
	t->chains[t->nchains++] = c;
	RS_HT_INSERT(t->chain_ht, t->chain_ht_size, t->nchains - 1, struct rs_chain, c);
	return c;
}

struct rs_chain *rs_table_add_base_chain(struct rs_table *t, const char *name, const char *type,
					 enum rs_hook hook, int32_t prio)
{
	struct rs_chain *c = rs_table_add_chain(t, name);

	if (!c)
		return NULL;
	c->hook = hook;
	c->type = sn_strdup(type ? type : "filter");
	c->prio = prio;
	return c;
}

struct rs_chain *rs_table_find_chain(const struct rs_table *t, const char *name)
{
	struct rs_chain *c;

	if (!name)
		return NULL;
	RS_HT_FIND(t->chain_ht, t->chain_ht_size, struct rs_chain, name, c);
	return c;
}

bool rs_table_del_chain(struct rs_table *t, const char *name)
{
	struct rs_chain *c = rs_table_find_chain(t, name);
	size_t i;

	if (!c)
		return false;
	RS_HT_REMOVE(t->chain_ht, t->chain_ht_size, struct rs_chain, c);
	/* O(n) to keep the print order; deleting is rare (reader, tests). */
	for (i = 0; i < t->nchains; i++) {
		if (t->chains[i] == c) {
			memmove(&t->chains[i], &t->chains[i + 1],
				(t->nchains - i - 1) * sizeof(*t->chains));
			t->nchains--;
			break;
		}
	}
	rs_chain_free(c);
	return true;
}

struct rs_set *rs_table_add_set(struct rs_table *t, const char *name)
{
	struct rs_set *s;

	if (!rs_name_valid(name) || rs_table_find_set(t, name))
		return NULL;
	s = sn_calloc(1, sizeof(*s));
	s->name = sn_strdup(name);
	s->hash = sn_hash_str(name, SN_HASH_SEED);
	s->sorted = true;	/* no elements yet */
	sn_grow(&t->sets, &t->sets_cap, t->nsets + 1, sizeof(*t->sets));
	t->sets[t->nsets++] = s;
	RS_HT_INSERT(t->set_ht, t->set_ht_size, t->nsets - 1, struct rs_set, s);
	return s;
}

struct rs_set *rs_table_find_set(const struct rs_table *t, const char *name)
{
	struct rs_set *s;

	if (!name)
		return NULL;
	RS_HT_FIND(t->set_ht, t->set_ht_size, struct rs_set, name, s);
	return s;
}

bool rs_table_del_set(struct rs_table *t, const char *name)
{
	struct rs_set *s = rs_table_find_set(t, name);
	size_t i;

	if (!s)
		return false;
	RS_HT_REMOVE(t->set_ht, t->set_ht_size, struct rs_set, s);
	for (i = 0; i < t->nsets; i++) {
		if (t->sets[i] == s) {
			memmove(&t->sets[i], &t->sets[i + 1], (t->nsets - i - 1) * sizeof(*t->sets));
			t->nsets--;
			break;
		}
	}
	rs_set_free(s);
	return true;
}

static int rs_chain_name_cmp(const void *x, const void *y)
{
	const struct rs_chain *a = *(const struct rs_chain *const *)x;
	const struct rs_chain *b = *(const struct rs_chain *const *)y;

	return strcmp(a->name, b->name);
}

void rs_table_sort(struct rs_table *t)
{
	size_t i, nbase = 0;

	/* Base chains first, in the order they were added (a stable
	 * partition); the regular chains after them by name, which is unique,
	 * so the order is total. Sets keep the compiler's order. */
	for (i = 0; i < t->nchains; i++) {
		struct rs_chain *c = t->chains[i];

		if (c->hook >= 0) {
			memmove(&t->chains[nbase + 1], &t->chains[nbase],
				(i - nbase) * sizeof(*t->chains));
			t->chains[nbase++] = c;
		}
	}
	qsort(t->chains + nbase, t->nchains - nbase, sizeof(*t->chains), rs_chain_name_cmp);
	for (i = 0; i < t->nsets; i++)
		rs_set_sort(t->sets[i]);
}

/* ---- chain ---- */

void rs_chain_free(struct rs_chain *c)
{
	if (!c)
		return;
	rs_chain_flush(c);
	free(c->rules);
	free(c->name);
	free(c->note);
	free(c->type);
	free(c);
}

void rs_chain_set_note(struct rs_chain *c, const char *note)
{
	rs_set_str(&c->note, note, RS_COMMENT_MAX);
}

struct rs_rule *rs_chain_add_rule(struct rs_chain *c)
{
	size_t cap = c->cap;
	struct rs_rule *r;

	if (c->n == UINT32_MAX) {
		fprintf(stderr, "svcnft: too many rules in chain %s\n", c->name);
		abort();
	}
	sn_grow(&c->rules, &cap, (size_t)c->n + 1, sizeof(*c->rules));
	c->cap = cap > UINT32_MAX ? UINT32_MAX : (uint32_t)cap;
	r = &c->rules[c->n++];
	memset(r, 0, sizeof(*r));
	return r;
}

void rs_chain_flush(struct rs_chain *c)
{
	uint32_t i;

	for (i = 0; i < c->n; i++)
		rs_rule_free_contents(&c->rules[i]);
	c->n = 0;
}

/* ---- set ---- */

void rs_set_free(struct rs_set *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++)
		rs_elem_free_contents(&s->elems[i]);
	rs_set_free_elems(s);
	free(s->name);
	free(s->comment);
	free(s);
}

void rs_set_set_comment(struct rs_set *s, const char *comment)
{
	rs_set_str(&s->comment, comment, RS_COMMENT_MAX);
}

void rs_set_set_type(struct rs_set *s, uint8_t nkey, const uint8_t *key, uint8_t ndata,
		     const uint8_t *data)
{
	uint8_t i;

	/* Out-of-range counts are a caller's bug: clamp rather than overrun. */
	if (nkey > RS_KEY_MAX)
		nkey = RS_KEY_MAX;
	if (ndata > SN_ARRAY_SIZE(s->data))
		ndata = SN_ARRAY_SIZE(s->data);
	memset(s->key, 0, sizeof(s->key));
	memset(s->data, 0, sizeof(s->data));
	s->nkey = nkey;
	s->ndata = ndata;
	for (i = 0; i < nkey; i++)
		s->key[i] = key[i];
	for (i = 0; i < ndata; i++)
		s->data[i] = data[i];
	memset(&s->tkey, 0, sizeof(s->tkey));
	memset(&s->tdata, 0, sizeof(s->tdata));
	s->sorted = s->n <= 1;
}

void rs_set_set_typeof(struct rs_set *s, enum rs_family f, const struct rs_key *key,
		       const struct rs_key *data)
{
	uint8_t kt[RS_KEY_MAX] = { 0 }, dt[2] = { 0 }, nk = key->len > RS_KEY_MAX ? RS_KEY_MAX : key->len;
	uint8_t nd = data && data->len ? (data->len > 2 ? 2 : data->len) : 0, i;

	for (i = 0; i < nk; i++)
		kt[i] = (uint8_t)rs_field_type(f, key->field[i]);
	for (i = 0; i < nd; i++)
		dt[i] = (uint8_t)rs_field_type(f, data->field[i]);
	rs_set_set_type(s, nk, kt, nd, dt);
	s->tkey = *key;
	s->tkey.len = nk;
	if (nd) {
		s->tdata = *data;
		s->tdata.len = nd;
	}
}

bool rs_set_type_eq(const struct rs_set *a, const struct rs_set *b)
{
	return a->nkey == b->nkey && a->ndata == b->ndata &&
	       !memcmp(a->key, b->key, a->nkey) && !memcmp(a->data, b->data, a->ndata);
}
