#!/bin/bash
# /healthz, /livez and /metrics of a running agent, and a
# healthCheckNodePort server (LoadBalancer, externalTrafficPolicy: Local)
# answering 200 -> 503 -> 200 as its local endpoint turns terminating and
# back; the server opens and closes with its Service.
. "$(dirname "$0")/../lib.sh"
as_start || exit 1
node_api
as_api POST /api/v1/namespaces/t/services '{"metadata":{"name":"lb"},"spec":{"type":"LoadBalancer","clusterIP":"198.18.0.40","clusterIPs":["198.18.0.40"],"externalTrafficPolicy":"Local","healthCheckNodePort":31999,"ports":[{"name":"http","port":80,"targetPort":8080,"nodePort":31080}]},"status":{"loadBalancer":{"ingress":[{"ip":"203.0.113.40"}]}}}' >/dev/null
slice_api lb lb-1 "$(ep 198.19.6.1)" "$(ep 198.19.6.2 ready node-b)"
ag_start
wait_current || ag_fail "not programmed"
code() { curl -s -o "$AS_DIR/body" -w '%{http_code}' --max-time 5 "$1"; }
[ "$(code http://127.0.0.1:10256/healthz)" = 200 ] || ag_fail "/healthz not 200"
grep -q '"nodeEligible":true' "$AS_DIR/body" || ag_fail "/healthz: node not eligible: $(cat "$AS_DIR/body")"
[ "$(code http://127.0.0.1:10256/livez)" = 200 ] || ag_fail "/livez not 200"
[ "$(code http://127.0.0.1:10249/metrics)" = 200 ] || ag_fail "/metrics not 200"
python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import promparse; promparse.parse(open(sys.argv[2]).read())' \
	"$AS_ROOT/tests/http" "$AS_DIR/body" || ag_fail "/metrics does not parse"
for m in kubeproxy_sync_proxy_rules_last_timestamp_seconds kubeproxy_sync_full_proxy_rules_duration_seconds_count \
	svcnft_event_to_commit_seconds_count; do
	grep -qE "^$m\\{ip_family=\"IPv4\"\\} [1-9]" "$AS_DIR/body" || ag_fail "/metrics: $m missing or 0"
done

# the healthCheckNodePort: one ready local endpoint
hc() {
	local want=$1 i got
	for i in $(seq 50); do
		got=$(code http://127.0.0.1:31999/anything)
		[ "$got" = "$want" ] && return 0
		sleep 0.2
	done
	echo "healthCheckNodePort: $got, want $want; body: $(cat "$AS_DIR/body")"
	return 1
}
hc 200 || ag_fail "hcnp not 200"
grep -q '"localEndpoints": 1' "$AS_DIR/body" || ag_fail "hcnp body: $(cat "$AS_DIR/body")"
slice_put lb lb-1 "$(ep 198.19.6.1 terminating)" "$(ep 198.19.6.2 ready node-b)"
hc 503 || ag_fail "hcnp not 503 with the local endpoint terminating"
slice_put lb lb-1 "$(ep 198.19.6.1)" "$(ep 198.19.6.2 ready node-b)"
hc 200 || ag_fail "hcnp not 200 again"
as_api DELETE /api/v1/namespaces/t/services/lb >/dev/null
hc 000 || ag_fail "hcnp still open after the Service went"
echo ok
