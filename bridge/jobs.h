/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * jobs.h - the job pool of zenedge-bridged and its traffic with the
 * backend.
 *
 * Role: a fixed pool of --queue-depth jobs, as many as the backend may
 * hold, so that a job with an entry is never refused BUSY by a backend
 * that keeps to its depth (one that still says BUSY gets the job again
 * later, in order). Jobs go to the backend, come back when finished
 * (bridge_jobs_collect) and are answered: the answer line of the
 * descriptor, then JOB_DONE (bridge_jobs_answer, which also answers the
 * copies of refused packets that never took an entry).
 * Every job carries the generation of the attach it was taken under; the
 * jobs of an attach that ended are stale (backend.h, bridge_job_stale).
 * Thread: the dispatch thread only (serve.c).
 * May touch: the backend; line 2 (the answer line) of the descriptors it
 * answers, with plain stores published by R1 of the completion ring
 * (answers.h); the job and latency counters of bridge_stats_t.
 */
#ifndef ZENEDGE_BRIDGE_JOBS_H
#define ZENEDGE_BRIDGE_JOBS_H

#include <stdbool.h>
#include <stdint.h>

#include "answers.h"
#include "attach.h"
#include "backends/backend.h"
#include "registry.h"
#include "stats.h"

typedef struct bridge_jobs {
    bridge_backend_t *be;
    const bridge_registry_t *reg;
    bridge_stats_t *st;
    bridge_answers_t *ans;
    bridge_attach_t *at;
    bridge_job_t *pool;
    uint8_t *in_backend;   /* per pool entry: taken by the backend, not back yet */
    uint64_t late_dropped; /* stale jobs handed back after their attach ended */
    bridge_job_t **free_jobs;
    uint32_t n_free, n_jobs;
    bridge_job_t **held; /* refused BUSY: submitted again first (FIFO) */
    uint32_t held_head, held_n;
    bool progress; /* a job came back or was taken since asked */
} bridge_jobs_t;

/* A pool of depth (>= 1) jobs for backend be. Returns BRIDGE_OK or
 * BRIDGE_E_NOMEM (then bridge_jobs_fini() frees what was allocated). */
int bridge_jobs_init(bridge_jobs_t *jb, uint32_t depth, bridge_backend_t *be, const bridge_registry_t *reg,
                     bridge_stats_t *st, bridge_answers_t *ans, bridge_attach_t *at);
/* Free the pool (the backend holds none of its jobs any more). Returns nothing. */
void bridge_jobs_fini(bridge_jobs_t *jb);
/* A free entry (contents undefined), or NULL when every job is out. */
bridge_job_t *bridge_jobs_get(bridge_jobs_t *jb);
/* The one answer of a job (a pool entry or a refused packet's copy): the
 * descriptor's answer line when write_desc (never for STALE: the slot is
 * another job's), latency and per-model counters when OK, then JOB_DONE.
 * Does not return a pool entry to the pool. Returns nothing. */
void bridge_jobs_answer(bridge_jobs_t *jb, const bridge_job_t *job, uint32_t status, bool write_desc);
/* Hand a pool entry to the backend; BUSY (or earlier jobs still held)
 * keeps it for bridge_jobs_resubmit(), any other refusal answers it
 * BACKEND_ERROR. Returns nothing. */
void bridge_jobs_submit(bridge_jobs_t *jb, bridge_job_t *job);
/* Submit the held jobs again, in order, until the backend says BUSY; with
 * give_up answer them all BACKEND_ERROR instead. Returns nothing. */
void bridge_jobs_resubmit(bridge_jobs_t *jb, bool give_up);
/* Take finished jobs back (waiting up to timeout_ms for the first), answer
 * them and return them to the pool. A job of an attach that has ended
 * (bridge_job_stale) is dropped without touching the region: no answer
 * line, no answer; counted in dropped_reinit and late_dropped, logged
 * (rate-limited), and its retired mapping released
 * (bridge_attach_job_back). Returns how many. */
uint32_t bridge_jobs_collect(bridge_jobs_t *jb, int timeout_ms);
/* The region went away: end the attach's generation (every job out is
 * stale from now on: the backend neither reads its inputs nor writes its
 * output), wait (up to 5 s) for the backend to give every job back, drop
 * them and the held ones without an answer (counted in dropped_reinit).
 * Jobs the backend still holds after the wait are left in at->jobs_left:
 * their mapping is retired, not unmapped (bridge_attach_detach). Returns
 * nothing. */
void bridge_jobs_drop(bridge_jobs_t *jb);
/* Whether the backend holds jobs or some are held. */
bool bridge_jobs_busy(const bridge_jobs_t *jb);
/* Whether a job came back or was taken since the last call (cleared). */
bool bridge_jobs_progress(bridge_jobs_t *jb);

#endif /* ZENEDGE_BRIDGE_JOBS_H */
