#!/bin/bash
# Golden tier: for every golden/<case>/, run `svcnft compile` on the case's
# manifests (in/) with its options (args) and compare stdout, stderr and the
# exit code with expected.nft, expected.err and expected.rc.
#
# For every case that compiles, two more checks:
#  - order: the same documents in reversed file and document order give
#    byte-identical output;
#  - load: `nft -f` loads the output unchanged into a fresh network namespace
#    (needs root and unshare; skipped otherwise, and counted as skipped).
#
#   tests/golden.sh            check every case (or: tests/golden.sh CASE...)
#   tests/golden.sh --update   rewrite the expected files from the current compiler
#
# A mismatch writes *.got files beside the expected ones (never overwrites
# them) and prints the diff.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
svcnft=${SVCNFT:-$top/svcnft}
case $svcnft in /*) ;; *) svcnft=$top/$svcnft ;; esac
update=0
if [ "${1:-}" = "--update" ]; then update=1; shift; fi
cases=("$@")
if [ ${#cases[@]} -eq 0 ]; then
	for d in "$top"/golden/*/; do cases+=("$(basename "$d")"); done
fi
can_load=0
if [ "$(id -u)" -eq 0 ] && command -v nft >/dev/null && unshare -n true 2>/dev/null; then
	can_load=1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0 skipped=0

run_case() { # dir outprefix [input dir]
	local dir=$1 out=$2 input=${3:-in}
	local args=()
	if [ -f "$dir/args" ]; then
		# one option per line; blank lines and # comments ignored
		while IFS= read -r line; do
			line=${line%%#*}
			[ -n "${line// }" ] || continue
			read -r -a words <<<"$line"
			args+=("${words[@]}")
		done <"$dir/args"
	fi
	(cd "$dir" && "$svcnft" compile "${args[@]}" -f "$input" >"$out.nft" 2>"$out.err"; echo $? >"$out.rc")
}

for c in "${cases[@]}"; do
	dir=$top/golden/$c
	if [ ! -d "$dir/in" ]; then
		echo "golden: $c: no in/ directory"; failed=$((failed + 1)); continue
	fi
	run_case "$dir" "$tmp/$c"
	rc=$(cat "$tmp/$c.rc")
	if [ $update -eq 1 ]; then
		if [ "$rc" -eq 0 ]; then cp "$tmp/$c.nft" "$dir/expected.nft"; else rm -f "$dir/expected.nft"; fi
		cp "$tmp/$c.err" "$dir/expected.err"
		if [ "$rc" -ne 0 ]; then echo "$rc" >"$dir/expected.rc"; else rm -f "$dir/expected.rc"; fi
		[ -s "$dir/expected.err" ] || rm -f "$dir/expected.err"
		echo "golden: $c: updated (exit $rc)"
		passed=$((passed + 1))
		continue
	fi
	ok=1
	want_rc=0; [ -f "$dir/expected.rc" ] && want_rc=$(cat "$dir/expected.rc")
	if [ "$rc" != "$want_rc" ]; then
		echo "golden: $c: exit code $rc, expected $want_rc"; ok=0
	fi
	want_nft=/dev/null; [ -f "$dir/expected.nft" ] && want_nft=$dir/expected.nft
	if ! cmp -s "$want_nft" "$tmp/$c.nft"; then
		cp "$tmp/$c.nft" "$dir/expected.nft.got"
		echo "golden: $c: stdout differs (wrote expected.nft.got):"
		diff -u "$want_nft" "$tmp/$c.nft" | head -n 60
		ok=0
	fi
	want_err=/dev/null; [ -f "$dir/expected.err" ] && want_err=$dir/expected.err
	if ! cmp -s "$want_err" "$tmp/$c.err"; then
		cp "$tmp/$c.err" "$dir/expected.err.got"
		echo "golden: $c: stderr differs (wrote expected.err.got):"
		diff -u "$want_err" "$tmp/$c.err" | head -n 40
		ok=0
	fi
	if [ $ok -eq 1 ] && [ "$rc" -eq 0 ]; then
		# the same objects in another order
		rm -rf "$tmp/perm"
		python3 "$top/tests/permute.py" "$dir/in" "$tmp/perm"
		run_case "$dir" "$tmp/$c.perm" "$tmp/perm"
		if ! cmp -s "$tmp/$c.nft" "$tmp/$c.perm.nft"; then
			echo "golden: $c: output depends on input order:"
			diff -u "$tmp/$c.nft" "$tmp/$c.perm.nft" | head -n 40
			ok=0
		fi
		if [ $can_load -eq 1 ]; then
			if ! unshare -n nft -f "$tmp/$c.nft" 2>"$tmp/$c.load"; then
				echo "golden: $c: nft -f refused the output:"
				head -n 20 "$tmp/$c.load"
				ok=0
			fi
		else
			skipped=$((skipped + 1))
		fi
	fi
	if [ $ok -eq 1 ]; then
		passed=$((passed + 1)); rm -f "$dir"/*.got
	else
		failed=$((failed + 1)); echo "golden: $c: FAILED"
	fi
done
[ $can_load -eq 1 ] || echo "golden: nft load checks skipped (need root, nft and unshare -n)"
echo "golden: $passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
