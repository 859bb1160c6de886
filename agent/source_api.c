// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * agent/source_api.c: the API server as the agent's source (source.h).
 *
 * Each event's object is decoded by input_decode_object() into a scratch
 * world and moved into the store; a DELETED removes by key. An object the
 * API server took but svcnft cannot read is reported and removed from the
 * store: its old state is no longer what the cluster says, and programming
 * a stale version would be worse than none.
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "agent/source.h"
#include "input/input.h"
#include "kube/client.h"
#include "lib/log.h"

enum { R_SVC, R_SLICE, R_NODE, R_N };

struct ag_source_api {
	struct agent_loop *loop;
	struct kube_client *c;
	struct kube_reflector *r[R_N];
	char *node_sel;
	struct ag_store *st;
	struct ag_source_ops ops;
	bool synced;
};

static const enum ag_kind kind_of[R_N] = { AG_SERVICE, AG_SLICE, AG_NODE };

/* The client's lines: retries and refusals always show, the routine
 * requests at -v 2, bookmarks at -v 4. */
static void on_client_log(void *ctx, const char *line)
{
	if (strstr(line, ": backoff ") || strstr(line, "forbidden") || strstr(line, "401"))
		sn_log_warn("api", "event", line, NULL);
	else if (strstr(line, "relist") || strstr(line, "expired") || strstr(line, "token"))
		sn_log(0, "api", "event", line, NULL);
	else if (strstr(line, "BOOKMARK"))
		sn_log(4, "api", "event", line, NULL);
	else
		sn_log(2, "api", "event", line, NULL);
}

static void report(const struct sn_diag *d)
{
	struct sn_buf b;

	sn_buf_init(&b);
	for (size_t i = 0; i < d->n; i++) {
		if (d->recs[i].sev == SN_NOTE)
			continue;
		sn_buf_reset(&b);
		sn_diag_format(&d->recs[i], &b);
		sn_log_warn("object not programmed", "reason", b.s, NULL);
	}
	sn_buf_free(&b);
}

/* The slice's last-change-trigger-time, for network_programming_duration. */
static void note_trigger(struct ag_source_api *a, const struct svc_slice *sl, const cJSON *obj)
{
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	const cJSON *ann = cJSON_GetObjectItemCaseSensitive(md, "annotations");
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(ann, "endpoints.kubernetes.io/last-change-trigger-time");

	if (cJSON_IsString(t))
		ag_store_trigger(a->st, sl->ns, sl->service, sl->family, t->valuestring);
}

static void put(struct ag_source_api *a, unsigned ri, const struct kube_event *ev)
{
	struct svc_world *scratch = svc_world_alloc();
	struct sn_diag d;
	char *json = cJSON_PrintUnformatted(ev->obj);

	sn_diag_init(&d);
	if (!json || input_decode_object("api", NULL, json, strlen(json), scratch, &d) > 0) {
		report(&d);
		ag_store_del(a->st, kind_of[ri], ev->key);
	} else {
		if (d.warnings)
			report(&d);
		if (ri == R_SLICE && scratch->nslices == 1)
			note_trigger(a, &scratch->slices[0], ev->obj);
		ag_store_put(a->st, scratch, 0);
	}
	free(json);
	svc_world_free(scratch);
	sn_diag_free(&d);
}

static void on_event(void *ctx, struct kube_reflector *r, const struct kube_event *ev)
{
	struct ag_source_api *a = ctx;
	unsigned ri;

	for (ri = 0; ri < R_N && a->r[ri] != r; ri++)
		;
	if (ri == R_N)
		return;
	switch (ev->type) {
	case KUBE_ADDED:
	case KUBE_MODIFIED:
		sn_log(4, "api event", "resource", kube_reflector_name(r), "type",
		       ev->type == KUBE_ADDED ? "ADDED" : "MODIFIED", "key", ev->key, "rv", ev->rv,
		       NULL);
		put(a, ri, ev);
		if (ri == R_NODE && a->ops.node)
			a->ops.node(a->ops.ctx, ev->obj);
		break;
	case KUBE_DELETED:
		sn_log(4, "api event", "resource", kube_reflector_name(r), "type", "DELETED", "key",
		       ev->key, "rv", ev->rv, NULL);
		ag_store_del(a->st, kind_of[ri], ev->key);
		if (ri == R_NODE && a->ops.node)
			a->ops.node(a->ops.ctx, NULL);
		break;
	case KUBE_SYNCED:
		sn_log(2, "listed", "resource", kube_reflector_name(r), "rv", ev->rv, NULL);
		if (!a->synced) {
			for (unsigned i = 0; i < R_N; i++)
				if (!kube_reflector_synced(a->r[i]))
					return;
			a->synced = true;
			sn_logf(0, "api synced", "services=%u endpointslices=%u nodes=%u",
				a->st->w->nsvcs, a->st->w->nslices, a->st->w->nnodes);
			if (a->ops.synced)
				a->ops.synced(a->ops.ctx);
		}
		break;
	}
	if (ev->type != KUBE_SYNCED && a->ops.changed)
		a->ops.changed(a->ops.ctx);
}

struct ag_source_api *ag_source_api_new(struct agent_loop *l, const struct kube_config *cfg,
					const char *node_name, const struct kube_reflector_opts *ro,
					struct ag_store *st, const struct ag_source_ops *ops,
					struct sn_diag *d)
{
	struct ag_source_api *a = sn_calloc(1, sizeof(*a));
	struct kube_reflector_opts o = { 0 }, no;

	a->loop = l;
	a->st = st;
	a->ops = *ops;
	a->c = kube_client_new(l, cfg, d);
	if (!a->c) {
		free(a);
		return NULL;
	}
	kube_client_set_log(a->c, on_client_log, a);
	if (ro)
		o = *ro;
	o.label_selector = KUBE_PROXY_LABEL_SELECTOR;
	o.field_selector = NULL;
	no = o;
	no.label_selector = NULL;
	a->node_sel = sn_asprintf("metadata.name=%s", node_name);
	no.field_selector = a->node_sel;
	a->r[R_SVC] = kube_reflector_new(a->c, &kube_res_services, &o, on_event, a);
	a->r[R_SLICE] = kube_reflector_new(a->c, &kube_res_endpointslices, &o, on_event, a);
	a->r[R_NODE] = kube_reflector_new(a->c, &kube_res_nodes, &no, on_event, a);
	return a;
}

void ag_source_api_start(struct ag_source_api *a)
{
	for (unsigned i = 0; i < R_N; i++)
		kube_reflector_start(a->r[i]);
}

bool ag_source_api_synced(const struct ag_source_api *a)
{
	return a->synced;
}

void ag_source_api_free(struct ag_source_api *a)
{
	if (!a)
		return;
	for (unsigned i = 0; i < R_N; i++)
		kube_reflector_free(a->r[i]);
	kube_client_free(a->c);
	free(a->node_sel);
	free(a);
}
