// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cli/apply.c: `svcnft apply`, `svcnft diff` and `svcnft cleanup`: the
 * kernel's svcnft tables made to match the manifests, by a netlink diff
 * sent as one atomic batch (netlink/).
 *
 * apply: compile; take the namespace's lock; read the kernel's tables under
 * a generation id; diff; send only the difference, with that generation id
 * in the batch so that any change in between makes the kernel refuse it
 * (ERESTART: read and diff again); then clear the UDP conntrack entries and
 * affinity entries pinned to endpoints that are gone.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <netinet/in.h>

#include "cli/cli.h"
#include "netlink/nlk.h"
#include "reconcile/reconcile.h"

#define LOCK_DIR "/run/svcnft"

enum { OPT_CHECK = 1000, OPT_STATS, OPT_ISOLATE };

/*
 * --stats: one line on stderr for benchmarks (README "Statistics"), parsed
 * by bench/: key=value, space separated, times in ms with 3 decimals.
 * A stage the command does not run has no key; messages, bytes and
 * commit_ms are 0 when apply had nothing to send.
 */
struct run_stats {
	bool on;
	bool compiled, read, diffed, sent;
	double compile_ms, read_ms, diff_ms, commit_ms;
	size_t msgs, bytes;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void print_stats(const struct run_stats *st)
{
	if (!st->on || !st->read)
		return;
	fprintf(stderr, "stats:");
	fprintf(stderr, " read_ms=%.3f", st->read_ms);
	if (st->compiled)
		fprintf(stderr, " compile_ms=%.3f", st->compile_ms);
	if (st->diffed)
		fprintf(stderr, " diff_ms=%.3f", st->diff_ms);
	if (st->sent)
		fprintf(stderr, " messages=%zu bytes=%zu commit_ms=%.3f", st->msgs, st->bytes,
			st->commit_ms);
	fprintf(stderr, "\n");
}


/* The exit code of a sync (cli/cli.h). */
static int exit_code(const struct rc_report *rep)
{
	switch (rep->status) {
	case RC_NOTHING:
	case RC_APPLIED:
		return CLI_OK;
	case RC_REFUSED:
	case RC_ISOLATED:
		return CLI_KERNEL;
	default:
		return CLI_RUNTIME;
	}
}

static const struct option apply_opts[] = {
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "isolate", no_argument, NULL, OPT_ISOLATE },
	{ NULL, 0, NULL, 0 },
};

/* diff and cleanup: --stats only */
static const struct option stats_opts[] = {
	{ "stats", no_argument, NULL, OPT_STATS },
	{ NULL, 0, NULL, 0 },
};

#define STATS_USAGE "      --stats                  one line of timings on stderr (README)\n"

struct apply_args {
	bool check, isolate;
	struct run_stats st;
};

static int apply_on_opt(int val, const char *arg, void *ctx)
{
	struct apply_args *a = ctx;

	if (val == OPT_CHECK)
		a->check = true;
	else if (val == OPT_STATS)
		a->st.on = true;
	else if (val == OPT_ISOLATE)
		a->isolate = true;
	return CLI_OK;
}

/*
 * One lock per network namespace, named after its inode, held from the
 * read to the end of the apply: two applies in the same namespace never
 * interleave (the generation id in the batch catches every other writer).
 */
static int lock_netns(void)
{
	struct stat st;
	char path[128];
	int fd;

	if (stat("/proc/self/ns/net", &st) < 0) {
		fprintf(stderr, "svcnft: /proc/self/ns/net: %s\n", strerror(errno));
		return -1;
	}
	if (mkdir(LOCK_DIR, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "svcnft: %s: %s\n", LOCK_DIR, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), LOCK_DIR "/netns-%llu.lock", (unsigned long long)st.st_ino);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "svcnft: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "svcnft: lock %s: %s\n", path, strerror(errno));
			close(fd);
			return -1;
		}
	}
	return fd;
}

static void unlock_netns(int fd)
{
	if (fd >= 0)
		close(fd);	/* closing drops the flock */
}

/* kernel refused the batch: add rule ip svcnft svc-... (rule 2: ...): <extack>
 * (Service default/web, chain svc-default/web/tcp/80): No such file or directory */
static void print_refusal(const struct rc_report *rep)
{
	for (size_t i = 0; i < rep->nerrs; i++) {
		const struct rc_error *e = &rep->errs[i];

		fprintf(stderr, "svcnft: kernel refused the batch: %s", e->what);
		if (e->extack)
			fprintf(stderr, ": %s", e->extack);
		if (e->service && e->chain)
			fprintf(stderr, " (Service %s, chain %s)", e->service, e->chain);
		else if (e->service)
			fprintf(stderr, " (Service %s)", e->service);
		else if (e->chain)
			fprintf(stderr, " (chain %s)", e->chain);
		fprintf(stderr, ": %s\n", strerror(e->err));
	}
}

static void print_summary(const char *what, const struct rc_report *rep)
{
	printf("%s: %zu chains added, %zu deleted, %zu replaced; %zu rules; +%zu -%zu elements; "
	       "batch %zu messages, %zu bytes, %.0f ms\n",
	       what, rep->chains_added, rep->chains_deleted, rep->chains_replaced,
	       rep->rules_added, rep->elems_added, rep->elems_deleted, rep->msgs, rep->bytes,
	       rep->commit_ms);
}

static void print_restarts(const struct rc_report *rep)
{
	for (unsigned i = 0; i < rep->restarts && i < SN_ARRAY_SIZE(rep->restart_genids); i++)
		fprintf(stderr, "svcnft: the ruleset changed since it was read "
			"(generation %u): reading it again\n", rep->restart_genids[i]);
}

static void print_warnings(const struct rc_report *rep)
{
	const char *p = rep->warnings, *nl;

	for (; p && *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p);
		fprintf(stderr, "svcnft: warning: %.*s\n", (int)(nl - p), p);
		if (!*nl)
			break;
	}
}

/* apply's output: the same lines whatever did the work */
static void print_apply(const struct rc_report *rep)
{
	print_restarts(rep);
	switch (rep->status) {
	case RC_NOTHING:
		printf(rep->check ? "check: no changes\n" : "no changes\n");
		break;
	case RC_APPLIED:
	case RC_ISOLATED:
		if (rep->check) {
			print_summary("check: the kernel accepted", rep);
			printf("check: nothing was changed\n");
			break;
		}
		print_summary("applied", rep);
		fflush(stdout);
		if (rep->status == RC_ISOLATED) {
			print_refusal(rep);
			for (size_t i = 0; i < rep->nisolated; i++)
				fprintf(stderr, "svcnft: Service %s left as it was: %s\n",
					rep->isolated[i].service, rep->isolated[i].reason);
		}
		print_warnings(rep);
		if (rep->ct_deleted || rep->aff_deleted)
			printf("cleared: %zu UDP conntrack entries, %zu affinity entries of gone "
			       "endpoints\n", rep->ct_deleted, rep->aff_deleted);
		break;
	case RC_REFUSED:
		print_refusal(rep);
		fprintf(stderr, "svcnft: nothing was changed\n");
		break;
	case RC_FAILED:
		fprintf(stderr, "svcnft: %s\n", rep->error ? rep->error : "netlink failure");
		break;
	}
}

/* --stats from what the sync did; load_ms: the CLI's own reading and
 * preparing of the inputs, counted in compile_ms as before */
static void stats_from(struct run_stats *st, const struct rc_report *rep, double load_ms,
		       bool with_send)
{
	st->read = rep->read;
	st->read_ms = rep->read_ms;
	st->compiled = rep->compiled;
	st->compile_ms = load_ms + rep->compile_ms;
	st->diffed = rep->diffed;
	st->diff_ms = rep->diff_ms;
	st->sent = with_send && (rep->diffed || rep->sent);
	st->msgs = rep->msgs;
	st->bytes = rep->bytes;
	st->commit_ms = rep->commit_ms;
}

/* Parse, then read and prepare the inputs (compiling is reconcile/'s).
 * *load_ms: how long reading and preparing took. */
static int parse_and_load(int argc, char **argv, const char *cmd, const struct cli_extra *extra,
			  struct cli_common *c, bool *help, double *load_ms)
{
	double t0;
	int ret;

	*load_ms = 0;
	ret = cli_parse(argc, argv, cmd, c, extra, help);
	if (*help) {
		cli_usage(stdout, cmd, extra);
		return CLI_OK;
	}
	if (ret)
		return ret;
	t0 = now_ms();
	ret = cli_prepare(c);
	*load_ms = now_ms() - t0;
	return ret;
}

/* The netfilter socket every command needs; says why on stderr when not. */
static struct nlk_sock *open_sock(void)
{
	struct sn_buf why;
	struct nlk_sock *s;

	sn_buf_init(&why);
	s = nlk_open(&why);
	if (!s)
		fprintf(stderr, "svcnft: %s\n", why.s ? why.s : "netlink");
	sn_buf_free(&why);
	return s;
}

int cmd_apply(int argc, char **argv)
{
	struct apply_args a = { 0 };
	const struct cli_extra extra = {
		.opts = apply_opts,
		.on_opt = apply_on_opt,
		.ctx = &a,
		.usage = "      --check                  send the batch without its END: the kernel\n"
			 "                               validates it, nothing changes\n"
			 "      --isolate                when the kernel refuses a Service's objects,\n"
			 "                               apply the rest without that Service (exit 4)\n"
			 STATS_USAGE,
	};
	struct rc_report rep;
	struct cli_common c;
	struct nlk_sock *s;
	struct rc *rc;
	double load_ms;
	bool help;
	int ret, lock;

	rc_report_init(&rep);
	ret = parse_and_load(argc, argv, "apply", &extra, &c, &help, &load_ms);
	if (ret || help)
		goto out;
	s = open_sock();
	if (!s) {
		ret = CLI_RUNTIME;
		goto out;
	}
	lock = lock_netns();
	if (lock < 0) {
		ret = CLI_RUNTIME;
	} else {
		/* one sync: no index to keep; all or nothing unless --isolate;
		 * no previous model: every UDP frontend */
		rc = rc_new(s, &c.comp);
		rc_set_incremental(rc, false);
		rc_set_isolate(rc, a.isolate);
		rc_set_conntrack(rc, RC_CT_ALL);
		rc_full_sync(rc, c.world, a.check, &rep);
		rc_free(rc);
		print_apply(&rep);
		ret = exit_code(&rep);
		stats_from(&a.st, &rep, load_ms, true);
	}
	unlock_netns(lock);
	nlk_close(s);
	print_stats(&a.st);
out:
	rc_report_free(&rep);
	cli_common_free(&c);
	return ret;
}

static int stats_on_opt(int val, const char *arg, void *ctx)
{
	struct run_stats *st = ctx;

	if (val == OPT_STATS)
		st->on = true;
	return CLI_OK;
}

int cmd_diff(int argc, char **argv)
{
	struct run_stats rst = { 0 };
	const struct cli_extra extra = {
		.opts = stats_opts, .on_opt = stats_on_opt, .ctx = &rst, .usage = STATS_USAGE,
	};
	struct rc_report rep;
	struct cli_common c;
	struct nlk_sock *s;
	struct rc *rc;
	double load_ms;
	bool help;
	int ret;

	rc_report_init(&rep);
	ret = parse_and_load(argc, argv, "diff", &extra, &c, &help, &load_ms);
	if (ret || help)
		goto out;
	s = open_sock();
	if (!s) {
		ret = CLI_RUNTIME;
		goto out;
	}
	rc = rc_new(s, &c.comp);
	rc_set_incremental(rc, false);
	ret = rc_diff(rc, c.world, stdout, &rep);
	rc_free(rc);
	if (ret < 0)
		fprintf(stderr, "svcnft: %s\n", rep.error ? rep.error : "?");
	ret = ret < 0 ? CLI_RUNTIME : ret ? CLI_CHANGES : CLI_OK;
	if (fflush(stdout) || ferror(stdout))
		ret = CLI_RUNTIME;
	nlk_close(s);
	stats_from(&rst, &rep, load_ms, false);
	print_stats(&rst);
out:
	rc_report_free(&rep);
	cli_common_free(&c);
	return ret;
}

int cmd_cleanup(int argc, char **argv)
{
	struct run_stats rst = { 0 };
	const struct cli_extra extra = {
		.opts = stats_opts, .on_opt = stats_on_opt, .ctx = &rst, .usage = STATS_USAGE,
	};
	struct rc_report rep;
	struct cli_common c;
	struct nlk_sock *s;
	struct rc *rc;
	bool help;
	int ret, lock;

	rc_report_init(&rep);
	ret = cli_parse(argc, argv, "cleanup", &c, &extra, &help);
	if (help) {
		printf("usage: svcnft cleanup [--stats]\n  delete the tables ip %s and ip6 %s, and "
		       "nothing else\n" STATS_USAGE, COMP_TABLE, COMP_TABLE);
		cli_common_free(&c);
		return CLI_OK;
	}
	if (ret) {
		cli_common_free(&c);
		return ret;
	}
	s = open_sock();
	if (!s) {
		cli_common_free(&c);
		return CLI_RUNTIME;
	}
	lock = lock_netns();
	if (lock < 0) {
		ret = CLI_RUNTIME;
	} else {
		rc = rc_new(s, &c.comp);
		rc_set_incremental(rc, false);
		rc_cleanup(rc, &rep);
		rc_free(rc);
		print_restarts(&rep);
		if (rep.status == RC_NOTHING)
			printf("no svcnft tables\n");
		else if (rep.status == RC_APPLIED)
			printf("deleted: %zu tables; batch %zu messages, %zu bytes, %.0f ms\n",
			       rep.tables_deleted, rep.msgs, rep.bytes, rep.commit_ms);
		else if (rep.status == RC_REFUSED)
			print_refusal(&rep);
		else
			fprintf(stderr, "svcnft: %s\n", rep.error ? rep.error : "netlink failure");
		ret = exit_code(&rep);
		stats_from(&rst, &rep, 0, true);
		rst.compiled = false;
	}
	unlock_netns(lock);
	nlk_close(s);
	print_stats(&rst);
	rc_report_free(&rep);
	cli_common_free(&c);
	return ret;
}
