#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# obj_stats_symlink.sh - links planted where zenedge-bridged writes its
# statistics: at the old predictable temporary name (PATH.tmp.PID) and at
# the file's own name, each pointing at a file of someone else. A dump
# must follow neither: both targets keep their bytes, and PATH becomes a
# regular file holding the dump.
# Usage: obj_stats_symlink.sh ZENEDGE_BRIDGED ZENEDGE_SIM MODELS_DIR
set -u
BRIDGED=$1 MODELS=$3
TMP=${TMPDIR:-/tmp}
TAG=zenedge-sec-stats-$$
SOCK=$TMP/$TAG.sock
BLOG=$TMP/$TAG.bridge.log
SLOG=$TMP/$TAG.sim.log
DIR=$TMP/$TAG.d
RUN=$TMP/$TAG.run
EXTRA_FILES="-r $DIR $RUN"
. "$(dirname "$0")/../integration/common.sh"

mkdir -m 0700 "$DIR" "$RUN" || fail "folders"
export RUNTIME_DIRECTORY=$RUN
STATS=$DIR/stats
echo precious-1 >"$DIR/victim1"
echo precious-2 >"$DIR/victim2"

"$BRIDGED" --shm "/$TAG" --models "$MODELS" --doorbell poll --stats-file "$STATS" 2>"$BLOG" &
BPID=$!
ln -s "$DIR/victim1" "$STATS.tmp.$BPID" || fail "link at the temporary name"
ln -s "$DIR/victim2" "$STATS" || fail "link at the file's name"
sleep 0.3
kill -USR1 "$BPID"
for i in $(seq 1 100); do [ -f "$STATS" ] && [ ! -L "$STATS" ] && break; sleep 0.05; done
[ "$(cat "$DIR/victim1")" = precious-1 ] || fail "the link at the temporary name was followed: victim1 now: $(head -c 200 "$DIR/victim1")"
[ "$(cat "$DIR/victim2")" = precious-2 ] || fail "the link at the file's name was followed: victim2 now: $(head -c 200 "$DIR/victim2")"
[ -f "$STATS" ] && [ ! -L "$STATS" ] || fail "no regular statistics file at $STATS"
grep -q "^dump_seq 1" "$STATS" || fail "the statistics file holds no dump"
kill -TERM "$BPID"
wait "$BPID"
BRC=$?
BPID=
[ "$BRC" -eq 0 ] || fail "exit status $BRC"
[ "$(cat "$DIR/victim1")" = precious-1 ] && [ "$(cat "$DIR/victim2")" = precious-2 ] || fail "the exit dump wrote through a link"
echo "PASS: the statistics file follows no planted link"
exit 0
