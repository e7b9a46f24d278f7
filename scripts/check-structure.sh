#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# check-structure.sh - the size limits of docs/architecture.md: no function
# in core/, rtos/, bridge/, linux/ over 80 lines (a program's main over 120),
# no .c file in rtos/ or bridge/ (bridge/backends/ aside) over 500 lines.
# A function is counted from the line of its opening brace in column 0 to
# its closing brace in column 0, both included.
# Usage: check-structure.sh [SOURCE_DIR] [--all]  (--all: list every
# function over the limit in the whole tree, report only).
# Exit 0 within the limits, 1 otherwise.
set -u
src=${1:-.}
cd "$src" || exit 1
fail=0
fn_report() {
    awk -v fnlimit=80 -v mainlimit=120 '
        /^[A-Za-z_].*\(/ { sig = $0; sigline = FNR }
        /^\{/ { start = FNR; name = sig; sub(/\(.*/, "", name); n = split(name, w, /[ *]+/); name = w[n] }
        /^\}/ && start > 0 {
            len = FNR - start + 1
            limit = (name == "main") ? mainlimit : fnlimit
            if (len > limit) printf "%s:%d: function %s is %d lines (limit %d)\n", FILENAME, sigline, name, len, limit
            start = 0
        }' "$@"
}
files=$(find core rtos bridge linux -name '*.c' | sort)
out=$(fn_report $files)
if [ -n "$out" ]; then
    echo "$out"
    fail=1
fi
for f in $(find rtos bridge -name '*.c' -not -path 'bridge/backends/*' | sort); do
    n=$(wc -l < "$f")
    if [ "$n" -gt 500 ]; then
        echo "$f: $n lines (limit 500 for rtos/ and bridge/)"
        fail=1
    fi
done
if [ "${2:-}" = "--all" ]; then
    echo "--- elsewhere (report only)"
    fn_report $(find sim bench tools ports guests -name '*.c' | sort)
fi
[ $fail -eq 0 ] && echo "structure: every function and file within its limit"
exit $fail
