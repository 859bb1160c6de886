#!/bin/bash
# The client misses changes while its watch is down, and the server's
# history is compacted: the re-watch gets an ERROR event with Status 410
# (Expired) on a 200 stream, the client lists again and reports exactly
# what changed: the deleted object as DELETED, the changed one MODIFIED, the
# new one ADDED, the unchanged one nothing (deletions come last: they are
# what the new snapshot lacks).
set -u
. "$(dirname "$0")/../lib.sh"
trap as_cleanup EXIT

as_start || fail "server"
svc default a; svc default b; svc default c
kw_start --resources services
wait_for "$KW_OUT" '^ALL SYNCED' 10 || fail "no sync"
# A watch cut within a second of its start with no event is a failure
# (client-go's "very short watch"), which backs off: let it live longer.
sleep 1.2

as_admin 'pause?on=1'
svc_del default b
as_api PATCH /api/v1/namespaces/default/services/c '{"metadata":{"labels":{"v":"2"}}}' >/dev/null
svc default d
as_admin compact
as_admin drop
as_admin 'pause?on=0'
wait_for "$KW_OUT" '^services SYNCED' 10 2 || fail "no relist"
grep -q '^# services: relist: watch ERROR: too old resource version: 4 (7)' "$KW_OUT" ||
	fail "the client did not relist on the ERROR 410 event"
# Nothing in between: the relist came at once, not after a backoff.
grep -q 'backoff' "$KW_OUT" && fail "backed off on 410"
svc default e
wait_for "$KW_OUT" '^services ADDED default/e' 10 || fail "watch after the relist"
kw_stop
expect_events services "services ADDED default/a list
services ADDED default/b list
services ADDED default/c list
services SYNCED
services MODIFIED default/c list
services ADDED default/d list
services DELETED default/b list
services SYNCED
services ADDED default/e"
grep -qE '^GET /api/v1/services\?watch=1&resourceVersion=7&' "$AS_DIR/requests.log" ||
	fail "watch from the relist's RV"

# The same with the 410 as the HTTP answer to the watch request.
: >"$KW_OUT"
kw_start --resources services
wait_for "$KW_OUT" '^ALL SYNCED' 10 || fail "no sync (2)"
sleep 1.2
as_admin 'pause?on=1'
svc_del default a
as_admin 'compact?http=1'
as_admin drop
as_admin 'pause?on=0'
wait_for "$KW_OUT" '^services SYNCED' 10 2 || fail "no relist on HTTP 410"
grep -q '^# services: relist: HTTP 410: too old resource version' "$KW_OUT" || fail "HTTP 410 not named"
grep -q 'backoff' "$KW_OUT" && fail "backed off on HTTP 410"
grep -q '^services DELETED default/a rv=[0-9]* list$' "$KW_OUT" || fail "a not deleted by the relist"
exit 0
