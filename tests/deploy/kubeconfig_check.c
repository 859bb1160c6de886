/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/deploy/kubeconfig_check.c: load a kubeconfig with svcnft's own
 * reader (kube/config.c) and print what the agent would use, one field a
 * line; exit 1 with the reasons on stderr if it refuses the file. Used by
 * tests/deploy/run.sh on the kubeconfig in deploy/configmap.yaml.
 */
#include <stdio.h>

#include "kube/config.h"
#include "lib/sn.h"

int main(int argc, char **argv)
{
	struct kube_config c = { 0 };
	struct sn_diag d;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: kubeconfig_check KUBECONFIG\n");
		return 2;
	}
	sn_diag_init(&d);
	rc = kube_config_load(&c, argv[1], &d);
	sn_diag_print(&d, stderr);
	if (rc == 0)
		printf("server %s\nca %s\ntoken_file %s\n", c.server, c.ca.file ? c.ca.file : "-",
		       c.token_file ? c.token_file : "-");
	kube_config_free(&c);
	sn_diag_free(&d);
	return rc ? 1 : 0;
}
