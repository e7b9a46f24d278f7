/* SPDX-License-Identifier: BSD-3-Clause */
/* test_region: region init and attach; every attach validation error is
 * provoked one at a time and must return its own code and name its field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "zenedge/ipc_errors.h"
#include "zenedge/ipc_region.h"

#define REGION (256u * 1024u)

typedef struct {
    uint8_t *mem;
    ipc_region_t zen;
    ipc_region_hdr_t *h;
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    f->mem = aligned_alloc(4096, REGION);
    memset(f->mem, 0xA5, REGION); /* garbage that init must clean up */
    ipc_region_config_t cfg;
    ipc_region_config_default(&cfg, REGION);
    cfg.sq_slots = 64;
    cfg.max_jobs = 64;
    cfg.epoch = 7;
    cfg.sq_weight[1] = 8;
    assert_int_equal(ipc_region_init(&f->zen, f->mem, &cfg), IPC_OK);
    f->h = (ipc_region_hdr_t *)f->mem;
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

static void test_init_layout(void **state)
{
    fixture_t *f = *state;
    ipc_region_t *v = &f->zen;
    assert_int_equal(f->h->magic, IPC_REGION_MAGIC);
    assert_int_equal(f->h->version_major, IPC_VERSION_MAJOR);
    assert_int_equal(v->n_sq, IPC_QOS_COUNT);
    assert_int_equal(v->cq_slots, 64); /* smallest power of two >= max_jobs */
    assert_int_equal(f->h->zen.epoch, 7);
    assert_int_equal(f->h->zen.state, IPC_STATE_STARTING);
    assert_int_equal(f->h->bridge.epoch, 0); /* garbage was cleared */
    assert_int_equal(f->h->sq_weight[1], 8);
    for (uint32_t i = 0; i < v->n_sq; i++) {
        assert_int_equal(v->sq_off[i] % IPC_CACHELINE, 0);
        assert_int_equal(v->sq[i]->magic, IPC_RING_MAGIC);
        assert_int_equal(v->sq[i]->head, 0);
    }
    assert_true(v->jobs_off >= v->cq_off + IPC_RING_BYTES(v->cq_slots));
    assert_true(v->heap_off >= v->jobs_off + v->max_jobs * sizeof(ipc_job_desc_t));
    assert_true(v->heap_off + v->heap_size <= REGION);
    assert_int_equal(v->jobs[0].handle, 0);
    assert_int_equal(ipc_region_layout_bytes(&(ipc_region_config_t){.n_sq = 1, .sq_slots = 2, .max_jobs = 1}),
                     sizeof(ipc_region_hdr_t) + 2 * 256 + 256);
}

static void test_init_rejects_config(void **state)
{
    fixture_t *f = *state;
    ipc_region_t v;
    ipc_region_config_t c;
    ipc_region_config_default(&c, REGION);
    c.n_sq = 0;
    assert_int_equal(ipc_region_init(&v, f->mem, &c), IPC_E_SQ_COUNT);
    ipc_region_config_default(&c, REGION);
    c.sq_slots = 100;
    assert_int_equal(ipc_region_init(&v, f->mem, &c), IPC_E_SQ_SLOTS);
    ipc_region_config_default(&c, REGION);
    c.max_jobs = IPC_MAX_JOBS + 1;
    assert_int_equal(ipc_region_init(&v, f->mem, &c), IPC_E_MAX_JOBS);
    ipc_region_config_default(&c, REGION);
    c.cq_slots = 128; /* < max_jobs 256 */
    assert_int_equal(ipc_region_init(&v, f->mem, &c), IPC_E_CQ_SLOTS);
    ipc_region_config_default(&c, 100);
    assert_int_equal(ipc_region_init(&v, f->mem, &c), IPC_E_REGION_SIZE);
    ipc_region_config_default(&c, 8192);
    assert_int_equal(ipc_region_init(&v, f->mem, &c), IPC_E_NO_SPACE);
    ipc_region_config_default(&c, REGION);
    assert_int_equal(ipc_region_init(&v, f->mem + 8, &c), IPC_E_INVAL);
}

static void test_attach_ok_and_same_view(void **state)
{
    fixture_t *f = *state;
    ipc_region_t b;
    ipc_fault_t fault;
    assert_int_equal(ipc_region_attach(&b, f->mem, REGION, &fault), IPC_OK);
    assert_int_equal(b.heap_off, f->zen.heap_off);
    assert_int_equal(b.heap_size, f->zen.heap_size);
    assert_int_equal(b.cq_off, f->zen.cq_off);
    assert_ptr_equal(b.sq[3], f->zen.sq[3]);
    assert_null(b.sq[4]);
    /* A larger mapping than the region is fine. */
    assert_int_equal(ipc_region_attach(&b, f->mem, REGION, NULL), IPC_OK);
}

static void test_bounds_helpers(void **state)
{
    fixture_t *f = *state;
    ipc_region_t *v = &f->zen;
    assert_non_null(ipc_region_ptr(v, 0, REGION));
    assert_null(ipc_region_ptr(v, 1, REGION));
    assert_null(ipc_region_ptr(v, 0xFFFFFFF0u, 0x20)); /* would wrap in 32 bits */
    assert_true(ipc_region_in_heap(v, v->heap_off, v->heap_size));
    assert_false(ipc_region_in_heap(v, v->heap_off - 1, 2));
    assert_false(ipc_region_in_heap(v, v->heap_off, v->heap_size + 1));
    assert_false(ipc_region_in_heap(v, v->heap_off + v->heap_size, 0));
    assert_false(ipc_region_in_heap(v, 0xFFFFFFFFu, 2));
    assert_non_null(ipc_region_job(v, v->max_jobs - 1));
    assert_null(ipc_region_job(v, v->max_jobs));
}

/* One corruption per case. */
typedef struct {
    const char *what;
    int expect;
    const char *field; /* prefix expected in fault.field */
    void (*mutate)(ipc_region_hdr_t *h, uint8_t *mem);
} bad_case_t;

static void m_magic0(ipc_region_hdr_t *h, uint8_t *m)
{
    (void)m;
    h->magic = 0;
}
static void m_magic(ipc_region_hdr_t *h, uint8_t *m)
{
    (void)m;
    h->magic = 0xDEADBEEF;
}
static void m_major(ipc_region_hdr_t *h, uint8_t *m)
{
    (void)m;
    h->version_major = IPC_VERSION_MAJOR + 1;
}
static void m_minor(ipc_region_hdr_t *h, uint8_t *m)
{
    (void)m;
    h->version_minor = 77;
}
static void m_hdr_small(ipc_region_hdr_t *h, uint8_t *m)
{
    (void)m;
    h->hdr_size = 64;
}
static void m_hdr_big(ipc_region_hdr_t *h, uint8_t *m)
{
    (void)m;
    h->hdr_size = REGION + 64;
}
static void m_size_big(ipc_region_hdr_t *h, uint8_t *m)
{
    (void)m;
    h->region_size = REGION * 2;
}
static void m_size_small(ipc_region_hdr_t *h, uint8_t *m)
{
    (void)m;
    h->region_size = 1024;
}
static void m_cacheline(ipc_region_hdr_t *h, uint8_t *m)
{
    (void)m;
    h->cacheline = 128;
}
static void m_feat_req(ipc_region_hdr_t *h, uint8_t *m)
{
    (void)m;
    h->features |= 1u << 9;
}
static void m_feat_opt(ipc_region_hdr_t *h, uint8_t *m)
{
    (void)m;
    h->features |= 1u << 30;
}
static void m_reserved(ipc_region_hdr_t *h, uint8_t *m)
{
    (void)m;
    h->reserved0 = 1;
}
static void m_nsq0(ipc_region_hdr_t *h, uint8_t *m)
{
    (void)m;
    h->n_sq = 0;
}
static void m_nsq9(ipc_region_hdr_t *h, uint8_t *m)
{
    (void)m;
    h->n_sq = 9;
}
static void m_sqslots(ipc_region_hdr_t *h, uint8_t *m)
{
    (void)m;
    h->sq_slots = 48;
}
static void m_sqslots_big(ipc_region_hdr_t *h, uint8_t *m)
{
    (void)m;
    h->sq_slots = 1u << 20;
}
static void m_jobs0(ipc_region_hdr_t *h, uint8_t *m)
{
    (void)m;
    h->max_jobs = 0;
}
static void m_jobs_big(ipc_region_hdr_t *h, uint8_t *m)
{
    (void)m;
    h->max_jobs = IPC_MAX_JOBS + 1;
}
static void m_cq_pow2(ipc_region_hdr_t *h, uint8_t *m)
{
    (void)m;
    h->cq_slots = 65;
}
static void m_cq_small(ipc_region_hdr_t *h, uint8_t *m)
{
    (void)m;
    h->cq_slots = 32;
}
static void m_desc(ipc_region_hdr_t *h, uint8_t *m)
{
    (void)m;
    h->job_desc_size = 128;
}
static void m_sq_out(ipc_region_hdr_t *h, uint8_t *m)
{
    (void)m;
    h->sq_off[2] = REGION - 64;
}
static void m_sq_misal(ipc_region_hdr_t *h, uint8_t *m)
{
    (void)m;
    h->sq_off[1] += 4;
}
static void m_sq_in_hdr(ipc_region_hdr_t *h, uint8_t *m)
{
    (void)m;
    h->sq_off[0] = 64;
}
static void m_sq_unused(ipc_region_hdr_t *h, uint8_t *m)
{
    (void)m;
    h->sq_off[5] = 4096;
}
static void m_cq_out(ipc_region_hdr_t *h, uint8_t *m)
{
    (void)m;
    h->cq_off = 0xFFFFFFC0u;
}
static void m_jobs_out(ipc_region_hdr_t *h, uint8_t *m)
{
    (void)m;
    h->jobs_off = REGION - 256;
}
static void m_heap_out(ipc_region_hdr_t *h, uint8_t *m)
{
    (void)m;
    h->heap_size = REGION;
}
static void m_heap_zero(ipc_region_hdr_t *h, uint8_t *m)
{
    (void)m;
    h->heap_size = 0;
}
static void m_overlap(ipc_region_hdr_t *h, uint8_t *m)
{
    (void)m;
    h->sq_off[1] = h->sq_off[0];
}
static void m_overlap_heap(ipc_region_hdr_t *h, uint8_t *m)
{
    (void)m;
    h->heap_off = h->jobs_off;
}
static void m_ring_magic(ipc_region_hdr_t *h, uint8_t *m)
{
    ((ipc_ring_t *)(m + h->sq_off[3]))->magic = 1;
}
static void m_ring_size(ipc_region_hdr_t *h, uint8_t *m)
{
    ((ipc_ring_t *)(m + h->cq_off))->size = 32;
}
static void m_ring_id(ipc_region_hdr_t *h, uint8_t *m)
{
    ((ipc_ring_t *)(m + h->sq_off[1]))->ring_id = 2;
}
static void m_ring_prod(ipc_region_hdr_t *h, uint8_t *m)
{
    ((ipc_ring_t *)(m + h->cq_off))->producer = IPC_SIDE_ZENEDGE;
}

static const bad_case_t cases[] = {
    {"magic 0 (not ready)", IPC_E_NOT_READY, "magic", m_magic0},
    {"wrong magic", IPC_E_REGION_MAGIC, "magic", m_magic},
    {"major version", IPC_E_VERSION_MAJOR, "version_major", m_major},
    {"header too small", IPC_E_HDR_SIZE, "hdr_size", m_hdr_small},
    {"header beyond region", IPC_E_HDR_SIZE, "hdr_size", m_hdr_big},
    {"region larger than mapping", IPC_E_REGION_SIZE, "region_size", m_size_big},
    {"region too small", IPC_E_REGION_SIZE, "region_size", m_size_small},
    {"cache line", IPC_E_CACHELINE, "cacheline", m_cacheline},
    {"unknown required feature", IPC_E_FEATURES, "features", m_feat_req},
    {"reserved word", IPC_E_RESERVED, "reserved0", m_reserved},
    {"no submission ring", IPC_E_SQ_COUNT, "n_sq", m_nsq0},
    {"too many rings", IPC_E_SQ_COUNT, "n_sq", m_nsq9},
    {"sq slots not pow2", IPC_E_SQ_SLOTS, "sq_slots", m_sqslots},
    {"sq slots too big", IPC_E_SQ_SLOTS, "sq_slots", m_sqslots_big},
    {"no jobs", IPC_E_MAX_JOBS, "max_jobs", m_jobs0},
    {"too many jobs", IPC_E_MAX_JOBS, "max_jobs", m_jobs_big},
    {"cq slots not pow2", IPC_E_CQ_SLOTS, "cq_slots", m_cq_pow2},
    {"cq smaller than max_jobs", IPC_E_CQ_SLOTS, "cq_slots", m_cq_small},
    {"descriptor size", IPC_E_DESC_SIZE, "job_desc_size", m_desc},
    {"sq outside region", IPC_E_SQ_OFFSET, "sq_off[2]", m_sq_out},
    {"sq misaligned", IPC_E_SQ_OFFSET, "sq_off[1]", m_sq_misal},
    {"sq inside header", IPC_E_SQ_OFFSET, "sq_off[0]", m_sq_in_hdr},
    {"unused sq entry set", IPC_E_RESERVED, "sq_off[5]", m_sq_unused},
    {"cq outside region (wraps)", IPC_E_CQ_OFFSET, "cq_off", m_cq_out},
    {"job table outside region", IPC_E_JOBS_OFFSET, "jobs_off", m_jobs_out},
    {"heap outside region", IPC_E_HEAP_OFFSET, "heap_off", m_heap_out},
    {"empty heap", IPC_E_HEAP_OFFSET, "heap_off", m_heap_zero},
    {"two rings overlap", IPC_E_OVERLAP, "layout", m_overlap},
    {"heap overlaps table", IPC_E_OVERLAP, "layout", m_overlap_heap},
    {"ring magic", IPC_E_RING_MAGIC, "sq_off[3]", m_ring_magic},
    {"ring size", IPC_E_RING_SIZE, "cq_off", m_ring_size},
    {"ring id", IPC_E_RING_ID, "sq_off[1]", m_ring_id},
    {"ring producer", IPC_E_RING_ID, "cq_off", m_ring_prod},
};

static void test_attach_rejects_each(void **state)
{
    fixture_t *f = *state;
    uint8_t *pristine = malloc(REGION);
    memcpy(pristine, f->mem, REGION);
    int distinct_seen[64] = {0};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memcpy(f->mem, pristine, REGION);
        cases[i].mutate(f->h, f->mem);
        ipc_region_t v;
        memset(&v, 0x5A, sizeof(v));
        ipc_fault_t fault = {0};
        int err = ipc_region_attach(&v, f->mem, REGION, &fault);
        printf("  %-28s -> %-20s %s=%u (limit %u: %s)\n", cases[i].what, ipc_strerror(err),
               fault.field ? fault.field : "-", fault.value, fault.limit, fault.rule ? fault.rule : "-");
        assert_int_equal(err, cases[i].expect);
        assert_non_null(fault.field);
        assert_true(strncmp(fault.field, cases[i].field, strlen(cases[i].field)) == 0);
        distinct_seen[-(err - IPC_E_BASE)] = 1;
    }
    /* Tolerated: a newer minor and unknown optional features. */
    ipc_region_t v;
    memcpy(f->mem, pristine, REGION);
    m_minor(f->h, f->mem);
    m_feat_opt(f->h, f->mem);
    assert_int_equal(ipc_region_attach(&v, f->mem, REGION, NULL), IPC_OK);
    assert_int_equal(v.version_minor, 77);
    /* Mapping smaller than the header, and bad arguments. */
    assert_int_equal(ipc_region_attach(&v, f->mem, 100, NULL), IPC_E_REGION_SIZE);
    assert_int_equal(ipc_region_attach(&v, NULL, REGION, NULL), IPC_E_INVAL);
    int kinds = 0;
    for (int k = 0; k < 64; k++)
        kinds += distinct_seen[k];
    printf("  %zu corruptions, %d distinct error codes\n", sizeof(cases) / sizeof(cases[0]), kinds);
    free(pristine);
}

/* The header the bridge validated is a private copy: rewriting the region
 * afterwards does not move the view. */
static void test_view_is_private_copy(void **state)
{
    fixture_t *f = *state;
    ipc_region_t v;
    assert_int_equal(ipc_region_attach(&v, f->mem, REGION, NULL), IPC_OK);
    uint32_t heap = v.heap_off;
    f->h->heap_off = 0;
    f->h->max_jobs = 4096;
    assert_int_equal(v.heap_off, heap);
    assert_null(ipc_region_job(&v, 64));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_init_layout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_init_rejects_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attach_ok_and_same_view, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bounds_helpers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attach_rejects_each, setup, teardown),
        cmocka_unit_test_setup_teardown(test_view_is_private_copy, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
