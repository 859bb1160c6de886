// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tests/unit/test_input.c: manifests to the service model. Each error
 * class is checked at its exact place (line:col), object, field and text;
 * defaults, skip reasons, Lists, JSON positions, Endpoints conversion and
 * duplicate objects as values in the world. Most cases are canned buffers;
 * tests/data/input/ holds kubectl output and a directory tree.
 *
 * Run from the top of the tree (make unit does).
 */
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input/input.h"

#define DATA "tests/data/input"

struct fx {
	struct sn_diag d;
	struct svc_world *w;
};

static void dump(const struct fx *f);

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

	if (getenv("TEST_INPUT_DUMP"))
		dump(f);
	svc_world_free(f->w);
	sn_diag_free(&f->d);
	free(f);
	return 0;
}

static int load(struct fx *f, const char *name, const char *text)
{
	return input_load_buffer(name, text, strlen(text), f->w, &f->d);
}

static void dump(const struct fx *f)
{
	sn_diag_print(&f->d, stderr);
}

#define assert_no_errors(f, r)                  \
	do {                                    \
		if ((r) != 0 || (f)->d.errors) \
			dump(f);                \
		assert_int_equal((r), 0);       \
		assert_int_equal((f)->d.errors, 0); \
	} while (0)

/* The record for field (exact), or for object when field is NULL. */
static const struct sn_diag_rec *rec(const struct fx *f, const char *field)
{
	size_t i;

	for (i = 0; i < f->d.n; i++) {
		const struct sn_diag_rec *r = &f->d.recs[i];

		if (field ? (r->field && !strcmp(r->field, field)) : !r->field)
			return r;
	}
	dump(f);
	fail_msg("no diagnostic for field %s", field ? field : "(none)");
	return NULL;
}

static void check(const struct sn_diag_rec *r, enum sn_severity sev, unsigned line,
		  unsigned col, const char *object, const char *msg)
{
	assert_non_null(r);
	assert_int_equal(r->sev, sev);
	assert_int_equal(r->loc.line, line);
	assert_int_equal(r->loc.col, col);
	if (object) {
		assert_non_null(r->object);
		assert_string_equal(r->object, object);
	} else {
		assert_null(r->object);
	}
	assert_string_equal(r->msg, msg);
}

/* Check the record for field in one go. */
static void expect(const struct fx *f, const char *field, enum sn_severity sev, unsigned line,
		   unsigned col, const char *object, const char *msg)
{
	check(rec(f, field), sev, line, col, object, msg);
}

static const char *addr(const struct sn_addr *a)
{
	static char buf[4][SN_ADDR_STRLEN + 8];
	static unsigned k;
	char *b = buf[k++ % 4];

	if (a->plen != (a->family == SN_AF_INET6 ? 128 : 32))
		return sn_prefix_str(a, b);
	return sn_addr_str(a, b);
}

/* ---- kubectl output ---- */

static const struct svc_service *svc(const struct fx *f, const char *ns, const char *name)
{
	unsigned i;

	for (i = 0; i < f->w->nsvcs; i++) {
		if (!strcmp(f->w->svcs[i].ns, ns) && !strcmp(f->w->svcs[i].name, name))
			return &f->w->svcs[i];
	}
	fail_msg("no Service %s/%s", ns, name);
	return NULL;
}

static void test_kubectl_generated(void **state)
{
	struct fx *f = *state;
	const char *paths[] = { DATA "/kubectl" };
	const struct svc_service *s;
	int r = input_load(paths, 1, f->w, &f->d);

	assert_no_errors(f, r);
	assert_int_equal(f->w->nsvcs, 9);
	/* the Deployment is the one note */
	assert_int_equal(f->d.n, 1);
	check(&f->d.recs[0], SN_NOTE, 1, 1, NULL, "skipped: kind Deployment is not read by svcnft");
	assert_string_equal(f->d.recs[0].loc.file, DATA "/kubectl/deployment.yaml");

	s = svc(f, "default", "web");
	assert_int_equal(s->type, SVC_CLUSTER_IP);
	assert_int_equal(s->nports, 1);
	assert_string_equal(s->ports[0].name, "80-8080");
	assert_int_equal(s->ports[0].port, 80);
	assert_int_equal(s->ports[0].target_port, 8080);
	assert_int_equal(s->ports[0].proto, IPPROTO_TCP);
	assert_false(s->ports[0].target_is_name);
	assert_null(s->skip_reason);
	assert_int_equal(s->ncluster_ips, 0);
	assert_int_equal(s->loc.line, 1);
	assert_int_equal(s->ports[0].loc.line, 10);
	assert_int_equal(s->ports[0].loc.col, 5);

	s = svc(f, "default", "web-json");
	assert_int_equal(s->nports, 2);
	assert_string_equal(s->ports[1].name, "443-8443");
	assert_int_equal(s->ports[1].target_port, 8443);

	s = svc(f, "default", "np");
	assert_int_equal(s->type, SVC_NODE_PORT);
	assert_int_equal(s->ports[0].node_port, 30080);
	s = svc(f, "default", "np-json");
	assert_int_equal(s->ports[0].node_port, 0);

	s = svc(f, "default", "lb");
	assert_int_equal(s->type, SVC_LOAD_BALANCER);
	assert_int_equal(s->nports, 2);
	assert_int_equal(s->nlb_ingress, 0);

	s = svc(f, "default", "ext");
	assert_int_equal(s->type, SVC_EXTERNAL_NAME);
	assert_string_equal(s->skip_reason, "ExternalName");
	s = svc(f, "default", "ext-json");
	assert_string_equal(s->skip_reason, "ExternalName");

	s = svc(f, "default", "headless");
	assert_true(s->headless);
	assert_string_equal(s->skip_reason, "headless");
}

/* ---- Service: defaults ---- */

static void test_service_defaults(void **state)
{
	struct fx *f = *state;
	const struct svc_service *s;
	int r = load(f, "d.yaml",
		     "apiVersion: v1\n"
		     "kind: Service\n"
		     "metadata: {name: web}\n"
		     "spec:\n"
		     "  ports: [{port: 80}]\n"
		     "---\n"
		     "apiVersion: v1\n"
		     "kind: Service\n"
		     "metadata: {name: sticky, namespace: prod}\n"
		     "spec:\n"
		     "  sessionAffinity: ClientIP\n"
		     "  externalTrafficPolicy: Global\n"
		     "  internalTrafficPolicy: Local\n"
		     "  ports: [{port: 53, protocol: UDP, targetPort: 0}]\n"
		     "---\n"
		     "apiVersion: v1\n"
		     "kind: Service\n"
		     "metadata: {name: short}\n"
		     "spec:\n"
		     "  type: LoadBalancer\n"
		     "  externalTrafficPolicy: Local\n"
		     "  healthCheckNodePort: 31000\n"
		     "  sessionAffinity: ClientIP\n"
		     "  sessionAffinityConfig: {clientIP: {timeoutSeconds: 60}}\n"
		     "  ports: [{port: 443, targetPort: https, nodePort: 30443}]\n");

	assert_no_errors(f, r);
	assert_int_equal(f->w->nsvcs, 3);

	s = svc(f, "default", "web");
	assert_int_equal(s->type, SVC_CLUSTER_IP);
	assert_int_equal(s->family_policy, SVC_SINGLE_STACK);
	assert_false(s->affinity);
	assert_int_equal(s->affinity_timeout, 0);
	assert_false(s->etp_local);
	assert_false(s->itp_local);
	assert_string_equal(s->ports[0].name, "");
	assert_int_equal(s->ports[0].proto, IPPROTO_TCP);
	assert_int_equal(s->ports[0].target_port, 80);
	assert_int_equal(s->loc.line, 1);
	assert_int_equal(s->loc.col, 1);
	assert_int_equal(s->loc.doc, 1);
	assert_string_equal(s->loc.file, "d.yaml");

	s = svc(f, "prod", "sticky");
	assert_true(s->affinity);
	assert_int_equal(s->affinity_timeout, 10800);
	assert_false(s->etp_local);	/* Global is the old name of Cluster */
	assert_true(s->itp_local);
	assert_int_equal(s->ports[0].proto, IPPROTO_UDP);
	assert_int_equal(s->ports[0].target_port, 53);
	assert_int_equal(s->loc.doc, 2);

	s = svc(f, "default", "short");
	assert_int_equal(s->affinity_timeout, 60);
	assert_true(s->etp_local);
	assert_int_equal(s->health_check_node_port, 31000);
	assert_true(s->ports[0].target_is_name);
	assert_string_equal(s->ports[0].target_name, "https");
	assert_int_equal(s->ports[0].node_port, 30443);
}

/* ---- Service: each error class at its place ---- */

static void test_service_errors(void **state)
{
	struct fx *f = *state;
	const char *obj = "Service default/web";
	int r = load(f, "svc.yaml",
		     "apiVersion: v1\n"			/* 1 */
		     "kind: Service\n"			/* 2 */
		     "metadata: {name: ok}\n"		/* 3 */
		     "spec: {ports: [{port: 1}]}\n"	/* 4 */
		     "---\n"				/* 5 */
		     "apiVersion: v1\n"			/* 6 */
		     "kind: Service\n"			/* 7 */
		     "metadata:\n"			/* 8 */
		     "  name: web\n"			/* 9 */
		     "spec:\n"				/* 10 */
		     "  clusterIP: 198.18.0.300\n"	/* 11 */
		     "  type: Ingress\n"		/* 12 */
		     "  ports:\n"			/* 13 */
		     "  - name: http\n"			/* 14 */
		     "    port: 70000\n"		/* 15 */
		     "  - name: dns\n"			/* 16 */
		     "    port: \"53\"\n"		/* 17 */
		     "    protocol: HTTP\n"		/* 18 */
		     "    targetPort: \"8080\"\n"	/* 19 */
		     "  - name: Bad_Name\n"		/* 20 */
		     "    port: 8\n"			/* 21 */
		     "    targetPort: Http_2\n"		/* 22 */
		     "  sessionAffinity: Sticky\n"	/* 23 */
		     "  loadBalancerSourceRanges:\n"	/* 24 */
		     "  - 10.0.0.0/33\n"		/* 25 */
		     "  - 10.0.0.1\n");			/* 26 */

	assert_int_equal(r, 12);
	assert_int_equal(f->w->nsvcs, 1);	/* "ok" loads, "web" is left out */
	assert_string_equal(f->w->svcs[0].name, "ok");

	expect(f, "spec.ports[0].port", SN_ERROR, 15, 11, obj,
	       "70000 is not a port (allowed: 1-65535)");
	expect(f, "spec.ports[1].port", SN_ERROR, 17, 11, obj,
	       "expected an integer, got the string \"53\"");
	expect(f, "spec.ports[1].protocol", SN_ERROR, 18, 15, obj,
	       "\"HTTP\" is not a protocol (allowed: TCP, UDP, SCTP)");
	expect(f, "spec.ports[1].targetPort", SN_ERROR, 19, 17, obj,
	       "\"8080\" is not a valid port name (a quoted number is a name to Kubernetes; "
	       "write 8080 without quotes for a port number)");
	expect(f, "spec.ports[2].name", SN_ERROR, 20, 11, obj,
	       "\"Bad_Name\" is not a valid port name (RFC 1123 label: lowercase letters, digits "
	       "and '-', starting and ending with a letter or digit, at most 63)");
	expect(f, "spec.ports[2].targetPort", SN_ERROR, 22, 17, obj,
	       "\"Http_2\" is not a valid port name (IANA service name: lowercase letters, digits "
	       "and '-', with at least one letter, no '--', at most 15)");
	expect(f, "spec.clusterIP", SN_ERROR, 11, 14, obj,
	       "\"198.18.0.300\" is not an IP address (or \"None\")");
	expect(f, "spec.type", SN_ERROR, 12, 9, obj,
	       "\"Ingress\" is not a Service type (allowed: ClusterIP, NodePort, LoadBalancer, "
	       "ExternalName)");
	expect(f, "spec.sessionAffinity", SN_ERROR, 23, 20, obj,
	       "\"Sticky\" is not a session affinity (allowed: None, ClientIP)");
	expect(f, "spec.loadBalancerSourceRanges", SN_ERROR, 25, 3, obj,
	       "may only be set when spec.type is LoadBalancer (it is ClusterIP)");
	expect(f, "spec.loadBalancerSourceRanges[0]", SN_ERROR, 25, 5, obj,
	       "\"10.0.0.0/33\" is not a CIDR (like 198.51.100.0/24 or 2001:db8::/64)");
	expect(f, "spec.loadBalancerSourceRanges[1]", SN_ERROR, 26, 5, obj,
	       "\"10.0.0.1\" is not a CIDR (like 198.51.100.0/24 or 2001:db8::/64)");
	/* the document index is part of the place in a multi-document file */
	assert_int_equal(rec(f, "spec.type")->loc.doc, 2);
	assert_string_equal(rec(f, "spec.type")->loc.file, "svc.yaml");
}

static void test_service_wrong_types(void **state)
{
	struct fx *f = *state;
	const char *obj = "Service default/web";
	int r = load(f, "t.yaml",
		     "apiVersion: v1\n"				/* 1 */
		     "kind: Service\n"				/* 2 */
		     "metadata: {name: web}\n"			/* 3 */
		     "spec:\n"					/* 4 */
		     "  ports: {port: 80}\n"			/* 5 */
		     "  externalIPs: 198.51.100.1\n"		/* 6 */
		     "  type: [ClusterIP]\n"			/* 7 */
		     "  sessionAffinityConfig: yes\n");		/* 8 */

	assert_int_equal(r, 4);
	expect(f, "spec.ports", SN_ERROR, 5, 10, obj, "expected a list, got a map");
	expect(f, "spec.externalIPs", SN_ERROR, 6, 16, obj,
	       "expected a list, got the string \"198.51.100.1\"");
	expect(f, "spec.type", SN_ERROR, 7, 9, obj, "expected a string, got a list");
	expect(f, "spec.sessionAffinityConfig", SN_ERROR, 8, 26, obj,
	       "expected a map, got the boolean true");
	assert_int_equal(f->w->nsvcs, 0);
}

static void test_service_names(void **state)
{
	struct fx *f = *state;
	int r = load(f, "n.yaml",
		     "apiVersion: v1\n"
		     "kind: Service\n"
		     "metadata:\n"
		     "  name: Web_1\n"
		     "  namespace: Prod\n"
		     "spec: {ports: [{port: 80}]}\n"
		     "---\n"
		     "apiVersion: v1\n"
		     "kind: Service\n"
		     "metadata: {generateName: web-}\n"
		     "spec: {ports: [{port: 80}]}\n");

	assert_int_equal(r, 3);
	expect(f, "metadata.name", SN_ERROR, 4, 9, "Service Prod/Web_1",
	       "\"Web_1\" is not a valid Service name (RFC 1035 label: lowercase letters, digits "
	       "and '-', starting with a letter, at most 63)");
	expect(f, "metadata.namespace", SN_ERROR, 5, 14, "Service Prod/Web_1",
	       "\"Prod\" is not a valid namespace (RFC 1123 label: lowercase letters, digits and "
	       "'-', starting and ending with a letter or digit, at most 63)");
	check(&f->d.recs[2], SN_ERROR, 10, 11, "Service default/(no name)",
	      "missing (required: every object needs a name; generateName is not supported, "
	      "a manifest must name its objects)");
	assert_string_equal(f->d.recs[2].field, "metadata.name");
	assert_int_equal(f->w->nsvcs, 0);
}

static void test_service_port_rules(void **state)
{
	struct fx *f = *state;
	const char *obj = "Service default/web";
	int r = load(f, "p.yaml",
		     "apiVersion: v1\n"					/* 1 */
		     "kind: Service\n"					/* 2 */
		     "metadata: {name: web}\n"				/* 3 */
		     "spec:\n"						/* 4 */
		     "  type: NodePort\n"				/* 5 */
		     "  ports:\n"					/* 6 */
		     "  - {name: a, port: 80, nodePort: 30080}\n"	/* 7 */
		     "  - {name: b, port: 80, protocol: UDP}\n"		/* 8 */
		     "  - {name: a, port: 81}\n"			/* 9 */
		     "  - {port: 80, nodePort: 30080}\n"		/* 10 */
		     "  - {name: '', port: 82}\n");			/* 11 */

	assert_int_equal(r, 5);
	/* same port with another protocol is fine; the same pair is not */
	expect(f, "spec.ports[3]", SN_ERROR, 10, 5, obj,
	       "duplicate port 80/TCP (also spec.ports[0]; a port and protocol may appear once)");
	expect(f, "spec.ports[3].nodePort", SN_ERROR, 10, 26, obj,
	       "duplicate nodePort 30080/TCP (also spec.ports[0].nodePort; a node port and "
	       "protocol may appear once)");
	expect(f, "spec.ports[2].name", SN_ERROR, 9, 12, obj,
	       "duplicate name \"a\" (also spec.ports[0].name; port names must be distinct)");
	check(&f->d.recs[0], SN_ERROR, 10, 5, obj,
	      "missing (required: every port needs a name when a Service has more than one)");
	assert_string_equal(f->d.recs[0].field, "spec.ports[3].name");
	check(&f->d.recs[1], SN_ERROR, 11, 12, obj,
	      "missing (required: every port needs a name when a Service has more than one)");
	assert_string_equal(f->d.recs[1].field, "spec.ports[4].name");
}

static void test_service_port_ranges(void **state)
{
	struct fx *f = *state;
	const char *obj = "Service default/web";
	int r = load(f, "r.yaml",
		     "apiVersion: v1\n"						/* 1 */
		     "kind: Service\n"						/* 2 */
		     "metadata: {name: web}\n"					/* 3 */
		     "spec:\n"							/* 4 */
		     "  ports:\n"						/* 5 */
		     "  - {name: a, port: 0, targetPort: 65536, nodePort: 5}\n"	/* 6 */
		     "  - {name: b, targetPort: 1.5}\n"				/* 7 */
		     "  sessionAffinity: ClientIP\n"				/* 8 */
		     "  sessionAffinityConfig: {clientIP: {timeoutSeconds: 86401}}\n" /* 9 */
		     "  healthCheckNodePort: 30000\n"				/* 10 */
		     "  allocateLoadBalancerNodePorts: false\n");		/* 11 */

	assert_int_equal(r, 8);
	expect(f, "spec.ports[0].port", SN_ERROR, 6, 21, obj, "0 is not a port (allowed: 1-65535)");
	expect(f, "spec.ports[0].targetPort", SN_ERROR, 6, 36, obj,
	       "65536 is not a port (allowed: 1-65535, or a port name)");
	expect(f, "spec.ports[0].nodePort", SN_ERROR, 6, 53, obj,
	       "5 may not be set when spec.type is ClusterIP (allowed with NodePort and "
	       "LoadBalancer)");
	expect(f, "spec.ports[1].port", SN_ERROR, 7, 5, obj,
	       "missing (required: the Service's port, 1-65535)");
	expect(f, "spec.ports[1].targetPort", SN_ERROR, 7, 27, obj,
	       "expected an integer or a string (a port number or a port name), got the number 1.5");
	expect(f, "spec.sessionAffinityConfig.clientIP.timeoutSeconds", SN_ERROR, 9, 54, obj,
	       "86401 is out of range (allowed: 1-86400 seconds)");
	expect(f, "spec.allocateLoadBalancerNodePorts", SN_ERROR, 11, 34, obj,
	       "may only be set when spec.type is LoadBalancer (it is ClusterIP)");
	expect(f, "spec.healthCheckNodePort", SN_ERROR, 10, 24, obj,
	       "may only be set when spec.type is LoadBalancer and spec.externalTrafficPolicy is "
	       "Local");
}

static void test_service_missing_ports(void **state)
{
	struct fx *f = *state;
	int r = load(f, "m.yaml",
		     "apiVersion: v1\n"
		     "kind: Service\n"
		     "metadata: {name: web}\n"
		     "spec: {ports: null}\n"
		     "---\n"
		     "apiVersion: v1\n"
		     "kind: Service\n"
		     "metadata: {name: none}\n"
		     "spec: {clusterIP: None, ports: ~}\n");

	assert_int_equal(r, 1);
	expect(f, "spec.ports", SN_ERROR, 4, 7, "Service default/web",
	       "missing (required: at least one port, unless the Service is headless or "
	       "ExternalName)");
	assert_int_equal(f->w->nsvcs, 1);
	assert_true(f->w->svcs[0].headless);
}

static void test_unknown_fields(void **state)
{
	struct fx *f = *state;
	const char *obj = "Service default/web";
	int r = load(f, "uf.yaml",
		     "apiVersion: v1\n"					/* 1 */
		     "kind: Service\n"					/* 2 */
		     "metadata: {name: web, lables: {a: b}}\n"		/* 3 */
		     "spec:\n"						/* 4 */
		     "  sessionAfinity: ClientIP\n"			/* 5 */
		     "  trafficDistribution: PreferClose\n"		/* 6 */
		     "  ports: [{port: 80, tragetPort: 8080, \"x\\ty\": 1}]\n");	/* 7 */

	/* warnings: the Service still loads, as newer fields must not stop it */
	assert_no_errors(f, r);
	assert_int_equal(f->w->nsvcs, 1);
	assert_int_equal(f->d.warnings, 4);
	expect(f, "metadata.lables", SN_WARNING, 3, 23, obj,
	       "unknown field, ignored (did you mean labels?)");
	expect(f, "spec.sessionAfinity", SN_WARNING, 5, 3, obj,
	       "unknown field, ignored (did you mean sessionAffinity?)");
	expect(f, "spec.ports[0].tragetPort", SN_WARNING, 7, 22, obj,
	       "unknown field, ignored (did you mean targetPort?)");
	expect(f, "spec.ports[0].\"x\\ty\"", SN_WARNING, 7, 40, obj, "unknown field, ignored");
}

/* ---- Service: cluster IPs and families ---- */

static void test_cluster_ips(void **state)
{
	struct fx *f = *state;
	const struct svc_service *s;
	int r = load(f, "ips.yaml",
		     "apiVersion: v1\n"
		     "kind: Service\n"
		     "metadata: {name: dual}\n"
		     "spec:\n"
		     "  clusterIP: 198.18.0.10\n"
		     "  clusterIPs: [198.18.0.10, 'fd00::10']\n"
		     "  ipFamilies: [IPv4, IPv6]\n"
		     "  ports: [{port: 80}]\n"
		     "---\n"
		     "apiVersion: v1\n"
		     "kind: Service\n"
		     "metadata: {name: v6}\n"
		     "spec:\n"
		     "  clusterIP: fd00::20\n"
		     "  ipFamilyPolicy: PreferDualStack\n"
		     "  externalIPs: [192.0.2.7, '2001:db8::7']\n"
		     "  ports: [{port: 80}]\n");

	assert_no_errors(f, r);
	s = svc(f, "default", "dual");
	assert_int_equal(s->ncluster_ips, 2);
	assert_string_equal(addr(&s->cluster_ips[0]), "198.18.0.10");
	assert_string_equal(addr(&s->cluster_ips[1]), "fd00::10");
	assert_int_equal(s->nfamilies, 2);
	assert_int_equal(s->families[0], SN_AF_INET);
	assert_int_equal(s->families[1], SN_AF_INET6);
	/* two families and no policy: what the API server infers */
	assert_int_equal(s->family_policy, SVC_REQUIRE_DUAL_STACK);

	s = svc(f, "default", "v6");
	assert_int_equal(s->ncluster_ips, 1);
	assert_int_equal(s->cluster_ips[0].family, SN_AF_INET6);
	assert_int_equal(s->nfamilies, 0);
	assert_int_equal(s->family_policy, SVC_PREFER_DUAL_STACK);
	assert_int_equal(s->nexternal_ips, 2);
	assert_string_equal(addr(&s->external_ips[1]), "2001:db8::7");
}

static void test_cluster_ip_errors(void **state)
{
	struct fx *f = *state;
	const char *obj = "Service default/web";
	int r = load(f, "ipe.yaml",
		     "apiVersion: v1\n"						/* 1 */
		     "kind: Service\n"						/* 2 */
		     "metadata: {name: web}\n"					/* 3 */
		     "spec:\n"							/* 4 */
		     "  clusterIP: 198.18.0.1\n"				/* 5 */
		     "  clusterIPs: [198.18.0.2, 198.18.0.3]\n"			/* 6 */
		     "  ipFamilies: [IPv6, IPv6, IPv4]\n"			/* 7 */
		     "  ipFamilyPolicy: SingleStack\n"				/* 8 */
		     "  ports: [{port: 80}]\n");				/* 9 */

	assert_int_equal(r, 7);
	expect(f, "spec.clusterIPs[0]", SN_ERROR, 6, 16, obj,
	       "\"198.18.0.2\" does not match spec.clusterIP \"198.18.0.1\" (clusterIPs[0] must "
	       "equal clusterIP)");
	expect(f, "spec.clusterIPs[1]", SN_ERROR, 6, 28, obj,
	       "\"198.18.0.3\" is of the same family as spec.clusterIPs[0] (allowed: one IPv4 and "
	       "one IPv6 address)");
	expect(f, "spec.ipFamilies", SN_ERROR, 7, 15, obj,
	       "has 3 entries (allowed: at most 2, IPv4 and IPv6)");
	expect(f, "spec.ipFamilies[1]", SN_ERROR, 7, 22, obj,
	       "IPv6 is listed twice (allowed: IPv4 and IPv6, each once)");
	expect(f, "spec.ipFamilies[0]", SN_ERROR, 7, 16, obj,
	       "IPv6 does not match spec.clusterIPs[0] \"198.18.0.2\" (an IPv4 address; "
	       "ipFamilies must list the cluster IPs' families in the same order)");
	expect(f, "spec.ipFamilyPolicy", SN_ERROR, 8, 19, obj,
	       "SingleStack allows one IP family, but spec.clusterIPs gives two (use "
	       "PreferDualStack or RequireDualStack)");
}

static void test_cluster_ip_none(void **state)
{
	struct fx *f = *state;
	int r = load(f, "none.yaml",
		     "apiVersion: v1\n"				/* 1 */
		     "kind: Service\n"				/* 2 */
		     "metadata: {name: a}\n"			/* 3 */
		     "spec:\n"					/* 4 */
		     "  clusterIPs: [None, 198.18.0.1]\n"	/* 5 */
		     "  ports: [{port: 80}]\n"			/* 6 */
		     "---\n"					/* 7 */
		     "apiVersion: v1\n"				/* 8 */
		     "kind: Service\n"				/* 9 */
		     "metadata: {name: b}\n"			/* 10 */
		     "spec: {type: NodePort, clusterIP: None, ports: [{port: 80}]}\n" /* 11 */
		     "---\n"					/* 12 */
		     "apiVersion: v1\n"				/* 13 */
		     "kind: Service\n"				/* 14 */
		     "metadata: {name: c}\n"			/* 15 */
		     "spec: {clusterIPs: [None], ipFamilies: [IPv6]}\n");	/* 16 */

	assert_int_equal(r, 2);
	expect(f, "spec.clusterIPs[0]", SN_ERROR, 5, 16, "Service default/a",
	       "\"None\" is allowed only as the only entry (a headless Service has no cluster IPs)");
	expect(f, "spec.clusterIP", SN_ERROR, 11, 35, "Service default/b",
	       "\"None\" (headless) is not allowed for type NodePort (allowed: ClusterIP)");
	assert_int_equal(f->w->nsvcs, 1);
	assert_true(f->w->svcs[0].headless);
	assert_string_equal(f->w->svcs[0].skip_reason, "headless");
	assert_int_equal(f->w->svcs[0].families[0], SN_AF_INET6);
}

/* ---- Service: skip reasons, load balancers ---- */

static void test_skip_reasons(void **state)
{
	struct fx *f = *state;
	int r = load(f, "skip.yaml",
		     "apiVersion: v1\n"
		     "kind: Service\n"
		     "metadata:\n"
		     "  name: other\n"
		     "  labels: {service.kubernetes.io/service-proxy-name: cilium}\n"
		     "spec: {ports: [{port: 80}]}\n"
		     "---\n"
		     "apiVersion: v1\n"
		     "kind: Service\n"
		     "metadata:\n"
		     "  name: hl\n"
		     "  labels: {service.kubernetes.io/headless: ''}\n"
		     "spec: {ports: [{port: 80}]}\n"
		     "---\n"
		     "apiVersion: v1\n"
		     "kind: Service\n"
		     "metadata: {name: ext}\n"
		     "spec: {type: ExternalName, externalName: db.example.com.}\n"
		     "---\n"
		     "apiVersion: v1\n"
		     "kind: Service\n"
		     "metadata: {name: none}\n"
		     "spec: {clusterIP: None}\n"
		     "---\n"
		     "apiVersion: v1\n"
		     "kind: Service\n"
		     "metadata: {name: plain}\n"
		     "spec: {ports: [{port: 80}]}\n");

	assert_no_errors(f, r);
	assert_int_equal(f->w->nsvcs, 5);
	assert_string_equal(svc(f, "default", "other")->skip_reason,
			    "label service.kubernetes.io/service-proxy-name");
	assert_string_equal(svc(f, "default", "hl")->skip_reason,
			    "label service.kubernetes.io/headless");
	assert_string_equal(svc(f, "default", "ext")->skip_reason, "ExternalName");
	assert_string_equal(svc(f, "default", "none")->skip_reason, "headless");
	assert_true(svc(f, "default", "none")->headless);
	assert_null(svc(f, "default", "plain")->skip_reason);
}

static void test_external_name_errors(void **state)
{
	struct fx *f = *state;
	int r = load(f, "en.yaml",
		     "apiVersion: v1\n"
		     "kind: Service\n"
		     "metadata: {name: ext}\n"
		     "spec: {type: ExternalName, externalName: 'Not A Name', clusterIP: 198.18.0.1}\n"
		     "---\n"
		     "apiVersion: v1\n"
		     "kind: Service\n"
		     "metadata: {name: ext2}\n"
		     "spec: {type: ExternalName}\n");

	assert_int_equal(r, 3);
	expect(f, "spec.externalName", SN_ERROR, 4, 42, "Service default/ext",
	       "\"Not A Name\" is not a DNS name (RFC 1123 subdomain: lowercase letters, digits, "
	       "'-' and '.', at most 253)");
	expect(f, "spec.clusterIP", SN_ERROR, 4, 67, "Service default/ext",
	       "may not be set when spec.type is ExternalName");
	check(&f->d.recs[2], SN_ERROR, 9, 7, "Service default/ext2",
	      "missing (required for type ExternalName: the DNS name it points to)");
}

static void test_load_balancer(void **state)
{
	struct fx *f = *state;
	const struct svc_service *s;
	int r = load(f, "lb.yaml",
		     "apiVersion: v1\n"					/* 1 */
		     "kind: Service\n"					/* 2 */
		     "metadata:\n"					/* 3 */
		     "  name: lb\n"					/* 4 */
		     "  annotations:\n"					/* 5 */
		     "    service.beta.kubernetes.io/load-balancer-source-ranges: "
		     "\"203.0.113.0/24, 198.51.100.7/16\"\n"		/* 6 */
		     "spec:\n"						/* 7 */
		     "  type: LoadBalancer\n"				/* 8 */
		     "  ports: [{port: 80}]\n"				/* 9 */
		     "status:\n"					/* 10 */
		     "  loadBalancer:\n"				/* 11 */
		     "    ingress:\n"					/* 12 */
		     "    - ip: 192.0.2.10\n"				/* 13 */
		     "    - hostname: lb.example.com\n"			/* 14 */
		     "    - {ip: 192.0.2.11, ipMode: Proxy}\n"		/* 15 */
		     "    - {ip: '2001:db8::1', ipMode: VIP, hostname: x.example.com}\n");

	assert_no_errors(f, r);
	s = svc(f, "default", "lb");
	assert_int_equal(s->nlb_ingress, 3);
	assert_string_equal(addr(&s->lb_ingress[0].ip), "192.0.2.10");
	assert_false(s->lb_ingress[0].proxy_mode);
	assert_true(s->lb_ingress[1].proxy_mode);
	assert_string_equal(addr(&s->lb_ingress[2].ip), "2001:db8::1");
	/* kube-proxy never reads the annotation (cloud load balancers do) */
	assert_int_equal(s->nsource_ranges, 0);
	expect(f, "metadata.annotations[service.beta.kubernetes.io/load-balancer-source-ranges]",
	       SN_NOTE, 6, 61, "Service default/lb",
	       "ignored: kube-proxy enforces only spec.loadBalancerSourceRanges (this annotation is "
	       "read by cloud load balancers)");
	expect(f, "status.loadBalancer.ingress[1]", SN_NOTE, 14, 7, "Service default/lb",
	       "ignored: hostname \"lb.example.com\" without an ip (svcnft programs IP addresses "
	       "only)");
}

static void test_load_balancer_errors(void **state)
{
	struct fx *f = *state;
	const char *obj = "Service default/lb";
	int r = load(f, "lbe.yaml",
		     "apiVersion: v1\n"					/* 1 */
		     "kind: Service\n"					/* 2 */
		     "metadata: {name: lb}\n"				/* 3 */
		     "spec:\n"						/* 4 */
		     "  type: LoadBalancer\n"				/* 5 */
		     "  ports: [{port: 80}]\n"				/* 6 */
		     "  externalTrafficPolicy: Remote\n"		/* 7 */
		     "  internalTrafficPolicy: Global\n"		/* 8 */
		     "  externalIPs: [0.0.0.0, 192.0.2.300]\n"		/* 9 */
		     "status:\n"					/* 10 */
		     "  loadBalancer:\n"				/* 11 */
		     "    ingress:\n"					/* 12 */
		     "    - {ip: 192.0.2.10, ipMode: Tunnel}\n"		/* 13 */
		     "    - {ip: 192.0.2}\n");				/* 14 */

	assert_int_equal(r, 6);
	expect(f, "spec.externalTrafficPolicy", SN_ERROR, 7, 26, obj,
	       "\"Remote\" is not a traffic policy (allowed: Cluster, Local)");
	/* "Global" is only ever an externalTrafficPolicy */
	expect(f, "spec.internalTrafficPolicy", SN_ERROR, 8, 26, obj,
	       "\"Global\" is not a traffic policy (allowed: Cluster, Local)");
	expect(f, "spec.externalIPs[0]", SN_ERROR, 9, 17, obj,
	       "\"0.0.0.0\" is the unspecified address (the API server refuses it)");
	expect(f, "spec.externalIPs[1]", SN_ERROR, 9, 26, obj,
	       "\"192.0.2.300\" is not an IP address");
	expect(f, "status.loadBalancer.ingress[0].ipMode", SN_ERROR, 13, 32, obj,
	       "\"Tunnel\" is not an ipMode (allowed: VIP, Proxy)");
	expect(f, "status.loadBalancer.ingress[1].ip", SN_ERROR, 14, 12, obj,
	       "\"192.0.2\" is not an IP address");
}

/* externalIPs the API server refuses (ValidateNonSpecialIP): as frontends they
 * would capture the node's own traffic, 169.254.169.254 the cloud metadata
 * service. Other multicast and the broadcast address are accepted there. */
static void test_external_ips_special(void **state)
{
	struct fx *f = *state;
	const char *obj = "Service default/grab";
	int r = load(f, "grab.yaml",
		     "apiVersion: v1\n"					/* 1 */
		     "kind: Service\n"					/* 2 */
		     "metadata: {name: grab}\n"				/* 3 */
		     "spec:\n"						/* 4 */
		     "  ports: [{port: 80}]\n"				/* 5 */
		     "  externalIPs:\n"					/* 6 */
		     "  - 127.0.0.1\n"					/* 7 */
		     "  - 169.254.169.254\n"				/* 8 */
		     "  - 224.0.0.5\n"					/* 9 */
		     "  - 'fe80::1'\n"					/* 10 */
		     "  - 'ff02::1'\n"					/* 11 */
		     "  - '::ffff:127.0.0.2'\n"				/* 12 */
		     "---\n"
		     "apiVersion: v1\n"
		     "kind: Service\n"
		     "metadata: {name: ok}\n"
		     "spec:\n"
		     "  ports: [{port: 80}]\n"
		     "  externalIPs: [239.1.2.3, 203.0.113.010, 224.0.1.1, 'ff05::1']\n");

	assert_int_equal(r, 6);
	expect(f, "spec.externalIPs[0]", SN_ERROR, 7, 5, obj,
	       "\"127.0.0.1\" is in the loopback range (127.0.0.0/8) (the API server refuses it)");
	expect(f, "spec.externalIPs[1]", SN_ERROR, 8, 5, obj,
	       "\"169.254.169.254\" is in the link-local range (169.254.0.0/16) (the API server "
	       "refuses it)");
	expect(f, "spec.externalIPs[2]", SN_ERROR, 9, 5, obj,
	       "\"224.0.0.5\" is in the link-local multicast range (224.0.0.0/24) (the API server "
	       "refuses it)");
	expect(f, "spec.externalIPs[3]", SN_ERROR, 10, 5, obj,
	       "\"fe80::1\" is in the link-local range (fe80::/10) (the API server refuses it)");
	expect(f, "spec.externalIPs[4]", SN_ERROR, 11, 5, obj,
	       "\"ff02::1\" is a link-local multicast address (scope 2) (the API server refuses it)");
	expect(f, "spec.externalIPs[5]", SN_ERROR, 12, 5, obj,
	       "\"::ffff:127.0.0.2\" is in the loopback range (127.0.0.0/8) (the API server "
	       "refuses it)");
	/* the whole Service is refused, as the API server refuses it */
	assert_int_equal(f->w->nsvcs, 1);
	assert_string_equal(f->w->svcs[0].name, "ok");
	assert_int_equal(f->w->svcs[0].nexternal_ips, 4);
	assert_string_equal(addr(&f->w->svcs[0].external_ips[1]), "203.0.113.10");
}

/* Leading zeros are decimal to the API server (ParseIPSloppy), never octal;
 * endpoints in non-link-local multicast and broadcast are accepted. */
static void test_sloppy_addresses(void **state)
{
	struct fx *f = *state;
	const struct svc_service *s;
	const struct svc_slice *sl;
	int r = load(f, "sloppy.yaml",
		     "apiVersion: v1\n"
		     "kind: Service\n"
		     "metadata: {name: lb}\n"
		     "spec:\n"
		     "  type: LoadBalancer\n"
		     "  clusterIP: 198.18.0.010\n"
		     "  ports: [{port: 80}]\n"
		     "  loadBalancerSourceRanges: [010.1.2.0/24, '2001:0db8::/032']\n"
		     "status: {loadBalancer: {ingress: [{ip: 203.0.113.007}]}}\n"
		     "---\n"
		     "apiVersion: discovery.k8s.io/v1\n"
		     "kind: EndpointSlice\n"
		     "metadata:\n"
		     "  name: lb-1\n"
		     "  labels: {kubernetes.io/service-name: lb}\n"
		     "addressType: IPv4\n"
		     "ports: [{port: 8080}]\n"
		     "endpoints:\n"
		     "- addresses: [239.1.2.3]\n"
		     "- addresses: [198.019.001.099]\n"
		     "- addresses: [255.255.255.255]\n");

	assert_no_errors(f, r);
	s = svc(f, "default", "lb");
	assert_string_equal(addr(&s->cluster_ips[0]), "198.18.0.10");
	assert_string_equal(addr(&s->source_ranges[0]), "10.1.2.0/24");
	assert_string_equal(addr(&s->source_ranges[1]), "2001:db8::/32");
	assert_string_equal(addr(&s->lb_ingress[0].ip), "203.0.113.7");
	assert_int_equal(f->w->nslices, 1);
	sl = &f->w->slices[0];
	assert_int_equal(sl->neps, 3);
	assert_string_equal(addr(&sl->eps[0].addr), "239.1.2.3");
	assert_string_equal(addr(&sl->eps[1].addr), "198.19.1.99");
	assert_string_equal(addr(&sl->eps[2].addr), "255.255.255.255");
}

/* ---- EndpointSlices ---- */

static const char slice_doc[] =
	"apiVersion: discovery.k8s.io/v1\n"		/* 1 */
	"kind: EndpointSlice\n"				/* 2 */
	"metadata:\n"					/* 3 */
	"  name: web-abc12\n"				/* 4 */
	"  namespace: prod\n"				/* 5 */
	"  labels:\n"					/* 6 */
	"    kubernetes.io/service-name: web\n"		/* 7 */
	"addressType: IPv4\n"				/* 8 */
	"ports:\n"					/* 9 */
	"- name: http\n"				/* 10 */
	"  port: 8080\n"				/* 11 */
	"- port: 53\n"					/* 12 */
	"  name: dns\n"					/* 13 */
	"  protocol: UDP\n"				/* 14 */
	"- name: noport\n"				/* 15 */
	"endpoints:\n"					/* 16 */
	"- addresses: [198.18.1.1, 198.18.1.99]\n"	/* 17 */
	"  nodeName: node-a\n"				/* 18 */
	"  zone: zone-a\n"				/* 19 */
	"  hints: {forZones: [{name: zone-a}, {name: Zone_B}]}\n"	/* 20 */
	"  targetRef: {kind: Pod, name: web-5d4f-abcde}\n"		/* 21 */
	"- addresses: [198.18.1.2]\n"			/* 22 */
	"  conditions: {ready: false, terminating: true}\n"	/* 23 */
	"  targetRef: {kind: Pod, namespace: other, name: p2}\n"; /* 24 */

static void test_slice(void **state)
{
	struct fx *f = *state;
	const struct svc_slice *s;
	const struct svc_endpoint *e;
	int r = load(f, "slice.yaml", slice_doc);

	assert_no_errors(f, r);
	assert_int_equal(f->w->nslices, 1);
	s = &f->w->slices[0];
	assert_string_equal(s->ns, "prod");
	assert_string_equal(s->name, "web-abc12");
	assert_string_equal(s->service, "web");
	assert_int_equal(s->family, SN_AF_INET);
	assert_false(s->from_endpoints);
	assert_int_equal(s->loc.line, 1);
	assert_int_equal(s->loc.doc, 0);	/* one document: no index */

	assert_int_equal(s->nports, 3);
	assert_string_equal(s->ports[0].name, "http");
	assert_int_equal(s->ports[0].proto, IPPROTO_TCP);
	assert_int_equal(s->ports[0].port, 8080);
	assert_string_equal(s->ports[1].name, "dns");
	assert_int_equal(s->ports[1].proto, IPPROTO_UDP);
	assert_int_equal(s->ports[2].port, 0);	/* no number: kept as 0 */

	assert_int_equal(s->neps, 2);
	e = &s->eps[0];
	assert_string_equal(addr(&e->addr), "198.18.1.1");	/* only addresses[0] */
	assert_true(e->ready);
	assert_true(e->serving);
	assert_false(e->terminating);
	assert_string_equal(e->node_name, "node-a");
	assert_int_equal(e->nzone_hints, 2);
	assert_string_equal(e->zone_hints[0], "zone-a");
	assert_string_equal(e->zone_hints[1], "Zone_B");
	assert_string_equal(e->target, "prod/web-5d4f-abcde");
	e = &s->eps[1];
	assert_false(e->ready);
	assert_true(e->serving);	/* absent: true */
	assert_true(e->terminating);
	assert_null(e->node_name);
	assert_string_equal(e->target, "other/p2");
}

static void test_slice_errors(void **state)
{
	struct fx *f = *state;
	const char *obj = "EndpointSlice default/web-1";
	int r = load(f, "se.yaml",
		     "apiVersion: discovery.k8s.io/v1\n"		/* 1 */
		     "kind: EndpointSlice\n"				/* 2 */
		     "metadata:\n"					/* 3 */
		     "  name: web-1\n"					/* 4 */
		     "  labels: {kubernetes.io/service-name: 'W b'}\n"	/* 5 */
		     "addressType: IPv6\n"				/* 6 */
		     "ports:\n"						/* 7 */
		     "- {name: a, port: 65536, protocol: tcp}\n"	/* 8 */
		     "- {name: a}\n"					/* 9 */
		     "endpoints:\n"					/* 10 */
		     "- addresses: [198.18.0.1]\n"			/* 11 */
		     "- addresses: []\n"				/* 12 */
		     "- addresses: ['::1']\n"				/* 13 */
		     "  nodeName: Node_1\n"				/* 14 */
		     "  conditions: {ready: 'true'}\n"			/* 15 */
		     "- {}\n"						/* 16 */
		     "- addresses: ['2001:db8::1', '2001:db8::2']\n"	/* 17 */
		     "  hints: {forZones: [{name: 'a b'}]}\n"		/* 18 */
		     "  targetRef: {name: 'x/y'}\n");			/* 19 */

	assert_int_equal(r, 11);
	assert_int_equal(f->w->nslices, 0);
	expect(f, "metadata.labels[kubernetes.io/service-name]", SN_ERROR, 5, 40, obj,
	       "\"W b\" is not a valid label value (label value: letters, digits, '-', '_' and '.', "
	       "starting and ending with a letter or digit, at most 63)");
	expect(f, "ports[0].port", SN_ERROR, 8, 19, obj, "65536 is not a port (allowed: 1-65535)");
	expect(f, "ports[0].protocol", SN_ERROR, 8, 36, obj,
	       "\"tcp\" is not a protocol (allowed: TCP, UDP, SCTP)");
	expect(f, "ports[1].name", SN_ERROR, 9, 10, obj,
	       "duplicate name \"a\" (also ports[0]; port names must be distinct)");
	expect(f, "endpoints[0].addresses[0]", SN_ERROR, 11, 15, obj,
	       "\"198.18.0.1\" is not an IPv6 address (addressType is IPv6)");
	expect(f, "endpoints[1].addresses", SN_ERROR, 12, 14, obj,
	       "missing (required: at least one address)");
	expect(f, "endpoints[2].addresses[0]", SN_ERROR, 13, 15, obj,
	       "\"::1\" is the loopback address (::1) (the API server refuses it)");
	expect(f, "endpoints[2].nodeName", SN_ERROR, 14, 13, obj,
	       "\"Node_1\" is not a valid node name (RFC 1123 subdomain: lowercase letters, digits, "
	       "'-' and '.', starting and ending with a letter or digit, at most 253)");
	expect(f, "endpoints[2].conditions.ready", SN_ERROR, 15, 23, obj,
	       "expected a boolean (true or false), got the string \"true\"");
	expect(f, "endpoints[3].addresses", SN_ERROR, 16, 3, obj,
	       "missing (required: at least one address)");
	expect(f, "endpoints[4].hints.forZones[0].name", SN_ERROR, 18, 29, obj,
	       "\"a b\" is not a valid zone name (label value: letters, digits, '-', '_' and '.', "
	       "starting and ending with a letter or digit, at most 63)");
	/* targetRef is only shown to people: never an error */
	expect(f, "endpoints[4].targetRef.name", SN_WARNING, 19, 21, obj,
	       "\"x/y\" is not an object name: not shown");
}

/* A label value the API server accepts but no Service can be named: the
 * slice belongs to no Service, so kube-proxy never uses it: a note. */
static void test_slice_orphan_label(void **state)
{
	struct fx *f = *state;
	int r = load(f, "orphan.yaml",
		     "apiVersion: discovery.k8s.io/v1\n"			/* 1 */
		     "kind: EndpointSlice\n"				/* 2 */
		     "metadata:\n"					/* 3 */
		     "  name: web-1\n"					/* 4 */
		     "  labels: {kubernetes.io/service-name: Web}\n"	/* 5 */
		     "addressType: IPv4\n"				/* 6 */
		     "endpoints: [{addresses: [198.18.1.1]}]\n");

	assert_no_errors(f, r);
	assert_int_equal(f->w->nslices, 0);
	expect(f, "metadata.labels[kubernetes.io/service-name]", SN_NOTE, 5, 40,
	       "EndpointSlice default/web-1",
	       "skipped: \"Web\" is not a Service name (RFC 1035 label), so the slice belongs to no "
	       "Service");
}

static void test_slice_skipped(void **state)
{
	struct fx *f = *state;
	int r = load(f, "skip.yaml",
		     "apiVersion: discovery.k8s.io/v1\n"		/* 1 */
		     "kind: EndpointSlice\n"				/* 2 */
		     "metadata: {name: orphan}\n"			/* 3 */
		     "addressType: IPv4\n"				/* 4 */
		     "---\n"						/* 5 */
		     "apiVersion: discovery.k8s.io/v1\n"		/* 6 */
		     "kind: EndpointSlice\n"				/* 7 */
		     "metadata:\n"					/* 8 */
		     "  name: dns-abc\n"				/* 9 */
		     "  labels: {kubernetes.io/service-name: dns}\n"	/* 10 */
		     "addressType: FQDN\n"				/* 11 */
		     "endpoints: [{addresses: [db.example.com]}]\n"	/* 12 */
		     "---\n"						/* 13 */
		     "apiVersion: discovery.k8s.io/v1\n"		/* 14 */
		     "kind: EndpointSlice\n"				/* 15 */
		     "metadata:\n"					/* 16 */
		     "  name: other-abc\n"				/* 17 */
		     "  labels:\n"					/* 18 */
		     "    kubernetes.io/service-name: other\n"		/* 19 */
		     "    service.kubernetes.io/service-proxy-name: x\n"	/* 20 */
		     "addressType: IPv4\n"				/* 21 */
		     "endpoints: null\n"				/* 22 */
		     "---\n"						/* 23 */
		     "apiVersion: discovery.k8s.io/v1\n"		/* 24 */
		     "kind: EndpointSlice\n"				/* 25 */
		     "metadata:\n"					/* 26 */
		     "  name: empty-abc\n"				/* 27 */
		     "  labels: {kubernetes.io/service-name: empty}\n"	/* 28 */
		     "addressType: IPv4\n"				/* 29 */
		     "endpoints: null\n"				/* 30 */
		     "ports: null\n");					/* 31 */

	assert_no_errors(f, r);
	assert_int_equal(f->d.n, 3);
	check(&f->d.recs[0], SN_NOTE, 1, 1, "EndpointSlice default/orphan",
	      "skipped: no label kubernetes.io/service-name (kube-proxy reads only slices that "
	      "belong to a Service)");
	check(&f->d.recs[1], SN_NOTE, 11, 14, "EndpointSlice default/dns-abc",
	      "skipped: FQDN slices carry no IP addresses (kube-proxy reads IPv4 and IPv6 slices)");
	assert_string_equal(f->d.recs[1].field, "addressType");
	check(&f->d.recs[2], SN_NOTE, 14, 1, "EndpointSlice default/other-abc",
	      "skipped: label service.kubernetes.io/service-proxy-name (kube-proxy does not read "
	      "it)");
	/* null lists are empty lists */
	assert_int_equal(f->w->nslices, 1);
	assert_string_equal(f->w->slices[0].name, "empty-abc");
	assert_int_equal(f->w->slices[0].neps, 0);
	assert_int_equal(f->w->slices[0].nports, 0);
}

/* ---- v1 Endpoints ---- */

static void test_endpoints(void **state)
{
	struct fx *f = *state;
	const struct svc_slice *s;
	int r = load(f, "ep.yaml",
		     "apiVersion: v1\n"
		     "kind: Endpoints\n"
		     "metadata: {name: web, namespace: prod}\n"
		     "subsets:\n"
		     "- addresses:\n"
		     "  - {ip: 198.18.2.1, nodeName: node-a, targetRef: {kind: Pod, name: w1}}\n"
		     "  - ip: 2001:db8::2\n"
		     "  notReadyAddresses:\n"
		     "  - ip: 198.18.2.3\n"
		     "  ports:\n"
		     "  - {name: http, port: 8080}\n"
		     "  - {name: dns, port: 53, protocol: UDP}\n"
		     "- addresses: [{ip: 198.18.2.4}]\n"
		     "  ports: [{port: 9090}]\n"
		     "- ports: [{port: 1}]\n");

	assert_no_errors(f, r);
	/* subset 0 splits into an IPv4 and an IPv6 slice; subset 2 has no address */
	assert_int_equal(f->w->nslices, 3);

	s = &f->w->slices[0];
	assert_true(s->from_endpoints);
	assert_string_equal(s->ns, "prod");
	assert_string_equal(s->name, "web");
	assert_string_equal(s->service, "web");
	assert_int_equal(s->family, SN_AF_INET);
	assert_int_equal(s->nports, 2);
	assert_string_equal(s->ports[1].name, "dns");
	assert_int_equal(s->ports[1].proto, IPPROTO_UDP);
	assert_int_equal(s->neps, 2);
	assert_string_equal(addr(&s->eps[0].addr), "198.18.2.1");
	assert_true(s->eps[0].ready);
	assert_true(s->eps[0].serving);
	assert_false(s->eps[0].terminating);
	assert_string_equal(s->eps[0].node_name, "node-a");
	assert_string_equal(s->eps[0].target, "prod/w1");
	assert_string_equal(addr(&s->eps[1].addr), "198.18.2.3");
	assert_false(s->eps[1].ready);
	assert_false(s->eps[1].serving);
	assert_false(s->eps[1].terminating);

	s = &f->w->slices[1];
	assert_int_equal(s->family, SN_AF_INET6);
	assert_int_equal(s->neps, 1);
	assert_string_equal(addr(&s->eps[0].addr), "2001:db8::2");
	assert_int_equal(s->nports, 2);
	assert_string_equal(s->ports[0].name, "http");

	s = &f->w->slices[2];
	assert_int_equal(s->nports, 1);
	assert_string_equal(s->ports[0].name, "");
	assert_int_equal(s->ports[0].port, 9090);
}

static void test_endpoints_skipped(void **state)
{
	struct fx *f = *state;
	int r = load(f, "eps.yaml",
		     "apiVersion: v1\n"
		     "kind: Endpoints\n"
		     "metadata:\n"
		     "  name: hl\n"
		     "  labels: {service.kubernetes.io/headless: \"\"}\n"
		     "subsets: [{addresses: [{ip: 198.18.2.1}]}]\n"
		     "---\n"
		     "apiVersion: v1\n"
		     "kind: Endpoints\n"
		     "metadata: {name: empty}\n"
		     "subsets: null\n");

	assert_no_errors(f, r);
	assert_int_equal(f->w->nslices, 0);
	assert_int_equal(f->d.n, 1);
	check(&f->d.recs[0], SN_NOTE, 1, 1, "Endpoints default/hl",
	      "skipped: label service.kubernetes.io/headless (kube-proxy does not read it)");
}

/* v1 Endpoints the mirroring controller never mirrors into an EndpointSlice
 * (skip-mirror, leader-election records): kube-proxy never sees them. */
static void test_endpoints_not_mirrored(void **state)
{
	struct fx *f = *state;
	int r = load(f, "nomirror.yaml",
		     "apiVersion: v1\n"
		     "kind: Endpoints\n"
		     "metadata:\n"
		     "  name: manual\n"
		     "  labels: {endpointslice.kubernetes.io/skip-mirror: \"true\"}\n"
		     "subsets: [{addresses: [{ip: 198.18.2.1}], ports: [{port: 80}]}]\n"
		     "---\n"
		     "apiVersion: v1\n"
		     "kind: Endpoints\n"
		     "metadata:\n"
		     "  name: lock\n"
		     "  annotations: {control-plane.alpha.kubernetes.io/leader: '{}'}\n"
		     "subsets: [{addresses: [{ip: 198.18.2.2}], ports: [{port: 80}]}]\n"
		     "---\n"
		     "apiVersion: v1\n"
		     "kind: Endpoints\n"
		     "metadata:\n"
		     "  name: mirrored\n"
		     "  labels: {endpointslice.kubernetes.io/skip-mirror: \"false\"}\n"
		     "subsets: [{addresses: [{ip: 198.18.2.3}], ports: [{port: 80}]}]\n");

	assert_no_errors(f, r);
	assert_int_equal(f->w->nslices, 1);
	assert_string_equal(f->w->slices[0].name, "mirrored");
	assert_int_equal(f->d.n, 2);
	check(&f->d.recs[0], SN_NOTE, 1, 1, "Endpoints default/manual",
	      "skipped: label endpointslice.kubernetes.io/skip-mirror=true (no EndpointSlice is "
	      "mirrored from it, and kube-proxy reads only EndpointSlices)");
	check(&f->d.recs[1], SN_NOTE, 8, 1, "Endpoints default/lock",
	      "skipped: annotation control-plane.alpha.kubernetes.io/leader (a leader-election "
	      "record: no EndpointSlice is mirrored from it)");
}

/* hints.forNodes is read (PreferSameNode) and checked as node names. */
static void test_slice_node_hints(void **state)
{
	struct fx *f = *state;
	int r = load(f, "nh.yaml",
		     "apiVersion: discovery.k8s.io/v1\n"			/* 1 */
		     "kind: EndpointSlice\n"				/* 2 */
		     "metadata:\n"					/* 3 */
		     "  name: web-1\n"					/* 4 */
		     "  labels: {kubernetes.io/service-name: web}\n"	/* 5 */
		     "addressType: IPv4\n"				/* 6 */
		     "endpoints:\n"					/* 7 */
		     "- addresses: [198.18.1.1]\n"			/* 8 */
		     "  hints: {forNodes: [{name: node-a}, {name: node-b}]}\n"	/* 9 */
		     "- addresses: [198.18.1.2]\n"			/* 10 */
		     "  hints: {forNodes: [{name: Node_B}]}\n");	/* 11 */

	assert_int_equal(r, 1);
	expect(f, "endpoints[1].hints.forNodes[0].name", SN_ERROR, 11, 29,
	       "EndpointSlice default/web-1",
	       "\"Node_B\" is not a valid node name (RFC 1123 subdomain: lowercase letters, digits, "
	       "'-' and '.', starting and ending with a letter or digit, at most 253)");
	svc_world_free(f->w);
	f->w = svc_world_alloc();
	sn_diag_free(&f->d);
	sn_diag_init(&f->d);
	r = load(f, "nh2.yaml",
		 "apiVersion: discovery.k8s.io/v1\n"
		 "kind: EndpointSlice\n"
		 "metadata:\n"
		 "  name: web-1\n"
		 "  labels: {kubernetes.io/service-name: web}\n"
		 "addressType: IPv4\n"
		 "endpoints:\n"
		 "- addresses: [198.18.1.1]\n"
		 "  hints: {forNodes: [{name: node-a}, {name: node-b}]}\n");
	assert_no_errors(f, r);
	assert_int_equal(f->w->slices[0].eps[0].nnode_hints, 2);
	assert_string_equal(f->w->slices[0].eps[0].node_hints[1], "node-b");
}

/* A Node's primary IPs: InternalIPs before ExternalIPs, one per family. */
static void test_node_addresses(void **state)
{
	struct fx *f = *state;
	const struct svc_node *n;
	int r = load(f, "node.yaml",
		     "apiVersion: v1\n"					/* 1 */
		     "kind: Node\n"					/* 2 */
		     "metadata: {name: node-a}\n"			/* 3 */
		     "status:\n"					/* 4 */
		     "  addresses:\n"					/* 5 */
		     "  - {type: Hostname, address: node-a}\n"		/* 6 */
		     "  - {type: ExternalIP, address: '2001:db8::7'}\n"	/* 7 */
		     "  - {type: ExternalIP, address: 203.0.113.1}\n"	/* 8 */
		     "  - {type: InternalIP, address: 192.0.2.010}\n"	/* 9 */
		     "  - {type: InternalIP, address: 192.0.2.2}\n");	/* 10 */

	assert_no_errors(f, r);
	n = &f->w->nodes[0];
	assert_int_equal(n->nprimary_ips, 2);
	assert_string_equal(addr(&n->primary_ips[0]), "192.0.2.10");
	assert_string_equal(addr(&n->primary_ips[1]), "2001:db8::7");
	r = load(f, "node2.yaml",
		 "apiVersion: v1\n"
		 "kind: Node\n"
		 "metadata: {name: node-b}\n"
		 "status: {addresses: [{type: InternalIP, address: 192.0.2.300}]}\n");
	assert_int_equal(r, 1);
	expect(f, "status.addresses[0].address", SN_ERROR, 4, 50, "Node node-b",
	       "\"192.0.2.300\" is not an IP address");
}

static void test_endpoints_errors(void **state)
{
	struct fx *f = *state;
	const char *obj = "Endpoints default/web";
	int r = load(f, "epe.yaml",
		     "apiVersion: v1\n"				/* 1 */
		     "kind: Endpoints\n"			/* 2 */
		     "metadata: {name: web}\n"			/* 3 */
		     "subsets:\n"				/* 4 */
		     "- addresses:\n"				/* 5 */
		     "  - {ip: 127.0.0.1}\n"			/* 6 */
		     "  - {nodeName: node1}\n"		/* 7 */
		     "  ports:\n"				/* 8 */
		     "  - {name: a}\n"				/* 9 */
		     "  - {port: 80}\n");			/* 10 */

	assert_int_equal(r, 4);
	assert_int_equal(f->w->nslices, 0);
	expect(f, "subsets[0].addresses[0].ip", SN_ERROR, 6, 10, obj,
	       "\"127.0.0.1\" is in the loopback range (127.0.0.0/8) (the API server refuses it)");
	expect(f, "subsets[0].addresses[1].ip", SN_ERROR, 7, 5, obj,
	       "missing (required: the endpoint's IP address)");
	expect(f, "subsets[0].ports[0].port", SN_ERROR, 9, 5, obj,
	       "missing (required: the port number, 1-65535)");
	expect(f, "subsets[0].ports[1].name", SN_ERROR, 10, 5, obj,
	       "missing (required: every port needs a name when a subset has more than one)");
}

/* ---- Nodes ---- */

static void test_node(void **state)
{
	struct fx *f = *state;
	int r = load(f, "node.yaml",
		     "apiVersion: v1\n"
		     "kind: Node\n"
		     "metadata:\n"
		     "  name: node-a.example\n"
		     "  namespace: ignored\n"
		     "  labels: {topology.kubernetes.io/zone: us-east-1a}\n"
		     "---\n"
		     "apiVersion: v1\n"
		     "kind: Node\n"
		     "metadata: {name: node-b}\n"
		     "---\n"
		     "apiVersion: v1\n"
		     "kind: Node\n"
		     "metadata:\n"
		     "  name: node-c\n"
		     "  labels: {topology.kubernetes.io/zone: \"bad zone\"}\n");

	assert_int_equal(r, 1);
	assert_int_equal(f->w->nnodes, 2);
	assert_string_equal(f->w->nodes[0].name, "node-a.example");
	assert_string_equal(f->w->nodes[0].zone, "us-east-1a");
	assert_string_equal(f->w->nodes[1].name, "node-b");
	assert_null(f->w->nodes[1].zone);
	expect(f, "metadata.labels[topology.kubernetes.io/zone]", SN_ERROR, 16, 41, "Node node-c",
	       "\"bad zone\" is not a valid zone name (label value: letters, digits, '-', '_' and "
	       "'.', starting and ending with a letter or digit, at most 63)");
}

/* ---- documents, Lists, kinds ---- */

static void test_multi_document(void **state)
{
	struct fx *f = *state;
	int r = load(f, "multi.yaml",
		     "# leading comment\n"			/* 1 */
		     "---\n"					/* 2 */
		     "---\n"					/* 3: an empty document */
		     "apiVersion: v1\n"				/* 4 */
		     "kind: Service\n"				/* 5 */
		     "metadata: {name: a}\n"			/* 6 */
		     "spec: {ports: [{port: 80}]}\n"		/* 7 */
		     "---\n"					/* 8 */
		     "# only a comment\n"			/* 9 */
		     "...\n"					/* 10 */
		     "---\n"					/* 11 */
		     "apiVersion: apps/v1\n"			/* 12 */
		     "kind: Deployment\n"			/* 13 */
		     "metadata: {name: a}\n"			/* 14 */
		     "---\n"					/* 15 */
		     "apiVersion: v1\n"				/* 16 */
		     "kind: Service\n"				/* 17 */
		     "metadata: {name: b}\n"			/* 18 */
		     "spec: {ports: [{port: -1}]}\n");		/* 19 */

	assert_int_equal(r, 1);
	assert_int_equal(f->w->nsvcs, 1);
	assert_int_equal(f->w->svcs[0].loc.line, 4);
	assert_int_equal(f->w->svcs[0].loc.doc, 2);
	assert_int_equal(f->d.n, 2);
	check(&f->d.recs[0], SN_NOTE, 12, 1, NULL, "skipped: kind Deployment is not read by svcnft");
	assert_int_equal(f->d.recs[0].loc.doc, 4);
	check(&f->d.recs[1], SN_ERROR, 19, 23, "Service default/b",
	      "-1 is not a port (allowed: 1-65535)");
	assert_int_equal(f->d.recs[1].loc.doc, 5);
}

static void test_yaml_syntax_error(void **state)
{
	struct fx *f = *state;
	int r = load(f, "syn.yaml",
		     "apiVersion: v1\n"				/* 1 */
		     "kind: Service\n"				/* 2 */
		     "metadata: {name: a}\n"			/* 3 */
		     "spec: {ports: [{port: 80}]}\n"		/* 4 */
		     "---\n"					/* 5 */
		     "apiVersion: v1\n"				/* 6 */
		     "kind: Service\n"				/* 7 */
		     "metadata:\n"				/* 8 */
		     "  name: b\n"				/* 9 */
		     " spec: {}\n"				/* 10 */
		     "---\n"					/* 11 */
		     "apiVersion: v1\n"				/* 12 */
		     "kind: Service\n"				/* 13 */
		     "metadata: {name: c}\n"			/* 14 */
		     "spec: {ports: [{port: 80}]}\n");		/* 15 */

	/* the document before the error counts, nothing after it */
	assert_int_equal(r, 1);
	assert_int_equal(f->w->nsvcs, 1);
	assert_string_equal(f->w->svcs[0].name, "a");
	check(&f->d.recs[0], SN_ERROR, 10, 2, NULL,
	      "YAML syntax error: did not find expected key (while parsing a block mapping at 6:1)");
	assert_int_equal(f->d.recs[0].loc.doc, 2);
	assert_null(f->d.recs[0].field);
}

static void test_yaml_scanner_error(void **state)
{
	struct fx *f = *state;
	int r = load(f, "tab.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n\tname: a\n");

	assert_int_equal(r, 1);
	check(&f->d.recs[0], SN_ERROR, 4, 1, NULL,
	      "YAML syntax error: found character that cannot start any token (while scanning "
	      "for the next token at 4:1)");
	assert_int_equal(f->d.recs[0].loc.doc, 0);
}

static void test_list(void **state)
{
	struct fx *f = *state;
	int r = load(f, "list.yaml",
		     "apiVersion: v1\n"					/* 1 */
		     "items:\n"						/* 2 */
		     "- apiVersion: v1\n"				/* 3 */
		     "  kind: Service\n"				/* 4 */
		     "  metadata: {name: a}\n"				/* 5 */
		     "  spec: {ports: [{port: 80}]}\n"			/* 6 */
		     "- apiVersion: v1\n"				/* 7 */
		     "  kind: ConfigMap\n"				/* 8 */
		     "  metadata: {name: cm}\n"				/* 9 */
		     "- apiVersion: v1\n"				/* 10 */
		     "  kind: Service\n"				/* 11 */
		     "  metadata: {name: b}\n"				/* 12 */
		     "  spec: {ports: [{port: 99999}]}\n"		/* 13 */
		     "- kind: Service\n"				/* 14 */
		     "- apiVersion: v1\n"				/* 15 */
		     "  kind: List\n"					/* 16 */
		     "  items: [{apiVersion: v1, kind: Node, metadata: {name: n1}}]\n"	/* 17 */
		     "kind: List\n"					/* 18 */
		     "metadata: {resourceVersion: \"\"}\n"		/* 19 */
		     "---\n"						/* 20 */
		     "apiVersion: v1\n"					/* 21 */
		     "kind: ServiceList\n"				/* 22 */
		     "items:\n"						/* 23 */
		     "- metadata: {name: typed}\n"			/* 24 */
		     "  spec: {ports: [{port: 80}]}\n"			/* 25 */
		     "---\n"						/* 26 */
		     "apiVersion: v1\n"					/* 27 */
		     "kind: List\n"					/* 28 */
		     "items: null\n");					/* 29 */

	assert_int_equal(r, 2);
	assert_int_equal(f->w->nsvcs, 2);
	assert_string_equal(f->w->svcs[0].name, "a");
	assert_int_equal(f->w->svcs[0].loc.line, 3);
	assert_int_equal(f->w->svcs[0].loc.col, 3);
	assert_string_equal(f->w->svcs[1].name, "typed");
	assert_int_equal(f->w->nnodes, 1);
	expect(f, "items[1]", SN_NOTE, 7, 3, NULL, "skipped: kind ConfigMap is not read by svcnft");
	expect(f, "spec.ports[0].port", SN_ERROR, 13, 25, "Service default/b",
	       "99999 is not a port (allowed: 1-65535)");
	expect(f, "items[3].apiVersion", SN_ERROR, 14, 3, NULL,
	       "missing (required: v1 for Service)");
}

static void test_kinds_and_versions(void **state)
{
	struct fx *f = *state;
	int r = load(f, "k.yaml",
		     "apiVersion: serving.knative.dev/v1\n"	/* 1 */
		     "kind: Service\n"				/* 2 */
		     "metadata: {name: kn}\n"			/* 3 */
		     "---\n"					/* 4 */
		     "apiVersion: discovery.k8s.io/v1beta1\n"	/* 5 */
		     "kind: EndpointSlice\n"			/* 6 */
		     "metadata: {name: old}\n"			/* 7 */
		     "---\n"					/* 8 */
		     "apiVersion: v1\n"				/* 9 */
		     "metadata: {name: nokind}\n"		/* 10 */
		     "---\n"					/* 11 */
		     "- a list\n"				/* 12 */
		     "---\n"					/* 13 */
		     "apiVersion: v2\n"				/* 14 */
		     "kind: Service\n"				/* 15 */
		     "metadata: {name: v2}\n");			/* 16 */

	assert_int_equal(r, 4);
	check(&f->d.recs[0], SN_NOTE, 1, 1, NULL,
	      "skipped: kind Service of apiVersion serving.knative.dev/v1 is not read by svcnft");
	expect(f, "apiVersion", SN_ERROR, 5, 13, NULL,
	       "\"discovery.k8s.io/v1beta1\" is not read for EndpointSlice (allowed: "
	       "discovery.k8s.io/v1)");
	expect(f, "kind", SN_ERROR, 9, 1, NULL,
	       "missing (required: the object's kind, e.g. Service)");
	check(&f->d.recs[3], SN_ERROR, 12, 1, NULL,
	      "expected a Kubernetes object (a map), got a list");
	check(&f->d.recs[4], SN_ERROR, 14, 13, NULL,
	      "\"v2\" is not read for Service (allowed: v1)");
}

/* ---- JSON ---- */

static void test_json_positions(void **state)
{
	struct fx *f = *state;
	const char *obj = "Service default/web";
	int r = load(f, "svc.json",
		     "{\n"						/* 1 */
		     "  \"apiVersion\": \"v1\",\n"			/* 2 */
		     "  \"kind\": \"Service\",\n"			/* 3 */
		     "  \"metadata\": {\"name\": \"web\"},\n"		/* 4 */
		     "  \"spec\": {\n"					/* 5 */
		     "    \"ports\": [\n"				/* 6 */
		     "      {\"port\": 80, \"protocol\": \"UDP\"},\n"	/* 7 */
		     "      {\"port\": \"81\", \"name\": \"b\", \"nodePort\": 1e9}\n" /* 8 */
		     "    ],\n"						/* 9 */
		     "    \"sessionAffinity\": null,\n"			/* 10 */
		     "    \"clusterIP\": \"\\u00e9\"\n"			/* 11 */
		     "  }\n"						/* 12 */
		     "}\n");						/* 13 */

	assert_int_equal(r, 4);
	expect(f, "spec.ports[0].name", SN_ERROR, 7, 7, obj,
	       "missing (required: every port needs a name when a Service has more than one)");
	expect(f, "spec.ports[1].port", SN_ERROR, 8, 16, obj,
	       "expected an integer, got the string \"81\"");
	expect(f, "spec.ports[1].nodePort", SN_ERROR, 8, 47, obj,
	       "1e9 is not a port (allowed: 1-65535)");
	expect(f, "spec.clusterIP", SN_ERROR, 11, 18, obj,
	       "\"\\xc3\\xa9\" is not an IP address (or \"None\")");
}

static void test_json_list_and_stream(void **state)
{
	struct fx *f = *state;
	int r = load(f, "list.json",
		     "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [\n"
		     "  {\"apiVersion\": \"v1\", \"kind\": \"Service\", \"metadata\": {\"name\": \"a\"},\n"
		     "   \"spec\": {\"ports\": [{\"port\": 80}]}},\n"
		     "  {\"apiVersion\": \"v1\", \"kind\": \"Node\", \"metadata\": {\"name\": \"n\"}}\n"
		     "]}\n"
		     "{\"apiVersion\": \"v1\", \"kind\": \"Service\", \"metadata\": {\"name\": \"b\"},\n"
		     " \"spec\": {\"ports\": [{\"port\": 0}]}}\n");

	assert_int_equal(r, 1);
	assert_int_equal(f->w->nsvcs, 1);
	assert_int_equal(f->w->svcs[0].loc.line, 2);
	assert_int_equal(f->w->svcs[0].loc.col, 3);
	assert_int_equal(f->w->svcs[0].loc.doc, 1);
	assert_int_equal(f->w->nnodes, 1);
	expect(f, "spec.ports[0].port", SN_ERROR, 7, 30, "Service default/b",
	       "0 is not a port (allowed: 1-65535)");
	assert_int_equal(f->d.recs[0].loc.doc, 2);
}

static void test_json_syntax_errors(void **state)
{
	struct fx *f = *state;
	int r;

	r = load(f, "a.json", "{\"apiVersion\": \"v1\",\n \"kind\" \"Service\"}\n");
	assert_int_equal(r, 1);
	check(&f->d.recs[0], SN_ERROR, 2, 9, NULL, "JSON syntax error: unexpected '\"'");

	r = load(f, "b.json", "{\"apiVersion\": \"v1\",\n \"kind\": \"Serv");
	assert_int_equal(r, 1);
	check(&f->d.recs[1], SN_ERROR, 2, 15, NULL,
	      "JSON syntax error: unexpected end of input (an unclosed string, { or [)");

	/* a valid object, then garbage: the object counts */
	r = load(f, "c.json",
		 "{\"apiVersion\": \"v1\", \"kind\": \"Node\", \"metadata\": {\"name\": \"n\"}}\n"
		 "]\n");
	assert_int_equal(r, 1);
	check(&f->d.recs[2], SN_ERROR, 2, 1, NULL, "JSON syntax error: unexpected ']'");
	assert_int_equal(f->d.recs[2].loc.doc, 2);
	assert_int_equal(f->w->nnodes, 1);

	r = load(f, "d.json", "{\"a\": 1, \"a\": 2}");
	assert_int_equal(r, 1);
	check(&f->d.recs[3], SN_ERROR, 1, 10, NULL,
	      "duplicate key \"a\" (first at 1:2; a key may appear once in an object)");

	/* a trailing comma: the culprit is the '}' (cJSON points past it) */
	r = load(f, "e.json", "{\"ports\": [{\"port\": 80,\n  }]}");
	assert_int_equal(r, 1);
	check(&f->d.recs[4], SN_ERROR, 2, 3, NULL, "JSON syntax error: unexpected '}'");

	/* "{}" then garbage as the very last byte is not an end of input */
	r = load(f, "f.json", "{\"a\": {}x");
	assert_int_equal(r, 1);
	check(&f->d.recs[5], SN_ERROR, 1, 9, NULL, "JSON syntax error: unexpected 'x'");
}

/* JSON strings are decoded here, not taken from cJSON, whose C strings end
 * at the first \u0000 and would hide what follows. */
static void test_json_strings(void **state)
{
	struct fx *f = *state;
	int r = load(f, "s.json",
		     "{\"apiVersion\": \"v1\", \"kind\": \"Service\",\n"
		     " \"metadata\": {\"name\": \"api\\u0000evil\"},\n"
		     " \"spec\": {\"ports\": [{\"port\": 80, \"name\": \"h\\u00e9\\ud83d\\ude00\"}]}}\n");

	assert_int_equal(r, 2);
	check(&f->d.recs[0], SN_ERROR, 2, 23, "Service default/\"api\\x00evil\"",
	      "\"api\\x00evil\" contains a control character (byte 0x00 at offset 3; not allowed in "
	      "any field svcnft reads)");
	check(&f->d.recs[1], SN_ERROR, 3, 42, "Service default/\"api\\x00evil\"",
	      "\"h\\xc3\\xa9\\xf0\\x9f\\x98\\x80\" is not a valid port name (RFC 1123 label: "
	      "lowercase letters, digits and '-', starting and ending with a letter or digit, at "
	      "most 63)");
}

/* ---- duplicates ---- */

static void test_duplicates(void **state)
{
	struct fx *f = *state;
	const char *svc_a = "apiVersion: v1\n"
			    "kind: Service\n"
			    "metadata: {name: web}\n"
			    "spec: {ports: [{port: 80}]}\n";
	int r;

	r = load(f, "a.yaml", "# first\n\n---\napiVersion: v1\nkind: Service\n"
			      "metadata: {name: web}\nspec: {ports: [{port: 80}]}\n");
	assert_no_errors(f, r);
	r = load(f, "b.yaml", svc_a);
	assert_int_equal(r, 1);
	check(&f->d.recs[0], SN_ERROR, 1, 1, "Service default/web",
	      "duplicate Service default/web (first defined at a.yaml:4:1)");
	assert_int_equal(f->w->nsvcs, 1);
	assert_int_equal(f->w->svcs[0].loc.line, 4);

	/* another namespace, another kind: not duplicates */
	r = load(f, "c.yaml",
		 "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: x}\n"
		 "spec: {ports: [{port: 80}]}\n"
		 "---\n"
		 "apiVersion: v1\nkind: Endpoints\nmetadata: {name: web}\n"
		 "---\n"
		 "apiVersion: v1\nkind: Node\nmetadata: {name: web}\n"
		 "---\n"
		 "apiVersion: v1\nkind: Node\nmetadata: {name: web}\n");
	assert_int_equal(r, 1);
	check(&f->d.recs[1], SN_ERROR, 14, 1, "Node web",
	      "duplicate Node web (first defined at c.yaml:10:1)");
	assert_int_equal(f->w->nsvcs, 2);
	assert_int_equal(f->w->nnodes, 1);
}

static void test_directory(void **state)
{
	struct fx *f = *state;
	const char *paths[] = { DATA "/tree", DATA "/kubectl/clusterip.yaml", DATA "/missing" };
	int r = input_load(paths, 3, f->w, &f->d);

	assert_int_equal(r, 1);
	assert_int_equal(f->w->nsvcs, 6);
	/* byte order of names, recursing in place; hidden and *.txt skipped */
	assert_string_equal(f->w->svcs[0].name, "first");
	assert_string_equal(f->w->svcs[1].name, "second");
	assert_string_equal(f->w->svcs[2].name, "upper");
	assert_string_equal(f->w->svcs[3].name, "in-sub");
	assert_string_equal(f->w->svcs[4].name, "last");
	assert_string_equal(f->w->svcs[5].name, "web");
	assert_string_equal(f->w->svcs[3].loc.file, DATA "/tree/sub/a.json");
	assert_int_equal(f->w->svcs[3].loc.line, 1);
	assert_int_equal(f->w->nslices, 1);
	assert_true(f->w->slices[0].from_endpoints);
	assert_string_equal(f->d.recs[0].loc.file, DATA "/missing");
	assert_int_equal(f->d.recs[0].loc.line, 0);
	assert_string_equal(f->d.recs[0].msg, "cannot read: No such file or directory");
}

static void test_directory_links(void **state)
{
	struct fx *f = *state;
	char dir[] = "/tmp/svcnft-test-input-XXXXXX", path[64], link[64];
	const char *paths[] = { dir, "/dev/null" };
	FILE *fp;
	int r;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a.yaml", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("apiVersion: v1\nkind: Node\nmetadata: {name: node-1}\n", fp);
	fclose(fp);
	/* a link back to the directory itself must not loop */
	snprintf(link, sizeof(link), "%s/loop", dir);
	assert_int_equal(symlink(".", link), 0);

	r = input_load(paths, 2, f->w, &f->d);
	unlink(link);
	unlink(path);
	rmdir(dir);

	assert_int_equal(r, 1);
	assert_int_equal(f->w->nnodes, 1);
	assert_int_equal(f->d.n, 2);
	assert_int_equal(f->d.recs[0].sev, SN_WARNING);
	assert_string_equal(f->d.recs[0].msg, "skipped: a link back to an enclosing directory");
	assert_string_equal(f->d.recs[1].loc.file, "/dev/null");
	assert_string_equal(f->d.recs[1].msg,
			    "is neither a file nor a directory (allowed: manifest files and "
			    "directories of them)");
}

static void test_stdin(void **state)
{
	struct fx *f = *state;
	const char *paths[] = { "-" };
	int fd = open(DATA "/kubectl/clusterip.json", O_RDONLY), saved = dup(STDIN_FILENO), r;

	assert_true(fd >= 0 && saved >= 0);
	assert_int_equal(dup2(fd, STDIN_FILENO), STDIN_FILENO);
	close(fd);
	r = input_load(paths, 1, f->w, &f->d);
	dup2(saved, STDIN_FILENO);
	close(saved);
	assert_no_errors(f, r);
	assert_int_equal(f->w->nsvcs, 1);
	assert_string_equal(f->w->svcs[0].name, "web-json");
	assert_string_equal(f->w->svcs[0].loc.file, INPUT_STDIN_NAME);
	assert_int_equal(f->w->svcs[0].loc.line, 1);
}

/* ---- YAML typing, aliases, limits ---- */

static void test_yaml_typing(void **state)
{
	struct fx *f = *state;
	const struct svc_service *s;
	int r = load(f, "ty.yaml",
		     "apiVersion: v1\n"				/* 1 */
		     "kind: Service\n"				/* 2 */
		     "metadata: {name: web}\n"			/* 3 */
		     "spec:\n"					/* 4 */
		     "  ports:\n"				/* 5 */
		     "  - {name: a, port: 0x50, targetPort: 8_080}\n"	/* 6 */
		     "  - {name: b, port: 81.0, targetPort: !!str 82}\n"	/* 7 */
		     "  - {name: c, port: !!int \"83\", targetPort: ~}\n"	/* 8 */
		     "  - {name: yes, port: 84}\n"		/* 9 */
		     "  - {name: 'on', port: 85, protocol: null}\n");	/* 10 */

	assert_int_equal(r, 2);
	expect(f, "spec.ports[1].targetPort", SN_ERROR, 7, 39, "Service default/web",
	       "\"82\" is not a valid port name (a quoted number is a name to Kubernetes; write 82 "
	       "without quotes for a port number)");
	expect(f, "spec.ports[3].name", SN_ERROR, 9, 12, "Service default/web",
	       "expected a string, got the boolean true (write \"yes\" in quotes for a string)");

	/* the same without the two mistakes */
	sn_diag_free(&f->d);
	sn_diag_init(&f->d);
	r = load(f, "ty2.yaml",
		 "apiVersion: v1\n"
		 "kind: Service\n"
		 "metadata: {name: web2}\n"
		 "spec:\n"
		 "  ports:\n"
		 "  - {name: a, port: 0x50, targetPort: 8_080}\n"
		 "  - {name: b, port: 81.0}\n"
		 "  - {name: c, port: !!int \"83\", targetPort: ~}\n"
		 "  - {name: 'on', port: 85, protocol: null}\n");
	assert_no_errors(f, r);
	s = svc(f, "default", "web2");
	assert_int_equal(s->ports[0].port, 80);
	assert_int_equal(s->ports[0].target_port, 8080);
	assert_int_equal(s->ports[1].port, 81);
	assert_int_equal(s->ports[2].port, 83);
	assert_int_equal(s->ports[2].target_port, 83);
	assert_string_equal(s->ports[3].name, "on");
	assert_int_equal(s->ports[3].proto, IPPROTO_TCP);
}

static void test_aliases(void **state)
{
	struct fx *f = *state;
	const struct svc_service *s;
	int r = load(f, "al.yaml",
		     "apiVersion: v1\n"
		     "kind: Service\n"
		     "metadata: {name: web, labels: &l {app: web}}\n"
		     "spec:\n"
		     "  selector: *l\n"
		     "  ports:\n"
		     "  - &p {name: a, port: 80, protocol: UDP}\n"
		     "  - <<: *p\n"
		     "    name: b\n"
		     "    protocol: TCP\n");

	assert_no_errors(f, r);
	s = svc(f, "default", "web");
	assert_int_equal(s->nports, 2);
	assert_string_equal(s->ports[1].name, "b");
	assert_int_equal(s->ports[1].port, 80);
	assert_int_equal(s->ports[1].proto, IPPROTO_TCP);

	r = load(f, "al2.yaml", "a: *nope\n");
	assert_int_equal(r, 1);
	check(&f->d.recs[0], SN_ERROR, 1, 4, NULL,
	      "alias *\"nope\" names no anchor (an &anchor must be defined, and complete, before "
	      "its alias)");
}

static void test_alias_bomb(void **state)
{
	struct fx *f = *state;
	struct sn_buf b;
	int i, j, r;

	/* nine levels of ten aliases each: a billion nodes if expanded */
	sn_buf_init(&b);
	sn_buf_add(&b, "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
	for (i = 1; i < 10; i++) {
		sn_buf_printf(&b, "a%d: &a%d [", i, i);
		for (j = 0; j < 10; j++)
			sn_buf_printf(&b, "%s*a%d", j ? ", " : "", i - 1);
		sn_buf_add(&b, "]\n");
	}
	r = input_load_buffer("bomb.yaml", b.s, b.len, f->w, &f->d);
	assert_int_equal(r, 1);
	assert_int_equal(f->d.recs[0].loc.line, 6);	/* a5: 10 x 111,111 */
	assert_string_equal(f->d.recs[0].msg,
			    "aliases expand to more than 1000000 nodes in this document (refused "
			    "as an alias bomb)");
	sn_buf_free(&b);
}

static void test_depth_limit(void **state)
{
	struct fx *f = *state;
	struct sn_buf b;
	int i, r;

	sn_buf_init(&b);
	for (i = 0; i < 100000; i++)
		sn_buf_addc(&b, '[');
	for (i = 0; i < 100000; i++)
		sn_buf_addc(&b, ']');
	r = input_load_buffer("deep.yaml", b.s, b.len, f->w, &f->d);
	assert_int_equal(r, 1);
	check(&f->d.recs[0], SN_ERROR, 1, 65, NULL,
	      "nesting deeper than 64 levels (allowed: at most 64 maps and lists inside each other)");

	r = input_load_buffer("deep.json", b.s, b.len, f->w, &f->d);
	assert_int_equal(r, 1);
	check(&f->d.recs[1], SN_ERROR, 1, 65, NULL,
	      "nesting deeper than 64 levels (allowed: at most 64 objects and arrays inside each "
	      "other)");

	/* 64 levels are fine (and are not an object) */
	sn_buf_reset(&b);
	for (i = 0; i < 64; i++)
		sn_buf_addc(&b, '[');
	for (i = 0; i < 64; i++)
		sn_buf_addc(&b, ']');
	r = input_load_buffer("ok.json", b.s, b.len, f->w, &f->d);
	assert_int_equal(r, 1);
	check(&f->d.recs[2], SN_ERROR, 1, 1, NULL,
	      "expected a Kubernetes object (a map), got a list");
	sn_buf_free(&b);
}

static void test_control_characters(void **state)
{
	struct fx *f = *state;
	int r = load(f, "cc.yaml",
		     "apiVersion: v1\n"
		     "kind: Service\n"
		     "metadata: {name: \"web\\nx\"}\n"
		     "spec: {ports: [{port: 80, name: \"a\\u0000b\"}]}\n");

	assert_int_equal(r, 2);
	check(&f->d.recs[0], SN_ERROR, 3, 18, "Service default/\"web\\nx\"",
	      "\"web\\nx\" contains a control character (byte 0x0a at offset 3; not allowed in any "
	      "field svcnft reads)");
	check(&f->d.recs[1], SN_ERROR, 4, 33, "Service default/\"web\\nx\"",
	      "\"a\\x00b\" contains a control character (byte 0x00 at offset 1; not allowed in any "
	      "field svcnft reads)");
}

static void test_duplicate_key(void **state)
{
	struct fx *f = *state;
	int r = load(f, "dk.yaml",
		     "apiVersion: v1\n"
		     "kind: Service\n"
		     "metadata: {name: web}\n"
		     "spec:\n"
		     "  ports: [{port: 80}]\n"
		     "  ports: [{port: 81}]\n");

	assert_int_equal(r, 1);
	check(&f->d.recs[0], SN_ERROR, 6, 3, NULL,
	      "duplicate key \"ports\" (first at 5:3; a key may appear once in a map)");
	assert_int_equal(f->w->nsvcs, 0);
}

static void test_error_cap(void **state)
{
	struct fx *f = *state;
	struct sn_buf b;
	int i, r;

	sn_buf_init(&b);
	sn_buf_add(&b, "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports:\n");
	for (i = 0; i < 100; i++)
		sn_buf_printf(&b, "  - {name: p%d, port: %d}\n", i, 70000 + i);
	r = input_load_buffer("cap.yaml", b.s, b.len, f->w, &f->d);
	sn_buf_free(&b);
	/* every error counts, the first 50 are shown */
	assert_int_equal(f->d.n, 51);
	assert_int_equal(r, 50);
	check(&f->d.recs[50], SN_NOTE, 1, 1, "Service default/web",
	      "50 more errors in this object not shown");
}

/* ---- KubeProxyConfiguration ---- */

static void test_kpconfig(void **state)
{
	struct fx *f = *state;
	struct input_kpconfig cfg;
	const char *text =
		"apiVersion: kubeproxy.config.k8s.io/v1alpha1\n"
		"kind: KubeProxyConfiguration\n"
		"mode: nftables\n"
		"hostnameOverride: \" Node-A \"\n"
		"clusterCIDR: 10.244.0.0/16, fd00:10:244::/56\n"
		"iptables: {masqueradeAll: false, masqueradeBit: 14}\n"
		"nftables: {masqueradeAll: true, masqueradeBit: 15}\n"
		"nodePortAddresses: [198.51.100.0/24, '2001:db8::/64']\n"
		"conntrack: {maxPerCore: 32768}\n";
	int r = input_load_kpconfig_buffer("kp.yaml", text, strlen(text), &cfg, &f->d);

	assert_no_errors(f, r);
	assert_true(cfg.has_hostname_override);
	assert_string_equal(cfg.hostname_override, "node-a");
	assert_true(cfg.has_cluster_cidr);
	assert_int_equal(cfg.ncluster_cidrs, 2);
	assert_string_equal(addr(&cfg.cluster_cidrs[0]), "10.244.0.0/16");
	assert_string_equal(addr(&cfg.cluster_cidrs[1]), "fd00:10:244::/56");
	assert_true(cfg.has_masquerade_all);
	assert_true(cfg.masquerade_all);	/* nftables wins */
	assert_true(cfg.has_masquerade_bit);
	assert_int_equal(cfg.masquerade_bit, 15);
	assert_true(cfg.has_nodeport_addresses);
	assert_int_equal(cfg.nnodeport_addrs, 2);
	assert_string_equal(addr(&cfg.nodeport_addrs[1]), "2001:db8::/64");
	input_kpconfig_free(&cfg);
	assert_null(cfg.hostname_override);
}

static void test_kpconfig_kubeadm(void **state)
{
	struct fx *f = *state;
	struct input_kpconfig cfg;
	const char *text =
		"apiVersion: kubeadm.k8s.io/v1beta3\n"
		"kind: ClusterConfiguration\n"
		"---\n"
		"apiVersion: kubeproxy.config.k8s.io/v1alpha1\n"
		"kind: KubeProxyConfiguration\n"
		"detectLocal: {clusterCIDRs: ['fd00::/48', 10.0.0.0/8]}\n"
		"iptables: {masqueradeAll: true}\n";
	int r = input_load_kpconfig_buffer("kubeadm.yaml", text, strlen(text), &cfg, &f->d);

	assert_no_errors(f, r);
	assert_int_equal(f->d.n, 1);
	check(&f->d.recs[0], SN_NOTE, 1, 1, NULL,
	      "skipped: kind \"ClusterConfiguration\" is not a KubeProxyConfiguration");
	assert_false(cfg.has_hostname_override);
	assert_int_equal(cfg.ncluster_cidrs, 2);
	assert_int_equal(cfg.cluster_cidrs[0].family, SN_AF_INET6);
	assert_true(cfg.masquerade_all);
	assert_false(cfg.has_masquerade_bit);
	assert_false(cfg.has_nodeport_addresses);
	input_kpconfig_free(&cfg);
}

static void test_kpconfig_errors(void **state)
{
	struct fx *f = *state;
	struct input_kpconfig cfg;
	const char *obj = "KubeProxyConfiguration";
	const char *text =
		"apiVersion: kubeproxy.config.k8s.io/v1alpha1\n"		/* 1 */
		"kind: KubeProxyConfiguration\n"				/* 2 */
		"hostnameOverride: bad_name\n"					/* 3 */
		"clusterCIDR: 10.0.0.0/8,10.1.0.0/16,fd00::/129\n"		/* 4 */
		"nftables: {masqueradeBit: 32, masqueradeAll: 1}\n"		/* 5 */
		"nodePortAddresses: [primary, 198.51.100.1]\n"			/* 6 */
		"detectLocalMode: NodeCIDR\n";					/* 7 */
	int r = input_load_kpconfig_buffer("kp.yaml", text, strlen(text), &cfg, &f->d);

	assert_int_equal(r, 7);
	expect(f, "hostnameOverride", SN_ERROR, 3, 19, obj,
	       "\"bad_name\" is not a valid node name (RFC 1123 subdomain: lowercase letters, "
	       "digits, '-' and '.', starting and ending with a letter or digit, at most 253)");
	check(&f->d.recs[1], SN_ERROR, 4, 14, obj,
	      "\"10.1.0.0/16\" is a second IPv4 CIDR (allowed: at most one per family)");
	check(&f->d.recs[2], SN_ERROR, 4, 14, obj,
	      "\"fd00::/129\" is not a CIDR (like 198.18.0.0/15 or 2001:db8::/48)");
	assert_string_equal(f->d.recs[2].field, "clusterCIDR");
	expect(f, "nftables.masqueradeBit", SN_ERROR, 5, 27, obj,
	       "32 is out of range (allowed: 0-31)");
	expect(f, "nftables.masqueradeAll", SN_ERROR, 5, 46, obj,
	       "expected a boolean (true or false), got the integer 1");
	expect(f, "nodePortAddresses[0]", SN_ERROR, 6, 21, obj,
	       "\"primary\" must be the only entry (it may not be combined with CIDRs)");
	expect(f, "nodePortAddresses[1]", SN_ERROR, 6, 30, obj,
	       "\"198.51.100.1\" is not a CIDR (like 198.51.100.0/24 or 2001:db8::/64)");
	expect(f, "detectLocalMode", SN_WARNING, 7, 18, obj,
	       "\"NodeCIDR\" is not supported: svcnft detects local traffic by clusterCIDR");
	assert_int_equal(cfg.ncluster_cidrs, 1);
	assert_false(cfg.nodeport_primary);
	input_kpconfig_free(&cfg);
}

/* nodePortAddresses: [primary], kube-proxy's nftables-mode default */
static void test_kpconfig_primary(void **state)
{
	struct fx *f = *state;
	struct input_kpconfig cfg;
	const char *text =
		"apiVersion: kubeproxy.config.k8s.io/v1alpha1\n"
		"kind: KubeProxyConfiguration\n"
		"nodePortAddresses: [primary]\n";
	int r = input_load_kpconfig_buffer("kp.yaml", text, strlen(text), &cfg, &f->d);

	assert_int_equal(r, 0);
	assert_true(cfg.has_nodeport_addresses);
	assert_true(cfg.nodeport_primary);
	assert_int_equal(cfg.nnodeport_addrs, 0);
	input_kpconfig_free(&cfg);
}

static void test_kpconfig_missing(void **state)
{
	struct fx *f = *state;
	struct input_kpconfig cfg;
	const char *text = "{\"apiVersion\": \"kubeproxy.config.k8s.io/v1alpha2\",\n"
			   " \"kind\": \"KubeProxyConfiguration\"}";
	int r;

	r = input_load_kpconfig_buffer("kp.json", text, strlen(text), &cfg, &f->d);
	assert_int_equal(r, 1);
	check(&f->d.recs[0], SN_ERROR, 1, 16, "KubeProxyConfiguration",
	      "\"kubeproxy.config.k8s.io/v1alpha2\" is not read (allowed: "
	      "kubeproxy.config.k8s.io/v1alpha1)");

	r = input_load_kpconfig_buffer("empty.yaml", "", 0, &cfg, &f->d);
	assert_int_equal(r, 1);
	check(&f->d.recs[1], SN_ERROR, 0, 0, NULL,
	      "no KubeProxyConfiguration in this file (kind: KubeProxyConfiguration, apiVersion: "
	      "kubeproxy.config.k8s.io/v1alpha1)");

	r = input_load_kpconfig(DATA "/does-not-exist.yaml", &cfg, &f->d);
	assert_int_equal(r, 1);
	assert_string_equal(f->d.recs[2].msg, "cannot open: No such file or directory");
	input_kpconfig_free(&cfg);
	input_kpconfig_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_kubectl_generated),
		T(test_service_defaults),
		T(test_service_errors),
		T(test_service_wrong_types),
		T(test_service_names),
		T(test_service_port_rules),
		T(test_service_port_ranges),
		T(test_service_missing_ports),
		T(test_unknown_fields),
		T(test_cluster_ips),
		T(test_cluster_ip_errors),
		T(test_cluster_ip_none),
		T(test_skip_reasons),
		T(test_external_name_errors),
		T(test_load_balancer),
		T(test_load_balancer_errors),
		T(test_external_ips_special),
		T(test_sloppy_addresses),
		T(test_slice),
		T(test_slice_errors),
		T(test_slice_skipped),
		T(test_slice_orphan_label),
		T(test_endpoints),
		T(test_endpoints_skipped),
		T(test_endpoints_errors),
		T(test_node_addresses),
		T(test_endpoints_not_mirrored),
		T(test_slice_node_hints),
		T(test_node),
		T(test_multi_document),
		T(test_yaml_syntax_error),
		T(test_yaml_scanner_error),
		T(test_list),
		T(test_kinds_and_versions),
		T(test_json_positions),
		T(test_json_list_and_stream),
		T(test_json_syntax_errors),
		T(test_json_strings),
		T(test_duplicates),
		T(test_directory),
		T(test_directory_links),
		T(test_stdin),
		T(test_yaml_typing),
		T(test_aliases),
		T(test_alias_bomb),
		T(test_depth_limit),
		T(test_control_characters),
		T(test_duplicate_key),
		T(test_error_cap),
		T(test_kpconfig),
		T(test_kpconfig_kubeadm),
		T(test_kpconfig_errors),
		T(test_kpconfig_primary),
		T(test_kpconfig_missing),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
