/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_model_table.c - the generated model table (cmake/gen_model_table.cmake)
 * and the bridge's registry (bridge/registry.c) read the same catalogue the
 * same way:
 *  - the table this build generated from models/ (zenedge_models.h, compiled
 *    in) holds exactly the models, ids and byte lengths bridge_registry_load()
 *    reads from models/;
 *  - for catalogues written here, good and malformed, the generator (run as
 *    the build runs it) accepts what the registry accepts, with the same
 *    table, and refuses what it refuses, with the registry's own message;
 *  - a model folder added or removed changes the table.
 * Arguments: the models folder, the cmake program, the generator script.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "bridge_errors.h"
#include "proxy.h"
#include "registry.h"
#include "zenedge_models.h"

static const char *models_dir, *cmake_cmd, *gen_script;
static char root[256], cat_dir[300], out_h[300], gen_log[300];

static void rm_rf(const char *path)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
    assert_int_equal(system(cmd), 0);
}

static void write_model(const char *sub, const char *ini)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", cat_dir, sub);
    mkdir(p, 0755);
    snprintf(p, sizeof(p), "%s/%s/model.ini", cat_dir, sub);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(ini, 1, strlen(ini), f), strlen(ini));
    fclose(f);
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

/* Run the generator on cat_dir; its exit status, and the first line it
 * printed (the error line when it refuses) in line. */
static int run_gen(char *line, size_t len)
{
    char cmd[2048];
    unlink(out_h);
    snprintf(cmd, sizeof(cmd), "'%s' -DMODELS_DIR='%s' -DOUT='%s' -P '%s' >'%s' 2>&1", cmake_cmd, cat_dir, out_h,
             gen_script, gen_log);
    int st = system(cmd);
    const char *log = read_text(gen_log);
    line[0] = '\0';
    if (log != NULL)
        snprintf(line, len, "%.*s", (int)strcspn(log, "\n"), log);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void want_line(const char *text, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void want_line(const char *text, const char *fmt, ...)
{
    char l[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l, sizeof(l), fmt, ap);
    va_end(ap);
    if (strstr(text, l) == NULL)
        fail_msg("generated table lacks '%s'", l);
}

static void want_no_line(const char *text, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void want_no_line(const char *text, const char *fmt, ...)
{
    char l[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l, sizeof(l), fmt, ap);
    va_end(ap);
    if (strstr(text, l) != NULL)
        fail_msg("generated table has '%s', not in the registry", l);
}

/* The header text generated for cat_dir holds the registry's models, and
 * nothing more, sorted by id. */
static void header_matches(const char *text, const bridge_registry_t *reg)
{
    want_line(text, "#define ZEN_MODEL_COUNT %uu\n", reg->n_models);
    const char *list = strstr(text, "#define ZEN_MODELS_INIT");
    assert_non_null(list);
    const char *prev = list;
    for (uint32_t i = 0; i < reg->n_models; i++) {
        const bridge_model_t *m = reg->models[i];
        char up[BRIDGE_NAME_MAX];
        for (size_t k = 0; k < sizeof(up); k++)
            up[k] = (char)toupper((unsigned char)m->name[k]);
        want_line(text, "#define ZEN_MODEL_%s %uu\n", up, m->id);
        want_line(text, "#define ZEN_MODEL_%s_N_IN %uu\n", up, m->n_in);
        want_line(text, "#define ZEN_MODEL_%s_N_OUT %uu\n", up, m->n_out);
        for (uint32_t k = 0; k < m->n_in; k++)
            want_line(text, "#define ZEN_MODEL_%s_IN%u_BYTES %uu\n", up, k, m->in[k].bytes);
        for (uint32_t k = 0; k < m->n_out; k++)
            want_line(text, "#define ZEN_MODEL_%s_OUT%u_BYTES %uu\n", up, k, m->out[k].bytes);
        want_no_line(text, "#define ZEN_MODEL_%s_IN%u_BYTES ", up, m->n_in);
        want_no_line(text, "#define ZEN_MODEL_%s_OUT%u_BYTES ", up, m->n_out);
        char init[64];
        snprintf(init, sizeof(init), "ZEN_MODEL_%s_INIT", up);
        const char *at = strstr(list, init);
        if (at == NULL || at < prev)
            fail_msg("ZEN_MODELS_INIT does not list %s in id order", init);
        prev = at;
    }
}

/* The table compiled into this test, against the registry on models/. */
static void test_built_table(void **state)
{
    (void)state;
    static const proxy_model_t table[] = {ZEN_MODELS_INIT};
    static const char *const names[] = {ZEN_MODEL_NAMES};
    bridge_registry_t reg;
    char err[512] = "";
    int rc = bridge_registry_load(&reg, models_dir, err, sizeof(err));
    if (rc != BRIDGE_OK)
        fail_msg("%s: %s", bridge_strerror(rc), err);
    assert_int_equal(ZEN_MODEL_COUNT, reg.n_models);
    assert_int_equal(sizeof(table) / sizeof(table[0]), reg.n_models);
    assert_int_equal(sizeof(names) / sizeof(names[0]), reg.n_models);
    for (uint32_t i = 0; i < reg.n_models; i++) {
        const bridge_model_t *m = reg.models[i]; /* sorted by id, as the table */
        assert_int_equal(table[i].id, m->id);
        assert_string_equal(names[i], m->name);
        assert_int_equal(table[i].n_in, m->n_in);
        assert_int_equal(table[i].n_out, m->n_out);
        for (uint32_t k = 0; k < IPC_MAX_TENSORS; k++) {
            assert_int_equal(table[i].in_len[k], k < m->n_in ? m->in[k].bytes : 0u);
            assert_int_equal(table[i].out_len[k], k < m->n_out ? m->out[k].bytes : 0u);
        }
    }
    /* The names the x86 guest and the demos use. */
    assert_ptr_equal(bridge_registry_find(&reg, ZEN_MODEL_VECTOR_ADD), bridge_registry_find_name(&reg, "vector_add"));
    assert_ptr_equal(bridge_registry_find(&reg, ZEN_MODEL_DIGITS_MLP), bridge_registry_find_name(&reg, "digits_mlp"));
    bridge_registry_free(&reg);
}

/* ---- one catalogue, both readers ----------------------------------------- */
static int setup(void **state)
{
    (void)state;
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(root, sizeof(root), "%s/zenedge-test-model-table-%d", tmp, (int)getpid());
    snprintf(cat_dir, sizeof(cat_dir), "%s/models", root);
    snprintf(out_h, sizeof(out_h), "%s/zenedge_models.h", root);
    snprintf(gen_log, sizeof(gen_log), "%s/gen.log", root);
    rm_rf(root);
    assert_int_equal(mkdir(root, 0755), 0);
    return 0;
}

static void fresh_catalogue(void)
{
    rm_rf(cat_dir);
    assert_int_equal(mkdir(cat_dir, 0755), 0);
}

#define GOOD_ADD                                          \
    "[model]\nid = 1\nname = vector_add\nresult = none\n" \
    "[input.0]\nname = a\ndtype = i32\nshape = 1024\n"    \
    "[input.1]\nname = b\ndtype = i32\nshape = 1024\n"    \
    "[output.0]\nname = c\ndtype = i32\nshape = 1024\n"   \
    "[backend.cpu]\nkernel = vector_add_i32\n"
#define HDR  "[model]\nid = 5\nname = m5\n"
#define IN0  "[input.0]\nname = x\ndtype = f32\nshape = 4\n"
#define OUT0 "[output.0]\nname = y\ndtype = f32\nshape = 4\n"

typedef enum { AGREE, GEN_ONLY_ACCEPTS } expect_t;

/* a_good plus the manifest ini: both accept with the same table, or both
 * refuse with the same message. GEN_ONLY_ACCEPTS: the registry refuses
 * for a weight file, which the generator does not open. */
static void both(const char *ini, expect_t ex)
{
    fresh_catalogue();
    write_model("a_good", GOOD_ADD);
    write_model("z_case", ini);
    bridge_registry_t reg;
    char err[512] = "", line[512];
    int rc = bridge_registry_load(&reg, cat_dir, err, sizeof(err));
    int gen = run_gen(line, sizeof(line));
    if (ex == GEN_ONLY_ACCEPTS) {
        if (rc != BRIDGE_E_WEIGHTS || gen != 0)
            fail_msg("registry %s (%s), generator %d (%s)\nmanifest:\n%s", bridge_strerror(rc), err, gen, line, ini);
        return;
    }
    if (rc == BRIDGE_OK) {
        if (gen != 0)
            fail_msg("the registry accepts, the generator refuses: %s\nmanifest:\n%s", line, ini);
        header_matches(read_text(out_h), &reg);
        bridge_registry_free(&reg);
        return;
    }
    if (gen == 0)
        fail_msg("the registry refuses (%s), the generator accepts\nmanifest:\n%s", err, ini);
    if (strcmp(line, err) != 0)
        fail_msg("messages differ:\n  registry:  %s\n  generator: %s", err, line);
}

static void test_good_manifests(void **state)
{
    (void)state;
    both(HDR IN0 OUT0, AGREE);
    both("; comment\n# another\n\n[model] ; after the section\nid = 007 ; seven\nname : m5\n"
         "description = a;b [c] d ; comment\nresult = argmax\n" IN0 OUT0,
         AGREE);
    both(HDR "[input.0]\nname = x\ndtype = float32\nshape = 2 x 2,,3\n"
             "[input.1]\nname = z\ndtype = uint8\nshape = x5\n"
             "[output.0]\nname = y\ndtype = int32\nshape = 1,1,1,7\n",
         AGREE);
    /* An indented line continues the key above: the shape is 8. */
    both(HDR "[input.0]\nname = x\ndtype = f32\nshape = 4\n    8\n" OUT0, AGREE);
    both("\xEF\xBB\xBF[model]\r\nid = 5\r\nname = m5\r\n[input.0]\r\nname = x\r\ndtype = u8\r\nshape = 3\r\n"
         "[output.0]\r\nname = y\r\ndtype = u8\r\nshape = 3\r\n",
         AGREE);
    both("[model]junk\nid = 5\nname = m5\n" IN0 OUT0 "[weight.0]\nname = w\ndtype = f32\nshape = 4\nfile = w.f32\n"
         "[dataset]\nx = tx.f32\ny = ty.u8\n[backend.opencl]\nsource = m.cl\n",
         GEN_ONLY_ACCEPTS);
    both(HDR IN0 OUT0 "[input.0]\nshape = 16777216\n", AGREE); /* 64 MiB exactly */
}

static void test_malformed_manifests(void **state)
{
    (void)state;
    /* bridge/registry.c's rules, as tests/bridge/test_registry.c lists them */
    both("[model]\nname = m5\n" IN0 OUT0, AGREE);
    both("[model]\nid = 0\nname = m5\n" IN0 OUT0, AGREE);
    both("[model]\nid = 70000\nname = m5\n" IN0 OUT0, AGREE);
    both("[model]\nid = 5x\nname = m5\n" IN0 OUT0, AGREE);
    both("[model]\nid = 4294967296\nname = m5\n" IN0 OUT0, AGREE);
    both("[model]\nid = 5\n" IN0 OUT0, AGREE);
    both("[model]\nid = 5\nname = Bad-Name\n" IN0 OUT0, AGREE);
    both("[model]\nid = 5\nname = abcdefghijklmnopqrstuvwxyz_789012\n" IN0 OUT0, AGREE);
    both(HDR "colour = blue\n" IN0 OUT0, AGREE);
    both(HDR "= 5\n" IN0 OUT0, AGREE);
    both(HDR "result = softmax\n" IN0 OUT0, AGREE);
    both(HDR OUT0, AGREE);
    both(HDR IN0, AGREE);
    both(IN0 OUT0, AGREE);
    both(HDR IN0 "[input.2]\nname = z\ndtype = f32\nshape = 4\n" OUT0, AGREE);
    both(HDR IN0 "[input.4]\nname = z\n" OUT0, AGREE);
    both(HDR IN0 "[input.x]\nname = z\n" OUT0, AGREE);
    both(HDR "[input.0]\nname = x\nshape = 4\n" OUT0, AGREE);
    both(HDR "[input.0]\nname = x\ndtype = f64\nshape = 4\n" OUT0, AGREE);
    both(HDR "[input.0]\nname = x\ndtype = f32\n" OUT0, AGREE);
    both(HDR "[input.0]\nname = x\ndtype = f32\nshape = 4,0\n" OUT0, AGREE);
    both(HDR "[input.0]\nname = x\ndtype = f32\nshape = 4;\n" OUT0, AGREE);
    both(HDR "[input.0]\nname = x\ndtype = f32\nshape = 2,2,2,2,2\n" OUT0, AGREE);
    both(HDR "[input.0]\nname = x\ndtype = f32\nshape = 65536,65536\n" OUT0, AGREE);
    both(HDR "[input.0]\nname = x\ndtype = f32\nshape = 16777217\n" OUT0, AGREE);
    both(HDR "[input.0]\nname = x\ndtype = f32\nshape = -4\n" OUT0, AGREE);
    both(HDR "[input.0]\nname = x\ndtype = f32\nshape = ; none\n" OUT0, AGREE);
    both(HDR "[input.0]\ndtype = f32\nshape = 4\n" OUT0, AGREE);
    both(HDR "[input.0]\nname =\ndtype = f32\nshape = 4\n" OUT0, AGREE);
    both(HDR IN0 "[output.0]\nname = y\ndtype = i32\nshape = 4\n[model]\nresult = argmax\n", AGREE);
    both(HDR IN0 OUT0 "[weight.0]\nname = w\ndtype = f32\nshape = 4\n", AGREE);
    both(HDR IN0 OUT0 "[weight.0]\nname = w\ndtype = f32\nshape = 4\nfile = ../w.f32\n", AGREE);
    both(HDR IN0 OUT0 "[weight.0]\nname = w\ndtype = f32\nshape = 4\nfile = w.f32\n"
                      "[weight.1]\nname = w\ndtype = f32\nshape = 4\nfile = v.f32\n",
         AGREE);
    both(HDR IN0 OUT0 "[weight.8]\nname = w\n", AGREE);
    both(HDR IN0 OUT0 "[dataset]\nz = q\n", AGREE);
    both(HDR IN0 OUT0 "[dataset]\nx = .hidden\n", AGREE);
    both(HDR IN0 OUT0 "[backend.Cpu]\nkernel = k\n", AGREE);
    both(HDR IN0 OUT0 "[backend.cpu]\nKernel = k\n", AGREE);
    both(HDR IN0 OUT0 "[extra]\nk = v\n", AGREE);
    both(HDR IN0 OUT0 "[backend.cpu]\nk0=v\nk1=v\nk2=v\nk3=v\nk4=v\nk5=v\nk6=v\nk7=v\n"
                      "[backend.opencl]\nk8=v\nk9=v\nk10=v\nk11=v\nk12=v\nk13=v\nk14=v\nk15=v\n",
         AGREE);
    both(HDR IN0 OUT0 "[backend.cpu]\nk0=v\nk1=v\nk2=v\nk3=v\nk4=v\nk5=v\nk6=v\nk7=v\n"
                      "[backend.opencl]\nk8=v\nk9=v\nk10=v\nk11=v\nk12=v\nk13=v\nk14=v\nk15=v\nk16=v\n",
         AGREE);
    both(HDR IN0 OUT0 "this line is not ini\n", AGREE);
    both(HDR IN0 OUT0 "[output.1\n", AGREE);
    both("id = 5\n" HDR IN0 OUT0, AGREE);
    /* Duplicates against a_good (id 1, name vector_add). */
    both("[model]\nid = 1\nname = other\n" IN0 OUT0, AGREE);
    both("[model]\nid = 6\nname = vector_add\n" IN0 OUT0, AGREE);
}

/* What only the table refuses: a name whose macro another name makes. */
static void test_macro_clash(void **state)
{
    (void)state;
    fresh_catalogue();
    write_model("a_good", GOOD_ADD);
    write_model("b_count", "[model]\nid = 7\nname = count\n" IN0 OUT0);
    char line[512];
    assert_int_not_equal(run_gen(line, sizeof(line)), 0);
    if (strstr(line, "b_count/model.ini: [model] name: 'count'") == NULL || strstr(line, "ZEN_MODEL_COUNT") == NULL)
        fail_msg("message '%s' does not name the file, the key and the macro", line);
    fresh_catalogue();
    write_model("a_good", GOOD_ADD);
    write_model("b_vec", "[model]\nid = 7\nname = vector_add_n_in\n" IN0 OUT0);
    assert_int_not_equal(run_gen(line, sizeof(line)), 0);
    assert_non_null(strstr(line, "ZEN_MODEL_VECTOR_ADD_N_IN"));
}

/* A folder added, then removed, with no other edit: the table follows. */
static void test_folder_added(void **state)
{
    (void)state;
    fresh_catalogue();
    write_model("vector_add", GOOD_ADD);
    char line[512];
    assert_int_equal(run_gen(line, sizeof(line)), 0);
    assert_null(strstr(read_text(out_h), "ZEN_MODEL_M5"));
    write_model("m5", HDR IN0 OUT0);
    char p[512];
    snprintf(p, sizeof(p), "%s/not_a_model", cat_dir); /* no model.ini: ignored */
    assert_int_equal(mkdir(p, 0755), 0);
    snprintf(p, sizeof(p), "%s/.hidden", cat_dir); /* hidden: ignored */
    assert_int_equal(mkdir(p, 0755), 0);
    write_model(".hidden", "not even ini\n");
    assert_int_equal(run_gen(line, sizeof(line)), 0);
    bridge_registry_t reg;
    char err[512];
    assert_int_equal(bridge_registry_load(&reg, cat_dir, err, sizeof(err)), BRIDGE_OK);
    assert_int_equal(reg.n_models, 2);
    const char *text = read_text(out_h);
    header_matches(text, &reg);
    assert_non_null(strstr(text, "#define ZEN_MODEL_M5 5u\n"));
    bridge_registry_free(&reg);
    snprintf(p, sizeof(p), "%s/m5", cat_dir);
    rm_rf(p);
    assert_int_equal(run_gen(line, sizeof(line)), 0);
    text = read_text(out_h);
    assert_null(strstr(text, "ZEN_MODEL_M5"));
    assert_non_null(strstr(text, "#define ZEN_MODEL_COUNT 1u\n"));
    /* An empty catalogue is refused by both. */
    fresh_catalogue();
    assert_int_not_equal(run_gen(line, sizeof(line)), 0);
    assert_int_equal(bridge_registry_load(&reg, cat_dir, err, sizeof(err)), BRIDGE_E_NO_MODELS);
    assert_string_equal(line, err);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s MODELS_DIR CMAKE GEN_SCRIPT\n", argv[0]);
        return 2;
    }
    models_dir = argv[1];
    cmake_cmd = argv[2];
    gen_script = argv[3];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_built_table),         cmocka_unit_test(test_good_manifests),
        cmocka_unit_test(test_malformed_manifests), cmocka_unit_test(test_macro_clash),
        cmocka_unit_test(test_folder_added),
    };
    int rc = cmocka_run_group_tests(tests, setup, NULL);
    rm_rf(root);
    return rc ? 1 : 0;
}
