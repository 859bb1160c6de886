// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * compiler/build.c: a prepared world to the desired ruleset.
 *
 * The shape, and the kernel costs behind it, are described in
 * docs/ruleset.md. In short: one table per family; no verdict map holds
 * per-Service elements and no chain or rule exists per Service or per
 * endpoint (IPv6 ClientIP affinity aside, see build_affinity6()).
 * Everything per Service is an element: frontends in plain sets that send
 * the packet to the chain of its role, endpoints in data maps keyed by
 * `frontend . numgen random mod N` (one map per endpoint count N in use),
 * looked up by one common rule per map (in a chain of its own that the
 * role chains jump to, see build_pick_chains()). An endpoint change is
 * then element changes only, and adding a rule (a new count) makes the
 * kernel validate a few dozen rules, whatever the cluster size.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/internal.h"

/* The affinity map holds one element per (client, frontend) pair while the
 * pair is active. kube-proxy's per-endpoint sets default to 65535 elements
 * each; a node-wide map needs more room. When full, new clients are still
 * served, only not pinned. */
#define AFFINITY_MAP_SIZE 1048576

/* Which endpoints a map holds, and for which frontend key. */
enum ep_kind {
	EP_CLUSTER,		/* cluster-wide endpoints, keyed by address . protocol . port */
	EP_LOCAL,		/* this node's endpoints, same key */
	EP_NP_CLUSTER,		/* cluster-wide endpoints of NodePorts: protocol . port */
	EP_NP_LOCAL,		/* this node's endpoints of NodePorts */
	__EP_KIND_MAX
};

static const char *const ep_map_prefix[__EP_KIND_MAX] = {
	[EP_CLUSTER] = "endpoints",
	[EP_LOCAL] = "local-endpoints",
	[EP_NP_CLUSTER] = "nodeport-endpoints",
	[EP_NP_LOCAL] = "nodeport-local-endpoints",
};

/* One endpoint map: kind and count. A big map is split into nshards
 * maps NAME/K, dispatched by the verdict map NAME/shards (split_sets()). */
struct ep_map {
	uint8_t kind;		/* enum ep_kind */
	uint32_t n;
	struct rs_set *set;
	char *name;		/* of the whole map: set is NULL once split */
	struct rs_set *dispatch, **shards;	/* split: nshards > 1 */
	unsigned nshards;
};

/* The chains a frontend can be dispatched to, each with its set of
 * frontends in `services`. */
enum role {
	ROLE_CLUSTERIP,		/* ClusterIPs, either internal policy */
	ROLE_EXTERNAL,		/* external IPs and LB VIPs, eTP Cluster */
	ROLE_EXTERNAL_LOCAL,	/* external IPs and LB VIPs, eTP Local */
	ROLE_NODEPORT,		/* NodePorts, eTP Cluster */
	ROLE_NODEPORT_LOCAL,	/* NodePorts, eTP Local */
	__ROLE_MAX
};

static const struct {
	const char *chain, *set, *set_comment, *note;
	bool np;
} roles[__ROLE_MAX] = {
	[ROLE_CLUSTERIP] = { "clusterip", "clusterip-frontends", "ClusterIPs by port",
			     "ClusterIPs: the internal policy's endpoints" },
	[ROLE_EXTERNAL] = { "external", "external-frontends",
			    "external IPs and LB VIPs by port, externalTrafficPolicy Cluster",
			    "external IPs and LB VIPs, eTP Cluster: masqueraded, any endpoint" },
	[ROLE_EXTERNAL_LOCAL] = { "external-local", "external-local-frontends",
				  "external IPs and LB VIPs by port, externalTrafficPolicy Local",
				  "external IPs and LB VIPs, eTP Local: this node's endpoints, "
				  "source kept" },
	[ROLE_NODEPORT] = { "nodeport", "nodeport-frontends", "NodePorts, externalTrafficPolicy Cluster",
			    "NodePorts, eTP Cluster: masqueraded, any endpoint", true },
	[ROLE_NODEPORT_LOCAL] = { "nodeport-local", "nodeport-local-frontends",
				  "NodePorts, externalTrafficPolicy Local",
				  "NodePorts, eTP Local: this node's endpoints, source kept", true },
};

/* IPv4 affinity: the frontends recorded with one timeout. */
struct aff_class {
	uint32_t timeout;	/* seconds */
	struct rs_set *fronts, *nodeports;
};

struct bctx {
	const struct svc_world *w;
	const struct comp_opts *o;
	struct comp_stats *st;
	struct sn_diag *d;
	enum rs_family fam;
	uint8_t af;
	uint32_t mark;
	const struct sn_addr *cluster_cidr;	/* of this family, or NULL */
	const struct sn_addr *service_cidr;	/* of this family, or NULL */
	struct rs_table *t;
	struct rs_set *role_sets[__ROLE_MAX], *no_local, *np_no_local, *cluster_ips, *fw_ips,
		*fw_allow, *hairpin, *affinity, *aff_fronts, *aff_nodeports;
	/* IPv6 affinity verdict maps (build_affinity6()) */
	struct rs_set *aff6_check, *aff6_check_local, *aff6_check_np, *aff6_check_np_local,
		*aff6_record, *aff6_record_np;
	struct ep_map *maps;
	unsigned nmaps;
	struct aff_class *aff;		/* IPv4: record sets per timeout */
	unsigned naff;
	uint8_t aff_protos, aff_np_protos;
};

static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP };

static uint8_t proto_bit(uint8_t proto)
{
	unsigned i;

	for (i = 0; i < SN_ARRAY_SIZE(protos); i++)
		if (protos[i] == proto)
			return (uint8_t)(1u << i);
	return 0;
}

static const struct sn_addr *cidr_of(const struct sn_addr *v, unsigned n, uint8_t af)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (v[i].family == af)
			return &v[i];
	return NULL;
}

static enum rs_type addr_type(const struct bctx *b)
{
	return b->fam == RS_IP ? RS_T_IPV4 : RS_T_IPV6;
}

static struct rs_set *add_set(struct bctx *b, const char *name, const char *comment,
			      uint8_t nkey, const uint8_t *key, uint8_t ndata, const uint8_t *data)
{
	struct rs_set *s = rs_table_add_set(b->t, name);

	rs_set_set_type(s, nkey, key, ndata, data);
	rs_set_set_comment(s, comment);
	return s;
}

/* A set of frontends: address . protocol . port, or protocol . port for
 * NodePorts. */
static struct rs_set *add_frontend_set(struct bctx *b, const char *name, const char *comment,
				       bool np)
{
	const uint8_t A = (uint8_t)addr_type(b), P = RS_T_PROTO, S = RS_T_SERVICE;

	if (np)
		return add_set(b, name, comment, 2, (uint8_t[]){ P, S }, 0, NULL);
	return add_set(b, name, comment, 3, (uint8_t[]){ A, P, S }, 0, NULL);
}

static struct rs_set *add_frontend_vmap(struct bctx *b, const char *name, const char *comment,
					bool np)
{
	const uint8_t A = (uint8_t)addr_type(b), P = RS_T_PROTO, S = RS_T_SERVICE,
		      V = RS_T_VERDICT;

	if (np)
		return add_set(b, name, comment, 2, (uint8_t[]){ P, S }, 1, (uint8_t[]){ V });
	return add_set(b, name, comment, 3, (uint8_t[]){ A, P, S }, 1, (uint8_t[]){ V });
}

static void declare_sets(struct bctx *b)
{
	const uint8_t A = (uint8_t)addr_type(b), P = RS_T_PROTO, S = RS_T_SERVICE;
	unsigned i;

	for (i = 0; i < __ROLE_MAX; i++)
		b->role_sets[i] = add_frontend_set(b, roles[i].set, roles[i].set_comment,
						   roles[i].np);
	b->no_local = add_frontend_set(b, "no-local-endpoints",
				       "Local policy, endpoints elsewhere but none here: dropped",
				       false);
	b->np_no_local = add_frontend_set(b, "nodeport-no-local-endpoints",
					  "NodePorts with eTP Local, no endpoint here: dropped", true);
	b->cluster_ips = add_set(b, "cluster-ips", "every ClusterIP: other ports are rejected",
				 1, (uint8_t[]){ A }, 0, NULL);
	b->fw_ips = add_set(b, "firewall-ips", "LB VIPs with loadBalancerSourceRanges",
			    3, (uint8_t[]){ A, P, S }, 0, NULL);
	b->fw_allow = add_set(b, "firewall-allow", "sources allowed per LB VIP",
			      4, (uint8_t[]){ A, P, S, A }, 0, NULL);
	b->fw_allow->flags |= RS_SET_INTERVAL;
	b->hairpin = add_set(b, "hairpin", "endpoint . endpoint: a pod reaching itself",
			     2, (uint8_t[]){ A, A }, 0, NULL);
	if (b->fam == RS_IP) {
		b->affinity = add_set(b, "affinity", "sessionAffinity ClientIP: client . frontend",
				      4, (uint8_t[]){ A, A, P, S }, 2, (uint8_t[]){ A, S });
		b->affinity->flags |= RS_SET_DYNAMIC | RS_SET_TIMEOUT;
		b->affinity->size = AFFINITY_MAP_SIZE;
		b->affinity->elems_runtime = true;
		b->aff_fronts = add_frontend_set(b, "affinity-frontends",
						 "frontends of ClientIP affinity", false);
		b->aff_nodeports = add_frontend_set(b, "affinity-nodeports",
						    "NodePorts of ClientIP affinity", true);
	} else {
		b->aff6_check = add_frontend_vmap(b, "affinity-check",
						  "ClientIP affinity: pins of the frontend's choice",
						  false);
		b->aff6_check_local = add_frontend_vmap(
			b, "affinity-check-local",
			"ClientIP affinity, eTP Local from outside: pins of this node's choice", false);
		b->aff6_check_np = add_frontend_vmap(b, "affinity-check-nodeports",
						     "ClientIP affinity of NodePorts", true);
		b->aff6_check_np_local = add_frontend_vmap(
			b, "affinity-check-nodeports-local",
			"ClientIP affinity of NodePorts, eTP Local from outside", true);
		b->aff6_record = add_frontend_vmap(b, "affinity-record",
						   "ClientIP affinity: where new connections are recorded",
						   false);
		b->aff6_record_np = add_frontend_vmap(b, "affinity-record-nodeports",
						      "ClientIP affinity of NodePorts: recording",
						      true);
	}
}

/* "shop/web port http 80/tcp": the comment of every element of a service port */
static char *port_label(const struct svc_service *s, const struct svc_port *p)
{
	return sn_asprintf("%s/%s port %s%s%u/%s", s->ns, s->name, p->name, *p->name ? " " : "",
			   p->port, sn_proto_name(p->proto));
}

/* A frontend: an address (NULL for a NodePort), a protocol and a port. */
struct frontend {
	const struct sn_addr *addr;
	uint8_t proto;
	uint16_t port;
};

/* Write the frontend into the first key fields of e; returns how many. */
static unsigned elem_frontend(struct rs_elem *e, const struct frontend *f)
{
	unsigned k = 0;

	if (f->addr)
		e->key[k++].addr = *f->addr;
	e->key[k++].num = f->proto;
	e->key[k++].num = f->port;
	return k;
}

static struct rs_elem *add_frontend_elem(struct rs_set *s, const struct frontend *f,
					 const char *label)
{
	struct rs_elem *e = rs_set_add_elem(s);

	elem_frontend(e, f);
	rs_elem_set_comment(e, label);
	return e;
}

static void add_hairpin(struct bctx *b, const struct sn_addr *a)
{
	struct rs_elem *e = rs_set_add_elem(b->hairpin);

	e->key[0].addr = *a;
	e->key[1].addr = *a;
}

static char *ep_map_name(enum ep_kind kind, uint32_t n)
{
	return sn_asprintf("%s-%u", ep_map_prefix[kind], n);
}

/* The map of endpoint sets of kind and size n, declared on first use:
 * `typeof FRONTEND . numgen random mod n : ip daddr . th dport`. */
static struct rs_set *ep_map(struct bctx *b, enum ep_kind kind, uint32_t n)
{
	bool np = kind == EP_NP_CLUSTER || kind == EP_NP_LOCAL;
	struct rs_set *s;
	char *name, *comment;
	unsigned i;

	for (i = 0; i < b->nmaps; i++)
		if (b->maps[i].kind == kind && b->maps[i].n == n)
			return b->maps[i].set;
	name = ep_map_name(kind, n);
	comment = sn_asprintf("%s %s of %u endpoint%s: frontend . index : endpoint",
			      kind == EP_CLUSTER || kind == EP_NP_CLUSTER ? "cluster-wide" : "local",
			      np ? "NodePort choices" : "choices", n, n == 1 ? "" : "s");
	s = rs_table_add_set(b->t, name);
	if (np)
		rs_set_set_typeof(s, b->fam, &RS_KEY_NG(n, RS_F_L4PROTO, RS_F_DPORT),
				  &RS_KEY(RS_F_DADDR, RS_F_DPORT));
	else
		rs_set_set_typeof(s, b->fam, &RS_KEY_NG(n, RS_F_DADDR, RS_F_L4PROTO, RS_F_DPORT),
				  &RS_KEY(RS_F_DADDR, RS_F_DPORT));
	rs_set_set_comment(s, comment);
	free(comment);
	free(name);
	b->maps = sn_realloc(b->maps, (b->nmaps + 1) * sizeof(*b->maps));
	b->maps[b->nmaps].kind = (uint8_t)kind;
	b->maps[b->nmaps].n = n;
	b->maps[b->nmaps].set = s;
	b->maps[b->nmaps].name = sn_strdup(s->name);
	b->maps[b->nmaps].dispatch = NULL;
	b->maps[b->nmaps].shards = NULL;
	b->maps[b->nmaps].nshards = 1;
	b->nmaps++;
	return s;
}

/*
 * The endpoint choice of one frontend: elements `FRONTEND . i : EP_i . PORT`
 * for i in 0..n-1 of the map of size n. numgen random mod n picks i, so the
 * choice is uniform; a frontend with another count has no key here and the
 * lookup misses (see docs/ruleset.md).
 */
static void add_choice(struct bctx *b, enum ep_kind kind, const struct frontend *f,
		       struct comp_ep *const *eps, unsigned n, const char *label)
{
	struct rs_set *s;
	unsigned i;

	if (!n)
		return;
	s = ep_map(b, kind, n);
	for (i = 0; i < n; i++) {
		struct rs_elem *e = rs_set_add_elem(s);
		unsigned k = elem_frontend(e, f);

		e->key[k].num = (uint16_t)i;
		e->data[0].addr = eps[i]->addr;
		e->data[1].num = eps[i]->port;
		rs_elem_set_comment(e, label);
		add_hairpin(b, &eps[i]->addr);
	}
}

static unsigned family_ips(const struct bctx *b, const struct sn_addr *v, unsigned n)
{
	unsigned i, k = 0;

	for (i = 0; i < n; i++)
		k += v[i].family == b->af;
	return k;
}

static unsigned family_vips(const struct bctx *b, const struct svc_service *s)
{
	unsigned i, k = 0;

	for (i = 0; i < s->nlb_ingress; i++)
		k += !s->lb_ingress[i].proxy_mode && s->lb_ingress[i].ip.family == b->af;
	return k;
}

/* ---- ClientIP affinity ---- */

static uint32_t aff_timeout_of(const struct svc_service *s)
{
	return s->affinity_timeout;
}

static void note_affinity4(struct bctx *b, const struct svc_service *s, const struct frontend *f,
			   const char *label)
{
	struct aff_class *c = NULL;
	unsigned i;

	for (i = 0; i < b->naff; i++)
		if (b->aff[i].timeout == aff_timeout_of(s))
			c = &b->aff[i];
	if (!c) {
		char *name = sn_asprintf("affinity-frontends-%u", aff_timeout_of(s));
		char *npname = sn_asprintf("affinity-nodeports-%u", aff_timeout_of(s));
		char *comment = sn_asprintf("recorded with timeout %us", aff_timeout_of(s));

		b->aff = sn_realloc(b->aff, (b->naff + 1) * sizeof(*b->aff));
		c = &b->aff[b->naff++];
		c->timeout = aff_timeout_of(s);
		c->fronts = add_frontend_set(b, name, comment, false);
		c->nodeports = add_frontend_set(b, npname, comment, true);
		free(name);
		free(npname);
		free(comment);
	}
	if (f->addr) {
		add_frontend_elem(b->aff_fronts, f, label);
		add_frontend_elem(c->fronts, f, label);
		b->aff_protos |= proto_bit(f->proto);
	} else {
		add_frontend_elem(b->aff_nodeports, f, label);
		add_frontend_elem(c->nodeports, f, label);
		b->aff_np_protos |= proto_bit(f->proto);
	}
}

/*
 * IPv6 ClientIP affinity. nft 1.0.6 aborts (netlink_linearize.c: "dreg <
 * ctx->reg_low") on a dynamic map update whose key and data need more than
 * 32 bytes of registers, and client . frontend : endpoint . port needs 60 in
 * IPv6. So each IPv6 affinity service port keeps one map per endpoint port
 * and choice (cluster-wide or local), `ip6 saddr : ip6 daddr` (32 bytes),
 * with the choice's endpoints of that port in a set beside it. Its check
 * chain (a pinned client is DNATed) and its record chain are reached
 * through verdict maps keyed by its frontends. What stays per Service: the
 * maps, sets and the two chains, whose rules change only when an endpoint
 * port appears or goes; endpoints themselves are elements.
 */
static char *aff6_map_name(const struct svc_service *s, const struct svc_port *p, uint16_t epport,
			   bool local)
{
	return sn_asprintf("affinity-%s/%s/%s/%u/%u%s", s->ns, s->name, sn_proto_name(p->proto),
			   p->port, epport, local ? "/local" : "");
}

static char *aff6_check_chain(const struct svc_service *s, const struct svc_port *p, bool local)
{
	return sn_asprintf("affinity-check-%s/%s/%s/%u%s", s->ns, s->name,
			   sn_proto_name(p->proto), p->port, local ? "/local" : "");
}

static char *aff6_record_chain(const struct svc_service *s, const struct svc_port *p)
{
	return sn_asprintf("affinity-%s/%s/%s/%u", s->ns, s->name, sn_proto_name(p->proto),
			   p->port);
}

/* The distinct ports of eps, sorted, into out (room for n). */
static unsigned distinct_ports(struct comp_ep *const *eps, unsigned n, uint16_t *out)
{
	unsigned i, j, k = 0;

	for (i = 0; i < n; i++) {
		for (j = 0; j < k && out[j] < eps[i]->port; j++)
			;
		if (j < k && out[j] == eps[i]->port)
			continue;
		memmove(&out[j + 1], &out[j], (k - j) * sizeof(*out));
		out[j] = eps[i]->port;
		k++;
	}
	return k;
}

/* One choice's maps, endpoint sets, check chain and record rules. */
static void build_aff6_choice(struct bctx *b, const struct svc_service *s, const struct svc_port *p,
			      struct comp_ep *const *eps, unsigned n, bool local,
			      struct rs_chain *record, const char *label)
{
	uint16_t *ports = sn_calloc(n + 1, sizeof(*ports));
	unsigned nports = distinct_ports(eps, n, ports), i, j;
	char *name = aff6_check_chain(s, p, local), *note;
	struct rs_chain *check;

	note = sn_asprintf("%s: ClientIP affinity, a pinned client of the %s choice", label,
			   local ? "local" : "cluster-wide");
	check = rs_table_add_chain(b->t, name);
	rs_chain_set_note(check, note);
	free(note);
	free(name);
	for (i = 0; i < nports; i++) {
		char *map = aff6_map_name(s, p, ports[i], local);
		char *epset = sn_asprintf("%s/endpoints", map);
		struct rs_set *set = add_set(b, map, NULL, 1, (uint8_t[]){ RS_T_IPV6 }, 1,
					     (uint8_t[]){ RS_T_IPV6 });
		struct rs_set *es = add_set(b, epset, NULL, 1, (uint8_t[]){ RS_T_IPV6 }, 0, NULL);
		struct rs_rule *r;

		set->flags |= RS_SET_DYNAMIC | RS_SET_TIMEOUT;
		set->size = 65535;	/* as kube-proxy's per-endpoint affinity sets */
		set->elems_runtime = true;
		for (j = 0; j < n; j++) {
			if (eps[j]->port != ports[i])
				continue;
			rs_elem_set_comment(rs_set_add_elem(es), label);
			es->elems[es->n - 1].key[0].addr = eps[j]->addr;
		}
		r = rs_chain_add_rule(check);
		rs_rule_cmp_proto(r, p->proto);
		rs_rule_dnat_map_port(r, &RS_KEY(RS_F_SADDR), map, ports[i]);
		/* Record only connections DNATed to this choice's endpoints of
		 * that port: the record chain is also reached by any connection
		 * whose original port equals an affinity NodePort. A local
		 * endpoint chosen on a cluster-wide path pins both choices. */
		r = rs_chain_add_rule(record);
		rs_rule_cmp_port(r, false, ports[i]);
		rs_rule_lookup(r, &RS_KEY(RS_F_DADDR), false, epset);
		rs_rule_update(r, map, &RS_KEY(RS_F_SADDR), s->affinity_timeout, &RS_KEY(RS_F_DADDR));
		free(epset);
		free(map);
	}
	free(ports);
}

static void add_aff6_vmap_elem(struct rs_set *vmap, const struct frontend *f, const char *label,
			       enum rs_verdict_code code, char *chain)
{
	struct rs_elem *e = add_frontend_elem(vmap, f, label);

	e->verdict.code = code;
	e->verdict.chain = chain;
}

/* ---- one service port ---- */

/* What a service port's frontends need, computed once per port. */
struct port_ctx {
	const struct svc_service *s;
	const struct svc_port *p;
	const struct comp_eps *e;
	char *label;
	bool aff;
};

/* The check chains a frontend jumps to: that of the choice its role chain
 * makes (local when internal_local), and with outside_local (eTP Local)
 * that of the local choice for outside sources. */
static void aff6_frontend(struct bctx *b, const struct port_ctx *pc, const struct frontend *f,
			  bool internal_local, bool outside_local)
{
	bool np = !f->addr;

	add_aff6_vmap_elem(np ? b->aff6_check_np : b->aff6_check, f, pc->label, RS_V_JUMP,
			   aff6_check_chain(pc->s, pc->p, internal_local));
	if (outside_local)
		add_aff6_vmap_elem(np ? b->aff6_check_np_local : b->aff6_check_local, f, pc->label,
				   RS_V_JUMP, aff6_check_chain(pc->s, pc->p, true));
	add_aff6_vmap_elem(np ? b->aff6_record_np : b->aff6_record, f, pc->label, RS_V_JUMP,
			   aff6_record_chain(pc->s, pc->p));
	if (np)
		b->aff_np_protos |= proto_bit(f->proto);
	else
		b->aff_protos |= proto_bit(f->proto);
}

/* A ClusterIP frontend: the internal policy's endpoints. */
static void add_clusterip(struct bctx *b, const struct port_ctx *pc, const struct sn_addr *cip)
{
	const struct comp_eps *e = pc->e;
	struct frontend f = { cip, pc->p->proto, pc->p->port };

	add_frontend_elem(b->role_sets[ROLE_CLUSTERIP], &f, pc->label);
	if (!e->any) {
		/* no endpoint anywhere: the role chain rejects */
	} else if (pc->s->itp_local && !e->nlocal) {
		add_frontend_elem(b->no_local, &f, pc->label);
	} else if (pc->s->itp_local) {
		add_choice(b, EP_LOCAL, &f, e->local, e->nlocal, pc->label);
	} else {
		add_choice(b, EP_CLUSTER, &f, e->cluster, e->ncluster, pc->label);
	}
	if (!pc->aff)
		return;
	if (b->fam == RS_IP)
		note_affinity4(b, pc->s, &f, pc->label);
	else
		aff6_frontend(b, pc, &f, pc->s->itp_local, false);
}

/*
 * An external frontend (LB VIP, external IP, or with addr NULL a NodePort).
 * eTP Cluster: any endpoint. eTP Local: this node's endpoints for outside
 * sources; pods and the node any endpoint, whatever the internal policy (as
 * svcnft always did: kube-proxy's table, pod -> NodePort under iTP Local is
 * "both, masq"), found by the same key in the cluster-wide maps.
 */
static void add_external(struct bctx *b, const struct port_ctx *pc, const struct frontend *f)
{
	const struct comp_eps *e = pc->e;
	bool np = !f->addr, etp_local = comp_etp_local(pc->s);
	enum role role = np ? (etp_local ? ROLE_NODEPORT_LOCAL : ROLE_NODEPORT) :
			      (etp_local ? ROLE_EXTERNAL_LOCAL : ROLE_EXTERNAL);
	enum ep_kind cluster = np ? EP_NP_CLUSTER : EP_CLUSTER, local = np ? EP_NP_LOCAL : EP_LOCAL;

	add_frontend_elem(b->role_sets[role], f, pc->label);
	if (!e->any)
		return;	/* the role chain rejects */
	if (!etp_local) {
		add_choice(b, cluster, f, e->cluster, e->ncluster, pc->label);
	} else {
		if (e->nlocal)
			add_choice(b, local, f, e->local, e->nlocal, pc->label);
		else
			add_frontend_elem(np ? b->np_no_local : b->no_local, f, pc->label);
		/* pods and the node */
		add_choice(b, cluster, f, e->cluster, e->ncluster, pc->label);
	}
	if (!pc->aff)
		return;
	if (b->fam == RS_IP)
		note_affinity4(b, pc->s, f, pc->label);
	else if (etp_local)
		aff6_frontend(b, pc, f, false, true);
	else
		aff6_frontend(b, pc, f, false, false);
}

/* Source ranges of one LB VIP: elements of firewall-ips and firewall-allow. */
static void add_firewall(struct bctx *b, const struct port_ctx *pc, const struct frontend *f)
{
	const struct svc_service *s = pc->s;
	unsigned j;

	if (!family_ips(b, s->source_ranges, s->nsource_ranges))
		return;
	add_frontend_elem(b->fw_ips, f, pc->label);
	for (j = 0; j < s->nsource_ranges; j++) {
		struct rs_elem *el;

		if (s->source_ranges[j].family != b->af)
			continue;
		el = add_frontend_elem(b->fw_allow, f, pc->label);
		el->key[3].addr = s->source_ranges[j];
	}
}

static void build_port(struct bctx *b, const struct svc_service *s, const struct sn_addr *cip,
		       const struct svc_port *p, const struct comp_slices *sl)
{
	struct port_ctx pc = { .s = s, .p = p };
	struct comp_eps e;
	unsigned i;

	comp_eps_build(b->w, b->o, s, p, b->af, sl, &e);
	pc.e = &e;
	pc.label = port_label(s, p);
	/* Affinity only matters where some endpoint can be chosen. */
	pc.aff = s->affinity && e.any;
	b->st->endpoints += e.nall;

	/* comp_prepare decided which frontends this port lost: to another
	 * Service, or its ClusterIP key to its own external entry */
	if (!comp_frontend_skipped(s, p, cip, true))
		add_clusterip(b, &pc, cip);
	for (i = 0; i < s->nexternal_ips; i++) {
		struct frontend f = { &s->external_ips[i], p->proto, p->port };

		if (s->external_ips[i].family == b->af &&
		    !comp_frontend_skipped(s, p, f.addr, false))
			add_external(b, &pc, &f);
	}
	for (i = 0; i < s->nlb_ingress; i++) {
		struct frontend f = { &s->lb_ingress[i].ip, p->proto, p->port };

		if (s->lb_ingress[i].proxy_mode || f.addr->family != b->af ||
		    comp_frontend_skipped(s, p, f.addr, false))
			continue;
		add_external(b, &pc, &f);
		add_firewall(b, &pc, &f);
	}
	if (p->node_port) {
		struct frontend f = { NULL, p->proto, p->node_port };

		add_external(b, &pc, &f);
	}
	if (pc.aff && b->fam == RS_IP6) {
		char *name = aff6_record_chain(s, p);
		struct rs_chain *record = rs_table_add_chain(b->t, name);
		char *note = sn_asprintf("%s: ClientIP affinity, recording new connections",
					 pc.label);

		rs_chain_set_note(record, note);
		free(note);
		free(name);
		bool ext = p->node_port || family_ips(b, s->external_ips, s->nexternal_ips) ||
			   family_vips(b, s);
		bool etp_local = comp_etp_local(s);

		/* the choices the frontends' chains make: the ClusterIP the
		 * internal policy's; external frontends the cluster-wide one,
		 * and with eTP Local the local one for outside sources */
		if (!s->itp_local || ext)
			build_aff6_choice(b, s, p, e.cluster, e.ncluster, false, record, pc.label);
		if (s->itp_local || (ext && etp_local))
			build_aff6_choice(b, s, p, e.local, e.nlocal, true, record, pc.label);
	}
	free(pc.label);
	comp_eps_free(&e);
}

static void build_service(struct bctx *b, const struct svc_service *s)
{
	const struct sn_addr *cip = NULL;
	struct comp_slices sl;
	struct rs_elem *e;
	char *label;
	unsigned i;

	for (i = 0; i < s->ncluster_ips; i++)
		if (s->cluster_ips[i].family == b->af)
			cip = &s->cluster_ips[i];
	if (!cip)
		return;
	e = rs_set_add_elem(b->cluster_ips);
	e->key[0].addr = *cip;
	label = sn_asprintf("%s/%s", s->ns, s->name);
	rs_elem_set_comment(e, label);
	free(label);
	comp_slices_for(b->w, s, &sl);
	for (i = 0; i < s->nports; i++)
		build_port(b, s, cip, &s->ports[i], &sl);
	comp_slices_free(&sl);
}

/* ---- shards ---- */

/*
 * Reading a set back is quadratic in its size: the kernel sends a set's
 * elements in 32 KiB answers (netlink caps a dump's buffer there), and each
 * answer restarts the hash walk from the first element and skips the ones
 * already sent (nft_rhash_walk in nf_tables_dump_set). 100,000 elements
 * took 2.9 s to read in one set, 0.4-0.7 s in 256 (docs/ruleset.md,
 * "Shards"). So a set of endpoints (or of hairpin pairs) bigger than
 * o->shard_elems is split by the low bits of an address or port the packet
 * carries: NAME/K holds the elements whose field & (S - 1) == K, and the
 * verdict map NAME/shards sends the packet to the chain that looks up its
 * shard. S is a power of two, chosen from the size alone, so the script of
 * a small cluster shows no shards at all.
 */
static unsigned shard_count(const struct bctx *b, const char *set, size_t n)
{
	size_t per = b->o->shard_elems ? b->o->shard_elems : COMP_SHARD_ELEMS_DEFAULT;
	unsigned k = 1;

	if (b->o->shard_plan)
		return comp_shard_plan_get(b->o->shard_plan, b->fam, set);
	while (k < COMP_SHARDS_MAX && n > per * k)
		k *= 2;
	return k;
}

#define SHARDS_SUFFIX "/shards"

void comp_shard_plan_from(const struct rs_ruleset *rs, struct comp_shard_plan *p)
{
	size_t cap = 0;

	comp_shard_plan_free(p);
	for (size_t i = 0; rs && i < rs->n; i++) {
		const struct rs_table *t = rs->tables[i];

		for (size_t k = 0; k < t->nsets; k++) {
			const struct rs_set *d = t->sets[k];
			size_t len = strlen(d->name), sl = strlen(SHARDS_SUFFIX);

			if (len <= sl || strcmp(d->name + len - sl, SHARDS_SUFFIX) || !d->n)
				continue;
			sn_grow(&p->v, &cap, p->n + 1, sizeof(*p->v));
			p->v[p->n].family = (uint8_t)t->family;
			p->v[p->n].set = sn_strndup(d->name, len - sl);
			/* every shard has its element in the dispatch map */
			p->v[p->n].nshards = (unsigned)d->n;
			p->n++;
		}
	}
}

unsigned comp_shard_plan_get(const struct comp_shard_plan *p, enum rs_family f, const char *set)
{
	for (size_t i = 0; p && i < p->n; i++)
		if (p->v[i].family == f && !strcmp(p->v[i].set, set))
			return p->v[i].nshards;
	return 1;
}

void comp_shard_plan_free(struct comp_shard_plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i].set);
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

/* The shard of a value: the low bits of an address, or of a port. */
static unsigned shard_of(const struct rs_val *v, enum rs_type t, unsigned nshards)
{
	unsigned low;

	if (t == RS_T_IPV4)
		low = v->addr.a[3];
	else if (t == RS_T_IPV6)
		low = v->addr.a[15];
	else
		low = v->num;
	return low & (nshards - 1);
}

/* The dispatch key of shard k: "0.0.0.K", "::K" or "K". */
static void shard_key(struct rs_val *v, enum rs_type t, unsigned k)
{
	memset(v, 0, sizeof(*v));
	if (t == RS_T_IPV4 || t == RS_T_IPV6) {
		v->addr.family = t == RS_T_IPV4 ? SN_AF_INET : SN_AF_INET6;
		v->addr.plen = t == RS_T_IPV4 ? 32 : 128;
		v->addr.a[t == RS_T_IPV4 ? 3 : 15] = (uint8_t)k;
	} else {
		v->num = (uint16_t)k;
	}
}

/* Shard k of whole: NAME/K, typed like it. */
static struct rs_set *new_shard(struct bctx *b, const struct rs_set *whole, unsigned k,
				unsigned nshards)
{
	char *name = sn_asprintf("%s/%u", whole->name, k);
	char *comment = sn_asprintf("%s, shard %u of %u", whole->comment ? whole->comment : whole->name,
				    k, nshards);
	struct rs_set *s = rs_table_add_set(b->t, name);

	rs_set_set_type(s, whole->nkey, whole->key, whole->ndata, whole->data);
	s->tkey = whole->tkey;
	s->tdata = whole->tdata;
	s->flags = whole->flags;
	rs_set_set_comment(s, comment);
	free(comment);
	free(name);
	return s;
}

/*
 * Split whole (nshards > 1) by its key field kf into sets NAME/K, and
 * declare the verdict map NAME/shards: `K : goto CHAIN/K` for each shard.
 * Every shard exists, empty or not (at the sizes that split, the low bits
 * leave none empty anyway): so the objects depend on the count alone, and
 * a Service compiled alone by the reconcile core lands in the same ones.
 * whole is left empty; the caller deletes it. Returns the shards (a part,
 * comp_opts.part, gets only those it fills: NULL for the others).
 */
static struct rs_set **split_set(struct bctx *b, struct rs_set *whole, unsigned kf,
				 unsigned nshards, const char *chain, struct rs_set **dispatch)
{
	struct rs_set **sh = sn_calloc(nshards, sizeof(*sh));
	enum rs_type t = (enum rs_type)whole->key[kf];
	char *name, *comment;
	unsigned k;
	size_t i;

	/* the dispatch map first: the script lists it above its shards */
	name = sn_asprintf("%s" SHARDS_SUFFIX, whole->name);
	comment = sn_asprintf("%s in %u shards, by the low bits of the %s", whole->name, nshards,
			      t == RS_T_SERVICE ? "port" : "address");
	*dispatch = add_set(b, name, comment, 1, (uint8_t[]){ (uint8_t)t }, 1,
			    (uint8_t[]){ RS_T_VERDICT });
	free(comment);
	free(name);
	for (k = 0; k < nshards; k++) {
		struct rs_elem *e;

		if (b->o->part)
			continue;	/* the skeleton declares them (comp_opts.part) */
		sh[k] = new_shard(b, whole, k, nshards);
		e = rs_set_add_elem(*dispatch);
		shard_key(&e->key[0], t, k);
		e->verdict.code = RS_V_GOTO;
		e->verdict.chain = sn_asprintf("%s/%u", chain, k);
	}
	for (i = 0; i < whole->n; i++) {
		struct rs_elem *e = &whole->elems[i];

		k = shard_of(&e->key[kf], t, nshards);
		if (!sh[k])
			sh[k] = new_shard(b, whole, k, nshards);
		/* the element moves, comment and all */
		*rs_set_add_elem(sh[k]) = *e;
	}
	whole->n = 0;
	return sh;
}

/* Split every endpoint map bigger than the shard size. */
static void split_ep_maps(struct bctx *b)
{
	unsigned i;

	for (i = 0; i < b->nmaps; i++) {
		struct ep_map *m = &b->maps[i];
		bool np = m->kind == EP_NP_CLUSTER || m->kind == EP_NP_LOCAL;
		unsigned nshards = shard_count(b, m->name, m->set->n);
		char *chain;

		if (nshards < 2)
			continue;
		/* by the address of the frontend, or a NodePort's port */
		chain = sn_asprintf("pick-%s", m->name);
		m->shards = split_set(b, m->set, np ? 1 : 0, nshards, chain, &m->dispatch);
		free(chain);
		m->nshards = nshards;
		rs_table_del_set(b->t, m->name);
		m->set = NULL;
	}
}

/* ---- common chains ---- */

static int ep_map_cmp(const void *x, const void *y)
{
	const struct ep_map *a = x, *b = y;

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	return a->n < b->n ? -1 : a->n > b->n;
}

/*
 * The lookup of each endpoint map sits alone in a chain of its own,
 * pick-MAP: `dnat to FRONTEND . numgen random mod n map @MAP`, and the role
 * chains jump to the pick chains of their kind, one rule per count in use.
 * A frontend with another count misses and the pick chain returns: a new
 * connection walks at most one pick chain per count in use.
 *
 * Why a chain per map: binding a map to a chain makes the kernel check
 * every element of the map (nf_tables_bind_set), and a chain the diff
 * rewrites is flushed and refilled. A new count rewrites the role chains;
 * had they held the lookups, every big map would be bound again (measured
 * at 10,000 Services: 68-88 ms for the first Service with a new count).
 * Jumps bind nothing, and the pick chains never change.
 */
/* One lookup: `dnat to FRONTEND . numgen random mod n map @MAP` */
static void add_pick_rule(struct rs_chain *c, const struct ep_map *m, const char *map)
{
	struct rs_rule *r = rs_chain_add_rule(c);

	if (m->kind == EP_NP_CLUSTER || m->kind == EP_NP_LOCAL)
		rs_rule_dnat_map(r, &RS_KEY_NG(m->n, RS_F_L4PROTO, RS_F_DPORT), map);
	else
		rs_rule_dnat_map(r, &RS_KEY_NG(m->n, RS_F_DADDR, RS_F_L4PROTO, RS_F_DPORT), map);
}

static void build_pick_chains(struct bctx *b)
{
	unsigned i, k;

	for (i = 0; i < b->nmaps; i++) {
		const struct ep_map *m = &b->maps[i];
		bool np = m->kind == EP_NP_CLUSTER || m->kind == EP_NP_LOCAL;
		char *name = sn_asprintf("pick-%s", m->name);
		struct rs_chain *c = rs_table_add_chain(b->t, name);
		char *note = sn_asprintf("a frontend with %u endpoint%s: one of them, uniformly",
					 m->n, m->n == 1 ? "" : "s");

		rs_chain_set_note(c, note);
		free(note);
		if (m->nshards < 2) {
			add_pick_rule(c, m, m->name);
			free(name);
			continue;
		}
		/* split: to the pick chain of the frontend's shard */
		rs_rule_vmap_masked(rs_chain_add_rule(c), np ? RS_F_DPORT : RS_F_DADDR,
				    (uint16_t)(m->nshards - 1), m->dispatch->name);
		for (k = 0; k < m->nshards; k++) {
			char *sub;

			if (!m->shards[k])
				continue;	/* a part: the skeleton has it */
			sub = sn_asprintf("%s/%u", name, k);
			c = rs_table_add_chain(b->t, sub);
			note = sn_asprintf("shard %u of %u of %s", k, m->nshards, m->name);
			rs_chain_set_note(c, note);
			free(note);
			add_pick_rule(c, m, m->shards[k]->name);
			free(sub);
		}
		free(name);
	}
}

static void emit_picks(struct bctx *b, struct rs_chain *c, enum ep_kind kind)
{
	unsigned i;

	for (i = 0; i < b->nmaps; i++) {
		char *name;

		if (b->maps[i].kind != kind)
			continue;
		name = sn_asprintf("pick-%s", b->maps[i].name);
		rs_rule_verdict(rs_chain_add_rule(c), RS_V_JUMP, name);
		free(name);
	}
}

static const struct rs_key *frontend_key(bool np)
{
	static const struct rs_key addr = RS_KEY(RS_F_DADDR, RS_F_L4PROTO, RS_F_DPORT);
	static const struct rs_key port = RS_KEY(RS_F_L4PROTO, RS_F_DPORT);

	return np ? &port : &addr;
}

/* A pinned client goes to its endpoint (sessionAffinity ClientIP). The
 * lookup of the affinity map (IPv4) or of the check verdict map (IPv6) sits
 * in a chain of its own, pin..., that the role chains jump to, for the
 * reason given at build_pick_chains(): a role chain rewritten must not
 * bind a big map again. */
static void emit_affinity_check(struct bctx *b, struct rs_chain *c, bool np, bool outside_local)
{
	const char *name = np ? (outside_local ? "pin-nodeports-local" : "pin-nodeports") :
				(outside_local ? "pin-local" : "pin");
	struct rs_chain *pin;
	struct rs_rule *r;
	struct rs_set *gate;

	if (b->fam == RS_IP)
		gate = np ? b->aff_nodeports : b->aff_fronts;
	else
		gate = outside_local ? (np ? b->aff6_check_np_local : b->aff6_check_local) :
				       (np ? b->aff6_check_np : b->aff6_check);
	if (!gate->n)
		return;
	rs_rule_verdict(rs_chain_add_rule(c), RS_V_JUMP, name);
	if (rs_table_find_chain(b->t, name))
		return;
	pin = rs_table_add_chain(b->t, name);
	rs_chain_set_note(pin, "ClientIP affinity: a pinned client goes to its endpoint");
	r = rs_chain_add_rule(pin);
	if (b->fam == RS_IP) {
		rs_rule_lookup(r, frontend_key(np), false, gate->name);
		rs_rule_dnat_map(r, &RS_KEY(RS_F_SADDR, RS_F_DADDR, RS_F_L4PROTO, RS_F_DPORT),
				 "affinity");
	} else {
		rs_rule_vmap(r, frontend_key(np), gate->name);
	}
}

/* The end of every role chain: frontends with endpoints elsewhere only are
 * dropped, anything else still here has no endpoint and is refused. */
static void emit_tail(struct bctx *b, struct rs_chain *c, bool np, bool uses_local)
{
	struct rs_set *nl = np ? b->np_no_local : b->no_local;
	struct rs_rule *r;

	if (uses_local && nl->n) {
		r = rs_chain_add_rule(c);
		rs_rule_lookup(r, frontend_key(np), false, nl->name);
		rs_rule_verdict(r, RS_V_DROP, NULL);
		rs_rule_set_comment(r, "Local policy: no local endpoints");
	}
	/* A TCP reset is not rate-limited the way ICMP errors are, so every
	 * client attempt is refused at once (design notes §4). */
	r = rs_chain_add_rule(c);
	rs_rule_cmp_proto(r, IPPROTO_TCP);
	rs_rule_reject(r, true);
	rs_rule_set_comment(r, "no endpoints");
	r = rs_chain_add_rule(c);
	rs_rule_reject(r, false);
	rs_rule_set_comment(r, "no endpoints");
}

static struct rs_chain *role_chain(struct bctx *b, const char *name, const char *note)
{
	struct rs_chain *c = rs_table_add_chain(b->t, name);

	rs_chain_set_note(c, note);
	return c;
}

static void build_roles(struct bctx *b)
{
	struct rs_chain *c;
	struct rs_rule *r;
	unsigned i;

	if (b->role_sets[ROLE_CLUSTERIP]->n) {
		c = role_chain(b, "clusterip", roles[ROLE_CLUSTERIP].note);
		if (b->o->masquerade_all) {
			rs_rule_mark_set(rs_chain_add_rule(c), b->mark);
		} else if (b->cluster_cidr) {
			/* off-cluster sources (the node, outside) are masqueraded so
			 * that replies come back through this node */
			r = rs_chain_add_rule(c);
			rs_rule_cmp_addr(r, RS_F_SADDR, true, b->cluster_cidr);
			rs_rule_mark_set(r, b->mark);
		}
		emit_affinity_check(b, c, false, false);
		emit_picks(b, c, EP_CLUSTER);
		emit_picks(b, c, EP_LOCAL);
		emit_tail(b, c, false, true);
	}
	for (i = 0; i < 2; i++) {
		bool np = i == 1;
		enum role rc = np ? ROLE_NODEPORT : ROLE_EXTERNAL;
		enum role rl = np ? ROLE_NODEPORT_LOCAL : ROLE_EXTERNAL_LOCAL;
		enum ep_kind cluster = np ? EP_NP_CLUSTER : EP_CLUSTER;
		enum ep_kind local = np ? EP_NP_LOCAL : EP_LOCAL;

		if (b->role_sets[rc]->n) {
			/* external traffic is always masqueraded (DESIGN-NOTES §2) */
			c = role_chain(b, roles[rc].chain, roles[rc].note);
			rs_rule_mark_set(rs_chain_add_rule(c), b->mark);
			emit_affinity_check(b, c, np, false);
			emit_picks(b, c, cluster);
			emit_tail(b, c, np, false);
		}
		if (b->role_sets[rl]->n) {
			char *internal = sn_asprintf("%s-pods", roles[rl].chain);
			char *note = sn_asprintf("%s from pods and the node: any endpoint",
						 np ? "NodePorts with eTP Local" :
						      "external IPs and LB VIPs with eTP Local");

			/* Pods and the node itself may use any endpoint (the
			 * node masqueraded); the rest only local ones, source
			 * kept. */
			c = role_chain(b, roles[rl].chain, roles[rl].note);
			if (b->cluster_cidr) {
				r = rs_chain_add_rule(c);
				rs_rule_cmp_addr(r, RS_F_SADDR, false, b->cluster_cidr);
				rs_rule_verdict(r, RS_V_GOTO, internal);
			}
			r = rs_chain_add_rule(c);
			rs_rule_fib_local(r, RS_F_SADDR);
			rs_rule_mark_set(r, b->mark);
			rs_rule_verdict(r, RS_V_GOTO, internal);
			emit_affinity_check(b, c, np, true);
			emit_picks(b, c, local);
			emit_tail(b, c, np, true);

			c = role_chain(b, internal, note);
			emit_affinity_check(b, c, np, false);
			emit_picks(b, c, cluster);
			emit_tail(b, c, np, false);
			free(note);
			free(internal);
		}
	}
}

/* NodePort guards: a local address (loopback excluded), inside
 * --nodeport-addresses when given. One rule per listed prefix and role. */
static void emit_nodeport_dispatch(struct bctx *b, struct rs_chain *c, const struct rs_set *set,
				   const char *chain)
{
	const struct sn_addr *loop;
	struct sn_addr lo4, lo6;
	bool listed = false;
	struct rs_rule *r;
	unsigned i;

	if (!set->n)
		return;
	sn_prefix_parse(&lo4, "127.0.0.0/8", false);
	sn_prefix_parse(&lo6, "::1", false);
	loop = b->fam == RS_IP ? &lo4 : &lo6;
	for (i = 0; i < b->o->nnodeport_addrs; i++) {
		const struct sn_addr *pfx = &b->o->nodeport_addrs[i];

		if (pfx->family != b->af)
			continue;
		listed = true;
		r = rs_chain_add_rule(c);
		rs_rule_fib_local(r, RS_F_DADDR);
		rs_rule_cmp_addr(r, RS_F_DADDR, false, pfx);
		/* NodePorts never answer on loopback (kube-proxy nftables mode) */
		if (sn_prefix_contains(pfx, loop))
			rs_rule_cmp_addr(r, RS_F_DADDR, true, loop);
		rs_rule_lookup(r, frontend_key(true), false, set->name);
		rs_rule_verdict(r, RS_V_GOTO, chain);
	}
	/* A family with no listed range answers on all its local addresses,
	 * as kube-proxy treats it (0.0.0.0/0 or ::/0). */
	if (!listed) {
		r = rs_chain_add_rule(c);
		rs_rule_fib_local(r, RS_F_DADDR);
		rs_rule_cmp_addr(r, RS_F_DADDR, true, loop);
		rs_rule_lookup(r, frontend_key(true), false, set->name);
		rs_rule_verdict(r, RS_V_GOTO, chain);
	}
}

static void emit_affinity_record(struct bctx *b, struct rs_chain *c)
{
	struct rs_rule *r;
	unsigned i, j;

	/* Record the endpoint a ClientIP-affinity connection got: the original
	 * destination (the frontend) is only in conntrack here, and nft needs
	 * the protocol to type `ct original proto-dst`, hence a rule per
	 * protocol (and, in IPv4, per timeout). */
	for (i = 0; i < SN_ARRAY_SIZE(protos); i++) {
		for (j = 0; b->fam == RS_IP && j < b->naff; j++) {
			const struct aff_class *a = &b->aff[j];
			const struct rs_key data = RS_KEY(RS_F_DADDR, RS_F_DPORT);
			const struct rs_key key = RS_KEY(RS_F_SADDR, RS_F_CT_ODADDR, RS_F_L4PROTO,
							  RS_F_CT_OPROTO_DST);

			if (b->aff_protos & proto_bit(protos[i]) && a->fronts->n) {
				r = rs_chain_add_rule(c);
				rs_rule_cmp_proto(r, protos[i]);
				rs_rule_ct_dnat(r);
				rs_rule_lookup(r,
					       &RS_KEY(RS_F_CT_ODADDR, RS_F_L4PROTO, RS_F_CT_OPROTO_DST),
					       false, a->fronts->name);
				rs_rule_update(r, "affinity", &key, a->timeout, &data);
			}
			if (b->aff_np_protos & proto_bit(protos[i]) && a->nodeports->n) {
				r = rs_chain_add_rule(c);
				rs_rule_cmp_proto(r, protos[i]);
				rs_rule_ct_dnat(r);
				rs_rule_lookup(r, &RS_KEY(RS_F_L4PROTO, RS_F_CT_OPROTO_DST), false,
					       a->nodeports->name);
				rs_rule_update(r, "affinity", &key, a->timeout, &data);
			}
		}
		if (b->fam != RS_IP6)
			continue;
		if (b->aff_protos & proto_bit(protos[i])) {
			r = rs_chain_add_rule(c);
			rs_rule_cmp_proto(r, protos[i]);
			rs_rule_ct_dnat(r);
			rs_rule_vmap(r, &RS_KEY(RS_F_CT_ODADDR, RS_F_L4PROTO, RS_F_CT_OPROTO_DST),
				     b->aff6_record->name);
		}
		if (b->aff_np_protos & proto_bit(protos[i])) {
			r = rs_chain_add_rule(c);
			rs_rule_cmp_proto(r, protos[i]);
			rs_rule_ct_dnat(r);
			rs_rule_vmap(r, &RS_KEY(RS_F_L4PROTO, RS_F_CT_OPROTO_DST),
				     b->aff6_record_np->name);
		}
	}
}

/* A pod reaching itself through a Service: masquerade it, or it would
 * answer itself directly. Split by the low bits of the source address when
 * big (there is one element per endpoint address). */
static void emit_hairpin(struct bctx *b, struct rs_chain *post)
{
	unsigned nshards = shard_count(b, "hairpin", b->hairpin->n), k;
	struct rs_set **sh, *dispatch;
	struct rs_rule *r = rs_chain_add_rule(post);

	rs_rule_ct_dnat(r);
	if (nshards < 2) {
		rs_rule_lookup(r, &RS_KEY(RS_F_SADDR, RS_F_DADDR), false, "hairpin");
		rs_rule_masq(r);
		return;
	}
	sh = split_set(b, b->hairpin, 0, nshards, "hairpin", &dispatch);
	rs_rule_vmap_masked(r, RS_F_SADDR, (uint16_t)(nshards - 1), dispatch->name);
	for (k = 0; k < nshards; k++) {
		struct rs_chain *c;
		char *name;

		if (!sh[k])
			continue;	/* a part: the skeleton has it */
		c = rs_table_add_chain(b->t, sh[k]->name);
		name = sn_asprintf("hairpin, shard %u of %u", k, nshards);
		rs_chain_set_note(c, name);
		free(name);
		r = rs_chain_add_rule(c);
		rs_rule_lookup(r, &RS_KEY(RS_F_SADDR, RS_F_DADDR), false, sh[k]->name);
		rs_rule_masq(r);
	}
	free(sh);
	rs_table_del_set(b->t, "hairpin");
	b->hairpin = NULL;
}

static void build_common(struct bctx *b)
{
	struct rs_chain *c;
	struct rs_rule *r;
	unsigned i;

	/* no qsort of an empty array: maps is NULL then (UBSan) */
	if (b->nmaps > 1)
		qsort(b->maps, b->nmaps, sizeof(*b->maps), ep_map_cmp);
	split_ep_maps(b);

	c = rs_table_add_base_chain(b->t, "nat-prerouting", "nat", RS_HOOK_PREROUTING, -100);
	rs_rule_verdict(rs_chain_add_rule(c), RS_V_JUMP, "services");
	c = rs_table_add_base_chain(b->t, "nat-output", "nat", RS_HOOK_OUTPUT, -100);
	rs_rule_verdict(rs_chain_add_rule(c), RS_V_JUMP, "services");

	c = rs_table_add_base_chain(b->t, "nat-postrouting", "nat", RS_HOOK_POSTROUTING, 100);
	emit_affinity_record(b, c);
	r = rs_chain_add_rule(c);
	rs_rule_mark_test(r, b->mark);
	rs_rule_mark_clear(r, b->mark);
	rs_rule_masq(r);
	if (b->hairpin->n)
		emit_hairpin(b, c);

	c = rs_table_add_chain(b->t, "services");
	rs_chain_set_note(c, "dispatch: each frontend set sends its packets to its role's chain");
	if (b->fw_ips->n) {
		/* LB VIPs with source ranges: anything else is dropped before DNAT */
		r = rs_chain_add_rule(c);
		rs_rule_lookup(r, frontend_key(false), false, "firewall-ips");
		rs_rule_lookup(r, &RS_KEY(RS_F_DADDR, RS_F_L4PROTO, RS_F_DPORT, RS_F_SADDR), true,
			       "firewall-allow");
		rs_rule_verdict(r, RS_V_DROP, NULL);
	}
	for (i = ROLE_CLUSTERIP; i <= ROLE_EXTERNAL_LOCAL; i++) {
		if (!b->role_sets[i]->n)
			continue;
		r = rs_chain_add_rule(c);
		rs_rule_lookup(r, frontend_key(false), false, roles[i].set);
		rs_rule_verdict(r, RS_V_GOTO, roles[i].chain);
	}
	emit_nodeport_dispatch(b, c, b->role_sets[ROLE_NODEPORT], roles[ROLE_NODEPORT].chain);
	emit_nodeport_dispatch(b, c, b->role_sets[ROLE_NODEPORT_LOCAL],
			       roles[ROLE_NODEPORT_LOCAL].chain);
	if (b->cluster_ips->n) {
		/* a ClusterIP on a port its Service does not define */
		r = rs_chain_add_rule(c);
		rs_rule_lookup(r, &RS_KEY(RS_F_DADDR), false, "cluster-ips");
		rs_rule_verdict(r, RS_V_GOTO, "reject-chain");
		c = rs_table_add_chain(b->t, "reject-chain");
		r = rs_chain_add_rule(c);
		rs_rule_cmp_proto(r, IPPROTO_TCP);
		rs_rule_reject(r, true);
		rs_rule_reject(rs_chain_add_rule(c), false);
		c = rs_table_find_chain(b->t, "services");
	}
	if (b->service_cidr) {
		/* an address of the service range that no Service owns */
		r = rs_chain_add_rule(c);
		rs_rule_cmp_addr(r, RS_F_DADDR, false, b->service_cidr);
		rs_rule_verdict(r, RS_V_DROP, NULL);
	}

	build_pick_chains(b);
	build_roles(b);
}

/* Remove sets nothing uses, so the script shows only what matters. */
static void prune_sets(struct bctx *b)
{
	struct rs_set **all[] = {
		&b->role_sets[0], &b->role_sets[1], &b->role_sets[2], &b->role_sets[3],
		&b->role_sets[4], &b->no_local, &b->np_no_local, &b->cluster_ips,
		&b->hairpin, &b->aff_fronts, &b->aff_nodeports, &b->aff6_check,
		&b->aff6_check_local, &b->aff6_check_np, &b->aff6_check_np_local,
		&b->aff6_record, &b->aff6_record_np,
	};
	unsigned i;

	if (!b->fw_ips->n) {
		rs_table_del_set(b->t, "firewall-ips");
		rs_table_del_set(b->t, "firewall-allow");
	}
	if (b->affinity && !b->naff)
		rs_table_del_set(b->t, "affinity");
	for (i = 0; i < b->naff; i++) {
		if (!b->aff[i].fronts->n)
			rs_table_del_set(b->t, b->aff[i].fronts->name);
		if (!b->aff[i].nodeports->n)
			rs_table_del_set(b->t, b->aff[i].nodeports->name);
	}
	for (i = 0; i < SN_ARRAY_SIZE(all); i++)
		if (*all[i] && !(*all[i])->n)
			rs_table_del_set(b->t, (*all[i])->name);
}

/* The printed order of sets: the fixed ones as declared, then the
 * endpoint maps by kind and count, then the rest (per timeout or per
 * service port, declared as found) by name, so that no input order and no
 * other Service changes where a set is printed. */
static int set_rank(const struct bctx *b, const struct rs_set *s, unsigned *sub)
{
	unsigned i;

	for (i = 0; i < b->nmaps; i++) {
		const struct ep_map *m = &b->maps[i];

		/* a map, or its dispatch map then its shards */
		if (m->set == s || m->dispatch == s) {
			*sub = i * (COMP_SHARDS_MAX + 1);
			return 1;
		}
		for (unsigned k = 0; k < m->nshards && m->shards; k++) {
			if (m->shards[k] == s) {
				*sub = i * (COMP_SHARDS_MAX + 1) + k + 1;
				return 1;
			}
		}
	}
	*sub = 0;
	/* per timeout (IPv4) or per service port (IPv6 affinity) */
	if (!strncmp(s->name, "affinity-frontends-", 19) ||
	    !strncmp(s->name, "affinity-nodeports-", 19) ||
	    (!strncmp(s->name, "affinity-", 9) && strchr(s->name, '/')))
		return 2;
	return 0;
}

static int set_order_cmp(const void *x, const void *y, void *arg)
{
	const struct rs_set *a = *(const struct rs_set *const *)x;
	const struct rs_set *c = *(const struct rs_set *const *)y;
	unsigned sa, sc;
	int ra = set_rank(arg, a, &sa), rc = set_rank(arg, c, &sc);

	if (ra != rc)
		return ra < rc ? -1 : 1;
	if (ra == 1)
		return sa < sc ? -1 : sa > sc;
	if (ra == 2)
		return strcmp(a->name, c->name);
	return 0;
}

/* The hairpin set gets one element per endpoint use: keep one of each. */
static void dedup_set(struct rs_set *s)
{
	size_t i, j;

	rs_set_sort(s);
	for (i = 0, j = 0; i < s->n; i++) {
		if (j && !rs_elem_key_cmp(s, &s->elems[j - 1], &s->elems[i])) {
			rs_elem_free_contents(&s->elems[i]);
			continue;
		}
		s->elems[j++] = s->elems[i];
	}
	s->n = j;
}

static void sort_sets(struct bctx *b)
{
	struct rs_table *t = b->t;
	size_t i, j, k = 0;
	struct rs_set **v;

	if (t->nsets < 2)
		return;
	v = sn_malloc(t->nsets * sizeof(*v));

	/* fixed sets keep the declared order: take them out first */
	for (i = 0; i < t->nsets; i++) {
		unsigned sub;

		if (set_rank(b, t->sets[i], &sub) == 0)
			v[k++] = t->sets[i];
	}
	j = k;
	for (i = 0; i < t->nsets; i++) {
		unsigned sub;

		if (set_rank(b, t->sets[i], &sub) != 0)
			v[j++] = t->sets[i];
	}
	qsort_r(v + k, t->nsets - k, sizeof(*v), set_order_cmp, b);
	memcpy(t->sets, v, t->nsets * sizeof(*v));
	free(v);
}

static void build_family(struct rs_ruleset *rs, const struct svc_world *w,
			 const struct comp_opts *o, struct comp_stats *st, struct sn_diag *d,
			 enum rs_family fam)
{
	struct bctx b = {
		.w = w, .o = o, .st = st, .d = d, .fam = fam,
		.af = fam == RS_IP ? SN_AF_INET : SN_AF_INET6,
		.mark = 1u << o->masq_bit,
	};
	unsigned i;

	b.cluster_cidr = cidr_of(o->cluster_cidrs, o->ncluster_cidrs, b.af);
	b.service_cidr = cidr_of(o->service_cidrs, o->nservice_cidrs, b.af);
	b.t = rs_ruleset_add_table(rs, fam, COMP_TABLE);
	rs_table_set_comment(b.t, "svcnft: Kubernetes Services on this node");
	declare_sets(&b);
	for (i = 0; i < w->nsvcs; i++)
		if (!w->svcs[i].skip_reason)
			build_service(&b, &w->svcs[i]);
	dedup_set(b.hairpin);
	build_common(&b);
	prune_sets(&b);
	sort_sets(&b);
	rs_table_sort(b.t);
	free(b.aff);
	for (i = 0; i < b.nmaps; i++) {
		free(b.maps[i].name);
		free(b.maps[i].shards);
	}
	free(b.maps);
}

struct rs_ruleset *comp_build(const struct svc_world *w, const struct comp_opts *o,
			      struct comp_stats *st, struct sn_diag *d)
{
	struct rs_ruleset *rs = rs_ruleset_alloc();
	bool fam4 = false, fam6 = false;
	unsigned i, j;
	size_t k;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < w->nsvcs; i++) {
		const struct svc_service *s = &w->svcs[i];

		if (s->skip_reason) {
			st->services_skipped++;
			continue;
		}
		st->services++;
		st->service_ports += s->nports;
		for (j = 0; j < s->ncluster_ips; j++) {
			fam4 |= s->cluster_ips[j].family == SN_AF_INET;
			fam6 |= s->cluster_ips[j].family == SN_AF_INET6;
			st->allocated_ips += s->cluster_ip_allocated[j];
		}
		for (j = 0; j < s->nports; j++)
			st->allocated_node_ports += s->ports[j].node_port_allocated;
		st->allocated_node_ports += s->health_check_node_port_allocated;
	}
	/* A family's table exists when a Service or the service range uses it. */
	fam4 |= cidr_of(o->service_cidrs, o->nservice_cidrs, SN_AF_INET) != NULL;
	fam6 |= cidr_of(o->service_cidrs, o->nservice_cidrs, SN_AF_INET6) != NULL;
	if (fam4)
		build_family(rs, w, o, st, d, RS_IP);
	if (fam6)
		build_family(rs, w, o, st, d, RS_IP6);

	for (k = 0; k < rs->n; k++) {
		const struct rs_table *t = rs->tables[k];
		size_t c;

		st->chains += t->nchains;
		for (c = 0; c < t->nchains; c++)
			st->rules += t->chains[c]->n;
		for (c = 0; c < t->nsets; c++)
			st->elements += t->sets[c]->n;
	}
	return rs;
}
