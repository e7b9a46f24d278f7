/* jobq.c - bounded job FIFOs and class selection for asynchronous backends. */
#include "jobq.h"

#include <stdlib.h>

#include "bridge_errors.h"
#include "zl.h"

int bridge_jobq_init(bridge_jobq_t *q, uint32_t cap)
{
    q->v = calloc(cap ? cap : 1u, sizeof(*q->v));
    q->cap = cap ? cap : 1u;
    q->head = q->n = 0;
    return q->v ? BRIDGE_OK : BRIDGE_E_NOMEM;
}

void bridge_jobq_free(bridge_jobq_t *q)
{
    free(q->v);
    q->v = NULL;
    q->n = 0;
}

void bridge_jobq_push(bridge_jobq_t *q, bridge_job_t *j)
{
    q->v[(q->head + q->n) % q->cap] = j;
    q->n++;
}

bridge_job_t *bridge_jobq_pop(bridge_jobq_t *q)
{
    bridge_job_t *j = q->v[q->head];
    q->head = (q->head + 1) % q->cap;
    q->n--;
    return j;
}

uint32_t bridge_jobq_next_class(const bridge_jobq_t pending[IPC_QOS_COUNT])
{
    uint32_t c = 0;
    while (c < IPC_QOS_COUNT && pending[c].n == 0)
        c++;
    return c;
}

void bridge_job_fail_start(bridge_job_t *job)
{
    job->t_backend_end = zl_now_ns();
    job->backend_ns = 0;
    job->result = 0;
    job->status = IPC_STATUS_BACKEND_ERROR;
}
