/* SPDX-License-Identifier: GPL-2.0-or-later */
/* compiler/internal.h: shared between the compiler's files, not installed. */
#ifndef SVCNFT_COMPILER_INTERNAL_H
#define SVCNFT_COMPILER_INTERNAL_H

#include "compiler/compile.h"

/* "Service default/web": the object name used in every message. */
char *comp_svc_object(const struct svc_service *s);

/* The slices that feed a Service: its EndpointSlices, or, only when none
 * names it, the ones converted from its v1 Endpoints. Sorted by slice name. */
struct comp_slices {
	const struct svc_slice **v;
	unsigned n;
};
void comp_slices_for(const struct svc_world *w, const struct svc_service *s,
		     struct comp_slices *out);
void comp_slices_free(struct comp_slices *sl);

/* The endpoint port a service port maps to in one slice, or NULL. Matches
 * the slice port named like the service port (what kube-proxy does, since
 * the EndpointSlice controller names slice ports after service ports). For
 * a named targetPort, also a slice port of that name when no port of the
 * Service has that name (hand-written manifests): a slice port named after
 * another service port always belongs to that port. The protocol must match
 * and the port must have a number. */
const struct svc_slice_port *comp_slice_port(const struct svc_slice *sl,
					     const struct svc_service *s,
					     const struct svc_port *p);

/* One usable endpoint of a service port. */
struct comp_ep {
	struct sn_addr addr;
	uint16_t port;
	bool ready, serving, terminating, local;
	const struct svc_endpoint *src;
	unsigned seq;	/* order seen: ties among duplicates keep it */
};

/* kube-proxy's CategorizeEndpoints for one service port in one family. */
struct comp_eps {
	struct comp_ep *all;		/* merged, deduplicated by addr:port, sorted */
	unsigned nall;
	struct comp_ep **cluster;	/* ready (zone-filtered), else serving+terminating */
	unsigned ncluster;
	struct comp_ep **local;		/* local ready, else local serving+terminating */
	unsigned nlocal;
	bool any;			/* some usable endpoint exists anywhere */
	bool topology;			/* zone hints were used */
	bool node_topology;		/* node hints were used (before zone hints) */
	unsigned nready;
};
void comp_eps_build(const struct svc_world *w, const struct comp_opts *o,
		    const struct svc_service *s, const struct svc_port *p, uint8_t family,
		    const struct comp_slices *sl, struct comp_eps *out);
void comp_eps_free(struct comp_eps *e);

/* Is frontend a of service port p left out of the dispatch map? A ClusterIP
 * (cluster) that is also an externalIP or VIP of the same Service: the
 * external entry wins that key, as in kube-proxy. An external frontend that
 * another Service won (comp_prepare() warned). */
bool comp_frontend_skipped(const struct svc_service *s, const struct svc_port *p,
			   const struct sn_addr *a, bool cluster);

/* Does the Service accept traffic from outside (NodePort, LB VIP, external IP)? */
bool comp_externally_accessible(const struct svc_service *s);
/* externalTrafficPolicy Local in effect (NodePort and LoadBalancer types only). */
bool comp_etp_local(const struct svc_service *s);

#endif
