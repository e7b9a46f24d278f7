/* SPDX-License-Identifier: BSD-3-Clause */
/* test_fixed_layout: with ZEN_CFG_FIXED_LAYOUT (zenedge_rtos_fixed, the
 * geometry of examples/footprint/minimal_cfg.h) proxy_init() lays out the
 * region byte for byte as ipc_region_init() and cuts the heap as
 * ipc_heap_init() do with the same configuration at run time, the bridge
 * attaches to it, and a configuration asking for another geometry is
 * refused with PROXY_E_CONFIG before the region is touched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "port.h"
#include "proxy.h"
#include "zenedge/ipc_heap.h"
#include "zenedge/ipc_region.h"

_Static_assert(ZEN_CFG_FIXED_LAYOUT == 1, "built with the fixed layout");

#define SIZE ZEN_CFG_FIXED_REGION_SIZE

static struct zport port;
static proxy_t proxy;

static void config(proxy_config_t *cfg)
{
    proxy_config_default(cfg, &port, SIZE);
    cfg->max_jobs = ZEN_CFG_MAX_JOBS;
    cfg->n_sq = 1;
    cfg->sq_slots = ZEN_CFG_FIXED_SQ_SLOTS;
    cfg->n_heap_classes = 1;
    cfg->heap[0].block_size = ZEN_CFG_FIXED_HEAP_BLOCK;
    cfg->features = IPC_FEAT_SHARED_CLOCK;
    cfg->epoch = 5;
    cfg->hb_period_us = 7000;
    cfg->sq_weight[0] = 3;
}

static void *region_new(void)
{
    void *r = aligned_alloc(IPC_CACHELINE, SIZE);
    assert_non_null(r);
    memset(r, 0xA5, SIZE); /* what the region held before: every byte the lay-out owns is written */
    return r;
}

static void test_same_region_as_run_time_layout(void **state)
{
    (void)state;
    proxy_config_t cfg;
    config(&cfg);
    uint8_t *fixed = region_new(), *ref = region_new();
    assert_int_equal(proxy_init(&proxy, fixed, &cfg), PROXY_OK);

    ipc_region_config_t rc;
    ipc_region_config_default(&rc, SIZE);
    rc.n_sq = 1;
    rc.sq_slots = ZEN_CFG_FIXED_SQ_SLOTS;
    rc.cq_slots = 0;
    rc.max_jobs = ZEN_CFG_MAX_JOBS;
    rc.features = cfg.features;
    rc.hb_period_us = cfg.hb_period_us;
    rc.epoch = cfg.epoch;
    rc.sq_weight[0] = cfg.sq_weight[0];
    static ipc_region_t v;
    static ipc_heap_t h;
    static uint32_t links[ZEN_CFG_HEAP_MAX_BLOCKS];
    assert_int_equal(ipc_region_init(&v, ref, &rc), IPC_OK);
    assert_int_equal(ipc_heap_init(&h, &v, cfg.heap, 1, links, ZEN_CFG_HEAP_MAX_BLOCKS), IPC_OK);

    assert_memory_equal(fixed, ref, SIZE);
    const ipc_region_t *pv = &proxy.region;
    assert_ptr_equal(pv->base, fixed);
    assert_int_equal(pv->size, v.size);
    assert_int_equal(pv->features, v.features);
    assert_int_equal(pv->n_sq, v.n_sq);
    assert_int_equal(pv->sq_slots, v.sq_slots);
    assert_int_equal(pv->cq_slots, v.cq_slots);
    assert_int_equal(pv->max_jobs, v.max_jobs);
    assert_memory_equal(pv->sq_off, v.sq_off, sizeof(v.sq_off));
    assert_memory_equal(pv->sq_weight, v.sq_weight, sizeof(v.sq_weight));
    assert_int_equal(pv->cq_off, v.cq_off);
    assert_int_equal(pv->jobs_off, v.jobs_off);
    assert_int_equal(pv->heap_off, v.heap_off);
    assert_int_equal(pv->heap_size, v.heap_size);
    assert_ptr_equal((uint8_t *)pv->cq, fixed + v.cq_off);
    assert_ptr_equal((uint8_t *)pv->sq[0], fixed + v.sq_off[0]);
    assert_ptr_equal((uint8_t *)pv->jobs, fixed + v.jobs_off);
    assert_null(pv->trace);

    assert_int_equal(proxy.heap.heap_off, h.heap_off);
    assert_int_equal(proxy.heap.heap_size, h.heap_size);
    assert_int_equal(proxy.heap.n_classes, h.n_classes);
    assert_int_equal(proxy.heap.n_links, h.n_links);
    assert_memory_equal(proxy.heap.cls, h.cls, sizeof(h.cls));
    assert_memory_equal(proxy.heap_links, links, sizeof(links));
    assert_true(h.n_links > 1 && h.n_links <= ZEN_CFG_HEAP_MAX_BLOCKS);

    static ipc_region_t bridge;
    ipc_fault_t fault;
    assert_int_equal(ipc_region_attach(&bridge, fixed, SIZE, &fault), IPC_OK);
    assert_int_equal(bridge.heap_off, v.heap_off);
    free(fixed);
    free(ref);
}

/* The fixed lay-out's heap calls (ipc_heap_alloc_one/free_one, one class
 * of ZEN_CFG_FIXED_HEAP_BLOCK bytes) answer every request as the
 * run-time ones do on a copy of the same heap: offsets, errors, counts. */
static void test_one_class_heap_as_run_time_heap(void **state)
{
    (void)state;
    proxy_config_t cfg;
    config(&cfg);
    uint8_t *r = region_new();
    assert_int_equal(proxy_init(&proxy, r, &cfg), PROXY_OK);
    static ipc_heap_t a, b;
    static uint32_t la[ZEN_CFG_HEAP_MAX_BLOCKS], lb[ZEN_CFG_HEAP_MAX_BLOCKS];
    a = proxy.heap;
    b = proxy.heap;
    memcpy(la, proxy.heap.links, sizeof(la));
    memcpy(lb, proxy.heap.links, sizeof(lb));
    a.links = la;
    b.links = lb;
    const uint32_t bs = ZEN_CFG_FIXED_HEAP_BLOCK, first = a.cls[0].first_off;
    const uint32_t lens[] = {0, 1, bs, bs + 1u, 0xFFFFFFFFu, 64};
    for (int round = 0; round < 3; round++) {
        for (uint32_t i = 0; i < ZEN_CFG_HEAP_MAX_BLOCKS + 2u; i++) {
            uint32_t len = lens[i % (sizeof(lens) / sizeof(lens[0]))];
            ipc_tensor_ref_t ra = {0, 0}, rb = {0, 0};
            assert_int_equal(ipc_heap_alloc_one(&a, len, &ra, bs), ipc_heap_alloc(&b, len, &rb));
            assert_int_equal(ra.off, rb.off);
            assert_int_equal(ra.len, rb.len);
        }
        const uint32_t offs[] = {0,
                                 first - bs,
                                 first - 1u,
                                 first,
                                 first + 1u,
                                 first + bs / 2u,
                                 first,
                                 first + bs,
                                 0xFFFFFFFFu,
                                 first + 14u * bs,
                                 first + 15u * bs,
                                 first + 3u * bs};
        for (uint32_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++)
            assert_int_equal(ipc_heap_free_one(&a, offs[i], bs), ipc_heap_free(&b, offs[i]));
        assert_memory_equal(la, lb, sizeof(la));
        assert_int_equal(a.cls[0].free_head, b.cls[0].free_head);
        assert_int_equal(a.cls[0].free_count, b.cls[0].free_count);
        assert_int_equal(a.failed, b.failed);
        assert_int_equal(a.bad_frees, b.bad_frees);
    }
    static ipc_heap_t none;
    ipc_tensor_ref_t ref;
    assert_int_equal(ipc_heap_alloc_one(&none, 1, &ref, bs), IPC_E_INVAL);
    assert_int_equal(ipc_heap_free_one(&none, 0, bs), IPC_E_HEAP_BAD_FREE);
    assert_int_equal(ipc_heap_free_one(0, 0, bs), IPC_E_INVAL);
    free(r);
}

static void test_other_geometry_refused(void **state)
{
    (void)state;
    uint8_t *r = region_new();
    proxy_config_t cfg;
    for (int i = 0; i < 8; i++) {
        config(&cfg);
        switch (i) {
        case 0: cfg.region_size = SIZE / 2u; break;
        case 1: cfg.sq_slots = ZEN_CFG_FIXED_SQ_SLOTS * 2u; break;
        case 2: cfg.cq_slots = 64; break;
        case 3: cfg.max_jobs = ZEN_CFG_MAX_JOBS - 1u; break;
        case 4: cfg.heap[0].block_size = ZEN_CFG_FIXED_HEAP_BLOCK / 2u; break;
        case 5: cfg.heap[0].count = 2; break;
        case 6:
            cfg.n_heap_classes = 2;
            cfg.heap[1].block_size = ZEN_CFG_FIXED_HEAP_BLOCK * 2u;
            break;
        default: cfg.n_sq = 0; break;
        }
        assert_int_equal(proxy_init(&proxy, r, &cfg), PROXY_E_CONFIG);
        for (uint32_t b = 0; b < SIZE; b++)
            if (r[b] != 0xA5)
                fail_msg("case %d: byte %u of the region written", i, (unsigned)b);
    }
    free(r);
}

int main(void)
{
    if (zport_posix_init(&port, ZPORT_POSIX_MANUAL) != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_region_as_run_time_layout),
        cmocka_unit_test(test_one_class_heap_as_run_time_heap),
        cmocka_unit_test(test_other_geometry_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
