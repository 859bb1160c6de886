// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * agent/sync.c: see sync.h.
 */
#include "agent/sync.h"

#include <stdlib.h>

#include "lib/sn.h"

static void schedule(struct ag_sched *s, uint64_t not_before_ms)
{
	uint64_t now = agent_now_ms(), at = now;

	if (!s->ready)
		return;
	if (s->last_start && s->last_start + s->min_ms > at)
		at = s->last_start + s->min_ms;
	if (not_before_ms > at)
		at = not_before_ms;
	/* an earlier deadline already set stands */
	if (s->pending && agent_timer_armed(s->run_timer) && s->due <= at)
		return;
	s->pending = true;
	s->due = at;
	agent_timer_arm(s->run_timer, at - now);
}

static void on_run(void *ctx)
{
	struct ag_sched *s = ctx;
	enum ag_sync_kind kind = s->need_full ? AG_SYNC_FULL : AG_SYNC_INCREMENTAL;
	int rc;

	s->pending = false;
	s->last_start = agent_now_ms();
	s->running = true;
	rc = s->fn(s->ctx, kind);
	s->running = false;
	s->runs++;
	if (kind == AG_SYNC_FULL)
		s->full_runs++;
	if (rc < 0) {
		s->failures++;
		s->need_full = true;
		s->pending = false;
		agent_timer_disarm(s->run_timer);
		schedule(s, agent_now_ms() + s->retry_ms);
		return;
	}
	if (kind == AG_SYNC_FULL) {
		s->need_full = false;
		if (s->full_ms)
			agent_timer_arm(s->full_timer, s->full_ms);
	}
}

static void on_full(void *ctx)
{
	ag_sched_full(ctx);
}

struct ag_sched *ag_sched_new(struct agent_loop *l, uint64_t min_ms, uint64_t retry_ms,
			      uint64_t full_ms, ag_sync_fn *fn, void *ctx)
{
	struct ag_sched *s = sn_calloc(1, sizeof(*s));

	s->loop = l;
	s->min_ms = min_ms;
	s->retry_ms = retry_ms;
	s->full_ms = full_ms;
	s->fn = fn;
	s->ctx = ctx;
	s->need_full = true;	/* the first sync reads the kernel */
	s->run_timer = agent_timer_new(l, on_run, s);
	s->full_timer = agent_timer_new(l, on_full, s);
	return s;
}

void ag_sched_free(struct ag_sched *s)
{
	if (!s)
		return;
	agent_timer_free(s->run_timer);
	agent_timer_free(s->full_timer);
	free(s);
}

void ag_sched_ready(struct ag_sched *s)
{
	if (s->ready)
		return;
	s->ready = true;
	schedule(s, 0);
}

void ag_sched_kick(struct ag_sched *s)
{
	schedule(s, 0);
}

void ag_sched_full(struct ag_sched *s)
{
	s->need_full = true;
	schedule(s, 0);
}

void ag_sched_set_periods(struct ag_sched *s, uint64_t min_ms, uint64_t retry_ms,
			  uint64_t full_ms)
{
	s->min_ms = min_ms;
	s->retry_ms = retry_ms;
	if (full_ms != s->full_ms) {
		s->full_ms = full_ms;
		if (full_ms)
			agent_timer_arm(s->full_timer, full_ms);
		else
			agent_timer_disarm(s->full_timer);
	}
}
