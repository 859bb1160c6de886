/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/unit/test_log.c: lib/log.c: the exact lines the agent writes, for
 * ordinary and hostile values (spaces, quotes, '=', newlines, empty,
 * control bytes, invalid UTF-8, very long), levels, sn_logf and sn_log_q.
 * Every line is compared whole: a log pipeline splits on exactly these
 * bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/log.h"

/* 2026-12-05 21:35:07.123456 UTC */
static const struct timespec fixed = { .tv_sec = 1796506507, .tv_nsec = 123456789 };

struct cap {
	char *buf;
	size_t len;
	FILE *f;
	char hdr[64];	/* the header up to the message, with this pid */
};

static int setup(void **state)
{
	struct cap *c = calloc(1, sizeof(*c));

	c->f = open_memstream(&c->buf, &c->len);
	sn_log_set_output(c->f);
	sn_log_set_clock(&fixed);
	sn_log_verbosity = 0;
	/* klog pads the thread id to 7 columns */
	snprintf(c->hdr, sizeof(c->hdr), "%7d svcnft] ", (int)getpid());
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct cap *c = *state;

	sn_log_set_output(NULL);
	sn_log_set_clock(NULL);
	fclose(c->f);
	free(c->buf);
	free(c);
	return 0;
}

/* What was written since the last call, then forgotten. */
static const char *take(struct cap *c)
{
	static char *last;

	fflush(c->f);
	free(last);
	last = strndup(c->buf, c->len);
	rewind(c->f);
	fflush(c->f);
	c->len = 0;
	if (c->buf)
		c->buf[0] = '\0';
	return last;
}

static void expect(struct cap *c, const char *sev_time, const char *rest)
{
	char want[8192];

	snprintf(want, sizeof(want), "%s %s%s\n", sev_time, c->hdr, rest);
	assert_string_equal(take(c), want);
}

static void test_plain(void **state)
{
	struct cap *c = *state;

	sn_log(0, "synced", "services", "10000", "elapsed_ms", "3.2", NULL);
	expect(c, "I1205 21:35:07.123456", "\"synced\" services=10000 elapsed_ms=3.2");
	sn_log_warn("watch ended", "kind", "Service", NULL);
	expect(c, "W1205 21:35:07.123456", "\"watch ended\" kind=Service");
	sn_log_err("sync failed", NULL);
	expect(c, "E1205 21:35:07.123456", "\"sync failed\"");
}

static void test_hostile_values(void **state)
{
	struct cap *c = *state;

	sn_log(0, "x", "a", "two words", "b", "say \"hi\"", "c", "k=v", NULL);
	expect(c, "I1205 21:35:07.123456", "\"x\" a=\"two words\" b=\"say \\\"hi\\\"\" c=\"k=v\"");
	/* a newline never ends the line, nor forges a second one */
	sn_log(0, "x", "node", "a\nI1205 00:00:00.000000 1 svcnft] \"forged\"", NULL);
	expect(c, "I1205 21:35:07.123456",
	       "\"x\" node=\"a\\nI1205 00:00:00.000000 1 svcnft] \\\"forged\\\"\"");
	sn_log(0, "x", "empty", "", "null", NULL, "tab", "\t\r", NULL);
	expect(c, "I1205 21:35:07.123456", "\"x\" empty=\"\" null=\"\" tab=\"\\t\\r\"");
	sn_log(0, "x", "bs", "C:\\dir", "ctl", "\x01\x1b[31m\x7f", NULL);
	expect(c, "I1205 21:35:07.123456", "\"x\" bs=\"C:\\\\dir\" ctl=\"\\x01\\x1b[31m\\x7f\"");
	/* valid UTF-8 kept; invalid bytes and overlong forms escaped */
	sn_log(0, "x", "zone", "z\xc3\xa9ro", "bad", "a\xff\xc0\xaf" "b", NULL);
	expect(c, "I1205 21:35:07.123456", "\"x\" zone=\"z\xc3\xa9ro\" bad=\"a\\xff\\xc0\\xafb\"");
	/* keys are the code's, but still cannot break the line */
	sn_log(0, "multi\nline msg", "a key", "v", "", "w", "k=\n", "z", NULL);
	expect(c, "I1205 21:35:07.123456", "\"multi\\nline msg\" a_key=v _=w k__=z");
}

static void test_long_value(void **state)
{
	struct cap *c = *state;
	size_t n = SN_LOG_VALUE_MAX + 500;
	char *v = malloc(n + 1), *want = malloc(n + 100);

	memset(v, 'x', n);
	v[n] = '\0';
	sn_log(0, "big", "v", v, NULL);
	snprintf(want, n + 100, "\"big\" v=\"%.*s...(+500 bytes)\"", SN_LOG_VALUE_MAX, v);
	expect(c, "I1205 21:35:07.123456", want);
	/* exactly the limit: whole, bare */
	v[SN_LOG_VALUE_MAX] = '\0';
	sn_log(0, "big", "v", v, NULL);
	snprintf(want, n + 100, "\"big\" v=%s", v);
	expect(c, "I1205 21:35:07.123456", want);
	/* a cut never splits a UTF-8 character: e9 (2 bytes) across the limit */
	memset(v, 'y', n);
	v[SN_LOG_VALUE_MAX - 1] = '\xc3';
	v[SN_LOG_VALUE_MAX] = '\xa9';
	v[n] = '\0';
	sn_log(0, "big", "v", v, NULL);
	snprintf(want, n + 100, "\"big\" v=\"%.*s...(+501 bytes)\"", SN_LOG_VALUE_MAX - 1, v);
	expect(c, "I1205 21:35:07.123456", want);
	free(v);
	free(want);
}

static void test_levels(void **state)
{
	struct cap *c = *state;

	sn_log(1, "hidden", NULL);
	sn_logf(2, "hidden", "a=%d", 1);
	assert_string_equal(take(c), "");
	sn_log_verbosity = 2;
	sn_log(2, "shown", NULL);
	expect(c, "I1205 21:35:07.123456", "\"shown\"");
	sn_log(4, "detail", NULL);
	assert_string_equal(take(c), "");
	/* warnings and errors whatever -v says */
	sn_log_verbosity = 0;
	sn_log_warn("w", NULL);
	expect(c, "W1205 21:35:07.123456", "\"w\"");
}

static void test_logf(void **state)
{
	struct cap *c = *state;
	char q[64];

	sn_logf(0, "synced", "elapsed_ms=%.1f services=%u node=%s", 3.25, 10000u,
		sn_log_q(q, sizeof(q), "node a"));
	expect(c, "I1205 21:35:07.123456", "\"synced\" elapsed_ms=3.2 services=10000 node=\"node a\"");
	/* a caller that forgot sn_log_q still writes one line */
	sn_logf(0, "oops", "name=%s", "a\nb");
	expect(c, "I1205 21:35:07.123456", "\"oops\" name=a\\nb");
	sn_logf(0, "nothing", "%s", "");
	expect(c, "I1205 21:35:07.123456", "\"nothing\"");
}

static void test_quote(void **state)
{
	char small[12], big[64];

	assert_string_equal(sn_log_q(big, sizeof(big), "plain"), "plain");
	assert_string_equal(sn_log_q(big, sizeof(big), ""), "\"\"");
	assert_string_equal(sn_log_q(big, sizeof(big), "a b"), "\"a b\"");
	assert_string_equal(sn_log_q(big, sizeof(big), "a\"=\n"), "\"a\\\"=\\n\"");
	/* too long for the buffer: cut inside its quotes, never mid-escape */
	assert_string_equal(sn_log_q(small, sizeof(small), "abcdefghijklmnop"), "\"abcdef...\"");
	assert_string_equal(sn_log_q(small, sizeof(small), "abcde\nfghijk"), "\"abcde...\"");
	assert_string_equal(sn_log_q(small, sizeof(small), "abcdefghijkl"), "\"abcdef...\"");
	assert_string_equal(sn_log_q(small, sizeof(small), "abcdefghijk"), "abcdefghijk");
	assert_string_equal(sn_log_q(small, 4, "abc"), "abc");
	assert_string_equal(sn_log_q(small, 4, "a c"), "\"\"");
	assert_string_equal(sn_log_q(small, 3, "abc"), "\"\"");
}

static void test_diag(void **state)
{
	struct cap *c = *state;
	struct sn_diag d;
	struct sn_loc loc;
	char want[512];

	sn_diag_init(&d);
	loc = (struct sn_loc){ .file = sn_diag_file(&d, "kp.yaml"), .line = 3, .col = 5 };
	sn_diag_add(&d, SN_WARNING, &loc, "KubeProxyConfiguration", "conntrack.udpTimeoutt",
		    "unknown field, ignored");
	sn_diag_add(&d, SN_ERROR, &loc, NULL, NULL, "bad \"x\"");
	sn_diag_add(&d, SN_NOTE, &loc, NULL, NULL, "only at -v 1");
	sn_log_diag("--config", &d);
	snprintf(want, sizeof(want),
		 "W1205 21:35:07.123456 %s\"config problem\" source=--config "
		 "problem=\"kp.yaml:3:5: warning: KubeProxyConfiguration: conntrack.udpTimeoutt: "
		 "unknown field, ignored\"\n"
		 "E1205 21:35:07.123456 %s\"config problem\" source=--config "
		 "problem=\"kp.yaml:3:5: error: bad \\\"x\\\"\"\n", c->hdr, c->hdr);
	assert_string_equal(take(c), want);
	/* notes only at -v 1 */
	sn_log_verbosity = 1;
	sn_diag_free(&d);
	sn_diag_init(&d);
	loc.file = sn_diag_file(&d, "kp.yaml");
	sn_diag_add(&d, SN_NOTE, &loc, NULL, NULL, "only at -v 1");
	sn_log_diag("reload", &d);
	expect(c, "I1205 21:35:07.123456",
	       "\"config problem\" source=reload problem=\"kp.yaml:3:5: note: only at -v 1\"");
	sn_log_verbosity = 0;
	sn_diag_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_plain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_value, setup, teardown),
		cmocka_unit_test_setup_teardown(test_levels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_logf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quote, setup, teardown),
		cmocka_unit_test_setup_teardown(test_diag, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
