#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# ready_warm.sh - READY means ready: zenedge-bridged runs every model once
# (a dry run with zero inputs) before it publishes READY, and says so in
# its log ("ready in N ms: K models loaded and warmed on BACKEND", each
# model's "warmed" line before the "; READY" line). BACKEND opencl uses an
# empty kernel cache (the cold start); 77 when the backend has no device.
# Usage: ready_warm.sh ZENEDGE_BRIDGED ZENEDGE_SIM MODELS_DIR BACKEND
set -u
BRIDGED=$1 SIM=$2 MODELS=$3 BACKEND=$4
TMP=${TMPDIR:-/tmp}
TAG=zenedge-ready-$BACKEND-$$
SHM=/$TAG
SOCK=$TMP/$TAG.sock
BLOG=$TMP/$TAG.bridge.log
SLOG=$TMP/$TAG.sim.log
CACHE=$TMP/$TAG.cache
EXTRA_FILES=
. "$(dirname "$0")/../integration/common.sh"
trap 'it_cleanup; rm -rf "$CACHE"' EXIT

if [ "$BACKEND" != cpu ] && ! "$BRIDGED" --list-devices 2>/dev/null | grep -q "^$BACKEND *device"; then
    echo "skipped: no $BACKEND device"
    exit 77
fi
mkdir -p "$CACHE"
N_MODELS=$(ls -d "$MODELS"/*/model.ini | wc -l)

ZENEDGE_OPENCL_CACHE=$CACHE POCL_CACHE_DIR=$CACHE \
    "$BRIDGED" --shm "$SHM" --models "$MODELS" --backend "$BACKEND" --doorbell eventfd --socket "$SOCK" \
    --log-level debug 2>"$BLOG" &
BPID=$!
timeout 120 "$SIM" --shm "$SHM" --doorbell eventfd --socket "$SOCK" --models "$MODELS" --timeout-s 100 \
    --task name=rt,qos=rt,model=vector_add,count=20,inflight=1 >"$SLOG" 2>&1 &
SPID=$!
wait "$SPID"
SRC=$?
SPID=
[ "$SRC" -eq 0 ] || fail "zenedge-sim exited $SRC"
kill -TERM "$BPID"
wait "$BPID"
BPID=

READY=$(grep -n '; READY$' "$BLOG" | head -n 1 | cut -d: -f1)
WARM=$(grep -n "ready in [0-9]* ms: $N_MODELS models loaded and warmed on $BACKEND" "$BLOG" | head -n 1 | cut -d: -f1)
[ -n "$READY" ] || fail "no READY line"
[ -n "$WARM" ] || fail "no 'ready in N ms: $N_MODELS models loaded and warmed on $BACKEND' line"
[ "$WARM" -lt "$READY" ] || fail "READY (line $READY) before the models were warmed (line $WARM)"
N_WARMED=$(head -n "$READY" "$BLOG" | grep -c " warmed on $BACKEND: ")
[ "$N_WARMED" -eq "$N_MODELS" ] || fail "$N_WARMED of $N_MODELS models had their dry run before READY"
grep "ready in" "$BLOG"
echo "PASS: $N_MODELS models warmed on $BACKEND before READY"
exit 0
