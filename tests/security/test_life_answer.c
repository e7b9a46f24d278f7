/* SPDX-License-Identifier: BSD-3-Clause */
/* test_life_answer.c - the ZENEDGE side against a hostile answer line and a corrupt completion ring: an answer whose timestamps are out of order is refused (times not valid, counted) while the values stored are the ones checked; a corrupt completion ring is counted once and then left alone (back-off) instead of being read and counted on every call, and is read again at once when the bridge epoch moves. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
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

static world_t *world_new(void)
{
    world_t *w = calloc(1, sizeof(*w));
    fx_opts_t o;
    fx_opts_default(&o);
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

/* One job taken by the hand bridge; its descriptor in *d. */
static uint32_t take_job(world_t *w, ipc_job_desc_t **d)
{
    uint32_t h = 0;
    assert_int_equal(contract_submit_job(&w->c, FX_MODEL_ADD16, w->x.in, 2, 0, &h), 0);
    ipc_packet_t pkt;
    assert_int_equal(hand_take(&w->b, &pkt), 0);
    hand_fill_answer(&w->b, h, 0, 1);
    *d = ipc_region_job(&w->b.view, IPC_HANDLE_SLOT(h));
    return h;
}

/* Ordered times: stored exactly as written (and checked). */
static void test_ordered_answer_stored_as_checked(void **state)
{
    (void)state;
    world_t *w = world_new();
    ipc_job_desc_t *d;
    uint32_t h = take_job(w, &d);
    uint64_t t0 = fx_now_ns();
    d->t_pickup = t0 + 1;
    d->t_backend_start = t0 + 2;
    d->t_backend_end = t0 + 3;
    d->t_complete = t0 + 4;
    d->backend_ns = 1;
    d->result = 0x5eedu;
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL); /* "now" on the ZENEDGE side is after t0 + 4 */
    hand_post(&w->b, CMD_JOB_DONE, IPC_STATUS_OK, h);
    assert_int_equal(proxy_complete(w->f.proxy), 1);
    proxy_result_t res;
    assert_int_equal(contract_wait(&w->c, h, 0, &res, NULL, 0), PROXY_OK);
    assert_true(res.times_valid);
    assert_true(res.t_pickup == t0 + 1 && res.t_backend_start == t0 + 2);
    assert_true(res.t_backend_end == t0 + 3 && res.t_complete == t0 + 4);
    assert_int_equal(res.result, 0x5eedu);
    assert_int_equal(res.backend_ns, 1);
    assert_int_equal(w->f.proxy->stats.bad_timestamps, 0);
    world_free(w);
}

/* Out of order (backend end before its start): refused, counted, and no
 * time of the line is stored; the result word is the one read. */
static void test_out_of_order_refused(void **state)
{
    (void)state;
    world_t *w = world_new();
    ipc_job_desc_t *d;
    uint32_t h = take_job(w, &d);
    uint64_t t0 = fx_now_ns();
    d->t_pickup = t0 + 1;
    d->t_backend_start = t0 + 30;
    d->t_backend_end = t0 + 20;
    d->t_complete = t0 + 40;
    d->result = 0x1234u;
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
    hand_post(&w->b, CMD_JOB_DONE, IPC_STATUS_OK, h);
    assert_int_equal(proxy_complete(w->f.proxy), 1);
    proxy_result_t res;
    assert_int_equal(contract_wait(&w->c, h, 0, &res, NULL, 0), PROXY_OK);
    assert_false(res.times_valid);
    assert_true(res.t_pickup == 0 && res.t_backend_start == 0 && res.t_backend_end == 0 && res.t_complete == 0);
    assert_int_equal(res.result, 0x1234u);
    assert_int_equal(w->f.proxy->stats.bad_timestamps, 1);
    /* a completion later than "now" is out of order too */
    h = take_job(w, &d);
    d->t_complete = fx_now_ns() + 60000000000ull;
    hand_post(&w->b, CMD_JOB_DONE, IPC_STATUS_OK, h);
    assert_int_equal(proxy_complete(w->f.proxy), 1);
    assert_int_equal(contract_wait(&w->c, h, 0, &res, NULL, 0), PROXY_OK);
    assert_false(res.times_valid);
    assert_int_equal(w->f.proxy->stats.bad_timestamps, 2);
    world_free(w);
}

/* A corrupt completion ring: counted once per back-off, not per call. */
static void test_corrupt_cq_backs_off(void **state)
{
    (void)state;
    world_t *w = world_new();
    proxy_t *p = w->f.proxy;
    ipc_ring_t *cq = p->region.cq;
    uint32_t tail = ipc_read_once(&cq->tail);
    ipc_store_release(&cq->head, tail + 3u * p->region.cq_slots); /* impossible: more ready than slots */
    uint64_t end = fx_now_ns() + 300000000ull, calls = 0;
    while (fx_now_ns() < end) {
        assert_int_equal(proxy_complete(p), 0);
        assert_false(proxy_work_pending(p));
        calls++;
    }
    uint32_t corrupt = p->stats.cq_rejected[PROXY_CQ_RING_CORRUPT];
    print_message("%llu calls in 300 ms, %u corrupt reads counted\n", (unsigned long long)calls, corrupt);
    assert_true(calls > 1000);
    assert_true(corrupt >= 1 && corrupt <= 12); /* 1 ms doubling: about 9 in 300 ms */
    /* The bridge posts again (a sane head) and moves its epoch: read at once. */
    uint32_t hp;
    assert_int_equal(proxy_ping(p, IPC_QOS_RT, 0, &hp), 0);
    ipc_packet_t pkt;
    assert_int_equal(hand_take(&w->b, &pkt), 0);
    assert_int_equal(hand_post(&w->b, CMD_PONG, IPC_STATUS_OK, hp), IPC_OK);
    ipc_store_release(&p->region.hdr->bridge.epoch, ipc_read_once(&p->region.hdr->bridge.epoch) + 1u);
    assert_int_equal(proxy_complete(p), 1);
    assert_int_equal(p->stats.cq_rejected[PROXY_CQ_RING_CORRUPT], corrupt);
    world_free(w);
}

/* The port's completion thread (adaptive doorbell) with a corrupt ring:
 * it sleeps (blocks on its eventfd) and uses little CPU, instead of
 * spinning on a ring that "has work". */
static void test_corrupt_cq_thread_sleeps(void **state)
{
    (void)state;
    fx_t f;
    fx_opts_t o;
    fx_opts_default(&o);
    o.mode = IPC_DB_ADAPTIVE;
    assert_int_equal(fx_init(&f, &o), 0);
    proxy_t *p = f.proxy;
    ipc_ring_t *cq = p->region.cq;
    ipc_store_release(&cq->head, ipc_read_once(&cq->tail) + 3u * p->region.cq_slots);
    clockid_t cid;
    assert_int_equal(pthread_getcpuclockid(f.port.irq, &cid), 0);
    struct timespec c0, c1;
    clock_gettime(cid, &c0);
    struct timespec ts = {1, 0};
    nanosleep(&ts, NULL);
    clock_gettime(cid, &c1);
    zport_posix_stop(&f.port);
    uint64_t cpu_ns = (uint64_t)(c1.tv_sec - c0.tv_sec) * 1000000000ull + (uint64_t)c1.tv_nsec - (uint64_t)c0.tv_nsec;
    uint32_t corrupt = p->stats.cq_rejected[PROXY_CQ_RING_CORRUPT];
    print_message("completion thread: %llu us CPU in 1 s, %llu sleeps, %u corrupt reads counted\n",
                  (unsigned long long)(cpu_ns / 1000u), (unsigned long long)f.port.irq_sleeps, corrupt);
    assert_true(corrupt >= 1 && corrupt <= 20);
    assert_true(cpu_ns < 300000000ull); /* well under a third of the second */
    assert_true(f.port.irq_sleeps > 10);
    fx_fini(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ordered_answer_stored_as_checked),
        cmocka_unit_test(test_out_of_order_refused),
        cmocka_unit_test(test_corrupt_cq_backs_off),
        cmocka_unit_test(test_corrupt_cq_thread_sleeps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
