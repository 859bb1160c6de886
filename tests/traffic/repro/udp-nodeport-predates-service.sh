#!/bin/bash
# Reproduction (svcnft bug found by the traffic tier; fixed by commit 4c828f2,
# kept as a stand-alone regression check): a UDP flow that hit a
# node's port before a NodePort Service claimed it stays on the node after
# `svcnft apply` creates the Service.
#
# The first datagram reaches the node's own stack (nothing listens: ICMP port
# unreachable) and conntrack records the flow as local, un-NATed traffic. The
# client keeps sending from the same socket (DNS resolvers, QUIC, game and
# VoIP clients do): each datagram refreshes that entry, so the nat hooks never
# see the flow again and the new NodePort never answers it. kube-proxy deletes
# UDP conntrack entries for a Service's ClusterIP, external IPs, LB IPs and
# NodePort when it gets its first endpoint (newer releases: every UDP entry
# to a Service port whose reply source is not a serving endpoint); svcnft
# apply only deletes entries whose reply source is a removed endpoint.
#
# Expected: "after apply: pod" (exit 0). Seen before the fix: "after apply:
# REFUSED" (exit 1).
#
# Needs root. Uses only namespaces named svcnft-repro-PID-*, removed on exit.
set -u
top=$(cd "$(dirname "$0")/../../.." && pwd)
svcnft=${SVCNFT:-$top/svcnft}
p=svcnft-repro-$$
work=$(mktemp -d)
srv_pid=""
cleanup() {
	[ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null
	for n in node client pod; do ip netns del "$p-$n" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for n in node client pod; do ip netns add "$p-$n"; ip -n "$p-$n" link set lo up; done
ip netns exec "$p-node" sysctl -qw net.ipv4.ip_forward=1
ip -n "$p-node" link add c0 type veth peer name eth0 netns "$p-client"
ip -n "$p-node" link add p0 type veth peer name eth0 netns "$p-pod"
ip -n "$p-node" addr add 198.51.100.1/24 dev c0
ip -n "$p-node" link set c0 up
ip -n "$p-node" link set p0 up
ip -n "$p-node" route add 198.19.1.10/32 dev p0
ip -n "$p-client" addr add 198.51.100.10/24 dev eth0
ip -n "$p-client" link set eth0 up
ip -n "$p-pod" addr add 198.19.1.10/32 dev eth0
ip -n "$p-pod" link set eth0 up
ip -n "$p-pod" route add default dev eth0

ip netns exec "$p-pod" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 5353))
while True:
    d, a = s.recvfrom(512)
    s.sendto(b"pod", a)
' &
srv_pid=$!

# svcnft already runs on the node: another Service is programmed (this is
# also what turns conntrack on in the namespace).
mkdir -p "$work/before" "$work/after"
cat >"$work/before/other.yaml" <<'EOF'
apiVersion: v1
kind: Service
metadata: {name: other, namespace: repro}
spec:
  clusterIP: 198.18.0.80
  ports:
  - {name: http, port: 80, protocol: TCP, targetPort: 8080}
EOF
cp "$work/before/other.yaml" "$work/after/"
ip netns exec "$p-node" "$svcnft" apply --node-name node-a --service-cidr 198.18.0.0/16 \
	--cluster-cidr 198.19.0.0/16 -f "$work/before" || exit 2

cat >"$work/after/svc.yaml" <<'EOF'
apiVersion: v1
kind: Service
metadata: {name: dns, namespace: repro}
spec:
  type: NodePort
  clusterIP: 198.18.0.53
  ports:
  - {name: dns, port: 53, protocol: UDP, targetPort: 5353, nodePort: 30053}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: dns-a
  namespace: repro
  labels: {kubernetes.io/service-name: dns}
addressType: IPv4
ports:
- {name: dns, port: 5353, protocol: UDP}
endpoints:
- {addresses: ["198.19.1.10"], conditions: {ready: true}, nodeName: node-a}
EOF

# One client socket: a datagram before the Service exists, apply, one after.
ip netns exec "$p-client" python3 - "$p-node" "$svcnft" "$work/after" <<'EOF'
import socket, subprocess, sys
node, svcnft, manifest = sys.argv[1:4]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1.0)
s.connect(("198.51.100.1", 30053))
def ask(what):
    s.send(b"ping")
    try:
        r = s.recv(512).decode()
    except ConnectionRefusedError:
        r = "REFUSED"
    except socket.timeout:
        r = "TIMEOUT"
    print(what + ": " + r, flush=True)
    return r
ask("before the Service")
subprocess.run(["ip", "netns", "exec", node, "conntrack", "-L", "-p", "udp"])
subprocess.run(["ip", "netns", "exec", node, svcnft, "apply", "--node-name", "node-a",
                "--service-cidr", "198.18.0.0/16", "--cluster-cidr", "198.19.0.0/16",
                "-f", manifest], check=True)
subprocess.run(["ip", "netns", "exec", node, "conntrack", "-L", "-p", "udp"])
r = ask("after apply")
# a new socket (a new flow) is answered: only the old flow is stuck
s2 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s2.settimeout(1.0)
s2.connect(("198.51.100.1", 30053))
s2.send(b"ping")
try:
    print("new socket: " + s2.recv(512).decode())
except OSError as e:
    print("new socket: " + str(e))
sys.exit(0 if r == "pod" else 1)
EOF
