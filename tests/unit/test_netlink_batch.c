/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/unit/test_netlink_batch.c: netlink/batch.c without a kernel. The
 * batch built for a diff is walked message by message across its pages:
 * BEGIN (with the generation id) first, END last (none with --check),
 * consecutive sequence numbers, element lists of one set split across
 * messages so that no attribute nears the 16-bit length limit, ACKs asked
 * for on small batches only, sets and chains created in table order,
 * deletes that name elements by key only, and a batch of more than 128 MiB
 * within UIO_MAXIOV pages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include <cmocka.h>

#include <netinet/in.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>

#include "netlink/nlk.h"
#include "rules/rs.h"

#define SEQ0 1000
#define GENID 77

/* Every message of a batch, in order. */
struct walk {
	const struct nlmsghdr **msgs;
	size_t n, cap;
	struct iovec *iov;
};

static void walk_batch(struct nlk_batch *b, struct walk *w)
{
	int n = nlk_batch_iov(b, NULL, 0);

	memset(w, 0, sizeof(*w));
	w->iov = calloc((size_t)n, sizeof(*w->iov));
	nlk_batch_iov(b, w->iov, n);
	for (int i = 0; i < n; i++) {
		int len = (int)w->iov[i].iov_len;

		for (const struct nlmsghdr *nlh = w->iov[i].iov_base; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			sn_grow(&w->msgs, &w->cap, w->n + 1, sizeof(*w->msgs));
			w->msgs[w->n++] = nlh;
		}
		assert_int_equal(len, 0);	/* pages hold whole messages only */
	}
}

static void walk_free(struct walk *w)
{
	free(w->msgs);
	free(w->iov);
}

static uint16_t nft_type(const struct nlmsghdr *nlh)
{
	return nlh->nlmsg_type & 0xff;	/* NFNL_SUBSYS_NFTABLES << 8 | type */
}

/* A table with one big verdict map, and a diff adding n elements to it. */
static struct rs_ruleset *big_map(size_t n, struct rs_diff *d, struct rs_op *op)
{
	struct rs_ruleset *rs = rs_ruleset_alloc();
	struct rs_table *t = rs_ruleset_add_table(rs, RS_IP, "svcnft");
	struct rs_set *s = rs_table_add_set(t, "service-ips");

	rs_set_set_type(s, 3, (uint8_t[]){ RS_T_IPV4, RS_T_PROTO, RS_T_SERVICE }, 1,
			(uint8_t[]){ RS_T_VERDICT });
	for (size_t i = 0; i < n; i++) {
		struct rs_elem *e = rs_set_add_elem(s);

		sn_addr_parse(&e->key[0].addr, "198.18.0.0");
		e->key[0].addr.a[2] = (uint8_t)(i >> 8);
		e->key[0].addr.a[3] = (uint8_t)i;
		e->key[1].num = IPPROTO_TCP;
		e->key[2].num = (uint16_t)(1 + i / 65536);
		e->verdict.code = RS_V_GOTO;
		e->verdict.chain = sn_asprintf("svc-namespace-%04zu/service-name-%05zu/tcp/8080",
					       i % 1000, i);
	}
	memset(op, 0, sizeof(*op));
	op->type = RS_OP_ADD_ELEMS;
	op->table = t;
	op->set = s;
	op->elems = malloc(n * sizeof(*op->elems));
	for (size_t i = 0; i < n; i++)
		op->elems[i] = &s->elems[i];
	op->nelems = n;
	memset(d, 0, sizeof(*d));
	d->ops = op;
	d->n = 1;
	return rs;
}

static size_t count_elems(const struct nlmsghdr *nlh, size_t *list_len)
{
	const struct nlattr *a, *e;
	size_t n = 0;

	*list_len = 0;
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		*list_len = mnl_attr_get_len(a);
		mnl_attr_for_each_nested(e, a)
			n++;
	}
	return n;
}

static void check_frame(const struct walk *w, bool with_end)
{
	const struct nlmsghdr *begin = w->msgs[0], *end = w->msgs[w->n - 1];
	const struct nlattr *a;
	bool genid = false;

	assert_int_equal(begin->nlmsg_type, NFNL_MSG_BATCH_BEGIN);
	mnl_attr_for_each(a, begin, sizeof(struct nfgenmsg))
		if (mnl_attr_get_type(a) == NFNL_BATCH_GENID) {
			assert_int_equal(ntohl(mnl_attr_get_u32(a)), GENID);
			genid = true;
		}
	assert_true(genid);
	if (with_end)
		assert_int_equal(end->nlmsg_type, NFNL_MSG_BATCH_END);
	else
		assert_int_not_equal(end->nlmsg_type, NFNL_MSG_BATCH_END);
	for (size_t i = 0; i < w->n; i++)
		assert_int_equal(w->msgs[i]->nlmsg_seq, SEQ0 + i);
}

/* 20,000 elements with long chain names (~100 bytes each) of one set:
 * several messages, each list well below 64 KiB, none lost. */
static void test_split_big_elements(void **state)
{
	struct nlk_batch_opts o = { .genid = GENID, .seq = SEQ0 };
	struct rs_op op;
	struct rs_diff d;
	struct rs_ruleset *rs = big_map(20000, &d, &op);
	struct nlk_batch *b = nlk_batch_build(&d, &o, NULL);
	struct walk w;
	size_t total = 0, bytes = 0, nmsg = 0;

	assert_non_null(b);
	walk_batch(b, &w);
	check_frame(&w, true);
	assert_int_equal(w.n, nlk_batch_msgs(b));
	for (size_t i = 0; i < w.n; i++) {
		size_t list;

		bytes += NLMSG_ALIGN(w.msgs[i]->nlmsg_len);
		if (i == 0 || i == w.n - 1)
			continue;
		assert_int_equal(nft_type(w.msgs[i]), NFT_MSG_NEWSETELEM);
		assert_true(w.msgs[i]->nlmsg_len < 60000);
		total += count_elems(w.msgs[i], &list);
		assert_true(list > 0 && list < 52000);
		nmsg++;
	}
	assert_int_equal(total, 20000);
	assert_true(nmsg >= 30);	/* ~100 bytes each: 48 KiB / 100 per message */
	assert_int_equal(bytes, nlk_batch_bytes(b));
	assert_true(w.n > 2);
	walk_free(&w);
	nlk_batch_free(b);
	free(op.elems);
	rs_ruleset_free(rs);
}

/* The same with an element comment of ~100 bytes on each (endpoint maps
 * carry the Service's name): the comments count towards the 64 KiB. */
static void test_split_commented_elements(void **state)
{
	struct nlk_batch_opts o = { .genid = GENID, .seq = SEQ0 };
	struct rs_op op;
	struct rs_diff d;
	struct rs_ruleset *rs = big_map(20000, &d, &op);
	struct rs_set *s = rs->tables[0]->sets[0];
	struct nlk_batch *b;
	struct walk w;
	size_t total = 0;

	for (size_t i = 0; i < s->n; i++) {
		char *c = sn_asprintf("namespace-%04zu/service-name-%05zu port a-long-port-name "
				      "8080/tcp, padded to about a hundred bytes", i % 1000, i);

		rs_elem_set_comment(&s->elems[i], c);
		free(c);
	}
	b = nlk_batch_build(&d, &o, NULL);
	assert_non_null(b);
	walk_batch(b, &w);
	for (size_t i = 1; i + 1 < w.n; i++) {
		size_t list;

		assert_true(w.msgs[i]->nlmsg_len < 60000);
		total += count_elems(w.msgs[i], &list);
		assert_true(list > 0 && list < 52000);
	}
	assert_int_equal(total, 20000);
	walk_free(&w);
	nlk_batch_free(b);
	free(op.elems);
	rs_ruleset_free(rs);
}

/* Small elements: the per-message count limit applies first. */
static void test_split_small_elements(void **state)
{
	struct nlk_batch_opts o = { .genid = GENID, .seq = SEQ0 };
	struct rs_ruleset *rs = rs_ruleset_alloc();
	struct rs_table *t = rs_ruleset_add_table(rs, RS_IP, "svcnft");
	struct rs_set *s = rs_table_add_set(t, "cluster-ips");
	struct rs_op op = { .type = RS_OP_ADD_ELEMS, .table = t, .set = s };
	struct rs_diff d = { .ops = &op, .n = 1 };
	struct nlk_batch *b;
	struct walk w;
	size_t total = 0, max = 0;

	rs_set_set_type(s, 1, (uint8_t[]){ RS_T_IPV4 }, 0, NULL);
	for (size_t i = 0; i < 10000; i++) {
		struct rs_elem *e = rs_set_add_elem(s);

		sn_addr_parse(&e->key[0].addr, "198.18.0.0");
		e->key[0].addr.a[2] = (uint8_t)(i >> 8);
		e->key[0].addr.a[3] = (uint8_t)i;
	}
	op.elems = malloc(s->n * sizeof(*op.elems));
	for (size_t i = 0; i < s->n; i++)
		op.elems[i] = &s->elems[i];
	op.nelems = s->n;
	b = nlk_batch_build(&d, &o, NULL);
	walk_batch(b, &w);
	check_frame(&w, true);
	for (size_t i = 1; i + 1 < w.n; i++) {
		size_t list, n = count_elems(w.msgs[i], &list);

		total += n;
		max = n > max ? n : max;
	}
	assert_int_equal(total, 10000);
	assert_int_equal(max, 2048);
	walk_free(&w);
	nlk_batch_free(b);
	free(op.elems);
	rs_ruleset_free(rs);
}

/* Deletes name elements by key only; destroy_elems uses DESTROYSETELEM. */
static void test_delete_elements(void **state)
{
	struct nlk_batch_opts o = { .genid = GENID, .seq = SEQ0 };
	struct rs_op op;
	struct rs_diff d;
	struct rs_ruleset *rs = big_map(3, &d, &op);
	struct nlk_batch *b;
	struct walk w;
	const struct nlattr *a, *e, *f;

	op.type = RS_OP_DEL_ELEMS;
	b = nlk_batch_build(&d, &o, NULL);
	walk_batch(b, &w);
	assert_int_equal(w.n, 3);
	assert_int_equal(nft_type(w.msgs[1]), NFT_MSG_DELSETELEM);
	mnl_attr_for_each(a, w.msgs[1], sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		mnl_attr_for_each_nested(e, a)
			mnl_attr_for_each_nested(f, e)
				assert_int_equal(mnl_attr_get_type(f), NFTA_SET_ELEM_KEY);
	}
	walk_free(&w);
	nlk_batch_free(b);

	o.destroy_elems = true;
	b = nlk_batch_build(&d, &o, NULL);
	walk_batch(b, &w);
	assert_int_equal(nft_type(w.msgs[1]), 30 /* NFT_MSG_DESTROYSETELEM */);
	walk_free(&w);
	nlk_batch_free(b);
	free(op.elems);
	rs_ruleset_free(rs);
}

/* A whole table: ACK flags, --check, creation order, message kinds. */
static void test_table_batch(void **state)
{
	struct nlk_batch_opts o = { .genid = GENID, .seq = SEQ0 };
	struct rs_ruleset *want = rs_ruleset_alloc();
	struct rs_table *t = rs_ruleset_add_table(want, RS_IP, "svcnft");
	const char *sets[] = { "zeta", "alpha", "mid" };
	struct rs_diff d;
	struct nlk_batch *b;
	struct walk w;
	size_t nsets = 0, nchains = 0, nrules = 0;
	struct rs_chain *c;
	struct rs_rule *r;

	rs_table_set_comment(t, "svcnft");
	for (size_t i = 0; i < 3; i++)
		rs_set_set_type(rs_table_add_set(t, sets[i]), 1, (uint8_t[]){ RS_T_IPV4 }, 0, NULL);
	rs_table_add_base_chain(t, "nat-prerouting", "nat", RS_HOOK_PREROUTING, -100);
	c = rs_table_add_chain(t, "svc-a/b/tcp/80");
	for (int i = 0; i < 3; i++) {
		r = rs_chain_add_rule(c);
		rs_rule_verdict(r, RS_V_ACCEPT, NULL);
	}
	rs_diff(want, NULL, false, &d);
	b = nlk_batch_build(&d, &o, NULL);
	assert_non_null(b);
	walk_batch(b, &w);
	check_frame(&w, true);
	for (size_t i = 1; i + 1 < w.n; i++) {
		const struct nlmsghdr *nlh = w.msgs[i];

		assert_true(nlh->nlmsg_flags & NLM_F_ACK);	/* small batch: every ACK */
		if (nft_type(nlh) == NFT_MSG_NEWSET) {
			struct nftnl_set *s = nftnl_set_alloc();

			assert_int_equal(nftnl_set_nlmsg_parse(nlh, s), 0);
			/* in the table's order, not the diff's (by name) */
			assert_string_equal(nftnl_set_get_str(s, NFTNL_SET_NAME), sets[nsets]);
			assert_true(nftnl_set_is_set(s, NFTNL_SET_ID));
			nftnl_set_free(s);
			nsets++;
		} else if (nft_type(nlh) == NFT_MSG_NEWCHAIN) {
			assert_true(nlh->nlmsg_flags & NLM_F_CREATE);
			nchains++;
		} else if (nft_type(nlh) == NFT_MSG_NEWRULE) {
			assert_true(nlh->nlmsg_flags & NLM_F_APPEND);
			nrules++;
		}
	}
	assert_int_equal(nsets, 3);
	assert_int_equal(nchains, 2);
	assert_int_equal(nrules, 3);
	walk_free(&w);
	nlk_batch_free(b);

	/* --check: the same without END */
	o.check = true;
	b = nlk_batch_build(&d, &o, NULL);
	walk_batch(b, &w);
	check_frame(&w, false);
	walk_free(&w);
	nlk_batch_free(b);

	/* the refusal test's hook corrupts the first rule of its chain only */
	o.check = false;
	o.corrupt_chain = "svc-a/b/tcp/80";
	b = nlk_batch_build(&d, &o, NULL);
	walk_batch(b, &w);
	nrules = 0;
	for (size_t i = 1; i + 1 < w.n; i++) {
		struct nftnl_rule *nr;
		int nexpr = 0;
		struct nftnl_expr_iter *it;

		if (nft_type(w.msgs[i]) != NFT_MSG_NEWRULE)
			continue;
		nr = nftnl_rule_alloc();
		assert_int_equal(nftnl_rule_nlmsg_parse(w.msgs[i], nr), 0);
		it = nftnl_expr_iter_create(nr);
		while (nftnl_expr_iter_next(it))
			nexpr++;
		nftnl_expr_iter_destroy(it);
		assert_int_equal(nexpr, nrules == 0 ? 2 : 1);
		nrules++;
		nftnl_rule_free(nr);
	}
	walk_free(&w);
	nlk_batch_free(b);
	rs_diff_free(&d);
	rs_ruleset_free(want);
}

/* Beyond a few thousand messages, ACKs only for errors. */
static void test_big_batch_acks(void **state)
{
	struct nlk_batch_opts o = { .genid = GENID, .seq = SEQ0 };
	struct rs_ruleset *want = rs_ruleset_alloc();
	struct rs_table *t = rs_ruleset_add_table(want, RS_IP, "svcnft");
	struct rs_diff d;
	struct nlk_batch *b;
	struct walk w;

	for (int i = 0; i < 5000; i++) {
		char name[32];
		struct rs_chain *c;

		snprintf(name, sizeof(name), "c%05d", i);
		c = rs_table_add_chain(t, name);
		rs_rule_verdict(rs_chain_add_rule(c), RS_V_RETURN, NULL);
	}
	rs_diff(want, NULL, false, &d);
	b = nlk_batch_build(&d, &o, NULL);
	walk_batch(b, &w);
	check_frame(&w, true);
	assert_int_equal(w.n, 2 + 1 + 5000 + 5000);
	for (size_t i = 1; i + 1 < w.n; i++)
		assert_false(w.msgs[i]->nlmsg_flags & NLM_F_ACK);
	walk_free(&w);
	nlk_batch_free(b);
	rs_diff_free(&d);
	rs_ruleset_free(want);
}

/*
 * A batch bigger than 1024 pages of 128 KiB (the page size before 2 MiB
 * pages: sendmsg refuses more than UIO_MAXIOV = 1024 iovecs, so a 44,000
 * Service first apply could not be sent). About 140 MiB of element
 * messages: the iovec count stays within UIO_MAXIOV, and walking the pages
 * finds every message once, in order (consecutive sequence numbers from
 * BEGIN to END), each element message starting at the element that follows
 * the previous message's last one.
 */
#define OLD_PAGE (128 * 1024)
#define UIO_MAXIOV_ 1024
#define POOL 4096

/* The key bytes of the first element of an element message, or NULL. */
static const uint8_t *first_key(const struct nlmsghdr *nlh)
{
	const struct nlattr *a, *e, *k, *v;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		mnl_attr_for_each_nested(e, a) {
			mnl_attr_for_each_nested(k, e) {
				if (mnl_attr_get_type(k) != NFTA_SET_ELEM_KEY)
					continue;
				mnl_attr_for_each_nested(v, k)
					if (mnl_attr_get_type(v) == NFTA_DATA_VALUE)
						return mnl_attr_get_payload(v);
			}
			return NULL;
		}
	}
	return NULL;
}

static void test_batch_beyond_old_pages(void **state)
{
	struct nlk_batch_opts o = { .genid = GENID, .seq = SEQ0 };
	struct rs_ruleset *rs = rs_ruleset_alloc();
	struct rs_table *t = rs_ruleset_add_table(rs, RS_IP, "svcnft");
	struct rs_set *s = rs_table_add_set(t, "service-ips");
	struct rs_op op = { .type = RS_OP_ADD_ELEMS, .table = t, .set = s };
	struct rs_diff d = { .ops = &op, .n = 1 };
	const size_t n = 600000;
	char name[201];
	struct nlk_batch *b;
	struct walk w;
	size_t next = 0, bytes = 0;
	int niov;

	/* POOL distinct elements, each with a 200-character chain name (the
	 * kernel allows 255), used over and over: 236 bytes per element */
	rs_set_set_type(s, 3, (uint8_t[]){ RS_T_IPV4, RS_T_PROTO, RS_T_SERVICE }, 1,
			(uint8_t[]){ RS_T_VERDICT });
	memset(name, 'c', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	for (size_t i = 0; i < POOL; i++) {
		struct rs_elem *e = rs_set_add_elem(s);

		sn_addr_parse(&e->key[0].addr, "198.18.0.0");
		e->key[0].addr.a[2] = (uint8_t)(i >> 8);
		e->key[0].addr.a[3] = (uint8_t)i;
		e->key[1].num = IPPROTO_UDP;
		e->key[2].num = 53;
		e->verdict.code = RS_V_GOTO;
		e->verdict.chain = strdup(name);
	}
	op.elems = malloc(n * sizeof(*op.elems));
	for (size_t i = 0; i < n; i++)
		op.elems[i] = &s->elems[i % POOL];
	op.nelems = n;

	b = nlk_batch_build(&d, &o, NULL);
	assert_non_null(b);
	assert_true(nlk_batch_bytes(b) > (size_t)UIO_MAXIOV_ * OLD_PAGE);
	niov = nlk_batch_iov(b, NULL, 0);
	assert_true(niov > 1 && niov <= UIO_MAXIOV_);

	walk_batch(b, &w);
	check_frame(&w, true);	/* BEGIN first, END last, seq SEQ0 + i for message i */
	assert_int_equal(w.n, nlk_batch_msgs(b));
	for (size_t i = 0; i < w.n; i++) {
		size_t list, count;
		const uint8_t *key;

		bytes += NLMSG_ALIGN(w.msgs[i]->nlmsg_len);
		if (i == 0 || i == w.n - 1)
			continue;
		assert_int_equal(nft_type(w.msgs[i]), NFT_MSG_NEWSETELEM);
		/* the first element of this message is the one after the last of
		 * the previous message: none lost, none twice */
		key = first_key(w.msgs[i]);
		assert_non_null(key);
		assert_int_equal(key[2] << 8 | key[3], next % POOL);
		count = count_elems(w.msgs[i], &list);
		assert_true(count > 0);
		next += count;
	}
	assert_int_equal(next, n);
	assert_int_equal(bytes, nlk_batch_bytes(b));
	walk_free(&w);
	nlk_batch_free(b);
	free(op.elems);
	rs_ruleset_free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_big_elements),
		cmocka_unit_test(test_split_commented_elements),
		cmocka_unit_test(test_split_small_elements),
		cmocka_unit_test(test_delete_elements),
		cmocka_unit_test(test_table_batch),
		cmocka_unit_test(test_big_batch_acks),
		cmocka_unit_test(test_batch_beyond_old_pages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
