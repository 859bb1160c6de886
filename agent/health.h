/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * agent/health.h: kube-proxy's proxy health (pkg/proxy/healthcheck
 * proxy_health.go) and the JSON bodies of /healthz and /livez.
 *
 * Per family: the time of the last successful sync (health_updated) and the
 * time of the oldest update queued since then (health_queued). A family is
 * unhealthy when such an update has waited healthTimeout (2 x syncPeriod) or
 * more. Only families that have synced at least once are judged, so the proxy
 * is healthy while starting up, as kube-proxy. Overall health is the AND of
 * the families. /healthz also needs the node to be eligible: known, without
 * deletionTimestamp and without the ToBeDeletedByClusterAutoscaler taint;
 * until health_set_node() is called the node is unknown, hence not eligible.
 *
 * Times are injected (struct health_time) so tests need no sleeping: the
 * monotonic part measures waits, the wall part is what the JSON shows.
 * Single-threaded, like the agent loop.
 */
#ifndef SVCNFT_AGENT_HEALTH_H
#define SVCNFT_AGENT_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/sn.h"

struct cJSON;
struct health;

struct health_time {
	int64_t wall_ns;	/* CLOCK_REALTIME, ns since the epoch */
	uint64_t mono_ns;	/* CLOCK_MONOTONIC, ns */
};

struct health_time health_now(void);

/* timeout_ms: healthTimeout, kube-proxy's 2 x syncPeriod (60 s by default). */
struct health *health_new(uint64_t timeout_ms);
void health_free(struct health *h);	/* NULL is a no-op */

/* family: SN_AF_INET or SN_AF_INET6; other values are ignored. */
void health_queued(struct health *h, int family, struct health_time now);
void health_updated(struct health *h, int family, struct health_time now);
/* The Node as last seen: eligible per health_node_eligible(). */
void health_set_node(struct health *h, bool eligible);
/* The Node was deleted or is not known (yet). */
void health_clear_node(struct health *h);

/* All judged families healthy (what /livez and the healthCheckNodePort
 * servers use). */
bool health_healthy(const struct health *h, struct health_time now);
/* healthy AND node eligible (what /healthz uses). */
bool health_healthz(const struct health *h, struct health_time now);

/* A Node object (v1 JSON): false when it has metadata.deletionTimestamp or a
 * taint with key ToBeDeletedByClusterAutoscaler. */
bool health_node_eligible(const struct cJSON *node);

/* The response body (no trailing newline), as kube-proxy's json.Marshal of
 * ProxyHealth: {"lastUpdated":..,"currentTime":..,["nodeEligible":..,]
 * "healthy":..,["status":{"IPv4":{"lastUpdated":..,"healthy":..},..}]}.
 * with_node: /healthz (true) or /livez (false). Returns the HTTP status, 200
 * or 503. When that is 200, lastUpdated is the current time, as kube-proxy
 * does for compatibility with its older releases. */
int health_body(const struct health *h, bool with_node, struct health_time now, struct sn_buf *out);

/* Go's time.Time JSON form in UTC (RFC 3339 with the fraction's trailing zeros
 * dropped): "2026-12-05T20:18:44.5Z"; the zero time is "0001-01-01T00:00:00Z".
 * buf holds at least HEALTH_TIME_STRLEN. */
#define HEALTH_TIME_STRLEN 40
const char *health_format_time(int64_t wall_ns, bool zero, char *buf);

#endif
