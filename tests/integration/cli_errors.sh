#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# cli_errors.sh - zenedge-sim, zenedge-ipc and zenedge-bench run wrongly:
# each mistake is one line on stderr that names the option and the value,
# and the sysexits code (64 usage, 66 no such region, 69 no bridge, 73 an
# output file that cannot be written); no usage dump, no run. A sim with no
# bridge says so, prints no latency table (no "nan") and leaves no region;
# one stopped by SIGTERM removes its region and exits 143.
# Usage: cli_errors.sh ZENEDGE_SIM ZENEDGE_IPC ZENEDGE_BENCH|"" MODELS
set -u
SIM=$1
IPC=$2
BENCH=$3
MODELS=$4
TAG=zenedge-test-cli-$$
SOCK=/tmp/$TAG.sock
BLOG=/tmp/$TAG.none
SLOG=/tmp/$TAG.out
ERR=/tmp/$TAG.err
EXTRA_FILES="$ERR"
. "$(dirname "$0")/common.sh"

# expect CODE REGEX COMMAND...: exit status CODE, one line on stderr
# matching REGEX.
expect() {
    code=$1 re=$2
    shift 2
    "$@" >"$SLOG" 2>"$ERR"
    rc=$?
    [ "$rc" -eq "$code" ] || fail "$*: exit $rc, want $code; stderr: $(cat "$ERR")"
    [ "$(wc -l <"$ERR")" -eq 1 ] || fail "$*: want one line on stderr, got: $(cat "$ERR")"
    grep -Eq -- "$re" "$ERR" || fail "$*: stderr does not match '$re': $(cat "$ERR")"
    echo "ok: $* -> $rc: $(cat "$ERR")"
}

S="$SIM --shm /$TAG --models $MODELS --doorbell poll"
expect 64 "^zenedge-sim: --cpu 'abc': not a decimal number in \[0, 1023\] \(see --help\)$" $S --cpu abc
expect 64 "--spin-us 'x': not a decimal number" $S --spin-us x
expect 64 "--spin-us '-1': not a decimal number" $S --spin-us -1
expect 64 "--max-jobs '0x10': not a decimal number in \[1, " $S --max-jobs 0x10
expect 64 "--sq-slots '100': not a power of two" $S --sq-slots 100
expect 64 "--timeout-s 'nan': not decimal seconds" $S --timeout-s nan
expect 64 "--size '12q': not a decimal byte count" $S --size 12q
expect 64 "unknown option '--bogus' \(see --help\)" $S --bogus
expect 64 "--cpu needs a value" $S --cpu
expect 64 "--shm NAME is required" "$SIM" --cpu 1
expect 64 "count '1e3': not a decimal number" $S --task name=a,model=gemm,count=1e3
expect 64 "--doorbell 'ring': not poll\|eventfd\|adaptive" $S --doorbell ring
expect 73 "--hist '/nonexistent-$$/h.csv': cannot write" $S --hist /nonexistent-$$/h.csv
expect 73 "--trace '/nonexistent-$$/t.csv': cannot write" $S --trace /nonexistent-$$/t.csv
"$SIM" --version | grep -Eq '^zenedge-sim [0-9.]+ \(protocol 1\.[0-9]+\)$' || fail "sim --version"
# decimal: 08 is eight, 010 is ten (both accepted); then no bridge answers
expect 69 "^zenedge-sim: no bridge answered: .*No job ran$" $S --cpu 00 --spin-us 08 --max-jobs 010 --timeout-s 0.2 \
    --quiet --task name=a,model=vector_add,count=010
grep -q nan "$SLOG" && fail "a report with nan when no bridge answered: $(cat "$SLOG")"
[ -e "/dev/shm/$TAG" ] && fail "region /$TAG left behind"
expect 69 "no bridge answered: none on the doorbell socket $SOCK" "$SIM" --shm "/$TAG" --models "$MODELS" \
    --socket "$SOCK" --timeout-s 0.2 --quiet

# SIGTERM while waiting for a bridge: the region is removed, exit 128+15.
$S --timeout-s 60 --quiet --task name=a,model=vector_add,count=1 >"$SLOG" 2>"$ERR" &
SPID=$!
for _ in $(seq 1 200); do [ -e "/dev/shm/$TAG" ] && break; sleep 0.05; done
[ -e "/dev/shm/$TAG" ] || fail "the sim laid out no region /$TAG"
kill -TERM "$SPID"
wait "$SPID"
rc=$?
SPID=
[ "$rc" -eq 143 ] || fail "SIGTERM: exit $rc, want 143; stderr: $(cat "$ERR")"
[ -e "/dev/shm/$TAG" ] && fail "SIGTERM: region /$TAG left behind"
grep -q "Terminated: stopping the tasks, then removing the region" "$ERR" || fail "SIGTERM: no message: $(cat "$ERR")"
echo "ok: SIGTERM -> 143, region removed"

expect 64 "^zenedge-ipc: no command: give a command, stat or trace \(see --help\)$" "$IPC" --shm "/$TAG"
expect 64 "unknown command 'stats'" "$IPC" stats --shm "/$TAG"
expect 64 "--watch 'x': expected whole seconds" "$IPC" stat --shm "/$TAG" --watch x
expect 64 "--count '-2': expected a count" "$IPC" stat --shm "/$TAG" --watch 1 --count -2
expect 64 "trace: --watch/--count are stat options" "$IPC" trace --shm "/$TAG" --watch 1
expect 64 "--slots takes neither --follow nor --json" "$IPC" trace --slots --follow --shm "/$TAG"
expect 64 "unknown option '--bogus'" "$IPC" stat --bogus --shm "/$TAG"
expect 64 "give exactly one of --shm NAME or --file PATH" "$IPC" stat
expect 66 "cannot map /$TAG read-only" "$IPC" stat --shm "/$TAG"
expect 66 "cannot map /$TAG read-only" "$IPC" trace --follow --wait 0.1 --shm "/$TAG"

if [ -n "$BENCH" ]; then
    expect 64 "^zenedge-bench: --rounds 'abc': not a decimal number in \[1, 1000000\] \(see --help\)$" "$BENCH" --rounds abc
    expect 64 "--cpus '0,-1': not two different decimal CPU numbers" "$BENCH" --cpus 0,-1
    expect 64 "unknown option '--bogus'" "$BENCH" --bogus
    expect 64 "--rounds needs a value" "$BENCH" --rounds
fi
echo "cli errors: every wrong use is one line and its exit status"
exit 0
