/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * netlink/internal.h: shared by the files of netlink/ only.
 *
 * Between rs statements and libnftnl expressions sits a small normalised
 * form of one kernel expression, struct nlk_x. The encoder writes a rule as
 * nlk_x items and turns them into nftnl_expr objects; the decoder turns the
 * kernel's nftnl_expr objects into nlk_x items (folding what the kernel adds
 * on its own: default flags, the NAT flags implied by registers, maximum
 * registers equal to minimum ones) and accepts a statement only when
 * encoding it again gives the same items. So decode(encode(r)) == r by
 * construction, and whatever encode.c cannot produce becomes RS_S_FOREIGN.
 */
#ifndef SVCNFT_NLK_INTERNAL_H
#define SVCNFT_NLK_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "netlink/nlk.h"
#include "rules/rs.h"

struct nftnl_expr;

enum nlk_xop {
	NLK_X_PAYLOAD,		/* payload load */
	NLK_X_META,		/* meta load */
	NLK_X_META_SET,		/* meta set */
	NLK_X_CT,		/* ct load */
	NLK_X_CMP,
	NLK_X_BITWISE,		/* boolean: (sreg & mask) ^ xor */
	NLK_X_BYTEORDER,
	NLK_X_LOOKUP,
	NLK_X_DYNSET,
	NLK_X_IMM,		/* immediate data or verdict */
	NLK_X_NAT,
	NLK_X_MASQ,
	NLK_X_REJECT,
	NLK_X_FIB,
	NLK_X_NUMGEN,
	NLK_X_COUNTER,
	__NLK_X_MAX
};

/* Registers are kept as 32-bit word indexes 0..15 (NFT_REG32_00 + i on the
 * wire, or NFT_REG_1 + i / 4 when i is a multiple of 4, as nft writes them). */
#define NLK_REG_NONE 0xff
#define NLK_REG_VERDICT 0xfe
#define NLK_REG_WORDS 16	/* NFT_REG32_COUNT */

struct nlk_x {
	uint8_t op;		/* enum nlk_xop */
	uint8_t dreg;		/* loads, bitwise, byteorder, lookup (NONE: no data), imm, fib, numgen */
	uint8_t sreg;		/* cmp, bitwise, byteorder, lookup, dynset key, meta set, nat address */
	uint8_t sreg2;		/* dynset data, nat port (NONE: absent) */
	int8_t dir;		/* ct direction; -1 = none */
	uint32_t key;		/* payload base; meta/ct key; cmp op; fib result; numgen type;
				 * nat type; reject type; byteorder op; dynset op */
	uint32_t offset;	/* payload offset; numgen offset */
	uint32_t len;		/* payload, bitwise, byteorder length; numgen modulus */
	uint32_t size;		/* byteorder size; reject code; nat family */
	uint32_t flags;		/* fib, masq, lookup, dynset flags; nat flags less the implied bits */
	uint32_t wire_flags;	/* nat: the flags attribute to send (not compared) */
	uint64_t timeout_ms;	/* dynset */
	int32_t verdict;	/* imm to the verdict register */
	const char *name;	/* lookup/dynset set, imm chain (borrowed) */
	uint8_t dlen;		/* cmp, imm data; bitwise mask/xor length */
	uint8_t data[16];
	uint8_t mask[16];
	uint8_t xor_[16];
};

/* A growable list of items; owns nothing but its array. */
struct nlk_xs {
	struct nlk_x *v;
	size_t n, cap;
};

void nlk_xs_free(struct nlk_xs *xs);
struct nlk_x *nlk_xs_add(struct nlk_xs *xs, enum nlk_xop op);
bool nlk_x_eq(const struct nlk_x *a, const struct nlk_x *b);

/* Encode statement i of r (its predecessors decide implicit dependencies)
 * into xs. Returns -1 if it cannot be encoded. */
int nlk_stmt_encode(const struct rs_table *t, const struct rs_rule *r, uint16_t i,
		    struct nlk_xs *xs, struct sn_buf *why);
/* The libnftnl expression for one item. */
struct nftnl_expr *nlk_x_build(const struct nlk_x *x);
/* The item for one kernel expression; false if it is none encode.c makes. */
bool nlk_x_parse(const struct nftnl_expr *e, struct nlk_x *x);

/* Helpers shared by encode and decode. */
unsigned nlk_field_len(enum rs_family f, enum rs_field field);
/* Width of a key or data type in an element (0 for verdict / none). */
unsigned nlk_type_len(enum rs_type t);
/* nft's datatype number (TYPE_IPADDR, ...), and back. */
uint32_t nlk_type_id(enum rs_type t);
enum rs_type nlk_type_from_id(uint32_t id);
/* A set is an interval concatenation (pipapo, KEY_END in its elements). */
bool nlk_set_is_concat_interval(const struct rs_set *s);

/* An element key or data in its wire form: each concatenated field padded
 * to 4 bytes; a single field as wide as its type. */
#define NLK_DATA_MAX 64	/* NFT_DATA_VALUE_MAXLEN */
struct nlk_blob {
	uint8_t b[NLK_DATA_MAX];
	uint32_t len;
};

/* Wire message names for errors and comments: "add rule", "delete chain". */
const char *nlk_family_str(enum rs_family f);

#endif
