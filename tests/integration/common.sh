# SPDX-License-Identifier: BSD-3-Clause
# common.sh - sourced by the integration scripts: removal of our processes
# (by PID) and files on any exit, and fail(). The script sets TAG (the shm
# object is /$TAG), SOCK, BLOG, SLOG, optionally EXTRA_FILES (words, globs
# allowed), and keeps the PIDs it started in BPID and SPID (empty when none).
BPID=
SPID=
EXTRA_FILES=${EXTRA_FILES:-}

it_cleanup() {
    [ -n "$SPID" ] && kill -9 "$SPID" 2>/dev/null
    [ -n "$BPID" ] && kill -9 "$BPID" 2>/dev/null
    [ -n "$SPID" ] && wait "$SPID" 2>/dev/null
    [ -n "$BPID" ] && wait "$BPID" 2>/dev/null
    # shellcheck disable=SC2086
    rm -f "/dev/shm/$TAG" "$SOCK" "$BLOG" "$SLOG" $EXTRA_FILES
}
trap it_cleanup EXIT
trap 'exit 1' INT TERM HUP

fail() {
    echo "FAIL: $*"
    echo "--- bridge log (tail) ---"; tail -n 30 "$BLOG" 2>/dev/null
    echo "--- sim output (tail) ---"; tail -n 40 "$SLOG" 2>/dev/null
    exit 1
}
