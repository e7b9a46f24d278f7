/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ipc_layout.h - the region lay-out and the heap cut of the ZENEDGE side,
 * as inline functions: ipc_region_init() and ipc_heap_init() are these
 * with run-time arguments; a caller whose configuration is a set of
 * compile-time constants (rtos/ with ZEN_CFG_FIXED_LAYOUT) gets them
 * folded: the configuration checks, the layout arithmetic and the heap
 * plan compile to constants, and only the stores remain. One definition
 * for both, so that the two cannot lay out a region differently.
 * Freestanding: no libc.
 */
#ifndef ZENEDGE_IPC_LAYOUT_H
#define ZENEDGE_IPC_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>

#include "zenedge/barrier.h"
#include "zenedge/ipc_arith.h"
#include "zenedge/ipc_cache.h"
#include "zenedge/ipc_errors.h"
#include "zenedge/ipc_heap.h"
#include "zenedge/ipc_region.h"
#include "zenedge/ipc_ring.h"

#define IPC_ALIGN_UP(x, a) (((x) + ((a)-1u)) & ~((a)-1u))

#if defined(__GNUC__)
#define IPC_LAYOUT_INLINE static inline __attribute__((always_inline))
#else
#define IPC_LAYOUT_INLINE static inline
#endif

/* x is a power of two (as ipc_is_pow2(), inline so that it folds). */
IPC_LAYOUT_INLINE bool ipc_layout_pow2(uint32_t x)
{
    return x != 0u && (x & (x - 1u)) == 0u;
}

/* Zero with 32-bit volatile stores: never turned into a memset call, and
 * every store reaches the shared memory. len is a multiple of 4. */
static inline void ipc_zero_shared(void *p, uint32_t len)
{
    volatile uint32_t *w = (volatile uint32_t *)p;
    for (uint32_t i = 0; i < len / 4u; i++)
        w[i] = 0u;
}

/* The completion ring's slots: cfg->cq_slots, or (0) the smallest power
 * of two >= max_jobs (at least IPC_RING_MIN_SLOTS). */
IPC_LAYOUT_INLINE uint32_t ipc_layout_cq_slots(const ipc_region_config_t *cfg)
{
    if (cfg->cq_slots != 0)
        return cfg->cq_slots;
    uint32_t s = IPC_RING_MIN_SLOTS;
    while (s < cfg->max_jobs && s < IPC_RING_MAX_SLOTS) /* <= 16 steps */
        s <<= 1;
    return s;
}

/* Returns IPC_OK or the first error of ipc_region_init() the
 * configuration has: IPC_E_SQ_COUNT, IPC_E_SQ_SLOTS, IPC_E_MAX_JOBS,
 * IPC_E_CQ_SLOTS, IPC_E_REGION_SIZE, IPC_E_FEATURES, IPC_E_TRACE. */
IPC_LAYOUT_INLINE int ipc_layout_check(const ipc_region_config_t *cfg, uint32_t cq_slots)
{
    if (cfg->n_sq == 0 || cfg->n_sq > IPC_MAX_SQ)
        return IPC_E_SQ_COUNT;
    if (!ipc_ring_slots_ok(cfg->sq_slots))
        return IPC_E_SQ_SLOTS;
    if (cfg->max_jobs == 0 || cfg->max_jobs > IPC_MAX_JOBS)
        return IPC_E_MAX_JOBS;
    if (!ipc_ring_slots_ok(cq_slots) || cq_slots < cfg->max_jobs)
        return IPC_E_CQ_SLOTS;
    if (cfg->region_size < IPC_REGION_MIN_SIZE || cfg->region_size > IPC_REGION_MAX_SIZE)
        return IPC_E_REGION_SIZE;
    if ((cfg->features & IPC_FEAT_REQUIRED_MASK & ~IPC_FEAT_KNOWN) != 0)
        return IPC_E_FEATURES;
    if (cfg->trace_slots != 0 && (!ipc_layout_pow2(cfg->trace_slots) || cfg->trace_slots < IPC_TRACE_MIN_SLOTS ||
                                  cfg->trace_slots > IPC_TRACE_MAX_SLOTS))
        return IPC_E_TRACE;
    return IPC_OK;
}

/* The view's pointers from its offsets (checked to be cache-line
 * aligned: the casts through void * are aligned); ring pointers
 * 0..n_ptrs-1 (IPC_MAX_SQ, or n_sq into a zeroed view). The trace
 * pointer is the caller's (ipc_layout_trace_ptr()). */
static inline void ipc_layout_fill_view(ipc_region_t *v, uint8_t *base, uint32_t n_ptrs)
{
    v->base = base;
    v->hdr = (ipc_region_hdr_t *)(void *)base;
    for (uint32_t i = 0; i < n_ptrs && i < IPC_MAX_SQ; i++)
        v->sq[i] = i < v->n_sq ? (ipc_ring_t *)(void *)(base + v->sq_off[i]) : 0;
    v->cq = (ipc_ring_t *)(void *)(base + v->cq_off);
    v->jobs = (ipc_job_desc_t *)(void *)(base + v->jobs_off);
}

/* A ring as ipc_ring_init() (ipc_ring.h) writes it, into the area the
 * lay-out has just zeroed: head and tail are left 0, the slot count was
 * checked by ipc_layout_check(), and the region's cache clean covers it. */
IPC_LAYOUT_INLINE void ipc_layout_ring(ipc_ring_t *r, uint32_t slots, uint32_t ring_id, uint32_t producer)
{
    ipc_write_once(&r->magic, IPC_RING_MAGIC);
    ipc_write_once(&r->size, slots);
    ipc_write_once(&r->ring_id, ring_id);
    ipc_write_once(&r->producer, producer);
}

/* Where the lay-out puts ring i (i < n_sq: a submission ring; i = n_sq:
 * the completion ring) in the region at b: the sums of ipc_layout_place(). */
IPC_LAYOUT_INLINE ipc_ring_t *ipc_layout_ring_at(uint8_t *b, const ipc_region_config_t *cfg, uint32_t i)
{
    uint32_t hdr_size = cfg->trace_slots ? IPC_HDR_SIZE_TRACE : IPC_HDR_SIZE_1_0;
    return (ipc_ring_t *)(void *)(b + hdr_size + i * IPC_ALIGN_UP(IPC_RING_BYTES(cfg->sq_slots), IPC_CACHELINE));
}

/* The trace area's pointer from its offset, NULL without a trace. */
static inline ipc_trace_area_t *ipc_layout_trace_ptr(const ipc_region_t *v, uint8_t *base)
{
    return v->trace_slots ? (ipc_trace_area_t *)(void *)(base + v->trace_off) : 0;
}

/* The end of the areas before the heap, as ipc_layout_place() lays them
 * out from off (the header's size): the same sums, no store, so that the
 * header and the areas are zeroed by one loop before they are written. */
IPC_LAYOUT_INLINE uint32_t ipc_layout_end(const ipc_region_config_t *cfg, uint32_t cq_slots, uint32_t off)
{
    off += cfg->n_sq * IPC_ALIGN_UP(IPC_RING_BYTES(cfg->sq_slots), IPC_CACHELINE);
    off += IPC_ALIGN_UP(IPC_RING_BYTES(cq_slots), IPC_CACHELINE);
    off += cfg->max_jobs * (uint32_t)sizeof(ipc_job_desc_t);
    if (cfg->trace_slots)
        off += IPC_TRACE_BYTES(cfg->trace_slots);
    return off;
}

/* The layout, areas in order after the header and the heap last, into
 * the (zeroed) view and the (zeroed, unpublished) header at once: each
 * word is computed once and stored twice, never read back from the
 * region; the words that stay 0 (rings n_sq and above) are not stored.
 * Returns the end of the areas before the heap. 32-bit arithmetic is
 * exact here: ipc_layout_check() bounds every term (at most about 19 MB). */
IPC_LAYOUT_INLINE uint32_t ipc_layout_place(ipc_region_t *v, ipc_region_hdr_t *h, const ipc_region_config_t *cfg,
                                            uint32_t cq_slots, uint32_t off)
{
    h->version_major = IPC_VERSION_MAJOR;
    h->version_minor = v->version_minor = IPC_VERSION_MINOR;
    h->hdr_size = off;
    h->region_size = v->size = cfg->region_size;
    h->features = v->features = cfg->features | (cfg->trace_slots ? IPC_FEAT_JOB_TRACE : 0u);
    h->cacheline = IPC_CACHELINE;
    h->n_sq = v->n_sq = cfg->n_sq;
    h->sq_slots = v->sq_slots = cfg->sq_slots;
    h->cq_slots = v->cq_slots = cq_slots;
    h->max_jobs = v->max_jobs = cfg->max_jobs;
    h->job_desc_size = (uint32_t)sizeof(ipc_job_desc_t);
    /* off stays out of the loop: with constant arguments it folds */
    uint32_t ring = IPC_ALIGN_UP(IPC_RING_BYTES(cfg->sq_slots), IPC_CACHELINE);
    for (uint32_t i = 0; i < cfg->n_sq && i < IPC_MAX_SQ; i++) {
        h->sq_weight[i] = v->sq_weight[i] = cfg->sq_weight[i];
        h->sq_off[i] = v->sq_off[i] = off + i * ring;
    }
    off += cfg->n_sq * ring;
    h->cq_off = v->cq_off = off;
    off += IPC_ALIGN_UP(IPC_RING_BYTES(cq_slots), IPC_CACHELINE);
    h->jobs_off = v->jobs_off = off;
    off += cfg->max_jobs * (uint32_t)sizeof(ipc_job_desc_t);
    if (cfg->trace_slots) {
        v->trace_slots = cfg->trace_slots;
        v->trace_off = off;
        off += IPC_TRACE_BYTES(cfg->trace_slots);
    }
    h->heap_off = v->heap_off = off;
    h->heap_size = v->heap_size = (cfg->region_size - off) & ~(IPC_CACHELINE - 1u);
    return off;
}

/* ipc_region_init() (ipc_region.h) into a zeroed view, with the same
 * arguments and return codes, and *end (on IPC_OK) the end of the areas before the heap, for
 * the caller that cuts the heap without reading the view back: IPC_OK, IPC_E_INVAL, IPC_E_SQ_COUNT, IPC_E_SQ_SLOTS,
 * IPC_E_CQ_SLOTS, IPC_E_MAX_JOBS, IPC_E_REGION_SIZE, IPC_E_FEATURES,
 * IPC_E_TRACE, IPC_E_NO_SPACE. */
IPC_LAYOUT_INLINE int ipc_layout_region_init(ipc_region_t *v, void *base, const ipc_region_config_t *cfg, uint32_t *end)
{
    if (v == 0 || base == 0 || cfg == 0 || ((uintptr_t)base & (IPC_CACHELINE - 1u)) != 0)
        return IPC_E_INVAL;
    uint32_t cq_slots = ipc_layout_cq_slots(cfg);
    int err = ipc_layout_check(cfg, cq_slots);
    if (err)
        return err;

    uint8_t *b = (uint8_t *)base;
    ipc_region_hdr_t *h = (ipc_region_hdr_t *)(void *)b;

    /* Unpublish first: a bridge attaching concurrently sees NOT_READY,
     * never a half-written header. Pairs with the acquire in attach. */
    ipc_store_release(&h->magic, 0u);
    ipc_cache_clean(&h->magic, 4);

    /* The region_size checks of ipc_layout_check keep the header inside
     * the region; the areas after it must fit too, with a heap. */
    uint32_t hdr_size = cfg->trace_slots ? IPC_HDR_SIZE_TRACE : IPC_HDR_SIZE_1_0;
    uint32_t off = ipc_layout_end(cfg, cq_slots, hdr_size);
    if ((uint64_t)off + IPC_CACHELINE > cfg->region_size)
        return IPC_E_NO_SPACE; /* the view as it came: zeroed */

    /* Header (except magic), rings, descriptor table, trace: zero in one
     * pass; the rings (at the offsets ipc_layout_place() gives them),
     * then the header and the view. */
    ipc_zero_shared(b + 4, off - 4u);
    (void)ipc_layout_place(v, h, cfg, cq_slots, hdr_size);
    ipc_layout_fill_view(v, b, cfg->n_sq);
    if (cfg->trace_slots)
        v->trace = ipc_layout_trace_ptr(v, b);
    uint32_t ring = IPC_ALIGN_UP(IPC_RING_BYTES(cfg->sq_slots), IPC_CACHELINE);
    uint8_t *rp = b + hdr_size;
    for (uint32_t i = 0; i < cfg->n_sq && i < IPC_MAX_SQ; i++, rp += ring)
        ipc_layout_ring((ipc_ring_t *)(void *)rp, cfg->sq_slots, i, IPC_SIDE_ZENEDGE);
    ipc_layout_ring((ipc_ring_t *)(void *)(b + hdr_size + cfg->n_sq * ring), cq_slots, IPC_RING_ID_CQ, IPC_SIDE_BRIDGE);
    if (cfg->trace_slots) {
        ipc_hdr_trace_t *t = (ipc_hdr_trace_t *)(void *)(b + IPC_HDR_SIZE_1_0);
        t->trace_off = v->trace_off;
        t->trace_slots = v->trace_slots;
        t->trace_rec_size = (uint32_t)sizeof(ipc_trace_rec_t);
    }
    h->zen.state = IPC_STATE_STARTING;
    h->zen.epoch = cfg->epoch;
    h->zen.features = cfg->features | (cfg->trace_slots ? IPC_FEAT_JOB_TRACE : 0u); /* as v->features */
    h->zen.hb_period_us = cfg->hb_period_us;
    ipc_cache_clean(b, off);

    /* Publish: every store above is visible before the magic. Pairs with
     * the load-acquire of magic in ipc_region_attach(). */
    ipc_store_release(&h->magic, IPC_REGION_MAGIC);
    ipc_cache_clean(&h->magic, 4);
    *end = off;
    return IPC_OK;
}

/* Blocks of each class after explicit counts are honoured. Returns
 * IPC_OK, or IPC_E_HEAP_CONFIG (no class, too many, a size not a
 * cache-line multiple or not increasing, counts above the heap, a class
 * of no block). */
IPC_LAYOUT_INLINE int ipc_layout_heap_plan(uint32_t heap_size, const ipc_heap_class_cfg_t *c, uint32_t n,
                                           uint32_t counts[])
{
    if (c == 0 || n == 0 || n > IPC_HEAP_MAX_CLASSES)
        return IPC_E_HEAP_CONFIG;
    uint64_t used = 0;
    uint32_t shares = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t bs = c[i].block_size;
        if (bs == 0 || (bs % IPC_CACHELINE) != 0 || (i > 0 && bs <= c[i - 1].block_size))
            return IPC_E_HEAP_CONFIG;
        if (c[i].count == 0)
            shares++;
        else
            used += ipc_mul32(bs, c[i].count);
    }
    if (used > heap_size)
        return IPC_E_HEAP_CONFIG;
    /* 32-bit division only: no libgcc helper on 32-bit targets. */
    uint32_t share = shares ? ipc_udiv32(heap_size - (uint32_t)used, shares, 0) : 0;
    for (uint32_t i = 0; i < n; i++) {
        counts[i] = c[i].count ? c[i].count : ipc_udiv32(share, c[i].block_size, 0);
        if (counts[i] == 0)
            return IPC_E_HEAP_CONFIG;
    }
    return IPC_OK;
}

/* The cut of ipc_heap_init() (ipc_heap.h) of the heap [heap_off,
 * heap_off + heap_size) of a region into the classes, with counts[] from
 * ipc_layout_heap_plan() on the same classes; zeroed: *h is all zero
 * already, and its words that stay 0 are not stored. IPC_OK, or
 * IPC_E_HEAP_CONFIG (more blocks than n_links). */
IPC_LAYOUT_INLINE int ipc_layout_heap_cut(ipc_heap_t *h, uint32_t heap_off, uint32_t heap_size,
                                          const ipc_heap_class_cfg_t *classes, uint32_t n_classes,
                                          const uint32_t counts[], uint32_t *links, uint32_t n_links, bool zeroed)
{
    h->heap_off = heap_off;
    h->heap_size = heap_size;
    h->n_classes = n_classes;
    h->links = links;
    if (!zeroed) {
        h->bad_frees = 0;
        h->failed = 0;
    }
    uint32_t off = heap_off;
    uint32_t link = 0;
    for (uint32_t i = 0; i < n_classes && i < IPC_HEAP_MAX_CLASSES; i++) {
        ipc_heap_class_t *k = &h->cls[i];
        k->block_size = classes[i].block_size;
        k->first_off = off;
        k->count = counts[i];
        if (!zeroed || link != 0u) {
            k->first_link = link;
            k->free_head = link;
        }
        k->free_count = counts[i];
        if (link + counts[i] > n_links || link + counts[i] < link)
            return IPC_E_HEAP_CONFIG;
        for (uint32_t j = 0; j < counts[i]; j++) /* init only: O(blocks) */
            links[link + j] = (j + 1 < counts[i]) ? link + j + 1 : IPC_HEAP_NIL;
        off += counts[i] * k->block_size;
        link += counts[i];
    }
    h->n_links = link;
    return IPC_OK;
}

#endif /* ZENEDGE_IPC_LAYOUT_H */
