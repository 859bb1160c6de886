/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * agent/hcnp.h: the healthCheckNodePort servers of externalTrafficPolicy:
 * Local LoadBalancer Services (kube-proxy pkg/proxy/healthcheck
 * service_health.go). One HTTP server per Service and bind address, opened
 * and closed by hcnp_sync() after each sync. Any path and method: 200 iff the
 * Service has ready local endpoints and the proxy is healthy, else 503, with
 * the tab-indented JSON body kube-proxy sends and the headers
 * Content-Type: application/json, X-Content-Type-Options: nosniff and
 * X-Load-Balancing-Endpoint-Weight: <local endpoints>.
 *
 * Ownership: hcnp owns its servers and copies of the Services given to
 * hcnp_sync(); the loop and the http_surface (health, clock) are the
 * caller's and must outlive it.
 */
#ifndef SVCNFT_AGENT_HCNP_H
#define SVCNFT_AGENT_HCNP_H

#include <stddef.h>
#include <stdint.h>

#include "agent/http.h"
#include "agent/loop.h"
#include "lib/sn.h"

struct hcnp;

struct hcnp_service {
	const char *ns, *name;
	uint16_t port;			/* spec.healthCheckNodePort */
	unsigned local_endpoints;	/* ready endpoints on this node */
};

/* addrs: the addresses to listen on, NULL-terminated ("0.0.0.0", or the node
 * IPs inside nodePortAddresses); NULL = { "0.0.0.0" }. Copied. */
struct hcnp *hcnp_new(struct agent_loop *l, struct http_surface *sf, const char *const *addrs);
void hcnp_free(struct hcnp *h);	/* NULL is a no-op; closes every server */

/* Make the servers match svcs (the whole current set). New Services get a
 * listener, gone ones are closed, a changed port is reopened, and counts of
 * the rest are updated in place. A listener that failed to open is reported
 * in diag (object "Service ns/name", one record per failure) and tried again
 * on the next sync; the caller decides whether that is fatal
 * (bindAddressHardFail). Returns the number of failures. */
unsigned hcnp_sync(struct hcnp *h, const struct hcnp_service *svcs, size_t n,
		   struct sn_diag *diag);

/* How many listeners are open (for tests and metrics). */
size_t hcnp_listeners(const struct hcnp *h);
/* The port actually bound for ns/name on the first address (0 = not open);
 * with hcnp_service.port 0 an ephemeral one, which only tests use. */
uint16_t hcnp_port(const struct hcnp *h, const char *ns, const char *name);

#endif
