#!/bin/bash
# Failures back off as client-go does: 0.8 s doubling, with jitter (each
# wait in [d, 2d)), then the client resumes from its RV with nothing lost.
# 500s, then 429s, then a server that is gone (connection refused) and
# comes back with an older history: the re-watch is answered 504 "Too large
# resource version", and the client lists again at once.
set -u
. "$(dirname "$0")/../lib.sh"
trap as_cleanup EXIT

as_start || fail "server"
svc default a
kw_start --resources services
wait_for "$KW_OUT" '^ALL SYNCED' 10 || fail "no sync"
sleep 1.2	# a longer-lived watch: its cut is not a "very short watch"

# Three 500s: waits in [0.8,1.6) [1.6,3.2) [3.2,6.4); 11.2 s at most.
as_admin 'fail?n=3&code=500'
t0=$(date +%s%N)
as_admin drop
svc default b	# the failures are for the client's requests (User-Agent svcnft)
wait_for "$KW_OUT" '^services ADDED default/b' 15 || fail "no recovery after 500s"
ms=$((($(date +%s%N) - t0) / 1000000))
check_backoffs "$KW_OUT" 3
[ "$ms" -ge 2400 ] && [ "$ms" -lt 12500 ] || fail "recovery after ${ms} ms"
grep -q 'backoff [0-9.]*s: HTTP 500: injected failure' "$KW_OUT" || fail "500 not named"
kw_stop

# Two 429s, a new client: [0.8,1.6) [1.6,3.2).
: >"$AS_DIR/kw.out"
kw_start --resources services
wait_for "$KW_OUT" '^ALL SYNCED' 10 || fail "no sync (2)"
sleep 1.2
as_admin 'fail?n=2&code=429'
as_admin drop
# the first watch, two refused with 429, then the one that holds
wait_for "$KW_OUT" '^# services: WATCH' 10 4 || fail "no re-watch after 429s"
check_backoffs "$KW_OUT" 2
grep -q 'backoff [0-9.]*s: HTTP 429' "$KW_OUT" || fail "429 not named"
sleep 1.2	# that watch is established (and not a "very short watch") before the kill

# The server goes away: the cut watch and the refused connections back off
# (which one the client meets first depends on timing: after the 429s its
# next wait may outlast the restart, so the cut itself, reset or a chunked
# transfer closed short, counts too); it comes back
# with a shorter history (RV 2 < the client's): 504, relist, and the
# objects the new server lacks are DELETED.
: >"$AS_DIR/kw.out"
as_kill
sleep 2
as_run --port "$AS_PORT" || fail "restart"
svc default a
wait_for "$KW_OUT" '^services SYNCED' 15 || fail "no relist after the restart"
grep -qE 'backoff [0-9.]+s: (Couldn.t connect|Failure when receiving|Recv failure|transfer closed|Server returned nothing|SSL)' "$KW_OUT" ||
	fail "refused connections did not back off: $(grep -E 'backoff|WATCH|LIST' "$KW_OUT" | tail -5 | tr '\n' '|')"
grep -q '^# services: relist: HTTP 504: Too large resource version' "$KW_OUT" ||
	fail "no relist on too large resource version"
grep -q '^services DELETED default/b rv=[0-9]* list' "$KW_OUT" || fail "b not deleted by the relist"
kw_stop
exit 0
