/* SPDX-License-Identifier: BSD-3-Clause */
/* test_opencl_unit.c - the OpenCL backend's contract on PoCL: probe listing, device choice by index, name and P:D, BUSY at the queue depth, UNSUPPORTED models with a reason, RT's sub-device (ZENEDGE_OPENCL_RT_CUS: the start line, a bad value named with its limit, jobs still right), and the kernel cache kept in ZENEDGE_OPENCL_CACHE; exits 77 when no OpenCL platform exists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accel_test.h"
#include "test_exit.h"

static const char *models_dir;
static const bridge_backend_ops_t *ops;
static bridge_registry_t reg;
static bridge_device_info_t dev0;
static char cache_dir[512];

static int setup(void **state)
{
    (void)state;
    char err[512];
    return bridge_registry_load(&reg, models_dir, err, sizeof(err)) == BRIDGE_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    bridge_registry_free(&reg);
    return 0;
}

static void probe_lists_devices(void **state)
{
    (void)state;
    bridge_device_info_t devs[8];
    char why[256] = "";
    int n = ops->probe(devs, 8, why, sizeof(why));
    assert_true(n >= 1);
    for (int i = 0; i < n && i < 8; i++) {
        printf("device %d: %s | %s | %s\n", devs[i].index, devs[i].backend, devs[i].platform, devs[i].device);
        assert_string_equal(devs[i].backend, "opencl");
        assert_int_equal(devs[i].index, i);
        assert_true(devs[i].device[0] != '\0');
    }
    assert_int_equal(ops->probe(NULL, 0, why, sizeof(why)), n); /* count only */
    dev0 = devs[0];
}

static void device_choice(void **state)
{
    (void)state;
    /* name substring of device 0 ("0:NAME (type)" -> a word of NAME) */
    char word[32] = "";
    const char *name = strchr(dev0.device, ':');
    assert_non_null(name);
    snprintf(word, sizeof(word), "%.6s", name + 1);
    const char *ok[] = {NULL, "", "0", "0:0", ":0", "0:", word};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        bridge_backend_t be = {.ops = ops};
        bridge_backend_config_t cfg = {.device = ok[i], .queue_depth = 2};
        assert_int_equal(ops->init(&be, &cfg), BRIDGE_OK);
        assert_non_null(be.priv);
        ops->shutdown(&be);
        assert_null(be.priv);
    }
    const char *bad[] = {"99", "7:0", "0:9", "no-such-device-name"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        bridge_backend_t be = {.ops = ops};
        bridge_backend_config_t cfg = {.device = bad[i], .queue_depth = 2};
        assert_int_equal(ops->init(&be, &cfg), BRIDGE_E_NO_DEVICE);
        assert_null(be.priv);
    }
}

static void busy_and_unsupported(void **state)
{
    (void)state;
    bridge_backend_t be = {.ops = ops};
    bridge_backend_config_t cfg = {.device = NULL, .queue_depth = 2};
    assert_int_equal(ops->init(&be, &cfg), BRIDGE_OK);
    const bridge_model_t *va = bridge_registry_find_name(&reg, "vector_add");
    const bridge_model_t *gm = bridge_registry_find_name(&reg, "gemm");
    assert_non_null(va);
    assert_non_null(gm);
    char why[512] = "";
    assert_int_equal(ops->load_model(&be, va, why, sizeof(why)), BRIDGE_OK);

    /* A model that was not loaded is refused at submit. */
    accel_io_t io[3];
    bridge_job_t job[3];
    assert_int_equal(accel_io_make(&io[0], gm, 1), 0);
    accel_job_fill(&job[0], gm, &io[0], IPC_QOS_NORMAL, IPC_HANDLE(1, 0));
    assert_int_equal(ops->submit(&be, &job[0]), BRIDGE_E_UNSUPPORTED);
    accel_io_free(&io[0]);

    /* Depth 2: the third submit is BUSY and takes nothing. */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(accel_io_make(&io[i], va, (uint32_t)i + 1), 0);
        accel_job_fill(&job[i], va, &io[i], IPC_QOS_NORMAL, IPC_HANDLE(1, i));
    }
    assert_int_equal(ops->submit(&be, &job[0]), BRIDGE_OK);
    assert_int_equal(ops->submit(&be, &job[1]), BRIDGE_OK);
    assert_int_equal(ops->submit(&be, &job[2]), BRIDGE_E_BUSY);
    assert_int_equal(ops->in_flight(&be), 2);
    /* Wrong length and bad QoS are refused. */
    job[2].in_len[0] = 4;
    assert_int_equal(ops->submit(&be, &job[2]), BRIDGE_E_INVAL);
    job[2].in_len[0] = va->in[0].bytes;
    job[2].qos = IPC_QOS_COUNT;
    assert_int_equal(ops->submit(&be, &job[2]), BRIDGE_E_INVAL);
    job[2].qos = IPC_QOS_NORMAL;
    int back = 0;
    for (int tries = 0; back < 2 && tries < 300; tries++) {
        bridge_job_t *done[4];
        int n = ops->poll(&be, done, 4, 100);
        assert_true(n >= 0);
        back += n;
    }
    assert_int_equal(back, 2);
    assert_int_equal(ops->in_flight(&be), 0);
    assert_int_equal(ops->poll(&be, (bridge_job_t *[1]){NULL}, 1, 0), 0); /* nothing left, no wait */
    assert_int_equal(accel_run_one(&be, &job[2]), 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(job[i].status, IPC_STATUS_OK);
        accel_io_free(&io[i]);
    }

    /* Manifest problems: unknown kernel, missing source. */
    bridge_model_t *copy = malloc(sizeof(*copy));
    assert_non_null(copy);
    *copy = *gm;
    copy->id = 999;
    snprintf(copy->opts[copy->n_opts].backend, BRIDGE_NAME_MAX, "opencl");
    snprintf(copy->opts[copy->n_opts].key, BRIDGE_NAME_MAX, "kernel");
    snprintf(copy->opts[copy->n_opts].value, BRIDGE_VALUE_MAX, "conv2d_f32");
    copy->n_opts++;
    assert_int_equal(ops->load_model(&be, copy, why, sizeof(why)), BRIDGE_E_UNSUPPORTED);
    printf("unknown kernel: %s\n", why);
    assert_non_null(strstr(why, "conv2d_f32"));
    snprintf(copy->opts[copy->n_opts - 1].value, BRIDGE_VALUE_MAX, "gemm_f32");
    snprintf(copy->opts[copy->n_opts].backend, BRIDGE_NAME_MAX, "opencl");
    snprintf(copy->opts[copy->n_opts].key, BRIDGE_NAME_MAX, "source");
    snprintf(copy->opts[copy->n_opts].value, BRIDGE_VALUE_MAX, "missing.cl");
    copy->n_opts++;
    assert_int_equal(ops->load_model(&be, copy, why, sizeof(why)), BRIDGE_E_UNSUPPORTED);
    printf("missing source: %s\n", why);
    assert_non_null(strstr(why, "missing.cl"));
    snprintf(copy->opts[copy->n_opts - 1].value, BRIDGE_VALUE_MAX, "../gemm/gemm.cl");
    assert_int_equal(ops->load_model(&be, copy, why, sizeof(why)), BRIDGE_E_UNSUPPORTED);
    /* A signature that does not fit the kernel. */
    copy->n_opts--;
    copy->in[1].dims[0] = 32;
    assert_int_equal(ops->load_model(&be, copy, why, sizeof(why)), BRIDGE_E_UNSUPPORTED);
    printf("bad signature: %s\n", why);
    free(copy);
    ops->shutdown(&be);
}

/* Init with ZENEDGE_OPENCL_RT_CUS=value; what init said into said[];
 * then one RT and one BACKGROUND vector_add must come back right. */
static void init_with_rt_cus(const char *value, char *said, size_t len)
{
    setenv("ZENEDGE_OPENCL_RT_CUS", value, 1);
    FILE *t = tmpfile();
    assert_non_null(t);
    int saved = dup(2);
    fflush(stderr);
    dup2(fileno(t), 2);
    bridge_backend_t be = {.ops = ops};
    bridge_backend_config_t cfg = {.queue_depth = 4};
    int rc = ops->init(&be, &cfg);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(t);
    size_t n = fread(said, 1, len - 1, t);
    said[n] = '\0';
    fclose(t);
    unsetenv("ZENEDGE_OPENCL_RT_CUS");
    printf("ZENEDGE_OPENCL_RT_CUS=%s: %s", value, said);
    assert_int_equal(rc, BRIDGE_OK);
    const bridge_model_t *m = bridge_registry_find_name(&reg, "vector_add");
    char why[256] = "";
    assert_int_equal(ops->load_model(&be, m, why, sizeof(why)), BRIDGE_OK);
    for (uint32_t qos = IPC_QOS_RT; qos <= IPC_QOS_BACKGROUND; qos += IPC_QOS_BACKGROUND) {
        accel_io_t io;
        bridge_job_t job;
        assert_int_equal(accel_io_make(&io, m, 7 + qos), 0);
        accel_job_fill(&job, m, &io, qos, IPC_HANDLE(1, qos));
        assert_int_equal(accel_run_one(&be, &job), 0);
        assert_int_equal(job.status, IPC_STATUS_OK);
        const uint32_t *a = io.in[0], *b = io.in[1], *c = io.out;
        for (uint32_t i = 0; i < m->in[0].bytes / 4; i++)
            assert_int_equal(c[i], a[i] + b[i]);
        accel_io_free(&io);
    }
    ops->shutdown(&be);
}

static void rt_sub_device(void **state)
{
    (void)state;
    char said[1024];
    init_with_rt_cus("1", said, sizeof(said));
    /* PoCL's CPU device splits; a one-CPU machine has nothing to split; a GPU
     * without device fission (NVIDIA's OpenCL) says it cannot split at all. */
    assert_true(strstr(said, "OpenCL: RT on a sub-device of 1 compute unit(s), the other classes on") != NULL ||
                strstr(said, "is not a count from 0 to 0") != NULL ||
                strstr(said, "OpenCL: no sub-devices (the device splits neither by counts nor in halves") != NULL);
    init_with_rt_cus("0", said, sizeof(said));
    assert_non_null(strstr(said, "OpenCL: no sub-devices (ZENEDGE_OPENCL_RT_CUS=0): every class shares"));
    init_with_rt_cus("99999", said, sizeof(said));
    assert_non_null(strstr(said, "no sub-devices (ZENEDGE_OPENCL_RT_CUS=99999 is not a count from 0 to "));
    init_with_rt_cus("1x", said, sizeof(said));
    assert_non_null(strstr(said, "no sub-devices (ZENEDGE_OPENCL_RT_CUS=1x is not a count from 0 to "));
}

static void cache_in_project_dir(void **state)
{
    (void)state;
    const char *pocl = getenv("POCL_CACHE_DIR");
    assert_non_null(pocl);
    assert_string_equal(pocl, cache_dir);
    struct stat sb;
    assert_int_equal(stat(cache_dir, &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
    assert_int_equal(sb.st_mode & 0077, 0); /* private */
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s MODELS_DIR\n", argv[0]);
        return 1;
    }
    models_dir = argv[1];
    ops = accel_backend("opencl");
    if (ops == NULL) {
        printf("skipped: the OpenCL backend is not built into this tree\n");
        return TEST_SKIP;
    }
    /* The cache goes where ZENEDGE_OPENCL_CACHE says (here a fresh
     * per-process folder under the one the test runner gives). */
    const char *base = getenv("ZENEDGE_OPENCL_CACHE");
    snprintf(cache_dir, sizeof(cache_dir), "%s/unit-%d", base && base[0] ? base : "opencl-cache", (int)getpid());
    setenv("ZENEDGE_OPENCL_CACHE", cache_dir, 1);
    unsetenv("POCL_CACHE_DIR");
    char why[256] = "";
    int n = ops->probe(NULL, 0, why, sizeof(why));
    if (n == BRIDGE_E_NO_DEVICE) {
        printf("skipped: %s\n", why);
        return TEST_SKIP;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(probe_lists_devices),  cmocka_unit_test(device_choice),
        cmocka_unit_test(busy_and_unsupported), cmocka_unit_test(rt_sub_device),
        cmocka_unit_test(cache_in_project_dir),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", cache_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", cache_dir);
    return rc;
}
