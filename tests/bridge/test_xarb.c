/* SPDX-License-Identifier: BSD-3-Clause */
/* test_xarb.c - bridge/xarb.c, the arbiter across regions: strict class
 * order across regions, clamping to max_class, weighted shares of device
 * time over many picks (within 10 %), budget exhaustion and refill, a
 * region with nothing to do banking no credit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "xarb.h"

#define ALL 0xfu
#define MS  1000000ull

/* One pick; the job is back at once after cost_ns (a backend of depth 1). */
static bool step(bridge_xarb_t *x, uint32_t ready[][IPC_QOS_COUNT], uint64_t now, uint64_t cost_ns, uint32_t *i,
                 uint32_t *c)
{
    if (!bridge_xarb_pick(x, ready, ALL, now, i, c))
        return false;
    bridge_xarb_done(x, *i, *c, cost_ns);
    return true;
}

/* Any region's RT before any region's HIGH, and so on, whatever the shares. */
static void test_class_order(void **state)
{
    (void)state;
    bridge_xarb_t x;
    bridge_xarb_init(&x, 3);
    bridge_xarb_contract(&x, 0, 1000, IPC_QOS_RT, 0, 0);
    bridge_xarb_contract(&x, 1, 1, IPC_QOS_RT, 0, 0);
    uint32_t ready[3][IPC_QOS_COUNT] = {{0, 0, 0, 50}, {0, 2, 0, 0}, {1, 0, 3, 0}};
    const uint32_t want_class[] = {IPC_QOS_RT,     IPC_QOS_HIGH,   IPC_QOS_HIGH,      IPC_QOS_NORMAL,
                                   IPC_QOS_NORMAL, IPC_QOS_NORMAL, IPC_QOS_BACKGROUND};
    const uint32_t want_region[] = {2, 1, 1, 2, 2, 2, 0};
    for (uint32_t k = 0; k < sizeof(want_class) / sizeof(want_class[0]); k++) {
        uint32_t i, c;
        assert_true(step(&x, ready, k * MS, MS, &i, &c));
        assert_int_equal(c, want_class[k]);
        assert_int_equal(i, want_region[k]);
        ready[i][c]--;
    }
    /* A class the backend does not take now is skipped, not waited for. */
    uint32_t r2[3][IPC_QOS_COUNT] = {{1, 0, 0, 0}, {0, 0, 0, 1}, {0}};
    uint32_t i, c;
    assert_true(bridge_xarb_pick(&x, r2, 1u << IPC_QOS_BACKGROUND, 10 * MS, &i, &c));
    assert_int_equal(i, 1);
    assert_int_equal(c, IPC_QOS_BACKGROUND);
    assert_true(x.r[0].wait_class == 0 || x.r[0].wait_class > 0); /* counted, any value */
    /* Nothing ready: nothing picked. */
    uint32_t none[3][IPC_QOS_COUNT] = {{0}};
    assert_false(bridge_xarb_pick(&x, none, ALL, 11 * MS, &i, &c));
}

/* Above max_class a job runs as max_class (counted); at or below, as is. */
static void test_clamp(void **state)
{
    (void)state;
    bridge_xarb_t x;
    bridge_xarb_init(&x, 2);
    bridge_xarb_contract(&x, 1, 1, IPC_QOS_NORMAL, 0, 0);
    assert_int_equal(bridge_xarb_class(&x, 0, IPC_QOS_RT, true), IPC_QOS_RT);
    assert_int_equal(bridge_xarb_class(&x, 1, IPC_QOS_RT, true), IPC_QOS_NORMAL);
    assert_int_equal(bridge_xarb_class(&x, 1, IPC_QOS_HIGH, true), IPC_QOS_NORMAL);
    assert_int_equal(bridge_xarb_class(&x, 1, IPC_QOS_BACKGROUND, true), IPC_QOS_BACKGROUND);
    assert_int_equal(x.r[1].clamped, 2);
    assert_int_equal(bridge_xarb_class(&x, 1, 99, true), IPC_QOS_BACKGROUND);
    assert_int_equal(bridge_xarb_class(&x, 7, IPC_QOS_RT, true), IPC_QOS_BACKGROUND);
    assert_int_equal(bridge_xarb_contract(&x, 2, 1, 0, 0, 0), -1);
}

/* Saturated, shares 1:3 with jobs of different cost: device time splits
 * 25 % / 75 % within 10 % (relative). */
static void test_shares(void **state)
{
    (void)state;
    bridge_xarb_t x;
    bridge_xarb_init(&x, 2);
    bridge_xarb_contract(&x, 0, 1, IPC_QOS_RT, 0, 0);
    bridge_xarb_contract(&x, 1, 3, IPC_QOS_RT, 0, 0);
    uint32_t ready[2][IPC_QOS_COUNT] = {{0, 0, 1000000, 0}, {0, 0, 1000000, 0}};
    uint64_t dev[2] = {0, 0}, now = 0;
    const uint64_t cost[2] = {3 * MS, 1 * MS}; /* region 0's jobs cost 3x as much */
    for (uint32_t k = 0; k < 20000; k++) {
        uint32_t i, c;
        assert_true(bridge_xarb_pick(&x, ready, ALL, now, &i, &c));
        assert_int_equal(c, IPC_QOS_NORMAL);
        bridge_xarb_done(&x, i, c, cost[i]);
        dev[i] += cost[i];
        now += cost[i];
    }
    double s0 = (double)dev[0] / (double)(dev[0] + dev[1]);
    assert_true(s0 > 0.25 * 0.9 && s0 < 0.25 * 1.1);
}

/* Jobs in flight count: with four picks before any is back, shares 1:1
 * alternate instead of giving all four to one region. */
static void test_inflight(void **state)
{
    (void)state;
    bridge_xarb_t x;
    bridge_xarb_init(&x, 2);
    uint32_t ready[2][IPC_QOS_COUNT] = {{0, 10, 0, 0}, {0, 10, 0, 0}};
    uint32_t n[2] = {0, 0}, i, c;
    for (uint32_t k = 0; k < 4; k++) {
        assert_true(bridge_xarb_pick(&x, ready, ALL, 0, &i, &c));
        n[i]++;
    }
    assert_int_equal(n[0], 2);
    assert_int_equal(n[1], 2);
}

/* A budget of 30 ms per 100 ms: once used up the region waits (the other
 * goes on, even in a lower class), and gets its refill next period. */
static void test_budget(void **state)
{
    (void)state;
    bridge_xarb_t x;
    bridge_xarb_init(&x, 2);
    bridge_xarb_contract(&x, 0, 1, IPC_QOS_RT, 30 * MS, 100 * MS);
    uint32_t ready[2][IPC_QOS_COUNT] = {{1000, 0, 0, 0}, {0, 0, 0, 1000}};
    uint32_t i, c;
    uint64_t now = 0, used0 = 0;
    while (now < 100 * MS) {
        assert_true(step(&x, ready, now, 10 * MS, &i, &c));
        if (i == 0)
            used0 += 10 * MS;
        now += 10 * MS;
    }
    assert_int_equal(used0, 30 * MS); /* three jobs of 10 ms, then only region 1 */
    assert_true(x.r[0].wait_budget > 0);
    assert_true(bridge_xarb_next_refill(&x, 95 * MS) == 100 * MS);
    assert_false(bridge_xarb_over_budget(&x, 0, 100 * MS)); /* refilled */
    assert_int_equal(bridge_xarb_budget_left(&x, 0), 30 * MS);
    assert_true(step(&x, ready, now, 10 * MS, &i, &c));
    assert_int_equal(i, 0); /* its RT first again */
    /* An overrun of one long job is paid off by the next period. */
    assert_true(step(&x, ready, now + 1, 80 * MS, &i, &c));
    assert_int_equal(i, 0);
    assert_true(bridge_xarb_over_budget(&x, 0, now + 2));
    assert_true(bridge_xarb_next_refill(&x, now + 2) >= now + 200 * MS);
    assert_true(bridge_xarb_over_budget(&x, 0, now + 150 * MS));
    assert_false(bridge_xarb_over_budget(&x, 0, now + 300 * MS));
    assert_int_equal(bridge_xarb_budget_left(&x, 1), UINT64_MAX);
}

/* A region that had nothing to do joins at the current virtual time: it
 * does not take the device for as long as it was away. */
static void test_idle_no_credit(void **state)
{
    (void)state;
    bridge_xarb_t x;
    bridge_xarb_init(&x, 2);
    uint32_t ready[2][IPC_QOS_COUNT] = {{0, 0, 5, 0}, {0, 0, 0, 0}};
    uint32_t i, c;
    for (uint32_t k = 0; k < 1000; k++) {
        ready[0][2] = 5;
        assert_true(step(&x, ready, k * MS, MS, &i, &c));
        assert_int_equal(i, 0);
    }
    ready[1][2] = 1000;
    uint32_t n[2] = {0, 0};
    for (uint32_t k = 0; k < 100; k++) {
        ready[0][2] = 5;
        assert_true(step(&x, ready, (1000 + k) * MS, MS, &i, &c));
        n[i]++;
    }
    assert_true(n[0] >= 45 && n[0] <= 55); /* halves at once, not 100 picks of region 1 first */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_class_order), cmocka_unit_test(test_clamp),  cmocka_unit_test(test_shares),
        cmocka_unit_test(test_inflight),    cmocka_unit_test(test_budget), cmocka_unit_test(test_idle_no_credit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
