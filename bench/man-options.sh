#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# man-options.sh - the options of zenedge-bench --help and those of its man
# page must be the same set: an option added to one and not the other fails.
# Usage: man-options.sh ZENEDGE_BENCH MAN_PAGE
set -u
BENCH=$1
MAN=$2
TMP=${TMPDIR:-/tmp}
A=$(mktemp "$TMP/zb-help-XXXXXX")
B=$(mktemp "$TMP/zb-man-XXXXXX")
trap 'rm -f "$A" "$B"' EXIT

# --help: the option lines of the "Options:" block start with "  -".
"$BENCH" --help | sed -n '/^Options:/,/^$/p' | grep -E '^  -' |
    grep -oE '(^| )--?[a-z][a-z-]*' | tr -d ' ' | sort -u >"$A"
# The man page: the tag lines (.B/.BI/.BR) that follow a .TP in OPTIONS.
sed -n '/^\.SH OPTIONS/,/^\.SH /p' "$MAN" | grep -A1 '^\.TP' | grep -E '^\.B[IR]? ' |
    sed 's/\\-/-/g' | grep -oE '(^| |")--?[a-z][a-z-]*' | tr -d ' "' | sort -u >"$B"

[ -s "$A" ] || { echo "FAIL: no options found in --help"; exit 1; }
if ! cmp -s "$A" "$B"; then
    echo "FAIL: options differ (< --help, > man page):"
    diff "$A" "$B"
    exit 1
fi
echo "man page and --help list the same $(wc -l <"$A") options"
