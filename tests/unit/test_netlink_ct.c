// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tests/unit/test_netlink_ct.c: the rule netlink/ct.c applies to each
 * conntrack entry, without a kernel: an entry to a frontend to clean is
 * stale unless its reply source is one of the endpoints kept (address and
 * port); an entry to a frontend's own address is never taken for a
 * NodePort's of the same port; an address of an owned range that no
 * frontend has is stale (a deleted Service); anything else is left alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <netinet/in.h>

#include "netlink/nlk.h"

static struct sn_addr A(const char *s)
{
	struct sn_addr a;

	assert_int_equal(sn_prefix_parse(&a, s, false), 0);
	return a;
}

static bool stale(const struct nlk_ct_match *x, uint8_t proto, const char *dst, uint16_t dport,
		  const char *rsrc, uint16_t sport)
{
	struct sn_addr d = A(dst), r = A(rsrc);

	return nlk_ct_match_stale(x, d.family, proto, &d, dport, &r, sport);
}

static void test_match(void **state)
{
	const struct nlk_ct_ep dns_eps[] = {
		{ A("198.19.1.53"), 5353 },
		{ A("198.19.1.54"), 5353 },
	};
	const struct nlk_ct_ep other_eps[] = { { A("198.19.2.1"), 30053 } };
	const struct nlk_ct_ep v6_eps[] = { { A("2001:db8:1::53"), 53 } };
	struct nlk_ct_frontend fs[] = {
		/* ClusterIP 198.18.0.53:53/udp and its NodePort 30053 */
		{ .family = SN_AF_INET, .proto = IPPROTO_UDP, .addr = A("198.18.0.53"), .port = 53,
		  .clean = true, .keep = dns_eps, .nkeep = 2 },
		{ .family = SN_AF_INET, .proto = IPPROTO_UDP, .any_addr = true, .port = 30053,
		  .clean = true, .keep = dns_eps, .nkeep = 2 },
		/* an unchanged ClusterIP whose port is the NodePort's number */
		{ .family = SN_AF_INET, .proto = IPPROTO_UDP, .addr = A("198.18.0.99"), .port = 30053,
		  .clean = false, .keep = other_eps, .nkeep = 1 },
		{ .family = SN_AF_INET6, .proto = IPPROTO_UDP, .addr = A("2001:db8::53"), .port = 53,
		  .clean = true, .keep = v6_eps, .nkeep = 1 },
	};
	const struct nlk_ct_owned owned[] = {
		{ .proto = IPPROTO_UDP, .prefix = A("198.18.0.0/16") },
	};
	struct nlk_ct_match *x = nlk_ct_match_new(fs, SN_ARRAY_SIZE(fs), owned, 1);

	/* DNATed to a current endpoint: kept; to a removed one, or to the
	 * right address on another port: stale */
	assert_false(stale(x, IPPROTO_UDP, "198.18.0.53", 53, "198.19.1.54", 5353));
	assert_true(stale(x, IPPROTO_UDP, "198.18.0.53", 53, "198.19.1.55", 5353));
	assert_true(stale(x, IPPROTO_UDP, "198.18.0.53", 53, "198.19.1.54", 53));
	/* the NodePort on any node address; answered by the node itself
	 * (the flow predates the NodePort): stale */
	assert_false(stale(x, IPPROTO_UDP, "192.0.2.1", 30053, "198.19.1.53", 5353));
	assert_true(stale(x, IPPROTO_UDP, "192.0.2.1", 30053, "192.0.2.1", 30053));
	/* the unchanged ClusterIP on port 30053 is its own, never the NodePort's */
	assert_false(stale(x, IPPROTO_UDP, "198.18.0.99", 30053, "198.19.9.9", 30053));
	/* TCP is not UDP: left alone, even in the owned range */
	assert_false(stale(x, IPPROTO_TCP, "198.18.0.53", 53, "198.19.1.55", 5353));
	assert_false(stale(x, IPPROTO_TCP, "198.18.3.8", 53, "198.19.1.1", 5353));
	/* a ClusterIP no Service has any more, or a port it lost: stale */
	assert_true(stale(x, IPPROTO_UDP, "198.18.3.8", 53, "198.19.1.1", 5353));
	assert_true(stale(x, IPPROTO_UDP, "198.18.0.53", 54, "198.19.1.53", 5353));
	/* outside every frontend and range: not ours */
	assert_false(stale(x, IPPROTO_UDP, "203.0.113.9", 53, "203.0.113.9", 53));
	/* IPv6 */
	assert_false(stale(x, IPPROTO_UDP, "2001:db8::53", 53, "2001:db8:1::53", 53));
	assert_true(stale(x, IPPROTO_UDP, "2001:db8::53", 53, "2001:db8:1::54", 53));
	nlk_ct_match_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
