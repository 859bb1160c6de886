// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * input/tree.c: the generic document tree: arena, lookups, scalar typing
 * and safe quoting for messages.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input/tree.h"

/* ---- arena ---- */

/* 256 KiB: a typical Kubernetes object is a few hundred nodes (a few KiB),
 * so one chunk serves many documents or List items. */
#define ARENA_CHUNK (256u << 10)

struct input_arena_chunk {
	struct input_arena_chunk *next;
	size_t size;
	/* data follows, 16-aligned */
	_Alignas(16) char data[];
};

void input_arena_init(struct input_arena *a)
{
	memset(a, 0, sizeof(*a));
}

static void arena_use(struct input_arena *a, struct input_arena_chunk *c)
{
	c->next = a->chunks;
	a->chunks = c;
	a->p = c->data;
	a->end = c->data + c->size;
}

static void *arena_raw(struct input_arena *a, size_t n)
{
	struct input_arena_chunk *c;
	void *p;

	n = (n + 7) & ~(size_t)7;
	if (n > ARENA_CHUNK / 4) {
		/* A big one-off block on a list of its own, so that the chunk
		 * being bump-allocated from stays in use. */
		c = sn_malloc(sizeof(*c) + n);
		c->size = n;
		c->next = a->big;
		a->big = c;
		return c->data;
	}
	if ((size_t)(a->end - a->p) < n) {
		if (a->spare) {
			c = a->spare;
			a->spare = NULL;
		} else {
			c = sn_malloc(sizeof(*c) + ARENA_CHUNK);
			c->size = ARENA_CHUNK;
		}
		arena_use(a, c);
	}
	p = a->p;
	a->p += n;
	return p;
}

void *input_arena_alloc(struct input_arena *a, size_t n)
{
	void *p = arena_raw(a, n);

	memset(p, 0, n);
	return p;
}

char *input_arena_strndup(struct input_arena *a, const char *s, size_t n)
{
	char *p = arena_raw(a, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static void arena_free_list(struct input_arena_chunk *c, const struct input_arena_chunk *stop)
{
	struct input_arena_chunk *next;

	for (; c != stop; c = next) {
		next = c->next;
		free(c);
	}
}

struct input_arena_mark input_arena_mark(const struct input_arena *a)
{
	return (struct input_arena_mark){ .chunk = a->chunks, .big = a->big, .p = a->p };
}

void input_arena_rewind(struct input_arena *a, const struct input_arena_mark *m)
{
	struct input_arena_chunk *c, *next;

	arena_free_list(a->big, m->big);
	a->big = m->big;
	/* Chunks taken since the mark: keep one as the spare, so that a
	 * List whose items each overflow a chunk does not malloc per item. */
	for (c = a->chunks; c != m->chunk; c = next) {
		next = c->next;
		if (!a->spare)
			a->spare = c;
		else
			free(c);
	}
	a->chunks = m->chunk;
	a->p = m->p;
	a->end = m->chunk ? m->chunk->data + m->chunk->size : NULL;
}

void input_arena_reset(struct input_arena *a)
{
	struct input_arena_chunk *keep = a->spare, *c, *next;

	arena_free_list(a->big, NULL);
	a->big = NULL;
	for (c = a->chunks; c; c = next) {
		next = c->next;
		if (!keep)
			keep = c;
		else
			free(c);
	}
	a->chunks = NULL;
	a->spare = NULL;
	a->p = a->end = NULL;
	if (keep)
		arena_use(a, keep);
}

void input_arena_free(struct input_arena *a)
{
	arena_free_list(a->chunks, NULL);
	arena_free_list(a->big, NULL);
	free(a->spare);
	input_arena_init(a);
}

/* ---- lookups ---- */

static bool key_is(const struct input_node *k, const char *key, size_t klen)
{
	k = input_deref(k);
	return k && k->kind == INPUT_SCALAR && k->len == klen && !memcmp(k->s, key, klen);
}

/* Merge keys ("<<: *base") may chain; this bounds the walk (a chain is never
 * a cycle: an anchor is registered only once its node is complete). */
#define MAX_MERGE_DEPTH 16

static const struct input_node *map_find(const struct input_node *m, const char *key,
					 size_t klen, unsigned depth)
{
	const struct input_node *k, *found;

	m = input_deref(m);
	if (!m || m->kind != INPUT_MAP || depth > MAX_MERGE_DEPTH)
		return NULL;
	for (k = m->child; k && k->next; k = k->next->next) {
		if (key_is(k, key, klen))
			return input_deref(k->next);
	}
	/* Not here: look in "<<" merges, a map or a list of maps; the first
	 * one that has the key wins, as YAML's merge key says. */
	for (k = m->child; k && k->next; k = k->next->next) {
		const struct input_node *v, *kk = input_deref(k);

		if (kk->quoted || !key_is(kk, "<<", 2))
			continue;
		v = input_deref(k->next);
		if (v->kind == INPUT_MAP) {
			found = map_find(v, key, klen, depth + 1);
			if (found)
				return found;
		} else if (v->kind == INPUT_SEQ) {
			const struct input_node *it;

			for (it = v->child; it; it = it->next) {
				found = map_find(it, key, klen, depth + 1);
				if (found)
					return found;
			}
		}
	}
	return NULL;
}

const struct input_node *input_map_find(const struct input_node *m, const char *key)
{
	return map_find(m, key, strlen(key), 0);
}

const struct input_node *input_map_get(const struct input_node *m, const char *key)
{
	const struct input_node *v = input_map_find(m, key);

	return input_is_null(v) ? NULL : v;
}

struct key_ref {
	const struct input_node *k;
	uint32_t idx;
};

static int key_ref_cmp(const void *x, const void *y)
{
	const struct key_ref *a = x, *b = y;
	const struct input_node *ka = input_deref(a->k), *kb = input_deref(b->k);
	int c;

	if (ka->len != kb->len)
		return ka->len < kb->len ? -1 : 1;
	c = memcmp(ka->s, kb->s, ka->len);
	if (c)
		return c;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static bool same_key(const struct input_node *a, const struct input_node *b)
{
	a = input_deref(a);
	b = input_deref(b);
	return a->len == b->len && !memcmp(a->s, b->s, a->len);
}

/* Small maps compare pairwise; big ones (a label map of thousands of keys
 * in a hostile file) are sorted, to stay O(n log n). */
bool input_map_dup_key(const struct input_node *map, const struct input_node **first,
		       const struct input_node **second)
{
	const struct input_node *k, *k2;
	struct key_ref *refs;
	uint32_t i, n = map->n, best = UINT32_MAX;
	bool found = false;

	if (n <= 16) {
		for (k = map->child; k; k = k->next->next) {
			for (k2 = map->child; k2 != k; k2 = k2->next->next) {
				if (same_key(k, k2)) {
					*first = k2;
					*second = k;
					return true;
				}
			}
		}
		return false;
	}
	refs = sn_malloc(n * sizeof(*refs));
	for (i = 0, k = map->child; k && i < n; k = k->next->next, i++) {
		refs[i].k = k;
		refs[i].idx = i;
	}
	qsort(refs, n, sizeof(*refs), key_ref_cmp);
	/* Report the pair whose second key comes first in the map. */
	for (i = 1; i < n; i++) {
		if (same_key(refs[i - 1].k, refs[i].k) && refs[i].idx < best) {
			best = refs[i].idx;
			*first = refs[i - 1].k;
			*second = refs[i].k;
			found = true;
		}
	}
	free(refs);
	return found;
}

/* ---- scalar typing ---- */

static bool is_one_of(const char *s, size_t len, const char *const *words)
{
	for (; *words; words++) {
		if (strlen(*words) == len && !memcmp(*words, s, len))
			return true;
	}
	return false;
}

static const char *const yaml_null[] = { "~", "null", "Null", "NULL", NULL };
static const char *const yaml_true[] = { "y", "Y", "yes", "Yes", "YES", "true", "True",
					 "TRUE", "on", "On", "ON", NULL };
static const char *const yaml_false[] = { "n", "N", "no", "No", "NO", "false", "False",
					  "FALSE", "off", "Off", "OFF", NULL };
static const char *const yaml_special_float[] = { ".nan", ".NaN", ".NAN", ".inf", ".Inf",
						  ".INF", "+.inf", "+.Inf", "+.INF",
						  "-.inf", "-.Inf", "-.INF", NULL };

/* Kubernetes numbers are at most 64 bits; 80 characters is far more than
 * any number needs, longer text is never a number. */
#define NUM_MAX 80

/* Copy s without '_' (YAML 1.1 digit separators) into buf. */
static bool strip_underscores(char *buf, const char *s, size_t len)
{
	size_t i, j = 0;

	if (len >= NUM_MAX)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] != '_')
			buf[j++] = s[i];
	}
	buf[j] = '\0';
	return j > 0;
}

static int digit_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

/* Go's strconv.ParseInt(s, 0, 64) on text without '_': sign, then 0x, 0o,
 * 0b, a leading 0 (octal) or decimal. Saturates on overflow (*ovf set). */
static bool parse_go_int(const char *s, int64_t *out, bool *ovf)
{
	bool neg = false;
	unsigned base = 10;
	uint64_t v = 0, lim;

	*ovf = false;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (!*s)
		return false;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	} else if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O')) {
		base = 8;
		s += 2;
	} else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
		base = 2;
		s += 2;
	} else if (s[0] == '0' && s[1]) {
		base = 8;
		s++;
	}
	if (!*s)
		return false;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; *s; s++) {
		unsigned dv = digit_val(*s);

		if (dv >= base)
			return false;
		if (v > (lim - dv) / base) {
			*ovf = true;
			v = lim;
		} else if (!*ovf) {
			v = v * base + dv;
		}
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}

/* ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ (go-yaml's float) */
static bool is_yaml_float(const char *s)
{
	bool digits = false;

	if (*s == '+' || *s == '-')
		s++;
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	} else {
		while (*s >= '0' && *s <= '9') {
			s++;
			digits = true;
		}
		if (!digits)
			return false;
		if (*s == '.') {
			s++;
			while (*s >= '0' && *s <= '9')
				s++;
		}
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (*s < '0' || *s > '9')
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

enum input_scalar_type input_yaml_resolve(const char *s, size_t len)
{
	char buf[NUM_MAX];
	int64_t v;
	bool ovf;

	/* Every special word is at most 5 bytes ("+.inf", "false"):
	 * longer text only needs the number checks below. */
	if (len == 0 || (len <= 4 && is_one_of(s, len, yaml_null)))
		return INPUT_NULL;
	/* Only these first bytes can start anything but a string. */
	switch (s[0]) {
	case 'y': case 'Y': case 'n': case 'N': case 't': case 'T':
	case 'f': case 'F': case 'o': case 'O':
		if (len <= 5 && (is_one_of(s, len, yaml_true) || is_one_of(s, len, yaml_false)))
			return INPUT_BOOL;
		return INPUT_STR;
	case '.':
	case '+':
	case '-':
	case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		break;
	default:
		return INPUT_STR;
	}
	if (len <= 5 && is_one_of(s, len, yaml_special_float))
		return INPUT_FLOAT;
	if (!strip_underscores(buf, s, len))
		return INPUT_STR;
	if (parse_go_int(buf, &v, &ovf))
		return INPUT_INT;
	if (is_yaml_float(buf))
		return INPUT_FLOAT;
	return INPUT_STR;
}

int input_node_int(const struct input_node *n, int64_t *v)
{
	char buf[NUM_MAX];
	double f;
	bool ovf;

	n = input_deref(n);
	if (!n || n->kind != INPUT_SCALAR)
		return -1;
	if (n->type == INPUT_INT) {
		if (n->len >= NUM_MAX) {
			/* a JSON integer of 80 digits: out of any range */
			*v = n->s[0] == '-' ? INT64_MIN : INT64_MAX;
			return 0;
		}
		if (!strip_underscores(buf, n->s, n->len))
			return -1;
		return parse_go_int(buf, v, &ovf) ? 0 : -1;
	}
	if (n->type != INPUT_FLOAT || !strip_underscores(buf, n->s, n->len))
		return -1;
	/* 80.0 or 8e1: Kubernetes' YAML-to-JSON step writes these as 80. */
	f = strtod(buf, NULL);
	if (!isfinite(f) || f != floor(f) || f >= 9.2e18 || f <= -9.2e18)
		return -1;
	*v = (int64_t)f;
	return 0;
}

bool input_node_bool(const struct input_node *n)
{
	n = input_deref(n);
	return n && n->kind == INPUT_SCALAR && n->type == INPUT_BOOL &&
	       is_one_of(n->s, n->len, yaml_true);
}

/* ---- messages ---- */

/* Longest quoted text in a message: enough to recognise a value, short
 * enough that a 10 MB string does not end up in a terminal. */
#define QUOTE_CUT 64

const char *input_quote(char *buf, size_t size, const char *s, size_t len)
{
	size_t i, o = 0;

	if (size < 16) {
		if (size)
			buf[0] = '\0';
		return buf;
	}
	buf[o++] = '"';
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];
		size_t el;

		if (i >= QUOTE_CUT) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			el = 2;
		} else if (c == '\n') {
			memcpy(esc, "\\n", 2);
			el = 2;
		} else if (c == '\t') {
			memcpy(esc, "\\t", 2);
			el = 2;
		} else if (c < 0x20 || c >= 0x7f) {
			el = (size_t)snprintf(esc, sizeof(esc), "\\x%02x", c);
		} else {
			esc[0] = (char)c;
			el = 1;
		}
		if (o + el + 5 > size)
			break;
		memcpy(buf + o, esc, el);
		o += el;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

const char *input_num_text(char *buf, size_t size, const struct input_node *n)
{
	/* 32: more digits than any 64-bit number, and no 10 MB line */
	if (n->len > 32)
		snprintf(buf, size, "%.29s...", n->s);
	else
		snprintf(buf, size, "%.*s", (int)n->len, n->s);
	return buf;
}

const char *input_describe(char *buf, size_t size, const struct input_node *n)
{
	char q[INPUT_QUOTE_MAX];

	n = input_deref(n);
	if (!n || (n->kind == INPUT_SCALAR && n->type == INPUT_NULL)) {
		snprintf(buf, size, "null");
		return buf;
	}
	switch (n->kind) {
	case INPUT_MAP:
		snprintf(buf, size, "a map");
		break;
	case INPUT_SEQ:
		snprintf(buf, size, "a list");
		break;
	default:
		switch (n->type) {
		case INPUT_STR:
			snprintf(buf, size, "the string %s", input_quote(q, sizeof(q), n->s, n->len));
			break;
		case INPUT_INT:
			snprintf(buf, size, "the integer %s", input_quote(q, sizeof(q), n->s, n->len) + 1);
			buf[strlen(buf) - 1] = '\0';	/* drop the quote */
			break;
		case INPUT_FLOAT:
			snprintf(buf, size, "the number %s", input_quote(q, sizeof(q), n->s, n->len) + 1);
			buf[strlen(buf) - 1] = '\0';
			break;
		case INPUT_BOOL:
			snprintf(buf, size, "the boolean %s", input_node_bool(n) ? "true" : "false");
			break;
		default:
			snprintf(buf, size, "null");
		}
	}
	return buf;
}

void input_offset_pos(const char *buf, size_t off, unsigned *line, unsigned *col)
{
	unsigned l = 1, c = 1;
	size_t i;

	for (i = 0; i < off; i++) {
		unsigned char ch = (unsigned char)buf[i];

		if (ch == '\n') {
			l++;
			c = 1;
		} else if ((ch & 0xc0) != 0x80) {
			c++;
		}
	}
	*line = l;
	*col = c;
}

bool input_is_json(const char *name, const char *buf, size_t len)
{
	size_t nl = name ? strlen(name) : 0, i;

	if (nl >= 5 && !strcmp(name + nl - 5, ".json"))
		return true;
	if ((nl >= 5 && !strcmp(name + nl - 5, ".yaml")) || (nl >= 4 && !strcmp(name + nl - 4, ".yml")))
		return false;
	for (i = 0; i < len; i++) {
		if (buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\r' && buf[i] != '\n')
			return buf[i] == '{';
	}
	return false;
}
