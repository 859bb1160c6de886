// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * reconcile/dry.c: a kernel in memory for dry runs (rc_new with no socket,
 * the unit tests): each batch is applied to a ruleset the way nf_tables
 * applies it, and refused the way it would be when it deletes what is not
 * there or adds an element whose key is taken. The tests compare that
 * ruleset with a fresh compile, which checks the batches themselves and
 * not only the view that rc keeps beside them.
 */
#include <stdlib.h>
#include <string.h>

#include "reconcile/internal.h"
#include "rules/edit.h"

struct rs_ruleset *rc_ruleset_copy(const struct rs_ruleset *src)
{
	struct rs_ruleset *rs = rs_ruleset_alloc();

	rs->genid = src ? src->genid : 0;
	for (size_t i = 0; src && i < src->n; i++) {
		const struct rs_table *t = src->tables[i];
		struct rs_table *d = rs_ruleset_add_table(rs, t->family, t->name);

		if (t->comment)
			rs_table_set_comment(d, t->comment);
		for (size_t k = 0; k < t->nsets; k++)
			rs_table_copy_set(d, t->sets[k], true);
		for (size_t k = 0; k < t->nchains; k++)
			rs_table_copy_chain(d, t->chains[k]);
	}
	return rs;
}

static int fail(char **why, const struct rs_op *op, const char *what, const char *name)
{
	*why = sn_asprintf("dry run: %s %s in table %s %s", what, name ? name : "",
			   rs_family_name(op->table->family), op->table->name);
	return -1;
}

int rc_dry_apply(struct rs_ruleset *k, const struct rs_diff *d, char **why)
{
	*why = NULL;
	for (size_t i = 0; i < d->n; i++) {
		const struct rs_op *op = &d->ops[i];
		struct rs_table *t = rs_ruleset_find_table(k, op->table->family, op->table->name);
		struct rs_chain *c;
		struct rs_set *s;

		if (op->type == RS_OP_ADD_TABLE) {
			if (t)
				continue;	/* NLM_F_CREATE without EXCL: fine */
			t = rs_ruleset_add_table(k, op->table->family, op->table->name);
			if (op->table->comment)
				rs_table_set_comment(t, op->table->comment);
			continue;
		}
		if (!t)
			return fail(why, op, "no such table for an operation on", "");
		switch (op->type) {
		case RS_OP_ADD_SET:
			if (!rs_table_find_set(t, op->set->name))
				rs_table_copy_set(t, op->set, false);
			break;
		case RS_OP_ADD_CHAIN:
			if (!rs_table_find_chain(t, op->chain->name)) {
				c = rs_table_copy_chain(t, op->chain);
				rs_chain_flush(c);
			}
			break;
		case RS_OP_FLUSH_CHAIN:
			if (!(c = rs_table_find_chain(t, op->chain->name)))
				return fail(why, op, "flush of a missing chain", op->chain->name);
			rs_chain_flush(c);
			break;
		case RS_OP_ADD_RULES:
			if (!(c = rs_table_find_chain(t, op->chain->name)))
				return fail(why, op, "rules into a missing chain", op->chain->name);
			for (uint32_t r = 0; r < op->chain->n; r++) {
				const struct rs_rule *src = &op->chain->rules[r];
				struct rs_rule *dst = rs_chain_add_rule(c);

				for (uint16_t x = 0; x < src->n; x++)
					rs_rule_add_stmt(dst, &src->stmts[x]);
				if (src->comment)
					rs_rule_set_comment(dst, src->comment);
			}
			break;
		case RS_OP_ADD_ELEMS:
		case RS_OP_DEL_ELEMS:
			if (!(s = rs_table_find_set(t, op->set->name)))
				return fail(why, op, "elements of a missing set", op->set->name);
			for (size_t e = 0; e < op->nelems; e++) {
				const struct rs_elem *x = rs_set_find_elem(s, op->elems[e]);

				if (op->type == RS_OP_DEL_ELEMS && !x)
					return fail(why, op, "delete of a missing element of",
						    op->set->name);
				if (op->type == RS_OP_ADD_ELEMS && x &&
				    !rs_elem_data_eq(s, x, op->elems[e]))
					return fail(why, op, "an element whose key is taken, in",
						    op->set->name);
				if (op->type == RS_OP_DEL_ELEMS)
					rs_set_del_elem_at(s, (size_t)(x - s->elems));
				else if (!x)
					rs_set_add_elem_copy(s, op->elems[e]);
			}
			break;
		case RS_OP_DEL_SET:
			if (!rs_table_del_set(t, op->set->name))
				return fail(why, op, "delete of a missing set", op->set->name);
			break;
		case RS_OP_DEL_CHAIN:
			if (!rs_table_del_chain(t, op->chain->name))
				return fail(why, op, "delete of a missing chain", op->chain->name);
			break;
		case RS_OP_DEL_TABLE:
			rs_ruleset_del_table(k, op->table->family, op->table->name);
			break;
		default:
			break;
		}
	}
	k->genid++;
	return 0;
}
