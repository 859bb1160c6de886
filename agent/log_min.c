// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * agent/log_min.c: a minimal lib/log.h for branch `run` until engineer
 * conf's lib/log.c is merged; the Makefile leaves this file out as soon as
 * lib/log.c exists, so the two never link together. Same line shape:
 *
 *   I1205 21:35:07.123456 svcnft] "synced" key=value ...
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "lib/log.h"

int sn_log_verbosity;

static const char *quote_as(char *buf, size_t n, const char *v, bool quote)
{
	size_t k = 0;

	quote = quote || !*v;

	for (const char *p = v; *p; p++)
		if (*p == ' ' || *p == '"' || *p == '=' || *p == '\\' || (unsigned char)*p < 0x20)
			quote = true;
	if (!quote) {
		snprintf(buf, n, "%s", v);
		return buf;
	}
	if (n < 3) {
		if (n)
			buf[0] = 0;
		return buf;
	}
	buf[k++] = '"';
	for (const char *p = v; *p && k + 4 < n; p++) {
		if (*p == '"' || *p == '\\') {
			buf[k++] = '\\';
			buf[k++] = *p;
		} else if (*p == '\n') {
			buf[k++] = '\\';
			buf[k++] = 'n';
		} else if ((unsigned char)*p < 0x20) {
			buf[k++] = '?';
		} else {
			buf[k++] = *p;
		}
	}
	buf[k++] = '"';
	buf[k] = 0;
	return buf;
}

const char *sn_log_q(char *buf, size_t n, const char *v)
{
	return quote_as(buf, n, v, false);
}

static void head(char letter, const char *msg)
{
	struct timeval tv;
	struct tm tm;
	char q[512];

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	fprintf(stderr, "%c%02d%02d %02d:%02d:%02d.%06ld svcnft] %s", letter, tm.tm_mon + 1,
		tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)tv.tv_usec,
		quote_as(q, sizeof(q), msg, true));	/* klog quotes the message always */
}

static void vlog(char letter, const char *msg, va_list ap)
{
	const char *k, *v;
	char q[1024];

	head(letter, msg);
	while ((k = va_arg(ap, const char *))) {
		v = va_arg(ap, const char *);
		fprintf(stderr, " %s=%s", k, sn_log_q(q, sizeof(q), v ? v : ""));
	}
	fputc('\n', stderr);
}

void sn_log(int v, const char *msg, ...)
{
	va_list ap;

	if (v > sn_log_verbosity)
		return;
	va_start(ap, msg);
	vlog('I', msg, ap);
	va_end(ap);
}

void sn_log_warn(const char *msg, ...)
{
	va_list ap;

	va_start(ap, msg);
	vlog('W', msg, ap);
	va_end(ap);
}

void sn_log_err(const char *msg, ...)
{
	va_list ap;

	va_start(ap, msg);
	vlog('E', msg, ap);
	va_end(ap);
}

void sn_logf(int v, const char *msg, const char *kvfmt, ...)
{
	va_list ap;

	if (v > sn_log_verbosity)
		return;
	head('I', msg);
	fputc(' ', stderr);
	va_start(ap, kvfmt);
	vfprintf(stderr, kvfmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
