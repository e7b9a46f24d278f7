/* SPDX-License-Identifier: BSD-3-Clause */
/* test_validate.c - bridge/validate.c: every ipc_status the packet and job checks return, one by one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "validate.h"

#define REGION_SIZE (256u * 1024u)

static ipc_region_t view;
static void *mem;
static bridge_model_t model_add; /* id 1: two i32[1024] in, one out */
static bridge_model_t model_one; /* id 7: one f32[4] in, one f32[2] out */
static bridge_registry_t reg;
static ipc_packet_t pkt;
static ipc_job_desc_t desc;

static void spec(bridge_tensor_spec_t *t, const char *name, bridge_dtype_t dt, uint32_t count)
{
    memset(t, 0, sizeof(*t));
    strcpy(t->name, name);
    t->dtype = dt;
    t->n_dims = 1;
    t->dims[0] = count;
    t->count = count;
    t->bytes = count * (uint32_t)bridge_dtype_size(dt);
}

static int setup(void **state)
{
    (void)state;
    mem = aligned_alloc(IPC_CACHELINE, REGION_SIZE);
    assert_non_null(mem);
    memset(mem, 0, REGION_SIZE);
    ipc_region_config_t cfg;
    ipc_region_config_default(&cfg, REGION_SIZE);
    cfg.max_jobs = 16;
    cfg.sq_slots = 16;
    assert_int_equal(ipc_region_init(&view, mem, &cfg), IPC_OK);

    memset(&model_add, 0, sizeof(model_add));
    model_add.id = 1;
    strcpy(model_add.name, "vector_add");
    model_add.n_in = 2;
    model_add.n_out = 1;
    spec(&model_add.in[0], "a", BRIDGE_DT_I32, 1024);
    spec(&model_add.in[1], "b", BRIDGE_DT_I32, 1024);
    spec(&model_add.out[0], "c", BRIDGE_DT_I32, 1024);
    memset(&model_one, 0, sizeof(model_one));
    model_one.id = 7;
    strcpy(model_one.name, "one");
    model_one.n_in = 1;
    model_one.n_out = 1;
    spec(&model_one.in[0], "x", BRIDGE_DT_F32, 4);
    spec(&model_one.out[0], "y", BRIDGE_DT_F32, 2);
    memset(&reg, 0, sizeof(reg));
    reg.models[0] = &model_add;
    reg.models[1] = &model_one;
    reg.n_models = 2;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(mem);
    return 0;
}

/* A valid RUN_MODEL of vector_add on slot 3, generation 5, QoS NORMAL. */
static void good_job(void)
{
    memset(&pkt, 0, sizeof(pkt));
    pkt.cmd = CMD_RUN_MODEL;
    pkt.payload_id = IPC_HANDLE(5, 3);
    memset(&desc, 0, sizeof(desc));
    desc.handle = pkt.payload_id;
    desc.model_id = 1;
    desc.qos = IPC_QOS_NORMAL;
    desc.n_in = 2;
    desc.n_out = 1;
    desc.in[0] = (ipc_tensor_ref_t){view.heap_off, 4096};
    desc.in[1] = (ipc_tensor_ref_t){view.heap_off + 4096, 4096};
    desc.out[0] = (ipc_tensor_ref_t){view.heap_off + 8192, 4096};
}

static enum ipc_status job(uint32_t ring)
{
    const bridge_model_t *m = (const bridge_model_t *)&m;
    enum ipc_status st = bridge_validate_packet(&view, ring, &pkt);
    if (st != IPC_STATUS_OK)
        return st;
    st = bridge_validate_job(&view, &reg, ring, &pkt, &desc, &m);
    if (st == IPC_STATUS_OK)
        assert_ptr_equal(m, &model_add);
    else
        assert_null(m);
    return st;
}

static void test_ok(void **state)
{
    (void)state;
    good_job();
    assert_int_equal(job(IPC_QOS_NORMAL), IPC_STATUS_OK);
    /* A PING needs only a good packet. */
    pkt.cmd = CMD_PING;
    assert_int_equal(bridge_validate_packet(&view, 0, &pkt), IPC_STATUS_OK);
    /* The last heap byte is inside. */
    good_job();
    desc.out[0].off = view.heap_off + view.heap_size - 4096;
    assert_int_equal(job(IPC_QOS_NORMAL), IPC_STATUS_OK);
}

static void test_bad_cmd(void **state)
{
    (void)state;
    const uint16_t bad[] = {CMD_INVALID, CMD_PONG, CMD_JOB_DONE, CMD_ERROR, 0x0003, 0xFFFF};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        good_job();
        pkt.cmd = bad[i];
        assert_int_equal(job(IPC_QOS_NORMAL), IPC_STATUS_BAD_CMD);
    }
    assert_false(bridge_status_attributable(IPC_STATUS_BAD_CMD));
}

static void test_bad_slot(void **state)
{
    (void)state;
    good_job();
    pkt.payload_id = IPC_HANDLE(1, view.max_jobs); /* slot = max_jobs */
    assert_int_equal(job(IPC_QOS_NORMAL), IPC_STATUS_BAD_SLOT);
    pkt.payload_id = IPC_HANDLE(1, IPC_SLOT_MASK); /* largest slot */
    assert_int_equal(job(IPC_QOS_NORMAL), IPC_STATUS_BAD_SLOT);
    pkt.payload_id = IPC_HANDLE(0, 3); /* generation 0 */
    assert_int_equal(job(IPC_QOS_NORMAL), IPC_STATUS_BAD_SLOT);
    pkt.payload_id = 0;
    assert_int_equal(job(IPC_QOS_NORMAL), IPC_STATUS_BAD_SLOT);
    assert_false(bridge_status_attributable(IPC_STATUS_BAD_SLOT));
    /* The highest slot that exists is fine. */
    good_job();
    pkt.payload_id = desc.handle = IPC_HANDLE(IPC_GEN_MASK, view.max_jobs - 1u);
    assert_int_equal(job(IPC_QOS_NORMAL), IPC_STATUS_OK);
}

static void test_bad_flags(void **state)
{
    (void)state;
    good_job();
    pkt.flags = 1;
    assert_int_equal(job(IPC_QOS_NORMAL), IPC_STATUS_BAD_FLAGS);
    pkt.cmd = CMD_PING;
    pkt.flags = 0x8000;
    assert_int_equal(bridge_validate_packet(&view, 0, &pkt), IPC_STATUS_BAD_FLAGS);
    assert_true(bridge_status_attributable(IPC_STATUS_BAD_FLAGS));
}

static void test_stale(void **state)
{
    (void)state;
    good_job();
    desc.handle = IPC_HANDLE(4, 3); /* older generation of the slot */
    assert_int_equal(job(IPC_QOS_NORMAL), IPC_STATUS_STALE);
    desc.handle = 0;
    assert_int_equal(job(IPC_QOS_NORMAL), IPC_STATUS_STALE);
}

static void test_bad_desc(void **state)
{
    (void)state;
    good_job();
    desc.req_flags = 1;
    assert_int_equal(job(IPC_QOS_NORMAL), IPC_STATUS_BAD_DESC);
    good_job();
    desc.reserved0 = 0x80000000u;
    assert_int_equal(job(IPC_QOS_NORMAL), IPC_STATUS_BAD_DESC);
    good_job();
    desc.in[2].off = view.heap_off; /* unused input ref not zero */
    assert_int_equal(job(IPC_QOS_NORMAL), IPC_STATUS_BAD_DESC);
    good_job();
    desc.in[3].len = 1;
    assert_int_equal(job(IPC_QOS_NORMAL), IPC_STATUS_BAD_DESC);
    good_job();
    desc.out[1].len = 4096; /* unused output ref not zero */
    assert_int_equal(job(IPC_QOS_NORMAL), IPC_STATUS_BAD_DESC);
}

static void test_bad_qos(void **state)
{
    (void)state;
    good_job();
    desc.qos = IPC_QOS_COUNT;
    assert_int_equal(job(IPC_QOS_NORMAL), IPC_STATUS_BAD_QOS);
    desc.qos = 0xFF;
    assert_int_equal(job(IPC_QOS_NORMAL), IPC_STATUS_BAD_QOS);
    good_job();
    desc.qos = IPC_QOS_RT; /* RT job on the NORMAL ring */
    assert_int_equal(job(IPC_QOS_NORMAL), IPC_STATUS_BAD_QOS);
    good_job();
    assert_int_equal(job(IPC_QOS_HIGH), IPC_STATUS_BAD_QOS);
    assert_int_equal(job(view.n_sq), IPC_STATUS_BAD_QOS); /* ring index out of the table */
    /* With fewer rings than classes, classes share the last ring. */
    ipc_region_t two = view;
    two.n_sq = 2;
    good_job();
    desc.qos = IPC_QOS_BACKGROUND;
    assert_int_equal(bridge_validate_job(&two, &reg, 1, &pkt, &desc, NULL), IPC_STATUS_OK);
    assert_int_equal(bridge_validate_job(&two, &reg, 0, &pkt, &desc, NULL), IPC_STATUS_BAD_QOS);
}

static void test_bad_model(void **state)
{
    (void)state;
    const uint32_t bad[] = {0, 2, 6, 8, 0xFFFFFFFFu};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        good_job();
        desc.model_id = bad[i];
        assert_int_equal(job(IPC_QOS_NORMAL), IPC_STATUS_BAD_MODEL);
    }
}

static void test_bad_tensor_count(void **state)
{
    (void)state;
    good_job();
    desc.n_in = 1;
    assert_int_equal(job(IPC_QOS_NORMAL), IPC_STATUS_BAD_TENSOR_COUNT);
    good_job();
    desc.n_in = 3;
    assert_int_equal(job(IPC_QOS_NORMAL), IPC_STATUS_BAD_TENSOR_COUNT);
    good_job();
    desc.n_out = 0;
    assert_int_equal(job(IPC_QOS_NORMAL), IPC_STATUS_BAD_TENSOR_COUNT);
    good_job();
    desc.n_out = 200;
    assert_int_equal(job(IPC_QOS_NORMAL), IPC_STATUS_BAD_TENSOR_COUNT);
}

static void test_bad_tensor_range(void **state)
{
    (void)state;
    struct {
        int which;
        uint32_t off;
        uint32_t len;
    } cases[] = {
        {0, 0, 4096},                                      /* the header */
        {0, view.jobs_off, 4096},                          /* the descriptor table */
        {1, view.heap_off - 1u, 4096},                     /* one byte before the heap */
        {2, view.heap_off + view.heap_size - 4095u, 4096}, /* one byte past the heap */
        {2, view.heap_off + view.heap_size, 4096},         /* just past the heap */
        {0, 0xFFFFFFFFu, 4096},                            /* off + len wraps 32 bits */
        {1, view.heap_off, 0xFFFFFFFFu},
        {2, 0xFFFFF000u, 0x2000u},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        good_job();
        ipc_tensor_ref_t *r = cases[i].which < 2 ? &desc.in[cases[i].which] : &desc.out[0];
        r->off = cases[i].off;
        r->len = cases[i].len;
        assert_int_equal(job(IPC_QOS_NORMAL), IPC_STATUS_BAD_TENSOR_RANGE);
    }
}

static void test_bad_tensor_size(void **state)
{
    (void)state;
    good_job();
    desc.in[0].len = 4095;
    assert_int_equal(job(IPC_QOS_NORMAL), IPC_STATUS_BAD_TENSOR_SIZE);
    good_job();
    desc.in[1].len = 4100;
    assert_int_equal(job(IPC_QOS_NORMAL), IPC_STATUS_BAD_TENSOR_SIZE);
    good_job();
    desc.out[0].len = 0;
    assert_int_equal(job(IPC_QOS_NORMAL), IPC_STATUS_BAD_TENSOR_SIZE);
    /* The other model, with other sizes. */
    good_job();
    desc.model_id = 7;
    desc.n_in = 1;
    desc.in[1] = (ipc_tensor_ref_t){0, 0};
    desc.in[0].len = 16;
    desc.out[0].len = 8;
    assert_int_equal(bridge_validate_job(&view, &reg, IPC_QOS_NORMAL, &pkt, &desc, NULL), IPC_STATUS_OK);
    desc.out[0].len = 16;
    assert_int_equal(bridge_validate_job(&view, &reg, IPC_QOS_NORMAL, &pkt, &desc, NULL), IPC_STATUS_BAD_TENSOR_SIZE);
}

static void test_copy_in(void **state)
{
    (void)state;
    good_job();
    memcpy(&view.jobs[3], &desc, 2u * IPC_CACHELINE);
    view.jobs[3].t_pickup = 99; /* answer line is not copied */
    ipc_job_desc_t copy;
    assert_true(bridge_job_copy_in(&view, 3, &copy));
    assert_int_equal(copy.handle, desc.handle);
    assert_int_equal(copy.in[1].off, desc.in[1].off);
    assert_int_equal(copy.t_pickup, 0);
    /* Changing the region afterwards does not change the copy. */
    view.jobs[3].model_id = 99;
    assert_int_equal(copy.model_id, 1);
    assert_false(bridge_job_copy_in(&view, view.max_jobs, &copy));
}

static void test_names(void **state)
{
    (void)state;
    for (uint32_t s = 0; s < IPC_STATUS_COUNT; s++)
        for (uint32_t t = s + 1; t < IPC_STATUS_COUNT; t++)
            assert_string_not_equal(ipc_status_name(s), ipc_status_name(t));
    assert_string_equal(ipc_status_name(IPC_STATUS_COUNT), "IPC_STATUS_?");
    assert_int_equal(bridge_answer_cmd(CMD_PING), CMD_PONG);
    assert_int_equal(bridge_answer_cmd(CMD_RUN_MODEL), CMD_JOB_DONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ok),
        cmocka_unit_test(test_bad_cmd),
        cmocka_unit_test(test_bad_slot),
        cmocka_unit_test(test_bad_flags),
        cmocka_unit_test(test_stale),
        cmocka_unit_test(test_bad_desc),
        cmocka_unit_test(test_bad_qos),
        cmocka_unit_test(test_bad_model),
        cmocka_unit_test(test_bad_tensor_count),
        cmocka_unit_test(test_bad_tensor_range),
        cmocka_unit_test(test_bad_tensor_size),
        cmocka_unit_test(test_copy_in),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, setup, teardown) ? 1 : 0;
}
