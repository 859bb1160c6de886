// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tests/unit/test_kpconfig.c: input/kpconfig.c, the KubeProxyConfiguration
 * fields `svcnft run` reads, on real configurations: what
 * `kubeadm config print init-defaults --component-configs
 * KubeProxyConfiguration` prints (every field, zero values: not one
 * message, nothing set), a kube-proxy ConfigMap with real values, unknown
 * fields at their line:col with their path, Go durations and listen
 * addresses. Every diagnostic is compared as the whole line svcnft prints.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "input/input.h"

struct fx {
	struct sn_diag d;
	struct input_kpconfig cfg;
	char *text;	/* every diagnostic, one line each */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	sn_diag_init(&f->d);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	input_kpconfig_free(&f->cfg);
	sn_diag_free(&f->d);
	free(f->text);
	free(f);
	return 0;
}

/* Load text as kp.yaml; returns the errors; f->text holds every message. */
static int load(struct fx *f, const char *text)
{
	struct sn_buf b;
	int r;
	size_t i;

	input_kpconfig_free(&f->cfg);
	sn_diag_free(&f->d);
	sn_diag_init(&f->d);
	r = input_load_kpconfig_buffer("kp.yaml", text, strlen(text), &f->cfg, &f->d);
	sn_buf_init(&b);
	sn_buf_add(&b, "");
	for (i = 0; i < f->d.n; i++) {
		sn_diag_format(&f->d.recs[i], &b);
		sn_buf_addc(&b, '\n');
	}
	free(f->text);
	f->text = sn_buf_steal(&b);
	return r;
}

static const char *addr(const struct sn_addr *a)
{
	static char buf[SN_ADDR_STRLEN];

	return sn_addr_str(a, buf);
}

/* `kubeadm config print init-defaults --component-configs
 * KubeProxyConfiguration` (v1.31), the KubeProxyConfiguration document:
 * every field, most at Go's zero value. */
static const char kubeadm_defaults[] =
	"apiVersion: kubeadm.k8s.io/v1beta4\n"
	"kind: InitConfiguration\n"
	"localAPIEndpoint:\n"
	"  advertiseAddress: 1.2.3.4\n"
	"  bindPort: 6443\n"
	"---\n"
	"apiVersion: kubeproxy.config.k8s.io/v1alpha1\n"
	"bindAddress: 0.0.0.0\n"
	"bindAddressHardFail: false\n"
	"clientConnection:\n"
	"  acceptContentTypes: \"\"\n"
	"  burst: 0\n"
	"  contentType: \"\"\n"
	"  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf\n"
	"  qps: 0\n"
	"clusterCIDR: \"\"\n"
	"configSyncPeriod: 0s\n"
	"conntrack:\n"
	"  maxPerCore: null\n"
	"  min: null\n"
	"  tcpBeLiberal: false\n"
	"  tcpCloseWaitTimeout: null\n"
	"  tcpEstablishedTimeout: null\n"
	"  udpStreamTimeout: 0s\n"
	"  udpTimeout: 0s\n"
	"detectLocal:\n"
	"  bridgeInterface: \"\"\n"
	"  interfaceNamePrefix: \"\"\n"
	"detectLocalMode: \"\"\n"
	"enableProfiling: false\n"
	"healthzBindAddress: \"\"\n"
	"hostnameOverride: \"\"\n"
	"iptables:\n"
	"  localhostNodePorts: null\n"
	"  masqueradeAll: false\n"
	"  masqueradeBit: null\n"
	"  minSyncPeriod: 0s\n"
	"  syncPeriod: 0s\n"
	"ipvs:\n"
	"  excludeCIDRs: null\n"
	"  minSyncPeriod: 0s\n"
	"  scheduler: \"\"\n"
	"  strictARP: false\n"
	"  syncPeriod: 0s\n"
	"  tcpFinTimeout: 0s\n"
	"  tcpTimeout: 0s\n"
	"  udpTimeout: 0s\n"
	"kind: KubeProxyConfiguration\n"
	"logging:\n"
	"  flushFrequency: 0\n"
	"  options:\n"
	"    json:\n"
	"      infoBufferSize: \"0\"\n"
	"    text:\n"
	"      infoBufferSize: \"0\"\n"
	"  verbosity: 0\n"
	"metricsBindAddress: \"\"\n"
	"mode: \"\"\n"
	"nftables:\n"
	"  masqueradeAll: false\n"
	"  masqueradeBit: null\n"
	"  minSyncPeriod: 0s\n"
	"  syncPeriod: 0s\n"
	"nodePortAddresses: null\n"
	"oomScoreAdj: null\n"
	"portRange: \"\"\n"
	"showHiddenMetricsForVersion: \"\"\n"
	"winkernel:\n"
	"  enableDSR: false\n"
	"  forwardHealthCheckVip: false\n"
	"  networkName: \"\"\n"
	"  rootHnsEndpointName: \"\"\n"
	"  sourceVip: \"\"\n";

static void test_kubeadm_defaults(void **state)
{
	struct fx *f = *state;

	assert_int_equal(load(f, kubeadm_defaults), 0);
	/* the InitConfiguration is skipped with a note; nothing else is said */
	assert_string_equal(f->text, "kp.yaml:1:1: note: document 1: skipped: kind "
				     "\"InitConfiguration\" is not a KubeProxyConfiguration\n");
	/* zero values are kube-proxy's "unset": every default stays */
	assert_true(f->cfg.has_kubeconfig);
	assert_string_equal(f->cfg.kubeconfig, "/var/lib/kube-proxy/kubeconfig.conf");
	assert_false(f->cfg.has_sync_period);
	assert_false(f->cfg.has_min_sync_period);
	assert_false(f->cfg.has_healthz_bind);
	assert_false(f->cfg.has_metrics_bind);
	assert_true(f->cfg.has_bind_address_hard_fail);
	assert_false(f->cfg.bind_address_hard_fail);
	assert_false(f->cfg.has_node_ip);	/* 0.0.0.0 */
	assert_true(f->cfg.has_verbosity);
	assert_int_equal(f->cfg.verbosity, 0);
	assert_false(f->cfg.has_nodeport_addresses);
	assert_false(f->cfg.has_cluster_cidr);
	assert_false(f->cfg.has_hostname_override);
	assert_false(f->cfg.has_masquerade_bit);
}

/* kube-proxy's ConfigMap (config.conf) as an operator fills it in */
static void test_configmap_values(void **state)
{
	struct fx *f = *state;
	const char *text =
		"apiVersion: kubeproxy.config.k8s.io/v1alpha1\n"
		"kind: KubeProxyConfiguration\n"
		"mode: nftables\n"
		"bindAddress: 192.0.2.10\n"
		"bindAddressHardFail: true\n"
		"clientConnection:\n"
		"  kubeconfig: /var/lib/svcnft/kubeconfig.conf\n"
		"  qps: 5\n"
		"  burst: 10\n"
		"clusterCIDR: 198.19.0.0/16\n"
		"healthzBindAddress: 0.0.0.0\n"		/* port appended, as kube-proxy does */
		"metricsBindAddress: \"::1\"\n"
		"featureGates: {KubeProxyDrainingTerminatingNodes: true, AnyFutureGate: false}\n"
		"iptables: {syncPeriod: 1m, minSyncPeriod: 10s}\n"
		"nftables: {syncPeriod: 1h30m, minSyncPeriod: 500ms}\n"
		"logging: {verbosity: 4, format: text}\n"
		"nodePortAddresses: [primary]\n";

	assert_int_equal(load(f, text), 0);
	assert_string_equal(f->text, "");
	assert_string_equal(f->cfg.kubeconfig, "/var/lib/svcnft/kubeconfig.conf");
	/* nftables.* wins over iptables.* */
	assert_int_equal(f->cfg.sync_period_ms, 90 * 60 * 1000);
	assert_int_equal(f->cfg.min_sync_period_ms, 500);
	assert_string_equal(f->cfg.healthz_bind, "0.0.0.0:10256");
	assert_string_equal(f->cfg.metrics_bind, "[::1]:10249");
	assert_true(f->cfg.bind_address_hard_fail);
	assert_true(f->cfg.has_node_ip);
	assert_string_equal(addr(&f->cfg.node_ip), "192.0.2.10");
	assert_int_equal(f->cfg.verbosity, 4);
	assert_true(f->cfg.nodeport_primary);
}

/* kube-proxy releases before nftables.* existed read iptables.* */
static void test_iptables_fallback(void **state)
{
	struct fx *f = *state;
	const char *text =
		"apiVersion: kubeproxy.config.k8s.io/v1alpha1\n"
		"kind: KubeProxyConfiguration\n"
		"iptables: {syncPeriod: 45s, minSyncPeriod: 2s}\n"
		"nftables: {syncPeriod: 0s}\n";

	assert_int_equal(load(f, text), 0);
	assert_string_equal(f->text, "");
	assert_true(f->cfg.has_sync_period);
	assert_int_equal(f->cfg.sync_period_ms, 45000);
	assert_int_equal(f->cfg.min_sync_period_ms, 2000);
}

static void test_unknown_fields(void **state)
{
	struct fx *f = *state;
	const char *text =
		"apiVersion: kubeproxy.config.k8s.io/v1alpha1\n"		/* 1 */
		"kind: KubeProxyConfiguration\n"				/* 2 */
		"clusterCIRD: 198.19.0.0/16\n"					/* 3 */
		"nftables:\n"							/* 4 */
		"  syncPeriod: 10s\n"						/* 5 */
		"  minSyncPeriodd: 1s\n"					/* 6 */
		"conntrack: {udpTimeoutt: 30s}\n"				/* 7 */
		"clientConnection: {kubeConfig: /x}\n"				/* 8 */
		"logging: {options: {text: {splitStreamm: true}}}\n"		/* 9 */
		"featureGates: {SomethingNew: true}\n"				/* 10 */
		"totallyNew: {a: 1}\n";						/* 11 */

	assert_int_equal(load(f, text), 0);
	assert_string_equal(
		f->text,
		"kp.yaml:3:1: warning: KubeProxyConfiguration: clusterCIRD: unknown field, ignored (did you mean clusterCIDR?)\n"
		"kp.yaml:11:1: warning: KubeProxyConfiguration: totallyNew: unknown field, ignored\n"
		"kp.yaml:8:20: warning: KubeProxyConfiguration: clientConnection.kubeConfig: unknown field, ignored (did you mean kubeconfig?)\n"
		"kp.yaml:6:3: warning: KubeProxyConfiguration: nftables.minSyncPeriodd: unknown field, ignored (did you mean minSyncPeriod?)\n"
		"kp.yaml:7:13: warning: KubeProxyConfiguration: conntrack.udpTimeoutt: unknown field, ignored (did you mean udpTimeout?)\n"
		"kp.yaml:9:28: warning: KubeProxyConfiguration: logging.options.text.splitStreamm: unknown field, ignored (did you mean splitStream?)\n");
	/* the known fields beside them still count */
	assert_int_equal(f->cfg.sync_period_ms, 10000);
	assert_false(f->cfg.has_kubeconfig);
}

static void test_mode_and_local(void **state)
{
	struct fx *f = *state;

	assert_int_equal(load(f, "apiVersion: kubeproxy.config.k8s.io/v1alpha1\n"
				 "kind: KubeProxyConfiguration\n"
				 "mode: iptables\n"
				 "detectLocalMode: InterfaceNamePrefix\n"
				 "detectLocal: {interfaceNamePrefix: veth}\n"),
			 0);
	assert_string_equal(
		f->text,
		"kp.yaml:3:7: warning: KubeProxyConfiguration: mode: \"iptables\" is ignored: svcnft programs nftables\n"
		"kp.yaml:4:18: warning: KubeProxyConfiguration: detectLocalMode: \"InterfaceNamePrefix\" is not supported: svcnft detects local traffic by clusterCIDR\n");
	assert_int_equal(load(f, "apiVersion: kubeproxy.config.k8s.io/v1alpha1\n"
				 "kind: KubeProxyConfiguration\n"
				 "mode: kernelspace\n"),
			 0);
	assert_string_equal(
		f->text,
		"kp.yaml:3:7: warning: KubeProxyConfiguration: mode: \"kernelspace\" is not a Linux proxy mode (nftables, iptables, ipvs): svcnft programs nftables\n");
}

static void test_conntrack_notes(void **state)
{
	struct fx *f = *state;

	assert_int_equal(load(f, "apiVersion: kubeproxy.config.k8s.io/v1alpha1\n"
				 "kind: KubeProxyConfiguration\n"
				 "conntrack:\n"
				 "  udpTimeout: 30s\n"
				 "  udpStreamTimeout: 0s\n"
				 "  maxPerCore: 0\n"
				 "  tcpBeLiberal: true\n"
				 "  tcpEstablishedTimeout: 24h\n"),
			 0);
	assert_string_equal(
		f->text,
		"kp.yaml:8:26: note: KubeProxyConfiguration: conntrack.tcpEstablishedTimeout: not applied: svcnft sets no conntrack sysctl (net.netfilter.nf_conntrack_*); set it on the node\n"
		"kp.yaml:4:15: note: KubeProxyConfiguration: conntrack.udpTimeout: not applied: svcnft sets no conntrack sysctl (net.netfilter.nf_conntrack_*); set it on the node\n"
		"kp.yaml:7:17: note: KubeProxyConfiguration: conntrack.tcpBeLiberal: not applied: svcnft sets no conntrack sysctl (nf_conntrack_tcp_be_liberal); set it on the node\n");
}

static void test_nodeport_keywords(void **state)
{
	struct fx *f = *state;
	const char *head = "apiVersion: kubeproxy.config.k8s.io/v1alpha1\n"
			   "kind: KubeProxyConfiguration\n";
	char text[512];

	snprintf(text, sizeof(text), "%snodePortAddresses: [all]\n", head);
	assert_int_equal(load(f, text), 0);
	assert_string_equal(f->text, "");
	assert_true(f->cfg.has_nodeport_addresses);
	assert_false(f->cfg.nodeport_primary);
	assert_int_equal(f->cfg.nnodeport_addrs, 0);

	/* [] is Go's unset: the mode's default (primary for svcnft run) */
	snprintf(text, sizeof(text), "%snodePortAddresses: []\n", head);
	assert_int_equal(load(f, text), 0);
	assert_false(f->cfg.has_nodeport_addresses);

	snprintf(text, sizeof(text), "%snodePortAddresses: [localhost, 198.51.100.0/24]\n", head);
	assert_int_equal(load(f, text), 0);
	assert_string_equal(f->text,
			    "kp.yaml:3:21: warning: KubeProxyConfiguration: nodePortAddresses[0]: "
			    "\"localhost\" is ignored: svcnft never answers NodePorts on loopback addresses\n");
	assert_true(f->cfg.has_nodeport_addresses);
	assert_int_equal(f->cfg.nnodeport_addrs, 1);
}

static void test_value_errors(void **state)
{
	struct fx *f = *state;
	const char *text =
		"apiVersion: kubeproxy.config.k8s.io/v1alpha1\n"		/* 1 */
		"kind: KubeProxyConfiguration\n"				/* 2 */
		"nftables: {syncPeriod: 30, minSyncPeriod: -1s}\n"		/* 3 */
		"iptables: {syncPeriod: 30sec}\n"				/* 4 */
		"healthzBindAddress: 0.0.0.0:99999\n"				/* 5 */
		"metricsBindAddress: localhost:10249\n"				/* 6 */
		"bindAddress: node-a\n"						/* 7 */
		"logging: {verbosity: 11}\n"					/* 8 */
		"conntrack: {udpTimeout: soon}\n";				/* 9 */

	assert_int_equal(load(f, text), 8);
	assert_string_equal(
		f->text,
		"kp.yaml:7:14: error: KubeProxyConfiguration: bindAddress: \"node-a\" is not an IP address\n"
		"kp.yaml:5:21: error: KubeProxyConfiguration: healthzBindAddress: \"0.0.0.0:99999\" is not an address:port (like 0.0.0.0:10256 or [::]:10256)\n"
		"kp.yaml:6:21: error: KubeProxyConfiguration: metricsBindAddress: \"localhost:10249\" is not an address:port (like 0.0.0.0:10249 or [::]:10249)\n"
		"kp.yaml:9:25: error: KubeProxyConfiguration: conntrack.udpTimeout: \"soon\" is not a duration (like \"30s\", \"500ms\" or \"1h30m\")\n"
		"kp.yaml:8:22: error: KubeProxyConfiguration: logging.verbosity: 11 is out of range (allowed: 0-10)\n"
		"kp.yaml:4:24: error: KubeProxyConfiguration: iptables.syncPeriod: \"30sec\" is not a duration (like \"30s\", \"500ms\" or \"1h30m\")\n"
		"kp.yaml:3:24: error: KubeProxyConfiguration: nftables.syncPeriod: 30 is a bare number: a duration needs a unit (like \"30s\")\n"
		"kp.yaml:3:43: error: KubeProxyConfiguration: nftables.minSyncPeriod: \"-1s\" is not a duration (like \"30s\", \"500ms\" or \"1h30m\")\n");
	assert_false(f->cfg.has_sync_period);
	assert_false(f->cfg.has_healthz_bind);
}

static void test_duration(void **state)
{
	static const struct {
		const char *s;
		int ret;
		uint64_t ms;
	} cases[] = {
		{ "0", 0, 0 },		{ "0s", 0, 0 },		{ "1s", 0, 1000 },
		{ "500ms", 0, 500 },	{ "1h30m", 0, 5400000 }, { "1.5s", 0, 1500 },
		{ ".5m", 0, 30000 },	{ "1.s", 0, 1000 },	{ "+2m", 0, 120000 },
		{ "100us", 0, 1 },	/* rounded up: a non-zero period stays non-zero */
		{ "1\xc2\xb5s", 0, 1 },	{ "2000000ns", 0, 2 },	{ "2h45m30.5s", 0, 9930500 },
		{ "", -1, 0 },		{ "30", -1, 0 },	{ "-1s", -1, 0 },
		{ "1d", -1, 0 },	{ "s", -1, 0 },		{ ".s", -1, 0 },
		{ "1s ", -1, 0 },	{ "1 s", -1, 0 },	{ "9999999999h", -1, 0 },
		{ "2562047h", 0, 2562047ULL * 3600 * 1000 },	/* just inside Go's range */
	};
	unsigned i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t ms = 12345;
		int r = input_parse_duration(cases[i].s, strlen(cases[i].s), &ms);

		if (r != cases[i].ret || (r == 0 && ms != cases[i].ms))
			fail_msg("\"%s\": got %d/%llu, want %d/%llu", cases[i].s, r,
				 (unsigned long long)ms, cases[i].ret,
				 (unsigned long long)cases[i].ms);
	}
}

static void test_hostport(void **state)
{
	assert_true(input_hostport_ok("0.0.0.0:10256"));
	assert_true(input_hostport_ok("127.0.0.1:0"));
	assert_true(input_hostport_ok("[::]:10256"));
	assert_true(input_hostport_ok("[2001:db8::1]:65535"));
	assert_true(input_hostport_ok(":10256"));
	assert_false(input_hostport_ok("0.0.0.0"));
	assert_false(input_hostport_ok("0.0.0.0:"));
	assert_false(input_hostport_ok("0.0.0.0:65536"));
	assert_false(input_hostport_ok("::1:10249"));	/* IPv6 needs brackets */
	assert_false(input_hostport_ok("[198.51.100.1]:80"));
	assert_false(input_hostport_ok("localhost:80"));
	assert_false(input_hostport_ok("0.0.0.0:80a"));
	assert_false(input_hostport_ok(""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_kubeadm_defaults),
		T(test_configmap_values),
		T(test_iptables_fallback),
		T(test_unknown_fields),
		T(test_mode_and_local),
		T(test_conntrack_notes),
		T(test_nodeport_keywords),
		T(test_value_errors),
		T(test_duration),
		T(test_hostport),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
