/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rules/diff.c: the operations that turn the current ruleset into the
 * desired one, and their readable form.
 *
 * Cost: one hash lookup per chain and set, rs_rule_eq over the rules of
 * chains present on both sides, and a merge walk over the sorted elements
 * of each set: linear in the size of the rulesets (plus sorting what is
 * not sorted yet), so an unchanged ruleset of 10,000 chains diffs in a few
 * milliseconds.
 */
#include <stdlib.h>
#include <string.h>

#include "rules/internal.h"

/* Phases, in the order their operations are applied (see rs.h). */
enum rs_phase {
	RS_PH_REPLACE_TABLE,	/* DEL_TABLE of tables rebuilt in this batch */
	RS_PH_ADD_TABLE,
	RS_PH_ADD_SET,
	RS_PH_ADD_CHAIN,
	RS_PH_FLUSH_CHAIN,
	RS_PH_ADD_RULES,
	RS_PH_DEL_ELEMS,
	RS_PH_ADD_ELEMS,
	RS_PH_DEL_SET,		/* before chains: a dropped map's elements may point at a going chain */
	RS_PH_DEL_CHAIN,
	RS_PH_DEL_TABLE,
	__RS_PH_MAX
};

struct rs_op_list {
	struct rs_op *ops;
	size_t n, cap;
};

struct rs_diff_ctx {
	struct rs_diff *d;
	struct rs_op_list ph[__RS_PH_MAX];
};

static struct rs_op *rs_emit(struct rs_diff_ctx *x, enum rs_phase ph, enum rs_op_type type,
			     const struct rs_table *t)
{
	struct rs_op_list *l = &x->ph[ph];
	struct rs_op *op;

	sn_grow(&l->ops, &l->cap, l->n + 1, sizeof(*l->ops));
	op = &l->ops[l->n++];
	memset(op, 0, sizeof(*op));
	op->type = type;
	op->table = t;
	return op;
}

/* ---- ordering helpers ---- */

static int rs_set_ptr_cmp(const void *x, const void *y)
{
	const struct rs_set *a = *(const struct rs_set *const *)x;
	const struct rs_set *b = *(const struct rs_set *const *)y;

	return strcmp(a->name, b->name);
}

/* Sets of t by name (an owned array of borrowed pointers). */
static const struct rs_set **rs_sets_by_name(const struct rs_table *t)
{
	const struct rs_set **v = sn_malloc(t->nsets * sizeof(*v));
	size_t i;

	for (i = 0; i < t->nsets; i++)
		v[i] = t->sets[i];
	qsort(v, t->nsets, sizeof(*v), rs_set_ptr_cmp);
	return v;
}

/* rs_table_sort's order: base chains first, then regular chains by name. */
static int rs_chain_order_cmp(const struct rs_chain *a, const struct rs_chain *b)
{
	bool ba = a->hook >= 0, bb = b->hook >= 0;

	if (ba != bb)
		return ba ? -1 : 1;
	if (ba)
		return 0;	/* base chains keep their table order */
	return strcmp(a->name, b->name);
}

static int rs_chain_name_ptr_cmp(const void *x, const void *y)
{
	const struct rs_chain *a = *(const struct rs_chain *const *)x;
	const struct rs_chain *b = *(const struct rs_chain *const *)y;

	return strcmp(a->name, b->name);
}

/* Chains of t in rs_table_sort order, without sorting when the table is
 * already in that order (the usual case: the compiler sorts its output). */
static const struct rs_chain **rs_chains_ordered(const struct rs_table *t)
{
	const struct rs_chain **v = sn_malloc(t->nchains * sizeof(*v));
	size_t i, k = 0, nbase;
	bool sorted = true;

	for (i = 0; i < t->nchains; i++) {
		v[i] = t->chains[i];
		if (i && rs_chain_order_cmp(v[i - 1], v[i]) > 0)
			sorted = false;
	}
	if (sorted)
		return v;
	/* A stable partition puts the base chains first in table order; the
	 * regular chains after them have unique names, so qsort is enough. */
	for (i = 0; i < t->nchains; i++)
		if (t->chains[i]->hook >= 0)
			v[k++] = t->chains[i];
	nbase = k;
	for (i = 0; i < t->nchains; i++)
		if (t->chains[i]->hook < 0)
			v[k++] = t->chains[i];
	qsort(v + nbase, t->nchains - nbase, sizeof(*v), rs_chain_name_ptr_cmp);
	return v;
}

static int rs_elem_ptr_cmp(const void *x, const void *y, void *arg)
{
	return rs_elem_cmp(arg, *(const struct rs_elem *const *)x,
			   *(const struct rs_elem *const *)y);
}

/* The elements of s as a sorted array of pointers. */
static const struct rs_elem **rs_elems_sorted(const struct rs_set *s)
{
	const struct rs_elem **v = sn_malloc(s->n * sizeof(*v));
	size_t i;

	for (i = 0; i < s->n; i++)
		v[i] = &s->elems[i];
	if (!s->sorted)
		qsort_r(v, s->n, sizeof(*v), rs_elem_ptr_cmp, (void *)(uintptr_t)s);
	return v;
}

/* ---- whole objects ---- */

static void rs_add_elems(struct rs_diff_ctx *x, const struct rs_table *t, const struct rs_set *s)
{
	struct rs_op *op;

	if (s->elems_runtime || !s->n)
		return;
	op = rs_emit(x, RS_PH_ADD_ELEMS, RS_OP_ADD_ELEMS, t);
	op->set = s;
	op->elems = rs_elems_sorted(s);
	op->nelems = s->n;
	x->d->elems_added += s->n;
}

static void rs_add_set(struct rs_diff_ctx *x, const struct rs_table *t, const struct rs_set *s)
{
	rs_emit(x, RS_PH_ADD_SET, RS_OP_ADD_SET, t)->set = s;
	x->d->sets_added++;
	rs_add_elems(x, t, s);
}

static void rs_add_rules(struct rs_diff_ctx *x, const struct rs_table *t, const struct rs_chain *c)
{
	if (!c->n)
		return;
	rs_emit(x, RS_PH_ADD_RULES, RS_OP_ADD_RULES, t)->chain = c;
	x->d->rules_added += c->n;
}

static void rs_add_chain(struct rs_diff_ctx *x, const struct rs_table *t, const struct rs_chain *c)
{
	rs_emit(x, RS_PH_ADD_CHAIN, RS_OP_ADD_CHAIN, t)->chain = c;
	x->d->chains_added++;
	rs_add_rules(x, t, c);
}

static void rs_add_table(struct rs_diff_ctx *x, const struct rs_table *t)
{
	const struct rs_set **sets = rs_sets_by_name(t);
	const struct rs_chain **chains = rs_chains_ordered(t);
	size_t i;

	rs_emit(x, RS_PH_ADD_TABLE, RS_OP_ADD_TABLE, t);
	x->d->tables_added++;
	for (i = 0; i < t->nsets; i++)
		rs_add_set(x, t, sets[i]);
	for (i = 0; i < t->nchains; i++)
		rs_add_chain(x, t, chains[i]);
	free(sets);
	free(chains);
}

/* ---- objects present on both sides ---- */

#define RS_SET_FLAGS_KNOWN (RS_SET_INTERVAL | RS_SET_TIMEOUT | RS_SET_DYNAMIC)

static bool rs_set_compatible(const struct rs_set *w, const struct rs_set *h)
{
	return rs_set_type_eq(w, h) && w->size == h->size &&
	       ((w->flags ^ h->flags) & RS_SET_FLAGS_KNOWN) == 0;
}

static bool rs_chain_compatible(const struct rs_chain *w, const struct rs_chain *h)
{
	if ((w->hook >= 0) != (h->hook >= 0))
		return false;
	if (w->hook < 0)
		return true;
	return w->hook == h->hook && w->prio == h->prio &&
	       !strcmp(w->type ? w->type : "", h->type ? h->type : "");
}

/* Can `have` be turned into `want` object by object? Not when a set or a
 * base chain would have to change in a way the kernel does not allow in
 * place. */
static bool rs_table_compatible(const struct rs_table *want, const struct rs_table *have)
{
	size_t i;

	for (i = 0; i < want->nsets; i++) {
		const struct rs_set *h = rs_table_find_set(have, want->sets[i]->name);

		if (h && !rs_set_compatible(want->sets[i], h))
			return false;
	}
	for (i = 0; i < want->nchains; i++) {
		const struct rs_chain *h = rs_table_find_chain(have, want->chains[i]->name);

		if (h && !rs_chain_compatible(want->chains[i], h))
			return false;
	}
	return true;
}

static bool rs_chain_rules_eq(const struct rs_chain *a, const struct rs_chain *b)
{
	uint32_t i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (!rs_rule_eq(&a->rules[i], &b->rules[i]))
			return false;
	return true;
}

static void rs_elems_push(const struct rs_elem ***v, size_t *n, size_t *cap, const struct rs_elem *e)
{
	sn_grow(v, cap, *n + 1, sizeof(**v));
	(*v)[(*n)++] = e;
}

/* Merge walk over both sorted element lists. */
static void rs_diff_elems(struct rs_diff_ctx *x, const struct rs_table *wt, const struct rs_set *w,
			  const struct rs_table *ht, const struct rs_set *h)
{
	const struct rs_elem **wv = rs_elems_sorted(w), **hv = rs_elems_sorted(h);
	const struct rs_elem **add = NULL, **del = NULL;
	size_t nadd = 0, adds_cap = 0, ndel = 0, dels_cap = 0;
	size_t i = 0, j = 0;
	struct rs_op *op;

	while (i < w->n || j < h->n) {
		int r = i == w->n ? 1 : j == h->n ? -1 : rs_elem_key_cmp(w, wv[i], hv[j]);

		if (r < 0) {
			rs_elems_push(&add, &nadd, &adds_cap, wv[i++]);
		} else if (r > 0) {
			rs_elems_push(&del, &ndel, &dels_cap, hv[j++]);
		} else {
			/* Same key, other data: an element cannot be changed
			 * in place, so remove it and add it again. */
			if (!rs_elem_data_eq(w, wv[i], hv[j])) {
				rs_elems_push(&del, &ndel, &dels_cap, hv[j]);
				rs_elems_push(&add, &nadd, &adds_cap, wv[i]);
			}
			i++;
			j++;
		}
	}
	free(wv);
	free(hv);

	if (ndel) {
		op = rs_emit(x, RS_PH_DEL_ELEMS, RS_OP_DEL_ELEMS, ht);
		op->set = h;
		op->elems = del;
		op->nelems = ndel;
		x->d->elems_deleted += ndel;
	}
	if (nadd) {
		op = rs_emit(x, RS_PH_ADD_ELEMS, RS_OP_ADD_ELEMS, wt);
		op->set = w;
		op->elems = add;
		op->nelems = nadd;
		x->d->elems_added += nadd;
	}
}

static void rs_del_chain(struct rs_diff_ctx *x, const struct rs_table *t, const struct rs_chain *c)
{
	if (c->n)
		rs_emit(x, RS_PH_FLUSH_CHAIN, RS_OP_FLUSH_CHAIN, t)->chain = c;
	rs_emit(x, RS_PH_DEL_CHAIN, RS_OP_DEL_CHAIN, t)->chain = c;
	x->d->chains_deleted++;
	x->d->rules_deleted += c->n;
}

static void rs_del_table(struct rs_diff_ctx *x, enum rs_phase ph, const struct rs_table *t)
{
	rs_emit(x, ph, RS_OP_DEL_TABLE, t);
	x->d->tables_deleted++;
}

static void rs_diff_table(struct rs_diff_ctx *x, const struct rs_table *want,
			  const struct rs_table *have)
{
	const struct rs_set **wsets, **hsets;
	const struct rs_chain **wchains, **hchains;
	size_t i;

	if (!have) {
		rs_add_table(x, want);
		return;
	}
	if (!rs_table_compatible(want, have)) {
		/* Rare (only when an svcnft upgrade changes a set's type or a
		 * base chain's hook): rebuild the whole table in this batch,
		 * which is still one atomic transaction. */
		rs_del_table(x, RS_PH_REPLACE_TABLE, have);
		rs_add_table(x, want);
		return;
	}

	wsets = rs_sets_by_name(want);
	for (i = 0; i < want->nsets; i++) {
		const struct rs_set *w = wsets[i];
		const struct rs_set *h = rs_table_find_set(have, w->name);

		if (!h)
			rs_add_set(x, want, w);
		else if (!w->elems_runtime)
			rs_diff_elems(x, want, w, have, h);
	}
	free(wsets);

	wchains = rs_chains_ordered(want);
	for (i = 0; i < want->nchains; i++) {
		const struct rs_chain *w = wchains[i];
		const struct rs_chain *h = rs_table_find_chain(have, w->name);
		struct rs_op *op;

		if (!h) {
			rs_add_chain(x, want, w);
		} else if (!rs_chain_rules_eq(w, h)) {
			op = rs_emit(x, RS_PH_FLUSH_CHAIN, RS_OP_FLUSH_CHAIN, have);
			op->chain = h;
			op->new_chain = w;
			x->d->chains_replaced++;
			x->d->rules_deleted += h->n;
			rs_add_rules(x, want, w);
		}
	}
	free(wchains);

	hchains = rs_chains_ordered(have);
	for (i = 0; i < have->nchains; i++)
		if (!rs_table_find_chain(want, hchains[i]->name))
			rs_del_chain(x, have, hchains[i]);
	free(hchains);

	hsets = rs_sets_by_name(have);
	for (i = 0; i < have->nsets; i++) {
		if (!rs_table_find_set(want, hsets[i]->name)) {
			rs_emit(x, RS_PH_DEL_SET, RS_OP_DEL_SET, have)->set = hsets[i];
			x->d->sets_deleted++;
		}
	}
	free(hsets);
}

int rs_diff(const struct rs_ruleset *want, const struct rs_ruleset *have,
	    bool delete_missing_tables, struct rs_diff *out)
{
	struct rs_diff_ctx x;
	size_t i, total = 0;
	int ph;

	memset(out, 0, sizeof(*out));
	memset(&x, 0, sizeof(x));
	x.d = out;

	for (i = 0; want && i < want->n; i++) {
		const struct rs_table *w = want->tables[i];

		rs_diff_table(&x, w, rs_ruleset_find_table(have, w->family, w->name));
	}
	for (i = 0; delete_missing_tables && have && i < have->n; i++) {
		const struct rs_table *h = have->tables[i];

		if (!rs_ruleset_find_table(want, h->family, h->name))
			rs_del_table(&x, RS_PH_DEL_TABLE, h);
	}

	for (ph = 0; ph < __RS_PH_MAX; ph++)
		total += x.ph[ph].n;
	if (total) {
		out->ops = sn_malloc(total * sizeof(*out->ops));
		out->cap = total;
	}
	for (ph = 0; ph < __RS_PH_MAX; ph++) {
		if (x.ph[ph].n)
			memcpy(out->ops + out->n, x.ph[ph].ops, x.ph[ph].n * sizeof(*out->ops));
		out->n += x.ph[ph].n;
		free(x.ph[ph].ops);
	}
	return 0;
}

void rs_diff_free(struct rs_diff *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->n; i++)
		free(d->ops[i].elems);
	free(d->ops);
	memset(d, 0, sizeof(*d));
}

bool rs_diff_empty(const struct rs_diff *d)
{
	return !d || d->n == 0;
}

/* ---- readable form ---- */

/* Cells of the LCS table above which a changed chain is shown as all its
 * old rules removed and all its new ones added: 4M cells of 4 bytes. */
#define RS_LCS_MAX_CELLS (4u << 20)

static void rs_print_rule_line(FILE *out, char sign, enum rs_family f, const struct rs_rule *r,
			       struct sn_buf *b)
{
	sn_buf_reset(b);
	rs_print_rule(b, f, r);
	fprintf(out, "%c\t%s\n", sign, b->s ? b->s : "");
}

/* Print the rules that differ between two versions of a chain: the
 * common head and tail are trimmed, the middle aligned by a longest
 * common subsequence. */
static void rs_print_rules_diff(FILE *out, enum rs_family f, const struct rs_chain *old,
				const struct rs_chain *new, struct sn_buf *b)
{
	size_t head = 0, tail = 0, n, m, i, j;
	uint32_t *lcs;

	while (head < old->n && head < new->n && rs_rule_eq(&old->rules[head], &new->rules[head]))
		head++;
	while (tail < old->n - head && tail < new->n - head &&
	       rs_rule_eq(&old->rules[old->n - 1 - tail], &new->rules[new->n - 1 - tail]))
		tail++;
	n = old->n - head - tail;
	m = new->n - head - tail;

	if ((uint64_t)(n + 1) * (m + 1) > RS_LCS_MAX_CELLS) {
		for (i = 0; i < n; i++)
			rs_print_rule_line(out, '-', f, &old->rules[head + i], b);
		for (j = 0; j < m; j++)
			rs_print_rule_line(out, '+', f, &new->rules[head + j], b);
		return;
	}

	/* lcs[i][j]: LCS length of old[i..n) and new[j..m) (middle parts). */
	lcs = sn_calloc((n + 1) * (m + 1), sizeof(*lcs));
#define L(i, j) lcs[(i) * (m + 1) + (j)]
	for (i = n; i-- > 0;) {
		for (j = m; j-- > 0;) {
			if (rs_rule_eq(&old->rules[head + i], &new->rules[head + j]))
				L(i, j) = L(i + 1, j + 1) + 1;
			else
				L(i, j) = L(i + 1, j) > L(i, j + 1) ? L(i + 1, j) : L(i, j + 1);
		}
	}
	i = j = 0;
	while (i < n || j < m) {
		if (i < n && j < m &&
		    rs_rule_eq(&old->rules[head + i], &new->rules[head + j])) {
			i++;
			j++;
		} else if (i < n && (j == m || L(i + 1, j) >= L(i, j + 1))) {
			/* removals before additions, as diff(1) shows them */
			rs_print_rule_line(out, '-', f, &old->rules[head + i++], b);
		} else {
			rs_print_rule_line(out, '+', f, &new->rules[head + j++], b);
		}
	}
#undef L
	free(lcs);
}

void rs_diff_print(FILE *out, const struct rs_diff *d)
{
	struct sn_buf b;
	size_t i, k;

	sn_buf_init(&b);
	for (i = 0; d && i < d->n; i++) {
		const struct rs_op *op = &d->ops[i];
		const struct rs_table *t = op->table;
		const char *fam = rs_family_name(t->family);

		switch (op->type) {
		case RS_OP_ADD_TABLE:
		case RS_OP_DEL_TABLE:
			fprintf(out, "%c table %s %s\n", op->type == RS_OP_ADD_TABLE ? '+' : '-',
				fam, t->name);
			break;
		case RS_OP_ADD_SET:
		case RS_OP_DEL_SET:
			fprintf(out, "%c %s %s %s %s\n", op->type == RS_OP_ADD_SET ? '+' : '-',
				op->set->ndata ? "map" : "set", fam, t->name, op->set->name);
			break;
		case RS_OP_ADD_CHAIN:
			fprintf(out, "+ chain %s %s %s\n", fam, t->name, op->chain->name);
			for (k = 0; k < op->chain->n; k++)
				rs_print_rule_line(out, '+', t->family, &op->chain->rules[k], &b);
			break;
		case RS_OP_FLUSH_CHAIN:
			/* A flush before a delete shows as the delete. */
			if (!op->new_chain)
				break;
			fprintf(out, "~ chain %s %s %s\n", fam, t->name, op->chain->name);
			rs_print_rules_diff(out, t->family, op->chain, op->new_chain, &b);
			break;
		case RS_OP_ADD_RULES:
			/* Shown with its ADD_CHAIN or FLUSH_CHAIN. */
			break;
		case RS_OP_ADD_ELEMS:
		case RS_OP_DEL_ELEMS:
			for (k = 0; k < op->nelems; k++) {
				sn_buf_reset(&b);
				rs_print_elem(&b, t->family, op->set, op->elems[k]);
				fprintf(out, "%c element %s %s %s { %s }\n",
					op->type == RS_OP_ADD_ELEMS ? '+' : '-', fam, t->name,
					op->set->name, b.s ? b.s : "");
			}
			break;
		case RS_OP_DEL_CHAIN:
			fprintf(out, "- chain %s %s %s\n", fam, t->name, op->chain->name);
			break;
		}
	}
	sn_buf_free(&b);
}
