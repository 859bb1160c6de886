// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * compiler/build.c: a prepared world to the desired ruleset.
 *
 * The shape, and the kernel costs behind it, are described in
 * docs/ruleset.md. In short: one table per family; every lookup that depends
 * on the Service count is an element of a named map that a handful of common
 * rules look up (never a set per Service, never a rule per Service that
 * references a set); per service port, one chain whose rules are plain
 * immediate matches, choosing an endpoint by a cascade of
 * `numgen random mod N 0` rules.
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

struct aff_class {
	uint32_t timeout;	/* seconds */
	uint8_t protos;		/* bit per protocol, see proto_bit() */
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
	struct rs_set *service_ips, *service_nodeports, *cluster_ips, *fw_ips, *fw_allow,
		*hairpin, *affinity, *aff_fronts, *aff_nodeports;
	struct aff_class *aff;		/* IPv4: one record chain per timeout */
	unsigned naff;
	uint8_t aff_protos, aff_np_protos;
	bool used;	/* anything was programmed in this family */
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

static void declare_sets(struct bctx *b)
{
	const uint8_t A = (uint8_t)addr_type(b), P = RS_T_PROTO, S = RS_T_SERVICE,
		      V = RS_T_VERDICT;

	b->service_ips = add_set(b, "service-ips", "ClusterIPs, external IPs and LB VIPs by port",
				 3, (uint8_t[]){ A, P, S }, 1, (uint8_t[]){ V });
	b->service_nodeports = add_set(b, "service-nodeports", "NodePorts",
				       2, (uint8_t[]){ P, S }, 1, (uint8_t[]){ V });
	b->cluster_ips = add_set(b, "cluster-ips", "every ClusterIP: other ports are rejected",
				 1, (uint8_t[]){ A }, 0, NULL);
	b->fw_ips = add_set(b, "firewall-ips", "LB VIPs with loadBalancerSourceRanges",
			    3, (uint8_t[]){ A, P, S }, 0, NULL);
	b->fw_allow = add_set(b, "firewall-allow", "sources allowed per LB VIP",
			      4, (uint8_t[]){ A, P, S, A }, 0, NULL);
	b->fw_allow->flags |= RS_SET_INTERVAL;
	b->hairpin = add_set(b, "hairpin", "endpoint . endpoint: a pod reaching itself",
			     2, (uint8_t[]){ A, A }, 0, NULL);
	b->affinity = add_set(b, "affinity", "sessionAffinity ClientIP: client . frontend",
			      4, (uint8_t[]){ A, A, P, S }, 2, (uint8_t[]){ A, S });
	b->affinity->flags |= RS_SET_DYNAMIC | RS_SET_TIMEOUT;
	b->affinity->size = AFFINITY_MAP_SIZE;
	b->affinity->elems_runtime = true;
	b->aff_fronts = add_set(b, "affinity-frontends", "frontends of ClientIP affinity",
				3, (uint8_t[]){ A, P, S }, 1, (uint8_t[]){ V });
	b->aff_nodeports = add_set(b, "affinity-nodeports", "NodePorts of ClientIP affinity",
				   2, (uint8_t[]){ P, S }, 1, (uint8_t[]){ V });
}

static char *chain_name(const char *kind, const struct svc_service *s, const struct svc_port *p)
{
	return sn_asprintf("%s-%s/%s/%s/%u", kind, s->ns, s->name, sn_proto_name(p->proto),
			   p->port);
}

static char *aff_chain_name(uint32_t timeout)
{
	return sn_asprintf("affinity-%u", timeout);
}

static void note_affinity(struct bctx *b, const struct svc_service *s, const struct svc_port *p)
{
	unsigned i;

	b->aff_protos |= proto_bit(p->proto);
	if (b->fam == RS_IP6)
		return;	/* IPv6 records per service port, see build_affinity6() */
	for (i = 0; i < b->naff; i++)
		if (b->aff[i].timeout == s->affinity_timeout)
			break;
	if (i == b->naff) {
		b->aff = sn_realloc(b->aff, (b->naff + 1) * sizeof(*b->aff));
		b->aff[b->naff].timeout = s->affinity_timeout;
		b->aff[b->naff].protos = 0;
		b->naff++;
	}
	b->aff[i].protos |= proto_bit(p->proto);
}

/* The chain recording a new connection's endpoint for a Service with
 * ClientIP affinity: per timeout in IPv4, per service port in IPv6. */
static char *aff_record_chain(const struct bctx *b, const struct svc_service *s,
			      const struct svc_port *p)
{
	if (b->fam == RS_IP6)
		return sn_asprintf("affinity-%s/%s/%s/%u", s->ns, s->name,
				   sn_proto_name(p->proto), p->port);
	return aff_chain_name(s->affinity_timeout);
}

/* IPv6: the map of one endpoint port, for the cluster-wide or the local-only
 * choice (a pin taken on one must never steer the other). */
static char *aff6_map_name(const struct svc_service *s, const struct svc_port *p, uint16_t epport,
			   bool local)
{
	return sn_asprintf("affinity-%s/%s/%s/%u/%u%s", s->ns, s->name, sn_proto_name(p->proto),
			   p->port, epport, local ? "/local" : "");
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

static void elem_frontend(struct rs_elem *e, const struct sn_addr *a, uint8_t proto, uint16_t port)
{
	e->key[0].addr = *a;
	e->key[1].num = proto;
	e->key[2].num = port;
}

/* Dispatch for one frontend; with aff, its new connections are also recorded
 * in the affinity map. */
static void add_frontend(struct bctx *b, const struct svc_service *s, const struct svc_port *p,
			 const struct sn_addr *a, const char *chain, bool aff)
{
	struct rs_elem *e = rs_set_add_elem(b->service_ips);

	elem_frontend(e, a, p->proto, p->port);
	e->verdict.code = RS_V_GOTO;
	e->verdict.chain = sn_strdup(chain);
	if (aff) {
		e = rs_set_add_elem(b->aff_fronts);
		elem_frontend(e, a, p->proto, p->port);
		e->verdict.code = RS_V_JUMP;
		e->verdict.chain = aff_record_chain(b, s, p);
	}
}

static void add_hairpin(struct bctx *b, const struct sn_addr *a)
{
	struct rs_elem *e = rs_set_add_elem(b->hairpin);

	e->key[0].addr = *a;
	e->key[1].addr = *a;
}

static void rule_mark(struct bctx *b, struct rs_rule *r)
{
	rs_rule_mark_set(r, b->mark);
}

/*
 * The endpoint choice: a cascade of plain rules, each taking one endpoint
 * with probability 1/(endpoints left), the last unconditionally: uniform
 * over n endpoints with no set and no map (see docs/ruleset.md).
 */
static void emit_cascade(struct bctx *b, struct rs_chain *c, const struct svc_service *s,
			 const struct svc_port *p, struct comp_ep *const *eps, unsigned n, bool local)
{
	unsigned i;

	if (s->affinity && b->fam == RS_IP) {
		rs_rule_verdict(rs_chain_add_rule(c), RS_V_JUMP, "affinity-check");
	} else if (s->affinity) {
		/* IPv6: a pinned client is DNATed by its service port's map */
		uint16_t *ports = sn_calloc(n + 1, sizeof(*ports));
		unsigned nports = distinct_ports(eps, n, ports);

		for (i = 0; i < nports; i++) {
			char *map = aff6_map_name(s, p, ports[i], local);
			struct rs_rule *r = rs_chain_add_rule(c);

			rs_rule_cmp_proto(r, p->proto);
			rs_rule_dnat_map_port(r, &RS_KEY(RS_F_SADDR), map, ports[i]);
			free(map);
		}
		free(ports);
	}
	for (i = 0; i < n; i++) {
		struct rs_rule *r = rs_chain_add_rule(c);

		if (i + 1 < n)
			rs_rule_numgen(r, n - i);
		rs_rule_cmp_proto(r, p->proto);
		rs_rule_dnat(r, &eps[i]->addr, eps[i]->port);
		add_hairpin(b, &eps[i]->addr);
	}
}

static void emit_reject(struct rs_chain *c, const struct svc_service *s, const struct svc_port *p)
{
	struct rs_rule *r = rs_chain_add_rule(c);
	char *why = sn_asprintf("%s/%s:%u/%s has no endpoints", s->ns, s->name, p->port,
				sn_proto_name(p->proto));

	/* A TCP reset is not rate-limited the way ICMP errors are, so every
	 * client attempt is refused at once (design notes §4). */
	if (p->proto == IPPROTO_TCP) {
		rs_rule_cmp_proto(r, IPPROTO_TCP);
		rs_rule_reject(r, true);
	} else {
		rs_rule_reject(r, false);
	}
	rs_rule_set_comment(r, why);
	free(why);
}

static void emit_drop(struct rs_chain *c, const char *why)
{
	struct rs_rule *r = rs_chain_add_rule(c);

	rs_rule_verdict(r, RS_V_DROP, NULL);
	rs_rule_set_comment(r, why);
}

/* Endpoint choice over eps, or what to do when there are none. */
static void emit_body(struct bctx *b, struct rs_chain *c, const struct svc_service *s,
		      const struct svc_port *p, const struct comp_eps *e, bool local,
		      const char *policy)
{
	if (!e->any) {
		emit_reject(c, s, p);
	} else if (local && !e->nlocal) {
		char *why = sn_asprintf("no local endpoints (%s Local)", policy);

		emit_drop(c, why);
		free(why);
	} else if (local) {
		emit_cascade(b, c, s, p, e->local, e->nlocal, true);
	} else {
		emit_cascade(b, c, s, p, e->cluster, e->ncluster, false);
	}
}

static struct rs_chain *new_chain(struct bctx *b, const char *name, const char *note)
{
	struct rs_chain *c = rs_table_add_chain(b->t, name);

	if (note)
		rs_chain_set_note(c, note);
	return c;
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

/*
 * IPv6 ClientIP affinity. nft 1.0.6 aborts (netlink_linearize.c: "dreg <
 * ctx->reg_low") on a dynamic map update whose key and data need more than
 * 32 bytes of registers, and client . frontend : endpoint . port needs 60 in
 * IPv6. So each IPv6 affinity service port keeps one map per endpoint port,
 * `ip6 saddr : ip6 daddr` (32 bytes), looked up by the service port's own
 * chains and filled by its own record chain. That is one set and three rules
 * referencing it per such service port: linear in IPv6 affinity services
 * only, and still fewer sets than kube-proxy's one per endpoint.
 */
static void add_aff6_maps(struct bctx *b, const struct svc_service *s, const struct svc_port *p,
			  struct comp_ep *const *eps, unsigned n, bool local)
{
	uint16_t *ports = sn_calloc(n + 1, sizeof(*ports));
	unsigned nports = distinct_ports(eps, n, ports), i;

	for (i = 0; i < nports; i++) {
		char *map = aff6_map_name(s, p, ports[i], local);
		struct rs_set *set = add_set(b, map, NULL, 1, (uint8_t[]){ RS_T_IPV6 }, 1,
					     (uint8_t[]){ RS_T_IPV6 });

		set->flags |= RS_SET_DYNAMIC | RS_SET_TIMEOUT;
		set->size = 65535;	/* as kube-proxy's per-endpoint affinity sets */
		set->elems_runtime = true;
		free(map);
	}
	free(ports);
}

/* Record only connections DNATed to one of the endpoints of eps: the maps
 * are keyed by client alone, and the record chain is also reached by any
 * connection whose original port equals an affinity NodePort. One rule per
 * endpoint and choice, IPv6 affinity services only. */
static void add_aff6_records(struct rs_chain *c, const struct svc_service *s,
			     const struct svc_port *p, struct comp_ep *const *eps, unsigned n,
			     bool local)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		char *map = aff6_map_name(s, p, eps[i]->port, local);
		struct rs_rule *r = rs_chain_add_rule(c);

		rs_rule_cmp_addr(r, RS_F_DADDR, false, &eps[i]->addr);
		rs_rule_cmp_port(r, false, eps[i]->port);
		rs_rule_update(r, map, &RS_KEY(RS_F_SADDR), s->affinity_timeout, &RS_KEY(RS_F_DADDR));
		free(map);
	}
}

static void build_affinity6(struct bctx *b, const struct svc_service *s, const struct svc_port *p,
			    const struct comp_eps *e)
{
	char *name = aff_record_chain(b, s, p);
	struct rs_chain *c = new_chain(b, name, NULL);

	free(name);
	add_aff6_maps(b, s, p, e->cluster, e->ncluster, false);
	add_aff6_maps(b, s, p, e->local, e->nlocal, true);
	/* a local endpoint chosen on a cluster-wide path pins for both choices */
	add_aff6_records(c, s, p, e->cluster, e->ncluster, false);
	add_aff6_records(c, s, p, e->local, e->nlocal, true);
}

/* "shop/web port http 80/tcp", the start of every chain's note */
static char *port_label(const struct svc_service *s, const struct svc_port *p)
{
	return sn_asprintf("%s/%s port %s%s%u/%s", s->ns, s->name, p->name, *p->name ? " " : "",
			   p->port, sn_proto_name(p->proto));
}

/* The ClusterIP entry: masquerade for off-cluster sources, then the choice
 * among internal endpoints (local ones with internalTrafficPolicy Local). */
static void build_svc_chain(struct bctx *b, const struct svc_service *s, const struct sn_addr *cip,
			    const struct svc_port *p, const struct comp_eps *e, const char *name)
{
	char *label = port_label(s, p), *note;
	char buf[SN_ADDR_STRLEN];
	struct rs_chain *c;
	struct rs_rule *r;

	note = sn_asprintf("%s: ClusterIP %s, %u endpoint%s, %u ready%s%s", label,
			   sn_addr_str(cip, buf), e->nall, e->nall == 1 ? "" : "s", e->nready,
			   s->itp_local ? ", iTP Local" : "", s->affinity ? ", ClientIP affinity" : "");
	c = new_chain(b, name, note);
	free(note);
	free(label);
	if (e->any && (!s->itp_local || e->nlocal)) {
		if (b->o->masquerade_all) {
			r = rs_chain_add_rule(c);
			rs_rule_cmp_addr(r, RS_F_DADDR, false, cip);
			rule_mark(b, r);
		} else if (b->cluster_cidr) {
			/* off-cluster sources (the node, outside) are masqueraded so
			 * that replies come back through this node */
			r = rs_chain_add_rule(c);
			rs_rule_cmp_addr(r, RS_F_DADDR, false, cip);
			rs_rule_cmp_addr(r, RS_F_SADDR, true, b->cluster_cidr);
			rule_mark(b, r);
		}
	}
	emit_body(b, c, s, p, e, s->itp_local, "internalTrafficPolicy");
}

/* The external entry (NodePort, LB VIPs, external IPs). target is the chain
 * that chooses among all cluster endpoints. */
static void build_ext_chain(struct bctx *b, const struct svc_service *s, const struct svc_port *p,
			    const struct comp_eps *e, const char *name, const char *target)
{
	bool etp_local = comp_etp_local(s);
	char *label = port_label(s, p), *note, np[32] = "";
	struct rs_chain *c;
	struct rs_rule *r;

	if (p->node_port)
		snprintf(np, sizeof(np), ", NodePort %u", p->node_port);
	note = sn_asprintf("%s: external%s%s", label, np, etp_local ? ", eTP Local" : "");
	c = new_chain(b, name, note);
	free(note);
	free(label);
	if (!e->any) {
		emit_reject(c, s, p);
	} else if (!etp_local) {
		/* external traffic is always masqueraded (DESIGN-NOTES §2) */
		r = rs_chain_add_rule(c);
		rule_mark(b, r);
		rs_rule_verdict(r, RS_V_GOTO, target);
	} else {
		/* Local: pods and the node itself may use any endpoint (the node
		 * masqueraded); the rest only local ones, source kept. */
		if (b->cluster_cidr) {
			r = rs_chain_add_rule(c);
			rs_rule_cmp_addr(r, RS_F_SADDR, false, b->cluster_cidr);
			rs_rule_verdict(r, RS_V_GOTO, target);
		}
		r = rs_chain_add_rule(c);
		rs_rule_fib_local(r, RS_F_SADDR);
		rule_mark(b, r);
		rs_rule_verdict(r, RS_V_GOTO, target);
		emit_body(b, c, s, p, e, true, "externalTrafficPolicy");
	}
}

/* Map elements for the external frontends of a service port: external IPs
 * and LB VIPs in service-ips (VIPs with their source ranges), the NodePort
 * in service-nodeports, and their affinity records. */
static void add_ext_frontends(struct bctx *b, const struct svc_service *s, const struct svc_port *p,
			      const char *ext, bool aff)
{
	unsigned nranges = family_ips(b, s->source_ranges, s->nsource_ranges), i, j;
	struct rs_elem *el;

	for (i = 0; i < s->nexternal_ips; i++)
		if (s->external_ips[i].family == b->af &&
		    !comp_frontend_skipped(s, p, &s->external_ips[i], false))
			add_frontend(b, s, p, &s->external_ips[i], ext, aff);
	for (i = 0; i < s->nlb_ingress; i++) {
		const struct sn_addr *vip = &s->lb_ingress[i].ip;

		if (s->lb_ingress[i].proxy_mode || vip->family != b->af ||
		    comp_frontend_skipped(s, p, vip, false))
			continue;
		add_frontend(b, s, p, vip, ext, aff);
		if (!nranges)
			continue;
		el = rs_set_add_elem(b->fw_ips);
		elem_frontend(el, vip, p->proto, p->port);
		for (j = 0; j < s->nsource_ranges; j++) {
			if (s->source_ranges[j].family != b->af)
				continue;
			el = rs_set_add_elem(b->fw_allow);
			elem_frontend(el, vip, p->proto, p->port);
			el->key[3].addr = s->source_ranges[j];
		}
	}
	if (!p->node_port)
		return;
	el = rs_set_add_elem(b->service_nodeports);
	el->key[0].num = p->proto;
	el->key[1].num = p->node_port;
	el->verdict.code = RS_V_GOTO;
	el->verdict.chain = sn_strdup(ext);
	if (aff) {
		el = rs_set_add_elem(b->aff_nodeports);
		el->key[0].num = p->proto;
		el->key[1].num = p->node_port;
		el->verdict.code = RS_V_JUMP;
		el->verdict.chain = aff_record_chain(b, s, p);
		b->aff_np_protos |= proto_bit(p->proto);
	}
}

static void build_port(struct bctx *b, const struct svc_service *s, const struct sn_addr *cip,
		       const struct svc_port *p, const struct comp_slices *sl)
{
	bool has_ext = p->node_port || family_ips(b, s->external_ips, s->nexternal_ips) ||
		       family_vips(b, s);
	char *svc = chain_name("svc", s, p);
	struct comp_eps e;
	bool aff;

	comp_eps_build(b->w, b->o, s, p, b->af, sl, &e);
	/* Affinity only matters where some endpoint can be chosen. */
	aff = s->affinity && e.any;
	if (aff)
		note_affinity(b, s, p);
	b->st->endpoints += e.nall;

	build_svc_chain(b, s, cip, p, &e, svc);
	if (!comp_frontend_skipped(s, p, cip, true))
		add_frontend(b, s, p, cip, svc, aff);
	if (has_ext) {
		char *ext = chain_name("ext", s, p), *cluster = NULL;

		/* With internalTrafficPolicy Local the svc chain chooses among local
		 * endpoints only; external traffic needs a cluster-wide choice. */
		if (s->itp_local && e.any) {
			char *label = port_label(s, p);
			char *note = sn_asprintf("%s: any endpoint, for external traffic from pods "
						 "and the node", label);

			cluster = chain_name("cluster", s, p);
			emit_body(b, new_chain(b, cluster, note), s, p, &e, false, NULL);
			free(note);
			free(label);
		}
		build_ext_chain(b, s, p, &e, ext, cluster ? cluster : svc);
		add_ext_frontends(b, s, p, ext, aff);
		free(ext);
		free(cluster);
	}
	if (aff && b->fam == RS_IP6)
		build_affinity6(b, s, p, &e);
	free(svc);
	comp_eps_free(&e);
}

static void build_service(struct bctx *b, const struct svc_service *s)
{
	const struct sn_addr *cip = NULL;
	struct comp_slices sl;
	struct rs_elem *e;
	unsigned i;

	for (i = 0; i < s->ncluster_ips; i++)
		if (s->cluster_ips[i].family == b->af)
			cip = &s->cluster_ips[i];
	if (!cip)
		return;
	b->used = true;
	e = rs_set_add_elem(b->cluster_ips);
	e->key[0].addr = *cip;
	comp_slices_for(b->w, s, &sl);
	for (i = 0; i < s->nports; i++)
		build_port(b, s, cip, &s->ports[i], &sl);
	comp_slices_free(&sl);
}

static void build_common(struct bctx *b)
{
	struct rs_chain *c;
	struct rs_rule *r;
	unsigned i, j;
	const struct sn_addr *loop;
	struct sn_addr lo4, lo6;

	sn_prefix_parse(&lo4, "127.0.0.0/8", false);
	sn_prefix_parse(&lo6, "::1", false);
	loop = b->fam == RS_IP ? &lo4 : &lo6;

	c = rs_table_add_base_chain(b->t, "nat-prerouting", "nat", RS_HOOK_PREROUTING, -100);
	rs_rule_verdict(rs_chain_add_rule(c), RS_V_JUMP, "services");
	c = rs_table_add_base_chain(b->t, "nat-output", "nat", RS_HOOK_OUTPUT, -100);
	rs_rule_verdict(rs_chain_add_rule(c), RS_V_JUMP, "services");

	c = rs_table_add_base_chain(b->t, "nat-postrouting", "nat", RS_HOOK_POSTROUTING, 100);
	/* Record the endpoint a ClientIP-affinity connection got: the original
	 * destination (the frontend) is only in conntrack here, and nft needs
	 * the protocol to type `ct original proto-dst`, hence a rule per protocol. */
	for (i = 0; i < SN_ARRAY_SIZE(protos); i++) {
		if (b->aff_protos & proto_bit(protos[i])) {
			r = rs_chain_add_rule(c);
			rs_rule_cmp_proto(r, protos[i]);
			rs_rule_ct_dnat(r);
			rs_rule_vmap(r, &RS_KEY(RS_F_CT_ODADDR, RS_F_L4PROTO, RS_F_CT_OPROTO_DST),
				     "affinity-frontends");
		}
		if (b->aff_np_protos & proto_bit(protos[i])) {
			r = rs_chain_add_rule(c);
			rs_rule_cmp_proto(r, protos[i]);
			rs_rule_ct_dnat(r);
			rs_rule_vmap(r, &RS_KEY(RS_F_L4PROTO, RS_F_CT_OPROTO_DST),
				     "affinity-nodeports");
		}
	}
	r = rs_chain_add_rule(c);
	rs_rule_mark_test(r, b->mark);
	rs_rule_mark_clear(r, b->mark);
	rs_rule_masq(r);
	if (b->hairpin->n) {
		r = rs_chain_add_rule(c);
		rs_rule_ct_dnat(r);
		rs_rule_lookup(r, &RS_KEY(RS_F_SADDR, RS_F_DADDR), false, "hairpin");
		rs_rule_masq(r);
	}

	c = rs_table_add_chain(b->t, "services");
	if (b->fw_ips->n) {
		/* LB VIPs with source ranges: anything else is dropped before DNAT */
		r = rs_chain_add_rule(c);
		rs_rule_lookup(r, &RS_KEY(RS_F_DADDR, RS_F_L4PROTO, RS_F_DPORT), false,
			       "firewall-ips");
		rs_rule_lookup(r, &RS_KEY(RS_F_DADDR, RS_F_L4PROTO, RS_F_DPORT, RS_F_SADDR), true,
			       "firewall-allow");
		rs_rule_verdict(r, RS_V_DROP, NULL);
	}
	if (b->service_ips->n)
		rs_rule_vmap(rs_chain_add_rule(c), &RS_KEY(RS_F_DADDR, RS_F_L4PROTO, RS_F_DPORT),
			     "service-ips");
	if (b->service_nodeports->n) {
		bool listed = false;

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
			rs_rule_vmap(r, &RS_KEY(RS_F_L4PROTO, RS_F_DPORT), "service-nodeports");
		}
		/* A family with no listed range answers on all its local
		 * addresses, as kube-proxy treats it (0.0.0.0/0 or ::/0). */
		if (!listed) {
			r = rs_chain_add_rule(c);
			rs_rule_fib_local(r, RS_F_DADDR);
			rs_rule_cmp_addr(r, RS_F_DADDR, true, loop);
			rs_rule_vmap(r, &RS_KEY(RS_F_L4PROTO, RS_F_DPORT), "service-nodeports");
		}
	}
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

	if (b->naff) {
		c = rs_table_add_chain(b->t, "affinity-check");
		rs_rule_dnat_map(rs_chain_add_rule(c),
				 &RS_KEY(RS_F_SADDR, RS_F_DADDR, RS_F_L4PROTO, RS_F_DPORT), "affinity");
	}
	for (i = 0; i < b->naff; i++) {
		char *name = aff_chain_name(b->aff[i].timeout);

		c = rs_table_add_chain(b->t, name);
		free(name);
		for (j = 0; j < SN_ARRAY_SIZE(protos); j++) {
			if (!(b->aff[i].protos & proto_bit(protos[j])))
				continue;
			r = rs_chain_add_rule(c);
			rs_rule_cmp_proto(r, protos[j]);
			rs_rule_update(r, "affinity",
				       &RS_KEY(RS_F_SADDR, RS_F_CT_ODADDR, RS_F_L4PROTO,
					       RS_F_CT_OPROTO_DST),
				       b->aff[i].timeout, &RS_KEY(RS_F_DADDR, RS_F_DPORT));
		}
	}
}

/* Remove sets nothing uses, so the script shows only what matters. */
static void prune_sets(struct bctx *b)
{
	if (!b->fw_ips->n) {
		rs_table_del_set(b->t, "firewall-ips");
		rs_table_del_set(b->t, "firewall-allow");
	}
	if (!b->naff)
		rs_table_del_set(b->t, "affinity");
	if (!b->aff_fronts->n)
		rs_table_del_set(b->t, "affinity-frontends");
	if (!b->aff_nodeports->n)
		rs_table_del_set(b->t, "affinity-nodeports");
	if (!b->hairpin->n)
		rs_table_del_set(b->t, "hairpin");
	if (!b->service_nodeports->n)
		rs_table_del_set(b->t, "service-nodeports");
	if (!b->service_ips->n)
		rs_table_del_set(b->t, "service-ips");
	if (!b->cluster_ips->n)
		rs_table_del_set(b->t, "cluster-ips");
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
	rs_table_sort(b.t);
	free(b.aff);
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
