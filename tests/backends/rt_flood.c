/* SPDX-License-Identifier: BSD-3-Clause */
/* rt_flood.c - RT under a BACKGROUND flood inside an accelerator backend, for the figures of docs/backends.md: an RT vector_add every 1 ms (1 in flight), first alone, then with a number of BACKGROUND gemm jobs kept in flight, through the backend's submit/poll; prints p50/p99/max of RT submit->start and submit->end per phase and the BACKGROUND throughput. Not a test (timing on a shared machine): run by hand, e.g. backends_rt_flood MODELS_DIR opencl 2000 8. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accel_test.h"
#include "zl.h"

#define RT_MAX 100000
#define BG_MAX 32

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *what, uint64_t *v, uint32_t n)
{
    qsort(v, n, sizeof(*v), cmp_u64);
    printf("%-22s p50 %9.1f us  p99 %9.1f us  max %9.1f us\n", what, (double)v[n / 2] / 1e3,
           (double)v[(uint32_t)(n * 0.99)] / 1e3, (double)v[n - 1] / 1e3);
}

/* Poll what has ended; BACKGROUND jobs go straight back in. Returns 1
 * when rt came back. */
static int drain(bridge_backend_t *be, const bridge_job_t *rt, int timeout_ms, uint64_t *bg_done)
{
    bridge_job_t *d[BG_MAX + 1];
    int n = be->ops->poll(be, d, BG_MAX + 1, timeout_ms), got = 0;
    for (int i = 0; i < n; i++) {
        if (d[i] == rt) {
            got = 1;
        } else {
            (*bg_done)++;
            be->ops->submit(be, d[i]);
        }
    }
    return got;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s MODELS_DIR opencl|cuda [N_RT [N_BACKGROUND]]\n", argv[0]);
        return 2;
    }
    uint32_t n_rt = argc > 3 ? (uint32_t)atoi(argv[3]) : 2000, n_bg = argc > 4 ? (uint32_t)atoi(argv[4]) : 8;
    if (n_rt < 100 || n_rt > RT_MAX || n_bg > BG_MAX) {
        fprintf(stderr, "N_RT: 100 to %u, N_BACKGROUND: 0 to %u\n", RT_MAX, BG_MAX);
        return 2;
    }
    const bridge_backend_ops_t *ops = accel_backend(argv[2]);
    bridge_registry_t reg;
    char why[512] = "";
    if (ops == NULL || bridge_registry_load(&reg, argv[1], why, sizeof(why)) != BRIDGE_OK) {
        fprintf(stderr, "no backend '%s' or no models: %s\n", argv[2], why);
        return 1;
    }
    const bridge_model_t *va = bridge_registry_find_name(&reg, "vector_add");
    const bridge_model_t *gm = bridge_registry_find_name(&reg, "gemm");
    bridge_backend_t be = {.ops = ops};
    bridge_backend_config_t cfg = {.queue_depth = n_bg + 8};
    if (va == NULL || gm == NULL || ops->init(&be, &cfg) != BRIDGE_OK ||
        ops->load_model(&be, va, why, sizeof(why)) != BRIDGE_OK ||
        ops->load_model(&be, gm, why, sizeof(why)) != BRIDGE_OK) {
        fprintf(stderr, "init or load_model failed: %s\n", why);
        return 1;
    }
    static accel_io_t bio[BG_MAX];
    static bridge_job_t bj[BG_MAX];
    static uint64_t st[2][RT_MAX], en[2][RT_MAX];
    accel_io_t rio;
    bridge_job_t rj;
    uint64_t bg_done[2] = {0, 0};
    accel_io_make(&rio, va, 1);
    for (uint32_t i = 0; i < n_bg; i++) {
        accel_io_make(&bio[i], gm, 2 + i);
        accel_job_fill(&bj[i], gm, &bio[i], IPC_QOS_BACKGROUND, IPC_HANDLE(2, i));
    }
    for (int phase = 0; phase < 2; phase++) {
        for (uint32_t i = 0; phase && i < n_bg; i++)
            ops->submit(&be, &bj[i]);
        uint64_t next = zl_now_ns();
        for (uint32_t k = 0; k < n_rt; k++) {
            while (zl_now_ns() < next)
                drain(&be, NULL, 0, &bg_done[phase]);
            accel_job_fill(&rj, va, &rio, IPC_QOS_RT, IPC_HANDLE(1, k));
            uint64_t t0 = zl_now_ns();
            ops->submit(&be, &rj);
            while (!drain(&be, &rj, 1, &bg_done[phase]))
                ;
            st[phase][k] = rj.t_backend_start - t0;
            en[phase][k] = rj.t_backend_end - t0;
            next += 1000000;
        }
        while (ops->in_flight(&be)) {
            bridge_job_t *d[BG_MAX + 1];
            ops->poll(&be, d, BG_MAX + 1, 10);
        }
    }
    report("alone submit->start", st[0], n_rt);
    report("alone submit->end", en[0], n_rt);
    report("flood submit->start", st[1], n_rt);
    report("flood submit->end", en[1], n_rt);
    printf("BACKGROUND gemm in flight %u, completed during the flood: %llu (%.0f/s)\n", n_bg,
           (unsigned long long)bg_done[1], (double)bg_done[1] / ((double)n_rt / 1000.0));
    ops->shutdown(&be);
    accel_io_free(&rio);
    for (uint32_t i = 0; i < n_bg; i++)
        accel_io_free(&bio[i]);
    bridge_registry_free(&reg);
    return 0;
}
