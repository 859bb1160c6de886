/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/unit/test_model.c: model/model.c: the world's containers and the
 * Kubernetes name rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model/model.h"

static char *repeat(char c, size_t n)
{
	char *s = sn_malloc(n + 1);

	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void test_world(void **state)
{
	struct svc_world *w = svc_world_alloc();
	struct svc_service *s;
	struct svc_slice *sl;
	struct svc_node *n;
	unsigned i;

	assert_int_equal(w->nsvcs, 0);
	/* enough to make the arrays grow several times */
	for (i = 0; i < 100; i++) {
		s = svc_world_add_service(w);
		assert_null(s->name);	/* zeroed */
		assert_int_equal(s->nports, 0);
		s->ns = sn_strdup("default");
		s->name = sn_asprintf("svc%u", i);
	}
	assert_int_equal(w->nsvcs, 100);
	assert_true(w->svcs_cap >= 100);
	assert_string_equal(w->svcs[57].name, "svc57");

	/* a service with every owned field set: valgrind/ASan check the frees */
	s = &w->svcs[0];
	s->skip_reason = sn_strdup("headless");
	s->external_ips = sn_calloc(2, sizeof(*s->external_ips));
	s->nexternal_ips = 2;
	s->lb_ingress = sn_calloc(1, sizeof(*s->lb_ingress));
	s->nlb_ingress = 1;
	s->source_ranges = sn_calloc(1, sizeof(*s->source_ranges));
	s->nsource_ranges = 1;
	s->ports = sn_calloc(2, sizeof(*s->ports));
	s->nports = 2;
	s->ports[0].name = sn_strdup("http");
	s->ports[1].name = sn_strdup("");
	s->ports[1].target_name = sn_strdup("web");

	sl = svc_world_add_slice(w);
	sl->ns = sn_strdup("default");
	sl->name = sn_strdup("web-abc");
	sl->service = sn_strdup("web");
	sl->ports = sn_calloc(1, sizeof(*sl->ports));
	sl->nports = 1;
	sl->ports[0].name = sn_strdup("http");
	sl->eps = sn_calloc(2, sizeof(*sl->eps));
	sl->neps = 2;
	sl->eps[0].node_name = sn_strdup("node-a");
	sl->eps[0].zone_hints = sn_calloc(2, sizeof(char *));
	sl->eps[0].zone_hints[0] = sn_strdup("zone-a");
	sl->eps[0].zone_hints[1] = sn_strdup("zone-b");
	sl->eps[0].nzone_hints = 2;
	sl->eps[1].target = sn_strdup("default/web-0");
	assert_int_equal(w->nslices, 1);

	n = svc_world_add_node(w);
	n->name = sn_strdup("node-a");
	n->zone = sn_strdup("zone-a");
	assert_int_equal(w->nnodes, 1);

	/* free_contents leaves a zeroed object that can be freed again */
	svc_node_free_contents(n);
	assert_null(n->name);
	svc_node_free_contents(n);

	svc_world_free(w);
	svc_world_free(NULL);
}

/* An object's own memory: many fields, few allocations, one free. */
static void test_object_mem(void **state)
{
	struct svc_mem *m = NULL;
	char *a, *b, *big;
	unsigned i;

	a = svc_mem_strdup(&m, "web");
	b = svc_mem_strndup(&m, "shop-extra", 4);
	assert_string_equal(a, "web");
	assert_string_equal(b, "shop");
	assert_true(svc_mem_owns(m, a));
	assert_true(svc_mem_owns(m, b));
	/* aligned and zeroed, whatever came before */
	for (i = 0; i < 50; i++) {
		uint64_t *z = svc_mem_alloc(&m, 24);

		assert_int_equal((uintptr_t)z % 8, 0);
		assert_int_equal(z[0] | z[1] | z[2], 0);
		z[0] = ~0ull;
	}
	/* larger than any block so far: a block of its own size */
	big = svc_mem_alloc(&m, 100000);
	memset(big, 'x', 100000);
	assert_true(svc_mem_owns(m, big + 99999));
	/* the earlier strings did not move */
	assert_string_equal(a, "web");
	a = sn_strdup("not mine");
	assert_false(svc_mem_owns(m, a));
	svc_mem_release(m, a);	/* freed: not in m (ASan would see a leak) */
	svc_mem_release(m, b);	/* left alone: in m */
	svc_mem_release(m, NULL);
	assert_false(svc_mem_owns(NULL, b));
	svc_mem_free(m);
	svc_mem_free(NULL);

	/* reserved room: what follows comes from one block, back to back,
	 * even on a list whose current block is nearly full */
	m = NULL;
	svc_mem_alloc(&m, 500);
	svc_mem_reserve(&m, 10 * 104);
	big = svc_mem_alloc(&m, 104);
	for (i = 1; i < 10; i++) {
		char *p = svc_mem_alloc(&m, 100);	/* 104 once aligned */

		assert_ptr_equal(p, big + i * 104);
	}
	/* room already there: nothing new, the next bytes follow on */
	svc_mem_reserve(&m, 0);
	svc_mem_free(m);
}

/* A slice whose fields come partly from its own memory and partly from
 * malloc is freed completely and once (ASan and valgrind check). */
static void test_object_mixed(void **state)
{
	struct svc_world *w = svc_world_alloc();
	struct svc_slice *sl = svc_world_add_slice(w);
	struct svc_service *s;
	unsigned i;

	sl->ns = svc_mem_strdup(&sl->mem, "shop");
	sl->name = sn_strdup("web-x1");
	sl->service = svc_mem_strdup(&sl->mem, "web");
	sl->nports = 1;
	sl->ports = svc_mem_alloc(&sl->mem, sizeof(*sl->ports));
	sl->ports[0].name = sn_strdup("http");
	sl->neps = 40;
	sl->eps = svc_mem_alloc(&sl->mem, sl->neps * sizeof(*sl->eps));
	for (i = 0; i < sl->neps; i++) {
		struct svc_endpoint *e = &sl->eps[i];

		e->node_name = i % 2 ? sn_asprintf("node-%u", i) : svc_mem_strdup(&sl->mem, "n");
		e->nzone_hints = 1;
		e->zone_hints = svc_mem_alloc(&sl->mem, sizeof(*e->zone_hints));
		e->zone_hints[0] = sn_strdup("zone-a");
		e->target = svc_mem_strdup(&sl->mem, "shop/pod");
	}
	/* the world's array grows: objects move, their strings do not */
	for (i = 0; i < 40; i++) {
		s = svc_world_add_service(w);
		s->ns = svc_mem_strdup(&s->mem, "ns");
		s->name = sn_asprintf("s%u", i);
		s->nports = 1;
		s->ports = svc_mem_alloc(&s->mem, sizeof(*s->ports));
		s->ports[0].name = svc_mem_strdup(&s->mem, "");
	}
	assert_string_equal(w->slices[0].eps[39].node_name, "node-39");
	svc_world_free(w);
}

/* Deleting one object frees it and moves the last into its place. */
static void test_world_del(void **state)
{
	struct svc_world *w = svc_world_alloc();
	unsigned i;

	for (i = 0; i < 4; i++) {
		struct svc_service *s = svc_world_add_service(w);
		struct svc_node *n = svc_world_add_node(w);
		struct svc_slice *sl = svc_world_add_slice(w);

		s->name = svc_mem_strdup(&s->mem, i == 0 ? "a" : i == 1 ? "b" : i == 2 ? "c" : "d");
		n->name = sn_asprintf("n%u", i);
		sl->name = sn_asprintf("sl%u", i);
	}
	svc_world_del_service(w, 1);
	assert_int_equal(w->nsvcs, 3);
	assert_string_equal(w->svcs[0].name, "a");
	assert_string_equal(w->svcs[1].name, "d");
	assert_string_equal(w->svcs[2].name, "c");
	svc_world_del_service(w, 2);	/* the last: nothing moves */
	assert_int_equal(w->nsvcs, 2);
	assert_string_equal(w->svcs[1].name, "d");
	svc_world_del_node(w, 0);
	assert_string_equal(w->nodes[0].name, "n3");
	svc_world_del_slice(w, 3);
	assert_int_equal(w->nslices, 3);
	svc_world_free(w);
}

static void test_dns_label(void **state)
{
	char *s63 = repeat('a', 63), *s64 = repeat('a', 64);

	assert_true(svc_valid_dns_label("a"));
	assert_true(svc_valid_dns_label("web"));
	assert_true(svc_valid_dns_label("my-web-1"));
	assert_true(svc_valid_dns_label("0abc"));	/* RFC 1123 allows a leading digit */
	assert_true(svc_valid_dns_label("123"));
	assert_true(svc_valid_dns_label("a--b"));
	assert_true(svc_valid_dns_label(s63));
	assert_false(svc_valid_dns_label(s64));
	assert_false(svc_valid_dns_label(""));
	assert_false(svc_valid_dns_label("-a"));
	assert_false(svc_valid_dns_label("a-"));
	assert_false(svc_valid_dns_label("-"));
	assert_false(svc_valid_dns_label("Web"));
	assert_false(svc_valid_dns_label("a_b"));
	assert_false(svc_valid_dns_label("a.b"));
	assert_false(svc_valid_dns_label("a b"));
	assert_false(svc_valid_dns_label("caf\xc3\xa9"));
	assert_false(svc_valid_dns_label(NULL));
	free(s63);
	free(s64);
}

static void test_dns1035_label(void **state)
{
	char *s63 = repeat('z', 63), *s64 = repeat('z', 64);

	assert_true(svc_valid_dns1035_label("web"));
	assert_true(svc_valid_dns1035_label("a-1"));
	assert_true(svc_valid_dns1035_label("a"));
	assert_true(svc_valid_dns1035_label(s63));
	assert_false(svc_valid_dns1035_label(s64));
	assert_false(svc_valid_dns1035_label("0abc"));	/* must start with a letter */
	assert_false(svc_valid_dns1035_label("1"));
	assert_false(svc_valid_dns1035_label("a-"));
	assert_false(svc_valid_dns1035_label("-a"));
	assert_false(svc_valid_dns1035_label("Web"));
	assert_false(svc_valid_dns1035_label(""));
	assert_false(svc_valid_dns1035_label(NULL));
	free(s63);
	free(s64);
}

static void test_dns_subdomain(void **state)
{
	char *l64 = repeat('b', 64), *s253, *s254;

	assert_true(svc_valid_dns_subdomain("web"));
	assert_true(svc_valid_dns_subdomain("web-abc12"));
	assert_true(svc_valid_dns_subdomain("a.b.c"));
	assert_true(svc_valid_dns_subdomain("0.example-1.com"));
	/* Kubernetes limits only the whole name, not each label */
	assert_true(svc_valid_dns_subdomain(l64));
	assert_false(svc_valid_dns_subdomain(""));
	assert_false(svc_valid_dns_subdomain("."));
	assert_false(svc_valid_dns_subdomain(".a"));
	assert_false(svc_valid_dns_subdomain("a."));
	assert_false(svc_valid_dns_subdomain("a..b"));
	assert_false(svc_valid_dns_subdomain("a.-b"));
	assert_false(svc_valid_dns_subdomain("a-.b"));
	assert_false(svc_valid_dns_subdomain("A.b"));
	assert_false(svc_valid_dns_subdomain("a_b.c"));
	assert_false(svc_valid_dns_subdomain(NULL));

	s253 = repeat('a', 253);
	s253[1] = '.';	/* "a.aaa…": still one valid name */
	assert_true(svc_valid_dns_subdomain(s253));
	s254 = repeat('a', 254);
	assert_false(svc_valid_dns_subdomain(s254));
	free(l64);
	free(s253);
	free(s254);
}

static void test_port_name(void **state)
{
	assert_true(svc_valid_port_name("http"));
	assert_true(svc_valid_port_name("h2c"));
	assert_true(svc_valid_port_name("web-8080"));
	assert_true(svc_valid_port_name("a"));
	assert_true(svc_valid_port_name("1a"));
	assert_true(svc_valid_port_name("abcdefghijklmno"));	/* 15 */
	assert_false(svc_valid_port_name("abcdefghijklmnop"));	/* 16 */
	assert_false(svc_valid_port_name("8080"));	/* needs a letter */
	assert_false(svc_valid_port_name("1-2"));
	assert_false(svc_valid_port_name("-http"));
	assert_false(svc_valid_port_name("http-"));
	assert_false(svc_valid_port_name("ht--tp"));
	assert_false(svc_valid_port_name("HTTP"));
	assert_false(svc_valid_port_name("a_b"));
	assert_false(svc_valid_port_name("a.b"));
	assert_false(svc_valid_port_name(""));
	assert_false(svc_valid_port_name(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_world),
		cmocka_unit_test(test_object_mem),
		cmocka_unit_test(test_object_mixed),
		cmocka_unit_test(test_world_del),
		cmocka_unit_test(test_dns_label),
		cmocka_unit_test(test_dns1035_label),
		cmocka_unit_test(test_dns_subdomain),
		cmocka_unit_test(test_port_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
