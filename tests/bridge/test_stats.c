/* SPDX-License-Identifier: BSD-3-Clause */
/* test_stats.c - bridge/stats.c and bridge/bridge_errors.c: the stats file's keys (per-model counters by registry name, latency stages named as lat_stage_name()), the dump to --stats-file, and error names generated from BRIDGE_ERROR_LIST. */
#define _GNU_SOURCE /* open_memstream, mkdtemp */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bridge_errors.h"
#include "stats.h"

static bridge_model_t m_add = {.id = 1, .name = "vector_add"};
static bridge_model_t m_mlp = {.id = 9, .name = "digits_mlp"};

static char *written(const bridge_stats_t *s, const bridge_registry_t *reg)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    bridge_stats_write(s, reg, f);
    fclose(f);
    return buf;
}

/* Value of "key value" in text, or -1 when the key is absent. */
static long long value_of(const char *text, const char *key)
{
    size_t kl = strlen(key);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, key, kl) == 0 && p[kl] == ' ')
            return atoll(p + kl + 1);
    return -1;
}

static void test_stage_names(void **state)
{
    (void)state;
    for (uint32_t st = 0; st < BRIDGE_LAT_PICKUP_POSTED; st++)
        assert_string_equal(bridge_lat_name(st), lat_stage_name(st)); /* the project's names */
    assert_string_equal(bridge_lat_name(BRIDGE_LAT_SUBMIT_PICKUP), "submit->pickup");
    assert_string_equal(bridge_lat_name(BRIDGE_LAT_END_COMPLETE), "end->complete");
    assert_string_equal(bridge_lat_name(BRIDGE_LAT_PICKUP_POSTED), "pickup->posted");
    assert_string_equal(bridge_lat_name(BRIDGE_LAT_COUNT), "?");
}

static void test_keys(void **state)
{
    (void)state;
    bridge_registry_t reg = {.n_models = 2, .models = {&m_add, &m_mlp}};
    bridge_stats_t *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    bridge_stats_init(s);
    s->model_run[bridge_registry_index(&reg, &m_mlp)] += 5;
    s->model_run[bridge_registry_index(&reg, &m_add)] += 2;
    s->tx_job_done = 7;
    bridge_stats_lat_add(s, BRIDGE_LAT_BACKEND, 3000);
    bridge_stats_lat_add(s, BRIDGE_LAT_BACKEND, 5000);
    bridge_stats_lat_add(s, BRIDGE_LAT_PICKUP_POSTED, 100000);
    char *t = written(s, &reg);
    assert_int_equal(value_of(t, "model.vector_add.run"), 2);
    assert_int_equal(value_of(t, "model.digits_mlp.run"), 5);
    assert_int_equal(value_of(t, "model1.jobs"), -1); /* the per-id keys are gone */
    assert_int_equal(value_of(t, "tx.job_done"), 7);
    assert_int_equal(value_of(t, "lat.backend.count"), 2);
    assert_int_equal(value_of(t, "lat.backend.avg_ns"), 4000);
    assert_int_equal(value_of(t, "lat.backend.min_ns"), 3000);
    assert_int_equal(value_of(t, "lat.backend.max_ns"), 5000);
    long long p50 = value_of(t, "lat.backend.p50_ns");
    assert_true(p50 >= 3000 && p50 <= 5000); /* an upper bucket edge, clamped to the largest */
    assert_int_equal(value_of(t, "lat.pickup->posted.count"), 1);
    assert_int_equal(value_of(t, "lat.submit->pickup.count"), 0);
    assert_int_equal(value_of(t, "lat.submit->pickup.min_ns"), 0); /* empty: 0, not UINT64_MAX */
    assert_int_equal(value_of(t, "status.OK"), 0);
    free(t);
    free(s);
    assert_int_equal(bridge_registry_index(&reg, NULL), -1);
    bridge_model_t other = {.id = 1, .name = "vector_add"};
    assert_int_equal(bridge_registry_index(&reg, &other), -1); /* not one of reg's */
}

static void test_dump_file(void **state)
{
    (void)state;
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char dir[200];
    snprintf(dir, sizeof(dir), "%s/zenedge-stats-XXXXXX", tmp);
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/stats", dir);
    bridge_registry_t reg = {.n_models = 1, .models = {&m_add}};
    bridge_stats_t *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    bridge_stats_init(s);
    s->model_run[0] = 3;
    bridge_stats_now_t now = {.reason = "exit",
                              .uptime_ms = 12,
                              .attached = 1,
                              .epoch = 4,
                              .pending = 2,
                              .n_sq = 2,
                              .ring_fill = {5, 6},
                              .cq_fill = 1};
    bridge_stats_dump(s, &reg, &now, path);
    bridge_stats_dump(s, &reg, &now, path);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char text[16384];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    assert_int_equal(value_of(text, "dump_seq"), 2);
    assert_int_equal(value_of(text, "epoch"), 4);
    assert_int_equal(value_of(text, "pending"), 2);
    assert_int_equal(value_of(text, "ring1.fill"), 6);
    assert_int_equal(value_of(text, "model.vector_add.run"), 3);
    unlink(path);
    assert_int_equal(rmdir(dir), 0); /* no temporary file left behind */
    free(s);
}

static void test_error_names(void **state)
{
    (void)state;
    assert_string_equal(bridge_strerror(BRIDGE_OK), "BRIDGE_OK");
    assert_string_equal(bridge_strerror(BRIDGE_E_INVAL), "BRIDGE_E_INVAL");
    assert_string_equal(bridge_strerror(BRIDGE_E_BUSY), "BRIDGE_E_BUSY");
    assert_string_equal(bridge_strerror(BRIDGE_E_SYS), "BRIDGE_E_SYS");
    assert_string_equal(bridge_strerror(BRIDGE_E_LAST), "BRIDGE_E_?");
    assert_string_equal(bridge_strerror(-1001), "BRIDGE_E_?");
    assert_string_equal(bridge_strdesc(BRIDGE_E_MANIFEST), "a model manifest is malformed");
    assert_string_equal(bridge_strdesc(12345), "?");
    /* Every code of the list: its name is its enumerator, in order, no gap. */
#define CHECK_(name, value, meaning)                    \
    assert_int_equal(name, value);                      \
    assert_string_equal(bridge_strerror(value), #name); \
    assert_string_equal(bridge_strdesc(value), meaning);
    BRIDGE_ERROR_LIST(CHECK_)
#undef CHECK_
    for (int e = BRIDGE_E_BASE - 1; e > BRIDGE_E_LAST; e--)
        assert_int_equal(strncmp(bridge_strerror(e), "BRIDGE_E_", 9), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stage_names),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_dump_file),
        cmocka_unit_test(test_error_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
