/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/unit/test_sn.c: lib/sn.c: sn_buf, addresses and prefixes, hashing,
 * protocol names and diagnostics.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/sn.h"

/* ---- allocation and sn_buf ---- */

static void test_alloc(void **state)
{
	char *p = sn_malloc(0);
	char *s = sn_strndup("abcdef", 3);
	char *f = sn_asprintf("%s-%d", "x", 42);
	int *v = NULL;
	size_t cap = 0;

	assert_non_null(p);
	assert_string_equal(s, "abc");
	assert_string_equal(f, "x-42");
	free(p);
	free(s);
	free(f);

	sn_grow(&v, &cap, 3, sizeof(*v));
	assert_true(cap >= 3);
	v[2] = 7;
	sn_grow(&v, &cap, 1000, sizeof(*v));
	assert_true(cap >= 1000);
	assert_int_equal(v[2], 7);
	free(v);
}

static void test_buf(void **state)
{
	struct sn_buf b;
	char big[300];
	char *s;

	sn_buf_init(&b);
	s = sn_buf_steal(&b);
	assert_string_equal(s, "");	/* never NULL */
	free(s);

	sn_buf_add(&b, "table");
	sn_buf_addc(&b, ' ');
	sn_buf_addn(&b, "ip6xxx", 3);
	sn_buf_printf(&b, " %s %u", "svcnft", 7u);
	assert_string_equal(b.s, "table ip6 svcnft 7");
	assert_int_equal(b.len, strlen("table ip6 svcnft 7"));

	/* longer than the first vsnprintf attempt */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	sn_buf_reset(&b);
	assert_string_equal(b.s, "");
	sn_buf_printf(&b, "<%s>", big);
	assert_int_equal(b.len, 301);
	assert_int_equal(b.s[0], '<');
	assert_int_equal(b.s[300], '>');

	s = sn_buf_steal(&b);
	assert_null(b.s);
	assert_int_equal(b.len, 0);
	free(s);
	sn_buf_free(&b);
}

/* ---- addresses ---- */

static void test_addr_parse(void **state)
{
	static const char *const bad[] = {
		"", " 1.2.3.4", "1.2.3.4 ", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4",
		"1.2.3.4/32", "a.b.c.d", "2001:db8::1::2", "2001:db8:: ", "[2001:db8::1]",
		"gggg::1", "1.2.3.-4",
	};
	struct sn_addr a;
	size_t i;

	assert_int_equal(sn_addr_parse(&a, "198.18.0.1"), 0);
	assert_int_equal(a.family, SN_AF_INET);
	assert_int_equal(a.plen, 32);
	assert_memory_equal(a.a, ((uint8_t[]){ 198, 18, 0, 1 }), 4);
	for (i = 4; i < 16; i++)
		assert_int_equal(a.a[i], 0);

	assert_int_equal(sn_addr_parse(&a, "2001:db8::1"), 0);
	assert_int_equal(a.family, SN_AF_INET6);
	assert_int_equal(a.plen, 128);
	assert_memory_equal(a.a, ((uint8_t[]){ 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 }),
			    16);

	for (i = 0; i < SN_ARRAY_SIZE(bad); i++) {
		a.family = 99;
		assert_int_equal(sn_addr_parse(&a, bad[i]), -1);
		assert_int_equal(a.family, 99);	/* untouched on error */
	}
	assert_int_equal(sn_addr_parse(&a, NULL), -1);
}

static void test_prefix_parse(void **state)
{
	static const char *const bad[] = {
		"1.2.3.4/33", "1.2.3.4/", "/24", "1.2.3.0/-1", "1.2.3.0/+24", "1.2.3.0/024",
		"1.2.3.0/24 ", " 1.2.3.0/24", "1.2.3.0 /24", "1.2.3.0/ 24", "1.2.3.0/24/1",
		"1.2.3.0/2x", "2001:db8::/129", "2001:db8::/", "1.2.3.0/1000", "", "/",
	};
	struct sn_addr a;
	size_t i;

	assert_int_equal(sn_prefix_parse(&a, "198.18.0.0/15", false), 0);
	assert_int_equal(a.family, SN_AF_INET);
	assert_int_equal(a.plen, 15);
	assert_memory_equal(a.a, ((uint8_t[]){ 198, 18, 0, 0 }), 4);

	/* a bare address is a host prefix */
	assert_int_equal(sn_prefix_parse(&a, "10.0.0.1", false), 0);
	assert_int_equal(a.plen, 32);
	assert_int_equal(sn_prefix_parse(&a, "2001:db8::1", false), 0);
	assert_int_equal(a.plen, 128);

	assert_int_equal(sn_prefix_parse(&a, "0.0.0.0/0", false), 0);
	assert_int_equal(a.plen, 0);
	assert_int_equal(sn_prefix_parse(&a, "::/0", false), 0);
	assert_int_equal(a.family, SN_AF_INET6);
	assert_int_equal(sn_prefix_parse(&a, "2001:db8:1::/48", false), 0);
	assert_int_equal(a.plen, 48);
	assert_int_equal(sn_prefix_parse(&a, "1.2.3.4/32", false), 0);

	/* host bits: refused unless allowed, kept as given when allowed */
	assert_int_equal(sn_prefix_parse(&a, "198.18.0.1/16", false), -1);
	assert_int_equal(sn_prefix_parse(&a, "198.19.0.0/15", false), -1);	/* bit 15 is set */
	assert_int_equal(sn_prefix_parse(&a, "1.0.0.0/0", false), -1);
	assert_int_equal(sn_prefix_parse(&a, "2001:db8::1/64", false), -1);
	assert_int_equal(sn_prefix_parse(&a, "198.18.0.1/16", true), 0);
	assert_int_equal(a.plen, 16);
	assert_int_equal(a.a[3], 1);

	for (i = 0; i < SN_ARRAY_SIZE(bad); i++)
		assert_int_equal(sn_prefix_parse(&a, bad[i], true), -1);
	assert_int_equal(sn_prefix_parse(&a, NULL, false), -1);
}

/* ParseIPSloppy / ParseCIDRSloppy: leading zeros are decimal, never octal. */
static void test_addr_parse_sloppy(void **state)
{
	static const struct {
		const char *in, *out;
	} good[] = {
		{ "198.18.0.010", "198.18.0.10" },
		{ "010.001.000.255", "10.1.0.255" },
		{ "0000000001.2.3.4", "1.2.3.4" },
		{ "1.2.3.0", "1.2.3.0" },
		{ "2001:0db8::0001", "2001:db8::1" },
		{ "::ffff:010.0.0.1", "::ffff:10.0.0.1" },
		{ "2001:db8::", "2001:db8::" },
		{ "00000000001::", "1::" },	/* Go 1.16 reads any number of hex zeros */
	};
	static const char *const bad[] = {
		"", "1.2.3", "1.2.3.4.5", "0256.1.1.1", "1.2.3.4 ", "1..2.3", "1.2.3.4/32",
		"a.b.c.d", "2001:db8::1::2", "1.2.3.-4", ".1.2.3", "12345::",
	};
	char buf[SN_ADDR_STRLEN];
	struct sn_addr a;
	size_t i;

	for (i = 0; i < SN_ARRAY_SIZE(good); i++) {
		assert_int_equal(sn_addr_parse_sloppy(&a, good[i].in), 0);
		assert_string_equal(sn_addr_str(&a, buf), good[i].out);
	}
	for (i = 0; i < SN_ARRAY_SIZE(bad); i++)
		assert_int_equal(sn_addr_parse_sloppy(&a, bad[i]), -1);
	assert_int_equal(sn_addr_parse_sloppy(&a, NULL), -1);

	assert_int_equal(sn_prefix_parse_sloppy(&a, "010.1.2.0/024"), 0);
	assert_string_equal(sn_prefix_str(&a, buf), "10.1.2.0/24");
	assert_int_equal(sn_prefix_parse_sloppy(&a, "2001:0db8::/032"), 0);
	assert_string_equal(sn_prefix_str(&a, buf), "2001:db8::/32");
	assert_int_equal(sn_prefix_parse_sloppy(&a, "10.1.2.0/33"), -1);
	assert_int_equal(sn_prefix_parse_sloppy(&a, "10.1.2.0/"), -1);
	/* the strict parser still refuses them (command-line flags) */
	assert_int_equal(sn_prefix_parse(&a, "010.1.2.0/24", true), -1);
}

static void test_addr_str(void **state)
{
	char buf[SN_ADDR_STRLEN];
	struct sn_addr a;

	sn_prefix_parse(&a, "198.18.0.0/16", false);
	assert_string_equal(sn_addr_str(&a, buf), "198.18.0.0");
	assert_string_equal(sn_prefix_str(&a, buf), "198.18.0.0/16");
	sn_prefix_parse(&a, "198.18.0.7", false);
	assert_string_equal(sn_prefix_str(&a, buf), "198.18.0.7");
	sn_prefix_parse(&a, "2001:0db8:0000::/64", false);
	assert_string_equal(sn_prefix_str(&a, buf), "2001:db8::/64");
	sn_prefix_parse(&a, "2001:db8::10", false);
	assert_string_equal(sn_prefix_str(&a, buf), "2001:db8::10");
	sn_prefix_parse(&a, "0.0.0.0/0", false);
	assert_string_equal(sn_prefix_str(&a, buf), "0.0.0.0/0");
	/* the longest output fits */
	sn_prefix_parse(&a, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0/124", false);
	assert_string_equal(sn_prefix_str(&a, buf), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0/124");
}

static void test_addr_cmp_contains(void **state)
{
	struct sn_addr a, b, p, h;

	sn_addr_parse(&a, "10.0.0.2");
	sn_addr_parse(&b, "10.0.0.10");
	assert_true(sn_addr_cmp(&a, &b) < 0);	/* by bytes, not by text */
	assert_true(sn_addr_cmp(&b, &a) > 0);
	assert_true(sn_addr_eq(&a, &a));
	sn_prefix_parse(&b, "10.0.0.2/31", true);
	assert_true(sn_addr_cmp(&b, &a) < 0);	/* same bytes: shorter prefix first */
	assert_false(sn_addr_eq(&a, &b));
	sn_addr_parse(&b, "::1");
	assert_true(sn_addr_cmp(&a, &b) < 0);	/* IPv4 before IPv6 */

	sn_prefix_parse(&p, "198.18.0.0/15", false);
	sn_addr_parse(&h, "198.19.255.255");
	assert_true(sn_prefix_contains(&p, &h));
	sn_addr_parse(&h, "198.20.0.0");
	assert_false(sn_prefix_contains(&p, &h));
	sn_addr_parse(&h, "198.17.255.255");
	assert_false(sn_prefix_contains(&p, &h));

	sn_prefix_parse(&p, "10.8.0.0/13", false);
	sn_addr_parse(&h, "10.15.255.255");
	assert_true(sn_prefix_contains(&p, &h));
	sn_addr_parse(&h, "10.16.0.0");
	assert_false(sn_prefix_contains(&p, &h));

	sn_prefix_parse(&p, "0.0.0.0/0", false);
	assert_true(sn_prefix_contains(&p, &h));
	sn_addr_parse(&h, "::ffff:10.16.0.0");	/* other family */
	assert_false(sn_prefix_contains(&p, &h));

	sn_prefix_parse(&p, "2001:db8::/32", false);
	sn_addr_parse(&h, "2001:db8:ffff::1");
	assert_true(sn_prefix_contains(&p, &h));
	sn_addr_parse(&h, "2001:db9::1");
	assert_false(sn_prefix_contains(&p, &h));
	sn_addr_parse(&p, "2001:db9::1");	/* host prefix: itself only */
	assert_true(sn_prefix_contains(&p, &h));
}

/* ---- hashing and protocols ---- */

static void test_hash(void **state)
{
	/* Published FNV-1a 64-bit test vectors. */
	assert_true(sn_hash_str("", SN_HASH_SEED) == 0xcbf29ce484222325ULL);
	assert_true(sn_hash_str("a", SN_HASH_SEED) == 0xaf63dc4c8601ec8cULL);
	assert_true(sn_hash_str("foobar", SN_HASH_SEED) == 0x85944171f73967e8ULL);
	assert_true(sn_hash64("foobar", 6, SN_HASH_SEED) == 0x85944171f73967e8ULL);
	/* chaining: hashing in two steps equals hashing at once */
	assert_true(sn_hash64("bar", 3, sn_hash64("foo", 3, SN_HASH_SEED)) ==
		    sn_hash_str("foobar", SN_HASH_SEED));
}

static void test_proto(void **state)
{
	assert_int_equal(sn_proto_parse("TCP"), 6);
	assert_int_equal(sn_proto_parse("UDP"), 17);
	assert_int_equal(sn_proto_parse("SCTP"), 132);
	/* Kubernetes is case-sensitive */
	assert_int_equal(sn_proto_parse("tcp"), 0);
	assert_int_equal(sn_proto_parse("Tcp"), 0);
	assert_int_equal(sn_proto_parse("TCP "), 0);
	assert_int_equal(sn_proto_parse(""), 0);
	assert_int_equal(sn_proto_parse("ICMP"), 0);
	assert_int_equal(sn_proto_parse(NULL), 0);

	assert_string_equal(sn_proto_name(6), "tcp");
	assert_string_equal(sn_proto_name(17), "udp");
	assert_string_equal(sn_proto_name(132), "sctp");
	assert_null(sn_proto_name(1));
}

/* ---- diagnostics ---- */

static char *fmt_rec(const struct sn_diag_rec *r)
{
	struct sn_buf b;

	sn_buf_init(&b);
	sn_diag_format(r, &b);
	return sn_buf_steal(&b);
}

static void test_diag_format(void **state)
{
	static const struct {
		struct sn_loc loc;
		enum sn_severity sev;
		const char *object, *field, *want;
	} cases[] = {
		{ { "services.yaml", 14, 7, 2 }, SN_ERROR, "Service default/web", "spec.ports[1].port",
		  "services.yaml:14:7: error: Service default/web (document 2): spec.ports[1].port: M" },
		{ { "a.yaml", 3, 1, 2 }, SN_ERROR, NULL, NULL, "a.yaml:3:1: error: document 2: M" },
		{ { "a.yaml", 3, 1, 2 }, SN_WARNING, NULL, "spec", "a.yaml:3:1: warning: document 2: spec: M" },
		{ { "a.yaml", 3, 0, 0 }, SN_NOTE, "Node n1", NULL, "a.yaml:3: note: Node n1: M" },
		{ { "a.yaml", 0, 0, 4 }, SN_ERROR, "Service x/y", NULL, "a.yaml: error: Service x/y (document 4): M" },
		{ { "a.yaml", 0, 0, 0 }, SN_ERROR, NULL, NULL, "a.yaml: error: M" },
		{ { NULL, 5, 5, 0 }, SN_ERROR, "Service x/y", "spec.type", "svcnft: error: Service x/y: spec.type: M" },
		{ { NULL, 0, 0, 0 }, SN_WARNING, NULL, NULL, "svcnft: warning: M" },
		{ { NULL, 0, 0, 3 }, SN_ERROR, NULL, NULL, "svcnft: error: document 3: M" },
	};
	struct sn_diag d;
	size_t i;

	sn_diag_init(&d);
	for (i = 0; i < SN_ARRAY_SIZE(cases); i++) {
		char *s;

		sn_diag_add(&d, cases[i].sev, &cases[i].loc, cases[i].object, cases[i].field, "%s", "M");
		s = fmt_rec(&d.recs[i]);
		assert_string_equal(s, cases[i].want);
		free(s);
	}
	assert_int_equal(d.n, SN_ARRAY_SIZE(cases));
	assert_int_equal(d.errors, 6);
	assert_int_equal(d.warnings, 2);
	sn_diag_free(&d);
	assert_int_equal(d.n, 0);
}

static void test_diag_records(void **state)
{
	char name[32] = "first.yaml";
	struct sn_loc loc = { NULL, 2, 3, 1 };
	struct sn_diag d;
	const char *f1, *f2;
	char *out = NULL;
	size_t outlen = 0;
	FILE *mem;

	sn_diag_init(&d);
	f1 = sn_diag_file(&d, name);
	f2 = sn_diag_file(&d, "first.yaml");
	assert_ptr_equal(f1, f2);	/* interned once */
	assert_int_equal(d.nfiles, 1);

	/* The record keeps the file name even if the caller's buffer changes. */
	loc.file = name;
	sn_diag_add(&d, SN_ERROR, &loc, NULL, NULL, "port %d is not a port (1-65535)", 70000);
	strcpy(name, "other.yaml");
	sn_diag_add(&d, SN_WARNING, NULL, "Service a/b", NULL, "second");
	assert_string_equal(d.recs[0].loc.file, "first.yaml");
	assert_ptr_equal(d.recs[0].loc.file, f1);
	assert_null(d.recs[1].loc.file);
	assert_int_equal(d.nfiles, 1);

	mem = open_memstream(&out, &outlen);
	assert_non_null(mem);
	sn_diag_print(&d, mem);
	fclose(mem);
	assert_string_equal(out, "first.yaml:2:3: error: document 1: port 70000 is not a port (1-65535)\n"
				 "svcnft: warning: Service a/b: second\n");
	free(out);
	sn_diag_free(&d);
}

static void test_diag_echo(void **state)
{
	struct sn_loc loc = { "x.yaml", 1, 2, 0 };
	struct sn_diag d;
	char *out = NULL;
	size_t outlen = 0;
	FILE *mem = open_memstream(&out, &outlen);

	assert_non_null(mem);
	sn_diag_init(&d);
	d.echo = mem;
	sn_diag_add(&d, SN_NOTE, &loc, "Service a/b", "spec", "%s", "first");
	fflush(mem);
	/* printed as soon as it is added */
	assert_string_equal(out, "x.yaml:1:2: note: Service a/b: spec: first\n");
	sn_diag_add(&d, SN_ERROR, &loc, NULL, "", "second");
	fclose(mem);
	assert_string_equal(out, "x.yaml:1:2: note: Service a/b: spec: first\n"
				 "x.yaml:1:2: error: second\n");
	assert_int_equal(d.errors, 1);
	assert_int_equal(d.warnings, 0);
	free(out);
	sn_diag_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc),
		cmocka_unit_test(test_buf),
		cmocka_unit_test(test_addr_parse),
		cmocka_unit_test(test_prefix_parse),
		cmocka_unit_test(test_addr_parse_sloppy),
		cmocka_unit_test(test_addr_str),
		cmocka_unit_test(test_addr_cmp_contains),
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_proto),
		cmocka_unit_test(test_diag_format),
		cmocka_unit_test(test_diag_records),
		cmocka_unit_test(test_diag_echo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
