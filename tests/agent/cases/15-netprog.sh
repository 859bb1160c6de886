#!/bin/bash
# kubeproxy_network_programming_duration_seconds: one observation per
# EndpointSlice change carrying endpoints.kubernetes.io/last-change-trigger-time,
# of (commit time - trigger time), made by the sync that commits the change
# (not by one the kernel refuses); changes without the annotation, or with a
# trigger time from before the agent started, are not observed.
. "$(dirname "$0")/../lib.sh"
as_start || exit 1
node_api
svc_api web 198.18.0.60
slice_api web web-1 "$(ep 198.19.8.1)"
export SVCNFT_TEST_REFUSE_ALL_FILE=$AS_DIR/refuse
ag_start --sync-period 1s
wait_current || ag_fail "not programmed"
# slice_trig TRIGGER-TIME ENDPOINT-IP: replace web-1, annotated
slice_trig() {
	as_api PUT /apis/discovery.k8s.io/v1/namespaces/t/endpointslices/web-1 \
		"$(slice_json web web-1 "$(ep "$2")" |
			sed "s/\"metadata\":{/\"metadata\":{\"annotations\":{\"endpoints.kubernetes.io\/last-change-trigger-time\":\"$1\"},/")" >/dev/null
}
# netprog: "count sum" of the IPv4 histogram, parsed
netprog() {
	curl -s --max-time 5 http://127.0.0.1:10249/metrics >"$AS_DIR/metrics" || return 1
	python3 - "$AS_ROOT/tests/http" "$AS_DIR/metrics" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import promparse
f = promparse.parse(open(sys.argv[2]).read())
n = promparse.value(f, "kubeproxy_network_programming_duration_seconds_count", ip_family="IPv4")
s = promparse.value(f, "kubeproxy_network_programming_duration_seconds_sum", ip_family="IPv4")
print(int(n or 0), s or 0)
PY
}
programmed() {
	local i
	for i in $(seq 50); do
		ruleset | grep -q "$1" && return 0
		sleep 0.2
	done
	return 1
}
sleep 1.2
[ "$(netprog | cut -d' ' -f1)" = 0 ] || ag_fail "observed before any annotated change: $(netprog)"

# a trigger time from before the agent started: not observed
slice_trig 2020-01-01T00:00:00Z 198.19.8.2
programmed 198.19.8.2 || ag_fail "change 1 not programmed"
# no annotation: not observed
slice_put web web-1 "$(ep 198.19.8.3)"
programmed 198.19.8.3 || ag_fail "change 2 not programmed"
sleep 0.5
[ "$(netprog | cut -d' ' -f1)" = 0 ] || ag_fail "observed a change it must not: $(netprog)"

# an annotated change, 1 s old when it arrives: observed once, about 1 s
slice_trig "$(date -u -d '-1 sec' +%Y-%m-%dT%H:%M:%S.%3NZ)" 198.19.8.4
programmed 198.19.8.4 || ag_fail "change 3 not programmed"
sleep 0.5
read -r n s < <(netprog)
[ "$n" = 1 ] || ag_fail "count $n after one annotated change, want 1"
python3 -c 'import sys; s = float(sys.argv[1]); sys.exit(0 if 1.0 <= s < 5 else 1)' "$s" ||
	ag_fail "sum $s s, want about 1 s"

# the kernel refuses the next change for 3 s: observed by the sync that
# commits it, once, with the whole wait in it
touch "$AS_DIR/refuse"
slice_trig "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" 198.19.8.5
wait_for "$AG_LOG" 'kernel refused the batch' 10 || ag_fail "the batch was not refused"
sleep 2
[ "$(netprog | cut -d' ' -f1)" = 1 ] || ag_fail "observed while refused: $(netprog)"
rm -f "$AS_DIR/refuse"
programmed 198.19.8.5 || ag_fail "change 4 not programmed once the kernel accepts"
sleep 0.5
read -r n s2 < <(netprog)
[ "$n" = 2 ] || ag_fail "count $n after the refused change committed, want 2"
python3 -c 'import sys; d = float(sys.argv[2]) - float(sys.argv[1]); sys.exit(0 if 2.0 <= d < 10 else 1)' "$s" "$s2" ||
	ag_fail "the refused change observed $s2 - $s s, want >= 2 s"
echo ok
