/* SPDX-License-Identifier: BSD-3-Clause */
/* test_arbitrate.c - bridge/arbitrate.c, the ring arbitration policy: RT first, weighted shares over many rounds, empty rings, budgets, and weights given as 0. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "arbitrate.h"

static bridge_arb_t arb(uint32_t n_sq, uint32_t batch, uint32_t w1, uint32_t w2, uint32_t w3)
{
    bridge_arb_t a = {.n_sq = n_sq, .batch = batch};
    a.weight[1] = w1;
    a.weight[2] = w2;
    a.weight[3] = w3;
    for (uint32_t r = 4; r < IPC_MAX_SQ; r++)
        a.weight[r] = 1;
    return a;
}

/* Weight 0 means "not given here": configuration, then region, then the default. */
static void test_weights(void **state)
{
    (void)state;
    uint32_t cfg[IPC_MAX_SQ] = {0}, region[IPC_MAX_SQ] = {0}, w[IPC_MAX_SQ];
    bridge_arb_weights(cfg, region, w);
    const uint32_t defaults[IPC_MAX_SQ] = {0, 8, 4, 1, 1, 1, 1, 1};
    for (uint32_t r = 0; r < IPC_MAX_SQ; r++)
        assert_int_equal(w[r], defaults[r]);

    region[1] = 3;
    region[2] = 5;
    cfg[2] = 7;
    cfg[3] = 1000; /* capped at one round */
    bridge_arb_weights(cfg, region, w);
    assert_int_equal(w[0], 0);
    assert_int_equal(w[1], 3); /* region when the configuration says 0 */
    assert_int_equal(w[2], 7); /* the configuration wins */
    assert_int_equal(w[3], BRIDGE_ARB_ROUND_MAX);
    assert_int_equal(w[4], 1);
}

/* Ring 0 is never part of a round; a round takes at most weight and ready. */
static void test_round_shares(void **state)
{
    (void)state;
    bridge_arb_t a = arb(4, 32, 8, 4, 1);
    a.weight[0] = 5; /* given for ring 0 too: still never in a round */
    uint32_t ready[IPC_MAX_SQ] = {100, 100, 100, 100}, take[IPC_MAX_SQ];
    assert_int_equal(bridge_arb_round(&a, ready, 1000, take), 13);
    assert_int_equal(take[0], 0);
    assert_int_equal(take[1], 8);
    assert_int_equal(take[2], 4);
    assert_int_equal(take[3], 1);
    for (uint32_t r = 4; r < IPC_MAX_SQ; r++)
        assert_int_equal(take[r], 0); /* beyond n_sq */

    ready[1] = 3;
    assert_int_equal(bridge_arb_round(&a, ready, 1000, take), 8);
    assert_int_equal(take[1], 3);
    assert_int_equal(take[2], 4); /* ring 1's unused share is not handed on */
    assert_int_equal(take[3], 1);
}

/* Empty rings take nothing, and nothing is taken from rings with nothing. */
static void test_empty_rings(void **state)
{
    (void)state;
    bridge_arb_t a = arb(4, 32, 8, 4, 1);
    uint32_t ready[IPC_MAX_SQ] = {0}, take[IPC_MAX_SQ];
    assert_int_equal(bridge_arb_round(&a, ready, 1000, take), 0);
    for (uint32_t r = 0; r < IPC_MAX_SQ; r++)
        assert_int_equal(take[r], 0);
    assert_int_equal(bridge_arb_rt_batch(&a, 0, 0, 1000), 0);

    ready[2] = 9;
    assert_int_equal(bridge_arb_round(&a, ready, 1000, take), 4);
    assert_int_equal(take[1], 0);
    assert_int_equal(take[2], 4);
    assert_int_equal(take[3], 0);

    bridge_arb_t rt_only = arb(1, 32, 8, 4, 1);
    uint32_t full[IPC_MAX_SQ] = {50, 50, 50, 50, 50, 50, 50, 50};
    assert_int_equal(bridge_arb_round(&rt_only, full, 1000, take), 0);
}

/* A short budget goes to the higher classes (lower rings) first. */
static void test_budget(void **state)
{
    (void)state;
    bridge_arb_t a = arb(4, 32, 8, 4, 1);
    uint32_t ready[IPC_MAX_SQ] = {0, 100, 100, 100}, take[IPC_MAX_SQ];
    assert_int_equal(bridge_arb_round(&a, ready, 10, take), 10);
    assert_int_equal(take[1], 8);
    assert_int_equal(take[2], 2);
    assert_int_equal(take[3], 0);
    assert_int_equal(bridge_arb_round(&a, ready, 0, take), 0);

    bridge_arb_t big = arb(8, 32, 200, 200, 200);
    uint32_t lots[IPC_MAX_SQ] = {0, 1000, 1000, 1000, 1000, 1000, 1000, 1000};
    assert_int_equal(bridge_arb_round(&big, lots, 100000, take), BRIDGE_ARB_ROUND_MAX);
    assert_int_equal(take[1], 200);
    assert_int_equal(take[2], BRIDGE_ARB_ROUND_MAX - 200);
}

/* Ring-0 batches: bounded by batch, ready, budget, the round, and a drain
 * gives way after BRIDGE_ARB_RT_BATCHES batches. */
static void test_rt_batch(void **state)
{
    (void)state;
    bridge_arb_t a = arb(4, 32, 8, 4, 1);
    assert_int_equal(bridge_arb_rt_batch(&a, 0, 100, 1000), 32);
    assert_int_equal(bridge_arb_rt_batch(&a, 0, 5, 1000), 5);
    assert_int_equal(bridge_arb_rt_batch(&a, 0, 100, 3), 3);
    assert_int_equal(bridge_arb_rt_batch(&a, BRIDGE_ARB_RT_BATCHES - 1u, 100, 1000), 32);
    assert_int_equal(bridge_arb_rt_batch(&a, BRIDGE_ARB_RT_BATCHES, 100, 1000), 0);
    a.batch = 100000;
    assert_int_equal(bridge_arb_rt_batch(&a, 0, 100000, 100000), BRIDGE_ARB_ROUND_MAX);
    assert_false(bridge_arb_rt_preempts(0, 10)); /* the first packet follows a drain */
    assert_true(bridge_arb_rt_preempts(1, 1));
    assert_false(bridge_arb_rt_preempts(5, 0));
}

/* The policy applied as serve.c does, on simulated rings: returns the
 * ring of each packet served, in order. */
typedef struct sim {
    uint32_t ready[IPC_MAX_SQ];
    uint32_t served[IPC_MAX_SQ];
    uint8_t order[4096];
    uint32_t n;
} sim_t;

static void serve_one(sim_t *s, uint32_t r)
{
    s->ready[r]--;
    s->served[r]++;
    if (s->n < sizeof(s->order))
        s->order[s->n] = (uint8_t)r;
    s->n++;
}

static void sim_drain(const bridge_arb_t *a, sim_t *s)
{
    for (uint32_t b = 0;; b++) {
        uint32_t k = bridge_arb_rt_batch(a, b, s->ready[0], 1000000);
        if (k == 0)
            return;
        while (k--)
            serve_one(s, 0);
    }
}

/* rt_arrivals[i]: RT packets that arrive before the i-th non-RT packet. */
static void sim_round(const bridge_arb_t *a, sim_t *s, const uint32_t *rt_arrivals, uint32_t n_arrivals)
{
    sim_drain(a, s);
    uint32_t take[IPC_MAX_SQ];
    uint32_t n = bridge_arb_round(a, s->ready, 1000000, take);
    uint32_t pos = 0;
    for (uint32_t r = 1; r < IPC_MAX_SQ; r++)
        for (uint32_t k = 0; k < take[r]; k++, pos++) {
            if (rt_arrivals != NULL && pos < n_arrivals)
                s->ready[0] += rt_arrivals[pos];
            if (bridge_arb_rt_preempts(pos, s->ready[0]))
                sim_drain(a, s);
            assert_true(s->ready[0] == 0 || pos == 0); /* no RT packet waits behind another class */
            serve_one(s, r);
        }
    assert_int_equal(pos, n);
}

static void test_rt_first(void **state)
{
    (void)state;
    bridge_arb_t a = arb(4, 4, 8, 4, 1);
    sim_t s;
    memset(&s, 0, sizeof(s));
    s.ready[0] = 10;
    s.ready[1] = s.ready[2] = s.ready[3] = 50;
    uint32_t arrivals[13] = {0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2};
    sim_round(&a, &s, arrivals, 13);
    for (uint32_t i = 0; i < 10; i++)
        assert_int_equal(s.order[i], 0); /* the backlog of ring 0 first */
    assert_int_equal(s.order[10], 1);
    /* The 3 RT packets that came before non-RT packet 2 are served next. */
    assert_int_equal(s.order[12], 0);
    assert_int_equal(s.order[13], 0);
    assert_int_equal(s.order[14], 0);
    assert_int_equal(s.served[0], 16);
    assert_int_equal(s.served[1] + s.served[2] + s.served[3], 13);
    assert_int_equal(s.ready[0], 0);
}

/* Over many rounds with every ring backlogged, rings get exactly their
 * weights' shares, and RT still goes first in every round. */
static void test_fairness(void **state)
{
    (void)state;
    bridge_arb_t a = arb(4, 32, 8, 4, 1);
    sim_t s;
    memset(&s, 0, sizeof(s));
    for (uint32_t round = 0; round < 1000; round++) {
        s.ready[1] = s.ready[2] = s.ready[3] = 1000; /* always backlogged */
        s.ready[0] = round % 7 == 0 ? 5 : 0;
        sim_round(&a, &s, NULL, 0);
    }
    assert_int_equal(s.served[1], 8000);
    assert_int_equal(s.served[2], 4000);
    assert_int_equal(s.served[3], 1000);
    assert_int_equal(s.served[0], 5u * 143u);

    /* Weights from the region with one left 0: the default fills it in. */
    uint32_t cfg[IPC_MAX_SQ] = {0}, region[IPC_MAX_SQ] = {0, 2, 0, 3};
    bridge_arb_weights(cfg, region, a.weight);
    memset(&s, 0, sizeof(s));
    for (uint32_t round = 0; round < 500; round++) {
        s.ready[1] = s.ready[2] = s.ready[3] = 1000;
        sim_round(&a, &s, NULL, 0);
    }
    assert_int_equal(s.served[1], 1000);
    assert_int_equal(s.served[2], 2000); /* default 4 */
    assert_int_equal(s.served[3], 1500);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_weights),  cmocka_unit_test(test_round_shares), cmocka_unit_test(test_empty_rings),
        cmocka_unit_test(test_budget),   cmocka_unit_test(test_rt_batch),     cmocka_unit_test(test_rt_first),
        cmocka_unit_test(test_fairness),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
