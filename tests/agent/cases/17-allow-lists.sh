#!/bin/bash
# The allow-lists on `svcnft run` (CVE-2020-8554): with
# --external-ip-cidrs and --loadbalancer-ip-cidrs, an externalIP or a
# LoadBalancer ingress IP outside them is not programmed, the ones inside
# are, and /metrics counts the refused ones in svcnft_ips_refused per kind;
# the gauge falls back to 0 when the Service goes.
. "$(dirname "$0")/../lib.sh"
AG_OPTS+=(--external-ip-cidrs 198.51.100.0/24 --loadbalancer-ip-cidrs 192.0.2.128/25)
as_start || exit 1
node_api
svc_api ext 198.18.0.50 80 '"externalIPs":["198.51.100.50","203.0.113.50"]'
slice_api ext ext-1 "$(ep 198.19.7.1)"
as_api POST /api/v1/namespaces/t/services '{"metadata":{"name":"lb"},"spec":{"type":"LoadBalancer","clusterIP":"198.18.0.51","clusterIPs":["198.18.0.51"],"ports":[{"name":"http","port":80,"targetPort":8080,"nodePort":31051}]},"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.200"},{"ip":"203.0.113.51"}]}}}' >/dev/null
slice_api lb lb-1 "$(ep 198.19.7.2)"
ag_start
# the kernel equals `svcnft diff` with the same allow-lists
wait_current || ag_fail "not programmed"
rs=$(ruleset)
grep -q 198.51.100.50 <<<"$rs" || ag_fail "the allowed externalIP is missing"
grep -q 192.0.2.200 <<<"$rs" || ag_fail "the allowed LoadBalancer IP is missing"
grep -q 203.0.113.50 <<<"$rs" && ag_fail "the externalIP outside --external-ip-cidrs is programmed"
grep -q 203.0.113.51 <<<"$rs" && ag_fail "the LoadBalancer IP outside --loadbalancer-ip-cidrs is programmed"
grep -q '203.0.113.50.*--external-ip-cidrs' "$AG_LOG" || ag_fail "no warning names the refused externalIP"

# metric_is KIND VALUE: /metrics says VALUE for svcnft_ips_refused{IPv4,KIND}
metric_is() {
	local i m=$AS_DIR/metrics
	for i in $(seq 50); do
		curl -s -o "$m" --max-time 5 http://127.0.0.1:10249/metrics &&
			grep -qx "svcnft_ips_refused{ip_family=\"IPv4\",kind=\"$1\"} $2" "$m" && return 0
		sleep 0.2
	done
	echo "svcnft_ips_refused, want kind=$1 $2:"; grep svcnft_ips_refused "$m"
	return 1
}
metric_is external 1 || ag_fail "refused externalIPs not counted"
metric_is loadbalancer 1 || ag_fail "refused LoadBalancer IPs not counted"
python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import promparse; promparse.parse(open(sys.argv[2]).read())' \
	"$AS_ROOT/tests/http" "$AS_DIR/metrics" || ag_fail "/metrics does not parse"
as_api DELETE /api/v1/namespaces/t/services/ext >/dev/null
wait_current || ag_fail "not current after the delete"
metric_is external 0 || ag_fail "the gauge stays after the Service went"
metric_is loadbalancer 1 || ag_fail "the LoadBalancer count changed"
echo ok
