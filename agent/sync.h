/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * agent/sync.h: when the agent syncs, kube-proxy's contract
 * (BoundedFrequencyRunner in pkg/proxy: minSyncPeriod, syncPeriod as the
 * retry interval, FullSyncPeriod):
 *
 * - nothing runs before ag_sched_ready() (every source listed);
 * - the first sync is a full one (it reads the kernel: a restart finds the
 *   rules in place and changes nothing);
 * - changes (ag_sched_kick) are coalesced: two syncs start at least
 *   min_ms apart (0 = each change syncs at once, in the loop's next turn);
 * - a sync that fails (the kernel refused, or the batch's fate is unknown)
 *   makes the next one full and schedules it retry_ms later (a change
 *   before then runs it sooner, as kube-proxy does);
 * - a full sync every full_ms re-reads the kernel and repairs drift.
 *
 * The run callback does the work; it returns 0 on success, -1 on failure.
 */
#ifndef SVCNFT_AGENT_SYNC_H
#define SVCNFT_AGENT_SYNC_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/loop.h"

enum ag_sync_kind {
	AG_SYNC_FULL,		/* read the kernel, compile all, diff, send */
	AG_SYNC_INCREMENTAL,	/* what changed since the last sync */
};

typedef int ag_sync_fn(void *ctx, enum ag_sync_kind kind);

struct ag_sched {
	struct agent_loop *loop;
	struct agent_timer *run_timer, *full_timer;
	uint64_t min_ms, retry_ms, full_ms;
	ag_sync_fn *fn;
	void *ctx;
	bool ready, need_full, pending, running;
	uint64_t last_start;	/* monotonic ms; 0 = never */
	uint64_t due;		/* when the pending sync runs */
	/* counters for tests and metrics */
	unsigned runs, full_runs, failures;
};

struct ag_sched *ag_sched_new(struct agent_loop *l, uint64_t min_ms, uint64_t retry_ms,
			      uint64_t full_ms, ag_sync_fn *fn, void *ctx);
void ag_sched_free(struct ag_sched *s);	/* NULL is a no-op */

void ag_sched_ready(struct ag_sched *s);
void ag_sched_kick(struct ag_sched *s);
/* Make the next sync a full one, and schedule it like a change. */
void ag_sched_full(struct ag_sched *s);
/* New periods (SIGHUP); they apply from the next scheduling on. */
void ag_sched_set_periods(struct ag_sched *s, uint64_t min_ms, uint64_t retry_ms,
			  uint64_t full_ms);

#endif
