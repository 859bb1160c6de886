// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * agent/agent.c: `svcnft run`, the node agent: one event loop (agent/loop)
 * holding a source (the API's reflectors, or -f DIR), the store of objects
 * they fill (agent/store), the sync scheduler (agent/sync), the reconcile
 * core that programs the kernel (reconcile/), and the HTTP surface
 * (/healthz, /livez, /metrics, healthCheckNodePort servers).
 *
 * One sync: prepare the world (comp_prepare: sorted, contested frontends
 * settled), then
 *  - full (the first, after a failure, hourly): rc_full_sync reads the
 *    kernel, so a restart that finds its rules in place sends nothing;
 *  - a change of this node's Node: rc_sync_all (topology and node IPs feed
 *    every Service);
 *  - otherwise rc_sync of the Services marked since the last sync.
 * Then health, metrics, the healthCheckNodePort servers, and one log line.
 *
 * A Service the kernel refuses is isolated by the core (the rest is
 * committed): reported, counted as a sync failure, and retried with a full
 * sync after --sync-period; the node stays healthy, since every other
 * Service is current. A batch refused whole, or one whose fate is unknown,
 * leaves health un-updated (it turns 503 after 2 x --sync-period if
 * changes stay queued, as kube-proxy) and is retried the same way.
 *
 * SIGTERM and SIGINT end the loop and leave the rules in place (exit 0).
 * The API server unreachable: the reflectors back off, nothing syncs,
 * the rules stay.
 */
#include <ctype.h>
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <netinet/in.h>

#include "agent/agent.h"
#include "agent/hcnp.h"
#include "agent/health.h"
#include "agent/http.h"
#include "agent/loop.h"
#include "agent/metrics.h"
#include "agent/source.h"
#include "agent/store.h"
#include "agent/strmap.h"
#include "agent/sync.h"
#include "kube/config.h"
#include "lib/log.h"
#include "netlink/nlk.h"
#include "reconcile/reconcile.h"

/* kube-proxy retries a failed Listen every 5 s (wait.Until in serveHealthz). */
#define AGENT_BIND_RETRY_MS 5000

/* Test hooks, never set in production: reflector timings shortened so the
 * fault tests run in seconds ("initial,cap" backoff ms; the watch timeout
 * minimum in s). */
#define ENV_TEST_BACKOFF "SVCNFT_TEST_BACKOFF_MS"
#define ENV_TEST_WATCH_TIMEOUT "SVCNFT_TEST_WATCH_TIMEOUT_S"

struct agent {
	struct agent_opts *o;
	struct agent_loop *loop;
	struct ag_store st;
	struct ag_source_api *api;
	struct ag_source_dir *dir;
	struct ag_sched *sched;
	struct nlk_sock *nl;
	struct rc *rc;

	struct health *health;
	struct agent_metrics m;
	struct metric *ev_latency;	/* svcnft_event_to_commit_seconds */
	struct metric *syncs_total;	/* svcnft_syncs_total{kind} */
	struct http_surface sf;
	struct http_server *healthz, *metrics;
	struct agent_timer *bind_retry;
	struct hcnp *hcnp;
	bool hcnp_failed;	/* a listener failed: retried at the next sync */

	int fams[2];
	const char *fam_names[2];
	unsigned nfams;
	bool primary_warned;
};

static const char *fam_name(int f)
{
	return f == SN_AF_INET6 ? "IPv6" : "IPv4";
}

static void set_families(struct agent *a)
{
	const struct comp_opts *c = &a->o->comp;

	a->nfams = 0;
	for (unsigned i = 0; i < c->nservice_cidrs && i < 2; i++) {
		int f = c->service_cidrs[i].family;

		if (!a->nfams || a->fams[0] != f)
			a->fams[a->nfams++] = f;
	}
	if (!a->nfams) {
		/* no range given: judge both, they sync together */
		a->fams[a->nfams++] = SN_AF_INET;
		a->fams[a->nfams++] = SN_AF_INET6;
	}
	for (unsigned i = 0; i < a->nfams; i++)
		a->fam_names[i] = fam_name(a->fams[i]);
}

static double wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The resident set now, MB (/proc/self/statm), for the sync log line. */
static double rss_mb(void)
{
	unsigned long size, res;
	FILE *f = fopen("/proc/self/statm", "r");
	int n;

	if (!f)
		return 0;
	n = fscanf(f, "%lu %lu", &size, &res);
	fclose(f);
	return n == 2 ? (double)res * (double)sysconf(_SC_PAGESIZE) / 1048576.0 : 0;
}

/* ---- healthCheckNodePort servers and the no-local-endpoint gauges ---- */

struct local_count {
	unsigned svc;		/* index in w->svcs */
	unsigned ready;		/* ready endpoints on this node */
};

static void after_sync_services(struct agent *a)
{
	const struct svc_world *w = a->st.w;
	const char *me = a->o->comp.node_name;
	struct local_count *lc = sn_calloc(w->nsvcs + 1, sizeof(*lc));
	struct hcnp_service *hs = sn_calloc(w->nsvcs + 1, sizeof(*hs));
	struct strmap idx;
	char key[AG_KEY_MAX];
	unsigned n = 0, nhs = 0, no_local_ext = 0, no_local_int = 0;
	struct sn_diag d;

	strmap_init(&idx);
	for (unsigned i = 0; i < w->nsvcs; i++) {
		const struct svc_service *s = &w->svcs[i];

		if (s->skip_reason || !(s->etp_local || s->itp_local))
			continue;
		lc[n].svc = i;
		snprintf(key, sizeof(key), "%s/%s", s->ns, s->name);
		strmap_set(&idx, key, n);
		n++;
	}
	for (unsigned i = 0; n && i < w->nslices; i++) {
		const struct svc_slice *sl = &w->slices[i];
		uintptr_t k;

		if (!sl->service)
			continue;
		snprintf(key, sizeof(key), "%s/%s", sl->ns, sl->service);
		if (!strmap_get(&idx, key, &k))
			continue;
		for (unsigned j = 0; j < sl->neps; j++)
			if (sl->eps[j].ready && sl->eps[j].node_name && me &&
			    !strcmp(sl->eps[j].node_name, me))
				lc[k].ready++;
	}
	for (unsigned i = 0; i < n; i++) {
		const struct svc_service *s = &w->svcs[lc[i].svc];
		bool external = s->etp_local &&
				(s->type == SVC_NODE_PORT || s->type == SVC_LOAD_BALANCER);

		if (external && !lc[i].ready)
			no_local_ext++;
		if (s->itp_local && !lc[i].ready)
			no_local_int++;
		if (external && s->type == SVC_LOAD_BALANCER && s->health_check_node_port)
			hs[nhs++] = (struct hcnp_service){ .ns = s->ns, .name = s->name,
							   .port = s->health_check_node_port,
							   .local_endpoints = lc[i].ready };
	}
	for (unsigned f = 0; f < a->nfams; f++) {
		metric_set(a->m.no_local_endpoints, no_local_ext, a->fam_names[f], "external");
		metric_set(a->m.no_local_endpoints, no_local_int, a->fam_names[f], "internal");
	}
	sn_diag_init(&d);
	a->hcnp_failed = hcnp_sync(a->hcnp, hs, nhs, &d) > 0;
	for (size_t i = 0; i < d.n; i++) {
		struct sn_buf b;

		sn_buf_init(&b);
		sn_diag_format(&d.recs[i], &b);
		sn_log_warn("healthCheckNodePort server not started (retried at the next sync)",
			    "reason", b.s, NULL);
		sn_buf_free(&b);
	}
	sn_diag_free(&d);
	strmap_free(&idx);
	free(lc);
	free(hs);
}

/* ---- one sync ---- */

static void log_prepare(const struct sn_diag *d, bool all, char **dirty, size_t ndirty)
{
	struct sn_buf b;

	sn_buf_init(&b);
	for (size_t i = 0; i < d->n; i++) {
		const struct sn_diag_rec *r = &d->recs[i];
		bool mine = all;

		if (r->sev == SN_NOTE)
			continue;
		/* each sync prepares the whole world: say a problem loudly when
		 * its object just changed (or on a full sync), quietly after */
		for (size_t k = 0; !mine && k < ndirty; k++) {
			const char *o = r->object ? strchr(r->object, ' ') : NULL;

			mine = o && !strncmp(o + 1, dirty[k], strlen(dirty[k])) &&
			       (o[1 + strlen(dirty[k])] == 0 || o[1 + strlen(dirty[k])] == ' ');
		}
		sn_buf_reset(&b);
		sn_diag_format(r, &b);
		if (mine)
			sn_log_warn("not programmed", "reason", b.s, NULL);
		else
			sn_log(2, "not programmed", "reason", b.s, NULL);
	}
	sn_buf_free(&b);
}

static const char *status_name(enum rc_status s)
{
	switch (s) {
	case RC_NOTHING: return "nothing";
	case RC_APPLIED: return "applied";
	case RC_ISOLATED: return "isolated";
	case RC_REFUSED: return "refused";
	default: return "failed";
	}
}

static int do_sync(void *ctx, enum ag_sync_kind kind)
{
	struct agent *a = ctx;
	struct agent_opts *o = a->o;
	uint64_t t0 = agent_now_ms(), first = a->st.first_change_ms, last = a->st.last_change_ms;
	unsigned svc_changes = a->st.svc_changes, ep_changes = a->st.ep_changes;
	bool node_changed = a->st.node_changed;
	const char *what;
	struct rc_report rep;
	struct sn_diag d;
	size_t ndirty;
	char **dirty;
	double secs, prepare_ms, post_ms;
	uint64_t t1;
	int ret, rc;

	dirty = ag_store_take_dirty(&a->st, &ndirty);
	if (kind == AG_SYNC_INCREMENTAL && !ndirty && !node_changed) {
		for (size_t i = 0; i < ndirty; i++)
			free(dirty[i]);
		free(dirty);
		return 0;
	}
	sn_diag_init(&d);
	if (comp_resolve_nodeport_primary(a->st.w, &o->comp, &d) > 0 && !a->primary_warned) {
		a->primary_warned = true;	/* once: it is a matter of options */
		log_prepare(&d, true, NULL, 0);
	}
	sn_diag_free(&d);
	sn_diag_init(&d);
	ag_store_prepare(&a->st, &o->comp, &d);
	log_prepare(&d, kind == AG_SYNC_FULL, dirty, ndirty);
	sn_diag_free(&d);
	prepare_ms = (double)(agent_now_ms() - t0);

	rc_report_init(&rep);
	if (kind == AG_SYNC_FULL) {
		what = "full";
		rc = rc_full_sync(a->rc, a->st.w, false, &rep);
	} else if (node_changed) {
		what = "all";
		rc = rc_sync_all(a->rc, a->st.w, &rep);
	} else {
		what = "partial";
		rc = rc_sync(a->rc, a->st.w, (const char *const *)dirty, ndirty, &rep);
	}
	secs = (double)(agent_now_ms() - t0) / 1e3;
	ret = rc == 0 ? 0 : -1;

	for (size_t i = 0; i < rep.nisolated; i++)
		sn_log_warn("Service isolated: the kernel refused it, the others are programmed",
			    "service", rep.isolated[i].service, "reason", rep.isolated[i].reason,
			    NULL);
	if (rep.status == RC_REFUSED)
		for (size_t i = 0; i < rep.nerrs; i++)
			sn_log_err("kernel refused the batch", "what", rep.errs[i].what, "extack",
				   rep.errs[i].extack ? rep.errs[i].extack : "", "service",
				   rep.errs[i].service ? rep.errs[i].service : "", "reason",
				   strerror(rep.errs[i].err), NULL);
	if (rep.status == RC_FAILED)
		sn_log_err("sync failed", "reason", rep.error ? rep.error : "?", NULL);
	if (rep.warnings)
		sn_log_warn("after the sync", "reason", rep.warnings, NULL);

	for (unsigned f = 0; f < a->nfams; f++) {
		const char *fn = a->fam_names[f];
		bool v6 = a->fams[f] == SN_AF_INET6;

		metric_set(a->m.services_isolated, (double)rep.nisolated, fn);
		metric_set(a->m.ips_refused, v6 ? a->st.w->refused_external_ips_v6 :
			   a->st.w->refused_external_ips - a->st.w->refused_external_ips_v6,
			   fn, "external");
		metric_set(a->m.ips_refused, v6 ? a->st.w->refused_lb_ips_v6 :
			   a->st.w->refused_lb_ips - a->st.w->refused_lb_ips_v6,
			   fn, "loadbalancer");
		if (rc != 0)
			metric_add(a->m.nft_sync_failures, 1, fn);
		if (rep.status == RC_REFUSED || rep.status == RC_FAILED)
			continue;
		/* committed (all, or all but the isolated Services) */
		health_updated(a->health, a->fams[f], health_now());
		metric_observe(a->m.sync_duration, secs, fn);
		metric_observe(kind == AG_SYNC_FULL ? a->m.sync_full_duration :
						      a->m.sync_partial_duration, secs, fn);
		metric_set(a->m.sync_last_ts, wall_s(), fn);
		if (rep.sent) {
			metric_add(a->m.batch_messages, (double)rep.msgs, fn);
			metric_add(a->m.batch_bytes, (double)rep.bytes, fn);
			metric_observe(a->m.commit_duration, rep.commit_ms / 1e3, fn);
		}
		if (rep.ct_deleted)
			metric_add(a->m.ct_deleted_entries, (double)rep.ct_deleted, fn);
		if (first)
			metric_observe(a->ev_latency, (double)(agent_now_ms() - first) / 1e3, fn);
		/* kube-proxy: per changed slice, from its trigger time to now */
		for (size_t i = 0; i < a->st.ntriggers; i++)
			if (a->st.triggers[i].family == a->fams[f])
				metric_observe(a->m.netprog_duration,
					       (wall_s() * 1e9 - (double)a->st.triggers[i].wall_ns) / 1e9, fn);
	}
	if (rep.status != RC_REFUSED && rep.status != RC_FAILED)
		ag_store_clear_triggers(&a->st);
	metric_add(a->syncs_total, 1, what, status_name(rep.status));
	t1 = agent_now_ms();
	if (rep.status != RC_REFUSED && rep.status != RC_FAILED) {
		metric_add(a->m.endpoint_changes_total, ep_changes);
		metric_add(a->m.service_changes_total, svc_changes);
		metric_set(a->m.endpoint_changes_pending, a->st.ep_changes);
		metric_set(a->m.service_changes_pending, a->st.svc_changes);
		after_sync_services(a);
	}
	post_ms = (double)(agent_now_ms() - t1);
	sn_logf(0, "synced",
		"kind=%s status=%s services=%u changed=%zu elapsed_ms=%.1f prepare_ms=%.1f "
		"read_ms=%.1f compile_ms=%.1f commit_ms=%.1f post_ms=%.1f chains=+%zu/-%zu/~%zu rules=+%zu "
		"elements=+%zu/-%zu messages=%zu bytes=%zu isolated=%zu ct_deleted=%zu "
		"latency_ms=%.1f queued_ms=%.1f newest_ms=%.1f rss_mb=%.1f",
		what, status_name(rep.status), a->st.w->nsvcs,
		kind == AG_SYNC_FULL ? rep.services_compiled : ndirty, secs * 1e3, prepare_ms,
		rep.read_ms, rep.compile_ms, rep.commit_ms, post_ms, rep.chains_added, rep.chains_deleted,
		rep.chains_replaced, rep.rules_added, rep.elems_added, rep.elems_deleted, rep.msgs,
		rep.bytes, rep.nisolated, rep.ct_deleted,
		first ? (double)(agent_now_ms() - first) : 0.0, first ? (double)(t0 - first) : 0.0,
		last ? (double)(agent_now_ms() - last) : 0.0, rss_mb());
	rc_report_free(&rep);
	for (size_t i = 0; i < ndirty; i++)
		free(dirty[i]);
	free(dirty);
	/* a listener that failed to open is tried again at the next sync */
	if (a->hcnp_failed && ret == 0)
		ag_sched_kick(a->sched);
	return ret;
}

/* ---- source callbacks ---- */

static void on_changed(void *ctx)
{
	struct agent *a = ctx;
	struct health_time now = health_now();

	for (unsigned f = 0; f < a->nfams; f++) {
		health_queued(a->health, a->fams[f], now);
		metric_set(a->m.sync_last_queued_ts, wall_s(), a->fam_names[f]);
	}
	metric_set(a->m.endpoint_changes_pending, a->st.ep_changes);
	metric_set(a->m.service_changes_pending, a->st.svc_changes);
	if (ag_store_pending(&a->st))
		ag_sched_kick(a->sched);
}

static void on_synced(void *ctx)
{
	struct agent *a = ctx;

	sn_logf(0, "sources synced", "rss_mb=%.1f", rss_mb());
	ag_sched_ready(a->sched);
}

static void on_node(void *ctx, const struct cJSON *node)
{
	struct agent *a = ctx;

	if (node)
		health_set_node(a->health, health_node_eligible(node));
	else
		health_clear_node(a->health);
}

/* ---- HTTP servers ---- */

static bool open_servers(struct agent *a)
{
	struct agent_opts *o = a->o;
	bool ok = true;
	char *err = NULL;

	if (!a->healthz && o->healthz_bind && *o->healthz_bind) {
		a->healthz = http_healthz_new(a->loop, o->healthz_bind, &a->sf, &err);
		if (!a->healthz) {
			sn_log_err("healthz server", "reason", err ? err : "?", NULL);
			ok = false;
		}
		free(err);
		err = NULL;
	}
	if (!a->metrics && o->metrics_bind && *o->metrics_bind) {
		a->metrics = http_metrics_new(a->loop, o->metrics_bind, &a->sf, &err);
		if (!a->metrics) {
			sn_log_err("metrics server", "reason", err ? err : "?", NULL);
			ok = false;
		}
		free(err);
	}
	return ok;
}

static void on_bind_retry(void *ctx)
{
	struct agent *a = ctx;

	if (!open_servers(a))
		agent_timer_arm(a->bind_retry, AGENT_BIND_RETRY_MS);
}

/* ---- signals ---- */

static void on_term(void *ctx, int signo)
{
	struct agent *a = ctx;

	sn_log(0, "exiting, rules left in place", "signal", strsignal(signo), NULL);
	agent_loop_quit(a->loop, 0);
}

static bool same_str(const char *x, const char *y)
{
	return (!x && !y) || (x && y && !strcmp(x, y));
}

static void on_hup(void *ctx, int signo)
{
	struct agent *a = ctx;
	struct agent_opts *o = a->o, fresh;

	if (!o->reload) {
		sn_log(0, "SIGHUP: no configuration to re-read", NULL);
		return;
	}
	agent_opts_init(&fresh);
	if (o->reload(o->reload_ctx, &fresh) < 0) {
		sn_log_err("SIGHUP: configuration not reloaded, the running one stays", NULL);
		agent_opts_free(&fresh);
		return;
	}
	if (!fresh.comp.node_name)
		fresh.comp.node_name = sn_strdup(o->comp.node_name);
	if (!same_str(fresh.comp.node_name, o->comp.node_name) ||
	    !same_str(fresh.manifest_dir, o->manifest_dir) ||
	    !same_str(fresh.kubeconfig, o->kubeconfig) || !same_str(fresh.master, o->master) ||
	    !same_str(fresh.healthz_bind, o->healthz_bind) ||
	    !same_str(fresh.metrics_bind, o->metrics_bind))
		sn_log_warn("SIGHUP: the node name, the source and the bind addresses change only "
			    "with a restart", NULL);
	o->min_sync_period_ms = fresh.min_sync_period_ms;
	o->sync_period_ms = fresh.sync_period_ms;
	o->full_sync_period_ms = fresh.full_sync_period_ms;
	o->verbosity = fresh.verbosity;
	sn_log_verbosity = o->verbosity;
	o->conntrack = fresh.conntrack;
	rc_set_conntrack(a->rc, o->conntrack ? RC_CT_CHANGED : RC_CT_OFF);
	/* the compile options, in place: rc borrows &o->comp */
	free(fresh.comp.node_name);
	fresh.comp.node_name = o->comp.node_name;
	o->comp.node_name = NULL;
	comp_opts_free(&o->comp);
	o->comp = fresh.comp;
	memset(&fresh.comp, 0, sizeof(fresh.comp));
	comp_opts_init(&fresh.comp);
	agent_opts_free(&fresh);
	set_families(a);
	a->st.prepared = false;		/* prepare depends on the options */
	ag_sched_set_periods(a->sched, o->min_sync_period_ms, o->sync_period_ms,
			     o->full_sync_period_ms);
	a->primary_warned = false;
	sn_logf(0, "SIGHUP: configuration reloaded", "min_sync_ms=%llu sync_ms=%llu full_sync_ms=%llu",
		(unsigned long long)o->min_sync_period_ms, (unsigned long long)o->sync_period_ms,
		(unsigned long long)o->full_sync_period_ms);
	ag_sched_full(a->sched);
}

/* ---- start and stop ---- */

static char *hostname(void)
{
	char host[256] = "";

	if (gethostname(host, sizeof(host) - 1) < 0 || !*host)
		return NULL;
	for (char *p = host; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return sn_strdup(host);
}

static int start_source(struct agent *a, const struct ag_source_ops *ops)
{
	struct agent_opts *o = a->o;
	struct sn_diag d;
	int rc = 0;

	sn_diag_init(&d);
	if (o->manifest_dir) {
		a->dir = ag_source_dir_new(a->loop, o->manifest_dir, &a->st, ops, &d);
		if (!a->dir)
			rc = -1;
		else
			health_set_node(a->health, true);	/* no API to say otherwise */
	} else {
		struct kube_reflector_opts ro = { 0 };
		struct kube_config cfg = { 0 };
		const char *env;

		rc = o->kubeconfig ? kube_config_load(&cfg, o->kubeconfig, &d) :
				     kube_config_in_cluster(&cfg, NULL, &d);
		if (rc == 0 && o->master)
			rc = kube_config_set_server(&cfg, o->master, "--master", &d);
		if ((env = getenv(ENV_TEST_BACKOFF)))
			sscanf(env, "%u,%u", &ro.backoff_initial_ms, &ro.backoff_cap_ms);
		if ((env = getenv(ENV_TEST_WATCH_TIMEOUT)))
			ro.watch_timeout_min_s = (unsigned)atoi(env);
		if (rc == 0) {
			sn_log(0, "API server", "server", cfg.server, "config", cfg.source, "node",
			       o->comp.node_name, NULL);
			a->api = ag_source_api_new(a->loop, &cfg, o->comp.node_name, &ro, &a->st,
						   ops, &d);
			if (!a->api)
				rc = -1;
		}
		kube_config_free(&cfg);	/* the client keeps its own copy */
	}
	for (size_t i = 0; i < d.n; i++) {
		struct sn_buf b;

		sn_buf_init(&b);
		sn_diag_format(&d.recs[i], &b);
		if (d.recs[i].sev == SN_ERROR)
			sn_log_err("cannot start", "reason", b.s, NULL);
		sn_buf_free(&b);
	}
	sn_diag_free(&d);
	return rc;
}

int agent_run(struct agent_opts *o)
{
	static const struct ag_source_ops ops_tmpl = { .changed = on_changed,
						       .synced = on_synced, .node = on_node };
	static const char *const kind_labels[] = { "kind", "status", NULL };
	struct ag_source_ops ops = ops_tmpl;
	struct agent a = { .o = o };
	struct sn_buf why;
	int ret = 0;

	sn_log_verbosity = o->verbosity;
	/* Every sync allocates and frees the same large tables (the compiler's
	 * claims, rule sets): keep them in the heap rather than mmap()ing and
	 * unmapping them each time; a fresh page costs a fault, and in a VM a
	 * TLB shootdown (measured: comp_prepare at 10,000 Services 250 ms with
	 * glibc's defaults, 50 ms without the faults). */
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	mallopt(M_TRIM_THRESHOLD, 128 << 20);
	if (!o->comp.node_name && !(o->comp.node_name = hostname())) {
		sn_log_err("no node name: give --node-name", NULL);
		return 2;
	}
	set_families(&a);
	a.loop = agent_loop_new();
	if (!a.loop) {
		sn_log_err("event loop", "reason", strerror(errno), NULL);
		return 5;
	}
	ag_store_init(&a.st, o->comp.node_name);
	a.health = health_new(2 * o->sync_period_ms);
	if (agent_metrics_init(&a.m) < 0) {
		sn_log_err("metrics registry", NULL);
		ret = 5;
		goto out;
	}
	{
		double b[METRICS_SYNC_BUCKETS];
		static const char *const fam_labels[] = { "ip_family", NULL };

		metrics_exp_buckets(b, 0.001, 2, METRICS_SYNC_BUCKETS);
		a.ev_latency = metrics_add(a.m.reg, METRIC_HISTOGRAM, "svcnft_event_to_commit_seconds",
					   "From the oldest change a sync covers arriving (watch event, file) to its batch committed",
					   fam_labels, b, METRICS_SYNC_BUCKETS);
		a.syncs_total = metrics_add(a.m.reg, METRIC_COUNTER, "svcnft_syncs_total",
					    "Syncs by kind (full, all, partial) and outcome",
					    kind_labels, NULL, 0);
	}
	a.sf = (struct http_surface){ .health = a.health, .metrics = &a.m };
	a.bind_retry = agent_timer_new(a.loop, on_bind_retry, &a);
	if (!open_servers(&a)) {
		if (o->bind_address_hard_fail) {
			ret = 5;
			goto out;
		}
		agent_timer_arm(a.bind_retry, AGENT_BIND_RETRY_MS);
	}
	a.hcnp = hcnp_new(a.loop, &a.sf, NULL);

	sn_buf_init(&why);
	a.nl = nlk_open(&why);
	if (!a.nl) {
		sn_log_err("netlink socket", "reason", why.s ? why.s : "?", NULL);
		sn_buf_free(&why);
		ret = 5;
		goto out;
	}
	sn_buf_free(&why);
	a.rc = rc_new(a.nl, &o->comp);
	rc_set_conntrack(a.rc, o->conntrack ? RC_CT_CHANGED : RC_CT_OFF);
	a.sched = ag_sched_new(a.loop, o->min_sync_period_ms, o->sync_period_ms,
			       o->full_sync_period_ms, do_sync, &a);

	agent_loop_signal(a.loop, SIGTERM, on_term, &a);
	agent_loop_signal(a.loop, SIGINT, on_term, &a);
	agent_loop_signal(a.loop, SIGHUP, on_hup, &a);
	signal(SIGPIPE, SIG_IGN);

	ops.ctx = &a;
	if (start_source(&a, &ops) < 0) {
		ret = 5;
		goto out;
	}
	sn_logf(0, "starting", "node=%s min_sync_ms=%llu sync_ms=%llu full_sync_ms=%llu",
		o->comp.node_name, (unsigned long long)o->min_sync_period_ms,
		(unsigned long long)o->sync_period_ms, (unsigned long long)o->full_sync_period_ms);
	if (a.dir)
		ag_source_dir_start(a.dir);
	else
		ag_source_api_start(a.api);
	if (agent_loop_run(a.loop) < 0) {
		sn_log_err("event loop", "reason", strerror(errno), NULL);
		ret = 5;
	}
out:
	ag_source_api_free(a.api);
	ag_source_dir_free(a.dir);
	ag_sched_free(a.sched);
	if (a.rc)
		rc_free(a.rc);
	if (a.nl)
		nlk_close(a.nl);
	hcnp_free(a.hcnp);
	http_server_free(a.healthz);
	http_server_free(a.metrics);
	agent_timer_free(a.bind_retry);
	if (a.m.reg)
		agent_metrics_free(&a.m);
	health_free(a.health);
	ag_store_free(&a.st);
	agent_loop_free(a.loop);
	return ret;
}
