// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * netlink/sock.c: the NETLINK_NETFILTER socket, requests and dumps, and the
 * ruleset generation id.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>
#include <libnftnl/common.h>
#include <libnftnl/gen.h>

#include "netlink/sock_internal.h"

/* Dumps are read with a 32 KiB buffer: netlink sizes a dump's messages by
 * the reader's last buffer, up to 32 KiB (netlink_recvmsg), so this is
 * both the fewest system calls and never a truncated message. */
#define NLK_RECV_BUF 32768

struct nlk_sock *nlk_open(struct sn_buf *why)
{
	struct nlk_sock *s = sn_calloc(1, sizeof(*s));
	int on = 1;

	s->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!s->nl) {
		if (why)
			sn_buf_printf(why, "netlink socket: %s", strerror(errno));
		goto err_open;
	}
	if (mnl_socket_bind(s->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		if (why)
			sn_buf_printf(why, "netlink bind: %s", strerror(errno));
		goto err_bind;
	}
	/* Extended ACKs carry the kernel's reason and the offending attribute;
	 * capped ACKs do not echo our (possibly 64 KiB) message back. Both are
	 * best effort: older kernels simply send plain errors. */
	mnl_socket_setsockopt(s->nl, NETLINK_EXT_ACK, &on, sizeof(on));
	mnl_socket_setsockopt(s->nl, NETLINK_CAP_ACK, &on, sizeof(on));
	s->portid = mnl_socket_get_portid(s->nl);
	s->seq = (uint32_t)time(NULL);
	s->buf = sn_malloc(NLK_RECV_BUF);
	s->bufsz = NLK_RECV_BUF;
	return s;

err_bind:
	mnl_socket_close(s->nl);
err_open:
	free(s);
	return NULL;
}

void nlk_close(struct nlk_sock *s)
{
	if (!s)
		return;
	mnl_socket_close(s->nl);
	free(s->buf);
	free(s);
}

uint32_t nlk_next_seq(struct nlk_sock *s)
{
	return ++s->seq;
}

/* After a request failed half-way (an interrupted or refused dump), read
 * and drop the rest of its answers so that the next request starts clean. */
static void drain_request(struct nlk_sock *s, uint32_t seq)
{
	int fd = mnl_socket_get_fd(s->nl);

	for (;;) {
		ssize_t n = recv(fd, s->buf, s->bufsz, MSG_DONTWAIT);
		int len = (int)n;

		if (n <= 0)
			return;
		for (const struct nlmsghdr *nlh = (const struct nlmsghdr *)s->buf;
		     mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len))
			if (nlh->nlmsg_seq == seq &&
			    (nlh->nlmsg_type == NLMSG_DONE || nlh->nlmsg_type == NLMSG_ERROR))
				return;
	}
}

int nlk_request(struct nlk_sock *s, struct nlmsghdr *nlh, nlk_cb cb, void *data,
		struct sn_buf *why)
{
	uint32_t seq = nlh->nlmsg_seq;
	int ret;

	if (mnl_socket_sendto(s->nl, nlh, nlh->nlmsg_len) < 0) {
		if (why)
			sn_buf_printf(why, "netlink send: %s", strerror(errno));
		return -1;
	}
	do {
		ret = (int)mnl_socket_recvfrom(s->nl, s->buf, s->bufsz);
		if (ret < 0)
			break;
		ret = mnl_cb_run(s->buf, (size_t)ret, nlh->nlmsg_seq, s->portid, cb, data);
	} while (ret > 0);
	if (ret < 0) {
		int err = errno;

		if (err == ENOENT)
			return 0;	/* nothing of that name: an empty answer */
		if (err != ESRCH)
			drain_request(s, seq);
		errno = err;
		if (why)
			sn_buf_printf(why, "netlink request: %s", strerror(err));
		return -1;
	}
	return 0;
}

static int gen_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_gen *gen = nftnl_gen_alloc();

	if (!gen)
		return MNL_CB_ERROR;
	if (nftnl_gen_nlmsg_parse(nlh, gen) < 0) {
		nftnl_gen_free(gen);
		return MNL_CB_ERROR;
	}
	*(uint32_t *)data = nftnl_gen_get_u32(gen, NFTNL_GEN_ID);
	nftnl_gen_free(gen);
	return MNL_CB_OK;
}

/* nft list ruleset's first question: which generation is this? */
int nlk_genid(struct nlk_sock *s, uint32_t *genid, struct sn_buf *why)
{
	char buf[256];	/* a bare header: the request has no attributes */
	struct nlmsghdr *nlh;

	/* NLM_F_ACK so that the ACK after the answer ends the request */
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETGEN, NFPROTO_UNSPEC, NLM_F_ACK,
				    nlk_next_seq(s));
	*genid = 0;
	return nlk_request(s, nlh, gen_cb, genid, why);
}
