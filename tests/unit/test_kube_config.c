/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/unit/test_kube_config.c: kube/config.c: the kubeconfig fields svcnft
 * reads (YAML and JSON), current-context resolution, token over tokenFile,
 * relative paths, the refusals (exec, auth-provider, insecure, http), the
 * in-cluster environment and base64.
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

#include "kube/config.h"

/* Parse text; on failure return the joined messages in *msgs. */
static int parse(struct kube_config *c, const char *name, const char *text, char **msgs)
{
	struct sn_diag d;
	struct sn_buf b;
	size_t i;
	int rc;

	sn_diag_init(&d);
	rc = kube_config_parse(c, name, text, strlen(text), &d);
	sn_buf_init(&b);
	sn_buf_add(&b, "");
	for (i = 0; i < d.n; i++) {
		sn_diag_format(&d.recs[i], &b);
		sn_buf_addc(&b, '\n');
	}
	*msgs = sn_buf_steal(&b);
	sn_diag_free(&d);
	return rc;
}

#define CA_B64 "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg=="	/* "-----BEGIN CERTIFICATE-----\n" */

static const char two_contexts[] =
	"apiVersion: v1\n"
	"kind: Config\n"
	"clusters:\n"
	"- name: other\n"
	"  cluster:\n"
	"    server: https://198.51.100.9:6443\n"
	"- name: lab\n"
	"  cluster:\n"
	"    server: https://198.51.100.7:6443/\n"
	"    certificate-authority-data: " CA_B64 "\n"
	"    tls-server-name: kubernetes.default\n"
	"users:\n"
	"- name: agent\n"
	"  user:\n"
	"    token: abc123\n"
	"    tokenFile: tok\n"
	"    client-certificate: pki/c.crt\n"
	"    client-key: /abs/c.key\n"
	"contexts:\n"
	"- name: a\n"
	"  context: {cluster: other, user: agent}\n"
	"- name: b\n"
	"  context: {cluster: lab, user: agent}\n"
	"current-context: b\n";

static void test_yaml_current_context(void **state)
{
	struct kube_config c;
	char *m;

	assert_int_equal(parse(&c, "/etc/kube/config", two_contexts, &m), 0);
	assert_string_equal(m, "");
	assert_string_equal(c.server, "https://198.51.100.7:6443");	/* trailing / dropped */
	assert_string_equal(c.tls_server_name, "kubernetes.default");
	assert_non_null(c.ca.data);
	assert_null(c.ca.file);
	assert_string_equal(c.ca.data, "-----BEGIN CERTIFICATE-----\n");
	assert_string_equal(c.token, "abc123");
	assert_null(c.token_file);	/* token wins over tokenFile */
	assert_string_equal(c.cert.file, "/etc/kube/pki/c.crt");	/* relative to the file */
	assert_string_equal(c.key.file, "/abs/c.key");
	kube_config_free(&c);
	free(m);
}

static void test_json_token_file(void **state)
{
	static const char j[] =
		"{\"apiVersion\":\"v1\",\"kind\":\"Config\",\"current-context\":\"x\","
		"\"clusters\":[{\"name\":\"c\",\"cluster\":{\"server\":\"198.51.100.7:443\","
		"\"certificate-authority\":\"ca.pem\"}}],"
		"\"users\":[{\"name\":\"u\",\"user\":{\"tokenFile\":\"/run/tok\"}}],"
		"\"contexts\":[{\"name\":\"x\",\"context\":{\"cluster\":\"c\",\"user\":\"u\"}}]}";
	struct kube_config c;
	char *m;

	assert_int_equal(parse(&c, "kc.json", j, &m), 0);
	assert_string_equal(c.server, "https://198.51.100.7:443");	/* bare host:port is https */
	assert_string_equal(c.ca.file, "./ca.pem");
	assert_null(c.token);
	assert_string_equal(c.token_file, "/run/tok");
	kube_config_free(&c);
	free(m);
}

/* Each refusal names the file, the line:col and the field. */
static void test_refusals(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
		  "clusters: [{name: c, cluster: {server: 'https://h:1'}}]\n"
		  "users:\n- name: u\n  user:\n    exec: {command: aws}\n",
		  "k.yaml:7:11: error: users[0].user.exec: refused: svcnft runs no credential plugins" },
		{ "current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
		  "clusters: [{name: c, cluster: {server: 'https://h:1'}}]\n"
		  "users: [{name: u, user: {auth-provider: {name: gcp}}}]\n",
		  "k.yaml:4:41: error: users[0].user.auth-provider: refused" },
		{ "current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\n"
		  "clusters:\n- name: c\n  cluster:\n    server: https://h:1\n"
		  "    insecure-skip-tls-verify: true\n",
		  "k.yaml:7:31: error: clusters[0].cluster.insecure-skip-tls-verify: refused" },
		{ "current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\n"
		  "clusters: [{name: c, cluster: {server: 'http://h:80'}}]\n",
		  "k.yaml:3:40: error: clusters[0].cluster.server: http://h:80: plain http is refused" },
		{ "contexts: [{name: x, context: {cluster: c}}]\n",
		  "k.yaml:1:1: error: current-context: missing" },
		{ "current-context: y\ncontexts: [{name: x, context: {cluster: c}}]\n",
		  "k.yaml:1:18: error: current-context: no context named \"y\" in contexts" },
		{ "current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
		  "clusters: [{name: c, cluster: {server: 'https://h:1'}}]\n",
		  "k.yaml:2:50: error: contexts[0].context.user: no user named \"u\" in users" },
		{ "current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\n"
		  "clusters: [{name: c, cluster: {server: 'https://h:1', certificate-authority-data: 'a$b'}}]\n",
		  "clusters[0].cluster.certificate-authority-data: is not valid base64" },
		{ "current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
		  "clusters: [{name: c, cluster: {server: 'https://h:1'}}]\n"
		  "users: [{name: u, user: {client-certificate: c.crt}}]\n",
		  "users[0].user.client-key: missing" },
		{ "current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\n"
		  "clusters: [{name: c, cluster: {server: [1]}}]\n",
		  "clusters[0].cluster.server: must be a string, not a list" },
		{ "a: [\n", "k.yaml:" },
	};
	unsigned i;

	for (i = 0; i < SN_ARRAY_SIZE(cases); i++) {
		struct kube_config c;
		char *m;

		assert_int_equal(parse(&c, "k.yaml", cases[i].text, &m), -1);
		if (!strstr(m, cases[i].want))
			fail_msg("case %u: want \"%s\" in:\n%s", i, cases[i].want, m);
		assert_null(c.server);	/* nothing half-filled is left behind */
		free(m);
	}
}

static void test_base64(void **state)
{
	size_t n;
	char *s;

	s = kube_base64_decode("aGVs\nbG8=", 9, &n);
	assert_non_null(s);
	assert_int_equal(n, 5);
	assert_string_equal(s, "hello");
	free(s);
	s = kube_base64_decode("aGVsbA", 6, &n);	/* padding optional */
	assert_non_null(s);
	assert_string_equal(s, "hell");
	free(s);
	assert_null(kube_base64_decode("aGVsb", 5, &n));	/* truncated */
	assert_null(kube_base64_decode("aG=Vs", 5, &n));	/* data after padding */
	assert_null(kube_base64_decode("a*==", 4, &n));
}

static void test_in_cluster(void **state)
{
	char dir[] = "/tmp/test_kube_config.XXXXXX";
	struct kube_config c;
	struct sn_diag d;
	char path[128];
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/token", dir);
	f = fopen(path, "w");
	fputs("t0k\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/ca.crt", dir);
	f = fopen(path, "w");
	fclose(f);

	sn_diag_init(&d);
	unsetenv("KUBERNETES_SERVICE_PORT");
	setenv("KUBERNETES_SERVICE_HOST", "198.18.0.1", 1);
	assert_int_equal(kube_config_in_cluster(&c, dir, &d), -1);	/* both are required */
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	assert_int_equal(kube_config_in_cluster(&c, dir, &d), 0);
	assert_string_equal(c.server, "https://198.18.0.1:443");
	snprintf(path, sizeof(path), "%s/token", dir);
	assert_string_equal(c.token_file, path);
	assert_null(c.token);
	kube_config_free(&c);

	setenv("KUBERNETES_SERVICE_HOST", "2001:db8::1", 1);
	assert_int_equal(kube_config_in_cluster(&c, dir, &d), 0);
	assert_string_equal(c.server, "https://[2001:db8::1]:443");
	/* --master replaces the server and keeps the credentials. */
	assert_int_equal(kube_config_set_server(&c, "198.51.100.7:6443", "--master", &d), 0);
	assert_string_equal(c.server, "https://198.51.100.7:6443");
	assert_non_null(c.token_file);
	assert_int_equal(kube_config_set_server(&c, "http://198.51.100.7", "--master", &d), -1);
	kube_config_free(&c);

	/* A missing service-account folder is an error naming the file. */
	assert_int_equal(kube_config_in_cluster(&c, "/nonexistent-sa", &d), -1);
	assert_string_equal(d.recs[d.n - 1].loc.file, "/nonexistent-sa/token");
	sn_diag_free(&d);
	unlink(path);
	snprintf(path, sizeof(path), "%s/ca.crt", dir);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yaml_current_context),
		cmocka_unit_test(test_json_token_file),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_in_cluster),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
