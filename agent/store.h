/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * agent/store.h: the agent's one svc_world, fed by its sources (the API's
 * reflectors or a manifest directory), with an index by namespace/name per
 * kind and the set of Services changed since the last sync ("dirty").
 *
 * Every change marks the Service it belongs to: a Service itself, an
 * EndpointSlice the Service its kubernetes.io/service-name label names
 * (before and after the change, should the label move). A change of this
 * node's Node sets node_changed instead (the zone and addresses feed every
 * Service: the sync recompiles all).
 *
 * Objects carry an owner id: 0 for the API, a file's id in directory mode,
 * so that re-reading a file replaces exactly what that file gave.
 *
 * Ownership: the store owns its world and every object in it; objects put
 * in are moved out of the caller's scratch world (which is left empty).
 * Object locations (loc.file) are re-pointed at names the store interns:
 * the sn_diag the scratch objects were decoded with may be freed after the
 * put, not before.
 */
#ifndef SVCNFT_AGENT_STORE_H
#define SVCNFT_AGENT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/strmap.h"
#include "lib/sn.h"
#include "model/model.h"

enum ag_kind { AG_SERVICE, AG_SLICE, AG_NODE, AG_NKINDS };

/* An EndpointSlice change's endpoints.kubernetes.io/last-change-trigger-time,
 * waiting for the sync that commits it (kube-proxy's lastChangeTriggerTimes,
 * behind kubeproxy_network_programming_duration_seconds). */
struct ag_trigger {
	char *svc;		/* "ns/name" of the slice's Service */
	uint8_t family;		/* the slice's SN_AF_* */
	int64_t wall_ns;	/* the annotation, ns since the epoch */
};

struct ag_store {
	struct svc_world *w;
	struct strmap idx[AG_NKINDS];	/* key -> index in w's array of that kind */
	struct strmap owner[AG_NKINDS];	/* key -> owner id (comp_prepare reorders w) */
	char *node_name;		/* this node (NULL: any Node counts) */

	struct strmap dirty;		/* "ns/name" of Services changed since the last take */
	bool node_changed;
	bool prepared;			/* comp_prepare ran, and no Service changed since */
	bool slices_unsorted;		/* a slice came, went or moved since the last sort */
	unsigned svc_changes, ep_changes;	/* pending, for kube-proxy's *_changes_pending */
	uint64_t first_change_ms;	/* monotonic ms of the oldest pending change; 0 = none */
	uint64_t last_change_ms;	/* of the newest */

	struct sn_diag names;		/* interns loc.file of stored objects; holds no records */

	/* trigger times not yet committed: kept across failed syncs, dropped
	 * with the Service's slice deletion (see ag_store_trigger) */
	struct ag_trigger *triggers;
	size_t ntriggers, triggers_cap;
	int64_t start_wall_ns;		/* ag_store_init's wall clock */
};

void ag_store_init(struct ag_store *s, const char *node_name);
void ag_store_free(struct ag_store *s);

/* Move every object of scratch into the store, replacing objects of the same
 * kind and key (whoever owned them). Returns how many were put. */
unsigned ag_store_put(struct ag_store *s, struct svc_world *scratch, uint32_t owner);
/* The same, then delete the objects owner had that scratch did not hold
 * (a file re-read). */
unsigned ag_store_replace(struct ag_store *s, struct svc_world *scratch, uint32_t owner);
/* Delete one object; false when it was not there. */
bool ag_store_del(struct ag_store *s, enum ag_kind kind, const char *key);

/* Index of the object, or -1. */
long ag_store_find(const struct ag_store *s, enum ag_kind kind, const char *key);
/* The key of object i of a kind into buf (AG_KEY_MAX). */
#define AG_KEY_MAX 600
const char *ag_store_key(const struct ag_store *s, enum ag_kind kind, unsigned i, char *buf);

/* comp_prepare() the world for a sync (it sorts w and removes invalid
 * Services, reported to d), then rebuild the index. Frontends lost to
 * another Service are cleared first: prepare appends them afresh.
 * Skipped when no Service changed since the last prepare: what prepare
 * decides (families, allocations, contested frontends, invalid Services)
 * depends on the Services alone; only the EndpointSlices' order matters
 * to the compiler (comp_slices_for() finds a Service's slices by binary
 * search), and that sort alone is redone when a slice came, went or moved.
 * So endpoint churn costs no whole-world pass. Returns comp_prepare's
 * error count (0 when skipped). */
struct comp_opts;
int ag_store_prepare(struct ag_store *s, const struct comp_opts *o, struct sn_diag *d);

/* Does a change wait for a sync? */
bool ag_store_pending(const struct ag_store *s);
/* Hand over the dirty Service keys (sorted, caller frees each and the
 * array), clear them and node_changed, and reset the pending counters. */
char **ag_store_take_dirty(struct ag_store *s, size_t *n);

/* RFC 3339 text (Go's time.RFC3339 / RFC3339Nano: "2006-01-02T15:04:05Z",
 * fraction and numeric offset optional) to ns since the epoch; -1 when it
 * is not that. */
int ag_rfc3339_ns(const char *text, int64_t *out);

/* Note an EndpointSlice change's last-change-trigger-time annotation
 * (text; NULL or invalid is ignored, as kube-proxy does, and so is a time
 * not after the store started: the initial list would otherwise report
 * the age of every slice). Deleting a slice drops its Service's pending
 * times: the annotation of a deleted slice tells when it last changed,
 * not when it went (kube-proxy does the same). Returns whether it was
 * kept. */
bool ag_store_trigger(struct ag_store *s, const char *ns, const char *svc, uint8_t family,
		      const char *text);
/* Forget the trigger times: their changes are committed. */
void ag_store_clear_triggers(struct ag_store *s);

/* Forget what is pending (a full sync covers everything). */
void ag_store_clear_dirty(struct ag_store *s);

#endif
