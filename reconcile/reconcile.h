/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * reconcile/reconcile.h: the one path from a service model to the kernel,
 * shared by `svcnft apply|diff|cleanup` and the node agent (`svcnft run`).
 *
 * An rc keeps, between syncs, what it knows the kernel holds (the "view"):
 * the ruleset it last committed, and per Service what that Service put into
 * it. A full sync reads the kernel's svcnft tables and diffs against them; the
 * other syncs diff against the view and send only the difference, without
 * reading the kernel. The batch always carries the generation id the view
 * was taken at, so a change by anyone else in between makes the kernel
 * refuse it (ERESTART): the view is then dropped and the next sync is full.
 *
 * The world given to every call must be prepared (comp_prepare(): sorted,
 * allocated, contested frontends settled). rc never changes it and keeps no
 * pointer into it between calls.
 *
 * Nothing here prints: what happened is in struct rc_report, for the caller
 * to print or log. The CLI's test hooks SVCNFT_TEST_REFUSE_SERVICE and
 * SVCNFT_TEST_PAUSE_MS are read here (see reconcile.c), never set in
 * production.
 */
#ifndef SVCNFT_RECONCILE_H
#define SVCNFT_RECONCILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "compiler/compile.h"
#include "model/model.h"

struct nlk_sock;
struct rc;

/* What a sync did. */
enum rc_status {
	RC_NOTHING,	/* the kernel already held the desired ruleset: nothing sent */
	RC_APPLIED,	/* committed (with check: validated by the kernel, nothing changed) */
	RC_ISOLATED,	/* committed, except some Services the kernel refused: those are left
			 * at their last committed state (or absent), listed in isolated[] */
	RC_REFUSED,	/* the kernel refused the batch: nothing changed (errs says why) */
	RC_FAILED,	/* could not read, encode or send, or the outcome is unknown (lost
			 * ACKs): error says why; the view is dropped, the next sync is full */
};

/* One message the kernel refused, told with its object. */
struct rc_error {
	int err;		/* positive errno */
	char *what;		/* "add element ip svcnft endpoints-2 { ... }" */
	char *extack;		/* the kernel's extended ACK, or NULL */
	char *chain;		/* the chain the message was about, or NULL */
	char *service;		/* "ns/name" that owns the object, or NULL (common objects) */
};

/* A Service the kernel refused and that the rest was committed without. */
struct rc_isolated {
	char *service;		/* "ns/name" */
	char *reason;		/* the kernel's: "add element ...: <extack>: <strerror>" */
};

enum rc_conntrack {
	RC_CT_OFF,		/* no conntrack or affinity cleanup */
	RC_CT_ALL,		/* after each commit, every UDP frontend is looked at (the CLI:
				 * no previous model, comp_frontends_diff(NULL, ...)) */
	RC_CT_CHANGED,		/* only frontends whose endpoints changed since the previous
				 * commit (the agent); the first commit looks at all */
};

struct rc_report {
	enum rc_status status;
	bool check;			/* the sync was a --check: nothing was committed */
	bool full;			/* the kernel was read (full sync, diff, cleanup) */
	/* what the batch did (rs_diff's counts), and its size */
	size_t tables_added, tables_deleted, chains_added, chains_deleted, chains_replaced;
	size_t rules_added, rules_deleted, elems_added, elems_deleted;
	size_t msgs, bytes;
	/* the stages that ran, and how long each took, ms */
	bool read, compiled, diffed, sent;
	double read_ms, compile_ms, diff_ms, commit_ms;
	/* services recompiled by this sync (all of them unless rc_sync) */
	size_t services_compiled;
	bool incremental;		/* rc_sync worked on the named Services only */
	/* ERESTARTs met (another writer moved the generation) and at which
	 * generation each batch was built */
	unsigned restarts;
	uint32_t restart_genids[8];
	struct rc_error *errs;		/* RC_REFUSED, RC_ISOLATED: every message refused */
	size_t nerrs;
	struct rc_isolated *isolated;	/* RC_ISOLATED */
	size_t nisolated;
	char *error;			/* RC_FAILED: why; NULL otherwise */
	char *warnings;			/* non-fatal problems (conntrack cleanup), lines; or NULL */
	/* after a commit: UDP conntrack entries and affinity entries of gone endpoints */
	size_t ct_deleted, aff_deleted;
};

void rc_report_init(struct rc_report *rep);
void rc_report_free(struct rc_report *rep);

/* s and o are borrowed and must outlive the rc. s NULL: a dry run for
 * tests: the kernel is a ruleset in memory (rc_dry_kernel()) that each
 * batch is built (encoded) for and applied to, refused where nf_tables
 * would refuse it (a missing object, a key taken); no conntrack. Defaults: isolation on,
 * conntrack RC_CT_CHANGED (the agent's); the CLI turns both to its own. */
struct rc *rc_new(struct nlk_sock *s, const struct comp_opts *o);
void rc_free(struct rc *rc);
/* Per-Service isolation: when the kernel refuses objects of a Service, send
 * the batch again without that Service's changes (RC_ISOLATED). Off: a
 * refused batch is RC_REFUSED, all or nothing (`svcnft apply`). */
void rc_set_isolate(struct rc *rc, bool on);
void rc_set_conntrack(struct rc *rc, enum rc_conntrack mode);
/* Incremental (the default): after each full sync or rc_sync_all, keep
 * per Service what it put into the view (reconcile/incr.c), so that
 * rc_sync recompiles and diffs only the Services named. Off (the CLI,
 * which syncs once): rc_sync is rc_sync_all. */
void rc_set_incremental(struct rc *rc, bool on);
/* Drop the view: the next sync reads the kernel. */
void rc_forget(struct rc *rc);
/* Is there a view (the last sync succeeded and nothing put it in doubt)? */
bool rc_has_view(const struct rc *rc);

/*
 * Read the kernel's svcnft tables, compile all of w, diff, send (with the
 * generation id read; on ERESTART read and diff again, a few times).
 * On success the view is the desired ruleset. check: the kernel validates
 * the batch and commits nothing (apply --check); the view is left as it
 * was. Used by apply, and by the agent at start and every full-sync period.
 * Returns 0 when the kernel holds the desired ruleset (RC_NOTHING,
 * RC_APPLIED), 1 when the kernel refused something (RC_REFUSED, RC_ISOLATED:
 * the view is what was committed), -1 on RC_FAILED.
 */
int rc_full_sync(struct rc *rc, const struct svc_world *w, bool check, struct rc_report *rep);

/* Everything recompiled and diffed against the view; no kernel read (a
 * Node or option change). A full sync when there is no view. Returns as
 * rc_full_sync. */
int rc_sync_all(struct rc *rc, const struct svc_world *w, struct rc_report *rep);

/*
 * Only the Services named ("ns/name") recompiled and diffed against what they
 * contributed last time: in w = added or changed, absent = deleted. Their
 * EndpointSlices are the ones labelled kubernetes.io/service-name with that
 * name. A name may be given twice, or name a Service that never existed.
 * Services whose frontends depend on a named one (an external IP or VIP two
 * Services claim) are recompiled too. A full sync when there is no view.
 * Returns as rc_full_sync.
 */
int rc_sync(struct rc *rc, const struct svc_world *w, const char *const *changed, size_t n,
	    struct rc_report *rep);

/* `svcnft diff`: read the kernel, compile w, print the change a full sync
 * would make to out. Nothing is sent, the view is not touched. Returns 0
 * (no changes), 1 (changes) or -1 (RC_FAILED, error says why). */
int rc_diff(struct rc *rc, const struct svc_world *w, FILE *out, struct rc_report *rep);

/* `svcnft cleanup`: delete the tables ip svcnft and ip6 svcnft, nothing
 * else, in one batch (RC_NOTHING when neither exists). Drops the view.
 * Returns as rc_full_sync. */
int rc_cleanup(struct rc *rc, struct rc_report *rep);

/* The view as a ruleset (borrowed, valid until the next call on rc), or
 * NULL when there is none: for tests, and for `svcnft run` to show. */
const struct rs_ruleset *rc_view(struct rc *rc);
/* A dry run's kernel: every committed batch applied to it (tests). */
const struct rs_ruleset *rc_dry_kernel(const struct rc *rc);

#endif
