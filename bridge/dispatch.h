/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dispatch.h - the entry point of zenedge-bridged's serving: the dispatch
 * thread's loop, wiring the parts together.
 *
 * Role: one dispatch thread runs everything but the heartbeat; each part
 * has its own state and header:
 *   attach.h     map, validate and publish on the region; detach
 *   peer.h       the doorbell connection (socket peer or QEMU ivshmem)
 *   serve.h      one serving pass: arbitrate, validate, answer or run
 *   jobs.h       the job pool: submit to the backend, collect, answer a job
 *   arbitrate.h  which ring next (pure policy)
 *   answers.h    completion ring, private answer queue, doorbell after answers
 *   stats.h      counters and their dump
 *   heartbeat.h  the heartbeat thread (the only other thread)
 * Signal handlers only set the flags in bridge_signals.
 *
 * Per loop pass:
 *  1. sign of life for the heartbeat's watchdog; statistics on SIGUSR1 or
 *     the interval; doorbell connection upkeep every 20 ms;
 *  2. (re)attach if needed; detach when the region can no longer be
 *     trusted (magic, either epoch, SIGBUS, a re-created shm object);
 *  3. one serving pass (serve.h);
 *  4. queued answers flushed; doorbell to the ZENEDGE side if it asked
 *     for one (W2);
 *  5. idle wait according to the doorbell mode when there was no work.
 * Thread: the dispatch thread (the caller's); it starts the heartbeat thread.
 * May touch: through its parts only.
 */
#ifndef ZENEDGE_BRIDGE_DISPATCH_H
#define ZENEDGE_BRIDGE_DISPATCH_H

#include <signal.h>

#include "config.h"
#include "registry.h"
#include "backends/backend.h"

typedef struct bridge_signals {
    volatile sig_atomic_t stop; /* SIGTERM / SIGINT */
    volatile sig_atomic_t dump; /* SIGUSR1 */
} bridge_signals_t;

/* Serve until a stop signal (or --exit-after-idle-s). The backend must be
 * initialised with every registry model loaded. Returns BRIDGE_OK on a
 * clean stop, BRIDGE_E_NOMEM, BRIDGE_E_DOORBELL (the doorbell could not be
 * opened) or BRIDGE_E_SYS (the heartbeat thread could not start). */
int bridge_dispatch_run(const bridge_config_t *cfg, const bridge_registry_t *reg, bridge_backend_t *be,
                        bridge_signals_t *sig);

#endif /* ZENEDGE_BRIDGE_DISPATCH_H */
