/* SPDX-License-Identifier: BSD-3-Clause */
/* test_registry.c - bridge/registry.c: good manifests load, each malformed manifest is refused naming file and field. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "bridge_errors.h"
#include "registry.h"

static char root[256];

static void rm_rf(const char *path)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
    assert_int_equal(system(cmd), 0);
}

static void write_file(const char *dir, const char *name, const void *data, size_t len)
{
    char p[512];
    mkdir(dir, 0755);
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void write_model(const char *sub, const char *ini)
{
    char d[512];
    snprintf(d, sizeof(d), "%s/%s", root, sub);
    write_file(d, "model.ini", ini, strlen(ini));
}

static int setup(void **state)
{
    (void)state;
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(root, sizeof(root), "%s/zenedge-test-registry-%d", tmp, (int)getpid());
    rm_rf(root);
    assert_int_equal(mkdir(root, 0755), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rm_rf(root);
    mkdir(root, 0755);
    return 0;
}

static const char *const GOOD_ADD = "[model]\nid = 1\nname = vector_add\nresult = none\n"
                                    "[input.0]\nname = a\ndtype = i32\nshape = 1024\n"
                                    "[input.1]\nname = b\ndtype = i32\nshape = 1024\n"
                                    "[output.0]\nname = c\ndtype = i32\nshape = 1024\n"
                                    "[backend.cpu]\nkernel = vector_add_i32\n";

static const char *const GOOD_MLP =
    "; comment\n[model]\nid = 9\nname = tiny_mlp\nresult = argmax\ndescription = two layers\n"
    "[input.0]\nname = x\ndtype = f32\nshape = 4\n"
    "[output.0]\nname = logits\ndtype = f32\nshape = 2\n"
    "[weight.0]\nname = w1\ndtype = f32\nshape = 4,3\nfile = w1.f32\n"
    "[weight.1]\nname = b1\ndtype = f32\nshape = 3\nfile = b1.f32\n"
    "[dataset]\nx = tx.f32\ny = ty.u8\n"
    "[backend.cpu]\nkernel = mlp_relu_f32\n"
    "[backend.opencl]\nsource = mlp.cl\nkernel = mlp\n";

static void test_good(void **state)
{
    teardown(state);
    write_model("b_add", GOOD_ADD);
    write_model("a_mlp", GOOD_MLP);
    float w1[12] = {0}, b1[3] = {1, 2, 3};
    char d[512];
    snprintf(d, sizeof(d), "%s/a_mlp", root);
    write_file(d, "w1.f32", w1, sizeof(w1));
    write_file(d, "b1.f32", b1, sizeof(b1));
    snprintf(d, sizeof(d), "%s/no_manifest_here", root);
    mkdir(d, 0755);

    bridge_registry_t reg;
    char err[512] = "";
    int rc = bridge_registry_load(&reg, root, err, sizeof(err));
    if (rc != BRIDGE_OK)
        fail_msg("load: %s: %s", bridge_strerror(rc), err);
    assert_int_equal(reg.n_models, 2);
    assert_int_equal(reg.models[0]->id, 1); /* sorted by id */
    assert_int_equal(reg.models[1]->id, 9);
    const bridge_model_t *m = bridge_registry_find(&reg, 9);
    assert_non_null(m);
    assert_ptr_equal(bridge_registry_find_name(&reg, "tiny_mlp"), m);
    assert_null(bridge_registry_find(&reg, 2));
    assert_null(bridge_registry_find(&reg, 0));
    assert_int_equal(m->result, BRIDGE_RESULT_ARGMAX);
    assert_int_equal(m->n_in, 1);
    assert_int_equal(m->in[0].bytes, 16);
    assert_int_equal(m->out[0].bytes, 8);
    assert_int_equal(m->n_weights, 2);
    const bridge_weight_t *w = bridge_model_weight(m, "b1");
    assert_non_null(w);
    assert_int_equal(w->spec.bytes, 12);
    assert_memory_equal(w->data, b1, sizeof(b1));
    assert_int_equal(bridge_model_weight(m, "w1")->spec.n_dims, 2);
    assert_string_equal(bridge_model_opt(m, "opencl", "source"), "mlp.cl");
    assert_string_equal(bridge_model_opt(m, "cpu", "kernel"), "mlp_relu_f32");
    assert_null(bridge_model_opt(m, "cuda", "kernel"));
    const bridge_model_t *a = bridge_registry_find(&reg, 1);
    assert_int_equal(a->n_in, 2);
    assert_int_equal(a->in[1].bytes, 4096);
    /* The data set is optional and absent here. */
    float *x;
    uint8_t *y;
    uint32_t n;
    assert_int_equal(bridge_model_dataset(m, &x, &y, &n, err, sizeof(err)), BRIDGE_E_IO);
    bridge_registry_free(&reg);
    assert_int_equal(reg.n_models, 0);
}

/* One malformed manifest (plus a good one); the error names file and field. */
static void expect_bad(void **state, const char *ini, int code, const char *field)
{
    teardown(state);
    write_model("a_good", GOOD_ADD);
    write_model("z_bad", ini);
    bridge_registry_t reg;
    char err[512] = "";
    int rc = bridge_registry_load(&reg, root, err, sizeof(err));
    if (rc != code)
        fail_msg("expected %s, got %s (%s)\nmanifest:\n%s", bridge_strerror(code), bridge_strerror(rc), err, ini);
    if (strstr(err, "z_bad/model.ini") == NULL || strstr(err, field) == NULL)
        fail_msg("message '%s' does not name the file and '%s'", err, field);
    assert_int_equal(reg.n_models, 0);
    print_message("refused as expected: %s\n", err);
}

#define HDR  "[model]\nid = 5\nname = m5\n"
#define IN0  "[input.0]\nname = x\ndtype = f32\nshape = 4\n"
#define OUT0 "[output.0]\nname = y\ndtype = f32\nshape = 4\n"

static void test_malformed(void **state)
{
    expect_bad(state, "[model]\nname = m5\n" IN0 OUT0, BRIDGE_E_MANIFEST, "[model] id");
    expect_bad(state, "[model]\nid = 0\nname = m5\n" IN0 OUT0, BRIDGE_E_MANIFEST, "[model] id");
    expect_bad(state, "[model]\nid = 70000\nname = m5\n" IN0 OUT0, BRIDGE_E_MANIFEST, "[model] id");
    expect_bad(state, "[model]\nid = 5x\nname = m5\n" IN0 OUT0, BRIDGE_E_MANIFEST, "[model] id");
    expect_bad(state, "[model]\nid = 5\n" IN0 OUT0, BRIDGE_E_MANIFEST, "[model] name");
    expect_bad(state, "[model]\nid = 5\nname = Bad-Name\n" IN0 OUT0, BRIDGE_E_MANIFEST, "[model] name");
    expect_bad(state, HDR "colour = blue\n" IN0 OUT0, BRIDGE_E_MANIFEST, "[model] colour");
    expect_bad(state, HDR "result = softmax\n" IN0 OUT0, BRIDGE_E_MANIFEST, "[model] result");
    expect_bad(state, HDR OUT0, BRIDGE_E_MANIFEST, "[input.0]");
    expect_bad(state, HDR IN0, BRIDGE_E_MANIFEST, "[output.0]");
    expect_bad(state, HDR IN0 "[input.2]\nname = z\ndtype = f32\nshape = 4\n" OUT0, BRIDGE_E_MANIFEST, "[input.1]");
    expect_bad(state, HDR IN0 "[input.4]\nname = z\n" OUT0, BRIDGE_E_MANIFEST, "[input.4]");
    expect_bad(state, HDR "[input.0]\nname = x\nshape = 4\n" OUT0, BRIDGE_E_MANIFEST, "[input.0] dtype");
    expect_bad(state, HDR "[input.0]\nname = x\ndtype = f64\nshape = 4\n" OUT0, BRIDGE_E_MANIFEST, "[input.0] dtype");
    expect_bad(state, HDR "[input.0]\nname = x\ndtype = f32\n" OUT0, BRIDGE_E_MANIFEST, "[input.0] shape");
    expect_bad(state, HDR "[input.0]\nname = x\ndtype = f32\nshape = 4,0\n" OUT0, BRIDGE_E_MANIFEST, "[input.0] shape");
    expect_bad(state, HDR "[input.0]\nname = x\ndtype = f32\nshape = 2,2,2,2,2\n" OUT0, BRIDGE_E_MANIFEST,
               "[input.0] shape");
    expect_bad(state, HDR "[input.0]\nname = x\ndtype = f32\nshape = 65536,65536\n" OUT0, BRIDGE_E_MANIFEST,
               "[input.0] shape");
    expect_bad(state, HDR "[input.0]\nname = x\ndtype = f32\nshape = -4\n" OUT0, BRIDGE_E_MANIFEST, "[input.0] shape");
    expect_bad(state, HDR "[input.0]\ndtype = f32\nshape = 4\n" OUT0, BRIDGE_E_MANIFEST, "[input.0] name");
    expect_bad(state, HDR IN0 "[output.0]\nname = y\ndtype = i32\nshape = 4\n[model]\nresult = argmax\n",
               BRIDGE_E_MANIFEST, "[model] result");
    expect_bad(state, HDR IN0 OUT0 "[weight.0]\nname = w\ndtype = f32\nshape = 4\n", BRIDGE_E_MANIFEST,
               "[weight.0] file");
    expect_bad(state, HDR IN0 OUT0 "[weight.0]\nname = w\ndtype = f32\nshape = 4\nfile = ../w.f32\n", BRIDGE_E_MANIFEST,
               "[weight.0] file");
    expect_bad(state, HDR IN0 OUT0 "[weight.0]\nname = w\ndtype = f32\nshape = 4\nfile = missing.f32\n",
               BRIDGE_E_WEIGHTS, "[weight.0] file");
    expect_bad(state, HDR IN0 OUT0 "[dataset]\nz = q\n", BRIDGE_E_MANIFEST, "[dataset] z");
    expect_bad(state, HDR IN0 OUT0 "[backend.Cpu]\nkernel = k\n", BRIDGE_E_MANIFEST, "[backend.Cpu]");
    expect_bad(state, HDR IN0 OUT0 "[extra]\nk = v\n", BRIDGE_E_MANIFEST, "[extra]");
    expect_bad(state, HDR IN0 OUT0 "this line is not ini\n", BRIDGE_E_MANIFEST, "line");
    /* Duplicates against the good manifest (id 1, name vector_add). */
    expect_bad(state, "[model]\nid = 1\nname = other\n" IN0 OUT0, BRIDGE_E_MODEL_DUP, "[model] id");
    expect_bad(state, "[model]\nid = 6\nname = vector_add\n" IN0 OUT0, BRIDGE_E_MODEL_DUP, "[model] name");
}

static void test_weight_size(void **state)
{
    teardown(state);
    write_model("a_good", GOOD_ADD);
    write_model("z_bad", HDR IN0 OUT0 "[weight.0]\nname = w\ndtype = f32\nshape = 4\nfile = w.f32\n");
    char d[512];
    snprintf(d, sizeof(d), "%s/z_bad", root);
    float w[3] = {0};
    write_file(d, "w.f32", w, sizeof(w)); /* 12 bytes, 16 expected */
    bridge_registry_t reg;
    char err[512] = "";
    assert_int_equal(bridge_registry_load(&reg, root, err, sizeof(err)), BRIDGE_E_WEIGHTS);
    assert_non_null(strstr(err, "[weight.0] file"));
    assert_non_null(strstr(err, "12 bytes"));
    assert_non_null(strstr(err, "16"));
}

static void test_empty_and_missing(void **state)
{
    teardown(state);
    bridge_registry_t reg;
    char err[512] = "";
    assert_int_equal(bridge_registry_load(&reg, root, err, sizeof(err)), BRIDGE_E_NO_MODELS);
    char nodir[300];
    snprintf(nodir, sizeof(nodir), "%s/does-not-exist", root);
    assert_int_equal(bridge_registry_load(&reg, nodir, err, sizeof(err)), BRIDGE_E_IO);
    assert_non_null(strstr(err, "does-not-exist"));
}

/* The shipped manifests (path given by CTest) load, with the contract's sizes. */
static const char *shipped_dir;
static void test_shipped(void **state)
{
    (void)state;
    if (shipped_dir == NULL)
        skip();
    bridge_registry_t reg;
    char err[512] = "";
    int rc = bridge_registry_load(&reg, shipped_dir, err, sizeof(err));
    if (rc != BRIDGE_OK)
        fail_msg("%s: %s", bridge_strerror(rc), err);
    const struct {
        uint32_t id;
        const char *name;
        uint32_t n_in;
        uint32_t in_bytes[3];
        uint32_t out_bytes;
    } want[] = {
        {1, "vector_add", 2, {4096, 4096, 0}, 4096},
        {2, "saxpy", 3, {4, 4096, 4096}, 4096},
        {3, "gemm", 2, {16384, 16384, 0}, 16384},
        {4, "digits_mlp", 1, {256, 0, 0}, 40},
    };
    for (size_t i = 0; i < 4; i++) {
        const bridge_model_t *m = bridge_registry_find(&reg, want[i].id);
        assert_non_null(m);
        assert_string_equal(m->name, want[i].name);
        assert_int_equal(m->n_in, want[i].n_in);
        assert_int_equal(m->n_out, 1);
        for (uint32_t k = 0; k < m->n_in; k++)
            assert_int_equal(m->in[k].bytes, want[i].in_bytes[k]);
        assert_int_equal(m->out[0].bytes, want[i].out_bytes);
    }
    bridge_registry_free(&reg);
}

int main(int argc, char **argv)
{
    shipped_dir = argc > 1 ? argv[1] : NULL;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_weight_size), cmocka_unit_test(test_empty_and_missing),
        cmocka_unit_test(test_shipped),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    rm_rf(root);
    return rc ? 1 : 0;
}
