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

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
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

#define E2E_REGION_BYTES  (4u << 20)
#define E2E_JOB_TIMEOUT_NS 2000000000ull   /* one job: 2 s, then the run fails */
#define E2E_ONLINE_NS      10000000000ull  /* the dispatcher must be READY within 10 s */

static const uint32_t e2e_models[] = { 1u, 4u };   /* vector_add, digits_mlp */
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

static int dispatcher_main(const bench_opts_t *o, const char *shm, const char *backend,
                           const bridge_registry_t *reg, pid_t parent)
{
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
        return 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = e2e_on_term;
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGALRM, &sa, NULL);   /* the leader's watchdog is not ours */
    sigaction(SIGPIPE, &sa, NULL);
    int r = zl_pin_cpu(o->cpu_follow);
    if (r != 0 && !o->no_pin) {
        fprintf(stderr, "zenedge-bench: e2e: cannot pin the dispatcher to CPU %d: %s\n", o->cpu_follow,
                strerror(-r));
        return 1;
    }
    bridge_log_open("zenedge-bench-bridged", getenv("ZB_E2E_DEBUG") ? BRIDGE_LOG_DEBUG : BRIDGE_LOG_WARN, false);
    bridge_config_t cfg;
    bridge_config_defaults(&cfg, o->models_dir);
    snprintf(cfg.shm, sizeof(cfg.shm), "%s", shm);
    snprintf(cfg.backend, sizeof(cfg.backend), "%s", backend);
    cfg.doorbell = IPC_DB_POLL;
    cfg.stats_interval_s = 0;
    cfg.log_level = getenv("ZB_E2E_DEBUG") ? BRIDGE_LOG_DEBUG : BRIDGE_LOG_WARN;
    bridge_backend_t be = { .ops = bridge_backend_find(backend), .priv = NULL };
    bridge_backend_config_t bcfg = { .device = NULL, .queue_depth = cfg.queue_depth ? cfg.queue_depth : 1u };
    if (be.ops == NULL || be.ops->init(&be, &bcfg) != BRIDGE_OK)
        return 1;
    for (uint32_t i = 0; i < reg->n_models; i++) {
        char why[256];
        (void)be.ops->load_model(&be, reg->models[i], why, sizeof(why));   /* unsupported: never asked */
    }
    int rc = bridge_dispatch_run(&cfg, reg, &be, &e2e_sig);
    be.ops->shutdown(&be);
    bridge_log_close();
    return rc == BRIDGE_OK ? 0 : 1;
}

/* ---------------------------------------------------------------------- */
/* Helpers                                                                 */
/* ---------------------------------------------------------------------- */

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* median/min/max of the non-NaN values of v (sorted in place). */
static void summ3(double *v, uint32_t n, double out[3])
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++)
        if (!isnan(v[i]))
            v[k++] = v[i];
    if (k == 0) {
        out[0] = out[1] = out[2] = NAN;
        return;
    }
    qsort(v, k, sizeof(double), cmp_d);
    out[0] = (k & 1u) ? v[k / 2] : 0.5 * (v[k / 2 - 1] + v[k / 2]);
    out[1] = v[0];
    out[2] = v[k - 1];
}

/* One model as both paths see it. */
typedef struct e2e_model {
    const bridge_model_t *bm;
    uint32_t n_in, n_out;
    void    *in[IPC_MAX_TENSORS];
    void    *out[IPC_MAX_TENSORS];       /* direct path */
    void    *rout[IPC_MAX_TENSORS];      /* ring path */
    uint32_t buf_in[IPC_MAX_TENSORS];    /* in-place path: tensor buffers in the heap */
    uint32_t buf_out[IPC_MAX_TENSORS];
    void    *bout[IPC_MAX_TENSORS];      /* where the in-place outputs are */
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
        for (uint32_t k = 0; k < bm->in[i].bytes; k++)   /* small values: valid i32 and f32 bit patterns alike */
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
static int ring_job(proxy_t *p, contract_t *c, e2e_model_t *m, bool inplace, proxy_result_t *res,
                    uint64_t *t_call, uint64_t *t_ret)
{
    proxy_in_t in[IPC_MAX_TENSORS];
    proxy_out_t out[IPC_MAX_TENSORS];
    for (uint32_t i = 0; i < m->n_in; i++)
        in[i] = (proxy_in_t){ m->in[i], m->in_len[i] };
    for (uint32_t i = 0; i < m->n_out; i++)
        out[i] = (proxy_out_t){ m->rout[i], m->out_len[i] };
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
static int probe_in_child(const bridge_backend_ops_t *ops, char *why, size_t why_len)
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
        struct { int32_t n; char why[256]; } msg;
        memset(&msg, 0, sizeof(msg));
        bridge_device_info_t devs[4];
        msg.n = ops->probe(devs, 4, msg.why, sizeof(msg.why));
        msg.why[sizeof(msg.why) - 1] = '\0';
        ssize_t w = write(fds[1], &msg, sizeof(msg));
        _exit(w == (ssize_t)sizeof(msg) ? 0 : 1);
    }
    close(fds[1]);
    struct { int32_t n; char why[256]; } msg;
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

static int run_backend(const bench_opts_t *o, const char *backend, const bridge_registry_t *reg, bench_e2e_t *e)
{
    const bridge_backend_ops_t *ops = bridge_backend_find(backend);
    if (ops == NULL)
        return 1;   /* not built: nothing to say */
    char why[256] = "";
    if (probe_in_child(ops, why, sizeof(why)) <= 0) {
        size_t l = strlen(e->note);
        snprintf(e->note + l, sizeof(e->note) - l, "%s%s: no device (%s)", l ? "; " : "", backend,
                 why[0] ? why : "probe failed");
        return 1;
    }

    int rcode = -1;
    zl_map_t map;
    memset(&map, 0, sizeof(map));
    char shm[64];
    snprintf(shm, sizeof(shm), "zenedge-bench-e2e-%d-%s", (int)getpid(), backend);
    int r = zl_shm_create(&map, shm, E2E_REGION_BYTES);
    if (r != 0) {
        fprintf(stderr, "zenedge-bench: e2e: cannot create shm %s: %s\n", shm, strerror(-r));
        return -1;
    }
    struct zport port;
    proxy_t *p = calloc(1, sizeof(*p));
    contract_t *ct = calloc(1, sizeof(*ct));
    e2e_model_t mods[E2E_N_MODELS];
    memset(mods, 0, sizeof(mods));
    pid_t child = -1;
    bridge_backend_t be = { .ops = ops, .priv = NULL };
    bool be_up = false, port_up = false;
    double *dv = NULL, *rv = NULL, *bv = NULL, *sv = NULL;
    uint32_t phases = o->selftest ? 4u : o->quick ? 300u : 3000u;
    uint32_t per = o->selftest ? 4u : 16u;
    if (!p || !ct)
        goto out;
    if (zport_posix_init(&port, ZPORT_POSIX_MANUAL) != 0)
        goto out;
    port_up = true;
    zport_posix_set_log(&port, ZPORT_LOG_WARN, "zenedge-bench-e2e ");
    zport_posix_set_peer(&port, -1);

    proxy_config_t pc;
    proxy_config_default(&pc, &port, E2E_REGION_BYTES);
    pc.max_jobs = 16;
    pc.sq_slots = 16;
    pc.doorbell = IPC_DB_POLL;
    pc.features = IPC_FEAT_SHARED_CLOCK;
    pc.hb_period_us = 100000;
    pc.n_heap_classes = 3;
    pc.heap[0] = (ipc_heap_class_cfg_t){ 64, 64 };
    pc.heap[1] = (ipc_heap_class_cfg_t){ 256, 64 };
    pc.heap[2] = (ipc_heap_class_cfg_t){ 4096, 64 };
    r = proxy_init(p, map.base, &pc);
    if (r != PROXY_OK) {
        fprintf(stderr, "zenedge-bench: e2e: proxy_init: %s\n", proxy_strerror(r));
        goto out;
    }
    contract_config_t cc;
    memset(&cc, 0, sizeof(cc));
    cc.name = "bench";
    for (size_t k = 0; k < E2E_N_MODELS; k++) {
        const bridge_model_t *bm = bridge_registry_find(reg, e2e_models[k]);
        if (bm == NULL) {
            fprintf(stderr, "zenedge-bench: e2e: model %u not in the registry %s\n", e2e_models[k], o->models_dir);
            goto out;
        }
        if (model_prepare(&mods[k], bm) != 0)
            goto out;
        proxy_model_t pm;
        memset(&pm, 0, sizeof(pm));
        pm.id = bm->id;
        pm.n_in = bm->n_in;
        pm.n_out = bm->n_out;
        for (uint32_t i = 0; i < bm->n_in; i++)
            pm.in_len[i] = bm->in[i].bytes;
        for (uint32_t i = 0; i < bm->n_out; i++)
            pm.out_len[i] = bm->out[i].bytes;
        if ((r = proxy_model_register(p, &pm)) != PROXY_OK) {
            fprintf(stderr, "zenedge-bench: e2e: register model %u: %s\n", bm->id, proxy_strerror(r));
            goto out;
        }
        cc.models[cc.n_models++] = bm->id;
    }
    cc.max_inflight = 1;
    cc.qos = IPC_QOS_RT;
    cc.deadline_us = 1000000;
    if (contract_init(ct, p, &cc) != CONTRACT_OK || proxy_start(p) != PROXY_OK)
        goto out;
    for (size_t k = 0; k < E2E_N_MODELS; k++)
        if (model_bufs(p, &mods[k]) != 0)
            goto out;

    fflush(NULL);
    pid_t parent = getpid();
    child = fork();
    if (child < 0) {
        fprintf(stderr, "zenedge-bench: e2e: fork: %s\n", strerror(errno));
        goto out;
    }
    if (child == 0)
        _exit(dispatcher_main(o, shm, backend, reg, parent));

    /* Our side of the direct path (after the fork: device contexts do not
     * survive one). */
    bridge_backend_config_t bcfg = { .device = NULL, .queue_depth = 1 };
    if (ops->init(&be, &bcfg) != BRIDGE_OK) {
        fprintf(stderr, "zenedge-bench: e2e: backend %s: init failed\n", backend);
        goto out;
    }
    be_up = true;
    for (size_t k = 0; k < E2E_N_MODELS; k++) {
        if (ops->load_model(&be, mods[k].bm, why, sizeof(why)) != BRIDGE_OK) {
            fprintf(stderr, "zenedge-bench: e2e: backend %s cannot run model %u: %s\n", backend, mods[k].bm->id, why);
            goto out;
        }
    }

    uint64_t give_up = zl_now_ns() + E2E_ONLINE_NS;
    while (!proxy_bridge_online(p)) {
        proxy_tick(p);
        int st;
        if (waitpid(child, &st, WNOHANG) == child) {
            fprintf(stderr, "zenedge-bench: e2e: the dispatcher exited during start (status 0x%x)\n", st);
            child = -1;
            goto out;
        }
        if (zl_now_ns() > give_up) {
            fprintf(stderr, "zenedge-bench: e2e: the dispatcher did not become READY within 10 s\n");
            goto out;
        }
        usleep(1000);
    }

    size_t nm = E2E_N_MODELS;
    dv = calloc(nm * phases, sizeof(double));
    rv = calloc(2 * nm * phases, sizeof(double));                 /* [path][model][phase] */
    bv = calloc(nm * phases, sizeof(double));
    sv = calloc(2 * nm * phases * E2E_ST_COUNT, sizeof(double));  /* [path][model][stage][phase] */
    uint32_t bad_times[2][E2E_N_MODELS] = { { 0 } };
    if (!dv || !rv || !bv || !sv)
        goto out;
#define RV(path, k, ph)    rv[((size_t)(path) * nm + (k)) * phases + (ph)]
#define SV(path, k, s, ph) sv[(((size_t)(path) * nm + (k)) * E2E_ST_COUNT + (size_t)(s)) * phases + (ph)]
    /* Warm-up: a few jobs of each path and model; the reference result word. */
    for (size_t k = 0; k < nm; k++) {
        for (uint32_t w = 0; w < 32; w++) {
            uint64_t bns, t0, t1;
            uint32_t res_word;
            proxy_result_t pr;
            if (direct_job(&be, &mods[k], w, &bns, &res_word) != 0 ||
                ring_job(p, ct, &mods[k], false, &pr, &t0, &t1) != 0 ||
                ring_job(p, ct, &mods[k], true, &pr, &t0, &t1) != 0)
                goto out;
            mods[k].expect_result = res_word;
        }
    }
    /* Three paths per model and phase: 0 direct, 1 ring with copies, 2 ring
     * in place. The order goes through all six permutations, so that no
     * path always runs first or after the same neighbour. */
    static const uint8_t perms[6][3] = { { 0, 1, 2 }, { 2, 1, 0 }, { 1, 2, 0 },
                                         { 0, 2, 1 }, { 2, 0, 1 }, { 1, 0, 2 } };
    uint32_t seq = 0;
    for (uint32_t ph = 0; ph < phases; ph++) {
        proxy_tick(p);   /* our heartbeat; watches the bridge */
        for (size_t kk = 0; kk < nm; kk++) {
            size_t k = (ph & 1u) ? nm - 1 - kk : kk;
            e2e_model_t *m = &mods[k];
            for (int pass = 0; pass < 3; pass++) {
                int path = perms[ph % 6u][pass];
                if (path == 0) {
                    uint64_t bsum = 0, t0 = zl_now_ns();
                    for (uint32_t j = 0; j < per; j++) {
                        uint64_t bns;
                        uint32_t res_word;
                        if (direct_job(&be, m, ++seq, &bns, &res_word) != 0)
                            goto out;
                        bsum += bns;
                        if (res_word != m->expect_result)
                            e->errors++;
                    }
                    dv[k * phases + ph] = (double)(zl_now_ns() - t0) / per;
                    bv[k * phases + ph] = (double)bsum / per;
                } else {
                    bool inplace = path == 2;
                    int x = inplace ? 1 : 0;
                    double st[E2E_ST_COUNT] = { 0 };
                    uint32_t nvalid = 0;
                    uint64_t t0 = zl_now_ns();
                    for (uint32_t j = 0; j < per; j++) {
                        proxy_result_t pr;
                        uint64_t tc, tr;
                        if (ring_job(p, ct, m, inplace, &pr, &tc, &tr) != 0)
                            goto out;
                        if (pr.result != m->expect_result)
                            e->errors++;
                        if (pr.times_valid && pr.t_submit >= tc && tr >= pr.t_complete_seen) {
                            st[E2E_ST_CALL] += (double)(pr.t_submit - tc);
                            st[E2E_ST_QUEUE] += (double)(pr.t_pickup - pr.t_submit);
                            st[E2E_ST_PREP] += (double)(pr.t_backend_start - pr.t_pickup);
                            st[E2E_ST_BACKEND] += (double)(pr.t_backend_end - pr.t_backend_start);
                            st[E2E_ST_POST] += (double)(pr.t_complete - pr.t_backend_end);
                            st[E2E_ST_SEEN] += (double)(pr.t_complete_seen - pr.t_complete);
                            st[E2E_ST_RETURN] += (double)(tr - pr.t_complete_seen);
                            nvalid++;
                        } else {
                            bad_times[x][k]++;
                        }
                    }
                    RV(x, k, ph) = (double)(zl_now_ns() - t0) / per;
                    for (int s = 0; s < E2E_ST_COUNT; s++)
                        SV(x, k, s, ph) = nvalid ? st[s] / nvalid : NAN;
                }
            }
        }
    }
    /* The vector_add outputs of the last ring jobs of both kinds, checked
     * against a + b. */
    if (mods[0].bm->id == 1u) {
        const int32_t *a = mods[0].in[0], *b = mods[0].in[1];
        const int32_t *c[2] = { mods[0].rout[0], mods[0].bout[0] };
        for (int x = 0; x < 2; x++)
            for (uint32_t i = 0; i < mods[0].out_len[0] / 4u; i++)
                if (c[x][i] != (int32_t)((uint32_t)a[i] + (uint32_t)b[i])) {
                    e->errors++;
                    break;
                }
    }
    for (size_t k = 0; k < nm && e->n_rows < BENCH_E2E_MAX_ROWS; k++) {
        bench_e2e_row_t *row = &e->row[e->n_rows++];
        memset(row, 0, sizeof(*row));
        snprintf(row->backend, sizeof(row->backend), "%s", backend);
        snprintf(row->model, sizeof(row->model), "%s", mods[k].bm->name);
        row->model_id = mods[k].bm->id;
        row->phases = phases;
        row->jobs_per_phase = per;
        row->bad_times = bad_times[0][k];
        row->bad_times_ip = bad_times[1][k];
        summ3(&dv[k * phases], phases, row->direct);
        summ3(&RV(0, k, 0), phases, row->ring);
        summ3(&RV(1, k, 0), phases, row->ring_ip);
        double tmp[3];
        summ3(&bv[k * phases], phases, tmp);
        row->direct_backend_ns = tmp[0];
        for (int s = 0; s < E2E_ST_COUNT; s++) {
            summ3(&SV(0, k, s, 0), phases, tmp);
            row->stage[s] = tmp[0];
            summ3(&SV(1, k, s, 0), phases, tmp);
            row->stage_ip[s] = tmp[0];
        }
        row->overhead_us = (row->ring[0] - row->direct[0]) / 1000.0;
        row->overhead_ip_us = (row->ring_ip[0] - row->direct[0]) / 1000.0;
    }
#undef RV
#undef SV
    rcode = 0;

out:
    if (child > 0) {
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
    }
    if (be_up)
        ops->shutdown(&be);
    if (p && p->started)
        proxy_stop(p);
    if (port_up)
        zport_posix_destroy(&port);
    for (size_t k = 0; k < E2E_N_MODELS; k++)
        model_free(&mods[k]);
    free(dv);
    free(rv);
    free(bv);
    free(sv);
    free(ct);
    free(p);
    zl_unmap(&map);
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
    static const char *const backends[] = { "cpu", "opencl", "cuda" };
    int result = 0;
    for (size_t b = 0; b < sizeof(backends) / sizeof(backends[0]); b++) {
        uint32_t rows_before = e->n_rows;
        int r = run_backend(o, backends[b], &reg, e);
        if (r < 0 && b == 0) {
            result = -1;   /* the CPU backend must work */
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
