// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * netlink/batch.c: an rs_diff as one nf_tables transaction.
 *
 * The whole transaction is built first, in nftnl_batch pages, and sent in
 * one sendmsg over an iovec of those pages: the kernel sees BEGIN ... END
 * at once, commits all of it or none of it. Nothing is sent while a
 * message is still being built, and nothing is sent at all when an object
 * cannot be encoded.
 *
 * Each message has its own sequence number; a table indexed by
 * (seq - first seq) says which operation, rule or element range it
 * carries, so that every error the kernel reports is told with its object.
 *
 * BEGIN carries the generation id the diff was computed against
 * (NFNL_BATCH_GENID): if anything changed the ruleset since, the kernel
 * refuses the whole batch with ERESTART and the caller reads again.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <libnftnl/batch.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/common.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include "netlink/sock_internal.h"

/*
 * nftnl_batch pages: 2 MiB each, with room past the end for one whole
 * message, since a message is written before the batch knows whether it
 * still fits the page (then it moves to the next page). Our largest message
 * is an element message, kept below NLK_ELEM_BYTES_MAX plus headers.
 *
 * The pages go to the kernel as one iovec each, in one sendmsg, and
 * sendmsg refuses more than UIO_MAXIOV (1024) of them (EMSGSIZE): with
 * 128 KiB pages a batch could not pass 128 MiB, and a first apply of 44,000
 * Services is ~195 MiB. 1024 pages of 2 MiB hold 2 GiB, more than the
 * kernel takes in one message anyway (netlink_sendmsg needs the message to
 * fit the send buffer, an int: NLK_BATCH_MAX). nft uses the same page size.
 * A page is only touched as far as it is written, so a small batch does not
 * cost 2 MiB of memory.
 */
#define NLK_BATCH_PAGE (2u << 20)
#define NLK_BATCH_OVERRUN (64 * 1024 + 4096)
#define NLK_UIO_MAXIOV 1024	/* UIO_MAXIOV, which glibc does not export */
/* The largest batch one sendmsg can carry: SO_SNDBUFFORCE caps the send
 * buffer at INT_MAX, and netlink wants 32 bytes of it spare. */
#define NLK_BATCH_MAX ((size_t)INT32_MAX - 64 * 1024)

/*
 * A set's elements travel in one attribute (NFTA_SET_ELEM_LIST_ELEMENTS)
 * whose length is 16 bits: at most 64 KiB. Elements of one set are split
 * across several messages of the same batch, each holding at most
 * NLK_ELEMS_PER_MSG elements and NLK_ELEM_BYTES_MAX bytes of them: a
 * service-ips element is ~100 bytes with its chain name, so a message
 * carries some 480 of those, or 2048 small ones (a hairpin pair is 36 bytes).
 * Fewer, larger messages would save little: the kernel's cost is per
 * element, not per message.
 */
#define NLK_ELEMS_PER_MSG 2048
#define NLK_ELEM_BYTES_MAX (48 * 1024)

/*
 * Every message asks for an ACK when the batch has at most this many
 * messages, so each one is answered. A bigger batch (a first apply of
 * 10,000 Services is ~200,000 rule messages) asks for none: the kernel
 * reports every error anyway, and each ACK is one skb of ~1 KiB (its
 * truesize) in our receive buffer, which would need hundreds of MiB.
 */
#define NLK_ACK_ALL_MAX 8192
#define NLK_ACK_TRUESIZE 1280	/* per ACK, for sizing SO_RCVBUF */
#define NLK_RCVBUF_MIN (4u << 20)
#define NLK_RCVBUF_MAX (256u << 20)
/* After the non-blocking drain, how long to wait for ACKs still missing. */
#define NLK_ACK_WAIT_MS 2000

/* NFT_MSG_DESTROYSETELEM (kernel 6.3): delete an element, and no error
 * when it is not there; our kernel headers predate it. */
#define NLK_MSG_DESTROYSETELEM 30

enum nlk_msg_kind {
	NLK_M_BEGIN,
	NLK_M_OP,	/* one message for the whole op */
	NLK_M_RULE,	/* ADD_RULES: one rule */
	NLK_M_ELEMS,	/* ADD_ELEMS / DEL_ELEMS: a range of elements */
	NLK_M_END,
};

struct nlk_msg {
	uint8_t kind;
	const struct rs_op *op;
	uint32_t rule;		/* NLK_M_RULE */
	size_t first, count;	/* NLK_M_ELEMS */
	const struct nlmsghdr *nlh;	/* the message in the pages */
};

struct nlk_batch {
	struct nftnl_batch *b;
	struct nlk_msg *msgs;	/* indexed by seq - seq0 */
	size_t n, cap;
	uint32_t seq0;
	size_t bytes;
	bool ack_all;
	bool check;
	bool destroy_elems;
	uint32_t genid;
	uint32_t set_id;	/* NFTA_SET_ID, which the kernel requires, unique per batch */
	const char *corrupt_chain;
	const struct rs_elem *corrupt_elem;
	const char *corrupt_elem_owner;	/* cleared once used */
	int test_rcvbuf;
	bool corrupt_common;
	size_t expect_acks;
	bool no_page;		/* nftnl_batch_update() could not get a page: never send */
};

/* ---- building ---- */

static uint16_t ack_flag(const struct nlk_batch *b)
{
	return b->ack_all ? NLM_F_ACK : 0;
}

static struct nlk_msg *msg_add(struct nlk_batch *b, enum nlk_msg_kind kind, const struct rs_op *op)
{
	struct nlk_msg *m;

	sn_grow(&b->msgs, &b->cap, b->n + 1, sizeof(*b->msgs));
	m = &b->msgs[b->n++];
	memset(m, 0, sizeof(*m));
	m->kind = kind;
	m->op = op;
	return m;
}

static uint32_t msg_seq(const struct nlk_batch *b)
{
	return b->seq0 + (uint32_t)(b->n - 1);
}

/* Close the message just written at nlh: let the batch move it to a new
 * page if it overran this one, and remember where it ended up. */
static void msg_done(struct nlk_batch *b, struct nlmsghdr *nlh)
{
	uint32_t len = nlh->nlmsg_len;

	b->bytes += NLMSG_ALIGN(len);
	if (nlh->nlmsg_flags & NLM_F_ACK)
		b->expect_acks++;
	/* A failed update leaves the message to be overwritten by the next
	 * one: the batch would go out a message short, no longer the
	 * transaction we computed. Remember it and refuse to build. */
	if (nftnl_batch_update(b->b) < 0) {
		b->no_page = true;
		return;
	}
	/* The message is now right before the write pointer, where it was
	 * or at the start of a fresh page. */
	b->msgs[b->n - 1].nlh =
		(const struct nlmsghdr *)((char *)nftnl_batch_buffer(b->b) - NLMSG_ALIGN(len));
}

static struct nlmsghdr *msg_hdr(struct nlk_batch *b, uint16_t type, enum rs_family f,
				uint16_t flags)
{
	return nftnl_nlmsg_build_hdr(nftnl_batch_buffer(b->b), type, f, flags | ack_flag(b),
				     msg_seq(b));
}

static void put_begin(struct nlk_batch *b)
{
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;

	msg_add(b, NLK_M_BEGIN, NULL);
	nlh = mnl_nlmsg_put_header(nftnl_batch_buffer(b->b));
	nlh->nlmsg_type = NFNL_MSG_BATCH_BEGIN;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = msg_seq(b);
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(NFNL_SUBSYS_NFTABLES);
	/* a transaction for exactly the ruleset generation we read */
	if (b->genid)
		mnl_attr_put_u32(nlh, NFNL_BATCH_GENID, htonl(b->genid));
	msg_done(b, nlh);
}

static void put_end(struct nlk_batch *b)
{
	msg_add(b, NLK_M_END, NULL);
	msg_done(b, nftnl_batch_end(nftnl_batch_buffer(b->b), msg_seq(b)));
}

/* nft add table FAMILY NAME */
static int put_add_table(struct nlk_batch *b, const struct rs_op *op, struct sn_buf *why)
{
	struct nftnl_table *nt = nlk_table_build(op->table);
	struct nlmsghdr *nlh;

	if (!nt)
		goto err;
	msg_add(b, NLK_M_OP, op);
	nlh = msg_hdr(b, NFT_MSG_NEWTABLE, op->table->family, NLM_F_CREATE);
	nftnl_table_nlmsg_build_payload(nlh, nt);
	nftnl_table_free(nt);
	msg_done(b, nlh);
	return 0;
err:
	if (why)
		sn_buf_printf(why, "cannot encode table %s", op->table->name);
	return -1;
}

/* nft delete table FAMILY NAME */
static int put_del_table(struct nlk_batch *b, const struct rs_op *op, struct sn_buf *why)
{
	struct nftnl_table *nt = nftnl_table_alloc();
	struct nlmsghdr *nlh;

	nftnl_table_set_str(nt, NFTNL_TABLE_NAME, op->table->name);
	msg_add(b, NLK_M_OP, op);
	nlh = msg_hdr(b, NFT_MSG_DELTABLE, op->table->family, 0);
	nftnl_table_nlmsg_build_payload(nlh, nt);
	nftnl_table_free(nt);
	msg_done(b, nlh);
	return 0;
}

/* nft add set|map FAMILY TABLE NAME { ... } */
static int put_add_set(struct nlk_batch *b, const struct rs_op *op, struct sn_buf *why)
{
	struct nftnl_set *ns = nlk_set_build(op->table, op->set);
	struct nlmsghdr *nlh;

	if (!ns) {
		if (why)
			sn_buf_printf(why, "cannot encode set %s", op->set->name);
		return -1;
	}
	nftnl_set_set_u32(ns, NFTNL_SET_ID, ++b->set_id);
	msg_add(b, NLK_M_OP, op);
	nlh = msg_hdr(b, NFT_MSG_NEWSET, op->table->family, NLM_F_CREATE | NLM_F_EXCL);
	nftnl_set_nlmsg_build_payload(nlh, ns);
	nftnl_set_free(ns);
	msg_done(b, nlh);
	return 0;
}

/* nft delete set FAMILY TABLE NAME */
static int put_del_set(struct nlk_batch *b, const struct rs_op *op, struct sn_buf *why)
{
	struct nftnl_set *ns = nftnl_set_alloc();
	struct nlmsghdr *nlh;

	nftnl_set_set_str(ns, NFTNL_SET_TABLE, op->table->name);
	nftnl_set_set_str(ns, NFTNL_SET_NAME, op->set->name);
	msg_add(b, NLK_M_OP, op);
	nlh = msg_hdr(b, NFT_MSG_DELSET, op->table->family, 0);
	nftnl_set_nlmsg_build_payload(nlh, ns);
	nftnl_set_free(ns);
	msg_done(b, nlh);
	return 0;
}

/* nft add chain FAMILY TABLE NAME [{ type ... hook ... priority ...; }] */
static int put_add_chain(struct nlk_batch *b, const struct rs_op *op, struct sn_buf *why)
{
	struct nftnl_chain *nc = nlk_chain_build(op->table, op->chain);
	struct nlmsghdr *nlh;

	if (!nc) {
		if (why)
			sn_buf_printf(why, "cannot encode chain %s", op->chain->name);
		return -1;
	}
	msg_add(b, NLK_M_OP, op);
	nlh = msg_hdr(b, NFT_MSG_NEWCHAIN, op->table->family, NLM_F_CREATE | NLM_F_EXCL);
	nftnl_chain_nlmsg_build_payload(nlh, nc);
	nftnl_chain_free(nc);
	msg_done(b, nlh);
	return 0;
}

/* nft delete chain FAMILY TABLE NAME
 * Its rules were flushed earlier in the batch (so no jump between two
 * deleted chains holds it), and the map elements that pointed at it were
 * deleted earlier too: kernels since 6.2 release those references within
 * the transaction; older ones answer EBUSY here, and the chain would have
 * to go one batch later (as kube-proxy does). */
static int put_del_chain(struct nlk_batch *b, const struct rs_op *op, struct sn_buf *why)
{
	struct nftnl_chain *nc = nftnl_chain_alloc();
	struct nlmsghdr *nlh;

	nftnl_chain_set_str(nc, NFTNL_CHAIN_TABLE, op->table->name);
	nftnl_chain_set_str(nc, NFTNL_CHAIN_NAME, op->chain->name);
	msg_add(b, NLK_M_OP, op);
	nlh = msg_hdr(b, NFT_MSG_DELCHAIN, op->table->family, 0);
	nftnl_chain_nlmsg_build_payload(nlh, nc);
	nftnl_chain_free(nc);
	msg_done(b, nlh);
	return 0;
}

/* nft flush chain FAMILY TABLE NAME */
static int put_flush_chain(struct nlk_batch *b, const struct rs_op *op, struct sn_buf *why)
{
	struct nftnl_rule *nr = nftnl_rule_alloc();
	struct nlmsghdr *nlh;

	nftnl_rule_set_str(nr, NFTNL_RULE_TABLE, op->table->name);
	nftnl_rule_set_str(nr, NFTNL_RULE_CHAIN, op->chain->name);
	msg_add(b, NLK_M_OP, op);
	nlh = msg_hdr(b, NFT_MSG_DELRULE, op->table->family, 0);
	nftnl_rule_nlmsg_build_payload(nlh, nr);
	nftnl_rule_free(nr);
	msg_done(b, nlh);
	return 0;
}

/* The kernel-tier refusal test's hook: a jump to a chain that does not
 * exist, which the kernel refuses (ENOENT) with the rule's sequence number. */
static void corrupt_rule(struct nftnl_rule *nr)
{
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");

	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)NFT_JUMP);
	nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, "svcnft-test-no-such-chain");
	nftnl_rule_add_expr(nr, e);
}

/* The corrupt_common test hook: a rule message with no op behind it (so
 * no Service owns it) for a chain the table does not have. */
static void put_corrupt_common(struct nlk_batch *b, const struct rs_table *t)
{
	struct nftnl_rule *nr = nftnl_rule_alloc();
	struct nlmsghdr *nlh;

	if (!nr)
		return;
	nftnl_rule_set_u32(nr, NFTNL_RULE_FAMILY, (uint32_t)t->family);
	nftnl_rule_set_str(nr, NFTNL_RULE_TABLE, t->name);
	nftnl_rule_set_str(nr, NFTNL_RULE_CHAIN, "svcnft-test-no-such-chain");
	msg_add(b, NLK_M_RULE, NULL);
	nlh = msg_hdr(b, NFT_MSG_NEWRULE, t->family, NLM_F_CREATE | NLM_F_APPEND);
	nftnl_rule_nlmsg_build_payload(nlh, nr);
	nftnl_rule_free(nr);
	msg_done(b, nlh);
}

/* nft add rule FAMILY TABLE CHAIN ..., once per rule, in order */
static int put_add_rules(struct nlk_batch *b, const struct rs_op *op, struct sn_buf *why)
{
	const struct rs_chain *c = op->chain;

	for (uint32_t i = 0; i < c->n; i++) {
		struct nftnl_rule *nr = nlk_rule_build(op->table, c, &c->rules[i], why);
		struct nlmsghdr *nlh;
		struct nlk_msg *m;

		if (!nr) {
			if (why)
				sn_buf_printf(why, " (chain %s, rule %u)", c->name, i + 1);
			return -1;
		}
		if (i == 0 && b->corrupt_chain && strcmp(b->corrupt_chain, c->name) == 0)
			corrupt_rule(nr);
		m = msg_add(b, NLK_M_RULE, op);
		m->rule = i;
		nlh = msg_hdr(b, NFT_MSG_NEWRULE, op->table->family, NLM_F_CREATE | NLM_F_APPEND);
		nftnl_rule_nlmsg_build_payload(nlh, nr);
		nftnl_rule_free(nr);
		msg_done(b, nlh);
	}
	return 0;
}

/* One element's bytes in the element list, as libnftnl writes it: the
 * list item; the key (and key end) values; data, or a verdict code with
 * its chain name; its comment. Deletes carry the key only. */
static size_t wire_len(const uint8_t *types, unsigned n)
{
	size_t len = 0;

	for (unsigned i = 0; i < n; i++)
		len += n > 1 ? (nlk_type_len(types[i]) + 3) & ~3u : nlk_type_len(types[i]);
	return NLMSG_ALIGN(len);
}

static size_t elem_bytes(const struct rs_set *s, const struct rs_elem *e, bool key_only)
{
	size_t key = 8 + wire_len(s->key, s->nkey);	/* nest + NFTA_DATA_VALUE */
	size_t n = 4 + key;

	if (nlk_set_is_concat_interval(s))
		n += key;
	if (key_only)
		return n;
	if (e->verdict.chain)
		n += 8 + 8 + 4 + NLMSG_ALIGN(strlen(e->verdict.chain) + 1);
	else if (s->ndata == 1 && s->data[0] == RS_T_VERDICT)
		n += 8 + 8;
	else if (s->ndata)
		n += 8 + wire_len(s->data, s->ndata);
	/* NFTA_SET_ELEM_USERDATA: one udata record, the comment and its NUL */
	if (e->comment)
		n += 4 + NLMSG_ALIGN(2 + strlen(e->comment) + 1);
	return n;
}

/* The kernel-tier refusal test's hook for elements: a one-byte key, which
 * the kernel refuses (EINVAL) pointing at that element. */
static int corrupt_elem(struct nftnl_set *ns)
{
	struct nftnl_set_elem *ne = nftnl_set_elem_alloc();
	uint8_t k = 0;

	if (!ne)
		return -1;
	nftnl_set_elem_set(ne, NFTNL_SET_ELEM_KEY, &k, sizeof(k));
	nftnl_set_elem_add(ns, ne);
	return 0;
}

/* Test hook: is e the element to corrupt? Only the first match is. */
static bool corrupt_elem_hit(struct nlk_batch *b, const struct rs_elem *e)
{
	size_t n;

	if (!b->corrupt_elem_owner || !e->comment)
		return false;
	n = strlen(b->corrupt_elem_owner);
	if (strncmp(e->comment, b->corrupt_elem_owner, n) != 0 || e->comment[n] != ' ')
		return false;
	b->corrupt_elem_owner = NULL;
	return true;
}

/* A timeout on an element of a set without the timeout flag: the kernel
 * refuses that element (EINVAL) and points its extended ACK at it. */
static void corrupt_last_elem(struct nftnl_set *ns)
{
	struct nftnl_set_elems_iter *it = nftnl_set_elems_iter_create(ns);
	struct nftnl_set_elem *e, *last = NULL;

	while (it && (e = nftnl_set_elems_iter_next(it)))
		last = e;
	nftnl_set_elems_iter_destroy(it);
	if (last)
		nftnl_set_elem_set_u64(last, NFTNL_SET_ELEM_TIMEOUT, 1000);
}

/* nft add|delete element FAMILY TABLE SET { ... }, split across messages */
static int put_elems(struct nlk_batch *b, const struct rs_op *op, struct sn_buf *why)
{
	bool del = op->type == RS_OP_DEL_ELEMS;
	size_t i = 0;

	while (i < op->nelems) {
		struct nftnl_set *ns = nftnl_set_alloc();
		size_t first = i, bytes = 0;
		struct nlmsghdr *nlh;
		struct nlk_msg *m;

		nftnl_set_set_str(ns, NFTNL_SET_TABLE, op->table->name);
		nftnl_set_set_str(ns, NFTNL_SET_NAME, op->set->name);
		nftnl_set_set_u32(ns, NFTNL_SET_FAMILY, op->table->family);
		while (i < op->nelems && i - first < NLK_ELEMS_PER_MSG) {
			size_t eb = elem_bytes(op->set, op->elems[i], del);

			if (i > first && bytes + eb > NLK_ELEM_BYTES_MAX)
				break;
			if (op->elems[i] == b->corrupt_elem ? corrupt_elem(ns) < 0 :
			    nlk_elem_add(ns, op->set, op->elems[i], del, why) < 0) {
				nftnl_set_free(ns);
				return -1;
			}
			if (!del && corrupt_elem_hit(b, op->elems[i]))
				corrupt_last_elem(ns);
			bytes += eb;
			i++;
		}
		m = msg_add(b, NLK_M_ELEMS, op);
		m->first = first;
		m->count = i - first;
		nlh = msg_hdr(b, !del ? NFT_MSG_NEWSETELEM :
				 b->destroy_elems ? NLK_MSG_DESTROYSETELEM : NFT_MSG_DELSETELEM,
			      op->table->family, del ? 0 : NLM_F_CREATE);
		nftnl_set_elems_nlmsg_build_payload(nlh, ns);
		nftnl_set_free(ns);
		msg_done(b, nlh);
	}
	return 0;
}

typedef int (*put_fn)(struct nlk_batch *b, const struct rs_op *op, struct sn_buf *why);

static const put_fn putters[__RS_OP_MAX] = {
	[RS_OP_ADD_TABLE] = put_add_table,   [RS_OP_ADD_SET] = put_add_set,
	[RS_OP_ADD_CHAIN] = put_add_chain,   [RS_OP_FLUSH_CHAIN] = put_flush_chain,
	[RS_OP_ADD_RULES] = put_add_rules,   [RS_OP_ADD_ELEMS] = put_elems,
	[RS_OP_DEL_ELEMS] = put_elems,	     [RS_OP_DEL_CHAIN] = put_del_chain,
	[RS_OP_DEL_SET] = put_del_set,	     [RS_OP_DEL_TABLE] = put_del_table,
};

/* How many messages the ops need, to decide on ACKs before building. */
static size_t count_msgs(const struct rs_diff *d)
{
	size_t n = 2;

	for (size_t i = 0; i < d->n; i++) {
		const struct rs_op *op = &d->ops[i];

		if (op->type == RS_OP_ADD_RULES)
			n += op->chain->n;
		else if (op->type == RS_OP_ADD_ELEMS || op->type == RS_OP_DEL_ELEMS)
			n += op->nelems / 256 + 1;	/* a rough count is enough */
		else
			n++;
	}
	return n;
}

/*
 * Sets and chains are created in the order the desired table lists them
 * (the printer's order), so that the kernel's lists, and `nft list`, come
 * out as after `nft -f` of the compile output. The diff groups them by
 * phase in its own order; a run of ADD_SET or ADD_CHAIN ops is reordered
 * here by each object's position in its table.
 */
struct posmap {
	const void *ptr;
	size_t pos;
};

static int posmap_cmp(const void *x, const void *y)
{
	uintptr_t a = (uintptr_t)((const struct posmap *)x)->ptr;
	uintptr_t c = (uintptr_t)((const struct posmap *)y)->ptr;

	return a < c ? -1 : a > c;
}

struct ordered_op {
	const struct rs_op *op;
	size_t table_rank, pos;
};

static int ordered_cmp(const void *x, const void *y)
{
	const struct ordered_op *a = x, *c = y;

	if (a->table_rank != c->table_rank)
		return a->table_rank < c->table_rank ? -1 : 1;
	return a->pos < c->pos ? -1 : a->pos > c->pos;
}

static void order_run(const struct rs_op *ops, size_t n, struct ordered_op *out)
{
	const struct rs_table *tables[8];
	struct posmap *maps[8] = { 0 };
	size_t ntables = 0;

	for (size_t i = 0; i < n; i++) {
		const struct rs_op *op = &ops[i];
		bool chain = op->type == RS_OP_ADD_CHAIN;
		const void *obj = chain ? (const void *)op->chain : (const void *)op->set;
		size_t rank = 0, nobj;
		struct posmap key = { obj, 0 }, *hit;

		while (rank < ntables && tables[rank] != op->table)
			rank++;
		if (rank == ntables && ntables < SN_ARRAY_SIZE(tables)) {
			tables[ntables++] = op->table;
			nobj = chain ? op->table->nchains : op->table->nsets;
			maps[rank] = sn_malloc((nobj ? nobj : 1) * sizeof(**maps));
			for (size_t k = 0; k < nobj; k++) {
				maps[rank][k].ptr = chain ? (const void *)op->table->chains[k] :
							    (const void *)op->table->sets[k];
				maps[rank][k].pos = k;
			}
			qsort(maps[rank], nobj, sizeof(**maps), posmap_cmp);
		}
		out[i].op = op;
		out[i].table_rank = rank;
		out[i].pos = i;
		if (rank < ntables) {
			nobj = chain ? op->table->nchains : op->table->nsets;
			hit = bsearch(&key, maps[rank], nobj, sizeof(**maps), posmap_cmp);
			if (hit)
				out[i].pos = hit->pos;
		}
	}
	qsort(out, n, sizeof(*out), ordered_cmp);
	for (size_t k = 0; k < ntables; k++)
		free(maps[k]);
}

struct nlk_batch *nlk_batch_build(const struct rs_diff *d, const struct nlk_batch_opts *o,
				  struct sn_buf *why)
{
	struct nlk_batch *b = sn_calloc(1, sizeof(*b));
	size_t i = 0;

	b->b = nftnl_batch_alloc(NLK_BATCH_PAGE, NLK_BATCH_OVERRUN);
	if (!b->b) {
		free(b);
		return NULL;
	}
	b->seq0 = o && o->seq ? o->seq : (uint32_t)time(NULL) << 8;
	b->genid = o ? o->genid : 0;
	b->check = o && o->check;
	b->destroy_elems = o && o->destroy_elems;
	b->corrupt_chain = o ? o->corrupt_chain : NULL;
	b->corrupt_elem = o ? o->corrupt_elem : NULL;
	b->test_rcvbuf = o ? o->test_rcvbuf : 0;
	b->corrupt_elem_owner = o ? o->corrupt_elem_owner : NULL;
	b->corrupt_common = o && o->corrupt_common;
	b->ack_all = count_msgs(d) <= NLK_ACK_ALL_MAX;

	put_begin(b);
	while (i < d->n) {
		const struct rs_op *op = &d->ops[i];

		if (op->type >= __RS_OP_MAX || !putters[op->type])
			goto err_put;
		if (op->type == RS_OP_ADD_SET || op->type == RS_OP_ADD_CHAIN) {
			size_t j = i;
			struct ordered_op *run;

			while (j < d->n && d->ops[j].type == op->type)
				j++;
			run = sn_malloc((j - i) * sizeof(*run));
			order_run(&d->ops[i], j - i, run);
			for (size_t k = 0; k < j - i; k++) {
				if (putters[op->type](b, run[k].op, why) < 0) {
					free(run);
					goto err_put;
				}
			}
			free(run);
			i = j;
			continue;
		}
		if (putters[op->type](b, op, why) < 0)
			goto err_put;
		i++;
	}
	for (size_t k = 0; b->corrupt_common && k < d->n; k++)
		if (d->ops[k].table) {
			put_corrupt_common(b, d->ops[k].table);
			break;
		}
	if (!b->check)
		put_end(b);
	if (b->no_page) {
		if (why)
			sn_buf_printf(why, "out of memory while building the batch: nothing was sent");
		goto err_put;
	}
	/* One transaction is one sendmsg: never split it, say why instead. */
	if (nftnl_batch_iovec_len(b->b) > NLK_UIO_MAXIOV || b->bytes > NLK_BATCH_MAX) {
		if (why)
			sn_buf_printf(why, "the change is %zu bytes in %d pages, more than one "
				      "netlink transaction can carry (%zu bytes): nothing was sent",
				      b->bytes, nftnl_batch_iovec_len(b->b), NLK_BATCH_MAX);
		goto err_put;
	}
	return b;

err_put:
	nlk_batch_free(b);
	return NULL;
}

void nlk_batch_free(struct nlk_batch *b)
{
	if (!b)
		return;
	nftnl_batch_free(b->b);
	free(b->msgs);
	free(b);
}

size_t nlk_batch_msgs(const struct nlk_batch *b)
{
	return b->n;
}

size_t nlk_batch_bytes(const struct nlk_batch *b)
{
	return b->bytes;
}

int nlk_batch_iov(struct nlk_batch *b, void *iov, int n)
{
	int len = nftnl_batch_iovec_len(b->b);

	if (iov && n >= len)
		nftnl_batch_iovec(b->b, iov, (uint32_t)len);
	return len;
}

/* ---- errors, told with their object ---- */

void nlk_result_free(struct nlk_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nerrs; i++) {
		free(r->errs[i].what);
		free(r->errs[i].chain);
		free(r->errs[i].extack);
	}
	free(r->errs);
	r->errs = NULL;
	r->nerrs = r->errs_cap = 0;
}

/* Which element of an element message the kernel's attribute offset
 * points into, or -1. */
static long elem_at_offset(const struct nlmsghdr *nlh, uint32_t off)
{
	const struct nlattr *a, *e;
	long k;

	if (!nlh || off < sizeof(*nlh) || off >= nlh->nlmsg_len)
		return -1;
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		k = 0;
		mnl_attr_for_each_nested(e, a) {
			uint32_t start = (uint32_t)((const char *)e - (const char *)nlh);

			if (off >= start && off < start + e->nla_len)
				return k;
			k++;
		}
	}
	return -1;
}

static const char *const op_verbs[__RS_OP_MAX] = {
	[RS_OP_ADD_TABLE] = "add table",     [RS_OP_ADD_SET] = "add set",
	[RS_OP_ADD_CHAIN] = "add chain",     [RS_OP_FLUSH_CHAIN] = "flush chain",
	[RS_OP_ADD_RULES] = "add rule",	     [RS_OP_ADD_ELEMS] = "add element",
	[RS_OP_DEL_ELEMS] = "delete element", [RS_OP_DEL_CHAIN] = "delete chain",
	[RS_OP_DEL_SET] = "delete set",	     [RS_OP_DEL_TABLE] = "delete table",
};

static void describe(const struct nlk_msg *m, uint32_t off, struct sn_buf *w, char **chain)
{
	const struct rs_op *op = m->op;
	const struct rs_table *t;
	enum rs_family f;

	*chain = NULL;
	if (m->kind == NLK_M_BEGIN || m->kind == NLK_M_END || !op) {
		sn_buf_add(w, "the transaction");
		return;
	}
	t = op->table;
	f = t->family;
	sn_buf_printf(w, "%s %s %s", op_verbs[op->type], rs_family_name(f), t->name);
	switch (op->type) {
	case RS_OP_ADD_CHAIN:
	case RS_OP_FLUSH_CHAIN:
	case RS_OP_DEL_CHAIN:
		sn_buf_printf(w, " %s", op->chain->name);
		*chain = sn_strdup(op->chain->name);
		break;
	case RS_OP_ADD_RULES:
		sn_buf_printf(w, " %s (rule %u: ", op->chain->name, m->rule + 1);
		rs_print_rule(w, f, &op->chain->rules[m->rule]);
		sn_buf_add(w, ")");
		*chain = sn_strdup(op->chain->name);
		break;
	case RS_OP_ADD_SET:
	case RS_OP_DEL_SET:
		sn_buf_printf(w, " %s", op->set->name);
		break;
	case RS_OP_ADD_ELEMS:
	case RS_OP_DEL_ELEMS: {
		long k = elem_at_offset(m->nlh, off);

		sn_buf_printf(w, " %s { ", op->set->name);
		if (k >= 0 && (size_t)k < m->count) {
			const struct rs_elem *e = op->elems[m->first + (size_t)k];

			rs_print_elem(w, f, op->set, e);
			if (e->verdict.chain)
				*chain = sn_strdup(e->verdict.chain);
		} else {
			/* no offset: the first element whose verdict names a
			 * chain says which Service the message was about */
			sn_buf_printf(w, "%zu elements", m->count);
			for (size_t i = 0; i < m->count && !*chain; i++)
				if (op->elems[m->first + i]->verdict.chain)
					*chain = sn_strdup(op->elems[m->first + i]->verdict.chain);
		}
		sn_buf_add(w, " }");
		break;
	}
	default:
		break;
	}
}

static void add_error(struct nlk_result *r, const struct nlk_batch *b, uint32_t seq, int err,
		      const char *extack, uint32_t off)
{
	struct nlk_error *e;
	struct sn_buf w;

	sn_grow(&r->errs, &r->errs_cap, r->nerrs + 1, sizeof(*r->errs));
	e = &r->errs[r->nerrs++];
	memset(e, 0, sizeof(*e));
	e->err = err;
	e->extack = extack ? sn_strdup(extack) : NULL;
	sn_buf_init(&w);
	if (seq - b->seq0 < b->n) {
		const struct nlk_msg *m = &b->msgs[seq - b->seq0];

		describe(m, off, &w, &e->chain);
		e->op = m->op;
		if (m->kind == NLK_M_ELEMS && m->op) {
			long k = elem_at_offset(m->nlh, off);

			e->elems = m->op->elems + m->first;
			e->nelems = m->count;
			if (k >= 0 && (size_t)k < m->count)
				e->elem = m->op->elems[m->first + (size_t)k];
		}
	}
	else
		sn_buf_printf(&w, "a message with unknown sequence number %u", seq);
	e->what = sn_buf_steal(&w);
}

/* ---- sending ---- */

static void set_buf(int fd, int force, int plain, size_t want)
{
	int v = want > INT32_MAX ? INT32_MAX : (int)want;

	/* FORCE goes past net.core.{r,w}mem_max (we are root); else the
	 * plain option, capped by the sysctl */
	if (setsockopt(fd, SOL_SOCKET, force, &v, sizeof(v)) < 0)
		setsockopt(fd, SOL_SOCKET, plain, &v, sizeof(v));
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* One NLMSG_ERROR: an ACK (error 0) or an error with its extended ACK. */
static void on_ack(struct nlk_batch *b, struct nlk_result *r, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	const char *msg = NULL;
	uint32_t off = 0;
	uint32_t seq = err->msg.nlmsg_seq;

	r->acks++;
	if (err->error == 0)
		return;
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		size_t hlen = sizeof(*err);
		const struct nlattr *a;

		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			hlen += err->msg.nlmsg_len - sizeof(err->msg);
		mnl_attr_for_each(a, nlh, hlen) {
			if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
			    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
				msg = mnl_attr_get_str(a);
			else if (mnl_attr_get_type(a) == NLMSGERR_ATTR_OFFS &&
				 mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				off = mnl_attr_get_u32(a);
		}
	}
	if (-err->error == ERESTART && seq == b->seq0) {
		r->restart = true;
		return;
	}
	add_error(r, b, seq, -err->error, msg, off);
}

/* Read what is queued; wait_ms > 0 waits that long for the first bytes. */
static int drain(struct nlk_sock *s, struct nlk_batch *b, struct nlk_result *r, int wait_ms)
{
	int fd = mnl_socket_get_fd(s->nl);

	for (;;) {
		ssize_t n;

		if (wait_ms > 0) {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			if (poll(&p, 1, wait_ms) <= 0)
				return 0;
			wait_ms = 0;
		}
		n = recv(fd, s->buf, s->bufsz, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == ENOBUFS) {
				r->lost_acks = true;
				continue;
			}
			if (errno == EINTR)
				continue;
			return -1;
		}
		int len = (int)n;

		for (const struct nlmsghdr *nlh = (const struct nlmsghdr *)s->buf;
		     mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_type == NLMSG_ERROR &&
			    nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(struct nlmsgerr)))
				on_ack(b, r, nlh);
		}
	}
}

enum nlk_send_status nlk_batch_send(struct nlk_sock *s, struct nlk_batch *b,
				    struct nlk_result *r, struct sn_buf *why)
{
	int fd = mnl_socket_get_fd(s->nl);
	int niov = nftnl_batch_iovec_len(b->b);
	struct iovec *iov = sn_calloc((size_t)niov, sizeof(*iov));
	struct sockaddr_nl snl = { .nl_family = AF_NETLINK };
	struct msghdr mh = {
		.msg_name = &snl,
		.msg_namelen = sizeof(snl),
		.msg_iov = iov,
		.msg_iovlen = (size_t)niov,
	};
	size_t rcv;
	double t0;

	r->msgs = b->n;
	r->bytes = b->bytes;
	nftnl_batch_iovec(b->b, iov, (uint32_t)niov);
	/* The kernel copies the whole batch into one skb: the send buffer
	 * must hold it (netlink_sendmsg refuses len > sndbuf - 32). */
	set_buf(fd, SO_SNDBUFFORCE, SO_SNDBUF, b->bytes + (64u << 10));
	rcv = NLK_RCVBUF_MIN + b->expect_acks * NLK_ACK_TRUESIZE;
	if (b->test_rcvbuf > 0)
		rcv = (size_t)b->test_rcvbuf;
	else if (rcv > NLK_RCVBUF_MAX)
		rcv = NLK_RCVBUF_MAX;
	set_buf(fd, SO_RCVBUFFORCE, SO_RCVBUF, rcv);

	t0 = now_ms();
	if (sendmsg(fd, &mh, 0) < 0) {
		free(iov);
		if (why)
			sn_buf_printf(why, "sending the batch (%zu bytes): %s", b->bytes,
				      strerror(errno));
		return NLK_FAILED;
	}
	free(iov);
	/* The kernel handles the batch inside sendmsg: every answer is
	 * queued by now. Wait a little only if ACKs we asked for are missing. */
	if (drain(s, b, r, 0) < 0 ||
	    (b->ack_all && r->acks < b->expect_acks && !r->nerrs && !r->restart &&
	     drain(s, b, r, NLK_ACK_WAIT_MS) < 0)) {
		if (why)
			sn_buf_printf(why, "reading the kernel's answers: %s", strerror(errno));
		return NLK_FAILED;
	}
	r->ms = now_ms() - t0;
	if (r->restart)
		return NLK_RESTART;
	if (r->nerrs)
		return NLK_REFUSED;
	if (r->lost_acks || (b->ack_all && r->acks < b->expect_acks)) {
		/*
		 * Answers were lost, and an error could have been among
		 * them: the outcome is unknown, and never taken for success.
		 * A moved generation does not prove the batch was committed:
		 * another writer's commit moves it too, while ours may have
		 * been refused. An unmoved one proves nothing was committed.
		 * Either way the caller reads the kernel again before its
		 * next batch.
		 */
		uint32_t gen = 0;
		bool known = !b->check && b->genid && nlk_genid(s, &gen, NULL) == 0;

		if (why)
			sn_buf_printf(why, "%s: the kernel's answers were lost (receive buffer "
				      "full; %zu of %zu ACKs read): %s", b->check ? "check" : "batch",
				      r->acks, b->expect_acks,
				      known && gen == b->genid ?
					      "nothing was committed" :
					      "whether it was committed is unknown; the next run "
					      "reads the kernel again");
		return NLK_FAILED;
	}
	return NLK_SENT;
}
