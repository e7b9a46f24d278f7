/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_bridge.h - zenedge-bench: the real dispatcher in a forked process,
 * shared by the sections that drive it (bench_e2e.c, bench_rt_load.c).
 * Built only when the bridge library, the RTOS proxy and its POSIX port
 * are (see bench/CMakeLists.txt).
 */
#ifndef ZENEDGE_BENCH_BRIDGE_H
#define ZENEDGE_BENCH_BRIDGE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bench.h"

#include "backends/backend.h"
#include "registry.h"

/* Asks the backend for its devices in a short-lived child process (a
 * runtime such as PoCL must not be started in a process that forks the
 * dispatcher afterwards). Returns the device count (> 0), 0 when there is
 * none, -1 when the probe could not run; *why says why not. */
int bench_probe_backend(const bridge_backend_ops_t *ops, char *why, size_t why_len);

/* The dispatcher's SCHED_FIFO priority when it may have one. */
#define BENCH_DISPATCHER_FIFO 50

/* How the forked dispatcher waits and schedules its backend's workers.
 * socket NULL: poll doorbell, the backend's default worker scheduling.
 * Else as a deployment on two CPUs: the adaptive doorbell, the handshake
 * served on this socket path; the workers pinned to o->cpu_follow (the
 * dispatcher's CPU); SCHED_FIFO dispatcher BENCH_DISPATCHER_FIFO > RT
 * worker > ... > BACKGROUND worker when permitted (root or
 * CAP_SYS_NICE), else nice levels. sched: sched_len bytes of memory
 * shared with the child (MAP_SHARED), where it writes the scheme that
 * ran (bridge_qos_sched_describe) before it serves; NULL: not told.
 * spin_us: the adaptive doorbell's spin before sleeping. */
typedef struct bench_dispatcher_db {
    const char *socket;
    uint32_t spin_us;
    char *sched;
    size_t sched_len;
} bench_dispatcher_db_t;

/* The backend named, when it is built and has a device: its ops; else
 * NULL, and when it is built but has no device, "NAME: no device (why)"
 * is appended to note (note_len bytes, "; " between entries). */
const bridge_backend_ops_t *bench_backend_present(const char *backend, char *note, size_t note_len);

/* Forks bridge_dispatch_run() on region `shm` with `backend` (every model
 * of reg loaded that the backend runs), pinned to o->cpu_follow, killed
 * with its parent; db says how it waits (NULL: poll). Returns the
 * child's pid, or -1 (fork failed; message printed). */
pid_t bench_dispatcher_fork(const bench_opts_t *o, const char *shm, const char *backend, const bridge_registry_t *reg,
                            const bench_dispatcher_db_t *db);

/* SIGTERM, then SIGKILL after 5 s. Returns rcode, or -1 when rcode was 0
 * and the dispatcher did not end with status 0. */
int bench_dispatcher_stop(pid_t child, int rcode);

#endif /* ZENEDGE_BENCH_BRIDGE_H */
