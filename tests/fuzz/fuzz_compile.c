// SPDX-License-Identifier: GPL-2.0-or-later
// tests/fuzz/fuzz_compile.c: libFuzzer target for the whole compiler:
// manifest bytes -> input -> prepare -> build -> print (as `svcnft compile`),
// under options picked by the first byte. Any input gives a script or
// diagnostics; never a crash, a leak, undefined behaviour or a stall.
// A script is text: no NUL byte in it.

#include <stddef.h>
#include <stdint.h>

#include "tests/fuzz/fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *piece;
	size_t plen, len;
	char *out;

	if (size < 1)
		return 0;
	piece = (const char *)data + 1;
	plen = size - 1;
	out = fuzz_compile(&piece, &plen, 1, data[0], &len);
	if (out && memchr(out, '\0', len))
		abort();
	free(out);
	return 0;
}
