#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Kernel tier (issue 3): `svcnft apply`, `diff` and `cleanup` against the real
# kernel, each test in its own throw-away network namespace(s)
# (svcnft-test-PID-N), removed on every exit path. One line per test
# ("ok NAME" / "FAIL NAME: why"), then
#   kernel: N passed, N failed[, N skipped]
# (the tier prefix is what tests/run-tiers.sh adds up). Exit 1 if anything
# failed. Skipped, not failed, only without root or network namespaces.
#
#   tests/kernel/run.sh [PATTERN...]   only the tests whose name contains one
#   KERNEL_VERBOSE=1                   also print each incremental step's summary
#
# Addresses: 198.18.0.0/15, 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24,
# 2001:db8::/32 only. Nothing outside the namespaces it creates is touched
# (but the lock files svcnft makes for them under /run/svcnft, removed with them).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$top/tests/kernel
cd "$top" || exit 1
SVCNFT=${SVCNFT:-$top/svcnft}
case $SVCNFT in /*) ;; *) SVCNFT=$top/$SVCNFT ;; esac
BUILD=$top/build/kernel
NFTRAW=$BUILD/nftraw
PATTERNS=("$@")
passed=0 failed=0 skipped=0
NSLIST=()
BG_PIDS=()
NSSEQ=0
TMP=$(mktemp -d)
ARGS=(--node-name node-a --cluster-cidr 198.19.0.0/16 --service-cidr 198.18.0.0/16)

cleanup() {
	local p ns
	for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for ns in "${NSLIST[@]}"; do rmlock "$ns"; ip netns del "$ns" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

TESTS=(equivalence incremental family drift refusal cleanup concurrent noop check invalid
	conntrack affinity rcsync isolate)
RCSTEPS=$top/build/tests/rc_steps

selected() {
	local p
	[ ${#PATTERNS[@]} -eq 0 ] && return 0
	for p in "${PATTERNS[@]}"; do [[ $1 == *"$p"* ]] && return 0; done
	return 1
}

finish() {
	local s=""
	[ "$skipped" -gt 0 ] && s=", $skipped skipped"
	echo "kernel: $passed passed, $failed failed$s"
	[ "$failed" -eq 0 ]
	exit $?
}

skip_all() {
	local t
	echo "kernel: skipped: $1"
	for t in "${TESTS[@]}"; do selected "$t" && skipped=$((skipped + 1)); done
	finish
}

[ "$(id -u)" -eq 0 ] || skip_all "needs root (network namespaces)"
probe="svcnft-test-$$-probe"
ip netns add "$probe" 2>/dev/null || skip_all "cannot create network namespaces"
ip netns del "$probe"
command -v nft >/dev/null || skip_all "nft is not installed (needed to compare with nft -f)"
[ -x "$SVCNFT" ] || { echo "kernel: $SVCNFT is not built (make svcnft)"; failed=1; finish; }
mkdir -p "$BUILD"
if [ ! -x "$NFTRAW" ] || [ "$HERE/nftraw.c" -nt "$NFTRAW" ]; then
	${CC:-cc} -O2 -g -Wall -Wextra -Wno-unused-parameter -o "$NFTRAW" "$HERE/nftraw.c" \
		-lnftnl -lmnl || { echo "kernel: cannot build nftraw"; failed=1; finish; }
fi

# ---- helpers ----

# newns VAR: a fresh namespace with lo up, its name in VAR
newns() {
	NSSEQ=$((NSSEQ + 1))
	local _name="svcnft-test-$$-$NSSEQ"
	ip netns add "$_name" || return 1
	NSLIST+=("$_name")
	ip -n "$_name" link set lo up
	printf -v "$1" '%s' "$_name"
}

# the lock file svcnft made for a namespace goes with it
rmlock() {
	local ino
	ino=$(stat -L -c %i "/run/netns/$1" 2>/dev/null) && rm -f "/run/svcnft/netns-$ino.lock"
}

delns() {
	local _n keep=()
	rmlock "$1"
	ip netns del "$1" 2>/dev/null
	for _n in "${NSLIST[@]}"; do [ "$_n" = "$1" ] || keep+=("$_n"); done
	NSLIST=("${keep[@]}")
}

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
svcnft() { local ns=$1; shift; ip netns exec "$ns" "$SVCNFT" "$@"; }
listing() { nsx "$1" nft list ruleset; }
sorted_listing() { nsx "$1" nft list ruleset | python3 "$HERE/normalize.py"; }

# fresh_listing OUT ARGS... : `nft list ruleset` after nft -f of the compile
# output in a namespace of its own
fresh_listing() {
	local out=$1 ns; shift
	newns ns || return 1
	"$SVCNFT" compile "$@" >"$TMP/fresh.nft" 2>/dev/null &&
		nsx "$ns" nft -f "$TMP/fresh.nft" && listing "$ns" >"$out"
	local rc=$?
	delns "$ns"
	return $rc
}

fail() { why="$*"; return 1; }

expect_same() { # FILE_A FILE_B WHAT
	cmp -s "$1" "$2" && return 0
	why="$3 differs: $(diff "$1" "$2" | head -n 12 | tr '\n' '|')"
	return 1
}

# handles NS CHAIN: the chain's rule handles, one line
handles() { nsx "$1" nft -a list chain ip svcnft "$2" | sed -n 's/.*# handle \([0-9]*\)$/\1/p' | tr '\n' ' '; }

# ---- manifests ----

# other.yaml: a Service no test edits (its chain's rule handles must stay)
write_other() {
	cat >"$1/other.yaml" <<'EOF'
apiVersion: v1
kind: Service
metadata: {name: other, namespace: default}
spec:
  clusterIP: 198.18.0.90
  ports: [{name: http, port: 80, protocol: TCP, targetPort: 8080}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: other-1, namespace: default, labels: {kubernetes.io/service-name: other}}
addressType: IPv4
ports: [{name: http, port: 8080, protocol: TCP}]
endpoints:
- addresses: ["198.19.3.1"]
  nodeName: node-b
EOF
}

# write_web DIR TYPE "EP..." "PORT..." AFFINITY(0/1): Service default/web
write_web() {
	local dir=$1 type=$2 eps=$3 ports=$4 aff=$5 p e
	{
		echo "apiVersion: v1"
		echo "kind: Service"
		echo "metadata: {name: web, namespace: default}"
		echo "spec:"
		echo "  type: $type"
		echo "  clusterIP: 198.18.0.80"
		[ "$aff" = 1 ] && echo "  sessionAffinity: ClientIP"
		echo "  ports:"
		for p in $ports; do
			case $type in
			ClusterIP) echo "  - {name: p$p, port: $p, protocol: TCP, targetPort: 8$p}" ;;
			*) echo "  - {name: p$p, port: $p, protocol: TCP, targetPort: 8$p, nodePort: $((30000 + p))}" ;;
			esac
		done
		if [ "$type" = LoadBalancer ]; then
			echo "status: {loadBalancer: {ingress: [{ip: 203.0.113.80}]}}"
		fi
		echo "---"
		echo "apiVersion: discovery.k8s.io/v1"
		echo "kind: EndpointSlice"
		echo "metadata: {name: web-1, namespace: default, labels: {kubernetes.io/service-name: web}}"
		echo "addressType: IPv4"
		echo "ports:"
		for p in $ports; do echo "- {name: p$p, port: 8$p, protocol: TCP}"; done
		echo "endpoints:"
		for e in $eps; do echo "- {addresses: [\"$e\"], nodeName: node-b}"; done
	} >"$dir/web.yaml"
}

# A ClusterIP UDP Service: kube-system/dns at 198.18.0.53:53
write_dns() { # DIR "EP..."
	local e
	{
		cat <<'EOF'
apiVersion: v1
kind: Service
metadata: {name: dns, namespace: kube-system}
spec:
  clusterIP: 198.18.0.53
  ports: [{name: dns, port: 53, protocol: UDP, targetPort: 53}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: dns-1, namespace: kube-system, labels: {kubernetes.io/service-name: dns}}
addressType: IPv4
ports: [{name: dns, port: 53, protocol: UDP}]
endpoints:
EOF
		for e in $2; do echo "- {addresses: [\"$e\"], nodeName: node-a}"; done
	} >"$1/dns.yaml"
}

# The golden cases (with their args, run from their directory as
# tests/golden.sh does), the examples, and the kernel tier's own.
case_args() { # DIR -> CASE_ARGS array
	CASE_ARGS=()
	local line words
	if [ -f "$1/args" ]; then
		while IFS= read -r line; do
			line=${line%%#*}
			[ -n "${line// }" ] || continue
			read -r -a words <<<"$line"
			CASE_ARGS+=("${words[@]}")
		done <"$1/args"
	fi
}

# ---- tests ----

# For every case: nft list ruleset after apply == after nft -f of compile
# (byte for byte, and every netlink attribute by nftraw), and a second apply
# changes nothing.
equiv_one() { # NAME DIR INPUT ARGS...
	local name=$1 dir=$2 input=$3 a b out rc; shift 3
	newns a || return 1
	newns b || return 1
	(cd "$dir" && "$SVCNFT" compile "$@" -f "$input") >"$TMP/c.nft" 2>/dev/null ||
		{ fail "$name: compile failed"; return 1; }
	nsx "$a" nft -f "$TMP/c.nft" 2>"$TMP/nft.err" ||
		{ fail "$name: nft -f refused the compile output: $(head -n 2 "$TMP/nft.err")"; return 1; }
	out=$(cd "$dir" && ip netns exec "$b" "$SVCNFT" apply "$@" -f "$input" 2>&1) ||
		{ fail "$name: apply failed: $out"; return 1; }
	listing "$a" >"$TMP/a.txt"
	listing "$b" >"$TMP/b.txt"
	expect_same "$TMP/a.txt" "$TMP/b.txt" "$name: nft list ruleset" || return 1
	nsx "$a" "$NFTRAW" >"$TMP/a.raw"
	nsx "$b" "$NFTRAW" >"$TMP/b.raw"
	expect_same "$TMP/a.raw" "$TMP/b.raw" "$name: netlink attributes" || return 1
	out=$(cd "$dir" && ip netns exec "$b" "$SVCNFT" apply "$@" -f "$input" 2>/dev/null)
	[ "$out" = "no changes" ] || { fail "$name: second apply: $out"; return 1; }
	(cd "$dir" && ip netns exec "$b" "$SVCNFT" diff "$@" -f "$input" >/dev/null 2>&1)
	rc=$?
	[ $rc -eq 0 ] || { fail "$name: diff after apply exits $rc"; return 1; }
	delns "$a"
	delns "$b"
}

t_equivalence() {
	local d c n=0
	for d in "$top"/golden/*/; do
		c=$(basename "$d")
		[ -d "$d/in" ] || continue
		# cases whose input is refused are the invalid test's business
		[ -f "$d/expected.rc" ] && [ "$(cat "$d/expected.rc")" != 0 ] && continue
		case_args "$d"
		equiv_one "golden/$c" "$d" in "${CASE_ARGS[@]}" || return 1
		n=$((n + 1))
	done
	equiv_one examples "$top" examples "${ARGS[@]}" || return 1
	equiv_one dual "$HERE/data" dual --node-name node-a \
		--cluster-cidr 198.19.0.0/16,2001:db8:19::/64 \
		--service-cidr 198.18.0.0/16,2001:db8:18::/112 || return 1
	info="$((n + 2)) cases"
}

# apply DIR and check the summary against EXPECT (a prefix of the line after
# "applied: ") and the kernel against a fresh load. A step that changes no
# chain must leave every rule of the clusterip chain where it was (same
# handles): endpoint churn is element changes only (docs/ruleset.md).
inc_step() { # NS DIR STEP EXPECT
	local ns=$1 dir=$2 step=$3 expect=$4 out before
	before=$(handles "$ns" clusterip)
	out=$(svcnft "$ns" apply "${ARGS[@]}" -f "$dir" 2>&1) || { fail "$step: apply: $out"; return 1; }
	out=$(head -n 1 <<<"$out")
	[ -n "${KERNEL_VERBOSE:-}" ] && echo "   $step: $out"
	case $out in
	"applied: $expect"*) ;;
	*) fail "$step: expected \"applied: $expect...\", got \"$out\""; return 1 ;;
	esac
	fresh_listing "$TMP/fresh.txt" "${ARGS[@]}" -f "$dir" || { fail "$step: fresh load"; return 1; }
	python3 "$HERE/normalize.py" <"$TMP/fresh.txt" >"$TMP/fresh.sorted"
	sorted_listing "$ns" >"$TMP/kernel.sorted"
	expect_same "$TMP/fresh.sorted" "$TMP/kernel.sorted" "$step: kernel vs fresh nft -f" || return 1
	case $expect in
	"0 chains added, 0 deleted, 0 replaced"*)
		[ "$(handles "$ns" clusterip)" = "$before" ] ||
			{ fail "$step: rules of the clusterip chain were rewritten"; return 1; } ;;
	esac
}

# write_count DIR NAME IP "EP...": a ClusterIP Service default/NAME on port 80
# that keeps its endpoint count in use while web's count changes
write_count() {
	local e
	{
		echo "apiVersion: v1"
		echo "kind: Service"
		echo "metadata: {name: $2, namespace: default}"
		echo "spec:"
		echo "  clusterIP: $3"
		echo "  ports: [{name: http, port: 80, protocol: TCP, targetPort: 8080}]"
		echo "---"
		echo "apiVersion: discovery.k8s.io/v1"
		echo "kind: EndpointSlice"
		echo "metadata: {name: $2-1, namespace: default, labels: {kubernetes.io/service-name: $2}}"
		echo "addressType: IPv4"
		echo "ports: [{name: http, port: 8080, protocol: TCP}]"
		echo "endpoints:"
		for e in $4; do echo "- {addresses: [\"$e\"], nodeName: node-b}"; done
	} >"$1/$2.yaml"
}

# Counts (the summary line of each apply) follow docs/ruleset.md: an endpoint
# added, removed or replaced, and a port added, are element changes only
# (counts 2 and 3 stay in use through default/two and default/three); a
# feature appearing (first NodePort, first VIP, first affinity Service)
# adds its sets and chains and rewrites the dispatch; a Service deleted is
# elements only.
t_incremental() {
	local ns dir=$TMP/inc
	mkdir -p "$dir"
	newns ns || return 1
	write_other "$dir"
	write_count "$dir" two 198.18.0.92 "198.19.3.2 198.19.3.3"
	write_count "$dir" three 198.18.0.93 "198.19.3.4 198.19.3.5 198.19.3.6"
	write_web "$dir" ClusterIP "198.19.1.1 198.19.1.2" 80 0
	svcnft "$ns" apply "${ARGS[@]}" -f "$dir" >/dev/null 2>&1 || { fail "first apply"; return 1; }
	[ -n "$(handles "$ns" clusterip)" ] || { fail "no rules in clusterip"; return 1; }

	# 2 -> 3: the frontend's two elements leave endpoints-2, three join
	# endpoints-3; one hairpin element
	write_web "$dir" ClusterIP "198.19.1.1 198.19.1.2 198.19.1.3" 80 0
	inc_step "$ns" "$dir" "endpoint added" \
		"0 chains added, 0 deleted, 0 replaced; 0 rules; +4 -2 elements" || return 1
	# 198.19.1.1 -> 198.19.1.4: endpoints are indexed in address order, so
	# the three elements of the frontend move up one (data, no rule)
	write_web "$dir" ClusterIP "198.19.1.2 198.19.1.3 198.19.1.4" 80 0
	inc_step "$ns" "$dir" "endpoint replaced" \
		"0 chains added, 0 deleted, 0 replaced; 0 rules; +4 -4 elements" || return 1
	write_web "$dir" ClusterIP "198.19.1.2 198.19.1.3" 80 0
	inc_step "$ns" "$dir" "endpoint removed" \
		"0 chains added, 0 deleted, 0 replaced; 0 rules; +2 -4 elements" || return 1
	# a frontend in clusterip-frontends, two endpoint elements
	write_web "$dir" ClusterIP "198.19.1.2 198.19.1.3" "80 443" 0
	inc_step "$ns" "$dir" "port added" \
		"0 chains added, 0 deleted, 0 replaced; 0 rules; +3 -0 elements" || return 1
	# the first NodePorts: their set, map, role chain and pick chain, one
	# dispatch rule more
	write_web "$dir" NodePort "198.19.1.2 198.19.1.3" "80 443" 0
	inc_step "$ns" "$dir" "ClusterIP->NodePort" \
		"2 chains added, 0 deleted, 1 replaced; 9 rules; +6 -0 elements" || return 1
	# the first VIP: the same for external frontends
	write_web "$dir" LoadBalancer "198.19.1.2 198.19.1.3" "80 443" 0
	inc_step "$ns" "$dir" "NodePort->LoadBalancer" \
		"1 chains added, 0 deleted, 1 replaced; 11 rules; +6 -0 elements" || return 1
	write_web "$dir" ClusterIP "198.19.1.2 198.19.1.3" "80 443" 0
	inc_step "$ns" "$dir" "LoadBalancer->ClusterIP" \
		"0 chains added, 3 deleted, 1 replaced; 3 rules; +0 -4 elements" || return 1
	# the first affinity Service: the pin chain and a jump to it in
	# clusterip, the record in nat-postrouting, their sets (deleted whole
	# when it goes)
	write_web "$dir" ClusterIP "198.19.1.2 198.19.1.3" "80 443" 1
	inc_step "$ns" "$dir" "affinity on" \
		"1 chains added, 0 deleted, 2 replaced; 11 rules; +4 -0 elements" || return 1
	write_web "$dir" ClusterIP "198.19.1.2 198.19.1.3" "80 443" 0
	inc_step "$ns" "$dir" "affinity off" \
		"0 chains added, 1 deleted, 2 replaced; 8 rules; +0 -0 elements" || return 1
	rm "$dir/web.yaml"
	inc_step "$ns" "$dir" "Service deleted" \
		"0 chains added, 0 deleted, 0 replaced; 0 rules; +0 -9 elements" || return 1
	delns "$ns"
}

# A family the desired state no longer uses loses its svcnft table.
t_family() {
	local ns out
	newns ns || return 1
	svcnft "$ns" apply --node-name node-a --cluster-cidr 198.19.0.0/16,2001:db8:19::/64 \
		--service-cidr 198.18.0.0/16,2001:db8:18::/112 -f "$HERE/data/dual" >/dev/null 2>&1 ||
		{ fail "dual-stack apply"; return 1; }
	nsx "$ns" nft list tables | grep -q "^table ip6 svcnft$" || { fail "no ip6 table"; return 1; }
	out=$(svcnft "$ns" apply "${ARGS[@]}" -f examples 2>&1) || { fail "IPv4 apply: $out"; return 1; }
	nsx "$ns" nft list tables | grep -q "^table ip6 svcnft$" && { fail "ip6 svcnft is still there"; return 1; }
	fresh_listing "$TMP/fresh.txt" "${ARGS[@]}" -f examples || { fail "fresh load"; return 1; }
	python3 "$HERE/normalize.py" <"$TMP/fresh.txt" >"$TMP/fresh.sorted"
	sorted_listing "$ns" >"$TMP/kernel.sorted"
	expect_same "$TMP/fresh.sorted" "$TMP/kernel.sorted" "after dropping IPv6" || return 1
	delns "$ns"
}

# Hand edits inside svcnft's table are put back exactly.
t_drift() {
	local ns dir=$TMP/drift out
	mkdir -p "$dir"
	newns ns || return 1
	write_other "$dir"
	write_web "$dir" NodePort "198.19.1.1 198.19.1.2" 80 0
	svcnft "$ns" apply "${ARGS[@]}" -f "$dir" >/dev/null 2>&1 || { fail "first apply"; return 1; }
	fresh_listing "$TMP/fresh.txt" "${ARGS[@]}" -f "$dir" || { fail "fresh load"; return 1; }
	python3 "$HERE/normalize.py" <"$TMP/fresh.txt" >"$TMP/fresh.sorted"

	# frontends and endpoints deleted, a role chain flushed
	nsx "$ns" nft delete element ip svcnft clusterip-frontends '{ 198.18.0.80 . tcp . 80 }' &&
		nsx "$ns" nft delete element ip svcnft nodeport-frontends '{ tcp . 30080 }' &&
		nsx "$ns" nft delete element ip svcnft endpoints-2 '{ 198.18.0.80 . tcp . 80 . 1 }' &&
		nsx "$ns" nft flush chain ip svcnft nodeport ||
		{ fail "could not delete elements and rules by hand"; return 1; }
	# a map flushed; an element's comment renamed (it must be put back once,
	# then converge)
	nsx "$ns" nft flush set ip svcnft hairpin &&
		nsx "$ns" nft delete element ip svcnft endpoints-1 '{ 198.18.0.90 . tcp . 80 . 0 }' &&
		nsx "$ns" nft add element ip svcnft endpoints-1 \
			'{ 198.18.0.90 . tcp . 80 . 0 comment "renamed" : 198.19.3.1 . 8080 }' ||
		{ fail "could not edit the maps"; return 1; }
	# foreign rules and elements inside svcnft's table
	nsx "$ns" nft add rule ip svcnft services ip saddr 192.0.2.66 counter drop &&
		nsx "$ns" nft insert rule ip svcnft clusterip meta mark set 0x1 &&
		nsx "$ns" nft add rule ip svcnft services ip saddr '{ 192.0.2.1, 192.0.2.2 }' drop &&
		nsx "$ns" nft add rule ip svcnft services jump '{ ip saddr 192.0.2.9 drop; }' &&
		nsx "$ns" nft add element ip svcnft clusterip-frontends '{ 198.18.0.53 . udp . 53 }' &&
		nsx "$ns" nft add element ip svcnft endpoints-2 \
			'{ 198.18.0.53 . udp . 53 . 0 : 192.0.2.53 . 53 }' ||
		{ fail "could not add foreign rules"; return 1; }
	out=$(svcnft "$ns" diff "${ARGS[@]}" -f "$dir" 2>&1)
	[ $? -eq 1 ] || { fail "diff does not see the drift: $out"; return 1; }
	out=$(svcnft "$ns" apply "${ARGS[@]}" -f "$dir" 2>&1) || { fail "repair apply: $out"; return 1; }
	sorted_listing "$ns" >"$TMP/kernel.sorted"
	expect_same "$TMP/fresh.sorted" "$TMP/kernel.sorted" "after repair" || return 1
	out=$(svcnft "$ns" apply "${ARGS[@]}" -f "$dir" 2>&1)
	[ "$out" = "no changes" ] || { fail "apply after repair: $out"; return 1; }
	info="$(head -n 1 <<<"$out")"
	delns "$ns"
}

# write_web6 DIR "EP...": default/web6, IPv6 only, ClientIP affinity: the one
# kind of Service that still has chains of its own (docs/ruleset.md)
write_web6() {
	local e
	{
		echo "apiVersion: v1"
		echo "kind: Service"
		echo "metadata: {name: web6, namespace: default}"
		echo "spec:"
		echo "  clusterIP: 2001:db8:18::80"
		echo "  ipFamilies: [IPv6]"
		echo "  sessionAffinity: ClientIP"
		echo "  ports: [{name: http, port: 80, protocol: TCP, targetPort: 8080}]"
		echo "---"
		echo "apiVersion: discovery.k8s.io/v1"
		echo "kind: EndpointSlice"
		echo "metadata: {name: web6-1, namespace: default, labels: {kubernetes.io/service-name: web6}}"
		echo "addressType: IPv6"
		echo "ports: [{name: http, port: 8080, protocol: TCP}]"
		echo "endpoints:"
		for e in $2; do echo "- {addresses: [\"$e\"], nodeName: node-b}"; done
	} >"$1/web6.yaml"
}

# A batch the kernel refuses (the test hook corrupts one rule of the named
# Service: the first rule of its first chain that the batch fills) leaves
# everything as it was, handles included; exit 4; the message names the
# Service. The batch also adds and removes elements of other Services.
t_refusal() {
	local ns dir=$TMP/refuse out rc
	local args=(--node-name node-a --cluster-cidr 198.19.0.0/16,2001:db8:19::/64
		--service-cidr 198.18.0.0/16,2001:db8:18::/112)
	mkdir -p "$dir"
	newns ns || return 1
	write_other "$dir"
	write_web "$dir" ClusterIP "198.19.1.1 198.19.1.2" 80 0
	svcnft "$ns" apply "${args[@]}" -f "$dir" >/dev/null 2>&1 || { fail "first apply"; return 1; }
	nsx "$ns" nft -a list ruleset >"$TMP/before.txt"
	write_web "$dir" ClusterIP "198.19.1.1 198.19.1.2 198.19.1.3" "80 443" 0
	write_web6 "$dir" "2001:db8:19::1 2001:db8:19::2"
	out=$(SVCNFT_TEST_REFUSE_SERVICE=default/web6 svcnft "$ns" apply "${args[@]}" -f "$dir" 2>&1)
	rc=$?
	[ $rc -eq 4 ] || { fail "exit $rc, not 4: $out"; return 1; }
	grep -q "kernel refused the batch: .*(Service default/web6, chain affinity-" <<<"$out" ||
		{ fail "the message does not name the Service: $out"; return 1; }
	nsx "$ns" nft -a list ruleset >"$TMP/after.txt"
	expect_same "$TMP/before.txt" "$TMP/after.txt" "ruleset after the refusal" || return 1
	# --check is refused the same way, and changes nothing either
	out=$(SVCNFT_TEST_REFUSE_SERVICE=default/web6 svcnft "$ns" apply --check "${args[@]}" \
		-f "$dir" 2>&1)
	rc=$?
	[ $rc -eq 4 ] || { fail "--check: exit $rc, not 4"; return 1; }
	nsx "$ns" nft -a list ruleset >"$TMP/after.txt"
	expect_same "$TMP/before.txt" "$TMP/after.txt" "ruleset after the refused check" || return 1
	info=$(grep -m1 "kernel refused" <<<"$out" | cut -c1-150)
	delns "$ns"
}

# The agent's path (reconcile/ rc_sync): one rc through eight states, each
# synced naming only the Services that changed (endpoints, a type change that
# brings new common chains, the IPv6 affinity Service whose chains are its
# own, deletions, a re-add), each step incremental; at the end the kernel
# holds exactly what a fresh nft -f of the compile output gives, and
# `svcnft diff` has nothing to change.
t_rcsync() {
	local ns d=$TMP/rcs out k line
	local args=(--node-name node-a --cluster-cidr 198.19.0.0/16,2001:db8:19::/64
		--service-cidr 198.18.0.0/16,2001:db8:18::/112)
	[ -x "$RCSTEPS" ] || { fail "$RCSTEPS is not built (make $RCSTEPS)"; return 1; }
	for k in 0 1 2 3 4 5 6 7; do mkdir -p "$d/$k"; write_other "$d/$k"; done
	for k in 0 1 2 3 4 5 6; do write_count "$d/$k" two 198.18.0.92 "198.19.3.2 198.19.3.3"; done
	write_count "$d/7" two 198.18.0.92 "198.19.3.2 198.19.3.9"
	write_web "$d/0" ClusterIP "198.19.1.1 198.19.1.2" 80 0
	write_web "$d/1" ClusterIP "198.19.1.1 198.19.1.2 198.19.1.3" 80 0
	write_web "$d/2" NodePort "198.19.1.1 198.19.1.2 198.19.1.3" "80 443" 0
	write_web "$d/3" NodePort "198.19.1.1 198.19.1.2 198.19.1.3" "80 443" 0
	write_web "$d/4" LoadBalancer "198.19.1.4" "80 443" 1
	write_web "$d/7" ClusterIP "198.19.1.5" 80 0
	for k in 0 1 2; do write_web6 "$d/$k" "2001:db8:19::1 2001:db8:19::2"; done
	for k in 3 4 5; do write_web6 "$d/$k" "2001:db8:19::2 2001:db8:19::3 2001:db8:19::4"; done
	newns ns || return 1
	out=$(nsx "$ns" "$RCSTEPS" "${args[@]}" "$d/0" "$d/1:default/web" "$d/2:default/web" \
		"$d/3:default/web6" "$d/4:default/web" "$d/5:default/web" "$d/6:default/web6" \
		"$d/7:default/web,default/two" 2>&1) || { fail "rc_steps: $(tr '\n' '|' <<<"$out")"; return 1; }
	[ -n "${KERNEL_VERBOSE:-}" ] && echo "$out" | sed 's/^/   /'
	for k in 1 2 3 4 5 6 7; do
		line=$(grep "^step $k: " <<<"$out" | head -n 1)
		case $line in
		"step $k: applied incremental=1 "*) ;;
		*) fail "step $k was not an incremental apply: $line"; return 1 ;;
		esac
	done
	fresh_listing "$TMP/fresh.txt" "${args[@]}" -f "$d/7" || { fail "fresh load"; return 1; }
	python3 "$HERE/normalize.py" <"$TMP/fresh.txt" >"$TMP/fresh.sorted"
	sorted_listing "$ns" >"$TMP/kernel.sorted"
	expect_same "$TMP/fresh.sorted" "$TMP/kernel.sorted" "kernel after 7 rc_syncs vs fresh nft -f" ||
		return 1
	out=$(svcnft "$ns" diff "${args[@]}" -f "$d/7" 2>&1) ||
		{ fail "svcnft diff after the rc_syncs: $(head -n 5 <<<"$out" | tr '\n' '|')"; return 1; }
	info="7 incremental syncs, then diff: no changes"
	delns "$ns"
}

# Per-Service isolation. Incremental: a batch changing default/web and
# default/other, with web's element refused (the test hook corrupts one of
# its map elements), is sent again without web: other is programmed, web
# stays as it was, the report names web; the next sync retries web and
# programs it. Full (apply --isolate): web, new, is left out, the rest
# applied, exit 4, the message names web.
t_isolate() {
	local ns d=$TMP/iso out rc
	local args=(--node-name node-a --cluster-cidr 198.19.0.0/16 --service-cidr 198.18.0.0/16)
	[ -x "$RCSTEPS" ] || { fail "$RCSTEPS is not built (make $RCSTEPS)"; return 1; }
	mkdir -p "$d/0" "$d/1" "$d/mix" "$d/noweb"
	write_other "$d/0"
	write_web "$d/0" ClusterIP "198.19.1.1 198.19.1.2" 80 0
	sed 's/198.19.3.1/198.19.3.8/' "$d/0/other.yaml" >"$d/1/other.yaml"
	write_web "$d/1" ClusterIP "198.19.1.3 198.19.1.4 198.19.1.5" 80 0
	cp "$d/1/other.yaml" "$d/mix/"
	cp "$d/0/web.yaml" "$d/mix/"
	cp "$d/1/other.yaml" "$d/noweb/"
	newns ns || return 1
	out=$(nsx "$ns" "$RCSTEPS" "${args[@]}" "$d/0" "$d/1:default/web,default/other!default/web" 2>&1)
	rc=$?
	[ $rc -eq 4 ] || { fail "rc_steps: exit $rc, not 4: $(tr '\n' '|' <<<"$out")"; return 1; }
	grep -q "^step 1: isolated default/web: add element ip svcnft " <<<"$out" ||
		{ fail "the isolated Service is not reported: $(tr '\n' '|' <<<"$out")"; return 1; }
	grep -q "^step 1: isolated incremental=1 " <<<"$out" ||
		{ fail "step 1 is not an incremental isolation: $(tr '\n' '|' <<<"$out")"; return 1; }
	# web as in state 0, other as in state 1
	fresh_listing "$TMP/fresh.txt" "${args[@]}" -f "$d/mix" || { fail "fresh load"; return 1; }
	python3 "$HERE/normalize.py" <"$TMP/fresh.txt" >"$TMP/fresh.sorted"
	sorted_listing "$ns" >"$TMP/kernel.sorted"
	expect_same "$TMP/fresh.sorted" "$TMP/kernel.sorted" "kernel after the isolation" || return 1
	delns "$ns"

	# the next sync (naming nothing) retries web and programs it
	newns ns || return 1
	out=$(nsx "$ns" "$RCSTEPS" "${args[@]}" "$d/0" "$d/1:default/web,default/other!default/web" \
		"$d/1:" 2>&1)
	grep -q "^step 2: applied incremental=1 " <<<"$out" ||
		{ fail "the retry did not apply: $(tr '\n' '|' <<<"$out")"; return 1; }
	fresh_listing "$TMP/fresh.txt" "${args[@]}" -f "$d/1" || { fail "fresh load"; return 1; }
	python3 "$HERE/normalize.py" <"$TMP/fresh.txt" >"$TMP/fresh.sorted"
	sorted_listing "$ns" >"$TMP/kernel.sorted"
	expect_same "$TMP/fresh.sorted" "$TMP/kernel.sorted" "kernel after the retry" || return 1
	delns "$ns"

	# apply --isolate: a full sync leaves the refused Service out
	newns ns || return 1
	svcnft "$ns" apply "${args[@]}" -f "$d/noweb" >/dev/null 2>&1 || { fail "first apply"; return 1; }
	out=$(SVCNFT_TEST_REFUSE_SERVICE=default/web svcnft "$ns" apply --isolate "${args[@]}" \
		-f "$d/1" 2>&1)
	rc=$?
	[ $rc -eq 4 ] || { fail "apply --isolate: exit $rc, not 4: $(tr '\n' '|' <<<"$out")"; return 1; }
	grep -q "Service default/web left as it was: add element ip svcnft " <<<"$out" ||
		{ fail "apply --isolate does not name web: $(tr '\n' '|' <<<"$out")"; return 1; }
	fresh_listing "$TMP/fresh.txt" "${args[@]}" -f "$d/noweb" || { fail "fresh load"; return 1; }
	python3 "$HERE/normalize.py" <"$TMP/fresh.txt" >"$TMP/fresh.sorted"
	sorted_listing "$ns" >"$TMP/kernel.sorted"
	expect_same "$TMP/fresh.sorted" "$TMP/kernel.sorted" "kernel after apply --isolate" || return 1
	info=$(grep -m1 "left as it was" <<<"$out" | cut -c1-140)
	delns "$ns"
}

# cleanup removes ip/ip6 svcnft and nothing else.
t_cleanup() {
	local ns out
	newns ns || return 1
	svcnft "$ns" apply --node-name node-a --cluster-cidr 198.19.0.0/16,2001:db8:19::/64 \
		--service-cidr 198.18.0.0/16,2001:db8:18::/112 -f "$HERE/data/dual" >/dev/null 2>&1 ||
		{ fail "apply"; return 1; }
	nsx "$ns" nft -f - <<'EOF' || { fail "admin table"; return 1; }
table inet admin {
	chain input {
		type filter hook input priority 0; policy accept;
		ip saddr 192.0.2.1 accept
	}
}
table ip svcnft-other {
	chain c {
	}
}
EOF
	nsx "$ns" nft list table inet admin >"$TMP/admin.before"
	out=$(svcnft "$ns" cleanup 2>&1) || { fail "cleanup: $out"; return 1; }
	nsx "$ns" nft list tables >"$TMP/tables"
	grep -q "table ip svcnft$" "$TMP/tables" && { fail "ip svcnft still there"; return 1; }
	grep -q "table ip6 svcnft$" "$TMP/tables" && { fail "ip6 svcnft still there"; return 1; }
	grep -q "table ip svcnft-other" "$TMP/tables" || { fail "a foreign table was deleted"; return 1; }
	nsx "$ns" nft list table inet admin >"$TMP/admin.after" || { fail "admin table gone"; return 1; }
	expect_same "$TMP/admin.before" "$TMP/admin.after" "admin table" || return 1
	out=$(svcnft "$ns" cleanup 2>&1) || { fail "second cleanup: $out"; return 1; }
	delns "$ns"
}

# Two applies at once in one namespace: both succeed and the kernel holds
# exactly one of the two desired states, never a mix. Then a writer other
# than svcnft changes the ruleset between apply's read and its batch.
t_concurrent() {
	local ns d1=$TMP/conc1 d2=$TMP/conc2 i p1 p2 r1 r2
	mkdir -p "$d1" "$d2"
	newns ns || return 1
	write_other "$d1"
	write_other "$d2"
	write_web "$d1" NodePort "198.19.1.1 198.19.1.2" "80 443" 0
	write_web "$d2" ClusterIP "198.19.1.3" 80 1
	fresh_listing "$TMP/f1" "${ARGS[@]}" -f "$d1" && fresh_listing "$TMP/f2" "${ARGS[@]}" -f "$d2" ||
		{ fail "fresh loads"; return 1; }
	python3 "$HERE/normalize.py" <"$TMP/f1" >"$TMP/f1.s"
	python3 "$HERE/normalize.py" <"$TMP/f2" >"$TMP/f2.s"
	for i in 1 2 3 4 5 6; do
		svcnft "$ns" apply "${ARGS[@]}" -f "$d1" >"$TMP/o1" 2>&1 &
		p1=$!
		svcnft "$ns" apply "${ARGS[@]}" -f "$d2" >"$TMP/o2" 2>&1 &
		p2=$!
		wait $p1; r1=$?
		wait $p2; r2=$?
		[ $r1 -eq 0 ] && [ $r2 -eq 0 ] ||
			{ fail "round $i: exits $r1/$r2: $(cat "$TMP/o1" "$TMP/o2" | tr '\n' '|')"; return 1; }
		sorted_listing "$ns" >"$TMP/k.s"
		cmp -s "$TMP/k.s" "$TMP/f1.s" || cmp -s "$TMP/k.s" "$TMP/f2.s" ||
			{ fail "round $i: the kernel holds neither desired state"; return 1; }
	done
	# another writer (not svcnft, so not held by the lock) commits between
	# apply's read and its batch: the kernel refuses the batch (the
	# generation moved), apply reads again and converges
	svcnft "$ns" apply "${ARGS[@]}" -f "$d2" >/dev/null 2>&1 || { fail "apply d2"; return 1; }
	SVCNFT_TEST_PAUSE_MS=1500 svcnft "$ns" apply "${ARGS[@]}" -f "$d1" >"$TMP/o1" 2>&1 &
	p1=$!
	sleep 0.5
	nsx "$ns" nft add table ip admin-meanwhile
	wait $p1 || { fail "apply with a concurrent writer: $(tr '\n' '|' <"$TMP/o1")"; return 1; }
	grep -q "changed since it was read" "$TMP/o1" ||
		{ fail "the generation check did not fire: $(tr '\n' '|' <"$TMP/o1")"; return 1; }
	nsx "$ns" nft delete table ip admin-meanwhile
	sorted_listing "$ns" >"$TMP/k.s"
	expect_same "$TMP/f1.s" "$TMP/k.s" "after the retried apply" || return 1
	delns "$ns"
}

# monitor NS FILE: record every ruleset event of NS until stop_monitor
start_monitor() {
	# Not through nsx: a backgrounded shell function is a subshell, and $! would
	# name it rather than nft, which then outlived the test (and kept its
	# namespace alive). ip netns exec execs nft, so $! is nft itself.
	ip netns exec "$1" nft monitor >"$2" 2>&1 &
	MON=$!
	BG_PIDS+=("$MON")
	sleep 0.3
}
stop_monitor() { sleep 0.3; kill "$MON" 2>/dev/null; wait "$MON" 2>/dev/null; }

# An unchanged desired state sends no batch at all.
t_noop() {
	local ns out
	newns ns || return 1
	svcnft "$ns" apply "${ARGS[@]}" -f examples >/dev/null 2>&1 || { fail "apply"; return 1; }
	start_monitor "$ns" "$TMP/mon"
	out=$(svcnft "$ns" apply "${ARGS[@]}" -f examples 2>&1)
	stop_monitor
	[ "$out" = "no changes" ] || { fail "second apply said: $out"; return 1; }
	[ -s "$TMP/mon" ] && { fail "the kernel saw a change: $(head -n 3 "$TMP/mon" | tr '\n' '|')"; return 1; }
	delns "$ns"
}

# --check sends the batch without END: validated, nothing changes.
t_check() {
	local ns out dir=$TMP/check
	mkdir -p "$dir"
	newns ns || return 1
	write_other "$dir"
	svcnft "$ns" apply "${ARGS[@]}" -f "$dir" >/dev/null 2>&1 || { fail "apply"; return 1; }
	nsx "$ns" nft -a list ruleset >"$TMP/before.txt"
	write_web "$dir" LoadBalancer "198.19.1.1" 80 1
	start_monitor "$ns" "$TMP/mon"
	out=$(svcnft "$ns" apply --check "${ARGS[@]}" -f "$dir" 2>&1) || { fail "check: $out"; return 1; }
	stop_monitor
	grep -q "^check: the kernel accepted" <<<"$out" || { fail "check said: $out"; return 1; }
	nsx "$ns" nft -a list ruleset >"$TMP/after.txt"
	expect_same "$TMP/before.txt" "$TMP/after.txt" "ruleset after --check" || return 1
	[ -s "$TMP/mon" ] && { fail "the kernel saw a change"; return 1; }
	svcnft "$ns" diff "${ARGS[@]}" -f "$dir" >/dev/null 2>&1
	[ $? -eq 1 ] || { fail "diff sees nothing pending after --check"; return 1; }
	delns "$ns"
}

# Invalid input: exit 3, nothing applied (not even on an empty namespace).
t_invalid() {
	local ns out rc dir=$TMP/invalid d
	mkdir -p "$dir"
	newns ns || return 1
	write_other "$dir"
	svcnft "$ns" apply "${ARGS[@]}" -f "$dir" >/dev/null 2>&1 || { fail "apply"; return 1; }
	nsx "$ns" nft -a list ruleset >"$TMP/before.txt"
	write_web "$dir" ClusterIP "198.19.1.1" 80 0
	sed -i 's/port: 80,/port: 70000,/' "$dir/web.yaml"
	out=$(svcnft "$ns" apply "${ARGS[@]}" -f "$dir" 2>&1)
	rc=$?
	[ $rc -eq 3 ] || { fail "exit $rc, not 3: $out"; return 1; }
	nsx "$ns" nft -a list ruleset >"$TMP/after.txt"
	expect_same "$TMP/before.txt" "$TMP/after.txt" "ruleset after invalid input" || return 1
	# the golden error cases, on an empty namespace
	for d in "$top"/golden/*/; do
		[ -f "$d/expected.rc" ] && [ "$(cat "$d/expected.rc")" = 3 ] || continue
		case_args "$d"
		(cd "$d" && ip netns exec "$ns" "$SVCNFT" cleanup >/dev/null 2>&1)
		rc=0
		(cd "$d" && ip netns exec "$ns" "$SVCNFT" apply "${CASE_ARGS[@]}" -f in >/dev/null 2>&1) || rc=$?
		[ $rc -eq 3 ] || { fail "$(basename "$d"): exit $rc, not 3"; return 1; }
		[ -z "$(nsx "$ns" nft list tables)" ] ||
			{ fail "$(basename "$d"): something was applied"; return 1; }
	done
	delns "$ns"
}

# A UDP flow DNATed to an endpoint: removing the endpoint deletes its
# conntrack entry (and only that one). A flow the node answered itself
# before its port became a NodePort is deleted when the NodePort appears.
t_conntrack() {
	local node pod dir=$TMP/ct out
	command -v conntrack >/dev/null || { info="conntrack(8) missing to observe"; return 0; }
	mkdir -p "$dir"
	newns node || return 1
	newns pod || return 1
	ip link add ctv0 netns "$node" type veth peer name ctv1 netns "$pod" || { fail "veth"; return 1; }
	nsx "$node" ip addr add 192.0.2.1/24 dev ctv0
	nsx "$node" ip link set ctv0 up
	nsx "$pod" ip addr add 198.19.1.53/32 dev ctv1
	nsx "$pod" ip addr add 198.19.1.54/32 dev ctv1
	nsx "$pod" ip link set ctv1 up
	nsx "$node" ip route add 198.19.1.0/24 dev ctv0
	# a route for the ClusterIP range, as a node has (the route is chosen
	# before the output hook rewrites the destination)
	nsx "$node" ip route add 198.18.0.0/16 dev ctv0
	write_dns "$dir" "198.19.1.53 198.19.1.54"
	write_other "$dir"
	svcnft "$node" apply "${ARGS[@]}" -f "$dir" >/dev/null 2>&1 || { fail "apply"; return 1; }
	# flows from the node (nat-output) until both endpoints have one
	local i
	for i in $(seq 1 60); do
		nsx "$node" bash -c "echo q >/dev/udp/198.18.0.53/53" 2>/dev/null
		nsx "$node" conntrack -L -p udp 2>/dev/null >"$TMP/ct.txt"
		grep -q "src=198.19.1.53 " "$TMP/ct.txt" && grep -q "src=198.19.1.54 " "$TMP/ct.txt" && break
	done
	grep -q "src=198.19.1.53 " "$TMP/ct.txt" && grep -q "src=198.19.1.54 " "$TMP/ct.txt" ||
		{ fail "no UDP conntrack entries to both endpoints"; return 1; }
	write_dns "$dir" "198.19.1.54"
	out=$(svcnft "$node" apply "${ARGS[@]}" -f "$dir" 2>&1) || { fail "apply: $out"; return 1; }
	nsx "$node" conntrack -L -p udp 2>/dev/null >"$TMP/ct.txt"
	grep -q "src=198.19.1.53 " "$TMP/ct.txt" && { fail "the entry of the removed endpoint is still there"; return 1; }
	grep -q "src=198.19.1.54 " "$TMP/ct.txt" || { fail "the entry of the remaining endpoint is gone"; return 1; }
	grep -q "^cleared: [1-9]" <<<"$out" || { fail "apply did not report the cleanup: $out"; return 1; }
	info=$(grep "^cleared" <<<"$out")
	# a flow to a port of the node that becomes a NodePort: its entry (the
	# node answered it, no DNAT) would keep it off the Service
	nsx "$node" bash -c "echo q >/dev/udp/192.0.2.1/30053" 2>/dev/null
	nsx "$node" conntrack -L -p udp --dport 30053 2>/dev/null | grep -q "dport=30053" ||
		{ fail "no conntrack entry for the future NodePort"; return 1; }
	sed -i 's/^  clusterIP: 198.18.0.53/  type: NodePort\n  clusterIP: 198.18.0.53/; s/targetPort: 53}/targetPort: 53, nodePort: 30053}/' \
		"$dir/dns.yaml"
	out=$(svcnft "$node" apply "${ARGS[@]}" -f "$dir" 2>&1) || { fail "NodePort apply: $out"; return 1; }
	nsx "$node" conntrack -L -p udp --dport 30053 2>/dev/null | grep -q "dport=30053" &&
		{ fail "the entry of the flow that predates the NodePort is still there"; return 1; }
	grep -q "src=198.19.1.54 " <(nsx "$node" conntrack -L -p udp 2>/dev/null) ||
		{ fail "the entry of the unchanged ClusterIP flow is gone"; return 1; }
	delns "$node"
	delns "$pod"
}

# Affinity entries pinned to an endpoint that is gone are deleted; others stay.
t_affinity() {
	local ns dir=$TMP/aff out
	mkdir -p "$dir"
	newns ns || return 1
	write_other "$dir"
	write_web "$dir" ClusterIP "198.19.1.1 198.19.1.2" 80 1
	svcnft "$ns" apply "${ARGS[@]}" -f "$dir" >/dev/null 2>&1 || { fail "apply"; return 1; }
	nsx "$ns" nft add element ip svcnft affinity \
		'{ 198.51.100.1 . 198.18.0.80 . tcp . 80 timeout 1h : 198.19.1.1 . 880,
		   198.51.100.2 . 198.18.0.80 . tcp . 80 timeout 1h : 198.19.1.2 . 880 }' ||
		{ fail "could not add affinity entries"; return 1; }
	write_web "$dir" ClusterIP "198.19.1.2" 80 1
	out=$(svcnft "$ns" apply "${ARGS[@]}" -f "$dir" 2>&1) || { fail "apply: $out"; return 1; }
	nsx "$ns" nft list map ip svcnft affinity >"$TMP/aff.txt"
	grep -q "198.51.100.1 " "$TMP/aff.txt" && { fail "entry of the removed endpoint is still there"; return 1; }
	grep -q "198.51.100.2 " "$TMP/aff.txt" || { fail "entry of the remaining endpoint is gone"; return 1; }
	delns "$ns"
}

for t in "${TESTS[@]}"; do
	selected "$t" || continue
	why="" info=""
	if "t_$t"; then
		passed=$((passed + 1))
		echo "ok $t${info:+: $info}"
	else
		failed=$((failed + 1))
		echo "FAIL $t: $why"
	fi
	for ns in "${NSLIST[@]}"; do rmlock "$ns"; ip netns del "$ns" 2>/dev/null; done
	NSLIST=()
done
finish
