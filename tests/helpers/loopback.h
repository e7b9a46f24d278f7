/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * loopback.h - a bridge in a thread of the test process: consumes the
 * submission rings with the core library, answers PING with PONG and
 * RUN_MODEL with a trivial computation (out0 = in0 + in1 as int32 words,
 * or a copy of in0 when the model has one input; result word = out0[0]),
 * and can be told to misbehave.
 */
#ifndef ZENEDGE_TEST_LOOPBACK_H
#define ZENEDGE_TEST_LOOPBACK_H

#include <pthread.h>
#include <stdint.h>

#include "zenedge/ipc_proto.h"
#include "zenedge/ipc_region.h"
#include "zenedge/ipc_ring.h"

/* Misbehaviour switches (lb_set). */
enum lb_knob {
    LB_SILENT = 0, /* no heartbeat, no service (a hung or dead bridge) */
    LB_HOLD,       /* heartbeat, but nothing dequeued (ring fills up) */
    LB_DROP,       /* dequeue RUN_MODEL, never answer */
    LB_FORGE,      /* before each answer, one for a handle of another generation */
    LB_DUPLICATE,  /* every answer twice */
    LB_BAD_STATUS, /* answer status IPC_STATUS_COUNT + 5 */
    LB_BAD_TIME,   /* backend_ns far beyond any limit */
    LB_WRONG_CMD,  /* answer RUN_MODEL with PONG */
    LB_BACKEND_NS, /* backend_ns to report (0: measured) */
    LB_DELAY_US,   /* sleep before answering each job */
    LB_KNOBS
};

typedef struct loopback {
    void *base;
    uint32_t size;
    int zen_efd; /* ring the zenedge side here (-1: never) */
    int my_efd;  /* zenedge rings us here */
    uint32_t hb_period_us;
    ipc_region_t view;
    ipc_ring_cons_t sq[IPC_MAX_SQ];
    ipc_ring_prod_t cq;
    pthread_t thr;
    uint32_t knob[LB_KNOBS];                                  /* atomics */
    uint32_t stop;                                            /* atomic */
    uint32_t restart;                                         /* atomic: 1 = restart requested */
    uint32_t epoch;                                           /* atomic: current epoch */
    uint32_t served, pings, cancels, stale, dropped, cq_full; /* atomics */
} loopback_t;

/* Start the bridge thread on a region the proxy has initialised. */
int lb_start(loopback_t *lb, void *base, uint32_t size, int zen_efd, uint32_t hb_period_us);
void lb_stop(loopback_t *lb);
void lb_set(loopback_t *lb, int knob, uint32_t value);
uint32_t lb_get(loopback_t *lb, const uint32_t *counter);
/* Restart as a new instance (new epoch); returns once it is READY. */
void lb_restart(loopback_t *lb);

#endif /* ZENEDGE_TEST_LOOPBACK_H */
