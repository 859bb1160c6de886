// SPDX-License-Identifier: GPL-2.0-or-later
// tests/fuzz/fuzz_roundtrip.c: libFuzzer target for determinism: the
// documents of a manifest (cut at "---" lines) compiled in their order and
// in reverse order, and compiled twice, give the same script, byte for
// byte, or both fail. (That the script loads with `nft -f` is the golden
// and kernel tiers' job.) The first byte picks the options.

#include <stddef.h>
#include <stdint.h>

#include "tests/fuzz/fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_DOCS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *piece[FUZZ_MAX_DOCS], *rpiece[FUZZ_MAX_DOCS];
	size_t plen[FUZZ_MAX_DOCS], rplen[FUZZ_MAX_DOCS];
	const char *p, *end, *doc;
	size_t n = 0, la, lb, lc;
	char *a, *b, *c;

	if (size < 1)
		return 0;
	p = doc = (const char *)data + 1;
	end = (const char *)data + size;
	/* a document ends before a line that is "---" */
	while (p < end && n < FUZZ_MAX_DOCS - 1) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *next = nl ? nl + 1 : end;

		if (next - p >= 3 && !memcmp(p, "---", 3) &&
		    (next - p == 3 || p[3] == '\n' || p[3] == '\r')) {
			piece[n] = doc;
			plen[n++] = (size_t)(p - doc);
			doc = next;
		}
		p = next;
	}
	piece[n] = doc;
	plen[n++] = (size_t)(end - doc);
	for (size_t i = 0; i < n; i++) {
		rpiece[i] = piece[n - 1 - i];
		rplen[i] = plen[n - 1 - i];
	}
	a = fuzz_compile(piece, plen, n, data[0], &la);
	b = fuzz_compile(rpiece, rplen, n, data[0], &lb);
	c = fuzz_compile(piece, plen, n, data[0], &lc);
	if (!a != !b || !a != !c || la != lb || la != lc || (a && memcmp(a, b, la)) ||
	    (a && memcmp(a, c, la)))
		abort();
	free(a);
	free(b);
	free(c);
	return 0;
}
