#!/bin/bash
# Real connections follow the API: a client on the node reaches a
# ClusterIP Service through the agent's rules to a pod (a namespace behind
# a veth), then to another pod once the EndpointSlice moves, and nothing
# once the Service is deleted.
. "$(dirname "$0")/../lib.sh"
PFX=svcnft-ag-$$
PODS=""
SRV_PIDS=""
traffic_cleanup() {
	local p
	for p in $SRV_PIDS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	for p in $PODS; do ip netns del "$PFX-$p" 2>/dev/null; done
	ag_cleanup
}
trap traffic_cleanup EXIT

# the node: an uplink with a default route (so that a ClusterIP routes at
# all before its DNAT), the pods' gateway on lo
ip link add up0 type veth peer name up0p && ip link set up0 up && ip link set up0p up
ip addr add 192.0.2.1/24 dev up0
ip route add default via 192.0.2.254
ip addr add 198.19.1.1/32 dev lo
sysctl -qw net.ipv4.ip_forward=1
# pod NAME IP: a namespace with an HTTP server on :8080 that names itself
# (no DNS anywhere: the namespaces have no resolver)
pod() {
	local n=$1 ip=$2
	ip netns add "$PFX-$n" || return 1
	PODS="$PODS $n"
	ip -n "$PFX-$n" link set lo up
	ip link add "v-$n" type veth peer name eth0 netns "$PFX-$n"
	ip link set "v-$n" up
	ip route add "$ip/32" dev "v-$n"
	ip -n "$PFX-$n" addr add "$ip/32" dev eth0
	ip -n "$PFX-$n" link set eth0 up
	ip -n "$PFX-$n" route add 198.19.1.1 dev eth0 scope link
	ip -n "$PFX-$n" route add default via 198.19.1.1
	# a plain TCP server (http.server would look its name up in DNS)
	ip netns exec "$PFX-$n" python3 -c '
import socketserver, sys
class H(socketserver.StreamRequestHandler):
    def handle(self):
        while self.rfile.readline().strip():
            pass
        body = sys.argv[2].encode() + b"\n"
        self.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
socketserver.ThreadingTCPServer.allow_reuse_address = True
socketserver.ThreadingTCPServer((sys.argv[1], 8080), H).serve_forever()' "$ip" "pod $n" >/dev/null 2>&1 &
	SRV_PIDS="$SRV_PIDS $!"
}
as_start || exit 1
pod pa1 198.19.1.10 || ag_fail "pod pa1"
pod pa2 198.19.1.11 || ag_fail "pod pa2"
node_api
svc_api web 198.18.0.50
slice_api web web-1 "$(ep 198.19.1.10)"
ag_start
wait_current || ag_fail "not programmed"

# get: what the Service answers (bounded: 20 tries of 1 s)
get() {
	local want=$1 i got
	for i in $(seq 20); do
		got=$(curl -s --max-time 1 http://198.18.0.50/ 2>/dev/null)
		[ "$got" = "$want" ] && return 0
		sleep 0.2
	done
	echo "http://198.18.0.50/ answered \"$got\", want \"$want\""
	return 1
}
get "pod pa1" || ag_fail "no connection to pa1 through the Service"
slice_put web web-1 "$(ep 198.19.1.11)"
wait_current || ag_fail "the move not programmed"
get "pod pa2" || ag_fail "connections did not follow the EndpointSlice"
for i in 1 2 3 4 5; do
	[ "$(curl -s --max-time 1 http://198.18.0.50/)" = "pod pa2" ] || ag_fail "a connection went elsewhere than pa2"
done
as_api DELETE /api/v1/namespaces/t/services/web >/dev/null
wait_current || ag_fail "the deletion not programmed"
get "" || ag_fail "the deleted Service still answers"
echo ok
