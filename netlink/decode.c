// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * netlink/decode.c: kernel objects (as libnftnl parses them) -> rs objects.
 *
 * A rule is decoded by proposing, at each position of its expression list,
 * the statements that could start there (a comparison, a lookup, a DNAT...)
 * with their parameters read off the expressions, and keeping the first
 * one whose encoding (encode.c) gives exactly the expressions found. What
 * no proposal explains becomes one RS_S_FOREIGN statement describing the
 * rest of the rule: it never equals a desired statement, so the diff
 * replaces the chain.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "netlink/internal.h"

/* ---- kernel expression -> item ---- */

static bool parse_reg(uint32_t r, uint8_t *w)
{
	if (r == NFT_REG_VERDICT)
		*w = NLK_REG_VERDICT;
	else if (r >= NFT_REG_1 && r <= NFT_REG_4)
		*w = (uint8_t)((r - NFT_REG_1) * 4);
	else if (r >= NFT_REG32_00 && r < NFT_REG32_00 + NLK_REG_WORDS)
		*w = (uint8_t)(r - NFT_REG32_00);
	else
		return false;
	return true;
}

static bool get_reg(const struct nftnl_expr *e, uint16_t attr, uint8_t *w)
{
	if (!nftnl_expr_is_set(e, attr)) {
		*w = NLK_REG_NONE;
		return true;
	}
	return parse_reg(nftnl_expr_get_u32(e, attr), w);
}

static uint32_t get_u32_or(const struct nftnl_expr *e, uint16_t attr, uint32_t dflt)
{
	return nftnl_expr_is_set(e, attr) ? nftnl_expr_get_u32(e, attr) : dflt;
}

static bool get_data(const struct nftnl_expr *e, uint16_t attr, uint8_t *dst, uint8_t *dlen)
{
	uint32_t len = 0;
	const void *p = nftnl_expr_get(e, attr, &len);

	if (!p || len > 16)
		return false;
	memcpy(dst, p, len);
	*dlen = (uint8_t)len;
	return true;
}

typedef bool (*parse_fn)(const struct nftnl_expr *e, struct nlk_x *x);

static bool parse_payload(const struct nftnl_expr *e, struct nlk_x *x)
{
	if (nftnl_expr_is_set(e, NFTNL_EXPR_PAYLOAD_SREG))
		return false;	/* a payload write */
	x->op = NLK_X_PAYLOAD;
	x->key = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_BASE);
	x->offset = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET);
	x->len = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_LEN);
	return get_reg(e, NFTNL_EXPR_PAYLOAD_DREG, &x->dreg) && x->dreg != NLK_REG_NONE;
}

static bool parse_meta(const struct nftnl_expr *e, struct nlk_x *x)
{
	x->key = nftnl_expr_get_u32(e, NFTNL_EXPR_META_KEY);
	if (nftnl_expr_is_set(e, NFTNL_EXPR_META_SREG)) {
		x->op = NLK_X_META_SET;
		return get_reg(e, NFTNL_EXPR_META_SREG, &x->sreg);
	}
	x->op = NLK_X_META;
	return get_reg(e, NFTNL_EXPR_META_DREG, &x->dreg) && x->dreg != NLK_REG_NONE;
}

static bool parse_ct(const struct nftnl_expr *e, struct nlk_x *x)
{
	if (nftnl_expr_is_set(e, NFTNL_EXPR_CT_SREG))
		return false;	/* ct set */
	x->op = NLK_X_CT;
	x->key = nftnl_expr_get_u32(e, NFTNL_EXPR_CT_KEY);
	if (nftnl_expr_is_set(e, NFTNL_EXPR_CT_DIR))
		x->dir = (int8_t)nftnl_expr_get_u8(e, NFTNL_EXPR_CT_DIR);
	return get_reg(e, NFTNL_EXPR_CT_DREG, &x->dreg) && x->dreg != NLK_REG_NONE;
}

static bool parse_cmp(const struct nftnl_expr *e, struct nlk_x *x)
{
	x->op = NLK_X_CMP;
	x->key = nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_OP);
	return get_reg(e, NFTNL_EXPR_CMP_SREG, &x->sreg) &&
	       get_data(e, NFTNL_EXPR_CMP_DATA, x->data, &x->dlen);
}

static bool parse_bitwise(const struct nftnl_expr *e, struct nlk_x *x)
{
	uint8_t ml = 0, xl = 0;

	/* only the boolean form (mask and xor); shifts are not ours */
	if (get_u32_or(e, NFTNL_EXPR_BITWISE_OP, NFT_BITWISE_BOOL) != NFT_BITWISE_BOOL)
		return false;
	x->op = NLK_X_BITWISE;
	x->len = nftnl_expr_get_u32(e, NFTNL_EXPR_BITWISE_LEN);
	if (!get_data(e, NFTNL_EXPR_BITWISE_MASK, x->mask, &ml) ||
	    !get_data(e, NFTNL_EXPR_BITWISE_XOR, x->xor_, &xl) || ml != xl)
		return false;
	x->dlen = ml;
	return get_reg(e, NFTNL_EXPR_BITWISE_SREG, &x->sreg) &&
	       get_reg(e, NFTNL_EXPR_BITWISE_DREG, &x->dreg);
}

static bool parse_byteorder(const struct nftnl_expr *e, struct nlk_x *x)
{
	x->op = NLK_X_BYTEORDER;
	x->key = nftnl_expr_get_u32(e, NFTNL_EXPR_BYTEORDER_OP);
	x->len = nftnl_expr_get_u32(e, NFTNL_EXPR_BYTEORDER_LEN);
	x->size = nftnl_expr_get_u32(e, NFTNL_EXPR_BYTEORDER_SIZE);
	return get_reg(e, NFTNL_EXPR_BYTEORDER_SREG, &x->sreg) &&
	       get_reg(e, NFTNL_EXPR_BYTEORDER_DREG, &x->dreg);
}

static bool parse_lookup(const struct nftnl_expr *e, struct nlk_x *x)
{
	x->op = NLK_X_LOOKUP;
	x->name = nftnl_expr_get_str(e, NFTNL_EXPR_LOOKUP_SET);
	x->flags = get_u32_or(e, NFTNL_EXPR_LOOKUP_FLAGS, 0);
	return x->name && get_reg(e, NFTNL_EXPR_LOOKUP_SREG, &x->sreg) &&
	       get_reg(e, NFTNL_EXPR_LOOKUP_DREG, &x->dreg);
}

static bool parse_dynset(const struct nftnl_expr *e, struct nlk_x *x)
{
	/* expressions attached to the dynset (counters, limits) are not ours */
	if (nftnl_expr_is_set(e, NFTNL_EXPR_DYNSET_EXPR) ||
	    nftnl_expr_is_set(e, NFTNL_EXPR_DYNSET_EXPRESSIONS) ||
	    get_u32_or(e, NFTNL_EXPR_DYNSET_FLAGS, 0) != 0)
		return false;
	x->op = NLK_X_DYNSET;
	x->key = nftnl_expr_get_u32(e, NFTNL_EXPR_DYNSET_OP);
	x->name = nftnl_expr_get_str(e, NFTNL_EXPR_DYNSET_SET_NAME);
	if (nftnl_expr_is_set(e, NFTNL_EXPR_DYNSET_TIMEOUT))
		x->timeout_ms = nftnl_expr_get_u64(e, NFTNL_EXPR_DYNSET_TIMEOUT);
	return x->name && get_reg(e, NFTNL_EXPR_DYNSET_SREG_KEY, &x->sreg) &&
	       get_reg(e, NFTNL_EXPR_DYNSET_SREG_DATA, &x->sreg2);
}

static bool parse_immediate(const struct nftnl_expr *e, struct nlk_x *x)
{
	x->op = NLK_X_IMM;
	if (!get_reg(e, NFTNL_EXPR_IMM_DREG, &x->dreg) || x->dreg == NLK_REG_NONE)
		return false;
	if (x->dreg == NLK_REG_VERDICT) {
		x->verdict = (int32_t)nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT);
		if (nftnl_expr_is_set(e, NFTNL_EXPR_IMM_CHAIN))
			x->name = nftnl_expr_get_str(e, NFTNL_EXPR_IMM_CHAIN);
		return true;
	}
	return get_data(e, NFTNL_EXPR_IMM_DATA, x->data, &x->dlen);
}

static bool parse_nat(const struct nftnl_expr *e, struct nlk_x *x)
{
	uint8_t amax = NLK_REG_NONE, pmax = NLK_REG_NONE;

	x->op = NLK_X_NAT;
	x->key = nftnl_expr_get_u32(e, NFTNL_EXPR_NAT_TYPE);
	x->size = nftnl_expr_get_u32(e, NFTNL_EXPR_NAT_FAMILY);
	if (!get_reg(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, &x->sreg) ||
	    !get_reg(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, &x->sreg2) ||
	    !get_reg(e, NFTNL_EXPR_NAT_REG_ADDR_MAX, &amax) ||
	    !get_reg(e, NFTNL_EXPR_NAT_REG_PROTO_MAX, &pmax))
		return false;
	/* the kernel reports max = min when only min was given */
	if ((amax != NLK_REG_NONE && amax != x->sreg) || (pmax != NLK_REG_NONE && pmax != x->sreg2))
		return false;
	/* ... and adds the flags the registers imply */
	x->flags = get_u32_or(e, NFTNL_EXPR_NAT_FLAGS, 0) &
		   ~(uint32_t)(NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED);
	return true;
}

static bool parse_masq(const struct nftnl_expr *e, struct nlk_x *x)
{
	if (nftnl_expr_is_set(e, NFTNL_EXPR_MASQ_REG_PROTO_MIN) ||
	    nftnl_expr_is_set(e, NFTNL_EXPR_MASQ_REG_PROTO_MAX))
		return false;
	x->op = NLK_X_MASQ;
	x->flags = get_u32_or(e, NFTNL_EXPR_MASQ_FLAGS, 0);
	return true;
}

static bool parse_reject(const struct nftnl_expr *e, struct nlk_x *x)
{
	x->op = NLK_X_REJECT;
	x->key = nftnl_expr_get_u32(e, NFTNL_EXPR_REJECT_TYPE);
	/* the kernel keeps an ICMP code only for the ICMP types */
	if (x->key != NFT_REJECT_TCP_RST && nftnl_expr_is_set(e, NFTNL_EXPR_REJECT_CODE))
		x->size = nftnl_expr_get_u8(e, NFTNL_EXPR_REJECT_CODE);
	return true;
}

static bool parse_fib(const struct nftnl_expr *e, struct nlk_x *x)
{
	x->op = NLK_X_FIB;
	x->key = nftnl_expr_get_u32(e, NFTNL_EXPR_FIB_RESULT);
	x->flags = nftnl_expr_get_u32(e, NFTNL_EXPR_FIB_FLAGS);
	return get_reg(e, NFTNL_EXPR_FIB_DREG, &x->dreg);
}

static bool parse_numgen(const struct nftnl_expr *e, struct nlk_x *x)
{
	x->op = NLK_X_NUMGEN;
	x->len = nftnl_expr_get_u32(e, NFTNL_EXPR_NG_MODULUS);
	x->key = nftnl_expr_get_u32(e, NFTNL_EXPR_NG_TYPE);
	x->offset = get_u32_or(e, NFTNL_EXPR_NG_OFFSET, 0);
	return get_reg(e, NFTNL_EXPR_NG_DREG, &x->dreg);
}

static bool parse_counter(const struct nftnl_expr *e, struct nlk_x *x)
{
	x->op = NLK_X_COUNTER;	/* packets and bytes are state, not rule */
	return true;
}

static const struct {
	const char *name;
	parse_fn fn;
} parsers[] = {
	{ "payload", parse_payload }, { "meta", parse_meta },	    { "ct", parse_ct },
	{ "cmp", parse_cmp },	      { "bitwise", parse_bitwise }, { "byteorder", parse_byteorder },
	{ "lookup", parse_lookup },   { "dynset", parse_dynset },   { "immediate", parse_immediate },
	{ "nat", parse_nat },	      { "masq", parse_masq },	    { "reject", parse_reject },
	{ "fib", parse_fib },	      { "numgen", parse_numgen },   { "counter", parse_counter },
};

bool nlk_x_parse(const struct nftnl_expr *e, struct nlk_x *x)
{
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

	memset(x, 0, sizeof(*x));
	x->dreg = x->sreg = x->sreg2 = NLK_REG_NONE;
	x->dir = -1;
	if (!name)
		return false;
	for (size_t i = 0; i < SN_ARRAY_SIZE(parsers); i++)
		if (strcmp(parsers[i].name, name) == 0)
			return parsers[i].fn(e, x);
	return false;
}

/* ---- items -> statements ---- */

struct dec {
	struct rs_table *t;
	enum rs_family f;
	const struct nlk_x *x;	/* the rule's items */
	size_t n;
};

static bool field_of(const struct dec *d, const struct nlk_x *x, enum rs_field *field)
{
	bool v6 = d->f == RS_IP6;

	switch (x->op) {
	case NLK_X_PAYLOAD:
		if (x->key == NFT_PAYLOAD_NETWORK_HEADER && x->offset == (v6 ? 8u : 12u))
			*field = RS_F_SADDR;
		else if (x->key == NFT_PAYLOAD_NETWORK_HEADER && x->offset == (v6 ? 24u : 16u))
			*field = RS_F_DADDR;
		else if (x->key == NFT_PAYLOAD_TRANSPORT_HEADER && x->offset == 2 && x->len == 2)
			*field = RS_F_DPORT;
		else
			return false;
		return true;
	case NLK_X_META:
		*field = RS_F_L4PROTO;
		return x->key == NFT_META_L4PROTO;
	case NLK_X_NUMGEN:
		*field = RS_F_NUMGEN;
		return x->key == NFT_NG_RANDOM && x->offset == 0;
	case NLK_X_CT:
		if (x->key == (v6 ? NFT_CT_DST_IP6 : NFT_CT_DST_IP))
			*field = RS_F_CT_ODADDR;
		else if (x->key == NFT_CT_PROTO_DST)
			*field = RS_F_CT_OPROTO_DST;
		else
			return false;
		return true;
	default:
		return false;
	}
}

static bool is_load(const struct nlk_x *x)
{
	return x->op == NLK_X_PAYLOAD || x->op == NLK_X_META || x->op == NLK_X_CT;
}

/* A field of a concatenation: a load, or numgen inside a lookup key. */
static bool is_key_field(const struct nlk_x *x)
{
	return is_load(x) || x->op == NLK_X_NUMGEN;
}

static struct sn_addr addr_from(const struct dec *d, const uint8_t *b, unsigned len, unsigned plen)
{
	struct sn_addr a = { 0 };

	a.family = d->f == RS_IP6 ? SN_AF_INET6 : SN_AF_INET;
	memcpy(a.a, b, len > 16 ? 16 : len);
	a.plen = (uint8_t)plen;
	return a;
}

static unsigned mask_plen(const uint8_t *m, unsigned len)
{
	unsigned n = 0;

	for (unsigned i = 0; i < len * 8; i++, n++)
		if (!(m[i / 8] & (0x80 >> (i % 8))))
			break;
	return n;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t host32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* Statements that may start at item i, best guess first; each is checked by
 * encoding it. Strings in the proposals borrow from the items. */
#define NLK_MAX_PROPOSALS 4

static unsigned propose_load(const struct dec *d, size_t i, struct rs_stmt *out)
{
	const struct nlk_x *x = &d->x[i];
	enum rs_field field;
	unsigned n = 0;

	/* field [bitwise] cmp */
	if (field_of(d, x, &field)) {
		size_t j = i + 1;
		const uint8_t *mask = NULL;

		if (j < d->n && d->x[j].op == NLK_X_BITWISE)
			mask = d->x[j++].mask;
		if (j < d->n && d->x[j].op == NLK_X_CMP) {
			const struct nlk_x *c = &d->x[j];
			struct rs_stmt *s = &out[n++];

			s->type = RS_S_CMP;
			s->field = field;
			s->neg = c->key == NFT_CMP_NEQ;
			if (field == RS_F_SADDR || field == RS_F_DADDR || field == RS_F_CT_ODADDR) {
				unsigned full = nlk_field_len(d->f, field);
				/* a prefix is a mask, or a compare shorter
				 * than the address */
				unsigned plen = mask ? mask_plen(mask, full) : c->dlen * 8u;

				s->val.addr = addr_from(d, c->data, c->dlen, plen);
			} else if (c->dlen == 1) {
				s->val.num = c->data[0];
			} else if (c->dlen == 2) {
				s->val.num = be16(c->data);
			}
		}
	}
	/* field & MASK vmap @set: a mask of the low 16 bits only */
	if (field_of(d, x, &field) && field != RS_F_NUMGEN && i + 2 < d->n &&
	    d->x[i + 1].op == NLK_X_BITWISE && d->x[i + 2].op == NLK_X_LOOKUP &&
	    d->x[i + 2].dreg == NLK_REG_VERDICT && n < NLK_MAX_PROPOSALS) {
		const struct nlk_x *b = &d->x[i + 1];
		unsigned len = nlk_field_len(d->f, field);

		if (len >= 2 && b->dlen == len) {
			struct rs_stmt *s = &out[n++];

			s->type = RS_S_VMAP;
			s->key.len = 1;
			s->key.field[0] = (uint8_t)field;
			s->num = (uint32_t)(b->mask[len - 2] << 8 | b->mask[len - 1]);
			s->set = (char *)(uintptr_t)d->x[i + 2].name;
		}
	}
	/* a concatenation: loads (and byteorders) then a lookup or dynset */
	{
		uint8_t fields[RS_KEY_MAX * 2], regs[RS_KEY_MAX * 2];
		unsigned nf = 0, k = 0;
		uint32_t mod = 0;
		size_t j = i;

		while (j < d->n && nf < RS_KEY_MAX * 2) {
			if (is_key_field(&d->x[j])) {
				enum rs_field f2;

				if (!field_of(d, &d->x[j], &f2))
					break;
				if (f2 == RS_F_NUMGEN)
					mod = d->x[j].len;
				regs[nf] = d->x[j].dreg;
				fields[nf++] = (uint8_t)f2;
			} else if (d->x[j].op != NLK_X_BYTEORDER) {
				break;
			}
			j++;
		}
		if (nf && j < d->n && d->x[j].op == NLK_X_LOOKUP && nf <= RS_KEY_MAX &&
		    n < NLK_MAX_PROPOSALS) {
			const struct nlk_x *l = &d->x[j];
			struct rs_stmt *s = &out[n++];

			s->key.len = (uint8_t)nf;
			memcpy(s->key.field, fields, nf);
			s->key.mod = mod;
			s->set = (char *)(uintptr_t)l->name;
			if (l->dreg == NLK_REG_NONE) {
				s->type = RS_S_LOOKUP;
				s->neg = (l->flags & NFT_LOOKUP_F_INV) != 0;
			} else if (l->dreg == NLK_REG_VERDICT) {
				s->type = RS_S_VMAP;
			} else {
				s->type = RS_S_DNAT_MAP;
				/* ": PORT" after a map of addresses */
				if (j + 1 < d->n && d->x[j + 1].op == NLK_X_IMM &&
				    d->x[j + 1].dlen == 2)
					s->val.num = be16(d->x[j + 1].data);
			}
		} else if (nf && j < d->n && d->x[j].op == NLK_X_DYNSET && n < NLK_MAX_PROPOSALS) {
			const struct nlk_x *y = &d->x[j];

			/* the data starts at the load into the dynset's data register */
			while (k < nf && regs[k] != y->sreg2)
				k++;
			if (k <= RS_KEY_MAX && nf - k <= RS_KEY_MAX) {
				struct rs_stmt *s = &out[n++];

				s->type = RS_S_UPDATE;
				s->key.len = (uint8_t)k;
				memcpy(s->key.field, fields, k);
				s->data.len = (uint8_t)(nf - k);
				memcpy(s->data.field, fields + k, nf - k);
				s->set = (char *)(uintptr_t)y->name;
				s->num = (uint32_t)(y->timeout_ms / 1000);
			}
		}
	}
	if (x->op == NLK_X_META && x->key == NFT_META_MARK && i + 2 < d->n &&
	    d->x[i + 1].op == NLK_X_BITWISE) {
		const struct nlk_x *b = &d->x[i + 1], *c = &d->x[i + 2];

		if (c->op == NLK_X_CMP && c->dlen == 4 && n < NLK_MAX_PROPOSALS) {
			out[n].type = RS_S_MARK_TEST;
			out[n++].num = host32(c->data);
		} else if (c->op == NLK_X_META_SET && b->dlen == 4 && n + 1 < NLK_MAX_PROPOSALS) {
			out[n].type = RS_S_MARK_SET;
			out[n++].num = host32(b->xor_);
			out[n].type = RS_S_MARK_CLEAR;
			out[n++].num = ~host32(b->mask);
		}
	}
	if (x->op == NLK_X_CT && x->key == NFT_CT_STATUS && n < NLK_MAX_PROPOSALS)
		out[n++].type = RS_S_CT_DNAT;
	/* "meta l4proto tcp reject with tcp reset" written without the match */
	if (x->op == NLK_X_META && x->key == NFT_META_L4PROTO && i + 2 < d->n &&
	    d->x[i + 2].op == NLK_X_REJECT && n < NLK_MAX_PROPOSALS) {
		out[n].type = RS_S_REJECT;
		out[n++].tcp_reset = 1;
	}
	return n;
}

static bool rs_verdict_from(int32_t v, uint8_t *code)
{
	switch (v) {
	case NF_DROP:
		*code = RS_V_DROP;
		return true;
	case NF_ACCEPT:
		*code = RS_V_ACCEPT;
		return true;
	case NFT_RETURN:
		*code = RS_V_RETURN;
		return true;
	case NFT_JUMP:
		*code = RS_V_JUMP;
		return true;
	case NFT_GOTO:
		*code = RS_V_GOTO;
		return true;
	default:
		return false;
	}
}

static unsigned propose(const struct dec *d, size_t i, struct rs_stmt *out)
{
	const struct nlk_x *x = &d->x[i];

	memset(out, 0, NLK_MAX_PROPOSALS * sizeof(*out));
	switch (x->op) {
	case NLK_X_PAYLOAD:
	case NLK_X_META:
	case NLK_X_CT:
		return propose_load(d, i, out);
	case NLK_X_FIB:
		out->type = RS_S_FIB_LOCAL;
		out->field = x->flags == NFTA_FIB_F_SADDR ? RS_F_SADDR : RS_F_DADDR;
		return 1;
	case NLK_X_NUMGEN:
		out->type = RS_S_NUMGEN;
		out->num = x->len;
		return 1;
	case NLK_X_IMM:
		if (x->dreg == NLK_REG_VERDICT) {
			out->type = RS_S_VERDICT;
			if (!rs_verdict_from(x->verdict, &out->verdict.code))
				return 0;
			out->verdict.chain = (char *)(uintptr_t)x->name;
			return 1;
		}
		if (x->dlen != 4 && x->dlen != 16)
			return 0;
		out->type = RS_S_DNAT;
		out->val.addr = addr_from(d, x->data, x->dlen, x->dlen * 8u);
		if (i + 1 < d->n && d->x[i + 1].op == NLK_X_IMM && d->x[i + 1].dlen == 2)
			out->val.num = be16(d->x[i + 1].data);
		return 1;
	case NLK_X_MASQ:
		out->type = RS_S_MASQ;
		return 1;
	case NLK_X_REJECT:
		out->type = RS_S_REJECT;
		out->tcp_reset = x->key == NFT_REJECT_TCP_RST;
		return 1;
	case NLK_X_COUNTER:
		out->type = RS_S_COUNTER;
		return 1;
	default:
		return 0;
	}
}

static void drop_last_stmt(struct rs_rule *r)
{
	struct rs_stmt *s = &r->stmts[r->n - 1];

	free(s->set);
	free(s->verdict.chain);
	free(s->text);
	r->n--;
}

/* Try proposal s at item i: keep it if encoding it gives the items found.
 * Returns how many items it covers, 0 if it does not fit. */
static size_t try_stmt(struct dec *d, struct rs_rule *r, size_t i, const struct rs_stmt *s)
{
	struct nlk_xs xs = { 0 };
	size_t used = 0;

	rs_rule_add_stmt(r, s);
	if (nlk_stmt_encode(d->t, r, (uint16_t)(r->n - 1), &xs, NULL) == 0 && xs.n &&
	    xs.n <= d->n - i) {
		used = xs.n;
		for (size_t k = 0; k < xs.n; k++)
			if (!nlk_x_eq(&xs.v[k], &d->x[i + k]))
				used = 0;
	}
	nlk_xs_free(&xs);
	if (!used)
		drop_last_stmt(r);
	return used;
}

#define NLK_FOREIGN_TEXT 400	/* a FOREIGN description is for people: keep it short */

static void add_foreign(struct rs_rule *r, struct nftnl_expr *const *ev, size_t n, const char *why)
{
	struct sn_buf b;
	char buf[256];

	sn_buf_init(&b);
	sn_buf_add(&b, why);
	for (size_t i = 0; i < n && b.len < NLK_FOREIGN_TEXT; i++) {
		const char *name = nftnl_expr_get_str(ev[i], NFTNL_EXPR_NAME);

		buf[0] = 0;
		nftnl_expr_snprintf(buf, sizeof(buf), ev[i], NFTNL_OUTPUT_DEFAULT, 0);
		sn_buf_printf(&b, " [%s %s]", name ? name : "?", buf);
	}
	rs_rule_foreign(r, b.s ? b.s : why);
	sn_buf_free(&b);
}

static int collect_expr(struct nftnl_expr *e, void *data)
{
	struct {
		struct nftnl_expr **v;
		size_t n, cap;
	} *l = data;

	sn_grow(&l->v, &l->cap, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = e;
	return 0;
}

struct rule_udata {
	const char *comment;
	bool other;	/* something besides a comment: not ours */
};

static int rule_udata_cb(const struct nftnl_udata *attr, void *data)
{
	struct rule_udata *u = data;
	uint8_t len = nftnl_udata_len(attr);
	const char *v = nftnl_udata_get(attr);

	if (nftnl_udata_type(attr) != NFTNL_UDATA_RULE_COMMENT || len == 0 || v[len - 1] != 0) {
		u->other = true;
		return -1;
	}
	u->comment = v;
	return 0;
}

struct rs_rule *nlk_rule_decode(struct rs_table *t, struct rs_chain *c, const struct nftnl_rule *nr)
{
	struct rs_rule *r = rs_chain_add_rule(c);
	struct {
		struct nftnl_expr **v;
		size_t n, cap;
	} ev = { 0 };
	struct nlk_xs xs = { 0 };
	struct dec d = { .t = t, .f = t->family };
	size_t i = 0;

	if (nftnl_rule_is_set(nr, NFTNL_RULE_HANDLE))
		r->handle = nftnl_rule_get_u64(nr, NFTNL_RULE_HANDLE);
	nftnl_expr_foreach((struct nftnl_rule *)(uintptr_t)nr, collect_expr, &ev);
	for (size_t k = 0; k < ev.n; k++) {
		struct nlk_x *x = nlk_xs_add(&xs, NLK_X_COUNTER);

		if (!nlk_x_parse(ev.v[k], x)) {
			xs.n--;
			break;
		}
	}
	d.x = xs.v;
	d.n = xs.n;
	while (i < d.n) {
		struct rs_stmt prop[NLK_MAX_PROPOSALS];
		unsigned np = propose(&d, i, prop);
		size_t used = 0;

		for (unsigned k = 0; k < np && !used; k++)
			used = try_stmt(&d, r, i, &prop[k]);
		if (!used)
			break;
		i += used;
	}
	if (i < ev.n)
		add_foreign(r, ev.v + i, ev.n - i, "not written by svcnft:");
	if (ev.n == 0)
		add_foreign(r, NULL, 0, "a rule without expressions");
	if (nftnl_rule_is_set(nr, NFTNL_RULE_USERDATA)) {
		uint32_t len = 0;
		const void *ud = nftnl_rule_get_data(nr, NFTNL_RULE_USERDATA, &len);
		struct rule_udata u = { 0 };

		nftnl_udata_parse(ud, len, rule_udata_cb, &u);
		if (u.other)
			rs_rule_foreign(r, "rule userdata other than a comment");
		else if (u.comment)
			rs_rule_set_comment(r, u.comment);
	}
	if (nftnl_rule_is_set(nr, NFTNL_RULE_COMPAT_PROTO) ||
	    nftnl_rule_is_set(nr, NFTNL_RULE_COMPAT_FLAGS))
		rs_rule_foreign(r, "an iptables-nft compat rule");
	nlk_xs_free(&xs);
	free(ev.v);
	return r;
}

/* ---- tables, chains, sets, elements ---- */

static int table_udata_cb(const struct nftnl_udata *attr, void *data)
{
	const char **comment = data;
	uint8_t len = nftnl_udata_len(attr);
	const char *v = nftnl_udata_get(attr);

	if (nftnl_udata_type(attr) == NFTNL_UDATA_TABLE_COMMENT && len && v[len - 1] == 0)
		*comment = v;
	return 0;
}

struct rs_table *nlk_table_decode(struct rs_ruleset *rs, const struct nftnl_table *nt)
{
	uint32_t family = nftnl_table_get_u32(nt, NFTNL_TABLE_FAMILY);
	const char *name = nftnl_table_get_str(nt, NFTNL_TABLE_NAME);
	struct rs_table *t;

	if (!name || (family != RS_IP && family != RS_IP6))
		return NULL;
	t = rs_ruleset_add_table(rs, (enum rs_family)family, name);
	if (!t)
		return NULL;
	if (nftnl_table_is_set(nt, NFTNL_TABLE_HANDLE))
		t->handle = nftnl_table_get_u64(nt, NFTNL_TABLE_HANDLE);
	if (nftnl_table_is_set(nt, NFTNL_TABLE_USERDATA)) {
		uint32_t len = 0;
		const void *ud = nftnl_table_get_data(nt, NFTNL_TABLE_USERDATA, &len);
		const char *comment = NULL;

		nftnl_udata_parse(ud, len, table_udata_cb, &comment);
		if (comment)
			rs_table_set_comment(t, comment);
	}
	return t;
}

struct rs_chain *nlk_chain_decode(struct rs_table *t, const struct nftnl_chain *nc)
{
	const char *name = nftnl_chain_get_str(nc, NFTNL_CHAIN_NAME);
	struct rs_chain *c;

	if (!name)
		return NULL;
	if (nftnl_chain_is_set(nc, NFTNL_CHAIN_HOOKNUM)) {
		const char *type = nftnl_chain_get_str(nc, NFTNL_CHAIN_TYPE);
		char *ftype = NULL;

		/* A policy or a device the model has no word for: a type no
		 * desired chain has, so the diff replaces the chain. */
		if (nftnl_chain_is_set(nc, NFTNL_CHAIN_POLICY) &&
		    nftnl_chain_get_u32(nc, NFTNL_CHAIN_POLICY) != NF_ACCEPT)
			ftype = sn_asprintf("%s policy drop", type ? type : "?");
		else if (nftnl_chain_is_set(nc, NFTNL_CHAIN_DEV) ||
			 nftnl_chain_is_set(nc, NFTNL_CHAIN_DEVICES))
			ftype = sn_asprintf("%s with devices", type ? type : "?");
		c = rs_table_add_base_chain(t, name, ftype ? ftype : type ? type : "?",
					    (enum rs_hook)nftnl_chain_get_u32(nc, NFTNL_CHAIN_HOOKNUM),
					    nftnl_chain_get_s32(nc, NFTNL_CHAIN_PRIO));
		free(ftype);
	} else {
		c = rs_table_add_chain(t, name);
	}
	if (c && nftnl_chain_is_set(nc, NFTNL_CHAIN_HANDLE))
		c->handle = nftnl_chain_get_u64(nc, NFTNL_CHAIN_HANDLE);
	return c;
}

/* Split a concatenated type number into its fields (first field highest). */
static bool split_type(uint32_t id, uint8_t *types, uint8_t *n, unsigned max)
{
	uint8_t tmp[8];
	unsigned k = 0;

	while (id) {
		enum rs_type t = nlk_type_from_id(id & ((1u << 6) - 1));

		if (t == RS_T_NONE || k == max || k == sizeof(tmp))
			return false;
		tmp[k++] = (uint8_t)t;
		id >>= 6;
	}
	for (unsigned i = 0; i < k; i++)
		types[i] = tmp[k - 1 - i];
	*n = (uint8_t)k;
	return k > 0;
}

static uint32_t wire_len(const uint8_t *types, unsigned n)
{
	uint32_t len = 0;

	for (unsigned i = 0; i < n; i++)
		len += n > 1 ? (nlk_type_len(types[i]) + 3) & ~3u : nlk_type_len(types[i]);
	return len;
}

static int set_udata_cb(const struct nftnl_udata *attr, void *data)
{
	const char **comment = data;
	uint8_t len = nftnl_udata_len(attr);
	const char *v = nftnl_udata_get(attr);

	if (nftnl_udata_type(attr) == NFTNL_UDATA_SET_COMMENT && len && v[len - 1] == 0)
		*comment = v;
	return 0;
}

struct rs_set *nlk_set_decode(struct rs_table *t, const struct nftnl_set *ns)
{
	const char *name = nftnl_set_get_str(ns, NFTNL_SET_NAME);
	uint32_t flags = nftnl_set_is_set(ns, NFTNL_SET_FLAGS) ? nftnl_set_get_u32(ns, NFTNL_SET_FLAGS) : 0;
	uint8_t key[RS_KEY_MAX], data[2], nkey = 0, ndata = 0;
	bool ok = true;
	struct rs_set *s;

	if (!name)
		return NULL;
	s = rs_table_add_set(t, name);
	if (!s)
		return NULL;
	if (nftnl_set_is_set(ns, NFTNL_SET_HANDLE))
		s->handle = nftnl_set_get_u64(ns, NFTNL_SET_HANDLE);
	ok = split_type(nftnl_set_get_u32(ns, NFTNL_SET_KEY_TYPE), key, &nkey, RS_KEY_MAX) &&
	     wire_len(key, nkey) == nftnl_set_get_u32(ns, NFTNL_SET_KEY_LEN);
	if (ok && (flags & NFT_SET_MAP)) {
		uint32_t dt = nftnl_set_get_u32(ns, NFTNL_SET_DATA_TYPE);

		if (dt == NFT_DATA_VERDICT) {
			data[0] = RS_T_VERDICT;
			ndata = 1;
		} else {
			ok = split_type(dt, data, &ndata, 2) &&
			     wire_len(data, ndata) == nftnl_set_get_u32(ns, NFTNL_SET_DATA_LEN);
		}
	}
	/* anonymous, constant, object maps; a default timeout; set
	 * expressions: none of it is svcnft's */
	if (flags & ~(uint32_t)(NFT_SET_INTERVAL | NFT_SET_CONCAT | NFT_SET_TIMEOUT |
				NFT_SET_EVAL | NFT_SET_MAP))
		ok = false;
	if (nftnl_set_is_set(ns, NFTNL_SET_TIMEOUT) || nftnl_set_is_set(ns, NFTNL_SET_EXPR) ||
	    nftnl_set_is_set(ns, NFTNL_SET_EXPRESSIONS))
		ok = false;
	if (!ok) {
		/* a type no desired set has: the diff replaces the set */
		key[0] = RS_T_NONE;
		nkey = 1;
		ndata = 0;
	}
	rs_set_set_type(s, nkey, key, ndata, data);
	if (flags & NFT_SET_INTERVAL)
		s->flags |= RS_SET_INTERVAL;
	if (flags & NFT_SET_TIMEOUT)
		s->flags |= RS_SET_TIMEOUT;
	if (flags & NFT_SET_EVAL)
		s->flags |= RS_SET_DYNAMIC;
	if (nftnl_set_is_set(ns, NFTNL_SET_DESC_SIZE))
		s->size = nftnl_set_get_u32(ns, NFTNL_SET_DESC_SIZE);
	if (nftnl_set_is_set(ns, NFTNL_SET_USERDATA)) {
		uint32_t len = 0;
		const void *ud = nftnl_set_get_data(ns, NFTNL_SET_USERDATA, &len);
		const char *comment = NULL;

		nftnl_udata_parse(ud, len, set_udata_cb, &comment);
		if (comment)
			rs_set_set_comment(s, comment);
	}
	return s;
}

static bool get_val(const uint8_t *p, enum rs_type type, struct rs_val *v, enum rs_family f)
{
	switch (type) {
	case RS_T_IPV4:
	case RS_T_IPV6:
		v->addr.family = type == RS_T_IPV6 ? SN_AF_INET6 : SN_AF_INET;
		v->addr.plen = (uint8_t)(nlk_type_len(type) * 8);
		memcpy(v->addr.a, p, nlk_type_len(type));
		return true;
	case RS_T_PROTO:
		v->num = p[0];
		return true;
	case RS_T_SERVICE:
		v->num = be16(p);
		return true;
	case RS_T_INTEGER: {
		uint32_t h;

		memcpy(&h, p, 4);
		if (h > UINT16_MAX)
			return false;	/* no numgen index svcnft writes */
		v->num = (uint16_t)h;
		return true;
	}
	default:
		return false;
	}
}

static int elem_udata_cb(const struct nftnl_udata *attr, void *data)
{
	const char **comment = data;
	uint8_t len = nftnl_udata_len(attr);
	const char *v = nftnl_udata_get(attr);

	if (nftnl_udata_type(attr) == NFTNL_UDATA_SET_ELEM_COMMENT && len && v[len - 1] == 0)
		*comment = v;
	return 0;
}

static bool get_vals(const uint8_t *b, uint32_t len, const uint8_t *types, unsigned n,
		     struct rs_val *v, enum rs_family f)
{
	uint32_t off = 0;

	if (len != wire_len(types, n))
		return false;
	for (unsigned i = 0; i < n; i++) {
		if (!get_val(b + off, types[i], &v[i], f))
			return false;
		off += n > 1 ? (nlk_type_len(types[i]) + 3) & ~3u : nlk_type_len(types[i]);
	}
	return true;
}

/* The prefix length of [start, end] for one address field. */
static uint8_t range_plen(const uint8_t *start, const uint8_t *end, unsigned len)
{
	unsigned p = 0;

	while (p < len * 8 && ((start[p / 8] ^ end[p / 8]) & (0x80 >> (p % 8))) == 0)
		p++;
	return (uint8_t)p;
}

/* One element as the kernel sent it: borrowed pointers into the message
 * (or into libnftnl's copy of it). */
struct raw_elem {
	const uint8_t *key, *end, *data, *ud;
	uint32_t klen, elen, dlen, ulen, flags;
	bool has_end, has_verdict;
	int32_t verdict;
	const char *chain;
};

static void elem_decode(struct rs_set *s, enum rs_family f, const struct raw_elem *r)
{
	struct rs_elem tmp = { 0 }, *e;

	/* interval ends of a single-field interval set: svcnft has none */
	if (!r->key || (r->flags & NFT_SET_ELEM_INTERVAL_END))
		return;
	if (!get_vals(r->key, r->klen, s->key, s->nkey, tmp.key, f))
		return;
	if (r->has_end) {
		uint32_t off = 0;

		if (!r->end || r->elen != r->klen)
			return;
		for (unsigned i = 0; i < s->nkey; i++) {
			unsigned len = nlk_type_len(s->key[i]);

			if (s->key[i] == RS_T_IPV4 || s->key[i] == RS_T_IPV6)
				tmp.key[i].addr.plen = range_plen(r->key + off, r->end + off, len);
			off += s->nkey > 1 ? (len + 3) & ~3u : len;
		}
	}
	/* Data svcnft never writes (a `continue` verdict, odd bytes) still
	 * keeps its key: the element is read with empty data (verdict
	 * RS_V_NONE, or zero addresses no endpoint can have), which never
	 * equals a desired element, so the diff deletes it by key instead of
	 * leaving it to collide with a later element of the same key. */
	if (s->ndata == 1 && s->data[0] == RS_T_VERDICT) {
		if (!r->has_verdict || !rs_verdict_from(r->verdict, &tmp.verdict.code))
			tmp.verdict.code = RS_V_NONE;
	} else if (s->ndata) {
		if (!r->data || !get_vals(r->data, r->dlen, s->data, s->ndata, tmp.data, f))
			memset(tmp.data, 0, sizeof(tmp.data));
	}
	e = rs_set_add_elem(s);
	*e = tmp;
	if (r->ud) {
		const char *comment = NULL;

		nftnl_udata_parse(r->ud, r->ulen, elem_udata_cb, &comment);
		rs_elem_set_comment(e, comment);
	}
	if ((e->verdict.code == RS_V_JUMP || e->verdict.code == RS_V_GOTO) && r->chain)
		e->verdict.chain = sn_strdup(r->chain);
}

void nlk_elems_decode(struct rs_set *s, enum rs_family f, const struct nftnl_set *ns)
{
	struct nftnl_set_elems_iter *it = nftnl_set_elems_iter_create(ns);
	struct nftnl_set_elem *ne;

	if (!it)
		return;
	while ((ne = nftnl_set_elems_iter_next(it)) != NULL) {
		struct raw_elem r = { 0 };

		r.key = nftnl_set_elem_get(ne, NFTNL_SET_ELEM_KEY, &r.klen);
		if (nftnl_set_elem_is_set(ne, NFTNL_SET_ELEM_FLAGS))
			r.flags = nftnl_set_elem_get_u32(ne, NFTNL_SET_ELEM_FLAGS);
		r.has_end = nftnl_set_elem_is_set(ne, NFTNL_SET_ELEM_KEY_END);
		if (r.has_end)
			r.end = nftnl_set_elem_get(ne, NFTNL_SET_ELEM_KEY_END, &r.elen);
		r.has_verdict = nftnl_set_elem_is_set(ne, NFTNL_SET_ELEM_VERDICT);
		if (r.has_verdict)
			r.verdict = (int32_t)nftnl_set_elem_get_u32(ne, NFTNL_SET_ELEM_VERDICT);
		if (nftnl_set_elem_is_set(ne, NFTNL_SET_ELEM_DATA))
			r.data = nftnl_set_elem_get(ne, NFTNL_SET_ELEM_DATA, &r.dlen);
		if (nftnl_set_elem_is_set(ne, NFTNL_SET_ELEM_USERDATA))
			r.ud = nftnl_set_elem_get(ne, NFTNL_SET_ELEM_USERDATA, &r.ulen);
		if (nftnl_set_elem_is_set(ne, NFTNL_SET_ELEM_CHAIN))
			r.chain = nftnl_set_elem_get_str(ne, NFTNL_SET_ELEM_CHAIN);
		elem_decode(s, f, &r);
	}
	nftnl_set_elems_iter_destroy(it);
}

/* NFTA_DATA_VALUE inside a nested NFTA_SET_ELEM_KEY / _KEY_END / _DATA,
 * or the verdict of an NFTA_DATA_VERDICT. */
static void raw_data(const struct nlattr *nest, const uint8_t **p, uint32_t *len,
		     struct raw_elem *r)
{
	const struct nlattr *a, *v;

	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case NFTA_DATA_VALUE:
			*p = mnl_attr_get_payload(a);
			*len = mnl_attr_get_payload_len(a);
			break;
		case NFTA_DATA_VERDICT:
			if (!r)
				break;
			mnl_attr_for_each_nested(v, a) {
				if (mnl_attr_get_type(v) == NFTA_VERDICT_CODE &&
				    mnl_attr_get_payload_len(v) == 4) {
					r->has_verdict = true;
					r->verdict = (int32_t)ntohl(mnl_attr_get_u32(v));
				} else if (mnl_attr_get_type(v) == NFTA_VERDICT_CHAIN &&
					   mnl_attr_validate(v, MNL_TYPE_NUL_STRING) == 0) {
					r->chain = mnl_attr_get_str(v);
				}
			}
			break;
		}
	}
}

int nlk_elems_decode_msg(struct rs_set *s, enum rs_family f, const struct nlmsghdr *nlh)
{
	const struct nlattr *a, *le, *ea;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct nfgenmsg)))
		return -1;
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		mnl_attr_for_each_nested(le, a) {
			struct raw_elem r = { 0 };

			if (mnl_attr_get_type(le) != NFTA_LIST_ELEM)
				continue;
			mnl_attr_for_each_nested(ea, le) {
				switch (mnl_attr_get_type(ea)) {
				case NFTA_SET_ELEM_KEY:
					raw_data(ea, &r.key, &r.klen, NULL);
					break;
				case NFTA_SET_ELEM_KEY_END:
					r.has_end = true;
					raw_data(ea, &r.end, &r.elen, NULL);
					break;
				case NFTA_SET_ELEM_DATA:
					raw_data(ea, &r.data, &r.dlen, &r);
					break;
				case NFTA_SET_ELEM_FLAGS:
					if (mnl_attr_get_payload_len(ea) == 4)
						r.flags = ntohl(mnl_attr_get_u32(ea));
					break;
				case NFTA_SET_ELEM_USERDATA:
					r.ud = mnl_attr_get_payload(ea);
					r.ulen = mnl_attr_get_payload_len(ea);
					break;
				}
			}
			elem_decode(s, f, &r);
		}
	}
	return 0;
}
