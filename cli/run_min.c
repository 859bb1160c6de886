// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cli/run_min.c: a minimal `svcnft run` command line for branch `run`, so
 * that the agent can be run and tested before engineer conf's cli/run.c
 * (the real flags, --config for every agent field, the SIGHUP helper) is
 * merged; the coordinator replaces this file with that one. It parses the
 * common options (cli_parse) plus the agent's own, applies the compile
 * fields of --config as `apply` does (flags win), and on SIGHUP parses the
 * same command line again, re-reading --config.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"
#include "cli/cli.h"
#include "input/input.h"

enum {
	OPT_KUBECONFIG = 1000,
	OPT_MASTER,
	OPT_MIN_SYNC,
	OPT_SYNC,
	OPT_FULL_SYNC,
	OPT_HEALTHZ,
	OPT_METRICS,
	OPT_HARD_FAIL,
	OPT_NO_CONNTRACK,
	OPT_V,
};

static const struct option run_opts[] = {
	{ "kubeconfig", required_argument, NULL, OPT_KUBECONFIG },
	{ "master", required_argument, NULL, OPT_MASTER },
	{ "min-sync-period", required_argument, NULL, OPT_MIN_SYNC },
	{ "sync-period", required_argument, NULL, OPT_SYNC },
	{ "full-sync-period", required_argument, NULL, OPT_FULL_SYNC },
	{ "healthz-bind-address", required_argument, NULL, OPT_HEALTHZ },
	{ "metrics-bind-address", required_argument, NULL, OPT_METRICS },
	{ "bind-address-hard-fail", no_argument, NULL, OPT_HARD_FAIL },
	{ "no-conntrack", no_argument, NULL, OPT_NO_CONNTRACK },
	{ "v", required_argument, NULL, OPT_V },
	{ NULL, 0, NULL, 0 },
};

#define RUN_USAGE \
	"      --kubeconfig FILE        the API server and credentials (default: in-cluster)\n" \
	"      --master URL             override the kubeconfig's server\n" \
	"  -f DIR                       instead of the API: a manifest directory, watched\n" \
	"      --min-sync-period D      coalesce changes (default 1s; 0 allowed)\n" \
	"      --sync-period D          retry after a refused sync (default 30s)\n" \
	"      --full-sync-period D     re-read the kernel and repair drift (default 1h)\n" \
	"      --healthz-bind-address A (default 0.0.0.0:10256; \"\" = off)\n" \
	"      --metrics-bind-address A (default 127.0.0.1:10249; \"\" = off)\n" \
	"      --bind-address-hard-fail exit when a server cannot bind\n" \
	"      --no-conntrack           no UDP conntrack cleanup\n" \
	"      --v N                    log verbosity\n"

/* Go durations as kube-proxy takes them: "1h30m", "500ms", "2s", "0". */
static int parse_duration(const char *flag, const char *arg, uint64_t *ms)
{
	const char *p = arg;
	double total = 0;

	if (!strcmp(arg, "0")) {
		*ms = 0;
		return CLI_OK;
	}
	while (*p) {
		char *end;
		double v = strtod(p, &end);
		double mul;

		if (end == p || v < 0)
			goto bad;
		p = end;
		if (!strncmp(p, "ms", 2)) {
			mul = 1;
			p += 2;
		} else if (*p == 's') {
			mul = 1000;
			p++;
		} else if (*p == 'm') {
			mul = 60000;
			p++;
		} else if (*p == 'h') {
			mul = 3600000;
			p++;
		} else {
			goto bad;
		}
		total += v * mul;
	}
	if (p == arg)
		goto bad;
	*ms = (uint64_t)(total + 0.5);
	return CLI_OK;
bad:
	fprintf(stderr, "svcnft run: %s: \"%s\" is not a duration (e.g. 1s, 500ms, 1h30m, 0)\n",
		flag, arg);
	return CLI_USAGE;
}

static int on_opt(int val, const char *arg, void *ctx)
{
	struct agent_opts *o = ctx;

	switch (val) {
	case OPT_KUBECONFIG:
		free(o->kubeconfig);
		o->kubeconfig = sn_strdup(arg);
		return CLI_OK;
	case OPT_MASTER:
		free(o->master);
		o->master = sn_strdup(arg);
		return CLI_OK;
	case OPT_MIN_SYNC:
		return parse_duration("--min-sync-period", arg, &o->min_sync_period_ms);
	case OPT_SYNC:
		return parse_duration("--sync-period", arg, &o->sync_period_ms);
	case OPT_FULL_SYNC:
		return parse_duration("--full-sync-period", arg, &o->full_sync_period_ms);
	case OPT_HEALTHZ:
		free(o->healthz_bind);
		o->healthz_bind = sn_strdup(arg);
		return CLI_OK;
	case OPT_METRICS:
		free(o->metrics_bind);
		o->metrics_bind = sn_strdup(arg);
		return CLI_OK;
	case OPT_HARD_FAIL:
		o->bind_address_hard_fail = true;
		return CLI_OK;
	case OPT_NO_CONNTRACK:
		o->conntrack = false;
		return CLI_OK;
	case OPT_V:
		o->verbosity = atoi(arg);
		return CLI_OK;
	}
	return CLI_USAGE;
}

/* --config's compile fields, where no flag set them (as cli/common.c). */
static int apply_config(struct cli_common *c)
{
	struct input_kpconfig cfg;
	struct comp_opts *o = &c->comp;
	struct sn_diag d;
	int ret = CLI_OK;

	if (!c->config)
		return CLI_OK;
	memset(&cfg, 0, sizeof(cfg));
	sn_diag_init(&d);
	if (input_load_kpconfig(c->config, &cfg, &d) > 0) {
		ret = CLI_INVALID;
	} else {
		if (cfg.has_hostname_override && !c->set_node_name) {
			free(o->node_name);
			o->node_name = sn_strdup(cfg.hostname_override);
		}
		if (cfg.has_cluster_cidr && !c->set_cluster_cidr) {
			for (unsigned i = 0; i < cfg.ncluster_cidrs && i < 2; i++)
				o->cluster_cidrs[i] = cfg.cluster_cidrs[i];
			o->ncluster_cidrs = cfg.ncluster_cidrs;
		}
		if (cfg.has_masquerade_all && !c->set_masq_all)
			o->masquerade_all = cfg.masquerade_all;
		if (cfg.has_masquerade_bit && !c->set_masq_bit)
			o->masq_bit = cfg.masquerade_bit;
		if (cfg.has_nodeport_addresses && !c->set_nodeport_addrs) {
			o->nodeport_primary = cfg.nodeport_primary;
			free(o->nodeport_addrs);
			o->nodeport_addrs = sn_calloc(cfg.nnodeport_addrs + 1, sizeof(*o->nodeport_addrs));
			memcpy(o->nodeport_addrs, cfg.nodeport_addrs,
			       cfg.nnodeport_addrs * sizeof(*o->nodeport_addrs));
			o->nnodeport_addrs = cfg.nnodeport_addrs;
		}
	}
	sn_diag_print(&d, stderr);
	sn_diag_free(&d);
	input_kpconfig_free(&cfg);
	return ret;
}

struct run_args {
	int argc;
	char **argv;
};

/* Parse argv into o (agent_opts_init()ed). */
static int parse(int argc, char **argv, struct agent_opts *o, bool *help)
{
	struct cli_extra extra = { .opts = run_opts, .on_opt = on_opt, .ctx = o,
				   .usage = RUN_USAGE };
	struct cli_common c;
	int ret;

	ret = cli_parse(argc, argv, "run", &c, &extra, help);
	if (ret == CLI_OK && !*help)
		ret = apply_config(&c);
	if (ret == CLI_OK && c.npaths > 1) {
		fprintf(stderr, "svcnft run: -f takes one directory\n");
		ret = CLI_USAGE;
	}
	if (ret == CLI_OK) {
		if (c.npaths)
			o->manifest_dir = sn_strdup(c.paths[0]);
		if (c.config)
			o->config_path = sn_strdup(c.config);
		comp_opts_free(&o->comp);
		o->comp = c.comp;	/* moved */
		comp_opts_init(&c.comp);
	}
	cli_common_free(&c);
	return ret;
}

static int reload(void *ctx, struct agent_opts *fresh)
{
	struct run_args *ra = ctx;
	bool help;

	return parse(ra->argc, ra->argv, fresh, &help) == CLI_OK ? 0 : -1;
}

int cmd_run(int argc, char **argv)
{
	struct run_args ra = { .argc = argc, .argv = argv };
	struct agent_opts o;
	bool help;
	int ret;

	agent_opts_init(&o);
	ret = parse(argc, argv, &o, &help);
	if (ret != CLI_OK || help) {
		if (help)
			cli_usage(stdout, "run", &(struct cli_extra){ .usage = RUN_USAGE });
		agent_opts_free(&o);
		return help ? CLI_OK : ret;
	}
	o.reload = reload;
	o.reload_ctx = &ra;
	ret = agent_run(&o);
	agent_opts_free(&o);
	return ret;
}
