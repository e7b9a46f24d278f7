/* SPDX-License-Identifier: BSD-3-Clause */
/* test_min_config: what the minimal configuration (every feature switch
 * of zenedge_config.h off, see zenedge_rtos_min) leaves out is really out
 * and refused as documented: a request naming tensor buffers is
 * PROXY_E_INVAL, the reject counters have one entry that counts every
 * reason, the stage times are not kept, and a new bridge epoch is
 * recovered without the published start tails. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hand_bridge.h"
#include "rtos_fixture.h"
#include "zenedge/barrier.h"

_Static_assert(ZEN_CFG_ZERO_COPY == 0 && ZEN_CFG_STAGE_TIMES == 0 && ZEN_CFG_START_TAILS == 0 &&
                   ZEN_CFG_REJECT_COUNTERS == 0 && ZEN_CFG_LAT_HIST == 0 && ZEN_CFG_LOG_LEVEL == -1,
               "built against the minimal configuration");
_Static_assert(sizeof(((proxy_stats_t *)0)->cq_rejected) == sizeof(uint32_t), "one reject counter");
_Static_assert(sizeof(((contract_t *)0)->rejected) == sizeof(uint32_t), "one contract reject counter");

static const uint32_t add16_only[] = {FX_MODEL_ADD16};

typedef struct world {
    fx_t f;
    contract_t c;
    hand_bridge_t b;
    fx_add16_t x;
} world_t;

static world_t *world_new(void)
{
    static world_t w;
    fx_opts_t o;
    fx_opts_default(&o);
    o.features = IPC_FEAT_SHARED_CLOCK;
    assert_int_equal(fx_init(&w.f, &o), 0);
    fx_fake_bridge(&w.f, IPC_STATE_READY, 1);
    fx_contract(&w.f, &w.c, "min", add16_only, 1, 8, IPC_QOS_NORMAL);
    assert_int_equal(hand_attach(&w.b, w.f.region, w.f.size), 0);
    fx_add16_fill(&w.x, 1);
    return &w;
}

static void test_buffers_refused(void **state)
{
    (void)state;
    world_t *w = world_new();
    const uint32_t ids[2] = {1u, 2u};
    proxy_request_t req = {.model_id = FX_MODEL_ADD16, .qos = IPC_QOS_NORMAL, .in_buf = ids, .n_in = 2};
    uint32_t h = 0;
    assert_int_equal(proxy_submit(w->f.proxy, &req, &h), PROXY_E_INVAL);
    assert_int_equal(proxy_submit_checked(w->f.proxy, &req, proxy_model_find(w->f.proxy, FX_MODEL_ADD16), &h),
                     PROXY_E_INVAL);
    proxy_usage_t u;
    proxy_usage(w->f.proxy, &u);
    assert_int_equal(u.slots_busy, 0);
    assert_int_equal(u.bufs_live, 0);
    fx_fini(&w->f);
}

static void test_one_counter_no_stage_times(void **state)
{
    (void)state;
    world_t *w = world_new();
    uint32_t h = 0;
    /* a contract refusal and a completion refusal land in [0] */
    assert_int_equal(contract_submit_job(&w->c, 999u, w->x.in, 2, 0, &h), CONTRACT_E_NOT_ALLOWED);
    assert_int_equal(w->c.rejected[0], 1);
    assert_int_equal(contract_submit_job(&w->c, FX_MODEL_ADD16, w->x.in, 2, 0, &h), CONTRACT_OK);
    ipc_packet_t pkt;
    assert_int_equal(hand_take(&w->b, &pkt), 0);
    assert_true(hand_post(&w->b, 0x7777u, 0, h) >= 0); /* bad command */
    hand_fill_answer(&w->b, h, 10, 1);
    assert_true(hand_post(&w->b, CMD_JOB_DONE, IPC_STATUS_OK, h) >= 0);
    assert_int_equal(proxy_complete(w->f.proxy), 2);
    assert_int_equal(w->f.proxy->stats.cq_rejected[0], 1);
    proxy_result_t res;
    int32_t out[16];
    proxy_out_t po = {out, sizeof(out)};
    assert_int_equal(contract_wait(&w->c, h, 0, &res, &po, 1), PROXY_OK);
    assert_int_equal(out[0], w->x.a[0] + w->x.b[0]);
    assert_false(res.times_valid);
    assert_true(res.t_pickup == 0 && res.t_backend_start == 0 && res.t_backend_end == 0 && res.t_complete == 0);
    assert_int_equal(w->f.proxy->stats.bad_timestamps, 0);
    fx_fini(&w->f);
}

static void test_new_epoch_without_start_tails(void **state)
{
    (void)state;
    world_t *w = world_new();
    uint32_t h = 0;
    assert_int_equal(contract_submit_job(&w->c, FX_MODEL_ADD16, w->x.in, 2, 0, &h), CONTRACT_OK);
    ipc_packet_t pkt;
    assert_int_equal(hand_take(&w->b, &pkt), 0); /* the old instance took it, then died */
    ipc_side_t *b = &w->f.proxy->region.hdr->bridge;
    for (uint32_t i = 0; i < IPC_MAX_SQ; i++)
        ipc_write_once(&b->sq_tail_at_start[i], i < w->b.view.n_sq ? w->b.sq[i].tail : 0u);
    ipc_write_once(&b->features, IPC_FEAT_START_TAILS); /* published, but not built here */
    fx_fake_bridge(&w->f, IPC_STATE_READY, 2);
    proxy_result_t res;
    assert_int_equal(contract_wait(&w->c, h, 0, &res, NULL, 0), PROXY_E_BRIDGE_LOST);
    assert_int_equal(w->f.proxy->stats.start_tails_used, 0);
    assert_int_equal(w->f.proxy->stats.start_tails_bad, 0);
    proxy_usage_t u;
    proxy_usage(w->f.proxy, &u);
    assert_int_equal(u.slots_busy, 0); /* below our own snapshot of the tails: reclaimed */
    assert_int_equal(w->f.proxy->stats.reclaimed, 1);
    fx_fini(&w->f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buffers_refused),
        cmocka_unit_test(test_one_counter_no_stage_times),
        cmocka_unit_test(test_new_epoch_without_start_tails),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}
