/* SPDX-License-Identifier: BSD-3-Clause */
/* test_loopback.c - the proxy driver against a loopback bridge thread: round trips in each doorbell mode, misbehaving bridges, ring/table exhaustion, deadlines and cancellation. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "contract.h"
#include "rtos_fixture.h"

static const uint32_t add16_only[] = {FX_MODEL_ADD16};

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static fx_t *start(int mode, uint32_t doorbell)
{
    fx_t *f = calloc(1, sizeof(*f));
    fx_opts_t o;
    fx_opts_default(&o);
    o.mode = mode;
    o.doorbell = doorbell;
    o.loopback = true;
    assert_int_equal(fx_init(f, &o), 0);
    assert_true(proxy_bridge_online(f->proxy));
    return f;
}

static void stop(fx_t *f)
{
    fx_fini(f);
    free(f);
}

/* Wait (bounded) until no slot is held: every answer arrived. */
static void assert_drains(fx_t *f)
{
    proxy_usage_t u;
    for (int i = 0; i < 5000; i++) {
        proxy_usage(f->proxy, &u);
        if (u.slots_busy == 0)
            break;
        sleep_ms(1);
    }
    assert_int_equal(u.slots_busy, 0);
    assert_int_equal(u.slots_held, 0);
}

/* n jobs, `depth` in flight, every output checked. */
static void run_jobs(contract_t *c, int n, int depth, int expect)
{
    uint32_t hs[16];
    int32_t base[16];
    int head = 0, tail = 0, submitted = 0, done = 0;
    while (done < n) {
        while (submitted < n && head - tail < depth) {
            fx_add16_t x;
            fx_add16_fill(&x, submitted * 3);
            int r = contract_submit_job(c, FX_MODEL_ADD16, x.in, 2, 0, &hs[head % 16]);
            assert_int_equal(r, 0);
            base[head % 16] = submitted * 3;
            head++;
            submitted++;
        }
        proxy_result_t res;
        int32_t out[16];
        proxy_out_t po = {out, sizeof(out)};
        int r = contract_wait(c, hs[tail % 16], PROXY_WAIT_UNTIL_DEADLINE, &res, &po, 1);
        assert_int_equal(r, expect);
        if (expect == PROXY_OK) {
            int32_t b = base[tail % 16];
            for (int i = 0; i < 16; i++)
                assert_int_equal(out[i], (b + i) * 3);
            assert_int_equal(res.result, (uint32_t)(b * 3));
            assert_true(res.times_valid);
            if (!(res.t_submit <= res.t_pickup && res.t_pickup <= res.t_backend_start &&
                  res.t_backend_end <= res.t_complete && res.t_complete <= res.t_complete_seen &&
                  res.t_complete_seen <= res.t_wake))
                printf("stages out of order: submit %llu pickup %llu start %llu end %llu complete %llu seen %llu wake "
                       "%llu\n",
                       (unsigned long long)res.t_submit, (unsigned long long)res.t_pickup,
                       (unsigned long long)res.t_backend_start, (unsigned long long)res.t_backend_end,
                       (unsigned long long)res.t_complete, (unsigned long long)res.t_complete_seen,
                       (unsigned long long)res.t_wake);
            assert_true(res.t_submit <= res.t_pickup && res.t_pickup <= res.t_backend_start &&
                        res.t_backend_end <= res.t_complete && res.t_complete <= res.t_complete_seen &&
                        res.t_complete_seen <= res.t_wake);
        }
        tail++;
        done++;
    }
}

static void round_trips(int mode, uint32_t doorbell, int n)
{
    fx_t *f = start(mode, doorbell);
    contract_t c;
    fx_contract(f, &c, "rt", add16_only, 1, 8, IPC_QOS_RT);
    run_jobs(&c, n, 4, PROXY_OK);
    uint32_t h;
    proxy_result_t res;
    assert_int_equal(proxy_ping(f->proxy, IPC_QOS_HIGH, 0, &h), 0);
    assert_int_equal(proxy_wait(f->proxy, h, PROXY_WAIT_UNTIL_DEADLINE, &res, NULL, 0), PROXY_OK);
    assert_drains(f);
    assert_int_equal(c.acct.ended[PROXY_END_OK], (uint32_t)n);
    for (int k = 0; k < PROXY_CQ_REJECT_COUNT; k++)
        assert_int_equal(f->proxy->stats.cq_rejected[k], 0);
    stop(f);
}

static void test_eventfd(void **state)
{
    (void)state;
    round_trips(IPC_DB_EVENTFD, IPC_DB_EVENTFD, 500);
}
static void test_adaptive(void **state)
{
    (void)state;
    round_trips(IPC_DB_ADAPTIVE, IPC_DB_EVENTFD, 500);
}
static void test_poll(void **state)
{
    (void)state;
    round_trips(IPC_DB_POLL, IPC_DB_EVENTFD, 200);
}

static void test_forged_and_duplicates(void **state)
{
    (void)state;
    fx_t *f = start(IPC_DB_EVENTFD, IPC_DB_EVENTFD);
    lb_set(&f->lb, LB_FORGE, 1);
    lb_set(&f->lb, LB_DUPLICATE, 1);
    contract_t c;
    fx_contract(f, &c, "dup", add16_only, 1, 8, IPC_QOS_NORMAL);
    run_jobs(&c, 50, 2, PROXY_OK);
    assert_drains(f);
    const uint32_t *rej = f->proxy->stats.cq_rejected;
    /* 50 forged answers are unknown; each duplicate arrives while the slot
     * is held (duplicate), after its release (stale) or after its reuse
     * (unknown: the generation moved on) */
    /* The bridge thread posts the duplicate of the last answer after the
     * answer itself, so the slots may all be free before the handler has
     * seen it: wait (bounded) for the count to settle. */
    for (int i = 0; i < 5000; i++) {
        uint32_t key = zport_crit_enter(f->proxy->port); /* the handler's thread writes them */
        uint32_t seen = rej[PROXY_CQ_UNKNOWN_JOB] + rej[PROXY_CQ_DUPLICATE] + rej[PROXY_CQ_STALE];
        zport_crit_exit(f->proxy->port, key);
        if (seen >= 100)
            break;
        sleep_ms(1);
    }
    assert_true(rej[PROXY_CQ_UNKNOWN_JOB] >= 50);
    assert_int_equal(rej[PROXY_CQ_UNKNOWN_JOB] + rej[PROXY_CQ_DUPLICATE] + rej[PROXY_CQ_STALE], 100);
    assert_int_equal(c.acct.ended[PROXY_END_OK], 50);
    stop(f);
}

static void misbehave(int knob, int reason)
{
    fx_t *f = start(IPC_DB_EVENTFD, IPC_DB_EVENTFD);
    lb_set(&f->lb, knob, 1);
    contract_t c;
    fx_contract(f, &c, "bad", add16_only, 1, 8, IPC_QOS_NORMAL);
    run_jobs(&c, 20, 2, PROXY_E_BAD_COMPLETION);
    assert_drains(f);
    assert_int_equal(f->proxy->stats.cq_rejected[reason], 20);
    assert_int_equal(c.acct.ended[PROXY_END_BAD_COMPLETION], 20);
    assert_int_equal(c.acct.used_ns, 0);
    stop(f);
}

static void test_bad_status(void **state)
{
    (void)state;
    misbehave(LB_BAD_STATUS, PROXY_CQ_BAD_STATUS);
}
static void test_bad_time(void **state)
{
    (void)state;
    misbehave(LB_BAD_TIME, PROXY_CQ_BAD_TIME);
}
static void test_wrong_cmd(void **state)
{
    (void)state;
    misbehave(LB_WRONG_CMD, PROXY_CQ_CMD_MISMATCH);
}

static void test_budget_charged_clamped(void **state)
{
    (void)state;
    fx_t *f = start(IPC_DB_EVENTFD, IPC_DB_EVENTFD);
    lb_set(&f->lb, LB_BACKEND_NS, 4000000000u); /* 4 s claimed per job: in range, clamped */
    contract_t c;
    fx_contract(f, &c, "clamp", add16_only, 1, 8, IPC_QOS_NORMAL);
    run_jobs(&c, 10, 1, PROXY_OK);
    assert_int_equal(f->proxy->stats.time_clamped, 10);
    assert_true(c.acct.charged_total_ns < 10ull * 4000000000ull);
    stop(f);
}

/* Bridge holds its rings: ring full, then job table full; released, all complete. */
static void test_ring_and_table_full(void **state)
{
    (void)state;
    fx_t *f = calloc(1, sizeof(*f));
    fx_opts_t o;
    fx_opts_default(&o);
    o.mode = IPC_DB_EVENTFD;
    o.loopback = true;
    o.sq_slots = 4;
    o.max_jobs = 6;
    assert_int_equal(fx_init(f, &o), 0);
    lb_set(&f->lb, LB_HOLD, 1);
    contract_t rt, bg;
    fx_contract(f, &rt, "rt", add16_only, 1, 8, IPC_QOS_RT);
    fx_contract(f, &bg, "bg", add16_only, 1, 8, IPC_QOS_BACKGROUND);
    fx_add16_t x;
    fx_add16_fill(&x, 1);
    uint32_t h[8];
    for (int i = 0; i < 4; i++)
        assert_int_equal(contract_submit_job(&rt, FX_MODEL_ADD16, x.in, 2, 0, &h[i]), 0);
    uint32_t extra;
    assert_int_equal(contract_submit_job(&rt, FX_MODEL_ADD16, x.in, 2, 0, &extra), PROXY_E_RING_FULL);
    /* another class has its own ring */
    assert_int_equal(contract_submit_job(&bg, FX_MODEL_ADD16, x.in, 2, 0, &h[4]), 0);
    assert_int_equal(contract_submit_job(&bg, FX_MODEL_ADD16, x.in, 2, 0, &h[5]), 0);
    assert_int_equal(contract_submit_job(&bg, FX_MODEL_ADD16, x.in, 2, 0, &extra), PROXY_E_JOB_TABLE_FULL);
    lb_set(&f->lb, LB_HOLD, 0);
    proxy_result_t res;
    for (int i = 0; i < 6; i++)
        assert_int_equal(proxy_wait(f->proxy, h[i], PROXY_WAIT_UNTIL_DEADLINE, &res, NULL, 0), PROXY_OK);
    assert_drains(f);
    fx_fini(f);
    free(f);
}

/* The bridge picks jobs up and never answers: each ends TIMED_OUT at its
 * deadline; the slots stay held (the bridge might still write). */
static void test_deadline(void **state)
{
    (void)state;
    fx_t *f = start(IPC_DB_EVENTFD, IPC_DB_EVENTFD);
    lb_set(&f->lb, LB_DROP, 1);
    contract_t c;
    fx_contract(f, &c, "dl", add16_only, 1, 8, IPC_QOS_NORMAL);
    fx_add16_t x;
    fx_add16_fill(&x, 1);
    uint32_t h[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(contract_submit_job(&c, FX_MODEL_ADD16, x.in, 2, 20000, &h[i]), 0);
    for (int i = 0; i < 3; i++) {
        proxy_result_t res;
        assert_int_equal(contract_wait(&c, h[i], PROXY_WAIT_UNTIL_DEADLINE, &res, NULL, 0), PROXY_E_TIMED_OUT);
        assert_true(res.t_wake >= res.t_submit + 20000000u);
    }
    proxy_usage_t u;
    proxy_usage(f->proxy, &u);
    assert_int_equal(u.slots_held, 3);
    assert_int_equal(c.acct.ended[PROXY_END_TIMED_OUT], 3);
    assert_int_equal(c.acct.inflight, 0);
    /* a new bridge epoch reclaims them */
    lb_set(&f->lb, LB_DROP, 0);
    lb_restart(&f->lb);
    assert_drains(f);
    stop(f);
}

/* Cancel while the bridge holds its ring: CANCELLED at once; when it
 * resumes it answers CANCELLED without running, which frees the slot. */
static void test_cancel(void **state)
{
    (void)state;
    fx_t *f = start(IPC_DB_ADAPTIVE, IPC_DB_ADAPTIVE);
    lb_set(&f->lb, LB_HOLD, 1);
    contract_t c;
    fx_contract(f, &c, "cancel", add16_only, 1, 8, IPC_QOS_NORMAL);
    fx_add16_t x;
    fx_add16_fill(&x, 1);
    uint32_t h;
    assert_int_equal(contract_submit_job(&c, FX_MODEL_ADD16, x.in, 2, 0, &h), 0);
    assert_int_equal(contract_cancel(&c, h), 0);
    proxy_result_t res;
    assert_int_equal(contract_wait(&c, h, 0, &res, NULL, 0), PROXY_E_CANCELLED);
    lb_set(&f->lb, LB_HOLD, 0);
    assert_drains(f);
    assert_int_equal(lb_get(&f->lb, &f->lb.cancels), 1);
    assert_int_equal(lb_get(&f->lb, &f->lb.served), 0);
    stop(f);
}

/* Several tasks (threads) sharing the proxy. */
typedef struct task_arg {
    fx_t *f;
    contract_t c;
    int n;
    int ok;
} task_arg_t;

static void *task_main(void *arg)
{
    task_arg_t *t = arg;
    for (int i = 0; i < t->n; i++) {
        fx_add16_t x;
        fx_add16_fill(&x, i);
        uint32_t h;
        if (contract_submit_job(&t->c, FX_MODEL_ADD16, x.in, 2, 0, &h) != 0)
            continue;
        proxy_result_t res;
        int32_t out[16];
        proxy_out_t po = {out, sizeof(out)};
        if (contract_wait(&t->c, h, PROXY_WAIT_UNTIL_DEADLINE, &res, &po, 1) == PROXY_OK && out[15] == 3 * (i + 15))
            t->ok++;
    }
    return NULL;
}

static void test_tasks(void **state)
{
    (void)state;
    fx_t *f = start(IPC_DB_ADAPTIVE, IPC_DB_ADAPTIVE);
    task_arg_t t[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        memset(&t[i], 0, sizeof(t[i]));
        t[i].f = f;
        t[i].n = 200;
        fx_contract(f, &t[i].c, "task", add16_only, 1, 4, (uint32_t)i);
        pthread_create(&th[i], NULL, task_main, &t[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(t[i].ok, 200);
    }
    assert_drains(f);
    stop(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eventfd),
        cmocka_unit_test(test_adaptive),
        cmocka_unit_test(test_poll),
        cmocka_unit_test(test_forged_and_duplicates),
        cmocka_unit_test(test_bad_status),
        cmocka_unit_test(test_bad_time),
        cmocka_unit_test(test_wrong_cmd),
        cmocka_unit_test(test_budget_charged_clamped),
        cmocka_unit_test(test_ring_and_table_full),
        cmocka_unit_test(test_deadline),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_tasks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
