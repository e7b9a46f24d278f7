/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ipc_heap.h - the tensor heap allocator, owned by the zenedge side.
 *
 * The tensor heap of the region is cut at init into up to
 * IPC_HEAP_MAX_CLASSES size classes, each a run of equal blocks (a multiple
 * of IPC_CACHELINE bytes, so every block starts on a cache line). A request
 * takes a block of the smallest class that fits and has one free.
 *
 *  - O(1): alloc visits at most IPC_HEAP_MAX_CLASSES classes, free at most
 *    as many; no loop depends on the number of blocks.
 *  - No malloc: free lists live in a link array the caller provides (one
 *    uint32_t per block), in the zenedge side's private memory. Nothing the
 *    bridge writes into the region can corrupt the allocator.
 *  - References are region offsets (ipc_tensor_ref_t), valid on both sides.
 *  - Not thread-safe by itself: the proxy calls it inside its critical
 *    section.
 */
#ifndef ZENEDGE_IPC_HEAP_H
#define ZENEDGE_IPC_HEAP_H

#include <stdint.h>

#include "zenedge/barrier.h"
#include "zenedge/ipc_arith.h"
#include "zenedge/ipc_errors.h"
#include "zenedge/ipc_proto.h"
#include "zenedge/ipc_region.h"

#ifdef __cplusplus
extern "C" {
#endif

#define IPC_HEAP_MAX_CLASSES 12u

typedef struct ipc_heap_class_cfg {
    uint32_t block_size; /* bytes, multiple of IPC_CACHELINE */
    uint32_t count;      /* blocks; 0 = share of what remains (see init) */
} ipc_heap_class_cfg_t;

typedef struct ipc_heap_class {
    uint32_t block_size;
    uint32_t first_off; /* region offset of block 0 */
    uint32_t count;
    uint32_t first_link; /* index of block 0 in links[] */
    uint32_t free_head;  /* link index of first free block, or IPC_HEAP_NIL */
    uint32_t free_count;
} ipc_heap_class_t;

typedef struct ipc_heap {
    uint32_t heap_off;
    uint32_t heap_size;
    uint32_t n_classes;
    uint32_t *links; /* caller storage: next free link, or USED */
    uint32_t n_links;
    uint32_t bad_frees;                         /* statistic: rejected frees */
    uint32_t failed;                            /* statistic: allocations that found no block */
    ipc_heap_class_t cls[IPC_HEAP_MAX_CLASSES]; /* last: the words above stay near the base */
} ipc_heap_t;

#define IPC_HEAP_NIL  0xFFFFFFFFu
#define IPC_HEAP_USED 0xFFFFFFFEu

/*
 * Cut the heap of a region into classes. Classes must be given in
 * increasing block_size. A class with count 0 receives an equal share (in
 * bytes) of whatever the classes with explicit counts leave. links must hold
 * one uint32_t per block in total; ipc_heap_links_needed() tells how many.
 * Errors: IPC_E_INVAL, IPC_E_HEAP_CONFIG (sizes, order, or too many blocks
 * for the heap or for links).
 */
int ipc_heap_init(ipc_heap_t *h, const ipc_region_t *r, const ipc_heap_class_cfg_t *classes, uint32_t n_classes,
                  uint32_t *links, uint32_t n_links);

/* Links the configuration needs for a heap of heap_size bytes (0 on error). */
uint32_t ipc_heap_links_needed(uint32_t heap_size, const ipc_heap_class_cfg_t *classes, uint32_t n_classes);

/* A block of at least len bytes (len > 0): *out gets its offset and len.
 * Errors: IPC_E_INVAL, IPC_E_HEAP_TOO_BIG, IPC_E_HEAP_EXHAUSTED. */
int ipc_heap_alloc(ipc_heap_t *h, uint32_t len, ipc_tensor_ref_t *out);

/* Give a block back by the offset alloc returned.
 * Errors: IPC_E_HEAP_BAD_FREE (not a block start, or already free). */
int ipc_heap_free(ipc_heap_t *h, uint32_t off);

/* ipc_heap_alloc() on a heap cut into one class of bs-byte blocks (bs
 * its block_size; its first link is 0): the same checks, results and
 * counts, without the class search; with bs a constant the multiply
 * folds. Errors: IPC_E_INVAL, IPC_E_HEAP_TOO_BIG, IPC_E_HEAP_EXHAUSTED. */
static inline int ipc_heap_alloc_one(ipc_heap_t *h, uint32_t len, ipc_tensor_ref_t *out, uint32_t bs)
{
    if (h == 0 || out == 0 || len == 0)
        return IPC_E_INVAL;
    ipc_in_register(h); /* not folded into its container's offsets */
    if (h->n_classes == 0)
        return IPC_E_INVAL;
    if (len > bs)
        return IPC_E_HEAP_TOO_BIG;
    ipc_heap_class_t *k = &h->cls[0];
    uint32_t l = k->free_head;
    if (l == IPC_HEAP_NIL) {
        h->failed++;
        return IPC_E_HEAP_EXHAUSTED;
    }
    k->free_head = h->links[l];
    h->links[l] = IPC_HEAP_USED;
    k->free_count--;
    out->off = k->first_off + l * bs;
    out->len = len;
    return IPC_OK;
}

/* ipc_heap_free() on the heap of ipc_heap_alloc_one(): with bs a
 * constant the division folds (a power of two: a shift and a mask). An
 * offset below the class wraps to an index at or above its count (the
 * class ends inside a region below 4 GB), so one bound checks both
 * sides; a heap not cut has count 0. Errors: IPC_E_INVAL,
 * IPC_E_HEAP_BAD_FREE. */
static inline int ipc_heap_free_one(ipc_heap_t *h, uint32_t off, uint32_t bs)
{
    if (h == 0)
        return IPC_E_INVAL;
    ipc_heap_class_t *k = &h->cls[0];
    uint32_t d = off - k->first_off, part, idx;
    if (bs != 0u && (bs & (bs - 1u)) == 0u) {
        idx = d / bs;
        part = d & (bs - 1u);
    } else {
        idx = ipc_udiv32(d, bs, &part);
    }
    if (part == 0u && idx < k->count && h->links[idx] == IPC_HEAP_USED) {
        h->links[idx] = k->free_head;
        k->free_head = idx;
        k->free_count++;
        return IPC_OK;
    }
    h->bad_frees++;
    return IPC_E_HEAP_BAD_FREE;
}

/* Free bytes summed over classes (statistic). */
uint32_t ipc_heap_free_bytes(const ipc_heap_t *h);

#ifdef __cplusplus
}
#endif

#endif /* ZENEDGE_IPC_HEAP_H */
