/*
 * bench_bridge.h - zenedge-bench: the real dispatcher in a forked process,
 * shared by the sections that drive it (bench_e2e.c, bench_rt_load.c).
 * Built only when the bridge library, the RTOS proxy and its POSIX port
 * are (see bench/CMakeLists.txt).
 */
#ifndef ZENEDGE_BENCH_BRIDGE_H
#define ZENEDGE_BENCH_BRIDGE_H

#include <stddef.h>
#include <sys/types.h>

#include "bench.h"

#include "backends/backend.h"
#include "registry.h"

/* Asks the backend for its devices in a short-lived child process (a
 * runtime such as PoCL must not be started in a process that forks the
 * dispatcher afterwards). Returns the device count (> 0), 0 when there is
 * none, -1 when the probe could not run; *why says why not. */
int bench_probe_backend(const bridge_backend_ops_t *ops, char *why, size_t why_len);

/* Forks bridge_dispatch_run() on region `shm` with `backend` (poll
 * doorbell, every model of reg loaded that the backend runs), pinned to
 * o->cpu_follow, killed with its parent. Returns the child's pid, or -1
 * (fork failed; message printed). */
pid_t bench_dispatcher_fork(const bench_opts_t *o, const char *shm, const char *backend, const bridge_registry_t *reg);

/* SIGTERM, then SIGKILL after 5 s. Returns rcode, or -1 when rcode was 0
 * and the dispatcher did not end with status 0. */
int bench_dispatcher_stop(pid_t child, int rcode);

#endif /* ZENEDGE_BENCH_BRIDGE_H */
