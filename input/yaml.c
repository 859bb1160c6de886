// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * input/yaml.c: YAML text to document trees, through libyaml's event API.
 *
 * Events are folded into input_node trees one document at a time; each
 * finished document is handed to the caller and its arena reused, so a file
 * of 20,000 documents never holds more than one tree.
 */
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "input/tree.h"

struct yb_frame {
	struct input_node *node;	/* the open map or list */
	struct input_node *last;	/* its last child */
	const char *anchor;		/* &anchor to register when it closes, or NULL */
	uint32_t nkids;
	uint64_t weight;
};

struct yb_anchor {
	const char *name;		/* in the arena; NULL = free slot */
	const struct input_node *node;
};

struct yaml_builder {
	struct sn_diag *d;
	const char *file;
	unsigned loc_doc;
	struct input_arena arena;
	struct yb_frame stack[INPUT_MAX_DEPTH];
	unsigned depth;
	struct input_node *root;
	bool failed;			/* the current document has an error: skip to its end */
	uint64_t alias_nodes;
	struct yb_anchor *anchors;	/* open addressing, power-of-two size */
	size_t nanchors, anchors_size;
};

static void yb_errorv(struct yaml_builder *b, unsigned line, unsigned col, const char *fmt,
		      va_list ap) SN_PRINTF(4, 0);
static void yb_errorv(struct yaml_builder *b, unsigned line, unsigned col, const char *fmt,
		      va_list ap)
{
	struct sn_loc loc = { .file = b->file, .line = line, .col = col, .doc = b->loc_doc };

	sn_diag_vadd(b->d, SN_ERROR, &loc, NULL, NULL, fmt, ap);
}

static void yb_error(struct yaml_builder *b, const yaml_mark_t *m, const char *fmt, ...)
	SN_PRINTF(3, 4);
static void yb_error(struct yaml_builder *b, const yaml_mark_t *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	yb_errorv(b, (unsigned)m->line + 1, (unsigned)m->column + 1, fmt, ap);
	va_end(ap);
	b->failed = true;
}

/* ---- anchors ---- */

static uint64_t anchor_hash(const char *name)
{
	return sn_hash_str(name, SN_HASH_SEED);
}

static void anchor_put(struct yaml_builder *b, const char *name, const struct input_node *n)
{
	size_t i, mask;

	if ((b->nanchors + 1) * 2 > b->anchors_size) {
		struct yb_anchor *old = b->anchors;
		size_t oldsize = b->anchors_size;

		b->anchors_size = oldsize ? oldsize * 2 : 16;
		b->anchors = sn_calloc(b->anchors_size, sizeof(*b->anchors));
		b->nanchors = 0;
		for (i = 0; i < oldsize; i++) {
			if (old[i].name)
				anchor_put(b, old[i].name, old[i].node);
		}
		free(old);
	}
	mask = b->anchors_size - 1;
	for (i = anchor_hash(name) & mask;; i = (i + 1) & mask) {
		if (!b->anchors[i].name) {
			b->anchors[i].name = name;
			b->anchors[i].node = n;
			b->nanchors++;
			return;
		}
		if (!strcmp(b->anchors[i].name, name)) {
			/* YAML lets a later anchor of the same name win. */
			b->anchors[i].node = n;
			return;
		}
	}
}

static const struct input_node *anchor_get(const struct yaml_builder *b, const char *name)
{
	size_t i, mask;

	if (!b->anchors_size)
		return NULL;
	mask = b->anchors_size - 1;
	for (i = anchor_hash(name) & mask; b->anchors[i].name; i = (i + 1) & mask) {
		if (!strcmp(b->anchors[i].name, name))
			return b->anchors[i].node;
	}
	return NULL;
}

/* ---- building ---- */

static void yb_reset(struct yaml_builder *b)
{
	input_arena_reset(&b->arena);
	b->depth = 0;
	b->root = NULL;
	b->failed = false;
	b->alias_nodes = 0;
	free(b->anchors);
	b->anchors = NULL;
	b->nanchors = b->anchors_size = 0;
}

static struct input_node *yb_node(struct yaml_builder *b, enum input_node_kind kind,
				  const yaml_mark_t *m)
{
	struct input_node *n = input_arena_alloc(&b->arena, sizeof(*n));

	n->kind = kind;
	n->line = (uint32_t)m->line + 1;
	n->col = (uint32_t)m->column + 1;
	n->weight = 1;
	return n;
}

static uint32_t sat32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* Hang n under the open collection (or make it the root). */
static void yb_add(struct yaml_builder *b, struct input_node *n, const yaml_mark_t *m)
{
	struct yb_frame *f;

	if (b->depth == 0) {
		b->root = n;
		return;
	}
	f = &b->stack[b->depth - 1];
	if (f->node->kind == INPUT_MAP && f->nkids % 2 == 0) {
		const struct input_node *k = input_deref(n);

		if (k->kind != INPUT_SCALAR) {
			yb_error(b, m, "a map key must be a string, not %s",
				 k->kind == INPUT_MAP ? "a map" : "a list");
			return;
		}
	}
	if (f->last)
		f->last->next = n;
	else
		f->node->child = n;
	f->last = n;
	f->nkids++;
	f->weight += n->weight;
}

/* Kubernetes' YAML reader refuses a map with the same key twice: so do we. */
static void check_dup_keys(struct yaml_builder *b, const struct input_node *map)
{
	const struct input_node *first, *second;
	char q[INPUT_QUOTE_MAX];

	if (input_map_dup_key(map, &first, &second)) {
		const struct input_node *k = input_deref(second);
		yaml_mark_t m = { .line = second->line - 1, .column = second->col - 1 };

		yb_error(b, &m, "duplicate key %s (first at %u:%u; a key may appear once in a map)",
			 input_quote(q, sizeof(q), k->s, k->len), first->line, first->col);
	}
}

static const char *yb_anchor(struct yaml_builder *b, const yaml_char_t *anchor)
{
	return anchor ? input_arena_strndup(&b->arena, (const char *)anchor,
					    strlen((const char *)anchor))
		      : NULL;
}

/* The type of a scalar: explicit !!str (or the non-specific "!") makes a
 * string, other YAML core tags resolve the text as if plain; otherwise
 * quoted and block scalars are strings and plain ones are resolved. */
static uint8_t scalar_type(const yaml_event_t *ev)
{
	const char *tag = (const char *)ev->data.scalar.tag;
	const char *s = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;

	if (tag) {
		if (!strcmp(tag, "!") || !strcmp(tag, YAML_STR_TAG))
			return INPUT_STR;
		if (!strcmp(tag, YAML_INT_TAG) || !strcmp(tag, YAML_FLOAT_TAG) ||
		    !strcmp(tag, YAML_BOOL_TAG) || !strcmp(tag, YAML_NULL_TAG))
			return input_yaml_resolve(s, len);
	}
	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return INPUT_STR;
	return input_yaml_resolve(s, len);
}

static void yb_event(struct yaml_builder *b, const yaml_event_t *ev)
{
	struct input_node *n;
	struct yb_frame *f;
	const struct input_node *target;

	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		n = yb_node(b, INPUT_SCALAR, &ev->start_mark);
		n->s = input_arena_strndup(&b->arena, (const char *)ev->data.scalar.value,
					   ev->data.scalar.length);
		n->len = (uint32_t)ev->data.scalar.length;
		n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
		n->type = scalar_type(ev);
		if (ev->data.scalar.anchor)
			anchor_put(b, yb_anchor(b, ev->data.scalar.anchor), n);
		yb_add(b, n, &ev->start_mark);
		break;
	case YAML_ALIAS_EVENT:
		target = anchor_get(b, (const char *)ev->data.alias.anchor);
		if (!target) {
			char q[INPUT_QUOTE_MAX];
			const char *a = (const char *)ev->data.alias.anchor;

			yb_error(b, &ev->start_mark,
				 "alias *%s names no anchor (an &anchor must be defined, and complete, before its alias)",
				 input_quote(q, sizeof(q), a, strlen(a)));
			return;
		}
		b->alias_nodes += target->weight;
		if (b->alias_nodes > INPUT_MAX_ALIAS_NODES) {
			yb_error(b, &ev->start_mark,
				 "aliases expand to more than %u nodes in this document (refused as an alias bomb)",
				 INPUT_MAX_ALIAS_NODES);
			return;
		}
		n = yb_node(b, INPUT_ALIAS, &ev->start_mark);
		n->child = (struct input_node *)(uintptr_t)target;
		n->weight = target->weight;
		yb_add(b, n, &ev->start_mark);
		break;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (b->depth >= INPUT_MAX_DEPTH) {
			yb_error(b, &ev->start_mark,
				 "nesting deeper than %d levels (allowed: at most %d maps and lists inside each other)",
				 INPUT_MAX_DEPTH, INPUT_MAX_DEPTH);
			return;
		}
		n = yb_node(b, ev->type == YAML_MAPPING_START_EVENT ? INPUT_MAP : INPUT_SEQ,
			    &ev->start_mark);
		yb_add(b, n, &ev->start_mark);
		if (b->failed)
			return;
		f = &b->stack[b->depth++];
		f->node = n;
		f->last = NULL;
		f->nkids = 0;
		f->weight = 1;
		f->anchor = yb_anchor(b, ev->type == YAML_MAPPING_START_EVENT
						 ? ev->data.mapping_start.anchor
						 : ev->data.sequence_start.anchor);
		break;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		f = &b->stack[--b->depth];
		n = f->node;
		n->n = n->kind == INPUT_MAP ? f->nkids / 2 : f->nkids;
		n->weight = sat32(f->weight);
		if (n->kind == INPUT_MAP)
			check_dup_keys(b, n);
		/* Registered only now: an alias inside its own anchor's node
		 * would make a cycle. */
		if (f->anchor)
			anchor_put(b, f->anchor, n);
		if (b->depth > 0) {
			/* the parent counted this node as 1 when it opened */
			struct yb_frame *p = &b->stack[b->depth - 1];

			p->weight += n->weight - 1;
		}
		break;
	default:
		break;
	}
}

/*
 * Does the file hold several documents? Decided before parsing so that
 * every message of a one-document file can leave out "(document 1)", even
 * when messages are printed as they come: a "---" line after content means
 * yes. (A document found later than that still gets its number.)
 */
static bool yaml_looks_multi(const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len, *nl;
	bool content = false;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		if (nl - p >= 3 && !memcmp(p, "---", 3) &&
		    (nl - p == 3 || p[3] == ' ' || p[3] == '\t' || p[3] == '\r')) {
			if (content)
				return true;
			content = true;	/* whatever follows belongs to a document */
		} else if (p < nl && *p != '%') {
			const char *q = p;

			while (q < nl && (*q == ' ' || *q == '\t' || *q == '\r'))
				q++;
			if (q < nl && *q != '#')
				content = true;
		}
		p = nl + 1;
	}
	return false;
}

static void report_parser_error(struct yaml_builder *b, const yaml_parser_t *p, const char *buf,
				size_t len)
{
	struct sn_loc loc = { .file = b->file, .doc = b->loc_doc };
	const char *problem = p->problem ? p->problem : "unknown problem";

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		sn_diag_add(b->d, SN_ERROR, &loc, NULL, NULL, "out of memory while parsing YAML");
		break;
	case YAML_READER_ERROR:
		input_offset_pos(buf, p->problem_offset < len ? p->problem_offset : len, &loc.line,
				 &loc.col);
		if (p->problem_value != -1)
			sn_diag_add(b->d, SN_ERROR, &loc, NULL, NULL,
				    "cannot read YAML: %s (byte 0x%02x; the file must be UTF-8 text)",
				    problem, (unsigned)p->problem_value & 0xff);
		else
			sn_diag_add(b->d, SN_ERROR, &loc, NULL, NULL,
				    "cannot read YAML: %s (the file must be UTF-8 text)", problem);
		break;
	default:
		loc.line = (unsigned)p->problem_mark.line + 1;
		loc.col = (unsigned)p->problem_mark.column + 1;
		if (p->context)
			sn_diag_add(b->d, SN_ERROR, &loc, NULL, NULL,
				    "YAML syntax error: %s (%s at %u:%u)", problem, p->context,
				    (unsigned)p->context_mark.line + 1,
				    (unsigned)p->context_mark.column + 1);
		else
			sn_diag_add(b->d, SN_ERROR, &loc, NULL, NULL, "YAML syntax error: %s",
				    problem);
	}
}

unsigned input_yaml_parse(struct sn_diag *d, const char *file, const char *buf, size_t len,
			  input_doc_fn *fn, void *ctx)
{
	struct yaml_builder b = { .d = d, .file = file };
	bool multi = yaml_looks_multi(buf, len);
	yaml_parser_t parser;
	yaml_event_t ev;
	unsigned ndocs = 0;
	bool done = false;

	input_arena_init(&b.arena);
	if (!yaml_parser_initialize(&parser)) {
		struct sn_loc loc = { .file = file };

		sn_diag_add(d, SN_ERROR, &loc, NULL, NULL, "out of memory while parsing YAML");
		return 0;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			report_parser_error(&b, &parser, buf, len);
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			ndocs++;
			yb_reset(&b);
			b.loc_doc = multi || ndocs > 1 ? ndocs : 0;
			break;
		case YAML_DOCUMENT_END_EVENT:
			if (!b.failed && b.root && !input_is_null(b.root)) {
				struct input_doc doc = { .file = file, .index = ndocs,
							 .loc_doc = b.loc_doc, .root = b.root };

				fn(ctx, &doc);
			}
			yb_reset(&b);
			break;
		default:
			if (!b.failed)
				yb_event(&b, &ev);
		}
		yaml_event_delete(&ev);
	}
	yb_reset(&b);
	input_arena_free(&b.arena);
	yaml_parser_delete(&parser);
	return ndocs;
}
