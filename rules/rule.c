/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rules/rule.c: rule builders (one statement each) and rule equality.
 */
#include <stdlib.h>
#include <string.h>

#include "rules/internal.h"

static struct rs_stmt *rs_rule_new_stmt(struct rs_rule *r, enum rs_stmt_type type)
{
	struct rs_stmt *s;

	if (r->n == UINT16_MAX) {
		fprintf(stderr, "svcnft: too many statements in one rule\n");
		abort();
	}
	if (r->n == r->cap) {
		/* A rule holds a handful of statements: start at 4. */
		uint16_t ncap = r->cap ? (r->cap > UINT16_MAX / 2 ? UINT16_MAX : r->cap * 2) : 4;

		r->stmts = sn_realloc(r->stmts, (size_t)ncap * sizeof(*r->stmts));
		r->cap = ncap;
	}
	s = &r->stmts[r->n++];
	memset(s, 0, sizeof(*s));
	s->type = type;
	return s;
}

static void rs_stmt_free_contents(struct rs_stmt *s)
{
	free(s->set);
	free(s->verdict.chain);
	free(s->text);
}

void rs_rule_free_contents(struct rs_rule *r)
{
	uint16_t i;

	if (!r)
		return;
	for (i = 0; i < r->n; i++)
		rs_stmt_free_contents(&r->stmts[i]);
	free(r->stmts);
	free(r->comment);
	memset(r, 0, sizeof(*r));
}

void rs_rule_set_comment(struct rs_rule *r, const char *comment)
{
	free(r->comment);
	/* An empty comment is no comment: the kernel keeps no userdata for it. */
	r->comment = comment && *comment ? rs_strdup_safe(comment, RS_COMMENT_MAX) : NULL;
}

static void rs_key_copy(struct rs_key *dst, const struct rs_key *k)
{
	memset(dst, 0, sizeof(*dst));
	if (!k)
		return;
	dst->len = k->len > RS_KEY_MAX ? RS_KEY_MAX : k->len;
	memcpy(dst->field, k->field, dst->len);
	dst->mod = k->mod;
}

void rs_rule_cmp_addr(struct rs_rule *r, enum rs_field f, bool neg, const struct sn_addr *a)
{
	struct rs_stmt *s = rs_rule_new_stmt(r, RS_S_CMP);

	s->field = f;
	s->neg = neg;
	s->val.addr = *a;
}

void rs_rule_cmp_proto(struct rs_rule *r, uint8_t proto)
{
	struct rs_stmt *s = rs_rule_new_stmt(r, RS_S_CMP);

	s->field = RS_F_L4PROTO;
	s->val.num = proto;
}

void rs_rule_cmp_port(struct rs_rule *r, bool neg, uint16_t port)
{
	struct rs_stmt *s = rs_rule_new_stmt(r, RS_S_CMP);

	s->field = RS_F_DPORT;
	s->neg = neg;
	s->val.num = port;
}

void rs_rule_fib_local(struct rs_rule *r, enum rs_field saddr_or_daddr)
{
	rs_rule_new_stmt(r, RS_S_FIB_LOCAL)->field = saddr_or_daddr;
}

void rs_rule_ct_dnat(struct rs_rule *r)
{
	rs_rule_new_stmt(r, RS_S_CT_DNAT);
}

void rs_rule_mark_test(struct rs_rule *r, uint32_t bits)
{
	rs_rule_new_stmt(r, RS_S_MARK_TEST)->num = bits;
}

void rs_rule_numgen(struct rs_rule *r, uint32_t mod)
{
	rs_rule_new_stmt(r, RS_S_NUMGEN)->num = mod;
}

void rs_rule_lookup(struct rs_rule *r, const struct rs_key *k, bool neg, const char *set)
{
	struct rs_stmt *s = rs_rule_new_stmt(r, RS_S_LOOKUP);

	rs_key_copy(&s->key, k);
	s->neg = neg;
	s->set = sn_strdup(set);
}

void rs_rule_mark_set(struct rs_rule *r, uint32_t bits)
{
	rs_rule_new_stmt(r, RS_S_MARK_SET)->num = bits;
}

void rs_rule_mark_clear(struct rs_rule *r, uint32_t bits)
{
	rs_rule_new_stmt(r, RS_S_MARK_CLEAR)->num = bits;
}

void rs_rule_dnat(struct rs_rule *r, const struct sn_addr *a, uint16_t port)
{
	struct rs_stmt *s = rs_rule_new_stmt(r, RS_S_DNAT);

	s->val.addr = *a;
	s->val.num = port;
}

void rs_rule_dnat_map(struct rs_rule *r, const struct rs_key *k, const char *map)
{
	struct rs_stmt *s = rs_rule_new_stmt(r, RS_S_DNAT_MAP);

	rs_key_copy(&s->key, k);
	s->set = sn_strdup(map);
}

void rs_rule_dnat_map_port(struct rs_rule *r, const struct rs_key *k, const char *map,
			   uint16_t port)
{
	struct rs_stmt *s = rs_rule_new_stmt(r, RS_S_DNAT_MAP);

	rs_key_copy(&s->key, k);
	s->set = sn_strdup(map);
	s->val.num = port;
}

void rs_rule_masq(struct rs_rule *r)
{
	rs_rule_new_stmt(r, RS_S_MASQ);
}

void rs_rule_update(struct rs_rule *r, const char *set, const struct rs_key *k,
		    uint32_t timeout_s, const struct rs_key *data)
{
	struct rs_stmt *s = rs_rule_new_stmt(r, RS_S_UPDATE);

	s->set = sn_strdup(set);
	rs_key_copy(&s->key, k);
	rs_key_copy(&s->data, data);
	s->num = timeout_s;
}

void rs_rule_reject(struct rs_rule *r, bool tcp_reset)
{
	rs_rule_new_stmt(r, RS_S_REJECT)->tcp_reset = tcp_reset;
}

void rs_rule_vmap(struct rs_rule *r, const struct rs_key *k, const char *map)
{
	struct rs_stmt *s = rs_rule_new_stmt(r, RS_S_VMAP);

	rs_key_copy(&s->key, k);
	s->set = sn_strdup(map);
}

void rs_rule_vmap_masked(struct rs_rule *r, enum rs_field field, uint16_t mask, const char *map)
{
	struct rs_stmt *s = rs_rule_new_stmt(r, RS_S_VMAP);

	s->key.len = 1;
	s->key.field[0] = (uint8_t)field;
	s->num = mask;
	s->set = sn_strdup(map);
}

void rs_rule_verdict(struct rs_rule *r, enum rs_verdict_code code, const char *chain)
{
	struct rs_stmt *s = rs_rule_new_stmt(r, RS_S_VERDICT);

	s->verdict.code = code;
	if ((code == RS_V_JUMP || code == RS_V_GOTO) && chain)
		s->verdict.chain = sn_strdup(chain);
}

void rs_rule_counter(struct rs_rule *r)
{
	rs_rule_new_stmt(r, RS_S_COUNTER);
}

void rs_rule_foreign(struct rs_rule *r, const char *text)
{
	rs_rule_new_stmt(r, RS_S_FOREIGN)->text =
		rs_strdup_safe(text ? text : "", RS_FOREIGN_TEXT_MAX);
}

void rs_rule_add_stmt(struct rs_rule *r, const struct rs_stmt *src)
{
	struct rs_stmt *s = rs_rule_new_stmt(r, src->type);

	*s = *src;
	s->key.len = src->key.len > RS_KEY_MAX ? RS_KEY_MAX : src->key.len;
	s->data.len = src->data.len > RS_KEY_MAX ? RS_KEY_MAX : src->data.len;
	s->set = src->set ? sn_strdup(src->set) : NULL;
	s->verdict.chain = src->verdict.chain ? sn_strdup(src->verdict.chain) : NULL;
	s->text = src->text ? rs_strdup_safe(src->text, RS_FOREIGN_TEXT_MAX) : NULL;
}

/* ---- equality ---- */

static bool rs_key_eq(const struct rs_key *a, const struct rs_key *b)
{
	return a->len == b->len && !memcmp(a->field, b->field, a->len) && a->mod == b->mod;
}

static bool rs_str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return !strcmp(a, b);
}

static bool rs_field_is_addr(uint8_t field)
{
	return field == RS_F_SADDR || field == RS_F_DADDR || field == RS_F_CT_ODADDR;
}

static bool rs_verdict_eq(const struct rs_verdict *a, const struct rs_verdict *b)
{
	if (a->code != b->code)
		return false;
	if (a->code == RS_V_JUMP || a->code == RS_V_GOTO)
		return rs_str_eq(a->chain, b->chain);
	return true;
}

static bool rs_stmt_eq(const struct rs_stmt *a, const struct rs_stmt *b)
{
	if (a->type != b->type)
		return false;

	switch (a->type) {
	case RS_S_CMP:
		if (a->field != b->field || a->neg != b->neg)
			return false;
		if (rs_field_is_addr(a->field))
			return sn_addr_eq(&a->val.addr, &b->val.addr);
		return a->val.num == b->val.num;
	case RS_S_FIB_LOCAL:
		return a->field == b->field;
	case RS_S_CT_DNAT:
	case RS_S_MASQ:
	case RS_S_COUNTER:
		return true;
	case RS_S_MARK_TEST:
	case RS_S_MARK_SET:
	case RS_S_MARK_CLEAR:
	case RS_S_NUMGEN:
		return a->num == b->num;
	case RS_S_LOOKUP:
		return a->neg == b->neg && rs_key_eq(&a->key, &b->key) && rs_str_eq(a->set, b->set);
	case RS_S_DNAT:
		return sn_addr_eq(&a->val.addr, &b->val.addr) && a->val.num == b->val.num;
	case RS_S_DNAT_MAP:
		return rs_key_eq(&a->key, &b->key) && rs_str_eq(a->set, b->set) &&
		       a->val.num == b->val.num;
	case RS_S_VMAP:
		return a->num == b->num && rs_key_eq(&a->key, &b->key) && rs_str_eq(a->set, b->set);
	case RS_S_UPDATE:
		return a->num == b->num && rs_key_eq(&a->key, &b->key) &&
		       rs_key_eq(&a->data, &b->data) && rs_str_eq(a->set, b->set);
	case RS_S_REJECT:
		return !a->tcp_reset == !b->tcp_reset;
	case RS_S_VERDICT:
		return rs_verdict_eq(&a->verdict, &b->verdict);
	case RS_S_FOREIGN:
		/* Not ours: never equal, so that the diff always replaces it. */
		return false;
	}
	return false;
}

bool rs_rule_eq(const struct rs_rule *a, const struct rs_rule *b)
{
	const char *ca = a->comment ? a->comment : "";
	const char *cb = b->comment ? b->comment : "";
	uint16_t i;

	if (a->n != b->n || strcmp(ca, cb))
		return false;
	for (i = 0; i < a->n; i++)
		if (!rs_stmt_eq(&a->stmts[i], &b->stmts[i]))
			return false;
	return true;
}
