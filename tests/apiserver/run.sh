#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# API client tier: each tests/apiserver/cases/*.sh runs against its own test
# API server on 127.0.0.1 (started and stopped by the case, trapped), bounded
# by `timeout`. A case exits 77 to be skipped (a tool it needs is missing).
# Prints "apiserver: N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.."
passed=0 failed=0 skipped=0
export KUBE_WATCH=${KUBE_WATCH:-$PWD/build/tests/kube_watch}
if [ ! -x "$KUBE_WATCH" ]; then
	echo "apiserver: $KUBE_WATCH is missing (make check builds it)"
	echo "apiserver: 0 passed, 1 failed"
	exit 1
fi
for c in tests/apiserver/cases/*.sh; do
	name=$(basename "$c" .sh)
	if [ -n "${CASES:-}" ] && ! grep -qw -- "$name" <<<"$CASES"; then
		continue
	fi
	start=$(date +%s%N)
	out=$(timeout -k 5 90 bash "$c" 2>&1)
	rc=$?
	ms=$((($(date +%s%N) - start) / 1000000))
	secs=$((ms / 1000)).$((ms % 1000 / 100))
	if [ "$rc" -eq 77 ]; then
		skipped=$((skipped + 1))
		echo "apiserver: SKIP $name: $(printf '%s\n' "$out" | tail -n1)"
	elif [ "$rc" -eq 0 ]; then
		passed=$((passed + 1))
		echo "apiserver: PASS $name (${secs}s)"
	else
		failed=$((failed + 1))
		echo "apiserver: FAIL $name (exit $rc, ${secs}s)"
		printf '%s\n' "$out" | tail -n 40 | sed 's/^/    /'
	fi
done
echo "apiserver: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
