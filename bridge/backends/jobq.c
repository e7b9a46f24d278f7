/* jobq.c - bounded job FIFOs, class selection and the device slot
 * scheduler of the asynchronous backends. */
#include "jobq.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* ---- the slot scheduler -------------------------------------------------- */

int bridge_sched_init(bridge_sched_t *e, uint32_t depth, uint32_t n_slots, void *owner,
                      int (*start)(void *, uint32_t, bridge_job_t *), void (*finish)(void *, uint32_t))
{
    memset(e, 0, sizeof(*e));
    e->depth = depth ? depth : 1u;
    if (n_slots > BRIDGE_SCHED_SLOTS_MAX)
        n_slots = BRIDGE_SCHED_SLOTS_MAX;
    e->n_slots = e->depth < n_slots ? e->depth : n_slots;
    e->owner = owner;
    e->start = start;
    e->finish = finish;
    for (uint32_t c = 0; c < IPC_QOS_COUNT; c++)
        if (bridge_jobq_init(&e->pending[c], e->depth) != BRIDGE_OK)
            goto nomem;
    if (bridge_jobq_init(&e->failed, e->depth) != BRIDGE_OK)
        goto nomem;
    pthread_mutex_init(&e->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&e->cond, &ca);
    pthread_condattr_destroy(&ca);
    return BRIDGE_OK;
nomem:
    for (uint32_t c = 0; c < IPC_QOS_COUNT; c++)
        bridge_jobq_free(&e->pending[c]);
    bridge_jobq_free(&e->failed);
    return BRIDGE_E_NOMEM;
}

void bridge_sched_destroy(bridge_sched_t *e)
{
    for (uint32_t c = 0; c < IPC_QOS_COUNT; c++)
        bridge_jobq_free(&e->pending[c]);
    bridge_jobq_free(&e->failed);
    pthread_cond_destroy(&e->cond);
    pthread_mutex_destroy(&e->lock);
}

void bridge_sched_done_locked(bridge_sched_t *e, bridge_slot_t *sl)
{
    sl->seq = ++e->seq;
    sl->done = 1;
    pthread_cond_broadcast(&e->cond);
}

/* Free slots go to the most urgent pending job; with `strict`, a class
 * waits while a more urgent job runs. */
static void sched_dispatch(bridge_sched_t *e)
{
    for (;;) {
        uint32_t c = bridge_jobq_next_class(e->pending);
        if (c == IPC_QOS_COUNT)
            return;
        int f = -1;
        for (uint32_t i = 0; i < e->n_slots; i++) {
            const bridge_job_t *j = e->slot[i]->job;
            if (e->strict && j && j->qos < c)
                return;
            if (j == NULL && f < 0)
                f = (int)i;
        }
        if (f < 0)
            return;
        bridge_job_t *job = bridge_jobq_pop(&e->pending[c]);
        if (e->start(e->owner, (uint32_t)f, job) != BRIDGE_OK) {
            bridge_job_fail_start(job);
            bridge_jobq_push(&e->failed, job);
        }
    }
}

int bridge_sched_submit(bridge_sched_t *e, bridge_job_t *job, size_t stage_len)
{
    const bridge_model_t *m = job->model;
    if (job->qos >= IPC_QOS_COUNT)
        return BRIDGE_E_INVAL;
    for (uint32_t i = 0; i < m->n_in; i++)
        if (job->in[i] == NULL || job->in_len[i] != m->in[i].bytes || m->in[i].bytes > stage_len)
            return BRIDGE_E_INVAL;
    if (job->out[0] == NULL || job->out_len[0] != m->out[0].bytes || m->out[0].bytes > stage_len)
        return BRIDGE_E_INVAL;
    if (e->taken >= e->depth)
        return BRIDGE_E_BUSY;
    bridge_jobq_push(&e->pending[job->qos], job);
    e->taken++;
    sched_dispatch(e);
    return BRIDGE_OK;
}

/* Finished slots, oldest completion first, into done[]. */
static int sched_collect(bridge_sched_t *e, bridge_job_t **done, int max)
{
    int n = 0;
    while (n < max) {
        int best = -1;
        pthread_mutex_lock(&e->lock);
        for (uint32_t i = 0; i < e->n_slots; i++) {
            const bridge_slot_t *sl = e->slot[i];
            if (sl->job && sl->done && (best < 0 || sl->seq < e->slot[best]->seq))
                best = (int)i;
        }
        pthread_mutex_unlock(&e->lock);
        if (best < 0)
            break;
        bridge_slot_t *sl = e->slot[best];
        bridge_job_t *job = sl->job;
        e->finish(e->owner, (uint32_t)best);
        pthread_mutex_lock(&e->lock);
        sl->job = NULL;
        sl->done = 0;
        pthread_mutex_unlock(&e->lock);
        e->taken--;
        done[n++] = job;
    }
    return n;
}

static int sched_take_failed(bridge_sched_t *e, bridge_job_t **done, int max)
{
    int n = 0;
    while (n < max && e->failed.n) {
        done[n++] = bridge_jobq_pop(&e->failed);
        e->taken--;
    }
    return n;
}

static int sched_busy(const bridge_sched_t *e)
{
    for (uint32_t i = 0; i < e->n_slots; i++)
        if (e->slot[i]->job)
            return 1;
    return 0;
}

int bridge_sched_poll(bridge_sched_t *e, bridge_job_t **done, int max, int timeout_ms)
{
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    if (timeout_ms > 0) {
        dl.tv_sec += timeout_ms / 1000;
        dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (dl.tv_nsec >= 1000000000L) {
            dl.tv_sec++;
            dl.tv_nsec -= 1000000000L;
        }
    }
    int n = 0;
    for (;;) {
        n += sched_take_failed(e, done + n, max - n);
        n += sched_collect(e, done + n, max - n);
        sched_dispatch(e);   /* freed slots go to the most urgent pending job */
        n += sched_take_failed(e, done + n, max - n);
        if (n > 0 || max == 0 || timeout_ms <= 0 || !sched_busy(e))
            return n;
        int timed_out = 0;
        pthread_mutex_lock(&e->lock);
        for (;;) {
            int any = 0;
            for (uint32_t i = 0; i < e->n_slots; i++)
                any |= e->slot[i]->job != NULL && e->slot[i]->done;
            if (any || timed_out)
                break;
            timed_out = pthread_cond_timedwait(&e->cond, &e->lock, &dl) == ETIMEDOUT;
        }
        pthread_mutex_unlock(&e->lock);
        if (timed_out) {
            n += sched_collect(e, done + n, max - n);
            sched_dispatch(e);
            return n + sched_take_failed(e, done + n, max - n);
        }
    }
}
