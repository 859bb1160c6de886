/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/fuzz/fuzz_common.h: what the compiler targets share: fixed options
 * (chosen by a byte of the input, so one corpus reaches the option paths),
 * and the pipeline input -> prepare -> build -> print, into memory.
 */
#ifndef SVCNFT_FUZZ_COMMON_H
#define SVCNFT_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/compile.h"
#include "input/input.h"

static struct sn_addr fuzz_prefix(const char *s)
{
	struct sn_addr a;

	if (sn_prefix_parse(&a, s, false) < 0)
		abort();
	return a;
}

/* sel: bit 0 dual stack, bit 1 masquerade-all, bit 2 no cluster CIDR,
 * bit 3 nodeport-addresses primary with a node IP, bit 4 a small service
 * range (allocation collisions and exhaustion), bit 5 the externalIP and
 * LoadBalancer IP allow-lists (compiler/capture.c). */
static void fuzz_opts(struct comp_opts *o, unsigned sel)
{
	comp_opts_init(o);
	o->node_name = sn_strdup("node-a");
	o->service_cidrs[o->nservice_cidrs++] =
		fuzz_prefix(sel & 16 ? "198.18.0.0/29" : "198.18.0.0/16");
	if (!(sel & 4))
		o->cluster_cidrs[o->ncluster_cidrs++] = fuzz_prefix("198.19.0.0/16");
	if (sel & 1) {
		o->service_cidrs[o->nservice_cidrs++] = fuzz_prefix("2001:db8:18::/112");
		if (!(sel & 4))
			o->cluster_cidrs[o->ncluster_cidrs++] = fuzz_prefix("2001:db8:19::/64");
	}
	o->masquerade_all = sel & 2;
	if (sel & 32) {
		o->external_ip_cidrs = sn_calloc(1, sizeof(*o->external_ip_cidrs));
		o->external_ip_cidrs[o->nexternal_ip_cidrs++] = fuzz_prefix("203.0.113.0/28");
		o->external_ip_cidrs_set = true;
		o->lb_ip_cidrs = sn_calloc(1, sizeof(*o->lb_ip_cidrs));
		o->lb_ip_cidrs[o->nlb_ip_cidrs++] = fuzz_prefix("203.0.113.16/28");
		o->lb_ip_cidrs_set = true;
	}
	if (sel & 8) {
		o->nodeport_primary = true;
		if (sn_addr_parse(&o->node_ips[0], "192.0.2.1") < 0)
			abort();
		o->nnode_ips = 1;
	}
}

/*
 * The pieces of text loaded in the order given, compiled and printed as
 * `svcnft compile` prints (header and ruleset). Returns the script (malloc'd,
 * *len bytes), or NULL when the input had errors.
 */
static char *fuzz_compile(const char *const *piece, const size_t *plen, size_t n, unsigned sel,
			  size_t *len)
{
	struct svc_world *w = svc_world_alloc();
	struct rs_ruleset *rs = NULL;
	struct comp_stats st;
	struct comp_opts o;
	struct sn_diag d;
	char *out = NULL;
	FILE *f;

	*len = 0;
	fuzz_opts(&o, sel);
	sn_diag_init(&d);
	for (size_t i = 0; i < n; i++)
		input_load_buffer("fuzz.yaml", piece[i], plen[i], w, &d);
	comp_resolve_nodeport_primary(w, &o, &d);
	comp_prepare(w, &o, &d);
	if (!d.errors)
		rs = comp_build(w, &o, &st, &d);
	if (rs && !d.errors) {
		f = open_memstream(&out, len);
		if (!f)
			abort();
		comp_print_header(f, w, &o, &st);
		rs_print_ruleset(f, rs);
		fclose(f);
	}
	rs_ruleset_free(rs);
	sn_diag_free(&d);
	comp_opts_free(&o);
	svc_world_free(w);
	return out;
}

#endif
