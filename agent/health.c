// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * agent/health.c: proxy health per family, node eligibility, and the JSON
 * bodies of /healthz and /livez.
 */
#include "agent/health.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

enum { FAM_V4, FAM_V6, FAM_N };

static const char *const fam_names[FAM_N] = { [FAM_V4] = "IPv4", [FAM_V6] = "IPv6" };

struct fam_state {
	bool synced;		/* in kube-proxy's lastUpdatedMap */
	bool pending;		/* in its oldestPendingQueuedMap */
	struct health_time last_updated;
	struct health_time oldest_queued;
};

struct health {
	uint64_t timeout_ns;
	struct fam_state fam[FAM_N];
	bool node_known;
	bool node_eligible;
};

struct health_time health_now(void)
{
	struct timespec r, m;

	clock_gettime(CLOCK_REALTIME, &r);
	clock_gettime(CLOCK_MONOTONIC, &m);
	return (struct health_time){
		.wall_ns = (int64_t)r.tv_sec * 1000000000 + r.tv_nsec,
		.mono_ns = (uint64_t)m.tv_sec * 1000000000 + (uint64_t)m.tv_nsec,
	};
}

struct health *health_new(uint64_t timeout_ms)
{
	struct health *h = sn_calloc(1, sizeof(*h));

	h->timeout_ns = timeout_ms * 1000000;
	return h;
}

void health_free(struct health *h)
{
	free(h);
}

static struct fam_state *fam_of(struct health *h, int family)
{
	if (family == SN_AF_INET)
		return &h->fam[FAM_V4];
	if (family == SN_AF_INET6)
		return &h->fam[FAM_V6];
	return NULL;
}

void health_queued(struct health *h, int family, struct health_time now)
{
	struct fam_state *f = fam_of(h, family);

	/* Only the oldest pending update counts: later ones do not restart it. */
	if (f && !f->pending) {
		f->pending = true;
		f->oldest_queued = now;
	}
}

void health_updated(struct health *h, int family, struct health_time now)
{
	struct fam_state *f = fam_of(h, family);

	if (f) {
		f->pending = false;
		f->synced = true;
		f->last_updated = now;
	}
}

void health_set_node(struct health *h, bool eligible)
{
	h->node_known = true;
	h->node_eligible = eligible;
}

void health_clear_node(struct health *h)
{
	h->node_known = false;
	h->node_eligible = false;
}

static bool fam_healthy(const struct health *h, const struct fam_state *f, struct health_time now)
{
	if (!f->synced || !f->pending)
		return true;
	/* A monotonic clock that seems to run backwards (it cannot) counts as no wait. */
	if (now.mono_ns < f->oldest_queued.mono_ns)
		return true;
	return now.mono_ns - f->oldest_queued.mono_ns < h->timeout_ns;
}

bool health_healthy(const struct health *h, struct health_time now)
{
	for (int i = 0; i < FAM_N; i++)
		if (!fam_healthy(h, &h->fam[i], now))
			return false;
	return true;
}

bool health_healthz(const struct health *h, struct health_time now)
{
	return health_healthy(h, now) && h->node_known && h->node_eligible;
}

bool health_node_eligible(const cJSON *node)
{
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(node, "metadata");
	const cJSON *spec = cJSON_GetObjectItemCaseSensitive(node, "spec");
	const cJSON *dt = cJSON_GetObjectItemCaseSensitive(md, "deletionTimestamp");
	const cJSON *taints = cJSON_GetObjectItemCaseSensitive(spec, "taints");
	const cJSON *t;

	if (!cJSON_IsObject(node))
		return false;
	if (dt && !cJSON_IsNull(dt))
		return false;
	cJSON_ArrayForEach(t, taints) {
		const cJSON *key = cJSON_GetObjectItemCaseSensitive(t, "key");
		if (cJSON_IsString(key) && !strcmp(key->valuestring, "ToBeDeletedByClusterAutoscaler"))
			return false;
	}
	return true;
}

const char *health_format_time(int64_t wall_ns, bool zero, char *buf)
{
	struct tm tm;
	time_t s;
	int64_t ns;
	int n;

	if (zero) {
		snprintf(buf, HEALTH_TIME_STRLEN, "0001-01-01T00:00:00Z");
		return buf;
	}
	s = (time_t)(wall_ns / 1000000000);
	ns = wall_ns % 1000000000;
	if (ns < 0) {
		ns += 1000000000;
		s--;
	}
	gmtime_r(&s, &tm);
	n = (int)strftime(buf, HEALTH_TIME_STRLEN, "%Y-%m-%dT%H:%M:%S", &tm);
	if (ns) {
		char frac[16];
		int len = 9;
		snprintf(frac, sizeof(frac), "%09lld", (long long)ns);
		while (frac[len - 1] == '0')
			len--;
		frac[len] = 0;
		n += snprintf(buf + n, (size_t)(HEALTH_TIME_STRLEN - n), ".%s", frac);
	}
	snprintf(buf + n, (size_t)(HEALTH_TIME_STRLEN - n), "Z");
	return buf;
}

int health_body(const struct health *h, bool with_node, struct health_time now, struct sn_buf *out)
{
	char t1[HEALTH_TIME_STRLEN], t2[HEALTH_TIME_STRLEN];
	bool any = false, latest_set = false;
	int64_t latest = 0;
	bool healthy = health_healthy(h, now);
	bool ok = with_node ? healthy && h->node_known && h->node_eligible : healthy;

	for (int i = 0; i < FAM_N; i++) {
		const struct fam_state *f = &h->fam[i];
		if (f->synced && (!latest_set || f->last_updated.wall_ns > latest)) {
			latest = f->last_updated.wall_ns;
			latest_set = true;
		}
	}
	/* When healthy kube-proxy reports "now" as lastUpdated, so that old
	 * clients reading it as "the sync loop ran recently" keep working. */
	if (ok) {
		latest = now.wall_ns;
		latest_set = true;
	}
	sn_buf_printf(out, "{\"lastUpdated\":\"%s\",\"currentTime\":\"%s\",",
		      health_format_time(latest, !latest_set, t1),
		      health_format_time(now.wall_ns, false, t2));
	if (with_node)
		sn_buf_printf(out, "\"nodeEligible\":%s,",
			      h->node_known && h->node_eligible ? "true" : "false");
	sn_buf_printf(out, "\"healthy\":%s", healthy ? "true" : "false");
	/* Go marshals the map sorted by key ("IPv4" < "IPv6") and omits it when empty. */
	for (int i = 0; i < FAM_N; i++) {
		const struct fam_state *f = &h->fam[i];
		if (!f->synced)
			continue;
		sn_buf_printf(out, "%s\"%s\":{\"lastUpdated\":\"%s\",\"healthy\":%s}",
			      any ? "," : ",\"status\":{", fam_names[i],
			      health_format_time(f->last_updated.wall_ns, false, t1),
			      fam_healthy(h, f, now) ? "true" : "false");
		any = true;
	}
	if (any)
		sn_buf_addc(out, '}');
	sn_buf_addc(out, '}');
	return ok ? 200 : 503;
}
