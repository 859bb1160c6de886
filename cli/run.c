// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cli/run.c: `svcnft run`, the node agent: kube-proxy's flags (and its
 * KubeProxyConfiguration through --config; flags win) into struct
 * agent_opts, then agent_run() until SIGTERM. The loop re-reads --config on
 * SIGHUP through agent_opts_reload() (agent/opts.c).
 *
 * --print-config prints the options the agent would run with, one
 * key=value a line, and exits: what an operator checks before a rollout,
 * and what the tests check precedence with.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/agent.h"
#include "cli/cli.h"
#include "input/input.h"
#include "lib/log.h"

enum {
	OPT_KUBECONFIG = 1000,
	OPT_MASTER,
	OPT_MIN_SYNC,
	OPT_SYNC,
	OPT_FULL_SYNC,
	OPT_HEALTHZ,
	OPT_METRICS,
	OPT_HARD_FAIL,
	OPT_CONNTRACK,
	OPT_NO_CONNTRACK,
	OPT_PRINT_CONFIG,
	OPT_V = 'v',
};

static const struct option run_opts[] = {
	{ "kubeconfig", required_argument, NULL, OPT_KUBECONFIG },
	{ "master", required_argument, NULL, OPT_MASTER },
	{ "min-sync-period", required_argument, NULL, OPT_MIN_SYNC },
	{ "sync-period", required_argument, NULL, OPT_SYNC },
	{ "full-sync-period", required_argument, NULL, OPT_FULL_SYNC },
	{ "healthz-bind-address", required_argument, NULL, OPT_HEALTHZ },
	{ "metrics-bind-address", required_argument, NULL, OPT_METRICS },
	{ "bind-address-hard-fail", optional_argument, NULL, OPT_HARD_FAIL },
	{ "conntrack-cleanup", no_argument, NULL, OPT_CONNTRACK },
	{ "no-conntrack-cleanup", no_argument, NULL, OPT_NO_CONNTRACK },
	{ "conntrack", no_argument, NULL, OPT_CONNTRACK },		/* short aliases */
	{ "no-conntrack", no_argument, NULL, OPT_NO_CONNTRACK },
	{ "print-config", no_argument, NULL, OPT_PRINT_CONFIG },
	{ "v", required_argument, NULL, OPT_V },	/* --v=N, klog's spelling */
	{ NULL, 0, NULL, 0 },
};

#define RUN_USAGE                                                                                   \
	"\n"                                                                                        \
	"Objects come from the API server (--kubeconfig, else in-cluster), or with -f DIR from a\n" \
	"directory watched for changes (one -f, a directory). Flags win over --config, which is\n"  \
	"read again on SIGHUP. Durations are Go's: 1s, 500ms, 1h30m, 0.\n"                          \
	"      --kubeconfig FILE        kubeconfig for the API server (default: in-cluster)\n"     \
	"      --master URL             API server address; overrides the kubeconfig's server\n"   \
	"      --min-sync-period D      coalesce changes for at least D between syncs (default 1s; 0: none)\n" \
	"      --sync-period D          retry after a failed sync, as a full sync (default 30s)\n" \
	"      --full-sync-period D     re-read the kernel and repair drift every D (default 1h; 0: never)\n" \
	"      --healthz-bind-address IP:PORT  /healthz and /livez (default 0.0.0.0:10256; \"\": off)\n" \
	"      --metrics-bind-address IP:PORT  /metrics and /proxyMode (default 127.0.0.1:10249; \"\": off)\n" \
	"      --bind-address-hard-fail[=true|false]  exit when a server cannot bind (default: retry)\n" \
	"      --no-conntrack-cleanup   do not delete stale UDP conntrack entries after syncs\n"   \
	"      --conntrack-cleanup      delete them (the default; also --conntrack, --no-conntrack)\n" \
	"  -v, --v N                    log verbosity: 0 a line per sync, 2 API lists and watches, 4 every event\n" \
	"      --hostname-override NAME the same as --node-name (kube-proxy's name for it)\n"     \
	"      --print-config           print the options run would use (flags, --config, defaults) and exit\n" \
	"  run's default for --nodeport-addresses is primary (kube-proxy's nftables mode).\n"

struct run_args {
	struct agent_opts *o;
	bool print_config;
	int argc;		/* the command line, parsed again on SIGHUP */
	char **argv;
};

/* kube-proxy's bind flags: "IP:PORT", or an IP that gets the default port;
 * "" turns the server off. */
static int parse_bind(const char *flag, const char *arg, unsigned port, char **out)
{
	struct sn_addr a;
	char *v;

	if (!*arg)
		v = sn_strdup("");
	else if (sn_addr_parse(&a, arg) == 0)
		v = a.family == SN_AF_INET6 ? sn_asprintf("[%s]:%u", arg, port)
					    : sn_asprintf("%s:%u", arg, port);
	else
		v = sn_strdup(arg);
	if (*v && !input_hostport_ok(v)) {
		fprintf(stderr, "svcnft run: %s: \"%s\" is not IP:PORT (like 0.0.0.0:%u or [::]:%u; \"\" turns it off)\n",
			flag, arg, port, port);
		free(v);
		return CLI_USAGE;
	}
	free(*out);
	*out = v;
	return CLI_OK;
}

static int parse_period(const char *flag, const char *arg, bool zero_ok, uint64_t *ms)
{
	if (input_parse_duration(arg, strlen(arg), ms) < 0) {
		fprintf(stderr, "svcnft run: %s: \"%s\" is not a duration (like 1s, 500ms, 1h30m%s)\n",
			flag, arg, zero_ok ? " or 0" : "");
		return CLI_USAGE;
	}
	if (!zero_ok && !*ms) {
		fprintf(stderr, "svcnft run: %s: must be more than 0\n", flag);
		return CLI_USAGE;
	}
	return CLI_OK;
}

static int run_on_opt(int val, const char *arg, void *ctx)
{
	struct run_args *a = ctx;
	struct agent_opts *o = a->o;
	char *end;
	long v;

	switch (val) {
	case OPT_KUBECONFIG:
		free(o->kubeconfig);
		o->kubeconfig = sn_strdup(arg);
		o->set_by_flag |= AGENT_SET_KUBECONFIG;
		return CLI_OK;
	case OPT_MASTER:
		if (!*arg) {
			fprintf(stderr, "svcnft run: --master: empty address\n");
			return CLI_USAGE;
		}
		free(o->master);
		o->master = sn_strdup(arg);
		return CLI_OK;
	case OPT_MIN_SYNC:
		o->set_by_flag |= AGENT_SET_MIN_SYNC;
		return parse_period("--min-sync-period", arg, true, &o->min_sync_period_ms);
	case OPT_SYNC:
		o->set_by_flag |= AGENT_SET_SYNC;
		return parse_period("--sync-period", arg, false, &o->sync_period_ms);
	case OPT_FULL_SYNC:
		return parse_period("--full-sync-period", arg, true, &o->full_sync_period_ms);
	case OPT_HEALTHZ:
		o->set_by_flag |= AGENT_SET_HEALTHZ;
		return parse_bind("--healthz-bind-address", arg, 10256, &o->healthz_bind);
	case OPT_METRICS:
		o->set_by_flag |= AGENT_SET_METRICS;
		return parse_bind("--metrics-bind-address", arg, 10249, &o->metrics_bind);
	case OPT_HARD_FAIL:
		o->set_by_flag |= AGENT_SET_HARD_FAIL;
		if (!arg || !strcmp(arg, "true")) {
			o->bind_address_hard_fail = true;
		} else if (!strcmp(arg, "false")) {
			o->bind_address_hard_fail = false;
		} else {
			fprintf(stderr, "svcnft run: --bind-address-hard-fail: \"%s\" is not true or false\n",
				arg);
			return CLI_USAGE;
		}
		return CLI_OK;
	case OPT_CONNTRACK:
	case OPT_NO_CONNTRACK:
		o->conntrack = val == OPT_CONNTRACK;
		return CLI_OK;
	case OPT_PRINT_CONFIG:
		a->print_config = true;
		return CLI_OK;
	case OPT_V:
		errno = 0;
		v = strtol(arg, &end, 10);
		if (!*arg || *end || errno || v < 0 || v > 10 || !isdigit((unsigned char)*arg)) {
			fprintf(stderr, "svcnft run: -v: \"%s\" is not a level from 0 to 10\n", arg);
			return CLI_USAGE;
		}
		o->verbosity = (int)v;
		o->set_by_flag |= AGENT_SET_VERBOSITY;
		return CLI_OK;
	}
	return CLI_USAGE;
}

/* The common options cli_parse() read, into the agent's, with their
 * "set by a flag" bits. */
static void take_common(const struct cli_common *c, struct agent_opts *o)
{
	struct comp_opts *d = &o->comp;
	const struct comp_opts *s = &c->comp;

	if (c->set_node_name) {
		free(d->node_name);
		d->node_name = sn_strdup(s->node_name);
		o->set_by_flag |= AGENT_SET_NODE_NAME;
	}
	if (c->set_cluster_cidr) {
		memcpy(d->cluster_cidrs, s->cluster_cidrs, sizeof(d->cluster_cidrs));
		d->ncluster_cidrs = s->ncluster_cidrs;
		o->set_by_flag |= AGENT_SET_CLUSTER_CIDR;
	}
	memcpy(d->service_cidrs, s->service_cidrs, sizeof(d->service_cidrs));
	d->nservice_cidrs = s->nservice_cidrs;
	if (c->set_masq_all) {
		d->masquerade_all = s->masquerade_all;
		o->set_by_flag |= AGENT_SET_MASQ_ALL;
	}
	if (c->set_masq_bit) {
		d->masq_bit = s->masq_bit;
		o->set_by_flag |= AGENT_SET_MASQ_BIT;
	}
	if (c->set_nodeport_range) {
		d->nodeport_min = s->nodeport_min;
		d->nodeport_max = s->nodeport_max;
	}
	if (c->set_nodeport_addrs) {
		free(d->nodeport_addrs);
		d->nodeport_addrs = NULL;
		d->nnodeport_addrs = s->nnodeport_addrs;
		d->nodeport_primary = s->nodeport_primary;
		if (s->nnodeport_addrs) {
			d->nodeport_addrs = sn_calloc(s->nnodeport_addrs, sizeof(*d->nodeport_addrs));
			memcpy(d->nodeport_addrs, s->nodeport_addrs,
			       s->nnodeport_addrs * sizeof(*d->nodeport_addrs));
		}
		o->set_by_flag |= AGENT_SET_NODEPORT_ADDRS;
	}
	/* the allow-lists (CVE-2020-8554): flags only, KubeProxyConfiguration
	 * has no such fields */
	if (s->external_ip_cidrs_set) {
		free(d->external_ip_cidrs);
		d->external_ip_cidrs = NULL;
		d->nexternal_ip_cidrs = s->nexternal_ip_cidrs;
		d->external_ip_cidrs_set = true;
		if (s->nexternal_ip_cidrs) {
			d->external_ip_cidrs = sn_calloc(s->nexternal_ip_cidrs, sizeof(*d->external_ip_cidrs));
			memcpy(d->external_ip_cidrs, s->external_ip_cidrs,
			       s->nexternal_ip_cidrs * sizeof(*d->external_ip_cidrs));
		}
	}
	if (s->lb_ip_cidrs_set) {
		free(d->lb_ip_cidrs);
		d->lb_ip_cidrs = NULL;
		d->nlb_ip_cidrs = s->nlb_ip_cidrs;
		d->lb_ip_cidrs_set = true;
		if (s->nlb_ip_cidrs) {
			d->lb_ip_cidrs = sn_calloc(s->nlb_ip_cidrs, sizeof(*d->lb_ip_cidrs));
			memcpy(d->lb_ip_cidrs, s->lb_ip_cidrs, s->nlb_ip_cidrs * sizeof(*d->lb_ip_cidrs));
		}
	}
	if (s->nnode_ips) {
		memcpy(d->node_ips, s->node_ips, sizeof(d->node_ips));
		d->nnode_ips = s->nnode_ips;
		o->set_by_flag |= AGENT_SET_NODE_IP;
	}
}

/* kube-proxy's default node name: the hostname, lower-cased. */
static char *hostname_lower(void)
{
	char host[256] = "";
	char *p;

	if (gethostname(host, sizeof(host) - 1) < 0 || !*host)
		return NULL;
	for (p = host; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return sn_strdup(host);
}

static void print_prefixes(const char *key, const struct sn_addr *v, unsigned n)
{
	char b[SN_ADDR_STRLEN + 8];
	unsigned i;

	printf("%s=", key);
	for (i = 0; i < n; i++)
		printf("%s%s", i ? "," : "", sn_prefix_str(&v[i], b));
	printf("\n");
}

static void print_str(const char *key, const char *v)
{
	char q[512];

	printf("%s=%s\n", key, sn_log_q(q, sizeof(q), v ? v : ""));
}

/* One key=value a line, values quoted as the log quotes them. */
static void print_config(const struct agent_opts *o)
{
	const struct comp_opts *c = &o->comp;

	print_str("source", o->manifest_dir ? "dir" : "api");
	print_str("manifest_dir", o->manifest_dir);
	print_str("kubeconfig", o->kubeconfig ? o->kubeconfig : o->manifest_dir ? "" : "in-cluster");
	print_str("master", o->master);
	print_str("config", o->config_path);
	print_str("node_name", c->node_name);
	print_prefixes("node_ip", c->node_ips, c->nnode_ips);
	print_prefixes("cluster_cidr", c->cluster_cidrs, c->ncluster_cidrs);
	print_prefixes("service_cidr", c->service_cidrs, c->nservice_cidrs);
	if (c->nodeport_primary)
		printf("nodeport_addresses=primary\n");
	else if (!c->nnodeport_addrs)
		printf("nodeport_addresses=all\n");
	else
		print_prefixes("nodeport_addresses", c->nodeport_addrs, c->nnodeport_addrs);
	printf("masquerade_all=%s\n", c->masquerade_all ? "true" : "false");
	printf("masquerade_bit=%u\n", c->masq_bit);
	printf("service_node_port_range=%u-%u\n", c->nodeport_min, c->nodeport_max);
	printf("min_sync_period_ms=%llu\n", (unsigned long long)o->min_sync_period_ms);
	printf("sync_period_ms=%llu\n", (unsigned long long)o->sync_period_ms);
	printf("full_sync_period_ms=%llu\n", (unsigned long long)o->full_sync_period_ms);
	print_str("healthz_bind_address", o->healthz_bind);
	print_str("metrics_bind_address", o->metrics_bind);
	printf("bind_address_hard_fail=%s\n", o->bind_address_hard_fail ? "true" : "false");
	printf("conntrack_cleanup=%s\n", o->conntrack ? "true" : "false");
	printf("v=%d\n", o->verbosity);
}

/* Where objects come from: the API, or one directory. */
static int check_source(const struct cli_common *c, struct agent_opts *o)
{
	struct stat st;

	if (c->npaths > 1) {
		fprintf(stderr, "svcnft run: -f: give one directory (it is watched), not %u paths\n",
			c->npaths);
		return CLI_USAGE;
	}
	if (!c->npaths)
		return CLI_OK;
	if (o->kubeconfig && (o->set_by_flag & AGENT_SET_KUBECONFIG)) {
		fprintf(stderr, "svcnft run: -f and --kubeconfig: objects come from one source\n");
		return CLI_USAGE;
	}
	if (o->master) {
		fprintf(stderr, "svcnft run: -f and --master: objects come from one source\n");
		return CLI_USAGE;
	}
	if (stat(c->paths[0], &st) < 0) {
		fprintf(stderr, "svcnft run: -f: \"%s\": %s\n", c->paths[0], strerror(errno));
		return CLI_USAGE;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "svcnft run: -f: \"%s\" is not a directory (run watches one)\n",
			c->paths[0]);
		return CLI_USAGE;
	}
	o->manifest_dir = sn_strdup(c->paths[0]);
	return CLI_OK;
}

/*
 * The whole command line into o: flags, then --config under them, then the
 * node name's default. Messages go to stderr (flags) and to the log
 * (--config). Returns CLI_OK, CLI_USAGE or CLI_INVALID; *help when --help.
 */
static int parse(int argc, char **argv, struct agent_opts *o, struct run_args *a, bool *help)
{
	const struct cli_extra extra = {
		.opts = run_opts,
		.on_opt = run_on_opt,
		.ctx = a,
		.usage = RUN_USAGE,
		.shortopts = "v:",
		.synopsis = "[OPTIONS] [--config FILE] [--kubeconfig FILE | -f DIR]",
	};
	struct cli_common c;
	struct sn_diag d;
	int ret;

	a->o = o;
	ret = cli_parse(argc, argv, "run", &c, &extra, help);
	if (*help) {
		cli_usage(stdout, "run", &extra);
		goto out;
	}
	if (ret)
		goto out;
	take_common(&c, o);
	if (c.config)
		o->config_path = sn_strdup(c.config);
	if ((ret = check_source(&c, o))) {
		fprintf(stderr, "Try `svcnft run --help`.\n");
		goto out;
	}

	sn_diag_init(&d);
	if (agent_opts_load_config(o, &d) < 0) {
		sn_log_diag("--config", &d);
		fprintf(stderr, "svcnft run: %zu error%s in %s: not started\n", d.errors,
			d.errors == 1 ? "" : "s", o->config_path);
		sn_diag_free(&d);
		ret = CLI_INVALID;
		goto out;
	}
	sn_log_diag("--config", &d);
	sn_diag_free(&d);
	/* the kubeconfig the file names is only for the API source */
	if (o->manifest_dir && o->kubeconfig) {
		free(o->kubeconfig);
		o->kubeconfig = NULL;
	}

	if (!o->comp.node_name)
		o->comp.node_name = hostname_lower();
	if (!o->comp.node_name || !svc_valid_dns_subdomain(o->comp.node_name)) {
		fprintf(stderr, "svcnft run: --node-name: \"");
		for (const char *p = o->comp.node_name ? o->comp.node_name : ""; *p; p++)
			fputc(*p >= 0x20 && *p < 0x7f ? *p : '?', stderr);
		fprintf(stderr, "\" is not a valid node name (RFC 1123 subdomain: lowercase letters, "
				"digits, '-' and '.', at most 253)\n");
		ret = CLI_USAGE;
	}
out:
	cli_common_free(&c);
	return ret;
}

/* The agent's SIGHUP hook (agent/agent.h): the same command line, and
 * --config read again, into fresh. */
static int reload(void *ctx, struct agent_opts *fresh)
{
	struct run_args *a = ctx, again = { 0 };
	bool help;

	again.argc = a->argc;
	again.argv = a->argv;
	return parse(a->argc, a->argv, fresh, &again, &help) == CLI_OK ? 0 : -1;
}

int cmd_run(int argc, char **argv)
{
	struct agent_opts o;
	struct run_args a = { .argc = argc, .argv = argv };
	bool help;
	int ret;

	agent_opts_init(&o);
	ret = parse(argc, argv, &o, &a, &help);
	if (ret || help)
		goto out;
	if (a.print_config) {
		print_config(&o);
		ret = fflush(stdout) || ferror(stdout) ? CLI_RUNTIME : CLI_OK;
		goto out;
	}
	o.reload = reload;
	o.reload_ctx = &a;
	ret = agent_run(&o);
out:
	agent_opts_free(&o);
	return help ? CLI_OK : ret;
}
