// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tests/kernel/nftraw.c: print every netlink attribute of the nf_tables
 * objects in the current network namespace, one line per object, values in
 * hex, so that two namespaces can be compared attribute by attribute where
 * `nft list ruleset` would hide a difference (set udata, register numbers,
 * byteorder expressions, NAT flags).
 *
 * Usage: nftraw [FAMILY TABLE]   (default: every table)
 *
 * Left out on purpose: handles, use counts, counters, element expirations
 * and set ids, which differ between two loads of the same ruleset.
 * A test helper: it exits 1 on any error and keeps no state.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

static struct mnl_socket *sock;
static uint32_t portid, seq;
static int want_family = NFPROTO_UNSPEC;
static const char *want_table;

static void hex(const void *p, uint32_t len)
{
	const unsigned char *b = p;

	for (uint32_t i = 0; i < len; i++)
		printf("%02x", b[i]);
}

static void attr(const char *name, const void *p, uint32_t len)
{
	printf(" %s=", name);
	hex(p, len);
}

typedef int (*dump_cb)(const struct nlmsghdr *nlh, void *data);

/* One dump request and its answers; buf is 32 KiB, the most a kernel dump
 * skb holds (netlink grows it up to 32 KiB), so a message never truncates. */
static void dump(struct nlmsghdr *nlh, dump_cb cb, void *data)
{
	static char buf[32768];
	int ret;

	if (mnl_socket_sendto(sock, nlh, nlh->nlmsg_len) < 0) {
		perror("sendto");
		exit(1);
	}
	while ((ret = mnl_socket_recvfrom(sock, buf, sizeof(buf))) > 0) {
		ret = mnl_cb_run(buf, ret, nlh->nlmsg_seq, portid, cb, data);
		if (ret <= 0)
			break;
	}
	if (ret < 0 && errno != ENOENT) {
		perror("dump");
		exit(1);
	}
}

static bool wanted(uint32_t family, const char *table)
{
	if (want_table == NULL)
		return true;
	return family == (uint32_t)want_family && strcmp(table, want_table) == 0;
}

static const char *const table_attr[] = {
	[NFTNL_TABLE_FLAGS] = "flags", [NFTNL_TABLE_USERDATA] = "udata",
};

struct tname {
	uint32_t family;
	char name[256];
};
static struct tname tables[64];
static int ntables;

static int table_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_table *t = nftnl_table_alloc();
	uint32_t fam;
	const char *name;

	if (nftnl_table_nlmsg_parse(nlh, t) < 0)
		exit(1);
	fam = nftnl_table_get_u32(t, NFTNL_TABLE_FAMILY);
	name = nftnl_table_get_str(t, NFTNL_TABLE_NAME);
	if (wanted(fam, name) && ntables < 64) {
		tables[ntables].family = fam;
		snprintf(tables[ntables].name, sizeof(tables[0].name), "%s", name);
		ntables++;
		printf("table %u %s", fam, name);
		for (unsigned i = 0; i < sizeof(table_attr) / sizeof(table_attr[0]); i++) {
			uint32_t len;
			const void *p;

			if (!table_attr[i] || !nftnl_table_is_set(t, (uint16_t)i))
				continue;
			p = nftnl_table_get_data(t, (uint16_t)i, &len);
			attr(table_attr[i], p, len);
		}
		printf("\n");
	}
	nftnl_table_free(t);
	return MNL_CB_OK;
}

static const char *const chain_attr[] = {
	[NFTNL_CHAIN_HOOKNUM] = "hook", [NFTNL_CHAIN_PRIO] = "prio",
	[NFTNL_CHAIN_POLICY] = "policy", [NFTNL_CHAIN_TYPE] = "type",
	[NFTNL_CHAIN_DEV] = "dev", [NFTNL_CHAIN_FLAGS] = "flags",
	[NFTNL_CHAIN_USERDATA] = "udata",
};

static int chain_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_chain *c = nftnl_chain_alloc();

	if (nftnl_chain_nlmsg_parse(nlh, c) < 0)
		exit(1);
	if (wanted(nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY),
		   nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE))) {
		printf("chain %u %s %s", nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY),
		       nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE),
		       nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
		for (unsigned i = 0; i < sizeof(chain_attr) / sizeof(chain_attr[0]); i++) {
			uint32_t len;
			const void *p;

			if (!chain_attr[i] || !nftnl_chain_is_set(c, (uint16_t)i))
				continue;
			p = nftnl_chain_get_data(c, (uint16_t)i, &len);
			attr(chain_attr[i], p, len);
		}
		printf("\n");
	}
	nftnl_chain_free(c);
	return MNL_CB_OK;
}

static const char *const set_attr[] = {
	[NFTNL_SET_FLAGS] = "flags", [NFTNL_SET_KEY_TYPE] = "ktype",
	[NFTNL_SET_KEY_LEN] = "klen", [NFTNL_SET_DATA_TYPE] = "dtype",
	[NFTNL_SET_DATA_LEN] = "dlen", [NFTNL_SET_POLICY] = "policy",
	[NFTNL_SET_DESC_SIZE] = "size", [NFTNL_SET_TIMEOUT] = "timeout",
	[NFTNL_SET_GC_INTERVAL] = "gc", [NFTNL_SET_USERDATA] = "udata",
	[NFTNL_SET_OBJ_TYPE] = "objtype", [NFTNL_SET_DESC_CONCAT] = "concat",
};

struct sname {
	uint32_t family;
	char table[256], name[256];
};
static struct sname sets[256];
static int nsets;

static int set_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_set *s = nftnl_set_alloc();

	if (nftnl_set_nlmsg_parse(nlh, s) < 0)
		exit(1);
	if (wanted(nftnl_set_get_u32(s, NFTNL_SET_FAMILY), nftnl_set_get_str(s, NFTNL_SET_TABLE))) {
		if (nsets < 256) {
			sets[nsets].family = nftnl_set_get_u32(s, NFTNL_SET_FAMILY);
			snprintf(sets[nsets].table, 256, "%s", nftnl_set_get_str(s, NFTNL_SET_TABLE));
			snprintf(sets[nsets].name, 256, "%s", nftnl_set_get_str(s, NFTNL_SET_NAME));
			nsets++;
		}
		printf("set %u %s %s", nftnl_set_get_u32(s, NFTNL_SET_FAMILY),
		       nftnl_set_get_str(s, NFTNL_SET_TABLE), nftnl_set_get_str(s, NFTNL_SET_NAME));
		for (unsigned i = 0; i < sizeof(set_attr) / sizeof(set_attr[0]); i++) {
			uint32_t len;
			const void *p;

			if (!set_attr[i] || !nftnl_set_is_set(s, (uint16_t)i))
				continue;
			p = nftnl_set_get_data(s, (uint16_t)i, &len);
			attr(set_attr[i], p, len);
		}
		printf("\n");
	}
	nftnl_set_free(s);
	return MNL_CB_OK;
}

static const char *const elem_attr[] = {
	[NFTNL_SET_ELEM_FLAGS] = "flags", [NFTNL_SET_ELEM_KEY] = "key",
	[NFTNL_SET_ELEM_VERDICT] = "verdict", [NFTNL_SET_ELEM_CHAIN] = "chain",
	[NFTNL_SET_ELEM_DATA] = "data", [NFTNL_SET_ELEM_TIMEOUT] = "timeout",
	[NFTNL_SET_ELEM_USERDATA] = "udata", [NFTNL_SET_ELEM_OBJREF] = "objref",
	[NFTNL_SET_ELEM_KEY_END] = "keyend",
};

static char **lines;
static size_t nlines, lines_cap;

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int elem_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elems_iter *it;
	struct nftnl_set_elem *e;

	if (nftnl_set_elems_nlmsg_parse(nlh, s) < 0)
		exit(1);
	it = nftnl_set_elems_iter_create(s);
	while ((e = nftnl_set_elems_iter_next(it)) != NULL) {
		char *line;
		size_t sz;
		FILE *f = open_memstream(&line, &sz);

		fprintf(f, "elem %u %s %s", nftnl_set_get_u32(s, NFTNL_SET_FAMILY),
			nftnl_set_get_str(s, NFTNL_SET_TABLE), nftnl_set_get_str(s, NFTNL_SET_NAME));
		for (unsigned i = 0; i < sizeof(elem_attr) / sizeof(elem_attr[0]); i++) {
			uint32_t len;
			const unsigned char *p;

			if (!elem_attr[i] || !nftnl_set_elem_is_set(e, (uint16_t)i))
				continue;
			p = nftnl_set_elem_get(e, (uint16_t)i, &len);
			fprintf(f, " %s=", elem_attr[i]);
			for (uint32_t j = 0; j < len; j++)
				fprintf(f, "%02x", p[j]);
		}
		fclose(f);
		if (nlines == lines_cap) {
			lines_cap = lines_cap ? 2 * lines_cap : 256;
			lines = realloc(lines, lines_cap * sizeof(*lines));
		}
		lines[nlines++] = line;
	}
	nftnl_set_elems_iter_destroy(it);
	nftnl_set_free(s);
	return MNL_CB_OK;
}

static int expr_cb(struct nftnl_expr *e, void *data)
{
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

	printf(" [%s", name);
	for (uint16_t i = NFTNL_EXPR_BASE; i < 32; i++) {
		uint32_t len;
		const void *p;

		if (!nftnl_expr_is_set(e, i))
			continue;
		/* counter packets/bytes (attributes 1 and 2) change with traffic */
		if (strcmp(name, "counter") == 0)
			continue;
		p = nftnl_expr_get(e, i, &len);
		if (p == NULL)
			continue;
		printf(" %u=", i);
		hex(p, len);
	}
	printf("]");
	return 0;
}

static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	if (nftnl_rule_nlmsg_parse(nlh, r) < 0)
		exit(1);
	if (wanted(nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY),
		   nftnl_rule_get_str(r, NFTNL_RULE_TABLE))) {
		printf("rule %u %s %s", nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY),
		       nftnl_rule_get_str(r, NFTNL_RULE_TABLE), nftnl_rule_get_str(r, NFTNL_RULE_CHAIN));
		nftnl_expr_foreach(r, expr_cb, NULL);
		if (nftnl_rule_is_set(r, NFTNL_RULE_USERDATA)) {
			uint32_t len;
			const void *p = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &len);

			attr("udata", p, len);
		}
		printf("\n");
	}
	nftnl_rule_free(r);
	return MNL_CB_OK;
}

int main(int argc, char **argv)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;

	if (argc == 3) {
		want_family = strcmp(argv[1], "ip6") == 0 ? NFPROTO_IPV6 :
			      strcmp(argv[1], "inet") == 0 ? NFPROTO_INET : NFPROTO_IPV4;
		want_table = argv[2];
	} else if (argc != 1) {
		fprintf(stderr, "usage: nftraw [FAMILY TABLE]\n");
		return 2;
	}
	sock = mnl_socket_open(NETLINK_NETFILTER);
	if (sock == NULL || mnl_socket_bind(sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("netlink");
		return 1;
	}
	portid = mnl_socket_get_portid(sock);
	seq = (uint32_t)time(NULL);

	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, NFPROTO_UNSPEC, NLM_F_DUMP, ++seq);
	dump(nlh, table_cb, NULL);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETCHAIN, NFPROTO_UNSPEC, NLM_F_DUMP, ++seq);
	dump(nlh, chain_cb, NULL);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSET, NFPROTO_UNSPEC, NLM_F_DUMP, ++seq);
	dump(nlh, set_cb, NULL);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETRULE, NFPROTO_UNSPEC, NLM_F_DUMP, ++seq);
	dump(nlh, rule_cb, NULL);
	for (int i = 0; i < nsets; i++) {
		struct nftnl_set *s = nftnl_set_alloc();

		nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, (uint16_t)sets[i].family,
					    NLM_F_DUMP, ++seq);
		nftnl_set_set_str(s, NFTNL_SET_NAME, sets[i].name);
		nftnl_set_set_str(s, NFTNL_SET_TABLE, sets[i].table);
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
		nftnl_set_free(s);
		dump(nlh, elem_cb, NULL);
	}
	qsort(lines, nlines, sizeof(*lines), cmpstr);
	for (size_t i = 0; i < nlines; i++) {
		printf("%s\n", lines[i]);
		free(lines[i]);
	}
	free(lines);
	mnl_socket_close(sock);
	return 0;
}
