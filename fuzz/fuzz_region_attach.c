/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_region_attach - the bridge's first contact with the region: the
 * input is the region's bytes. Attach must either refuse with a code or
 * return a view whose every area lies inside the input; the rings are then
 * attached and drained, and every descriptor and heap range is touched
 * through the bounds-checked helpers, so ASan catches any access outside.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "zenedge/ipc_errors.h"
#include "zenedge/ipc_region.h"
#include "zenedge/ipc_ring.h"

#define MAX_REGION (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MAX_REGION)
        return 0;
    /* An exact-size copy: ASan flags a single byte read past it. */
    uint8_t *mem = aligned_alloc(64, (size + 63) & ~(size_t)63);
    if (mem == NULL)
        return 0;
    memcpy(mem, data, size);
    ipc_region_t v;
    ipc_fault_t fault;
    int err = ipc_region_attach(&v, mem, (uint32_t)size, &fault);
    if (err == IPC_OK) {
        if (v.size > size || v.heap_off + (uint64_t)v.heap_size > v.size)
            abort();
        volatile uint32_t sink = 0;
        for (uint32_t i = 0; i <= v.n_sq; i++) {
            ipc_ring_t *r = i < v.n_sq ? v.sq[i] : v.cq;
            uint32_t slots = i < v.n_sq ? v.sq_slots : v.cq_slots;
            ipc_ring_cons_t c;
            ipc_ring_prod_t p;
            if (ipc_ring_cons_attach(&c, r, slots) == IPC_OK) {
                ipc_packet_t pk[8];
                for (int k = 0; k < 4; k++) {
                    int n = ipc_ring_dequeue_burst(&c, pk, 8);
                    if (n <= 0)
                        break;
                    for (int j = 0; j < n; j++)
                        sink += pk[j].payload_id;
                }
            }
            if (ipc_ring_prod_attach(&p, r, slots) == IPC_OK) {
                ipc_packet_t pk = {CMD_PONG, 0, 1, 2};
                (void)ipc_ring_enqueue(&p, &pk);
            }
            sink += (uint32_t)ipc_ring_peek_fill(r, slots);
        }
        for (uint32_t s = 0; s < v.max_jobs; s++) {
            ipc_job_desc_t *d = ipc_region_job(&v, s);
            for (uint32_t t = 0; t < IPC_MAX_TENSORS; t++) {
                uint32_t off = d->in[t].off, len = d->in[t].len;
                if (ipc_region_in_heap(&v, off, len) && len > 0) {
                    const uint8_t *b = ipc_region_ptr(&v, off, len);
                    sink += b[0] + b[len - 1];
                }
            }
        }
        (void)sink;
    }
    free(mem);
    return 0;
}
