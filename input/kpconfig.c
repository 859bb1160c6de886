// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * input/kpconfig.c: kube-proxy's configuration file (KubeProxyConfiguration,
 * kubeproxy.config.k8s.io/v1alpha1), so that svcnft can be dropped in with
 * the same --config.
 *
 * Read (and validated): hostnameOverride, bindAddress (as the node's primary
 * IP, as kube-proxy uses it), clusterCIDR / detectLocal.clusterCIDRs,
 * detectLocalMode (ClusterCIDR only; others warn), mode ("nftables" or
 * empty; others warn), nodePortAddresses (CIDRs, "primary", "all";
 * "localhost" warns), {nftables,iptables}.{masqueradeAll,masqueradeBit,
 * syncPeriod,minSyncPeriod} (nftables wins), clientConnection.kubeconfig,
 * healthzBindAddress, metricsBindAddress, bindAddressHardFail,
 * logging.verbosity.
 *
 * Accepted without effect: every other field of the type (featureGates,
 * the rest of clientConnection and logging, ipvs, winkernel, oomScoreAdj,
 * configSyncPeriod, enableProfiling, ...). conntrack.* is validated, and
 * a value that would make kube-proxy write a conntrack sysctl gets a note:
 * svcnft writes no sysctl.
 *
 * Unknown fields warn at file:line:col with their path: kube-proxy's strict
 * decoding would refuse the file; svcnft says so and goes on.
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

/* ---- durations and listen addresses ---- */

/* Nanoseconds per unit, as Go's time package spells them. */
static const struct {
	const char *name;
	uint64_t ns;
} duration_units[] = {
	{ "ns", 1 },
	{ "us", 1000 },
	{ "\xc2\xb5s", 1000 },	/* U+00B5 micro sign */
	{ "\xce\xbcs", 1000 },	/* U+03BC Greek mu */
	{ "ms", 1000000 },
	{ "s", 1000000000ULL },
	{ "m", 60 * 1000000000ULL },
	{ "h", 3600 * 1000000000ULL },
};

int input_parse_duration(const char *s, size_t len, uint64_t *ms)
{
	const char *p = s, *end = s + len;
	uint64_t total = 0;

	if (p < end && *p == '+')
		p++;
	else if (p < end && *p == '-')
		return -1;	/* a period is never negative */
	if (end - p == 1 && *p == '0') {
		*ms = 0;
		return 0;
	}
	if (p == end)
		return -1;
	while (p < end) {
		uint64_t whole = 0, frac = 0, scale = 1, unit = 0, v;
		bool digits = false;
		size_t ul = 0, i;

		for (; p < end && isdigit((unsigned char)*p); p++, digits = true)
			if (__builtin_mul_overflow(whole, 10, &whole) ||
			    __builtin_add_overflow(whole, (uint64_t)(*p - '0'), &whole))
				return -1;
		if (p < end && *p == '.') {
			for (p++; p < end && isdigit((unsigned char)*p); p++, digits = true)
				if (scale < 1000000000000000000ULL) {	/* digits past 1e-18 change nothing */
					frac = frac * 10 + (uint64_t)(*p - '0');
					scale *= 10;
				}
		}
		if (!digits)
			return -1;
		/* the longest unit that matches: "ms" before "m" */
		for (i = 0; i < SN_ARRAY_SIZE(duration_units); i++) {
			size_t l = strlen(duration_units[i].name);

			if (l > ul && (size_t)(end - p) >= l && !memcmp(p, duration_units[i].name, l)) {
				ul = l;
				unit = duration_units[i].ns;
			}
		}
		if (!ul)
			return -1;	/* "30": Go wants a unit on everything but 0 */
		p += ul;
		if (__builtin_mul_overflow(whole, unit, &v) ||
		    __builtin_add_overflow(v, (uint64_t)((long double)frac * unit / scale), &v) ||
		    __builtin_add_overflow(total, v, &total) || total > (uint64_t)INT64_MAX)
			return -1;	/* past Go's time.Duration (about 292 years) */
	}
	*ms = total / 1000000 + (total % 1000000 != 0);
	return 0;
}

bool input_hostport_ok(const char *s)
{
	const char *colon = strrchr(s, ':'), *p;
	struct sn_addr a;
	unsigned long port = 0;
	char host[64];
	size_t hl;

	if (!colon || !colon[1] || strlen(colon + 1) > 5)
		return false;
	for (p = colon + 1; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return false;
		port = port * 10 + (unsigned long)(*p - '0');
	}
	if (port > 65535)
		return false;
	hl = (size_t)(colon - s);
	if (!hl)
		return true;	/* ":10256": every IPv4 address */
	if (s[0] == '[') {
		if (hl < 3 || s[hl - 1] != ']' || hl - 2 >= sizeof(host))
			return false;
		memcpy(host, s + 1, hl - 2);
		host[hl - 2] = '\0';
		return sn_addr_parse(&a, host) == 0 && a.family == SN_AF_INET6;
	}
	if (hl >= sizeof(host))
		return false;
	memcpy(host, s, hl);
	host[hl] = '\0';
	return sn_addr_parse(&a, host) == 0 && a.family == SN_AF_INET;
}

/* A metav1.Duration at m.key: a string Go's ParseDuration reads (a bare 0
 * is taken too: YAML makes it an integer, and it can only mean zero). */
static int get_duration(struct input_obj *o, const struct input_node *m, const char *key,
			uint64_t *ms, const struct input_node **at)
{
	const struct input_node *n = input_deref(input_map_get(m, key));
	char q[INPUT_QUOTE_MAX];
	int64_t v;

	*at = n;
	if (!n)
		return INPUT_ABSENT;
	if (n->kind == INPUT_SCALAR && n->type == INPUT_INT && input_node_int(n, &v) == 0) {
		if (!v) {
			*ms = 0;
			return INPUT_SET;
		}
		input_obj_err(o, n, key, "%s is a bare number: a duration needs a unit (like \"%ss\")",
			      input_num_text(q, sizeof(q), n), input_num_text(q, sizeof(q), n));
		return INPUT_BAD;
	}
	if (input_want_str(o, n, key) != INPUT_SET)
		return INPUT_BAD;
	if (input_parse_duration(n->s, n->len, ms) < 0) {
		input_obj_err(o, n, key, "%s is not a duration (like \"30s\", \"500ms\" or \"1h30m\")",
			      input_quote(q, sizeof(q), n->s, n->len));
		return INPUT_BAD;
	}
	return INPUT_SET;
}

/* healthzBindAddress, metricsBindAddress: "" is kube-proxy's default; an
 * address without a port gets the default port (AppendPortIfNeeded). */
static void read_bind(struct input_obj *o, const struct input_node *root, const char *key,
		      unsigned default_port, bool *has, char **out)
{
	const struct input_node *n;
	char q[INPUT_QUOTE_MAX], *v;
	struct sn_addr a;

	if (input_get_str(o, root, key, &n) != INPUT_SET || !n->len)
		return;
	if (sn_addr_parse(&a, n->s) == 0)
		v = a.family == SN_AF_INET6 ? sn_asprintf("[%s]:%u", n->s, default_port)
					    : sn_asprintf("%s:%u", n->s, default_port);
	else
		v = sn_strdup(n->s);
	if (!input_hostport_ok(v)) {
		input_obj_err(o, n, key, "%s is not an address:port (like 0.0.0.0:%u or [::]:%u)",
			      input_quote(q, sizeof(q), n->s, n->len), default_port, default_port);
		free(v);
		return;
	}
	free(*out);
	*out = v;
	*has = true;
}

/* nftables.X wins over iptables.X, as kube-proxy's nftables mode reads;
 * a zero period is kube-proxy's "unset" (its defaulting replaces 0 by 30 s
 * and 1 s, and kubeadm writes 0s), so it does not override. */
static void read_mode_sections(struct input_obj *o, const struct input_node *root,
			       struct input_kpconfig *cfg)
{
	static const char *const sections[] = { "iptables", "nftables" };
	const struct input_node *sec, *n;
	unsigned i;
	size_t mark;
	int64_t bit;
	uint64_t ms;
	char num[INPUT_NUM_TEXT_MAX];
	bool all;

	for (i = 0; i < SN_ARRAY_SIZE(sections); i++) {
		if (input_get_map(o, root, sections[i], &sec) != INPUT_SET)
			continue;
		mark = input_obj_push(o, sections[i]);
		if (get_duration(o, sec, "syncPeriod", &ms, &n) == INPUT_SET && ms) {
			cfg->sync_period_ms = ms;
			cfg->has_sync_period = true;
		}
		if (get_duration(o, sec, "minSyncPeriod", &ms, &n) == INPUT_SET && ms) {
			cfg->min_sync_period_ms = ms;
			cfg->has_min_sync_period = true;
		}
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

	/* an empty list is Go's unset: the mode's default (primary for run) */
	if (input_get_seq(o, root, "nodePortAddresses", &seq) != INPUT_SET || !seq->n)
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
		} else if (!strcmp(n->s, "all")) {
			/* 0.0.0.0/0 and ::/0: every local address, svcnft's
			 * "no restriction" (nothing in nodeport_addrs) */
			if (seq->n != 1)
				input_obj_warn(o, n, NULL,
					       "\"all\" makes the other entries meaningless: every local address answers");
			cfg->nodeport_all = true;
		} else if (!strcmp(n->s, "localhost")) {
			input_obj_warn(o, n, NULL,
				       "\"localhost\" is ignored: svcnft never answers NodePorts on loopback addresses");
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
	if (cfg->nodeport_all) {
		cfg->nnodeport_addrs = 0;
		cfg->nodeport_primary = false;
	} else if (!cfg->nnodeport_addrs && !cfg->nodeport_primary) {
		cfg->has_nodeport_addresses = false;	/* only "localhost" or bad entries */
	}
}

static void read_client_connection(struct input_obj *o, const struct input_node *root,
				   struct input_kpconfig *cfg)
{
	const struct input_node *cc, *n;
	size_t mark;

	if (input_get_map(o, root, "clientConnection", &cc) != INPUT_SET)
		return;
	mark = input_obj_push(o, "clientConnection");
	if (input_get_str(o, cc, "kubeconfig", &n) == INPUT_SET && n->len) {
		free(cfg->kubeconfig);
		cfg->kubeconfig = sn_strdup(n->s);
		cfg->has_kubeconfig = true;
	}
	input_obj_pop(o, mark);
}

/* bindAddress "can be used to override kube-proxy's idea of what its node's
 * primary IP is" (the type's doc); 0.0.0.0 and :: leave it to the Node. */
static void read_bind_address(struct input_obj *o, const struct input_node *root,
			      struct input_kpconfig *cfg)
{
	const struct input_node *n;
	char q[INPUT_QUOTE_MAX];
	struct sn_addr a;
	static const uint8_t zero[16];

	if (input_get_str(o, root, "bindAddress", &n) != INPUT_SET || !n->len)
		return;
	if (input_parse_ip(n, &a) < 0) {
		input_obj_err(o, n, "bindAddress", "%s is not an IP address",
			      input_quote(q, sizeof(q), n->s, n->len));
		return;
	}
	if (!memcmp(a.a, zero, sn_addr_len(&a)))
		return;
	cfg->node_ip = a;
	cfg->has_node_ip = true;
}

static void read_mode(struct input_obj *o, const struct input_node *root)
{
	const struct input_node *n;
	char q[INPUT_QUOTE_MAX];

	if (input_get_str(o, root, "mode", &n) != INPUT_SET || !n->len || !strcmp(n->s, "nftables"))
		return;
	if (!strcmp(n->s, "iptables") || !strcmp(n->s, "ipvs"))
		input_obj_warn(o, n, "mode", "%s is ignored: svcnft programs nftables",
			       input_quote(q, sizeof(q), n->s, n->len));
	else
		input_obj_warn(o, n, "mode",
			       "%s is not a Linux proxy mode (nftables, iptables, ipvs): svcnft programs nftables",
			       input_quote(q, sizeof(q), n->s, n->len));
}

/* kube-proxy writes conntrack sysctls from these; svcnft writes none, and
 * says so for every value that would have changed one. Its own conntrack
 * work (deleting stale UDP entries) needs no setting. */
static void read_conntrack(struct input_obj *o, const struct input_node *root)
{
	static const char *const durations[] = { "tcpEstablishedTimeout", "tcpCloseWaitTimeout",
						  "udpTimeout", "udpStreamTimeout" };
	static const char *const counts[] = { "maxPerCore", "min" };
	const struct input_node *ct, *n;
	size_t mark;
	uint64_t ms;
	int64_t v;
	unsigned i;
	bool liberal;

	if (input_get_map(o, root, "conntrack", &ct) != INPUT_SET)
		return;
	mark = input_obj_push(o, "conntrack");
	for (i = 0; i < SN_ARRAY_SIZE(durations); i++)
		if (get_duration(o, ct, durations[i], &ms, &n) == INPUT_SET && ms)
			input_obj_note(o, n, durations[i],
				       "not applied: svcnft sets no conntrack sysctl (net.netfilter.nf_conntrack_*); set it on the node");
	for (i = 0; i < SN_ARRAY_SIZE(counts); i++)
		if (input_get_int(o, ct, counts[i], &v, &n) == INPUT_SET && v)
			input_obj_note(o, n, counts[i],
				       "not applied: svcnft does not size the conntrack table (nf_conntrack_max); set it on the node");
	if (input_get_bool(o, ct, "tcpBeLiberal", &liberal) == INPUT_SET && liberal)
		input_obj_note(o, input_map_get(ct, "tcpBeLiberal"), "tcpBeLiberal",
			       "not applied: svcnft sets no conntrack sysctl (nf_conntrack_tcp_be_liberal); set it on the node");
	input_obj_pop(o, mark);
}

static void read_logging(struct input_obj *o, const struct input_node *root,
			 struct input_kpconfig *cfg)
{
	const struct input_node *lg, *n;
	char num[INPUT_NUM_TEXT_MAX];
	size_t mark;
	int64_t v;

	if (input_get_map(o, root, "logging", &lg) != INPUT_SET)
		return;
	mark = input_obj_push(o, "logging");
	if (input_get_int(o, lg, "verbosity", &v, &n) == INPUT_SET) {
		if (v < 0 || v > 10)
			input_obj_err(o, n, "verbosity", "%s is out of range (allowed: 0-10)",
				      input_num_text(num, sizeof(num), n));
		else {
			cfg->verbosity = (unsigned)v;
			cfg->has_verbosity = true;
		}
	}
	input_obj_pop(o, mark);
}

/* ---- unknown fields: the whole v1alpha1 type, so only typos warn ---- */

static const char *const kp_top[] = {
	"apiVersion", "kind", "featureGates", "clientConnection", "logging", "hostnameOverride",
	"bindAddress", "healthzBindAddress", "metricsBindAddress", "bindAddressHardFail",
	"enableProfiling", "showHiddenMetricsForVersion", "mode", "iptables", "ipvs", "nftables",
	"winkernel", "detectLocalMode", "detectLocal", "clusterCIDR", "nodePortAddresses",
	"oomScoreAdj", "conntrack", "configSyncPeriod", "portRange", "windowsRunAsService", NULL,
};
static const char *const kp_client[] = {
	"kubeconfig", "acceptContentTypes", "contentType", "qps", "burst", NULL,
};
static const char *const kp_logging[] = {
	"format", "flushFrequency", "verbosity", "vmodule", "options", NULL,
};
static const char *const kp_logging_options[] = { "text", "json", NULL };
static const char *const kp_logging_format[] = { "splitStream", "infoBufferSize", NULL };
static const char *const kp_iptables[] = {
	"masqueradeBit", "masqueradeAll", "localhostNodePorts", "snatNodeInternalIP", "syncPeriod",
	"minSyncPeriod", NULL,
};
static const char *const kp_ipvs[] = {
	"syncPeriod", "minSyncPeriod", "scheduler", "excludeCIDRs", "strictARP", "tcpTimeout",
	"tcpFinTimeout", "udpTimeout", NULL,
};
static const char *const kp_nftables[] = {
	"masqueradeBit", "masqueradeAll", "syncPeriod", "minSyncPeriod", NULL,
};
static const char *const kp_winkernel[] = {
	"networkName", "sourceVip", "enableDSR", "rootHnsEndpointName", "forwardHealthCheckVip", NULL,
};
static const char *const kp_detect_local[] = {
	"bridgeInterface", "interfaceNamePrefix", "clusterCIDRs", NULL,
};
static const char *const kp_conntrack[] = {
	"maxPerCore", "min", "tcpEstablishedTimeout", "tcpCloseWaitTimeout", "tcpBeLiberal",
	"udpTimeout", "udpStreamTimeout", NULL,
};

static const struct {
	const char *key;
	const char *const *known;
} kp_sections[] = {
	{ "clientConnection", kp_client },
	{ "logging", kp_logging },
	{ "iptables", kp_iptables },
	{ "ipvs", kp_ipvs },
	{ "nftables", kp_nftables },
	{ "winkernel", kp_winkernel },
	{ "detectLocal", kp_detect_local },
	{ "conntrack", kp_conntrack },
};

static void check_unknown(struct input_obj *o, const struct input_node *root)
{
	const struct input_node *m, *opts;
	size_t mark, m2, m3;
	unsigned i, j;

	input_check_fields(o, root, kp_top);
	for (i = 0; i < SN_ARRAY_SIZE(kp_sections); i++) {
		m = input_deref(input_map_get(root, kp_sections[i].key));
		if (!m || m->kind != INPUT_MAP)
			continue;
		mark = input_obj_push(o, kp_sections[i].key);
		input_check_fields(o, m, kp_sections[i].known);
		input_obj_pop(o, mark);
	}
	/* logging.options.{text,json}; featureGates takes any name */
	m = input_deref(input_map_get(root, "logging"));
	opts = m && m->kind == INPUT_MAP ? input_deref(input_map_get(m, "options")) : NULL;
	if (!opts || opts->kind != INPUT_MAP)
		return;
	mark = input_obj_push(o, "logging");
	m2 = input_obj_push(o, "options");
	input_check_fields(o, opts, kp_logging_options);
	for (j = 0; kp_logging_options[j]; j++) {
		m = input_deref(input_map_get(opts, kp_logging_options[j]));
		if (!m || m->kind != INPUT_MAP)
			continue;
		m3 = input_obj_push(o, kp_logging_options[j]);
		input_check_fields(o, m, kp_logging_format);
		input_obj_pop(o, m3);
	}
	input_obj_pop(o, m2);
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

	check_unknown(&o, root);
	read_hostname(&o, root, k->cfg);
	read_bind_address(&o, root, k->cfg);
	read_mode(&o, root);
	read_client_connection(&o, root, k->cfg);
	read_bind(&o, root, "healthzBindAddress", 10256, &k->cfg->has_healthz_bind,
		  &k->cfg->healthz_bind);
	read_bind(&o, root, "metricsBindAddress", 10249, &k->cfg->has_metrics_bind,
		  &k->cfg->metrics_bind);
	if (input_get_bool(&o, root, "bindAddressHardFail", &k->cfg->bind_address_hard_fail) ==
	    INPUT_SET)
		k->cfg->has_bind_address_hard_fail = true;
	read_conntrack(&o, root);
	read_logging(&o, root, k->cfg);
	read_cluster_cidr(&o, root, k->cfg);
	if (input_get_str(&o, root, "detectLocalMode", &mode) == INPUT_SET && mode->len > 0 &&
	    strcmp(mode->s, "ClusterCIDR"))
		input_obj_warn(&o, mode, "detectLocalMode",
			       "%s is not supported: svcnft detects local traffic by clusterCIDR",
			       input_quote(q, sizeof(q), mode->s, mode->len));
	read_mode_sections(&o, root, k->cfg);
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
	free(cfg->kubeconfig);
	free(cfg->healthz_bind);
	free(cfg->metrics_bind);
	memset(cfg, 0, sizeof(*cfg));
}
