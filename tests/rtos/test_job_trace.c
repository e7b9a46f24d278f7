/* SPDX-License-Identifier: BSD-3-Clause */
/* test_job_trace.c - the job trace (protocol 1.2): the ZENEDGE side writes
 * one record per collected job (rtos/job_trace.c), a reader (zl_trace)
 * gets every record once, whole, in order; records overwritten before they
 * were read, or being rewritten, are counted lost, never returned; the
 * trace line of the header is validated on attach; a region without it
 * still attaches. The test is the bridge, step by step (no threads). */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "contract.h"
#include "hand_bridge.h"
#include "rtos_fixture.h"
#include "zenedge/barrier.h"
#include "zl_trace.h"

static const uint32_t add16_only[] = {FX_MODEL_ADD16};

typedef struct world {
    fx_t f;
    hand_bridge_t b;
    contract_t c;
    fx_add16_t x;
} world_t;

static world_t *world_new(void)
{
    world_t *w = calloc(1, sizeof(*w));
    fx_opts_t o;
    fx_opts_default(&o);
    assert_int_equal(fx_init(&w->f, &o), 0);
    fx_fake_bridge(&w->f, IPC_STATE_READY, 1);
    assert_int_equal(hand_attach(&w->b, w->f.region, w->f.size), 0);
    fx_contract(&w->f, &w->c, "t", add16_only, 1, 16, IPC_QOS_HIGH);
    w->c.acct.trace_tag = 42;
    fx_add16_fill(&w->x, 3);
    return w;
}

/* One job through the hand bridge, answered with status, and collected:
 * the wait's code. */
static int one_job(world_t *w, uint16_t status, uint32_t *h, proxy_result_t *res)
{
    assert_int_equal(contract_submit_job(&w->c, FX_MODEL_ADD16, w->x.in, 2, 0, h), 0);
    ipc_packet_t pkt;
    assert_int_equal(hand_take(&w->b, &pkt), 0);
    hand_fill_answer(&w->b, *h, 1, 1); /* 1 ns: never above the submit -> seen span, never clamped */
    hand_post(&w->b, CMD_JOB_DONE, status, *h);
    assert_int_equal(proxy_complete(w->f.proxy), 1);
    int32_t out[16];
    proxy_out_t po = {out, sizeof(out)};
    return contract_wait(&w->c, *h, 0, res, status == IPC_STATUS_OK ? &po : NULL, status == IPC_STATUS_OK);
}

static void test_records_every_collected_job(void **state)
{
    (void)state;
    world_t *w = world_new();
    const ipc_region_t *v = &w->f.proxy->region;
    assert_non_null(v->trace);
    assert_true(v->features & IPC_FEAT_JOB_TRACE);
    assert_int_equal(v->trace_slots, ZEN_CFG_JOB_TRACE_SLOTS);
    zl_trace_reader_t r;
    assert_int_equal(zl_trace_open(&r, &w->b.view, true), 0); /* the bridge's validated view */
    ipc_trace_rec_t rec;
    assert_int_equal(zl_trace_next(&r, &rec), 0);

    uint32_t h1, h2, h3 = 0;
    proxy_result_t res1, res2, res3;
    assert_int_equal(one_job(w, IPC_STATUS_OK, &h1, &res1), PROXY_OK);
    assert_int_equal(one_job(w, IPC_STATUS_BACKEND_ERROR, &h2, &res2), PROXY_E_JOB_FAILED);
    assert_int_equal(contract_submit_job(&w->c, FX_MODEL_ADD16, w->x.in, 2, 0, &h3), 0);
    assert_int_equal(contract_cancel(&w->c, h3), 0);
    assert_int_equal(contract_wait(&w->c, h3, 0, &res3, NULL, 0), PROXY_E_CANCELLED);

    assert_int_equal(zl_trace_next(&r, &rec), 1);
    assert_int_equal(rec.seq, 1);
    assert_int_equal(rec.handle, h1);
    assert_int_equal(rec.tag, 42);
    assert_int_equal(rec.model_id, FX_MODEL_ADD16);
    assert_int_equal(rec.qos, IPC_QOS_HIGH);
    assert_int_equal(rec.end, IPC_TRACE_END_OK);
    assert_int_equal(rec.ipc_status, IPC_STATUS_OK);
    assert_int_equal(rec.bridge_epoch, 1);
    assert_true(rec.t_submit == res1.t_submit && rec.t_pickup == res1.t_pickup &&
                rec.t_backend_start == res1.t_backend_start && rec.t_backend_end == res1.t_backend_end &&
                rec.t_complete == res1.t_complete && rec.t_complete_seen == res1.t_complete_seen &&
                rec.t_wait_call == res1.t_wait_call && rec.t_wake == res1.t_wake && rec.backend_ns == 1);
    assert_true(rec.t_submit != 0 && rec.t_wake >= rec.t_submit);
    assert_int_equal(zl_trace_next(&r, &rec), 1);
    assert_int_equal(rec.handle, h2);
    assert_int_equal(rec.end, IPC_TRACE_END_FAILED);
    assert_int_equal(rec.ipc_status, IPC_STATUS_BACKEND_ERROR);
    assert_int_equal(zl_trace_next(&r, &rec), 1);
    assert_int_equal(rec.handle, h3);
    assert_int_equal(rec.end, IPC_TRACE_END_CANCELLED);
    assert_int_equal(rec.ipc_status, IPC_STATUS_COUNT); /* not answered */
    assert_int_equal(rec.t_pickup, 0);
    assert_int_equal(zl_trace_next(&r, &rec), 0);
    /* the cancelled job as JSON and CSV: stages that did not happen are null / empty */
    char *js = NULL, *csv = NULL;
    size_t jl = 0, cl = 0;
    FILE *f = open_memstream(&js, &jl);
    zl_trace_json_row(f, &rec, true, "t\"1");
    fclose(f);
    assert_non_null(strstr(js, "{\"seq\":2,\"task\":\"t\\\"1\",\"handle\":"));
    assert_non_null(strstr(js, "\"end\":\"cancelled\",\"ipc_status\":15,"));
    assert_non_null(strstr(js, "\"stages_ns\":{\"submit->pickup\":null,"));
    assert_non_null(strstr(js, "\"round trip\":"));
    assert_string_equal(js + jl - 2, "}\n");
    f = open_memstream(&csv, &cl);
    zl_trace_csv_row(f, &rec, true, NULL);
    fclose(f);
    assert_non_null(strstr(csv, ",cancelled,15,"));
    assert_non_null(strstr(csv, ",,,,,")); /* the bridge's stages */
    free(js);
    free(csv);
    assert_int_equal(r.read, 3);
    assert_int_equal(r.lost, 0);
    assert_int_equal(ipc_read_once(&v->trace->head), 3);
    fx_fini(&w->f);
    free(w);
}

/* More jobs than the ring holds before the reader looks: the oldest are
 * counted lost, the rest read in order. A record being rewritten (seq 0)
 * or carrying a later number is lost too, never returned. */
static void test_overwritten_and_torn(void **state)
{
    (void)state;
    world_t *w = world_new();
    zl_trace_reader_t r;
    assert_int_equal(zl_trace_open(&r, &w->b.view, true), 0);
    const uint32_t slots = ZEN_CFG_JOB_TRACE_SLOTS, extra = 44;
    uint32_t h;
    proxy_result_t res;
    for (uint32_t i = 0; i < slots + extra; i++)
        assert_int_equal(one_job(w, IPC_STATUS_OK, &h, &res), PROXY_OK);
    ipc_trace_area_t *a = w->f.proxy->region.trace;
    /* record extra + 1 "being rewritten", record extra + 2 "overwritten" */
    ipc_write_once(&a->rec[(extra + 1) % slots].seq, 0u);
    ipc_write_once(&a->rec[(extra + 2) % slots].seq, extra + 2 + slots + 1);
    ipc_trace_rec_t rec;
    uint32_t got = 0, expect = extra;
    int n;
    while ((n = zl_trace_next(&r, &rec)) == 1) {
        if (expect == extra + 1)
            expect += 2; /* the two spoiled records are skipped */
        assert_int_equal(rec.seq, expect + 1);
        expect++;
        got++;
    }
    assert_int_equal(n, 0);
    assert_int_equal(got, slots - 2);
    assert_int_equal(r.lost, extra + 2);
    assert_int_equal(r.read + r.lost, slots + extra);
    /* the writer's count going backwards (a new layout) is reported */
    ipc_write_once(&a->head, 5u);
    assert_int_equal(zl_trace_next(&r, &rec), -ESTALE);
    fx_fini(&w->f);
    free(w);
}

/* The header's trace line is checked on attach; the fault names it. */
static void test_attach_checks_trace(void **state)
{
    (void)state;
    world_t *w = world_new();
    uint8_t *b = (uint8_t *)w->f.region;
    ipc_hdr_trace_t *t = (ipc_hdr_trace_t *)(void *)(b + IPC_HDR_SIZE_1_0);
    ipc_region_hdr_t *hdr = (ipc_region_hdr_t *)(void *)b;
    ipc_region_t v;
    ipc_fault_t f;
    assert_int_equal(ipc_region_attach(&v, b, w->f.size, &f), IPC_OK);
    assert_int_equal(v.trace_slots, ZEN_CFG_JOB_TRACE_SLOTS);
    ipc_hdr_trace_t keep = *t;
    const struct {
        uint32_t *word, value;
        int err;
        const char *field;
    } cases[] = {
        {&t->trace_slots, 3, IPC_E_TRACE, "trace_slots"},
        {&t->trace_slots, 131072, IPC_E_TRACE, "trace_slots"},
        {&t->trace_rec_size, 64, IPC_E_TRACE, "trace_rec_size"},
        {&t->trace_off, keep.trace_off + 8, IPC_E_TRACE, "trace_off"},
        {&t->trace_off, w->f.size - 64, IPC_E_TRACE, "trace_off"},
        {&t->trace_off, hdr->heap_off, IPC_E_OVERLAP, "layout"},
        {&t->reserved[3], 1, IPC_E_RESERVED, "trace reserved"},
        {&hdr->hdr_size, IPC_HDR_SIZE_1_0, IPC_E_TRACE, "hdr_size"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint32_t old = *cases[i].word;
        *cases[i].word = cases[i].value;
        memset(&f, 0, sizeof(f));
        assert_int_equal(ipc_region_attach(&v, b, w->f.size, &f), cases[i].err);
        assert_string_equal(f.field, cases[i].field);
        *cases[i].word = old;
    }
    /* without the feature bit the line is not read: a 1.1 reader's view */
    hdr->features &= ~IPC_FEAT_JOB_TRACE;
    t->trace_slots = 3;
    assert_int_equal(ipc_region_attach(&v, b, w->f.size, &f), IPC_OK);
    assert_null(v.trace);
    zl_trace_reader_t r;
    assert_int_equal(zl_trace_open(&r, &v, true), -ENOENT);
    fx_fini(&w->f);
    free(w);
}

/* A layout without a trace (trace_slots 0) is the 1.1 layout. */
static void test_no_trace_layout(void **state)
{
    (void)state;
    static uint8_t mem[1u << 16] __attribute__((aligned(64)));
    ipc_region_config_t cfg;
    ipc_region_config_default(&cfg, sizeof(mem));
    cfg.max_jobs = 8;
    cfg.sq_slots = 8;
    ipc_region_t v;
    assert_int_equal(ipc_region_init(&v, mem, &cfg), IPC_OK);
    assert_int_equal(((ipc_region_hdr_t *)(void *)mem)->hdr_size, IPC_HDR_SIZE_1_0);
    assert_int_equal(v.sq_off[0], IPC_HDR_SIZE_1_0);
    assert_null(v.trace);
    cfg.trace_slots = 6;
    assert_int_equal(ipc_region_init(&v, mem, &cfg), IPC_E_TRACE);
    cfg.trace_slots = 8;
    assert_int_equal(ipc_region_init(&v, mem, &cfg), IPC_OK);
    assert_int_equal(v.sq_off[0], IPC_HDR_SIZE_TRACE);
    assert_int_equal(v.heap_off, v.trace_off + IPC_TRACE_BYTES(8));
    assert_int_equal(ipc_region_layout_bytes(&cfg), v.heap_off);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records_every_collected_job),
        cmocka_unit_test(test_overwritten_and_torn),
        cmocka_unit_test(test_attach_checks_trace),
        cmocka_unit_test(test_no_trace_layout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
