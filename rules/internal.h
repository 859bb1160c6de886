/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rules/internal.h: helpers shared by the files of rules/ only.
 */
#ifndef SVCNFT_RULES_INTERNAL_H
#define SVCNFT_RULES_INTERNAL_H

#include "rules/rs.h"

/* FOREIGN statement descriptions are for people; long ones are cut here. */
#define RS_FOREIGN_TEXT_MAX 512

/* A copy of s that rs_string_ok() accepts when max <= RS_COMMENT_MAX: bytes
 * outside printable ASCII, '"' and '\\' become '?', and the copy is cut at
 * max bytes. */
char *rs_strdup_safe(const char *s, size_t max);
static inline bool rs_char_ok(unsigned char c)
{
	/* Printable ASCII; '"' would end an nft string and nft 1.0.6 has no
	 * escapes, '\\' is refused to keep other parsers honest. */
	return c >= 0x20 && c <= 0x7e && c != '"' && c != '\\';
}
/* One byte of rs_strdup_safe's copy. */
static inline char rs_strdup_safe_char(char c)
{
	return rs_char_ok((unsigned char)c) ? c : '?';
}
/* Append s to b the same way (used by the printer as a last line of defence
 * for strings set behind the builders' back). */
void rs_buf_add_safe(struct sn_buf *b, const char *s, size_t max);

void rs_chain_free(struct rs_chain *c);
void rs_set_free(struct rs_set *s);
/* Free a set's element array (malloc or mapping) and leave it empty. */
void rs_set_free_elems(struct rs_set *s);
/* An element comment is counted text (rules/elem.c): a copy of an element
 * takes another reference with this, never a strdup. */
char *rs_comment_ref(char *s);
void rs_table_free(struct rs_table *t);

/* Compare the data of two elements (verdict, or the data fields in
 * order): a total order, for sorting and for the diff. */
int rs_elem_data_cmp(const struct rs_set *s, const struct rs_elem *a, const struct rs_elem *b);
/* Key then data. */
int rs_elem_cmp(const struct rs_set *s, const struct rs_elem *a, const struct rs_elem *b);

#endif
