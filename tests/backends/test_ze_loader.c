/* SPDX-License-Identifier: BSD-3-Clause */
/* test_ze_loader.c - the Level Zero backend where things are missing: no loader (a path that does not exist, ZENEDGE_ZE_LIBRARY=none, a library that is not a loader), a loader without a driver, and, on the stand-in driver (argv[2], loaded by the real loader through ZE_ENABLE_ALT_DRIVERS), --device choices, a driver that refuses every module, a model without SPIR-V, with a file that is not SPIR-V, with a spirv name outside its folder; each case in a child process of its own (the loader initialises once per process). Usage: test_ze_loader MODELS_DIR FAKE_DRIVER. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "accel_test.h"
#include "bridge_errors.h"
#include "test_exit.h"

static const char *models_dir, *fake_lib;
static char tmp_dir[256];

#define CHECK(cond, ...)                           \
    do {                                           \
        if (!(cond)) {                             \
            fprintf(stderr, "FAIL: " __VA_ARGS__); \
            fputc('\n', stderr);                   \
            fails++;                               \
        }                                          \
    } while (0)

/* probe must answer NO_DEVICE with a line containing want; init too. */
static int expect_no_device(const char *want)
{
    const bridge_backend_ops_t *ops = accel_backend("level_zero");
    char why[512] = "";
    int fails = 0;
    int n = ops->probe(NULL, 0, why, sizeof(why));
    printf("probe: %d: %s\n", n, why);
    CHECK(n == BRIDGE_E_NO_DEVICE, "probe returned %d, not BRIDGE_E_NO_DEVICE", n);
    CHECK(strstr(why, want) != NULL, "probe said '%s', not '%s'", why, want);
    bridge_backend_t be = {.ops = ops};
    int rc = ops->init(&be, NULL);
    CHECK(rc == BRIDGE_E_NO_DEVICE && be.priv == NULL, "init returned %d", rc);
    return fails;
}

/* --device: a name (any case) or index that exists opens, others do not. */
static int case_devices(void)
{
    const bridge_backend_ops_t *ops = accel_backend("level_zero");
    bridge_device_info_t d[4];
    char why[512] = "";
    int fails = 0;
    int n = ops->probe(d, 4, why, sizeof(why));
    CHECK(n == 1, "probe found %d devices (%s)", n, why);
    if (n != 1)
        return fails;
    printf("level_zero device %d: %s / %s\n", d[0].index, d[0].platform, d[0].device);
    CHECK(strstr(d[0].device, "stand-in") && strstr(d[0].device, "GPU, 16 EUs"), "device line '%s'", d[0].device);
    static const struct {
        const char *spec;
        int rc;
    } c[] = {{"0", BRIDGE_OK}, {"STAND-IN", BRIDGE_OK}, {"1", BRIDGE_E_NO_DEVICE}, {"nvidia", BRIDGE_E_NO_DEVICE}};
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        bridge_backend_t be = {.ops = ops};
        bridge_backend_config_t cfg = {.device = c[i].spec, .queue_depth = 4};
        int rc = ops->init(&be, &cfg);
        CHECK(rc == c[i].rc, "--device %s: init returned %d, want %d", c[i].spec, rc, c[i].rc);
        ops->shutdown(&be);
        CHECK(be.priv == NULL, "shutdown left state");
    }
    return fails;
}

/* A copy of vector_add's manifest without its [backend.level_zero] in
 * tmp_dir/folder, plus extra lines and
 * a file vector_add.spv of the given content (NULL: none). */
static int make_model(const char *folder, const char *extra, const char *spv, bridge_model_t *m)
{
    char src[512], dst[512], err[256];
    snprintf(src, sizeof(src), "%s/vector_add/model.ini", models_dir);
    snprintf(dst, sizeof(dst), "%s/%s", tmp_dir, folder);
    mkdir(dst, 0700);
    FILE *in = fopen(src, "r");
    snprintf(dst, sizeof(dst), "%s/%s/model.ini", tmp_dir, folder);
    FILE *out = fopen(dst, "w");
    if (in == NULL || out == NULL)
        return -1;
    char line[256];
    while (fgets(line, sizeof(line), in) && strncmp(line, "[backend.level_zero]", 20) != 0)
        fputs(line, out); /* the shipped section stays out: extra says what the test wants */
    fprintf(out, "\n%s", extra);
    fclose(in);
    fclose(out);
    if (spv) {
        snprintf(src, sizeof(src), "%s/%s/vector_add.spv", tmp_dir, folder);
        FILE *f = fopen(src, "w");
        if (f == NULL)
            return -1;
        fputs(spv, f);
        fclose(f);
    }
    memset(m, 0, sizeof(*m));
    int rc = bridge_model_load(m, dst, err, sizeof(err));
    if (rc != BRIDGE_OK)
        fprintf(stderr, "model %s: %s\n", dst, err);
    return rc == BRIDGE_OK ? 0 : -1;
}

/* load_model of m must fail with UNSUPPORTED, saying want. */
static int expect_refused(bridge_backend_t *be, const bridge_model_t *m, const char *what, const char *want)
{
    char why[768] = "";
    int fails = 0;
    int rc = be->ops->load_model(be, m, why, sizeof(why));
    printf("%s: %s: %s\n", what, bridge_strerror(rc), why);
    CHECK(rc == BRIDGE_E_UNSUPPORTED, "%s: load_model returned %d", what, rc);
    CHECK(strstr(why, want) != NULL, "%s: said '%s', not '%s'", what, why, want);
    return fails;
}

/* Models the driver cannot take are refused with the reason; the
 * backend stays usable (the shipped vector_add then loads and runs). */
static int case_models(int refuse_all)
{
    const bridge_backend_ops_t *ops = accel_backend("level_zero");
    bridge_backend_t be = {.ops = ops};
    bridge_backend_config_t cfg = {.queue_depth = 4};
    int fails = 0;
    if (ops->init(&be, &cfg) != BRIDGE_OK) {
        fprintf(stderr, "FAIL: init on the stand-in driver\n");
        return 1;
    }
    bridge_registry_t reg;
    char why[512];
    if (bridge_registry_load(&reg, models_dir, why, sizeof(why)) != BRIDGE_OK) {
        fprintf(stderr, "FAIL: registry: %s\n", why);
        ops->shutdown(&be);
        return 1;
    }
    const bridge_model_t *va = bridge_registry_find_name(&reg, "vector_add");
    if (refuse_all) {
        fails += expect_refused(&be, va, "refused module", "(ZENEDGE_FAKE_ZE_REFUSE_MODULE=1) line two");
        fails +=
            expect_refused(&be, va, "refused module", "refused by the driver: ZE_RESULT_ERROR_MODULE_BUILD_FAILURE");
    } else {
        bridge_model_t m[3];
        if (make_model("vadd_nospv", "", NULL, &m[0]) || make_model("vadd_garbage", "", "not SPIR-V at all", &m[1]) ||
            make_model("vadd_outside", "[backend.level_zero]\nspirv = ../vector_add.spv\n", NULL, &m[2])) {
            fprintf(stderr, "FAIL: cannot write the test models under %s\n", tmp_dir);
            return fails + 1;
        }
        fails += expect_refused(&be, &m[0], "no SPIR-V", "no Level Zero kernel: no SPIR-V 'vector_add.spv'");
        fails += expect_refused(&be, &m[1], "not SPIR-V", "ZE_RESULT_ERROR_INVALID_NATIVE_BINARY");
        fails += expect_refused(&be, &m[2], "outside", "must be a file name in the model folder");
        for (int i = 0; i < 3; i++)
            bridge_model_free(&m[i]);
        int rc = ops->load_model(&be, va, why, sizeof(why));
        CHECK(rc == BRIDGE_OK, "vector_add after the refusals: %d %s", rc, why);
        accel_io_t io;
        bridge_job_t job;
        if (rc == BRIDGE_OK && accel_io_make(&io, va, 7) == 0) {
            accel_job_fill(&job, va, &io, IPC_QOS_RT, IPC_HANDLE(1, 0));
            CHECK(accel_run_one(&be, &job) == 0 && job.status == IPC_STATUS_OK, "vector_add job after the refusals");
            accel_io_free(&io);
        }
    }
    ops->shutdown(&be);
    bridge_registry_free(&reg);
    return fails;
}

/* Run case c in a child with the environment given; its exit status. */
static int run_case(const char *name, const char *k1, const char *v1, const char *k2, const char *v2, int c)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        if (k1)
            setenv(k1, v1, 1);
        if (k2)
            setenv(k2, v2, 1);
        int f = c == 0   ? expect_no_device("not found (no oneAPI Level Zero loader")
                : c == 1 ? expect_no_device("disabled by ZENEDGE_ZE_LIBRARY=none")
                : c == 2 ? expect_no_device("is not a usable loader: missing symbol zeInit")
                : c == 3 ? expect_no_device("Level Zero: ")
                : c == 4 ? case_devices()
                : c == 5 ? case_models(1)
                         : case_models(0);
        fflush(stdout);
        _exit(f ? 1 : 0);
    }
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) != pid)
        return 1;
    int rc = WIFEXITED(st) ? WEXITSTATUS(st) : 1;
    printf("%-10s %s\n", name, rc ? "FAIL" : "ok");
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s MODELS_DIR FAKE_DRIVER\n", argv[0]);
        return 1;
    }
    models_dir = argv[1];
    fake_lib = argv[2];
    if (accel_backend("level_zero") == NULL) {
        printf("skipped: no Level Zero backend in this tree\n");
        return TEST_SKIP;
    }
    const char *t = getenv("TMPDIR");
    snprintf(tmp_dir, sizeof(tmp_dir), "%s/zenedge-zeload-%d", t && t[0] ? t : "/tmp", (int)getpid());
    mkdir(tmp_dir, 0700);
    int fails = 0;
    fails += run_case("absent", "ZENEDGE_ZE_LIBRARY", "/nonexistent/libze_loader.so.1", NULL, NULL, 0);
    fails += run_case("none", "ZENEDGE_ZE_LIBRARY", "none", NULL, NULL, 1);
    fails += run_case("notloader", "ZENEDGE_ZE_LIBRARY", "libc.so.6", NULL, NULL, 2);
    void *ldr = dlopen("libze_loader.so.1", RTLD_NOW | RTLD_LOCAL);
    if (ldr == NULL) {
        printf("loader cases skipped: libze_loader.so.1 not installed (Debian: libze1)\n");
    } else {
        dlclose(ldr);
        fails += run_case("nodriver", "ZE_ENABLE_ALT_DRIVERS", "/nonexistent/libze_none.so", NULL, NULL, 3);
        fails += run_case("devices", "ZE_ENABLE_ALT_DRIVERS", fake_lib, NULL, NULL, 4);
        fails += run_case("refuse", "ZE_ENABLE_ALT_DRIVERS", fake_lib, "ZENEDGE_FAKE_ZE_REFUSE_MODULE", "1", 5);
        fails += run_case("models", "ZE_ENABLE_ALT_DRIVERS", fake_lib, NULL, NULL, 6);
    }
    static const char *const sub[] = {"vadd_nospv", "vadd_garbage", "vadd_outside"};
    char p[512];
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof(p), "%s/%s/vector_add.spv", tmp_dir, sub[i]);
        unlink(p);
        snprintf(p, sizeof(p), "%s/%s/model.ini", tmp_dir, sub[i]);
        unlink(p);
        snprintf(p, sizeof(p), "%s/%s", tmp_dir, sub[i]);
        rmdir(p);
    }
    rmdir(tmp_dir);
    printf("%s\n", fails ? "FAIL" : "PASS");
    return fails ? 1 : 0;
}
