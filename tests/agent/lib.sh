#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Shared helpers of the agent tests. Each case runs inside its own network
# namespace (run.sh: unshare -n), so the agent's rules, its HTTP servers on
# 127.0.0.1 and the test API server see nothing of the host. Every process
# started here is stopped by ag_cleanup (trapped on EXIT).
. "$(dirname "${BASH_SOURCE[0]}")/../apiserver/lib.sh"
SVCNFT=${SVCNFT:-$AS_ROOT/svcnft}
AG_PID="" AG_LOG=""
# What every agent and every `svcnft diff` of these tests is told.
# NodePorts on an explicit range: the agent and `svcnft diff` agree whatever
# either defaults to (svcnft run defaults to the primary node IP).
AG_OPTS=(--node-name node-a --service-cidr 198.18.0.0/16 --cluster-cidr 198.19.0.0/16
	--nodeport-addresses 192.0.2.0/24)
# Test hooks: reflector backoff 100 ms doubling to 1 s (client-go's is 0.8 s
# to 30 s), so that a fault costs the test seconds, not minutes.
export SVCNFT_TEST_BACKOFF_MS=100,1000

ag_cleanup() {
	ag_stop
	as_cleanup
}
trap ag_cleanup EXIT

# ag_start [svcnft run args...]: the agent against the test API server,
# log in $AG_LOG (appended: a restart keeps the earlier lines).
ag_start() {
	AG_LOG=${AG_LOG:-$AS_DIR/agent.log}
	# SVCNFT_AGENT_WRAP: a command the agent runs under (make valgrind)
	${SVCNFT_AGENT_WRAP:-} "$SVCNFT" run --kubeconfig "$KUBECONFIG_FILE" "${AG_OPTS[@]}" --min-sync-period 0 \
		--healthz-bind-address 127.0.0.1:10256 --metrics-bind-address 127.0.0.1:10249 \
		--v 2 "$@" >>"$AG_LOG" 2>&1 &
	AG_PID=$!
}

# ag_stop [SIGNAL]: stop the agent and wait (10 s at most); the exit code
# in AG_RC.
ag_stop() {
	AG_RC=""
	[ -n "$AG_PID" ] || return 0
	kill -"${1:-TERM}" "$AG_PID" 2>/dev/null
	local i
	for i in $(seq 100); do
		kill -0 "$AG_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$AG_PID" 2>/dev/null
	wait "$AG_PID" 2>/dev/null
	AG_RC=$?
	AG_PID=""
}

# syncs: how many "synced" lines the agent logged so far
syncs() {
	local n
	n=$(grep -c '"synced"' "$AG_LOG" 2>/dev/null)
	echo "${n:-0}"
}
# wait_syncs N [SECONDS]: until the agent logged N syncs
wait_syncs() { wait_for "$AG_LOG" '"synced"' "${2:-20}" "$1"; }

# the API's objects as the agent's selectors see them, as one List that
# `svcnft diff` reads (list items carry no kind: it is put back)
api_objects() {
	local sel='labelSelector=%21service.kubernetes.io%2Fservice-proxy-name%2C%21service.kubernetes.io%2Fheadless'
	{
		as_api GET "/api/v1/services?$sel"; echo
		as_api GET "/apis/discovery.k8s.io/v1/endpointslices?$sel"; echo
		as_api GET "/api/v1/nodes?fieldSelector=metadata.name%3Dnode-a"; echo
	} | python3 -c '
import json, sys
items = []
for line in sys.stdin:
    if not line.strip():
        continue
    l = json.loads(line)
    kind = l["kind"][:-4]
    for it in l["items"]:
        it["kind"] = kind
        it["apiVersion"] = l["apiVersion"]
        items.append(it)
print(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))'
}

# kernel_current: `svcnft diff` of the API's objects says no changes (the
# kernel equals a fresh compile of what the API holds)
kernel_current() {
	api_objects >"$AS_DIR/objects.json" || return 1
	timeout 30 "$SVCNFT" diff "${AG_OPTS[@]}" -f "$AS_DIR/objects.json" >"$AS_DIR/diff.out" 2>&1
}

# wait_current [SECONDS]: until kernel_current holds
wait_current() {
	local end=$((SECONDS + ${1:-20})) i
	for i in $(seq 500); do
		kernel_current && return 0
		[ "$SECONDS" -ge "$end" ] && break
		sleep 0.2
	done
	echo "--- svcnft diff:"; head -n 30 "$AS_DIR/diff.out"
	return 1
}

# objects through the API
# svc_api NAME CLUSTERIP [PORT] [EXTRA-SPEC-JSON]: create a Service in ns "t"
svc_api() {
	as_api POST /api/v1/namespaces/t/services \
		"{\"metadata\":{\"name\":\"$1\"},\"spec\":{\"clusterIP\":\"$2\",\"clusterIPs\":[\"$2\"],\"ports\":[{\"name\":\"http\",\"port\":${3:-80},\"targetPort\":8080}]${4:+,$4}}}" >/dev/null
}
# slice_api SVC SLICE-NAME ENDPOINT-JSON...: create or replace an EndpointSlice
slice_json() {
	local svc=$1 name=$2 eps
	shift 2
	eps=$(IFS=,; echo "$*")
	echo "{\"apiVersion\":\"discovery.k8s.io/v1\",\"kind\":\"EndpointSlice\",\"metadata\":{\"name\":\"$name\",\"namespace\":\"t\",\"labels\":{\"kubernetes.io/service-name\":\"$svc\"}},\"addressType\":\"IPv4\",\"ports\":[{\"name\":\"http\",\"port\":8080,\"protocol\":\"TCP\"}],\"endpoints\":[$eps]}"
}
slice_api() {
	as_api POST /apis/discovery.k8s.io/v1/namespaces/t/endpointslices "$(slice_json "$@")" >/dev/null
}
slice_put() {
	as_api PUT "/apis/discovery.k8s.io/v1/namespaces/t/endpointslices/$2" "$(slice_json "$@")" >/dev/null
}
# ep IP [ready|terminating] [NODE]
ep() {
	local c='{"ready":true,"serving":true,"terminating":false}'
	[ "${2:-ready}" = terminating ] && c='{"ready":false,"serving":true,"terminating":true}'
	echo "{\"addresses\":[\"$1\"],\"conditions\":$c,\"nodeName\":\"${3:-node-a}\"}"
}
node_api() {
	as_api POST /api/v1/nodes "{\"metadata\":{\"name\":\"node-a\",\"labels\":{\"topology.kubernetes.io/zone\":\"z1\"}},\"status\":{\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"192.0.2.10\"}]}}" >/dev/null
}

# ruleset: the kernel's svcnft tables, as nft prints them
ruleset() { nft list ruleset 2>/dev/null | grep -v '^#'; }

# ag_fail MSG: fail with the agent's log tail
ag_fail() {
	echo "FAIL: $*"
	[ -n "$AG_LOG" ] && [ -f "$AG_LOG" ] && { echo "--- agent:"; tail -n 30 "$AG_LOG"; }
	exit 1
}

# fault_case INJECT RELEASE: with the agent current, INJECT a fault (a shell
# command), change objects through the API while it holds (an endpoint
# moves, a Service comes with its slice, one goes), RELEASE it; afterwards
# the kernel must equal a fresh compile of the API's objects: no update lost.
fault_case() {
	as_start || exit 1
	node_api
	svc_api web 198.18.0.10
	slice_api web web-1 "$(ep 198.19.1.10)"
	svc_api old 198.18.0.12
	slice_api old old-1 "$(ep 198.19.1.20)"
	ag_start
	wait_current || ag_fail "not programmed before the fault"
	eval "$1"
	slice_put web web-1 "$(ep 198.19.1.11)" "$(ep 198.19.1.12)"
	svc_api new 198.18.0.11
	slice_api new new-1 "$(ep 198.19.2.10)"
	as_api DELETE /api/v1/namespaces/t/services/old >/dev/null
	as_api DELETE /apis/discovery.k8s.io/v1/namespaces/t/endpointslices/old-1 >/dev/null
	sleep 2
	eval "$2"
	wait_current 40 || ag_fail "not converged after the fault"
	ruleset | grep -q 198.18.0.11 || ag_fail "the new Service is missing"
	ruleset | grep -q 198.18.0.12 && ag_fail "the deleted Service stays"
	kill -0 "$AG_PID" 2>/dev/null || ag_fail "the agent died"
	echo ok
}
