/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ipc_ring.c - SPSC ring on shared memory. Freestanding: no libc.
 *
 * Counters are free-running uint32_t. With size a power of two <= 2^16,
 * head - tail (mod 2^32) is the fill level and slot i is data[i & mask].
 * The ordering labels R1/A1 (head) and R2/A2 (tail) are those of the
 * comment above ipc_ring_t in ipc_proto.h.
 */
#include "zenedge/ipc_ring.h"

#include "zenedge/barrier.h"
#include "zenedge/ipc_arith.h"
#include "zenedge/ipc_cache.h"
#include "zenedge/ipc_errors.h"

static int ring_check_hdr(const ipc_ring_t *r, uint32_t slots)
{
    if (!ipc_ring_slots_ok(slots))
        return IPC_E_RING_SIZE;
    ipc_cache_invalidate(r, IPC_CACHELINE);
    /* Identity words are immutable after init and were published by the
     * region magic; a plain once-read suffices. */
    if (ipc_read_once(&r->magic) != IPC_RING_MAGIC)
        return IPC_E_RING_MAGIC;
    if (ipc_read_once(&r->size) != slots)
        return IPC_E_RING_SIZE;
    return IPC_OK;
}

int ipc_ring_init(ipc_ring_t *r, uint32_t slots, uint32_t ring_id, uint32_t producer)
{
    return ipc_ring_init_inline(r, slots, ring_id, producer); /* ipc_ring.h */
}

int ipc_ring_prod_attach(ipc_ring_prod_t *p, ipc_ring_t *r, uint32_t slots)
{
    if (p == 0 || r == 0)
        return IPC_E_INVAL;
    int err = ring_check_hdr(r, slots);
    if (err)
        return err;
    ipc_cache_invalidate(&r->head, IPC_CACHELINE);
    ipc_cache_invalidate(&r->tail, IPC_CACHELINE);
    /* Our own counter is read from the region exactly once, here, so a
     * restarted producer continues the sequence. */
    uint32_t head = ipc_read_once(&r->head);
    uint32_t tail = ipc_load_acquire(&r->tail); /* A2 */
    if (head - tail > slots)
        return IPC_E_RING_CORRUPT;
    p->ring = r;
    p->size = slots;
    p->mask = slots - 1u;
    p->head = head;
    p->tail_seen = tail;
    p->corrupt = 0;
    return IPC_OK;
}

int ipc_ring_cons_attach(ipc_ring_cons_t *c, ipc_ring_t *r, uint32_t slots)
{
    if (c == 0 || r == 0)
        return IPC_E_INVAL;
    int err = ring_check_hdr(r, slots);
    if (err)
        return err;
    ipc_cache_invalidate(&r->head, IPC_CACHELINE);
    ipc_cache_invalidate(&r->tail, IPC_CACHELINE);
    uint32_t tail = ipc_read_once(&r->tail);
    uint32_t head = ipc_load_acquire(&r->head); /* A1 */
    if (head - tail > slots)
        return IPC_E_RING_CORRUPT;
    c->ring = r;
    c->size = slots;
    c->mask = slots - 1u;
    c->tail = tail;
    c->head_seen = head;
    c->corrupt = 0;
    return IPC_OK;
}

/* Refresh the producer's view of tail; returns free slots or a negative
 * code. The peer's tail is valid only if it lies in [head - size, head]:
 * the consumer can never have consumed more than was produced, nor fewer
 * than head - size. */
/*@ requires \valid(p) && \valid_read(&p->ring->tail);
    requires 2 <= p->size <= 65536;
    assigns p->tail_seen, p->corrupt;
    ensures \result == IPC_E_RING_CORRUPT || 0 <= \result <= p->size;
    ensures \result >= 0 ==> (uint32_t)(p->head - p->tail_seen) <= p->size;
    ensures \result >= 0 ==> \result == p->size - (uint32_t)(p->head - p->tail_seen);
    ensures \result < 0 ==> p->tail_seen == \old(p->tail_seen);
 */
static int prod_free(ipc_ring_prod_t *p)
{
    ipc_cache_invalidate(&p->ring->tail, 4);
    uint32_t tail = ipc_load_acquire(&p->ring->tail); /* A2: pairs with R2 */
    uint32_t used = p->head - tail;
    if (used > p->size) {
        p->corrupt++;
        return IPC_E_RING_CORRUPT;
    }
    p->tail_seen = tail;
    return (int)(p->size - used);
}

/* The packet moves below are inlined into each caller, so that the
 * one-packet calls (the ZENEDGE side moves one packet at a time) carry no
 * loop and no call, and the bulk and burst calls of the bridge keep theirs. */
#define RING_INLINE static inline __attribute__((always_inline))

/* Write n packets (room checked by the caller) into ring r from head on. */
RING_INLINE void prod_copy(ipc_ring_t *r, uint32_t head, uint32_t mask, const ipc_packet_t *pkts, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        ipc_packet_t *slot = &r->data[(head + i) & mask];
        ipc_packet_copy(slot, &pkts[i]);
        ipc_cache_clean(slot, (uint32_t)sizeof(*slot));
    }
}

/* Publish the slots up to head (the new one). */
RING_INLINE void prod_publish(ipc_ring_prod_t *p, ipc_ring_t *r, uint32_t head)
{
    p->head = head;
    /* R1: publishes slots [old head, new head); pairs with A1 in
     * cons_ready(). The cache clean of the slots above happened before it. */
    ipc_store_release(&r->head, head);
    ipc_cache_clean(&r->head, 4);
}

/* Write n packets, then publish them. The ring, the head and the mask are
 * read once, before the packet stores (which, for the compiler, may be
 * stores to p). */
RING_INLINE void prod_move(ipc_ring_prod_t *p, const ipc_packet_t *pkts, uint32_t n)
{
    ipc_ring_t *r = p->ring;
    uint32_t head = p->head;
    prod_copy(r, head, p->mask, pkts, n);
    prod_publish(p, r, head + n);
}

int ipc_ring_enqueue(ipc_ring_prod_t *p, const ipc_packet_t *pkt)
{
    if (p == 0 || p->ring == 0 || pkt == 0)
        return IPC_E_INVAL;
    if (p->head - p->tail_seen >= p->size) { /* the cached tail shows no room: refresh it */
        int room = ipc_ring_free_count(p);   /* prod_free() behind the checks made above */
        if (room <= 0)
            return room < 0 ? room : IPC_E_RING_FULL;
    }
    prod_move(p, pkt, 1u);
    return IPC_OK;
}

int ipc_ring_enqueue_bulk(ipc_ring_prod_t *p, const ipc_packet_t *pkts, uint32_t n)
{
    if (p == 0 || p->ring == 0 || (pkts == 0 && n != 0))
        return IPC_E_INVAL;
    if (n == 0)
        return 0;
    /* Fast path: the cached tail may already show enough room. */
    if (p->size - (p->head - p->tail_seen) < n) {
        int room = prod_free(p);
        if (room < 0)
            return room;
        if ((uint32_t)room < n)
            return IPC_E_RING_FULL;
    }
    prod_move(p, pkts, n);
    return (int)n;
}

int ipc_ring_enqueue_burst(ipc_ring_prod_t *p, const ipc_packet_t *pkts, uint32_t n)
{
    if (p == 0 || p->ring == 0 || (pkts == 0 && n != 0))
        return IPC_E_INVAL;
    if (n == 0)
        return 0;
    uint32_t room = p->size - (p->head - p->tail_seen);
    if (room < n) {
        int r = prod_free(p);
        if (r < 0)
            return r;
        room = (uint32_t)r;
    }
    if (n > room)
        n = room;
    if (n == 0)
        return 0;
    prod_move(p, pkts, n);
    return (int)n;
}

/* Refresh the consumer's view of head; returns ready packets or < 0.
 * head is valid only if it lies in [tail, tail + size]. */
/*@ requires \valid(c) && \valid_read(&c->ring->head);
    requires 2 <= c->size <= 65536;
    assigns c->head_seen, c->corrupt;
 */
static int cons_ready(ipc_ring_cons_t *c)
{
    ipc_cache_invalidate(&c->ring->head, 4);
    uint32_t head = ipc_load_acquire(&c->ring->head); /* A1: pairs with R1 */
    uint32_t ready = head - c->tail;
    if (ready > c->size) {
        c->corrupt++;
        return IPC_E_RING_CORRUPT;
    }
    c->head_seen = head;
    return (int)ready;
}

/* Read n packets (ready, checked by the caller) from ring r from tail on. */
RING_INLINE void cons_copy(const ipc_ring_t *r, uint32_t tail, uint32_t mask, ipc_packet_t *pkts, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        const ipc_packet_t *slot = &r->data[(tail + i) & mask];
        ipc_cache_invalidate(slot, (uint32_t)sizeof(*slot));
        ipc_packet_copy(&pkts[i], slot);
    }
}

/* Release the slots up to tail (the new one). */
RING_INLINE void cons_release(ipc_ring_cons_t *c, ipc_ring_t *r, uint32_t tail)
{
    c->tail = tail;
    /* R2: the slots [old tail, new tail) have been copied out above and
     * may be overwritten; pairs with A2 in prod_free(). */
    ipc_store_release(&r->tail, tail);
    ipc_cache_clean(&r->tail, 4);
}

/* Read n packets, then release their slots. The ring, the tail and the
 * mask are read once, before the packet stores (the caller's buffer may,
 * for the compiler, be c). */
RING_INLINE void cons_move(ipc_ring_cons_t *c, ipc_packet_t *pkts, uint32_t n)
{
    ipc_ring_t *r = c->ring;
    uint32_t tail = c->tail;
    cons_copy(r, tail, c->mask, pkts, n);
    cons_release(c, r, tail + n);
}

int ipc_ring_dequeue(ipc_ring_cons_t *c, ipc_packet_t *pkt)
{
    if (c == 0 || c->ring == 0 || pkt == 0)
        return IPC_E_INVAL;
    if (c->head_seen == c->tail) { /* the cached head shows nothing: refresh it */
        int ready = cons_ready(c);
        if (ready <= 0)
            return ready < 0 ? ready : IPC_E_RING_EMPTY;
    }
    cons_move(c, pkt, 1u);
    return IPC_OK;
}

int ipc_ring_dequeue_burst(ipc_ring_cons_t *c, ipc_packet_t *pkts, uint32_t max)
{
    if (c == 0 || c->ring == 0 || (pkts == 0 && max != 0))
        return IPC_E_INVAL;
    if (max == 0)
        return 0;
    uint32_t ready = c->head_seen - c->tail;
    if (ready < max) {
        int r = cons_ready(c);
        if (r < 0)
            return r;
        ready = (uint32_t)r;
    }
    if (ready > max)
        ready = max;
    if (ready == 0)
        return 0;
    cons_move(c, pkts, ready);
    return (int)ready;
}

int ipc_ring_free_count(ipc_ring_prod_t *p)
{
    if (p == 0 || p->ring == 0)
        return IPC_E_INVAL;
    return prod_free(p);
}

int ipc_ring_ready_count(ipc_ring_cons_t *c)
{
    if (c == 0 || c->ring == 0)
        return IPC_E_INVAL;
    return cons_ready(c);
}

int ipc_ring_peek_fill(const ipc_ring_t *r, uint32_t slots)
{
    if (r == 0)
        return IPC_E_INVAL;
    uint32_t tail = ipc_read_once(&r->tail);
    uint32_t head = ipc_read_once(&r->head);
    uint32_t fill = head - tail;
    return fill > slots ? IPC_E_RING_CORRUPT : (int)fill;
}
