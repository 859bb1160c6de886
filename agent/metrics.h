/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * agent/metrics.h: a small registry of counters, gauges and histograms with
 * labels, written in the Prometheus text exposition format (version 0.0.4),
 * and the metric set svcnft exposes: kube-proxy's names, types, labels and
 * buckets (so existing dashboards and alerts work unchanged) plus svcnft_ ones.
 *
 * Output order is deterministic, as client_golang's: families sorted by name,
 * series by label values. A family with no labels always has its one series
 * (value 0 until touched); a labelled family shows only series touched.
 *
 * Ownership: the registry owns its families and series; metrics_free() frees
 * them. struct metric pointers are borrowed and live as long as the registry.
 * Single-threaded, like the agent loop.
 */
#ifndef SVCNFT_AGENT_METRICS_H
#define SVCNFT_AGENT_METRICS_H

#include <stddef.h>

#include "lib/sn.h"

struct metrics;
struct metric;

enum metric_type { METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM };

struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);	/* NULL is a no-op */

/* Register a family. labels is NULL-terminated (NULL = no labels). For a
 * histogram, bounds are the finite upper bounds in increasing order (+Inf is
 * implied). Returns NULL (and registers nothing) on a duplicate or invalid
 * name, a label named "le" on a histogram, or bounds not increasing. */
struct metric *metrics_add(struct metrics *m, enum metric_type type, const char *name,
			   const char *help, const char *const *labels, const double *bounds,
			   size_t nbounds);

/* The label values follow v, one per label of the family, in its order.
 * Counter: add v (>= 0; negative is ignored, a counter never goes down).
 * Gauge: metric_set sets, metric_add adds. Histogram: metric_observe. */
void metric_add(struct metric *f, double v, ...);
void metric_set(struct metric *f, double v, ...);
void metric_observe(struct metric *f, double v, ...);
/* Current value of a counter or gauge series, or a histogram's count; 0 when
 * the series does not exist. For tests and for the agent's own decisions. */
double metric_value(const struct metric *f, ...);

/* Append the whole exposition to out. */
void metrics_write(const struct metrics *m, struct sn_buf *out);

/* "1", "0.001", "16.384", "1.7e+09"-free: the shortest text that reads back
 * as v (Go's strconv 'g' -1 for the ranges metrics use), "+Inf", "-Inf", "NaN". */
void metrics_format_value(double v, char *buf, size_t len);

/* prometheus.ExponentialBuckets(start, factor, count) */
void metrics_exp_buckets(double *out, double start, double factor, size_t count);

#define METRICS_SYNC_BUCKETS 15		/* ExponentialBuckets(0.001, 2, 15) */
#define METRICS_NETPROG_BUCKETS 81	/* 3 + 59 + 12 + 7 */

/* The agent's metrics. Label values: ip_family "IPv4"/"IPv6", code "200"/"503",
 * traffic_policy "internal"/"external". */
struct agent_metrics {
	struct metrics *reg;
	/* kube-proxy (pkg/proxy/metrics) */
	struct metric *sync_duration;		/* histogram {ip_family} */
	struct metric *sync_full_duration;	/* histogram {ip_family} */
	struct metric *sync_partial_duration;	/* histogram {ip_family} */
	struct metric *sync_last_ts;		/* gauge {ip_family} */
	struct metric *sync_last_queued_ts;	/* gauge {ip_family} */
	struct metric *netprog_duration;	/* histogram {ip_family} */
	struct metric *endpoint_changes_pending;	/* gauge */
	struct metric *endpoint_changes_total;	/* counter */
	struct metric *service_changes_pending;	/* gauge */
	struct metric *service_changes_total;	/* counter */
	struct metric *no_local_endpoints;	/* gauge {ip_family, traffic_policy} */
	struct metric *nft_sync_failures;	/* counter {ip_family} */
	struct metric *nft_cleanup_failures;	/* counter {ip_family} */
	struct metric *healthz_total;		/* counter {code} */
	struct metric *livez_total;		/* counter {code} */
	struct metric *ct_reconcile_duration;	/* histogram {ip_family} */
	struct metric *ct_deleted_entries;	/* counter {ip_family} */
	/* svcnft */
	struct metric *batch_messages;		/* counter {ip_family} */
	struct metric *batch_bytes;		/* counter {ip_family} */
	struct metric *commit_duration;		/* histogram {ip_family} */
	struct metric *services_isolated;	/* gauge {ip_family} */
	struct metric *ips_refused;		/* gauge {ip_family, kind} kind = external/loadbalancer */
};

/* Register every family above in a new registry; -1 only if a name clashed
 * (a programming error the unit test catches). */
int agent_metrics_init(struct agent_metrics *am);
void agent_metrics_free(struct agent_metrics *am);

#endif
