#!/bin/bash
# What the kernel itself charges per nftables object, whatever the ruleset's
# shape: the floor under a first apply. Run as root; everything happens in a
# private network namespace (unshare -n) that vanishes on exit.
#
#   bench/kernel-floor.sh [COUNT] [--perf]
#
# Loads, each in one transaction with nft -f into an empty table:
#   elements: COUNT elements of a data map keyed like an endpoint
#             (address . protocol . port . slot : address . port), the least
#             one endpoint can cost;
#   rules:    COUNT plain `dnat to` rules in COUNT/10 chains (the cascade);
#   chains:   COUNT/10 empty chains.
# and prints the kernel time (the batch's sendmsg duration, strace -T) per
# object. With --perf, also the kernel symbols that take the time (perf
# record --all-kernel of the element load, flat profile, top 15).
set -eu
count=${1:-100000}
perf=0
[ "${2:-}" = --perf ] && perf=1
[ "$(id -u)" -eq 0 ] || { echo "kernel-floor: needs root (unshare -n)" >&2; exit 1; }
exec unshare -n bash -s "$count" "$perf" <<'INNER'
set -eu
count=$1 perf=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$count" "$tmp" <<'EOF'
import sys
n, d = int(sys.argv[1]), sys.argv[2]
def a(k): return "198.18.%d.%d" % (k >> 8 & 255, k & 255)
def p(k): return "198.19.%d.%d" % (k >> 8 & 255, k & 255)
with open(d + "/elements.nft", "w") as f:
    f.write("table ip floor {\n map m { type ipv4_addr . inet_proto . inet_service . ipv4_addr : ipv4_addr . inet_service; }\n}\n")
    for s in range(0, n, 1000):
        f.write("add element ip floor m { " + ", ".join(
            "%s . tcp . %d . %s : %s . 8080" % (a(k // 10), 80 + k % 10, a(k % 1000), p(k))
            for k in range(s, min(n, s + 1000))) + " }\n")
with open(d + "/rules.nft", "w") as f:
    f.write("table ip floor {\n")
    for c in range(n // 10):
        f.write(" chain c%d {\n" % c)
        for k in range(10):
            f.write("  meta l4proto tcp dnat to %s:8080\n" % p(c * 10 + k))
        f.write(" }\n")
    f.write("}\n")
with open(d + "/chains.nft", "w") as f:
    f.write("table ip floor {\n" + "".join(" chain c%d { }\n" % c for c in range(n // 10)) + "}\n")
EOF
kernel_ms() {
	strace -f --seccomp-bpf -e trace=sendmsg -T -o "$tmp/st" nft -f "$1"
	awk -F'<' '/sendmsg/ && /<[0-9.]+>$/ { v = $NF; sub(/>/, "", v); s += v } END { printf "%.1f", s * 1000 }' "$tmp/st"
}
for what in elements rules chains; do
	objs=$count
	[ $what = chains ] && objs=$((count / 10))
	ms=$(kernel_ms "$tmp/$what.nft")
	nft delete table ip floor
	sleep 1
	echo "$what: $objs in one transaction: kernel $ms ms, $(awk -v m="$ms" -v n="$objs" 'BEGIN { printf "%.1f", m * 1000 / n }') us each"
done
if [ "$perf" = 1 ]; then
	perf record -q --all-kernel -F 2000 -o "$tmp/perf.data" nft -f "$tmp/elements.nft" 2>/dev/null
	echo "where the kernel's time of the element load goes (perf --all-kernel, self, top 15):"
	perf report -i "$tmp/perf.data" --no-children --sort symbol --stdio 2>/dev/null |
		grep -E '^ +[0-9.]+%' | head -15
fi
INNER
