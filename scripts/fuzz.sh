#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# fuzz.sh - build the libFuzzer targets of fuzz/ with clang and run each,
# growing fuzz/corpus/<name>/, then minimise the corpus with -merge=1.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]   (make fuzz SECONDS=N)
# SECONDS per target (default 60). Environment: RUNS (stop after this many
# executions instead; 0: no limit, the default), BUILD_FUZZ (default
# build-fuzz), JOBS (default 2). Per target one line goes to
# $BUILD_FUZZ/fuzz-report.txt: date, executions, exec/s, cov/ft of
# libFuzzer's final line of the run (the merge logs apart, in .merge),
# corpus files and bytes before and after the merge, crashes (their inputs
# in $BUILD_FUZZ/artifacts/). Exit 1 when any target crashed or failed.
set -u
cd "$(dirname "$0")/.." || exit 2
SECS=${1:-60}
[ $# -gt 0 ] && shift
TARGETS=${*:-"region_attach bridge_job proxy_completion config_file manifest db_hello ivshmem"}
RUNS=${RUNS:-0}
B=${BUILD_FUZZ:-build-fuzz}
JOBS=${JOBS:-2}
case "$SECS$RUNS" in *[!0-9]*) echo "fuzz.sh: SECONDS and RUNS are numbers" >&2; exit 2 ;; esac
command -v clang >/dev/null || { echo "fuzz.sh: clang not found (scripts/install-deps.sh fuzz)" >&2; exit 2; }
cmake -S . -B "$B" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZENEDGE_FUZZ=ON \
    -DBUILD_TESTING=ON >/dev/null || exit 1
# shellcheck disable=SC2086
cmake --build "$B" -j"$JOBS" --target $TARGETS >/dev/null || { echo "fuzz.sh: build failed" >&2; exit 1; }
mkdir -p "$B/artifacts" "$B/grown"
bad=0
for t in $TARGETS; do
    bin=$B/fuzz/$t
    corpus=fuzz/corpus/$t
    grown=$B/grown/$t
    log=$B/fuzz-$t.log
    mkdir -p "$corpus" "$grown"
    dict=
    [ -f "fuzz/dict/$t.dict" ] && dict=-dict=fuzz/dict/$t.dict
    n0=$(find "$corpus" -type f | wc -l) b0=$(find "$corpus" -type f -exec cat {} + | wc -c)
    limit=-max_total_time=$SECS
    [ "$RUNS" -gt 0 ] && limit=-runs=$RUNS
    # shellcheck disable=SC2086
    "$bin" $limit $dict -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$B/artifacts/$t-" "$grown" "$corpus" >"$log" 2>&1
    rc=$?
    # Minimise: the committed corpus plus what was found, into a new folder.
    rm -rf "$corpus.merged"
    mkdir -p "$corpus.merged"
    "$bin" -merge=1 "$corpus.merged" "$corpus" "$grown" >"$log.merge" 2>&1 && [ -n "$(ls "$corpus.merged")" ] &&
        rm -rf "$corpus" && mv "$corpus.merged" "$corpus"
    rm -rf "$corpus.merged" "$grown"
    n1=$(find "$corpus" -type f | wc -l) b1=$(find "$corpus" -type f -exec cat {} + | wc -c)
    last=$(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$log" | tail -n 1)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | head -n 1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | head -n 1)
    cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
    crashes=$(find "$B/artifacts" -name "$t-*" -type f | wc -l)
    line="$(date -u +%Y-%m-%dT%H:%MZ) $t execs=${execs:-?} exec_s=${speed:-?} cov=${cov:-?} ft=${ft:-?} corpus_files=$n0->$n1 corpus_bytes=$b0->$b1 crashes=$crashes exit=$rc"
    echo "$line" | tee -a "$B/fuzz-report.txt"
    [ "$rc" -eq 0 ] && [ "$crashes" -eq 0 ] || bad=1
done
exit $bad
