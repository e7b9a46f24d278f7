/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_e2e.c - zenedge-bench, end-to-end section: RUN_MODEL through the
 * ring versus the same backend called in-process.
 *
 * Placement. The paired harness has ended (its follower is gone) when this
 * runs. The leader creates a POSIX shm region, lays it out with the real
 * proxy (rtos/proxy.h) on the POSIX port in manual mode (no interrupt
 * thread: the task itself polls the completion ring, i.e. a polling
 * doorbell on the zenedge side, IPC_DB_POLL towards the bridge), then
 * forks the real dispatcher of zenedge-bridged (bridge_dispatch_run, poll
 * doorbell, the same backend) pinned to the bridge CPU for the whole
 * section. The leader, pinned to the zenedge CPU, alternates short phases:
 *   direct: fill a bridge_job_t as the dispatcher does, backend submit,
 *           poll until it comes back (tensors in private memory);
 *   ring:   contract_submit_job() (checks, input copy into the heap,
 *           descriptor, ring) then poll the completion ring and
 *           contract_wait(0) (output copy, slot release).
 * Per-job time of a phase = phase time / jobs in it; summaries are over
 * phases; overhead = median(ring) - median(direct).
 */
#define _GNU_SOURCE
#include "bench.h"
#include "bench_bridge.h"

#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zl.h"
#include "zenedge/barrier.h"

#include "backends/backend.h"
#include "bridge_errors.h"
#include "config.h"
#include "dispatch.h"
#include "log.h"
#include "registry.h"

#include "contract.h"
#include "proxy.h"
#include "port.h"

#ifndef ZENEDGE_BENCH_MODELS_DIR
#define ZENEDGE_BENCH_MODELS_DIR "models"
#endif

#define E2E_REGION_BYTES   (4u << 20)
#define E2E_JOB_TIMEOUT_NS 2000000000ull  /* one job: 2 s, then the run fails */
#define E2E_ONLINE_NS      10000000000ull /* the dispatcher must be READY within 10 s */

static const uint32_t e2e_models[] = {1u, 4u}; /* vector_add, digits_mlp */
#define E2E_N_MODELS (sizeof(e2e_models) / sizeof(e2e_models[0]))

/* ---------------------------------------------------------------------- */
/* The forked dispatcher                                                   */
/* ---------------------------------------------------------------------- */

static bridge_signals_t e2e_sig;

static void e2e_on_term(int sig)
{
    (void)sig;
    e2e_sig.stop = 1;
}

/* The workers on the dispatcher's CPU, below it: SCHED_FIFO when this
 * process may have it (then the dispatcher runs at BENCH_DISPATCHER_FIFO),
 * else nice levels and BACKGROUND at SCHED_IDLE (nice only with
 * ZENEDGE_BENCH_BACKGROUND=nice, to compare); the scheme into db->sched.
 * Returns q. */
static const bridge_qos_sched_t *dispatcher_sched(const bench_opts_t *o, const bench_dispatcher_db_t *db,
                                                  bridge_qos_sched_t *q)
{
    struct sched_param sp = {.sched_priority = BENCH_DISPATCHER_FIFO};
    bool fifo = sched_setscheduler(0, SCHED_FIFO, &sp) == 0;
    bridge_qos_sched_default(q, fifo ? BENCH_DISPATCHER_FIFO : 0, getpriority(PRIO_PROCESS, 0));
    const char *bg = getenv("ZENEDGE_BENCH_BACKGROUND");
    q->bg_idle &= !(bg && !strcmp(bg, "nice"));
    if (o->cpu_follow >= 0 && o->cpu_follow < (int)BRIDGE_CPU_MAX)
        q->cpus[o->cpu_follow / 64] |= 1ull << (o->cpu_follow % 64);
    if (db->sched != NULL && db->sched_len > 0)
        bridge_qos_sched_describe(q, db->sched, db->sched_len);
    return q;
}

static int dispatcher_main(const bench_opts_t *o, const char *shm, const char *backend, const bridge_registry_t *reg,
                           pid_t parent, const bench_dispatcher_db_t *db)
{
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
        return 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = e2e_on_term;
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGALRM, &sa, NULL); /* the leader's watchdog is not ours */
    sigaction(SIGPIPE, &sa, NULL);
    int r = zl_pin_cpu(o->cpu_follow);
    if (r != 0 && !o->no_pin) {
        fprintf(stderr, "zenedge-bench: e2e: cannot pin the dispatcher to CPU %d: %s\n", o->cpu_follow, strerror(-r));
        return 1;
    }
    bridge_log_open("zenedge-bench-bridged", getenv("ZB_E2E_DEBUG") ? BRIDGE_LOG_DEBUG : BRIDGE_LOG_WARN, false);
    bridge_config_t cfg;
    bridge_config_defaults(&cfg, o->models_dir);
    snprintf(cfg.shm, sizeof(cfg.shm), "%s", shm);
    snprintf(cfg.backend, sizeof(cfg.backend), "%s", backend);
    cfg.doorbell = IPC_DB_POLL;
    bridge_qos_sched_t q;
    const bridge_qos_sched_t *qs = NULL;
    if (db != NULL && db->socket != NULL) {
        cfg.doorbell = IPC_DB_ADAPTIVE;
        snprintf(cfg.socket, sizeof(cfg.socket), "%s", db->socket);
        cfg.spin_us = db->spin_us;
        qs = dispatcher_sched(o, db, &q);
    }
    cfg.stats_interval_s = 0;
    cfg.log_level = getenv("ZB_E2E_DEBUG") ? BRIDGE_LOG_DEBUG : BRIDGE_LOG_WARN;
    bridge_backend_t be = {.ops = bridge_backend_find(backend), .priv = NULL};
    bridge_backend_config_t bcfg = {
        .device = NULL, .queue_depth = cfg.queue_depth ? cfg.queue_depth : 1u, .qos_sched = qs};
    if (be.ops == NULL || be.ops->init(&be, &bcfg) != BRIDGE_OK)
        return 1;
    for (uint32_t i = 0; i < reg->n_models; i++) {
        char why[256];
        (void)be.ops->load_model(&be, reg->models[i], why, sizeof(why)); /* unsupported: never asked */
    }
    int rc = bridge_dispatch_run(&cfg, reg, &be, &e2e_sig);
    be.ops->shutdown(&be);
    bridge_log_close();
    return rc == BRIDGE_OK ? 0 : 1;
}

const bridge_backend_ops_t *bench_backend_present(const char *backend, char *note, size_t note_len)
{
    const bridge_backend_ops_t *ops = bridge_backend_find(backend);
    if (ops == NULL)
        return NULL; /* not built: nothing to say */
    char why[256] = "";
    if (bench_probe_backend(ops, why, sizeof(why)) <= 0) {
        size_t l = strlen(note);
        snprintf(note + l, note_len - l, "%s%s: no device (%s)", l ? "; " : "", backend, why[0] ? why : "probe failed");
        return NULL;
    }
    return ops;
}

pid_t bench_dispatcher_fork(const bench_opts_t *o, const char *shm, const char *backend, const bridge_registry_t *reg,
                            const bench_dispatcher_db_t *db)
{
    fflush(NULL);
    pid_t parent = getpid();
    pid_t child = fork();
    if (child < 0) {
        fprintf(stderr, "zenedge-bench: fork of the dispatcher: %s\n", strerror(errno));
        return -1;
    }
    if (child == 0)
        _exit(dispatcher_main(o, shm, backend, reg, parent, db));
    return child;
}

/* ---------------------------------------------------------------------- */
/* Helpers                                                                 */
/* ---------------------------------------------------------------------- */

/* median/min/max of the non-NaN values of v (v is reordered): the
 * harness's exact median, on the phases of one path. */
static void summ3(double *v, uint32_t n, double out[3])
{
    bench_summary_t s = bench_summarise(v, n, v);
    out[0] = s.median;
    out[1] = s.min;
    out[2] = s.max;
}

/* One model as both paths see it. */
typedef struct e2e_model {
    const bridge_model_t *bm;
    uint32_t n_in, n_out;
    void *in[IPC_MAX_TENSORS];
    void *out[IPC_MAX_TENSORS];       /* direct path */
    void *rout[IPC_MAX_TENSORS];      /* ring path */
    uint32_t buf_in[IPC_MAX_TENSORS]; /* in-place path: tensor buffers in the heap */
    uint32_t buf_out[IPC_MAX_TENSORS];
    void *bout[IPC_MAX_TENSORS]; /* where the in-place outputs are */
    uint32_t in_len[IPC_MAX_TENSORS], out_len[IPC_MAX_TENSORS];
    uint32_t expect_result;
} e2e_model_t;

static void model_free(e2e_model_t *m)
{
    for (uint32_t i = 0; i < IPC_MAX_TENSORS; i++) {
        free(m->in[i]);
        free(m->out[i]);
        free(m->rout[i]);
    }
}

static int model_prepare(e2e_model_t *m, const bridge_model_t *bm)
{
    memset(m, 0, sizeof(*m));
    m->bm = bm;
    m->n_in = bm->n_in;
    m->n_out = bm->n_out;
    for (uint32_t i = 0; i < bm->n_in; i++) {
        m->in_len[i] = bm->in[i].bytes;
        m->in[i] = aligned_alloc(IPC_CACHELINE, (bm->in[i].bytes + IPC_CACHELINE - 1u) / IPC_CACHELINE * IPC_CACHELINE);
        if (!m->in[i])
            return -1;
        uint8_t *b = m->in[i];
        for (uint32_t k = 0; k < bm->in[i].bytes; k++) /* small values: valid i32 and f32 bit patterns alike */
            b[k] = (uint8_t)((k & 3u) == 3u ? 0x3c : (k * 7u + i) & 0x7fu);
    }
    for (uint32_t i = 0; i < bm->n_out; i++) {
        m->out_len[i] = bm->out[i].bytes;
        size_t sz = (bm->out[i].bytes + IPC_CACHELINE - 1u) / IPC_CACHELINE * IPC_CACHELINE;
        m->out[i] = aligned_alloc(IPC_CACHELINE, sz);
        m->rout[i] = aligned_alloc(IPC_CACHELINE, sz);
        if (!m->out[i] || !m->rout[i])
            return -1;
        memset(m->out[i], 0, sz);
        memset(m->rout[i], 0, sz);
    }
    return 0;
}

/* Direct path: one job, submit + poll. Returns 0, fills *backend_ns. */
static int direct_job(bridge_backend_t *be, e2e_model_t *m, uint32_t seq, uint64_t *backend_ns, uint32_t *result)
{
    bridge_job_t j;
    memset(&j, 0, sizeof(j));
    j.handle = IPC_HANDLE((seq & 0xFFFFu) | 1u, 0u);
    j.slot = 0;
    j.qos = IPC_QOS_RT;
    j.model = m->bm;
    j.t_pickup = zl_now_ns();
    j.cmd = CMD_JOB_DONE;
    j.ring = 0;
    for (uint32_t i = 0; i < m->n_in; i++) {
        j.in[i] = m->in[i];
        j.in_len[i] = m->in_len[i];
    }
    for (uint32_t i = 0; i < m->n_out; i++) {
        j.out[i] = m->out[i];
        j.out_len[i] = m->out_len[i];
    }
    if (be->ops->submit(be, &j) != BRIDGE_OK)
        return -1;
    bridge_job_t *done[1];
    uint64_t give_up = zl_now_ns() + E2E_JOB_TIMEOUT_NS;
    while (be->ops->poll(be, done, 1, 0) == 0) {
        if (zl_now_ns() > give_up)
            return -1;
        ipc_cpu_relax();
    }
    if (done[0] != &j || j.status != IPC_STATUS_OK)
        return -1;
    *backend_ns = j.t_backend_end - j.t_backend_start;
    *result = j.result;
    return 0;
}

/* The in-place path's buffers: allocated once, inputs written once (as
 * the direct path's private inputs are). */
static int model_bufs(proxy_t *p, e2e_model_t *m)
{
    for (uint32_t i = 0; i < m->n_in; i++) {
        void *ptr;
        int r = proxy_buf_alloc(p, m->in_len[i], &m->buf_in[i], &ptr);
        if (r != PROXY_OK) {
            fprintf(stderr, "zenedge-bench: e2e: buffer of %u bytes: %s\n", m->in_len[i], proxy_strerror(r));
            return -1;
        }
        memcpy(ptr, m->in[i], m->in_len[i]);
    }
    for (uint32_t i = 0; i < m->n_out; i++) {
        int r = proxy_buf_alloc(p, m->out_len[i], &m->buf_out[i], &m->bout[i]);
        if (r != PROXY_OK) {
            fprintf(stderr, "zenedge-bench: e2e: buffer of %u bytes: %s\n", m->out_len[i], proxy_strerror(r));
            return -1;
        }
        memset(m->bout[i], 0, m->out_len[i]);
    }
    return 0;
}

/* Ring path: one job through contract + proxy, waiting by polling the cq.
 * inplace: contract_submit_bufs() on the model's tensor buffers and no
 * output copy; otherwise contract_submit_job() with copies both ways. */
static int ring_job(proxy_t *p, contract_t *c, e2e_model_t *m, bool inplace, proxy_result_t *res, uint64_t *t_call,
                    uint64_t *t_ret)
{
    proxy_in_t in[IPC_MAX_TENSORS];
    proxy_out_t out[IPC_MAX_TENSORS];
    for (uint32_t i = 0; i < m->n_in; i++)
        in[i] = (proxy_in_t){m->in[i], m->in_len[i]};
    for (uint32_t i = 0; i < m->n_out; i++)
        out[i] = (proxy_out_t){m->rout[i], m->out_len[i]};
    uint32_t h;
    *t_call = zl_now_ns();
    int rc = inplace ? contract_submit_bufs(c, m->bm->id, m->buf_in, m->n_in, m->buf_out, m->n_out, 0, &h)
                     : contract_submit_job(c, m->bm->id, in, m->n_in, 0, &h);
    if (rc != 0) {
        fprintf(stderr, "zenedge-bench: e2e: submit model %u: %s\n", m->bm->id, contract_strerror(rc));
        return -1;
    }
    uint64_t give_up = *t_call + E2E_JOB_TIMEOUT_NS;
    for (;;) {
        while (!proxy_work_pending(p)) {
            ipc_cpu_relax();
            if (zl_now_ns() > give_up) {
                fprintf(stderr, "zenedge-bench: e2e: no answer within 2 s (model %u)\n", m->bm->id);
                return -1;
            }
        }
        proxy_complete(p);
        rc = inplace ? contract_wait(c, h, 0, res, NULL, 0) : contract_wait(c, h, 0, res, out, m->n_out);
        if (rc != PROXY_E_WAIT_TIMEOUT)
            break;
    }
    *t_ret = zl_now_ns();
    if (rc != PROXY_OK) {
        fprintf(stderr, "zenedge-bench: e2e: job of model %u ended %s\n", m->bm->id, contract_strerror(rc));
        return -1;
    }
    return 0;
}

/* Ask the backend for its devices in a short-lived child process. A
 * runtime such as PoCL starts worker threads and takes locks when it is
 * first used; a process that forks after that hands its child a copy of
 * the runtime without the threads, and the forked dispatcher then waits
 * forever for work that no thread will do. So the leader must not touch
 * the runtime before the dispatcher is forked: the probe runs in its own
 * process and only its answer (device count, reason) comes back. */
int bench_probe_backend(const bridge_backend_ops_t *ops, char *why, size_t why_len)
{
    int fds[2];
    if (pipe(fds) != 0) {
        snprintf(why, why_len, "pipe: %s", strerror(errno));
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(why, why_len, "fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        struct {
            int32_t n;
            char why[256];
        } msg;
        memset(&msg, 0, sizeof(msg));
        bridge_device_info_t devs[4];
        msg.n = ops->probe(devs, 4, msg.why, sizeof(msg.why));
        msg.why[sizeof(msg.why) - 1] = '\0';
        ssize_t w = write(fds[1], &msg, sizeof(msg));
        _exit(w == (ssize_t)sizeof(msg) ? 0 : 1);
    }
    close(fds[1]);
    struct {
        int32_t n;
        char why[256];
    } msg;
    memset(&msg, 0, sizeof(msg));
    size_t got = 0;
    while (got < sizeof(msg)) {
        ssize_t r = read(fds[0], (char *)&msg + got, sizeof(msg) - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fds[0]);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (got != sizeof(msg)) {
        snprintf(why, why_len, "the probe process ended without an answer (status 0x%x)", st);
        return -1;
    }
    msg.why[sizeof(msg.why) - 1] = '\0';
    snprintf(why, why_len, "%s", msg.why);
    return msg.n;
}

/* ---------------------------------------------------------------------- */
/* One backend: fork its dispatcher, alternate phases, summarise           */
/* ---------------------------------------------------------------------- */

/* Everything one backend's measurement holds, so that every step can be
 * undone by e2e_close() whichever step failed. */
typedef struct e2e_run {
    const bench_opts_t *o;
    const char *backend;
    const bridge_registry_t *reg;
    const bridge_backend_ops_t *ops;
    char shm[64];
    zl_map_t map;
    struct zport port;
    bool port_up;
    proxy_t *p;
    contract_t *ct;
    e2e_model_t mods[E2E_N_MODELS];
    pid_t child;         /* the dispatcher, or -1 */
    bridge_backend_t be; /* our side of the direct path */
    bool be_up;
    uint32_t phases; /* per path and model */
    uint32_t per;    /* jobs per phase */
    uint32_t seq;    /* direct path: job sequence number */
    double *dv;      /* [model][phase]: direct, ns per job */
    double *rv;      /* [path][model][phase]: ring copy, ring in place */
    double *bv;      /* [model][phase]: direct, backend ns per job */
    double *sv;      /* [path][model][stage][phase] */
    uint32_t bad_times[2][E2E_N_MODELS];
} e2e_run_t;

static double *rv_at(const e2e_run_t *r, int path, size_t k, uint32_t ph)
{
    return &r->rv[((size_t)path * E2E_N_MODELS + k) * r->phases + ph];
}

static double *sv_at(const e2e_run_t *r, int path, size_t k, int s, uint32_t ph)
{
    return &r->sv[(((size_t)path * E2E_N_MODELS + k) * E2E_ST_COUNT + (size_t)s) * r->phases + ph];
}

/* The shared region and our side of it: the POSIX port in manual mode and
 * the proxy laid out with a small heap. 0 or -1. */
static int e2e_open(e2e_run_t *r)
{
    snprintf(r->shm, sizeof(r->shm), "zenedge-bench-e2e-%d-%s", (int)getpid(), r->backend);
    int rc = zl_shm_create(&r->map, r->shm, E2E_REGION_BYTES);
    if (rc != 0) {
        fprintf(stderr, "zenedge-bench: e2e: cannot create shm %s: %s\n", r->shm, strerror(-rc));
        return -1;
    }
    r->p = calloc(1, sizeof(*r->p));
    r->ct = calloc(1, sizeof(*r->ct));
    if (!r->p || !r->ct)
        return -1;
    if (zport_posix_init(&r->port, ZPORT_POSIX_MANUAL) != 0)
        return -1;
    r->port_up = true;
    zport_posix_set_log(&r->port, ZPORT_LOG_WARN, "zenedge-bench-e2e ");
    zport_posix_set_peer(&r->port, -1);

    proxy_config_t pc;
    proxy_config_default(&pc, &r->port, E2E_REGION_BYTES);
    pc.max_jobs = 16;
    pc.sq_slots = 16;
    pc.doorbell = IPC_DB_POLL;
    pc.features = IPC_FEAT_SHARED_CLOCK;
    pc.hb_period_us = 100000;
    pc.n_heap_classes = 3;
    pc.heap[0] = (ipc_heap_class_cfg_t){64, 64};
    pc.heap[1] = (ipc_heap_class_cfg_t){256, 64};
    pc.heap[2] = (ipc_heap_class_cfg_t){4096, 64};
    rc = proxy_init(r->p, r->map.base, &pc);
    if (rc != PROXY_OK) {
        fprintf(stderr, "zenedge-bench: e2e: proxy_init: %s\n", proxy_strerror(rc));
        return -1;
    }
    return 0;
}

/* One model of the registry: prepared for both paths and registered
 * with the proxy. 0 or -1. */
static int e2e_model_add(e2e_run_t *r, size_t k)
{
    const bridge_model_t *bm = bridge_registry_find(r->reg, e2e_models[k]);
    if (bm == NULL) {
        fprintf(stderr, "zenedge-bench: e2e: model %u not in the registry %s\n", e2e_models[k], r->o->models_dir);
        return -1;
    }
    if (model_prepare(&r->mods[k], bm) != 0)
        return -1;
    proxy_model_t pm;
    memset(&pm, 0, sizeof(pm));
    pm.id = bm->id;
    pm.n_in = bm->n_in;
    pm.n_out = bm->n_out;
    for (uint32_t i = 0; i < bm->n_in; i++)
        pm.in_len[i] = bm->in[i].bytes;
    for (uint32_t i = 0; i < bm->n_out; i++)
        pm.out_len[i] = bm->out[i].bytes;
    int rc = proxy_model_register(r->p, &pm);
    if (rc != PROXY_OK) {
        fprintf(stderr, "zenedge-bench: e2e: register model %u: %s\n", bm->id, proxy_strerror(rc));
        return -1;
    }
    return 0;
}

/* The models, the contract over them, the proxy started, the in-place
 * path's buffers. 0 or -1. */
static int e2e_models_start(e2e_run_t *r)
{
    contract_config_t cc;
    memset(&cc, 0, sizeof(cc));
    cc.name = "bench";
    for (size_t k = 0; k < E2E_N_MODELS; k++) {
        if (e2e_model_add(r, k) != 0)
            return -1;
        cc.models[cc.n_models++] = r->mods[k].bm->id;
    }
    cc.max_inflight = 1;
    cc.qos = IPC_QOS_RT;
    cc.deadline_us = 1000000;
    if (contract_init(r->ct, r->p, &cc) != CONTRACT_OK || proxy_start(r->p) != PROXY_OK)
        return -1;
    for (size_t k = 0; k < E2E_N_MODELS; k++)
        if (model_bufs(r->p, &r->mods[k]) != 0)
            return -1;
    return 0;
}

/* Our side of the direct path (after the fork: device contexts do not
 * survive one). 0 or -1. */
static int e2e_local_backend(e2e_run_t *r)
{
    char why[256] = "";
    bridge_backend_config_t bcfg = {.device = NULL, .queue_depth = 1};
    if (r->ops->init(&r->be, &bcfg) != BRIDGE_OK) {
        fprintf(stderr, "zenedge-bench: e2e: backend %s: init failed\n", r->backend);
        return -1;
    }
    r->be_up = true;
    for (size_t k = 0; k < E2E_N_MODELS; k++) {
        if (r->ops->load_model(&r->be, r->mods[k].bm, why, sizeof(why)) != BRIDGE_OK) {
            fprintf(stderr, "zenedge-bench: e2e: backend %s cannot run model %u: %s\n", r->backend, r->mods[k].bm->id,
                    why);
            return -1;
        }
    }
    return 0;
}

/* Forks the dispatcher, brings up our backend, waits until the bridge is
 * READY. 0 or -1. */
static int e2e_start_dispatcher(e2e_run_t *r)
{
    r->child = bench_dispatcher_fork(r->o, r->shm, r->backend, r->reg, NULL);
    if (r->child < 0)
        return -1;
    if (e2e_local_backend(r) != 0)
        return -1;
    uint64_t give_up = zl_now_ns() + E2E_ONLINE_NS;
    while (!proxy_bridge_online(r->p)) {
        proxy_tick(r->p);
        int st;
        if (waitpid(r->child, &st, WNOHANG) == r->child) {
            fprintf(stderr, "zenedge-bench: e2e: the dispatcher exited during start (status 0x%x)\n", st);
            r->child = -1;
            return -1;
        }
        if (zl_now_ns() > give_up) {
            fprintf(stderr, "zenedge-bench: e2e: the dispatcher did not become READY within 10 s\n");
            return -1;
        }
        usleep(1000);
    }
    return 0;
}

/* The sample arrays, then a warm-up: a few jobs of each path and model,
 * which also give the reference result word. 0 or -1. */
static int e2e_warm_up(e2e_run_t *r)
{
    size_t nm = E2E_N_MODELS;
    r->dv = calloc(nm * r->phases, sizeof(double));
    r->rv = calloc(2 * nm * r->phases, sizeof(double));
    r->bv = calloc(nm * r->phases, sizeof(double));
    r->sv = calloc(2 * nm * r->phases * E2E_ST_COUNT, sizeof(double));
    if (!r->dv || !r->rv || !r->bv || !r->sv)
        return -1;
    for (size_t k = 0; k < nm; k++) {
        for (uint32_t w = 0; w < 32; w++) {
            uint64_t bns, t0, t1;
            uint32_t res_word;
            proxy_result_t pr;
            if (direct_job(&r->be, &r->mods[k], w, &bns, &res_word) != 0 ||
                ring_job(r->p, r->ct, &r->mods[k], false, &pr, &t0, &t1) != 0 ||
                ring_job(r->p, r->ct, &r->mods[k], true, &pr, &t0, &t1) != 0)
                return -1;
            r->mods[k].expect_result = res_word;
        }
    }
    return 0;
}

/* One phase of the direct path for model k. 0 or -1. */
static int phase_direct(e2e_run_t *r, size_t k, uint32_t ph, bench_e2e_t *e)
{
    e2e_model_t *m = &r->mods[k];
    uint64_t bsum = 0, t0 = zl_now_ns();
    for (uint32_t j = 0; j < r->per; j++) {
        uint64_t bns;
        uint32_t res_word;
        if (direct_job(&r->be, m, ++r->seq, &bns, &res_word) != 0)
            return -1;
        bsum += bns;
        if (res_word != m->expect_result)
            e->errors++;
    }
    r->dv[k * r->phases + ph] = (double)(zl_now_ns() - t0) / r->per;
    r->bv[k * r->phases + ph] = (double)bsum / r->per;
    return 0;
}

/* Adds one ring job's stages to st[]; false when its times are not
 * usable (out of order against the caller's clock readings). */
static bool stages_add(double st[E2E_ST_COUNT], const proxy_result_t *pr, uint64_t tc, uint64_t tr)
{
    if (!pr->times_valid || pr->t_submit < tc || tr < pr->t_complete_seen)
        return false;
    st[E2E_ST_CALL] += (double)(pr->t_submit - tc);
    st[E2E_ST_QUEUE] += (double)(pr->t_pickup - pr->t_submit);
    st[E2E_ST_PREP] += (double)(pr->t_backend_start - pr->t_pickup);
    st[E2E_ST_BACKEND] += (double)(pr->t_backend_end - pr->t_backend_start);
    st[E2E_ST_POST] += (double)(pr->t_complete - pr->t_backend_end);
    st[E2E_ST_SEEN] += (double)(pr->t_complete_seen - pr->t_complete);
    st[E2E_ST_RETURN] += (double)(tr - pr->t_complete_seen);
    return true;
}

/* One phase of a ring path (x 0: copies, 1: in place) for model k. 0 or -1. */
static int phase_ring(e2e_run_t *r, size_t k, uint32_t ph, int x, bench_e2e_t *e)
{
    e2e_model_t *m = &r->mods[k];
    double st[E2E_ST_COUNT] = {0};
    uint32_t nvalid = 0;
    uint64_t t0 = zl_now_ns();
    for (uint32_t j = 0; j < r->per; j++) {
        proxy_result_t pr;
        uint64_t tc, tr;
        if (ring_job(r->p, r->ct, m, x == 1, &pr, &tc, &tr) != 0)
            return -1;
        if (pr.result != m->expect_result)
            e->errors++;
        if (stages_add(st, &pr, tc, tr))
            nvalid++;
        else
            r->bad_times[x][k]++;
    }
    *rv_at(r, x, k, ph) = (double)(zl_now_ns() - t0) / r->per;
    for (int s = 0; s < E2E_ST_COUNT; s++)
        *sv_at(r, x, k, s, ph) = nvalid ? st[s] / nvalid : NAN;
    return 0;
}

/* The phases. Three paths per model and phase: 0 direct, 1 ring with
 * copies, 2 ring in place. The order goes through all six permutations,
 * so that no path always runs first or after the same neighbour. */
static int e2e_measure(e2e_run_t *r, bench_e2e_t *e)
{
    static const uint8_t perms[6][3] = {{0, 1, 2}, {2, 1, 0}, {1, 2, 0}, {0, 2, 1}, {2, 0, 1}, {1, 0, 2}};
    size_t nm = E2E_N_MODELS;
    for (uint32_t ph = 0; ph < r->phases; ph++) {
        proxy_tick(r->p); /* our heartbeat; watches the bridge */
        for (size_t kk = 0; kk < nm; kk++) {
            size_t k = (ph & 1u) ? nm - 1 - kk : kk;
            for (int pass = 0; pass < 3; pass++) {
                int path = perms[ph % 6u][pass];
                int rc = path == 0 ? phase_direct(r, k, ph, e) : phase_ring(r, k, ph, path - 1, e);
                if (rc != 0)
                    return -1;
            }
        }
    }
    return 0;
}

/* The vector_add outputs of the last ring jobs of both kinds, checked
 * against a + b. */
static void e2e_check_outputs(const e2e_run_t *r, bench_e2e_t *e)
{
    const e2e_model_t *m = &r->mods[0];
    if (m->bm->id != 1u)
        return;
    const int32_t *a = m->in[0], *b = m->in[1];
    const int32_t *c[2] = {m->rout[0], m->bout[0]};
    for (int x = 0; x < 2; x++)
        for (uint32_t i = 0; i < m->out_len[0] / 4u; i++)
            if (c[x][i] != (int32_t)((uint32_t)a[i] + (uint32_t)b[i])) {
                e->errors++;
                break;
            }
}

/* One row per model: summaries over phases, the overheads. */
static void e2e_rows(e2e_run_t *r, bench_e2e_t *e)
{
    for (size_t k = 0; k < E2E_N_MODELS && e->n_rows < BENCH_E2E_MAX_ROWS; k++) {
        bench_e2e_row_t *row = &e->row[e->n_rows++];
        memset(row, 0, sizeof(*row));
        snprintf(row->backend, sizeof(row->backend), "%s", r->backend);
        snprintf(row->model, sizeof(row->model), "%s", r->mods[k].bm->name);
        row->model_id = r->mods[k].bm->id;
        row->phases = r->phases;
        row->jobs_per_phase = r->per;
        row->bad_times = r->bad_times[0][k];
        row->bad_times_ip = r->bad_times[1][k];
        summ3(&r->dv[k * r->phases], r->phases, row->direct);
        summ3(rv_at(r, 0, k, 0), r->phases, row->ring);
        summ3(rv_at(r, 1, k, 0), r->phases, row->ring_ip);
        double tmp[3];
        summ3(&r->bv[k * r->phases], r->phases, tmp);
        row->direct_backend_ns = tmp[0];
        for (int s = 0; s < E2E_ST_COUNT; s++) {
            summ3(sv_at(r, 0, k, s, 0), r->phases, tmp);
            row->stage[s] = tmp[0];
            summ3(sv_at(r, 1, k, s, 0), r->phases, tmp);
            row->stage_ip[s] = tmp[0];
        }
        row->overhead_us = (row->ring[0] - row->direct[0]) / 1000.0;
        row->overhead_ip_us = (row->ring_ip[0] - row->direct[0]) / 1000.0;
    }
}

/* Stops the dispatcher (SIGTERM, then SIGKILL after 5 s); returns rcode,
 * or -1 when a good run's dispatcher did not end cleanly. */
int bench_dispatcher_stop(pid_t child, int rcode)
{
    kill(child, SIGTERM);
    int st = 0;
    uint64_t until = zl_now_ns() + 5000000000ull;
    pid_t w;
    while ((w = waitpid(child, &st, WNOHANG)) == 0 && zl_now_ns() < until)
        usleep(2000);
    if (w == 0) {
        kill(child, SIGKILL);
        waitpid(child, &st, 0);
        fprintf(stderr, "zenedge-bench: e2e: the dispatcher did not stop on SIGTERM\n");
    } else if (w == child && rcode == 0 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
        fprintf(stderr, "zenedge-bench: e2e: the dispatcher ended with status 0x%x\n", st);
        rcode = -1;
    }
    return rcode;
}

/* Undoes whatever the steps set up; returns the run's result. */
static int e2e_close(e2e_run_t *r, int rcode)
{
    if (r->child > 0)
        rcode = bench_dispatcher_stop(r->child, rcode);
    if (r->be_up)
        r->ops->shutdown(&r->be);
    if (r->p && r->p->started)
        proxy_stop(r->p);
    if (r->port_up)
        zport_posix_destroy(&r->port);
    for (size_t k = 0; k < E2E_N_MODELS; k++)
        model_free(&r->mods[k]);
    free(r->dv);
    free(r->rv);
    free(r->bv);
    free(r->sv);
    free(r->ct);
    free(r->p);
    zl_unmap(&r->map);
    return rcode;
}

/* 0 measured, 1 backend absent (not built, or no device: noted in e), -1 failure. */
static int run_backend(const bench_opts_t *o, const char *backend, const bridge_registry_t *reg, bench_e2e_t *e)
{
    const bridge_backend_ops_t *ops = bench_backend_present(backend, e->note, sizeof(e->note));
    if (ops == NULL)
        return 1; /* not built, or no device (noted) */
    e2e_run_t *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return -1;
    r->o = o;
    r->backend = backend;
    r->reg = reg;
    r->ops = ops;
    r->child = -1;
    r->be = (bridge_backend_t){.ops = ops, .priv = NULL};
    r->phases = o->selftest ? 4u : o->quick ? 300u : 3000u;
    r->per = o->selftest ? 4u : 16u;
    int rcode = -1;
    if (e2e_open(r) == 0 && e2e_models_start(r) == 0 && e2e_start_dispatcher(r) == 0 && e2e_warm_up(r) == 0 &&
        e2e_measure(r, e) == 0) {
        e2e_check_outputs(r, e);
        e2e_rows(r, e);
        rcode = 0;
    }
    rcode = e2e_close(r, rcode);
    free(r);
    return rcode;
}

int bench_e2e_run(const bench_opts_t *o, bench_e2e_t *e)
{
    memset(e, 0, sizeof(*e));
    bridge_registry_t reg;
    char err[1024] = "";
    int rc = bridge_registry_load(&reg, o->models_dir, err, sizeof(err));
    if (rc != BRIDGE_OK) {
        snprintf(e->note, sizeof(e->note), "not measured: model registry %s: %s", o->models_dir, err);
        return 0;
    }
    /* The harness's follower has ended; pin ourselves again to be sure. */
    int pr = zl_pin_cpu(o->cpu_lead);
    if (pr != 0 && !o->no_pin) {
        bridge_registry_free(&reg);
        fprintf(stderr, "zenedge-bench: e2e: cannot pin to CPU %d: %s\n", o->cpu_lead, strerror(-pr));
        return -1;
    }
    static const char *const backends[] = {"cpu", "opencl", "cuda"};
    int result = 0;
    for (size_t b = 0; b < sizeof(backends) / sizeof(backends[0]); b++) {
        uint32_t rows_before = e->n_rows;
        int r = run_backend(o, backends[b], &reg, e);
        if (r < 0 && b == 0) {
            result = -1; /* the CPU backend must work */
            break;
        }
        if (r < 0) {
            /* An accelerator backend that fails here (e.g. a CPU OpenCL
             * platform whose worker threads share the pinned, spinning
             * dispatcher's CPU) is reported, not fatal. */
            e->n_rows = rows_before;
            size_t l = strlen(e->note);
            snprintf(e->note + l, sizeof(e->note) - l, "%s%s: present but not measured (failed, see the message above)",
                     l ? "; " : "", backends[b]);
        }
    }
    bridge_registry_free(&reg);
    e->measured = e->n_rows > 0;
    return result;
}
