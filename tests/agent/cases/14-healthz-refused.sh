#!/bin/bash
# The kernel refusing every batch in a way no single Service explains
# (test hook: while $SVCNFT_TEST_REFUSE_ALL_FILE exists each batch carries
# one message of no Service that the kernel refuses): the queued change
# stays unprogrammed, /healthz turns 503 within about 2 x --sync-period
# (kube-proxy's healthTimeout), /livez too (it ignores only node
# eligibility), and both are 200 again once the kernel accepts.
. "$(dirname "$0")/../lib.sh"
as_start || exit 1
node_api
svc_api web 198.18.0.50
slice_api web web-1 "$(ep 198.19.7.1)"
export SVCNFT_TEST_REFUSE_ALL_FILE=$AS_DIR/refuse
ag_start --sync-period 1s
wait_current || ag_fail "not programmed"
code() { curl -s -o "$AS_DIR/body" -w '%{http_code}' --max-time 5 "$1"; }
# want CODE URL SECONDS: until URL answers CODE (polled every 0.2 s)
want() {
	local i got end=$((SECONDS + $3))
	while [ "$SECONDS" -le "$end" ]; do
		got=$(code "$2")
		[ "$got" = "$1" ] && return 0
		sleep 0.2
	done
	echo "$2: $got, want $1; body: $(cat "$AS_DIR/body")"
	return 1
}
[ "$(code http://127.0.0.1:10256/healthz)" = 200 ] || ag_fail "/healthz not 200 at first"
[ "$(code http://127.0.0.1:10256/livez)" = 200 ] || ag_fail "/livez not 200 at first"

touch "$AS_DIR/refuse"
t0=$(date +%s%N)
slice_put web web-1 "$(ep 198.19.7.2)"
wait_for "$AG_LOG" 'kernel refused the batch' 10 || ag_fail "the batch was not refused"
grep -q 'Service isolated' "$AG_LOG" && ag_fail "a Service was isolated: the refusal must be whole"
# still healthy right after the refusal: the change is younger than 2 s
[ "$(code http://127.0.0.1:10256/healthz)" = 200 ] || ag_fail "/healthz 503 before the timeout"
want 503 http://127.0.0.1:10256/healthz 6 || ag_fail "/healthz did not turn 503"
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -ge 1800 ] || ag_fail "/healthz 503 after $ms ms, before 2 x sync-period"
grep -q '"healthy":false' "$AS_DIR/body" || ag_fail "/healthz body: $(cat "$AS_DIR/body")"
grep -q '"nodeEligible":true' "$AS_DIR/body" || ag_fail "/healthz blames the node: $(cat "$AS_DIR/body")"
[ "$(code http://127.0.0.1:10256/livez)" = 503 ] || ag_fail "/livez not 503 with syncs failing"
ruleset | grep -q 198.19.7.2 && ag_fail "the refused change is in the kernel"
ruleset | grep -q 198.19.7.1 || ag_fail "the old rules went"
# the retries keep failing, and are counted
sleep 2
curl -s --max-time 5 http://127.0.0.1:10249/metrics >"$AS_DIR/metrics"
python3 - "$AS_ROOT/tests/http" "$AS_DIR/metrics" <<'PY' || ag_fail "failures not counted"
import sys
sys.path.insert(0, sys.argv[1])
import promparse
fams = promparse.parse(open(sys.argv[2]).read())
v = promparse.value(fams, "kubeproxy_sync_proxy_rules_nftables_sync_failures_total", ip_family="IPv4")
print("failures:", v)
sys.exit(0 if v is not None and v >= 2 else 1)
PY

rm -f "$AS_DIR/refuse"
want 200 http://127.0.0.1:10256/healthz 6 || ag_fail "/healthz not 200 once the kernel accepts"
grep -q '"healthy":true' "$AS_DIR/body" || ag_fail "/healthz body: $(cat "$AS_DIR/body")"
[ "$(code http://127.0.0.1:10256/livez)" = 200 ] || ag_fail "/livez not 200 once the kernel accepts"
ruleset | grep -q 198.19.7.2 || ag_fail "the change was not programmed after the kernel accepted"
echo ok
