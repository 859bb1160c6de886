// SPDX-License-Identifier: GPL-2.0-or-later
// tests/fuzz/fuzz_kubeconfig.c: libFuzzer target for the kubeconfig reader
// (kube/config.c): any bytes, as YAML and as JSON, give a config or
// diagnostics, never a crash, a leak or an out-of-bounds read; a config
// that was accepted has a server, and it is https.

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kube/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a folder that does not exist: relative paths in the config resolve
	 * under it, so nothing on this machine is named */
	static const char *const names[] = { "/nonexistent/svcnft-fuzz/config",
					      "/nonexistent/svcnft-fuzz/config.json" };
	struct kube_config c;
	struct sn_diag d;

	memset(&c, 0, sizeof(c));
	sn_diag_init(&d);
	if (kube_config_parse(&c, names[size && (data[0] & 1)], (const char *)data, size, &d) == 0) {
		if (!c.server || strncmp(c.server, "https://", 8) != 0)
			abort();
	}
	kube_config_free(&c);
	sn_diag_free(&d);
	return 0;
}
