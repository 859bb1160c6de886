#!/bin/bash
# `make check`: every tier in order. Each tier prints its own
# "TIER: N passed, N failed[, N skipped]" line; the last line here adds them up.
# Kernel and traffic tiers need root (they work only inside network namespaces
# they create); without root they report their tests as skipped.
set -u
cd "$(dirname "$0")/.."
total_p=0 total_f=0 total_s=0 status=0
TIER_PIDS=()
run_tier() {
	local name=$1; shift
	local log pid rc
	log=$(mktemp)
	# In the background, so that its PID is known: the kernel, faults and
	# traffic tiers name their namespaces after it (leftover check below).
	"$@" >"$log" 2>&1 &
	pid=$!
	TIER_PIDS+=("$pid")
	tail -n +1 -s 0.2 --pid="$pid" -f "$log"
	wait "$pid"
	rc=$?
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
# ---- leftovers: no test may leave a process or a namespace behind ----
# Scoped to this run: other people's tests run on the same machine. A
# process is ours when it is in this script's process group (tests never
# start their own; `ip netns exec` and `&` keep the group), whatever its
# name (nft monitor, svcnft run, python3 apiserver...). A namespace is ours
# when it appeared during the run and a process of ours is in it, or its
# name carries the PID of one of our tiers (svcnft-test-PID-N,
# svcnft-fault-PID-N, svcnft-tr-PID-...).
MYPGID=$(ps -o pgid= -p $$ | tr -d ' ')
ancestors() { # the PIDs from $$ up to init: they share the group legitimately
	local p=$$
	while [ -n "$p" ] && [ "$p" -gt 1 ]; do
		echo "$p"
		p=$(ps -o ppid= -p "$p" | tr -d ' ')
	done
}
group_procs() { # GROUP_PROCS: "PID ARGS" lines, our group but us and our ancestors
	local keep list pid pgid ppid args
	keep=" $(ancestors | tr '\n' ' ') "
	list=$(ps -e -o pid=,pgid=,ppid=,args=)
	GROUP_PROCS=""
	while read -r pid pgid ppid args; do
		[ "$pgid" = "$MYPGID" ] || continue
		[[ $keep == *" $pid "* ]] && continue
		# what took the snapshot: the command substitution and ps
		[ "$ppid" = $$ ] && continue
		[[ $args == "ps -e -o pid=,pgid=,ppid=,args="* ]] && continue
		GROUP_PROCS+="$pid $args"$'\n'
	done <<<"$list"
}
NETNS_BEFORE=$(ip netns list 2>/dev/null | awk '{print $1}' | sort)
group_procs
PROCS_BEFORE=$(awk '{print $1}' <<<"$GROUP_PROCS")

UNIT_BINS=$(ls build/tests/test_* 2>/dev/null | grep -v '\.d$')
run_tier unit ./tests/run-unit.sh $UNIT_BINS
run_tier golden ./tests/golden.sh
# The API client against the test API server (127.0.0.1 only, no root).
run_tier apiserver ./tests/apiserver/run.sh
# The agent's HTTP surface on 127.0.0.1 inside its own network namespace.
run_tier http ./tests/http/run.sh
# deploy/ manifests through kubectl (offline) and svcnft's own readers.
run_tier deploy ./tests/deploy/run.sh
for tier in kernel faults traffic agent; do
	if [ -x "tests/$tier/run.sh" ]; then
		run_tier "$tier" "./tests/$tier/run.sh"
	fi
done

leftover=0
sleep 1	# a process killed by a test's trap may take a moment to go
group_procs
while read -r pid args; do
	[ -n "$pid" ] || continue
	grep -qx "$pid" <<<"$PROCS_BEFORE" && continue
	echo "check: a test left process $pid running: $args"
	leftover=$((leftover + 1))
done <<<"$GROUP_PROCS"
for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | sort); do
	grep -qx "$ns" <<<"$NETNS_BEFORE" && continue
	mine=0
	for p in "${TIER_PIDS[@]}"; do [[ $ns == *"-$p-"* ]] && mine=1; done
	for p in $(ip netns pids "$ns" 2>/dev/null); do
		[ "$(ps -o pgid= -p "$p" | tr -d ' ')" = "$MYPGID" ] && mine=1
	done
	[ $mine -eq 1 ] || continue
	echo "check: a test left network namespace $ns behind"
	leftover=$((leftover + 1))
done
if [ $leftover -gt 0 ]; then
	echo "check: $leftover leftover process(es)/namespace(s): failing"
	total_f=$((total_f + 1)); status=1
fi
echo
echo "check: $total_p passed, $total_f failed, $total_s skipped"
exit $status
