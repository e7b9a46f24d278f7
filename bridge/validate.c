/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * validate.c - checks of untrusted packets and job descriptors. Pure
 * functions (see validate.h); the only access to shared memory is
 * bridge_job_copy_in(), which makes the private copy the checks run on.
 */
#include "validate.h"

#include <string.h>

#include "zenedge/barrier.h"
#include "zenedge/ipc_cache.h"

enum ipc_status bridge_validate_packet(const ipc_region_t *v, uint32_t ring, const ipc_packet_t *pkt)
{
    (void)ring;
    if (v == NULL || pkt == NULL)
        return IPC_STATUS_BAD_CMD;
    if (pkt->cmd != CMD_PING && pkt->cmd != CMD_RUN_MODEL)
        return IPC_STATUS_BAD_CMD;
    uint32_t slot = IPC_HANDLE_SLOT(pkt->payload_id);
    if (slot >= v->max_jobs || IPC_HANDLE_GEN(pkt->payload_id) == 0u)
        return IPC_STATUS_BAD_SLOT;
    if (pkt->flags != IPC_PKT_FLAGS_NONE)
        return IPC_STATUS_BAD_FLAGS;
    return IPC_STATUS_OK;
}

static bool ref_zero(const ipc_tensor_ref_t *r)
{
    return r->off == 0u && r->len == 0u;
}

enum ipc_status bridge_validate_job(const ipc_region_t *v, const bridge_registry_t *reg, uint32_t ring,
                                    const ipc_packet_t *pkt, const ipc_job_desc_t *d, const bridge_model_t **model)
{
    if (model)
        *model = NULL;
    if (v == NULL || pkt == NULL || d == NULL)
        return IPC_STATUS_BAD_DESC;
    if (d->handle != pkt->payload_id)
        return IPC_STATUS_STALE;
    if (d->req_flags != 0u || d->reserved0 != 0u)
        return IPC_STATUS_BAD_DESC;
    if (d->qos >= IPC_QOS_COUNT || ring >= v->n_sq || ipc_region_ring_of(v, d->qos) != ring)
        return IPC_STATUS_BAD_QOS;
    const bridge_model_t *m = bridge_registry_find(reg, d->model_id);
    if (m == NULL)
        return IPC_STATUS_BAD_MODEL;
    if (d->n_in != m->n_in || d->n_out != m->n_out)
        return IPC_STATUS_BAD_TENSOR_COUNT;
    for (uint32_t i = m->n_in; i < IPC_MAX_TENSORS; i++)
        if (!ref_zero(&d->in[i]))
            return IPC_STATUS_BAD_DESC;
    for (uint32_t i = m->n_out; i < IPC_MAX_TENSORS; i++)
        if (!ref_zero(&d->out[i]))
            return IPC_STATUS_BAD_DESC;
    for (uint32_t i = 0; i < m->n_in + m->n_out; i++) {
        const ipc_tensor_ref_t *r = i < m->n_in ? &d->in[i] : &d->out[i - m->n_in];
        uint32_t want = i < m->n_in ? m->in[i].bytes : m->out[i - m->n_in].bytes;
        if (!ipc_region_in_heap(v, r->off, r->len))
            return IPC_STATUS_BAD_TENSOR_RANGE;
        if (r->len != want)
            return IPC_STATUS_BAD_TENSOR_SIZE;
    }
    if (model)
        *model = m;
    return IPC_STATUS_OK;
}

bool bridge_status_attributable(enum ipc_status st)
{
    return st != IPC_STATUS_BAD_CMD && st != IPC_STATUS_BAD_SLOT;
}

uint16_t bridge_answer_cmd(uint16_t submission_cmd)
{
    return submission_cmd == CMD_PING ? (uint16_t)CMD_PONG : (uint16_t)CMD_JOB_DONE;
}

bool bridge_job_copy_in(const ipc_region_t *v, uint32_t slot, ipc_job_desc_t *out)
{
    if (v == NULL || out == NULL || slot >= v->max_jobs || v->jobs == NULL)
        return false;
    const ipc_job_desc_t *src = &v->jobs[slot];
    /* Lines 0-1 are published by the packet's R1 on the submission ring,
     * which the dequeue's A1 already paired with; invalidate for
     * non-coherent targets, then one plain copy. */
    ipc_cache_invalidate(src, 2u * IPC_CACHELINE);
    memset(out, 0, sizeof(*out));
    memcpy(out, src, 2u * IPC_CACHELINE);
    return true;
}
