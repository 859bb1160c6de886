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
	uint64_t full_sync_period_ms;	/* --full-sync-period: 1 h (re-read the kernel, repair drift); 0 = never */

	char *healthz_bind;		/* --healthz-bind-address: "0.0.0.0:10256"; "" = off */
	char *metrics_bind;		/* --metrics-bind-address: "127.0.0.1:10249"; "" = off */
	bool bind_address_hard_fail;	/* --bind-address-hard-fail: exit if a server cannot bind */
	unsigned set_by_flag;		/* AGENT_SET_*: what the command line set (wins over --config) */

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

/* The fields --config can also set, as bits of set_by_flag. */
enum {
	AGENT_SET_KUBECONFIG = 1u << 0,
	AGENT_SET_MIN_SYNC = 1u << 1,
	AGENT_SET_SYNC = 1u << 2,
	AGENT_SET_HEALTHZ = 1u << 3,
	AGENT_SET_METRICS = 1u << 4,
	AGENT_SET_HARD_FAIL = 1u << 5,
	AGENT_SET_VERBOSITY = 1u << 6,
	AGENT_SET_NODE_NAME = 1u << 7,
	AGENT_SET_CLUSTER_CIDR = 1u << 8,
	AGENT_SET_MASQ_ALL = 1u << 9,
	AGENT_SET_MASQ_BIT = 1u << 10,
	AGENT_SET_NODEPORT_ADDRS = 1u << 11,
	AGENT_SET_NODE_IP = 1u << 12,
};

/* Defaults: kube-proxy's, with --nodeport-addresses primary (its nftables
 * mode's default). */
void agent_opts_init(struct agent_opts *o);
void agent_opts_free(struct agent_opts *o);

/* At start: read o->config_path (if any) into o, for every field whose
 * set_by_flag bit is clear; sets sn_log_verbosity. Problems go to d.
 * Returns 0, or -1 when the file has errors (o is then unchanged). */
int agent_opts_load_config(struct agent_opts *o, struct sn_diag *d);

/* What agent_opts_reload() changed. */
enum {
	AGENT_RELOAD_TIMERS = 1u << 0,	/* min_sync_period_ms / sync_period_ms: re-arm */
	AGENT_RELOAD_RULES = 1u << 1,	/* o->comp (cluster CIDR, masquerade, nodePortAddresses):
					 * its contents were replaced; recompile everything */
};

/*
 * SIGHUP, in place (an alternative to the reload hook above, for a loop
 * that wants the file alone re-read and told what changed): read
 * o->config_path again (nothing to do without one). Flags
 * still win; a field the file no longer has returns to its default. What a
 * running agent takes: sync periods, logging.verbosity, clusterCIDR,
 * masqueradeAll, masqueradeBit, nodePortAddresses. What needs a restart
 * (kept, with a warning in the log naming the field): the kubeconfig, the
 * bind addresses, bindAddressHardFail, hostnameOverride and bindAddress.
 * Every problem of the file is logged (lib/log.h). Returns the AGENT_RELOAD_*
 * bits of what changed (0: nothing), or -1 when the file has errors or
 * cannot be read: o is then unchanged and the agent keeps running as it was.
 */
int agent_opts_reload(struct agent_opts *o);

/* Run the agent until SIGTERM or SIGINT (rules left in place: exit 0).
 * Returns a cli exit code (cli/cli.h) when it cannot start. */
int agent_run(struct agent_opts *o);

#endif
