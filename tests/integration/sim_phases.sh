#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# sim_phases.sh - zenedge-sim's phase_ms= and stop_ms= task keys against the
# real zenedge-bridged (CPU backend): a BACKGROUND gemm flood on in alternate
# windows and stopped after a time, an RT task paced across them; the RT
# task's round trips must be split into both kinds of window, the flood
# must have stopped before its count, and every job must be right.
# Usage: sim_phases.sh ZENEDGE_BRIDGED ZENEDGE_SIM MODELS_DIR
set -u
BRIDGED=$1 SIM=$2 MODELS=$3
TMP=${TMPDIR:-/tmp}
TAG=zenedge-it-phases-$$
SHM=/$TAG
SOCK=$TMP/$TAG.sock
BLOG=$TMP/$TAG.bridge.log
SLOG=$TMP/$TAG.sim.log
. "$(dirname "$0")/common.sh"

"$BRIDGED" --shm "$SHM" --models "$MODELS" --backend cpu --doorbell adaptive --socket "$SOCK" \
    --log-level info 2>"$BLOG" &
BPID=$!

# The RT task: 120 jobs at 200 Hz (0.6 s); the flood: windows of 100 ms
# (off first), stopped at 600 ms, far before its count.
timeout 120 "$SIM" --shm "$SHM" --doorbell adaptive --socket "$SOCK" --models "$MODELS" --timeout-s 30 \
    --task name=rt,qos=rt,model=vector_add,count=120,inflight=1,rate_hz=200 \
    --task name=flood,qos=background,model=gemm,count=1000000,inflight=4,phase_ms=100,stop_ms=600 \
    >"$SLOG" 2>&1 &
SPID=$!
wait "$SPID"
SRC=$?
SPID=
cat "$SLOG"
[ "$SRC" -eq 0 ] || fail "zenedge-sim exited $SRC"
grep -q "^task rt (qos=rt, models=vector_add): submitted=120 completed=120 ok=120 failed=0 rejected=0" "$SLOG" ||
    fail "the RT task did not get its 120 jobs right"
FL=$(sed -n 's/^task flood (qos=background, models=gemm): submitted=\([0-9]*\) completed=\([0-9]*\) ok=\([0-9]*\) failed=0 .*/\1 \2 \3/p' "$SLOG")
set -- $FL
[ $# -eq 3 ] || fail "no flood line with failed=0"
[ "$1" -ge 1 ] && [ "$1" -lt 1000000 ] && [ "$1" = "$3" ] ||
    fail "flood: submitted=$1 ok=$3 (want some, all ok, stopped before its count)"
SPLIT=$(grep '^split: task=rt phased=flood ' "$SLOG")
[ -n "$SPLIT" ] || fail "no split line for the RT task"
grep -q '^split: task=flood' "$SLOG" && fail "a phased task got a split line"
WO=$(echo "${SPLIT%%|*}" | sed -n 's/.*jobs=\([0-9]*\).*/\1/p')
WI=$(echo "${SPLIT#*|}" | sed -n 's/.*jobs=\([0-9]*\).*/\1/p')
# 600 ms in 100 ms windows: three off and three on, about 30 RT jobs each
# minus those submitted while the flood drained (and every RT job after
# 600 ms is "without"). A loaded machine (sanitizers, other work) slows the
# RT task down, so the floor is low: what matters is that both get jobs.
[ "$WO" -ge 5 ] && [ "$WI" -ge 5 ] && [ $((WO + WI)) -le 120 ] ||
    fail "RT jobs without the flood $WO, with it $WI (want >= 5 each, <= 120 together)"
echo "PASS: phases: RT jobs without the flood $WO, with it $WI; flood jobs $1"
kill -TERM "$BPID"
wait "$BPID"
BPID=
exit 0
