#!/bin/bash
# Where the kernel spends one small svcnft change: perf profile (kernel
# only) of `svcnft apply` of one change over a loaded table. Run as root;
# everything happens in a private network namespace (unshare -n).
#
#   bench/profile-commit.sh [SERVICES] [CHANGE] [SVCNFT]
#   e.g. bench/profile-commit.sh 10000 ep-replace ./svcnft
#
# CHANGE is one of gen-manifests.py's --change kinds (default ep-replace).
# Prints the change's kernel time (sendmsg duration, strace -T) and the top
# kernel symbols of the apply (perf record --all-kernel -g): the inclusive
# share of the batch, the validation and the kernel read, and the top self time.
set -eu
n=${1:-10000}
change=${2:-ep-replace}
svcnft=$(realpath "${3:-./svcnft}")
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" -eq 0 ] || { echo "profile-commit: needs root (unshare -n)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$here/gen-manifests.py" --services "$n" --mix clusterip --out "$tmp/base"
python3 "$here/gen-manifests.py" --services "$n" --mix clusterip --change "$change" --out "$tmp/change"
flags="--node-name node-0 --service-cidr 198.18.0.0/16 --cluster-cidr 198.19.0.0/16 --service-node-port-range 30000-45999"
unshare -n bash -s "$svcnft" "$tmp" "$flags" <<'INNER'
set -eu
svcnft=$1 tmp=$2 flags=$3
"$svcnft" apply $flags -f "$tmp/base" >/dev/null || nft -f <("$svcnft" compile $flags -f "$tmp/base")
strace -f --seccomp-bpf -e trace=sendmsg -T -o "$tmp/st" "$svcnft" apply $flags -f "$tmp/change"
awk -F'<' '/sendmsg/ && /<[0-9.]+>$/ { v = $NF; sub(/>/, "", v); s += v } END { printf "kernel time of the change: %.3f ms (sendmsg, strace -T)\n", s * 1000 }' "$tmp/st"
"$svcnft" apply $flags -f "$tmp/base" >/dev/null
perf record -q --all-kernel -F 4000 -g -o "$tmp/perf.data" "$svcnft" apply $flags -f "$tmp/change" >/dev/null 2>&1
echo "inclusive share of the apply's kernel samples (perf --all-kernel -g, children):"
perf report -i "$tmp/perf.data" --children --sort symbol --stdio -g none 2>/dev/null |
	grep -E ' (nfnetlink_rcv_batch|nf_tables_commit|nf_tables_newrule|nf_tables_newsetelem|nft_table_validate|nft_chain_validate|nf_tables_dump_rules|nf_tables_dump_setelem|nf_tables_dump_chains|netlink_recvmsg)( |$)' |
	awk '{ printf "  %-8s %-8s %s\n", $1, $2, $4 }'
echo "self time, top 12 (pvm_irq_enable: samples taken while interrupts were off, a VM artefact):"
perf report -i "$tmp/perf.data" --no-children --sort symbol --stdio -g none 2>/dev/null | grep -E '^ +[0-9.]+%' | head -12
INNER
