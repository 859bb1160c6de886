// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench/apply_bench.c: issue 3's figures. `svcnft apply` against `nft -f` of
 * the same `svcnft compile` output, in fresh network namespaces, for
 *
 *   1. a first apply of N Services x E endpoints (default 10,000 x 10);
 *   2. a no-op apply at that size;
 *   3. an apply that changes one endpoint at that size,
 *
 * each from one run: wall time of the process, its peak RSS (ru_maxrss from
 * wait4), and the ratio. nft has no "apply the difference" of its own, so
 * for 2 and 3 it gets what a script-driven proxy would send: the whole
 * ruleset again (table deleted and loaded in one transaction), and, for 3,
 * also the minimal script (flush the changed chain, add its rules, swap the
 * element) that a proxy with a perfect diff would write.
 *
 * Not a timed test: it prints figures. Needs root (namespaces).
 *
 * Each figure is the median of R runs (default 3), each run in new
 * namespaces; the ratio is of the two medians of the same invocation.
 *
 *   build/bench/apply_bench [-n SERVICES] [-e ENDPOINTS] [--runs R] [--svcnft PATH] [--keep]
 */
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "compiler/compile.h"
#include "input/input.h"
#include "rules/rs.h"

static const char *svcnft_bin = "./svcnft";
static const char *const common_args[] = {
	"--node-name", "node-a", "--cluster-cidr", "198.19.0.0/16", "--service-cidr",
	"198.18.0.0/15",
};

/* execvp takes char *const[]; our strings are constant */
static char *arg(const char *s)
{
	return (char *)(uintptr_t)s;
}

struct run {
	double ms;
	long maxrss_kib;
	int status;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- manifests ---- */

static void addr(char *buf, size_t len, unsigned a, unsigned b, unsigned n)
{
	snprintf(buf, len, "%u.%u.%u.%u", a, b + (n >> 16 & 1), n >> 8 & 255, n & 255);
}

/* N Services in files of 1,000: ClusterIP, every 10th a NodePort, every
 * 50th with ClientIP affinity; one EndpointSlice of E ready endpoints each.
 * change_one: the first endpoint of the first Service is another pod. */
static void write_manifests(const char *dir, unsigned n, unsigned e, bool change_one)
{
	unsigned ep = 0;

	mkdir(dir, 0755);
	for (unsigned f = 0; f * 1000 < n; f++) {
		char path[512];
		FILE *out;

		snprintf(path, sizeof(path), "%s/svc-%02u.yaml", dir, f);
		out = fopen(path, "w");
		if (!out) {
			perror(path);
			exit(1);
		}
		for (unsigned i = f * 1000; i < n && i < (f + 1) * 1000; i++) {
			char ip[32];
			bool np = i % 10 == 0, aff = i % 50 == 0;

			addr(ip, sizeof(ip), 198, 18, i + 16);
			fprintf(out,
				"---\napiVersion: v1\nkind: Service\nmetadata: {name: svc-%05u, "
				"namespace: ns-%03u}\nspec:\n  type: %s\n  clusterIP: %s\n%s"
				"  ports:\n  - {name: http, port: 80, protocol: TCP, targetPort: 8080%s",
				i, i % 100, np ? "NodePort" : "ClusterIP", ip,
				aff ? "  sessionAffinity: ClientIP\n" : "", np ? ", nodePort: " : "");
			if (np)
				fprintf(out, "%u", 30000 + i / 10);
			fprintf(out,
				"}\n---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
				"metadata:\n  name: svc-%05u-abcde\n  namespace: ns-%03u\n  labels: "
				"{kubernetes.io/service-name: svc-%05u}\naddressType: IPv4\n"
				"ports: [{name: http, port: 8080, protocol: TCP}]\nendpoints:\n",
				i, i % 100, i);
			for (unsigned k = 0; k < e; k++, ep++) {
				if (change_one && i == 0 && k == 0)
					snprintf(ip, sizeof(ip), "198.19.255.254");
				else
					addr(ip, sizeof(ip), 198, 19, ep % 65000 + 1);
				fprintf(out, "- {addresses: [\"%s\"], nodeName: node-%u}\n", ip, k % 5);
			}
		}
		fclose(out);
	}
}

/* ---- namespaces and processes ---- */

/* A process that only holds a fresh network namespace; returns an fd of it. */
static int ns_holder(pid_t *pid)
{
	int p[2];
	char c, path[64];

	if (pipe(p) < 0)
		exit(1);
	*pid = fork();
	if (*pid == 0) {
		if (unshare(CLONE_NEWNET) < 0) {
			perror("unshare(CLONE_NEWNET)");
			_exit(1);
		}
		(void)!write(p[1], "x", 1);
		pause();
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1) {
		fprintf(stderr, "apply_bench: cannot create a network namespace (root?)\n");
		exit(1);
	}
	close(p[0]);
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)*pid);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* Run argv inside the namespace netns, stdout to out (or /dev/null). */
static struct run run_in(int netns, char *const argv[], const char *out)
{
	struct run r = { 0 };
	struct rusage ru;
	double t0 = now_ms();
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (setns(netns, CLONE_NEWNET) < 0) {
			perror("setns");
			_exit(127);
		}
		if (fd >= 0)
			dup2(fd, 1);
		execvp(argv[0], argv);
		perror(argv[0]);
		_exit(127);
	}
	if (wait4(pid, &r.status, 0, &ru) < 0)
		perror("wait4");
	r.ms = now_ms() - t0;
	r.maxrss_kib = ru.ru_maxrss;
	if (!WIFEXITED(r.status) || WEXITSTATUS(r.status) != 0)
		fprintf(stderr, "apply_bench: %s exited with status %d\n", argv[0],
			WIFEXITED(r.status) ? WEXITSTATUS(r.status) : -1);
	return r;
}

static struct run svcnft(int netns, const char *cmd, const char *dir, const char *out)
{
	char *argv[16];
	int k = 0;

	argv[k++] = arg(svcnft_bin);
	argv[k++] = arg(cmd);
	for (size_t i = 0; i < sizeof(common_args) / sizeof(common_args[0]); i++)
		argv[k++] = arg(common_args[i]);
	argv[k++] = arg("-f");
	argv[k++] = arg(dir);
	argv[k] = NULL;
	return run_in(netns, argv, out);
}

static struct run nft_f(int netns, const char *script)
{
	char *argv[] = { arg("nft"), arg("-f"), arg(script), NULL };

	return run_in(netns, argv, NULL);
}

/* ---- the scripts nft gets ---- */

/* svcnft compile, in the parent's namespace (nothing touches the kernel). */
static void compile_to(const char *dir, const char *out)
{
	struct run r;
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

	r = svcnft(self, "compile", dir, out);
	close(self);
	if (r.status) {
		fprintf(stderr, "apply_bench: compile of %s failed\n", dir);
		exit(1);
	}
}

/* The whole ruleset again in one transaction: delete the table, load it. */
static void reload_script(const char *compiled, const char *out)
{
	FILE *in = fopen(compiled, "r"), *o = fopen(out, "w");
	char buf[65536];
	size_t n;

	if (!in || !o)
		exit(1);
	fprintf(o, "table ip svcnft\ndelete table ip svcnft\n");
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, o);
	fclose(in);
	fclose(o);
}

static struct rs_ruleset *build(const char *dir)
{
	struct svc_world *w = svc_world_alloc();
	struct comp_opts o;
	struct comp_stats st;
	struct sn_diag d;
	struct rs_ruleset *rs;
	const char *paths[] = { dir };

	comp_opts_init(&o);
	o.node_name = sn_strdup("node-a");
	sn_prefix_parse(&o.cluster_cidrs[0], "198.19.0.0/16", false);
	o.ncluster_cidrs = 1;
	sn_prefix_parse(&o.service_cidrs[0], "198.18.0.0/15", false);
	o.nservice_cidrs = 1;
	sn_diag_init(&d);
	input_load(paths, 1, w, &d);
	comp_prepare(w, &o, &d);
	rs = comp_build(w, &o, &st, &d);
	if (!rs || d.errors) {
		sn_diag_print(&d, stderr);
		exit(1);
	}
	sn_diag_free(&d);
	comp_opts_free(&o);
	svc_world_free(w);
	return rs;
}

/* What a perfect script-writing proxy would send for a -> b: nft commands
 * for exactly the operations of the diff. */
static void minimal_script(const char *da, const char *db, const char *out)
{
	struct rs_ruleset *a = build(da), *b = build(db);
	struct rs_diff d;
	struct sn_buf s;
	FILE *o = fopen(out, "w");

	rs_diff(b, a, false, &d);
	sn_buf_init(&s);
	for (size_t i = 0; i < d.n; i++) {
		const struct rs_op *op = &d.ops[i];
		const char *fam = rs_family_name(op->table->family);

		switch (op->type) {
		case RS_OP_FLUSH_CHAIN:
			fprintf(o, "flush chain %s %s %s\n", fam, op->table->name, op->chain->name);
			break;
		case RS_OP_ADD_RULES:
			for (uint32_t k = 0; k < op->chain->n; k++) {
				sn_buf_reset(&s);
				rs_print_rule(&s, op->table->family, &op->chain->rules[k]);
				fprintf(o, "add rule %s %s %s %s\n", fam, op->table->name,
					op->chain->name, s.s);
			}
			break;
		case RS_OP_ADD_ELEMS:
		case RS_OP_DEL_ELEMS:
			for (size_t k = 0; k < op->nelems; k++) {
				sn_buf_reset(&s);
				rs_print_elem(&s, op->table->family, op->set, op->elems[k]);
				fprintf(o, "%s element %s %s %s { %s }\n",
					op->type == RS_OP_ADD_ELEMS ? "add" : "delete", fam,
					op->table->name, op->set->name, s.s);
			}
			break;
		default:
			fprintf(stderr, "apply_bench: unexpected op %d in a one-endpoint change\n",
				op->type);
			exit(1);
		}
	}
	fclose(o);
	sn_buf_free(&s);
	rs_diff_free(&d);
	rs_ruleset_free(a);
	rs_ruleset_free(b);
}

/* Deleting a network namespace tears it down in a kernel worker, which
 * competes with the next measurement on a small machine: let it finish. */
static void settle(void)
{
	sleep(2);
}

/* ---- report ---- */

#define MAX_RUNS 9

static int run_cmp(const void *x, const void *y)
{
	double a = ((const struct run *)x)->ms, b = ((const struct run *)y)->ms;

	return a < b ? -1 : a > b;
}

/* The run with the median time (its peak RSS with it). */
static struct run median(struct run *v, int n)
{
	struct run tmp[MAX_RUNS];

	memcpy(tmp, v, (size_t)n * sizeof(*v));
	qsort(tmp, (size_t)n, sizeof(*tmp), run_cmp);
	return tmp[n / 2];
}

static void first_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = 0;
	if (f && fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = 0;
	if (f)
		fclose(f);
}

static void row(const char *what, struct run s, struct run n)
{
	printf("%-34s %9.0f ms %8.1f MiB | %9.0f ms %8.1f MiB | %6.2f\n", what, s.ms,
	       (double)s.maxrss_kib / 1024, n.ms, (double)n.maxrss_kib / 1024, s.ms / n.ms);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "services", required_argument, NULL, 'n' },
		{ "endpoints", required_argument, NULL, 'e' },
		{ "svcnft", required_argument, NULL, 's' },
		{ "keep", no_argument, NULL, 'k' },
		{ "runs", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned n = 10000, e = 10;
	bool keep = false;
	char tmp[] = "/tmp/svcnft-bench-XXXXXX", a[600], b[600], ca[600], cb[600], ra[600],
	     rb[600], mini[600], o1[600], o2[600], o3[600], line[3][256];
	pid_t hs, hn, hm;
	int nss, nsn, nsm, c;
	struct run s1[MAX_RUNS], s2[MAX_RUNS], s3[MAX_RUNS], n1[MAX_RUNS], n2[MAX_RUNS],
		n3[MAX_RUNS], m3[MAX_RUNS];
	int runs = 3;

	while ((c = getopt_long(argc, argv, "n:e:s:kr:", opts, NULL)) != -1) {
		switch (c) {
		case 'n': n = (unsigned)atoi(optarg); break;
		case 'e': e = (unsigned)atoi(optarg); break;
		case 's': svcnft_bin = optarg; break;
		case 'k': keep = true; break;
		case 'r':
			runs = atoi(optarg);
			runs = runs < 1 ? 1 : runs > MAX_RUNS ? MAX_RUNS : runs;
			break;
		default:
			fprintf(stderr, "usage: apply_bench [-n SERVICES] [-e ENDPOINTS] [--runs R] [--svcnft PATH] [--keep]\n");
			return 2;
		}
	}
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(a, sizeof(a), "%s/a", tmp);
	snprintf(b, sizeof(b), "%s/b", tmp);
	snprintf(ca, sizeof(ca), "%s/a.nft", tmp);
	snprintf(cb, sizeof(cb), "%s/b.nft", tmp);
	snprintf(ra, sizeof(ra), "%s/a-reload.nft", tmp);
	snprintf(rb, sizeof(rb), "%s/b-reload.nft", tmp);
	snprintf(mini, sizeof(mini), "%s/a-to-b.nft", tmp);
	snprintf(o1, sizeof(o1), "%s/apply1.out", tmp);
	snprintf(o2, sizeof(o2), "%s/apply2.out", tmp);
	snprintf(o3, sizeof(o3), "%s/apply3.out", tmp);

	fprintf(stderr, "apply_bench: writing %u Services x %u endpoints to %s\n", n, e, tmp);
	write_manifests(a, n, e, false);
	write_manifests(b, n, e, true);
	compile_to(a, ca);
	compile_to(b, cb);
	reload_script(ca, ra);
	reload_script(cb, rb);
	minimal_script(a, b, mini);

	fprintf(stderr, "apply_bench: %d run(s) in fresh namespaces\n", runs);
	for (int r = 0; r < runs; r++) {
		nss = ns_holder(&hs);
		nsn = ns_holder(&hn);
		nsm = ns_holder(&hm);
		settle();
		s1[r] = svcnft(nss, "apply", a, o1);
		settle();
		n1[r] = nft_f(nsn, ca);
		settle();
		s2[r] = svcnft(nss, "apply", a, o2);
		settle();
		n2[r] = nft_f(nsn, ra);
		settle();
		s3[r] = svcnft(nss, "apply", b, o3);
		settle();
		n3[r] = nft_f(nsn, rb);
		nft_f(nsm, ca);	/* the base for the minimal script */
		settle();
		m3[r] = nft_f(nsm, mini);
		close(nss);
		close(nsn);
		close(nsm);
		kill(hs, SIGKILL);
		kill(hn, SIGKILL);
		kill(hm, SIGKILL);
		waitpid(hs, NULL, 0);
		waitpid(hn, NULL, 0);
		waitpid(hm, NULL, 0);
	}

	first_line(o1, line[0], sizeof(line[0]));
	first_line(o2, line[1], sizeof(line[1]));
	first_line(o3, line[2], sizeof(line[2]));
	printf("\n%u Services x %u endpoints (every 10th NodePort, every 50th ClientIP affinity), "
	       "kernel %s\n", n, e, "in fresh network namespaces");
	printf("%-34s %25s | %25s | %6s\n", "", "svcnft apply (time, peak RSS)",
	       "nft -f (time, peak RSS)", "ratio");
	row("1. first apply", median(s1, runs), median(n1, runs));
	row("2. no-op apply (nft: full reload)", median(s2, runs), median(n2, runs));
	row("3. one endpoint (nft: full reload)", median(s3, runs), median(n3, runs));
	row("3. one endpoint (nft: minimal)", median(s3, runs), median(m3, runs));
	printf("(median of %d runs; every run, svcnft/nft ms:", runs);
	for (int r = 0; r < runs; r++)
		printf(" [%.0f/%.0f %.0f/%.0f %.0f/%.0f %.0f]", s1[r].ms, n1[r].ms, s2[r].ms, n2[r].ms,
		       s3[r].ms, n3[r].ms, m3[r].ms);
	printf(")\n");
	printf("\nsvcnft's own lines (last run):\n  1. %s\n  2. %s\n  3. %s\n", line[0], line[1], line[2]);
	printf("ratio = svcnft time / nft time (below 1: svcnft is faster). svcnft's time covers\n"
	       "reading and compiling the manifests, reading the kernel's tables and the batch;\n"
	       "nft's covers parsing the script and the transaction.\n");

	if (!keep) {
		char cmd[700];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
		(void)!system(cmd);
	} else {
		printf("inputs kept in %s\n", tmp);
	}
	return 0;
}
