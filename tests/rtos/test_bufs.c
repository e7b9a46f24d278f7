/* SPDX-License-Identifier: BSD-3-Clause */
/* test_bufs.c - tensor buffers (zero-copy path): allocation, in-place jobs, the sharing rules, release after late answers and reclaim, with the test as a step-by-step bridge. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "contract.h"
#include "hand_bridge.h"
#include "rtos_fixture.h"
#include "zenedge/barrier.h"

static const uint32_t add16_only[] = {FX_MODEL_ADD16};

typedef struct world {
    fx_t f;
    hand_bridge_t b;
    contract_t c;
    uint32_t a, bb, out; /* buffer ids */
    int32_t *pa, *pb, *pout;
} world_t;

static uint32_t buf_new(world_t *w, uint32_t len, int32_t **ptr)
{
    uint32_t id = 0;
    void *p = NULL;
    assert_int_equal(proxy_buf_alloc(w->f.proxy, len, &id, &p), PROXY_OK);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % IPC_CACHELINE, 0);
    *ptr = p;
    return id;
}

static world_t *world_new(uint32_t hb_slack_us)
{
    world_t *w = calloc(1, sizeof(*w));
    fx_opts_t o;
    fx_opts_default(&o);
    o.hb_slack_us = hb_slack_us;
    assert_int_equal(fx_init(&w->f, &o), 0);
    fx_fake_bridge(&w->f, IPC_STATE_READY, 1);
    assert_int_equal(hand_attach(&w->b, w->f.region, w->f.size), 0);
    fx_contract(&w->f, &w->c, "t", add16_only, 1, 16, IPC_QOS_NORMAL);
    w->a = buf_new(w, 64, &w->pa);
    w->bb = buf_new(w, 64, &w->pb);
    w->out = buf_new(w, 64, &w->pout);
    for (int i = 0; i < 16; i++) {
        w->pa[i] = 100 + i;
        w->pb[i] = 1000 * i;
        w->pout[i] = -1;
    }
    return w;
}

static void world_free(world_t *w)
{
    fx_fini(&w->f);
    free(w);
}

static uint32_t submit_bufs(world_t *w, uint32_t deadline_us)
{
    uint32_t in[2] = {w->a, w->bb}, out[1] = {w->out}, h = 0;
    assert_int_equal(contract_submit_bufs(&w->c, FX_MODEL_ADD16, in, 2, out, 1, deadline_us, &h), PROXY_OK);
    return h;
}

/* The bridge answers the next submission OK (ADD outputs computed in place). */
static void bridge_answer(world_t *w, uint32_t expect_h, uint32_t epoch)
{
    ipc_packet_t pkt;
    assert_int_equal(hand_take(&w->b, &pkt), 0);
    assert_int_equal(pkt.payload_id, expect_h);
    hand_fill_answer(&w->b, expect_h, 1000, epoch);
    assert_true(hand_post(&w->b, CMD_JOB_DONE, IPC_STATUS_OK, expect_h) >= 0);
    assert_int_equal(proxy_complete(w->f.proxy), 1);
}

/* A job on buffers: the descriptor names the buffers themselves, the
 * outputs appear in the output buffer, no heap block is taken per job. */
static void test_in_place_job(void **state)
{
    (void)state;
    world_t *w = world_new(0);
    proxy_usage_t u0, u;
    proxy_usage(w->f.proxy, &u0);
    assert_int_equal(u0.bufs_live, 3);
    assert_int_equal(u0.bufs_busy, 0);
    uint32_t h = submit_bufs(w, 0);
    proxy_usage(w->f.proxy, &u);
    assert_int_equal(u.heap_free_bytes, u0.heap_free_bytes); /* nothing allocated for the job */
    assert_int_equal(u.bufs_busy, 3);
    assert_true(proxy_buf_busy(w->f.proxy, w->a));
    assert_true(proxy_buf_busy(w->f.proxy, w->out));
    ipc_job_desc_t *d = ipc_region_job(&w->b.view, IPC_HANDLE_SLOT(h));
    assert_ptr_equal(ipc_region_ptr(&w->b.view, d->in[0].off, d->in[0].len), w->pa);
    assert_ptr_equal(ipc_region_ptr(&w->b.view, d->in[1].off, d->in[1].len), w->pb);
    assert_ptr_equal(ipc_region_ptr(&w->b.view, d->out[0].off, d->out[0].len), w->pout);
    assert_int_equal(d->in[0].len, 64);
    assert_int_equal(d->out[0].len, 64);
    bridge_answer(w, h, 1);
    proxy_result_t res;
    /* the outputs are in the buffer: an out array is refused */
    int32_t tmp[16];
    proxy_out_t po = {tmp, sizeof(tmp)};
    assert_int_equal(contract_wait(&w->c, h, 0, &res, &po, 1), PROXY_E_INVAL);
    assert_int_equal(contract_wait(&w->c, h, 0, &res, NULL, 0), PROXY_OK);
    for (int i = 0; i < 16; i++)
        assert_int_equal(w->pout[i], w->pa[i] + w->pb[i]);
    proxy_usage(w->f.proxy, &u);
    assert_int_equal(u.slots_busy, 0);
    assert_int_equal(u.bufs_busy, 0);
    assert_int_equal(u.heap_free_bytes, u0.heap_free_bytes);
    /* again with new inputs written in place */
    for (int i = 0; i < 16; i++)
        w->pa[i] = -7 * i;
    h = submit_bufs(w, 0);
    bridge_answer(w, h, 1);
    assert_int_equal(contract_wait(&w->c, h, 0, &res, NULL, 0), PROXY_OK);
    for (int i = 0; i < 16; i++)
        assert_int_equal(w->pout[i], -7 * i + 1000 * i);
    assert_int_equal(w->c.acct.ended[PROXY_END_OK], 2);
    world_free(w);
}

/* Mixed: inputs copied from private memory, output in a buffer; and the
 * other way round through the proxy's own request. */
static void test_mixed(void **state)
{
    (void)state;
    world_t *w = world_new(0);
    proxy_request_t req;
    memset(&req, 0, sizeof(req));
    fx_add16_t x;
    fx_add16_fill(&x, 5);
    uint32_t out[1] = {w->out}, h;
    req.model_id = FX_MODEL_ADD16;
    req.in = x.in;
    req.n_in = 2;
    req.out_buf = out;
    req.n_out = 1;
    assert_int_equal(proxy_submit(w->f.proxy, &req, &h), PROXY_OK);
    bridge_answer(w, h, 1);
    proxy_result_t res;
    assert_int_equal(proxy_wait(w->f.proxy, h, 0, &res, NULL, 0), PROXY_OK);
    for (int i = 0; i < 16; i++)
        assert_int_equal(w->pout[i], x.a[i] + x.b[i]);

    uint32_t in[2] = {w->a, w->bb};
    memset(&req, 0, sizeof(req));
    req.model_id = FX_MODEL_ADD16;
    req.in_buf = in;
    req.n_in = 2;
    assert_int_equal(proxy_submit(w->f.proxy, &req, &h), PROXY_OK);
    bridge_answer(w, h, 1);
    int32_t priv[16];
    proxy_out_t po = {priv, sizeof(priv)};
    assert_int_equal(proxy_wait(w->f.proxy, h, 0, &res, &po, 1), PROXY_OK);
    for (int i = 0; i < 16; i++)
        assert_int_equal(priv[i], w->pa[i] + w->pb[i]);
    /* both in and in_buf: refused */
    req.in = x.in;
    assert_int_equal(proxy_submit(w->f.proxy, &req, &h), PROXY_E_INVAL);
    proxy_usage_t u;
    proxy_usage(w->f.proxy, &u);
    assert_int_equal(u.slots_busy, 0);
    assert_int_equal(u.bufs_busy, 0);
    world_free(w);
}

/* The sharing rules: readers may share, a writer excludes everything, an
 * output may not alias an input of the same job; a refused submission
 * leaves no slot, no ring entry and no buffer mark behind. */
static void test_sharing_rules(void **state)
{
    (void)state;
    world_t *w = world_new(0);
    int32_t *p2;
    uint32_t out2 = buf_new(w, 64, &p2);
    proxy_usage_t u0, u;
    uint32_t h1 = submit_bufs(w, 0); /* reads a, bb; writes out */
    proxy_usage(w->f.proxy, &u0);
    uint32_t h;
    /* a second reader of a and bb, writing out2: allowed */
    uint32_t in[2] = {w->a, w->bb}, o2[1] = {out2};
    assert_int_equal(contract_submit_bufs(&w->c, FX_MODEL_ADD16, in, 2, o2, 1, 0, &h), PROXY_OK);
    proxy_usage(w->f.proxy, &u0);
    /* out is being written by h1: as input or output, busy */
    uint32_t in_busy[2] = {w->out, w->a}, o_busy[1] = {w->out};
    assert_int_equal(contract_submit_bufs(&w->c, FX_MODEL_ADD16, in_busy, 2, o2, 1, 0, &h), PROXY_E_BUF_BUSY);
    assert_int_equal(contract_submit_bufs(&w->c, FX_MODEL_ADD16, in, 2, o_busy, 1, 0, &h), PROXY_E_BUF_BUSY);
    /* a is being read: as an output, busy */
    uint32_t o_a[1] = {w->a};
    assert_int_equal(contract_submit_bufs(&w->c, FX_MODEL_ADD16, in, 2, o_a, 1, 0, &h), PROXY_E_BUF_BUSY);
    assert_int_equal(w->c.rejected[CONTRACT_REJ_BUF_BUSY], 3);
    proxy_usage(w->f.proxy, &u);
    assert_int_equal(u.slots_busy, u0.slots_busy);
    assert_int_equal(u.sq_head[ipc_region_ring_of(&w->f.proxy->region, IPC_QOS_NORMAL)],
                     u0.sq_head[ipc_region_ring_of(&w->f.proxy->region, IPC_QOS_NORMAL)]);
    assert_int_equal(u.bufs_busy, u0.bufs_busy);
    assert_int_equal(w->c.acct.inflight, 2);
    /* freeing a busy buffer is refused */
    assert_int_equal(proxy_buf_free(w->f.proxy, w->a), PROXY_E_BUF_BUSY);
    assert_int_equal(proxy_buf_free(w->f.proxy, w->out), PROXY_E_BUF_BUSY);
    bridge_answer(w, h1, 1);
    proxy_result_t res;
    assert_int_equal(contract_wait(&w->c, h1, 0, &res, NULL, 0), PROXY_OK);
    /* out is free again; a still read by the second job */
    assert_false(proxy_buf_busy(w->f.proxy, w->out));
    assert_true(proxy_buf_busy(w->f.proxy, w->a));
    assert_int_equal(proxy_buf_free(w->f.proxy, w->a), PROXY_E_BUF_BUSY);
    world_free(w);
}

/* An output aliasing an input of the same job, a buffer too short for the
 * tensor, an unknown id and a stale id are all refused, leaving nothing. */
static void test_bad_buffers(void **state)
{
    (void)state;
    world_t *w = world_new(0);
    int32_t *small, *p;
    uint32_t sid = buf_new(w, 32, &small);
    proxy_usage_t u0, u;
    proxy_usage(w->f.proxy, &u0);
    uint32_t h, in[2] = {w->a, w->bb}, o_alias[1] = {w->bb}, o[1] = {w->out};
    assert_int_equal(contract_submit_bufs(&w->c, FX_MODEL_ADD16, in, 2, o_alias, 1, 0, &h), PROXY_E_BUF_BUSY);
    uint32_t in_small[2] = {w->a, sid};
    assert_int_equal(contract_submit_bufs(&w->c, FX_MODEL_ADD16, in_small, 2, o, 1, 0, &h), PROXY_E_BAD_BUF);
    uint32_t in_bad[2] = {w->a, 0x7FFFFFu << 8 | 3u};
    assert_int_equal(contract_submit_bufs(&w->c, FX_MODEL_ADD16, in_bad, 2, o, 1, 0, &h), PROXY_E_BAD_BUF);
    uint32_t in_slot[2] = {w->a, (1u << 8) | 200u};
    assert_int_equal(contract_submit_bufs(&w->c, FX_MODEL_ADD16, in_slot, 2, o, 1, 0, &h), PROXY_E_BAD_BUF);
    /* stale: free a buffer, allocate again (same slot, new generation) */
    assert_int_equal(proxy_buf_free(w->f.proxy, sid), PROXY_OK);
    assert_int_equal(proxy_buf_free(w->f.proxy, sid), PROXY_E_BAD_BUF);
    uint32_t again = buf_new(w, 64, &p);
    assert_int_not_equal(again, sid);
    assert_null(proxy_buf_ptr(w->f.proxy, sid, NULL));
    uint32_t len = 0;
    assert_ptr_equal(proxy_buf_ptr(w->f.proxy, again, &len), p);
    assert_true(len >= 64);
    in_small[1] = sid;
    assert_int_equal(contract_submit_bufs(&w->c, FX_MODEL_ADD16, in_small, 2, o, 1, 0, &h), PROXY_E_BAD_BUF);
    /* counts and signatures */
    assert_int_equal(contract_submit_bufs(&w->c, FX_MODEL_ADD16, in, 1, o, 1, 0, &h), PROXY_E_MODEL_SIGNATURE);
    assert_int_equal(contract_submit_bufs(&w->c, FX_MODEL_ADD16, in, 2, NULL, 0, 0, &h), PROXY_E_MODEL_SIGNATURE);
    assert_int_equal(contract_submit_bufs(&w->c, FX_MODEL_ADD16, NULL, 2, o, 1, 0, &h), PROXY_E_INVAL);
    assert_int_equal(contract_submit_bufs(&w->c, FX_MODEL_ADD16, in, 2, NULL, 1, 0, &h), CONTRACT_E_INVAL);
    assert_int_equal(contract_submit_bufs(&w->c, FX_MODEL_ADD16, in, 2, o, 1, 0, NULL), CONTRACT_E_INVAL);
    proxy_usage(w->f.proxy, &u);
    assert_int_equal(u.slots_busy, 0);
    assert_int_equal(u.bufs_busy, 0);
    assert_int_equal(w->c.acct.inflight, 0); /* no refused claim left counted */
    /* then a good one still works */
    h = submit_bufs(w, 0);
    bridge_answer(w, h, 1);
    proxy_result_t res;
    assert_int_equal(contract_wait(&w->c, h, 0, &res, NULL, 0), PROXY_OK);
    world_free(w);
}

/* The table holds ZEN_CFG_MAX_BUFS; a full table and a too-big request are
 * refused; freeing everything gives the heap back whole. */
static void test_table_and_heap(void **state)
{
    (void)state;
    world_t *w = world_new(0);
    proxy_usage_t u0, u;
    uint32_t ids[ZEN_CFG_MAX_BUFS];
    void *p;
    uint32_t n = 3; /* world_new took three */
    assert_int_equal(proxy_buf_alloc(w->f.proxy, 0, &ids[0], &p), PROXY_E_INVAL);
    assert_int_equal(proxy_buf_alloc(w->f.proxy, 0x40000000u, &ids[0], &p), PROXY_E_TENSOR_TOO_BIG);
    proxy_usage(w->f.proxy, &u0);
    for (; n < ZEN_CFG_MAX_BUFS; n++)
        assert_int_equal(proxy_buf_alloc(w->f.proxy, 64, &ids[n], &p), PROXY_OK);
    uint32_t extra;
    assert_int_equal(proxy_buf_alloc(w->f.proxy, 64, &extra, &p), PROXY_E_BUF_TABLE_FULL);
    for (n = 3; n < ZEN_CFG_MAX_BUFS; n++)
        assert_int_equal(proxy_buf_free(w->f.proxy, ids[n]), PROXY_OK);
    proxy_usage(w->f.proxy, &u);
    assert_int_equal(u.heap_free_bytes, u0.heap_free_bytes);
    assert_int_equal(u.bufs_live, 3);
    assert_int_equal(proxy_buf_free(w->f.proxy, w->a), PROXY_OK);
    assert_int_equal(proxy_buf_free(w->f.proxy, w->bb), PROXY_OK);
    assert_int_equal(proxy_buf_free(w->f.proxy, w->out), PROXY_OK);
    proxy_usage(w->f.proxy, &u);
    assert_int_equal(u.bufs_live, 0);
    assert_int_equal(u.heap_free_bytes, u0.heap_free_bytes + 3u * 64u);
    assert_string_equal(proxy_strerror(PROXY_E_BUF_BUSY), "PROXY_E_BUF_BUSY");
    assert_string_equal(contract_reject_name(CONTRACT_REJ_BUF_BUSY), "buffer_busy");
    world_free(w);
}

/* A job that timed out keeps its buffers busy until the late answer: the
 * bridge may still be writing the output buffer. */
static void test_timeout_keeps_buffers(void **state)
{
    (void)state;
    world_t *w = world_new(0);
    uint32_t h = submit_bufs(w, 2000);
    proxy_result_t res;
    assert_int_equal(contract_wait(&w->c, h, PROXY_WAIT_UNTIL_DEADLINE, &res, NULL, 0), PROXY_E_TIMED_OUT);
    assert_true(proxy_buf_busy(w->f.proxy, w->out));
    uint32_t h2, in[2] = {w->a, w->bb}, o[1] = {w->out};
    assert_int_equal(contract_submit_bufs(&w->c, FX_MODEL_ADD16, in, 2, o, 1, 0, &h2), PROXY_E_BUF_BUSY);
    assert_int_equal(proxy_buf_free(w->f.proxy, w->out), PROXY_E_BUF_BUSY);
    bridge_answer(w, h, 1); /* the late answer */
    assert_int_equal(w->f.proxy->stats.late_answers, 1);
    assert_false(proxy_buf_busy(w->f.proxy, w->out));
    h2 = submit_bufs(w, 0);
    bridge_answer(w, h2, 1);
    assert_int_equal(contract_wait(&w->c, h2, 0, &res, NULL, 0), PROXY_OK);
    world_free(w);
}

/* Bridge lost, new epoch: the reclaimed job gives its buffers back. */
static void test_reclaim_frees_buffers(void **state)
{
    (void)state;
    world_t *w = world_new(1);
    ipc_write_once(&w->f.proxy->region.hdr->bridge.hb_period_us, 1000u);
    proxy_tick(w->f.proxy);
    uint32_t h = submit_bufs(w, 0);
    ipc_packet_t pkt;
    assert_int_equal(hand_take(&w->b, &pkt), 0); /* taken, then the instance dies */
    struct timespec ts = {0, 10000000L};
    nanosleep(&ts, NULL);
    proxy_tick(w->f.proxy);
    assert_false(proxy_bridge_online(w->f.proxy));
    proxy_result_t res;
    assert_int_equal(contract_wait(&w->c, h, 0, &res, NULL, 0), PROXY_E_BRIDGE_LOST);
    assert_true(proxy_buf_busy(w->f.proxy, w->out));
    fx_fake_bridge(&w->f, IPC_STATE_READY, 2);
    assert_int_equal(w->f.proxy->stats.reclaimed, 1);
    assert_false(proxy_buf_busy(w->f.proxy, w->out));
    assert_false(proxy_buf_busy(w->f.proxy, w->a));
    proxy_usage_t u;
    proxy_usage(w->f.proxy, &u);
    assert_int_equal(u.bufs_busy, 0);
    assert_int_equal(u.slots_busy, 0);
    world_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_place_job),          cmocka_unit_test(test_mixed),
        cmocka_unit_test(test_sharing_rules),         cmocka_unit_test(test_bad_buffers),
        cmocka_unit_test(test_table_and_heap),        cmocka_unit_test(test_timeout_keeps_buffers),
        cmocka_unit_test(test_reclaim_frees_buffers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
