#!/bin/bash
# Unit tier: run every cmocka binary given, add up their results and print
# one "unit: N passed, N failed" line. Exit 1 if any test failed or a binary
# crashed.
set -u
passed=0 failed=0 crashed=0
for bin in "$@"; do
	out=$("$bin" 2>&1)
	rc=$?
	printf '%s\n' "$out" | grep -E '^\[  (FAILED|  OK  |  ERROR|  SKIPPED)' | grep -v '  OK  ' || true
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -n1)
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -n1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	if [ "$rc" -ne 0 ] && [ -z "$f" ]; then
		echo "unit: $bin exited $rc without a cmocka summary:"
		printf '%s\n' "$out" | tail -n 20
		crashed=$((crashed + 1))
	fi
	echo "unit: $(basename "$bin"): ${p:-0} passed, ${f:-0} failed"
done
failed=$((failed + crashed))
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
