#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Shared helpers of the API client tests: a throw-away CA and server
# certificate, the test API server on 127.0.0.1, a kubeconfig for it, the
# kube_watch client, and bounded waits. Every process started here is
# stopped by as_cleanup, which the caller traps on EXIT.
AS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
AS_PY="$AS_ROOT/tests/apiserver/apiserver.py"
KUBE_WATCH=${KUBE_WATCH:-$AS_ROOT/build/tests/kube_watch}	# override: an ASan build
AS_PID="" KW_PID="" AS_DIR="" EXTRA_PIDS=""

as_cleanup() {
	[ -n "$KW_PID" ] && kill "$KW_PID" 2>/dev/null && wait "$KW_PID" 2>/dev/null
	[ -n "$AS_PID" ] && kill "$AS_PID" 2>/dev/null && wait "$AS_PID" 2>/dev/null
	local p
	for p in $EXTRA_PIDS; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	KW_PID="" AS_PID="" EXTRA_PIDS=""
	[ -n "$AS_DIR" ] && rm -rf "$AS_DIR"
	AS_DIR=""
}

# Certificates: a CA, and a server certificate for 127.0.0.1 and
# kubernetes.default (the tls-server-name test); EC keys are fast to make.
as_certs() {
	local d=$1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$d/ca.key" -out "$d/ca.crt" -days 1 -subj /CN=svcnft-test-ca 2>/dev/null &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$d/srv.key" -out "$d/srv.csr" -subj /CN=kube-apiserver 2>/dev/null &&
	printf 'subjectAltName=IP:127.0.0.1,DNS:kubernetes.default\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$d/ext" &&
	openssl x509 -req -in "$d/srv.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
		-out "$d/srv.crt" -days 1 -extfile "$d/ext" 2>/dev/null
}

# as_start [apiserver args...]: sets AS_DIR, AS_PORT, AS_URL, TOKEN, KUBECONFIG_FILE.
as_start() {
	AS_DIR=$(mktemp -d /tmp/svcnft-apiserver.XXXXXX)
	as_certs "$AS_DIR" || { echo "openssl failed"; return 1; }
	TOKEN=tok-$RANDOM$RANDOM
	echo "$TOKEN" >"$AS_DIR/token"
	as_run "$@"
}

# as_run [apiserver args...]: start the server in AS_DIR (again).
as_run() {
	rm -f "$AS_DIR/port"
	python3 "$AS_PY" --cert "$AS_DIR/srv.crt" --key "$AS_DIR/srv.key" \
		--token-file "$AS_DIR/token" --port-file "$AS_DIR/port" \
		--log "$AS_DIR/requests.log" --max-seconds 300 "$@" \
		>>"$AS_DIR/server.out" 2>&1 &
	AS_PID=$!
	local i
	for i in $(seq 100); do
		[ -s "$AS_DIR/port" ] && break
		sleep 0.1
	done
	[ -s "$AS_DIR/port" ] || { echo "apiserver did not start:"; cat "$AS_DIR/server.out"; return 1; }
	AS_PORT=$(cat "$AS_DIR/port")
	AS_URL=https://127.0.0.1:$AS_PORT
	KUBECONFIG_FILE=$AS_DIR/kubeconfig
	[ -f "$KUBECONFIG_FILE" ] || as_kubeconfig "$KUBECONFIG_FILE" "token: $TOKEN"
}

# as_kill: stop the server (its state is lost; as_run --port $AS_PORT
# starts a fresh one in its place).
as_kill() {
	[ -n "$AS_PID" ] && kill "$AS_PID" 2>/dev/null && wait "$AS_PID" 2>/dev/null
	AS_PID=""
}

# check_backoffs FILE N: the client's backoff waits, in order, must be the
# first N of client-go's [0.8,1.6) [1.6,3.2) [3.2,6.4) ... s.
check_backoffs() {
	local waits i=0 lo=800 w
	waits=$(grep -oE '^# [a-z]+: backoff [0-9]+\.[0-9]{3}s' "$1" | sed -E 's/.* ([0-9]+)\.([0-9]{3})s/\1\2/; s/^0+([0-9])/\1/')
	for w in $waits; do
		[ "$w" -ge "$lo" ] && [ "$w" -lt $((2 * lo)) ] || fail "backoff $((i + 1)): ${w} ms, want [$lo, $((2 * lo)))"
		i=$((i + 1)); lo=$((lo * 2))
	done
	[ "$i" -eq "$2" ] || fail "$i backoffs, want $2"
}

# as_kubeconfig FILE USER-FIELDS [CLUSTER-EXTRA]
as_kubeconfig() {
	cat >"$1" <<EOK
apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: $AS_URL
    certificate-authority: $AS_DIR/ca.crt
${3:-}
users:
- name: test
  user:
    $2
contexts:
- name: test
  context: {cluster: test, user: test}
current-context: test
EOK
}

# A free TCP port on 127.0.0.1.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

as_admin() {
	curl -sS --max-time 5 --cacert "$AS_DIR/ca.crt" "$AS_URL/_admin/$1" >/dev/null
}

# as_api METHOD PATH [JSON]
as_api() {
	if [ $# -ge 3 ]; then
		curl -sS --max-time 5 --cacert "$AS_DIR/ca.crt" -H "Authorization: Bearer $TOKEN" \
			-H 'Content-Type: application/json' -X "$1" --data "$3" "$AS_URL$2"
	else
		curl -sS --max-time 5 --cacert "$AS_DIR/ca.crt" -H "Authorization: Bearer $TOKEN" \
			-X "$1" "$AS_URL$2"
	fi
}

# svc NS NAME [LABELS-JSON]: create a Service.
svc() {
	as_api POST "/api/v1/namespaces/$1/services" \
		"{\"metadata\":{\"name\":\"$2\",\"labels\":${3:-{\}}},\"spec\":{\"clusterIP\":\"198.18.0.10\",\"ports\":[{\"port\":80}]}}" >/dev/null
}
svc_del() {
	as_api DELETE "/api/v1/namespaces/$1/services/$2" >/dev/null
}
node() {
	as_api POST /api/v1/nodes "{\"metadata\":{\"name\":\"$1\"}}" >/dev/null
}

# kw_start [kube_watch args...]: the client in the background, output in $KW_OUT.
kw_start() {
	KW_OUT=$AS_DIR/kw.out
	"$KUBE_WATCH" --kubeconfig "$KUBECONFIG_FILE" --duration 60 "$@" >"$KW_OUT" 2>&1 &
	KW_PID=$!
}
kw_stop() {
	[ -n "$KW_PID" ] && kill "$KW_PID" 2>/dev/null && wait "$KW_PID" 2>/dev/null
	KW_PID=""
}

# wait_for FILE REGEX [SECONDS [COUNT]]: until REGEX matches COUNT lines.
wait_for() {
	local f=$1 re=$2 t=${3:-10} n=${4:-1} i
	for i in $(seq $((t * 10))); do
		[ "$(grep -cE -- "$re" "$f" 2>/dev/null)" -ge "$n" ] && return 0
		sleep 0.1
	done
	echo "timed out after ${t}s waiting for /$re/ x$n in $f:"
	tail -n 30 "$f"
	return 1
}

fail() {
	echo "FAIL: $*"
	[ -n "${KW_OUT:-}" ] && [ -f "$KW_OUT" ] && { echo "--- client:"; tail -n 40 "$KW_OUT"; }
	[ -n "$AS_DIR" ] && [ -f "$AS_DIR/requests.log" ] && { echo "--- requests:"; tail -n 20 "$AS_DIR/requests.log"; }
	exit 1
}

# The client's event lines (not its log), optionally for one resource.
events() {
	grep -v '^#' "$KW_OUT" | grep -E "^${1:-[a-z]+} " || true
}

# expect_events RESOURCE EXPECTED: the event lines, rv stripped, must be
# exactly EXPECTED (one per line).
expect_events() {
	local got
	got=$(events "$1" | sed -E 's/ rv=[0-9]+//; s/ n=[0-9]+//')
	if [ "$got" != "$2" ]; then
		echo "--- expected:"; printf '%s\n' "$2"
		echo "--- got:"; printf '%s\n' "$got"
		fail "events of $1 differ"
	fi
}
