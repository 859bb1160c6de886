#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What `svcnft apply` costs end to end at one size, for one or more
# binaries side by side (e.g. before and after a change), each in its own
# private network namespace (unshare -n): first apply, no-op apply (RUNS
# times), and each of the five changes of bench/gen-manifests.py
# (ep-replace, ep-add, ep-remove, svc-add, svc-remove) applied from the base
# state and undone. Every figure comes from `svcnft apply --stats`
# (read_ms: the kernel read; commit_ms: sendmsg of the batch to its last
# ACK) and the wall time of the command.
#
#   bench/read-cost.sh N SVCNFT...        e.g. bench/read-cost.sh 10000 ./svcnft /tmp/old/svcnft
#
# N Services x 10 endpoints, all ClusterIP (--mix clusterip), run.sh's
# options. Prints one TSV row per binary and measurement (medians).
set -eu
n=$1
shift
bins=("$@")
[ ${#bins[@]} -gt 0 ] || bins=(./svcnft)
[ "$(id -u)" -eq 0 ] || { echo "read-cost: needs root (unshare -n)" >&2; exit 1; }
RUNS=${RUNS:-3}
MIX=${MIX:-clusterip}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
changes=(ep-replace ep-add ep-remove svc-add svc-remove)

"$here/gen-manifests.py" --services "$n" --endpoints 10 --mix "$MIX" --out "$tmp/base" >/dev/null
for c in "${changes[@]}"; do
	"$here/gen-manifests.py" --services "$n" --endpoints 10 --mix "$MIX" --change "$c" \
		--out "$tmp/$c" >/dev/null
done

# The body runs inside unshare -n: only the namespace's own tables exist.
cat >"$tmp/body.sh" <<'BODY'
set -u
bin=$1 tmp=$2 runs=$3; shift 3
opts=(--node-name node-0 --service-cidr 198.18.0.0/16 --cluster-cidr 198.19.0.0/16
	--service-node-port-range 30000-45999)
# one apply: prints "wall_ms read_ms commit_ms"
one() {
	local s e st
	s=$(date +%s%N)
	"$bin" apply --stats "${opts[@]}" -f "$1" >/dev/null 2>"$tmp/err" ||
		{ echo "apply failed: $(tail -n 2 "$tmp/err")" >&2; exit 1; }
	e=$(date +%s%N)
	st=$(grep '^stats:' "$tmp/err" | tail -n 1)
	echo "$(((e - s) / 1000)) $(sed -n 's/.*read_ms=\([0-9.]*\).*/\1/p' <<<"$st") $(sed -n 's/.*commit_ms=\([0-9.]*\).*/\1/p' <<<"$st")"
}
echo "first $(one "$tmp/base")"
for ((r = 0; r < runs; r++)); do echo "noop $(one "$tmp/base")"; done
for c in "$@"; do
	for ((r = 0; r < runs; r++)); do
		echo "$c $(one "$tmp/$c")"
		one "$tmp/base" >/dev/null
	done
done
BODY

median() { sort -n | awk '{v[NR]=$1} END {if (NR) print v[int((NR+1)/2)]; else print "n/a"}'; }
printf 'binary\tN\tmeasurement\twall_ms\tread_ms\tcommit_ms\n'
for b in "${bins[@]}"; do
	unshare -n bash "$tmp/body.sh" "$(realpath "$b")" "$tmp" "$RUNS" "${changes[@]}" >"$tmp/out"
	for m in first noop "${changes[@]}"; do
		w=$(awk -v m="$m" '$1 == m {printf "%.1f\n", $2 / 1000}' "$tmp/out" | median)
		rd=$(awk -v m="$m" '$1 == m {print $3}' "$tmp/out" | median)
		cm=$(awk -v m="$m" '$1 == m {print $4}' "$tmp/out" | median)
		printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$b" "$n" "$m" "$w" "$rd" "$cm"
	done
done
