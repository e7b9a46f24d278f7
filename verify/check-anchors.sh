#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# check-anchors.sh - every code anchor a model names still exists.
# The models (verify/*.pml) and the Frama-C drivers (verify/frama/*.c) list
# the code they stand for in lines of the form
#     FILE:FUNCTION            or  FILE:FUNCTION:LABEL
# (FILE under core/ rtos/ bridge/ include/ linux/). For each, FILE must
# exist, define FUNCTION (a line starting a definition: the name followed
# by '(' on a line that does not end in ';'), and, with LABEL, the
# function's body must name LABEL (as a word, e.g. in "/* R1 */").
# A change in the code that drops one of them makes this fail and points at
# the model to update. Usage: check-anchors.sh [SOURCE_DIR]. Exit 0 / 1.
set -u
src=${1:-.}
cd "$src" || exit 1
anchors=$(grep -ohE '(core|rtos|bridge|include|linux)/[A-Za-z0-9_/.-]+\.[ch]:[A-Za-z_][A-Za-z0-9_]*(:[A-Z][A-Z0-9]*)?' \
    verify/*.pml verify/frama/*.c 2>/dev/null | sort -u)
if [ -z "$anchors" ]; then
    echo "no anchors found under verify/"
    exit 1
fi
fail=0
n=0
for a in $anchors; do
    n=$((n + 1))
    file=${a%%:*}
    rest=${a#*:}
    fn=${rest%%:*}
    label=
    [ "$rest" != "$fn" ] && label=${rest#*:}
    if [ ! -f "$file" ]; then
        echo "$a: $file does not exist"
        fail=1
        continue
    fi
    # The body: from the definition line to the first line that is "}" alone.
    body=$(awk -v fn="$fn" '
        !inbody && $0 ~ ("(^|[ *])" fn "\\(") && $0 !~ /;[ \t]*$/ && $0 !~ /^[ \t]*(\/\*|\*|\/\/)/ { inbody = 1 }
        inbody { print }
        inbody && /^}/ { exit }' "$file")
    if [ -z "$body" ]; then
        echo "$a: no definition of $fn in $file"
        fail=1
        continue
    fi
    if [ -n "$label" ] && ! printf '%s\n' "$body" | grep -qw "$label"; then
        echo "$a: the body of $fn in $file does not name $label"
        fail=1
    fi
done
[ $fail -eq 0 ] && echo "$n code anchors of verify/ found in the code"
exit $fail
