/* SPDX-License-Identifier: BSD-3-Clause */
/* jobq.c - bounded job FIFOs, class selection, the device slot
 * scheduler and the job skeleton (submit, start, unwind, finish) of the
 * asynchronous backends (jobq.h). */
#include "jobq.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bridge_errors.h"
#include "zenedge/barrier.h"
#include "zl.h"
#include "log.h"

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

int bridge_sched_init(bridge_sched_t *e, const bridge_backend_config_t *cfg, void *slots, size_t stride,
                      uint32_t n_slots, void *owner, const bridge_sched_hooks_t *hooks)
{
    memset(e, 0, sizeof(*e));
    e->depth = cfg && cfg->queue_depth ? cfg->queue_depth : BRIDGE_QUEUE_DEPTH_DEFAULT;
    if (n_slots > BRIDGE_SCHED_SLOTS_MAX)
        n_slots = BRIDGE_SCHED_SLOTS_MAX;
    e->n_slots = e->depth < n_slots ? e->depth : n_slots;
    for (uint32_t i = 0; i < e->n_slots; i++)
        e->slot[i] = (bridge_slot_t *)(void *)((char *)slots + (size_t)i * stride);
    e->strict = 1;
    e->lower_max = e->n_slots > 1 ? e->n_slots - 1 : e->n_slots;
    e->owner = owner;
    e->hooks = hooks;
    e->wake_fd = -1;
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
    for (uint32_t i = 0; i < e->n_slots; i++) {
        bridge_slot_t *sl = e->slot[i];
        for (uint32_t t = 0; t <= IPC_MAX_TENSORS; t++) {
            void **pp = t < IPC_MAX_TENSORS ? &sl->stage_in[t] : &sl->stage_out;
            if (*pp)
                e->hooks->stage_free(e->owner, *pp);
            *pp = NULL;
        }
    }
    for (uint32_t c = 0; c < IPC_QOS_COUNT; c++)
        bridge_jobq_free(&e->pending[c]);
    bridge_jobq_free(&e->failed);
    pthread_cond_destroy(&e->cond);
    pthread_mutex_destroy(&e->lock);
}

void bridge_sched_qos_policy(bridge_sched_t *e, int device_prioritises)
{
    const char *ov = getenv("ZENEDGE_QOS_OVERLAP");
    e->strict = !(device_prioritises && ov && strcmp(ov, "1") == 0);
}

void bridge_sched_rt_policy(bridge_sched_t *e, uint32_t bg_max, int rt_isolated)
{
    e->bg_max = bg_max;
    e->rt_isolated = rt_isolated;
}

void bridge_sched_complete(bridge_sched_t *e, bridge_slot_t *sl, int dev_status)
{
    uint64_t now = zl_now_ns();
    pthread_mutex_lock(&e->lock);
    sl->dev_status = dev_status;
    sl->t_done = now;
    sl->seq = ++e->seq;
    sl->done = 1;
    /* C2: release, pairs with the acquire in bridge_sched_op_finished. */
    ipc_store_release(&e->n_done, e->n_done + 1u);
    pthread_cond_broadcast(&e->cond);
    if (e->wake_fd >= 0)
        zl_db_ring(e->wake_fd); /* under lock: set_wake(-1) ends every ring */
    pthread_mutex_unlock(&e->lock);
}

/* ---- the job skeleton ----------------------------------------------------- */

int bridge_sched_model_check(const bridge_sched_t *e, const bridge_model_t *m, const char *backend,
                             bridge_sched_model_t *hdr, const char **kname, char *why, size_t whylen)
{
    if (e->n_models >= BRIDGE_MAX_MODELS) {
        bridge_why(why, whylen, "%s: more than %u models", m->manifest, BRIDGE_MAX_MODELS);
        return BRIDGE_E_NOMEM;
    }
    if (e->taken) {
        bridge_why(why, whylen, "%s: load_model while %u job(s) in flight", m->manifest, e->taken);
        return BRIDGE_E_INVAL;
    }
    /* The kernel of [backend.<backend>], else the CPU one's name. */
    const char *k = bridge_model_opt(m, backend, "kernel");
    if (k == NULL)
        k = bridge_model_opt(m, "cpu", "kernel");
    if (k == NULL) {
        bridge_why(why, whylen, "%s: [backend.%s] kernel: missing", m->manifest, backend);
        return BRIDGE_E_UNSUPPORTED;
    }
    uint32_t dim[3];
    memset(hdr, 0, sizeof(*hdr));
    hdr->m = m;
    hdr->kind = bridge_kernel_by_name(k);
    const char *bad = bridge_kernel_check(hdr->kind, m, dim);
    if (bad) {
        bridge_why(why, whylen, "%s: [backend.%s] kernel: %s %s", m->manifest, backend, k, bad);
        return BRIDGE_E_UNSUPPORTED;
    }
    hdr->d0 = dim[0];
    hdr->d1 = dim[1];
    hdr->d2 = dim[2];
    *kname = k;
    return BRIDGE_OK;
}

int bridge_sched_stage_grow(bridge_sched_t *e, const bridge_model_t *m, size_t *bytes, int *dev_err)
{
    size_t need = m->out[0].bytes;
    for (uint32_t i = 0; i < m->n_in; i++)
        need = m->in[i].bytes > need ? m->in[i].bytes : need;
    if (need <= e->stage_len)
        return BRIDGE_OK;
    for (uint32_t i = 0; i < e->n_slots; i++)
        for (uint32_t t = 0; t <= IPC_MAX_TENSORS; t++) {
            bridge_slot_t *sl = e->slot[i];
            void **pp = t < IPC_MAX_TENSORS ? &sl->stage_in[t] : &sl->stage_out;
            void *p = NULL;
            int rc = e->hooks->stage_alloc(e->owner, i, t, need, &p);
            if (rc != 0) {
                *bytes = need;
                *dev_err = rc;
                return BRIDGE_E_NOMEM;
            }
            if (*pp)
                e->hooks->stage_free(e->owner, *pp);
            *pp = p;
        }
    e->stage_len = need;
    return BRIDGE_OK;
}

void bridge_sched_add_model(bridge_sched_t *e, bridge_sched_model_t *om)
{
    e->model[e->n_models++] = om;
}

bridge_sched_model_t *bridge_sched_find_model(const bridge_sched_t *e, uint32_t id)
{
    for (uint32_t i = 0; i < e->n_models; i++)
        if (e->model[i]->m->id == id)
            return e->model[i];
    return NULL;
}

/* Stage the inputs and start job on slot idx without blocking: BRIDGE_OK,
 * or an error after which the slot is free and the job is answered
 * failed. */
static int sched_start(bridge_sched_t *e, uint32_t idx, bridge_job_t *job)
{
    const bridge_sched_hooks_t *h = e->hooks;
    bridge_slot_t *sl = e->slot[idx];
    const bridge_model_t *m = job->model;
    bridge_sched_model_t *om = bridge_sched_find_model(e, m->id);
    if (om == NULL)
        return BRIDGE_E_UNSUPPORTED;
    /* Copy once out of the shared region: the device reads our copy. */
    for (uint32_t i = 0; i < m->n_in; i++)
        memcpy(sl->stage_in[i], job->in[i], m->in[i].bytes);
    job->t_backend_start = zl_now_ns();
    int rc = h->enqueue(e->owner, idx, job, om);
    if (rc == 0) {
        pthread_mutex_lock(&e->lock);
        sl->job = job;
        sl->done = 0;
        pthread_mutex_unlock(&e->lock);
        rc = h->arm(e->owner, idx, job);
        if (rc == 0)
            return BRIDGE_OK;
        pthread_mutex_lock(&e->lock);
        sl->job = NULL;
        pthread_mutex_unlock(&e->lock);
    }
    /* Part of the job may be queued: let it drain before the slot is reused. */
    BLOG_ERR("%s: job 0x%08x (model %u) not started: %s (%d)", h->label, job->handle, m->id, h->errname(rc), rc);
    h->unwind(e->owner, idx, job);
    return BRIDGE_E_BACKEND;
}

/* Hand back the finished slot idx's job: status, times, output, result. */
static void sched_finish(bridge_sched_t *e, uint32_t idx)
{
    const bridge_sched_hooks_t *h = e->hooks;
    bridge_slot_t *sl = e->slot[idx];
    bridge_job_t *job = sl->job;
    const bridge_model_t *m = job->model;
    job->t_backend_end = sl->t_done;
    job->backend_ns = 0;
    job->result = 0;
    if (bridge_job_stale(job)) {
        /* The region it points into was detached (maybe unmapped, maybe
         * re-initialised): the output stays in the staging buffer. */
        job->status = IPC_STATUS_BACKEND_ERROR;
    } else if (sl->dev_status == 0) {
        job->backend_ns = h->device_ns(e->owner, idx);
        memcpy(job->out[0], sl->stage_out, m->out[0].bytes);
        job->result = bridge_backend_result(m, sl->stage_out);
        job->status = IPC_STATUS_OK;
    } else {
        BLOG_ERR("%s: job 0x%08x (model %u) failed on the device: %s (%d)", h->label, job->handle, m->id,
                 h->errname(sl->dev_status), sl->dev_status);
        job->status = IPC_STATUS_BACKEND_ERROR;
    }
    if (h->release)
        h->release(e->owner, idx);
}

/* May a job of class c start now? The index of a free slot for it, or
 * -1: none free, a more urgent job runs behind the class barrier (RT not
 * counted when it runs on its own part of the device), the classes below
 * RT hold every slot they may, or c is BACKGROUND and bg_max of its jobs
 * are on the device. */
static int sched_slot_for(const bridge_sched_t *e, uint32_t c)
{
    int f = -1;
    uint32_t lower = 0, bg = 0;
    for (uint32_t i = 0; i < e->n_slots; i++) {
        const bridge_job_t *j = e->slot[i]->job;
        if (j == NULL) {
            f = f < 0 ? (int)i : f;
            continue;
        }
        if (e->strict && j->qos < c && !(e->rt_isolated && j->qos == IPC_QOS_RT))
            return -1;
        lower += j->qos != IPC_QOS_RT;
        bg += j->qos == IPC_QOS_BACKGROUND;
    }
    if (c != IPC_QOS_RT && lower >= e->lower_max)
        return -1;
    if (c == IPC_QOS_BACKGROUND && e->bg_max && bg >= e->bg_max)
        return -1;
    return f;
}

/* Free slots go to the most urgent pending job: a class waits while a
 * more urgent one has jobs pending, so BACKGROUND never starts while an
 * RT job waits; with `strict`, also while a more urgent job runs. */
static void sched_dispatch(bridge_sched_t *e)
{
    for (;;) {
        uint32_t c = bridge_jobq_next_class(e->pending);
        if (c == IPC_QOS_COUNT)
            return;
        int f = sched_slot_for(e, c);
        if (f < 0)
            return;
        bridge_job_t *job = bridge_jobq_pop(&e->pending[c]);
        /* A stale job's inputs may be gone: never started, handed back. */
        if (bridge_job_stale(job) || sched_start(e, (uint32_t)f, job) != BRIDGE_OK) {
            bridge_job_fail_start(job);
            bridge_jobq_push(&e->failed, job);
        }
    }
}

int bridge_sched_op_submit(bridge_backend_t *be, bridge_job_t *job)
{
    bridge_sched_t *e = be ? be->priv : NULL;
    if (e == NULL || job == NULL || job->model == NULL)
        return BRIDGE_E_INVAL;
    const bridge_model_t *m = job->model;
    if (bridge_sched_find_model(e, m->id) == NULL)
        return BRIDGE_E_UNSUPPORTED;
    if (job->qos >= IPC_QOS_COUNT)
        return BRIDGE_E_INVAL;
    for (uint32_t i = 0; i < m->n_in; i++)
        if (job->in[i] == NULL || job->in_len[i] != m->in[i].bytes || m->in[i].bytes > e->stage_len)
            return BRIDGE_E_INVAL;
    if (job->out[0] == NULL || job->out_len[0] != m->out[0].bytes || m->out[0].bytes > e->stage_len)
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
        sched_finish(e, (uint32_t)best);
        pthread_mutex_lock(&e->lock);
        sl->job = NULL;
        sl->done = 0;
        ipc_store_release(&e->n_done, e->n_done - 1u);
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

void bridge_sched_op_set_wake(bridge_backend_t *be, int fd)
{
    bridge_sched_t *e = be ? be->priv : NULL;
    if (e == NULL)
        return;
    pthread_mutex_lock(&e->lock);
    e->wake_fd = fd;
    pthread_mutex_unlock(&e->lock);
}

int bridge_sched_op_finished(const bridge_backend_t *be)
{
    const bridge_sched_t *e = be ? be->priv : NULL;
    /* C2: acquire, pairs with the release in bridge_sched_complete. */
    return e ? (int)(ipc_load_acquire(&e->n_done) + e->failed.n) : 0;
}

int bridge_sched_op_in_flight(const bridge_backend_t *be)
{
    const bridge_sched_t *e = be ? be->priv : NULL;
    return e ? (int)e->taken : 0;
}

int bridge_sched_op_poll(bridge_backend_t *be, bridge_job_t **done, int max, int timeout_ms)
{
    bridge_sched_t *e = be ? be->priv : NULL;
    if (e == NULL || done == NULL || max < 0)
        return BRIDGE_E_INVAL;
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
        sched_dispatch(e); /* freed slots go to the most urgent pending job */
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
