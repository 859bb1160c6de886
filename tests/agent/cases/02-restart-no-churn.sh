#!/bin/bash
# A restart causes no churn: the second agent's first (full) sync finds the
# kernel as it wants it and sends nothing; SIGINT exits 0 too.
. "$(dirname "$0")/../lib.sh"
as_start || exit 1
node_api
for i in 1 2 3 4 5; do
	svc_api "s$i" "198.18.0.$((20 + i))"
	slice_api "s$i" "s$i-1" "$(ep 198.19.3.$i)" "$(ep 198.19.4.$i ready node-b)"
done
ag_start
wait_syncs 1 || ag_fail "no first sync"
wait_current || ag_fail "not programmed"
grep '"synced"' "$AG_LOG" | head -n1 | grep -q 'status=applied' || ag_fail "the first agent's sync did not apply"
ag_stop INT
[ "$AG_RC" = 0 ] || ag_fail "SIGINT: exit $AG_RC, want 0"
n=$(syncs)
before=$(ruleset)
ag_start
wait_syncs $((n + 1)) || ag_fail "the second agent did not sync"
line=$(grep '"synced"' "$AG_LOG" | sed -n "$((n + 1))p")
echo "$line" | grep -q 'kind=full status=nothing' || ag_fail "the restart's first sync: $line"
echo "$line" | grep -q 'messages=0 ' || ag_fail "the restart sent messages: $line"
[ "$(ruleset)" = "$before" ] || ag_fail "the ruleset changed across the restart"
echo ok
