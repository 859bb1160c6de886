/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/unit/test_agent_metrics.c: agent/metrics.c: the exact exposition
 * bytes (HELP/TYPE, label escaping, cumulative le buckets with bound values
 * counting as "less or equal", _sum/_count, sorted families and series),
 * value formatting as Prometheus' Go client prints it, refusals of bad
 * registrations, and kube-proxy's names, types and buckets in the agent set.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent/metrics.h"
#include "lib/sn.h"

static void test_exposition_bytes(void **state)
{
	struct metrics *m = metrics_new();
	static const char *const lf[] = { "ip_family", NULL };
	static const char *const lp[] = { "path", "code", NULL };
	static const double b[] = { 0.001, 0.5, 2 };
	struct metric *h, *c, *g, *u;
	struct sn_buf out;

	/* Registered out of order: the output is sorted by name. */
	h = metrics_add(m, METRIC_HISTOGRAM, "t_hist_seconds", "A histogram", lf, b, 3);
	c = metrics_add(m, METRIC_COUNTER, "t_counter_total", "Help with \\ and\nnewline", lp,
			NULL, 0);
	g = metrics_add(m, METRIC_GAUGE, "t_gauge", "G", NULL, NULL, 0);
	u = metrics_add(m, METRIC_GAUGE, "t_absent", "labelled, never touched", lf, NULL, 0);
	assert_non_null(h);
	assert_non_null(c);
	assert_non_null(g);
	assert_non_null(u);

	metric_observe(h, 0.5, "IPv6");	/* on the bound: in le="0.5" */
	metric_observe(h, 0.0005, "IPv4");
	metric_observe(h, 3, "IPv4");	/* above every bound: only +Inf */
	metric_observe(h, 0.25, "IPv4");
	metric_add(c, 1, "/a\"b", "200");
	metric_add(c, 2, "/a\"b", "200");
	metric_add(c, 1, "x\\y\nz", "503");
	metric_add(c, -5, "/a\"b", "200");	/* a counter never goes down */
	metric_set(g, 1733400000.25);

	sn_buf_init(&out);
	metrics_write(m, &out);
	assert_string_equal(out.s,
		"# HELP t_absent labelled, never touched\n"
		"# TYPE t_absent gauge\n"
		"# HELP t_counter_total Help with \\\\ and\\nnewline\n"
		"# TYPE t_counter_total counter\n"
		"t_counter_total{path=\"/a\\\"b\",code=\"200\"} 3\n"
		"t_counter_total{path=\"x\\\\y\\nz\",code=\"503\"} 1\n"
		"# HELP t_gauge G\n"
		"# TYPE t_gauge gauge\n"
		"t_gauge 1733400000.25\n"
		"# HELP t_hist_seconds A histogram\n"
		"# TYPE t_hist_seconds histogram\n"
		"t_hist_seconds_bucket{ip_family=\"IPv4\",le=\"0.001\"} 1\n"
		"t_hist_seconds_bucket{ip_family=\"IPv4\",le=\"0.5\"} 2\n"
		"t_hist_seconds_bucket{ip_family=\"IPv4\",le=\"2\"} 2\n"
		"t_hist_seconds_bucket{ip_family=\"IPv4\",le=\"+Inf\"} 3\n"
		"t_hist_seconds_sum{ip_family=\"IPv4\"} 3.2505\n"
		"t_hist_seconds_count{ip_family=\"IPv4\"} 3\n"
		"t_hist_seconds_bucket{ip_family=\"IPv6\",le=\"0.001\"} 0\n"
		"t_hist_seconds_bucket{ip_family=\"IPv6\",le=\"0.5\"} 1\n"
		"t_hist_seconds_bucket{ip_family=\"IPv6\",le=\"2\"} 1\n"
		"t_hist_seconds_bucket{ip_family=\"IPv6\",le=\"+Inf\"} 1\n"
		"t_hist_seconds_sum{ip_family=\"IPv6\"} 0.5\n"
		"t_hist_seconds_count{ip_family=\"IPv6\"} 1\n");
	assert_true(metric_value(c, "/a\"b", "200") == 3);
	assert_true(metric_value(c, "nope", "200") == 0);
	assert_true(metric_value(h, "IPv4") == 3);
	sn_buf_free(&out);
	metrics_free(m);
}

static void test_refusals(void **state)
{
	struct metrics *m = metrics_new();
	static const char *const le[] = { "le", NULL };
	static const char *const bad[] = { "a-b", NULL };
	static const char *const dunder[] = { "__x", NULL };
	static const double down[] = { 1, 0.5 };

	assert_non_null(metrics_add(m, METRIC_COUNTER, "x_total", "", NULL, NULL, 0));
	assert_null(metrics_add(m, METRIC_GAUGE, "x_total", "", NULL, NULL, 0));
	assert_null(metrics_add(m, METRIC_GAUGE, "9x", "", NULL, NULL, 0));
	assert_null(metrics_add(m, METRIC_GAUGE, "x-y", "", NULL, NULL, 0));
	assert_null(metrics_add(m, METRIC_GAUGE, "y", "", bad, NULL, 0));
	assert_null(metrics_add(m, METRIC_GAUGE, "y", "", dunder, NULL, 0));
	assert_null(metrics_add(m, METRIC_HISTOGRAM, "h", "", le, down, 1));
	assert_null(metrics_add(m, METRIC_HISTOGRAM, "h", "", NULL, down, 2));
	/* "le" is an ordinary label name outside histograms. */
	assert_non_null(metrics_add(m, METRIC_GAUGE, "y", "", le, NULL, 0));
	metrics_free(m);
}

static void test_format_value(void **state)
{
	static const struct {
		double v;
		const char *s;
	} cases[] = {
		{ 0, "0" }, { 1, "1" }, { 0.001, "0.001" }, { 16.384, "16.384" },
		{ 0.1 + 0.2, "0.30000000000000004" }, { 100, "100" }, { -2.5, "-2.5" },
		{ 1733400000, "1733400000" }, { 1e21, "1e+21" }, { 0.00001, "1e-05" },
		{ 0.0001, "0.0001" }, { 1.0 / 0.0, "+Inf" }, { -1.0 / 0.0, "-Inf" },
	};
	char buf[64];

	for (size_t i = 0; i < SN_ARRAY_SIZE(cases); i++) {
		metrics_format_value(cases[i].v, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].s);
	}
}

static const char *line_after(const char *text, const char *prefix)
{
	const char *p = strstr(text, prefix);
	assert_non_null(p);
	return p + strlen(prefix);
}

static void test_agent_set(void **state)
{
	struct agent_metrics am;
	struct sn_buf out;

	assert_int_equal(agent_metrics_init(&am), 0);
	metric_observe(am.sync_duration, 0.02, "IPv4");
	metric_observe(am.netprog_duration, 61, "IPv4");
	metric_set(am.no_local_endpoints, 2, "IPv4", "external");
	metric_add(am.healthz_total, 1, "503");
	sn_buf_init(&out);
	metrics_write(am.reg, &out);

	/* kube-proxy's types, including the gauge with a _total name. */
	line_after(out.s, "# TYPE kubeproxy_sync_proxy_rules_duration_seconds histogram\n");
	line_after(out.s, "# TYPE kubeproxy_sync_proxy_rules_no_local_endpoints_total gauge\n");
	line_after(out.s, "# TYPE kubeproxy_sync_proxy_rules_endpoint_changes_total counter\n");
	line_after(out.s, "# TYPE kubeproxy_proxy_healthz_total counter\n");
	line_after(out.s, "# HELP kubeproxy_sync_proxy_rules_last_timestamp_seconds [ALPHA] ");
	/* ExponentialBuckets(0.001, 2, 15): 1 ms ... 16.384 s, then +Inf. */
	line_after(out.s, "kubeproxy_sync_proxy_rules_duration_seconds_bucket{ip_family=\"IPv4\",le=\"0.016\"} 0\n"
			  "kubeproxy_sync_proxy_rules_duration_seconds_bucket{ip_family=\"IPv4\",le=\"0.032\"} 1\n");
	line_after(out.s, "kubeproxy_sync_proxy_rules_duration_seconds_bucket{ip_family=\"IPv4\",le=\"16.384\"} 1\n"
			  "kubeproxy_sync_proxy_rules_duration_seconds_bucket{ip_family=\"IPv4\",le=\"+Inf\"} 1\n");
	/* Network programming: 0, 0.25, 0.5, 1..59, 60..115 step 5, 120..300 step 30. */
	line_after(out.s, "kubeproxy_network_programming_duration_seconds_bucket{ip_family=\"IPv4\",le=\"0\"} 0\n"
			  "kubeproxy_network_programming_duration_seconds_bucket{ip_family=\"IPv4\",le=\"0.25\"} 0\n");
	line_after(out.s, "le=\"59\"} 0\nkubeproxy_network_programming_duration_seconds_bucket{ip_family=\"IPv4\",le=\"60\"} 0\n"
			  "kubeproxy_network_programming_duration_seconds_bucket{ip_family=\"IPv4\",le=\"65\"} 1\n");
	line_after(out.s, "le=\"115\"} 1\nkubeproxy_network_programming_duration_seconds_bucket{ip_family=\"IPv4\",le=\"120\"} 1\n");
	line_after(out.s, "le=\"270\"} 1\nkubeproxy_network_programming_duration_seconds_bucket{ip_family=\"IPv4\",le=\"300\"} 1\n"
			  "kubeproxy_network_programming_duration_seconds_bucket{ip_family=\"IPv4\",le=\"+Inf\"} 1\n");
	line_after(out.s, "kubeproxy_sync_proxy_rules_no_local_endpoints_total{ip_family=\"IPv4\",traffic_policy=\"external\"} 2\n");
	/* Unlabelled families are present from the start. */
	line_after(out.s, "\nkubeproxy_sync_proxy_rules_service_changes_pending 0\n");
	line_after(out.s, "\nkubeproxy_proxy_healthz_total{code=\"503\"} 1\n");
	line_after(out.s, "# TYPE svcnft_kernel_commit_duration_seconds histogram\n");
	sn_buf_free(&out);
	agent_metrics_free(&am);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exposition_bytes),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_format_value),
		cmocka_unit_test(test_agent_set),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
