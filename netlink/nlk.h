/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * netlink/nlk.h: svcnft's ruleset model (rules/rs.h) to and from the kernel,
 * by netlink (libnftnl + libmnl), never through the nft binary.
 *
 *   encode.c   rs tables, chains, sets, elements and rules -> libnftnl objects,
 *              exactly as nft 1.0.6 encodes their printed form
 *   decode.c   libnftnl objects -> rs objects; a rule's expressions are matched
 *              against what encode.c produces, anything else is RS_S_FOREIGN
 *   sock.c     the NETLINK_NETFILTER socket, generation id, dumps
 *   read.c     svcnft's tables from the kernel into an rs_ruleset
 *   batch.c    an rs_diff -> one nftnl_batch (BEGIN ... END) -> one sendmsg,
 *              every ACK drained and mapped back to the object it was about
 *   ct.c       after an apply: deleting the conntrack entries and runtime
 *              set elements the caller says are stale (which ones is a
 *              question about the model: compiler/frontends.h)
 *
 * This layer never looks at a Service: errors name chains, sets and rules;
 * cli/ maps a chain to the Service that owns it.
 *
 * Ownership: nlk_sock owns its socket; nlk_batch owns its pages and its
 * sequence table (which borrows from the rs_diff it was built from: the diff
 * and both rulesets must outlive the batch); nlk_result owns its error
 * records. Every *_free(NULL) is a no-op. Functions that can fail return -1
 * (or NULL) and append why to a caller's sn_buf (which may be NULL).
 */
#ifndef SVCNFT_NLK_H
#define SVCNFT_NLK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/sn.h"
#include "rules/rs.h"

struct nlmsghdr;
struct nftnl_table;
struct nftnl_chain;
struct nftnl_set;
struct nftnl_rule;

/* ---- encode (encode.c) ---- */

/* nft add table FAMILY NAME { comment "..." } */
struct nftnl_table *nlk_table_build(const struct rs_table *t);
/* nft add chain FAMILY TABLE NAME [{ type T hook H priority P; }] */
struct nftnl_chain *nlk_chain_build(const struct rs_table *t, const struct rs_chain *c);
/* nft add set|map FAMILY TABLE NAME { type ...; flags ...; size N; comment "..."; }
 * The declaration only: elements are added with nlk_elem_add(). */
struct nftnl_set *nlk_set_build(const struct rs_table *t, const struct rs_set *s);
/* Append element e of s to ns (an nftnl_set naming the set): its key, and
 * unless key_only (a delete needs no more) its data or verdict. Returns -1
 * if e cannot be encoded under s's type. */
int nlk_elem_add(struct nftnl_set *ns, const struct rs_set *s, const struct rs_elem *e,
		 bool key_only, struct sn_buf *why);
/* nft add rule FAMILY TABLE CHAIN STATEMENTS [comment "..."]
 * t gives the sets the rule refers to (for interval concatenations). */
struct nftnl_rule *nlk_rule_build(const struct rs_table *t, const struct rs_chain *c,
				  const struct rs_rule *r, struct sn_buf *why);

/* ---- decode (decode.c) ---- */

/* Add the table, chain or set described by a kernel object to rs / t.
 * Attributes that the model cannot express make the object differ from
 * any desired one (a chain's type, a set's key type), so the diff
 * replaces it. */
struct rs_table *nlk_table_decode(struct rs_ruleset *rs, const struct nftnl_table *nt);
struct rs_chain *nlk_chain_decode(struct rs_table *t, const struct nftnl_chain *nc);
struct rs_set *nlk_set_decode(struct rs_table *t, const struct nftnl_set *ns);
/* Append the elements held by ns (a GETSETELEM answer) to s. */
void nlk_elems_decode(struct rs_set *s, enum rs_family f, const struct nftnl_set *ns);
/* The same, straight from one NEWSETELEM message (a dump's answer) with no
 * libnftnl object per element: what the read of a big table uses. Returns
 * -1 on a message too short to be one. */
struct nlmsghdr;
int nlk_elems_decode_msg(struct rs_set *s, enum rs_family f, const struct nlmsghdr *nlh);
/* Append the rule nr to c. t must already hold the table's sets. */
struct rs_rule *nlk_rule_decode(struct rs_table *t, struct rs_chain *c, const struct nftnl_rule *nr);

/* ---- socket (sock.c) ---- */
struct nlk_sock;

struct nlk_sock *nlk_open(struct sn_buf *why);
void nlk_close(struct nlk_sock *s);
/* The ruleset generation id (NFT_MSG_GETGEN). */
int nlk_genid(struct nlk_sock *s, uint32_t *genid, struct sn_buf *why);
/* Send one request (a dump or a get) and pass each answer to cb.
 * ENOENT is not an error: the callback is just never called. */
typedef int (*nlk_cb)(const struct nlmsghdr *nlh, void *data);
int nlk_request(struct nlk_sock *s, struct nlmsghdr *nlh, nlk_cb cb, void *data,
		struct sn_buf *why);
uint32_t nlk_next_seq(struct nlk_sock *s);

/* ---- read (read.c) ---- */

/* Which tables to read, and which sets' elements to leave out (the ones
 * the packet path fills: hint's sets with elems_runtime; their read twins
 * get elems_runtime too and no elements). hint may be NULL. */
struct nlk_read_spec {
	const struct rs_ruleset *hint;
	struct {
		enum rs_family family;
		const char *name;
	} tables[4];
	unsigned ntables;
	bool tables_only;	/* just which tables exist (cleanup) */
};

/* Read the tables under one generation id: take it before and after the
 * dumps, and read again if it moved. out->genid is the generation read.
 * Tables that do not exist are absent from *out. */
int nlk_read(struct nlk_sock *s, const struct nlk_read_spec *spec, struct rs_ruleset **out,
	     struct sn_buf *why);
/* The spec that reads every table of want (for apply and diff). */
void nlk_read_spec_from(struct nlk_read_spec *spec, const struct rs_ruleset *want);

/* ---- batch (batch.c) ---- */

/* How many ACKs and errors a batch produced, for people. */
struct nlk_error {
	int err;		/* positive errno */
	char *what;		/* "add rule ip svcnft svc-... (rule 3: ...)" */
	char *chain;		/* the chain the failed message was about, or NULL */
	char *extack;		/* the kernel's extended ACK message, or NULL */
	/* The object, for a caller that maps it back to its owner (borrowed
	 * from the rs_diff the batch was built from): the operation, and for
	 * an element message the elements it carried and, when the kernel
	 * pointed at one, that element. NULL / 0 when unknown. */
	const struct rs_op *op;
	const struct rs_elem *const *elems;
	size_t nelems;
	const struct rs_elem *elem;
};

struct nlk_result {
	size_t msgs, bytes;	/* of the batch, BEGIN and END included */
	double ms;		/* sendmsg to the last ACK */
	size_t acks;		/* ACKs read */
	bool restart;		/* the kernel answered ERESTART: the generation moved */
	bool lost_acks;		/* ENOBUFS: some ACKs were lost (outcome from the genid) */
	struct nlk_error *errs;
	size_t nerrs, errs_cap;
};

void nlk_result_free(struct nlk_result *r);

struct nlk_batch_opts {
	uint32_t genid;		/* 0 = no generation check */
	uint32_t seq;		/* first sequence number; 0 = derived from the clock */
	bool check;		/* leave END out: the kernel validates, then aborts */
	bool destroy_elems;	/* element deletes ignore missing elements (kernel >= 6.3) */
	/* Test hook: corrupt the first rule message of this chain so that the
	 * kernel refuses it (the kernel-tier refusal test). NULL = none. */
	const char *corrupt_chain;
	/* Test hook: send this element (of an ADD_ELEMS or DEL_ELEMS op) with
	 * a key the kernel refuses. NULL = none. */
	const struct rs_elem *corrupt_elem;
	/* Test hook: the first added element whose comment starts with this
	 * and a space (a Service's "ns/name ") gets a timeout its set does not
	 * allow, so that the kernel refuses that one element in the middle of
	 * its message (the element-error test). NULL = none. */
	const char *corrupt_elem_owner;
	/* Test hook: the receive buffer in bytes instead of one sized for
	 * every ACK, so that a small value makes the kernel drop ACKs
	 * (ENOBUFS: the lost-ACK test). 0 = sized for the ACKs. */
	int test_rcvbuf;
	/* Test hook: one more message, a rule for a chain that no Service
	 * owns and the table lacks, which the kernel refuses (ENOENT): a
	 * batch refused whole, not isolable to one Service (the agent's
	 * healthz test). */
	bool corrupt_common;
};

struct nlk_batch;

/* Build the batch for d. NULL on a model the encoder cannot express. */
struct nlk_batch *nlk_batch_build(const struct rs_diff *d, const struct nlk_batch_opts *o,
				  struct sn_buf *why);
void nlk_batch_free(struct nlk_batch *b);
size_t nlk_batch_msgs(const struct nlk_batch *b);
size_t nlk_batch_bytes(const struct nlk_batch *b);
/* The pages, for tests: n iovecs filled, returns how many there are. */
int nlk_batch_iov(struct nlk_batch *b, void *iov, int n);

enum nlk_send_status {
	NLK_SENT = 0,		/* committed (or, with check, validated) */
	NLK_REFUSED = 1,	/* the kernel refused it: nothing changed; r->errs says why */
	NLK_RESTART = 2,	/* the generation moved since the read: read again */
	NLK_FAILED = -1,	/* socket trouble or lost answers: why says; the outcome
				 * is unknown, so the caller must read the kernel again */
};

/* Send b in one sendmsg and drain every ACK. */
enum nlk_send_status nlk_batch_send(struct nlk_sock *s, struct nlk_batch *b,
				    struct nlk_result *r, struct sn_buf *why);

/* ---- after an apply (ct.c): conntrack and runtime elements ---- */

struct nlk_ct_stats {
	size_t frontends;	/* frontends whose entries were looked at */
	size_t ct_deleted;	/* conntrack entries deleted */
	size_t aff_deleted;	/* runtime (affinity) elements deleted */
};

/* A reply source that is fine: an endpoint the frontend may choose. */
struct nlk_ct_ep {
	struct sn_addr addr;
	uint16_t port;
};

/*
 * A frontend as conntrack sees it: entries of proto whose original
 * destination is addr:port, or, for any_addr (a NodePort), any address
 * with that port that is no other frontend's. This layer knows nothing of
 * Services: the caller says which frontends to clean and what to keep.
 */
struct nlk_ct_frontend {
	uint8_t family;		/* SN_AF_INET or SN_AF_INET6 */
	uint8_t proto;		/* IPPROTO_* */
	bool any_addr;
	struct sn_addr addr;	/* unless any_addr */
	uint16_t port;
	/* Clean: delete its entries whose reply source is not in keep. Not
	 * clean: leave them; listed only so that its entries are never taken
	 * for a NodePort's of the same port. */
	bool clean;
	const struct nlk_ct_ep *keep;
	size_t nkeep;
};

/* A range of destinations the caller owns for proto (the service CIDR:
 * svcnft drops what no Service has there): an entry of proto to an address
 * in it that is no frontend's is stale, its Service or port deleted. */
struct nlk_ct_owned {
	uint8_t proto;
	struct sn_addr prefix;
};

/* conntrack -L -f FAMILY, then conntrack -D for each entry of a frontend
 * to clean whose reply source is not one it keeps (a flow DNATed to an
 * endpoint that is gone, or one the node answered before the frontend
 * existed), and each entry into an owned range that no frontend has. One
 * kernel-filtered dump per family with a frontend to clean or a range. */
int nlk_ct_clear(const struct nlk_ct_frontend *fs, size_t n, const struct nlk_ct_owned *owned,
		 size_t nowned, struct nlk_ct_stats *st, struct sn_buf *why);

/* The rule nlk_ct_clear() applies to each entry, on its own for tests:
 * is a conntrack entry of proto to dst:dport answered by rsrc:sport stale?
 * The match borrows fs and owned. */
struct nlk_ct_match;
struct nlk_ct_match *nlk_ct_match_new(const struct nlk_ct_frontend *fs, size_t n,
				      const struct nlk_ct_owned *owned, size_t nowned);
bool nlk_ct_match_stale(const struct nlk_ct_match *x, uint8_t family, uint8_t proto,
			const struct sn_addr *dst, uint16_t dport, const struct sn_addr *rsrc,
			uint16_t sport);
void nlk_ct_match_free(struct nlk_ct_match *x);

/* Whether one element of a runtime set is stale (the caller's knowledge of
 * what the set means). */
typedef bool (*nlk_elem_stale_fn)(const struct rs_set *set, enum rs_family f,
				  const struct rs_elem *e, void *ctx);
/* Read the elements the packet path put into set (of table t), and delete
 * in one batch those stale() says are stale. */
int nlk_runtime_elems_prune(struct nlk_sock *s, const struct rs_table *t, const struct rs_set *set,
			    nlk_elem_stale_fn stale, void *ctx, struct nlk_ct_stats *st,
			    struct sn_buf *why);

#endif
