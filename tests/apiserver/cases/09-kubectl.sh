#!/bin/bash
# Fidelity: the installed kubectl is a client of the test server: discovery,
# get (with chunked lists, label and field selectors), create, label,
# delete (which then polls until the object is gone), and get --watch with
# event types.
# kube_watch watches at the same time and must see what kubectl did.
set -u
. "$(dirname "$0")/../lib.sh"
command -v kubectl >/dev/null || { echo "kubectl is not installed"; exit 77; }
trap as_cleanup EXIT
K() { timeout 20 kubectl --kubeconfig "$KUBECONFIG_FILE" --request-timeout=15s "$@"; }

as_start || fail "server"
svc default web
svc default hidden '{"service.kubernetes.io/headless":""}'
node n1; node n2
ns=svcnft-t$RANDOM
kw_start --resources services
wait_for "$KW_OUT" '^ALL SYNCED' 10 || fail "no sync"

out=$(K get services -A 2>&1) || fail "get -A: $out"
grep -qE '^default +web ' <<<"$out" || fail "get -A: $out"
# Pages of one object: kubectl follows the continue tokens.
out=$(K get services -A --chunk-size=1 -o name 2>&1) || fail "chunked get: $out"
[ "$(printf '%s\n' "$out" | sort | tr '\n' ' ')" = "service/hidden service/web " ] || fail "chunked get: $out"
grep -qE 'GET /api/v1/services\?continue=[^&]+&limit=1&[^ ]* 200' "$AS_DIR/requests.log" || fail "kubectl sent no continue"
out=$(K get services -A -l '!service.kubernetes.io/headless' -o name 2>&1)
[ "$out" = "service/web" ] || fail "label selector: $out"
out=$(K get nodes --field-selector metadata.name=n2 -o name 2>&1)
[ "$out" = "node/n2" ] || fail "field selector: $out"

K get services -n "$ns" --watch --output-watch-events -o json >"$AS_DIR/kubectl-watch.out" 2>&1 &
kpid=$!
wait_for "$AS_DIR/requests.log" "^GET /api/v1/namespaces/$ns/services\?[^ ]*watch=true" 10 || fail "kubectl watch"

cat >"$AS_DIR/svc.yaml" <<EOY
apiVersion: v1
kind: Service
metadata: {name: made, namespace: $ns}
spec: {clusterIP: 198.18.0.44, ports: [{port: 80}]}
EOY
# kubectl's client-side validation needs openapi, which the server lacks.
out=$(K create --validate=false -f "$AS_DIR/svc.yaml" 2>&1) || fail "create: $out"
[ "$out" = "service/made created" ] || fail "create: $out"
out=$(K label service -n "$ns" made tier=web 2>&1) || fail "label: $out"
out=$(K get service -n "$ns" made -o jsonpath='{.metadata.labels.tier}' 2>&1)
[ "$out" = "web" ] || fail "label not stored: $out"
out=$(K delete service -n "$ns" made 2>&1) || fail "delete: $out"
[ "$out" = 'service "made" deleted' ] || fail "delete: $out"
out=$(K get service -n "$ns" made 2>&1) && fail "still there: $out"
grep -q 'NotFound' <<<"$out" || fail "get after delete: $out"

wait_for "$AS_DIR/kubectl-watch.out" '"type": ?"DELETED"' 10 || fail "kubectl watch: no DELETED"
kill "$kpid" 2>/dev/null; wait "$kpid" 2>/dev/null
types=$(grep -oE '"type": ?"[A-Z]+"' "$AS_DIR/kubectl-watch.out" | tr -d ' ' | tr '\n' ' ')
[ "$types" = '"type":"ADDED" "type":"MODIFIED" "type":"DELETED" ' ] || fail "kubectl watch types: $types"

wait_for "$KW_OUT" "^services DELETED $ns/made" 10 || fail "kube_watch did not see kubectl's changes"
expect_events services "services ADDED default/web list
services SYNCED
services ADDED $ns/made
services MODIFIED $ns/made
services DELETED $ns/made"
exit 0
