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
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

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

/*
 * Element comments are shared: the n elements of one frontend's endpoint
 * choice all say "ns/name port ...", and at 10,000 Services a copy each was
 * 100,000 mallocs and 5 MB. A comment is counted text (the count before
 * the bytes e->comment points at); setting the same text as the last one
 * set takes another reference. The cache of that last one holds a
 * reference of its own, so it never dangles. Elements own one reference
 * each, exactly as they owned a copy before: copying an element struct
 * moves it, rs_elem_free_contents gives it back.
 */
struct rs_cstr {
	uint32_t refs;
	char s[];
};

static _Thread_local struct rs_cstr *rs_last_comment;

static struct rs_cstr *rs_cstr_of(char *s)
{
	return (struct rs_cstr *)(void *)(s - offsetof(struct rs_cstr, s));
}

static void rs_cstr_put(struct rs_cstr *c)
{
	if (c && --c->refs == 0)
		free(c);
}

/* Another reference to an element's comment (rules/internal.h). */
char *rs_comment_ref(char *s)
{
	if (s)
		rs_cstr_of(s)->refs++;
	return s;
}

static char *rs_comment_get(const char *comment)
{
	struct rs_cstr *c = rs_last_comment;
	size_t i, n;

	n = strnlen(comment, RS_COMMENT_MAX);
	if (c && c->refs < UINT32_MAX && !strncmp(c->s, comment, n) && comment[n] == '\0' &&
	    c->s[n] == '\0') {
		c->refs++;
		return c->s;
	}
	/* Compared before the unsafe bytes are replaced: a comment cut at
	 * RS_COMMENT_MAX or with a byte replaced is simply not shared. */
	c = sn_malloc(sizeof(*c) + n + 1);
	c->refs = 2;	/* the element's and the cache's */
	for (i = 0; i < n; i++)
		c->s[i] = rs_strdup_safe_char(comment[i]);
	c->s[n] = '\0';
	rs_cstr_put(rs_last_comment);
	rs_last_comment = c;
	return c->s;
}

void rs_elem_set_comment(struct rs_elem *e, const char *comment)
{
	char *old = e->comment;

	e->comment = comment && *comment ? rs_comment_get(comment) : NULL;
	if (old)
		rs_cstr_put(rs_cstr_of(old));
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

/*
 * Large element arrays live in their own mappings, 2 MiB aligned and
 * advised to use transparent huge pages. On this kind of virtual machine a
 * 4 KiB page fault costs about 10 us, and the 185,000 elements of a
 * 10,000-Service compile (31 MB) were a fifth of its time in page faults;
 * with huge pages they fault 512 times less often. Only advice: without
 * THP they are ordinary pages. Growth copies into a new mapping (amortised
 * by doubling; mremap could move the array off the 2 MiB alignment).
 */
#define RS_HUGE (2u << 20)
#define RS_ELEMS_MAP_MIN RS_HUGE

void rs_set_free_elems(struct rs_set *s)
{
	if (s->elems_maplen)
		munmap(s->elems, s->elems_maplen);
	else
		free(s->elems);
	s->elems = NULL;
	s->elems_maplen = 0;
	s->cap = 0;
}

static void *rs_map_huge(size_t len)
{
	char *p, *a;
	size_t head;

	p = mmap(NULL, len + RS_HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	/* keep the 2 MiB aligned part: huge pages need aligned addresses */
	a = (char *)(((uintptr_t)p + RS_HUGE - 1) & ~(uintptr_t)(RS_HUGE - 1));
	head = (size_t)(a - p);
	if (head)
		munmap(p, head);
	munmap(a + len, RS_HUGE - head);
	madvise(a, len, MADV_HUGEPAGE);
	return a;
}

static void rs_elems_grow(struct rs_set *s, size_t need)
{
	size_t ncap, len;
	void *p;

	if (need <= s->cap)
		return;
	if (need * sizeof(*s->elems) < RS_ELEMS_MAP_MIN) {
		sn_grow(&s->elems, &s->cap, need, sizeof(*s->elems));
		return;
	}
	ncap = s->cap ? s->cap : 8;
	while (ncap < need)
		ncap *= 2;
	len = (ncap * sizeof(*s->elems) + RS_HUGE - 1) & ~(size_t)(RS_HUGE - 1);
	p = rs_map_huge(len);
	if (!p) {
		/* No mapping: malloc then, which aborts when out of memory as
		 * every allocation in the tree does. */
		p = sn_malloc(ncap * sizeof(*s->elems));
		if (s->n)
			memcpy(p, s->elems, s->n * sizeof(*s->elems));
		rs_set_free_elems(s);
		s->elems = p;
		s->cap = ncap;
		return;
	}
	/* A mapped array moves by its page tables into the head of the new
	 * mapping (MREMAP_FIXED replaces those pages): no copy, and no moment
	 * with both arrays resident, which was the peak RSS of a 44,000-
	 * Service compile (44 MB when its largest set doubled). */
	if (s->elems_maplen &&
	    mremap(s->elems, s->elems_maplen, s->elems_maplen, MREMAP_MAYMOVE | MREMAP_FIXED,
		   p) != MAP_FAILED) {
		/* moved: nothing is left at the old address */
	} else {
		if (s->n)
			memcpy(p, s->elems, s->n * sizeof(*s->elems));
		rs_set_free_elems(s);
	}
	s->elems = p;
	s->elems_maplen = len;
	s->cap = len / sizeof(*s->elems);
}

struct rs_elem *rs_set_add_elem(struct rs_set *s)
{
	struct rs_elem *e;

	rs_elems_grow(s, s->n + 1);
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

/* An element's place in a sort: the first 12 bytes of its key written so
 * that comparing them as big-endian integers orders elements as
 * rs_elem_key_cmp does (fixed-width fields in key order, numbers big
 * endian, the prefix length after an interval set's address), with the
 * full comparison only for ties. 12 bytes hold the whole key of the
 * compiler's large sets (address . protocol . port . index: 11 bytes). */
struct rs_sortkey {
	uint64_t hi;
	uint32_t lo;
	uint32_t idx;
};

static void rs_sortkey_fill(const struct rs_set *s, const struct rs_elem *e, struct rs_sortkey *k)
{
	bool interval = s->flags & RS_SET_INTERVAL;
	uint8_t buf[12 + 17] = { 0 };
	size_t n = 0, i, j;

	for (i = 0; i < s->nkey && i < RS_KEY_MAX && n < 12; i++) {
		switch (s->key[i]) {
		case RS_T_IPV4:
		case RS_T_IPV6:
			memcpy(buf + n, e->key[i].addr.a, rs_type_len(s->key[i]));
			n += rs_type_len(s->key[i]);
			if (interval)
				buf[n++] = e->key[i].addr.plen;
			break;
		case RS_T_PROTO:
		case RS_T_SERVICE:
		case RS_T_INTEGER:
			buf[n++] = (uint8_t)(e->key[i].num >> 8);
			buf[n++] = (uint8_t)e->key[i].num;
			break;
		}
	}
	k->hi = 0;
	k->lo = 0;
	for (j = 0; j < 8; j++)
		k->hi = k->hi << 8 | buf[j];
	for (j = 8; j < 12; j++)
		k->lo = k->lo << 8 | buf[j];
}

static int rs_sortkey_cmp(const struct rs_set *s, const struct rs_sortkey *a,
			  const struct rs_sortkey *b)
{
	if (a->hi != b->hi)
		return a->hi < b->hi ? -1 : 1;
	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	return rs_elem_cmp(s, &s->elems[a->idx], &s->elems[b->idx]);
}

static void rs_sortkey_swap(struct rs_sortkey *a, struct rs_sortkey *b)
{
	struct rs_sortkey t = *a;

	*a = *b;
	*b = t;
}

static void rs_sortkey_sift(const struct rs_set *s, struct rs_sortkey *v, size_t root, size_t n)
{
	size_t child;

	while ((child = 2 * root + 1) < n) {
		if (child + 1 < n && rs_sortkey_cmp(s, &v[child], &v[child + 1]) < 0)
			child++;
		if (rs_sortkey_cmp(s, &v[root], &v[child]) >= 0)
			return;
		rs_sortkey_swap(&v[root], &v[child]);
		root = child;
	}
}

/*
 * In place, unlike glibc's qsort (a merge sort with a scratch copy as
 * large as the array: 10 MB at 440,000 elements, at the compile's peak).
 * Quicksort with a median of three, insertion sort for short runs, and
 * heapsort past a depth limit so no input order makes it quadratic. Not
 * stable, and need not be: keys that compare equal belong to elements
 * equal in every field printed or sent.
 */
static void rs_sortkey_sort(const struct rs_set *s, struct rs_sortkey *v, size_t n,
			    unsigned depth)
{
	size_t i, j, mid;

	while (n > 16) {
		if (depth-- == 0) {
			for (i = n / 2; i-- > 0;)
				rs_sortkey_sift(s, v, i, n);
			for (i = n - 1; i > 0; i--) {
				rs_sortkey_swap(&v[0], &v[i]);
				rs_sortkey_sift(s, v, 0, i);
			}
			return;
		}
		mid = n / 2;
		/* median of first, middle, last into v[0] */
		if (rs_sortkey_cmp(s, &v[mid], &v[0]) < 0)
			rs_sortkey_swap(&v[mid], &v[0]);
		if (rs_sortkey_cmp(s, &v[n - 1], &v[mid]) < 0) {
			rs_sortkey_swap(&v[n - 1], &v[mid]);
			if (rs_sortkey_cmp(s, &v[mid], &v[0]) < 0)
				rs_sortkey_swap(&v[mid], &v[0]);
		}
		rs_sortkey_swap(&v[0], &v[mid]);
		/* Hoare partition around v[0] */
		i = 0;
		j = n;
		for (;;) {
			while (rs_sortkey_cmp(s, &v[++i], &v[0]) < 0 && i < n - 1)
				;
			while (rs_sortkey_cmp(s, &v[--j], &v[0]) > 0)
				;
			if (i >= j)
				break;
			rs_sortkey_swap(&v[i], &v[j]);
		}
		rs_sortkey_swap(&v[0], &v[j]);
		/* recurse into the smaller side, loop on the larger */
		if (j < n - j - 1) {
			rs_sortkey_sort(s, v, j, depth);
			v += j + 1;
			n -= j + 1;
		} else {
			rs_sortkey_sort(s, v + j + 1, n - j - 1, depth);
			n = j;
		}
	}
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && rs_sortkey_cmp(s, &v[j - 1], &v[j]) > 0; j--)
			rs_sortkey_swap(&v[j - 1], &v[j]);
}

static bool rs_elems_in_order(const struct rs_set *s)
{
	size_t i;

	for (i = 1; i < s->n; i++)
		if (rs_elem_cmp(s, &s->elems[i - 1], &s->elems[i]) > 0)
			return false;
	return true;
}

/* Move element keys[i].idx to place i for every i, following each cycle of
 * the permutation once (idx = i marks a place filled). */
static void rs_elems_permute(struct rs_set *s, struct rs_sortkey *keys)
{
	struct rs_elem tmp;
	size_t i, j, k;

	for (i = 0; i < s->n; i++) {
		if (keys[i].idx == i)
			continue;
		tmp = s->elems[i];
		for (j = i; keys[j].idx != i; j = k) {
			k = keys[j].idx;
			s->elems[j] = s->elems[k];
			keys[j].idx = (uint32_t)j;
		}
		s->elems[j] = tmp;
		keys[j].idx = (uint32_t)j;
	}
}

void rs_set_sort(struct rs_set *s)
{
	struct rs_sortkey *keys;
	size_t i;

	/* A set sorted once and not added to since (the compiler sorts the
	 * hairpin set to deduplicate it, then the whole table) is only
	 * checked. Otherwise sort 16-byte keys in place, not the elements:
	 * qsort copied every element to a scratch buffer as large as the set
	 * (17 MB at 100,000 endpoints) and compared them field by field. Ties on
	 * the key are broken by the data, so the result does not depend on
	 * the input order even with duplicate keys; elements that compare
	 * equal are equal in every field printed or sent. */
	if (s->n > 1 && !rs_elems_in_order(s)) {
		if (s->n > UINT32_MAX) {
			/* past the keys' index width (never in practice) */
			qsort_r(s->elems, s->n, sizeof(*s->elems), rs_elem_qsort_cmp, s);
			s->sorted = true;
			return;
		}
		keys = sn_malloc(s->n * sizeof(*keys));
		for (i = 0; i < s->n; i++) {
			rs_sortkey_fill(s, &s->elems[i], &keys[i]);
			keys[i].idx = (uint32_t)i;
		}
		rs_sortkey_sort(s, keys, s->n, 2 * 64);
		rs_elems_permute(s, keys);
		free(keys);
	}
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
	if (e->comment)
		rs_cstr_put(rs_cstr_of(e->comment));
	e->comment = NULL;
}
