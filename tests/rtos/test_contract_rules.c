/* SPDX-License-Identifier: BSD-3-Clause */
/* test_contract_rules.c - every rule of contract_submit_job(), one test each, with "nothing left behind" checks. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "contract.h"
#include "hand_bridge.h"
#include "rtos_fixture.h"
#include "zenedge/barrier.h"

/* The counter of a reject reason; with ZEN_CFG_REJECT_COUNTERS 0 the one
 * counter of every reason. */
#define REJECTED(c, reason) ((c).rejected[ZEN_CFG_REJECT_COUNTERS ? (reason) : 0])

static const uint32_t add16_only[] = {FX_MODEL_ADD16};

typedef struct snap {
    proxy_usage_t u;
    uint32_t inflight;
} snap_t;

static snap_t take_snap(fx_t *f, contract_t *c)
{
    snap_t s;
    memset(&s, 0, sizeof(s));
    proxy_usage(f->proxy, &s.u);
    s.inflight = c->acct.inflight;
    return s;
}

/* Nothing half-submitted: no slot, no heap block, no ring entry, no
 * in-flight count beyond what was there before the rejected call. */
static void assert_same(fx_t *f, contract_t *c, const snap_t *before)
{
    snap_t now = take_snap(f, c);
    assert_int_equal(now.u.slots_busy, before->u.slots_busy);
    assert_int_equal(now.u.heap_free_bytes, before->u.heap_free_bytes);
    for (unsigned i = 0; i < IPC_MAX_SQ; i++)
        assert_int_equal(now.u.sq_head[i], before->u.sq_head[i]);
    assert_int_equal(now.inflight, before->inflight);
}

static void setup_ready(fx_t *f, const fx_opts_t *o)
{
    assert_int_equal(fx_init(f, o), 0);
    fx_fake_bridge(f, IPC_STATE_READY, 1);
    assert_true(proxy_bridge_online(f->proxy));
}

static void test_bad_argument(void **state)
{
    (void)state;
    fx_t f;
    fx_opts_t o;
    fx_opts_default(&o);
    setup_ready(&f, &o);
    contract_t c;
    fx_contract(&f, &c, "bad-arg", add16_only, 1, 4, IPC_QOS_NORMAL);
    fx_add16_t x;
    fx_add16_fill(&x, 1);
    uint32_t h;
    snap_t s = take_snap(&f, &c);
    assert_int_equal(contract_submit_job(&c, FX_MODEL_ADD16, x.in, 2, 0, NULL), CONTRACT_E_INVAL);
    /* The request itself is checked once, by the proxy: its codes. */
    assert_int_equal(contract_submit_job(&c, FX_MODEL_ADD16, NULL, 2, 0, &h), PROXY_E_INVAL);
    assert_int_equal(contract_submit_job(&c, FX_MODEL_ADD16, x.in, 2, ZEN_CFG_MAX_DEADLINE_US + 1u, &h), PROXY_E_INVAL);
    assert_int_equal(contract_submit_job(&c, FX_MODEL_ADD16, x.in, 1, 0, &h), PROXY_E_MODEL_SIGNATURE);
    x.in[1].len = 60;
    assert_int_equal(contract_submit_job(&c, FX_MODEL_ADD16, x.in, 2, 0, &h), PROXY_E_MODEL_SIGNATURE);
    assert_same(&f, &c, &s);
    assert_int_equal(REJECTED(c, CONTRACT_REJ_BAD_ARG), 5);
    fx_fini(&f);
}

static void test_unknown_model(void **state)
{
    (void)state;
    fx_t f;
    fx_opts_t o;
    fx_opts_default(&o);
    setup_ready(&f, &o);
    contract_t c;
    const uint32_t models[] = {FX_MODEL_ADD16, 99};
    fx_contract(&f, &c, "unknown", models, 2, 4, IPC_QOS_NORMAL);
    fx_add16_t x;
    fx_add16_fill(&x, 1);
    uint32_t h;
    snap_t s = take_snap(&f, &c);
    assert_int_equal(contract_submit_job(&c, 99, x.in, 2, 0, &h), PROXY_E_UNKNOWN_MODEL);
    /* one failure, one code: the proxy called directly says the same */
    proxy_request_t req = {.model_id = 99, .qos = IPC_QOS_NORMAL, .in = x.in, .n_in = 2};
    assert_int_equal(proxy_submit(f.proxy, &req, &h), PROXY_E_UNKNOWN_MODEL);
    assert_same(&f, &c, &s);
    assert_int_equal(REJECTED(c, CONTRACT_REJ_UNKNOWN_MODEL), 1);
    fx_fini(&f);
}

static void test_not_allowed(void **state)
{
    (void)state;
    fx_t f;
    fx_opts_t o;
    fx_opts_default(&o);
    setup_ready(&f, &o);
    contract_t c;
    fx_contract(&f, &c, "not-allowed", add16_only, 1, 4, IPC_QOS_NORMAL);
    int32_t buf[64] = {0};
    proxy_in_t in = {buf, sizeof(buf)};
    uint32_t h;
    snap_t s = take_snap(&f, &c);
    assert_int_equal(contract_submit_job(&c, FX_MODEL_COPY64, &in, 1, 0, &h), CONTRACT_E_NOT_ALLOWED);
    assert_same(&f, &c, &s);
    assert_int_equal(REJECTED(c, CONTRACT_REJ_NOT_ALLOWED), 1);
    fx_fini(&f);
}

static void test_inflight_limit(void **state)
{
    (void)state;
    fx_t f;
    fx_opts_t o;
    fx_opts_default(&o);
    setup_ready(&f, &o);
    contract_t c;
    fx_contract(&f, &c, "inflight", add16_only, 1, 2, IPC_QOS_HIGH);
    fx_add16_t x;
    fx_add16_fill(&x, 1);
    uint32_t h1, h2, h3;
    assert_int_equal(contract_submit_job(&c, FX_MODEL_ADD16, x.in, 2, 0, &h1), 0);
    assert_int_equal(contract_submit_job(&c, FX_MODEL_ADD16, x.in, 2, 0, &h2), 0);
    snap_t s = take_snap(&f, &c);
    assert_int_equal(s.inflight, 2);
    assert_int_equal(contract_submit_job(&c, FX_MODEL_ADD16, x.in, 2, 0, &h3), CONTRACT_E_INFLIGHT_LIMIT);
    assert_same(&f, &c, &s);
    assert_int_equal(REJECTED(c, CONTRACT_REJ_INFLIGHT), 1);
    /* once one ends (cancelled), a place is free again */
    assert_int_equal(contract_cancel(&c, h1), 0);
    assert_int_equal(contract_submit_job(&c, FX_MODEL_ADD16, x.in, 2, 0, &h3), 0);
    fx_fini(&f);
}

static void test_budget_exhausted(void **state)
{
    (void)state;
    fx_t f;
    fx_opts_t o;
    fx_opts_default(&o);
    setup_ready(&f, &o);
    hand_bridge_t b;
    assert_int_equal(hand_attach(&b, f.region, f.size), 0);
    contract_t c;
    contract_config_t cc;
    memset(&cc, 0, sizeof(cc));
    cc.name = "budget";
    cc.models[0] = FX_MODEL_ADD16;
    cc.n_models = 1;
    cc.max_inflight = 4;
    cc.qos = IPC_QOS_NORMAL;
    cc.budget_ns = 100000; /* 100 us per hour */
    cc.period_ns = 3600ull * 1000000000ull;
    assert_int_equal(contract_init(&c, f.proxy, &cc), 0);
    fx_add16_t x;
    fx_add16_fill(&x, 3);
    uint32_t h;
    assert_int_equal(contract_submit_job(&c, FX_MODEL_ADD16, x.in, 2, 0, &h), 0);
    ipc_packet_t pkt;
    assert_int_equal(hand_take(&b, &pkt), 0);
    assert_int_equal(pkt.payload_id, h);
    hand_fill_answer(&b, h, 150000, 1); /* reports 150 us */
    assert_int_equal(hand_post(&b, CMD_JOB_DONE, IPC_STATUS_OK, h), IPC_OK);
    struct timespec ts = {0, 2000000}; /* the job then existed >= 2 ms: no clamp below 150 us */
    nanosleep(&ts, NULL);
    assert_int_equal(proxy_complete(f.proxy), 1);
    proxy_result_t res;
    int32_t out[16];
    proxy_out_t po = {out, sizeof(out)};
    assert_int_equal(contract_wait(&c, h, 0, &res, &po, 1), PROXY_OK);
    assert_int_equal(out[5], x.a[5] + x.b[5]);
    assert_int_equal(c.acct.used_ns, 150000);
    snap_t s = take_snap(&f, &c);
    assert_int_equal(contract_submit_job(&c, FX_MODEL_ADD16, x.in, 2, 0, &h), CONTRACT_E_BUDGET_EXHAUSTED);
    assert_same(&f, &c, &s);
    assert_int_equal(REJECTED(c, CONTRACT_REJ_BUDGET), 1);
    /* A new period gives the budget back. */
    c.period_start_ns -= cc.period_ns;
    assert_int_equal(contract_submit_job(&c, FX_MODEL_ADD16, x.in, 2, 0, &h), 0);
    fx_fini(&f);
}

static void test_ring_full(void **state)
{
    (void)state;
    fx_t f;
    fx_opts_t o;
    fx_opts_default(&o);
    o.sq_slots = 4;
    o.max_jobs = 16;
    setup_ready(&f, &o);
    contract_t c;
    fx_contract(&f, &c, "ring", add16_only, 1, 16, IPC_QOS_RT);
    fx_add16_t x;
    fx_add16_fill(&x, 1);
    uint32_t h;
    for (int i = 0; i < 4; i++)
        assert_int_equal(contract_submit_job(&c, FX_MODEL_ADD16, x.in, 2, 0, &h), 0);
    snap_t s = take_snap(&f, &c);
    assert_int_equal(contract_submit_job(&c, FX_MODEL_ADD16, x.in, 2, 0, &h), PROXY_E_RING_FULL);
    assert_same(&f, &c, &s);
    assert_int_equal(REJECTED(c, CONTRACT_REJ_RING_FULL), 1);
    assert_int_equal(f.proxy->stats.rej_ring_full, 1);
    fx_fini(&f);
}

static void test_heap_exhausted(void **state)
{
    (void)state;
    fx_t f;
    fx_opts_t o;
    fx_opts_default(&o);
    o.n_heap = 2;
    o.heap[0] = (ipc_heap_class_cfg_t){64, 6};
    o.heap[1] = (ipc_heap_class_cfg_t){4096, 2};
    setup_ready(&f, &o);
    contract_t c;
    fx_contract(&f, &c, "heap", add16_only, 1, 16, IPC_QOS_NORMAL);
    fx_add16_t x;
    fx_add16_fill(&x, 1);
    uint32_t h;
    /* 3 blocks per job: two jobs take the six 64-byte blocks, the third
     * gets the two 4096-byte blocks for its inputs and none for its output. */
    assert_int_equal(contract_submit_job(&c, FX_MODEL_ADD16, x.in, 2, 0, &h), 0);
    assert_int_equal(contract_submit_job(&c, FX_MODEL_ADD16, x.in, 2, 0, &h), 0);
    snap_t s = take_snap(&f, &c);
    assert_int_equal(s.u.heap_free_bytes, 2 * 4096);
    assert_int_equal(contract_submit_job(&c, FX_MODEL_ADD16, x.in, 2, 0, &h), PROXY_E_HEAP_EXHAUSTED);
    assert_same(&f, &c, &s);
    assert_int_equal(REJECTED(c, CONTRACT_REJ_HEAP), 1);
    fx_fini(&f);
}

static void test_job_table_full(void **state)
{
    (void)state;
    fx_t f;
    fx_opts_t o;
    fx_opts_default(&o);
    o.max_jobs = 2;
    o.sq_slots = 16;
    setup_ready(&f, &o);
    contract_t c;
    fx_contract(&f, &c, "jobs", add16_only, 1, 8, IPC_QOS_NORMAL);
    fx_add16_t x;
    fx_add16_fill(&x, 1);
    uint32_t h;
    assert_int_equal(contract_submit_job(&c, FX_MODEL_ADD16, x.in, 2, 0, &h), 0);
    assert_int_equal(contract_submit_job(&c, FX_MODEL_ADD16, x.in, 2, 0, &h), 0);
    snap_t s = take_snap(&f, &c);
    assert_int_equal(contract_submit_job(&c, FX_MODEL_ADD16, x.in, 2, 0, &h), PROXY_E_JOB_TABLE_FULL);
    assert_same(&f, &c, &s);
    assert_int_equal(REJECTED(c, CONTRACT_REJ_JOB_TABLE), 1);
    fx_fini(&f);
}

static void test_bridge_offline(void **state)
{
    (void)state;
    fx_t f;
    fx_opts_t o;
    fx_opts_default(&o);
    assert_int_equal(fx_init(&f, &o), 0);
    contract_t c;
    fx_contract(&f, &c, "offline", add16_only, 1, 8, IPC_QOS_NORMAL);
    fx_add16_t x;
    fx_add16_fill(&x, 1);
    uint32_t h;
    snap_t s = take_snap(&f, &c);
    /* never seen */
    assert_int_equal(contract_submit_job(&c, FX_MODEL_ADD16, x.in, 2, 0, &h), PROXY_E_BRIDGE_OFFLINE);
    assert_same(&f, &c, &s);
    /* STARTING is not READY */
    fx_fake_bridge(&f, IPC_STATE_STARTING, 1);
    assert_int_equal(contract_submit_job(&c, FX_MODEL_ADD16, x.in, 2, 0, &h), PROXY_E_BRIDGE_OFFLINE);
    assert_same(&f, &c, &s);
    /* READY: accepted */
    fx_fake_bridge(&f, IPC_STATE_READY, 1);
    assert_int_equal(contract_submit_job(&c, FX_MODEL_ADD16, x.in, 2, 0, &h), 0);
    /* STOPPING: refused again */
    fx_fake_bridge(&f, IPC_STATE_STOPPING, 1);
    s = take_snap(&f, &c);
    assert_int_equal(contract_submit_job(&c, FX_MODEL_ADD16, x.in, 2, 0, &h), PROXY_E_BRIDGE_OFFLINE);
    assert_same(&f, &c, &s);
    assert_int_equal(REJECTED(c, CONTRACT_REJ_OFFLINE), 3);
    fx_fini(&f);
}

static void test_not_owner(void **state)
{
    (void)state;
    fx_t f;
    fx_opts_t o;
    fx_opts_default(&o);
    setup_ready(&f, &o);
    contract_t c1, c2;
    fx_contract(&f, &c1, "one", add16_only, 1, 8, IPC_QOS_NORMAL);
    fx_contract(&f, &c2, "two", add16_only, 1, 8, IPC_QOS_NORMAL);
    fx_add16_t x;
    fx_add16_fill(&x, 1);
    uint32_t h;
    assert_int_equal(contract_submit_job(&c1, FX_MODEL_ADD16, x.in, 2, 0, &h), 0);
    proxy_job_info_t info;
    assert_int_equal(contract_job_status(&c2, h, &info), PROXY_E_NOT_OWNER);
    assert_int_equal(contract_cancel(&c2, h), PROXY_E_NOT_OWNER);
    proxy_result_t res;
    assert_int_equal(contract_wait(&c2, h, 0, &res, NULL, 0), PROXY_E_NOT_OWNER);
    assert_int_equal(contract_job_status(&c1, h, &info), 0);
    assert_int_equal(info.state, PROXY_JOB_SUBMITTED);
    fx_fini(&f);
}

static void test_config_checked(void **state)
{
    (void)state;
    fx_t f;
    fx_opts_t o;
    fx_opts_default(&o);
    assert_int_equal(fx_init(&f, &o), 0);
    contract_t c;
    contract_config_t cc;
    memset(&cc, 0, sizeof(cc));
    cc.models[0] = 1;
    cc.n_models = 1;
    cc.max_inflight = 0;
    assert_int_equal(contract_init(&c, f.proxy, &cc), CONTRACT_E_CONFIG);
    cc.max_inflight = 1;
    cc.qos = IPC_QOS_COUNT;
    assert_int_equal(contract_init(&c, f.proxy, &cc), CONTRACT_E_CONFIG);
    cc.qos = 0;
    cc.budget_ns = 10;
    assert_int_equal(contract_init(&c, f.proxy, &cc), CONTRACT_E_CONFIG);
    cc.period_ns = 10;
    cc.n_models = 0;
    assert_int_equal(contract_init(&c, f.proxy, &cc), CONTRACT_E_CONFIG);
    fx_fini(&f);
}

static void test_error_names_distinct(void **state)
{
    (void)state;
    for (int a = CONTRACT_E_INVAL; a > CONTRACT_E_LAST; a--) {
        assert_true(strncmp(contract_strerror(a), "CONTRACT_E_", 11) == 0);
        for (int b = a - 1; b > CONTRACT_E_LAST; b--)
            assert_string_not_equal(contract_strerror(a), contract_strerror(b));
    }
    for (int a = PROXY_E_INVAL; a > PROXY_E_LAST; a--) {
        assert_true(strncmp(contract_strerror(a), "PROXY_E_", 8) == 0);
        for (int b = a - 1; b > PROXY_E_LAST; b--)
            assert_string_not_equal(proxy_strerror(a), proxy_strerror(b));
    }
    assert_string_equal(contract_strerror(-1002), "IPC_E_RING_FULL");
    /* every rejection reason has its own counter */
    int reasons[] = {CONTRACT_E_INVAL,          PROXY_E_UNKNOWN_MODEL,       CONTRACT_E_NOT_ALLOWED,
                     CONTRACT_E_INFLIGHT_LIMIT, CONTRACT_E_BUDGET_EXHAUSTED, PROXY_E_RING_FULL,
                     PROXY_E_HEAP_EXHAUSTED,    PROXY_E_JOB_TABLE_FULL,      PROXY_E_BRIDGE_OFFLINE};
    for (unsigned i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
        assert_int_equal(contract_reject_reason(reasons[i]), (int)i);
}

/* Every name table is generated from its list: one distinct name per value,
 * the constant's own spelling for the codes, "?" outside the range. */
static void assert_names(const char *(*name)(int), int first, int end)
{
    for (int a = first; a < end; a++) {
        assert_string_not_equal(name(a), "?");
        for (int b = a + 1; b < end; b++)
            assert_string_not_equal(name(a), name(b));
    }
    assert_string_equal(name(first - 1), "?");
    assert_string_equal(name(end), "?");
}

static void test_name_tables(void **state)
{
    (void)state;
    assert_names(proxy_cq_reject_name, 0, PROXY_CQ_REJECT_COUNT);
    assert_names(proxy_end_name, 0, PROXY_END_COUNT);
    assert_names(proxy_job_state_name, PROXY_JOB_INVALID, PROXY_JOB_BRIDGE_LOST + 1);
    assert_names(contract_reject_name, 0, CONTRACT_REJ_COUNT);
    assert_string_equal(proxy_cq_reject_name(PROXY_CQ_UNATTRIBUTED), "unattributed_error");
    assert_string_equal(proxy_end_name(PROXY_END_BRIDGE_LOST), "bridge_lost");
    assert_string_equal(proxy_job_state_name(PROXY_JOB_TIMED_OUT), "TIMED_OUT");
    assert_string_equal(contract_reject_name(CONTRACT_REJ_OFFLINE), "bridge_offline");
    assert_string_equal(proxy_strerror(PROXY_E_BUF_TABLE_FULL), "PROXY_E_BUF_TABLE_FULL");
    assert_string_equal(proxy_strerror(PROXY_E_INVAL), "PROXY_E_INVAL");
    assert_string_equal(proxy_strerror(PROXY_E_BASE), "PROXY_E_BASE");
    assert_string_equal(proxy_strerror(PROXY_E_LAST), "PROXY_E_?");
    assert_string_equal(contract_strerror(PROXY_E_NOT_OWNER), "PROXY_E_NOT_OWNER");
    assert_string_equal(contract_strerror(CONTRACT_E_INVAL), "CONTRACT_E_INVAL");
    assert_string_equal(contract_strerror(PROXY_E_MODEL_SIGNATURE), "PROXY_E_MODEL_SIGNATURE");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_argument),
        cmocka_unit_test(test_name_tables),
        cmocka_unit_test(test_unknown_model),
        cmocka_unit_test(test_not_allowed),
        cmocka_unit_test(test_inflight_limit),
        cmocka_unit_test(test_budget_exhausted),
        cmocka_unit_test(test_ring_full),
        cmocka_unit_test(test_heap_exhausted),
        cmocka_unit_test(test_job_table_full),
        cmocka_unit_test(test_bridge_offline),
        cmocka_unit_test(test_not_owner),
        cmocka_unit_test(test_config_checked),
        cmocka_unit_test(test_error_names_distinct),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
