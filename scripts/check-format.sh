#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# check-format.sh - every C source and header tracked by git is formatted
# as .clang-format says (clang-format 14, Debian 12). Regions that are
# hand-aligned tables say so between /* clang-format off */ and on.
# Usage: check-format.sh [SOURCE_DIR] [--fix]. Exit 0 formatted, 1 not
# (the files are listed), 77 skip (no clang-format or no git checkout).
set -u
src=${1:-.}
cd "$src" || exit 1
command -v clang-format >/dev/null 2>&1 || { echo "check-format: clang-format not found, skipped"; exit 77; }
git rev-parse --is-inside-work-tree >/dev/null 2>&1 || { echo "check-format: not a git checkout, skipped"; exit 77; }
files=$(git ls-files '*.c' '*.h')
if [ "${2:-}" = "--fix" ]; then
    echo "$files" | xargs clang-format -i
    exit 0
fi
bad=0
for f in $files; do
    if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
        echo "check-format: $f is not formatted (scripts/check-format.sh . --fix)"
        bad=1
    fi
done
[ $bad -eq 0 ] && echo "check-format: $(echo "$files" | wc -l) files formatted"
exit $bad
