#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# obj_squat.sh - another user (uid 65534) creates the region's shm name
# first, mode 0666. zenedge-sim must refuse it (naming the owner and the
# mode) and leave it in place; zenedge-bridged must refuse to map it and
# keep waiting, run no job in it, and stop cleanly on one SIGTERM.
# Root only (a second uid is needed): skipped (77) otherwise.
# Usage: obj_squat.sh ZENEDGE_BRIDGED ZENEDGE_SIM MODELS_DIR
set -u
BRIDGED=$1 SIM=$2 MODELS=$3
TMP=${TMPDIR:-/tmp}
TAG=zenedge-sec-squat-$$
SOCK=$TMP/$TAG.sock
BLOG=$TMP/$TAG.bridge.log
SLOG=$TMP/$TAG.sim.log
RUN=$TMP/$TAG.run
EXTRA_FILES="-r $RUN"
. "$(dirname "$0")/../integration/common.sh"

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root to act as a second uid"; exit 77; }
command -v setpriv >/dev/null || { echo "SKIP: setpriv (util-linux) not found"; exit 77; }
mkdir -m 0700 "$RUN" || fail "runtime directory"
export RUNTIME_DIRECTORY=$RUN

# The squatter: uid 65534 makes /dev/shm/$TAG, 1 MiB of zeros, mode 0666.
setpriv --reuid=65534 --regid=65534 --clear-groups sh -c \
    "umask 0; head -c 1048576 /dev/zero > /dev/shm/$TAG && chmod 0666 /dev/shm/$TAG" || { echo "SKIP: cannot act as uid 65534"; exit 77; }
owner() { stat -c '%u %a %s' "/dev/shm/$TAG"; }
[ "$(owner)" = "65534 666 1048576" ] || fail "squatter setup: $(owner)"

"$BRIDGED" --shm "/$TAG" --models "$MODELS" --doorbell poll 2>"$BLOG" &
BPID=$!

timeout 20 "$SIM" --shm "/$TAG" --doorbell poll --models "$MODELS" --timeout-s 3 \
    --task name=t,model=vector_add,count=20 >"$SLOG" 2>&1
SRC=$?
cat "$SLOG"
[ "$SRC" -ne 0 ] || fail "zenedge-sim ran its jobs in the squatter's object"
grep -q "owned by uid 65534 (nobody), mode 0666" "$SLOG" || fail "zenedge-sim did not name the owner and mode"
[ "$(owner)" = "65534 666 1048576" ] || fail "the squatter's object was changed or removed: $(owner)"
[ -z "$(od -An -v -tx1 "/dev/shm/$TAG" | tr -d ' 0\n')" ] || fail "someone wrote into the squatter's object"

# The daemon saw the object and refused it (it retries, the message once).
for i in $(seq 1 100); do grep -q "refused: owned by uid 65534" "$BLOG" && break; sleep 0.05; done
grep -q "shm /$TAG refused: owned by uid 65534 (nobody), mode 0666 (expected owner uid 0 (root))" "$BLOG" ||
    fail "zenedge-bridged did not refuse the object with owner and mode"
if grep -q "attached to" "$BLOG"; then fail "zenedge-bridged attached to the squatter's object"; fi
kill -TERM "$BPID"
for i in $(seq 1 20); do kill -0 "$BPID" 2>/dev/null || break; sleep 0.05; done
kill -0 "$BPID" 2>/dev/null && fail "zenedge-bridged still running 1 s after SIGTERM"
wait "$BPID"
BRC=$?
BPID=
[ "$BRC" -eq 0 ] || fail "zenedge-bridged exit status $BRC"
cat "$BLOG" | grep -E "refused|exit"
echo "PASS: a squatted shm name is refused by zenedge-sim and zenedge-bridged and left to its owner"
exit 0
