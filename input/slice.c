// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * input/slice.c: discovery.k8s.io/v1 EndpointSlices, and legacy v1
 * Endpoints converted to the same svc_slice (one per subset and address
 * family), with Kubernetes' validation and defaults (ready and serving
 * true, terminating false, protocol TCP).
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "input/obj.h"

#define LABEL_SERVICE_NAME "kubernetes.io/service-name"
#define LABEL_PROXY_NAME "service.kubernetes.io/service-proxy-name"
#define LABEL_HEADLESS "service.kubernetes.io/headless"
/* v1 Endpoints the EndpointSlice mirroring controller never mirrors, so
 * kube-proxy (which reads only EndpointSlices) never uses them */
#define LABEL_SKIP_MIRROR "endpointslice.kubernetes.io/skip-mirror"
#define ANNOTATION_LEADER "control-plane.alpha.kubernetes.io/leader"

/* FQDN slices exist (for ExternalName-like uses) but carry no IPs. */
#define ADDRESS_FQDN 1
/* Endpoints in one EndpointSlice: the API server refuses more
 * (discovery/validation: maxEndpoints). */
#define SLICE_MAX_ENDPOINTS 1000u

static const struct input_enum address_types[] = {
	{ .name = "IPv4", .value = SN_AF_INET },
	{ .name = "IPv6", .value = SN_AF_INET6 },
	{ .name = "FQDN", .value = ADDRESS_FQDN },
	{ .name = NULL },
};

/* Every field of these Kubernetes types, for unknown-field warnings. */
static const char *const slice_fields[] = {
	"addressType", "apiVersion", "endpoints", "kind", "metadata", "ports", NULL,
};

static const char *const endpoint_fields[] = {
	"addresses", "conditions", "deprecatedTopology", "hints", "hostname", "nodeName",
	"targetRef", "zone", NULL,
};

static const char *const conditions_fields[] = { "ready", "serving", "terminating", NULL };
static const char *const hints_fields[] = { "forNodes", "forZones", NULL };
static const char *const for_zone_fields[] = { "name", NULL };
static const char *const for_node_fields[] = { "name", NULL };
static const char *const target_ref_fields[] = {
	"apiVersion", "fieldPath", "kind", "name", "namespace", "resourceVersion", "uid", NULL,
};
static const char *const port_fields[] = { "appProtocol", "name", "port", "protocol", NULL };
static const char *const endpoints_fields[] = { "apiVersion", "kind", "metadata", "subsets", NULL };
static const char *const subset_fields[] = { "addresses", "notReadyAddresses", "ports", NULL };
static const char *const address_fields[] = { "hostname", "ip", "nodeName", "targetRef", NULL };

static const char *family_name(uint8_t family)
{
	return family == SN_AF_INET6 ? "IPv6" : "IPv4";
}

/* kube-proxy's informers never see objects with these labels. */
static bool skipped_by_label(struct input_obj *o, const struct input_meta *meta)
{
	const char *label = input_has_label(meta, LABEL_PROXY_NAME) ? LABEL_PROXY_NAME
			    : input_has_label(meta, LABEL_HEADLESS) ? LABEL_HEADLESS
								      : NULL;

	if (!label)
		return false;
	input_obj_note(o, NULL, NULL, "skipped: label %s (kube-proxy does not read it)", label);
	return true;
}

/* ---- ports ---- */

struct sport_check {
	struct input_obj *o;
	const struct svc_slice_port *ports;
	const struct input_node *const *items;
	const bool *bad;	/* names that failed: equal to nothing */
	bool skip_empty;	/* v1 Endpoints report unnamed ports on their own */
};

static int sport_name_cmp(void *ctx, unsigned i, unsigned j)
{
	const struct sport_check *c = ctx;
	const char *a = c->ports[i].name, *b = c->ports[j].name;

	if (c->bad[i] || c->bad[j] || (c->skip_empty && (!*a || !*b)))
		return i < j ? -1 : i > j;
	return strcmp(a, b);
}

static void sport_name_dup(void *ctx, unsigned first, unsigned second)
{
	const struct sport_check *c = ctx;
	const char *name = c->ports[second].name;
	const struct input_node *at = input_map_get(c->items[second], "name");
	char q[INPUT_QUOTE_MAX];
	size_t mark = input_obj_push_idx(c->o, second);

	input_obj_err(c->o, at ? at : c->items[second], "name",
		      "duplicate name %s (also ports[%u]; port names must be distinct)",
		      input_quote(q, sizeof(q), name, strlen(name)), first);
	input_obj_pop(c->o, mark);
}

/*
 * Where a slice's strings and arrays go: the slice's own block list
 * (model.h: svc_mem) when m is not NULL, as for an EndpointSlice, which
 * then takes two or three allocations instead of one per string and
 * array (16 for a slice of 10 endpoints); or plain malloc (m NULL) for the
 * v1 Endpoints path, whose groups and ports are handed between slices.
 */
static void *slice_calloc(struct svc_mem **m, size_t n, size_t size)
{
	return m ? svc_mem_alloc(m, n * size) : sn_calloc(n, size);
}

static char *slice_strndup(struct svc_mem **m, const char *s, size_t n)
{
	return m ? svc_mem_strndup(m, s, n) : sn_strndup(s, n);
}

/* ports[] of an EndpointSlice or of an Endpoints subset (v1: the port number
 * is required, and a name is when there is more than one port). */
static void read_ports(struct input_obj *o, const struct input_node *m, bool v1,
		       struct svc_slice_port **out, unsigned *nout, struct svc_mem **mem)
{
	const struct input_node *seq, *it, **items;
	struct sport_check sc;
	struct svc_slice_port *ports;
	size_t mark;
	bool *bad;
	unsigned i;

	if (input_get_seq(o, m, "ports", &seq) != INPUT_SET || seq->n == 0)
		return;
	ports = slice_calloc(mem, seq->n, sizeof(*ports));
	items = sn_calloc(seq->n, sizeof(*items));
	bad = sn_calloc(seq->n, sizeof(*bad));
	mark = input_obj_push(o, "ports");
	for (i = 0, it = seq->child; it; it = it->next, i++) {
		size_t m2 = input_obj_push_idx(o, i);
		struct svc_slice_port *p = &ports[i];
		const struct input_node *item = input_deref(it), *n;
		int proto = IPPROTO_TCP, r;

		items[i] = item;
		p->proto = IPPROTO_TCP;
		if (!input_want_map(o, item, NULL)) {
			p->name = slice_strndup(mem, "", 0);
			bad[i] = true;
			input_obj_pop(o, m2);
			continue;
		}
		input_check_fields(o, item, port_fields);
		r = input_get_str(o, item, "name", &n);
		if (r == INPUT_SET && n->len > 0 &&
		    input_check_name(o, n, "name", INPUT_NAME_DNS_LABEL, "port name"))
			p->name = slice_strndup(mem, n->s, n->len);
		else
			p->name = slice_strndup(mem, "", 0);
		if (r == INPUT_BAD || (r == INPUT_SET && n->len > 0 && !p->name[0]))
			bad[i] = true;
		else if (v1 && seq->n > 1 && !p->name[0])
			input_obj_err(o, n ? n : item, "name",
				      "missing (required: every port needs a name when a subset has more than one)");
		if (input_get_enum(o, item, "protocol", "a protocol", input_protocols, &proto,
				   NULL) == INPUT_SET)
			p->proto = (uint8_t)proto;
		/* A slice port without a number is legal (it is skipped by the
		 * compiler); an Endpoints port must have one. */
		if (input_get_port(o, item, "port", &p->port, false) == INPUT_ABSENT && v1)
			input_obj_err(o, item, "port", "missing (required: the port number, 1-65535)");
		input_obj_pop(o, m2);
	}
	*out = ports;
	*nout = seq->n;
	sc = (struct sport_check){ .o = o, .ports = ports, .items = items, .bad = bad,
				   .skip_empty = v1 };
	input_find_dups(seq->n, sport_name_cmp, sport_name_dup, &sc);
	input_obj_pop(o, mark);
	free(bad);
	free(items);
}

/* ---- endpoints ---- */

/* An endpoint address: family must match (family 0: any, set *family). */
static bool read_address(struct input_obj *o, const struct input_node *n, const char *key,
			 uint8_t want, struct sn_addr *a)
{
	char q[INPUT_QUOTE_MAX];
	const char *why;

	n = input_deref(n);
	if (input_want_str(o, n, key) != INPUT_SET) {
		if (input_is_null(n))
			input_obj_err(o, n, key, "null is not an IP address");
		return false;
	}
	if (input_parse_ip(n, a) < 0 || (want && a->family != want)) {
		if (want)
			input_obj_err(o, n, key, "%s is not an %s address (addressType is %s)",
				      input_quote(q, sizeof(q), n->s, n->len), family_name(want),
				      family_name(want));
		else
			input_obj_err(o, n, key, "%s is not an IP address",
				      input_quote(q, sizeof(q), n->s, n->len));
		return false;
	}
	why = input_endpoint_ip_problem(a);
	if (why) {
		input_obj_err(o, n, key, "%s is %s (the API server refuses it)",
			      input_quote(q, sizeof(q), n->s, n->len), why);
		return false;
	}
	return true;
}

static void read_node_name(struct input_obj *o, const struct input_node *m,
			   struct svc_endpoint *e, struct svc_mem **mem)
{
	const struct input_node *n;

	if (input_get_str(o, m, "nodeName", &n) == INPUT_SET && n->len > 0 &&
	    input_check_name(o, n, "nodeName", INPUT_NAME_DNS_SUBDOMAIN, "node name"))
		e->node_name = slice_strndup(mem, n->s, n->len);
}

/* targetRef: "namespace/name" of the Pod, for people. */
static void read_target_ref(struct input_obj *o, const struct input_node *m, const char *ns,
			    struct svc_endpoint *e, struct svc_mem **mem)
{
	const struct input_node *ref, *n, *rns;
	bool ok = true;
	size_t mark;

	if (input_get_map(o, m, "targetRef", &ref) != INPUT_SET)
		return;
	mark = input_obj_push(o, "targetRef");
	input_check_fields(o, ref, target_ref_fields);
	if (input_get_str(o, ref, "namespace", &rns) == INPUT_SET && rns->len > 0) {
		ok = input_name_ok(INPUT_NAME_DNS_LABEL, rns->s);
		ns = rns->s;
	}
	/* targetRef is for people (messages, chain notes): a name svcnft would
	 * not print is left out with a warning, never an error */
	if (input_get_str(o, ref, "name", &n) == INPUT_SET && n->len > 0) {
		if (!input_name_ok(INPUT_NAME_DNS_SUBDOMAIN, n->s)) {
			char q[INPUT_QUOTE_MAX];

			input_obj_warn(o, n, "name", "%s is not an object name: not shown",
				       input_quote(q, sizeof(q), n->s, n->len));
		} else if (ok && ns) {
			char *t = sn_asprintf("%s/%s", ns, n->s);

			e->target = mem ? svc_mem_strdup(mem, t) : t;
			if (mem)
				free(t);
		}
	}
	input_obj_pop(o, mark);
}

static void read_hints(struct input_obj *o, const struct input_node *m, struct svc_endpoint *e,
		       struct svc_mem **mem)
{
	const struct input_node *hints, *seq, *it, *n;
	size_t mark;
	unsigned i;

	if (input_get_map(o, m, "hints", &hints) != INPUT_SET)
		return;
	mark = input_obj_push(o, "hints");
	input_check_fields(o, hints, hints_fields);
	if (input_get_seq(o, hints, "forZones", &seq) == INPUT_SET && seq->n > 0) {
		input_obj_push(o, "forZones");
		e->zone_hints = slice_calloc(mem, seq->n, sizeof(*e->zone_hints));
		for (i = 0, it = seq->child; it; it = it->next, i++) {
			size_t m2 = input_obj_push_idx(o, i);

			if (input_want_map(o, it, NULL)) {
				int r = input_get_str(o, it, "name", &n);

				input_check_fields(o, it, for_zone_fields);

				if (r == INPUT_SET && input_check_name(o, n, "name", INPUT_NAME_LABEL_VALUE,
								       "zone name"))
					e->zone_hints[e->nzone_hints++] = slice_strndup(mem, n->s, n->len);
				else if (r == INPUT_ABSENT)
					input_obj_err(o, it, "name", "missing (required: the zone's name)");
			}
			input_obj_pop(o, m2);
		}
	}
	/* forNodes: trafficDistribution PreferSameNode (beta and on by default
	 * in 1.34), used before zone hints */
	if (input_get_seq(o, hints, "forNodes", &seq) == INPUT_SET && seq->n > 0) {
		size_t m1 = input_obj_push(o, "forNodes");

		e->node_hints = slice_calloc(mem, seq->n, sizeof(*e->node_hints));
		for (i = 0, it = seq->child; it; it = it->next, i++) {
			size_t m2 = input_obj_push_idx(o, i);

			if (input_want_map(o, it, NULL)) {
				int r = input_get_str(o, it, "name", &n);

				input_check_fields(o, it, for_node_fields);
				if (r == INPUT_SET && input_check_name(o, n, "name", INPUT_NAME_DNS_SUBDOMAIN,
								       "node name"))
					e->node_hints[e->nnode_hints++] = slice_strndup(mem, n->s, n->len);
				else if (r == INPUT_ABSENT)
					input_obj_err(o, it, "name", "missing (required: the node's name)");
			}
			input_obj_pop(o, m2);
		}
		input_obj_pop(o, m1);
	}
	input_obj_pop(o, mark);
}

static void read_conditions(struct input_obj *o, const struct input_node *m,
			    struct svc_endpoint *e)
{
	const struct input_node *c;
	size_t mark;

	/* absent conditions: ready and serving, not terminating */
	e->ready = e->serving = true;
	e->terminating = false;
	if (input_get_map(o, m, "conditions", &c) != INPUT_SET)
		return;
	mark = input_obj_push(o, "conditions");
	input_check_fields(o, c, conditions_fields);
	input_get_bool(o, c, "ready", &e->ready);
	input_get_bool(o, c, "serving", &e->serving);
	input_get_bool(o, c, "terminating", &e->terminating);
	input_obj_pop(o, mark);
}

static void read_slice_endpoint(struct input_obj *o, const struct input_node *item,
				uint8_t family, const char *ns, struct svc_endpoint *e,
				struct svc_mem **mem)
{
	const struct input_node *seq, *it, *n;
	size_t mark;
	unsigned i;
	int r;

	input_check_fields(o, item, endpoint_fields);
	r = input_get_seq(o, item, "addresses", &seq);
	if (r == INPUT_SET && seq->n > 0) {
		mark = input_obj_push(o, "addresses");
		/* Every address is validated; only the first is used (as kube-proxy). */
		for (i = 0, it = seq->child; it; it = it->next, i++) {
			struct sn_addr a;
			size_t m2 = input_obj_push_idx(o, i);

			if (read_address(o, it, NULL, family, &a) && i == 0)
				e->addr = a;
			input_obj_pop(o, m2);
		}
		input_obj_pop(o, mark);
	} else if (r != INPUT_BAD) {
		input_obj_err(o, seq ? seq : item, "addresses",
			      "missing (required: at least one address)");
	}
	read_conditions(o, item, e);
	read_node_name(o, item, e, mem);
	read_hints(o, item, e, mem);
	read_target_ref(o, item, ns, e, mem);
	if (input_get_str(o, item, "zone", &n) == INPUT_SET && n->len > 0)
		input_check_name(o, n, "zone", INPUT_NAME_LABEL_VALUE, "zone name");
	/* hostname is for DNS, not read */
}

/* One block for the whole slice, taken before its first string: the
 * endpoints array, and for the strings (names, node names, ports) a guess
 * that is usually enough. Does nothing once the slice has a block. */
static void slice_reserve(struct svc_slice *s, const struct input_node *root)
{
	const struct input_node *seq = input_deref(input_map_get(root, "endpoints"));

	if (s->mem)
		return;
	/* a slice over the API server's limit is refused before it is read */
	svc_mem_reserve(&s->mem, 256 + (seq && seq->kind == INPUT_SEQ && seq->n <= SLICE_MAX_ENDPOINTS ?
					 (size_t)seq->n * (sizeof(*s->eps) + 16) : 0));
}

void input_read_slice(struct svc_world *w, struct input_obj *o, const struct input_node *root,
		      const struct input_meta *meta)
{
	struct svc_slice s = { 0 };
	const struct input_node *at, *svc, *seq, *it;
	int family = 0, r;
	size_t mark;
	unsigned i;

	r = input_get_enum(o, root, "addressType", "an address type", address_types, &family, &at);
	if (r == INPUT_SET && family == ADDRESS_FQDN) {
		input_obj_note(o, at, "addressType",
			       "skipped: FQDN slices carry no IP addresses (kube-proxy reads IPv4 and IPv6 slices)");
		return;
	}
	if (r == INPUT_ABSENT)
		input_obj_err(o, NULL, "addressType", "missing (required: IPv4 or IPv6)");
	if (r != INPUT_SET)
		family = 0;

	r = input_get_label(o, meta, LABEL_SERVICE_NAME, &svc);
	if (r == INPUT_ABSENT) {
		input_obj_note(o, NULL, NULL,
			       "skipped: no label " LABEL_SERVICE_NAME
			       " (kube-proxy reads only slices that belong to a Service)");
		return;
	}
	if (skipped_by_label(o, meta))
		return;
	if (r == INPUT_SET) {
		char q[INPUT_QUOTE_MAX];

		mark = input_obj_push(o, "metadata.labels");
		input_obj_push_bracket(o, LABEL_SERVICE_NAME);
		if (input_is_null(svc) || svc->len == 0 ||
		    (input_name_ok(INPUT_NAME_LABEL_VALUE, svc->s) &&
		     !input_name_ok(INPUT_NAME_DNS1035_LABEL, svc->s))) {
			/* The API server accepts any label value, but no Service
			 * has this name: kube-proxy never uses the slice. */
			input_obj_note(o, svc, NULL,
				       "skipped: %s is not a Service name (RFC 1035 label), so the slice belongs to no Service",
				       input_is_null(svc) ? "\"\"" : input_quote(q, sizeof(q), svc->s, svc->len));
			input_obj_pop(o, mark);
			return;
		}
		/* not even a label value: the API server refuses the object */
		if (input_check_name(o, svc, NULL, INPUT_NAME_LABEL_VALUE, "label value")) {
			slice_reserve(&s, root);
			s.service = svc_mem_strndup(&s.mem, svc->s, svc->len);
		}
		input_obj_pop(o, mark);
	}

	input_check_fields(o, root, slice_fields);
	slice_reserve(&s, root);
	s.loc = o->loc;
	s.family = (uint8_t)family;
	if (meta->valid) {
		s.ns = svc_mem_strdup(&s.mem, meta->ns);
		s.name = svc_mem_strdup(&s.mem, meta->name);
	}
	read_ports(o, root, false, &s.ports, &s.nports, &s.mem);
	r = input_get_seq(o, root, "endpoints", &seq);
	if (r == INPUT_SET && seq->n > SLICE_MAX_ENDPOINTS) {
		/* The API server's limit (maxEndpoints): the whole slice is
		 * refused, before any endpoint is read, so the work stays
		 * bounded however long the list. */
		input_obj_err(o, seq, "endpoints", "too many: %zu (must have at most %u items)",
			      (size_t)seq->n, SLICE_MAX_ENDPOINTS);
	} else if (r == INPUT_SET && seq->n > 0) {
		s.eps = svc_mem_alloc(&s.mem, (size_t)seq->n * sizeof(*s.eps));
		mark = input_obj_push(o, "endpoints");
		for (i = 0, it = seq->child; it; it = it->next, i++) {
			size_t m2 = input_obj_push_idx(o, i);

			s.neps++;
			if (input_want_map(o, it, NULL))
				read_slice_endpoint(o, input_deref(it), (uint8_t)family, meta->ns,
						    &s.eps[i], &s.mem);
			input_obj_pop(o, m2);
		}
		input_obj_pop(o, mark);
	}
	if (o->nerr) {
		svc_slice_free_contents(&s);
		return;
	}
	*svc_world_add_slice(w) = s;
}

/* ---- v1 Endpoints ---- */

/* Endpoints of one subset, split by family (a subset may mix them). */
struct ep_group {
	struct svc_endpoint *eps;
	unsigned n, cap;
	uint8_t family;
};

static void read_v1_addresses(struct input_obj *o, const struct input_node *subset,
			      const char *key, bool ready, const char *ns,
			      struct ep_group groups[2], unsigned *ngroups)
{
	const struct input_node *seq, *it, *ipn;
	size_t mark;
	unsigned i, g;

	if (input_get_seq(o, subset, key, &seq) != INPUT_SET || seq->n == 0)
		return;
	mark = input_obj_push(o, key);
	for (i = 0, it = seq->child; it; it = it->next, i++) {
		size_t m2 = input_obj_push_idx(o, i);
		const struct input_node *item = input_deref(it);
		struct svc_endpoint e = { 0 };
		struct ep_group *grp = NULL;

		if (!input_want_map(o, item, NULL)) {
			input_obj_pop(o, m2);
			continue;
		}
		input_check_fields(o, item, address_fields);
		ipn = input_map_get(item, "ip");
		if (!ipn)
			input_obj_err(o, item, "ip", "missing (required: the endpoint's IP address)");
		else if (!read_address(o, ipn, "ip", 0, &e.addr))
			e.addr.family = 0;
		e.ready = e.serving = ready;
		e.terminating = false;
		read_node_name(o, item, &e, NULL);
		read_target_ref(o, item, ns, &e, NULL);
		/* hostname is for DNS, not read */
		for (g = 0; g < *ngroups; g++) {
			if (groups[g].family == e.addr.family)
				grp = &groups[g];
		}
		if (!grp && e.addr.family && *ngroups < 2) {
			grp = &groups[(*ngroups)++];
			grp->family = e.addr.family;
		}
		if (grp) {
			if (grp->n == grp->cap) {
				grp->cap = grp->cap ? grp->cap * 2 : 8;
				grp->eps = sn_realloc(grp->eps, grp->cap * sizeof(*grp->eps));
			}
			grp->eps[grp->n++] = e;
		} else {
			/* address failed: keep nothing of it */
			free(e.node_name);
			free(e.target);
		}
		input_obj_pop(o, m2);
	}
	input_obj_pop(o, mark);
}

static struct svc_slice_port *copy_ports(const struct svc_slice_port *p, unsigned n)
{
	struct svc_slice_port *c = n ? sn_calloc(n, sizeof(*c)) : NULL;
	unsigned i;

	for (i = 0; i < n; i++) {
		c[i] = p[i];
		c[i].name = sn_strdup(p[i].name);
	}
	return c;
}

void input_read_endpoints(struct svc_world *w, struct input_obj *o,
			  const struct input_node *root, const struct input_meta *meta)
{
	const struct input_node *seq, *it;
	struct svc_slice *out = NULL;
	unsigned nout = 0, i, g;
	size_t mark;

	const struct input_node *skip;

	if (skipped_by_label(o, meta))
		return;
	skip = input_map_find(meta->labels, LABEL_SKIP_MIRROR);
	skip = input_deref(skip);
	if (skip && skip->kind == INPUT_SCALAR && skip->len == 4 && !memcmp(skip->s, "true", 4)) {
		input_obj_note(o, NULL, NULL,
			       "skipped: label " LABEL_SKIP_MIRROR "=true (no EndpointSlice is mirrored from it, and kube-proxy reads only EndpointSlices)");
		return;
	}
	if (input_map_find(meta->annotations, ANNOTATION_LEADER)) {
		input_obj_note(o, NULL, NULL,
			       "skipped: annotation " ANNOTATION_LEADER " (a leader-election record: no EndpointSlice is mirrored from it)");
		return;
	}
	input_check_fields(o, root, endpoints_fields);
	if (input_get_seq(o, root, "subsets", &seq) != INPUT_SET || seq->n == 0)
		return;
	out = sn_calloc(2 * (size_t)seq->n, sizeof(*out));
	mark = input_obj_push(o, "subsets");
	for (i = 0, it = seq->child; it; it = it->next, i++) {
		size_t m2 = input_obj_push_idx(o, i);
		const struct input_node *subset = input_deref(it);
		struct ep_group groups[2] = { { 0 } };
		struct svc_slice_port *ports = NULL;
		unsigned nports = 0, ngroups = 0;

		if (!input_want_map(o, subset, NULL)) {
			input_obj_pop(o, m2);
			continue;
		}
		input_check_fields(o, subset, subset_fields);
		read_ports(o, subset, true, &ports, &nports, NULL);
		read_v1_addresses(o, subset, "addresses", true, meta->ns, groups, &ngroups);
		read_v1_addresses(o, subset, "notReadyAddresses", false, meta->ns, groups,
				  &ngroups);
		for (g = 0; g < ngroups; g++) {
			struct svc_slice *s = &out[nout++];

			s->loc = o->loc;
			s->from_endpoints = true;
			s->family = groups[g].family;
			s->eps = groups[g].eps;
			s->neps = groups[g].n;
			s->ports = g == 0 ? ports : copy_ports(ports, nports);
			s->nports = nports;
			if (meta->valid) {
				s->ns = sn_strdup(meta->ns);
				s->name = sn_strdup(meta->name);
				s->service = sn_strdup(meta->name);
			}
		}
		if (ngroups == 0) {
			struct svc_slice tmp = { .ports = ports, .nports = nports };

			svc_slice_free_contents(&tmp);
		}
		input_obj_pop(o, m2);
	}
	input_obj_pop(o, mark);
	for (i = 0; i < nout; i++) {
		if (o->nerr)
			svc_slice_free_contents(&out[i]);
		else
			*svc_world_add_slice(w) = out[i];
	}
	free(out);
}
