#!/bin/sh
# Cross-build the ZENEDGE-side code freestanding for one embedded target,
# check that it references no symbol outside itself except the porting
# hooks (zport_*) and print its size per object.
# Usage: scripts/cross-build.sh <arm-none-eabi-cortex-m4|riscv64-unknown-elf|aarch64-none> <build-dir>
# Exit: 0 ok, 1 failure, 77 cross compiler not installed (a skip, not a pass).
set -eu
target=$1
out=$2
top=$(cd "$(dirname "$0")/.." && pwd)
tc="$top/cmake/toolchains/$target.cmake"
[ -f "$tc" ] || { echo "unknown target $target"; exit 1; }
prefix=$(sed -n 's/^set(ZENEDGE_CROSS_PREFIX \(.*\))$/\1/p' "$tc")
if ! command -v "${prefix}gcc" >/dev/null 2>&1; then
    echo "skipped: ${prefix}gcc not installed"
    exit 77
fi
cmake -S "$top/cmake/freestanding" -B "$out" -DCMAKE_TOOLCHAIN_FILE="$tc" \
      -DCMAKE_BUILD_TYPE=MinSizeRel >"$out.configure.log" 2>&1 || { cat "$out.configure.log"; exit 1; }
cmake --build "$out" >"$out.build.log" 2>&1 || { cat "$out.build.log"; exit 1; }

status=0
report="$out/size-report.txt"
: >"$report"
for lib in "$out"/libzenedge_*_fs.a; do
    [ -f "$lib" ] || continue
    echo "== $target $(basename "$lib")" >>"$report"
    "${prefix}size" -t "$lib" | sed 's|(ex .*)||' >>"$report"
done
# Symbols the whole set needs but does not define: only the port may remain.
libs=$(ls "$out"/libzenedge_*_fs.a)
defined=$("${prefix}nm" --defined-only $libs 2>/dev/null | awk 'NF==3 {print $3}' | sort -u)
undef=$("${prefix}nm" -u $libs 2>/dev/null | awk 'NF==2 && $1=="U" {print $2}' | sort -u)
missing=$(printf '%s\n' "$undef" | grep -vxF -e "$defined" -e "" | grep -v '^zport_' || true)
cat "$report"
if [ -n "$missing" ]; then
    echo "FAIL: $target: undefined symbols outside the porting layer:"
    printf '  %s\n' $missing
    status=1
else
    echo "$target: no undefined symbol outside the porting layer (zport_*)"
fi
exit $status
