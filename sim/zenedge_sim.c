/*
 * zenedge-sim - the ZENEDGE partition as a Linux program: lays out the
 * shared region in POSIX shared memory, runs the portable proxy driver on
 * the POSIX port, and runs tasks (threads), each under its own contract,
 * against zenedge-bridged. See docs/zenedge-sim.md and --help.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "contract.h"
#include "lat_trace.h"
#include "proxy.h"
#include "zl.h"
#include "port.h"

#define SIM_MAX_TASKS 16
#define N_STAGES      7

enum { M_VECTOR_ADD = 1, M_SAXPY = 2, M_GEMM = 3, M_DIGITS = 4 };

static const struct sim_model {
    uint32_t id;
    const char *name;
    proxy_model_t sig;
} sim_models[] = {
    {M_VECTOR_ADD, "vector_add", {M_VECTOR_ADD, 2, 1, {4096, 4096}, {4096}}},
    {M_SAXPY, "saxpy", {M_SAXPY, 3, 1, {4, 4096, 4096}, {4096}}},
    {M_GEMM, "gemm", {M_GEMM, 2, 1, {16384, 16384}, {16384}}},
    {M_DIGITS, "digits_mlp", {M_DIGITS, 1, 1, {256}, {40}}},
};
#define N_MODELS (sizeof(sim_models) / sizeof(sim_models[0]))

static const char *const stage_names[N_STAGES] = {
    "submit->pickup", "pickup->start", "backend", "end->complete", "complete->irq", "irq->wake", "round trip",
};

#define SIM_ZC_DEPTH 4u   /* most jobs in flight for a zero_copy task */

typedef struct task {
    char     name[48];
    uint32_t qos;
    uint32_t models[ZEN_CFG_CONTRACT_MODELS];
    uint32_t n_models;
    uint32_t allow[ZEN_CFG_CONTRACT_MODELS];
    uint32_t n_allow;
    uint32_t count, inflight, depth, deadline_ms, budget_us, period_ms, rate_hz;
    uint32_t zero_copy;               /* tensor buffers in the heap, one set per pipeline slot */
    uint32_t zc_in[SIM_ZC_DEPTH][3], zc_out[SIM_ZC_DEPTH];
    void    *zc_pin[SIM_ZC_DEPTH][3], *zc_pout[SIM_ZC_DEPTH];
    /* results */
    contract_t c;
    uint32_t   attempted, ok, failed, rejected, mismatches, digits_total, digits_correct;
    int        error;                 /* the task could not run (message printed) */
    double    *lat[N_STAGES];         /* microseconds */
    uint32_t   n_lat[N_STAGES];
    lat_trace_t hist;                 /* the same stages, fixed buckets (--hist) */
} task_t;

static struct {
    const char *shm, *socket, *models_dir, *hist_path;
    size_t      size;
    int         mode, cpu, quiet;
    double      timeout_s;
    uint32_t    spin_us, max_jobs, sq_slots;
    task_t      tasks[SIM_MAX_TASKS];
    int         n_tasks;
    /* digits data */
    float      *digits_x;
    uint8_t    *digits_y;
    uint32_t    digits_n;
    const char *digits_err;
} g = {.size = 16u << 20, .mode = IPC_DB_ADAPTIVE, .cpu = -1, .timeout_s = 10.0, .spin_us = 50,
       .max_jobs = 256, .sq_slots = 256, .models_dir = "models"};

static struct zport port;
static proxy_t *proxy;
static volatile int link_stop;

static void usage(FILE *f)
{
    fprintf(f,
"Usage: zenedge-sim --shm NAME [options] [--task SPEC]...\n"
"\n"
"The ZENEDGE partition as a Linux program. It creates the shared region as\n"
"the POSIX shared memory object NAME, lays it out (submission ring per QoS\n"
"class, completion ring, job table, tensor heap with size classes 64, 256,\n"
"4096 and 16384 bytes), registers the shipped models (vector_add, saxpy,\n"
"gemm, digits_mlp), waits for zenedge-bridged to be READY, runs the tasks\n"
"(threads, each under its own contract), checks every result, prints\n"
"per-contract results and per-stage latencies, and removes the region.\n"
"\n"
"Options:\n"
"  --shm NAME          POSIX shared memory name of the region (required)\n"
"  --size BYTES        region size (default 16777216; suffixes k, M)\n"
"  --doorbell MODE     poll | eventfd | adaptive (default adaptive)\n"
"                      poll: no system call, both sides spin on the rings;\n"
"                      eventfd: eventfds exchanged over --socket, each side\n"
"                      rings after publishing work and sleeps when idle;\n"
"                      adaptive: spin --spin-us, then announce sleep (the\n"
"                      needs-wake-up flag) and sleep; rung only then\n"
"  --socket PATH       bridge's doorbell socket (default\n"
"                      /tmp/zenedge-<NAME>.sock); reconnected when the\n"
"                      bridge restarts\n"
"  --cpu N             pin the process to CPU N (default: not pinned)\n"
"  --models DIR        model directory (default ./models); digits_mlp reads\n"
"                      DIR/digits_mlp/test_x.f32 and test_y.u8\n"
"  --task SPEC         a task (repeatable; default: one closed-loop task per\n"
"                      model, 100 jobs each, digits over the whole test set)\n"
"  --timeout-s S       how long to wait for the bridge to be READY and for\n"
"                      the doorbell socket (default 10)\n"
"  --spin-us N         adaptive mode: spin before sleeping (default 50)\n"
"  --max-jobs N        job table size (default 256, at most %u)\n"
"  --sq-slots N        slots per submission ring, power of two (default 256)\n"
"  --quiet             only the summary lines\n"
"  --hist FILE         write the per-stage latency histograms of every task\n"
"                      (fixed log-linear buckets, zenedge/lat_hist.h) as CSV:\n"
"                      task,stage,bucket_upper_ns,count\n"
"  --help              this text\n"
"\n"
"SPEC is comma-separated key=value:\n"
"  name=NAME           task and contract name (required)\n"
"  qos=rt|high|normal|background   QoS class (default normal)\n"
"  model=A[+B...]      models the task runs, in turn (required)\n"
"  count=N             jobs to submit (default 100; digits_mlp alone: the\n"
"                      test set size)\n"
"  inflight=N          contract's max jobs in flight (default 4)\n"
"  depth=N             jobs the task keeps in flight (default = inflight; a\n"
"                      larger depth shows in-flight-limit rejections)\n"
"  deadline_ms=N       per-job deadline (default 2000)\n"
"  allow=A[+B...]      models the contract allows (default: the task's)\n"
"  budget_us=N         backend time budget per period (default 0 = none)\n"
"  period_ms=N         budget period (default 100)\n"
"  rate_hz=N           submissions per second (0 = closed loop, default)\n"
"  zero_copy=0|1       1: tensors in buffers kept in the shared heap\n"
"                      (proxy_buf_alloc, contract_submit_bufs): inputs written\n"
"                      into them, outputs read from them, no copy by the proxy.\n"
"                      Needs a single model and depth <= 4; all such tasks\n"
"                      together at most ZEN_CFG_MAX_BUFS buffers\n"
"\n"
"Checks: vector_add exactly against a plain C sum; saxpy and gemm against\n"
"plain C with relative tolerance 1e-4 (of max(|ref|, 1)); digits_mlp's\n"
"result word must be the argmax of its logits, and the accuracy against the\n"
"labels is reported.\n"
"\n"
"Output: per task the counts (submitted, completed, rejected by reason,\n"
"failed by status) and p50/p99/max per stage (submit, bridge pickup,\n"
"backend start/end, completion, completion handler, task wake-up), then\n"
"  sim: jobs=N ok=N failed=N rejected=N accuracy=0.XXXX rtt_p50_us=X.X rtt_p99_us=X.X\n"
"(accuracy=nan without a digits task).\n"
"Exit status: 0 no job failed, 1 a job failed or a task could not run,\n"
"2 usage error.\n", (unsigned)ZEN_CFG_MAX_JOBS);
}

static void say(const char *fmt, ...)
{
    if (g.quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
}

static int model_by_name(const char *s)
{
    for (unsigned i = 0; i < N_MODELS; i++)
        if (strcmp(s, sim_models[i].name) == 0)
            return (int)sim_models[i].id;
    return -1;
}

static const char *model_name(uint32_t id)
{
    for (unsigned i = 0; i < N_MODELS; i++)
        if (sim_models[i].id == id)
            return sim_models[i].name;
    return "?";
}

static int parse_models(char *v, uint32_t *out, uint32_t *n, const char *spec)
{
    *n = 0;
    for (char *save = NULL, *m = strtok_r(v, "+", &save); m; m = strtok_r(NULL, "+", &save)) {
        int id = model_by_name(m);
        if (id < 0) {
            fprintf(stderr, "zenedge-sim: unknown model '%s' in task '%s' (known: vector_add saxpy gemm digits_mlp)\n",
                    m, spec);
            return -1;
        }
        if (*n >= ZEN_CFG_CONTRACT_MODELS) {
            fprintf(stderr, "zenedge-sim: task '%s' lists more than %u models\n", spec, (unsigned)ZEN_CFG_CONTRACT_MODELS);
            return -1;
        }
        out[(*n)++] = (uint32_t)id;
    }
    return *n ? 0 : -1;
}

static int parse_u32(const char *k, const char *v, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long x = strtoul(v, &end, 10);
    if (errno || *end || end == v || x > 0xFFFFFFFFul) {
        fprintf(stderr, "zenedge-sim: %s=%s is not a number in [0, 4294967295]\n", k, v);
        return -1;
    }
    *out = (uint32_t)x;
    return 0;
}

static int parse_task(const char *spec)
{
    if (g.n_tasks >= SIM_MAX_TASKS) {
        fprintf(stderr, "zenedge-sim: at most %d tasks\n", SIM_MAX_TASKS);
        return -1;
    }
    task_t *t = &g.tasks[g.n_tasks];
    memset(t, 0, sizeof(*t));
    t->qos = IPC_QOS_NORMAL;
    t->count = 0xFFFFFFFFu;
    t->inflight = 4;
    t->deadline_ms = 2000;
    t->period_ms = 100;
    char *copy = strdup(spec);
    int rc = 0;
    for (char *save = NULL, *kv = strtok_r(copy, ",", &save); kv && rc == 0; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq) {
            fprintf(stderr, "zenedge-sim: '%s' in task '%s' is not key=value\n", kv, spec);
            rc = -1;
            break;
        }
        *eq = 0;
        const char *k = kv;
        char *v = eq + 1;
        if (strcmp(k, "name") == 0)
            snprintf(t->name, sizeof(t->name), "%s", v);
        else if (strcmp(k, "qos") == 0) {
            static const char *const q[] = {"rt", "high", "normal", "background"};
            t->qos = IPC_QOS_COUNT;
            for (uint32_t i = 0; i < IPC_QOS_COUNT; i++)
                if (strcmp(v, q[i]) == 0)
                    t->qos = i;
            if (t->qos == IPC_QOS_COUNT) {
                fprintf(stderr, "zenedge-sim: qos=%s is not rt|high|normal|background\n", v);
                rc = -1;
            }
        } else if (strcmp(k, "model") == 0)
            rc = parse_models(v, t->models, &t->n_models, spec);
        else if (strcmp(k, "allow") == 0)
            rc = parse_models(v, t->allow, &t->n_allow, spec);
        else if (strcmp(k, "count") == 0)
            rc = parse_u32(k, v, &t->count);
        else if (strcmp(k, "inflight") == 0)
            rc = parse_u32(k, v, &t->inflight);
        else if (strcmp(k, "depth") == 0)
            rc = parse_u32(k, v, &t->depth);
        else if (strcmp(k, "deadline_ms") == 0)
            rc = parse_u32(k, v, &t->deadline_ms);
        else if (strcmp(k, "budget_us") == 0)
            rc = parse_u32(k, v, &t->budget_us);
        else if (strcmp(k, "period_ms") == 0)
            rc = parse_u32(k, v, &t->period_ms);
        else if (strcmp(k, "rate_hz") == 0)
            rc = parse_u32(k, v, &t->rate_hz);
        else if (strcmp(k, "zero_copy") == 0)
            rc = parse_u32(k, v, &t->zero_copy);
        else {
            fprintf(stderr, "zenedge-sim: unknown key '%s' in task '%s'\n", k, spec);
            rc = -1;
        }
    }
    free(copy);
    if (rc)
        return -1;
    if (!t->name[0] || !t->n_models) {
        fprintf(stderr, "zenedge-sim: task '%s' needs name= and model=\n", spec);
        return -1;
    }
    if (t->inflight == 0 || t->inflight > 64 || t->depth > 64 || t->deadline_ms == 0 ||
        t->deadline_ms > ZEN_CFG_MAX_DEADLINE_US / 1000u || (t->budget_us && t->period_ms == 0)) {
        fprintf(stderr, "zenedge-sim: task '%s': inflight and depth must be in [1, 64], deadline_ms in [1, %u], "
                        "period_ms > 0 with a budget\n", spec, (unsigned)(ZEN_CFG_MAX_DEADLINE_US / 1000u));
        return -1;
    }
    if (t->depth == 0)
        t->depth = t->inflight;
    if (t->zero_copy > 1u || (t->zero_copy && (t->n_models != 1 || t->depth > SIM_ZC_DEPTH))) {
        fprintf(stderr, "zenedge-sim: task '%s': zero_copy=%u needs zero_copy 0 or 1, one model (has %u) and "
                        "depth <= %u (has %u)\n", spec, (unsigned)t->zero_copy, (unsigned)t->n_models,
                (unsigned)SIM_ZC_DEPTH, (unsigned)t->depth);
        return -1;
    }
    if (t->n_allow == 0) {
        memcpy(t->allow, t->models, sizeof(t->models));
        t->n_allow = t->n_models;
    }
    g.n_tasks++;
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Digits data                                                             */
/* ---------------------------------------------------------------------- */

static void *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *buf = n > 0 ? malloc((size_t)n) : NULL;
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = buf ? (size_t)n : 0;
    return buf;
}

static void load_digits(void)
{
    static char err[1200];
    char px[400], py[400];
    snprintf(px, sizeof(px), "%s/digits_mlp/test_x.f32", g.models_dir);
    snprintf(py, sizeof(py), "%s/digits_mlp/test_y.u8", g.models_dir);
    size_t lx, ly;
    g.digits_x = read_file(px, &lx);
    g.digits_y = read_file(py, &ly);
    if (!g.digits_x || !g.digits_y) {
        snprintf(err, sizeof(err), "cannot read the digits held-out set %s (%s)", g.digits_x ? py : px,
                 strerror(errno ? errno : ENOENT));
        g.digits_err = err;
        return;
    }
    if (lx % 256 != 0 || lx / 256 != ly || ly == 0) {
        snprintf(err, sizeof(err), "%s holds %zu bytes (a multiple of 256 expected) for %zu labels in %s", px, lx, ly,
                 py);
        g.digits_err = err;
        return;
    }
    g.digits_n = (uint32_t)ly;
}

/* ---------------------------------------------------------------------- */
/* Jobs: inputs and references                                             */
/* ---------------------------------------------------------------------- */

typedef struct job {
    uint32_t h, model, idx;
    uint32_t zc_slot;  /* zero_copy: the task's buffer set */
    void    *in[3];
    uint32_t n_in;
    float   *ref_f;   /* saxpy/gemm reference */
    int32_t *ref_i;   /* vector_add reference */
    uint8_t  label;
} job_t;

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s;
}

static float frand(uint32_t *s)
{
    return (float)((lcg(s) >> 8) & 0xFFFF) / 65536.0f - 0.5f;
}

static void job_free(job_t *j)
{
    for (uint32_t i = 0; i < j->n_in; i++)
        free(j->in[i]);
    free(j->ref_f);
    free(j->ref_i);
    memset(j, 0, sizeof(*j));
}

static void job_make(job_t *j, uint32_t model, uint32_t idx, uint32_t seed)
{
    memset(j, 0, sizeof(*j));
    j->model = model;
    j->idx = idx;
    uint32_t s = seed * 2654435761u + idx * 40503u + 1u;
    if (model == M_VECTOR_ADD) {
        int32_t *a = malloc(4096), *b = malloc(4096);
        j->ref_i = malloc(4096);
        for (int i = 0; i < 1024; i++) {
            a[i] = (int32_t)lcg(&s);
            b[i] = (int32_t)lcg(&s);
            j->ref_i[i] = (int32_t)((uint32_t)a[i] + (uint32_t)b[i]);
        }
        j->in[0] = a;
        j->in[1] = b;
        j->n_in = 2;
    } else if (model == M_SAXPY) {
        float *al = malloc(4), *x = malloc(4096), *y = malloc(4096);
        j->ref_f = malloc(4096);
        al[0] = 2.0f * frand(&s);
        for (int i = 0; i < 1024; i++) {
            x[i] = frand(&s);
            y[i] = frand(&s);
            j->ref_f[i] = (float)((double)al[0] * x[i] + y[i]);
        }
        j->in[0] = al;
        j->in[1] = x;
        j->in[2] = y;
        j->n_in = 3;
    } else if (model == M_GEMM) {
        float *a = malloc(16384), *b = malloc(16384);
        j->ref_f = malloc(16384);
        for (int i = 0; i < 4096; i++) {
            a[i] = frand(&s);
            b[i] = frand(&s);
        }
        for (int r = 0; r < 64; r++)
            for (int c = 0; c < 64; c++) {
                double acc = 0;
                for (int k = 0; k < 64; k++)
                    acc += (double)a[r * 64 + k] * b[k * 64 + c];
                j->ref_f[r * 64 + c] = (float)acc;
            }
        j->in[0] = a;
        j->in[1] = b;
        j->n_in = 2;
    } else {
        uint32_t row = idx % g.digits_n;
        float *x = malloc(256);
        memcpy(x, g.digits_x + (size_t)row * 64, 256);
        j->in[0] = x;
        j->n_in = 1;
        j->label = g.digits_y[row];
    }
}

/* 1: output right, 0: wrong. */
static int job_check(const job_t *j, const void *out, uint32_t result, task_t *t)
{
    if (j->model == M_VECTOR_ADD)
        return memcmp(out, j->ref_i, 4096) == 0;
    if (j->model == M_SAXPY || j->model == M_GEMM) {
        const float *o = out;
        int n = j->model == M_SAXPY ? 1024 : 4096;
        for (int i = 0; i < n; i++) {
            double ref = j->ref_f[i];
            double tol = 1e-4 * (fabs(ref) > 1.0 ? fabs(ref) : 1.0);
            if (!(fabs((double)o[i] - ref) <= tol))
                return 0;
        }
        return 1;
    }
    const float *logits = out;
    uint32_t best = 0;
    for (uint32_t i = 1; i < 10; i++)
        if (logits[i] > logits[best])
            best = i;
    t->digits_total++;
    if (best == j->label)
        t->digits_correct++;
    return result == best;
}

static void lat_add(task_t *t, int stage, uint64_t from, uint64_t to)
{
    if (to < from)
        return;
    t->lat[stage][t->n_lat[stage]++] = (double)(to - from) / 1000.0;
}

/* --hist: every non-empty bucket of every stage of every task. */
static void write_hist(const char *path)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "zenedge-sim: --hist %s: %s\n", path, strerror(errno));
        return;
    }
    fprintf(f, "task,stage,bucket_upper_ns,count\n");
    for (int i = 0; i < g.n_tasks; i++)
        for (uint32_t s = 0; s < LAT_STAGES; s++)
            for (uint32_t b = 0; b < LAT_HIST_BUCKETS; b++)
                if (g.tasks[i].hist.stage[s].count[b])
                    fprintf(f, "%s,%s,%llu,%u\n", g.tasks[i].name, lat_stage_name(s),
                            (unsigned long long)lat_hist_upper(b), g.tasks[i].hist.stage[s].count[b]);
    fclose(f);
}

static void sleep_ns(uint64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull)};
    nanosleep(&ts, NULL);
}

/* Wait for a job up to timeout_us (PROXY_WAIT_UNTIL_DEADLINE: until it
 * ends) and account for it; false if it is still in flight. */
static bool finish_job(task_t *t, job_t *j, uint32_t timeout_us)
{
    proxy_result_t res;
    static __thread uint8_t out[16384];
    proxy_out_t po = {out, sizeof(out)};
    int rc = t->zero_copy ? contract_wait(&t->c, j->h, timeout_us, &res, NULL, 0)
                          : contract_wait(&t->c, j->h, timeout_us, &res, &po, 1);
    if (rc == PROXY_E_WAIT_TIMEOUT)
        return false;
    if (rc == PROXY_OK) {
        const void *got = t->zero_copy ? t->zc_pout[j->zc_slot] : out;   /* read in place */
        if (job_check(j, got, res.result, t)) {
            t->ok++;
        } else {
            t->failed++;
            t->mismatches++;
            if (t->mismatches <= 3)
                fprintf(stderr, "zenedge-sim: task %s: %s job %u: output differs from the reference\n", t->name,
                        model_name(j->model), j->idx);
        }
        if (res.times_valid) {
            lat_add(t, 0, res.t_submit, res.t_pickup);
            lat_add(t, 1, res.t_pickup, res.t_backend_start);
            lat_add(t, 2, res.t_backend_start, res.t_backend_end);
            lat_add(t, 3, res.t_backend_end, res.t_complete);
            lat_add(t, 4, res.t_complete, res.t_complete_seen);
            /* the wake-up proper (see lat_trace.h): not the time the job
             * waited, done, for a pipelined task to ask for it */
            lat_add(t, 5, res.t_wait_call > res.t_complete_seen ? res.t_wait_call : res.t_complete_seen,
                    res.t_wake);
        }
        lat_add(t, 6, res.t_submit, res.t_wake);
        lat_trace_add(&t->hist, &res);
    } else {
        t->failed++;
        if (t->failed - t->mismatches <= 3)
            fprintf(stderr, "zenedge-sim: task %s: %s job %u ended %s (bridge status %s)\n", t->name,
                    model_name(j->model), j->idx, contract_strerror(rc),
                    res.ipc_status < IPC_STATUS_COUNT ? (res.ipc_status ? "not OK" : "OK") : "none");
    }
    job_free(j);
    return true;
}

static void *task_main(void *arg)
{
    task_t *t = arg;
    uint32_t seed = (uint32_t)(t - g.tasks) + 1u;
    job_t pend[64];
    uint32_t head = 0, tail = 0;
    uint64_t t0 = zl_now_ns();
    for (uint32_t i = 0; i < t->count; i++) {
        if (t->rate_hz) {
            /* Until the next submission is due, collect what completes,
             * so that the wake-up time is the job's, not the schedule's. */
            uint64_t due = t0 + (uint64_t)i * 1000000000ull / t->rate_hz;
            uint64_t now = zl_now_ns();
            while (now < due && tail != head) {
                if (!finish_job(t, &pend[tail % 64], (uint32_t)((due - now) / 1000u)))
                    break;
                tail++;
                now = zl_now_ns();
            }
            if (due > now)
                sleep_ns(due - now);
        }
        if (head - tail >= t->depth) {
            finish_job(t, &pend[tail % 64], PROXY_WAIT_UNTIL_DEADLINE);
            tail++;
        }
        job_t *j = &pend[head % 64];
        uint32_t model = t->models[i % t->n_models];
        job_make(j, model, i, seed);
        const struct sim_model *sm = NULL;
        for (unsigned k = 0; k < N_MODELS; k++)
            if (sim_models[k].id == model)
                sm = &sim_models[k];
        proxy_in_t in[3];
        for (uint32_t k = 0; k < j->n_in; k++)
            in[k] = (proxy_in_t){j->in[k], sm->sig.in_len[k]};
        t->attempted++;
        int rc;
        if (t->zero_copy) {
            /* The slot of the job `depth` submissions ago, which has been
             * collected; its buffers are busy still only if that job ended
             * without the bridge's answer (PROXY_E_BUF_BUSY then). */
            j->zc_slot = head % t->depth;
            for (uint32_t k = 0; k < j->n_in; k++)
                memcpy(t->zc_pin[j->zc_slot][k], j->in[k], sm->sig.in_len[k]);
            rc = contract_submit_bufs(&t->c, model, t->zc_in[j->zc_slot], j->n_in, &t->zc_out[j->zc_slot], 1, 0,
                                      &j->h);
        } else {
            rc = contract_submit_job(&t->c, model, in, j->n_in, 0, &j->h);
        }
        if (rc != 0) {
            t->rejected++;
            job_free(j);
            if (rc == CONTRACT_E_BUDGET_EXHAUSTED || rc == PROXY_E_BRIDGE_OFFLINE || rc == PROXY_E_RING_FULL ||
                rc == PROXY_E_HEAP_EXHAUSTED || rc == PROXY_E_JOB_TABLE_FULL || rc == PROXY_E_BUF_BUSY)
                sleep_ns(1000000);   /* back off; the job counts as rejected */
            continue;
        }
        head++;
    }
    while (tail != head) {
        finish_job(t, &pend[tail % 64], PROXY_WAIT_UNTIL_DEADLINE);
        tail++;
    }
    return NULL;
}

/* ---------------------------------------------------------------------- */
/* Doorbell link (eventfd / adaptive)                                      */
/* ---------------------------------------------------------------------- */

static char sock_path[300];
static int conn_fd = -1, peer_efd = -1;

static int link_connect(int timeout_ms)
{
    zl_hello_t hello;
    int pe = -1;
    int fd = zl_db_connect(sock_path, timeout_ms, zport_posix_irq_fd(&port), IPC_SIDE_ZENEDGE, 1, &pe, &hello);
    if (fd < 0)
        return fd;
    conn_fd = fd;
    peer_efd = pe;
    zport_posix_set_peer(&port, pe);
    say("zenedge-sim: doorbell socket %s connected (bridge epoch %u)\n", sock_path, (unsigned)hello.epoch);
    return 0;
}

static void *link_main(void *arg)
{
    (void)arg;
    while (!link_stop) {
        if (conn_fd >= 0 && zl_db_peer_gone(conn_fd)) {
            say("zenedge-sim: bridge closed the doorbell socket; reconnecting\n");
            zport_posix_set_peer(&port, -1);
            close(conn_fd);
            conn_fd = -1;
            /* the old fd may still be in a write of zport_doorbell(): keep it open one round */
            int old = peer_efd;
            peer_efd = -1;
            sleep_ns(20000000);
            if (old >= 0)
                close(old);
        }
        if (conn_fd < 0)
            (void)link_connect(100);
        sleep_ns(10000000);
    }
    return NULL;
}

/* ---------------------------------------------------------------------- */
/* Report                                                                  */
/* ---------------------------------------------------------------------- */

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(double *v, uint32_t n, double p)
{
    if (n == 0)
        return NAN;
    uint32_t i = (uint32_t)(p * (n - 1) + 0.5);
    return v[i];
}

static void report_task(task_t *t)
{
    contract_stats_t st;
    contract_get_stats(&t->c, &st);
    static const char *const q[] = {"rt", "high", "normal", "background"};
    say("task %s (qos=%s, models=", t->name, q[t->qos]);
    for (uint32_t i = 0; i < t->n_models; i++)
        say("%s%s", i ? "+" : "", model_name(t->models[i]));
    say("): submitted=%u completed=%u ok=%u failed=%u rejected=%u", st.submitted, t->ok + t->failed - (t->failed - t->mismatches),
        t->ok, t->failed, t->rejected);
    if (t->digits_total)
        say(" accuracy=%.4f (%u/%u)", (double)t->digits_correct / t->digits_total, t->digits_correct, t->digits_total);
    say("\n  rejected by reason:");
    for (int r = 0; r < CONTRACT_REJ_COUNT; r++)
        if (st.rejected[r])
            say(" %s=%u", contract_reject_name(r), st.rejected[r]);
    say("\n  final status:");
    for (int k = 0; k < PROXY_END_COUNT; k++)
        if (st.ended[k])
            say(" %s=%u", proxy_end_name(k), st.ended[k]);
    for (int s = 0; s < IPC_STATUS_COUNT; s++)
        if (st.failed_status[s])
            say(" bridge_status_%d=%u", s, st.failed_status[s]);
    if (t->mismatches)
        say(" wrong_output=%u", t->mismatches);
    say("  backend_time_charged_us=%.1f\n", (double)st.charged_total_ns / 1000.0);
    say("  %-15s %10s %10s %10s %8s\n", "stage (us)", "p50", "p99", "max", "n");
    for (int s = 0; s < N_STAGES; s++) {
        qsort(t->lat[s], t->n_lat[s], sizeof(double), cmp_d);
        say("  %-15s %10.1f %10.1f %10.1f %8u\n", stage_names[s], pct(t->lat[s], t->n_lat[s], 0.5),
            pct(t->lat[s], t->n_lat[s], 0.99), t->n_lat[s] ? t->lat[s][t->n_lat[s] - 1] : NAN, t->n_lat[s]);
    }
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"shm", required_argument, 0, 's'},     {"size", required_argument, 0, 'z'},
        {"doorbell", required_argument, 0, 'd'}, {"socket", required_argument, 0, 'k'},
        {"cpu", required_argument, 0, 'c'},     {"models", required_argument, 0, 'm'},
        {"task", required_argument, 0, 't'},    {"timeout-s", required_argument, 0, 'T'},
        {"quiet", no_argument, 0, 'q'},         {"help", no_argument, 0, 'h'},
        {"spin-us", required_argument, 0, 'S'}, {"max-jobs", required_argument, 0, 'J'},
        {"sq-slots", required_argument, 0, 'Q'}, {"hist", required_argument, 0, 'H'},
        {0, 0, 0, 0},
    };
    int o;
    char *end;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 's': g.shm = optarg; break;
        case 'z': {
            unsigned long long v = strtoull(optarg, &end, 10);
            if (*end == 'k' || *end == 'K') { v <<= 10; end++; }
            else if (*end == 'M' || *end == 'm') { v <<= 20; end++; }
            if (*end || v < 65536 || v > IPC_REGION_MAX_SIZE) {
                fprintf(stderr, "zenedge-sim: --size %s out of [65536, %u]\n", optarg, IPC_REGION_MAX_SIZE);
                return 2;
            }
            g.size = (size_t)v;
            break;
        }
        case 'd':
            g.mode = ipc_db_mode_parse(optarg);
            if (g.mode < 0) {
                fprintf(stderr, "zenedge-sim: --doorbell %s is not poll|eventfd|adaptive\n", optarg);
                return 2;
            }
            break;
        case 'k': g.socket = optarg; break;
        case 'c': g.cpu = atoi(optarg); break;
        case 'H': g.hist_path = optarg; break;
        case 'm': g.models_dir = optarg; break;
        case 't': if (parse_task(optarg)) return 2; break;
        case 'T':
            g.timeout_s = strtod(optarg, &end);
            if (*end || !(g.timeout_s > 0)) {
                fprintf(stderr, "zenedge-sim: --timeout-s %s must be a positive number\n", optarg);
                return 2;
            }
            break;
        case 'q': g.quiet = 1; break;
        case 'S': g.spin_us = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 'J': g.max_jobs = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 'Q': g.sq_slots = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc || !g.shm) {
        fprintf(stderr, "zenedge-sim: %s\n", g.shm ? "unexpected argument" : "--shm NAME is required");
        usage(stderr);
        return 2;
    }
    if (g.max_jobs == 0 || g.max_jobs > ZEN_CFG_MAX_JOBS) {
        fprintf(stderr, "zenedge-sim: --max-jobs %u out of [1, %u]\n", g.max_jobs, (unsigned)ZEN_CFG_MAX_JOBS);
        return 2;
    }
    if (g.n_tasks == 0) {
        const char *defaults[] = {"name=vector_add,qos=high,model=vector_add,count=100",
                                  "name=saxpy,qos=normal,model=saxpy,count=100",
                                  "name=gemm,qos=background,model=gemm,count=50",
                                  "name=digits,qos=rt,model=digits_mlp"};
        for (int i = 0; i < 4; i++)
            parse_task(defaults[i]);
    }
    int need_digits = 0;
    for (int i = 0; i < g.n_tasks; i++)
        for (uint32_t k = 0; k < g.tasks[i].n_models; k++)
            need_digits |= g.tasks[i].models[k] == M_DIGITS;
    int exit_code = 0;
    if (need_digits)
        load_digits();
    for (int i = 0; i < g.n_tasks; i++) {
        task_t *t = &g.tasks[i];
        int uses_digits = 0;
        for (uint32_t k = 0; k < t->n_models; k++)
            uses_digits |= t->models[k] == M_DIGITS;
        if (uses_digits && g.digits_err) {
            fprintf(stderr, "zenedge-sim: task %s cannot run: %s\n", t->name, g.digits_err);
            t->error = 1;
            exit_code = 1;
        }
        if (t->count == 0xFFFFFFFFu)
            t->count = (uses_digits && t->n_models == 1 && g.digits_n) ? g.digits_n : 100u;
        for (int s = 0; s < N_STAGES; s++)
            t->lat[s] = calloc(t->count ? t->count : 1, sizeof(double));
        lat_trace_init(&t->hist);
    }

    if (g.cpu >= 0) {
        int r = zl_pin_cpu(g.cpu);
        if (r < 0)
            fprintf(stderr, "zenedge-sim: cannot pin to CPU %d: %s (running unpinned)\n", g.cpu, strerror(-r));
    }
    zl_map_t map;
    int r = zl_shm_create(&map, g.shm, g.size);
    if (r < 0) {
        fprintf(stderr, "zenedge-sim: cannot create shared memory %s of %zu bytes: %s\n", g.shm, g.size, strerror(-r));
        return 1;
    }
    if (zport_posix_init(&port, g.mode) != 0) {
        fprintf(stderr, "zenedge-sim: port init failed\n");
        zl_unmap(&map);
        return 1;
    }
    zport_posix_set_log(&port, g.quiet ? ZPORT_LOG_WARN : ZPORT_LOG_INFO, "zenedge-sim ");
    proxy = calloc(1, sizeof(*proxy));
    proxy_config_t cfg;
    proxy_config_default(&cfg, &port, (uint32_t)g.size);
    cfg.max_jobs = g.max_jobs;
    cfg.sq_slots = g.sq_slots;
    cfg.features = IPC_FEAT_SHARED_CLOCK | (g.mode == IPC_DB_ADAPTIVE ? IPC_FEAT_NEED_WAKEUP : 0u);
    cfg.doorbell = (uint32_t)g.mode;
    cfg.epoch = (uint32_t)time(NULL) | 1u;
    /* Heap: classes that fit the shipped tensors (4 and 40 -> 64, 256,
     * 4096, 16384 bytes), about 45% of the bytes each to the two large
     * classes, bounded by ZEN_CFG_HEAP_MAX_BLOCKS links. */
    ipc_region_config_t rc;
    ipc_region_config_default(&rc, (uint32_t)g.size);
    rc.max_jobs = cfg.max_jobs;
    rc.sq_slots = cfg.sq_slots;
    uint32_t layout = ipc_region_layout_bytes(&rc);
    uint32_t heap = (uint32_t)g.size > layout + 4096u ? (uint32_t)g.size - layout - 4096u : 0;
    uint32_t n64 = 512, n256 = 256;
    uint32_t rest = heap > n64 * 64 + n256 * 256 ? heap - n64 * 64 - n256 * 256 : 0;
    uint32_t n4k = rest / 2 / 4096, n16k = rest / 2 / 16384;
    if (n4k > 2048) n4k = 2048;
    if (n16k > 1024) n16k = 1024;
    if (n4k < 3 || n16k < 3) {
        fprintf(stderr, "zenedge-sim: --size %zu leaves a heap of %u bytes: too small for the shipped tensors (need about 1 MiB)\n",
                g.size, heap);
        zl_unmap(&map);
        return 2;
    }
    cfg.n_heap_classes = 4;
    cfg.heap[0] = (ipc_heap_class_cfg_t){64, n64};
    cfg.heap[1] = (ipc_heap_class_cfg_t){256, n256};
    cfg.heap[2] = (ipc_heap_class_cfg_t){4096, n4k};
    cfg.heap[3] = (ipc_heap_class_cfg_t){16384, n16k};
    r = proxy_init(proxy, map.base, &cfg);
    if (r != PROXY_OK) {
        fprintf(stderr, "zenedge-sim: proxy_init: %s\n", proxy_strerror(r));
        zl_unmap(&map);
        return 1;
    }
    for (unsigned i = 0; i < N_MODELS; i++)
        proxy_model_register(proxy, &sim_models[i].sig);
    for (int i = 0; i < g.n_tasks; i++) {
        task_t *t = &g.tasks[i];
        contract_config_t cc;
        memset(&cc, 0, sizeof(cc));
        cc.name = t->name;
        memcpy(cc.models, t->allow, sizeof(cc.models));
        cc.n_models = t->n_allow;
        cc.max_inflight = t->inflight;
        cc.qos = t->qos;
        cc.deadline_us = t->deadline_ms * 1000u;
        cc.budget_ns = (uint64_t)t->budget_us * 1000u;
        cc.period_ns = (uint64_t)t->period_ms * 1000000u;
        if (contract_init(&t->c, proxy, &cc) != CONTRACT_OK) {
            zl_unmap(&map);
            return 2;
        }
        for (uint32_t d = 0; t->zero_copy && d < t->depth; d++) {
            const proxy_model_t *sig = proxy_model_find(proxy, t->models[0]);
            for (uint32_t k = 0; sig && k <= sig->n_in; k++) {
                bool is_out = k == sig->n_in;
                uint32_t len = is_out ? sig->out_len[0] : sig->in_len[k];
                int br = is_out ? proxy_buf_alloc(proxy, len, &t->zc_out[d], &t->zc_pout[d])
                                : proxy_buf_alloc(proxy, len, &t->zc_in[d][k], &t->zc_pin[d][k]);
                if (br != PROXY_OK) {
                    fprintf(stderr, "zenedge-sim: task %s: zero_copy: tensor buffer of %u bytes: %s (the table "
                                    "holds ZEN_CFG_MAX_BUFS=%u buffers for all tasks)\n",
                            t->name, (unsigned)len, proxy_strerror(br), (unsigned)ZEN_CFG_MAX_BUFS);
                    zl_unmap(&map);
                    return 2;
                }
            }
        }
    }
    say("zenedge-sim: region %s: %zu bytes, %u jobs, %u-slot rings, heap 64x%u 256x%u 4096x%u 16384x%u, doorbell %s\n",
        g.shm, g.size, cfg.max_jobs, cfg.sq_slots, n64, n256, n4k, n16k,
        g.mode == IPC_DB_POLL ? "poll" : g.mode == IPC_DB_EVENTFD ? "eventfd" : "adaptive");
    proxy_start(proxy);
    zport_posix_start(&port, proxy, 0, (uint64_t)g.spin_us * 1000u);

    uint64_t give_up = zl_now_ns() + (uint64_t)(g.timeout_s * 1e9);
    pthread_t link;
    int have_link = 0;
    if (g.mode != IPC_DB_POLL) {
        if (g.socket)
            snprintf(sock_path, sizeof(sock_path), "%s", g.socket);
        else
            zl_default_socket(g.shm, sock_path, sizeof(sock_path));
        r = link_connect((int)(g.timeout_s * 1000));
        if (r < 0) {
            fprintf(stderr, "zenedge-sim: no bridge on the doorbell socket %s within %.1f s: %s\n", sock_path,
                    g.timeout_s, strerror(-r));
            exit_code = 1;
        } else {
            pthread_create(&link, NULL, link_main, NULL);
            have_link = 1;
        }
    }
    while (exit_code == 0 && !proxy_bridge_online(proxy) && zl_now_ns() < give_up)
        sleep_ns(5000000);
    if (exit_code == 0 && !proxy_bridge_online(proxy)) {
        fprintf(stderr, "zenedge-sim: the bridge did not become READY within %.1f s (is zenedge-bridged --shm %s running?)\n",
                g.timeout_s, g.shm);
        exit_code = 1;
    }
    pthread_t th[SIM_MAX_TASKS];
    int started[SIM_MAX_TASKS] = {0};
    if (exit_code == 0 || exit_code == 1) {
        int bridge_ok = proxy_bridge_online(proxy);
        for (int i = 0; i < g.n_tasks && bridge_ok; i++)
            if (!g.tasks[i].error && pthread_create(&th[i], NULL, task_main, &g.tasks[i]) == 0)
                started[i] = 1;
        for (int i = 0; i < g.n_tasks; i++)
            if (started[i])
                pthread_join(th[i], NULL);
    }

    link_stop = 1;
    if (have_link)
        pthread_join(link, NULL);
    zport_posix_stop(&port);
    proxy_stop(proxy);

    uint32_t jobs = 0, ok = 0, failed = 0, rejected = 0, dt = 0, dc = 0;
    uint32_t n_rtt = 0;
    for (int i = 0; i < g.n_tasks; i++)
        n_rtt += g.tasks[i].n_lat[6];
    double *rtt = calloc(n_rtt ? n_rtt : 1, sizeof(double));
    n_rtt = 0;
    for (int i = 0; i < g.n_tasks; i++) {
        task_t *t = &g.tasks[i];
        report_task(t);
        jobs += t->attempted;
        ok += t->ok;
        failed += t->failed;
        rejected += t->rejected;
        dt += t->digits_total;
        dc += t->digits_correct;
        memcpy(rtt + n_rtt, t->lat[6], t->n_lat[6] * sizeof(double));
        n_rtt += t->n_lat[6];
    }
    const proxy_stats_t *ps = &proxy->stats;
    say("proxy: submitted=%u completions=%u late_answers=%u doorbells=%u bridge_lost=%u bridge_epochs=%u reclaimed=%u "
        "start_tails_used=%u start_tails_bad=%u\n",
        ps->submitted, ps->completions, ps->late_answers, ps->doorbells, ps->bridge_lost, ps->bridge_epochs, ps->reclaimed,
        ps->start_tails_used, ps->start_tails_bad);
    say("proxy: rejected completions:");
    for (int k = 0; k < PROXY_CQ_REJECT_COUNT; k++)
        say(" %s=%u", proxy_cq_reject_name(k), ps->cq_rejected[k]);
    say(" time_clamped=%u bad_timestamps=%u\n", ps->time_clamped, ps->bad_timestamps);
    if (g.hist_path)
        write_hist(g.hist_path);
    qsort(rtt, n_rtt, sizeof(double), cmp_d);
    char acc[32];
    if (dt)
        snprintf(acc, sizeof(acc), "%.4f", (double)dc / dt);
    else
        snprintf(acc, sizeof(acc), "nan");
    printf("sim: jobs=%u ok=%u failed=%u rejected=%u accuracy=%s rtt_p50_us=%.1f rtt_p99_us=%.1f\n", jobs, ok, failed,
           rejected, acc, pct(rtt, n_rtt, 0.5), pct(rtt, n_rtt, 0.99));
    fflush(stdout);
    if (failed)
        exit_code = 1;
    if (conn_fd >= 0)
        close(conn_fd);
    if (peer_efd >= 0)
        close(peer_efd);
    zport_posix_destroy(&port);
    zl_unmap(&map);
    free(rtt);
    for (int i = 0; i < g.n_tasks; i++)
        for (int s = 0; s < N_STAGES; s++)
            free(g.tasks[i].lat[s]);
    free(proxy);
    free(g.digits_x);
    free(g.digits_y);
    return exit_code;
}
