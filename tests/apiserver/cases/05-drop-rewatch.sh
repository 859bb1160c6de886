#!/bin/bash
# Watches that end are resumed from the last RV with nothing lost and no
# relist: cut abruptly by the server (no final chunk), or ended cleanly when
# timeoutSeconds runs out (the server honours it; the client picks it at
# random in [min, 2*min)).
set -u
. "$(dirname "$0")/../lib.sh"
trap as_cleanup EXIT

as_start || fail "server"
svc default a
kw_start --resources services --watch-timeout 2
wait_for "$KW_OUT" '^ALL SYNCED' 10 || fail "no sync"

svc default b
wait_for "$KW_OUT" '^services ADDED default/b' 10 || fail "b"
as_admin drop
# Written while the client reconnects: it must get them from history.
svc default c; svc default d
svc_del default a
wait_for "$KW_OUT" '^services DELETED default/a' 10 || fail "events after the drop"
grep -q '^# services: watch was cut' "$KW_OUT" || fail "the cut was not seen as one"

# Clean ends by timeoutSeconds: at least two within 8 s.
wait_for "$KW_OUT" '^# services: watch ended after [0-9]+ events \(clean\)' 10 2 || fail "timeouts"
svc default e
wait_for "$KW_OUT" '^services ADDED default/e' 10 || fail "e"
kw_stop
expect_events services "services ADDED default/a list
services SYNCED
services ADDED default/b
services ADDED default/c
services ADDED default/d
services DELETED default/a
services ADDED default/e"
[ "$(grep -c '^GET /api/v1/services?limit' "$AS_DIR/requests.log")" -eq 1 ] || fail "relisted"
grep -q backoff "$KW_OUT" && fail "backed off"
# Every watch asked for 2 or 3 seconds.
bad=$(grep -oE 'timeoutSeconds=[0-9]+' "$AS_DIR/requests.log" | grep -vE '=(2|3)$')
[ -z "$bad" ] || fail "timeouts out of [2,4): $bad"
exit 0
