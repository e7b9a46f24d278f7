/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * answers.c - answers of zenedge-bridged (answers.h).
 *
 * Invariant: exactly one answer per packet taken. Kept by construction:
 *  - a packet is taken only within bridge_answers_room(), and its answer is
 *    promised at once (bridge_answers_promise); every post keeps one
 *    promise, so queued + promised never exceeds the queue's capacity
 *    and the queue cannot overflow;
 *  - the serving code (serve.c) answers each packet on exactly one path:
 *    refused at validation, answered without a job, or through the one job
 *    it took, whose answer is posted when the job is collected;
 *  - JOB_DONE and PONG are queued while the ring is full, never dropped;
 *    only CMD_ERROR (a packet naming no job slot) is droppable.
 * The region going away (detach) discards queued and promised answers:
 * the ZENEDGE side re-initialised it and waits for none of them.
 */
#include "answers.h"

#include <stdlib.h>
#include <string.h>

#include "bridge_errors.h"
#include "log.h"
#include "zenedge/ipc_errors.h"
#include "zl.h"

void bridge_answers_init(bridge_answers_t *a, bridge_stats_t *st)
{
    memset(a, 0, sizeof(*a));
    a->st = st;
}

int bridge_answers_reset(bridge_answers_t *a, uint32_t max_jobs)
{
    uint32_t cap = 2u * max_jobs < 64u ? 64u : 2u * max_jobs;
    if (cap != a->cap) {
        ipc_packet_t *p = realloc(a->pend, cap * sizeof(*p));
        if (p == NULL)
            return BRIDGE_E_NOMEM;
        a->pend = p;
        a->cap = cap;
    }
    a->head = a->n = a->promised = 0;
    return BRIDGE_OK;
}

uint32_t bridge_answers_room(const bridge_answers_t *a)
{
    return a->cap - a->n - a->promised;
}

void bridge_answers_promise(bridge_answers_t *a, uint32_t n)
{
    a->promised += n;
}

static void count_tx(bridge_answers_t *a, const ipc_packet_t *p)
{
    if (p->cmd == CMD_PONG)
        a->st->tx_pong++;
    else if (p->cmd == CMD_JOB_DONE)
        a->st->tx_job_done++;
    else
        a->st->tx_error++;
}

/* Post one answer; keep it in the private queue if the ring is full. */
static void post(bridge_answers_t *a, const ipc_packet_t *p, bool droppable)
{
    if (a->promised > 0)
        a->promised--;
    a->st->status[p->flags < IPC_STATUS_COUNT ? p->flags : 0]++;
    if (a->n == 0) {
        int r = ipc_ring_enqueue(&a->cq, p); /* R1: publishes the answer and the descriptor lines before it */
        if (r == IPC_OK) {
            count_tx(a, p);
            a->posted++;
            return;
        }
        if (r == IPC_E_RING_FULL)
            a->st->cq_full++;
        else
            a->st->ring_corrupt++;
    }
    if (droppable) {
        a->st->error_dropped++;
        return;
    }
    if (a->n >= a->cap) { /* cannot happen: promised when the packet was taken */
        BLOG_ERR("answer queue overflow (%u): answer for 0x%08x lost", a->cap, p->payload_id);
        return;
    }
    a->pend[(a->head + a->n) % a->cap] = *p;
    a->n++;
    if (a->n > a->st->pending_max)
        a->st->pending_max = a->n;
}

void bridge_answers_post(bridge_answers_t *a, uint16_t cmd, uint32_t handle, uint32_t status)
{
    ipc_packet_t p = {.cmd = cmd, .flags = (uint16_t)status, .payload_id = handle, .timestamp = zl_now_ns()};
    post(a, &p, false);
}

void bridge_answers_post_error(bridge_answers_t *a, const ipc_packet_t *p, uint32_t status)
{
    ipc_packet_t e = {.cmd = CMD_ERROR, .flags = (uint16_t)status, .payload_id = p->payload_id, .timestamp = p->cmd};
    post(a, &e, true);
}

void bridge_answers_flush(bridge_answers_t *a)
{
    while (a->n > 0) {
        uint32_t first = a->cap - a->head;
        if (first > a->n)
            first = a->n;
        int r = ipc_ring_enqueue_burst(&a->cq, &a->pend[a->head], first); /* R1 */
        if (r <= 0)
            return;
        for (int i = 0; i < r; i++)
            count_tx(a, &a->pend[a->head + (uint32_t)i]);
        a->head = (a->head + (uint32_t)r) % a->cap;
        a->n -= (uint32_t)r;
        a->posted += (uint32_t)r;
        if ((uint32_t)r < first)
            return;
    }
}

void bridge_answers_doorbell(bridge_answers_t *a, bool force, int mode, int peer_efd, ipc_region_hdr_t *hdr)
{
    if (a->posted == 0 && !force)
        return;
    a->posted = 0;
    int r = zl_db_notify(mode, peer_efd, &hdr->bridge, &hdr->zen);
    if (r < 0)
        BLOG_DEBUG("doorbell to the ZENEDGE side failed: %s", strerror(-r));
}

uint32_t bridge_answers_discard(bridge_answers_t *a)
{
    uint32_t n = a->n;
    a->n = a->head = a->promised = 0;
    return n;
}

void bridge_answers_free(bridge_answers_t *a)
{
    free(a->pend);
    a->pend = NULL;
    a->cap = a->n = a->head = a->promised = 0;
}
