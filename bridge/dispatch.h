/*
 * dispatch.h - the serving loop of zenedge-bridged.
 *
 * One dispatch thread owns everything below: the region view, the ring
 * handles, the backend, the answer queue, the statistics. A second thread
 * only bumps the bridge heartbeat (see dispatch.c). Signal handlers only
 * set the flags in bridge_signals.
 *
 * Per loop iteration:
 *  1. (re)attach to the region if needed; detect a re-initialised region
 *     (magic, zenedge epoch, our own epoch word, a re-created shm object);
 *  2. doorbell connection upkeep (accept a ZENEDGE side, notice it left);
 *  3. one arbitration round: ring 0 (RT) drained first and re-checked
 *     before every other job; rings 1.. served by weighted round robin,
 *     higher classes first within a round;
 *  4. every packet validated (validate.h), run or answered with its error
 *     status; answers posted on the completion ring, or kept in a bounded
 *     private queue while the ring is full (JOB_DONE / PONG never dropped;
 *     a packet is only taken when its answer has room);
 *  5. doorbell to the ZENEDGE side if it asked for one (W2);
 *  6. idle wait according to the doorbell mode when there was no work.
 */
#ifndef ZENEDGE_BRIDGE_DISPATCH_H
#define ZENEDGE_BRIDGE_DISPATCH_H

#include <signal.h>

#include "config.h"
#include "registry.h"
#include "backends/backend.h"

typedef struct bridge_signals {
    volatile sig_atomic_t stop;      /* SIGTERM / SIGINT */
    volatile sig_atomic_t dump;      /* SIGUSR1 */
} bridge_signals_t;

/* Serve until a stop signal (or --exit-after-idle-s). The backend must be
 * initialised with every registry model loaded. Returns 0 on a clean stop,
 * or a BRIDGE_E_* code. */
int bridge_dispatch_run(const bridge_config_t *cfg, const bridge_registry_t *reg, bridge_backend_t *be,
                        bridge_signals_t *sig);

#endif /* ZENEDGE_BRIDGE_DISPATCH_H */
