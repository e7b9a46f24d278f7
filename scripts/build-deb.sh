#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# build-deb.sh - the Debian packages (debian/) from the working tree:
# copies the tracked and new files (not the ignored ones) to OUT/src,
# runs dpkg-buildpackage -b -us -uc there, then lintian on the result.
# The .deb files land in OUT (default build-deb/), never in the tree.
# Usage: build-deb.sh [OUT]
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$TOP/build-deb}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
rm -rf "$OUT/src" "$OUT"/*.deb "$OUT"/*.changes "$OUT"/*.buildinfo
mkdir -p "$OUT/src"
cd "$TOP"
git ls-files --cached --others --exclude-standard | while read -r f; do [ -e "$f" ] || [ -L "$f" ] && echo "$f"; done |
    tar -T - -cf - | tar -xf - -C "$OUT/src"
cd "$OUT/src"
dpkg-buildpackage -b -us -uc -j"${JOBS:-2}" >"$OUT/build.log" 2>&1 || { tail -n 40 "$OUT/build.log"; echo "build-deb: dpkg-buildpackage failed (log: $OUT/build.log)"; exit 1; }
cd "$OUT"
ls -1 ./*.deb
if command -v lintian >/dev/null; then
    lintian --fail-on error ./*.changes | tee "$OUT/lintian.log" || { echo "build-deb: lintian found errors"; exit 1; }
fi
echo "build-deb: packages in $OUT"
