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

#include "compiler/frontends.h"
#include "netlink/nlk.h"
#include "reconcile/reconcile.h"

/* A concurrent writer (not svcnft: callers lock each other out) changed
 * the ruleset between our read and our batch this many times in a row. */
#define RC_TRIES 4

/* Test hooks for the kernel tier, never set in production: the Service
 * whose objects the batch corrupts so that the kernel refuses them; a pause
 * (ms) between reading the kernel and sending the batch, for another writer
 * to change the ruleset in. */
#define ENV_TEST_REFUSE "SVCNFT_TEST_REFUSE_SERVICE"
#define ENV_TEST_PAUSE "SVCNFT_TEST_PAUSE_MS"

struct rc {
	struct nlk_sock *s;
	const struct comp_opts *o;
	bool isolate;
	enum rc_conntrack ct;
	/* the view: NULL = none, the next sync reads the kernel */
	struct rs_ruleset *view;
	uint32_t genid;		/* the kernel's generation with view in place */
	/* the frontends of the last commit, for RC_CT_CHANGED */
	struct comp_frontends fronts;
	bool have_fronts;
};

static double now_ms(void)
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

static void rep_counts(struct rc_report *rep, const struct rs_diff *d)
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

/* The kernel's refusals, each with the Service that owns its object. */
static void rep_errors(struct rc_report *rep, const struct nlk_result *r)
{
	rep->errs = sn_calloc(r->nerrs + 1, sizeof(*rep->errs));
	for (size_t i = 0; i < r->nerrs; i++) {
		const struct nlk_error *e = &r->errs[i];
		struct rc_error *x = &rep->errs[rep->nerrs++];

		x->err = e->err;
		x->what = sn_strdup(e->what ? e->what : "?");
		x->extack = e->extack ? sn_strdup(e->extack) : NULL;
		x->chain = e->chain ? sn_strdup(e->chain) : NULL;
		x->service = e->chain ? comp_owner_of_chain(e->chain) : NULL;
	}
}

/* ---- the rc ---- */

struct rc *rc_new(struct nlk_sock *s, const struct comp_opts *o)
{
	struct rc *rc = sn_calloc(1, sizeof(*rc));

	rc->s = s;
	rc->o = o;
	rc->isolate = true;
	rc->ct = RC_CT_CHANGED;
	return rc;
}

void rc_forget(struct rc *rc)
{
	rs_ruleset_free(rc->view);
	rc->view = NULL;
	rc->genid = 0;
}

void rc_free(struct rc *rc)
{
	if (!rc)
		return;
	rc_forget(rc);
	if (rc->have_fronts)
		comp_frontends_free(&rc->fronts);
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

const struct rs_ruleset *rc_view(struct rc *rc)
{
	return rc->view;
}

/* ---- stages ---- */

static struct rs_ruleset *compile(struct rc *rc, const struct svc_world *w,
				  struct rc_report *rep)
{
	struct comp_stats st;
	struct rs_ruleset *rs;
	struct sn_diag d;
	double t0 = now_ms();

	sn_diag_init(&d);
	rs = comp_build(w, rc->o, &st, &d);
	sn_diag_free(&d);
	rep->compile_ms += now_ms() - t0;
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
	double t0 = now_ms();
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
	if (nlk_read(rc->s, &spec, have, &why) < 0) {
		rep_fail(rep, "reading the kernel's ruleset: ", &why);
		ret = -1;
	}
	rep->read_ms = now_ms() - t0;
	rep->read = ret == 0;
	rep->full = true;
	sn_buf_free(&why);
	return ret;
}

/* The first chain of the Service named by the test hook that this batch
 * writes rules into. */
static const char *test_refuse_chain(const struct rs_diff *d)
{
	const char *svc = getenv(ENV_TEST_REFUSE);

	for (size_t i = 0; svc && *svc && i < d->n; i++) {
		const struct rs_op *op = &d->ops[i];
		char *owner;
		bool hit;

		if (op->type != RS_OP_ADD_RULES)
			continue;
		owner = comp_owner_of_chain(op->chain->name);
		hit = owner && strcmp(owner, svc) == 0;
		free(owner);
		if (hit)
			return op->chain->name;
	}
	return NULL;
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
	size_t n = 0, neps = 0, k = 0, i, j;
	bool *clean = sn_calloc(all->n + 1, sizeof(*clean));

	*nclean = 0;
	for (i = 0; i < d->n; i++) {
		const struct comp_frontend *fe = d->v[i].fe;

		if (d->v[i].why != COMP_FE_GONE)
			clean[fe - all->v] = true;
	}
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
		f->clean = i >= all->n || clean[i];
		*nclean += f->clean;
		if (i >= all->n)
			continue;	/* gone: nothing to keep */
		f->keep = &(*keep)[k];
		f->nkeep = fe->nkeep;
		for (j = 0; j < fe->nkeep; j++)
			(*keep)[k++] = (struct nlk_ct_ep){ .addr = fe->keep[j].addr,
							   .port = fe->keep[j].port };
	}
	free(clean);
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

/*
 * After a commit: UDP flows and affinity entries pinned to endpoints that
 * are gone. RC_CT_ALL (the CLI, which keeps no previous model) diffs
 * against "unknown": every UDP frontend is looked at, kube-proxy's rule,
 * and a deleted Service, which it cannot name, is found as an address of
 * the service range no frontend has. RC_CT_CHANGED diffs against the
 * frontends of the previous commit: only the frontends that lost
 * endpoints, are new or are gone. A failure here is a warning: it does
 * not undo the commit.
 */
static void after_commit(struct rc *rc, const struct svc_world *w, const struct rs_ruleset *want,
			 struct rc_report *rep)
{
	const struct comp_frontends *old = NULL;
	struct comp_aff_ctx actx = { 0 };
	struct nlk_ct_owned owned[2];
	struct nlk_ct_stats st = { 0 };
	size_t nowned = 0, nclean;
	struct comp_frontends all;
	struct nlk_ct_frontend *ct;
	struct nlk_ct_ep *keep;
	struct comp_fe_diff d;
	struct sn_buf why;
	size_t n;

	if (rc->ct == RC_CT_OFF)
		return;
	sn_buf_init(&why);
	comp_frontends_build(w, rc->o, 0, &all);
	if (rc->ct == RC_CT_CHANGED && rc->have_fronts)
		old = &rc->fronts;
	comp_frontends_diff(old, &all, &d);
	n = ct_frontends(&all, &d, &ct, &keep, &nclean);
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

	actx.fs = &all;
	for (size_t i = 0; want && (!old || aff_may_be_stale(&d)) && i < want->n; i++) {
		const struct rs_table *t = want->tables[i];

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
	if (rc->have_fronts)
		comp_frontends_free(&rc->fronts);
	rc->fronts = all;
	rc->have_fronts = true;
	rep->ct_deleted += st.ct_deleted;
	rep->aff_deleted += st.aff_deleted;
	sn_buf_free(&why);
}

/* The generation the kernel moves to when a batch built at genid commits. */
static uint32_t next_genid(uint32_t genid)
{
	return genid + 1 ? genid + 1 : 1;
}

/*
 * Send d (turning have into want) at generation genid. The report gets the
 * counts, the batch size and time, and the kernel's refusals.
 */
static enum nlk_send_status send_diff(struct rc *rc, const struct rs_diff *d, uint32_t genid,
				      bool check, struct rc_report *rep)
{
	struct nlk_batch_opts o = { .check = check, .genid = genid };
	struct nlk_result r = { 0 };
	enum nlk_send_status st;
	struct nlk_batch *b;
	struct sn_buf why;

	sn_buf_init(&why);
	o.corrupt_chain = test_refuse_chain(d);
	if (getenv(ENV_TEST_PAUSE))
		usleep((useconds_t)atoi(getenv(ENV_TEST_PAUSE)) * 1000);
	rep_counts(rep, d);
	b = nlk_batch_build(d, &o, &why);
	if (!b) {
		rep_fail(rep, "cannot encode the change: ", &why);
		sn_buf_free(&why);
		return NLK_FAILED;
	}
	st = nlk_batch_send(rc->s, b, &r, &why);
	rep->sent = true;
	rep->msgs = r.msgs;
	rep->bytes = r.bytes;
	rep->commit_ms = r.ms;
	switch (st) {
	case NLK_SENT:
		rep->status = RC_APPLIED;
		if (r.lost_acks && !check) {
			/* the generation moved, but maybe by another writer:
			 * never take that for our commit */
			rep_fail_msg(rep, "the kernel's answers were lost (receive buffer full): "
					  "the ruleset will be read again");
			st = NLK_FAILED;
		}
		break;
	case NLK_REFUSED:
		rep->status = RC_REFUSED;
		rep_errors(rep, &r);
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
	nlk_result_free(&r);
	nlk_batch_free(b);
	sn_buf_free(&why);
	return st;
}

/* want is now what the kernel holds: it becomes the view. */
static void take_view(struct rc *rc, struct rs_ruleset *want, uint32_t genid)
{
	rc_forget(rc);
	rc->view = want;
	rc->genid = genid;
}

/* ---- syncs ---- */

int rc_full_sync(struct rc *rc, const struct svc_world *w, bool check, struct rc_report *rep)
{
	struct rs_ruleset *want;

	rep->check = check;
	want = compile(rc, w, rep);
	if (!want) {
		rep_fail_msg(rep, "the compiler refused the model");
		return -1;
	}
	for (int attempt = 0; attempt < RC_TRIES; attempt++) {
		struct rs_ruleset *have = NULL;
		enum nlk_send_status st;
		struct rs_diff d;
		double t0;

		if (read_have(rc, want, &have, rep) < 0)
			break;
		/* have holds svcnft's tables only: one want lacks goes */
		t0 = now_ms();
		rs_diff(want, have, true, &d);
		rep->diff_ms = now_ms() - t0;
		rep->diffed = true;
		rep->sent = false;
		rep->msgs = rep->bytes = 0;
		rep->commit_ms = 0;
		if (rs_diff_empty(&d)) {
			rep->status = RC_NOTHING;
			rs_diff_free(&d);
			if (!check) {
				take_view(rc, want, have->genid);
				want = NULL;
			}
			rs_ruleset_free(have);
			rs_ruleset_free(want);
			return 0;
		}
		st = send_diff(rc, &d, have->genid, check, rep);
		rs_diff_free(&d);
		if (st == NLK_SENT && !check) {
			take_view(rc, want, next_genid(have->genid));
			want = NULL;
			rs_ruleset_free(have);
			after_commit(rc, w, rc->view, rep);
			return 0;
		}
		rs_ruleset_free(have);
		if (st == NLK_SENT) {
			rs_ruleset_free(want);
			return 0;
		}
		if (st == NLK_REFUSED) {
			rs_ruleset_free(want);
			return 1;
		}
		if (st == NLK_FAILED)
			break;
	}
	if (rep->status != RC_FAILED) {
		char *msg = sn_asprintf("the ruleset kept changing under us (%d tries): nothing "
					"was changed", RC_TRIES);

		rep_fail_msg(rep, msg);
		free(msg);
	}
	rc_forget(rc);
	rs_ruleset_free(want);
	return -1;
}

int rc_sync_all(struct rc *rc, const struct svc_world *w, struct rc_report *rep)
{
	struct rs_ruleset *want;
	enum nlk_send_status st;
	struct rs_diff d;
	double t0;

	if (!rc->view)
		return rc_full_sync(rc, w, false, rep);
	want = compile(rc, w, rep);
	if (!want) {
		rep_fail_msg(rep, "the compiler refused the model");
		return -1;
	}
	t0 = now_ms();
	rs_diff(want, rc->view, true, &d);
	rep->diff_ms = now_ms() - t0;
	rep->diffed = true;
	if (rs_diff_empty(&d)) {
		rep->status = RC_NOTHING;
		rs_diff_free(&d);
		rs_ruleset_free(want);
		return 0;
	}
	st = send_diff(rc, &d, rc->genid, false, rep);
	rs_diff_free(&d);
	switch (st) {
	case NLK_SENT:
		take_view(rc, want, next_genid(rc->genid));
		after_commit(rc, w, rc->view, rep);
		return 0;
	case NLK_REFUSED:
		rs_ruleset_free(want);
		return 1;
	case NLK_RESTART:
		/* someone else wrote: our view is stale, read the kernel */
		rs_ruleset_free(want);
		rc_forget(rc);
		return rc_full_sync(rc, w, false, rep);
	case NLK_FAILED:
	default:
		rs_ruleset_free(want);
		rc_forget(rc);
		return -1;
	}
}

int rc_sync(struct rc *rc, const struct svc_world *w, const char *const *changed, size_t n,
	    struct rc_report *rep)
{
	return rc_sync_all(rc, w, rep);
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
	t0 = now_ms();
	rs_diff(want, have, true, &d);
	rep->diff_ms = now_ms() - t0;
	rep->diffed = true;
	rep_counts(rep, &d);
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
		double t0 = now_ms();

		sn_buf_init(&why);
		if (nlk_read(rc->s, &spec, &have, &why) < 0) {
			rep_fail(rep, "reading the kernel's ruleset: ", &why);
			sn_buf_free(&why);
			return -1;
		}
		sn_buf_free(&why);
		rep->read_ms = now_ms() - t0;
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
		st = send_diff(rc, &d, have->genid, false, rep);
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
