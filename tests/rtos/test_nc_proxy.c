/* SPDX-License-Identifier: BSD-3-Clause */
/* test_nc_proxy.c - the proxy driver in the non-coherent build
 * (tests/helpers/nc.cmake). With the recorder of nc_port.c on one copy of
 * the region: every descriptor, input, output and slot byte of a job is
 * cleaned before the release of the submission ring's head that publishes
 * it, and the completion ring's head is invalidated before its acquire,
 * the slot and the answer line after it; the outputs are invalidated
 * before they are read; the liveness words likewise. With the model of
 * nc_port.h (the proxy on a "cache" copy, the test's bridge on the memory
 * copy): whole jobs, copied and zero-copy, a cancel and the heartbeat go
 * through only what the maintenance moves. Last, a short round trip
 * against the loopback bridge thread. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "contract.h"
#include "hand_bridge.h"
#include "nc_port.h"
#include "rtos_fixture.h"

static const uint32_t add16_only[] = {FX_MODEL_ADD16};

typedef struct world {
    fx_t f;
    hand_bridge_t b;
    contract_t c;
    fx_add16_t x;
    uint8_t *mem; /* model: the memory copy the bridge works on; NULL: none */
} world_t;

/* The bridge side block, READY at `epoch`, in the copy the bridge sees. */
static void bridge_ready(world_t *w, uint32_t epoch)
{
    ipc_region_hdr_t *h = (ipc_region_hdr_t *)(w->mem ? (void *)w->mem : w->f.region);
    h->bridge.hb_period_us = 1000000u;
    h->bridge.epoch = epoch;
    h->bridge.heartbeat++;
    h->bridge.state = IPC_STATE_READY;
    proxy_tick(w->f.proxy);
    proxy_tick(w->f.proxy); /* a new epoch goes online at the tick after its drain */
}

static world_t *world_new(bool model)
{
    world_t *w = calloc(1, sizeof(*w));
    fx_opts_t o;
    fx_opts_default(&o);
    o.features |= IPC_FEAT_NONCOHERENT;
    assert_int_equal(fx_init(&w->f, &o), 0);
    if (model) {
        /* The memory as it is once init's write-backs landed (their order
         * is test_nc_order's); from here on only the hooks move bytes. */
        w->mem = aligned_alloc(IPC_CACHELINE, w->f.size);
        memcpy(w->mem, w->f.region, w->f.size);
        nc_model_start(w->f.region, w->mem, w->f.size);
    }
    bridge_ready(w, 1);
    assert_true(proxy_bridge_online(w->f.proxy));
    assert_int_equal(hand_attach(&w->b, w->mem ? w->mem : w->f.region, w->f.size), 0);
    fx_contract(&w->f, &w->c, "nc", add16_only, 1, 16, IPC_QOS_NORMAL);
    fx_add16_fill(&w->x, 10);
    return w;
}

static void world_free(world_t *w)
{
    nc_model_stop();
    nc_record(false);
    fx_fini(&w->f);
    free(w->mem);
    free(w);
}

static void *at(world_t *w, uint32_t off)
{
    return (uint8_t *)w->f.region + off;
}

/* Submission: request lines, inputs, outputs and the slot cleaned before
 * R1 on the submission ring; head cleaned after it. */
static void test_submit_order(void **state)
{
    (void)state;
    world_t *w = world_new(false);
    proxy_t *p = w->f.proxy;
    ipc_ring_t *sq = p->region.sq[ipc_region_ring_of(&p->region, IPC_QOS_NORMAL)];
    uint32_t h = 0;
    nc_record(true);
    assert_int_equal(contract_submit_job(&w->c, FX_MODEL_ADD16, w->x.in, 2, 0, &h), 0);
    nc_record(false);
    uint32_t rel = nc_last_at(NC_REL, &sq->head);
    assert_int_not_equal(rel, 0);
    ipc_job_desc_t *d = ipc_region_job(&p->region, IPC_HANDLE_SLOT(h));
    assert_int_not_equal(nc_find(NC_CLEAN, d, 2u * IPC_CACHELINE, 0, rel), 0);
    for (uint32_t i = 0; i < d->n_in; i++)
        assert_int_not_equal(nc_find(NC_CLEAN, at(w, d->in[i].off), d->in[i].len, 0, rel), 0);
    for (uint32_t i = 0; i < d->n_out; i++)
        assert_int_not_equal(nc_find(NC_CLEAN, at(w, d->out[i].off), d->out[i].len, 0, rel), 0);
    uint32_t slot = (ipc_read_once(&sq->head) - 1u) & (sq->size - 1u);
    assert_int_not_equal(nc_find(NC_CLEAN, &sq->data[slot], 16, 0, rel), 0);
    assert_int_not_equal(nc_find(NC_CLEAN, &sq->head, 4, rel, 0), 0);
    world_free(w);
}

/* Completion: A1 on the completion ring, then the slot and the answer
 * line; R2 then the tail cleaned; the wait invalidates the outputs. */
static void test_complete_order(void **state)
{
    (void)state;
    world_t *w = world_new(false);
    proxy_t *p = w->f.proxy;
    ipc_ring_t *cq = p->region.cq;
    uint32_t h = 0;
    ipc_packet_t pkt;
    assert_int_equal(contract_submit_job(&w->c, FX_MODEL_ADD16, w->x.in, 2, 0, &h), 0);
    assert_int_equal(hand_take(&w->b, &pkt), 0);
    hand_fill_answer(&w->b, h, 1000, 1);
    assert_true(hand_post(&w->b, CMD_JOB_DONE, IPC_STATUS_OK, h) >= 0);
    uint32_t slot = (ipc_read_once(&cq->head) - 1u) & (cq->size - 1u);
    nc_record(true);
    assert_int_equal(proxy_complete(p), 1);
    nc_record(false);
    uint32_t acq = nc_first_at(NC_ACQ, &cq->head), rel = nc_last_at(NC_REL, &cq->tail);
    assert_true(acq != 0 && rel > acq);
    assert_int_not_equal(nc_find(NC_INVAL, &cq->head, 4, 0, acq), 0);
    assert_int_not_equal(nc_find(NC_INVAL, &cq->data[slot], 16, acq, rel), 0);
    ipc_job_desc_t *d = ipc_region_job(&p->region, IPC_HANDLE_SLOT(h));
    assert_int_not_equal(nc_find(NC_INVAL, &d->t_pickup, IPC_CACHELINE, acq, 0), 0);
    assert_int_not_equal(nc_find(NC_CLEAN, &cq->tail, 4, rel, 0), 0);

    int32_t out[16];
    proxy_out_t po = {out, sizeof(out)};
    proxy_result_t res;
    nc_record(true);
    assert_int_equal(contract_wait(&w->c, h, 0, &res, &po, 1), PROXY_OK);
    nc_record(false);
    assert_int_not_equal(nc_find(NC_INVAL, at(w, d->out[0].off), d->out[0].len, 0, 0), 0);
    world_free(w);
}

/* Liveness: the bridge's line invalidated before the acquires of its
 * state (L1) and epoch (L2); our heartbeat cleaned; our state (L1)
 * released, then its line cleaned. */
static void test_liveness_order(void **state)
{
    (void)state;
    world_t *w = world_new(false);
    proxy_t *p = w->f.proxy;
    ipc_region_hdr_t *h = p->region.hdr;
    proxy_stop(p);
    nc_record(true);
    assert_int_equal(proxy_start(p), PROXY_OK); /* start, then a tick */
    nc_record(false);
    uint32_t rel = nc_first_at(NC_REL, &h->zen.state);
    assert_int_not_equal(rel, 0);
    assert_int_not_equal(nc_find(NC_CLEAN, &h->zen, IPC_CACHELINE, rel, 0), 0);
    uint32_t a1 = nc_first_at(NC_ACQ, &h->bridge.state), a2 = nc_first_at(NC_ACQ, &h->bridge.epoch);
    assert_true(a1 != 0 && a2 != 0);
    assert_int_not_equal(nc_find(NC_INVAL, &h->bridge, IPC_CACHELINE, 0, a1 < a2 ? a1 : a2), 0);
    uint32_t line = nc_find(NC_CLEAN, &h->zen, IPC_CACHELINE, rel, 0);
    assert_int_not_equal(nc_find(NC_CLEAN, &h->zen.heartbeat, 4, line, 0), 0); /* the tick's beat */
    world_free(w);
}

static void answer_next(world_t *w, uint32_t h)
{
    ipc_packet_t pkt;
    assert_int_equal(hand_take(&w->b, &pkt), 0);
    assert_int_equal(pkt.payload_id, h);
    hand_fill_answer(&w->b, h, 1000, 1);
    assert_true(hand_post(&w->b, CMD_JOB_DONE, IPC_STATUS_OK, h) >= 0);
    assert_int_equal(proxy_complete(w->f.proxy), 1);
}

/* Model: copied jobs, a ping and a cancel through the hooks alone. */
static void test_model_jobs(void **state)
{
    (void)state;
    world_t *w = world_new(true);
    for (int32_t k = 0; k < 40; k++) { /* more jobs than ring slots: wraps */
        fx_add16_fill(&w->x, 5 * k);
        uint32_t h = 0;
        assert_int_equal(contract_submit_job(&w->c, FX_MODEL_ADD16, w->x.in, 2, 0, &h), 0);
        answer_next(w, h);
        int32_t out[16];
        proxy_out_t po = {out, sizeof(out)};
        proxy_result_t res;
        assert_int_equal(contract_wait(&w->c, h, 0, &res, &po, 1), PROXY_OK);
        for (int i = 0; i < 16; i++)
            assert_int_equal(out[i], w->x.a[i] + w->x.b[i]);
        assert_int_equal(res.result, 7);
        assert_true(res.times_valid); /* the answer line's times came through */
    }
    /* A cancel before pickup reaches the bridge's copy of the descriptor. */
    uint32_t h = 0;
    assert_int_equal(contract_submit_job(&w->c, FX_MODEL_ADD16, w->x.in, 2, 0, &h), 0);
    assert_int_equal(contract_cancel(&w->c, h), PROXY_OK);
    assert_int_equal(ipc_region_job(&w->b.view, IPC_HANDLE_SLOT(h))->cancel, 1u);
    /* Our heartbeat reaches the memory; the bridge's new epoch reaches us. */
    ipc_region_hdr_t *mh = (ipc_region_hdr_t *)(void *)w->mem;
    uint32_t hb = mh->zen.heartbeat;
    w->f.proxy->zen_hb_next_ns = 0; /* beat at this tick */
    proxy_tick(w->f.proxy);
    assert_int_equal(mh->zen.heartbeat, hb + 1u);
    bridge_ready(w, 2);
    assert_int_equal(w->f.proxy->bridge_epoch, 2);
    world_free(w);
}

/* Model: the zero-copy path, inputs written in place, outputs read in place. */
static void test_model_bufs(void **state)
{
    (void)state;
    world_t *w = world_new(true);
    uint32_t ids[3];
    int32_t *ptr[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(proxy_buf_alloc(w->f.proxy, 64, &ids[i], (void **)&ptr[i]), PROXY_OK);
    for (int32_t k = 0; k < 3; k++) {
        for (int i = 0; i < 16; i++) {
            ptr[0][i] = 100 * k + i;
            ptr[1][i] = 1000 * i;
        }
        uint32_t h = 0;
        assert_int_equal(contract_submit_bufs(&w->c, FX_MODEL_ADD16, ids, 2, &ids[2], 1, 0, &h), PROXY_OK);
        answer_next(w, h);
        proxy_result_t res;
        assert_int_equal(contract_wait(&w->c, h, 0, &res, NULL, 0), PROXY_OK);
        for (int i = 0; i < 16; i++)
            assert_int_equal(ptr[2][i], 100 * k + i + 1000 * i);
    }
    world_free(w);
}

/* The loopback bridge thread against the variant (one copy of memory):
 * every job right, and the hooks ran on every one. */
static void test_loopback_round_trip(void **state)
{
    (void)state;
    fx_t *f = calloc(1, sizeof(*f));
    fx_opts_t o;
    fx_opts_default(&o);
    o.mode = IPC_DB_EVENTFD;
    o.loopback = true;
    o.features |= IPC_FEAT_NONCOHERENT;
    assert_int_equal(fx_init(f, &o), 0);
    assert_true(proxy_bridge_online(f->proxy));
    contract_t c;
    fx_contract(f, &c, "lb", add16_only, 1, 8, IPC_QOS_RT);
    uint64_t clean0 = nc_total(NC_CLEAN), inval0 = nc_total(NC_INVAL);
    const int n = 64;
    for (int k = 0; k < n; k++) {
        fx_add16_t x;
        fx_add16_fill(&x, k);
        uint32_t h = 0;
        assert_int_equal(contract_submit_job(&c, FX_MODEL_ADD16, x.in, 2, 0, &h), 0);
        int32_t out[16];
        proxy_out_t po = {out, sizeof(out)};
        proxy_result_t res;
        assert_int_equal(contract_wait(&c, h, PROXY_WAIT_UNTIL_DEADLINE, &res, &po, 1), PROXY_OK);
        for (int i = 0; i < 16; i++)
            assert_int_equal(out[i], x.a[i] + x.b[i]);
    }
    /* per job at least: request, 2 inputs, output, slot, head (6 cleans);
     * head, slot, answer line, output (4 invalidates) */
    assert_true(nc_total(NC_CLEAN) - clean0 >= 6u * (uint64_t)n);
    assert_true(nc_total(NC_INVAL) - inval0 >= 4u * (uint64_t)n);
    fx_fini(f);
    free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_submit_order),   cmocka_unit_test(test_complete_order),
        cmocka_unit_test(test_liveness_order), cmocka_unit_test(test_model_jobs),
        cmocka_unit_test(test_model_bufs),     cmocka_unit_test(test_loopback_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
