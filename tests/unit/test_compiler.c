// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for compiler/: the model in, the ruleset out, no kernel and no
 * manifests. Each test builds a small world by hand and asserts on the
 * rules a user's packets would meet, printed in nft syntax.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <netinet/in.h>

#include "compiler/compile.h"
#include "compiler/internal.h"

/* ---- building worlds ---- */

static struct sn_addr A(const char *s)
{
	struct sn_addr a;

	assert_int_equal(sn_prefix_parse(&a, s, false), 0);
	return a;
}

static struct svc_service *svc(struct svc_world *w, const char *ns, const char *name,
			       enum svc_type type, const char *cip)
{
	struct svc_service *s = svc_world_add_service(w);

	s->ns = sn_strdup(ns);
	s->name = sn_strdup(name);
	s->type = type;
	if (cip) {
		s->cluster_ips[0] = A(cip);
		s->ncluster_ips = 1;
	}
	s->affinity_timeout = COMP_AFFINITY_TIMEOUT_DEFAULT;
	return s;
}

static struct svc_port *port(struct svc_service *s, const char *name, uint8_t proto,
			     uint16_t p, uint16_t target)
{
	struct svc_port *sp;

	s->ports = sn_realloc(s->ports, (s->nports + 1) * sizeof(*s->ports));
	sp = &s->ports[s->nports++];
	memset(sp, 0, sizeof(*sp));
	sp->name = sn_strdup(name);
	sp->proto = proto;
	sp->port = p;
	sp->target_port = target;
	return sp;
}

static struct svc_slice *slice(struct svc_world *w, const char *ns, const char *name,
			       const char *service, const char *pname, uint8_t proto, uint16_t p)
{
	struct svc_slice *sl = svc_world_add_slice(w);

	sl->ns = sn_strdup(ns);
	sl->name = sn_strdup(name);
	sl->service = sn_strdup(service);
	sl->family = SN_AF_INET;
	sl->ports = sn_calloc(1, sizeof(*sl->ports));
	sl->nports = 1;
	sl->ports[0].name = sn_strdup(pname);
	sl->ports[0].proto = proto;
	sl->ports[0].port = p;
	return sl;
}

enum { READY = 1, SERVING = 2, TERMINATING = 4 };

static struct svc_endpoint *ep(struct svc_slice *sl, const char *addr, unsigned cond,
			       const char *node)
{
	struct svc_endpoint *e;

	sl->eps = sn_realloc(sl->eps, (sl->neps + 1) * sizeof(*sl->eps));
	e = &sl->eps[sl->neps++];
	memset(e, 0, sizeof(*e));
	e->addr = A(addr);
	if (e->addr.family == SN_AF_INET6)
		sl->family = SN_AF_INET6;
	e->ready = cond & READY;
	e->serving = cond & SERVING;
	e->terminating = cond & TERMINATING;
	e->node_name = node ? sn_strdup(node) : NULL;
	return e;
}

struct fx {
	struct svc_world *w;
	struct comp_opts o;
	struct sn_diag d;
	struct rs_ruleset *rs;
	struct comp_stats st;
};

static int setup(void **state)
{
	struct fx *f = sn_calloc(1, sizeof(*f));

	f->w = svc_world_alloc();
	comp_opts_init(&f->o);
	f->o.node_name = sn_strdup("node-a");
	f->o.cluster_cidrs[0] = A("198.19.0.0/16");
	f->o.ncluster_cidrs = 1;
	f->o.service_cidrs[0] = A("198.18.0.0/16");
	f->o.nservice_cidrs = 1;
	sn_diag_init(&f->d);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	rs_ruleset_free(f->rs);
	svc_world_free(f->w);
	comp_opts_free(&f->o);
	sn_diag_free(&f->d);
	free(f);
	return 0;
}

static void compile_ok(struct fx *f)
{
	assert_int_equal(comp_prepare(f->w, &f->o, &f->d), 0);
	f->rs = comp_build(f->w, &f->o, &f->st, &f->d);
	if (f->d.errors)
		sn_diag_print(&f->d, stderr);
	assert_int_equal(f->d.errors, 0);
	assert_non_null(f->rs);
}

static const struct rs_table *table(struct fx *f, enum rs_family fam)
{
	return rs_ruleset_find_table(f->rs, fam, COMP_TABLE);
}

/* The rules of a chain, printed one per line. */
static char *chain_text(struct fx *f, enum rs_family fam, const char *name)
{
	const struct rs_table *t = table(f, fam);
	const struct rs_chain *c;
	struct sn_buf b;
	uint32_t i;

	assert_non_null(t);
	c = rs_table_find_chain(t, name);
	if (!c)
		return NULL;
	sn_buf_init(&b);
	sn_buf_add(&b, "");
	for (i = 0; i < c->n; i++) {
		rs_print_rule(&b, fam, &c->rules[i]);
		sn_buf_add(&b, "\n");
	}
	return sn_buf_steal(&b);
}

static void assert_chain(struct fx *f, enum rs_family fam, const char *name, const char *want)
{
	char *got = chain_text(f, fam, name);

	if (!got)
		fail_msg("chain %s is missing", name);
	if (strcmp(got, want))
		fail_msg("chain %s:\n--- want\n%s--- got\n%s", name, want, got);
	free(got);
}

/* Elements of a set, printed one per line. */
static char *set_text(struct fx *f, enum rs_family fam, const char *name)
{
	const struct rs_table *t = table(f, fam);
	const struct rs_set *s = rs_table_find_set(t, name);
	struct sn_buf b;
	size_t i;

	if (!s)
		return NULL;
	sn_buf_init(&b);
	sn_buf_add(&b, "");
	for (i = 0; i < s->n; i++) {
		rs_print_elem(&b, fam, s, &s->elems[i]);
		sn_buf_add(&b, "\n");
	}
	return sn_buf_steal(&b);
}

static void assert_set(struct fx *f, enum rs_family fam, const char *name, const char *want)
{
	char *got = set_text(f, fam, name);

	if (!got)
		fail_msg("set %s is missing", name);
	if (strcmp(got, want))
		fail_msg("set %s:\n--- want\n%s--- got\n%s", name, want, got);
	free(got);
}

static bool has_diag(struct fx *f, enum sn_severity sev, const char *needle)
{
	size_t i;

	for (i = 0; i < f->d.n; i++)
		if (f->d.recs[i].sev == sev && strstr(f->d.recs[i].msg, needle))
			return true;
	return false;
}

static bool has_error(struct fx *f, const char *needle)
{
	return has_diag(f, SN_ERROR, needle);
}

static bool has_warning(struct fx *f, const char *needle)
{
	return has_diag(f, SN_WARNING, needle);
}

static void add_ips(struct sn_addr **v, unsigned *n, const char *const *ips)
{
	for (; *ips; ips++) {
		*v = sn_realloc(*v, (*n + 1) * sizeof(**v));
		(*v)[(*n)++] = A(*ips);
	}
}

static void add_vips(struct svc_service *s, const char *const *ips)
{
	for (; *ips; ips++) {
		s->lb_ingress = sn_realloc(s->lb_ingress, (s->nlb_ingress + 1) * sizeof(*s->lb_ingress));
		memset(&s->lb_ingress[s->nlb_ingress], 0, sizeof(*s->lb_ingress));
		s->lb_ingress[s->nlb_ingress++].ip = A(*ips);
	}
}

#define IPS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* ---- tests ---- */

/* Three ready endpoints: the frontend in clusterip-frontends, three
 * elements FRONTEND . i : EP_i in the map of three-endpoint choices (in
 * address order, whatever the slice order), each with the Service's name,
 * and common rules only: the masquerade mark for off-cluster sources and
 * the one lookup of that map. */
static void test_clusterip_choice(void **state)
{
	struct fx *f = *state;
	struct svc_service *s = svc(f->w, "default", "web", SVC_CLUSTER_IP, "198.18.0.10");
	struct svc_slice *sl;

	port(s, "http", IPPROTO_TCP, 80, 8080);
	sl = slice(f->w, "default", "web-abc", "web", "http", IPPROTO_TCP, 8080);
	ep(sl, "198.19.1.3", READY, "node-b");
	ep(sl, "198.19.1.1", READY, "node-a");
	ep(sl, "198.19.1.2", READY, NULL);
	compile_ok(f);

	assert_set(f, RS_IP, "clusterip-frontends",
		   "198.18.0.10 . tcp . 80 comment \"default/web port http 80/tcp\"\n");
	assert_set(f, RS_IP, "endpoints-3",
		   "198.18.0.10 . tcp . 80 . 0 comment \"default/web port http 80/tcp\" : 198.19.1.1 . 8080\n"
		   "198.18.0.10 . tcp . 80 . 1 comment \"default/web port http 80/tcp\" : 198.19.1.2 . 8080\n"
		   "198.18.0.10 . tcp . 80 . 2 comment \"default/web port http 80/tcp\" : 198.19.1.3 . 8080\n");
	assert_chain(f, RS_IP, "clusterip",
		     "ip saddr != 198.19.0.0/16 meta mark set meta mark | 0x00004000\n"
		     "jump pick-endpoints-3\n"
		     "meta l4proto tcp reject with tcp reset comment \"no endpoints\"\n"
		     "reject comment \"no endpoints\"\n");
	/* the lookup, alone in its chain: rewriting clusterip never binds the
	 * map again (docs/ruleset.md) */
	assert_chain(f, RS_IP, "pick-endpoints-3",
		     "dnat ip to ip daddr . meta l4proto . th dport . numgen random mod 3 map @endpoints-3\n");
	assert_chain(f, RS_IP, "services",
		     "ip daddr . meta l4proto . th dport @clusterip-frontends goto clusterip\n"
		     "ip daddr @cluster-ips goto reject-chain\n"
		     "ip daddr 198.18.0.0/16 drop\n");
	assert_set(f, RS_IP, "cluster-ips", "198.18.0.10 comment \"default/web\"\n");
	assert_set(f, RS_IP, "hairpin",
		   "198.19.1.1 . 198.19.1.1\n198.19.1.2 . 198.19.1.2\n198.19.1.3 . 198.19.1.3\n");
	assert_null(rs_table_find_chain(table(f, RS_IP), "external"));
	assert_null(rs_table_find_set(table(f, RS_IP), "service-ips"));
	assert_null(rs_ruleset_find_table(f->rs, RS_IP6, COMP_TABLE));
}

/* Uniform choice: the rule draws numgen random mod n and the frontend has
 * exactly one element per index 0..n-1, each a different endpoint, so
 * every endpoint has probability 1/n. A second Service with the same count
 * shares the map and the rule; one with another count gets its own. */
static void test_choice_uniform(void **state)
{
	struct fx *f = *state;
	struct svc_service *s = svc(f->w, "default", "many", SVC_CLUSTER_IP, "198.18.0.11");
	struct svc_service *t = svc(f->w, "default", "more", SVC_CLUSTER_IP, "198.18.0.12");
	struct svc_service *u = svc(f->w, "default", "two", SVC_CLUSTER_IP, "198.18.0.13");
	struct svc_slice *sl = slice(f->w, "default", "many-1", "many", "", IPPROTO_UDP, 53);
	struct svc_slice *sl2 = slice(f->w, "default", "more-1", "more", "", IPPROTO_UDP, 53);
	struct svc_slice *sl3 = slice(f->w, "default", "two-1", "two", "", IPPROTO_UDP, 53);
	const struct rs_set *m;
	const struct rs_chain *c;
	bool seen[7] = { false };
	char addr[32];
	unsigned i, rules = 0;

	port(s, "", IPPROTO_UDP, 53, 53);
	port(t, "", IPPROTO_UDP, 53, 53);
	port(u, "", IPPROTO_UDP, 53, 53);
	for (i = 0; i < 7; i++) {
		snprintf(addr, sizeof(addr), "198.19.2.%u", i + 1);
		ep(sl, addr, READY, NULL);
		snprintf(addr, sizeof(addr), "198.19.3.%u", i + 1);
		ep(sl2, addr, READY, NULL);
	}
	ep(sl3, "198.19.4.1", READY, NULL);
	ep(sl3, "198.19.4.2", READY, NULL);
	compile_ok(f);
	m = rs_table_find_set(table(f, RS_IP), "endpoints-7");
	assert_non_null(m);
	assert_int_equal(m->tkey.len, 4);
	assert_int_equal(m->tkey.field[3], RS_F_NUMGEN);
	assert_int_equal(m->tkey.mod, 7);
	assert_int_equal(m->n, 14);	/* two frontends of seven */
	for (i = 0; i < 7; i++) {
		const struct rs_elem *e = &m->elems[i];	/* 198.18.0.11's, sorted by key */

		assert_int_equal(e->key[3].num, i);
		assert_int_equal(e->data[0].addr.a[2], 2);
		assert_false(seen[e->data[0].addr.a[3] - 1]);
		seen[e->data[0].addr.a[3] - 1] = true;
	}
	assert_non_null(rs_table_find_set(table(f, RS_IP), "endpoints-2"));
	c = rs_table_find_chain(table(f, RS_IP), "clusterip");
	assert_non_null(c);
	for (i = 0; i < c->n; i++) {
		const struct rs_stmt *st = &c->rules[i].stmts[0];
		const struct rs_chain *pick;

		if (st->type != RS_S_VERDICT || st->verdict.code != RS_V_JUMP)
			continue;
		rules++;
		pick = rs_table_find_chain(table(f, RS_IP), st->verdict.chain);
		assert_non_null(pick);
		assert_int_equal(pick->n, 1);
		st = &pick->rules[0].stmts[0];
		assert_int_equal(st->type, RS_S_DNAT_MAP);
		assert_int_equal(st->key.field[st->key.len - 1], RS_F_NUMGEN);
		assert_string_equal(st->set, st->key.mod == 7 ? "endpoints-7" : "endpoints-2");
	}
	assert_int_equal(rules, 2);	/* one per count in use, not per Service */
}

/* A map bigger than --shard-elements is split by the low bits of the
 * frontend's address (a NodePort's port), each shard behind its own pick
 * chain; every element keeps its key, data and comment, in the shard its
 * address selects; a small map is not split. The hairpin set splits by the
 * source address. */
static void test_shards(void **state)
{
	struct fx *f = *state;
	static const char *const ips[] = { "198.18.0.16", "198.18.0.17", "198.18.0.18",
					   "198.18.0.35" };
	const struct rs_table *t;
	const struct rs_set *m, *d;
	const struct rs_chain *c;
	char name[32], addr[48];
	size_t total = 0;
	unsigned i, k;

	for (i = 0; i < SN_ARRAY_SIZE(ips); i++) {
		struct svc_service *s;
		struct svc_slice *sl;

		snprintf(name, sizeof(name), "s%u", i);
		s = svc(f->w, "default", name, SVC_CLUSTER_IP, ips[i]);
		port(s, "http", IPPROTO_TCP, 80, 8080);
		snprintf(addr, sizeof(addr), "%s-1", name);
		sl = slice(f->w, "default", addr, name, "http", IPPROTO_TCP, 8080);
		for (k = 0; k < 3; k++) {
			snprintf(addr, sizeof(addr), "198.19.%u.%u", i, k + 1);
			ep(sl, addr, READY, "node-b");
		}
	}
	{
		/* a lone Service with 2 endpoints: its map stays whole */
		struct svc_service *s = svc(f->w, "default", "two", SVC_CLUSTER_IP, "198.18.1.1");
		struct svc_slice *sl = slice(f->w, "default", "two-1", "two", "http", IPPROTO_TCP,
					     8080);

		port(s, "http", IPPROTO_TCP, 80, 8080);
		ep(sl, "198.19.9.1", READY, "node-b");
		ep(sl, "198.19.9.2", READY, "node-b");
	}
	f->o.shard_elems = 4;	/* 12 elements of endpoints-3: 4 shards */
	compile_ok(f);
	t = table(f, RS_IP);

	assert_null(rs_table_find_set(t, "endpoints-3"));
	d = rs_table_find_set(t, "endpoints-3/shards");
	assert_non_null(d);
	/* .16 and .17 and .18 and .35 & 3: shards 0, 1, 2, 3 */
	assert_set(f, RS_IP, "endpoints-3/shards",
		   "0.0.0.0 : goto pick-endpoints-3/0\n"
		   "0.0.0.1 : goto pick-endpoints-3/1\n"
		   "0.0.0.2 : goto pick-endpoints-3/2\n"
		   "0.0.0.3 : goto pick-endpoints-3/3\n");
	assert_chain(f, RS_IP, "pick-endpoints-3", "ip daddr & 0.0.0.3 vmap @endpoints-3/shards\n");
	for (k = 0; k < 4; k++) {
		snprintf(name, sizeof(name), "endpoints-3/%u", k);
		m = rs_table_find_set(t, name);
		assert_non_null(m);
		assert_int_equal(m->tkey.mod, 3);
		assert_int_equal(m->tkey.field[3], RS_F_NUMGEN);
		for (i = 0; i < m->n; i++) {
			assert_int_equal(m->elems[i].key[0].addr.a[3] & 3, k);
			assert_non_null(m->elems[i].comment);
		}
		total += m->n;
		snprintf(name, sizeof(name), "pick-endpoints-3/%u", k);
		c = rs_table_find_chain(t, name);
		assert_non_null(c);
		assert_int_equal(c->n, 1);
		assert_int_equal(c->rules[0].stmts[0].type, RS_S_DNAT_MAP);
		snprintf(name, sizeof(name), "endpoints-3/%u", k);
		assert_string_equal(c->rules[0].stmts[0].set, name);
	}
	assert_int_equal(total, 12);	/* nothing lost, nothing doubled */
	assert_set(f, RS_IP, "endpoints-3/3",
		   "198.18.0.35 . tcp . 80 . 0 comment \"default/s3 port http 80/tcp\" : 198.19.3.1 . 8080\n"
		   "198.18.0.35 . tcp . 80 . 1 comment \"default/s3 port http 80/tcp\" : 198.19.3.2 . 8080\n"
		   "198.18.0.35 . tcp . 80 . 2 comment \"default/s3 port http 80/tcp\" : 198.19.3.3 . 8080\n");
	/* 4 elements: not more than 4, one map */
	assert_non_null(rs_table_find_set(t, "endpoints-2"));
	assert_null(rs_table_find_set(t, "endpoints-2/shards"));
	assert_chain(f, RS_IP, "pick-endpoints-2",
		     "dnat ip to ip daddr . meta l4proto . th dport . numgen random mod 2 map @endpoints-2\n");
	/* 14 endpoint addresses, 4 shards by the source: .1 .2 .3 fall in 1-3;
	 * shard 0 exists empty (the objects depend on the count alone) */
	assert_null(rs_table_find_set(t, "hairpin"));
	assert_non_null(rs_table_find_set(t, "hairpin/0"));
	assert_int_equal(rs_table_find_set(t, "hairpin/0")->n, 0);
	assert_set(f, RS_IP, "hairpin/shards",
		   "0.0.0.0 : goto hairpin/0\n0.0.0.1 : goto hairpin/1\n"
		   "0.0.0.2 : goto hairpin/2\n0.0.0.3 : goto hairpin/3\n");
	assert_chain(f, RS_IP, "hairpin/2", "ip saddr . ip daddr @hairpin/2 masquerade fully-random\n");
	c = rs_table_find_chain(t, "nat-postrouting");
	assert_non_null(c);
	assert_int_equal(c->n, 2);
	assert_int_equal(c->rules[1].stmts[1].type, RS_S_VMAP);
	assert_int_equal(c->rules[1].stmts[1].num, 3);
	assert_string_equal(c->rules[1].stmts[1].set, "hairpin/shards");
}

/* Not-ready endpoints are never used; serving+terminating ones only when
 * no endpoint is ready. */
static void test_ready_terminating_fallback(void **state)
{
	struct fx *f = *state;
	struct svc_service *s = svc(f->w, "default", "a", SVC_CLUSTER_IP, "198.18.0.20");
	struct svc_service *t = svc(f->w, "default", "b", SVC_CLUSTER_IP, "198.18.0.21");
	struct svc_slice *sl;

	port(s, "", IPPROTO_TCP, 80, 80);
	port(t, "", IPPROTO_TCP, 80, 80);
	sl = slice(f->w, "default", "a-1", "a", "", IPPROTO_TCP, 80);
	ep(sl, "198.19.0.1", READY | SERVING, NULL);
	ep(sl, "198.19.0.2", SERVING | TERMINATING, NULL);
	ep(sl, "198.19.0.3", 0, NULL);
	sl = slice(f->w, "default", "b-1", "b", "", IPPROTO_TCP, 80);
	ep(sl, "198.19.0.4", SERVING | TERMINATING, NULL);
	ep(sl, "198.19.0.5", TERMINATING, NULL);
	ep(sl, "198.19.0.6", 0, NULL);
	compile_ok(f);
	assert_set(f, RS_IP, "endpoints-1",
		   "198.18.0.20 . tcp . 80 . 0 comment \"default/a port 80/tcp\" : 198.19.0.1 . 80\n"
		   "198.18.0.21 . tcp . 80 . 0 comment \"default/b port 80/tcp\" : 198.19.0.4 . 80\n");
	assert_null(rs_table_find_set(table(f, RS_IP), "endpoints-2"));
}

/* No endpoints: the frontends are dispatched to their role chains, where no
 * map has them; the end of the chain refuses: TCP clients get a reset at
 * once, UDP an ICMP error. */
static void test_no_endpoints_reject(void **state)
{
	struct fx *f = *state;
	struct svc_service *s = svc(f->w, "ns1", "empty", SVC_NODE_PORT, "198.18.0.30");
	struct svc_port *p;

	p = port(s, "tcp", IPPROTO_TCP, 80, 80);
	p->node_port = 30080;
	port(s, "udp", IPPROTO_UDP, 53, 53)->node_port = 30053;
	compile_ok(f);
	assert_chain(f, RS_IP, "clusterip",
		     "ip saddr != 198.19.0.0/16 meta mark set meta mark | 0x00004000\n"
		     "meta l4proto tcp reject with tcp reset comment \"no endpoints\"\n"
		     "reject comment \"no endpoints\"\n");
	assert_chain(f, RS_IP, "nodeport",
		     "meta mark set meta mark | 0x00004000\n"
		     "meta l4proto tcp reject with tcp reset comment \"no endpoints\"\n"
		     "reject comment \"no endpoints\"\n");
	assert_set(f, RS_IP, "clusterip-frontends",
		   "198.18.0.30 . tcp . 80 comment \"ns1/empty port tcp 80/tcp\"\n"
		   "198.18.0.30 . udp . 53 comment \"ns1/empty port udp 53/udp\"\n");
	assert_set(f, RS_IP, "nodeport-frontends",
		   "tcp . 30080 comment \"ns1/empty port tcp 80/tcp\"\n"
		   "udp . 30053 comment \"ns1/empty port udp 53/udp\"\n");
	assert_null(rs_table_find_set(table(f, RS_IP), "no-local-endpoints"));
}

/* internalTrafficPolicy Local: ClusterIP traffic only to this node's
 * endpoints (the local maps), dropped when there are none here (but some
 * elsewhere). */
static void test_itp_local(void **state)
{
	struct fx *f = *state;
	struct svc_service *s = svc(f->w, "default", "loc", SVC_CLUSTER_IP, "198.18.0.40");
	struct svc_service *t = svc(f->w, "default", "far", SVC_CLUSTER_IP, "198.18.0.41");
	struct svc_slice *sl;

	s->itp_local = t->itp_local = true;
	port(s, "", IPPROTO_TCP, 80, 80);
	port(t, "", IPPROTO_TCP, 80, 80);
	sl = slice(f->w, "default", "loc-1", "loc", "", IPPROTO_TCP, 80);
	ep(sl, "198.19.0.1", READY, "node-a");
	ep(sl, "198.19.0.2", READY, "node-b");
	sl = slice(f->w, "default", "far-1", "far", "", IPPROTO_TCP, 80);
	ep(sl, "198.19.0.3", READY, "node-b");
	compile_ok(f);
	assert_set(f, RS_IP, "local-endpoints-1",
		   "198.18.0.40 . tcp . 80 . 0 comment \"default/loc port 80/tcp\" : 198.19.0.1 . 80\n");
	assert_null(rs_table_find_set(table(f, RS_IP), "endpoints-2"));
	assert_set(f, RS_IP, "no-local-endpoints", "198.18.0.41 . tcp . 80 comment \"default/far port 80/tcp\"\n");
	assert_chain(f, RS_IP, "clusterip",
		     "ip saddr != 198.19.0.0/16 meta mark set meta mark | 0x00004000\n"
		     "jump pick-local-endpoints-1\n"
		     "ip daddr . meta l4proto . th dport @no-local-endpoints drop comment \"Local policy: no local endpoints\"\n"
		     "meta l4proto tcp reject with tcp reset comment \"no endpoints\"\n"
		     "reject comment \"no endpoints\"\n");
}

/* externalTrafficPolicy Local on a LoadBalancer: pods and the node use
 * every endpoint (the node masqueraded) through the -pods chains,
 * outside clients only local ones with their source kept; source ranges
 * filter the VIP, not the NodePort. */
static void test_etp_local_lb(void **state)
{
	struct fx *f = *state;
	struct svc_service *s = svc(f->w, "shop", "ingress", SVC_LOAD_BALANCER, "198.18.0.50");
	struct svc_slice *sl;

	s->etp_local = true;
	s->lb_ingress = sn_calloc(2, sizeof(*s->lb_ingress));
	s->lb_ingress[0].ip = A("203.0.113.10");
	s->lb_ingress[1].ip = A("203.0.113.11");
	s->lb_ingress[1].proxy_mode = true;
	s->nlb_ingress = 2;
	s->source_ranges = sn_calloc(2, sizeof(*s->source_ranges));
	s->source_ranges[0] = A("198.51.100.0/24");
	s->source_ranges[1] = A("2001:db8::/32");
	s->nsource_ranges = 2;
	port(s, "https", IPPROTO_TCP, 443, 8443)->node_port = 31443;
	sl = slice(f->w, "shop", "ingress-1", "ingress", "https", IPPROTO_TCP, 8443);
	ep(sl, "198.19.1.40", READY, "node-a");
	ep(sl, "198.19.2.40", READY, "node-b");
	compile_ok(f);
	assert_chain(f, RS_IP, "external-local",
		     "ip saddr 198.19.0.0/16 goto external-local-pods\n"
		     "fib saddr type local meta mark set meta mark | 0x00004000 goto external-local-pods\n"
		     "jump pick-local-endpoints-1\n"
		     "meta l4proto tcp reject with tcp reset comment \"no endpoints\"\n"
		     "reject comment \"no endpoints\"\n");
	assert_chain(f, RS_IP, "external-local-pods",
		     "jump pick-endpoints-2\n"
		     "meta l4proto tcp reject with tcp reset comment \"no endpoints\"\n"
		     "reject comment \"no endpoints\"\n");
	/* the VIP: its local choice for outside, the cluster-wide one for pods
	 * and the node; the ClusterIP the cluster-wide one (iTP Cluster) */
	assert_set(f, RS_IP, "local-endpoints-1",
		   "203.0.113.10 . tcp . 443 . 0 comment \"shop/ingress port https 443/tcp\" : 198.19.1.40 . 8443\n");
	assert_set(f, RS_IP, "endpoints-2",
		   "198.18.0.50 . tcp . 443 . 0 comment \"shop/ingress port https 443/tcp\" : 198.19.1.40 . 8443\n"
		   "198.18.0.50 . tcp . 443 . 1 comment \"shop/ingress port https 443/tcp\" : 198.19.2.40 . 8443\n"
		   "203.0.113.10 . tcp . 443 . 0 comment \"shop/ingress port https 443/tcp\" : 198.19.1.40 . 8443\n"
		   "203.0.113.10 . tcp . 443 . 1 comment \"shop/ingress port https 443/tcp\" : 198.19.2.40 . 8443\n");
	assert_set(f, RS_IP, "nodeport-local-endpoints-1",
		   "tcp . 31443 . 0 comment \"shop/ingress port https 443/tcp\" : 198.19.1.40 . 8443\n");
	/* ipMode Proxy is not a VIP */
	assert_set(f, RS_IP, "external-local-frontends",
		   "203.0.113.10 . tcp . 443 comment \"shop/ingress port https 443/tcp\"\n");
	assert_set(f, RS_IP, "firewall-ips", "203.0.113.10 . tcp . 443 comment \"shop/ingress port https 443/tcp\"\n");
	assert_set(f, RS_IP, "firewall-allow",
		   "203.0.113.10 . tcp . 443 . 198.51.100.0/24 comment \"shop/ingress port https 443/tcp\"\n");
	assert_set(f, RS_IP, "nodeport-local-frontends", "tcp . 31443 comment \"shop/ingress port https 443/tcp\"\n");
	assert_chain(f, RS_IP, "services",
		     "ip daddr . meta l4proto . th dport @firewall-ips ip daddr . meta l4proto . th dport . ip saddr != @firewall-allow drop\n"
		     "ip daddr . meta l4proto . th dport @clusterip-frontends goto clusterip\n"
		     "ip daddr . meta l4proto . th dport @external-local-frontends goto external-local\n"
		     "fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport @nodeport-local-frontends goto nodeport-local\n"
		     "ip daddr @cluster-ips goto reject-chain\n"
		     "ip daddr 198.18.0.0/16 drop\n");
}

/* eTP Cluster: every external packet is marked for masquerade and takes
 * the cluster-wide choice. */
static void test_etp_cluster_external_ip(void **state)
{
	struct fx *f = *state;
	struct svc_service *s = svc(f->w, "default", "ext", SVC_CLUSTER_IP, "198.18.0.60");
	struct svc_slice *sl;

	s->external_ips = sn_calloc(1, sizeof(*s->external_ips));
	s->external_ips[0] = A("203.0.113.20");
	s->nexternal_ips = 1;
	port(s, "", IPPROTO_TCP, 80, 80);
	sl = slice(f->w, "default", "ext-1", "ext", "", IPPROTO_TCP, 80);
	ep(sl, "198.19.0.9", READY, "node-b");
	compile_ok(f);
	assert_chain(f, RS_IP, "external",
		     "meta mark set meta mark | 0x00004000\n"
		     "jump pick-endpoints-1\n"
		     "meta l4proto tcp reject with tcp reset comment \"no endpoints\"\n"
		     "reject comment \"no endpoints\"\n");
	assert_set(f, RS_IP, "external-frontends", "203.0.113.20 . tcp . 80 comment \"default/ext port 80/tcp\"\n");
	assert_set(f, RS_IP, "endpoints-1",
		   "198.18.0.60 . tcp . 80 . 0 comment \"default/ext port 80/tcp\" : 198.19.0.9 . 80\n"
		   "203.0.113.20 . tcp . 80 . 0 comment \"default/ext port 80/tcp\" : 198.19.0.9 . 80\n");
}

/* sessionAffinity ClientIP: the role chains consult the affinity map first,
 * for affinity frontends only; nat-postrouting records new connections to
 * the frontends of each timeout. */
static void test_affinity(void **state)
{
	struct fx *f = *state;
	struct svc_service *s = svc(f->w, "shop", "backend", SVC_NODE_PORT, "198.18.0.70");
	struct svc_slice *sl;

	s->affinity = true;
	s->affinity_timeout = 3600;
	port(s, "http", IPPROTO_TCP, 8080, 8000)->node_port = 30800;
	sl = slice(f->w, "shop", "backend-1", "backend", "http", IPPROTO_TCP, 8000);
	ep(sl, "198.19.1.20", READY, "node-a");
	ep(sl, "198.19.2.20", READY, "node-b");
	compile_ok(f);
	assert_chain(f, RS_IP, "clusterip",
		     "ip saddr != 198.19.0.0/16 meta mark set meta mark | 0x00004000\n"
		     "jump pin\n"
		     "jump pick-endpoints-2\n"
		     "meta l4proto tcp reject with tcp reset comment \"no endpoints\"\n"
		     "reject comment \"no endpoints\"\n");
	assert_chain(f, RS_IP, "nodeport",
		     "meta mark set meta mark | 0x00004000\n"
		     "jump pin-nodeports\n"
		     "jump pick-nodeport-endpoints-2\n"
		     "meta l4proto tcp reject with tcp reset comment \"no endpoints\"\n"
		     "reject comment \"no endpoints\"\n");
	assert_chain(f, RS_IP, "pin",
		     "ip daddr . meta l4proto . th dport @affinity-frontends dnat ip to ip saddr . ip daddr . meta l4proto . th dport map @affinity\n");
	assert_chain(f, RS_IP, "pin-nodeports",
		     "meta l4proto . th dport @affinity-nodeports dnat ip to ip saddr . ip daddr . meta l4proto . th dport map @affinity\n");
	assert_set(f, RS_IP, "affinity-frontends", "198.18.0.70 . tcp . 8080 comment \"shop/backend port http 8080/tcp\"\n");
	assert_set(f, RS_IP, "affinity-frontends-3600", "198.18.0.70 . tcp . 8080 comment \"shop/backend port http 8080/tcp\"\n");
	assert_set(f, RS_IP, "affinity-nodeports-3600", "tcp . 30800 comment \"shop/backend port http 8080/tcp\"\n");
	assert_chain(f, RS_IP, "nat-postrouting",
		     "meta l4proto tcp ct status dnat ct original ip daddr . meta l4proto . ct original proto-dst @affinity-frontends-3600 update @affinity { ip saddr . ct original ip daddr . meta l4proto . ct original proto-dst timeout 3600s : ip daddr . th dport }\n"
		     "meta l4proto tcp ct status dnat meta l4proto . ct original proto-dst @affinity-nodeports-3600 update @affinity { ip saddr . ct original ip daddr . meta l4proto . ct original proto-dst timeout 3600s : ip daddr . th dport }\n"
		     "meta mark & 0x00004000 == 0x00004000 meta mark set meta mark & 0xffffbfff masquerade fully-random\n"
		     "ct status dnat ip saddr . ip daddr @hairpin masquerade fully-random\n");
	{
		const struct rs_set *m = rs_table_find_set(table(f, RS_IP), "affinity");

		assert_non_null(m);
		assert_true(m->elems_runtime);
		assert_int_equal(m->flags & (RS_SET_DYNAMIC | RS_SET_TIMEOUT),
				 RS_SET_DYNAMIC | RS_SET_TIMEOUT);
	}
}

/* Without affinity, firewall, NodePorts or hairpin candidates the table
 * carries none of their sets or rules. */
static void test_minimal_table(void **state)
{
	struct fx *f = *state;
	struct svc_service *s = svc(f->w, "default", "only", SVC_CLUSTER_IP, "198.18.0.80");

	port(s, "", IPPROTO_TCP, 80, 80);
	compile_ok(f);
	assert_null(rs_table_find_set(table(f, RS_IP), "affinity"));
	assert_null(rs_table_find_set(table(f, RS_IP), "firewall-allow"));
	assert_null(rs_table_find_set(table(f, RS_IP), "nodeport-frontends"));
	assert_null(rs_table_find_set(table(f, RS_IP), "affinity-frontends"));
	assert_null(rs_table_find_set(table(f, RS_IP), "hairpin"));
	assert_null(rs_table_find_set(table(f, RS_IP), "endpoints-1"));
	assert_null(rs_table_find_chain(table(f, RS_IP), "nodeport"));
	assert_chain(f, RS_IP, "nat-postrouting",
		     "meta mark & 0x00004000 == 0x00004000 meta mark set meta mark & 0xffffbfff masquerade fully-random\n");
}

/* --masquerade-all marks every ClusterIP connection; without a cluster
 * CIDR and without it, ClusterIP traffic is not marked at all. */
static void test_masquerade_all_and_no_cidr(void **state)
{
	struct fx *f = *state;
	struct svc_service *s = svc(f->w, "default", "m", SVC_CLUSTER_IP, "198.18.0.90");
	struct svc_slice *sl;

	port(s, "", IPPROTO_TCP, 80, 80);
	sl = slice(f->w, "default", "m-1", "m", "", IPPROTO_TCP, 80);
	ep(sl, "198.19.0.1", READY, NULL);
	f->o.masquerade_all = true;
	compile_ok(f);
	assert_chain(f, RS_IP, "clusterip",
		     "meta mark set meta mark | 0x00004000\n"
		     "jump pick-endpoints-1\n"
		     "meta l4proto tcp reject with tcp reset comment \"no endpoints\"\n"
		     "reject comment \"no endpoints\"\n");

	rs_ruleset_free(f->rs);
	f->o.masquerade_all = false;
	f->o.ncluster_cidrs = 0;
	f->o.masq_bit = 3;
	f->rs = comp_build(f->w, &f->o, &f->st, &f->d);
	assert_chain(f, RS_IP, "clusterip",
		     "jump pick-endpoints-1\n"
		     "meta l4proto tcp reject with tcp reset comment \"no endpoints\"\n"
		     "reject comment \"no endpoints\"\n");
	assert_chain(f, RS_IP, "nat-postrouting",
		     "meta mark & 0x00000008 == 0x00000008 meta mark set meta mark & 0xfffffff7 masquerade fully-random\n"
		     "ct status dnat ip saddr . ip daddr @hairpin masquerade fully-random\n");
}

/* Headless, ExternalName and labelled Services get no rules. */
static void test_skipped(void **state)
{
	struct fx *f = *state;
	struct svc_service *s = svc(f->w, "default", "db", SVC_CLUSTER_IP, NULL);

	s->headless = true;
	s->skip_reason = sn_strdup("headless");
	port(s, "", IPPROTO_TCP, 5432, 5432);
	s = svc(f->w, "default", "api", SVC_EXTERNAL_NAME, NULL);
	s->skip_reason = sn_strdup("ExternalName");
	compile_ok(f);
	assert_int_equal(f->st.services, 0);
	assert_int_equal(f->st.services_skipped, 2);
	assert_null(rs_table_find_chain(table(f, RS_IP), "clusterip"));
	assert_null(rs_table_find_set(table(f, RS_IP), "clusterip-frontends"));
	assert_null(rs_table_find_set(table(f, RS_IP), "service-ips"));
}

/* Allocation: deterministic, and a Service keeps its address and node port
 * when another Service is added. */
static void test_allocation_stable(void **state)
{
	struct fx *f = *state;
	struct svc_world *w2 = svc_world_alloc();
	struct svc_service *s;
	struct sn_addr first_ip;
	uint16_t first_np;
	unsigned i;

	s = svc(f->w, "default", "web", SVC_NODE_PORT, NULL);
	port(s, "http", IPPROTO_TCP, 80, 80);
	compile_ok(f);
	s = &f->w->svcs[0];
	assert_true(s->cluster_ip_allocated[0]);
	assert_true(sn_prefix_contains(&f->o.service_cidrs[0], &s->cluster_ips[0]));
	assert_true(s->ports[0].node_port_allocated);
	assert_in_range(s->ports[0].node_port, 30000, 32767);
	first_ip = s->cluster_ips[0];
	first_np = s->ports[0].node_port;

	/* same Service plus others, listed first */
	for (i = 0; i < 20; i++) {
		char name[16];

		snprintf(name, sizeof(name), "other%u", i);
		port(svc(w2, "default", name, SVC_NODE_PORT, NULL), "http", IPPROTO_TCP, 80, 80);
	}
	port(svc(w2, "default", "web", SVC_NODE_PORT, NULL), "http", IPPROTO_TCP, 80, 80);
	assert_int_equal(comp_prepare(w2, &f->o, &f->d), 0);
	for (i = 0; i < w2->nsvcs; i++)
		if (!strcmp(w2->svcs[i].name, "web")) {
			assert_true(sn_addr_eq(&w2->svcs[i].cluster_ips[0], &first_ip));
			assert_int_equal(w2->svcs[i].ports[0].node_port, first_np);
		}
	svc_world_free(w2);
}

/* A full small range: every Service gets a distinct usable address (no
 * network, no broadcast, the first kept for default/kubernetes) until none
 * is left, which is an error naming the range. */
static void test_allocation_collisions_and_exhaustion(void **state)
{
	struct fx *f = *state;
	unsigned i, j;

	f->o.service_cidrs[0] = A("198.18.0.0/29"); /* .2 .. .6 usable */
	for (i = 0; i < 6; i++) {
		char name[16];

		snprintf(name, sizeof(name), "s%u", i);
		port(svc(f->w, "default", name, SVC_CLUSTER_IP, NULL), "", IPPROTO_TCP, 80, 80);
	}
	assert_int_equal(comp_prepare(f->w, &f->o, &f->d), 1);
	assert_true(has_error(&*f, "no free address left in --service-cidr 198.18.0.0/29"));
	assert_int_equal(f->w->nsvcs, 5);
	for (i = 0; i < 5; i++) {
		uint8_t last = f->w->svcs[i].cluster_ips[0].a[3];

		assert_in_range(last, 2, 6);
		for (j = 0; j < i; j++)
			assert_false(sn_addr_eq(&f->w->svcs[i].cluster_ips[0],
						&f->w->svcs[j].cluster_ips[0]));
	}
}

/* Two Services may not claim one clusterIP or nodePort (the API server
 * refuses the second object); an externalIP equal to another Service's
 * ClusterIP is accepted there, so it is a warning: the ClusterIP keeps its
 * key, the other Service keeps everything else. */
static void test_conflicts(void **state)
{
	struct fx *f = *state;
	struct svc_service *s;

	port(svc(f->w, "a", "one", SVC_CLUSTER_IP, "198.18.1.1"), "", IPPROTO_TCP, 80, 80);
	port(svc(f->w, "b", "two", SVC_CLUSTER_IP, "198.18.1.1"), "", IPPROTO_TCP, 80, 80);
	port(svc(f->w, "c", "np1", SVC_NODE_PORT, "198.18.1.2"), "", IPPROTO_TCP, 80, 80)->node_port = 30001;
	port(svc(f->w, "c", "np2", SVC_NODE_PORT, "198.18.1.3"), "", IPPROTO_TCP, 80, 80)->node_port = 30001;
	port(svc(f->w, "d", "np3", SVC_NODE_PORT, "198.18.1.4"), "", IPPROTO_TCP, 80, 80)->node_port = 80;
	s = svc(f->w, "e", "ext", SVC_CLUSTER_IP, "198.18.1.5");
	s->created = 1; /* older than c/np1, which has no timestamp: still loses */
	add_ips(&s->external_ips, &s->nexternal_ips, IPS("198.18.1.2", "203.0.113.5"));
	port(s, "", IPPROTO_TCP, 80, 80);
	assert_int_equal(comp_prepare(f->w, &f->o, &f->d), 3);
	assert_true(has_error(f, "198.18.1.1 is already the clusterIP of Service a/one"));
	assert_true(has_error(f, "node port 30001 is already used by Service c/np1"));
	assert_true(has_error(f, "80 is outside the node port range 30000-32767"));
	assert_true(has_warning(f, "198.18.1.2 port 80/tcp is also claimed by Service c/np1, which "
				   "keeps it (it is its ClusterIP); not programmed for this Service"));
	assert_int_equal(f->w->nsvcs, 3); /* a/one, c/np1 and e/ext remain */
	f->rs = comp_build(f->w, &f->o, &f->st, &f->d);
	assert_non_null(f->rs);
	/* each frontend once, owned by the Service its comment names: the
	 * ClusterIP 198.18.1.2 stays c/np1's, e/ext keeps its other externalIP */
	assert_set(f, RS_IP, "clusterip-frontends",
		   "198.18.1.1 . tcp . 80 comment \"a/one port 80/tcp\"\n"
		   "198.18.1.2 . tcp . 80 comment \"c/np1 port 80/tcp\"\n"
		   "198.18.1.5 . tcp . 80 comment \"e/ext port 80/tcp\"\n");
	assert_set(f, RS_IP, "external-frontends", "203.0.113.5 . tcp . 80 comment \"e/ext port 80/tcp\"\n");
	assert_set(f, RS_IP, "nodeport-frontends", "tcp . 30001 comment \"c/np1 port 80/tcp\"\n");
}

/* The same externalIP or VIP and port on two Services (the API allows it):
 * the older Service keeps the key, the other is warned and keeps the rest;
 * same age, namespace/name decides. The result does not depend on the order
 * the Services were read in. */
static void test_frontend_winner(void **state)
{
	struct fx *f = *state;
	struct svc_service *s;

	s = svc(f->w, "alpha", "new", SVC_LOAD_BALANCER, "198.18.3.1");
	s->created = 1700000200;
	add_vips(s, IPS("203.0.113.9"));
	add_ips(&s->external_ips, &s->nexternal_ips, IPS("203.0.113.8"));
	port(s, "http", IPPROTO_TCP, 80, 80)->node_port = 30080;
	port(s, "dns", IPPROTO_UDP, 53, 53)->node_port = 30053;
	s = svc(f->w, "beta", "old", SVC_CLUSTER_IP, "198.18.3.2");
	s->created = 1700000100;
	add_ips(&s->external_ips, &s->nexternal_ips, IPS("203.0.113.9"));
	port(s, "http", IPPROTO_TCP, 80, 80);
	s = svc(f->w, "gamma", "same", SVC_CLUSTER_IP, "198.18.3.3");
	s->created = 1700000200;
	add_ips(&s->external_ips, &s->nexternal_ips, IPS("203.0.113.8"));
	port(s, "http", IPPROTO_TCP, 80, 80);
	/* one endpoint each, so the endpoint maps show whose endpoints a
	 * contested frontend reaches */
	ep(slice(f->w, "alpha", "new-http", "new", "http", IPPROTO_TCP, 80), "198.19.3.1", READY, NULL);
	ep(slice(f->w, "alpha", "new-dns", "new", "dns", IPPROTO_UDP, 53), "198.19.3.1", READY, NULL);
	ep(slice(f->w, "beta", "old-1", "old", "http", IPPROTO_TCP, 80), "198.19.3.2", READY, NULL);
	ep(slice(f->w, "gamma", "same-1", "same", "http", IPPROTO_TCP, 80), "198.19.3.3", READY, NULL);
	compile_ok(f);
	assert_true(has_warning(f, "203.0.113.9 port 80/tcp is also claimed by Service beta/old, "
				   "which keeps it (older creationTimestamp)"));
	assert_true(has_warning(f, "203.0.113.8 port 80/tcp is also claimed by Service alpha/new, "
				   "which keeps it (same creationTimestamp, namespace/name first)"));
	assert_int_equal(f->d.warnings, 2);
	/* alpha/new keeps its UDP port on the VIP and its TCP port on .8 */
	assert_set(f, RS_IP, "clusterip-frontends",
		   "198.18.3.1 . tcp . 80 comment \"alpha/new port http 80/tcp\"\n"
		   "198.18.3.1 . udp . 53 comment \"alpha/new port dns 53/udp\"\n"
		   "198.18.3.2 . tcp . 80 comment \"beta/old port http 80/tcp\"\n"
		   "198.18.3.3 . tcp . 80 comment \"gamma/same port http 80/tcp\"\n");
	assert_set(f, RS_IP, "external-frontends",
		   "203.0.113.8 . tcp . 80 comment \"alpha/new port http 80/tcp\"\n"
		   "203.0.113.8 . udp . 53 comment \"alpha/new port dns 53/udp\"\n"
		   "203.0.113.9 . tcp . 80 comment \"beta/old port http 80/tcp\"\n"
		   "203.0.113.9 . udp . 53 comment \"alpha/new port dns 53/udp\"\n");
	/* a contested frontend reaches the winner's endpoints only */
	assert_set(f, RS_IP, "endpoints-1",
		   "198.18.3.1 . tcp . 80 . 0 comment \"alpha/new port http 80/tcp\" : 198.19.3.1 . 80\n"
		   "198.18.3.1 . udp . 53 . 0 comment \"alpha/new port dns 53/udp\" : 198.19.3.1 . 53\n"
		   "198.18.3.2 . tcp . 80 . 0 comment \"beta/old port http 80/tcp\" : 198.19.3.2 . 80\n"
		   "198.18.3.3 . tcp . 80 . 0 comment \"gamma/same port http 80/tcp\" : 198.19.3.3 . 80\n"
		   "203.0.113.8 . tcp . 80 . 0 comment \"alpha/new port http 80/tcp\" : 198.19.3.1 . 80\n"
		   "203.0.113.8 . udp . 53 . 0 comment \"alpha/new port dns 53/udp\" : 198.19.3.1 . 53\n"
		   "203.0.113.9 . tcp . 80 . 0 comment \"beta/old port http 80/tcp\" : 198.19.3.2 . 80\n"
		   "203.0.113.9 . udp . 53 . 0 comment \"alpha/new port dns 53/udp\" : 198.19.3.1 . 53\n");
}

/* Duplicates inside one Service: every key once. An externalIP that is also
 * a VIP is programmed as the VIP (its source ranges apply); an externalIP
 * equal to the Service's own ClusterIP takes the key (the external entry
 * wins, as in kube-proxy); covered source ranges are merged, so the interval
 * set gets no overlapping elements. */
static void test_frontend_duplicates(void **state)
{
	struct fx *f = *state;
	struct svc_service *s = svc(f->w, "default", "lb", SVC_LOAD_BALANCER, "198.18.4.1");
	struct svc_slice *sl;

	add_vips(s, IPS("203.0.113.1", "203.0.113.1", "203.0.113.2"));
	add_ips(&s->external_ips, &s->nexternal_ips,
		IPS("203.0.113.2", "203.0.113.3", "203.0.113.3", "198.18.4.1"));
	add_ips(&s->source_ranges, &s->nsource_ranges,
		IPS("192.0.2.128/25", "192.0.2.0/24", "198.51.100.7", "192.0.2.0/24", "198.51.100.0/24"));
	port(s, "http", IPPROTO_TCP, 80, 8080)->node_port = 30080;
	sl = slice(f->w, "default", "lb-1", "lb", "http", IPPROTO_TCP, 8080);
	ep(sl, "198.19.1.1", READY, "node-b");
	compile_ok(f);
	assert_int_equal(f->w->svcs[0].nlb_ingress, 2);
	assert_int_equal(f->w->svcs[0].nexternal_ips, 2);
	/* the ClusterIP's key is the external entry's: no clusterip-frontends */
	assert_null(rs_table_find_set(table(f, RS_IP), "clusterip-frontends"));
	assert_set(f, RS_IP, "external-frontends",
		   "198.18.4.1 . tcp . 80 comment \"default/lb port http 80/tcp\"\n"
		   "203.0.113.1 . tcp . 80 comment \"default/lb port http 80/tcp\"\n"
		   "203.0.113.2 . tcp . 80 comment \"default/lb port http 80/tcp\"\n"
		   "203.0.113.3 . tcp . 80 comment \"default/lb port http 80/tcp\"\n");
	assert_set(f, RS_IP, "endpoints-1",
		   "198.18.4.1 . tcp . 80 . 0 comment \"default/lb port http 80/tcp\" : 198.19.1.1 . 8080\n"
		   "203.0.113.1 . tcp . 80 . 0 comment \"default/lb port http 80/tcp\" : 198.19.1.1 . 8080\n"
		   "203.0.113.2 . tcp . 80 . 0 comment \"default/lb port http 80/tcp\" : 198.19.1.1 . 8080\n"
		   "203.0.113.3 . tcp . 80 . 0 comment \"default/lb port http 80/tcp\" : 198.19.1.1 . 8080\n");
	assert_set(f, RS_IP, "firewall-ips",
		   "203.0.113.1 . tcp . 80 comment \"default/lb port http 80/tcp\"\n"
		   "203.0.113.2 . tcp . 80 comment \"default/lb port http 80/tcp\"\n");
	assert_set(f, RS_IP, "firewall-allow",
		   "203.0.113.1 . tcp . 80 . 192.0.2.0/24 comment \"default/lb port http 80/tcp\"\n"
		   "203.0.113.1 . tcp . 80 . 198.51.100.0/24 comment \"default/lb port http 80/tcp\"\n"
		   "203.0.113.2 . tcp . 80 . 192.0.2.0/24 comment \"default/lb port http 80/tcp\"\n"
		   "203.0.113.2 . tcp . 80 . 198.51.100.0/24 comment \"default/lb port http 80/tcp\"\n");
	assert_int_equal(f->d.warnings, 0);
	assert_int_equal(f->d.errors, 0);
}

/* A named targetPort that no endpoint port carries leaves that port without
 * endpoints (it rejects), with a warning; the other ports are programmed. */
static void test_target_port_name(void **state)
{
	struct fx *f = *state;
	struct svc_service *s = svc(f->w, "default", "t", SVC_CLUSTER_IP, "198.18.2.1");
	struct svc_port *p = port(s, "web", IPPROTO_TCP, 80, 0);
	struct svc_slice *sl;

	p->target_is_name = true;
	p->target_name = sn_strdup("http");
	port(s, "metrics", IPPROTO_TCP, 9090, 9090);
	sl = slice(f->w, "default", "t-1", "t", "metrics", IPPROTO_TCP, 9090);
	ep(sl, "198.19.0.1", READY, NULL);
	compile_ok(f);
	assert_true(has_warning(f, "no tcp endpoint port is named \"http\" or \"web\" (endpoint "
				   "ports: \"metrics\"): this port has no endpoints and rejects"));
	/* both ports are frontends; only 9090 has an element in a map, so 80
	 * falls through to the end of clusterip, which rejects */
	assert_set(f, RS_IP, "clusterip-frontends",
		   "198.18.2.1 . tcp . 80 comment \"default/t port web 80/tcp\"\n"
		   "198.18.2.1 . tcp . 9090 comment \"default/t port metrics 9090/tcp\"\n");
	assert_set(f, RS_IP, "endpoints-1",
		   "198.18.2.1 . tcp . 9090 . 0 comment \"default/t port metrics 9090/tcp\" : 198.19.0.1 . 9090\n");
	assert_chain(f, RS_IP, "clusterip",
		     "ip saddr != 198.19.0.0/16 meta mark set meta mark | 0x00004000\n"
		     "jump pick-endpoints-1\n"
		     "meta l4proto tcp reject with tcp reset comment \"no endpoints\"\n"
		     "reject comment \"no endpoints\"\n");
}

/* A named targetPort resolves through a slice port of that name. */
static void test_target_port_by_name(void **state)
{
	struct fx *f = *state;
	struct svc_service *s = svc(f->w, "default", "t", SVC_CLUSTER_IP, "198.18.2.2");
	struct svc_port *p = port(s, "web", IPPROTO_TCP, 80, 0);
	struct svc_slice *sl;

	p->target_is_name = true;
	p->target_name = sn_strdup("http");
	sl = slice(f->w, "default", "t-1", "t", "http", IPPROTO_TCP, 8080);
	ep(sl, "198.19.0.1", READY, NULL);
	compile_ok(f);
	assert_set(f, RS_IP, "endpoints-1",
		   "198.18.2.2 . tcp . 80 . 0 comment \"default/t port web 80/tcp\" : 198.19.0.1 . 8080\n");
}

/* A slice port named after another service port belongs to that port, even
 * when this port's targetPort has that name (kube-proxy matches service port
 * names only): this port has no endpoints and rejects. */
static void test_target_port_name_of_other_port(void **state)
{
	struct fx *f = *state;
	struct svc_service *s = svc(f->w, "ns", "app", SVC_CLUSTER_IP, "198.18.2.3");
	struct svc_slice *sl;

	port(s, "admin", IPPROTO_TCP, 9000, 0);
	port(s, "web", IPPROTO_TCP, 80, 8080);	/* moves s->ports: no pointer kept across */
	s->ports[0].target_is_name = true;
	s->ports[0].target_name = sn_strdup("web");
	sl = slice(f->w, "ns", "app-1", "app", "web", IPPROTO_TCP, 8080);
	ep(sl, "198.19.1.1", READY, NULL);
	f->o.ncluster_cidrs = 0;
	compile_ok(f);
	/* 9000 is a frontend with no element in any map: rejected */
	assert_set(f, RS_IP, "clusterip-frontends",
		   "198.18.2.3 . tcp . 80 comment \"ns/app port web 80/tcp\"\n"
		   "198.18.2.3 . tcp . 9000 comment \"ns/app port admin 9000/tcp\"\n");
	assert_set(f, RS_IP, "endpoints-1",
		   "198.18.2.3 . tcp . 80 . 0 comment \"ns/app port web 80/tcp\" : 198.19.1.1 . 8080\n");
}

/* v1 Endpoints count only when no EndpointSlice names the Service; the same
 * ip:port in two slices is one endpoint. */
static void test_endpoints_fallback_and_dedup(void **state)
{
	struct fx *f = *state;
	struct svc_service *s = svc(f->w, "default", "legacy", SVC_CLUSTER_IP, "198.18.3.1");
	struct svc_service *t = svc(f->w, "default", "both", SVC_CLUSTER_IP, "198.18.3.2");
	struct svc_slice *sl;

	port(s, "", IPPROTO_TCP, 80, 80);
	port(t, "", IPPROTO_TCP, 80, 80);
	sl = slice(f->w, "default", "legacy", "legacy", "", IPPROTO_TCP, 80);
	sl->from_endpoints = true;
	ep(sl, "198.19.0.1", READY | SERVING, NULL);
	sl = slice(f->w, "default", "both", "both", "", IPPROTO_TCP, 80);
	sl->from_endpoints = true;
	ep(sl, "198.19.9.9", READY | SERVING, NULL);
	sl = slice(f->w, "default", "both-1", "both", "", IPPROTO_TCP, 80);
	ep(sl, "198.19.0.2", READY, NULL);
	sl = slice(f->w, "default", "both-2", "both", "", IPPROTO_TCP, 80);
	ep(sl, "198.19.0.2", READY, NULL);
	compile_ok(f);
	f->o.ncluster_cidrs = 0;
	rs_ruleset_free(f->rs);
	f->rs = comp_build(f->w, &f->o, &f->st, &f->d);
	assert_set(f, RS_IP, "endpoints-1",
		   "198.18.3.1 . tcp . 80 . 0 comment \"default/legacy port 80/tcp\" : 198.19.0.1 . 80\n"
		   "198.18.3.2 . tcp . 80 . 0 comment \"default/both port 80/tcp\" : 198.19.0.2 . 80\n");
}

/* Topology hints: with every ready endpoint hinted and this node's zone
 * known, only endpoints hinted for the zone are used. */
static void test_topology_hints(void **state)
{
	struct fx *f = *state;
	struct svc_service *s = svc(f->w, "default", "topo", SVC_CLUSTER_IP, "198.18.4.1");
	struct svc_slice *sl = slice(f->w, "default", "topo-1", "topo", "", IPPROTO_TCP, 80);
	struct svc_node *n = svc_world_add_node(f->w);
	struct svc_endpoint *e;

	n->name = sn_strdup("node-a");
	n->zone = sn_strdup("zone-1");
	port(s, "", IPPROTO_TCP, 80, 80);
	e = ep(sl, "198.19.0.1", READY, NULL);
	e->zone_hints = sn_calloc(1, sizeof(char *));
	e->zone_hints[0] = sn_strdup("zone-1");
	e->nzone_hints = 1;
	e = ep(sl, "198.19.0.2", READY, NULL);
	e->zone_hints = sn_calloc(1, sizeof(char *));
	e->zone_hints[0] = sn_strdup("zone-2");
	e->nzone_hints = 1;
	f->o.ncluster_cidrs = 0;
	compile_ok(f);
	assert_set(f, RS_IP, "endpoints-1",
		   "198.18.4.1 . tcp . 80 . 0 comment \"default/topo port 80/tcp\" : 198.19.0.1 . 80\n");
}

static void hint(char ***v, unsigned *n, const char *name)
{
	*v = sn_realloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = sn_strdup(name);
}

/* Node hints (trafficDistribution PreferSameNode) come before zone hints:
 * when every ready endpoint has one and one names this node, only those are
 * used; otherwise the zone hints decide, as in kube-proxy's topology.go. */
static void test_node_hints(void **state)
{
	struct fx *f = *state;
	struct svc_service *s = svc(f->w, "default", "near", SVC_CLUSTER_IP, "198.18.4.2");
	struct svc_slice *sl = slice(f->w, "default", "near-1", "near", "", IPPROTO_TCP, 80);
	struct svc_node *n = svc_world_add_node(f->w);
	struct svc_endpoint *e1, *e2, *e3;

	n->name = sn_strdup("node-a");
	n->zone = sn_strdup("zone-1");
	port(s, "", IPPROTO_TCP, 80, 80);
	e1 = ep(sl, "198.19.0.1", READY, "node-a");
	hint(&e1->node_hints, &e1->nnode_hints, "node-a");
	hint(&e1->zone_hints, &e1->nzone_hints, "zone-1");
	e2 = ep(sl, "198.19.0.2", READY, "node-b");
	hint(&e2->node_hints, &e2->nnode_hints, "node-b");
	hint(&e2->zone_hints, &e2->nzone_hints, "zone-1");
	e3 = ep(sl, "198.19.0.3", READY, "node-c");
	hint(&e3->node_hints, &e3->nnode_hints, "node-c");
	hint(&e3->zone_hints, &e3->nzone_hints, "zone-2");
	/* a not-ready endpoint without hints does not count */
	ep(sl, "198.19.0.4", 0, "node-d");
	f->o.ncluster_cidrs = 0;
	compile_ok(f);
	/* only the endpoint hinted for this node, the one index of map 1 */
	assert_set(f, RS_IP, "endpoints-1",
		   "198.18.4.2 . tcp . 80 . 0 comment \"default/near port 80/tcp\" : 198.19.0.1 . 80\n");
	assert_null(rs_table_find_set(table(f, RS_IP), "endpoints-2"));
	assert_null(rs_table_find_set(table(f, RS_IP), "endpoints-3"));
}

/* Node hints that do not name this node, or that some ready endpoint lacks,
 * are ignored: the zone hints apply. */
static void test_node_hints_fallback(void **state)
{
	struct fx *f = *state;
	struct svc_service *s = svc(f->w, "default", "near", SVC_CLUSTER_IP, "198.18.4.3");
	struct svc_slice *sl = slice(f->w, "default", "near-1", "near", "", IPPROTO_TCP, 80);
	struct svc_node *n = svc_world_add_node(f->w);
	struct svc_endpoint *e;

	n->name = sn_strdup("node-a");
	n->zone = sn_strdup("zone-1");
	port(s, "", IPPROTO_TCP, 80, 80);
	e = ep(sl, "198.19.0.1", READY, "node-b");
	hint(&e->node_hints, &e->nnode_hints, "node-b");
	hint(&e->zone_hints, &e->nzone_hints, "zone-1");
	e = ep(sl, "198.19.0.2", READY, "node-a");
	hint(&e->zone_hints, &e->nzone_hints, "zone-1");	/* no node hint */
	e = ep(sl, "198.19.0.3", READY, "node-c");
	hint(&e->node_hints, &e->nnode_hints, "node-a");	/* names us, but not all have one */
	hint(&e->zone_hints, &e->nzone_hints, "zone-2");
	f->o.ncluster_cidrs = 0;
	compile_ok(f);
	/* the two endpoints hinted for zone-1, each with probability 1/2 */
	assert_set(f, RS_IP, "endpoints-2",
		   "198.18.4.3 . tcp . 80 . 0 comment \"default/near port 80/tcp\" : 198.19.0.1 . 80\n"
		   "198.18.4.3 . tcp . 80 . 1 comment \"default/near port 80/tcp\" : 198.19.0.2 . 80\n");
	assert_null(rs_table_find_set(table(f, RS_IP), "endpoints-1"));
	assert_null(rs_table_find_set(table(f, RS_IP), "endpoints-3"));
}

/* --nodeport-addresses primary: --node-ip wins; else this node's Node
 * object; neither is an error naming the way out. The result is the
 * --nodeport-addresses rule path with host prefixes. */
static void test_nodeport_primary(void **state)
{
	struct fx *f = *state;
	struct svc_node *n = svc_world_add_node(f->w);
	struct sn_addr want4 = A("192.0.2.1"), want6 = A("2001:db8::1");

	n->name = sn_strdup("node-a");
	n->primary_ips[0] = want4;
	n->primary_ips[1] = want6;
	n->nprimary_ips = 2;
	port(svc(f->w, "default", "np", SVC_NODE_PORT, "198.18.6.1"), "", IPPROTO_TCP, 80, 80)->node_port = 30080;

	assert_int_equal(comp_resolve_nodeport_primary(f->w, &f->o, &f->d), 0);
	assert_int_equal(f->o.nnodeport_addrs, 0);	/* not in force: untouched */

	f->o.nodeport_primary = true;
	assert_int_equal(comp_resolve_nodeport_primary(f->w, &f->o, &f->d), 0);
	assert_int_equal(f->o.nnodeport_addrs, 2);
	assert_true(sn_addr_eq(&f->o.nodeport_addrs[0], &want4));
	assert_true(sn_addr_eq(&f->o.nodeport_addrs[1], &want6));

	f->o.node_ips[0] = A("198.51.100.3");
	f->o.nnode_ips = 1;
	assert_int_equal(comp_resolve_nodeport_primary(f->w, &f->o, &f->d), 0);
	assert_int_equal(f->o.nnodeport_addrs, 1);
	compile_ok(f);
	assert_chain(f, RS_IP, "services",
		     "ip daddr . meta l4proto . th dport @clusterip-frontends goto clusterip\n"
		     "fib daddr type local ip daddr 198.51.100.3 meta l4proto . th dport @nodeport-frontends goto nodeport\n"
		     "ip daddr @cluster-ips goto reject-chain\n"
		     "ip daddr 198.18.0.0/16 drop\n");

	f->o.nnode_ips = 0;
	free(f->o.node_name);
	f->o.node_name = sn_strdup("node-b");
	assert_int_equal(comp_resolve_nodeport_primary(f->w, &f->o, &f->d), 1);
	assert_true(has_error(f, "primary: the primary IPs of node node-b are unknown (give --node-ip, "
				 "or the Node object node-b with status.addresses)"));
}

/* Dual stack: each family gets its table, its frontends and its endpoints. */
static void test_dual_stack(void **state)
{
	struct fx *f = *state;
	struct svc_service *s = svc(f->w, "default", "dual", SVC_CLUSTER_IP, "198.18.5.1");
	struct svc_slice *sl;

	s->cluster_ips[1] = A("2001:db8:5::10");
	s->ncluster_ips = 2;
	port(s, "", IPPROTO_TCP, 80, 80);
	sl = slice(f->w, "default", "dual-4", "dual", "", IPPROTO_TCP, 80);
	ep(sl, "198.19.0.1", READY, NULL);
	sl = slice(f->w, "default", "dual-6", "dual", "", IPPROTO_TCP, 80);
	ep(sl, "2001:db8:19::1", READY, NULL);
	f->o.cluster_cidrs[1] = A("2001:db8:19::/64");
	f->o.ncluster_cidrs = 2;
	compile_ok(f);
	assert_chain(f, RS_IP6, "clusterip",
		     "ip6 saddr != 2001:db8:19::/64 meta mark set meta mark | 0x00004000\n"
		     "jump pick-endpoints-1\n"
		     "meta l4proto tcp reject with tcp reset comment \"no endpoints\"\n"
		     "reject comment \"no endpoints\"\n");
	assert_set(f, RS_IP6, "clusterip-frontends", "2001:db8:5::10 . tcp . 80 comment \"default/dual port 80/tcp\"\n");
	assert_set(f, RS_IP6, "endpoints-1",
		   "2001:db8:5::10 . tcp . 80 . 0 comment \"default/dual port 80/tcp\" : 2001:db8:19::1 . 80\n");
	assert_set(f, RS_IP, "endpoints-1",
		   "198.18.5.1 . tcp . 80 . 0 comment \"default/dual port 80/tcp\" : 198.19.0.1 . 80\n");
}

/* IPv6 affinity: one client-keyed map per service port and endpoint port
 * (nft 1.0.6 cannot update a wider dynamic map), looked up by the check
 * chain the frontend jumps to before the common choice, and filled by the
 * service port's record chain for connections DNATed to one of its
 * endpoints, which are elements of a set beside the map. */
static void test_affinity_ipv6(void **state)
{
	struct fx *f = *state;
	struct svc_service *s = svc(f->w, "default", "v6", SVC_CLUSTER_IP, "2001:db8:5::20");
	struct svc_slice *sl;

	s->affinity = true;
	s->affinity_timeout = 60;
	port(s, "", IPPROTO_TCP, 80, 8080);
	sl = slice(f->w, "default", "v6-1", "v6", "", IPPROTO_TCP, 8080);
	ep(sl, "2001:db8:19::1", READY, NULL);
	ep(sl, "2001:db8:19::2", READY, NULL);
	f->o.ncluster_cidrs = 0;
	f->o.service_cidrs[1] = A("2001:db8:5::/112");
	f->o.nservice_cidrs = 2;
	compile_ok(f);
	assert_chain(f, RS_IP6, "clusterip",
		     "jump pin\n"
		     "jump pick-endpoints-2\n"
		     "meta l4proto tcp reject with tcp reset comment \"no endpoints\"\n"
		     "reject comment \"no endpoints\"\n");
	assert_chain(f, RS_IP6, "pin", "ip6 daddr . meta l4proto . th dport vmap @affinity-check\n");
	assert_set(f, RS_IP6, "affinity-check",
		   "2001:db8:5::20 . tcp . 80 comment \"default/v6 port 80/tcp\" : jump affinity-check-default/v6/tcp/80\n");
	assert_chain(f, RS_IP6, "affinity-check-default/v6/tcp/80",
		     "meta l4proto tcp dnat ip6 to ip6 saddr map @affinity-default/v6/tcp/80/8080 : 8080\n");
	assert_chain(f, RS_IP6, "affinity-default/v6/tcp/80",
		     "th dport 8080 ip6 daddr @affinity-default/v6/tcp/80/8080/endpoints update @affinity-default/v6/tcp/80/8080 { ip6 saddr timeout 60s : ip6 daddr }\n");
	assert_set(f, RS_IP6, "affinity-default/v6/tcp/80/8080/endpoints",
		   "2001:db8:19::1 comment \"default/v6 port 80/tcp\"\n"
		   "2001:db8:19::2 comment \"default/v6 port 80/tcp\"\n");
	assert_set(f, RS_IP6, "affinity-record",
		   "2001:db8:5::20 . tcp . 80 comment \"default/v6 port 80/tcp\" : jump affinity-default/v6/tcp/80\n");
	assert_null(rs_table_find_set(table(f, RS_IP6), "affinity"));
	assert_null(rs_table_find_set(table(f, RS_IP6), "affinity-frontends"));
}

/* IPv6 affinity with internalTrafficPolicy Local: the ClusterIP's local-only
 * choice has its own map, so a pin taken on the cluster-wide path (NodePort
 * traffic) can never send ClusterIP traffic to a remote endpoint. */
static void test_affinity_ipv6_local(void **state)
{
	struct fx *f = *state;
	struct svc_service *s = svc(f->w, "ns", "web", SVC_NODE_PORT, "2001:db8:5::30");
	struct svc_slice *sl;

	s->affinity = true;
	s->itp_local = true;
	port(s, "", IPPROTO_TCP, 80, 8080)->node_port = 30080;
	sl = slice(f->w, "ns", "web-1", "web", "", IPPROTO_TCP, 8080);
	ep(sl, "2001:db8:19::1", READY, "node-a");
	ep(sl, "2001:db8:19::2", READY, "node-b");
	f->o.ncluster_cidrs = 0;
	f->o.service_cidrs[1] = A("2001:db8:5::/112");
	f->o.nservice_cidrs = 2;
	compile_ok(f);
	/* the ClusterIP checks the local choice's pins, the NodePort (eTP
	 * Cluster) the cluster-wide one's */
	assert_set(f, RS_IP6, "affinity-check",
		   "2001:db8:5::30 . tcp . 80 comment \"ns/web port 80/tcp\" : jump affinity-check-ns/web/tcp/80/local\n");
	assert_set(f, RS_IP6, "affinity-check-nodeports",
		   "tcp . 30080 comment \"ns/web port 80/tcp\" : jump affinity-check-ns/web/tcp/80\n");
	assert_chain(f, RS_IP6, "affinity-check-ns/web/tcp/80/local",
		     "meta l4proto tcp dnat ip6 to ip6 saddr map @affinity-ns/web/tcp/80/8080/local : 8080\n");
	assert_chain(f, RS_IP6, "affinity-check-ns/web/tcp/80",
		     "meta l4proto tcp dnat ip6 to ip6 saddr map @affinity-ns/web/tcp/80/8080 : 8080\n");
	/* the remote endpoint is recorded for the cluster-wide choice only */
	assert_set(f, RS_IP6, "affinity-ns/web/tcp/80/8080/endpoints",
		   "2001:db8:19::1 comment \"ns/web port 80/tcp\"\n"
		   "2001:db8:19::2 comment \"ns/web port 80/tcp\"\n");
	assert_set(f, RS_IP6, "affinity-ns/web/tcp/80/8080/local/endpoints",
		   "2001:db8:19::1 comment \"ns/web port 80/tcp\"\n");
	assert_chain(f, RS_IP6, "affinity-ns/web/tcp/80",
		     "th dport 8080 ip6 daddr @affinity-ns/web/tcp/80/8080/endpoints update @affinity-ns/web/tcp/80/8080 { ip6 saddr timeout 10800s : ip6 daddr }\n"
		     "th dport 8080 ip6 daddr @affinity-ns/web/tcp/80/8080/local/endpoints update @affinity-ns/web/tcp/80/8080/local { ip6 saddr timeout 10800s : ip6 daddr }\n");
}

/* --nodeport-addresses: NodePorts only on local addresses in the ranges. */
static void test_nodeport_addresses(void **state)
{
	struct fx *f = *state;
	struct svc_service *s = svc(f->w, "default", "np", SVC_NODE_PORT, "198.18.6.1");

	port(s, "", IPPROTO_TCP, 80, 80)->node_port = 30100;
	f->o.nodeport_addrs = sn_calloc(2, sizeof(*f->o.nodeport_addrs));
	f->o.nodeport_addrs[0] = A("192.0.2.0/24");
	f->o.nodeport_addrs[1] = A("2001:db8:2::/64");
	f->o.nnodeport_addrs = 2;
	compile_ok(f);
	assert_chain(f, RS_IP, "services",
		     "ip daddr . meta l4proto . th dport @clusterip-frontends goto clusterip\n"
		     "fib daddr type local ip daddr 192.0.2.0/24 meta l4proto . th dport @nodeport-frontends goto nodeport\n"
		     "ip daddr @cluster-ips goto reject-chain\n"
		     "ip daddr 198.18.0.0/16 drop\n");
}

/* Chain ownership maps a chain back to its Service for kernel errors. */
static void test_owner_of_chain(void **state)
{
	char *o;

	(void)state;
	o = comp_owner_of_chain("svc-my-ns/my-svc/tcp/80");
	assert_string_equal(o, "my-ns/my-svc");
	free(o);
	o = comp_owner_of_chain("ext-a/b/udp/53");
	assert_string_equal(o, "a/b");
	free(o);
	assert_null(comp_owner_of_chain("services"));
	o = comp_owner_of_chain("affinity-check-a/b/tcp/80/local");
	assert_string_equal(o, "a/b");
	free(o);
	o = comp_owner_of_chain("affinity-a/b/tcp/80");
	assert_string_equal(o, "a/b");
	free(o);
	assert_null(comp_owner_of_chain("clusterip"));
	assert_null(comp_owner_of_chain("external-local-pods"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_clusterip_choice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_choice_uniform, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shards, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ready_terminating_fallback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_endpoints_reject, setup, teardown),
		cmocka_unit_test_setup_teardown(test_itp_local, setup, teardown),
		cmocka_unit_test_setup_teardown(test_etp_local_lb, setup, teardown),
		cmocka_unit_test_setup_teardown(test_etp_cluster_external_ip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_affinity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_minimal_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_masquerade_all_and_no_cidr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_allocation_stable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_allocation_collisions_and_exhaustion, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conflicts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frontend_winner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frontend_duplicates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_target_port_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_target_port_by_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_target_port_name_of_other_port, setup, teardown),
		cmocka_unit_test_setup_teardown(test_endpoints_fallback_and_dedup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_topology_hints, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_hints, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_hints_fallback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nodeport_primary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dual_stack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_affinity_ipv6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_affinity_ipv6_local, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nodeport_addresses, setup, teardown),
		cmocka_unit_test(test_owner_of_chain),
	};

	return cmocka_run_group_tests_name("compiler", tests, NULL, NULL);
}
