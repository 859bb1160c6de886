// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lib/log.c: klog-shaped key=value lines (lib/log.h). Every line is built
 * whole in memory and written at once; nothing a value holds can end it.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"

int sn_log_verbosity;

static FILE *log_out;
static bool clock_fixed;
static struct timespec clock_value;

void sn_log_set_output(FILE *f)
{
	log_out = f;
}

void sn_log_set_clock(const struct timespec *fixed)
{
	clock_fixed = fixed != NULL;
	if (fixed)
		clock_value = *fixed;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. Overlong
 * forms, surrogates and values past U+10FFFF are invalid, as for Go. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0], need, cp, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		need = 1, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		need = 2, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		need = 3, cp = c & 0x07;
	else
		return 0;
	if (n < need + 1)
		return 0;
	for (i = 1; i <= need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((need == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (need == 3 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return need + 1;
}

static bool bare_ok(const char *v, size_t len)
{
	size_t i;

	if (!len)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c <= ' ' || c >= 0x7f || c == '"' || c == '=' || c == '\\')
			return false;
	}
	return true;
}

/* The escaped form of the character at v (n bytes left) into out (>= 8
 * bytes); returns the input bytes it took. quotes: escape '"' and '\\'. */
static size_t escape_one(const char *v, size_t n, char *out, bool quotes)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c = (unsigned char)v[0];
	size_t u;

	if (quotes && (c == '"' || c == '\\')) {
		out[0] = '\\', out[1] = (char)c, out[2] = '\0';
		return 1;
	}
	if (c == '\n' || c == '\t' || c == '\r') {
		out[0] = '\\', out[1] = c == '\n' ? 'n' : c == '\t' ? 't' : 'r', out[2] = '\0';
		return 1;
	}
	if (c >= 0x20 && c < 0x7f) {
		out[0] = (char)c, out[1] = '\0';
		return 1;
	}
	u = c >= 0x80 ? utf8_len((const unsigned char *)v, n) : 0;
	if (u) {
		memcpy(out, v, u);
		out[u] = '\0';
		return u;
	}
	out[0] = '\\', out[1] = 'x', out[2] = hex[c >> 4], out[3] = hex[c & 15], out[4] = '\0';
	return 1;
}

/*
 * Append v (len bytes) to b: bare when it needs no quotes, else quoted and
 * escaped. Input past SN_LOG_VALUE_MAX is cut and counted. out_max (0: no
 * bound) bounds what is appended; a value that would pass it is cut at a
 * whole escape and closed with ..." so that it stays one quoted value.
 */
static void put_value(struct sn_buf *b, const char *v, size_t len, size_t out_max)
{
	size_t take = len > SN_LOG_VALUE_MAX ? SN_LOG_VALUE_MAX : len, i = 0, start = b->len;
	char piece[8];

	if (take == len && bare_ok(v, len) && (!out_max || len <= out_max)) {
		sn_buf_addn(b, v, len);
		return;
	}
	/* never split a UTF-8 sequence at the cut: it would show as \x bytes */
	while (take < len && take > 0 && ((unsigned char)v[take] & 0xc0) == 0x80)
		take--;
	sn_buf_addc(b, '"');
	while (i < take) {
		size_t used = escape_one(v + i, take - i, piece, true), pl = strlen(piece);

		/* room for this piece plus the closing ..." */
		if (out_max && b->len - start + pl + 4 > out_max) {
			sn_buf_add(b, "...\"");
			return;
		}
		sn_buf_add(b, piece);
		i += used;
	}
	if (take < len)
		sn_buf_printf(b, "...(+%zu bytes)", len - take);
	sn_buf_addc(b, '"');
}

/* Keys come from the code, but a line must split into pairs whatever they
 * hold: anything but [A-Za-z0-9_.-] becomes '_'. */
static void put_key(struct sn_buf *b, const char *k)
{
	if (!k || !*k) {
		sn_buf_addc(b, '_');
		return;
	}
	for (; *k; k++) {
		char c = *k;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  c == '_' || c == '.' || c == '-';

		sn_buf_addc(b, ok ? c : '_');
	}
}

static void header(struct sn_buf *b, char sev, const char *msg)
{
	struct timespec ts;
	struct tm tm;

	if (clock_fixed)
		ts = clock_value;
	else
		clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	sn_buf_printf(b, "%c%02d%02d %02d:%02d:%02d.%06ld %7d svcnft] ", sev, tm.tm_mon + 1,
		      tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000,
		      (int)getpid());
	/* the message is quoted always, as klog's structured lines have it */
	if (!msg)
		msg = "";
	sn_buf_addc(b, '"');
	for (size_t i = 0, n = strlen(msg); i < n;) {
		char piece[8];

		i += escape_one(msg + i, n - i, piece, true);
		sn_buf_add(b, piece);
	}
	sn_buf_addc(b, '"');
}

static void emit(struct sn_buf *b)
{
	FILE *f = log_out ? log_out : stderr;

	sn_buf_addc(b, '\n');
	fwrite(b->s, 1, b->len, f);
	fflush(f);
}

static void vlog(char sev, const char *msg, va_list ap)
{
	struct sn_buf b;
	const char *k, *v;

	sn_buf_init(&b);
	header(&b, sev, msg);
	while ((k = va_arg(ap, const char *))) {
		v = va_arg(ap, const char *);
		sn_buf_addc(&b, ' ');
		put_key(&b, k);
		sn_buf_addc(&b, '=');
		put_value(&b, v ? v : "", v ? strlen(v) : 0, 0);
	}
	emit(&b);
	sn_buf_free(&b);
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
	struct sn_buf b, kv;
	va_list ap;
	size_t i;

	if (v > sn_log_verbosity)
		return;
	sn_buf_init(&b);
	sn_buf_init(&kv);
	header(&b, 'I', msg);
	va_start(ap, kvfmt);
	sn_buf_vprintf(&kv, kvfmt, ap);
	va_end(ap);
	if (kv.len)
		sn_buf_addc(&b, ' ');
	/* the caller quoted the values; only what could end the line is escaped */
	for (i = 0; i < kv.len;) {
		char piece[8];

		i += escape_one(kv.s + i, kv.len - i, piece, false);
		sn_buf_add(&b, piece);
	}
	emit(&b);
	sn_buf_free(&kv);
	sn_buf_free(&b);
}

const char *sn_log_q(char *buf, size_t n, const char *v)
{
	struct sn_buf b;

	if (!n)
		return buf;
	/* too small for a cut quoted value ("..." and its quotes): a bare
	 * value that fits, or else an empty quoted one */
	if (n < 8) {
		if (v && bare_ok(v, strlen(v)) && strlen(v) < n)
			memcpy(buf, v, strlen(v) + 1);
		else
			snprintf(buf, n, "\"\"");
		return buf;
	}
	sn_buf_init(&b);
	put_value(&b, v ? v : "", v ? strlen(v) : 0, n - 1);
	memcpy(buf, b.s, b.len + 1);
	sn_buf_free(&b);
	return buf;
}

void sn_log_diag(const char *what, const struct sn_diag *d)
{
	struct sn_buf line;
	size_t i;

	sn_buf_init(&line);
	for (i = 0; i < d->n; i++) {
		const struct sn_diag_rec *r = &d->recs[i];

		sn_buf_reset(&line);
		sn_diag_format(r, &line);
		if (r->sev == SN_ERROR)
			sn_log_err("config problem", "source", what, "problem", line.s, NULL);
		else if (r->sev == SN_WARNING)
			sn_log_warn("config problem", "source", what, "problem", line.s, NULL);
		else
			sn_log(1, "config problem", "source", what, "problem", line.s, NULL);
	}
	sn_buf_free(&line);
}
