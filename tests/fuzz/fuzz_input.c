// SPDX-License-Identifier: GPL-2.0-or-later
// tests/fuzz/fuzz_input.c: libFuzzer harness for input/: any bytes, read as
// YAML, as JSON and as a KubeProxyConfiguration, must give diagnostics and a
// world without crashing, leaking or reading out of bounds.
//
//   make fuzz && tests/fuzz/run.sh --seconds 300 input
//
// The first byte picks the reader, so one corpus exercises all three.

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "input/input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "fuzz.yaml", "fuzz.json", "fuzz" };
	struct input_kpconfig cfg;
	struct svc_world *w;
	struct sn_diag d;
	const char *buf = (const char *)data;
	unsigned pick = size ? data[0] % 4 : 0;

	sn_diag_init(&d);
	if (pick == 3) {
		input_load_kpconfig_buffer("kp.yaml", buf, size, &cfg, &d);
		input_kpconfig_free(&cfg);
	} else {
		w = svc_world_alloc();
		input_load_buffer(names[pick], buf, size, w, &d);
		/* a second load of the same text: every object is a duplicate */
		input_load_buffer(names[pick], buf, size, w, &d);
		svc_world_free(w);
	}
	sn_diag_free(&d);
	return 0;
}
