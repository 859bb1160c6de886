/* SPDX-License-Identifier: GPL-2.0-or-later */
/* reconcile/internal.h: shared between reconcile/'s files, not installed. */
#ifndef SVCNFT_RECONCILE_INTERNAL_H
#define SVCNFT_RECONCILE_INTERNAL_H

#include "compiler/frontends.h"
#include "netlink/nlk.h"
#include "reconcile/reconcile.h"

/* ---- a small chained hash map of nodes embedded in their owners ---- */
struct rc_hnode {
	struct rc_hnode *next;
	uint64_t hash;
};

struct rc_hmap {
	struct rc_hnode **b;
	size_t nb, n;
};

void rc_hmap_add(struct rc_hmap *m, struct rc_hnode *n, uint64_t hash);
void rc_hmap_del(struct rc_hmap *m, struct rc_hnode *n);
/* The chain of hash: walk it with rc_hnode.next, comparing hash first. */
struct rc_hnode *rc_hmap_first(const struct rc_hmap *m, uint64_t hash);
void rc_hmap_free(struct rc_hmap *m);

/*
 * The incremental index of the view (incr.c). It exists only when the
 * view was built from per-Service compiles and found equal to the
 * compiler's whole ruleset.
 */
struct rc_state;

void rc_state_free(struct rc_state *st);

/*
 * Build the view of world w as the sum of its parts: each Service compiled
 * alone (its elements, refcounted where Services share one, and the
 * chains and sets only it has), plus the skeleton (common chains and set
 * declarations) of a world of one Service per distinct skeleton. want is
 * the compiler's ruleset of w: the parts must add up to it exactly, or
 * NULL is returned and *why says where they differ (the caller then keeps
 * no index). On success *view is the assembled ruleset (equal to want).
 * fronts: also keep each Service's frontends (conntrack RC_CT_CHANGED).
 */
struct rc_state *rc_state_build(const struct svc_world *w, const struct comp_opts *o,
				const struct rs_ruleset *want, bool fronts,
				struct rs_ruleset **view, char **why);

/* Every frontend of the Services in st, sorted; the array borrows their
 * strings (free only .v). */
void rc_state_frontends(const struct rc_state *st, struct comp_frontends *out);

/*
 * One incremental sync: the Services named (with those that share a
 * contested frontend with them) recompiled, their old and new parts
 * diffed into one batch, sent at genid. On commit the view and the index
 * are updated. Services the kernel refuses are left as they were when
 * isolate (listed in rep). Returns what happened as an nlk_send_status
 * (NLK_SENT for "nothing to do" as well, rep->status says; *committed
 * tells whether a batch went in), or RC_INCR_FALLBACK when the index
 * cannot take this change (the caller then syncs everything). On commit,
 * fe_old holds the previous frontends of the Services recompiled (owned:
 * comp_frontends_free) and fe_new their new ones (borrowed: free only .v).
 */
#define RC_INCR_FALLBACK (-2)
int rc_state_sync(struct rc_state *st, struct nlk_sock *s, const struct comp_opts *o,
		  const struct svc_world *w, const char *const *changed, size_t n,
		  struct rs_ruleset *view, uint32_t genid, bool isolate, struct rc_report *rep,
		  struct comp_frontends *fe_old, struct comp_frontends *fe_new, bool *committed,
		  struct rs_ruleset *dry);

/* Names the last sync isolated: retried by the next one. */
size_t rc_state_pending(const struct rc_state *st, const char *const **names);

/* ---- dry runs (dry.c) ---- */
struct rs_ruleset *rc_ruleset_copy(const struct rs_ruleset *src);
/* Apply d to k as the kernel would; -1 (and why) where it would refuse. */
int rc_dry_apply(struct rs_ruleset *k, const struct rs_diff *d, char **why);

/* ---- shared with reconcile.c ---- */
const char *rc_test_refuse_service(void);
/* The Service an element belongs to by its comment ("ns/name ..."), as a
 * new string, or NULL (no comment: a shared element such as hairpin). */
char *rc_elem_owner(const struct rs_elem *e);
double rc_now_ms(void);
void rc_rep_errors(struct rc_report *rep, const struct nlk_result *r);
void rc_rep_counts(struct rc_report *rep, const struct rs_diff *d);
void rc_rep_isolate(struct rc_report *rep, const char *svc, const char *reason);

#endif
