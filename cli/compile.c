// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cli/compile.c: `svcnft compile`: the whole ruleset as an nft script on
 * stdout, for review and for golden files. Nothing is printed on stdout
 * unless every input was valid (exit 3 otherwise).
 */
#include <stdlib.h>

#include "cli/cli.h"

int cmd_compile(int argc, char **argv)
{
	struct cli_common c;
	struct rs_ruleset *rs = NULL;
	struct comp_stats st;
	bool help;
	int ret;

	ret = cli_parse(argc, argv, "compile", &c, NULL, &help);
	if (help) {
		cli_usage(stdout, "compile", NULL);
		cli_common_free(&c);
		return CLI_OK;
	}
	if (!ret)
		ret = cli_build(&c, &rs, &st);
	if (!ret) {
		comp_print_header(stdout, c.world, &c.comp, &st);
		rs_print_ruleset(stdout, rs);
		if (fflush(stdout) || ferror(stdout)) {
			perror("svcnft: stdout");
			ret = CLI_RUNTIME;
		}
	}
	rs_ruleset_free(rs);
	cli_common_free(&c);
	return ret;
}
