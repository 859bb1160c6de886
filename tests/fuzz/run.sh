#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Run every libFuzzer target (built by `make fuzz` into build-fuzz/fuzz/)
# for a bounded time over its seed corpus:
#   input, compile, roundtrip  the manifests of tests/data and golden/*/in
#                              (for compile and roundtrip each golden case
#                              also as one multi-document file, the options
#                              byte in front)
#   kpconfig                   golden/*/kube-proxy-config.yaml
#   kubeconfig, split          their own seeds
# and tests/fuzz/seeds/TARGET/ for each: hand-written seeds, and every input
# that ever crashed or hung a target (kept as a regression case: libFuzzer
# runs every seed first). A crash, leak, sanitizer report or timeout fails
# the run; the input is left in build-fuzz/artifacts/ (copy it into
# tests/fuzz/seeds/TARGET/ with the fix).
#
#   tests/fuzz/run.sh [--seconds N] [TARGET...]   N per target (default 5)
# Prints one line per target, then "fuzz: N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
BIN=$top/build-fuzz/fuzz
ART=$top/build-fuzz/artifacts
SECONDS_EACH=5
if [ "${1:-}" = --seconds ]; then SECONDS_EACH=$2; shift 2; fi
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(input compile roundtrip kpconfig kubeconfig split)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
mkdir -p "$ART"
passed=0 failed=0

# The seed folders, made once: libFuzzer reads every folder given after the
# first (the first, empty, gets what it finds new).
python3 - "$TMP" <<'PY' || { echo "fuzz: cannot assemble the seeds"; exit 1; }
import glob, os, shutil, sys
tmp = sys.argv[1]
man, cases, kp = (os.path.join(tmp, d) for d in ("manifests", "cases", "kpconfig"))
for d in (man, cases, kp):
    os.makedirs(d)
files = sorted(glob.glob("golden/*/in/**", recursive=True) + glob.glob("tests/data/input/**", recursive=True))
for f in files:
    if os.path.isfile(f) and f.endswith((".yaml", ".yml", ".json")):
        shutil.copy(f, os.path.join(man, f.replace("/", "_")))
for c in sorted(glob.glob("golden/*/in")):
    docs = b""
    for f in sorted(glob.glob(c + "/*.yaml") + glob.glob(c + "/*.yml")):
        docs += open(f, "rb").read() + b"\n---\n"
    for sel in (0, 1, 32):
        open(os.path.join(cases, c.split("/")[1] + "-%d" % sel), "wb").write(bytes([sel]) + docs)
for f in glob.glob("golden/*/kube-proxy-config.yaml"):
    shutil.copy(f, os.path.join(kp, f.split("/")[1]))
PY

seeds() { # TARGET: its seed folders
	case $1 in
	input) echo "$TMP/manifests" ;;
	compile | roundtrip) echo "$TMP/manifests $TMP/cases" ;;
	kpconfig) echo "$TMP/kpconfig" ;;
	esac
	[ -d "tests/fuzz/seeds/$1" ] && echo "tests/fuzz/seeds/$1"
}

for t in "${TARGETS[@]}"; do
	bin=$BIN/fuzz_$t
	if [ ! -x "$bin" ]; then
		echo "FAIL $t: $bin is not built (make fuzz)"; failed=$((failed + 1)); continue
	fi
	mkdir -p "$TMP/$t"
	dirs=$(seeds "$t")
	nseeds=$(find $dirs -type f | wc -l)
	# -timeout: one input taking 10 s is a hang; -rss_limit_mb: bounded memory
	"$bin" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
		-print_final_stats=1 -artifact_prefix="$ART/$t-" "$TMP/$t" $dirs >"$TMP/$t.log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$TMP/$t.log")
	if [ $rc -eq 0 ]; then
		passed=$((passed + 1))
		echo "ok $t: $nseeds seeds, ${runs:-?} runs in ${SECONDS_EACH}s"
	else
		failed=$((failed + 1))
		echo "FAIL $t (exit $rc): $(grep -m1 -E 'ERROR|SUMMARY|deadly|Test unit written' "$TMP/$t.log")"
		grep -E 'Test unit written|SUMMARY' "$TMP/$t.log" | tail -n 3
	fi
done
echo "fuzz: $passed passed, $failed failed"
[ $failed -eq 0 ]
