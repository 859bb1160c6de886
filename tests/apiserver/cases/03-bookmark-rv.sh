#!/bin/bash
# A BOOKMARK advances the client's resourceVersion although no object of
# its kind changed: after a dropped watch it watches from the bookmark's RV.
set -u
. "$(dirname "$0")/../lib.sh"
trap as_cleanup EXIT

as_start || fail "server"
svc default web
kw_start --resources services
wait_for "$KW_OUT" '^ALL SYNCED' 10 || fail "no sync"
grep -q '^services SYNCED rv=2 ' "$KW_OUT" || fail "list rv"
# Nodes move the RV on (the client does not watch them).
node n1; node n2; node n3
as_admin bookmark
wait_for "$KW_OUT" '^# services: BOOKMARK rv=5$' 10 || fail "bookmark"
as_admin drop
wait_for "$KW_OUT" '^# services: WATCH rv=5 ' 10 || fail "re-watch from the bookmark's RV"
grep -qE '^GET /api/v1/services\?watch=1&resourceVersion=5&allowWatchBookmarks=true&timeoutSeconds=[0-9]+&' \
	"$AS_DIR/requests.log" || fail "request with resourceVersion=5"
svc default after
wait_for "$KW_OUT" '^services ADDED default/after rv=6$' 10 || fail "event after the re-watch"
# No relist: one list request in all.
[ "$(grep -c '^GET /api/v1/services?limit' "$AS_DIR/requests.log")" -eq 1 ] || fail "relisted"
exit 0
