// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tests/kernel/rc_steps.c: drives one reconcile/ rc through a sequence of
 * manifest directories, as the agent would, for the kernel tier. Run it
 * inside a throw-away network namespace only.
 *
 *   rc_steps [--node-name N] [--cluster-cidr A[,B]] [--service-cidr A[,B]] STEP...
 *
 * STEP is DIR (the first: rc_full_sync), DIR:NS/NAME,NS/NAME (rc_sync of
 * those Services), DIR:* (rc_sync_all). A trailing !NS/NAME sets the test
 * hook SVCNFT_TEST_REFUSE_SERVICE for that step only. One line per step:
 *   step N: STATUS incremental=0|1 compiled=K +A -D elements, +C -X ~R chains
 *   step N: isolated NS/NAME: REASON
 * Exit 0; 4 when a step was refused or isolated something; 5 on failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/compile.h"
#include "input/input.h"
#include "netlink/nlk.h"
#include "reconcile/reconcile.h"

static const char *const status_names[] = {
	[RC_NOTHING] = "nothing", [RC_APPLIED] = "applied", [RC_ISOLATED] = "isolated",
	[RC_REFUSED] = "refused", [RC_FAILED] = "failed",
};

static int prefixes(const char *arg, struct sn_addr *v, unsigned *n)
{
	char *copy = sn_strdup(arg), *save = NULL;

	*n = 0;
	for (char *p = strtok_r(copy, ",", &save); p && *n < 2; p = strtok_r(NULL, ",", &save))
		if (sn_prefix_parse(&v[(*n)++], p, false) < 0) {
			free(copy);
			return -1;
		}
	free(copy);
	return 0;
}

static struct svc_world *load(const char *dir, struct comp_opts *o)
{
	struct svc_world *w = svc_world_alloc();
	struct sn_diag d;

	sn_diag_init(&d);
	input_load(&dir, 1, w, &d);
	comp_prepare(w, o, &d);
	if (d.errors) {
		sn_diag_print(&d, stderr);
		svc_world_free(w);
		w = NULL;
	}
	sn_diag_free(&d);
	return w;
}

int main(int argc, char **argv)
{
	struct comp_opts o;
	struct sn_buf why;
	struct nlk_sock *s;
	struct rc *rc;
	int i = 1, ret = 0, step = 0;

	comp_opts_init(&o);
	for (; i + 1 < argc && !strncmp(argv[i], "--", 2); i += 2) {
		if (!strcmp(argv[i], "--node-name")) {
			o.node_name = sn_strdup(argv[i + 1]);
		} else if (!strcmp(argv[i], "--cluster-cidr")) {
			if (prefixes(argv[i + 1], o.cluster_cidrs, &o.ncluster_cidrs) < 0)
				return 2;
		} else if (!strcmp(argv[i], "--service-cidr")) {
			if (prefixes(argv[i + 1], o.service_cidrs, &o.nservice_cidrs) < 0)
				return 2;
		} else {
			fprintf(stderr, "rc_steps: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	sn_buf_init(&why);
	s = nlk_open(&why);
	if (!s) {
		fprintf(stderr, "rc_steps: %s\n", why.s ? why.s : "netlink");
		return 5;
	}
	sn_buf_free(&why);
	rc = rc_new(s, &o);
	for (; i < argc; i++, step++) {
		char *arg = sn_strdup(argv[i]), *names = strchr(arg, ':'), *refuse = strchr(arg, '!');
		const char *changed[64];
		struct rc_report rep;
		struct svc_world *w;
		size_t n = 0;

		if (refuse) {
			*refuse++ = 0;
			setenv("SVCNFT_TEST_REFUSE_SERVICE", refuse, 1);
		} else {
			unsetenv("SVCNFT_TEST_REFUSE_SERVICE");
		}
		if (names)
			*names++ = 0;
		w = load(arg, &o);
		if (!w) {
			free(arg);
			ret = 5;
			break;
		}
		for (char *p = names ? strtok(names, ",") : NULL; p && n < 64; p = strtok(NULL, ","))
			changed[n++] = p;
		rc_report_init(&rep);
		if (!step)
			rc_full_sync(rc, w, false, &rep);
		else if (n == 1 && !strcmp(changed[0], "*"))
			rc_sync_all(rc, w, &rep);
		else
			rc_sync(rc, w, changed, n, &rep);
		printf("step %d: %s incremental=%d compiled=%zu +%zu -%zu elements, +%zu -%zu ~%zu "
		       "chains\n", step, status_names[rep.status], rep.incremental,
		       rep.services_compiled, rep.elems_added, rep.elems_deleted, rep.chains_added,
		       rep.chains_deleted, rep.chains_replaced);
		for (size_t k = 0; k < rep.nisolated; k++)
			printf("step %d: isolated %s: %s\n", step, rep.isolated[k].service,
			       rep.isolated[k].reason);
		for (size_t k = 0; k < rep.nerrs; k++)
			printf("step %d: refused (Service %s): %s\n", step,
			       rep.errs[k].service ? rep.errs[k].service : "-", rep.errs[k].what);
		if (rep.error)
			printf("step %d: error: %s\n", step, rep.error);
		if (rep.warnings)
			printf("step %d: warnings: %s", step, rep.warnings);
		if (rep.status == RC_FAILED)
			ret = 5;
		else if ((rep.status == RC_REFUSED || rep.status == RC_ISOLATED) && !ret)
			ret = 4;
		rc_report_free(&rep);
		svc_world_free(w);
		free(arg);
		if (ret == 5)
			break;
	}
	rc_free(rc);
	nlk_close(s);
	comp_opts_free(&o);
	return ret;
}
