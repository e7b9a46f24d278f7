/* SPDX-License-Identifier: BSD-3-Clause */
/* test_crit_bound.c - proxy_tick() does bounded work per critical section at 4,096 job slots: a quiet tick looks at no slot, expired jobs end earliest first at most ZEN_CFG_CRIT_BATCH per section, and a bridge loss or a new epoch ends and reclaims every job in passes of at most ZEN_CFG_CRIT_BATCH slots, without touching a job published meanwhile. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "crit_port.h"

#define SLOTS          4096u
#define K              ZEN_CFG_CRIT_BATCH
/* Sections of a tick beside the work over jobs: the watch, and the last
 * step (it finds nothing more to do and counts the final statuses). */
#define FIXED_SECTIONS 2u

static uint32_t dl_far(uint32_t i)
{
    (void)i;
    return 100000000u; /* 100 s */
}

/* 1 ms .. 4096 ms, each once, not in submission order. */
static uint32_t dl_spread(uint32_t i)
{
    return 1000u * (1u + (i * 1237u) % SLOTS);
}

static cp_world_t *world(uint32_t n, uint32_t (*dl)(uint32_t))
{
    cp_world_t *w = calloc(1, sizeof(*w));
    assert_non_null(w);
    assert_int_equal(cp_init(w, SLOTS, SLOTS / IPC_QOS_COUNT), 0);
    assert_int_equal(cp_fill(w, n, dl), 0);
    cp_beat(w);
    return w;
}

static void world_free(cp_world_t *w)
{
    cp_fini(w);
    free(w);
}

static uint32_t state_of(cp_world_t *w, uint32_t h)
{
    proxy_job_info_t info;
    assert_int_equal(proxy_job_status(w->proxy, h, &info), PROXY_OK);
    return info.state;
}

/* Every section of the last tick changed at most K job records, and none nested. */
static void assert_bounded(const cp_world_t *w)
{
    assert_int_equal(w->port.nested, 0);
    assert_true(w->port.changed_max <= K);
    assert_true(w->proxy->stats.tick_slots_max <= K);
}

static void test_quiet_tick(void **state)
{
    (void)state;
    cp_world_t *w = world(SLOTS, dl_far);
    w->port.now += 50000000ull; /* 50 ms: nothing due */
    cp_reset(w, true);
    assert_int_equal(proxy_tick(w->proxy), 0);
    assert_true(w->port.sections <= FIXED_SECTIONS); /* not one per slot */
    assert_int_equal(w->port.changed_total, 0);
    assert_bounded(w);
    world_free(w);
}

static void test_deadlines_in_order(void **state)
{
    (void)state;
    cp_world_t *w = world(SLOTS, dl_spread);
    uint64_t t0 = w->port.now;
    /* Cancel every 7th job: it leaves the heap from the middle. */
    uint32_t cancelled = 0;
    for (uint32_t i = 0; i < SLOTS; i += 7u, cancelled++)
        assert_int_equal(proxy_cancel(w->proxy, w->handles[i]), PROXY_OK);
    uint32_t ended = 0;
    for (uint32_t ms = 0; ms <= SLOTS; ms += 313u) {
        w->port.now = t0 + (uint64_t)ms * 1000000u;
        cp_beat(w);       /* the bridge stays online */
        uint32_t due = 0; /* live jobs whose deadline is at or before now */
        for (uint32_t i = 0; i < SLOTS; i++)
            due += i % 7u != 0u && dl_spread(i) / 1000u <= ms;
        cp_reset(w, true);
        int n = proxy_tick(w->proxy);
        assert_int_equal(n, (int)(due - ended));
        assert_true(w->port.sections <= FIXED_SECTIONS + (due - ended) / K);
        assert_bounded(w);
        ended = due;
        assert_int_equal(cp_ended(w, PROXY_END_TIMED_OUT), ended);
    }
    /* The tick ended them all: a look at each job ends nothing more. */
    for (uint32_t i = 0; i < SLOTS; i++) {
        uint32_t st = state_of(w, w->handles[i]);
        bool due = dl_spread(i) / 1000u <= 4069u;
        assert_int_equal(st, i % 7u == 0u ? PROXY_JOB_CANCELLED : due ? PROXY_JOB_TIMED_OUT : PROXY_JOB_SUBMITTED);
    }
    assert_int_equal(cp_ended(w, PROXY_END_TIMED_OUT), ended);
    assert_int_equal(cp_ended(w, PROXY_END_CANCELLED), cancelled);
    world_free(w);
}

static void test_loss(void **state)
{
    (void)state;
    cp_world_t *w = world(SLOTS, dl_far);
    cp_offline(w);
    cp_reset(w, true);
    assert_int_equal(proxy_tick(w->proxy), (int)SLOTS);
    assert_bounded(w);
    assert_true(w->port.sections >= SLOTS / K);
    assert_false(proxy_bridge_online(w->proxy));
    assert_int_equal(cp_ended(w, PROXY_END_BRIDGE_LOST), SLOTS);
    /* Still lost: the next tick has nothing to do over the table. */
    cp_reset(w, true);
    assert_int_equal(proxy_tick(w->proxy), 0);
    assert_true(w->port.sections <= FIXED_SECTIONS);
    world_free(w);
}

static void test_new_epoch(void **state)
{
    (void)state;
    cp_world_t *w = world(SLOTS, dl_far);
    assert_int_equal(cp_take(w, SLOTS), SLOTS); /* the old instance held them all */
    cp_new_epoch(w, false);
    cp_reset(w, true);
    assert_int_equal(proxy_tick(w->proxy), (int)SLOTS);
    assert_bounded(w);
    assert_int_equal(cp_ended(w, PROXY_END_BRIDGE_LOST), SLOTS);
    assert_int_equal(w->proxy->stats.reclaimed, SLOTS);
    proxy_usage_t u;
    proxy_usage(w->proxy, &u);
    assert_int_equal(u.slots_held, 0);
    /* online at the next tick: the completion ring was drained and the
     * pass ran before it */
    assert_false(proxy_bridge_online(w->proxy));
    cp_reset(w, true);
    assert_int_equal(proxy_tick(w->proxy), 0);
    assert_true(w->port.sections <= FIXED_SECTIONS);
    assert_true(proxy_bridge_online(w->proxy));
    world_free(w);
}

static void test_new_epoch_start_tails(void **state)
{
    (void)state;
    cp_world_t *w = world(SLOTS, dl_far);
    uint32_t per_ring = SLOTS / IPC_QOS_COUNT / 4u;
    assert_int_equal(cp_take(w, per_ring), per_ring * IPC_QOS_COUNT);
    cp_new_epoch(w, true);
    cp_reset(w, true);
    assert_int_equal(proxy_tick(w->proxy), (int)(per_ring * IPC_QOS_COUNT));
    assert_bounded(w);
    assert_int_equal(w->proxy->stats.start_tails_used, 1);
    assert_int_equal(w->proxy->stats.reclaimed, per_ring * IPC_QOS_COUNT);
    /* Ring r holds submissions r, r+4, ...: the first per_ring of each
     * ring were dequeued by the lost instance. */
    for (uint32_t i = 0; i < SLOTS; i++) {
        uint32_t st = state_of(w, w->handles[i]);
        assert_int_equal(st, i / IPC_QOS_COUNT < per_ring ? PROXY_JOB_BRIDGE_LOST : PROXY_JOB_SUBMITTED);
    }
    world_free(w);
}

/* Mid-pass: a task tries to publish a job (refused: a new epoch is online
 * only after its pass), then a second timer tick sees yet another epoch
 * and widens the pass. */
typedef struct midpass {
    uint32_t ping; /* tried in section 3 */
    int ping_rc;
    uint32_t state_mid; /* online just before the second epoch */
    bool second_epoch;  /* in section 6 */
} midpass_t;

static void after_exit(struct zport *z, uint64_t section)
{
    cp_world_t *w = z->user;
    midpass_t *m = (midpass_t *)(w + 1);
    if (section == 3u) {
        z->after_exit = 0;
        m->ping_rc = proxy_ping(w->proxy, IPC_QOS_RT, 0, &m->ping);
        z->after_exit = after_exit;
    } else if (section == 6u && m->second_epoch) {
        z->after_exit = 0;
        m->state_mid = proxy_bridge_online(w->proxy);
        cp_new_epoch(w, false);
        proxy_tick(w->proxy); /* another timer context */
    }
}

static void run_midpass(bool second_epoch)
{
    cp_world_t *w = calloc(1, sizeof(*w) + sizeof(midpass_t));
    assert_non_null(w);
    midpass_t *m = (midpass_t *)(w + 1);
    m->second_epoch = second_epoch;
    assert_int_equal(cp_init(w, SLOTS, SLOTS / IPC_QOS_COUNT), 0);
    uint32_t n = SLOTS - 4u * K; /* leaves room in every ring and free slots */
    assert_int_equal(cp_fill(w, n, dl_far), 0);
    cp_new_epoch(w, false);
    uint32_t recoveries = w->proxy->stats.recoveries;
    cp_reset(w, true);
    w->port.user = w;
    w->port.after_exit = after_exit;
    proxy_tick(w->proxy);
    assert_int_equal(m->ping_rc, PROXY_E_BRIDGE_OFFLINE);
    assert_bounded(w);
    assert_int_equal(w->port.nested, 0);
    for (uint32_t i = 0; i < n; i++)
        assert_int_equal(state_of(w, w->handles[i]), PROXY_JOB_BRIDGE_LOST);
    if (second_epoch) {
        assert_false(m->state_mid);                                    /* still offline mid-pass */
        assert_int_equal(w->proxy->stats.recoveries, recoveries + 2u); /* widened once */
    }
    assert_int_equal(w->proxy->rec_pending, 0);
    assert_false(proxy_bridge_online(w->proxy));
    proxy_tick(w->proxy); /* the pass is done: online */
    assert_true(proxy_bridge_online(w->proxy));
    cp_fini(w);
    free(w);
}

static void test_publish_mid_pass(void **state)
{
    (void)state;
    run_midpass(false);
}

static void test_second_epoch_mid_pass(void **state)
{
    (void)state;
    run_midpass(true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quiet_tick),
        cmocka_unit_test(test_deadlines_in_order),
        cmocka_unit_test(test_loss),
        cmocka_unit_test(test_new_epoch),
        cmocka_unit_test(test_new_epoch_start_tails),
        cmocka_unit_test(test_publish_mid_pass),
        cmocka_unit_test(test_second_epoch_mid_pass),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
