/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * agent/source.h: where the agent's objects come from, both feeding one
 * ag_store (agent/store.h):
 *
 * - the API server (source_api.c): three reflectors on the agent's loop,
 *   Services and EndpointSlices with kube-proxy's label selector, and this
 *   node's Node by field selector (metadata.name=NODE). Synced once all
 *   three have listed, as kube-proxy waits for its informers.
 * - a manifest directory (source_dir.c, `svcnft run -f DIR`): every
 *   *.yaml, *.yml, *.json file in it, re-read on inotify events. A file that
 *   does not load cleanly (half-written, or any error in it) keeps the
 *   objects it gave before and is tried again later; an unreadable one is
 *   reported and the others still converge. Synced after the first read of
 *   the whole directory.
 *
 * The agent is told of each batch of changes (changed: kick the sync
 * scheduler), of the first complete view (synced), and of this node's Node
 * as JSON when the API gives it (node; NULL when it is gone) for the
 * health checks.
 */
#ifndef SVCNFT_AGENT_SOURCE_H
#define SVCNFT_AGENT_SOURCE_H

#include <stdbool.h>

#include "agent/loop.h"
#include "agent/store.h"
#include "kube/config.h"
#include "kube/reflector.h"

struct cJSON;

struct ag_source_ops {
	void (*changed)(void *ctx);
	void (*synced)(void *ctx);
	void (*node)(void *ctx, const struct cJSON *node);	/* API only; NULL = gone */
	void *ctx;
};

struct ag_source_api;

/* cfg is copied by the client. ro: reflector timings (NULL = client-go's);
 * tests shorten them. NULL with the reason in d. */
struct ag_source_api *ag_source_api_new(struct agent_loop *l, const struct kube_config *cfg,
					const char *node_name, const struct kube_reflector_opts *ro,
					struct ag_store *st, const struct ag_source_ops *ops,
					struct sn_diag *d);
void ag_source_api_start(struct ag_source_api *a);
void ag_source_api_free(struct ag_source_api *a);	/* NULL is a no-op */
bool ag_source_api_synced(const struct ag_source_api *a);

struct ag_source_dir;

/* Reads nothing yet: ag_source_dir_start() does the first full read (and
 * calls synced). NULL with the reason in d (no such directory, inotify). */
struct ag_source_dir *ag_source_dir_new(struct agent_loop *l, const char *dir,
					struct ag_store *st, const struct ag_source_ops *ops,
					struct sn_diag *d);
void ag_source_dir_start(struct ag_source_dir *s);
void ag_source_dir_free(struct ag_source_dir *s);	/* NULL is a no-op */

/* How long a file that failed to load waits before it is read again
 * (doubling up to the cap while it keeps failing); any inotify event on
 * it reads it at once. */
#define AG_DIR_RETRY_MS 500
#define AG_DIR_RETRY_CAP_MS 30000

#endif
