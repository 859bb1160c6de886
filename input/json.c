// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * input/json.c: JSON text to document trees, in one pass.
 *
 * A recursive-descent reader (RFC 8259) that builds input_node trees
 * directly, each node with its line:col, a number with its source text (so
 * that 80 and 80.0 stay apart) and a string decoded here (a "\u0000" is
 * kept, to be seen and refused later). Nesting is checked as it opens, so
 * the first level too deep stops the file at once: the work on any input is
 * linear in its length.
 *
 * A file may hold one value or several in a row (a stream); each is a
 * document. The "items" of a document's root map may be handed on one at a
 * time (see input_stream_ops in tree.h), so that a List as `kubectl get -o
 * json` writes it is never held as one tree.
 */
#include <stdlib.h>
#include <string.h>

#include "input/tree.h"

struct jparser {
	struct sn_diag *d;
	const char *file;
	const char *p, *end;
	/* line:col of pos_p: positions are asked for in increasing order, so
	 * counting from the last one keeps the whole file linear */
	const char *pos_p;
	unsigned line, col;
	bool no_pos;		/* an API object: every node at 0:0 */
	struct input_arena *arena;
	unsigned depth;
	unsigned loc_doc;
	unsigned index;
	bool fatal;		/* syntax error or nesting too deep: stop the file */
	bool failed;		/* a structural error (duplicate key) in this document or item */
	const struct input_stream_ops *ops;
	void *ctx;
};

/* Bring line:col from pos_p up to q (q >= pos_p). */
static void jp_sync(struct jparser *jp, const char *q)
{
	const char *p = jp->pos_p, *nl;

	while ((nl = memchr(p, '\n', (size_t)(q - p)))) {
		jp->line++;
		jp->col = 1;
		p = nl + 1;
	}
	for (; p < q; p++)
		jp->col += ((unsigned char)*p & 0xc0) != 0x80;
	jp->pos_p = q;
}

static void jp_pos(struct jparser *jp, const char *q, unsigned *line, unsigned *col)
{
	if (jp->no_pos) {
		*line = *col = 0;
		return;
	}
	jp_sync(jp, q);
	*line = jp->line;
	*col = jp->col;
}

static void jp_errorv(struct jparser *jp, const char *at, const char *fmt, va_list ap)
	SN_PRINTF(3, 0);
static void jp_errorv(struct jparser *jp, const char *at, const char *fmt, va_list ap)
{
	struct sn_loc loc = { .file = jp->file, .doc = jp->loc_doc };

	jp_pos(jp, at, &loc.line, &loc.col);
	sn_diag_vadd(jp->d, SN_ERROR, &loc, NULL, NULL, fmt, ap);
}

/* A syntax error at at: stops the file. */
static void jp_fatal(struct jparser *jp, const char *at, const char *fmt, ...) SN_PRINTF(3, 4);
static void jp_fatal(struct jparser *jp, const char *at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	jp_errorv(jp, at, fmt, ap);
	va_end(ap);
	jp->fatal = true;
}

/* The byte at p was not what the grammar allows there. */
static void jp_unexpected(struct jparser *jp, const char *p)
{
	unsigned char c;

	if (p >= jp->end) {
		jp_fatal(jp, jp->end,
			 "JSON syntax error: unexpected end of input (an unclosed string, { or [)");
		return;
	}
	c = (unsigned char)*p;
	if (c > 32 && c < 127)
		jp_fatal(jp, p, "JSON syntax error: unexpected '%c'", c);
	else
		jp_fatal(jp, p, "JSON syntax error: unexpected byte 0x%02x", c);
}

/* JSON white space is space, tab, CR and LF; every other byte <= 32 is
 * skipped too, as cJSON (which read these files before) did. */
static void jp_ws(struct jparser *jp)
{
	const char *p = jp->p;

	while (p < jp->end && (unsigned char)*p <= 32)
		p++;
	jp->p = p;
}

static struct input_node *jp_node(struct jparser *jp, enum input_node_kind kind)
{
	struct input_node *n = input_arena_alloc(jp->arena, sizeof(*n));

	n->kind = kind;
	jp_pos(jp, jp->p, &n->line, &n->col);
	n->weight = 1;
	return n;
}

static int jp_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Four hex digits at p (p + 4 <= end), or -1 with *bad at the first
 * wrong one. */
static int jp_hex4(const char *p, const char **bad)
{
	int v = 0, i, h;

	for (i = 0; i < 4; i++) {
		h = jp_hex(p[i]);
		if (h < 0) {
			*bad = p + i;
			return -1;
		}
		v = v << 4 | h;
	}
	return v;
}

static size_t utf8_put(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * The string at jp->p (its opening quote) as a scalar node. Raw control
 * bytes are kept (the field checks refuse them with a better message than
 * a syntax error could give); a lone UTF-16 surrogate becomes U+FFFD, as
 * Go's encoding/json (the API server's reader) makes it.
 */
static struct input_node *jp_string(struct jparser *jp)
{
	struct input_node *n = jp_node(jp, INPUT_SCALAR);
	const char *start = jp->p + 1, *p = start, *end = jp->end, *bad;
	bool escapes = false;
	size_t o = 0;
	char *out;

	n->type = INPUT_STR;
	n->quoted = true;
	while (p < end && *p != '"') {
		if (*p == '\\') {
			escapes = true;
			p++;
		}
		p++;
	}
	if (p >= end) {
		jp_unexpected(jp, end);
		return NULL;
	}
	if (!escapes) {
		n->s = input_arena_strndup(jp->arena, start, (size_t)(p - start));
		n->len = (uint32_t)(p - start);
		jp->p = p + 1;
		return n;
	}
	/* decoding never makes the text longer */
	out = input_arena_alloc(jp->arena, (size_t)(p - start) + 1);
	for (p = start; *p != '"';) {
		int cp, lo;

		if (*p != '\\') {
			out[o++] = *p++;
			continue;
		}
		p++;
		switch (*p) {
		case 'b': out[o++] = '\b'; p++; break;
		case 'f': out[o++] = '\f'; p++; break;
		case 'n': out[o++] = '\n'; p++; break;
		case 'r': out[o++] = '\r'; p++; break;
		case 't': out[o++] = '\t'; p++; break;
		case '"': case '\\': case '/': out[o++] = *p++; break;
		case 'u':
			if (end - p < 5) {
				jp_unexpected(jp, end);
				return NULL;
			}
			cp = jp_hex4(p + 1, &bad);
			if (cp < 0) {
				jp_unexpected(jp, bad);
				return NULL;
			}
			p += 5;
			if (cp >= 0xd800 && cp < 0xdc00 && end - p >= 6 && p[0] == '\\' &&
			    p[1] == 'u' && (lo = jp_hex4(p + 2, &bad)) >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				p += 6;
			} else if (cp >= 0xd800 && cp < 0xe000) {
				cp = 0xfffd;
			}
			o += utf8_put(out + o, (unsigned)cp);
			break;
		default:
			jp_unexpected(jp, p);
			return NULL;
		}
	}
	out[o] = '\0';
	n->s = out;
	n->len = (uint32_t)o;
	jp->p = p + 1;
	return n;
}

static bool is_digit(const char *p, const char *end)
{
	return p < end && *p >= '0' && *p <= '9';
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)? kept as text: an integer
 * when it has only digits, else a float (1e9, 80.0). */
static struct input_node *jp_number(struct jparser *jp)
{
	const char *p = jp->p, *end = jp->end;
	struct input_node *n;
	bool integer = true;

	if (*p == '-')
		p++;
	if (!is_digit(p, end)) {
		jp_unexpected(jp, p);
		return NULL;
	}
	if (*p == '0')
		p++;
	else
		while (is_digit(p, end))
			p++;
	if (p < end && *p == '.') {
		integer = false;
		if (!is_digit(++p, end)) {
			jp_unexpected(jp, p);
			return NULL;
		}
		while (is_digit(p, end))
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		integer = false;
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (!is_digit(p, end)) {
			jp_unexpected(jp, p);
			return NULL;
		}
		while (is_digit(p, end))
			p++;
	}
	n = jp_node(jp, INPUT_SCALAR);
	n->type = integer ? INPUT_INT : INPUT_FLOAT;
	n->s = input_arena_strndup(jp->arena, jp->p, (size_t)(p - jp->p));
	n->len = (uint32_t)(p - jp->p);
	jp->p = p;
	return n;
}

static struct input_node *jp_literal(struct jparser *jp, const char *word,
				     enum input_scalar_type type)
{
	size_t i, len = strlen(word);
	struct input_node *n;

	for (i = 0; i < len; i++) {
		if (jp->p + i >= jp->end || jp->p[i] != word[i]) {
			jp_unexpected(jp, jp->p + i);
			return NULL;
		}
	}
	n = jp_node(jp, INPUT_SCALAR);
	n->type = (uint8_t)type;
	n->s = word;
	n->len = (uint32_t)len;
	jp->p += len;
	return n;
}

static struct input_node *jp_value(struct jparser *jp);

/* Every open { or [ comes through here: the first one too deep stops the
 * file where it stands, so a megabyte of "[[[[" costs one pass. */
static bool jp_open(struct jparser *jp)
{
	if (jp->depth >= INPUT_MAX_DEPTH) {
		jp_fatal(jp, jp->p,
			 "nesting deeper than %d levels (allowed: at most %d objects and arrays inside each other)",
			 INPUT_MAX_DEPTH, INPUT_MAX_DEPTH);
		return false;
	}
	jp->depth++;
	return true;
}

static void jp_link(struct input_node *parent, struct input_node **last, struct input_node *n)
{
	if (*last)
		(*last)->next = n;
	else
		parent->child = n;
	*last = n;
}

/* After an item or member: ',' (then more) or the closing byte. Returns 1
 * for more, 0 for the end, -1 on error. */
static int jp_next(struct jparser *jp, char close)
{
	jp_ws(jp);
	if (jp->p < jp->end && *jp->p == ',') {
		jp->p++;
		return 1;
	}
	if (jp->p < jp->end && *jp->p == close) {
		jp->p++;
		return 0;
	}
	jp_unexpected(jp, jp->p);
	return -1;
}

/*
 * The root map's "items" list, handed on item by item when the consumer
 * wants it (see input_stream_ops): each item's tree lives in the arena from
 * a mark, rewound once the consumer is done with it.
 */
static struct input_node *jp_items(struct jparser *jp, struct input_node *head)
{
	struct input_doc doc = { .file = jp->file, .index = jp->index, .loc_doc = jp->loc_doc,
				 .root = head };
	struct input_node *seq, *last = NULL, *v;
	bool stream;
	unsigned idx = 0;
	int more;

	if (!jp_open(jp))
		return NULL;
	seq = jp_node(jp, INPUT_SEQ);
	jp->p++;
	stream = jp->ops->items_begin(jp->ctx, &doc);
	jp_ws(jp);
	if (jp->p < jp->end && *jp->p == ']') {
		jp->p++;
		jp->depth--;
		return seq;
	}
	do {
		struct input_arena_mark mark = input_arena_mark(jp->arena);
		bool doc_failed = jp->failed, item_failed;

		jp_ws(jp);
		jp->failed = false;
		v = jp_value(jp);
		if (!v)
			return NULL;
		item_failed = jp->failed;
		if (stream && (item_failed || !jp->ops->item(jp->ctx, &doc, idx, v))) {
			/* handed on, or reported and skipped: forget it */
			input_arena_rewind(jp->arena, &mark);
			seq->skipped++;
			item_failed = false;
			if (jp->ops->consumed && !jp->no_pos)
				jp->ops->consumed(jp->ctx, jp->pos_p);
		} else {
			stream = false;
			jp_link(seq, &last, v);
			seq->n++;
		}
		/* a bad item kept in the tree fails the document */
		jp->failed = doc_failed || item_failed;
		idx++;
	} while ((more = jp_next(jp, ']')) > 0);
	if (more < 0)
		return NULL;
	jp->depth--;
	return seq;
}

static bool key_is_items(const struct input_node *k)
{
	return k->len == 5 && !memcmp(k->s, "items", 5);
}

static struct input_node *jp_object(struct jparser *jp)
{
	struct input_node *n, *last = NULL, *k, *v;
	/* the document's root map: its "items" may be streamed */
	bool root = jp->depth == 0 && jp->ops && jp->ops->items_begin && jp->ops->item;
	int more;

	if (!jp_open(jp))
		return NULL;
	n = jp_node(jp, INPUT_MAP);
	jp->p++;
	jp_ws(jp);
	if (jp->p < jp->end && *jp->p == '}') {
		jp->p++;
		jp->depth--;
		return n;
	}
	do {
		jp_ws(jp);
		if (jp->p >= jp->end || *jp->p != '"') {
			jp_unexpected(jp, jp->p);
			return NULL;
		}
		k = jp_string(jp);
		if (!k)
			return NULL;
		jp_ws(jp);
		if (jp->p >= jp->end || *jp->p != ':') {
			jp_unexpected(jp, jp->p);
			return NULL;
		}
		jp->p++;
		jp_ws(jp);
		if (root && jp->p < jp->end && *jp->p == '[' && key_is_items(k)) {
			root = false;	/* once: a second "items" is a duplicate key */
			v = jp_items(jp, n);
		} else {
			v = jp_value(jp);
		}
		if (!v)
			return NULL;
		jp_link(n, &last, k);
		jp_link(n, &last, v);
		n->n++;
	} while ((more = jp_next(jp, '}')) > 0);
	if (more < 0)
		return NULL;
	jp->depth--;
	if (!jp->failed) {
		const struct input_node *first, *second;
		char q[INPUT_QUOTE_MAX];

		if (input_map_dup_key(n, &first, &second)) {
			struct sn_loc loc = { .file = jp->file, .line = second->line,
					      .col = second->col, .doc = jp->loc_doc };

			sn_diag_add(jp->d, SN_ERROR, &loc, NULL, NULL,
				    "duplicate key %s (first at %u:%u; a key may appear once in an object)",
				    input_quote(q, sizeof(q), second->s, second->len),
				    first->line, first->col);
			jp->failed = true;
		}
	}
	return n;
}

static struct input_node *jp_array(struct jparser *jp)
{
	struct input_node *n, *last = NULL, *v;
	int more;

	if (!jp_open(jp))
		return NULL;
	n = jp_node(jp, INPUT_SEQ);
	jp->p++;
	jp_ws(jp);
	if (jp->p < jp->end && *jp->p == ']') {
		jp->p++;
		jp->depth--;
		return n;
	}
	do {
		jp_ws(jp);
		v = jp_value(jp);
		if (!v)
			return NULL;
		jp_link(n, &last, v);
		n->n++;
	} while ((more = jp_next(jp, ']')) > 0);
	if (more < 0)
		return NULL;
	jp->depth--;
	return n;
}

/* The value at jp->p (white space already skipped); NULL after a syntax
 * error (jp->fatal). Recursion is bounded by INPUT_MAX_DEPTH. */
static struct input_node *jp_value(struct jparser *jp)
{
	if (jp->p >= jp->end) {
		jp_unexpected(jp, jp->end);
		return NULL;
	}
	switch (*jp->p) {
	case '{':
		return jp_object(jp);
	case '[':
		return jp_array(jp);
	case '"':
		return jp_string(jp);
	case 't':
		return jp_literal(jp, "true", INPUT_BOOL);
	case 'f':
		return jp_literal(jp, "false", INPUT_BOOL);
	case 'n':
		return jp_literal(jp, "null", INPUT_NULL);
	case '-':
	case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		return jp_number(jp);
	default:
		jp_unexpected(jp, jp->p);
		return NULL;
	}
}

static bool no_items_begin(void *ctx, const struct input_doc *head)
{
	return false;
}

unsigned input_json_stream(struct sn_diag *d, const char *file, const char *buf, size_t len,
			   const struct input_stream_ops *ops, void *ctx)
{
	struct input_arena arena;
	struct jparser jp = { .d = d, .file = file, .p = buf, .end = buf + len, .pos_p = buf,
			      .line = 1, .col = 1, .arena = &arena, .ops = ops, .ctx = ctx };
	size_t first_rec = d->n;
	unsigned ndocs = 0;

	input_arena_init(&arena);
	if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
		jp.p = jp.pos_p = buf + 3;	/* UTF-8 byte order mark: not a column */
	for (;;) {
		struct input_node *root;

		jp_ws(&jp);
		if (jp.p >= jp.end)
			break;
		ndocs++;
		if (ndocs == 2) {
			/* A stream after all: what was said about the first
			 * value names it as document 1 (messages are printed
			 * after reading; an echoing sn_diag has shown them
			 * without the number already). */
			size_t i;

			for (i = first_rec; i < d->n; i++)
				if (d->recs[i].loc.file == file && !d->recs[i].loc.doc)
					d->recs[i].loc.doc = 1;
			if (ops->renumber)
				ops->renumber(ctx, file);
		}
		jp.loc_doc = ndocs > 1 ? ndocs : 0;
		jp.index = ndocs;
		jp.failed = false;
		jp.depth = 0;
		root = jp_value(&jp);
		if (!root)
			break;
		if (!jp.failed && !input_is_null(root)) {
			struct input_doc doc = { .file = file, .index = ndocs, .loc_doc = jp.loc_doc,
						 .root = root };

			ops->doc(ctx, &doc);
		}
		input_arena_reset(&arena);
	}
	input_arena_free(&arena);
	return ndocs;
}

unsigned input_json_parse(struct sn_diag *d, const char *file, const char *buf, size_t len,
			  input_doc_fn *fn, void *ctx)
{
	struct input_stream_ops ops = { .doc = fn, .items_begin = no_items_begin };

	return input_json_stream(d, file, buf, len, &ops, ctx);
}

const struct input_node *input_json_value(struct sn_diag *d, const char *source,
					  const char *buf, size_t len, struct input_arena *a)
{
	struct jparser jp = { .d = d, .file = source, .p = buf, .end = buf + len, .pos_p = buf,
			      .no_pos = true, .arena = a };
	struct input_node *root;

	jp_ws(&jp);
	root = jp_value(&jp);
	if (!root || jp.failed)
		return NULL;
	jp_ws(&jp);
	if (jp.p < jp.end) {
		jp_unexpected(&jp, jp.p);
		return NULL;
	}
	return root;
}
