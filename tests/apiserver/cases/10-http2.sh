#!/bin/bash
# HTTP/2: behind an HTTP/2 front (nghttpx, as kube-apiserver speaks h2),
# the three watches (Services, EndpointSlices, the Node) are streams of ONE
# connection, events flow, and a cut resumes on it.
set -u
. "$(dirname "$0")/../lib.sh"
command -v nghttpx >/dev/null || { echo "nghttpx (nghttp2-proxy) is not installed"; exit 77; }
trap as_cleanup EXIT

as_start || fail "server"
svc default web
node n1
H2_PORT=$(free_port)
# The front checks the back's certificate by the name in it.
nghttpx --conf=/dev/null --workers=1 --no-ocsp \
	--frontend="127.0.0.1,$H2_PORT" \
	--backend="127.0.0.1,$AS_PORT;;tls;sni=kubernetes.default" --cacert="$AS_DIR/ca.crt" \
	--backend-read-timeout=700s --frontend-read-timeout=700s --stream-read-timeout=0 \
	--accesslog-file="$AS_DIR/h2.log" --errorlog-file="$AS_DIR/h2err.log" \
	"$AS_DIR/srv.key" "$AS_DIR/srv.crt" >/dev/null 2>&1 &
EXTRA_PIDS=$!
for i in $(seq 50); do
	curl -s --max-time 1 --cacert "$AS_DIR/ca.crt" "https://127.0.0.1:$H2_PORT/version" >/dev/null && break
	sleep 0.1
done
sed "s#server: .*#server: https://127.0.0.1:$H2_PORT#" "$KUBECONFIG_FILE" >"$AS_DIR/h2kc"
KUBECONFIG_FILE=$AS_DIR/h2kc
kw_start --node n1
wait_for "$KW_OUT" '^ALL SYNCED' 10 || fail "no sync through HTTP/2"
wait_for "$AS_DIR/requests.log" 'watch=1' 10 3 || fail "three watches"
sleep 0.5
conns=$(ss -tnpH state established "( dport = :$H2_PORT )" | grep -c "pid=$KW_PID,")
[ "$conns" -eq 1 ] || fail "$conns connections to the HTTP/2 front, want 1: $(ss -tnp | grep kube_watch)"
[ "$(grep -c 'limit=500.* HTTP/2" 200' "$AS_DIR/h2.log")" -eq 3 ] || fail "lists not over HTTP/2"

svc default api
wait_for "$KW_OUT" '^services ADDED default/api' 10 || fail "event over HTTP/2"
sleep 1
as_admin drop
svc default after
wait_for "$KW_OUT" '^services ADDED default/after' 10 || fail "event after a cut stream"
conns=$(ss -tnpH state established "( dport = :$H2_PORT )" | grep -c "pid=$KW_PID,")
[ "$conns" -eq 1 ] || fail "$conns connections after the re-watch, want 1"
# The front logs a stream when it ends: the three cut watches were HTTP/2.
wait_for "$AS_DIR/h2.log" 'watch=1.* HTTP/2" 200' 5 3 || fail "watches not over HTTP/2"
exit 0
