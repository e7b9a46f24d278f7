#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# install.sh - cmake --install into a temporary prefix, then the installed zenedge-bridged: --help, --version with the example config, --list-devices, the pkg-config file, and a short real run on the installed models.
# Usage: install.sh BUILD_DIR [ZENEDGE_SIM]
set -u
BUILD=$1
SIM=${2:-}
TMP=${TMPDIR:-/tmp}
PREFIX=$(mktemp -d "$TMP/zenedge-install-XXXXXX")
TAG=zenedge-it-install-$$
BPID=
SPID=
cleanup() {
    [ -n "$SPID" ] && kill -9 "$SPID" 2>/dev/null
    [ -n "$BPID" ] && kill -9 "$BPID" 2>/dev/null
    [ -n "$SPID" ] && wait "$SPID" 2>/dev/null
    [ -n "$BPID" ] && wait "$BPID" 2>/dev/null
    rm -rf "$PREFIX" "/dev/shm/$TAG" "$TMP/$TAG.sock"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
fail() { echo "FAIL: $*"; [ -f "$PREFIX/bridge.log" ] && tail -n 30 "$PREFIX/bridge.log"; exit 1; }

cmake --install "$BUILD" --prefix "$PREFIX" >"$PREFIX/install.log" 2>&1 || { cat "$PREFIX/install.log"; fail "cmake --install"; }
D=$PREFIX/sbin/zenedge-bridged
for f in sbin/zenedge-bridged bin/zenedge-ipc share/man/man8/zenedge-bridged.8 share/man/man1/zenedge-ipc.1 \
         share/man/man1/zenedge-sim.1 etc/zenedge/zenedge-bridged.conf lib/systemd/system/zenedge-bridged.service \
         lib/systemd/system/zenedge-bridged@.service share/zenedge/systemd/rt-priority.conf \
         lib/sysusers.d/zenedge.conf include/zenedge/ipc_proto.h bin/zenedge-bench share/man/man1/zenedge-bench.1 \
         share/zenedge/models/vector_add/model.ini share/zenedge/models/saxpy/model.ini \
         share/zenedge/models/gemm/model.ini share/zenedge/models/digits_mlp/model.ini \
         share/zenedge/models/digits_mlp/w1.f32; do
    [ -e "$PREFIX/$f" ] || fail "not installed: $f"
done
PC=$(find "$PREFIX" -name zenedge.pc | head -n 1)
[ -n "$PC" ] || fail "zenedge.pc not installed"
grep -q "ProtectSystem=strict" "$PREFIX/lib/systemd/system/zenedge-bridged.service" || fail "unit not hardened"
grep -q "NoNewPrivileges=yes" "$PREFIX/lib/systemd/system/zenedge-bridged.service" || fail "unit not hardened"
# Units: no capability unless the real-time drop-in is added; umask 0077;
# the template has one runtime directory, config and account per region;
# the region mode and group the units state match the code's defaults.
U=$PREFIX/lib/systemd/system/zenedge-bridged.service
T=$PREFIX/lib/systemd/system/zenedge-bridged@.service
RT=$PREFIX/share/zenedge/systemd/rt-priority.conf
for u in "$U" "$T"; do
    grep -q "ProtectSystem=strict" "$u" || fail "$u not hardened"
    grep -q "^UMask=0077$" "$u" || fail "$u: UMask is not 0077"
    grep -q "^CapabilityBoundingSet=$" "$u" || fail "$u: capabilities not empty"
    if grep -q "^[A-Za-z]*Capabilit.*CAP_SYS_NICE" "$u"; then fail "$u grants CAP_SYS_NICE without an RT priority"; fi
    grep -q "^RestartPreventExitStatus=64 65 66 75 78$" "$u" || fail "$u restarts on 'another daemon serves the region'"
    grep -q "^Type=notify$" "$u" || fail "$u: not Type=notify"
    grep -q "^WatchdogSec=" "$u" || fail "$u: no WatchdogSec"
    grep -q -- "--shm-group" "$u" || fail "$u does not say how the region is created"
done
grep -q "^RuntimeDirectory=zenedge/%i$" "$T" || fail "template: no runtime directory per instance"
grep -q "zenedge/%i.conf" "$T" || fail "template: no config per instance"
grep -q "^User=zenedge-%i$" "$T" || fail "template: no account per instance"
grep -q "^LimitRTPRIO=" "$RT" || fail "rt-priority.conf grants no RT limit"
grep -q "^shm_group = zenedge$" "$PREFIX/etc/zenedge/zenedge-bridged.conf" || fail "example config: no shm_group"
"$D" --help | grep -q -- "--shm-group GROUP" || fail "--help lacks --shm-group"
if [ -n "$SIM" ] && [ -x "$SIM" ]; then
    "$SIM" --help | grep -q "default 0660 with" || fail "zenedge-sim --help: the region's default mode"
fi
if command -v systemd-analyze >/dev/null 2>&1; then
    systemd-analyze verify "$U" "$T" 2>&1 | grep -i "unknown\|invalid" && fail "systemd-analyze verify"
fi
echo "installed files present under the prefix"

"$D" --help | grep -q -- "--doorbell MODE" || fail "--help"
"$D" --config "$PREFIX/etc/zenedge/zenedge-bridged.conf" --version || fail "example config refused"
"$D" --list-devices | grep -q '^cpu' || fail "--list-devices shows no cpu device"
"$PREFIX/bin/zenedge-ipc" --help >/dev/null || fail "zenedge-ipc --help"

# The pkg-config file points at the installed headers and library.
if command -v pkg-config >/dev/null && command -v cc >/dev/null; then
    printf '#include "zenedge/ipc_proto.h"\n#include "zenedge/ipc_errors.h"\nint main(void){return sizeof(ipc_packet_t)==16 && ipc_strerror(0)[0]==0x49 ? 0 : 1;}\n' >"$PREFIX/t.c"
    # shellcheck disable=SC2046
    # A sanitizer build installs an instrumented library: link the same runtime.
    SANFLAGS=
    case "${ZENEDGE_SANITIZE:-}" in
        address) SANFLAGS="-fsanitize=address,undefined" ;;
        thread) SANFLAGS="-fsanitize=thread" ;;
    esac
    cc $SANFLAGS -o "$PREFIX/t" "$PREFIX/t.c" $(PKG_CONFIG_PATH=$(dirname "$PC") pkg-config --cflags --libs zenedge) \
        || fail "cannot build against the installed pkg-config file"
    "$PREFIX/t" || fail "program built against the installed library"
    echo "pkg-config: a program builds and runs against the installed core"
fi

# A short real run: the installed daemon finds the installed models by itself.
"$D" --shm "/$TAG" --doorbell adaptive --socket "$TMP/$TAG.sock" --exit-after-idle-s 20 2>"$PREFIX/bridge.log" &
BPID=$!
if [ -n "$SIM" ] && [ -x "$SIM" ]; then
    S=$SIM
    [ -x "$PREFIX/bin/zenedge-sim" ] && S=$PREFIX/bin/zenedge-sim
    timeout 120 "$S" --shm "/$TAG" --doorbell adaptive --socket "$TMP/$TAG.sock" \
        --models "$PREFIX/share/zenedge/models" --timeout-s 30 --quiet \
        --task name=t,model=vector_add+saxpy+gemm,count=30 --task name=d,model=digits_mlp,count=50 &
    SPID=$!
    wait "$SPID" || fail "zenedge-sim against the installed daemon"
    SPID=
else
    # No simulator built: check the daemon attaches and reports READY.
    sleep 1
    grep -q "waiting for the region" "$PREFIX/bridge.log" || fail "installed daemon did not start waiting"
fi
kill -TERM "$BPID"
wait "$BPID" || fail "installed daemon exit status"
BPID=
grep -q "models/digits_mlp/model.ini" "$PREFIX/bridge.log" || fail "installed daemon did not load the installed models"
grep -q "exit (clean)" "$PREFIX/bridge.log" || fail "no clean exit"
echo "PASS: installed zenedge-bridged runs from $PREFIX"
exit 0
