/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * compiler/compile.h: the service model to the desired ruleset.
 * Never includes libmnl or libnftnl: it builds rules/ objects only.
 *
 * The shape of the ruleset, and why, is in docs/ruleset.md.
 */
#ifndef SVCNFT_COMPILE_H
#define SVCNFT_COMPILE_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/sn.h"
#include "model/model.h"
#include "rules/rs.h"

#define COMP_TABLE "svcnft"		/* table name, in both families */
#define COMP_MASQ_BIT_DEFAULT 14	/* kube-proxy's --masquerade-bit default: mark 0x4000 */
#define COMP_AFFINITY_TIMEOUT_DEFAULT 10800 /* Kubernetes' default timeoutSeconds */
#define COMP_NODEPORT_MIN_DEFAULT 30000
#define COMP_NODEPORT_MAX_DEFAULT 32767

struct comp_opts {
	char *node_name;		/* --node-name (default: hostname) */
	struct sn_addr cluster_cidrs[2];	/* --cluster-cidr, at most one per family */
	unsigned ncluster_cidrs;
	struct sn_addr service_cidrs[2];	/* --service-cidr, at most one per family, primary first */
	unsigned nservice_cidrs;
	bool masquerade_all;		/* --masquerade-all */
	struct sn_addr *nodeport_addrs;	/* --nodeport-addresses (prefixes); none = every local address */
	unsigned nnodeport_addrs;
	/* --nodeport-addresses primary: only the node's primary IPs, filled into
	 * nodeport_addrs (as /32 and /128) by comp_resolve_nodeport_primary() */
	bool nodeport_primary;
	struct sn_addr node_ips[2];	/* --node-ip, at most one per family */
	unsigned nnode_ips;
	uint16_t nodeport_min, nodeport_max;	/* --service-node-port-range */
	unsigned masq_bit;		/* --masquerade-bit (0-31) */
	/* --shard-elements: a set of endpoints or hairpin pairs larger than
	 * this is split into shards of at most about this many elements
	 * (docs/ruleset.md, "Shards"); 0 = COMP_SHARD_ELEMS_DEFAULT */
	unsigned shard_elems;
	/* The shard count of each split set, fixed (borrowed; NULL = from each
	 * set's size). The reconcile core compiles one Service at a time: its
	 * sets are tiny, so it passes the counts of the last whole compile
	 * (comp_shard_plan_from) for the parts to land in the same shards. */
	const struct comp_shard_plan *shard_plan;
	/* With shard_plan: a part, one Service compiled alone for the
	 * reconcile core's index. Its split sets get only the shards it puts
	 * elements in, and no dispatch elements or per-shard chains: those are
	 * the skeleton's (compiled without part), the same for every part;
	 * building them per Service made the index 5x the whole compile. */
	bool part;
	/* --external-ip-cidrs, --loadbalancer-ip-cidrs: the only prefixes an
	 * externalIP or a LoadBalancer ingress IP may be in (compiler/capture.c);
	 * *_set false: any address, as kube-proxy */
	struct sn_addr *external_ip_cidrs;
	unsigned nexternal_ip_cidrs;
	bool external_ip_cidrs_set;
	struct sn_addr *lb_ip_cidrs;
	unsigned nlb_ip_cidrs;
	bool lb_ip_cidrs_set;
};

/* Which sets are split, into how many shards, per family. */
struct comp_shard_plan {
	struct comp_shard_count {
		uint8_t family;		/* enum rs_family */
		char *set;		/* the set as unsplit: "endpoints-10", "hairpin" */
		unsigned nshards;
	} *v;
	size_t n;
};

/* The plan of a compiled ruleset (its NAME/shards dispatch maps); p is emptied first. */
void comp_shard_plan_from(const struct rs_ruleset *rs, struct comp_shard_plan *p);
/* The shard count of set in family f under p: 1 when p does not split it. */
unsigned comp_shard_plan_get(const struct comp_shard_plan *p, enum rs_family f, const char *set);
void comp_shard_plan_free(struct comp_shard_plan *p);

#define COMP_SHARD_ELEMS_DEFAULT 2048
/* The shard is picked by the low 8 bits of an address or port. */
#define COMP_SHARDS_MAX 256

void comp_opts_init(struct comp_opts *o);
void comp_opts_free(struct comp_opts *o);

/* What compile did, for the script header and for people. */
struct comp_stats {
	/* service_ports counts each port once, endpoints once per family */
	unsigned services, services_skipped, service_ports, endpoints;
	unsigned chains, rules, elements;
	unsigned allocated_ips, allocated_node_ports;
};

/*
 * --nodeport-addresses primary (kube-proxy's nftables default): NodePorts
 * answer only on the node's primary IPs, one per family, from --node-ip or
 * else from this node's Node object (status.addresses, InternalIP first,
 * then ExternalIP). Fills o->nodeport_addrs with host prefixes. Neither
 * given: an error to d. Returns the number of errors added (0 when the mode
 * is not in force).
 */
int comp_resolve_nodeport_primary(const struct svc_world *w, struct comp_opts *o,
				  struct sn_diag *d);

/*
 * The allow-lists (CVE-2020-8554): remove every externalIP outside
 * o->external_ip_cidrs and every LoadBalancer ingress IP outside
 * o->lb_ip_cidrs (each only when set), with a warning naming the Service,
 * and count them in w->refused_external_ips / refused_lb_ips. comp_prepare()
 * calls it first.
 */
void comp_capture_filter(struct svc_world *w, const struct comp_opts *o, struct sn_diag *d);

/*
 * Allocate missing cluster IPs and node ports (manifest mode: no API server
 * did it), then validate what needs the whole world (duplicates, conflicts,
 * targetPort names). Reports problems to d. Invalid services are removed from
 * w (they are reported and skipped); returns the number of errors added.
 */
int comp_prepare(struct svc_world *w, const struct comp_opts *o, struct sn_diag *d);
/* The order comp_prepare() leaves EndpointSlices in (qsort comparator on
 * struct svc_slice): grouped by Service, for comp_slices_for()'s binary
 * search. A caller that keeps slices sorted itself (the agent) uses this. */
int comp_slice_cmp(const void *a, const void *b);

/*
 * Build the desired ruleset for a prepared world. Deterministic: the same
 * world gives the same ruleset whatever the order of its objects.
 * Returns NULL only if d got errors.
 */
struct rs_ruleset *comp_build(const struct svc_world *w, const struct comp_opts *o,
			      struct comp_stats *st, struct sn_diag *d);

/*
 * Which Service a chain or map element of the compiled ruleset belongs to:
 * "namespace/name" for a per-service chain name, or NULL for a common chain.
 * Used to name the Service when the kernel refuses a message.
 */
char *comp_owner_of_chain(const char *chain);

/* The header comment of `svcnft compile`: counts, the options used, what
 * was allocated and what was skipped. */
void comp_print_header(FILE *out, const struct svc_world *w, const struct comp_opts *o,
		       const struct comp_stats *st);

#endif
