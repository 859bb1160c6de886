// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench/reconcile-bench.c: what one endpoint change costs the agent's path
 * (reconcile/ rc_sync: recompile that Service, diff its parts, commit),
 * against recompiling and diffing everything (rc_sync_all), in one run.
 *
 *   reconcile-bench [--changes N] [--all M] -f CLUSTER [svcnft options]
 *
 * CLUSTER is what bench/gen-manifests.py writes (use its flags: --node-name
 * node-0 --service-cidr ... --cluster-cidr ... --service-node-port-range
 * 30000-45999). The program moves itself into a network namespace of its
 * own (unshare), so the kernel it programs is a private one, never the
 * host's; root is needed for that. Then: one full sync (timed), N changes
 * of one endpoint of a random Service each synced with rc_sync naming that
 * Service (median and p99 of the whole call: compile + diff + commit), M
 * more synced with rc_sync_all (median), and the ratio of the medians.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compiler/compile.h"
#include "input/input.h"
#include "netlink/nlk.h"
#include "reconcile/reconcile.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p)
{
	size_t i;

	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), dcmp);
	i = (size_t)(p * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

static int prefixes(const char *arg, struct sn_addr *v, unsigned *n)
{
	char *copy = strdup(arg), *save = NULL;

	*n = 0;
	for (char *p = strtok_r(copy, ",", &save); p && *n < 2; p = strtok_r(NULL, ",", &save))
		if (sn_prefix_parse(&v[(*n)++], p, false) < 0) {
			free(copy);
			return -1;
		}
	free(copy);
	return 0;
}

static unsigned rnd(unsigned *seed, unsigned n)
{
	*seed = *seed * 1103515245u + 12345u;
	return ((*seed >> 8) & 0xffffff) % n;
}

/* Replace one ready endpoint of a random IPv4 slice that has endpoints by
 * an address no one uses (198.18.0.0/15 is the benchmark's): the change an
 * EndpointSlice update brings. Returns the Service it belongs to. */
static char *change_endpoint(struct svc_world *w, unsigned *seed, unsigned *serial)
{
	for (int tries = 0; tries < 1000; tries++) {
		struct svc_slice *sl = &w->slices[rnd(seed, w->nslices)];
		struct svc_endpoint *e;

		if (!sl->neps || sl->family != SN_AF_INET)
			continue;
		e = &sl->eps[rnd(seed, sl->neps)];
		/* 198.19.240.0/20: outside what the generator hands out */
		e->addr.a[0] = 198;
		e->addr.a[1] = 19;
		e->addr.a[2] = (uint8_t)(240 + (*serial >> 8) % 16);
		e->addr.a[3] = (uint8_t)(*serial & 0xff);
		(*serial)++;
		return sn_asprintf("%s/%s", sl->ns, sl->service);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned changes = 100, nall = 3, seed = 42, serial = 1;
	const char *path = NULL;
	struct comp_opts o;
	struct svc_world *w;
	struct rc_report rep;
	struct sn_diag d;
	struct sn_buf why;
	struct nlk_sock *s;
	double *t_sync, *t_all, t0, full_ms;
	double c_ms = 0, d_ms = 0, k_ms = 0;
	size_t msgs = 0;
	struct rc *rc;

	comp_opts_init(&o);
	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(argv[i], "--changes") && v)
			changes = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--all") && v)
			nall = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "-f") && v)
			path = argv[++i];
		else if (!strcmp(argv[i], "--shard-elements") && v)
			o.shard_elems = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--node-name") && v)
			o.node_name = strdup(argv[++i]);
		else if (!strcmp(argv[i], "--service-cidr") && v)
			prefixes(argv[++i], o.service_cidrs, &o.nservice_cidrs);
		else if (!strcmp(argv[i], "--cluster-cidr") && v)
			prefixes(argv[++i], o.cluster_cidrs, &o.ncluster_cidrs);
		else if (!strcmp(argv[i], "--service-node-port-range") && v) {
			unsigned lo, hi;

			if (sscanf(argv[++i], "%u-%u", &lo, &hi) == 2) {
				o.nodeport_min = (uint16_t)lo;
				o.nodeport_max = (uint16_t)hi;
			}
		} else {
			fprintf(stderr, "usage: reconcile-bench [--changes N] [--all M] -f CLUSTER "
				"[--node-name N --service-cidr A[,B] --cluster-cidr A[,B] "
				"--service-node-port-range LO-HI --shard-elements N]\n");
			return 2;
		}
	}
	if (!path) {
		fprintf(stderr, "reconcile-bench: -f CLUSTER is needed\n");
		return 2;
	}
	/* a kernel of our own: never program the host's namespace */
	if (unshare(CLONE_NEWNET) < 0) {
		fprintf(stderr, "reconcile-bench: unshare(CLONE_NEWNET): %s (needs root)\n",
			strerror(errno));
		return 1;
	}

	w = svc_world_alloc();
	sn_diag_init(&d);
	t0 = now_ms();
	input_load(&path, 1, w, &d);
	comp_prepare(w, &o, &d);
	if (d.errors) {
		sn_diag_print(&d, stderr);
		return 1;
	}
	sn_diag_free(&d);
	printf("loaded %u Services, %u slices in %.0f ms\n", w->nsvcs, w->nslices, now_ms() - t0);

	sn_buf_init(&why);
	s = nlk_open(&why);
	if (!s) {
		fprintf(stderr, "reconcile-bench: %s\n", why.s ? why.s : "netlink");
		return 1;
	}
	rc = rc_new(s, &o);
	rc_set_conntrack(rc, RC_CT_OFF);	/* the commit path only */
	rc_report_init(&rep);
	t0 = now_ms();
	rc_full_sync(rc, w, false, &rep);
	full_ms = now_ms() - t0;
	printf("full sync: %.0f ms (compile+index %.0f, read %.0f, diff %.0f, commit %.0f; "
	       "%zu messages), status %d%s%s\n", full_ms, rep.compile_ms, rep.read_ms, rep.diff_ms,
	       rep.commit_ms, rep.msgs, rep.status, rep.warnings ? ", " : "",
	       rep.warnings ? rep.warnings : "");
	if (rep.status == RC_FAILED || rep.warnings)
		return 1;
	rc_report_free(&rep);

	t_sync = calloc(changes + 1, sizeof(*t_sync));
	t_all = calloc(nall + 1, sizeof(*t_all));
	for (unsigned i = 0; i < changes; i++) {
		char *name = change_endpoint(w, &seed, &serial);
		const char *v[1] = { name };

		rc_report_init(&rep);
		t0 = now_ms();
		rc_sync(rc, w, v, 1, &rep);
		t_sync[i] = now_ms() - t0;
		if (rep.status != RC_APPLIED || !rep.incremental) {
			fprintf(stderr, "change %u (%s): status %d incremental %d: %s\n", i, name,
				rep.status, rep.incremental, rep.error ? rep.error : "");
			return 1;
		}
		c_ms += rep.compile_ms;
		d_ms += rep.diff_ms;
		k_ms += rep.commit_ms;
		msgs += rep.msgs;
		rc_report_free(&rep);
		free(name);
	}
	for (unsigned i = 0; i < nall; i++) {
		char *name = change_endpoint(w, &seed, &serial);

		rc_report_init(&rep);
		t0 = now_ms();
		rc_sync_all(rc, w, &rep);
		t_all[i] = now_ms() - t0;
		if (rep.status != RC_APPLIED) {
			fprintf(stderr, "sync_all %u: status %d: %s\n", i, rep.status,
				rep.error ? rep.error : "");
			return 1;
		}
		printf("rc_sync_all %u: %.0f ms (compile+index %.0f, diff %.1f, commit %.1f)\n", i,
		       t_all[i], rep.compile_ms, rep.diff_ms, rep.commit_ms);
		rc_report_free(&rep);
		free(name);
	}
	{
		double med = pct(t_sync, changes, 0.5), p99 = pct(t_sync, changes, 0.99);
		double amed = pct(t_all, nall, 0.5);

		printf("rc_sync of one endpoint change, %u changes: median %.2f ms, p99 %.2f ms "
		       "(mean compile %.2f, diff %.2f, commit %.2f ms; %.1f messages)\n", changes, med,
		       p99, c_ms / changes, d_ms / changes, k_ms / changes, (double)msgs / changes);
		printf("rc_sync_all, %u runs: median %.0f ms\n", nall, amed);
		printf("ratio rc_sync_all / rc_sync (medians): %.0fx\n", med > 0 ? amed / med : 0);
	}
	/* the kernel now holds exactly the compile of the world as changed:
	 * read it back, nothing to do */
	rc_forget(rc);
	rc_report_init(&rep);
	rc_full_sync(rc, w, false, &rep);
	printf("check: a full sync after the changes (reads the kernel): %s\n",
	       rep.status == RC_NOTHING ? "no changes" : "CHANGES (the kernel diverged)");
	if (rep.status != RC_NOTHING)
		return 1;
	rc_report_free(&rep);
	rc_free(rc);
	nlk_close(s);
	svc_world_free(w);
	comp_opts_free(&o);
	free(t_sync);
	free(t_all);
	return 0;
}
