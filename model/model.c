/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * model/model.c: the service model's containers and the Kubernetes name
 * rules (k8s.io/apimachinery/pkg/util/validation).
 */
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

/* ---- an object's own memory ---- */

struct svc_mem {
	struct svc_mem *next;
	size_t size, used;
	_Alignas(16) char data[];
};

/* 512 bytes hold a typical Service (names, two ports); a slice of many
 * endpoints takes a few blocks, each twice the last. */
#define SVC_MEM_FIRST 512

void *svc_mem_alloc(struct svc_mem **m, size_t n)
{
	struct svc_mem *b = *m;
	void *p;

	n = (n + 7) & ~(size_t)7;
	if (!b || b->size - b->used < n) {
		size_t size = b ? b->size * 2 : SVC_MEM_FIRST;

		while (size < n)
			size *= 2;
		b = sn_malloc(sizeof(*b) + size);
		b->size = size;
		b->used = 0;
		b->next = *m;
		*m = b;
	}
	p = b->data + b->used;
	b->used += n;
	memset(p, 0, n);
	return p;
}

void svc_mem_reserve(struct svc_mem **m, size_t n)
{
	struct svc_mem *b = *m;

	n = (n + 7) & ~(size_t)7;
	if (b && b->size - b->used >= n)
		return;
	b = sn_malloc(sizeof(*b) + n);
	b->size = n;
	b->used = 0;
	b->next = *m;
	*m = b;
}

char *svc_mem_strndup(struct svc_mem **m, const char *s, size_t n)
{
	char *p = svc_mem_alloc(m, n + 1);

	memcpy(p, s, n);
	return p;
}

char *svc_mem_strdup(struct svc_mem **m, const char *s)
{
	return svc_mem_strndup(m, s, strlen(s));
}

bool svc_mem_owns(const struct svc_mem *m, const void *p)
{
	const char *c = p;

	for (; m; m = m->next)
		if (c >= m->data && c < m->data + m->size)
			return true;
	return false;
}

void svc_mem_release(const struct svc_mem *m, void *p)
{
	if (p && !svc_mem_owns(m, p))
		free(p);
}

void svc_mem_free(struct svc_mem *m)
{
	struct svc_mem *next;

	for (; m; m = next) {
		next = m->next;
		free(m);
	}
}

/* ---- the world ---- */

struct svc_world *svc_world_alloc(void)
{
	return sn_calloc(1, sizeof(struct svc_world));
}

void svc_world_free(struct svc_world *w)
{
	unsigned i;

	if (!w)
		return;
	for (i = 0; i < w->nsvcs; i++)
		svc_service_free_contents(&w->svcs[i]);
	for (i = 0; i < w->nslices; i++)
		svc_slice_free_contents(&w->slices[i]);
	for (i = 0; i < w->nnodes; i++)
		svc_node_free_contents(&w->nodes[i]);
	free(w->svcs);
	free(w->slices);
	free(w->nodes);
	free(w);
}

/* Append one zeroed element to an array whose count and capacity are
 * unsigned (the model's choice); returns the new element. */
static void *svc_append(void *arrp, unsigned *n, unsigned *cap, size_t elsz)
{
	size_t scap = *cap;
	char *base;

	if (*n == ~0u) {
		fprintf(stderr, "svcnft: too many objects\n");
		abort();
	}
	sn_grow(arrp, &scap, (size_t)*n + 1, elsz);
	/* sn_grow doubles from 8; cap the bookkeeping at what unsigned holds. */
	*cap = scap > ~0u ? ~0u : (unsigned)scap;
	memcpy(&base, arrp, sizeof(base));
	memset(base + (size_t)*n * elsz, 0, elsz);
	return base + (size_t)(*n)++ * elsz;
}

struct svc_service *svc_world_add_service(struct svc_world *w)
{
	return svc_append(&w->svcs, &w->nsvcs, &w->svcs_cap, sizeof(*w->svcs));
}

struct svc_slice *svc_world_add_slice(struct svc_world *w)
{
	return svc_append(&w->slices, &w->nslices, &w->slices_cap, sizeof(*w->slices));
}

struct svc_node *svc_world_add_node(struct svc_world *w)
{
	return svc_append(&w->nodes, &w->nnodes, &w->nodes_cap, sizeof(*w->nodes));
}

void svc_service_free_contents(struct svc_service *s)
{
	const struct svc_mem *m;
	unsigned i;

	if (!s)
		return;
	m = s->mem;
	svc_mem_release(m, s->ns);
	svc_mem_release(m, s->name);
	svc_mem_release(m, s->skip_reason);
	svc_mem_release(m, s->external_ips);
	svc_mem_release(m, s->lb_ingress);
	svc_mem_release(m, s->source_ranges);
	for (i = 0; i < s->nports; i++) {
		svc_mem_release(m, s->ports[i].name);
		svc_mem_release(m, s->ports[i].target_name);
		svc_mem_release(m, s->ports[i].lost_frontends);
	}
	svc_mem_release(m, s->ports);
	svc_mem_free(s->mem);
	memset(s, 0, sizeof(*s));
}

void svc_slice_free_contents(struct svc_slice *s)
{
	const struct svc_mem *m;
	unsigned i, j;

	if (!s)
		return;
	m = s->mem;
	svc_mem_release(m, s->ns);
	svc_mem_release(m, s->name);
	svc_mem_release(m, s->service);
	for (i = 0; i < s->nports; i++)
		svc_mem_release(m, s->ports[i].name);
	svc_mem_release(m, s->ports);
	for (i = 0; i < s->neps; i++) {
		struct svc_endpoint *e = &s->eps[i];

		svc_mem_release(m, e->node_name);
		for (j = 0; j < e->nzone_hints; j++)
			svc_mem_release(m, e->zone_hints[j]);
		svc_mem_release(m, e->zone_hints);
		for (j = 0; j < e->nnode_hints; j++)
			svc_mem_release(m, e->node_hints[j]);
		svc_mem_release(m, e->node_hints);
		svc_mem_release(m, e->target);
	}
	svc_mem_release(m, s->eps);
	svc_mem_free(s->mem);
	memset(s, 0, sizeof(*s));
}

void svc_node_free_contents(struct svc_node *n)
{
	if (!n)
		return;
	svc_mem_release(n->mem, n->name);
	svc_mem_release(n->mem, n->zone);
	svc_mem_free(n->mem);
	memset(n, 0, sizeof(*n));
}

void svc_world_del_service(struct svc_world *w, unsigned i)
{
	svc_service_free_contents(&w->svcs[i]);
	if (i != --w->nsvcs)
		w->svcs[i] = w->svcs[w->nsvcs];
}

void svc_world_del_slice(struct svc_world *w, unsigned i)
{
	svc_slice_free_contents(&w->slices[i]);
	if (i != --w->nslices)
		w->slices[i] = w->slices[w->nslices];
}

void svc_world_del_node(struct svc_world *w, unsigned i)
{
	svc_node_free_contents(&w->nodes[i]);
	if (i != --w->nnodes)
		w->nodes[i] = w->nodes[w->nnodes];
}

/* ---- Kubernetes name rules ---- */

#define SVC_DNS_LABEL_MAX 63		/* RFC 1123 / RFC 1035 label */
#define SVC_DNS_SUBDOMAIN_MAX 253	/* RFC 1123 subdomain */
#define SVC_PORT_NAME_MAX 15		/* IANA_SVC_NAME (RFC 6335) */

static bool svc_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static bool svc_alnum(char c)
{
	return svc_lower(c) || (c >= '0' && c <= '9');
}

/* [a-z0-9]([-a-z0-9]*[a-z0-9])? over s[0..n), without the length limit. */
static bool svc_label_chars(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || !svc_alnum(s[0]) || !svc_alnum(s[n - 1]))
		return false;
	for (i = 1; i + 1 < n; i++)
		if (!svc_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

bool svc_valid_dns_label(const char *s)
{
	size_t n;

	if (!s)
		return false;
	n = strlen(s);
	return n <= SVC_DNS_LABEL_MAX && svc_label_chars(s, n);
}

bool svc_valid_dns1035_label(const char *s)
{
	return svc_valid_dns_label(s) && svc_lower(s[0]);
}

bool svc_valid_dns_subdomain(const char *s)
{
	const char *p, *dot;
	size_t n;

	if (!s)
		return false;
	n = strlen(s);
	if (n == 0 || n > SVC_DNS_SUBDOMAIN_MAX)
		return false;
	/* Like Kubernetes' IsDNS1123Subdomain, each label follows the label
	 * syntax but only the whole name is length-limited. */
	for (p = s;; p = dot + 1) {
		dot = strchr(p, '.');
		if (!svc_label_chars(p, dot ? (size_t)(dot - p) : strlen(p)))
			return false;
		if (!dot)
			return true;
	}
}

bool svc_valid_port_name(const char *s)
{
	bool letter = false;
	size_t i, n;

	if (!s)
		return false;
	n = strlen(s);
	if (n == 0 || n > SVC_PORT_NAME_MAX)
		return false;
	if (s[0] == '-' || s[n - 1] == '-' || strstr(s, "--"))
		return false;
	for (i = 0; i < n; i++) {
		if (svc_lower(s[i]))
			letter = true;
		else if (!svc_alnum(s[i]) && s[i] != '-')
			return false;
	}
	return letter;
}
