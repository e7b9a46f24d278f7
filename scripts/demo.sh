#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# demo.sh - the end-to-end demo (make demo): zenedge-bridged pinned to CPU 0
# and zenedge-sim (the ZENEDGE partition on the POSIX port) pinned to CPU 1,
# over POSIX shared memory, with tasks under different contracts:
#   rt         RT, digits MLP over the whole held-out set at RT_HZ, tight deadline
#   normal     NORMAL, gemm and saxpy
#   flood      BACKGROUND, gemm, 8 jobs in flight, on in alternate windows of
#              PHASE_MS (off first), stopping when the rt task ends
#   forbidden  its contract allows gemm only, it also asks for vector_add
#   quota      HIGH, gemm under a backend-time budget it exceeds
# It prints accuracy, per-contract results with rejections by reason, the
# per-stage latency table, writes results/demo-<time>/ (logs; trace.csv:
# every collected job, read back from the region's job trace by the sim;
# trace-ipc.csv: the same stream as zenedge-ipc trace --follow saw it from
# outside; fixed-bucket per-stage histograms; latency.png: per task the
# distribution of every stage, when gnuplot exists: a gnuplot error fails
# the demo with its message), checks that both traces hold one row per
# completed job (ok + failed), the
# rt task's round trips without and with the flood, side by side:
#   demo: rt round trip without the background flood: p50 X us p99 X us (N jobs) | with it: p50 X us p99 X us (N jobs)
# and ends with one summary line:
#   demo: mode=posix backend=B jobs=N ok=N failed=N rejected=N accuracy=X rtt_p50_us=X rtt_p99_us=X
#         rt_alone_p50_us=X rt_alone_p99_us=X rt_flood_p50_us=X rt_flood_p99_us=X
# Both processes are stopped by PID and the shm object and socket removed
# on any exit.
# Environment: BACKEND=auto|cpu|opencl|cuda (auto: OpenCL when a platform
# exists, else CPU), BUILD=build, DOORBELL=adaptive|poll|eventfd,
# RESULTS=results, DEMO_JOBS=N (jobs of the normal/quota tasks), RT_HZ=N
# (rt task's rate, default 100), PHASE_MS=N (flood window, default 250),
# PARTITIONS=N (2..4: N partitions on one daemon, scripts/demo-partitions.sh).
# SKIP_BUILD=1 (use the programs already built in BUILD).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
BACKEND=${BACKEND:-auto}
DOORBELL=${DOORBELL:-adaptive}
N=${DEMO_JOBS:-200}
RT_HZ=${RT_HZ:-100}
PHASE_MS=${PHASE_MS:-250}
# The rt task runs over the held-out set (one label byte per image) at
# RT_HZ; the flood stops when it is due to end.
NSET=$(stat -c %s models/digits_mlp/test_y.u8 2>/dev/null || echo 359)
STOP_MS=$((NSET * 1000 / RT_HZ))

if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then
    sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
fi

if [ "${SKIP_BUILD:-0}" != 1 ]; then
    echo "demo: building ($BUILD)"
    cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$BUILD.demo-configure.log" 2>&1 \
        || { cat "$BUILD.demo-configure.log"; exit 1; }
    cmake --build "$BUILD" -j"${JOBS:-2}" --target zenedge-bridged zenedge-sim zenedge-ipc >"$BUILD.demo-build.log" 2>&1 \
        || { grep -E 'error' "$BUILD.demo-build.log" | head -20; exit 1; }
fi
BRIDGED=$BUILD/bridge/zenedge-bridged
SIM=$BUILD/sim/zenedge-sim
IPC=$BUILD/tools/zenedge-ipc

if [ "$BACKEND" = auto ]; then
    if "$BRIDGED" --list-devices 2>/dev/null | grep -q '^opencl *device'; then
        BACKEND=opencl
    else
        BACKEND=cpu
    fi
fi
if [ "${PARTITIONS:-1}" -gt 1 ]; then
    BUILD=$BUILD BACKEND=$BACKEND DOORBELL=$DOORBELL RT_HZ=$RT_HZ exec scripts/demo-partitions.sh
fi
ncpu=$(nproc)
BCPU=0; SCPU=1
[ "$ncpu" -lt 2 ] && SCPU=0

TAG=zenedge-demo-$$
SHM=/$TAG
SOCK=/tmp/$TAG.sock
OUT=${RESULTS:-results}/demo-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
BLOG=$OUT/bridge.log
SLOG=$OUT/sim.log
BPID=
SPID=
WPID=
TPID=

cleanup() {
    for p in $WPID $TPID $SPID $BPID; do kill "$p" 2>/dev/null; done
    for p in $WPID $TPID $SPID $BPID; do wait "$p" 2>/dev/null; done
    rm -f "/dev/shm/$TAG" "$SOCK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

echo "demo: backend=$BACKEND doorbell=$DOORBELL bridge on CPU $BCPU, ZENEDGE side on CPU $SCPU, results in $OUT"
# Heartbeat every 50 ms (ZENEDGE side's window: 3 periods + 20 ms): the
# gemm flood keeps the dispatcher busy on its CPU, and on a small machine
# shared with other work the heartbeat thread beside it can wait longer
# than the 50 ms window of the default 10 ms period (the ZENEDGE side then
# rightly declares the bridge lost).
"$BRIDGED" --shm "$SHM" --models models --backend "$BACKEND" --doorbell "$DOORBELL" --socket "$SOCK" \
    --cpu "$BCPU" --hb-period-us 50000 --log-level info 2>"$BLOG" &
BPID=$!

"$SIM" --shm "$SHM" --models models --doorbell "$DOORBELL" --socket "$SOCK" --cpu "$SCPU" --timeout-s 30 \
    --hist "$OUT/histograms.csv" --trace "$OUT/trace.csv" \
    --task "name=rt,qos=rt,model=digits_mlp,inflight=1,deadline_ms=250,zero_copy=1,rate_hz=$RT_HZ" \
    --task "name=normal,qos=normal,model=gemm+saxpy,count=$N,inflight=4" \
    --task "name=flood,qos=background,model=gemm,count=$((N * 1000)),inflight=8,phase_ms=$PHASE_MS,stop_ms=$STOP_MS" \
    --task "name=forbidden,qos=normal,model=gemm+vector_add,allow=gemm,count=40,inflight=2" \
    --task "name=quota,qos=high,model=gemm,count=$N,inflight=2,budget_us=2000,period_ms=1000" \
    >"$SLOG" 2>&1 &
SPID=$!

# Every job as an outside reader sees it: the job trace, followed until
# the ZENEDGE side goes OFFLINE.
"$IPC" trace --follow --wait 30 --shm "$SHM" >"$OUT/trace-ipc.csv" 2>"$OUT/trace-ipc.log" &
TPID=$!

# Progress while it runs: jobs the bridge has taken, from the live region.
(
    sleep 0.2
    while kill -0 "$SPID" 2>/dev/null; do
        line=$("$IPC" stat --shm "$SHM" 2>/dev/null |
               awk '$1 ~ /^sq[0-9]/ {s += $5} $1 == "cq" {c = $5}
                    END {if (c != "") printf "%d packets submitted, %d answered", s, c}')
        [ -n "$line" ] && echo "demo: running: $line"
        sleep 0.5
    done
) &
WPID=$!

wait "$SPID"
SRC=$?
SPID=
kill "$WPID" 2>/dev/null; wait "$WPID" 2>/dev/null; WPID=
# The tracer ends by itself when the ZENEDGE side goes OFFLINE; if the sim
# never laid the region out, it would wait out its --wait: stop it.
for _ in $(seq 1 40); do kill -0 "$TPID" 2>/dev/null || break; sleep 0.05; done
kill -INT "$TPID" 2>/dev/null
wait "$TPID"; TRC=$?; TPID=
kill -TERM "$BPID" 2>/dev/null
wait "$BPID"
BRC=$?
BPID=

cat "$SLOG"
SUM=$(grep '^sim: ' "$SLOG" | tail -n 1)
if [ -z "$SUM" ]; then
    echo "demo: FAIL: the ZENEDGE side printed no summary (exit $SRC); bridge log:"
    tail -n 20 "$BLOG"
    exit 1
fi
# The traces: one row per completed job (ok + failed of the summary line),
# none lost.
jobs_ok=$(echo "$SUM" | sed -n 's/.* ok=\([0-9]*\).*/\1/p')
jobs_failed=$(echo "$SUM" | sed -n 's/.* failed=\([0-9]*\).*/\1/p')
completed=$((jobs_ok + jobs_failed))
TRACE_OK=1
for t in trace.csv trace-ipc.csv; do
    rows=$(grep -vc -e '^seq,' -e '^#' "$OUT/$t")
    lost=$(sed -n 's/^# records=[0-9]* lost=\([0-9]*\)$/\1/p' "$OUT/$t")
    echo "demo: $t: $rows jobs (lost ${lost:-?}), completed $completed"
    [ "$rows" -eq "$completed" ] && [ "${lost:-1}" -eq 0 ] || TRACE_OK=0
done
[ "$TRC" -eq 0 ] || { echo "demo: zenedge-ipc trace --follow exit $TRC: $(cat "$OUT/trace-ipc.log")"; TRACE_OK=0; }
[ "$TRACE_OK" -eq 1 ] || echo "demo: FAIL: a trace does not hold one row per completed job"

# Per task and stage, the cumulative distribution of the durations (us),
# for scripts/demo-plot.gp: task-major blocks "# TASK STAGE N".
trace_cdf() {
    awk -F, 'NR == 1 {for (c = 1; c <= NF; c++) if ($c == "round trip") last = c; first = last - 6; next}
             /^#/ {next}
             !($2 in seen) {seen[$2] = 1; order[++nt] = $2}
             {for (s = 0; s < 7; s++) if ($(first + s) != "") {k = $2 SUBSEP s; n[k]++; v[k, n[k]] = $(first + s) / 1000.0}}
             END {
                 for (t = 1; t <= nt; t++) for (s = 0; s < 7; s++) {
                     k = order[t] SUBSEP s; m = n[k] + 0
                     printf "# %s %d %d\n", order[t], s, m
                     # insertion sort is too slow for thousands: sort by the shell below
                     for (i = 1; i <= m; i++) printf "%.3f %d\n", (v[k, i] > 0.01 ? v[k, i] : 0.01), m
                     if (m == 0) printf "NaN 1\n"
                     printf "\n\n"
                 }
                 print nt > "/dev/stderr"
             }' "$1"
}
# The blocks with their lines sorted and the fraction i/n in column 2.
cdf_blocks() {
    awk 'function flush() { if (nl) { cmd = "sort -g"; for (i = 1; i <= nl; i++) print l[i] | cmd; close(cmd) } nl = 0 }
         /^# / {flush(); print; fflush(); next}
         /^$/ {flush(); print; fflush(); next}
         {l[++nl] = $0}
         END {flush()}' | awk '/^# / {print; i = 0; next} /^$/ {print; next}
                             $1 == "NaN" {print; next} {i++; print $1, i / $2}'
}
if [ "$TRACE_OK" -eq 1 ] && command -v gnuplot >/dev/null 2>&1; then
    ntasks=$(trace_cdf "$OUT/trace.csv" 2>&1 >/dev/null)
    trace_cdf "$OUT/trace.csv" 2>/dev/null | cdf_blocks >"$OUT/latency-cdf.dat"
    title="zenedge demo: backend $BACKEND, doorbell $DOORBELL, $completed jobs ($jobs_ok ok, $jobs_failed failed) of $ntasks tasks; per-stage latency, $(date -u +%Y-%m-%d), $(nproc) CPUs"
    # the stage names as the programs print them (the trace's last 7 columns)
    stages=$(head -n 1 "$OUT/trace.csv" | awk -F, '{for (c = NF - 6; c <= NF; c++) printf "%s%s", $c, (c < NF ? "|" : "")}')
    if ! gnuplot -c scripts/demo-plot.gp "$OUT/latency-cdf.dat" "$OUT/latency.png" "$title" "$ntasks" "$stages" \
        >"$OUT/gnuplot.log" 2>&1 || [ ! -s "$OUT/latency.png" ]; then
        echo "demo: FAIL: gnuplot could not draw $OUT/latency.png:"
        cat "$OUT/gnuplot.log"
        exit 1
    fi
    echo "demo: latency plot: $OUT/latency.png"
elif [ "$TRACE_OK" -eq 1 ]; then
    echo "demo: no gnuplot: no latency plot (the data is in $OUT/trace.csv)"
fi
echo "demo: bridge exit status $BRC; logs in $OUT"
# The rt task's round trips in the flood's off windows (no flood job in
# flight) and in its on windows, from the sim's split line.
SPLIT=$(grep '^split: task=rt ' "$SLOG" | tail -n 1)
RT_EXTRA=
if [ -n "$SPLIT" ]; then
    W=${SPLIT%%|*}; F=${SPLIT#*|}
    w50=$(echo "$W" | sed -n 's/.*p50_us=\([^ ]*\).*/\1/p'); w99=$(echo "$W" | sed -n 's/.*p99_us=\([^ ]*\).*/\1/p')
    wn=$(echo "$W" | sed -n 's/.*jobs=\([0-9]*\).*/\1/p')
    f50=$(echo "$F" | sed -n 's/.*p50_us=\([^ ]*\).*/\1/p'); f99=$(echo "$F" | sed -n 's/.*p99_us=\([^ ]*\).*/\1/p')
    fn=$(echo "$F" | sed -n 's/.*jobs=\([0-9]*\).*/\1/p')
    echo "demo: rt round trip without the background flood: p50 $w50 us p99 $w99 us ($wn jobs) | with it: p50 $f50 us p99 $f99 us ($fn jobs)"
    RT_EXTRA=" rt_alone_p50_us=$w50 rt_alone_p99_us=$w99 rt_flood_p50_us=$f50 rt_flood_p99_us=$f99"
fi
line="demo: mode=posix backend=$BACKEND ${SUM#sim: }$RT_EXTRA"
echo "$line" >"$OUT/summary.txt"
echo "$line"
[ "$SRC" -eq 0 ] && [ "$BRC" -eq 0 ] && [ "$TRACE_OK" -eq 1 ]
