/* SPDX-License-Identifier: BSD-3-Clause */
/* test_liveness.c - bridge liveness: a loopback bridge goes silent mid-run (jobs end BRIDGE_LOST within their deadline, submissions refused), comes back with a new epoch (new jobs succeed), and exits cleanly with jobs in flight. */
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
#include "rtos_fixture.h"
#include "zenedge/barrier.h"

static const uint32_t add16_only[] = {FX_MODEL_ADD16};
#define DEADLINE_US 10000000u /* 10 s: far beyond the loss detection (~30 ms) */

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static fx_t *start(void)
{
    fx_t *f = calloc(1, sizeof(*f));
    fx_opts_t o;
    fx_opts_default(&o);
    o.mode = IPC_DB_EVENTFD;
    o.loopback = true;
    o.bridge_hb_us = 2000;
    assert_int_equal(fx_init(f, &o), 0);
    assert_true(proxy_bridge_online(f->proxy));
    return f;
}

static uint32_t total_ended(const proxy_account_t *a)
{
    uint32_t s = 0;
    for (int k = 0; k < PROXY_END_COUNT; k++)
        s += a->ended[k];
    return s;
}

static bool wait_online(fx_t *f, bool want)
{
    for (int i = 0; i < 10000; i++) {
        if (proxy_bridge_online(f->proxy) == want)
            return true;
        sleep_ms(1);
    }
    return false;
}

static void test_silent_then_new_epoch(void **state)
{
    (void)state;
    fx_t *f = start();
    contract_t c;
    fx_contract(f, &c, "live", add16_only, 1, 8, IPC_QOS_HIGH);
    fx_add16_t x;
    fx_add16_fill(&x, 5);
    uint32_t h;
    proxy_result_t res;

    /* a good job first */
    assert_int_equal(contract_submit_job(&c, FX_MODEL_ADD16, x.in, 2, DEADLINE_US, &h), 0);
    assert_int_equal(contract_wait(&c, h, PROXY_WAIT_UNTIL_DEADLINE, &res, NULL, 0), PROXY_OK);
    uint32_t epoch1 = res.bridge_epoch;

    /* the bridge stops serving, then goes silent with jobs in flight */
    lb_set(&f->lb, LB_HOLD, 1);
    uint32_t hs[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(contract_submit_job(&c, FX_MODEL_ADD16, x.in, 2, DEADLINE_US, &hs[i]), 0);
    lb_set(&f->lb, LB_SILENT, 1);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(contract_wait(&c, hs[i], PROXY_WAIT_UNTIL_DEADLINE, &res, NULL, 0), PROXY_E_BRIDGE_LOST);
        assert_true(res.t_wake < res.t_submit + (uint64_t)DEADLINE_US * 1000u); /* within the deadline */
    }
    assert_true(wait_online(f, false));
    assert_int_equal(contract_submit_job(&c, FX_MODEL_ADD16, x.in, 2, DEADLINE_US, &h), PROXY_E_BRIDGE_OFFLINE);
    assert_int_equal(c.rejected[CONTRACT_REJ_OFFLINE], 1);
    proxy_usage_t u;
    proxy_usage(f->proxy, &u);
    assert_int_equal(u.slots_held, 4); /* kept until a new epoch */

    /* a new instance comes up */
    lb_set(&f->lb, LB_HOLD, 0);
    lb_restart(&f->lb);
    assert_true(wait_online(f, true));
    for (int i = 0; i < 20; i++) {
        assert_int_equal(contract_submit_job(&c, FX_MODEL_ADD16, x.in, 2, DEADLINE_US, &h), 0);
        int32_t out[16];
        proxy_out_t po = {out, sizeof(out)};
        assert_int_equal(contract_wait(&c, h, PROXY_WAIT_UNTIL_DEADLINE, &res, &po, 1), PROXY_OK);
        assert_int_equal(out[3], 3 * (5 + 3));
        assert_int_not_equal(res.bridge_epoch, epoch1);
    }
    /* the old packets were still in the ring: the new instance found their
     * cancel words set and answered CANCELLED; those late answers freed
     * the slots */
    for (int i = 0; i < 5000; i++) {
        proxy_usage(f->proxy, &u);
        if (u.slots_busy == 0)
            break;
        sleep_ms(1);
    }
    assert_int_equal(u.slots_busy, 0);
    assert_int_equal(lb_get(&f->lb, &f->lb.cancels), 4);
    assert_int_equal(f->proxy->stats.late_answers, 4);
    /* exactly one final status per submitted job */
    assert_int_equal(total_ended(&c.acct), c.acct.submitted);
    assert_int_equal(c.acct.ended[PROXY_END_BRIDGE_LOST], 4);
    fx_fini(f);
    free(f);
}

static void test_clean_exit_with_jobs_in_flight(void **state)
{
    (void)state;
    fx_t *f = start();
    contract_t c;
    fx_contract(f, &c, "exit", add16_only, 1, 8, IPC_QOS_NORMAL);
    fx_add16_t x;
    fx_add16_fill(&x, 1);
    lb_set(&f->lb, LB_HOLD, 1);
    uint32_t hs[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(contract_submit_job(&c, FX_MODEL_ADD16, x.in, 2, DEADLINE_US, &hs[i]), 0);
    lb_stop(&f->lb); /* publishes OFFLINE */
    f->have_lb = false;
    for (int i = 0; i < 3; i++) {
        proxy_result_t res;
        assert_int_equal(contract_wait(&c, hs[i], PROXY_WAIT_UNTIL_DEADLINE, &res, NULL, 0), PROXY_E_BRIDGE_LOST);
    }
    assert_int_equal(total_ended(&c.acct), c.acct.submitted);
    fx_fini(f);
    free(f);
}

static void test_zenedge_heartbeat_moves(void **state)
{
    (void)state;
    fx_t *f = start();
    ipc_side_t *z = &f->proxy->region.hdr->zen;
    uint32_t a = ipc_read_once(&z->heartbeat);
    sleep_ms(50);
    uint32_t b = ipc_read_once(&z->heartbeat);
    assert_true(b != a);
    assert_int_equal(ipc_load_acquire(&z->state), IPC_STATE_READY);
    fx_fini(f);
    free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_silent_then_new_epoch),
        cmocka_unit_test(test_clean_exit_with_jobs_in_flight),
        cmocka_unit_test(test_zenedge_heartbeat_moves),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
