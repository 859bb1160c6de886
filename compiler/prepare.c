// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * compiler/prepare.c: what needs the whole world before rules can be built.
 *
 * In manifest mode there is no API server, so svcnft does its job: it gives a
 * Service without a clusterIP an address from --service-cidr and a port
 * without a nodePort a port from --service-node-port-range. The choice is a
 * hash of namespace/name (and port), so a Service keeps its address when
 * others come and go; a collision moves to the next free value in a fixed
 * order and is reported. Values written in the manifests always win; two
 * Services claiming the same value is an error.
 */
#include <inttypes.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/internal.h"

void comp_opts_init(struct comp_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->nodeport_min = COMP_NODEPORT_MIN_DEFAULT;
	o->nodeport_max = COMP_NODEPORT_MAX_DEFAULT;
	o->masq_bit = COMP_MASQ_BIT_DEFAULT;
}

void comp_opts_free(struct comp_opts *o)
{
	free(o->node_name);
	free(o->nodeport_addrs);
	free(o->external_ip_cidrs);
	free(o->lb_ip_cidrs);
	memset(o, 0, sizeof(*o));
}

char *comp_svc_object(const struct svc_service *s)
{
	return sn_asprintf("Service %s/%s", s->ns, s->name);
}

static int svc_cmp(const void *a, const void *b)
{
	const struct svc_service *x = a, *y = b;
	int r = strcmp(x->ns, y->ns);

	return r ? r : strcmp(x->name, y->name);
}

/* Slices are grouped by the Service they feed so that comp_slices_for() can
 * find them by binary search: namespace, service, EndpointSlices before
 * converted Endpoints, then name and family. */
int comp_slice_cmp(const void *a, const void *b)
{
	const struct svc_slice *x = a, *y = b;
	int r = strcmp(x->ns, y->ns);

	if (!r)
		r = strcmp(x->service, y->service);
	if (!r)
		r = (int)x->from_endpoints - (int)y->from_endpoints;
	if (!r)
		r = strcmp(x->name, y->name);
	if (!r)
		r = (int)x->family - (int)y->family;
	return r;
}

static void svc_report(struct sn_diag *d, enum sn_severity sev, const struct svc_service *s,
		       const struct sn_loc *loc, const char *field, const char *fmt, va_list ap)
	SN_PRINTF(6, 0);
static void svc_report(struct sn_diag *d, enum sn_severity sev, const struct svc_service *s,
		       const struct sn_loc *loc, const char *field, const char *fmt, va_list ap)
{
	char *obj = comp_svc_object(s);

	sn_diag_vadd(d, sev, loc ? loc : &s->loc, obj, field, fmt, ap);
	free(obj);
}

static void svc_error(struct sn_diag *d, const struct svc_service *s, const struct sn_loc *loc,
		      const char *field, const char *fmt, ...) SN_PRINTF(5, 6);
static void svc_error(struct sn_diag *d, const struct svc_service *s, const struct sn_loc *loc,
		      const char *field, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	svc_report(d, SN_ERROR, s, loc, field, fmt, ap);
	va_end(ap);
}

static void svc_warn(struct sn_diag *d, const struct svc_service *s, const struct sn_loc *loc,
		     const char *field, const char *fmt, ...) SN_PRINTF(5, 6);
static void svc_warn(struct sn_diag *d, const struct svc_service *s, const struct sn_loc *loc,
		     const char *field, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	svc_report(d, SN_WARNING, s, loc, field, fmt, ap);
	va_end(ap);
}

static void svc_note(struct sn_diag *d, const struct svc_service *s, const struct sn_loc *loc,
		     const char *field, const char *fmt, ...) SN_PRINTF(5, 6);
static void svc_note(struct sn_diag *d, const struct svc_service *s, const struct sn_loc *loc,
		     const char *field, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	svc_report(d, SN_NOTE, s, loc, field, fmt, ap);
	va_end(ap);
}

/* ---- a small open-addressing table of claimed values ---- */

struct claim {
	uint8_t key[20];	/* address (16) + proto (1) + port (2), or a node port */
	const struct svc_service *owner;
	bool used;
};

struct claims {
	struct claim *v;
	size_t size, n;
};

static void claims_init(struct claims *c, size_t expect)
{
	c->size = 64;
	while (c->size < expect * 2 + 16)
		c->size *= 2;
	c->v = sn_calloc(c->size, sizeof(*c->v));
	c->n = 0;
}

static struct claim *claims_slot(struct claims *c, const uint8_t *key)
{
	size_t i = sn_hash64(key, 20, SN_HASH_SEED) & (c->size - 1);

	while (c->v[i].used && memcmp(c->v[i].key, key, 20))
		i = (i + 1) & (c->size - 1);
	return &c->v[i];
}

static void claims_grow(struct claims *c)
{
	struct claims big;
	size_t i;

	if ((c->n + 1) * 2 < c->size)
		return;
	big.size = c->size * 2;
	big.v = sn_calloc(big.size, sizeof(*big.v));
	big.n = c->n;
	for (i = 0; i < c->size; i++)
		if (c->v[i].used)
			*claims_slot(&big, c->v[i].key) = c->v[i];
	free(c->v);
	*c = big;
}

/* Returns the previous owner, or NULL after claiming the key for owner. */
static const struct svc_service *claims_take(struct claims *c, const uint8_t *key,
					      const struct svc_service *owner)
{
	struct claim *slot;

	claims_grow(c);
	slot = claims_slot(c, key);
	if (slot->used)
		return slot->owner;
	memcpy(slot->key, key, 20);
	slot->owner = owner;
	slot->used = true;
	c->n++;
	return NULL;
}

static const struct svc_service *claims_get(struct claims *c, const uint8_t *key)
{
	struct claim *slot = claims_slot(c, key);

	return slot->used ? slot->owner : NULL;
}

static void addr_key(uint8_t *key, const struct sn_addr *a, uint8_t proto, uint16_t port)
{
	memset(key, 0, 20);
	memcpy(key, a->a, 16);
	key[16] = proto;
	key[17] = port >> 8;
	key[18] = port & 0xff;
	key[19] = a->family;
}

static void port_key(uint8_t *key, uint16_t port)
{
	memset(key, 0, 20);
	key[17] = port >> 8;
	key[18] = port & 0xff;
	key[19] = 0xff; /* never an address family */
}

/* ---- families ---- */

static const struct sn_addr *service_cidr(const struct comp_opts *o, uint8_t family)
{
	unsigned i;

	for (i = 0; i < o->nservice_cidrs; i++)
		if (o->service_cidrs[i].family == family)
			return &o->service_cidrs[i];
	return NULL;
}

static const char *family_name(uint8_t f)
{
	return f == SN_AF_INET6 ? "IPv6" : "IPv4";
}

/*
 * Decide the address families of a Service and leave, in cluster_ips[], one
 * slot per family in order: given addresses first, families still to be
 * allocated as unset slots (family set, plen 0). Returns false on error.
 */
static bool resolve_families(struct svc_service *s, const struct comp_opts *o,
			     struct sn_diag *d)
{
	uint8_t fam[2];
	unsigned nfam = 0, i;

	if (s->ncluster_ips) {
		for (i = 0; i < s->ncluster_ips; i++)
			fam[nfam++] = s->cluster_ips[i].family;
	} else if (s->nfamilies) {
		for (i = 0; i < s->nfamilies; i++)
			fam[nfam++] = s->families[i];
	} else if (o->nservice_cidrs) {
		fam[nfam++] = o->service_cidrs[0].family;
	} else {
		svc_error(d, s, NULL, "spec.clusterIP",
			  "no clusterIP given and no --service-cidr to allocate one from "
			  "(give spec.clusterIP, or run with --service-cidr)");
		return false;
	}

	/* Dual-stack policies add the other family when the cluster has it. */
	if (s->family_policy != SVC_SINGLE_STACK && nfam == 1) {
		uint8_t other = fam[0] == SN_AF_INET ? SN_AF_INET6 : SN_AF_INET;

		if (service_cidr(o, other) || s->nfamilies == 2)
			fam[nfam++] = other;
		else if (s->family_policy == SVC_REQUIRE_DUAL_STACK) {
			svc_error(d, s, NULL, "spec.ipFamilyPolicy",
				  "RequireDualStack needs a service CIDR of each family "
				  "(--service-cidr has no %s range)", family_name(other));
			return false;
		}
	}
	if (s->nfamilies && s->ncluster_ips) {
		for (i = 0; i < s->ncluster_ips && i < s->nfamilies; i++)
			if (s->families[i] != s->cluster_ips[i].family) {
				svc_error(d, s, NULL, "spec.ipFamilies",
					  "ipFamilies[%u] is %s but clusterIPs[%u] is %s", i,
					  family_name(s->families[i]), i,
					  family_name(s->cluster_ips[i].family));
				return false;
			}
		if (s->nfamilies > nfam) {
			fam[nfam] = s->families[nfam];
			nfam++;
		}
	}
	for (i = s->ncluster_ips; i < nfam; i++) {
		memset(&s->cluster_ips[i], 0, sizeof(s->cluster_ips[i]));
		s->cluster_ips[i].family = fam[i];
		if (!service_cidr(o, fam[i])) {
			svc_error(d, s, NULL, "spec.clusterIP",
				  "needs an %s address but --service-cidr has no %s range "
				  "to allocate one from", family_name(fam[i]), family_name(fam[i]));
			return false;
		}
	}
	s->ncluster_ips = nfam;
	return true;
}

static void addr_set_offset(struct sn_addr *out, const struct sn_addr *prefix, uint64_t off)
{
	unsigned len = sn_addr_len(prefix), i;

	*out = *prefix;
	out->plen = len * 8;
	for (i = len; i-- > 0 && off; off >>= 8)
		out->a[i] |= (uint8_t)(off & 0xff);
}

/*
 * Allocate an address for family slot `slot`. Usable offsets are 1..size-2
 * for IPv4 (no network, no broadcast) and 1..size-1 for IPv6; offset 1 is
 * kept for default/kubernetes, as the API server does.
 */
static bool alloc_ip(struct svc_service *s, unsigned slot, const struct comp_opts *o,
		     struct claims *ips, struct sn_diag *d)
{
	const struct sn_addr *cidr = service_cidr(o, s->cluster_ips[slot].family);
	unsigned hostbits = sn_addr_len(cidr) * 8 - cidr->plen;
	uint64_t size = hostbits >= 63 ? (1ULL << 62) : (1ULL << hostbits);
	uint64_t first = 2, last = cidr->family == SN_AF_INET ? size - 2 : size - 1;
	uint64_t span, off, tries;
	bool is_api = !strcmp(s->ns, "default") && !strcmp(s->name, "kubernetes");
	char *key = sn_asprintf("%s/%s/%s", s->ns, s->name,
				family_name(s->cluster_ips[slot].family));
	const struct svc_service *taken_by = NULL;
	struct sn_addr a;
	uint8_t k[20];
	char buf[SN_ADDR_STRLEN];

	if (is_api)
		first = 1;
	if (last < first) {
		free(key);
		svc_error(d, s, NULL, "spec.clusterIP", "--service-cidr %s is too small to allocate from",
			  sn_prefix_str(cidr, buf));
		return false;
	}
	span = last - first + 1;
	off = is_api ? 0 : sn_hash_str(key, SN_HASH_SEED) % span;
	free(key);
	for (tries = 0; tries < span && tries < (1u << 24); tries++) {
		const struct svc_service *owner;

		addr_set_offset(&a, cidr, first + (off + tries) % span);
		addr_key(k, &a, 0, 0);
		owner = claims_take(ips, k, s);
		if (!owner) {
			s->cluster_ips[slot] = a;
			s->cluster_ip_allocated[slot] = true;
			if (taken_by) {
				svc_note(d, s, NULL, "spec.clusterIP",
					 "allocated %s after %" PRIu64 " address(es) taken (first by %s/%s)",
					 sn_addr_str(&a, buf), tries, taken_by->ns, taken_by->name);
			}
			return true;
		}
		if (!taken_by)
			taken_by = owner;
	}
	svc_error(d, s, NULL, "spec.clusterIP", "no free address left in --service-cidr %s",
		  sn_prefix_str(cidr, buf));
	return false;
}

static bool needs_node_ports(const struct svc_service *s)
{
	return s->type == SVC_NODE_PORT || s->type == SVC_LOAD_BALANCER;
}

static bool alloc_node_port(struct svc_service *s, const char *what, uint16_t *out,
			    const struct sn_loc *loc, const char *field,
			    const struct comp_opts *o, struct claims *ports,
			    struct sn_diag *d)
{
	uint32_t span = (uint32_t)o->nodeport_max - o->nodeport_min + 1, tries;
	char *key = sn_asprintf("%s/%s/%s", s->ns, s->name, what);
	uint32_t off = (uint32_t)(sn_hash_str(key, SN_HASH_SEED) % span);
	const struct svc_service *taken_by = NULL;
	uint8_t k[20];

	free(key);
	for (tries = 0; tries < span; tries++) {
		uint16_t port = (uint16_t)(o->nodeport_min + (off + tries) % span);
		const struct svc_service *owner;

		port_key(k, port);
		owner = claims_take(ports, k, s);
		if (!owner) {
			*out = port;
			if (taken_by) {
				svc_note(d, s, loc, field,
					 "allocated node port %u after %u port(s) taken (first by %s/%s)",
					 port, tries, taken_by->ns, taken_by->name);
			}
			return true;
		}
		if (!taken_by)
			taken_by = owner;
	}
	svc_error(d, s, loc, field, "no free node port left in --service-node-port-range %u-%u",
		  o->nodeport_min, o->nodeport_max);
	return false;
}

/* ---- targetPort names ---- */

/*
 * A named targetPort that no endpoint port carries is what the EndpointSlice
 * controller writes when no Pod declares that port: kube-proxy leaves that
 * service port without endpoints (so it rejects) and programs the rest.
 * svcnft does the same and says so: it is a warning, never an error.
 */
static void check_target_names(const struct svc_world *w, const struct svc_service *s,
			       struct sn_diag *d)
{
	struct comp_slices sl;
	unsigned i, j, k;

	comp_slices_for(w, s, &sl);
	for (i = 0; i < s->nports; i++) {
		const struct svc_port *p = &s->ports[i];
		bool found = false, any_ports = false;
		struct sn_buf names;
		char *field;

		if (!p->target_is_name)
			continue;
		/* Only when no endpoint port of this protocol carries either
		 * name; a port named after another service port just leaves
		 * this one without endpoints, silently, as in kube-proxy. */
		for (j = 0; j < sl.n && !found; j++) {
			any_ports |= sl.v[j]->nports > 0;
			for (k = 0; k < sl.v[j]->nports; k++) {
				const struct svc_slice_port *sp = &sl.v[j]->ports[k];

				found |= sp->proto == p->proto && (!strcmp(sp->name, p->name) ||
								   !strcmp(sp->name, p->target_name));
			}
		}
		if (found || !any_ports)
			continue;
		sn_buf_init(&names);
		for (j = 0; j < sl.n; j++)
			for (k = 0; k < sl.v[j]->nports; k++) {
				const struct svc_slice_port *sp = &sl.v[j]->ports[k];

				if (sp->proto != p->proto)
					continue;
				sn_buf_printf(&names, "%s\"%s\"", names.len ? ", " : "", sp->name);
			}
		field = sn_asprintf("spec.ports[%u].targetPort", i);
		svc_warn(d, s, &p->loc, field,
			 "no %s endpoint port is named \"%s\" or \"%s\" (endpoint ports: %s): "
			 "this port has no endpoints and rejects, the others are programmed",
			 sn_proto_name(p->proto), p->target_name, p->name,
			 names.len ? names.s : "none of this protocol");
		free(field);
		sn_buf_free(&names);
	}
	comp_slices_free(&sl);
}

/* ---- one Service's own frontends ---- */

static bool prefix_covers(const struct sn_addr *big, const struct sn_addr *small)
{
	struct sn_addr h = *small;

	h.plen = (uint8_t)(sn_addr_len(small) * 8);
	return big->family == small->family && big->plen <= small->plen &&
	       sn_prefix_contains(big, &h);
}

/*
 * Every key of one Service's frontends once, so that the dispatch maps never
 * get one element twice (apply would never converge, or the kernel refuses
 * two verdicts for one key):
 *  - a VIP listed twice in status.loadBalancer.ingress: once;
 *  - an externalIP listed twice, or also a VIP: once, as the VIP (both lead
 *    to the external chain; as a VIP its source ranges apply, as in
 *    kube-proxy, whose firewall is keyed by address and port);
 *  - loadBalancerSourceRanges: a range equal to or inside another is
 *    dropped (the interval set refuses overlapping elements; the union of
 *    the ranges is unchanged).
 * An externalIP or VIP equal to the Service's own ClusterIP stays: the
 * external entry wins that key (comp_frontend_skipped()).
 */
static void dedupe_frontends(struct svc_service *s, struct sn_diag *d)
{
	char buf[SN_ADDR_STRLEN], buf2[SN_ADDR_STRLEN];
	bool *drop = sn_calloc(s->nsource_ranges + 1, sizeof(*drop));
	unsigned i, j, n;

	for (i = 0, n = 0; i < s->nlb_ingress; i++) {
		const struct svc_lb_ingress *v = &s->lb_ingress[i];
		bool dup = false;

		for (j = 0; j < n && !v->proxy_mode; j++)
			dup |= !s->lb_ingress[j].proxy_mode && sn_addr_eq(&s->lb_ingress[j].ip, &v->ip);
		if (dup) {
			char *field = sn_asprintf("status.loadBalancer.ingress[%u].ip", i);

			svc_note(d, s, NULL, field, "%s is listed twice: programmed once",
				 sn_addr_str(&v->ip, buf));
			free(field);
			continue;
		}
		s->lb_ingress[n++] = *v;
	}
	s->nlb_ingress = n;

	for (i = 0, n = 0; i < s->nexternal_ips; i++) {
		const struct sn_addr *a = &s->external_ips[i];
		const char *also = NULL;

		for (j = 0; j < n && !also; j++)
			if (sn_addr_eq(&s->external_ips[j], a))
				also = "listed twice in spec.externalIPs";
		for (j = 0; j < s->nlb_ingress && !also; j++)
			if (!s->lb_ingress[j].proxy_mode && sn_addr_eq(&s->lb_ingress[j].ip, a))
				also = "also a status.loadBalancer.ingress ip";
		if (also) {
			char *field = sn_asprintf("spec.externalIPs[%u]", i);

			svc_note(d, s, NULL, field, "%s is %s: programmed once",
				 sn_addr_str(a, buf), also);
			free(field);
			continue;
		}
		s->external_ips[n++] = *a;
	}
	s->nexternal_ips = n;

	for (i = 0; i < s->ncluster_ips; i++) {
		const struct sn_addr *c = &s->cluster_ips[i];
		const char *role = NULL;

		for (j = 0; j < s->nexternal_ips && !role; j++)
			if (sn_addr_eq(&s->external_ips[j], c))
				role = "an externalIP";
		for (j = 0; j < s->nlb_ingress && !role; j++)
			if (!s->lb_ingress[j].proxy_mode && sn_addr_eq(&s->lb_ingress[j].ip, c))
				role = "a status.loadBalancer.ingress ip";
		if (role)
			svc_note(d, s, NULL, i ? "spec.clusterIPs" : "spec.clusterIP",
				 "%s is also %s of this Service: its ports take the external path, "
				 "as in kube-proxy", sn_addr_str(c, buf), role);
	}

	for (i = 0, n = 0; i < s->nsource_ranges; i++) {
		const struct sn_addr *r = &s->source_ranges[i];
		unsigned by = ~0u;

		/* a range covering r that is kept: an earlier one (equal or
		 * wider, kept unless itself covered, which is then wider still)
		 * or a later, strictly wider one; judged on the original list */
		for (j = 0; j < s->nsource_ranges && by == ~0u; j++)
			if (j != i && prefix_covers(&s->source_ranges[j], r) &&
			    (j < i || s->source_ranges[j].plen < r->plen))
				by = j;
		drop[i] = by != ~0u;
		if (drop[i]) {
			char *field = sn_asprintf("spec.loadBalancerSourceRanges[%u]", i);

			svc_note(d, s, NULL, field, "%s is covered by %s (spec.loadBalancerSourceRanges[%u]): merged",
				 sn_prefix_str(r, buf), sn_prefix_str(&s->source_ranges[by], buf2), by);
			free(field);
		}
	}
	for (i = 0, n = 0; i < s->nsource_ranges; i++)
		if (!drop[i])
			s->source_ranges[n++] = s->source_ranges[i];
	free(drop);
	s->nsource_ranges = n;
}

/* ---- frontends two Services claim ---- */

/* Who keeps a frontend two Services claim: the older Service
 * (metadata.creationTimestamp; one without it counts as newest), then
 * namespace/name order. Negative: x wins. */
static int claim_order(const struct svc_service *x, const struct svc_service *y)
{
	int r;

	if (x->created != y->created) {
		if (!x->created || !y->created)
			return x->created ? -1 : 1;
		return x->created < y->created ? -1 : 1;
	}
	r = strcmp(x->ns, y->ns);
	return r ? r : strcmp(x->name, y->name);
}

static int claim_order_idx(const void *a, const void *b, void *arg)
{
	const struct svc_service *v = arg;

	return claim_order(&v[*(const unsigned *)a], &v[*(const unsigned *)b]);
}

static void lose_frontend(struct svc_port *p, const struct sn_addr *a)
{
	p->lost_frontends = sn_realloc(p->lost_frontends,
				       (p->nlost_frontends + 1) * sizeof(*p->lost_frontends));
	p->lost_frontends[p->nlost_frontends++] = *a;
}

/*
 * An address, protocol and port reaches one Service only. The API server
 * lets two Services name the same externalIP or LoadBalancer IP (and an
 * externalIP may even be another Service's ClusterIP), so this is never an
 * error: a ClusterIP always keeps its key (the API server allocated it to
 * that Service), and between external frontends the older Service wins
 * (claim_order()). The loser's port loses that one frontend, with a warning
 * naming both; everything else of it is programmed.
 */
static void resolve_frontends(struct svc_world *w, const bool *bad, struct sn_diag *d)
{
	struct claims cips, fronts;
	unsigned *order, i, j, k, n = 0;
	char buf[SN_ADDR_STRLEN];
	uint8_t key[20];

	claims_init(&cips, w->nsvcs * 2);
	claims_init(&fronts, w->nsvcs * 2);
	order = sn_calloc(w->nsvcs + 1, sizeof(*order));
	for (i = 0; i < w->nsvcs; i++) {
		const struct svc_service *s = &w->svcs[i];

		if (s->skip_reason || bad[i])
			continue;
		order[n++] = i;
		for (j = 0; j < s->nports; j++)
			for (k = 0; k < s->ncluster_ips; k++) {
				addr_key(key, &s->cluster_ips[k], s->ports[j].proto, s->ports[j].port);
				claims_take(&cips, key, s);
			}
	}
	if (n)
		qsort_r(order, n, sizeof(*order), claim_order_idx, w->svcs);
	for (i = 0; i < n; i++) {
		struct svc_service *s = &w->svcs[order[i]];

		for (j = 0; j < s->nports; j++) {
			struct svc_port *p = &s->ports[j];

			for (k = 0; k < s->nexternal_ips + s->nlb_ingress; k++) {
				const struct sn_addr *a;
				const struct svc_service *owner;
				bool vip = k >= s->nexternal_ips;
				char *what;

				if (vip && s->lb_ingress[k - s->nexternal_ips].proxy_mode)
					continue;
				a = vip ? &s->lb_ingress[k - s->nexternal_ips].ip : &s->external_ips[k];
				addr_key(key, a, p->proto, p->port);
				owner = claims_get(&cips, key);
				if (!owner || owner == s)
					owner = claims_take(&fronts, key, s);
				if (!owner || owner == s)
					continue;
				what = vip ? sn_asprintf("status.loadBalancer.ingress[%u].ip",
							 k - s->nexternal_ips)
					   : sn_asprintf("spec.externalIPs[%u]", k);
				svc_warn(d, s, &p->loc, what,
					 "%s port %u/%s is also claimed by Service %s/%s, which keeps it (%s); "
					 "not programmed for this Service",
					 sn_addr_str(a, buf), p->port, sn_proto_name(p->proto),
					 owner->ns, owner->name,
					 claims_get(&cips, key) == owner ? "it is its ClusterIP"
					 : !owner->created && !s->created ? "neither has a creationTimestamp, namespace/name first"
					 : owner->created == s->created ? "same creationTimestamp, namespace/name first"
					 : !s->created ? "this one has no creationTimestamp"
					 : "older creationTimestamp");
				free(what);
				lose_frontend(p, a);
			}
		}
	}
	free(order);
	free(cips.v);
	free(fronts.v);
}

static void drop_service(struct svc_world *w, unsigned i)
{
	svc_service_free_contents(&w->svcs[i]);
	memmove(&w->svcs[i], &w->svcs[i + 1], (w->nsvcs - i - 1) * sizeof(w->svcs[0]));
	w->nsvcs--;
}

int comp_resolve_nodeport_primary(const struct svc_world *w, struct comp_opts *o,
				  struct sn_diag *d)
{
	const struct sn_addr *ips = o->node_ips;
	unsigned n = o->nnode_ips, i;

	if (!o->nodeport_primary)
		return 0;
	if (!n && o->node_name)
		for (i = 0; i < w->nnodes; i++)
			if (!strcmp(w->nodes[i].name, o->node_name)) {
				ips = w->nodes[i].primary_ips;
				n = w->nodes[i].nprimary_ips;
			}
	if (!n) {
		sn_diag_add(d, SN_ERROR, NULL, NULL, "--nodeport-addresses",
			    "primary: the primary IPs of node %s are unknown (give --node-ip, or "
			    "the Node object %s with status.addresses)",
			    o->node_name ? o->node_name : "(none)",
			    o->node_name ? o->node_name : "of this node");
		return 1;
	}
	free(o->nodeport_addrs);
	o->nodeport_addrs = sn_calloc(n, sizeof(*o->nodeport_addrs));
	for (i = 0; i < n; i++) {
		o->nodeport_addrs[i] = ips[i];
		o->nodeport_addrs[i].plen = (uint8_t)(sn_addr_len(&ips[i]) * 8);
	}
	o->nnodeport_addrs = n;
	return 0;
}

int comp_prepare(struct svc_world *w, const struct comp_opts *o, struct sn_diag *d)
{
	size_t errors0 = d->errors;
	struct claims ips, ports;
	unsigned i, j, k;
	bool *bad;

	/* Everything below walks in namespace/name order: results never depend on
	 * the order of the files or of the objects in them. */
	if (w->nsvcs)
		qsort(w->svcs, w->nsvcs, sizeof(w->svcs[0]), svc_cmp);
	if (w->nslices)	/* qsort(NULL, 0, ...) is undefined */
		qsort(w->slices, w->nslices, sizeof(w->slices[0]), comp_slice_cmp);
	/* before any address is claimed: a refused one never wins a frontend */
	comp_capture_filter(w, o, d);

	bad = sn_calloc(w->nsvcs + 1, sizeof(*bad));
	claims_init(&ips, w->nsvcs * 2);
	claims_init(&ports, w->nsvcs * 2);

	/* 1. families, and the addresses the manifests give */
	for (i = 0; i < w->nsvcs; i++) {
		struct svc_service *s = &w->svcs[i];

		if (s->skip_reason)
			continue;
		if (!resolve_families(s, o, d)) {
			bad[i] = true;
			continue;
		}
		for (j = 0; j < s->ncluster_ips; j++) {
			const struct svc_service *owner;
			uint8_t key[20];
			char buf[SN_ADDR_STRLEN];

			if (!s->cluster_ips[j].plen)
				continue;
			addr_key(key, &s->cluster_ips[j], 0, 0);
			owner = claims_take(&ips, key, s);
			if (owner) {
				svc_error(d, s, NULL, j ? "spec.clusterIPs" : "spec.clusterIP",
					  "%s is already the clusterIP of Service %s/%s",
					  sn_addr_str(&s->cluster_ips[j], buf), owner->ns, owner->name);
				bad[i] = true;
			}
		}
	}
	/* 2. node ports the manifests give */
	for (i = 0; i < w->nsvcs; i++) {
		struct svc_service *s = &w->svcs[i];

		if (s->skip_reason || bad[i])
			continue;
		for (j = 0; j < s->nports; j++) {
			struct svc_port *p = &s->ports[j];
			char *field;

			if (!p->node_port)
				continue;
			field = sn_asprintf("spec.ports[%u].nodePort", j);
			if (!needs_node_ports(s)) {
				svc_note(d, s, &p->loc, field,
					 "ignored: a nodePort only applies to NodePort and LoadBalancer Services");
				p->node_port = 0;
			} else if (p->node_port < o->nodeport_min || p->node_port > o->nodeport_max) {
				svc_error(d, s, &p->loc, field,
					  "%u is outside the node port range %u-%u (--service-node-port-range)",
					  p->node_port, o->nodeport_min, o->nodeport_max);
				bad[i] = true;
			} else {
				const struct svc_service *owner;
				uint8_t key[20];

				/* one Service may reuse a node port for another protocol */
				for (k = 0; k < j; k++)
					if (s->ports[k].node_port == p->node_port &&
					    s->ports[k].proto == p->proto) {
						svc_error(d, s, &p->loc, field,
							  "node port %u is used twice for %s",
							  p->node_port, sn_proto_name(p->proto));
						bad[i] = true;
					}
				port_key(key, p->node_port);
				owner = claims_take(&ports, key, s);
				if (owner && owner != s) {
					svc_error(d, s, &p->loc, field,
						  "node port %u is already used by Service %s/%s",
						  p->node_port, owner->ns, owner->name);
					bad[i] = true;
				}
			}
			free(field);
		}
		if (s->health_check_node_port) {
			const struct svc_service *owner;
			uint8_t key[20];

			port_key(key, s->health_check_node_port);
			owner = claims_take(&ports, key, s);
			if (owner) {
				svc_error(d, s, NULL, "spec.healthCheckNodePort",
					  "port %u is already used by Service %s/%s",
					  s->health_check_node_port, owner->ns, owner->name);
				bad[i] = true;
			}
		}
	}
	/* 3. allocation, in namespace/name order */
	for (i = 0; i < w->nsvcs; i++) {
		struct svc_service *s = &w->svcs[i];

		if (s->skip_reason || bad[i])
			continue;
		for (j = 0; j < s->ncluster_ips; j++)
			if (!s->cluster_ips[j].plen &&
			    !alloc_ip(s, j, o, &ips, d))
				bad[i] = true;
		if (!needs_node_ports(s))
			continue;
		for (j = 0; j < s->nports; j++) {
			struct svc_port *p = &s->ports[j];
			char *what, *field;

			/* allocateLoadBalancerNodePorts: false keeps only given ones */
			if (p->node_port || (s->type == SVC_LOAD_BALANCER && s->no_lb_node_ports))
				continue;
			what = sn_asprintf("%s/%s/%u", p->name, sn_proto_name(p->proto), p->port);
			field = sn_asprintf("spec.ports[%u].nodePort", j);
			if (alloc_node_port(s, what, &p->node_port, &p->loc, field, o, &ports, d))
				p->node_port_allocated = true;
			else
				bad[i] = true;
			free(what);
			free(field);
		}
		if (s->type == SVC_LOAD_BALANCER && s->etp_local && !s->health_check_node_port) {
			if (alloc_node_port(s, "healthCheckNodePort", &s->health_check_node_port,
					    NULL, "spec.healthCheckNodePort", o, &ports, d))
				s->health_check_node_port_allocated = true;
			else
				bad[i] = true;
		}
	}
	/* 4. frontends: each key once per Service, then once overall */
	for (i = 0; i < w->nsvcs; i++)
		if (!w->svcs[i].skip_reason && !bad[i])
			dedupe_frontends(&w->svcs[i], d);
	resolve_frontends(w, bad, d);
	/* 5. named target ports that no endpoint port carries (a warning) */
	for (i = 0; i < w->nsvcs; i++)
		if (!w->svcs[i].skip_reason && !bad[i])
			check_target_names(w, &w->svcs[i], d);

	for (i = w->nsvcs; i-- > 0;)
		if (bad[i])
			drop_service(w, i);
	free(bad);
	free(ips.v);
	free(ports.v);
	return (int)(d->errors - errors0);
}
