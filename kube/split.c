// SPDX-License-Identifier: GPL-2.0-or-later
/* kube/split.c: complete JSON objects out of a chunked watch stream. */
#include <stdio.h>
#include <string.h>

#include "kube/split.h"

void kube_split_init(struct kube_split *s, size_t max)
{
	memset(s, 0, sizeof(*s));
	sn_buf_init(&s->buf);
	s->max = max ? max : KUBE_SPLIT_MAX;
}

void kube_split_reset(struct kube_split *s)
{
	sn_buf_reset(&s->buf);
	s->depth = 0;
	s->in_str = s->esc = false;
	s->err[0] = '\0';
}

void kube_split_free(struct kube_split *s)
{
	sn_buf_free(&s->buf);
}

static int too_large(struct kube_split *s)
{
	snprintf(s->err, sizeof(s->err), "watch event larger than %zu bytes", s->max);
	return -1;
}

int kube_split_feed(struct kube_split *s, const char *data, size_t len, kube_split_fn *fn,
		    void *ctx)
{
	size_t i = 0, start;
	int rc;

	while (i < len) {
		if (s->depth == 0) {
			char c = data[i];

			if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
				i++;
				continue;
			}
			if (c != '{') {
				snprintf(s->err, sizeof(s->err),
					 "watch stream: byte 0x%02x outside an object", (unsigned char)c);
				return -1;
			}
		}
		/* Scan from i to the end of the object or of the chunk. */
		start = i;
		for (; i < len; i++) {
			char c = data[i];

			if (s->in_str) {
				if (s->esc)
					s->esc = false;
				else if (c == '\\')
					s->esc = true;
				else if (c == '"')
					s->in_str = false;
				continue;
			}
			if (c == '"') {
				s->in_str = true;
			} else if (c == '{' || c == '[') {
				s->depth++;
			} else if (c == '}' || c == ']') {
				if (--s->depth == 0) {
					i++;
					break;
				}
			}
		}
		if (s->buf.len + (i - start) > s->max)
			return too_large(s);
		if (s->depth > 0) {
			/* The object goes on in the next chunk: keep what we have. */
			sn_buf_addn(&s->buf, data + start, i - start);
			return 0;
		}
		if (s->buf.len == 0) {
			/* The whole object is in this chunk: no copy. */
			rc = fn(ctx, data + start, i - start);
		} else {
			sn_buf_addn(&s->buf, data + start, i - start);
			rc = fn(ctx, s->buf.s, s->buf.len);
			/* Give back the memory of an unusually large event. */
			if (s->buf.cap > (1u << 20))
				sn_buf_free(&s->buf);
			else
				sn_buf_reset(&s->buf);
		}
		if (rc)
			return rc;
	}
	return 0;
}
