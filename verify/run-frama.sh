#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# run-frama.sh - one Frama-C analysis of verify/frama/ and its judgement.
# Usage: run-frama.sh SOURCE_DIR ring|region|validate|complete|wp
#   ring, region, validate, complete: EVA from the driver verify/frama/NAME_eva.c
#     on the code it names. The alarms EVA raises (file and assertion, no
#     line numbers) must be exactly those listed in verify/frama/NAME.alarms
#     (each explained in verify/README.md; an empty file: zero alarms). A new
#     alarm, or a listed one that went away, fails: update the list and the
#     README with the reason.
#   wp: the ACSL contracts of core/ipc_ring.c (prod_free, cons_ready) with
#     WP and its run-time-error guards; every goal must be proved. Needs
#     why3 and an SMT prover (z3); without them it skips.
# Exit 0 as expected, 1 otherwise, 77 when frama-c (or a prover) is missing.
set -u
src=$1
what=$2
command -v frama-c >/dev/null 2>&1 || { echo "frama-c not installed (scripts/install-deps.sh verify): skipped"; exit 77; }
cd "$src" || exit 1
work=$(mktemp -d "${TMPDIR:-/tmp}/zenedge-frama.$$.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT INT TERM
inc="-Iverify/frama/include -Iinclude"
common="-c11 -machdep x86_64 -no-autoload-plugins -load-module eva,scope,inout,wp,rtegen"
eva="-eva -eva-split-return auto -eva-msg-key=-initial-state,-final-states"
case "$what" in
ring) files="verify/frama/ring_eva.c core/ipc_ring.c"
    opts="$eva -eva-precision 3" ;;
region) files="verify/frama/region_eva.c core/ipc_region.c core/ipc_ring.c core/ipc_errors.c"
    opts="$eva -eva-precision 5 -inline-calls area_ok" ;;
validate) files="verify/frama/validate_eva.c bridge/validate.c bridge/registry.c core/ipc_region.c core/ipc_ring.c core/ipc_errors.c"
    inc="$inc -Ibridge"
    opts="$eva -eva-precision 3" ;;
complete) files="verify/frama/complete_eva.c rtos/proxy_complete.c rtos/job_table.c rtos/proxy_setup.c rtos/proxy_mem.c ports/template/port.c core/ipc_region.c core/ipc_ring.c core/ipc_heap.c core/ipc_errors.c"
    inc="$inc -Irtos -Iports/template"
    # the lay-out (include/zenedge/ipc_layout.h) returns its status through
    # ipc_region_init(): keep its success apart from the zeroed view of a failure
    opts="$eva -eva-precision 1 -eva-split-return-function ipc_layout_region_init:0" ;;
wp) files="core/ipc_ring.c"
    if ! command -v why3 >/dev/null 2>&1 || ! command -v z3 >/dev/null 2>&1; then
        echo "WP needs why3 and z3 (scripts/install-deps.sh verify): skipped"
        exit 77
    fi
    # A private why3 configuration: the provers found on this machine.
    WHY3CONFIG="$work/why3.conf"
    export WHY3CONFIG
    why3 config detect >/dev/null 2>&1 || { echo "why3 config detect failed"; exit 1; }
    opts="-wp -wp-fct prod_free,cons_ready -wp-rte -wp-prover z3,qed -wp-timeout 20" ;;
*) echo "usage: $0 SOURCE_DIR ring|region|validate|complete|wp" >&2; exit 2 ;;
esac
start=$(date +%s)
# shellcheck disable=SC2086
frama-c $common -cpp-extra-args="$inc" $files $opts >"$work/log" 2>&1
rc=$?
# z3 answers "unknown" now and then on a loaded machine: WP once more,
# with a longer time limit, before judging.
if [ "$what" = wp ] && [ $rc -eq 0 ] && grep -q 'Goal .*: Failed' "$work/log"; then
    # shellcheck disable=SC2086
    frama-c $common -cpp-extra-args="$inc" $files $opts -wp-timeout 60 >"$work/log" 2>&1
    rc=$?
fi
end=$(date +%s)
if [ $rc -ne 0 ] || grep -q 'User Error\|Frama-C aborted' "$work/log"; then
    tail -n 30 "$work/log"
    echo "FAIL: frama-c exited with $rc"
    exit 1
fi
if [ "$what" = wp ]; then
    line=$(grep 'Proved goals:' "$work/log")
    echo "wp core/ipc_ring.c: ${line#*] } ($((end - start)) s)"
    grep -E '\[(Failed|Timeout|Unknown)\]|Goal .*: (Unknown|Timeout|Failed)' "$work/log"
    proved=$(echo "$line" | sed -n 's/.*Proved goals: *\([0-9]*\) *\/ *\([0-9]*\).*/\1 \2/p')
    set -- $proved
    [ $# -eq 2 ] && [ "$1" -eq "$2" ] && exit 0
    echo "FAIL: not every goal proved"
    exit 1
fi
# "[eva:alarm] FILE:LINE: Warning: \n  TEXT" -> "FILE: TEXT", sorted, unique.
# The ACSL postconditions of core/ipc_ring.c are WP's to prove (the wp
# analysis): EVA's "status unknown" on them is not a run-time alarm.
awk '/^\[eva:alarm\]/ { f = $2; sub(/:[0-9]+:$/, "", f); getline t; sub(/^ +/, "", t); print f ": " t }' \
    "$work/log" | grep -v 'postcondition got status unknown' | sort -u >"$work/got"
sort -u "verify/frama/$what.alarms" | grep -v '^#' >"$work/want"
cov=$(grep -m 1 'statements reached' "$work/log" | sed 's/^ *//')
echo "eva $what: $(wc -l <"$work/got") distinct alarms; $cov ($((end - start)) s)"
if ! grep -q 'No errors or warnings raised during the analysis' "$work/log"; then
    grep -A 12 'ANALYSIS SUMMARY' "$work/log"
    echo "FAIL: EVA raised errors or warnings besides alarms"
    exit 1
fi
if ! cmp -s "$work/got" "$work/want"; then
    echo "FAIL: the alarms differ from verify/frama/$what.alarms (< expected, > found):"
    diff "$work/want" "$work/got"
    exit 1
fi
exit 0
