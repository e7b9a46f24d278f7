/* SPDX-License-Identifier: BSD-3-Clause */
/* test_cpu_workers.c - the CPU backend runs jobs on its worker threads, never on the caller's (the dispatcher's) thread, and an RT job starts at once while BACKGROUND gemms run and wait: before any queued BACKGROUND job, within 2 ms (median). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backends/backend.h"
#include "bridge_errors.h"
#include "registry.h"
#include "test_exit.h"
#include "zl.h"

#define N_GEMM     16u
#define N_RT       60u
#define N_BG       8u
#define RT_BOUND   2000000ull  /* ns: median RT submit -> start */
#define RT_WORST   50000000ull /* ns: any RT submit -> start */
#define DEADLINE_S 60u

static bridge_registry_t reg;
static bridge_backend_t be = {.ops = &bridge_backend_cpu};

typedef struct io {
    void *in[2];
    void *out;
} io_t;

static void job_make(bridge_job_t *j, io_t *io, const bridge_model_t *m, uint32_t qos)
{
    memset(j, 0, sizeof(*j));
    j->model = m;
    j->qos = qos;
    for (uint32_t i = 0; i < 2; i++) {
        io->in[i] = calloc(1, m->in[i].bytes);
        j->in[i] = io->in[i];
        j->in_len[i] = m->in[i].bytes;
    }
    io->out = calloc(1, m->out[0].bytes);
    j->out[0] = io->out;
    j->out_len[0] = m->out[0].bytes;
}

static void io_free(io_t *io)
{
    free(io->in[0]);
    free(io->in[1]);
    free(io->out);
}

static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Gemms submitted back to back and collected: the caller's thread spends
 * far less CPU time than the jobs did (it would spend all of it if submit
 * ran them inline). */
static int test_not_on_caller(const bridge_model_t *gemm)
{
    bridge_job_t job[N_GEMM];
    io_t io[N_GEMM];
    for (uint32_t i = 0; i < N_GEMM; i++)
        job_make(&job[i], &io[i], gemm, IPC_QOS_NORMAL);
    uint64_t cpu0 = thread_cpu_ns();
    for (uint32_t i = 0; i < N_GEMM; i++)
        if (be.ops->submit(&be, &job[i]) != BRIDGE_OK) {
            fprintf(stderr, "FAIL: submit of gemm %u\n", i);
            return 1;
        }
    uint32_t back = 0;
    uint64_t until = zl_now_ns() + DEADLINE_S * 1000000000ull;
    while (back < N_GEMM && zl_now_ns() < until) {
        bridge_job_t *done[N_GEMM];
        int n = be.ops->poll(&be, done, (int)N_GEMM, 100);
        back += n > 0 ? (uint32_t)n : 0u;
    }
    uint64_t caller = thread_cpu_ns() - cpu0, jobs = 0;
    for (uint32_t i = 0; i < N_GEMM; i++) {
        jobs += job[i].backend_ns;
        io_free(&io[i]);
    }
    printf("%u gemms: %llu us on the workers, %llu us of the caller's CPU time\n", N_GEMM,
           (unsigned long long)(jobs / 1000u), (unsigned long long)(caller / 1000u));
    if (back != N_GEMM) {
        fprintf(stderr, "FAIL: %u of %u gemms came back\n", back, N_GEMM);
        return 1;
    }
    if (caller * 4u > jobs) {
        fprintf(stderr, "FAIL: the caller's thread used %llu us of CPU for %llu us of jobs: it ran them\n",
                (unsigned long long)(caller / 1000u), (unsigned long long)(jobs / 1000u));
        return 1;
    }
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Poll until rt is back, resubmitting every BACKGROUND gemm that comes
 * back so that N_BG stay queued or running. BACKGROUND jobs that started
 * while rt ran are counted in *bg_during. 0 or -1. */
static int wait_rt(bridge_job_t *rt, uint32_t *bg_during)
{
    uint64_t until = zl_now_ns() + DEADLINE_S * 1000000000ull, bg_start[256];
    uint32_t n_bg = 0;
    for (int got_rt = 0; !got_rt;) {
        if (zl_now_ns() > until)
            return -1;
        bridge_job_t *done[N_BG + 1];
        int n = be.ops->poll(&be, done, (int)N_BG + 1, 100);
        for (int k = 0; k < n; k++) {
            if (done[k] == rt) {
                got_rt = 1;
                continue;
            }
            if (n_bg < sizeof(bg_start) / sizeof(bg_start[0]))
                bg_start[n_bg++] = done[k]->t_backend_start; /* rt's times are ours only once it is back */
            if (be.ops->submit(&be, done[k]) != BRIDGE_OK)
                return -1;
        }
    }
    for (uint32_t k = 0; k < n_bg; k++)
        if (bg_start[k] > rt->t_backend_start && bg_start[k] < rt->t_backend_end)
            (*bg_during)++;
    return 0;
}

/* With N_BG BACKGROUND gemms running and queued all the time, RT
 * vector_adds every 2 ms: each starts before any queued gemm, and soon. */
static int test_rt_under_flood(const bridge_model_t *gemm, const bridge_model_t *add)
{
    bridge_job_t bg[N_BG], rt;
    io_t bio[N_BG], rio;
    for (uint32_t i = 0; i < N_BG; i++) {
        job_make(&bg[i], &bio[i], gemm, IPC_QOS_BACKGROUND);
        if (be.ops->submit(&be, &bg[i]) != BRIDGE_OK)
            return 1;
    }
    job_make(&rt, &rio, add, IPC_QOS_RT);
    uint64_t lat[N_RT];
    uint32_t bg_during = 0;
    for (uint32_t r = 0; r < N_RT; r++) {
        struct timespec gap = {0, 2000000};
        nanosleep(&gap, NULL);
        uint64_t t_sub = zl_now_ns();
        if (be.ops->submit(&be, &rt) != BRIDGE_OK || wait_rt(&rt, &bg_during) != 0) {
            fprintf(stderr, "FAIL: RT job %u not run\n", r);
            return 1;
        }
        lat[r] = rt.t_backend_start - t_sub;
    }
    uint32_t back = 0;
    uint64_t until = zl_now_ns() + DEADLINE_S * 1000000000ull;
    while (be.ops->in_flight(&be) > 0 && zl_now_ns() < until) {
        bridge_job_t *done[N_BG];
        int n = be.ops->poll(&be, done, (int)N_BG, 100);
        back += n > 0 ? (uint32_t)n : 0u;
    }
    for (uint32_t i = 0; i < N_BG; i++)
        io_free(&bio[i]);
    io_free(&rio);
    qsort(lat, N_RT, sizeof(lat[0]), cmp_u64);
    uint64_t p50 = lat[N_RT / 2], p99 = lat[N_RT - 1 - N_RT / 100], max = lat[N_RT - 1];
    printf("RT vector_add under a BACKGROUND gemm flood: submit->start p50 %.1f us, p99 %.1f us, max %.1f us; "
           "%u gemms started while an RT job was in the backend\n",
           (double)p50 / 1e3, (double)p99 / 1e3, (double)max / 1e3, bg_during);
    int fails = back != N_BG;
    if (bg_during) {
        fprintf(stderr, "FAIL: %u BACKGROUND gemm(s) started while an RT job waited or ran\n", bg_during);
        fails++;
    }
    if (p50 > RT_BOUND || max > RT_WORST) {
        fprintf(stderr, "FAIL: RT submit->start p50 %llu ns (bound %llu), max %llu ns (bound %llu)\n",
                (unsigned long long)p50, RT_BOUND, (unsigned long long)max, RT_WORST);
        fails++;
    }
    return fails ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s MODELS_DIR\n", argv[0]);
        return TEST_FAIL;
    }
    char why[512] = "";
    if (bridge_registry_load(&reg, argv[1], why, sizeof(why)) != BRIDGE_OK) {
        fprintf(stderr, "FAIL registry: %s\n", why);
        return TEST_FAIL;
    }
    const bridge_model_t *gemm = bridge_registry_find_name(&reg, "gemm");
    const bridge_model_t *add = bridge_registry_find_name(&reg, "vector_add");
    bridge_backend_config_t cfg = {.queue_depth = 64};
    if (gemm == NULL || add == NULL || be.ops->init(&be, &cfg) != BRIDGE_OK ||
        be.ops->load_model(&be, gemm, why, sizeof(why)) != BRIDGE_OK ||
        be.ops->load_model(&be, add, why, sizeof(why)) != BRIDGE_OK) {
        fprintf(stderr, "FAIL: set-up: %s\n", why);
        return TEST_FAIL;
    }
    int fails = test_not_on_caller(gemm);
    fails += test_rt_under_flood(gemm, add);
    be.ops->shutdown(&be);
    bridge_registry_free(&reg);
    printf("%s\n", fails ? "FAIL" : "PASS");
    return fails ? TEST_FAIL : TEST_PASS;
}
