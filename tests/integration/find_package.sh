#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# find_package.sh - a program of others builds against an install: cmake
# --install into a temporary prefix, then a tiny consumer project with
# find_package(zenedge) links zenedge::linux (static) and zenedge::zenedge
# (libzenedge.so.<major>, its SONAME recorded as NEEDED), and sees
# zenedge::core, zenedge::rtos and the freestanding sources.
# Usage: find_package.sh BUILD_DIR
set -u
BUILD=$1
TMP=${TMPDIR:-/tmp}
W=$(mktemp -d "$TMP/zenedge-findpkg-XXXXXX")
trap 'rm -rf "$W"' EXIT
trap 'exit 1' INT TERM HUP
fail() { echo "FAIL: $*"; exit 1; }

cmake --install "$BUILD" --prefix "$W/prefix" >"$W/install.log" 2>&1 || { cat "$W/install.log"; fail "cmake --install"; }
SO=$(find "$W/prefix" -name 'libzenedge.so.*.*' | head -n 1)
[ -n "$SO" ] || fail "no libzenedge.so.X.Y installed"
SONAME=$(readelf -d "$SO" | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')
case $SONAME in libzenedge.so.[0-9]*) ;; *) fail "libzenedge SONAME is '$SONAME'" ;; esac
[ -L "$(dirname "$SO")/$SONAME" ] || fail "no $SONAME link beside $SO"

mkdir -p "$W/src"
cat >"$W/src/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.18)
project(consumer C)
find_package(zenedge 0.1 CONFIG REQUIRED)
foreach(t zenedge::core zenedge::linux zenedge::zenedge zenedge::rtos)
  if(NOT TARGET ${t})
    message(FATAL_ERROR "find_package(zenedge) gave no ${t}")
  endif()
endforeach()
if(NOT EXISTS ${zenedge_SOURCE_DIR}/cmake/freestanding/CMakeLists.txt OR NOT EXISTS ${zenedge_SOURCE_DIR}/rtos/proxy_submit.c)
  message(FATAL_ERROR "no freestanding sources in '${zenedge_SOURCE_DIR}'")
endif()
add_executable(use_static main.c)
target_link_libraries(use_static PRIVATE zenedge::linux)
add_executable(use_shared main.c)
target_link_libraries(use_shared PRIVATE zenedge::zenedge)
CM
cat >"$W/src/main.c" <<'C'
#include <stdio.h>
#include <string.h>

#include "zenedge/ipc_errors.h"
#include "zenedge/ipc_ring.h"
#include "zl.h"

int main(void)
{
    static ipc_ring_t ring;
    memset(&ring, 0, sizeof(ring));
    int bad = ipc_ring_init(&ring, 3u, 0u, 0u); /* not a power of two */
    uint64_t t = zl_now_ns();
    printf("ring init(3) = %s, now %llu ns\n", ipc_strerror(bad), (unsigned long long)t);
    return bad < 0 && t > 0 && strcmp(ipc_strerror(bad), "IPC_E_INVAL") == 0 ? 0 : 1;
}
C
cmake -S "$W/src" -B "$W/b" -DCMAKE_PREFIX_PATH="$W/prefix" >"$W/conf.log" 2>&1 || { cat "$W/conf.log"; fail "configure against the install"; }
cmake --build "$W/b" >"$W/build.log" 2>&1 || { cat "$W/build.log"; fail "build against the install"; }
"$W/b/use_static" || fail "use_static"
"$W/b/use_shared" || fail "use_shared"
readelf -d "$W/b/use_shared" | grep -q "NEEDED.*\[$SONAME\]" || fail "use_shared does not need $SONAME"
if readelf -d "$W/b/use_static" | grep -q "NEEDED.*libzenedge"; then fail "use_static needs libzenedge"; fi
echo "PASS: find_package(zenedge) from an install: zenedge::linux (static) and zenedge::zenedge ($SONAME)"
