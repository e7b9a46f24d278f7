/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * region_eva.c - EVA driver for the bridge's attach of a region whose every
 * byte is unknown (a region written by a broken or hostile ZENEDGE side),
 * of any mapped size up to REGION_MAX bytes, followed by the view helpers
 * the bridge then uses on what attach accepted.
 *
 * Analysed: core/ipc_region.c:ipc_region_attach (layout_read,
 * layout_check_header, layout_check_counts, layout_check_areas,
 * areas_check_overlap, layout_check_rings, layout_adopt),
 * core/ipc_region.c:ipc_region_ptr, core/ipc_region.c:ipc_region_in_heap,
 * core/ipc_region.c:ipc_region_job.
 */
#include "__fc_builtin.h"
#include "zenedge/barrier.h"
#include "zenedge/ipc_region.h"

#define REGION_MAX 16384u

static unsigned char shm[REGION_MAX] __attribute__((aligned(64)));

int main(void)
{
    ipc_region_t v = {0};
    ipc_fault_t f;

    Frama_C_make_unknown((char *)shm, sizeof(shm));
    uint32_t mapped = Frama_C_unsigned_int_interval(0u, REGION_MAX);
    if (ipc_region_attach(&v, shm, mapped, &f) != 0)
        return 1;
    uint32_t off = Frama_C_unsigned_int_interval(0u, 0xffffffffu);
    uint32_t len = Frama_C_unsigned_int_interval(0u, 0xffffffffu);
    uint32_t slot = Frama_C_unsigned_int_interval(0u, 0xffffffffu);
    (void)ipc_region_ptr(&v, off, len);
    (void)ipc_region_in_heap(&v, off, len);
    ipc_job_desc_t *d = ipc_region_job(&v, slot);
    if (d != 0)
        (void)ipc_read_once(&d->handle); /* the descriptor lies in the mapping */
    return 0;
}
