/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/http/http_serve.c: drives the agent's HTTP surface (agent/health,
 * agent/metrics, agent/http, agent/hcnp) with a state scripted on stdin, one
 * command per line, each answered by one line on stdout starting "ok" or
 * "error". The servers run in the agent loop as the agent runs them; the
 * clock is scripted, so "late" needs no sleeping. Run by tests/http/run.sh
 * inside a fresh network namespace.
 *
 *   healthz ADDR | metrics ADDR      start a server; "ok PORT"
 *   queued 4|6 | updated 4|6         health_queued / health_updated now
 *   node eligible|ineligible|unknown
 *   advance SECONDS                  move the scripted clock
 *   sync NS/NAME:PORT:COUNT ...      hcnp_sync with this whole set;
 *                                    "ok FAILURES NS/NAME=BOUNDPORT ..."
 *   observe                          a sample sync's metrics
 *   quit
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "agent/hcnp.h"
#include "agent/health.h"
#include "agent/http.h"
#include "agent/loop.h"
#include "agent/metrics.h"
#include "lib/sn.h"

#define HEALTH_TIMEOUT_MS 60000	/* 2 x the default 30 s syncPeriod */

struct serve {
	struct agent_loop *loop;
	struct health *health;
	struct agent_metrics metrics;
	struct http_surface sf;
	struct health_time now;
	struct hcnp *hcnp;
	struct http_server *servers[8];
	size_t nservers;
	struct sn_buf in;
};

static struct health_time scripted(void *ctx)
{
	return ((struct serve *)ctx)->now;
}

static int family(const char *s)
{
	return !strcmp(s, "4") ? SN_AF_INET : !strcmp(s, "6") ? SN_AF_INET6 : -1;
}

static void cmd_sync(struct serve *sv, char *args)
{
	struct hcnp_service svcs[32];
	size_t n = 0;
	struct sn_diag diag;
	unsigned failed;

	for (char *tok = strtok(args, " "); tok && n < SN_ARRAY_SIZE(svcs); tok = strtok(NULL, " ")) {
		char *slash = strchr(tok, '/'), *c1, *c2;
		if (!slash || !(c1 = strchr(slash, ':')) || !(c2 = strchr(c1 + 1, ':'))) {
			printf("error bad service %s\n", tok);
			return;
		}
		*slash = *c1 = *c2 = 0;
		svcs[n++] = (struct hcnp_service){ .ns = tok, .name = slash + 1,
						   .port = (uint16_t)atoi(c1 + 1),
						   .local_endpoints = (unsigned)atoi(c2 + 1) };
	}
	sn_diag_init(&diag);
	failed = hcnp_sync(sv->hcnp, svcs, n, &diag);
	for (size_t i = 0; i < diag.n; i++) {
		struct sn_buf b;
		sn_buf_init(&b);
		sn_diag_format(&diag.recs[i], &b);
		fprintf(stderr, "http_serve: %s\n", b.s);
		sn_buf_free(&b);
	}
	sn_diag_free(&diag);
	printf("ok %u", failed);
	for (size_t i = 0; i < n; i++)
		printf(" %s/%s=%u", svcs[i].ns, svcs[i].name, hcnp_port(sv->hcnp, svcs[i].ns, svcs[i].name));
	printf(" listeners=%zu\n", hcnp_listeners(sv->hcnp));
}

static void command(struct serve *sv, char *line)
{
	char *arg = strchr(line, ' ');

	if (arg)
		*arg++ = 0;
	if (!strcmp(line, "healthz") || !strcmp(line, "metrics")) {
		char *err = NULL;
		struct http_server *s = !strcmp(line, "healthz") ?
			http_healthz_new(sv->loop, arg ? arg : "", &sv->sf, &err) :
			http_metrics_new(sv->loop, arg ? arg : "", &sv->sf, &err);
		if (!s || sv->nservers == SN_ARRAY_SIZE(sv->servers)) {
			printf("error %s\n", err ? err : "too many servers");
			http_server_free(s);
		} else {
			sv->servers[sv->nservers++] = s;
			printf("ok %u\n", http_server_port(s));
		}
		free(err);
	} else if ((!strcmp(line, "queued") || !strcmp(line, "updated")) && arg && family(arg) > 0) {
		if (line[0] == 'q') {
			health_queued(sv->health, family(arg), sv->now);
			metric_set(sv->metrics.sync_last_queued_ts, (double)sv->now.wall_ns / 1e9,
				   family(arg) == SN_AF_INET ? "IPv4" : "IPv6");
		} else {
			health_updated(sv->health, family(arg), sv->now);
			metric_set(sv->metrics.sync_last_ts, (double)sv->now.wall_ns / 1e9,
				   family(arg) == SN_AF_INET ? "IPv4" : "IPv6");
		}
		printf("ok\n");
	} else if (!strcmp(line, "node") && arg) {
		if (!strcmp(arg, "unknown"))
			health_clear_node(sv->health);
		else
			health_set_node(sv->health, !strcmp(arg, "eligible"));
		printf("ok\n");
	} else if (!strcmp(line, "advance") && arg) {
		double s = atof(arg);
		sv->now.wall_ns += (int64_t)(s * 1e9);
		sv->now.mono_ns += (uint64_t)(s * 1e9);
		printf("ok\n");
	} else if (!strcmp(line, "sync")) {
		cmd_sync(sv, arg ? arg : (char *)(uintptr_t)"");
	} else if (!strcmp(line, "observe")) {
		struct agent_metrics *m = &sv->metrics;
		metric_observe(m->sync_duration, 0.0042, "IPv4");
		metric_observe(m->sync_full_duration, 0.0042, "IPv4");
		metric_observe(m->sync_duration, 0.7, "IPv6");
		metric_observe(m->sync_partial_duration, 0.7, "IPv6");
		metric_observe(m->netprog_duration, 1.5, "IPv4");
		metric_add(m->endpoint_changes_total, 3);
		metric_set(m->endpoint_changes_pending, 0);
		metric_add(m->nft_sync_failures, 1, "IPv6");
		metric_set(m->no_local_endpoints, 1, "IPv4", "external");
		metric_add(m->batch_messages, 12, "IPv4");
		metric_add(m->batch_bytes, 4096, "IPv4");
		metric_observe(m->commit_duration, 0.0003, "IPv4");
		metric_set(m->ips_refused, 2, "IPv4", "external");
		printf("ok\n");
	} else if (!strcmp(line, "quit")) {
		printf("ok\n");
		agent_loop_quit(sv->loop, 0);
	} else {
		printf("error unknown command %s\n", line);
	}
	fflush(stdout);
}

static void on_stdin(void *ctx, int fd, uint32_t events)
{
	struct serve *sv = ctx;
	char buf[4096];
	ssize_t r = read(fd, buf, sizeof(buf));
	char *nl;

	if (r <= 0) {
		agent_loop_quit(sv->loop, r < 0 ? 1 : 0);
		return;
	}
	sn_buf_addn(&sv->in, buf, (size_t)r);
	while ((nl = memchr(sv->in.s, '\n', sv->in.len))) {
		size_t len = (size_t)(nl - sv->in.s) + 1;
		char *line = sn_strndup(sv->in.s, len - 1);
		memmove(sv->in.s, sv->in.s + len, sv->in.len - len + 1);
		sv->in.len -= len;
		command(sv, line);
		free(line);
	}
}

int main(void)
{
	struct serve sv = { 0 };
	struct agent_io *in;
	int rc;

	/* 2026-12-05T20:00:00Z, so bodies are predictable. */
	sv.now = (struct health_time){ .wall_ns = 1796500800LL * 1000000000LL, .mono_ns = 1 };
	sv.loop = agent_loop_new();
	sv.health = health_new(HEALTH_TIMEOUT_MS);
	if (!sv.loop || agent_metrics_init(&sv.metrics) < 0) {
		fprintf(stderr, "http_serve: setup failed\n");
		return 1;
	}
	sv.sf = (struct http_surface){ .health = sv.health, .metrics = &sv.metrics,
				       .clock = scripted, .clock_ctx = &sv };
	{
		static const char *const addrs[] = { "127.0.0.1", NULL };
		sv.hcnp = hcnp_new(sv.loop, &sv.sf, addrs);
	}
	sn_buf_init(&sv.in);
	sn_buf_add(&sv.in, "");
	in = agent_io_add(sv.loop, 0, EPOLLIN, on_stdin, &sv);
	printf("ok ready\n");
	fflush(stdout);
	rc = agent_loop_run(sv.loop);
	/* agent_loop_free() frees timers but not watches: remove ours. */
	agent_io_del(in);
	hcnp_free(sv.hcnp);
	for (size_t i = 0; i < sv.nservers; i++)
		http_server_free(sv.servers[i]);
	agent_loop_free(sv.loop);
	agent_metrics_free(&sv.metrics);
	health_free(sv.health);
	sn_buf_free(&sv.in);
	return rc;
}
