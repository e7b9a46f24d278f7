/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * proxy_internal.h - definitions shared by the proxy's own .c files. Not
 * part of the API. Grouped by the file that defines them; every function
 * here expects the caller to hold the port's critical section unless its
 * comment says otherwise.
 */
#ifndef ZENEDGE_PROXY_INTERNAL_H
#define ZENEDGE_PROXY_INTERNAL_H

#include "proxy.h"
#include "zenedge/ipc_arith.h"

/* proxy_job_t.flags */
#define PJ_BUSY      0x01u /* slot taken (from submit to release) */
#define PJ_PUBLISHED 0x02u /* the packet is on a ring */
#define PJ_ANSWERED  0x04u /* the bridge answered (or a new epoch made it moot) */
#define PJ_ENDED     0x08u /* the final status is set */
#define PJ_COLLECTED 0x10u /* the task collected the final status */
#define PJ_PING      0x20u /* a PING, not a RUN_MODEL */
#if ZEN_CFG_ZERO_COPY
#define PJ_IN_BUFS  0x40u /* inputs are tensor buffers (buf_in), not own blocks */
#define PJ_OUT_BUFS 0x80u /* outputs are tensor buffers (buf_out), not own blocks */
#else
#define PJ_IN_BUFS  0u /* no zero-copy path: never set, the tests fold away */
#define PJ_OUT_BUFS 0u
#endif

#define PJ_NIL 0xFFFFFFFFu

/* Submission rings in use: region.n_sq, which proxy_init() keeps in
 * [1, ZEN_CFG_MAX_SQ]. Written so that a one-ring build (ZEN_CFG_MAX_SQ
 * 1) folds the loops over the rings away. */
static inline uint32_t pj_n_sq(const proxy_t *p)
{
    return ZEN_CFG_MAX_SQ == 1u ? 1u : p->region.n_sq;
}

/* Job slots in use: max_jobs, which proxy_init() keeps in [1,
 * ZEN_CFG_MAX_JOBS]; with ZEN_CFG_FIXED_LAYOUT it is that bound (the
 * fixed geometry asks for it), a constant. */
static inline uint32_t pj_max_jobs(const proxy_t *p)
{
    return ZEN_CFG_FIXED_LAYOUT ? ZEN_CFG_MAX_JOBS : p->max_jobs;
}

/* A tensor count of a registered model or a job (at most
 * ZEN_CFG_MAX_TENSORS: proxy_model_register() checks it), written so that
 * a one-tensor build (ZEN_CFG_MAX_TENSORS 1) folds the loops over the
 * tensors into one test. */
static inline uint32_t pj_nt(uint32_t n)
{
    return ZEN_CFG_MAX_TENSORS == 1u ? (n != 0u ? 1u : 0u) : n;
}

/* The ring of a QoS class (ipc_region_ring_of() on the rings in use). */
static inline uint32_t pj_ring_of(const proxy_t *p, uint32_t qos)
{
    return ipc_qos_ring(qos, pj_n_sq(p));
}

/* Index of a taken job record: kept in it by pj_take(), no division by
 * the record's size. */
static inline uint32_t pj_slot(const proxy_t *p, const proxy_job_t *j)
{
    (void)p;
    return j->slot;
}

/* contract.c: the contract's admission rule, run by pj_submit() first in
 * the claim's critical section with the request's account (a contract's)
 * and the submit time: CONTRACT_OK admits the job; else the refusal's
 * code (CONTRACT_E_INFLIGHT_LIMIT, CONTRACT_E_BUDGET_EXHAUSTED). */
int pj_admit(proxy_account_t *acct, uint64_t now);

/* proxy_submit.c: proxy_submit_checked() without its argument checks,
 * for callers that made them (proxy_check_request() gave m, handle not
 * NULL); a model of id 0 and no tensors submits a PING. now: the port's
 * clock read by the caller just before (the job's submit time). admit:
 * req->acct is a contract's, whose rule pj_admit() is (ZEN_CFG_CONTRACT
 * builds only). A job counts in req->acct->inflight from its claim on
 * (given back if it is not published). Its codes, and pj_admit()'s. */
int pj_submit(proxy_t *p, const proxy_request_t *req, uint64_t now, const proxy_model_t *m, uint32_t *handle,
              bool admit);

/* proxy_mem.c: copy / zero private or shared memory with plain loops (no
 * libc), any context, no lock. The library is built with
 * -fno-tree-loop-distribute-patterns so that the compiler does not turn
 * them back into memcpy/memset calls. pj_copy with src NULL writes
 * zeros (on 32-bit targets pj_zero is that call). */
void pj_copy(void *dst, const void *src, uint32_t n);
void pj_zero(void *dst, uint32_t n);

/* job_trace.c: one record of a collected job into the region's job trace
 * (nothing when the region has none). Critical section held: the tasks'
 * collects are the one writer. */
#if ZEN_CFG_JOB_TRACE
void pj_trace_put(proxy_t *p, const proxy_result_t *res, uint32_t qos, uint32_t tag);
#else
static inline void pj_trace_put(proxy_t *p, const proxy_result_t *res, uint32_t qos, uint32_t tag)
{
    (void)p; /* not built: no call, no argument read */
    (void)res;
    (void)qos;
    (void)tag;
}
#endif

/* job_table.c: the slot life cycle. */

/* Take a free slot and give it its next generation, or NULL. */
proxy_job_t *pj_take(proxy_t *p);

/* proxy_complete.c: the job named by handle h (slot below max_jobs,
 * generation not 0 and the slot's), busy and published, and without any
 * other of the flags in `look` (PJ_BUSY | PJ_PUBLISHED | the ones that
 * must be clear), or NULL. The completion attributes an answer with it
 * (PJ_ANSWERED clear), the task's calls look a handle up with it
 * (PJ_COLLECTED clear). */
proxy_job_t *pj_find(proxy_t *p, uint32_t h, uint32_t look);

/* Mark the job published (its packet is on a ring) and enter it in the
 * deadline heap. */
void pj_publish(proxy_t *p, proxy_job_t *j);

/* The job in flight with the earliest deadline, or NULL. */
static inline proxy_job_t *pj_dl_first(proxy_t *p)
{
    return p->dl_n ? &p->jobs[p->dl_heap[0]] : 0;
}

/* Give the job its one final status (it leaves the deadline heap) and
 * wake its waiter. */
void pj_end(proxy_t *p, proxy_job_t *j, int32_t code, uint32_t ipc_status);

/* Release the slot and its tensor blocks if the job is ended, answered
 * and collected. */
void pj_release_if_done(proxy_t *p, proxy_job_t *j);

/* Return a slot that never reached a ring (submission rolled back). */
void pj_unclaim(proxy_t *p, proxy_job_t *j);

/* True when the ring has dequeued the job's packet (tail passed it). */
bool pj_picked_up(proxy_t *p, const proxy_job_t *j);

/* True when the job's packet lies below `tail` on its ring. */
static inline bool pj_below(const proxy_job_t *j, uint32_t tail)
{
    return (int32_t)(tail - (j->sq_seq + 1u)) >= 0;
}

/* Final status for a job whose time ran out, given the bridge's state
 * (liveness.c keeps bridge_online, and writes it only 0 or 1). */
static inline int32_t pj_expiry_code(const proxy_t *p)
{
    return PROXY_E_BRIDGE_LOST + (int32_t)(p->bridge_online * (uint32_t)(PROXY_E_TIMED_OUT - PROXY_E_BRIDGE_LOST));
}

/* proxy_complete() with a budget of max packets (one per critical
 * section); liveness.c drains the completion ring with it. Returns the
 * packets handled or PROXY_E_INVAL. */
int pj_complete_upto(proxy_t *p, uint32_t max);

/* proxy_bufs.c: the tensor buffer table. */

/* The live tensor buffer named by id, or NULL. */
proxy_buf_t *pb_lookup(proxy_t *p, uint32_t id);

/* Take buffer id as the next input (is_in) or output of job j, need bytes
 * of it: PROXY_OK, PROXY_E_BAD_BUF, PROXY_E_BUF_BUSY. The job's counts
 * grow only on success so that pj_unclaim() gives back exactly what was
 * taken. */
int pb_take(proxy_t *p, proxy_job_t *j, uint32_t id, uint32_t need, bool is_in);

/* A released job no longer reads (is_in) or writes buffer slot s. */
void pb_drop(proxy_t *p, uint32_t s, bool is_in);

/* An unreleased job reads or writes the buffer. */
static inline bool pb_busy(const proxy_buf_t *b)
{
    return b->readers != 0u || b->writer != 0u;
}

#if ZEN_CFG_FIXED_LAYOUT
/* The fixed lay-out's heap is one class of ZEN_CFG_FIXED_HEAP_BLOCK-byte
 * blocks (proxy_init() cuts no other): its alloc and free fold to it. */
#define ipc_heap_alloc(h, len, out) ipc_heap_alloc_one((h), (len), (out), ZEN_CFG_FIXED_HEAP_BLOCK)
#define ipc_heap_free(h, off)       ipc_heap_free_one((h), (off), ZEN_CFG_FIXED_HEAP_BLOCK)
#endif

#endif /* ZENEDGE_PROXY_INTERNAL_H */
