// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * agent/opts.c: struct agent_opts and its kube-proxy defaults
 * (agent/agent.h). cli/run.c fills it from flags and --config.
 */
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"

void agent_opts_init(struct agent_opts *o)
{
	memset(o, 0, sizeof(*o));
	comp_opts_init(&o->comp);
	o->min_sync_period_ms = 1000;		/* kube-proxy nftables minSyncPeriod */
	o->sync_period_ms = 30 * 1000;		/* syncPeriod */
	o->full_sync_period_ms = 3600 * 1000;	/* kube-proxy's forced full sync: hourly */
	o->healthz_bind = sn_strdup("0.0.0.0:10256");
	o->metrics_bind = sn_strdup("127.0.0.1:10249");
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
