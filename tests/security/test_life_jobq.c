/* SPDX-License-Identifier: BSD-3-Clause */
/* test_life_jobq.c - the asynchronous backends' job skeleton (jobq.c) with a device played by the test: once the attach a job was taken under has ended (bridge_job_stale), a late completion copies nothing into the region and a queued job is never started, even when the region's pages are gone (unmapped here: any touch is a SIGSEGV). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "backends/jobq.h"
#include "bridge_errors.h"
#include "test_exit.h"

#define CHECK(c)                                                   \
    do {                                                           \
        if (!(c)) {                                                \
            fprintf(stdout, "FAIL: %s (line %d)\n", #c, __LINE__); \
            return TEST_FAIL;                                      \
        }                                                          \
    } while (0)

#define N 64u /* elements of the one input and the output */

typedef struct dev {
    bridge_sched_t sched; /* first member: be->priv */
    bridge_slot_t slot[1];
    unsigned enqueued, armed;
} dev_t_;

static int h_enqueue(void *o, uint32_t idx, bridge_job_t *job, bridge_sched_model_t *m)
{
    (void)idx, (void)job, (void)m;
    ((dev_t_ *)o)->enqueued++;
    return 0;
}
static int h_arm(void *o, uint32_t idx, bridge_job_t *job)
{
    (void)idx, (void)job;
    ((dev_t_ *)o)->armed++;
    return 0;
}
static void h_unwind(void *o, uint32_t idx, bridge_job_t *job)
{
    (void)o, (void)idx, (void)job;
}
static uint64_t h_device_ns(void *o, uint32_t idx)
{
    (void)o, (void)idx;
    return 1;
}
static int h_stage_alloc(void *o, uint32_t idx, uint32_t t, size_t bytes, void **p)
{
    (void)o, (void)idx, (void)t;
    *p = calloc(1, bytes);
    return *p ? 0 : 1;
}
static void h_stage_free(void *o, void *p)
{
    (void)o;
    free(p);
}
static const char *h_errname(int code)
{
    (void)code;
    return "test";
}

static const bridge_sched_hooks_t hooks = {"test", h_enqueue,     h_arm,        h_unwind, h_device_ns,
                                           NULL,   h_stage_alloc, h_stage_free, h_errname};

int main(void)
{
    static bridge_model_t m;
    m.id = 1;
    m.n_in = 1;
    m.n_out = 1;
    m.in[0].bytes = m.out[0].bytes = N * 4u;
    m.in[0].count = m.out[0].count = N;
    static dev_t_ d;
    bridge_backend_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.queue_depth = 4;
    CHECK(bridge_sched_init(&d.sched, &cfg, d.slot, sizeof(d.slot[0]), 1, &d, &hooks) == BRIDGE_OK);
    bridge_sched_model_t om = {.m = &m};
    bridge_sched_add_model(&d.sched, &om);
    size_t bytes = 0;
    int err = 0;
    CHECK(bridge_sched_stage_grow(&d.sched, &m, &bytes, &err) == BRIDGE_OK);
    bridge_backend_t be = {NULL, &d};

    /* The "region": one page holding the input and the output of two jobs. */
    long pg = sysconf(_SC_PAGESIZE);
    unsigned char *region = mmap(NULL, (size_t)pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(region != MAP_FAILED);
    uint32_t gen = 7;
    bridge_job_t a, b;
    memset(&a, 0, sizeof(a));
    a.handle = 0x10001;
    a.model = &m;
    a.in[0] = region;
    a.in_len[0] = N * 4u;
    a.out[0] = region + 1024;
    a.out_len[0] = N * 4u;
    a.attach_gen = gen;
    a.live_gen = &gen;
    b = a;
    b.handle = 0x10002;
    CHECK(bridge_sched_op_submit(&be, &a) == BRIDGE_OK); /* on the one slot */
    CHECK(bridge_sched_op_submit(&be, &b) == BRIDGE_OK); /* queued behind it */
    CHECK(d.enqueued == 1 && bridge_sched_op_in_flight(&be) == 2);

    /* The attach ends and its mapping goes; then the device finishes a. */
    gen++;
    CHECK(munmap(region, (size_t)pg) == 0);
    bridge_sched_complete(&d.sched, d.slot[0].job == &a ? &d.slot[0] : NULL, 0);
    bridge_job_t *done[4];
    int n = 0;
    for (int tries = 0; tries < 10 && n < 2; tries++) {
        int k = bridge_sched_op_poll(&be, done + n, 4 - n, 10);
        CHECK(k >= 0);
        n += k;
    }
    CHECK(n == 2);
    CHECK(d.enqueued == 1); /* b was never started: its input is gone */
    CHECK(a.status == IPC_STATUS_BACKEND_ERROR && a.result == 0);
    CHECK(b.status == IPC_STATUS_BACKEND_ERROR);
    CHECK(bridge_sched_op_in_flight(&be) == 0);
    bridge_sched_destroy(&d.sched);
    printf("PASS: a late completion and a queued job of an ended attach touched nothing\n");
    return TEST_PASS;
}
