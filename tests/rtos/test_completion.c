/* SPDX-License-Identifier: BSD-3-Clause */
/* test_completion.c - the completion handler, deadlines, cancellation and held slots, with the test as a step-by-step bridge (no threads). */
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
    fx_add16_t x;
} world_t;

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
    fx_add16_fill(&w->x, 10);
    return w;
}

static void world_free(world_t *w)
{
    fx_fini(&w->f);
    free(w);
}

static uint32_t submit(world_t *w, uint32_t deadline_us)
{
    uint32_t h = 0;
    assert_int_equal(contract_submit_job(&w->c, FX_MODEL_ADD16, w->x.in, 2, deadline_us, &h), 0);
    return h;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static const uint32_t *rej(world_t *w)
{
    return w->f.proxy->stats.cq_rejected;
}

/* The counter of a reject reason; with ZEN_CFG_REJECT_COUNTERS 0 the one
 * counter of every reason. */
#define REJ(w, reason) (rej(w)[ZEN_CFG_REJECT_COUNTERS ? (reason) : 0])

static void test_good_answer(void **state)
{
    (void)state;
    world_t *w = world_new(0);
    uint32_t h = submit(w, 0);
    proxy_job_info_t info;
    assert_int_equal(contract_job_status(&w->c, h, &info), 0);
    assert_int_equal(info.state, PROXY_JOB_SUBMITTED);
    ipc_packet_t pkt;
    assert_int_equal(hand_take(&w->b, &pkt), 0);
    assert_int_equal(pkt.cmd, CMD_RUN_MODEL);
    assert_int_equal(pkt.flags, 0);
    assert_int_equal(contract_job_status(&w->c, h, &info), 0);
    assert_int_equal(info.state, PROXY_JOB_RUNNING);
    assert_int_equal(contract_cancel(&w->c, h), PROXY_E_TOO_LATE);
    hand_fill_answer(&w->b, h, 1000, 1);
    hand_post(&w->b, CMD_JOB_DONE, IPC_STATUS_OK, h);
    assert_int_equal(proxy_complete(w->f.proxy), 1);
    assert_int_equal(contract_job_status(&w->c, h, &info), 0);
    assert_int_equal(info.state, PROXY_JOB_DONE);
    proxy_result_t res;
    int32_t out[16];
    proxy_out_t po = {out, sizeof(out)};
    assert_int_equal(contract_wait(&w->c, h, 0, &res, &po, 1), PROXY_OK);
    for (int i = 0; i < 16; i++)
        assert_int_equal(out[i], w->x.a[i] + w->x.b[i]);
    assert_int_equal(res.result, 7);
#if ZEN_CFG_STAGE_TIMES
    assert_true(res.times_valid);
    assert_true(res.t_submit <= res.t_pickup && res.t_complete <= res.t_complete_seen &&
                res.t_complete_seen <= res.t_wake);
#else
    assert_false(res.times_valid); /* not kept in this build */
    assert_true(res.t_pickup == 0 && res.t_complete == 0 && res.t_submit <= res.t_complete_seen &&
                res.t_complete_seen <= res.t_wake);
#endif
    /* the job was done before the wait was called */
    assert_true(res.t_complete_seen <= res.t_wait_call && res.t_wait_call <= res.t_wake);
    /* collected and answered: the handle is gone, the slot free */
    assert_int_equal(contract_wait(&w->c, h, 0, &res, NULL, 0), PROXY_E_BAD_HANDLE);
    proxy_usage_t u;
    proxy_usage(w->f.proxy, &u);
    assert_int_equal(u.slots_busy, 0);
    assert_int_equal(w->c.acct.ended[PROXY_END_OK], 1);
    world_free(w);
}

/* Forged, malformed and repeated completions: each rejected, counted by
 * its reason, and nothing in the region written but the ring's tail. */
static void test_rejects_write_nothing(void **state)
{
    (void)state;
    world_t *w = world_new(0);
    uint32_t h = submit(w, 0);
    ipc_packet_t pkt;
    assert_int_equal(hand_take(&w->b, &pkt), 0);
    uint32_t slot = IPC_HANDLE_SLOT(h), gen = IPC_HANDLE_GEN(h);
    hand_post(&w->b, 0x7777, 0, h);                                                            /* bad cmd */
    hand_post(&w->b, CMD_JOB_DONE, 0, IPC_HANDLE(gen, 31) & ~(IPC_GEN_MASK << IPC_SLOT_BITS)); /* gen 0 */
    hand_post(&w->b, CMD_JOB_DONE, 0, IPC_HANDLE(gen, 40));        /* slot >= max_jobs (32) */
    hand_post(&w->b, CMD_JOB_DONE, 0, IPC_HANDLE(gen + 5u, slot)); /* forged generation */
    hand_post(&w->b, CMD_JOB_DONE, 0, IPC_HANDLE(1, slot + 1u));   /* slot never used */
    hand_post(&w->b, CMD_ERROR, IPC_STATUS_BAD_CMD, 0xABCDEFu);    /* error for nobody */
    size_t size = w->f.size;
    uint8_t *before = malloc(size);
    memcpy(before, w->f.region, size);
    assert_int_equal(proxy_complete(w->f.proxy), 6);
    uint32_t tail_off = w->f.proxy->region.cq_off + 2u * IPC_CACHELINE;
    for (size_t i = 0; i < size; i++)
        if (i < tail_off || i >= tail_off + 4u)
            assert_int_equal(((uint8_t *)w->f.region)[i], before[i]);
    free(before);
#if ZEN_CFG_REJECT_COUNTERS
    assert_int_equal(rej(w)[PROXY_CQ_BAD_CMD], 1);
    assert_int_equal(rej(w)[PROXY_CQ_BAD_HANDLE], 2);
    assert_int_equal(rej(w)[PROXY_CQ_UNKNOWN_JOB], 2);
    assert_int_equal(rej(w)[PROXY_CQ_UNATTRIBUTED], 1);
#else
    assert_int_equal(rej(w)[0], 6);
#endif
    proxy_job_info_t info;
    assert_int_equal(contract_job_status(&w->c, h, &info), 0);
    assert_int_equal(info.state, PROXY_JOB_RUNNING); /* untouched */

    /* the real answer, then a duplicate while the slot is held, then one
     * after the slot was released */
    hand_fill_answer(&w->b, h, 10, 1);
    hand_post(&w->b, CMD_JOB_DONE, IPC_STATUS_OK, h);
    hand_post(&w->b, CMD_JOB_DONE, IPC_STATUS_OK, h);
    assert_int_equal(proxy_complete(w->f.proxy), 2);
    assert_int_equal(REJ(w, PROXY_CQ_DUPLICATE), ZEN_CFG_REJECT_COUNTERS ? 1 : 7);
    proxy_result_t res;
    assert_int_equal(contract_wait(&w->c, h, 0, &res, NULL, 0), PROXY_OK);
    hand_post(&w->b, CMD_JOB_DONE, IPC_STATUS_OK, h);
    assert_int_equal(proxy_complete(w->f.proxy), 1);
    assert_int_equal(REJ(w, PROXY_CQ_STALE), ZEN_CFG_REJECT_COUNTERS ? 1 : 8);
    assert_int_equal(w->c.acct.ended[PROXY_END_OK], 1);
    world_free(w);
}

/* An attributed answer that is malformed ends its job BAD_COMPLETION. */
static void bad_answer_case(uint16_t cmd, uint16_t status, uint64_t backend_ns, int reason)
{
    world_t *w = world_new(0);
    uint32_t h = submit(w, 0);
    ipc_packet_t pkt;
    assert_int_equal(hand_take(&w->b, &pkt), 0);
    hand_fill_answer(&w->b, h, backend_ns, 1);
    hand_post(&w->b, cmd, status, h);
    assert_int_equal(proxy_complete(w->f.proxy), 1);
    assert_int_equal(REJ(w, reason), 1);
    proxy_result_t res;
    assert_int_equal(contract_wait(&w->c, h, 0, &res, NULL, 0), PROXY_E_BAD_COMPLETION);
    assert_int_equal(w->c.acct.ended[PROXY_END_BAD_COMPLETION], 1);
    assert_int_equal(w->c.acct.used_ns, 0); /* nothing charged */
    proxy_usage_t u;
    proxy_usage(w->f.proxy, &u);
    assert_int_equal(u.slots_busy, 0);
    world_free(w);
}

static void test_bad_status(void **state)
{
    (void)state;
    bad_answer_case(CMD_JOB_DONE, IPC_STATUS_COUNT, 10, PROXY_CQ_BAD_STATUS);
    bad_answer_case(CMD_JOB_DONE, 0xFFFF, 10, PROXY_CQ_BAD_STATUS);
}

static void test_bad_time(void **state)
{
    (void)state;
    bad_answer_case(CMD_JOB_DONE, IPC_STATUS_OK, ZEN_CFG_BACKEND_NS_MAX + 1u, PROXY_CQ_BAD_TIME);
}

static void test_cmd_mismatch(void **state)
{
    (void)state;
    bad_answer_case(CMD_PONG, IPC_STATUS_OK, 10, PROXY_CQ_CMD_MISMATCH);
}

static void test_failed_status_and_clamp(void **state)
{
    (void)state;
    world_t *w = world_new(0);
    uint32_t h = submit(w, 0);
    ipc_packet_t pkt;
    assert_int_equal(hand_take(&w->b, &pkt), 0);
    hand_fill_answer(&w->b, h, 9000000000ull, 1); /* 9 s: in range, far above the job's life */
    hand_post(&w->b, CMD_JOB_DONE, IPC_STATUS_BACKEND_ERROR, h);
    assert_int_equal(proxy_complete(w->f.proxy), 1);
    proxy_result_t res;
    assert_int_equal(contract_wait(&w->c, h, 0, &res, NULL, 0), PROXY_E_JOB_FAILED);
    assert_int_equal(res.ipc_status, IPC_STATUS_BACKEND_ERROR);
    assert_int_equal(w->f.proxy->stats.time_clamped, 1);
    assert_true(w->c.acct.used_ns < 9000000000ull);
    assert_true(w->c.acct.used_ns <= res.t_complete_seen - res.t_submit);
    assert_int_equal(w->c.acct.failed_status[IPC_STATUS_BACKEND_ERROR], 1);
    world_free(w);
}

static void test_ping(void **state)
{
    (void)state;
    world_t *w = world_new(0);
    uint32_t h;
    assert_int_equal(proxy_ping(w->f.proxy, IPC_QOS_RT, 0, &h), 0);
    ipc_packet_t pkt;
    assert_int_equal(hand_take(&w->b, &pkt), 0);
    assert_int_equal(pkt.cmd, CMD_PING);
    assert_int_equal(pkt.payload_id, h);
    hand_fill_answer(&w->b, h, 0, 1);
    hand_post(&w->b, CMD_PONG, IPC_STATUS_OK, h);
    assert_int_equal(proxy_complete(w->f.proxy), 1);
    proxy_result_t res;
    assert_int_equal(proxy_wait(w->f.proxy, h, 0, &res, NULL, 0), PROXY_OK);
    assert_int_equal(res.model_id, 0);
    world_free(w);
}

/* Deadline passes: TIMED_OUT; the slot stays held until the late
 * answer arrives, which is counted and frees it. */
static void test_deadline_and_late_answer(void **state)
{
    (void)state;
    world_t *w = world_new(0);
    proxy_usage_t u0;
    proxy_usage(w->f.proxy, &u0);
    uint32_t h = submit(w, 2000); /* 2 ms */
    proxy_result_t res;
    assert_int_equal(contract_wait(&w->c, h, PROXY_WAIT_UNTIL_DEADLINE, &res, NULL, 0), PROXY_E_TIMED_OUT);
    assert_true(res.t_wake >= res.t_submit + 2000000u);
    proxy_usage_t u;
    proxy_usage(w->f.proxy, &u);
    assert_int_equal(u.slots_busy, 1);
    assert_int_equal(u.slots_held, 1);
    assert_int_equal(w->c.acct.inflight, 0);
    ipc_packet_t pkt;
    assert_int_equal(hand_take(&w->b, &pkt), 0);
    hand_fill_answer(&w->b, h, 1000, 1);
    hand_post(&w->b, CMD_JOB_DONE, IPC_STATUS_OK, h);
    assert_int_equal(proxy_complete(w->f.proxy), 1);
    assert_int_equal(w->f.proxy->stats.late_answers, 1);
    proxy_usage(w->f.proxy, &u);
    assert_int_equal(u.slots_busy, 0);
    assert_int_equal(u.slots_held, 0);
    assert_int_equal(u.heap_free_bytes, u0.heap_free_bytes);
    assert_int_equal(w->c.acct.ended[PROXY_END_TIMED_OUT], 1);
    assert_int_equal(w->c.acct.ended[PROXY_END_OK], 0); /* exactly one final status */
    world_free(w);
}

/* A job that ends without an answer reports none: the answer's words of
 * the job the same slot held before (result, epoch, backend time, when the
 * answer was seen) are not carried into its result. */
static void test_unanswered_reports_no_answer(void **state)
{
    (void)state;
    world_t *w = world_new(0);
    uint32_t h1 = submit(w, 0);
    ipc_packet_t pkt;
    assert_int_equal(hand_take(&w->b, &pkt), 0);
    hand_fill_answer(&w->b, h1, 1000, 1);
    hand_post(&w->b, CMD_JOB_DONE, IPC_STATUS_OK, h1);
    assert_int_equal(proxy_complete(w->f.proxy), 1);
    proxy_result_t res;
    assert_int_equal(contract_wait(&w->c, h1, 0, &res, NULL, 0), PROXY_OK);
    assert_int_equal(res.result, 7);
    assert_int_not_equal(res.t_complete_seen, 0);
    uint32_t h2 = submit(w, 2000);                              /* never answered */
    assert_int_equal(IPC_HANDLE_SLOT(h2), IPC_HANDLE_SLOT(h1)); /* the same slot again */
    memset(&res, 0xa5, sizeof(res));
    assert_int_equal(contract_wait(&w->c, h2, PROXY_WAIT_UNTIL_DEADLINE, &res, NULL, 0), PROXY_E_TIMED_OUT);
    assert_int_equal(res.ipc_status, IPC_STATUS_COUNT);
    assert_int_equal(res.result, 0);
    assert_int_equal(res.bridge_epoch, 0);
    assert_int_equal(res.backend_ns, 0);
    assert_int_equal(res.t_complete_seen, 0);
    assert_false(res.times_valid);
    world_free(w);
}

static void test_deadline_by_tick(void **state)
{
    (void)state;
    world_t *w = world_new(0);
    uint32_t h = submit(w, 1000);
    sleep_ms(3);
    fx_fake_bridge(&w->f, IPC_STATE_READY, 1); /* heartbeat + proxy_tick() */
    proxy_job_info_t info;
    assert_int_equal(contract_job_status(&w->c, h, &info), 0);
    assert_int_equal(info.state, PROXY_JOB_TIMED_OUT);
    world_free(w);
}

/* Cancel before pickup: CANCELLED at once, slot kept until the bridge's
 * answer (which it gives without running the job). */
static void test_cancel(void **state)
{
    (void)state;
    world_t *w = world_new(0);
    uint32_t h = submit(w, 0);
    assert_int_equal(contract_cancel(&w->c, h), 0);
    assert_int_equal(contract_cancel(&w->c, h), PROXY_E_ALREADY_ENDED);
    proxy_result_t res;
    assert_int_equal(contract_wait(&w->c, h, 0, &res, NULL, 0), PROXY_E_CANCELLED);
    ipc_packet_t pkt;
    assert_int_equal(hand_take(&w->b, &pkt), 0);
    ipc_job_desc_t *d = ipc_region_job(&w->b.view, IPC_HANDLE_SLOT(h));
    assert_int_equal(ipc_read_once(&d->cancel), 1);
    proxy_usage_t u;
    proxy_usage(w->f.proxy, &u);
    assert_int_equal(u.slots_held, 1);
    hand_post(&w->b, CMD_JOB_DONE, IPC_STATUS_CANCELLED, h);
    assert_int_equal(proxy_complete(w->f.proxy), 1);
    proxy_usage(w->f.proxy, &u);
    assert_int_equal(u.slots_busy, 0);
    assert_int_equal(w->c.acct.ended[PROXY_END_CANCELLED], 1);
    world_free(w);
}

/* Bridge silent: jobs end BRIDGE_LOST. A new epoch reclaims at once the
 * slots whose packets the lost instance had dequeued (a stale answer for
 * one is recognised); a packet still in the ring is answered by the new
 * instance (CANCELLED, since the proxy set its cancel word), which frees
 * its slot. */
static void test_lost_then_new_epoch(void **state)
{
    (void)state;
    world_t *w = world_new(1); /* 1 us slack: lost after 3 x 1 ms without heartbeat */
    ipc_write_once(&w->f.proxy->region.hdr->bridge.hb_period_us, 1000u);
    proxy_tick(w->f.proxy);
    uint32_t h1 = submit(w, 0), h2 = submit(w, 0), h3 = submit(w, 0);
    ipc_packet_t pkt;
    assert_int_equal(hand_take(&w->b, &pkt), 0); /* the instance takes h1 and h2, then dies */
    assert_int_equal(hand_take(&w->b, &pkt), 0);
    sleep_ms(10);
    proxy_tick(w->f.proxy);
    assert_false(proxy_bridge_online(w->f.proxy));
    proxy_result_t res;
    assert_int_equal(contract_wait(&w->c, h1, 0, &res, NULL, 0), PROXY_E_BRIDGE_LOST);
    assert_int_equal(contract_wait(&w->c, h2, 0, &res, NULL, 0), PROXY_E_BRIDGE_LOST);
    assert_int_equal(contract_wait(&w->c, h3, 0, &res, NULL, 0), PROXY_E_BRIDGE_LOST);
    uint32_t h4;
    assert_int_equal(contract_submit_job(&w->c, FX_MODEL_ADD16, w->x.in, 2, 0, &h4), PROXY_E_BRIDGE_OFFLINE);
    proxy_usage_t u;
    proxy_usage(w->f.proxy, &u);
    assert_int_equal(u.slots_held, 3);
    fx_fake_bridge(&w->f, IPC_STATE_READY, 2);
    assert_true(proxy_bridge_online(w->f.proxy));
    proxy_usage(w->f.proxy, &u);
    assert_int_equal(u.slots_busy, 1);
    assert_int_equal(w->f.proxy->stats.reclaimed, 2);
    ipc_job_desc_t *d1 = ipc_region_job(&w->b.view, IPC_HANDLE_SLOT(h1));
    assert_int_equal(ipc_read_once(&d1->handle), 0);
    /* a stale answer for h1 from the old instance */
    hand_post(&w->b, CMD_JOB_DONE, IPC_STATUS_OK, h1);
    assert_int_equal(proxy_complete(w->f.proxy), 1);
    assert_int_equal(REJ(w, PROXY_CQ_STALE), 1);
    /* the new instance finds h3 in the ring, with its cancel word set */
    assert_int_equal(hand_take(&w->b, &pkt), 0);
    assert_int_equal(pkt.payload_id, h3);
    ipc_job_desc_t *d3 = ipc_region_job(&w->b.view, IPC_HANDLE_SLOT(h3));
    assert_int_equal(ipc_read_once(&d3->handle), h3);
    assert_int_equal(ipc_read_once(&d3->cancel), 1);
    hand_post(&w->b, CMD_JOB_DONE, IPC_STATUS_CANCELLED, h3);
    assert_int_equal(proxy_complete(w->f.proxy), 1);
    assert_int_equal(w->f.proxy->stats.late_answers, 1);
    proxy_usage(w->f.proxy, &u);
    assert_int_equal(u.slots_busy, 0);
    /* new work goes through */
    h4 = submit(w, 0);
    assert_int_equal(hand_take(&w->b, &pkt), 0);
    assert_int_equal(pkt.payload_id, h4);
    hand_fill_answer(&w->b, h4, 10, 2);
    hand_post(&w->b, CMD_JOB_DONE, IPC_STATUS_OK, h4);
    assert_int_equal(proxy_complete(w->f.proxy), 1);
    assert_int_equal(contract_wait(&w->c, h4, 0, &res, NULL, 0), PROXY_OK);
    assert_int_equal(res.bridge_epoch, 2);
    world_free(w);
}

/* A new bridge instance comes up before the loss of the old one was
 * noticed, and dequeues a packet before our next tick. With the tails it
 * adopted at attach (protocol 1.1) only the old instance's job ends
 * BRIDGE_LOST and has its slot reclaimed; the job the new instance holds
 * goes on, keeps its slot (and tensor blocks) and ends with the new
 * instance's answer. mode 0: tails published;
 * 1: not published (1.0 bridge: our own snapshot, which also takes the new
 * instance's packet); 2: published but impossible (ignored, counted). */
static void restart_before_loss(int mode)
{
    world_t *w = world_new(0);
    uint32_t h1 = submit(w, 0), h2 = submit(w, 0);
    ipc_packet_t pkt;
    assert_int_equal(hand_take(&w->b, &pkt), 0); /* the old instance takes h1, then dies */
    assert_int_equal(pkt.payload_id, h1);
    uint32_t ring = ipc_region_ring_of(&w->f.proxy->region, IPC_QOS_NORMAL);
    ipc_side_t *b = &w->f.proxy->region.hdr->bridge;
    /* the new instance attaches: adopts the tails, publishes them, epoch 2 */
    for (uint32_t i = 0; i < IPC_MAX_SQ; i++)
        ipc_write_once(&b->sq_tail_at_start[i], i < w->b.view.n_sq ? w->b.sq[i].tail : 0u);
    if (mode == 2)
        ipc_write_once(&b->sq_tail_at_start[ring], w->b.sq[ring].tail + 5u); /* ahead of our head */
    ipc_write_once(&b->features, mode == 1 ? 0u : IPC_FEAT_START_TAILS);
    ipc_store_release(&b->epoch, 2u);
    assert_int_equal(hand_take(&w->b, &pkt), 0); /* ... and takes h2 before our tick */
    assert_int_equal(pkt.payload_id, h2);
    fx_fake_bridge(&w->f, IPC_STATE_READY, 2); /* our tick sees epoch 2 */
    proxy_result_t res;
    assert_int_equal(contract_wait(&w->c, h1, 0, &res, NULL, 0), PROXY_E_BRIDGE_LOST);
    proxy_usage_t u;
    proxy_usage(w->f.proxy, &u);
    if (!ZEN_CFG_START_TAILS)
        mode = mode == 0 ? 1 : mode == 2 ? 3 : mode; /* tails not built: never adopted nor judged */
    if (mode == 0) {
        assert_int_equal(w->f.proxy->stats.start_tails_used, 1);
        assert_int_equal(w->f.proxy->stats.reclaimed, 1); /* h1 only */
        /* h2 is the new instance's: still running, with its slot */
        proxy_job_info_t info;
        assert_int_equal(contract_job_status(&w->c, h2, &info), 0);
        assert_int_equal(info.state, PROXY_JOB_RUNNING);
        assert_int_equal(u.slots_busy, 1);
        assert_int_equal(u.slots_held, 0);
        ipc_job_desc_t *d2 = ipc_region_job(&w->b.view, IPC_HANDLE_SLOT(h2));
        assert_int_equal(ipc_read_once(&d2->cancel), 0);
        /* ... and its answer ends it normally */
        hand_fill_answer(&w->b, h2, 10, 2);
        hand_post(&w->b, CMD_JOB_DONE, IPC_STATUS_OK, h2);
        assert_int_equal(proxy_complete(w->f.proxy), 1);
        assert_int_equal(contract_wait(&w->c, h2, 0, &res, NULL, 0), PROXY_OK);
        assert_int_equal(res.bridge_epoch, 2);
        assert_int_equal(w->f.proxy->stats.late_answers, 0);
    } else {
        /* without usable start tails every job in flight ends */
        assert_int_equal(contract_wait(&w->c, h2, 0, &res, NULL, 0), PROXY_E_BRIDGE_LOST);
        assert_int_equal(w->f.proxy->stats.start_tails_used, 0);
        assert_int_equal(w->f.proxy->stats.start_tails_bad, mode == 2 ? 1u : 0u); /* 3: not judged */
        assert_int_equal(w->f.proxy->stats.reclaimed, 2); /* h2 too: the race a 1.0 bridge leaves */
    }
    proxy_usage(w->f.proxy, &u);
    assert_int_equal(u.slots_busy, 0);
    assert_int_equal(u.slots_held, 0);
    world_free(w);
}

static void test_restart_start_tails(void **state)
{
    (void)state;
    restart_before_loss(0);
}
static void test_restart_no_start_tails(void **state)
{
    (void)state;
    restart_before_loss(1);
}
static void test_restart_bad_start_tails(void **state)
{
    (void)state;
    restart_before_loss(2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_answer),
        cmocka_unit_test(test_rejects_write_nothing),
        cmocka_unit_test(test_bad_status),
        cmocka_unit_test(test_bad_time),
        cmocka_unit_test(test_cmd_mismatch),
        cmocka_unit_test(test_failed_status_and_clamp),
        cmocka_unit_test(test_ping),
        cmocka_unit_test(test_deadline_and_late_answer),
        cmocka_unit_test(test_unanswered_reports_no_answer),
        cmocka_unit_test(test_deadline_by_tick),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_lost_then_new_epoch),
        cmocka_unit_test(test_restart_start_tails),
        cmocka_unit_test(test_restart_no_start_tails),
        cmocka_unit_test(test_restart_bad_start_tails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
