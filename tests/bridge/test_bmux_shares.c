/* SPDX-License-Identifier: BSD-3-Clause */
/* test_bmux_shares.c - two regions with shares 3:1 in front of the real CPU backend, both fed faster than it runs (NORMAL gemms, K in flight each): both regions' jobs stay queued at the arbiter while the device is busy, and the device time charged over the saturated part splits 0.75 / 0.25 (within SHARE_TOL of each weight); every job comes back OK. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accel_test.h"
#include "bmux.h"
#include "bridge_errors.h"
#include "registry.h"
#include "test_exit.h"
#include "zl.h"

#define K          12u  /* jobs each region keeps submitted */
#define WARM_JOBS  60u  /* completions before the measured part */
#define N_JOBS     500u /* completions at its end */
#define SHARE_TOL  0.10 /* |used - weight| / weight */
#define BOTH_MIN   0.90 /* part of the samples with both regions queued */
#define DEADLINE_S 60u

typedef struct run {
    bridge_bmux_t mx;
    uint32_t back, bad, samples, both;
    uint64_t c0[2], c1[2]; /* charged ns at WARM_JOBS and at N_JOBS */
} run_t;

/* Collect what came back to each region, resubmit it while refill; count
 * the samples where both regions had NORMAL jobs waiting. 0 or -1. */
static int step(run_t *r, bool refill)
{
    for (uint32_t i = 0; i < 2; i++) {
        bridge_backend_t *v = bridge_bmux_view(&r->mx, i);
        bridge_job_t *done[K];
        int n = v->ops->poll(v, done, (int)K, 1);
        for (int k = 0; k < n; k++) {
            r->bad += done[k]->status != IPC_STATUS_OK;
            if (++r->back == WARM_JOBS || r->back == N_JOBS)
                for (uint32_t g = 0; g < 2; g++)
                    (r->back == WARM_JOBS ? r->c0 : r->c1)[g] = r->mx.arb.r[g].charged_ns;
            if (refill && v->ops->submit(v, done[k]) != BRIDGE_OK)
                return -1;
        }
        if (refill && r->mx.in_real > 0) {
            r->samples++;
            r->both += r->mx.wait[0][IPC_QOS_NORMAL].n > 0 && r->mx.wait[1][IPC_QOS_NORMAL].n > 0;
        }
    }
    return 0;
}

static int run(const bridge_model_t *gemm)
{
    bridge_backend_t be = {.ops = &bridge_backend_cpu};
    bridge_backend_config_t cfg = {.queue_depth = 16};
    char why[256] = "";
    run_t *r = calloc(1, sizeof(*r));
    bridge_job_t job[2][K];
    accel_io_t io[2][K];
    if (r == NULL || be.ops->init(&be, &cfg) != BRIDGE_OK || be.ops->load_model(&be, gemm, why, sizeof(why)) ||
        bridge_bmux_init(&r->mx, &be, 16, 2, 16) != BRIDGE_OK) {
        fprintf(stderr, "FAIL: set-up %s\n", why);
        return 1;
    }
    bridge_xarb_contract(&r->mx.arb, 0, 3, IPC_QOS_RT, 0, 0);
    bridge_xarb_contract(&r->mx.arb, 1, 1, IPC_QOS_RT, 0, 0);
    int fails = 0;
    for (uint32_t k = 0; k < K; k++)
        for (uint32_t i = 0; i < 2; i++) {
            if (accel_io_make(&io[i][k], gemm, 1 + i * K + k) != 0) {
                fprintf(stderr, "FAIL: out of memory\n");
                return 1;
            }
            accel_job_fill(&job[i][k], gemm, &io[i][k], IPC_QOS_NORMAL, IPC_HANDLE(1 + i, k));
            bridge_backend_t *v = bridge_bmux_view(&r->mx, i);
            fails |= v->ops->submit(v, &job[i][k]) != BRIDGE_OK;
        }
    uint64_t until = zl_now_ns() + DEADLINE_S * 1000000000ull;
    while (!fails && r->back < N_JOBS && zl_now_ns() < until)
        fails |= step(r, true) != 0;
    while (!fails && (r->mx.taken[0] || r->mx.taken[1]) && zl_now_ns() < until)
        fails |= step(r, false) != 0;
    double d[2] = {(double)(r->c1[0] - r->c0[0]), (double)(r->c1[1] - r->c0[1])};
    double a = d[0] + d[1] > 0 ? d[0] / (d[0] + d[1]) : 0, b = 1.0 - a;
    double both = r->samples ? (double)r->both / r->samples : 0;
    printf("shares 3:1 over %u jobs: %.3f / %.3f of the device time (picks %llu / %llu); both regions queued in "
           "%.1f %% of %u samples; %u jobs not OK\n",
           N_JOBS - WARM_JOBS, a, b, (unsigned long long)r->mx.arb.r[0].picks, (unsigned long long)r->mx.arb.r[1].picks,
           both * 100.0, r->samples, r->bad);
    if (fails || r->back < N_JOBS || r->mx.taken[0] || r->mx.taken[1] || r->bad) {
        fprintf(stderr, "FAIL: %u jobs back (%u wanted), %u / %u not back, %u not OK\n", r->back, N_JOBS,
                r->mx.taken[0], r->mx.taken[1], r->bad);
        fails = 1;
    }
    if (both < BOTH_MIN) {
        fprintf(stderr, "FAIL: both regions queued in %.3f of the samples (at least %.2f)\n", both, BOTH_MIN);
        fails = 1;
    }
    if (a < 0.75 * (1 - SHARE_TOL) || a > 0.75 * (1 + SHARE_TOL) || b < 0.25 * (1 - SHARE_TOL) ||
        b > 0.25 * (1 + SHARE_TOL)) {
        fprintf(stderr, "FAIL: shares %.3f / %.3f, weights 0.75 / 0.25 (tolerance %.2f of each)\n", a, b, SHARE_TOL);
        fails = 1;
    }
    bridge_bmux_fini(&r->mx);
    be.ops->shutdown(&be);
    for (uint32_t i = 0; i < 2; i++)
        for (uint32_t k = 0; k < K; k++)
            accel_io_free(&io[i][k]);
    free(r);
    return fails;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s MODELS_DIR\n", argv[0]);
        return TEST_FAIL;
    }
    bridge_registry_t reg;
    char why[512] = "";
    if (bridge_registry_load(&reg, argv[1], why, sizeof(why)) != BRIDGE_OK) {
        fprintf(stderr, "FAIL registry: %s\n", why);
        return TEST_FAIL;
    }
    const bridge_model_t *gemm = bridge_registry_find_name(&reg, "gemm");
    int fails = gemm == NULL || run(gemm);
    bridge_registry_free(&reg);
    printf("%s\n", fails ? "FAIL" : "PASS");
    return fails ? TEST_FAIL : TEST_PASS;
}
