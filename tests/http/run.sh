#!/bin/bash
# HTTP tier: the agent's /healthz, /livez, /metrics, /proxyMode and
# healthCheckNodePort servers, real sockets on 127.0.0.1 inside a fresh
# network namespace (unshare -n: its own loopback, so fixed ports collide with
# nothing and nothing leaves it; the namespace dies with the process). Without
# root the cases are reported as skipped.
set -u
cd "$(dirname "$0")/../.."
bin=build/tests/http_serve
if [ ! -x "$bin" ]; then
	echo "http: $bin is missing (make $bin)"
	echo "http: 0 passed, 1 failed"
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "http: 0 passed, 0 failed, 9 skipped (needs root for unshare -n)"
	exit 0
fi
# The whole tier is bounded: 120 s, whatever happens.
exec timeout 120 unshare -n sh -c 'ip link set lo up && exec python3 tests/http/test_http.py'
