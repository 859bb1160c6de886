/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/unit/test_kube_split.c: kube/split.c: a watch stream cut at every
 * byte (and at every pair of bytes) still yields exactly its objects, in
 * order; strings and escapes do not confuse the depth; garbage and oversized
 * events are errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kube/split.h"

struct got {
	struct sn_buf all;	/* objects joined by '|' */
	unsigned n;
	unsigned stop_after;	/* callback returns 7 after this many; 0 = never */
};

static int collect(void *ctx, const char *obj, size_t len)
{
	struct got *g = ctx;

	if (g->n)
		sn_buf_addc(&g->all, '|');
	sn_buf_addn(&g->all, obj, len);
	g->n++;
	return g->stop_after && g->n == g->stop_after ? 7 : 0;
}

/* Three events as the API server writes them, one with braces, brackets,
 * quotes and backslashes inside strings, one split over lines (pretty). */
static const char stream[] =
	"{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a}b{\",\"resourceVersion\":\"5\"}}}\n"
	"{\"type\":\"MODIFIED\",\"object\":{\"x\":\"q\\\"}\\\\\",\"l\":[1,{\"y\":\"]\"}],\"e\":{}}}\n"
	"  {\n  \"type\": \"BOOKMARK\",\n  \"object\": {\"metadata\": {\"resourceVersion\": \"9\"}}\n}\r\n";
static const char expect[] =
	"{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a}b{\",\"resourceVersion\":\"5\"}}}"
	"|{\"type\":\"MODIFIED\",\"object\":{\"x\":\"q\\\"}\\\\\",\"l\":[1,{\"y\":\"]\"}],\"e\":{}}}"
	"|{\n  \"type\": \"BOOKMARK\",\n  \"object\": {\"metadata\": {\"resourceVersion\": \"9\"}}\n}";

static void feed_cuts(size_t a, size_t b)
{
	size_t n = sizeof(stream) - 1;
	struct kube_split s;
	struct got g = { 0 };

	sn_buf_init(&g.all);
	kube_split_init(&s, 0);
	assert_int_equal(kube_split_feed(&s, stream, a, collect, &g), 0);
	assert_int_equal(kube_split_feed(&s, stream + a, b - a, collect, &g), 0);
	assert_int_equal(kube_split_feed(&s, stream + b, n - b, collect, &g), 0);
	assert_false(kube_split_pending(&s));
	assert_int_equal(g.n, 3);
	assert_string_equal(g.all.s, expect);
	kube_split_free(&s);
	sn_buf_free(&g.all);
}

static void test_every_cut(void **state)
{
	size_t n = sizeof(stream) - 1, a, b;

	for (a = 0; a <= n; a++)
		for (b = a; b <= n; b++)
			feed_cuts(a, b);
}

static void test_byte_by_byte(void **state)
{
	size_t n = sizeof(stream) - 1, i;
	struct kube_split s;
	struct got g = { 0 };

	sn_buf_init(&g.all);
	kube_split_init(&s, 0);
	for (i = 0; i < n; i++) {
		assert_int_equal(kube_split_feed(&s, stream + i, 1, collect, &g), 0);
		/* The first object is complete at its last brace, not later. */
		if (i + 1 == strchr(stream, '\n') - stream)
			assert_int_equal(g.n, 1);
	}
	assert_int_equal(g.n, 3);
	assert_string_equal(g.all.s, expect);
	kube_split_free(&s);
	sn_buf_free(&g.all);
}

static void test_pending_and_stop(void **state)
{
	struct kube_split s;
	struct got g = { 0 };

	sn_buf_init(&g.all);
	kube_split_init(&s, 0);
	/* A cut stream leaves an object pending. */
	assert_int_equal(kube_split_feed(&s, "{\"a\":\"}", 7, collect, &g), 0);
	assert_true(kube_split_pending(&s));
	assert_int_equal(g.n, 0);
	kube_split_reset(&s);
	assert_false(kube_split_pending(&s));

	/* The callback's non-zero value stops the feed at that object. */
	g.stop_after = 1;
	assert_int_equal(kube_split_feed(&s, "{}{\"b\":1}", 9, collect, &g), 7);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.all.s, "{}");
	kube_split_free(&s);
	sn_buf_free(&g.all);
}

static void test_garbage(void **state)
{
	struct kube_split s;
	struct got g = { 0 };

	sn_buf_init(&g.all);
	kube_split_init(&s, 0);
	assert_int_equal(kube_split_feed(&s, "{}\nnull\n", 8, collect, &g), -1);
	assert_int_equal(g.n, 1);
	assert_non_null(strstr(s.err, "0x6e"));
	kube_split_reset(&s);
	assert_int_equal(kube_split_feed(&s, "[1]", 3, collect, &g), -1);
	assert_int_equal(g.n, 1);
	kube_split_free(&s);
	sn_buf_free(&g.all);
}

/* An event over the limit is refused whether it arrives whole or in
 * pieces, and an event exactly at the limit passes. */
static void test_oversized(void **state)
{
	struct kube_split s;
	struct got g = { 0 };
	char big[64];
	size_t i;

	memset(big, 'x', sizeof(big));
	big[0] = '{';
	big[1] = '"';
	big[30] = '"';
	big[31] = '}';	/* a 32-byte object ... */

	sn_buf_init(&g.all);
	kube_split_init(&s, 32);
	assert_int_equal(kube_split_feed(&s, big, 32, collect, &g), 0);
	assert_int_equal(g.n, 1);
	for (i = 0; i < 32; i++)
		assert_int_equal(kube_split_feed(&s, big + i, 1, collect, &g), 0);
	assert_int_equal(g.n, 2);

	big[31] = 'x';
	big[32] = '"';
	big[33] = '}';	/* ... and a 34-byte one, over the limit */
	big[30] = 'x';
	assert_int_equal(kube_split_feed(&s, big, 34, collect, &g), -1);
	assert_non_null(strstr(s.err, "larger than 32"));
	kube_split_reset(&s);
	for (i = 0; i < 34; i++)
		if (kube_split_feed(&s, big + i, 1, collect, &g) != 0)
			break;
	assert_int_equal(i, 32);	/* refused at the 33rd byte, not buffered on */
	assert_int_equal(g.n, 2);
	kube_split_free(&s);
	sn_buf_free(&g.all);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_cut),
		cmocka_unit_test(test_byte_by_byte),
		cmocka_unit_test(test_pending_and_stop),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_oversized),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
