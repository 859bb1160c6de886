/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * compiler/frontends.h: which frontends the compiled ruleset has, and which
 * endpoints each one's DNAT may choose, worked out from the service model
 * (never from the ruleset), and what changed between two such lists.
 *
 * This is the question conntrack cleanup asks (design notes §2): UDP has no
 * connection to close, so a flow keeps its conntrack entry, and with it its
 * endpoint, for as long as the client keeps sending. After an endpoint goes
 * away, entries to its frontends answered by anything but a current
 * endpoint are stale. netlink/ct.c does the conntrack I/O; this file says
 * which frontends to look at and which reply sources to keep, and needs no
 * kernel (tests/unit/test_frontends.c).
 *
 * A frontend is a ClusterIP, external IP or LoadBalancer VIP with a
 * protocol and port, or a NodePort (protocol and port, on any local
 * address), in one address family. Its endpoints come from
 * comp_eps_build(), the categorisation the compiler uses, chosen as
 * compiler/build.c chooses them: a ClusterIP uses the cluster endpoints, or
 * the local ones with internalTrafficPolicy Local; an external frontend
 * uses the cluster endpoints, and with externalTrafficPolicy Local also the
 * local ones (outside sources get local endpoints, pods and the node any).
 * A frontend whose Service has no usable endpoint, or whose policy leaves
 * it none here, has none (its packets are rejected or dropped).
 *
 * Two callers, two memories:
 *  - the agent keeps the previous list in memory and diffs it with the new
 *    one: only frontends that are new, gone, or lost an endpoint (or got
 *    their first) are cleaned, so a change costs a conntrack walk only
 *    when something can be stale;
 *  - the CLI has no previous model, only the kernel's ruleset, whose shape
 *    this must not depend on: it diffs against "unknown" (NULL), which
 *    marks every frontend, kube-proxy's own rule (CleanStaleEntries): every
 *    UDP entry to a Service frontend whose reply source is not one of its
 *    endpoints is deleted. Frontends that disappeared cannot be known.
 *
 * Ownership: comp_frontends owns its frontends, their endpoint arrays and
 * strings; comp_fe_diff owns its lost-endpoint arrays and borrows the
 * frontends from the two lists it was made from.
 */
#ifndef SVCNFT_COMPILER_FRONTENDS_H
#define SVCNFT_COMPILER_FRONTENDS_H

#include <stdbool.h>
#include <stdint.h>

#include "compiler/compile.h"

struct comp_fe_ep {
	struct sn_addr addr;
	uint16_t port;
};

enum comp_fe_kind {
	COMP_FE_CLUSTER_IP,
	COMP_FE_EXTERNAL_IP,
	COMP_FE_LB_VIP,
	COMP_FE_NODEPORT,
};

struct comp_frontend {
	uint8_t family;		/* SN_AF_INET or SN_AF_INET6 */
	uint8_t proto;		/* IPPROTO_* */
	uint8_t kind;		/* enum comp_fe_kind */
	struct sn_addr addr;	/* unset (family 0) for a NodePort: any local address */
	uint16_t port;		/* the Service port, or the NodePort */
	bool affinity;		/* sessionAffinity ClientIP */
	char *svc_port;		/* "ns/name/proto/port": the service port it belongs to */
	struct comp_fe_ep *eps;	/* what its DNAT may choose: sorted, no duplicates */
	unsigned neps;
	/* The reply sources its flows may keep: eps and every serving
	 * endpoint of its service port in its family (kube-proxy keeps flows
	 * to an endpoint that is terminating but still serving). Sorted. */
	struct comp_fe_ep *keep;
	unsigned nkeep;
};

struct comp_frontends {
	struct comp_frontend *v;	/* sorted by comp_frontend_cmp() */
	size_t n, cap;
};

/* Every frontend of a prepared world (comp_prepare) for options o, of
 * protocol proto (0: every protocol), into out (emptied first). */
void comp_frontends_build(const struct svc_world *w, const struct comp_opts *o, uint8_t proto,
			  struct comp_frontends *out);
void comp_frontends_free(struct comp_frontends *fs);

/* Order by family, protocol, NodePort last, address, port. */
int comp_frontend_cmp(const struct comp_frontend *a, const struct comp_frontend *b);
/* The frontend of fs with key's family, protocol, address (unset for a
 * NodePort) and port, or NULL. */
const struct comp_frontend *comp_frontends_find(const struct comp_frontends *fs,
						const struct comp_frontend *key);
/* Is ep one of the endpoints f may choose? */
bool comp_frontend_has_ep(const struct comp_frontend *f, const struct sn_addr *addr,
			  uint16_t port);

enum comp_fe_why {
	COMP_FE_UNKNOWN,	/* no previous list: every frontend may hold stale flows */
	COMP_FE_NEW,		/* new: flows that reached the node before it existed */
	COMP_FE_CHANGED,	/* lost endpoints, or got its first ones */
	COMP_FE_GONE,		/* only in the old list: every flow to it is stale */
};

struct comp_fe_stale {
	const struct comp_frontend *fe;	/* in the new list; in the old one when GONE */
	enum comp_fe_why why;
	struct comp_fe_ep *lost;	/* endpoints it had and may no longer choose */
	unsigned nlost;
};

struct comp_fe_diff {
	struct comp_fe_stale *v;	/* new-list order, then the gone ones */
	size_t n, cap;
};

/* The frontends of now whose conntrack entries may be stale since old
 * (NULL: unknown, every frontend of now), and those of old that are gone. */
void comp_frontends_diff(const struct comp_frontends *old, const struct comp_frontends *now,
			 struct comp_fe_diff *out);
void comp_fe_diff_free(struct comp_fe_diff *d);

/*
 * Session affinity: is an element the packet path put into one of the
 * compiler's affinity maps pinned to an endpoint its frontend can no longer
 * choose? fs: every frontend, of every protocol. The one place outside
 * compiler/build.c that knows those maps' names: "affinity" (client .
 * frontend address . protocol . port : endpoint . port) and IPv6's
 * "affinity-NS/NAME/PROTO/PORT/EPPORT[/local]" (client : endpoint). An
 * element of any other set is never called stale. ctx caches a map's
 * frontends between calls: zero it before the first, free it after.
 */
struct comp_aff_ctx {
	const struct comp_frontends *fs;
	const struct rs_set *map;	/* the map the cache is for */
	const struct comp_frontend **v;	/* its service port's frontends */
	size_t n, cap;
	uint16_t epport;
	bool known;
};
bool comp_affinity_elem_stale(struct comp_aff_ctx *c, const struct rs_set *map,
			      enum rs_family f, const struct rs_elem *e);
void comp_aff_ctx_free(struct comp_aff_ctx *c);

#endif
