/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rules/elem.c: set and map elements: order, equality, lookup.
 *
 * Elements are compared field by field in key order under the set's type:
 * addresses by their bytes, then (interval sets only) by prefix length;
 * protocols and ports numerically. In a set without intervals a prefix
 * length means nothing, so it is ignored there: a reader that leaves it 0
 * still matches a desired element parsed with plen 32.
 */
#include <stdlib.h>
#include <string.h>

#include "rules/internal.h"

static int rs_num_cmp(unsigned a, unsigned b)
{
	return a < b ? -1 : a > b;
}

static int rs_val_cmp(uint8_t type, bool with_plen, const struct rs_val *a, const struct rs_val *b)
{
	int r;

	switch (type) {
	case RS_T_IPV4:
	case RS_T_IPV6:
		r = memcmp(a->addr.a, b->addr.a, rs_type_len(type));
		if (r)
			return r < 0 ? -1 : 1;
		return with_plen ? rs_num_cmp(a->addr.plen, b->addr.plen) : 0;
	case RS_T_PROTO:
	case RS_T_SERVICE:
	case RS_T_INTEGER:
		return rs_num_cmp(a->num, b->num);
	}
	return 0;
}

static int rs_comment_cmp(const char *a, const char *b)
{
	int r = strcmp(a ? a : "", b ? b : "");

	return r < 0 ? -1 : r > 0;
}

int rs_elem_key_cmp(const struct rs_set *s, const struct rs_elem *a, const struct rs_elem *b)
{
	bool interval = s->flags & RS_SET_INTERVAL;
	uint8_t i;
	int r;

	for (i = 0; i < s->nkey && i < RS_KEY_MAX; i++) {
		r = rs_val_cmp(s->key[i], interval, &a->key[i], &b->key[i]);
		if (r)
			return r;
	}
	return 0;
}

static int rs_verdict_cmp(const struct rs_verdict *a, const struct rs_verdict *b)
{
	if (a->code != b->code)
		return rs_num_cmp(a->code, b->code);
	if (a->code != RS_V_JUMP && a->code != RS_V_GOTO)
		return 0;
	if (!a->chain || !b->chain)
		return rs_num_cmp(!!a->chain, !!b->chain);
	return strcmp(a->chain, b->chain);
}

int rs_elem_data_cmp(const struct rs_set *s, const struct rs_elem *a, const struct rs_elem *b)
{
	uint8_t i;
	int r;

	if (s->ndata == 1 && s->data[0] == RS_T_VERDICT) {
		r = rs_verdict_cmp(&a->verdict, &b->verdict);
		return r ? r : rs_comment_cmp(a->comment, b->comment);
	}
	for (i = 0; i < s->ndata && i < SN_ARRAY_SIZE(a->data); i++) {
		r = rs_val_cmp(s->data[i], false, &a->data[i], &b->data[i]);
		if (r)
			return r;
	}
	/* The comment counts as data: a renamed one replaces the element. */
	return rs_comment_cmp(a->comment, b->comment);
}

void rs_elem_set_comment(struct rs_elem *e, const char *comment)
{
	free(e->comment);
	e->comment = comment && *comment ? rs_strdup_safe(comment, RS_COMMENT_MAX) : NULL;
}

int rs_elem_cmp(const struct rs_set *s, const struct rs_elem *a, const struct rs_elem *b)
{
	int r = rs_elem_key_cmp(s, a, b);

	return r ? r : rs_elem_data_cmp(s, a, b);
}

bool rs_elem_data_eq(const struct rs_set *s, const struct rs_elem *a, const struct rs_elem *b)
{
	return rs_elem_data_cmp(s, a, b) == 0;
}

struct rs_elem *rs_set_add_elem(struct rs_set *s)
{
	struct rs_elem *e;

	sn_grow(&s->elems, &s->cap, s->n + 1, sizeof(*s->elems));
	e = &s->elems[s->n++];
	memset(e, 0, sizeof(*e));
	/* Callers fill the element after this returns: assume the worst. */
	s->sorted = s->n <= 1;
	return e;
}

static int rs_elem_qsort_cmp(const void *x, const void *y, void *arg)
{
	return rs_elem_cmp(arg, x, y);
}

void rs_set_sort(struct rs_set *s)
{
	/* Ties on the key are broken by the data, so the result does not
	 * depend on the input order even with duplicate keys. */
	if (s->n > 1)
		qsort_r(s->elems, s->n, sizeof(*s->elems), rs_elem_qsort_cmp, s);
	s->sorted = true;
}

const struct rs_elem *rs_set_find_elem(const struct rs_set *s, const struct rs_elem *key)
{
	size_t lo = 0, hi = s->n, i;

	if (!s->sorted) {
		/* Not sorted yet: a linear scan rather than a wrong answer. */
		for (i = 0; i < s->n; i++)
			if (!rs_elem_key_cmp(s, &s->elems[i], key))
				return &s->elems[i];
		return NULL;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = rs_elem_key_cmp(s, &s->elems[mid], key);

		if (r == 0)
			return &s->elems[mid];
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void rs_elem_free_contents(struct rs_elem *e)
{
	if (!e)
		return;
	free(e->verdict.chain);
	e->verdict.chain = NULL;
	free(e->comment);
	e->comment = NULL;
}
