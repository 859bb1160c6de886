#!/bin/bash
# `make check`: every tier in order. Each tier prints its own
# "TIER: N passed, N failed[, N skipped]" line; the last line here adds them up.
# Kernel and traffic tiers need root (they work only inside network namespaces
# they create); without root they report their tests as skipped.
set -u
cd "$(dirname "$0")/.."
total_p=0 total_f=0 total_s=0 status=0
run_tier() {
	local name=$1; shift
	local log
	log=$(mktemp)
	"$@" 2>&1 | tee "$log"
	local rc=${PIPESTATUS[0]}
	local line
	line=$(grep -E '^[a-z-]+: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n1)
	rm -f "$log"
	if [ -z "$line" ]; then
		echo "check: tier $name printed no summary (exit $rc)"
		total_f=$((total_f + 1)); status=1; return
	fi
	local p f s
	p=$(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<<"$line")
	f=$(sed -E 's/.*passed, ([0-9]+) failed.*/\1/' <<<"$line")
	s=$(sed -nE 's/.*failed, ([0-9]+) skipped.*/\1/p' <<<"$line")
	total_p=$((total_p + p)); total_f=$((total_f + f)); total_s=$((total_s + ${s:-0}))
	if [ "$rc" -ne 0 ] || [ "$f" -ne 0 ]; then status=1; fi
}
UNIT_BINS=$(ls build/tests/test_* 2>/dev/null | grep -v '\.d$')
run_tier unit ./tests/run-unit.sh $UNIT_BINS
run_tier golden ./tests/golden.sh
# The API client against the test API server (127.0.0.1 only, no root).
run_tier apiserver ./tests/apiserver/run.sh
# The agent's HTTP surface on 127.0.0.1 inside its own network namespace.
run_tier http ./tests/http/run.sh
# deploy/ manifests through kubectl (offline) and svcnft's own readers.
run_tier deploy ./tests/deploy/run.sh
for tier in kernel traffic agent; do
	if [ -x "tests/$tier/run.sh" ]; then
		run_tier "$tier" "./tests/$tier/run.sh"
	fi
done
echo
echo "check: $total_p passed, $total_f failed, $total_s skipped"
exit $status
