# shellcheck shell=bash
# tests/traffic/cases.sh: the cases of the traffic tier (issue 4 §2, §3).
# Sourced by run.sh. Each entry of CASES is "NAME|COMMAND ARGS...": run.sh
# runs them in order and reports one line per case. The base manifests
# (cases/base/) are loaded by the first case; cases that change Services
# write their own manifests to $WORK/dyn and load base + dyn again.

CASES=()
add() { CASES+=("$1|$2"); }

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

# ---- endpoint choice --------------------------------------------------------
t_split() {
	local out n=300 ok pod c bad=0 line=""
	out=$(nsx pc "$TCLI" -q -n $n -t 1000 198.18.2.6 80)
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

# t_affinity FROM CLIENT TARGET [SPREAD_TIMEOUT_S]
t_affinity() {
	local from=$1 client=$2 target=$3 tmo=${4:-} out ok pods p r q seen
	out=$(nsx "$from" "$TCLI" -n 50 -t 1000 -b "$client" "$target" 80)
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
	q=$(nsx "$from" "$TCLI" -t 1000 -b "$client" "$target" 80 | field pod)
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
		p=$(nsx "$from" "$TCLI" -t 1000 -b "$client" "$target" 80 | field pod)
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
	"t_affinity pc ${POD_IP[pc]} 198.18.2.7 2"

add "no endpoints (empty slice): TCP refused within 100 ms" "expect_none -n 5 -t 1000 -m 100 pc ${POD_IP[pc]} 198.18.2.8 80 REFUSED"
add "no endpoints (empty slice): UDP refused within 100 ms" "expect_none -u -n 2 -t 1000 -m 100 pc ${POD_IP[pc]} 198.18.2.8 53 REFUSED"
add "no endpoints (no slice): TCP refused within 100 ms" "expect_none -n 5 -t 1000 -m 100 pc ${POD_IP[pc]} 198.18.2.9 80 REFUSED"
add "no endpoints: refused for the external client too" "expect_none -n 3 -t 1000 -m 100 ext $EXT_IP 198.18.2.8 80 REFUSED"
add "eTP Local, no local endpoint: NodePort from outside dropped" "expect_none ext $EXT_IP $NODE_IP 30112 TIMEOUT"
add "iTP Local, no local endpoint: ClusterIP from a pod dropped" "expect_none pc ${POD_IP[pc]} 198.18.2.10 80 TIMEOUT"
add "eTP Local, no local endpoint: pod -> NodePort uses any endpoint" "expect_flow pc ${POD_IP[pc]} $NODE_IP 30112 pb1 no"
add "undefined port on a ClusterIP: refused" "expect_none -n 3 -t 1000 -m 100 pc ${POD_IP[pc]} 198.18.2.1 81 REFUSED"
add "undefined UDP port on a ClusterIP: refused" "expect_none -u -n 1 -t 1000 pc ${POD_IP[pc]} 198.18.2.1 54 REFUSED"
add "unallocated ClusterIP (198.18.99.99) from a pod: dropped" "expect_none pc ${POD_IP[pc]} 198.18.99.99 80 TIMEOUT"
add "unallocated ClusterIP from outside: dropped" "expect_none ext $EXT_IP 198.18.99.99 80 TIMEOUT"

# ---- IPv6 --------------------------------------------------------------------
add "ipv6: ClusterIP from a pod" "expect_flow -d 8080 pc ${POD_IP6[pc]} 2001:db8:18::1:1 80 'pa1 pa2' no"
add "ipv6: NodePort from the external client" "expect_flow ext $EXT_IP6 $NODE_IP6 30201 'pa1 pa2' yes"
add "ipv6: ClientIP affinity pins 50 connections" "t_affinity pc ${POD_IP6[pc]} 2001:db8:18::1:2"
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

# A UDP flow (one client socket) whose endpoint is removed moves to a live
# endpoint right after the next apply (apply deletes the stale conntrack entry).
t_udp_flow() {
	local line pod1="" p r
	{ svc_yaml udpflow 198.18.3.1 "ports: [{name: dns, port: 53, protocol: UDP, targetPort: 5353}]"
	  slice_yaml udpflow dns:5353:UDP pa1 pa2; } | dyn udpflow
	svc_load || return 1
	coproc UF { nsx pc "$TCLI" -u -S -n 100 -t 1000 -D 30000 198.18.3.1 53; }
	local in=${UF[1]} outfd=${UF[0]} pid=$UF_PID
	for r in 1 2 3; do
		echo >&"$in"
		read -r -t 3 line <&"$outfd" || line="no output"
		p=$(field pod <<<"$line")
		[ -z "$p" ] && { echo "request $r before the change: $line"; exec {in}>&-; wait "$pid"; return 1; }
		[ -n "$pod1" ] && [ "$p" != "$pod1" ] && { echo "one flow answered by $pod1 then $p"; exec {in}>&-; wait "$pid"; return 1; }
		pod1=$p
	done
	local live=pa1
	[ "$pod1" = pa1 ] && live=pa2
	{ svc_yaml udpflow 198.18.3.1 "ports: [{name: dns, port: 53, protocol: UDP, targetPort: 5353}]"
	  slice_yaml udpflow dns:5353:UDP "$live"; } | dyn udpflow
	if ! svc_load; then exec {in}>&-; wait "$pid"; return 1; fi
	local after=""
	for r in 1 2 3; do
		echo >&"$in"
		read -r -t 3 line <&"$outfd" || line="no output"
		p=$(field pod <<<"$line")
		after+=" ${p:-$(awk '{print $1}' <<<"$line")}"
	done
	exec {in}>&-
	wait "$pid"
	if [ "$after" != " $live $live $live" ]; then
		echo "flow on $pod1; after $pod1 was removed and applied, answers:$after (want $live)"
		return 1
	fi
	echo "flow on $pod1; $pod1 removed + apply: the same socket now reaches$after"
}
add "udp: a flow to a removed endpoint moves to a live one after apply" t_udp_flow

# ClientIP affinity to an endpoint that goes away: re-pinned to a live one.
t_affinity_removed() {
	local out pinned pods live
	{ svc_yaml affrm 198.18.3.2 "sessionAffinity: ClientIP" \
		"ports: [{name: http, port: 80, protocol: TCP, targetPort: 8080}]"
	  slice_yaml affrm http:8080:TCP pa1 pa2 pa3; } | dyn affrm
	svc_load || return 1
	out=$(nsx pc "$TCLI" -n 10 -t 1000 198.18.3.2 80)
	pinned=$(field pod <<<"$out" | setof)
	if [ "$(wc -w <<<"$pinned")" -ne 1 ] || [ "$(grep -c '^OK' <<<"$out")" -ne 10 ]; then
		echo "before: {$pinned} $(failures <<<"$out"), want 10 answers from one pod"
		return 1
	fi
	live=$(xargs -n1 <<<"pa1 pa2 pa3" | grep -vx "$pinned" | xargs)
	{ svc_yaml affrm 198.18.3.2 "sessionAffinity: ClientIP" \
		"ports: [{name: http, port: 80, protocol: TCP, targetPort: 8080}]"
	  slice_yaml affrm http:8080:TCP $live; } | dyn affrm
	svc_load || return 1
	out=$(nsx pc "$TCLI" -n 10 -t 1000 198.18.3.2 80)
	pods=$(field pod <<<"$out" | setof)
	if [ "$(grep -c '^OK' <<<"$out")" -ne 10 ] || [ "$(wc -w <<<"$pods")" -ne 1 ] || is_in "$pinned" $pods; then
		echo "pinned to $pinned, removed it: 10 connections -> {$pods} $(failures <<<"$out") (want one of $live)"
		return 1
	fi
	echo "pinned to $pinned; $pinned removed + apply: re-pinned to $pods"
}
add "affinity: the pinned endpoint removed -> re-pinned to a live one" t_affinity_removed

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
t_continuity() {
	local stop=$WORK/cont.stop k eps t0 t1 bad=0 s_loop s_tcp s_udp
	rm -f "$stop"
	cont_yaml pa1 | dyn cont
	svc_load || return 1
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
	local -a sets=("pa1 pa2" "pa1 pa2 pa3" "pa1 pb1" "pa1" "pa1 pa3 pb1" "pa1:ready pa2:terminating"
		"pa1 pa2 pa3 pb1" "pa1 pa3:notready")
	for ((k = 0; k < 50; k++)); do
		eps=${sets[k % ${#sets[@]}]}
		cont_yaml $eps | dyn cont
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
add "continuity: 50 applies churn endpoints; zero failed connections; established TCP survives" t_continuity
