// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * input/yaml.c: YAML text to document trees, through libyaml's event API.
 *
 * Events are folded into input_node trees one document at a time; each
 * finished document is handed to the caller and its arena reused, so a file
 * of 20,000 documents never holds more than one tree. The items of a root
 * map's "items" list can be handed on one at a time (input_stream_ops), so
 * a `kind: List` of 20,000 objects does not either.
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
	unsigned index;			/* of the document */
	unsigned loc_doc;
	const struct input_stream_ops *ops;
	void *ctx;
	const yaml_parser_t *parser;	/* how far it has read, for ops->consumed */
	bool fatal;			/* nesting too deep: stop the file */
	struct input_arena arena;
	struct yb_frame stack[INPUT_MAX_DEPTH];
	unsigned depth;
	struct input_node *root;
	bool failed;			/* the current document has an error: skip to its end */
	uint64_t alias_nodes;
	struct yb_anchor *anchors;	/* open addressing, power-of-two size */
	size_t nanchors, anchors_size;
	uint64_t anchor_puts;		/* anchors registered in this document */

	/* The root map's "items", handed on one at a time: the list is the
	 * frame at depth ITEMS_DEPTH - 1, an item is the node (and everything
	 * inside it) that starts at event depth ITEMS_DEPTH. */
	unsigned ev_depth;		/* open collections, counted even past an error */
	bool items_seen;		/* the root's items list was met (once per document) */
	bool stream;			/* its items are being handed on */
	bool in_item;
	unsigned item_idx;
	struct input_arena_mark item_mark;
	struct input_node *item_last;	/* the list's frame before the item */
	uint32_t item_nkids;
	uint64_t item_weight, item_anchor_puts;
	bool item_doc_failed;
};

#define ITEMS_DEPTH 2

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
	b->anchor_puts++;
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
	b->anchor_puts = 0;
	b->ev_depth = 0;
	b->items_seen = b->stream = b->in_item = false;
	b->item_idx = 0;
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

static struct input_doc yb_doc(const struct yaml_builder *b, const struct input_node *root)
{
	return (struct input_doc){ .file = b->file, .index = b->index, .loc_doc = b->loc_doc,
				   .root = root };
}

/* Is a list opening now the value of the root map's "items" (the first
 * such list of the document)? */
static bool yb_is_items(const struct yaml_builder *b, enum input_node_kind kind)
{
	const struct yb_frame *root = &b->stack[0];
	const struct input_node *key;

	if (kind != INPUT_SEQ || b->depth != ITEMS_DEPTH - 1 || b->items_seen || !b->ops ||
	    !b->ops->items_begin || !b->ops->item || root->node->kind != INPUT_MAP ||
	    root->nkids % 2 == 0)
		return false;
	key = input_deref(root->last);
	return key->kind == INPUT_SCALAR && key->len == 5 && !memcmp(key->s, "items", 5);
}

/* The root's items list just opened: does the consumer want its items one
 * at a time? It sees the root's pairs so far. */
static void yb_items_begin(struct yaml_builder *b)
{
	struct input_doc head = yb_doc(b, b->stack[0].node);

	b->items_seen = true;
	b->stream = b->ops->items_begin(b->ctx, &head);
}

static void yb_item_start(struct yaml_builder *b)
{
	const struct yb_frame *f = &b->stack[ITEMS_DEPTH - 1];

	b->in_item = true;
	b->item_mark = input_arena_mark(&b->arena);
	b->item_last = f->last;
	b->item_nkids = f->nkids;
	b->item_weight = f->weight;
	b->item_anchor_puts = b->anchor_puts;
	b->item_doc_failed = b->failed;
	b->failed = false;
}

static void yb_item_end(struct yaml_builder *b)
{
	struct yb_frame *f = &b->stack[ITEMS_DEPTH - 1];
	bool item_failed = b->failed;
	struct input_doc doc = yb_doc(b, b->stack[0].node);

	b->in_item = false;
	/* after an error the item's own end events were not built: close
	 * whatever it left open */
	b->depth = ITEMS_DEPTH;
	if (item_failed || !b->ops->item(b->ctx, &doc, b->item_idx, input_deref(f->last))) {
		/* handed on, or reported and skipped: unlink it and forget it,
		 * unless it defined an anchor a later alias may name */
		f->last = b->item_last;
		if (f->last)
			f->last->next = NULL;
		else
			f->node->child = NULL;
		f->nkids = b->item_nkids;
		f->weight = b->item_weight;
		f->node->skipped++;
		if (b->anchor_puts == b->item_anchor_puts)
			input_arena_rewind(&b->arena, &b->item_mark);
		item_failed = false;
		/* libyaml has copied all it read into its own buffers */
		if (b->ops->consumed)
			b->ops->consumed(b->ctx, (const char *)b->parser->input.string.current);
	} else {
		b->stream = false;	/* kept: this one and the rest stay in the tree */
	}
	b->failed = b->item_doc_failed || item_failed;
	b->item_idx++;
}

static void yb_event(struct yaml_builder *b, const yaml_event_t *ev)
{
	struct input_node *n;
	struct yb_frame *f;
	const struct input_node *target;
	bool items;

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
			/* Stop the file here: libyaml's scanner does work per
			 * open flow level for every token, so reading on
			 * through 100,000 "[" would take minutes. */
			yb_error(b, &ev->start_mark,
				 "nesting deeper than %d levels (allowed: at most %d maps and lists inside each other)",
				 INPUT_MAX_DEPTH, INPUT_MAX_DEPTH);
			b->fatal = true;
			return;
		}
		n = yb_node(b, ev->type == YAML_MAPPING_START_EVENT ? INPUT_MAP : INPUT_SEQ,
			    &ev->start_mark);
		items = yb_is_items(b, n->kind);
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
		if (items)
			yb_items_begin(b);
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

/* One event inside a document: build, and cut the root's items apart when
 * they are streamed. The event depth is counted even after an error, so
 * that the end of a bad item is still found. */
static void yb_step(struct yaml_builder *b, const yaml_event_t *ev)
{
	bool start = ev->type == YAML_SCALAR_EVENT || ev->type == YAML_ALIAS_EVENT ||
		     ev->type == YAML_SEQUENCE_START_EVENT || ev->type == YAML_MAPPING_START_EVENT;

	if (b->stream && start && b->ev_depth == ITEMS_DEPTH)
		yb_item_start(b);
	if (!b->failed)
		yb_event(b, ev);
	if (ev->type == YAML_SEQUENCE_START_EVENT || ev->type == YAML_MAPPING_START_EVENT)
		b->ev_depth++;
	else if (ev->type == YAML_SEQUENCE_END_EVENT || ev->type == YAML_MAPPING_END_EVENT)
		b->ev_depth--;
	else if (!start)
		return;
	if (b->in_item && b->ev_depth == ITEMS_DEPTH && !b->fatal &&
	    (ev->type == YAML_SCALAR_EVENT || ev->type == YAML_ALIAS_EVENT ||
	     ev->type == YAML_SEQUENCE_END_EVENT || ev->type == YAML_MAPPING_END_EVENT))
		yb_item_end(b);
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

unsigned input_yaml_stream(struct sn_diag *d, const char *file, const char *buf, size_t len,
			   const struct input_stream_ops *ops, void *ctx)
{
	struct yaml_builder b = { .d = d, .file = file, .ops = ops, .ctx = ctx };
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
	b.parser = &parser;
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
			b.index = ndocs;
			b.loc_doc = multi || ndocs > 1 ? ndocs : 0;
			break;
		case YAML_DOCUMENT_END_EVENT:
			if (!b.failed && b.root && !input_is_null(b.root)) {
				struct input_doc doc = { .file = file, .index = ndocs,
							 .loc_doc = b.loc_doc, .root = b.root };

				ops->doc(ctx, &doc);
			}
			yb_reset(&b);
			break;
		default:
			yb_step(&b, &ev);
		}
		yaml_event_delete(&ev);
		if (b.fatal)
			break;
	}
	yb_reset(&b);
	input_arena_free(&b.arena);
	yaml_parser_delete(&parser);
	return ndocs;
}

unsigned input_yaml_parse(struct sn_diag *d, const char *file, const char *buf, size_t len,
			  input_doc_fn *fn, void *ctx)
{
	struct input_stream_ops ops = { .doc = fn };

	return input_yaml_stream(d, file, buf, len, &ops, ctx);
}
