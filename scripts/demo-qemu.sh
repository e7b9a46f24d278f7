#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# demo-qemu.sh - ZENEDGE as a bare-metal 32-bit guest in QEMU, sharing the
# region with the host over an ivshmem device (docs/qemu.md).
#
# Builds the guest image and the host programs (unless given), creates and
# zeroes the backing file in /dev/shm, starts the host side (zenedge-bridged
# on the file, or zenedge-qemu-peer for the PING-only tests), starts QEMU
# headless with the guest, prints the guest's serial console, checks the
# summary line, the guest's exit status and the host side's counters, and
# removes every process and file it made, on any exit.
#
# Exit: 0 pass, 1 fail, 2 usage, 77 QEMU (qemu-system-x86) not installed.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)

usage() {
    cat <<'USAGE'
Usage: scripts/demo-qemu.sh [OPTION]...
Run the ZENEDGE guest in QEMU against the host side over ivshmem.
  --mode MODE        demo (contracts, all four models; default), ping (round
                     trips only) or hostile (bad packets; the bridge must
                     answer each with an error and keep serving)
  --doorbell MODE    poll: ivshmem-plain, both sides poll, the guest halts
                     between polls (default); msix: ivshmem-doorbell, the
                     host side is the ivshmem server, the guest rings the
                     Doorbell register and gets completions as MSI-X
  --host PROG        bridge (zenedge-bridged, default) or peer
                     (zenedge-qemu-peer: answers PINGs only; for --mode ping)
  --digits N         digits samples classified by the guest (default: all 359)
  --jobs N           jobs of each other guest task (default 32)
  --pings N          PING round trips measured (default 200)
  --spin-us N        guest: polling before each halt (default 200)
  --relocate         guest: move BAR2 itself and check the read-back
  --size-mb N        region (BAR2) size, power of two (default 1)
  --timeout-s N      limit for the whole QEMU run (default 120)
  --min-accuracy X   fail below this digits accuracy (default 0.95, demo only)
  --build-dir DIR    host build directory (default build); the guest is built
                     in DIR/guests/x86-qemu
  --guest ELF        use this guest image instead of building it
  --bridge PATH      use this zenedge-bridged
  --peer PATH        use this zenedge-qemu-peer
  --keep-log FILE    copy the guest's serial log to FILE
  --help             this text
USAGE
}

mode=demo doorbell=poll host=bridge digits="" jobs="" pings="" spin_us="" relocate=0
size_mb=1 timeout_s=120 min_acc=0.95 build_dir="$top/build" guest="" bridge="" peer="" keep_log=""
while [ $# -gt 0 ]; do
    case "$1" in
        --mode) mode=$2; shift ;;
        --doorbell) doorbell=$2; shift ;;
        --host) host=$2; shift ;;
        --digits) digits=$2; shift ;;
        --jobs) jobs=$2; shift ;;
        --pings) pings=$2; shift ;;
        --spin-us) spin_us=$2; shift ;;
        --relocate) relocate=1 ;;
        --size-mb) size_mb=$2; shift ;;
        --timeout-s) timeout_s=$2; shift ;;
        --min-accuracy) min_acc=$2; shift ;;
        --build-dir) build_dir=$2; shift ;;
        --guest) guest=$2; shift ;;
        --bridge) bridge=$2; shift ;;
        --peer) peer=$2; shift ;;
        --keep-log) keep_log=$2; shift ;;
        --help|-h) usage; exit 0 ;;
        *) echo "demo-qemu: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done
case "$mode" in demo|ping|hostile) ;; *) echo "demo-qemu: --mode $mode" >&2; exit 2 ;; esac
case "$doorbell" in poll|msix) ;; *) echo "demo-qemu: --doorbell $doorbell" >&2; exit 2 ;; esac
case "$host" in bridge|peer) ;; *) echo "demo-qemu: --host $host" >&2; exit 2 ;; esac

qemu=$(command -v qemu-system-i386 || command -v qemu-system-x86_64 || true)
if [ -z "$qemu" ]; then
    echo "skipped: qemu-system-x86 not installed"
    exit 77
fi

# ---- build what was not given ------------------------------------------
if [ -z "$guest" ]; then
    gdir="$build_dir/guests/x86-qemu"
    mkdir -p "$build_dir/guests" || exit 1
    cmake -S "$top/guests/x86-qemu" -B "$gdir" \
          -DCMAKE_TOOLCHAIN_FILE="$top/cmake/toolchains/i386-none.cmake" >"$gdir.configure.log" 2>&1 \
        || { cat "$gdir.configure.log"; exit 1; }
    cmake --build "$gdir" >"$gdir.build.log" 2>&1 || { cat "$gdir.build.log"; exit 1; }
    guest="$gdir/zenedge-guest.elf"
fi
if { [ "$host" = bridge ] && [ -z "$bridge" ]; } || { [ "$host" = peer ] && [ -z "$peer" ]; }; then
    cmake -S "$top" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build_dir.qemu-configure.log" 2>&1 \
        || { cat "$build_dir.qemu-configure.log"; exit 1; }
    tgt=zenedge-bridged
    [ "$host" = peer ] && tgt=zenedge-qemu-peer
    cmake --build "$build_dir" -j"${JOBS:-2}" --target "$tgt" >"$build_dir.qemu-build.log" 2>&1 \
        || { grep -E 'error|Error' "$build_dir.qemu-build.log" | head -30; exit 1; }
    [ -z "$bridge" ] && bridge="$build_dir/bridge/zenedge-bridged"
    [ -z "$peer" ] && peer="$build_dir/tests/qemu/zenedge-qemu-peer"
fi
for f in "$guest" $([ "$host" = bridge ] && echo "$bridge" || echo "$peer"); do
    [ -f "$f" ] || { echo "demo-qemu: missing $f" >&2; exit 1; }
done

# ---- files and processes, all removed / stopped on exit ------------------
size=$((size_mb * 1024 * 1024))
work=$(mktemp -d "${TMPDIR:-/tmp}/zenedge-qemu.XXXXXX") || exit 1
shmdir=/dev/shm
[ -d "$shmdir" ] && [ -w "$shmdir" ] || shmdir=$work
shm="$shmdir/zenedge-qemu-$$"
sock="$work/ivshmem.sock"
serial="$work/serial.log"
hostlog="$work/host.log"
stats="$work/bridge.stats"
host_pid="" qemu_pid=""

cleanup() {
    [ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null && wait "$qemu_pid" 2>/dev/null
    if [ -n "$host_pid" ] && kill -0 "$host_pid" 2>/dev/null; then
        kill -TERM "$host_pid" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$host_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$host_pid" 2>/dev/null
        wait "$host_pid" 2>/dev/null
    fi
    rm -f "$shm"
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# QEMU never zeroes nor removes the backing file: make a fresh, zeroed one
# of exactly the device size.
rm -f "$shm"
truncate -s "$size" "$shm" || exit 1

if [ "$host" = bridge ]; then
    hargs=(--file "$shm" --size "$size" --models "$top/models" --stats-file "$stats" --log-level info)
    if [ "$doorbell" = msix ]; then
        if ! "$bridge" --help 2>/dev/null | grep -q -- '--ivshmem-socket'; then
            echo "demo-qemu: this zenedge-bridged has no --ivshmem-socket (ivshmem server); use --doorbell poll or --host peer" >&2
            exit 1
        fi
        hargs+=(--doorbell adaptive --ivshmem-socket "$sock")
    else
        hargs+=(--doorbell poll)
    fi
    "$bridge" "${hargs[@]}" >"$hostlog" 2>&1 &
else
    hargs=(--file "$shm" --size "$size" --timeout-s "$timeout_s")
    [ "$doorbell" = msix ] && hargs+=(--ivshmem-socket "$sock" --doorbell adaptive)
    "$peer" "${hargs[@]}" >"$hostlog" 2>&1 &
fi
host_pid=$!

qargs=(-M pc -m 64M -nodefaults -display none -monitor none -no-reboot
       -serial "file:$serial" -kernel "$guest"
       -device isa-debug-exit,iobase=0xf4,iosize=0x04)
if [ "$doorbell" = msix ]; then
    # The host side serves the ivshmem protocol: wait for its socket.
    for _ in $(seq 100); do [ -S "$sock" ] && break; kill -0 "$host_pid" 2>/dev/null || break; sleep 0.05; done
    [ -S "$sock" ] || { echo "demo-qemu: the host side did not open $sock"; cat "$hostlog"; exit 1; }
    qargs+=(-chardev "socket,path=$sock,id=zdb" -device "ivshmem-doorbell,chardev=zdb,vectors=1")
else
    qargs+=(-object "memory-backend-file,id=zmem,share=on,mem-path=$shm,size=$size"
            -device "ivshmem-plain,memdev=zmem")
fi
append="mode=$mode doorbell=$doorbell wait_s=20"
[ -n "$digits" ] && append="$append digits=$digits"
[ -n "$jobs" ] && append="$append jobs=$jobs"
[ -n "$pings" ] && append="$append pings=$pings"
[ -n "$spin_us" ] && append="$append spin_us=$spin_us"
[ "$relocate" = 1 ] && append="$append relocate=1"
qargs+=(-append "$append")

echo "demo-qemu: $(basename "$qemu") ${qargs[*]}"
t0=$(date +%s%N)
timeout -k 5 "$timeout_s" "$qemu" "${qargs[@]}" </dev/null >"$work/qemu.out" 2>&1 &
qemu_pid=$!
wait "$qemu_pid"
qrc=$?
qemu_pid=""
t1=$(date +%s%N)

# Stop the host side cleanly; the bridge writes its statistics on exit.
kill -TERM "$host_pid" 2>/dev/null
hrc=0
for _ in $(seq 100); do kill -0 "$host_pid" 2>/dev/null || break; sleep 0.05; done
wait "$host_pid"; hrc=$?
host_pid=""

echo "---- guest serial console"
cat "$serial" 2>/dev/null
[ -n "$keep_log" ] && cp "$serial" "$keep_log"
echo "---- host side ($host)"
tail -n 8 "$hostlog"
[ -s "$work/qemu.out" ] && { echo "---- qemu"; cat "$work/qemu.out"; }
echo "----"
echo "demo-qemu: QEMU exit status $qrc (33 = guest pass, 35 = guest fail, 124 = time limit), $(( (t1 - t0) / 1000000 )) ms"

fail=0
line=$(grep -E '^demo: mode=qemu ' "$serial" | tail -n 1)
if [ -z "$line" ]; then
    echo "FAIL: no summary line on the guest console"; fail=1
fi
[ "$qrc" -eq 33 ] || { echo "FAIL: guest exit status $qrc, expected 33"; fail=1; }
val() { printf '%s\n' "$line" | sed -n "s/.* $1=\([0-9.]*\).*/\1/p"; }
bstat() { [ -f "$stats" ] && sed -n "s/^$1 \([0-9]*\)$/\1/p" "$stats"; }
jobs_n=$(val jobs); failed_n=$(val failed); acc=$(val accuracy)
[ "${failed_n:-1}" = 0 ] || { echo "FAIL: failed=${failed_n:-?}"; fail=1; }
if [ "$mode" = demo ] && [ -n "$line" ]; then
    awk -v a="$acc" -v m="$min_acc" 'BEGIN { exit !(a + 0 >= m + 0) }' \
        || { echo "FAIL: accuracy $acc below $min_acc"; fail=1; }
fi
if [ "$host" = bridge ]; then
    [ "$hrc" -eq 0 ] || { echo "FAIL: zenedge-bridged exit status $hrc"; fail=1; }
    if [ "$doorbell" = msix ]; then
        # The daemon is the ivshmem server: the guest must have taken its
        # completions as MSI-X at least once (it halts between polls).
        irqs=$(sed -n 's/.* msix_irqs=\([0-9]*\).*/\1/p' "$serial" | tail -n 1)
        echo "bridge as ivshmem server: guest took ${irqs:-0} MSI-X interrupts"
        [ "${irqs:-0}" -gt 0 ] || { echo "FAIL: the guest took no MSI-X interrupt"; fail=1; }
    fi
    if [ ! -f "$stats" ]; then
        echo "FAIL: no statistics from zenedge-bridged"; fail=1
    elif [ "$mode" = demo ]; then
        # Every guest job reached the bridge once and was answered OK.
        [ "$(bstat rx.run_model)" = "$jobs_n" ] || { echo "FAIL: bridge rx.run_model=$(bstat rx.run_model), guest jobs=$jobs_n"; fail=1; }
        [ "$(bstat tx.error)" = 0 ] || { echo "FAIL: bridge tx.error=$(bstat tx.error)"; fail=1; }
        echo "bridge: rx.run_model=$(bstat rx.run_model) rx.ping=$(bstat rx.ping) tx.job_done=$(bstat tx.job_done) status.OK=$(bstat status.OK)"
    elif [ "$mode" = hostile ]; then
        # 4 unattributable packets -> CMD_ERROR; every bad descriptor an error status.
        [ "$(bstat tx.error)" = 4 ] || { echo "FAIL: bridge tx.error=$(bstat tx.error), expected 4"; fail=1; }
        bad=0
        for s in BAD_FLAGS STALE BAD_DESC BAD_QOS BAD_MODEL BAD_TENSOR_COUNT BAD_TENSOR_RANGE BAD_TENSOR_SIZE; do
            n=$(bstat "status.$s"); [ "${n:-0}" -gt 0 ] || { echo "FAIL: bridge status.$s=0"; bad=1; }
        done
        [ "$bad" = 0 ] || fail=1
        echo "bridge: tx.error=$(bstat tx.error) status.OK=$(bstat status.OK) (the bridge kept serving)"
    fi
else
    pline=$(grep -E '^peer: pings=' "$hostlog" | tail -n 1)
    echo "$pline"
    [ -n "$pline" ] || { echo "FAIL: no counters from zenedge-qemu-peer"; fail=1; }
    [ "$hrc" -eq 0 ] || { echo "FAIL: zenedge-qemu-peer exit status $hrc"; fail=1; }
    if [ "$doorbell" = msix ]; then
        irqs=$(sed -n 's/.* msix_irqs=\([0-9]*\).*/\1/p' "$serial" | tail -n 1)
        [ "${irqs:-0}" -gt 0 ] || { echo "FAIL: the guest took no MSI-X interrupt"; fail=1; }
    fi
fi
if [ "$relocate" = 1 ]; then
    grep -q 'relocated by us, read back ok' "$serial" || { echo "FAIL: BAR2 was not relocated"; fail=1; }
fi
if [ "$fail" = 0 ]; then
    echo "demo-qemu: PASS ($line)"
else
    echo "demo-qemu: FAIL"
fi
exit "$fail"
