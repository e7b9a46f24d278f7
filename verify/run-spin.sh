#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# run-spin.sh - check one SPIN model (verify/*.pml) and judge the outcome.
# Usage: run-spin.sh MODEL.pml pass|fail [--expect=TEXT] [-DNAME[=VALUE]...]
#   pass: the full state space is searched and no error is found;
#   fail: SPIN reports a violation (a NEGATIVE variant: the test shows that
#         the model catches the bug the -D option puts in); with
#         --expect, the violation SPIN reports must contain TEXT.
# A model with an `ltl` block is checked for acceptance cycles under weak
# fairness (pan -a -f); others for assertions and invalid end states.
# Exit 0 as expected, 1 otherwise, 77 without spin or a C compiler.
set -u
model=$1
want=$2
shift 2
expect=
case "${1:-}" in
--expect=*)
    expect=${1#--expect=}
    shift
    ;;
esac
command -v spin >/dev/null 2>&1 || { echo "spin not installed (scripts/install-deps.sh verify): skipped"; exit 77; }
cc=${CC:-cc}
command -v "$cc" >/dev/null 2>&1 || { echo "no C compiler: skipped"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/zenedge-spin.$$.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT INT TERM
cp "$model" "$work/model.pml" || exit 1
cd "$work" || exit 1
if grep -q '^ltl ' model.pml; then
    ccflags=""
    panflags="-a -f"
    kind="LTL, weak fairness"
else
    ccflags="-DSAFETY"
    panflags=""
    kind="safety"
fi
spin "$@" -a model.pml >spin.log 2>&1 || { cat spin.log; exit 1; }
# -O0: the searches are small, compiling pan.c with -O2 costs more than it
# saves. -w: pan.c trips gcc's array-bounds heuristics on guarded indexing.
"$cc" -w -O0 $ccflags -DMEMLIM=1024 -o pan pan.c || exit 1
start=$(date +%s)
./pan $panflags -m1000000 -w22 >pan.log 2>&1
end=$(date +%s)
errors=$(sed -n 's/.*errors: \([0-9][0-9]*\).*/\1/p' pan.log | head -n 1)
states=$(sed -n 's/^ *\([0-9.e+]*\) states, stored.*/\1/p' pan.log | head -n 1)
depth=$(sed -n 's/.*depth reached \([0-9]*\),.*/\1/p' pan.log | head -n 1)
what=$(grep -m 1 -E 'assertion violated|acceptance cycle|invalid end state \(' pan.log)
echo "$(basename "$model") $* ($kind): errors ${errors:-?}, ${states:-?} states, depth ${depth:-?}, $((end - start)) s"
if [ -z "$errors" ]; then
    cat pan.log
    echo "FAIL: pan did not finish"
    exit 1
fi
if grep -q 'max search depth too small' pan.log; then
    echo "FAIL: search depth limit reached: the search is not exhaustive"
    exit 1
fi
if [ "$want" = pass ]; then
    [ "$errors" -eq 0 ] && exit 0
    echo "FAIL: $what"
    spin "$@" -t -p -g model.pml 2>&1 | tail -n 60
    exit 1
fi
if [ "$errors" -gt 0 ]; then
    case "$what" in
    *"$expect"*)
        echo "violation found, as expected: $what"
        exit 0
        ;;
    esac
    echo "FAIL: a violation, but not the one expected ($expect): $what"
    exit 1
fi
echo "FAIL: the broken variant ($*) was not caught"
exit 1
