/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/unit/test_agent_sync.c: agent/sync.c, the sync scheduler, on the
 * real loop with short periods: nothing before ready; the first sync full;
 * a burst of changes coalesced into one sync min_ms after the last start;
 * min 0 syncing at once; a failure retried as a full sync after retry_ms
 * (sooner when a change comes); the periodic full sync.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent/sync.h"

struct t {
	struct agent_loop *l;
	struct agent_timer *quit;
	struct ag_sched *s;
	uint64_t t0;
	char kinds[32];
	uint64_t at[32];
	unsigned n;
	int fail_next;
};

static int on_sync(void *ctx, enum ag_sync_kind kind)
{
	struct t *t = ctx;

	if (t->n < 31) {
		t->kinds[t->n] = kind == AG_SYNC_FULL ? 'F' : 'I';
		t->at[t->n] = agent_now_ms() - t->t0;
		t->n++;
		t->kinds[t->n] = 0;
	}
	if (t->fail_next) {
		t->fail_next--;
		return -1;
	}
	return 0;
}

static void on_quit(void *ctx) { agent_loop_quit(((struct t *)ctx)->l, 0); }

static void spin(struct t *t, unsigned ms)
{
	agent_timer_arm(t->quit, ms);
	agent_loop_run(t->l);
}

static void setup_t(struct t *t, uint64_t min_ms, uint64_t retry_ms, uint64_t full_ms)
{
	memset(t, 0, sizeof(*t));
	t->l = agent_loop_new();
	t->quit = agent_timer_new(t->l, on_quit, t);
	t->s = ag_sched_new(t->l, min_ms, retry_ms, full_ms, on_sync, t);
	t->t0 = agent_now_ms();
}

static void teardown_t(struct t *t)
{
	ag_sched_free(t->s);
	agent_timer_free(t->quit);
	agent_loop_free(t->l);
}

static void test_coalesce(void **state)
{
	struct t t;

	setup_t(&t, 300, 10000, 0);
	ag_sched_kick(t.s);
	spin(&t, 50);
	assert_int_equal(t.n, 0);		/* not ready: nothing */
	ag_sched_ready(t.s);
	spin(&t, 50);
	assert_string_equal(t.kinds, "F");	/* at once, full */
	for (int i = 0; i < 5; i++) {
		ag_sched_kick(t.s);
		spin(&t, 20);
	}
	assert_int_equal(t.n, 1);		/* held by min_ms */
	spin(&t, 400);
	assert_string_equal(t.kinds, "FI");	/* five changes, one sync */
	assert_in_range(t.at[1] - t.at[0], 290, 600);
	spin(&t, 350);
	assert_int_equal(t.n, 2);		/* nothing more without a change */
	teardown_t(&t);
}

static void test_zero_min(void **state)
{
	struct t t;

	setup_t(&t, 0, 10000, 0);
	ag_sched_ready(t.s);
	spin(&t, 10);
	ag_sched_kick(t.s);
	spin(&t, 10);
	ag_sched_kick(t.s);
	spin(&t, 10);
	assert_string_equal(t.kinds, "FII");
	teardown_t(&t);
}

static void test_retry_and_periodic(void **state)
{
	struct t t;

	setup_t(&t, 10, 300, 0);
	t.fail_next = 1;
	ag_sched_ready(t.s);
	spin(&t, 150);
	assert_string_equal(t.kinds, "F");	/* failed */
	spin(&t, 250);
	assert_string_equal(t.kinds, "FF");	/* retried after 300 ms, full */
	assert_in_range(t.at[1] - t.at[0], 290, 600);
	assert_int_equal(t.s->failures, 1);
	/* a failure, then a change before the retry: runs sooner, full */
	t.fail_next = 1;
	ag_sched_kick(t.s);
	spin(&t, 50);
	ag_sched_kick(t.s);
	spin(&t, 50);
	assert_string_equal(t.kinds, "FFIF");
	teardown_t(&t);

	setup_t(&t, 10, 1000, 200);
	ag_sched_ready(t.s);
	spin(&t, 520);
	/* the first, then every 200 ms (a loaded machine may be late) */
	assert_true(t.n == 3 || t.n == 2);
	assert_string_equal(t.kinds, t.n == 3 ? "FFF" : "FF");
	assert_in_range(t.at[1] - t.at[0], 195, 400);
	teardown_t(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_coalesce),
		cmocka_unit_test(test_zero_min),
		cmocka_unit_test(test_retry_and_periodic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
