#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# crit_cost.sh - instructions per critical section of proxy_tick(), measured
# with callgrind: each section of the measured tick is one dump (see
# crit_cost.c); this prints, per case and table size, the sections, the
# instructions of the costliest one and of the whole tick.
#
# Usage: tests/rtos/crit_cost.sh BUILD_DIR [MAX_JOBS...]   (default 32 4096)
# Needs valgrind. Exit 0, 2 on a usage error, 77 without valgrind.
set -eu
if [ $# -lt 1 ] || [ ! -x "$1/tests/rtos/crit_cost" ]; then
    echo "usage: $0 BUILD_DIR [MAX_JOBS...] (BUILD_DIR/tests/rtos/crit_cost must exist)" >&2
    exit 2
fi
command -v valgrind >/dev/null 2>&1 || { echo "crit_cost.sh: valgrind not found: skipped" >&2; exit 77; }
bin="$1/tests/rtos/crit_cost"
shift
[ $# -gt 0 ] || set -- 32 4096
out=$(mktemp -d "${TMPDIR:-/tmp}/crit_cost.XXXXXX")
trap 'rm -rf "$out"' EXIT INT TERM
echo "| case | slots | sections | instructions, costliest section | instructions, whole tick |"
echo "|---|---:|---:|---:|---:|"
for n in "$@"; do
    CRIT_COST_CALLGRIND=1 valgrind --tool=callgrind --combine-dumps=yes \
        --callgrind-out-file="$out/cg.$n" "$bin" "$n" >"$out/log.$n" 2>&1 ||
        { cat "$out/log.$n" >&2; exit 1; }
    awk -v n="$n" '
        /^desc: Trigger: Client Request: / { label = $5 }
        /^summary: / && label != "" {
            if (!(label in cnt)) order[++k] = label
            cnt[label]++; sum[label] += $2
            if ($2 > max[label]) max[label] = $2
            label = ""
        }
        END { for (i = 1; i <= k; i++) { l = order[i]
              printf "| %s | %d | %d | %d | %d |\n", l, n, cnt[l], max[l], sum[l] } }
    ' "$out/cg.$n"
done
