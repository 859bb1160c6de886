// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * reconcile/incr.c: the view as the sum of per-Service parts, so that a
 * change to some Services costs a compile of those Services, a diff of
 * their parts and a batch of what changed: never a compile or a diff of
 * the whole cluster.
 *
 * The parts. Each Service compiled alone (a world of that Service, its
 * slices and the Nodes) gives:
 *  - elements of the shared sets and maps (frontends, endpoint maps,
 *    hairpin, ...): the index keeps, per shared set of the view, each
 *    element with the number of Services that put it there (a hairpin
 *    element two Services emit stays while either does);
 *  - the chains and sets only it has (their names say the owner,
 *    comp_owner_of_chain(): IPv6 affinity), kept whole per Service;
 *  - a skeleton: the common chains and the declarations of the shared sets
 *    its ruleset has. The skeleton of the whole world is a function of
 *    which behaviours are in use (endpoint counts, affinity timeouts, ...),
 *    so it is compiled from a world of one Service per distinct skeleton
 *    (its "signature", a hash): a few dozen Services, whatever the size of
 *    the cluster, and only when the set of signatures in use changes.
 * rc_state_build() checks that the parts add up to the compiler's whole
 * ruleset (rs_diff empty) before the index is used at all; the unit test
 * tests/unit/test_reconcile.c checks it after each step of random changes.
 *
 * Contested frontends: prepare.c gives an external IP or VIP two Services
 * claim to the older one, so a change to one can change the other's
 * elements. The index keeps every (address, protocol, port) each Service
 * claims, and a sync recompiles every other claimant of a changed Service's
 * old and new claims too.
 *
 * Skeleton objects nobody needs any more are deleted in the same batch
 * (sets after their last element, chains after the jumps to them), so the
 * view stays equal to a fresh compile after every sync.
 */
#include <stdlib.h>
#include <string.h>

#include "reconcile/internal.h"
#include "rules/edit.h"

/* ---- hash map ---- */

void rc_hmap_add(struct rc_hmap *m, struct rc_hnode *n, uint64_t hash)
{
	if (m->n + 1 > m->nb * 2 / 3 + 1 || !m->nb) {
		size_t nb = m->nb ? m->nb * 2 : 64;
		struct rc_hnode **b = sn_calloc(nb, sizeof(*b));

		for (size_t i = 0; i < m->nb; i++) {
			struct rc_hnode *x = m->b[i], *next;

			for (; x; x = next) {
				next = x->next;
				x->next = b[x->hash & (nb - 1)];
				b[x->hash & (nb - 1)] = x;
			}
		}
		free(m->b);
		m->b = b;
		m->nb = nb;
	}
	n->hash = hash;
	n->next = m->b[hash & (m->nb - 1)];
	m->b[hash & (m->nb - 1)] = n;
	m->n++;
}

void rc_hmap_del(struct rc_hmap *m, struct rc_hnode *n)
{
	struct rc_hnode **p = &m->b[n->hash & (m->nb - 1)];

	for (; *p; p = &(*p)->next) {
		if (*p == n) {
			*p = n->next;
			m->n--;
			return;
		}
	}
}

struct rc_hnode *rc_hmap_first(const struct rc_hmap *m, uint64_t hash)
{
	return m->nb ? m->b[hash & (m->nb - 1)] : NULL;
}

void rc_hmap_free(struct rc_hmap *m)
{
	free(m->b);
	memset(m, 0, sizeof(*m));
}

static void add_name(char ***v, size_t *n, size_t *cap, const char *name);

/* ---- the index ---- */

/* An element of a shared set of the view and how many Services put it there. */
struct rc_ent {
	struct rc_hnode h;
	size_t idx;		/* in set->elems */
	uint32_t refs;
};

/* A shared set of the view, indexed. */
struct rc_sidx {
	struct rc_hnode h;
	enum rs_family fam;
	char *name;
	struct rs_set *set;	/* the view's */
	struct rc_hmap ents;
	struct rc_ent **byidx;	/* the entry of each element of set, for O(1) removal */
	size_t byidx_cap;
};

struct rc_cref {
	struct rc_sidx *si;
	struct rc_ent *e;
};

/* addr_key() of prepare.c: family, address, protocol, port */
struct rc_key {
	uint8_t b[20];
};

/* What one Service put into the view. */
struct rc_contrib {
	struct rc_hnode h;
	char *name;			/* "ns/name" */
	struct rc_cref *refs;		/* its elements of shared sets */
	size_t nrefs;
	struct rs_ruleset *own;		/* the chains and sets only it has, or NULL */
	uint64_t sig;			/* its skeleton's signature */
	struct rc_contrib *snext, *sprev;
	struct rc_key *claims;		/* the frontends it claims */
	size_t nclaims;
	struct comp_frontends fronts;	/* when the state keeps frontends */
};

/* The Services with one skeleton signature. */
struct rc_sig {
	struct rc_hnode h;
	uint64_t sig;
	size_t count;
	struct rc_contrib *head;
};

/* The Services claiming one frontend. */
struct rc_claim {
	struct rc_hnode h;
	struct rc_key k;
	char **names;
	size_t n, cap;
};

struct rc_state {
	struct rc_hmap sets, contribs, sigs, claims;
	struct rs_ruleset *skel;	/* the skeleton in force: no elements, no owned objects */
	bool fronts;
	char **pending;			/* isolated by the last sync: retried by the next */
	size_t npending, pending_cap;
};

static bool name_owned(const char *name)
{
	char *o;

	if (!strchr(name, '/'))
		return false;	/* common objects never have a '/' */
	o = comp_owner_of_chain(name);
	free(o);
	return o != NULL;
}

static uint64_t set_key_hash(enum rs_family fam, const char *name)
{
	return sn_hash_str(name, (uint64_t)fam * 0x9e3779b97f4a7c15ull + 1);
}

static struct rc_sidx *sidx_find(const struct rc_state *st, enum rs_family fam, const char *name)
{
	uint64_t h = set_key_hash(fam, name);

	for (struct rc_hnode *n = rc_hmap_first(&st->sets, h); n; n = n->next) {
		struct rc_sidx *si = (struct rc_sidx *)n;

		if (n->hash == h && si->fam == fam && !strcmp(si->name, name))
			return si;
	}
	return NULL;
}

static struct rc_sidx *sidx_new(struct rc_state *st, enum rs_family fam, struct rs_set *set)
{
	struct rc_sidx *si = sn_calloc(1, sizeof(*si));

	si->fam = fam;
	si->name = sn_strdup(set->name);
	si->set = set;
	rc_hmap_add(&st->sets, &si->h, set_key_hash(fam, set->name));
	/* elements already in the set (copied with it) are entered by the caller */
	return si;
}

static void sidx_free(struct rc_sidx *si)
{
	for (size_t i = 0; i < si->ents.nb; i++) {
		struct rc_hnode *n = si->ents.b[i], *next;

		for (; n; n = next) {
			next = n->next;
			free(n);
		}
	}
	rc_hmap_free(&si->ents);
	free(si->byidx);
	free(si->name);
	free(si);
}

static struct rc_ent *ent_find(const struct rc_sidx *si, const struct rs_elem *e, uint64_t h)
{
	for (struct rc_hnode *n = rc_hmap_first(&si->ents, h); n; n = n->next) {
		struct rc_ent *x = (struct rc_ent *)n;

		if (n->hash == h && !rs_elem_key_cmp(si->set, &si->set->elems[x->idx], e))
			return x;
	}
	return NULL;
}

static struct rc_ent *ent_add(struct rc_sidx *si, const struct rs_elem *e, uint64_t h)
{
	struct rc_ent *x = sn_calloc(1, sizeof(*x));

	rs_set_add_elem_copy(si->set, e);
	x->idx = si->set->n - 1;
	sn_grow(&si->byidx, &si->byidx_cap, si->set->n, sizeof(*si->byidx));
	si->byidx[x->idx] = x;
	rc_hmap_add(&si->ents, &x->h, h);
	return x;
}

static void ent_del(struct rc_sidx *si, struct rc_ent *x)
{
	size_t last = si->set->n - 1, i = x->idx;

	rs_set_del_elem_at(si->set, i);
	if (i != last) {
		si->byidx[i] = si->byidx[last];
		si->byidx[i]->idx = i;
	}
	rc_hmap_del(&si->ents, &x->h);
	free(x);
}

static struct rc_contrib *contrib_find(const struct rc_state *st, const char *name)
{
	uint64_t h = sn_hash_str(name, 7);

	for (struct rc_hnode *n = rc_hmap_first(&st->contribs, h); n; n = n->next)
		if (n->hash == h && !strcmp(((struct rc_contrib *)n)->name, name))
			return (struct rc_contrib *)n;
	return NULL;
}

static struct rc_sig *sig_find(const struct rc_state *st, uint64_t sig)
{
	for (struct rc_hnode *n = rc_hmap_first(&st->sigs, sig); n; n = n->next)
		if (((struct rc_sig *)n)->sig == sig)
			return (struct rc_sig *)n;
	return NULL;
}

static uint64_t claim_hash(const struct rc_key *k)
{
	return sn_hash64(k->b, sizeof(k->b), 11);
}

static struct rc_claim *claim_find(const struct rc_state *st, const struct rc_key *k)
{
	uint64_t h = claim_hash(k);

	for (struct rc_hnode *n = rc_hmap_first(&st->claims, h); n; n = n->next)
		if (n->hash == h && !memcmp(((struct rc_claim *)n)->k.b, k->b, sizeof(k->b)))
			return (struct rc_claim *)n;
	return NULL;
}

static void make_key(struct rc_key *k, const struct sn_addr *a, uint8_t proto, uint16_t port)
{
	memset(k, 0, sizeof(*k));
	k->b[0] = a->family;
	memcpy(k->b + 1, a->a, 16);
	k->b[17] = proto;
	k->b[18] = (uint8_t)(port >> 8);
	k->b[19] = (uint8_t)port;
}

/* Every frontend key s claims: ClusterIPs, external IPs and VIPs by port
 * (the claims prepare.c settles), whether it won them or not. */
static size_t service_claims(const struct svc_service *s, struct rc_key **out)
{
	size_t n = 0, cap = 0;

	*out = NULL;
	for (unsigned j = 0; j < s->nports; j++) {
		const struct svc_port *p = &s->ports[j];

		for (unsigned k = 0; k < s->ncluster_ips + s->nexternal_ips + s->nlb_ingress; k++) {
			const struct sn_addr *a;

			if (k < s->ncluster_ips)
				a = &s->cluster_ips[k];
			else if (k < s->ncluster_ips + s->nexternal_ips)
				a = &s->external_ips[k - s->ncluster_ips];
			else
				a = &s->lb_ingress[k - s->ncluster_ips - s->nexternal_ips].ip;
			sn_grow(out, &cap, n + 1, sizeof(**out));
			make_key(&(*out)[n++], a, p->proto, p->port);
		}
	}
	return n;
}

static void claims_add(struct rc_state *st, const struct rc_contrib *c)
{
	for (size_t i = 0; i < c->nclaims; i++) {
		struct rc_claim *cl = claim_find(st, &c->claims[i]);

		if (!cl) {
			cl = sn_calloc(1, sizeof(*cl));
			cl->k = c->claims[i];
			rc_hmap_add(&st->claims, &cl->h, claim_hash(&cl->k));
		}
		sn_grow(&cl->names, &cl->cap, cl->n + 1, sizeof(*cl->names));
		cl->names[cl->n++] = sn_strdup(c->name);
	}
}

static void claims_del(struct rc_state *st, const struct rc_contrib *c)
{
	for (size_t i = 0; i < c->nclaims; i++) {
		struct rc_claim *cl = claim_find(st, &c->claims[i]);

		for (size_t j = 0; cl && j < cl->n; j++) {
			if (strcmp(cl->names[j], c->name))
				continue;
			free(cl->names[j]);
			cl->names[j] = cl->names[--cl->n];
			break;
		}
		if (cl && !cl->n) {
			rc_hmap_del(&st->claims, &cl->h);
			free(cl->names);
			free(cl);
		}
	}
}

static void sig_link(struct rc_state *st, struct rc_contrib *c)
{
	struct rc_sig *g = sig_find(st, c->sig);

	if (!g) {
		g = sn_calloc(1, sizeof(*g));
		g->sig = c->sig;
		rc_hmap_add(&st->sigs, &g->h, c->sig);
	}
	c->sprev = NULL;
	c->snext = g->head;
	if (g->head)
		g->head->sprev = c;
	g->head = c;
	g->count++;
}

static void sig_unlink(struct rc_state *st, struct rc_contrib *c)
{
	struct rc_sig *g = sig_find(st, c->sig);

	if (!g)
		return;
	if (c->sprev)
		c->sprev->snext = c->snext;
	else
		g->head = c->snext;
	if (c->snext)
		c->snext->sprev = c->sprev;
	c->snext = c->sprev = NULL;
	if (!--g->count) {
		rc_hmap_del(&st->sigs, &g->h);
		free(g);
	}
}

static void contrib_free(struct rc_contrib *c)
{
	if (!c)
		return;
	free(c->name);
	free(c->refs);
	rs_ruleset_free(c->own);
	free(c->claims);
	comp_frontends_free(&c->fronts);
	free(c);
}

static void hmap_free_nodes(struct rc_hmap *m, void (*fn)(void *))
{
	for (size_t i = 0; i < m->nb; i++) {
		struct rc_hnode *n = m->b[i], *next;

		for (; n; n = next) {
			next = n->next;
			fn(n);
		}
	}
	rc_hmap_free(m);
}

static void sidx_free_v(void *p)
{
	sidx_free(p);
}

static void contrib_free_v(void *p)
{
	contrib_free(p);
}

static void claim_free_v(void *p)
{
	struct rc_claim *cl = p;

	for (size_t i = 0; i < cl->n; i++)
		free(cl->names[i]);
	free(cl->names);
	free(cl);
}

void rc_state_free(struct rc_state *st)
{
	if (!st)
		return;
	hmap_free_nodes(&st->sets, sidx_free_v);
	hmap_free_nodes(&st->contribs, contrib_free_v);
	hmap_free_nodes(&st->sigs, free);
	hmap_free_nodes(&st->claims, claim_free_v);
	rs_ruleset_free(st->skel);
	for (size_t i = 0; i < st->npending; i++)
		free(st->pending[i]);
	free(st->pending);
	free(st);
}

void rc_state_set_pending(struct rc_state *st, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		add_name(&st->pending, &st->npending, &st->pending_cap, names[i]);
}

size_t rc_state_pending(const struct rc_state *st, const char *const **names)
{
	*names = (const char *const *)st->pending;
	return st->npending;
}

/* ---- compiling parts ---- */

/* w is sorted by comp_prepare(): Services by namespace and name, slices by
 * namespace and Service (compiler/endpoints.c finds them the same way). */
static long find_service(const struct svc_world *w, const char *full)
{
	const char *slash = strchr(full, '/');
	size_t nslen;
	unsigned lo = 0, hi = w->nsvcs;

	if (!slash)
		return -1;
	nslen = (size_t)(slash - full);
	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		const struct svc_service *s = &w->svcs[mid];
		int r = strncmp(s->ns, full, nslen);

		if (!r && s->ns[nslen])
			r = 1;
		if (!r)
			r = strcmp(s->name, slash + 1);
		if (!r)
			return mid;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static int slice_key_cmp(const struct svc_slice *x, const char *ns, const char *svc)
{
	int r = strcmp(x->ns, ns);

	return r ? r : strcmp(x->service, svc);
}

static void slice_range(const struct svc_world *w, const struct svc_service *s, unsigned *first,
			unsigned *n)
{
	unsigned lo = 0, hi = w->nslices, i;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (slice_key_cmp(&w->slices[mid], s->ns, s->name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i < w->nslices && !slice_key_cmp(&w->slices[i], s->ns, s->name); i++)
		;
	*first = lo;
	*n = i - lo;
}

/* A world of the Services at idx[0..n) (ascending) and their slices, with
 * w's Nodes. Borrows everything from w: free only the two arrays. */
static void sub_world(const struct svc_world *w, const unsigned *idx, size_t n,
		      struct svc_world *sub)
{
	size_t nsl = 0, cap = 0;

	memset(sub, 0, sizeof(*sub));
	sub->svcs = sn_calloc(n + 1, sizeof(*sub->svcs));
	for (size_t i = 0; i < n; i++) {
		unsigned first, k;

		sub->svcs[sub->nsvcs++] = w->svcs[idx[i]];
		slice_range(w, &w->svcs[idx[i]], &first, &k);
		if (!k)
			continue;
		sn_grow(&sub->slices, &cap, nsl + k, sizeof(*sub->slices));
		memcpy(sub->slices + nsl, w->slices + first, k * sizeof(*sub->slices));
		nsl += k;
	}
	sub->nslices = (unsigned)nsl;
	sub->nodes = (struct svc_node *)(uintptr_t)w->nodes;
	sub->nnodes = w->nnodes;
}

static void sub_world_free(struct svc_world *sub)
{
	free(sub->svcs);
	free(sub->slices);
}

/* A part (part: comp_opts.part, the shards it fills only) or the skeleton's
 * compile (every shard, with the dispatch maps' elements). */
static struct rs_ruleset *compile_sub(const struct svc_world *w, const struct comp_opts *o,
				      const unsigned *idx, size_t n, bool part, bool fronts,
				      struct comp_frontends *fo)
{
	struct comp_opts po = *o;
	struct svc_world sub;
	struct comp_stats cst;
	struct rs_ruleset *rs;
	struct sn_diag d;

	po.part = part && o->shard_plan;
	sub_world(w, idx, n, &sub);
	sn_diag_init(&d);
	rs = comp_build(&sub, &po, &cst, &d);
	sn_diag_free(&d);
	if (fronts)
		comp_frontends_build(&sub, o, 0, fo);
	sub_world_free(&sub);
	return rs;
}

/* A shard of a split set or of its pick chain: "endpoints-10/5",
 * "pick-endpoints-10/5", "hairpin/5" (docs/ruleset.md, "Shards"). Parts
 * hold only the shards they fill, so a part's signature leaves them out:
 * the skeleton has every shard of every split set it has. */
static bool shard_name(const char *name)
{
	const char *sl = strrchr(name, '/');

	if (!sl || !sl[1])
		return false;
	for (sl++; *sl; sl++)
		if (*sl < '0' || *sl > '9')
			return false;
	return true;
}

/* The dispatch map of a split set: its elements (one goto per shard) are
 * the skeleton's, not the parts'. */
static bool shard_dispatch(const char *name)
{
	size_t n = strlen(name);

	return n > 7 && !strcmp(name + n - 7, "/shards");
}

static uint64_t mix(uint64_t a, uint64_t b)
{
	return sn_hash64(&b, sizeof(b), a);
}

/* The signature of a part's skeleton: its tables, common chains and shared
 * set declarations, order-independent. Never 0. */
static uint64_t skel_sig(const struct rs_ruleset *rs)
{
	uint64_t sig = 0;

	for (size_t i = 0; rs && i < rs->n; i++) {
		const struct rs_table *t = rs->tables[i];
		uint64_t th = sn_hash_str(t->name, (uint64_t)t->family);

		sig += th;
		for (size_t k = 0; k < t->nchains; k++)
			if (!shard_name(t->chains[k]->name) && !name_owned(t->chains[k]->name))
				sig += mix(th, rs_chain_hash(t->chains[k]));
		for (size_t k = 0; k < t->nsets; k++)
			if (!shard_name(t->sets[k]->name) && !name_owned(t->sets[k]->name))
				sig += mix(th ^ 1, rs_set_decl_hash(t->sets[k]));
	}
	return sig ? sig : 1;
}

/* Keep only what the skeleton is made of: common chains, shared sets
 * without their elements. */
static void strip_to_skeleton(struct rs_ruleset *rs)
{
	for (size_t i = 0; i < rs->n; i++) {
		struct rs_table *t = rs->tables[i];

		for (size_t k = t->nchains; k-- > 0;)
			if (name_owned(t->chains[k]->name))
				rs_table_del_chain(t, t->chains[k]->name);
		for (size_t k = t->nsets; k-- > 0;) {
			struct rs_set *s = t->sets[k];

			if (name_owned(s->name)) {
				rs_table_del_set(t, s->name);
				continue;
			}
			if (shard_dispatch(s->name))
				continue;	/* its gotos are the skeleton's */
			for (size_t e = 0; e < s->n; e++)
				rs_elem_free_contents(&s->elems[e]);
			s->n = 0;
		}
	}
}

/* The chains and sets only the part's Service has, or NULL. */
static struct rs_ruleset *own_of(const struct rs_ruleset *rs)
{
	struct rs_ruleset *own = NULL;

	for (size_t i = 0; i < rs->n; i++) {
		const struct rs_table *t = rs->tables[i];
		struct rs_table *ot = NULL;

		for (size_t k = 0; k < t->nsets + t->nchains; k++) {
			const char *name = k < t->nsets ? t->sets[k]->name
							: t->chains[k - t->nsets]->name;

			if (!name_owned(name))
				continue;
			if (!own)
				own = rs_ruleset_alloc();
			if (!ot)
				ot = rs_ruleset_add_table(own, t->family, t->name);
			if (k < t->nsets)
				rs_table_copy_set(ot, t->sets[k], true);
			else
				rs_table_copy_chain(ot, t->chains[k - t->nsets]);
		}
	}
	return own;
}

static struct rs_table *view_table(struct rs_ruleset *view, const struct rs_table *like)
{
	struct rs_table *t = rs_ruleset_find_table(view, like->family, like->name);

	if (!t) {
		t = rs_ruleset_add_table(view, like->family, like->name);
		if (like->comment)
			rs_table_set_comment(t, like->comment);
	}
	return t;
}

/* The view's shared set like `like` in table vt, indexed; created when missing. */
static struct rc_sidx *sidx_get(struct rc_state *st, struct rs_table *vt, const struct rs_set *like)
{
	struct rc_sidx *si = sidx_find(st, vt->family, like->name);
	struct rs_set *s;

	if (si)
		return si;
	s = rs_table_find_set(vt, like->name);
	if (!s)
		s = rs_table_copy_set(vt, like, false);
	si = sidx_new(st, vt->family, s);
	/* a set declared by the skeleton is empty; one found with elements
	 * (never, by construction) would have them indexed here */
	for (size_t i = 0; i < s->n; i++) {
		struct rc_ent *x = sn_calloc(1, sizeof(*x));

		x->idx = i;
		sn_grow(&si->byidx, &si->byidx_cap, i + 1, sizeof(*si->byidx));
		si->byidx[i] = x;
		rc_hmap_add(&si->ents, &x->h, rs_elem_key_hash(s, &s->elems[i]));
	}
	return si;
}

/* Elements the parts bring and the index counts. Not a dispatch map's:
 * the skeleton brings those, and its diff changes them like its chains. */
static bool set_shared(const struct rs_set *s)
{
	return !s->elems_runtime && !shard_dispatch(s->name) && !name_owned(s->name);
}

/* The skeleton of the Services at idx (one per signature in use). */
static struct rs_ruleset *build_skeleton(const struct svc_world *w, const struct comp_opts *o,
					 unsigned *idx, size_t n)
{
	struct rs_ruleset *rs;

	for (size_t i = 1; i < n; i++)	/* ascending, for sub_world's slices */
		for (size_t j = i; j > 0 && idx[j - 1] > idx[j]; j--) {
			unsigned t = idx[j];

			idx[j] = idx[j - 1];
			idx[j - 1] = t;
		}
	rs = compile_sub(w, o, idx, n, false, false, NULL);
	if (rs)
		strip_to_skeleton(rs);
	return rs;
}

static char *svc_full_name(const struct svc_service *s)
{
	return sn_asprintf("%s/%s", s->ns, s->name);
}

/* Enter part rs of Service name into the view and the index. */
static struct rc_contrib *contrib_enter(struct rc_state *st, struct rs_ruleset *view,
					const char *name, const struct rs_ruleset *rs,
					const struct svc_service *svc)
{
	struct rc_contrib *c = sn_calloc(1, sizeof(*c));
	size_t cap = 0;

	c->name = sn_strdup(name);
	for (size_t i = 0; i < rs->n; i++) {
		const struct rs_table *t = rs->tables[i];
		struct rs_table *vt = view_table(view, t);

		for (size_t k = 0; k < t->nsets; k++) {
			const struct rs_set *s = t->sets[k];
			struct rc_sidx *si;

			if (!set_shared(s) || !s->n)
				continue;
			si = sidx_get(st, vt, s);
			for (size_t e = 0; e < s->n; e++) {
				uint64_t h = rs_elem_key_hash(si->set, &s->elems[e]);
				struct rc_ent *x = ent_find(si, &s->elems[e], h);

				if (!x)
					x = ent_add(si, &s->elems[e], h);
				x->refs++;
				sn_grow(&c->refs, &cap, c->nrefs + 1, sizeof(*c->refs));
				c->refs[c->nrefs++] = (struct rc_cref){ si, x };
			}
		}
	}
	c->own = own_of(rs);
	for (size_t i = 0; c->own && i < c->own->n; i++) {
		const struct rs_table *t = c->own->tables[i];
		struct rs_table *vt = view_table(view, t);

		for (size_t k = 0; k < t->nsets; k++)
			rs_table_copy_set(vt, t->sets[k], true);
		for (size_t k = 0; k < t->nchains; k++)
			rs_table_copy_chain(vt, t->chains[k]);
	}
	c->sig = skel_sig(rs);
	sig_link(st, c);
	c->nclaims = service_claims(svc, &c->claims);
	claims_add(st, c);
	rc_hmap_add(&st->contribs, &c->h, sn_hash_str(c->name, 7));
	return c;
}

/* Add the skeleton's chains and sets to the view (the parts brought the
 * shared sets that have elements, and the owned objects). */
static void skeleton_enter(struct rc_state *st, struct rs_ruleset *view)
{
	for (size_t i = 0; i < st->skel->n; i++) {
		const struct rs_table *t = st->skel->tables[i];
		struct rs_table *vt = view_table(view, t);

		for (size_t k = 0; k < t->nsets; k++)
			if (!rs_table_find_set(vt, t->sets[k]->name))
				rs_table_copy_set(vt, t->sets[k], shard_dispatch(t->sets[k]->name));
		for (size_t k = 0; k < t->nchains; k++)
			rs_table_copy_chain(vt, t->chains[k]);
	}
}

/* One Service per signature in use: where in w each is. */
static size_t sig_reps(const struct rc_state *st, const struct svc_world *w, unsigned **out)
{
	size_t n = 0;

	*out = sn_calloc(st->sigs.n + 1, sizeof(**out));
	for (size_t i = 0; i < st->sigs.nb; i++)
		for (struct rc_hnode *x = st->sigs.b[i]; x; x = x->next) {
			const struct rc_sig *g = (const struct rc_sig *)x;
			long at = g->head ? find_service(w, g->head->name) : -1;

			if (at >= 0)
				(*out)[n++] = (unsigned)at;
		}
	return n;
}

struct rc_state *rc_state_build(const struct svc_world *w, const struct comp_opts *o,
				const struct rs_ruleset *want, bool fronts,
				struct rs_ruleset **view, char **why)
{
	struct rc_state *st = sn_calloc(1, sizeof(*st));
	struct rs_ruleset *v = rs_ruleset_alloc();
	unsigned *reps;
	struct rs_diff d;
	size_t nreps;

	*why = NULL;
	*view = NULL;
	st->fronts = fronts;
	for (unsigned i = 0; i < w->nsvcs; i++) {
		const struct svc_service *s = &w->svcs[i];
		struct comp_frontends fo = { 0 };
		struct rs_ruleset *rs;
		struct rc_contrib *c;
		char *name;

		if (s->skip_reason)
			continue;
		rs = compile_sub(w, o, &i, 1, true, fronts, &fo);
		if (!rs) {
			comp_frontends_free(&fo);
			continue;
		}
		name = svc_full_name(s);
		c = contrib_enter(st, v, name, rs, s);
		c->fronts = fo;
		free(name);
		rs_ruleset_free(rs);
	}
	nreps = sig_reps(st, w, &reps);
	st->skel = build_skeleton(w, o, reps, nreps);
	free(reps);
	if (!st->skel)
		st->skel = rs_ruleset_alloc();
	skeleton_enter(st, v);

	/* (the view is never sorted: its element indexes are the index's) */
	rs_diff(want, v, true, &d);
	if (!rs_diff_empty(&d)) {
		FILE *f;
		char *buf = NULL;
		size_t len = 0;

		f = open_memstream(&buf, &len);
		if (f) {
			rs_diff_print(f, &d);
			fclose(f);
		}
		if (buf && len > 400)
			buf[400] = 0;
		*why = sn_asprintf("the per-Service parts do not add up to the compiled ruleset "
				   "(%zu operations apart): %s", d.n, buf ? buf : "");
		free(buf);
		rs_diff_free(&d);
		rs_ruleset_free(v);
		rc_state_free(st);
		return NULL;
	}
	rs_diff_free(&d);
	*view = v;
	return st;
}

static int fe_cmp_q(const void *a, const void *b)
{
	return comp_frontend_cmp(a, b);
}

void rc_state_frontends(const struct rc_state *st, struct comp_frontends *out)
{
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < st->contribs.nb; i++)
		for (struct rc_hnode *x = st->contribs.b[i]; x; x = x->next)
			n += ((const struct rc_contrib *)x)->fronts.n;
	out->v = sn_calloc(n + 1, sizeof(*out->v));
	out->cap = n + 1;
	for (size_t i = 0; i < st->contribs.nb; i++)
		for (struct rc_hnode *x = st->contribs.b[i]; x; x = x->next) {
			const struct rc_contrib *c = (const struct rc_contrib *)x;

			if (!c->fronts.n)
				continue;
			memcpy(out->v + out->n, c->fronts.v, c->fronts.n * sizeof(*out->v));
			out->n += c->fronts.n;
		}
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), fe_cmp_q);
}

/* ---- one incremental sync ---- */

/* A Service of this sync: its name, and its new part unless gone. */
struct piece {
	char *name;
	long at;			/* in w, or -1 */
	struct rs_ruleset *rs;		/* its part, NULL when gone (or skipped) */
	struct rs_ruleset *own;		/* rs's owned objects, NULL when none */
	struct comp_frontends fronts;
	bool excluded;			/* refused by the kernel: left as it was */
};

/* One element whose count changes. */
struct touch {
	struct rc_hnode h;
	enum rs_family fam;
	const char *set;		/* its set's name */
	const struct rs_set *tset;	/* a set of its type */
	const struct rs_elem *key;	/* the element (view's or part's) */
	struct rc_sidx *si;		/* NULL: the view has no such set yet */
	struct rc_ent *ent;		/* NULL: the view has no such element */
	long delta;
	const struct rs_elem *add;	/* the part's element, if one adds it */
	const struct rs_table *add_table;
	const struct rs_set *add_set;
	const char *owner;		/* a Service of this sync that adds or drops it */
	uint32_t refs;			/* the count after this sync */
	bool del, put;			/* a DEL and / or an ADD in the batch */
};

/* An element op under construction, grouped later by set. */
struct eop {
	enum rs_family fam;
	const char *set;
	const struct rs_table *table;
	const struct rs_set *s;
	const struct rs_elem *e;
	bool del;
};

struct plan {
	struct rs_diff d;		/* everything to send, in batch order */
	struct rs_ruleset *skel;	/* the new skeleton, or NULL when unchanged */
	struct rs_ruleset **old_owns;	/* per piece: the own ruleset diffed against (temp) */
	struct touch **touches;
	size_t ntouches, tcap;
	struct rc_hmap tmap;
	struct rc_hmap owners;		/* element pointer -> touch */
};

static uint64_t touch_hash(enum rs_family fam, const char *set, const struct rs_set *tset,
			   const struct rs_elem *e)
{
	return set_key_hash(fam, set) ^ rs_elem_key_hash(tset, e);
}

static struct touch *touch_get(struct plan *p, enum rs_family fam, const char *set,
			       const struct rs_set *tset, const struct rs_elem *e)
{
	uint64_t h = touch_hash(fam, set, tset, e);
	struct touch *t;

	for (struct rc_hnode *n = rc_hmap_first(&p->tmap, h); n; n = n->next) {
		t = (struct touch *)n;
		if (n->hash == h && t->fam == fam && !strcmp(t->set, set) &&
		    !rs_elem_key_cmp(tset, t->key, e))
			return t;
	}
	t = sn_calloc(1, sizeof(*t));
	t->fam = fam;
	t->set = set;
	t->tset = tset;
	t->key = e;
	rc_hmap_add(&p->tmap, &t->h, h);
	sn_grow(&p->touches, &p->tcap, p->ntouches + 1, sizeof(*p->touches));
	p->touches[p->ntouches++] = t;
	return t;
}

struct owner_node {
	struct rc_hnode h;
	const struct rs_elem *e;
	const char *owner;
};

static uint64_t ptr_hash(const void *p)
{
	uintptr_t v = (uintptr_t)p;

	return sn_hash64(&v, sizeof(v), 3);
}

static void owner_note(struct plan *p, const struct rs_elem *e, const char *owner)
{
	struct owner_node *o = sn_calloc(1, sizeof(*o));

	o->e = e;
	o->owner = owner;
	rc_hmap_add(&p->owners, &o->h, ptr_hash(e));
}

static const char *owner_of_elem(const struct plan *p, const struct rs_elem *e)
{
	uint64_t h = ptr_hash(e);

	for (struct rc_hnode *n = rc_hmap_first(&p->owners, h); n; n = n->next)
		if (((struct owner_node *)n)->e == e)
			return ((struct owner_node *)n)->owner;
	return NULL;
}

static void plan_free(struct plan *p, size_t npieces)
{
	rs_diff_free(&p->d);
	rs_ruleset_free(p->skel);
	for (size_t i = 0; p->old_owns && i < npieces; i++)
		rs_ruleset_free(p->old_owns[i]);
	free(p->old_owns);
	for (size_t i = 0; i < p->ntouches; i++)
		free(p->touches[i]);
	free(p->touches);
	rc_hmap_free(&p->tmap);
	hmap_free_nodes(&p->owners, free);
	memset(p, 0, sizeof(*p));
}

/* The order ops are applied in (rules/diff.c's phases). */
static int op_phase(const struct rs_op *op)
{
	static const int ph[__RS_OP_MAX] = {
		[RS_OP_ADD_TABLE] = 1, [RS_OP_ADD_SET] = 2, [RS_OP_ADD_CHAIN] = 3,
		[RS_OP_FLUSH_CHAIN] = 4, [RS_OP_ADD_RULES] = 5, [RS_OP_DEL_ELEMS] = 6,
		[RS_OP_ADD_ELEMS] = 7, [RS_OP_DEL_SET] = 8, [RS_OP_DEL_CHAIN] = 9,
		[RS_OP_DEL_TABLE] = 10,
	};

	return op->type < __RS_OP_MAX ? ph[op->type] : 11;
}

/* Move the ops of src into dst (dst owns their element arrays then). */
static void diff_take(struct rs_diff *dst, struct rs_diff *src)
{
	if (src->n) {	/* no memcpy from NULL (UBSan) */
		sn_grow(&dst->ops, &dst->cap, dst->n + src->n, sizeof(*dst->ops));
		memcpy(dst->ops + dst->n, src->ops, src->n * sizeof(*dst->ops));
		dst->n += src->n;
	}
	dst->chains_added += src->chains_added;
	dst->chains_deleted += src->chains_deleted;
	dst->chains_replaced += src->chains_replaced;
	dst->rules_added += src->rules_added;
	dst->rules_deleted += src->rules_deleted;
	dst->elems_added += src->elems_added;
	dst->elems_deleted += src->elems_deleted;
	dst->sets_added += src->sets_added;
	dst->sets_deleted += src->sets_deleted;
	dst->tables_added += src->tables_added;
	dst->tables_deleted += src->tables_deleted;
	free(src->ops);
	memset(src, 0, sizeof(*src));
}

static int eop_cmp(const void *a, const void *b)
{
	const struct eop *x = a, *y = b;

	if (x->del != y->del)
		return x->del ? -1 : 1;
	if (x->fam != y->fam)
		return x->fam < y->fam ? -1 : 1;
	return strcmp(x->set, y->set);
}

/* One ADD_ELEMS or DEL_ELEMS op per set. */
static void emit_eops(struct rs_diff *d, struct eop *v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof(*v), eop_cmp);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		struct rs_op *op;

		while (j < n && !eop_cmp(&v[i], &v[j]))
			j++;
		sn_grow(&d->ops, &d->cap, d->n + 1, sizeof(*d->ops));
		op = &d->ops[d->n++];
		memset(op, 0, sizeof(*op));
		op->type = v[i].del ? RS_OP_DEL_ELEMS : RS_OP_ADD_ELEMS;
		op->table = v[i].table;
		op->set = v[i].s;
		op->elems = sn_calloc(j - i + 1, sizeof(*op->elems));
		for (size_t k = i; k < j; k++)
			op->elems[op->nelems++] = v[k].e;
		if (v[i].del)
			d->elems_deleted += j - i;
		else
			d->elems_added += j - i;
		i = j;
	}
}

static int op_phase_cmp(const void *a, const void *b)
{
	int x = op_phase(a), y = op_phase(b);

	return x < y ? -1 : x > y;
}

/* Does piece i count in this plan (not refused)? */
static bool live(const struct piece *pc)
{
	return !pc->excluded;
}

/*
 * Work out the batch for pieces (skipping excluded ones). Returns 0,
 * or RC_INCR_FALLBACK when the index cannot express the change (a table
 * rebuilt or deleted, a count gone negative: the caller syncs everything).
 */
static int plan_build(struct rc_state *st, const struct svc_world *w, const struct comp_opts *o,
		      struct rs_ruleset *view, struct piece *pcs, size_t npcs, struct plan *p)
{
	struct eop *eops = NULL;
	size_t neops = 0, ecap = 0;
	bool reskel = false;
	struct rs_diff sd;

	memset(p, 0, sizeof(*p));

	/* 1. the skeleton: rebuilt when a signature comes into use or goes */
	{
		struct rc_hmap delta = { 0 };
		struct dnode {
			struct rc_hnode h;
			uint64_t sig;
			long d;
			long at;	/* a piece in w with this signature */
		};

		for (size_t i = 0; i < npcs; i++) {
			const struct rc_contrib *c = contrib_find(st, pcs[i].name);

			for (int side = 0; side < 2 && live(&pcs[i]); side++) {
				uint64_t sig;
				struct dnode *x = NULL;

				if (side == 0 && !c)
					continue;
				if (side == 1 && !pcs[i].rs)
					continue;
				sig = side == 0 ? c->sig : skel_sig(pcs[i].rs);
				for (struct rc_hnode *n = rc_hmap_first(&delta, sig); n; n = n->next)
					if (((struct dnode *)n)->sig == sig)
						x = (struct dnode *)n;
				if (!x) {
					x = sn_calloc(1, sizeof(*x));
					x->sig = sig;
					x->at = -1;
					rc_hmap_add(&delta, &x->h, sig);
				}
				x->d += side ? 1 : -1;
				if (side == 1)
					x->at = pcs[i].at;
			}
		}
		for (size_t i = 0; i < delta.nb && !reskel; i++)
			for (struct rc_hnode *n = delta.b[i]; n && !reskel; n = n->next) {
				const struct dnode *x = (const struct dnode *)n;
				const struct rc_sig *g = sig_find(st, x->sig);
				long before = g ? (long)g->count : 0;

				reskel = (before == 0) != (before + x->d == 0);
			}
		if (reskel) {
			/* one Service per signature in use after this sync: an
			 * unchanged member, or a piece that brings it */
			unsigned *idx = sn_calloc(st->sigs.n + delta.n + 1, sizeof(*idx));
			size_t nidx = 0;

			for (size_t i = 0; i < st->sigs.nb; i++)
				for (struct rc_hnode *n = st->sigs.b[i]; n; n = n->next) {
					const struct rc_sig *g = (const struct rc_sig *)n;

					for (const struct rc_contrib *c = g->head; c; c = c->snext) {
						bool moving = false;
						long at;

						for (size_t k = 0; k < npcs && !moving; k++)
							moving = live(&pcs[k]) &&
								 !strcmp(pcs[k].name, c->name);
						if (moving)
							continue;
						at = find_service(w, c->name);
						if (at >= 0) {
							idx[nidx++] = (unsigned)at;
							break;
						}
					}
				}
			for (size_t i = 0; i < delta.nb; i++)
				for (struct rc_hnode *n = delta.b[i]; n; n = n->next) {
					const struct dnode *x = (const struct dnode *)n;
					bool have = false;

					if (x->at < 0)
						continue;
					for (size_t k = 0; k < nidx && !have; k++)
						have = idx[k] == (unsigned)x->at;
					if (!have)
						idx[nidx++] = (unsigned)x->at;
				}
			/* two reps of one signature (an unchanged member and a
			 * piece) only repeat what one of them brings */
			for (size_t i = 0; i < nidx; i++)
				for (size_t k = i + 1; k < nidx; k++)
					if (idx[k] == idx[i])
						idx[k--] = idx[--nidx];
			p->skel = build_skeleton(w, o, idx, nidx);
			free(idx);
		}
		hmap_free_nodes(&delta, free);
		if (reskel && !p->skel)
			return RC_INCR_FALLBACK;
	}
	if (p->skel) {
		rs_diff(p->skel, st->skel, true, &sd);
		for (size_t i = 0; i < sd.n; i++) {
			/* a table rebuilt or deleted: rare, the full path does it */
			if (sd.ops[i].type == RS_OP_DEL_TABLE) {
				rs_diff_free(&sd);
				return RC_INCR_FALLBACK;
			}
		}
		diff_take(&p->d, &sd);
	}

	/* 2. elements of shared sets: what each piece drops and brings */
	for (size_t i = 0; i < npcs; i++) {
		const struct rc_contrib *c = contrib_find(st, pcs[i].name);
		const struct rs_ruleset *rs = pcs[i].rs;

		if (!live(&pcs[i]))
			continue;
		for (size_t k = 0; c && k < c->nrefs; k++) {
			const struct rc_cref *r = &c->refs[k];
			const struct rs_elem *e = &r->si->set->elems[r->e->idx];
			struct touch *t = touch_get(p, r->si->fam, r->si->name, r->si->set, e);

			t->si = r->si;
			t->ent = r->e;
			t->delta--;
			if (!t->owner)
				t->owner = pcs[i].name;
		}
		for (size_t ti = 0; rs && ti < rs->n; ti++) {
			const struct rs_table *tb = rs->tables[ti];

			for (size_t si = 0; si < tb->nsets; si++) {
				const struct rs_set *s = tb->sets[si];
				struct rc_sidx *x;

				if (!set_shared(s) || !s->n)
					continue;
				x = sidx_find(st, tb->family, s->name);
				for (size_t e = 0; e < s->n; e++) {
					struct touch *t = touch_get(p, tb->family, s->name,
								    x ? x->set : s, &s->elems[e]);

					if (x && !t->si) {
						t->si = x;
						t->ent = ent_find(x, &s->elems[e],
								  rs_elem_key_hash(x->set,
										   &s->elems[e]));
					}
					t->delta++;
					t->add = &s->elems[e];
					t->add_table = tb;
					t->add_set = s;
					t->owner = pcs[i].name;
				}
			}
		}
	}
	for (size_t i = 0; i < p->ntouches; i++) {
		struct touch *t = p->touches[i];
		long before = t->ent ? (long)t->ent->refs : 0, after = before + t->delta;
		const struct rs_elem *have = t->ent ? &t->si->set->elems[t->ent->idx] : NULL;

		if (after < 0) {
			free(eops);
			return RC_INCR_FALLBACK;
		}
		t->refs = (uint32_t)after;
		t->del = before > 0 && (after == 0 || (t->add && !rs_elem_data_eq(t->si->set, have,
										    t->add)));
		t->put = after > 0 && t->add && (before == 0 || t->del);
		if (t->del) {
			const struct rs_table *vt = rs_ruleset_find_table(view, t->fam, COMP_TABLE);

			sn_grow(&eops, &ecap, neops + 1, sizeof(*eops));
			eops[neops++] = (struct eop){ t->fam, t->set, vt, t->si->set, have, true };
			owner_note(p, have, t->owner);
		}
		if (t->put) {
			sn_grow(&eops, &ecap, neops + 1, sizeof(*eops));
			eops[neops++] = (struct eop){ t->fam, t->set, t->add_table, t->add_set, t->add,
						      false };
			owner_note(p, t->add, t->owner);
		}
	}
	/* a shared set the skeleton drops must lose every element here */
	for (size_t i = 0; i < p->d.n; i++) {
		const struct rs_op *op = &p->d.ops[i];
		struct rc_sidx *x;
		size_t gone = 0;

		if (op->type != RS_OP_DEL_SET || !(x = sidx_find(st, op->table->family, op->set->name)))
			continue;
		for (size_t k = 0; k < p->ntouches; k++)
			gone += p->touches[k]->si == x && p->touches[k]->ent && !p->touches[k]->refs;
		if (gone != x->ents.n) {
			free(eops);
			return RC_INCR_FALLBACK;
		}
	}
	emit_eops(&p->d, eops, neops);
	free(eops);

	/* 3. the chains and sets only one Service has, whole */
	p->old_owns = sn_calloc(npcs + 1, sizeof(*p->old_owns));
	for (size_t i = 0; i < npcs; i++) {
		const struct rc_contrib *c = contrib_find(st, pcs[i].name);
		struct rs_ruleset *nw = pcs[i].own, *old;
		struct rs_diff od;

		if (!live(&pcs[i]) || (!nw && !(c && c->own)))
			continue;
		/* diff against copies with the same tables on both sides, so
		 * that no table is added or deleted for them */
		old = rs_ruleset_alloc();
		for (size_t k = 0; c && c->own && k < c->own->n; k++) {
			const struct rs_table *t = c->own->tables[k];
			struct rs_table *ot = view_table(old, t);

			for (size_t j = 0; j < t->nsets; j++)
				rs_table_copy_set(ot, t->sets[j], true);
			for (size_t j = 0; j < t->nchains; j++)
				rs_table_copy_chain(ot, t->chains[j]);
		}
		if (!nw)
			nw = pcs[i].own = rs_ruleset_alloc();
		for (size_t k = 0; k < nw->n; k++)
			view_table(old, nw->tables[k]);
		for (size_t k = 0; k < old->n; k++)
			view_table(nw, old->tables[k]);
		p->old_owns[i] = old;
		rs_diff(nw, old, false, &od);
		diff_take(&p->d, &od);
	}

	if (p->d.n > 1)
		qsort(p->d.ops, p->d.n, sizeof(*p->d.ops), op_phase_cmp);
	return 0;
}

/* Apply one op of the batch (not an element op of a shared set) to the view. */
static void view_apply_op(struct rc_state *st, struct rs_ruleset *view, const struct rs_op *op)
{
	struct rs_table *vt = rs_ruleset_find_table(view, op->table->family, op->table->name);
	struct rs_set *vs;
	struct rs_chain *vc;

	if (op->type == RS_OP_ADD_TABLE) {
		view_table(view, op->table);
		return;
	}
	if (!vt)
		return;
	switch (op->type) {
	case RS_OP_ADD_SET:
		if (!rs_table_find_set(vt, op->set->name))
			rs_table_copy_set(vt, op->set, false);
		break;
	case RS_OP_ADD_CHAIN:
		if (!rs_table_find_chain(vt, op->chain->name)) {
			vc = rs_table_copy_chain(vt, op->chain);
			rs_chain_flush(vc);	/* its ADD_RULES follows */
		}
		break;
	case RS_OP_FLUSH_CHAIN:
		if ((vc = rs_table_find_chain(vt, op->chain->name)))
			rs_chain_flush(vc);
		break;
	case RS_OP_ADD_RULES:
		if ((vc = rs_table_find_chain(vt, op->chain->name)))
			rs_chain_copy_rules(vc, op->chain);
		break;
	case RS_OP_ADD_ELEMS:
		if ((vs = rs_table_find_set(vt, op->set->name)))
			for (size_t i = 0; i < op->nelems; i++)
				rs_set_add_elem_copy(vs, op->elems[i]);
		break;
	case RS_OP_DEL_ELEMS:
		if ((vs = rs_table_find_set(vt, op->set->name)))
			for (size_t i = 0; i < op->nelems; i++) {
				const struct rs_elem *e = rs_set_find_elem(vs, op->elems[i]);

				if (e)
					rs_set_del_elem_at(vs, (size_t)(e - vs->elems));
			}
		break;
	case RS_OP_DEL_SET: {
		struct rc_sidx *x = sidx_find(st, vt->family, op->set->name);

		if (x) {
			rc_hmap_del(&st->sets, &x->h);
			sidx_free(x);
		}
		rs_table_del_set(vt, op->set->name);
		break;
	}
	case RS_OP_DEL_CHAIN:
		rs_table_del_chain(vt, op->chain->name);
		break;
	default:
		break;
	}
}

static bool op_shared_elems(const struct rs_op *op)
{
	return (op->type == RS_OP_ADD_ELEMS || op->type == RS_OP_DEL_ELEMS) &&
	       set_shared(op->set);
}

/* The counts of the touched elements, once the batch is in. */
static void touches_apply(struct rc_state *st, struct rs_ruleset *view, struct plan *p)
{
	/* removals first: they move other elements of their set */
	for (size_t i = 0; i < p->ntouches; i++) {
		struct touch *t = p->touches[i];

		if (t->ent && !t->refs) {
			ent_del(t->si, t->ent);
			t->ent = NULL;
		}
	}
	for (size_t i = 0; i < p->ntouches; i++) {
		struct touch *t = p->touches[i];

		if (t->ent && t->refs) {
			struct rs_elem *e = &t->si->set->elems[t->ent->idx];

			if (t->del && t->put) {	/* same key, new data */
				rs_elem_free_contents(e);
				rs_elem_copy(e, t->add);
			}
			t->ent->refs = t->refs;
		} else if (!t->ent && t->refs && t->add) {
			struct rs_table *vt = view_table(view, t->add_table);
			struct rc_sidx *x = sidx_get(st, vt, t->add_set);

			t->si = x;
			t->ent = ent_add(x, t->add, rs_elem_key_hash(x->set, t->add));
			t->ent->refs = t->refs;
		}
	}
}

/* Replace the parts of the live pieces by their new ones. */
static void contribs_apply(struct rc_state *st, struct rs_ruleset *view, const struct svc_world *w,
			   struct piece *pcs, size_t npcs, struct comp_frontends *fe_old)
{
	for (size_t i = 0; i < npcs; i++) {
		struct piece *pc = &pcs[i];
		struct rc_contrib *c = contrib_find(st, pc->name);
		size_t cap = 0;

		if (!live(pc))
			continue;
		if (c) {
			rc_hmap_del(&st->contribs, &c->h);
			sig_unlink(st, c);
			claims_del(st, c);
			if (fe_old && c->fronts.n) {
				sn_grow(&fe_old->v, &fe_old->cap, fe_old->n + c->fronts.n,
					sizeof(*fe_old->v));
				memcpy(fe_old->v + fe_old->n, c->fronts.v,
				       c->fronts.n * sizeof(*fe_old->v));
				fe_old->n += c->fronts.n;
				free(c->fronts.v);
				memset(&c->fronts, 0, sizeof(c->fronts));
			}
			contrib_free(c);
		}
		if (!pc->rs)
			continue;
		c = sn_calloc(1, sizeof(*c));
		c->name = sn_strdup(pc->name);
		for (size_t ti = 0; ti < pc->rs->n; ti++) {
			const struct rs_table *tb = pc->rs->tables[ti];

			for (size_t si = 0; si < tb->nsets; si++) {
				const struct rs_set *s = tb->sets[si];
				struct rc_sidx *x;

				if (!set_shared(s) || !s->n)
					continue;
				x = sidx_find(st, tb->family, s->name);
				for (size_t e = 0; x && e < s->n; e++) {
					struct rc_ent *ent = ent_find(x, &s->elems[e],
								      rs_elem_key_hash(x->set,
										       &s->elems[e]));

					if (!ent)
						continue;
					sn_grow(&c->refs, &cap, c->nrefs + 1, sizeof(*c->refs));
					c->refs[c->nrefs++] = (struct rc_cref){ x, ent };
				}
			}
		}
		/* the view's copies of its own objects came with the batch's ops */
		c->own = pc->own;
		pc->own = NULL;
		if (c->own && !c->own->n) {
			rs_ruleset_free(c->own);
			c->own = NULL;
		}
		c->sig = skel_sig(pc->rs);
		sig_link(st, c);
		c->nclaims = service_claims(&w->svcs[pc->at], &c->claims);
		claims_add(st, c);
		c->fronts = pc->fronts;
		memset(&pc->fronts, 0, sizeof(pc->fronts));
		rc_hmap_add(&st->contribs, &c->h, sn_hash_str(c->name, 7));
	}
}

static void plan_apply(struct rc_state *st, struct rs_ruleset *view, const struct svc_world *w,
		       struct plan *p, struct piece *pcs, size_t npcs, struct comp_frontends *fe_old)
{
	bool touched = false;

	for (size_t i = 0; i < p->d.n; i++) {
		const struct rs_op *op = &p->d.ops[i];

		if (!touched && op_phase(op) >= op_phase(&(struct rs_op){ .type = RS_OP_DEL_ELEMS })) {
			touches_apply(st, view, p);
			touched = true;
		}
		if (!op_shared_elems(op))
			view_apply_op(st, view, op);
	}
	if (!touched)
		touches_apply(st, view, p);
	if (p->skel) {
		rs_ruleset_free(st->skel);
		st->skel = p->skel;
		p->skel = NULL;
	}
	contribs_apply(st, view, w, pcs, npcs, fe_old);
}

/* Which Service a refused message belongs to, or NULL. */
static char *refused_owner(const struct plan *p, const struct nlk_error *e)
{
	const char *o = NULL;

	if (e->elem)
		o = owner_of_elem(p, e->elem);
	for (size_t i = 0; !o && i < e->nelems; i++)
		o = owner_of_elem(p, e->elems[i]);
	if (o)
		return sn_strdup(o);
	if (e->chain)
		return comp_owner_of_chain(e->chain);
	if (e->op && e->op->set)
		return comp_owner_of_chain(e->op->set->name);
	if (e->op && e->op->chain)
		return comp_owner_of_chain(e->op->chain->name);
	return NULL;
}

/* The test hook's victim in this batch: an element of the Service it names
 * (or the first rule of one of its chains, for rc_full_sync's hook). */
static const struct rs_elem *test_victim(const struct plan *p)
{
	const char *svc = rc_test_refuse_service();

	for (size_t i = 0; svc && i < p->d.n; i++) {
		const struct rs_op *op = &p->d.ops[i];

		if (op->type != RS_OP_ADD_ELEMS)
			continue;
		for (size_t k = 0; k < op->nelems; k++) {
			const char *o = owner_of_elem(p, op->elems[k]);

			if (o && !strcmp(o, svc))
				return op->elems[k];
		}
	}
	return NULL;
}

static void add_name(char ***v, size_t *n, size_t *cap, const char *name)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*v)[i], name))
			return;
	sn_grow(v, cap, *n + 1, sizeof(**v));
	(*v)[(*n)++] = sn_strdup(name);
}

int rc_state_sync(struct rc_state *st, struct nlk_sock *s, const struct comp_opts *o,
		  const struct svc_world *w, const char *const *changed, size_t n,
		  struct rs_ruleset *view, uint32_t genid, bool isolate, struct rc_report *rep,
		  struct comp_frontends *fe_old, struct comp_frontends *fe_new, bool *committed,
		  struct rs_ruleset *dry)
{
	bool fronts = st->fronts;
	char **names = NULL;
	size_t nnames = 0, cap = 0, excluded = 0;
	struct piece *pcs;
	int ret = NLK_SENT;
	double t0;

	*committed = false;
	memset(fe_old, 0, sizeof(*fe_old));
	memset(fe_new, 0, sizeof(*fe_new));
	/* the Services named, those the last sync isolated, and every other
	 * claimant of a frontend one of them claims or claimed */
	for (size_t i = 0; i < n; i++)
		add_name(&names, &nnames, &cap, changed[i]);
	for (size_t i = 0; i < st->npending; i++) {
		add_name(&names, &nnames, &cap, st->pending[i]);
		free(st->pending[i]);
	}
	st->npending = 0;
	for (size_t i = 0, n0 = nnames; i < n0; i++) {
		const struct rc_contrib *c = contrib_find(st, names[i]);
		long at = find_service(w, names[i]);
		struct rc_key *keys = NULL;
		size_t nk = 0;

		if (at >= 0)
			nk = service_claims(&w->svcs[at], &keys);
		for (size_t k = 0; k < nk + (c ? c->nclaims : 0); k++) {
			const struct rc_claim *cl = claim_find(st, k < nk ? &keys[k]
									  : &c->claims[k - nk]);

			for (size_t j = 0; cl && j < cl->n; j++)
				add_name(&names, &nnames, &cap, cl->names[j]);
		}
		free(keys);
	}

	t0 = rc_now_ms();
	pcs = sn_calloc(nnames + 1, sizeof(*pcs));
	for (size_t i = 0; i < nnames; i++) {
		struct piece *pc = &pcs[i];

		pc->name = names[i];
		pc->at = find_service(w, names[i]);
		if (pc->at < 0 || w->svcs[pc->at].skip_reason)
			continue;
		unsigned at = (unsigned)pc->at;

		pc->rs = compile_sub(w, o, &at, 1, true, fronts, &pc->fronts);
		if (pc->rs)
			pc->own = own_of(pc->rs);
	}
	rep->compile_ms += rc_now_ms() - t0;
	rep->compiled = true;
	rep->services_compiled = nnames;

	for (;;) {
		struct nlk_batch_opts bo = { .genid = genid };
		struct nlk_result r = { 0 };
		enum nlk_send_status sst;
		struct nlk_batch *b;
		struct sn_buf why;
		struct plan p;
		size_t grew = 0;

		t0 = rc_now_ms();
		if (plan_build(st, w, o, view, pcs, nnames, &p) < 0) {
			plan_free(&p, nnames);
			ret = RC_INCR_FALLBACK;
			break;
		}
		rep->diff_ms += rc_now_ms() - t0;
		rep->diffed = true;
		rc_rep_counts(rep, &p.d);
		if (rs_diff_empty(&p.d)) {
			plan_apply(st, view, w, &p, pcs, nnames, fe_old);
			plan_free(&p, nnames);
			rep->status = excluded ? RC_ISOLATED : RC_NOTHING;
			ret = NLK_SENT;
			break;
		}
		bo.corrupt_elem = test_victim(&p);
		rc_test_batch_hooks(&bo);
		sn_buf_init(&why);
		b = nlk_batch_build(&p.d, &bo, &why);
		if (!b) {
			free(rep->error);
			rep->error = sn_asprintf("cannot encode the change: %s", why.s ? why.s : "?");
			rep->status = RC_FAILED;
			sn_buf_free(&why);
			plan_free(&p, nnames);
			ret = NLK_FAILED;
			break;
		}
		if (s) {
			sst = nlk_batch_send(s, b, &r, &why);
		} else {
			/* dry run: the batch is built, and applied to the
			 * in-memory kernel */
			char *dw = NULL;

			sst = NLK_SENT;
			if (rc_dry_refuse(&p.d, &bo, &r))
				sst = NLK_REFUSED;
			else if (dry && rc_dry_apply(dry, &p.d, &dw) < 0) {
				sn_buf_add(&why, dw);
				sst = NLK_FAILED;
			}
			free(dw);
		}
		rep->sent = true;
		rep->msgs += r.msgs;
		rep->bytes += r.bytes;
		rep->commit_ms += r.ms;
		if (sst == NLK_SENT && r.lost_acks) {
			free(rep->error);
			rep->error = sn_strdup("the kernel's answers were lost (receive buffer full): "
					       "the ruleset will be read again");
			rep->status = RC_FAILED;
			sst = NLK_FAILED;
		} else if (sst == NLK_FAILED) {
			free(rep->error);
			rep->error = sn_strdup(why.s ? why.s : "netlink failure");
			rep->status = RC_FAILED;
		}
		if (sst == NLK_REFUSED && isolate) {
			/* leave the refused Services as they were and send the rest */
			for (size_t i = 0; i < r.nerrs; i++) {
				char *owner = refused_owner(&p, &r.errs[i]);

				for (size_t k = 0; owner && k < nnames; k++) {
					struct sn_buf rs;

					if (strcmp(pcs[k].name, owner) || pcs[k].excluded)
						continue;
					pcs[k].excluded = true;
					excluded++;
					grew++;
					sn_buf_init(&rs);
					sn_buf_printf(&rs, "%s", r.errs[i].what ? r.errs[i].what : "?");
					if (r.errs[i].extack)
						sn_buf_printf(&rs, ": %s", r.errs[i].extack);
					sn_buf_printf(&rs, ": %s", strerror(r.errs[i].err));
					rc_rep_isolate(rep, owner, rs.s);
					sn_buf_free(&rs);
				}
				free(owner);
			}
		}
		if (sst == NLK_REFUSED && !grew) {
			rc_rep_errors(rep, &r);
			for (size_t i = 0; i < rep->nerrs && i < r.nerrs; i++)
				if (!rep->errs[i].service) {
					char *owner = refused_owner(&p, &r.errs[i]);

					rep->errs[i].service = owner;
				}
			rep->status = RC_REFUSED;
		}
		if (sst == NLK_SENT) {
			*committed = true;
			plan_apply(st, view, w, &p, pcs, nnames, fe_old);
			rep->status = excluded ? RC_ISOLATED : RC_APPLIED;
		}
		if (sst == NLK_RESTART) {
			if (rep->restarts < SN_ARRAY_SIZE(rep->restart_genids))
				rep->restart_genids[rep->restarts] = genid;
			rep->restarts++;
		}
		nlk_result_free(&r);
		nlk_batch_free(b);
		sn_buf_free(&why);
		plan_free(&p, nnames);
		if (sst == NLK_REFUSED && grew)
			continue;	/* again without the refused Services */
		ret = sst;
		break;
	}

	if (ret == NLK_SENT) {
		/* conntrack: the new frontends of the Services that changed */
		size_t nf = 0;

		for (size_t i = 0; i < nnames; i++) {
			const struct rc_contrib *c = live(&pcs[i]) ? contrib_find(st, pcs[i].name)
								    : NULL;

			nf += c ? c->fronts.n : 0;
		}
		fe_new->v = sn_calloc(nf + 1, sizeof(*fe_new->v));
		for (size_t i = 0; i < nnames; i++) {
			const struct rc_contrib *c = live(&pcs[i]) ? contrib_find(st, pcs[i].name)
								    : NULL;

			if (c && c->fronts.n) {
				memcpy(fe_new->v + fe_new->n, c->fronts.v,
				       c->fronts.n * sizeof(*fe_new->v));
				fe_new->n += c->fronts.n;
			}
		}
		if (fe_new->n > 1)
			qsort(fe_new->v, fe_new->n, sizeof(*fe_new->v), fe_cmp_q);
		if (fe_old->n > 1)
			qsort(fe_old->v, fe_old->n, sizeof(*fe_old->v), fe_cmp_q);
	}
	/* the isolated ones are tried again by the next sync */
	for (size_t i = 0; i < nnames; i++)
		if (pcs[i].excluded)
			add_name(&st->pending, &st->npending, &st->pending_cap, pcs[i].name);
	for (size_t i = 0; i < nnames; i++) {
		rs_ruleset_free(pcs[i].rs);
		rs_ruleset_free(pcs[i].own);
		comp_frontends_free(&pcs[i].fronts);
		free(names[i]);
	}
	free(pcs);
	free(names);
	return ret;
}
