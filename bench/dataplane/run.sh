#!/bin/bash
# TCP connect time through the Service rules a network namespace holds:
# bench/dataplane/run.sh NODE_NS [COUNT] [SECONDS]
#
# NODE_NS (created by the caller, holding svcnft's or kube-proxy's tables
# with bench-probe/web from gen-manifests.py --probe) becomes the node. This
# script adds, and removes on every exit path, a client namespace and a
# server namespace:
#
#   client 192.0.2.2 --- 192.0.2.1 node 198.51.100.1 --- 198.51.100.2 server
#                                                        + 198.19.255.1..10
#
# The server answers on 198.19.255.1-10:8080 (the probe's endpoints); the
# client connects COUNT times (default 2000, at most SECONDS, default 60,
# per target) to the ClusterIP 198.18.255.250:80 and to the NodePort
# 192.0.2.1:45000, and this prints two lines:
#   clusterip ok=N failed=M median_us=X p99_us=Y
#   nodeport ok=N failed=M median_us=X p99_us=Y
# Only documentation/benchmark addresses; traffic stays between the three
# namespaces. Needs root and build/bench/connect (make bench).
set -eu
node=$1
count=${2:-2000}
secs=${3:-60}
here=$(cd "$(dirname "$0")" && pwd)
bin=${CONNECT_BIN:-$here/../../build/bench/connect}
[ -x "$bin" ] || { echo "dataplane: $bin missing (make bench)" >&2; exit 1; }
ip netns list | grep -qw "$node" || { echo "dataplane: no namespace $node" >&2; exit 1; }

cli=$node-cli
srv=$node-srv
server_pid=
cleanup() {
	set +e
	if [ -n "$server_pid" ]; then
		kill "$server_pid" 2>/dev/null
		wait "$server_pid" 2>/dev/null
	fi
	ip netns del "$cli" 2>/dev/null || true
	ip netns del "$srv" 2>/dev/null || true
	ip -n "$node" link del dpc0 2>/dev/null || true
	ip -n "$node" link del dps0 2>/dev/null || true
}
trap cleanup EXIT INT TERM

ip netns add "$cli"
ip netns add "$srv"
ip -n "$node" link add dpc0 type veth peer name eth0 netns "$cli"
ip -n "$node" link add dps0 type veth peer name eth0 netns "$srv"
ip -n "$node" link set lo up
ip -n "$node" addr add 192.0.2.1/24 dev dpc0
ip -n "$node" addr add 198.51.100.1/24 dev dps0
ip -n "$node" link set dpc0 up
ip -n "$node" link set dps0 up
ip -n "$node" route add 198.19.255.0/28 via 198.51.100.2
ip netns exec "$node" sysctl -qw net.ipv4.ip_forward=1
ip -n "$cli" link set lo up
ip -n "$cli" addr add 192.0.2.2/24 dev eth0
ip -n "$cli" link set eth0 up
ip -n "$cli" route add default via 192.0.2.1
ip -n "$srv" link set lo up
ip -n "$srv" addr add 198.51.100.2/24 dev eth0
for k in 1 2 3 4 5 6 7 8 9 10; do
	ip -n "$srv" addr add "198.19.255.$k/32" dev eth0
done
ip -n "$srv" link set eth0 up
ip -n "$srv" route add default via 198.51.100.1

# The server outlives both probes by a margin, and is killed by the trap.
ip netns exec "$srv" "$bin" serve 8080 $((2 * secs + 10)) 2>/dev/null &
server_pid=$!
sleep 0.3

for target in "clusterip 198.18.255.250 80" "nodeport 192.0.2.1 45000"; do
	set -- $target
	printf '%s ' "$1"
	ip netns exec "$cli" "$bin" probe "$2" "$3" "$count" "$secs" || true
done
