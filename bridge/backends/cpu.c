/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cpu.c - the CPU reference backend: every shipped model in plain C.
 *
 * Other backends are checked against these results, so the kernels are
 * written for clarity and a fixed summation order (k ascending, no fused
 * multiply-add requested), not for speed.
 *
 * Jobs never run on the dispatcher's thread: submit queues a job for the
 * worker thread of its QoS class and returns. The workers are scheduled
 * by the operating system in the order dispatcher > RT > HIGH > NORMAL >
 * BACKGROUND (SCHED_FIFO priorities or nice values, bridge_qos_sched_t;
 * with nice values the BACKGROUND worker at SCHED_IDLE, which any other
 * thread waking on its CPU preempts at once, where a nice step would let
 * a running gemm finish its slice under EEVDF), so an RT job preempts a
 * running BACKGROUND job on a shared CPU and the dispatcher is never
 * starved by a worker. The dispatcher is woken (condition, eventfd) only
 * with the lock free: woken, it preempts a SCHED_IDLE worker at once and
 * must not find the lock held by it. On top of that a worker only
 * starts a job while no job of a more urgent class is queued or running
 * (the class barrier the accelerators keep too): queued BACKGROUND work
 * waits while RT work exists. A running job is not abandoned: the OS
 * preempts it (docs/backends.md has the figures). A finished job goes
 * to the done queue, poll hands it to the dispatcher, and the eventfd
 * given by set_wake is rung so that a sleeping dispatcher wakes.
 *
 * Tensors live in the shared region, at offsets the peer chose: they may
 * be unaligned and may change while we read them. Inputs are therefore
 * copied once into the worker's private, aligned scratch buffers, the
 * kernel runs on the copies, and the output is copied back; a hostile
 * peer can make the answer wrong but cannot make the kernel misbehave.
 *
 * Threads: submit, poll, in_flight, finished, set_wake, load_model, init
 * and shutdown on the dispatcher's thread; one worker per class (named
 * zb-cpu-rt, -high, -normal, -bg). `lock` guards the queues, the counters
 * of queued and running jobs, stop, wake_fd and ringing; `taken` and the
 * models are the dispatcher's (load_model runs only with no job taken,
 * while every worker waits).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "../bridge_errors.h"
#include "backend.h"
#include "jobq.h"
#include "zenedge/barrier.h"
#include "zl.h"
#include "log.h"

typedef struct cpu_model {
    uint32_t id;
    bridge_kernel_t kernel;
    uint32_t m, k, n; /* gemm: [m,k] x [k,n]; mlp: in k, hidden m, out n */
    const float *w1, *b1, *w2, *b2;
} cpu_model_t;

struct cpu_state;

typedef struct cpu_worker {
    struct cpu_state *s;
    uint32_t qos;
    pthread_t thread;
    int created;
    pthread_cond_t cond;                /* work for this class, or stop */
    void *scratch[IPC_MAX_TENSORS + 1]; /* in[0..3], out[0] */
    float *hidden;
} cpu_worker_t;

typedef struct cpu_state {
    cpu_model_t models[BRIDGE_MAX_MODELS];
    uint32_t n_models;
    uint32_t depth, taken; /* taken: submitted, not yet polled (dispatcher) */
    size_t scratch_len, hidden_len;
    pthread_mutex_t lock;
    pthread_cond_t done_cond; /* a job finished, or a worker started (CLOCK_MONOTONIC) */
    bridge_jobq_t queue[IPC_QOS_COUNT];
    bridge_jobq_t done;
    uint32_t running[IPC_QOS_COUNT];
    uint32_t n_done; /* done.n, for finished(): C1 */
    uint32_t started, setup_failed;
    uint32_t ringing; /* workers ringing wake_fd outside the lock: set_wake waits for none */
    int stop, wake_fd;
    bridge_qos_sched_t qs;
    cpu_worker_t w[IPC_QOS_COUNT];
} cpu_state_t;

static int cpu_probe(bridge_device_info_t *devs, int max, char *why, size_t whylen)
{
    (void)why;
    (void)whylen;
    if (devs && max > 0) {
        memset(&devs[0], 0, sizeof(devs[0]));
        strcpy(devs[0].backend, "cpu");
        strcpy(devs[0].platform, "host");
        strcpy(devs[0].device, "reference kernels in plain C (a worker thread per QoS class)");
        devs[0].index = 0;
    }
    return 1;
}

static int grow(void **p, size_t *have, size_t want)
{
    if (*have >= want)
        return BRIDGE_OK;
    void *n = realloc(*p, want);
    if (n == NULL)
        return BRIDGE_E_NOMEM;
    *p = n;
    *have = want;
    return BRIDGE_OK;
}

static const cpu_model_t *find_model(const cpu_state_t *s, uint32_t id)
{
    for (uint32_t i = 0; i < s->n_models; i++)
        if (s->models[i].id == id)
            return &s->models[i];
    return NULL;
}

static void k_vector_add(const int32_t *a, const int32_t *b, int32_t *c, uint32_t n)
{
    /* Wrapping addition, defined for every input: done in unsigned. */
    for (uint32_t i = 0; i < n; i++)
        c[i] = (int32_t)((uint32_t)a[i] + (uint32_t)b[i]);
}

static void k_saxpy(float alpha, const float *x, const float *y, float *out, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        out[i] = alpha * x[i] + y[i];
}

static void k_gemm(const float *a, const float *b, float *c, uint32_t m, uint32_t k, uint32_t n)
{
    for (uint32_t i = 0; i < m; i++)
        for (uint32_t j = 0; j < n; j++) {
            float acc = 0.0f;
            for (uint32_t p = 0; p < k; p++)
                acc += a[(size_t)i * k + p] * b[(size_t)p * n + j];
            c[(size_t)i * n + j] = acc;
        }
}

static void k_mlp(const cpu_model_t *cm, const float *x, float *h, float *out)
{
    for (uint32_t j = 0; j < cm->m; j++) {
        float acc = 0.0f;
        for (uint32_t p = 0; p < cm->k; p++)
            acc += x[p] * cm->w1[(size_t)p * cm->m + j];
        acc += cm->b1[j];
        h[j] = acc > 0.0f ? acc : 0.0f;
    }
    for (uint32_t c = 0; c < cm->n; c++) {
        float acc = 0.0f;
        for (uint32_t j = 0; j < cm->m; j++)
            acc += h[j] * cm->w2[(size_t)j * cm->n + c];
        out[c] = acc + cm->b2[c];
    }
}

/* Run job on worker w's scratch: output, result, end time, status (its
 * start time was stamped when it was taken, under the lock). */
static void run_job(cpu_worker_t *w, const cpu_model_t *cm, bridge_job_t *job)
{
    const bridge_model_t *m = job->model;
    for (uint32_t i = 0; i < m->n_in; i++)
        memcpy(w->scratch[i], job->in[i], job->in_len[i]);
    void *o = w->scratch[IPC_MAX_TENSORS];
    job->status = IPC_STATUS_OK;
    switch (cm->kernel) {
    case BRIDGE_K_VECTOR_ADD_I32: k_vector_add(w->scratch[0], w->scratch[1], o, m->out[0].count); break;
    case BRIDGE_K_SAXPY_F32:
        k_saxpy(*(const float *)w->scratch[0], w->scratch[1], w->scratch[2], o, m->out[0].count);
        break;
    case BRIDGE_K_GEMM_F32: k_gemm(w->scratch[0], w->scratch[1], o, cm->m, cm->k, cm->n); break;
    case BRIDGE_K_MLP_RELU_F32: k_mlp(cm, w->scratch[0], w->hidden, o); break;
    default: job->status = IPC_STATUS_BACKEND_ERROR; break; /* load_model admits none such */
    }
    job->result = 0;
    if (job->status == IPC_STATUS_OK) {
        memcpy(job->out[0], o, m->out[0].bytes);
        job->result = bridge_backend_result(m, o);
    }
    job->t_backend_end = zl_now_ns();
    job->backend_ns = job->t_backend_end - job->t_backend_start;
}

/* Whether class c may start a job now: one is queued, and no job of a
 * more urgent class is queued or running. Under lock. */
static int may_start(const cpu_state_t *s, uint32_t c)
{
    if (s->queue[c].n == 0)
        return 0;
    for (uint32_t k = 0; k < c; k++)
        if (s->queue[k].n || s->running[k])
            return 0;
    return 1;
}

/* Pin and prioritise the calling worker as s->qs says: 0 or an errno. */
static int worker_setup(cpu_worker_t *w)
{
    const bridge_qos_sched_t *q = &w->s->qs;
    cpu_set_t set;
    CPU_ZERO(&set);
    int any = 0;
    for (uint32_t c = 0; c < BRIDGE_CPU_MAX && c < CPU_SETSIZE; c++)
        if (q->cpus[c / 64u] >> (c % 64u) & 1u) {
            CPU_SET(c, &set);
            any = 1;
        }
    int r = any ? pthread_setaffinity_np(pthread_self(), sizeof(set), &set) : 0;
    if (r != 0) {
        BLOG_ERR("cpu: worker of class %u: cannot run on the CPUs asked for: %s", w->qos, strerror(r));
        return r;
    }
    if (q->fifo) {
        struct sched_param sp = {.sched_priority = q->prio[w->qos]};
        r = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
    } else if (setpriority(PRIO_PROCESS, (id_t)gettid(), q->prio[w->qos]) != 0) {
        r = errno; /* Linux: a thread has a nice value of its own, set through its id */
    }
    if (r != 0)
        BLOG_ERR("cpu: worker of class %u: %s %d: %s", w->qos, q->fifo ? "SCHED_FIFO" : "nice", q->prio[w->qos],
                 strerror(r));
    if (r == 0 && !q->fifo && q->bg_idle && w->qos == IPC_QOS_BACKGROUND) {
        struct sched_param sp = {.sched_priority = 0};
        int e = pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);
        if (e != 0) /* not fatal: the nice value set above stays */
            BLOG_WARN("cpu: BACKGROUND worker: SCHED_IDLE refused (%s): nice %d only", strerror(e), q->prio[w->qos]);
    }
    return r;
}

/* Worker w's job is done: to the done queue, the dispatcher told. Called
 * and returns with the lock held, drops it in between: the dispatcher is
 * woken (its condition and its doorbell) only with the lock free, since
 * the woken dispatcher preempts a SCHED_IDLE worker at once, and would
 * otherwise find the lock held by a thread that may not run again soon
 * on a CPU with other work (a priority inversion). */
static void job_done(cpu_worker_t *w, bridge_job_t *job)
{
    cpu_state_t *s = w->s;
    s->running[w->qos]--;
    bridge_jobq_push(&s->done, job);
    /* C1: release, pairs with the acquire in cpu_finished (the job's
     * fields are the dispatcher's once it sees the count). */
    ipc_store_release(&s->n_done, s->done.n);
    for (uint32_t k = w->qos + 1u; k < IPC_QOS_COUNT; k++)
        if (may_start(s, k))
            pthread_cond_signal(&s->w[k].cond);
    int fd = s->wake_fd;
    s->ringing += fd >= 0;
    pthread_mutex_unlock(&s->lock);
    pthread_cond_signal(&s->done_cond); /* a waiter checks done.n under the lock first: none is missed */
    if (fd >= 0)
        zl_db_ring(fd);
    pthread_mutex_lock(&s->lock);
    if (fd >= 0 && --s->ringing == 0)
        pthread_cond_broadcast(&s->done_cond); /* set_wake may be waiting for it */
}

static void *worker_main(void *arg)
{
    static const char *const name[IPC_QOS_COUNT] = {"zb-cpu-rt", "zb-cpu-high", "zb-cpu-normal", "zb-cpu-bg"};
    cpu_worker_t *w = arg;
    cpu_state_t *s = w->s;
    pthread_setname_np(pthread_self(), name[w->qos]); /* for ps, top and the tests; a failure changes nothing */
    int err = worker_setup(w);
    pthread_mutex_lock(&s->lock);
    s->started++;
    s->setup_failed += err != 0;
    pthread_cond_broadcast(&s->done_cond);
    for (;;) {
        while (!s->stop && !may_start(s, w->qos))
            pthread_cond_wait(&w->cond, &s->lock);
        if (s->stop)
            break;
        bridge_job_t *job = bridge_jobq_pop(&s->queue[w->qos]);
        s->running[w->qos]++;
        /* Start time = the moment of the decision, under the lock that
         * orders it with every submit: a job queued later did not exist. */
        job->t_backend_start = zl_now_ns();
        pthread_mutex_unlock(&s->lock);
        run_job(w, find_model(s, job->model->id), job);
        pthread_mutex_lock(&s->lock);
        job_done(w, job);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

static void stop_workers(cpu_state_t *s)
{
    pthread_mutex_lock(&s->lock);
    s->stop = 1;
    for (uint32_t c = 0; c < IPC_QOS_COUNT; c++)
        pthread_cond_broadcast(&s->w[c].cond);
    pthread_mutex_unlock(&s->lock);
    for (uint32_t c = 0; c < IPC_QOS_COUNT; c++)
        if (s->w[c].created)
            pthread_join(s->w[c].thread, NULL);
}

static void free_state(cpu_state_t *s)
{
    for (uint32_t c = 0; c < IPC_QOS_COUNT; c++) {
        cpu_worker_t *w = &s->w[c];
        for (uint32_t i = 0; i <= IPC_MAX_TENSORS; i++)
            free(w->scratch[i]);
        free(w->hidden);
        pthread_cond_destroy(&w->cond);
        bridge_jobq_free(&s->queue[c]);
    }
    bridge_jobq_free(&s->done);
    pthread_cond_destroy(&s->done_cond);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* Start the workers and wait until each has set itself up: BRIDGE_OK, or
 * BRIDGE_E_BACKEND (a thread not created, or not scheduled as asked). */
static int start_workers(cpu_state_t *s)
{
    uint32_t created = 0;
    for (uint32_t c = 0; c < IPC_QOS_COUNT; c++) {
        s->w[c].s = s;
        s->w[c].qos = c;
        int r = pthread_create(&s->w[c].thread, NULL, worker_main, &s->w[c]);
        if (r != 0) {
            BLOG_ERR("cpu: worker of class %u not created: %s", c, strerror(r));
            break;
        }
        s->w[c].created = 1;
        created++;
    }
    pthread_mutex_lock(&s->lock);
    while (s->started < created)
        pthread_cond_wait(&s->done_cond, &s->lock);
    int ok = created == IPC_QOS_COUNT && s->setup_failed == 0;
    pthread_mutex_unlock(&s->lock);
    return ok ? BRIDGE_OK : BRIDGE_E_BACKEND;
}

static int cpu_init(bridge_backend_t *be, const bridge_backend_config_t *cfg)
{
    if (be == NULL)
        return BRIDGE_E_INVAL;
    if (cfg && cfg->device && cfg->device[0] && strcmp(cfg->device, "0") != 0 && strcmp(cfg->device, "host") != 0)
        return BRIDGE_E_NO_DEVICE;
    cpu_state_t *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return BRIDGE_E_NOMEM;
    s->depth = cfg && cfg->queue_depth ? cfg->queue_depth : BRIDGE_QUEUE_DEPTH_DEFAULT;
    s->wake_fd = -1;
    if (cfg && cfg->qos_sched)
        s->qs = *cfg->qos_sched;
    else
        bridge_qos_sched_default(&s->qs, 0, getpriority(PRIO_PROCESS, (id_t)gettid()));
    pthread_mutex_init(&s->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->done_cond, &ca);
    pthread_condattr_destroy(&ca);
    int rc = bridge_jobq_init(&s->done, s->depth);
    for (uint32_t c = 0; c < IPC_QOS_COUNT; c++) {
        pthread_cond_init(&s->w[c].cond, NULL);
        if (bridge_jobq_init(&s->queue[c], s->depth) != BRIDGE_OK)
            rc = BRIDGE_E_NOMEM;
    }
    if (rc == BRIDGE_OK)
        rc = start_workers(s);
    if (rc != BRIDGE_OK) {
        stop_workers(s);
        free_state(s);
        return rc;
    }
    be->priv = s;
    return BRIDGE_OK;
}

/* Every worker's scratch at least need bytes (hidden: hidden bytes). */
static int grow_scratch(cpu_state_t *s, size_t need, size_t hidden)
{
    for (uint32_t c = 0; c < IPC_QOS_COUNT; c++) {
        cpu_worker_t *w = &s->w[c];
        for (uint32_t i = 0; i <= IPC_MAX_TENSORS; i++) {
            size_t have = s->scratch_len;
            if (grow(&w->scratch[i], &have, need) != BRIDGE_OK)
                return BRIDGE_E_NOMEM;
        }
        size_t hv = s->hidden_len;
        if (grow((void **)&w->hidden, &hv, hidden) != BRIDGE_OK)
            return BRIDGE_E_NOMEM;
    }
    s->scratch_len = need > s->scratch_len ? need : s->scratch_len;
    s->hidden_len = hidden > s->hidden_len ? hidden : s->hidden_len;
    return BRIDGE_OK;
}

static int cpu_load_model(bridge_backend_t *be, const bridge_model_t *m, char *why, size_t whylen)
{
    cpu_state_t *s = be ? be->priv : NULL;
    if (s == NULL || m == NULL)
        return BRIDGE_E_INVAL;
    if (s->n_models >= BRIDGE_MAX_MODELS)
        return BRIDGE_E_NOMEM;
    if (s->taken) {
        bridge_why(why, whylen, "%s: load_model while %u job(s) in flight", m->manifest, s->taken);
        return BRIDGE_E_INVAL;
    }
    const char *kname = bridge_model_opt(m, "cpu", "kernel");
    if (kname == NULL) {
        snprintf(why, whylen, "%s: [backend.cpu] kernel: missing", m->manifest);
        return BRIDGE_E_UNSUPPORTED;
    }
    cpu_model_t cm = {.id = m->id, .kernel = bridge_kernel_by_name(kname)};
    uint32_t dim[3];
    const char *bad = bridge_kernel_check(cm.kernel, m, dim);
    if (bad) {
        snprintf(why, whylen, "%s: [backend.cpu] kernel: %s %s", m->manifest, kname, bad);
        return BRIDGE_E_UNSUPPORTED;
    }
    size_t hidden = 0;
    if (cm.kernel == BRIDGE_K_GEMM_F32) {
        cm.m = dim[0];
        cm.k = dim[1];
        cm.n = dim[2];
    } else if (cm.kernel == BRIDGE_K_MLP_RELU_F32) { /* in k, hidden m, out n */
        cm.k = dim[0];
        cm.m = dim[1];
        cm.n = dim[2];
        cm.w1 = bridge_model_weight(m, "w1")->data; /* present and f32: checked above */
        cm.b1 = bridge_model_weight(m, "b1")->data;
        cm.w2 = bridge_model_weight(m, "w2")->data;
        cm.b2 = bridge_model_weight(m, "b2")->data;
        hidden = (size_t)cm.m * sizeof(float);
    }
    size_t need = m->out[0].bytes;
    for (uint32_t i = 0; i < m->n_in; i++)
        need = m->in[i].bytes > need ? m->in[i].bytes : need;
    if (grow_scratch(s, need, hidden) != BRIDGE_OK)
        return BRIDGE_E_NOMEM;
    s->models[s->n_models++] = cm;
    return BRIDGE_OK;
}

static int cpu_submit(bridge_backend_t *be, bridge_job_t *job)
{
    cpu_state_t *s = be ? be->priv : NULL;
    if (s == NULL || job == NULL || job->model == NULL || job->qos >= IPC_QOS_COUNT)
        return BRIDGE_E_INVAL;
    if (s->taken >= s->depth)
        return BRIDGE_E_BUSY;
    if (find_model(s, job->model->id) == NULL)
        return BRIDGE_E_UNSUPPORTED;
    const bridge_model_t *m = job->model;
    /* The dispatcher validated lengths against the model; check again so
     * the kernel can never overrun a scratch buffer whatever the caller. */
    for (uint32_t i = 0; i < m->n_in; i++)
        if (job->in[i] == NULL || job->in_len[i] != m->in[i].bytes || job->in_len[i] > s->scratch_len)
            return BRIDGE_E_INVAL;
    if (job->out[0] == NULL || job->out_len[0] != m->out[0].bytes || m->out[0].bytes > s->scratch_len)
        return BRIDGE_E_INVAL;
    pthread_mutex_lock(&s->lock);
    bridge_jobq_push(&s->queue[job->qos], job); /* cap depth: taken < depth */
    if (may_start(s, job->qos))
        pthread_cond_signal(&s->w[job->qos].cond);
    pthread_mutex_unlock(&s->lock);
    s->taken++;
    return BRIDGE_OK;
}

/* Deadline timeout_ms from now on CLOCK_MONOTONIC. */
static struct timespec deadline_in(int timeout_ms)
{
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    dl.tv_sec += timeout_ms / 1000;
    dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000L;
    }
    return dl;
}

static int cpu_poll(bridge_backend_t *be, bridge_job_t **done, int max, int timeout_ms)
{
    cpu_state_t *s = be ? be->priv : NULL;
    if (s == NULL || done == NULL || max < 0)
        return BRIDGE_E_INVAL;
    int n = 0;
    pthread_mutex_lock(&s->lock);
    if (s->done.n == 0 && timeout_ms > 0 && max > 0 && s->taken > 0) {
        struct timespec dl = deadline_in(timeout_ms);
        while (s->done.n == 0)
            if (pthread_cond_timedwait(&s->done_cond, &s->lock, &dl) == ETIMEDOUT)
                break;
    }
    while (n < max && s->done.n > 0)
        done[n++] = bridge_jobq_pop(&s->done);
    ipc_store_release(&s->n_done, s->done.n); /* C1 (a smaller count: nothing to publish) */
    pthread_mutex_unlock(&s->lock);
    s->taken -= (uint32_t)n;
    return n;
}

static int cpu_in_flight(const bridge_backend_t *be)
{
    const cpu_state_t *s = be ? be->priv : NULL;
    return s ? (int)s->taken : 0;
}

static int cpu_finished(const bridge_backend_t *be)
{
    const cpu_state_t *s = be ? be->priv : NULL;
    /* C1: acquire, pairs with the worker's release after its push. */
    return s ? (int)ipc_load_acquire(&s->n_done) : 0;
}

static void cpu_set_wake(bridge_backend_t *be, int fd)
{
    cpu_state_t *s = be ? be->priv : NULL;
    if (s == NULL)
        return;
    pthread_mutex_lock(&s->lock);
    s->wake_fd = fd;
    while (s->ringing > 0) /* a ring of the old fd ends before it may be closed */
        pthread_cond_wait(&s->done_cond, &s->lock);
    pthread_mutex_unlock(&s->lock);
}

static void cpu_shutdown(bridge_backend_t *be)
{
    cpu_state_t *s = be ? be->priv : NULL;
    if (s == NULL)
        return;
    stop_workers(s); /* a running job ends first */
    free_state(s);
    be->priv = NULL;
}

const bridge_backend_ops_t bridge_backend_cpu = {
    .name = "cpu",
    .probe = cpu_probe,
    .init = cpu_init,
    .load_model = cpu_load_model,
    .submit = cpu_submit,
    .poll = cpu_poll,
    .in_flight = cpu_in_flight,
    .shutdown = cpu_shutdown,
    .set_wake = cpu_set_wake,
    .finished = cpu_finished,
};
