/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * netlink/sock_internal.h: the socket's insides, for batch.c and read.c.
 */
#ifndef SVCNFT_NLK_SOCK_INTERNAL_H
#define SVCNFT_NLK_SOCK_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "netlink/internal.h"

struct mnl_socket;

struct nlk_sock {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	char *buf;	/* receive buffer, NLK_RECV_BUF bytes */
	size_t bufsz;
};

#endif
