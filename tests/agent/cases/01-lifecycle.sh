#!/bin/bash
# Services created, changed and deleted through the API reach the kernel:
# after each step the kernel equals a fresh compile of the API's objects;
# a change of this node's Node recompiles all;
# nothing is programmed before the three lists are done; SIGTERM exits 0
# and leaves the rules in place.
. "$(dirname "$0")/../lib.sh"
as_start || exit 1
node_api
svc_api web 198.18.0.10
slice_api web web-1 "$(ep 198.19.1.10)" "$(ep 198.19.1.11 ready node-b)"
as_admin pause?on=1	# the lists wait: nothing may be programmed meanwhile
ag_start
sleep 1.5
[ "$(syncs)" -eq 0 ] || ag_fail "a sync before the lists were done"
ruleset | grep -q 198.18.0.10 && ag_fail "rules before the lists were done"
as_admin pause?on=0
wait_syncs 1 || ag_fail "no first sync"
grep '"synced"' "$AG_LOG" | head -n1 | grep -q 'kind=full' || ag_fail "the first sync is not full"
wait_current || ag_fail "web not programmed"
ruleset | grep -q 198.18.0.10 || ag_fail "198.18.0.10 not in the ruleset"

# change: an endpoint goes, another comes; a second Service
slice_put web web-1 "$(ep 198.19.1.12)"
svc_api api 198.18.0.11 8080
slice_api api api-1 "$(ep 198.19.2.10)"
wait_current || ag_fail "changes not programmed"
ruleset | grep -q 198.19.1.10 && ag_fail "a removed endpoint is still programmed"
grep '"synced"' "$AG_LOG" | tail -n +2 | grep -q 'kind=partial' || ag_fail "no partial sync"

# this node's Node changes (its zone): every Service is recompiled
n=$(syncs)
as_api PATCH /api/v1/nodes/node-a '{"metadata":{"labels":{"topology.kubernetes.io/zone":"z2"}}}' >/dev/null
wait_syncs $((n + 1)) || ag_fail "no sync after the Node changed"
grep '"synced"' "$AG_LOG" | sed -n "$((n + 1))p" | grep -q 'kind=all' || ag_fail "a Node change is not a sync of all"
wait_current || ag_fail "not current after the Node change"

# delete
as_api DELETE /api/v1/namespaces/t/services/web >/dev/null
as_api DELETE /apis/discovery.k8s.io/v1/namespaces/t/endpointslices/web-1 >/dev/null
wait_current || ag_fail "deletion not programmed"
ruleset | grep -q 198.18.0.10 && ag_fail "a deleted Service is still programmed"
ruleset | grep -q 198.18.0.11 || ag_fail "api lost"

before=$(ruleset)
ag_stop TERM
[ "$AG_RC" = 0 ] || ag_fail "SIGTERM: exit $AG_RC, want 0"
[ "$(ruleset)" = "$before" ] || ag_fail "the rules changed at exit"
echo ok
