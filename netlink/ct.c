// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * netlink/ct.c: after an apply, nothing stays pinned to an endpoint that
 * is gone (design notes §2).
 *
 * UDP has no connection to close: a flow keeps its conntrack entry, and so
 * where it goes, for as long as the client keeps sending. So, as kube-proxy
 * does, for every UDP frontend (clusterIP, LB or external IP and port; for
 * NodePorts any address with that port) whose endpoints changed in this
 * apply, the conntrack entries to it whose reply source is not one of its
 * endpoints now are deleted: flows DNATed to a removed endpoint, and flows
 * that reached the node itself (or were refused) before the frontend had
 * endpoints. The same goes for the elements of the session-affinity maps.
 *
 * A frontend's endpoints are read off the rulesets, not off Services (this
 * layer knows none): a frontend is the key of an element of a verdict map
 * keyed by address . protocol . port (or protocol . port for NodePorts);
 * its endpoints are the "dnat to" targets of the chains reachable from the
 * element's chain through jumps and gotos, in the ruleset read from the
 * kernel before the apply and in the desired one.
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

/* A chain graph deeper than this is not svcnft's (nft itself stops at 16
 * jumps: NFT_JUMP_STACK_SIZE). */
#define NLK_REACH_DEPTH 16

struct target {
	uint8_t addr[16];
	uint16_t port;
};

struct targets {
	struct target *v;
	size_t n, cap;
};

static bool targets_has(const struct targets *ts, const struct target *t)
{
	for (size_t i = 0; i < ts->n; i++)
		if (ts->v[i].port == t->port && !memcmp(ts->v[i].addr, t->addr, 16))
			return true;
	return false;
}

static void targets_add(struct targets *ts, const struct target *t)
{
	if (targets_has(ts, t))
		return;
	sn_grow(&ts->v, &ts->cap, ts->n + 1, sizeof(*ts->v));
	ts->v[ts->n++] = *t;
}

/* The DNAT targets of chain `name` and of every chain it jumps or goes to. */
static void reach(const struct rs_table *t, const char *name, struct targets *out,
		  const struct rs_chain **seen, unsigned depth)
{
	const struct rs_chain *c = name ? rs_table_find_chain(t, name) : NULL;

	if (!c || depth >= NLK_REACH_DEPTH)
		return;
	for (unsigned i = 0; i < depth; i++)
		if (seen[i] == c)
			return;
	seen[depth] = c;
	for (uint32_t r = 0; r < c->n; r++) {
		const struct rs_rule *rule = &c->rules[r];

		for (uint16_t k = 0; k < rule->n; k++) {
			const struct rs_stmt *s = &rule->stmts[k];

			if (s->type == RS_S_DNAT) {
				struct target tg = { .port = s->val.num };

				memcpy(tg.addr, s->val.addr.a, 16);
				targets_add(out, &tg);
			} else if (s->type == RS_S_VERDICT &&
				   (s->verdict.code == RS_V_JUMP || s->verdict.code == RS_V_GOTO)) {
				reach(t, s->verdict.chain, out, seen, depth + 1);
			}
		}
	}
}

enum fe_kind { FE_NONE, FE_ADDR, FE_NODEPORT };

/* Is s keyed by frontends: addr . proto . port, or proto . port? Verdict
 * maps and plain sets alike (the compiler's dispatch sets). */
static enum fe_kind frontend_map(const struct rs_set *s)
{
	bool addr0 = s->nkey > 0 && (s->key[0] == RS_T_IPV4 || s->key[0] == RS_T_IPV6);

	if (s->ndata && (s->ndata != 1 || s->data[0] != RS_T_VERDICT))
		return FE_NONE;
	if (s->nkey == 3 && addr0 && s->key[1] == RS_T_PROTO && s->key[2] == RS_T_SERVICE)
		return FE_ADDR;
	if (s->nkey == 2 && s->key[0] == RS_T_PROTO && s->key[1] == RS_T_SERVICE)
		return FE_NODEPORT;
	return FE_NONE;
}

/* Is s an endpoint map, FRONTEND . numgen index : addr . port
 * (docs/ruleset.md)? Of which kind of frontend? */
static enum fe_kind endpoint_map(const struct rs_set *s)
{
	bool addr0 = s->nkey > 0 && (s->key[0] == RS_T_IPV4 || s->key[0] == RS_T_IPV6);

	if (s->ndata != 2 || s->data[1] != RS_T_SERVICE || s->key[s->nkey - 1] != RS_T_INTEGER)
		return FE_NONE;
	if (s->nkey == 4 && addr0 && s->key[1] == RS_T_PROTO && s->key[2] == RS_T_SERVICE)
		return FE_ADDR;
	if (s->nkey == 3 && s->key[0] == RS_T_PROTO && s->key[1] == RS_T_SERVICE)
		return FE_NODEPORT;
	return FE_NONE;
}

/* The endpoints of frontend `key` in endpoint map s: the elements
 * FRONTEND . 0, FRONTEND . 1, ... are adjacent in key order. */
static void endpoint_map_targets(const struct rs_set *s, const struct rs_elem *key,
				 struct targets *out)
{
	unsigned nf = s->nkey - 1;
	struct rs_elem probe = { 0 };
	const struct rs_elem *e;

	memcpy(probe.key, key->key, nf * sizeof(probe.key[0]));
	probe.key[nf].num = 0;
	e = rs_set_find_elem(s, &probe);
	for (; e && e < s->elems + s->n; e++) {
		struct target tg = { .port = e->data[1].num };

		probe.key[nf].num = e->key[nf].num;
		if (rs_elem_key_cmp(s, e, &probe))
			break;
		memcpy(tg.addr, e->data[0].addr.a, 16);
		targets_add(out, &tg);
	}
}

/* Every endpoint frontend `key` (an element of a map of kind k) leads to
 * in table t, through any of t's frontend maps of that kind and any of its
 * endpoint maps. */
static void frontend_targets(const struct rs_table *t, enum fe_kind k, const struct rs_elem *key,
			     struct targets *out)
{
	const struct rs_chain *seen[NLK_REACH_DEPTH];

	for (size_t i = 0; t && i < t->nsets; i++) {
		const struct rs_set *s = t->sets[i];
		const struct rs_elem *e;

		if (endpoint_map(s) == k) {
			/* a binary search needs the set sorted (both rulesets are) */
			if (s->sorted)
				endpoint_map_targets(s, key, out);
			continue;
		}
		if (frontend_map(s) != k || !s->ndata)
			continue;
		e = rs_set_find_elem(s, key);
		if (e && (e->verdict.code == RS_V_JUMP || e->verdict.code == RS_V_GOTO))
			reach(t, e->verdict.chain, out, seen, 0);
	}
}

/* A UDP frontend whose endpoints changed in this apply, with the ones it
 * has now: flows to it answered by anything else are stale. */
struct frontend {
	bool any_addr;		/* a NodePort: any local address */
	uint8_t addr[16];
	uint16_t port;
	struct targets now;
};

struct frontends {
	struct frontend *v;
	size_t n, cap;
	/* open addressing over (any_addr, addr, port): one probe sequence
	 * per frontend added and per conntrack entry looked at */
	size_t *ht;
	size_t ht_size;
};

static uint64_t fe_hash(bool any, const uint8_t *addr, uint16_t port)
{
	uint8_t k[1 + 16 + 2] = { 0 };

	k[0] = any;
	if (!any)
		memcpy(k + 1, addr, 16);
	memcpy(k + 17, &port, 2);
	return sn_hash64(k, sizeof(k), SN_HASH_SEED);
}

static struct frontend *fe_find(const struct frontends *fs, bool any, const uint8_t *addr,
				uint16_t port)
{
	if (!fs->ht_size)
		return NULL;
	for (size_t h = fe_hash(any, addr, port) & (fs->ht_size - 1); fs->ht[h] != SIZE_MAX;
	     h = (h + 1) & (fs->ht_size - 1)) {
		struct frontend *f = &fs->v[fs->ht[h]];

		if (f->any_addr == any && f->port == port && (any || !memcmp(f->addr, addr, 16)))
			return f;
	}
	return NULL;
}

static void fe_rehash(struct frontends *fs, size_t size)
{
	free(fs->ht);
	fs->ht_size = size;
	fs->ht = sn_malloc(size * sizeof(*fs->ht));
	for (size_t i = 0; i < size; i++)
		fs->ht[i] = SIZE_MAX;
	for (size_t i = 0; i < fs->n; i++) {
		size_t h = fe_hash(fs->v[i].any_addr, fs->v[i].addr, fs->v[i].port) & (size - 1);

		while (fs->ht[h] != SIZE_MAX)
			h = (h + 1) & (size - 1);
		fs->ht[h] = i;
	}
}

/* Add a frontend (once): returns it, or NULL if it was there already. */
static struct frontend *fe_add(struct frontends *fs, bool any, const uint8_t *addr, uint16_t port)
{
	struct frontend *f;

	if (fe_find(fs, any, addr, port))
		return NULL;
	sn_grow(&fs->v, &fs->cap, fs->n + 1, sizeof(*fs->v));
	f = &fs->v[fs->n++];
	memset(f, 0, sizeof(*f));
	f->any_addr = any;
	if (!any)
		memcpy(f->addr, addr, 16);
	f->port = port;
	if (fs->n * 2 > fs->ht_size) {
		fe_rehash(fs, fs->ht_size ? fs->ht_size * 2 : 64);
	} else {
		/* insert only the new one: rehashing on every add is O(n^2) */
		size_t h = fe_hash(any, f->addr, port) & (fs->ht_size - 1);

		while (fs->ht[h] != SIZE_MAX)
			h = (h + 1) & (fs->ht_size - 1);
		fs->ht[h] = fs->n - 1;
	}
	return f;
}

static void frontends_free(struct frontends *fs)
{
	for (size_t i = 0; i < fs->n; i++)
		free(fs->v[i].now.v);
	free(fs->v);
	free(fs->ht);
}

static bool targets_same(const struct targets *a, const struct targets *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (!targets_has(b, &a->v[i]))
			return false;
	return true;
}

/*
 * Every UDP frontend of either ruleset (table t1 and its twin t2) whose
 * endpoints differ between before and after: one that lost an endpoint
 * (its flows to that endpoint must move), one that is new or got its
 * first endpoint (flows that reached the node before it existed, or were
 * refused, are stuck on an entry without DNAT), one that is gone.
 * kube-proxy clears the same: UDP entries to a Service port whose reply
 * source is not one of its endpoints.
 */
static void collect_frontends(const struct rs_table *before, const struct rs_table *after,
			      const struct rs_table *scan, struct frontends *out,
			      struct frontends *seen)
{
	for (size_t i = 0; scan && i < scan->nsets; i++) {
		const struct rs_set *s = scan->sets[i];
		enum fe_kind k = frontend_map(s);

		if (k == FE_NONE)
			continue;
		for (size_t j = 0; j < s->n; j++) {
			const struct rs_elem *e = &s->elems[j];
			bool any = k == FE_NODEPORT;
			uint8_t proto = (uint8_t)e->key[any ? 0 : 1].num;
			uint16_t port = e->key[any ? 1 : 2].num;
			const uint8_t *addr = e->key[0].addr.a;
			struct targets old = { 0 }, now = { 0 };
			struct frontend *f;

			if (proto != IPPROTO_UDP || !fe_add(seen, any, addr, port))
				continue;
			if (before)
				frontend_targets(before, k, e, &old);
			if (after)
				frontend_targets(after, k, e, &now);
			if (!targets_same(&old, &now) && (f = fe_add(out, any, addr, port)) != NULL) {
				f->now = now;
				now.v = NULL;
			}
			free(old.v);
			free(now.v);
		}
	}
}

struct ct_walk {
	struct frontends *fs;
	uint8_t family;
	struct nf_conntrack **del;
	size_t ndel, cap;
};

/* A UDP entry to a changed frontend answered by something that is not one
 * of its endpoints now (a removed pod, or the node itself). */
static bool ct_stale(const struct ct_walk *w, const struct nf_conntrack *ct)
{
	struct target ep = { 0 };
	uint8_t dst[16] = { 0 };
	const struct frontend *f;
	uint16_t dport;

	if (nfct_get_attr_u8(ct, ATTR_ORIG_L4PROTO) != IPPROTO_UDP)
		return false;
	if (w->family == AF_INET) {
		uint32_t a = nfct_get_attr_u32(ct, ATTR_ORIG_IPV4_DST);
		uint32_t r = nfct_get_attr_u32(ct, ATTR_REPL_IPV4_SRC);

		memcpy(dst, &a, 4);
		memcpy(ep.addr, &r, 4);
	} else {
		const void *a = nfct_get_attr(ct, ATTR_ORIG_IPV6_DST);
		const void *r = nfct_get_attr(ct, ATTR_REPL_IPV6_SRC);

		if (!a || !r)
			return false;
		memcpy(dst, a, 16);
		memcpy(ep.addr, r, 16);
	}
	dport = ntohs(nfct_get_attr_u16(ct, ATTR_ORIG_PORT_DST));
	ep.port = ntohs(nfct_get_attr_u16(ct, ATTR_REPL_PORT_SRC));
	f = fe_find(w->fs, false, dst, dport);
	if (!f)
		f = fe_find(w->fs, true, NULL, dport);
	return f && !targets_has(&f->now, &ep);
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

/* conntrack -L -f FAMILY, then conntrack -D for each stale UDP entry */
static int ct_delete(struct frontends *fs, uint8_t family, size_t *deleted, struct sn_buf *why)
{
	struct nfct_handle *h = nfct_open(CONNTRACK, 0);
	struct ct_walk w = { .fs = fs, .family = family };
	uint32_t fam = family;
	int ret = 0;

	if (!h) {
		if (why)
			sn_buf_printf(why, "conntrack netlink: %s", strerror(errno));
		return -1;
	}
	nfct_callback_register(h, NFCT_T_ALL, ct_cb, &w);
	if (nfct_query(h, NFCT_Q_DUMP, &fam) < 0) {
		if (why)
			sn_buf_printf(why, "conntrack dump: %s", strerror(errno));
		ret = -1;
	}
	nfct_callback_unregister(h);
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

static int ct_clean_family(const struct rs_table *ht, const struct rs_table *wt,
			   struct nlk_ct_stats *st, struct sn_buf *why)
{
	struct frontends changed = { 0 }, seen = { 0 };
	enum rs_family f = ht ? ht->family : wt->family;
	int ret = 0;

	collect_frontends(ht, wt, ht, &changed, &seen);
	collect_frontends(ht, wt, wt, &changed, &seen);
	st->frontends += changed.n;
	if (changed.n)
		ret = ct_delete(&changed, f == RS_IP6 ? AF_INET6 : AF_INET, &st->ct_deleted, why);
	frontends_free(&changed);
	frontends_free(&seen);
	return ret;
}

int nlk_ct_cleanup(const struct rs_ruleset *have, const struct rs_ruleset *want,
		   struct nlk_ct_stats *st, struct sn_buf *why)
{
	int ret = 0;

	for (size_t i = 0; have && i < have->n; i++) {
		const struct rs_table *ht = have->tables[i];
		const struct rs_table *wt = want ? rs_ruleset_find_table(want, ht->family, ht->name) : NULL;

		if (ct_clean_family(ht, wt, st, why) < 0)
			ret = -1;
	}
	for (size_t i = 0; want && i < want->n; i++) {
		const struct rs_table *wt = want->tables[i];

		if ((!have || !rs_ruleset_find_table(have, wt->family, wt->name)) &&
		    ct_clean_family(NULL, wt, st, why) < 0)
			ret = -1;
	}
	return ret;
}

/* ---- affinity ---- */

/* The shared affinity map, as the compiler declares it for IPv4: client
 * address . frontend address . protocol . port : endpoint address . port,
 * filled by the packet path. */
static bool affinity_map(const struct rs_set *s)
{
	bool a = s->nkey == 4 && (s->key[0] == RS_T_IPV4 || s->key[0] == RS_T_IPV6);

	return s->elems_runtime && a && s->key[1] == s->key[0] && s->key[2] == RS_T_PROTO &&
	       s->key[3] == RS_T_SERVICE && s->ndata == 2 && s->data[0] == s->key[0] &&
	       s->data[1] == RS_T_SERVICE;
}

/* A map of one service port (the IPv6 shape, docs/ruleset.md): client
 * address : endpoint address, read by "dnat ip6 to ip6 saddr map @M : PORT"
 * in that service port's chains. */
static bool affinity_port_map(const struct rs_set *s)
{
	return s->elems_runtime && s->nkey == 1 &&
	       (s->key[0] == RS_T_IPV4 || s->key[0] == RS_T_IPV6) && s->ndata == 1 &&
	       s->data[0] == s->key[0];
}

/* The endpoints (address and the port of the dnat) of the chains that
 * read map m with "dnat ... map @m : PORT". */
static void port_map_targets(const struct rs_table *t, const char *m, struct targets *out)
{
	const struct rs_chain *seen[NLK_REACH_DEPTH];

	for (size_t i = 0; i < t->nchains; i++) {
		const struct rs_chain *c = t->chains[i];

		for (uint32_t r = 0; r < c->n; r++) {
			const struct rs_rule *rule = &c->rules[r];

			for (uint16_t k = 0; k < rule->n; k++) {
				const struct rs_stmt *st = &rule->stmts[k];
				struct targets all = { 0 };

				if (st->type != RS_S_DNAT_MAP || !st->set || strcmp(st->set, m))
					continue;
				reach(t, c->name, &all, seen, 0);
				for (size_t j = 0; j < all.n; j++)
					if (all.v[j].port == st->val.num)
						targets_add(out, &all.v[j]);
				free(all.v);
			}
		}
	}
}

struct aff_read {
	struct rs_set *set;
	enum rs_family f;
};

static int aff_elem_cb(const struct nlmsghdr *nlh, void *data)
{
	struct aff_read *r = data;
	struct nftnl_set *ns = nftnl_set_alloc();

	if (!ns || nftnl_set_elems_nlmsg_parse(nlh, ns) < 0) {
		nftnl_set_free(ns);
		return MNL_CB_ERROR;
	}
	nlk_elems_decode(r->set, r->f, ns);
	nftnl_set_free(ns);
	return MNL_CB_OK;
}

/* The elements of one of table t's affinity maps whose endpoint their
 * frontend (or, for a map of one service port, that port) no longer leads
 * to, deleted in one batch. */
static int aff_clean_set(struct nlk_sock *s, const struct rs_table *t, const struct rs_set *aff,
			 struct nlk_ct_stats *st, struct sn_buf *why)
{
	char buf[1024];
	struct rs_ruleset *tmp = rs_ruleset_alloc();
	struct rs_table *tt = rs_ruleset_add_table(tmp, t->family, t->name);
	struct rs_set *cur = rs_table_add_set(tt, aff->name);
	struct aff_read r = { .set = cur, .f = t->family };
	const struct rs_elem **gone = NULL;
	size_t ngone = 0, cap = 0;
	struct targets ports = { 0 };
	struct nftnl_set *ns;
	struct nlmsghdr *nlh;
	int ret = 0;

	rs_set_set_type(cur, aff->nkey, aff->key, aff->ndata, aff->data);
	/* nft list map FAMILY TABLE affinity */
	ns = nftnl_set_alloc();
	nftnl_set_set_str(ns, NFTNL_SET_TABLE, t->name);
	nftnl_set_set_str(ns, NFTNL_SET_NAME, aff->name);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, (uint16_t)t->family, NLM_F_DUMP,
				    nlk_next_seq(s));
	nftnl_set_elems_nlmsg_build_payload(nlh, ns);
	nftnl_set_free(ns);
	if (nlk_request(s, nlh, aff_elem_cb, &r, why) < 0) {
		rs_ruleset_free(tmp);
		return -1;
	}
	if (affinity_port_map(aff)) {
		/* the map's endpoints are the set "<map>/endpoints" beside it */
		char *epname = sn_asprintf("%s/endpoints", aff->name);
		const struct rs_set *eps = rs_table_find_set(t, epname);

		free(epname);
		port_map_targets(t, aff->name, &ports);
		for (size_t k = 0; eps && k < eps->n; k++) {
			struct target tg = { 0 };

			memcpy(tg.addr, eps->elems[k].key[0].addr.a, 16);
			targets_add(&ports, &tg);
		}
	}
	for (size_t i = 0; i < cur->n; i++) {
		const struct rs_elem *e = &cur->elems[i];
		struct rs_elem fe = { 0 };
		struct targets tg = { 0 };
		struct target ep = { 0 };
		bool ok = false;

		memcpy(ep.addr, e->data[0].addr.a, 16);
		if (affinity_port_map(aff)) {
			/* any port this map's dnat uses */
			for (size_t k = 0; k < ports.n && !ok; k++)
				ok = !memcmp(ports.v[k].addr, ep.addr, 16);
		} else {
			/* the frontend: by address first, else as a NodePort */
			ep.port = e->data[1].num;
			fe.key[0] = e->key[1];
			fe.key[1] = e->key[2];
			fe.key[2] = e->key[3];
			frontend_targets(t, FE_ADDR, &fe, &tg);
			if (!tg.n) {
				fe.key[0] = e->key[2];
				fe.key[1] = e->key[3];
				frontend_targets(t, FE_NODEPORT, &fe, &tg);
			}
			ok = targets_has(&tg, &ep);
		}
		if (!ok) {
			sn_grow(&gone, &cap, ngone + 1, sizeof(*gone));
			gone[ngone++] = e;
		}
		free(tg.v);
	}
	free(ports.v);
	if (ngone) {
		struct rs_op op = {
			.type = RS_OP_DEL_ELEMS, .table = tt, .set = cur, .elems = gone, .nelems = ngone,
		};
		struct rs_diff d = { .ops = &op, .n = 1, .cap = 1 };
		/* entries that time out between the dump and the delete must
		 * not fail the batch: "destroy" ignores missing ones */
		struct nlk_batch_opts o = { .destroy_elems = true };
		struct nlk_result res = { 0 };
		struct nlk_batch *b = nlk_batch_build(&d, &o, why);
		enum nlk_send_status sst = b ? nlk_batch_send(s, b, &res, why) : NLK_FAILED;

		if (sst == NLK_REFUSED && res.nerrs &&
		    (res.errs[0].err == EOPNOTSUPP || res.errs[0].err == EINVAL)) {
			/* a kernel before 6.3: no "destroy"; plain deletes
			 * (an entry that expired meanwhile fails this one
			 * batch; the next apply tries again) */
			nlk_result_free(&res);
			nlk_batch_free(b);
			o.destroy_elems = false;
			b = nlk_batch_build(&d, &o, why);
			sst = b ? nlk_batch_send(s, b, &res, why) : NLK_FAILED;
		}

		if (sst == NLK_SENT) {
			st->aff_deleted += ngone;
		} else {
			if (why && res.nerrs)
				sn_buf_printf(why, "%s: %s", res.errs[0].what,
					      strerror(res.errs[0].err));
			ret = -1;
		}
		nlk_result_free(&res);
		nlk_batch_free(b);
	}
	free(gone);
	rs_ruleset_free(tmp);
	return ret;
}

int nlk_affinity_cleanup(struct nlk_sock *s, const struct rs_ruleset *want,
			 struct nlk_ct_stats *st, struct sn_buf *why)
{
	int ret = 0;

	for (size_t i = 0; want && i < want->n; i++) {
		const struct rs_table *t = want->tables[i];

		for (size_t k = 0; k < t->nsets; k++)
			if ((affinity_map(t->sets[k]) || affinity_port_map(t->sets[k])) &&
			    aff_clean_set(s, t, t->sets[k], st, why) < 0)
				ret = -1;
	}
	return ret;
}
