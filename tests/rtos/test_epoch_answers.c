/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_epoch_answers.c - answers that cross an epoch, with the test as a
 * step-by-step bridge (no threads, no clock but one short sleep):
 *  - a bridge instance answers jobs and dies before the ZENEDGE side read
 *    the answers (poll doorbell); a new bridge epoch comes online: the jobs
 *    end OK with those answers, none BRIDGE_LOST, none refused duplicate;
 *  - the ZENEDGE side restarts while a bridge pass attached to its earlier
 *    epoch still posts an answer into the fresh completion ring: the
 *    answer names (slot, generation 1), the handle of the new instance's
 *    first job; it is refused, the new job ends with its own answer.
 * docs/protocol.md, "Bridge loss and restart" (steps 2 and 3).
 */
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

#define REJ(p, reason) ((p)->stats.cq_rejected[ZEN_CFG_REJECT_COUNTERS ? (reason) : 0])

typedef struct world {
    fx_opts_t o;
    fx_t f;
    hand_bridge_t b;
    contract_t c;
    fx_add16_t x;
} world_t;

static world_t *world_new(void)
{
    world_t *w = calloc(1, sizeof(*w));
    fx_opts_default(&w->o);
    w->o.doorbell = IPC_DB_POLL;
    w->o.hb_slack_us = 1; /* lost after 3 x 1 ms without a heartbeat */
    assert_int_equal(fx_init(&w->f, &w->o), 0);
    fx_fake_bridge(&w->f, IPC_STATE_READY, 1);
    ipc_write_once(&w->f.proxy->region.hdr->bridge.hb_period_us, 1000u);
    assert_int_equal(hand_attach(&w->b, w->f.region, w->f.size), 0);
    fx_contract(&w->f, &w->c, "t", add16_only, 1, 16, IPC_QOS_NORMAL);
    fx_add16_fill(&w->x, 10);
    return w;
}

static void world_free(world_t *w)
{
    fx_fini(&w->f);
    free(w);
}

static uint32_t submit(world_t *w)
{
    uint32_t h = 0;
    assert_int_equal(contract_submit_job(&w->c, FX_MODEL_ADD16, w->x.in, 2, 0, &h), 0);
    return h;
}

/* A new bridge instance attaches: it adopted the tails of hand bridge b
 * (none of the dead instance's packets is its to answer) and publishes
 * them with epoch `epoch`; our tick sees it. */
static void new_instance(world_t *w, uint32_t epoch)
{
    ipc_side_t *s = &w->f.proxy->region.hdr->bridge;
    for (uint32_t i = 0; i < IPC_MAX_SQ; i++)
        ipc_write_once(&s->sq_tail_at_start[i], i < w->b.view.n_sq ? w->b.sq[i].tail : 0u);
    ipc_write_once(&s->features, IPC_FEAT_START_TAILS);
    fx_fake_bridge(&w->f, IPC_STATE_READY, epoch);
}

static void expect_ok(world_t *w, uint32_t h, uint32_t bridge_epoch)
{
    proxy_result_t res;
    int32_t out[16];
    proxy_out_t po = {out, sizeof(out)};
    assert_int_equal(contract_wait(&w->c, h, 0, &res, &po, 1), PROXY_OK);
    assert_int_equal(res.bridge_epoch, bridge_epoch);
    for (int i = 0; i < 16; i++)
        assert_int_equal(out[i], w->x.a[i] + w->x.b[i]);
}

/* Epoch 1 answers three jobs and dies before we read them. loss_tick: our
 * tick notices the loss (step 2) before epoch 2 comes; else epoch 2 is the
 * first we hear of it (step 3). */
static void dead_instance_answers(bool loss_tick)
{
    world_t *w = world_new();
    proxy_t *p = w->f.proxy;
    uint32_t h[3];
    ipc_packet_t pkt;
    for (int i = 0; i < 3; i++) {
        h[i] = submit(w);
        assert_int_equal(hand_take(&w->b, &pkt), 0);
        assert_int_equal(pkt.payload_id, h[i]);
        hand_fill_answer(&w->b, h[i], 10, 1);
        assert_true(hand_post(&w->b, CMD_JOB_DONE, IPC_STATUS_OK, h[i]) >= 0);
    }
    if (loss_tick) {
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
        proxy_tick(p);
        assert_false(proxy_bridge_online(p));
    }
    new_instance(w, 2);
    assert_true(proxy_bridge_online(p));
    (void)proxy_complete(p); /* nothing left: the tick read them */
    for (int i = 0; i < 3; i++)
        expect_ok(w, h[i], 1);
    assert_int_equal(proxy_complete(p), 0);
    assert_int_equal(REJ(p, PROXY_CQ_DUPLICATE), 0);
    assert_int_equal(p->stats.reclaimed, 0);
    assert_int_equal(p->stats.late_answers, 0);
    assert_int_equal(p->stats.ended[PROXY_END_BRIDGE_LOST], 0);
    assert_int_equal(p->stats.completions, 3);
    proxy_usage_t u;
    proxy_usage(p, &u);
    assert_int_equal(u.slots_busy, 0);
    assert_int_equal(u.slots_held, 0);
    world_free(w);
}

static void test_dead_answers_new_epoch(void **state)
{
    (void)state;
    dead_instance_answers(false);
}

static void test_dead_answers_after_loss(void **state)
{
    (void)state;
    dead_instance_answers(true);
}

/* The bridge checked our epoch (1), then we restart (epoch 2: the region
 * re-initialised, its bridge words zeroed), then it posts the answer of
 * the job it took from epoch 1 through its old ring view, then it sees the
 * restart and attaches again (bridge epoch 2). Our first job of epoch 2
 * has the old job's handle. */
static void test_stale_answer_after_restart(void **state)
{
    (void)state;
    world_t *w = world_new();
    uint32_t old_h = submit(w);
    ipc_packet_t pkt;
    assert_int_equal(hand_take(&w->b, &pkt), 0);
    hand_fill_answer(&w->b, old_h, 10, 1);

    assert_int_equal(fx_restart(&w->f, &w->o, 2), 0);
    proxy_t *p = w->f.proxy;
    assert_false(proxy_bridge_online(p));
    assert_int_equal(ipc_read_once(&p->region.hdr->bridge.epoch), 0);
    assert_true(hand_post(&w->b, CMD_JOB_DONE, IPC_STATUS_OK, old_h) >= 0); /* the stale pass */

    hand_bridge_t b2;
    assert_int_equal(hand_attach(&b2, w->f.region, w->f.size), 0);
    w->b = b2;
    new_instance(w, 2);
    assert_true(proxy_bridge_online(p));

    fx_contract(&w->f, &w->c, "t", add16_only, 1, 16, IPC_QOS_NORMAL);
    fx_add16_fill(&w->x, 20);
    uint32_t h = submit(w);
    assert_int_equal(h, old_h); /* same slot, generation 1 again */
    (void)proxy_complete(p);
    proxy_job_info_t info; /* not ended by the stale answer */
    assert_int_equal(contract_job_status(&w->c, h, &info), 0);
    assert_int_equal(info.state, PROXY_JOB_SUBMITTED);
    assert_int_equal(REJ(p, PROXY_CQ_UNKNOWN_JOB), 1); /* read and refused before we went online */

    assert_int_equal(hand_take(&w->b, &pkt), 0);
    assert_int_equal(pkt.payload_id, h);
    hand_fill_answer(&w->b, h, 10, 2);
    assert_true(hand_post(&w->b, CMD_JOB_DONE, IPC_STATUS_OK, h) >= 0);
    assert_int_equal(proxy_complete(p), 1);
    expect_ok(w, h, 2);
    assert_int_equal(p->stats.completions, 1);
    world_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dead_answers_new_epoch),
        cmocka_unit_test(test_dead_answers_after_loss),
        cmocka_unit_test(test_stale_answer_after_restart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
