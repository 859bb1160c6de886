// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * agent/metrics.c: the metric registry and the Prometheus text format.
 */
#include "agent/metrics.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct series {
	char **values;		/* one per label of the family */
	double value;		/* counter or gauge */
	uint64_t *buckets;	/* histogram: per-bucket (not cumulative) counts, nbounds + 1 */
	double sum;
	uint64_t count;
};

struct metric {
	enum metric_type type;
	char *name, *help;
	char **labels;
	size_t nlabels;
	double *bounds;
	size_t nbounds;
	struct series *series;	/* sorted by label values */
	size_t nseries, cap;
};

struct metrics {
	struct metric **fams;	/* sorted by name */
	size_t n, cap;
};

struct metrics *metrics_new(void)
{
	return sn_calloc(1, sizeof(struct metrics));
}

static void series_free(struct metric *f, struct series *s)
{
	for (size_t i = 0; i < f->nlabels; i++)
		free(s->values[i]);
	free(s->values);
	free(s->buckets);
}

static void family_free(struct metric *f)
{
	for (size_t i = 0; i < f->nseries; i++)
		series_free(f, &f->series[i]);
	free(f->series);
	for (size_t i = 0; i < f->nlabels; i++)
		free(f->labels[i]);
	free(f->labels);
	free(f->bounds);
	free(f->name);
	free(f->help);
	free(f);
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		family_free(m->fams[i]);
	free(m->fams);
	free(m);
}

/* [a-zA-Z_:][a-zA-Z0-9_:]* for metric names; labels exclude ':' and "__". */
static bool valid_name(const char *s, bool label)
{
	if (!s || !*s)
		return false;
	if (label && strncmp(s, "__", 2) == 0)
		return false;
	for (const char *p = s; *p; p++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
			  (!label && c == ':') || (p != s && c >= '0' && c <= '9');
		if (!ok)
			return false;
	}
	return true;
}

static struct series *series_get(struct metric *f, const char **values, bool create)
{
	size_t lo = 0, hi = f->nseries;

	/* Binary search on the label values in label order. */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = 0;
		for (size_t i = 0; i < f->nlabels && !c; i++)
			c = strcmp(f->series[mid].values[i], values[i]);
		if (!c)
			return &f->series[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!create)
		return NULL;
	sn_grow(&f->series, &f->cap, f->nseries + 1, sizeof(*f->series));
	memmove(&f->series[lo + 1], &f->series[lo], (f->nseries - lo) * sizeof(*f->series));
	f->nseries++;
	struct series *s = &f->series[lo];
	memset(s, 0, sizeof(*s));
	s->values = sn_calloc(f->nlabels ? f->nlabels : 1, sizeof(char *));
	for (size_t i = 0; i < f->nlabels; i++)
		s->values[i] = sn_strdup(values[i] ? values[i] : "");
	if (f->type == METRIC_HISTOGRAM)
		s->buckets = sn_calloc(f->nbounds + 1, sizeof(uint64_t));
	return s;
}

struct metric *metrics_add(struct metrics *m, enum metric_type type, const char *name,
			   const char *help, const char *const *labels, const double *bounds,
			   size_t nbounds)
{
	size_t nl = 0, pos;

	if (!valid_name(name, false))
		return NULL;
	for (; labels && labels[nl]; nl++) {
		if (!valid_name(labels[nl], true))
			return NULL;
		if (type == METRIC_HISTOGRAM && !strcmp(labels[nl], "le"))
			return NULL;
	}
	if (type == METRIC_HISTOGRAM) {
		for (size_t i = 0; i < nbounds; i++)
			if (!isfinite(bounds[i]) || (i && bounds[i] <= bounds[i - 1]))
				return NULL;
	} else {
		nbounds = 0;
	}
	for (pos = 0; pos < m->n; pos++) {
		int c = strcmp(m->fams[pos]->name, name);
		if (!c)
			return NULL;
		if (c > 0)
			break;
	}

	struct metric *f = sn_calloc(1, sizeof(*f));
	f->type = type;
	f->name = sn_strdup(name);
	f->help = sn_strdup(help ? help : "");
	f->nlabels = nl;
	f->labels = sn_calloc(nl ? nl : 1, sizeof(char *));
	for (size_t i = 0; i < nl; i++)
		f->labels[i] = sn_strdup(labels[i]);
	f->nbounds = nbounds;
	f->bounds = sn_calloc(nbounds ? nbounds : 1, sizeof(double));
	if (nbounds)
		memcpy(f->bounds, bounds, nbounds * sizeof(double));
	/* client_golang exposes an unlabelled metric from registration on. */
	if (!nl)
		series_get(f, NULL, true);

	sn_grow(&m->fams, &m->cap, m->n + 1, sizeof(*m->fams));
	memmove(&m->fams[pos + 1], &m->fams[pos], (m->n - pos) * sizeof(*m->fams));
	m->fams[pos] = f;
	m->n++;
	return f;
}

/* Label values come as varargs; a family has at most a handful of labels. */
#define MAX_LABELS 8

static struct series *series_va(struct metric *f, va_list ap, bool create)
{
	const char *values[MAX_LABELS];

	if (f->nlabels > MAX_LABELS)
		return NULL;
	for (size_t i = 0; i < f->nlabels; i++)
		values[i] = va_arg(ap, const char *);
	return series_get(f, values, create);
}

void metric_add(struct metric *f, double v, ...)
{
	va_list ap;
	struct series *s;

	if (!f || f->type == METRIC_HISTOGRAM || (f->type == METRIC_COUNTER && !(v >= 0)))
		return;
	va_start(ap, v);
	s = series_va(f, ap, true);
	va_end(ap);
	if (s)
		s->value += v;
}

void metric_set(struct metric *f, double v, ...)
{
	va_list ap;
	struct series *s;

	if (!f || f->type != METRIC_GAUGE)
		return;
	va_start(ap, v);
	s = series_va(f, ap, true);
	va_end(ap);
	if (s)
		s->value = v;
}

void metric_observe(struct metric *f, double v, ...)
{
	va_list ap;
	struct series *s;
	size_t i;

	if (!f || f->type != METRIC_HISTOGRAM)
		return;
	va_start(ap, v);
	s = series_va(f, ap, true);
	va_end(ap);
	if (!s)
		return;
	/* Buckets are "less than or equal": v == bound counts in that bucket. */
	for (i = 0; i < f->nbounds && !(v <= f->bounds[i]); i++)
		;
	s->buckets[i]++;
	s->sum += v;
	s->count++;
}

double metric_value(const struct metric *f, ...)
{
	va_list ap;
	struct series *s;

	if (!f)
		return 0;
	va_start(ap, f);
	s = series_va((struct metric *)(uintptr_t)f, ap, false);
	va_end(ap);
	if (!s)
		return 0;
	return f->type == METRIC_HISTOGRAM ? (double)s->count : s->value;
}

void metrics_format_value(double v, char *buf, size_t len)
{
	char digits[40];
	int prec, exp;

	if (isnan(v)) {
		snprintf(buf, len, "NaN");
		return;
	}
	if (isinf(v)) {
		snprintf(buf, len, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (v == 0) {
		snprintf(buf, len, "0");
		return;
	}
	/* The fewest significant digits that read back as v. */
	for (prec = 0; prec < 17; prec++) {
		snprintf(digits, sizeof(digits), "%.*e", prec, v);
		if (strtod(digits, NULL) == v)
			break;
	}
	exp = atoi(strchr(digits, 'e') + 1);
	/* Go's 'g' with shortest precision: exponent form below 1e-4 or from 1e21. */
	if (exp < -4 || exp >= 21) {
		char *e = strchr(digits, 'e');
		int x = atoi(e + 1);
		*e = 0;
		snprintf(buf, len, "%se%c%02d", digits, x < 0 ? '-' : '+', abs(x));
	} else {
		int decimals = prec - exp;
		snprintf(buf, len, "%.*f", decimals > 0 ? decimals : 0, v);
	}
}

void metrics_exp_buckets(double *out, double start, double factor, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		out[i] = start;
		start *= factor;
	}
}

/* HELP text escapes backslash and newline; label values also the quote. */
static void add_escaped(struct sn_buf *out, const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			sn_buf_add(out, "\\\\");
		else if (*s == '\n')
			sn_buf_add(out, "\\n");
		else if (quote && *s == '"')
			sn_buf_add(out, "\\\"");
		else
			sn_buf_addc(out, *s);
	}
}

static void add_labels(struct sn_buf *out, const struct metric *f, const struct series *s,
		       const char *le)
{
	if (!f->nlabels && !le)
		return;
	sn_buf_addc(out, '{');
	for (size_t i = 0; i < f->nlabels; i++) {
		if (i)
			sn_buf_addc(out, ',');
		sn_buf_printf(out, "%s=\"", f->labels[i]);
		add_escaped(out, s->values[i], true);
		sn_buf_addc(out, '"');
	}
	if (le)
		sn_buf_printf(out, "%sle=\"%s\"", f->nlabels ? "," : "", le);
	sn_buf_addc(out, '}');
}

static const char *const type_names[] = {
	[METRIC_COUNTER] = "counter",
	[METRIC_GAUGE] = "gauge",
	[METRIC_HISTOGRAM] = "histogram",
};

void metrics_write(const struct metrics *m, struct sn_buf *out)
{
	char num[64];

	for (size_t i = 0; i < m->n; i++) {
		const struct metric *f = m->fams[i];

		sn_buf_printf(out, "# HELP %s ", f->name);
		add_escaped(out, f->help, false);
		sn_buf_printf(out, "\n# TYPE %s %s\n", f->name, type_names[f->type]);
		for (size_t j = 0; j < f->nseries; j++) {
			const struct series *s = &f->series[j];

			if (f->type != METRIC_HISTOGRAM) {
				sn_buf_add(out, f->name);
				add_labels(out, f, s, NULL);
				metrics_format_value(s->value, num, sizeof(num));
				sn_buf_printf(out, " %s\n", num);
				continue;
			}
			uint64_t cum = 0;
			for (size_t b = 0; b <= f->nbounds; b++) {
				char le[64];
				cum += s->buckets[b];
				if (b < f->nbounds)
					metrics_format_value(f->bounds[b], le, sizeof(le));
				else
					snprintf(le, sizeof(le), "+Inf");
				sn_buf_printf(out, "%s_bucket", f->name);
				add_labels(out, f, s, le);
				sn_buf_printf(out, " %llu\n", (unsigned long long)cum);
			}
			sn_buf_printf(out, "%s_sum", f->name);
			add_labels(out, f, s, NULL);
			metrics_format_value(s->sum, num, sizeof(num));
			sn_buf_printf(out, " %s\n", num);
			sn_buf_printf(out, "%s_count", f->name);
			add_labels(out, f, s, NULL);
			sn_buf_printf(out, " %llu\n", (unsigned long long)s->count);
		}
	}
}

/* ---- the agent's metric set ---- */

static const char *const L_FAMILY[] = { "ip_family", NULL };
static const char *const L_CODE[] = { "code", NULL };
static const char *const L_FAMILY_POLICY[] = { "ip_family", "traffic_policy", NULL };
static const char *const L_FAMILY_KIND[] = { "ip_family", "kind", NULL };

/* component-base prefixes the HELP of every ALPHA metric with "[ALPHA] ";
 * scrapers that compare HELP text see kube-proxy's. */
#define ALPHA "[ALPHA] "

int agent_metrics_init(struct agent_metrics *am)
{
	double sync[METRICS_SYNC_BUCKETS];
	double netprog[METRICS_NETPROG_BUCKETS];
	size_t n = 0;
	struct metrics *r;

	metrics_exp_buckets(sync, 0.001, 2, METRICS_SYNC_BUCKETS);
	/* kube-proxy: {0, 0.25, 0.5} + LinearBuckets(1, 1, 59) +
	 * LinearBuckets(60, 5, 12) + LinearBuckets(120, 30, 7). */
	netprog[n++] = 0;
	netprog[n++] = 0.25;
	netprog[n++] = 0.5;
	for (int i = 0; i < 59; i++)
		netprog[n++] = 1 + i;
	for (int i = 0; i < 12; i++)
		netprog[n++] = 60 + 5 * i;
	for (int i = 0; i < 7; i++)
		netprog[n++] = 120 + 30 * i;

	memset(am, 0, sizeof(*am));
	r = am->reg = metrics_new();
#define H(field, name, help, labels, b, nb) \
	am->field = metrics_add(r, METRIC_HISTOGRAM, name, help, labels, b, nb)
#define C(field, name, help, labels) am->field = metrics_add(r, METRIC_COUNTER, name, help, labels, NULL, 0)
#define G(field, name, help, labels) am->field = metrics_add(r, METRIC_GAUGE, name, help, labels, NULL, 0)
	H(sync_duration, "kubeproxy_sync_proxy_rules_duration_seconds",
	  ALPHA "SyncProxyRules latency in seconds", L_FAMILY, sync, METRICS_SYNC_BUCKETS);
	H(sync_full_duration, "kubeproxy_sync_full_proxy_rules_duration_seconds",
	  ALPHA "SyncProxyRules latency in seconds for full resyncs", L_FAMILY, sync,
	  METRICS_SYNC_BUCKETS);
	H(sync_partial_duration, "kubeproxy_sync_partial_proxy_rules_duration_seconds",
	  ALPHA "SyncProxyRules latency in seconds for partial resyncs", L_FAMILY, sync,
	  METRICS_SYNC_BUCKETS);
	G(sync_last_ts, "kubeproxy_sync_proxy_rules_last_timestamp_seconds",
	  ALPHA "The last time proxy rules were successfully synced", L_FAMILY);
	G(sync_last_queued_ts, "kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds",
	  ALPHA "The last time a sync of proxy rules was queued", L_FAMILY);
	H(netprog_duration, "kubeproxy_network_programming_duration_seconds",
	  ALPHA "In Cluster Network Programming Latency in seconds", L_FAMILY, netprog,
	  METRICS_NETPROG_BUCKETS);
	G(endpoint_changes_pending, "kubeproxy_sync_proxy_rules_endpoint_changes_pending",
	  ALPHA "Pending proxy rules Endpoint changes", NULL);
	C(endpoint_changes_total, "kubeproxy_sync_proxy_rules_endpoint_changes_total",
	  ALPHA "Cumulative proxy rules Endpoint changes", NULL);
	G(service_changes_pending, "kubeproxy_sync_proxy_rules_service_changes_pending",
	  ALPHA "Pending proxy rules Service changes", NULL);
	C(service_changes_total, "kubeproxy_sync_proxy_rules_service_changes_total",
	  ALPHA "Cumulative proxy rules Service changes", NULL);
	/* A gauge despite its _total name, as in kube-proxy. */
	G(no_local_endpoints, "kubeproxy_sync_proxy_rules_no_local_endpoints_total",
	  ALPHA "Number of services with a Local traffic policy and no endpoints",
	  L_FAMILY_POLICY);
	C(nft_sync_failures, "kubeproxy_sync_proxy_rules_nftables_sync_failures_total",
	  ALPHA "Number of nftables sync failures", L_FAMILY);
	C(nft_cleanup_failures, "kubeproxy_sync_proxy_rules_nftables_cleanup_failures_total",
	  ALPHA "Number of nftables stale chain cleanup failures", L_FAMILY);
	C(healthz_total, "kubeproxy_proxy_healthz_total",
	  ALPHA "Cumulative proxy healthz HTTP status", L_CODE);
	C(livez_total, "kubeproxy_proxy_livez_total", ALPHA "Cumulative proxy livez HTTP status",
	  L_CODE);
	H(ct_reconcile_duration, "kubeproxy_conntrack_reconciler_sync_duration_seconds",
	  ALPHA "ReconcileConntrackFlowsLatency latency in seconds", L_FAMILY, sync,
	  METRICS_SYNC_BUCKETS);
	C(ct_deleted_entries, "kubeproxy_conntrack_reconciler_deleted_entries_total",
	  ALPHA "Cumulative conntrack flows deleted by conntrack reconciler", L_FAMILY);
	C(batch_messages, "svcnft_batch_messages_total",
	  "Netlink messages sent in nftables batches", L_FAMILY);
	C(batch_bytes, "svcnft_batch_bytes_total", "Bytes sent in nftables batches", L_FAMILY);
	H(commit_duration, "svcnft_kernel_commit_duration_seconds",
	  "Time from sending an nftables batch to its last acknowledgement", L_FAMILY, sync,
	  METRICS_SYNC_BUCKETS);
	G(services_isolated, "svcnft_services_isolated",
	  "Services left out of the ruleset because the kernel refused their rules", L_FAMILY);
	G(ips_refused, "svcnft_ips_refused",
	  "External and load-balancer IPs not programmed because an allow-list refused them",
	  L_FAMILY_KIND);
#undef H
#undef C
#undef G
	struct metric **all = &am->sync_duration;
	for (struct metric **p = all; p <= &am->ips_refused; p++)
		if (!*p) {
			metrics_free(r);
			memset(am, 0, sizeof(*am));
			return -1;
		}
	return 0;
}

void agent_metrics_free(struct agent_metrics *am)
{
	metrics_free(am->reg);
	memset(am, 0, sizeof(*am));
}
