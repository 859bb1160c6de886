# shellcheck shell=bash
# tests/traffic/cases.sh: the cases of the traffic tier (issue 4 §2, §3).
# Sourced by run.sh. Each entry of CASES is "NAME|COMMAND ARGS...": run.sh
# runs them in order and reports one line per case. The base manifests
# (cases/base/) are loaded by the first case; cases that change Services
# write their own manifests to $WORK/dyn and load base + dyn again.

CASES=()
add() { CASES+=("$1|$2"); }
# Known svcnft bugs: case name -> reproduction. Such a case failing prints
# "xfail" and does not fail the tier (TRAFFIC_STRICT=1 makes it fail);
# passing prints "XPASS": the bug is fixed, remove the entry.
declare -A XFAIL=()

# ---- the masquerade table (DESIGN-NOTES.md §2) ----------------------------
# source: namespace and the address the client binds to
declare -A MQ_FROM=([pod]="pc ${POD_IP[pc]}" [node]="node $NODE_CLIENT_IP" [outside]="ext $EXT_IP")
# Service: ClusterIP, NodePort, VIP
declare -A MQ_SVC=([cluster]="198.18.1.1 30101 203.0.113.1" [etp-local]="198.18.1.2 30102 203.0.113.2"
	[itp-local]="198.18.1.3 30103 203.0.113.3")
# expected "pods masq" per source/destination-kind/service. "both" = the
# local (pa1) and the remote (pb1) endpoint; "local" = pa1 only.
declare -A MQ_WANT=(
	[pod/cip/cluster]="both no" [pod/cip/etp-local]="both no" [pod/cip/itp-local]="local no"
	[pod/ext/cluster]="both yes" [pod/ext/etp-local]="both no" [pod/ext/itp-local]="both yes"
	[node/cip/cluster]="both yes" [node/cip/etp-local]="both yes" [node/cip/itp-local]="local yes"
	[node/ext/cluster]="both yes" [node/ext/etp-local]="both yes" [node/ext/itp-local]="both yes"
	[outside/cip/cluster]="both yes" [outside/cip/etp-local]="both yes" [outside/cip/itp-local]="local yes"
	[outside/ext/cluster]="both yes" [outside/ext/etp-local]="local no" [outside/ext/itp-local]="both yes"
)

masq_case() { # SRC DEST(clusterip|nodeport|lb) SVC
	local src=$1 dest=$2 svc=$3 ns client cip np vip kind target port want pods
	read -r ns client <<<"${MQ_FROM[$src]}"
	read -r cip np vip <<<"${MQ_SVC[$svc]}"
	case $dest in
	clusterip) kind=cip target=$cip port=80 ;;
	nodeport) kind=ext target=$NODE_IP port=$np ;;
	lb) kind=ext target=$vip port=80 ;;
	esac
	read -r want masq <<<"${MQ_WANT[$src/$kind/$svc]}"
	pods="pa1 pb1"
	[ "$want" = local ] && pods="pa1"
	expect_flow "$ns" "$client" "$target" "$port" "$pods" "$masq"
}

t_load_base() {
	svc_load || return 1
	echo "svcnft $LOADER of cases/base/ succeeded"
}
add "load: base manifests (svcnft $LOADER)" t_load_base

for svc in cluster etp-local itp-local; do
	for src in pod node outside; do
		for dest in clusterip nodeport lb; do
			add "masq: $src -> $dest, ${svc/cluster/eTP Cluster}" "masq_case $src $dest $svc"
		done
	done
done
# the names above read "etp-local"/"itp-local"; make them read like the table
for i in "${!CASES[@]}"; do
	CASES[i]=${CASES[i]/, etp-local|/, eTP Local|}
	CASES[i]=${CASES[i]/, itp-local|/, iTP Local|}
done

# ---- basic Service shapes --------------------------------------------------
add "clusterip: TCP from a pod" "expect_flow -d 8080 pc ${POD_IP[pc]} 198.18.2.1 80 'pa1 pa2' no"
add "clusterip: UDP from a pod" "expect_flow -u -d 5353 pc ${POD_IP[pc]} 198.18.2.1 53 'pa1 pa2' no"
add "multi-port: named targetPort web (80 -> 8081)" "expect_flow -d 8081 pc ${POD_IP[pc]} 198.18.2.2 80 pa2 no"
add "multi-port: numeric targetPort (9090 -> 9090)" "expect_flow -d 9090 pc ${POD_IP[pc]} 198.18.2.2 9090 pa2 no"
add "nodeport: from the external client" "expect_flow ext $EXT_IP $NODE_IP 30110 'pa1 pa2' yes"
add "nodeport: on node-a's other address (192.0.2.101)" "expect_flow ext $EXT_IP $NODE_CLIENT_IP 30110 'pa1 pa2' yes"
add "lb: VIP, source inside loadBalancerSourceRanges" "expect_flow ext $EXT_IP 203.0.113.10 80 'pa1 pa2' yes"
add "lb: VIP, source outside loadBalancerSourceRanges -> dropped" "expect_none ext $EXT_IP2 203.0.113.10 80 TIMEOUT"
add "lb: NodePort bypasses loadBalancerSourceRanges" "expect_flow ext $EXT_IP2 $NODE_IP 30110 'pa1 pa2' yes"
add "externalIP: from the external client" "expect_flow ext $EXT_IP 203.0.113.100 80 pa3 yes"
add "externalIP: from a pod" "expect_flow pc ${POD_IP[pc]} 203.0.113.100 80 pa3 yes"
add "hairpin: pa1 reaches itself through its Service (masqueraded)" "expect_flow pa1 ${POD_IP[pa1]} 198.18.2.5 80 pa1 yes"
add "ipv6: hairpin" "expect_flow pa1 ${POD_IP6[pa1]} 2001:db8:18::1:3 80 pa1 yes"

# pa1 -> the eTP Local NodePort of mq-etp-local (pa1, pb1): pods keep their
# source, except when the choice falls on pa1 itself, which needs hairpin
# masquerading.
t_hairpin_nodeport() {
	local out ok bad
	out=$(nsx pa1 "$TCLI" -n 30 -t 1000 -F 3 "$NODE_IP" 30102)
	ok=$(grep -c '^OK' <<<"$out")
	[ "$ok" -eq 30 ] || { echo "$ok/30 answered: $(failures <<<"$out")"; return 1; }
	bad=$(grep '^OK' <<<"$out" | awk -v me="${POD_IP[pa1]}" -v gw="$NODE_GW" '
		{ pod = ""; src = ""
		  for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "pod") pod = kv[2]; if (kv[1] == "src") src = kv[2] }
		  if (pod == "pa1" && src != gw) print "pa1 saw " src " (want " gw ")"
		  if (pod == "pb1" && src != me) print "pb1 saw " src " (want " me ")" }' | sort -u)
	[ -z "$bad" ] || { echo "$bad"; return 1; }
	echo "30/30 answered by {$(field pod <<<"$out" | setof)}: pa1 itself via hairpin masquerade, pb1 with pa1's own source"
}
add "hairpin: pa1 -> eTP Local NodePort (itself masqueraded, pb1 not)" t_hairpin_nodeport
add "nodeport: answers on the pod gateway address 198.19.1.1" "expect_flow pc ${POD_IP[pc]} $NODE_GW 30101 'pa1 pb1' yes"
add "nodeport: not on 127.0.0.1" "expect_none -n 2 -t 400 node 127.0.0.1 127.0.0.1 30101 REFUSED"

# --nodeport-addresses 192.0.2.0/28: NodePorts answer on 192.0.2.1 only, not
# on node-a's other addresses; then back to the default.
t_nodeport_addresses() {
	local saved=("${SVC_ARGS[@]}") r1 r2 r3
	SVC_ARGS+=(--nodeport-addresses 192.0.2.0/28)
	if ! svc_load; then SVC_ARGS=("${saved[@]}"); return 1; fi
	r1=$(expect_flow ext "$EXT_IP" "$NODE_IP" 30101 "pa1 pb1" yes) || r1="FAIL $r1"
	r2=$(expect_none -n 2 ext "$EXT_IP" "$NODE_CLIENT_IP" 30101 NOANSWER) || r2="FAIL $r2"
	r3=$(expect_none -n 2 pc "${POD_IP[pc]}" "$NODE_GW" 30101 NOANSWER) || r3="FAIL $r3"
	SVC_ARGS=("${saved[@]}")
	svc_load || return 1
	[[ $r1 == FAIL* ]] && { echo "on 192.0.2.1 (inside): ${r1#FAIL }"; return 1; }
	[[ $r2 == FAIL* ]] && { echo "on 192.0.2.101 (outside the CIDR): ${r2#FAIL }"; return 1; }
	[[ $r3 == FAIL* ]] && { echo "on 198.19.1.1 (outside the CIDR): ${r3#FAIL }"; return 1; }
	echo "answers on 192.0.2.1; not on 192.0.2.101 nor 198.19.1.1"
}
add "nodeport: --nodeport-addresses narrows the addresses" t_nodeport_addresses

# --masquerade-all: pod -> ClusterIP is masqueraded too; then back.
t_masquerade_all() {
	local saved=("${SVC_ARGS[@]}") r
	SVC_ARGS+=(--masquerade-all)
	if ! svc_load; then SVC_ARGS=("${saved[@]}"); return 1; fi
	r=$(expect_flow pc "${POD_IP[pc]}" 198.18.1.1 80 "pa1 pb1" yes) || r="FAIL $r"
	SVC_ARGS=("${saved[@]}")
	svc_load || return 1
	[[ $r == FAIL* ]] && { echo "pod -> ClusterIP with --masquerade-all: ${r#FAIL }"; return 1; }
	echo "pod -> ClusterIP with --masquerade-all: $r"
}
add "masq: --masquerade-all masquerades pod -> ClusterIP" t_masquerade_all

# pa1 is listed in two slices: it counts once.
t_dup() {
	local out n=300 c1 c2
	out=$(nsx pc "$TCLI" -q -n $n -t 1000 -F 3 198.18.2.14 80)
	c1=$(sed -n 's/^SUMMARY .*pods=.*\bpa1:\([0-9]*\).*/\1/p' <<<"$out")
	c2=$(sed -n 's/^SUMMARY .*pods=.*\bpa2:\([0-9]*\).*/\1/p' <<<"$out")
	c1=${c1:-0} c2=${c2:-0}
	[ $((c1 + c2)) -eq $n ] || { echo "$((c1 + c2))/$n answered by pa1/pa2: $(grep -v SUMMARY <<<"$out" | failures)"; return 1; }
	# 38 % .. 62 %: a 2/3 share for pa1 (counted twice) is far outside
	if [ "$c1" -lt 114 ] || [ "$c1" -gt 186 ]; then
		echo "pa1 $((c1 * 100 / n))%, pa2 $((c2 * 100 / n))% (want about 50/50: pa1 in two slices counts once)"
		return 1
	fi
	echo "$n connections: pa1 $((c1 * 100 / n))%, pa2 $((c2 * 100 / n))%"
}
add "endpoints: an endpoint in two slices counts once (50/50 in 300)" t_dup

# targetPort "web" maps to 8080 on pa1 and 8081 on pa2.
t_portdiff() {
	local out ok pairs
	out=$(nsx pc "$TCLI" -n 20 -t 1000 -F 3 198.18.2.15 80)
	ok=$(grep -c '^OK' <<<"$out")
	[ "$ok" -eq 20 ] || { echo "$ok/20 answered: $(failures <<<"$out")"; return 1; }
	pairs=$(grep '^OK' <<<"$out" | sed 's/.* pod=\([^ ]*\) .* dport=\([0-9]*\).*/\1:\2/' | setof)
	[ "$pairs" = "pa1:8080 pa2:8081" ] || { echo "pod:port seen {$pairs}, want {pa1:8080 pa2:8081}"; return 1; }
	echo "20/20 answered: {$pairs}"
}
add "endpoints: a named targetPort with a different number per slice" t_portdiff
add "externalIP, eTP Local: outside -> local endpoint only, source kept" "expect_flow ext $EXT_IP 203.0.113.101 80 pa3 no"
add "externalIP, eTP Local: pod -> any endpoint, source kept" "expect_flow pc ${POD_IP[pc]} 203.0.113.101 80 'pa3 pb1' no"
add "lb: an ingress with ipMode Proxy is not a VIP" "expect_none -n 2 ext $EXT_IP 203.0.113.18 80 NOANSWER"
add "lb: the ipMode VIP ingress of the same Service answers" "expect_flow ext $EXT_IP 203.0.113.19 80 pa3 yes"
add "dual-stack: IPv4 ClusterIP" "expect_flow pc ${POD_IP[pc]} 198.18.2.20 80 pa3 no"
add "dual-stack: IPv6 ClusterIP" "expect_flow pc ${POD_IP6[pc]} 2001:db8:18::2:20 80 pb1 no"

# ---- endpoint choice --------------------------------------------------------
t_split() {
	local out n=300 ok pod c bad=0 line=""
	out=$(nsx pc "$TCLI" -q -n $n -t 1000 -F 3 198.18.2.6 80)
	ok=$(sed -n 's/^SUMMARY .* ok=\([0-9]*\).*/\1/p' <<<"$out")
	for pod in pa1 pa2 pb1; do
		c=$(sed -n "s/^SUMMARY .*pods=.*\b$pod:\([0-9]*\).*/\1/p" <<<"$out")
		c=${c:-0}
		line+="$pod $((c * 100 / n))% "
		# 20 % .. 47 % of 300
		if [ "$c" -lt 60 ] || [ "$c" -gt 141 ]; then bad=1; fi
	done
	if [ "$ok" != "$n" ]; then
		echo "${ok:-0}/$n answered: $(grep -v SUMMARY <<<"$out" | failures)"
		return 1
	fi
	[ $bad -eq 0 ] || { echo "split $line(want each 20%..47%)"; return 1; }
	echo "$n connections: ${line% }"
}
add "split: 3 endpoints, 300 connections, each 20%..47%" t_split

# 12 endpoints (pod x port): 600 connections, each endpoint 20..85 times
# (mean 50, about 4.4 standard deviations either way).
t_split12() {
	local out ok n=600 counts bad
	out=$(nsx pc "$TCLI" -n $n -t 1000 -F 3 198.18.2.16 80)
	ok=$(grep -c '^OK' <<<"$out")
	[ "$ok" -eq $n ] || { echo "$ok/$n answered: $(failures <<<"$out")"; return 1; }
	counts=$(grep '^OK' <<<"$out" | sed 's/.* pod=\([^ ]*\) .* dport=\([0-9]*\).*/\1:\2/' | sort | uniq -c |
		awk '{printf "%s=%s ", $2, $1}')
	bad=$(awk -v c="$counts" 'BEGIN { n = split(c, a, " "); if (n != 12) { print "only " n " endpoints answered"; exit }
		for (i = 1; i <= n; i++) { split(a[i], kv, "="); if (kv[2] < 20 || kv[2] > 85) print kv[1] " " kv[2] } }')
	[ -z "$bad" ] || { echo "uneven: $bad (want 20..85 each of 600); all: $counts"; return 1; }
	echo "$n connections over 12 endpoints: ${counts% }"
}
add "split: 12 endpoints, 600 connections, each 20..85" t_split12

# t_affinity [-u] FROM CLIENT TARGET PORT [SPREAD_TIMEOUT_S]
# 50 connections (UDP: 50 flows) from one client land on one pod; with a
# timeout, still after half of it, and spread again past it.
t_affinity() {
	local u=""
	[ "$1" = -u ] && { u=-u; shift; }
	local from=$1 client=$2 target=$3 port=$4 tmo=${5:-} out ok pods p r q seen
	out=$(nsx "$from" "$TCLI" $u -n 50 -t 1000 -F 3 -b "$client" "$target" "$port")
	ok=$(grep -c '^OK' <<<"$out")
	pods=$(field pod <<<"$out" | setof)
	if [ "$ok" -ne 50 ]; then
		echo "$ok/50 answered: $(failures <<<"$out")"
		return 1
	fi
	if [ "$(wc -w <<<"$pods")" -ne 1 ]; then
		echo "50 connections from one client went to {$pods}, want one pod"
		return 1
	fi
	[ -z "$tmo" ] && { echo "50/50 connections pinned to $pods"; return 0; }
	# Still pinned after half the timeout ...
	sleep "$(awk "BEGIN{print $tmo / 2}")"
	q=$(nsx "$from" "$TCLI" $u -t 1000 -b "$client" "$target" "$port" | field pod)
	if [ "$q" != "$pods" ]; then
		echo "after $(awk "BEGIN{print $tmo / 2}") s (< timeoutSeconds $tmo) answered by ${q:-nobody}, want the pinned $pods"
		return 1
	fi
	# ... and free again past it: each round waits past the timeout, so the
	# next connection is a fresh random choice; 8 rounds all landing on the
	# same pod of 3 has a chance of (1/3)^8.
	seen=$pods
	for r in 1 2 3 4 5 6 7 8; do
		sleep "$(awk "BEGIN{print $tmo + 0.5}")"
		p=$(nsx "$from" "$TCLI" $u -t 1000 -b "$client" "$target" "$port" | field pod)
		[ -z "$p" ] && { echo "round $r after the timeout: no answer"; return 1; }
		seen+=" $p"
		[ "$p" != "$pods" ] && break
	done
	if [ "$(xargs -n1 <<<"$seen" | setof | wc -w)" -lt 2 ]; then
		echo "still only $pods after 8 waits past timeoutSeconds $tmo"
		return 1
	fi
	echo "50/50 pinned to $pods, still after $(awk "BEGIN{print $tmo / 2}") s; past ${tmo} s they spread: $seen"
}
add "affinity: ClientIP pins 50 connections, spread again after timeoutSeconds 2" \
	"t_affinity pc ${POD_IP[pc]} 198.18.2.7 80 2"
add "affinity: NodePort from the external client" "t_affinity ext $EXT_IP $NODE_IP 30113"
add "affinity: the same Service by ClusterIP from a pod" "t_affinity pc ${POD_IP[pc]} 198.18.2.12 80"
add "affinity: UDP, 50 flows from one client" "t_affinity -u pc ${POD_IP[pc]} 198.18.2.13 53"
add "affinity: from the node itself to a ClusterIP" "t_affinity node $NODE_CLIENT_IP 198.18.2.12 80"
add "affinity: NodePort from a pod" "t_affinity pc ${POD_IP[pc]} $NODE_IP 30113"

add "no endpoints (empty slice): TCP refused within 100 ms" "expect_none -n 5 -t 1000 -m 100 pc ${POD_IP[pc]} 198.18.2.8 80 REFUSED"
add "no endpoints (empty slice): UDP refused within 100 ms" "expect_none -u -n 2 -t 1000 -m 100 pc ${POD_IP[pc]} 198.18.2.8 53 REFUSED"
add "no endpoints (no slice): TCP refused within 100 ms" "expect_none -n 5 -t 1000 -m 100 pc ${POD_IP[pc]} 198.18.2.9 80 REFUSED"
add "no endpoints: refused for the external client too" "expect_none -n 3 -t 1000 -m 100 ext $EXT_IP 198.18.2.8 80 REFUSED"
add "eTP Local, no local endpoint: NodePort from outside dropped" "expect_none ext $EXT_IP $NODE_IP 30112 TIMEOUT"
add "iTP Local, no local endpoint: ClusterIP from a pod dropped" "expect_none pc ${POD_IP[pc]} 198.18.2.10 80 TIMEOUT"
add "eTP Local, no local endpoint: pod -> NodePort uses any endpoint" "expect_flow pc ${POD_IP[pc]} $NODE_IP 30112 pb1 no"
add "eTP Local, no local endpoint: node -> NodePort uses any endpoint (masqueraded)" "expect_flow node $NODE_CLIENT_IP $NODE_IP 30112 pb1 yes"
add "undefined port on a ClusterIP: refused" "expect_none -n 3 -t 1000 -m 100 pc ${POD_IP[pc]} 198.18.2.1 81 REFUSED"
add "undefined UDP port on a ClusterIP: refused" "expect_none -u -n 1 -t 1000 pc ${POD_IP[pc]} 198.18.2.1 54 REFUSED"
add "unallocated ClusterIP (198.18.99.99) from a pod: dropped" "expect_none pc ${POD_IP[pc]} 198.18.99.99 80 TIMEOUT"
add "unallocated ClusterIP from outside: dropped" "expect_none ext $EXT_IP 198.18.99.99 80 TIMEOUT"

# ---- IPv6 --------------------------------------------------------------------
add "ipv6: ClusterIP from a pod" "expect_flow -d 8080 pc ${POD_IP6[pc]} 2001:db8:18::1:1 80 'pa1 pa2' no"
add "ipv6: NodePort from the external client" "expect_flow ext $EXT_IP6 $NODE_IP6 30201 'pa1 pa2' yes"
add "ipv6: ClientIP affinity pins 50 connections" "t_affinity pc ${POD_IP6[pc]} 2001:db8:18::1:2 80"
# a pinned IPv6 client keeps reaching one pod *and* its own port number
t_aff6port() {
	local out pairs
	out=$(nsx pc "$TCLI" -n 30 -t 1000 -F 3 2001:db8:18::1:4 80)
	[ "$(grep -c '^OK' <<<"$out")" -eq 30 ] || { echo "$(grep -c '^OK' <<<"$out")/30 answered: $(failures <<<"$out")"; return 1; }
	pairs=$(grep '^OK' <<<"$out" | sed 's/.* pod=\([^ ]*\) .* dport=\([0-9]*\).*/\1:\2/' | setof)
	case $pairs in
	pa1:8080 | pa2:8081) echo "30/30 pinned to $pairs" ;;
	*) echo "30 connections reached {$pairs}, want one of pa1:8080 / pa2:8081 throughout"; return 1 ;;
	esac
}
add "ipv6: affinity with a per-slice named targetPort keeps pod and port" t_aff6port
add "ipv6: undefined port refused" "expect_none -n 3 -t 1000 -m 100 pc ${POD_IP6[pc]} 2001:db8:18::1:1 81 REFUSED"
add "ipv6: unallocated ClusterIP dropped" "expect_none pc ${POD_IP6[pc]} 2001:db8:18::9:9 80 TIMEOUT"

# ---- changes, each applied and checked with traffic ---------------------------
# The terminating-endpoint states of one Service.
t_terminating() { # STEP
	case $1 in
	1)
		{ svc_yaml term 198.18.3.3 "ports: [{name: http, port: 80, protocol: TCP, targetPort: 8080}]"
		  slice_yaml term http:8080:TCP pa1 pa2:terminating pa3:notready pb1:gone; } | dyn term
		svc_load || return 1
		expect_flow pc "${POD_IP[pc]}" 198.18.3.3 80 pa1 no
		;;
	2)
		{ svc_yaml term 198.18.3.3 "ports: [{name: http, port: 80, protocol: TCP, targetPort: 8080}]"
		  slice_yaml term http:8080:TCP pa2:terminating pa3:notready pb1:gone; } | dyn term
		svc_load || return 1
		expect_flow pc "${POD_IP[pc]}" 198.18.3.3 80 pa2 no
		;;
	3)
		{ svc_yaml term 198.18.3.3 "ports: [{name: http, port: 80, protocol: TCP, targetPort: 8080}]"
		  slice_yaml term http:8080:TCP pa3:notready pb1:gone; } | dyn term
		svc_load || return 1
		expect_none -n 3 -t 1000 -m 100 pc "${POD_IP[pc]}" 198.18.3.3 80 REFUSED
		;;
	esac
}
add "terminating: ready pa1 + terminating pa2 + not-ready pa3 -> only pa1" "t_terminating 1"
add "terminating: no ready left -> the serving terminating pa2, never not-ready" "t_terminating 2"
add "terminating: only not-ready / non-serving left -> refused" "t_terminating 3"

# externalTrafficPolicy Local, the local endpoint terminating, the remote one
# ready: outside traffic goes to the local terminating one (kube-proxy's
# local endpoints: ready local, else serving terminating local), while the
# ClusterIP uses the ready remote one only.
t_terminating_local() {
	{ svc_yaml termloc 198.18.3.14 "type: NodePort" "externalTrafficPolicy: Local" \
		"ports: [{name: http, port: 80, protocol: TCP, targetPort: 8080, nodePort: 30154}]"
	  slice_yaml termloc http:8080:TCP pa1:terminating pb1; } | dyn termloc
	svc_load || return 1
	local r1 r2
	r1=$(expect_flow ext "$EXT_IP" "$NODE_IP" 30154 pa1 no) || { echo "outside -> NodePort: $r1"; return 1; }
	r2=$(expect_flow pc "${POD_IP[pc]}" 198.18.3.14 80 pb1 no) || { echo "pod -> ClusterIP: $r2"; return 1; }
	dyn_rm termloc
	echo "outside -> NodePort: local terminating pa1, source kept; pod -> ClusterIP: ready pb1 only"
}
add "terminating: eTP Local falls back to the local terminating endpoint" t_terminating_local

# ---- UDP flows: one client socket, driven one datagram at a time ----------------
# uf_start NS TARGET PORT [BIND]; uf_send sets UF_R to the answering pod or to
# the failure (REFUSED, TIMEOUT, ...); uf_stop ends the client. (No command
# substitution around uf_send: bash closes coprocess descriptors in subshells.)
uf_start() {
	coproc UF { nsx "$1" "$TCLI" -u -S -n 100 -t 1000 -D 30000 ${4:+-b "$4"} "$2" "$3"; }
	UF_IN=${UF[1]} UF_OUT=${UF[0]} UF_P=$UF_PID
}
uf_send() {
	local line
	UF_R=DEAD
	echo >&"$UF_IN" || return
	read -r -t 3 line <&"$UF_OUT" || line="NOOUTPUT"
	UF_R=$(field pod <<<"$line")
	[ -n "$UF_R" ] || UF_R=${line%% *}
}
uf_stop() {
	exec {UF_IN}>&-
	wait "$UF_P" 2>/dev/null
}
# uf_sends N: N datagrams, their results space-separated in UF_ALL
uf_sends() {
	local i
	UF_ALL=""
	for ((i = 0; i < $1; i++)); do
		uf_send
		UF_ALL+="${UF_ALL:+ }$UF_R"
	done
}

# t_udp_flow FAMILY(4|6) KIND(clusterip|nodeport): a flow whose endpoint is
# removed moves to a live endpoint right after the next apply (apply deletes
# the stale conntrack entry).
t_udp_flow() {
	local fam=$1 kind=$2 name=udpflow$1$2 ip np="" from=pc target port=53 before live
	local -a spec=()
	local sl=(slice_yaml)
	case $fam$kind in
	4clusterip) ip=198.18.3.1 ;;
	4nodeport) ip=198.18.3.7 np=30151 ;;
	4lb) ip=198.18.3.13 np=30153 ;;
	6clusterip) ip=2001:db8:18::3:1 spec=("ipFamilies: [IPv6]") sl=(slice_yaml -6) ;;
	esac
	if [ "$kind" = lb ]; then
		spec+=("type: LoadBalancer" "ports: [{name: dns, port: 53, protocol: UDP, targetPort: 5353, nodePort: $np}]")
	elif [ -n "$np" ]; then
		spec+=("type: NodePort" "ports: [{name: dns, port: 53, protocol: UDP, targetPort: 5353, nodePort: $np}]")
	else
		spec+=("ports: [{name: dns, port: 53, protocol: UDP, targetPort: 5353}]")
	fi
	local status=""
	[ "$kind" = lb ] && status=$'status:\n  loadBalancer:\n    ingress: [{ip: 203.0.113.53}]'
	{ svc_yaml "$name" "$ip" "${spec[@]}"; [ -n "$status" ] && echo "$status"; "${sl[@]}" "$name" dns:5353:UDP pa1 pa2; } | dyn "$name"
	svc_load || return 1
	target=$ip
	[ -n "$np" ] && from=ext target=$NODE_IP port=$np
	[ "$kind" = lb ] && target=203.0.113.53 port=53
	uf_start "$from" "$target" "$port"
	uf_sends 3
	before=$UF_ALL
	if [ "$before" != "pa1 pa1 pa1" ] && [ "$before" != "pa2 pa2 pa2" ]; then
		uf_stop
		echo "one flow before the change: $before (want one pod three times)"
		return 1
	fi
	before=${before%% *}
	live=pa1
	[ "$before" = pa1 ] && live=pa2
	{ svc_yaml "$name" "$ip" "${spec[@]}"; [ -n "$status" ] && echo "$status"; "${sl[@]}" "$name" dns:5353:UDP "$live"; } | dyn "$name"
	if ! svc_load; then uf_stop; return 1; fi
	uf_sends 3
	uf_stop
	dyn_rm "$name"
	if [ "$UF_ALL" != "$live $live $live" ]; then
		echo "flow on $before; after $before was removed and applied, the same socket got: $UF_ALL (want $live)"
		return 1
	fi
	echo "flow on $before; $before removed + apply: the same socket now reaches $UF_ALL"
}
add "udp: a ClusterIP flow to a removed endpoint moves to a live one after apply" "t_udp_flow 4 clusterip"
add "udp: a NodePort flow to a removed endpoint moves to a live one after apply" "t_udp_flow 4 nodeport"
add "udp: a LoadBalancer VIP flow to a removed endpoint moves to a live one after apply" "t_udp_flow 4 lb"
add "ipv6: a UDP ClusterIP flow to a removed endpoint moves after apply" "t_udp_flow 6 clusterip"

# A UDP flow to a deleted Service stops being answered right after apply.
t_udp_svc_deleted() {
	{ svc_yaml udpdel 198.18.3.8 "ports: [{name: dns, port: 53, protocol: UDP, targetPort: 5353}]"
	  slice_yaml udpdel dns:5353:UDP pa1; } | dyn udpdel
	svc_load || return 1
	uf_start pc 198.18.3.8 53
	uf_sends 2
	if [ "$UF_ALL" != "pa1 pa1" ]; then uf_stop; echo "before: $UF_ALL (want pa1 pa1)"; return 1; fi
	dyn_rm udpdel
	if ! svc_load; then uf_stop; return 1; fi
	uf_sends 2
	uf_stop
	if [[ $UF_ALL == *pa1* ]]; then
		echo "Service deleted + apply: the flow is still answered: $UF_ALL (want no answer: the ClusterIP is unowned now)"
		return 1
	fi
	echo "flow answered by pa1; Service deleted + apply: $UF_ALL"
}
add "udp: a flow to a deleted Service is not answered after apply" t_udp_svc_deleted

# A UDP flow refused for lack of endpoints is answered once one appears.
t_udp_first_endpoint() {
	{ svc_yaml udpfirst 198.18.3.9 "ports: [{name: dns, port: 53, protocol: UDP, targetPort: 5353}]"
	  slice_yaml udpfirst dns:5353:UDP; } | dyn udpfirst
	svc_load || return 1
	uf_start pc 198.18.3.9 53
	uf_sends 1
	local before=$UF_ALL
	if [ "$before" != REFUSED ]; then uf_stop; echo "no endpoints: $before (want REFUSED)"; return 1; fi
	{ svc_yaml udpfirst 198.18.3.9 "ports: [{name: dns, port: 53, protocol: UDP, targetPort: 5353}]"
	  slice_yaml udpfirst dns:5353:UDP pa2; } | dyn udpfirst
	if ! svc_load; then uf_stop; return 1; fi
	uf_sends 2
	uf_stop
	dyn_rm udpfirst
	[ "$UF_ALL" = "pa2 pa2" ] || { echo "refused, then endpoint pa2 + apply: $UF_ALL (want pa2 pa2)"; return 1; }
	echo "refused while no endpoints; endpoint added + apply: the same socket reaches $UF_ALL"
}
add "udp: a flow refused for lack of endpoints is answered once one is added" t_udp_first_endpoint

# A UDP flow that reached node-a's NodePort before the Service existed (the
# node itself answered port unreachable, and conntrack recorded the flow as
# local traffic) is answered by the Service once it is created. kube-proxy
# clears such entries when a UDP Service gets its first endpoint.
t_udp_nodeport_new() {
	dyn_rm udpnew
	svc_load || return 1
	uf_start ext "$NODE_IP" 30152 "$EXT_IP"
	uf_sends 1
	local before=$UF_ALL
	if [ "$before" != REFUSED ]; then uf_stop; echo "before the Service: $before (want REFUSED by the node)"; return 1; fi
	{ svc_yaml udpnew 198.18.3.10 "type: NodePort" \
		"ports: [{name: dns, port: 53, protocol: UDP, targetPort: 5353, nodePort: 30152}]"
	  slice_yaml udpnew dns:5353:UDP pa3; } | dyn udpnew
	if ! svc_load; then uf_stop; return 1; fi
	uf_sends 2
	uf_stop
	dyn_rm udpnew
	[ "$UF_ALL" = "pa3 pa3" ] || { echo "NodePort flow refused by the node, then Service + apply: the same socket got $UF_ALL (want pa3 pa3: a stale conntrack entry keeps the flow on the node)"; return 1; }
	echo "refused by the node before the Service; Service + apply: the same socket reaches $UF_ALL"
}
add "udp: a NodePort flow that predates its Service is answered after apply" t_udp_nodeport_new
# (found by this case, reproduced in repro/udp-nodeport-predates-service.sh,
# fixed by 4c828f2 "ct: clear UDP entries of every frontend ...")


# ClientIP affinity to an endpoint that goes away: re-pinned to a live one
# (apply deletes the affinity entries that point to it). An endpoint added
# meanwhile must not move the client. t_affinity_removed FAMILY(4|6)
t_affinity_removed() {
	local fam=$1 name=affrm$1 ip=198.18.3.2 out pinned pods live
	local -a spec=("sessionAffinity: ClientIP" "ports: [{name: http, port: 80, protocol: TCP, targetPort: 8080}]")
	local -a sl=(slice_yaml)
	[ "$fam" = 6 ] && ip=2001:db8:18::3:2 sl=(slice_yaml -6) spec+=("ipFamilies: [IPv6]")
	aff_probe() { # sets out, pods
		out=$(nsx pc "$TCLI" -n 10 -t 1000 -F 3 "$ip" 80)
		pods=$(field pod <<<"$out" | setof)
		[ "$(grep -c '^OK' <<<"$out")" -eq 10 ]
	}
	{ svc_yaml "$name" "$ip" "${spec[@]}"; "${sl[@]}" "$name" http:8080:TCP pa1 pa2 pa3; } | dyn "$name"
	svc_load || return 1
	if ! aff_probe || [ "$(wc -w <<<"$pods")" -ne 1 ]; then
		echo "before: {$pods} $(failures <<<"$out"), want 10 answers from one pod"
		return 1
	fi
	pinned=$pods
	{ svc_yaml "$name" "$ip" "${spec[@]}"; "${sl[@]}" "$name" http:8080:TCP pa1 pa2 pa3 pb1; } | dyn "$name"
	svc_load || return 1
	if ! aff_probe || [ "$pods" != "$pinned" ]; then
		echo "pinned to $pinned; pb1 added + apply: {$pods} $(failures <<<"$out") (want still $pinned)"
		return 1
	fi
	live=$(xargs -n1 <<<"pa1 pa2 pa3" | grep -vx "$pinned" | xargs)
	{ svc_yaml "$name" "$ip" "${spec[@]}"; "${sl[@]}" "$name" http:8080:TCP $live; } | dyn "$name"
	svc_load || return 1
	if ! aff_probe || [ "$(wc -w <<<"$pods")" -ne 1 ] || is_in "$pinned" $pods; then
		echo "pinned to $pinned, removed it: 10 connections -> {$pods} $(failures <<<"$out") (want one of $live)"
		return 1
	fi
	dyn_rm "$name"
	echo "pinned to $pinned, kept when pb1 was added; $pinned removed + apply: re-pinned to $pods"
}
add "affinity: kept when an endpoint is added; re-pinned when the pinned one is removed" "t_affinity_removed 4"
add "ipv6: affinity kept when an endpoint is added; re-pinned when the pinned one is removed" "t_affinity_removed 6"

# IPv6 affinity with internalTrafficPolicy Local: a pod pinned to a remote
# pod through the NodePort (the cluster-wide choice) must still reach only
# local pods through the ClusterIP (the local-only choice).
t_aff6_local() {
	local ip=2001:db8:18::3:7 np=30137 out pods
	local -a spec=("type: NodePort" "ipFamilies: [IPv6]" "internalTrafficPolicy: Local"
		"sessionAffinity: ClientIP"
		"ports: [{name: http, port: 80, protocol: TCP, targetPort: 8080, nodePort: $np}]")
	# 1. only the remote pod is ready: the NodePort pins pc to pb1
	{ svc_yaml aff6l "$ip" "${spec[@]}"; slice_yaml -6 aff6l http:8080:TCP pb1 pa1:notready; } | dyn aff6l
	svc_load || return 1
	out=$(nsx pc "$TCLI" -n 5 -t 1000 -F 3 "$NODE_IP6" "$np")
	pods=$(field pod <<<"$out" | setof)
	[ "$pods" = pb1 ] || { dyn_rm aff6l; echo "NodePort first: {$pods} $(failures <<<"$out"), want pb1"; return 1; }
	# 2. the local pod becomes ready: the ClusterIP must use it alone
	{ svc_yaml aff6l "$ip" "${spec[@]}"; slice_yaml -6 aff6l http:8080:TCP pb1 pa1; } | dyn aff6l
	svc_load || { dyn_rm aff6l; return 1; }
	out=$(nsx pc "$TCLI" -n 10 -t 1000 -F 3 "$ip" 80)
	pods=$(field pod <<<"$out" | setof)
	dyn_rm aff6l
	[ "$pods" = pa1 ] || { echo "ClusterIP then: {$pods} $(failures <<<"$out"), want pa1 only (iTP Local)"; return 1; }
	echo "pinned to pb1 through the NodePort; the ClusterIP still answered by pa1 only"
}
add "ipv6: a pin taken through the NodePort never overrides internalTrafficPolicy Local" t_aff6_local

# One Service through ClusterIP -> NodePort -> LoadBalancer -> ClusterIP.
morph_yaml() { # TYPE
	local ports="ports: [{name: http, port: 80, protocol: TCP, targetPort: 8080}]"
	case $1 in
	ClusterIP) svc_yaml morph 198.18.3.4 "type: ClusterIP" "$ports" ;;
	NodePort) svc_yaml morph 198.18.3.4 "type: NodePort" \
		"ports: [{name: http, port: 80, protocol: TCP, targetPort: 8080, nodePort: 30134}]" ;;
	LoadBalancer)
		svc_yaml morph 198.18.3.4 "type: LoadBalancer" \
			"ports: [{name: http, port: 80, protocol: TCP, targetPort: 8080, nodePort: 30134}]"
		printf 'status:\n  loadBalancer:\n    ingress: [{ip: 203.0.113.34}]\n'
		;;
	esac
	slice_yaml morph http:8080:TCP pa1 pa2
}
t_morph() { # TYPE: the ClusterIP always works; NodePort and VIP only when the type has them
	local type=$1 r
	morph_yaml "$type" | dyn morph
	svc_load || return 1
	r=$(expect_flow pc "${POD_IP[pc]}" 198.18.3.4 80 "pa1 pa2" no) || { echo "ClusterIP: $r"; return 1; }
	case $type in
	NodePort | LoadBalancer)
		r=$(expect_flow ext "$EXT_IP" "$NODE_IP" 30134 "pa1 pa2" yes) || { echo "NodePort: $r"; return 1; } ;;
	*)
		r=$(expect_none -n 2 ext "$EXT_IP" "$NODE_IP" 30134 NOANSWER) || { echo "NodePort after $type: $r"; return 1; } ;;
	esac
	case $type in
	LoadBalancer)
		r=$(expect_flow ext "$EXT_IP" 203.0.113.34 80 "pa1 pa2" yes) || { echo "VIP: $r"; return 1; } ;;
	*)
		r=$(expect_none -n 2 ext "$EXT_IP" 203.0.113.34 80 NOANSWER) || { echo "VIP after $type: $r"; return 1; } ;;
	esac
	echo "ClusterIP answers; NodePort 30134 $([[ $type == ClusterIP ]] && echo closed || echo answers); VIP $([[ $type == LoadBalancer ]] && echo answers || echo closed)"
}
add "transition: ClusterIP" "t_morph ClusterIP"
add "transition: ClusterIP -> NodePort" "t_morph NodePort"
add "transition: NodePort -> LoadBalancer" "t_morph LoadBalancer"
add "transition: LoadBalancer -> ClusterIP" "t_morph ClusterIP"

# A Service port renumbered: the old port is refused, the new one answers.
t_portchange() {
	{ svc_yaml portchg 198.18.3.11 "ports: [{name: http, port: 80, protocol: TCP, targetPort: 8080}]"
	  slice_yaml portchg http:8080:TCP pa1; } | dyn portchg
	svc_load || return 1
	expect_flow pc "${POD_IP[pc]}" 198.18.3.11 80 pa1 no >/dev/null || { echo "port 80 before the change does not answer"; return 1; }
	{ svc_yaml portchg 198.18.3.11 "ports: [{name: http, port: 8000, protocol: TCP, targetPort: 8080}]"
	  slice_yaml portchg http:8080:TCP pa1; } | dyn portchg
	svc_load || return 1
	local r
	r=$(expect_flow pc "${POD_IP[pc]}" 198.18.3.11 8000 pa1 no) || { echo "new port 8000: $r"; return 1; }
	r=$(expect_none -n 2 -t 1000 -m 100 pc "${POD_IP[pc]}" 198.18.3.11 80 REFUSED) || { echo "old port 80: $r"; return 1; }
	dyn_rm portchg
	echo "port 80 -> 8000 + apply: 8000 answers, 80 refused"
}
add "transition: a Service port renumbered (80 -> 8000)" t_portchange

# sessionAffinity ClientIP -> None: the client is no longer pinned.
t_affinity_off() {
	local out pods a="sessionAffinity: ClientIP"
	{ svc_yaml afftog 198.18.3.12 "$a" "ports: [{name: http, port: 80, protocol: TCP, targetPort: 8080}]"
	  slice_yaml afftog http:8080:TCP pa1 pa2 pa3; } | dyn afftog
	svc_load || return 1
	out=$(nsx pc "$TCLI" -n 20 -t 1000 -F 3 198.18.3.12 80)
	pods=$(field pod <<<"$out" | setof)
	[ "$(wc -w <<<"$pods")" -eq 1 ] || { echo "with ClientIP: {$pods} $(failures <<<"$out") (want one pod)"; return 1; }
	{ svc_yaml afftog 198.18.3.12 "sessionAffinity: None" "ports: [{name: http, port: 80, protocol: TCP, targetPort: 8080}]"
	  slice_yaml afftog http:8080:TCP pa1 pa2 pa3; } | dyn afftog
	svc_load || return 1
	out=$(nsx pc "$TCLI" -n 30 -t 1000 -F 3 198.18.3.12 80)
	local after
	after=$(field pod <<<"$out" | setof)
	dyn_rm afftog
	[ "$after" = "pa1 pa2 pa3" ] || { echo "pinned to $pods; affinity None + apply: {$after} $(failures <<<"$out") (want all three)"; return 1; }
	echo "pinned to $pods; sessionAffinity None + apply: 30 connections spread over {$after}"
}
add "transition: sessionAffinity ClientIP -> None" t_affinity_off

t_externalname() { # STEP
	if [ "$1" = 1 ]; then
		svc_yaml extname "" "type: ExternalName" "externalName: db.example.org" \
			"ports: [{name: http, port: 80, protocol: TCP, targetPort: 8080}]" | dyn extname
		svc_load || return 1
		expect_none pc "${POD_IP[pc]}" 198.18.3.5 80 TIMEOUT
	else
		{ svc_yaml extname 198.18.3.5 "type: ClusterIP" \
			"ports: [{name: http, port: 80, protocol: TCP, targetPort: 8080}]"
		  slice_yaml extname http:8080:TCP pa3; } | dyn extname
		svc_load || return 1
		expect_flow pc "${POD_IP[pc]}" 198.18.3.5 80 pa3 no
	fi
}
add "transition: ExternalName (no rules; its future ClusterIP is dropped)" "t_externalname 1"
add "transition: ExternalName -> ClusterIP" "t_externalname 2"

t_eprm() { # STEP
	local ports="ports: [{name: http, port: 80, protocol: TCP, targetPort: 8080}]"
	case $1 in
	1) { svc_yaml eprm 198.18.3.6 "$ports"; slice_yaml eprm http:8080:TCP pa1 pa2 pb1; } | dyn eprm ;;
	2) { svc_yaml eprm 198.18.3.6 "$ports"; slice_yaml eprm http:8080:TCP pa1 pb1; } | dyn eprm ;;
	3) dyn_rm eprm ;;
	esac
	svc_load || return 1
	case $1 in
	1) expect_flow -n 30 pc "${POD_IP[pc]}" 198.18.3.6 80 "pa1 pa2 pb1" no ;;
	2) expect_flow -n 30 pc "${POD_IP[pc]}" 198.18.3.6 80 "pa1 pb1" no ;;
	3) expect_none pc "${POD_IP[pc]}" 198.18.3.6 80 TIMEOUT ;;
	esac
}
add "transition: Service with pa1, pa2, pb1" "t_eprm 1"
add "transition: endpoint pa2 removed -> never answers" "t_eprm 2"
add "transition: Service deleted -> its ClusterIP is dropped" "t_eprm 3"

# ---- continuity (§3) -------------------------------------------------------------
# A client loop opens connections to a ClusterIP while 50 applies churn the
# Service's endpoints (pa1 always ready); one TCP connection opened to pa1
# before the churn is probed every 20 ms throughout. Nothing may fail.
cont_yaml() { # ENDPOINT...
	printf 'apiVersion: v1\nkind: Service\nmetadata: {name: cont, namespace: tr}\nspec:\n'
	printf '  clusterIP: 198.18.4.1\n  ports:\n'
	printf '  - {name: http, port: 80, protocol: TCP, targetPort: 8080}\n'
	printf '  - {name: dns, port: 53, protocol: UDP, targetPort: 5353}\n'
	slice_yaml cont http:8080:TCP,dns:5353:UDP "$@"
}
# One step of the churn. endpoints: the Service's endpoints change (pa1
# always ready). features: the same, and on a node that holds nothing else,
# other Services come and go so that the common rules are rewritten: the
# first affinity Service, the first source range, the first NodePort, and
# an IPv6 Service appear and disappear.
churn_step() { # MODE K
	local mode=$1 k=$2
	local -a sets=("pa1 pa2" "pa1 pa2 pa3" "pa1 pb1" "pa1" "pa1 pa3 pb1" "pa1:ready pa2:terminating"
		"pa1 pa2 pa3 pb1" "pa1 pa3:notready")
	cont_yaml ${sets[k % ${#sets[@]}]} | dyn cont
	[ "$mode" = features ] || return 0
	local p="ports: [{name: http, port: 80, protocol: TCP, targetPort: 8080}]"
	if [ $((k % 2)) = 1 ]; then
		{ svc_yaml feat-aff 198.18.3.20 "sessionAffinity: ClientIP" "$p"; slice_yaml feat-aff http:8080:TCP pa3; } | dyn feat-aff
	else dyn_rm feat-aff; fi
	if [ $((k % 3)) = 1 ]; then
		{ svc_yaml feat-lb 198.18.3.21 "type: LoadBalancer" "loadBalancerSourceRanges: [198.51.100.0/28]" \
			"ports: [{name: http, port: 80, protocol: TCP, targetPort: 8080, nodePort: 30160}]"
		  printf 'status:\n  loadBalancer:\n    ingress: [{ip: 203.0.113.40}]\n'
		  slice_yaml feat-lb http:8080:TCP pa3; } | dyn feat-lb
	else dyn_rm feat-lb; fi
	if [ $((k % 4)) = 2 ]; then
		{ svc_yaml feat-np 198.18.3.22 "type: NodePort" \
			"ports: [{name: http, port: 80, protocol: TCP, targetPort: 8080, nodePort: 30161}]"
		  slice_yaml feat-np http:8080:TCP pa3; } | dyn feat-np
	else dyn_rm feat-np; fi
	if [ $((k % 5)) = 1 ] || [ $((k % 5)) = 2 ]; then
		{ svc_yaml feat-v6 2001:db8:18::3:20 "ipFamilies: [IPv6]" "$p"; slice_yaml -6 feat-v6 http:8080:TCP pa3; } | dyn feat-v6
	else dyn_rm feat-v6; fi
}

t_continuity() { # MODE
	local mode=$1 stop=$WORK/cont.stop k t0 t1 bad=0 s_loop s_tcp s_udp
	rm -f "$stop"
	[ "$mode" = features ] && SVC_NO_BASE=1
	cont_yaml pa1 | dyn cont
	if ! svc_load; then SVC_NO_BASE=0; return 1; fi
	nsx pc "$TCLI" -P -q -i 20 -n 100000 -t 1000 -D 120000 -x "$stop" 198.18.4.1 80 >"$WORK/cont.tcp" 2>&1 &
	local p_tcp=$!
	BG_PIDS+=("$p_tcp")
	sleep 0.3 # the persistent connection is open (to pa1, the only endpoint) before the churn
	nsx pc "$TCLI" -q -i 2 -n 100000 -t 1000 -D 120000 -x "$stop" 198.18.4.1 80 >"$WORK/cont.loop" 2>&1 &
	local p_loop=$!
	BG_PIDS+=("$p_loop")
	nsx pc "$TCLI" -u -q -i 5 -n 100000 -t 1000 -D 120000 -x "$stop" 198.18.4.1 53 >"$WORK/cont.udp" 2>&1 &
	local p_udp=$!
	BG_PIDS+=("$p_udp")
	t0=$(date +%s%N)
	for ((k = 0; k < 50; k++)); do
		churn_step "$mode" "$k"
		if ! svc_load >"$WORK/cont.apply" 2>&1; then
			echo "apply $k failed: $(tail -n1 "$WORK/cont.apply")"
			bad=1
			break
		fi
		sleep 0.05
	done
	t1=$(date +%s%N)
	sleep 0.3
	touch "$stop"
	wait "$p_tcp" "$p_loop" "$p_udp"
	s_loop=$(grep '^SUMMARY' "$WORK/cont.loop")
	s_tcp=$(grep '^SUMMARY' "$WORK/cont.tcp")
	s_udp=$(grep '^SUMMARY' "$WORK/cont.udp")
	echo "  loop:       ${s_loop:-no summary}"
	echo "  persistent: ${s_tcp:-no summary}"
	echo "  udp loop:   ${s_udp:-no summary}"
	grep -v '^SUMMARY' "$WORK/cont.loop" "$WORK/cont.tcp" "$WORK/cont.udp" | head -n 5 | sed 's/^/  /'
	dyn_rm cont
	dyn_rm feat-aff; dyn_rm feat-lb; dyn_rm feat-np; dyn_rm feat-v6
	SVC_NO_BASE=0
	svc_load >/dev/null || { echo "reloading base/ after the churn failed"; return 1; }
	[ $bad -eq 0 ] || return 1
	local lt lo tt to ut uo
	lt=$(sed -n 's/.*total=\([0-9]*\).*/\1/p' <<<"$s_loop") lo=$(sed -n 's/.* ok=\([0-9]*\).*/\1/p' <<<"$s_loop")
	tt=$(sed -n 's/.*total=\([0-9]*\).*/\1/p' <<<"$s_tcp") to=$(sed -n 's/.* ok=\([0-9]*\).*/\1/p' <<<"$s_tcp")
	ut=$(sed -n 's/.*total=\([0-9]*\).*/\1/p' <<<"$s_udp") uo=$(sed -n 's/.* ok=\([0-9]*\).*/\1/p' <<<"$s_udp")
	if [ -z "$lt" ] || [ "$lt" -lt 50 ] || [ "$lt" != "$lo" ]; then
		echo "connection loop: ${lo:-?}/${lt:-?} answered during 50 applies (want all, at least 50)"
		return 1
	fi
	if [ -z "$tt" ] || [ "$tt" -lt 10 ] || [ "$tt" != "$to" ] || ! grep -q 'pods=pa1:' <<<"$s_tcp" ||
		[ "$(sed -n 's/.*pods=\([^ ]*\).*/\1/p' <<<"$s_tcp")" != "pa1:$tt" ]; then
		echo "established connection: ${to:-?}/${tt:-?} probes answered by pa1 (want all)"
		return 1
	fi
	if [ -z "$ut" ] || [ "$ut" -lt 10 ] || [ "$ut" != "$uo" ]; then
		echo "UDP loop: ${uo:-?}/${ut:-?} answered during 50 applies (want all)"
		return 1
	fi
	echo "50 applies in $(((t1 - t0) / 1000000)) ms: $lo/$lt new connections, $uo/$ut UDP requests, $to/$tt probes of the established connection to pa1 answered"
}
add "continuity: 50 applies churn endpoints; zero failed connections; established TCP survives" "t_continuity endpoints"
add "continuity: 50 applies also add/remove affinity, source ranges, NodePorts, IPv6 Services; nothing fails" "t_continuity features"

# ---- issue 7: one odd Service never blocks the rest -----------------------------
# Two Services in different namespaces claim externalIP 203.0.113.150 port 80
# (the API server allows it). The older one (creationTimestamp) keeps it; the
# newer one is warned and keeps everything else: its own port 9090 on the
# same address, and its ClusterIP. apply succeeds (before: exit 3, nothing
# applied for any Service).
t_frontend_winner() {
	local r1 r2 r3 r4 warned
	{
		printf 'apiVersion: v1\nkind: Service\nmetadata: {name: claim, namespace: tr-old, creationTimestamp: "2025-01-01T00:00:00Z"}\n'
		printf 'spec:\n  clusterIP: 198.18.7.1\n  externalIPs: [203.0.113.150]\n  ports: [{name: http, port: 80, targetPort: 8080}]\n'
		printf -- '---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n'
		printf 'metadata: {name: claim-1, namespace: tr-old, labels: {kubernetes.io/service-name: claim}}\n'
		printf 'addressType: IPv4\nports: [{name: http, port: 8080}]\n'
		printf 'endpoints: [{addresses: ["%s"], nodeName: node-a}]\n' "${POD_IP[pa1]}"
		printf -- '---\napiVersion: v1\nkind: Service\nmetadata: {name: claim, namespace: tr-new, creationTimestamp: "2025-06-01T00:00:00Z"}\n'
		printf 'spec:\n  clusterIP: 198.18.7.2\n  externalIPs: [203.0.113.150]\n'
		printf '  ports: [{name: http, port: 80, targetPort: 8081}, {name: metrics, port: 9090, targetPort: 9090}]\n'
		printf -- '---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n'
		printf 'metadata: {name: claim-1, namespace: tr-new, labels: {kubernetes.io/service-name: claim}}\n'
		printf 'addressType: IPv4\nports: [{name: http, port: 8081}, {name: metrics, port: 9090}]\n'
		printf 'endpoints: [{addresses: ["%s"], nodeName: node-a}]\n' "${POD_IP[pa2]}"
	} | dyn frontend-winner
	if ! svc_load; then dyn_rm frontend-winner; svc_load; return 1; fi
	warned=$(grep -c 'warning: Service tr-new/claim .*203.0.113.150 port 80/tcp is also claimed by Service tr-old/claim' "$WORK/load.out")
	r1=$(expect_flow -d 8080 ext "$EXT_IP" 203.0.113.150 80 pa1 yes) || r1="FAIL $r1"
	r2=$(expect_flow -d 9090 ext "$EXT_IP" 203.0.113.150 9090 pa2 yes) || r2="FAIL $r2"
	r3=$(expect_flow -d 8081 pc "${POD_IP[pc]}" 198.18.7.2 80 pa2 no) || r3="FAIL $r3"
	r4=$(expect_flow -d 8080 pc "${POD_IP[pc]}" 198.18.2.1 80 'pa1 pa2' no) || r4="FAIL $r4"
	dyn_rm frontend-winner
	svc_load || return 1
	[ "$warned" -ge 1 ] || { echo "no warning naming both Services in the apply output"; return 1; }
	[[ $r1 == FAIL* ]] && { echo "203.0.113.150:80 (the older Service's): ${r1#FAIL }"; return 1; }
	[[ $r2 == FAIL* ]] && { echo "203.0.113.150:9090 (the newer Service's other port): ${r2#FAIL }"; return 1; }
	[[ $r3 == FAIL* ]] && { echo "the newer Service's ClusterIP: ${r3#FAIL }"; return 1; }
	[[ $r4 == FAIL* ]] && { echo "an unrelated Service: ${r4#FAIL }"; return 1; }
	echo "applied with a warning; 203.0.113.150:80 -> pa1 (older), :9090 -> pa2 (newer's other port); newer's ClusterIP and the rest answer"
}
add "conflict: one externalIP and port on two Services: the older keeps it, the rest is programmed" t_frontend_winner

# A Service may not capture the node's own traffic to the cloud metadata
# address: externalIP 169.254.169.254 is refused as the API server refuses it
# (exit 3, nothing applied), and a client on the node or in a pod still
# reaches the node's own metadata server, not the Service's endpoint.
t_metadata_ip() {
	local pid out rc i rules r1 r2 r3 loaded
	nsx node ip addr add 169.254.169.254/32 dev lo || { echo "cannot add 169.254.169.254 to node-a"; return 1; }
	rm -f "$WORK/ready.md"
	nsx node "$TSRV" -n node-metadata -t 80 -r "$WORK/ready.md" -L 120 2>>"$WORK/tsrv.log" &
	pid=$!
	for i in $(seq 50); do [ -e "$WORK/ready.md" ] && break; sleep 0.1; done
	{
		svc_yaml grab 198.18.7.3 'externalIPs: [169.254.169.254]' 'ports: [{port: 80, targetPort: 8080}]'
		slice_yaml grab http:8080:TCP pa3
	} | sed 's/name: http, //' | dyn metadata-grab
	loaded=$(svc_load); rc=$?
	grep -q 'spec.externalIPs\[0\]: "169.254.169.254" is in the link-local range (169.254.0.0/16) (the API server refuses it)' "$WORK/load.out" || rc=99
	rules=$(nsx node nft list ruleset | grep -c '169\.254')
	r1=$(nsx pc "$TCLI" -n 5 -t 1000 -F 2 -b "${POD_IP[pc]}" 169.254.169.254 80)
	r2=$(nsx node "$TCLI" -n 5 -t 1000 -F 2 169.254.169.254 80)
	r3=$(expect_flow pc "${POD_IP[pc]}" 198.18.2.1 80 'pa1 pa2' no) || r3="FAIL $r3"
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	nsx node ip addr del 169.254.169.254/32 dev lo
	dyn_rm metadata-grab
	svc_load || return 1
	[ "$rc" = 1 ] || { echo "load of the Service with externalIP 169.254.169.254: want refused with the API server's reason (rc $rc): $loaded"; return 1; }
	[ "$rules" -eq 0 ] || { echo "169.254.169.254 is in the ruleset ($rules lines)"; return 1; }
	[ "$(grep -c '^OK' <<<"$r1")" -eq 5 ] && [ "$(field pod <<<"$r1" | setof)" = node-metadata ] ||
		{ echo "pod -> 169.254.169.254:80 answered by {$(field pod <<<"$r1" | setof)}: $(failures <<<"$r1")"; return 1; }
	[ "$(grep -c '^OK' <<<"$r2")" -eq 5 ] && [ "$(field pod <<<"$r2" | setof)" = node-metadata ] ||
		{ echo "node -> 169.254.169.254:80 answered by {$(field pod <<<"$r2" | setof)}: $(failures <<<"$r2")"; return 1; }
	[[ $r3 == FAIL* ]] && { echo "the previous ruleset after the refusal: ${r3#FAIL }"; return 1; }
	echo "refused (exit 3, the API server's reason); no 169.254 rule; pod and node reach the node's own 169.254.169.254 (5/5 each); the previous ruleset still serves"
}
add "validation: externalIP 169.254.169.254 is refused; the metadata address stays the node's own" t_metadata_ip

# ---- svcnft cleanup ------------------------------------------------------------------
t_cleanup() {
	local r
	if [ "$LOADER" = apply ]; then
		timeout 60 ip netns exec "$TR_PFX-node" "$SVCNFT" cleanup >"$WORK/cleanup.out" 2>&1 || { echo "svcnft cleanup failed: $(tail -n1 "$WORK/cleanup.out")"; return 1; }
	else
		nsx node nft delete table ip svcnft && nsx node nft delete table ip6 svcnft
	fi
	r=$(nsx node nft list tables)
	[ -z "$r" ] || { echo "tables left after cleanup: $r"; return 1; }
	r=$(expect_none -n 2 pc "${POD_IP[pc]}" 198.18.2.1 80 NOANSWER) || { echo "ClusterIP after cleanup: $r"; return 1; }
	r=$(expect_none -n 2 ext "$EXT_IP" "$NODE_IP" 30101 NOANSWER) || { echo "NodePort after cleanup: $r"; return 1; }
	echo "no svcnft table left; ClusterIP and NodePort no longer answer"
}
add "cleanup: svcnft cleanup leaves no table; Services stop answering" t_cleanup
