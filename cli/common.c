// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cli/common.c: the options every subcommand shares, and the pipeline
 * inputs -> model -> compiler that compile, apply and diff run.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "input/input.h"

enum {
	OPT_CONFIG = 256,
	OPT_NODE_NAME,
	OPT_CLUSTER_CIDR,
	OPT_SERVICE_CIDR,
	OPT_MASQ_ALL,
	OPT_NODEPORT_ADDRS,
	OPT_NODEPORT_RANGE,
	OPT_MASQ_BIT,
	OPT_NODE_IP,
	OPT_HELP,
};

static const struct option common_opts[] = {
	{ "filename", required_argument, NULL, 'f' },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "node-name", required_argument, NULL, OPT_NODE_NAME },
	{ "hostname-override", required_argument, NULL, OPT_NODE_NAME },
	{ "cluster-cidr", required_argument, NULL, OPT_CLUSTER_CIDR },
	{ "service-cidr", required_argument, NULL, OPT_SERVICE_CIDR },
	{ "masquerade-all", no_argument, NULL, OPT_MASQ_ALL },
	{ "nodeport-addresses", required_argument, NULL, OPT_NODEPORT_ADDRS },
	{ "service-node-port-range", required_argument, NULL, OPT_NODEPORT_RANGE },
	{ "masquerade-bit", required_argument, NULL, OPT_MASQ_BIT },
	{ "node-ip", required_argument, NULL, OPT_NODE_IP },
	{ "help", no_argument, NULL, OPT_HELP },
};

void cli_usage(FILE *out, const char *cmd, const struct cli_extra *extra)
{
	fprintf(out,
		"usage: svcnft %s [OPTIONS] -f PATH...\n"
		"  -f, --filename PATH          manifest file or directory (repeatable; *.yaml, *.yml, *.json)\n"
		"      --config FILE            KubeProxyConfiguration (v1alpha1); flags win over it\n"
		"      --node-name NAME         this node (default: the hostname)\n"
		"      --cluster-cidr CIDR[,CIDR]  pod range(s): traffic from outside them is masqueraded\n"
		"      --service-cidr CIDR[,CIDR]  ClusterIP range(s): allocation, and drop of unused addresses\n"
		"      --masquerade-all         masquerade all traffic to ClusterIPs\n"
		"      --nodeport-addresses CIDR[,CIDR...]  answer NodePorts only on local addresses in these\n"
		"      --nodeport-addresses primary  only on the node's primary IPs (--node-ip, or its Node object)\n"
		"      --node-ip IP[,IP]        this node's primary IP(s), one per family\n"
		"      --service-node-port-range MIN-MAX  (default %u-%u)\n"
		"      --masquerade-bit N       packet mark bit for masquerading (default %u)\n",
		cmd, COMP_NODEPORT_MIN_DEFAULT, COMP_NODEPORT_MAX_DEFAULT, COMP_MASQ_BIT_DEFAULT);
	if (extra && extra->usage)
		fputs(extra->usage, out);
}

/* "198.19.0.0/16,2001:db8:1::/64": at most one prefix per family when
 * one_per_family (cluster and service ranges), any number otherwise. */
static int parse_prefixes(const char *flag, const char *arg, struct sn_addr **out,
			  unsigned *n, bool one_per_family)
{
	char *copy = sn_strdup(arg), *tok, *save = NULL;
	int ret = CLI_OK;

	*n = 0;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct sn_addr a;
		unsigned i;

		if (sn_prefix_parse(&a, tok, false) < 0) {
			fprintf(stderr, "svcnft: %s: \"%s\" is not a CIDR (like 198.18.0.0/16 or 2001:db8::/64, host bits zero)\n",
				flag, tok);
			ret = CLI_USAGE;
			break;
		}
		for (i = 0; one_per_family && i < *n; i++)
			if ((*out)[i].family == a.family) {
				fprintf(stderr, "svcnft: %s: at most one range per IP family\n", flag);
				ret = CLI_USAGE;
			}
		if (ret)
			break;
		*out = sn_realloc(*out, (*n + 1) * sizeof(**out));
		(*out)[(*n)++] = a;
	}
	if (!ret && !*n) {
		fprintf(stderr, "svcnft: %s: no range given\n", flag);
		ret = CLI_USAGE;
	}
	free(copy);
	return ret;
}

static int parse_fixed_prefixes(const char *flag, const char *arg, struct sn_addr *dst,
				unsigned *n)
{
	struct sn_addr *v = NULL;
	unsigned i, k = 0;
	int ret = parse_prefixes(flag, arg, &v, &k, true);

	if (!ret) {
		for (i = 0; i < k && i < 2; i++)
			dst[i] = v[i];
		*n = k;
	}
	free(v);
	return ret;
}

/* --node-ip 192.0.2.1[,2001:db8::1]: host addresses, one per family */
static int parse_node_ips(const char *arg, struct comp_opts *o)
{
	struct sn_addr v[2];
	unsigned n = 0, i;
	int ret;

	ret = parse_fixed_prefixes("--node-ip", arg, v, &n);
	for (i = 0; !ret && i < n; i++)
		if (v[i].plen != sn_addr_len(&v[i]) * 8) {
			fprintf(stderr, "svcnft: --node-ip: give addresses, not ranges\n");
			ret = CLI_USAGE;
		}
	if (!ret) {
		memcpy(o->node_ips, v, n * sizeof(v[0]));
		o->nnode_ips = n;
	}
	return ret;
}

static int parse_uint(const char *flag, const char *arg, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(arg, &end, 10);
	if (!*arg || *end || errno || *out > max || !isdigit((unsigned char)*arg)) {
		fprintf(stderr, "svcnft: %s: \"%s\" is not a number from 0 to %lu\n", flag, arg, max);
		return CLI_USAGE;
	}
	return CLI_OK;
}

static int parse_range(const char *arg, struct comp_opts *o)
{
	unsigned long lo, hi;
	char *dash = strchr(arg, '-'), *first;
	int ret;

	if (!dash) {
		fprintf(stderr, "svcnft: --service-node-port-range: \"%s\" is not MIN-MAX\n", arg);
		return CLI_USAGE;
	}
	first = sn_strndup(arg, (size_t)(dash - arg));
	ret = parse_uint("--service-node-port-range", first, 65535, &lo);
	free(first);
	if (ret || (ret = parse_uint("--service-node-port-range", dash + 1, 65535, &hi)))
		return ret;
	if (!lo || lo > hi) {
		fprintf(stderr, "svcnft: --service-node-port-range: need 1 <= MIN <= MAX <= 65535\n");
		return CLI_USAGE;
	}
	o->nodeport_min = (uint16_t)lo;
	o->nodeport_max = (uint16_t)hi;
	return CLI_OK;
}

int cli_parse(int argc, char **argv, const char *cmd, struct cli_common *c,
	      const struct cli_extra *extra, bool *help)
{
	size_t ncommon = SN_ARRAY_SIZE(common_opts), nextra = 0, i;
	struct option *opts;
	unsigned long v;
	int opt, ret = CLI_OK;

	memset(c, 0, sizeof(*c));
	comp_opts_init(&c->comp);
	*help = false;
	while (extra && extra->opts && extra->opts[nextra].name)
		nextra++;
	opts = sn_calloc(ncommon + nextra + 1, sizeof(*opts));
	memcpy(opts, common_opts, sizeof(common_opts));
	for (i = 0; i < nextra; i++)
		opts[ncommon + i] = extra->opts[i];

	optind = 1;
	opterr = 1;
	while (!ret && (opt = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			c->paths = sn_realloc(c->paths, (c->npaths + 1) * sizeof(*c->paths));
			c->paths[c->npaths++] = optarg;
			break;
		case OPT_CONFIG:
			c->config = optarg;
			break;
		case OPT_NODE_NAME:
			free(c->comp.node_name);
			c->comp.node_name = sn_strdup(optarg);
			c->set_node_name = true;
			break;
		case OPT_CLUSTER_CIDR:
			ret = parse_fixed_prefixes("--cluster-cidr", optarg, c->comp.cluster_cidrs,
						   &c->comp.ncluster_cidrs);
			c->set_cluster_cidr = true;
			break;
		case OPT_SERVICE_CIDR:
			ret = parse_fixed_prefixes("--service-cidr", optarg, c->comp.service_cidrs,
						   &c->comp.nservice_cidrs);
			c->set_service_cidr = true;
			break;
		case OPT_MASQ_ALL:
			c->comp.masquerade_all = true;
			c->set_masq_all = true;
			break;
		case OPT_NODEPORT_ADDRS:
			free(c->comp.nodeport_addrs);
			c->comp.nodeport_addrs = NULL;
			c->comp.nnodeport_addrs = 0;
			c->comp.nodeport_primary = !strcmp(optarg, "primary");
			if (!c->comp.nodeport_primary)
				ret = parse_prefixes("--nodeport-addresses", optarg,
						     &c->comp.nodeport_addrs,
						     &c->comp.nnodeport_addrs, false);
			c->set_nodeport_addrs = true;
			break;
		case OPT_NODE_IP:
			ret = parse_node_ips(optarg, &c->comp);
			break;
		case OPT_NODEPORT_RANGE:
			ret = parse_range(optarg, &c->comp);
			c->set_nodeport_range = true;
			break;
		case OPT_MASQ_BIT:
			ret = parse_uint("--masquerade-bit", optarg, 31, &v);
			c->comp.masq_bit = (unsigned)v;
			c->set_masq_bit = true;
			break;
		case 'h':
		case OPT_HELP:
			*help = true;
			break;
		case '?':
			ret = CLI_USAGE;
			break;
		default:
			if (extra && extra->on_opt)
				ret = extra->on_opt(opt, optarg, extra->ctx);
			else
				ret = CLI_USAGE;
			break;
		}
	}
	if (!ret && optind < argc) {
		fprintf(stderr, "svcnft %s: unexpected argument \"%s\" (inputs are given with -f)\n",
			cmd, argv[optind]);
		ret = CLI_USAGE;
	}
	free(opts);
	if (ret == CLI_USAGE)
		fprintf(stderr, "Try `svcnft %s --help`.\n", cmd);
	return ret;
}

void cli_common_free(struct cli_common *c)
{
	comp_opts_free(&c->comp);
	free(c->paths);
	svc_world_free(c->world);
	memset(c, 0, sizeof(*c));
}

/* kube-proxy's default node name: the hostname, lower-cased. */
static char *default_node_name(void)
{
	char host[256] = "";
	char *p;

	if (gethostname(host, sizeof(host) - 1) < 0 || !*host)
		return NULL;
	for (p = host; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return sn_strdup(host);
}

static void apply_config(struct cli_common *c, struct input_kpconfig *cfg)
{
	struct comp_opts *o = &c->comp;
	unsigned i;

	if (cfg->has_hostname_override && !c->set_node_name) {
		free(o->node_name);
		o->node_name = sn_strdup(cfg->hostname_override);
		c->set_node_name = true;
	}
	if (cfg->has_cluster_cidr && !c->set_cluster_cidr) {
		for (i = 0; i < cfg->ncluster_cidrs && i < 2; i++)
			o->cluster_cidrs[i] = cfg->cluster_cidrs[i];
		o->ncluster_cidrs = cfg->ncluster_cidrs;
	}
	if (cfg->has_masquerade_all && !c->set_masq_all)
		o->masquerade_all = cfg->masquerade_all;
	if (cfg->has_masquerade_bit && !c->set_masq_bit)
		o->masq_bit = cfg->masquerade_bit;
	if (cfg->has_nodeport_addresses && !c->set_nodeport_addrs) {
		o->nodeport_primary = cfg->nodeport_primary;
		free(o->nodeport_addrs);
		o->nodeport_addrs = sn_calloc(cfg->nnodeport_addrs + 1, sizeof(*o->nodeport_addrs));
		memcpy(o->nodeport_addrs, cfg->nodeport_addrs,
		       cfg->nnodeport_addrs * sizeof(*o->nodeport_addrs));
		o->nnodeport_addrs = cfg->nnodeport_addrs;
	}
}

/* cli_build's work up to the compiler: a prepared world, or NULL (diag
 * has the errors). out NULL: stop there (cli_prepare). */
static int load_world(struct cli_common *c, struct rs_ruleset **out, struct comp_stats *st)
{
	struct sn_diag d;
	int ret = CLI_OK;

	if (out)
		*out = NULL;
	sn_diag_init(&d);
	if (!c->npaths) {
		fprintf(stderr, "svcnft: no input: give manifests with -f PATH\n");
		sn_diag_free(&d);
		return CLI_USAGE;
	}
	if (c->config) {
		struct input_kpconfig cfg;

		memset(&cfg, 0, sizeof(cfg));
		if (input_load_kpconfig(c->config, &cfg, &d) == 0)
			apply_config(c, &cfg);
		input_kpconfig_free(&cfg);
	}
	if (!c->comp.node_name)
		c->comp.node_name = default_node_name();
	/* A node name is a Kubernetes object name; anything else (a newline, a
	 * quote) must never reach the script or the comparison with nodeName. */
	if (c->comp.node_name && !svc_valid_dns_subdomain(c->comp.node_name)) {
		fprintf(stderr, "svcnft: --node-name: \"");
		for (const char *p = c->comp.node_name; *p; p++)
			fputc(*p >= 0x20 && *p < 0x7f ? *p : '?', stderr);
		fprintf(stderr, "\" is not a valid node name (RFC 1123 subdomain: lowercase "
			"letters, digits, '-' and '.', at most 253)\n");
		sn_diag_free(&d);
		return CLI_USAGE;
	}

	svc_world_free(c->world);
	c->world = svc_world_alloc();
	input_load(c->paths, c->npaths, c->world, &d);
	comp_resolve_nodeport_primary(c->world, &c->comp, &d);
	comp_prepare(c->world, &c->comp, &d);
	if (!d.errors && out)
		*out = comp_build(c->world, &c->comp, st, &d);
	sn_diag_print(&d, stderr);
	if (d.errors) {
		fprintf(stderr, "svcnft: %zu error%s: nothing was %s\n", d.errors,
			d.errors == 1 ? "" : "s", "changed");
		if (out) {
			rs_ruleset_free(*out);
			*out = NULL;
		}
		ret = CLI_INVALID;
	}
	sn_diag_free(&d);
	return ret;
}

int cli_build(struct cli_common *c, struct rs_ruleset **out, struct comp_stats *st)
{
	return load_world(c, out, st);
}

int cli_prepare(struct cli_common *c)
{
	return load_world(c, NULL, NULL);
}
