#!/bin/bash
# The HTTP servers share the agent's one event loop: clients that connect
# and send nothing (to /healthz, /metrics and a healthCheckNodePort) never
# delay a sync, nor another client's answer.
. "$(dirname "$0")/../lib.sh"
as_start || exit 1
node_api
as_api POST /api/v1/namespaces/t/services '{"metadata":{"name":"lb"},"spec":{"type":"LoadBalancer","clusterIP":"198.18.0.41","clusterIPs":["198.18.0.41"],"externalTrafficPolicy":"Local","healthCheckNodePort":31998,"ports":[{"name":"http","port":80,"targetPort":8080,"nodePort":31081}]},"status":{"loadBalancer":{"ingress":[{"ip":"203.0.113.41"}]}}}' >/dev/null
slice_api lb lb-1 "$(ep 198.19.6.11)"
ag_start
wait_current || ag_fail "not programmed"
# eight silent clients: connected, never a byte sent; held for at most 60 s
SILENT=()
for port in 10256 10249 31998 10256 10249 31998 10256 10249; do
	timeout 60 python3 -c 'import socket,sys,time
s=socket.create_connection(("127.0.0.1",int(sys.argv[1])))
time.sleep(60)' "$port" &
	SILENT+=($!)
done
trap 'kill "${SILENT[@]}" 2>/dev/null; ag_cleanup' EXIT
sleep 0.5
n=$(syncs)
slice_put lb lb-1 "$(ep 198.19.6.11)" "$(ep 198.19.6.12)"
wait_syncs $((n + 1)) 10 || ag_fail "no sync within 10 s beside silent clients"
wait_current || ag_fail "the change did not reach the kernel"
# the agent's own figure: from the watch event's arrival to the commit
line=$(grep '"synced"' "$AG_LOG" | sed -n "$((n + 1))p")
ms=$(sed -nE 's/.* latency_ms=([0-9.]+).*/\1/p' <<<"$line")
[ -n "$ms" ] || ag_fail "no latency_ms in: $line"
# the tier runs with --min-sync-period 0: the change is in within milliseconds
awk -v m="$ms" 'BEGIN { exit !(m < 1000) }' || ag_fail "event -> commit ${ms} ms beside silent clients"
code=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 5 http://127.0.0.1:10256/healthz)
[ "${code%% *}" = 200 ] || ag_fail "/healthz beside silent clients: $code"
kill "${SILENT[@]}" 2>/dev/null
wait "${SILENT[@]}" 2>/dev/null
echo "ok: change committed in ${ms} ms with 8 silent clients; /healthz answered in ${code#* } s"
