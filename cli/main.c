// SPDX-License-Identifier: GPL-2.0-or-later
/* cli/main.c: `svcnft COMMAND [OPTIONS]`. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

#ifndef SVCNFT_VERSION
#define SVCNFT_VERSION "0.1.0"
#endif

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *what;
} commands[] = {
	{ "compile", cmd_compile, "print the nftables ruleset for the manifests (dry run)" },
	{ "apply", cmd_apply, "make the kernel's svcnft tables match the manifests" },
	{ "diff", cmd_diff, "show what apply would change (exit 1 if anything)" },
	{ "cleanup", cmd_cleanup, "remove svcnft's tables, and nothing else" },
	{ "run", cmd_run, "the node agent: keep the kernel in step with the API server (or -f DIR)" },
};

static void usage(FILE *out)
{
	unsigned i;

	fprintf(out, "usage: svcnft COMMAND [OPTIONS] -f PATH...\n\ncommands:\n");
	for (i = 0; i < SN_ARRAY_SIZE(commands); i++)
		fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].what);
	fprintf(out, "\n`svcnft COMMAND --help` lists a command's options.\n");
}

int main(int argc, char **argv)
{
	unsigned i;

	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return CLI_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("svcnft %s\n", SVCNFT_VERSION);
		return CLI_OK;
	}
	for (i = 0; i < SN_ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "svcnft: unknown command \"%s\"\n", argv[1]);
	usage(stderr);
	return CLI_USAGE;
}
