#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# demo_plot.sh - a short run of scripts/demo.sh (CPU backend, few jobs):
# its two job traces (the sim's --trace and zenedge-ipc trace --follow)
# hold one row per completed job (ok + failed of the summary line) and lose
# none, and latency.png is a non-empty PNG drawn by gnuplot (skipped
# without gnuplot). The demo's own exit status is not the point here: on a
# loaded machine a job may end bridge-lost, which is still one row.
# Usage: demo_plot.sh SOURCE_DIR BUILD_DIR
set -u
SRC=$1
BUILD=$2
command -v gnuplot >/dev/null 2>&1 || { echo "SKIP: no gnuplot"; exit 77; }
RES=$(mktemp -d "${TMPDIR:-/tmp}/zenedge-test-demo-XXXXXX")
trap 'rm -rf "$RES"' EXIT
fail() { echo "FAIL: $*"; tail -n 40 "$RES/demo.log"; exit 1; }
cd "$SRC" || exit 1
SKIP_BUILD=1 BUILD="$BUILD" BACKEND=cpu RESULTS="$RES" DEMO_JOBS=10 RT_HZ=500 PHASE_MS=100 \
    timeout 200 bash scripts/demo.sh >"$RES/demo.log" 2>&1
echo "demo exit status $?"
grep '^demo:' "$RES/demo.log"
OUT=$(ls -d "$RES"/demo-* 2>/dev/null | head -n 1)
[ -n "$OUT" ] || fail "no results folder"
SUM=$(grep '^sim: ' "$OUT/sim.log" | tail -n 1)
ok=$(echo "$SUM" | sed -n 's/.* ok=\([0-9]*\).*/\1/p')
failed=$(echo "$SUM" | sed -n 's/.* failed=\([0-9]*\).*/\1/p')
[ -n "$ok" ] && [ -n "$failed" ] || fail "no summary line"
for t in trace.csv trace-ipc.csv; do
    rows=$(grep -vc -e '^seq,' -e '^#' "$OUT/$t")
    [ "$rows" -eq $((ok + failed)) ] || fail "$t: $rows rows, $((ok + failed)) jobs completed ($SUM)"
    grep -q '^# records=[0-9]* lost=0$' "$OUT/$t" || fail "$t: records lost: $(tail -n 1 "$OUT/$t")"
done
[ "$(grep -c '^seq,task,handle,' "$OUT/trace.csv")" -eq 1 ] || fail "trace.csv header"
[ -s "$OUT/latency.png" ] || fail "latency.png empty or missing"
[ "$(head -c 4 "$OUT/latency.png" | od -An -c | tr -d ' ')" = "211PNG" ] || fail "latency.png is not a PNG"
[ "$(stat -c %s "$OUT/latency.png")" -gt 20000 ] || fail "latency.png too small to hold the panels"
echo "demo: traces hold every completed job ($((ok + failed))), plot drawn"
exit 0
