// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * netlink/read.c: svcnft's tables from the kernel into an rs_ruleset.
 *
 * Per table: the table itself, its sets, each set's elements (except the
 * ones the packet path writes), its chains, its rules, all restricted to
 * the table's family and name. The whole read happens between two
 * NFT_MSG_GETGEN answers; if the generation moved (or a dump was
 * interrupted, NLM_F_DUMP_INTR), it starts again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include "netlink/sock_internal.h"

/* Another writer that keeps changing the ruleset faster than one read
 * takes: give up after this many tries rather than loop forever. */
#define NLK_READ_TRIES 8

/* Request headers carry at most a table and a set name (256 bytes each,
 * NFT_NAME_MAXLEN) plus attribute headers. */
#define NLK_REQ_BUF 1024

struct rd {
	struct rs_ruleset *rs;
	struct rs_table *t;
	uint32_t family;
	const char *table;
	struct rs_set *set;	/* elements being read */
	bool failed;
};

static bool same_table(const struct rd *r, uint32_t family, const char *table)
{
	return family == r->family && table && strcmp(table, r->table) == 0;
}

static int table_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rd *r = data;
	struct nftnl_table *nt = nftnl_table_alloc();

	if (!nt || nftnl_table_nlmsg_parse(nlh, nt) < 0) {
		nftnl_table_free(nt);
		return MNL_CB_ERROR;
	}
	if (!r->t && same_table(r, nftnl_table_get_u32(nt, NFTNL_TABLE_FAMILY),
				nftnl_table_get_str(nt, NFTNL_TABLE_NAME)))
		r->t = nlk_table_decode(r->rs, nt);
	nftnl_table_free(nt);
	return MNL_CB_OK;
}

static int set_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rd *r = data;
	struct nftnl_set *ns = nftnl_set_alloc();

	if (!ns || nftnl_set_nlmsg_parse(nlh, ns) < 0) {
		nftnl_set_free(ns);
		return MNL_CB_ERROR;
	}
	/* An anonymous set (`ip saddr { ... }` in a rule added by hand) lives
	 * and dies with its rule: the rule decodes as foreign and is replaced,
	 * and the set must not be deleted on its own (the kernel has already
	 * released it with the rule: ENOENT would refuse the batch). */
	if (same_table(r, nftnl_set_get_u32(ns, NFTNL_SET_FAMILY),
		       nftnl_set_get_str(ns, NFTNL_SET_TABLE)) &&
	    !(nftnl_set_get_u32(ns, NFTNL_SET_FLAGS) & NFT_SET_ANONYMOUS))
		nlk_set_decode(r->t, ns);
	nftnl_set_free(ns);
	return MNL_CB_OK;
}

/* Straight from the message: a libnftnl set object per answer and an
 * element object per element (allocated, copied, freed) were a fifth of
 * the CPU time of reading 200,000 elements. */
static int elem_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rd *r = data;

	return nlk_elems_decode_msg(r->set, r->t->family, nlh) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

static int chain_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rd *r = data;
	struct nftnl_chain *nc = nftnl_chain_alloc();

	if (!nc || nftnl_chain_nlmsg_parse(nlh, nc) < 0) {
		nftnl_chain_free(nc);
		return MNL_CB_ERROR;
	}
	/* A binding chain (`jump { ... }` in a rule) belongs to its rule, as
	 * an anonymous set does. */
	if (same_table(r, nftnl_chain_get_u32(nc, NFTNL_CHAIN_FAMILY),
		       nftnl_chain_get_str(nc, NFTNL_CHAIN_TABLE)) &&
	    !(nftnl_chain_is_set(nc, NFTNL_CHAIN_FLAGS) &&
	      (nftnl_chain_get_u32(nc, NFTNL_CHAIN_FLAGS) & NFT_CHAIN_BINDING)))
		nlk_chain_decode(r->t, nc);
	nftnl_chain_free(nc);
	return MNL_CB_OK;
}

static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rd *r = data;
	struct nftnl_rule *nr = nftnl_rule_alloc();
	struct rs_chain *c;

	if (!nr || nftnl_rule_nlmsg_parse(nlh, nr) < 0) {
		nftnl_rule_free(nr);
		return MNL_CB_ERROR;
	}
	if (same_table(r, nftnl_rule_get_u32(nr, NFTNL_RULE_FAMILY),
		       nftnl_rule_get_str(nr, NFTNL_RULE_TABLE))) {
		c = rs_table_find_chain(r->t, nftnl_rule_get_str(nr, NFTNL_RULE_CHAIN));
		/* a rule of a chain added after the chain dump: the genid
		 * check sends us round again */
		if (c)
			nlk_rule_decode(r->t, c, nr);
		else
			r->failed = true;
	}
	nftnl_rule_free(nr);
	return MNL_CB_OK;
}

static const struct rs_set *hint_set(const struct nlk_read_spec *spec, const struct rs_table *t,
				     const char *name)
{
	const struct rs_table *ht;

	if (!spec->hint)
		return NULL;
	ht = rs_ruleset_find_table(spec->hint, t->family, t->name);
	return ht ? rs_table_find_set(ht, name) : NULL;
}

/* nft list table FAMILY NAME, in five requests. */
static int read_table(struct nlk_sock *s, const struct nlk_read_spec *spec, struct rd *r,
		      struct sn_buf *why)
{
	char buf[NLK_REQ_BUF] = { 0 };	/* libmnl 1.0.4 leaves attribute padding unwritten */
	struct nlmsghdr *nlh;
	struct nftnl_table *nt;
	struct nftnl_set *ns;
	struct nftnl_rule *nr;

	/* nft list table: a get of one table; ENOENT = not there */
	nt = nftnl_table_alloc();
	nftnl_table_set_str(nt, NFTNL_TABLE_NAME, r->table);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, (uint16_t)r->family, NLM_F_ACK,
				    nlk_next_seq(s));
	nftnl_table_nlmsg_build_payload(nlh, nt);
	nftnl_table_free(nt);
	if (nlk_request(s, nlh, table_cb, r, why) < 0)
		return -1;
	if (!r->t || spec->tables_only)
		return 0;

	/* nft list sets table FAMILY NAME */
	ns = nftnl_set_alloc();
	nftnl_set_set_str(ns, NFTNL_SET_TABLE, r->table);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSET, (uint16_t)r->family, NLM_F_DUMP,
				    nlk_next_seq(s));
	nftnl_set_nlmsg_build_payload(nlh, ns);
	nftnl_set_free(ns);
	if (nlk_request(s, nlh, set_cb, r, why) < 0)
		return -1;

	/* nft list set FAMILY NAME SET, for each set but the runtime ones */
	for (size_t i = 0; i < r->t->nsets; i++) {
		struct rs_set *set = r->t->sets[i];
		const struct rs_set *h = hint_set(spec, r->t, set->name);

		if (h && h->elems_runtime) {
			set->elems_runtime = true;
			continue;
		}
		/* Room for as many elements as the desired set holds: growing
		 * by doubling copied the array again and again (a map of
		 * 100,000 elements is 17 MB), a fifth of the read's CPU time
		 * at 10,000 Services. */
		if (h && h->n)
			sn_grow(&set->elems, &set->cap, h->n, sizeof(*set->elems));
		ns = nftnl_set_alloc();
		nftnl_set_set_str(ns, NFTNL_SET_TABLE, r->table);
		nftnl_set_set_str(ns, NFTNL_SET_NAME, set->name);
		nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, (uint16_t)r->family,
					    NLM_F_DUMP, nlk_next_seq(s));
		nftnl_set_elems_nlmsg_build_payload(nlh, ns);
		nftnl_set_free(ns);
		r->set = set;
		if (nlk_request(s, nlh, elem_cb, r, why) < 0)
			return -1;
	}

	/* nft list chains FAMILY (the kernel filters chain dumps by family
	 * only; other tables' chains are skipped here) */
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETCHAIN, (uint16_t)r->family, NLM_F_DUMP,
				    nlk_next_seq(s));
	if (nlk_request(s, nlh, chain_cb, r, why) < 0)
		return -1;

	/*
	 * nft list chain FAMILY TABLE CHAIN, for each chain: one dump per
	 * chain rather than one of the whole table, because the kernel resumes
	 * a rule dump by walking every rule again up to where it stopped (one
	 * 32 KiB answer at a time): quadratic, ~0.3 s of 1.5 s for 110,000
	 * rules. Per chain, each walk is that chain's few rules. A chain that
	 * went away meanwhile answers ENOENT, and the genid check catches it.
	 */
	for (size_t k = 0; k < r->t->nchains; k++) {
		nr = nftnl_rule_alloc();
		nftnl_rule_set_str(nr, NFTNL_RULE_TABLE, r->table);
		nftnl_rule_set_str(nr, NFTNL_RULE_CHAIN, r->t->chains[k]->name);
		nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETRULE, (uint16_t)r->family, NLM_F_DUMP,
					    nlk_next_seq(s));
		nftnl_rule_nlmsg_build_payload(nlh, nr);
		nftnl_rule_free(nr);
		if (nlk_request(s, nlh, rule_cb, r, why) < 0)
			return -1;
	}
	rs_table_sort(r->t);
	return 0;
}

/* Forget what a failed try appended to why. */
static void why_truncate(struct sn_buf *why, size_t len)
{
	if (why && why->s && why->len > len) {
		why->len = len;
		why->s[len] = 0;
	}
}

void nlk_read_spec_from(struct nlk_read_spec *spec, const struct rs_ruleset *want)
{
	memset(spec, 0, sizeof(*spec));
	spec->hint = want;
	for (size_t i = 0; want && i < want->n && spec->ntables < SN_ARRAY_SIZE(spec->tables);
	     i++) {
		spec->tables[spec->ntables].family = want->tables[i]->family;
		spec->tables[spec->ntables].name = want->tables[i]->name;
		spec->ntables++;
	}
}

int nlk_read(struct nlk_sock *s, const struct nlk_read_spec *spec, struct rs_ruleset **out,
	     struct sn_buf *why)
{
	size_t why_len = why ? why->len : 0;

	for (int attempt = 0; attempt < NLK_READ_TRIES; attempt++) {
		struct rs_ruleset *rs = rs_ruleset_alloc();
		uint32_t before, after;
		bool again = false;

		if (nlk_genid(s, &before, why) < 0)
			goto err_read;
		for (unsigned i = 0; i < spec->ntables && !again; i++) {
			struct rd r = {
				.rs = rs,
				.family = spec->tables[i].family,
				.table = spec->tables[i].name,
			};

			if (read_table(s, spec, &r, why) < 0) {
				/* a dump the kernel interrupted because the
				 * ruleset changed: read again */
				if (errno != EINTR)
					goto err_read;
				again = true;
			}
			if (r.failed)
				again = true;
		}
		if (!again) {
			if (nlk_genid(s, &after, why) < 0)
				goto err_read;
			again = after != before;
		}
		if (!again) {
			rs->genid = before;
			*out = rs;
			return 0;
		}
		why_truncate(why, why_len);
		rs_ruleset_free(rs);
		continue;
err_read:
		rs_ruleset_free(rs);
		return -1;
	}
	if (why)
		sn_buf_printf(why, "the ruleset kept changing while it was read (%d tries)",
			      NLK_READ_TRIES);
	return -1;
}
