// SPDX-License-Identifier: GPL-2.0-or-later
// tests/fuzz/fuzz_kpconfig.c: libFuzzer target for the KubeProxyConfiguration
// reader (input/kpconfig.c): any bytes give the fields or diagnostics, never
// a crash, a leak or an out-of-bounds read; what was accepted is in range.

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "input/input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input_kpconfig cfg;
	struct sn_diag d;

	memset(&cfg, 0, sizeof(cfg));
	sn_diag_init(&d);
	if (input_load_kpconfig_buffer("kube-proxy-config.yaml", (const char *)data, size, &cfg,
				       &d) == 0) {
		if (cfg.ncluster_cidrs > 2 ||
		    (cfg.has_masquerade_bit && cfg.masquerade_bit > 31))
			abort();
	}
	input_kpconfig_free(&cfg);
	sn_diag_free(&d);
	return 0;
}
