// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * reconcile/reconcile.c: model -> desired ruleset -> diff -> one batch,
 * with the kernel's state kept in memory between syncs (reconcile.h).
 *
 * The view is the ruleset the kernel holds as far as this rc knows: what
 * the last full sync read and then committed, updated by each commit
 * since. Its generation id is the one the kernel moved to when our last
 * batch committed (a commit moves it by exactly one); every batch carries
 * it, so another writer in between makes the kernel answer ERESTART, and
 * the view is dropped and the kernel read again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <netinet/in.h>

#include "reconcile/internal.h"

/* A concurrent writer (not svcnft: callers lock each other out) changed
 * the ruleset between our read and our batch this many times in a row. */
#define RC_TRIES 4

/* Test hooks for the kernel tier, never set in production: the Service
 * whose objects the batch corrupts so that the kernel refuses them; a pause
 * (ms) between reading the kernel and sending the batch, for another writer
 * to change the ruleset in. */
#define ENV_TEST_REFUSE "SVCNFT_TEST_REFUSE_SERVICE"
#define ENV_TEST_PAUSE "SVCNFT_TEST_PAUSE_MS"
#define ENV_TEST_REFUSE_ELEM "SVCNFT_TEST_REFUSE_ELEMENT"
#define ENV_TEST_RCVBUF "SVCNFT_TEST_RCVBUF"
/* Test hook: while the file this names exists, every batch carries one
 * message no Service owns that the kernel refuses (nlk corrupt_common). */
#define ENV_TEST_REFUSE_ALL_FILE "SVCNFT_TEST_REFUSE_ALL_FILE"

/* How many times a full sync sends again without the Services the
 * kernel refused before it gives up. */
#define RC_ISOLATE_ROUNDS 8

struct rc {
	struct nlk_sock *s;
	const struct comp_opts *o;
	/* o with the shard counts of the last whole compile: what the parts
	 * of the index are compiled with (comp_opts.shard_plan) */
	struct comp_opts parts_o;
	struct comp_shard_plan plan;
	bool isolate, incremental;
	enum rc_conntrack ct;
	/* the view: NULL = none, the next sync reads the kernel */
	struct rs_ruleset *view;
	uint32_t genid;		/* the kernel's generation with view in place */
	/* the view's per-Service index (incremental), or NULL */
	struct rc_state *st;
	/* without an index: the frontends of the last commit, for RC_CT_CHANGED */
	struct comp_frontends fronts;
	bool have_fronts;
	struct rs_ruleset *dry;	/* no socket: the kernel, in memory */
};

double rc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- reports ---- */

void rc_report_init(struct rc_report *rep)
{
	memset(rep, 0, sizeof(*rep));
}

void rc_report_free(struct rc_report *rep)
{
	if (!rep)
		return;
	for (size_t i = 0; i < rep->nerrs; i++) {
		free(rep->errs[i].what);
		free(rep->errs[i].extack);
		free(rep->errs[i].chain);
		free(rep->errs[i].service);
	}
	free(rep->errs);
	for (size_t i = 0; i < rep->nisolated; i++) {
		free(rep->isolated[i].service);
		free(rep->isolated[i].reason);
	}
	free(rep->isolated);
	free(rep->error);
	free(rep->warnings);
	memset(rep, 0, sizeof(*rep));
}

static void rep_fail(struct rc_report *rep, const char *prefix, const struct sn_buf *why)
{
	free(rep->error);
	rep->error = sn_asprintf("%s%s", prefix, why && why->s ? why->s : "?");
	rep->status = RC_FAILED;
}

static void rep_fail_msg(struct rc_report *rep, const char *msg)
{
	free(rep->error);
	rep->error = sn_strdup(msg);
	rep->status = RC_FAILED;
}

static void rep_warn(struct rc_report *rep, const char *what, const struct sn_buf *why)
{
	char *w = sn_asprintf("%s%s%s\n", rep->warnings ? rep->warnings : "", what,
			      why && why->s ? why->s : "?");

	free(rep->warnings);
	rep->warnings = w;
}

void rc_rep_counts(struct rc_report *rep, const struct rs_diff *d)
{
	rep->tables_added = d->tables_added;
	rep->tables_deleted = d->tables_deleted;
	rep->chains_added = d->chains_added;
	rep->chains_deleted = d->chains_deleted;
	rep->chains_replaced = d->chains_replaced;
	rep->rules_added = d->rules_added;
	rep->rules_deleted = d->rules_deleted;
	rep->elems_added = d->elems_added;
	rep->elems_deleted = d->elems_deleted;
}

char *rc_elem_owner(const struct rs_elem *e)
{
	const char *sp, *slash;

	if (!e || !e->comment)
		return NULL;
	slash = strchr(e->comment, '/');
	sp = strchr(e->comment, ' ');
	if (!slash || (sp && sp < slash))
		return NULL;
	return sp ? sn_strndup(e->comment, (size_t)(sp - e->comment)) : sn_strdup(e->comment);
}

/* The Service a refused message was about: its chain's, or its element's
 * (by the comment), or NULL (a common object). */
static char *error_owner(const struct nlk_error *e)
{
	char *o = e->chain ? comp_owner_of_chain(e->chain) : NULL;

	if (!o && e->elem)
		o = rc_elem_owner(e->elem);
	for (size_t i = 0; !o && !e->elem && i < e->nelems; i++)
		o = rc_elem_owner(e->elems[i]);
	if (!o && e->op && e->op->set &&
	    (e->op->type == RS_OP_ADD_SET || e->op->type == RS_OP_DEL_SET))
		o = comp_owner_of_chain(e->op->set->name);
	return o;
}

/* The kernel's refusals, each with the Service that owns its object. */
void rc_rep_errors(struct rc_report *rep, const struct nlk_result *r)
{
	rep->errs = sn_realloc(rep->errs, (rep->nerrs + r->nerrs + 1) * sizeof(*rep->errs));
	for (size_t i = 0; i < r->nerrs; i++) {
		const struct nlk_error *e = &r->errs[i];
		struct rc_error *x = &rep->errs[rep->nerrs++];

		x->err = e->err;
		x->what = sn_strdup(e->what ? e->what : "?");
		x->extack = e->extack ? sn_strdup(e->extack) : NULL;
		x->chain = e->chain ? sn_strdup(e->chain) : NULL;
		x->service = error_owner(e);
	}
}

void rc_rep_isolate(struct rc_report *rep, const char *svc, const char *reason)
{
	for (size_t i = 0; i < rep->nisolated; i++)
		if (!strcmp(rep->isolated[i].service, svc))
			return;
	rep->isolated = sn_realloc(rep->isolated, (rep->nisolated + 1) * sizeof(*rep->isolated));
	rep->isolated[rep->nisolated].service = sn_strdup(svc);
	rep->isolated[rep->nisolated].reason = sn_strdup(reason ? reason : "?");
	rep->nisolated++;
}

void rc_test_batch_hooks(struct nlk_batch_opts *o)
{
	const char *v = getenv(ENV_TEST_REFUSE_ELEM);

	o->corrupt_elem_owner = v && *v ? v : NULL;
	v = getenv(ENV_TEST_RCVBUF);
	if (v && *v)
		o->test_rcvbuf = atoi(v);
	v = getenv(ENV_TEST_REFUSE_ALL_FILE);
	o->corrupt_common = v && *v && access(v, F_OK) == 0;
}

const char *rc_test_refuse_service(void)
{
	const char *svc = getenv(ENV_TEST_REFUSE);

	return svc && *svc ? svc : NULL;
}

/* ---- the rc ---- */

struct rc *rc_new(struct nlk_sock *s, const struct comp_opts *o)
{
	struct rc *rc = sn_calloc(1, sizeof(*rc));

	rc->s = s;
	rc->o = o;
	rc->isolate = true;
	rc->incremental = true;
	rc->ct = RC_CT_CHANGED;
	if (!s)
		rc->dry = rs_ruleset_alloc();
	return rc;
}

void rc_forget(struct rc *rc)
{
	rs_ruleset_free(rc->view);
	rc->view = NULL;
	rc->genid = 0;
	rc_state_free(rc->st);
	rc->st = NULL;
}

void rc_set_incremental(struct rc *rc, bool on)
{
	rc->incremental = on;
	if (!on) {
		rc_state_free(rc->st);
		rc->st = NULL;
	}
}

void rc_free(struct rc *rc)
{
	if (!rc)
		return;
	rc_forget(rc);
	if (rc->have_fronts)
		comp_frontends_free(&rc->fronts);
	rs_ruleset_free(rc->dry);
	comp_shard_plan_free(&rc->plan);
	free(rc);
}

void rc_set_isolate(struct rc *rc, bool on)
{
	rc->isolate = on;
}

void rc_set_conntrack(struct rc *rc, enum rc_conntrack mode)
{
	rc->ct = mode;
}

bool rc_has_view(const struct rc *rc)
{
	return rc->view != NULL;
}

const struct comp_shard_plan *rc_shard_plan(const struct rc *rc)
{
	return rc->st ? &rc->plan : NULL;
}

const struct rs_ruleset *rc_view(struct rc *rc)
{
	return rc->view;
}

const struct rs_ruleset *rc_dry_kernel(const struct rc *rc)
{
	return rc->dry;
}

/* ---- stages ---- */

static struct rs_ruleset *compile(struct rc *rc, const struct svc_world *w,
				  struct rc_report *rep)
{
	struct comp_stats st;
	struct rs_ruleset *rs;
	struct sn_diag d;
	double t0 = rc_now_ms();

	sn_diag_init(&d);
	rs = comp_build(w, rc->o, &st, &d);
	sn_diag_free(&d);
	rep->compile_ms += rc_now_ms() - t0;
	rep->compiled = true;
	rep->services_compiled = st.services;
	return rs;
}

/* Read the current state of svcnft's tables: want's, and the svcnft table
 * of a family want no longer has (the compiler writes a table per family
 * in use), so that the diff deletes it rather than leaving its rules. */
static int read_have(struct rc *rc, const struct rs_ruleset *want, struct rs_ruleset **have,
		     struct rc_report *rep)
{
	static const enum rs_family fams[] = { RS_IP, RS_IP6 };
	struct nlk_read_spec spec;
	struct sn_buf why;
	double t0 = rc_now_ms();
	int ret = 0;

	sn_buf_init(&why);
	nlk_read_spec_from(&spec, want);
	for (size_t i = 0; i < SN_ARRAY_SIZE(fams); i++) {
		if (rs_ruleset_find_table(want, fams[i], COMP_TABLE) ||
		    spec.ntables == SN_ARRAY_SIZE(spec.tables))
			continue;
		spec.tables[spec.ntables].family = fams[i];
		spec.tables[spec.ntables].name = COMP_TABLE;
		spec.ntables++;
	}
	if (!rc->s) {
		*have = rc_ruleset_copy(rc->dry);	/* dry run: the in-memory kernel */
	} else if (nlk_read(rc->s, &spec, have, &why) < 0) {
		rep_fail(rep, "reading the kernel's ruleset: ", &why);
		ret = -1;
	}
	rep->read_ms = rc_now_ms() - t0;
	rep->read = ret == 0;
	rep->full = true;
	sn_buf_free(&why);
	return ret;
}

/* The test hook's victim in a full batch: the first chain of the Service it
 * names that the batch writes rules into, or else the first element of that
 * Service the batch adds. */
static void test_victim(const struct rs_diff *d, struct nlk_batch_opts *o)
{
	const char *svc = rc_test_refuse_service();

	for (size_t i = 0; svc && i < d->n; i++) {
		const struct rs_op *op = &d->ops[i];
		char *owner;
		bool hit;

		if (op->type != RS_OP_ADD_RULES)
			continue;
		owner = comp_owner_of_chain(op->chain->name);
		hit = owner && strcmp(owner, svc) == 0;
		free(owner);
		if (hit) {
			o->corrupt_chain = op->chain->name;
			return;
		}
	}
	for (size_t i = 0; svc && i < d->n; i++) {
		const struct rs_op *op = &d->ops[i];

		for (size_t k = 0; op->type == RS_OP_ADD_ELEMS && k < op->nelems; k++) {
			char *owner = rc_elem_owner(op->elems[k]);
			bool hit = owner && strcmp(owner, svc) == 0;

			free(owner);
			if (hit) {
				o->corrupt_elem = op->elems[k];
				return;
			}
		}
	}
}

static bool aff_stale(const struct rs_set *set, enum rs_family f, const struct rs_elem *e,
		      void *ctx)
{
	return comp_affinity_elem_stale(ctx, set, f, e);
}

/*
 * What conntrack sees of the frontends: every UDP one of all (so that an
 * entry to a frontend's own address is never taken for a NodePort's), the
 * ones d names to be cleaned, keeping their endpoints and serving ones as
 * reply sources, and those d says are gone, keeping nothing. keep backs
 * the arrays.
 */
static size_t ct_frontends(const struct comp_frontends *all, const struct comp_fe_diff *d,
			   struct nlk_ct_frontend **out, struct nlk_ct_ep **keep, size_t *nclean)
{
	struct comp_frontends cleaned = { 0 };
	size_t n = 0, neps = 0, k = 0, i, j;

	*nclean = 0;
	cleaned.v = sn_calloc(d->n + 1, sizeof(*cleaned.v));
	for (i = 0; i < d->n; i++)
		if (d->v[i].why != COMP_FE_GONE)
			cleaned.v[cleaned.n++] = *d->v[i].fe;	/* d keeps now's order: sorted */
	for (i = 0; i < all->n; i++)
		neps += all->v[i].nkeep;
	*out = sn_calloc(all->n + d->n + 1, sizeof(**out));
	*keep = sn_calloc(neps + 1, sizeof(**keep));
	for (i = 0; i < all->n + d->n; i++) {
		const struct comp_frontend *fe = i < all->n ? &all->v[i] : d->v[i - all->n].fe;
		struct nlk_ct_frontend *f;

		if (fe->proto != IPPROTO_UDP ||
		    (i >= all->n && d->v[i - all->n].why != COMP_FE_GONE))
			continue;
		f = &(*out)[n++];
		f->family = fe->family;
		f->proto = fe->proto;
		f->any_addr = fe->kind == COMP_FE_NODEPORT;
		f->addr = fe->addr;
		f->port = fe->port;
		f->clean = i >= all->n || comp_frontends_find(&cleaned, fe);
		*nclean += f->clean;
		if (i >= all->n)
			continue;	/* gone: nothing to keep */
		f->keep = &(*keep)[k];
		f->nkeep = fe->nkeep;
		for (j = 0; j < fe->nkeep; j++)
			(*keep)[k++] = (struct nlk_ct_ep){ .addr = fe->keep[j].addr,
							   .port = fe->keep[j].port };
	}
	free(cleaned.v);
	return n;
}

/* Did a frontend with affinity lose an endpoint (or go)? Only then can an
 * affinity entry have become stale. */
static bool aff_may_be_stale(const struct comp_fe_diff *d)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].fe->affinity &&
		    (d->v[i].why == COMP_FE_GONE || d->v[i].why == COMP_FE_UNKNOWN ||
		     d->v[i].nlost))
			return true;
	return false;
}

/* Is a NodePort among the frontends to clean? Its entries are told from
 * other frontends' only against every frontend. */
static bool cleans_nodeport(const struct comp_fe_diff *d)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].fe->kind == COMP_FE_NODEPORT && d->v[i].fe->proto == IPPROTO_UDP)
			return true;
	return false;
}

/*
 * After a commit: UDP flows and affinity entries pinned to endpoints that
 * are gone. old NULL (RC_CT_ALL, the CLI, which keeps no previous model;
 * or a first commit) diffs against "unknown": every UDP frontend is looked
 * at, kube-proxy's rule, and a deleted Service, which cannot be named, is
 * found as an address of the service range no frontend has. Otherwise
 * only the frontends that lost endpoints, are new or are gone.
 * now: the frontends old is diffed with (all of them, or those of the
 * Services an incremental sync recompiled); all (NULL: call get_all when
 * needed) every frontend, which telling NodePort entries apart and the
 * affinity maps need. A failure here is a warning: it does not undo the
 * commit.
 */
static void ct_cleanup(struct rc *rc, const struct comp_frontends *old,
		       const struct comp_frontends *now, const struct comp_frontends *all,
		       const struct rs_ruleset *view, struct rc_report *rep)
{
	struct comp_aff_ctx actx = { 0 };
	struct comp_frontends every = { 0 };
	struct nlk_ct_owned owned[2];
	struct nlk_ct_stats st = { 0 };
	size_t nowned = 0, nclean, n;
	struct nlk_ct_frontend *ct;
	struct nlk_ct_ep *keep;
	struct comp_fe_diff d;
	struct sn_buf why;

	if (!rc->s)
		return;	/* dry run: no conntrack either */
	sn_buf_init(&why);
	comp_frontends_diff(old, now, &d);
	if (!all && (cleans_nodeport(&d) || aff_may_be_stale(&d)) && rc->st) {
		rc_state_frontends(rc->st, &every);
		all = &every;
	}
	if (!all)
		all = now;
	n = ct_frontends(all, &d, &ct, &keep, &nclean);
	/* the service range is svcnft's: a UDP flow to an address of it that
	 * no frontend has now is one to a deleted Service or port (known by
	 * name when there is a previous list: no range walk then) */
	for (unsigned i = 0; !old && i < rc->o->nservice_cidrs && i < SN_ARRAY_SIZE(owned); i++)
		owned[nowned++] = (struct nlk_ct_owned){ .proto = IPPROTO_UDP,
							 .prefix = rc->o->service_cidrs[i] };
	if ((nclean || nowned) && nlk_ct_clear(ct, n, owned, nowned, &st, &why) < 0)
		rep_warn(rep, "conntrack cleanup: ", &why);
	free(ct);
	free(keep);

	actx.fs = all;
	for (size_t i = 0; view && (!old || aff_may_be_stale(&d)) && i < view->n; i++) {
		const struct rs_table *t = view->tables[i];

		for (size_t k = 0; k < t->nsets; k++) {
			if (!t->sets[k]->elems_runtime)
				continue;
			sn_buf_reset(&why);
			if (nlk_runtime_elems_prune(rc->s, t, t->sets[k], aff_stale, &actx, &st,
						    &why) < 0)
				rep_warn(rep, "affinity cleanup: ", &why);
		}
	}
	comp_fe_diff_free(&d);
	comp_aff_ctx_free(&actx);
	free(every.v);
	rep->ct_deleted += st.ct_deleted;
	rep->aff_deleted += st.aff_deleted;
	sn_buf_free(&why);
}

/* After a full sync or rc_sync_all without an index: the whole world's
 * frontends, against the previous commit's (RC_CT_CHANGED) or unknown. */
static void after_commit(struct rc *rc, const struct svc_world *w, struct rc_report *rep)
{
	struct comp_frontends all;

	if (rc->ct == RC_CT_OFF)
		return;
	comp_frontends_build(w, rc->o, 0, &all);
	ct_cleanup(rc, rc->ct == RC_CT_CHANGED && rc->have_fronts ? &rc->fronts : NULL, &all,
		   &all, rc->view, rep);
	if (rc->have_fronts)
		comp_frontends_free(&rc->fronts);
	rc->fronts = all;
	rc->have_fronts = rc->ct == RC_CT_CHANGED;
	if (!rc->have_fronts)
		comp_frontends_free(&rc->fronts);
}

/* The generation the kernel moves to when a batch built at genid commits. */
static uint32_t next_genid(uint32_t genid)
{
	return genid + 1 ? genid + 1 : 1;
}

/*
 * Send d at generation genid. The report gets the counts, the batch size
 * and time, and the kernel's refusals.
 */
static enum nlk_send_status send_diff(struct rc *rc, const struct rs_diff *d, uint32_t genid,
				      bool check, struct nlk_result *r, struct rc_report *rep)
{
	struct nlk_batch_opts o = { .check = check, .genid = genid };
	enum nlk_send_status st;
	struct nlk_batch *b;
	struct sn_buf why;

	sn_buf_init(&why);
	test_victim(d, &o);
	rc_test_batch_hooks(&o);
	if (getenv(ENV_TEST_PAUSE))
		usleep((useconds_t)atoi(getenv(ENV_TEST_PAUSE)) * 1000);
	rc_rep_counts(rep, d);
	b = nlk_batch_build(d, &o, &why);
	if (!b) {
		rep_fail(rep, "cannot encode the change: ", &why);
		sn_buf_free(&why);
		return NLK_FAILED;
	}
	if (rc->s) {
		st = nlk_batch_send(rc->s, b, r, &why);
	} else {
		/* dry run: the batch is built, and applied to the in-memory
		 * kernel unless it is a check */
		char *dw = NULL;

		st = NLK_SENT;
		if (rc_dry_refuse(d, &o, r))
			st = NLK_REFUSED;
		else if (!check && rc_dry_apply(rc->dry, d, &dw) < 0) {
			sn_buf_add(&why, dw);
			st = NLK_FAILED;
		}
		free(dw);
	}
	rep->sent = true;
	rep->msgs = r->msgs;
	rep->bytes = r->bytes;
	rep->commit_ms = r->ms;
	switch (st) {
	case NLK_SENT:
		rep->status = RC_APPLIED;
		if (r->lost_acks && !check) {
			/* the generation moved, but maybe by another writer:
			 * never take that for our commit */
			rep_fail_msg(rep, "the kernel's answers were lost (receive buffer full): "
					  "the ruleset will be read again");
			st = NLK_FAILED;
		}
		break;
	case NLK_REFUSED:
		rep->status = RC_REFUSED;
		break;
	case NLK_RESTART:
		if (rep->restarts < SN_ARRAY_SIZE(rep->restart_genids))
			rep->restart_genids[rep->restarts] = genid;
		rep->restarts++;
		break;
	case NLK_FAILED:
		rep_fail(rep, "", &why);
		break;
	}
	nlk_batch_free(b);
	sn_buf_free(&why);
	return st;
}

/*
 * The Services a refused batch was refused for, added to *ex (each with
 * the kernel's reason in rep). False when some refusal has no Service (a
 * common object) or names none that is not excluded already: isolating
 * cannot help then.
 */
static bool isolate_refused(const struct nlk_result *r, char ***ex, size_t *nex, size_t *cap,
			    struct rc_report *rep)
{
	bool grew = false;

	for (size_t i = 0; i < r->nerrs; i++) {
		char *owner = error_owner(&r->errs[i]);
		struct sn_buf why;
		bool known = false;

		if (!owner)
			return false;
		for (size_t k = 0; k < *nex && !known; k++)
			known = !strcmp((*ex)[k], owner);
		if (known) {
			free(owner);
			continue;
		}
		sn_grow(ex, cap, *nex + 1, sizeof(**ex));
		(*ex)[(*nex)++] = owner;
		grew = true;
		sn_buf_init(&why);
		sn_buf_printf(&why, "%s", r->errs[i].what ? r->errs[i].what : "?");
		if (r->errs[i].extack)
			sn_buf_printf(&why, ": %s", r->errs[i].extack);
		sn_buf_printf(&why, ": %s", strerror(r->errs[i].err));
		rc_rep_isolate(rep, owner, why.s);
		sn_buf_free(&why);
	}
	return grew;
}

/* w without the Services named in ex: borrowed from w, free .svcs only. */
static void world_without(const struct svc_world *w, char *const *ex, size_t nex,
			  struct svc_world *out)
{
	*out = *w;
	out->svcs = sn_calloc(w->nsvcs + 1, sizeof(*out->svcs));
	out->nsvcs = 0;
	for (unsigned i = 0; i < w->nsvcs; i++) {
		const struct svc_service *s = &w->svcs[i];
		bool drop = false;

		for (size_t k = 0; k < nex && !drop; k++) {
			size_t nl = strlen(s->ns);

			drop = !strncmp(ex[k], s->ns, nl) && ex[k][nl] == '/' &&
			       !strcmp(ex[k] + nl + 1, s->name);
		}
		if (!drop)
			out->svcs[out->nsvcs++] = *s;
	}
	out->svcs_cap = out->nsvcs;
}

/*
 * want (the compiler's ruleset of w) is committed: make it the view, at
 * genid, with a fresh per-Service index when incremental, and clean up
 * conntrack. old_st: the index before, whose frontends are the previous
 * ones.
 */
static void committed(struct rc *rc, const struct svc_world *w0, struct rs_ruleset *want,
		      uint32_t genid, struct rc_report *rep)
{
	struct rc_state *old_st = rc->st;
	struct rs_ruleset *assembled = NULL;
	const struct svc_world *w = w0;
	struct svc_world ww = { 0 };
	char **iso = NULL;
	char *why = NULL;

	/* the Services isolated were left out of want: of the index too, and
	 * retried by the next rc_sync */
	if (rep->nisolated) {
		iso = sn_calloc(rep->nisolated + 1, sizeof(*iso));
		for (size_t i = 0; i < rep->nisolated; i++)
			iso[i] = rep->isolated[i].service;
		world_without(w0, iso, rep->nisolated, &ww);
		w = &ww;
	}
	rc->st = NULL;
	rs_ruleset_free(rc->view);
	rc->view = want;
	rc->genid = genid;
	if (rc->incremental) {
		double t0 = rc_now_ms();

		comp_shard_plan_from(want, &rc->plan);
		rc->parts_o = *rc->o;
		rc->parts_o.shard_plan = &rc->plan;
		rc->st = rc_state_build(w, &rc->parts_o, want, rc->ct == RC_CT_CHANGED, &assembled,
					&why);
		rep->compile_ms += rc_now_ms() - t0;
		if (rc->st) {
			rs_ruleset_free(rc->view);
			rc->view = assembled;
			rc_state_set_pending(rc->st, (const char *const *)iso, rep->nisolated);
		} else {
			struct sn_buf b = { .s = why };

			rep_warn(rep, "incremental syncs off until the next full sync: ", &b);
			free(why);
		}
	}
	if (rc->ct != RC_CT_OFF && rc->st) {
		struct comp_frontends old = { 0 }, now;

		if (old_st)
			rc_state_frontends(old_st, &old);
		rc_state_frontends(rc->st, &now);
		ct_cleanup(rc, rc->ct == RC_CT_CHANGED && old_st ? &old : NULL, &now, &now,
			   rc->view, rep);
		free(old.v);
		free(now.v);
		if (rc->have_fronts)
			comp_frontends_free(&rc->fronts);
		rc->have_fronts = false;
	} else {
		after_commit(rc, w, rep);
	}
	rc_state_free(old_st);
	free(ww.svcs);
	free(iso);
}

/*
 * Diff want against have (the kernel's, or the view when have_genid is the
 * view's) and send, leaving out Services the kernel refuses when isolating.
 * Returns the send status; *out: the ruleset committed (want, or a
 * recompile without the refused Services), or NULL.
 */
static enum nlk_send_status diff_send(struct rc *rc, const struct svc_world *w,
				      struct rs_ruleset *want, const struct rs_ruleset *have,
				      uint32_t genid, bool check, struct rc_report *rep,
				      struct rs_ruleset **out)
{
	char **ex = NULL;
	size_t nex = 0, cap = 0;
	enum nlk_send_status st = NLK_FAILED;

	*out = NULL;
	for (int round = 0; round <= RC_ISOLATE_ROUNDS; round++) {
		struct nlk_result r = { 0 };
		struct rs_diff d;
		double t0 = rc_now_ms();

		rs_diff(want, have, true, &d);
		rep->diff_ms += rc_now_ms() - t0;
		rep->diffed = true;
		rep->sent = false;
		rep->msgs = rep->bytes = 0;
		rep->commit_ms = 0;
		if (rs_diff_empty(&d)) {
			rs_diff_free(&d);
			rep->status = nex ? RC_ISOLATED : RC_NOTHING;
			*out = want;
			st = NLK_SENT;
			break;
		}
		st = send_diff(rc, &d, genid, check, &r, rep);
		if (st == NLK_REFUSED && rc->isolate && round < RC_ISOLATE_ROUNDS &&
		    isolate_refused(&r, &ex, &nex, &cap, rep)) {
			/* again, without the Services refused so far: they are
			 * left out of this sync (absent if they were new) */
			struct svc_world ww;

			nlk_result_free(&r);
			rs_diff_free(&d);
			world_without(w, ex, nex, &ww);
			rs_ruleset_free(want);
			want = compile(rc, &ww, rep);
			free(ww.svcs);
			if (!want) {
				rep_fail_msg(rep, "the compiler refused the model");
				st = NLK_FAILED;
				break;
			}
			continue;
		}
		if (st == NLK_REFUSED)
			rc_rep_errors(rep, &r);
		if (st == NLK_SENT && nex)
			rep->status = RC_ISOLATED;
		nlk_result_free(&r);
		rs_diff_free(&d);
		if (st == NLK_SENT)
			*out = want;
		break;
	}
	if (!*out)
		rs_ruleset_free(want);
	for (size_t i = 0; i < nex; i++)
		free(ex[i]);
	free(ex);
	return st;
}

/* rc_full_sync's return value for a send status. */
static int full_result(enum nlk_send_status st, const struct rc_report *rep)
{
	if (st == NLK_SENT)
		return rep->status == RC_ISOLATED ? 1 : 0;
	return st == NLK_REFUSED ? 1 : -1;
}

/* ---- syncs ---- */

int rc_full_sync(struct rc *rc, const struct svc_world *w, bool check, struct rc_report *rep)
{
	for (int attempt = 0; attempt < RC_TRIES; attempt++) {
		struct rs_ruleset *have = NULL, *want, *done;
		enum nlk_send_status st;
		uint32_t genid;

		rep->check = check;
		want = compile(rc, w, rep);
		if (!want) {
			rep_fail_msg(rep, "the compiler refused the model");
			return -1;
		}
		if (read_have(rc, want, &have, rep) < 0) {
			rs_ruleset_free(want);
			break;
		}
		genid = have->genid;
		/* have holds svcnft's tables only: one want lacks goes */
		st = diff_send(rc, w, want, have, genid, check, rep, &done);
		rs_ruleset_free(have);
		if (st == NLK_RESTART)
			continue;
		if (st == NLK_SENT && !check)
			committed(rc, w, done, rep->status == RC_NOTHING ? genid : next_genid(genid),
				  rep);
		else
			rs_ruleset_free(done);
		if (st == NLK_FAILED)
			rc_forget(rc);
		return full_result(st, rep);
	}
	if (rep->status != RC_FAILED) {
		char *msg = sn_asprintf("the ruleset kept changing under us (%d tries): nothing "
					"was changed", RC_TRIES);

		rep_fail_msg(rep, msg);
		free(msg);
	}
	rc_forget(rc);
	return -1;
}

int rc_sync_all(struct rc *rc, const struct svc_world *w, struct rc_report *rep)
{
	struct rs_ruleset *want, *done;
	enum nlk_send_status st;

	if (!rc->view)
		return rc_full_sync(rc, w, false, rep);
	want = compile(rc, w, rep);
	if (!want) {
		rep_fail_msg(rep, "the compiler refused the model");
		return -1;
	}
	st = diff_send(rc, w, want, rc->view, rc->genid, false, rep, &done);
	switch (st) {
	case NLK_SENT:
		committed(rc, w, done,
			  rep->status == RC_NOTHING ? rc->genid : next_genid(rc->genid), rep);
		return full_result(st, rep);
	case NLK_REFUSED:
		return 1;
	case NLK_RESTART:
		/* someone else wrote: our view is stale, read the kernel */
		rc_forget(rc);
		return rc_full_sync(rc, w, false, rep);
	case NLK_FAILED:
	default:
		rc_forget(rc);
		return -1;
	}
}

int rc_sync(struct rc *rc, const struct svc_world *w, const char *const *changed, size_t n,
	    struct rc_report *rep)
{
	struct comp_frontends fe_old, fe_new;
	bool done;
	int st;

	if (!rc->view)
		return rc_full_sync(rc, w, false, rep);
	if (!rc->st)
		return rc_sync_all(rc, w, rep);
	st = rc_state_sync(rc->st, rc->s, &rc->parts_o, w, changed, n, rc->view, rc->genid,
			   rc->isolate, rep, &fe_old, &fe_new, &done, rc->dry);
	if (st == RC_INCR_FALLBACK) {
		/* the index cannot take it (a family's table goes): all of it */
		rc_report_free(rep);
		rc_report_init(rep);
		return rc_sync_all(rc, w, rep);
	}
	rep->incremental = true;
	if (done)
		rc->genid = next_genid(rc->genid);
	if (st == NLK_SENT && done && rc->ct == RC_CT_CHANGED)
		ct_cleanup(rc, &fe_old, &fe_new, NULL, rc->view, rep);
	else if (st == NLK_SENT && done && rc->ct == RC_CT_ALL)
		after_commit(rc, w, rep);
	comp_frontends_free(&fe_old);
	free(fe_new.v);
	switch (st) {
	case NLK_SENT:
		return rep->status == RC_ISOLATED ? 1 : 0;
	case NLK_REFUSED:
		return 1;
	case NLK_RESTART:
		rc_forget(rc);
		return rc_full_sync(rc, w, false, rep);
	default:
		rc_forget(rc);
		return -1;
	}
}

int rc_diff(struct rc *rc, const struct svc_world *w, FILE *out, struct rc_report *rep)
{
	struct rs_ruleset *want, *have = NULL;
	struct rs_diff d;
	double t0;
	int ret;

	want = compile(rc, w, rep);
	if (!want) {
		rep_fail_msg(rep, "the compiler refused the model");
		return -1;
	}
	if (read_have(rc, want, &have, rep) < 0) {
		rs_ruleset_free(want);
		return -1;
	}
	t0 = rc_now_ms();
	rs_diff(want, have, true, &d);
	rep->diff_ms = rc_now_ms() - t0;
	rep->diffed = true;
	rc_rep_counts(rep, &d);
	rs_diff_print(out, &d);
	ret = rs_diff_empty(&d) ? 0 : 1;
	rep->status = ret ? RC_APPLIED : RC_NOTHING;
	rs_diff_free(&d);
	rs_ruleset_free(have);
	rs_ruleset_free(want);
	return ret;
}

/* nft delete table ip svcnft; nft delete table ip6 svcnft: one batch, only
 * the tables that exist, nothing else in the namespace. */
int rc_cleanup(struct rc *rc, struct rc_report *rep)
{
	rc_forget(rc);
	for (int attempt = 0; attempt < RC_TRIES; attempt++) {
		struct nlk_read_spec spec = {
			.tables = { { RS_IP, COMP_TABLE }, { RS_IP6, COMP_TABLE } },
			.ntables = 2,
			.tables_only = true,
		};
		struct rs_ruleset *have = NULL;
		enum nlk_send_status st;
		struct sn_buf why;
		struct rs_diff d;
		double t0 = rc_now_ms();

		sn_buf_init(&why);
		if (!rc->s) {
			have = rc_ruleset_copy(rc->dry);
		} else if (nlk_read(rc->s, &spec, &have, &why) < 0) {
			rep_fail(rep, "reading the kernel's ruleset: ", &why);
			sn_buf_free(&why);
			return -1;
		}
		sn_buf_free(&why);
		rep->read_ms = rc_now_ms() - t0;
		rep->read = rep->full = true;
		rep->sent = true;
		rep->msgs = rep->bytes = 0;
		rep->commit_ms = 0;
		rs_diff(NULL, have, true, &d);
		if (rs_diff_empty(&d)) {
			rep->status = RC_NOTHING;
			rs_diff_free(&d);
			rs_ruleset_free(have);
			return 0;
		}
		{
			struct nlk_result r = { 0 };

			st = send_diff(rc, &d, have->genid, false, &r, rep);
			if (st == NLK_REFUSED)
				rc_rep_errors(rep, &r);
			nlk_result_free(&r);
		}
		rs_diff_free(&d);
		rs_ruleset_free(have);
		if (st == NLK_SENT)
			return 0;
		if (st == NLK_REFUSED)
			return 1;
		if (st == NLK_FAILED)
			return -1;
	}
	{
		char *msg = sn_asprintf("the ruleset kept changing under us (%d tries)", RC_TRIES);

		rep_fail_msg(rep, msg);
		free(msg);
	}
	return -1;
}
