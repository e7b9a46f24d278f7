/*
 * jobq.h - what the asynchronous backends (OpenCL, CUDA) share: the job
 * queues (one FIFO of jobs per QoS class waiting for a device slot, one of
 * jobs that failed to start, each bounded by the backend's queue depth, so
 * a FIFO never overflows) and the slot scheduler built on them (which
 * class gets a free device slot, finished slots handed back in the order
 * the device finished them, the bounded wait of poll). The backend keeps
 * what is device specific: starting a job on a slot and reading a
 * finished slot. Used from the dispatcher's thread, except
 * bridge_sched_done_locked(), which the device's completion callback calls.
 */
#ifndef ZENEDGE_BRIDGE_JOBQ_H
#define ZENEDGE_BRIDGE_JOBQ_H

#include <pthread.h>
#include <stdint.h>

#include "backend.h"

typedef struct bridge_jobq {
    bridge_job_t **v;
    uint32_t       cap, head, n;
} bridge_jobq_t;

/* BRIDGE_OK or BRIDGE_E_NOMEM. */
int  bridge_jobq_init(bridge_jobq_t *q, uint32_t cap);
void bridge_jobq_free(bridge_jobq_t *q);
/* The caller keeps n < cap (its own depth accounting). */
void bridge_jobq_push(bridge_jobq_t *q, bridge_job_t *j);
/* The oldest job; the queue must not be empty. */
bridge_job_t *bridge_jobq_pop(bridge_jobq_t *q);

/* The most urgent class (lowest IPC_QOS_*) with a queued job, or
 * IPC_QOS_COUNT when all are empty. */
uint32_t bridge_jobq_next_class(const bridge_jobq_t pending[IPC_QOS_COUNT]);

/* Mark a job that the device refused to start: BACKEND_ERROR, ended now,
 * no device time, no result. */
void bridge_job_fail_start(bridge_job_t *job);

/* The scheduler's part of a device slot; the first member of the
 * backend's own slot record. */
typedef struct bridge_slot {
    bridge_job_t *job;   /* NULL: free. Set by the backend's start (under lock) */
    int           done;  /* set by the completion callback, under lock */
    uint64_t      seq;   /* completion order, under lock */
} bridge_slot_t;

#define BRIDGE_SCHED_SLOTS_MAX 64u

typedef struct bridge_sched {
    pthread_mutex_t lock;            /* slots' job/done/seq and the backend's completion fields */
    pthread_cond_t  cond;            /* a slot finished (CLOCK_MONOTONIC) */
    bridge_slot_t  *slot[BRIDGE_SCHED_SLOTS_MAX];
    uint32_t        n_slots;         /* min(depth, the backend's slot count) */
    uint32_t        depth;           /* jobs the backend accepts at once */
    uint32_t        taken;           /* accepted, not yet handed back by poll */
    int             strict;          /* hold lower classes while a more urgent job runs */
    uint64_t        seq;
    bridge_jobq_t   pending[IPC_QOS_COUNT];
    bridge_jobq_t   failed;
    void           *owner;           /* the backend's state, passed to the two calls */
    /* Start job on slot idx without blocking (set slot->job under lock;
     * arrange for bridge_sched_done_locked at the end): BRIDGE_OK, or an
     * error after which the slot is free and the job is answered failed. */
    int (*start)(void *owner, uint32_t idx, bridge_job_t *job);
    /* Read the finished slot idx into its job (status, outputs, times) and
     * release device resources; the scheduler then frees the slot. */
    void (*finish)(void *owner, uint32_t idx);
} bridge_sched_t;

/* Lock, condition (CLOCK_MONOTONIC) and queues for `depth` jobs on
 * min(depth, n_slots) slots. BRIDGE_OK or BRIDGE_E_NOMEM (nothing left
 * allocated then). */
int  bridge_sched_init(bridge_sched_t *e, uint32_t depth, uint32_t n_slots, void *owner,
                       int (*start)(void *, uint32_t, bridge_job_t *), void (*finish)(void *, uint32_t));
void bridge_sched_destroy(bridge_sched_t *e);
/* Check a job for a model the backend has loaded (QoS class, every tensor
 * present, of the model's length and at most stage_len bytes: BRIDGE_E_INVAL
 * otherwise), queue it and start what can run: BRIDGE_OK, or BRIDGE_E_BUSY
 * when `depth` jobs are already taken. */
int  bridge_sched_submit(bridge_sched_t *e, bridge_job_t *job, size_t stage_len);
/* Jobs ended since the last call, as bridge_backend_ops_t.poll. */
int  bridge_sched_poll(bridge_sched_t *e, bridge_job_t **done, int max, int timeout_ms);
/* From the completion callback, holding e->lock: the slot is finished. */
void bridge_sched_done_locked(bridge_sched_t *e, bridge_slot_t *sl);

#endif /* ZENEDGE_BRIDGE_JOBQ_H */
