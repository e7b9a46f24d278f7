/* SPDX-License-Identifier: BSD-3-Clause */
/* test_cpu_handover.c - the CPU backend's RT path never waits for a less urgent worker: with the BACKGROUND worker held in the middle of handing its finished gemm back (as a SCHED_IDLE worker preempted there would stand), RT vector_adds submitted, woken for (set_wake's eventfd, finished) and polled by the dispatcher still complete, each within RT_BOUND, with the right sums; then the held worker goes on and its gemm comes back. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backends/backend.h"
#include "backends/cpu.h"
#include "bridge_errors.h"
#include "registry.h"
#include "accel_test.h"
#include "test_exit.h"
#include "zenedge/barrier.h"
#include "zl.h"

#define N_RT     20u
#define RT_BOUND 250000000ull /* ns: RT submit -> back from poll, each (a held worker: HOLD_MAX) */
#define HOLD_MAX 5000u        /* ms: the longest the BACKGROUND worker is held */

static bridge_registry_t reg;
static bridge_backend_t be = {.ops = &bridge_backend_cpu};
static uint32_t hold_armed, held, hold_release; /* barrier.h words: test <-> worker */

/* The backend's test hook: the first BACKGROUND worker to pass here once
 * armed stays until released (at most HOLD_MAX ms). */
void bridge_cpu_handover_pause(uint32_t qos)
{
    if (qos != IPC_QOS_BACKGROUND || !ipc_load_acquire(&hold_armed))
        return;
    ipc_store_release(&hold_armed, 0u);
    ipc_store_release(&held, 1u);
    struct timespec ms = {0, 1000000};
    for (uint32_t i = 0; i < HOLD_MAX && !ipc_load_acquire(&hold_release); i++)
        nanosleep(&ms, NULL);
    ipc_store_release(&held, 2u);
}

/* A job of model m with its buffers (tests/helpers/accel_test). 0 or 1. */
static int job_make(bridge_job_t *j, accel_io_t *io, const bridge_model_t *m, uint32_t qos, uint32_t handle)
{
    if (accel_io_make(io, m, handle) != 0)
        return 1;
    accel_job_fill(j, m, io, qos, handle);
    return 0;
}

/* As the daemon's dispatcher does: sleep on the wake eventfd, look at
 * finished, poll without waiting; until want is back or until ns passes.
 * Other jobs that come back count in *others. 0 back, -1 not. */
static int collect(int efd, const bridge_job_t *want, uint64_t until, uint32_t *others)
{
    for (;;) {
        bridge_job_t *done[IPC_QOS_COUNT];
        int n = be.ops->finished(&be) > 0 ? be.ops->poll(&be, done, IPC_QOS_COUNT, 0) : 0;
        int got = 0;
        for (int k = 0; k < n; k++) {
            got |= done[k] == want;
            *others += done[k] != want;
        }
        if (got)
            return 0;
        if (zl_now_ns() > until)
            return -1;
        zl_db_wait(efd, 10);
    }
}

/* RT rounds while the BACKGROUND worker is held: the worst round trip in
 * *worst, the wrong sums counted. 0 or the failures. */
static int rt_rounds(int efd, const bridge_model_t *add, uint64_t *worst, uint32_t *others)
{
    bridge_job_t rt;
    accel_io_t rio;
    int fails = job_make(&rt, &rio, add, IPC_QOS_RT, IPC_HANDLE(1, 0));
    uint32_t n = add->out[0].count;
    for (uint32_t r = 0; r < N_RT && !fails; r++) {
        for (uint32_t i = 0; i < n; i++) {
            ((int32_t *)rio.in[0])[i] = (int32_t)(r * 1000u + i);
            ((int32_t *)rio.in[1])[i] = (int32_t)r;
        }
        uint64_t t0 = zl_now_ns();
        if (be.ops->submit(&be, &rt) != BRIDGE_OK || collect(efd, &rt, t0 + 2 * RT_BOUND, others) != 0) {
            fprintf(stderr, "FAIL: RT job %u not back within %llu ms\n", r, 2 * RT_BOUND / 1000000ull);
            fails++;
            break;
        }
        uint64_t dt = zl_now_ns() - t0;
        *worst = dt > *worst ? dt : *worst;
        for (uint32_t i = 0; i < n; i++)
            fails += ((int32_t *)rio.out)[i] != (int32_t)(r * 1000u + i + r);
    }
    accel_io_free(&rio);
    return fails;
}

static int test_rt_past_held_worker(const bridge_model_t *gemm, const bridge_model_t *add)
{
    int efd = zl_db_create();
    bridge_job_t bg;
    accel_io_t bio;
    if (efd < 0 || job_make(&bg, &bio, gemm, IPC_QOS_BACKGROUND, IPC_HANDLE(1, 1)))
        return 1;
    be.ops->set_wake(&be, efd);
    ipc_store_release(&hold_armed, 1u);
    int fails = be.ops->submit(&be, &bg) != BRIDGE_OK;
    struct timespec ms = {0, 1000000};
    for (uint32_t i = 0; i < 10000u && ipc_load_acquire(&held) != 1u; i++)
        nanosleep(&ms, NULL);
    if (ipc_load_acquire(&held) != 1u) {
        fprintf(stderr, "FAIL: the BACKGROUND worker never reached its hand-over\n");
        fails++;
    }
    uint64_t worst = 0;
    uint32_t others = 0;
    fails += rt_rounds(efd, add, &worst, &others);
    int still_held = ipc_load_acquire(&held) == 1u;
    ipc_store_release(&hold_release, 1u);
    printf("%u RT vector_adds with the BACKGROUND worker held in its hand-over: worst submit->back %.3f ms "
           "(bound %llu ms); worker still held after them: %s\n",
           N_RT, (double)worst / 1e6, RT_BOUND / 1000000ull, still_held ? "yes" : "no");
    if (worst > RT_BOUND || !still_held) {
        fprintf(stderr, "FAIL: RT waited for the held BACKGROUND worker\n");
        fails++;
    }
    if (others == 0 && collect(efd, &bg, zl_now_ns() + 60000000000ull, &others) != 0) {
        fprintf(stderr, "FAIL: the BACKGROUND gemm never came back\n");
        fails++;
    }
    be.ops->set_wake(&be, -1);
    close(efd);
    accel_io_free(&bio);
    return fails;
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
    bridge_backend_config_t cfg = {.queue_depth = 8};
    if (gemm == NULL || add == NULL || be.ops->init(&be, &cfg) != BRIDGE_OK ||
        be.ops->load_model(&be, gemm, why, sizeof(why)) != BRIDGE_OK ||
        be.ops->load_model(&be, add, why, sizeof(why)) != BRIDGE_OK) {
        fprintf(stderr, "FAIL: set-up: %s\n", why);
        return TEST_FAIL;
    }
    int fails = test_rt_past_held_worker(gemm, add);
    be.ops->shutdown(&be);
    bridge_registry_free(&reg);
    printf("%s\n", fails ? "FAIL" : "PASS");
    return fails ? TEST_FAIL : TEST_PASS;
}
