// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tests/unit/test_reconcile.c: reconcile/ without a kernel (dry run: the
 * batches are built, not sent). The proof that incremental syncs are
 * sound: random sequences of changes to a cluster (Services of every type
 * added, changed and deleted; slices; endpoints ready, serving,
 * terminating, here or elsewhere; affinity with two timeouts; eTP and iTP
 * Local; IPv4, IPv6 and dual stack; external IPs and VIPs two Services
 * claim; shared endpoint addresses), each synced with rc_sync naming only
 * the Services changed, and after every step the in-memory view must be
 * exactly what a fresh compile of the whole world gives (rs_diff empty).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "compiler/compile.h"
#include "input/input.h"
#include "reconcile/reconcile.h"

#define MAX_SVCS 64

struct ep {
	unsigned host;		/* 198.19.H.x / 2001:db8:19::H:x */
	unsigned x;
	bool ready, serving, terminating, local;
};

struct svc {
	bool used;
	unsigned id, ns;
	int type;		/* 0 ClusterIP, 1 NodePort, 2 LoadBalancer, 3 headless */
	int fam;		/* 0 IPv4, 1 IPv6, 2 dual */
	unsigned created;
	bool two_ports, affinity, short_timeout, etp_local, itp_local, ranges;
	unsigned ext[2], next;	/* external IPs from a pool of 4: claims collide */
	unsigned vip;		/* 0 = none, else 203.0.113.vip */
	struct ep eps[5];
	unsigned neps;
};

struct cluster {
	struct svc s[MAX_SVCS];
	unsigned next_id;
	unsigned seed;
};

static unsigned rnd(struct cluster *c, unsigned n)
{
	c->seed = c->seed * 1103515245u + 12345u;
	return ((c->seed >> 8) & 0xffffff) % n;
}

static void name_of(const struct svc *s, char *buf, size_t len)
{
	snprintf(buf, len, "ns%u/s%u", s->ns, s->id);
}

static void random_eps(struct cluster *c, struct svc *s)
{
	s->neps = rnd(c, 6) % 5;
	for (unsigned i = 0; i < s->neps; i++) {
		struct ep *e = &s->eps[i];

		/* one in four from a pool every Service may use: the hairpin
		 * set then holds elements two Services emit */
		e->host = rnd(c, 4) ? s->id + 1 : 250;
		e->x = e->host == 250 ? 1 + rnd(c, 3) : i + 1;
		e->ready = rnd(c, 4) != 0;
		e->serving = e->ready || rnd(c, 2);
		e->terminating = !e->ready && rnd(c, 2);
		e->local = rnd(c, 2);
	}
}

static void random_svc(struct cluster *c, struct svc *s)
{
	s->type = (int)rnd(c, 7) % 4;
	if (rnd(c, 3) == 0 && s->type == 3)
		s->type = 0;
	s->fam = (int)rnd(c, 3);
	s->created = 1 + rnd(c, 5);	/* ties are broken by name */
	s->two_ports = rnd(c, 2);
	s->affinity = rnd(c, 3) == 0;
	s->short_timeout = rnd(c, 2);
	s->etp_local = rnd(c, 3) == 0;
	s->itp_local = rnd(c, 4) == 0;
	s->ranges = rnd(c, 2);
	s->next = rnd(c, 3);
	for (unsigned i = 0; i < 2; i++)
		s->ext[i] = 1 + rnd(c, 4);
	s->vip = s->type == 2 && rnd(c, 4) ? 1 + rnd(c, 4) : 0;
	random_eps(c, s);
}

static void ep_addr(const struct ep *e, bool v6, char *buf, size_t len)
{
	if (v6)
		snprintf(buf, len, "2001:db8:19::%x:%x", e->host, e->x);
	else
		snprintf(buf, len, "198.19.%u.%u", e->host, e->x);
}

static void put_slice(struct sn_buf *b, const struct svc *s, bool v6)
{
	sn_buf_printf(b, "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
		      "metadata: {name: s%u-%s, namespace: ns%u, labels: "
		      "{kubernetes.io/service-name: s%u}}\naddressType: %s\n",
		      s->id, v6 ? "v6" : "v4", s->ns, s->id, v6 ? "IPv6" : "IPv4");
	sn_buf_printf(b, "ports: [{name: http, port: 8080, protocol: TCP}%s]\n",
		      s->two_ports ? ", {name: dns, port: 5353, protocol: UDP}" : "");
	sn_buf_printf(b, "endpoints:%s\n", s->neps ? "" : " []");
	for (unsigned i = 0; i < s->neps; i++) {
		const struct ep *e = &s->eps[i];
		char a[64];

		ep_addr(e, v6, a, sizeof(a));
		sn_buf_printf(b, "- addresses: [\"%s\"]\n  conditions: {ready: %s, serving: %s, "
			      "terminating: %s}\n  nodeName: %s\n", a, e->ready ? "true" : "false",
			      e->serving ? "true" : "false", e->terminating ? "true" : "false",
			      e->local ? "node-a" : "node-b");
	}
}

static void put_svc(struct sn_buf *b, const struct svc *s)
{
	static const char *const types[] = { "ClusterIP", "NodePort", "LoadBalancer", "ClusterIP" };
	bool np = s->type == 1 || s->type == 2;

	sn_buf_printf(b, "---\napiVersion: v1\nkind: Service\nmetadata: {name: s%u, namespace: ns%u, "
		      "creationTimestamp: \"2025-01-0%uT00:00:00Z\"}\nspec:\n  type: %s\n",
		      s->id, s->ns, s->created, types[s->type]);
	if (s->type == 3) {
		sn_buf_add(b, "  clusterIP: None\n");
	} else if (s->fam == 0) {
		sn_buf_printf(b, "  clusterIPs: [198.18.%u.%u]\n", s->id / 200, s->id % 200 + 1);
	} else if (s->fam == 1) {
		sn_buf_printf(b, "  clusterIPs: [\"2001:db8:18::%x\"]\n  ipFamilies: [IPv6]\n",
			      s->id + 1);
	} else {
		sn_buf_printf(b, "  clusterIPs: [198.18.%u.%u, \"2001:db8:18::%x\"]\n"
			      "  ipFamilies: [IPv4, IPv6]\n  ipFamilyPolicy: RequireDualStack\n",
			      s->id / 200, s->id % 200 + 1, s->id + 1);
	}
	sn_buf_printf(b, "  ports:\n  - {name: http, port: 80, protocol: TCP, targetPort: 8080%s",
		      np ? "" : "}\n");
	if (np)
		sn_buf_printf(b, ", nodePort: %u}\n", 30000 + s->id * 2);
	if (s->two_ports) {
		sn_buf_printf(b, "  - {name: dns, port: 53, protocol: UDP, targetPort: 5353%s",
			      np ? "" : "}\n");
		if (np)
			sn_buf_printf(b, ", nodePort: %u}\n", 30001 + s->id * 2);
	}
	if (s->next && s->type != 3) {
		sn_buf_printf(b, "  externalIPs: [203.0.113.%u", s->ext[0]);
		if (s->next > 1)
			sn_buf_printf(b, ", 203.0.113.%u", s->ext[1]);
		sn_buf_add(b, "]\n");
	}
	if (s->affinity)
		sn_buf_printf(b, "  sessionAffinity: ClientIP\n%s",
			      s->short_timeout ? "  sessionAffinityConfig: {clientIP: "
						 "{timeoutSeconds: 60}}\n" : "");
	if (s->etp_local && np)
		sn_buf_add(b, "  externalTrafficPolicy: Local\n");
	if (s->itp_local)
		sn_buf_add(b, "  internalTrafficPolicy: Local\n");
	if (s->type == 2 && s->ranges)
		sn_buf_add(b, "  loadBalancerSourceRanges: [192.0.2.0/24, \"2001:db8:5::/64\"]\n");
	if (s->vip)
		sn_buf_printf(b, "status: {loadBalancer: {ingress: [{ip: 203.0.113.%u}]}}\n", s->vip);
	if (s->fam != 1)
		put_slice(b, s, false);
	if (s->fam != 0)
		put_slice(b, s, true);
}

static struct svc_world *world_of(const struct cluster *c, const struct comp_opts *o)
{
	struct svc_world *w = svc_world_alloc();
	struct sn_diag d;
	struct sn_buf b;

	sn_buf_init(&b);
	sn_buf_add(&b, "apiVersion: v1\nkind: Node\nmetadata: {name: node-a}\n");
	for (unsigned i = 0; i < MAX_SVCS; i++)
		if (c->s[i].used)
			put_svc(&b, &c->s[i]);
	sn_diag_init(&d);
	if (getenv("RC_DUMP"))
		fprintf(stderr, "%s\n", b.s);
	input_load_buffer("cluster.yaml", b.s, b.len, w, &d);
	comp_prepare(w, o, &d);
	if (d.errors) {
		sn_diag_print(&d, stderr);
		fprintf(stderr, "%s\n", b.s);
	}
	assert_int_equal(d.errors, 0);
	sn_diag_free(&d);
	sn_buf_free(&b);
	return w;
}

static void opts(struct comp_opts *o)
{
	comp_opts_init(o);
	o->node_name = sn_strdup("node-a");
	assert_int_equal(sn_prefix_parse(&o->cluster_cidrs[0], "198.19.0.0/16", false), 0);
	assert_int_equal(sn_prefix_parse(&o->cluster_cidrs[1], "2001:db8:19::/64", false), 0);
	o->ncluster_cidrs = 2;
	assert_int_equal(sn_prefix_parse(&o->service_cidrs[0], "198.18.0.0/16", false), 0);
	assert_int_equal(sn_prefix_parse(&o->service_cidrs[1], "2001:db8:18::/112", false), 0);
	o->nservice_cidrs = 2;
}

/* The view equals what the compiler makes of the whole world. */
static void expect_view_is_compile(struct rc *rc, const struct svc_world *w,
				   const struct comp_opts *o, unsigned step)
{
	struct comp_stats st;
	struct rs_ruleset *want;
	struct sn_diag d;
	struct rs_diff df;

	sn_diag_init(&d);
	want = comp_build(w, o, &st, &d);
	sn_diag_free(&d);
	assert_non_null(want);
	assert_non_null(rc_view(rc));
	rs_diff(want, rc_view(rc), true, &df);
	if (!rs_diff_empty(&df)) {
		fprintf(stderr, "step %u: the view is not the compiled ruleset:\n", step);
		rs_diff_print(stderr, &df);
	}
	assert_true(rs_diff_empty(&df));
	rs_diff_free(&df);
	/* and the batches sent so far made the kernel the same */
	rs_diff(want, rc_dry_kernel(rc), true, &df);
	if (!rs_diff_empty(&df)) {
		fprintf(stderr, "step %u: the kernel is not the compiled ruleset:\n", step);
		rs_diff_print(stderr, &df);
	}
	assert_true(rs_diff_empty(&df));
	rs_diff_free(&df);
	rs_ruleset_free(want);
}

static void run_random(unsigned seed, unsigned steps)
{
	struct cluster *c = calloc(1, sizeof(*c));
	struct comp_opts o;
	struct rc_report rep;
	struct svc_world *w;
	struct rc *rc;
	unsigned incremental = 0;

	opts(&o);
	c->seed = seed;
	for (unsigned i = 0; i < 12; i++) {
		struct svc *s = &c->s[i];

		s->used = true;
		s->id = c->next_id++;
		s->ns = rnd(c, 2);
		random_svc(c, s);
	}
	rc = rc_new(NULL, &o);
	w = world_of(c, &o);
	rc_report_init(&rep);
	assert_int_equal(rc_full_sync(rc, w, false, &rep), 0);
	assert_null(rep.warnings);	/* the parts add up: the index is on */
	rc_report_free(&rep);
	expect_view_is_compile(rc, w, &o, 0);

	for (unsigned step = 1; step <= steps; step++) {
		char names[4][32];
		const char *changed[4];
		unsigned n = 1 + rnd(c, 3);

		for (unsigned k = 0; k < n; k++) {
			struct svc *s = &c->s[rnd(c, MAX_SVCS)];
			unsigned what = rnd(c, 10);

			if (!s->used) {
				s->used = true;
				s->id = c->next_id++;
				s->ns = rnd(c, 2);
				random_svc(c, s);
			} else if (what < 5) {
				random_eps(c, s);		/* endpoint churn */
			} else if (what < 7) {
				random_svc(c, s);		/* anything */
			} else if (what < 8) {
				s->ext[0] = 1 + rnd(c, 4);	/* claims move */
				s->next = 1 + rnd(c, 2);
				s->created = 1 + rnd(c, 5);
			} else {
				name_of(s, names[k], sizeof(names[k]));
				s->used = false;		/* deleted */
				changed[k] = names[k];
				continue;
			}
			name_of(s, names[k], sizeof(names[k]));
			changed[k] = names[k];
		}
		svc_world_free(w);
		w = world_of(c, &o);
		rc_report_init(&rep);
		if (step % 97 == 0) {
			assert_int_equal(rc_sync_all(rc, w, &rep), 0);
		} else {
			assert_int_equal(rc_sync(rc, w, changed, n, &rep), 0);
			incremental += rep.incremental;
		}
		assert_int_not_equal(rep.status, RC_FAILED);
		rc_report_free(&rep);
		expect_view_is_compile(rc, w, &o, step);
	}
	/* nearly every step took the incremental path (a table going away
	 * is the only reason not to) */
	assert_true(incremental > steps * 8 / 10);
	rc_free(rc);
	svc_world_free(w);
	comp_opts_free(&o);
	free(c);
}

static void test_random_seed1(void **state)
{
	run_random(1, 400);
}

static void test_random_seed2(void **state)
{
	run_random(20261205, 400);
}

static void test_random_seed3(void **state)
{
	run_random(77, 400);
}

/* An endpoint change costs that Service: one Service recompiled, and
 * element changes only (no chain touched). */
static void test_endpoint_change_is_small(void **state)
{
	struct cluster *c = calloc(1, sizeof(*c));
	struct comp_opts o;
	struct rc_report rep;
	struct svc_world *w;
	const char *changed[1] = { "ns0/s3" };
	struct rc *rc;

	opts(&o);
	c->seed = 5;
	for (unsigned i = 0; i < 30; i++) {
		struct svc *s = &c->s[i];

		s->used = true;
		s->id = c->next_id++;
		s->ns = 0;
		random_svc(c, s);
		s->type = 0;
		s->fam = 0;
		s->affinity = false;
		s->itp_local = false;
		s->next = 0;
		s->neps = 3;
		for (unsigned k = 0; k < 3; k++)
			s->eps[k] = (struct ep){ .host = s->id + 1, .x = k + 1, .ready = true,
						 .serving = true };
	}
	rc = rc_new(NULL, &o);
	w = world_of(c, &o);
	rc_report_init(&rep);
	assert_int_equal(rc_full_sync(rc, w, false, &rep), 0);
	rc_report_free(&rep);

	c->s[3].eps[1].x = 9;	/* one endpoint replaced */
	svc_world_free(w);
	w = world_of(c, &o);
	rc_report_init(&rep);
	assert_int_equal(rc_sync(rc, w, changed, 1, &rep), 0);
	assert_true(rep.incremental);
	assert_int_equal(rep.status, RC_APPLIED);
	assert_int_equal(rep.services_compiled, 1);
	assert_int_equal(rep.chains_added + rep.chains_deleted + rep.chains_replaced, 0);
	/* the map element of that index and the hairpin pair: out and in */
	assert_true(rep.elems_added >= 1 && rep.elems_added <= 4);
	assert_int_equal(rep.elems_added, rep.elems_deleted);
	rc_report_free(&rep);
	expect_view_is_compile(rc, w, &o, 1);

	/* nothing changed: nothing to send */
	rc_report_init(&rep);
	assert_int_equal(rc_sync(rc, w, changed, 1, &rep), 0);
	assert_int_equal(rep.status, RC_NOTHING);
	rc_report_free(&rep);
	rc_free(rc);
	svc_world_free(w);
	comp_opts_free(&o);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_endpoint_change_is_small),
		cmocka_unit_test(test_random_seed1),
		cmocka_unit_test(test_random_seed2),
		cmocka_unit_test(test_random_seed3),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
