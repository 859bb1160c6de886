# shellcheck shell=bash
# tests/traffic/lib.sh: loading rules into the node and checking what real
# connections do. Sourced by run.sh after topo.sh; expects TCLI, SVCNFT,
# LOADER, HERE and WORK to be set.
#
# A check prints diagnostic lines, then one last line that run.sh shows
# after "ok NAME:" or "FAIL NAME:", and returns 0 when it passed.

SVC_ARGS=(--node-name node-a --service-cidr 198.18.0.0/16,2001:db8:18::/108
	--cluster-cidr 198.19.0.0/16,2001:db8:19::/56)
# Every address node-a may masquerade to (towards local pods lo's
# 198.19.1.1 is chosen, towards the router the uplink's address).
NODE_ADDRS4="$NODE_IP $NODE_GW"
NODE_ADDRS6="$NODE_IP6"

# svc_load: make the node's ruleset match base/ plus the case manifests in
# $WORK/dyn, through `svcnft apply` (or compile | nft -f with LOADER=nft).
svc_load() {
	local files=() rc
	# SVC_NO_BASE=1: only the case's own manifests (a node with few features)
	[ "${SVC_NO_BASE:-0}" = 1 ] || files+=(-f "$HERE/cases/base")
	if compgen -G "$WORK/dyn/*.yaml" >/dev/null; then
		files+=(-f "$WORK/dyn")
	fi
	if [ "$LOADER" = apply ]; then
		# bounded: a hung netlink exchange must not hang the tier
		timeout 60 ip netns exec "$TR_PFX-node" "$SVCNFT" apply "${SVC_ARGS[@]}" "${files[@]}" \
			>"$WORK/load.out" 2>&1
		rc=$?
	else
		timeout 60 "$SVCNFT" compile "${SVC_ARGS[@]}" "${files[@]}" >"$WORK/load.nft" 2>"$WORK/load.out"
		rc=$?
		if [ $rc -eq 0 ]; then
			# one transaction: the old tables go and the new ones come at once
			{
				printf 'table ip svcnft {}\ndelete table ip svcnft\n'
				printf 'table ip6 svcnft {}\ndelete table ip6 svcnft\n'
				cat "$WORK/load.nft"
			} | timeout 60 ip netns exec "$TR_PFX-node" nft -f - >>"$WORK/load.out" 2>&1
			rc=$?
		fi
	fi
	if [ $rc -ne 0 ]; then
		sed 's/^/    load: /' "$WORK/load.out" | head -n 20
		echo "svcnft $LOADER failed (exit $rc)"
		return 1
	fi
	# Checking the checks: TRAFFIC_AFTER_LOAD is a shell command run in the
	# node after every load, to break the ruleset on purpose and see which
	# cases notice (e.g. 'nft flush chain ip svcnft nat-postrouting').
	if [ -n "${TRAFFIC_AFTER_LOAD:-}" ]; then
		nsx node bash -c "$TRAFFIC_AFTER_LOAD" >>"$WORK/load.out" 2>&1
	fi
	return 0
}

# dyn NAME: write stdin as the case manifest $WORK/dyn/NAME.yaml
dyn() { cat >"$WORK/dyn/$1.yaml"; }
dyn_rm() { rm -f "$WORK/dyn/$1.yaml"; }

# svc_yaml NAME CLUSTERIP [SPEC-LINE...]: a Service document (no separator);
# each SPEC-LINE gets two spaces of indent. An empty CLUSTERIP is left out.
svc_yaml() {
	local name=$1 ip=$2 l
	shift 2
	printf 'apiVersion: v1\nkind: Service\nmetadata: {name: %s, namespace: tr}\nspec:\n' "$name"
	[ -n "$ip" ] && printf '  clusterIP: %s\n' "$ip"
	for l in "$@"; do printf '  %s\n' "$l"; done
}
# slice_yaml [-6] SVC PORTS ENDPOINT...: "---", then an IPv4 (-6: IPv6)
# EndpointSlice for SVC.
# PORTS: "name:port:proto,..."; ENDPOINT: POD[:COND], COND one of ready
# (default), terminating (serving, not ready), notready, gone (terminating,
# not serving).
slice_yaml() {
	local fam=4
	[ "$1" = -6 ] && { fam=6; shift; }
	local svc=$1 ports=$2 ep pod cond p addr
	shift 2
	printf -- '---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n'
	printf 'metadata:\n  name: %s-x%s\n  namespace: tr\n  labels: {kubernetes.io/service-name: %s}\n' "$svc" "$fam" "$svc"
	printf 'addressType: IPv%s\nports:\n' "$fam"
	for p in ${ports//,/ }; do
		IFS=: read -r pn pp pr <<<"$p"
		printf -- '- {name: %s, port: %s, protocol: %s}\n' "$pn" "$pp" "$pr"
	done
	if [ $# -eq 0 ]; then
		printf 'endpoints: []\n'
	else
		printf 'endpoints:\n'
	fi
	for ep in "$@"; do
		pod=${ep%%:*} cond=ready
		[ "$ep" != "$pod" ] && cond=${ep#*:}
		case $cond in
		ready) cond='{ready: true, serving: true, terminating: false}' ;;
		terminating) cond='{ready: false, serving: true, terminating: true}' ;;
		notready) cond='{ready: false, serving: false, terminating: false}' ;;
		gone) cond='{ready: false, serving: false, terminating: true}' ;;
		esac
		local node=node-a
		[ "$pod" = pb1 ] && node=node-b
		addr=${POD_IP[$pod]}
		[ $fam = 6 ] && addr=${POD_IP6[$pod]}
		printf -- '- {addresses: ["%s"], conditions: %s, nodeName: %s}\n' "$addr" "$cond" "$node"
	done
}

# field NAME: the values of NAME=... in tcli's OK lines, one per line
field() { sed -n "s/^OK .* $1=\([^ ]*\).*/\1/p"; }
setof() { sort -u | xargs; }
# failures: a short tally of the non-OK lines
failures() { grep -v '^OK' | awk '{print $1}' | sort | uniq -c | awk '{printf "%s%s x%s", s, $2, $1; s=", "}'; }

is_in() { # word list...
	local w=$1 x
	shift
	for x in "$@"; do [ "$x" = "$w" ] && return 0; done
	return 1
}

# expect_flow [-u] [-n N] [-d DPORT] FROM CLIENT TARGET PORT PODS MASQ
# N connections (default 20) from namespace FROM, bound to CLIENT; every one
# must be answered, exactly the pods PODS must answer, and each answer's
# source must be CLIENT (MASQ=no) or a node-a address (MASQ=yes).
expect_flow() {
	local udp="" n=20 dport="" o OPTIND=1
	while getopts "un:d:" o; do
		case $o in
		u) udp=-u ;;
		n) n=$OPTARG ;;
		d) dport=$OPTARG ;;
		*) return 2 ;;
		esac
	done
	shift $((OPTIND - 1))
	local from=$1 client=$2 target=$3 port=$4 want masq=$6 out ok got srcs s addrs
	want=$(xargs -n1 <<<"$5" | setof)
	out=$(nsx "$from" "$TCLI" $udp -n "$n" -t 1000 -F 3 -b "$client" "$target" "$port")
	ok=$(grep -c '^OK' <<<"$out")
	got=$(field pod <<<"$out" | setof)
	srcs=$(field src <<<"$out" | setof)
	if [ "$ok" -ne "$n" ]; then
		echo "$ok/$n answered (by ${got:-nobody}); failed: $(failures <<<"$out")"
		return 1
	fi
	if [ "$got" != "$want" ]; then
		echo "answered by {$got}, want {$want} (source seen: $srcs)"
		return 1
	fi
	addrs=$NODE_ADDRS4
	[[ $client == *:* ]] && addrs=$NODE_ADDRS6
	for s in $srcs; do
		if [ "$masq" = no ] && [ "$s" != "$client" ]; then
			echo "pods saw source $s, want the client's $client (not masqueraded); pods {$got}"
			return 1
		fi
		if [ "$masq" = yes ] && ! is_in "$s" $addrs; then
			echo "pods saw source $s, want a node address ($addrs: masqueraded); pods {$got}"
			return 1
		fi
	done
	if [ -n "$dport" ]; then
		s=$(field dport <<<"$out" | setof)
		if [ "$s" != "$dport" ]; then
			echo "pods answered on port $s, want $dport"
			return 1
		fi
	fi
	local how="source kept"
	[ "$masq" = yes ] && how="masqueraded"
	echo "$n/$n answered by {$got}, source seen {$srcs}: $how${dport:+, pod port $dport}"
}

# expect_none [-u] [-n N] [-t MS] [-m MAXMS] FROM CLIENT TARGET PORT WHAT
# N attempts, none answered by a pod. WHAT: REFUSED (every attempt refused,
# each within MAXMS if given), TIMEOUT (every attempt dropped), or NOANSWER
# (anything but an answer).
expect_none() {
	local udp="" n=3 t=400 maxms="" o OPTIND=1
	while getopts "un:t:m:" o; do
		case $o in
		u) udp=-u ;;
		n) n=$OPTARG ;;
		t) t=$OPTARG ;;
		m) maxms=$OPTARG ;;
		*) return 2 ;;
		esac
	done
	shift $((OPTIND - 1))
	local from=$1 client=$2 target=$3 port=$4 what=$5 out cnt worst b0 b1
	b0=$(router_bounced)
	out=$(nsx "$from" "$TCLI" $udp -n "$n" -t "$t" -i 20 -b "$client" "$target" "$port")
	b1=$(router_bounced)
	worst=$(sed -n 's/^[A-Z]* ms=\([0-9]*\).*/\1/p' <<<"$out" | sort -n | tail -n1)
	if grep -q '^OK' <<<"$out"; then
		echo "$(grep -c '^OK' <<<"$out")/$n answered by {$(field pod <<<"$out" | setof)}, want $what"
		return 1
	fi
	if [ "$what" != NOANSWER ]; then
		cnt=$(grep -c "^$what " <<<"$out")
		if [ "$cnt" -ne "$n" ]; then
			echo "got $(failures <<<"$out"), want $what x$n"
			return 1
		fi
		if [ -n "$maxms" ] && [ "$worst" -ge "$maxms" ]; then
			echo "$what, but the slowest took $worst ms (want < $maxms ms)"
			return 1
		fi
	fi
	# a drop must happen on node-a: nothing may have come back to the router
	if [ "$what" = TIMEOUT ] && [ "$b1" != "$b0" ]; then
		echo "not dropped by node-a: $((b1 - b0)) packet(s) came back to the router untranslated"
		return 1
	fi
	echo "$n/$n not answered: $(failures <<<"$out") (slowest $worst ms)"
}
