/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * input/obj.h: reading one Kubernetes object from a document tree: the
 * object's place and name for messages, the field path, typed getters that
 * report a wrong type where it is, and the Kubernetes value checks (names,
 * ports, addresses) every reader shares. Internal to input/.
 *
 * Every getter and check reports its own problem (file:line:col, object,
 * field path, what is wrong and what is allowed) and lets the reader go on,
 * so that one pass finds every error of an object.
 */
#ifndef SVCNFT_INPUT_OBJ_H
#define SVCNFT_INPUT_OBJ_H

#include <stdbool.h>
#include <stdint.h>

#include "input/tree.h"
#include "lib/sn.h"
#include "model/model.h"

/* "EndpointSlice " + namespace + "/" + name, each possibly an escaped,
 * quoted invalid name of up to INPUT_QUOTE_MAX. */
#define INPUT_OBJNAME_MAX 700
/* Field paths follow the schema, never the input's depth: a few hundred
 * bytes is plenty ("spec.ports[12].targetPort"). */
#define INPUT_PATH_MAX 256
/* Past this many errors in one object the rest are counted, not printed:
 * a 100,000-port Service with the same mistake in each is one problem. */
#define INPUT_MAX_OBJ_ERRORS 50

struct input_obj {
	struct sn_diag *d;
	struct sn_loc loc;		/* of the object (its map) */
	char name[INPUT_OBJNAME_MAX];	/* "Service default/web"; "" = not known yet */
	char path[INPUT_PATH_MAX];
	size_t plen;
	unsigned nerr;			/* errors in this object */
	unsigned suppressed;		/* errors past INPUT_MAX_OBJ_ERRORS */
};

/* Result of a getter. */
enum {
	INPUT_BAD = -1,		/* present but wrong: reported */
	INPUT_ABSENT = 0,	/* absent or null */
	INPUT_SET = 1,
};

void input_obj_init(struct input_obj *o, struct sn_diag *d, const char *file, unsigned doc,
		    const struct input_node *at);
/* Name the object: "KIND NAMESPACE/NAME" (ns NULL: cluster-scoped). name and
 * ns may be invalid text: they are quoted and escaped then. */
void input_obj_set_name(struct input_obj *o, const char *kind, const char *ns, size_t nslen,
			const char *name, size_t namelen);
/* Field path: push ".key" (or "key" at the start), "[i]" or "[label]";
 * each returns the mark input_obj_pop goes back to. */
size_t input_obj_push(struct input_obj *o, const char *key);
size_t input_obj_push_idx(struct input_obj *o, unsigned i);
size_t input_obj_push_bracket(struct input_obj *o, const char *key);
void input_obj_pop(struct input_obj *o, size_t mark);

/* Report at node at (NULL: the object's place), for the current path plus
 * ".key" when key is not NULL. */
void input_obj_err(struct input_obj *o, const struct input_node *at, const char *key,
		   const char *fmt, ...) SN_PRINTF(4, 5);
void input_obj_warn(struct input_obj *o, const struct input_node *at, const char *key,
		    const char *fmt, ...) SN_PRINTF(4, 5);
void input_obj_note(struct input_obj *o, const struct input_node *at, const char *key,
		    const char *fmt, ...) SN_PRINTF(4, 5);
/* Say how many errors were not printed. Returns true when o had none. */
bool input_obj_finish(struct input_obj *o);

/* ---- typed getters: m is a map (or NULL); key NULL checks m itself ---- */

/* A string without control characters (NUL, newline, DEL... are refused:
 * no byte of a manifest may break the nft script later). */
int input_want_str(struct input_obj *o, const struct input_node *n, const char *key);
int input_get_str(struct input_obj *o, const struct input_node *m, const char *key,
		  const struct input_node **out);
int input_get_int(struct input_obj *o, const struct input_node *m, const char *key, int64_t *v,
		  const struct input_node **out);
int input_get_bool(struct input_obj *o, const struct input_node *m, const char *key, bool *v);
int input_get_seq(struct input_obj *o, const struct input_node *m, const char *key,
		  const struct input_node **out);
int input_get_map(struct input_obj *o, const struct input_node *m, const char *key,
		  const struct input_node **out);
/* n itself must be a map (a list item): reports "expected a map". */
bool input_want_map(struct input_obj *o, const struct input_node *n, const char *key);

struct input_enum {
	const char *name;
	int value;
	bool hidden;	/* accepted, not listed as allowed (legacy spellings) */
};

/* TCP, UDP, SCTP as IPPROTO_*; IPv4, IPv6 as SN_AF_*. */
extern const struct input_enum input_protocols[];
extern const struct input_enum input_families[];
/* "TCP" for IPPROTO_TCP...: Kubernetes' spelling, for messages. */
const char *input_proto_name(uint8_t proto);

/* One of tab (NULL-name terminated), exact spelling. what: "a protocol". */
int input_get_enum(struct input_obj *o, const struct input_node *m, const char *key,
		   const char *what, const struct input_enum *tab, int *out,
		   const struct input_node **at);

/* Warn about each key of map m not in known (NULL-terminated): Kubernetes'
 * strict field validation refuses them. A warning, not an error, so that a
 * field of a newer Kubernetes does not stop a load, while a misspelt one
 * ("sessionAfinity") is seen, with the field it probably meant. */
void input_check_fields(struct input_obj *o, const struct input_node *m,
			const char *const *known);

/* ---- Kubernetes values ---- */

enum input_name_rule {
	INPUT_NAME_DNS1035_LABEL,	/* Service names */
	INPUT_NAME_DNS_LABEL,		/* namespaces, Service and slice port names */
	INPUT_NAME_DNS_SUBDOMAIN,	/* EndpointSlice, Endpoints, Node names, nodeName */
	INPUT_NAME_IANA_SVC,		/* named targetPort */
	INPUT_NAME_LABEL_VALUE,		/* zones (label values) */
};

bool input_name_ok(enum input_name_rule rule, const char *s);
/* Check a string node against rule; what: "Service name". */
bool input_check_name(struct input_obj *o, const struct input_node *n, const char *key,
		      enum input_name_rule rule, const char *what);

/* A port number 1-65535 at m.key: INPUT_SET with *port. */
int input_get_port(struct input_obj *o, const struct input_node *m, const char *key,
		   uint16_t *port, bool zero_ok);

/* Parse a string node as an address (family 0 = any). 0 or -1. */
int input_parse_ip(const struct input_node *n, struct sn_addr *a);
/* Parse "addr/len" (a slash is required; host bits are allowed and cleared,
 * as Kubernetes' ParseCIDRSloppy does). Leading and trailing blanks are
 * trimmed when trim. 0 or -1. */
int input_parse_cidr(const char *s, size_t len, bool trim, struct sn_addr *p);
/* Why the API server refuses an endpoint address or an externalIP, or
 * NULL: unspecified, loopback, link-local unicast or link-local multicast
 * (pkg/apis/core/validation ValidateNonSpecialIP; other multicast and the
 * broadcast address are accepted, as there). */
const char *input_endpoint_ip_problem(const struct sn_addr *a);

/* Is a Kubernetes list (of distinct values) duplicated? For n items,
 * compare via cmp(ctx, i, j); calls dup(ctx, first, second) for each item
 * equal to an earlier one. O(n log n). */
void input_find_dups(unsigned n, int (*cmp)(void *ctx, unsigned i, unsigned j),
		     void (*dup)(void *ctx, unsigned first, unsigned second), void *ctx);

/* ---- the objects ---- */

/* What the dispatcher read from metadata before the kind's reader runs. */
struct input_meta {
	const char *name;		/* NULL when missing or not a string */
	const char *ns;			/* "default" when absent; NULL for cluster-scoped kinds */
	bool valid;			/* name (and namespace) are valid Kubernetes names */
	const struct input_node *labels;	/* map or NULL */
	const struct input_node *annotations;	/* map or NULL */
};

/* A label's value: INPUT_SET (a string, "" for null), INPUT_ABSENT, or
 * INPUT_BAD (reported). */
int input_get_label(struct input_obj *o, const struct input_meta *meta, const char *key,
		    const struct input_node **out);
bool input_has_label(const struct input_meta *meta, const char *key);

struct svc_world;

typedef void input_read_fn(struct svc_world *w, struct input_obj *o,
			   const struct input_node *root, const struct input_meta *meta);

input_read_fn input_read_service;
input_read_fn input_read_slice;
input_read_fn input_read_endpoints;
input_read_fn input_read_node;

/* Read a file into memory (at most INPUT_MAX_FILE_SIZE); NULL after
 * reporting why to d. */
char *input_read_file(struct sn_diag *d, const char *path, size_t *len);

#endif
