/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_layout.c - the ring layout experiment of zenedge-bench.
 *
 * Two copies of one SPSC algorithm that differ only in the ring layout:
 *
 *   orig  the ring as first drawn in the architecture:
 *           struct { uint32_t magic, head, tail, size; uint8_t data[]; }
 *         head and tail share one cache line (with the identity words and
 *         the first three packets); counters are slot indices wrapped
 *         modulo size, so one slot is sacrificed to tell full from empty,
 *         and size need not be a power of two (fill level by '%').
 *   new   the layout of ipc_ring_t: identity, head and tail each on their
 *         own line; free-running counters; power-of-two size and a mask.
 *
 * Everything else is the same in both: each side keeps a private copy of
 * the counter it owns and a cached copy of the peer's, refreshed
 * (load-acquire) only when the cached one shows too little; packets are
 * copied 16 bytes at a time; the counter is published with a
 * store-release. So the ratio new/orig isolates the layout. (The real
 * ipc_ring code, measured in the "ours" rows, adds argument and counter
 * validation on top of the "new" copy.)
 */
#include "bench.h"

#include <stdio.h>
#include <string.h>

#include "zl.h"
#include "zenedge/barrier.h"

#define LAY_MAGIC 0x51DECA9Eu

typedef struct lay_orig_ring {
    uint32_t magic;
    uint32_t head;  /* writer: producer; slot index in [0, size) */
    uint32_t tail;  /* writer: consumer; slot index in [0, size) */
    uint32_t size;  /* slots; one is always left empty */
    uint8_t data[]; /* size x 16-byte packets */
} lay_orig_ring_t;

typedef struct lay_new_ring {
    uint32_t magic;
    uint32_t size; /* power of two */
    uint8_t pad0[IPC_CACHELINE - 8];
    uint32_t head; /* writer: producer; free-running */
    uint8_t pad1[IPC_CACHELINE - 4];
    uint32_t tail; /* writer: consumer; free-running */
    uint8_t pad2[IPC_CACHELINE - 4];
    ipc_packet_t data[];
} lay_new_ring_t;

_Static_assert(offsetof(lay_orig_ring_t, data) == 16, "original layout: data right after 4 words");
_Static_assert(offsetof(lay_new_ring_t, data) == 3 * IPC_CACHELINE, "new layout: 3 header lines");

#define ORIG_BYTES \
    (((sizeof(lay_orig_ring_t) + BENCH_LAYOUT_SLOTS * 16u) + IPC_CACHELINE - 1u) & ~(size_t)(IPC_CACHELINE - 1u))
#define NEW_BYTES (sizeof(lay_new_ring_t) + BENCH_LAYOUT_SLOTS * sizeof(ipc_packet_t))

/* Private handles; the same fields for both layouts. */
typedef struct lay_end {
    uint32_t *own;  /* the shared counter this side writes */
    uint32_t *peer; /* the shared counter the other side writes */
    uint8_t *data;
    uint32_t size;
    uint32_t mask; /* new layout only */
    uint32_t mine; /* private copy of *own */
    uint32_t seen; /* cached *peer */
} lay_end_t;

struct bench_lay {
    lay_orig_ring_t *oreq, *oresp; /* leader -> follower, follower -> leader */
    lay_new_ring_t *nreq, *nresp;
    lay_end_t otx, orx, ntx, nrx; /* this process's ends */
};

static struct bench_lay lay_state; /* one per process (copied by fork) */

size_t bench_lay_bytes(void)
{
    return 2 * ORIG_BYTES + 2 * NEW_BYTES;
}

int bench_lay_setup(bench_ctx_t *c, uint8_t *mem)
{
    struct bench_lay *l = &lay_state;
    l->oreq = (lay_orig_ring_t *)mem;
    l->oresp = (lay_orig_ring_t *)(mem + ORIG_BYTES);
    l->nreq = (lay_new_ring_t *)(mem + 2 * ORIG_BYTES);
    l->nresp = (lay_new_ring_t *)(mem + 2 * ORIG_BYTES + NEW_BYTES);
    lay_orig_ring_t *o[2] = {l->oreq, l->oresp};
    lay_new_ring_t *n[2] = {l->nreq, l->nresp};
    for (int i = 0; i < 2; i++) {
        o[i]->magic = LAY_MAGIC;
        o[i]->size = BENCH_LAYOUT_SLOTS;
        o[i]->head = o[i]->tail = 0;
        n[i]->magic = LAY_MAGIC;
        n[i]->size = BENCH_LAYOUT_SLOTS;
        n[i]->head = n[i]->tail = 0;
    }
    c->lay = l;
    return 0;
}

static void orig_end(lay_end_t *e, lay_orig_ring_t *r, bool producer)
{
    e->own = producer ? &r->head : &r->tail;
    e->peer = producer ? &r->tail : &r->head;
    e->data = r->data;
    e->size = r->size;
    e->mask = 0;
    e->mine = ipc_read_once(e->own);
    e->seen = ipc_load_acquire(e->peer);
}

static void new_end(lay_end_t *e, lay_new_ring_t *r, bool producer)
{
    e->own = producer ? &r->head : &r->tail;
    e->peer = producer ? &r->tail : &r->head;
    e->data = (uint8_t *)r->data;
    e->size = r->size;
    e->mask = r->size - 1u;
    e->mine = ipc_read_once(e->own);
    e->seen = ipc_load_acquire(e->peer);
}

int bench_lay_attach(bench_ctx_t *c)
{
    struct bench_lay *l = c->lay;
    bool lead = c->role == BENCH_LEADER;
    orig_end(&l->otx, lead ? l->oreq : l->oresp, true);
    orig_end(&l->orx, lead ? l->oresp : l->oreq, false);
    new_end(&l->ntx, lead ? l->nreq : l->nresp, true);
    new_end(&l->nrx, lead ? l->nresp : l->nreq, false);
    return 0;
}

/* --- original layout: wrapped indices, one slot sacrificed ------------- */

static inline uint32_t orig_used(uint32_t head, uint32_t tail, uint32_t size)
{
    return (head + size - tail) % size;
}

static inline uint32_t orig_enqueue_burst(lay_end_t *p, const ipc_packet_t *pk, uint32_t n)
{
    uint32_t room = p->size - 1u - orig_used(p->mine, p->seen, p->size);
    if (room < n) {
        uint32_t t = ipc_load_acquire(p->peer); /* pairs with the consumer's release */
        if (t >= p->size)                       /* peer's index validated */
            return 0;
        p->seen = t;
        room = p->size - 1u - orig_used(p->mine, t, p->size);
    }
    if (n > room)
        n = room;
    uint32_t idx = p->mine;
    for (uint32_t i = 0; i < n; i++) {
        memcpy(p->data + (size_t)idx * 16u, &pk[i], 16);
        if (++idx == p->size)
            idx = 0;
    }
    if (n) {
        p->mine = idx;
        ipc_store_release(p->own, idx); /* publishes the slots */
    }
    return n;
}

static inline uint32_t orig_dequeue_burst(lay_end_t *c, ipc_packet_t *pk, uint32_t max)
{
    uint32_t ready = orig_used(c->seen, c->mine, c->size);
    if (ready < max) {
        uint32_t h = ipc_load_acquire(c->peer); /* pairs with the producer's release */
        if (h >= c->size)
            return 0;
        c->seen = h;
        ready = orig_used(h, c->mine, c->size);
    }
    if (ready > max)
        ready = max;
    uint32_t idx = c->mine;
    for (uint32_t i = 0; i < ready; i++) {
        memcpy(&pk[i], c->data + (size_t)idx * 16u, 16);
        if (++idx == c->size)
            idx = 0;
    }
    if (ready) {
        c->mine = idx;
        ipc_store_release(c->own, idx); /* frees the slots */
    }
    return ready;
}

/* --- new layout: free-running counters, mask ------------------------- */

static inline uint32_t new_enqueue_burst(lay_end_t *p, const ipc_packet_t *pk, uint32_t n)
{
    uint32_t room = p->size - (p->mine - p->seen);
    if (room < n) {
        uint32_t t = ipc_load_acquire(p->peer);
        if (p->mine - t > p->size)
            return 0;
        p->seen = t;
        room = p->size - (p->mine - t);
    }
    if (n > room)
        n = room;
    ipc_packet_t *d = (ipc_packet_t *)(void *)p->data;
    for (uint32_t i = 0; i < n; i++)
        d[(p->mine + i) & p->mask] = pk[i];
    if (n) {
        p->mine += n;
        ipc_store_release(p->own, p->mine);
    }
    return n;
}

static inline uint32_t new_dequeue_burst(lay_end_t *c, ipc_packet_t *pk, uint32_t max)
{
    uint32_t ready = c->seen - c->mine;
    if (ready < max) {
        uint32_t h = ipc_load_acquire(c->peer);
        if (h - c->mine > c->size)
            return 0;
        c->seen = h;
        ready = h - c->mine;
    }
    if (ready > max)
        ready = max;
    const ipc_packet_t *d = (const ipc_packet_t *)(const void *)c->data;
    for (uint32_t i = 0; i < ready; i++)
        pk[i] = d[(c->mine + i) & c->mask];
    if (ready) {
        c->mine += ready;
        ipc_store_release(c->own, c->mine);
    }
    return ready;
}

/* --- the four items, written once for both layouts --------------------- */

#define LAY_ITEMS(NAME, ENQ, DEQ, TX, RX)                                                                       \
    int bench_lay_##NAME##_rtt_lead(bench_ctx_t *c, const bench_item_t *it, uint32_t ops, bench_sample_t *s)    \
    {                                                                                                           \
        (void)it;                                                                                               \
        struct bench_lay *l = c->lay;                                                                           \
        uint64_t t0 = zl_now_ns();                                                                              \
        for (uint32_t i = 0; i < ops; i++) {                                                                    \
            ipc_packet_t p = {CMD_PING, 0, i + 1u, i}, a;                                                       \
            while (ENQ(&l->TX, &p, 1) != 1)                                                                     \
                ipc_cpu_relax();                                                                                \
            while (DEQ(&l->RX, &a, 1) != 1)                                                                     \
                ipc_cpu_relax();                                                                                \
            if (a.cmd != CMD_PONG || a.payload_id != i + 1u)                                                    \
                s->errors++;                                                                                    \
        }                                                                                                       \
        s->ns = zl_now_ns() - t0;                                                                               \
        return 0;                                                                                               \
    }                                                                                                           \
    int bench_lay_##NAME##_rtt_follow(bench_ctx_t *c, const bench_item_t *it, uint32_t ops, uint32_t arg,       \
                                      uint32_t *errors, uint32_t *doorbells)                                    \
    {                                                                                                           \
        (void)it;                                                                                               \
        (void)arg;                                                                                              \
        (void)doorbells;                                                                                        \
        struct bench_lay *l = c->lay;                                                                           \
        for (uint32_t i = 0; i < ops; i++) {                                                                    \
            ipc_packet_t p;                                                                                     \
            while (DEQ(&l->RX, &p, 1) != 1)                                                                     \
                ipc_cpu_relax();                                                                                \
            if (p.cmd != CMD_PING || p.payload_id != i + 1u)                                                    \
                (*errors)++;                                                                                    \
            p.cmd = CMD_PONG;                                                                                   \
            while (ENQ(&l->TX, &p, 1) != 1)                                                                     \
                ipc_cpu_relax();                                                                                \
        }                                                                                                       \
        return 0;                                                                                               \
    }                                                                                                           \
    int bench_lay_##NAME##_stream_lead(bench_ctx_t *c, const bench_item_t *it, uint32_t ops, bench_sample_t *s) \
    {                                                                                                           \
        struct bench_lay *l = c->lay;                                                                           \
        ipc_packet_t buf[32];                                                                                   \
        uint32_t b = it->batch, sent = 0;                                                                       \
        uint64_t t0 = zl_now_ns();                                                                              \
        while (sent < ops) {                                                                                    \
            uint32_t k = ops - sent < b ? ops - sent : b;                                                       \
            for (uint32_t j = 0; j < k; j++)                                                                    \
                buf[j] = bench_stream_pkt(sent + j);                                                            \
            uint32_t r = ENQ(&l->TX, buf, k);                                                                   \
            if (r == 0)                                                                                         \
                ipc_cpu_relax();                                                                                \
            sent += r;                                                                                          \
        }                                                                                                       \
        bench_wait_ack(c, bench_current_seq(c));                                                                \
        s->ns = zl_now_ns() - t0;                                                                               \
        return 0;                                                                                               \
    }                                                                                                           \
    int bench_lay_##NAME##_stream_follow(bench_ctx_t *c, const bench_item_t *it, uint32_t ops, uint32_t arg,    \
                                         uint32_t *errors, uint32_t *doorbells)                                 \
    {                                                                                                           \
        (void)arg;                                                                                              \
        (void)doorbells;                                                                                        \
        struct bench_lay *l = c->lay;                                                                           \
        ipc_packet_t buf[32];                                                                                   \
        uint32_t b = it->batch, got = 0;                                                                        \
        while (got < ops) {                                                                                     \
            uint32_t n = DEQ(&l->RX, buf, b);                                                                   \
            if (n == 0) {                                                                                       \
                ipc_cpu_relax();                                                                                \
                continue;                                                                                       \
            }                                                                                                   \
            for (uint32_t j = 0; j < n; j++)                                                                    \
                if (buf[j].cmd != CMD_PING || buf[j].payload_id != got + j)                                     \
                    (*errors)++;                                                                                \
            got += n;                                                                                           \
        }                                                                                                       \
        return 0;                                                                                               \
    }

LAY_ITEMS(orig, orig_enqueue_burst, orig_dequeue_burst, otx, orx)
LAY_ITEMS(new, new_enqueue_burst, new_dequeue_burst, ntx, nrx)
