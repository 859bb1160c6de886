#!/bin/bash
# A list is read in pages (limit, continue; resourceVersion unset). When the
# continue token expires between two pages (HTTP 410), the client lists
# again from the start, at once, and ends with every object exactly once.
set -u
. "$(dirname "$0")/../lib.sh"
trap as_cleanup EXIT

as_start || fail "server"
for i in 1 2 3 4 5 6 7; do svc default s$i; done
# Each request waits 1 s: page 2 is in flight when the tokens expire.
as_admin 'slow?ms=1000'
kw_start --resources services --page-size 3
wait_for "$AS_DIR/requests.log" '^GET /api/v1/services\?limit=3&' 10 || fail "first page"
as_admin expire-continue
as_admin 'slow?ms=0'
wait_for "$KW_OUT" '^ALL SYNCED' 15 || fail "no sync"
kw_stop

grep -E '^GET /api/v1/services\?limit=3&labelSelector=[^&]*&continue=[^ ]* 410$' "$AS_DIR/requests.log" >/dev/null ||
	fail "no 410 for the expired continue token"
grep -q 'continue token expired' "$KW_OUT" || fail "the client did not say why it listed again"
# Pages: 3 + (410) + 3 + 3 + 1: the second list ran to the end.
n=$(grep -cE '^GET /api/v1/services\?limit=3' "$AS_DIR/requests.log")
[ "$n" -eq 5 ] || fail "$n list requests, want 5"
grep -E '^GET /api/v1/services\?[^ ]*resourceVersion=' "$AS_DIR/requests.log" | grep -v watch=1 &&
	fail "a list sent resourceVersion"
# Page 1's objects came once: the relist found them at the same RV.
expect_events services "services ADDED default/s1 list
services ADDED default/s2 list
services ADDED default/s3 list
services ADDED default/s4 list
services ADDED default/s5 list
services ADDED default/s6 list
services ADDED default/s7 list
services SYNCED"
grep -q '^services SYNCED rv=8 n=7' "$KW_OUT" || fail "SYNCED rv=8 n=7"
exit 0
