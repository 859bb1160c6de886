// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * compiler/endpoints.c: which endpoints a service port uses, as kube-proxy
 * decides it (pkg/proxy/topology.go CategorizeEndpoints and the
 * EndpointSlice cache):
 *  - only addresses[0] of an endpoint counts; the same ip:port in several
 *    slices is one endpoint (the first seen wins, unless a later one is local);
 *  - cluster endpoints: the ready ones, else the serving and terminating
 *    ones. The ready ones are restricted to this node when every ready
 *    endpoint carries node hints (trafficDistribution PreferSameNode) and
 *    one names this node; failing that, to this node's zone when every
 *    ready endpoint carries zone hints and one names the zone;
 *  - local endpoints: ready ones on this node, else serving and terminating
 *    ones on this node.
 */
#include <stdlib.h>
#include <string.h>

#include "compiler/internal.h"

bool comp_externally_accessible(const struct svc_service *s)
{
	unsigned i;

	if (s->type == SVC_NODE_PORT || s->type == SVC_LOAD_BALANCER)
		return true;
	if (s->nexternal_ips)
		return true;
	for (i = 0; i < s->nlb_ingress; i++)
		if (!s->lb_ingress[i].proxy_mode)
			return true;
	return false;
}

bool comp_frontend_skipped(const struct svc_service *s, const struct svc_port *p,
			   const struct sn_addr *a, bool cluster)
{
	unsigned i;

	if (!cluster) {
		for (i = 0; i < p->nlost_frontends; i++)
			if (sn_addr_eq(&p->lost_frontends[i], a))
				return true;
		return false;
	}
	for (i = 0; i < s->nexternal_ips; i++)
		if (sn_addr_eq(&s->external_ips[i], a) && !comp_frontend_skipped(s, p, a, false))
			return true;
	for (i = 0; i < s->nlb_ingress; i++)
		if (!s->lb_ingress[i].proxy_mode && sn_addr_eq(&s->lb_ingress[i].ip, a) &&
		    !comp_frontend_skipped(s, p, a, false))
			return true;
	return false;
}

bool comp_etp_local(const struct svc_service *s)
{
	/* apiservice.ExternalPolicyLocal: Local counts for every externally
	 * accessible Service, a ClusterIP with externalIPs included. */
	return s->etp_local && comp_externally_accessible(s);
}

static int key_cmp(const struct svc_slice *x, const char *ns, const char *svc)
{
	int r = strcmp(x->ns, ns);

	return r ? r : strcmp(x->service, svc);
}

void comp_slices_for(const struct svc_world *w, const struct svc_service *s,
		     struct comp_slices *out)
{
	unsigned lo = 0, hi = w->nslices, i, first;
	bool have_slices = false;

	/* w->slices is sorted by comp_prepare(): ns, service, endpoints-last, name */
	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (key_cmp(&w->slices[mid], s->ns, s->name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	first = lo;
	out->v = NULL;
	out->n = 0;
	for (i = first; i < w->nslices && !key_cmp(&w->slices[i], s->ns, s->name); i++)
		have_slices |= !w->slices[i].from_endpoints;
	out->v = sn_calloc(i - first + 1, sizeof(*out->v));
	for (i = first; i < w->nslices && !key_cmp(&w->slices[i], s->ns, s->name); i++)
		/* v1 Endpoints count only when no EndpointSlice names the Service */
		if (w->slices[i].from_endpoints != have_slices)
			out->v[out->n++] = &w->slices[i];
}

void comp_slices_free(struct comp_slices *sl)
{
	free(sl->v);
	sl->v = NULL;
	sl->n = 0;
}

static bool is_port_name(const struct svc_service *s, const char *name)
{
	unsigned i;

	for (i = 0; i < s->nports; i++)
		if (!strcmp(s->ports[i].name, name))
			return true;
	return false;
}

const struct svc_slice_port *comp_slice_port(const struct svc_slice *sl,
					     const struct svc_service *s,
					     const struct svc_port *p)
{
	unsigned i;

	for (i = 0; i < sl->nports; i++) {
		const struct svc_slice_port *sp = &sl->ports[i];

		if (sp->proto == p->proto && sp->port && !strcmp(sp->name, p->name))
			return sp;
	}
	if (!p->target_is_name || is_port_name(s, p->target_name))
		return NULL;
	for (i = 0; i < sl->nports; i++) {
		const struct svc_slice_port *sp = &sl->ports[i];

		if (sp->proto == p->proto && sp->port && !strcmp(sp->name, p->target_name))
			return sp;
	}
	return NULL;
}

static int ep_cmp(const void *a, const void *b)
{
	const struct comp_ep *x = a, *y = b;
	int r = sn_addr_cmp(&x->addr, &y->addr);

	return r ? r : (int)x->port - (int)y->port;
}

static int ep_seq_cmp(const void *a, const void *b)
{
	const struct comp_ep *x = a, *y = b;
	int r = ep_cmp(a, b);

	return r ? r : (x->seq > y->seq) - (x->seq < y->seq);
}

static bool has_zone(const struct svc_endpoint *e, const char *zone)
{
	unsigned i;

	for (i = 0; i < e->nzone_hints; i++)
		if (!strcmp(e->zone_hints[i], zone))
			return true;
	return false;
}

static bool has_node(const struct svc_endpoint *e, const char *node)
{
	unsigned i;

	for (i = 0; i < e->nnode_hints; i++)
		if (!strcmp(e->node_hints[i], node))
			return true;
	return false;
}

/* kube-proxy's topologyModeFromHints: node hints first, then zone hints,
 * each only when every ready endpoint has some and one names us. */
static void topology_mode(struct comp_eps *out, const char *node, const char *zone)
{
	bool for_node = false, all_node = true, for_zone = false, all_zone = true;
	unsigned i;

	for (i = 0; i < out->nall; i++) {
		const struct svc_endpoint *e = out->all[i].src;

		if (!out->all[i].ready)
			continue;
		if (!e->nnode_hints)
			all_node = false;
		else if (node && has_node(e, node))
			for_node = true;
		if (!e->nzone_hints)
			all_zone = false;
		else if (zone && has_zone(e, zone))
			for_zone = true;
	}
	out->node_topology = all_node && for_node;
	out->topology = !out->node_topology && zone && all_zone && for_zone;
}

static const char *node_zone(const struct svc_world *w, const struct comp_opts *o)
{
	unsigned i;

	if (!o->node_name)
		return NULL;
	for (i = 0; i < w->nnodes; i++)
		if (!strcmp(w->nodes[i].name, o->node_name))
			return w->nodes[i].zone;
	return NULL;
}

void comp_eps_build(const struct svc_world *w, const struct comp_opts *o,
		    const struct svc_service *s, const struct svc_port *p, uint8_t family,
		    const struct comp_slices *sl, struct comp_eps *out)
{
	bool uses_cluster, uses_local, any_local_ready = false, any_local_st = false;
	const char *zone;
	unsigned i, j, cap = 0, n = 0;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < sl->n; i++)
		if (sl->v[i]->family == family)
			cap += sl->v[i]->neps;
	out->all = sn_calloc(cap + 1, sizeof(*out->all));
	for (i = 0; i < sl->n; i++) {
		const struct svc_slice *slice = sl->v[i];
		const struct svc_slice_port *sp;

		if (slice->family != family || !(sp = comp_slice_port(slice, s, p)))
			continue;
		for (j = 0; j < slice->neps; j++) {
			const struct svc_endpoint *e = &slice->eps[j];
			struct comp_ep ep = {
				.addr = e->addr,
				.port = sp->port,
				.ready = e->ready,
				.serving = e->serving,
				.terminating = e->terminating,
				.local = e->node_name && o->node_name &&
					 !strcmp(e->node_name, o->node_name),
				.src = e,
				.seq = n,
			};

			if (e->addr.family != family)
				continue;
			out->all[n++] = ep;
		}
	}
	/* Deduplicate ip:port: keep the first, unless a later duplicate is local
	 * (sorting on the order seen keeps slice order among equal keys). */
	qsort(out->all, n, sizeof(*out->all), ep_seq_cmp);
	for (i = 0, j = 0; i < n; i++) {
		if (j && !ep_cmp(&out->all[j - 1], &out->all[i])) {
			if (out->all[i].local && !out->all[j - 1].local)
				out->all[j - 1] = out->all[i];
			continue;
		}
		out->all[j++] = out->all[i];
	}
	out->nall = n = j;
	out->cluster = sn_calloc(n + 1, sizeof(*out->cluster));
	out->local = sn_calloc(n + 1, sizeof(*out->local));
	for (i = 0; i < n; i++)
		out->nready += out->all[i].ready;

	uses_cluster = !s->itp_local || comp_externally_accessible(s);
	uses_local = s->itp_local || (comp_etp_local(s) && comp_externally_accessible(s));

	if (uses_cluster) {
		zone = node_zone(w, o);
		topology_mode(out, o->node_name, zone);
		for (i = 0; i < n; i++)
			if (out->all[i].ready &&
			    (!out->node_topology || has_node(out->all[i].src, o->node_name)) &&
			    (!out->topology || has_zone(out->all[i].src, zone)))
				out->cluster[out->ncluster++] = &out->all[i];
		if (!out->ncluster)
			for (i = 0; i < n; i++)
				if (out->all[i].serving && out->all[i].terminating)
					out->cluster[out->ncluster++] = &out->all[i];
		out->any = out->ncluster > 0;
	}
	if (!uses_local)
		return;
	for (i = 0; i < n; i++) {
		const struct comp_ep *e = &out->all[i];

		if (e->ready) {
			out->any = true;
			any_local_ready |= e->local;
		} else if (e->serving && e->terminating) {
			out->any = true;
			any_local_st |= e->local;
		}
	}
	for (i = 0; i < n; i++) {
		const struct comp_ep *e = &out->all[i];

		if (!e->local)
			continue;
		if (any_local_ready ? e->ready : (any_local_st && e->serving && e->terminating))
			out->local[out->nlocal++] = &out->all[i];
	}
}

void comp_eps_free(struct comp_eps *e)
{
	free(e->all);
	free(e->cluster);
	free(e->local);
	memset(e, 0, sizeof(*e));
}
