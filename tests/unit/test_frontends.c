// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for compiler/frontends.c, no kernel: which frontends a world
 * has and which endpoints each one's DNAT may choose (the reply sources
 * conntrack cleanup keeps), under every policy that changes the choice,
 * and the diff that says which frontends may hold stale UDP flows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <netinet/in.h>

#include "compiler/frontends.h"

/* ---- building worlds ---- */

static struct sn_addr A(const char *s)
{
	struct sn_addr a;

	assert_int_equal(sn_prefix_parse(&a, s, false), 0);
	return a;
}

static struct svc_service *svc(struct svc_world *w, const char *name, enum svc_type type,
			       const char *cip)
{
	struct svc_service *s = svc_world_add_service(w);

	s->ns = sn_strdup("default");
	s->name = sn_strdup(name);
	s->type = type;
	s->cluster_ips[0] = A(cip);
	s->ncluster_ips = 1;
	s->affinity_timeout = COMP_AFFINITY_TIMEOUT_DEFAULT;
	return s;
}

static struct svc_port *port(struct svc_service *s, uint8_t proto, uint16_t p, uint16_t np)
{
	struct svc_port *sp;

	s->ports = sn_realloc(s->ports, (s->nports + 1) * sizeof(*s->ports));
	sp = &s->ports[s->nports++];
	memset(sp, 0, sizeof(*sp));
	sp->name = sn_strdup("p");
	sp->proto = proto;
	sp->port = p;
	sp->target_port = p;
	sp->node_port = np;
	return sp;
}

static struct svc_slice *slice(struct svc_world *w, const char *service, uint8_t proto,
			       uint16_t p)
{
	struct svc_slice *sl = svc_world_add_slice(w);

	sl->ns = sn_strdup("default");
	sl->name = sn_asprintf("%s-%u", service, w->nslices);
	sl->service = sn_strdup(service);
	sl->family = SN_AF_INET;
	sl->ports = sn_calloc(1, sizeof(*sl->ports));
	sl->nports = 1;
	sl->ports[0].name = sn_strdup("p");
	sl->ports[0].proto = proto;
	sl->ports[0].port = p;
	return sl;
}

enum { READY = 1, SERVING = 2, TERMINATING = 4 };

static void ep(struct svc_slice *sl, const char *addr, unsigned cond, const char *node)
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
}

struct fx {
	struct svc_world *w, *w2;
	struct comp_opts o;
	struct comp_frontends fs, fs2;
	struct comp_fe_diff d;
};

static int setup(void **state)
{
	struct fx *f = sn_calloc(1, sizeof(*f));

	f->w = svc_world_alloc();
	f->w2 = svc_world_alloc();
	comp_opts_init(&f->o);
	f->o.node_name = sn_strdup("node-a");
	f->o.cluster_cidrs[0] = A("198.19.0.0/16");
	f->o.ncluster_cidrs = 1;
	f->o.service_cidrs[0] = A("198.18.0.0/16");
	f->o.nservice_cidrs = 1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	comp_fe_diff_free(&f->d);
	comp_frontends_free(&f->fs);
	comp_frontends_free(&f->fs2);
	svc_world_free(f->w);
	svc_world_free(f->w2);
	comp_opts_free(&f->o);
	free(f);
	return 0;
}

static void build(struct fx *f, struct svc_world *w, uint8_t proto, struct comp_frontends *out)
{
	struct sn_diag d;

	sn_diag_init(&d);
	assert_int_equal(comp_prepare(w, &f->o, &d), 0);
	sn_diag_free(&d);
	comp_frontends_build(w, &f->o, proto, out);
}

/* "198.18.0.53/udp/53", "nodeport/udp/30053" */
static const struct comp_frontend *find(const struct comp_frontends *fs, const char *addr,
					uint8_t proto, uint16_t port)
{
	struct comp_frontend key = { .proto = proto, .port = port };

	if (addr) {
		key.addr = A(addr);
		key.family = key.addr.family;
		key.kind = COMP_FE_CLUSTER_IP;
	} else {
		key.family = SN_AF_INET;
		key.kind = COMP_FE_NODEPORT;
	}
	return comp_frontends_find(fs, &key);
}

/* The endpoints of f as "addr:port addr:port" */
static char *eps_str(const struct comp_frontend *f)
{
	struct sn_buf b;
	char buf[SN_ADDR_STRLEN];

	sn_buf_init(&b);
	sn_buf_add(&b, "");
	for (unsigned i = 0; i < f->neps; i++)
		sn_buf_printf(&b, "%s%s:%u", i ? " " : "", sn_addr_str(&f->eps[i].addr, buf),
			      f->eps[i].port);
	return sn_buf_steal(&b);
}

static void assert_eps(const struct comp_frontend *f, const char *want)
{
	char *got;

	assert_non_null(f);
	got = eps_str(f);
	assert_string_equal(got, want);
	free(got);
}

/* ---- what each frontend may choose ---- */

/* A UDP NodePort Service: its ClusterIP and its NodePort lead to its ready
 * endpoints, on the target port; a TCP Service is left out when asking for
 * UDP, and so is a not-ready endpoint. */
static void test_udp_clusterip_and_nodeport(void **state)
{
	struct fx *f = *state;
	struct svc_slice *sl;

	port(svc(f->w, "dns", SVC_NODE_PORT, "198.18.0.53"), IPPROTO_UDP, 53, 30053);
	f->w->svcs[0].ports[0].target_port = 5353;
	sl = slice(f->w, "dns", IPPROTO_UDP, 5353);
	ep(sl, "198.19.1.54", READY | SERVING, "node-b");
	ep(sl, "198.19.1.53", READY | SERVING, "node-a");
	ep(sl, "198.19.1.55", SERVING, "node-a");	/* not ready: not chosen */
	port(svc(f->w, "web", SVC_CLUSTER_IP, "198.18.0.80"), IPPROTO_TCP, 80, 0);
	ep(slice(f->w, "web", IPPROTO_TCP, 8080), "198.19.1.80", READY | SERVING, NULL);

	build(f, f->w, IPPROTO_UDP, &f->fs);
	assert_int_equal(f->fs.n, 2);
	assert_eps(find(&f->fs, "198.18.0.53", IPPROTO_UDP, 53), "198.19.1.53:5353 198.19.1.54:5353");
	assert_eps(find(&f->fs, NULL, IPPROTO_UDP, 30053), "198.19.1.53:5353 198.19.1.54:5353");
	assert_string_equal(find(&f->fs, NULL, IPPROTO_UDP, 30053)->svc_port, "default/dns/udp/53");
	assert_null(find(&f->fs, "198.18.0.80", IPPROTO_TCP, 80));
	/* flows stay on any serving endpoint, chosen or not (kube-proxy) */
	{
		const struct comp_frontend *cf = find(&f->fs, "198.18.0.53", IPPROTO_UDP, 53);
		char buf[SN_ADDR_STRLEN];

		assert_int_equal(cf->nkeep, 3);
		assert_string_equal(sn_addr_str(&cf->keep[2].addr, buf), "198.19.1.55");
		assert_int_equal(cf->keep[2].port, 5353);
	}
	assert_true(comp_frontend_has_ep(&f->fs.v[0], &f->fs.v[0].eps[0].addr, 5353));
	assert_false(comp_frontend_has_ep(&f->fs.v[0], &f->fs.v[0].eps[0].addr, 53));

	/* every protocol: the TCP one too */
	comp_frontends_free(&f->fs);
	comp_frontends_build(f->w, &f->o, 0, &f->fs);
	assert_int_equal(f->fs.n, 3);
	assert_eps(find(&f->fs, "198.18.0.80", IPPROTO_TCP, 80), "198.19.1.80:8080");
}

/* internalTrafficPolicy Local: the ClusterIP chooses local endpoints only
 * (none local: dropped, so nothing), while external traffic still goes to
 * any endpoint. */
static void test_itp_local(void **state)
{
	struct fx *f = *state;
	struct svc_service *s = svc(f->w, "a", SVC_NODE_PORT, "198.18.0.10");
	struct svc_slice *sl;

	s->itp_local = true;
	port(s, IPPROTO_UDP, 53, 30010);
	sl = slice(f->w, "a", IPPROTO_UDP, 53);
	ep(sl, "198.19.1.1", READY | SERVING, "node-a");
	ep(sl, "198.19.1.2", READY | SERVING, "node-b");
	s = svc(f->w, "b", SVC_CLUSTER_IP, "198.18.0.11");
	s->itp_local = true;
	port(s, IPPROTO_UDP, 53, 0);
	ep(slice(f->w, "b", IPPROTO_UDP, 53), "198.19.1.3", READY | SERVING, "node-b");

	build(f, f->w, IPPROTO_UDP, &f->fs);
	assert_eps(find(&f->fs, "198.18.0.10", IPPROTO_UDP, 53), "198.19.1.1:53");
	assert_eps(find(&f->fs, NULL, IPPROTO_UDP, 30010), "198.19.1.1:53 198.19.1.2:53");
	assert_eps(find(&f->fs, "198.18.0.11", IPPROTO_UDP, 53), "");
}

/* externalTrafficPolicy Local on a LoadBalancer with an external IP: pods
 * and the node may use any (cluster) endpoint, outside sources only local
 * ones; here the only local endpoint is terminating, so it is in the local
 * choice but not the cluster one, and the external frontends may lead to
 * both. The ClusterIP keeps the cluster choice. A VIP in ipMode Proxy is
 * not a frontend. */
static void test_etp_local_union(void **state)
{
	struct fx *f = *state;
	struct svc_service *s = svc(f->w, "lb", SVC_LOAD_BALANCER, "198.18.0.20");
	struct svc_slice *sl;

	s->etp_local = true;
	s->external_ips = sn_calloc(1, sizeof(*s->external_ips));
	s->external_ips[0] = A("192.0.2.20");
	s->nexternal_ips = 1;
	s->lb_ingress = sn_calloc(2, sizeof(*s->lb_ingress));
	s->lb_ingress[0].ip = A("203.0.113.20");
	s->lb_ingress[1].ip = A("203.0.113.21");
	s->lb_ingress[1].proxy_mode = true;
	s->nlb_ingress = 2;
	port(s, IPPROTO_UDP, 53, 30020);
	sl = slice(f->w, "lb", IPPROTO_UDP, 53);
	ep(sl, "198.19.1.1", SERVING | TERMINATING, "node-a");
	ep(sl, "198.19.1.2", READY | SERVING, "node-b");

	build(f, f->w, IPPROTO_UDP, &f->fs);
	assert_int_equal(f->fs.n, 4);
	assert_eps(find(&f->fs, "198.18.0.20", IPPROTO_UDP, 53), "198.19.1.2:53");
	assert_eps(find(&f->fs, "192.0.2.20", IPPROTO_UDP, 53), "198.19.1.1:53 198.19.1.2:53");
	assert_eps(find(&f->fs, "203.0.113.20", IPPROTO_UDP, 53), "198.19.1.1:53 198.19.1.2:53");
	assert_eps(find(&f->fs, NULL, IPPROTO_UDP, 30020), "198.19.1.1:53 198.19.1.2:53");
	assert_null(find(&f->fs, "203.0.113.21", IPPROTO_UDP, 53));
	assert_int_equal(find(&f->fs, "203.0.113.20", IPPROTO_UDP, 53)->kind, COMP_FE_LB_VIP);
}

/* No ready endpoint: the serving and terminating ones are chosen; none at
 * all: the frontend exists (its packets are rejected) with no endpoint.
 * A skipped Service has no frontend. */
static void test_fallback_and_none(void **state)
{
	struct fx *f = *state;
	struct svc_slice *sl;

	port(svc(f->w, "t", SVC_CLUSTER_IP, "198.18.0.30"), IPPROTO_UDP, 53, 0);
	sl = slice(f->w, "t", IPPROTO_UDP, 53);
	ep(sl, "198.19.1.1", SERVING | TERMINATING, NULL);
	ep(sl, "198.19.1.2", TERMINATING, NULL);	/* not serving: never */
	port(svc(f->w, "none", SVC_CLUSTER_IP, "198.18.0.31"), IPPROTO_UDP, 53, 0);
	port(svc(f->w, "skipped", SVC_CLUSTER_IP, "198.18.0.32"), IPPROTO_UDP, 53, 0);
	f->w->svcs[2].skip_reason = sn_strdup("label service.kubernetes.io/service-proxy-name");

	build(f, f->w, IPPROTO_UDP, &f->fs);
	assert_int_equal(f->fs.n, 2);
	assert_eps(find(&f->fs, "198.18.0.30", IPPROTO_UDP, 53), "198.19.1.1:53");
	assert_int_equal(find(&f->fs, "198.18.0.30", IPPROTO_UDP, 53)->nkeep, 1);	/* not serving */
	assert_eps(find(&f->fs, "198.18.0.31", IPPROTO_UDP, 53), "");
}

/* Dual stack: one frontend per family, each with its family's endpoints. */
static void test_dual_stack(void **state)
{
	struct fx *f = *state;
	struct svc_service *s = svc(f->w, "d", SVC_CLUSTER_IP, "198.18.0.40");
	const struct comp_frontend *v6;
	struct comp_frontend key = { .family = SN_AF_INET6, .proto = IPPROTO_UDP, .port = 53 };

	s->cluster_ips[1] = A("2001:db8::40");
	s->ncluster_ips = 2;
	port(s, IPPROTO_UDP, 53, 0);
	ep(slice(f->w, "d", IPPROTO_UDP, 53), "198.19.1.40", READY | SERVING, NULL);
	ep(slice(f->w, "d", IPPROTO_UDP, 53), "2001:db8:1::40", READY | SERVING, NULL);

	build(f, f->w, IPPROTO_UDP, &f->fs);
	assert_int_equal(f->fs.n, 2);
	assert_eps(find(&f->fs, "198.18.0.40", IPPROTO_UDP, 53), "198.19.1.40:53");
	key.addr = A("2001:db8::40");
	v6 = comp_frontends_find(&f->fs, &key);
	assert_eps(v6, "2001:db8:1::40:53");
}

/* ---- the diff ---- */

static const struct comp_fe_stale *stale_of(const struct comp_fe_diff *d, const char *addr,
					    uint16_t port)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct comp_frontend *fe = d->v[i].fe;
		struct sn_addr a;

		if (fe->port != port)
			continue;
		if (!addr ? fe->kind == COMP_FE_NODEPORT :
			    (a = A(addr), fe->kind != COMP_FE_NODEPORT && sn_addr_eq(&a, &fe->addr)))
			return &d->v[i];
	}
	return NULL;
}

/* One world, then another: an endpoint removed, a target port changed, a
 * Service added, one removed, one that got its first endpoint, one that
 * only gained an endpoint, one unchanged. */
static void test_diff(void **state)
{
	struct fx *f = *state;
	const struct comp_fe_stale *st;
	struct svc_slice *sl;
	char buf[SN_ADDR_STRLEN];

	/* before */
	port(svc(f->w, "lost", SVC_NODE_PORT, "198.18.0.1"), IPPROTO_UDP, 53, 30001);
	sl = slice(f->w, "lost", IPPROTO_UDP, 53);
	ep(sl, "198.19.1.1", READY | SERVING, NULL);
	ep(sl, "198.19.1.2", READY | SERVING, NULL);
	port(svc(f->w, "retarget", SVC_CLUSTER_IP, "198.18.0.2"), IPPROTO_UDP, 53, 0);
	ep(slice(f->w, "retarget", IPPROTO_UDP, 53), "198.19.2.1", READY | SERVING, NULL);
	port(svc(f->w, "gone", SVC_CLUSTER_IP, "198.18.0.3"), IPPROTO_UDP, 53, 0);
	ep(slice(f->w, "gone", IPPROTO_UDP, 53), "198.19.3.1", READY | SERVING, NULL);
	port(svc(f->w, "first", SVC_CLUSTER_IP, "198.18.0.4"), IPPROTO_UDP, 53, 0);
	port(svc(f->w, "gain", SVC_CLUSTER_IP, "198.18.0.5"), IPPROTO_UDP, 53, 0);
	ep(slice(f->w, "gain", IPPROTO_UDP, 53), "198.19.5.1", READY | SERVING, NULL);
	port(svc(f->w, "same", SVC_CLUSTER_IP, "198.18.0.6"), IPPROTO_UDP, 53, 0);
	ep(slice(f->w, "same", IPPROTO_UDP, 53), "198.19.6.1", READY | SERVING, NULL);

	/* after */
	port(svc(f->w2, "lost", SVC_NODE_PORT, "198.18.0.1"), IPPROTO_UDP, 53, 30001);
	ep(slice(f->w2, "lost", IPPROTO_UDP, 53), "198.19.1.2", READY | SERVING, NULL);
	port(svc(f->w2, "retarget", SVC_CLUSTER_IP, "198.18.0.2"), IPPROTO_UDP, 53, 0);
	ep(slice(f->w2, "retarget", IPPROTO_UDP, 5353), "198.19.2.1", READY | SERVING, NULL);
	f->w2->svcs[1].ports[0].target_port = 5353;
	port(svc(f->w2, "first", SVC_CLUSTER_IP, "198.18.0.4"), IPPROTO_UDP, 53, 0);
	ep(slice(f->w2, "first", IPPROTO_UDP, 53), "198.19.4.1", READY | SERVING, NULL);
	port(svc(f->w2, "gain", SVC_CLUSTER_IP, "198.18.0.5"), IPPROTO_UDP, 53, 0);
	sl = slice(f->w2, "gain", IPPROTO_UDP, 53);
	ep(sl, "198.19.5.1", READY | SERVING, NULL);
	ep(sl, "198.19.5.2", READY | SERVING, NULL);
	port(svc(f->w2, "same", SVC_CLUSTER_IP, "198.18.0.6"), IPPROTO_UDP, 53, 0);
	ep(slice(f->w2, "same", IPPROTO_UDP, 53), "198.19.6.1", READY | SERVING, NULL);
	port(svc(f->w2, "new", SVC_NODE_PORT, "198.18.0.7"), IPPROTO_UDP, 53, 30007);
	ep(slice(f->w2, "new", IPPROTO_UDP, 53), "198.19.7.1", READY | SERVING, NULL);

	build(f, f->w, IPPROTO_UDP, &f->fs);
	build(f, f->w2, IPPROTO_UDP, &f->fs2);
	comp_frontends_diff(&f->fs, &f->fs2, &f->d);

	/* the ClusterIP and the NodePort of "lost" lost 198.19.1.1:53 */
	assert_int_equal(f->d.n, 7);
	st = stale_of(&f->d, "198.18.0.1", 53);
	assert_non_null(st);
	assert_int_equal(st->why, COMP_FE_CHANGED);
	assert_int_equal(st->nlost, 1);
	assert_string_equal(sn_addr_str(&st->lost[0].addr, buf), "198.19.1.1");
	assert_eps(st->fe, "198.19.1.2:53");
	st = stale_of(&f->d, NULL, 30001);
	assert_non_null(st);
	assert_int_equal(st->why, COMP_FE_CHANGED);
	assert_int_equal(st->nlost, 1);
	/* same address, new port: flows to the old port are stale */
	st = stale_of(&f->d, "198.18.0.2", 53);
	assert_non_null(st);
	assert_int_equal(st->why, COMP_FE_CHANGED);
	assert_int_equal(st->nlost, 1);
	assert_int_equal(st->lost[0].port, 53);
	/* first endpoint: nothing lost, but what came before was not DNATed */
	st = stale_of(&f->d, "198.18.0.4", 53);
	assert_non_null(st);
	assert_int_equal(st->why, COMP_FE_CHANGED);
	assert_int_equal(st->nlost, 0);
	/* new Service: both frontends */
	assert_int_equal(stale_of(&f->d, "198.18.0.7", 53)->why, COMP_FE_NEW);
	assert_int_equal(stale_of(&f->d, NULL, 30007)->why, COMP_FE_NEW);
	/* gone: every endpoint it had is lost */
	st = stale_of(&f->d, "198.18.0.3", 53);
	assert_non_null(st);
	assert_int_equal(st->why, COMP_FE_GONE);
	assert_int_equal(st->nlost, 1);
	/* only gained, or unchanged: nothing can be stale */
	assert_null(stale_of(&f->d, "198.18.0.5", 53));
	assert_null(stale_of(&f->d, "198.18.0.6", 53));

	/* no previous list (the CLI): every frontend of the new one */
	comp_fe_diff_free(&f->d);
	comp_frontends_diff(NULL, &f->fs2, &f->d);
	assert_int_equal(f->d.n, f->fs2.n);
	for (size_t i = 0; i < f->d.n; i++)
		assert_int_equal(f->d.v[i].why, COMP_FE_UNKNOWN);

	/* the same list twice: nothing */
	comp_fe_diff_free(&f->d);
	comp_frontends_diff(&f->fs2, &f->fs2, &f->d);
	assert_int_equal(f->d.n, 0);
}

/* ---- session affinity elements ---- */

static struct rs_elem aff_elem(const char *client, const char *fe, uint8_t proto, uint16_t port,
			       const char *epaddr, uint16_t epport)
{
	struct rs_elem e;

	memset(&e, 0, sizeof(e));
	e.key[0].addr = A(client);
	e.key[1].addr = A(fe);
	e.key[2].num = proto;
	e.key[3].num = port;
	e.data[0].addr = A(epaddr);
	e.data[1].num = epport;
	return e;
}

/* The shared IPv4 map: an entry pinned to an endpoint its frontend (by
 * address, else as a NodePort on the node's address) still has stays; one
 * pinned to a removed endpoint, a wrong port, or a frontend that is gone
 * is stale. An IPv6 map of one service port keeps endpoints of that port
 * only. Sets the compiler does not name so are never touched. */
static void test_affinity_elems(void **state)
{
	struct fx *f = *state;
	struct svc_service *s = svc(f->w, "web", SVC_NODE_PORT, "198.18.0.80");
	struct comp_aff_ctx c = { 0 };
	struct rs_ruleset *rs = rs_ruleset_alloc();
	struct rs_table *t = rs_ruleset_add_table(rs, RS_IP, "svcnft");
	struct rs_table *t6 = rs_ruleset_add_table(rs, RS_IP6, "svcnft");
	struct rs_set *shared = rs_table_add_set(t, "affinity");
	struct rs_set *other = rs_table_add_set(t, "hairpin");
	struct rs_set *m6 = rs_table_add_set(t6, "affinity-default/web/tcp/80/8080");
	struct rs_set *m6x = rs_table_add_set(t6, "affinity-default/web/tcp/80/9090/local");
	struct rs_elem e;
	struct svc_slice *sl;

	rs_set_set_type(shared, 4, (uint8_t[]){ RS_T_IPV4, RS_T_IPV4, RS_T_PROTO, RS_T_SERVICE },
			2, (uint8_t[]){ RS_T_IPV4, RS_T_SERVICE });
	rs_set_set_type(other, 2, (uint8_t[]){ RS_T_IPV4, RS_T_IPV4 }, 0, NULL);
	rs_set_set_type(m6, 1, (uint8_t[]){ RS_T_IPV6 }, 1, (uint8_t[]){ RS_T_IPV6 });
	rs_set_set_type(m6x, 1, (uint8_t[]){ RS_T_IPV6 }, 1, (uint8_t[]){ RS_T_IPV6 });
	s->affinity = true;
	s->cluster_ips[1] = A("2001:db8::80");
	s->ncluster_ips = 2;
	port(s, IPPROTO_TCP, 80, 30080);
	s->ports[0].target_port = 8080;
	sl = slice(f->w, "web", IPPROTO_TCP, 8080);
	ep(sl, "198.19.1.1", READY | SERVING, NULL);
	ep(slice(f->w, "web", IPPROTO_TCP, 8080), "2001:db8:1::1", READY | SERVING, NULL);
	build(f, f->w, 0, &f->fs);
	c.fs = &f->fs;

	e = aff_elem("198.51.100.1", "198.18.0.80", IPPROTO_TCP, 80, "198.19.1.1", 8080);
	assert_false(comp_affinity_elem_stale(&c, shared, RS_IP, &e));
	e = aff_elem("198.51.100.1", "198.18.0.80", IPPROTO_TCP, 80, "198.19.1.2", 8080);
	assert_true(comp_affinity_elem_stale(&c, shared, RS_IP, &e));	/* removed endpoint */
	e = aff_elem("198.51.100.1", "198.18.0.80", IPPROTO_TCP, 80, "198.19.1.1", 80);
	assert_true(comp_affinity_elem_stale(&c, shared, RS_IP, &e));	/* not its port */
	e = aff_elem("198.51.100.1", "192.0.2.1", IPPROTO_TCP, 30080, "198.19.1.1", 8080);
	assert_false(comp_affinity_elem_stale(&c, shared, RS_IP, &e));	/* via the NodePort */
	e = aff_elem("198.51.100.1", "198.18.0.99", IPPROTO_TCP, 80, "198.19.1.1", 8080);
	assert_true(comp_affinity_elem_stale(&c, shared, RS_IP, &e));	/* no such frontend */
	e = aff_elem("198.51.100.1", "198.18.0.80", IPPROTO_TCP, 80, "198.19.1.2", 8080);
	assert_false(comp_affinity_elem_stale(&c, other, RS_IP, &e));	/* not an affinity map */

	memset(&e, 0, sizeof(e));
	e.key[0].addr = A("2001:db8:2::1");
	e.data[0].addr = A("2001:db8:1::1");
	assert_false(comp_affinity_elem_stale(&c, m6, RS_IP6, &e));
	assert_true(comp_affinity_elem_stale(&c, m6x, RS_IP6, &e));	/* port 9090: none */
	e.data[0].addr = A("2001:db8:1::2");
	assert_true(comp_affinity_elem_stale(&c, m6, RS_IP6, &e));
	comp_aff_ctx_free(&c);
	rs_ruleset_free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_udp_clusterip_and_nodeport, setup, teardown),
		cmocka_unit_test_setup_teardown(test_itp_local, setup, teardown),
		cmocka_unit_test_setup_teardown(test_etp_local_union, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fallback_and_none, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dual_stack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_diff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_affinity_elems, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
