/* SPDX-License-Identifier: BSD-3-Clause */
/* test_cpu_backend.c - the CPU reference backend: known results of vector_add, saxpy, gemm and the backend contract (busy, poll, unsupported). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "backends/backend.h"
#include "bridge_errors.h"
#include "registry.h"

static const char *models_dir;
static bridge_registry_t reg;
static bridge_backend_t be;

static int setup(void **state)
{
    (void)state;
    char err[512] = "";
    int rc = bridge_registry_load(&reg, models_dir, err, sizeof(err));
    if (rc != BRIDGE_OK) {
        fprintf(stderr, "registry: %s: %s\n", bridge_strerror(rc), err);
        return -1;
    }
    be.ops = bridge_backend_find("cpu");
    if (be.ops == NULL)
        return -1;
    bridge_backend_config_t cfg = {.device = NULL, .queue_depth = 2};
    if (be.ops->init(&be, &cfg) != BRIDGE_OK)
        return -1;
    for (uint32_t i = 0; i < reg.n_models; i++) {
        rc = be.ops->load_model(&be, reg.models[i], err, sizeof(err));
        if (rc != BRIDGE_OK) {
            fprintf(stderr, "load_model: %s: %s\n", bridge_strerror(rc), err);
            return -1;
        }
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    be.ops->shutdown(&be);
    bridge_registry_free(&reg);
    return 0;
}

/* Run one job synchronously through submit + poll. */
static void run(bridge_job_t *job)
{
    assert_int_equal(be.ops->submit(&be, job), BRIDGE_OK);
    bridge_job_t *done[4];
    assert_int_equal(be.ops->poll(&be, done, 4, 10000), 1); /* a worker runs it */
    assert_ptr_equal(done[0], job);
    assert_int_equal(job->status, IPC_STATUS_OK);
    assert_true(job->t_backend_end >= job->t_backend_start);
    assert_int_equal(job->backend_ns, job->t_backend_end - job->t_backend_start);
}

static void test_probe(void **state)
{
    (void)state;
    bridge_device_info_t d[2];
    char why[64];
    assert_int_equal(be.ops->probe(d, 2, why, sizeof(why)), 1);
    assert_string_equal(d[0].backend, "cpu");
    assert_null(bridge_backend_find("no-such-backend"));
}

static void test_vector_add(void **state)
{
    (void)state;
    /* Tensors at odd addresses, as a peer may choose them. */
    uint8_t *buf = malloc(3 * 4096 + 8);
    int32_t a[1024], b[1024], c[1024];
    for (int i = 0; i < 1024; i++) {
        a[i] = i * 7 - 3000;
        b[i] = (i % 2 ? -1 : 1) * i * 1000;
    }
    a[5] = INT32_MAX;
    b[5] = 1; /* wraps, defined */
    memcpy(buf + 1, a, 4096);
    memcpy(buf + 1 + 4096, b, 4096);
    bridge_job_t job = {.model = bridge_registry_find(&reg, 1)};
    job.in[0] = buf + 1;
    job.in[1] = buf + 1 + 4096;
    job.out[0] = buf + 1 + 8192;
    job.in_len[0] = job.in_len[1] = job.out_len[0] = 4096;
    run(&job);
    memcpy(c, buf + 1 + 8192, 4096);
    for (int i = 0; i < 1024; i++)
        assert_int_equal(c[i], (int32_t)((uint32_t)a[i] + (uint32_t)b[i]));
    assert_int_equal(c[5], INT32_MIN);
    assert_int_equal(job.result, 0);
    free(buf);
}

static void test_saxpy(void **state)
{
    (void)state;
    float alpha = 2.5f, x[1024], y[1024], out[1024];
    for (int i = 0; i < 1024; i++) {
        x[i] = (float)i * 0.5f;
        y[i] = 100.0f - (float)i;
    }
    bridge_job_t job = {.model = bridge_registry_find(&reg, 2)};
    job.in[0] = &alpha;
    job.in[1] = x;
    job.in[2] = y;
    job.out[0] = out;
    job.in_len[0] = 4;
    job.in_len[1] = job.in_len[2] = job.out_len[0] = 4096;
    run(&job);
    for (int i = 0; i < 1024; i++)
        assert_true(out[i] == 2.5f * ((float)i * 0.5f) + (100.0f - (float)i)); /* exact in binary */
}

static void test_gemm(void **state)
{
    (void)state;
    static float a[64 * 64], b[64 * 64], c[64 * 64];
    /* a = small integers, b = identity plus a shifted diagonal: exact. */
    for (int i = 0; i < 64; i++)
        for (int j = 0; j < 64; j++) {
            a[i * 64 + j] = (float)((i * 3 + j) % 11 - 5);
            b[i * 64 + j] = (i == j) ? 1.0f : (j == (i + 1) % 64 ? 2.0f : 0.0f);
        }
    bridge_job_t job = {.model = bridge_registry_find(&reg, 3)};
    job.in[0] = a;
    job.in[1] = b;
    job.out[0] = c;
    job.in_len[0] = job.in_len[1] = job.out_len[0] = 16384;
    run(&job);
    for (int i = 0; i < 64; i++)
        for (int j = 0; j < 64; j++) {
            float want = a[i * 64 + j] + 2.0f * a[i * 64 + (j + 63) % 64];
            assert_true(c[i * 64 + j] == want);
        }
}

static void test_busy_and_errors(void **state)
{
    (void)state;
    int32_t a[1024] = {0}, b[1024] = {0}, c[1024];
    bridge_job_t j[3];
    for (int k = 0; k < 3; k++) {
        memset(&j[k], 0, sizeof(j[k]));
        j[k].model = bridge_registry_find(&reg, 1);
        j[k].in[0] = a;
        j[k].in[1] = b;
        j[k].out[0] = c;
        j[k].in_len[0] = j[k].in_len[1] = j[k].out_len[0] = 4096;
    }
    assert_int_equal(be.ops->submit(&be, &j[0]), BRIDGE_OK);
    assert_int_equal(be.ops->submit(&be, &j[1]), BRIDGE_OK);
    assert_int_equal(be.ops->in_flight(&be), 2);
    assert_int_equal(be.ops->submit(&be, &j[2]), BRIDGE_E_BUSY); /* depth 2 */
    bridge_job_t *done[4];
    assert_int_equal(be.ops->poll(&be, done, 1, 10000), 1);
    assert_ptr_equal(done[0], &j[0]); /* in order */
    assert_int_equal(be.ops->poll(&be, done, 4, 10000), 1);
    assert_ptr_equal(done[0], &j[1]);
    assert_int_equal(be.ops->poll(&be, done, 4, 0), 0);
    /* A length that disagrees with the model is refused, not run. */
    j[2].in_len[1] = 4095;
    assert_int_equal(be.ops->submit(&be, &j[2]), BRIDGE_E_INVAL);
    assert_int_equal(be.ops->in_flight(&be), 0);
    /* A model the backend never loaded. */
    bridge_model_t other = *bridge_registry_find(&reg, 1);
    other.id = 999;
    j[2] = j[1];
    j[2].model = &other;
    assert_int_equal(be.ops->submit(&be, &j[2]), BRIDGE_E_UNSUPPORTED);
}

static void test_load_model_refusals(void **state)
{
    (void)state;
    char why[512];
    bridge_model_t m = *bridge_registry_find(&reg, 3); /* gemm */
    m.n_opts = 0;
    assert_int_equal(be.ops->load_model(&be, &m, why, sizeof(why)), BRIDGE_E_UNSUPPORTED);
    assert_non_null(strstr(why, "[backend.cpu] kernel"));
    m = *bridge_registry_find(&reg, 3);
    m.in[1].dims[0] = 32; /* k mismatch */
    assert_int_equal(be.ops->load_model(&be, &m, why, sizeof(why)), BRIDGE_E_UNSUPPORTED);
    m = *bridge_registry_find(&reg, 1);
    strcpy(m.opts[0].value, "fft_c64");
    assert_int_equal(be.ops->load_model(&be, &m, why, sizeof(why)), BRIDGE_E_UNSUPPORTED);
    assert_non_null(strstr(why, "fft_c64"));
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s MODELS_DIR\n", argv[0]);
        return 1;
    }
    models_dir = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probe),           cmocka_unit_test(test_vector_add),
        cmocka_unit_test(test_saxpy),           cmocka_unit_test(test_gemm),
        cmocka_unit_test(test_busy_and_errors), cmocka_unit_test(test_load_model_refusals),
    };
    return cmocka_run_group_tests(tests, setup, teardown) ? 1 : 0;
}
