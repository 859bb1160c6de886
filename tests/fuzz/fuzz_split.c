// SPDX-License-Identifier: GPL-2.0-or-later
// tests/fuzz/fuzz_split.c: libFuzzer target for the watch-stream splitter
// (kube/split.c). The stream is fed twice: whole, and cut into chunks at
// byte offsets taken from the input itself (events cut at any byte). Both
// must hand out the same objects in the same order, each from '{' to its
// '}' and never over the limit, and agree on whether the stream was broken
// or cut short. A small limit makes "oversized" reachable.

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kube/split.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_SPLIT_MAX 4096

struct seen {
	struct sn_buf all;	/* the objects, each followed by a NUL */
	size_t n;
};

static int on_obj(void *ctx, const char *obj, size_t len)
{
	struct seen *s = ctx;

	if (len < 2 || obj[0] != '{' || (obj[len - 1] != '}' && obj[len - 1] != ']') ||
	    len > FUZZ_SPLIT_MAX)
		abort();
	sn_buf_addn(&s->all, obj, len);
	sn_buf_addc(&s->all, '\0');
	s->n++;
	return 0;
}

/* Feed the stream in chunks whose sizes come from cuts (1..64 bytes each,
 * cycling); cuts_len 0 = in one piece. Returns the last feed's result, and
 * whether an object was left half-read. */
static int feed(const char *p, size_t len, const uint8_t *cuts, size_t cuts_len, struct seen *s,
		bool *pending)
{
	struct kube_split sp;
	size_t off = 0, k = 0;
	int rc = 0;

	kube_split_init(&sp, FUZZ_SPLIT_MAX);
	while (off < len && rc == 0) {
		size_t n = cuts_len ? (size_t)(cuts[k++ % cuts_len] % 64) + 1 : len;

		if (n > len - off)
			n = len - off;
		rc = kube_split_feed(&sp, p + off, n, on_obj, s);
		off += n;
	}
	*pending = kube_split_pending(&sp);
	kube_split_free(&sp);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen whole = { 0 }, cut = { 0 };
	size_t ncuts = size ? data[0] % 16 : 0;
	bool pw, pc;
	int rw, rc;

	if (size < 1 + ncuts)
		return 0;
	sn_buf_init(&whole.all);
	sn_buf_init(&cut.all);
	rw = feed((const char *)data + 1 + ncuts, size - 1 - ncuts, NULL, 0, &whole, &pw);
	rc = feed((const char *)data + 1 + ncuts, size - 1 - ncuts, data + 1, ncuts, &cut, &pc);
	if (rw != rc || whole.n != cut.n || whole.all.len != cut.all.len ||
	    (whole.all.len && memcmp(whole.all.s, cut.all.s, whole.all.len) != 0))
		abort();
	if (rw == 0 && pw != pc)
		abort();
	sn_buf_free(&whole.all);
	sn_buf_free(&cut.all);
	return 0;
}
