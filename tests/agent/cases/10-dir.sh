#!/bin/bash
# svcnft run -f DIR: the bundled examples/ as the directory; an edit, a
# delete, a half-written file (its previous objects kept, then the whole
# file taken) and an unreadable one (reported; the rest converge). After
# each step the kernel equals `svcnft diff -f` of the directory.
. "$(dirname "$0")/../lib.sh"
D=$(mktemp -d /tmp/svcnft-agentdir.XXXXXX)
AS_DIR=$D	# ag_cleanup removes it
AG_LOG=$D/agent.log
mkdir "$D/m"
cp "$AS_ROOT"/examples/*.yaml "$D/m/"
"$SVCNFT" run -f "$D/m" "${AG_OPTS[@]}" --min-sync-period 0 --healthz-bind-address 127.0.0.1:10256 \
	--metrics-bind-address "" --v 2 >>"$AG_LOG" 2>&1 &
AG_PID=$!

# dir_current [DIR]: the kernel equals a fresh compile of DIR
dir_current() {
	local i
	for i in $(seq 100); do
		timeout 30 "$SVCNFT" diff "${AG_OPTS[@]}" -f "${1:-$D/m}" >"$D/diff.out" 2>&1 && return 0
		sleep 0.2
	done
	cat "$D/diff.out"
	return 1
}
wait_syncs 1 || ag_fail "no first sync"
dir_current || ag_fail "examples/ not programmed"
ruleset | grep -q 203.0.113.10 || ag_fail "the LoadBalancer VIP is missing"

# an edit (in place), a delete
sed 's/198.19.1.20/198.19.1.21/' "$D/m/backend.yaml" >"$D/backend.new"
cat "$D/backend.new" >"$D/m/backend.yaml"
rm "$D/m/frontend.yaml"
dir_current || ag_fail "edit and delete not programmed"
ruleset | grep -q 198.19.1.21 || ag_fail "the edited endpoint is missing"
ruleset | grep -q 198.18.0.10 && ag_fail "the deleted Service stays"

# half-written: the first 40 lines of ingress.yaml with its VIP changed
sed 's/203.0.113.10/203.0.113.11/' "$AS_ROOT/examples/ingress.yaml" >"$D/ingress.new"
head -n 40 "$D/ingress.new" >"$D/m/ingress.yaml"
wait_for "$AG_LOG" 'keeping its previous objects.*ingress.yaml' 10 || ag_fail "the half-written file not reported"
ruleset | grep -q 203.0.113.10 || ag_fail "the half-written file's previous objects are gone"
cat "$D/ingress.new" >"$D/m/ingress.yaml"
dir_current || ag_fail "the completed file not programmed"
ruleset | grep -q 203.0.113.11 || ag_fail "the new VIP is missing"

# unreadable: a dangling link is reported, the others still converge
ln -s /nonexistent/svcnft-none.yaml "$D/m/zz.yaml"
sed -i 's/198.19.1.21/198.19.1.22/' "$D/m/backend.yaml"
wait_for "$AG_LOG" 'file not loaded.*zz.yaml' 10 || ag_fail "the unreadable file not reported"
mkdir "$D/readable"
cp "$D"/m/*.yaml "$D/readable/" 2>/dev/null
dir_current "$D/readable" || ag_fail "the readable files did not converge"
kill -0 "$AG_PID" 2>/dev/null || ag_fail "the agent died"
echo ok
