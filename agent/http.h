/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * agent/http.h: the agent's HTTP servers on libmicrohttpd, driven by the
 * agent loop. Each server runs MHD without a thread of its own, in its epoll
 * mode: MHD's epoll descriptor is watched by agent/loop and MHD_run() runs
 * from its callback, with MHD's own timeout on an agent timer. MHD never
 * blocks on a socket, so a slow or silent client cannot stall the loop or a
 * sync; idle connections are dropped after HTTP_IDLE_TIMEOUT_S.
 *
 * Servers:
 * - proxy health (healthzBindAddress, default 0.0.0.0:10256): /healthz and
 *   /livez, any method, 200/503 with agent/health's JSON bodies, counted in
 *   kubeproxy_proxy_{healthz,livez}_total{code}; anything else 404.
 * - metrics (metricsBindAddress, default 127.0.0.1:10249): /metrics in the
 *   Prometheus text format 0.0.4, /proxyMode ("nftables", see http.c for
 *   why), /healthz (the generic component check: "ok"); anything else 404.
 * - healthCheckNodePort servers: agent/hcnp.h, on the same generic server.
 *
 * Ownership: a server owns its MHD daemon, its listening socket and its loop
 * registrations; the health, metrics and clock it is given stay the caller's
 * and must outlive it.
 */
#ifndef SVCNFT_AGENT_HTTP_H
#define SVCNFT_AGENT_HTTP_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/health.h"
#include "agent/loop.h"
#include "agent/metrics.h"
#include "lib/sn.h"

/* An idle or silent connection is closed after this many seconds, so a
 * client that connects and sends nothing holds only one descriptor for a
 * while; it never delays other clients (MHD is non-blocking). */
#define HTTP_IDLE_TIMEOUT_S 10
/* Connections per server beyond which new ones are refused: an LB health
 * checker or a scraper opens a handful. */
#define HTTP_MAX_CONNECTIONS 128

struct http_server;

/* What a handler fills in. Headers are "Name: value" lines without CRLF. */
struct http_reply {
	unsigned status;
	const char *content_type;	/* static string */
	struct sn_buf body;
	const char *headers[4];		/* extra headers, static or owned by the handler's ctx */
	char header_buf[2][96];		/* room for headers built per request */
};

typedef void http_handler_fn(void *ctx, const char *method, const char *url,
			     struct http_reply *reply);

/* Listen on addr ("198.18.0.1:10256", "[2001:db8::1]:10256", "0.0.0.0:0" for
 * an ephemeral port, ":10256" for every IPv4 address) and serve every request
 * with fn. On failure returns NULL and sets *err (caller frees) to a message
 * that names the address and the reason ("bind 0.0.0.0:10256: Address
 * already in use"). */
struct http_server *http_server_new(struct agent_loop *l, const char *addr, http_handler_fn *fn,
				    void *ctx, char **err);
void http_server_free(struct http_server *s);	/* NULL is a no-op */
/* The port actually bound (useful with port 0). */
uint16_t http_server_port(const struct http_server *s);

/* The clock the servers read health with: health_now() in the agent, a
 * scripted one in tests. */
typedef struct health_time http_clock_fn(void *ctx);

struct http_surface {
	struct health *health;
	struct agent_metrics *metrics;
	http_clock_fn *clock;	/* NULL = health_now */
	void *clock_ctx;
};

struct http_server *http_healthz_new(struct agent_loop *l, const char *addr,
				     struct http_surface *sf, char **err);
struct http_server *http_metrics_new(struct agent_loop *l, const char *addr,
				     struct http_surface *sf, char **err);

/* What /proxyMode answers. */
#define HTTP_PROXY_MODE "nftables"

#endif
