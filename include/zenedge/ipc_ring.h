/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ipc_ring.h - single-producer / single-consumer ring over ipc_ring_t.
 *
 * Each side holds a small private handle (caller storage, no allocation)
 * with its own copy of the counter it owns, so the counter is never re-read
 * from the shared region, and a cached copy of the peer's counter, which is
 * validated against the ring size every time it is refreshed.
 *
 * Naming follows the bulk/burst rule: _bulk moves all n packets or none;
 * _burst moves as many as it can and returns how many. Every call is O(n)
 * in the packets it moves, has no loop that waits, and never blocks.
 *
 * Return values: single-item calls (ipc_ring_enqueue, ipc_ring_dequeue)
 * return IPC_OK; _bulk and _burst calls and the *_count / peek_fill
 * observers return a count >= 0; every call may return a negative ipc_err_t:
 *   IPC_E_RING_FULL     enqueue: not enough free slots (nothing written)
 *   IPC_E_RING_EMPTY    dequeue (single): nothing to read
 *   IPC_E_RING_CORRUPT  the peer's counter is impossible (head - tail >
 *                       size); nothing is moved and corrupt is counted
 *   IPC_E_INVAL         bad local argument
 */
#ifndef ZENEDGE_IPC_RING_H
#define ZENEDGE_IPC_RING_H

#include <stdint.h>

#include "zenedge/barrier.h"
#include "zenedge/ipc_cache.h"
#include "zenedge/ipc_errors.h"
#include "zenedge/ipc_proto.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ipc_ring_prod {
    ipc_ring_t *ring;
    uint32_t size;      /* validated slot count */
    uint32_t mask;      /* size - 1 */
    uint32_t head;      /* private copy of ring->head (we own it) */
    uint32_t tail_seen; /* last validated ring->tail */
    uint32_t corrupt;   /* times the peer's tail was impossible */
} ipc_ring_prod_t;

typedef struct ipc_ring_cons {
    ipc_ring_t *ring;
    uint32_t size;
    uint32_t mask;
    uint32_t tail;      /* private copy of ring->tail (we own it) */
    uint32_t head_seen; /* last validated ring->head */
    uint32_t corrupt;   /* times the peer's head was impossible */
} ipc_ring_cons_t;

/* Write an empty ring (region init, zenedge side only): IPC_OK, or
 * IPC_E_INVAL (NULL, or slots not a power of two in [IPC_RING_MIN_SLOTS,
 * IPC_RING_MAX_SLOTS]). */
int ipc_ring_init(ipc_ring_t *r, uint32_t slots, uint32_t ring_id, uint32_t producer);

/* ipc_ring_init() itself, inline for the region lay-out (ipc_layout.h):
 * with a compile-time geometry its checks fold. */
static inline int ipc_ring_init_inline(ipc_ring_t *r, uint32_t slots, uint32_t ring_id, uint32_t producer)
{
    if (r == 0 || !ipc_ring_slots_ok(slots))
        return IPC_E_INVAL;
    ipc_write_once(&r->magic, IPC_RING_MAGIC);
    ipc_write_once(&r->size, slots);
    ipc_write_once(&r->ring_id, ring_id);
    ipc_write_once(&r->producer, producer);
    ipc_write_once(&r->head, 0u);
    ipc_write_once(&r->tail, 0u);
    ipc_cache_clean(r, (uint32_t)sizeof(*r));
    /* No release here: the whole region is published by the store-release
     * of the region magic at the end of ipc_region_init(). */
    return IPC_OK;
}

/* Take the producer / consumer role on an initialised ring whose header the
 * caller has validated to hold `slots` slots. Checks magic and size, and
 * adopts the current counters (so a restarted side continues where the
 * previous instance stopped); fails with IPC_E_RING_CORRUPT if they are
 * inconsistent. */
int ipc_ring_prod_attach(ipc_ring_prod_t *p, ipc_ring_t *r, uint32_t slots);
int ipc_ring_cons_attach(ipc_ring_cons_t *c, ipc_ring_t *r, uint32_t slots);

/* zenedge side, right after its own ipc_ring_init(r, slots, ...): take the
 * producer / consumer role on the ring it has just written empty (head
 * and tail 0) without reading the region back; the peer's counter is
 * read, and validated, from the first enqueue / dequeue on, as always.
 * IPC_OK, or IPC_E_INVAL (NULL, or slots not a power of two in
 * [IPC_RING_MIN_SLOTS, IPC_RING_MAX_SLOTS]). Inline: the one caller's
 * arguments are constants with a fixed layout, and the checks fold. */
static inline int ipc_ring_prod_fresh_zeroed(ipc_ring_prod_t *p, ipc_ring_t *r, uint32_t slots);
static inline int ipc_ring_cons_fresh_zeroed(ipc_ring_cons_t *c, ipc_ring_t *r, uint32_t slots);

static inline int ipc_ring_prod_fresh(ipc_ring_prod_t *p, ipc_ring_t *r, uint32_t slots)
{
    int err = ipc_ring_prod_fresh_zeroed(p, r, slots);
    if (err == IPC_OK) {
        p->head = 0; /* as ipc_ring_init() wrote it */
        p->tail_seen = 0;
        p->corrupt = 0;
    }
    return err;
}

static inline int ipc_ring_cons_fresh(ipc_ring_cons_t *c, ipc_ring_t *r, uint32_t slots)
{
    int err = ipc_ring_cons_fresh_zeroed(c, r, slots);
    if (err == IPC_OK) {
        c->tail = 0; /* as ipc_ring_init() wrote it */
        c->head_seen = 0;
        c->corrupt = 0;
    }
    return err;
}

/* ipc_ring_prod_fresh() / ipc_ring_cons_fresh() into a handle that is
 * all zero already (a caller that zeroed the structure holding it): the
 * counters and the corrupt flag are left as they are (0), the same
 * checks, the same return codes: IPC_OK or IPC_E_INVAL. */
static inline int ipc_ring_prod_fresh_zeroed(ipc_ring_prod_t *p, ipc_ring_t *r, uint32_t slots)
{
    if (p == 0 || r == 0 || !ipc_ring_slots_ok(slots))
        return IPC_E_INVAL;
    p->ring = r;
    p->size = slots;
    p->mask = slots - 1u;
    return IPC_OK;
}

static inline int ipc_ring_cons_fresh_zeroed(ipc_ring_cons_t *c, ipc_ring_t *r, uint32_t slots)
{
    if (c == 0 || r == 0 || !ipc_ring_slots_ok(slots))
        return IPC_E_INVAL;
    c->ring = r;
    c->size = slots;
    c->mask = slots - 1u;
    return IPC_OK;
}

/* One packet: IPC_OK, IPC_E_RING_FULL, IPC_E_RING_CORRUPT, IPC_E_INVAL. */
int ipc_ring_enqueue(ipc_ring_prod_t *p, const ipc_packet_t *pkt);
/* All n or none: n, IPC_E_RING_FULL, IPC_E_RING_CORRUPT, IPC_E_INVAL. */
int ipc_ring_enqueue_bulk(ipc_ring_prod_t *p, const ipc_packet_t *pkts, uint32_t n);
/* As many as fit: 0..n, IPC_E_RING_CORRUPT, IPC_E_INVAL. */
int ipc_ring_enqueue_burst(ipc_ring_prod_t *p, const ipc_packet_t *pkts, uint32_t n);

/* One packet: IPC_OK, IPC_E_RING_EMPTY, IPC_E_RING_CORRUPT, IPC_E_INVAL. */
int ipc_ring_dequeue(ipc_ring_cons_t *c, ipc_packet_t *pkt);
/* As many as are ready, up to max: 0..max, IPC_E_RING_CORRUPT, IPC_E_INVAL. */
int ipc_ring_dequeue_burst(ipc_ring_cons_t *c, ipc_packet_t *pkts, uint32_t max);

/* Free slots as the producer sees them now (refreshes tail), or < 0. */
int ipc_ring_free_count(ipc_ring_prod_t *p);
/* Packets ready as the consumer sees them now (refreshes head), or < 0. */
int ipc_ring_ready_count(ipc_ring_cons_t *c);

/* Fill level read by an observer that is neither side (zenedge-ipc stat):
 * head - tail, or IPC_E_RING_CORRUPT if the pair is impossible
 * (IPC_E_INVAL for a null ring). Read-only. */
int ipc_ring_peek_fill(const ipc_ring_t *r, uint32_t slots);

#ifdef __cplusplus
}
#endif

#endif /* ZENEDGE_IPC_RING_H */
