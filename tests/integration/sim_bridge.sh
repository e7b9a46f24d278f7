#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# sim_bridge.sh - zenedge-sim and zenedge-bridged as two processes over POSIX shm, one doorbell mode, every shipped model checked against the CPU reference.
# Usage: sim_bridge.sh ZENEDGE_BRIDGED ZENEDGE_SIM ZENEDGE_IPC MODELS_DIR MODE
# Every process is killed by PID and the shm object, socket and files are
# removed on any exit.
set -u
BRIDGED=$1 SIM=$2 IPC=$3 MODELS=$4 MODE=$5
TMP=${TMPDIR:-/tmp}
TAG=zenedge-it-$MODE-$$
SHM=/$TAG
SOCK=$TMP/$TAG.sock
STATS=$TMP/$TAG.stats
BLOG=$TMP/$TAG.bridge.log
SLOG=$TMP/$TAG.sim.log
EXTRA_FILES="$STATS $STATS.tmp.*"
. "$(dirname "$0")/common.sh"

stat_of() { sed -n "s/^$1 //p" "$STATS"; }

"$BRIDGED" --shm "$SHM" --models "$MODELS" --doorbell "$MODE" --socket "$SOCK" \
    --stats-file "$STATS" --log-level info 2>"$BLOG" &
BPID=$!

# Both sides pinned where two CPUs exist; poll mode spins on both.
TASKS="--task name=rt,qos=rt,model=vector_add,count=200,inflight=2
       --task name=high,qos=high,model=saxpy,count=200,inflight=4
       --task name=normal,qos=normal,model=gemm,count=100,inflight=4
       --task name=digits,qos=background,model=digits_mlp,inflight=8
       --task name=zc,qos=normal,model=vector_add,count=200,inflight=2,zero_copy=1
       --task name=zcd,qos=rt,model=digits_mlp,count=100,inflight=1,zero_copy=1"
# shellcheck disable=SC2086
timeout 240 "$SIM" --shm "$SHM" --doorbell "$MODE" --socket "$SOCK" --models "$MODELS" \
    --timeout-s 30 --max-jobs 64 --sq-slots 64 $TASKS >"$SLOG" 2>&1 &
SPID=$!
wait "$SPID"
SRC=$?
SPID=
cat "$SLOG"
[ "$SRC" -eq 0 ] || fail "zenedge-sim exited $SRC"
SUM=$(grep '^sim: ' "$SLOG" | tail -n 1)
[ -n "$SUM" ] || fail "no summary line"
JOBS=$(echo "$SUM" | sed -n 's/.* jobs=\([0-9]*\).*/\1/p')
OK=$(echo "$SUM" | sed -n 's/.* ok=\([0-9]*\).*/\1/p')
FAILED=$(echo "$SUM" | sed -n 's/.* failed=\([0-9]*\).*/\1/p')
ACC=$(echo "$SUM" | sed -n 's/.* accuracy=\([0-9.]*\).*/\1/p')
[ "$FAILED" = 0 ] || fail "failed=$FAILED"
[ "$JOBS" -ge 1159 ] && [ "$OK" = "$JOBS" ] || fail "jobs=$JOBS ok=$OK (want >= 1159, all ok)"
# the zero-copy tasks (tensor buffers in the heap) each got every job right
grep -q "^task zc (qos=normal, models=vector_add): submitted=200 completed=200 ok=200 failed=0 rejected=0" "$SLOG" ||
    fail "zero-copy vector_add task not all ok"
grep -q "^task zcd (qos=rt, models=digits_mlp): submitted=100 completed=100 ok=100 failed=0 rejected=0" "$SLOG" ||
    fail "zero-copy digits task not all ok"
awk "BEGIN { exit !($ACC >= 0.95) }" || fail "digits accuracy $ACC < 0.95"
echo "digits_mlp accuracy through the ring ($MODE): $ACC"

# The bridge answered every job OK, and nothing else happened.
kill -USR1 "$BPID"
for i in $(seq 1 200); do [ -s "$STATS" ] && break; sleep 0.05; done
[ -s "$STATS" ] || fail "no statistics dump"
B_OK=$(stat_of status.OK)
B_DONE=$(stat_of tx.job_done)
B_ERR=$(stat_of tx.error)
B_PEERS=$(stat_of peer.connects)
echo "bridge: status.OK=$B_OK tx.job_done=$B_DONE tx.error=$B_ERR peer.connects=$B_PEERS"
[ "$B_OK" = "$OK" ] && [ "$B_DONE" = "$OK" ] || fail "bridge answered $B_DONE jobs ($B_OK OK), sim saw $OK"
[ "$B_ERR" = 0 ] || fail "bridge sent $B_ERR CMD_ERROR"
if [ "$MODE" != poll ]; then
    [ "$B_PEERS" -ge 1 ] || fail "no doorbell connection in $MODE mode"
fi

# The daemon outlives the ZENEDGE side and stops cleanly.
kill -0 "$BPID" 2>/dev/null || fail "zenedge-bridged died with the ZENEDGE side"
kill -TERM "$BPID"
wait "$BPID"
BRC=$?
BPID=
[ "$BRC" -eq 0 ] || fail "zenedge-bridged exit status $BRC after SIGTERM"
grep -q "exit (clean)" "$BLOG" || fail "no clean exit line"
echo "PASS: sim + bridge, doorbell $MODE"
exit 0
