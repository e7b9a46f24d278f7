/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * serve.h - serving the submission rings: one pass of the dispatch loop.
 *
 * Role: per pass (bridge_serve_pass), one arbitration round (policy in
 * arbitrate.h): ring 0 drained first and re-checked before each packet of
 * the other rings, which share the round by weight. A packet is taken only
 * while its answer has a place (answers.h) and, but for a backend that
 * kept every job for 10 s, a job-pool entry is free for it. Each packet is
 * validated (validate.h) and answered exactly once: refused before it
 * takes a job-pool entry, PONG for a PING, or run through one job whose
 * answer is posted when the job is collected. Finished jobs are collected
 * in one place of the pass (bridge_serve_collect, between two packets and
 * after the last), and jobs the backend refused BUSY are submitted again
 * there first, in order.
 * Serving one packet never finishes another packet's job.
 * Thread: the dispatch thread only.
 * May touch: the submission rings (consumer side, A1/R2 inside
 * ipc_ring_dequeue_burst), lines 0-1 of a descriptor once per job
 * (bridge_job_copy_in), the tensor heap only through the backend, its job
 * pool (jobs.h), the serving counters of bridge_stats_t.
 */
#ifndef ZENEDGE_BRIDGE_SERVE_H
#define ZENEDGE_BRIDGE_SERVE_H

#include <stdbool.h>
#include <stdint.h>

#include "answers.h"
#include "arbitrate.h"
#include "attach.h"
#include "backends/backend.h"
#include "config.h"
#include "jobs.h"
#include "registry.h"
#include "stats.h"

/* One arbitration round in progress (serve.c's cursor over the packets). */
typedef struct bridge_round {
    ipc_packet_t rt[BRIDGE_ARB_ROUND_MAX]; /* the current ring-0 batch */
    uint32_t rt_n, rt_i, rt_b;             /* its size, next packet, batches of this drain */
    uint64_t rt_t;                         /* its dequeue time */
    bool draining, checked, planned;
    ipc_packet_t buf[BRIDGE_ARB_ROUND_MAX]; /* rings 1..'s share of the round */
    uint8_t from[BRIDGE_ARB_ROUND_MAX];
    uint64_t when[IPC_MAX_SQ];
    uint32_t n, i;
} bridge_round_t;

typedef struct bridge_serve {
    const bridge_registry_t *reg;
    bridge_backend_t *be;
    bridge_stats_t *st;
    bridge_answers_t *ans;
    bridge_attach_t *at;
    bridge_jobs_t jobs;      /* the job pool and the backend */
    bool stopping;           /* answer SHUTDOWN, run nothing new */
    uint32_t unhandled;      /* packets taken, not handled yet */
    uint64_t stalled_since;  /* work waits on a backend that keeps every job: its
                                                 last progress; 0: not */
    bool giving_up;          /* ... for 10 s: answer BACKEND_ERROR without a job */
    uint64_t last_packet_ns; /* last dequeue */
    bridge_round_t round;
} bridge_serve_t;

/* Job pool of cfg->queue_depth entries (jobs.h). Returns BRIDGE_OK or
 * BRIDGE_E_NOMEM (then bridge_serve_fini() frees what was allocated). */
int bridge_serve_init(bridge_serve_t *s, const bridge_config_t *cfg, const bridge_registry_t *reg, bridge_backend_t *be,
                      bridge_stats_t *st, bridge_answers_t *ans, bridge_attach_t *at);
/* One pass over an attached region (steps 1-3 above). Returns the work
 * done: jobs collected plus packets taken. */
uint32_t bridge_serve_pass(bridge_serve_t *s);
/* Take finished jobs back from the backend, waiting up to timeout_ms for
 * the first, and post their answers (bridge_jobs_collect(), the call the
 * pass makes between packets; for the shutdown drain). Returns how many. */
uint32_t bridge_serve_collect(bridge_serve_t *s, int timeout_ms);
/* The region went away: wait (up to 5 s) for the backend to give every job
 * back, drop them and the held ones without an answer (counted in
 * dropped_reinit). Returns nothing. */
void bridge_serve_drop_jobs(bridge_serve_t *s);
/* Whether the backend holds or was refused jobs (a pass must come soon). */
bool bridge_serve_busy(const bridge_serve_t *s);
/* While work waits on a backend that keeps every job: when the backend
 * last gave a job back or took one (ns); 0 otherwise. The dispatch thread
 * shows no later sign of life, so the watchdog can stop the heartbeat of
 * a stuck backend as of a stuck dispatcher. */
uint64_t bridge_serve_stalled_since(const bridge_serve_t *s);
/* From now on answer every job and PING SHUTDOWN. Returns nothing. */
void bridge_serve_stop(bridge_serve_t *s);
/* Free the pool (the backend holds no job any more). Returns nothing. */
void bridge_serve_fini(bridge_serve_t *s);

#endif /* ZENEDGE_BRIDGE_SERVE_H */
