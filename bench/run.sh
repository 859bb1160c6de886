#!/bin/bash
# What `make bench` runs: svcnft against kube-proxy's nftables shape, for
# N Services x E endpoints in each mix, printed as ONE table.
#
#   bench/run.sh [--sizes 1000,10000,44000] [--mix clusterip,realistic]
#                [--endpoints 10] [--reps 3] [--connects 2000]
#                [--no-dataplane] [--no-changes] [--kp-max N] [--svcnft PATH]
#                [--keep] [--tsv FILE]
#
# It drives only the svcnft binary and nft (never svcnft's internals), so it
# measures today's main and whatever the branches make of it alike. Each
# size x mix x tool runs in its own fresh network namespace (ip netns add),
# deleted on every exit path; nothing touches the host's namespace. Rows,
# per N and mix (svcnft figure, kube-proxy-shape figure, ratio svcnft/kp):
#   compile YAML / JSON List: wall ms, CPU ms (user+sys: what other load on
#       the machine changes least) and peak RSS of `svcnft compile`
#   first apply: `svcnft apply` on an empty namespace | `nft -f` of kube-proxy's full sync
#   no-op apply: `svcnft apply` again | kube-proxy's full sync over its own
#       table (what a restarted kube-proxy sends; its partial sync of nothing
#       sends nothing)
#   one-endpoint apply: `svcnft apply` of the cluster with one endpoint
#       replaced | `nft -f` of kube-proxy's partial sync for it (both wall)
#   commit, CHANGE (--stats): svcnft's own commit_ms from `apply --stats`
#       (sendmsg of the batch to the last ACK), n/a when the binary has no
#       --stats | kube-proxy: duration of nft's batch sendmsg (strace -T)
#   commit, CHANGE (strace): the same kernel time for both tools, taken the
#       same way: the sum of the durations of the process's sendmsg calls
#       (the kernel handles an nftables batch inside sendmsg, commit included)
#   CHANGE whole command: wall time of `svcnft apply` | of `nft -f`
#   connect ClusterIP / NodePort median, p99 (us): bench/dataplane through
#       the rules of that namespace (and once with only the probe Service)
# --no-changes skips the five changes (their rows read n/a); --kp-max N
# skips kube-proxy's side above N Services (its full sync is quadratic in
# the kernel: minutes at 10,000, far longer at 44,000).
# CHANGE: ep-replace, ep-add, ep-remove (one endpoint of one Service),
# svc-add, svc-remove (one Service); each from the base state, which is
# restored (unmeasured) before the next; figures are the median of --reps.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
sizes=1000,10000,44000
mixes=clusterip,realistic
eps=10
reps=3
connects=2000
dataplane=1
changes="ep-replace ep-add ep-remove svc-add svc-remove"
kp_max=
keep=0
svcnft=$root/svcnft
tsv=
while [ $# -gt 0 ]; do
	case $1 in
	--sizes) sizes=$2; shift 2 ;;
	--mix) mixes=$2; shift 2 ;;
	--endpoints) eps=$2; shift 2 ;;
	--reps) reps=$2; shift 2 ;;
	--connects) connects=$2; shift 2 ;;
	--no-dataplane) dataplane=0; shift ;;
	--no-changes) changes=; shift ;;
	--kp-max) kp_max=$2; shift 2 ;;
	--svcnft) svcnft=$(realpath "$2"); shift 2 ;;
	--keep) keep=1; shift ;;
	--tsv) tsv=$2; shift 2 ;;
	-h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "run.sh: unknown option $1 (--help)" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" -eq 0 ] || { echo "run.sh: needs root (network namespaces)" >&2; exit 1; }
[ -x "$svcnft" ] || { echo "run.sh: no $svcnft (make)" >&2; exit 1; }
connect_bin=$root/build/bench/connect
[ $dataplane -eq 0 ] || [ -x "$connect_bin" ] || { echo "run.sh: no $connect_bin (make bench)" >&2; exit 1; }
for t in nft strace /usr/bin/time python3; do
	command -v $t >/dev/null || { echo "run.sh: needs $t" >&2; exit 1; }
done

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
tmp=$(mktemp -d /tmp/svcnft-bench-XXXXXX)
prefix=sb$$
namespaces=()
cleanup() {
	set +e
	for n in "${namespaces[@]}"; do
		ip netns del "$n-cli" 2>/dev/null
		ip netns del "$n-srv" 2>/dev/null
		ip netns del "$n" 2>/dev/null
	done
	if [ $keep -eq 0 ]; then rm -rf "$tmp"; else echo "run.sh: inputs kept in $tmp" >&2; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "run.sh: $*" >&2; }
newns() {
	local n=$prefix-$1
	ip netns add "$n"
	namespaces+=("$n")
	ip -n "$n" link set lo up
	echo "$n"
}
delns() {
	ip netns del "$1" 2>/dev/null || true
	# netns teardown runs in a kernel worker that competes with the next
	# measurement on a 2-core machine: let it finish.
	sleep 1
}

# run NS OUT -- CMD...: run CMD (inside NS unless NS is -), stdout to
# OUT.out, stderr to OUT.err; sets ms (wall), rss (peak KiB), rc.
run() {
	local ns=$1 out=$2; shift 3
	local pre=()
	[ "$ns" = - ] || pre=(ip netns exec "$ns")
	local t0 t1
	t0=$(date +%s%N)
	rc=0
	"${pre[@]}" /usr/bin/time -f '%M %U %S' -o "$out.rss" "$@" >"$out.out" 2>"$out.err" || rc=$?
	t1=$(date +%s%N)
	ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e6 }')
	rss=$(tail -1 "$out.rss" 2>/dev/null | awk 'NF == 3 { print $1 }')
	cpu=$(tail -1 "$out.rss" 2>/dev/null | awk 'NF == 3 { printf "%.0f", ($2 + $3) * 1000 }')
	rss=${rss:-0} cpu=${cpu:-n/a}
}
# The kernel time of a process's nftables batches: the sum of its sendmsg
# durations (strace -T; only sendmsg is traced, through seccomp-bpf, so the
# other calls run at full speed).
strace_ms() {
	local ns=$1 out=$2; shift 3
	rc=0
	ip netns exec "$ns" strace -f --seccomp-bpf -e trace=sendmsg -T -o "$out.strace" "$@" \
		>"$out.out" 2>"$out.err" || rc=$?
	kms=$(awk -F'<' '/^[0-9]+ +sendmsg|^sendmsg/ && /<[0-9.]+>$/ {
		v = $NF; sub(/>/, "", v); s += v; n++ } END { if (n) printf "%.3f", s * 1000; else print "n/a" }' "$out.strace")
	[ $rc -eq 0 ] || kms=n/a
}
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { if (!NR) print "n/a"; else if (v[(NR + 1) / 2] ~ /n\/a/) print "n/a"; else print v[int((NR + 1) / 2)] }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

results=$tmp/results.tsv
: >"$results"
emit() { printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >>"$results"; }

have_stats=0
"$svcnft" apply --help 2>&1 | grep -q -- '--stats' && have_stats=1
svcnft_rev=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)

common_flags() {   # mix
	if [ "$1" = realistic ]; then
		echo --node-name node-0 --service-cidr 198.18.0.0/16,2001:db8:18::/108 \
			--cluster-cidr 198.19.0.0/16,2001:db8:19::/64 --service-node-port-range 30000-45999
	else
		echo --node-name node-0 --service-cidr 198.18.0.0/16 \
			--cluster-cidr 198.19.0.0/16 --service-node-port-range 30000-45999
	fi
}

# connect NS LABEL_N MIX TOOL: data-plane rows for the rules in NS
dataplane_rows() {
	local ns=$1 out=$2
	if [ $dataplane -eq 0 ]; then return; fi
	CONNECT_BIN=$connect_bin "$here/dataplane/run.sh" "$ns" "$connects" 60 >"$out" 2>"$out.err" || true
}
dp_get() {  # file target field
	awk -v t="$2" -v f="$3" '$1 == t { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == f) print kv[2] } }' "$1" 2>/dev/null | head -1
}

# ---- the baseline: only the probe Service installed ----
if [ $dataplane -eq 1 ]; then
	log "data plane with 1 Service (the probe)"
	d=$tmp/probe; mkdir -p "$d"
	python3 "$here/gen-manifests.py" --services 0 --endpoints "$eps" --mix clusterip --probe --out "$d/m"
	python3 "$here/gen-kubeproxy.py" --services 0 --endpoints "$eps" --mix clusterip --probe --no-changes --out "$d/kp"
	ns=$(newns p-s)
	run "$ns" "$d/s-apply" -- "$svcnft" apply $(common_flags clusterip) -f "$d/m"
	dataplane_rows "$ns" "$d/s.dp"
	delns "$ns"
	ns=$(newns p-k)
	run "$ns" "$d/k-apply" -- nft -f "$d/kp/full.nft"
	dataplane_rows "$ns" "$d/k.dp"
	delns "$ns"
	for tgt in clusterip nodeport; do
		for f in median_us p99_us; do
			emit 1 probe "connect $tgt ${f%_us} (us)" "$(dp_get "$d/s.dp" $tgt $f)" "$(dp_get "$d/k.dp" $tgt $f)"
		done
	done
fi

all_changes="ep-replace ep-add ep-remove svc-add svc-remove"
IFS=, read -r -a size_list <<<"$sizes"
IFS=, read -r -a mix_list <<<"$mixes"
for n in "${size_list[@]}"; do
for mix in "${mix_list[@]}"; do
	d=$tmp/$n-$mix; mkdir -p "$d"
	flags=$(common_flags "$mix")
	log "$n x $eps, $mix: writing manifests and kube-proxy scripts"
	python3 "$here/gen-manifests.py" --services "$n" --endpoints "$eps" --mix "$mix" --probe --out "$d/base"
	python3 "$here/gen-manifests.py" --services "$n" --endpoints "$eps" --mix "$mix" --probe \
		--format json-list --out "$d/json"
	for c in $changes; do
		python3 "$here/gen-manifests.py" --services "$n" --endpoints "$eps" --mix "$mix" --probe \
			--change "$c" --out "$d/$c"
	done
	[ -n "$kp_max" ] && [ "$n" -gt "$kp_max" ] ||
		python3 "$here/gen-kubeproxy.py" --services "$n" --endpoints "$eps" --mix "$mix" --probe \
			$([ -n "$changes" ] || echo --no-changes) --out "$d/kp"

	# ---- compile (no kernel) ----
	log "$n $mix: compile"
	run - "$d/compile-yaml" -- "$svcnft" compile $flags -f "$d/base"
	if [ $rc -eq 0 ]; then emit "$n" "$mix" "compile YAML (ms)" "$ms" ""; emit "$n" "$mix" "compile YAML CPU user+sys (ms)" "$cpu" ""; emit "$n" "$mix" "compile YAML peak RSS (MiB)" "$(mib "$rss")" ""
	else emit "$n" "$mix" "compile YAML (ms)" "failed rc=$rc" ""; fi
	run - "$d/compile-json" -- "$svcnft" compile $flags -f "$d/json"
	if [ $rc -eq 0 ]; then emit "$n" "$mix" "compile JSON List (ms)" "$ms" ""; emit "$n" "$mix" "compile JSON List CPU user+sys (ms)" "$cpu" ""; emit "$n" "$mix" "compile JSON List peak RSS (MiB)" "$(mib "$rss")" ""
	else emit "$n" "$mix" "compile JSON List (ms)" "failed rc=$rc" ""; fi
	cp "$d/compile-yaml.out" "$d/compiled.nft"

	# ---- svcnft ----
	ns=$(newns "$n-$mix-s")
	log "$n $mix: svcnft first apply"
	run "$ns" "$d/s-first" -- "$svcnft" apply $flags -f "$d/base"
	s_first=$ms s_first_cpu=$cpu s_first_rss=$(mib "$rss") s_loaded=1 s_note=
	if [ $rc -ne 0 ]; then
		s_first="failed rc=$rc" s_first_rss=n/a s_first_cpu=n/a
		log "$n $mix: svcnft apply failed ($(head -c 200 "$d/s-first.err")); loading its compile output with nft -f for the rest"
		run "$ns" "$d/s-first-nft" -- nft -f "$d/compiled.nft"
		[ $rc -eq 0 ] || s_loaded=0
		s_note=" [svcnft table loaded by nft -f]"
	fi
	s_noop=n/a; s_noop_cpu=n/a; s_wall=(); s_stat=(); s_kern=()
	if [ $s_loaded -eq 1 ]; then
		run "$ns" "$d/s-noop" -- "$svcnft" apply $flags -f "$d/base"
		[ $rc -eq 0 ] && s_noop=$ms s_noop_cpu=$cpu || s_noop="failed rc=$rc"
		stats_flag=()
		[ $have_stats -eq 1 ] && stats_flag=(--stats)
		for c in $changes; do
			walls= stats= kerns=
			for r in $(seq "$reps"); do
				run "$ns" "$d/s-$c-$r" -- "$svcnft" apply "${stats_flag[@]}" $flags -f "$d/$c"
				if [ $rc -eq 0 ]; then
					walls+=" $ms"
					st=$(grep -o 'commit_ms=[0-9.]*' "$d/s-$c-$r.err" | tail -1 | cut -d= -f2)
					stats+=" ${st:-n/a}"
				else
					walls+=" n/a"; stats+=" n/a"
				fi
				run "$ns" "$d/s-$c-$r-back" -- "$svcnft" apply $flags -f "$d/base"
				strace_ms "$ns" "$d/s-$c-$r-st" -- "$svcnft" apply $flags -f "$d/$c"
				kerns+=" $kms"
				run "$ns" "$d/s-$c-$r-back2" -- "$svcnft" apply $flags -f "$d/base"
			done
			s_wall+=("$(echo $walls | median)"); s_stat+=("$(echo $stats | median)"); s_kern+=("$(echo $kerns | median)")
		done
		dataplane_rows "$ns" "$d/s.dp"
	fi
	delns "$ns"

	# ---- kube-proxy's shape ----
	k_noop=n/a; k_noop_cpu=n/a; k_first_cpu=n/a; k_wall=(); k_kern=()
	if [ -n "$kp_max" ] && [ "$n" -gt "$kp_max" ]; then
		k_first=skipped k_first_rss=skipped k_loaded=0 ns=
		log "$n $mix: kube-proxy shape skipped (--kp-max $kp_max)"
	else
		ns=$(newns "$n-$mix-k")
		log "$n $mix: kube-proxy shape full sync"
		run "$ns" "$d/k-first" -- nft -f "$d/kp/full.nft"
		k_first=$ms k_first_cpu=$cpu k_first_rss=$(mib "$rss") k_loaded=1
		[ $rc -eq 0 ] || { k_first="failed rc=$rc"; k_first_rss=n/a; k_loaded=0; }
	fi
	if [ $k_loaded -eq 1 ]; then
		run "$ns" "$d/k-noop" -- nft -f "$d/kp/full.nft"
		[ $rc -eq 0 ] && k_noop=$ms k_noop_cpu=$cpu || k_noop="failed rc=$rc"
		for c in $changes; do
			walls= kerns=
			for r in $(seq "$reps"); do
				run "$ns" "$d/k-$c-$r" -- nft -f "$d/kp/$c.nft"
				[ $rc -eq 0 ] && walls+=" $ms" || walls+=" n/a"
				run "$ns" "$d/k-$c-$r-back" -- nft -f "$d/kp/$c.revert.nft"
				run "$ns" "$d/k-$c-$r-clean" -- nft -f "$d/kp/$c.cleanup.nft"
				strace_ms "$ns" "$d/k-$c-$r-st" -- nft -f "$d/kp/$c.nft"
				kerns+=" $kms"
				run "$ns" "$d/k-$c-$r-back2" -- nft -f "$d/kp/$c.revert.nft"
				run "$ns" "$d/k-$c-$r-clean2" -- nft -f "$d/kp/$c.cleanup.nft"
			done
			k_wall+=("$(echo $walls | median)"); k_kern+=("$(echo $kerns | median)")
		done
		dataplane_rows "$ns" "$d/k.dp"
	fi
	[ -z "$ns" ] || delns "$ns"

	emit "$n" "$mix" "first apply (ms)$s_note" "$s_first" "$k_first"
	emit "$n" "$mix" "first apply CPU user+sys (ms)" "$s_first_cpu" "$k_first_cpu"
	emit "$n" "$mix" "first apply peak RSS (MiB)" "$s_first_rss" "$k_first_rss"
	emit "$n" "$mix" "no-op apply (ms)" "$s_noop" "$k_noop"
	emit "$n" "$mix" "no-op apply CPU user+sys (ms)" "$s_noop_cpu" "$k_noop_cpu"
	i=0
	for c in $all_changes; do
		emit "$n" "$mix" "commit $c (--stats | kp strace) (ms)" "${s_stat[$i]:-n/a}" "${k_kern[$i]:-n/a}"
		i=$((i + 1))
	done
	i=0
	for c in $all_changes; do
		emit "$n" "$mix" "commit $c (strace, both) (ms)" "${s_kern[$i]:-n/a}" "${k_kern[$i]:-n/a}"
		i=$((i + 1))
	done
	i=0
	for c in $all_changes; do
		if [ $c = ep-replace ]; then label="one-endpoint apply, whole command (ms)"; else label="$c, whole command (ms)"; fi
		emit "$n" "$mix" "$label" "${s_wall[$i]:-n/a}" "${k_wall[$i]:-n/a}"
		i=$((i + 1))
	done
	if [ $dataplane -eq 1 ]; then
		for tgt in clusterip nodeport; do
			for f in median_us p99_us; do
				emit "$n" "$mix" "connect $tgt ${f%_us} (us)" "$(dp_get "$d/s.dp" $tgt $f)" "$(dp_get "$d/k.dp" $tgt $f)"
			done
		done
	fi
	[ $keep -eq 1 ] || rm -rf "$d/base" "$d/json" "$d/kp" $(for c in $changes; do echo "$d/$c"; done) "$d/compiled.nft" "$d"/*.out
done
done

# ---- the table ----
mem=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
echo
echo "svcnft bench: $(date -u '+%Y-%m-%d %H:%M UTC'); svcnft $svcnft_rev$([ $have_stats -eq 1 ] && echo ' (apply --stats)' || echo ' (no apply --stats: commit_ms n/a)')"
echo "machine: $(nproc) cores ($cpu), $mem; kernel $(uname -r); $(nft --version)"
echo "load average (1/5/15 min) at start $load_start, at end $(cut -d' ' -f1-3 /proc/loadavg): other work on the machine inflates every figure"
echo "N Services x $eps endpoints (+ the probe Service bench-probe/web); reps $reps (median); connects $connects per target"
echo
awk -F'\t' '
function num(x) { return x ~ /^[0-9.]+$/ }
BEGIN {
	printf "| %-6s | %-9s | %-44s | %12s | %12s | %6s |\n", "N", "mix", "measurement", "svcnft", "kube-proxy", "ratio"
	printf "|--------|-----------|----------------------------------------------|--------------|--------------|--------|\n"
}
{
	s = $4 == "" ? "-" : $4; k = $5 == "" ? "-" : $5
	r = (num($4) && num($5) && $5 > 0) ? sprintf("%.2f", $4 / $5) : ($5 == "" ? "-" : "n/a")
	printf "| %-6s | %-9s | %-44s | %12s | %12s | %6s |\n", $1, $2, $3, s, k, r
}' "$results"
echo
echo "ratio = svcnft / kube-proxy shape (below 1: svcnft is faster or smaller); kube-proxy's shape is"
echo "written by bench/gen-kubeproxy.py and loaded with nft -f (its first apply and no-op are nft -f wall"
echo "time of its full sync; its change rows are nft -f of its partial-sync script: wall time in the"
echo "'whole command' rows, kernel time (sendmsg duration, strace -T) in the 'commit' rows)."
[ -z "$tsv" ] || cp "$results" "$tsv"
