/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/unit/test_agent_source_dir.c: agent/source_dir.c on a real
 * directory and inotify: the first read, an edit that drops a Service, a
 * half-written file (its previous objects kept, then taken when complete),
 * a dangling link reported while the others converge, a file moved in and
 * one deleted; a touch with the same bytes changes nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/source.h"
#include "lib/log.h"

struct t {
	struct agent_loop *l;
	struct agent_timer *quit;
	struct ag_store st;
	unsigned changed, synced;
	char dir[64];
};

static void on_changed(void *ctx) { ((struct t *)ctx)->changed++; }
static void on_synced(void *ctx) { ((struct t *)ctx)->synced++; }
static void on_quit(void *ctx) { agent_loop_quit(((struct t *)ctx)->l, 0); }

/* run the loop for ms */
static void spin(struct t *t, unsigned ms)
{
	agent_timer_arm(t->quit, ms);
	agent_loop_run(t->l);
}

static void put_file(struct t *t, const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", t->dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static bool has(struct t *t, const char *key)
{
	return ag_store_find(&t->st, AG_SERVICE, key) >= 0;
}

#define SVC(name, ip) \
	"---\napiVersion: v1\nkind: Service\nmetadata: {name: " name ", namespace: d}\n" \
	"spec: {clusterIP: " ip ", ports: [{port: 80}]}\n"

static void test_dir(void **state)
{
	struct ag_source_ops ops = { .changed = on_changed, .synced = on_synced };
	struct ag_source_dir *s;
	struct sn_diag d;
	struct t t = { 0 };
	char path[128], path2[128];
	unsigned before;

	sn_log_verbosity = -1;	/* quiet: warnings still print */
	strcpy(t.dir, "/tmp/svcnft-srcdir.XXXXXX");
	assert_non_null(mkdtemp(t.dir));
	t.l = agent_loop_new();
	t.quit = agent_timer_new(t.l, on_quit, &t);
	ops.ctx = &t;
	ag_store_init(&t.st, "node-a");
	put_file(&t, "a.yaml", SVC("one", "198.18.0.1") SVC("two", "198.18.0.2"));
	put_file(&t, "notes.txt", "not a manifest");
	sn_diag_init(&d);
	s = ag_source_dir_new(t.l, t.dir, &t.st, &ops, &d);
	assert_non_null(s);
	ag_source_dir_start(s);
	assert_int_equal(t.synced, 1);
	assert_true(has(&t, "d/one") && has(&t, "d/two"));

	/* an edit drops "two" */
	put_file(&t, "a.yaml", SVC("one", "198.18.0.1"));
	spin(&t, 100);
	assert_true(has(&t, "d/one"));
	assert_false(has(&t, "d/two"));

	/* half-written: "one" stays; completed: "three" arrives */
	put_file(&t, "a.yaml", SVC("one", "198.18.0.1") "---\napiVersion: v1\nkind: Service\nmetadata: {name: thr");
	spin(&t, 100);
	assert_true(has(&t, "d/one"));
	assert_false(has(&t, "d/three"));
	put_file(&t, "a.yaml", SVC("one", "198.18.0.1") SVC("three", "198.18.0.3"));
	spin(&t, 100);
	assert_true(has(&t, "d/one") && has(&t, "d/three"));

	/* a dangling link is reported; a file written elsewhere and moved in
	 * is read */
	snprintf(path, sizeof(path), "%s/bad.yaml", t.dir);
	assert_int_equal(symlink("/nonexistent/svcnft.yaml", path), 0);
	snprintf(path, sizeof(path), "%s/.tmp", t.dir);
	snprintf(path2, sizeof(path2), "%s/b.json", t.dir);
	put_file(&t, ".tmp", "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"four\",\"namespace\":\"d\"},"
			     "\"spec\":{\"clusterIP\":\"198.18.0.4\",\"ports\":[{\"port\":80}]}}");
	assert_int_equal(rename(path, path2), 0);
	spin(&t, 100);
	assert_true(has(&t, "d/four"));
	assert_int_equal(t.st.w->nsvcs, 3);

	/* the same bytes again: no change */
	ag_store_clear_dirty(&t.st);
	before = t.changed;
	put_file(&t, "a.yaml", SVC("one", "198.18.0.1") SVC("three", "198.18.0.3"));
	spin(&t, 100);
	assert_int_equal(t.changed, before);
	assert_false(ag_store_pending(&t.st));

	/* deleted */
	snprintf(path, sizeof(path), "%s/a.yaml", t.dir);
	unlink(path);
	spin(&t, 100);
	assert_false(has(&t, "d/one") || has(&t, "d/three"));
	assert_true(has(&t, "d/four"));
	assert_true(t.changed > before);

	ag_source_dir_free(s);
	ag_store_free(&t.st);
	agent_timer_free(t.quit);
	agent_loop_free(t.l);
	sn_diag_free(&d);
	snprintf(path, sizeof(path), "rm -rf '%s'", t.dir);
	assert_int_equal(system(path), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
