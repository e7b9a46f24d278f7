#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# call_cost.sh - instructions of one call of ipc_send, contract_submit_job,
# proxy_complete (one answer), contract_wait and proxy_tick, counted with
# callgrind (one dump per call, see call_cost.c), for rings of 16 and
# 65,536 slots and an empty and a full job table (4096 slots). Prints a
# table; with --check, fails (exit 1) when send or submit costs more than
# TOLERANCE instructions apart across the four cases.
#
# Usage: tests/freestanding/call_cost.sh CALL_COST_BINARY [--check]
# Needs valgrind. Exit 0, 1 (check failed or a run failed), 2 usage, 77
# without valgrind.
set -eu
TOLERANCE=16 # one comparison of the deadline heap (11 instructions on x86-64) and slack
if [ $# -lt 1 ] || [ ! -x "$1" ]; then
    echo "usage: $0 CALL_COST_BINARY [--check]" >&2
    exit 2
fi
command -v valgrind >/dev/null 2>&1 || { echo "call_cost.sh: valgrind not found: skipped" >&2; exit 77; }
bin=$1
check=${2:-}
out=$(mktemp -d "${TMPDIR:-/tmp}/call_cost.XXXXXX")
trap 'rm -rf "$out"' EXIT INT TERM
echo "| ring slots | job table | send | submit | submit, earliest deadline | complete | wait | tick |"
echo "|---:|---|---:|---:|---:|---:|---:|---:|"
for slots in 16 65536; do
    for load in empty full; do
        f="$out/cg.$slots.$load"
        CALL_COST_CALLGRIND=1 valgrind --tool=callgrind --callgrind-out-file="$f" "$bin" "$slots" "$load" \
            >"$out/log" 2>&1 || { cat "$out/log" >&2; exit 1; }
        awk -v s="$slots" -v l="$load" '
            /^desc: Trigger: Client Request: / { label = $5 }
            /^summary: / && label != "" { v[label] = $2; label = "" }
            END { printf "| %s | %s | %d | %d | %d | %d | %d | %d |\n", s, l, v["send"], v["submit"],
                  v["submit_first"], v["complete"], v["wait"], v["tick"] }' "$f".* |
            tail -n 1 >>"$out/rows"
        [ -s "$out/rows" ] || { echo "call_cost.sh: no figures from $bin $slots $load" >&2; exit 1; }
        cat "$out/rows"
        rm -f "$out/rows"
    done
done >"$out/table" # not a pipeline: a failed run above ends the script
cat "$out/table"
[ "$check" = "--check" ] || exit 0
awk -F'|' -v tol="$TOLERANCE" '
    { send = $4 + 0; sub_ = $5 + 0
      if (NR == 1) { s0 = send; u0 = sub_ }
      if (send == 0 || sub_ == 0) { print "call_cost.sh: a measurement is missing"; bad = 1 }
      if (send - s0 > tol || s0 - send > tol) { printf "call_cost.sh: send %d vs %d (tolerance %d)\n", send, s0, tol; bad = 1 }
      if (sub_ - u0 > tol || u0 - sub_ > tol) { printf "call_cost.sh: submit %d vs %d (tolerance %d)\n", sub_, u0, tol; bad = 1 } }
    END { if (bad) exit 1; print "call_cost.sh: send and submit cost the same across ring sizes and loads" }' "$out/table"
