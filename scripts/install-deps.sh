#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Install the Debian 12 packages a target needs, only those missing.
# Usage: scripts/install-deps.sh [build|test|bench|demo|demo-qemu|verify|fuzz|deb|all]
# Root runs apt-get directly; another user goes through sudo when present.
set -eu
group=${1:-test}

build_pkgs="gcc libc6-dev make cmake pkg-config libinih-dev ocl-icd-opencl-dev opencl-headers libsystemd-dev"
# Model checking and static analysis (make verify); why3 and z3 prove the
# WP goals.
verify_pkgs="spin frama-c-base why3 z3"
# libFuzzer (make fuzz).
fuzz_pkgs="clang libclang-rt-14-dev"
# Level Zero: the loader, and OpenCL C -> SPIR-V for the models' kernels.
level_zero_pkgs="libze1 libze-dev clang-15 llvm-spirv-15"
# Debian packages (make deb) and the install test into a fresh root.
deb_pkgs="dpkg-dev debhelper fakeroot lintian debootstrap"
test_pkgs="$build_pkgs g++ libcmocka-dev clang-format gnuplot-nox gcc-arm-none-eabi gcc-riscv64-unknown-elf gcc-aarch64-linux-gnu pocl-opencl-icd qemu-system-x86 valgrind $verify_pkgs $level_zero_pkgs $deb_pkgs"
qemu_pkgs="$build_pkgs qemu-system-x86"
bench_pkgs="$build_pkgs dpdk-dev gnuplot-nox"

case "$group" in
    build) want=$build_pkgs ;;
    demo) want="$build_pkgs gnuplot-nox" ;;
    test) want=$test_pkgs ;;
    bench) want=$bench_pkgs ;;
    demo-qemu) want=$qemu_pkgs ;;
    verify) want="$build_pkgs $verify_pkgs" ;;
    fuzz) want="$build_pkgs $fuzz_pkgs" ;;
    deb) want="$build_pkgs $deb_pkgs" ;;
    all) want="$test_pkgs $bench_pkgs $fuzz_pkgs $deb_pkgs" ;;
    *) echo "usage: $0 [build|test|bench|demo|demo-qemu|verify|fuzz|deb|all]" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
    case " $missing " in *" $p "*) continue ;; esac
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "install-deps: missing Debian packages:$missing" >&2
    echo "install-deps: run as root: apt-get install -y$missing" >&2
    exit 1
fi
echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "install-deps: done"
