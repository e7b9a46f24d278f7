#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Build and run the whole suite in its three variants, each in its own
# build directory, then print one summary line ("tests: N passed, N failed,
# N skipped"), also written to build/test-summary.txt.
#   build/       plain (RelWithDebInfo): every test, stress at 10M packets
#   build-asan/  ASan + UBSan: every test but those labelled "plain_only"
#                (long loops whose code the other tests already cover)
#   build-tsan/  TSan: the threaded tests (label "threads"), stress at 1M
# Environment: JOBS (build parallelism, default 2).
set -u
cd "$(dirname "$0")/.."
jobs=${JOBS:-2}
pass=0; fail=0; skip=0
failed_names=()

run_variant() {
    local dir=$1 label=$2 exclude=$3; shift 3
    echo "=== [$dir] configure + build"
    if ! cmake -S . -B "$dir" -DBUILD_TESTING=ON "$@" >"$dir.configure.log" 2>&1; then
        cat "$dir.configure.log"; fail=$((fail + 1)); failed_names+=("$dir:configure"); return
    fi
    if ! cmake --build "$dir" -j"$jobs" >"$dir.build.log" 2>&1; then
        grep -E 'error|Error' "$dir.build.log" | head -40; fail=$((fail + 1)); failed_names+=("$dir:build"); return
    fi
    echo "=== [$dir] ctest ${label:+-L $label}${exclude:+ -LE $exclude}"
    local log="$dir/ctest.log"
    ctest --test-dir "$dir" --output-on-failure ${label:+-L "$label"} ${exclude:+-LE "$exclude"} 2>&1 | tee "$log"
    local p f s
    p=$(grep -cE 'Test +#[0-9]+: .* +Passed' "$log")
    f=$(grep -cE 'Test +#[0-9]+: .*\*\*\*(Failed|Timeout|Exception)|Test +#[0-9]+: .*\*\*\*Not Run' "$log")
    s=$(grep -cE 'Test +#[0-9]+: .*(\*\*\*Skipped| Skipped)' "$log")
    pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
    while read -r name; do failed_names+=("$dir:$name"); done < <(sed -n 's/^ *[0-9]* - \(.*\) (\(Failed\|Timeout\|Not Run\|Exception\)).*/\1/p' "$log")
}

# The Debian packages built and installed into a fresh bookworm root
# (integration_deb_install, plain variant only: about a minute on a quiet
# machine, a debootstrap included); ZENEDGE_DEB_TEST=0 skips it.
export ZENEDGE_DEB_TEST=${ZENEDGE_DEB_TEST:-1}
run_variant build "" "" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZENEDGE_STRESS_PACKETS=10000000
# LeakSanitizer: what the OpenCL/CUDA driver stacks keep until exit (PoCL,
# its LLVM, the ICD loader) is not ours; any test may load a driver (the
# bench's end-to-end section, the sim, the backends), so every test of the
# ASan variant gets the suppressions (a test's own LSAN_OPTIONS wins).
export LSAN_OPTIONS="suppressions=$PWD/tests/helpers/lsan.supp:print_suppressions=0"
run_variant build-asan "" plain_only -DCMAKE_BUILD_TYPE=Debug -DZENEDGE_SANITIZE=address -DZENEDGE_STRESS_PACKETS=2000000
run_variant build-tsan threads "" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZENEDGE_SANITIZE=thread -DZENEDGE_STRESS_PACKETS=1000000

echo "=== summary (plain + asan + tsan)"
for n in "${failed_names[@]}"; do echo "failed: $n"; done
mkdir -p build
line="tests: $pass passed, $fail failed, $skip skipped"
echo "$line" >build/test-summary.txt
echo "$line"
[ "$fail" -eq 0 ]
