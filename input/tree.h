/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * input/tree.h: the generic document tree both readers produce (YAML through
 * libyaml events, JSON through input/json.c's own reader), and the small
 * helpers the object readers use on it. Internal to input/.
 *
 * Every node carries its 1-based line:col. Scalars keep their text; their
 * type (string, integer, ...) is decided once when the node is built: YAML
 * plain scalars the YAML 1.1 way Kubernetes resolves them, quoted scalars
 * and JSON strings are strings.
 *
 * Ownership: nodes and their text live in a struct input_arena that the
 * reader resets after each document, and (for the items of a top-level
 * List handed on one at a time) rewinds after each item; a callback must
 * copy what it keeps.
 */
#ifndef SVCNFT_INPUT_TREE_H
#define SVCNFT_INPUT_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/sn.h"

/* Nesting deeper than this is refused: no Kubernetes object needs more than
 * about 10 levels, and every walk over the tree stays shallow. */
#define INPUT_MAX_DEPTH 64
/* Nodes an alias may stand for, summed over one document: refuses "billion
 * laughs" documents before they are walked. */
#define INPUT_MAX_ALIAS_NODES 1000000u
/* Files larger than this are refused rather than read into memory:
 * 10,000 Services with their slices are about 30 MB. */
#define INPUT_MAX_FILE_SIZE (256u << 20)

/* ---- arena: bump allocation, freed all at once or back to a mark ---- */
struct input_arena_chunk;

struct input_arena {
	struct input_arena_chunk *chunks;	/* bump chunks, newest first */
	struct input_arena_chunk *big;		/* one-off large blocks, newest first */
	struct input_arena_chunk *spare;	/* an emptied chunk kept for reuse */
	char *p, *end;				/* free space in the newest chunk */
};

/* Where an arena stood: input_arena_rewind() frees what came after. */
struct input_arena_mark {
	struct input_arena_chunk *chunk, *big;
	char *p;
};

void input_arena_init(struct input_arena *a);
void *input_arena_alloc(struct input_arena *a, size_t n);	/* zeroed, 8-aligned */
char *input_arena_strndup(struct input_arena *a, const char *s, size_t n);
/* Forget everything, keep one chunk for the next document. */
void input_arena_reset(struct input_arena *a);
void input_arena_free(struct input_arena *a);
struct input_arena_mark input_arena_mark(const struct input_arena *a);
/* Forget what was allocated since m (one List item), keeping a chunk. */
void input_arena_rewind(struct input_arena *a, const struct input_arena_mark *m);

/* ---- nodes ---- */
enum input_node_kind {
	INPUT_SCALAR,
	INPUT_SEQ,
	INPUT_MAP,
	INPUT_ALIAS,	/* YAML *alias: child is the anchored node (never an alias) */
};

enum input_scalar_type {
	INPUT_STR,
	INPUT_INT,
	INPUT_FLOAT,
	INPUT_BOOL,
	INPUT_NULL,
};

struct input_node {
	struct input_node *next;	/* next sibling */
	struct input_node *child;	/* first child; a map's children are key, value, key, value... */
	const char *s;			/* scalar text, NUL-terminated (may also hold a NUL: see len) */
	uint32_t len;			/* bytes in s */
	uint32_t n;			/* seq: items; map: key/value pairs */
	uint32_t skipped;		/* seq: leading items handed on one at a time and not
					 * kept; the children are the items from index skipped */
	uint32_t line, col;		/* 1-based */
	uint32_t weight;		/* nodes this one stands for, aliases expanded (saturates) */
	uint8_t kind;			/* enum input_node_kind */
	uint8_t type;			/* enum input_scalar_type, for scalars */
	bool quoted;			/* quoted or block scalar: always a string */
};

static inline const struct input_node *input_deref(const struct input_node *n)
{
	return n && n->kind == INPUT_ALIAS ? n->child : n;
}

static inline bool input_is_null(const struct input_node *n)
{
	n = input_deref(n);
	return !n || (n->kind == INPUT_SCALAR && n->type == INPUT_NULL);
}

/* The value of key in map m (aliases and YAML "<<" merge keys followed), or
 * NULL when m is not a map or the key is absent. input_map_get also gives
 * NULL for an explicit null, which Kubernetes treats as absent. */
const struct input_node *input_map_find(const struct input_node *m, const char *key);
const struct input_node *input_map_get(const struct input_node *m, const char *key);

/* Does map m have a key twice? Sets the first and second of the earliest
 * repeated pair (the key nodes). */
bool input_map_dup_key(const struct input_node *m, const struct input_node **first,
		       const struct input_node **second);

/* The YAML 1.1 type of a plain scalar, as Kubernetes' YAML reader resolves it. */
enum input_scalar_type input_yaml_resolve(const char *s, size_t len);

/* An integer node's value (saturating), or an integral float's. 0 or -1. */
int input_node_int(const struct input_node *n, int64_t *v);
/* true/false, yes/no, on/off... of a boolean node. */
bool input_node_bool(const struct input_node *n);

/* Write s as a double-quoted string with control characters and bytes
 * >= 0x7f escaped, cut at about 64 bytes ("..." marks the cut): safe in any
 * message. Returns buf. */
#define INPUT_QUOTE_MAX 300
const char *input_quote(char *buf, size_t size, const char *s, size_t len);
/* A number's text as written, cut to 32 characters ("123...") for messages. */
#define INPUT_NUM_TEXT_MAX 40
const char *input_num_text(char *buf, size_t size, const struct input_node *n);
/* "a map", "a list", "the string \"80\"", "the integer 80", "null"... */
const char *input_describe(char *buf, size_t size, const struct input_node *n);

/* 1-based line:col of byte off in buf, counting characters (not UTF-8
 * continuation bytes) as libyaml does. */
void input_offset_pos(const char *buf, size_t off, unsigned *line, unsigned *col);

/* ---- readers ---- */
struct input_doc {
	const char *file;		/* interned in the sn_diag */
	unsigned index;			/* 1-based document index in the file */
	unsigned loc_doc;		/* what sn_loc.doc gets: index, or 0 in a one-document file */
	const struct input_node *root;	/* never NULL, never a null scalar */
};

typedef void input_doc_fn(void *ctx, const struct input_doc *doc);

/*
 * Parse buf and call fn for each non-empty document, in order. Syntax errors
 * are added to d (as file:line:col) and stop the file; the documents before
 * the error were already handed to fn. A document with a structural error
 * (too deep, duplicate key, unknown alias) is reported and not handed on.
 * Return the number of documents seen.
 */
unsigned input_yaml_parse(struct sn_diag *d, const char *file, const char *buf, size_t len,
			  input_doc_fn *fn, void *ctx);
unsigned input_json_parse(struct sn_diag *d, const char *file, const char *buf, size_t len,
			  input_doc_fn *fn, void *ctx);

/*
 * Streaming: the same, but the "items" list of a document's root map can be
 * handed on one item at a time, each item's tree freed once its callback
 * returns, so that a 60 MB List never exists as one tree.
 *
 * When the root map reaches its "items" key and the value is a list,
 * items_begin is called with doc->root the root map holding only the pairs
 * before "items" (the reader has not seen the rest). It returns true to have
 * the items streamed. Then item is called for each item (idx counts from 0;
 * an item with a structural error is reported and skipped); it returns
 * false when done with it (its tree is freed) or true to keep it: that item
 * and every later one are then kept in the list as usual (the list's
 * skipped says how many were handed on before). Finally doc is called with
 * the whole root as for any document, unless the document had an error.
 * Syntax errors and nesting too deep stop the file, in both formats.
 */
struct input_stream_ops {
	input_doc_fn *doc;
	bool (*items_begin)(void *ctx, const struct input_doc *head);
	bool (*item)(void *ctx, const struct input_doc *doc, unsigned idx,
		     const struct input_node *item);
	/* Optional, JSON: a second value has begun, so the file is a stream
	 * and what was kept from the first value (read with loc_doc 0)
	 * belongs to document 1. The reader renumbers its own messages. */
	void (*renumber)(void *ctx, const char *file);
	/* Optional: after a streamed item, no byte of buf before upto will be
	 * needed again (a mapped file may drop those pages). */
	void (*consumed)(void *ctx, const char *upto);
};

unsigned input_yaml_stream(struct sn_diag *d, const char *file, const char *buf, size_t len,
			   const struct input_stream_ops *ops, void *ctx);
unsigned input_json_stream(struct sn_diag *d, const char *file, const char *buf, size_t len,
			   const struct input_stream_ops *ops, void *ctx);

/* One JSON value (an API object) without positions: nodes get line and
 * col 0, so that messages name source alone, as an API object has no file
 * to point into. Returns the root (in a), or NULL after reporting a syntax
 * error, too deep a nesting, a duplicate key or text after the value to d
 * at source. */
const struct input_node *input_json_value(struct sn_diag *d, const char *source,
					  const char *buf, size_t len, struct input_arena *a);

/* Does the name end in .json (then JSON), or .yaml/.yml (YAML)? Without a
 * known extension the first non-blank byte decides: '{' or '[' is JSON. */
bool input_is_json(const char *name, const char *buf, size_t len);

#endif
