#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# demo-partitions.sh - make demo PARTITIONS=N (2..4): N ZENEDGE partitions
# (one zenedge-sim each, on CPU 1) on one zenedge-bridged (CPU 0), one
# region each, with different contracts:
#   p1 control   share 4, any class: RT digits MLP at RT_HZ, NORMAL gemm
#   p2 vision    share 1, classes up to NORMAL, at most 30 ms of device time
#                per 100 ms: a gemm flood it asks to run RT (clamped to NORMAL)
#   p3, p4 guest share 1, BACKGROUND only: a gemm flood
# Prints each partition's results (jobs, round trips, rejections), then the
# arbiter's view (device time per region against its share, budget waits,
# clamped jobs) and one summary line per partition:
#   demo: partition=NAME jobs=N ok=N failed=N rejected=N rtt_p50_us=X rtt_p99_us=X
# Called by scripts/demo.sh after the build; BUILD, BACKEND, DOORBELL,
# RESULTS, RT_HZ as there. Every process is stopped by PID and every shm
# object and socket removed on any exit.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
BACKEND=${BACKEND:-cpu}
DOORBELL=${DOORBELL:-adaptive}
RT_HZ=${RT_HZ:-100}
P=${PARTITIONS:-2}
[ "$P" -ge 2 ] && [ "$P" -le 4 ] || { echo "demo: PARTITIONS=$P: give 2, 3 or 4"; exit 2; }
BRIDGED=$BUILD/bridge/zenedge-bridged
SIM=$BUILD/sim/zenedge-sim
NSET=$(stat -c %s models/digits_mlp/test_y.u8 2>/dev/null || echo 359)
RUN_MS=$((NSET * 1000 / RT_HZ))
BCPU=0; SCPU=1
[ "$(nproc)" -lt 2 ] && SCPU=0

TAG=zenedge-demo-$$
OUT=${RESULTS:-results}/demo-partitions-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
BLOG=$OUT/bridge.log
STATS=$OUT/bridge.stats
NAMES=(control vision guest guest2)
PIDS=()
BPID=

cleanup() {
    for p in "${PIDS[@]}" $BPID; do kill "$p" 2>/dev/null; done
    for p in "${PIDS[@]}" $BPID; do wait "$p" 2>/dev/null; done
    for n in "${NAMES[@]}"; do rm -f "/dev/shm/$TAG-$n" "/tmp/$TAG-$n.sock"; done
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

REG=(--region "control=/$TAG-control,socket=/tmp/$TAG-control.sock,share=4"
     --region "vision=/$TAG-vision,socket=/tmp/$TAG-vision.sock,share=1,max-class=normal,budget-us=30000,period-ms=100")
[ "$P" -ge 3 ] && REG+=(--region "guest=/$TAG-guest,socket=/tmp/$TAG-guest.sock,share=1,max-class=background")
[ "$P" -ge 4 ] && REG+=(--region "guest2=/$TAG-guest2,socket=/tmp/$TAG-guest2.sock,share=1,max-class=background")

echo "demo: $P partitions on one zenedge-bridged: backend=$BACKEND doorbell=$DOORBELL, bridge on CPU $BCPU," \
     "partitions on CPU $SCPU, results in $OUT"
"$BRIDGED" "${REG[@]}" --models models --backend "$BACKEND" --doorbell "$DOORBELL" --cpu "$BCPU" \
    --hb-period-us 50000 --stats-file "$STATS" --log-level info 2>"$BLOG" &
BPID=$!

partition() { # NAME TASK...
    local n=$1
    shift
    "$SIM" --shm "/$TAG-$n" --socket "/tmp/$TAG-$n.sock" --models models --doorbell "$DOORBELL" --cpu "$SCPU" \
        --timeout-s 30 "$@" >"$OUT/$n.log" 2>&1 &
    PIDS+=($!)
}
FLOOD="model=gemm,count=100000000,inflight=8,stop_ms=$RUN_MS"
partition control --task "name=rt,qos=rt,model=digits_mlp,inflight=1,deadline_ms=250,zero_copy=1,rate_hz=$RT_HZ" \
    --task "name=normal,qos=normal,model=gemm,count=200,inflight=4"
partition vision --task "name=flood,qos=rt,$FLOOD"
[ "$P" -ge 3 ] && partition guest --task "name=flood,qos=background,$FLOOD"
[ "$P" -ge 4 ] && partition guest2 --task "name=flood,qos=background,$FLOOD"

RC=0
for i in "${!PIDS[@]}"; do
    wait "${PIDS[$i]}" || RC=1
done
PIDS=()
kill -USR1 "$BPID"
sleep 0.5
kill -TERM "$BPID" 2>/dev/null
wait "$BPID" || RC=1
BPID=

stat_of() { sed -n "s/^$1 //p" "$STATS"; }
for ((i = 0; i < P; i++)); do
    n=${NAMES[$i]}
    echo "=== partition $n ==="
    grep -E '^task |round trip|rejected by reason|^sim: ' "$OUT/$n.log"
done
echo "=== the arbiter across regions ==="
for ((i = 0; i < P; i++)); do
    n=${NAMES[$i]}
    echo "region $n: share $(stat_of arbiter.$n.share) ($(stat_of arbiter.$n.share_configured_permille) permille)," \
         "device time used $(stat_of arbiter.$n.share_used_permille) permille," \
         "budget waits $(stat_of arbiter.$n.wait_budget), clamped jobs $(stat_of arbiter.$n.clamped)"
done
for ((i = 0; i < P; i++)); do
    n=${NAMES[$i]}
    s=$(grep '^sim: ' "$OUT/$n.log" | tail -n 1)
    s=${s#sim: }
    echo "demo: partition=$n ${s/ accuracy=*rtt_p50/ rtt_p50}" | tee -a "$OUT/summary.txt"
done
exit $RC
