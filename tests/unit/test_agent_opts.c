// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tests/unit/test_agent_opts.c: agent/opts.c: kube-proxy's defaults, the
 * KubeProxyConfiguration read at start under the flags, and the SIGHUP
 * re-read: what it changes and reports, what it keeps for a restart, what
 * a broken file leaves alone, and the lines it logs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/agent.h"
#include "lib/log.h"

struct fx {
	char dir[64];
	char path[96];
	struct agent_opts o;
	char *log;
	size_t loglen;
	FILE *logf;
};

static void write_cfg(struct fx *f, const char *body)
{
	FILE *fp = fopen(f->path, "w");

	assert_non_null(fp);
	fprintf(fp, "apiVersion: kubeproxy.config.k8s.io/v1alpha1\n"
		    "kind: KubeProxyConfiguration\n%s", body);
	fclose(fp);
}

/* Everything logged since the last call. */
static const char *logged(struct fx *f)
{
	static char *last;

	fflush(f->logf);
	free(last);
	last = strndup(f->log ? f->log : "", f->loglen);
	rewind(f->logf);
	fflush(f->logf);
	f->loglen = 0;
	return last;
}

static int setup(void **state)
{
	static const struct timespec t = { .tv_sec = 1796506507, .tv_nsec = 0 };
	struct fx *f = calloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/svcnft-opts-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/config.conf", f->dir);
	agent_opts_init(&f->o);
	f->o.config_path = strdup(f->path);
	f->logf = open_memstream(&f->log, &f->loglen);
	sn_log_set_output(f->logf);
	sn_log_set_clock(&t);
	sn_log_verbosity = 0;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	agent_opts_free(&f->o);
	sn_log_set_output(NULL);
	sn_log_set_clock(NULL);
	fclose(f->logf);
	free(f->log);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	sn_log_verbosity = 0;
	return 0;
}

static void test_defaults(void **state)
{
	struct agent_opts o;

	agent_opts_init(&o);
	assert_int_equal(o.min_sync_period_ms, 1000);
	assert_int_equal(o.sync_period_ms, 30000);
	assert_int_equal(o.full_sync_period_ms, 3600000);
	assert_string_equal(o.healthz_bind, "0.0.0.0:10256");
	assert_string_equal(o.metrics_bind, "127.0.0.1:10249");
	assert_true(o.comp.nodeport_primary);	/* kube-proxy's nftables default */
	assert_int_equal(o.comp.masq_bit, 14);
	assert_true(o.conntrack);
	assert_false(o.bind_address_hard_fail);
	agent_opts_free(&o);
	/* no file: nothing to read, nothing to reload */
	agent_opts_init(&o);
	assert_int_equal(agent_opts_reload(&o), 0);
	agent_opts_free(&o);
}

static void test_load_under_flags(void **state)
{
	struct fx *f = *state;
	struct sn_diag d;

	write_cfg(f, "nftables: {syncPeriod: 10s, minSyncPeriod: 0s}\n"
		     "iptables: {minSyncPeriod: 250ms}\n"
		     "healthzBindAddress: 127.0.0.1:0\n"
		     "metricsBindAddress: \"\"\n"
		     "clusterCIDR: 198.19.0.0/16\n"
		     "logging: {verbosity: 2}\n"
		     "nodePortAddresses: [198.51.100.0/24]\n");
	/* the command line said --sync-period 1m and -v 0 */
	f->o.sync_period_ms = 60000;
	f->o.verbosity = 0;
	f->o.set_by_flag = AGENT_SET_SYNC | AGENT_SET_VERBOSITY;
	sn_diag_init(&d);
	assert_int_equal(agent_opts_load_config(&f->o, &d), 0);
	assert_int_equal(d.n, 0);
	sn_diag_free(&d);
	assert_int_equal(f->o.sync_period_ms, 60000);		/* flag */
	assert_int_equal(f->o.min_sync_period_ms, 250);		/* iptables: nftables' 0s is unset */
	assert_string_equal(f->o.healthz_bind, "127.0.0.1:0");
	assert_string_equal(f->o.metrics_bind, "127.0.0.1:10249");	/* "" is the default */
	assert_int_equal(f->o.comp.ncluster_cidrs, 1);
	assert_false(f->o.comp.nodeport_primary);
	assert_int_equal(f->o.comp.nnodeport_addrs, 1);
	assert_int_equal(f->o.verbosity, 0);			/* flag */
	assert_int_equal(sn_log_verbosity, 0);
}

static void test_load_error(void **state)
{
	struct fx *f = *state;
	struct sn_diag d;

	write_cfg(f, "nftables: {syncPeriod: soon}\nclusterCIDR: 198.19.0.0/16\n");
	sn_diag_init(&d);
	assert_int_equal(agent_opts_load_config(&f->o, &d), -1);
	assert_int_equal(d.errors, 1);
	sn_diag_free(&d);
	/* nothing of a broken file is taken */
	assert_int_equal(f->o.comp.ncluster_cidrs, 0);
	assert_int_equal(f->o.sync_period_ms, 30000);
}

static void test_reload(void **state)
{
	struct fx *f = *state;
	struct sn_diag d;
	char want[1024];

	write_cfg(f, "nftables: {syncPeriod: 10s}\n"
		     "clusterCIDR: 198.19.0.0/16\n"
		     "healthzBindAddress: 0.0.0.0:10256\n"
		     "masqueradeAll: true\n");	/* a typo'd place: a warning, not an error */
	sn_diag_init(&d);
	assert_int_equal(agent_opts_load_config(&f->o, &d), 0);
	sn_diag_free(&d);
	assert_int_equal(f->o.sync_period_ms, 10000);

	/* the same file again: nothing changed */
	assert_int_equal(agent_opts_reload(&f->o), 0);
	snprintf(want, sizeof(want),
		 "W1205 21:35:07.000000 %7d svcnft] \"config problem\" source=reload problem=\"%s:6:1: "
		 "warning: KubeProxyConfiguration: masqueradeAll: unknown field, ignored\"\n"
		 "I1205 21:35:07.000000 %7d svcnft] \"config reloaded\" changed=nothing "
		 "sync_period_ms=10000 min_sync_period_ms=1000 v=0\n",
		 (int)getpid(), f->path, (int)getpid());
	assert_string_equal(logged(f), want);

	/* a period: timers; the pod range: rules, with o->comp replaced */
	write_cfg(f, "nftables: {syncPeriod: 20s, masqueradeAll: true}\n"
		     "clusterCIDR: 198.19.0.0/16,2001:db8:1::/64\n"
		     "healthzBindAddress: 0.0.0.0:10256\n");
	assert_int_equal(agent_opts_reload(&f->o), AGENT_RELOAD_TIMERS | AGENT_RELOAD_RULES);
	assert_int_equal(f->o.sync_period_ms, 20000);
	assert_int_equal(f->o.comp.ncluster_cidrs, 2);
	assert_true(f->o.comp.masquerade_all);
	assert_string_equal(f->o.config_path, f->path);
	snprintf(want, sizeof(want),
		 "I1205 21:35:07.000000 %7d svcnft] \"config reloaded\" changed=timers,rules "
		 "sync_period_ms=20000 min_sync_period_ms=1000 v=0\n", (int)getpid());
	assert_string_equal(logged(f), want);

	/* fields removed from the file go back to their defaults */
	write_cfg(f, "healthzBindAddress: 0.0.0.0:10256\n");
	assert_int_equal(agent_opts_reload(&f->o), AGENT_RELOAD_TIMERS | AGENT_RELOAD_RULES);
	assert_int_equal(f->o.sync_period_ms, 30000);
	assert_int_equal(f->o.comp.ncluster_cidrs, 0);
	assert_false(f->o.comp.masquerade_all);
	logged(f);

	/* a bind address needs a restart: kept, and said; verbosity is live */
	write_cfg(f, "healthzBindAddress: 0.0.0.0:10999\nlogging: {verbosity: 3}\n");
	assert_int_equal(agent_opts_reload(&f->o), 0);
	assert_string_equal(f->o.healthz_bind, "0.0.0.0:10256");
	assert_int_equal(f->o.verbosity, 3);
	assert_int_equal(sn_log_verbosity, 3);
	snprintf(want, sizeof(want),
		 "W1205 21:35:07.000000 %7d svcnft] \"config reload: needs a restart, running value "
		 "kept\" field=healthzBindAddress running=0.0.0.0:10256 file=0.0.0.0:10999\n"
		 "I1205 21:35:07.000000 %7d svcnft] \"config reloaded\" changed=nothing "
		 "sync_period_ms=30000 min_sync_period_ms=1000 v=3\n", (int)getpid(), (int)getpid());
	assert_string_equal(logged(f), want);
}

static void test_reload_flags_win(void **state)
{
	struct fx *f = *state;
	struct sn_diag d;

	f->o.min_sync_period_ms = 0;	/* --min-sync-period 0 */
	f->o.comp.masq_bit = 10;	/* --masquerade-bit 10 */
	f->o.set_by_flag = AGENT_SET_MIN_SYNC | AGENT_SET_MASQ_BIT;
	write_cfg(f, "nftables: {minSyncPeriod: 5s, masqueradeBit: 12}\n");
	sn_diag_init(&d);
	assert_int_equal(agent_opts_load_config(&f->o, &d), 0);
	sn_diag_free(&d);
	assert_int_equal(f->o.min_sync_period_ms, 0);
	assert_int_equal(f->o.comp.masq_bit, 10);
	write_cfg(f, "nftables: {minSyncPeriod: 7s, masqueradeBit: 13}\n");
	assert_int_equal(agent_opts_reload(&f->o), 0);
	assert_int_equal(f->o.min_sync_period_ms, 0);
	assert_int_equal(f->o.comp.masq_bit, 10);
	logged(f);
}

static void test_reload_broken(void **state)
{
	struct fx *f = *state;
	struct sn_diag d;
	char want[1024];

	write_cfg(f, "nftables: {syncPeriod: 10s}\n");
	sn_diag_init(&d);
	assert_int_equal(agent_opts_load_config(&f->o, &d), 0);
	sn_diag_free(&d);
	/* a half-edited file: the agent keeps what it runs with */
	write_cfg(f, "nftables: {syncPeriod: 20}\n");
	assert_int_equal(agent_opts_reload(&f->o), -1);
	assert_int_equal(f->o.sync_period_ms, 10000);
	snprintf(want, sizeof(want),
		 "E1205 21:35:07.000000 %7d svcnft] \"config problem\" source=reload problem=\"%s:3:24: "
		 "error: KubeProxyConfiguration: nftables.syncPeriod: 20 is a bare number: a duration "
		 "needs a unit (like \\\"20s\\\")\"\n"
		 "E1205 21:35:07.000000 %7d svcnft] \"config reload failed: running configuration kept\" "
		 "config=%s errors=1\n",
		 (int)getpid(), f->path, (int)getpid(), f->path);
	assert_string_equal(logged(f), want);
	/* and a file that is gone */
	unlink(f->path);
	assert_int_equal(agent_opts_reload(&f->o), -1);
	assert_int_equal(f->o.sync_period_ms, 10000);
	logged(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test_setup_teardown(test_load_under_flags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_flags_win, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_broken, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
