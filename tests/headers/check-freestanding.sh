#!/bin/sh
# Each public header compiles alone with arm-none-eabi-gcc -ffreestanding
# -nostdlib, and sizeof(ipc_packet_t) == 16 there too (a 32-bit target).
# Usage: check-freestanding.sh <include-dir> <header>...   Exit 77 without the compiler.
set -eu
inc=$1; shift
command -v arm-none-eabi-gcc >/dev/null 2>&1 || { echo "skipped: arm-none-eabi-gcc not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
for h in "$@"; do
    printf '#include "%s"\ntypedef int header_alone_t;\n' "$h" >"$tmp/t.c"
    if arm-none-eabi-gcc -std=c11 -mcpu=cortex-m4 -mthumb -ffreestanding -nostdlib -Wall -Wextra \
        -Werror -Wpedantic -I"$inc" -c "$tmp/t.c" -o "$tmp/t.o" 2>"$tmp/err"; then
        echo "ok    $h"
    else
        echo "FAIL  $h"; cat "$tmp/err"; fail=1
    fi
done
printf '#include "zenedge/ipc_proto.h"\n_Static_assert(sizeof(ipc_packet_t) == 16, "16");\n_Static_assert(sizeof(ipc_job_desc_t) == 256, "256");\n_Static_assert(sizeof(ipc_region_hdr_t) == 256, "256");\n' >"$tmp/s.c"
arm-none-eabi-gcc -std=c11 -mcpu=cortex-m4 -mthumb -ffreestanding -nostdlib -I"$inc" -c "$tmp/s.c" -o "$tmp/s.o" \
    && echo "ok    sizeof(ipc_packet_t) == 16 on Cortex-M4" || fail=1
exit $fail
