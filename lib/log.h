/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lib/log.h: the agent's log, one line per event, on stderr, in the
 * key=value form kube-proxy's structured klog lines have, so that log
 * pipelines that parse kube-proxy parse svcnft:
 *
 *   I1205 21:35:07.123456    4242 sync.go:123] "Synced rules" elapsed="3.2ms" services=10000
 *
 * becomes
 *
 *   I1205 21:35:07.123456    4242 svcnft] "synced" elapsed_ms=3.2 services=10000 added=2 deleted=1
 *
 * The header is klog's: severity letter, MMDD, time to the microsecond
 * (UTC), the process id right-aligned in 7 columns, a source name and "]".
 * The message is always quoted; then key=value pairs. A value is written
 * bare when it is non-empty and made only of printable ASCII other than
 * space, '"', '=' and '\\'; otherwise it is quoted the way Go's %q quotes
 * (\" \\ \n \t \r, \xNN for other control bytes and invalid UTF-8; valid
 * UTF-8 is kept). So a line always splits into key=value pairs, and no
 * value (a newline, a quote, an '=') ever breaks a line or forges a pair.
 * A value longer than SN_LOG_VALUE_MAX bytes is cut and marked
 * "...(+N bytes)" inside its quotes. Each call writes its line with one
 * write, so lines of concurrent writers never interleave.
 *
 * Levels: sn_log(0, ...) always; sn_log(N, ...) when -v >= N (kube-proxy
 * logs every sync at -v 2 and per-object detail at -v 4). Errors and
 * warnings always print, with E and W for the first letter.
 */
#ifndef SVCNFT_LOG_H
#define SVCNFT_LOG_H

#include <stdio.h>
#include <time.h>

#include "lib/sn.h"

/* Bytes of one value kept before the cut: a whole object dumped into a
 * log line helps no one, and a bounded line stays one write. */
#define SN_LOG_VALUE_MAX 1024

extern int sn_log_verbosity;	/* -v N; 0 by default */

/* msg: a short fixed text; then alternating key, value strings ended by NULL:
 * sn_log(2, "synced", "services", "10000", NULL). A NULL value prints as
 * an empty quoted value. */
void sn_log(int v, const char *msg, ...) __attribute__((sentinel));
void sn_log_warn(const char *msg, ...) __attribute__((sentinel));
void sn_log_err(const char *msg, ...) __attribute__((sentinel));
/* Same, with printf-style values: sn_logf(2, "synced", "elapsed_ms=%.1f services=%u", ...);
 * the format must produce key=value pairs; values are quoted by the caller with sn_log_q.
 * Control bytes the format still lets through are escaped (\n...), so even
 * then the call is one line. */
void sn_logf(int v, const char *msg, const char *kvfmt, ...) SN_PRINTF(3, 4);
/* Quote a value if it needs it (into buf of size n); returns buf. A value
 * that does not fit is cut, inside its quotes, and ends with "...". */
const char *sn_log_q(char *buf, size_t n, const char *v);

/* Every record of d (file:line:col: warning: ...) as one log line each:
 * "config problem" with problem=..., W for warnings, E for errors, notes
 * as I at -v 1. what names the source ("--config", "reload"). */
void sn_log_diag(const char *what, const struct sn_diag *d);

/* Where lines go (NULL: stderr), and a fixed clock for tests (NULL: the
 * real clock). */
void sn_log_set_output(FILE *f);
void sn_log_set_clock(const struct timespec *fixed);

#endif
