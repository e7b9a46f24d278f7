/*
 * jobq.h - the job queues shared by the asynchronous backends (OpenCL,
 * CUDA): one FIFO of jobs per QoS class waiting for a device slot, and one
 * of jobs that failed to start, each bounded by the backend's queue depth
 * (a backend never holds more than `depth` jobs, so a FIFO never overflows).
 * Used from the dispatcher's thread only.
 */
#ifndef ZENEDGE_BRIDGE_JOBQ_H
#define ZENEDGE_BRIDGE_JOBQ_H

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

#endif /* ZENEDGE_BRIDGE_JOBQ_H */
