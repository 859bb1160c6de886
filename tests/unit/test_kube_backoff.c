/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/unit/test_kube_backoff.c: kube/reflector.c's backoff follows
 * client-go's ExponentialBackoffManager(800ms, 30s, 2min, factor 2,
 * jitter 1.0): waits in [d, 2d), d doubling from 0.8 s and capped at 30 s
 * (so [30, 60) s at the cap), starting over when the previous wait began
 * more than 2 minutes ago.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "kube/reflector.h"

static void test_sequence(void **state)
{
	static const uint64_t d[] = { 800, 1600, 3200, 6400, 12800, 25600, 30000, 30000 };
	struct kube_backoff b;
	uint64_t now = 1000;
	unsigned i;

	kube_backoff_init(&b, 800, 30000, 120000);
	for (i = 0; i < SN_ARRAY_SIZE(d); i++) {
		/* rnd 0 gives the low end, rnd just under 1 the high end. */
		assert_int_equal(kube_backoff_next(&b, now, i % 2 ? 0.0 : 0.999), i % 2 ? d[i] : d[i] + (uint64_t)(0.999 * (double)d[i]));
		now += 1000;
	}
}

static void test_reset_after_quiet(void **state)
{
	struct kube_backoff b;

	kube_backoff_init(&b, 800, 30000, 120000);
	assert_int_equal(kube_backoff_next(&b, 1000, 0.0), 800);
	assert_int_equal(kube_backoff_next(&b, 2000, 0.0), 1600);
	/* 2 minutes exactly since the last wait began: not yet quiet. */
	assert_int_equal(kube_backoff_next(&b, 122000, 0.0), 3200);
	/* More than 2 minutes: back to the start. */
	assert_int_equal(kube_backoff_next(&b, 242001, 0.0), 800);
	assert_int_equal(kube_backoff_next(&b, 242002, 0.5), 2400);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sequence),
		cmocka_unit_test(test_reset_after_quiet),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
