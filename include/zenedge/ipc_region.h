/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ipc_region.h - lay out (zenedge side) and attach to (bridge side) the
 * shared region, and reach objects inside it by bounds-checked offset.
 *
 * Both sides keep a private, validated view (ipc_region_t): the layout
 * words are read from the region once, checked, and from then on only the
 * private copy is used, so a peer that rewrites the header later cannot
 * move an object outside the region.
 */
#ifndef ZENEDGE_IPC_REGION_H
#define ZENEDGE_IPC_REGION_H

#include <stdbool.h>
#include <stdint.h>

#include "zenedge/ipc_errors.h"
#include "zenedge/ipc_proto.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What the zenedge side asks for when it lays the region out. */
typedef struct ipc_region_config {
    uint32_t region_size;           /* bytes of the mapped region */
    uint32_t n_sq;                  /* submission rings (default IPC_QOS_COUNT) */
    uint32_t sq_slots;              /* per submission ring, power of two */
    uint32_t cq_slots;              /* power of two >= max_jobs; 0: smallest such */
    uint32_t max_jobs;              /* job descriptors */
    uint32_t features;              /* IPC_FEAT_* */
    uint32_t hb_period_us;          /* zenedge heartbeat period it promises */
    uint32_t epoch;                 /* zenedge epoch to publish (+1 per boot) */
    uint32_t sq_weight[IPC_MAX_SQ]; /* arbitration hints (0: bridge default) */
    uint32_t trace_slots;           /* job trace records, power of two in
                                       [2, 65536]; 0: no trace area (1.1 layout) */
} ipc_region_config_t;

/* The private, validated view of a region. */
typedef struct ipc_region {
    uint8_t *base;          /* where this side mapped it */
    uint32_t size;          /* validated region_size */
    uint32_t version_minor; /* of the writer */
    uint32_t features;      /* validated feature bits */
    uint32_t n_sq;
    uint32_t sq_slots;
    uint32_t cq_slots;
    uint32_t max_jobs;
    ipc_job_desc_t *jobs;
    ipc_region_hdr_t *hdr;
    ipc_ring_t *cq;
    ipc_ring_t *sq[IPC_MAX_SQ];
    uint32_t sq_off[IPC_MAX_SQ];
    uint32_t sq_weight[IPC_MAX_SQ];
    uint32_t cq_off;
    uint32_t jobs_off;
    uint32_t heap_off;
    uint32_t heap_size;
    uint32_t trace_off; /* 0 and trace NULL: the region has no job trace */
    uint32_t trace_slots;
    ipc_trace_area_t *trace;
} ipc_region_t;

/* Defaults: IPC_QOS_COUNT rings of 256 slots, 256 jobs, cq = 256, heap is
 * what remains. */
void ipc_region_config_default(ipc_region_config_t *cfg, uint32_t region_size);

/* Bytes a configuration needs before the heap (header, rings, table). */
uint32_t ipc_region_layout_bytes(const ipc_region_config_t *cfg);

/* zenedge side: lay out and initialise the region at base (which must be
 * IPC_CACHELINE aligned and region_size long), publish it with the magic
 * stored last, and fill the view (zeroed first, whatever the outcome:
 * the words the lay-out does not use stay 0). The heap is every byte after the
 * descriptor table (and the job trace area, when cfg->trace_slots is set:
 * hdr_size 320, IPC_FEAT_JOB_TRACE). Errors: IPC_E_INVAL, IPC_E_SQ_COUNT,
 * IPC_E_SQ_SLOTS, IPC_E_CQ_SLOTS, IPC_E_MAX_JOBS, IPC_E_REGION_SIZE,
 * IPC_E_NO_SPACE, IPC_E_TRACE (trace_slots not a power of two in range). */
int ipc_region_init(ipc_region_t *view, void *base, const ipc_region_config_t *cfg);

/* bridge side: validate the region at base (mapped_size bytes) and fill
 * the view. Returns IPC_E_NOT_READY while the magic is 0 (retry later);
 * any other error is final for this content, and *fault (if not NULL)
 * names the field, its value and the limit. Never reads outside
 * [base, base + mapped_size). */
int ipc_region_attach(ipc_region_t *view, void *base, uint32_t mapped_size, ipc_fault_t *fault);

/* Pointer to [off, off+len) if it lies inside the region, else NULL.
 * Pure (it reads the private view only), as ipc_region_job(): a call
 * whose result goes unused, e.g. into a cache maintenance that a coherent
 * build compiles to nothing, is dropped. */
void *ipc_region_ptr(const ipc_region_t *v, uint32_t off, uint32_t len) __attribute__((pure));

/* True if [off, off+len) lies inside the tensor heap (len may be 0 only
 * if off is inside too). */
bool ipc_region_in_heap(const ipc_region_t *v, uint32_t off, uint32_t len);

/* Descriptor of a slot, or NULL if slot >= max_jobs. */
ipc_job_desc_t *ipc_region_job(const ipc_region_t *v, uint32_t slot) __attribute__((pure));

/* Ring table index that carries a QoS class. */
static inline uint32_t ipc_region_ring_of(const ipc_region_t *v, uint32_t qos)
{
    return ipc_qos_ring(qos, v->n_sq);
}

#ifdef __cplusplus
}
#endif

#endif /* ZENEDGE_IPC_REGION_H */
