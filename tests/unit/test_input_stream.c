// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tests/unit/test_input_stream.c: Lists read one item at a time, one API
 * object decoded from JSON (input_decode_object, the agent's entry point),
 * and hostile nesting stopped at its first level too deep.
 *
 * Run from the top of the tree (make unit does).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "input/input.h"
#include "input/tree.h"

struct fx {
	struct sn_diag d;
	struct svc_world *w;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	sn_diag_init(&f->d);
	f->w = svc_world_alloc();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	svc_world_free(f->w);
	sn_diag_free(&f->d);
	free(f);
	return 0;
}

/* Record i as the user sees it. */
static const char *line(const struct fx *f, size_t i)
{
	static struct sn_buf b;

	if (i >= f->d.n) {
		sn_diag_print(&f->d, stderr);
		fail_msg("no record %zu (have %zu)", i, f->d.n);
	}
	sn_buf_free(&b);
	sn_buf_init(&b);
	sn_diag_format(&f->d.recs[i], &b);
	return b.s;
}

static int load(struct fx *f, const char *name, const char *text)
{
	return input_load_buffer(name, text, strlen(text), f->w, &f->d);
}

/* ---- the streaming contract, seen from a consumer ---- */

struct seen {
	unsigned begins, items, docs;
	char head_api[16];
	bool head_has_kind;
	unsigned keep_from;		/* item index from which item() keeps */
	unsigned skipped, kept;		/* of the root's items, at doc() */
	unsigned item_lines[8];
};

static bool s_begin(void *ctx, const struct input_doc *head)
{
	struct seen *s = ctx;
	const struct input_node *api = input_map_get(head->root, "apiVersion");

	s->begins++;
	snprintf(s->head_api, sizeof(s->head_api), "%s", api ? api->s : "");
	s->head_has_kind = input_map_get(head->root, "kind") != NULL;
	return true;
}

static bool s_item(void *ctx, const struct input_doc *doc, unsigned idx,
		   const struct input_node *item)
{
	struct seen *s = ctx;

	assert_int_equal(idx, s->items);
	if (idx < 8)
		s->item_lines[idx] = item->line;
	s->items++;
	return idx >= s->keep_from;
}

static void s_doc(void *ctx, const struct input_doc *doc)
{
	struct seen *s = ctx;
	const struct input_node *items = input_map_get(doc->root, "items");

	s->docs++;
	assert_non_null(items);
	s->skipped = items->skipped;
	s->kept = items->n;
	/* what comes after items is in the tree handed over at the end */
	assert_non_null(input_map_get(doc->root, "kind"));
}

static const struct input_stream_ops s_ops = { .doc = s_doc, .items_begin = s_begin,
					       .item = s_item };

static const char list_json[] =
	"{\"apiVersion\": \"v1\", \"items\": [\n"
	"  {\"a\": 1},\n"
	"  {\"a\": 2},\n"
	"  {\"a\": 3}\n"
	"], \"kind\": \"List\"}\n";

static const char list_yaml[] =
	"apiVersion: v1\n"
	"items:\n"
	"- a: 1\n"
	"- a: 2\n"
	"- a: 3\n"
	"kind: List\n";

static void test_stream_contract(void **state)
{
	struct fx *f = *state;
	struct seen s = { .keep_from = 99 };

	/* every item handed on, none kept; kind (after items) in the final tree */
	input_json_stream(&f->d, "l.json", list_json, strlen(list_json), &s_ops, &s);
	assert_int_equal(s.begins, 1);
	assert_string_equal(s.head_api, "v1");
	assert_false(s.head_has_kind);
	assert_int_equal(s.items, 3);
	assert_int_equal(s.item_lines[0], 2);
	assert_int_equal(s.item_lines[2], 4);
	assert_int_equal(s.docs, 1);
	assert_int_equal(s.skipped, 3);
	assert_int_equal(s.kept, 0);

	memset(&s, 0, sizeof(s));
	s.keep_from = 99;
	input_yaml_stream(&f->d, "l.yaml", list_yaml, strlen(list_yaml), &s_ops, &s);
	assert_int_equal(s.items, 3);
	assert_int_equal(s.item_lines[1], 4);
	assert_int_equal(s.skipped, 3);
	assert_int_equal(s.kept, 0);

	/* the consumer keeps item 1: it and item 2 stay in the tree */
	memset(&s, 0, sizeof(s));
	s.keep_from = 1;
	input_json_stream(&f->d, "l.json", list_json, strlen(list_json), &s_ops, &s);
	assert_int_equal(s.items, 2);
	assert_int_equal(s.skipped, 1);
	assert_int_equal(s.kept, 2);

	memset(&s, 0, sizeof(s));
	s.keep_from = 1;
	input_yaml_stream(&f->d, "l.yaml", list_yaml, strlen(list_yaml), &s_ops, &s);
	assert_int_equal(s.items, 2);
	assert_int_equal(s.skipped, 1);
	assert_int_equal(s.kept, 2);
	assert_int_equal(f->d.n, 0);
}

/* ---- Lists through input_load_buffer ---- */

/* kubectl get -o json sorts keys: items come before kind. */
static void test_list_items_before_kind(void **state)
{
	struct fx *f = *state;
	int r = load(f, "l.json",
		     "{\"apiVersion\": \"v1\", \"items\": [\n"					/* 1 */
		     " {\"apiVersion\": \"v1\", \"kind\": \"Service\", \"metadata\": {\"name\": \"a\"},\n" /* 2 */
		     "  \"spec\": {\"ports\": [{\"port\": 80}]}},\n"				/* 3 */
		     " {\"metadata\": {\"name\": \"b\"}, \"spec\": {\"ports\": [{\"port\": 0}]}},\n" /* 4 */
		     " {\"metadata\": {\"name\": \"c\"}, \"spec\": {\"ports\": [{\"port\": 81}]}}\n" /* 5 */
		     "], \"kind\": \"ServiceList\", \"metadata\": {}, \"extra\": 1}\n");	/* 6 */

	/* item 0 was read as it came; items 1 and 2 (no kind of their own)
	 * were kept until kind said ServiceList, and keep their indexes */
	assert_int_equal(r, 1);
	assert_int_equal(f->w->nsvcs, 2);
	assert_string_equal(f->w->svcs[0].name, "a");
	assert_int_equal(f->w->svcs[0].loc.line, 2);
	assert_string_equal(f->w->svcs[1].name, "c");
	/* the List's own fields are checked first, as for any List */
	assert_string_equal(line(f, 0), "l.json:6:43: warning: extra: unknown field, ignored");
	assert_string_equal(line(f, 1),
			    "l.json:4:58: error: Service default/b: spec.ports[0].port: 0 is not a port "
			    "(allowed: 1-65535)");
	assert_int_equal(f->d.n, 2);
}

/* A v1 root with items before a kind that is not a List: the items that
 * named their kind were already read; that is said, not hidden. */
static void test_list_kind_contradicts(void **state)
{
	struct fx *f = *state;
	int r = load(f, "x.json",
		     "{\"apiVersion\": \"v1\", \"items\": [\n"
		     " {\"apiVersion\": \"v1\", \"kind\": \"Node\", \"metadata\": {\"name\": \"n\"}}\n"
		     "], \"kind\": \"Service\", \"metadata\": {\"name\": \"s\"},\n"
		     " \"spec\": {\"ports\": [{\"port\": 80}]}}\n");

	assert_int_equal(f->w->nnodes, 1);
	assert_true(r >= 1);
	assert_string_equal(line(f, 0),
			    "x.json:1:31: error: items: 1 items were read as a List's before kind said "
			    "Service (a List's kind must come before its items)");
}

/* One bad item of a streamed List is reported and skipped alone: the
 * others still load (before, the whole List was refused). */
static void test_list_bad_item_alone(void **state)
{
	struct fx *f = *state;
	int r = load(f, "d.json",
		     "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [\n"
		     " {\"apiVersion\": \"v1\", \"kind\": \"Node\", \"metadata\": {\"name\": \"a\"}},\n"
		     " {\"apiVersion\": \"v1\", \"kind\": \"Node\", \"kind\": \"Node\"},\n"
		     " {\"apiVersion\": \"v1\", \"kind\": \"Node\", \"metadata\": {\"name\": \"c\"}}\n"
		     "]}\n");

	assert_int_equal(r, 1);
	assert_string_equal(line(f, 0),
			    "d.json:3:39: error: duplicate key \"kind\" (first at 3:23; a key may appear "
			    "once in an object)");
	assert_int_equal(f->w->nnodes, 2);
	assert_string_equal(f->w->nodes[1].name, "c");

	r = load(f, "d.yaml",
		 "apiVersion: v1\n"
		 "kind: List\n"
		 "items:\n"
		 "- {apiVersion: v1, kind: Node, metadata: {name: d}}\n"
		 "- {apiVersion: v1, kind: Node, metadata: *nothing}\n"
		 "- {apiVersion: v1, kind: Node, metadata: {name: f}}\n");
	assert_int_equal(r, 1);
	assert_int_equal(f->d.recs[1].loc.line, 5);
	assert_int_equal(f->w->nnodes, 4);
	assert_string_equal(f->w->nodes[3].name, "f");
}

/* An anchor set in one item and named by a later one still resolves,
 * though the first item was handed on before the second was read. */
static void test_list_anchor_across_items(void **state)
{
	struct fx *f = *state;
	int r = load(f, "a.yaml",
		     "apiVersion: v1\n"
		     "kind: List\n"
		     "items:\n"
		     "- apiVersion: v1\n"
		     "  kind: Service\n"
		     "  metadata: {name: a}\n"
		     "  spec: &spec {ports: [{port: 80, targetPort: 8080}]}\n"
		     "- apiVersion: v1\n"
		     "  kind: Service\n"
		     "  metadata: {name: b}\n"
		     "  spec: *spec\n");

	assert_int_equal(r, 0);
	assert_int_equal(f->w->nsvcs, 2);
	assert_int_equal(f->w->svcs[1].nports, 1);
	assert_int_equal(f->w->svcs[1].ports[0].target_port, 8080);
}

/* A List of many items in one file: every one read, in order. */
static void test_list_many(void **state)
{
	struct fx *f = *state;
	struct sn_buf b;
	unsigned i;
	int r;

	sn_buf_init(&b);
	sn_buf_add(&b, "{\"apiVersion\": \"v1\", \"items\": [");
	for (i = 0; i < 3000; i++)
		sn_buf_printf(&b,
			      "%s{\"apiVersion\": \"v1\", \"kind\": \"Service\", \"metadata\": "
			      "{\"name\": \"s%u\"}, \"spec\": {\"ports\": [{\"port\": %u}]}}\n",
			      i ? "," : "", i, 1 + i % 65535);
	sn_buf_add(&b, "], \"kind\": \"List\"}");
	r = input_load_buffer("many.json", b.s, b.len, f->w, &f->d);
	assert_int_equal(r, 0);
	assert_int_equal(f->w->nsvcs, 3000);
	assert_string_equal(f->w->svcs[2999].name, "s2999");
	assert_int_equal(f->w->svcs[2999].loc.line, 3000);
	sn_buf_free(&b);
}

/* ---- one API object ---- */

static const char page_item[] =
	"{\"metadata\": {\"name\": \"web\", \"namespace\": \"shop\", \"resourceVersion\": \"7\"},"
	" \"spec\": {\"clusterIP\": \"198.18.0.10\", \"ports\": [{\"port\": 80, \"targetPort\": 8080}]}}";

static void test_decode_list_page_item(void **state)
{
	struct fx *f = *state;
	int r;

	/* an item of a ServiceList page: no kind, no apiVersion */
	r = input_decode_object("GET /api/v1/services", "Service", page_item, strlen(page_item),
				f->w, &f->d);
	assert_int_equal(r, 0);
	assert_int_equal(f->d.n, 0);
	assert_int_equal(f->w->nsvcs, 1);
	assert_string_equal(f->w->svcs[0].ns, "shop");
	assert_string_equal(f->w->svcs[0].name, "web");
	assert_int_equal(f->w->svcs[0].ports[0].target_port, 8080);
	assert_string_equal(f->w->svcs[0].loc.file, "GET /api/v1/services");

	/* the same object again is not a duplicate here: the agent replaces */
	r = input_decode_object("GET /api/v1/services", "Service", page_item, strlen(page_item),
				f->w, &f->d);
	assert_int_equal(r, 0);
	assert_int_equal(f->w->nsvcs, 2);
}

static void test_decode_watch_object(void **state)
{
	struct fx *f = *state;
	const char *obj =
		"{\"apiVersion\": \"discovery.k8s.io/v1\", \"kind\": \"EndpointSlice\",\n"
		" \"metadata\": {\"name\": \"web-x1\", \"namespace\": \"shop\",\n"
		"  \"labels\": {\"kubernetes.io/service-name\": \"web\"}},\n"
		" \"addressType\": \"IPv4\", \"ports\": [{\"port\": 8080}],\n"
		" \"endpoints\": [{\"addresses\": [\"198.19.0.1\"]}, {\"addresses\": [\"198.19.0.2\"]}]}";
	int r;

	/* the object of a watch event carries its own kind */
	r = input_decode_object("watch endpointslices", NULL, obj, strlen(obj), f->w, &f->d);
	assert_int_equal(r, 0);
	assert_int_equal(f->w->nslices, 1);
	assert_string_equal(f->w->slices[0].service, "web");
	assert_int_equal(f->w->slices[0].neps, 2);
}

static void test_decode_errors(void **state)
{
	struct fx *f = *state;
	const char *bad_port =
		"{\"metadata\": {\"name\": \"web\", \"namespace\": \"shop\"},"
		" \"spec\": {\"ports\": [{\"port\": 80, \"name\": \"a\"}, {\"port\": 70000, \"name\": \"b\"}]}}";
	const char *bad = "{\"metadata\": {\"name\": \"web\"},}";
	int r;

	r = input_decode_object("watch services", "Service", bad_port, strlen(bad_port), f->w,
				&f->d);
	assert_int_equal(r, 1);
	assert_int_equal(f->w->nsvcs, 0);
	assert_string_equal(line(f, 0),
			    "watch services: error: Service shop/web: spec.ports[1].port: 70000 is not "
			    "a port (allowed: 1-65535)");

	r = input_decode_object("watch services", "Service", bad, strlen(bad), f->w, &f->d);
	assert_int_equal(r, 1);
	assert_string_equal(line(f, 1), "watch services: error: JSON syntax error: unexpected '}'");

	r = input_decode_object("watch services", "Service", page_item, strlen(page_item) - 1,
				f->w, &f->d);
	assert_int_equal(r, 1);
	assert_string_equal(line(f, 2),
			    "watch services: error: JSON syntax error: unexpected end of input (an "
			    "unclosed string, { or [)");

	r = input_decode_object("watch services", "Service", "{} {}", 5, f->w, &f->d);
	assert_int_equal(r, 1);
	assert_string_equal(line(f, 3), "watch services: error: JSON syntax error: unexpected '{'");

	r = input_decode_object("watch pods", "Pod", page_item, strlen(page_item), f->w, &f->d);
	assert_int_equal(r, 1);
	assert_string_equal(line(f, 4), "watch pods: error: kind Pod is not read by svcnft");

	/* an object without a name: named by kind alone */
	r = input_decode_object("watch nodes", "Node", "{\"metadata\": {}}", 16, f->w, &f->d);
	assert_int_equal(r, 1);
	assert_string_equal(line(f, 5),
			    "watch nodes: error: Node (no name): metadata.name: missing (required: "
			    "every object needs a name)");
	assert_int_equal(f->w->nsvcs, 0);
	assert_int_equal(f->w->nnodes, 0);
}

/* ---- hostile nesting: stopped at the first level too deep ---- */

#define DEEP 100000

static void deep(struct sn_buf *b, const char *open, const char *inner, const char *close)
{
	unsigned i;

	for (i = 0; i < DEEP; i++)
		sn_buf_add(b, open);
	sn_buf_add(b, inner);
	for (i = 0; i < DEEP; i++)
		sn_buf_add(b, close);
}

/* 100,000 levels of each shape. The old readers scanned on to the end
 * (minutes for YAML); these stop where level 65 opens. No timing is
 * asserted: completing is the test. */
static void test_deep_nesting(void **state)
{
	struct fx *f = *state;
	const char *json_msg = "nesting deeper than 64 levels (allowed: at most 64 objects and "
			       "arrays inside each other)";
	const char *yaml_msg = "nesting deeper than 64 levels (allowed: at most 64 maps and lists "
			       "inside each other)";
	struct sn_buf b;
	int r;

	sn_buf_init(&b);
	deep(&b, "{\"a\": ", "1", "}");
	r = input_load_buffer("obj.json", b.s, b.len, f->w, &f->d);
	assert_int_equal(r, 1);
	assert_int_equal(f->d.recs[0].loc.col, 1 + 64 * 6);
	assert_string_equal(f->d.recs[0].msg, json_msg);

	/* inside the second item of a streamed List: the first still loads */
	sn_buf_reset(&b);
	sn_buf_add(&b, "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [\n"
		       "{\"apiVersion\": \"v1\", \"kind\": \"Node\", \"metadata\": {\"name\": \"n\"}},\n");
	deep(&b, "[", "", "]");
	sn_buf_add(&b, "]}\n");
	r = input_load_buffer("list.json", b.s, b.len, f->w, &f->d);
	assert_int_equal(r, 1);
	assert_int_equal(f->d.recs[1].loc.line, 3);
	assert_int_equal(f->d.recs[1].loc.col, 63);	/* items are at level 2 */
	assert_string_equal(f->d.recs[1].msg, json_msg);
	assert_int_equal(f->w->nnodes, 1);

	/* YAML flow maps and lists, then a second document that is never
	 * reached: the file stops at the error */
	sn_buf_reset(&b);
	deep(&b, "{a: ", "1", "}");
	sn_buf_add(&b, "\n---\napiVersion: v1\nkind: Node\nmetadata: {name: late}\n");
	r = input_load_buffer("obj.yaml", b.s, b.len, f->w, &f->d);
	assert_int_equal(r, 1);
	assert_int_equal(f->d.recs[2].loc.col, 1 + 64 * 4);
	assert_string_equal(f->d.recs[2].msg, yaml_msg);
	assert_int_equal(f->w->nnodes, 1);

	sn_buf_reset(&b);
	sn_buf_add(&b, "apiVersion: v1\nkind: List\nitems:\n- ");
	deep(&b, "[", "", "]");
	sn_buf_addc(&b, '\n');
	r = input_load_buffer("list.yaml", b.s, b.len, f->w, &f->d);
	assert_int_equal(r, 1);
	assert_int_equal(f->d.recs[3].loc.line, 4);
	assert_int_equal(f->d.recs[3].loc.col, 3 + 62);
	assert_string_equal(f->d.recs[3].msg, yaml_msg);

	/* and one API object */
	sn_buf_reset(&b);
	deep(&b, "[", "", "]");
	r = input_decode_object("watch", NULL, b.s, b.len, f->w, &f->d);
	assert_int_equal(r, 1);
	assert_string_equal(f->d.recs[4].msg, json_msg);
	sn_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_stream_contract),
		T(test_list_items_before_kind),
		T(test_list_kind_contradicts),
		T(test_list_bad_item_alone),
		T(test_list_anchor_across_items),
		T(test_list_many),
		T(test_decode_list_page_item),
		T(test_decode_watch_object),
		T(test_decode_errors),
		T(test_deep_nesting),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
