// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * netlink/encode.c: rs objects -> libnftnl objects, encoded exactly as
 * nft 1.0.6 encodes the printed form of each (checked object by object in
 * two namespaces with tests/kernel/nftraw: same attributes, same udata,
 * same registers).
 *
 * Register allocation follows nft: a statement starts at NFT_REG_1; a
 * concatenation puts each field in its own 32-bit register (a 16-byte IPv6
 * address takes four); a non-concatenated value takes a whole 128-bit
 * register, so the port of "dnat to ADDR:PORT" is in NFT_REG_2; map data
 * follows the key at the next 128-bit register when it fits.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/rtnetlink.h>
#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>
#include <netinet/in.h>

#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "netlink/internal.h"

/* nft's datatype numbers (nftables include/datatype.h, enum datatypes),
 * written into NFTA_SET_KEY_TYPE / NFTA_SET_DATA_TYPE; a concatenation is
 * the list of its fields' numbers, 6 bits each (TYPE_BITS), first field
 * highest. */
#define NLK_TYPE_BITS 6
#define NLK_TYPE_INTEGER 4
#define NLK_TYPE_IPADDR 7
#define NLK_TYPE_IP6ADDR 8
#define NLK_TYPE_INET_PROTOCOL 12
#define NLK_TYPE_INET_SERVICE 13

/* nft's byte order codes in set udata (enum byteorder) and the expression
 * type it records for a concatenated key (enum expr_types: EXPR_CONCAT). */
#define NLK_BYTEORDER_INVALID 0
#define NLK_BYTEORDER_BIG_ENDIAN 2
#define NLK_EXPR_CONCAT 13

/* Set udata never grows past this: nft's own buffer is NFT_USERDATA_MAXLEN. */
#define NLK_UDATA_MAX 256

const char *nlk_family_str(enum rs_family f)
{
	return f == RS_IP6 ? "ip6" : "ip";
}

/* ---- items ---- */

void nlk_xs_free(struct nlk_xs *xs)
{
	free(xs->v);
	xs->v = NULL;
	xs->n = xs->cap = 0;
}

struct nlk_x *nlk_xs_add(struct nlk_xs *xs, enum nlk_xop op)
{
	struct nlk_x *x;

	sn_grow(&xs->v, &xs->cap, xs->n + 1, sizeof(*xs->v));
	x = &xs->v[xs->n++];
	memset(x, 0, sizeof(*x));
	x->op = op;
	x->dreg = x->sreg = x->sreg2 = NLK_REG_NONE;
	x->dir = -1;
	return x;
}

static bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

bool nlk_x_eq(const struct nlk_x *a, const struct nlk_x *b)
{
	return a->op == b->op && a->dreg == b->dreg && a->sreg == b->sreg &&
	       a->sreg2 == b->sreg2 && a->dir == b->dir && a->key == b->key &&
	       a->offset == b->offset && a->len == b->len && a->size == b->size &&
	       a->flags == b->flags && a->timeout_ms == b->timeout_ms &&
	       a->verdict == b->verdict && str_eq(a->name, b->name) && a->dlen == b->dlen &&
	       !memcmp(a->data, b->data, a->dlen) && !memcmp(a->mask, b->mask, a->dlen) &&
	       !memcmp(a->xor_, b->xor_, a->dlen);
}

/* ---- fields and types ---- */

unsigned nlk_field_len(enum rs_family f, enum rs_field field)
{
	switch (field) {
	case RS_F_SADDR:
	case RS_F_DADDR:
	case RS_F_CT_ODADDR:
		return f == RS_IP6 ? 16 : 4;
	case RS_F_L4PROTO:
		return 1;
	case RS_F_DPORT:
	case RS_F_CT_OPROTO_DST:
		return 2;
	case RS_F_NUMGEN:
		return 4;
	default:
		return 0;
	}
}

unsigned nlk_type_len(enum rs_type t)
{
	static const unsigned len[__RS_T_MAX] = {
		[RS_T_IPV4] = 4, [RS_T_IPV6] = 16, [RS_T_PROTO] = 1, [RS_T_SERVICE] = 2,
		[RS_T_INTEGER] = 4,
	};

	return t < __RS_T_MAX ? len[t] : 0;
}

static const uint32_t type_ids[__RS_T_MAX] = {
	[RS_T_IPV4] = NLK_TYPE_IPADDR,
	[RS_T_IPV6] = NLK_TYPE_IP6ADDR,
	[RS_T_PROTO] = NLK_TYPE_INET_PROTOCOL,
	[RS_T_SERVICE] = NLK_TYPE_INET_SERVICE,
	[RS_T_INTEGER] = NLK_TYPE_INTEGER,
};

uint32_t nlk_type_id(enum rs_type t)
{
	return t < __RS_T_MAX ? type_ids[t] : 0;
}

enum rs_type nlk_type_from_id(uint32_t id)
{
	for (unsigned t = 0; t < __RS_T_MAX; t++)
		if (type_ids[t] && type_ids[t] == id)
			return (enum rs_type)t;
	return RS_T_NONE;
}

bool nlk_set_is_concat_interval(const struct rs_set *s)
{
	return s && (s->flags & RS_SET_INTERVAL) && s->nkey > 1;
}

static unsigned round4(unsigned n)
{
	return (n + 3) & ~3u;
}

/* ---- statements -> items ---- */

struct enc {
	const struct rs_table *t;
	enum rs_family f;
	struct nlk_xs *xs;
	struct sn_buf *why;
};

static int enc_fail(struct enc *c, const char *msg)
{
	if (c->why)
		sn_buf_add(c->why, msg);
	return -1;
}

/* Load a packet field into word reg: len bytes of it (a shortened payload
 * load for a byte-aligned prefix). */
static void enc_load(struct enc *c, enum rs_field field, uint8_t reg, unsigned len)
{
	bool v6 = c->f == RS_IP6;
	struct nlk_x *x;

	switch (field) {
	case RS_F_SADDR:
	case RS_F_DADDR:
		x = nlk_xs_add(c->xs, NLK_X_PAYLOAD);
		x->key = NFT_PAYLOAD_NETWORK_HEADER;
		/* iphdr saddr/daddr at 12/16; ipv6hdr at 8/24 */
		x->offset = field == RS_F_SADDR ? (v6 ? 8 : 12) : (v6 ? 24 : 16);
		x->len = len;
		break;
	case RS_F_DPORT:
		/* th dport: bytes 2-3 of the transport header (TCP, UDP, SCTP alike) */
		x = nlk_xs_add(c->xs, NLK_X_PAYLOAD);
		x->key = NFT_PAYLOAD_TRANSPORT_HEADER;
		x->offset = 2;
		x->len = 2;
		break;
	case RS_F_L4PROTO:
		x = nlk_xs_add(c->xs, NLK_X_META);
		x->key = NFT_META_L4PROTO;
		break;
	case RS_F_CT_ODADDR:
		x = nlk_xs_add(c->xs, NLK_X_CT);
		x->key = v6 ? NFT_CT_DST_IP6 : NFT_CT_DST_IP;
		x->dir = IP_CT_DIR_ORIGINAL;
		break;
	case RS_F_CT_OPROTO_DST:
		x = nlk_xs_add(c->xs, NLK_X_CT);
		x->key = NFT_CT_PROTO_DST;
		x->dir = IP_CT_DIR_ORIGINAL;
		break;
	default:
		return;
	}
	x->dreg = reg;
}

static void enc_cmp(struct enc *c, uint8_t reg, bool neg, const void *data, unsigned len)
{
	struct nlk_x *x = nlk_xs_add(c->xs, NLK_X_CMP);

	x->sreg = reg;
	x->key = neg ? NFT_CMP_NEQ : NFT_CMP_EQ;
	x->dlen = (uint8_t)len;
	memcpy(x->data, data, len);
}

static void enc_bitwise(struct enc *c, uint8_t reg, const void *mask, const void *xor_,
			unsigned len)
{
	struct nlk_x *x = nlk_xs_add(c->xs, NLK_X_BITWISE);

	x->sreg = x->dreg = reg;
	x->len = len;
	x->dlen = (uint8_t)len;
	memcpy(x->mask, mask, len);
	memcpy(x->xor_, xor_, len);
}

static bool field_is_addr(enum rs_field f)
{
	return f == RS_F_SADDR || f == RS_F_DADDR || f == RS_F_CT_ODADDR;
}

static bool addr_fits(const struct enc *c, const struct sn_addr *a)
{
	return a->family == (c->f == RS_IP6 ? SN_AF_INET6 : SN_AF_INET) &&
	       a->plen <= sn_addr_len(a) * 8;
}

/* field [!=] value; an address with a prefix as nft does it: a shortened
 * compare for a byte-aligned prefix ("ip saddr 10.0.0.0/8" loads and
 * compares one byte; ct loads the whole address), a mask otherwise (and
 * for /0). */
static int enc_stmt_cmp(struct enc *c, const struct rs_stmt *s)
{
	unsigned len = nlk_field_len(c->f, s->field);
	uint8_t v[16] = { 0 };

	if (!len)
		return enc_fail(c, "comparison on an unknown field");
	if (field_is_addr(s->field)) {
		const struct sn_addr *a = &s->val.addr;
		unsigned plen = a->plen, full = len * 8;

		if (!addr_fits(c, a))
			return enc_fail(c, "address of the wrong family in a comparison");
		if (plen == full) {
			enc_load(c, s->field, 0, len);
			enc_cmp(c, 0, s->neg, a->a, len);
		} else if (plen % 8 == 0 && plen > 0) {
			/* ct loads the whole address and compares the prefix */
			enc_load(c, s->field, 0, s->field == RS_F_CT_ODADDR ? len : plen / 8);
			enc_cmp(c, 0, s->neg, a->a, plen / 8);
		} else {
			uint8_t mask[16] = { 0 }, zero[16] = { 0 };

			for (unsigned i = 0; i < plen; i++)
				mask[i / 8] |= (uint8_t)(0x80 >> (i % 8));
			for (unsigned i = 0; i < len; i++)
				v[i] = a->a[i] & mask[i];
			enc_load(c, s->field, 0, len);
			enc_bitwise(c, 0, mask, zero, len);
			enc_cmp(c, 0, s->neg, v, len);
		}
		return 0;
	}
	if (len == 1) {
		v[0] = (uint8_t)s->val.num;
	} else {
		uint16_t be = htons(s->val.num);

		memcpy(v, &be, 2);
	}
	enc_load(c, s->field, 0, len);
	enc_cmp(c, 0, s->neg, v, len);
	return 0;
}

/* fib daddr type local */
static int enc_stmt_fib_local(struct enc *c, const struct rs_stmt *s)
{
	struct nlk_x *x = nlk_xs_add(c->xs, NLK_X_FIB);
	uint32_t local = RTN_LOCAL;

	if (s->field != RS_F_DADDR && s->field != RS_F_SADDR)
		return enc_fail(c, "fib on a field other than saddr/daddr");
	x->dreg = 0;
	x->key = NFT_FIB_RESULT_ADDRTYPE;
	x->flags = s->field == RS_F_DADDR ? NFTA_FIB_F_DADDR : NFTA_FIB_F_SADDR;
	enc_cmp(c, 0, false, &local, 4);
	return 0;
}

/* ct status dnat: (ct status & IPS_DST_NAT) != 0 */
static int enc_stmt_ct_dnat(struct enc *c, const struct rs_stmt *s)
{
	struct nlk_x *x = nlk_xs_add(c->xs, NLK_X_CT);
	uint32_t mask = IPS_DST_NAT, zero = 0;

	x->dreg = 0;
	x->key = NFT_CT_STATUS;
	enc_bitwise(c, 0, &mask, &zero, 4);
	enc_cmp(c, 0, true, &zero, 4);
	return 0;
}

/* meta mark & M == M (the mark is a host-order u32) */
static int enc_stmt_mark_test(struct enc *c, const struct rs_stmt *s)
{
	struct nlk_x *x = nlk_xs_add(c->xs, NLK_X_META);
	uint32_t m = s->num, zero = 0;

	x->dreg = 0;
	x->key = NFT_META_MARK;
	enc_bitwise(c, 0, &m, &zero, 4);
	enc_cmp(c, 0, false, &m, 4);
	return 0;
}

/* numgen random mod N 0 */
static int enc_stmt_numgen(struct enc *c, const struct rs_stmt *s)
{
	struct nlk_x *x = nlk_xs_add(c->xs, NLK_X_NUMGEN);
	uint32_t zero = 0;

	if (s->num == 0)
		return enc_fail(c, "numgen modulus 0");
	x->dreg = 0;
	x->key = NFT_NG_RANDOM;
	x->len = s->num;
	enc_cmp(c, 0, false, &zero, 4);
	return 0;
}

/* Load a concatenation from word `first`: each field in its own 32-bit
 * registers. A host-order field (meta l4proto) in the key of an interval
 * concatenation gets the byteorder nft adds there ("hton(reg, 2, 1)": a
 * no-op in the kernel, kept so that the kernel holds what nft would have
 * given it). Returns the words used, or -1. */
static int enc_concat(struct enc *c, const struct rs_key *k, uint8_t first, bool interval)
{
	unsigned w = first;

	if (k->len == 0 || k->len > RS_KEY_MAX)
		return enc_fail(c, "empty or oversized key");
	for (unsigned i = 0; i < k->len; i++) {
		unsigned len = nlk_field_len(c->f, k->field[i]);

		if (!len)
			return enc_fail(c, "unknown field in a key");
		if (w + round4(len) / 4 > NLK_REG_WORDS)
			return enc_fail(c, "key does not fit the registers");
		if (k->field[i] == RS_F_NUMGEN) {
			/* numgen random mod N, a host-order u32 in its word */
			struct nlk_x *x = nlk_xs_add(c->xs, NLK_X_NUMGEN);

			if (!k->mod)
				return enc_fail(c, "numgen modulus 0");
			x->dreg = (uint8_t)w;
			x->key = NFT_NG_RANDOM;
			x->len = k->mod;
			w++;
			continue;
		}
		enc_load(c, k->field[i], (uint8_t)w, len);
		if (interval && k->len > 1 && k->field[i] == RS_F_L4PROTO) {
			struct nlk_x *x = nlk_xs_add(c->xs, NLK_X_BYTEORDER);

			x->sreg = x->dreg = (uint8_t)w;
			x->key = NFT_BYTEORDER_HTON;
			x->len = 1;
			x->size = 2;
		}
		w += round4(len) / 4;
	}
	return (int)(w - first);
}

static const struct rs_set *enc_find_set(struct enc *c, const char *name)
{
	return c->t && name ? rs_table_find_set(c->t, name) : NULL;
}

static struct nlk_x *enc_lookup(struct enc *c, const struct rs_stmt *s, uint8_t dreg)
{
	const struct rs_set *set = enc_find_set(c, s->set);
	struct nlk_x *x;

	if (!s->set || !*s->set) {
		enc_fail(c, "lookup without a set name");
		return NULL;
	}
	if (enc_concat(c, &s->key, 0, nlk_set_is_concat_interval(set)) < 0)
		return NULL;
	x = nlk_xs_add(c->xs, NLK_X_LOOKUP);
	x->sreg = 0;
	x->dreg = dreg;
	x->name = s->set;
	return x;
}

/* KEY [!=] @set */
static int enc_stmt_lookup(struct enc *c, const struct rs_stmt *s)
{
	struct nlk_x *x = enc_lookup(c, s, NLK_REG_NONE);

	if (!x)
		return -1;
	x->flags = s->neg ? NFT_LOOKUP_F_INV : 0;
	return 0;
}

/* KEY vmap @set, or FIELD & MASK vmap @set */
static int enc_stmt_vmap(struct enc *c, const struct rs_stmt *s)
{
	uint8_t mask[16] = { 0 }, zero[16] = { 0 };
	struct nlk_x *x;
	unsigned len;

	if (!s->num)
		return enc_lookup(c, s, NLK_REG_VERDICT) ? 0 : -1;
	len = s->key.len == 1 ? nlk_field_len(c->f, s->key.field[0]) : 0;
	if (len < 2 || s->key.field[0] == RS_F_NUMGEN)
		return enc_fail(c, "a masked verdict map lookup on a field that cannot be masked");
	if (!s->set || !*s->set)
		return enc_fail(c, "lookup without a set name");
	/* the mask's low 16 bits are the last two bytes, network order */
	mask[len - 2] = (uint8_t)(s->num >> 8);
	mask[len - 1] = (uint8_t)s->num;
	enc_load(c, s->key.field[0], 0, len);
	enc_bitwise(c, 0, mask, zero, len);
	x = nlk_xs_add(c->xs, NLK_X_LOOKUP);
	x->sreg = 0;
	x->dreg = NLK_REG_VERDICT;
	x->name = s->set;
	return 0;
}

/* meta mark set meta mark | M  /  meta mark set meta mark & ~M */
static int enc_mark_write(struct enc *c, uint32_t bits, bool set)
{
	struct nlk_x *x = nlk_xs_add(c->xs, NLK_X_META);
	uint32_t mask = ~bits, xor_ = set ? bits : 0;

	x->dreg = 0;
	x->key = NFT_META_MARK;
	enc_bitwise(c, 0, &mask, &xor_, 4);
	x = nlk_xs_add(c->xs, NLK_X_META_SET);
	x->key = NFT_META_MARK;
	x->sreg = 0;
	return 0;
}

static int enc_stmt_mark_set(struct enc *c, const struct rs_stmt *s)
{
	return enc_mark_write(c, s->num, true);
}

static int enc_stmt_mark_clear(struct enc *c, const struct rs_stmt *s)
{
	return enc_mark_write(c, s->num, false);
}

/* The end of every DNAT: an optional immediate port in NFT_REG_2 and the nat
 * expression reading the address from NFT_REG_1. Without an immediate port
 * the port register is sreg2_default (0: none). */
static int enc_dnat_tail(struct enc *c, uint16_t port, uint32_t sreg2_default)
{
	struct nlk_x *x;

	if (port) {
		uint16_t be = htons(port);

		x = nlk_xs_add(c->xs, NLK_X_IMM);
		x->dreg = 4;
		x->dlen = 2;
		memcpy(x->data, &be, 2);
	}
	x = nlk_xs_add(c->xs, NLK_X_NAT);
	x->key = NFT_NAT_DNAT;
	x->size = c->f;
	x->sreg = 0;
	if (port) {
		x->sreg2 = 4;
		x->wire_flags = NF_NAT_RANGE_PROTO_SPECIFIED;
	} else if (sreg2_default) {
		x->sreg2 = sreg2_default;
	}
	return 0;
}

/* dnat to ADDR:PORT: address in NFT_REG_1, port in NFT_REG_2 */
static int enc_stmt_dnat(struct enc *c, const struct rs_stmt *s)
{
	const struct sn_addr *a = &s->val.addr;
	struct nlk_x *x;

	if (!addr_fits(c, a) || a->plen != sn_addr_len(a) * 8)
		return enc_fail(c, "dnat to an address of the wrong family or a prefix");
	x = nlk_xs_add(c->xs, NLK_X_IMM);
	x->dreg = 0;
	x->dlen = (uint8_t)sn_addr_len(a);
	memcpy(x->data, a->a, x->dlen);
	return enc_dnat_tail(c, s->val.num, 0);
}

/* dnat ip to KEY map @set: the map's data (addr . port) lands in the
 * lookup's destination register, the port right after the address.
 * dnat ip6 to KEY map @set : PORT: the map holds the address only, the
 * port is an immediate in NFT_REG_2. */
static int enc_stmt_dnat_map(struct enc *c, const struct rs_stmt *s)
{
	if (!enc_lookup(c, s, 0))
		return -1;
	return enc_dnat_tail(c, s->val.num, c->f == RS_IP6 ? 4 : 1);
}

/* masquerade fully-random */
static int enc_stmt_masq(struct enc *c, const struct rs_stmt *s)
{
	nlk_xs_add(c->xs, NLK_X_MASQ)->flags = NF_NAT_RANGE_PROTO_RANDOM_FULLY;
	return 0;
}

/* update @set { KEY timeout Ns : DATA }: the key from NFT_REG_1, the data
 * from the next 128-bit register if it fits there, else right after the
 * key (nft 1.0.6 aborts on the IPv6 affinity shape, which only fits so). */
static int enc_stmt_update(struct enc *c, const struct rs_stmt *s)
{
	struct nlk_x *x;
	unsigned dwords = 0;
	int kw;
	uint8_t d;

	if (!s->set || !*s->set)
		return enc_fail(c, "update without a set name");
	kw = enc_concat(c, &s->key, 0, false);
	if (kw < 0)
		return -1;
	for (unsigned i = 0; i < s->data.len && i < RS_KEY_MAX; i++)
		dwords += round4(nlk_field_len(c->f, s->data.field[i])) / 4;
	d = (uint8_t)round4((unsigned)kw);
	if (d + dwords > NLK_REG_WORDS)
		d = (uint8_t)kw;
	if (s->data.len && enc_concat(c, &s->data, d, false) < 0)
		return -1;
	x = nlk_xs_add(c->xs, NLK_X_DYNSET);
	x->key = NFT_DYNSET_OP_UPDATE;
	x->sreg = 0;
	x->sreg2 = s->data.len ? d : NLK_REG_NONE;
	x->timeout_ms = (uint64_t)s->num * 1000;
	x->name = s->set;
	return 0;
}

/* reject: ICMP port unreachable; reject with tcp reset: nft puts the
 * "meta l4proto tcp" match in front unless the rule just had it. */
static int enc_stmt_reject(struct enc *c, const struct rs_stmt *s, const struct rs_stmt *prev)
{
	struct nlk_x *x;

	if (s->tcp_reset) {
		if (!prev || prev->type != RS_S_CMP || prev->field != RS_F_L4PROTO || prev->neg ||
		    prev->val.num != IPPROTO_TCP) {
			uint8_t tcp = IPPROTO_TCP;

			enc_load(c, RS_F_L4PROTO, 0, 1);
			enc_cmp(c, 0, false, &tcp, 1);
		}
		x = nlk_xs_add(c->xs, NLK_X_REJECT);
		x->key = NFT_REJECT_TCP_RST;
		return 0;
	}
	x = nlk_xs_add(c->xs, NLK_X_REJECT);
	x->key = NFT_REJECT_ICMP_UNREACH;
	x->size = c->f == RS_IP6 ? ICMP6_DST_UNREACH_NOPORT : ICMP_PORT_UNREACH;
	return 0;
}

static const int32_t verdict_codes[] = {
	[RS_V_ACCEPT] = NF_ACCEPT, [RS_V_DROP] = NF_DROP, [RS_V_RETURN] = NFT_RETURN,
	[RS_V_JUMP] = NFT_JUMP,	   [RS_V_GOTO] = NFT_GOTO,
};

static int enc_stmt_verdict(struct enc *c, const struct rs_stmt *s)
{
	const struct rs_verdict *v = &s->verdict;
	struct nlk_x *x;

	if (v->code == RS_V_NONE || v->code > RS_V_GOTO)
		return enc_fail(c, "verdict without a code");
	if ((v->code == RS_V_JUMP || v->code == RS_V_GOTO) && (!v->chain || !*v->chain))
		return enc_fail(c, "jump or goto without a chain");
	x = nlk_xs_add(c->xs, NLK_X_IMM);
	x->dreg = NLK_REG_VERDICT;
	x->verdict = verdict_codes[v->code];
	if (v->code == RS_V_JUMP || v->code == RS_V_GOTO)
		x->name = v->chain;
	return 0;
}

static int enc_stmt_counter(struct enc *c, const struct rs_stmt *s)
{
	nlk_xs_add(c->xs, NLK_X_COUNTER);
	return 0;
}

static int enc_stmt_foreign(struct enc *c, const struct rs_stmt *s)
{
	return enc_fail(c, "a foreign statement cannot be sent to the kernel");
}

typedef int (*enc_fn)(struct enc *c, const struct rs_stmt *s);

static const enc_fn encoders[__RS_S_MAX] = {
	[RS_S_CMP] = enc_stmt_cmp,
	[RS_S_FIB_LOCAL] = enc_stmt_fib_local,
	[RS_S_CT_DNAT] = enc_stmt_ct_dnat,
	[RS_S_MARK_TEST] = enc_stmt_mark_test,
	[RS_S_NUMGEN] = enc_stmt_numgen,
	[RS_S_LOOKUP] = enc_stmt_lookup,
	[RS_S_MARK_SET] = enc_stmt_mark_set,
	[RS_S_MARK_CLEAR] = enc_stmt_mark_clear,
	[RS_S_DNAT] = enc_stmt_dnat,
	[RS_S_DNAT_MAP] = enc_stmt_dnat_map,
	[RS_S_MASQ] = enc_stmt_masq,
	[RS_S_UPDATE] = enc_stmt_update,
	[RS_S_VMAP] = enc_stmt_vmap,
	[RS_S_VERDICT] = enc_stmt_verdict,
	[RS_S_COUNTER] = enc_stmt_counter,
	[RS_S_FOREIGN] = enc_stmt_foreign,
};

int nlk_stmt_encode(const struct rs_table *t, const struct rs_rule *r, uint16_t i,
		    struct nlk_xs *xs, struct sn_buf *why)
{
	struct enc c = { .t = t, .f = t->family, .xs = xs, .why = why };
	const struct rs_stmt *s = &r->stmts[i];

	if (s->type == RS_S_REJECT)
		return enc_stmt_reject(&c, s, i ? &r->stmts[i - 1] : NULL);
	if (s->type >= __RS_S_MAX || !encoders[s->type])
		return enc_fail(&c, "unknown statement type");
	return encoders[s->type](&c, s);
}

/* ---- items -> libnftnl expressions ---- */

/* Word index -> the register number nft writes: NFT_REG_1..4 for a word at
 * the start of a 128-bit register, NFT_REG32_xx otherwise. */
static uint32_t wire_reg(uint8_t w)
{
	if (w == NLK_REG_VERDICT)
		return NFT_REG_VERDICT;
	if (w % 4 == 0)
		return NFT_REG_1 + w / 4u;
	return NFT_REG32_00 + w;
}

static const char *const xop_names[__NLK_X_MAX] = {
	[NLK_X_PAYLOAD] = "payload", [NLK_X_META] = "meta",	  [NLK_X_META_SET] = "meta",
	[NLK_X_CT] = "ct",	     [NLK_X_CMP] = "cmp",	  [NLK_X_BITWISE] = "bitwise",
	[NLK_X_BYTEORDER] = "byteorder", [NLK_X_LOOKUP] = "lookup", [NLK_X_DYNSET] = "dynset",
	[NLK_X_IMM] = "immediate",   [NLK_X_NAT] = "nat",	  [NLK_X_MASQ] = "masq",
	[NLK_X_REJECT] = "reject",   [NLK_X_FIB] = "fib",	  [NLK_X_NUMGEN] = "numgen",
	[NLK_X_COUNTER] = "counter",
};

struct nftnl_expr *nlk_x_build(const struct nlk_x *x)
{
	struct nftnl_expr *e;

	if (x->op >= __NLK_X_MAX)
		return NULL;
	e = nftnl_expr_alloc(xop_names[x->op]);
	if (!e)
		return NULL;
	switch (x->op) {
	case NLK_X_PAYLOAD:
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, wire_reg(x->dreg));
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, x->key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, x->offset);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, x->len);
		break;
	case NLK_X_META:
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, x->key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, wire_reg(x->dreg));
		break;
	case NLK_X_META_SET:
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, x->key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_SREG, wire_reg(x->sreg));
		break;
	case NLK_X_CT:
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, wire_reg(x->dreg));
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, x->key);
		if (x->dir >= 0)
			nftnl_expr_set_u8(e, NFTNL_EXPR_CT_DIR, (uint8_t)x->dir);
		break;
	case NLK_X_CMP:
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, wire_reg(x->sreg));
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, x->key);
		nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, x->data, x->dlen);
		break;
	case NLK_X_BITWISE:
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, wire_reg(x->sreg));
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, wire_reg(x->dreg));
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, x->len);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, x->mask, x->dlen);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, x->xor_, x->dlen);
		break;
	case NLK_X_BYTEORDER:
		nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SREG, wire_reg(x->sreg));
		nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_DREG, wire_reg(x->dreg));
		nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_OP, x->key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_LEN, x->len);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SIZE, x->size);
		break;
	case NLK_X_LOOKUP:
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, wire_reg(x->sreg));
		if (x->dreg != NLK_REG_NONE)
			nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, wire_reg(x->dreg));
		nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, x->name);
		if (x->flags)
			nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, x->flags);
		break;
	case NLK_X_DYNSET:
		nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SREG_KEY, wire_reg(x->sreg));
		if (x->sreg2 != NLK_REG_NONE)
			nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SREG_DATA, wire_reg(x->sreg2));
		nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_OP, x->key);
		if (x->timeout_ms)
			nftnl_expr_set_u64(e, NFTNL_EXPR_DYNSET_TIMEOUT, x->timeout_ms);
		nftnl_expr_set_str(e, NFTNL_EXPR_DYNSET_SET_NAME, x->name);
		break;
	case NLK_X_IMM:
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, wire_reg(x->dreg));
		if (x->dreg == NLK_REG_VERDICT) {
			nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)x->verdict);
			if (x->name)
				nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, x->name);
		} else {
			nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, x->data, x->dlen);
		}
		break;
	case NLK_X_NAT:
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, x->key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, x->size);
		if (x->sreg != NLK_REG_NONE)
			nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, wire_reg(x->sreg));
		if (x->sreg2 != NLK_REG_NONE)
			nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, wire_reg(x->sreg2));
		if (x->flags | x->wire_flags)
			nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FLAGS, x->flags | x->wire_flags);
		break;
	case NLK_X_MASQ:
		nftnl_expr_set_u32(e, NFTNL_EXPR_MASQ_FLAGS, x->flags);
		break;
	case NLK_X_REJECT:
		nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE, x->key);
		nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE, (uint8_t)x->size);
		break;
	case NLK_X_FIB:
		nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, wire_reg(x->dreg));
		nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, x->key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, x->flags);
		break;
	case NLK_X_NUMGEN:
		nftnl_expr_set_u32(e, NFTNL_EXPR_NG_DREG, wire_reg(x->dreg));
		nftnl_expr_set_u32(e, NFTNL_EXPR_NG_MODULUS, x->len);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NG_TYPE, x->key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NG_OFFSET, x->offset);
		break;
	case NLK_X_COUNTER:
		break;
	}
	return e;
}

/* ---- objects ---- */

struct nftnl_table *nlk_table_build(const struct rs_table *t)
{
	struct nftnl_table *nt = nftnl_table_alloc();

	if (!nt)
		return NULL;
	nftnl_table_set_u32(nt, NFTNL_TABLE_FAMILY, t->family);
	nftnl_table_set_str(nt, NFTNL_TABLE_NAME, t->name);
	if (t->comment && *t->comment) {
		struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(NLK_UDATA_MAX);

		if (!ud || !nftnl_udata_put_strz(ud, NFTNL_UDATA_TABLE_COMMENT, t->comment)) {
			nftnl_udata_buf_free(ud);
			nftnl_table_free(nt);
			return NULL;
		}
		nftnl_table_set_data(nt, NFTNL_TABLE_USERDATA, nftnl_udata_buf_data(ud),
				     nftnl_udata_buf_len(ud));
		nftnl_udata_buf_free(ud);
	}
	return nt;
}

struct nftnl_chain *nlk_chain_build(const struct rs_table *t, const struct rs_chain *c)
{
	struct nftnl_chain *nc = nftnl_chain_alloc();

	if (!nc)
		return NULL;
	nftnl_chain_set_u32(nc, NFTNL_CHAIN_FAMILY, t->family);
	nftnl_chain_set_str(nc, NFTNL_CHAIN_TABLE, t->name);
	nftnl_chain_set_str(nc, NFTNL_CHAIN_NAME, c->name);
	if (c->hook >= 0) {
		nftnl_chain_set_u32(nc, NFTNL_CHAIN_HOOKNUM, (uint32_t)c->hook);
		nftnl_chain_set_s32(nc, NFTNL_CHAIN_PRIO, c->prio);
		nftnl_chain_set_str(nc, NFTNL_CHAIN_TYPE, c->type ? c->type : "filter");
	}
	return nc;
}

/* The concatenated type number and wire length of n fields. */
static void type_of(const uint8_t *types, unsigned n, uint32_t *id, uint32_t *len)
{
	*id = 0;
	*len = 0;
	for (unsigned i = 0; i < n; i++) {
		*id = (*id << NLK_TYPE_BITS) | nlk_type_id(types[i]);
		*len += n > 1 ? round4(nlk_type_len(types[i])) : nlk_type_len(types[i]);
	}
}

/* nft's byte order of a key or data: big endian for one address or port,
 * "invalid" for a protocol number, a verdict and any concatenation. */
static uint32_t byteorder_of(const uint8_t *types, unsigned n)
{
	if (n != 1)
		return NLK_BYTEORDER_INVALID;
	switch (types[0]) {
	case RS_T_IPV4:
	case RS_T_IPV6:
	case RS_T_SERVICE:
		return NLK_BYTEORDER_BIG_ENDIAN;
	default:
		return NLK_BYTEORDER_INVALID;
	}
}

/* The "typeof" record nft writes for a concatenation declared by type:
 * the expression kind (concat) and an empty data nest. */
static bool put_concat_typeof(struct nftnl_udata_buf *ud, uint8_t type)
{
	struct nftnl_udata *nest = nftnl_udata_nest_start(ud, type);
	struct nftnl_udata *data;

	if (!nest || !nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_TYPEOF_EXPR, NLK_EXPR_CONCAT))
		return false;
	data = nftnl_udata_nest_start(ud, NFTNL_UDATA_SET_TYPEOF_DATA);
	if (!data)
		return false;
	nftnl_udata_nest_end(ud, data);
	nftnl_udata_nest_end(ud, nest);
	return true;
}

/* nft's expression kinds and payload field ids in a typeof record (nftables
 * include/expression.h enum expr_types, include/proto.h enum proto_desc_id
 * and the header templates' field order), as nft 1.0.6 writes them for
 * `typeof ip daddr . meta l4proto . th dport . numgen random mod N`. */
#define NLK_EXPR_PAYLOAD 7
#define NLK_EXPR_META 9
#define NLK_EXPR_NUMGEN 23
#define NLK_PROTO_DESC_TH 11
#define NLK_PROTO_DESC_IP 12
#define NLK_PROTO_DESC_IP6 13
#define NLK_IPHDR_DADDR 12
#define NLK_IP6HDR_DADDR 9
#define NLK_THDR_DPORT 2

/* One field's typeof record: its expression kind, then a nest of its
 * parameters (payload: protocol and field; meta: key; numgen: type,
 * modulus, offset). */
static bool put_typeof_field(struct nftnl_udata_buf *ud, enum rs_family f, uint8_t field,
			     uint32_t mod, uint8_t idx)
{
	struct nftnl_udata *nest = nftnl_udata_nest_start(ud, idx), *data;
	uint32_t kind, v[3];
	unsigned n;

	switch (field) {
	case RS_F_DADDR:
		kind = NLK_EXPR_PAYLOAD;
		v[0] = f == RS_IP6 ? NLK_PROTO_DESC_IP6 : NLK_PROTO_DESC_IP;
		v[1] = f == RS_IP6 ? NLK_IP6HDR_DADDR : NLK_IPHDR_DADDR;
		n = 2;
		break;
	case RS_F_DPORT:
		kind = NLK_EXPR_PAYLOAD;
		v[0] = NLK_PROTO_DESC_TH;
		v[1] = NLK_THDR_DPORT;
		n = 2;
		break;
	case RS_F_L4PROTO:
		kind = NLK_EXPR_META;
		v[0] = NFT_META_L4PROTO;
		n = 1;
		break;
	case RS_F_NUMGEN:
		kind = NLK_EXPR_NUMGEN;
		v[0] = NFT_NG_RANDOM;
		v[1] = mod;
		v[2] = 0;	/* offset */
		n = 3;
		break;
	default:
		return false;	/* no typeof record written for it yet */
	}
	if (!nest || !nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_TYPEOF_EXPR, kind))
		return false;
	data = nftnl_udata_nest_start(ud, NFTNL_UDATA_SET_TYPEOF_DATA);
	if (!data)
		return false;
	for (unsigned i = 0; i < n; i++)
		if (!nftnl_udata_put_u32(ud, (uint8_t)i, v[i]))
			return false;
	nftnl_udata_nest_end(ud, data);
	nftnl_udata_nest_end(ud, nest);
	return true;
}

/* The typeof record of a concatenation declared by its expressions. */
static bool put_concat_typeof_of(struct nftnl_udata_buf *ud, uint8_t type, enum rs_family f,
				 const struct rs_key *k)
{
	struct nftnl_udata *nest = nftnl_udata_nest_start(ud, type);
	struct nftnl_udata *data;

	if (!nest || k->len < 2 ||
	    !nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_TYPEOF_EXPR, NLK_EXPR_CONCAT))
		return false;
	data = nftnl_udata_nest_start(ud, NFTNL_UDATA_SET_TYPEOF_DATA);
	if (!data)
		return false;
	for (uint8_t i = 0; i < k->len; i++)
		if (!put_typeof_field(ud, f, k->field[i], k->mod, i))
			return false;
	nftnl_udata_nest_end(ud, data);
	nftnl_udata_nest_end(ud, nest);
	return true;
}

/* Set udata as nft 1.0.6 writes it, in attribute order: key byte order;
 * for a map the data byte order; a concatenated key's and data's typeof
 * records; for a map "data interval" = 0; the comment. */
static bool put_set_udata(struct nftnl_set *ns, const struct rs_table *t, const struct rs_set *s)
{
	struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(NLK_UDATA_MAX);
	bool ok = ud != NULL;
	bool map = s->ndata > 0;
	bool vmap = map && s->data[0] == RS_T_VERDICT;

	ok = ok && nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_KEYBYTEORDER,
				       byteorder_of(s->key, s->nkey));
	if (ok && map)
		ok = nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_DATABYTEORDER,
					 vmap ? NLK_BYTEORDER_INVALID :
						byteorder_of(s->data, s->ndata));
	if (ok && s->tkey.len)
		ok = put_concat_typeof_of(ud, NFTNL_UDATA_SET_KEY_TYPEOF, t->family, &s->tkey);
	else if (ok && s->nkey > 1)
		ok = put_concat_typeof(ud, NFTNL_UDATA_SET_KEY_TYPEOF);
	if (ok && map && s->tdata.len)
		ok = put_concat_typeof_of(ud, NFTNL_UDATA_SET_DATA_TYPEOF, t->family, &s->tdata);
	else if (ok && map && s->ndata > 1)
		ok = put_concat_typeof(ud, NFTNL_UDATA_SET_DATA_TYPEOF);
	if (ok && map)
		ok = nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_DATA_INTERVAL, 0);
	if (ok && s->comment && *s->comment)
		ok = nftnl_udata_put_strz(ud, NFTNL_UDATA_SET_COMMENT, s->comment);
	if (ok)
		nftnl_set_set_data(ns, NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud),
				   nftnl_udata_buf_len(ud));
	nftnl_udata_buf_free(ud);
	return ok;
}

struct nftnl_set *nlk_set_build(const struct rs_table *t, const struct rs_set *s)
{
	struct nftnl_set *ns;
	uint32_t flags = 0, id, len;

	if (s->nkey == 0 || s->nkey > RS_KEY_MAX || s->ndata > 2)
		return NULL;
	for (unsigned i = 0; i < s->nkey; i++)
		if (!nlk_type_len(s->key[i]))
			return NULL;
	ns = nftnl_set_alloc();
	if (!ns)
		return NULL;
	nftnl_set_set_u32(ns, NFTNL_SET_FAMILY, t->family);
	nftnl_set_set_str(ns, NFTNL_SET_TABLE, t->name);
	nftnl_set_set_str(ns, NFTNL_SET_NAME, s->name);
	if (s->flags & RS_SET_INTERVAL)
		flags |= NFT_SET_INTERVAL;
	if (nlk_set_is_concat_interval(s))
		flags |= NFT_SET_CONCAT;
	if (s->flags & RS_SET_TIMEOUT)
		flags |= NFT_SET_TIMEOUT;
	if (s->flags & RS_SET_DYNAMIC)
		flags |= NFT_SET_EVAL;
	if (s->ndata)
		flags |= NFT_SET_MAP;
	if (flags)
		nftnl_set_set_u32(ns, NFTNL_SET_FLAGS, flags);
	type_of(s->key, s->nkey, &id, &len);
	nftnl_set_set_u32(ns, NFTNL_SET_KEY_TYPE, id);
	nftnl_set_set_u32(ns, NFTNL_SET_KEY_LEN, len);
	if (s->ndata == 1 && s->data[0] == RS_T_VERDICT) {
		nftnl_set_set_u32(ns, NFTNL_SET_DATA_TYPE, NFT_DATA_VERDICT);
	} else if (s->ndata) {
		for (unsigned i = 0; i < s->ndata; i++) {
			if (!nlk_type_len(s->data[i])) {
				nftnl_set_free(ns);
				return NULL;
			}
		}
		type_of(s->data, s->ndata, &id, &len);
		nftnl_set_set_u32(ns, NFTNL_SET_DATA_TYPE, id);
		nftnl_set_set_u32(ns, NFTNL_SET_DATA_LEN, len);
	}
	if (s->size)
		nftnl_set_set_u32(ns, NFTNL_SET_DESC_SIZE, s->size);
	if (nlk_set_is_concat_interval(s)) {
		/* the field widths let the kernel pick the pipapo backend */
		uint8_t fl[RS_KEY_MAX + 1] = { 0 };

		for (unsigned i = 0; i < s->nkey; i++)
			fl[i] = (uint8_t)nlk_type_len(s->key[i]);
		nftnl_set_set_data(ns, NFTNL_SET_DESC_CONCAT, fl, s->nkey);
	}
	if (!put_set_udata(ns, t, s)) {
		nftnl_set_free(ns);
		return NULL;
	}
	return ns;
}

/* One typed value into its wire bytes at p (room for pad bytes). */
static bool put_val(uint8_t *p, enum rs_type type, const struct rs_val *v, bool end)
{
	switch (type) {
	case RS_T_IPV4:
	case RS_T_IPV6: {
		unsigned len = nlk_type_len(type);

		if (v->addr.family != (type == RS_T_IPV6 ? SN_AF_INET6 : SN_AF_INET))
			return false;
		memcpy(p, v->addr.a, len);
		/* the last address of a prefix, for KEY_END */
		if (end && v->addr.plen < len * 8)
			for (unsigned i = v->addr.plen; i < len * 8; i++)
				p[i / 8] |= (uint8_t)(0x80 >> (i % 8));
		return true;
	}
	case RS_T_PROTO:
		p[0] = (uint8_t)v->num;
		return true;
	case RS_T_SERVICE: {
		uint16_t be = htons(v->num);

		memcpy(p, &be, 2);
		return true;
	}
	case RS_T_INTEGER: {
		/* numgen's value: host order, as the kernel's numgen writes it */
		uint32_t h = v->num;

		memcpy(p, &h, 4);
		return true;
	}
	default:
		return false;
	}
}

static bool put_vals(struct nlk_blob *b, const uint8_t *types, unsigned n,
		     const struct rs_val *v, bool end)
{
	memset(b, 0, sizeof(*b));
	for (unsigned i = 0; i < n; i++) {
		unsigned len = nlk_type_len(types[i]);

		if (!len || b->len + round4(len) > NLK_DATA_MAX ||
		    !put_val(b->b + b->len, types[i], &v[i], end))
			return false;
		b->len += n > 1 ? round4(len) : len;
	}
	return true;
}

int nlk_elem_add(struct nftnl_set *ns, const struct rs_set *s, const struct rs_elem *e,
		 bool key_only, struct sn_buf *why)
{
	struct nftnl_set_elem *ne;
	struct nlk_blob key, end;

	if ((s->flags & RS_SET_INTERVAL) && s->nkey == 1) {
		/* nft encodes these as start/end pairs with a leading
		 * interval end; svcnft declares none */
		if (why)
			sn_buf_add(why, "single-field interval sets are not supported");
		return -1;
	}
	if (!put_vals(&key, s->key, s->nkey, e->key, false)) {
		if (why)
			sn_buf_printf(why, "element of set %s does not match its key type", s->name);
		return -1;
	}
	ne = nftnl_set_elem_alloc();
	if (!ne)
		return -1;
	nftnl_set_elem_set(ne, NFTNL_SET_ELEM_KEY, key.b, key.len);
	if (nlk_set_is_concat_interval(s)) {
		put_vals(&end, s->key, s->nkey, e->key, true);
		nftnl_set_elem_set(ne, NFTNL_SET_ELEM_KEY_END, end.b, end.len);
	}
	if (key_only) {
		/* a delete names the element by its key alone */
	} else if (s->ndata == 1 && s->data[0] == RS_T_VERDICT) {
		const struct rs_verdict *v = &e->verdict;

		if (v->code == RS_V_NONE || v->code > RS_V_GOTO ||
		    ((v->code == RS_V_JUMP || v->code == RS_V_GOTO) && !v->chain)) {
			nftnl_set_elem_free(ne);
			if (why)
				sn_buf_printf(why, "element of map %s without a verdict", s->name);
			return -1;
		}
		nftnl_set_elem_set_u32(ne, NFTNL_SET_ELEM_VERDICT, (uint32_t)verdict_codes[v->code]);
		if (v->code == RS_V_JUMP || v->code == RS_V_GOTO)
			nftnl_set_elem_set_str(ne, NFTNL_SET_ELEM_CHAIN, v->chain);
	} else if (s->ndata) {
		struct nlk_blob data;

		if (!put_vals(&data, s->data, s->ndata, e->data, false)) {
			nftnl_set_elem_free(ne);
			if (why)
				sn_buf_printf(why, "element of map %s does not match its data type",
					      s->name);
			return -1;
		}
		nftnl_set_elem_set(ne, NFTNL_SET_ELEM_DATA, data.b, data.len);
	}
	if (!key_only && e->comment && *e->comment) {
		struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(NLK_UDATA_MAX);

		if (!ud || !nftnl_udata_put_strz(ud, NFTNL_UDATA_SET_ELEM_COMMENT, e->comment)) {
			nftnl_udata_buf_free(ud);
			nftnl_set_elem_free(ne);
			return -1;
		}
		nftnl_set_elem_set(ne, NFTNL_SET_ELEM_USERDATA, nftnl_udata_buf_data(ud),
				   nftnl_udata_buf_len(ud));
		nftnl_udata_buf_free(ud);
	}
	nftnl_set_elem_add(ns, ne);
	return 0;
}

struct nftnl_rule *nlk_rule_build(const struct rs_table *t, const struct rs_chain *c,
				  const struct rs_rule *r, struct sn_buf *why)
{
	struct nlk_xs xs = { 0 };
	struct nftnl_rule *nr;

	for (uint16_t i = 0; i < r->n; i++)
		if (nlk_stmt_encode(t, r, i, &xs, why) < 0)
			goto err_encode;
	nr = nftnl_rule_alloc();
	if (!nr)
		goto err_encode;
	nftnl_rule_set_u32(nr, NFTNL_RULE_FAMILY, t->family);
	nftnl_rule_set_str(nr, NFTNL_RULE_TABLE, t->name);
	nftnl_rule_set_str(nr, NFTNL_RULE_CHAIN, c->name);
	for (size_t i = 0; i < xs.n; i++) {
		struct nftnl_expr *e = nlk_x_build(&xs.v[i]);

		if (!e)
			goto err_expr;
		nftnl_rule_add_expr(nr, e);
	}
	if (r->comment && *r->comment) {
		struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(NLK_UDATA_MAX);

		if (!ud || !nftnl_udata_put_strz(ud, NFTNL_UDATA_RULE_COMMENT, r->comment)) {
			nftnl_udata_buf_free(ud);
			goto err_expr;
		}
		nftnl_rule_set_data(nr, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(ud),
				    nftnl_udata_buf_len(ud));
		nftnl_udata_buf_free(ud);
	}
	nlk_xs_free(&xs);
	return nr;

err_expr:
	nftnl_rule_free(nr);
err_encode:
	nlk_xs_free(&xs);
	return NULL;
}
