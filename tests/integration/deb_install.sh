#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# deb_install.sh - the Debian packages install and run on a fresh Debian 12:
# builds them (scripts/build-deb.sh, lintian errors fail), makes a minimal
# bookworm root (debootstrap --variant=minbase, from the mirror of the
# machine's apt sources; kept as a tarball in BUILD_DIR/deb-root.tar.gz for
# the next runs), installs the .debs there with apt-get (dependencies
# included), then, in a chroot, runs the demo from the installed files:
# zenedge-bridged and zenedge-sim from /usr, the CPU backend, the installed
# models, a short run. Also checks the account, the unit, the conffile and
# --check-config of the installed daemon.
# Slow (minutes: a package build and an apt install): runs only with
# ZENEDGE_DEB_TEST=1, else exits 77. ZENEDGE_DEB_DIR=DIR: take the .deb
# files of DIR (make deb: build-deb/) instead of building them. Needs root, debootstrap, dpkg-dev,
# debhelper and the mirror reachable (else 77, saying which).
# Usage: deb_install.sh BUILD_DIR
set -u
BUILD=$(cd "$1" && pwd)
TOP=$(cd "$(dirname "$0")/../.." && pwd)
[ "${ZENEDGE_DEB_TEST:-0}" = 1 ] || { echo "SKIP: set ZENEDGE_DEB_TEST=1 to build and install the packages (minutes)"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (debootstrap, chroot)"; exit 77; }
for t in debootstrap dpkg-buildpackage dh chroot; do
    command -v "$t" >/dev/null || { echo "SKIP: $t not found (scripts/install-deps.sh deb)"; exit 77; }
done
MIRROR=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | grep -v security | head -n 1)
[ -n "$MIRROR" ] || MIRROR=$(sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\) bookworm .*/\2/p' /etc/apt/sources.list 2>/dev/null | head -n 1)
[ -n "$MIRROR" ] || MIRROR=http://deb.debian.org/debian

W=$BUILD/deb-test
ROOT=$W/root
CACHE=$BUILD/deb-root.tar.gz
TAG=zenedge-deb-$$
cleanup() {
    for m in dev/shm dev proc; do mountpoint -q "$ROOT/$m" 2>/dev/null && umount -l "$ROOT/$m"; done
    rm -rf "$ROOT"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
fail() { echo "FAIL: $*"; [ -f "$W/run.log" ] && tail -n 40 "$W/run.log"; exit 1; }
t0=$(date +%s)
mkdir -p "$W"
cleanup

# 1. The packages.
DEBS=$W/debs
if [ -n "${ZENEDGE_DEB_DIR:-}" ]; then
    DEBS=$(cd "$ZENEDGE_DEB_DIR" && pwd)
    ls "$DEBS"/*.deb >/dev/null 2>&1 || fail "no .deb in $DEBS"
else
    JOBS=${JOBS:-2} sh "$TOP/scripts/build-deb.sh" "$DEBS" >"$W/build-deb.log" 2>&1 ||
        { tail -n 40 "$W/build-deb.log"; fail "build-deb.sh"; }
    grep -i "^W:" "$DEBS/lintian.log" || true
fi
t1=$(date +%s)

# 2. A fresh bookworm root, from the cache when there is one.
mkdir -p "$ROOT"
if [ -s "$CACHE" ]; then
    tar -xzf "$CACHE" -C "$ROOT" || fail "cannot unpack $CACHE"
else
    if ! debootstrap --variant=minbase bookworm "$ROOT" "$MIRROR" >"$W/debootstrap.log" 2>&1; then
        tail -n 5 "$W/debootstrap.log"
        echo "SKIP: debootstrap from $MIRROR failed (no mirror reachable?)"
        exit 77
    fi
    tar -czf "$CACHE.tmp" -C "$ROOT" . && mv "$CACHE.tmp" "$CACHE"
fi
t2=$(date +%s)

# 3. apt-get install of the .debs, their dependencies from the mirror.
cp /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null
mkdir -p "$ROOT/debs"
ls "$DEBS"/*.deb | grep -v -- -dbgsym_ | xargs cp -t "$ROOT/debs/"
mount -t proc proc "$ROOT/proc" || fail "mount proc"
mount --bind /dev "$ROOT/dev" || fail "bind /dev"
mountpoint -q /dev/shm && { mount --bind /dev/shm "$ROOT/dev/shm" || fail "bind /dev/shm"; }
in_root() { chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"; }
in_root apt-get update >"$W/apt.log" 2>&1 || { tail -n 5 "$W/apt.log"; echo "SKIP: apt-get update in the root failed"; exit 77; }
in_root sh -c 'apt-get install -y --no-install-recommends /debs/*.deb' >>"$W/apt.log" 2>&1 ||
    { tail -n 30 "$W/apt.log"; fail "apt-get install of the packages"; }
t3=$(date +%s)

# 4. What the packages put there.
for f in usr/sbin/zenedge-bridged usr/bin/zenedge-sim usr/bin/zenedge-ipc usr/bin/zenedge-bench \
         lib/systemd/system/zenedge-bridged.service etc/zenedge/zenedge-bridged.conf \
         usr/share/zenedge/models/digits_mlp/w1.f32 usr/include/zenedge/ipc_proto.h \
         usr/share/zenedge/src/cmake/freestanding/CMakeLists.txt usr/share/man/man8/zenedge-bridged.8.gz; do
    [ -e "$ROOT/$f" ] || fail "not installed: /$f"
done
ls "$ROOT"/usr/lib/*/libzenedge.so.0 >/dev/null 2>&1 || fail "no libzenedge.so.0"
ls "$ROOT"/usr/lib/*/cmake/zenedge/zenedgeConfig.cmake >/dev/null 2>&1 || fail "no CMake package"
in_root getent passwd zenedge >/dev/null || fail "no account zenedge after the install (sysusers)"
grep -q "^/etc/zenedge/zenedge-bridged.conf$" "$ROOT/var/lib/dpkg/info/zenedge-bridged.conffiles" || fail "config is no conffile"
grep -q "^Type=notify$" "$ROOT/lib/systemd/system/zenedge-bridged.service" || fail "unit is not Type=notify"

# 5. The demo from the installed files: the daemon and the simulator from
# /usr, the CPU backend, the installed models.
in_root /usr/sbin/zenedge-bridged --config /etc/zenedge/zenedge-bridged.conf --shm "/$TAG" --check-config \
    >"$W/check.log" 2>&1 || { cat "$W/check.log"; fail "--check-config of the installed daemon"; }
grep -q "configuration OK" "$W/check.log" || fail "--check-config said no OK"
in_root sh -c "
/usr/sbin/zenedge-bridged --shm /$TAG --backend cpu --doorbell adaptive --socket /tmp/$TAG.sock --exit-after-idle-s 20 2>/tmp/bridge.log &
B=\$!
timeout 120 /usr/bin/zenedge-sim --shm /$TAG --doorbell adaptive --socket /tmp/$TAG.sock \
    --models /usr/share/zenedge/models --timeout-s 30 --quiet \
    --task name=t,model=vector_add+saxpy+gemm,count=30 --task name=d,model=digits_mlp,count=50
S=\$?
kill -TERM \$B; wait \$B; R=\$?
cat /tmp/bridge.log
echo \"sim=\$S bridged=\$R\"
rm -f /dev/shm/$TAG
[ \$S = 0 ] && [ \$R = 0 ]" >"$W/run.log" 2>&1 || fail "the demo from the installed packages"
grep -q "/usr/share/zenedge/models/digits_mlp/model.ini" "$W/run.log" || fail "the daemon did not load the installed models"
grep -q "exit (clean)" "$W/run.log" || fail "no clean exit of the installed daemon"
t4=$(date +%s)
echo "PASS: packages built ($((t1 - t0)) s), root ready ($((t2 - t1)) s), installed ($((t3 - t2)) s), demo ran ($((t4 - t3)) s)"
exit 0
