/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * job_trace.c - the job trace (protocol 1.2, IPC_FEAT_JOB_TRACE): one
 * record per collected job in the region's trace ring, for inspectors
 * (zenedge-ipc trace). The zenedge side is its only writer: records are
 * written from proxy_wait()'s collect, inside the critical section, so
 * the tasks of one proxy never write at once. O(1): one record of
 * 128 bytes per job. Freestanding; compiled empty without
 * ZEN_CFG_JOB_TRACE. Ordering T1 (ipc_proto.h, "Job trace").
 */
#include "proxy_internal.h"
#include "zenedge/barrier.h"
#include "zenedge/ipc_cache.h"

#if ZEN_CFG_JOB_TRACE

static uint8_t end_of(int32_t status)
{
    switch (status) {
    case PROXY_OK: return IPC_TRACE_END_OK;
    case PROXY_E_JOB_FAILED: return IPC_TRACE_END_FAILED;
    case PROXY_E_TIMED_OUT: return IPC_TRACE_END_TIMED_OUT;
    case PROXY_E_CANCELLED: return IPC_TRACE_END_CANCELLED;
    case PROXY_E_BRIDGE_LOST: return IPC_TRACE_END_LOST;
    default: return IPC_TRACE_END_OTHER;
    }
}

/* The record's words after seq, one untorn 32-bit store each (T1). */
static void put_words(ipc_trace_rec_t *rec, const ipc_trace_rec_t *src)
{
    volatile uint32_t *dst = (volatile uint32_t *)(void *)rec;
    const uint32_t *w = (const uint32_t *)(const void *)src;
    for (uint32_t i = 1; i < (uint32_t)(sizeof(*rec) / 4u); i++)
        ipc_write_once(&dst[i], w[i]);
}

void pj_trace_put(proxy_t *p, const proxy_result_t *res, uint32_t qos, uint32_t tag)
{
    ipc_trace_area_t *a = p->region.trace;
    if (a == 0)
        return;
    uint32_t n = p->trace_head;
    ipc_trace_rec_t *rec = &a->rec[n & (p->region.trace_slots - 1u)];
    ipc_trace_rec_t r;
    pj_zero(&r, (uint32_t)sizeof(r));
    r.handle = res->handle;
    r.model_id = res->model_id;
    r.qos = (uint8_t)qos;
    r.tag = tag;
    r.end = end_of(res->status);
    r.ipc_status = (uint16_t)(res->ipc_status < IPC_STATUS_COUNT ? res->ipc_status : IPC_STATUS_COUNT);
    r.t_submit = res->t_submit;
    r.t_complete_seen = res->t_complete_seen;
    r.t_wait_call = res->t_wait_call;
    r.t_wake = res->t_wake;
    if (res->ipc_status < IPC_STATUS_COUNT) { /* answered: the bridge's words are this job's */
        r.result = res->result;
        r.bridge_epoch = res->bridge_epoch;
        r.t_pickup = res->t_pickup;
        r.t_backend_start = res->t_backend_start;
        r.t_backend_end = res->t_backend_end;
        r.t_complete = res->t_complete;
        r.backend_ns = res->backend_ns;
    }
    ipc_write_once(&rec->seq, 0u); /* T1: being rewritten */
    ipc_fence();                   /* T1: seq = 0 visible before any word of the new record */
    put_words(rec, &r);
    ipc_store_release(&rec->seq, n + 1u); /* T1: the record, then its number */
    ipc_store_release(&a->head, n + 1u);  /* T1: then the count; pairs with T2's acquire */
    ipc_cache_clean(rec, (uint32_t)sizeof(*rec));
    ipc_cache_clean(&a->head, 4u);
    p->trace_head = n + 1u;
}

#else
typedef int job_trace_not_built_t; /* ZEN_CFG_JOB_TRACE 0: pj_trace_put is a no-op (proxy_internal.h) */
#endif
