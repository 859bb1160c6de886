// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * agent/opts.c: struct agent_opts, its kube-proxy defaults, and the
 * KubeProxyConfiguration (--config) read into it at start and again on
 * SIGHUP (agent/agent.h). cli/run.c fills the flags; a field a flag set
 * (set_by_flag) is never taken from the file.
 */
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"
#include "input/input.h"
#include "lib/log.h"

#define HEALTHZ_DEFAULT "0.0.0.0:10256"
#define METRICS_DEFAULT "127.0.0.1:10249"

void agent_opts_init(struct agent_opts *o)
{
	memset(o, 0, sizeof(*o));
	comp_opts_init(&o->comp);
	/* kube-proxy's nftables mode answers NodePorts on the primary IPs only */
	o->comp.nodeport_primary = true;
	o->min_sync_period_ms = 1000;		/* kube-proxy nftables minSyncPeriod */
	o->sync_period_ms = 30 * 1000;		/* syncPeriod */
	o->full_sync_period_ms = 3600 * 1000;	/* kube-proxy's forced full sync: hourly */
	o->healthz_bind = sn_strdup(HEALTHZ_DEFAULT);
	o->metrics_bind = sn_strdup(METRICS_DEFAULT);
	o->conntrack = true;
}

void agent_opts_free(struct agent_opts *o)
{
	comp_opts_free(&o->comp);
	free(o->manifest_dir);
	free(o->kubeconfig);
	free(o->master);
	free(o->config_path);
	free(o->healthz_bind);
	free(o->metrics_bind);
	memset(o, 0, sizeof(*o));
}

static void set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = v ? sn_strdup(v) : NULL;
}

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* The file's values, into every field no flag set. o holds defaults (or
 * flags) in those fields already. */
static void apply_cfg(struct agent_opts *o, const struct input_kpconfig *cfg)
{
	struct comp_opts *c = &o->comp;
	unsigned set = o->set_by_flag, i;

	if (cfg->has_kubeconfig && !(set & AGENT_SET_KUBECONFIG))
		set_str(&o->kubeconfig, cfg->kubeconfig);
	if (cfg->has_sync_period && !(set & AGENT_SET_SYNC))
		o->sync_period_ms = cfg->sync_period_ms;
	if (cfg->has_min_sync_period && !(set & AGENT_SET_MIN_SYNC))
		o->min_sync_period_ms = cfg->min_sync_period_ms;
	if (cfg->has_healthz_bind && !(set & AGENT_SET_HEALTHZ))
		set_str(&o->healthz_bind, cfg->healthz_bind);
	if (cfg->has_metrics_bind && !(set & AGENT_SET_METRICS))
		set_str(&o->metrics_bind, cfg->metrics_bind);
	if (cfg->has_bind_address_hard_fail && !(set & AGENT_SET_HARD_FAIL))
		o->bind_address_hard_fail = cfg->bind_address_hard_fail;
	if (cfg->has_verbosity && !(set & AGENT_SET_VERBOSITY))
		o->verbosity = (int)cfg->verbosity;
	if (cfg->has_hostname_override && !(set & AGENT_SET_NODE_NAME))
		set_str(&c->node_name, cfg->hostname_override);
	if (cfg->has_node_ip && !(set & AGENT_SET_NODE_IP)) {
		c->node_ips[0] = cfg->node_ip;
		c->nnode_ips = 1;
	}
	if (cfg->has_cluster_cidr && !(set & AGENT_SET_CLUSTER_CIDR)) {
		for (i = 0; i < cfg->ncluster_cidrs && i < SN_ARRAY_SIZE(c->cluster_cidrs); i++)
			c->cluster_cidrs[i] = cfg->cluster_cidrs[i];
		c->ncluster_cidrs = i;
	}
	if (cfg->has_masquerade_all && !(set & AGENT_SET_MASQ_ALL))
		c->masquerade_all = cfg->masquerade_all;
	if (cfg->has_masquerade_bit && !(set & AGENT_SET_MASQ_BIT))
		c->masq_bit = cfg->masquerade_bit;
	if (cfg->has_nodeport_addresses && !(set & AGENT_SET_NODEPORT_ADDRS)) {
		free(c->nodeport_addrs);
		c->nodeport_addrs = NULL;
		c->nnodeport_addrs = 0;
		c->nodeport_primary = cfg->nodeport_primary;
		if (cfg->nnodeport_addrs) {
			c->nodeport_addrs = sn_calloc(cfg->nnodeport_addrs, sizeof(*c->nodeport_addrs));
			memcpy(c->nodeport_addrs, cfg->nodeport_addrs,
			       cfg->nnodeport_addrs * sizeof(*c->nodeport_addrs));
			c->nnodeport_addrs = cfg->nnodeport_addrs;
		}
	}
}

int agent_opts_load_config(struct agent_opts *o, struct sn_diag *d)
{
	struct input_kpconfig cfg;
	int ret = 0;

	if (o->config_path) {
		memset(&cfg, 0, sizeof(cfg));
		if (input_load_kpconfig(o->config_path, &cfg, d))
			ret = -1;
		else
			apply_cfg(o, &cfg);
		input_kpconfig_free(&cfg);
	}
	if (!ret)
		sn_log_verbosity = o->verbosity;
	return ret;
}

static void comp_copy(struct comp_opts *dst, const struct comp_opts *src)
{
	*dst = *src;
	dst->node_name = src->node_name ? sn_strdup(src->node_name) : NULL;
	dst->nodeport_addrs = NULL;
	if (src->nnodeport_addrs) {
		dst->nodeport_addrs = sn_calloc(src->nnodeport_addrs, sizeof(*src->nodeport_addrs));
		memcpy(dst->nodeport_addrs, src->nodeport_addrs,
		       src->nnodeport_addrs * sizeof(*src->nodeport_addrs));
	}
	/* the allow-lists too: a shallow copy would be freed twice */
	dst->external_ip_cidrs = NULL;
	if (src->nexternal_ip_cidrs) {
		dst->external_ip_cidrs = sn_calloc(src->nexternal_ip_cidrs, sizeof(*src->external_ip_cidrs));
		memcpy(dst->external_ip_cidrs, src->external_ip_cidrs,
		       src->nexternal_ip_cidrs * sizeof(*src->external_ip_cidrs));
	}
	dst->lb_ip_cidrs = NULL;
	if (src->nlb_ip_cidrs) {
		dst->lb_ip_cidrs = sn_calloc(src->nlb_ip_cidrs, sizeof(*src->lb_ip_cidrs));
		memcpy(dst->lb_ip_cidrs, src->lb_ip_cidrs, src->nlb_ip_cidrs * sizeof(*src->lb_ip_cidrs));
	}
}

/* What the compiler sees differently (the resolved primary addresses are
 * the compiler's own business: primary against primary is no change). */
static bool rules_differ(const struct comp_opts *a, const struct comp_opts *b)
{
	if (a->ncluster_cidrs != b->ncluster_cidrs ||
	    memcmp(a->cluster_cidrs, b->cluster_cidrs, a->ncluster_cidrs * sizeof(a->cluster_cidrs[0])) ||
	    a->masquerade_all != b->masquerade_all || a->masq_bit != b->masq_bit ||
	    a->nodeport_primary != b->nodeport_primary)
		return true;
	if (a->nodeport_primary)
		return false;
	return a->nnodeport_addrs != b->nnodeport_addrs ||
	       (a->nnodeport_addrs &&
		memcmp(a->nodeport_addrs, b->nodeport_addrs,
		       a->nnodeport_addrs * sizeof(a->nodeport_addrs[0])));
}

/* A field a running agent cannot take: keep the running value, say so. */
static void keep_str(const char *field, char **next, const char *cur)
{
	if (str_eq(*next, cur))
		return;
	sn_log_warn("config reload: needs a restart, running value kept", "field", field, "running",
		    cur ? cur : "", "file", *next ? *next : "", NULL);
	set_str(next, cur);
}

int agent_opts_reload(struct agent_opts *o)
{
	struct input_kpconfig cfg;
	struct agent_opts n;
	struct comp_opts *c;
	struct sn_diag d;
	unsigned set = o->set_by_flag;
	char buf[32];
	int changed = 0;

	if (!o->config_path)
		return 0;
	sn_diag_init(&d);
	memset(&cfg, 0, sizeof(cfg));
	input_load_kpconfig(o->config_path, &cfg, &d);
	sn_log_diag("reload", &d);
	if (d.errors) {
		snprintf(buf, sizeof(buf), "%zu", d.errors);
		sn_log_err("config reload failed: running configuration kept", "config",
			   o->config_path, "errors", buf, NULL);
		input_kpconfig_free(&cfg);
		sn_diag_free(&d);
		return -1;
	}
	sn_diag_free(&d);

	/* n: defaults, what the command line set, then the file */
	agent_opts_init(&n);
	n.set_by_flag = set;
	n.manifest_dir = o->manifest_dir ? sn_strdup(o->manifest_dir) : NULL;
	n.master = o->master ? sn_strdup(o->master) : NULL;
	n.config_path = sn_strdup(o->config_path);
	n.full_sync_period_ms = o->full_sync_period_ms;
	n.conntrack = o->conntrack;
	n.reload = o->reload;
	n.reload_ctx = o->reload_ctx;
	if (set & AGENT_SET_KUBECONFIG)
		set_str(&n.kubeconfig, o->kubeconfig);
	if (set & AGENT_SET_SYNC)
		n.sync_period_ms = o->sync_period_ms;
	if (set & AGENT_SET_MIN_SYNC)
		n.min_sync_period_ms = o->min_sync_period_ms;
	if (set & AGENT_SET_HEALTHZ)
		set_str(&n.healthz_bind, o->healthz_bind);
	if (set & AGENT_SET_METRICS)
		set_str(&n.metrics_bind, o->metrics_bind);
	if (set & AGENT_SET_HARD_FAIL)
		n.bind_address_hard_fail = o->bind_address_hard_fail;
	if (set & AGENT_SET_VERBOSITY)
		n.verbosity = o->verbosity;
	/* the compiler's options: flag-only ones (service CIDRs, node port
	 * range) and flag-set ones as they run; the file's fields from scratch */
	comp_opts_free(&n.comp);
	comp_copy(&n.comp, &o->comp);
	c = &n.comp;
	if (!(set & AGENT_SET_CLUSTER_CIDR))
		c->ncluster_cidrs = 0;
	if (!(set & AGENT_SET_MASQ_ALL))
		c->masquerade_all = false;
	if (!(set & AGENT_SET_MASQ_BIT))
		c->masq_bit = COMP_MASQ_BIT_DEFAULT;
	if (!(set & AGENT_SET_NODEPORT_ADDRS)) {
		free(c->nodeport_addrs);
		c->nodeport_addrs = NULL;
		c->nnodeport_addrs = 0;
		c->nodeport_primary = true;
	}
	apply_cfg(&n, &cfg);
	input_kpconfig_free(&cfg);

	/* what needs a restart stays as it runs */
	keep_str("clientConnection.kubeconfig", &n.kubeconfig, o->kubeconfig);
	keep_str("healthzBindAddress", &n.healthz_bind, o->healthz_bind);
	keep_str("metricsBindAddress", &n.metrics_bind, o->metrics_bind);
	keep_str("hostnameOverride", &n.comp.node_name, o->comp.node_name);
	if (n.bind_address_hard_fail != o->bind_address_hard_fail) {
		sn_log_warn("config reload: needs a restart, running value kept", "field",
			    "bindAddressHardFail", "running", o->bind_address_hard_fail ? "true" : "false",
			    NULL);
		n.bind_address_hard_fail = o->bind_address_hard_fail;
	}
	if (n.comp.nnode_ips != o->comp.nnode_ips ||
	    memcmp(n.comp.node_ips, o->comp.node_ips, o->comp.nnode_ips * sizeof(o->comp.node_ips[0]))) {
		sn_log_warn("config reload: needs a restart, running value kept", "field", "bindAddress",
			    NULL);
		memcpy(n.comp.node_ips, o->comp.node_ips, sizeof(n.comp.node_ips));
		n.comp.nnode_ips = o->comp.nnode_ips;
	}

	if (n.sync_period_ms != o->sync_period_ms || n.min_sync_period_ms != o->min_sync_period_ms)
		changed |= AGENT_RELOAD_TIMERS;
	if (rules_differ(&n.comp, &o->comp))
		changed |= AGENT_RELOAD_RULES;
	else {
		/* nothing for the compiler: keep o's (possibly resolved) options */
		comp_opts_free(&n.comp);
		comp_copy(&n.comp, &o->comp);
	}
	if (n.verbosity != o->verbosity)
		sn_log_verbosity = n.verbosity;
	sn_logf(0, "config reloaded", "changed=%s%s%s sync_period_ms=%llu min_sync_period_ms=%llu v=%d",
		changed & AGENT_RELOAD_TIMERS ? "timers" : "",
		changed == (AGENT_RELOAD_TIMERS | AGENT_RELOAD_RULES) ? "," : "",
		changed & AGENT_RELOAD_RULES ? "rules" : changed ? "" : "nothing",
		(unsigned long long)n.sync_period_ms, (unsigned long long)n.min_sync_period_ms,
		n.verbosity);
	agent_opts_free(o);
	*o = n;
	return changed;
}
