#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# ring_opencl_digits.sh - zenedge-bridged --backend opencl serving zenedge-sim through the ring: every shipped model (checked by the sim against plain C) and the digits held-out set, whose accuracy must equal the CPU backend's through the same ring; 77 when the daemon has no usable OpenCL device.
# Usage: ring_opencl_digits.sh ZENEDGE_BRIDGED ZENEDGE_SIM MODELS_DIR
# Every process is killed by PID; the shm object, socket and logs are
# removed on any exit.
set -u
BRIDGED=$1 SIM=$2 MODELS=$3
TMP=${TMPDIR:-/tmp}
TAG=zenedge-bk-$$
BPID=
SPID=
LOGS=

cleanup() {
    [ -n "$SPID" ] && kill -9 "$SPID" 2>/dev/null
    [ -n "$BPID" ] && kill -9 "$BPID" 2>/dev/null
    [ -n "$SPID" ] && wait "$SPID" 2>/dev/null
    [ -n "$BPID" ] && wait "$BPID" 2>/dev/null
    for b in cpu opencl; do
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
if ! echo "$LIST" | grep -q '^opencl *device'; then
    echo "skipped: zenedge-bridged lists no OpenCL device"
    exit 77
fi

# run BACKEND: one daemon + one sim; the sim's summary line into SUM.
run() {
    b=$1
    SHM=/$TAG-$b SOCK=$TMP/$TAG-$b.sock BLOG=$TMP/$TAG-$b.bridge.log SLOG=$TMP/$TAG-$b.sim.log
    LOGS="$LOGS $BLOG $SLOG"
    "$BRIDGED" --shm "$SHM" --models "$MODELS" --backend "$b" --queue-depth 16 --doorbell adaptive \
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
run opencl
OCL=$SUM
echo "cpu:    $CPU"
echo "opencl: $OCL"
for line in "$CPU" "$OCL"; do
    [ -n "$line" ] || fail "no summary line"
    [ "$(field failed "$line")" = 0 ] || fail "failed jobs: $line"
    [ "$(field ok "$line")" = "$(field jobs "$line")" ] || fail "not every job ok: $line"
done
A_CPU=$(field accuracy "$CPU")
A_OCL=$(field accuracy "$OCL")
[ -n "$A_OCL" ] || fail "no accuracy in the OpenCL run"
[ "$A_CPU" = "$A_OCL" ] || fail "digits accuracy through the ring: opencl $A_OCL, cpu $A_CPU"
awk "BEGIN { exit !($A_OCL >= 0.95) }" || fail "digits accuracy $A_OCL < 0.95"
echo "digits_mlp accuracy through the ring: opencl $A_OCL = cpu $A_CPU"
echo "PASS"
exit 0
