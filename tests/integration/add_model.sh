#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# add_model.sh - adding a model is adding one folder: a copy of the shipped models plus one new folder is read by zenedge-bridged and zenedge-sim alike, and jobs on the new model come back OK. KIND sum: vector_add_2k (a new id, 2048 elements, the CPU kernel vector_add_i32), whose sums the sim checks; KIND unknown: digits_raw (the digits MLP's weights under a new id, no [dataset]), a model the sim has no reference for, so only the final status counts.
# Usage: add_model.sh ZENEDGE_BRIDGED ZENEDGE_SIM MODELS_DIR [sum|unknown]
# Every process is killed by PID and the shm object, socket, files and the
# models copy are removed on any exit.
set -u
BRIDGED=$1 SIM=$2 MODELS=$3 KIND=${4:-sum}
TMP=${TMPDIR:-/tmp}
TAG=zenedge-am-$KIND-$$
SHM=/$TAG
SOCK=$TMP/$TAG.sock
BLOG=$TMP/$TAG.bridge.log
SLOG=$TMP/$TAG.sim.log
MDIR=$TMP/$TAG.models
. "$(dirname "$0")/common.sh"
trap 'it_cleanup; rm -rf "$MDIR"' EXIT

# The shipped models, and one folder more.
mkdir "$MDIR" || fail "cannot create $MDIR"
cp -R "$MODELS"/. "$MDIR"/ || fail "cannot copy $MODELS"

add_sum_model() {
    mkdir "$MDIR/vector_add_2k"
    cat >"$MDIR/vector_add_2k/model.ini" <<'EOF'
; vector_add_2k: c = a + b over 2048 int32, added by the test add_model.sh.
[model]
id = 21
name = vector_add_2k
description = c[i] = a[i] + b[i] over 2048 int32 (two's complement wrap)
result = none

[input.0]
name = a
dtype = i32
shape = 2048

[input.1]
name = b
dtype = i32
shape = 2048

[output.0]
name = c
dtype = i32
shape = 2048

[backend.cpu]
kernel = vector_add_i32
EOF
}

# The digits MLP without its held-out set: nothing the sim can check it
# against.
add_unknown_model() {
    mkdir "$MDIR/digits_raw"
    for w in w1 b1 w2 b2; do
        cp "$MODELS/digits_mlp/$w.f32" "$MDIR/digits_raw/" || fail "cannot copy the digits weight $w"
    done
    sed -e 's/^id = 4$/id = 22/' -e 's/^name = digits_mlp$/name = digits_raw/' \
        -e '/^\[dataset\]$/,/^y = /d' "$MODELS/digits_mlp/model.ini" >"$MDIR/digits_raw/model.ini"
    grep -q '^id = 22$' "$MDIR/digits_raw/model.ini" && ! grep -q 'dataset\|test_' "$MDIR/digits_raw/model.ini" ||
        fail "cannot derive digits_raw/model.ini"
}

case $KIND in
    sum) add_sum_model; NEW=vector_add_2k; ID=21; NIN=2; NW=0 ;;
    unknown) add_unknown_model; NEW=digits_raw; ID=22; NIN=1; NW=4 ;;
    *) echo "add_model.sh: KIND is sum or unknown"; exit 2 ;;
esac

"$BRIDGED" --shm "$SHM" --models "$MDIR" --backend cpu --doorbell adaptive --socket "$SOCK" \
    --log-level info 2>"$BLOG" &
BPID=$!

# The new model alone, in both paths (copied and zero-copy), and next to a
# shipped one in the same task.
timeout 120 "$SIM" --shm "$SHM" --doorbell adaptive --socket "$SOCK" --models "$MDIR" --timeout-s 30 \
    --task name=new,model=$NEW,count=200,inflight=4 \
    --task name=newzc,qos=rt,model=$NEW,count=100,inflight=2,zero_copy=1 \
    --task name=mixed,qos=high,model=vector_add+$NEW,count=100,inflight=4 >"$SLOG" 2>&1 &
SPID=$!
wait "$SPID"
SRC=$?
SPID=
cat "$SLOG"
[ "$SRC" -eq 0 ] || fail "zenedge-sim exited $SRC"
grep -q "model $ID $NEW: $NIN input(s), 1 output(s), $NW weight(s) from .*/$NEW/model.ini" "$BLOG" ||
    fail "zenedge-bridged did not load the new model"
grep -q "output differs from the reference" "$SLOG" && fail "a job returned a wrong output"
grep -q "^task new (qos=normal, models=$NEW): submitted=200 completed=200 ok=200 failed=0 rejected=0" "$SLOG" ||
    fail "$NEW task not all ok"
grep -q "^task newzc (qos=rt, models=$NEW): submitted=100 completed=100 ok=100 failed=0 rejected=0" "$SLOG" ||
    fail "zero-copy $NEW task not all ok"
grep -q "^task mixed (qos=high, models=vector_add+$NEW): submitted=100 completed=100 ok=100 failed=0 rejected=0" \
    "$SLOG" || fail "mixed task not all ok"
# No classifier ran (digits_raw has no held-out set): accuracy=nan.
SUM=$(grep '^sim: ' "$SLOG" | tail -n 1)
echo "$SUM" | grep -q "^sim: jobs=400 ok=400 failed=0 rejected=0 accuracy=nan " || fail "summary: $SUM"

kill -TERM "$BPID"
wait "$BPID"
BRC=$?
BPID=
[ "$BRC" -eq 0 ] || fail "zenedge-bridged exit status $BRC after SIGTERM"
echo "PASS: a model added as one folder ($NEW) runs through bridge and sim"
exit 0
