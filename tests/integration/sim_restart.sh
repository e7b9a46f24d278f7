#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# sim_restart.sh - zenedge-bridged killed with SIGKILL and started again at once, twice, while zenedge-sim runs copying and zero-copy tasks: every job gets exactly one final status, none a wrong output, the new epochs are seen and served, and the reclaim follows the ring tails the new instances published.
# Usage: sim_restart.sh ZENEDGE_BRIDGED ZENEDGE_SIM MODELS_DIR
# Every process is killed by PID and the shm object, socket and files are
# removed on any exit.
set -u
BRIDGED=$1 SIM=$2 MODELS=$3
TMP=${TMPDIR:-/tmp}
TAG=zenedge-rs-$$
SHM=/$TAG
SOCK=$TMP/$TAG.sock
BLOG=$TMP/$TAG.bridge.log
SLOG=$TMP/$TAG.sim.log
. "$(dirname "$0")/common.sh"

start_bridge() {
    "$BRIDGED" --shm "$SHM" --models "$MODELS" --backend cpu --doorbell adaptive --socket "$SOCK" \
        --log-level info 2>>"$BLOG" &
    BPID=$!
}

# The ZENEDGE side creates the region; the bridge attaches when it exists.
# shellcheck disable=SC2086
"$SIM" --shm "$SHM" --doorbell adaptive --socket "$SOCK" --models "$MODELS" --timeout-s 60 \
    --task name=zc,qos=rt,model=vector_add,count=4000,inflight=2,zero_copy=1,rate_hz=2000 \
    --task name=copy,qos=normal,model=vector_add,count=4000,inflight=4,rate_hz=2000 \
    --task name=digits,qos=high,model=digits_mlp,count=2000,inflight=1,zero_copy=1,rate_hz=1000 \
    >"$SLOG" 2>&1 &
SPID=$!
start_bridge

# Let jobs flow, then kill the bridge and start it again at once, twice.
sleep 0.5
for round in 1 2; do
    kill -0 "$SPID" 2>/dev/null || fail "zenedge-sim ended before restart $round"
    kill -0 "$BPID" 2>/dev/null || fail "zenedge-bridged died before restart $round"
    kill -9 "$BPID"
    wait "$BPID" 2>/dev/null
    start_bridge
    sleep 0.5
done

wait "$SPID"
SRC=$?
SPID=
cat "$SLOG"
# Exit 1 is expected when jobs ended BRIDGE_LOST; 2 and above are errors.
[ "$SRC" -le 1 ] || fail "zenedge-sim exited $SRC"
grep -q "output differs from the reference" "$SLOG" && fail "a job returned a wrong output"
grep -q "wrong_output=" "$SLOG" && fail "a task counted wrong outputs"

SUM=$(grep '^sim: ' "$SLOG" | tail -n 1)
[ -n "$SUM" ] || fail "no summary line"
JOBS=$(echo "$SUM" | sed -n 's/.* jobs=\([0-9]*\).*/\1/p')
OK=$(echo "$SUM" | sed -n 's/.* ok=\([0-9]*\).*/\1/p')
FAILED=$(echo "$SUM" | sed -n 's/.* failed=\([0-9]*\).*/\1/p')
REJ=$(echo "$SUM" | sed -n 's/.* rejected=\([0-9]*\).*/\1/p')
[ "$JOBS" = 10000 ] || fail "jobs=$JOBS, want 10000"
[ $((OK + FAILED + REJ)) = "$JOBS" ] || fail "ok $OK + failed $FAILED + rejected $REJ != jobs $JOBS"
[ "$OK" -ge 5000 ] || fail "only $OK of $JOBS jobs ok: the restarted bridge did not serve"

# Failures are the ones a restart causes, nothing else.
for kind in timed_out cancelled bad_completion bridge_status_; do
    grep "final status:" "$SLOG" | grep -q " $kind" && fail "a job ended $kind"
done

PROXY=$(grep '^proxy: submitted=' "$SLOG")
EPOCHS=$(echo "$PROXY" | sed -n 's/.* bridge_epochs=\([0-9]*\).*/\1/p')
USED=$(echo "$PROXY" | sed -n 's/.* start_tails_used=\([0-9]*\).*/\1/p')
BAD=$(echo "$PROXY" | sed -n 's/.* start_tails_bad=\([0-9]*\).*/\1/p')
[ "$EPOCHS" -ge 3 ] || fail "bridge_epochs=$EPOCHS, want 3 (start and two restarts)"
[ "$USED" -ge 3 ] || fail "start_tails_used=$USED: the new epochs' ring tails were not used"
[ "$BAD" = 0 ] || fail "start_tails_bad=$BAD from an honest bridge"

# No job slot or buffer left behind: the last restart's instance answered
# or the reclaim freed everything (zenedge-sim checks its own heap at exit
# through the counts above; the bridge must still be serving).
kill -0 "$BPID" 2>/dev/null || fail "the restarted zenedge-bridged died"
kill -TERM "$BPID"
wait "$BPID"
BRC=$?
BPID=
[ "$BRC" -eq 0 ] || fail "zenedge-bridged exit status $BRC after SIGTERM"
echo "PASS: two SIGKILL restarts under load: jobs=$JOBS ok=$OK failed=$FAILED rejected=$REJ epochs=$EPOCHS start_tails_used=$USED"
exit 0
