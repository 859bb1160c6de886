// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * netlink/ct.c: after an apply, nothing stays pinned to an endpoint that
 * is gone (design notes §2). Conntrack I/O only.
 *
 * UDP has no connection to close: a flow keeps its conntrack entry, and so
 * where it goes, for as long as the client keeps sending. Which frontends
 * to look at, and which reply sources are still endpoints, is a question
 * about the service model (compiler/frontends.h); this file dumps the
 * conntrack table of a family (filtered by the kernel) and deletes the
 * entries to those frontends answered by anything else. The same for
 * elements the packet path put into runtime sets (session affinity): the
 * caller says which are stale.
 *
 * Conntrack goes through libnetfilter_conntrack, the library netfilter
 * maintains for exactly this, never through the conntrack binary.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <libnftnl/common.h>
#include <libnftnl/set.h>
#include <linux/netfilter/nf_tables.h>

#include "netlink/sock_internal.h"

/* ---- frontends, by what a conntrack entry's original tuple says ---- */

struct nlk_ct_match {
	const struct nlk_ct_frontend *fs;
	const struct nlk_ct_owned *owned;
	size_t nowned;
	/* open addressing over (family, proto, any_addr, addr, port): one
	 * probe sequence per frontend added and per entry looked at */
	size_t *ht;
	size_t size;
};

static uint64_t fe_hash(uint8_t family, uint8_t proto, bool any, const uint8_t *addr,
			uint16_t port)
{
	uint8_t k[3 + 16 + 2] = { family, proto, any };

	if (!any)
		memcpy(k + 3, addr, 16);
	memcpy(k + 19, &port, 2);
	return sn_hash64(k, sizeof(k), SN_HASH_SEED);
}

static bool fe_match(const struct nlk_ct_frontend *f, uint8_t family, uint8_t proto, bool any,
		     const uint8_t *addr, uint16_t port)
{
	return f->family == family && f->proto == proto && f->any_addr == any && f->port == port &&
	       (any || !memcmp(f->addr.a, addr, 16));
}

struct nlk_ct_match *nlk_ct_match_new(const struct nlk_ct_frontend *fs, size_t n,
				      const struct nlk_ct_owned *owned, size_t nowned)
{
	struct nlk_ct_match *x = sn_calloc(1, sizeof(*x));

	x->fs = fs;
	x->owned = owned;
	x->nowned = nowned;
	for (x->size = 64; x->size < n * 2; x->size *= 2)
		;
	x->ht = sn_malloc(x->size * sizeof(*x->ht));
	for (size_t i = 0; i < x->size; i++)
		x->ht[i] = SIZE_MAX;
	for (size_t i = 0; i < n; i++) {
		const struct nlk_ct_frontend *f = &fs[i];
		size_t h = fe_hash(f->family, f->proto, f->any_addr, f->addr.a, f->port) &
			   (x->size - 1);

		while (x->ht[h] != SIZE_MAX)
			h = (h + 1) & (x->size - 1);
		x->ht[h] = i;
	}
	return x;
}

void nlk_ct_match_free(struct nlk_ct_match *x)
{
	if (!x)
		return;
	free(x->ht);
	free(x);
}

static const struct nlk_ct_frontend *index_find(const struct nlk_ct_match *x, uint8_t family,
						uint8_t proto, bool any, const uint8_t *addr,
						uint16_t port)
{
	for (size_t h = fe_hash(family, proto, any, addr, port) & (x->size - 1);
	     x->ht[h] != SIZE_MAX; h = (h + 1) & (x->size - 1))
		if (fe_match(&x->fs[x->ht[h]], family, proto, any, addr, port))
			return &x->fs[x->ht[h]];
	return NULL;
}

static bool keeps(const struct nlk_ct_frontend *f, const uint8_t *addr, uint16_t port)
{
	for (size_t i = 0; i < f->nkeep; i++)
		if (f->keep[i].port == port && !memcmp(f->keep[i].addr.a, addr, 16))
			return true;
	return false;
}

static bool owned(const struct nlk_ct_match *x, uint8_t family, uint8_t proto, const uint8_t *dst)
{
	struct sn_addr a = { .family = family, .plen = family == SN_AF_INET6 ? 128 : 32 };

	memcpy(a.a, dst, 16);
	for (size_t i = 0; i < x->nowned; i++)
		if (x->owned[i].proto == proto && sn_prefix_contains(&x->owned[i].prefix, &a))
			return true;
	return false;
}

/* An entry to a frontend to clean, answered by something it does not keep
 * (a removed pod, or the node itself), or to an owned address no frontend
 * has (a deleted Service). The address first, as kube-proxy does: an entry
 * to a frontend's own address is never a NodePort's. */
bool nlk_ct_match_stale(const struct nlk_ct_match *x, uint8_t family, uint8_t proto,
			const struct sn_addr *dst, uint16_t dport, const struct sn_addr *rsrc,
			uint16_t sport)
{
	const struct nlk_ct_frontend *f = index_find(x, family, proto, false, dst->a, dport);

	if (!f && owned(x, family, proto, dst->a))
		return true;
	if (!f)
		f = index_find(x, family, proto, true, NULL, dport);
	return f && f->clean && !keeps(f, rsrc->a, sport);
}

/* ---- conntrack ---- */

struct ct_walk {
	const struct nlk_ct_match *x;
	uint8_t family;		/* SN_AF_* */
	struct nf_conntrack **del;
	size_t ndel, cap;
};

static bool ct_stale(const struct ct_walk *w, const struct nf_conntrack *ct)
{
	struct sn_addr dst = { .family = w->family }, src = { .family = w->family };

	if (w->family == SN_AF_INET) {
		uint32_t a = nfct_get_attr_u32(ct, ATTR_ORIG_IPV4_DST);
		uint32_t r = nfct_get_attr_u32(ct, ATTR_REPL_IPV4_SRC);

		memcpy(dst.a, &a, 4);
		memcpy(src.a, &r, 4);
	} else {
		const void *a = nfct_get_attr(ct, ATTR_ORIG_IPV6_DST);
		const void *r = nfct_get_attr(ct, ATTR_REPL_IPV6_SRC);

		if (!a || !r)
			return false;
		memcpy(dst.a, a, 16);
		memcpy(src.a, r, 16);
	}
	return nlk_ct_match_stale(w->x, w->family, nfct_get_attr_u8(ct, ATTR_ORIG_L4PROTO), &dst,
				  ntohs(nfct_get_attr_u16(ct, ATTR_ORIG_PORT_DST)), &src,
				  ntohs(nfct_get_attr_u16(ct, ATTR_REPL_PORT_SRC)));
}

static int ct_cb(enum nf_conntrack_msg_type type, struct nf_conntrack *ct, void *data)
{
	struct ct_walk *w = data;

	if (ct_stale(w, ct)) {
		sn_grow(&w->del, &w->cap, w->ndel + 1, sizeof(*w->del));
		w->del[w->ndel++] = nfct_clone(ct);
	}
	return NFCT_CB_CONTINUE;
}

/* conntrack -L -f FAMILY (the kernel filters by family), then conntrack -D
 * for each stale entry */
static int ct_clear_family(const struct nlk_ct_match *x, uint8_t family, size_t *deleted,
			   struct sn_buf *why)
{
	struct nfct_handle *h = nfct_open(CONNTRACK, 0);
	struct nfct_filter_dump *fd = nfct_filter_dump_create();
	struct ct_walk w = { .x = x, .family = family };
	int ret = 0;

	if (!h || !fd) {
		if (why)
			sn_buf_printf(why, "conntrack netlink: %s", strerror(errno));
		nfct_filter_dump_destroy(fd);
		if (h)
			nfct_close(h);
		return -1;
	}
	nfct_filter_dump_set_attr_u8(fd, NFCT_FILTER_DUMP_L3NUM,
				     family == SN_AF_INET6 ? AF_INET6 : AF_INET);
	nfct_callback_register(h, NFCT_T_ALL, ct_cb, &w);
	if (nfct_query(h, NFCT_Q_DUMP_FILTER, fd) < 0) {
		if (why)
			sn_buf_printf(why, "conntrack dump: %s", strerror(errno));
		ret = -1;
	}
	nfct_callback_unregister(h);
	nfct_filter_dump_destroy(fd);
	for (size_t i = 0; i < w.ndel; i++) {
		/* gone already (timed out meanwhile) is as good as deleted */
		if (nfct_query(h, NFCT_Q_DESTROY, w.del[i]) == 0)
			(*deleted)++;
		else if (errno != ENOENT && ret == 0) {
			if (why)
				sn_buf_printf(why, "conntrack delete: %s", strerror(errno));
			ret = -1;
		}
		nfct_destroy(w.del[i]);
	}
	free(w.del);
	nfct_close(h);
	return ret;
}

int nlk_ct_clear(const struct nlk_ct_frontend *fs, size_t n, const struct nlk_ct_owned *owned,
		 size_t nowned, struct nlk_ct_stats *st, struct sn_buf *why)
{
	static const uint8_t fams[] = { SN_AF_INET, SN_AF_INET6 };
	struct nlk_ct_match *x = nlk_ct_match_new(fs, n, owned, nowned);
	int ret = 0;

	for (size_t k = 0; k < SN_ARRAY_SIZE(fams); k++) {
		size_t clean = 0, ranges = 0;

		for (size_t i = 0; i < n; i++)
			clean += fs[i].clean && fs[i].family == fams[k];
		for (size_t i = 0; i < nowned; i++)
			ranges += owned[i].prefix.family == fams[k];
		st->frontends += clean;
		if ((clean || ranges) && ct_clear_family(x, fams[k], &st->ct_deleted, why) < 0)
			ret = -1;
	}
	nlk_ct_match_free(x);
	return ret;
}

/* ---- runtime set elements ---- */

struct elem_read {
	struct rs_set *set;
	enum rs_family f;
};

static int elem_cb(const struct nlmsghdr *nlh, void *data)
{
	struct elem_read *r = data;
	struct nftnl_set *ns = nftnl_set_alloc();

	if (!ns || nftnl_set_elems_nlmsg_parse(nlh, ns) < 0) {
		nftnl_set_free(ns);
		return MNL_CB_ERROR;
	}
	nlk_elems_decode(r->set, r->f, ns);
	nftnl_set_free(ns);
	return MNL_CB_OK;
}

/* nft delete element FAMILY TABLE SET { ... }, ignoring elements that
 * expired since they were read ("destroy", kernel 6.3), else plainly. */
static int delete_elems(struct nlk_sock *s, struct rs_table *t, struct rs_set *set,
			const struct rs_elem **gone, size_t ngone, struct sn_buf *why)
{
	struct rs_op op = {
		.type = RS_OP_DEL_ELEMS, .table = t, .set = set, .elems = gone, .nelems = ngone,
	};
	struct rs_diff d = { .ops = &op, .n = 1, .cap = 1 };
	struct nlk_batch_opts o = { .destroy_elems = true };
	struct nlk_result res = { 0 };
	struct nlk_batch *b = nlk_batch_build(&d, &o, why);
	enum nlk_send_status sst = b ? nlk_batch_send(s, b, &res, why) : NLK_FAILED;
	int ret = 0;

	if (sst == NLK_REFUSED && res.nerrs &&
	    (res.errs[0].err == EOPNOTSUPP || res.errs[0].err == EINVAL)) {
		/* a kernel before 6.3: no "destroy"; plain deletes (an entry
		 * that expired meanwhile fails this one batch; the next apply
		 * tries again) */
		nlk_result_free(&res);
		nlk_batch_free(b);
		o.destroy_elems = false;
		b = nlk_batch_build(&d, &o, why);
		sst = b ? nlk_batch_send(s, b, &res, why) : NLK_FAILED;
	}
	if (sst != NLK_SENT) {
		if (why && res.nerrs)
			sn_buf_printf(why, "%s: %s", res.errs[0].what, strerror(res.errs[0].err));
		ret = -1;
	}
	nlk_result_free(&res);
	nlk_batch_free(b);
	return ret;
}

int nlk_runtime_elems_prune(struct nlk_sock *s, const struct rs_table *t, const struct rs_set *set,
			    nlk_elem_stale_fn stale, void *ctx, struct nlk_ct_stats *st,
			    struct sn_buf *why)
{
	char buf[1024];	/* the request: table and set names, well below */
	struct rs_ruleset *tmp = rs_ruleset_alloc();
	struct rs_table *tt = rs_ruleset_add_table(tmp, t->family, t->name);
	struct rs_set *cur = rs_table_add_set(tt, set->name);
	struct elem_read r = { .set = cur, .f = t->family };
	const struct rs_elem **gone = NULL;
	size_t ngone = 0, cap = 0;
	struct nftnl_set *ns;
	struct nlmsghdr *nlh;
	int ret = 0;

	rs_set_set_type(cur, set->nkey, set->key, set->ndata, set->data);
	/* nft list set FAMILY TABLE SET */
	ns = nftnl_set_alloc();
	nftnl_set_set_str(ns, NFTNL_SET_TABLE, t->name);
	nftnl_set_set_str(ns, NFTNL_SET_NAME, set->name);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, (uint16_t)t->family, NLM_F_DUMP,
				    nlk_next_seq(s));
	nftnl_set_elems_nlmsg_build_payload(nlh, ns);
	nftnl_set_free(ns);
	if (nlk_request(s, nlh, elem_cb, &r, why) < 0) {
		rs_ruleset_free(tmp);
		return -1;
	}
	for (size_t i = 0; i < cur->n; i++) {
		if (!stale(set, t->family, &cur->elems[i], ctx))
			continue;
		sn_grow(&gone, &cap, ngone + 1, sizeof(*gone));
		gone[ngone++] = &cur->elems[i];
	}
	if (ngone) {
		ret = delete_elems(s, tt, cur, gone, ngone, why);
		if (!ret)
			st->aff_deleted += ngone;
	}
	free(gone);
	rs_ruleset_free(tmp);
	return ret;
}
