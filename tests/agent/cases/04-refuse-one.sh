#!/bin/bash
# A kernel refusal caused by one Service (the test hook makes the kernel
# refuse its objects) leaves the other Services programmed and current,
# and the refused one is reported by name.
. "$(dirname "$0")/../lib.sh"
as_start || exit 1
node_api
svc_api good 198.18.0.30
slice_api good good-1 "$(ep 198.19.5.1)"
svc_api bad 198.18.0.31
slice_api bad bad-1 "$(ep 198.19.5.2)"
SVCNFT_TEST_REFUSE_SERVICE=t/bad ag_start
wait_syncs 1 || ag_fail "no sync"
wait_for "$AG_LOG" 'Service isolated.*service=t/bad' 10 || ag_fail "t/bad not reported"
ruleset | grep -q 198.18.0.30 || ag_fail "t/good not programmed"
ruleset | grep -q 198.18.0.31 && ag_fail "t/bad programmed"
# t/good keeps following the API
slice_put good good-1 "$(ep 198.19.5.3)"
for i in $(seq 50); do
	ruleset | grep -q 198.19.5.3 && break
	sleep 0.2
done
ruleset | grep -q 198.19.5.3 || ag_fail "t/good's change not programmed"
ruleset | grep -q 198.19.5.1 && ag_fail "t/good's old endpoint stays"
# everything but t/bad is what a fresh compile gives
api_objects | python3 -c '
import json, sys
l = json.load(sys.stdin)
l["items"] = [i for i in l["items"] if i["metadata"]["name"] not in ("bad", "bad-1")]
print(json.dumps(l))' >"$AS_DIR/good.json"
timeout 30 "$SVCNFT" diff "${AG_OPTS[@]}" -f "$AS_DIR/good.json" >"$AS_DIR/diff.out" 2>&1 ||
	{ cat "$AS_DIR/diff.out"; ag_fail "the kernel differs from the API's objects without t/bad"; }
curl -s --max-time 5 http://127.0.0.1:10249/metrics |
	grep -qE '^svcnft_services_isolated\{ip_family="IPv4"\} 1$' || ag_fail "svcnft_services_isolated is not 1"
curl -s --max-time 5 http://127.0.0.1:10249/metrics |
	grep -qE '^kubeproxy_sync_proxy_rules_nftables_sync_failures_total\{ip_family="IPv4"\} [1-9]' ||
	ag_fail "the refusal is not counted"
echo ok
