/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_rt_load.c - zenedge-bench, section "RT under load": what a
 * BACKGROUND flood does to an RT job, through the real dispatcher.
 *
 * Placement as in the e2e section (bench_e2e.c): the leader, pinned to the
 * zenedge CPU, lays out a POSIX shm region with the real proxy on the
 * POSIX port in manual mode (it polls the completion ring itself) and
 * forks the dispatcher of zenedge-bridged (bridge_dispatch_run) pinned to
 * the bridge CPU, run as a deployment on two CPUs would run it: the
 * adaptive doorbell (it spins briefly, then sleeps on its eventfd; our
 * proxy rings it then, through the socket handshake of zenedge-sim), the
 * CPU backend's workers on the dispatcher's CPU below it (SCHED_FIFO
 * when permitted, else nice levels). A backend that does not ring the
 * dispatcher when a job ends (no set_wake: OpenCL, CUDA) gets the poll
 * doorbell instead, as in the e2e section. Two contracts:
 *   rt:    IPC_QOS_RT, vector_add, one job in flight, released every
 *          BENCH_RT_PERIOD_US (the next release waits for the period; a
 *          job still in flight at its release time counts as "late");
 *   flood: IPC_QOS_BACKGROUND, gemm, BENCH_RT_FLOOD_DEPTH jobs kept in
 *          flight (a new one submitted as soon as one is collected).
 * Both on tensor buffers in the shared heap (contract_submit_bufs), so
 * that the leader copies nothing. Phases alternate: "alone" (the RT
 * contract only) and "flood" (both); a flood phase ends by collecting
 * every BACKGROUND job, so an alone phase starts with no BACKGROUND work
 * anywhere. The leader collects the RT job first whenever completions
 * arrive, as a task of higher priority would.
 *
 * Per RT job: the round trip (submit call -> job collected, leader clock)
 * and submit->start (t_submit -> t_backend_start of the job descriptor,
 * shared clock). p50/p99 over all the jobs of one kind of phase; the
 * ratios are flood / alone.
 */
#define _GNU_SOURCE
#include "bench.h"
#include "bench_bridge.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zl.h"
#include "zenedge/barrier.h"

#include "bridge_errors.h"

#include "contract.h"
#include "proxy.h"
#include "port.h"

#ifndef ZENEDGE_BENCH_MODELS_DIR
#define ZENEDGE_BENCH_MODELS_DIR "models"
#endif

#define RT_REGION_BYTES   (4u << 20)
#define RT_JOB_TIMEOUT_NS 10000000000ull /* one job or one drain: 10 s, then the run fails */
#define RT_DEADLINE_US    5000000u       /* jobs' deadline: far above any figure measured */
#define RT_ONLINE_NS      10000000000ull /* the dispatcher must be READY within 10 s */
#define RT_TICK_NS        20000000ull    /* proxy_tick() at most this far apart */
#define RT_STALL_NS       50000ull       /* a pass of the leader's loop this late: it was off its CPU */
#define RT_MODEL_RT       1u             /* vector_add */
#define RT_MODEL_BG       3u             /* gemm */
#define RT_DEPTH          BENCH_RT_FLOOD_DEPTH
#define RT_SCHED_LEN      192u
/* The dispatcher's spin before it sleeps: short, because its workers
 * share its CPU below it and cannot run while it spins (50 us there put
 * 50 us into every RT job's start). */
#define RT_SPIN_US        5u

/* Everything one backend's measurement holds, so that rt_close() can undo
 * whichever steps were done. */
typedef struct rt_run {
    const bench_opts_t *o;
    const char *backend;
    const bridge_registry_t *reg;
    char shm[64];
    zl_map_t map;
    struct zport port;
    bool port_up;
    proxy_t *p;
    contract_t *rt, *bg;
    const bridge_model_t *m_rt, *m_bg;
    uint32_t rt_in[IPC_MAX_TENSORS], rt_out[IPC_MAX_TENSORS];
    void *rt_pin[IPC_MAX_TENSORS], *rt_pout[IPC_MAX_TENSORS];
    uint32_t bg_in[IPC_MAX_TENSORS], bg_out[RT_DEPTH][IPC_MAX_TENSORS];
    uint32_t bg_h[RT_DEPTH];
    bool bg_busy[RT_DEPTH];
    uint32_t bg_inflight;
    bool refill; /* flood phase: keep RT_DEPTH BACKGROUND jobs in flight */
    bool record; /* false during the warm-up */
    pid_t child;
    char sock_dir[64], sock[96]; /* the dispatcher's doorbell socket, in a directory of this run */
    int conn_fd, peer_efd;       /* our end of the handshake, the dispatcher's eventfd; -1: none */
    char *sched;                 /* shared with the dispatcher: its scheduling scheme (RT_SCHED_LEN) */
    uint32_t phases, per;        /* phases of each kind; RT jobs per phase */
    double *rtt[2], *start[2];
    uint32_t n[2], n_start[2];
    uint64_t flood_jobs, flood_ns;
    uint32_t late;
    int kind;           /* of the phase in progress */
    uint64_t last_pass; /* the leader loop's previous pass, 0 at a phase start */
    uint32_t stalls[2]; /* passes later than RT_STALL_NS, per kind of phase */
    uint64_t last_tick;
    uint64_t *errors;
} rt_run_t;

/* ---------------------------------------------------------------------- */
/* Set-up                                                                  */
/* ---------------------------------------------------------------------- */

/* The region and our side of it: the POSIX port in manual mode, the proxy
 * with a heap for 4 KiB (vector_add) and 16 KiB (gemm) tensors. 0 or -1. */
static int rt_open(rt_run_t *r)
{
    snprintf(r->shm, sizeof(r->shm), "zenedge-bench-rt-%d-%s", (int)getpid(), r->backend);
    int rc = zl_shm_create(&r->map, r->shm, RT_REGION_BYTES);
    if (rc != 0) {
        fprintf(stderr, "zenedge-bench: rt_load: cannot create shm %s: %s\n", r->shm, strerror(-rc));
        return -1;
    }
    r->p = calloc(1, sizeof(*r->p));
    r->rt = calloc(1, sizeof(*r->rt));
    r->bg = calloc(1, sizeof(*r->bg));
    if (!r->p || !r->rt || !r->bg || zport_posix_init(&r->port, ZPORT_POSIX_MANUAL) != 0)
        return -1;
    r->port_up = true;
    zport_posix_set_log(&r->port, ZPORT_LOG_WARN, "zenedge-bench-rt ");
    zport_posix_set_peer(&r->port, -1);
    proxy_config_t pc;
    proxy_config_default(&pc, &r->port, RT_REGION_BYTES);
    pc.max_jobs = 16;
    pc.sq_slots = 16;
    /* Adaptive: ring the dispatcher when it announced sleep. We never
     * sleep ourselves (we poll the completion ring), so the bridge never
     * needs to ring us. */
    pc.doorbell = IPC_DB_ADAPTIVE;
    pc.features = IPC_FEAT_SHARED_CLOCK | IPC_FEAT_NEED_WAKEUP;
    pc.hb_period_us = 100000;
    /* A dispatcher kept off its CPU for a while (a loaded machine) is
     * slow, not lost: this section measures latency, not failure
     * detection, so the bridge's heartbeat may pause up to a second. */
    pc.hb_slack_us = 1000000;
    pc.n_heap_classes = 2;
    pc.heap[0] = (ipc_heap_class_cfg_t){4096, 8};
    pc.heap[1] = (ipc_heap_class_cfg_t){16384, 24};
    rc = proxy_init(r->p, r->map.base, &pc);
    if (rc != PROXY_OK) {
        fprintf(stderr, "zenedge-bench: rt_load: proxy_init: %s\n", proxy_strerror(rc));
        return -1;
    }
    return 0;
}

/* Model id from the registry, registered with the proxy. NULL on failure. */
static const bridge_model_t *rt_model(rt_run_t *r, uint32_t id)
{
    const bridge_model_t *bm = bridge_registry_find(r->reg, id);
    if (bm == NULL || bm->n_in != 2 || bm->n_out != 1) {
        fprintf(stderr, "zenedge-bench: rt_load: model %u (2 inputs, 1 output) not in the registry %s\n", id,
                r->o->models_dir);
        return NULL;
    }
    proxy_model_t pm;
    memset(&pm, 0, sizeof(pm));
    pm.id = bm->id;
    pm.n_in = bm->n_in;
    pm.n_out = bm->n_out;
    for (uint32_t i = 0; i < bm->n_in; i++)
        pm.in_len[i] = bm->in[i].bytes;
    pm.out_len[0] = bm->out[0].bytes;
    int rc = proxy_model_register(r->p, &pm);
    if (rc != PROXY_OK) {
        fprintf(stderr, "zenedge-bench: rt_load: register model %u: %s\n", id, proxy_strerror(rc));
        return NULL;
    }
    return bm;
}

/* One contract: one model, its class and in-flight limit. 0 or -1. */
static int rt_contract(rt_run_t *r, contract_t *c, const char *name, uint32_t model, uint32_t qos, uint32_t inflight)
{
    contract_config_t cc;
    memset(&cc, 0, sizeof(cc));
    cc.name = name;
    cc.models[0] = model;
    cc.n_models = 1;
    cc.max_inflight = inflight;
    cc.qos = qos;
    cc.deadline_us = RT_DEADLINE_US;
    return contract_init(c, r->p, &cc) == CONTRACT_OK ? 0 : -1;
}

/* A tensor buffer of len bytes; *ptr where it lives. 0 or -1. */
static int rt_buf(rt_run_t *r, uint32_t len, uint32_t *id, void **ptr)
{
    int rc = proxy_buf_alloc(r->p, len, id, ptr);
    if (rc != PROXY_OK) {
        fprintf(stderr, "zenedge-bench: rt_load: buffer of %u bytes: %s\n", len, proxy_strerror(rc));
        return -1;
    }
    return 0;
}

/* The buffers: the RT job's inputs (a[i] = i, b[i] = 3i + 7) and output;
 * the flood's two inputs (read by every gemm at once) and one output per
 * job in flight. 0 or -1. */
static int rt_buffers(rt_run_t *r)
{
    for (uint32_t k = 0; k < 2; k++) {
        if (rt_buf(r, r->m_rt->in[k].bytes, &r->rt_in[k], &r->rt_pin[k]) != 0)
            return -1;
        int32_t *v = r->rt_pin[k];
        for (uint32_t i = 0; i < r->m_rt->in[k].bytes / 4u; i++)
            v[i] = k ? (int32_t)(3u * i + 7u) : (int32_t)i;
        void *ptr;
        if (rt_buf(r, r->m_bg->in[k].bytes, &r->bg_in[k], &ptr) != 0)
            return -1;
        float *f = ptr;
        for (uint32_t i = 0; i < r->m_bg->in[k].bytes / 4u; i++)
            f[i] = (float)((i * 7u + k) % 17u) * 0.0625f;
    }
    if (rt_buf(r, r->m_rt->out[0].bytes, &r->rt_out[0], &r->rt_pout[0]) != 0)
        return -1;
    for (uint32_t d = 0; d < RT_DEPTH; d++) {
        void *ptr;
        if (rt_buf(r, r->m_bg->out[0].bytes, &r->bg_out[d][0], &ptr) != 0)
            return -1;
    }
    return 0;
}

/* Models, contracts, buffers, proxy started. 0 or -1. */
static int rt_prepare(rt_run_t *r)
{
    r->m_rt = rt_model(r, RT_MODEL_RT);
    r->m_bg = r->m_rt ? rt_model(r, RT_MODEL_BG) : NULL;
    if (r->m_bg == NULL || rt_contract(r, r->rt, "rt", RT_MODEL_RT, IPC_QOS_RT, 1) != 0 ||
        rt_contract(r, r->bg, "flood", RT_MODEL_BG, IPC_QOS_BACKGROUND, RT_DEPTH) != 0 || proxy_start(r->p) != PROXY_OK)
        return -1;
    return rt_buffers(r);
}

/* A directory of this run for the doorbell socket, and the memory the
 * dispatcher tells its scheduling in. 0 or -1. */
static int rt_socket_dir(rt_run_t *r)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(r->sock_dir, sizeof(r->sock_dir), "%s/zenedge-bench-rt-XXXXXX",
             tmp && tmp[0] && strlen(tmp) < 32 ? tmp : "/tmp");
    if (mkdtemp(r->sock_dir) == NULL) {
        fprintf(stderr, "zenedge-bench: rt_load: cannot create a directory for the doorbell socket: %s\n",
                strerror(errno));
        r->sock_dir[0] = '\0';
        return -1;
    }
    snprintf(r->sock, sizeof(r->sock), "%s/db-%d.sock", r->sock_dir, (int)getpid());
    void *m = mmap(NULL, RT_SCHED_LEN, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        fprintf(stderr, "zenedge-bench: rt_load: mmap: %s\n", strerror(errno));
        return -1;
    }
    r->sched = m;
    return 0;
}

/* The doorbell handshake with the dispatcher, as zenedge-sim does it: our
 * port's eventfd for its, then ours rings it. 0 or -1. */
static int rt_connect(rt_run_t *r)
{
    zl_hello_t hello;
    zl_cred_t cred = {0, 0, 0};
    int pe = -1;
    int fd = zl_db_connect(r->sock, (int)(RT_ONLINE_NS / 1000000u), zport_posix_irq_fd(&r->port), IPC_SIDE_ZENEDGE, 1,
                           NULL, &pe, &hello, &cred);
    if (fd < 0) {
        fprintf(stderr, "zenedge-bench: rt_load: doorbell socket %s: %s\n", r->sock, strerror(-fd));
        return -1;
    }
    r->conn_fd = fd;
    r->peer_efd = pe;
    zport_posix_set_peer(&r->port, pe);
    return 0;
}

/* Forks the dispatcher (adaptive doorbell), connects its doorbell and
 * waits until the bridge is READY. 0 or -1. */
static int rt_start_dispatcher(rt_run_t *r)
{
    /* A backend that cannot wake a sleeping dispatcher when a job ends
     * (no set_wake) would leave each job's end to its 1 ms idle timeout:
     * the dispatcher polls there, as in the e2e section. */
    const bridge_backend_ops_t *ops = bridge_backend_find(r->backend);
    bool adaptive = ops != NULL && ops->set_wake != NULL;
    if (adaptive && rt_socket_dir(r) != 0)
        return -1;
    bench_dispatcher_db_t db = {.socket = r->sock, .spin_us = RT_SPIN_US, .sched = r->sched, .sched_len = RT_SCHED_LEN};
    r->child = bench_dispatcher_fork(r->o, r->shm, r->backend, r->reg, adaptive ? &db : NULL);
    if (r->child < 0 || (adaptive && rt_connect(r) != 0))
        return -1;
    uint64_t give_up = zl_now_ns() + RT_ONLINE_NS;
    while (!proxy_bridge_online(r->p)) {
        proxy_tick(r->p);
        int st;
        if (waitpid(r->child, &st, WNOHANG) == r->child) {
            fprintf(stderr, "zenedge-bench: rt_load: the dispatcher exited during start (status 0x%x)\n", st);
            r->child = -1;
            return -1;
        }
        if (zl_now_ns() > give_up) {
            fprintf(stderr, "zenedge-bench: rt_load: the dispatcher did not become READY within 10 s\n");
            return -1;
        }
        usleep(1000);
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* The flood and the RT job                                                */
/* ---------------------------------------------------------------------- */

/* Submits BACKGROUND jobs into the free places while refilling. A full
 * ring or table is not an error: the next pass tries again. 0 or -1. */
static int bg_fill(rt_run_t *r)
{
    for (uint32_t d = 0; r->refill && d < RT_DEPTH; d++) {
        if (r->bg_busy[d])
            continue;
        int rc = contract_submit_bufs(r->bg, RT_MODEL_BG, r->bg_in, 2, r->bg_out[d], 1, 0, &r->bg_h[d]);
        if (rc == PROXY_E_RING_FULL || rc == PROXY_E_JOB_TABLE_FULL || rc == PROXY_E_HEAP_EXHAUSTED)
            return 0;
        if (rc != CONTRACT_OK) {
            fprintf(stderr, "zenedge-bench: rt_load: flood submit: %s\n", contract_strerror(rc));
            return -1;
        }
        r->bg_busy[d] = true;
        r->bg_inflight++;
    }
    return 0;
}

/* Collects the BACKGROUND jobs that ended; counts a failed one. */
static void bg_collect(rt_run_t *r)
{
    for (uint32_t d = 0; d < RT_DEPTH; d++) {
        if (!r->bg_busy[d])
            continue;
        proxy_result_t pr;
        int rc = contract_wait(r->bg, r->bg_h[d], 0, &pr, NULL, 0);
        if (rc == PROXY_E_WAIT_TIMEOUT)
            continue;
        if (rc != PROXY_OK && (*r->errors)++ < 3)
            fprintf(stderr, "zenedge-bench: rt_load: a flood job ended %s\n", contract_strerror(rc));
        r->bg_busy[d] = false;
        r->bg_inflight--;
        r->flood_jobs += r->refill && r->record ? 1u : 0u;
    }
}

/* One pass of the leader's loop: the heartbeat when due, the completion
 * ring (or the jobs the tick ended), then the RT job first (when *rt_h
 * names one: *rc gets its final code, else PROXY_E_WAIT_TIMEOUT), then
 * the flood. 0 or -1. */
static int rt_service(rt_run_t *r, const uint32_t *rt_h, proxy_result_t *pr, int *rc)
{
    uint64_t now = zl_now_ns();
    if (r->last_pass && now - r->last_pass > RT_STALL_NS && r->record)
        r->stalls[r->kind]++;
    r->last_pass = now;
    int ended = 0; /* jobs the tick ended (deadline, a lost bridge): collect them too */
    if (now - r->last_tick > RT_TICK_NS) {
        ended = proxy_tick(r->p);
        r->last_tick = now;
    }
    if (rc)
        *rc = PROXY_E_WAIT_TIMEOUT;
    if ((!proxy_work_pending(r->p) || proxy_complete(r->p) <= 0) && ended <= 0)
        return 0;
    if (rt_h)
        *rc = contract_wait(r->rt, *rt_h, 0, pr, NULL, 0);
    bg_collect(r);
    return bg_fill(r);
}

/* The RT job's output against a + b. */
static bool rt_output_ok(const rt_run_t *r)
{
    const int32_t *a = r->rt_pin[0], *b = r->rt_pin[1], *c = r->rt_pout[0];
    for (uint32_t i = 0; i < r->m_rt->out[0].bytes / 4u; i++)
        if (c[i] != (int32_t)((uint32_t)a[i] + (uint32_t)b[i]))
            return false;
    return true;
}

/* Records one RT job of a phase of `kind`. */
static void rt_record(rt_run_t *r, int kind, const proxy_result_t *pr, uint64_t t_call, uint64_t t_ret)
{
    if (!r->record)
        return;
    r->rtt[kind][r->n[kind]++] = (double)(t_ret - t_call);
    if (pr->times_valid && pr->t_backend_start >= pr->t_submit)
        r->start[kind][r->n_start[kind]++] = (double)(pr->t_backend_start - pr->t_submit);
}

/* One RT job: submit, serve until it is collected, record. 0 or -1. */
static int rt_job(rt_run_t *r, int kind)
{
    memset(r->rt_pout[0], 0, r->m_rt->out[0].bytes);
    uint32_t h;
    uint64_t t_call = zl_now_ns();
    int rc = contract_submit_bufs(r->rt, RT_MODEL_RT, r->rt_in, 2, r->rt_out, 1, 0, &h);
    if (rc != CONTRACT_OK) {
        fprintf(stderr, "zenedge-bench: rt_load: RT submit: %s\n", contract_strerror(rc));
        return -1;
    }
    proxy_result_t pr;
    do {
        if (rt_service(r, &h, &pr, &rc) != 0)
            return -1;
        if (rc == PROXY_E_WAIT_TIMEOUT && zl_now_ns() - t_call > RT_JOB_TIMEOUT_NS) {
            fprintf(stderr, "zenedge-bench: rt_load: no answer to the RT job within 10 s\n");
            return -1;
        }
    } while (rc == PROXY_E_WAIT_TIMEOUT);
    uint64_t t_ret = zl_now_ns();
    if (rc != PROXY_OK || !rt_output_ok(r)) {
        if ((*r->errors)++ < 3)
            fprintf(stderr, "zenedge-bench: rt_load: RT job ended %s%s\n", contract_strerror(rc),
                    rc == PROXY_OK ? " with a wrong output" : "");
        return 0;
    }
    rt_record(r, kind, &pr, t_call, t_ret);
    return 0;
}

/* Ends the flood: no new BACKGROUND job, every one collected. 0 or -1. */
static int rt_drain(rt_run_t *r)
{
    r->refill = false;
    uint64_t give_up = zl_now_ns() + RT_JOB_TIMEOUT_NS;
    while (r->bg_inflight) {
        if (rt_service(r, NULL, NULL, NULL) != 0)
            return -1;
        if (zl_now_ns() > give_up) {
            fprintf(stderr, "zenedge-bench: rt_load: %u flood jobs still in flight after 10 s\n", r->bg_inflight);
            return -1;
        }
    }
    return 0;
}

/* One phase: `per` RT jobs, one per period, the first one period after
 * the start; with the flood running when kind is BENCH_RT_FLOOD. 0 or -1. */
static int rt_phase(rt_run_t *r, int kind)
{
    const uint64_t period = (uint64_t)BENCH_RT_PERIOD_US * 1000u;
    uint64_t t0 = zl_now_ns();
    r->kind = kind;
    r->last_pass = 0;
    r->refill = kind == BENCH_RT_FLOOD;
    if (bg_fill(r) != 0)
        return -1;
    uint64_t next = t0 + period;
    for (uint32_t i = 0; i < r->per; i++) {
        while (zl_now_ns() < next)
            if (rt_service(r, NULL, NULL, NULL) != 0)
                return -1;
        if (rt_job(r, kind) != 0)
            return -1;
        next += period;
        uint64_t now = zl_now_ns();
        if (now > next) {
            r->late += r->record ? 1u : 0u;
            next = now;
        }
    }
    if (kind == BENCH_RT_FLOOD && r->record)
        r->flood_ns += zl_now_ns() - t0;
    return rt_drain(r);
}

/* ---------------------------------------------------------------------- */
/* Summary                                                                 */
/* ---------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Percentile q (0..1) of v[0..n), nearest rank, in microseconds; v is
 * sorted. NAN when n is 0. */
static double pct_us(double *v, uint32_t n, double q)
{
    if (n == 0)
        return NAN;
    qsort(v, n, sizeof(double), cmp_double);
    size_t k = (size_t)ceil(q * n);
    return v[k ? k - 1 : 0] / 1000.0;
}

static void rt_row(rt_run_t *r, bench_rt_t *out)
{
    bench_rt_row_t *w = &out->row[out->n_rows++];
    memset(w, 0, sizeof(*w));
    snprintf(w->backend, sizeof(w->backend), "%s", r->backend);
    if (r->sched != NULL)
        snprintf(w->sched, sizeof(w->sched), "adaptive doorbell; %s", r->sched[0] ? r->sched : "scheduling untold");
    else
        snprintf(w->sched, sizeof(w->sched), "poll doorbell (the backend does not wake a sleeping dispatcher)");
    w->phases = r->phases;
    w->jobs_per_phase = r->per;
    for (int k = 0; k < 2; k++) {
        w->n[k] = r->n[k];
        w->n_start[k] = r->n_start[k];
        w->rtt_p50[k] = pct_us(r->rtt[k], r->n[k], 0.50);
        w->rtt_p99[k] = pct_us(r->rtt[k], r->n[k], 0.99);
        w->rtt_max[k] = pct_us(r->rtt[k], r->n[k], 1.0);
        w->start_p50[k] = pct_us(r->start[k], r->n_start[k], 0.50);
        w->start_p99[k] = pct_us(r->start[k], r->n_start[k], 0.99);
    }
    w->flood_jobs = r->flood_jobs;
    w->flood_jobs_per_s = r->flood_ns ? (double)r->flood_jobs * 1e9 / (double)r->flood_ns : NAN;
    w->late = r->late;
    for (int k = 0; k < 2; k++) {
        w->stalls[k] = r->stalls[k];
        w->noisy |= r->stalls[k] * 100u > r->n[k]; /* more than 1 % of the jobs */
    }
    w->ratio_rtt_p50 = w->rtt_p50[1] / w->rtt_p50[0];
    w->ratio_rtt_p99 = w->rtt_p99[1] / w->rtt_p99[0];
    w->ratio_start_p99 = w->start_p99[1] / w->start_p99[0];
}

/* ---------------------------------------------------------------------- */
/* One backend                                                             */
/* ---------------------------------------------------------------------- */

/* The warm-up (kernels built, caches warm; not recorded), then the
 * phases, alone first, alternating. 0 or -1. */
static int rt_measure(rt_run_t *r)
{
    uint32_t cap = r->phases * r->per;
    for (int k = 0; k < 2; k++) {
        r->rtt[k] = calloc(cap, sizeof(double));
        r->start[k] = calloc(cap, sizeof(double));
        if (!r->rtt[k] || !r->start[k])
            return -1;
    }
    uint32_t per = r->per;
    r->per = 16;
    if (rt_phase(r, BENCH_RT_ALONE) != 0 || rt_phase(r, BENCH_RT_FLOOD) != 0)
        return -1;
    r->per = per;
    r->record = true;
    for (uint32_t ph = 0; ph < 2u * r->phases; ph++)
        if (rt_phase(r, (int)(ph & 1u)) != 0)
            return -1;
    return 0;
}

static int rt_close(rt_run_t *r, int rcode)
{
    if (r->child > 0)
        rcode = bench_dispatcher_stop(r->child, rcode);
    if (r->port_up)
        zport_posix_set_peer(&r->port, -1);
    if (r->peer_efd >= 0)
        close(r->peer_efd);
    if (r->conn_fd >= 0)
        close(r->conn_fd);
    if (r->sock_dir[0]) {
        unlink(r->sock);
        rmdir(r->sock_dir);
    }
    if (r->sched != NULL)
        munmap(r->sched, RT_SCHED_LEN);
    if (r->p && r->p->started)
        proxy_stop(r->p);
    if (r->port_up)
        zport_posix_destroy(&r->port);
    for (int k = 0; k < 2; k++) {
        free(r->rtt[k]);
        free(r->start[k]);
    }
    free(r->rt);
    free(r->bg);
    free(r->p);
    zl_unmap(&r->map);
    return rcode;
}

/* 0 measured, 1 backend absent (not built, or no device: noted), -1 failure. */
static int run_backend(const bench_opts_t *o, const char *backend, const bridge_registry_t *reg, bench_rt_t *out)
{
    const bridge_backend_ops_t *ops = bench_backend_present(backend, out->note, sizeof(out->note));
    if (ops == NULL)
        return 1; /* not built, or no device (noted) */
    rt_run_t *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return -1;
    r->o = o;
    r->backend = backend;
    r->reg = reg;
    r->child = -1;
    r->conn_fd = -1;
    r->peer_efd = -1;
    r->errors = &out->errors;
    r->phases = o->selftest ? 2u : o->quick ? 5u : 20u;
    r->per = o->selftest ? 10u : o->quick ? 100u : 250u;
    int rcode = -1;
    if (rt_open(r) == 0 && rt_prepare(r) == 0 && rt_start_dispatcher(r) == 0 && rt_measure(r) == 0) {
        rt_row(r, out);
        rcode = 0;
    }
    rcode = rt_close(r, rcode);
    free(r);
    return rcode;
}

int bench_rt_run(const bench_opts_t *o, bench_rt_t *out)
{
    memset(out, 0, sizeof(*out));
    bridge_registry_t reg;
    char err[1024] = "";
    if (bridge_registry_load(&reg, o->models_dir, err, sizeof(err)) != BRIDGE_OK) {
        snprintf(out->note, sizeof(out->note), "not measured: model registry %s: %s", o->models_dir, err);
        return 0;
    }
    int pr = zl_pin_cpu(o->cpu_lead);
    if (pr != 0 && !o->no_pin) {
        bridge_registry_free(&reg);
        fprintf(stderr, "zenedge-bench: rt_load: cannot pin to CPU %d: %s\n", o->cpu_lead, strerror(-pr));
        return -1;
    }
    /* A plain --selftest checks the CPU backend only, to stay short. */
    static const char *const backends[] = {"cpu", "opencl", "cuda"};
    size_t nb = o->selftest && o->only == NULL ? 1u : sizeof(backends) / sizeof(backends[0]);
    int result = 0;
    for (size_t b = 0; b < nb; b++) {
        uint32_t rows_before = out->n_rows;
        int r = run_backend(o, backends[b], &reg, out);
        if (r < 0 && b == 0) {
            result = -1; /* the CPU backend must work */
            break;
        }
        if (r < 0) {
            out->n_rows = rows_before;
            size_t l = strlen(out->note);
            snprintf(out->note + l, sizeof(out->note) - l, "%s%s: present but not measured (failed, see above)",
                     l ? "; " : "", backends[b]);
        }
    }
    bridge_registry_free(&reg);
    out->measured = out->n_rows > 0;
    return result;
}
