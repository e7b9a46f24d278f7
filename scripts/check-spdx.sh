#!/bin/sh
# check-spdx.sh - every source file (C, headers, assembly, linker scripts,
# OpenCL/CUDA kernels, CMake, shell, Makefiles, gnuplot, python, INI and
# service files, man pages) carries the line
#   SPDX-License-Identifier: BSD-3-Clause
# in its first five lines. Prints each file without it and exits 1.
# Usage: check-spdx.sh [SOURCE_DIR] [--fix]
#   --fix  add the line, in the file's comment syntax, to every file without
#          it (after a "#!" line), then check again.
# Files: those tracked by git, else every file under SOURCE_DIR but build*/
# and .git/. Data (.bin, .f32, .u8), Markdown and debian/changelog,
# debian/copyright (which names the licence itself) are not sources here.
set -u
ROOT=.
FIX=0
for a in "$@"; do
    case $a in
    --fix) FIX=1 ;;
    -h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) ROOT=$a ;;
    esac
done
cd "$ROOT" || { echo "check-spdx: cannot enter $ROOT"; exit 1; }
TAG="SPDX-License-Identifier: BSD-3-Clause"

list_files() {
    if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        git ls-files --cached --others --exclude-standard
    else
        find . -path ./.git -prune -o -path './build*' -prune -o -type f -print | sed 's|^\./||'
    fi
}

# The comment syntax of a file, or nothing when it is not a source here.
style_of() {
    case $1 in
    debian/changelog | debian/copyright | debian/source/format | debian/*.debhelper* | debian/*.substvars) ;;
    debian/files | debian/tmp/* | debian/.debhelper/*) ;;
    debian/zenedge-*/* | debian/libzenedge-*/*) ;;
    *.c | *.h | *.S | *.ld | *.cl | *.cu) echo c ;;
    *.sh | *.py | *.cmake | *CMakeLists.txt | *Makefile | *.gp | *.in | *.conf | *.supp | *.ini) echo hash ;;
    .clang-format | .gitignore | */.gitignore | debian/rules | debian/control | debian/*.install) echo hash ;;
    debian/*.dirs | debian/*.links | debian/*.maintscript | debian/*.lintian-overrides) echo hash ;;
    debian/watch | debian/*.docs | debian/*.manpages | debian/*.examples) echo hash ;;
    *.[1-8]) echo man ;;
    esac
}

add_line() { # file style
    f=$1
    case $2 in
    c) line="/* $TAG */" ;;
    man) line=".\\\" $TAG" ;;
    *) line="# $TAG" ;;
    esac
    tmp=$f.spdx.$$
    if head -n 1 "$f" | grep -q '^#!'; then
        { head -n 1 "$f"; printf '%s\n' "$line"; tail -n +2 "$f"; } >"$tmp"
    else
        { printf '%s\n' "$line"; cat "$f"; } >"$tmp"
    fi
    cat "$tmp" >"$f" && rm -f "$tmp" # cat >: keeps the mode (scripts stay executable)
}

missing=0
checked=0
for f in $(list_files); do
    [ -f "$f" ] || continue
    s=$(style_of "$f")
    [ -n "$s" ] || continue
    checked=$((checked + 1))
    head -n 5 "$f" | grep -q "$TAG" && continue
    if [ "$FIX" = 1 ]; then
        add_line "$f" "$s"
        echo "check-spdx: added to $f"
        continue
    fi
    echo "check-spdx: no '$TAG' in the first 5 lines of $f"
    missing=$((missing + 1))
done
if [ "$missing" -gt 0 ]; then
    echo "check-spdx: $missing of $checked source files lack the licence line (fix: scripts/check-spdx.sh . --fix)"
    exit 1
fi
echo "check-spdx: $checked source files carry the licence line"
exit 0
