/* SPDX-License-Identifier: BSD-3-Clause */
/* test_cuda_loader.c - the CUDA backend's run-time loader without a usable driver: probe and init say why in one line (the exact "libcuda.so.1 not found (no NVIDIA driver)" line when it is absent), leave nothing behind and never crash; argv[2] picks the case: default, absent, notcuda. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dlfcn.h>

#include "accel_test.h"

static const char *models_dir;
static const char *mode;

/* What the driver lookup must report in this case, or NULL if a real
 * driver is installed (then only "no crash, a consistent answer"). */
static const char *expected_prefix(void)
{
    if (strcmp(mode, "absent") == 0)
        return "CUDA: zenedge-absent-libcuda.so.1 not found (no NVIDIA driver): ";
    if (strcmp(mode, "notcuda") == 0)
        return "CUDA: libm.so.6 is not a usable driver library: missing symbol cuInit";
    void *h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (h) {
        dlclose(h);
        return NULL;
    }
    return "CUDA: libcuda.so.1 not found (no NVIDIA driver): ";
}

static void probe_says_why(void **state)
{
    (void)state;
    const bridge_backend_ops_t *ops = accel_backend("cuda");
    assert_non_null(ops);
    assert_string_equal(ops->name, "cuda");
    bridge_device_info_t devs[4];
    memset(devs, 0x5A, sizeof(devs));
    char why[512] = "";
    int n = ops->probe(devs, 4, why, sizeof(why));
    const char *want = expected_prefix();
    printf("probe: %d (%s): %s\n", n, n < 0 ? bridge_strerror(n) : "devices", why);
    if (want == NULL) {
        assert_true(n >= 0 || n == BRIDGE_E_NO_DEVICE);
        return;
    }
    assert_int_equal(n, BRIDGE_E_NO_DEVICE);
    assert_memory_equal(why, want, strlen(want));
    assert_null(strchr(why, '\n'));                            /* one line */
    assert_int_equal((unsigned char)devs[0].backend[0], 0x5A); /* nothing written */
    /* A second probe gives the same answer (the lookup is cached). */
    char why2[512] = "";
    assert_int_equal(ops->probe(NULL, 0, why2, sizeof(why2)), BRIDGE_E_NO_DEVICE);
    assert_string_equal(why, why2);
}

static void init_refuses(void **state)
{
    (void)state;
    const bridge_backend_ops_t *ops = accel_backend("cuda");
    if (expected_prefix() == NULL)
        skip();
    bridge_backend_t be = {.ops = ops, .priv = NULL};
    bridge_backend_config_t cfg = {.device = NULL, .queue_depth = 4};
    assert_int_equal(ops->init(&be, &cfg), BRIDGE_E_NO_DEVICE);
    assert_null(be.priv);
    /* Every other entry point refuses a backend that never initialised. */
    bridge_job_t *done[1];
    char why[64];
    assert_int_equal(ops->poll(&be, done, 1, 0), BRIDGE_E_INVAL);
    assert_int_equal(ops->in_flight(&be), 0);
    assert_int_equal(ops->load_model(&be, NULL, why, sizeof(why)), BRIDGE_E_INVAL);
    ops->shutdown(&be);
    assert_null(be.priv);
}

static void other_backends_unaffected(void **state)
{
    (void)state;
    /* The CPU backend still runs while CUDA is unavailable. */
    bridge_registry_t reg;
    char err[512];
    assert_int_equal(bridge_registry_load(&reg, models_dir, err, sizeof(err)), BRIDGE_OK);
    const bridge_model_t *m = bridge_registry_find_name(&reg, "vector_add");
    assert_non_null(m);
    bridge_backend_t cpu = {.ops = &bridge_backend_cpu};
    bridge_backend_config_t cfg = {.queue_depth = 1};
    assert_int_equal(cpu.ops->init(&cpu, &cfg), BRIDGE_OK);
    assert_int_equal(cpu.ops->load_model(&cpu, m, err, sizeof(err)), BRIDGE_OK);
    accel_io_t io;
    assert_int_equal(accel_io_make(&io, m, 7), 0);
    bridge_job_t job;
    accel_job_fill(&job, m, &io, IPC_QOS_RT, IPC_HANDLE(1, 1));
    assert_int_equal(accel_run_one(&cpu, &job), 0);
    assert_int_equal(job.status, IPC_STATUS_OK);
    accel_io_free(&io);
    cpu.ops->shutdown(&cpu);
    bridge_registry_free(&reg);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s MODELS_DIR [default|absent|notcuda]\n", argv[0]);
        return 1;
    }
    models_dir = argv[1];
    mode = argc > 2 ? argv[2] : "default";
    if (strcmp(mode, "absent") == 0)
        setenv("ZENEDGE_CUDA_LIBRARY", "zenedge-absent-libcuda.so.1", 1);
    else if (strcmp(mode, "notcuda") == 0)
        setenv("ZENEDGE_CUDA_LIBRARY", "libm.so.6", 1);
    else
        unsetenv("ZENEDGE_CUDA_LIBRARY");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(probe_says_why),
        cmocka_unit_test(init_refuses),
        cmocka_unit_test(other_backends_unaffected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
