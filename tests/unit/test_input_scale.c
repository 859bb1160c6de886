// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tests/unit/test_input_scale.c: input/ at cluster scale. 10,000 Services,
 * each with an EndpointSlice of 10 endpoints, shaped like `kubectl get -o
 * yaml` output (uids, ownerReferences, targetRefs, zones): about 38 MB of
 * multi-document YAML, and the same as one JSON List. Every object must
 * load. The time it took is printed for people; speed is the benchmark's
 * business (make bench), never a pass/fail threshold here, where it would
 * measure the neighbours on a shared machine.
 *
 * tests/data/input/gen-scale.py writes the same shape to a file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "input/input.h"

#define NSVC 10000
#define NEPS 10

static void gen_yaml(struct sn_buf *b)
{
	unsigned i, e;

	for (i = 0; i < NSVC; i++) {
		sn_buf_printf(b,
			      "---\n"
			      "apiVersion: v1\n"
			      "kind: Service\n"
			      "metadata:\n"
			      "  name: svc-%u\n"
			      "  namespace: ns-%u\n"
			      "  uid: 0f6c6d2e-%04x-4c6b-9a9e-%012x\n"
			      "  resourceVersion: \"%u\"\n"
			      "  creationTimestamp: \"2026-01-01T00:00:00Z\"\n"
			      "  labels:\n"
			      "    app: app-%u\n"
			      "    tier: backend\n"
			      "spec:\n"
			      "  clusterIP: 198.18.%u.%u\n"
			      "  clusterIPs:\n"
			      "  - 198.18.%u.%u\n"
			      "  internalTrafficPolicy: Cluster\n"
			      "  ipFamilies:\n"
			      "  - IPv4\n"
			      "  ipFamilyPolicy: SingleStack\n"
			      "  ports:\n"
			      "  - name: http\n"
			      "    port: 80\n"
			      "    protocol: TCP\n"
			      "    targetPort: 8080\n"
			      "  - name: https\n"
			      "    port: 443\n"
			      "    protocol: TCP\n"
			      "    targetPort: https\n"
			      "  selector:\n"
			      "    app: app-%u\n"
			      "  sessionAffinity: None\n"
			      "  type: ClusterIP\n"
			      "status:\n"
			      "  loadBalancer: {}\n",
			      i, i % 50, i % 65536, i, 1000 + i, i, i / 250, i % 250 + 1, i / 250,
			      i % 250 + 1, i);
		sn_buf_printf(b,
			      "---\n"
			      "apiVersion: discovery.k8s.io/v1\n"
			      "kind: EndpointSlice\n"
			      "metadata:\n"
			      "  name: svc-%u-abcde\n"
			      "  namespace: ns-%u\n"
			      "  generateName: svc-%u-\n"
			      "  labels:\n"
			      "    endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io\n"
			      "    kubernetes.io/service-name: svc-%u\n"
			      "  ownerReferences:\n"
			      "  - apiVersion: v1\n"
			      "    kind: Service\n"
			      "    name: svc-%u\n"
			      "    blockOwnerDeletion: true\n"
			      "    controller: true\n"
			      "    uid: 0f6c6d2e-%04x-4c6b-9a9e-%012x\n"
			      "addressType: IPv4\n"
			      "endpoints:\n",
			      i, i % 50, i, i, i, i % 65536, i);
		for (e = 0; e < NEPS; e++) {
			unsigned n = i * NEPS + e;

			sn_buf_printf(b,
				      "- addresses:\n"
				      "  - 10.%u.%u.%u\n"
				      "  conditions:\n"
				      "    ready: true\n"
				      "    serving: true\n"
				      "    terminating: false\n"
				      "  nodeName: node-%u\n"
				      "  targetRef:\n"
				      "    kind: Pod\n"
				      "    name: app-%u-7d9f8b6c5d-%05u\n"
				      "    namespace: ns-%u\n"
				      "    uid: 5b1e2c3d-%04x-4e5f-8a9b-%012x\n"
				      "  zone: zone-%u\n",
				      n / 62500 % 256, n / 250 % 250, n % 250 + 1, n % 100, i, e,
				      i % 50, e, n, n % 3);
		}
		sn_buf_add(b, "ports:\n"
			      "- name: http\n"
			      "  port: 8080\n"
			      "  protocol: TCP\n"
			      "- name: https\n"
			      "  port: 8443\n"
			      "  protocol: TCP\n");
	}
}

static void gen_json(struct sn_buf *b)
{
	unsigned i, e;

	sn_buf_add(b, "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [\n");
	for (i = 0; i < NSVC; i++) {
		sn_buf_printf(b,
			      "%s{\"apiVersion\": \"v1\", \"kind\": \"Service\",\n"
			      " \"metadata\": {\"name\": \"svc-%u\", \"namespace\": \"ns-%u\"},\n"
			      " \"spec\": {\"clusterIP\": \"198.18.%u.%u\", \"ports\": [\n"
			      "  {\"name\": \"http\", \"port\": 80, \"protocol\": \"TCP\", \"targetPort\": 8080},\n"
			      "  {\"name\": \"https\", \"port\": 443, \"protocol\": \"TCP\", \"targetPort\": \"https\"}]}},\n"
			      "{\"apiVersion\": \"discovery.k8s.io/v1\", \"kind\": \"EndpointSlice\",\n"
			      " \"metadata\": {\"name\": \"svc-%u-abcde\", \"namespace\": \"ns-%u\",\n"
			      "  \"labels\": {\"kubernetes.io/service-name\": \"svc-%u\"}},\n"
			      " \"addressType\": \"IPv4\",\n"
			      " \"ports\": [{\"name\": \"http\", \"port\": 8080}, {\"name\": \"https\", \"port\": 8443}],\n"
			      " \"endpoints\": [\n",
			      i ? ",\n" : "", i, i % 50, i / 250, i % 250 + 1, i, i % 50, i);
		for (e = 0; e < NEPS; e++) {
			unsigned n = i * NEPS + e;

			sn_buf_printf(b,
				      "  %s{\"addresses\": [\"10.%u.%u.%u\"], \"conditions\": {\"ready\": true},"
				      " \"nodeName\": \"node-%u\", \"targetRef\": {\"kind\": \"Pod\","
				      " \"name\": \"app-%u-7d9f8b6c5d-%05u\", \"namespace\": \"ns-%u\"}}\n",
				      e ? "," : "", n / 62500 % 256, n / 250 % 250, n % 250 + 1, n % 100,
				      i, e, i % 50);
		}
		sn_buf_add(b, " ]}");
	}
	sn_buf_add(b, "\n]}\n");
}

/* Both CPU and wall time are printed: on a shared machine the wall clock
 * also measures the neighbours. */
static double now(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void load_and_check(const char *name, void (*gen)(struct sn_buf *))
{
	struct svc_world *w = svc_world_alloc();
	struct sn_diag d;
	struct sn_buf b;
	unsigned i, neps = 0;
	double t0, c0, t, cpu;
	int r;

	sn_diag_init(&d);
	sn_buf_init(&b);
	gen(&b);
	t0 = now(CLOCK_MONOTONIC);
	c0 = now(CLOCK_PROCESS_CPUTIME_ID);
	r = input_load_buffer(name, b.s, b.len, w, &d);
	cpu = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
	t = now(CLOCK_MONOTONIC) - t0;
	if (r)
		sn_diag_print(&d, stderr);
	assert_int_equal(r, 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(w->nsvcs, NSVC);
	assert_int_equal(w->nslices, NSVC);
	for (i = 0; i < w->nslices; i++)
		neps += w->slices[i].neps;
	assert_int_equal(neps, NSVC * NEPS);
	assert_string_equal(w->svcs[NSVC - 1].name, "svc-9999");
	assert_string_equal(w->slices[NSVC - 1].eps[NEPS - 1].target, "ns-49/app-9999-7d9f8b6c5d-00009");
	printf("input: %u Services + %u EndpointSlices x %u endpoints, %.1f MB %s: loaded in %.2f s "
	       "CPU (%.2f s wall)\n",
	       NSVC, NSVC, NEPS, (double)b.len / 1e6, name, cpu, t);
	sn_buf_free(&b);
	sn_diag_free(&d);
	svc_world_free(w);
}

static void test_scale_yaml(void **state)
{
	(void)state;
	load_and_check("scale.yaml", gen_yaml);
}

static void test_scale_json(void **state)
{
	(void)state;
	load_and_check("scale.json", gen_json);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scale_yaml),
		cmocka_unit_test(test_scale_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
