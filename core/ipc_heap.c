/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ipc_heap.c - size-class block allocator for the tensor heap.
 * Freestanding: no libc. See ipc_heap.h for the guarantees.
 */
#include "zenedge/ipc_heap.h"

#include "zenedge/ipc_layout.h"

#include "zenedge/ipc_arith.h"
#include "zenedge/ipc_errors.h"

/* One out-of-line copy of the plan for both callers below. */
static int plan(uint32_t heap_size, const ipc_heap_class_cfg_t *c, uint32_t n, uint32_t counts[])
{
    return ipc_layout_heap_plan(heap_size, c, n, counts);
}

uint32_t ipc_heap_links_needed(uint32_t heap_size, const ipc_heap_class_cfg_t *classes, uint32_t n_classes)
{
    uint32_t counts[IPC_HEAP_MAX_CLASSES];
    if (plan(heap_size, classes, n_classes, counts) != IPC_OK)
        return 0;
    uint32_t total = 0;
    for (uint32_t i = 0; i < n_classes; i++)
        total += counts[i];
    return total;
}

int ipc_heap_init(ipc_heap_t *h, const ipc_region_t *r, const ipc_heap_class_cfg_t *classes, uint32_t n_classes,
                  uint32_t *links, uint32_t n_links)
{
    if (h == 0 || r == 0 || links == 0)
        return IPC_E_INVAL;
    uint32_t counts[IPC_HEAP_MAX_CLASSES];
    int err = plan(r->heap_size, classes, n_classes, counts);
    if (err)
        return err;
    return ipc_layout_heap_cut(h, r->heap_off, r->heap_size, classes, n_classes, counts, links, n_links, false);
}

int ipc_heap_alloc(ipc_heap_t *h, uint32_t len, ipc_tensor_ref_t *out)
{
    if (h == 0 || out == 0 || len == 0 || h->n_classes == 0)
        return IPC_E_INVAL;
    ipc_heap_class_t *end = &h->cls[h->n_classes];
    if (len > end[-1].block_size)
        return IPC_E_HEAP_TOO_BIG;
    for (ipc_heap_class_t *k = h->cls; k != end; k++) {
        uint32_t l = k->free_head;
        if (k->block_size < len || l == IPC_HEAP_NIL)
            continue;
        k->free_head = h->links[l];
        h->links[l] = IPC_HEAP_USED;
        k->free_count--;
        out->off = k->first_off + (l - k->first_link) * k->block_size;
        out->len = len;
        return IPC_OK;
    }
    h->failed++;
    return IPC_E_HEAP_EXHAUSTED;
}

int ipc_heap_free(ipc_heap_t *h, uint32_t off)
{
    if (h == 0)
        return IPC_E_INVAL;
    /* The classes lie in increasing offsets (ipc_heap_init): off can only
     * be in the last one that starts at or below it. One division; the
     * class spans count * block_size bytes inside the heap: 32 bits. */
    for (ipc_heap_class_t *k = &h->cls[h->n_classes]; k != h->cls;) {
        k--;
        if (off < k->first_off)
            continue;
        uint32_t part;
        uint32_t idx = ipc_udiv32(off - k->first_off, k->block_size, &part);
        uint32_t l = k->first_link + idx;
        if (part != 0u || idx >= k->count || h->links[l] != IPC_HEAP_USED)
            break;
        h->links[l] = k->free_head;
        k->free_head = l;
        k->free_count++;
        return IPC_OK;
    }
    h->bad_frees++;
    return IPC_E_HEAP_BAD_FREE;
}

uint32_t ipc_heap_free_bytes(const ipc_heap_t *h)
{
    uint32_t sum = 0;
    if (h == 0)
        return 0;
    for (uint32_t i = 0; i < h->n_classes; i++)
        sum += h->cls[i].free_count * h->cls[i].block_size;
    return sum;
}
