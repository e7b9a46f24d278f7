#!/bin/bash
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
# per-stage latency table, writes results/demo-<time>/ (logs, trace CSV,
# fixed-bucket per-stage histograms, latency plot when gnuplot exists), the
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
    sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
fi

echo "demo: building ($BUILD)"
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$BUILD.demo-configure.log" 2>&1 \
    || { cat "$BUILD.demo-configure.log"; exit 1; }
cmake --build "$BUILD" -j"${JOBS:-2}" --target zenedge-bridged zenedge-sim zenedge-ipc >"$BUILD.demo-build.log" 2>&1 \
    || { grep -E 'error' "$BUILD.demo-build.log" | head -20; exit 1; }
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

cleanup() {
    for p in $WPID $SPID $BPID; do kill "$p" 2>/dev/null; done
    for p in $WPID $SPID $BPID; do wait "$p" 2>/dev/null; done
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
    --hist "$OUT/histograms.csv" \
    --task "name=rt,qos=rt,model=digits_mlp,inflight=1,deadline_ms=250,zero_copy=1,rate_hz=$RT_HZ" \
    --task "name=normal,qos=normal,model=gemm+saxpy,count=$N,inflight=4" \
    --task "name=flood,qos=background,model=gemm,count=$((N * 1000)),inflight=8,phase_ms=$PHASE_MS,stop_ms=$STOP_MS" \
    --task "name=forbidden,qos=normal,model=gemm+vector_add,allow=gemm,count=40,inflight=2" \
    --task "name=quota,qos=high,model=gemm,count=$N,inflight=2,budget_us=2000,period_ms=1000" \
    >"$SLOG" 2>&1 &
SPID=$!

# Progress while it runs: jobs the bridge has taken, from the live region.
(
    sleep 0.2
    while kill -0 "$SPID" 2>/dev/null; do
        line=$("$IPC" stat --shm "$SHM" 2>/dev/null |
               awk '$1 ~ /^sq[0-9]/ {s += $5} $1 == "cq" {c = $5}
                    END {if (c != "") printf "%d packets submitted, %d answered", s, c}')
        [ -n "$line" ] && echo "demo: running: $line"
        # The descriptors in the region now (slots are reused): every
        # snapshot is kept and merged below, one row per job, for the plot.
        "$IPC" trace --shm "$SHM" >>"$OUT/trace.all" 2>/dev/null
        sleep 0.3
    done
) &
WPID=$!

wait "$SPID"
SRC=$?
SPID=
kill "$WPID" 2>/dev/null; wait "$WPID" 2>/dev/null; WPID=
# One row per job handle (its last snapshot), only jobs that completed
# (their round trip, the last column, is known): trace.csv.
if [ -s "$OUT/trace.all" ]; then
    awk -F, 'NR == 1 {hdr = $0; next} $1 == "slot" {next}
             {row[$2] = $0; done[$2] = ($NF != "" && $NF + 0 > 0)}
             END {print hdr; for (h in row) if (done[h]) print row[h]}' "$OUT/trace.all" >"$OUT/trace.csv"
    rm -f "$OUT/trace.all"
fi
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
if [ -s "$OUT/trace.csv" ] && command -v gnuplot >/dev/null 2>&1 && [ -f scripts/demo-plot.gp ]; then
    gnuplot -c scripts/demo-plot.gp "$OUT/trace.csv" "$OUT/latency.png" >/dev/null 2>&1 \
        && echo "demo: latency plot: $OUT/latency.png"
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
[ "$SRC" -eq 0 ] && [ "$BRC" -eq 0 ]
