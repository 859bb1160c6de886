#!/bin/bash
# What one small change costs the kernel in a big svcnft table, by kind of
# change: a rule replaced in one service chain (what apply sends for an
# endpoint change today) against an element added to a data map that one
# common rule looks up. Run as root; everything happens in a private network
# namespace (unshare -n) that vanishes on exit.
#
#   bench/commit-cost.sh COMPILE_OUTPUT.nft [CHAIN]
#
# e.g. bench/gen-manifests.py --out /tmp/svc10k &&
#      ./svcnft compile --node-name node-a --service-cidr 198.18.0.0/16 -f /tmp/svc10k >/tmp/10k.nft &&
#      bench/commit-cost.sh /tmp/10k.nft
set -eu
script=$1
chain=${2:-svc-ns-001/svc-00001/tcp/80}
[ "$(id -u)" -eq 0 ] || { echo "commit-cost: needs root (unshare -n)" >&2; exit 1; }
exec unshare -n bash -s "$script" "$chain" <<'INNER'
set -eu
script=$1 chain=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
nft -f "$script"
nft add map ip svcnft bench-eps '{ type ipv4_addr . inet_service : ipv4_addr . inet_service; }'
nft add chain ip svcnft bench-pick
nft add rule ip svcnft bench-pick meta l4proto tcp dnat ip to ip daddr . th dport map @bench-eps
ms() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null; t1=$(date +%s%N); echo $(((t1 - t0) / 1000000)); }
for i in 1 2 3 4 5; do
	printf 'add element ip svcnft bench-eps { 198.18.9.%d . 80 : 198.19.9.%d . 8080 }\n' "$i" "$i" >"$tmp/e.nft"
	printf 'flush chain ip svcnft %s\nadd rule ip svcnft %s meta l4proto tcp dnat to 198.19.9.%d:8080\n' \
		"$chain" "$chain" "$i" >"$tmp/r.nft"
	printf 'flush chain ip svcnft %s\n' "$chain" >"$tmp/f.nft"
	echo "run $i: element add $(ms nft -f "$tmp/e.nft") ms, rule replace $(ms nft -f "$tmp/r.nft") ms, bare flush $(ms nft -f "$tmp/f.nft") ms (nft process included)"
done
INNER
