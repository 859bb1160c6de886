#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Faults tier (issue 11): what svcnft does when the kernel's answers are lost,
# when the kernel refuses one element in the middle of a batch, when stdout
# is closed or full, and without CAP_NET_ADMIN. Each test works in its own
# throw-away network namespace (svcnft-fault-PID-N), removed on every exit
# path with the lock file svcnft made for it. One line per test, then
#   faults: N passed, N failed[, N skipped]
#
#   tests/faults/run.sh [PATTERN...]   only the tests whose name contains one
#
# The test hooks used here (cli/apply.c) are for tests only:
#   SVCNFT_TEST_RCVBUF=BYTES           the batch socket's receive buffer
#   SVCNFT_TEST_REFUSE_ELEMENT=NS/NAME the kernel refuses that Service's first added element
# Addresses: 198.18.0.0/15 only.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
SVCNFT=${SVCNFT:-$top/svcnft}
case $SVCNFT in /*) ;; *) SVCNFT=$top/$SVCNFT ;; esac
PATTERNS=("$@")
passed=0 failed=0 skipped=0
NSLIST=()
NSSEQ=0
TMP=$(mktemp -d)
ARGS=(--node-name node-a --cluster-cidr 198.19.0.0/16 --service-cidr 198.18.0.0/16)
TESTS=(lost_acks lost_acks_refused element_error stdout_closed stdout_full no_net_admin lock_mode)

rmlock() {
	local ino
	ino=$(stat -L -c %i "/run/netns/$1" 2>/dev/null) && rm -f "/run/svcnft/netns-$ino.lock"
}
cleanup() {
	local ns
	for ns in "${NSLIST[@]}"; do rmlock "$ns"; ip netns del "$ns" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

selected() {
	local p
	[ ${#PATTERNS[@]} -eq 0 ] && return 0
	for p in "${PATTERNS[@]}"; do [[ $1 == *"$p"* ]] && return 0; done
	return 1
}
finish() {
	local s=""
	[ "$skipped" -gt 0 ] && s=", $skipped skipped"
	echo "faults: $passed passed, $failed failed$s"
	[ "$failed" -eq 0 ]
	exit $?
}
skip_all() {
	local t
	echo "faults: skipped: $1"
	for t in "${TESTS[@]}"; do selected "$t" && skipped=$((skipped + 1)); done
	finish
}
[ "$(id -u)" -eq 0 ] || skip_all "needs root (network namespaces)"
probe="svcnft-fault-$$-probe"
ip netns add "$probe" 2>/dev/null || skip_all "cannot create network namespaces"
ip netns del "$probe"
command -v nft >/dev/null || skip_all "nft is not installed"
[ -x "$SVCNFT" ] || { echo "faults: $SVCNFT is not built"; failed=1; finish; }

newns() {
	NSSEQ=$((NSSEQ + 1))
	local _name="svcnft-fault-$$-$NSSEQ"
	ip netns add "$_name" || return 1
	NSLIST+=("$_name")
	ip -n "$_name" link set lo up
	printf -v "$1" '%s' "$_name"
}
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
fail() { why="$*"; return 1; }

# services DIR N: N ClusterIP Services default/s1..sN, two endpoints each
services() {
	local i
	mkdir -p "$1"
	for i in $(seq 1 "$2"); do
		cat <<EOT
apiVersion: v1
kind: Service
metadata: {name: s$i, namespace: default}
spec:
  clusterIP: 198.18.1.$i
  ports: [{name: http, port: 80, protocol: TCP, targetPort: 8080}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: s$i-1, namespace: default, labels: {kubernetes.io/service-name: s$i}}
addressType: IPv4
ports: [{name: http, port: 8080, protocol: TCP}]
endpoints:
- {addresses: ["198.19.1.$i"]}
- {addresses: ["198.19.2.$i"]}
---
EOT
	done >"$1/svc.yaml"
}

# ACKs lost to a full receive buffer: never "applied" (exit 5, the reason),
# and the next run reads the kernel again (the batch was in fact committed:
# it has nothing left to do).
t_lost_acks() {
	local ns dir=$TMP/lost out rc
	services "$dir" 20
	newns ns || return 1
	out=$(SVCNFT_TEST_RCVBUF=1 nsx "$ns" "$SVCNFT" apply "${ARGS[@]}" -f "$dir" 2>&1)
	rc=$?
	[ $rc -eq 5 ] || { fail "exit $rc, not 5: $out"; return 1; }
	grep -q "answers were lost" <<<"$out" || { fail "no reason given: $out"; return 1; }
	grep -q "^applied" <<<"$out" && { fail "reported as applied: $out"; return 1; }
	info=$(grep -m1 "answers were lost" <<<"$out" | cut -c1-140)
	out=$(nsx "$ns" "$SVCNFT" apply "${ARGS[@]}" -f "$dir" 2>&1) || { fail "second apply: $out"; return 1; }
	[ "$out" = "no changes" ] || { fail "second apply did not find the batch committed: $out"; return 1; }
}

# ACKs lost and the batch refused (one element): not success either, and
# the kernel holds nothing.
t_lost_acks_refused() {
	local ns dir=$TMP/lostref out rc
	services "$dir" 20
	newns ns || return 1
	out=$(SVCNFT_TEST_RCVBUF=1 SVCNFT_TEST_REFUSE_ELEMENT=default/s10 \
		nsx "$ns" "$SVCNFT" apply "${ARGS[@]}" -f "$dir" 2>&1)
	rc=$?
	[ $rc -eq 5 ] || [ $rc -eq 4 ] || { fail "exit $rc, not 4 or 5: $out"; return 1; }
	grep -q "^applied" <<<"$out" && { fail "reported as applied: $out"; return 1; }
	[ -z "$(nsx "$ns" nft list ruleset)" ] || { fail "the kernel holds a ruleset"; return 1; }
	info="exit $rc"
}

# One element refused in the middle of a batch (of its message, too): exit 4,
# the message names that element, and the ruleset is as it was.
t_element_error() {
	local ns dir=$TMP/elem out rc
	services "$dir" 3
	newns ns || return 1
	nsx "$ns" "$SVCNFT" apply "${ARGS[@]}" -f "$dir" >/dev/null 2>&1 || { fail "first apply"; return 1; }
	nsx "$ns" nft list ruleset >"$TMP/before"
	services "$dir" 40
	out=$(SVCNFT_TEST_REFUSE_ELEMENT=default/s20 nsx "$ns" "$SVCNFT" apply "${ARGS[@]}" -f "$dir" 2>&1)
	rc=$?
	[ $rc -eq 4 ] || { fail "exit $rc, not 4: $out"; return 1; }
	grep -Eq 'kernel refused the batch: add element ip svcnft [a-z0-9-]* { 198\.18\.1\.20 .*comment "default/s20 port http 80/tcp" } \(Service default/s20\): Invalid argument' <<<"$out" ||
		{ fail "the message does not name the element: $out"; return 1; }
	[ "$(grep -c "kernel refused" <<<"$out")" -eq 1 ] || { fail "more than one refusal: $out"; return 1; }
	nsx "$ns" nft list ruleset >"$TMP/after"
	cmp -s "$TMP/before" "$TMP/after" || { fail "the ruleset changed"; return 1; }
	info=$(grep -m1 "kernel refused" <<<"$out" | cut -c1-150)
}

# stdout closed: exit 5 with a message, nothing done (no table in the kernel).
t_stdout_closed() {
	local ns dir=$TMP/closed out rc
	services "$dir" 2
	out=$("$SVCNFT" compile "${ARGS[@]}" -f "$dir" 2>&1 >&-)
	rc=$?
	[ $rc -eq 5 ] || { fail "compile: exit $rc, not 5"; return 1; }
	grep -q "stdout is closed" <<<"$out" || { fail "compile: no message: $out"; return 1; }
	newns ns || return 1
	out=$(nsx "$ns" "$SVCNFT" apply "${ARGS[@]}" -f "$dir" 2>&1 >&-)
	rc=$?
	[ $rc -eq 5 ] || { fail "apply: exit $rc, not 5"; return 1; }
	[ -z "$(nsx "$ns" nft list ruleset)" ] || { fail "apply with stdout closed changed the kernel"; return 1; }
}

# stdout on a full disk: exit 5 with a message, for compile and for apply
# (whose batch is committed: a rerun has nothing to do).
t_stdout_full() {
	local ns dir=$TMP/full out rc
	[ -w /dev/full ] || { why="no /dev/full"; return 2; }
	services "$dir" 2
	out=$("$SVCNFT" compile "${ARGS[@]}" -f "$dir" 2>&1 >/dev/full)
	rc=$?
	[ $rc -eq 5 ] || { fail "compile: exit $rc, not 5"; return 1; }
	grep -q "No space left on device" <<<"$out" || { fail "compile: no message: $out"; return 1; }
	newns ns || return 1
	out=$(nsx "$ns" "$SVCNFT" apply "${ARGS[@]}" -f "$dir" 2>&1 >/dev/full)
	rc=$?
	[ $rc -eq 5 ] || { fail "apply: exit $rc, not 5"; return 1; }
	grep -q "writing stdout failed" <<<"$out" || { fail "apply: no message: $out"; return 1; }
	out=$(nsx "$ns" "$SVCNFT" diff "${ARGS[@]}" -f "$dir" 2>&1) || { fail "diff after: $out"; return 1; }
	# diff with something to print
	services "$dir" 3
	out=$(nsx "$ns" "$SVCNFT" diff "${ARGS[@]}" -f "$dir" 2>&1 >/dev/full)
	rc=$?
	[ $rc -eq 5 ] || { fail "diff: exit $rc, not 5"; return 1; }
	grep -q "writing stdout failed" <<<"$out" || { fail "diff: no message: $out"; return 1; }
}

# Without CAP_NET_ADMIN: apply, diff and cleanup say so in one line and exit
# 5 before any work (a manifest that does not exist is not even opened, and
# no lock file is made).
t_no_net_admin() {
	local ns cmd out rc ino
	command -v setpriv >/dev/null || { why="setpriv is not installed"; return 2; }
	newns ns || return 1
	ino=$(stat -L -c %i "/run/netns/$ns")
	for cmd in apply diff cleanup; do
		local opts=("${ARGS[@]}" -f "$TMP/no-such-file.yaml")
		[ "$cmd" = cleanup ] && opts=()
		out=$(nsx "$ns" setpriv --inh-caps=-all --bounding-set=-net_admin \
			"$SVCNFT" $cmd "${opts[@]}" 2>&1 </dev/null)
		rc=$?
		[ $rc -eq 5 ] || { fail "$cmd: exit $rc, not 5: $out"; return 1; }
		[ "$out" = "svcnft $cmd: needs CAP_NET_ADMIN in this network namespace" ] ||
			{ fail "$cmd: not the one line: $out"; return 1; }
	done
	[ -e "/run/svcnft/netns-$ino.lock" ] && { fail "a lock file was made"; return 1; }
	# compile needs no privilege
	services "$TMP/np" 1
	nsx "$ns" setpriv --inh-caps=-all --bounding-set=-net_admin \
		"$SVCNFT" compile "${ARGS[@]}" -f "$TMP/np" >/dev/null 2>&1 || { fail "compile refused"; return 1; }
}

# The lock file is 0600 and its directory writable by root only.
t_lock_mode() {
	local ns ino mode
	services "$TMP/lock" 1
	newns ns || return 1
	nsx "$ns" "$SVCNFT" apply "${ARGS[@]}" -f "$TMP/lock" >/dev/null 2>&1 || { fail "apply"; return 1; }
	ino=$(stat -L -c %i "/run/netns/$ns")
	mode=$(stat -c %a "/run/svcnft/netns-$ino.lock") || { fail "no lock file"; return 1; }
	[ "$mode" = 600 ] || { fail "lock file mode $mode, not 600"; return 1; }
	mode=$(stat -c %a /run/svcnft)
	(( (8#$mode & 8#022) == 0 )) || { fail "/run/svcnft mode $mode is writable by others"; return 1; }
	info="lock 600, /run/svcnft $mode"
}

for t in "${TESTS[@]}"; do
	selected "$t" || continue
	why="" info=""
	"t_$t"
	case $? in
	0) passed=$((passed + 1)); echo "ok $t${info:+: $info}" ;;
	2) skipped=$((skipped + 1)); echo "skip $t: $why" ;;
	*) failed=$((failed + 1)); echo "FAIL $t: $why" ;;
	esac
	for ns in "${NSLIST[@]}"; do rmlock "$ns"; ip netns del "$ns" 2>/dev/null; done
	NSLIST=()
done
finish
