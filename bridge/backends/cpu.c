/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cpu.c - the CPU reference backend: every shipped model in plain C (the
 * kernels: cpu_kernels.c).
 *
 * Jobs never run on the dispatcher's thread: submit queues a job for the
 * worker thread of its QoS class. The workers are scheduled by the
 * operating system in the order dispatcher > RT > HIGH > NORMAL >
 * BACKGROUND (SCHED_FIFO priorities or nice values, bridge_qos_sched_t;
 * with nice values the BACKGROUND worker at SCHED_IDLE, which any other
 * thread waking on its CPU preempts at once, where a nice step would let
 * a running gemm finish its slice under EEVDF), so an RT job preempts a
 * running BACKGROUND job on a shared CPU and the dispatcher is never
 * starved by a worker. A worker only starts a job while no job of a more
 * urgent class is queued or running (the class barrier the accelerators
 * keep too): queued BACKGROUND work waits while RT work exists. A running
 * job is not abandoned: the OS preempts it (docs/backends.md has the
 * figures).
 *
 * No lock: a worker preempted anywhere (a SCHED_IDLE one may not run
 * again for long on a busy CPU) holds nothing that the dispatcher or
 * another class's worker waits for. The dispatcher alone decides: it owns
 * the queues, the counts and the class rule (may_start), and hands a job
 * to the idle worker of its class through that worker's own words: the
 * job pointer, then `go` (Q1); the worker sleeps on its own eventfd. The
 * worker hands the finished job back through its `fin` word (Q2), rings
 * the eventfd given by set_wake (a sleeping dispatcher wakes) and the
 * backend's own, on which poll waits. Each word has one writer; each
 * worker holds at most one job, so the hand-over is a one-slot
 * single-producer, single-consumer queue in each direction.
 *
 * Pairs (barrier.h): Q1 go: release by the dispatcher after w->job and the
 * job's start time, acquire by the worker. Q2 fin: release by the worker
 * after the job's output, result and times, acquire by the dispatcher
 * (poll, finished). Q3 ringing / wake_fd: each side stores, fences, then
 * loads the other's word, so that set_wake either sees a worker's ringing
 * flag or the worker sees the new fd. Q4 ready: release by a starting
 * worker after its set-up, acquire by init.
 *
 * Threads: submit, poll, in_flight, finished, set_wake, load_model, init
 * and shutdown on the dispatcher's thread; one worker per class (named
 * zb-cpu-rt, -high, -normal, -bg). Everything in cpu_state_t but the
 * words named above is the dispatcher's; the scratch buffers are a
 * worker's between Q1 and Q2 (load_model grows them only with no job
 * taken).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "../bridge_errors.h"
#include "backend.h"
#include "cpu.h"
#include "jobq.h"
#include "zenedge/barrier.h"
#include "zl.h"
#include "log.h"

struct cpu_state;

typedef struct cpu_worker {
    struct cpu_state *s;
    uint32_t qos;
    pthread_t thread;
    int created;
    int efd;                            /* rung by the dispatcher after go */
    bridge_job_t *job;                  /* written before go (Q1) */
    uint32_t go;                        /* Q1: jobs handed (or stop), by the dispatcher */
    uint32_t fin;                       /* Q2: the go count of the last job handed back */
    uint32_t ringing;                   /* Q3: between its read of wake_fd and its ring */
    uint32_t ready;                     /* Q4: 0 starting, 1 set up, 2 set-up failed */
    uint32_t seen;                      /* the worker's: the go count it acted on */
    uint32_t handed;                    /* the dispatcher's: jobs handed */
    uint32_t reaped;                    /* the dispatcher's: jobs handed back and returned by poll */
    void *scratch[IPC_MAX_TENSORS + 1]; /* in[0..3], out[0] */
    float *hidden;
} cpu_worker_t;

typedef struct cpu_state {
    cpu_model_t models[BRIDGE_MAX_MODELS];
    uint32_t n_models;
    uint32_t depth, taken; /* taken: submitted, not yet polled */
    size_t scratch_len, hidden_len;
    bridge_jobq_t queue[IPC_QOS_COUNT]; /* submitted, not yet handed */
    uint32_t stop;                      /* before go (Q1) */
    int wake_fd;                        /* Q3 */
    int poll_efd;                       /* rung by a worker after fin, and at set-up */
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

/* Whether worker w holds a job (handed, not yet returned by poll). */
static int busy(const cpu_worker_t *w)
{
    return w->handed != w->reaped;
}

/* Whether worker w has handed its job back (Q2: acquire; the job's fields
 * are the dispatcher's from here). */
static int handed_back(const cpu_worker_t *w)
{
    return busy(w) && ipc_load_acquire(&w->fin) == w->handed;
}

/* Whether class c may start a job now: one is queued, its worker is idle,
 * and no job of a more urgent class is queued or running. */
static int may_start(const cpu_state_t *s, uint32_t c)
{
    if (s->queue[c].n == 0 || busy(&s->w[c]))
        return 0;
    for (uint32_t k = 0; k < c; k++)
        if (s->queue[k].n || busy(&s->w[k]))
            return 0;
    return 1;
}

/* Hand every job that may start to its worker, most urgent class first. */
static void dispatch(cpu_state_t *s)
{
    for (uint32_t c = 0; c < IPC_QOS_COUNT; c++) {
        if (!may_start(s, c))
            continue;
        cpu_worker_t *w = &s->w[c];
        bridge_job_t *job = bridge_jobq_pop(&s->queue[c]);
        /* Start time = the moment of the decision, on the thread that
         * also submits: a job queued later did not exist. */
        job->t_backend_start = zl_now_ns();
        w->job = job;
        w->handed++;
        ipc_store_release(&w->go, w->handed); /* Q1: release, pairs with worker_main */
        zl_db_ring(w->efd);
    }
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

/* Worker w's job is done: published (Q2), then the dispatcher told. Nothing
 * here waits for another thread: a worker preempted at any point of it
 * delays only its own job. */
static void hand_back(cpu_worker_t *w)
{
    cpu_state_t *s = w->s;
    ipc_store_release(&w->fin, w->seen); /* Q2: release, pairs with handed_back */
    ipc_write_once(&w->ringing, 1u);
    ipc_fence(); /* Q3: ringing before the read of wake_fd; pairs with cpu_set_wake */
    int fd = ipc_read_once(&s->wake_fd);
    if (bridge_cpu_handover_pause)
        bridge_cpu_handover_pause(w->qos);
    if (fd >= 0)
        zl_db_ring(fd);
    ipc_store_release(&w->ringing, 0u); /* Q3: the ring of fd is over */
    zl_db_ring(s->poll_efd);            /* after ringing = 0: set_wake waits on it too */
}

static void *worker_main(void *arg)
{
    static const char *const name[IPC_QOS_COUNT] = {"zb-cpu-rt", "zb-cpu-high", "zb-cpu-normal", "zb-cpu-bg"};
    cpu_worker_t *w = arg;
    cpu_state_t *s = w->s;
    pthread_setname_np(pthread_self(), name[w->qos]); /* for ps, top and the tests; a failure changes nothing */
    int err = worker_setup(w);
    ipc_store_release(&w->ready, err != 0 ? 2u : 1u); /* Q4: release, pairs with start_workers */
    zl_db_ring(s->poll_efd);
    for (;;) {
        uint32_t go;
        while ((go = ipc_load_acquire(&w->go)) == w->seen) /* Q1: acquire, pairs with dispatch */
            if (zl_db_wait(w->efd, -1) < 0)
                usleep(1000); /* cannot fail on our eventfd; were it to, no spin */
        w->seen = go;
        if (ipc_read_once(&s->stop))
            break;
        bridge_cpu_run(find_model(s, w->job->model->id), w->job, w->scratch, w->hidden);
        hand_back(w);
    }
    return NULL;
}

static void stop_workers(cpu_state_t *s)
{
    ipc_write_once(&s->stop, 1u);
    for (uint32_t c = 0; c < IPC_QOS_COUNT; c++) {
        cpu_worker_t *w = &s->w[c];
        if (!w->created)
            continue;
        ipc_store_release(&w->go, w->handed + 1u); /* Q1: stop is seen with it */
        zl_db_ring(w->efd);
        pthread_join(w->thread, NULL);
    }
}

static void free_state(cpu_state_t *s)
{
    for (uint32_t c = 0; c < IPC_QOS_COUNT; c++) {
        cpu_worker_t *w = &s->w[c];
        for (uint32_t i = 0; i <= IPC_MAX_TENSORS; i++)
            free(w->scratch[i]);
        free(w->hidden);
        if (w->efd >= 0)
            close(w->efd);
        bridge_jobq_free(&s->queue[c]);
    }
    if (s->poll_efd >= 0)
        close(s->poll_efd);
    free(s);
}

/* Start the workers and wait until each has set itself up: BRIDGE_OK, or
 * BRIDGE_E_BACKEND (a thread not created, or not scheduled as asked). */
static int start_workers(cpu_state_t *s)
{
    uint32_t created = 0;
    for (uint32_t c = 0; c < IPC_QOS_COUNT; c++) {
        int r = pthread_create(&s->w[c].thread, NULL, worker_main, &s->w[c]);
        if (r != 0) {
            BLOG_ERR("cpu: worker of class %u not created: %s", c, strerror(r));
            break;
        }
        s->w[c].created = 1;
        created++;
    }
    int ok = created == IPC_QOS_COUNT;
    for (uint32_t c = 0; c < created; c++) {
        uint32_t r;
        while ((r = ipc_load_acquire(&s->w[c].ready)) == 0) /* Q4: acquire, pairs with worker_main */
            zl_db_wait(s->poll_efd, 100);
        ok &= r == 1u;
    }
    return ok ? BRIDGE_OK : BRIDGE_E_BACKEND;
}

/* The state's queues and eventfds: BRIDGE_OK or BRIDGE_E_NOMEM (what was
 * made is freed by free_state). */
static int make_state(cpu_state_t *s)
{
    int rc = BRIDGE_OK;
    s->wake_fd = -1;
    s->poll_efd = zl_db_create();
    if (s->poll_efd < 0)
        rc = BRIDGE_E_NOMEM;
    for (uint32_t c = 0; c < IPC_QOS_COUNT; c++) {
        s->w[c].s = s;
        s->w[c].qos = c;
        s->w[c].efd = zl_db_create();
        if (s->w[c].efd < 0 || bridge_jobq_init(&s->queue[c], s->depth) != BRIDGE_OK)
            rc = BRIDGE_E_NOMEM;
    }
    return rc;
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
    if (cfg && cfg->qos_sched)
        s->qs = *cfg->qos_sched;
    else
        bridge_qos_sched_default(&s->qs, 0, getpriority(PRIO_PROCESS, (id_t)gettid()));
    int rc = make_state(s);
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
    cpu_model_t cm;
    size_t hidden = 0;
    int rc = bridge_cpu_model(m, &cm, &hidden, why, whylen);
    if (rc != BRIDGE_OK)
        return rc;
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
    bridge_jobq_push(&s->queue[job->qos], job); /* cap depth: taken < depth */
    s->taken++;
    dispatch(s);
    return BRIDGE_OK;
}

/* Move up to max handed-back jobs into done[], most urgent class first:
 * the count. */
static int reap(cpu_state_t *s, bridge_job_t **done, int max)
{
    int n = 0;
    for (uint32_t c = 0; c < IPC_QOS_COUNT && n < max; c++) {
        cpu_worker_t *w = &s->w[c];
        if (handed_back(w)) {
            done[n++] = w->job;
            w->reaped = w->handed;
        }
    }
    return n;
}

static int cpu_poll(bridge_backend_t *be, bridge_job_t **done, int max, int timeout_ms)
{
    cpu_state_t *s = be ? be->priv : NULL;
    if (s == NULL || done == NULL || max < 0)
        return BRIDGE_E_INVAL;
    int n = reap(s, done, max);
    if (n == 0 && timeout_ms > 0 && max > 0 && s->taken > 0) {
        uint64_t end = zl_now_ns() + (uint64_t)timeout_ms * 1000000ull;
        for (uint64_t now = zl_now_ns(); n == 0 && now < end; now = zl_now_ns()) {
            /* A worker rings poll_efd after its Q2 store: a job handed
             * back after the look above wakes this wait. */
            zl_db_wait(s->poll_efd, (int)((end - now + 999999ull) / 1000000ull));
            n = reap(s, done, max);
        }
    }
    s->taken -= (uint32_t)n;
    dispatch(s); /* the classes the returned jobs held back */
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
    int n = 0;
    for (uint32_t c = 0; s && c < IPC_QOS_COUNT; c++)
        n += handed_back(&s->w[c]);
    return n;
}

static void cpu_set_wake(bridge_backend_t *be, int fd)
{
    cpu_state_t *s = be ? be->priv : NULL;
    if (s == NULL)
        return;
    ipc_write_once(&s->wake_fd, fd);
    ipc_fence(); /* Q3: the new fd before the look at ringing; pairs with hand_back */
    for (uint32_t c = 0; c < IPC_QOS_COUNT; c++)
        while (ipc_load_acquire(&s->w[c].ringing)) /* a ring of the old fd ends before it may be closed */
            zl_db_wait(s->poll_efd, 100);          /* rung once ringing is 0 */
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
