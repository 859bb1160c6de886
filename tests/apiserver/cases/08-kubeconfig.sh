#!/bin/bash
# Configuration against a live server: inline CA data, JSON kubeconfig,
# tls-server-name (the certificate is checked against that name), a wrong CA
# refused (TLS always verified), --master over the kubeconfig's server,
# in-cluster environment; exec and insecure-skip-tls-verify refused with the
# file, line:col and field.
set -u
. "$(dirname "$0")/../lib.sh"
trap as_cleanup EXIT

as_start || fail "server"
svc default a

sync_with() {	# sync_with NAME ARGS...: the client syncs with these args
	local name=$1; shift
	KW_OUT=$AS_DIR/$name.out
	"$KUBE_WATCH" --resources services --exit-after-sync --duration 8 "$@" >"$KW_OUT" 2>&1
	grep -q '^services ADDED default/a' "$KW_OUT" && grep -q '^ALL SYNCED' "$KW_OUT" ||
		fail "$name: no sync"
}
no_sync() {	# no_sync NAME REGEX ARGS...: no sync, and REGEX in the output
	local name=$1 re=$2; shift 2
	KW_OUT=$AS_DIR/$name.out
	"$KUBE_WATCH" --resources services --exit-after-sync --duration 3 "$@" >"$KW_OUT" 2>&1
	grep -q SYNCED "$KW_OUT" && fail "$name: synced"
	grep -qE -- "$re" "$KW_OUT" || fail "$name: no /$re/"
}

ca64=$(base64 -w0 "$AS_DIR/ca.crt")
as_kubeconfig "$AS_DIR/inline" "token: $TOKEN" "    certificate-authority-data: $ca64"
sed -i '/certificate-authority: /d' "$AS_DIR/inline"
sync_with inline --kubeconfig "$AS_DIR/inline"

python3 -c 'import json,sys; import re
# A JSON kubeconfig, as `kubectl config view --raw -o json` writes them.
print(json.dumps({"apiVersion":"v1","kind":"Config","current-context":"c",
 "clusters":[{"name":"k","cluster":{"server":sys.argv[1],"certificate-authority":sys.argv[2]}}],
 "users":[{"name":"u","user":{"token":sys.argv[3]}}],
 "contexts":[{"name":"c","context":{"cluster":"k","user":"u"}}]}))' \
	"$AS_URL" "$AS_DIR/ca.crt" "$TOKEN" >"$AS_DIR/kc.json"
sync_with json --kubeconfig "$AS_DIR/kc.json"

as_kubeconfig "$AS_DIR/sni" "token: $TOKEN" "    tls-server-name: kubernetes.default"
sync_with sni --kubeconfig "$AS_DIR/sni"
as_kubeconfig "$AS_DIR/sni-bad" "token: $TOKEN" "    tls-server-name: wrong.example"
no_sync sni-bad 'backoff [0-9.]+s: SSL peer certificate' --kubeconfig "$AS_DIR/sni-bad"

# Another CA: the server's certificate must not be accepted.
mkdir "$AS_DIR/other" && as_certs "$AS_DIR/other"
as_kubeconfig "$AS_DIR/badca" "token: $TOKEN"
sed -i "s#certificate-authority: .*#certificate-authority: $AS_DIR/other/ca.crt#" "$AS_DIR/badca"
no_sync badca 'backoff [0-9.]+s: SSL peer certificate' --kubeconfig "$AS_DIR/badca"

# --master replaces the kubeconfig's server (here a closed port).
as_kubeconfig "$AS_DIR/master" "token: $TOKEN"
sed -i "s#server: .*#server: https://127.0.0.1:1#" "$AS_DIR/master"
no_sync closed-port "backoff [0-9.]+s: Couldn't connect" --kubeconfig "$AS_DIR/master"
sync_with master --kubeconfig "$AS_DIR/master" --master "$AS_URL"

# In-cluster: the environment and the service-account folder.
mkdir "$AS_DIR/sa" && cp "$AS_DIR/ca.crt" "$AS_DIR/sa/ca.crt" && echo "$TOKEN" >"$AS_DIR/sa/token"
KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT=$AS_PORT sync_with incluster --sa-dir "$AS_DIR/sa"
grep -q "^# server https://127.0.0.1:$AS_PORT (in-cluster)" "$KW_OUT" || fail "in-cluster server"
(unset KUBERNETES_SERVICE_HOST; no_sync not-in-cluster 'KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must both be set' --sa-dir "$AS_DIR/sa")

# Refusals name the file, line:col and field, and exit 1 at once.
as_kubeconfig "$AS_DIR/exec" "exec: {command: aws, apiVersion: client.authentication.k8s.io/v1}"
"$KUBE_WATCH" --kubeconfig "$AS_DIR/exec" >"$AS_DIR/exec.out" 2>&1 && fail "exec accepted"
grep -qE "^$AS_DIR/exec:1[0-9]:[0-9]+: error: users\[0\]\.user\.exec: refused" "$AS_DIR/exec.out" ||
	fail "exec refusal: $(cat "$AS_DIR/exec.out")"
as_kubeconfig "$AS_DIR/insecure" "token: $TOKEN" "    insecure-skip-tls-verify: true"
"$KUBE_WATCH" --kubeconfig "$AS_DIR/insecure" >"$AS_DIR/insecure.out" 2>&1 && fail "insecure accepted"
grep -qE "^$AS_DIR/insecure:[0-9]+:[0-9]+: error: clusters\[0\]\.cluster\.insecure-skip-tls-verify: refused" \
	"$AS_DIR/insecure.out" || fail "insecure refusal: $(cat "$AS_DIR/insecure.out")"
exit 0
