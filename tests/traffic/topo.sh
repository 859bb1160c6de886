# shellcheck shell=bash
# tests/traffic/topo.sh: a two-node cluster in network namespaces, for the
# traffic tests. Sourced, never run. Only namespaces named svcnft-tr-PID-*
# are created, and topo_down removes every one of them; the host namespace
# is never touched (no address, route, sysctl or rule).
#
#                    ext 198.51.100.10, .200 (external client)
#                     | 198.51.100.0/24
#   node 192.0.2.1 --- rtr --- nodeb 192.0.2.17
#   (node-a, svcnft)  192.0.2.0/28, 192.0.2.16/28
#     | veth, /32 routes                | veth
#   pa1 198.19.1.10  pa2 .11  pa3 .12   pb1 198.19.2.10 (pod on node-b)
#   pc  198.19.1.50 (the client pod)
#
# - Pods have a /32 (IPv6 /128) on eth0 and a default route to their node
#   (198.19.1.1 on the node's lo, reached on-link; IPv6 fe80::1 on the node's
#   end of the veth). Every packet between two pods, even on one node, is
#   routed by the node: nothing bypasses its conntrack, so an un-masqueraded
#   reply always comes back through the node that translated the request.
# - The router sends the Service CIDR, the LoadBalancer/external-IP range
#   (203.0.113.0/24) and the pod CIDR of node-a to node-a, 198.19.2.0/24 to
#   node-b. A remote pod answering an un-masqueraded external client replies
#   straight to it through the router, as in a real cluster: wrong
#   masquerading breaks the connection instead of going unnoticed.
# - node-a has a second address, 192.0.2.101 (on lo), that node-side
#   clients bind to: a masqueraded connection shows 192.0.2.1 (uplink) or
#   198.19.1.1 (towards local pods), an un-masqueraded one 192.0.2.101.
# - IPv6 mirrors it: node-a 2001:db8:2:1::1, node-b 2001:db8:2:2::1, pods
#   2001:db8:19:1::10.. and 2001:db8:19:2::10, client 2001:db8:5100::10,
#   Services 2001:db8:18::/108, VIPs 2001:db8:113::/64.
#
# Every pod runs build/traffic/tsrv on TCP 8080, 8081, 9090 and UDP 5353.

TR_PFX="svcnft-tr-$$"
TR_NODES="node rtr nodeb ext"
TR_PODS_A="pa1 pa2 pa3 pc"
TR_PODS_B="pb1"
TR_SRV_PIDS=()

# Addresses (IPv4 and IPv6) the tests refer to by name.
NODE_IP=192.0.2.1 NODE_CLIENT_IP=192.0.2.101 NODE_GW=198.19.1.1
NODEB_IP=192.0.2.17 EXT_IP=198.51.100.10 EXT_IP2=198.51.100.200
NODE_IP6=2001:db8:2:1::1 NODEB_IP6=2001:db8:2:2::1 EXT_IP6=2001:db8:5100::10
declare -A POD_IP=([pa1]=198.19.1.10 [pa2]=198.19.1.11 [pa3]=198.19.1.12 [pc]=198.19.1.50
	[pb1]=198.19.2.10)
declare -A POD_IP6=([pa1]=2001:db8:19:1::10 [pa2]=2001:db8:19:1::11 [pa3]=2001:db8:19:1::12
	[pc]=2001:db8:19:1::50 [pb1]=2001:db8:19:2::10)
# Masqueraded traffic leaves node-a with one of these.
NODE_ADDRS="$NODE_IP $NODE_GW"

tr_ns() { echo "$TR_PFX-$1"; }
# nsx NAME CMD...: run CMD inside the test namespace NAME.
nsx() {
	local n=$1
	shift
	ip netns exec "$TR_PFX-$n" "$@"
}

_tr_sysctls() { # ns forwarding(0/1)
	local n=$1 fwd=$2
	nsx "$n" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
		net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
		net.ipv4.ip_forward="$fwd" net.ipv6.conf.all.forwarding="$fwd" >/dev/null
	nsx "$n" ip link set lo up
}

# _tr_pod NODE_NS NODE_IF POD GW4 ; a pod on a veth behind NODE_NS.
_tr_pod() {
	local node=$1 nif=$2 pod=$3 gw=$4
	ip netns add "$TR_PFX-$pod"
	_tr_sysctls "$pod" 0
	ip -n "$TR_PFX-$pod" link add eth0 type veth peer name "$nif" netns "$TR_PFX-$node"
	nsx "$pod" ip addr add "${POD_IP[$pod]}/32" dev eth0
	nsx "$pod" ip -6 addr add "${POD_IP6[$pod]}/128" dev eth0 nodad
	nsx "$pod" ip link set eth0 up
	nsx "$pod" ip route add "$gw" dev eth0 scope link
	nsx "$pod" ip route add default via "$gw" dev eth0
	nsx "$node" ip -6 addr add fe80::1/64 dev "$nif" nodad
	nsx "$node" ip link set "$nif" up
	nsx "$node" ip route add "${POD_IP[$pod]}/32" dev "$nif"
	nsx "$node" ip -6 route add "${POD_IP6[$pod]}/128" dev "$nif"
	nsx "$pod" ip -6 route add default via fe80::1 dev eth0
}

# _tr_link A AIF AADDR6 B BIF ; a veth between two namespaces
_tr_link() {
	ip -n "$TR_PFX-$1" link add "$2" type veth peer name "$4" netns "$TR_PFX-$3"
	nsx "$1" ip link set "$2" up
	nsx "$3" ip link set "$4" up
}

# Remove what a crashed run with this very pid left behind (a pid is reused
# only after the old process is gone, so these cannot belong to a live run).
topo_clean_stale() {
	local n
	for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$TR_PFX-"); do
		ip netns del "$n" 2>/dev/null
	done
}

topo_down() {
	local p n
	for p in "${TR_SRV_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${TR_SRV_PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	TR_SRV_PIDS=()
	for n in $TR_NODES $TR_PODS_A $TR_PODS_B; do
		ip netns del "$TR_PFX-$n" 2>/dev/null
	done
	topo_clean_stale
}

# topo_up TSRV WORKDIR: build everything and start the pod servers.
topo_up() {
	local tsrv=$1 work=$2 n p i
	topo_clean_stale
	for n in $TR_NODES; do
		ip netns add "$TR_PFX-$n" || return 1
	done
	_tr_sysctls node 1
	_tr_sysctls rtr 1
	_tr_sysctls nodeb 1
	_tr_sysctls ext 0

	# node-a <-> router
	_tr_link node up0 rtr ra
	nsx node ip addr add "$NODE_IP/28" dev up0
	nsx node ip -6 addr add "$NODE_IP6/64" dev up0 nodad
	nsx rtr ip addr add 192.0.2.14/28 dev ra
	nsx rtr ip -6 addr add 2001:db8:2:1::fe/64 dev ra nodad
	# node-b <-> router
	_tr_link nodeb up0 rtr rb
	nsx nodeb ip addr add "$NODEB_IP/28" dev up0
	nsx nodeb ip -6 addr add "$NODEB_IP6/64" dev up0 nodad
	nsx rtr ip addr add 192.0.2.30/28 dev rb
	nsx rtr ip -6 addr add 2001:db8:2:2::fe/64 dev rb nodad
	# external client <-> router
	_tr_link ext eth0 rtr rx
	nsx ext ip addr add "$EXT_IP/24" dev eth0
	nsx ext ip addr add "$EXT_IP2/24" dev eth0
	nsx ext ip -6 addr add "$EXT_IP6/64" dev eth0 nodad
	nsx rtr ip addr add 198.51.100.1/24 dev rx
	nsx rtr ip -6 addr add 2001:db8:5100::1/64 dev rx nodad
	nsx ext ip route add default via 198.51.100.1
	nsx ext ip -6 route add default via 2001:db8:5100::1

	# node-a: pod gateway on lo, first (masquerade towards an address-less
	# veth picks lo's first global address), then the node-client address
	nsx node ip addr add "$NODE_GW/32" dev lo
	nsx node ip addr add "$NODE_CLIENT_IP/32" dev lo
	nsx node ip route add default via 192.0.2.14
	nsx node ip -6 route add default via 2001:db8:2:1::fe
	nsx nodeb ip addr add 198.19.2.1/32 dev lo
	nsx nodeb ip route add default via 192.0.2.30
	nsx nodeb ip -6 route add default via 2001:db8:2:2::fe

	# router
	for p in 198.19.1.0/24 198.18.0.0/16 203.0.113.0/24 "$NODE_CLIENT_IP/32"; do
		nsx rtr ip route add "$p" via "$NODE_IP"
	done
	nsx rtr ip route add 198.19.2.0/24 via "$NODEB_IP"
	for p in 2001:db8:19:1::/64 2001:db8:18::/64 2001:db8:113::/64; do
		nsx rtr ip -6 route add "$p" via "$NODE_IP6"
	done
	nsx rtr ip -6 route add 2001:db8:19:2::/64 via "$NODEB_IP6"
	# Service and VIP traffic that node-a sends back (it handled nothing:
	# no rule matched) would loop between node-a and the router until its
	# TTL ran out, which looks like a drop. The router answers it with host
	# unreachable instead, so a missing drop rule shows as UNREACH, not as
	# the TIMEOUT of a real drop.
	# (and without the per-peer ICMP rate limit, which would turn the
	# answers into timeouts after a burst of 6)
	nsx rtr sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0
	nsx rtr ip rule add iif ra to 198.18.0.0/16 unreachable
	nsx rtr ip rule add iif ra to 203.0.113.0/24 unreachable
	nsx rtr ip -6 rule add iif ra to 2001:db8:18::/64 unreachable
	nsx rtr ip -6 rule add iif ra to 2001:db8:113::/64 unreachable
	# and counts them: a case that expects node-a to drop a packet checks
	# that none came back (router_bounced)
	nsx rtr nft -f - <<-'EOF' || return 1
	table inet probe {
		counter bounced { }
		chain pre {
			type filter hook prerouting priority 0; policy accept;
			iifname "ra" ip daddr { 198.18.0.0/16, 203.0.113.0/24 } counter name "bounced"
			iifname "ra" ip6 daddr { 2001:db8:18::/64, 2001:db8:113::/64 } counter name "bounced"
		}
	}
	EOF

	for p in $TR_PODS_A; do
		_tr_pod node "v$p" "$p" "$NODE_GW" || return 1
	done
	for p in $TR_PODS_B; do
		_tr_pod nodeb "v$p" "$p" 198.19.2.1 || return 1
	done

	for p in $TR_PODS_A $TR_PODS_B; do
		rm -f "$work/ready.$p"
		ip netns exec "$TR_PFX-$p" "$tsrv" -n "$p" -t 8080 -t 8081 -t 9090 -u 5353 \
			-r "$work/ready.$p" -L 1200 2>>"$work/tsrv.log" &
		TR_SRV_PIDS+=($!)
	done
	for p in $TR_PODS_A $TR_PODS_B; do
		for ((i = 0; i < 50; i++)); do
			[ -e "$work/ready.$p" ] && break
			sleep 0.1
		done
		[ -e "$work/ready.$p" ] || { echo "topo: server in $p did not start"; return 1; }
	done
	return 0
}

# router_bounced: how many Service/VIP packets node-a has sent back to the
# router so far (packets it neither translated nor dropped)
router_bounced() {
	nsx rtr nft list counter inet probe bounced | sed -n 's/.*packets \([0-9]*\).*/\1/p'
}

# topo_check TCLI: every path the tests rely on carries a plain connection
# (no Service involved). Prints what failed; non-zero if anything did.
topo_check() {
	local tcli=$1 bad=0 from to
	local -a paths=(
		"pc ${POD_IP[pa1]}" "pc ${POD_IP[pb1]}" "pb1 ${POD_IP[pa2]}" "ext ${POD_IP[pa1]}"
		"node ${POD_IP[pa3]}" "node ${POD_IP[pb1]}" "pa1 $NODE_GW"
		"pc ${POD_IP6[pa1]}" "pc ${POD_IP6[pb1]}" "ext ${POD_IP6[pa2]}" "node ${POD_IP6[pb1]}"
	)
	for p in "${paths[@]}"; do
		from=${p%% *} to=${p#* }
		if [ "$to" = "$NODE_GW" ]; then
			nsx "$from" ping -c1 -W1 "$to" >/dev/null 2>&1 || { echo "topo: $from -> $to (ping) failed"; bad=1; }
			continue
		fi
		if ! nsx "$from" "$tcli" -t 2000 "$to" 8080 >/dev/null; then
			echo "topo: $from -> $to:8080 failed: $(nsx "$from" "$tcli" -t 1000 "$to" 8080)"
			bad=1
		fi
	done
	return $bad
}
