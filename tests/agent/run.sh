#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Agent tier: `svcnft run` end to end. Each tests/agent/cases/*.sh runs in a
# network namespace of its own (unshare -n: the agent's rules, its HTTP
# servers and the test API server on 127.0.0.1 are invisible outside and
# die with it), bounded by `timeout`. A case exits 77 to be skipped.
# Prints "agent: N passed, N failed, N skipped".
# SVCNFT=PATH runs another binary (make asan: build-asan/svcnft-bin). A
# sanitizer build's reports go to a file per process (log_path) in a folder
# per case: a case with any report fails, whatever its exit code (an agent
# stopped by SIGTERM exits 0, then LeakSanitizer runs at exit; a case that
# does not look at the exit code would miss it).
set -u
cd "$(dirname "$0")/../.."
export SVCNFT=${SVCNFT:-$PWD/svcnft}
case $SVCNFT in /*) ;; *) SVCNFT=$PWD/$SVCNFT ;; esac
SAN_DIR=$(mktemp -d /tmp/svcnft-agent-san.XXXXXX)
trap 'rm -rf "$SAN_DIR"' EXIT
passed=0 failed=0 skipped=0
ncases=$(ls tests/agent/cases/*.sh | wc -l)
if [ "$(id -u)" -ne 0 ]; then
	echo "agent: 0 passed, 0 failed, $ncases skipped (needs root for network namespaces)"
	exit 0
fi
if [ ! -x "$SVCNFT" ]; then
	echo "agent: $SVCNFT is missing (make)"
	echo "agent: 0 passed, 1 failed"
	exit 1
fi
for c in tests/agent/cases/*.sh; do
	name=$(basename "$c" .sh)
	if [ -n "${CASES:-}" ] && ! grep -qw -- "$name" <<<"$CASES"; then
		continue
	fi
	start=$(date +%s%N)
	mkdir -p "$SAN_DIR/$name"
	# leaks and errors are failures; exitcode 23 so that a case checking
	# the agent's exit code sees it too
	out=$(ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0:exitcode=23:log_path=$SAN_DIR/$name/asan" \
		UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=23:log_path=$SAN_DIR/$name/ubsan" \
		timeout -k 5 150 unshare -n bash -c 'ip link set lo up && exec bash "$0"' "$c" 2>&1)
	rc=$?
	san=$(find "$SAN_DIR/$name" -type f -size +0 | sort)
	if [ -n "$san" ] && [ "$rc" -ne 77 ]; then
		out+=$'\n'"sanitizer reports: $san"$'\n'$(cat $san | head -n 40)
		rc=1
	fi
	ms=$((($(date +%s%N) - start) / 1000000))
	secs=$((ms / 1000)).$((ms % 1000 / 100))
	if [ "$rc" -eq 77 ]; then
		skipped=$((skipped + 1))
		echo "agent: SKIP $name: $(printf '%s\n' "$out" | tail -n1)"
	elif [ "$rc" -eq 0 ]; then
		passed=$((passed + 1))
		echo "agent: PASS $name (${secs}s)"
	else
		failed=$((failed + 1))
		echo "agent: FAIL $name (exit $rc, ${secs}s)"
		printf '%s\n' "$out" | tail -n 50 | sed 's/^/    /'
	fi
done
echo "agent: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
