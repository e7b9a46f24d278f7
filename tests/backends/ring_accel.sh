#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# ring_accel.sh - zenedge-bridged --backend BACKEND (opencl, level_zero)
# serving zenedge-sim through the ring: every shipped model (checked by
# the sim against plain C) and the digits held-out set, whose accuracy must
# equal the CPU backend's through the same ring; 77 when the daemon lists
# no device of BACKEND (Level Zero: the tests give it the stand-in driver
# through ZE_ENABLE_ALT_DRIVERS, or the machine has an Intel GPU or NPU).
# Usage: ring_accel.sh BACKEND ZENEDGE_BRIDGED ZENEDGE_SIM MODELS_DIR
# Every process is killed by PID; the shm object, socket and logs are
# removed on any exit.
set -u
BE=$1 BRIDGED=$2 SIM=$3 MODELS=$4
TMP=${TMPDIR:-/tmp}
TAG=zenedge-bk-$BE-$$
BPID=
SPID=
LOGS=

cleanup() {
    [ -n "$SPID" ] && kill -9 "$SPID" 2>/dev/null
    [ -n "$BPID" ] && kill -9 "$BPID" 2>/dev/null
    [ -n "$SPID" ] && wait "$SPID" 2>/dev/null
    [ -n "$BPID" ] && wait "$BPID" 2>/dev/null
    for b in cpu "$BE"; do
        rm -f "/dev/shm/$TAG-$b" "$TMP/$TAG-$b.sock" "$TMP/$TAG-$b.bridge.log" "$TMP/$TAG-$b.sim.log"
    done
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

fail() {
    echo "FAIL: $*"
    for f in $LOGS; do echo "--- $f (tail) ---"; tail -n 30 "$f" 2>/dev/null; done
    exit 1
}

LIST=$("$BRIDGED" --list-devices 2>&1)
echo "$LIST"
if ! echo "$LIST" | grep -q "^$BE *device"; then
    echo "skipped: zenedge-bridged lists no $BE device"
    exit 77
fi

# run BACKEND: one daemon + one sim; the sim's summary line into SUM.
run() {
    b=$1
    SHM=/$TAG-$b SOCK=$TMP/$TAG-$b.sock BLOG=$TMP/$TAG-$b.bridge.log SLOG=$TMP/$TAG-$b.sim.log
    LOGS="$LOGS $BLOG $SLOG"
    # A heartbeat of 500 ms: on a loaded machine (sanitizer builds, shared
    # CPUs) a stall of the daemon is not taken for a lost bridge.
    "$BRIDGED" --shm "$SHM" --models "$MODELS" --backend "$b" --queue-depth 16 --doorbell adaptive --hb-period-us 500000 \
        --socket "$SOCK" --log-level info 2>"$BLOG" &
    BPID=$!
    timeout 240 "$SIM" --shm "$SHM" --doorbell adaptive --socket "$SOCK" --models "$MODELS" \
        --timeout-s 60 --max-jobs 64 --sq-slots 64 \
        --task name=rt,qos=rt,model=vector_add,count=100,inflight=2 \
        --task name=high,qos=high,model=saxpy,count=100,inflight=4 \
        --task name=normal,qos=normal,model=gemm,count=50,inflight=4 \
        --task name=digits,qos=background,model=digits_mlp,inflight=8 >"$SLOG" 2>&1 &
    SPID=$!
    wait "$SPID"
    SRC=$?
    SPID=
    [ "$SRC" -eq 0 ] || fail "zenedge-sim exited $SRC (backend $b)"
    kill -TERM "$BPID"
    wait "$BPID"
    BRC=$?
    BPID=
    [ "$BRC" -eq 0 ] || fail "zenedge-bridged --backend $b exit status $BRC after SIGTERM"
    SUM=$(grep '^sim: ' "$SLOG" | tail -n 1)
}

field() { echo "$2" | sed -n "s/.* $1=\([0-9.]*\).*/\1/p"; }

run cpu
CPU=$SUM
run "$BE"
ACC=$SUM
if [ "$BE" = level_zero ]; then
    grep -q "Level Zero: '.*queue priorities RT high" "$TMP/$TAG-level_zero.bridge.log" ||
        fail "the daemon did not say which Level Zero device and queues it uses"
fi
echo "cpu:    $CPU"
echo "$BE: $ACC"
for line in "$CPU" "$ACC"; do
    [ -n "$line" ] || fail "no summary line"
    [ "$(field failed "$line")" = 0 ] || fail "failed jobs: $line"
    [ "$(field ok "$line")" = "$(field jobs "$line")" ] || fail "not every job ok: $line"
done
A_CPU=$(field accuracy "$CPU")
A_ACC=$(field accuracy "$ACC")
[ -n "$A_ACC" ] || fail "no accuracy in the $BE run"
[ "$A_CPU" = "$A_ACC" ] || fail "digits accuracy through the ring: $BE $A_ACC, cpu $A_CPU"
awk "BEGIN { exit !($A_ACC >= 0.95) }" || fail "digits accuracy $A_ACC < 0.95"
echo "digits_mlp accuracy through the ring: $BE $A_ACC = cpu $A_CPU"
echo "PASS"
exit 0
