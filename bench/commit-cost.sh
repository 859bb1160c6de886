#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What one small change costs the kernel in a big svcnft table: the time of
# the sendmsg that carries `svcnft apply`'s batch (the kernel handles a
# netlink batch inside sendmsg, commit and table validation included), read
# with strace -T, for:
#   an endpoint replaced, added, removed (Service bench/probe, 10 endpoints;
#   bench/keep9 and bench/keep11 keep the counts 9 and 11 in use, as a real
#   cluster's mix of counts does), a first Service with a count nobody uses
#   (12: the new shape adds a map and its rules), a Service added, and a
#   Service removed.
# Everything runs in a private network namespace (unshare -n) per binary.
#
#   bench/commit-cost.sh MANIFEST_DIR [SVCNFT...]
#
# e.g. bench/gen-manifests.py --services 10000 --endpoints 10 --out /tmp/svc10k &&
#      bench/commit-cost.sh /tmp/svc10k ./svcnft /tmp/old/svcnft
# Each change is applied from the base state and undone before the next,
# RUNS times (default 3); the figures are the sendmsg times in ms.
set -eu
dir=$1
shift
bins=("$@")
[ ${#bins[@]} -gt 0 ] || bins=(./svcnft)
[ "$(id -u)" -eq 0 ] || { echo "commit-cost: needs root (unshare -n)" >&2; exit 1; }
command -v strace >/dev/null || { echo "commit-cost: needs strace" >&2; exit 1; }
RUNS=${RUNS:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# svc NAME IP "EP..." : a ClusterIP Service in namespace bench, port 80
svc() {
	local e
	printf 'apiVersion: v1\nkind: Service\nmetadata: {name: %s, namespace: bench}\n' "$1"
	printf 'spec:\n  clusterIP: %s\n  ports: [{name: http, port: 80, targetPort: 8080}]\n---\n' "$2"
	printf 'apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n'
	printf 'metadata: {name: %s-1, namespace: bench, labels: {kubernetes.io/service-name: %s}}\n' "$1" "$1"
	printf 'addressType: IPv4\nports: [{name: http, port: 8080}]\nendpoints:\n'
	for e in $3; do printf -- '- {addresses: ["%s"], nodeName: node-b}\n' "$e"; done
	printf -- '---\n'
}
eps() { # FIRST COUNT: 198.19.250.FIRST...
	local i
	for ((i = $1; i < $1 + $2; i++)); do printf '198.19.250.%d ' "$i"; done
}
variant() { # NAME: the extra file of that variant
	{
		svc keep9 198.18.250.9 "$(eps 100 9)"
		svc keep11 198.18.250.11 "$(eps 120 11)"
		case $1 in
		base | svc-added | count-new) svc probe 198.18.250.1 "$(eps 1 10)" ;;
		ep-replaced) svc probe 198.18.250.1 "$(eps 2 9) 198.19.250.50" ;;
		ep-added) svc probe 198.18.250.1 "$(eps 1 11)" ;;
		ep-removed) svc probe 198.18.250.1 "$(eps 1 9)" ;;
		svc-removed) ;;
		esac
		case $1 in
		svc-added) svc added 198.18.250.2 "$(eps 60 10)" ;;
		count-new) svc added 198.18.250.2 "$(eps 60 12)" ;;
		esac
	} >"$tmp/extra-$1.yaml"
}
CHANGES=(ep-replaced ep-added ep-removed count-new svc-added svc-removed)
for v in base "${CHANGES[@]}"; do variant "$v"; done
ARGS=(--node-name node-a --service-cidr 198.18.0.0/16 --cluster-cidr 198.19.0.0/16)

# the part that runs inside the namespace, as a file: a script read from
# stdin would be eaten by the first child that reads stdin
cat >"$tmp/inner.sh" <<'INNER'
set -eu
bin=$1 dir=$2 tmp=$3 runs=$4 changes=$5
shift 5
args=("$@")
mkdir -p "$tmp/m"
ln -sf "$(readlink -f "$dir")" "$tmp/m/cluster"
apply() { # VARIANT: the batch's sendmsg time in ms (summed if several)
	cp "$tmp/extra-$1.yaml" "$tmp/m/extra.yaml"
	strace -f -T -e trace=sendmsg -o "$tmp/st" "$bin" apply "${args[@]}" -f "$tmp/m/cluster" \
		-f "$tmp/m/extra.yaml" >"$tmp/out" 2>&1 || { cat "$tmp/out" >&2; exit 1; }
	awk -F'<' '/sendmsg/ { sub(/>.*/, "", $NF); s += $NF } END { printf "%.2f", s * 1000 }' "$tmp/st"
}
t0=$(date +%s%N)
full=$(apply base)
echo "first apply: batch $full ms in the kernel, $((($(date +%s%N) - t0) / 1000000)) ms in all"
for c in $changes; do
	line="$c:"
	for ((r = 0; r < runs; r++)); do
		line="$line $(apply "$c")"
		apply base >/dev/null
	done
	echo "$line ms"
done
INNER
for bin in "${bins[@]}"; do
	bin=$(readlink -f "$bin")
	echo "== $bin"
	unshare -n bash "$tmp/inner.sh" "$bin" "$dir" "$tmp" "$RUNS" "${CHANGES[*]}" "${ARGS[@]}" </dev/null
done
