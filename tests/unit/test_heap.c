/* SPDX-License-Identifier: BSD-3-Clause */
/* test_heap: the size-class tensor heap: fit, exhaustion, bad frees, and
 * that blocks stay inside the region's heap and never overlap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "zenedge/ipc_errors.h"
#include "zenedge/ipc_heap.h"

#define REGION (512u * 1024u)

typedef struct {
    uint8_t *mem;
    ipc_region_t v;
    ipc_heap_t h;
    uint32_t links[4096];
} fixture_t;

static const ipc_heap_class_cfg_t classes[] = {
    {64, 16},
    {256, 8},
    {4096, 4},
    {16384, 0},
};

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    f->mem = aligned_alloc(4096, REGION);
    ipc_region_config_t cfg;
    ipc_region_config_default(&cfg, REGION);
    cfg.max_jobs = 16;
    cfg.sq_slots = 16;
    assert_int_equal(ipc_region_init(&f->v, f->mem, &cfg), IPC_OK);
    assert_int_equal(ipc_heap_init(&f->h, &f->v, classes, 4, f->links, 4096), IPC_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    free(f->mem);
    free(f);
    return 0;
}

static void test_config_rejected(void **state)
{
    fixture_t *f = *state;
    ipc_heap_t h;
    uint32_t links[8];
    const ipc_heap_class_cfg_t unordered[] = {{256, 1}, {64, 1}};
    const ipc_heap_class_cfg_t unaligned[] = {{100, 1}};
    const ipc_heap_class_cfg_t too_big[] = {{64, 100000000}};
    assert_int_equal(ipc_heap_init(&h, &f->v, unordered, 2, links, 8), IPC_E_HEAP_CONFIG);
    assert_int_equal(ipc_heap_init(&h, &f->v, unaligned, 1, links, 8), IPC_E_HEAP_CONFIG);
    assert_int_equal(ipc_heap_init(&h, &f->v, too_big, 1, links, 8), IPC_E_HEAP_CONFIG);
    assert_int_equal(ipc_heap_init(&h, &f->v, classes, 4, links, 8), IPC_E_HEAP_CONFIG); /* links short */
    assert_int_equal(ipc_heap_init(&h, &f->v, classes, 0, links, 8), IPC_E_HEAP_CONFIG);
    assert_int_equal(ipc_heap_init(&h, &f->v, classes, 4, NULL, 8), IPC_E_INVAL);
    assert_true(ipc_heap_links_needed(f->v.heap_size, classes, 4) > 28);
    assert_int_equal(ipc_heap_links_needed(f->v.heap_size, unordered, 2), 0);
}

static void test_smallest_fit(void **state)
{
    fixture_t *f = *state;
    ipc_tensor_ref_t r;
    assert_int_equal(ipc_heap_alloc(&f->h, 40, &r), IPC_OK);
    assert_int_equal(r.len, 40);
    assert_true(r.off >= f->v.heap_off && r.off < f->h.cls[1].first_off);
    assert_int_equal(ipc_heap_alloc(&f->h, 200, &r), IPC_OK);
    assert_true(r.off >= f->h.cls[1].first_off && r.off < f->h.cls[2].first_off);
    assert_int_equal(ipc_heap_alloc(&f->h, 16384, &r), IPC_OK);
    assert_true(r.off >= f->h.cls[3].first_off);
    assert_int_equal(ipc_heap_alloc(&f->h, 16385, &r), IPC_E_HEAP_TOO_BIG);
    assert_int_equal(ipc_heap_alloc(&f->h, 0, &r), IPC_E_INVAL);
}

static void test_spill_to_larger_then_exhaust(void **state)
{
    fixture_t *f = *state;
    ipc_tensor_ref_t r;
    uint32_t total = 0;
    for (uint32_t i = 0; i < f->h.n_classes; i++)
        total += f->h.cls[i].count;
    uint32_t got = 0;
    while (ipc_heap_alloc(&f->h, 64, &r) == IPC_OK) {
        assert_true(ipc_region_in_heap(&f->v, r.off, r.len));
        got++;
    }
    assert_int_equal(got, total); /* small requests spill into bigger classes */
    assert_int_equal(ipc_heap_free_bytes(&f->h), 0);
    assert_int_equal(ipc_heap_alloc(&f->h, 64, &r), IPC_E_HEAP_EXHAUSTED);
    assert_int_equal(f->h.failed, 2); /* the loop's last try and this one */
}

static void test_bad_frees(void **state)
{
    fixture_t *f = *state;
    ipc_tensor_ref_t r;
    assert_int_equal(ipc_heap_alloc(&f->h, 300, &r), IPC_OK);
    assert_int_equal(ipc_heap_free(&f->h, r.off + 8), IPC_E_HEAP_BAD_FREE);          /* not a start */
    assert_int_equal(ipc_heap_free(&f->h, f->v.heap_off - 64), IPC_E_HEAP_BAD_FREE); /* outside */
    assert_int_equal(ipc_heap_free(&f->h, r.off), IPC_OK);
    assert_int_equal(ipc_heap_free(&f->h, r.off), IPC_E_HEAP_BAD_FREE); /* double */
    assert_int_equal(f->h.bad_frees, 3);
}

static void test_no_overlap_random(void **state)
{
    fixture_t *f = *state;
    ipc_tensor_ref_t live[64];
    uint32_t n = 0;
    uint32_t seed = 12345;
    uint32_t before = ipc_heap_free_bytes(&f->h);
    for (int step = 0; step < 20000; step++) {
        seed = seed * 1103515245u + 12345u;
        if (n > 0 && (seed >> 16) % 3 == 0) {
            uint32_t k = (seed >> 8) % n;
            assert_int_equal(ipc_heap_free(&f->h, live[k].off), IPC_OK);
            live[k] = live[--n];
            continue;
        }
        if (n == 64)
            continue;
        uint32_t len = 1 + (seed >> 4) % 16384;
        ipc_tensor_ref_t r;
        int err = ipc_heap_alloc(&f->h, len, &r);
        if (err == IPC_E_HEAP_EXHAUSTED)
            continue;
        assert_int_equal(err, IPC_OK);
        assert_true(ipc_region_in_heap(&f->v, r.off, r.len));
        assert_int_equal(r.off % IPC_CACHELINE, 0);
        for (uint32_t j = 0; j < n; j++)
            assert_true(r.off + r.len <= live[j].off || live[j].off + live[j].len <= r.off);
        live[n++] = r;
    }
    while (n > 0)
        assert_int_equal(ipc_heap_free(&f->h, live[--n].off), IPC_OK);
    assert_int_equal(ipc_heap_free_bytes(&f->h), before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_config_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_smallest_fit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spill_to_larger_then_exhaust, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_frees, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_overlap_random, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
