/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rules/print.c: the ruleset in nft syntax. The output loads with
 * `nft -f` (nftables 1.0.6) as is and reads like `nft list ruleset`:
 * TAB indentation, sets and maps before chains, a blank line between
 * objects, one element per line.
 *
 * What nft 1.0.6 accepts and prints, checked against it:
 * - a trailing comma after the last element is accepted;
 * - set flags list as "dynamic,interval,timeout" in that order, after
 *   "size" and before "comment";
 * - base chain priorities print by name within 10 of a standard one
 *   (raw -300, mangle -150, dstnat -100, filter 0, security 50, srcnat 100)
 *   as "dstnat - 10", whatever the chain type; but "dstnat" is only
 *   accepted in prerouting and "srcnat" only in postrouting, so elsewhere
 *   those priorities print as numbers ("priority -100" in output);
 * - names cannot be quoted: a name must be a bare nft identifier.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rules/internal.h"

/* ---- values ---- */

static const char *const rs_field_names_ip[__RS_F_MAX] = {
	[RS_F_SADDR] = "ip saddr",
	[RS_F_DADDR] = "ip daddr",
	[RS_F_L4PROTO] = "meta l4proto",
	[RS_F_DPORT] = "th dport",
	[RS_F_CT_ODADDR] = "ct original ip daddr",
	[RS_F_CT_OPROTO_DST] = "ct original proto-dst",
	[RS_F_NUMGEN] = "numgen random mod",
};

static const char *const rs_field_names_ip6[__RS_F_MAX] = {
	[RS_F_SADDR] = "ip6 saddr",
	[RS_F_DADDR] = "ip6 daddr",
	[RS_F_L4PROTO] = "meta l4proto",
	[RS_F_DPORT] = "th dport",
	[RS_F_CT_ODADDR] = "ct original ip6 daddr",
	[RS_F_CT_OPROTO_DST] = "ct original proto-dst",
	[RS_F_NUMGEN] = "numgen random mod",
};

static const char *rs_field_name(enum rs_family f, uint8_t field)
{
	if (field >= __RS_F_MAX)
		return "?";
	return f == RS_IP6 ? rs_field_names_ip6[field] : rs_field_names_ip[field];
}

static void rs_print_key(struct sn_buf *b, enum rs_family f, const struct rs_key *k)
{
	uint8_t i;

	for (i = 0; i < k->len && i < RS_KEY_MAX; i++) {
		if (i)
			sn_buf_add(b, " . ");
		sn_buf_add(b, rs_field_name(f, k->field[i]));
		if (k->field[i] == RS_F_NUMGEN)
			sn_buf_printf(b, " %u", k->mod);
	}
}

/* An address of type t (the set's or the field's, not addr->family, which
 * a reader may leave unset); with_plen prints a prefix as "a/len". */
/* Decimal without printf: a compile prints a few numbers per element, and
 * vfprintf was a tenth of the time of printing 185,000 elements. */
static void rs_print_uint(struct sn_buf *b, unsigned v)
{
	char s[10], *p = s + sizeof(s);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	sn_buf_addn(b, p, (size_t)(s + sizeof(s) - p));
}

static void rs_print_addr(struct sn_buf *b, uint8_t t, const struct sn_addr *a, bool with_plen)
{
	char s[SN_ADDR_STRLEN];
	unsigned width = t == RS_T_IPV6 ? 128 : 32, i;

	if (t == RS_T_IPV6) {
		if (!inet_ntop(AF_INET6, a->a, s, sizeof(s)))
			strcpy(s, "?");
		sn_buf_add(b, s);
	} else {
		/* inet_ntop's dotted quad, without its sprintf */
		for (i = 0; i < 4; i++) {
			if (i)
				sn_buf_addc(b, '.');
			rs_print_uint(b, a->a[i]);
		}
	}
	if (with_plen && a->plen < width) {
		sn_buf_addc(b, '/');
		rs_print_uint(b, a->plen);
	}
}

/* " & MASK" over the low 16 bits of a field, as nft lists it: an address
 * ("ip daddr & 0.0.0.15", "ip6 daddr & ::f") or a number ("th dport & 15"). */
static void rs_print_low_mask(struct sn_buf *b, enum rs_family f, uint8_t field, uint16_t mask)
{
	if (field == RS_F_SADDR || field == RS_F_DADDR) {
		uint8_t t = f == RS_IP6 ? RS_T_IPV6 : RS_T_IPV4;
		struct sn_addr a = { 0 };
		unsigned len = t == RS_T_IPV6 ? 16 : 4;

		a.a[len - 2] = (uint8_t)(mask >> 8);
		a.a[len - 1] = (uint8_t)mask;
		sn_buf_add(b, " & ");
		rs_print_addr(b, t, &a, false);
		return;
	}
	sn_buf_printf(b, " & %u", mask);
}

static void rs_print_proto(struct sn_buf *b, unsigned proto)
{
	const char *name = sn_proto_name((uint8_t)proto);

	if (name)
		sn_buf_add(b, name);
	else
		sn_buf_printf(b, "%u", proto);
}

static void rs_print_val(struct sn_buf *b, uint8_t t, const struct rs_val *v, bool with_plen)
{
	switch (t) {
	case RS_T_IPV4:
	case RS_T_IPV6:
		rs_print_addr(b, t, &v->addr, with_plen);
		break;
	case RS_T_PROTO:
		rs_print_proto(b, v->num);
		break;
	case RS_T_SERVICE:
	case RS_T_INTEGER:
		rs_print_uint(b, v->num);
		break;
	default:
		sn_buf_add(b, "?");
		break;
	}
}

static void rs_print_verdict(struct sn_buf *b, const struct rs_verdict *v)
{
	switch (v->code) {
	case RS_V_ACCEPT:
		sn_buf_add(b, "accept");
		break;
	case RS_V_DROP:
		sn_buf_add(b, "drop");
		break;
	case RS_V_RETURN:
		sn_buf_add(b, "return");
		break;
	case RS_V_JUMP:
		sn_buf_printf(b, "jump %s", v->chain ? v->chain : "?");
		break;
	case RS_V_GOTO:
		sn_buf_printf(b, "goto %s", v->chain ? v->chain : "?");
		break;
	default:
		sn_buf_add(b, "continue");
		break;
	}
}

/* ---- statements and rules ---- */

static void rs_print_cmp(struct sn_buf *b, enum rs_family f, const struct rs_stmt *s)
{
	uint8_t t = s->field < __RS_F_MAX ? rs_field_type(f, s->field) : RS_T_NONE;

	sn_buf_add(b, rs_field_name(f, s->field));
	sn_buf_add(b, s->neg ? " != " : " ");
	if (t == RS_T_IPV4 || t == RS_T_IPV6)
		/* The value's own family wins: a wrong-family address is a bug
		 * the kernel should see, not one the printer should hide. */
		t = s->val.addr.family == SN_AF_INET6 ? RS_T_IPV6 :
		    s->val.addr.family == SN_AF_INET ? RS_T_IPV4 : t;
	rs_print_val(b, t, &s->val, true);
}

static void rs_print_dnat(struct sn_buf *b, const struct rs_stmt *s)
{
	const struct sn_addr *a = &s->val.addr;
	bool v6 = a->family == SN_AF_INET6;

	sn_buf_add(b, "dnat to ");
	if (v6 && s->val.num)
		sn_buf_addc(b, '[');
	rs_print_addr(b, v6 ? RS_T_IPV6 : RS_T_IPV4, a, false);
	if (v6 && s->val.num)
		sn_buf_addc(b, ']');
	if (s->val.num)
		sn_buf_printf(b, ":%u", s->val.num);
}

static void rs_print_stmt(struct sn_buf *b, enum rs_family f, const struct rs_stmt *s)
{
	switch (s->type) {
	case RS_S_CMP:
		rs_print_cmp(b, f, s);
		break;
	case RS_S_FIB_LOCAL:
		sn_buf_printf(b, "fib %s type local", s->field == RS_F_SADDR ? "saddr" : "daddr");
		break;
	case RS_S_CT_DNAT:
		sn_buf_add(b, "ct status dnat");
		break;
	case RS_S_MARK_TEST:
		/* nft lists marks as 0x%08x */
		sn_buf_printf(b, "meta mark & 0x%08x == 0x%08x", s->num, s->num);
		break;
	case RS_S_NUMGEN:
		sn_buf_printf(b, "numgen random mod %u 0", s->num);
		break;
	case RS_S_LOOKUP:
		rs_print_key(b, f, &s->key);
		sn_buf_printf(b, "%s@%s", s->neg ? " != " : " ", s->set ? s->set : "?");
		break;
	case RS_S_MARK_SET:
		sn_buf_printf(b, "meta mark set meta mark | 0x%08x", s->num);
		break;
	case RS_S_MARK_CLEAR:
		sn_buf_printf(b, "meta mark set meta mark & 0x%08x", ~s->num);
		break;
	case RS_S_DNAT:
		rs_print_dnat(b, s);
		break;
	case RS_S_DNAT_MAP:
		sn_buf_printf(b, "dnat %s to ", rs_family_name(f));
		rs_print_key(b, f, &s->key);
		sn_buf_printf(b, " map @%s", s->set ? s->set : "?");
		if (s->val.num)
			sn_buf_printf(b, " : %u", s->val.num);
		break;
	case RS_S_MASQ:
		sn_buf_add(b, "masquerade fully-random");
		break;
	case RS_S_UPDATE:
		sn_buf_printf(b, "update @%s { ", s->set ? s->set : "?");
		rs_print_key(b, f, &s->key);
		if (s->num)
			sn_buf_printf(b, " timeout %us", s->num);
		if (s->data.len) {
			sn_buf_add(b, " : ");
			rs_print_key(b, f, &s->data);
		}
		sn_buf_add(b, " }");
		break;
	case RS_S_REJECT:
		sn_buf_add(b, s->tcp_reset ? "reject with tcp reset" : "reject");
		break;
	case RS_S_VMAP:
		rs_print_key(b, f, &s->key);
		if (s->num)
			rs_print_low_mask(b, f, s->key.field[0], (uint16_t)s->num);
		sn_buf_printf(b, " vmap @%s", s->set ? s->set : "?");
		break;
	case RS_S_VERDICT:
		rs_print_verdict(b, &s->verdict);
		break;
	case RS_S_COUNTER:
		sn_buf_add(b, "counter");
		break;
	case RS_S_FOREIGN:
		rs_buf_add_safe(b, s->text ? s->text : "", RS_FOREIGN_TEXT_MAX);
		break;
	default:
		sn_buf_printf(b, "(statement %u)", s->type);
		break;
	}
}

static void rs_print_comment(struct sn_buf *b, const char *s)
{
	sn_buf_add(b, "comment \"");
	rs_buf_add_safe(b, s, RS_COMMENT_MAX);
	sn_buf_addc(b, '"');
}

void rs_print_rule(struct sn_buf *b, enum rs_family f, const struct rs_rule *r)
{
	uint16_t i;

	for (i = 0; i < r->n; i++) {
		if (i)
			sn_buf_addc(b, ' ');
		rs_print_stmt(b, f, &r->stmts[i]);
	}
	if (r->comment && *r->comment) {
		if (r->n)
			sn_buf_addc(b, ' ');
		rs_print_comment(b, r->comment);
	}
}

/* ---- sets ---- */

void rs_print_elem(struct sn_buf *b, enum rs_family f, const struct rs_set *s,
		   const struct rs_elem *e)
{
	bool interval = s->flags & RS_SET_INTERVAL;
	uint8_t i;

	for (i = 0; i < s->nkey && i < RS_KEY_MAX; i++) {
		if (i)
			sn_buf_add(b, " . ");
		rs_print_val(b, s->key[i], &e->key[i], interval);
	}
	/* nft takes an element's comment between its key and its data */
	if (e->comment && *e->comment) {
		sn_buf_addc(b, ' ');
		rs_print_comment(b, e->comment);
	}
	if (!s->ndata)
		return;
	sn_buf_add(b, " : ");
	if (s->data[0] == RS_T_VERDICT) {
		rs_print_verdict(b, &e->verdict);
		return;
	}
	for (i = 0; i < s->ndata && i < SN_ARRAY_SIZE(e->data); i++) {
		if (i)
			sn_buf_add(b, " . ");
		rs_print_val(b, s->data[i], &e->data[i], false);
	}
}

static void rs_print_types(struct sn_buf *b, const uint8_t *types, uint8_t n)
{
	uint8_t i;

	for (i = 0; i < n; i++) {
		if (i)
			sn_buf_add(b, " . ");
		sn_buf_add(b, rs_type_name(types[i]));
	}
}

/* In the order nft lists them. */
static const struct {
	uint32_t flag;
	const char *name;
} rs_set_flag_names[] = {
	{ RS_SET_DYNAMIC, "dynamic" },
	{ RS_SET_INTERVAL, "interval" },
	{ RS_SET_TIMEOUT, "timeout" },
};

/* The printer writes a large set to out (when not NULL) whenever this much
 * has piled up in the buffer, rather than holding the whole set (9 MB of
 * text for 100,000 endpoints) in memory at once. */
#define RS_PRINT_FLUSH (64u << 10)

static void rs_print_set(struct sn_buf *b, enum rs_family f, const struct rs_set *s,
			 const char *indent, bool with_elems, FILE *out)
{
	size_t i;

	sn_buf_printf(b, "%s%s %s {\n", indent, s->ndata ? "map" : "set", s->name);
	if (s->tkey.len) {
		sn_buf_printf(b, "%s\ttypeof ", indent);
		rs_print_key(b, f, &s->tkey);
		if (s->tdata.len) {
			sn_buf_add(b, " : ");
			rs_print_key(b, f, &s->tdata);
		}
	} else {
		sn_buf_printf(b, "%s\ttype ", indent);
		rs_print_types(b, s->key, s->nkey);
		if (s->ndata) {
			sn_buf_add(b, " : ");
			rs_print_types(b, s->data, s->ndata);
		}
	}
	sn_buf_addc(b, '\n');
	if (s->size)
		sn_buf_printf(b, "%s\tsize %u\n", indent, s->size);
	if (s->flags & (RS_SET_DYNAMIC | RS_SET_INTERVAL | RS_SET_TIMEOUT)) {
		const char *sep = "";

		sn_buf_printf(b, "%s\tflags ", indent);
		for (i = 0; i < SN_ARRAY_SIZE(rs_set_flag_names); i++) {
			if (s->flags & rs_set_flag_names[i].flag) {
				sn_buf_printf(b, "%s%s", sep, rs_set_flag_names[i].name);
				sep = ",";
			}
		}
		sn_buf_addc(b, '\n');
	}
	if (s->comment && *s->comment) {
		sn_buf_printf(b, "%s\t", indent);
		rs_print_comment(b, s->comment);
		sn_buf_addc(b, '\n');
	}
	/* Elements of a set the packet path fills are not ours to print: they
	 * would come back without their timeouts. */
	if (with_elems && s->n && !s->elems_runtime) {
		sn_buf_printf(b, "%s\telements = {\n", indent);
		for (i = 0; i < s->n; i++) {
			sn_buf_add(b, indent);
			sn_buf_addn(b, "\t\t", 2);
			rs_print_elem(b, f, s, &s->elems[i]);
			/* nft 1.0.6 accepts a comma after the last element too. */
			sn_buf_addn(b, ",\n", 2);
			if (out && b->len >= RS_PRINT_FLUSH) {
				fwrite(b->s, 1, b->len, out);
				sn_buf_reset(b);
			}
		}
		sn_buf_printf(b, "%s\t}\n", indent);
	}
	sn_buf_printf(b, "%s}\n", indent);
}

void rs_print_set_decl(struct sn_buf *b, const struct rs_set *s, const char *indent)
{
	/* Without elements the family shows only in a typeof declaration,
	 * where the key's address type says it. */
	enum rs_family f = RS_IP;
	uint8_t i;

	for (i = 0; i < s->nkey && i < RS_KEY_MAX; i++)
		if (s->key[i] == RS_T_IPV6)
			f = RS_IP6;
	rs_print_set(b, f, s, indent ? indent : "", false, NULL);
}

/* ---- chains ---- */

static const char *const rs_hook_names[] = {
	[RS_HOOK_PREROUTING] = "prerouting",
	[RS_HOOK_INPUT] = "input",
	[RS_HOOK_FORWARD] = "forward",
	[RS_HOOK_OUTPUT] = "output",
	[RS_HOOK_POSTROUTING] = "postrouting",
};

/* nft's standard priorities (ip and ip6), in the order nft tries them. */
static const struct {
	int32_t val;
	const char *name;
} rs_std_prios[] = {
	{ -300, "raw" },
	{ -150, "mangle" },
	{ -100, "dstnat" },
	{ 0, "filter" },
	{ 50, "security" },
	{ 100, "srcnat" },
};

/* How close to a standard priority nft still prints it by name. */
#define RS_PRIO_REACH 10

static void rs_print_prio(struct sn_buf *b, int hook, int32_t prio)
{
	size_t i;

	for (i = 0; i < SN_ARRAY_SIZE(rs_std_prios); i++) {
		int64_t off = (int64_t)prio - rs_std_prios[i].val;

		if (off < -RS_PRIO_REACH || off > RS_PRIO_REACH)
			continue;
		/* nft 1.0.6 refuses dstnat outside prerouting and srcnat
		 * outside postrouting; it lists those as numbers too. */
		if ((rs_std_prios[i].val == -100 && hook != RS_HOOK_PREROUTING) ||
		    (rs_std_prios[i].val == 100 && hook != RS_HOOK_POSTROUTING))
			break;
		sn_buf_add(b, rs_std_prios[i].name);
		if (off > 0)
			sn_buf_printf(b, " + %d", (int)off);
		else if (off < 0)
			sn_buf_printf(b, " - %d", (int)-off);
		return;
	}
	sn_buf_printf(b, "%d", prio);
}

static void rs_print_chain(struct sn_buf *b, enum rs_family f, const struct rs_chain *c,
			   const char *indent, bool with_rules)
{
	uint32_t i;

	if (c->note && *c->note) {
		sn_buf_printf(b, "%s# ", indent);
		rs_buf_add_safe(b, c->note, RS_COMMENT_MAX);
		sn_buf_addc(b, '\n');
	}
	sn_buf_printf(b, "%schain %s {\n", indent, c->name);
	if (c->hook >= 0) {
		const char *hook = (size_t)c->hook < SN_ARRAY_SIZE(rs_hook_names) ?
					   rs_hook_names[c->hook] : "?";

		sn_buf_printf(b, "%s\ttype %s hook %s priority ", indent,
			      c->type ? c->type : "filter", hook);
		rs_print_prio(b, c->hook, c->prio);
		sn_buf_add(b, "; policy accept;\n");
	}
	for (i = 0; with_rules && i < c->n; i++) {
		sn_buf_printf(b, "%s\t", indent);
		rs_print_rule(b, f, &c->rules[i]);
		sn_buf_addc(b, '\n');
	}
	sn_buf_printf(b, "%s}\n", indent);
}

void rs_print_chain_decl(struct sn_buf *b, const struct rs_chain *c, const char *indent)
{
	rs_print_chain(b, RS_IP, c, indent ? indent : "", false);
}

/* ---- tables ---- */

void rs_print_table(FILE *out, const struct rs_table *t)
{
	struct sn_buf b;
	bool first = true;
	size_t i;

	/* One buffer per object, written as we go: a large table is never
	 * held twice in memory. */
	sn_buf_init(&b);
	sn_buf_printf(&b, "table %s %s {\n", rs_family_name(t->family), t->name);
	if (t->comment && *t->comment) {
		sn_buf_addc(&b, '\t');
		rs_print_comment(&b, t->comment);
		sn_buf_addc(&b, '\n');
		first = false;
	}
	for (i = 0; i < t->nsets; i++) {
		if (!first)
			sn_buf_addc(&b, '\n');
		first = false;
		rs_print_set(&b, t->family, t->sets[i], "\t", true, out);
		fwrite(b.s, 1, b.len, out);
		sn_buf_reset(&b);
	}
	for (i = 0; i < t->nchains; i++) {
		if (!first)
			sn_buf_addc(&b, '\n');
		first = false;
		rs_print_chain(&b, t->family, t->chains[i], "\t", true);
		fwrite(b.s, 1, b.len, out);
		sn_buf_reset(&b);
	}
	sn_buf_add(&b, "}\n");
	fwrite(b.s, 1, b.len, out);
	sn_buf_free(&b);
}

void rs_print_ruleset(FILE *out, const struct rs_ruleset *rs)
{
	size_t i;

	for (i = 0; rs && i < rs->n; i++) {
		if (i)
			fputc('\n', out);
		rs_print_table(out, rs->tables[i]);
	}
}
