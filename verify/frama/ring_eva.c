/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ring_eva.c - EVA driver for the ring calls of core/ipc_ring.c on a ring
 * whose every byte (header, counters, slots) is unknown: what a corrupt or
 * hostile peer may leave there.
 *
 * Analysed: core/ipc_ring.c:ipc_ring_prod_attach, core/ipc_ring.c:ipc_ring_cons_attach,
 * core/ipc_ring.c:ipc_ring_enqueue_bulk, core/ipc_ring.c:ipc_ring_enqueue_burst,
 * core/ipc_ring.c:ipc_ring_dequeue_burst, core/ipc_ring.c:ipc_ring_peek_fill.
 */
#include "__fc_builtin.h"
#include "zenedge/ipc_ring.h"

#define SLOTS 8u

static union {
    ipc_ring_t r;
    unsigned char bytes[IPC_RING_BYTES(SLOTS)];
} shm;

int main(void)
{
    ipc_ring_prod_t p = {0};
    ipc_ring_cons_t c = {0};
    ipc_packet_t in[SLOTS], out[SLOTS] = {{0}};

    Frama_C_make_unknown((char *)shm.bytes, sizeof(shm.bytes));
    Frama_C_make_unknown((char *)in, sizeof(in));
    uint32_t n = Frama_C_unsigned_int_interval(0u, SLOTS);

    if (ipc_ring_prod_attach(&p, &shm.r, SLOTS) == 0) {
        (void)ipc_ring_enqueue_bulk(&p, in, n);
        (void)ipc_ring_enqueue_burst(&p, in, n);
        (void)ipc_ring_enqueue(&p, in);
        (void)ipc_ring_free_count(&p);
    }
    if (ipc_ring_cons_attach(&c, &shm.r, SLOTS) == 0) {
        (void)ipc_ring_dequeue_burst(&c, out, n);
        (void)ipc_ring_dequeue(&c, out);
        (void)ipc_ring_ready_count(&c);
    }
    (void)ipc_ring_peek_fill(&shm.r, SLOTS);
    return 0;
}
