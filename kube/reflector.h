/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kube/reflector.h: one resource kept in step with the API server, the way
 * client-go's reflector does it: LIST in pages (limit/continue, RV unset),
 * then WATCH from the list's resourceVersion with bookmarks and a random
 * timeout; the RV of every event (bookmarks too) is kept; 410/Expired/Gone
 * and "too large resource version" relist, a clean end re-watches, errors
 * back off (0.8 s doubling to 30 s, jitter, reset after 2 min), a 401
 * re-reads the token.
 *
 * The caller gets ADDED/MODIFIED/DELETED per object and SYNCED after each
 * complete list. A (re)list is delivered as the difference between the
 * reflector's store and the new snapshot: objects new or changed (by RV)
 * as ADDED/MODIFIED, objects gone as DELETED, then SYNCED: after SYNCED the
 * caller's view equals the list snapshot ("replace all"), and a relist
 * that finds nothing new costs nothing downstream.
 *
 * The store keeps namespace/name and resourceVersion only, never the
 * objects (the caller decodes and keeps what it needs): a DELETED found by
 * a relist carries a stub object with kind, apiVersion and metadata
 * (namespace, name, resourceVersion).
 *
 * Ownership: event objects are borrowed for the callback. The callback
 * runs inside libcurl's callbacks: it must not free the reflector or its
 * client.
 */
#ifndef SVCNFT_KUBE_REFLECTOR_H
#define SVCNFT_KUBE_REFLECTOR_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "kube/client.h"

struct kube_resource {
	const char *name;	/* "services": used in logs and events */
	const char *path;	/* collection URL */
	const char *kind;	/* "Service": list items get it back */
	const char *api_version;
};

extern const struct kube_resource kube_res_services;
extern const struct kube_resource kube_res_endpointslices;
extern const struct kube_resource kube_res_nodes;

/* kube-proxy's informers: Services and EndpointSlices not handled by
 * another proxy, and not headless. */
#define KUBE_PROXY_LABEL_SELECTOR \
	"!service.kubernetes.io/service-proxy-name,!service.kubernetes.io/headless"

struct kube_reflector_opts {
	const char *label_selector;	/* NULL = none */
	const char *field_selector;	/* "metadata.name=node1" */
	unsigned page_size;		/* 0 = 500 (client-go's pager) */
	/* 0 = client-go's values; tests may shorten them. */
	unsigned backoff_initial_ms;	/* 800 */
	unsigned backoff_cap_ms;	/* 30000 */
	unsigned backoff_reset_ms;	/* 120000 */
	unsigned watch_timeout_min_s;	/* 300: timeoutSeconds in [min, 2*min) */
};

enum kube_event_type {
	KUBE_ADDED,
	KUBE_MODIFIED,
	KUBE_DELETED,
	KUBE_SYNCED,	/* a list finished: obj is NULL, rv the list's */
};

struct kube_event {
	enum kube_event_type type;
	const char *key;	/* "namespace/name", or "name" for cluster objects */
	const cJSON *obj;	/* with kind and apiVersion */
	const char *rv;
	bool from_list;		/* found by a (re)list rather than the watch */
};

struct kube_reflector;
typedef void kube_event_fn(void *ctx, struct kube_reflector *r, const struct kube_event *ev);

struct kube_reflector *kube_reflector_new(struct kube_client *c, const struct kube_resource *res,
					  const struct kube_reflector_opts *o, kube_event_fn *fn,
					  void *ctx);
void kube_reflector_start(struct kube_reflector *r);
void kube_reflector_free(struct kube_reflector *r);	/* NULL is a no-op */

const char *kube_reflector_name(const struct kube_reflector *r);
const char *kube_reflector_rv(const struct kube_reflector *r);	/* "" before the first list */
bool kube_reflector_synced(const struct kube_reflector *r);	/* listed at least once */
size_t kube_reflector_count(const struct kube_reflector *r);	/* objects in the store */

/* Backoff as client-go's ExponentialBackoffManager: wait in [d, 2d) with d
 * starting at initial and doubling to cap; d starts over when the last
 * backoff began more than reset ago. Exposed for tests. */
struct kube_backoff {
	uint64_t initial_ms, cap_ms, reset_ms;
	uint64_t dur_ms;	/* d for the next wait */
	uint64_t last_ms;	/* when the last wait began; 0 = never */
};
void kube_backoff_init(struct kube_backoff *b, uint64_t initial_ms, uint64_t cap_ms,
		       uint64_t reset_ms);
uint64_t kube_backoff_next(struct kube_backoff *b, uint64_t now_ms, double rnd01);

#endif
