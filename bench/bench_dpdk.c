/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_dpdk.c - DPDK's rte_ring as the reference ring of zenedge-bench.
 *
 * The rings live in our shared mapping: no EAL, no hugepages. Each is sized
 * with rte_ring_get_memsize_elem(), set up once with rte_ring_init() and
 * RING_F_SP_ENQ | RING_F_SC_DEQ (single producer, single consumer, like
 * ours), and used from both processes through the _elem calls with 16-byte
 * elements, the size of ipc_packet_t. rte_ring_init() stores no pointer
 * that the other process could not use: the ring is addressed by the
 * mapping, which fork() places at the same address in both processes.
 *
 * Built without DPDK (ZENEDGE_BENCH_HAVE_DPDK undefined), every rte_ring
 * item reports that it was skipped and why.
 */
#define _GNU_SOURCE
#include "bench.h"

#include <stdio.h>
#include <string.h>

#include "zl.h"
#include "zenedge/barrier.h"

#ifdef ZENEDGE_BENCH_HAVE_DPDK

#include <sys/types.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>

#define RTE_ELEM      ((unsigned int)sizeof(ipc_packet_t))
#define RTE_RTT_SLOTS 64u
#define RTE_ALIGN_MEM 4096u

struct bench_dpdk {
    struct rte_ring *req;    /* leader -> follower (round trip) */
    struct rte_ring *resp;   /* follower -> leader (round trip) */
    struct rte_ring *stream; /* leader -> follower (streaming) */
};

static struct bench_dpdk dpdk_state;

static size_t ring_bytes(unsigned int count)
{
    ssize_t n = rte_ring_get_memsize_elem(RTE_ELEM, count);
    if (n < 0)
        return 0;
    return ((size_t)n + RTE_ALIGN_MEM - 1u) & ~(size_t)(RTE_ALIGN_MEM - 1u);
}

size_t bench_dpdk_bytes(void)
{
    return 2 * ring_bytes(RTE_RTT_SLOTS) + ring_bytes(BENCH_STREAM_SLOTS);
}

static struct rte_ring *ring_at(uint8_t *mem, const char *name, unsigned int count)
{
    struct rte_ring *r = (struct rte_ring *)(void *)mem;
    int err = rte_ring_init(r, name, count, RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (err != 0) {
        fprintf(stderr, "zenedge-bench: rte_ring_init(%s, count=%u): %s\n", name, count, strerror(-err));
        return NULL;
    }
    return r;
}

int bench_dpdk_setup(bench_ctx_t *c, uint8_t *mem)
{
    struct bench_dpdk *d = &dpdk_state;
    if (ring_bytes(RTE_RTT_SLOTS) == 0 || ring_bytes(BENCH_STREAM_SLOTS) == 0) {
        fprintf(stderr, "zenedge-bench: rte_ring_get_memsize_elem(%u, ...) failed\n", RTE_ELEM);
        return -1;
    }
    d->req = ring_at(mem, "zb_req", RTE_RTT_SLOTS);
    mem += ring_bytes(RTE_RTT_SLOTS);
    d->resp = ring_at(mem, "zb_resp", RTE_RTT_SLOTS);
    mem += ring_bytes(RTE_RTT_SLOTS);
    d->stream = ring_at(mem, "zb_stream", BENCH_STREAM_SLOTS);
    if (!d->req || !d->resp || !d->stream)
        return -1;
    c->dpdk = d;
    return 0;
}

const char *bench_dpdk_unavailable(const bench_ctx_t *c)
{
    return c->dpdk ? NULL : "rte_ring setup failed";
}

int bench_dpdk_rtt_lead(bench_ctx_t *c, const bench_item_t *it, uint32_t ops, bench_sample_t *s)
{
    (void)it;
    struct bench_dpdk *d = c->dpdk;
    uint64_t t0 = zl_now_ns();
    for (uint32_t i = 0; i < ops; i++) {
        ipc_packet_t p = {CMD_PING, 0, i + 1u, i}, a;
        while (rte_ring_sp_enqueue_elem(d->req, &p, RTE_ELEM) != 0)
            ipc_cpu_relax();
        while (rte_ring_sc_dequeue_elem(d->resp, &a, RTE_ELEM) != 0)
            ipc_cpu_relax();
        if (a.cmd != CMD_PONG || a.payload_id != i + 1u)
            s->errors++;
    }
    s->ns = zl_now_ns() - t0;
    return 0;
}

int bench_dpdk_rtt_follow(bench_ctx_t *c, const bench_item_t *it, uint32_t ops, uint32_t arg, uint32_t *errors,
                          uint32_t *doorbells)
{
    (void)it;
    (void)arg;
    (void)doorbells;
    struct bench_dpdk *d = c->dpdk;
    for (uint32_t i = 0; i < ops; i++) {
        ipc_packet_t p;
        while (rte_ring_sc_dequeue_elem(d->req, &p, RTE_ELEM) != 0)
            ipc_cpu_relax();
        if (p.cmd != CMD_PING || p.payload_id != i + 1u)
            (*errors)++;
        p.cmd = CMD_PONG;
        while (rte_ring_sp_enqueue_elem(d->resp, &p, RTE_ELEM) != 0)
            ipc_cpu_relax();
    }
    return 0;
}

int bench_dpdk_stream_lead(bench_ctx_t *c, const bench_item_t *it, uint32_t ops, bench_sample_t *s)
{
    struct bench_dpdk *d = c->dpdk;
    ipc_packet_t buf[32];
    uint32_t b = it->batch, sent = 0;
    uint64_t t0 = zl_now_ns();
    while (sent < ops) {
        uint32_t k = ops - sent < b ? ops - sent : b;
        for (uint32_t j = 0; j < k; j++)
            buf[j] = bench_stream_pkt(sent + j);
        unsigned int r = rte_ring_sp_enqueue_burst_elem(d->stream, buf, RTE_ELEM, k, NULL);
        if (r == 0)
            ipc_cpu_relax();
        sent += r;
    }
    bench_wait_ack(c, bench_current_seq(c));
    s->ns = zl_now_ns() - t0;
    return 0;
}

int bench_dpdk_stream_follow(bench_ctx_t *c, const bench_item_t *it, uint32_t ops, uint32_t arg, uint32_t *errors,
                             uint32_t *doorbells)
{
    (void)arg;
    (void)doorbells;
    struct bench_dpdk *d = c->dpdk;
    ipc_packet_t buf[32];
    uint32_t b = it->batch, got = 0;
    while (got < ops) {
        unsigned int n = rte_ring_sc_dequeue_burst_elem(d->stream, buf, RTE_ELEM, b, NULL);
        if (n == 0) {
            ipc_cpu_relax();
            continue;
        }
        for (unsigned int j = 0; j < n; j++)
            if (buf[j].cmd != CMD_PING || buf[j].payload_id != got + j)
                (*errors)++;
        got += n;
    }
    return 0;
}

#else /* !ZENEDGE_BENCH_HAVE_DPDK */

size_t bench_dpdk_bytes(void)
{
    return 0;
}

int bench_dpdk_setup(bench_ctx_t *c, uint8_t *mem)
{
    (void)mem;
    c->dpdk = NULL;
    return 0;
}

const char *bench_dpdk_unavailable(const bench_ctx_t *c)
{
    (void)c;
    return "skipped: dpdk-dev not installed";
}

/* Never called: the harness skips items that report a reason above. */
int bench_dpdk_rtt_lead(bench_ctx_t *c, const bench_item_t *it, uint32_t ops, bench_sample_t *s)
{
    (void)c;
    (void)it;
    (void)ops;
    (void)s;
    return -1;
}

int bench_dpdk_rtt_follow(bench_ctx_t *c, const bench_item_t *it, uint32_t ops, uint32_t arg, uint32_t *errors,
                          uint32_t *doorbells)
{
    (void)c;
    (void)it;
    (void)ops;
    (void)arg;
    (void)errors;
    (void)doorbells;
    return -1;
}

int bench_dpdk_stream_lead(bench_ctx_t *c, const bench_item_t *it, uint32_t ops, bench_sample_t *s)
{
    (void)c;
    (void)it;
    (void)ops;
    (void)s;
    return -1;
}

int bench_dpdk_stream_follow(bench_ctx_t *c, const bench_item_t *it, uint32_t ops, uint32_t arg, uint32_t *errors,
                             uint32_t *doorbells)
{
    (void)c;
    (void)it;
    (void)ops;
    (void)arg;
    (void)errors;
    (void)doorbells;
    return -1;
}

#endif /* ZENEDGE_BENCH_HAVE_DPDK */
