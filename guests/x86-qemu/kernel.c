/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kernel.c - the ZENEDGE guest: boots, finds the shared region behind the
 * ivshmem device, lays it out with the portable proxy driver and runs a
 * few tasks, each under its own contract, that submit real jobs with the
 * unchanged contract_submit_job() and block in contract_wait() until the
 * completion handler wakes them. Ends with a report on COM1, the summary
 * line `demo: mode=qemu jobs=... ok=... failed=... rejected=...
 * accuracy=...`, and an exit through isa-debug-exit (ZX_EXIT_PASS/FAIL).
 *
 * Boot steps: docs/qemu.md. No floating point: float tensors are built
 * and checked as IEEE-754 bit patterns of small integers, exact on every
 * backend.
 */
#include "kernel.h"

#include "zx_arch.h"
#include "zenedge/barrier.h"

void zx_kernel_main(uint32_t magic, uint32_t info);

#define MB_BOOT_MAGIC 0x2BADB002u
#define STACK_BYTES   16384u
#define N_TASKS       4u
#define PING_KEEP     512u

#define VEC_N       1024u
#define GEMM_N      64u
#define DIGIT_BYTES 256u /* one sample: 64 float32 pixels */

/* The models' ids and signatures come from the generated table
 * (models/<model>/model.ini); the tasks build tensors of these shapes, so a
 * manifest that changes one stops the build here rather than the run. */
_Static_assert(ZEN_MODEL_VECTOR_ADD_IN0_BYTES == VEC_N * 4u && ZEN_MODEL_VECTOR_ADD_IN1_BYTES == VEC_N * 4u &&
                   ZEN_MODEL_VECTOR_ADD_OUT0_BYTES == VEC_N * 4u,
               "vector_add: i32[1024] + i32[1024]");
_Static_assert(ZEN_MODEL_SAXPY_IN0_BYTES == 4u && ZEN_MODEL_SAXPY_IN1_BYTES == VEC_N * 4u &&
                   ZEN_MODEL_SAXPY_IN2_BYTES == VEC_N * 4u && ZEN_MODEL_SAXPY_OUT0_BYTES == VEC_N * 4u,
               "saxpy: f32[1], f32[1024], f32[1024]");
_Static_assert(ZEN_MODEL_GEMM_IN0_BYTES == GEMM_N * GEMM_N * 4u && ZEN_MODEL_GEMM_IN1_BYTES == GEMM_N * GEMM_N * 4u &&
                   ZEN_MODEL_GEMM_OUT0_BYTES == GEMM_N * GEMM_N * 4u,
               "gemm: f32[64,64] x f32[64,64]");
_Static_assert(ZEN_MODEL_DIGITS_MLP_IN0_BYTES == DIGIT_BYTES && ZEN_MODEL_DIGITS_MLP_OUT0_BYTES == 10u * 4u,
               "digits_mlp: f32[64] -> f32[10]");
_Static_assert(ZEN_MODEL_COUNT <= ZEN_CFG_MAX_MODELS, "the model table does not fit ZEN_CFG_MAX_MODELS");

extern const uint8_t zx_digits_x[], zx_digits_x_end[];
extern const uint8_t zx_digits_y[], zx_digits_y_end[];

static zx_opts_t opts;
static zx_ivshmem_t dev;
static struct zport port;
static proxy_t proxy;
static uint64_t tick_next_ns;
static uint64_t tick_period_ns;

/* ---- per-contract accounting of the demo ----------------------------- */
typedef struct kstat {
    uint32_t submitted, ok, failed, rejected_unexpected;
    uint32_t n;                         /* results with times */
    uint64_t rtt_sum, rtt_min, rtt_max; /* submit -> task woken (guest clock) */
    uint64_t seen_sum;                  /* submit -> completion handler saw it */
    uint64_t wake_sum, wake_max;        /* completion handler -> task woken */
    uint64_t backend_sum;               /* backend time reported by the bridge */
} kstat_t;

typedef struct ktask {
    const char *name;
    contract_t contract;
    kstat_t st;
    zx_task_t task;
    uint32_t done;
} ktask_t;

static ktask_t kt[N_TASKS];
static uint8_t stacks[N_TASKS][STACK_BYTES] __attribute__((aligned(16)));
static uint32_t digits_correct, digits_done;
static uint32_t expected_rejects, seen_expected_rejects;
static uint64_t ping_ns[PING_KEEP];
static uint32_t ping_n, ping_fail;
static uint64_t ping_sum;
static uint64_t raw_ping_min, raw_ping_sum;
static uint32_t raw_ping_n;

/* ---- float bits without floating point ------------------------------- */
static uint32_t f32_bits(uint32_t v) /* exact for v < 2^24 */
{
    if (v == 0)
        return 0;
    uint32_t e = 31;
    while ((v & (1u << e)) == 0)
        e--;
    uint32_t mant = e <= 23 ? v << (23 - e) : v >> (e - 23);
    return ((127u + e) << 23) | (mant & 0x7FFFFFu);
}

/* ---- options ----------------------------------------------------------- */
static void opts_default(zx_opts_t *o)
{
    o->mode = ZX_MODE_DEMO;
    o->digits = 0xFFFFFFFFu;
    o->jobs = 32;
    o->pings = 200;
    o->msix = 0;
    o->relocate = 0;
    o->spin_us = 200;
    o->wait_s = 20;
    o->deadline_ms = 3000;
    o->log_level = ZPORT_LOG_INFO;
    o->hz = 1000;
}

static void opt_set(zx_opts_t *o, const char *k, const char *v)
{
    uint32_t n = 0;
    bool num = zx_parse_u32(v, &n);
    if (zx_str_eq(k, "mode")) {
        if (zx_str_eq(v, "demo"))
            o->mode = ZX_MODE_DEMO;
        else if (zx_str_eq(v, "ping"))
            o->mode = ZX_MODE_PING;
        else if (zx_str_eq(v, "hostile"))
            o->mode = ZX_MODE_HOSTILE;
        else
            zx_printf("boot: mode=%s unknown (demo|ping|hostile)\n", v);
    } else if (zx_str_eq(k, "doorbell")) {
        if (zx_str_eq(v, "poll"))
            o->msix = 0;
        else if (zx_str_eq(v, "msix"))
            o->msix = 1;
        else
            zx_printf("boot: doorbell=%s unknown (poll|msix)\n", v);
    } else if (!num) {
        zx_printf("boot: option %s=%s ignored (not a number)\n", k, v);
    } else if (zx_str_eq(k, "digits"))
        o->digits = n;
    else if (zx_str_eq(k, "jobs"))
        o->jobs = n;
    else if (zx_str_eq(k, "pings"))
        o->pings = n;
    else if (zx_str_eq(k, "relocate"))
        o->relocate = n != 0;
    else if (zx_str_eq(k, "spin_us"))
        o->spin_us = n;
    else if (zx_str_eq(k, "wait_s"))
        o->wait_s = n ? n : 1;
    else if (zx_str_eq(k, "deadline_ms"))
        o->deadline_ms = n ? n : 1;
    else if (zx_str_eq(k, "log"))
        o->log_level = n > 3 ? 3 : n;
    else if (zx_str_eq(k, "bridge_peer"))
        o->bridge_peer = n & 0xFFFFu;
    else if (zx_str_eq(k, "hz"))
        o->hz = n < 100 ? 100 : n > 20000 ? 20000 : n;
    else
        zx_printf("boot: option %s unknown\n", k);
}

static void opts_parse(zx_opts_t *o, const char *cmdline)
{
    char key[32], val[32];
    const char *s = cmdline;
    while (*s) {
        while (*s == ' ')
            s++;
        uint32_t kn = 0, vn = 0;
        while (*s && *s != ' ' && *s != '=') {
            if (kn < sizeof(key) - 1)
                key[kn++] = *s;
            s++;
        }
        key[kn] = 0;
        if (*s == '=') {
            s++;
            while (*s && *s != ' ') {
                if (vn < sizeof(val) - 1)
                    val[vn++] = *s;
                s++;
            }
        }
        val[vn] = 0;
        if (kn && vn)
            opt_set(o, key, val);
    }
}

/* ---- completion polling, periodic work, idle -------------------------- */
static void kpoll(void *arg)
{
    (void)arg;
    if (proxy_work_pending(&proxy))
        while (proxy_complete(&proxy) == (int)ZEN_CFG_CQ_BUDGET)
            ;
    uint64_t now = zx_now_ns();
    if (now >= tick_next_ns) {
        proxy_tick(&proxy);
        tick_next_ns = now + tick_period_ns;
    }
}

/* MSI-X vector 0: the bridge rang us. Interrupt context. */
static void kcompletion_irq(void *arg)
{
    (void)arg;
    (void)proxy_complete(&proxy); /* bounded; the rest on the next poll */
}

/* Spin for spin_us, then halt until the next interrupt (PIT tick, or the
 * MSI-X completion interrupt after W1 announced that we sleep). */
static void kidle(void *arg)
{
    (void)arg;
    uint64_t end = zx_now_ns() + (uint64_t)opts.spin_us * 1000u;
    do {
        if (proxy_work_pending(&proxy))
            return;
        __builtin_ia32_pause();
    } while (zx_now_ns() < end);
    zx_irq_disable();
    if (zx_sched_has_ready()) {
        zx_irq_enable();
        return;
    }
    if (zx_now_ns() >= tick_next_ns) {
        zx_irq_enable();
        return;
    }
    if (opts.msix) {
        uint32_t before = zx_msix_count();
        if (proxy_idle_prepare(&proxy)) { /* W1: work arrived meanwhile */
            zx_irq_enable();
            return;
        }
        zx_irq_enable_and_halt();
        proxy_idle_finish(&proxy, zx_msix_count() != before);
    } else {
        if (proxy_work_pending(&proxy)) {
            zx_irq_enable();
            return;
        }
        zx_irq_enable_and_halt();
    }
    zx_irq_enable();
}

/* ---- recording results ------------------------------------------------ */
static void record(kstat_t *st, const proxy_result_t *r)
{
    if (r->t_wake < r->t_submit || r->t_complete_seen < r->t_submit)
        return;
    uint64_t rtt = r->t_wake - r->t_submit;
    uint64_t seen = r->t_complete_seen - r->t_submit;
    /* the wake-up proper: from the completion, or from the wait's call if
     * the job was already done then */
    uint64_t from = r->t_wait_call > r->t_complete_seen ? r->t_wait_call : r->t_complete_seen;
    uint64_t wake = r->t_wake >= from ? r->t_wake - from : 0;
    if (st->n == 0 || rtt < st->rtt_min)
        st->rtt_min = rtt;
    if (rtt > st->rtt_max)
        st->rtt_max = rtt;
    if (wake > st->wake_max)
        st->wake_max = wake;
    st->rtt_sum += rtt;
    st->seen_sum += seen;
    st->wake_sum += wake;
    st->backend_sum += r->backend_ns;
    st->n++;
}

static void job_failed(ktask_t *k, const char *what, int rc, const proxy_result_t *r)
{
    k->st.failed++;
    zx_printf("%s: %s failed: %s (bridge status %u)\n", k->name, what, contract_strerror(rc), r ? r->ipc_status : 0u);
}

/* Submit (retrying while the ring or heap is momentarily full), wait, record. */
static int run_job(ktask_t *k, uint32_t model, const proxy_in_t *in, uint32_t n_in, const proxy_out_t *out,
                   proxy_result_t *res)
{
    uint32_t h = 0;
    int rc;
    for (uint32_t tries = 0;; tries++) {
        rc = contract_submit_job(&k->contract, model, in, n_in, 0, &h);
        if (rc == PROXY_E_RING_FULL || rc == PROXY_E_HEAP_EXHAUSTED || rc == PROXY_E_JOB_TABLE_FULL) {
            if (tries < 1000u) {
                zx_task_yield();
                continue;
            }
        }
        break;
    }
    if (rc != 0) {
        k->st.rejected_unexpected++;
        zx_printf("%s: model %u submission refused: %s\n", k->name, model, contract_strerror(rc));
        return rc;
    }
    k->st.submitted++;
    rc = contract_wait(&k->contract, h, PROXY_WAIT_UNTIL_DEADLINE, res, out, 1);
    if (rc == PROXY_OK)
        record(&k->st, res);
    else
        job_failed(k, model == ZEN_MODEL_DIGITS_MLP ? "digits_mlp" : "gemm", rc, res);
    return rc;
}

/* ---- the tasks ---------------------------------------------------------- */
static void digits_task(void *arg)
{
    ktask_t *k = arg;
    uint32_t n_avail = (uint32_t)(zx_digits_y_end - zx_digits_y);
    if ((uint32_t)(zx_digits_x_end - zx_digits_x) / DIGIT_BYTES < n_avail)
        n_avail = (uint32_t)(zx_digits_x_end - zx_digits_x) / DIGIT_BYTES;
    uint32_t n = opts.digits < n_avail ? opts.digits : n_avail;
    static uint32_t logits[10];
    for (uint32_t i = 0; i < n; i++) {
        proxy_in_t in = {zx_digits_x + i * DIGIT_BYTES, DIGIT_BYTES};
        proxy_out_t out = {logits, sizeof(logits)};
        proxy_result_t res;
        int rc = run_job(k, ZEN_MODEL_DIGITS_MLP, &in, 1, &out, &res);
        if (rc != PROXY_OK)
            continue; /* counted and logged by run_job() */
        if (res.result > 9u) {
            job_failed(k, "digits_mlp result word", PROXY_E_BAD_COMPLETION, &res);
            continue;
        }
        k->st.ok++;
        digits_done++;
        if (res.result == zx_digits_y[i])
            digits_correct++;
    }
}

static void gemm_task(void *arg)
{
    ktask_t *k = arg;
    static uint32_t a[GEMM_N * GEMM_N], b[GEMM_N * GEMM_N], c[GEMM_N * GEMM_N];
    for (uint32_t it = 0; it < opts.jobs; it++) {
        for (uint32_t i = 0; i < GEMM_N; i++)
            for (uint32_t j = 0; j < GEMM_N; j++) {
                a[i * GEMM_N + j] = f32_bits((i + j + it) % 5u);
                b[i * GEMM_N + j] = f32_bits((i * 3u + j + it) % 7u);
            }
        proxy_in_t in[2] = {{a, sizeof(a)}, {b, sizeof(b)}};
        proxy_out_t out = {c, sizeof(c)};
        proxy_result_t res;
        int rc = run_job(k, ZEN_MODEL_GEMM, in, 2, &out, &res);
        if (rc != PROXY_OK)
            continue; /* counted and logged by run_job() */
        uint32_t bad = 0;
        for (uint32_t i = 0; i < GEMM_N && bad == 0; i++) {
            zx_task_yield(); /* cooperative: let the other tasks run per row */
            for (uint32_t j = 0; j < GEMM_N; j++) {
                uint32_t s = 0;
                for (uint32_t x = 0; x < GEMM_N; x++)
                    s += ((i + x + it) % 5u) * ((x * 3u + j + it) % 7u);
                if (c[i * GEMM_N + j] != f32_bits(s)) {
                    zx_printf("%s: gemm job %u c[%u][%u]=0x%08x, expected 0x%08x\n", k->name, it, i, j,
                              c[i * GEMM_N + j], f32_bits(s));
                    bad = 1;
                    break;
                }
            }
        }
        if (bad)
            k->st.failed++;
        else
            k->st.ok++;
    }
}

/* Two jobs in flight at once (the contract allows 2): vector_add and saxpy. */
static void vector_task(void *arg)
{
    ktask_t *k = arg;
    static uint32_t va[VEC_N], vb[VEC_N], vc[VEC_N];
    static uint32_t alpha, sx[VEC_N], sy[VEC_N], so[VEC_N];
    for (uint32_t it = 0; it < (opts.jobs + 1u) / 2u; it++) {
        for (uint32_t i = 0; i < VEC_N; i++) {
            va[i] = i * (it + 1u);
            vb[i] = 3u * i - it;
            sx[i] = f32_bits(i % 1000u);
            sy[i] = f32_bits(it + i % 7u);
        }
        alpha = f32_bits(2);
        proxy_in_t in_a[2] = {{va, sizeof(va)}, {vb, sizeof(vb)}};
        proxy_in_t in_s[3] = {{&alpha, 4}, {sx, sizeof(sx)}, {sy, sizeof(sy)}};
        uint32_t ha = 0, hs = 0;
        int ra = contract_submit_job(&k->contract, ZEN_MODEL_VECTOR_ADD, in_a, 2, 0, &ha);
        int rs = contract_submit_job(&k->contract, ZEN_MODEL_SAXPY, in_s, 3, 0, &hs);
        proxy_out_t out_a = {vc, sizeof(vc)}, out_s = {so, sizeof(so)};
        proxy_result_t res;
        if (ra == 0) {
            k->st.submitted++;
            int rc = contract_wait(&k->contract, ha, PROXY_WAIT_UNTIL_DEADLINE, &res, &out_a, 1);
            if (rc != PROXY_OK) {
                job_failed(k, "vector_add", rc, &res);
            } else {
                record(&k->st, &res);
                uint32_t bad = 0;
                for (uint32_t i = 0; i < VEC_N; i++)
                    if (vc[i] != va[i] + vb[i])
                        bad++;
                if (bad) {
                    zx_printf("%s: vector_add job %u: %u wrong elements\n", k->name, it, bad);
                    k->st.failed++;
                } else {
                    k->st.ok++;
                }
            }
        } else {
            k->st.rejected_unexpected++;
            zx_printf("%s: vector_add refused: %s\n", k->name, contract_strerror(ra));
        }
        if (rs == 0) {
            k->st.submitted++;
            int rc = contract_wait(&k->contract, hs, PROXY_WAIT_UNTIL_DEADLINE, &res, &out_s, 1);
            if (rc != PROXY_OK) {
                job_failed(k, "saxpy", rc, &res);
            } else {
                record(&k->st, &res);
                uint32_t bad = 0;
                for (uint32_t i = 0; i < VEC_N; i++)
                    if (so[i] != f32_bits(2u * (i % 1000u) + it + i % 7u))
                        bad++;
                if (bad) {
                    zx_printf("%s: saxpy job %u: %u wrong elements\n", k->name, it, bad);
                    k->st.failed++;
                } else {
                    k->st.ok++;
                }
            }
        } else {
            k->st.rejected_unexpected++;
            zx_printf("%s: saxpy refused: %s\n", k->name, contract_strerror(rs));
        }
    }
}

static void ping_record(uint64_t ns)
{
    if (ping_n < PING_KEEP)
        ping_ns[ping_n] = ns;
    ping_n++;
    ping_sum += ns;
}

/* The background contract: shows two refusals (a model it may not run,
 * and a second job beyond its in-flight limit), then measures PING round
 * trips from a task (block in proxy_wait, woken by the completion path). */
static void probe_task(void *arg)
{
    ktask_t *k = arg;
    static uint32_t pa[VEC_N], pb[VEC_N], pc[VEC_N];
    for (uint32_t i = 0; i < VEC_N; i++) {
        pa[i] = i;
        pb[i] = 7u;
    }
    proxy_in_t in[2] = {{pa, sizeof(pa)}, {pb, sizeof(pb)}};
    uint32_t h = 0, h2 = 0;
    if (opts.mode == ZX_MODE_DEMO) {
        int rc = contract_submit_job(&k->contract, ZEN_MODEL_GEMM, in, 2, 0, &h);
        expected_rejects++;
        if (rc == CONTRACT_E_NOT_ALLOWED)
            seen_expected_rejects++;
        else
            zx_printf("%s: gemm outside the contract gave %s, expected CONTRACT_E_NOT_ALLOWED\n", k->name,
                      contract_strerror(rc));
        /* Two submissions with no completion processing between them
         * (interrupts masked), so the second meets the in-flight limit of 1. */
        uint32_t key = zport_crit_enter(&port);
        int r1 = contract_submit_job(&k->contract, ZEN_MODEL_VECTOR_ADD, in, 2, 0, &h);
        int r2 = contract_submit_job(&k->contract, ZEN_MODEL_VECTOR_ADD, in, 2, 0, &h2);
        zport_crit_exit(&port, key);
        expected_rejects++;
        if (r2 == CONTRACT_E_INFLIGHT_LIMIT)
            seen_expected_rejects++;
        else
            zx_printf("%s: second job gave %s, expected CONTRACT_E_INFLIGHT_LIMIT\n", k->name, contract_strerror(r2));
        if (r2 == 0) { /* not expected; still collect it */
            k->st.submitted++;
            proxy_result_t res2;
            proxy_out_t o2 = {pc, sizeof(pc)};
            if (contract_wait(&k->contract, h2, PROXY_WAIT_UNTIL_DEADLINE, &res2, &o2, 1) == PROXY_OK)
                k->st.ok++;
            else
                k->st.failed++;
        }
        if (r1 == 0) {
            k->st.submitted++;
            proxy_result_t res;
            proxy_out_t out = {pc, sizeof(pc)};
            int rc1 = contract_wait(&k->contract, h, PROXY_WAIT_UNTIL_DEADLINE, &res, &out, 1);
            uint32_t bad = 0;
            for (uint32_t i = 0; rc1 == PROXY_OK && i < VEC_N; i++)
                if (pc[i] != i + 7u)
                    bad++;
            if (rc1 != PROXY_OK || bad) {
                job_failed(k, "vector_add", rc1, &res);
            } else {
                record(&k->st, &res);
                k->st.ok++;
            }
        } else {
            k->st.rejected_unexpected++;
            zx_printf("%s: vector_add refused: %s\n", k->name, contract_strerror(r1));
        }
    }
    for (uint32_t i = 0; i < opts.pings; i++) {
        uint64_t t0 = zx_now_ns();
        int rc = proxy_ping(&proxy, IPC_QOS_RT, opts.deadline_ms * 1000u, &h);
        if (rc == PROXY_E_RING_FULL || rc == PROXY_E_JOB_TABLE_FULL) {
            zx_task_yield();
            continue;
        }
        proxy_result_t res;
        if (rc == 0)
            rc = proxy_wait(&proxy, h, PROXY_WAIT_UNTIL_DEADLINE, &res, 0, 0);
        if (rc != 0) {
            ping_fail++;
            zx_printf("%s: ping %u: %s\n", k->name, i, proxy_strerror(rc));
            continue;
        }
        ping_record(zx_now_ns() - t0);
    }
}

/* PINGs from the boot context, spinning on the completion ring: the
 * lowest round trip the proxy achieves (no scheduler, no halt). */
static void raw_pings(uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        uint32_t h;
        uint64_t t0 = zx_now_ns();
        if (proxy_ping(&proxy, IPC_QOS_RT, opts.deadline_ms * 1000u, &h) != 0)
            continue;
        proxy_job_info_t info;
        uint64_t limit = t0 + (uint64_t)opts.deadline_ms * 2000000u;
        do {
            (void)proxy_complete(&proxy);
            if (proxy_job_status(&proxy, h, &info) != 0)
                break;
        } while (info.state < PROXY_JOB_DONE && zx_now_ns() < limit);
        uint64_t t1 = zx_now_ns();
        proxy_result_t res;
        if (proxy_wait(&proxy, h, PROXY_WAIT_UNTIL_DEADLINE, &res, 0, 0) != 0) {
            ping_fail++;
            continue;
        }
        uint64_t d = t1 - t0;
        if (raw_ping_n == 0 || d < raw_ping_min)
            raw_ping_min = d;
        raw_ping_sum += d;
        raw_ping_n++;
    }
}

/* ---- setup ---------------------------------------------------------------- */
static void contract_setup(ktask_t *k, const char *name, uint32_t qos, uint32_t max_inflight, const uint32_t *models,
                           uint32_t n_models)
{
    contract_config_t cc;
    memset(&cc, 0, sizeof(cc));
    cc.name = name;
    for (uint32_t i = 0; i < n_models; i++)
        cc.models[i] = models[i];
    cc.n_models = n_models;
    cc.max_inflight = max_inflight;
    cc.qos = qos;
    cc.deadline_us = opts.deadline_ms * 1000u;
    /* A budget each contract stays far below (shown in the report). */
    cc.budget_ns = 2000000000ull;
    cc.period_ns = 1000000000ull;
    k->name = name;
    int rc = contract_init(&k->contract, &proxy, &cc);
    if (rc != 0) {
        zx_printf("contract %s: %s\n", name, contract_strerror(rc));
        zx_exit(ZX_EXIT_FAIL);
    }
}

/* Every model of the catalogue, as the bridge loads it. */
static void models_register(void)
{
    static const proxy_model_t m[ZEN_MODEL_COUNT] = {ZEN_MODELS_INIT};
    for (uint32_t i = 0; i < ZEN_MODEL_COUNT; i++) {
        int rc = proxy_model_register(&proxy, &m[i]);
        if (rc != 0) {
            zx_printf("model %u: %s\n", m[i].id, proxy_strerror(rc));
            zx_exit(ZX_EXIT_FAIL);
        }
    }
}

static void proxy_setup(void *shm, uint32_t size)
{
    proxy_config_t cfg;
    proxy_config_default(&cfg, &port, size);
    /* A previous boot's epoch, if the region still holds one (read once,
     * untrusted: it only has to differ). */
    const ipc_region_hdr_t *old = shm;
    uint32_t old_epoch = ipc_read_once(&old->magic) == IPC_REGION_MAGIC ? ipc_read_once(&old->zen.epoch) : 0u;
    cfg.epoch = old_epoch + 1u ? old_epoch + 1u : 1u;
    cfg.features = opts.msix ? IPC_FEAT_NEED_WAKEUP : 0u; /* not SHARED_CLOCK: the TSC is ours */
    cfg.doorbell = opts.msix ? IPC_DB_ADAPTIVE : IPC_DB_POLL;
    cfg.n_heap_classes = 3;
    cfg.heap[0].block_size = 256;
    cfg.heap[0].count = 64; /* digits in/out, saxpy alpha */
    cfg.heap[1].block_size = 4096;
    cfg.heap[1].count = 48; /* vectors */
    cfg.heap[2].block_size = 16384;
    cfg.heap[2].count = 24; /* gemm matrices */
    int rc = proxy_init(&proxy, shm, &cfg);
    if (rc != 0) {
        zx_printf("proxy_init: %s (region %u bytes)\n", proxy_strerror(rc), size);
        zx_exit(ZX_EXIT_FAIL);
    }
    models_register();
    tick_period_ns = (uint64_t)cfg.hb_period_us * 500u; /* half a heartbeat period */
    rc = proxy_start(&proxy);
    if (rc != 0) {
        zx_printf("proxy_start: %s\n", proxy_strerror(rc));
        zx_exit(ZX_EXIT_FAIL);
    }
    const ipc_region_t *r = proxy_region(&proxy);
    zx_printf("region: %u bytes, %u submission rings x %u slots, cq %u, %u jobs, heap 0x%x+%u, epoch %u\n", r->size,
              r->n_sq, r->sq_slots, r->cq_slots, r->max_jobs, r->heap_off, r->heap_size, cfg.epoch);
}

static bool wait_bridge(void)
{
    uint64_t limit = zx_now_ns() + (uint64_t)opts.wait_s * 1000000000u;
    while (zx_now_ns() < limit) {
        kpoll(0);
        if (proxy_bridge_online(&proxy))
            return true;
        uint32_t f = zx_irq_save();
        zx_irq_enable_and_halt();
        zx_irq_restore(f);
    }
    return false;
}

/* ---- report ---------------------------------------------------------------- */
static uint64_t us_of(uint64_t ns)
{
    return ns / 1000u;
}

static void sort_u64(uint64_t *v, uint32_t n)
{
    for (uint32_t i = 1; i < n; i++) {
        uint64_t x = v[i];
        uint32_t j = i;
        while (j > 0 && v[j - 1] > x) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
}

static void report(uint32_t *jobs, uint32_t *ok, uint32_t *failed, uint32_t *rejected)
{
    static const char *const qos_names[IPC_QOS_COUNT] = {"RT", "HIGH", "NORMAL", "BACKGROUND"};
    zx_printf("\n== per contract (times in us, guest TSC clock)\n");
    zx_printf("%-10s %-10s %5s %5s %6s %8s %8s %8s %8s %8s %8s\n", "contract", "qos", "jobs", "ok", "failed", "rtt_avg",
              "rtt_min", "rtt_max", "seen_avg", "wake_avg", "backend");
    for (uint32_t i = 0; i < N_TASKS; i++) {
        ktask_t *k = &kt[i];
        kstat_t *s = &k->st;
        uint32_t n = s->n ? s->n : 1u;
        uint32_t q = k->contract.cfg.qos;
        zx_printf("%-10s %-10s %5u %5u %6u %8llu %8llu %8llu %8llu %8llu %8llu\n", k->name,
                  q < IPC_QOS_COUNT ? qos_names[q] : "?", s->submitted, s->ok, s->failed,
                  (unsigned long long)us_of(s->rtt_sum / n), (unsigned long long)us_of(s->rtt_min),
                  (unsigned long long)us_of(s->rtt_max), (unsigned long long)us_of(s->seen_sum / n),
                  (unsigned long long)us_of(s->wake_sum / n), (unsigned long long)us_of(s->backend_sum / n));
        *jobs += s->submitted;
        *ok += s->ok;
        *failed += s->failed;
        contract_stats_t cs;
        contract_get_stats(&k->contract, &cs);
        for (uint32_t r = 0; r < CONTRACT_REJ_COUNT; r++) {
            if (cs.rejected[r] == 0)
                continue;
            zx_printf("%-10s   rejected %s: %u\n", k->name, contract_reject_name((int)r), cs.rejected[r]);
            *rejected += cs.rejected[r];
        }
        for (uint32_t e = 1; e < PROXY_END_COUNT; e++)
            if (cs.ended[e])
                zx_printf("%-10s   ended %s: %u\n", k->name, proxy_end_name((int)e), cs.ended[e]);
        zx_printf("%-10s   backend time charged %llu us, stack unused %u of %u bytes\n", k->name,
                  (unsigned long long)us_of(cs.charged_total_ns), zx_task_stack_unused(&k->task), STACK_BYTES);
    }
}

static void report_pings(void)
{
    if (raw_ping_n)
        zx_printf("ping (boot context, spinning): n=%u min=%llu ns avg=%llu ns\n", raw_ping_n,
                  (unsigned long long)raw_ping_min, (unsigned long long)(raw_ping_sum / raw_ping_n));
    if (ping_n) {
        uint32_t kept = ping_n < PING_KEEP ? ping_n : PING_KEEP;
        sort_u64(ping_ns, kept);
        zx_printf("ping (task, %s): n=%u min=%llu ns p50=%llu ns p99=%llu ns max=%llu ns avg=%llu ns\n",
                  opts.msix ? "spin then halt, MSI-X" : "spin then halt, polling", ping_n,
                  (unsigned long long)ping_ns[0], (unsigned long long)ping_ns[kept / 2],
                  (unsigned long long)ping_ns[(kept * 99u) / 100u], (unsigned long long)ping_ns[kept - 1],
                  (unsigned long long)(ping_sum / ping_n));
    }
    if (ping_fail)
        zx_printf("ping: %u failed\n", ping_fail);
}

static void report_proxy(void)
{
    const proxy_stats_t *s = &proxy.stats;
    uint32_t cq_rej = 0;
    for (uint32_t i = 0; i < PROXY_CQ_REJECT_COUNT; i++)
        cq_rej += s->cq_rejected[i];
    zx_printf("proxy: submitted=%u pings=%u completions=%u cq_rejected=%u late=%u doorbells=%u "
              "bridge_lost=%u epochs=%u msix_irqs=%u waits=%u wait_timeouts=%u wakeups=%u\n",
              s->submitted, s->pings, s->completions, cq_rej, s->late_answers, s->doorbells, s->bridge_lost,
              s->bridge_epochs, zx_msix_count(), port.waits, port.wait_timeouts,
              ipc_read_once(&proxy_region(&proxy)->hdr->zen.wakeups));
}

/* ---- entry ------------------------------------------------------------------- */
void zx_kernel_main(uint32_t magic, uint32_t info)
{
    zx_console_init();
    zx_printf("\nZENEDGE x86 guest (32-bit protected mode, multiboot)\n");
    opts_default(&opts);
    uint32_t ram_top = 0x01000000u;
    if (magic == MB_BOOT_MAGIC && info) {
        const uint32_t *mbi = (const uint32_t *)(uintptr_t)info;
        if (mbi[0] & 0x1u)
            ram_top = 0x100000u + mbi[2] * 1024u;
        if (mbi[0] & 0x4u) {
            const char *cl = (const char *)(uintptr_t)mbi[4];
            zx_printf("boot: cmdline \"%s\"\n", cl);
            opts_parse(&opts, cl);
        }
    } else {
        zx_printf("boot: not started by a multiboot loader (magic 0x%08x); defaults\n", magic);
    }
    zx_cpu_init(opts.hz);
    zx_clock_init();
    uint64_t hz = zx_tsc_hz();
    zx_printf("boot: ram top 0x%08x, timer %u Hz, TSC %llu.%03llu MHz (PIT channel 2, 50 ms)\n", ram_top, zx_tick_hz(),
              (unsigned long long)(hz / 1000000u), (unsigned long long)((hz / 1000u) % 1000u));
    zx_irq_enable();

    int rc = zx_ivshmem_find(&dev, ram_top, opts.relocate != 0);
    if (rc != 0) {
        zx_printf("pci: no usable ivshmem device (1af4:1110): error %d\n", rc);
        zx_exit(ZX_EXIT_FAIL);
    }
    zx_printf("pci: ivshmem %02x:%02x.%u rev %u, BAR0 regs 0x%08x, BAR2 shm 0x%08x size %u KiB%s "
              "(firmware left 0x%08x:%08x), MSI-X %u vectors, IVPosition %u\n",
              dev.bus, dev.dev, dev.fn, dev.revision, (uint32_t)dev.regs, (uint32_t)dev.shm, dev.shm_size / 1024u,
              dev.relocated ? " relocated by us, read back ok" : "", dev.shm_orig_hi, dev.shm_orig_lo & ~0xFu,
              dev.msix_cap ? dev.msix_vectors : 0u, dev.ivposition);
    uint32_t size = dev.shm_size < IPC_REGION_MAX_SIZE ? dev.shm_size : IPC_REGION_MAX_SIZE;

    if (opts.mode == ZX_MODE_HOSTILE) {
        uint32_t bad = zx_hostile_run(&opts, (void *)dev.shm, size);
        zx_printf("hostile: %s (%u check(s) failed)\n", bad ? "FAIL" : "PASS", bad);
        zx_exit(bad ? ZX_EXIT_FAIL : ZX_EXIT_PASS);
    }

    uint32_t bridge_peer = 0;
    if (opts.msix) {
        uint32_t apic = zx_lapic_init();
        zx_set_msix_handler(kcompletion_irq, 0);
        rc = zx_ivshmem_msix_enable(&dev, ZX_VEC_MSIX, apic);
        if (rc != 0) {
            zx_printf("msix: cannot enable MSI-X on the ivshmem device (error %d); is it ivshmem-doorbell?\n", rc);
            zx_exit(ZX_EXIT_FAIL);
        }
        /* zenedge-bridged's ivshmem server announces itself as peer 0 and
         * numbers the QEMU clients from 1 (docs/qemu.md); ours is IVPosition. */
        bridge_peer = opts.bridge_peer;
        zx_printf("msix: vector 0 -> APIC %u vector 0x%x; doorbell rings peer %u\n", apic, ZX_VEC_MSIX, bridge_peer);
    }
    zport_x86_init(&port, &dev, opts.msix, bridge_peer, opts.log_level);
    proxy_setup((void *)dev.shm, size);

    zx_printf("boot: waiting up to %u s for the bridge\n", opts.wait_s);
    if (!wait_bridge()) {
        zx_printf("demo: mode=qemu jobs=0 ok=0 failed=0 rejected=0 accuracy=0.0000\n");
        zx_printf("FAIL: the bridge never came online (state READY with a moving heartbeat)\n");
        zx_exit(ZX_EXIT_FAIL);
    }
    zx_printf("boot: bridge online, epoch %u, after %llu ms\n", proxy.bridge_epoch,
              (unsigned long long)(zx_now_ns() / 1000000u));

    raw_pings(opts.pings < 1000u ? opts.pings : 1000u);

    static const uint32_t m_digits[] = {ZEN_MODEL_DIGITS_MLP};
    static const uint32_t m_gemm[] = {ZEN_MODEL_GEMM};
    static const uint32_t m_vec[] = {ZEN_MODEL_VECTOR_ADD, ZEN_MODEL_SAXPY};
    static const uint32_t m_probe[] = {ZEN_MODEL_VECTOR_ADD};
    contract_setup(&kt[0], "digits", IPC_QOS_RT, 1, m_digits, 1);
    contract_setup(&kt[1], "gemm", IPC_QOS_HIGH, 1, m_gemm, 1);
    contract_setup(&kt[2], "vector", IPC_QOS_NORMAL, 2, m_vec, 2);
    contract_setup(&kt[3], "probe", IPC_QOS_BACKGROUND, 1, m_probe, 1);
    if (opts.mode == ZX_MODE_PING) {
        opts.digits = 0;
        opts.jobs = 0;
    }
    zx_task_create(&kt[0].task, "digits", digits_task, &kt[0], stacks[0], STACK_BYTES);
    zx_task_create(&kt[1].task, "gemm", gemm_task, &kt[1], stacks[1], STACK_BYTES);
    zx_task_create(&kt[2].task, "vector", vector_task, &kt[2], stacks[2], STACK_BYTES);
    zx_task_create(&kt[3].task, "probe", probe_task, &kt[3], stacks[3], STACK_BYTES);
    uint64_t t_start = zx_now_ns();
    zx_sched_hooks_t hooks = {kpoll, kidle, 0};
    zx_sched_run(&hooks);
    uint64_t t_run = zx_now_ns() - t_start;

    uint32_t jobs = 0, ok = 0, failed = 0, rejected = 0;
    report(&jobs, &ok, &failed, &rejected);
    report_pings();
    report_proxy();
    proxy_usage_t u;
    proxy_usage(&proxy, &u);
    proxy_stop(&proxy);
    uint32_t acc = digits_done ? (uint32_t)(((uint64_t)digits_correct * 10000u) / digits_done) : 0u;
    zx_printf("digits: %u of %u correct\n", digits_correct, digits_done);
    zx_printf("run: %llu ms, doorbell=%s, slots still busy %u\n", (unsigned long long)(t_run / 1000000u),
              opts.msix ? "msix" : "poll", u.slots_busy);
    zx_printf("demo: mode=qemu jobs=%u ok=%u failed=%u rejected=%u accuracy=%u.%04u\n", jobs, ok, failed, rejected,
              acc / 10000u, acc % 10000u);
    uint32_t unexpected = 0;
    for (uint32_t i = 0; i < N_TASKS; i++)
        unexpected += kt[i].st.rejected_unexpected;
    bool pass = failed == 0 && ok == jobs && unexpected == 0 && seen_expected_rejects == expected_rejects &&
                rejected == expected_rejects && ping_fail == 0 && u.slots_busy == 0;
    zx_printf("guest: %s\n", pass ? "PASS" : "FAIL");
    zx_exit(pass ? ZX_EXIT_PASS : ZX_EXIT_FAIL);
}
