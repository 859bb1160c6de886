#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/agent-latency.sh [SERVICES [CHANGES]]: `svcnft run` at scale, in a
# throw-away network namespace (unshare -n) against the test API server
# (tests/apiserver/apiserver.py) seeded with SERVICES Services (default
# 10000) of one EndpointSlice of 10 endpoints each. Prints:
#   - the time from the agent's start to its first full sync committed
#     (its own log's timestamps: "starting" to the first "synced" line);
#   - event -> commit latency over CHANGES (default 100) EndpointSlice
#     updates made one at a time: the agent logs, per sync, latency_ms from
#     the watch event's arrival (decoded into the store) to the end of the
#     sync (batch committed, health, metrics and healthCheckNodePort
#     bookkeeping done); median and p99;
#   - the agent's peak RSS (VmHWM).
# The Python server bounds the start figure at large sizes: it serializes
# the whole list page by page in one thread (the "list" line shows it).
# Root only (network namespace). Every process is stopped on exit.
set -u
cd "$(dirname "$0")/.."
if [ "${1:-}" != --inner ]; then
	[ "$(id -u)" -eq 0 ] || { echo "bench/agent-latency.sh: needs root (unshare -n)"; exit 1; }
	[ -x ./svcnft ] || { echo "build ./svcnft first (make)"; exit 1; }
	exec timeout -k 5 1800 unshare -n bash -c 'ip link set lo up && exec bash "$0" --inner "$@"' \
		"$0" "$@"
fi
shift
N=${1:-10000} CH=${2:-100}
. tests/agent/lib.sh
AG_OPTS=(--node-name n1 --service-cidr 198.18.0.0/16 --cluster-cidr 198.19.0.0/16)
unset SVCNFT_TEST_BACKOFF_MS
as_start --max-seconds 1800 || exit 1
# one locked step in the server: at 44,000 it takes longer than as_admin waits
curl -sS --max-time 600 --cacert "$AS_DIR/ca.crt" "$AS_URL/_admin/seed?services=$N&eps=10&ns=seed" >/dev/null ||
	ag_fail "seeding failed"
t0=$(date +%s%N)
ag_start --v 0
wait_for "$AG_LOG" '"synced"' 900 1 >/dev/null || ag_fail "no first sync"
wall_ms=$((($(date +%s%N) - t0) / 1000000))
# klog time of day in ms
ts() { sed -E 's/^[IWE][0-9]{4} ([0-9]+):([0-9]+):([0-9]+)\.([0-9]{3}).*/\1 \2 \3 \4/' | awk '{print (($1*60+$2)*60+$3)*1000+$4}'; }
start_ms=$(grep -m1 '"starting"' "$AG_LOG" | ts)
first=$(grep -m1 '"synced"' "$AG_LOG")
first_ms=$(echo "$first" | ts)
listed_ms=$(grep -m1 '"api synced"' "$AG_LOG" | ts)
echo "services=$N endpoints_per_service=10; the agent listed: $(grep -m1 '"api synced"' "$AG_LOG" | grep -oE 'services=[0-9]+ endpointslices=[0-9]+')"
echo "start -> first full sync: $((first_ms - start_ms)) ms (lists done after $((listed_ms - start_ms)) ms; wall incl. exec $wall_ms ms)"
echo "first sync: $(echo "$first" | grep -oE 'elapsed_ms=[0-9.]+ prepare_ms=[0-9.]+ read_ms=[0-9.]+ compile_ms=[0-9.]+ commit_ms=[0-9.]+ post_ms=[0-9.]+|messages=[0-9]+ bytes=[0-9]+' | tr '\n' ' ')"

# one change at a time: endpoint k of Service svc-i moves
lat=$AS_DIR/latency
: >"$lat"
for c in $(seq "$CH"); do
	i=$(( (c * 7919) % N ))
	eps=""
	for k in 0 1 2 3 4 5 6 7 8 9; do
		b=$((i * 10 + k))
		a="198.19.$((b / 250 % 250)).$((b % 250 + 1))"
		[ "$k" -eq 0 ] && a="198.18.250.$((c % 250 + 1))"
		eps="$eps${eps:+,}{\"addresses\":[\"$a\"],\"conditions\":{\"ready\":true,\"serving\":true,\"terminating\":false},\"nodeName\":\"n1\"}"
	done
	n=$(syncs)
	as_api PUT "/apis/discovery.k8s.io/v1/namespaces/seed/endpointslices/svc-$i-abcde" \
		"{\"apiVersion\":\"discovery.k8s.io/v1\",\"kind\":\"EndpointSlice\",\"metadata\":{\"name\":\"svc-$i-abcde\",\"namespace\":\"seed\",\"labels\":{\"kubernetes.io/service-name\":\"svc-$i\"}},\"addressType\":\"IPv4\",\"ports\":[{\"name\":\"http\",\"port\":8080,\"protocol\":\"TCP\"}],\"endpoints\":[$eps]}" >/dev/null
	for w in $(seq 3000); do
		[ "$(syncs)" -gt "$n" ] && break
		sleep 0.01
	done
	grep '"synced"' "$AG_LOG" | sed -n "$((n + 1))p" |
		sed -nE 's/.*elapsed_ms=([0-9.]+) .*latency_ms=([0-9.]+) queued_ms=([0-9.]+).*/\2 \3 \1/p' >>"$lat"
done
python3 - "$lat" <<'PY'
import statistics, sys
rows = [[float(f) for f in x.split()] for x in open(sys.argv[1]) if x.strip()]
if not rows:
    sys.exit("no latencies")
def p99(v):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(0.99 * len(v) + 0.5)) - 1)]
lat, queued, sync = ([r[i] for r in rows] for i in range(3))
print("event -> commit over %d changes: median %.1f ms, p99 %.1f ms, max %.1f ms"
      % (len(lat), statistics.median(lat), p99(lat), max(lat)))
print("  of which waiting for the sync to start: median %.1f ms, p99 %.1f ms; the sync itself: median %.1f ms, p99 %.1f ms"
      % (statistics.median(queued), p99(queued), statistics.median(sync), p99(sync)))
PY
echo "partial sync (last): $(grep '"synced"' "$AG_LOG" | tail -n1 | grep -oE 'elapsed_ms=[0-9.]+ prepare_ms=[0-9.]+ read_ms=[0-9.]+ compile_ms=[0-9.]+ commit_ms=[0-9.]+ post_ms=[0-9.]+|elements=[^ ]+ messages=[0-9]+' | tr '\n' ' ')"
echo "RSS: $(grep -m1 '"sources synced"' "$AG_LOG" | grep -oE 'rss_mb=[0-9.]+') after the lists," \
	"$(grep -m1 '"synced"' "$AG_LOG" | grep -oE 'rss_mb=[0-9.]+') after the first sync;" \
	"peak (VmHWM) $(grep VmHWM "/proc/$AG_PID/status" | awk '{printf "%.1f MB", $2/1024}')"
