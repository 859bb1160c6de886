// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * input/service.c: a v1 Service to a svc_service, with Kubernetes' own
 * validation (pkg/apis/core/validation ValidateService) for every field
 * svcnft uses, and its defaulting (type ClusterIP, protocol TCP,
 * targetPort = port, affinity timeout 10800, ipFamilyPolicy).
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "input/obj.h"

/* Kubernetes' sessionAffinityConfig.clientIP.timeoutSeconds: default 3 h,
 * at most one day. */
#define AFFINITY_TIMEOUT_DEFAULT 10800
#define AFFINITY_TIMEOUT_MAX 86400

static const struct input_enum svc_types[] = {
	{ .name = "ClusterIP", .value = SVC_CLUSTER_IP },
	{ .name = "NodePort", .value = SVC_NODE_PORT },
	{ .name = "LoadBalancer", .value = SVC_LOAD_BALANCER },
	{ .name = "ExternalName", .value = SVC_EXTERNAL_NAME },
	{ .name = NULL },
};

static const char *const svc_type_names[] = {
	[SVC_CLUSTER_IP] = "ClusterIP",
	[SVC_NODE_PORT] = "NodePort",
	[SVC_LOAD_BALANCER] = "LoadBalancer",
	[SVC_EXTERNAL_NAME] = "ExternalName",
};

static const struct input_enum family_policies[] = {
	{ .name = "SingleStack", .value = SVC_SINGLE_STACK },
	{ .name = "PreferDualStack", .value = SVC_PREFER_DUAL_STACK },
	{ .name = "RequireDualStack", .value = SVC_REQUIRE_DUAL_STACK },
	{ .name = NULL },
};

static const struct input_enum affinities[] = {
	{ .name = "None", .value = 0 },
	{ .name = "ClientIP", .value = 1 },
	{ .name = NULL },
};

/* "Global" is externalTrafficPolicy's pre-1.14 spelling of Cluster. */
static const struct input_enum etp_policies[] = {
	{ .name = "Cluster", .value = 0 },
	{ .name = "Local", .value = 1 },
	{ .name = "Global", .value = 0, .hidden = true },
	{ .name = NULL },
};

static const struct input_enum itp_policies[] = {
	{ .name = "Cluster", .value = 0 },
	{ .name = "Local", .value = 1 },
	{ .name = NULL },
};

enum { IPMODE_VIP, IPMODE_PROXY };

static const struct input_enum ip_modes[] = {
	{ .name = "VIP", .value = IPMODE_VIP },
	{ .name = "Proxy", .value = IPMODE_PROXY },
	{ .name = NULL },
};

/* Every field of these Kubernetes types (core/v1), for unknown-field warnings. */
static const char *const service_fields[] = {
	"apiVersion", "kind", "metadata", "spec", "status", NULL,
};

static const char *const spec_fields[] = {
	"allocateLoadBalancerNodePorts", "clusterIP", "clusterIPs", "externalIPs", "externalName",
	"externalTrafficPolicy", "healthCheckNodePort", "internalTrafficPolicy", "ipFamilies",
	"ipFamilyPolicy", "loadBalancerClass", "loadBalancerIP", "loadBalancerSourceRanges",
	"ports", "publishNotReadyAddresses", "selector", "sessionAffinity",
	"sessionAffinityConfig", "trafficDistribution", "type", NULL,
};

static const char *const port_fields[] = {
	"appProtocol", "name", "nodePort", "port", "protocol", "targetPort", NULL,
};

static const char *const affinity_config_fields[] = { "clientIP", NULL };
static const char *const client_ip_fields[] = { "timeoutSeconds", NULL };
static const char *const status_fields[] = { "conditions", "loadBalancer", NULL };
static const char *const lb_status_fields[] = { "ingress", NULL };
static const char *const ingress_fields[] = { "hostname", "ip", "ipMode", "ports", NULL };

static const char *family_name(uint8_t family)
{
	return family == SN_AF_INET6 ? "IPv6" : "IPv4";
}

/* ---- ports ---- */

struct port_check {
	struct input_obj *o;
	const struct svc_port *ports;
	const struct input_node *const *items;
};

/* Equal (port, protocol); a port that failed to read (0) equals nothing. */
static int port_cmp(void *ctx, unsigned i, unsigned j)
{
	const struct port_check *c = ctx;
	const struct svc_port *a = &c->ports[i], *b = &c->ports[j];

	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if (a->port == 0)
		return i < j ? -1 : i > j;
	return 0;
}

static void port_dup(void *ctx, unsigned first, unsigned second)
{
	const struct port_check *c = ctx;
	const struct svc_port *p = &c->ports[second];
	size_t mark = input_obj_push_idx(c->o, second);

	input_obj_err(c->o, c->items[second], NULL,
		      "duplicate port %u/%s (also spec.ports[%u]; a port and protocol may appear once)",
		      p->port, input_proto_name(p->proto), first);
	input_obj_pop(c->o, mark);
}

static int node_port_cmp(void *ctx, unsigned i, unsigned j)
{
	const struct port_check *c = ctx;
	const struct svc_port *a = &c->ports[i], *b = &c->ports[j];

	if (a->node_port != b->node_port)
		return a->node_port < b->node_port ? -1 : 1;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if (a->node_port == 0)
		return i < j ? -1 : i > j;
	return 0;
}

static void node_port_dup(void *ctx, unsigned first, unsigned second)
{
	const struct port_check *c = ctx;
	const struct svc_port *p = &c->ports[second];
	size_t mark = input_obj_push_idx(c->o, second);

	input_obj_err(c->o, input_map_get(c->items[second], "nodePort"), "nodePort",
		      "duplicate nodePort %u/%s (also spec.ports[%u].nodePort; a node port and protocol may appear once)",
		      p->node_port, input_proto_name(p->proto), first);
	input_obj_pop(c->o, mark);
}

/* Equal names; unnamed ports (reported on their own) equal nothing. */
static int name_cmp(void *ctx, unsigned i, unsigned j)
{
	const struct port_check *c = ctx;
	const char *a = c->ports[i].name, *b = c->ports[j].name;
	int r;

	if (!a || !*a || !b || !*b)
		return i < j ? -1 : i > j;
	r = strcmp(a, b);
	return r;
}

static void name_dup(void *ctx, unsigned first, unsigned second)
{
	const struct port_check *c = ctx;
	char q[INPUT_QUOTE_MAX];
	const char *name = c->ports[second].name;
	size_t mark = input_obj_push_idx(c->o, second);

	input_obj_err(c->o, input_map_get(c->items[second], "name"), "name",
		      "duplicate name %s (also spec.ports[%u].name; port names must be distinct)",
		      input_quote(q, sizeof(q), name, strlen(name)), first);
	input_obj_pop(c->o, mark);
}

static bool all_digits(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
	}
	return len > 0;
}

/* spec.ports[].targetPort: IntOrString. 0 and "" mean "same as port". */
static void read_target_port(struct input_obj *o, const struct input_node *item,
			     struct svc_port *p)
{
	const struct input_node *n = input_map_get(item, "targetPort");
	char q[INPUT_QUOTE_MAX], got[INPUT_QUOTE_MAX + 32];
	int64_t v;

	p->target_port = p->port;
	if (!n)
		return;
	if (n->kind == INPUT_SCALAR && (n->type == INPUT_INT || n->type == INPUT_FLOAT) &&
	    input_node_int(n, &v) == 0) {
		if (v == 0)
			return;
		if (v < 1 || v > 65535) {
			char num[INPUT_NUM_TEXT_MAX];

			input_obj_err(o, n, "targetPort",
				      "%s is not a port (allowed: 1-65535, or a port name)",
				      input_num_text(num, sizeof(num), n));
			return;
		}
		p->target_port = (uint16_t)v;
		return;
	}
	if (n->kind != INPUT_SCALAR || n->type != INPUT_STR) {
		input_obj_err(o, n, "targetPort",
			      "expected an integer or a string (a port number or a port name), got %s",
			      input_describe(got, sizeof(got), n));
		return;
	}
	if (input_want_str(o, n, "targetPort") != INPUT_SET || n->len == 0)
		return;
	if (all_digits(n->s, n->len)) {
		/* IntOrString: a quoted number is a name to Kubernetes. */
		input_obj_err(o, n, "targetPort",
			      "%s is not a valid port name (a quoted number is a name to Kubernetes; write %.*s without quotes for a port number)",
			      input_quote(q, sizeof(q), n->s, n->len), n->len > 8 ? 8 : (int)n->len,
			      n->s);
		return;
	}
	if (!input_check_name(o, n, "targetPort", INPUT_NAME_IANA_SVC, "port name"))
		return;
	p->target_is_name = true;
	p->target_name = sn_strndup(n->s, n->len);
	p->target_port = 0;
}

/* Returns the state of the port's name: INPUT_SET (non-empty), INPUT_ABSENT
 * (absent or ""), INPUT_BAD (reported). */
static int read_port(struct input_obj *o, const struct input_node *item, struct svc_port *p,
		     enum svc_type type)
{
	const struct input_node *n;
	int proto = IPPROTO_TCP, name_state;
	int r;

	p->loc = o->loc;
	p->loc.line = item->line;
	p->loc.col = item->col;
	p->proto = IPPROTO_TCP;
	input_check_fields(o, item, port_fields);
	name_state = input_get_str(o, item, "name", &n);
	if (name_state == INPUT_SET && n->len == 0)
		name_state = INPUT_ABSENT;
	if (name_state == INPUT_SET &&
	    !input_check_name(o, n, "name", INPUT_NAME_DNS_LABEL, "port name"))
		name_state = INPUT_BAD;
	p->name = name_state == INPUT_SET ? sn_strndup(n->s, n->len) : sn_strdup("");
	r = input_get_port(o, item, "port", &p->port, false);
	if (r == INPUT_ABSENT)
		input_obj_err(o, item, "port", "missing (required: the Service's port, 1-65535)");
	if (input_get_enum(o, item, "protocol", "a protocol", input_protocols, &proto, NULL) ==
	    INPUT_SET)
		p->proto = (uint8_t)proto;
	read_target_port(o, item, p);
	r = input_get_port(o, item, "nodePort", &p->node_port, true);
	if (r == INPUT_SET && (type == SVC_CLUSTER_IP || type == SVC_EXTERNAL_NAME))
		input_obj_err(o, input_map_get(item, "nodePort"), "nodePort",
			      "%u may not be set when spec.type is %s (allowed with NodePort and LoadBalancer)",
			      p->node_port, svc_type_names[type]);
	/* appProtocol is for people and L7 proxies: not read */
	return name_state;
}

static void read_ports(struct input_obj *o, const struct input_node *spec, struct svc_service *s,
		       bool required)
{
	const struct input_node *seq, *it, **items;
	struct port_check pc;
	size_t mark;
	unsigned i;
	int r;

	r = input_get_seq(o, spec, "ports", &seq);
	if (r == INPUT_BAD)
		return;
	if (!seq || seq->n == 0) {
		if (required)
			input_obj_err(o, seq ? seq : spec, "ports",
				      "missing (required: at least one port, unless the Service is headless or ExternalName)");
		return;
	}
	s->ports = sn_calloc(seq->n, sizeof(*s->ports));
	items = sn_calloc(seq->n, sizeof(*items));
	mark = input_obj_push(o, "ports");
	for (i = 0, it = seq->child; it; it = it->next, i++) {
		size_t m2 = input_obj_push_idx(o, i);

		items[i] = input_deref(it);
		s->nports++;
		if (input_want_map(o, it, NULL)) {
			if (read_port(o, items[i], &s->ports[i], s->type) == INPUT_ABSENT &&
			    seq->n > 1)
				input_obj_err(o, input_map_get(items[i], "name")
							 ? input_map_get(items[i], "name") : items[i],
					      "name",
					      "missing (required: every port needs a name when a Service has more than one)");
		} else {
			s->ports[i].name = sn_strdup("");
		}
		input_obj_pop(o, m2);
	}
	pc = (struct port_check){ .o = o, .ports = s->ports, .items = items };
	input_find_dups(s->nports, port_cmp, port_dup, &pc);
	input_find_dups(s->nports, node_port_cmp, node_port_dup, &pc);
	input_find_dups(s->nports, name_cmp, name_dup, &pc);
	input_obj_pop(o, mark);
	free(items);
}

/* ---- addresses ---- */

struct ips {
	struct sn_addr a[2];
	const struct input_node *at[2];
	unsigned n;
};

/* spec.clusterIP and spec.clusterIPs, as ValidateService checks them. */
static void read_cluster_ips(struct input_obj *o, const struct input_node *spec,
			     struct svc_service *s, struct ips *ips)
{
	const struct input_node *cip = NULL, *seq, *it;
	struct sn_addr a;
	char q[INPUT_QUOTE_MAX], q2[INPUT_QUOTE_MAX];
	size_t mark;
	unsigned i;

	memset(ips, 0, sizeof(*ips));
	if (input_get_str(o, spec, "clusterIP", &cip) == INPUT_SET && cip->len > 0) {
		if (!strcmp(cip->s, "None")) {
			s->headless = true;
		} else if (input_parse_ip(cip, &a) < 0) {
			input_obj_err(o, cip, "clusterIP", "%s is not an IP address (or \"None\")",
				      input_quote(q, sizeof(q), cip->s, cip->len));
		} else {
			ips->a[0] = a;
			ips->at[0] = cip;
			ips->n = 1;
		}
	} else {
		cip = NULL;
	}

	if (input_get_seq(o, spec, "clusterIPs", &seq) != INPUT_SET || seq->n == 0)
		return;
	mark = input_obj_push(o, "clusterIPs");
	if (seq->n > 2)
		input_obj_err(o, seq, NULL, "has %u entries (allowed: at most 2, one IPv4 and one IPv6)",
			      seq->n);
	ips->n = 0;
	for (i = 0, it = seq->child; it && i < 2; it = it->next, i++) {
		size_t m2 = input_obj_push_idx(o, i);
		const struct input_node *n = input_deref(it);

		if (input_want_str(o, n, NULL) != INPUT_SET) {
			if (input_is_null(n))
				input_obj_err(o, n, NULL, "null is not an IP address (or \"None\")");
		} else if (!strcmp(n->s, "None")) {
			if (seq->n == 1)
				s->headless = true;
			else
				input_obj_err(o, n, NULL,
					      "\"None\" is allowed only as the only entry (a headless Service has no cluster IPs)");
		} else if (input_parse_ip(n, &a) < 0) {
			input_obj_err(o, n, NULL, "%s is not an IP address (or \"None\")",
				      input_quote(q, sizeof(q), n->s, n->len));
		} else {
			if (ips->n == 1 && ips->a[0].family == a.family)
				input_obj_err(o, n, NULL,
					      "%s is of the same family as spec.clusterIPs[0] (allowed: one IPv4 and one IPv6 address)",
					      input_quote(q, sizeof(q), n->s, n->len));
			ips->a[ips->n] = a;
			ips->at[ips->n++] = n;
		}
		if (i == 0 && cip && input_is_null(n) == false && n->kind == INPUT_SCALAR &&
		    (n->len != cip->len || memcmp(n->s, cip->s, n->len)))
			input_obj_err(o, n, NULL,
				      "%s does not match spec.clusterIP %s (clusterIPs[0] must equal clusterIP)",
				      input_quote(q, sizeof(q), n->s, n->len),
				      input_quote(q2, sizeof(q2), cip->s, cip->len));
		input_obj_pop(o, m2);
	}
	input_obj_pop(o, mark);
}

/* spec.ipFamilies: at most two, distinct, matching the cluster IPs' order. */
static void read_families(struct input_obj *o, const struct input_node *spec,
			  struct svc_service *s, const struct ips *ips, bool ips_from_list)
{
	const struct input_node *seq, *it, *at[2] = { NULL, NULL };
	char q[INPUT_QUOTE_MAX];
	size_t mark;
	unsigned i;
	int fam;

	if (input_get_seq(o, spec, "ipFamilies", &seq) != INPUT_SET || seq->n == 0)
		return;
	mark = input_obj_push(o, "ipFamilies");
	if (seq->n > 2)
		input_obj_err(o, seq, NULL, "has %u entries (allowed: at most 2, IPv4 and IPv6)",
			      seq->n);
	for (i = 0, it = seq->child; it && i < 2; it = it->next, i++) {
		size_t m2 = input_obj_push_idx(o, i);
		const struct input_node *n;

		if (input_get_enum(o, it, NULL, "an IP family", input_families, &fam, &n) ==
		    INPUT_SET) {
			if (s->nfamilies == 1 && s->families[0] == fam)
				input_obj_err(o, n, NULL,
					      "%s is listed twice (allowed: IPv4 and IPv6, each once)",
					      family_name((uint8_t)fam));
			at[s->nfamilies] = n;
			s->families[s->nfamilies++] = (uint8_t)fam;
		} else if (input_is_null(it)) {
			input_obj_err(o, it, NULL, "null is not an IP family (allowed: IPv4, IPv6)");
		}
		input_obj_pop(o, m2);
	}
	for (i = 0; i < s->nfamilies && i < ips->n; i++) {
		size_t m2;

		if (ips->a[i].family == s->families[i])
			continue;
		m2 = input_obj_push_idx(o, i);
		input_obj_err(o, at[i], NULL,
			      "%s does not match %s %s (an %s address; ipFamilies must list the cluster IPs' families in the same order)",
			      family_name(s->families[i]),
			      ips_from_list ? (i ? "spec.clusterIPs[1]" : "spec.clusterIPs[0]")
					    : "spec.clusterIP",
			      input_quote(q, sizeof(q), ips->at[i]->s, ips->at[i]->len),
			      family_name(ips->a[i].family));
		input_obj_pop(o, m2);
	}
	input_obj_pop(o, mark);
}

static void read_ip_list(struct input_obj *o, const struct input_node *spec, const char *key,
			 struct sn_addr **out, unsigned *nout)
{
	const struct input_node *seq, *it;
	char q[INPUT_QUOTE_MAX];
	size_t mark;
	unsigned i;

	if (input_get_seq(o, spec, key, &seq) != INPUT_SET || seq->n == 0)
		return;
	*out = sn_calloc(seq->n, sizeof(**out));
	mark = input_obj_push(o, key);
	for (i = 0, it = seq->child; it; it = it->next, i++) {
		size_t m2 = input_obj_push_idx(o, i);
		const struct input_node *n = input_deref(it);
		struct sn_addr a;
		const char *why;

		if (input_want_str(o, n, NULL) != INPUT_SET) {
			if (input_is_null(n))
				input_obj_err(o, n, NULL, "null is not an IP address");
		} else if (input_parse_ip(n, &a) < 0) {
			input_obj_err(o, n, NULL, "%s is not an IP address",
				      input_quote(q, sizeof(q), n->s, n->len));
		} else if ((why = input_endpoint_ip_problem(&a))) {
			/* The API server refuses these (ValidateNonSpecialIP): as a
			 * frontend, 169.254.169.254 would capture the node's own
			 * traffic to the cloud metadata service. */
			input_obj_err(o, n, NULL,
				      "%s is %s (the API server refuses it)",
				      input_quote(q, sizeof(q), n->s, n->len), why);
		} else {
			(*out)[(*nout)++] = a;
		}
		input_obj_pop(o, m2);
	}
	input_obj_pop(o, mark);
}

#define LBSR_ANNOTATION "service.beta.kubernetes.io/load-balancer-source-ranges"

static void add_range(struct input_obj *o, const struct input_node *at, const char *text,
		      size_t len, struct svc_service *s)
{
	char q[INPUT_QUOTE_MAX];
	struct sn_addr p;

	if (input_parse_cidr(text, len, true, &p) < 0) {
		input_obj_err(o, at, NULL, "%s is not a CIDR (like 198.51.100.0/24 or 2001:db8::/64)",
			      input_quote(q, sizeof(q), text, len));
		return;
	}
	s->source_ranges = sn_realloc(s->source_ranges,
				      (s->nsource_ranges + 1) * sizeof(*s->source_ranges));
	s->source_ranges[s->nsource_ranges++] = p;
}

/* spec.loadBalancerSourceRanges. The older annotation is for cloud
 * providers' load balancers: kube-proxy never reads it, so neither does
 * svcnft (it says so, as a note). */
static void read_source_ranges(struct input_obj *o, const struct input_node *spec,
			       const struct input_meta *meta, struct svc_service *s)
{
	const struct input_node *seq, *it, *ann;
	size_t mark;
	unsigned i;

	mark = input_obj_push(o, "spec");
	if (input_get_seq(o, spec, "loadBalancerSourceRanges", &seq) == INPUT_SET && seq->n > 0) {
		input_obj_push(o, "loadBalancerSourceRanges");
		if (s->type != SVC_LOAD_BALANCER)
			input_obj_err(o, seq, NULL,
				      "may only be set when spec.type is LoadBalancer (it is %s)",
				      svc_type_names[s->type]);
		for (i = 0, it = seq->child; it; it = it->next, i++) {
			size_t m2 = input_obj_push_idx(o, i);
			const struct input_node *n = input_deref(it);

			if (input_want_str(o, n, NULL) == INPUT_SET)
				add_range(o, n, n->s, n->len, s);
			else if (input_is_null(n))
				input_obj_err(o, n, NULL, "null is not a CIDR");
			input_obj_pop(o, m2);
		}
	}
	input_obj_pop(o, mark);
	ann = input_map_get(meta->annotations, LBSR_ANNOTATION);
	if (!ann)
		return;
	mark = input_obj_push(o, "metadata.annotations");
	input_obj_push_bracket(o, LBSR_ANNOTATION);
	input_obj_note(o, ann, NULL,
		       "ignored: kube-proxy enforces only spec.loadBalancerSourceRanges (this annotation is read by cloud load balancers)");
	input_obj_pop(o, mark);
}

/* metadata.creationTimestamp (RFC 3339, as the API server writes it:
 * "2025-01-02T03:04:05Z"), the first key of the rule that picks the winner
 * when two Services claim one frontend. Absent: 0. A value that is not a
 * time is ignored with a warning: the API server sets it, never a client. */
static void read_created(struct input_obj *o, const struct input_node *root,
			 struct svc_service *s)
{
	const struct input_node *md = input_map_get(root, "metadata"), *n;
	char q[INPUT_QUOTE_MAX], tail[16] = "";
	struct tm tm;
	int y, mo, d, h, mi, sec, off = 0, oh, om, k = 0;
	const char *p;
	time_t t;

	n = input_map_get(md, "creationTimestamp");
	if (!n || n->kind != INPUT_SCALAR || n->len == 0 || input_is_null(n))
		return;
	if (sscanf(n->s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &k) != 6 ||
	    k != 19 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		goto bad;
	p = n->s + k;
	if (*p == '.')	/* fractions of a second do not order Services */
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	if ((*p == 'Z' || *p == 'z') && !p[1]) {
		off = 0;
	} else if ((*p == '+' || *p == '-') && sscanf(p + 1, "%2d:%2d%15s", &oh, &om, tail) == 2 &&
		   strlen(p) == 6 && oh < 24 && om < 60) {
		off = (*p == '-' ? -1 : 1) * (oh * 3600 + om * 60);
	} else {
		goto bad;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (t == (time_t)-1)
		goto bad;
	s->created = (int64_t)t - off;
	if (s->created <= 0)	/* before 1970: nothing the API server wrote */
		s->created = 0;
	return;
bad:
	input_obj_warn(o, n, "metadata.creationTimestamp",
		       "%s is not an RFC 3339 time (like 2025-01-02T03:04:05Z), ignored",
		       input_quote(q, sizeof(q), n->s, n->len));
}

/* status.loadBalancer.ingress[]: entries with an ip; hostname-only entries
 * (AWS ELB style) are for DNS, not for kube-proxy. */
static void read_lb_status(struct input_obj *o, const struct input_node *root,
			   struct svc_service *s)
{
	const struct input_node *status, *lb, *seq, *it;
	char q[INPUT_QUOTE_MAX];
	size_t mark;
	unsigned i;

	mark = input_obj_push(o, "status");
	if (input_get_map(o, root, "status", &status) != INPUT_SET) {
		input_obj_pop(o, mark);
		return;
	}
	input_check_fields(o, status, status_fields);
	if (input_get_map(o, status, "loadBalancer", &lb) != INPUT_SET) {
		input_obj_pop(o, mark);
		return;
	}
	input_obj_push(o, "loadBalancer");
	input_check_fields(o, lb, lb_status_fields);
	if (input_get_seq(o, lb, "ingress", &seq) != INPUT_SET || seq->n == 0) {
		input_obj_pop(o, mark);
		return;
	}
	input_obj_push(o, "ingress");
	s->lb_ingress = sn_calloc(seq->n, sizeof(*s->lb_ingress));
	for (i = 0, it = seq->child; it; it = it->next, i++) {
		size_t m2 = input_obj_push_idx(o, i);
		const struct input_node *ing = input_deref(it), *ip, *host;
		struct sn_addr a;
		int mode = IPMODE_VIP;

		if (!input_want_map(o, ing, NULL)) {
			input_obj_pop(o, m2);
			continue;
		}
		input_check_fields(o, ing, ingress_fields);
		input_get_str(o, ing, "hostname", &host);
		input_get_enum(o, ing, "ipMode", "an ipMode", ip_modes, &mode, NULL);
		if (input_get_str(o, ing, "ip", &ip) == INPUT_SET && ip->len > 0) {
			if (input_parse_ip(ip, &a) < 0) {
				input_obj_err(o, ip, "ip", "%s is not an IP address",
					      input_quote(q, sizeof(q), ip->s, ip->len));
			} else {
				s->lb_ingress[s->nlb_ingress].ip = a;
				s->lb_ingress[s->nlb_ingress++].proxy_mode = mode == IPMODE_PROXY;
			}
		} else if (host && host->len > 0) {
			input_obj_note(o, ing, NULL,
				       "ignored: hostname %s without an ip (svcnft programs IP addresses only)",
				       input_quote(q, sizeof(q), host->s, host->len));
		}
		input_obj_pop(o, m2);
	}
	input_obj_pop(o, mark);
}

static void read_affinity(struct input_obj *o, const struct input_node *spec,
			  struct svc_service *s)
{
	const struct input_node *cfg, *cip, *n;
	char num[INPUT_NUM_TEXT_MAX];
	int aff = 0;
	int64_t t;
	size_t mark;

	input_get_enum(o, spec, "sessionAffinity", "a session affinity", affinities, &aff, NULL);
	s->affinity = aff;
	if (input_get_map(o, spec, "sessionAffinityConfig", &cfg) != INPUT_SET)
		cfg = NULL;
	if (cfg && !s->affinity) {
		input_obj_err(o, cfg, "sessionAffinityConfig",
			      "may only be set when spec.sessionAffinity is ClientIP");
		return;
	}
	if (!s->affinity)
		return;
	s->affinity_timeout = AFFINITY_TIMEOUT_DEFAULT;
	mark = input_obj_push(o, "sessionAffinityConfig");
	input_check_fields(o, cfg, affinity_config_fields);
	if (input_get_map(o, cfg, "clientIP", &cip) == INPUT_SET) {
		input_obj_push(o, "clientIP");
		input_check_fields(o, cip, client_ip_fields);
		if (input_get_int(o, cip, "timeoutSeconds", &t, &n) == INPUT_SET) {
			if (t < 1 || t > AFFINITY_TIMEOUT_MAX)
				input_obj_err(o, n, "timeoutSeconds",
					      "%s is out of range (allowed: 1-%u seconds)",
					      input_num_text(num, sizeof(num), n),
					      AFFINITY_TIMEOUT_MAX);
			else
				s->affinity_timeout = (uint32_t)t;
		}
	}
	input_obj_pop(o, mark);
}

void input_read_service(struct svc_world *w, struct input_obj *o, const struct input_node *root,
			const struct input_meta *meta)
{
	struct svc_service s = { 0 };
	const struct input_node *spec = NULL, *n, *pol_at = NULL;
	struct ips ips;
	char q[INPUT_QUOTE_MAX];
	bool ips_from_list, alloc_np;
	int type = SVC_CLUSTER_IP, v, r;
	uint16_t hc;
	size_t mark;

	s.loc = o->loc;
	if (meta->valid) {
		s.ns = sn_strdup(meta->ns);
		s.name = sn_strdup(meta->name);
	}
	s.family_policy = SVC_SINGLE_STACK;

	input_check_fields(o, root, service_fields);
	input_get_map(o, root, "spec", &spec);
	mark = input_obj_push(o, "spec");
	input_check_fields(o, spec, spec_fields);
	input_get_enum(o, spec, "type", "a Service type", svc_types, &type, NULL);
	s.type = type;

	read_cluster_ips(o, spec, &s, &ips);
	ips_from_list = input_map_get(spec, "clusterIPs") != NULL;
	for (v = 0; v < (int)ips.n; v++)
		s.cluster_ips[s.ncluster_ips++] = ips.a[v];
	read_families(o, spec, &s, &ips, ips_from_list);
	r = input_get_enum(o, spec, "ipFamilyPolicy", "an IP family policy", family_policies, &v,
			   &pol_at);
	if (r == INPUT_SET) {
		s.family_policy = v;
		if (v == SVC_SINGLE_STACK && (s.nfamilies == 2 || s.ncluster_ips == 2))
			input_obj_err(o, pol_at, "ipFamilyPolicy",
				      "SingleStack allows one IP family, but spec.%s gives two (use PreferDualStack or RequireDualStack)",
				      s.ncluster_ips == 2 ? "clusterIPs" : "ipFamilies");
	} else if (r == INPUT_ABSENT && (s.nfamilies == 2 || s.ncluster_ips == 2)) {
		/* what the API server infers from two families */
		s.family_policy = SVC_REQUIRE_DUAL_STACK;
	}

	if (s.type == SVC_EXTERNAL_NAME) {
		if (s.headless || s.ncluster_ips)
			input_obj_err(o, input_map_get(spec, ips_from_list ? "clusterIPs" : "clusterIP"),
				      ips_from_list ? "clusterIPs" : "clusterIP",
				      "may not be set when spec.type is ExternalName");
		if (input_get_str(o, spec, "externalName", &n) == INPUT_SET && n->len > 0) {
			char name[256];
			size_t len = n->len;

			if (len > 1 && n->s[len - 1] == '.')
				len--;	/* a fully qualified name may end in '.' */
			if (len >= sizeof(name)) {
				input_obj_err(o, n, "externalName",
					      "%s is not a DNS name (at most 253 characters)",
					      input_quote(q, sizeof(q), n->s, n->len));
			} else {
				memcpy(name, n->s, len);
				name[len] = '\0';
				if (!svc_valid_dns_subdomain(name))
					input_obj_err(o, n, "externalName",
						      "%s is not a DNS name (RFC 1123 subdomain: lowercase letters, digits, '-' and '.', at most 253)",
						      input_quote(q, sizeof(q), n->s, n->len));
			}
		} else if (!input_map_get(spec, "externalName") || (n && n->len == 0)) {
			input_obj_err(o, spec, "externalName",
				      "missing (required for type ExternalName: the DNS name it points to)");
		}
	} else if (s.headless && s.type != SVC_CLUSTER_IP) {
		input_obj_err(o, input_map_get(spec, ips_from_list ? "clusterIPs" : "clusterIP"),
			      ips_from_list ? "clusterIPs" : "clusterIP",
			      "\"None\" (headless) is not allowed for type %s (allowed: ClusterIP)",
			      svc_type_names[s.type]);
	}

	read_ports(o, spec, &s, !s.headless && s.type != SVC_EXTERNAL_NAME);
	/* A LoadBalancer without node ports, as MetalLB and BGP setups use. */
	if (input_get_bool(o, spec, "allocateLoadBalancerNodePorts", &alloc_np) == INPUT_SET) {
		if (s.type != SVC_LOAD_BALANCER)
			input_obj_err(o, input_map_get(spec, "allocateLoadBalancerNodePorts"),
				      "allocateLoadBalancerNodePorts",
				      "may only be set when spec.type is LoadBalancer (it is %s)",
				      svc_type_names[s.type]);
		else
			s.no_lb_node_ports = !alloc_np;
	}
	read_ip_list(o, spec, "externalIPs", &s.external_ips, &s.nexternal_ips);
	read_affinity(o, spec, &s);
	if (input_get_enum(o, spec, "externalTrafficPolicy", "a traffic policy", etp_policies, &v,
			   NULL) == INPUT_SET)
		s.etp_local = v;
	if (input_get_enum(o, spec, "internalTrafficPolicy", "a traffic policy", itp_policies, &v,
			   NULL) == INPUT_SET)
		s.itp_local = v;
	if (input_get_port(o, spec, "healthCheckNodePort", &hc, true) == INPUT_SET) {
		if (s.type != SVC_LOAD_BALANCER || !s.etp_local)
			input_obj_err(o, input_map_get(spec, "healthCheckNodePort"),
				      "healthCheckNodePort",
				      "may only be set when spec.type is LoadBalancer and spec.externalTrafficPolicy is Local");
		s.health_check_node_port = hc;
	}
	input_obj_pop(o, mark);
	read_source_ranges(o, spec, meta, &s);
	read_lb_status(o, root, &s);
	read_created(o, root, &s);

	/* What kube-proxy would not program, in the order it decides. */
	if (input_has_label(meta, "service.kubernetes.io/service-proxy-name"))
		s.skip_reason = sn_strdup("label service.kubernetes.io/service-proxy-name");
	else if (input_has_label(meta, "service.kubernetes.io/headless"))
		s.skip_reason = sn_strdup("label service.kubernetes.io/headless");
	else if (s.type == SVC_EXTERNAL_NAME)
		s.skip_reason = sn_strdup("ExternalName");
	else if (s.headless)
		s.skip_reason = sn_strdup("headless");

	if (o->nerr) {
		svc_service_free_contents(&s);
		return;
	}
	*svc_world_add_service(w) = s;
}
