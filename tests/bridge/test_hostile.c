/* SPDX-License-Identifier: BSD-3-Clause */
/* test_hostile.c - a real zenedge-bridged fed corrupt packets and descriptors (each field out of range, one at a time): checks every error completion, its counter, and that good jobs still run afterwards. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zenedge/barrier.h"
#include "zside.h"

static zside_t z;
static uint64_t expect_status[IPC_STATUS_COUNT];
static uint32_t epoch;
static uint32_t in_a, in_b, out_c; /* vector_add tensors */
static const char *status_key[IPC_STATUS_COUNT] = {
    "status.OK",
    "status.BAD_CMD",
    "status.BAD_FLAGS",
    "status.BAD_SLOT",
    "status.STALE",
    "status.BAD_MODEL",
    "status.BAD_QOS",
    "status.BAD_TENSOR_COUNT",
    "status.BAD_TENSOR_RANGE",
    "status.BAD_TENSOR_SIZE",
    "status.BAD_DESC",
    "status.BACKEND_ERROR",
    "status.CANCELLED",
    "status.EXPIRED",
    "status.SHUTDOWN",
};

/* A good vector_add on QoS NORMAL, filled in slot `slot`; returns its handle. */
static uint32_t good_add(uint32_t slot)
{
    uint32_t h = zside_next_handle(&z, slot);
    ipc_tensor_ref_t in[2] = {{in_a, 4096}, {in_b, 4096}}, out[1] = {{out_c, 4096}};
    zside_fill(&z, h, 1, IPC_QOS_NORMAL, 2, in, 1, out);
    return h;
}

static ipc_job_desc_t *desc(uint32_t h)
{
    return &z.v.jobs[IPC_HANDLE_SLOT(h)];
}

/* Send one packet and check the answer: cmd, status, echoed payload, and
 * that the status counter moved by one. */
static void expect(const char *what, uint32_t ring, uint16_t cmd, uint16_t flags, uint32_t payload, uint16_t want_cmd,
                   uint32_t want_status)
{
    ZS_CHECK(zside_send(&z, ring, cmd, flags, payload) == IPC_OK, "%s: enqueue", what);
    ipc_packet_t a;
    ZS_CHECK(zside_wait(&z, &a, 10000) == 1, "%s: no answer within 10 s", what);
    ZS_CHECK(a.cmd == want_cmd && a.flags == want_status && a.payload_id == payload,
             "%s: got cmd=0x%x status=%u payload=0x%08x, want cmd=0x%x status=%u payload=0x%08x", what, a.cmd, a.flags,
             a.payload_id, want_cmd, want_status, payload);
    if (want_cmd == CMD_ERROR)
        ZS_CHECK(a.timestamp == cmd, "%s: CMD_ERROR timestamp %llu is not the offending cmd %u", what,
                 (unsigned long long)a.timestamp, cmd);
    expect_status[want_status]++;
    uint64_t v = 0;
    ZS_CHECK(zside_stat(&z, status_key[want_status], &v), "%s: no statistics dump", what);
    ZS_CHECK(v == expect_status[want_status], "%s: counter %s = %llu, want %llu", what, status_key[want_status],
             (unsigned long long)v, (unsigned long long)expect_status[want_status]);
    printf("ok   %-48s -> %s 0x%x, %s = %llu\n", what,
           want_cmd == CMD_ERROR  ? "CMD_ERROR"
           : want_cmd == CMD_PONG ? "CMD_PONG"
                                  : "CMD_JOB_DONE",
           want_status, status_key[want_status], (unsigned long long)v);
}

static void check_answer_line(const char *what, uint32_t h, bool written)
{
    const ipc_job_desc_t *d = desc(h);
    if (written)
        ZS_CHECK(d->t_pickup != 0 && d->t_complete >= d->t_pickup && d->bridge_epoch == epoch,
                 "%s: answer line not written (t_pickup %llu, epoch %u)", what, (unsigned long long)d->t_pickup,
                 d->bridge_epoch);
    else
        ZS_CHECK(d->t_pickup == 0 && d->bridge_epoch == 0, "%s: the bridge wrote into a slot it does not own", what);
}

/* A descriptor corruption: fill a good job, let `mutate` break one field. */
#define DESC_CASE(name, status, ring, stmt)                            \
    do {                                                               \
        uint32_t h = good_add(5);                                      \
        ipc_job_desc_t *d = desc(h);                                   \
        (void)d;                                                       \
        stmt;                                                          \
        expect(name, ring, CMD_RUN_MODEL, 0, h, CMD_JOB_DONE, status); \
        check_answer_line(name, h, status != IPC_STATUS_STALE);        \
    } while (0)

static void run_good_add(const char *what)
{
    int32_t *a = (int32_t *)(z.v.base + in_a), *b = (int32_t *)(z.v.base + in_b), *c = (int32_t *)(z.v.base + out_c);
    for (int i = 0; i < 1024; i++) {
        a[i] = i * 3;
        b[i] = 1000 - i;
        c[i] = -1;
    }
    uint32_t h = good_add(1);
    expect(what, IPC_QOS_NORMAL, CMD_RUN_MODEL, 0, h, CMD_JOB_DONE, IPC_STATUS_OK);
    for (int i = 0; i < 1024; i++)
        ZS_CHECK(c[i] == i * 3 + 1000 - i, "%s: c[%d] = %d", what, i, c[i]);
    check_answer_line(what, h, true);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s ZENEDGE_BRIDGED MODELS_DIR\n", argv[0]);
        return 1;
    }
    zside_guard(&z, 240);
    ZS_CHECK(zside_create(&z, "hostile", 1u << 20, 64, 1) == 0, "region");
    zside_start_bridge(&z, argv[1], argv[2], "adaptive", "--spin-us", "200", NULL);
    ZS_CHECK(zside_wait_ready(&z, 0, 30000), "bridge not READY within 30 s (log: %s)", z.log);
    epoch = ipc_load_acquire(&z.v.hdr->bridge.epoch);
    printf("bridge pid %d READY, epoch %u, region %s\n", (int)z.bridge, epoch, z.shm);
    in_a = zside_alloc(&z, 4096);
    in_b = zside_alloc(&z, 4096);
    out_c = zside_alloc(&z, 4096);

    run_good_add("good vector_add before");
    expect("good PING", IPC_QOS_RT, CMD_PING, 0, zside_next_handle(&z, 2), CMD_PONG, IPC_STATUS_OK);

    /* ---- packets ---- */
    expect("packet cmd = 0 (CMD_INVALID)", 2, CMD_INVALID, 0, good_add(3), CMD_ERROR, IPC_STATUS_BAD_CMD);
    expect("packet cmd = CMD_JOB_DONE (a completion)", 2, CMD_JOB_DONE, 0, good_add(3), CMD_ERROR, IPC_STATUS_BAD_CMD);
    expect("packet cmd = 0xFFFF", 2, 0xFFFF, 0, good_add(3), CMD_ERROR, IPC_STATUS_BAD_CMD);
    expect("packet slot = max_jobs", 2, CMD_RUN_MODEL, 0, IPC_HANDLE(1, 64), CMD_ERROR, IPC_STATUS_BAD_SLOT);
    expect("packet slot = 4095", 2, CMD_RUN_MODEL, 0, IPC_HANDLE(7, 4095), CMD_ERROR, IPC_STATUS_BAD_SLOT);
    expect("packet generation = 0", 2, CMD_RUN_MODEL, 0, IPC_HANDLE(0, 3), CMD_ERROR, IPC_STATUS_BAD_SLOT);
    expect("packet PING slot = max_jobs", 0, CMD_PING, 0, IPC_HANDLE(1, 64), CMD_ERROR, IPC_STATUS_BAD_SLOT);
    expect("packet flags = 1 (RUN_MODEL)", 2, CMD_RUN_MODEL, 1, good_add(3), CMD_JOB_DONE, IPC_STATUS_BAD_FLAGS);
    expect("packet flags = 0x8000 (PING)", 0, CMD_PING, 0x8000, zside_next_handle(&z, 4), CMD_PONG,
           IPC_STATUS_BAD_FLAGS);

    /* ---- descriptors ---- */
    DESC_CASE("desc handle = older generation", IPC_STATUS_STALE, 2, d->handle = IPC_HANDLE(IPC_HANDLE_GEN(h) + 7u, 5));
    DESC_CASE("desc handle = 0", IPC_STATUS_STALE, 2, d->handle = 0);
    DESC_CASE("desc req_flags = 1", IPC_STATUS_BAD_DESC, 2, d->req_flags = 1);
    DESC_CASE("desc reserved0 = 0xDEAD", IPC_STATUS_BAD_DESC, 2, d->reserved0 = 0xDEAD);
    DESC_CASE("desc unused in[3] not zero", IPC_STATUS_BAD_DESC, 2, d->in[3].off = in_a);
    DESC_CASE("desc unused out[2] not zero", IPC_STATUS_BAD_DESC, 2, d->out[2].len = 64);
    DESC_CASE("desc qos = 4 (>= IPC_QOS_COUNT)", IPC_STATUS_BAD_QOS, 2, d->qos = 4);
    DESC_CASE("desc qos = 255", IPC_STATUS_BAD_QOS, 2, d->qos = 255);
    DESC_CASE("desc qos RT on the NORMAL ring", IPC_STATUS_BAD_QOS, 2, d->qos = IPC_QOS_RT);
    DESC_CASE("desc qos NORMAL on the RT ring", IPC_STATUS_BAD_QOS, 0, (void)0);
    DESC_CASE("desc model_id = 0", IPC_STATUS_BAD_MODEL, 2, d->model_id = 0);
    DESC_CASE("desc model_id = 99", IPC_STATUS_BAD_MODEL, 2, d->model_id = 99);
    DESC_CASE("desc model_id = 0xFFFFFFFF", IPC_STATUS_BAD_MODEL, 2, d->model_id = 0xFFFFFFFFu);
    DESC_CASE("desc n_in = 1 (model has 2)", IPC_STATUS_BAD_TENSOR_COUNT, 2, d->n_in = 1);
    DESC_CASE("desc n_in = 200", IPC_STATUS_BAD_TENSOR_COUNT, 2, d->n_in = 200);
    DESC_CASE("desc n_out = 0", IPC_STATUS_BAD_TENSOR_COUNT, 2, d->n_out = 0);
    DESC_CASE("desc in[0].off = 0 (region header)", IPC_STATUS_BAD_TENSOR_RANGE, 2, d->in[0].off = 0);
    DESC_CASE("desc in[1].off = jobs_off (descriptor table)", IPC_STATUS_BAD_TENSOR_RANGE, 2,
              d->in[1].off = z.v.jobs_off);
    DESC_CASE("desc out[0] = the submission ring", IPC_STATUS_BAD_TENSOR_RANGE, 2, d->out[0].off = z.v.sq_off[0]);
    DESC_CASE("desc out[0] ends past the heap", IPC_STATUS_BAD_TENSOR_RANGE, 2,
              d->out[0].off = z.v.heap_off + z.v.heap_size - 4092u);
    DESC_CASE("desc in[0].off = 0xFFFFFFF0 (wraps)", IPC_STATUS_BAD_TENSOR_RANGE, 2, d->in[0].off = 0xFFFFFFF0u);
    DESC_CASE("desc in[0].len = 0xFFFFFFFF", IPC_STATUS_BAD_TENSOR_RANGE, 2, d->in[0].len = 0xFFFFFFFFu);
    DESC_CASE("desc in[0].off past the region", IPC_STATUS_BAD_TENSOR_RANGE, 2, d->in[0].off = z.v.size + 64u);
    DESC_CASE("desc in[1].len = 4092", IPC_STATUS_BAD_TENSOR_SIZE, 2, d->in[1].len = 4092);
    DESC_CASE("desc out[0].len = 8192", IPC_STATUS_BAD_TENSOR_SIZE, 2, d->out[0].len = 8192);
    DESC_CASE("desc cancel = 1", IPC_STATUS_CANCELLED, 2, ipc_write_once(&d->cancel, 1u));

    /* EXPIRED: a 1 us budget behind 7 gemms taken in the same round of
     * ring 1 (weight 8; the dispatcher hands each gemm to a worker, which
     * alone takes over 1 us). */
    {
        uint32_t ga = zside_alloc(&z, 16384), gb = zside_alloc(&z, 16384), gc = zside_alloc(&z, 16384);
        memset(z.v.base + ga, 0, 3u * 16384u);
        ipc_tensor_ref_t gin[2] = {{ga, 16384}, {gb, 16384}}, gout[1] = {{gc, 16384}};
        ipc_packet_t pk[8];
        for (uint32_t i = 0; i < 7; i++) {
            uint32_t hg = zside_next_handle(&z, 20 + i);
            zside_fill(&z, hg, 3, IPC_QOS_HIGH, 2, gin, 1, gout);
            pk[i] = (ipc_packet_t){CMD_RUN_MODEL, 0, hg, zl_now_ns()};
        }
        uint32_t he = good_add(7);
        desc(he)->timeout_us = 1;
        desc(he)->qos = IPC_QOS_HIGH;
        pk[7] = (ipc_packet_t){CMD_RUN_MODEL, 0, he, zl_now_ns()};
        ZS_CHECK(ipc_ring_enqueue_bulk(&z.sq[1], pk, 8) == 8, "enqueue 7 gemms + short job");
        uint32_t gemm_ok = 0, expired = 0;
        for (uint32_t i = 0; i < 8; i++) {
            ipc_packet_t a;
            ZS_CHECK(zside_wait(&z, &a, 10000) == 1, "answer %u of 8", i);
            if (a.payload_id == he)
                expired += a.flags == IPC_STATUS_EXPIRED;
            else
                gemm_ok += a.flags == IPC_STATUS_OK;
        }
        ZS_CHECK(gemm_ok == 7, "%u of 7 gemms answered OK", gemm_ok);
        ZS_CHECK(expired == 1, "1 us job not answered EXPIRED");
        expect_status[IPC_STATUS_OK] += 7;
        expect_status[IPC_STATUS_EXPIRED]++;
        printf("ok   %-48s -> CMD_JOB_DONE 0x%x\n", "desc timeout_us = 1 behind 7 gemms", IPC_STATUS_EXPIRED);
    }

    /* ---- ring counters: an impossible head on ring 3 ---- */
    {
        uint32_t head = ipc_read_once(&z.v.sq[3]->head);
        ipc_store_release(&z.v.sq[3]->head, head + 1000u);
        usleep(200000);
        uint64_t seen = 0;
        ZS_CHECK(zside_stat(&z, "ring_corrupt_seen", &seen) && seen > 0, "corrupt head of ring 3 not counted");
        ipc_store_release(&z.v.sq[3]->head, head);
        printf("ok   %-48s -> counted (ring_corrupt_seen = %llu), ring skipped\n", "ring 3 head = tail + 1000",
               (unsigned long long)seen);
    }

    /* ---- still serving: every model, every ring ---- */
    run_good_add("good vector_add after");
    {
        float *x = (float *)(z.v.base + zside_alloc(&z, 0));
        (void)x;
        uint32_t al = zside_alloc(&z, 4), xo = zside_alloc(&z, 4096), yo = zside_alloc(&z, 4096),
                 so = zside_alloc(&z, 4096);
        float alpha = 3.0f;
        memcpy(z.v.base + al, &alpha, 4);
        for (int i = 0; i < 1024; i++) {
            float xv = (float)i, yv = 1.0f;
            memcpy(z.v.base + xo + 4 * i, &xv, 4);
            memcpy(z.v.base + yo + 4 * i, &yv, 4);
        }
        for (uint32_t q = 0; q < IPC_QOS_COUNT; q++) {
            uint32_t h = zside_next_handle(&z, 8 + q);
            ipc_tensor_ref_t in[3] = {{al, 4}, {xo, 4096}, {yo, 4096}}, out[1] = {{so, 4096}};
            zside_fill(&z, h, 2, q, 3, in, 1, out);
            char what[64];
            snprintf(what, sizeof(what), "good saxpy on ring %u after", q);
            expect(what, q, CMD_RUN_MODEL, 0, h, CMD_JOB_DONE, IPC_STATUS_OK);
            for (int i = 0; i < 1024; i++) {
                float v;
                memcpy(&v, z.v.base + so + 4 * i, 4);
                ZS_CHECK(v == 3.0f * (float)i + 1.0f, "saxpy out[%d] = %f", i, (double)v);
            }
        }
    }
    {
        uint32_t xo = zside_alloc(&z, 256), lo = zside_alloc(&z, 40);
        memset(z.v.base + xo, 0, 256);
        uint32_t h = zside_next_handle(&z, 12);
        ipc_tensor_ref_t in[1] = {{xo, 256}}, out[1] = {{lo, 40}};
        zside_fill(&z, h, 4, IPC_QOS_HIGH, 1, in, 1, out);
        expect("good digits_mlp after", 1, CMD_RUN_MODEL, 0, h, CMD_JOB_DONE, IPC_STATUS_OK);
        ZS_CHECK(desc(h)->result <= 9, "digits result %u", desc(h)->result);
    }

    /* Every counter equals what we sent, and the daemon never left. */
    for (uint32_t s = 0; s < IPC_STATUS_COUNT; s++) {
        uint64_t v = 0;
        ZS_CHECK(zside_stat_cached(&z, status_key[s], &v), "counter %s missing", status_key[s]);
        ZS_CHECK(v == expect_status[s], "final %s = %llu, want %llu", status_key[s], (unsigned long long)v,
                 (unsigned long long)expect_status[s]);
    }
    uint64_t tx_err = 0, rx_other = 0;
    zside_stat_cached(&z, "tx.error", &tx_err);
    zside_stat_cached(&z, "rx.other", &rx_other);
    ZS_CHECK(tx_err == 7 && rx_other == 3, "tx.error %llu (want 7), rx.other %llu (want 3)", (unsigned long long)tx_err,
             (unsigned long long)rx_other);
    ZS_CHECK(waitpid(z.bridge, NULL, WNOHANG) == 0, "the daemon exited during the test (log: %s)", z.log);
    int st = zside_stop_bridge(&z, 20000);
    ZS_CHECK(st == 0, "daemon exit status %d after SIGTERM (log: %s)", st, z.log);
    ZS_CHECK(ipc_load_acquire(&z.v.hdr->bridge.state) == IPC_STATE_OFFLINE, "state after stop is not OFFLINE");
    printf("hostile input: every corrupt field answered with its status and counted; daemon served on and "
           "stopped cleanly\n");
    zside_destroy(&z);
    return 0;
}
