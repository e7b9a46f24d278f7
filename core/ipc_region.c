/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ipc_region.c - region layout, initialisation and validated attach.
 * Freestanding: no libc. Arithmetic on offsets is done in 64 bits so that
 * off + len never wraps.
 */
#include "zenedge/ipc_region.h"

#include "zenedge/ipc_layout.h"

#include "zenedge/barrier.h"
#include "zenedge/ipc_arith.h"
#include "zenedge/ipc_cache.h"
#include "zenedge/ipc_ring.h"

#define ALIGN_UP(x, a) (((x) + ((a)-1u)) & ~((a)-1u))

static const char *const sq_off_names[IPC_MAX_SQ] = {
    "sq_off[0]", "sq_off[1]", "sq_off[2]", "sq_off[3]", "sq_off[4]", "sq_off[5]", "sq_off[6]", "sq_off[7]",
};

void ipc_region_config_default(ipc_region_config_t *cfg, uint32_t region_size)
{
    if (cfg == 0)
        return;
    volatile uint8_t *b = (volatile uint8_t *)cfg;
    for (uint32_t i = 0; i < (uint32_t)sizeof(*cfg); i++)
        b[i] = 0;
    cfg->region_size = region_size;
    cfg->n_sq = IPC_QOS_COUNT;
    cfg->sq_slots = 256;
    cfg->cq_slots = 0;
    cfg->max_jobs = 256;
    cfg->features = IPC_FEAT_NEED_WAKEUP;
    cfg->hb_period_us = 10000;
    cfg->epoch = 1;
}

uint32_t ipc_region_layout_bytes(const ipc_region_config_t *cfg)
{
    if (cfg == 0)
        return 0;
    uint64_t off = cfg->trace_slots ? IPC_HDR_SIZE_TRACE : IPC_HDR_SIZE_1_0;
    off += ipc_mul64(ALIGN_UP((uint64_t)IPC_RING_BYTES(cfg->sq_slots), IPC_CACHELINE), cfg->n_sq);
    off += ALIGN_UP((uint64_t)IPC_RING_BYTES(ipc_layout_cq_slots(cfg)), IPC_CACHELINE);
    off += ipc_mul32(cfg->max_jobs, (uint32_t)sizeof(ipc_job_desc_t));
    if (cfg->trace_slots)
        off += (uint64_t)IPC_TRACE_BYTES(cfg->trace_slots);
    return off > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)off;
}

int ipc_region_init(ipc_region_t *v, void *base, const ipc_region_config_t *cfg)
{
    uint32_t end;
    if (v != 0) /* the lay-out stores no word of the view that stays 0 */
        for (uint32_t i = 0; i < (uint32_t)(sizeof(*v) / sizeof(uint32_t)); i++)
            ((uint32_t *)(void *)v)[i] = 0u;
    return ipc_layout_region_init(v, base, cfg, &end); /* ipc_layout.h: one definition with the fixed layout */
}

static int fail(ipc_fault_t *f, int err, const char *field, uint32_t value, uint32_t limit, const char *rule)
{
    if (f) {
        f->field = field;
        f->value = value;
        f->limit = limit;
        f->rule = rule;
    }
    return err;
}

/* [off, off+len) inside [lo, size) and off aligned to a cache line. */
static bool area_ok(uint32_t off, uint64_t len, uint32_t lo, uint32_t size)
{
    return (off & (IPC_CACHELINE - 1u)) == 0 && off >= lo && (uint64_t)off + len <= size;
}

/* One copy of every layout word of the header: read once, then only the
 * copy is checked and adopted (no double fetch from the shared header). */
typedef struct layout {
    uint32_t vmaj, vmin, hdr_size, region_size, features, cacheline;
    uint32_t n_sq, sq_slots, cq_slots, max_jobs, desc_size;
    uint32_t cq_off, jobs_off, heap_off, heap_size, reserved0;
    uint32_t sq_off[IPC_MAX_SQ], sq_weight[IPC_MAX_SQ];
    uint32_t trace_off, trace_slots, trace_rec_size, trace_reserved; /* 0 without IPC_FEAT_JOB_TRACE */
} layout_t;

static void layout_read(layout_t *l, const ipc_region_hdr_t *h)
{
    l->vmaj = ipc_read_once(&h->version_major);
    l->vmin = ipc_read_once(&h->version_minor);
    l->hdr_size = ipc_read_once(&h->hdr_size);
    l->region_size = ipc_read_once(&h->region_size);
    l->features = ipc_read_once(&h->features);
    l->cacheline = ipc_read_once(&h->cacheline);
    l->n_sq = ipc_read_once(&h->n_sq);
    l->sq_slots = ipc_read_once(&h->sq_slots);
    l->cq_slots = ipc_read_once(&h->cq_slots);
    l->max_jobs = ipc_read_once(&h->max_jobs);
    l->desc_size = ipc_read_once(&h->job_desc_size);
    l->cq_off = ipc_read_once(&h->cq_off);
    l->jobs_off = ipc_read_once(&h->jobs_off);
    l->heap_off = ipc_read_once(&h->heap_off);
    l->heap_size = ipc_read_once(&h->heap_size);
    l->reserved0 = ipc_read_once(&h->reserved0);
    for (uint32_t i = 0; i < IPC_MAX_SQ; i++) {
        l->sq_off[i] = ipc_read_once(&h->sq_off[i]);
        l->sq_weight[i] = ipc_read_once(&h->sq_weight[i]);
    }
}

/* Version, sizes and feature bits of the header copy. */
static int layout_check_header(const layout_t *l, uint32_t mapped_size, ipc_fault_t *f)
{
    if (l->vmaj != IPC_VERSION_MAJOR)
        return fail(f, IPC_E_VERSION_MAJOR, "version_major", l->vmaj, IPC_VERSION_MAJOR, "must equal ours");
    if (l->hdr_size < sizeof(ipc_region_hdr_t))
        return fail(f, IPC_E_HDR_SIZE, "hdr_size", l->hdr_size, (uint32_t)sizeof(ipc_region_hdr_t),
                    "must be at least the 1.0 header size");
    if (l->region_size < IPC_REGION_MIN_SIZE || l->region_size > mapped_size)
        return fail(f, IPC_E_REGION_SIZE, "region_size", l->region_size, mapped_size, "must be in [4096, mapped size]");
    if (l->hdr_size > l->region_size || (l->hdr_size & (IPC_CACHELINE - 1u)) != 0)
        return fail(f, IPC_E_HDR_SIZE, "hdr_size", l->hdr_size, l->region_size,
                    "must be a cache-line multiple inside the region");
    if (l->cacheline != IPC_CACHELINE)
        return fail(f, IPC_E_CACHELINE, "cacheline", l->cacheline, IPC_CACHELINE, "must equal ours");
    if ((l->features & IPC_FEAT_REQUIRED_MASK & ~IPC_FEAT_KNOWN) != 0)
        return fail(f, IPC_E_FEATURES, "features", l->features, IPC_FEAT_KNOWN,
                    "sets a required feature bit we do not know");
    if (l->reserved0 != 0)
        return fail(f, IPC_E_RESERVED, "reserved0", l->reserved0, 0, "must be zero");
    return IPC_OK;
}

/* Ring sizes, job count and descriptor size of the header copy. */
static int layout_check_counts(const layout_t *l, ipc_fault_t *f)
{
    if (l->n_sq == 0 || l->n_sq > IPC_MAX_SQ)
        return fail(f, IPC_E_SQ_COUNT, "n_sq", l->n_sq, IPC_MAX_SQ, "must be in [1, IPC_MAX_SQ]");
    if (!ipc_ring_slots_ok(l->sq_slots))
        return fail(f, IPC_E_SQ_SLOTS, "sq_slots", l->sq_slots, IPC_RING_MAX_SLOTS,
                    "must be a power of two in [2, 65536]");
    if (l->max_jobs == 0 || l->max_jobs > IPC_MAX_JOBS)
        return fail(f, IPC_E_MAX_JOBS, "max_jobs", l->max_jobs, IPC_MAX_JOBS, "must be in [1, IPC_MAX_JOBS]");
    if (!ipc_ring_slots_ok(l->cq_slots))
        return fail(f, IPC_E_CQ_SLOTS, "cq_slots", l->cq_slots, IPC_RING_MAX_SLOTS,
                    "must be a power of two in [2, 65536]");
    if (l->cq_slots < l->max_jobs)
        return fail(f, IPC_E_CQ_SLOTS, "cq_slots", l->cq_slots, l->max_jobs,
                    "must be >= max_jobs (one slot per job in flight)");
    if (l->desc_size != sizeof(ipc_job_desc_t))
        return fail(f, IPC_E_DESC_SIZE, "job_desc_size", l->desc_size, (uint32_t)sizeof(ipc_job_desc_t),
                    "must equal sizeof(ipc_job_desc_t)");
    return IPC_OK;
}

typedef struct areas {
    uint32_t off[IPC_MAX_SQ + 4];
    uint64_t len[IPC_MAX_SQ + 4];
    uint32_t n;
} areas_t;

/* Each area inside [hdr_size, region_size) and cache-line aligned;
 * collected in a for the overlap check. */
static int layout_check_areas(const layout_t *l, areas_t *a, ipc_fault_t *f)
{
    uint32_t lo = l->hdr_size, size = l->region_size;
    uint64_t sq_bytes = IPC_RING_BYTES(l->sq_slots);
    a->n = 0;
    for (uint32_t i = 0; i < IPC_MAX_SQ; i++) {
        if (i >= l->n_sq) {
            if (l->sq_off[i] != 0)
                return fail(f, IPC_E_RESERVED, sq_off_names[i], l->sq_off[i], 0, "unused ring slot must be zero");
            continue;
        }
        if (!area_ok(l->sq_off[i], sq_bytes, lo, size))
            return fail(f, IPC_E_SQ_OFFSET, sq_off_names[i], l->sq_off[i], size,
                        "ring must be cache-line aligned, after the header and inside the region");
        a->off[a->n] = l->sq_off[i];
        a->len[a->n++] = sq_bytes;
    }
    uint64_t cq_bytes = IPC_RING_BYTES(l->cq_slots);
    if (!area_ok(l->cq_off, cq_bytes, lo, size))
        return fail(f, IPC_E_CQ_OFFSET, "cq_off", l->cq_off, size,
                    "ring must be cache-line aligned, after the header and inside the region");
    a->off[a->n] = l->cq_off;
    a->len[a->n++] = cq_bytes;
    uint64_t jobs_bytes = ipc_mul32(l->max_jobs, (uint32_t)sizeof(ipc_job_desc_t));
    if (!area_ok(l->jobs_off, jobs_bytes, lo, size))
        return fail(f, IPC_E_JOBS_OFFSET, "jobs_off", l->jobs_off, size,
                    "table must be cache-line aligned, after the header and inside the region");
    a->off[a->n] = l->jobs_off;
    a->len[a->n++] = jobs_bytes;
    if (l->heap_size == 0 || !area_ok(l->heap_off, l->heap_size, lo, size))
        return fail(f, IPC_E_HEAP_OFFSET, "heap_off", l->heap_off, size,
                    "heap must be non-empty, cache-line aligned, after the header and inside the region");
    a->off[a->n] = l->heap_off;
    a->len[a->n++] = l->heap_size;
    return IPC_OK;
}

/* 1.2: the trace line of the header (after layout_check_header(), which
 * put hdr_size inside the mapping), read once when the feature bit says
 * it was written; its area checked and added to a. */
static int layout_check_trace(layout_t *l, const uint8_t *b, areas_t *a, ipc_fault_t *f)
{
    l->trace_off = l->trace_slots = l->trace_rec_size = l->trace_reserved = 0;
    if (!(l->features & IPC_FEAT_JOB_TRACE))
        return IPC_OK;
    if (l->hdr_size < IPC_HDR_SIZE_TRACE)
        return fail(f, IPC_E_TRACE, "hdr_size", l->hdr_size, IPC_HDR_SIZE_TRACE,
                    "IPC_FEAT_JOB_TRACE needs the 1.2 header line");
    const ipc_hdr_trace_t *t = (const ipc_hdr_trace_t *)(const void *)(b + IPC_HDR_SIZE_1_0);
    ipc_cache_invalidate(t, (uint32_t)sizeof(*t));
    l->trace_off = ipc_read_once(&t->trace_off);
    l->trace_slots = ipc_read_once(&t->trace_slots);
    l->trace_rec_size = ipc_read_once(&t->trace_rec_size);
    for (uint32_t i = 0; i < 13u; i++)
        l->trace_reserved |= ipc_read_once(&t->reserved[i]);
    if (l->trace_rec_size != sizeof(ipc_trace_rec_t))
        return fail(f, IPC_E_TRACE, "trace_rec_size", l->trace_rec_size, (uint32_t)sizeof(ipc_trace_rec_t),
                    "must equal sizeof(ipc_trace_rec_t)");
    if (!ipc_is_pow2(l->trace_slots) || l->trace_slots < IPC_TRACE_MIN_SLOTS || l->trace_slots > IPC_TRACE_MAX_SLOTS)
        return fail(f, IPC_E_TRACE, "trace_slots", l->trace_slots, IPC_TRACE_MAX_SLOTS,
                    "must be a power of two in [2, 65536]");
    if (l->trace_reserved != 0)
        return fail(f, IPC_E_RESERVED, "trace reserved", l->trace_reserved, 0, "must be zero");
    uint64_t bytes = IPC_TRACE_BYTES(l->trace_slots);
    if (!area_ok(l->trace_off, bytes, l->hdr_size, l->region_size))
        return fail(f, IPC_E_TRACE, "trace_off", l->trace_off, l->region_size,
                    "trace area must be cache-line aligned, after the header and inside the region");
    a->off[a->n] = l->trace_off;
    a->len[a->n++] = bytes;
    return IPC_OK;
}

static int areas_check_overlap(const areas_t *a, ipc_fault_t *f)
{
    for (uint32_t i = 0; i < a->n; i++) {
        for (uint32_t j = i + 1; j < a->n; j++) {
            uint64_t ai = a->off[i], aj = a->off[j];
            if (ai < aj + a->len[j] && aj < ai + a->len[i])
                return fail(f, IPC_E_OVERLAP, "layout", a->off[j], a->off[i], "two areas overlap");
        }
    }
    return IPC_OK;
}

/* Ring identity words: magic, size, id and producer of every ring. */
static int layout_check_rings(const layout_t *l, uint8_t *b, ipc_fault_t *f)
{
    for (uint32_t i = 0; i <= l->n_sq; i++) {
        bool is_cq = i == l->n_sq;
        ipc_ring_t *r = (ipc_ring_t *)(void *)(b + (is_cq ? l->cq_off : l->sq_off[i]));
        uint32_t want_slots = is_cq ? l->cq_slots : l->sq_slots;
        uint32_t want_id = is_cq ? IPC_RING_ID_CQ : i;
        const char *name = is_cq ? "cq_off" : sq_off_names[i];
        ipc_cache_invalidate(r, IPC_CACHELINE);
        uint32_t m = ipc_read_once(&r->magic);
        uint32_t s = ipc_read_once(&r->size);
        uint32_t id = ipc_read_once(&r->ring_id);
        uint32_t prod = ipc_read_once(&r->producer);
        if (m != IPC_RING_MAGIC)
            return fail(f, IPC_E_RING_MAGIC, name, m, IPC_RING_MAGIC, "ring magic must equal IPC_RING_MAGIC");
        if (s != want_slots)
            return fail(f, IPC_E_RING_SIZE, name, s, want_slots, "ring size must equal the header's");
        if (id != want_id || prod != (is_cq ? IPC_SIDE_BRIDGE : IPC_SIDE_ZENEDGE))
            return fail(f, IPC_E_RING_ID, name, id, want_id, "ring_id/producer must match its place in the table");
    }
    return IPC_OK;
}

static void layout_adopt(ipc_region_t *v, const layout_t *l, uint8_t *b)
{
    v->size = l->region_size;
    v->version_minor = l->vmin;
    v->features = l->features;
    v->n_sq = l->n_sq;
    v->sq_slots = l->sq_slots;
    v->cq_slots = l->cq_slots;
    v->max_jobs = l->max_jobs;
    for (uint32_t i = 0; i < IPC_MAX_SQ; i++) {
        v->sq_off[i] = l->sq_off[i];
        v->sq_weight[i] = l->sq_weight[i];
    }
    v->cq_off = l->cq_off;
    v->jobs_off = l->jobs_off;
    v->heap_off = l->heap_off;
    v->heap_size = l->heap_size;
    v->trace_off = l->trace_off;
    v->trace_slots = l->trace_slots;
    ipc_layout_fill_view(v, b, IPC_MAX_SQ);
    v->trace = ipc_layout_trace_ptr(v, b);
}

int ipc_region_attach(ipc_region_t *v, void *base, uint32_t mapped_size, ipc_fault_t *f)
{
    if (v == 0 || base == 0 || ((uintptr_t)base & 3u) != 0)
        return fail(f, IPC_E_INVAL, "base", 0, 0, "must be a non-NULL, 4-byte aligned mapping");
    if (mapped_size < sizeof(ipc_region_hdr_t))
        return fail(f, IPC_E_REGION_SIZE, "mapped_size", mapped_size, (uint32_t)sizeof(ipc_region_hdr_t),
                    "mapping smaller than the region header");

    uint8_t *b = (uint8_t *)base;
    ipc_region_hdr_t *h = (ipc_region_hdr_t *)(void *)b;
    ipc_cache_invalidate(&h->magic, 4);
    uint32_t magic = ipc_load_acquire(&h->magic); /* pairs with the release in init */
    /* After the acquire: a line fetched before it may predate the init. */
    ipc_cache_invalidate(h, (uint32_t)sizeof(*h));
    if (magic == 0)
        return fail(f, IPC_E_NOT_READY, "magic", 0, IPC_REGION_MAGIC, "region not initialised yet");
    if (magic != IPC_REGION_MAGIC)
        return fail(f, IPC_E_REGION_MAGIC, "magic", magic, IPC_REGION_MAGIC, "must equal IPC_REGION_MAGIC");

    layout_t l;
    areas_t a;
    layout_read(&l, h);
    int rc = layout_check_header(&l, mapped_size, f);
    if (rc == IPC_OK)
        rc = layout_check_counts(&l, f);
    if (rc == IPC_OK)
        rc = layout_check_areas(&l, &a, f);
    if (rc == IPC_OK)
        rc = layout_check_trace(&l, b, &a, f);
    if (rc == IPC_OK)
        rc = areas_check_overlap(&a, f);
    if (rc == IPC_OK)
        rc = layout_check_rings(&l, b, f);
    if (rc != IPC_OK)
        return rc;
    layout_adopt(v, &l, b);
    return IPC_OK;
}

void *ipc_region_ptr(const ipc_region_t *v, uint32_t off, uint32_t len)
{
    if (v == 0 || v->base == 0 || len > v->size || off > v->size - len) /* off + len <= size, in 32 bits */
        return 0;
    return v->base + off;
}

bool ipc_region_in_heap(const ipc_region_t *v, uint32_t off, uint32_t len)
{
    if (v == 0)
        return false;
    uint64_t end = (uint64_t)off + len;
    return off >= v->heap_off && off < (uint64_t)v->heap_off + v->heap_size &&
           end <= (uint64_t)v->heap_off + v->heap_size;
}

ipc_job_desc_t *ipc_region_job(const ipc_region_t *v, uint32_t slot)
{
    if (v == 0 || v->jobs == 0 || slot >= v->max_jobs)
        return 0;
    return &v->jobs[slot];
}
