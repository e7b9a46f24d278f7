#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# soak.sh - a fixed-duration soak of zenedge-sim --soak against
# zenedge-bridged: every shipped model (copying and zero-copy tasks, every
# QoS class, paced so the run does not hog the machine), the ZENEDGE side
# re-initialising its proxy every ROUND_S seconds (new epoch), and
# zenedge-bridged restarted every RESTART_S seconds, alternately by SIGTERM
# and by SIGKILL. Passes when zenedge-sim's soak line says lost=0
# duplicated=0 wrong=0 and jobs succeeded after every restart.
#
# Usage: scripts/soak.sh SECONDS [BUILD_DIR [MODELS_DIR]]
# Environment: DOORBELL (adaptive | eventfd | poll; default adaptive),
#   ROUND_S (default 10), RESTART_S (default 17; 0: no restarts),
#   SOAK_LOG (the sim's output is appended there too; default none).
# Every process it starts is ended by PID; the shm object and the socket
# are removed on any exit. Exit status 0 pass, 1 fail, 2 usage.
set -u
SECONDS_TOTAL=${1:-}
BUILD=${2:-build}
MODELS=${3:-$(dirname "$0")/../models}
DOORBELL=${DOORBELL:-adaptive}
ROUND_S=${ROUND_S:-10}
RESTART_S=${RESTART_S:-17}
case "$SECONDS_TOTAL" in '' | *[!0-9]*)
    echo "usage: soak.sh SECONDS [BUILD_DIR [MODELS_DIR]]" >&2
    exit 2
    ;;
esac
BRIDGED=$BUILD/bridge/zenedge-bridged
SIM=$BUILD/sim/zenedge-sim
for b in "$BRIDGED" "$SIM"; do
    [ -x "$b" ] || { echo "soak.sh: $b not built" >&2; exit 2; }
done
TMP=${TMPDIR:-/tmp}
TAG=zenedge-soak-$$
SHM=/$TAG
SOCK=$TMP/$TAG.sock
BLOG=$TMP/$TAG.bridge.log
SLOG=$TMP/$TAG.sim.log
BPID=
SPID=
cleanup() {
    [ -n "$SPID" ] && kill -9 "$SPID" 2>/dev/null
    [ -n "$BPID" ] && kill -9 "$BPID" 2>/dev/null
    rm -f "/dev/shm/$TAG" "$SOCK" "$BLOG" "$SLOG"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

start_bridge() {
    "$BRIDGED" --shm "$SHM" --models "$MODELS" --backend cpu --doorbell "$DOORBELL" --socket "$SOCK" \
        --log-level warn 2>>"$BLOG" &
    BPID=$!
}

TASKS="--task name=rt,qos=rt,model=vector_add,inflight=2,rate_hz=400
       --task name=high,qos=high,model=saxpy,inflight=4,rate_hz=400
       --task name=normal,qos=normal,model=gemm,inflight=4,rate_hz=100
       --task name=digits,qos=background,model=digits_mlp,inflight=8,rate_hz=300
       --task name=zc,qos=normal,model=vector_add,inflight=2,zero_copy=1,rate_hz=200
       --task name=zcd,qos=rt,model=digits_mlp,inflight=1,zero_copy=1,rate_hz=100"
start_bridge
# shellcheck disable=SC2086
"$SIM" --shm "$SHM" --doorbell "$DOORBELL" --socket "$SOCK" --models "$MODELS" --timeout-s 30 \
    --max-jobs 64 --sq-slots 64 --soak "$SECONDS_TOTAL" --soak-round-s "$ROUND_S" $TASKS >"$SLOG" 2>&1 &
SPID=$!

T0=$(date +%s)
restarts_term=0 restarts_kill=0 deaths=0
next=$((T0 + RESTART_S))
while kill -0 "$SPID" 2>/dev/null; do
    sleep 1
    now=$(date +%s)
    if ! kill -0 "$BPID" 2>/dev/null; then
        deaths=$((deaths + 1)) # not ours: the bridge ended by itself
        wait "$BPID" 2>/dev/null
        echo "soak.sh: zenedge-bridged ended by itself at $((now - T0)) s" >&2
        start_bridge
    fi
    if [ "$RESTART_S" -gt 0 ] && [ "$now" -ge "$next" ] && [ $((now - T0)) -lt $((SECONDS_TOTAL - 5)) ]; then
        if [ $(((restarts_term + restarts_kill) % 2)) -eq 0 ]; then
            kill -TERM "$BPID"
            restarts_term=$((restarts_term + 1))
        else
            kill -KILL "$BPID"
            restarts_kill=$((restarts_kill + 1))
        fi
        wait "$BPID" 2>/dev/null
        start_bridge
        next=$((now + RESTART_S))
    fi
done
wait "$SPID"
SRC=$?
SPID=
[ -n "${SOAK_LOG:-}" ] && cat "$SLOG" >>"$SOAK_LOG"
grep -E '^(task |  final status|proxy: |sim: |soak: )' "$SLOG"
grep -E 'zenedge-sim: .*(FAILED|differs|cannot|refused)' "$SLOG" | head -n 5
SOAK=$(grep '^soak: ' "$SLOG" | tail -n 1)
kill -TERM "$BPID" 2>/dev/null
wait "$BPID"
BRC=$?
BPID=
END=$(date -u +%Y-%m-%dT%H:%M:%SZ)
RES="soak.sh: end=$END seconds=$SECONDS_TOTAL doorbell=$DOORBELL round_s=$ROUND_S bridge_restarts_term=$restarts_term"
RES="$RES bridge_restarts_kill=$restarts_kill bridge_self_exits=$deaths sim_exit=$SRC bridge_exit=$BRC"
if [ "$SRC" -ne 0 ] || [ -z "$SOAK" ] || [ "$deaths" -ne 0 ] || [ "$BRC" -ne 0 ]; then
    echo "$RES FAIL"
    echo "--- bridge log (tail) ---"
    tail -n 20 "$BLOG"
    exit 1
fi
echo "$RES PASS"
exit 0
