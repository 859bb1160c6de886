/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cli/cli.h: the svcnft command line. main.c dispatches to one cmd_* per
 * subcommand; common.c parses the options every subcommand shares and runs
 * inputs -> model -> compiler.
 */
#ifndef SVCNFT_CLI_H
#define SVCNFT_CLI_H

#include <getopt.h>
#include <stdbool.h>

#include "compiler/compile.h"
#include "rules/rs.h"

/* Exit codes, shared by every subcommand (README "Exit codes"). */
enum cli_exit {
	CLI_OK = 0,
	CLI_CHANGES = 1,	/* diff: there is something to change */
	CLI_USAGE = 2,		/* bad command line */
	CLI_INVALID = 3,	/* invalid input: nothing printed, nothing applied */
	CLI_KERNEL = 4,		/* the kernel refused the batch: previous ruleset intact */
	CLI_RUNTIME = 5,	/* I/O, netlink socket, lock */
};

struct cli_common {
	struct comp_opts comp;
	const char **paths;	/* -f PATH, in order given */
	unsigned npaths;
	const char *config;	/* --config FILE */
	/* which comp options were set on the command line (they win over --config) */
	bool set_node_name, set_cluster_cidr, set_service_cidr, set_masq_all, set_nodeport_addrs,
		set_nodeport_range, set_masq_bit;
	struct svc_world *world;	/* filled by cli_build(), freed by cli_common_free() */
};

/* A subcommand's own long options are appended to the common ones; each of
 * its options is passed to on_opt (return 0, or CLI_USAGE after printing why). */
struct cli_extra {
	const struct option *opts;	/* terminated by a zero entry; val >= 1000 */
	int (*on_opt)(int val, const char *arg, void *ctx);
	void *ctx;
	const char *usage;		/* extra usage lines for --help */
};

/* Parse argv after the subcommand name. Returns CLI_OK, or CLI_USAGE after
 * printing the problem. *help is set when --help was given. */
int cli_parse(int argc, char **argv, const char *cmd, struct cli_common *c,
	      const struct cli_extra *extra, bool *help);
void cli_common_free(struct cli_common *c);
void cli_usage(FILE *out, const char *cmd, const struct cli_extra *extra);

/* Read --config and the inputs, prepare and compile. Diagnostics go to
 * stderr. Returns CLI_OK with *out set, or CLI_INVALID (nothing built). */
int cli_build(struct cli_common *c, struct rs_ruleset **out, struct comp_stats *st);
/* The same without the compiler: c->world read and prepared (apply, diff:
 * reconcile/ compiles). CLI_OK, or CLI_INVALID (diagnostics printed). */
int cli_prepare(struct cli_common *c);

int cmd_compile(int argc, char **argv);
int cmd_apply(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_cleanup(int argc, char **argv);
int cmd_run(int argc, char **argv);	/* cli/run_min.c until conf's cli/run.c */

#endif
