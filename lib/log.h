/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lib/log.h: the agent's log, one line per event, on stderr, in the
 * key=value form kube-proxy's structured klog lines have, so that log
 * pipelines that parse kube-proxy parse svcnft:
 *
 *   I1205 21:35:07.123456    4242 sync.go] "Synced rules" elapsed="3.2ms" services=10000
 *
 * becomes
 *
 *   I1205 21:35:07.123456 svcnft] "synced" elapsed_ms=3.2 services=10000 added=2 deleted=1
 *
 * Levels: sn_log(0, ...) always; sn_log(N, ...) when -v >= N (kube-proxy
 * logs every sync at -v 2 and per-object detail at -v 4). Errors and
 * warnings always print, with E and W for the first letter.
 * Values with spaces, quotes or '=' are quoted (Go %q style), so a line
 * always splits into key=value pairs; a newline in a value never breaks a line.
 */
#ifndef SVCNFT_LOG_H
#define SVCNFT_LOG_H

#include "lib/sn.h"

extern int sn_log_verbosity;	/* -v N; 0 by default */

/* msg: a short fixed text; then alternating key, value strings ended by NULL:
 * sn_log(2, "synced", "services", "10000", NULL) */
void sn_log(int v, const char *msg, ...);
void sn_log_warn(const char *msg, ...);
void sn_log_err(const char *msg, ...);
/* Same, with printf-style values: sn_logf(2, "synced", "elapsed_ms=%.1f services=%u", ...);
 * the format must produce key=value pairs; values are quoted by the caller with sn_log_q. */
void sn_logf(int v, const char *msg, const char *kvfmt, ...) SN_PRINTF(3, 4);
/* Quote a value if it needs it (into buf of size n); returns buf. */
const char *sn_log_q(char *buf, size_t n, const char *v);

#endif
