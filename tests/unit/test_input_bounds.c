// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tests/unit/test_input_bounds.c: hostile sizes (issue 11): every input is
 * refused with an error naming its place, or handled, and the work stays
 * bounded. An alias bomb (a billion laughs), a 100 MB document (one huge
 * string), a 1 MB name, a million endpoints in one EndpointSlice (the API
 * server allows 1,000), 65,535 ports on one Service (compiled to the end).
 * Each test asserts the outcome, never a time: the figures (wall time and
 * peak RSS of the process so far) are printed for people, since a timed
 * assertion would measure the neighbours on a shared machine.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <cmocka.h>

#include "compiler/compile.h"
#include "input/input.h"

struct fx {
	struct sn_diag d;
	struct svc_world *w;
	struct timespec t0;
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

static void start(struct fx *f)
{
	clock_gettime(CLOCK_MONOTONIC, &f->t0);
}

static void figures(const struct fx *f, const char *what, size_t bytes)
{
	struct timespec t1;
	struct rusage ru;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	getrusage(RUSAGE_SELF, &ru);
	printf("bounds: %s: %zu bytes in %.3f s, peak RSS so far %ld MB\n", what, bytes,
	       (double)(t1.tv_sec - f->t0.tv_sec) + (double)(t1.tv_nsec - f->t0.tv_nsec) / 1e9,
	       ru.ru_maxrss / 1024);
}

static int load(struct fx *f, const struct sn_buf *b)
{
	return input_load_buffer("bounds.yaml", b->s, b->len, f->w, &f->d);
}

/* The formatted text of the only error. */
static char *only_error(const struct fx *f)
{
	struct sn_buf b;

	assert_int_equal(f->d.errors, 1);
	sn_buf_init(&b);
	for (size_t i = 0; i < f->d.n; i++)
		if (f->d.recs[i].sev == SN_ERROR)
			sn_diag_format(&f->d.recs[i], &b);
	return sn_buf_steal(&b);
}

/* n bytes of c */
static void add_run(struct sn_buf *b, char c, size_t n)
{
	char *x = malloc(n);

	assert_non_null(x);
	memset(x, c, n);
	sn_buf_addn(b, x, n);
	free(x);
}

#define SVC_HEAD                          \
	"apiVersion: v1\n"                \
	"kind: Service\n"                 \
	"metadata:\n"                     \
	"  name: web\n"                   \
	"  namespace: default\n"

/* Nine levels of ten aliases: 10^9 nodes if expanded. Refused at the
 * alias that passes the cap, with its place. */
static void test_alias_bomb(void **state)
{
	struct fx *f = *state;
	struct sn_buf b;
	char *e;

	sn_buf_init(&b);
	sn_buf_add(&b, SVC_HEAD "  annotations:\n    a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
	for (int i = 1; i < 10; i++) {
		sn_buf_printf(&b, "    a%d: &a%d [", i, i);
		for (int k = 0; k < 10; k++)
			sn_buf_printf(&b, "%s*a%d", k ? ", " : "", i - 1);
		sn_buf_add(&b, "]\n");
	}
	sn_buf_add(&b, "spec: {clusterIP: 198.18.0.1, ports: [{port: 80}]}\n");
	start(f);
	load(f, &b);
	figures(f, "alias bomb", b.len);
	e = only_error(f);
	assert_non_null(strstr(e, "bounds.yaml:"));
	assert_non_null(strstr(e, "refused as an alias bomb"));
	assert_int_equal(f->w->nsvcs, 0);
	free(e);
	sn_buf_free(&b);
}

/* A 100 MB document: one annotation holding a 100 MB string. The API server
 * would refuse the object for its size; svcnft reads it (annotations are
 * not its business) in time and memory linear in its size. */
static void test_100mb_document(void **state)
{
	struct fx *f = *state;
	const size_t big = 100u << 20;
	struct sn_buf b;

	sn_buf_init(&b);
	sn_buf_add(&b, SVC_HEAD "  annotations:\n    big: \"");
	add_run(&b, 'x', big);
	sn_buf_add(&b, "\"\nspec: {clusterIP: 198.18.0.1, ports: [{port: 80}]}\n");
	start(f);
	assert_int_equal(load(f, &b), 0);
	figures(f, "100 MB string", b.len);
	assert_int_equal(f->d.errors, 0);
	assert_int_equal(f->w->nsvcs, 1);
	sn_buf_free(&b);
}

/* A 1 MB name: refused with the field named, and the message quotes a
 * bounded prefix, not the megabyte. */
static void test_1mb_name(void **state)
{
	struct fx *f = *state;
	const size_t big = 1u << 20;
	struct sn_buf b;
	char *e;

	sn_buf_init(&b);
	sn_buf_add(&b, "apiVersion: v1\nkind: Service\nmetadata:\n  namespace: default\n  name: ");
	add_run(&b, 'a', big);
	sn_buf_add(&b, "\nspec: {clusterIP: 198.18.0.1, ports: [{port: 80}]}\n");
	start(f);
	load(f, &b);
	figures(f, "1 MB name", b.len);
	e = only_error(f);
	assert_non_null(strstr(e, "bounds.yaml:5:9:"));
	assert_non_null(strstr(e, "metadata.name: "));
	assert_true(strlen(e) < 2048);
	assert_int_equal(f->w->nsvcs, 0);
	free(e);
	sn_buf_free(&b);
}

static void slice(struct sn_buf *b, unsigned n)
{
	sn_buf_add(b, "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
		      "metadata: {name: web-1, namespace: default, "
		      "labels: {kubernetes.io/service-name: web}}\n"
		      "addressType: IPv4\nports: [{port: 8080}]\nendpoints:\n");
	for (unsigned i = 0; i < n; i++)
		sn_buf_printf(b, "- addresses: [198.19.%u.%u]\n", (i >> 8) & 255, i & 255);
}

/* A million endpoints in one slice: refused as the API server refuses any
 * slice of more than 1,000, with the field named, before any endpoint is
 * read. 1,000 are accepted. */
static void test_million_endpoints(void **state)
{
	struct fx *f = *state;
	struct sn_buf b;
	char *e;

	sn_buf_init(&b);
	slice(&b, 1000000);
	start(f);
	load(f, &b);
	figures(f, "1,000,000 endpoints", b.len);
	e = only_error(f);
	assert_non_null(strstr(e, "EndpointSlice default/web-1"));
	assert_non_null(strstr(e, "endpoints: too many: 1000000 (must have at most 1000 items)"));
	assert_int_equal(f->w->nslices, 0);
	free(e);

	sn_buf_reset(&b);
	slice(&b, 1000);
	assert_int_equal(load(f, &b), 0);
	assert_int_equal(f->w->nslices, 1);
	assert_int_equal(f->w->slices[0].neps, 1000);
	sn_buf_free(&b);
}

/* 65,535 ports on one Service, each with an endpoint port: read, prepared,
 * compiled (one frontend each) and printed. */
static void test_65535_ports(void **state)
{
	struct fx *f = *state;
	struct rs_ruleset *rs;
	struct comp_stats st;
	struct comp_opts o;
	struct sn_buf b;
	FILE *out;

	sn_buf_init(&b);
	sn_buf_add(&b, SVC_HEAD "spec:\n  clusterIP: 198.18.0.1\n  ports:\n");
	for (unsigned p = 1; p <= 65535; p++)
		sn_buf_printf(&b, "  - {name: p%u, port: %u, targetPort: %u}\n", p, p, p);
	start(f);
	assert_int_equal(load(f, &b), 0);
	assert_int_equal(f->d.errors, 0);
	comp_opts_init(&o);
	o.node_name = sn_strdup("node-a");
	assert_int_equal(sn_prefix_parse(&o.service_cidrs[0], "198.18.0.0/16", false), 0);
	o.nservice_cidrs = 1;
	assert_int_equal(comp_prepare(f->w, &o, &f->d), 0);
	rs = comp_build(f->w, &o, &st, &f->d);
	assert_non_null(rs);
	assert_int_equal(st.service_ports, 65535);
	out = fopen("/dev/null", "w");
	assert_non_null(out);
	rs_print_ruleset(out, rs);
	fclose(out);
	figures(f, "65,535 ports compiled and printed", b.len);
	rs_ruleset_free(rs);
	comp_opts_free(&o);
	sn_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_alias_bomb, setup, teardown),
		cmocka_unit_test_setup_teardown(test_1mb_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_million_endpoints, setup, teardown),
		cmocka_unit_test_setup_teardown(test_65535_ports, setup, teardown),
		cmocka_unit_test_setup_teardown(test_100mb_document, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
