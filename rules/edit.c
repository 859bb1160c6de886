// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rules/edit.c: copies, O(1) element removal and hashes (rules/edit.h).
 */
#include <stdlib.h>
#include <string.h>

#include "rules/edit.h"
#include "rules/internal.h"

void rs_elem_copy(struct rs_elem *dst, const struct rs_elem *src)
{
	*dst = *src;
	dst->verdict.chain = src->verdict.chain ? sn_strdup(src->verdict.chain) : NULL;
	dst->comment = src->comment ? sn_strdup(src->comment) : NULL;
}

struct rs_elem *rs_set_add_elem_copy(struct rs_set *s, const struct rs_elem *e)
{
	struct rs_elem *d = rs_set_add_elem(s);

	rs_elem_copy(d, e);
	return d;
}

void rs_set_del_elem_at(struct rs_set *s, size_t i)
{
	if (i >= s->n)
		return;
	rs_elem_free_contents(&s->elems[i]);
	if (i != s->n - 1)
		s->elems[i] = s->elems[s->n - 1];
	s->n--;
	s->sorted = s->n <= 1;
}

/* The bytes rs_elem_key_cmp() compares, field by field. */
uint64_t rs_elem_key_hash(const struct rs_set *s, const struct rs_elem *e)
{
	bool interval = s->flags & RS_SET_INTERVAL;
	uint64_t h = 0x9e3779b97f4a7c15ull;

	for (uint8_t i = 0; i < s->nkey && i < RS_KEY_MAX; i++) {
		const struct rs_val *v = &e->key[i];

		switch (s->key[i]) {
		case RS_T_IPV4:
		case RS_T_IPV6:
			h = sn_hash64(v->addr.a, rs_type_len(s->key[i]), h);
			if (interval)
				h = sn_hash64(&v->addr.plen, 1, h);
			break;
		case RS_T_PROTO:
		case RS_T_SERVICE:
		case RS_T_INTEGER:
			h = sn_hash64(&v->num, sizeof(v->num), h);
			break;
		default:
			break;
		}
	}
	return h;
}

void rs_chain_copy_rules(struct rs_chain *c, const struct rs_chain *from)
{
	rs_chain_flush(c);
	for (uint32_t i = 0; i < from->n; i++) {
		const struct rs_rule *src = &from->rules[i];
		struct rs_rule *r = rs_chain_add_rule(c);

		for (uint16_t k = 0; k < src->n; k++)
			rs_rule_add_stmt(r, &src->stmts[k]);
		if (src->comment)
			rs_rule_set_comment(r, src->comment);
	}
}

struct rs_chain *rs_table_copy_chain(struct rs_table *t, const struct rs_chain *c)
{
	struct rs_chain *d = c->hook >= 0 ? rs_table_add_base_chain(t, c->name, c->type,
								    (enum rs_hook)c->hook, c->prio)
					  : rs_table_add_chain(t, c->name);

	if (!d)
		return NULL;
	if (c->note)
		rs_chain_set_note(d, c->note);
	rs_chain_copy_rules(d, c);
	return d;
}

struct rs_set *rs_table_copy_set(struct rs_table *t, const struct rs_set *s, bool with_elems)
{
	struct rs_set *d = rs_table_add_set(t, s->name);

	if (!d)
		return NULL;
	if (s->comment)
		rs_set_set_comment(d, s->comment);
	rs_set_set_type(d, s->nkey, s->key, s->ndata, s->data);
	d->tkey = s->tkey;
	d->tdata = s->tdata;
	d->flags = s->flags;
	d->size = s->size;
	d->elems_runtime = s->elems_runtime;
	for (size_t i = 0; with_elems && i < s->n; i++)
		rs_set_add_elem_copy(d, &s->elems[i]);
	if (with_elems && s->sorted)
		d->sorted = true;	/* copied in order */
	return d;
}

static uint64_t hash_str(const char *s, uint64_t h)
{
	return sn_hash_str(s ? s : "", h);
}

static uint64_t hash_key(const struct rs_key *k, uint64_t h)
{
	h = sn_hash64(&k->len, 1, h);
	h = sn_hash64(k->field, k->len > RS_KEY_MAX ? RS_KEY_MAX : k->len, h);
	return sn_hash64(&k->mod, sizeof(k->mod), h);
}

/* Every field rs_rule_eq() may look at, whatever the statement type: a
 * field a type does not use is zero in what the compiler builds, and a
 * hash that distinguishes more than the equality does only costs a
 * needless rebuild, never a wrong answer. */
static uint64_t hash_stmt(const struct rs_stmt *s, uint64_t h)
{
	uint8_t b[4] = { s->type, s->neg, s->field, s->tcp_reset };

	h = sn_hash64(b, sizeof(b), h);
	h = sn_hash64(&s->num, sizeof(s->num), h);
	h = sn_hash64(&s->val.addr.family, 1, h);
	h = sn_hash64(&s->val.addr.plen, 1, h);
	h = sn_hash64(s->val.addr.a, sizeof(s->val.addr.a), h);
	h = sn_hash64(&s->val.num, sizeof(s->val.num), h);
	h = hash_key(&s->key, h);
	h = hash_key(&s->data, h);
	h = hash_str(s->set, h);
	h = sn_hash64(&s->verdict.code, 1, h);
	h = hash_str(s->verdict.chain, h);
	return hash_str(s->text, h);
}

uint64_t rs_chain_hash(const struct rs_chain *c)
{
	uint64_t h = hash_str(c->name, 0x243f6a8885a308d3ull);

	h = sn_hash64(&c->hook, sizeof(c->hook), h);
	if (c->hook >= 0) {
		h = hash_str(c->type, h);
		h = sn_hash64(&c->prio, sizeof(c->prio), h);
	}
	for (uint32_t i = 0; i < c->n; i++) {
		const struct rs_rule *r = &c->rules[i];

		h = sn_hash64(&r->n, sizeof(r->n), h);
		for (uint16_t k = 0; k < r->n; k++)
			h = hash_stmt(&r->stmts[k], h);
		h = hash_str(r->comment, h);
	}
	return h;
}

uint64_t rs_set_decl_hash(const struct rs_set *s)
{
	uint64_t h = hash_str(s->name, 0x13198a2e03707344ull);
	uint8_t b[2] = { s->nkey, s->ndata };

	h = sn_hash64(b, sizeof(b), h);
	h = sn_hash64(s->key, sizeof(s->key), h);
	h = sn_hash64(s->data, sizeof(s->data), h);
	h = sn_hash64(&s->flags, sizeof(s->flags), h);
	h = sn_hash64(&s->size, sizeof(s->size), h);
	h = hash_key(&s->tkey, h);
	h = hash_key(&s->tdata, h);
	return sn_hash64(&s->elems_runtime, sizeof(s->elems_runtime), h);
}

bool rs_ruleset_del_table(struct rs_ruleset *rs, enum rs_family f, const char *name)
{
	for (size_t i = 0; i < rs->n; i++) {
		struct rs_table *t = rs->tables[i];

		if (t->family != f || strcmp(t->name, name))
			continue;
		memmove(&rs->tables[i], &rs->tables[i + 1], (rs->n - i - 1) * sizeof(*rs->tables));
		rs->n--;
		rs_table_free(t);
		return true;
	}
	return false;
}
