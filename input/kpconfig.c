// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * input/kpconfig.c: the fields svcnft uses from kube-proxy's configuration
 * file (KubeProxyConfiguration, kubeproxy.config.k8s.io/v1alpha1), so that
 * svcnft can be dropped in with the same --config. Unknown fields are fine:
 * kube-proxy has many svcnft has no use for.
 *
 * kubeadm writes the KubeProxyConfiguration as one document of a
 * multi-document file; the other documents are skipped.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "input/input.h"
#include "input/obj.h"

#define KP_KIND "KubeProxyConfiguration"
#define KP_API_VERSION "kubeproxy.config.k8s.io/v1alpha1"
#define MASQ_BIT_MAX 31

struct kp_ctx {
	struct sn_diag *d;
	struct input_kpconfig *cfg;
	bool found;
	struct sn_loc first;
};

static const char *family_name(uint8_t family)
{
	return family == SN_AF_INET6 ? "IPv6" : "IPv4";
}

/* One CIDR of clusterCIDR or detectLocal.clusterCIDRs: at most one per family. */
static void add_cluster_cidr(struct input_obj *o, const struct input_node *at, const char *s,
			     size_t len, struct input_kpconfig *cfg)
{
	char q[INPUT_QUOTE_MAX];
	struct sn_addr p;
	unsigned i;

	if (input_parse_cidr(s, len, true, &p) < 0) {
		input_obj_err(o, at, NULL, "%s is not a CIDR (like 198.18.0.0/15 or 2001:db8::/48)",
			      input_quote(q, sizeof(q), s, len));
		return;
	}
	for (i = 0; i < cfg->ncluster_cidrs; i++) {
		if (cfg->cluster_cidrs[i].family == p.family) {
			input_obj_err(o, at, NULL,
				      "%s is a second %s CIDR (allowed: at most one per family)",
				      input_quote(q, sizeof(q), s, len), family_name(p.family));
			return;
		}
	}
	cfg->cluster_cidrs[cfg->ncluster_cidrs++] = p;
	cfg->has_cluster_cidr = true;
}

static void read_cluster_cidr(struct input_obj *o, const struct input_node *root,
			      struct input_kpconfig *cfg)
{
	const struct input_node *n, *dl, *seq, *it;
	size_t mark;
	unsigned i;

	if (input_get_str(o, root, "clusterCIDR", &n) == INPUT_SET && n->len > 0) {
		const char *p = n->s, *end = n->s + n->len;

		mark = input_obj_push(o, "clusterCIDR");
		while (p <= end) {
			const char *comma = memchr(p, ',', (size_t)(end - p));

			if (!comma)
				comma = end;
			add_cluster_cidr(o, n, p, (size_t)(comma - p), cfg);
			p = comma + 1;
		}
		input_obj_pop(o, mark);
		return;
	}
	if (input_get_map(o, root, "detectLocal", &dl) != INPUT_SET)
		return;
	mark = input_obj_push(o, "detectLocal");
	if (input_get_seq(o, dl, "clusterCIDRs", &seq) == INPUT_SET) {
		input_obj_push(o, "clusterCIDRs");
		for (i = 0, it = seq->child; it; it = it->next, i++) {
			size_t m2 = input_obj_push_idx(o, i);

			if (input_want_str(o, it, NULL) == INPUT_SET)
				add_cluster_cidr(o, input_deref(it), input_deref(it)->s,
						 input_deref(it)->len, cfg);
			input_obj_pop(o, m2);
		}
	}
	input_obj_pop(o, mark);
}

static void read_hostname(struct input_obj *o, const struct input_node *root,
			  struct input_kpconfig *cfg)
{
	const struct input_node *n;
	char q[INPUT_QUOTE_MAX], *name;
	size_t b, e, i;

	if (input_get_str(o, root, "hostnameOverride", &n) != INPUT_SET)
		return;
	/* kube-proxy trims and lower-cases it; empty means "use the hostname" */
	for (b = 0; b < n->len && isspace((unsigned char)n->s[b]); b++)
		;
	for (e = n->len; e > b && isspace((unsigned char)n->s[e - 1]); e--)
		;
	if (b == e)
		return;
	name = sn_strndup(n->s + b, e - b);
	for (i = 0; name[i]; i++)
		name[i] = (char)tolower((unsigned char)name[i]);
	if (!svc_valid_dns_subdomain(name)) {
		input_obj_err(o, n, "hostnameOverride",
			      "%s is not a valid node name (RFC 1123 subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253)",
			      input_quote(q, sizeof(q), n->s, n->len));
		free(name);
		return;
	}
	free(cfg->hostname_override);
	cfg->hostname_override = name;
	cfg->has_hostname_override = true;
}

/* nftables.X wins over iptables.X, as kube-proxy's nftables mode reads. */
static void read_masquerade(struct input_obj *o, const struct input_node *root,
			    struct input_kpconfig *cfg)
{
	static const char *const sections[] = { "iptables", "nftables" };
	const struct input_node *sec, *n;
	unsigned i;
	size_t mark;
	int64_t bit;
	char num[INPUT_NUM_TEXT_MAX];
	bool all;

	for (i = 0; i < SN_ARRAY_SIZE(sections); i++) {
		if (input_get_map(o, root, sections[i], &sec) != INPUT_SET)
			continue;
		mark = input_obj_push(o, sections[i]);
		if (input_get_bool(o, sec, "masqueradeAll", &all) == INPUT_SET) {
			cfg->masquerade_all = all;
			cfg->has_masquerade_all = true;
		}
		if (input_get_int(o, sec, "masqueradeBit", &bit, &n) == INPUT_SET) {
			if (bit < 0 || bit > MASQ_BIT_MAX) {
				input_obj_err(o, n, "masqueradeBit",
					      "%s is out of range (allowed: 0-%d)",
					      input_num_text(num, sizeof(num), n), MASQ_BIT_MAX);
			} else {
				cfg->masquerade_bit = (unsigned)bit;
				cfg->has_masquerade_bit = true;
			}
		}
		input_obj_pop(o, mark);
	}
}

static void read_nodeport_addresses(struct input_obj *o, const struct input_node *root,
				    struct input_kpconfig *cfg)
{
	const struct input_node *seq, *it;
	char q[INPUT_QUOTE_MAX];
	size_t mark;
	unsigned i;

	if (input_get_seq(o, root, "nodePortAddresses", &seq) != INPUT_SET)
		return;
	cfg->has_nodeport_addresses = true;
	free(cfg->nodeport_addrs);
	cfg->nodeport_addrs = seq->n ? sn_calloc(seq->n, sizeof(*cfg->nodeport_addrs)) : NULL;
	cfg->nnodeport_addrs = 0;
	mark = input_obj_push(o, "nodePortAddresses");
	for (i = 0, it = seq->child; it; it = it->next, i++) {
		size_t m2 = input_obj_push_idx(o, i);
		const struct input_node *n = input_deref(it);
		struct sn_addr p;

		if (input_want_str(o, n, NULL) != INPUT_SET) {
			if (input_is_null(n))
				input_obj_err(o, n, NULL, "null is not a CIDR");
		} else if (!strcmp(n->s, "primary")) {
			/* kube-proxy's validation: the only entry, or an error */
			if (seq->n != 1)
				input_obj_err(o, n, NULL,
					      "\"primary\" must be the only entry (it may not be combined with CIDRs)");
			else
				cfg->nodeport_primary = true;
		} else if (input_parse_cidr(n->s, n->len, false, &p) < 0) {
			input_obj_err(o, n, NULL, "%s is not a CIDR (like 198.51.100.0/24 or 2001:db8::/64)",
				      input_quote(q, sizeof(q), n->s, n->len));
		} else {
			cfg->nodeport_addrs[cfg->nnodeport_addrs++] = p;
		}
		input_obj_pop(o, m2);
	}
	input_obj_pop(o, mark);
}

static void kp_doc(void *ctx, const struct input_doc *doc)
{
	struct kp_ctx *k = ctx;
	const struct input_node *root = doc->root, *kn, *an, *mode;
	char q[INPUT_QUOTE_MAX];
	struct input_obj o;

	input_obj_init(&o, k->d, doc->file, doc->loc_doc, root);
	if (root->kind != INPUT_MAP) {
		char got[INPUT_QUOTE_MAX + 32];

		input_obj_err(&o, root, NULL, "expected a " KP_KIND " (a map), got %s",
			      input_describe(got, sizeof(got), root));
		return;
	}
	if (input_get_str(&o, root, "kind", &kn) != INPUT_SET ||
	    strcmp(kn->s, KP_KIND)) {
		if (kn)
			input_obj_note(&o, root, NULL, "skipped: kind %s is not a " KP_KIND,
				       input_quote(q, sizeof(q), kn->s, kn->len));
		else if (!input_map_get(root, "kind"))
			input_obj_err(&o, root, "kind", "missing (required: " KP_KIND ")");
		return;
	}
	snprintf(o.name, sizeof(o.name), KP_KIND);
	if (k->found) {
		input_obj_err(&o, root, NULL, "a second " KP_KIND " (first at %s:%u:%u; allowed: one)",
			      k->first.file, k->first.line, k->first.col);
		return;
	}
	k->found = true;
	k->first = o.loc;
	if (input_get_str(&o, root, "apiVersion", &an) == INPUT_SET) {
		if (strcmp(an->s, KP_API_VERSION)) {
			input_obj_err(&o, an, "apiVersion", "%s is not read (allowed: " KP_API_VERSION ")",
				      input_quote(q, sizeof(q), an->s, an->len));
			return;
		}
	} else if (!an && !input_map_get(root, "apiVersion")) {
		input_obj_err(&o, root, "apiVersion", "missing (required: " KP_API_VERSION ")");
		return;
	}

	read_hostname(&o, root, k->cfg);
	read_cluster_cidr(&o, root, k->cfg);
	if (input_get_str(&o, root, "detectLocalMode", &mode) == INPUT_SET && mode->len > 0 &&
	    strcmp(mode->s, "ClusterCIDR"))
		input_obj_warn(&o, mode, "detectLocalMode",
			       "%s is not supported: svcnft detects local traffic by clusterCIDR",
			       input_quote(q, sizeof(q), mode->s, mode->len));
	read_masquerade(&o, root, k->cfg);
	read_nodeport_addresses(&o, root, k->cfg);
	input_obj_finish(&o);
}

int input_load_kpconfig_buffer(const char *name, const char *buf, size_t len,
			       struct input_kpconfig *cfg, struct sn_diag *d)
{
	struct kp_ctx k = { .d = d, .cfg = cfg };
	const char *file = sn_diag_file(d, name);
	size_t before = d->errors;

	memset(cfg, 0, sizeof(*cfg));
	if (input_is_json(name, buf, len))
		input_json_parse(d, file, buf, len, kp_doc, &k);
	else
		input_yaml_parse(d, file, buf, len, kp_doc, &k);
	if (!k.found && d->errors == before) {
		struct sn_loc loc = { .file = file };

		sn_diag_add(d, SN_ERROR, &loc, NULL, NULL,
			    "no " KP_KIND " in this file (kind: " KP_KIND ", apiVersion: " KP_API_VERSION ")");
	}
	return (int)(d->errors - before);
}

int input_load_kpconfig(const char *path, struct input_kpconfig *cfg, struct sn_diag *d)
{
	size_t before = d->errors, len;
	char *buf;
	int r;

	memset(cfg, 0, sizeof(*cfg));
	buf = input_read_file(d, path, &len);
	if (!buf)
		return (int)(d->errors - before);
	r = input_load_kpconfig_buffer(path, buf, len, cfg, d);
	free(buf);
	return r;
}

void input_kpconfig_free(struct input_kpconfig *cfg)
{
	if (!cfg)
		return;
	free(cfg->hostname_override);
	free(cfg->nodeport_addrs);
	memset(cfg, 0, sizeof(*cfg));
}
