#!/bin/sh
# freestanding_rtos.sh - cross-builds the ZENEDGE side (core + rtos/ +
# the template port) with -ffreestanding -nostdlib for Cortex-M4, RISC-V 64
# and AArch64, checks with nm that rtos/ + core leave no undefined symbol
# but the zport_* hooks, and prints a size report (text/data/bss per object).
# Usage: freestanding_rtos.sh SOURCE_DIR WORK_DIR. Exit 0 pass, 1 fail,
# 77 skip (no cross compiler at all).
set -u
src=$1
work=$2
mkdir -p "$work"
warn="-Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith -Wcast-align -Wundef -Werror"
common="-std=c11 -ffreestanding -nostdlib -fno-tree-loop-distribute-patterns -Os -I$src/include -I$src/rtos -I$src/ports/template"
core="ipc_doorbell ipc_errors ipc_heap ipc_region ipc_ring lat_hist"
rtos="contract job_table lat_trace liveness proxy"
ran=0
fail=0
for target in arm-none-eabi riscv64-unknown-elf aarch64-linux-gnu; do
    cc=$target-gcc
    if ! command -v "$cc" >/dev/null 2>&1; then
        echo "freestanding: $cc not found, target skipped"
        continue
    fi
    case $target in
        arm-none-eabi) flags="-mcpu=cortex-m4 -mthumb" ;;
        riscv64-unknown-elf) flags="-march=rv64imac -mabi=lp64 -mcmodel=medany" ;;
        *) flags="" ;;
    esac
    out=$work/$target
    mkdir -p "$out"
    objs=""
    for f in $core; do
        # core warnings are checked by the core's own freestanding test
        $cc $common $flags -c "$src/core/$f.c" -o "$out/$f.o" || { echo "freestanding: $target: core/$f.c does not build"; fail=1; }
        objs="$objs $out/$f.o"
    done
    for f in $rtos; do
        $cc $common $flags $warn -c "$src/rtos/$f.c" -o "$out/$f.o" || { echo "freestanding: $target: rtos/$f.c does not build"; fail=1; }
        objs="$objs $out/$f.o"
    done
    # each public header of rtos/ compiles alone
    for h in contract.h proxy.h zenedge_config.h zport.h; do
        printf '#include "%s"\n' "$h" > "$out/alone.c"
        $cc $common $flags $warn -c "$out/alone.c" -o "$out/alone.o" || { echo "freestanding: $target: rtos/$h does not compile alone"; fail=1; }
    done
    # the template port compiles too
    $cc $common $flags $warn -c "$src/ports/template/port.c" -o "$out/port_template.o" ||
        { echo "freestanding: $target: ports/template does not build"; fail=1; }
    [ $fail -eq 0 ] || continue
    ran=1
    nm=$target-nm
    ld=$target-ld
    $ld -r -o "$out/zenedge_side.o" $objs || { echo "freestanding: $target: partial link failed"; fail=1; continue; }
    undef=$($nm -u "$out/zenedge_side.o" | awk '{print $2}' | grep -v '^zport_' || true)
    if [ -n "$undef" ]; then
        echo "freestanding: $target: undefined symbols outside the porting layer:"
        echo "$undef" | sed 's/^/    /'
        fail=1
    else
        echo "freestanding: $target: no undefined symbol but zport_* ($($nm -u "$out/zenedge_side.o" | wc -l) hooks)"
    fi
    # with the template port linked in, nothing at all stays undefined
    $ld -r -o "$out/with_port.o" "$out/zenedge_side.o" "$out/port_template.o"
    left=$($nm -u "$out/with_port.o" | awk '{print $2}')
    if [ -n "$left" ]; then
        echo "freestanding: $target: with the template port still undefined: $left"
        fail=1
    fi
    echo "freestanding: size report $target (-Os):"
    $target-size $objs | sed -e "s|$out/||" -e 's/^/    /'
done
[ $fail -ne 0 ] && exit 1
[ $ran -eq 0 ] && { echo "freestanding: no cross compiler found"; exit 77; }
exit 0
