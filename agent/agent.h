/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * agent/agent.h: `svcnft run`, the node agent, as the command line hands it
 * over. cli/run.c fills struct agent_opts from the flags and the
 * KubeProxyConfiguration (--config; flags win), agent_run() runs until
 * SIGTERM/SIGINT.
 *
 * The contract between the two halves (cli/run.c and lib/log.c on one side,
 * agent/agent.c and the sync loop on the other): every field has its
 * kube-proxy default after agent_opts_init(); durations are milliseconds;
 * strings are owned (agent_opts_free).
 */
#ifndef SVCNFT_AGENT_H
#define SVCNFT_AGENT_H

#include <stdbool.h>
#include <stdint.h>

#include "compiler/compile.h"

struct agent_opts {
	struct comp_opts comp;		/* what compile/apply take too (node name, CIDRs, ...) */

	/* where the objects come from: exactly one of manifest_dir and the API */
	char *manifest_dir;		/* -f DIR: watched with inotify; NULL = the API server */
	char *kubeconfig;		/* --kubeconfig / clientConnection.kubeconfig; NULL = in-cluster */
	char *master;			/* --master: overrides the kubeconfig's server */
	char *config_path;		/* --config FILE, re-read on SIGHUP; NULL = none */

	uint64_t min_sync_period_ms;	/* --min-sync-period / nftables.minSyncPeriod: 1 s; 0 allowed */
	uint64_t sync_period_ms;	/* --sync-period / nftables.syncPeriod: 30 s (retry after a refusal) */
	uint64_t full_sync_period_ms;	/* --full-sync-period: 1 h (re-read the kernel, repair drift) */

	char *healthz_bind;		/* --healthz-bind-address: "0.0.0.0:10256"; "" = off */
	char *metrics_bind;		/* --metrics-bind-address: "127.0.0.1:10249"; "" = off */
	bool bind_address_hard_fail;	/* --bind-address-hard-fail: exit if a server cannot bind */

	bool conntrack;			/* UDP conntrack cleanup after each sync (default on) */
	int verbosity;			/* -v N */

	/* SIGHUP: fill fresh (agent_opts_init()ed by the agent) from the same
	 * command line and the re-read --config. 0, or -1 after reporting why
	 * (the running options stay). NULL: SIGHUP is logged and ignored.
	 * Applied from fresh: the sync periods, -v, conntrack and the compile
	 * options (a full sync follows); the node name and the bind addresses
	 * need a restart (a warning says so). */
	int (*reload)(void *ctx, struct agent_opts *fresh);
	void *reload_ctx;
};

void agent_opts_init(struct agent_opts *o);
void agent_opts_free(struct agent_opts *o);

/* Run the agent until SIGTERM or SIGINT (rules left in place: exit 0).
 * Returns a cli exit code (cli/cli.h) when it cannot start. */
int agent_run(struct agent_opts *o);

#endif
