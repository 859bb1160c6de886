/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rules/rs.h: svcnft's ruleset model (IR): tables, chains, rules, sets, maps
 * and elements, its printer in nft syntax and the diff of two rulesets.
 * It knows nothing of Kubernetes or of sockets.
 *
 * A rule is a short list of statements drawn from the small vocabulary that
 * svcnft emits (see enum rs_stmt_type). Each statement prints as one nft
 * fragment and encodes as a fixed sequence of kernel expressions
 * (netlink/). Anything found in the kernel that is not in this vocabulary is
 * kept as an RS_S_FOREIGN statement, which never equals a desired one, so the
 * diff replaces it.
 *
 * Ownership: a ruleset owns its tables, a table its chains and sets, a chain
 * its rules, a set its elements. Setters copy strings. Getters return
 * borrowed pointers. rs_*_free(NULL) is a no-op.
 */
#ifndef SVCNFT_RS_H
#define SVCNFT_RS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/sn.h"

enum rs_family {
	RS_IP = 2,	/* NFPROTO_IPV4: "ip" */
	RS_IP6 = 10,	/* NFPROTO_IPV6: "ip6" */
};
const char *rs_family_name(enum rs_family f);

/* Packet fields that appear in matches, lookup keys and map data. */
enum rs_field {
	RS_F_SADDR,		/* ip saddr | ip6 saddr */
	RS_F_DADDR,		/* ip daddr | ip6 daddr */
	RS_F_L4PROTO,		/* meta l4proto */
	RS_F_DPORT,		/* th dport */
	RS_F_CT_ODADDR,		/* ct original ip daddr | ct original ip6 daddr */
	RS_F_CT_OPROTO_DST,	/* ct original proto-dst: nft 1.0.6 types it from a preceding
				 * "meta l4proto P" in the same rule and refuses the script
				 * without one */
	RS_F_NUMGEN,		/* numgen random mod N (N is the key's mod): only inside a
				 * concatenated key, where it picks one of N elements */
	__RS_F_MAX
};

/* Types of set keys and map data, named as nft names them. */
enum rs_type {
	RS_T_NONE,
	RS_T_IPV4,	/* ipv4_addr, 4 bytes */
	RS_T_IPV6,	/* ipv6_addr, 16 bytes */
	RS_T_PROTO,	/* inet_proto, 1 byte */
	RS_T_SERVICE,	/* inet_service, 2 bytes big endian */
	RS_T_VERDICT,	/* verdict (map data only) */
	RS_T_INTEGER,	/* integer, 4 bytes host order: the value of numgen */
	__RS_T_MAX
};
const char *rs_type_name(enum rs_type t);

#define RS_KEY_MAX 5

/* A concatenation of packet fields: "ip daddr . meta l4proto . th dport". */
struct rs_key {
	uint8_t len;
	uint8_t field[RS_KEY_MAX];	/* enum rs_field */
	uint32_t mod;			/* the modulus of an RS_F_NUMGEN field */
};

enum rs_verdict_code {
	RS_V_NONE,
	RS_V_ACCEPT,
	RS_V_DROP,
	RS_V_RETURN,
	RS_V_JUMP,
	RS_V_GOTO,
};

struct rs_verdict {
	uint8_t code;	/* enum rs_verdict_code */
	char *chain;	/* JUMP and GOTO only; owned */
};

/* One typed value: an address (with a prefix length for interval fields and
 * CIDR matches), a protocol number or a port. */
struct rs_val {
	struct sn_addr addr;	/* RS_T_IPV4 / RS_T_IPV6 */
	uint16_t num;		/* RS_T_PROTO: protocol number; RS_T_SERVICE: port (host order) */
};

enum rs_stmt_type {
	RS_S_CMP,		/* field [!=] value: "ip daddr 198.18.0.10", "ip saddr != 198.19.0.0/16", "meta l4proto tcp" */
	RS_S_FIB_LOCAL,		/* "fib daddr type local" (field = RS_F_DADDR or RS_F_SADDR) */
	RS_S_CT_DNAT,		/* "ct status dnat" */
	RS_S_MARK_TEST,		/* "meta mark & M == M" */
	RS_S_NUMGEN,		/* "numgen random mod N 0" */
	RS_S_LOOKUP,		/* "KEY [!=] @set" */
	RS_S_MARK_SET,		/* "meta mark set meta mark | M" */
	RS_S_MARK_CLEAR,	/* "meta mark set meta mark & ~M" */
	RS_S_DNAT,		/* "dnat to ADDR:PORT" (the rule must match meta l4proto first) */
	RS_S_DNAT_MAP,		/* "dnat ip to KEY map @set" (map data: addr . port), or with
				 * val.num != 0 "dnat ip6 to KEY map @set : PORT" (map data: addr
				 * only, the port is val.num: IPv6 affinity, see docs/ruleset.md) */
	RS_S_MASQ,		/* "masquerade fully-random" */
	RS_S_UPDATE,		/* "update @set { KEY timeout Ns : DATA }"; timeout 0 and an empty
				 * data key are left out. nft 1.0.6 aborts (netlink_linearize.c
				 * register assertion) on an update whose KEY or DATA is wider
				 * than 16 bytes, e.g. any IPv6 address . port: such a rule
				 * prints correctly but the script cannot be loaded by nft -f */
	RS_S_REJECT,		/* "reject" or "reject with tcp reset" (tcp_reset) */
	RS_S_VMAP,		/* "KEY vmap @set", or with num != 0 and a one-field key
				 * "FIELD & MASK vmap @set": num holds the low 16 bits of
				 * the mask (the shard dispatch of a split set) */
	RS_S_VERDICT,		/* "accept", "drop", "return", "jump X", "goto X" */
	RS_S_COUNTER,		/* "counter" (no state kept in the model) */
	RS_S_FOREIGN,		/* found in the kernel, not svcnft's: text is a description */
	__RS_S_MAX
};

struct rs_stmt {
	uint8_t type;		/* enum rs_stmt_type */
	uint8_t neg;		/* CMP, LOOKUP: "!=" */
	uint8_t field;		/* CMP, FIB_LOCAL: enum rs_field */
	uint8_t tcp_reset;	/* REJECT */
	uint32_t num;		/* MARK_*: the mark bits; NUMGEN: modulus; UPDATE: timeout in seconds;
				 * VMAP: the mask of the low bits (0 = no mask) */
	struct rs_val val;	/* CMP: value (addr with plen for a prefix, or num); DNAT: addr + port */
	struct rs_key key;	/* LOOKUP, VMAP, DNAT_MAP, UPDATE */
	struct rs_key data;	/* UPDATE: data expression */
	char *set;		/* LOOKUP, VMAP, DNAT_MAP, UPDATE: set name (owned) */
	struct rs_verdict verdict; /* VERDICT */
	char *text;		/* FOREIGN: what it is, for people (owned) */
};

struct rs_rule {
	struct rs_stmt *stmts;
	uint16_t n, cap;
	char *comment;		/* owned; NULL = none; at most RS_COMMENT_MAX bytes */
	uint64_t handle;	/* kernel handle; 0 in a desired ruleset */
};

#define RS_COMMENT_MAX 128	/* nft's limit on comment strings (NFT_USERDATA_MAXLEN is 256) */
#define RS_NAME_MAX 255		/* NFT_NAME_MAXLEN - 1 */

enum rs_hook {
	RS_HOOK_NONE = -1,
	RS_HOOK_PREROUTING = 0,	/* NF_INET_PRE_ROUTING */
	RS_HOOK_INPUT = 1,
	RS_HOOK_FORWARD = 2,
	RS_HOOK_OUTPUT = 3,
	RS_HOOK_POSTROUTING = 4,
};

struct rs_chain {
	char *name;
	/* A note for people reading the script: printed as a "# ..." line above
	 * the chain by the printer, never sent to the kernel (chain comments
	 * cannot be updated in place, and the chain name already says what it is). */
	char *note;
	/* base chain: hook >= 0 */
	int hook;		/* enum rs_hook */
	char *type;		/* "nat", "filter" */
	int32_t prio;		/* e.g. -100 (dstnat), 100 (srcnat) */
	struct rs_rule *rules;
	uint32_t n, cap;
	uint64_t handle;	/* kernel handle; 0 in a desired ruleset */
	/* private to rules/: hash chaining */
	struct rs_chain *hnext;
	uint64_t hash;
};

enum rs_set_flags {
	RS_SET_INTERVAL = 1 << 0,	/* NFT_SET_INTERVAL */
	RS_SET_TIMEOUT = 1 << 1,	/* NFT_SET_TIMEOUT */
	RS_SET_DYNAMIC = 1 << 2,	/* NFT_SET_EVAL */
};

struct rs_elem {
	struct rs_val key[RS_KEY_MAX];	/* the last key field may be a prefix in an interval set */
	struct rs_val data[2];		/* map data that is not a verdict (addr . port) */
	struct rs_verdict verdict;	/* verdict maps */
	/* Sent to the kernel (element userdata) and compared by the diff like
	 * data, so a renamed comment replaces the element once, then
	 * converges; owned; NULL = none; at most RS_COMMENT_MAX bytes. */
	char *comment;
};

struct rs_set {
	char *name;
	char *comment;
	uint8_t nkey, ndata;
	uint8_t key[RS_KEY_MAX];	/* enum rs_type per concatenated field */
	uint8_t data[2];		/* enum rs_type; RS_T_VERDICT for a verdict map; ndata = 0 for a set */
	/* Declared by `typeof` (the only way nft 1.0.6 takes a numgen field):
	 * the expressions behind key and data, which also go into the set's
	 * udata for nft to list it. tkey.len = 0: declared by `type`. Not
	 * read back from the kernel (the types say the same for the diff). */
	struct rs_key tkey, tdata;
	uint32_t flags;			/* enum rs_set_flags */
	uint32_t size;			/* 0 = unspecified */
	struct rs_elem *elems;
	size_t n, cap;
	bool elems_runtime;		/* filled by the packet path (dynamic): the diff ignores its elements */
	uint64_t handle;
	/* private to rules/ */
	struct rs_set *hnext;
	uint64_t hash;
	bool sorted;
	size_t elems_maplen;		/* elems is an mmap of this many bytes; 0: malloc */
};

struct rs_table {
	enum rs_family family;
	char *name;
	char *comment;
	struct rs_chain **chains;	/* in print order */
	size_t nchains, chains_cap;
	struct rs_set **sets;		/* in print order */
	size_t nsets, sets_cap;
	uint64_t handle;
	/* private to rules/: name lookup */
	struct rs_chain **chain_ht;
	struct rs_set **set_ht;
	size_t chain_ht_size, set_ht_size;
};

struct rs_ruleset {
	struct rs_table **tables;
	size_t n, cap;
	uint32_t genid;		/* kernel ruleset generation when read; 0 for a desired ruleset */
};

/* ---- objects ---- */
struct rs_ruleset *rs_ruleset_alloc(void);
void rs_ruleset_free(struct rs_ruleset *rs);
/* NULL if the table exists already, or the name is empty or too long. */
struct rs_table *rs_ruleset_add_table(struct rs_ruleset *rs, enum rs_family f, const char *name);
struct rs_table *rs_ruleset_find_table(const struct rs_ruleset *rs, enum rs_family f, const char *name);

void rs_table_set_comment(struct rs_table *t, const char *comment);
/* Add a regular chain (hook = RS_HOOK_NONE) or a base chain. Names are unique in a table;
 * adding an existing name returns NULL. */
struct rs_chain *rs_table_add_chain(struct rs_table *t, const char *name);
struct rs_chain *rs_table_add_base_chain(struct rs_table *t, const char *name, const char *type,
					 enum rs_hook hook, int32_t prio);
struct rs_chain *rs_table_find_chain(const struct rs_table *t, const char *name);
bool rs_table_del_chain(struct rs_table *t, const char *name);
struct rs_set *rs_table_add_set(struct rs_table *t, const char *name);
struct rs_set *rs_table_find_set(const struct rs_table *t, const char *name);
bool rs_table_del_set(struct rs_table *t, const char *name);
/* Sort chains and sets the way the printer and the diff expect (stable). */
void rs_table_sort(struct rs_table *t);

void rs_chain_set_note(struct rs_chain *c, const char *note);
struct rs_rule *rs_chain_add_rule(struct rs_chain *c);
void rs_chain_flush(struct rs_chain *c);

/* Rule builders: each appends one statement. */
void rs_rule_set_comment(struct rs_rule *r, const char *comment);
void rs_rule_cmp_addr(struct rs_rule *r, enum rs_field f, bool neg, const struct sn_addr *a);
void rs_rule_cmp_proto(struct rs_rule *r, uint8_t proto);	/* meta l4proto P */
void rs_rule_cmp_port(struct rs_rule *r, bool neg, uint16_t port);	/* th dport P */
void rs_rule_fib_local(struct rs_rule *r, enum rs_field saddr_or_daddr);
void rs_rule_ct_dnat(struct rs_rule *r);
void rs_rule_mark_test(struct rs_rule *r, uint32_t bits);
void rs_rule_numgen(struct rs_rule *r, uint32_t mod);
void rs_rule_lookup(struct rs_rule *r, const struct rs_key *k, bool neg, const char *set);
void rs_rule_mark_set(struct rs_rule *r, uint32_t bits);
void rs_rule_mark_clear(struct rs_rule *r, uint32_t bits);
void rs_rule_dnat(struct rs_rule *r, const struct sn_addr *a, uint16_t port);
void rs_rule_dnat_map(struct rs_rule *r, const struct rs_key *k, const char *map);
void rs_rule_dnat_map_port(struct rs_rule *r, const struct rs_key *k, const char *map,
			   uint16_t port);
void rs_rule_masq(struct rs_rule *r);
void rs_rule_update(struct rs_rule *r, const char *set, const struct rs_key *k,
		    uint32_t timeout_s, const struct rs_key *data);
void rs_rule_reject(struct rs_rule *r, bool tcp_reset);
void rs_rule_vmap(struct rs_rule *r, const struct rs_key *k, const char *map);
/* FIELD & MASK vmap @map: mask of the field's low 16 bits (an address's
 * last two bytes, a port); the shard dispatch of a split set */
void rs_rule_vmap_masked(struct rs_rule *r, enum rs_field field, uint16_t mask, const char *map);
void rs_rule_verdict(struct rs_rule *r, enum rs_verdict_code code, const char *chain);
void rs_rule_counter(struct rs_rule *r);
void rs_rule_foreign(struct rs_rule *r, const char *text);
/* Append a copy of statement s (used by the kernel reader). */
void rs_rule_add_stmt(struct rs_rule *r, const struct rs_stmt *s);
void rs_rule_free_contents(struct rs_rule *r);
/* Same statements, field by field where the statement type uses the field,
 * and the same comment (NULL and "" alike). A FOREIGN statement is never
 * equal to anything, not even to itself. */
bool rs_rule_eq(const struct rs_rule *a, const struct rs_rule *b);

/* Key helper: RS_KEY(RS_F_DADDR, RS_F_L4PROTO, RS_F_DPORT) */
#define RS_KEY(...)                                                                \
	((struct rs_key){ .len = sizeof((uint8_t[]){ __VA_ARGS__ }),               \
			  .field = { __VA_ARGS__ } })
/* The same with a trailing "numgen random mod N":
 * RS_KEY_NG(4, RS_F_DADDR, RS_F_L4PROTO, RS_F_DPORT) */
#define RS_KEY_NG(n, ...)                                                          \
	((struct rs_key){ .len = sizeof((uint8_t[]){ __VA_ARGS__ }) + 1,           \
			  .field = { __VA_ARGS__, RS_F_NUMGEN }, .mod = (n) })

void rs_set_set_comment(struct rs_set *s, const char *comment);
/* Declare the key (and data) types; ndata = 0 for a plain set. */
void rs_set_set_type(struct rs_set *s, uint8_t nkey, const uint8_t *key, uint8_t ndata,
		     const uint8_t *data);
/* Declare the key and data as packet expressions (`typeof`); the types
 * follow from the fields in family f. */
void rs_set_set_typeof(struct rs_set *s, enum rs_family f, const struct rs_key *key,
		       const struct rs_key *data);
/* Set an element's comment (a copy, made safe for nft). */
void rs_elem_set_comment(struct rs_elem *e, const char *comment);
/* Append an element: the caller fills it. Elements are kept sorted on demand. */
struct rs_elem *rs_set_add_elem(struct rs_set *s);
/* Sort by key, ties by data; marks the set sorted until the next
 * rs_set_add_elem (change elements in place only before sorting). In a set
 * without RS_SET_INTERVAL prefix lengths of key addresses are ignored. */
void rs_set_sort(struct rs_set *s);
/* Compare two elements' keys under s's type (prefix lengths included). */
int rs_elem_key_cmp(const struct rs_set *s, const struct rs_elem *a, const struct rs_elem *b);
bool rs_elem_data_eq(const struct rs_set *s, const struct rs_elem *a, const struct rs_elem *b);
/* Binary search in a sorted set. */
const struct rs_elem *rs_set_find_elem(const struct rs_set *s, const struct rs_elem *key);
void rs_elem_free_contents(struct rs_elem *e);
bool rs_set_type_eq(const struct rs_set *a, const struct rs_set *b);
/* Width in bytes of a type; its kernel register width is rounded up to 4. */
unsigned rs_type_len(enum rs_type t);	/* 0 for RS_T_NONE and RS_T_VERDICT */

/* The nft type of a packet field in family f. */
enum rs_type rs_field_type(enum rs_family f, enum rs_field field);

/* ---- printer: nft syntax, as `nft -f` reads it ---- */
/* Print the whole table as one "table FAMILY NAME { ... }" block. */
/* Objects print in array order: call rs_table_sort first. Elements of an
 * elems_runtime set are never printed (they would come back without their
 * timeouts). Chain and set notes and comments are printed sanitised. */
void rs_print_table(FILE *out, const struct rs_table *t);
void rs_print_ruleset(FILE *out, const struct rs_ruleset *rs);
/* Print one fragment: used by the printer, the diff and error messages. */
void rs_print_rule(struct sn_buf *b, enum rs_family f, const struct rs_rule *r);
void rs_print_elem(struct sn_buf *b, enum rs_family f, const struct rs_set *s,
		   const struct rs_elem *e);
/* The "set|map NAME { type, size, flags, comment }" block without elements,
 * and the "# note" + "chain NAME { base chain line }" block without rules,
 * each line prefixed by indent and ending in a newline. */
void rs_print_set_decl(struct sn_buf *b, const struct rs_set *s, const char *indent);
void rs_print_chain_decl(struct sn_buf *b, const struct rs_chain *c, const char *indent);
/* Quote a string for nft: returns false if it cannot be represented safely. */
bool rs_string_ok(const char *s);

/* ---- diff ---- */
enum rs_op_type {
	RS_OP_ADD_TABLE,
	RS_OP_ADD_SET,		/* set declared (no elements) */
	RS_OP_ADD_CHAIN,	/* chain declared (no rules) */
	RS_OP_FLUSH_CHAIN,	/* all rules of a chain removed */
	RS_OP_ADD_RULES,	/* all the desired rules of a chain appended */
	RS_OP_ADD_ELEMS,	/* elements added to a set */
	RS_OP_DEL_ELEMS,	/* elements removed from a set */
	RS_OP_DEL_CHAIN,
	RS_OP_DEL_SET,
	RS_OP_DEL_TABLE,
	__RS_OP_MAX
};

/* One operation. Pointers borrow from the two rulesets diffed; they must
 * outlive the diff. Operations are ordered so that applying them in order
 * never references an object before it exists or deletes one still referenced:
 * tables, sets, chains added; chains flushed; rules added; elements removed;
 * elements added; sets deleted (a dropped map may still point at a going
 * chain); chains deleted; tables deleted.
 * Two refinements of that order:
 * - a table that must be rebuilt (a set's type, flags or size changed, or a
 *   base chain's type, hook or priority: rare, only across svcnft upgrades)
 *   gets its DEL_TABLE first of all, before every ADD_TABLE, and is then
 *   added again in full; the batch stays one atomic transaction;
 * - a chain to be deleted that still has rules is flushed (FLUSH_CHAIN with
 *   new_chain NULL) before any chain is deleted, so that deleting chains in
 *   name order never hits one still jumped to by another chain going away.
 * Add ops point at desired objects, delete and flush ops at current ones
 * (table included). Within a kind: table order of `want` (then of `have`),
 * then sets by name, chains base chains first then by name. */
struct rs_op {
	uint8_t type;			/* enum rs_op_type */
	const struct rs_table *table;	/* the desired table (the current one for deletes) */
	const struct rs_chain *chain;	/* chain ops: desired chain, or current for DEL/FLUSH */
	const struct rs_set *set;	/* set ops: desired set, or current for DEL_ELEMS/DEL_SET */
	const struct rs_elem **elems;	/* ADD_ELEMS / DEL_ELEMS: owned array of borrowed pointers */
	size_t nelems;
	/* FLUSH_CHAIN: the desired chain whose rules replace the flushed ones
	 * (its ADD_RULES follows unless it has no rules), or NULL when the
	 * chain is flushed because it is deleted later in the batch. */
	const struct rs_chain *new_chain;
};

struct rs_diff {
	struct rs_op *ops;
	size_t n, cap;
	/* counts, for the one-line summary: chains_replaced counts chains
	 * flushed and refilled; rules_deleted the rules of flushed and deleted
	 * chains; elems_* the elements in ADD_ELEMS / DEL_ELEMS ops. Objects
	 * inside a deleted table are not counted one by one. */
	size_t chains_added, chains_deleted, chains_replaced;
	size_t rules_added, rules_deleted;
	size_t elems_added, elems_deleted;
	size_t sets_added, sets_deleted, tables_added, tables_deleted;
};

/* Compute the operations that turn `have` into `want`, restricted to the
 * tables present in `want` (and in `have` when delete_missing_tables).
 * Either side may be NULL (empty). Returns 0. Neither side needs sorting.
 * Not compared: table and set comments, chain notes (never sent or not
 * updatable in place), elements of sets whose desired side is elems_runtime. */
int rs_diff(const struct rs_ruleset *want, const struct rs_ruleset *have,
	    bool delete_missing_tables, struct rs_diff *out);
void rs_diff_free(struct rs_diff *d);
bool rs_diff_empty(const struct rs_diff *d);
/* Print the pending change readably ("+ chain ip svcnft svc-...", "- element ..."). */
void rs_diff_print(FILE *out, const struct rs_diff *d);

#endif
