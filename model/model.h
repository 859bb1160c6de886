/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * model/model.h: the service model. Input sources (manifest files, later the
 * Kubernetes API) fill it with validated objects; the compiler reads it.
 * Field meanings are Kubernetes' own; comments name the manifest field.
 *
 * Ownership: a svc_world owns every object and string in it.
 * svc_world_free(NULL) is a no-op.
 *
 * Each object owns its strings and arrays, apart from every other object,
 * so that one object can be added, replaced or deleted alone (the agent
 * does that per watch event; a world-wide arena could never give one back).
 * An object's memory comes from one of two places, field by field:
 *  - its own block list, `mem` (svc_mem_alloc, svc_mem_strndup): one
 *    allocation per object for a small one, a few doubling blocks for a
 *    slice of many endpoints, instead of one malloc per string and array;
 *  - or plain malloc (sn_strdup...), as the readers have done so far.
 * svc_*_free_contents frees each field that is not in mem, then mem, so
 * the two mix safely and a reader can move its fields to mem one by one.
 *
 * The world's arrays hold objects by value and move them when they grow or
 * when svc_world_del_* fills a hole with the last object: keep an index or
 * the kind/namespace/name, never an object's address, across changes. The
 * strings an object points to never move.
 */
#ifndef SVCNFT_MODEL_H
#define SVCNFT_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/sn.h"

enum svc_type {
	SVC_CLUSTER_IP,
	SVC_NODE_PORT,
	SVC_LOAD_BALANCER,
	SVC_EXTERNAL_NAME,
};

enum svc_family_policy {
	SVC_SINGLE_STACK,	/* spec.ipFamilyPolicy: SingleStack (default) */
	SVC_PREFER_DUAL_STACK,
	SVC_REQUIRE_DUAL_STACK,
};

/* An object's own allocations: blocks chained newest first. Opaque. */
struct svc_mem;

/* Zeroed, 8-aligned, from *m (created on first use); never NULL. */
void *svc_mem_alloc(struct svc_mem **m, size_t n);
/* Make room for n bytes in one block, when the reader knows roughly what
 * the object will take: a slice of many endpoints then gets one block of
 * its size rather than doubling blocks that leave most of the first empty. */
void svc_mem_reserve(struct svc_mem **m, size_t n);
char *svc_mem_strndup(struct svc_mem **m, const char *s, size_t n);
char *svc_mem_strdup(struct svc_mem **m, const char *s);
/* Is p inside one of m's blocks? */
bool svc_mem_owns(const struct svc_mem *m, const void *p);
/* free(p) unless m owns it. */
void svc_mem_release(const struct svc_mem *m, void *p);
void svc_mem_free(struct svc_mem *m);

struct svc_port {
	char *name;		/* spec.ports[].name; "" when unnamed */
	uint8_t proto;		/* spec.ports[].protocol: IPPROTO_TCP (default), _UDP, _SCTP */
	uint16_t port;		/* spec.ports[].port */
	uint16_t node_port;	/* spec.ports[].nodePort; 0 = none given */
	bool node_port_allocated; /* set by the compiler when it chose node_port */
	bool target_is_name;	/* spec.ports[].targetPort is a name */
	uint16_t target_port;	/* numeric targetPort (defaults to port) */
	char *target_name;	/* named targetPort, or NULL */
	struct sn_loc loc;	/* of the ports[] item */
	/* external frontends (externalIPs, LB VIPs) of this port that another
	 * Service won: set by the compiler, which warned about each */
	struct sn_addr *lost_frontends;
	unsigned nlost_frontends;
};

struct svc_lb_ingress {
	struct sn_addr ip;	/* status.loadBalancer.ingress[].ip */
	bool proxy_mode;	/* ipMode: Proxy (not a VIP for kube-proxy) */
};

struct svc_service {
	char *ns, *name;
	struct sn_loc loc;	/* of the document */
	enum svc_type type;	/* spec.type */
	bool headless;		/* spec.clusterIP: None */
	char *skip_reason;	/* non-NULL: svcnft does not program it (label, headless, ExternalName) */
	int64_t created;	/* metadata.creationTimestamp in Unix seconds; 0 = not given */

	/* spec.clusterIPs (or clusterIP), one per family, in spec order; the
	 * compiler fills the missing ones from --service-cidr. */
	struct sn_addr cluster_ips[2];
	bool cluster_ip_allocated[2];
	unsigned ncluster_ips;
	uint8_t families[2];	/* spec.ipFamilies as SN_AF_*; may be empty (0) */
	unsigned nfamilies;
	enum svc_family_policy family_policy;

	struct sn_addr *external_ips;	/* spec.externalIPs */
	unsigned nexternal_ips;
	struct svc_lb_ingress *lb_ingress;	/* status.loadBalancer.ingress[] with an ip */
	unsigned nlb_ingress;
	struct sn_addr *source_ranges;	/* spec.loadBalancerSourceRanges (prefixes) */
	unsigned nsource_ranges;
	bool no_lb_node_ports;	/* spec.allocateLoadBalancerNodePorts: false (nodePorts given are kept) */
	uint16_t health_check_node_port;	/* spec.healthCheckNodePort; 0 = none */
	bool health_check_node_port_allocated;

	bool affinity;		/* spec.sessionAffinity: ClientIP */
	uint32_t affinity_timeout; /* sessionAffinityConfig.clientIP.timeoutSeconds (default 10800) */
	bool etp_local;		/* spec.externalTrafficPolicy: Local */
	bool itp_local;		/* spec.internalTrafficPolicy: Local */

	struct svc_port *ports;
	unsigned nports;

	/* IPs the allow-lists took out of this object ([0] IPv4, [1] IPv6):
	 * kept with it, as a second prepare of the same object sees them gone */
	unsigned refused_ext[2], refused_lb[2];

	struct svc_mem *mem;	/* this object's allocations (see Ownership) */
};

struct svc_endpoint {
	struct sn_addr addr;	/* endpoints[].addresses[0] (only the first is used) */
	bool ready;		/* conditions.ready; absent = true */
	bool serving;		/* conditions.serving; absent = true */
	bool terminating;	/* conditions.terminating; absent = false */
	char *node_name;	/* endpoints[].nodeName, or NULL */
	char **zone_hints;	/* endpoints[].hints.forZones[].name */
	unsigned nzone_hints;
	char **node_hints;	/* endpoints[].hints.forNodes[].name */
	unsigned nnode_hints;
	char *target;		/* targetRef "namespace/name" for people, or NULL */
};

struct svc_slice_port {
	char *name;		/* ports[].name; "" when unnamed */
	uint8_t proto;		/* ports[].protocol (TCP default) */
	uint16_t port;		/* ports[].port; 0 = no number (the port is skipped) */
};

struct svc_slice {
	char *ns, *name;
	char *service;		/* label kubernetes.io/service-name */
	uint8_t family;		/* addressType IPv4 / IPv6 as SN_AF_* */
	struct svc_slice_port *ports;
	unsigned nports;
	struct svc_endpoint *eps;
	unsigned neps;
	struct sn_loc loc;
	bool from_endpoints;	/* converted from a v1 Endpoints object */

	struct svc_mem *mem;	/* this object's allocations (see Ownership) */
};

struct svc_node {
	char *name;
	char *zone;		/* label topology.kubernetes.io/zone, or NULL */
	/* the node's primary IPs, one per family, from status.addresses as
	 * kube-proxy picks them (InternalIP first, then ExternalIP) */
	struct sn_addr primary_ips[2];
	unsigned nprimary_ips;
	struct sn_loc loc;

	struct svc_mem *mem;	/* this object's allocations (see Ownership) */
};

/* Everything read from the inputs, valid objects only. */
struct svc_world {
	struct svc_service *svcs;
	unsigned nsvcs, svcs_cap;
	struct svc_slice *slices;
	unsigned nslices, slices_cap;
	struct svc_node *nodes;
	unsigned nnodes, nodes_cap;
	/* addresses the allow-lists left out (comp_capture_filter), for the
	 * script header and the agent's metrics; the _v6 ones are the IPv6
	 * part of each (the agent's gauge is per family) */
	unsigned refused_external_ips, refused_lb_ips;
	unsigned refused_external_ips_v6, refused_lb_ips_v6;
};

struct svc_world *svc_world_alloc(void);
void svc_world_free(struct svc_world *w);
/* Append a zeroed object and return it (the world owns it). */
struct svc_service *svc_world_add_service(struct svc_world *w);
struct svc_slice *svc_world_add_slice(struct svc_world *w);
struct svc_node *svc_world_add_node(struct svc_world *w);
void svc_service_free_contents(struct svc_service *s);
void svc_slice_free_contents(struct svc_slice *s);
void svc_node_free_contents(struct svc_node *n);
/* Free object i and move the last object into its place (O(1); the order
 * of the others is not kept). */
void svc_world_del_service(struct svc_world *w, unsigned i);
void svc_world_del_slice(struct svc_world *w, unsigned i);
void svc_world_del_node(struct svc_world *w, unsigned i);

/* Kubernetes name rules, shared by the input sources and the compiler. */
bool svc_valid_dns_label(const char *s);	/* RFC 1123 label, <= 63 */
bool svc_valid_dns1035_label(const char *s);	/* RFC 1035 label (Service names), <= 63 */
bool svc_valid_dns_subdomain(const char *s);	/* RFC 1123 subdomain, <= 253 (slice names) */
bool svc_valid_port_name(const char *s);	/* IANA_SVC_NAME, <= 15 */

#endif
