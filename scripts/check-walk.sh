#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# check-walk.sh - every "| n | `file` | `function` |" row of the job's path
# in docs/architecture.md names a function defined in that file (a line
# starting with its return type and the name, at column 0).
# Usage: check-walk.sh [SOURCE_DIR]. Exit 0 all found, 1 otherwise.
set -u
src=${1:-.}
cd "$src" || exit 1
doc=docs/architecture.md
rows=$(grep -E '^\| [0-9]+ \| `[^`]+` \| `[a-z_0-9]+` \|' "$doc" | sed -E 's/^\| ([0-9]+) \| `([^`]+)` \| `([a-z_0-9]+)` \|.*/\1 \2 \3/')
[ -n "$rows" ] || { echo "check-walk: no steps found in $doc"; exit 1; }
fail=0
n=0
echo "$rows" | {
    while read -r step file fn; do
        n=$((n + 1))
        if [ ! -f "$file" ]; then
            echo "check-walk: step $step: $file does not exist"
            fail=1
        elif ! grep -Eq "^[A-Za-z_].*[ *]$fn\(" "$file"; then
            echo "check-walk: step $step: $fn is not defined in $file"
            fail=1
        fi
    done
    [ $fail -eq 0 ] && echo "check-walk: $n steps, every function where the path says"
    exit $fail
}
