// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * input/json.c: JSON text to document trees.
 *
 * cJSON parses and validates, but keeps no positions. So the tree is built by
 * walking the cJSON tree and, in step with it, a small scanner over the same
 * text: each cJSON item is met at the point where the scanner stands, which
 * gives it its line:col (and a number its source text, so that 80 and 80.0
 * stay apart). The scanner only ever runs over text cJSON accepted.
 *
 * A file may hold one value or several in a row (a stream); each is a
 * document.
 */
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "input/tree.h"

struct jscan {
	const char *p, *end;
	unsigned line, col;
};

static void js_adv(struct jscan *s, size_t n)
{
	while (n-- && s->p < s->end) {
		unsigned char c = (unsigned char)*s->p++;

		if (c == '\n') {
			s->line++;
			s->col = 1;
		} else if ((c & 0xc0) != 0x80) {
			s->col++;
		}
	}
}

/* cJSON skips every byte <= 32 as white space: so must we. */
static void js_ws(struct jscan *s)
{
	while (s->p < s->end && (unsigned char)*s->p <= 32)
		js_adv(s, 1);
}

static unsigned js_hex4(const char *p)
{
	unsigned v = 0, i;

	for (i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
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
 * Decode the string token at s (cJSON accepted it, so escapes are well
 * formed) into the arena and step over it. Decoded here rather than taken
 * from cJSON because cJSON's C strings end at a "\u0000": the bytes after
 * it must still be seen (and refused).
 */
static char *js_string(struct jscan *s, struct input_arena *a, uint32_t *len)
{
	const char *start = s->p + 1, *p = start;
	size_t n = 0;
	char *out;

	while (p < s->end && *p != '"')
		p += (*p == '\\') ? 2 : 1;
	/* decoding never makes the text longer */
	out = input_arena_alloc(a, (size_t)(p - start) + 1);
	for (p = start; p < s->end && *p != '"';) {
		unsigned cp;

		if (*p != '\\') {
			out[n++] = *p++;
			continue;
		}
		p++;
		switch (*p) {
		case 'b': out[n++] = '\b'; p++; break;
		case 'f': out[n++] = '\f'; p++; break;
		case 'n': out[n++] = '\n'; p++; break;
		case 'r': out[n++] = '\r'; p++; break;
		case 't': out[n++] = '\t'; p++; break;
		case 'u':
			if (s->end - p < 5) {
				p = s->end;
				break;
			}
			cp = js_hex4(p + 1);
			p += 5;
			if (cp >= 0xd800 && cp < 0xdc00 && s->end - p >= 6 && p[0] == '\\' &&
			    p[1] == 'u') {
				unsigned lo = js_hex4(p + 2);

				if (lo >= 0xdc00 && lo < 0xe000) {
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					p += 6;
				}
			}
			n += utf8_put(out + n, cp);
			break;
		default:	/* \" \\ \/ */
			out[n++] = *p++;
		}
	}
	out[n] = '\0';
	*len = (uint32_t)n;
	js_adv(s, (size_t)(p - s->p) + 1);	/* through the closing quote */
	return out;
}

/* How many bytes cJSON's parse_number takes: it copies up to 63 bytes of
 * [0-9+-eE.] and lets strtod decide. Mirrored exactly, so both agree. */
static size_t js_number_len(const char *p, const char *end)
{
	char tmp[64], *after;
	size_t i;

	for (i = 0; i < sizeof(tmp) - 1 && p + i < end; i++) {
		char c = p[i];

		if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == 'e' || c == 'E' ||
		    c == '.')
			tmp[i] = c;
		else
			break;
	}
	tmp[i] = '\0';
	strtod(tmp, &after);
	return (size_t)(after - tmp);
}

struct json_builder {
	struct sn_diag *d;
	const char *file;
	unsigned loc_doc;
	struct input_arena arena;
	bool failed;
};

static struct input_node *jb_node(struct json_builder *b, enum input_node_kind kind,
				  const struct jscan *s)
{
	struct input_node *n = input_arena_alloc(&b->arena, sizeof(*n));

	n->kind = kind;
	n->line = s->line;
	n->col = s->col;
	n->weight = 1;
	return n;
}

static bool all_digits(const char *s, size_t len)
{
	size_t i = (len && s[0] == '-') ? 1 : 0;

	if (i == len)
		return false;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
	}
	return true;
}

static void jb_error(struct json_builder *b, const struct input_node *at, const char *fmt, ...)
	SN_PRINTF(3, 4);
static void jb_error(struct json_builder *b, const struct input_node *at, const char *fmt, ...)
{
	struct sn_loc loc = { .file = b->file, .line = at->line, .col = at->col, .doc = b->loc_doc };
	va_list ap;

	va_start(ap, fmt);
	sn_diag_vadd(b->d, SN_ERROR, &loc, NULL, NULL, fmt, ap);
	va_end(ap);
	b->failed = true;
}

/* The nesting depth was checked before cJSON ran, so this recursion is
 * bounded by INPUT_MAX_DEPTH. */
static struct input_node *jb_build(struct json_builder *b, const cJSON *j, struct jscan *s)
{
	struct input_node *n, *last = NULL, *k, *v;
	const cJSON *c;
	uint64_t weight = 1;
	size_t len;

	js_ws(s);
	switch (j->type & 0xff) {
	case cJSON_Object:
	case cJSON_Array:
		n = jb_node(b, (j->type & 0xff) == cJSON_Object ? INPUT_MAP : INPUT_SEQ, s);
		js_adv(s, 1);	/* { or [ */
		for (c = j->child; c; c = c->next) {
			js_ws(s);
			if (n->kind == INPUT_MAP) {
				k = jb_node(b, INPUT_SCALAR, s);
				k->type = INPUT_STR;
				k->quoted = true;
				k->s = js_string(s, &b->arena, &k->len);
				js_ws(s);
				js_adv(s, 1);	/* : */
				if (last)
					last->next = k;
				else
					n->child = k;
				last = k;
				weight++;
			}
			v = jb_build(b, c, s);
			if (last)
				last->next = v;
			else
				n->child = v;
			last = v;
			weight += v->weight;
			n->n++;
			js_ws(s);
			if (s->p < s->end && *s->p == ',')
				js_adv(s, 1);
		}
		js_ws(s);
		js_adv(s, 1);	/* } or ] */
		n->weight = weight > UINT32_MAX ? UINT32_MAX : (uint32_t)weight;
		if (n->kind == INPUT_MAP && !b->failed) {
			const struct input_node *first, *second;
			char q[INPUT_QUOTE_MAX];

			if (input_map_dup_key(n, &first, &second))
				jb_error(b, second,
					 "duplicate key %s (first at %u:%u; a key may appear once in an object)",
					 input_quote(q, sizeof(q), second->s, second->len),
					 first->line, first->col);
		}
		return n;
	case cJSON_String:
		n = jb_node(b, INPUT_SCALAR, s);
		n->type = INPUT_STR;
		n->quoted = true;
		n->s = js_string(s, &b->arena, &n->len);
		return n;
	case cJSON_Number:
		n = jb_node(b, INPUT_SCALAR, s);
		len = js_number_len(s->p, s->end);
		n->s = input_arena_strndup(&b->arena, s->p, len);
		n->len = (uint32_t)len;
		n->type = all_digits(n->s, len) ? INPUT_INT : INPUT_FLOAT;
		js_adv(s, len);
		return n;
	case cJSON_True:
	case cJSON_False:
		n = jb_node(b, INPUT_SCALAR, s);
		n->type = INPUT_BOOL;
		n->s = (j->type & 0xff) == cJSON_True ? "true" : "false";
		n->len = (uint32_t)strlen(n->s);
		js_adv(s, n->len);
		return n;
	default:	/* cJSON_NULL */
		n = jb_node(b, INPUT_SCALAR, s);
		n->type = INPUT_NULL;
		n->s = "null";
		n->len = 4;
		js_adv(s, 4);
		return n;
	}
}

/* What a pass over the bytes tells before cJSON runs: where nesting first
 * goes deeper than INPUT_MAX_DEPTH (cJSON would allow 1000), whether the
 * text ends inside a string or an open { or [, and how many top-level
 * values there are. */
struct jprescan {
	size_t deep_off;	/* (size_t)-1: never too deep */
	bool unterminated;
	size_t open_str;	/* the quote of a string left open at the end, or (size_t)-1 */
	unsigned nvalues;
};

static void json_prescan(const char *buf, size_t len, struct jprescan *ps)
{
	bool in_str = false;
	unsigned depth = 0;
	size_t i, str_start = 0;

	ps->deep_off = (size_t)-1;
	ps->nvalues = 0;
	for (i = 0; i < len; i++) {
		char c = buf[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
			continue;
		}
		switch (c) {
		case '"':
			if (depth == 0)
				ps->nvalues++;
			in_str = true;
			str_start = i;
			break;
		case '{':
		case '[':
			if (depth == 0)
				ps->nvalues++;
			if (++depth > INPUT_MAX_DEPTH && ps->deep_off == (size_t)-1)
				ps->deep_off = i;
			break;
		case '}':
		case ']':
			if (depth)
				depth--;
			break;
		default:
			break;
		}
	}
	ps->unterminated = in_str || depth > 0;
	ps->open_str = in_str ? str_start : (size_t)-1;
}

/* Could the text have been cut just after c? (Then cJSON's pointer at the
 * last byte means "the input ended", not "this byte is wrong".) */
static bool could_end(char c)
{
	return (c >= '0' && c <= '9') || (unsigned char)c <= 32 || strchr("\"el{}[],:", c);
}

static void json_syntax_error(struct json_builder *b, const char *buf, size_t len,
			      const char *err, const struct jprescan *ps)
{
	struct sn_loc loc = { .file = b->file, .doc = b->loc_doc };
	size_t off = err ? (size_t)(err - buf) : len;

	/* At the end of the text cJSON points at the last byte, or, for a
	 * string never closed, just after its opening quote. */
	if (off >= len || (off + 1 == len && ps->unterminated && could_end(buf[off])) ||
	    (ps->open_str != (size_t)-1 && off == ps->open_str + 1)) {
		input_offset_pos(buf, len, &loc.line, &loc.col);
		sn_diag_add(b->d, SN_ERROR, &loc, NULL, NULL,
			    "JSON syntax error: unexpected end of input (an unclosed string, { or [)");
		return;
	}
	/* Where a member name was expected ("{", "," then not a string),
	 * cJSON points one byte past the culprit: step back to it. */
	if (off >= 1 && (unsigned char)buf[off - 1] > 32 && buf[off - 1] != '"') {
		size_t k = off - 1;

		while (k > 0 && (unsigned char)buf[k - 1] <= 32)
			k--;
		/* ("{}" then a bad byte: the '}' closed an empty object) */
		if (k > 0 && (buf[k - 1] == ',' || (buf[k - 1] == '{' && buf[off - 1] != '}')))
			off--;
	}
	input_offset_pos(buf, off, &loc.line, &loc.col);
	if (buf[off] > 32 && buf[off] < 127)
		sn_diag_add(b->d, SN_ERROR, &loc, NULL, NULL, "JSON syntax error: unexpected '%c'",
			    buf[off]);
	else
		sn_diag_add(b->d, SN_ERROR, &loc, NULL, NULL,
			    "JSON syntax error: unexpected byte 0x%02x", (unsigned char)buf[off]);
}

unsigned input_json_parse(struct sn_diag *d, const char *file, const char *buf, size_t len,
			  input_doc_fn *fn, void *ctx)
{
	struct json_builder b = { .d = d, .file = file };
	struct jscan s = { .p = buf, .end = buf + len, .line = 1, .col = 1 };
	struct jprescan ps;
	unsigned ndocs = 0;

	json_prescan(buf, len, &ps);
	input_arena_init(&b.arena);
	if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
		s.p += 3;	/* UTF-8 byte order mark: not a column */
	for (;;) {
		const char *start, *endp = NULL;
		struct input_node *root;
		struct sn_loc loc;
		cJSON *j;

		js_ws(&s);
		if (s.p >= s.end)
			break;
		ndocs++;
		b.loc_doc = ps.nvalues > 1 || ndocs > 1 ? ndocs : 0;
		start = s.p;
		j = cJSON_ParseWithLengthOpts(start, (size_t)(s.end - start), &endp, 0);
		if (ps.deep_off != (size_t)-1 && ps.deep_off >= (size_t)(start - buf) &&
		    (!j || ps.deep_off < (size_t)(endp - buf))) {
			loc = (struct sn_loc){ .file = file, .doc = b.loc_doc };
			input_offset_pos(buf, ps.deep_off, &loc.line, &loc.col);
			sn_diag_add(d, SN_ERROR, &loc, NULL, NULL,
				    "nesting deeper than %d levels (allowed: at most %d objects and arrays inside each other)",
				    INPUT_MAX_DEPTH, INPUT_MAX_DEPTH);
			cJSON_Delete(j);
			break;
		}
		if (!j) {
			json_syntax_error(&b, buf, len, cJSON_GetErrorPtr(), &ps);
			break;
		}
		b.failed = false;
		root = jb_build(&b, j, &s);
		cJSON_Delete(j);
		if (!b.failed && !input_is_null(root)) {
			struct input_doc doc = { .file = file, .index = ndocs, .loc_doc = b.loc_doc,
						 .root = root };

			fn(ctx, &doc);
		}
		input_arena_reset(&b.arena);
		/* cJSON also skipped the white space after the value. */
		if (s.p < endp)
			js_adv(&s, (size_t)(endp - s.p));
	}
	input_arena_free(&b.arena);
	return ndocs;
}
