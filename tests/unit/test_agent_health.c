/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/unit/test_agent_health.c: agent/health.c with an injected clock:
 * healthy while starting, unhealthy once a queued update has waited
 * healthTimeout, only the oldest queued update counts, overall = every
 * family, node eligibility (unknown, deletionTimestamp, autoscaler taint),
 * and the exact /healthz and /livez bodies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <cmocka.h>

#include "agent/health.h"
#include "lib/sn.h"

#define S 1000000000LL
/* 2026-12-05T20:00:00Z */
#define T0 1796500800LL

static struct health_time at(int64_t sec, int64_t ns)
{
	return (struct health_time){ .wall_ns = (T0 + sec) * S + ns,
				     .mono_ns = (uint64_t)((1000 + sec) * S + ns) };
}

static void test_timeout(void **state)
{
	struct health *h = health_new(60000);

	/* Starting: nothing synced, even a long-queued update is not judged. */
	health_queued(h, SN_AF_INET, at(0, 0));
	assert_true(health_healthy(h, at(600, 0)));
	health_updated(h, SN_AF_INET, at(601, 0));
	assert_true(health_healthy(h, at(700, 0)));

	health_queued(h, SN_AF_INET, at(710, 0));
	health_queued(h, SN_AF_INET, at(760, 0));	/* does not restart the wait */
	assert_true(health_healthy(h, at(769, 999999999)));
	assert_false(health_healthy(h, at(770, 0)));	/* waited exactly healthTimeout */
	health_updated(h, SN_AF_INET, at(771, 0));
	assert_true(health_healthy(h, at(900, 0)));

	/* Overall is every family: IPv6 late makes the whole proxy unhealthy. */
	health_updated(h, SN_AF_INET6, at(900, 0));
	health_queued(h, SN_AF_INET6, at(901, 0));
	assert_false(health_healthy(h, at(961, 0)));
	assert_true(health_healthy(h, at(960, 999)));
	health_free(h);
}

static void test_node(void **state)
{
	struct health *h = health_new(60000);
	static const char *const nodes[] = {
		"{\"metadata\":{\"name\":\"n\"},\"spec\":{\"taints\":[{\"key\":\"a\",\"effect\":\"NoSchedule\"}]}}",
		"{\"metadata\":{\"name\":\"n\",\"deletionTimestamp\":\"2026-12-05T20:00:00Z\"}}",
		"{\"metadata\":{\"name\":\"n\"},\"spec\":{\"taints\":[{\"key\":\"a\"},{\"key\":\"ToBeDeletedByClusterAutoscaler\",\"value\":\"1733\",\"effect\":\"NoSchedule\"}]}}",
	};
	static const bool want[] = { true, false, false };

	for (size_t i = 0; i < SN_ARRAY_SIZE(nodes); i++) {
		cJSON *n = cJSON_Parse(nodes[i]);
		assert_non_null(n);
		assert_int_equal(health_node_eligible(n), want[i]);
		cJSON_Delete(n);
	}
	/* Unknown node: /healthz fails, /livez does not care. */
	assert_true(health_healthy(h, at(0, 0)));
	assert_false(health_healthz(h, at(0, 0)));
	health_set_node(h, true);
	assert_true(health_healthz(h, at(0, 0)));
	health_set_node(h, false);
	assert_false(health_healthz(h, at(0, 0)));
	assert_true(health_healthy(h, at(0, 0)));
	health_set_node(h, true);
	health_clear_node(h);
	assert_false(health_healthz(h, at(0, 0)));
	health_free(h);
}

static void test_bodies(void **state)
{
	struct health *h = health_new(60000);
	struct sn_buf b;

	sn_buf_init(&b);
	/* Starting, node unknown: /healthz 503 with zero lastUpdated and no status. */
	assert_int_equal(health_body(h, true, at(5, 0), &b), 503);
	assert_string_equal(b.s, "{\"lastUpdated\":\"0001-01-01T00:00:00Z\","
				 "\"currentTime\":\"2026-12-05T20:00:05Z\","
				 "\"nodeEligible\":false,\"healthy\":true}");
	sn_buf_reset(&b);
	/* /livez ignores the node: 200, lastUpdated = now, no nodeEligible. */
	assert_int_equal(health_body(h, false, at(5, 0), &b), 200);
	assert_string_equal(b.s, "{\"lastUpdated\":\"2026-12-05T20:00:05Z\","
				 "\"currentTime\":\"2026-12-05T20:00:05Z\",\"healthy\":true}");
	sn_buf_reset(&b);

	health_set_node(h, true);
	health_updated(h, SN_AF_INET, at(10, 500000000));
	health_updated(h, SN_AF_INET6, at(11, 123456789));
	assert_int_equal(health_body(h, true, at(12, 100), &b), 200);
	assert_string_equal(b.s, "{\"lastUpdated\":\"2026-12-05T20:00:12.0000001Z\","
				 "\"currentTime\":\"2026-12-05T20:00:12.0000001Z\","
				 "\"nodeEligible\":true,\"healthy\":true,\"status\":{"
				 "\"IPv4\":{\"lastUpdated\":\"2026-12-05T20:00:10.5Z\",\"healthy\":true},"
				 "\"IPv6\":{\"lastUpdated\":\"2026-12-05T20:00:11.123456789Z\",\"healthy\":true}}}");
	sn_buf_reset(&b);

	/* IPv6 late: 503 on both, lastUpdated is the newest real sync. */
	health_queued(h, SN_AF_INET6, at(20, 0));
	assert_int_equal(health_body(h, false, at(80, 0), &b), 503);
	assert_string_equal(b.s, "{\"lastUpdated\":\"2026-12-05T20:00:11.123456789Z\","
				 "\"currentTime\":\"2026-12-05T20:01:20Z\",\"healthy\":false,\"status\":{"
				 "\"IPv4\":{\"lastUpdated\":\"2026-12-05T20:00:10.5Z\",\"healthy\":true},"
				 "\"IPv6\":{\"lastUpdated\":\"2026-12-05T20:00:11.123456789Z\",\"healthy\":false}}}");
	sn_buf_reset(&b);
	assert_int_equal(health_body(h, true, at(80, 0), &b), 503);
	assert_non_null(strstr(b.s, "\"nodeEligible\":true,\"healthy\":false,"));
	/* Every body is valid JSON. */
	cJSON *j = cJSON_Parse(b.s);
	assert_non_null(j);
	cJSON_Delete(j);
	sn_buf_free(&b);
	health_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_node),
		cmocka_unit_test(test_bodies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
