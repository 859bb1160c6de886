// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * agent/agent.c: `svcnft run`. PLACEHOLDER while the loop is written on
 * branch `run`: it refuses to start, so nothing half-built reaches a node.
 */
#include <stdio.h>

#include "agent/agent.h"

int agent_run(struct agent_opts *o)
{
	(void)o;
	fprintf(stderr, "svcnft: run: not built yet\n");
	return 5;
}
