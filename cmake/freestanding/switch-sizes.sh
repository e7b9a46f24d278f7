#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# switch-sizes.sh - what each feature switch of rtos/zenedge_config.h
# costs: the minimal reference application (examples/footprint) linked
# for Cortex-M4 (-Os, --gc-sections, no LTO) with its configuration as
# is, then with one switch turned on at a time; prints flash (.text +
# .rodata + .data) and RAM (.data + .bss) and the difference to the
# minimal one, as the table of docs/porting.md.
#
# Usage: cmake/freestanding/switch-sizes.sh [CROSS_PREFIX]   (default arm-none-eabi-)
# Exit 0, 77 when the cross compiler is missing.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cc=${1:-arm-none-eabi-}gcc
size=${1:-arm-none-eabi-}size
command -v "$cc" >/dev/null 2>&1 || { echo "switch-sizes.sh: $cc not found: skipped" >&2; exit 77; }
out=$(mktemp -d "${TMPDIR:-/tmp}/switch-sizes.XXXXXX")
trap 'rm -rf "$out"' EXIT INT TERM
app=$top/examples/footprint
# The sources of the freestanding build, from the same lists (core and
# rtos/sources.cmake), so that a new file is never missed.
list_c() { sed -n "s|^ *\${CMAKE_CURRENT_LIST_DIR}/\(.*\\.c\)\$|$1/\1|p" "$1/sources.cmake"; }
srcs="$(list_c "$top/core") $(list_c "$top/rtos") $top/ports/template/port.c $app/app_start.c"

# build NAME SED_EXPR [SOURCE]: link the application with the minimal
# configuration edited by SED_EXPR; prints "flash ram".
build() {
    mkdir -p "$out/$1"
    sed "$2" "$app/minimal_cfg.h" >"$out/$1/cfg.h"
    "$cc" -mcpu=cortex-m4 -mthumb -Os -ffreestanding -nostdlib -nostartfiles -fno-builtin \
        -fno-tree-loop-distribute-patterns -ffunction-sections -fdata-sections -mgeneral-regs-only \
        -I"$top/include" -I"$top/rtos" -I"$top/ports/template" -I"$app" -I"$out/$1" \
        -DZENEDGE_USER_CONFIG='"cfg.h"' -Wl,--gc-sections -T "$app/app.ld" $srcs "${3:-$app/minimal.c}" \
        -o "$out/$1/app.elf"
    [ -f "$out/$1/app.elf" ] || { echo "switch-sizes.sh: $1 did not link" >&2; exit 1; }
    "$size" -A "$out/$1/app.elf" | awk '
        $1 == ".text" || $1 == ".rodata" { f += $2 } $1 == ".data" { f += $2; r += $2 } $1 == ".bss" { r += $2 }
        END { print f, r }'
}

set -- $(build base 's/x/x/')
base_f=$1 base_r=$2
echo "| switch (from the minimal configuration) | flash, B | RAM, B | flash added | RAM added |"
echo "|---|---:|---:|---:|---:|"
echo "| none (minimal.c as configured) | $base_f | $base_r | | |"
row() {
    set -- "$1" $(build "$2" "$3" "${4:-}")
    echo "| $1 | $2 | $3 | $(($2 - base_f)) | $(($3 - base_r)) |"
}
row "ZEN_CFG_LOG_LEVEL 0 (errors)" log0 's/^#define ZEN_CFG_LOG_LEVEL .*/#define ZEN_CFG_LOG_LEVEL 0/'
row "ZEN_CFG_LOG_LEVEL 3 (debug)" log3 's/^#define ZEN_CFG_LOG_LEVEL .*/#define ZEN_CFG_LOG_LEVEL 3/'
row "ZEN_CFG_ZERO_COPY 1 (unused by the application)" zc 's/^#define ZEN_CFG_ZERO_COPY .*/#define ZEN_CFG_ZERO_COPY 1/'
row "ZEN_CFG_STAGE_TIMES 1" st 's/^#define ZEN_CFG_STAGE_TIMES .*/#define ZEN_CFG_STAGE_TIMES 1/'
row "ZEN_CFG_START_TAILS 1" tails 's/^#define ZEN_CFG_START_TAILS .*/#define ZEN_CFG_START_TAILS 1/'
row "ZEN_CFG_JOB_TRACE 1 (and ZEN_CFG_FIXED_LAYOUT 0)" trace 's/^#define ZEN_CFG_JOB_TRACE .*/#define ZEN_CFG_JOB_TRACE 1/; s/^#define ZEN_CFG_FIXED_LAYOUT .*/#define ZEN_CFG_FIXED_LAYOUT 0/'
row "ZEN_CFG_REJECT_COUNTERS 1" rej 's/^#define ZEN_CFG_REJECT_COUNTERS .*/#define ZEN_CFG_REJECT_COUNTERS 1/'
row "ZEN_CFG_MAX_TENSORS 4" tens 's/^#define ZEN_CFG_MAX_TENSORS .*/#define ZEN_CFG_MAX_TENSORS 4u/'
row "ZEN_CFG_MAX_SQ 8 (and ZEN_CFG_FIXED_LAYOUT 0)" sq 's/^#define ZEN_CFG_MAX_SQ .*/#define ZEN_CFG_MAX_SQ 8u/; s/^#define ZEN_CFG_FIXED_LAYOUT .*/#define ZEN_CFG_FIXED_LAYOUT 0/'
row "ZEN_CFG_FIXED_LAYOUT 0 (the geometry from proxy_config_t)" nofix 's/^#define ZEN_CFG_FIXED_LAYOUT .*/#define ZEN_CFG_FIXED_LAYOUT 0/'
row "ZEN_CFG_CONTRACT 0 (proxy_only.c: proxy_submit, proxy_wait)" noc \
    's/^#define ZEN_CFG_CONTRACT .*/#define ZEN_CFG_CONTRACT 0/' "$app/proxy_only.c"
echo "(ZEN_CFG_LAT_HIST: nothing is linked unless the application calls lat_trace_*; examples/footprint/full.c does.)"
