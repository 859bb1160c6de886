// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * compiler/frontends.c: every frontend of the service model with the
 * endpoints its DNAT may choose, and the diff of two such lists
 * (compiler/frontends.h says what for and why).
 */
#include <stdlib.h>
#include <string.h>

#include "compiler/frontends.h"
#include "compiler/internal.h"

static int ep_cmp(const void *x, const void *y)
{
	const struct comp_fe_ep *a = x, *b = y;
	int r = sn_addr_cmp(&a->addr, &b->addr);

	return r ? r : (int)a->port - (int)b->port;
}

int comp_frontend_cmp(const struct comp_frontend *a, const struct comp_frontend *b)
{
	bool an = a->kind == COMP_FE_NODEPORT, bn = b->kind == COMP_FE_NODEPORT;
	int r;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if (an != bn)
		return an ? 1 : -1;
	if (!an && (r = sn_addr_cmp(&a->addr, &b->addr)) != 0)
		return r;
	return (int)a->port - (int)b->port;
}

static int fe_qsort_cmp(const void *x, const void *y)
{
	return comp_frontend_cmp(x, y);
}

const struct comp_frontend *comp_frontends_find(const struct comp_frontends *fs,
						const struct comp_frontend *key)
{
	size_t lo = 0, hi = fs ? fs->n : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = comp_frontend_cmp(&fs->v[mid], key);

		if (!r)
			return &fs->v[mid];
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

bool comp_frontend_has_ep(const struct comp_frontend *f, const struct sn_addr *addr,
			  uint16_t port)
{
	struct comp_fe_ep key = { .addr = *addr, .port = port };

	/* endpoints are host addresses: compare as such whatever addr says */
	key.addr.plen = addr->family == SN_AF_INET6 ? 128 : 32;
	return f->neps && bsearch(&key, f->eps, f->neps, sizeof(*f->eps), ep_cmp) != NULL;
}

/* Sort and drop duplicates. */
static unsigned ep_uniq(struct comp_fe_ep *v, unsigned n)
{
	unsigned i, j;

	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), ep_cmp);
	for (i = 0, j = 0; i < n; i++)
		if (!j || ep_cmp(&v[j - 1], &v[i]))
			v[j++] = v[i];
	return j;
}

/* The endpoints a frontend's DNAT may choose, from one or two of the
 * categorised lists (cluster-wide and local), sorted, without duplicates. */
static void set_eps(struct comp_frontend *f, struct comp_ep *const *a, unsigned na,
		    struct comp_ep *const *b, unsigned nb)
{
	unsigned i;

	f->eps = sn_calloc(na + nb + 1, sizeof(*f->eps));
	f->neps = 0;
	for (i = 0; i < na; i++)
		f->eps[f->neps++] = (struct comp_fe_ep){ .addr = a[i]->addr, .port = a[i]->port };
	for (i = 0; i < nb; i++)
		f->eps[f->neps++] = (struct comp_fe_ep){ .addr = b[i]->addr, .port = b[i]->port };
	f->neps = ep_uniq(f->eps, f->neps);
}

struct fctx {
	const struct svc_service *s;
	const struct svc_port *p;
	uint8_t af;
	struct comp_frontends *out;
};

static struct comp_frontend *add_fe(struct fctx *c, enum comp_fe_kind kind,
				    const struct sn_addr *addr, uint16_t port)
{
	struct comp_frontend *f;

	sn_grow(&c->out->v, &c->out->cap, c->out->n + 1, sizeof(*c->out->v));
	f = &c->out->v[c->out->n++];
	memset(f, 0, sizeof(*f));
	f->family = c->af;
	f->proto = c->p->proto;
	f->kind = (uint8_t)kind;
	if (addr)
		f->addr = *addr;
	f->port = port;
	f->affinity = c->s->affinity;
	f->svc_port = sn_asprintf("%s/%s/%s/%u", c->s->ns, c->s->name, sn_proto_name(c->p->proto),
				  c->p->port);
	return f;
}

/* The choices of compiler/build.c, made on the same categorised endpoints:
 * build_svc_chain() for the ClusterIP, build_ext_chain() and its target
 * chain for the external frontends. */
static void port_frontends(struct fctx *c, const struct sn_addr *cip, const struct comp_eps *e)
{
	const struct svc_service *s = c->s;
	const struct svc_port *p = c->p;
	bool etp_local = comp_etp_local(s);
	struct comp_frontend *f;
	size_t first;
	unsigned i;

	/* build.c skips the frontends comp_prepare gave away (to another
	 * Service, or a ClusterIP key to the Service's own external entry) */
	if (!comp_frontend_skipped(s, p, cip, true)) {
		f = add_fe(c, COMP_FE_CLUSTER_IP, cip, p->port);
		if (!e->any)
			set_eps(f, NULL, 0, NULL, 0);	/* rejected */
		else if (s->itp_local)
			set_eps(f, e->local, e->nlocal, NULL, 0);	/* none local: dropped */
		else
			set_eps(f, e->cluster, e->ncluster, NULL, 0);
	}

	first = c->out->n;
	for (i = 0; i < s->nexternal_ips; i++)
		if (s->external_ips[i].family == c->af &&
		    !comp_frontend_skipped(s, p, &s->external_ips[i], false))
			add_fe(c, COMP_FE_EXTERNAL_IP, &s->external_ips[i], p->port);
	for (i = 0; i < s->nlb_ingress; i++)
		if (!s->lb_ingress[i].proxy_mode && s->lb_ingress[i].ip.family == c->af &&
		    !comp_frontend_skipped(s, p, &s->lb_ingress[i].ip, false))
			add_fe(c, COMP_FE_LB_VIP, &s->lb_ingress[i].ip, p->port);
	if (p->node_port)
		add_fe(c, COMP_FE_NODEPORT, NULL, p->node_port);
	for (size_t k = first; k < c->out->n; k++) {
		f = &c->out->v[k];
		if (!e->any)
			set_eps(f, NULL, 0, NULL, 0);
		else if (etp_local)
			/* pods and the node: any endpoint; the rest: local ones */
			set_eps(f, e->cluster, e->ncluster, e->local, e->nlocal);
		else
			set_eps(f, e->cluster, e->ncluster, NULL, 0);
	}
}

static void free_fe(struct comp_frontend *f)
{
	free(f->svc_port);
	free(f->eps);
	free(f->keep);
}


/* keep: eps and the serving endpoints of the port (e->all). */
static void set_keep(struct comp_frontend *f, const struct comp_eps *e)
{
	unsigned i, n = 0;

	f->keep = sn_calloc(f->neps + e->nall + 1, sizeof(*f->keep));
	for (i = 0; i < f->neps; i++)
		f->keep[n++] = f->eps[i];
	for (i = 0; i < e->nall; i++)
		if (e->all[i].serving)
			f->keep[n++] = (struct comp_fe_ep){ .addr = e->all[i].addr,
							    .port = e->all[i].port };
	f->nkeep = ep_uniq(f->keep, n);
}

static void service_frontends(const struct svc_world *w, const struct comp_opts *o,
			      const struct svc_service *s, uint8_t af, uint8_t proto,
			      struct comp_frontends *out)
{
	const struct sn_addr *cip = NULL;
	struct comp_slices sl;
	unsigned i;

	/* as build_service(): no ClusterIP in a family, nothing in it */
	for (i = 0; i < s->ncluster_ips; i++)
		if (s->cluster_ips[i].family == af)
			cip = &s->cluster_ips[i];
	if (!cip)
		return;
	comp_slices_for(w, s, &sl);
	for (i = 0; i < s->nports; i++) {
		struct fctx c = { .s = s, .p = &s->ports[i], .af = af, .out = out };
		struct comp_eps e;

		if (proto && s->ports[i].proto != proto)
			continue;
		size_t first = out->n;

		comp_eps_build(w, o, s, &s->ports[i], af, &sl, &e);
		port_frontends(&c, cip, &e);
		for (size_t k = first; k < out->n; k++)
			set_keep(&out->v[k], &e);
		comp_eps_free(&e);
	}
	comp_slices_free(&sl);
}

void comp_frontends_build(const struct svc_world *w, const struct comp_opts *o, uint8_t proto,
			  struct comp_frontends *out)
{
	static const uint8_t fams[] = { SN_AF_INET, SN_AF_INET6 };
	size_t i, j;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < SN_ARRAY_SIZE(fams); i++)
		for (j = 0; j < w->nsvcs; j++)
			if (!w->svcs[j].skip_reason)
				service_frontends(w, o, &w->svcs[j], fams[i], proto, out);
	if (!out->n)
		return;
	qsort(out->v, out->n, sizeof(*out->v), fe_qsort_cmp);
	/* comp_prepare() refuses two Services on one frontend; should two
	 * still meet, one frontend may lead to the endpoints of both */
	for (i = 0, j = 0; i < out->n; i++) {
		struct comp_frontend *prev = j ? &out->v[j - 1] : NULL;

		if (prev && !comp_frontend_cmp(prev, &out->v[i])) {
			struct comp_frontend *f = &out->v[i];
			struct comp_fe_ep *eps = sn_calloc(prev->neps + f->neps + 1, sizeof(*eps));

			memcpy(eps, prev->eps, prev->neps * sizeof(*eps));
			memcpy(eps + prev->neps, f->eps, f->neps * sizeof(*eps));
			free(prev->eps);
			prev->eps = eps;
			prev->neps = ep_uniq(eps, prev->neps + f->neps);
			eps = sn_calloc(prev->nkeep + f->nkeep + 1, sizeof(*eps));
			memcpy(eps, prev->keep, prev->nkeep * sizeof(*eps));
			memcpy(eps + prev->nkeep, f->keep, f->nkeep * sizeof(*eps));
			free(prev->keep);
			prev->keep = eps;
			prev->nkeep = ep_uniq(eps, prev->nkeep + f->nkeep);
			free_fe(f);
			continue;
		}
		out->v[j++] = out->v[i];
	}
	out->n = j;
}

void comp_frontends_free(struct comp_frontends *fs)
{
	if (!fs)
		return;
	for (size_t i = 0; i < fs->n; i++)
		free_fe(&fs->v[i]);
	free(fs->v);
	memset(fs, 0, sizeof(*fs));
}

/* The endpoints of a that b does not have, into *out. */
static unsigned lost_eps(const struct comp_frontend *a, const struct comp_frontend *b,
			 struct comp_fe_ep **out)
{
	unsigned i, n = 0;

	*out = NULL;
	for (i = 0; i < a->neps; i++) {
		if (b && bsearch(&a->eps[i], b->eps, b->neps, sizeof(*b->eps), ep_cmp))
			continue;
		if (!*out)
			*out = sn_calloc(a->neps, sizeof(**out));
		(*out)[n++] = a->eps[i];
	}
	return n;
}

static struct comp_fe_stale *add_stale(struct comp_fe_diff *d, const struct comp_frontend *fe,
				       enum comp_fe_why why)
{
	struct comp_fe_stale *st;

	sn_grow(&d->v, &d->cap, d->n + 1, sizeof(*d->v));
	st = &d->v[d->n++];
	memset(st, 0, sizeof(*st));
	st->fe = fe;
	st->why = why;
	return st;
}

void comp_frontends_diff(const struct comp_frontends *old, const struct comp_frontends *now,
			 struct comp_fe_diff *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; now && i < now->n; i++) {
		const struct comp_frontend *f = &now->v[i], *was;
		struct comp_fe_ep *lost;
		unsigned nlost;

		if (!old) {
			add_stale(out, f, COMP_FE_UNKNOWN);
			continue;
		}
		was = comp_frontends_find(old, f);
		if (!was) {
			add_stale(out, f, COMP_FE_NEW);
			continue;
		}
		nlost = lost_eps(was, f, &lost);
		/* Gaining endpoints leaves nothing stale, except for a frontend
		 * that had none: what reached it then was not DNATed. */
		if (nlost || (!was->neps && f->neps)) {
			struct comp_fe_stale *st = add_stale(out, f, COMP_FE_CHANGED);

			st->lost = lost;
			st->nlost = nlost;
		}
	}
	for (i = 0; old && i < old->n; i++) {
		const struct comp_frontend *f = &old->v[i];
		struct comp_fe_stale *st;

		if (comp_frontends_find(now, f))
			continue;
		st = add_stale(out, f, COMP_FE_GONE);
		st->nlost = lost_eps(f, NULL, &st->lost);
	}
}

void comp_fe_diff_free(struct comp_fe_diff *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].lost);
	free(d->v);
	memset(d, 0, sizeof(*d));
}

/* ---- session affinity ---- */

#define AFF_SHARED "affinity"	/* build.c: declare_sets() */
#define AFF_PORT_PREFIX "affinity-"	/* build.c: aff6_map_name() */

static uint8_t fam_af(enum rs_family f)
{
	return f == RS_IP6 ? SN_AF_INET6 : SN_AF_INET;
}

/* client . frontend : endpoint . port: the frontend is in the key. */
static bool shared_stale(const struct comp_frontends *fs, enum rs_family f,
			 const struct rs_elem *e)
{
	struct comp_frontend key = {
		.family = fam_af(f), .proto = (uint8_t)e->key[2].num, .port = e->key[3].num,
		.addr = e->key[1].addr, .kind = COMP_FE_CLUSTER_IP,
	};
	const struct comp_frontend *fe;

	key.addr.plen = key.family == SN_AF_INET6 ? 128 : 32;
	fe = comp_frontends_find(fs, &key);
	if (!fe) {
		/* a NodePort: the key holds the node address it came in on */
		memset(&key.addr, 0, sizeof(key.addr));
		key.kind = COMP_FE_NODEPORT;
		fe = comp_frontends_find(fs, &key);
	}
	return !fe || !comp_frontend_has_ep(fe, &e->data[0].addr, e->data[1].num);
}

/* "affinity-NS/NAME/PROTO/PORT/EPPORT[/local]": the frontends of service
 * port NS/NAME/PROTO/PORT in the map's family, and EPPORT. */
static void port_map_load(struct comp_aff_ctx *c, const struct rs_set *map, enum rs_family f)
{
	const char *name = map->name + strlen(AFF_PORT_PREFIX);
	size_t len = strlen(name);
	const char *slash;
	char *svc_port;

	c->map = map;
	c->n = 0;
	c->known = false;
	if (len > 6 && !strcmp(name + len - 6, "/local"))
		len -= 6;
	slash = memrchr(name, '/', len);
	if (!slash || slash == name)
		return;
	c->epport = (uint16_t)strtoul(slash + 1, NULL, 10);
	svc_port = sn_strndup(name, (size_t)(slash - name));
	for (size_t i = 0; i < c->fs->n; i++) {
		const struct comp_frontend *fe = &c->fs->v[i];

		if (fe->family != fam_af(f) || strcmp(fe->svc_port, svc_port))
			continue;
		sn_grow(&c->v, &c->cap, c->n + 1, sizeof(*c->v));
		c->v[c->n++] = fe;
	}
	free(svc_port);
	c->known = true;
}

bool comp_affinity_elem_stale(struct comp_aff_ctx *c, const struct rs_set *map,
			      enum rs_family f, const struct rs_elem *e)
{
	if (!strcmp(map->name, AFF_SHARED)) {
		if (map->nkey != 4 || map->ndata != 2)
			return false;
		return shared_stale(c->fs, f, e);
	}
	if (strncmp(map->name, AFF_PORT_PREFIX, strlen(AFF_PORT_PREFIX)) || map->nkey != 1 ||
	    map->ndata != 1)
		return false;
	if (c->map != map)
		port_map_load(c, map, f);
	if (!c->known)
		return false;
	for (size_t i = 0; i < c->n; i++)
		if (comp_frontend_has_ep(c->v[i], &e->data[0].addr, c->epport))
			return false;
	return true;
}

void comp_aff_ctx_free(struct comp_aff_ctx *c)
{
	free(c->v);
	c->v = NULL;
	c->n = c->cap = 0;
	c->map = NULL;
}
