/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * input/input.h: Kubernetes manifests (YAML via libyaml, JSON by input/json.c) to
 * the service model, with every problem reported at file:line:col with the
 * object's kind, namespace/name and field path.
 */
#ifndef SVCNFT_INPUT_H
#define SVCNFT_INPUT_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/sn.h"
#include "model/model.h"

/*
 * Read every path: a file; "-" for the standard input (named "<stdin>" in
 * messages, JSON when it starts with '{'); or a directory searched
 * recursively for *.yaml, *.yml and *.json (entries visited in byte order of
 * their names, so the result never depends on readdir order; names starting
 * with '.' are skipped: hidden files, and the ..data links of a mounted
 * ConfigMap that would read every file twice). Multi-document YAML and
 * `kind: List` work. Valid objects are added to w; each invalid object is
 * reported to d (as an error) and left out; other kinds get a note.
 * Returns the number of errors added to d.
 */
#define INPUT_STDIN_NAME "<stdin>"

int input_load(const char *const *paths, unsigned npaths, struct svc_world *w,
	       struct sn_diag *d);

/* Load from a memory buffer (tests, fuzzers); name is used in messages and
 * says the format: *.json is JSON, *.yaml or *.yml YAML, any other name is
 * JSON when its first non-blank byte is '{'. Objects already in w count for
 * duplicate detection, in both functions. */
int input_load_buffer(const char *name, const char *buf, size_t len, struct svc_world *w,
		      struct sn_diag *d);

/*
 * Decode ONE API object given as JSON (an item of a list page, or the
 * `object` of a watch event) and add it to w when valid. kind: the kind the
 * list implies for items that carry none ("Service" for a ServiceList page;
 * its apiVersion is implied too), or NULL when the object names its own.
 * source names the object's origin in messages, which read
 * "<source>: error: Service ns/name: spec.ports[0].port: ..." (an API object
 * has no file to point into: no line:col). Objects already in w are not
 * looked at: the caller replaces an object by removing the old one.
 * Returns the number of errors added to d.
 */
int input_decode_object(const char *source, const char *kind, const char *buf, size_t len,
			struct svc_world *w, struct sn_diag *d);

/* The fields svcnft uses from a KubeProxyConfiguration
 * (kubeproxy.config.k8s.io/v1alpha1). has_* says whether the file set it. */
struct input_kpconfig {
	bool has_hostname_override;
	char *hostname_override;		/* hostnameOverride */
	bool has_cluster_cidr;
	struct sn_addr cluster_cidrs[2];	/* clusterCIDR (comma-separated) or detectLocal.clusterCIDRs */
	unsigned ncluster_cidrs;
	bool has_masquerade_all;
	bool masquerade_all;			/* nftables.masqueradeAll, else iptables.masqueradeAll */
	bool has_masquerade_bit;
	unsigned masquerade_bit;		/* nftables.masqueradeBit, else iptables.masqueradeBit */
	bool has_nodeport_addresses;
	struct sn_addr *nodeport_addrs;		/* nodePortAddresses (CIDRs) */
	unsigned nnodeport_addrs;
	bool nodeport_primary;			/* nodePortAddresses: ["primary"] */
	bool nodeport_all;			/* nodePortAddresses: ["all"]: no restriction */
	/* what `svcnft run` reads besides (input/kpconfig.c lists every field
	 * and what becomes of it) */
	bool has_kubeconfig;
	char *kubeconfig;			/* clientConnection.kubeconfig */
	bool has_sync_period;
	uint64_t sync_period_ms;		/* nftables.syncPeriod, else iptables.syncPeriod */
	bool has_min_sync_period;
	uint64_t min_sync_period_ms;		/* nftables.minSyncPeriod, else iptables.minSyncPeriod */
	bool has_healthz_bind;
	char *healthz_bind;			/* healthzBindAddress, "IP:port" */
	bool has_metrics_bind;
	char *metrics_bind;			/* metricsBindAddress, "IP:port" */
	bool has_bind_address_hard_fail;
	bool bind_address_hard_fail;		/* bindAddressHardFail */
	bool has_node_ip;
	struct sn_addr node_ip;			/* bindAddress, when not 0.0.0.0 or :: */
	bool has_verbosity;
	unsigned verbosity;			/* logging.verbosity */
};

/*
 * Read a kube-proxy configuration file (YAML or JSON; in a multi-document
 * file such as kubeadm's, the KubeProxyConfiguration document). cfg is
 * cleared first, then holds every valid field; problems go to d at
 * file:line:col. Returns the number of errors added to d.
 */
int input_load_kpconfig(const char *path, struct input_kpconfig *cfg, struct sn_diag *d);
/* The same from memory (tests); name is used in messages and, by its
 * extension, says JSON or YAML. */
int input_load_kpconfig_buffer(const char *name, const char *buf, size_t len,
			       struct input_kpconfig *cfg, struct sn_diag *d);
/* Go's time.ParseDuration ("30s", "500ms", "1h30m", "1.5s", "0"), in
 * whole milliseconds, rounded up so that a non-zero period stays non-zero.
 * Negative durations are refused. 0, or -1 when s is not a duration. */
int input_parse_duration(const char *s, size_t len, uint64_t *ms);
/* A listen address as kube-proxy's bind flags take it: "IP:port",
 * "[IPv6]:port", or ":port" (every IPv4 address); port 0-65535. */
bool input_hostport_ok(const char *s);

/* Free what cfg holds and clear it; NULL is a no-op. */
void input_kpconfig_free(struct input_kpconfig *cfg);

#endif
