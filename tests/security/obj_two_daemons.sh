#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# obj_two_daemons.sh - a second zenedge-bridged for a region already served
# must exit at once (status 75, EX_TEMPFAIL) with "another zenedge-bridged (pid N)
# serves NAME", before it touches the region or the doorbell socket; the
# first keeps its socket (same inode) and keeps serving: zenedge-sim then
# runs its jobs through it, and it stops cleanly on one SIGTERM.
# Then two daemons with different runtime directories (so the lock files
# differ) on one region: the lock on the object lets one serve, the other
# says so and waits; no fight of epochs, every job answered.
# Usage: obj_two_daemons.sh ZENEDGE_BRIDGED ZENEDGE_SIM MODELS_DIR
set -u
BRIDGED=$1 SIM=$2 MODELS=$3
TMP=${TMPDIR:-/tmp}
TAG=zenedge-sec-two-$$
SOCK=$TMP/$TAG.sock
BLOG=$TMP/$TAG.bridge.log
B2LOG=$TMP/$TAG.bridge2.log
SLOG=$TMP/$TAG.sim.log
RUN=$TMP/$TAG.run
B3LOG=$TMP/$TAG.bridge3.log
RUN2=$TMP/$TAG.run2
EXTRA_FILES="$B2LOG $B3LOG -r $RUN $RUN2"
. "$(dirname "$0")/../integration/common.sh"

mkdir -m 0700 "$RUN" || fail "runtime directory"
export RUNTIME_DIRECTORY=$RUN

"$BRIDGED" --shm "/$TAG" --models "$MODELS" --doorbell eventfd --socket "$SOCK" 2>"$BLOG" &
BPID=$!
for i in $(seq 1 200); do [ -S "$SOCK" ] && break; sleep 0.05; done
[ -S "$SOCK" ] || fail "the first daemon made no socket"
INODE=$(stat -c %i "$SOCK")

timeout 10 "$BRIDGED" --shm "/$TAG" --models "$MODELS" --doorbell eventfd --socket "$SOCK" 2>"$B2LOG"
RC=$?
cat "$B2LOG"
[ "$RC" -eq 75 ] || fail "the second daemon exited $RC (124: still running after 10 s), expected 75 (EX_TEMPFAIL)"
grep -q "another zenedge-bridged (pid $BPID) serves /$TAG" "$B2LOG" || fail "no 'another zenedge-bridged (pid $BPID)' message"
kill -0 "$BPID" 2>/dev/null || fail "the first daemon died"
[ -S "$SOCK" ] && [ "$(stat -c %i "$SOCK")" = "$INODE" ] || fail "the first daemon's socket was removed or replaced"

timeout 60 "$SIM" --shm "/$TAG" --doorbell eventfd --socket "$SOCK" --models "$MODELS" --timeout-s 10 --quiet \
    --task name=t,model=vector_add,count=50 >"$SLOG" 2>&1 || fail "zenedge-sim through the first daemon"
grep -q "ok=50 failed=0" "$SLOG" || fail "not every job answered: $(grep '^sim:' "$SLOG")"
kill -TERM "$BPID"
for i in $(seq 1 20); do kill -0 "$BPID" 2>/dev/null || break; sleep 0.05; done
kill -0 "$BPID" 2>/dev/null && fail "the first daemon still running 1 s after SIGTERM"
wait "$BPID"
BRC=$?
BPID=
[ "$BRC" -eq 0 ] || fail "the first daemon's exit status $BRC"

# Different runtime directories: the object's own lock decides.
mkdir -m 0700 "$RUN2" || fail "second runtime directory"
"$BRIDGED" --shm "/$TAG" --models "$MODELS" --doorbell poll 2>"$BLOG" &
BPID=$!
RUNTIME_DIRECTORY=$RUN2 "$BRIDGED" --shm "/$TAG" --models "$MODELS" --doorbell poll 2>"$B3LOG" &
SPID=$!
# Both wait for the region before it exists; the sim then runs for about
# 1 s (50 jobs at 50 Hz), long enough for the loser to retry (every 50 ms).
for i in $(seq 1 200); do
    grep -q "waiting for the region" "$BLOG" && grep -q "waiting for the region" "$B3LOG" && break
    sleep 0.05
done
timeout 60 "$SIM" --shm "/$TAG" --doorbell poll --models "$MODELS" --timeout-s 10 --quiet \
    --task name=t,model=vector_add,count=50,rate_hz=50 >"$SLOG" 2>&1 || fail "zenedge-sim with two daemons on its region"
grep -q "ok=50 failed=0" "$SLOG" || fail "not every job answered: $(grep '^sim:' "$SLOG")"
kill -TERM "$BPID" "$SPID"
wait "$BPID" || fail "exit status of the daemon in $RUN"
wait "$SPID" || fail "exit status of the daemon in $RUN2"
BPID= SPID=
N=$(cat "$BLOG" "$B3LOG" | grep -c "attached to shm /$TAG")
[ "$N" -eq 1 ] || fail "$N attaches by two daemons on one region (expected 1: one serves, the other waits)"
cat "$BLOG" "$B3LOG" | grep -q "/$TAG is served by another zenedge-bridged" || fail "the waiting daemon did not say why"
echo "PASS: one daemon per region; the second exits 75 and leaves the first's socket alone"
exit 0
