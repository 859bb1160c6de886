#!/bin/bash
# The API server unreachable: the rules stay exactly as they were (no
# flush, no sync), the agent keeps running and retrying.
. "$(dirname "$0")/../lib.sh"
as_start || exit 1
node_api
svc_api web 198.18.0.10
slice_api web web-1 "$(ep 198.19.1.10)"
ag_start
wait_current || ag_fail "not programmed"
n=$(syncs)
before=$(ruleset)
as_kill
sleep 4
kill -0 "$AG_PID" 2>/dev/null || ag_fail "the agent died with the API server"
[ "$(ruleset)" = "$before" ] || ag_fail "the rules changed while the API server was down"
[ "$(syncs)" -eq "$n" ] || ag_fail "a sync while the API server was down"
grep -q 'backoff' "$AG_LOG" || ag_fail "no backoff logged"
echo ok
