/* SPDX-License-Identifier: BSD-3-Clause */
/* test_digits_cpu.c - digits_mlp on the CPU backend: accuracy on the held-out set (skips with 77 if the data files are absent). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/backend.h"
#include "bridge_errors.h"
#include "registry.h"
#include "test_exit.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s MODELS_DIR\n", argv[0]);
        return 1;
    }
    bridge_registry_t reg;
    char err[512] = "";
    int rc = bridge_registry_load(&reg, argv[1], err, sizeof(err));
    if (rc == BRIDGE_E_WEIGHTS) {
        printf("skipped: digits weights not present (%s)\n", err);
        return TEST_SKIP;
    }
    if (rc != BRIDGE_OK) {
        fprintf(stderr, "FAIL registry: %s: %s\n", bridge_strerror(rc), err);
        return 1;
    }
    const bridge_model_t *m = bridge_registry_find_name(&reg, "digits_mlp");
    if (m == NULL || m->id != 4) {
        fprintf(stderr, "FAIL: digits_mlp (id 4) not in the registry\n");
        return 1;
    }
    float *x;
    uint8_t *y;
    uint32_t n;
    rc = bridge_model_dataset(m, &x, &y, &n, err, sizeof(err));
    if (rc == BRIDGE_E_IO) {
        printf("skipped: held-out set not present (%s)\n", err);
        bridge_registry_free(&reg);
        return TEST_SKIP;
    }
    if (rc != BRIDGE_OK) {
        fprintf(stderr, "FAIL dataset: %s: %s\n", bridge_strerror(rc), err);
        return 1;
    }
    bridge_backend_t be = {.ops = &bridge_backend_cpu};
    bridge_backend_config_t cfg = {.queue_depth = 1};
    if (be.ops->init(&be, &cfg) != BRIDGE_OK || be.ops->load_model(&be, m, err, sizeof(err)) != BRIDGE_OK) {
        fprintf(stderr, "FAIL backend: %s\n", err);
        return 1;
    }
    uint32_t correct = 0, bad_range = 0;
    float logits[10];
    for (uint32_t i = 0; i < n; i++) {
        bridge_job_t job = {.model = m};
        job.in[0] = x + (size_t)i * 64u;
        job.in_len[0] = 256;
        job.out[0] = logits;
        job.out_len[0] = 40;
        bridge_job_t *done;
        if (be.ops->submit(&be, &job) != BRIDGE_OK || be.ops->poll(&be, &done, 1, 10000) != 1 ||
            job.status != IPC_STATUS_OK) {
            fprintf(stderr, "FAIL: job %u did not run\n", i);
            return 1;
        }
        if (job.result > 9)
            bad_range++;
        correct += job.result == y[i];
    }
    double acc = (double)correct / n;
    printf("digits_mlp on cpu: accuracy %.4f (%u/%u) on the held-out set\n", acc, correct, n);
    be.ops->shutdown(&be);
    free(x);
    free(y);
    bridge_registry_free(&reg);
    if (bad_range || acc < 0.95) {
        fprintf(stderr, "FAIL: accuracy below 0.95 or result out of 0..9 (%u)\n", bad_range);
        return 1;
    }
    return 0;
}
