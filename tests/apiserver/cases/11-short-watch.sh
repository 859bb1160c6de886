#!/bin/bash
# A server that ends every watch at once, cleanly and with no event, does
# not get a hot loop: each such "very short watch" (under 1 s, no event)
# counts as a failure and backs off in client-go's bands.
set -u
. "$(dirname "$0")/../lib.sh"
trap as_cleanup EXIT

as_start || fail "server"
svc default a
as_admin 'short-watch?on=1'
kw_start --resources services
wait_for "$KW_OUT" '^# services: backoff' 10 3 || fail "no backoff on very short watches"
as_admin 'short-watch?on=0'
kw_stop
check_backoffs "$KW_OUT" "$(grep -c '^# services: backoff' "$KW_OUT")"
grep -q '^# services: backoff [0-9.]*s: very short watch (ended after [0-9]* ms, no event)' "$KW_OUT" ||
	fail "not called a very short watch"
n=$(grep -c 'watch=1' "$AS_DIR/requests.log")
[ "$n" -le 5 ] || fail "$n watches in about 6 s: a hot loop"
exit 0
