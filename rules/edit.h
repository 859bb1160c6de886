/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rules/edit.h: copying objects between rulesets, removing one element in
 * O(1), and hashes that agree with the model's equality. For a caller that
 * keeps a ruleset up to date by applying diffs to it (reconcile/), rather
 * than building it anew.
 */
#ifndef SVCNFT_RULES_EDIT_H
#define SVCNFT_RULES_EDIT_H

#include "rules/rs.h"

/* A deep copy of src into dst (whose contents are overwritten). */
void rs_elem_copy(struct rs_elem *dst, const struct rs_elem *src);
/* Append a deep copy of e to s; returns it. */
struct rs_elem *rs_set_add_elem_copy(struct rs_set *s, const struct rs_elem *e);
/* Remove element i: the last one takes its place (the set is no longer
 * sorted). O(1). */
void rs_set_del_elem_at(struct rs_set *s, size_t i);
/* A hash of e's key under s's type: equal whenever rs_elem_key_cmp() says
 * the keys are equal. */
uint64_t rs_elem_key_hash(const struct rs_set *s, const struct rs_elem *e);

/* Copy a chain (declaration, note and rules) or a set (declaration, and
 * its elements when with_elems) into t. NULL when t has one of that name. */
struct rs_chain *rs_table_copy_chain(struct rs_table *t, const struct rs_chain *c);
struct rs_set *rs_table_copy_set(struct rs_table *t, const struct rs_set *s, bool with_elems);
/* Replace c's rules by copies of from's. */
void rs_chain_copy_rules(struct rs_chain *c, const struct rs_chain *from);

/* Delete a table and everything in it. */
bool rs_ruleset_del_table(struct rs_ruleset *rs, enum rs_family f, const char *name);

/* Hashes of what the diff compares: a chain's declaration and rules (not
 * its note), a set's declaration (not its comment nor elements). */
uint64_t rs_chain_hash(const struct rs_chain *c);
uint64_t rs_set_decl_hash(const struct rs_set *s);

#endif
