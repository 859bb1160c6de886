/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/unit/test_agent_store.c: agent/strmap.c against a naive table under
 * random churn (backward-shift deletion must never lose an entry), and
 * agent/store.c: objects replaced by key, a slice marking its Service (both
 * the old and the new one when its label moves), a file re-read dropping
 * what the file no longer has and nothing of another owner's, the index
 * staying right as deletions move objects, and this node's Node alone
 * setting node_changed; RFC 3339 trigger times parsed as Go's time.RFC3339
 * reads them, kept only when after the store started, and dropped with
 * their Service's slice.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent/store.h"
#include "agent/strmap.h"
#include "compiler/compile.h"
#include "input/input.h"

static void test_strmap_churn(void **state)
{
	enum { N = 3000 };
	static int present[N];
	static uintptr_t vals[N];
	struct strmap m;
	char key[32];
	unsigned seed = 7;

	strmap_init(&m);
	memset(present, 0, sizeof(present));
	for (int round = 0; round < 60000; round++) {
		unsigned i;

		seed = seed * 1103515245u + 12345u;
		i = (seed >> 8) % N;
		snprintf(key, sizeof(key), "ns-%u/svc-%u", i % 17, i);
		if ((seed >> 4) % 3) {
			vals[i] = round;
			assert_int_equal(strmap_set(&m, key, vals[i]), !present[i]);
			present[i] = 1;
		} else {
			assert_int_equal(strmap_del(&m, key), present[i]);
			present[i] = 0;
		}
	}
	size_t n = 0;
	for (unsigned i = 0; i < N; i++) {
		uintptr_t v;

		snprintf(key, sizeof(key), "ns-%u/svc-%u", i % 17, i);
		assert_int_equal(strmap_get(&m, key, &v), present[i]);
		if (present[i]) {
			assert_int_equal(v, vals[i]);
			n++;
		}
	}
	assert_int_equal(m.n, n);
	size_t it = 0, seen = 0;
	while (strmap_next(&m, &it))
		seen++;
	assert_int_equal(seen, n);
	strmap_free(&m);
}

/* The objects' loc.file point into d until the store re-points them: d
 * lives as long as the test. */
static struct sn_diag d;

static struct svc_world *load(const char *yaml)
{
	struct svc_world *w = svc_world_alloc();

	assert_int_equal(input_load_buffer("t.yaml", yaml, strlen(yaml), w, &d), 0);
	return w;
}

static int setup(void **state)
{
	sn_diag_init(&d);
	return 0;
}

static int teardown(void **state)
{
	sn_diag_free(&d);
	return 0;
}

#define SVC(ns, name, ip) \
	"---\napiVersion: v1\nkind: Service\nmetadata: {name: " name ", namespace: " ns "}\n" \
	"spec: {clusterIP: " ip ", ports: [{port: 80}]}\n"
#define SLICE(ns, name, svc, ip) \
	"---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n" \
	"metadata: {name: " name ", namespace: " ns ", labels: {kubernetes.io/service-name: " svc "}}\n" \
	"addressType: IPv4\nports: [{port: 8080}]\nendpoints: [{addresses: [" ip "]}]\n"
#define NODE(name) "---\napiVersion: v1\nkind: Node\nmetadata: {name: " name "}\n"

static char *dirty(struct ag_store *s)
{
	struct sn_buf b;
	size_t n;
	char **v = ag_store_take_dirty(s, &n);

	sn_buf_init(&b);
	sn_buf_add(&b, "");
	for (size_t i = 0; i < n; i++) {
		sn_buf_printf(&b, "%s%s", i ? " " : "", v[i]);
		free(v[i]);
	}
	free(v);
	return sn_buf_steal(&b);
}

#define ASSERT_DIRTY(s, want) do { \
	char *got_ = dirty(s); \
	assert_string_equal(got_, want); \
	free(got_); \
} while (0)

static void check_index(const struct ag_store *s)
{
	char key[AG_KEY_MAX];

	for (int k = 0; k < AG_NKINDS; k++) {
		unsigned n = k == AG_SERVICE ? s->w->nsvcs : k == AG_SLICE ? s->w->nslices :
					       s->w->nnodes;

		assert_int_equal(s->idx[k].n, n);
		for (unsigned i = 0; i < n; i++)
			assert_int_equal(ag_store_find(s, (enum ag_kind)k,
						       ag_store_key(s, (enum ag_kind)k, i, key)), i);
	}
}

static void test_store(void **state)
{
	struct ag_store s;
	struct svc_world *w;

	ag_store_init(&s, "node-a");
	w = load(SVC("a", "web", "198.18.0.1") SVC("a", "db", "198.18.0.2")
		 SLICE("a", "web-1", "web", "198.19.0.1") NODE("node-b"));
	assert_int_equal(ag_store_put(&s, w, 0), 4);
	assert_int_equal(w->nsvcs + w->nslices + w->nnodes, 0);
	svc_world_free(w);
	ASSERT_DIRTY(&s, "a/db a/web");
	assert_false(s.node_changed);	/* another node's */
	check_index(&s);

	/* the slice moves to db: both Services change */
	w = load(SLICE("a", "web-1", "db", "198.19.0.1"));
	ag_store_put(&s, w, 0);
	svc_world_free(w);
	assert_int_equal(s.ep_changes, 1);
	ASSERT_DIRTY(&s, "a/db a/web");
	assert_int_equal(s.w->nslices, 1);
	assert_string_equal(s.w->slices[0].service, "db");

	/* deleting the first object moves the last into its place */
	assert_true(ag_store_del(&s, AG_SERVICE, "a/web"));
	assert_false(ag_store_del(&s, AG_SERVICE, "a/web"));
	check_index(&s);
	assert_int_equal(s.w->nsvcs, 1);
	assert_string_equal(s.w->svcs[0].name, "db");
	ASSERT_DIRTY(&s, "a/web");

	/* this node */
	w = load(NODE("node-a"));
	ag_store_put(&s, w, 0);
	svc_world_free(w);
	assert_true(s.node_changed);
	assert_true(ag_store_pending(&s));
	ASSERT_DIRTY(&s, "");
	assert_false(ag_store_pending(&s));
	ag_store_free(&s);
}

static void test_store_files(void **state)
{
	struct ag_store s;
	struct svc_world *w;

	ag_store_init(&s, "node-a");
	w = load(SVC("a", "one", "198.18.0.1") SVC("a", "two", "198.18.0.2")
		 SLICE("a", "two-1", "two", "198.19.0.1"));
	ag_store_replace(&s, w, 1);
	svc_world_free(w);
	w = load(SVC("b", "other", "198.18.0.3"));
	ag_store_replace(&s, w, 2);
	svc_world_free(w);
	ASSERT_DIRTY(&s, "a/one a/two b/other");

	/* file 1 now holds only "two", without its slice */
	w = load(SVC("a", "two", "198.18.0.9"));
	ag_store_replace(&s, w, 1);
	svc_world_free(w);
	check_index(&s);
	assert_int_equal(s.w->nsvcs, 2);
	assert_int_equal(s.w->nslices, 0);
	assert_true(ag_store_find(&s, AG_SERVICE, "b/other") >= 0);
	assert_true(ag_store_find(&s, AG_SERVICE, "a/one") < 0);
	ASSERT_DIRTY(&s, "a/one a/two");
	/* its location points at a name the store keeps */
	long i = ag_store_find(&s, AG_SERVICE, "a/two");
	assert_ptr_not_equal(s.w->svcs[i].loc.file, sn_diag_file(&d, "t.yaml"));
	assert_string_equal(s.w->svcs[i].loc.file, "t.yaml");

	/* the file is gone */
	w = svc_world_alloc();
	ag_store_replace(&s, w, 1);
	svc_world_free(w);
	check_index(&s);
	assert_int_equal(s.w->nsvcs, 1);
	ASSERT_DIRTY(&s, "a/two");
	ag_store_free(&s);
}

#define SVC_EXT(ns, name, ip, ext) \
	"---\napiVersion: v1\nkind: Service\nmetadata: {name: " name ", namespace: " ns \
	", creationTimestamp: \"2026-01-0" ip "T00:00:00Z\"}\n" \
	"spec: {clusterIP: 198.18.0." ip ", externalIPs: [" ext "], ports: [{port: 80}]}\n"

/* prepare sorts and drops invalid Services: the index follows; prepare
 * twice does not pile up lost frontends */
static void test_store_prepare(void **state)
{
	struct comp_opts o;
	struct ag_store s;
	struct svc_world *w;
	struct sn_diag pd;

	comp_opts_init(&o);
	sn_diag_init(&pd);
	ag_store_init(&s, "node-a");
	w = load(SVC_EXT("z", "late", "2", "203.0.113.1") SVC_EXT("a", "early", "1", "203.0.113.1")
		 SVC("m", "dup", "198.18.0.1"));
	ag_store_replace(&s, w, 1);
	svc_world_free(w);
	for (int round = 0; round < 2; round++) {
		ag_store_prepare(&s, &o, &pd);
		check_index(&s);
		assert_int_equal(s.w->nsvcs, 2);	/* m/dup's clusterIP is taken */
		assert_string_equal(s.w->svcs[0].ns, "a");
		long i = ag_store_find(&s, AG_SERVICE, "z/late");
		assert_int_equal(s.w->svcs[i].ports[0].nlost_frontends, 1);
	}
	/* slices alone change: comp_prepare is skipped (nothing it decides
	 * moved), but the slices are kept in its order (the compiler finds a
	 * Service's slices by binary search) */
	w = load(SLICE("z", "late-1", "late", "198.19.0.2") SLICE("a", "early-1", "early", "198.19.0.1"));
	ag_store_put(&s, w, 1);
	svc_world_free(w);
	assert_true(s.prepared);
	assert_int_equal(ag_store_prepare(&s, &o, &pd), 0);
	check_index(&s);
	assert_string_equal(s.w->slices[0].name, "early-1");
	assert_string_equal(s.w->slices[1].name, "late-1");
	/* a Service changes: prepared again, in order */
	w = load(SVC_EXT("b", "mid", "3", "203.0.113.3"));
	ag_store_put(&s, w, 1);
	svc_world_free(w);
	assert_false(s.prepared);
	ag_store_prepare(&s, &o, &pd);
	check_index(&s);
	assert_string_equal(s.w->svcs[1].ns, "b");

	/* the file's objects are still its own: replacing drops them all */
	w = svc_world_alloc();
	ag_store_replace(&s, w, 1);
	svc_world_free(w);
	assert_int_equal(s.w->nsvcs + s.w->nslices, 0);
	assert_int_equal(s.owner[AG_SERVICE].n, 0);
	ag_store_free(&s);
	sn_diag_free(&pd);
	comp_opts_free(&o);
}

static void test_rfc3339(void **state)
{
	int64_t t;

	assert_int_equal(ag_rfc3339_ns("1970-01-01T00:00:00Z", &t), 0);
	assert_int_equal(t, 0);
	/* 2026-12-05T23:30:00Z: 20792 days and 84600 s after the epoch */
	assert_int_equal(ag_rfc3339_ns("2026-12-05T23:30:00Z", &t), 0);
	assert_int_equal(t, (20792LL * 86400 + 84600) * 1000000000LL);
	assert_int_equal(ag_rfc3339_ns("2026-12-05T23:30:00.25Z", &t), 0);
	assert_int_equal(t, (20792LL * 86400 + 84600) * 1000000000LL + 250000000);
	assert_int_equal(ag_rfc3339_ns("2026-12-05T23:30:00.123456789Z", &t), 0);
	assert_int_equal(t % 1000000000, 123456789);
	/* the same instant written with offsets */
	assert_int_equal(ag_rfc3339_ns("2026-12-06T01:00:00+01:30", &t), 0);
	assert_int_equal(t, (20792LL * 86400 + 84600) * 1000000000LL);
	assert_int_equal(ag_rfc3339_ns("2026-12-05T21:30:00-02:00", &t), 0);
	assert_int_equal(t, (20792LL * 86400 + 84600) * 1000000000LL);
	assert_int_equal(ag_rfc3339_ns("2026-12-05T23:30:00", &t), -1);	/* no zone */
	assert_int_equal(ag_rfc3339_ns("2026-12-05 23:30:00Z", &t), -1);
	assert_int_equal(ag_rfc3339_ns("2026-12-05T23:30:00.Z", &t), -1);
	assert_int_equal(ag_rfc3339_ns("2026-12-05T23:30:00Zx", &t), -1);
	assert_int_equal(ag_rfc3339_ns("2999-01-01T00:00:00Z", &t), -1);	/* past int64 ns */
	assert_int_equal(ag_rfc3339_ns("", &t), -1);
	assert_int_equal(ag_rfc3339_ns(NULL, &t), -1);
}

static void test_store_triggers(void **state)
{
	struct ag_store s;
	struct svc_world *w;

	ag_store_init(&s, "node-a");
	w = load(SVC("a", "web", "198.18.0.1") SLICE("a", "web-1", "web", "198.19.0.1")
		 SLICE("a", "web-2", "web", "198.19.0.2") SLICE("a", "db-1", "db", "198.19.0.3"));
	ag_store_put(&s, w, 0);
	svc_world_free(w);
	/* before the store started: the initial list's old slices */
	assert_false(ag_store_trigger(&s, "a", "web", SN_AF_INET, "2020-01-01T00:00:00Z"));
	assert_false(ag_store_trigger(&s, "a", "web", SN_AF_INET, "not a time"));
	assert_false(ag_store_trigger(&s, "a", "web", SN_AF_INET, NULL));
	assert_true(ag_store_trigger(&s, "a", "web", SN_AF_INET, "2200-01-01T00:00:00Z"));
	assert_true(ag_store_trigger(&s, "a", "web", SN_AF_INET, "2200-01-01T00:00:01Z"));
	assert_true(ag_store_trigger(&s, "a", "db", SN_AF_INET6, "2200-01-01T00:00:02Z"));
	assert_int_equal(s.ntriggers, 3);
	/* taking the dirty Services (a sync starting) keeps them: only a
	 * committed sync clears them */
	ASSERT_DIRTY(&s, "a/db a/web");
	assert_int_equal(s.ntriggers, 3);
	/* one of web's slices goes: web's pending times go, db's stay */
	assert_true(ag_store_del(&s, AG_SLICE, "a/web-2"));
	assert_int_equal(s.ntriggers, 1);
	assert_string_equal(s.triggers[0].svc, "a/db");
	assert_int_equal(s.triggers[0].family, SN_AF_INET6);
	ag_store_clear_triggers(&s);
	assert_int_equal(s.ntriggers, 0);
	ag_store_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strmap_churn),
		cmocka_unit_test_setup_teardown(test_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_prepare, setup, teardown),
		cmocka_unit_test(test_rfc3339),
		cmocka_unit_test_setup_teardown(test_store_triggers, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
