// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * agent/hcnp.c: healthCheckNodePort servers.
 */
#include "agent/hcnp.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct hcnp_entry {
	struct hcnp *owner;
	char *ns, *name;
	uint16_t port;			/* as requested (0 = ephemeral, tests only) */
	unsigned local_endpoints;
	struct http_server **servers;	/* one per address; NULL = not open */
	bool seen;			/* in the current hcnp_sync() */
};

struct hcnp {
	struct agent_loop *loop;
	struct http_surface *sf;
	char **addrs;
	size_t naddrs;
	struct hcnp_entry **entries;
	size_t n, cap;
};

static const char *const default_addrs[] = { "0.0.0.0", NULL };

struct hcnp *hcnp_new(struct agent_loop *l, struct http_surface *sf, const char *const *addrs)
{
	struct hcnp *h = sn_calloc(1, sizeof(*h));

	h->loop = l;
	h->sf = sf;
	if (!addrs || !addrs[0])
		addrs = default_addrs;
	while (addrs[h->naddrs])
		h->naddrs++;
	h->addrs = sn_calloc(h->naddrs, sizeof(char *));
	for (size_t i = 0; i < h->naddrs; i++)
		h->addrs[i] = sn_strdup(addrs[i]);
	return h;
}

static void entry_close(struct hcnp *h, struct hcnp_entry *e)
{
	for (size_t i = 0; i < h->naddrs; i++) {
		http_server_free(e->servers[i]);
		e->servers[i] = NULL;
	}
}

static void entry_free(struct hcnp *h, struct hcnp_entry *e)
{
	entry_close(h, e);
	free(e->servers);
	free(e->ns);
	free(e->name);
	free(e);
}

void hcnp_free(struct hcnp *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n; i++)
		entry_free(h, h->entries[i]);
	free(h->entries);
	for (size_t i = 0; i < h->naddrs; i++)
		free(h->addrs[i]);
	free(h->addrs);
	free(h);
}

/* JSON string contents; Kubernetes names are DNS labels, but be safe. */
static void add_json_str(struct sn_buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			sn_buf_printf(b, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			sn_buf_printf(b, "\\u%04x", (unsigned char)*s);
		else
			sn_buf_addc(b, *s);
	}
}

static void handler(void *ctx, const char *method, const char *url, struct http_reply *r)
{
	struct hcnp_entry *e = ctx;
	struct http_surface *sf = e->owner->sf;
	bool healthy = health_healthy(sf->health, sf->clock ? sf->clock(sf->clock_ctx) : health_now());

	r->status = e->local_endpoints && healthy ? 200 : 503;
	r->content_type = "application/json";
	r->headers[0] = "X-Content-Type-Options: nosniff";
	/* GCP's weighted load balancing reads the weight from this header. */
	snprintf(r->header_buf[0], sizeof(r->header_buf[0]), "X-Load-Balancing-Endpoint-Weight: %u",
		 e->local_endpoints);
	r->headers[1] = r->header_buf[0];
	/* kube-proxy's body, tab-indented, no trailing newline. */
	sn_buf_add(&r->body, "{\n\t\"service\": {\n\t\t\"namespace\": \"");
	add_json_str(&r->body, e->ns);
	sn_buf_add(&r->body, "\",\n\t\t\"name\": \"");
	add_json_str(&r->body, e->name);
	sn_buf_printf(&r->body, "\"\n\t},\n\t\"localEndpoints\": %u,\n\t\"serviceProxyHealthy\": %s\n}",
		      e->local_endpoints, healthy ? "true" : "false");
}

static struct hcnp_entry *find(const struct hcnp *h, const char *ns, const char *name)
{
	for (size_t i = 0; i < h->n; i++)
		if (!strcmp(h->entries[i]->ns, ns) && !strcmp(h->entries[i]->name, name))
			return h->entries[i];
	return NULL;
}

static unsigned entry_open(struct hcnp *h, struct hcnp_entry *e, struct sn_diag *diag)
{
	unsigned failed = 0;

	for (size_t i = 0; i < h->naddrs; i++) {
		char addr[SN_ADDR_STRLEN + 16], *err = NULL;
		bool v6 = strchr(h->addrs[i], ':') != NULL;

		if (e->servers[i])
			continue;
		snprintf(addr, sizeof(addr), v6 ? "[%s]:%u" : "%s:%u", h->addrs[i], e->port);
		e->servers[i] = http_server_new(h->loop, addr, handler, e, &err);
		if (!e->servers[i]) {
			failed++;
			if (diag) {
				char *obj = sn_asprintf("Service %s/%s", e->ns, e->name);
				sn_diag_add(diag, SN_ERROR, NULL, obj, "spec.healthCheckNodePort",
					    "FailedToStartServiceHealthcheck: %s", err);
				free(obj);
			}
		}
		free(err);
	}
	return failed;
}

unsigned hcnp_sync(struct hcnp *h, const struct hcnp_service *svcs, size_t n,
		   struct sn_diag *diag)
{
	unsigned failed = 0;

	for (size_t i = 0; i < h->n; i++)
		h->entries[i]->seen = false;
	/* Close everything that goes away or moves before opening anything, so
	 * a port handed from one Service to another in the same sync is free. */
	for (size_t i = 0; i < n; i++) {
		const struct hcnp_service *s = &svcs[i];
		struct hcnp_entry *e = find(h, s->ns, s->name);

		if (e && e->seen)
			continue;	/* a duplicate in svcs: the first wins */
		if (e && e->port != s->port)
			entry_close(h, e);
		if (!e) {
			e = sn_calloc(1, sizeof(*e));
			e->owner = h;
			e->ns = sn_strdup(s->ns);
			e->name = sn_strdup(s->name);
			e->servers = sn_calloc(h->naddrs, sizeof(*e->servers));
			sn_grow(&h->entries, &h->cap, h->n + 1, sizeof(*h->entries));
			h->entries[h->n++] = e;
		}
		e->seen = true;
		e->port = s->port;
		e->local_endpoints = s->local_endpoints;
	}
	for (size_t i = 0; i < h->n;) {
		if (h->entries[i]->seen) {
			i++;
			continue;
		}
		entry_free(h, h->entries[i]);
		h->entries[i] = h->entries[--h->n];
	}
	/* Open what is missing: new, moved, or failed last time. */
	for (size_t i = 0; i < h->n; i++)
		failed += entry_open(h, h->entries[i], diag);
	return failed;
}

size_t hcnp_listeners(const struct hcnp *h)
{
	size_t k = 0;

	for (size_t i = 0; i < h->n; i++)
		for (size_t j = 0; j < h->naddrs; j++)
			k += h->entries[i]->servers[j] != NULL;
	return k;
}

uint16_t hcnp_port(const struct hcnp *h, const char *ns, const char *name)
{
	const struct hcnp_entry *e = find(h, ns, name);

	return e && e->servers[0] ? http_server_port(e->servers[0]) : 0;
}
