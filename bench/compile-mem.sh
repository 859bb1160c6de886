#!/bin/bash
# Does `svcnft compile` run in memory linear in the cluster, and small?
#
#   bench/compile-mem.sh [--sizes 10000,44000] [--mix clusterip] [--reps 3]
#                        [--formats yaml,json] [--slack 1.15]
#                        [--max-rss N:MiB,...] [--svcnft PATH] [--baseline PATH]
#                        [--keep DIR]
#
# For each size N (x 10 endpoints) and input format (the YAML files, one
# `kind: List` JSON file) it runs `svcnft compile` --reps times and prints
# the best wall and CPU time and the peak RSS (ru_maxrss; the same in every
# run), with KiB per Service. Then, for each format, the RSS of the largest
# size over the smallest against the ratio of the sizes.
#
# Exit 1 (and the line says FAIL) when
#   - RSS grows faster than the cluster: rss(Nmax) / rss(Nmin) above
#     (Nmax / Nmin) x slack (default 1.15: a fixed part of the RSS, the
#     binary and its libraries, makes a linear compile come out below 1);
#   - or a size given in --max-rss (e.g. 10000:64,44000:256, issue 8's
#     targets) peaks above its budget in any format.
# --baseline PATH runs another binary on the same inputs in the same loop
# (interleaved, so load on the machine hits both alike) and prints its
# figures and the ratio this/baseline; only the --svcnft binary is judged.
# Needs no root and touches no kernel state: compile only.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
sizes=10000,44000
mix=clusterip
reps=3
formats=yaml,json
slack=1.15
max_rss=
svcnft=$root/svcnft
baseline=
keep=
while [ $# -gt 0 ]; do
	case $1 in
	--sizes) sizes=$2; shift 2 ;;
	--mix) mix=$2; shift 2 ;;
	--reps) reps=$2; shift 2 ;;
	--formats) formats=$2; shift 2 ;;
	--slack) slack=$2; shift 2 ;;
	--max-rss) max_rss=$2; shift 2 ;;
	--svcnft) svcnft=$2; shift 2 ;;
	--baseline) baseline=$2; shift 2 ;;
	--keep) keep=$2; shift 2 ;;
	-h|--help) sed -n '2,/^set -eu/p' "$0" | sed 's/^# \{0,1\}//; /^set -eu/d'; exit 0 ;;
	*) echo "compile-mem.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
[ -x /usr/bin/time ] || { echo "compile-mem.sh: needs /usr/bin/time (Debian package time)" >&2; exit 2; }

if [ -n "$keep" ]; then
	tmp=$keep
	mkdir -p "$tmp"
else
	tmp=$(mktemp -d /tmp/svcnft-compile-mem.XXXXXX)
	trap 'rm -rf "$tmp"' EXIT
fi

if [ "$mix" = realistic ]; then
	flags="--node-name node-0 --service-cidr 198.18.0.0/16,2001:db8:18::/108
		--cluster-cidr 198.19.0.0/16,2001:db8:19::/64 --service-node-port-range 30000-45999"
else
	flags="--node-name node-0 --service-cidr 198.18.0.0/16
		--cluster-cidr 198.19.0.0/16 --service-node-port-range 30000-45999"
fi

# run_one KEY BIN INPUT: keeps the best wall and CPU ms and the peak RSS (KiB) under KEY
declare -A best_wall best_cpu peak
run_one() {   # key bin input
	local key=$1 bin=$2 in=$3 w u s m c
	# shellcheck disable=SC2086
	/usr/bin/time -o "$tmp/time" -f '%e %U %S %M' "$bin" compile $flags -f "$in" >/dev/null 2>"$tmp/err" || {
		echo "compile-mem.sh: $bin compile -f $in failed: $(head -c 300 "$tmp/err")" >&2
		exit 2
	}
	read -r w u s m <"$tmp/time"
	w=$(awk -v w="$w" 'BEGIN { printf "%d", w * 1000 }')
	c=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%d", (u + s) * 1000 }')
	if [ -z "${best_wall[$key]:-}" ] || [ "$w" -lt "${best_wall[$key]}" ]; then best_wall[$key]=$w; fi
	if [ -z "${best_cpu[$key]:-}" ] || [ "$c" -lt "${best_cpu[$key]}" ]; then best_cpu[$key]=$c; fi
	if [ -z "${peak[$key]:-}" ] || [ "$m" -gt "${peak[$key]}" ]; then peak[$key]=$m; fi
}

IFS=, read -r -a size_list <<<"$sizes"
IFS=, read -r -a format_list <<<"$formats"
for n in "${size_list[@]}"; do
	for f in "${format_list[@]}"; do
		case $f in
		yaml) [ -d "$tmp/$n-yaml" ] || python3 "$here/gen-manifests.py" --services "$n" --endpoints 10 --mix "$mix" --out "$tmp/$n-yaml" ;;
		json) [ -d "$tmp/$n-json" ] || python3 "$here/gen-manifests.py" --services "$n" --endpoints 10 --mix "$mix" --format json-list --out "$tmp/$n-json" ;;
		*) echo "compile-mem.sh: unknown format $f" >&2; exit 2 ;;
		esac
	done
done

for n in "${size_list[@]}"; do
	for f in "${format_list[@]}"; do
		for _ in $(seq "$reps"); do
			run_one "svcnft $n $f" "$svcnft" "$tmp/$n-$f"
			[ -z "$baseline" ] || run_one "baseline $n $f" "$baseline" "$tmp/$n-$f"
		done
	done
done

echo "svcnft compile-mem: $(date -u '+%Y-%m-%d %H:%M UTC'); svcnft $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown); $mix x 10 endpoints; best of $reps"
echo "machine: $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-8s %-6s %-9s %10s %10s %10s %12s\n' N format binary "wall ms" "CPU ms" "RSS MiB" "KiB/Service"
status=0
for n in "${size_list[@]}"; do
	for f in "${format_list[@]}"; do
		for who in svcnft baseline; do
			k="$who $n $f"
			[ -n "${peak[$k]:-}" ] || continue
			printf '%-8s %-6s %-9s %10s %10s %10.1f %12.1f\n' "$n" "$f" "$who" "${best_wall[$k]}" \
				"${best_cpu[$k]}" "$(awk -v m="${peak[$k]}" 'BEGIN { print m / 1024 }')" \
				"$(awk -v m="${peak[$k]}" -v n="$n" 'BEGIN { print m / n }')"
		done
		if [ -n "$baseline" ]; then
			printf '%-8s %-6s %-9s %10.2f %10.2f %10.2f\n' "$n" "$f" "ratio" \
				"$(awk -v a="${best_wall[svcnft $n $f]}" -v b="${best_wall[baseline $n $f]}" 'BEGIN { print a / b }')" \
				"$(awk -v a="${best_cpu[svcnft $n $f]}" -v b="${best_cpu[baseline $n $f]}" 'BEGIN { print a / b }')" \
				"$(awk -v a="${peak[svcnft $n $f]}" -v b="${peak[baseline $n $f]}" 'BEGIN { print a / b }')"
		fi
		# budgets: "N:MiB,..."
		IFS=, read -r -a budgets <<<"$max_rss"
		for bgt in "${budgets[@]}"; do
			[ "${bgt%%:*}" = "$n" ] || continue
			lim=${bgt#*:}
			if [ "$(awk -v m="${peak[svcnft $n $f]}" -v l="$lim" 'BEGIN { print (m / 1024 > l) }')" = 1 ]; then
				echo "FAIL: $n $f: peak RSS $(awk -v m="${peak[svcnft $n $f]}" 'BEGIN { printf "%.1f", m / 1024 }') MiB above the budget of $lim MiB"
				status=1
			else
				echo "ok: $n $f: peak RSS within $lim MiB"
			fi
		done
	done
done

# linearity: largest size against smallest
if [ "${#size_list[@]}" -ge 2 ]; then
	lo=${size_list[0]} hi=${size_list[0]}
	for n in "${size_list[@]}"; do
		[ "$n" -lt "$lo" ] && lo=$n
		[ "$n" -gt "$hi" ] && hi=$n
	done
	for f in "${format_list[@]}"; do
		r=$(awk -v a="${peak[svcnft $hi $f]}" -v b="${peak[svcnft $lo $f]}" 'BEGIN { printf "%.2f", a / b }')
		lim=$(awk -v h="$hi" -v l="$lo" -v s="$slack" 'BEGIN { printf "%.2f", h / l * s }')
		if [ "$(awk -v r="$r" -v l="$lim" 'BEGIN { print (r > l) }')" = 1 ]; then
			echo "FAIL: $f: RSS at $hi / RSS at $lo = $r, above $lim ($hi/$lo x $slack): memory grows faster than the cluster"
			status=1
		else
			echo "ok: $f: RSS at $hi / RSS at $lo = $r (linear up to $lim)"
		fi
	done
fi
exit $status
