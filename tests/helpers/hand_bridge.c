/* SPDX-License-Identifier: BSD-3-Clause */
/* hand_bridge.c - the test as a step-by-step bridge (see hand_bridge.h). */
#define _GNU_SOURCE
#include "hand_bridge.h"

#include <time.h>

#include "zenedge/ipc_errors.h"

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int hand_attach(hand_bridge_t *b, void *base, uint32_t size)
{
    int r = ipc_region_attach(&b->view, base, size, 0);
    if (r != IPC_OK)
        return r;
    for (uint32_t i = 0; i < b->view.n_sq; i++)
        if ((r = ipc_ring_cons_attach(&b->sq[i], b->view.sq[i], b->view.sq_slots)) != IPC_OK)
            return r;
    return ipc_ring_prod_attach(&b->cq, b->view.cq, b->view.cq_slots);
}

int hand_take(hand_bridge_t *b, ipc_packet_t *pkt)
{
    for (uint32_t i = 0; i < b->view.n_sq; i++)
        if (ipc_ring_dequeue(&b->sq[i], pkt) == IPC_OK)
            return 0;
    return -1;
}

void hand_fill_answer(hand_bridge_t *b, uint32_t h, uint64_t backend_ns, uint32_t epoch)
{
    ipc_job_desc_t *d = ipc_region_job(&b->view, IPC_HANDLE_SLOT(h));
    if (d == 0)
        return;
    if (d->n_in >= 1 && d->n_out >= 1) {
        int32_t *a = ipc_region_ptr(&b->view, d->in[0].off, d->in[0].len);
        int32_t *bb = ipc_region_ptr(&b->view, d->in[d->n_in > 1 ? 1 : 0].off, d->in[0].len);
        int32_t *c = ipc_region_ptr(&b->view, d->out[0].off, d->out[0].len);
        if (a && bb && c && d->out[0].len == d->in[0].len)
            for (uint32_t i = 0; i < d->out[0].len / 4u; i++)
                c[i] = d->n_in > 1 ? a[i] + bb[i] : a[i];
    }
    uint64_t t = now_ns();
    d->t_pickup = t;
    d->t_backend_start = t;
    d->t_backend_end = t;
    d->t_complete = t;
    d->backend_ns = backend_ns;
    d->bridge_epoch = epoch;
    d->result = 7;
}

int hand_post(hand_bridge_t *b, uint16_t cmd, uint16_t status, uint32_t h)
{
    ipc_packet_t pkt = {.cmd = cmd, .flags = status, .payload_id = h, .timestamp = now_ns()};
    return ipc_ring_enqueue(&b->cq, &pkt);
}
