/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hostile.c - the hostile guest. It lays the region out with the core API
 * only (no proxy: it must be free to write what a correct ZENEDGE side
 * never would), then, one at a time, submits packets and descriptors that
 * break each rule the bridge checks, and verifies the answer to each: the
 * command (CMD_ERROR when the packet names no job, the normal answer
 * otherwise), the status and the echoed payload. Finally a PING and a
 * correct vector_add job must still succeed: the bridge kept serving.
 */
#include "kernel.h"

#include "zx_arch.h"
#include "zenedge/barrier.h"
#include "zenedge/ipc_region.h"
#include "zenedge/ipc_ring.h"

static ipc_region_t view;
static ipc_ring_prod_t sq[IPC_MAX_SQ];
static ipc_ring_cons_t cq;
static uint64_t hb_next;

static void heartbeat(void)
{
    uint64_t now = zx_now_ns();
    if (now < hb_next)
        return;
    ipc_side_t *zen = &view.hdr->zen;
    ipc_write_once(&zen->heartbeat, ipc_read_once(&zen->heartbeat) + 1u); /* only we write it */
    hb_next = now + 5000000u;
}

/* Wait for one answer (deadline in ms); false on timeout or ring error. */
static bool answer(ipc_packet_t *out, uint32_t ms)
{
    uint64_t limit = zx_now_ns() + (uint64_t)ms * 1000000u;
    while (zx_now_ns() < limit) {
        int r = ipc_ring_dequeue(&cq, out);
        if (r == IPC_OK)
            return true;
        if (r != IPC_E_RING_EMPTY) {
            zx_printf("hostile: completion ring error %s\n", ipc_strerror(r));
            return false;
        }
        heartbeat();
        __builtin_ia32_pause();
    }
    return false;
}

typedef struct hcase {
    const char *what;
    uint32_t ring;
    uint16_t cmd;
    uint16_t flags;
    uint32_t handle;    /* packet payload_id */
    uint32_t desc_fill; /* 1: write a vector_add descriptor at the slot */
    uint16_t want_cmd;
    uint16_t want_status;
} hcase_t;

/* The cases lay vector_add's tensors out in three 4096-byte blocks. */
_Static_assert(ZEN_MODEL_VECTOR_ADD_N_IN == 2u && ZEN_MODEL_VECTOR_ADD_N_OUT == 1u &&
                   ZEN_MODEL_VECTOR_ADD_IN0_BYTES == 4096u && ZEN_MODEL_VECTOR_ADD_IN1_BYTES == 4096u &&
                   ZEN_MODEL_VECTOR_ADD_OUT0_BYTES == 4096u,
               "vector_add: i32[1024] + i32[1024]");

static void desc_vector_add(ipc_job_desc_t *d, uint32_t handle, uint32_t qos)
{
    volatile uint32_t *w = (volatile uint32_t *)(void *)d;
    for (uint32_t i = 0; i < 2u * IPC_CACHELINE / 4u; i++) /* lines 0-1 */
        w[i] = 0;
    d->handle = handle;
    d->model_id = ZEN_MODEL_VECTOR_ADD;
    d->qos = (uint8_t)qos;
    d->n_in = ZEN_MODEL_VECTOR_ADD_N_IN;
    d->n_out = ZEN_MODEL_VECTOR_ADD_N_OUT;
    d->timeout_us = 0;
    d->t_submit = zx_now_ns();
    d->in[0].off = view.heap_off;
    d->in[0].len = ZEN_MODEL_VECTOR_ADD_IN0_BYTES;
    d->in[1].off = view.heap_off + 4096u;
    d->in[1].len = ZEN_MODEL_VECTOR_ADD_IN1_BYTES;
    d->out[0].off = view.heap_off + 8192u;
    d->out[0].len = ZEN_MODEL_VECTOR_ADD_OUT0_BYTES;
}

static uint32_t run_case(uint32_t idx, const hcase_t *c, void (*mutate)(ipc_job_desc_t *))
{
    uint32_t slot = IPC_HANDLE_SLOT(c->handle);
    if (c->desc_fill && slot < view.max_jobs) {
        ipc_job_desc_t *d = ipc_region_job(&view, slot);
        desc_vector_add(d, c->handle, c->ring);
        if (mutate)
            mutate(d);
    }
    ipc_packet_t pkt = {c->cmd, c->flags, c->handle, zx_now_ns()};
    int r = ipc_ring_enqueue(&sq[c->ring], &pkt); /* R1 inside: publishes the descriptor */
    if (r != IPC_OK) {
        zx_printf("hostile %2u %-34s enqueue: %s\n", idx, c->what, r < 0 ? ipc_strerror(r) : "no room");
        return 1;
    }
    ipc_packet_t a;
    if (!answer(&a, 5000)) {
        zx_printf("hostile %2u %-34s no answer within 5 s\n", idx, c->what);
        return 1;
    }
    bool ok = a.cmd == c->want_cmd && a.flags == c->want_status && a.payload_id == c->handle;
    zx_printf("hostile %2u %-34s -> cmd 0x%04x status %2u id 0x%08x : %s\n", idx, c->what, a.cmd, a.flags, a.payload_id,
              ok ? "ok" : "WRONG");
    if (!ok)
        zx_printf("           expected cmd 0x%04x status %u id 0x%08x\n", c->want_cmd, c->want_status, c->handle);
    return ok ? 0u : 1u;
}

static void m_stale(ipc_job_desc_t *d)
{
    d->handle ^= 1u << IPC_SLOT_BITS;
}
static void m_reserved(ipc_job_desc_t *d)
{
    d->reserved0 = 0xDEADu;
}
static void m_qos(ipc_job_desc_t *d)
{
    d->qos = IPC_QOS_NORMAL;
}
static void m_bad_qos(ipc_job_desc_t *d)
{
    d->qos = 200;
}
static void m_model(ipc_job_desc_t *d)
{
    d->model_id = 99;
}
static void m_count(ipc_job_desc_t *d)
{
    d->n_in = 1;
    d->in[1].off = 0;
    d->in[1].len = 0;
}
static void m_count_big(ipc_job_desc_t *d)
{
    d->n_in = 200;
}
static void m_in_header(ipc_job_desc_t *d)
{
    d->in[0].off = 0;
}
static void m_in_outside(ipc_job_desc_t *d)
{
    d->in[0].off = 0xFFFFFF00u;
}
static void m_in_wrap(ipc_job_desc_t *d)
{
    d->in[1].off = 0xFFFFF000u;
    d->in[1].len = 4096;
}
static void m_out_end(ipc_job_desc_t *d)
{
    d->out[0].off = view.heap_off + view.heap_size - 100u;
}
static void m_out_table(ipc_job_desc_t *d)
{
    d->out[0].off = view.jobs_off;
}
static void m_len(ipc_job_desc_t *d)
{
    d->in[0].len = 4092;
}
static void m_unused_ref(ipc_job_desc_t *d)
{
    d->in[3].off = view.heap_off;
    d->in[3].len = 64;
}

uint32_t zx_hostile_run(const zx_opts_t *o, void *shm, uint32_t size)
{
    ipc_region_config_t cfg;
    ipc_region_config_default(&cfg, size);
    cfg.max_jobs = 32;
    cfg.sq_slots = 16;
    cfg.features = 0;
    int r = ipc_region_init(&view, shm, &cfg);
    if (r != IPC_OK) {
        zx_printf("hostile: ipc_region_init: %s\n", ipc_strerror(r));
        return 1;
    }
    for (uint32_t i = 0; i < view.n_sq; i++)
        if (ipc_ring_prod_attach(&sq[i], view.sq[i], view.sq_slots) != IPC_OK)
            return 1;
    if (ipc_ring_cons_attach(&cq, view.cq, view.cq_slots) != IPC_OK)
        return 1;
    ipc_side_t *zen = &view.hdr->zen;
    ipc_store_release(&zen->state, IPC_STATE_READY);
    zx_printf("hostile: region laid out (%u bytes, heap 0x%x+%u); waiting for the bridge\n", view.size, view.heap_off,
              view.heap_size);

    uint64_t limit = zx_now_ns() + (uint64_t)o->wait_s * 1000000000u;
    while (ipc_load_acquire(&view.hdr->bridge.state) != IPC_STATE_READY) {
        if (zx_now_ns() >= limit) {
            zx_printf("hostile: the bridge never became READY\n");
            return 1;
        }
        heartbeat();
        zx_delay_us(100);
    }
    zx_printf("hostile: bridge READY, epoch %u\n", ipc_read_once(&view.hdr->bridge.epoch));

    /* Inputs of the good jobs: a[i] = i, b[i] = 5. */
    volatile uint32_t *a = ipc_region_ptr(&view, view.heap_off, 4096);
    volatile uint32_t *b = ipc_region_ptr(&view, view.heap_off + 4096u, 4096);
    volatile uint32_t *c = ipc_region_ptr(&view, view.heap_off + 8192u, 4096);
    for (uint32_t i = 0; i < 1024u; i++) {
        a[i] = i;
        b[i] = 5;
        c[i] = 0;
    }

    const uint16_t E = CMD_ERROR, D = CMD_JOB_DONE, P = CMD_PONG;
    static const struct {
        hcase_t c;
        void (*m)(ipc_job_desc_t *);
    } cases[] = {
        {{"unknown command 0x0077", 0, 0x0077, 0, IPC_HANDLE(1, 1), 0, 0, IPC_STATUS_BAD_CMD}, 0},
        {{"completion command as submission", 0, CMD_JOB_DONE, 0, IPC_HANDLE(1, 2), 0, 0, IPC_STATUS_BAD_CMD}, 0},
        {{"slot beyond max_jobs", 0, CMD_PING, 0, IPC_HANDLE(1, 1000), 0, 0, IPC_STATUS_BAD_SLOT}, 0},
        {{"generation 0 (handle 0)", 0, CMD_RUN_MODEL, 0, 0, 0, 0, IPC_STATUS_BAD_SLOT}, 0},
        {{"flags not zero", 0, CMD_RUN_MODEL, 5, IPC_HANDLE(1, 3), 1, 0, IPC_STATUS_BAD_FLAGS}, 0},
        {{"descriptor handle stale", 0, CMD_RUN_MODEL, 0, IPC_HANDLE(1, 4), 1, 0, IPC_STATUS_STALE}, m_stale},
        {{"reserved word set", 0, CMD_RUN_MODEL, 0, IPC_HANDLE(1, 5), 1, 0, IPC_STATUS_BAD_DESC}, m_reserved},
        {{"qos of another ring", 0, CMD_RUN_MODEL, 0, IPC_HANDLE(1, 6), 1, 0, IPC_STATUS_BAD_QOS}, m_qos},
        {{"qos out of range", 0, CMD_RUN_MODEL, 0, IPC_HANDLE(1, 7), 1, 0, IPC_STATUS_BAD_QOS}, m_bad_qos},
        {{"unknown model 99", 0, CMD_RUN_MODEL, 0, IPC_HANDLE(1, 8), 1, 0, IPC_STATUS_BAD_MODEL}, m_model},
        {{"one input for vector_add", 0, CMD_RUN_MODEL, 0, IPC_HANDLE(1, 9), 1, 0, IPC_STATUS_BAD_TENSOR_COUNT},
         m_count},
        {{"n_in 200", 0, CMD_RUN_MODEL, 0, IPC_HANDLE(1, 10), 1, 0, IPC_STATUS_BAD_TENSOR_COUNT}, m_count_big},
        {{"input in the region header", 0, CMD_RUN_MODEL, 0, IPC_HANDLE(1, 11), 1, 0, IPC_STATUS_BAD_TENSOR_RANGE},
         m_in_header},
        {{"input past the region", 0, CMD_RUN_MODEL, 0, IPC_HANDLE(1, 12), 1, 0, IPC_STATUS_BAD_TENSOR_RANGE},
         m_in_outside},
        {{"input offset+len wraps 2^32", 0, CMD_RUN_MODEL, 0, IPC_HANDLE(1, 13), 1, 0, IPC_STATUS_BAD_TENSOR_RANGE},
         m_in_wrap},
        {{"output past the heap end", 0, CMD_RUN_MODEL, 0, IPC_HANDLE(1, 14), 1, 0, IPC_STATUS_BAD_TENSOR_RANGE},
         m_out_end},
        {{"output over the job table", 0, CMD_RUN_MODEL, 0, IPC_HANDLE(1, 15), 1, 0, IPC_STATUS_BAD_TENSOR_RANGE},
         m_out_table},
        {{"input length 4092, not 4096", 0, CMD_RUN_MODEL, 0, IPC_HANDLE(1, 16), 1, 0, IPC_STATUS_BAD_TENSOR_SIZE},
         m_len},
        {{"unused tensor ref not zero", 0, CMD_RUN_MODEL, 0, IPC_HANDLE(1, 17), 1, 0, IPC_STATUS_BAD_DESC},
         m_unused_ref},
        {{"PING after all that", 3, CMD_PING, 0, IPC_HANDLE(1, 18), 0, 0, IPC_STATUS_OK}, 0},
        {{"good vector_add", 0, CMD_RUN_MODEL, 0, IPC_HANDLE(1, 19), 1, 0, IPC_STATUS_OK}, 0},
        {{"good vector_add, slot reused (gen 2)", 0, CMD_RUN_MODEL, 0, IPC_HANDLE(2, 19), 1, 0, IPC_STATUS_OK}, 0},
    };
    uint32_t n = (uint32_t)(sizeof(cases) / sizeof(cases[0]));
    uint32_t failed = 0;
    for (uint32_t i = 0; i < n; i++) {
        hcase_t c2 = cases[i].c;
        /* expected answer command: none attributable -> CMD_ERROR */
        if (c2.want_status == IPC_STATUS_BAD_CMD || c2.want_status == IPC_STATUS_BAD_SLOT)
            c2.want_cmd = E;
        else
            c2.want_cmd = c2.cmd == CMD_PING ? P : D;
        failed += run_case(i, &c2, cases[i].m);
        if (c2.cmd == CMD_RUN_MODEL && c2.want_status == IPC_STATUS_OK) {
            uint32_t bad = 0;
            for (uint32_t k = 0; k < 1024u; k++)
                if (c[k] != k + 5u)
                    bad++;
            if (bad) {
                zx_printf("hostile: good job output has %u wrong elements\n", bad);
                failed++;
            }
            for (uint32_t k = 0; k < 1024u; k++)
                c[k] = 0;
        }
    }
    /* Nothing may have been written outside the output tensor: inputs intact. */
    for (uint32_t k = 0; k < 1024u; k++)
        if (a[k] != k || b[k] != 5u) {
            zx_printf("hostile: input tensors changed at %u\n", k);
            failed++;
            break;
        }
    ipc_store_release(&zen->state, IPC_STATE_OFFLINE);
    zx_printf("hostile: %u cases, %u failed\n", n, failed);
    zx_printf("demo: mode=qemu jobs=%u ok=%u failed=%u rejected=0 accuracy=0.0000\n", n, n - failed, failed);
    return failed;
}
