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
#include "compiler/frontends.h"
#include "netlink/nlk.h"

/* A concurrent writer (not svcnft: the lock keeps those out) changed the
 * ruleset between our read and our batch this many times in a row. */
#define APPLY_TRIES 4

#define LOCK_DIR "/run/svcnft"

/* Test hooks for the kernel tier, never set in production: the Service
 * whose first rewritten chain gets a message the kernel refuses; a pause
 * (ms) between reading the kernel and sending the batch, for another
 * writer to change the ruleset in. */
#define ENV_TEST_REFUSE "SVCNFT_TEST_REFUSE_SERVICE"
#define ENV_TEST_PAUSE "SVCNFT_TEST_PAUSE_MS"
/* Test hook: the Service ("ns/name") whose first added element the kernel
 * is made to refuse, for the test that the error names that element. */
#define ENV_TEST_REFUSE_ELEM "SVCNFT_TEST_REFUSE_ELEMENT"
/* Test hook: the batch socket's receive buffer in bytes; a tiny one loses
 * ACKs (ENOBUFS), for the test that such a batch is never called applied. */
#define ENV_TEST_RCVBUF "SVCNFT_TEST_RCVBUF"

enum { OPT_CHECK = 1000, OPT_STATS };

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


/* The exit code of a batch that was not restarted (cli/cli.h). */
static int exit_code(enum nlk_send_status st)
{
	switch (st) {
	case NLK_SENT:
		return CLI_OK;
	case NLK_REFUSED:
		return CLI_KERNEL;
	default:
		return CLI_RUNTIME;
	}
}

static const struct option apply_opts[] = {
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ NULL, 0, NULL, 0 },
};

/* diff and cleanup: --stats only */
static const struct option stats_opts[] = {
	{ "stats", no_argument, NULL, OPT_STATS },
	{ NULL, 0, NULL, 0 },
};

#define STATS_USAGE "      --stats                  one line of timings on stderr (README)\n"

struct apply_args {
	bool check;
	struct run_stats st;
};

static int apply_on_opt(int val, const char *arg, void *ctx)
{
	struct apply_args *a = ctx;

	if (val == OPT_CHECK)
		a->check = true;
	else if (val == OPT_STATS)
		a->st.on = true;
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
static void print_refusal(const struct nlk_result *r)
{
	for (size_t i = 0; i < r->nerrs; i++) {
		const struct nlk_error *e = &r->errs[i];
		char *owner = e->chain ? comp_owner_of_chain(e->chain) : NULL;

		fprintf(stderr, "svcnft: kernel refused the batch: %s", e->what);
		if (e->extack)
			fprintf(stderr, ": %s", e->extack);
		if (owner)
			fprintf(stderr, " (Service %s, chain %s)", owner, e->chain);
		else if (e->chain)
			fprintf(stderr, " (chain %s)", e->chain);
		fprintf(stderr, ": %s\n", strerror(e->err));
		free(owner);
	}
}

/* The first chain of the Service named by the test hook that this batch
 * writes rules into. */
static const char *test_refuse_chain(const struct rs_diff *d)
{
	const char *svc = getenv(ENV_TEST_REFUSE);

	for (size_t i = 0; svc && *svc && i < d->n; i++) {
		const struct rs_op *op = &d->ops[i];
		char *owner;
		bool hit;

		if (op->type != RS_OP_ADD_RULES)
			continue;
		owner = comp_owner_of_chain(op->chain->name);
		hit = owner && strcmp(owner, svc) == 0;
		free(owner);
		if (hit)
			return op->chain->name;
	}
	return NULL;
}

static void print_summary(const char *what, const struct rs_diff *d, const struct nlk_result *r)
{
	printf("%s: %zu chains added, %zu deleted, %zu replaced; %zu rules; +%zu -%zu elements; "
	       "batch %zu messages, %zu bytes, %.0f ms\n",
	       what, d->chains_added, d->chains_deleted, d->chains_replaced, d->rules_added,
	       d->elems_added, d->elems_deleted, r->msgs, r->bytes, r->ms);
}

/* Read the current state of svcnft's tables: want's, and the svcnft table
 * of a family want no longer has (the compiler writes a table per family
 * in use), so that the diff deletes it rather than leaving its rules. */
static int read_have(struct nlk_sock *s, const struct rs_ruleset *want, struct rs_ruleset **have)
{
	static const enum rs_family fams[] = { RS_IP, RS_IP6 };
	struct nlk_read_spec spec;
	struct sn_buf why;

	sn_buf_init(&why);
	nlk_read_spec_from(&spec, want);
	for (size_t i = 0; i < SN_ARRAY_SIZE(fams); i++) {
		if (rs_ruleset_find_table(want, fams[i], COMP_TABLE) ||
		    spec.ntables == SN_ARRAY_SIZE(spec.tables))
			continue;
		spec.tables[spec.ntables].family = fams[i];
		spec.tables[spec.ntables].name = COMP_TABLE;
		spec.ntables++;
	}
	if (nlk_read(s, &spec, have, &why) < 0) {
		fprintf(stderr, "svcnft: reading the kernel's ruleset: %s\n", why.s ? why.s : "?");
		sn_buf_free(&why);
		return -1;
	}
	sn_buf_free(&why);
	return 0;
}

/*
 * What conntrack sees of the frontends: every UDP one of all (so that an
 * entry to a frontend's own address is never taken for a NodePort's), the
 * ones d names to be cleaned, keeping their endpoints and serving ones as
 * reply sources, and those d says are gone, keeping nothing. keep backs
 * the arrays.
 */
static size_t ct_frontends(const struct comp_frontends *all, const struct comp_fe_diff *d,
			   struct nlk_ct_frontend **out, struct nlk_ct_ep **keep)
{
	size_t n = 0, neps = 0, k = 0, i, j;
	bool *clean = sn_calloc(all->n + 1, sizeof(*clean));

	for (i = 0; i < d->n; i++) {
		const struct comp_frontend *fe = d->v[i].fe;

		if (d->v[i].why != COMP_FE_GONE)
			clean[fe - all->v] = true;
	}
	for (i = 0; i < all->n; i++)
		neps += all->v[i].nkeep;
	*out = sn_calloc(all->n + d->n + 1, sizeof(**out));
	*keep = sn_calloc(neps + 1, sizeof(**keep));
	for (i = 0; i < all->n + d->n; i++) {
		const struct comp_frontend *fe = i < all->n ? &all->v[i] : d->v[i - all->n].fe;
		struct nlk_ct_frontend *f;

		if (fe->proto != IPPROTO_UDP ||
		    (i >= all->n && d->v[i - all->n].why != COMP_FE_GONE))
			continue;
		f = &(*out)[n++];
		f->family = fe->family;
		f->proto = fe->proto;
		f->any_addr = fe->kind == COMP_FE_NODEPORT;
		f->addr = fe->addr;
		f->port = fe->port;
		f->clean = i >= all->n || clean[i];
		if (i >= all->n)
			continue;	/* gone: nothing to keep */
		f->keep = &(*keep)[k];
		f->nkeep = fe->nkeep;
		for (j = 0; j < fe->nkeep; j++)
			(*keep)[k++] = (struct nlk_ct_ep){ .addr = fe->keep[j].addr,
							   .port = fe->keep[j].port };
	}
	free(clean);
	return n;
}

static bool aff_stale(const struct rs_set *set, enum rs_family f, const struct rs_elem *e,
		      void *ctx)
{
	return comp_affinity_elem_stale(ctx, set, f, e);
}

/*
 * After a committed apply: UDP flows and affinity entries pinned to
 * endpoints that are gone. The CLI keeps no previous model (only the
 * kernel's ruleset, whose shape this must not read), so it diffs against
 * "unknown": every UDP frontend is looked at, kube-proxy's rule; the agent
 * will pass its previous frontends and look only at what changed
 * (compiler/frontends.h). A deleted Service the CLI cannot name: its
 * ClusterIP is found as an address of the service range no frontend has.
 * A failure here is reported but does not undo the apply.
 */
static void after_apply(struct nlk_sock *s, const struct cli_common *c,
			const struct rs_ruleset *want)
{
	struct comp_aff_ctx actx = { 0 };
	struct nlk_ct_owned owned[2];
	struct nlk_ct_stats st = { 0 };
	size_t nowned = 0;
	struct comp_frontends all;
	struct nlk_ct_frontend *ct;
	struct nlk_ct_ep *keep;
	struct comp_fe_diff d;
	struct sn_buf why;
	size_t n;

	sn_buf_init(&why);
	comp_frontends_build(c->world, &c->comp, 0, &all);
	comp_frontends_diff(NULL, &all, &d);
	n = ct_frontends(&all, &d, &ct, &keep);
	/* the service range is svcnft's: a UDP flow to an address of it that
	 * no frontend has now is one to a deleted Service or port */
	for (unsigned i = 0; i < c->comp.nservice_cidrs && i < SN_ARRAY_SIZE(owned); i++)
		owned[nowned++] = (struct nlk_ct_owned){ .proto = IPPROTO_UDP,
							 .prefix = c->comp.service_cidrs[i] };
	if ((n || nowned) && nlk_ct_clear(ct, n, owned, nowned, &st, &why) < 0)
		fprintf(stderr, "svcnft: warning: conntrack cleanup: %s\n", why.s ? why.s : "?");
	free(ct);
	free(keep);
	comp_fe_diff_free(&d);

	actx.fs = &all;
	for (size_t i = 0; want && i < want->n; i++) {
		const struct rs_table *t = want->tables[i];

		for (size_t k = 0; k < t->nsets; k++) {
			if (!t->sets[k]->elems_runtime)
				continue;
			sn_buf_reset(&why);
			if (nlk_runtime_elems_prune(s, t, t->sets[k], aff_stale, &actx, &st, &why) < 0)
				fprintf(stderr, "svcnft: warning: affinity cleanup: %s\n",
					why.s ? why.s : "?");
		}
	}
	comp_aff_ctx_free(&actx);
	comp_frontends_free(&all);
	if (st.ct_deleted || st.aff_deleted)
		printf("cleared: %zu UDP conntrack entries, %zu affinity entries of gone endpoints\n",
		       st.ct_deleted, st.aff_deleted);
	sn_buf_free(&why);
}

/* read -> diff -> send, again while the kernel says the generation moved */
static int reconcile(struct nlk_sock *s, const struct cli_common *c,
		     const struct rs_ruleset *want, bool check, struct run_stats *rst)
{
	for (int attempt = 0; attempt < APPLY_TRIES; attempt++) {
		struct nlk_batch_opts o = { .check = check };
		struct rs_ruleset *have = NULL;
		struct nlk_result r = { 0 };
		struct nlk_batch *b;
		struct sn_buf why;
		struct rs_diff d;
		enum nlk_send_status st;

		double t0 = now_ms();

		if (read_have(s, want, &have) < 0)
			return CLI_RUNTIME;
		rst->read_ms = now_ms() - t0;
		rst->read = true;
		/* have holds svcnft's tables only: one want lacks goes */
		t0 = now_ms();
		rs_diff(want, have, true, &d);
		rst->diff_ms = now_ms() - t0;
		rst->diffed = rst->sent = true;
		rst->msgs = rst->bytes = 0;
		rst->commit_ms = 0;
		if (rs_diff_empty(&d)) {
			printf(check ? "check: no changes\n" : "no changes\n");
			rs_diff_free(&d);
			rs_ruleset_free(have);
			return CLI_OK;
		}
		o.genid = have->genid;
		o.corrupt_chain = test_refuse_chain(&d);
		o.corrupt_elem_owner = getenv(ENV_TEST_REFUSE_ELEM);
		if (getenv(ENV_TEST_RCVBUF))
			o.test_rcvbuf = atoi(getenv(ENV_TEST_RCVBUF));
		if (getenv(ENV_TEST_PAUSE))
			usleep((useconds_t)atoi(getenv(ENV_TEST_PAUSE)) * 1000);
		sn_buf_init(&why);
		b = nlk_batch_build(&d, &o, &why);
		if (!b) {
			fprintf(stderr, "svcnft: cannot encode the change: %s\n", why.s ? why.s : "?");
			sn_buf_free(&why);
			rs_diff_free(&d);
			rs_ruleset_free(have);
			return CLI_RUNTIME;
		}
		st = nlk_batch_send(s, b, &r, &why);
		rst->msgs = r.msgs;
		rst->bytes = r.bytes;
		rst->commit_ms = r.ms;
		switch (st) {
		case NLK_SENT:
			if (check) {
				print_summary("check: the kernel accepted", &d, &r);
				printf("check: nothing was changed\n");
			} else {
				print_summary("applied", &d, &r);
				fflush(stdout);
				after_apply(s, c, want);
			}
			break;
		case NLK_REFUSED:
			print_refusal(&r);
			fprintf(stderr, "svcnft: nothing was changed\n");
			break;
		case NLK_RESTART:
			fprintf(stderr, "svcnft: the ruleset changed since it was read "
				"(generation %u): reading it again\n", o.genid);
			break;
		case NLK_FAILED:
			fprintf(stderr, "svcnft: %s\n", why.s ? why.s : "netlink failure");
			break;
		}
		nlk_result_free(&r);
		nlk_batch_free(b);
		sn_buf_free(&why);
		rs_diff_free(&d);
		rs_ruleset_free(have);
		if (st != NLK_RESTART)
			return exit_code(st);
	}
	fprintf(stderr, "svcnft: the ruleset kept changing under us (%d tries): nothing was changed\n",
		APPLY_TRIES);
	return CLI_RUNTIME;
}

static int parse_and_build(int argc, char **argv, const char *cmd, const struct cli_extra *extra,
			   struct cli_common *c, struct rs_ruleset **want, bool *help,
			   struct run_stats *rst)
{
	struct comp_stats st;
	double t0;
	int ret;

	*want = NULL;
	ret = cli_parse(argc, argv, cmd, c, extra, help);
	if (*help) {
		cli_usage(stdout, cmd, extra);
		return CLI_OK;
	}
	if (ret)
		return ret;
	t0 = now_ms();
	ret = cli_build(c, want, &st);
	rst->compile_ms = now_ms() - t0;
	rst->compiled = ret == CLI_OK;
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
			 "                               validates it, nothing changes\n" STATS_USAGE,
	};
	struct rs_ruleset *want;
	struct cli_common c;
	struct nlk_sock *s;
	bool help;
	int ret, lock;

	ret = parse_and_build(argc, argv, "apply", &extra, &c, &want, &help, &a.st);
	if (ret || help)
		goto out;
	s = open_sock();
	if (!s) {
		ret = CLI_RUNTIME;
		goto out;
	}
	lock = lock_netns();
	if (lock < 0)
		ret = CLI_RUNTIME;
	else
		ret = reconcile(s, &c, want, a.check, &a.st);
	unlock_netns(lock);
	nlk_close(s);
	print_stats(&a.st);
out:
	rs_ruleset_free(want);
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
	struct rs_ruleset *want, *have = NULL;
	struct cli_common c;
	struct nlk_sock *s;
	struct rs_diff d;
	bool help;
	double t0;
	int ret;

	ret = parse_and_build(argc, argv, "diff", &extra, &c, &want, &help, &rst);
	if (ret || help)
		goto out;
	s = open_sock();
	if (!s) {
		ret = CLI_RUNTIME;
		goto out;
	}
	t0 = now_ms();
	if (read_have(s, want, &have) < 0) {
		ret = CLI_RUNTIME;
	} else {
		rst.read_ms = now_ms() - t0;
		rst.read = true;
		t0 = now_ms();
		rs_diff(want, have, true, &d);
		rst.diff_ms = now_ms() - t0;
		rst.diffed = true;
		rs_diff_print(stdout, &d);
		ret = rs_diff_empty(&d) ? CLI_OK : CLI_CHANGES;
		rs_diff_free(&d);
	}
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "svcnft diff: writing stdout failed: %s\n", strerror(errno));
		ret = CLI_RUNTIME;
	}
	rs_ruleset_free(have);
	nlk_close(s);
	print_stats(&rst);
out:
	rs_ruleset_free(want);
	cli_common_free(&c);
	return ret;
}

/* nft delete table ip svcnft; nft delete table ip6 svcnft: one batch, only
 * the tables that exist, nothing else in the namespace. */
static int cleanup_tables(struct nlk_sock *s, struct run_stats *rst)
{
	for (int attempt = 0; attempt < APPLY_TRIES; attempt++) {
		struct nlk_read_spec spec = {
			.tables = { { RS_IP, COMP_TABLE }, { RS_IP6, COMP_TABLE } },
			.ntables = 2,
			.tables_only = true,
		};
		struct nlk_batch_opts o = { 0 };
		struct rs_ruleset *have = NULL;
		struct nlk_result r = { 0 };
		struct nlk_batch *b;
		struct sn_buf why;
		struct rs_diff d;
		enum nlk_send_status st;
		double t0 = now_ms();

		sn_buf_init(&why);
		if (nlk_read(s, &spec, &have, &why) < 0) {
			fprintf(stderr, "svcnft: reading the kernel's ruleset: %s\n",
				why.s ? why.s : "?");
			sn_buf_free(&why);
			return CLI_RUNTIME;
		}
		rst->read_ms = now_ms() - t0;
		rst->read = rst->sent = true;
		rst->msgs = rst->bytes = 0;
		rst->commit_ms = 0;
		rs_diff(NULL, have, true, &d);
		if (rs_diff_empty(&d)) {
			printf("no svcnft tables\n");
			rs_diff_free(&d);
			rs_ruleset_free(have);
			sn_buf_free(&why);
			return CLI_OK;
		}
		o.genid = have->genid;
		b = nlk_batch_build(&d, &o, &why);
		st = b ? nlk_batch_send(s, b, &r, &why) : NLK_FAILED;
		rst->msgs = r.msgs;
		rst->bytes = r.bytes;
		rst->commit_ms = r.ms;
		if (st == NLK_SENT)
			printf("deleted: %zu tables; batch %zu messages, %zu bytes, %.0f ms\n",
			       d.tables_deleted, r.msgs, r.bytes, r.ms);
		else if (st == NLK_REFUSED)
			print_refusal(&r);
		else if (st == NLK_FAILED)
			fprintf(stderr, "svcnft: %s\n", why.s ? why.s : "netlink failure");
		nlk_result_free(&r);
		nlk_batch_free(b);
		sn_buf_free(&why);
		rs_diff_free(&d);
		rs_ruleset_free(have);
		if (st != NLK_RESTART)
			return exit_code(st);
	}
	fprintf(stderr, "svcnft: the ruleset kept changing under us (%d tries)\n", APPLY_TRIES);
	return CLI_RUNTIME;
}

int cmd_cleanup(int argc, char **argv)
{
	struct run_stats rst = { 0 };
	const struct cli_extra extra = {
		.opts = stats_opts, .on_opt = stats_on_opt, .ctx = &rst, .usage = STATS_USAGE,
	};
	struct cli_common c;
	struct nlk_sock *s;
	bool help;
	int ret, lock;

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
	ret = lock < 0 ? CLI_RUNTIME : cleanup_tables(s, &rst);
	unlock_netns(lock);
	nlk_close(s);
	print_stats(&rst);
	cli_common_free(&c);
	return ret;
}
